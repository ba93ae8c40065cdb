#!/usr/bin/env bash
# Compares netlens' word2vec (package embed) with gensim's on the same
# DarkVec corpus of a generated telescope month, with DarkVec's
# hyper-parameters: training time and the leave-one-out 7-NN accuracy over
# the labelled senders of the last day. Then times the whole embeddings
# analysis on that month's packets (ingest apart).
#
#   bench/embeddings.sh                 # 15 M packets
#   PACKETS=1000000 bench/embeddings.sh # a smaller month
#   THREADS=1 bench/embeddings.sh       # one training thread each
#   E2E=0 bench/embeddings.sh           # leave out the analysis on the pcap
#
# Needs Debian's python3-gensim and python3-sklearn (apt-get install -y
# python3-gensim python3-sklearn) and GNU time. The machine's load is
# printed with the figures: on a shared machine, wall times are only
# upper bounds; CPU times say more.
set -euo pipefail
cd "$(dirname "$0")/.."

packets=${PACKETS:-15000000}
threads=${THREADS:-2}
e2e=${E2E:-1}
py=${PYTHON:-/usr/bin/python3}
out=bench/out/embeddings-$packets
mkdir -p "$out"

go build -o bench/out/w2v ./bench/w2v
make build >/dev/null
if [ ! -f "$out/corpus.txt" ]; then
  pcap=()
  [ "$e2e" = 1 ] && pcap=(-pcap "$out/month.pcap")
  bench/out/w2v gen -packets "$packets" -noise $((packets / 100)) -mirai $((packets / 1500)) -o "$out" "${pcap[@]}"
fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "netlens: $(bench/out/w2v train -dir "$out" -threads "$threads")"
echo "gensim:  $("$py" bench/embeddings.py "$out" "$threads")"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$e2e" = 1 ] && [ -f "$out/month.pcap" ]; then
  ds=$out/ds
  if [ ! -d "$ds" ]; then
    /usr/bin/time -f "ingest: %e s, %M KB peak RSS" bin/netlens ingest "$out/month.pcap" -d "$ds" >/dev/null
    bin/netlens label -d "$ds" --kind class "$out/gt.csv" >/dev/null
  fi
  /usr/bin/time -f "embeddings analysis: %e s wall, %U s user, %M KB peak RSS" \
    bin/netlens run embeddings -d "$ds" --set threads="$threads" --format csv >"$out/embeddings_run.txt"
  grep -i "accuracy\|clusters" "$out/embeddings_run.txt" || true
  echo "load after the analysis: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
