#!/bin/sh
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

finish
