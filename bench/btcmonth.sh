#!/usr/bin/env bash
# A month of a busy Bitcoin node: how fast netlens loads its message log,
# runs the peers analyses on it (DuckDB), decodes P2P messages from
# captures, and how it compares with the seed's pandas ETL.
#
#   bench/btcmonth.sh                        # 100 M messages
#   MESSAGES=1000000000 LABEL=1G bench/btcmonth.sh
#   PANDAS_DAYS=3 bench/btcmonth.sh          # days of the month pandas reads (default 3)
#   REUSE=1 bench/btcmonth.sh                # keep the dataset of an earlier run: no ingest
#
# Writes bench/out/btcmonth-LABEL/ (the log, zstd, ~12 bytes a message)
# once and the dataset beside it. Needs GNU time and Debian's
# python3-pandas (/usr/bin/python3). Goals: ingest >= 2 M rows/s; each
# analysis < 30 s and < 2 GB peak RSS; decoding >= 500 MB/s per core.
set -euo pipefail
cd "$(dirname "$0")/.."

out=bench/out
messages=${MESSAGES:-100000000}
label=${LABEL:-100M}
corpus=${CORPUS:-../shared/corpus/bitcoin}
pandas_days=${PANDAS_DAYS:-3}
log=$out/btcmonth-$label
ds=$out/btcmonth-$label.ds
mkdir -p "$out"

go build -o "$out/netlens" ./cmd/netlens
go build -o "$out/btcmonth" ./bench/btcmonth
if [ ! -d "$log" ]; then
  "$out/btcmonth" -messages "$messages" -o "$log" -corpus "$corpus" 2>/dev/null
fi
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"

# timed CMD...: runs CMD under GNU time; sets wall, cpu (user + system) and
# rss_mb.
timed() {
  /usr/bin/time -f '%e %U %S %M' -o "$out/btcmonth.time" "$@" >/dev/null
  read -r wall user sys rss <"$out/btcmonth.time"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')
  rss_mb=$((rss / 1024))
}

verdict() { awk -v v="$1" -v g="$2" -v dir="$3" 'BEGIN {print ((dir == "<" && v < g) || (dir == ">=" && v >= g)) ? "ok" : "MISSED"}'; }

# Log ingest.
if [ "${REUSE:-0}" = 1 ] && [ -f "$ds/manifest.json" ]; then
  echo "ingest  skipped: the dataset of an earlier run (REUSE=1)"
else
  rm -rf "$ds"
  timed "$out/netlens" ingest "$log/*.csv.zst" -d "$ds" -q
  rows=$("$out/netlens" query -d "$ds" --format csv "SELECT count(*) FROM peer_messages" | tail -1)
  rate=$(awk -v n="$rows" -v w="$wall" 'BEGIN {printf "%.0f", n / w}')
  cpurate=$(awk -v n="$rows" -v c="$cpu" 'BEGIN {printf "%.0f", n / c}')
  printf 'ingest  %d rows in %ss: %d rows/s (%d rows per cpu-s), peak RSS %d MB  [goal >= 2000000 rows/s: %s]\n' \
    "$rows" "$wall" "$rate" "$cpurate" "$rss_mb" "$(verdict "$rate" 2000000 '>=')"
fi

# The peers analyses on DuckDB.
for a in peer_traffic message_share suspicious_peers conn_type_traffic estimate_check; do
  timed "$out/netlens" run "$a" -d "$ds" --format csv
  printf '%-18s %6ss wall, %6ss cpu, peak RSS %5d MB  [goal < 30 s: %s, < 2048 MB: %s]\n' \
    "$a" "$wall" "$cpu" "$rss_mb" "$(verdict "$wall" 30 '<')" "$(verdict "$rss_mb" 2048 '<')"
done

# P2P decoding from captures, per core.
go test ./decode/bitcoin -run '^$' -bench 'Capture' -benchmem -cpu 1 -benchtime 100x -count 1 | grep '^Benchmark'

# The seed's pandas ETL against netlens on the first days of the log,
# plain CSV for both: read, estimate, aggregate per day, message type, peer
# and direction.
sub=$out/btcmonth-$label-pandas
rm -rf "$sub" && mkdir -p "$sub/log"
for f in $(ls "$log"/*.csv.zst | head -n "$pandas_days"); do
  zstd -dcq "$f" >"$sub/log/$(basename "$f" .zst)"
done
timed /usr/bin/python3 bench/btcmonth/seed_etl.py "$sub/daily.csv" "$sub"/log/*.csv
pandas_wall=$wall pandas_rss=$rss_mb
subrows=$(cat "$sub"/log/*.csv | grep -vc '^timestamp')
timed "$out/netlens" ingest "$sub/log/*.csv" -d "$sub/ds" -q
nl_ingest=$wall
timed "$out/netlens" query -d "$sub/ds" --format csv "SELECT date_trunc('day', ts) AS day, msg_type, peer_id, peer_addr, direction,
  sum(payload_size) AS payload, sum(message_size) AS message, sum(tcpip_size) AS tcpip
  FROM peer_messages GROUP BY date_trunc('day', ts), msg_type, peer_id, peer_addr, direction"
nl_wall=$(awk -v a="$nl_ingest" -v b="$wall" 'BEGIN {printf "%.2f", a + b}')
printf 'pandas ETL on %d messages (%d days): %ss, peak RSS %d MB; netlens ingest + aggregation %ss: %.1fx\n' \
  "$subrows" "$pandas_days" "$pandas_wall" "$pandas_rss" "$nl_wall" "$(awk -v p="$pandas_wall" -v n="$nl_wall" 'BEGIN {print p / n}')"
echo "machine: load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
