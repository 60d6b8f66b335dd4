#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/trace.sh - what tracing costs.
#
#  The CPU-heavy query in each mode, three ways in one hyperfine run:
#   - ringflow as built (probes compiled in, nobody tracing),
#   - a copy of the same binary with ringflow-trace -b attached to it for
#     the whole benchmark (uprobes live on the file, so the original stays
#     untraced),
#   - a build of the same sources without sys/sdt.h (no probes at all).
#  Wall times here move by 10-20% between minutes, so the three alternate
#  within each round and the table gives each round's ratios and their median.
#  Last, a real ringflow-trace report of the heavy query in pipeline mode.
#
#  First, and alone with `bench/trace.sh fixed`: the fixed cost of
#  ringflow-trace around a command (attach, detach, report), as the time
#  of `ringflow-trace -- ringflow count` over one line minus that of the
#  command alone, with each way of attaching (a uprobe_multi link per
#  probe, one uprobe per site) and, given TRACE_BEFORE=path, an older
#  ringflow-trace.  Writes bench/results/trace-fixed-<host>.md.
#
# Needs root (attaching uprobes).  Writes bench/results/trace-<host>.md.
set -eu
RUNS=${BENCH_RUNS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
WHAT=${1:-all}
# the fixed cost needs no big input
[ "$WHAT" = fixed ] && BENCH_SIZE=${BENCH_SIZE:-1M}
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
need hyperfine git
TRACE=${TRACE:-$TOP/ringflow-trace}
need "$TRACE"
[ "$(id -u)" = 0 ] || { echo "bench: ringflow-trace needs root" >&2; exit 2; }

ONE=$DATA/one-line.log
head -n 1 "$LOG" > "$ONE"
ALONE="$RINGFLOW count $ONE"
MULTI="$TRACE -o /dev/null -- $ALONE"
PERSITE="RINGFLOW_TRACE_PER_SITE=1 $TRACE -o /dev/null -- $ALONE"
BEFORE=${TRACE_BEFORE:+$TRACE_BEFORE -o /dev/null -- $ALONE}
hyperfine --style basic --output=pipe -w 2 -r "${BENCH_FIXED_RUNS:-20}" --export-csv "$OUT/trace-fixed.csv" \
	"$ALONE" "$MULTI" "$PERSITE" ${BEFORE:+"$BEFORE"} > /dev/null
alone=$(median_of "$OUT/trace-fixed.csv" "$ALONE")
fixed_row() { # LABEL COMMAND
	t=$(median_of "$OUT/trace-fixed.csv" "$2")
	echo "| $1 | $t | $(awk -v a="$t" -v b="$alone" 'BEGIN { printf "%.3f", a - b }') |"
}
{
	echo "# ringflow-trace's fixed cost"
	echo
	echo "- CPU: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores; kernel $(uname -r);" \
		"load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	echo "- \`ringflow count\` over one line, alone and under ringflow-trace -o /dev/null; hyperfine," \
		"${BENCH_FIXED_RUNS:-20} runs each (medians, seconds)"
	echo
	echo "| run | median | minus the command alone |"
	echo "|---|---|---|"
	echo "| ringflow count, alone | $alone | |"
	fixed_row "ringflow-trace, a uprobe_multi link per probe" "$TRACE -o"
	fixed_row "ringflow-trace, one uprobe per site (RINGFLOW_TRACE_PER_SITE=1)" "RINGFLOW_TRACE_PER_SITE=1"
	[ -z "$BEFORE" ] || fixed_row "ringflow-trace before (\`$TRACE_BEFORE\`)" "$TRACE_BEFORE"
} > "$OUT/trace-fixed-$HOST.md"
cat "$OUT/trace-fixed-$HOST.md"
[ "$WHAT" != fixed ] || exit 0
REPORT=$OUT/trace-$HOST.md
HEAVY='parse combined | count, p99(bytes) by status, path'
MODES="serial pipeline parallel"

# a build of the same sources without the probes
NOSDT=$DATA/nosdt
rm -rf "$NOSDT"
mkdir -p "$NOSDT"
(cd "$TOP" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf -) | tar -xf - -C "$NOSDT"
(cd "$NOSDT" && autoreconf -fi > /dev/null 2>&1 &&
	./configure -q ac_cv_header_sys_sdt_h=no --disable-trace > /dev/null 2>&1 && make -j"$(nproc)" ringflow > /dev/null)
if readelf -n "$NOSDT/ringflow" | grep -q stapsdt; then
	echo "bench: the no-probe build still has probes" >&2
	exit 2
fi
TRACED=$DATA/ringflow-traced
cp "$RINGFLOW" "$TRACED"

"$TRACE" -b "$TRACED" -o "$OUT/trace-attached.txt" 2> "$OUT/trace-attached.err" &
tracer=$!
for _ in $(seq 50); do grep -q "tracing every process" "$OUT/trace-attached.err" && break; sleep 0.1; done
grep -q "tracing every process" "$OUT/trace-attached.err" || {
	echo "bench: ringflow-trace did not attach: $(cat "$OUT/trace-attached.err")" >&2
	exit 2
}
for round in $(seq "$ROUNDS"); do
	for m in $MODES; do
		cat "$LOG" > /dev/null
		hyperfine --style basic --output=pipe -w 1 -r "$RUNS" --export-csv "$OUT/trace-$m-$round.csv" \
			"$RINGFLOW --mode=$m '$HEAVY' $LOG" "$TRACED --mode=$m '$HEAVY' $LOG" \
			"$NOSDT/ringflow --mode=$m '$HEAVY' $LOG" > /dev/null
	done
done
kill -INT "$tracer"
wait "$tracer"
# the tracer saw every batch of the traced copy: proof it was attached
batches=$(sed -n 's/^stage 0 parse: \([0-9]*\) batches.*/\1/p' "$OUT/trace-attached.txt")

"$TRACE" -o "$OUT/trace-output-$HOST.txt" -- "$RINGFLOW" --mode=pipeline "$HEAVY" "$LOG" > /dev/null

median3() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
{
	echo "# ringflow tracing cost"
	echo
	echo "- CPU: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores; kernel $(uname -r)"
	echo "- input: $LOG ($(du -h "$LOG" | cut -f1)), page cache warm; query \`$HEAVY\`"
	echo "- $ROUNDS rounds; in each, hyperfine runs the three binaries $RUNS times (medians, seconds)"
	echo "- the tracer counted $batches parse batches of the traced copy over the benchmark"
	echo
	echo "| mode | round | probes, untraced | traced (ringflow-trace -b) | no probes | traced / untraced | untraced / no probes |"
	echo "|---|---|---|---|---|---|---|"
	for m in $MODES; do
		tr_all="" pr_all=""
		for round in $(seq "$ROUNDS"); do
			f=$OUT/trace-$m-$round.csv
			u=$(median_of "$f" "$RINGFLOW --mode=$m")
			t=$(median_of "$f" "$TRACED --mode=$m")
			n=$(median_of "$f" "$NOSDT/ringflow --mode=$m")
			tr_all="$tr_all $(ratio "$t" "$u" 3)" pr_all="$pr_all $(ratio "$u" "$n" 3)"
			echo "| $m | $round | $u | $t | $n | $(ratio "$t" "$u" 3) | $(ratio "$u" "$n" 3) |"
		done
		echo "| $m | median | | | | $(echo "$tr_all" | median3) | $(echo "$pr_all" | median3) |"
	done
	echo
	echo "## ringflow-trace -- ringflow --mode=pipeline (the heavy query)"
	echo
	echo '```'
	cat "$OUT/trace-output-$HOST.txt"
	echo '```'
} > "$REPORT"
cat "$REPORT"
