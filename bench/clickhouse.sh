#!/usr/bin/env bash
# Times the ClickHouse engine against the embedded DuckDB on the same dataset:
# rows/s loaded into ClickHouse, and the whole report on each engine.
#
#   bench/clickhouse.sh DATASET   # e.g. bench/out/ds, as bench/run.sh leaves it
#
# Starts its own clickhouse-server (Debian's package) on free loopback ports,
# with its data under bench/out/clickhouse, and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

ds=${1:?usage: bench/clickhouse.sh DATASET}
out=bench/out
. bench/chserver.sh
make build >/dev/null

dir=$out/clickhouse
start_clickhouse "$dir"
trap stop_clickhouse EXIT
engine=clickhouse://127.0.0.1:$tcp/bench

# timed NAME CMD...: runs CMD under GNU time, sets secs_NAME and rss_NAME (MiB).
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$out/$name.time" "$@" >/dev/null 2>"$out/$name.err" || {
    echo "$name failed:" >&2; cat "$out/$name.err" >&2; exit 1; }
  read -r s kb <"$out/$name.time"
  printf -v "secs_$name" '%s' "$s"
  printf -v "rss_$name" '%s' "$((kb / 1024))"
}

server_cpu() { awk '{print ($14 + $15) / 100}' "/proc/$pid/stat"; }

c0=$(server_cpu)
timed push bin/netlens push -q -d "$ds" --engine "$engine"
c1=$(server_cpu)
rows=$(bin/netlens query --engine "$engine" --format csv \
  "SELECT (SELECT count() FROM packets) + (SELECT count() FROM flows) + (SELECT count() FROM dns) AS n" | tail -1)
rm -rf "$out/report-duckdb" "$out/report-clickhouse"
timed report_duckdb bin/netlens report -q -d "$ds" -o "$out/report-duckdb"
timed report_clickhouse bin/netlens report -q --engine "$engine" -o "$out/report-clickhouse"
version=$(curl -s "http://127.0.0.1:$http/?query=SELECT%20version()")

awk -v rows="$rows" -v ps="$secs_push" -v pr="$rss_push" -v c0="$c0" -v c1="$c1" \
    -v rd="$secs_report_duckdb" -v rc="$secs_report_clickhouse" -v v="$version" 'BEGIN {
  printf "ClickHouse %s on loopback, same machine\n", v
  printf "%-40s %9.2f s %12.0f rows/s %7d MiB  (server CPU %.1f s)\n", "netlens push (" rows " rows)", ps, rows / ps, pr, c1 - c0
  printf "%-40s %9s %12s\n", "whole report (8 analyses, figures)", "DuckDB", "ClickHouse"
  printf "%-40s %9.2f s %10.2f s\n", "", rd, rc
}'
