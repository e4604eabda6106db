#!/usr/bin/env bash
# Benchmark: exhunt scan against ripgrep searching the same literals over the
# same synthetic Exchange logs, in the same run, at several sizes.
#
#   scripts/bench.sh                 # 1G 2G 4G of logs under ./bench-data
#   BENCH_SIZES="2G" scripts/bench.sh
#
# Prints, per size: both times (mean of warm runs, page cache filled before
# each run so that neither tool pays for disk reads the other did not), the
# ratio, exhunt's throughput, its peak RSS, and whether the planted attacks
# were all found. Targets on a 2-core machine: exhunt at most 2x ripgrep's
# time, at least 1 GB/s, peak RSS under 200 MB and flat as the logs grow.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=${BENCH_SIZES:-"1G 2G 4G"}
data=${BENCH_DIR:-bench-data}
runs=${BENCH_RUNS:-5}

need() { command -v "$1" >/dev/null 2>&1; }
if ! need rg || ! need hyperfine || ! need jq || [ ! -x /usr/bin/time ]; then
  echo "installing ripgrep, hyperfine, jq, time (Debian packages)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ripgrep hyperfine jq time >/dev/null
fi

mkdir -p "$data/bin"
CGO_ENABLED=0 go build -o "$data/bin/exhunt" ./cmd/exhunt
CGO_ENABLED=0 go build -o "$data/bin/exhunt-testserver" ./cmd/exhunt-testserver
exhunt="$data/bin/exhunt"
literals=(-e 'ServerInfo~' -e 'Server~' -e 'VirtualDirectory' -e 'Download failed and temporary file')

printf '\n%-6s %10s %12s %12s %8s %10s %10s %8s %10s\n' size "log MB" "rg s" "exhunt s" ratio "exhunt MB/s" "RSS MB" found "content s"
status=0
for size in $sizes; do
  root="$data/server-$size"
  if [ ! -f "$root.manifest.json" ]; then
    rm -rf "$root"
    "$data/bin/exhunt-testserver" --out "$root" --size "$size" --manifest "$root.manifest.json" >/dev/null
  fi
  logs="$root/Program Files/Microsoft/Exchange Server/V15/Logging"
  bytes=$(jq .LogBytes "$root.manifest.json")
  warm="sh -c 'find \"$logs\" -type f -exec cat {} + > /dev/null'"
  hyperfine -N -i -w 1 -r "$runs" --prepare "$warm" --export-json "$data/hyperfine-$size.json" \
    -n rg "rg -i -F -c ${literals[*]@Q} '$logs'" \
    -n exhunt "$exhunt scan --root '$root' --format json --out '$data/report-$size.json' --quiet" \
    -n exhunt-no-content "$exhunt scan --root '$root' --no-content --format json --out '$data/report-nc-$size.json' --quiet" >/dev/null
  rg_s=$(jq '.results[] | select(.command=="rg") | .mean' "$data/hyperfine-$size.json")
  ex_s=$(jq '.results[] | select(.command=="exhunt") | .mean' "$data/hyperfine-$size.json")
  # What the content checks (rules over the web folders and drop places)
  # add to the scan.
  nc_s=$(jq '.results[] | select(.command=="exhunt-no-content") | .mean' "$data/hyperfine-$size.json")
  content_s=$(awk -v a="$ex_s" -v b="$nc_s" 'BEGIN{printf "%.3f", a-b}')
  eval "$warm"
  # exhunt exits 1 when it finds something, which it should here.
  rss_kb=$( { /usr/bin/time -f '%M' "$exhunt" scan --root "$root" --format json --out "$data/report-$size.json" --quiet || true; } 2>&1 >/dev/null | tail -1)
  expected=$(jq '.Expected | length' "$root.manifest.json")
  found=$(jq -r --slurpfile m "$root.manifest.json" '
      [ $m[0].Expected[] as $e | select(any(.findings[]; .rule==$e.Rule and .path==$e.Path and (.line // 0)==$e.Line)) ] | length' "$data/report-$size.json")
  ratio=$(awk -v a="$ex_s" -v b="$rg_s" 'BEGIN{printf "%.2f", a/b}')
  mbps=$(awk -v b="$bytes" -v s="$ex_s" 'BEGIN{printf "%.0f", b/1e6/s}')
  printf '%-6s %10.0f %12.3f %12.3f %8s %10s %10.1f %8s %10s\n' "$size" "$(awk -v b="$bytes" 'BEGIN{print b/1e6}')" "$rg_s" "$ex_s" "$ratio" "$mbps" "$(awk -v k="$rss_kb" 'BEGIN{print k/1024}')" "$found/$expected" "$content_s"
  awk -v r="$ratio" -v m="$mbps" -v k="$rss_kb" 'BEGIN{exit !(r<=2 && m>=1000 && k<200*1024)}' || status=1
  [ "$found" = "$expected" ] || status=1
done
echo
if [ $status = 0 ]; then echo "bench: all targets met"; else echo "bench: a target was missed (see above)"; fi
exit $status
