#!/bin/sh
# SPDX-License-Identifier: MIT
# balance.sh - pipeline mode balances itself: a stateless stage (parse,
# filters) that is behind its producer borrows a second thread for the
# batch behind the one it has, and passes both on in order.  A stage slowed
# by RINGFLOW_TEST_SLOW_STAGE (a sleep per batch, so CPU load does not
# matter) must then take clearly less than one thread's worth of sleeps,
# and the answers stay those of a Python oracle, in order.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || { echo "skip: python3 not installed"; exit 77; }

"$LOGGEN" --size 4M --seed 17 > "$T/log"
python3 - "$T/log" "$T/want-lines" "$T/want-count" << 'EOF'
import sys
lines = open(sys.argv[1], 'rb').read().split(b'\n')[:-1]
hit = [l for l in lines if b' 404 ' in l]
open(sys.argv[2], 'wb').write(b''.join(l + b'\n' for l in hit))
open(sys.argv[3], 'w').write('%d\n' % len(hit))
EOF

# seconds of --stats=json's elapsed_ns, and the first stage's batches
field() {
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["elapsed_ns"] if sys.argv[2] == "e" else r["stages"][0]["batches"])' "$1" "$2"
}
# elapsed must be under 80% of what the slow stage alone sleeps on one thread
check_faster() { # WHAT STATS DELAY_US
	e=$(field "$2" e) b=$(field "$2" b)
	checks=$((checks + 1))
	if [ -z "$e" ] || [ -z "$b" ] || [ "$b" -lt 40 ]; then
		fail "$1: no figures, or too few batches ($b)"
	elif [ $((e / 1000)) -ge $((b * $3 * 8 / 10)) ]; then
		fail "$1: $((e / 1000000)) ms for $b batches of $(($3 / 1000)) ms: the slow stage had one thread"
	fi
}

for io in read mmap; do
	RINGFLOW_TEST_SLOW_STAGE=0:30000 "$RINGFLOW" --mode=pipeline --io=$io --buffer-size=64K --window=64K \
		--stats=json --stats-file="$T/stats" 'grep " 404 "' "$T/log" > "$T/out" 2> "$T/err"
	check_status "slow grep, $io" $? 0
	check_same "slow grep, $io: the lines, in order" "$T/out" "$T/want-lines"
	check_faster "slow grep, $io" "$T/stats" 30000

	RINGFLOW_TEST_SLOW_STAGE=0:30000 "$RINGFLOW" --mode=pipeline --io=$io --buffer-size=64K --window=64K \
		--stats=json --stats-file="$T/stats" --format=tsv 'grep " 404 " | count' "$T/log" > "$T/out" 2> "$T/err"
	check_status "slow grep | count, $io" $? 0
	check_eq "slow grep | count, $io: the count" "$(tail -n 1 "$T/out")" "$(cat "$T/want-count")"
	check_faster "slow grep | count, $io" "$T/stats" 30000
done

# csv keeps each input's header in its parse stage: that stage is not
# stateless, and no second thread (without the header) may take a batch.
python3 - "$T/csv" << 'EOF'
import sys
with open(sys.argv[1], 'w') as f:
    f.write('name,n\n')
    for i in range(200000):
        f.write('row%d,%d\n' % (i, i % 97))
EOF
want=$(python3 -c 'import csv,sys; print(sum(int(r["n"]) for r in csv.DictReader(open(sys.argv[1]))))' "$T/csv")
got=$(RINGFLOW_TEST_SLOW_STAGE=0:5000 "$RINGFLOW" --mode=pipeline --io=read --buffer-size=64K 'parse csv | sum(n)' "$T/csv" 2>&1)
check_eq "slow csv parse: the sum" "$got" "$want"


# The aggregate shares its work by key: with a helper free, two instances
# fold one batch's records at once, each the groups of its half of the key
# hash, merged at the end.  The slow aggregate (a sleep per batch in each
# instance) then shows busy time about twice the elapsed time; the answers
# stay Python's, and a bad time is reported once.
python3 - "$T/log" "$T/agg-want" "$T/badtime" << 'EOF'
import re, sys
pat = re.compile(rb'^\S+ \S+ \S+ \[[^\]]*\] "(?:[^"\\]|\\.)*" (\d{3}) (\S+)')
groups = {}
lines = open(sys.argv[1], 'rb').read().split(b'\n')[:-1]
for l in lines:
    m = pat.match(l)
    if not m:
        continue
    g = groups.setdefault(int(m.group(1)), [0, 0, None, None])
    g[0] += 1
    if m.group(2).isdigit():
        v = int(m.group(2))
        g[1] += v
        g[2] = v if g[2] is None else min(g[2], v)
        g[3] = v if g[3] is None else max(g[3], v)
with open(sys.argv[2], 'w') as f:
    for k in sorted(groups):
        f.write('%d %s\n' % (k, ' '.join(str(x) for x in groups[k])))
# three records whose time is no time, spread through the log
bad = b'10.0.0.1 - - [31/Foo/2020:99:99:99 +0000] "GET /x HTTP/1.1" 200 5 "-" "-"'
step = len(lines) // 4
out = lines[:step] + [bad] + lines[step:2 * step] + [bad] + lines[2 * step:] + [bad]
open(sys.argv[3], 'wb').write(b'\n'.join(out) + b'\n')
EOF
nlines=$(wc -l < "$T/badtime")
busy_vs_elapsed() { # STATS: the aggregate's busy time over the elapsed time, x100
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["stages"][-1]["busy_ns"] * 100 // r["elapsed_ns"])' "$1"
}
for io in read mmap; do
	RINGFLOW_TEST_SLOW_STAGE=1:20000 "$RINGFLOW" --mode=pipeline --io=$io --buffer-size=64K --window=64K \
		--stats=json --stats-file="$T/stats" --format=tsv \
		'parse combined | count, sum(bytes), min(bytes), max(bytes) by status' "$T/log" > "$T/out" 2> "$T/err"
	check_status "slow aggregate, $io" $? 0
	python3 -c '
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
for r in rows:
    print(" ".join(x if x not in ("", "\\N") else "None" for x in r))' "$T/out" > "$T/agg-got"
	check_same "slow aggregate, $io: count, sum, min, max by status" "$T/agg-got" "$T/agg-want"
	ratio=$(busy_vs_elapsed "$T/stats")
	checks=$((checks + 1))
	[ "${ratio:-0}" -ge 140 ] || fail "slow aggregate, $io: busy $ratio% of elapsed: one instance ran, not two"

	RINGFLOW_TEST_SLOW_STAGE=1:5000 "$RINGFLOW" --mode=pipeline --io=$io --buffer-size=64K --window=64K \
		--stats=json --stats-file="$T/stats" --format=tsv 'parse combined | count by minute' "$T/badtime" \
		> "$T/out" 2> "$T/err"
	check_status "slow minute buckets, $io" $? 0
	check_eq "slow minute buckets, $io: records counted" \
		"$(awk -F'\t' 'NR > 1 { n += $2 } END { print n }' "$T/out")" $((nlines - 3))
	check_eq "slow minute buckets, $io: bad times reported once" \
		"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rejected"])' "$T/stats")" 3
done

finish
