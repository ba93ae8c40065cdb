#!/usr/bin/env bash
# Generates a synthetic telescope month (bench/telescope: DarkVec's raw
# CSV layout) and times `netlens ingest` on it: rows/s, wall, CPU and peak
# RSS, with the machine's load, since on a shared machine wall times are
# only upper bounds.
#
#   bench/telescope.sh                     # 15 M packets, one zstd CSV (420 MB)
#   PACKETS=300000000 bench/telescope.sh   # 300 M packets (8.4 GB of zstd CSV, 7.7 GB of dataset)
#   INPUT=plain bench/telescope.sh         # an uncompressed CSV (125 bytes a packet)
#   INPUT=daily bench/telescope.sh         # one zstd file per day, loaded by glob
#   INPUT=pipe bench/telescope.sh          # telescope | netlens ingest -, generating on the same cores
#   INPUT=pipe NOCOPY=1 bench/telescope.sh # the same with ingest --no-copy: no copy of the stream on disk
#   INPUT=pcap bench/telescope.sh          # the same month as a zstd pcap: a telescope's capture
#   RUNS=3 bench/telescope.sh              # three ingests: each is printed
#
# Inputs are generated once into bench/out/telescope and kept; the dataset
# is made again at each run. Needs GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."

packets=${PACKETS:-15000000}
runs=${RUNS:-1}
input=${INPUT:-zst}
seed=${SEED:-1}
out=bench/out/telescope
mkdir -p "$out"

go build -o "$out/netlens" ./cmd/netlens
go build -o "$out/telescope" ./bench/telescope

name=month-$packets-s$seed
# Bytes a packet takes: zstd CSV, plain CSV, and the dataset.
case $input in
  zst|daily|pipe) per=28 ;;
  pcap) per=40 ;;
  plain) per=125 ;;
  *) echo "INPUT is zst, plain, daily, pipe or pcap" >&2; exit 2 ;;
esac
need=$(( packets * (per + 26) ))
nocopy=
if [ "${NOCOPY:-0}" = 1 ]; then nocopy=--no-copy; fi
[ "$input" = pipe ] && [ -z "$nocopy" ] && need=$(( packets * (125 + 26) )) # ingest copies the stream
[ "$input" = pipe ] && [ -n "$nocopy" ] && need=$(( packets * 26 ))
avail=$(df --output=avail -B1 "$out" | tail -1)
if [ "$need" -gt "$avail" ]; then
  echo "needs about $((need >> 30)) GiB on $out, $((avail >> 30)) GiB free" >&2
  exit 1
fi

gen() { "$out/telescope" -packets "$packets" -seed "$seed" "$@"; }
case $input in
  zst)   src=$out/$name.csv.zst; [ -f "$src" ] || gen -o "$src" ;;
  plain) src=$out/$name.csv; [ -f "$src" ] || gen -o "$src" ;;
  pcap)  src=$out/$name.pcap.zst; [ -f "$src" ] || gen -format pcap -o "$src" ;;
  daily) dir=$out/$name-daily; [ -d "$dir" ] || { mkdir -p "$dir.tmp" && gen -daily -o "$dir.tmp" && mv "$dir.tmp" "$dir"; }
         src="$dir/darknet_*.csv.zst" ;;
esac

ds=$out/ds
for run in $(seq "$runs"); do
  rm -rf "$ds"
  load=$(cut -d' ' -f1 /proc/loadavg)
  if [ "$input" = pipe ]; then
    /usr/bin/time -f '%e %U %S %M' -o "$out/ingest.time" \
      bash -c "\"$out/telescope\" -packets $packets -seed $seed -o - 2>/dev/null | \"$out/netlens\" ingest - $nocopy -d \"$ds\"" >"$out/ingest.log" 2>&1
  else
    # $src unquoted: a glob for netlens to expand is passed quoted.
    /usr/bin/time -f '%e %U %S %M' -o "$out/ingest.time" "$out/netlens" ingest "$src" -d "$ds" >"$out/ingest.log" 2>&1
  fi
  rows=$(grep -o 'ingested [0-9]* packets' "$out/ingest.log" | awk '{print $2}')
  if [ "$rows" != "$packets" ]; then
    echo "ingested ${rows:-no} packets of $packets:" >&2; cat "$out/ingest.log" >&2; exit 1
  fi
  read -r wall user sys rss <"$out/ingest.time"
  awk -v n="$rows" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v l="$load" -v inp="$input" -v run="$run" 'BEGIN {
    printf "run %d (%s): %d rows in %.1f s wall = %.2f M rows/s; CPU %.1f s (%.2f us/row); peak RSS %.0f MiB; load %s\n",
      run, inp, n, w, n / w / 1e6, u + s, (u + s) / n * 1e6, r / 1024, l }'
done
du -sh "$ds" | awk '{print "dataset: " $1}'
