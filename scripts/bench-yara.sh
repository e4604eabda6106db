#!/usr/bin/env bash
# Benchmark: exhunt yara against yara -r, the same rules over the same tree
# in the same run. Not part of CI.
#
#   scripts/bench-yara.sh                     # make bench-yara
#   BENCH_RUNS=10 scripts/bench-yara.sh
#   BENCH_YARA_RULES="a.yar b.yar" scripts/bench-yara.sh
#
# The tree (made once under ./bench-data/yara-tree, reused after) holds
# about 600 MB of mixed files: an Exchange server's logs, pages and dumps
# from exhunt-testserver; generated ASPX-like pages, a few of them with
# web shell code; random binaries; and copies of the machine's own library
# and shared files.
#
# For each rules file it prints both times (mean of BENCH_RUNS warm runs,
# the page cache filled before each run so that neither tool pays for disk
# reads the other did not), both throughputs, the ratio exhunt/yara, the
# CPU time (user+system) of each and its ratio (steadier than the elapsed
# time on a machine shared with other jobs), and whether both printed the
# same set of lines. Both run with BENCH_THREADS (2) threads. Target:
# ratio at most 1.0 (goal 0.5).
set -euo pipefail
cd "$(dirname "$0")/.."

data=${BENCH_DIR:-bench-data}
tree=$data/yara-tree
runs=${BENCH_RUNS:-5}
threads=${BENCH_THREADS:-2}
rules=${BENCH_YARA_RULES:-"../shared/data/yara/gen_webshells.yar ../shared/data/yara/apt_hafnium.yar"}

need() { command -v "$1" >/dev/null 2>&1; }
if ! need yara || ! need hyperfine || ! need jq; then
  echo "installing yara, hyperfine, jq (Debian packages)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq yara hyperfine jq >/dev/null
fi
for r in $rules; do
  [ -f "$r" ] || { echo "bench-yara: no rules file $r (../shared/data is needed)"; exit 2; }
done

mkdir -p "$data/bin"
CGO_ENABLED=0 go build -o "$data/bin/exhunt" ./cmd/exhunt
CGO_ENABLED=0 go build -o "$data/bin/exhunt-testserver" ./cmd/exhunt-testserver
exhunt=$data/bin/exhunt

make_tree() {
  rm -rf "$tree"
  mkdir -p "$tree"
  echo "making the tree under $tree (once)"
  # 1. an Exchange server: logs, ASPX pages, dumps, configs
  "$data/bin/exhunt-testserver" --out "$tree/server" --size 250M >/dev/null
  # 2. ASPX-like pages, one in a hundred with web shell code
  awk -v dir="$tree/pages" 'BEGIN {
    srand(42)
    split("Page Control Label TextBox Button GridView Repeater Panel Literal HyperLink", ctl, " ")
    split("Response.Write Server.HtmlEncode Session Request.QueryString ViewState Cache Trace", api, " ")
    system("mkdir -p \"" dir "\"")
    for (i = 0; i < 3000; i++) {
      d = dir "/site" (i % 20)
      if (i < 20) system("mkdir -p \"" d "\"")
      f = d "/page" i ".aspx"
      printf "<%%@ Page Language=\"C#\" AutoEventWireup=\"true\" CodeBehind=\"page%d.aspx.cs\" Inherits=\"Site.Page%d\" %%>\n", i, i > f
      printf "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">\n<head runat=\"server\"><title>Page %d</title></head>\n<body>\n<form id=\"form1\" runat=\"server\">\n", i > f
      n = 100 + int(rand() * 900)
      for (k = 0; k < n; k++) {
        c = ctl[1 + int(rand() * 10)]
        a = api[1 + int(rand() * 7)]
        printf "  <asp:%s ID=\"%s%d\" runat=\"server\" Text=\"<%%= %s(\"v%d\") %%>\" CssClass=\"c%d\" />\n", c, c, k, a, int(rand() * 1000), k % 17 > f
      }
      if (i % 100 == 7) printf "<%%@ Page Language=\"Jscript\"%%><%%eval(Request.Item[\"pass\"],\"unsafe\");%%>\n", "" > f
      if (i % 100 == 42) printf "<script runat=\"server\">void Page_Load(){ System.Diagnostics.Process.Start(\"cmd.exe\", \"/c \" + Request[\"c\"]); }</script>\n", "" > f
      printf "</form>\n</body>\n</html>\n", "" > f
      close(f)
    }
  }'
  # 3. random binaries, 4 KB to 32 MB
  mkdir -p "$tree/random"
  local i=0
  for kb in 4 64 256 1024 4096 16384 32768 32768 16384 4096 1024 256 64 4; do
    head -c $((kb * 1024)) /dev/urandom >"$tree/random/blob$i.bin"
    i=$((i + 1))
  done
  # 4. library and shared files of this machine, up to 150 MB
  mkdir -p "$tree/lib"
  local total=0 limit=$((150 * 1024 * 1024))
  while IFS= read -r -d '' f; do
    s=$(stat -c %s "$f")
    [ $((total + s)) -gt $limit ] && continue
    cp --parents "$f" "$tree/lib/" 2>/dev/null && total=$((total + s))
    [ $total -ge $((limit - 1024 * 1024)) ] && break
  done < <(find /usr/lib/x86_64-linux-gnu /usr/lib /usr/share -xdev -type f -size -16M -print0 2>/dev/null)
  du -sb "$tree" | cut -f1 >"$tree.complete"
}
[ -f "$tree.complete" ] || make_tree
bytes=$(cat "$tree.complete")
files=$(find "$tree" -type f | wc -l)
warm="sh -c 'find \"$tree\" -type f -exec cat {} + > /dev/null'"
eval "$warm"

printf '\ntree: %s, %d files, %.0f MB; %d threads; mean of %d warm runs\n' "$tree" "$files" "$(awk -v b="$bytes" 'BEGIN{print b/1e6}')" "$threads" "$runs"
echo "(wall: elapsed seconds; cpu: user+system seconds, which other jobs on the machine disturb less)"
printf '%-15s %8s %8s %8s %8s %7s %8s %8s %7s %6s %5s\n' rules "yara s" "exh. s" "yara MB/s" "exh. MB/s" ratio "yara cpu" "exh. cpu" "cpu r." lines same
status=0
for r in $rules; do
  name=$(basename "$r" .yar)
  json=$data/hyperfine-yara-$name.json
  hyperfine -N -i -w 1 -r "$runs" --prepare "$warm" --export-json "$json" \
    -n yara "yara -w -r -p $threads '$r' '$tree'" \
    -n exhunt "$exhunt yara -p $threads '$r' '$tree'" >/dev/null
  get() { jq ".results[] | select(.command==\"$1\") | $2" "$json"; }
  y_s=$(get yara .mean)
  e_s=$(get exhunt .mean)
  y_cpu=$(get yara '.user + .system')
  e_cpu=$(get exhunt '.user + .system')
  yara -w -r -p "$threads" "$r" "$tree" 2>/dev/null | sort >"$data/yara-$name.out" || true
  "$exhunt" yara -p "$threads" "$r" "$tree" 2>/dev/null | sort >"$data/exhunt-$name.out" || true
  same=yes
  if ! diff -q "$data/yara-$name.out" "$data/exhunt-$name.out" >/dev/null; then
    same=NO
    status=1
    diff "$data/yara-$name.out" "$data/exhunt-$name.out" | head -20 >&2 || true
  fi
  ratio=$(awk -v a="$e_s" -v b="$y_s" 'BEGIN{printf "%.2f", a/b}')
  cratio=$(awk -v a="$e_cpu" -v b="$y_cpu" 'BEGIN{printf "%.2f", a/b}')
  printf '%-15s %8.2f %8.2f %8.0f %8.0f %7s %8.2f %8.2f %7s %6d %5s\n' "$name" "$y_s" "$e_s" \
    "$(awk -v b="$bytes" -v s="$y_s" 'BEGIN{print b/1e6/s}')" "$(awk -v b="$bytes" -v s="$e_s" 'BEGIN{print b/1e6/s}')" \
    "$ratio" "$y_cpu" "$e_cpu" "$cratio" "$(wc -l <"$data/exhunt-$name.out")" "$same"
  awk -v r="$ratio" 'BEGIN{exit !(r<=1.0)}' || status=1
done
echo
if [ $status = 0 ]; then echo "bench-yara: same lines, exhunt at most yara's time"; else echo "bench-yara: a target was missed (see above)"; fi
exit $status
