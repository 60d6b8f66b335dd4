#!/bin/sh
# SPDX-License-Identifier: MIT
# mpi.sh - ringflow-mpi (issue 20) under mpirun with 1 to 4 ranks on this
# machine: each rank reads its share of the modes corpus's inputs (a
# generated log and untidy files), the partial states are merged up a
# binomial tree, and rank 0 prints the bytes one serial ringflow run
# prints.  The failures, threads, records and --local are
# mpi_features.sh's; a rank killed, mpi_kill.sh's.
# MPI's start-up is slow: a handful of mpirun calls only.
. "${SRCDIR:-.}/tests/lib.sh"

# shellcheck source=tests/mpilib.sh
. "${SRCDIR:-.}/tests/mpilib.sh"

# shellcheck source=tests/modeinputs.sh
LOG_SIZE=1M
. "${SRCDIR:-.}/tests/modeinputs.sh"

# np QUERY: the query at 1 to 4 ranks (ranks given as NPS)
run_np() {
	# shellcheck disable=SC2086 # the file list is meant to split
	"$RINGFLOW" --mode=serial "$2" $FILES > "$T/want" 2> /dev/null
	for np in $1; do
		# shellcheck disable=SC2086
		$MPIRUN -np "$np" "$RINGFLOW_MPI" "$2" $FILES > "$T/got" 2> "$T/err"
		check_status "$np ranks: $2" $? 0
		check_same "$np ranks: $2" "$T/got" "$T/want"
	done
}
run_np "1 2 3 4" 'parse combined | count, sum(bytes), avg(bytes), p50(bytes), p99(bytes), distinct(ip) by status'
run_np 3 'split | first($7), last($7), count, approx_distinct($1) by $9'
run_np 4 'parse combined | where status >= 500 | count by path | top 10'

finish
