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
# Needs root (attaching uprobes).  Writes bench/results/trace-<host>.md.
set -eu
RUNS=${BENCH_RUNS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
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
