#!/usr/bin/env bash
# Benchmark: exhunt's EVTX decoder against evtxexport (libevtx-utils) and
# evtx_dump.py (python-evtx), on the same files in the same run. Not in CI.
#
#   scripts/bench-evtx.sh                       # make bench-evtx: a 1 GB corpus
#   BENCH_EVTX_SIZE=256M scripts/bench-evtx.sh  # K, M or G
#   BENCH_RUNS=5 scripts/bench-evtx.sh          # runs of each exhunt measure (best kept)
#
# The corpus, made once under ./bench-data/evtx-SIZE and reused after, is
# copies of the real samples in ../shared/data/evtx (EVTX files cannot be
# concatenated): each of the eight samples evtxexport reads is copied until
# the copies reach SIZE. The two it cannot read (defender_1151, rdp_1149:
# records written without templates) are copied as often into a folder of
# their own, which only exhunt decodes, on an extra line.
#
# Measured, with the page cache filled first and every output to /dev/null:
#   exhunt evtx --format jsonl  the command, when this build has it (else
#                               skipped): decoding, JSON and writing
#   decoder, Records            source/evtx alone, every Record field filled
#   decoder, RecordsParallel    the same on BENCH_THREADS (2) workers
#   ..., GOGC=400               the same with the collector running less
#                               often (the default runs it every few MB)
#   evtxexport -f xml           one process per file
#   evtx_dump.py                only on a subset (one copy of seven samples,
#                               2.6 MB: it reads about 0.2 MB/s), where
#                               exhunt and evtxexport are timed too; its time
#                               on the whole corpus is extrapolated, and the
#                               line says so
# For each: seconds, MB/s, records/s (the corpus's record count: every tool
# reads the same records, as source/evtx's tests check against evtxexport),
# the CPU time, the peak RSS (/usr/bin/time -v), and the ratio of exhunt's
# throughput to the tool's. exhunt's peak RSS is also measured on a quarter
# of the corpus: it should not grow with the corpus.
# Targets (2 cores): exhunt at least 100 MB/s and 10 times evtxexport.
set -euo pipefail
cd "$(dirname "$0")/.."

size=${BENCH_EVTX_SIZE:-1G}
runs=${BENCH_RUNS:-3}
threads=${BENCH_THREADS:-2}
samples=${BENCH_EVTX_SAMPLES:-../shared/data/evtx}
data=${BENCH_DIR:-bench-data}
corpus=$data/evtx-$size

need() { command -v "$1" >/dev/null 2>&1; }
if ! need evtxexport || ! need evtx_dump.py || [ ! -x /usr/bin/time ]; then
  echo "installing libevtx-utils, python3-evtx, time (Debian packages)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libevtx-utils python3-evtx time >/dev/null
fi
[ -d "$samples" ] || { echo "bench-evtx: no samples folder $samples (../shared/data is needed)"; exit 2; }

bytes_of() { # 256M -> bytes
  local n=${1%[KkMmGg]} unit=${1: -1}
  case $unit in
    K | k) echo $((n << 10)) ;; M | m) echo $((n << 20)) ;; G | g) echo $((n << 30)) ;; *) echo "$1" ;;
  esac
}
target=$(bytes_of "$size")

mkdir -p "$data/bin"
CGO_ENABLED=0 go build -o "$data/bin/exhunt" ./cmd/exhunt
CGO_ENABLED=0 go test -c -o "$data/bin/evtx.test" ./source/evtx
exhunt=$data/bin/exhunt
decoder=$data/bin/evtx.test

# The corpus: copies of the samples, the two evtxexport cannot read apart.
others="defender_1151_evtx_v3.2_23chunks.evtx rdp_1149_nulltype_edgecase.evtx"
common=()
for f in "$samples"/*.evtx; do
  case " $others " in *" $(basename "$f") "*) continue ;; esac
  common+=("$f")
done
set_bytes=$(cat "${common[@]}" | wc -c)
copies=$(((target + set_bytes - 1) / set_bytes))
if [ ! -f "$corpus/.complete" ]; then
  echo "making the corpus: $copies copies of ${#common[@]} samples under $corpus (once)"
  rm -rf "$corpus"
  mkdir -p "$corpus/common" "$corpus/others"
  for i in $(seq -w 1 "$copies"); do
    for f in "${common[@]}"; do cp "$f" "$corpus/common/$i-$(basename "$f")"; done
    for o in $others; do cp "$samples/$o" "$corpus/others/$i-$o"; done
  done
  touch "$corpus/.complete"
fi
list=$data/evtx-$size.files
find "$corpus/common" -name '*.evtx' | sort >"$list"
others_list=$data/evtx-$size.others
find "$corpus/others" -name '*.evtx' | sort >"$others_list"
quarter=$data/evtx-$size.quarter
head -n $(($(wc -l <"$list") / 4)) "$list" >"$quarter"
# evtx_dump.py's subset: one copy of each sample but the largest.
subset=$data/evtx-$size.subset
grep "/$(printf '%0*d' ${#copies} 1)-" "$list" | grep -v security_smb_password_guessing_3MB >"$subset"

mb_of() { xargs -a "$1" cat | wc -c | awk '{printf "%.1f", $1 / 1e6}'; }
records_of() { EVTX_DECODE=$1 "$decoder" -test.run '^TestDecodeFiles$' | awk '/^records/ {print $2}'; }
warm() { xargs -a "$1" cat >/dev/null; }

# measure LABEL RUNS CMD...: the best of RUNS runs; sets secs, cpu, rss (MB).
measure() {
  local label=$1 n=$2 log best=
  shift 2
  log=$(mktemp)
  for _ in $(seq "$n"); do
    local start end s
    start=$(date +%s.%N)
    if ! /usr/bin/time -v "$@" >/dev/null 2>"$log"; then
      # exhunt evtx exits 1 on damage, which the samples have none of
      echo "bench-evtx: $label failed:"; tail -5 "$log"; exit 1
    fi
    end=$(date +%s.%N)
    s=$(echo "$end - $start" | bc)
    if [ -z "$best" ] || [ "$(echo "$s < $best" | bc)" = 1 ]; then
      best=$s
      cpu=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {printf "%.2f", u + s}' "$log")
      rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$log")
    fi
  done
  secs=$best
  rm -f "$log"
}

has_evtx_command=false
if "$exhunt" evtx --help >/dev/null 2>&1; then
  has_evtx_command=true
fi

row() { # label mb records secs cpu rss [ratio]
  printf '%-40s %9s %8.2f %9.1f %11.0f %8s %8s %9s\n' "$1" "$2" "$4" "$(echo "$2 / $4" | bc -l)" "$(echo "$3 / $4" | bc -l)" "$5" "$6" "${7:-}"
}

mb=$(mb_of "$list")
records=$(records_of "$list")
echo "corpus: $mb MB, $records records in $(wc -l <"$list") files ($copies copies of ${#common[@]} samples), $size asked"
warm "$list"
printf '%-40s %9s %8s %9s %11s %8s %8s %9s\n' "" MB seconds MB/s records/s "cpu s" "RSS MB" "exhunt x"

# The exhunt figure the ratios use: the command if this build has it, else the decoder.
if $has_evtx_command; then
  measure "exhunt evtx" "$runs" xargs -a "$list" "$exhunt" evtx --format jsonl
  ex_secs=$secs
  row "exhunt evtx --format jsonl" "$mb" "$records" "$secs" "$cpu" "$rss"
fi
measure "decoder" "$runs" env EVTX_DECODE="$list" "$decoder" -test.run '^TestDecodeFiles$'
row "decoder, Records" "$mb" "$records" "$secs" "$cpu" "$rss"
$has_evtx_command || ex_secs=$secs
measure "decoder parallel" "$runs" env EVTX_DECODE="$list" EVTX_DECODE_WORKERS="$threads" "$decoder" -test.run '^TestDecodeFiles$'
row "decoder, RecordsParallel($threads)" "$mb" "$records" "$secs" "$cpu" "$rss"
# The collector runs every few MB at the default GOGC: see what a program gets from a larger heap.
if $has_evtx_command; then
  measure "exhunt evtx GOGC=400" "$runs" env GOGC=400 xargs -a "$list" "$exhunt" evtx --format jsonl
  row "exhunt evtx --format jsonl, GOGC=400" "$mb" "$records" "$secs" "$cpu" "$rss"
fi
measure "decoder GOGC=400" "$runs" env GOGC=400 EVTX_DECODE="$list" "$decoder" -test.run '^TestDecodeFiles$'
row "decoder, Records, GOGC=400" "$mb" "$records" "$secs" "$cpu" "$rss"
measure "decoder parallel GOGC=400" "$runs" env GOGC=400 EVTX_DECODE="$list" EVTX_DECODE_WORKERS="$threads" "$decoder" -test.run '^TestDecodeFiles$'
row "decoder, RecordsParallel($threads), GOGC=400" "$mb" "$records" "$secs" "$cpu" "$rss"

measure "evtxexport" 1 xargs -a "$list" -n 1 evtxexport -f xml
row "evtxexport -f xml" "$mb" "$records" "$secs" "$cpu" "$rss" "$(echo "$secs / $ex_secs" | bc -l | xargs printf '%.1f')"

# evtx_dump.py on the subset, with exhunt and evtxexport on the same files.
smb=$(mb_of "$subset")
srecords=$(records_of "$subset")
warm "$subset"
echo "subset for evtx_dump.py: $smb MB, $srecords records in $(wc -l <"$subset") files"
if $has_evtx_command; then
  measure "exhunt evtx (subset)" "$runs" xargs -a "$subset" "$exhunt" evtx --format jsonl
  label="exhunt evtx --format jsonl"
else
  measure "decoder (subset)" "$runs" env EVTX_DECODE="$subset" "$decoder" -test.run '^TestDecodeFiles$'
  label="decoder, Records"
fi
sub_ex=$secs
row "  $label" "$smb" "$srecords" "$secs" "$cpu" "$rss"
measure "evtxexport (subset)" 1 xargs -a "$subset" -n 1 evtxexport -f xml
row "  evtxexport -f xml" "$smb" "$srecords" "$secs" "$cpu" "$rss" "$(echo "$secs / $sub_ex" | bc -l | xargs printf '%.1f')"
measure "evtx_dump.py (subset)" 1 xargs -a "$subset" -n 1 evtx_dump.py
py_secs=$secs
row "  evtx_dump.py" "$smb" "$srecords" "$secs" "$cpu" "$rss" "$(echo "$secs / $sub_ex" | bc -l | xargs printf '%.1f')"
printf '%-40s %9s %8.0f %9.2f %11.0f %8s %8s %9s\n' "evtx_dump.py, EXTRAPOLATED" "$mb" "$(echo "$py_secs * $mb / $smb" | bc -l)" \
  "$(echo "$smb / $py_secs" | bc -l)" "$(echo "$srecords / $py_secs" | bc -l)" "-" "-" "$(echo "$py_secs * $mb / $smb / $ex_secs" | bc -l | xargs printf '%.0f')"

# exhunt alone: the two samples evtxexport cannot read, and peak RSS on a quarter of the corpus.
omb=$(mb_of "$others_list")
orecords=$(records_of "$others_list")
warm "$others_list"
measure "decoder (others)" "$runs" env EVTX_DECODE="$others_list" "$decoder" -test.run '^TestDecodeFiles$'
row "decoder, Records, no templates" "$omb" "$orecords" "$secs" "$cpu" "$rss"
qmb=$(mb_of "$quarter")
qrecords=$(records_of "$quarter")
if $has_evtx_command; then
  measure "exhunt evtx (quarter)" "$runs" xargs -a "$quarter" "$exhunt" evtx --format jsonl
  row "exhunt evtx, quarter corpus" "$qmb" "$qrecords" "$secs" "$cpu" "$rss"
fi
measure "decoder (quarter)" "$runs" env EVTX_DECODE="$quarter" "$decoder" -test.run '^TestDecodeFiles$'
row "decoder, Records, quarter corpus" "$qmb" "$qrecords" "$secs" "$cpu" "$rss"
echo "exhunt x: how many times faster exhunt is than the tool ($(if $has_evtx_command; then echo "exhunt evtx --format jsonl"; else echo "the decoder alone: this build has no exhunt evtx"; fi))"
