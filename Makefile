# Everyday commands; the README explains each.
.PHONY: build test ci fuzz bench bench-yara bench-evtx bench-collect bench-probe windows demo clean

# The version comes from git (a tag, else the commit), so a release build
# never calls itself "devel".
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION)

build:
	CGO_ENABLED=0 go build -ldflags "$(LDFLAGS)" -o exhunt ./cmd/exhunt

demo: build
	./exhunt demo

# The full test suite as CI runs it (installs the Debian reference tools).
test ci:
	bash .ci/run

windows:
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -ldflags "$(LDFLAGS)" -o exhunt.exe ./cmd/exhunt

# Long fuzzing of every parser of untrusted input, FUZZTIME per target
# (default 10m), each run recorded in fuzz-results.tsv (scripts/fuzz.sh).
fuzz:
	scripts/fuzz.sh

# exhunt against ripgrep on 1, 2 and 4 GB of generated logs.
bench:
	scripts/bench.sh

# exhunt yara against yara -r on a 600 MB tree of mixed files, with the
# shared web shell and Hafnium rules (needs ../shared/data; not in CI).
bench-yara:
	scripts/bench-yara.sh

# exhunt's EVTX decoder against evtxexport and evtx_dump.py on copies of the
# shared samples (BENCH_EVTX_SIZE, default 1G; needs ../shared/data; not in CI).
bench-evtx:
	scripts/bench-evtx.sh

# exhunt collect against zip -r plus sha256sum over the same files of a
# generated server (BENCH_COLLECT_SIZE, default 5G; not in CI).
bench-collect:
	scripts/bench-collect.sh

bench-probe:
	scripts/bench-probe.sh

clean:
	rm -rf exhunt exhunt.exe bench-data
