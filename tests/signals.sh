#!/bin/sh
# SPDX-License-Identifier: MIT
# signals.sh - SIGINT, SIGTERM and SIGHUP in the middle of a run, in every
# mode: ringflow stops soon, prints what it had (marked partial), exits
# 128 + the signal, leaves no process and no temporary file behind.  A
# multiprocess parent killed outright takes its workers with it.
. "${SRCDIR:-.}/tests/lib.sh"

"$LOGGEN" --size 40M --seed 31 > "$T/log"
all=$(records "$T/log")
mkdir "$T/tmp"
# a marker in the command line finds our processes, and only ours
MARK="$T/log"

still_running() { pgrep -f -- "$MARK" > /dev/null; }

for mode in serial parallel pipeline multiprocess async; do
	for sig in INT TERM HUP; do
		# 5 ms a batch in the first stage: the run takes seconds
		TMPDIR=$T/tmp RINGFLOW_TEST_SLOW_STAGE=0:5000 "$RINGFLOW" --mode=$mode --buffer-size=64K --window=64K \
			'grep GET | count' "$MARK" > "$T/out" 2> "$T/err" &
		pid=$!
		sleep 0.5
		kill -$sig $pid
		start=$(date +%s)
		wait $pid
		st=$?
		check_eq "$mode SIG$sig: exit status" "$st" $((128 + $(signum $sig)))
		checks=$((checks + 1))
		[ $(($(date +%s) - start)) -le 5 ] || fail "$mode SIG$sig: took $(($(date +%s) - start)) s to stop"
		check_grep "$mode SIG$sig: marked partial" "$T/err" "interrupted"
		got=$(cat "$T/out")
		checks=$((checks + 1))
		case $got in
		'' | *[!0-9]*) fail "$mode SIG$sig: printed '$got', not a count" ;;
		*) [ "$got" -lt "$all" ] || fail "$mode SIG$sig: counted all $all lines: the signal came too late" ;;
		esac
		# the signal reached the parent alone: its workers must still
		# hand in what they read (they see the cancel through the run's
		# eventfd), not be killed with it
		if [ "$mode" = multiprocess ] && [ "${got:-0}" = 0 ] 2> /dev/null; then
			fail "$mode SIG$sig: printed 0: the workers' records were lost"
		fi
		sleep 0.2
		checks=$((checks + 1))
		if still_running; then
			fail "$mode SIG$sig: processes left: $(pgrep -a -f -- "$MARK")"
			pkill -KILL -f -- "$MARK"
		fi
		check_eq "$mode SIG$sig: no temporary files" "$(ls -A "$T/tmp")" ""
	done
done

# An endless over-long record being skipped (or spilled) still yields to a
# signal: /dev/zero has no newline, so the framer never hands out a batch.
for mode in serial parallel pipeline multiprocess async; do
	for io in read uring; do
		sig=INT
		[ $io = uring ] && sig=TERM
		{
			start=$(date +%s)
			timeout --preserve-status -k 5 -s $sig 0.5 "$RINGFLOW" --mode=$mode --io=$io --on-long=skip \
				--max-record=1M count /dev/zero > "$T/out" 2> "$T/err"
			st=$?
			check_eq "/dev/zero $mode $io SIG$sig: exit status" "$st" $((128 + $(signum $sig)))
			checks=$((checks + 1))
			[ $(($(date +%s) - start)) -le 4 ] || fail "/dev/zero $mode $io SIG$sig: took $(($(date +%s) - start)) s"
			check_grep "/dev/zero $mode $io SIG$sig: marked partial" "$T/err" "interrupted"
			check_eq "/dev/zero $mode $io SIG$sig: count" "$(cat "$T/out")" 0
		}
	done
	# the same through a pipe, in small buffers
	start=$(date +%s)
	cat /dev/zero | timeout --preserve-status -k 5 -s INT 0.5 "$RINGFLOW" --mode=$mode --on-long=skip \
		--max-record=1M --buffer-size=64K count > "$T/out" 2> "$T/err"
	st=$?
	check_eq "cat /dev/zero | $mode: exit status" "$st" 130
	checks=$((checks + 1))
	[ $(($(date +%s) - start)) -le 4 ] || fail "cat /dev/zero | $mode: took $(($(date +%s) - start)) s"
	check_grep "cat /dev/zero | $mode: marked partial" "$T/err" "interrupted"
done

# The same over a regular file of one endless record (16 GB of zeros, sparse:
# no disk used), where mmap reads it and multiprocess looks for a record
# boundary to cut at.
if truncate -s 16G "$T/zeros" 2> /dev/null; then
	for mode in serial parallel pipeline multiprocess async; do
		for io in mmap uring; do
			start=$(date +%s)
			timeout --preserve-status -k 5 -s INT 0.5 "$RINGFLOW" --mode=$mode --io=$io --on-long=skip \
				--max-record=1M count "$T/zeros" > "$T/out" 2> "$T/err"
			st=$?
			check_eq "16G of zeros, $mode $io: exit status" "$st" 130
			checks=$((checks + 1))
			[ $(($(date +%s) - start)) -le 4 ] || fail "16G of zeros, $mode $io: took $(($(date +%s) - start)) s"
			check_grep "16G of zeros, $mode $io: marked partial" "$T/err" "interrupted"
		done
	done
	rm -f "$T/zeros"
fi

# A signal to the multiprocess parent alone (timeout(1) signals only its
# child, as a supervisor might) while its workers read: 16 GB, sparse, with
# a newline at the middle and the end, so the cut succeeds and each worker
# has 8 GB to go.  The workers cannot see the parent's cancel: the parent
# must stop them, not wait minutes for them.
if truncate -s 16G "$T/halves" 2> /dev/null &&
   printf 'a\n' | dd of="$T/halves" bs=1 seek=$((8 * 1024 * 1024 * 1024)) conv=notrunc status=none &&
   printf 'b\n' | dd of="$T/halves" bs=1 seek=$((16 * 1024 * 1024 * 1024 - 2)) conv=notrunc status=none; then
	for sig in TERM INT; do
		start=$(date +%s)
		timeout --preserve-status -k 8 -s $sig 0.5 "$RINGFLOW" --mode=multiprocess --threads=2 count "$T/halves" \
			> "$T/out" 2> "$T/err"
		st=$?
		check_eq "multiprocess workers reading, SIG$sig to the parent only: exit status" "$st" \
			$((128 + $(signum $sig)))
		checks=$((checks + 1))
		[ $(($(date +%s) - start)) -le 4 ] ||
			fail "multiprocess workers reading, SIG$sig to the parent only: took $(($(date +%s) - start)) s"
		check_grep "multiprocess workers reading, SIG$sig: marked partial" "$T/err" "interrupted"
		sleep 0.2
		checks=$((checks + 1))
		if pgrep -f -- "$T/halves" > /dev/null; then
			fail "multiprocess workers reading, SIG$sig: workers left: $(pgrep -a -f -- "$T/halves")"
			pkill -KILL -f -- "$T/halves"
		fi
	done
	rm -f "$T/halves"
fi

# The multiprocess parent killed with SIGKILL: the workers die with it.
RINGFLOW_TEST_SLOW_STAGE=0:5000 "$RINGFLOW" --mode=multiprocess --threads=2 --buffer-size=64K --window=64K \
	'grep GET | count' "$MARK" > /dev/null 2>&1 &
pid=$!
sleep 0.5
checks=$((checks + 1))
[ "$(pgrep -c -f -- "$MARK")" -ge 3 ] || fail "multiprocess: expected a parent and 2 workers, saw $(pgrep -c -f -- "$MARK")"
kill -KILL $pid
wait $pid 2> /dev/null
sleep 0.5
checks=$((checks + 1))
if still_running; then
	fail "multiprocess: workers outlived their parent: $(pgrep -a -f -- "$MARK")"
	pkill -KILL -f -- "$MARK"
fi

finish
