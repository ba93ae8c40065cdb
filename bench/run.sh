#!/usr/bin/env bash
# Times netlens against tshark on the same large capture and prints the ratio.
#
#   bench/run.sh            # builds bench/out/bench.pcap (1 GB) from the corpus once, then times
#   SIZE=200MB bench/run.sh # a smaller capture
#
# Needs tshark, capinfos and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."

out=bench/out
size=${SIZE:-1GB}
corpus=${CORPUS:-../shared/corpus/pcaps}
pcap=$out/bench-$size.pcap
mkdir -p "$out"

make build >/dev/null
if [ ! -f "$pcap" ]; then
  echo "building $pcap from $corpus ..." >&2
  go run ./bench/mkcapture -o "$pcap" -size "$size" "$corpus"
fi

packets=$(capinfos -c -M "$pcap" | awk -F': *' '/Number of packets/ {print $2}')
bytes=$(stat -c %s "$pcap")

# timed NAME CMD...: runs CMD under GNU time, sets secs_NAME and rss_NAME (MiB).
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$out/$name.time" "$@" >/dev/null 2>"$out/$name.err" || {
    echo "$name failed:" >&2; cat "$out/$name.err" >&2; exit 1; }
  read -r s kb <"$out/$name.time"
  printf -v "secs_$name" '%s' "$s"
  printf -v "rss_$name" '%s' "$((kb / 1024))"
}

sync
rm -rf "$out/ds"
timed ingest bin/netlens ingest -q "$pcap" -d "$out/ds"
timed tshark tshark -n -q -z conv,tcp -r "$pcap"
rm -rf "$out/report"
timed report bin/netlens report -q "$pcap" -o "$out/report"

awk -v p="$packets" -v b="$bytes" \
    -v ni="$secs_ingest" -v nr="$rss_ingest" -v ts="$secs_tshark" -v tr="$rss_tshark" \
    -v rs="$secs_report" -v rr="$rss_report" 'BEGIN {
  printf "capture: %s packets, %.1f MB\n", p, b / 1e6
  printf "%-34s %9s %12s %9s %10s\n", "", "seconds", "packets/s", "MB/s", "peak RSS"
  printf "%-34s %9.2f %12.0f %9.1f %7d MiB\n", "netlens ingest", ni, p / ni, b / 1e6 / ni, nr
  printf "%-34s %9.2f %12.0f %9.1f %7d MiB\n", "tshark -q -z conv,tcp", ts, p / ts, b / 1e6 / ts, tr
  printf "%-34s %9.2f %12.0f %9.1f %7d MiB\n", "netlens report (ingest + analyses)", rs, p / rs, b / 1e6 / rs, rr
  printf "ratio: netlens ingest is %.1fx faster than tshark conversation statistics\n", ts / ni
  printf "ratio: the whole report takes %.1fx the time of the ingest alone\n", rs / ni
}'
