#!/bin/sh
# SPDX-License-Identifier: MIT
# modes.sh - every execution mode gives the serial answer, byte for byte:
# a corpus of queries over a generated log and untidy inputs (an empty file,
# no final newline, a 300 KB line, unparsable lines), run in parallel (1-3
# workers, every backend, every SIMD level), pipeline, multiprocess (1-5
# workers) and async mode.
. "${SRCDIR:-.}/tests/lib.sh"

# shellcheck source=tests/modeinputs.sh
. "${SRCDIR:-.}/tests/modeinputs.sh"

while IFS= read -r query; do
	[ -n "$query" ] || continue
	# shellcheck disable=SC2086 # the file list is meant to split
	"$RINGFLOW" --mode=serial --io=mmap "$query" $FILES > "$T/want" 2> "$T/want.err"
	want_status=$?
	for io in mmap read uring; do
		for threads in 1 2 3; do
			# shellcheck disable=SC2086
			"$RINGFLOW" --mode=parallel --threads=$threads --io=$io --buffer-size=64K "$query" $FILES \
				> "$T/got" 2> "$T/got.err"
			check_status "parallel x$threads $io: $query" $? $want_status
			check_same "parallel x$threads $io: $query" "$T/got" "$T/want"
			check_same "parallel x$threads $io (stderr): $query" "$T/got.err" "$T/want.err"
		done
	done
	for depth in 1 3; do
		for io in mmap read; do
			# shellcheck disable=SC2086
			"$RINGFLOW" --mode=pipeline --queue-depth=$depth --io=$io --memory=1M --buffer-size=64K "$query" $FILES \
				> "$T/got" 2> "$T/got.err"
			check_status "pipeline q$depth $io: $query" $? $want_status
			check_same "pipeline q$depth $io: $query" "$T/got" "$T/want"
			check_same "pipeline q$depth $io (stderr): $query" "$T/got.err" "$T/want.err"
		done
	done
	# shellcheck disable=SC2086
	cat $FILES | "$RINGFLOW" --mode=serial "$query" > "$T/want.pipe" 2> /dev/null
	# shellcheck disable=SC2086
	cat $FILES | "$RINGFLOW" --mode=pipeline "$query" > "$T/got" 2> /dev/null
	check_same "pipeline from a pipe: $query" "$T/got" "$T/want.pipe"
	for simd in scalar sse2; do
		# shellcheck disable=SC2086
		"$RINGFLOW" --mode=parallel --threads=2 --simd=$simd "$query" $FILES > "$T/got" 2> "$T/got.err"
		check_same "parallel simd=$simd: $query" "$T/got" "$T/want"
	done
	# shellcheck disable=SC2086
	"$RINGFLOW" --mode=async "$query" $FILES > "$T/got" 2> "$T/got.err"
	check_status "async: $query" $? $want_status
	check_same "async: $query" "$T/got" "$T/want"
	check_same "async (stderr): $query" "$T/got.err" "$T/want.err"
	for threads in 1 2 3 5; do
		# shellcheck disable=SC2086
		"$RINGFLOW" --mode=multiprocess --threads=$threads "$query" $FILES > "$T/got" 2> "$T/got.err"
		check_status "multiprocess x$threads: $query" $? $want_status
		check_same "multiprocess x$threads: $query" "$T/got" "$T/want"
		check_same "multiprocess x$threads (stderr): $query" "$T/got.err" "$T/want.err"
	done
done <<'QUERIES'
count
grep " 404 "
grep -v GET | count
grep -i "MOZILLA" | count
regex "HTTP/1\.[01]\" 5[0-9][0-9]"
split | count by $9
split | count, sum($10), min($10), max($10), distinct($1) by $9
parse combined | count, sum(bytes), avg(bytes), p50(bytes), p99(bytes), distinct(ip) by status
parse combined | where status >= 500 | count by path | top 10
parse combined | where method == "POST" | select ip, path, status
parse combined | count by minute
parse combined | quantile(bytes, 0.999) by method | sort quantile(bytes,0.999) desc
parse combined | head 1500 | count by status
split | where $9 == 404 | head 30
QUERIES

# async: 10,000 small files in one run, with only 64 file descriptors
mkdir "$T/many"
"$LOGGEN" --lines 100000 --seed 8 | (cd "$T/many" && split -l 10 -d -a 5 - f)
printf 'x 404\n' > "$T/many/g00000"   # and some that are not logs
: > "$T/many/g00001"
got=$(cd "$T/many" && sh -c 'ulimit -n 64; "$0" --mode=async --stats "grep \" 404 \" | count" f* g*' "$RINGFLOW" 2> "$T/err")
check_eq "async: 10,000 files" "$got" "$(cat "$T"/many/f* "$T"/many/g* | grep -c -F ' 404 ')"
check_grep "async: through io_uring" "$T/err" "statx, openat, read, close linked in io_uring"
got=$(cd "$T/many" && "$RINGFLOW" --mode=async count f00001 missing f00002 2> "$T/err")
check_status "async: a missing file" $? 2
check_eq "async: the others still counted" "$got" 20
check_grep "async: the missing file named" "$T/err" "missing: No such file or directory"

# --rejects is in input order in every mode: many rejects (longer than the
# writers' buffers) over many small batches, checked against grep
"$LOGGEN" --size 2M --seed 9 | awk 'NR % 7 == 0 { printf "garbage %d ", NR; for (i = 0; i < 20; i++) printf "xxxxxxxxxx"; print "" } { print }' \
	> "$T/rej.log"
grep '^garbage' "$T/rej.log" > "$T/rej.want"
for query in 'parse combined | count' 'parse combined | select status'; do
	for mode in serial parallel pipeline multiprocess async; do
		for threads in 2 4; do
			"$RINGFLOW" --mode=$mode --threads=$threads --buffer-size=64K --window=64K --rejects="$T/rej.got" \
				"$query" "$T/rej.log" "$T/rej.log" > /dev/null 2>&1
			cat "$T/rej.want" "$T/rej.want" > "$T/rej.want2"
			check_same "--rejects in order: $mode x$threads: $query" "$T/rej.got" "$T/rej.want2"
		done
	done
done

# Two stages reject in one batch (the parser a line, the time key an
# impossible date): the rejects file is still in input order
awk 'NR % 5 == 0 { sub(/\[[^]]*\]/, "[30/Feb/2024:10:00:00 +0000]") } { print }' "$T/rej.log" > "$T/rej2.log"
grep -e '^garbage' -e '30/Feb/2024' "$T/rej2.log" > "$T/rej.want"
for mode in serial parallel pipeline multiprocess async; do
	"$RINGFLOW" --mode=$mode --buffer-size=64K --window=64K --rejects="$T/rej.got" \
		'parse combined | count by minute' "$T/rej2.log" > /dev/null 2>&1
	check_same "--rejects in order, parse and time key: $mode" "$T/rej.got" "$T/rej.want"
done

# CSV and TSV: a quoted field may hold newlines (RFC 4180), across buffer
# ends, in every mode, backend and SIMD level; Python's csv module is the
# oracle.  One record of 300 KB is longer than any buffer here.
cat > "$T/mkcsv.py" << 'EOF'
import csv, random, sys
random.seed(int(sys.argv[1]))
sep = '\t' if sys.argv[2] == 'tsv' else ','
w = csv.writer(sys.stdout, delimiter=sep, lineterminator='\n')
w.writerow(['id', 'name', 'note', 'n'])
for i in range(2000):
    k = random.random()
    if i == 1000:
        note = ('long "quoted" line\n' + sep) * 15000
    elif k < 0.3:
        note = 'line one\nline two%s "quoted"\n%s' % (sep, 'x' * random.randint(0, 300))
    elif k < 0.4:
        note = '\n\n' + sep * 5 + '"'
    elif k < 0.5:
        note = 'y' * random.randint(0, 3000)
    else:
        note = 'plain %d' % i
    name = 'na"me%d' % i if random.random() < 0.2 else 'name%d' % i
    w.writerow([i, name, note, random.randint(-10**6, 10**6)])
EOF
cat > "$T/csvsum.py" << 'EOF'
import csv, sys
csv.field_size_limit(1 << 30)
rows = list(csv.DictReader(open(sys.argv[1], newline=''), delimiter='\t' if sys.argv[2] == 'tsv' else ','))
print(len(rows), sum(int(r['n']) for r in rows), sum(1 for r in rows if len(r['note']) > 100000))
EOF
simds="scalar sse2"
grep -q avx2 /proc/cpuinfo && simds="$simds avx2"
grep -qw avx512bw /proc/cpuinfo && simds="$simds avx512"
formats="csv tsv"
command -v python3 > /dev/null 2>&1 || formats="" # the oracle: skipped without it
for fmt in $formats; do
	python3 "$T/mkcsv.py" 21 $fmt > "$T/q.$fmt" || exit 99
	# shellcheck disable=SC2046 # three numbers
	set -- $(python3 "$T/csvsum.py" "$T/q.$fmt" $fmt)
	want_n=$1 want_sum=$2 want_long=$3
	check_eq "$fmt: the oracle has records spanning lines" "$([ "$(wc -l < "$T/q.$fmt")" -gt $((want_n + 1)) ] && echo yes)" yes
	for mode in serial parallel pipeline multiprocess async; do
		for io in read mmap uring; do
			for simd in $simds; do
				got=$("$RINGFLOW" --mode=$mode --io=$io --simd=$simd --buffer-size=64K --window=64K \
					"parse $fmt | count" "$T/q.$fmt" 2> "$T/err")
				check_eq "$fmt $mode $io $simd: parse $fmt | count" "$got" "$want_n"
				check_eq "$fmt $mode $io $simd: nothing rejected" "$(cat "$T/err")" ""
			done
			got=$("$RINGFLOW" --mode=$mode --io=$io --buffer-size=64K --window=64K "parse $fmt | sum(n)" "$T/q.$fmt" 2>&1)
			check_eq "$fmt $mode $io: parse $fmt | sum(n)" "$got" "$want_sum"
			# the 300 KB record skipped whole, newlines and all
			got=$("$RINGFLOW" --mode=$mode --io=$io --buffer-size=64K --window=64K --max-record=100K --on-long=skip \
				"parse $fmt | count" "$T/q.$fmt" 2> "$T/err")
			check_eq "$fmt $mode $io: --on-long=skip" "$got" $((want_n - want_long))
			check_grep "$fmt $mode $io: --on-long=skip said" "$T/err" "1 record longer than --max-record"
		done
	done
	# through a pipe, and from two inputs (each with its header)
	got=$(cat "$T/q.$fmt" | "$RINGFLOW" --buffer-size=64K "parse $fmt | count" 2>&1)
	check_eq "$fmt: from a pipe" "$got" "$want_n"
	for mode in serial parallel pipeline multiprocess async; do
		got=$("$RINGFLOW" --mode=$mode --buffer-size=64K "parse $fmt | sum(n)" "$T/q.$fmt" "$T/q.$fmt" 2>&1)
		check_eq "$fmt: $mode, two inputs" "$got" $((want_sum * 2))
	done
done

# a worker that dies fails the run, loudly, with no answer printed
RINGFLOW_TEST_WORKER_DIES=2 "$RINGFLOW" --mode=multiprocess --threads=3 'split | count by $9' "$T/log" \
	> "$T/got" 2> "$T/err"
check_status "dead worker" $? 2
check_eq "dead worker: no partial answer" "$(wc -c < "$T/got")" 0
check_grep "dead worker: said so" "$T/err" "worker 2 (pid"
check_grep "dead worker: how" "$T/err" "killed by signal 9"

finish
