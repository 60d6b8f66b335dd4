#!/bin/sh
# SPDX-License-Identifier: MIT
# longrecords.sh - one rule for --max-record: a record whose bytes (without
# its newline; a CR is one of them) pass the limit is skipped and counted
# with --on-long=skip, an error otherwise - whatever the backend, the mode,
# the buffer size and where the record sits in a buffer.  Python is the
# oracle: what it keeps, what it counts as skipped, where the first is.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || exit 77

# Lines from empty to 150 KB (records across 64K buffers), most short, some exactly at, one under and one
# over each limit tested, some ending in CR; the last has no newline.
python3 - "$T" <<'PY'
import json, random, sys
d = sys.argv[1]
r = random.Random(12)
limits = [1000, 70000]
lines = []
def line(n, cr=False):
    body = "L%d " % len(lines) + "".join(r.choice("abcxyz Z") for _ in range(40))
    s = (body * (n // len(body) + 1))[:n]
    if cr and n:
        s = s[:-1] + "\r"
    lines.append(s)
for i in range(1200):
    x = r.random()
    if x < 0.90:
        line(r.randint(0, 1500), r.random() < 0.05)
    elif x < 0.96:
        line(r.randint(1500, 30000), r.random() < 0.05)
    elif x < 0.97:
        line(r.randint(30000, 150000), r.random() < 0.05)
    else:
        m = r.choice(limits)
        line(m + r.choice([-1, 0, 1]), r.random() < 0.3)
line(70001) # last, no newline, over both limits
open(d + "/mix", "w", newline="").write("\n".join(lines))
# a second file: its last record, without a newline, exactly at 1000
open(d + "/atlimit", "w", newline="").write("short\n" + "Z" * 1001 + "\n" + "y" * 999 + "Z")
want = {}
for name in ("mix", "atlimit"):
    ls = open(d + "/" + name, "rb").read().split(b"\n")
    for m in limits:
        long = [i for i, s in enumerate(ls) if len(s) > m]
        kept = [s for s in ls if len(s) <= m]
        first = long[0] if long else None
        off = sum(len(s) + 1 for s in ls[:first]) if long else 0
        with open("%s/%s.%d.want" % (d, name, m), "w") as f:
            f.write("%d %d %d %d\n" % (len(kept), len(long), (first + 1) if long else 0, off))
        open("%s/%s.%d.grep" % (d, name, m), "wb").write(b"".join(s + b"\n" for s in kept if b"Z" in s))
PY
[ -s "$T/mix.1000.want" ] || exit 99

# skip_run ARGS...: ringflow --on-long=skip ARGS, --stats in $T/stats, the
# output in $T/got, the notes in $T/err
skip_run() {
	"$RINGFLOW" --on-long=skip --stats=json --stats-file="$T/stats" "$@" > "$T/got" 2> "$T/err"
}
# long_skipped: the records skip_run's --stats counts as skipped
long_skipped() {
	sed -n 's/.*"long_skipped":\([0-9]*\).*/\1/p' "$T/stats"
}

# check_skip WHAT GOT_STATUS LIMIT FILE WHERE: count, skipped count (--stats)
# and the first skipped line (or byte, on a pipe) as the oracle says
check_skip() {
	what=$1 st=$2 m=$3 f=$4 where=$5
	read -r kept skipped line off < "$T/$f.$m.want"
	check_status "$what" "$st" 0
	check_eq "$what: count" "$(cat "$T/got")" "$kept"
	check_eq "$what: --stats long_skipped" "$(long_skipped)" "$skipped"
	# one note per input (a multiprocess worker notes its own share):
	# the counts add up, and the first names the first skipped record
	sum=$(sed -n 's/.* \([0-9]*\) records* longer than --max-record.*/\1/p' "$T/err" |
		awk '{ s += $1 } END { print s + 0 }')
	check_eq "$what: noted" "$sum" "$skipped"
	if [ "$where" = line ]; then
		check_grep "$what: first" "$T/err" "the first at line $line"
	else
		check_grep "$what: first" "$T/err" "the first at byte $off"
	fi
}

for m in 1000 70000; do
	for mode in serial parallel pipeline multiprocess async; do
		for bs in 64K 1M; do
			for io in read mmap uring; do
				w="$mode --io=$io --buffer-size=$bs --max-record=$m"
				skip_run --mode=$mode --io=$io --buffer-size=$bs --max-record=$m count "$T/mix"
				check_skip "$w: skip" $? $m mix line
			done
			for io in auto uring; do
				cat "$T/mix" | skip_run --mode=$mode --io=$io --buffer-size=$bs --max-record=$m count
				check_skip "$mode pipe --io=$io --buffer-size=$bs --max-record=$m: skip" $? $m mix byte
			done
		done
		# the records kept are the right ones, in order
		for io in read mmap uring; do
			"$RINGFLOW" --mode=$mode --io=$io --buffer-size=64K --max-record=$m --on-long=skip \
				'grep "Z"' "$T/mix" > "$T/got" 2> /dev/null
			check_same "$mode $io --max-record=$m: grep" "$T/got" "$T/mix.$m.grep"
		done
		"$RINGFLOW" --mode=$mode --max-record=$m --on-long=skip 'grep "Z"' < "$T/mix" > "$T/got" 2> /dev/null
		check_same "$mode stdin --max-record=$m: grep" "$T/got" "$T/mix.$m.grep"
		# --on-long=error (the default): exit 2, naming the first
		read -r kept skipped line off < "$T/mix.$m.want"
		for io in read mmap uring; do
			"$RINGFLOW" --mode=$mode --io=$io --buffer-size=64K --max-record=$m count "$T/mix" \
				> /dev/null 2> "$T/err"
			check_status "$mode $io --max-record=$m: error" $? 2
			check_grep "$mode $io --max-record=$m: error" "$T/err" \
				"mix: line $line: record longer than --max-record ($m bytes)"
		done
		cat "$T/mix" | "$RINGFLOW" --mode=$mode --max-record=$m --on-long=error count > /dev/null 2> "$T/err"
		check_status "$mode pipe --max-record=$m: error" $? 2
		check_grep "$mode pipe --max-record=$m: error" "$T/err" \
			"-: byte $off: record longer than --max-record ($m bytes)"
	done
done

# the framer's scans are the SIMD kernels: every level finds the same
for simd in scalar sse2 avx2 avx512; do
	"$RINGFLOW" --simd=$simd count /dev/null > /dev/null 2>&1 || continue
	for io in read mmap; do
		skip_run --simd=$simd --io=$io --buffer-size=64K --max-record=1000 count "$T/mix"
		check_skip "--simd=$simd $io: skip" $? 1000 mix line
	done
done

# at the limit, one over, and a last record without a newline at the limit
for mode in serial parallel pipeline multiprocess async; do
	for io in read mmap uring; do
		skip_run --mode=$mode --io=$io --max-record=1000 count "$T/atlimit"
		check_skip "atlimit $mode $io" $? 1000 atlimit line
	done
done

# csv: a record is measured whole, its quoted newlines included
python3 - "$T" <<'PY'
import random, sys
r = random.Random(3)
recs = []
for i in range(3000):
    n = r.choice([10, 100, 900, 1100, 5000, 100000])
    v = "x" * (n // 2) + "\n" + "y" * (n - n // 2)
    recs.append('%d,"%s"' % (i, v))
open(sys.argv[1] + "/c.csv", "w").write("k,v\n" + "\n".join(recs) + "\n")
kept = sum(1 for s in recs if len(s) <= 2000)
open(sys.argv[1] + "/c.want", "w").write("%d %d\n" % (kept, len(recs) - kept))
PY
read -r kept skipped < "$T/c.want"
for mode in serial pipeline async; do
	for io in read mmap uring; do
		skip_run --mode=$mode --io=$io --buffer-size=64K --max-record=2000 'parse csv | count' "$T/c.csv"
		check_status "csv $mode $io" $? 0
		check_eq "csv $mode $io: count" "$(cat "$T/got")" "$kept"
		check_eq "csv $mode $io: skipped" "$(long_skipped)" "$skipped"
	done
done

# line numbers after skipped records still count them: the first record a
# parser rejects is named by its line in the file
python3 - "$T" <<'PY'
import json, random, sys
r = random.Random(5)
ls = []
for i in range(3000):
    x = r.random()
    if x < 0.05:
        ls.append(json.dumps({"n": i, "pad": "p" * r.randint(1000, 100000)}))
    elif x < 0.06 and i > 1000:
        ls.append("not json %d" % i)
    else:
        ls.append(json.dumps({"n": i}))
open(sys.argv[1] + "/j", "w").write("\n".join(ls) + "\n")
bad = [i + 1 for i, s in enumerate(ls) if len(s) <= 1000 and s.startswith("not")]
open(sys.argv[1] + "/j.want", "w").write("%d %d\n" % (bad[0], len(bad)))
PY
read -r bad nbad < "$T/j.want"
for mode in serial parallel pipeline multiprocess async; do
	for io in read mmap uring; do
		"$RINGFLOW" --mode=$mode --io=$io --buffer-size=64K --max-record=1000 --on-long=skip \
			'parse json | count' "$T/j" > /dev/null 2> "$T/err"
		check_grep "json $mode $io: rejects" "$T/err" "$nbad records could not be parsed as json"
		check_grep "json $mode $io: first reject" "$T/err" "(first: $T/j line $bad)"
	done
done
# a multiprocess worker's share that ends inside a too-long record: the
# lines skipped after its last batch still count for the shares after it
python3 - "$T" <<'PY'
import sys
for name, longs in (("m1", [100000]), ("m2", [70000, 150000, 5000])):
    ls = ['{"a":1}'] * 5 + ['{"a":"%s"}' % ("x" * n) for n in longs] + ["bad"] + ['{"a":2}'] * 5
    open(sys.argv[1] + "/" + name, "w").write("\n".join(ls) + "\n")
    open(sys.argv[1] + "/" + name + ".want", "w").write("%d\n" % (ls.index("bad") + 1))
PY
for m in m1 m2; do
	read -r mbad < "$T/$m.want"
	for threads in 2 3 4; do
		"$RINGFLOW" --mode=multiprocess --threads=$threads --max-record=1K --on-long=skip \
			'parse json | count' "$T/$m" > /dev/null 2> "$T/err"
		check_grep "$m multiprocess x$threads: first reject" "$T/err" "(first: $T/$m line $mbad)"
	done
done
"$RINGFLOW" --max-record=1000 --on-long=skip --strict 'parse json | count' "$T/j" > /dev/null 2> "$T/err"
check_grep "json --strict" "$T/err" "j: line $bad: cannot be parsed as json"

# --on-long takes error or skip only
"$RINGFLOW" --on-long=drop count /dev/null > /dev/null 2> "$T/err"
check_status "--on-long=drop" $? 2
check_grep "--on-long=drop" "$T/err" "ringflow: --on-long: unknown action 'drop'"

finish
