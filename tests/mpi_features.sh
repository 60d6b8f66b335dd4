#!/bin/sh
# SPDX-License-Identifier: MIT
# mpi_features.sh - ringflow-mpi beyond the plain run (issue 20): threads
# inside a rank, records in input order sent in pieces, --stats over the
# ranks, --local globs per rank, and the failures: an unreadable file said
# once, a query a byte range cannot serve refused in ringflow-mpi's words,
# and --allow-partial naming the share a rank could not read.  The oracle
# is one serial ringflow run (and awk, Python's json for the figures).
# Ten mpirun calls: MPI's start-up is slow.
. "${SRCDIR:-.}/tests/lib.sh"

# shellcheck source=tests/mpilib.sh
. "${SRCDIR:-.}/tests/mpilib.sh"
"$LOGGEN" --size 1M --seed 7 > "$T/log" || exit 99
awk 'NR % 500 == 0 { print "garbage line" } { print }' "$T/log" > "$T/mixed"
host=$(hostname)
agg='parse combined | count, sum(bytes), p99(bytes), distinct(ip) by status'

# threads in each rank, and --stats=json: the same bytes as serial; the
# ranks' bytes and records add up to the files' (wc, awk), and rank 0
# merged rank 1's state at the tree's one step
"$RINGFLOW" --mode=serial "$agg" "$T/log" "$T/mixed" > "$T/want" 2> /dev/null
$MPIRUN -np 2 "$RINGFLOW_MPI" --mode=parallel --threads=2 --stats=json "$agg" "$T/log" "$T/mixed" \
	> "$T/got" 2> "$T/err"
check_status "threads per rank" $? 0
check_same "threads per rank" "$T/got" "$T/want"
grep '^{' "$T/err" > "$T/stats.json"
bytes=$(($(wc -c < "$T/log") + $(wc -c < "$T/mixed")))
check_eq "--stats=json" "$(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
r = s["per_rank"]
print(s["ranks"], len(r), sum(x["bytes"] for x in r), s["bytes"], sum(x["records"] for x in r),
      [x["mode"] for x in r], [x["threads"] for x in r], [m["from"] for m in r[0]["merges"]], r[1]["merges"],
      r[0]["final_ns"] > 0, r[1]["final_ns"])
' "$T/stats.json")" "2 2 $bytes $bytes $(records "$T/log" "$T/mixed") ['parallel', 'parallel'] [2, 2] [1] [] True 0"

# records: in input order at 3 ranks, each rank's sent in 4 KiB pieces
q='split | where $9 == "404" or $9 == "500"'
"$RINGFLOW" --mode=serial "$q" "$T/log" "$T/mixed" > "$T/want"
check_eq "records: some" "$([ "$(wc -c < "$T/want")" -gt 20000 ] && echo yes)" yes
$MPIRUN -np 3 "$RINGFLOW_MPI" --chunk=4K "$q" "$T/log" "$T/mixed" > "$T/got" 2> "$T/err"
check_status "records" $? 0
check_same "records in input order" "$T/got" "$T/want"

# --local: each rank reads the files its pattern (%r: its rank) finds on
# its host; here two directories stand for two hosts' disks
mkdir -p "$T/host0" "$T/host1"
head -n 3000 "$T/log" > "$T/host0/a.log"
tail -n +3001 "$T/log" > "$T/host1/b.log"
cp "$T/mixed" "$T/host1/c.log"
"$RINGFLOW" --mode=serial "$agg" "$T/host0/a.log" "$T/host1/b.log" "$T/host1/c.log" > "$T/want" 2> /dev/null
$MPIRUN -np 2 "$RINGFLOW_MPI" --local --stats "$agg" "$T/host%r/*.log" > "$T/got" 2> "$T/err"
check_status "--local" $? 0
check_same "--local" "$T/got" "$T/want"
check_grep "--stats: rank 1's inputs" "$T/err" "vm: serial, 1 thread, 2 inputs" 
check_grep "--stats: the merge step" "$T/err" "merge     from rank 1: "

# an unreadable file: said once, by rank 0; nothing printed
$MPIRUN -np 3 "$RINGFLOW_MPI" "$agg" "$T/log" "$T/nosuch" > "$T/got" 2> "$T/err"
check_status "a missing file" $? 2
check_eq "a missing file: nothing printed" "$(wc -c < "$T/got")" 0
check_eq "a missing file: said once" "$(grep -c 'nosuch' "$T/err")" 1
check_grep "a missing file: by rank 0, with the reason" "$T/err" \
	"ringflow-mpi: rank 0 on $host: $T/nosuch: No such file or directory"

# a header parser cannot read a byte range: refused, without a word of the
# engine's --share (no option of ringflow-mpi)
# (records here: their own check, as the engine refuses them sooner); nor
# can ranks sort records apart
printf 'a,b\n1,2\n' > "$T/c.csv"
$MPIRUN -np 2 "$RINGFLOW_MPI" 'parse csv | where a == "1"' "$T/c.csv" > "$T/got" 2> "$T/err"
check_status "parse csv" $? 2
check_grep "parse csv: why" "$T/err" "cannot be split between ranks"
check_eq "parse csv: no --share" "$(grep -c -e '--share' "$T/err")" 0
$MPIRUN -np 2 "$RINGFLOW_MPI" 'split | sort $9' "$T/log" > "$T/got" 2> "$T/err"
check_status "sorted records" $? 2
check_grep "sorted records: why" "$T/err" "sort without an aggregate"

# a rank that cannot read its share (rank 1 runs where the log is not: a
# host without the mount): --allow-partial prints rank 0's share, marked,
# and names the missing one by rank, host, file and byte range
mkdir -p "$T/a" "$T/b"
cp "$T/log" "$T/a/log"
$MPIRUN -np 1 --wdir "$T/a" "$RINGFLOW_MPI" --allow-partial 'split | count by $9' log : \
	-np 1 --wdir "$T/b" "$RINGFLOW_MPI" --allow-partial 'split | count by $9' log > "$T/got" 2> "$T/err"
check_status "--allow-partial" $? 3
size=$(wc -c < "$T/log")
check_grep "--allow-partial: the failure" "$T/err" "ringflow-mpi: rank 1 on $host: log:"
check_grep "--allow-partial: the reason" "$T/err" "No such file or directory"
check_grep "--allow-partial: marked" "$T/err" "PARTIAL result: these shares are missing:"
# rank 1's range, A-B: to the end of the file; rank 0 read the lines that
# start before A (its range ends at the first line start at or after A)
from=$(sed -n 's/^  rank 1 on [^:]*: log:\([0-9]*\)-\([0-9]*\)$/\1 \2/p' "$T/err")
check_eq "--allow-partial: the range's end" "${from#* }" "$size"
half=$(head -c "${from% *}" "$T/log" | awk 'END { print NR }')
part=$(awk '$1 ~ /^[0-9]+$/ { n += $2 } END { print n + 0 }' "$T/got")
check_eq "--allow-partial: rank 0's records" "$part" "$half"

# every record rejected as not in the query's format is judged over the
# whole job, as one serial run judges it: a share that is all garbage is
# no failure while the other shares parse (records and an aggregate), and
# a job that is all garbage fails with nothing printed (its empty table
# would look like an answer; before, it printed one and exited 0)
head -n 1000 "$T/log" > "$T/halfbad"
awk 'NR <= 3000 { printf "garbage %0200d\n", NR }' "$T/log" >> "$T/halfbad"
good=$(head -n 1000 "$T/log" | wc -c)
check_eq "rank 1's share is all garbage" "$([ $((good * 2)) -lt "$(wc -c < "$T/halfbad")" ] && echo yes)" yes
for q in 'parse combined | where status == 404' "$agg"; do
	"$RINGFLOW" --mode=serial "$q" "$T/halfbad" > "$T/want" 2> /dev/null
	check_status "serial, half garbage: $q" $? 0
	$MPIRUN -np 2 "$RINGFLOW_MPI" "$q" "$T/halfbad" > "$T/got" 2> "$T/err"
	check_status "a share all rejected: $q" $? 0
	check_same "a share all rejected: $q" "$T/got" "$T/want"
done
awk '{ printf "garbage %0200d\n", NR }' "$T/log" > "$T/allbad"
n=$(wc -l < "$T/allbad")
"$RINGFLOW" --mode=serial "$agg" "$T/allbad" > "$T/want" 2> /dev/null
check_status "serial, all garbage" $? 2
$MPIRUN -np 2 "$RINGFLOW_MPI" "$agg" "$T/allbad" > "$T/got" 2> "$T/err"
check_status "every record rejected" $? 2
check_eq "every record rejected: nothing printed" "$(wc -c < "$T/got")" 0
check_grep "every record rejected: said, with the count" "$T/err" "every record ($n) was rejected"

finish
