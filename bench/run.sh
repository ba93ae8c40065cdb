#!/usr/bin/env bash
# Times netlens against tshark on the same large capture, the whole report
# against the ingest alone, and the report page in Chromium.
#
#   bench/run.sh              # builds bench/out/bench-1GB.pcap from the corpus once, then times
#   SIZE=200MB bench/run.sh   # a smaller capture
#   RUNS=5 bench/run.sh       # time netlens 5 times (default 3): min and median
#   TSHARK=0 bench/run.sh     # leave tshark out (it takes over a minute)
#   CLICKHOUSE=0 bench/run.sh # leave out ClickHouse against DuckDB (bench/clickhouse.sh)
#   GOBENCH=0 bench/run.sh    # leave out the parts (go test -bench -benchmem: decoding, flows, Parquet)
#
# bench/scan.sh times the ingest on real traffic as it is and on scans.
#
# Needs tshark, capinfos, GNU time (/usr/bin/time) and Chromium; ClickHouse
# (Debian's clickhouse-server) for the engine comparison.
set -euo pipefail
cd "$(dirname "$0")/.."

out=bench/out
size=${SIZE:-1GB}
runs=${RUNS:-3}
corpus=${CORPUS:-../shared/corpus/pcaps}
pcap=$out/bench-$size.pcap
mkdir -p "$out"

make build >/dev/null
go build -o "$out/pageload" ./bench/pageload
if [ ! -f "$pcap" ]; then
  echo "building $pcap from $corpus ..." >&2
  go run ./bench/mkcapture -o "$pcap" -size "$size" "$corpus"
fi

packets=$(capinfos -c -M "$pcap" | awk -F': *' '/Number of packets/ {print $2}')
bytes=$(stat -c %s "$pcap")

# timed NAME CMD...: runs CMD under GNU time and appends "wall cpu rss_kib"
# to $out/NAME.times.
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$out/$name.time" "$@" >/dev/null 2>"$out/$name.err" || {
    echo "$name failed:" >&2; cat "$out/$name.err" >&2; exit 1; }
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$out/$name.time" >>"$out/$name.times"
}

sync
rm -f "$out"/*.times
# Ingest and report alternate, so that both see the same machine.
for _ in $(seq "$runs"); do
  rm -rf "$out/ds"
  timed ingest bin/netlens ingest -q "$pcap" -d "$out/ds"
  rm -rf "$out/report"
  timed report bin/netlens report -q "$pcap" -o "$out/report"
done
if [ "${TSHARK:-1}" != 0 ]; then
  timed tshark tshark -n -q -z conv,tcp -r "$pcap"
fi

# stats NAME: "min_wall median_wall median_cpu max_rss_mib runs" of NAME's runs.
median() { sort -n | awk '{v[NR] = $1} END {m = int((NR + 1) / 2); print (NR % 2 ? v[m] : (v[m] + v[m + 1]) / 2)}'; }
stats() {
  local f=$out/$1.times
  printf '%s %s %s %d %d\n' "$(cut -d' ' -f1 "$f" | sort -n | head -1)" "$(cut -d' ' -f1 "$f" | median)" \
    "$(cut -d' ' -f2 "$f" | median)" "$(($(cut -d' ' -f3 "$f" | sort -n | tail -1) / 1024))" "$(wc -l <"$f")"
}

{
  stats ingest
  stats report
  if [ -f "$out/tshark.times" ]; then stats tshark; else echo "- - - - 0"; fi
} | awk -v p="$packets" -v b="$bytes" '
  NR == 1 { iw = $1; im = $2; ic = $3; ir = $4; n = $5 }
  NR == 2 { rw = $1; rm = $2; rc = $3; rr = $4 }
  NR == 3 { tw = $1; tm = $2; tc = $3; tr = $4; tn = $5 }
  END {
    printf "capture: %s packets, %.1f MB; netlens timed %d times (min and median wall, median CPU)\n", p, b / 1e6, n
    printf "%-34s %6s %7s %9s %12s %9s %10s\n", "", "min s", "median", "CPU s", "packets/s", "MB/s", "peak RSS"
    printf "%-34s %6.2f %7.2f %9.2f %12.0f %9.1f %6d MiB\n", "netlens ingest", iw, im, ic, p / im, b / 1e6 / im, ir
    if (tn > 0)
      printf "%-34s %6.2f %7.2f %9.2f %12.0f %9.1f %6d MiB\n", "tshark -q -z conv,tcp", tw, tm, tc, p / tm, b / 1e6 / tm, tr
    printf "%-34s %6.2f %7.2f %9.2f %12.0f %9.1f %6d MiB\n", "netlens report (ingest + analyses)", rw, rm, rc, p / rm, b / 1e6 / rm, rr
    if (tn > 0)
      printf "ratio: netlens ingest is %.1fx faster than tshark conversation statistics\n", tm / im
    printf "ratio: the whole report takes %.2fx the time of the ingest alone (medians; %.2fx min to min)\n", rm / im, rw / iw
  }'
"$out/pageload" -runs "$runs" "$out/report"

# The parts on one core, with their allocations: the hot path allocates
# nothing per packet.
if [ "${GOBENCH:-1}" != 0 ]; then
  go test -run '^$' -bench 'BenchmarkDecode$|BenchmarkAssembler|BenchmarkScan|BenchmarkWritePackets' -benchmem \
    ./decode/ ./flow/ ./dataset/ | grep -E '^Benchmark'
fi

# ClickHouse against DuckDB on the same dataset, when a server can be started.
if [ "${CLICKHOUSE:-1}" != 0 ] && [ -x /usr/sbin/clickhouse-server ]; then
  bench/clickhouse.sh "$out/ds"
fi
