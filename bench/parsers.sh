#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/parsers.sh - issue 18's parser benchmark: ringflow's JSON and
# combined parsers against DuckDB (the npm package @duckdb/node-api, two
# threads) on the same grouping, in one run, page cache warm.
#
#   JSON lines (ringflow-loggen --format=json, 1200M):
#     parse json | count, avg(bytes), p99(bytes) by status
#     read_json(..., format='newline_delimited') ... GROUP BY status
#   the combined log of common.sh (1600M):
#     parse combined | count, p99(bytes) by status, path
#     parse combined | count by status                 (parsing, little else)
#     read_csv(..., delim=' ') ... GROUP BY ALL
#
# ringflow runs in --mode=serial (one core: the GB/s per core) and auto.
# Before timing, each shape runs once in ringflow and DuckDB and their
# answers are compared (counts exactly, averages to 1e-9); a mismatch stops
# the benchmark.  DuckDB is installed into bench/node_modules with npm when
# missing.  BENCH_RUNS (5), BENCH_JSON_SIZE (1200M) and common.sh's
# settings change the run.
#
# Writes bench/results/parsers-<host>.md and the hyperfine exports beside it.
set -eu
RUNS=${BENCH_RUNS:-5}
JSON_SIZE=${BENCH_JSON_SIZE:-1200M}
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
need hyperfine awk node npm python3
REPORT=$OUT/parsers-$HOST.md
JSONLOG=$DATA/web-$JSON_SIZE.json
if [ ! -s "$JSONLOG" ]; then
	echo "bench: generating $JSONLOG ($JSON_SIZE, seed 42)"
	"$LOGGEN" --format=json --size "$JSON_SIZE" --seed 42 > "$JSONLOG.tmp" && mv "$JSONLOG.tmp" "$JSONLOG"
fi
if [ ! -f "$HERE/node_modules/@duckdb/node-api/package.json" ]; then
	echo "bench: installing @duckdb/node-api into $HERE/node_modules"
	(cd "$HERE" && npm install --no-audit --no-fund --no-package-lock > /dev/null) ||
		{ echo "bench: npm install failed" >&2; exit 2; }
fi
DUCK="node $HERE/duckdb_query.mjs --threads 2"
DUCKDB_VERSION=$($DUCK --version)

Q_JSON='parse json | count, avg(bytes), p99(bytes) by status'
Q_COMB='parse combined | count, p99(bytes) by status, path'
Q_COUNT='parse combined | count by status'
# DuckDB's sniffer alone reads the combined log as one column; with the
# delimiter given it finds the quotes and the types itself.  column5 is
# the request, column6 the status, column7 the bytes.
CSV="read_csv('$LOG', delim=' ')"
S_JSON="SELECT status, count(*), avg(bytes), approx_quantile(bytes, 0.99) FROM read_json('$JSONLOG', format='newline_delimited') GROUP BY status"
S_COMB="SELECT column6 AS status, split_part(column5, ' ', 2) AS path, count(*), approx_quantile(column7, 0.99) FROM $CSV GROUP BY ALL"
S_COUNT="SELECT column6 AS status, count(*) FROM $CSV GROUP BY ALL"

# ---- the answers first: a benchmark of wrong answers measures nothing
# compare NAME KEYS: ringflow's and DuckDB's tables (TSV, a header line)
# agree: the same groups (the first KEYS columns), the same count (column
# KEYS+1) and, where there is one, the same average (KEYS+2, relative 1e-9).
# The last column, the quantile, is only reported: ringflow's is the value
# at rank floor(q(n-1)) within 1%, DuckDB's a t-digest estimate, and they
# part in small groups (of two values, ringflow's p99 is the smaller); the
# largest relative difference over the groups of 1000 records or more
compare() {
	python3 - "$OUT/$1-ringflow.tsv" "$OUT/$1-duckdb.tsv" "$2" "$3" << 'PY'
import sys
def table(path, keys):
    with open(path) as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:]
    return {tuple(r[:keys]): r[keys:] for r in rows}
keys, has_avg = int(sys.argv[3]), sys.argv[4] == "avg"
rf, dk = table(sys.argv[1], keys), table(sys.argv[2], keys)
bad = [k for k in rf.keys() ^ dk.keys()][:5]
worst = 0.0
for k in rf.keys() & dk.keys():
    a, b = rf[k], dk[k]
    if int(a[0]) != int(b[0]):
        bad.append(k)
    if has_avg and abs(float(a[1]) - float(b[1])) > 1e-9 * max(1.0, abs(float(b[1]))):
        bad.append(k)
    if len(a) > 1 + has_avg and int(a[0]) >= 1000:
        x, y = float(a[-1]), float(b[-1])
        if max(x, y) > 0:
            worst = max(worst, abs(x - y) / max(x, y))
if bad:
    print("MISMATCH in %d groups (of %d, %d), e.g. %s" % (len(bad), len(rf), len(dk), bad[:3]))
    sys.exit(1)
big = sum(int(v[0]) >= 1000 for v in rf.values())
print("%d groups, the same counts%s" % (len(rf), ", averages" if has_avg else "")
      + ("; p99 within %.1f%% of DuckDB's in the %d groups of 1000 or more" % (100 * worst, big)
         if len(next(iter(rf.values()))) > 1 + has_avg else ""))
PY
}
check_answers() {
	name=$1 keys=$2 avg=$3 query=$4 file=$5 sql=$6
	"$RINGFLOW" --format=tsv "$query" "$file" > "$OUT/$name-ringflow.tsv"
	$DUCK "$sql" > "$OUT/$name-duckdb.tsv"
	if ! agree=$(compare "$name" "$keys" "$avg"); then
		echo "bench: $name: ringflow and DuckDB disagree: $agree" >&2
		exit 1
	fi
	echo "$agree"
}
echo "bench: checking the answers"
AGREE_JSON=$(check_answers parsers-json 1 avg "$Q_JSON" "$JSONLOG" "$S_JSON") || exit 1
AGREE_COMB=$(check_answers parsers-combined 2 no "$Q_COMB" "$LOG" "$S_COMB") || exit 1
AGREE_COUNT=$(check_answers parsers-count 1 no "$Q_COUNT" "$LOG" "$S_COUNT") || exit 1
rm -f "$OUT"/parsers-*-ringflow.tsv "$OUT"/parsers-*-duckdb.tsv

# ---- the timings
run() {
	name=$1 file=$2
	shift 2
	cat "$file" > /dev/null
	hyperfine --style basic --output=pipe -w 1 -r "$RUNS" \
		--export-csv "$OUT/$name.csv" --export-markdown "$OUT/$name.md" "$@" > /dev/null
}
# shape NAME FILE QUERY SQL: ringflow serial and auto, and DuckDB
shape() {
	run "$1" "$2" "$RINGFLOW --mode=serial '$3' $2" "$RINGFLOW --mode=auto '$3' $2" "$DUCK \"$4\""
}
echo "bench: timing ($RUNS runs each)"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
shape parsers-json "$JSONLOG" "$Q_JSON" "$S_JSON"
shape parsers-combined "$LOG" "$Q_COMB" "$S_COMB"
shape parsers-count "$LOG" "$Q_COUNT" "$S_COUNT"
# what starting node and DuckDB costs, inside each DuckDB time above
hyperfine --style basic --output=pipe -w 1 -r "$RUNS" --export-csv "$OUT/parsers-startup.csv" \
	"$DUCK \"SELECT 42\"" > /dev/null

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
# where a serial run spends its time, from --stats: the elapsed time and
# each stage's busy seconds, as "elapsed stage:busy..."
stages() {
	"$RINGFLOW" --stats --mode=serial "$1" "$2" 2>&1 > /dev/null |
		awk '$1 == "elapsed" { e = $2 } $1 ~ /^[0-9]+$/ && NF >= 10 { s = s " " $2 ":" $(NF - 3) }
			END { print (e == "" ? "?" : e) s }'
}
STAGES_JSON=$(stages "$Q_JSON" "$JSONLOG")
STAGES_COMB=$(stages "$Q_COMB" "$LOG")
STAGES_COUNT=$(stages "$Q_COUNT" "$LOG")

# ---- the report
med() { median_of "$OUT/$1.csv" "$2"; }
# cpu NAME PREFIX: user + system seconds (hyperfine's means), which waiting
# for a busy CPU does not inflate as it does the wall time
cpu() { stats_of "$OUT/$1.csv" "$2" | awk '{ printf "%.3f", $2 + $3 }'; }
# gbps BYTES SECONDS: decimal GB per second
gbps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.2f", b / s / 1e9; else printf "?" }'; }
# meets GOT GOAL: yes when GOT >= GOAL
meets() { awk -v g="$1" -v w="$2" 'BEGIN { print (g + 0 >= w + 0) ? "yes" : "no" }'; }
# stage_row QUERY BYTES STAGES: where one serial run's time went
stage_row() {
	shown=$(printf '%s' "$1" | sed 's/|/\\|/g')
	# shellcheck disable=SC2086 # STAGES splits into its words on purpose
	set -- "$shown" "$2" $3
	line="| \`$1\` | ${3}s |"
	bytes=$2
	shift 3
	for st in "$@"; do
		line="$line ${st%%:*} ${st#*:}s ($(gbps "$bytes" "${st#*:}") GB/s),"
	done
	echo "${line%,} |"
}
# row STAT NAME QUERY BYTES: a line of a table for the shape NAME, its
# times read with STAT (med or cpu)
row() {
	se=$($1 "parsers-$2" "$RINGFLOW --mode=serial")
	au=$($1 "parsers-$2" "$RINGFLOW --mode=auto")
	dk=$($1 "parsers-$2" "node ")
	shown=$(printf '%s' "$3" | sed 's/|/\\|/g')
	echo "| \`$shown\` | ${se}s | ${au}s | ${dk}s | $(ratio "$dk" "$au")x | $(gbps "$4" "$se") | $(gbps "$4" "$au") |"
}
JSON_BYTES=$(wc -c < "$JSONLOG")
LOG_BYTES=$(wc -c < "$LOG")
flags=$(for f in avx2 avx512f avx512bw avx512vl avx512vbmi avx512_vbmi2 avx512_vpopcntdq vpclmulqdq; do
	grep -qw "$f" /proc/cpuinfo && printf '%s ' "$f"
done)
commit=$(git -C "$TOP" rev-parse --short HEAD 2> /dev/null || echo unknown)
# bench/ changes nothing the binary runs
git -C "$TOP" diff --quiet HEAD -- . ':!bench' 2> /dev/null || commit="$commit (with uncommitted changes)"
{
	echo "# ringflow parsers against DuckDB (issue 18)"
	echo
	echo "Generated by \`bench/parsers.sh\` on $(date -u +%Y-%m-%d): one run, page cache warm,"
	echo "hyperfine medians of $RUNS run(s) after a warm-up; GB are 10^9 bytes."
	echo
	echo "- CPU: $(lscpu | awk -F': *' '/^Model name/ { print $2; exit }'), $(nproc) cores;" \
		"SIMD flags: ${flags:-none of avx2/avx512}"
	echo "- kernel $(uname -r); $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) memory;" \
		"load average (1, 5, 15 min) $LOAD_BEFORE before the timings, $LOAD_AFTER after"
	echo "- ringflow commit $commit; DuckDB $DUCKDB_VERSION (@duckdb/node-api, node $(node --version)," \
		"SET threads=2); $(hyperfine --version)"
	echo "- JSON lines: \`ringflow-loggen --format=json --size $JSON_SIZE --seed 42\`" \
		"($JSON_BYTES bytes, $(wc -l < "$JSONLOG") lines)"
	echo "- combined log: \`ringflow-loggen --size $SIZE --seed 42\` ($LOG_BYTES bytes, $(wc -l < "$LOG") lines)"
	echo
	echo "Answers checked before timing, ringflow's against DuckDB's:"
	echo
	echo "- JSON: $AGREE_JSON"
	echo "- combined by status, path: $AGREE_COMB"
	echo "- combined count by status: $AGREE_COUNT"
	echo
	if awk -v l="${LOAD_BEFORE%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
		echo "**The machine was busy** (a load average of ${LOAD_BEFORE%% *} on $(nproc) cores when the timings"
		echo "began): the wall times below are inflated by waiting for a CPU, the multi-threaded ones"
		echo "the most. The CPU times (user + system) in the second table are the steadier figure."
		echo
	fi
	echo "Wall time, medians:"
	echo
	echo "| shape | ringflow serial | ringflow auto | DuckDB, 2 threads | DuckDB / auto | serial GB/s per core | auto GB/s |"
	echo "|---|---|---|---|---|---|---|"
	row med json "$Q_JSON" "$JSON_BYTES"
	row med combined "$Q_COMB" "$LOG_BYTES"
	row med count "$Q_COUNT" "$LOG_BYTES"
	echo
	echo "CPU time (user + system), means:"
	echo
	echo "| shape | ringflow serial | ringflow auto | DuckDB, 2 threads | DuckDB / auto | serial GB per CPU s | auto GB per CPU s |"
	echo "|---|---|---|---|---|---|---|"
	row cpu json "$Q_JSON" "$JSON_BYTES"
	row cpu combined "$Q_COMB" "$LOG_BYTES"
	row cpu count "$Q_COUNT" "$LOG_BYTES"
	echo
	echo "Where one ringflow --mode=serial run spends its time (\`--stats\`: each stage's busy"
	echo "seconds, and the bytes over them; the rest of the elapsed time is reading and framing):"
	echo
	echo "| shape | elapsed | stages |"
	echo "|---|---|---|"
	stage_row "$Q_JSON" "$JSON_BYTES" "$STAGES_JSON"
	stage_row "$Q_COMB" "$LOG_BYTES" "$STAGES_COMB"
	stage_row "$Q_COUNT" "$LOG_BYTES" "$STAGES_COUNT"
	echo
	echo "Starting node and DuckDB alone (\`SELECT 42\`): $(med parsers-startup "node ")s wall," \
		"$(cpu parsers-startup "node ")s CPU, inside each DuckDB time above."
	echo
	echo "## Against the issue's goals"
	echo
	echo "From the wall times (the goals' terms):"
	echo
	echo "| goal | wanted | measured | met |"
	echo "|---|---|---|---|"
	r=$(ratio "$(med parsers-json "node ")" "$(med parsers-json "$RINGFLOW --mode=auto")")
	echo "| JSON: DuckDB's time / ringflow auto | >= 3x | ${r}x | $(meets "$r" 3) |"
	r=$(gbps "$JSON_BYTES" "$(med parsers-json "$RINGFLOW --mode=serial")")
	echo "| JSON: serial GB/s per core | >= 1.5 | $r | $(meets "$r" 1.5) |"
	r=$(gbps "$LOG_BYTES" "$(med parsers-combined "$RINGFLOW --mode=serial")")
	echo "| combined by status, path: serial GB/s per core | >= 2 | $r | $(meets "$r" 2) |"
	r=$(ratio "$(med parsers-combined "node ")" "$(med parsers-combined "$RINGFLOW --mode=auto")")
	echo "| combined by status, path: DuckDB's time / ringflow auto | >= 4x | ${r}x | $(meets "$r" 4) |"
	for f in parsers-json parsers-combined parsers-count; do
		echo
		echo "### $f"
		echo
		sed "s|$DATA/||g; s|$RINGFLOW|ringflow|g; s|node $HERE/|node |g" "$OUT/$f.md"
	done
} > "$REPORT"
echo "bench: wrote $REPORT"
