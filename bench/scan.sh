#!/usr/bin/env bash
# Times netlens ingest on real traffic as it is and on scans, and prints
# packets/s, CPU seconds per packet and peak memory beside the wall time:
#
#   mix      corpus captures repeated as they are (no address rewriting:
#            few conversations, each copy continuing the last one's flows)
#   scan-2M  2 M TCP SYNs from random sources in 30 s: 2 M flows alive at
#            once, as a telescope or an attacked server sees
#   scan-20M 20 M such SYNs in 300 s
#   scanners-300  2 M SYNs in 30 s from 300 sources, each sweeping the
#            scanned /16 (a telescope's busy scanners: 300 sources with
#            thousands of edges each); not in the default cases
#
#   bench/scan.sh                 # all three, 3 runs each: min and median
#   RUNS=5 CASES="mix scan-2M" bench/scan.sh
#   OTHERS=0 bench/scan.sh        # leave out cat and softflowd/argus on the same files
#   REPORT=0 bench/scan.sh        # leave out the whole report (ingest + analyses) against the ingest
#
# Needs GNU time (/usr/bin/time) and capinfos; softflowd and argus are
# timed when installed. The captures are written to bench/out once.
set -euo pipefail
cd "$(dirname "$0")/.."

out=bench/out
runs=${RUNS:-3}
cases=${CASES:-mix scan-2M scan-20M}
corpus=${CORPUS:-../shared/corpus/pcaps}
mkdir -p "$out"
make build >/dev/null

capture() {
  local f=$out/$1.pcap
  if [ ! -f "$f" ]; then
    echo "building $f ..." >&2
    case $1 in
      mix) go run ./bench/mkcapture -o "$f" -size 400MB -rewrite=false "$corpus" ;;
      scan-2M) go run ./bench/mkscan -o "$f" -n 2000000 -duration 30s ;;
      scan-20M) go run ./bench/mkscan -o "$f" -n 20000000 -duration 300s ;;
      scanners-300) go run ./bench/mkscan -o "$f" -n 2000000 -duration 30s -scanners 300 ;;
      *) echo "unknown case $1" >&2; exit 2 ;;
    esac
  fi
  echo "$f"
}

# timed NAME CMD...: runs CMD under GNU time and appends "wall cpu rss_kib"
# to $out/NAME.times.
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$out/$name.time" "$@" >/dev/null 2>"$out/$name.err" || {
    echo "$name failed:" >&2; cat "$out/$name.err" >&2; exit 1; }
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$out/$name.time" >>"$out/$name.times"
}

median() { sort -n | awk '{v[NR] = $1} END {m = int((NR + 1) / 2); print (NR % 2 ? v[m] : (v[m] + v[m + 1]) / 2)}'; }

# row LABEL NAME PACKETS: one line of the table from NAME's runs.
row() {
  local f=$out/$2.times
  printf '%s %s %s %s %d\n' "$(cut -d' ' -f1 "$f" | sort -n | head -1)" "$(cut -d' ' -f1 "$f" | median)" \
    "$(cut -d' ' -f2 "$f" | median)" "$(($(cut -d' ' -f3 "$f" | sort -n | tail -1) / 1024))" "$3" |
    awk -v label="$1" '{printf "%-28s %7.2f %7.2f %8.2f %11.2f M %9.3f us %6d MiB\n", label, $1, $2, $3, $5 / $2 / 1e6, $3 / $5 * 1e6, $4}'
}

echo "load before: $(uptime | sed 's/.*load average: //')"
printf '%-28s %7s %7s %8s %13s %12s %10s\n' "" "min s" "median" "CPU s" "packets/s" "CPU/packet" "peak RSS"
for c in $cases; do
  pcap=$(capture "$c")
  packets=$(capinfos -c -M "$pcap" | awk -F': *' '/Number of packets/ {print $2}')
  rm -f "$out/scan-$c".*.times
  # Ingest and report alternate, so that both see the same machine.
  for _ in $(seq "$runs"); do
    rm -rf "$out/scan-ds"
    timed "scan-$c.netlens" bin/netlens ingest -q "$pcap" -d "$out/scan-ds"
    if [ "${REPORT:-1}" != 0 ]; then
      rm -rf "$out/scan-report"
      timed "scan-$c.report" bin/netlens report -q "$pcap" -o "$out/scan-report"
    fi
  done
  echo "$c: $packets packets, $(($(stat -c %s "$pcap") / 1000000)) MB"
  row "  netlens ingest" "scan-$c.netlens" "$packets"
  if [ "${REPORT:-1}" != 0 ]; then
    row "  netlens report" "scan-$c.report" "$packets"
    echo "  report / ingest: $(cut -d' ' -f1 "$out/scan-$c.report.times" | median) / $(cut -d' ' -f1 "$out/scan-$c.netlens.times" | median)" |
      awk '{printf "  report / ingest: %.2fx (medians of wall time)\n", $4 / $6}'
  fi
  if [ "${OTHERS:-1}" != 0 ]; then
    timed "scan-$c.cat" cat "$pcap"
    row "  cat" "scan-$c.cat" "$packets"
    if command -v softflowd >/dev/null; then
      timed "scan-$c.softflowd" softflowd -r "$pcap" -n 127.0.0.1:9
      row "  softflowd (8192 flows max)" "scan-$c.softflowd" "$packets"
    fi
    if command -v argus >/dev/null; then
      timed "scan-$c.argus" argus -r "$pcap" -w "$out/scan.argus"
      rm -f "$out/scan.argus"
      row "  argus" "scan-$c.argus" "$packets"
    fi
  fi
done
rm -rf "$out/scan-ds" "$out/scan-report"
echo "load after: $(uptime | sed 's/.*load average: //')"
