#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/numparse.sh - number conversion without strtod (issue 18): the
# conversions a second of strtod against rf__parse_number on the numbers
# logs hold (bench/numparse.c, CPU time, best of five), then a query that
# converts a float per line, `parse json | avg(duration) by status` in
# serial mode, over a generated JSON log (written to /tmp, or NUMPARSE_DATA),
# with this build and BASELINE=/path/to/older/ringflow if given
# (BASELINE_NAME: what to call it in the table).
#
# Writes bench/results/numparse-<host>.md and the hyperfine export beside it.
# NUMPARSE_LINES sets the log's lines (default 2000000, about 290 MB).
set -eu
RUNS=${BENCH_RUNS:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$HERE")
RINGFLOW=${RINGFLOW:-$TOP/ringflow}
OUT=${BENCH_OUT:-$HERE/results}
HOST=$(hostname -s 2>/dev/null || echo host)
LINES=${NUMPARSE_LINES:-2000000}
DATA=${NUMPARSE_DATA:-${TMPDIR:-/tmp}/ringflow-numparse}
BASELINE=${BASELINE:-}
BASELINE_NAME=${BASELINE_NAME:-$BASELINE}
export LC_ALL=C
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
for tool in hyperfine python3 "$RINGFLOW"; do
	command -v "$tool" > /dev/null || { echo "bench: $tool not found" >&2; exit 2; }
done
mkdir -p "$OUT" "$DATA"
REPORT=$OUT/numparse-$HOST.md

make -C "$TOP" -s bench/numparse
"$TOP/bench/numparse" > "$DATA/rates.md"

# web-log objects with a latency in seconds: 0.054, 0.004512, 1.068e-01
LOG=$DATA/duration-$LINES.json
if [ ! -s "$LOG" ]; then
	echo "bench: generating $LOG"
	python3 - "$LINES" > "$LOG.tmp" <<'PY'
import random, sys
r = random.Random(7)
status = [200] * 80 + [404] * 8 + [500] * 3 + [301] * 5 + [304] * 4
paths = ["/", "/index.html", "/api/v1/items", "/static/app.js", "/login", "/search?q=x"]
out, rows = sys.stdout, []
for i in range(int(sys.argv[1])):
    d = r.lognormvariate(-2.5, 1.2)
    ds = "%.3e" % d if r.random() < 0.05 else "%.*f" % (r.choice((3, 3, 4, 6)), d)
    rows.append('{"ts":"2024-03-01T10:%02d:%02d.%03dZ","host":"web-%d","method":"GET","path":"%s",'
                '"status":%d,"bytes":%d,"duration":%s,"ua":"Mozilla/5.0"}\n'
                % (i // 60000 % 60, i // 1000 % 60, i % 1000, r.randrange(8), r.choice(paths),
                   r.choice(status), int(r.lognormvariate(8, 1.5)), ds))
    if len(rows) == 10000:
        out.write("".join(rows))
        rows = []
out.write("".join(rows))
PY
	mv "$LOG.tmp" "$LOG"
fi

Q='parse json | avg(duration) by status'
set -- "$RINGFLOW --mode=serial '$Q' $LOG"
if [ -n "$BASELINE" ]; then
	# the same answer from both builds before any timing
	"$RINGFLOW" --mode=serial "$Q" "$LOG" > "$DATA/after.txt"
	"$BASELINE" --mode=serial "$Q" "$LOG" > "$DATA/before.txt"
	cmp -s "$DATA/after.txt" "$DATA/before.txt" || { echo "bench: the two builds answer differently" >&2; exit 1; }
	set -- "$BASELINE --mode=serial '$Q' $LOG" "$@"
fi
cat "$LOG" > /dev/null
hyperfine --style basic --output=pipe -w 1 -r "$RUNS" --export-csv "$OUT/numparse-query.csv" "$@" > /dev/null

# instructions a line (valgrind's count, which other load on the machine
# does not move) over the first 200000 lines
head -n 200000 "$LOG" > "$DATA/head.json"
instr() {
	command -v valgrind > /dev/null || { echo "?"; return; }
	valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
		"$1" --mode=serial "$Q" "$DATA/head.json" 2>&1 > /dev/null |
		awk '/I +refs:/ { gsub(",", "", $NF); printf "%.0f", $NF / 200000 }'
}

# median, user and system seconds of the row whose command starts with $2
stats() {
	awk -F, -v want="$2" 'NR > 1 { c = $0; sub(/^"/, "", c) }
		NR > 1 && index(c, want) == 1 { printf "%.3f %.3f %.3f", $(NF - 4), $(NF - 3), $(NF - 2); exit }' "$1"
}
{
	echo "# Number conversion (issue 18), $HOST"
	echo
	echo "$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)."
	echo "Made by \`bench/numparse.sh\`: conversions a second by \`bench/numparse.c\` (this thread's CPU"
	echo "time, best of five; \"before\" is strtod on a copy, which is what rf__parse_number did for"
	echo "every fraction and exponent), and a query timed by hyperfine ($RUNS runs, page cache warm)."
	echo "Load average when it started: $LOAD (other work on the machine slows the wall times;"
	echo "valgrind's instruction count is the figure that load does not move)."
	echo
	cat "$DATA/rates.md"
	echo
	echo "\`ringflow --mode=serial '$Q'\` over $(wc -l < "$LOG") JSON lines ($(du -m "$LOG" | cut -f1) MB):"
	echo
	echo "| build | median s | user s | system s | instructions a line |"
	echo "|---|---:|---:|---:|---:|"
	if [ -n "$BASELINE" ]; then
		set -- $(stats "$OUT/numparse-query.csv" "$BASELINE ")
		echo "| before ($BASELINE_NAME) | $1 | $2 | $3 | $(instr "$BASELINE") |"
	fi
	set -- $(stats "$OUT/numparse-query.csv" "$RINGFLOW ")
	echo "| this build | $1 | $2 | $3 | $(instr "$RINGFLOW") |"
} > "$REPORT"
cat "$REPORT"
