#!/usr/bin/env bash
# Runs the darknet group on ClickHouse over a synthetic telescope month:
# generates the month's zstd CSV (bench/telescope), ingests it with its
# ground-truth classes, starts a clickhouse-server of its own on loopback
# ports (Debian's package, data under bench/out/telescope-ch), pushes the
# dataset and times `netlens run` of every darknet analysis but embeddings
# there: wall and processor time of netlens, the server's processor time
# and its peak resident memory, with the machine's load.
#
#   bench/telescope-clickhouse.sh                     # 15 M packets
#   PACKETS=300000000 bench/telescope-clickhouse.sh   # the 300 M month
#   KEEP=1 ...                                        # keep the dataset and the server's data,
#                                                     # and use them again: no new push
#   KEEP_CSV=1 ...                                    # write the zstd CSV, ingest it, keep it
#
# The generator's CSV goes into `netlens ingest - --no-copy` through a
# pipe, with no copy on disk (bench/telescope makes the same bytes again
# from the seed), unless KEEP_CSV=1 or the CSV is there already. The
# dataset (with its classes) is deleted once pushed and the server's data
# at the end, unless KEEP=1; a kept dataset is used again.
# Disk for the 300 M month: 7.7 GB of dataset (and 8.5 GB of zstd CSV
# with KEEP_CSV=1), then
# about 40 bytes a packet in ClickHouse 18.16 once its parts are merged
# (12 GB), and more while it loads (17 GB at 139 M packets).
set -euo pipefail
cd "$(dirname "$0")/.."

packets=${PACKETS:-15000000}
seed=${SEED:-1}
keep=${KEEP:-0}
out=bench/out/telescope
chdir=bench/out/telescope-ch
classes=${CLASSES:-../shared/corpus/darknet/big_gt.csv}
. bench/chserver.sh
[ -x "$chserver" ] || { echo "clickhouse-server not installed (apt-get install clickhouse-server)" >&2; exit 1; }
mkdir -p "$out"
nl=${NETLENS:-$out/netlens} # NETLENS=path: that binary rather than one built here
[ -n "${NETLENS:-}" ] || go build -o "$nl" ./cmd/netlens
go build -o "$out/telescope" ./bench/telescope

name=month-$packets-s$seed
src=$out/$name.csv.zst
ds=$out/$name.ds
load() { cut -d' ' -f1 /proc/loadavg; }

if [ ! -f "$ds/.complete" ]; then
  rm -rf "$ds"
  l=$(load)
  if [ -f "$src" ] || [ "${KEEP_CSV:-0}" = 1 ]; then
    if [ ! -f "$src" ]; then
      echo "generating $src (load $l)"
      "$out/telescope" -packets "$packets" -seed "$seed" -o "$out/$name.tmp.csv.zst" # .zst: compressed
      mv "$out/$name.tmp.csv.zst" "$src"
    fi
    what=ingest
    /usr/bin/time -f '%e %U %S %M' -o "$out/ingest.time" "$nl" ingest "$src" -d "$ds" >"$out/ingest.log" 2>&1
  else
    # No copy on disk: the generator's CSV goes straight into the dataset.
    what="generate | ingest --no-copy"
    "$out/telescope" -packets "$packets" -seed "$seed" -o - 2>"$out/generate.log" |
      /usr/bin/time -f '%e %U %S %M' -o "$out/ingest.time" "$nl" ingest - --no-copy -d "$ds" >"$out/ingest.log" 2>&1
    cat "$out/generate.log"
  fi
  read -r wall user sys rss <"$out/ingest.time"
  awk -v what="$what" -v n="$packets" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v l="$l" 'BEGIN {
    printf "%s: %d rows in %.1f s wall = %.2f M rows/s; netlens CPU %.1f s; peak RSS %.0f MiB; load %s\n",
      what, n, w, n / w / 1e6, u + s, r / 1024, l }'
  "$nl" label -d "$ds" --kind class "$classes" >/dev/null
  touch "$ds/.complete"
fi

pushed=$chdir/$name.pushed # with KEEP=1, the server's data of an earlier run
if [ "$keep" = 1 ] && [ -f "$pushed" ]; then start_clickhouse "$chdir" keep; else start_clickhouse "$chdir"; fi
cleanup() {
  stop_clickhouse
  if [ "$keep" != 1 ]; then rm -rf "$chdir" "$ds"; fi
}
trap cleanup EXIT
engine=clickhouse://127.0.0.1:$tcp/telescope
echo "ClickHouse $(curl -s "http://127.0.0.1:$http/?query=SELECT%20version()") on loopback, pid $pid"

server_cpu() { awk '{print ($14 + $15) / 100}' "/proc/$pid/stat"; }
server_hwm() { awk '/^VmHWM:/ {print int($2 / 1024)}' "/proc/$pid/status"; }
server_rss() { awk '/^VmRSS:/ {print int($2 / 1024)}' "/proc/$pid/status"; }

# timed NAME CMD...: runs CMD under GNU time and prints one line: netlens'
# wall and CPU, its peak RSS, the server's CPU and peak RSS so far.
timed() {
  local name=$1; shift
  local l c0 c1 wall user sys rss
  l=$(load) c0=$(server_cpu)
  if ! /usr/bin/time -f '%e %U %S %M' -o "$chdir/$name.time" "$@" >"$chdir/$name.out" 2>"$chdir/$name.err"; then
    echo "$name failed:" >&2; cat "$chdir/$name.err" >&2; tail -5 "$chdir/log/error.log" >&2; exit 1
  fi
  c1=$(server_cpu)
  read -r wall user sys rss <"$chdir/$name.time"
  awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v c="$(echo "$c1 - $c0" | bc)" \
      -v h="$(server_hwm)" -v now="$(server_rss)" -v l="$l" 'BEGIN {
    printf "%-14s %7.1f s wall  netlens CPU %6.1f s %5.0f MiB  server CPU %7.1f s, RSS %5d MiB now, peak %5d MiB  load %s\n",
      n, w, u + s, r / 1024, c, now, h, l }'
}

[ -f "$pushed" ] || timed push "$nl" push -q -d "$ds" --engine "$engine"
rows=$("$nl" query --engine "$engine" --format csv "SELECT count() AS n FROM packets" | tail -1)
echo "packets in ClickHouse: $rows; on disk: $(du -sh "$chdir/data" | cut -f1)"
[ "$rows" = "$packets" ] || { echo "pushed $rows packets of $packets" >&2; exit 1; }
touch "$pushed"
[ "$keep" = 1 ] || rm -rf "$ds"
for a in darknet_stats port_rank activity sender_filter daily_senders classes class_activity class_services; do
  set=()
  [ "$a" = class_activity ] && set=(--set class=stretchoid)
  timed "$a" "$nl" run "$a" --engine "$engine" "${set[@]}" --format csv
done
