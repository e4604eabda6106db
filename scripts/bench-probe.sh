#!/usr/bin/env bash
# Probe benchmark: exhunt probe --active against N pretend Exchange servers
# on loopback addresses (127.1.0.0 and up, one TLS port each, served by
# internal/exchangemock/cmd/mockfleet), for N in $SIZES. Prints hosts per
# second, peak memory, the CPU time of exhunt and of the fleet (they share
# the machine), and how many targets were classified as expected.
#
# When nmap and a copy of Microsoft's http-vuln-cve2021-26855.nse ($NSE)
# are at hand, nmap checks the same targets in the same run, for N up to
# $NMAP_MAX, and the ratio of the times is printed. The script was removed
# from microsoft/CSS-Exchange in commit 1c33bb8; a clone of that repository
# gives it with
#   git show 1c33bb8^:Security/src/http-vuln-cve2021-26855.nse > /tmp/http-vuln-cve2021-26855.nse
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"2000 20000"}
CONCURRENCY=${CONCURRENCY:-256}
RUNS=${RUNS:-2}
NSE=${NSE:-}
NMAP_MAX=${NMAP_MAX:-20000}
need() { command -v "$1" >/dev/null 2>&1; }
if ! need nmap || ! need bc || [ ! -x /usr/bin/time ]; then
  echo "installing nmap, bc, time (Debian packages)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nmap bc time >/dev/null
fi
work=$(mktemp -d)
fleet_pid=
trap '[ -n "$fleet_pid" ] && kill $fleet_pid 2>/dev/null; rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/exhunt" ./cmd/exhunt
CGO_ENABLED=0 go build -o "$work/mockfleet" ./internal/exchangemock/cmd/mockfleet
"$work/mockfleet" -addr 0.0.0.0:8443 > "$work/fleet.log" 2>&1 &
fleet_pid=$!
for _ in $(seq 50); do grep -q listening "$work/fleet.log" && break; sleep 0.1; done
grep -q listening "$work/fleet.log" || { echo "mockfleet did not start: $(cat "$work/fleet.log")"; exit 1; }

# Requests the fleet has served so far.
fleet_requests() {
  python3 -c 'import ssl, urllib.request; print(urllib.request.urlopen("https://127.0.0.1:8443/mockfleet/requests", context=ssl._create_unverified_context()).read().decode().strip())'
}

# CPU seconds (user + system) the fleet has used so far.
fleet_cpu() { awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / t}' "/proc/$fleet_pid/stat"; }

use_nmap=
if [ -n "$NSE" ] && [ -f "$NSE" ] && command -v nmap > /dev/null; then
  use_nmap=1
else
  echo "nmap comparison skipped: set NSE to a copy of http-vuln-cve2021-26855.nse and install nmap"
fi

# measure OUT CMD...: runs CMD with its output in OUT and sets secs, rss
# (KB), cpu (its user + system seconds) and fleet (the fleet's).
measure() {
  local out=$1 f0 r0 start end user sys
  shift
  r0=$(fleet_requests)
  f0=$(fleet_cpu)
  start=$(date +%s.%N)
  /usr/bin/time -f '%M %U %S' -o "$work/time" "$@" > "$out" 2> "$work/err" || true
  end=$(date +%s.%N)
  fleet=$(echo "$(fleet_cpu) - $f0" | bc -l)
  requests=$(( $(fleet_requests) - r0 ))
  secs=$(echo "$end - $start" | bc -l)
  read -r rss user sys < <(tail -1 "$work/time")
  cpu=$(echo "$user + $sys" | bc -l)
}

# row TOOL N RIGHT NOTE: prints the last measure.
row() {
  printf '%-6s %-7s %8.2f %8.0f %8.1f %9.2f %9.2f %9.2f %11s %s\n' "$1" "$2" "$secs" "$(echo "$2 / $secs" | bc -l)" \
    "$(echo "$rss / 1024" | bc -l)" "$cpu" "$fleet" "$(echo "$requests / $2" | bc -l)" "$3/$2" "$4"
}

printf '%-6s %-7s %8s %8s %8s %9s %9s %9s %11s %s\n' tool targets seconds hosts/s "RSS MB" "CPU s" "fleet s" "req/host" "as expected" notes
for n in $SIZES; do
  "$work/mockfleet" -list "$n" > "$work/expect.tsv"
  tail -n +2 "$work/expect.tsv" | cut -f1 > "$work/targets.txt"
  cut -d: -f1 "$work/targets.txt" > "$work/hosts.txt"
  for run in $(seq "$RUNS"); do
    measure "$work/out.jsonl" "$work/exhunt" probe --active --insecure --quiet --format jsonl \
      --concurrency "$CONCURRENCY" --max-targets "$n" --targets "$work/targets.txt"
    right=$(python3 - "$work/expect.tsv" "$work/out.jsonl" <<'PY'
import json, sys
expect = {}
for line in open(sys.argv[1]).read().splitlines()[1:]:
    target, kind, vulnerable, failed, ssrf = line.split("\t")
    expect["https://" + target] = (vulnerable, failed == "true", ssrf == "true")
right = 0
for line in open(sys.argv[2]):
    r = json.loads(line)
    routed = any("routed to the server's own back end" in e for e in r["evidence"])
    if expect.get(r["target"]) == (r["vulnerable"], bool(r.get("error")), routed):
        right += 1
print(right)
PY
)
    row exhunt "$n" "$right" "run $run"
    exhunt_secs=$secs
    if [ -n "$use_nmap" ] && [ "$n" -le "$NMAP_MAX" ]; then
      measure "$work/nmap.out" nmap -Pn -n -p 8443 --script "$NSE" -iL "$work/hosts.txt" -oN "$work/nmap.txt"
      # nmap says only VULNERABLE or nothing: right when it says so of
      # exactly the targets that route the request.
      right=$(python3 - "$work/expect.tsv" "$work/nmap.txt" <<'PY'
import re, sys
ssrf = {}
for line in open(sys.argv[1]).read().splitlines()[1:]:
    target, kind, vulnerable, failed, routed = line.split("\t")
    ssrf[target.split(":")[0]] = routed == "true"
said, host = {}, None
for line in open(sys.argv[2]):
    m = re.match(r"Nmap scan report for (\S+)", line)
    if m:
        host = m.group(1)
        said[host] = False
    elif host and "State: VULNERABLE" in line:
        said[host] = True
print(sum(1 for h, v in ssrf.items() if said.get(h) == v))
PY
)
      row nmap "$n" "$right" "run $run, $(printf %.2f "$(echo "$secs / $exhunt_secs" | bc -l)") times exhunt's time"
    fi
  done
done
echo "'as expected': exhunt's verdict, failure and CVE-2021-26855 answer per target; nmap's VULNERABLE or not"
echo "per target. req/host: the HTTP requests the fleet served per target (nmap's port scan is not one)."
