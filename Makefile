# Everyday commands; the README explains each.
.PHONY: build test ci fuzz bench windows demo clean

build:
	CGO_ENABLED=0 go build -o exhunt ./cmd/exhunt

demo: build
	./exhunt demo

# The full test suite as CI runs it (installs the Debian reference tools).
test ci:
	bash .ci/run

windows:
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -o exhunt.exe ./cmd/exhunt

# Long fuzzing of every parser of untrusted input; FUZZTIME per target.
FUZZTIME ?= 5m
fuzz:
	go test -run XXX -fuzz FuzzRead -fuzztime $(FUZZTIME) ./source/exlog/
	go test -run XXX -fuzz FuzzECP -fuzztime $(FUZZTIME) ./source/exlog/
	go test -run XXX -fuzz FuzzOpen -fuzztime $(FUZZTIME) ./winreg/
	go test -run XXX -fuzz FuzzParseIISConfig -fuzztime $(FUZZTIME) ./root/

# exhunt against ripgrep on 1, 2 and 4 GB of generated logs.
bench:
	scripts/bench.sh

clean:
	rm -rf exhunt exhunt.exe bench-data
