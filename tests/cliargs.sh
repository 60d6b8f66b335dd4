#!/bin/sh
# SPDX-License-Identifier: MIT
# cliargs.sh - the command line as issue 21 asks for it: options anywhere
# before "--" (also after the query and between files), "--" still ending
# them and "-" still standard input, `merge` still a subcommand; the short
# options; a short usage without a query; --exit-empty's status against
# grep's on the same input.  The counts come from awk, the statuses from
# grep.
. "${SRCDIR:-.}/tests/lib.sh"

cd "$T" || exit 99
printf 'a 1\nb 2\na 3\nc 4\n' > one
printf 'b 5\nd 6\n' > two
n1=$(records one)
n12=$(records one two)

# ---- options anywhere before "--" -------------------------------------------
got=$("$RINGFLOW" count one --stats 2> err)
check_status "count one --stats" $? 0
check_eq "count one --stats: the count" "$got" "$n1"
check_grep "count one --stats: the statistics" err "inputs      1 (0 failed)"
got=$("$RINGFLOW" count one --format=json two 2> err)
check_status "an option between files" $? 0
check_eq "an option between files: both files read" \
	"$(echo "$got" | python3 -c 'import json, sys; print(json.load(sys.stdin)["count"])')" "$n12"
check_eq "an option between files: nothing on stderr" "$(cat err)" ""
# the same table whichever side of the query the options are on, equal to awk
awk '{ n[$1]++ } END { for (k in n) print k "\t" n[k] }' one two | sort > want
"$RINGFLOW" 'split | count by $1' one two --format tsv | tail -n +2 | sort > got
check_same "options after the files" got want
"$RINGFLOW" -o tsv 'split | count by $1' -- one two | tail -n +2 | sort > got
check_same "-o before, -- after the query" got want
# "--" ends them: a file named like an option is read, "-" is stdin
cp two ./--stats
got=$("$RINGFLOW" count -- --stats 2> err)
check_status "count -- --stats" $? 0
check_eq "count -- --stats: the file" "$got" "$(records two)"
check_eq "count -- --stats: no statistics" "$(cat err)" ""
got=$("$RINGFLOW" count - --stats < one 2> err)
check_eq "count - --stats: stdin" "$got" "$n1"
check_grep "count - --stats: the statistics" err "inputs      1 (0 failed)"
got=$("$RINGFLOW" count --no-such-option one 2> err)
check_status "an unknown option after the query" $? 2
check_grep "an unknown option after the query: named" err "unknown option '--no-such-option'"
# a query that holds a '-' is one word: never options
got=$("$RINGFLOW" 'grep -v a | count' one --stats 2> err)
check_eq "grep -v a | count one --stats" "$got" "$(grep -c -v a one)"

# ---- merge, with options on both sides -------------------------------------
"$RINGFLOW" 'split | count by $1' --partial-out=p1 one || fail "partial-out one"
"$RINGFLOW" --partial-out p2 'split | count by $1' two || fail "partial-out two"
"$RINGFLOW" merge 'split | count by $1' p1 --format=tsv p2 | tail -n +2 | sort > got
check_same "merge QUERY P1 --format P2" got want
"$RINGFLOW" -o tsv merge 'split | count by $1' p1 p2 | tail -n +2 | sort > got
check_same "-o tsv merge QUERY P1 P2" got want

# ---- report, after options too (as merge) ----------------------------------
"$LOGGEN" --size 64K --seed 5 > acc.log
"$RINGFLOW" report acc.log > first.html 2> /dev/null
check_status "report FILE" $? 0
"$RINGFLOW" -s report acc.log > after.html 2> err
check_status "-s report FILE" $? 0
check_grep "-s report FILE: the statistics" err "inputs      1 (0 failed)"
# the same page, but for its nonces and the time it was made
cut_page() { sed 's/nonce[-=]"*[0-9a-f]*//g; /id="ov-made"/d' "$1"; }
check_eq "-s report FILE: the page report FILE makes" "$(cut_page after.html | md5sum)" "$(cut_page first.html | md5sum)"
"$RINGFLOW" report -o tsv acc.log > out 2> err
check_status "report -o tsv" $? 2
check_grep "report -o tsv: said" err "report writes the HTML page"
check_eq "report -o tsv: nothing printed" "$(wc -c < out)" 0

# ---- short options -------------------------------------------------------
got=$("$RINGFLOW" -ojson count one two | python3 -c 'import json, sys; print(json.load(sys.stdin)["count"])')
check_eq "-ojson" "$got" "$n12"
"$RINGFLOW" -s count one > /dev/null 2> err
check_grep "-s: the statistics" err "inputs      1 (0 failed)"
"$RINGFLOW" -s -j 3 --mode=parallel count one > /dev/null 2> err
check_grep "-j 3: three threads" err "parallel, 3 threads"
for d in 01 02 03 04; do
	echo "1.2.3.4 - - [$d/Nov/2026:10:00:00 +0000] \"GET /$d HTTP/1.1\" 200 5 \"-\" \"x\""
done > c.log
want=$(awk -F'[[/]' '$2 >= "02" && $2 < "04"' c.log | wc -l)
got=$("$RINGFLOW" 'parse combined | count' c.log -S 2026-11-02 -U 2026-11-04)
check_eq "-S T -U T" "$got" "$want"
"$RINGFLOW" count one -o > /dev/null 2> err
check_status "-o without a value" $? 2
check_grep "-o without a value: named" err "option '-o' needs a value"
"$RINGFLOW" count one -j x > /dev/null 2> err
check_status "-j x" $? 2
check_grep "-j x: the range" err "--threads: 'x' is not a number"
"$RINGFLOW" -o xml count one > /dev/null 2> err
check_status "-o xml" $? 2
check_grep "-o xml: the formats" err "--format: unknown format 'xml'"

# ---- no query: a short usage on stderr, status 2 -------------------------
"$RINGFLOW" > out 2> err
check_status "no query" $? 2
check_eq "no query: nothing on stdout" "$(wc -c < out)" 0
check_eq "no query: at most 4 lines" "$([ "$(wc -l < err)" -le 4 ] && echo yes)" yes
check_line "no query: where to read more" err "Try 'ringflow --help' for more."
"$RINGFLOW" --stats > out 2> err
check_status "options and no query" $? 2
check_line "options and no query: the usage" err "Try 'ringflow --help' for more."

# ---- --exit-empty: grep's status ------------------------------------------
for p in a zz 3 '5'; do
	grep -q -F -e "$p" one two
	want=$?
	"$RINGFLOW" --exit-empty "grep \"$p\"" one two > out
	check_status "--exit-empty grep $p (as grep)" $? "$want"
	grep -h -F -e "$p" one two > want.out
	check_same "--exit-empty grep $p: the lines" out want.out
	# a bare count prints grep -c's number, with grep -c's status
	got=$("$RINGFLOW" --exit-empty "grep \"$p\" | count" one two)
	check_status "--exit-empty grep $p | count (as grep -c)" $? "$want"
	check_eq "--exit-empty grep $p | count" "$got" "$(cat one two | grep -c -F -e "$p")"
	"$RINGFLOW" --exit-empty "grep \"$p\" | split | count by \$1" one two > /dev/null
	check_status "--exit-empty grep $p | count by \$1" $? "$want"
done
"$RINGFLOW" 'grep "zz"' one > /dev/null
check_status "without --exit-empty, empty is success" $? 0
"$RINGFLOW" 'split | where $2 > 100 | select $1' one --exit-empty > out
check_status "--exit-empty where that matches nothing" $? 1
check_eq "--exit-empty where that matches nothing: no output" "$(wc -c < out)" 0
"$RINGFLOW" --exit-empty 'grep "zz"' one no-such-file > /dev/null 2>&1
check_status "--exit-empty: an error is still 2" $? 2
# every mode fills what the status is read from
for m in serial parallel pipeline multiprocess async; do
	for p in a zz; do
		grep -q -F -e "$p" one
		want=$?
		"$RINGFLOW" --exit-empty --mode=$m "grep \"$p\"" one > /dev/null
		check_status "--exit-empty --mode=$m grep $p" $? "$want"
		"$RINGFLOW" --exit-empty --mode=$m "grep \"$p\" | split | count by \$1" one > /dev/null
		check_status "--exit-empty --mode=$m grep $p | count by \$1" $? "$want"
	done
done
# --partial-out writes the groups into the state: the aggregate's input
# says whether any record reached it; merge reads the merged groups
"$RINGFLOW" --exit-empty 'split | count' --partial-out=pa one
check_status "--exit-empty --partial-out, records" $? 0
"$RINGFLOW" --exit-empty 'grep "zz" | split | count' --partial-out=pz one
check_status "--exit-empty --partial-out, none" $? 1
"$RINGFLOW" merge --exit-empty 'split | count' pa > /dev/null
check_status "--exit-empty merge, records" $? 0
"$RINGFLOW" merge --exit-empty 'grep "zz" | split | count' pz > /dev/null
check_status "--exit-empty merge, none" $? 1
# --every: the final table counts the whole run
"$RINGFLOW" --exit-empty --every=10s 'split | count by $1' one > /dev/null
check_status "--exit-empty --every, records" $? 0
"$RINGFLOW" --exit-empty --every=10s 'grep "zz" | split | count by $1' one > /dev/null
check_status "--exit-empty --every, none" $? 1
finish
