# Everyday commands; the README explains each.
.PHONY: build test ci fuzz bench bench-yara bench-evtx bench-collect windows demo clean

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

# Long fuzzing of every parser of untrusted input; FUZZTIME per target.
FUZZTIME ?= 10m
fuzz:
	go test -run XXX -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./source/exlog/
	go test -run XXX -fuzz '^FuzzECP$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./source/exlog/
	go test -run XXX -fuzz '^FuzzOpen$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./winreg/
	go test -run XXX -fuzz '^FuzzParseIISConfig$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./root/
	go test -run XXX -fuzz '^FuzzModules$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./source/minidump/
	go test -run XXX -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./source/peversion/
	go test -run XXX -fuzz '^FuzzTarget$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./detect/proxylogon/
	go test -run XXX -fuzz '^FuzzRecover$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./winreg/
	go test -run XXX -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./yara/syntax/
	go test -run XXX -fuzz '^FuzzCompile$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./yara/hex/
	go test -run XXX -fuzz '^FuzzPE$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1x ./yara/
	go test -run XXX -fuzz '^FuzzScanLines$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./yara/
	go test -run XXX -fuzz '^FuzzReadHashList$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./indicators/
	go test -run XXX -fuzz '^FuzzSTIX$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./indicators/
	go test -run XXX -fuzz '^FuzzPlainList$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./indicators/
	go test -run XXX -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./source/w3c/
	go test -run XXX -fuzz '^FuzzIndex$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./source/literal/
	# Inputs are whole 64 KiB chunks: minimising them would take the run.
	go test -run XXX -fuzz '^FuzzFile$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0 ./source/evtx/
	go test -run XXX -fuzz '^FuzzRoundTrip$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./source/evtx/evtxwrite/
	go test -run XXX -fuzz '^FuzzSearch$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./yara/atoms/
	go test -run XXX -fuzz '^FuzzExpand$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./yara/atoms/
	go test -run XXX -fuzz '^FuzzCompileScan$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./yara/
	go test -run XXX -fuzz '^FuzzCompileMatch$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./yara/re/
	go test -run XXX -fuzz '^FuzzParseLookup$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./builds/
	go test -run XXX -fuzz '^FuzzArchive$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./root/
	go test -run XXX -fuzz '^FuzzManifest$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./triage/

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

clean:
	rm -rf exhunt exhunt.exe bench-data
