#!/bin/sh
# SPDX-License-Identifier: MIT
# badinput.sh - the bad-input matrix: untidy and hostile inputs, in every
# execution mode, each with the output or error it must give.  Oracles: wc,
# cmp against the input itself, gawk, and counts worked out by hand (said
# where they are used).
. "${SRCDIR:-.}/tests/lib.sh"
MODES="serial parallel pipeline multiprocess async"
command -v gawk > /dev/null || { echo "skip: gawk not installed"; exit 77; }

# lines_of FILE: records, counting an unterminated last line
lines_of() {
	n=$(wc -l < "$1")
	if [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' ')" != 0a ]; then
		n=$((n + 1))
	fi
	echo "$n"
}
# passed FILE: what line output must be: every byte, a newline closing the
# last line
passed() {
	cat "$1"
	if [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' ')" != 0a ]; then
		echo
	fi
}

D=$T/in
mkdir "$D"
: > "$D/empty"
head -c 3000000 "$RINGFLOW" > "$D/binary"
printf 'a\0b\nc\0\n\0\n' > "$D/nul"
printf 'x \377\376 1\ny \303\050 2\nz \342\202 3\n' > "$D/utf8"
printf 'a b 200\r\nc d 404\r\ne f 200\r\n' > "$D/crlf"
printf 'one\ntwo\nthree' > "$D/open-end"
printf '\n\n\n' > "$D/blank"
yes x | head -n 1000000 > "$D/tiny"
{ head -c 100000000 /dev/zero | tr '\0' a; echo; echo after; } > "$D/long"

for f in empty binary nul utf8 crlf open-end blank tiny long; do
	want=$(lines_of "$D/$f")
	passed "$D/$f" > "$T/want"
	for mode in $MODES; do
		"$RINGFLOW" --mode=$mode count "$D/$f" > "$T/out" 2> "$T/err"
		check_status "$f $mode count" $? 0
		check_eq "$f $mode count" "$(cat "$T/out")" "$want"
		"$RINGFLOW" --mode=$mode 'head 1000000000' "$D/$f" > "$T/out" 2> "$T/err"
		check_status "$f $mode lines" $? 0
		check_same "$f $mode: every byte passes" "$T/out" "$T/want"
	done
done

# Fields: a CR before the newline is the line's end, not the last field's
# tail; invalid UTF-8 and NUL bytes are bytes like any other.
for f in crlf utf8 nul; do
	gawk 'BEGIN { RS = "\r?\n" } { c[$2]++ } END { for (k in c) print k "\t" c[k] }' "$D/$f" | sort > "$T/want"
	for mode in $MODES; do
		"$RINGFLOW" --mode=$mode --format=tsv 'split | count by $2' "$D/$f" > "$T/out" 2> "$T/err"
		check_status "$f $mode split" $? 0
		tail -n +2 "$T/out" | sort > "$T/got"
		check_same "$f $mode: split | count by \$2 = gawk" "$T/got" "$T/want"
	done
done

# A record over --max-record: an error naming file and line, or skipped and
# counted with --on-long=skip.  (long: line 1 has 100,000,000 bytes, line 2
# is "after".)
for mode in $MODES; do
	"$RINGFLOW" --mode=$mode --max-record=1M count "$D/long" > "$T/out" 2> "$T/err"
	check_status "long $mode --max-record=1M" $? 2
	check_grep "long $mode: names file and line" "$T/err" "$D/long: line 1: record longer than --max-record"
	"$RINGFLOW" --mode=$mode --max-record=1M --on-long=skip count "$D/long" > "$T/out" 2> "$T/err"
	check_status "long $mode --on-long=skip" $? 0
	check_eq "long $mode --on-long=skip: the other line" "$(cat "$T/out")" 1
	check_grep "long $mode --on-long=skip: reported" "$T/err" "1 record longer than --max-record (1048576 bytes) skipped; the first at line 1"
done

# Two long records between short ones, through each backend and a pipe (the
# framer's headroom and spill paths): the short ones come out, in order.
{ head -c 3000000 /dev/zero | tr '\0' a; echo; echo after; head -c 1500000 /dev/zero | tr '\0' b; echo; echo last; } \
	> "$D/long2"
for io in mmap read uring; do
	"$RINGFLOW" --io=$io --max-record=1M --on-long=skip 'head 10' "$D/long2" > "$T/out" 2> "$T/err"
	check_status "long2 --io=$io" $? 0
	check_eq "long2 --io=$io: the short lines" "$(cat "$T/out" | tr '\n' ' ')" "after last "
	check_grep "long2 --io=$io: reported" "$T/err" "2 records longer than --max-record (1048576 bytes) skipped; the first at line 1"
done
cat "$D/long2" | "$RINGFLOW" --max-record=1M --on-long=skip 'head 10' > "$T/out" 2> "$T/err"
check_eq "long2 pipe: the short lines" "$(cat "$T/out" | tr '\n' ' ')" "after last "
check_grep "long2 pipe: reported" "$T/err" "2 records longer than --max-record (1048576 bytes) skipped; the first at byte 0"

# JSON, deeply nested and truncated: the good lines count, the bad ones are
# rejected and counted, never a crash.  By hand: lines 1 and 4 are good;
# line 2 nests 100,000 deep, line 3 is cut short, line 5 is not an object.
{
	echo '{"n": 1, "k": "a"}'
	awk 'BEGIN { for (i = 0; i < 100000; i++) printf "{\"a\":"; printf "1"; for (i = 0; i < 100000; i++) printf "}"; print "" }'
	printf '{"n": 2, "k": "unterminated\n'
	echo '{"n": 3, "k": "b"}'
	echo '[1, 2'
} > "$D/json"
for mode in $MODES; do
	"$RINGFLOW" --mode=$mode --format=tsv 'parse json | count, sum(n)' "$D/json" > "$T/out" 2> "$T/err"
	check_status "json $mode" $? 0
	check_eq "json $mode: good lines" "$(tail -n 1 "$T/out")" "$(printf '2\t4')"
	check_grep "json $mode: rejects counted" "$T/err" "3 records could not be parsed as json"
done

# Unbalanced quotes in CSV: a quote left open at the end of the input runs
# to the end (Python's csv module reads ['a', 'b']): the record is kept and
# reported as cut off; '""' inside quotes is one quote.
printf 'h1,h2\nc,d\n"x""y",2\na,"b' > "$D/quotes.csv"
for mode in $MODES; do
	"$RINGFLOW" --mode=$mode --format=tsv 'parse csv | count by h1' "$D/quotes.csv" > "$T/out" 2> "$T/err"
	check_status "csv quotes $mode" $? 0
	check_eq "csv quotes $mode" "$(tail -n +2 "$T/out" | tr '\n\t' ';,')" 'a,1;c,1;x"y,1;'
	check_grep "csv quotes $mode: the cut-off record reported" "$T/err" "1 record ended early"
done

# A CSV large enough (over 64 MiB) for auto to consider multiprocess, which
# would cut it into byte ranges without the header: every row still counted
# under its own key, the header once.
{ echo "k,v"; awk 'BEGIN { for (i = 0; i < 5600000; i++) print "key" (i % 7) "," i }'; } > "$D/big.csv"
"$RINGFLOW" --format=tsv 'parse csv | count by k' "$D/big.csv" > "$T/out" 2> "$T/err"
check_status "big csv, auto" $? 0
check_eq "big csv, auto: 7 keys of 800000" "$(tail -n +2 "$T/out" | awk '$2 == 800000' | wc -l)" 7
rm -f "$D/big.csv"

# Quotes in CSV (RFC 4180): a quoted field holds a newline and a comma,
# '""' inside quotes is one quote; Python's csv module is the oracle.
if command -v python3 > /dev/null 2>&1; then # the oracle: skipped without it
	printf 'h1,h2\na,"b\nc,d"\n"x""y",2\n' > "$D/quotes.csv"
	want=$(python3 -c 'import csv, sys, collections
c = collections.Counter(r["h1"] for r in csv.DictReader(open(sys.argv[1], newline="")))
print("".join("%s,%d;" % kv for kv in sorted(c.items())))' "$D/quotes.csv")
	for mode in $MODES; do
		"$RINGFLOW" --mode=$mode --format=tsv 'parse csv | count by h1' "$D/quotes.csv" > "$T/out" 2> "$T/err"
		check_status "csv quoted newline $mode" $? 0
		check_eq "csv quoted newline $mode" "$(tail -n +2 "$T/out" | sort | tr '\n\t' ';,')" "$want"
		check_eq "csv quoted newline $mode: nothing rejected" "$(cat "$T/err")" ""
	done
fi

# Numbers past 64 bits are doubles, as in awk (the sum compared as a number).
printf 'n=99999999999999999999999\nn=1\nn=-9223372036854775809\nn=1e400\n' > "$D/big.logfmt"
for mode in $MODES; do
	"$RINGFLOW" --mode=$mode --format=tsv 'parse logfmt | where n < 1e300 | sum(n), min(n), max(n)' \
		"$D/big.logfmt" > "$T/out" 2> "$T/err"
	check_status "overflow $mode" $? 0
	got=$(tail -n 1 "$T/out")
	ok=$(echo "$got" | gawk -F'\t' '{ s = 1e23 + 1 - 9223372036854775809
		print ($1 == s && $2 == -9223372036854775809 && $3 == 1e23) ? "yes" : "no" }')
	check_eq "overflow $mode: $got" "$ok" yes
	# an infinity ranks above every number (max keeps it): p99 is 1e23
	# within 1%, and a quantile that lands on the infinity is said
	"$RINGFLOW" --mode=$mode --format=tsv 'parse logfmt | p99(n), max(n), quantile(n, 1)' "$D/big.logfmt" \
		> "$T/out" 2> "$T/err"
	check_status "inf in p99 $mode" $? 0
	check_eq "inf in p99 $mode" "$(tail -n 1 "$T/out" | gawk -F'\t' '{ print ($1 > 0.99e23 && $1 < 1.01e23) "," $2 }')" 1,inf
	check_grep "inf in p99 $mode: said" "$T/err" "quantile(n,1): the value at this rank is past the double range"
done

# A group-by with more keys than the memory allows: said, exit 2, no
# half-result - and with room, the exact answer.
seq 2000000 > "$D/keys"
for mode in $MODES; do
	"$RINGFLOW" --mode=$mode --group-memory=16M 'count by $0' "$D/keys" > "$T/out" 2> "$T/err"
	check_status "group-memory $mode" $? 2
	check_grep "group-memory $mode: said" "$T/err" "outgrew --group-memory"
	check_eq "group-memory $mode: nothing printed" "$(wc -c < "$T/out")" 0
done
"$RINGFLOW" --format=tsv 'count by $0' "$D/keys" > "$T/out" 2> "$T/err"
check_status "group-by with room" $? 0
check_eq "group-by with room: every key once" "$(tail -n +2 "$T/out" | awk '$2 == 1' | wc -l)" 2000000

# Not files: a directory is an error for that input (the others still
# count), a FIFO and /dev/null are read like pipes.
printf 'a\nb\n' > "$D/two"
for mode in $MODES; do
	"$RINGFLOW" --mode=$mode count "$D" "$D/two" > "$T/out" 2> "$T/err"
	check_status "directory $mode" $? 2
	check_grep "directory $mode: said" "$T/err" "Is a directory"
	check_eq "directory $mode: the other input" "$(cat "$T/out")" 2
	"$RINGFLOW" --mode=$mode count /dev/null > "$T/out" 2> "$T/err"
	check_status "/dev/null $mode" $? 0
	check_eq "/dev/null $mode" "$(cat "$T/out")" 0
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	cat "$D/tiny" > "$T/fifo" &
	timeout 30 "$RINGFLOW" --mode=$mode count "$T/fifo" > "$T/out" 2> "$T/err"
	check_status "fifo $mode" $? 0
	check_eq "fifo $mode" "$(cat "$T/out")" 1000000
	wait
done

finish
