#!/bin/sh
# bench/trace.sh - what tracing costs.
#
#  1. The CPU-heavy query, untraced, then with ringflow-trace attached to
#     every ringflow process (-b), then untraced again: the two untraced
#     runs bracket the noise of this machine.
#  2. The same query with the probes compiled in (but untraced) against a
#     build without sys/sdt.h (no probes at all), from the same sources.
#  3. A real ringflow-trace report of the heavy query in pipeline mode, for
#     the README.
#
# Needs root (attaching uprobes).  Writes bench/results/trace-<host>.md.
set -eu
RUNS=${BENCH_RUNS:-5}
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
need hyperfine git
TRACE=${TRACE:-$TOP/ringflow-trace}
need "$TRACE"
[ "$(id -u)" = 0 ] || { echo "bench: ringflow-trace needs root" >&2; exit 2; }
REPORT=$OUT/trace-$HOST.md
HEAVY='parse combined | count, p99(bytes) by status, path'
MODES="serial pipeline parallel"

# a build of the same sources without the probes
NOSDT=$DATA/nosdt
rm -rf "$NOSDT"
mkdir -p "$NOSDT"
(cd "$TOP" && git ls-files -z | xargs -0 tar -cf -) | tar -xf - -C "$NOSDT"
(cd "$NOSDT" && autoreconf -fi > /dev/null 2>&1 &&
	./configure -q ac_cv_header_sys_sdt_h=no --disable-trace > /dev/null 2>&1 && make -j"$(nproc)" ringflow > /dev/null)
if readelf -n "$NOSDT/ringflow" | grep -q stapsdt; then
	echo "bench: the no-probe build still has probes" >&2
	exit 2
fi

runs() { # NAME: hyperfine the heavy query in each mode
	set --
	for m in $MODES; do
		set -- "$@" "$RINGFLOW --mode=$m '$HEAVY' $LOG"
	done
	cat "$LOG" > /dev/null
	hyperfine --style basic --output=pipe -w 1 -r "$RUNS" --export-csv "$OUT/trace-$NAME.csv" "$@" > /dev/null
}

NAME=untraced-1 runs
"$TRACE" -b "$RINGFLOW" -o "$OUT/trace-attached.txt" 2> "$OUT/trace-attached.err" &
tracer=$!
for _ in $(seq 50); do grep -q "tracing every process" "$OUT/trace-attached.err" && break; sleep 0.1; done
grep -q "tracing every process" "$OUT/trace-attached.err" || {
	echo "bench: ringflow-trace did not attach: $(cat "$OUT/trace-attached.err")" >&2
	exit 2
}
NAME=traced runs
kill -INT "$tracer"
wait "$tracer"
NAME=untraced-2 runs

set --
for m in $MODES; do
	set -- "$@" "$RINGFLOW --mode=$m '$HEAVY' $LOG" "$NOSDT/ringflow --mode=$m '$HEAVY' $LOG"
done
cat "$LOG" > /dev/null
hyperfine --style basic --output=pipe -w 1 -r "$RUNS" --export-csv "$OUT/trace-probes.csv" "$@" > /dev/null

"$TRACE" -o "$OUT/trace-output-$HOST.txt" -- "$RINGFLOW" --mode=pipeline "$HEAVY" "$LOG" > /dev/null

{
	echo "# ringflow tracing cost"
	echo
	echo "- CPU: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores; kernel $(uname -r)"
	echo "- input: $LOG ($(du -h "$LOG" | cut -f1)), page cache warm; query \`$HEAVY\`"
	echo "- median of $RUNS runs each (hyperfine), seconds"
	echo
	echo "## ringflow-trace attached (-b, every ringflow process)"
	echo
	echo "| mode | untraced before | traced | untraced after | traced / mean untraced |"
	echo "|---|---|---|---|---|"
	for m in $MODES; do
		c="$RINGFLOW --mode=$m"
		a=$(median_of "$OUT/trace-untraced-1.csv" "$c")
		t=$(median_of "$OUT/trace-traced.csv" "$c")
		b=$(median_of "$OUT/trace-untraced-2.csv" "$c")
		mean=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", (a + b) / 2 }')
		echo "| $m | $a | $t | $b | $(ratio "$t" "$mean" 3) |"
	done
	echo
	echo "## Probes compiled in (untraced) vs a build without them"
	echo
	echo "| mode | with probes | without | with / without |"
	echo "|---|---|---|---|"
	for m in $MODES; do
		w=$(median_of "$OUT/trace-probes.csv" "$RINGFLOW --mode=$m")
		n=$(median_of "$OUT/trace-probes.csv" "$NOSDT/ringflow --mode=$m")
		echo "| $m | $w | $n | $(ratio "$w" "$n" 3) |"
	done
	echo
	echo "## ringflow-trace -- ringflow --mode=pipeline (the heavy query)"
	echo
	echo '```'
	cat "$OUT/trace-output-$HOST.txt"
	echo '```'
} > "$REPORT"
cat "$REPORT"
