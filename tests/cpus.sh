#!/bin/sh
# SPDX-License-Identifier: MIT
# cpus.sh - --cpus=LIST holds for every thread ringflow runs, in every mode:
# the reading thread, the worker and stage threads, the multiprocess
# workers and their threads.  Read from /proc/PID/task/*/status while the
# run goes (a slow first stage keeps it running), and the answer checked.
. "${SRCDIR:-.}/tests/lib.sh"

[ -r /proc/self/status ] || { echo "no /proc: skipped"; exit 77; }
allowed=$(awk '/^Cpus_allowed_list:/ { print $2 }' /proc/self/status)

"$LOGGEN" --size 4M --seed 13 > "$T/log"
want=$(records "$T/log")

# pid and its descendants, one a line
family() {
	echo "$1"
	for c in $(cat /proc/"$1"/task/*/children 2> /dev/null); do
		family "$c"
	done
}

# every thread of every process of the run: "pid/tid list", one a line
sample() {
	for p in $(family "$1"); do
		for s in /proc/"$p"/task/*/status; do
			l=$(awk '/^Cpus_allowed_list:/ { print $2 }' "$s" 2> /dev/null)
			[ -n "$l" ] && echo "$p/$(basename "$(dirname "$s")") $l"
		done
	done
}

# run_check WHAT CPUS WANT COMMAND...: run it in the background, sample its
# threads while it runs, then check its answer and every thread's CPU list
run_check() {
	what=$1 cpus=$2 expect=$3
	shift 3
	"$@" > "$T/out" 2> "$T/err" &
	pid=$!
	: > "$T/seen"
	i=0
	# sampled until it ends (a loaded machine may start the workers of
	# multiprocess mode late: a fixed number of samples missed them)
	while [ $i -lt 600 ] && kill -0 $pid 2> /dev/null; do
		sleep 0.02
		sample $pid >> "$T/seen"
		i=$((i + 1))
	done
	wait $pid
	check_status "$what" $? 0
	check_eq "$what: count" "$(cat "$T/out")" "$expect"
	checks=$((checks + 1))
	[ -s "$T/seen" ] || fail "$what: no thread seen"
	# each thread's last sample: the first may come before ringflow has
	# pinned itself (a slow start-up, under the sanitizers)
	bad=$(awk -v c="$cpus" '{ last[$1] = $2 } END { for (t in last) if (last[t] != c) print t, last[t] }' \
		"$T/seen" | sort -u | head -5)
	[ -z "$bad" ] || fail "$what: threads not on CPU $cpus: $(echo $bad)"
}

head -c 300000 "$T/log" | awk 'NR > 1 { print prev } { prev = $0 }' > "$T/small"
small=$(records "$T/small")
# the lines of a file, written slowly into a pipe
slowly() {
	python3 -c '
import sys, time
lines = open(sys.argv[1], "rb").readlines()
for i in range(0, len(lines), len(lines) // 10 + 1):
	sys.stdout.buffer.write(b"".join(lines[i:i + len(lines) // 10 + 1]))
	sys.stdout.flush()
	time.sleep(0.03)
' "$1"
}

for cpus in 1 0; do
	# the list must be one this process may use, and not all of them
	case ",$allowed," in
	*-*|*",$cpus,"*) ;;
	*) continue ;;
	esac
	[ "$allowed" = "$cpus" ] && continue
	for mode in serial parallel pipeline multiprocess async; do
		# the second list: only the modes that start threads or processes
		case $cpus.$mode in 0.serial|0.async) continue ;; esac
		# a file, 3 ms a batch in the first stage
		run_check "$mode file --cpus=$cpus" $cpus "$want" \
			env RINGFLOW_TEST_SLOW_STAGE=0:3000 "$RINGFLOW" --mode=$mode --threads=2 --cpus=$cpus \
			--buffer-size=64K --window=64K 'count' "$T/log"
		# the multiprocess workers were seen too
		if [ $mode = multiprocess ]; then
			checks=$((checks + 1))
			n=$(awk '{ sub("/.*", "", $1); print $1 }' "$T/seen" | sort -u | wc -l)
			[ "$n" -ge 2 ] || fail "multiprocess --cpus=$cpus: saw $n processes"
		fi
		# whatever --numa says (off and interleave pin nothing)
		if [ $cpus = 1 ]; then
			for numa in off interleave; do
				run_check "$mode file --numa=$numa --cpus=$cpus" $cpus "$want" \
					env RINGFLOW_TEST_SLOW_STAGE=0:3000 "$RINGFLOW" --mode=$mode --threads=2 \
					--numa=$numa --cpus=$cpus --buffer-size=64K --window=64K 'count' "$T/log"
			done
		fi
		# a pipe fed slowly, read through each backend (the reading
		# thread is not one the modes start)
		case $cpus.$mode in 1.parallel|1.pipeline) ;; *) continue ;; esac
		for io in read uring; do
			rm -f "$T/fifo"
			mkfifo "$T/fifo"
			slowly "$T/small" > "$T/fifo" &
			run_check "$mode $io pipe --cpus=$cpus" $cpus "$small" \
				"$RINGFLOW" --mode=$mode --threads=2 --cpus=$cpus --io=$io 'count' "$T/fifo"
			wait
		done
	done
done
finish
