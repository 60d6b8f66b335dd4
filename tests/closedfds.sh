#!/bin/sh
# SPDX-License-Identifier: MIT
# closedfds.sh - ringflow started with descriptor 0, 1 or 2 closed, in every
# mode: a closed stdin read as input is "Bad file descriptor" (exit 2, as
# wc says); with stdout closed the result cannot be written, so the run
# fails, and it never lands in a file opened later (--rejects,
# --stats-file); with stderr closed the messages never land there either,
# nor in the output.  The rejected records are checked against Python's
# json module, the counts against awk.
. "${SRCDIR:-.}/tests/lib.sh"

python3 -c "
import sys
with open(sys.argv[1], 'w') as f:
	for i in range(30000):
		f.write('{\"a\":%d}\n' % i if i % 3 else 'not json %d\n' % i)
" "$T/in.json"
python3 -c "
import json, sys
for line in open(sys.argv[1]):
	try:
		json.loads(line)
	except ValueError:
		sys.stdout.write(line)
" "$T/in.json" > "$T/rejects.want"
good=$(($(awk 'END { print NR }' "$T/in.json") - $(awk 'END { print NR }' "$T/rejects.want")))

for mode in serial parallel pipeline multiprocess async; do
	rf="$RINGFLOW --mode=$mode --threads=2"

	# stdin closed, read as the input: an error, as wc says
	$rf count <&- > "$T/out" 2> "$T/err"
	check_status "$mode: count <&-" $? 2
	check_grep "$mode: count <&-" "$T/err" "Bad file descriptor"
	# ... and an output file opened later is neither read nor written
	rm -f "$T/rej"
	$rf --rejects="$T/rej" 'parse json | count' <&- > "$T/out" 2> "$T/err"
	check_status "$mode: <&- with --rejects" $? 2
	check_grep "$mode: <&- with --rejects" "$T/err" "Bad file descriptor"
	checks=$((checks + 1))
	[ -s "$T/rej" ] && fail "$mode: <&-: the rejects file holds '$(head -c 100 "$T/rej")'"
	# named as "-" among files: that input fails, the others are read
	got=$($rf --stats 'parse json | count' "$T/in.json" - <&- 2> "$T/err")
	check_status "$mode: file and - <&-" $? 2
	check_eq "$mode: file and - <&-" "$got" "$good"
	check_grep "$mode: file and - <&-" "$T/err" "ringflow: -: read error: Bad file descriptor"
	check_line "$mode: file and - <&-: inputs" "$T/err" "  inputs      2 (1 failed)"
	# a closed stdin that is not read does not matter
	got=$($rf --rejects="$T/rej" 'parse json | count' "$T/in.json" <&- 2> "$T/err")
	check_status "$mode: file, stdin closed" $? 0
	check_eq "$mode: file, stdin closed" "$got" "$good"
	check_same "$mode: file, stdin closed: rejects" "$T/rej" "$T/rejects.want"

	# stdout closed: the result cannot be written, and does not land in
	# the rejects file or the statistics file opened after it
	for q in 'parse json | count' 'parse json | select a' 'parse json | count by a | top 3'; do
		rm -f "$T/rej" "$T/stats"
		$rf --rejects="$T/rej" --stats-file="$T/stats" --stats=json "$q" "$T/in.json" >&- 2> "$T/err"
		check_status "$mode: $q >&-" $? 2
		check_grep "$mode: $q >&-: said" "$T/err" "ringflow: standard output: write error: Bad file descriptor"
		python3 - "$T/rej" "$T/rejects.want" "$T/stats" > "$T/why" <<'EOF'
import json, sys
rej, want, stats = (open(f, 'rb').read() for f in sys.argv[1:4])
# what was written of the rejects before the run stopped, nothing else
# (multiprocess copies them out in 64K blocks: the last may end mid-record)
if not want.startswith(rej):
	print('the rejects file holds %r' % rej[:120])
try:
	s = json.loads(stats)  # the statistics alone: one JSON object
	if s['exit_status'] != 2:
		print('statistics say exit status %s' % s['exit_status'])
except ValueError:
	print('the statistics file holds %r' % stats[:120])
EOF
		checks=$((checks + 1))
		[ -s "$T/why" ] && fail "$mode: $q >&-: $(cat "$T/why")"
	done

	# stderr closed: the note about rejected records and the error about
	# a missing input go nowhere, not into the rejects file or the output
	rm -f "$T/rej"
	$rf --rejects="$T/rej" 'parse json | count' "$T/in.json" > "$T/out" 2>&-
	check_status "$mode: 2>&-" $? 0
	check_eq "$mode: 2>&-: output" "$(cat "$T/out")" "$good"
	check_same "$mode: 2>&-: rejects" "$T/rej" "$T/rejects.want"
	rm -f "$T/rej"
	$rf --rejects="$T/rej" 'parse json | count' "$T/in.json" "$T/missing" > "$T/out" 2>&-
	check_status "$mode: 2>&-, a missing input" $? 2
	check_eq "$mode: 2>&-, a missing input: output" "$(cat "$T/out")" "$good"
	check_same "$mode: 2>&-, a missing input: rejects" "$T/rej" "$T/rejects.want"
	rm -f "$T/rej" "$T/stats"
	$rf --rejects="$T/rej" --stats-file="$T/stats" 'parse json | select a' "$T/in.json" "$T/missing" \
		> "$T/out" 2>&-
	check_status "$mode: 2>&-, --stats-file" $? 2
	check_eq "$mode: 2>&-, --stats-file: output" "$(awk 'NR > 1' "$T/out" | awk 'END { print NR }')" "$good"
	check_same "$mode: 2>&-, --stats-file: rejects" "$T/rej" "$T/rejects.want"
	check_eq "$mode: 2>&-, --stats-file: statistics only" "$(head -1 "$T/stats")" "ringflow stats"
	checks=$((checks + 1))
	grep -q -e "missing" -e "rejected" "$T/stats" && fail "$mode: 2>&-: a message in the statistics file"
	# all three closed: nothing read, nothing written, exit 2
	$rf count <&- >&- 2>&-
	check_status "$mode: all closed" $? 2
done

finish
