#!/bin/sh
# SPDX-License-Identifier: MIT
# groupmem.sh - --group-memory holds in every mode, also while the result
# table is built and while multiprocess mode merges its workers' results:
# a run either stays under --memory + --group-memory (GNU time's peak: that
# of the largest process, not the sum) and prints the whole answer, or stops with exit status 2, nothing printed and a message naming
# the figure it reached.  Under the limit the answer is the oracle's (sort |
# uniq -c, Python's Counter), and `top N`, chosen by a heap, is the first N
# rows of the full sort, ties broken the same way.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || { echo "skip: python3 not installed"; exit 77; }
[ -x /usr/bin/time ] || { echo "skip: GNU time not installed"; exit 77; }
[ -r /proc/self/statm ] || { echo "skip: no /proc: the limit cannot be measured"; exit 77; }
MODES="serial parallel pipeline multiprocess async"

# 300,000 distinct keys, one line each
awk 'BEGIN { for (i = 0; i < 300000; i++) printf "%d x\n", (i * 2654435761) % 4294967296 }' > "$T/keys"
{
	printf '$1\tcount\n'
	cut -d' ' -f1 "$T/keys" | sort -n | uniq -c | awk '{ print $2 "\t" $1 }'
} > "$T/keys.want"

# limit = --memory (1M) + G.  The unfixed build passed the limit by the
# whole result table in serial mode (G=24M), by the merged state in
# parallel mode and in the multiprocess parent (G=40M); its workers
# measured the parent's memory, not their own.
for mode in $MODES; do
	for g in 4 24 40 200; do
		limit_kb=$(((1 + g) * 1024))
		/usr/bin/time -f %M -o "$T/peak" "$RINGFLOW" --mode=$mode --memory=1M --group-memory=${g}M --format=tsv \
			'split | count by $1' "$T/keys" > "$T/out" 2> "$T/err"
		st=$?
		peak=$(tail -1 "$T/peak")
		what="$mode --group-memory=${g}M"; [ -n "${GM_DEBUG:-}" ] && echo "$what st=$st peak=$peak limit=$limit_kb" >&2
		if [ $st -eq 0 ]; then
			# 2 MiB for what GNU time counts and statm does not (exit, stdio)
			checks=$((checks + 1))
			[ "$peak" -le $((limit_kb + 2048)) ] ||
				fail "$what: finished with a peak of $peak KiB, over the limit of $limit_kb KiB"
			check_same "$what: the answer" "$T/out" "$T/keys.want"
		else
			check_status "$what" $st 2
			check_eq "$what: nothing printed" "$(wc -c < "$T/out")" 0
			check_grep "$what: the reason" "$T/err" "outgrew --group-memory"
			# the figure reached, and the limit it passed
			checks=$((checks + 1))
			grep -q -E "(reached|to) [0-9]+ MiB.*over (its share of )?[0-9]+ MiB \(--memory \+ --group-memory" \
				"$T/err" || fail "$what: no figure in: $(head -c 400 "$T/err")"
		fi
		# a generous limit always fits
		[ $g -eq 200 ] && check_status "$what: fits" $st 0
	done
done
# multiprocess mode: the processes together.  A sampler adds up the
# resident memory of ringflow and its workers every 5 ms; the limit for all
# of them is --memory for each process plus --group-memory (a worker takes
# 1/N of it, the parent counts the workers it has not merged).  Sampling
# can only miss a peak, never invent one.
for g in 24 40; do
	python3 - "$RINGFLOW" "$T/keys" $g > "$T/sum" 2> "$T/err" <<'PY'
import os, subprocess, sys, time
rf, keys, g = sys.argv[1], sys.argv[2], sys.argv[3]
p = subprocess.Popen([rf, "--mode=multiprocess", "--threads=2", "--memory=1M", "--group-memory=%sM" % g,
                      "--format=tsv", "split | count by $1", keys], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
page, peak = os.sysconf("SC_PAGE_SIZE"), 0
def rss(pid):
    try:
        with open("/proc/%d/statm" % pid) as f:
            return int(f.read().split()[1]) * page
    except (OSError, IndexError, ValueError):
        return 0
def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []
while p.poll() is None:
    peak = max(peak, rss(p.pid) + sum(rss(c) for c in children(p.pid)))
    time.sleep(0.005)
p.stderr.read()
print(p.returncode, peak // 1024)
PY
	read -r st sum < "$T/sum"
	[ -n "${GM_DEBUG:-}" ] && echo "multiprocess together G=$g st=$st sum=$sum" >&2
	# three processes: --memory each (1M), and 2 MiB of slack each for what
	# the kernel counts and statm does not
	limit_kb=$(((3 * 1 + g) * 1024 + 3 * 2048))
	if [ "$st" -eq 0 ]; then
		checks=$((checks + 1))
		[ "$sum" -le "$limit_kb" ] ||
			fail "multiprocess --group-memory=${g}M: the processes together reached $sum KiB, over $limit_kb KiB"
	else
		check_status "multiprocess --group-memory=${g}M, together" "$st" 2
	fi
done

# a tiny limit stops every mode (a multiprocess worker says it was one)
"$RINGFLOW" --mode=multiprocess --threads=2 --memory=1M --group-memory=1M 'split | count by $1' "$T/keys" \
	> "$T/out" 2> "$T/err"
check_status "multiprocess, tiny limit" $? 2
check_grep "multiprocess, tiny limit: whose" "$T/err" "(--memory + --group-memory"

# ---- the order, and top N ----
# keys of every kind, counts with many ties: integers (negative, past 64
# bits), decimals, "5" "5.0" "05" (equal numbers: by bytes), text, UTF-8
python3 - "$T/mixed" <<'PY'
import random, sys
r = random.Random(12)
pool = ["5", "5.0", "05", "-5", "-0", "0", "10", "9", "1a", "abc", "abd", "ab", "Z", "z", "1e3", "1000",
        "1E3", "-1e300", "1e400", "9223372036854775807", "9223372036854775808", "18446744073709551616",
        "-9223372036854775809", "0.1", ".5", "5.", "+7", "7", "\u00e9t\u00e9", "\u00e9", "x" * 300,
        "abcdefgh1", "abcdefgh2", "abcdefgh", "inf", "nan", "-", "+"]
pool += ["k%d" % i for i in range(300)] + [str(r.randint(-10**6, 10**6)) for _ in range(300)]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for _ in range(20000):
        f.write("%s %d\n" % (r.choice(pool) if r.random() < 0.3 else pool[int(r.paretovariate(1.2)) % len(pool)], 1))
PY
python3 - "$T/mixed" "$T" <<'PY'
import collections, re, sys
num = re.compile(rb"^[ \t\r]*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t\r]*$")
def order(k):
    # ringflow's documented order: numbers (by value; equal ones by bytes) before text (by bytes)
    t = k.strip(b" \t\r")
    if len(t) <= 64 and num.match(k):
        if re.match(rb"^[+-]?[0-9]+$", t) and -2**63 <= int(t) < 2**63:
            return (0, int(t), k)
        return (0, float(t), k)
    return (1, 0, k)
c = collections.Counter(line.split(b" ")[0] for line in open(sys.argv[1], "rb"))
rows = sorted(c.items(), key=lambda kv: order(kv[0]))
with open(sys.argv[2] + "/mixed.want", "wb") as f:
    f.write(b"$1\tcount\n" + b"".join(k + b"\t%d\n" % n for k, n in rows))
rows = sorted(c.items(), key=lambda kv: (-kv[1], order(kv[0])))
with open(sys.argv[2] + "/mixed.top", "wb") as f:
    f.write(b"$1\tcount\n" + b"".join(k + b"\t%d\n" % n for k, n in rows))
PY
ngroups=$(($(wc -l < "$T/mixed.want") - 1))
for mode in $MODES; do
	"$RINGFLOW" --mode=$mode --format=tsv 'split | count by $1' "$T/mixed" > "$T/out" 2> "$T/err"
	check_status "$mode: mixed keys" $? 0
	check_same "$mode: mixed keys in the documented order" "$T/out" "$T/mixed.want"
done
"$RINGFLOW" --format=tsv 'split | count by $1 | sort count desc' "$T/mixed" > "$T/sorted"
check_same "sort count desc: ties by key, as Python" "$T/sorted" "$T/mixed.top"
for mode in serial multiprocess; do
	for n in 0 1 2 3 7 50 $((ngroups / 2)) $((ngroups - 1)) $ngroups $((ngroups + 10)); do
		"$RINGFLOW" --mode=$mode --format=tsv "split | count by \$1 | top $n" "$T/mixed" > "$T/top" 2> "$T/err"
		check_status "$mode: top $n" $? 0
		head -n $((n + 1)) "$T/sorted" > "$T/want.top"
		check_same "$mode: top $n = the first $n of the full sort" "$T/top" "$T/want.top"
		head -n $((n + 1)) "$T/mixed.top" > "$T/want.top"
		check_same "$mode: top $n = Python's" "$T/top" "$T/want.top"
	done
done
finish
