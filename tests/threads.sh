#!/bin/sh
# SPDX-License-Identifier: MIT
# threads.sh - four runs at once from four threads of one program
# (tests/threads.c): serial, parallel, pipeline and async runs of queries
# that parse json, combined, csv and syslog, match with Hyperscan, take
# p99s, read --tz and --since/--until, and use a registered stage; queries
# parsed in the thread that runs them, in another thread, and one shared by
# four runs.  The oracle of each run is the same call made alone first,
# and that of one of them the CLI's --format=tsv output.
#
# Built with ThreadSanitizer (SANITIZED=thread: ./configure
# --enable-sanitizers=thread; make check-threads) any report fails the
# test; tests/tsan.supp lists what is suppressed, and why.
. "${SRCDIR:-.}/tests/lib.sh"

PROG=${THREADS_TEST:-$(dirname "$RINGFLOW")/tests/threads}
if [ ! -x "$PROG" ]; then
	echo "SKIP: $PROG is not built (make check builds it)"
	exit 77
fi

# the inputs: combined and json logs of the same requests, a csv of some
# of their fields, a syslog file, and many small logs a minute apart
mkdir "$T/small" || exit 99
"$LOGGEN" --lines 10000 --seed 3 > "$T/a.log" || exit 99
"$LOGGEN" --lines 10000 --seed 3 --format json > "$T/a.json" || exit 99
start=1793491200 # 2026-11-01T00:00:00Z
i=0
while [ $i -lt 20 ]; do
	"$LOGGEN" --lines 500 --seed $((100 + i)) --start $((start + 60 * i)) > "$T/small/s$i.log" || exit 99
	i=$((i + 1))
done
python3 - "$T" << 'PY' || exit 99
import csv, json, random, sys
d = sys.argv[1]
with open(d + '/a.csv', 'w', newline='') as out:
    w = csv.writer(out)
    w.writerow(['time', 'ip', 'method', 'path', 'status', 'bytes', 'duration'])
    for line in open(d + '/a.json'):
        o = json.loads(line)
        w.writerow([o['time'], o['ip'], o['method'], o['path'], o['status'], o['bytes'], o['duration']])
r = random.Random(5)
hosts = ['web1', 'web2', 'db1', 'cache']
with open(d + '/a.syslog', 'w') as out:
    for i in range(10000):
        s = i // 5
        out.write('Nov %2d %02d:%02d:%02d %s app[%d]: user %d did %s\n' % (
            1 + s // 86400, s // 3600 % 24, s // 60 % 60, s % 60, r.choice(hosts),
            r.randint(100, 999), r.randint(1, 50), r.choice(['login', 'logout', 'GET /x', 'error 42'])))
PY

rounds=4
if [ "${SANITIZED:-}" = thread ]; then
	rounds=2
	# halt at the first report, with an exit status of its own
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 suppressions=$SRCDIR/tests/tsan.supp"
	export TSAN_OPTIONS
fi

# the runs from four threads, each against its run alone
"$PROG" --rounds $rounds "$T" > "$T/out" 2> "$T/err"
status=$?
# ThreadSanitizer of gcc 12 cannot map its shadow memory when the kernel
# randomizes mmap with more bits than it knows (vm.mmap_rnd_bits > 28):
# without the randomization it can
if [ $status -ne 0 ] && grep -q "unexpected memory mapping" "$T/err" && command -v setarch > /dev/null; then
	setarch "$(uname -m)" -R "$PROG" --rounds $rounds "$T" > "$T/out" 2> "$T/err"
	status=$?
fi
check_status "tests/threads --rounds $rounds" $status 0
if [ $status -ne 0 ]; then
	head -c 20000 "$T/err" >&2
fi
check_line "tests/threads" "$T/out" "4 threads, 8 jobs, 2 x $rounds rounds: 0 failures"

# the first job's result, as data, against the CLI's tsv (a ThreadSanitizer
# build has the normal suite's CLI tests besides: not again here)
if [ "${SANITIZED:-}" != thread ]; then
	"$PROG" --dump "$T" > "$T/dump" || fail "tests/threads --dump failed"
	query=$(head -n 1 "$T/dump")
	tail -n +2 "$T/dump" > "$T/api.tsv"
	"$RINGFLOW" --format=tsv "$query" "$T/a.log" > "$T/cli.tsv" || fail "ringflow '$query' failed"
	check_same "rf_run_result against the CLI's tsv" "$T/api.tsv" "$T/cli.tsv"
	# and the rows are there to compare (the statuses >= 400, from awk)
	want=$(awk '$9 >= 400 { print $9, $6 }' "$T/a.log" | sort -u | wc -l)
	check_eq "groups of status and method" "$(($(wc -l < "$T/cli.tsv") - 1))" "$want"
fi
finish
