#!/usr/bin/env bash
# Long fuzzing of every parser of untrusted input, one target after the
# other, with a record of each run.
#
#   scripts/fuzz.sh                    # every target, FUZZTIME (10m) each
#   FUZZTIME=30s scripts/fuzz.sh FuzzArchive FuzzManifest
#   FUZZ_RESUME=1 scripts/fuzz.sh      # skip targets already in the record at this FUZZTIME
#   FUZZ_SAVE_CORPUS=20 scripts/fuzz.sh  # also keep up to 20 new inputs per target in testdata
#
# Each run appends one line to fuzz-results.tsv (date, target, package,
# fuzz time, executions, corpus size, result); a failure also keeps its
# failing input in the package's testdata/fuzz, where `go test` replays it
# from then on. The corpus the fuzzer built stays in Go's cache
# ($(go env GOCACHE)/fuzz) and grows from run to run.
set -uo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10m}
record=${FUZZ_RECORD:-fuzz-results.tsv}
save=${FUZZ_SAVE_CORPUS:-0}
par=${FUZZ_PARALLEL:-$(nproc)}

# target package minimise-time (whole 64 KiB EVTX chunks are not minimised:
# it would take the run)
targets="
FuzzRead ./source/exlog/ 10s
FuzzECP ./source/exlog/ 10s
FuzzOpen ./winreg/ 10s
FuzzRecover ./winreg/ 10s
FuzzParseIISConfig ./root/ 10s
FuzzArchive ./root/ 10s
FuzzManifest ./triage/ 10s
FuzzModules ./source/minidump/ 10s
FuzzRead ./source/peversion/ 10s
FuzzTarget ./detect/proxylogon/ 10s
FuzzParse ./yara/syntax/ 10s
FuzzCompile ./yara/hex/ 10s
FuzzPE ./yara/ 1x
FuzzScanLines ./yara/ 10s
FuzzCompileScan ./yara/ 10s
FuzzCompileMatch ./yara/re/ 10s
FuzzSearch ./yara/atoms/ 10s
FuzzExpand ./yara/atoms/ 10s
FuzzReadHashList ./indicators/ 10s
FuzzSTIX ./indicators/ 10s
FuzzPlainList ./indicators/ 10s
FuzzRead ./source/w3c/ 10s
FuzzIndex ./source/literal/ 10s
FuzzFile ./source/evtx/ 0
FuzzRoundTrip ./source/evtx/evtxwrite/ 10s
FuzzParseLookup ./builds/ 10s
FuzzParse ./probe/ 10s
"

[ -f "$record" ] || printf 'date\ttarget\tpackage\tfuzztime\texecs\tcorpus\tresult\n' > "$record"
cache=$(go env GOCACHE)/fuzz/$(go list -m)
status=0
while read -r name pkg minimise; do
  [ -n "$name" ] || continue
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  if [ "${FUZZ_RESUME:-}" = 1 ] && awk -F'\t' -v t="$name" -v p="$pkg" -v f="$fuzztime" '$2 == t && $3 == p && $4 == f && $7 == "pass" { found = 1 } END { exit !found }' "$record"; then
    continue
  fi
  log=$(mktemp)
  echo "== $name $pkg ($fuzztime)"
  go test -run XXX -fuzz "^$name\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimise" -parallel "$par" "$pkg" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  dir="$cache/${pkg#./}"
  dir="${dir%/}/$name"
  corpus=$(ls "$dir" 2>/dev/null | wc -l)
  result=pass
  if [ $rc -ne 0 ]; then result=fail; status=1; tail -n 30 "$log"; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$name" "$pkg" "$fuzztime" "${execs:-0}" "$corpus" "$result" >> "$record"
  tail -n 2 "$log"
  if [ "$save" -gt 0 ] && [ -d "$dir" ]; then
    mkdir -p "$pkg/testdata/fuzz/$name"
    ls -t "$dir" | head -n "$save" | while read -r f; do cp -n "$dir/$f" "$pkg/testdata/fuzz/$name/"; done
  fi
  rm -f "$log"
done <<< "$targets"
exit $status
