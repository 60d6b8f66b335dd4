#!/bin/sh
# SPDX-License-Identifier: MIT
# faults.sh - I/O faults injected into the readers (RINGFLOW_TEST_FAULT, see
# io/fault.h), files that shrink or grow while read, and output that fails:
# each has one defined outcome - the right result, or a message naming the
# input and a non-zero exit - never a wrong number passed off as right.
. "${SRCDIR:-.}/tests/lib.sh"

"$LOGGEN" --size 24M --seed 21 > "$T/log"
awk '{ c[$9]++ } END { for (k in c) print k, c[k] }' "$T/log" | sort > "$T/want"
lines=$(records "$T/log")
Q='split | count by $9'
# got FILE: ringflow's table as "key count" lines, sorted, header dropped
got() { tail -n +2 "$1" | awk '{ print $1, $2 }' | sort; }

# Faults a reader must ride out: the result is exactly right.
for fault in short eintr:2 eagain:2 short,eintr:3,eagain:5; do
	for io in read uring; do
		RINGFLOW_TEST_FAULT=$fault "$RINGFLOW" --io=$io --mode=serial "$Q" "$T/log" > "$T/out" 2> "$T/err"
		check_status "$fault $io" $? 0
		got "$T/out" > "$T/got"
		check_same "$fault $io: the counts" "$T/got" "$T/want"
	done
	cat "$T/log" | RINGFLOW_TEST_FAULT=$fault "$RINGFLOW" count > "$T/out" 2> "$T/err"
	check_status "$fault pipe" $? 0
	check_eq "$fault pipe: the count" "$(cat "$T/out")" "$lines"
done

# io_uring refused at setup: read(2) instead, same result, and --stats says so.
RINGFLOW_TEST_FAULT=setup "$RINGFLOW" --io=uring --stats "$Q" "$T/log" > "$T/out" 2> "$T/err"
check_status "uring setup fails" $? 0
got "$T/out" > "$T/got"
check_same "uring setup fails: the counts" "$T/got" "$T/want"
check_grep "uring setup fails: read(2) used" "$T/err" "read"

# A read that fails midway (EIO at byte 10,000,000): the file is named, the
# result is marked incomplete, the exit status is 2 - and the next file is
# still read.
for io in read uring; do
	RINGFLOW_TEST_FAULT=eio:10000000 timeout 30 "$RINGFLOW" --io=$io count "$T/log" > "$T/out" 2> "$T/err"
	check_status "EIO $io" $? 2
	check_grep "EIO $io: names the file" "$T/err" "$T/log"
	check_grep "EIO $io: the error" "$T/err" "Input/output error"
	check_grep "EIO $io: incomplete" "$T/err" "incomplete"
done
# io_uring submissions that fail (the first, or one midway): an error, no hang
for n in 1 3; do
	RINGFLOW_TEST_FAULT=submit:$n timeout 30 "$RINGFLOW" --io=uring count "$T/log" > "$T/out" 2> "$T/err"
	check_status "uring submit $n fails" $? 2
	check_grep "uring submit $n fails: says so" "$T/err" "Cannot allocate memory"
done

# A file truncated while it is read (a stage slowed so that the truncation
# lands mid-run): the file is named and the result marked incomplete.
"$LOGGEN" --size 40M --seed 22 > "$T/big"
for io in mmap read uring; do
	cp "$T/big" "$T/shrink"
	case $io in mmap) delay=150000 ;; *) delay=40000 ;; esac
	RINGFLOW_TEST_SLOW_STAGE=0:$delay "$RINGFLOW" --io=$io count "$T/shrink" > "$T/out" 2> "$T/err" &
	pid=$!
	sleep 0.6
	truncate -s 2M "$T/shrink"
	wait $pid
	check_status "shrinking file, $io" $? 2
	check_grep "shrinking file, $io: incomplete" "$T/err" "results are incomplete"
done

# A file that grows while read (a log being written): read up to the size it
# had at open, exactly.
for io in mmap read uring; do
	cp "$T/log" "$T/grow"
	RINGFLOW_TEST_SLOW_STAGE=0:20000 "$RINGFLOW" --io=$io count "$T/grow" > "$T/out" 2> "$T/err" &
	pid=$!
	sleep 0.3
	head -c 5000000 "$T/big" >> "$T/grow"
	wait $pid
	check_status "growing file, $io" $? 0
	check_eq "growing file, $io: the lines it had at open" "$(cat "$T/out")" "$lines"
done

# The output: short writes lose nothing; EIO on the 1st or a later write is
# an error, said, exit 2 - in every mode.
"$RINGFLOW" 'grep GET' "$T/log" > "$T/want-lines"
for mode in serial parallel pipeline multiprocess async; do
	RINGFLOW_TEST_FAULT=write-short "$RINGFLOW" --mode=$mode 'grep GET' "$T/log" > "$T/out" 2> "$T/err"
	check_status "$mode write-short" $? 0
	check_same "$mode write-short: every line" "$T/out" "$T/want-lines"
	for n in 1 3; do
		RINGFLOW_TEST_FAULT=write-eio:$n "$RINGFLOW" --mode=$mode 'grep GET' "$T/log" > "$T/out" 2> "$T/err"
		check_status "$mode write-eio:$n" $? 2
		check_grep "$mode write-eio:$n: said" "$T/err" "Input/output error"
	done
	RINGFLOW_TEST_FAULT=write-eio:1 "$RINGFLOW" --mode=$mode "$Q" "$T/log" > "$T/out" 2> "$T/err"
	check_status "$mode write-eio, aggregate" $? 2
done

# Output that fails, in every mode: a full disk is an error (exit 2, said),
# a reader that goes away ends the run at once and quietly.
for mode in serial parallel pipeline multiprocess async; do
	for q in 'grep GET' "$Q"; do
		"$RINGFLOW" --mode=$mode "$q" "$T/log" > /dev/full 2> "$T/err"
		check_status "$mode '$q' > /dev/full" $? 2
		check_grep "$mode '$q' > /dev/full: said" "$T/err" "standard output: write error: No space left on device"
	done
	start=$(date +%s)
	{ "$RINGFLOW" --mode=$mode 'grep GET' "$T/big" 2> "$T/err"; echo $? > "$T/status"; } | head -1 > /dev/null
	checks=$((checks + 1))
	[ $(($(date +%s) - start)) -lt 10 ] || fail "$mode | head -1: took $(($(date +%s) - start)) s"
	check_eq "$mode | head -1: quiet" "$(cat "$T/err")" ""
	st=$(cat "$T/status")
	checks=$((checks + 1))
	[ "$st" = 0 ] || [ "$st" = 141 ] || fail "$mode | head -1: exit status $st"
done

finish
