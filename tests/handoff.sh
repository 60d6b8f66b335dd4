#!/bin/sh
# SPDX-License-Identifier: MIT
# handoff.sh - the reference-counted hand-off of chunks to the work items
# of parallel and pipeline mode.
#  - A window or buffer is given back only after its last batch is written:
#    many small mmap windows, slow stages, every line out in order and equal
#    to the input (a use after munmap would crash with SIGSEGV).  The same
#    under ThreadSanitizer (configure has no switch for it): in a copy of
#    the tree, ./configure CFLAGS="-O1 -g -fsanitize=thread"
#    LDFLAGS=-fsanitize=thread && make ringflow, then run this script with
#    RINGFLOW pointing at that binary (the valgrind part skips itself
#    there: set SANITIZED=yes).
#  - A pool far smaller than the items in flight: the reader must wait for
#    buffers the items hold, and neither lose data nor deadlock.
#  - A file truncated under its mapping while workers hold its windows: the
#    same error as in serial mode.
#  - A stage failure or an output failure mid-run releases every chunk:
#    valgrind finds no leak (each chunk out holds an allocated reference).
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || { echo "skip: python3 not installed"; exit 77; }

"$LOGGEN" --size 3M --seed 31 > "$T/log"
grep -c '' "$T/log" > /dev/null

for mode in parallel pipeline; do
	for io in mmap read uring; do
		what="$mode --io=$io, small chunks"
		RINGFLOW_TEST_SLOW_STAGE=0:300 timeout 120 "$RINGFLOW" --mode=$mode --threads=2 --io=$io \
			--window=4K --buffer-size=64K 'grep " "' "$T/log" > "$T/out" 2> "$T/err"
		check_status "$what" $? 0
		check_same "$what: every line, in order" "$T/out" "$T/log"
	done
	for io in read uring; do
		# a pool of two buffers under 24 items in flight
		what="$mode --io=$io, pool smaller than the items"
		timeout 120 "$RINGFLOW" --mode=$mode --threads=2 --io=$io --memory=1M --buffer-size=64K \
			--stats=json --stats-file="$T/stats" 'grep " "' "$T/log" > "$T/out" 2> "$T/err"
		check_status "$what" $? 0
		check_same "$what: every line, in order" "$T/out" "$T/log"
		n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pool_buffers"])' "$T/stats")
		checks=$((checks + 1))
		[ "${n:-99}" -le 4 ] || fail "$what: the pool has $n buffers, the test wants a few"
	done
done

# Many small files: an input's end does not wait for its batches (the
# source goes when its last chunk comes back), and every line comes out
# once, in order.
mkdir "$T/many"
i=0
while [ $i -lt 60 ]; do
	"$LOGGEN" --lines $((i * 37 + 1)) --seed $i > "$T/many/f$i"
	i=$((i + 1))
done
set -- "$T"/many/f*
cat "$@" > "$T/many-want"
for mode in parallel pipeline; do
	for io in mmap read uring; do
		timeout 120 "$RINGFLOW" --mode=$mode --threads=2 --io=$io --window=4K --buffer-size=64K 'grep " "' \
			"$@" > "$T/out" 2> "$T/err"
		check_status "$mode --io=$io, 60 small files" $? 0
		check_same "$mode --io=$io, 60 small files: every line, in order" "$T/out" "$T/many-want"
	done
done

# A file truncated while workers hold its windows (a stage slowed so that
# the truncation lands mid-run): said as in serial mode, exit 2.
"$LOGGEN" --size 40M --seed 22 > "$T/big"
for mode in parallel pipeline; do
	cp "$T/big" "$T/shrink"
	RINGFLOW_TEST_SLOW_STAGE=0:150000 timeout 120 "$RINGFLOW" --mode=$mode --io=mmap --window=1M 'grep GET' \
		"$T/shrink" > "$T/out" 2> "$T/err" &
	pid=$!
	sleep 1 # 40 batches of 150 ms each: the run is still early on
	truncate -s 2M "$T/shrink"
	wait $pid
	check_status "$mode: truncated under mmap" $? 2
	check_grep "$mode: truncated under mmap: said" "$T/err" "results are incomplete"
	check_eq "$mode: truncated under mmap: said once" "$(grep -c 'results are incomplete' "$T/err")" 1
done
# The same without the slow stage, the truncation at a moment the reader
# or a worker may meet first: one input, said once, counted once (it was
# said twice, "1 (2 failed)", when the reader's own SIGBUS came first).
for mode in parallel pipeline; do
	for i in 1 2 3 4 5 6; do
		cp "$T/big" "$T/shrink"
		timeout 120 "$RINGFLOW" --mode=$mode --io=mmap --window=64K --threads=2 --stats=json \
			--stats-file="$T/stats" 'parse combined | count by path | top 3' "$T/shrink" > /dev/null 2> "$T/err" &
		pid=$!
		sleep 0.0$((i * 2))
		truncate -s 1M "$T/shrink"
		wait $pid
		n=$(grep -c 'results are incomplete\|shrank' "$T/err")
		failed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["inputs_failed"])' "$T/stats")
		checks=$((checks + 1))
		[ "$n" -le 1 ] && [ "$failed" -le 1 ] && [ "$n" = "$failed" ] ||
			fail "$mode, truncation $i: said $n times, $failed inputs failed: $(cat "$T/err")"
	done
done

# Failures mid-run, under valgrind: every chunk comes back.
if command -v valgrind > /dev/null && [ -z "${SANITIZED:-}" ]; then
	"$LOGGEN" --size 1M --seed 5 > "$T/small"
	python3 - "$T/small" "$T/bad" << 'EOF'
import sys
lines = open(sys.argv[1], 'rb').read().split(b'\n')[:-1]
mid = len(lines) // 2
open(sys.argv[2], 'wb').write(b'\n'.join(lines[:mid] + [b'this is not a combined log line'] + lines[mid:]) + b'\n')
EOF
	VG_RINGFLOW=$(vg_binary)
	vg() {
		timeout 300 valgrind -q --error-exitcode=9 --leak-check=full --child-silent-after-fork=yes "$VG_RINGFLOW" "$@"
	}
	for mode in parallel pipeline; do
		for io in read mmap uring; do
			what="valgrind $mode --io=$io"
			vg --mode=$mode --threads=2 --io=$io --buffer-size=64K --window=64K --strict \
				'parse combined | count by status' "$T/bad" > "$T/out" 2> "$T/err"
			st=$?
			check_status "$what, --strict and a bad record" $st 2
			[ $st = 9 ] && fail "$what, --strict: $(grep '==' "$T/err" | head -20)"
			check_grep "$what, --strict: said" "$T/err" "(--strict)"
			vg --mode=$mode --threads=2 --io=$io --buffer-size=64K --window=64K 'grep GET' "$T/small" \
				> /dev/full 2> "$T/err"
			st=$?
			check_status "$what, > /dev/full" $st 2
			[ $st = 9 ] && fail "$what, > /dev/full: $(grep '==' "$T/err" | head -20)"
		done
	done
else
	echo "valgrind part skipped (not installed, or a sanitizer build)"
fi

finish
