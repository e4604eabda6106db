#!/usr/bin/env bash
# Benchmark: exhunt collect against the pair a responder would use by hand,
# zip -r and sha256sum, over the same files of a generated server, in the
# same run.
#
#   scripts/bench-collect.sh                      # a 5 GB server under ./bench-data
#   BENCH_COLLECT_SIZE=1G scripts/bench-collect.sh
#
# exhunt collect reads, hashes and compresses every file once (and scans the
# server first, which is how it knows what to take). The reference gets the
# very files the archive holds: zip (default level, as `zip -r` runs) and
# sha256sum over the manifest's list. The page cache is filled before each
# run so that neither pays for disk reads the other did not.
#
# Prints the size, both times, the ratio, exhunt's throughput and peak RSS,
# and both archives' sizes. Target: exhunt at most the pair's time (goal:
# half of it); memory flat whatever the size.
set -euo pipefail
cd "$(dirname "$0")/.."

size=${BENCH_COLLECT_SIZE:-5G}
data=${BENCH_DIR:-bench-data}
runs=${BENCH_RUNS:-3}

need() { command -v "$1" >/dev/null 2>&1; }
if ! need zip || ! need unzip || ! need jq || [ ! -x /usr/bin/time ]; then
  echo "installing zip, unzip, jq, time (Debian packages)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zip unzip jq time >/dev/null
fi

mkdir -p "$data/bin"
CGO_ENABLED=0 go build -o "$data/bin/exhunt" ./cmd/exhunt
CGO_ENABLED=0 go build -o "$data/bin/exhunt-testserver" ./cmd/exhunt-testserver
exhunt="$(pwd)/$data/bin/exhunt"

root="$data/collect-$size"
if [ ! -f "$root.manifest.json" ]; then
  rm -rf "$root"
  # Four fifths Exchange logs, one fifth IIS logs.
  total=$(numfmt --from=iec "$size")
  "$data/bin/exhunt-testserver" --out "$root" --size "$(( total * 4 / 5 ))" --iis-bytes "$(( total / 5 ))" --manifest "$root.manifest.json" >/dev/null
fi
out="$data/collect-out"
rm -rf "$out" && mkdir -p "$out"
warm() { find "$root" -type f -exec cat {} + >/dev/null; }

best_ex=""; best_rss=0
for i in $(seq "$runs"); do
  warm
  rm -f "$out/ex.zip" "$out/ex.zip.sha256"
  /usr/bin/time -f '%e %M' -o "$out/time.txt" "$exhunt" collect --root "$root" --out "$out/ex.zip" --quiet >/dev/null
  read -r s kb < "$out/time.txt"
  if [ -z "$best_ex" ] || awk "BEGIN{exit !($s < $best_ex)}"; then best_ex=$s; fi
  if [ "$kb" -gt "$best_rss" ]; then best_rss=$kb; fi
done

# The same files, as paths below the root, from the archive's manifest.
unzip -p "$out/ex.zip" manifest.csv | awk -F, 'NR > 1 && $3 == "collected" { sub(/^C\//, "", $1); print $1 }' > "$out/files.txt"
files=$(wc -l < "$out/files.txt")
bytes=$(unzip -p "$out/ex.zip" collection.json | jq .counts.bytes)

best_zip=""; best_sum=""
for i in $(seq "$runs"); do
  warm
  rm -f "$out/ref.zip"
  start=$(date +%s.%N)
  (cd "$root" && zip -q -@ "$OLDPWD/$out/ref.zip" < "$OLDPWD/$out/files.txt")
  mid=$(date +%s.%N)
  (cd "$root" && tr '\n' '\0' < "$OLDPWD/$out/files.txt" | xargs -0 sha256sum > "$OLDPWD/$out/ref.sha256")
  end=$(date +%s.%N)
  z=$(awk "BEGIN{print $mid - $start}"); h=$(awk "BEGIN{print $end - $mid}")
  if [ -z "$best_zip" ] || awk "BEGIN{exit !($z + $h < $best_zip + $best_sum)}"; then best_zip=$z; best_sum=$h; fi
done

ref=$(awk "BEGIN{print $best_zip + $best_sum}")
printf '\n%-6s %7s %9s %8s %9s %11s %8s %11s %8s %11s %11s\n' size files "source MB" "zip s" "sha256 s" "zip+sha s" "exhunt s" "ratio" "MB/s" "RSS MB" "zip MB / ours"
printf '%-6s %7d %9.0f %8.1f %9.1f %11.1f %8.1f %11.2f %8.0f %11.0f %6.0f / %.0f\n' "$size" "$files" "$(awk "BEGIN{print $bytes/1e6}")" \
  "$best_zip" "$best_sum" "$ref" "$best_ex" "$(awk "BEGIN{print $best_ex / $ref}")" "$(awk "BEGIN{print $bytes/1e6/$best_ex}")" \
  "$(awk "BEGIN{print $best_rss/1024}")" "$(awk "BEGIN{print $(stat -c %s "$out/ref.zip")/1e6}")" "$(awk "BEGIN{print $(stat -c %s "$out/ex.zip")/1e6}")"
echo "(best of $runs runs each; ratio = exhunt collect / (zip + sha256sum); target <= 1, goal <= 0.5)"
