#!/bin/sh
# SPDX-License-Identifier: MIT
# partial.sh - partial results (issue 20): the inputs of tests/modes.sh (a
# generated log and untidy files) cut into k = 1..4 runs of --partial-out,
# merged by `ringflow merge`, give the bytes one serial run over all the
# inputs prints, for each query of the mode corpus that has an aggregate
# (and first/last, which depend on the order of the inputs).  Damaged,
# truncated, foreign and wrong-version partials are refused (exit 2, a
# message, nothing printed).  The GNU parallel recipe of the README runs on
# localhost when parallel is installed.
. "${SRCDIR:-.}/tests/lib.sh"

# shellcheck source=tests/modeinputs.sh
LOG_SIZE=1M
. "${SRCDIR:-.}/tests/modeinputs.sh"

# units: the log cut on line boundaries into 4 pieces (split, the oracle of
# the cut), then the other files; k runs take them in k contiguous groups
(cd "$T" && split -n l/4 -d log piece.) || exit 99
UNITS="$T/piece.00 $T/piece.01 $T/piece.02 $T/piece.03 $T/empty $T/nonl $T/tiny $T/longline $T/mixed $T/log"
nunits=10

# partials K QUERY: k runs over the units, each in another mode, their
# partial files named in $parts
partials() {
	parts=
	j=0
	while [ $j -lt "$1" ]; do
		group=
		i=0
		for u in $UNITS; do
			[ $((i * $1 / nunits)) -eq $j ] && group="$group $u"
			i=$((i + 1))
		done
		case $j in 0) mode=serial ;; 1) mode=multiprocess ;; 2) mode=parallel ;; *) mode=auto ;; esac
		# shellcheck disable=SC2086 # the group is a list of files
		"$RINGFLOW" --mode=$mode --threads=2 --partial-out "$T/p$j" "$2" $group 2> /dev/null
		parts="$parts $T/p$j"
		j=$((j + 1))
	done
}

# each query from 3 partials, and (the first ones) from 1, 2 and 4
n=0
while IFS= read -r query; do
	# shellcheck disable=SC2086 # the file list is meant to split
	"$RINGFLOW" --mode=serial "$query" $FILES > "$T/want" 2> /dev/null
	ks=3
	[ $n -lt 3 ] && ks="1 2 4 3" # 3 last: the tree below takes p0 to p2
	n=$((n + 1))
	for k in $ks; do
		partials $k "$query"
		# shellcheck disable=SC2086
		"$RINGFLOW" merge "$query" $parts > "$T/got"
		check_status "merge of $k: $query" $? 0
		check_same "merge of $k: $query" "$T/got" "$T/want"
	done
	# from stdin, and as a tree: two merged into one partial, then merged
	# shellcheck disable=SC2086
	cat $parts | "$RINGFLOW" merge "$query" > "$T/got"
	check_same "merge from stdin: $query" "$T/got" "$T/want"
	"$RINGFLOW" merge --partial-out - "$query" "$T/p1" "$T/p2" |
		"$RINGFLOW" merge "$query" "$T/p0" - > "$T/got"
	check_same "merge of merged partials: $query" "$T/got" "$T/want"
done <<'QUERIES'
split | first($7), last($7), count, approx_distinct($1), stddev($10) by $9
parse combined | count, sum(bytes), avg(bytes), p50(bytes), p99(bytes), distinct(ip) by status
count
grep -v GET | count
grep -i "MOZILLA" | count
split | count by $9
split | count, sum($10), min($10), max($10), distinct($1) by $9
parse combined | where status >= 500 | count by path | top 10
parse combined | count by minute
parse combined | quantile(bytes, 0.999) by method | sort quantile(bytes,0.999) desc
QUERIES

# sketches of every shape through the partial format: a bucket counted
# past 2^14 (a count of three varint bytes), negatives, zeros, values past
# the double range, the smallest subnormal, in three partials (each
# holds over 16,384 of the 7s)
awk 'BEGIN { for (i = 0; i < 60000; i++) print "a", 7
	for (i = 0; i < 700; i++) print "b", -i * 3.5
	print "b 0"; print "b 1e999"; print "b -1e999"; print "c -1e300"; print "c 1e-300"; print "c 5e-324"
	for (i = 0; i < 3000; i++) print "c", i * i }' > "$T/shapes" || exit 99
(cd "$T" && split -n l/3 -d shapes shape.) || exit 99
q='split | count, p50($2), p99($2), min($2), max($2) by $1'
"$RINGFLOW" "$q" "$T/shapes" > "$T/want" 2> /dev/null
for j in 0 1 2; do
	"$RINGFLOW" --partial-out "$T/s$j" "$q" "$T/shape.0$j" 2> /dev/null
done
"$RINGFLOW" merge "$q" "$T/s0" "$T/s1" "$T/s2" > "$T/got" 2> /dev/null
check_status "merge of sketches of every shape" $? 0
check_same "merge of sketches of every shape" "$T/got" "$T/want"

# every output format
q='parse combined | count, avg(bytes), p99(bytes) by status, minute'
partials 3 "$q"
for fmt in table tsv csv json; do
	# shellcheck disable=SC2086
	"$RINGFLOW" --format=$fmt "$q" $FILES > "$T/want" 2> /dev/null
	# shellcheck disable=SC2086
	"$RINGFLOW" merge --format=$fmt "$q" $parts > "$T/got"
	check_same "merge --format=$fmt" "$T/got" "$T/want"
done

# refused: each exits 2, says why, prints nothing
# refused WHAT MESSAGE QUERY PARTIAL...
refused() {
	what=$1 msg=$2 query=$3
	shift 3
	"$RINGFLOW" merge "$query" "$@" > "$T/got" 2> "$T/err"
	check_status "$what" $? 2
	check_eq "$what: nothing printed" "$(wc -c < "$T/got")" 0
	check_grep "$what: said" "$T/err" "$msg"
}
q='split | count, sum($10), p99($10) by $9'
"$RINGFLOW" --partial-out "$T/good" "$q" "$T/log" || exit 99
size=$(wc -c < "$T/good")
# a byte flipped in the envelope, at the start of the state, in its middle, at its end
for at in 3 20 45 61 $((size / 2)) $((size - 1)); do
	cp "$T/good" "$T/bad"
	b=$(od -An -tu1 -j "$at" -N1 "$T/good" | tr -d ' ')
	printf "\\$(printf '%03o' $(((b + 1) % 256)))" | dd of="$T/bad" bs=1 seek="$at" conv=notrunc 2> /dev/null
	refused "byte $at flipped" "$(basename "$T/bad")" "$q" "$T/bad"
done
for len in 0 10 55 57 $((size / 2)) $((size - 1)); do
	head -c $len "$T/good" > "$T/short"
	refused "truncated to $len bytes" "short: " "$q" "$T/short"
done
refused "truncated" "truncated" "$q" "$T/short"
refused "another query" "of another query" 'split | count by $9' "$T/good"
refused "another query, same columns" "of another query" 'grep GET | split | count, sum($10), p99($10) by $9' "$T/good"
"$RINGFLOW" --tz=Europe/Paris merge "$q" "$T/good" > /dev/null 2> "$T/err"
check_status "other --tz" $? 2
for v in 1 3; do
	cp "$T/good" "$T/v$v"
	printf "\\00$v" | dd of="$T/v$v" bs=1 seek=7 conv=notrunc 2> /dev/null
	refused "another version" "format version $v" "$q" "$T/v$v"
done
refused "not a partial" "not a ringflow partial state" "$q" "$T/log"
cat "$T/good" "$T/short" > "$T/two"
refused "a whole partial, then a cut one" "(partial 2 in it)" "$q" "$T/two"
refused "a missing file" "No such file" "$q" "$T/missing"
# the memory limit is the state's: the partials merge holds at once (12 x
# 3 MB here, mapped) do not count against it (they did, and a merge of
# many partials was refused for a state of 17 MB).  Not under the
# sanitizers, whose shadow memory counts in the resident bytes.
if [ -z "${SANITIZED:-}" ]; then
	mq='split | distinct($4), count by $1'
	awk 'BEGIN { for (i = 0; i < 300000; i++) printf "k%d a b v%d\n", i % 500, i }' > "$T/dlog"
	"$RINGFLOW" --partial-out "$T/d.p" "$mq" "$T/dlog" || exit 99
	set --
	: > "$T/d12"
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		set -- "$@" "$T/d.p"
		cat "$T/dlog" >> "$T/d12"
	done
	"$RINGFLOW" merge --memory=2M --group-memory=24M "$mq" "$@" > "$T/got"
	check_status "12 partials under --group-memory=24M" $? 0
	"$RINGFLOW" "$mq" "$T/d12" > "$T/want"
	check_same "12 partials under --group-memory=24M" "$T/got" "$T/want"
	# over the limit: refused, and the message has the figures it reached
	"$RINGFLOW" merge --memory=1M --group-memory=4M "$mq" "$T/d.p" "$T/d.p" > "$T/got" 2> "$T/err"
	check_status "merge over --group-memory" $? 2
	check_eq "merge over --group-memory: the groups it had" \
		"$(grep -c 'had [1-9][0-9]* groups when the process reached [1-9]' "$T/err")" 1
fi
# a partial rewritten while merge reads it (it maps the files): the test
# hook empties them once their envelopes are checked; the SIGBUS that
# follows, in the merge's threads or not, fails the merge with a message.
# Three partials of 30,000 groups with sketches (over 4 MiB) take two threads.
awk 'BEGIN { for (i = 0; i < 240000; i++) printf "k%d %d\n", i % 30000, i % 977 }' > "$T/wide"
"$RINGFLOW" --partial-out "$T/wide.p" 'split | count, p99($2) by $1' "$T/wide" || exit 99
for n in 1 3; do
	set --
	i=0
	while [ $i -lt $n ]; do
		cp "$T/wide.p" "$T/cut.$i"
		set -- "$@" "$T/cut.$i"
		i=$((i + 1))
	done
	RINGFLOW_TEST_MERGE_TRUNCATE=1 "$RINGFLOW" merge --threads=2 'split | count, p99($2) by $1' "$@" \
		> "$T/got" 2> "$T/err"
	check_status "$n partials cut short while merged" $? 2
	check_eq "$n partials cut short: nothing printed" "$(wc -c < "$T/got")" 0
	check_grep "$n partials cut short: said" "$T/err" "cut short while it was merged"
	check_eq "$n partials cut short: the hook did cut" "$(wc -c < "$T/cut.0")" 0
done
# no aggregate, a head before it: refused when the partial is made
for query in 'grep 404' 'split | head 5 | count'; do
	"$RINGFLOW" --partial-out "$T/x" "$query" "$T/log" > "$T/got" 2> "$T/err"
	check_status "--partial-out $query" $? 2
	check_grep "--partial-out $query: said" "$T/err" "--partial-out: "
done
# a failed run (here an input missing) leaves no partial file that looks
# whole: it is emptied, and merge refuses it
"$RINGFLOW" --partial-out "$T/good" "$q" "$T/log" || exit 99
"$RINGFLOW" --partial-out "$T/good" "$q" "$T/log" "$T/missing" 2> /dev/null
check_status "--partial-out with a missing input" $? 2
refused "the partial of a failed run" "empty" "$q" "$T/good"
# the same on stdout, as the recipes below write them: no state at all
"$RINGFLOW" --partial-out - "$q" "$T/log" "$T/missing" > "$T/out" 2> "$T/err"
check_status "--partial-out - with a missing input" $? 2
check_eq "--partial-out - with a missing input: bytes written" "$(wc -c < "$T/out")" 0
check_grep "--partial-out - with a missing input: said" "$T/err" "no partial state written"
# and an interrupted run: what it read is not the whole of its input
{ cat "$T/log"; sleep 4; } | timeout --preserve-status -s INT 1.5 "$RINGFLOW" --partial-out - "$q" > "$T/out" 2> "$T/err"
check_status "--partial-out - interrupted" $? 130
check_eq "--partial-out - interrupted: bytes written" "$(wc -c < "$T/out")" 0

# every record rejected as not in the query's format: a partial is a piece
# and does not judge (exit 0, its state written); the merge that prints
# judges the whole, from the counts in the envelopes (bytes 32 and 40:
# records read, and rejected as not in the format), as one run over all
# the inputs does: all garbage fails with nothing printed (before, an empty
# table and exit 0), one garbage piece among good ones prints serial's
# bytes; a tree step carries the sums up, and text partials too
q='parse combined | count, p99(bytes) by status'
awk '{ printf "garbage %d\n", NR }' "$T/piece.00" > "$T/bad1"
awk '{ printf "not a log line %d\n", NR }' "$T/piece.01" > "$T/bad2"
nbad=$(cat "$T/bad1" "$T/bad2" | wc -l)
"$RINGFLOW" --partial-out "$T/pb1" "$q" "$T/bad1" 2> "$T/err"
check_status "--partial-out of garbage" $? 0
"$RINGFLOW" --partial-out "$T/pb2" --partial-text "$q" "$T/bad2" 2> /dev/null
"$RINGFLOW" --partial-out "$T/pg" "$q" "$T/piece.02" 2> /dev/null
check_eq "the envelope's counts: records, rejected" "$(od -An -tu8 -j32 -N16 "$T/pb1" | xargs)" \
	"$(wc -l < "$T/bad1") $(wc -l < "$T/bad1")"
check_eq "the envelope's counts of good lines" "$(od -An -tu8 -j32 -N16 "$T/pg" | xargs)" \
	"$(wc -l < "$T/piece.02") 0"
"$RINGFLOW" "$q" "$T/bad1" "$T/bad2" > "$T/want" 2> /dev/null
check_status "serial over garbage" $? 2
"$RINGFLOW" merge "$q" "$T/pb1" "$T/pb2" > "$T/got" 2> "$T/err"
check_status "merge of garbage" $? 2
check_eq "merge of garbage: nothing printed" "$(wc -c < "$T/got")" 0
check_grep "merge of garbage: said, with the count" "$T/err" "every record ($nbad) was rejected"
"$RINGFLOW" merge --partial-out "$T/pbb" "$q" "$T/pb1" "$T/pb2" 2> /dev/null
check_status "a tree step over garbage" $? 0
"$RINGFLOW" merge "$q" "$T/pbb" > "$T/got" 2> "$T/err"
check_status "merge of a tree step over garbage" $? 2
check_grep "merge of a tree step over garbage: said" "$T/err" "every record ($nbad) was rejected"
"$RINGFLOW" "$q" "$T/bad1" "$T/piece.02" "$T/bad2" > "$T/want" 2> /dev/null
check_status "serial, garbage and a good piece" $? 0
"$RINGFLOW" merge "$q" "$T/pb1" "$T/pg" "$T/pb2" > "$T/got" 2> /dev/null
check_status "merge, garbage and a good piece" $? 0
check_same "merge, garbage and a good piece" "$T/got" "$T/want"

# a run that kept its rejects (--rejects) does not count them against the
# whole, as one run with --rejects only warns: the merge prints serial's
# bytes and exits 0
"$RINGFLOW" --rejects "$T/rej" --partial-out "$T/pbk" "$q" "$T/bad1" 2> /dev/null
check_eq "--rejects kept them" "$(wc -l < "$T/rej")" "$(wc -l < "$T/bad1")"
"$RINGFLOW" --rejects "$T/rej2" "$q" "$T/bad1" > "$T/want" 2> /dev/null
check_status "serial over garbage, --rejects" $? 0
"$RINGFLOW" merge "$q" "$T/pbk" > "$T/got" 2> "$T/err"
check_status "merge of garbage made with --rejects" $? 0
check_same "merge of garbage made with --rejects" "$T/got" "$T/want"

# the README's GNU parallel recipe, on localhost
if command -v parallel > /dev/null 2>&1; then
	q='parse combined | count, p99(bytes) by status'
	# shellcheck disable=SC2086
	parallel -k -j2 -q "$RINGFLOW" --partial-out - "$q" ::: $UNITS | "$RINGFLOW" merge "$q" > "$T/got"
	# shellcheck disable=SC2086
	"$RINGFLOW" "$q" $FILES > "$T/want" 2> /dev/null
	check_same "GNU parallel recipe" "$T/got" "$T/want"
else
	echo "GNU parallel not installed: its recipe not run"
fi

finish
