#!/bin/sh
# SPDX-License-Identifier: MIT
# mpi_trace.sh - ringflow-trace per rank of ringflow-mpi (issue 20), the
# README's recipe: mpirun starts ringflow-trace, which starts the rank
# (the rank inherits the job's environment), one report file per rank.
# The ranks' records (the split stage's records in) add up to the log's
# lines (awk).  Needs root and uprobes; one mpirun call.
. "${SRCDIR:-.}/tests/lib.sh"
# shellcheck source=tests/mpilib.sh
. "${SRCDIR:-.}/tests/mpilib.sh"
if [ ! -x "${TRACE:-}" ]; then
	echo "ringflow-trace not built (configure says why): skipped"
	exit 77
fi
if [ "$(id -u)" != 0 ]; then
	echo "tracing needs root (CAP_SYS_ADMIN): skipped"
	exit 77
fi
"$LOGGEN" --size 300K --seed 9 > "$T/log" || exit 99
"$TRACE" -o "$T/probe" -- "$RINGFLOW" count "$T/log" > /dev/null 2> "$T/probe.err"
if [ $? = 2 ]; then
	echo "ringflow-trace cannot attach here: $(head -c 300 "$T/probe.err"): skipped"
	exit 77
fi
export TRACE RINGFLOW_MPI T
# shellcheck disable=SC2016 # expanded by each rank's shell
$MPIRUN -np 2 sh -c 'exec "$TRACE" --json -o "$T/trace.$OMPI_COMM_WORLD_RANK" -- "$RINGFLOW_MPI" "split | count by \$9" "$T/log"' \
	> "$T/got" 2> "$T/err"
check_status "traced ranks" $? 0
"$RINGFLOW" 'split | count by $9' "$T/log" > "$T/want"
check_same "traced ranks: the result" "$T/got" "$T/want"
check_eq "traced ranks: a report each, records adding up" "$(python3 -c '
import json, sys
n = 0
for f in sys.argv[1:]:
    rep = [json.loads(l) for l in open(f) if l.strip()]
    n += rep[-1]["stages"][0]["records_in"]
print(n)
' "$T/trace.0" "$T/trace.1")" "$(awk 'END { print NR }' "$T/log")"

finish
