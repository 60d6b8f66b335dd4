#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/mpi.sh - ringflow-mpi with 2 ranks against ringflow's multiprocess
# mode with 2 workers (issue 20's goal: at most 10% slower), on the
# generated 1.6 GB log with the page cache warm, over a couple of group-by
# queries.  Also `mpirun -np 2 true`: what MPI's start-up alone costs.
# Each pair is checked to print the same bytes first.
#
# Writes bench/results/mpi-<host>.md and the hyperfine exports beside it;
# the machine's load (uptime) before and after goes in the report, as
# other work on a shared machine moves the numbers.  BENCH_RUNS (3).
set -eu
RUNS=${BENCH_RUNS:-3}
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
RINGFLOW_MPI=${RINGFLOW_MPI:-$TOP/ringflow-mpi}
need hyperfine mpirun "$RINGFLOW_MPI"
# not bound to cores: multiprocess mode's workers are not either, and on a
# shared machine a rank bound to a busy core cannot move
# pml ob1: Open MPI's default tries UCX first, whose start-up alone took
# 0.2 s here (no RDMA device); the partial states and record pieces ranks
# send are small next to that.  On a cluster with InfiniBand leave UCX on.
MPIRUN="mpirun --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader --mca pml ob1 -np 2"
REPORT=$OUT/mpi-$HOST.md

Q1='split | count by $9'
Q2='parse combined | count, p99(bytes) by status, path'
cat "$LOG" > /dev/null # the page cache, warm
load_before=$(uptime)
rows=""
n=0
for q in "$Q1" "$Q2"; do
	n=$((n + 1))
	"$RINGFLOW" --mode=multiprocess --threads=2 "$q" "$LOG" > "$OUT/mpi-$HOST-$n.want"
	$MPIRUN "$RINGFLOW_MPI" "$q" "$LOG" > "$OUT/mpi-$HOST-$n.got"
	if ! cmp -s "$OUT/mpi-$HOST-$n.want" "$OUT/mpi-$HOST-$n.got"; then
		echo "bench: ringflow-mpi's output differs from ringflow's for: $q" >&2
		exit 1
	fi
	rm -f "$OUT/mpi-$HOST-$n.want" "$OUT/mpi-$HOST-$n.got"
	hyperfine --style basic --warmup 1 --runs "$RUNS" \
		--export-csv "$OUT/mpi-$HOST-$n.csv" --export-markdown "$OUT/mpi-$HOST-$n.md" \
		-n multiprocess "$RINGFLOW --mode=multiprocess --threads=2 '$q' $LOG" \
		-n ringflow-mpi "$MPIRUN $RINGFLOW_MPI '$q' $LOG" \
		-n "mpirun alone" "$MPIRUN true"
	mp=$(median_of "$OUT/mpi-$HOST-$n.csv" multiprocess)
	mpi=$(median_of "$OUT/mpi-$HOST-$n.csv" ringflow-mpi)
	start=$(median_of "$OUT/mpi-$HOST-$n.csv" "mpirun alone")
	# a | in a table cell is \| in Markdown
	rows="$rows| \`$(printf '%s' "$q" | sed 's/|/\\|/g')\` | $mp | $mpi | $start | $(ratio "$mpi" "$mp") |
"
done
load_after=$(uptime)

{
	echo "# ringflow-mpi, 2 ranks, against multiprocess mode with 2 workers"
	echo
	machine_lines
	echo "- $("$RINGFLOW" --version | head -1); $(date -u +%Y-%m-%d); $RUNS runs each after a warm-up"
	echo "- Load before: \`$load_before\`"
	echo "- Load after: \`$load_after\`"
	echo
	echo "Median wall seconds; ratio: ringflow-mpi / multiprocess (goal: at most 1.10)."
	echo "\"mpirun alone\" is \`mpirun -np 2 true\`: MPI's start-up, part of ringflow-mpi's time. Ranks: \`--bind-to none\`."
	echo
	echo "| query | multiprocess | ringflow-mpi | mpirun alone | ratio |"
	echo "|---|---|---|---|---|"
	printf '%s' "$rows"
	exported_tables "mpi-$HOST-1" "mpi-$HOST-2"
} > "$REPORT"
cat "$REPORT"
