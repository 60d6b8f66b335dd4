#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/merge.sh - the cost of `ringflow merge` (issue 20): wall time and
# peak memory to merge 16, 128 and 1,024 partial states, of a realistic
# state (55,000 groups, each with a count and two quantile sketches) and a
# small one (100 groups, count and sum), and the size of one partial.  Also
# a reduction tree's step (two partials in, one out, as each ringflow-mpi
# rank does) for the big state.  The partials are made from BENCH_DISTINCT
# (16) different inputs, each group's values drawn anew, and listed over
# and over up to the count: every merge still adds every group's sketches.
#
# Writes bench/results/merge-<host>.md and the hyperfine exports beside it.
# BENCH_GROUPS, BENCH_VALUES (per group per partial) and BENCH_RUNS change
# the shape; BENCH_COUNTS the partial counts ("16 128 1024").
set -eu
RUNS=${BENCH_RUNS:-3}
GROUPS_N=${BENCH_GROUPS:-55000}
VALUES=${BENCH_VALUES:-8}
DISTINCT=${BENCH_DISTINCT:-16}
COUNTS=${BENCH_COUNTS:-16 128 1024}
BENCH_SIZE=${BENCH_SIZE:-16M} # common.sh's log, unused here: a small one
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
need hyperfine /usr/bin/time
REPORT=$OUT/merge-$HOST.md
DIR=$DATA/merge-$GROUPS_N-$VALUES
mkdir -p "$DIR"

BIG='split | count, p50($2), p99($2) by $1'
SMALL='split | count, sum($2) by $1'
# the inputs: GROUPS_N keys, VALUES lines each, values spread over six
# decades so the sketches have many buckets; input i draws other values
# partials of an older format are refused by this ringflow: made again
if [ -s "$DIR/big.0" ] && ! "$RINGFLOW" merge "$BIG" "$DIR/big.0" > /dev/null 2>&1; then
	rm -f "$DIR"/big.* "$DIR"/small.*
fi
i=0
while [ $i -lt "$DISTINCT" ]; do
	if [ ! -s "$DIR/big.$i" ]; then
		awk -v g="$GROUPS_N" -v v="$VALUES" -v s="$i" 'BEGIN {
			srand(s + 1)
			for (j = 0; j < g * v; j++) printf "k%d %d\n", j % g, int(exp(rand() * 14))
		}' > "$DIR/in.$i"
		"$RINGFLOW" --partial-out "$DIR/big.$i" "$BIG" "$DIR/in.$i"
		awk '{ $1 = "k" (NR % 100); print }' "$DIR/in.$i" | "$RINGFLOW" --partial-out "$DIR/small.$i" "$SMALL"
	fi
	i=$((i + 1))
done

# the check: merged partials print what one serial run over the inputs does
for kind in big small; do
	q=$BIG
	[ $kind = small ] && q=$SMALL
	# shellcheck disable=SC2046 # the list is meant to split
	"$RINGFLOW" merge "$q" $(i=0; while [ $i -lt "$DISTINCT" ]; do printf '%s ' "$DIR/$kind.$i"; i=$((i + 1)); done) > "$DIR/merged.out"
	i=0
	while [ $i -lt "$DISTINCT" ]; do
		if [ $kind = small ]; then awk '{ $1 = "k" (NR % 100); print }' "$DIR/in.$i"; else cat "$DIR/in.$i"; fi
		i=$((i + 1))
	done | "$RINGFLOW" "$q" > "$DIR/serial.out"
	if ! cmp -s "$DIR/merged.out" "$DIR/serial.out"; then
		echo "bench: the merge of the $kind partials differs from a serial run" >&2
		exit 1
	fi
done

# list KIND N: N partial files of that kind, the distinct ones in turn
list() {
	k=0
	while [ $k -lt "$2" ]; do
		printf '%s ' "$DIR/$1.$((k % DISTINCT))"
		k=$((k + 1))
	done
}

{
	echo "# ringflow merge: $GROUPS_N groups with quantile sketches, and 100 small groups"
	echo
	echo "Machine: $(uname -srm), $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo);" \
		"$("$RINGFLOW" --version | head -1); $(date -u +%Y-%m-%d)."
	echo
	echo "One partial state: $(wc -c < "$DIR/big.0") bytes (big: '$BIG'),"
	echo "$(wc -c < "$DIR/small.0") bytes (small: '$SMALL')."
	echo
	echo "The load is the 1-minute load average as each row began: other work on"
	echo "the same cores makes the times longer by an unknown factor.  Threads:"
	echo "$(nproc) (ringflow merge's default, one per CPU).  Each merge's output is"
	echo "checked first: the merge of the $DISTINCT distinct partials prints what one"
	echo "serial run over their $DISTINCT inputs prints."
	echo
	echo "| state | partials | merge time (median of $RUNS) | user | system | peak RSS | load |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
} > "$REPORT"
for kind in big small; do
	q=$BIG
	[ $kind = small ] && q=$SMALL
	for n in $COUNTS; do
		files=$(list $kind "$n")
		load=$(cut -d' ' -f1 /proc/loadavg)
		csv=$OUT/merge-$HOST-$kind-$n.csv
		hyperfine --runs "$RUNS" --warmup 1 --export-csv "$csv" \
			"$RINGFLOW merge '$q' $files > /dev/null" > /dev/null
		# shellcheck disable=SC2086 # the list is meant to split
		rss=$( { /usr/bin/time -f '%M' "$RINGFLOW" merge "$q" $files > /dev/null; } 2>&1 | tail -1)
		set -- $(stats_of "$csv" "$RINGFLOW merge")
		echo "| $kind | $n | $1 s | $2 s | $3 s | $((rss / 1024)) MiB | $load |" >> "$REPORT"
	done
done

# one step of a reduction tree: two states in, the merged state out
csv=$OUT/merge-$HOST-tree.csv
hyperfine --runs "$RUNS" --warmup 1 --export-csv "$csv" \
	"$RINGFLOW merge --partial-out /dev/null '$BIG' $DIR/big.0 $DIR/big.1" > /dev/null
set -- $(stats_of "$csv" "$RINGFLOW merge")
rss=$( { /usr/bin/time -f '%M' "$RINGFLOW" merge --partial-out /dev/null "$BIG" "$DIR/big.0" "$DIR/big.1"; } 2>&1 | tail -1)
{
	echo
	echo "A reduction tree's step (2 big partials in, the merged one out, as each"
	echo "ringflow-mpi rank does per level): $1 s, peak RSS $((rss / 1024)) MiB."
	echo "A tree over N ranks takes ceil(log2 N) such steps one after another."
} >> "$REPORT"
cat "$REPORT"
