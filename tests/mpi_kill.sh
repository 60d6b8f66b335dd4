#!/bin/sh
# SPDX-License-Identifier: MIT
# mpi_kill.sh - a rank of ringflow-mpi killed mid-run (issue 20): the job
# fails loudly (a non-zero status, Open MPI naming the rank that died),
# prints nothing as a result, and does not hang.  Rank 1 reads a FIFO
# whose writer never writes, so it is surely mid-run when it is killed.
. "${SRCDIR:-.}/tests/lib.sh"

# shellcheck source=tests/mpilib.sh
. "${SRCDIR:-.}/tests/mpilib.sh"

"$LOGGEN" --size 200K --seed 3 > "$T/log" || exit 99
mkfifo "$T/fifo" || exit 99
# a writer that holds the FIFO open and never writes: its reader waits
sleep 120 > "$T/fifo" &
writer=$!
# the FIFO is last: it goes whole to the last rank (rank 1)
# shellcheck disable=SC2086 # MPIRUN is a command and its options
timeout 60 $MPIRUN -np 2 "$RINGFLOW_MPI" 'split | count by $9' "$T/log" "$T/fifo" > "$T/got" 2> "$T/err" &
job=$!
# the rank holding the FIFO open for reading: a child of mpirun, itself
# the child of timeout
victim=
for _ in $(seq 1 200); do
	for p in $(pgrep -P "$(pgrep -P "$job" | head -n 1)" 2> /dev/null); do
		for fd in /proc/"$p"/fd/*; do
			[ "$(readlink "$fd" 2> /dev/null)" = "$T/fifo" ] && victim=$p
		done
	done
	[ -n "$victim" ] && break
	sleep 0.1
done
check_eq "rank 1 is reading the FIFO" "$([ -n "$victim" ] && tr '\0' ' ' < "/proc/$victim/cmdline" | grep -c ringflow-mpi)" 1
[ -n "$victim" ] && kill -KILL "$victim"
wait "$job"
status=$?
kill "$writer" 2> /dev/null
wait "$writer" 2> /dev/null
# 124: timeout ended a job that hung
check_eq "killed rank: the job failed, and did not hang" "$([ "$status" -ne 0 ] && [ "$status" -ne 124 ] && echo yes)" yes
check_eq "killed rank: nothing printed" "$(wc -c < "$T/got")" 0
check_grep "killed rank: the rank named" "$T/err" "rank 1"
check_grep "killed rank: how it ended" "$T/err" "signal 9"

finish
