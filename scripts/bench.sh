#!/usr/bin/env bash
# Benchmark: exhunt scan against ripgrep searching the same literals over the
# same synthetic Exchange and IIS logs, in the same run, at several sizes.
#
#   scripts/bench.sh                 # 1G 2G 4G of Exchange logs under ./bench-data
#   BENCH_SIZES="2G" scripts/bench.sh
#   BENCH_IIS=2G                     # IIS logs beside them (default 2G)
#
# Both tools get the same indicators: a feed of 10,000 IP addresses and
# 10,000 SHA-256 hashes, which exhunt loads with --ioc and ripgrep searches
# as literals together with the checks' own literals (the Exchange checks',
# the IIS checks' and the published user agents). A second ratio compares
# with ripgrep searching the checks' literals alone (the addresses left
# out, which flatters ripgrep: exhunt still looks up every line's client).
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
iis=${BENCH_IIS:-2G}

need() { command -v "$1" >/dev/null 2>&1; }
if ! need rg || ! need hyperfine || ! need jq || [ ! -x /usr/bin/time ]; then
  echo "installing ripgrep, hyperfine, jq, time (Debian packages)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ripgrep hyperfine jq time >/dev/null
fi

mkdir -p "$data/bin"
CGO_ENABLED=0 go build -o "$data/bin/exhunt" ./cmd/exhunt
CGO_ENABLED=0 go build -o "$data/bin/exhunt-testserver" ./cmd/exhunt-testserver
exhunt="$data/bin/exhunt"
# The indicator feed: 10,000 addresses and 10,000 hashes, fixed by a seed.
feed="$data/ioc-10k.txt"
if [ ! -f "$feed" ]; then
  awk 'BEGIN { srand(42)
    for (i = 0; i < 10000; i++) printf "%d.%d.%d.%d\n", 11 + int(rand()*200), int(rand()*256), int(rand()*256), 1 + int(rand()*254)
    for (i = 0; i < 10000; i++) { h = ""; for (j = 0; j < 64; j++) h = h substr("0123456789abcdef", 1 + int(rand()*16), 1); print h }
  }' > "$feed"
fi
# ripgrep's patterns: the checks' literals and the feed's addresses.
patterns="$data/patterns.txt"
{
  printf '%s\n' 'ServerInfo~' 'Server~' 'VirtualDirectory' 'Download failed and temporary file' \
    '/ecp/' '/owa/auth/' '/aspnet_client/' '/ecp/auth/' 'ddiservice.svc/setobject' 'proxy&port=' 'cmd=connect&target=' \
    '=whoami' '=net' '=cmd' '=powershell' '=ipconfig' '=systeminfo' '=tasklist' '=nltest' '=certutil' \
    'python-requests/2.25.1' 'python-requests/2.19.1' 'ExchangeServicesClient/0.0.0.0' 'antSword/v2.1' 'Googlebot/2.1' \
    'DuckDuckBot/1.0' 'facebookexternalhit/1.1' 'Baiduspider/2.0' 'Bingbot/2.0' 'Exabot-Thumbnails' 'Yahoo!+Slurp' 'YandexBot/3.0' 'Chrome/51.0.2704.103'
  head -n 10000 "$feed"
} > "$patterns"
# The checks' literals alone, for the ratio of the log search itself.
checks="$data/patterns-checks.txt"
head -n 33 "$patterns" > "$checks"

printf '\n%-6s %8s %8s %10s %10s %7s %13s %10s %11s %8s %9s %9s\n' size "log MB" "IIS MB" "rg s" "exhunt s" ratio "rg checks s" "ratio" "exhunt MB/s" "RSS MB" found "content s"
status=0
for size in $sizes; do
  root="$data/server-$size"
  if [ ! -f "$root.manifest.json" ]; then
    rm -rf "$root"
    "$data/bin/exhunt-testserver" --out "$root" --size "$size" --iis-bytes "$iis" --manifest "$root.manifest.json" >/dev/null
  fi
  logs="$root/Program Files/Microsoft/Exchange Server/V15/Logging"
  iislogs="$root/inetpub/logs/LogFiles"
  bytes=$(jq .LogBytes "$root.manifest.json")
  warm="sh -c 'find \"$logs\" \"$iislogs\" -type f -exec cat {} + > /dev/null'"
  hyperfine -N -i -w 1 -r "$runs" --prepare "$warm" --export-json "$data/hyperfine-$size.json" \
    -n rg "rg -i -F -c -f '$patterns' '$logs' '$iislogs'" \
    -n rg-checks "rg -i -F -c -f '$checks' '$logs' '$iislogs'" \
    -n exhunt "$exhunt scan --root '$root' --ioc '$feed' --format json --out '$data/report-$size.json' --quiet" \
    -n exhunt-no-content "$exhunt scan --root '$root' --ioc '$feed' --no-content --format json --out '$data/report-nc-$size.json' --quiet" >/dev/null
  rg_s=$(jq '.results[] | select(.command=="rg") | .mean' "$data/hyperfine-$size.json")
  rgc_s=$(jq '.results[] | select(.command=="rg-checks") | .mean' "$data/hyperfine-$size.json")
  ex_s=$(jq '.results[] | select(.command=="exhunt") | .mean' "$data/hyperfine-$size.json")
  # What the content checks (rules over the web folders and drop places)
  # add to the scan.
  nc_s=$(jq '.results[] | select(.command=="exhunt-no-content") | .mean' "$data/hyperfine-$size.json")
  content_s=$(awk -v a="$ex_s" -v b="$nc_s" 'BEGIN{printf "%.3f", a-b}')
  eval "$warm"
  # exhunt exits 1 when it finds something, which it should here.
  rss_kb=$( { /usr/bin/time -f '%M' "$exhunt" scan --root "$root" --ioc "$feed" --format json --out "$data/report-$size.json" --quiet || true; } 2>&1 >/dev/null | tail -1)
  expected=$(jq '.Expected | length' "$root.manifest.json")
  found=$(jq -r --slurpfile m "$root.manifest.json" '
      [ $m[0].Expected[] as $e | select(any(.findings[]; .rule==$e.Rule and .path==$e.Path and (.line // 0)==$e.Line)) ] | length' "$data/report-$size.json")
  ratio=$(awk -v a="$ex_s" -v b="$rg_s" 'BEGIN{printf "%.2f", a/b}')
  mbps=$(awk -v b="$bytes" -v s="$ex_s" 'BEGIN{printf "%.0f", b/1e6/s}')
  iis_bytes=$(jq .IISLogBytes "$root.manifest.json")
  ratio_checks=$(awk -v a="$ex_s" -v b="$rgc_s" 'BEGIN{printf "%.2f", a/b}')
  printf '%-6s %8.0f %8.0f %10.3f %10.3f %7s %13.3f %10s %11s %8.1f %9s %9s\n' "$size" "$(awk -v b="$bytes" 'BEGIN{print b/1e6}')" "$(awk -v b="$iis_bytes" 'BEGIN{print b/1e6}')" "$rg_s" "$ex_s" "$ratio" "$rgc_s" "$ratio_checks" "$mbps" "$(awk -v k="$rss_kb" 'BEGIN{print k/1024}')" "$found/$expected" "$content_s"
  awk -v r="$ratio" -v m="$mbps" -v k="$rss_kb" 'BEGIN{exit !(r<=2 && m>=1000 && k<200*1024)}' || status=1
  [ "$found" = "$expected" ] || status=1
done
echo
if [ $status = 0 ]; then echo "bench: all targets met"; else echo "bench: a target was missed (see above)"; fi
exit $status
