#!/bin/sh
# SPDX-License-Identifier: MIT
# limits.sh - a run within small resource limits: every mode needs only a
# few file descriptors however many inputs there are (ulimit -n 64, 300
# files), auto never picks a mode that fails where serial succeeds, and
# under a small ulimit -v the message names what failed and what helps.
. "${SRCDIR:-.}/tests/lib.sh"

# 300 small files, some without a final newline, one empty
mkdir "$T/many"
"$LOGGEN" --lines 3000 --seed 12 | (cd "$T/many" && split -l 10 -d -a 3 - f)
printf 'no newline 404' >> "$T/many/f007"
printf 'another " 404 " tail' >> "$T/many/f299"
: > "$T/many/f150"
cd "$T/many" || exit 99
want_count=$(records f*)
grep -h -F ' 404 ' f* > "$T/want.grep"
[ "$(ls | wc -l)" -eq 300 ] || exit 99

# the same under ulimit -n 64, in every mode and backend
for mode in auto serial parallel pipeline multiprocess async; do
	for io in auto read mmap uring; do
		got=$(sh -c 'ulimit -n 64; exec "$0" --mode='$mode' --io='$io' count f*' "$RINGFLOW" 2> "$T/err")
		check_status "ulimit -n 64: $mode $io: count" $? 0
		check_eq "ulimit -n 64: $mode $io: count" "$got" "$want_count"
		sh -c 'ulimit -n 64; exec "$0" --mode='$mode' --io='$io' --buffer-size=64K "grep \" 404 \"" f*' "$RINGFLOW" \
			> "$T/got.grep" 2> "$T/err"
		check_status "ulimit -n 64: $mode $io: grep" $? 0
		check_same "ulimit -n 64: $mode $io: grep, in order" "$T/got.grep" "$T/want.grep"
	done
done
# more workers than the limit allows descriptors for: fewer workers, not a failure
for mode in parallel multiprocess; do
	got=$(sh -c 'ulimit -n 40; exec "$0" --mode='$mode' --threads=40 count f*' "$RINGFLOW" 2> "$T/err")
	check_status "ulimit -n 40: $mode x40" $? 0
	check_eq "ulimit -n 40: $mode x40" "$got" "$want_count"
done
cd "$T" || exit 99

# auto with 300 files of 260 KiB (78 MiB: auto picks multiprocess for an
# aggregate) under ulimit -n 64; links keep the test small on disk
mkdir "$T/big"
"$LOGGEN" --size 260K --seed 13 > "$T/big/a000"
i=1
while [ $i -lt 300 ]; do
	ln "$T/big/a000" "$T/big/a$(printf %03d $i)"
	i=$((i + 1))
done
one=$(records "$T/big/a000")
got=$(sh -c 'ulimit -n 64; exec "$0" --stats count "$1"/a*' "$RINGFLOW" "$T/big" 2> "$T/err")
check_status "auto, 300 x 260 KiB, ulimit -n 64" $? 0
check_eq "auto, 300 x 260 KiB, ulimit -n 64" "$got" $((one * 300))
check_grep "auto, 300 x 260 KiB: the mode meant here" "$T/err" "multiprocess"

# Under a small ulimit -v: the message names what failed and the options
# that help, and the run exits 2 (sanitizers reserve terabytes: skip there).
if [ -z "$SANITIZED" ]; then
	printf 'x\n' > "$T/one"
	# 32 worker threads of 8 MiB stacks do not fit in 100 MB
	sh -c 'ulimit -s 8192; ulimit -v 100000; exec "$0" --mode=parallel --threads=32 "split | count by \$1" "$1"' \
		"$RINGFLOW" "$T/one" > "$T/out" 2> "$T/err"
	check_status "ulimit -v: parallel x32" $? 2
	check_grep "ulimit -v: parallel x32: what failed" "$T/err" "ringflow: parallel: cannot start worker thread"
	check_grep "ulimit -v: parallel x32: what helps" "$T/err" "try --threads=1 or --mode=serial"
	check_eq "ulimit -v: parallel x32: no result" "$(wc -c < "$T/out")" 0
	check_eq "ulimit -v: parallel x32: one message, not repeated bare" "$(wc -l < "$T/err")" 1
	# a pipeline of 12 stage threads
	q='grep a | grep b | grep c | grep d | grep e | grep f | grep g | grep h | grep i | grep j | grep k | count'
	sh -c 'ulimit -s 8192; ulimit -v 60000; exec "$0" --mode=pipeline "$2" "$1"' "$RINGFLOW" "$T/one" "$q" \
		> "$T/out" 2> "$T/err"
	check_status "ulimit -v: pipeline" $? 2
	check_grep "ulimit -v: pipeline: what failed" "$T/err" "ringflow: pipeline: cannot start the thread of stage"
	check_grep "ulimit -v: pipeline: what helps" "$T/err" "try --mode=serial"
	# auto (parallel for this query over 78 MiB) within 30 MB of address
	# space: the answer serial gives, not an error
	want=$(awk '{ print $9 }' "$T/big/a000" | sort -u | wc -l | tr -d ' ')
	got=$(sh -c 'ulimit -v 30000; exec timeout -k 2 60 "$0" "parse combined | distinct(status)" "$1"/a*' "$RINGFLOW" \
		"$T/big" 2> "$T/err")
	check_status "ulimit -v: auto" $? 0
	check_eq "ulimit -v: auto" "$got" "$want"
	# parallel asked for: batch copies that do not fit end the run with a
	# message (or it fits, and the answer is right), never a hang
	for mem in 64M 256M; do
		got=$(sh -c 'ulimit -v 30000; exec timeout -k 2 60 "$0" --mode=parallel --memory='$mem' --threads=1 \
			"parse combined | distinct(status)" "$1"/a*' "$RINGFLOW" "$T/big" 2> "$T/err")
		st=$?
		checks=$((checks + 1))
		case $st in
		0) check_eq "ulimit -v: parallel --memory=$mem" "$got" "$want" ;;
		2) check_grep "ulimit -v: parallel --memory=$mem: what helps" "$T/err" "--mode=serial" ;;
		*) fail "ulimit -v: parallel --memory=$mem: exit status $st (124: a hang)" ;;
		esac
	done
	# a buffer pool bigger than the address space allows
	for mode in serial parallel; do
		sh -c 'ulimit -v 100000; exec "$0" --mode='$mode' --threads=1 --io=read --memory=512M count "$1"' \
			"$RINGFLOW" "$T/one" > "$T/out" 2> "$T/err"
		check_status "ulimit -v: $mode, 512M pool" $? 2
		check_grep "ulimit -v: $mode, 512M pool: what failed" "$T/err" "cannot allocate the buffer pool (512 MiB"
		check_grep "ulimit -v: $mode, 512M pool: what helps" "$T/err" "try a smaller --memory"
		check_eq "ulimit -v: $mode, 512M pool: one message" "$(wc -l < "$T/err")" 1
	done
fi

finish
