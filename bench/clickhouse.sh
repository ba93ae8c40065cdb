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
server=/usr/sbin/clickhouse-server
[ -x "$server" ] || { echo "clickhouse-server not installed (apt-get install clickhouse-server)" >&2; exit 1; }
make build >/dev/null

# free returns a loopback port nothing listens on.
free() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
tcp=$(free) http=$(free) inter=$(free)
dir=$out/clickhouse
rm -rf "$dir" && mkdir -p "$dir/data" "$dir/tmp" "$dir/log"
"$server" --config-file=/etc/clickhouse-server/config.xml -- \
  --listen_host=127.0.0.1 --tcp_port="$tcp" --http_port="$http" --interserver_http_port="$inter" \
  --path="$PWD/$dir/data/" --tmp_path="$PWD/$dir/tmp/" \
  --logger.log="$PWD/$dir/log/server.log" --logger.errorlog="$PWD/$dir/log/error.log" \
  >"$dir/log/console.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ "$(curl -s "http://127.0.0.1:$http/ping" 2>/dev/null)" = "Ok." ] && break
  sleep 0.2
done
[ "$(curl -s "http://127.0.0.1:$http/ping")" = "Ok." ] || { echo "clickhouse-server did not start:" >&2; tail "$dir/log/error.log" >&2; exit 1; }
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
