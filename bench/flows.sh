#!/bin/sh
# Flows bench: a year of a synthetic community network (bench/mkflows) as
# Zeek conn.log and as the study's CSV layouts (seed 001), ingested by
# netlens, then every flows analysis timed on DuckDB, and the seed's own
# pandas code path (bench/flows_pandas.py) on the same CSVs.
#
#	bench/flows.sh [FLOWS] [OUT]        FLOWS default 10000000, OUT bench/out/flows
#
# Environment: CSV=0 skips the study-CSV files and dataset (and pandas); PANDAS=0
# skips pandas (it holds every row in memory: about 1 GB per 10 M flows,
# and runs on one core); ENGINE=clickhouse://host:9000/db also times the
# analyses on that server (the dataset is pushed there first); KEEP=1
# keeps the generated files and datasets. Prints, per format, the ingest
# rate; per analysis, wall time and peak RSS (each in its own process, as
# `netlens run` runs it); the seed's time on pandas and the ratio.
set -eu
cd "$(dirname "$0")/.."
N=${1:-10000000}
OUT=${2:-bench/out/flows}
PY=/usr/bin/python3
mkdir -p "$OUT"
go build -o "$OUT/netlens" ./cmd/netlens
go build -o "$OUT/mkflows" ./bench/mkflows
NL="$OUT/netlens"
GEN="$OUT/gen-$N"
CSV=${CSV:-1}

load() { echo "load $(cut -d' ' -f1-3 /proc/loadavg)"; }
echo "machine: $(nproc) cores, $(load)"
if [ ! -f "$GEN/truth.csv" ]; then
	if [ "$CSV" = 0 ]; then
		"$OUT/mkflows" -flows "$N" -dir "$GEN" -csv=false
	else
		"$OUT/mkflows" -flows "$N" -dir "$GEN"
	fi
fi
ls -l "$GEN" | awk 'NR>1 {printf "  %-16s %8.1f MB\n", $9, $5/1e6}'

# timed CMD...: wall seconds, CPU seconds (user + system, all threads)
# and peak RSS (MiB) of one command, into $WALL, $CPU, $RSS. On a machine
# shared with other work, CPU time is the steadier figure.
timed() {
	/usr/bin/time -f '%e %M %U %S' -o "$OUT/time.txt" "$@" >"$OUT/cmd.log" 2>"$OUT/err.log" || { cat "$OUT/cmd.log" "$OUT/err.log"; exit 1; }
	WALL=$(cut -d' ' -f1 "$OUT/time.txt")
	CPU=$(awk '{printf "%.1f", $3 + $4}' "$OUT/time.txt")
	RSS=$(awk '{printf "%.0f", $2/1024}' "$OUT/time.txt")
}

ingest() { # name dataset inputs...
	name=$1
	ds=$2
	shift 2
	rm -rf "$ds"
	timed "$NL" ingest -q -d "$ds" --local-net 10.0.0.0/8 "$@"
	printf "ingest %-24s %10d records %7.1f s (cpu %6.1f s) %5.2f M records/s  peak RSS %5d MiB\n" "$name" "$N" "$WALL" "$CPU" "$(echo "$N $WALL" | awk '{print $1/$2/1e6}')" "$RSS"
}

ZDS="$OUT/ds-zeek-$N"
CDS="$OUT/ds-csv-$N"
ingest "zeek conn.log (TSV)" "$ZDS" "$GEN/conn.log"
[ "$CSV" = 0 ] || ingest "study CSV (3 layouts)" "$CDS" "$GEN/typical.csv" "$GEN/p2p.csv" "$GEN/nouser.csv"
for kind in user org category; do
	case $kind in user) f=users.csv ;; org) f=orgs.csv ;; category) f=categories.csv ;; esac
	"$NL" label -d "$ZDS" --kind $kind "$GEN/$f" >/dev/null 2>&1
	[ $kind = user ] || [ "$CSV" = 0 ] || "$NL" label -d "$CDS" --kind $kind "$GEN/$f" >/dev/null 2>&1
done
echo "labels: $(wc -l <"$GEN/users.csv") user leases, $(wc -l <"$GEN/orgs.csv") org prefixes, $(wc -l <"$GEN/categories.csv") category domains"

analyses="local_external anomalies p2p organisations unanswered"
run_all() { # label dataset [engine flags]
	label=$1
	ds=$2
	shift 2
	for a in $analyses; do
		timed "$NL" run "$a" -d "$ds" "$@" --format csv
		cp "$OUT/cmd.log" "$OUT/$label-$a.csv"
		printf "%-34s %-16s %7.1f s (cpu %6.1f s)  peak RSS %5d MiB\n" "$label" "$a" "$WALL" "$CPU" "$RSS"
	done
}
run_all "duckdb, zeek + user labels" "$ZDS"
[ "$CSV" = 0 ] || run_all "duckdb, study CSV (users by id)" "$CDS"

# The two datasets hold the same flows, users found by labels in one and
# named by the records in the other: the answers must be the same.
[ "$CSV" = 0 ] || for a in local_external anomalies p2p; do
	if cmp -s "$OUT/duckdb, zeek + user labels-$a.csv" "$OUT/duckdb, study CSV (users by id)-$a.csv"; then
		echo "$a: zeek + labels and study CSV agree"
	else
		echo "$a: zeek + labels and study CSV DIFFER" && exit 1
	fi
done

# netlens' bytes against the generator's own totals (truth.csv).
awk -F, 'NR == FNR { if (FNR > 1) truth[$1] = $3; next }
	FNR > 1 { ext += $2 + $3; loc += $4 + $5; p2p += $6 }
	END {
		ok = ext == truth["typical external"] && loc == truth["typical local"] && p2p == truth["p2p"]
		printf "local_external totals %s the generator'"'"'s: external %.0f, local %.0f, p2p %.0f bytes\n", ok ? "equal" : "DIFFER FROM", ext, loc, p2p
		exit !ok
	}' "$GEN/truth.csv" "$OUT/duckdb, zeek + user labels-local_external.csv"

if [ -n "${ENGINE:-}" ]; then
	timed "$NL" push -d "$ZDS" --engine "$ENGINE"
	printf "push to clickhouse %7.1f s\n" "$WALL"
	run_all "clickhouse, zeek + user labels" "$ZDS" --engine "$ENGINE"
fi

if [ "${PANDAS:-1}" != 0 ] && [ "$CSV" != 0 ]; then
	timed $PY bench/flows_pandas.py "$GEN"
	cat "$OUT/cmd.log"
	printf "pandas, the seed's local_traffic.py on the study CSV: %.1f s (cpu %.1f s), peak RSS %d MiB\n" "$WALL" "$CPU" "$RSS"
fi

echo "machine at the end: $(load)"
[ "${KEEP:-0}" = 1 ] || rm -rf "$GEN" "$ZDS" "$CDS"
