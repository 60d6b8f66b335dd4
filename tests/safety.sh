#!/bin/sh
# SPDX-License-Identifier: MIT
# safety.sh - output files never destroy inputs: --rejects and --stats-file
# that are an input (by name, symlink, hard link or standard input) are
# refused with nothing touched; a run that does not start leaves an existing
# rejects file as it was; option errors say "ringflow:" and exit 2;
# --stats=json is the only thing on its stream.
. "${SRCDIR:-.}/tests/lib.sh"

modes="serial parallel pipeline multiprocess async"

# a JSON Lines input with rejects in it, and its checksum
python3 -c '
import json, random
random.seed(11)
for i in range(3000):
    print(json.dumps({"a": i, "b": random.randint(-10**18, 10**18)}) if i % 7 else "not json %d" % i)
' > "$T/in.json"
sum_of() { sha256sum < "$1" | cut -d" " -f1; }
want=$(sum_of "$T/in.json")
cp "$T/in.json" "$T/in.orig" # to go on after a failure that destroyed it
# the rejects a run must write: the lines Python cannot read as JSON objects
python3 -c '
import json, sys
for line in open(sys.argv[1], "rb"):
    try:
        ok = isinstance(json.loads(line), dict)
    except ValueError:
        ok = False
    if not ok:
        sys.stdout.buffer.write(line)
' "$T/in.json" > "$T/want_rejects"
[ -s "$T/want_rejects" ] || fail "setup: no rejects in the input"

ln -s in.json "$T/sym"
ln "$T/in.json" "$T/hard"
mkdir "$T/sub"
ln -s ../in.json "$T/sub/up"

# refused: exit 2, one "ringflow:" message, no output, the input intact
refused() { # WHAT STATUS
	check_status "$1" "$2" 2
	check_eq "$1: input intact" "$(sum_of "$T/in.json")" "$want"
	[ "$(sum_of "$T/in.json")" = "$want" ] || cp "$T/in.orig" "$T/in.json"
	check_eq "$1: nothing printed" "$(wc -c < "$T/out")" 0
	check_eq "$1: one message" "$(wc -l < "$T/err")" 1
	check_grep "$1: said why" "$T/err" "refusing to overwrite an input"
	check_eq "$1: starts with ringflow:" "$(grep -vc '^ringflow: ' "$T/err")" 0
}

for o in --rejects --stats-file; do
	q='parse json | count'
	for out in "$T/in.json" "$T/sym" "$T/hard" "$T/sub/up"; do
		"$RINGFLOW" $o="$out" "$q" "$T/in.json" > "$T/out" 2> "$T/err"
		refused "$o=${out#$T/} of the input in.json" $?
		"$RINGFLOW" $o="$T/in.json" "$q" /dev/null "$out" > "$T/out" 2> "$T/err"
		refused "$o=in.json of the input ${out#$T/}" $?
	done
	# standard input redirected from the file, as '-' or as no file at all
	"$RINGFLOW" $o="$T/in.json" "$q" < "$T/in.json" > "$T/out" 2> "$T/err"
	refused "$o=in.json, stdin from it" $?
	"$RINGFLOW" $o="$T/hard" "$q" /dev/null - < "$T/sym" > "$T/out" 2> "$T/err"
	refused "$o=hard link, '-' from a symlink" $?
	"$RINGFLOW" $o=/dev/stdin "$q" < "$T/in.json" > "$T/out" 2> "$T/err"
	refused "$o=/dev/stdin, stdin from the file" $?
	# every mode (the check comes before the run, whatever runs it)
	for m in $modes; do
		"$RINGFLOW" --mode=$m --stats=json $o="$T/sym" "$q" "$T/in.json" > "$T/out" 2> "$T/err"
		refused "$o: --mode=$m" $?
	done
done
# a pipe as stdin and --rejects=/dev/stdin, or a FIFO both read and
# written: its own input (before, the first looped on its own rejects and
# the second waited for ever in open)
cat "$T/in.json" | timeout 20 "$RINGFLOW" --rejects=/dev/stdin 'parse json | count' > "$T/out" 2> "$T/err"
check_status "--rejects=/dev/stdin on a pipe" $? 2
check_grep "--rejects=/dev/stdin on a pipe: said why" "$T/err" "refusing to overwrite an input"
mkfifo "$T/fifo"
timeout 20 "$RINGFLOW" --rejects="$T/fifo" 'parse json | count' "$T/fifo" > "$T/out" 2> "$T/err"
check_status "--rejects a FIFO that is read" $? 2
check_grep "--rejects a FIFO that is read: said why" "$T/err" "refusing to overwrite an input"

# two outputs, or an output and stdout, that are one file would overwrite
# each other; a terminal or /dev/null is shared safely
"$RINGFLOW" --rejects="$T/o" --stats-file="$T/o" 'parse json | count' "$T/in.json" > "$T/out" 2> "$T/err"
check_status "--rejects and --stats-file: one file" $? 2
check_grep "--rejects and --stats-file: one file: said so" "$T/err" "the two would overwrite each other"
"$RINGFLOW" --rejects="$T/o" 'parse json | count' "$T/in.json" > "$T/o" 2> "$T/err"
check_status "--rejects = stdout" $? 2
"$RINGFLOW" --rejects=/dev/null 'parse json | count' /dev/null < /dev/null > "$T/out" 2> "$T/err"
check_status "--rejects=/dev/null, /dev/null read" $? 0

cp "$T/in.orig" "$T/in.json"

# with stdout closed, the rejects file must not become the standard output
# (before, the selected rows went into it, exit status 0)
"$RINGFLOW" --rejects="$T/rej_closed" 'parse json | select a' "$T/in.json" 2> /dev/null >&-
check_status "stdout closed" $? 2
check_eq "stdout closed: no rows in the rejects file" "$(grep -c '^[0-9]' "$T/rej_closed")" 0

# the rejects file holds exactly this run's rejects: an older, longer file
# is cut to them, in every mode
for m in $modes; do
	seq 100000 > "$T/rej"
	"$RINGFLOW" --mode=$m --threads=2 --rejects="$T/rej" 'parse json | count' "$T/in.json" > "$T/out" 2> /dev/null
	check_status "rejects replaced: --mode=$m" $? 0
	sort "$T/rej" > "$T/got_sorted"
	sort "$T/want_rejects" > "$T/want_sorted"
	check_same "rejects replaced: --mode=$m: exactly the new rejects" "$T/got_sorted" "$T/want_sorted"
done
# none rejected: the old file is emptied
seq 10 > "$T/rej"
"$RINGFLOW" --rejects="$T/rej" 'parse json | count' /dev/null > /dev/null 2>&1
check_eq "no rejects: the file is emptied" "$(wc -c < "$T/rej")" 0

# a bad query or option leaves an existing rejects file as it was
seq 10 > "$T/rej"
old=$(sum_of "$T/rej")
for bad in 'parse json | coutn' 'regex "(" | count' 'where (a > 1 | count'; do
	"$RINGFLOW" --rejects="$T/rej" "$bad" "$T/in.json" > /dev/null 2>&1
	check_status "bad query '$bad'" $? 2
	check_eq "bad query '$bad': rejects file untouched" "$(sum_of "$T/rej")" "$old"
done
"$RINGFLOW" --rejects="$T/rej" --threads=0 'parse json | count' "$T/in.json" > /dev/null 2>&1
check_eq "bad option: rejects file untouched" "$(sum_of "$T/rej")" "$old"
# a run that fails before it starts (no threads under a small ulimit -v)
# wrote nothing: the old rejects stay
if [ "${SANITIZED:-}" != yes ]; then
	(ulimit -v 100000 && exec "$RINGFLOW" --mode=parallel --threads=256 --rejects="$T/rej" \
		'parse json | count' "$T/in.json") > "$T/out" 2> "$T/err"
	st=$?
	if [ $st -ne 0 ] && [ ! -s "$T/out" ]; then
		check_eq "a run that did not start: rejects file untouched" "$(sum_of "$T/rej")" "$old"
	else
		echo "skip: parallel mode ran under ulimit -v 100000 (status $st)"
	fi
fi

# the symlink rule: a symlink at the output path is followed, as a shell's
# '>' does (so /dev/stderr works); only an input is refused
ln -s sub/target "$T/link"
"$RINGFLOW" --rejects="$T/link" 'parse json | count' "$T/in.json" > /dev/null 2>&1
check_status "--rejects through a symlink" $? 0
check_same "--rejects through a symlink: written to its target" "$T/sub/target" "$T/want_rejects"
checks=$((checks + 1))
[ -L "$T/link" ] || fail "--rejects through a symlink: the symlink was replaced"
"$RINGFLOW" --rejects=/dev/stderr 'parse json | count' "$T/in.json" 2>&1 > /dev/null | grep -v '^ringflow: note:' > "$T/got"
check_same "--rejects=/dev/stderr" "$T/got" "$T/want_rejects"

# option errors: "ringflow:" first, never the path it was started by, and
# exit status 2; by a full path and through a symlink with another name
case $RINGFLOW in /*) ;; *) RINGFLOW=$PWD/$RINGFLOW ;; esac
ln -s "$RINGFLOW" "$T/rfx"
for bin in "$RINGFLOW" "$T/rfx"; do
	for bad in --nope --s --stat --memory --memory=abc --memory=-1 '--memory= 5' --group-memory= \
		--buffer-size=1Q --window=0 --max-record=3G --threads=0 --threads=abc --threads=99999999999999999999 \
		--queue-depth=0 --mode=bogus --format=x --every=bogus --every=nan --every=inf --every=-5s \
		--simd=bogus --io=x --on-long=x --stats=xml --numa=node:99999999999999999999 --cpus=x \
		--direct=1 --verbose=yes -x -vx --rejects= --stats-file=; do
		if [ "$bad" = --memory ]; then # a missing value: the last argument
			"$bin" "$bad" 2> "$T/err" > "$T/out"
		else
			"$bin" "$bad" count /dev/null 2> "$T/err" > "$T/out"
		fi
		st2=$?
		what="${bin#$T/} $bad"
		check_status "$what" $st2 2
		check_eq "$what: a message" "$(wc -l < "$T/err")" 1
		check_eq "$what: starts with ringflow:" "$(grep -vc '^ringflow: ' "$T/err")" 0
		check_eq "$what: nothing on stdout" "$(wc -c < "$T/out")" 0
	done
done
# the hints list the valid values
"$RINGFLOW" --s count /dev/null 2> "$T/err"
check_grep "ambiguous: the candidates" "$T/err" "--simd, --sqpoll, --stats, --stats-file, --strict"
for o in mode:multiprocess format:json every:500ms on-long:skip stats:json io:uring; do
	"$RINGFLOW" --${o%%:*}=bogus count /dev/null 2> "$T/err"
	check_grep "--${o%%:*}=bogus: lists the values" "$T/err" "${o#*:}"
done

# the message names the option that is wrong, also inside a cluster or
# after another option (it named the option before)
for args in "--strict -xv:'-x'" "--mode=serial -qz:'-q'" "-vx:'-x'" "--strict=1:'--strict' takes no value"; do
	# shellcheck disable=SC2086 # the options are words
	"$RINGFLOW" ${args%%:*} count /dev/null 2> "$T/err"
	check_grep "${args%%:*}: names ${args#*:}" "$T/err" "${args#*:}"
done

# --simd: the help and the message list exactly the levels the engine takes
levels=auto
for l in avx512 avx2 sse2 scalar; do
	"$RINGFLOW" --simd=$l count /dev/null > /dev/null 2> "$T/err"
	grep -q "unknown level" "$T/err" || levels="$levels|$l"
done
"$RINGFLOW" --help > "$T/out"
check_grep "--help: --simd levels" "$T/out" "--simd=$levels "
"$RINGFLOW" --simd=bogus count /dev/null 2> "$T/err"
check_grep "--simd=bogus: the levels" "$T/err" "($(echo "$levels" | sed 's/|/, /g'))"

# --stats=json --stats-file=F: F is the JSON, stderr has the messages and
# no JSON; with no file, stderr is one JSON object holding the messages
printf 'x\n' > "$T/fin"
python3 -c "print('a\n' * 10 + 'x' * 300000 + '\n' + 'b\n' * 10, end='')" > "$T/long"
bad_name=$(printf "$T/bad\377\033name")
isjson() { python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$1" 2> /dev/null; }
for m in $modes; do
	"$RINGFLOW" --mode=$m --stats=json --stats-file="$T/st" 'parse json | count' "$T/in.json" \
		"$T/missing" > "$T/out" 2> "$T/err"
	check_status "--stats-file --mode=$m" $? 2
	checks=$((checks + 1))
	isjson "$T/st" || fail "--stats-file --mode=$m: not JSON: $(head -c 300 "$T/st")"
	check_grep "--stats-file --mode=$m: the note on stderr" "$T/err" "ringflow: note: "
	check_grep "--stats-file --mode=$m: the error on stderr" "$T/err" "ringflow: $T/missing: "
	check_eq "--stats-file --mode=$m: no JSON on stderr" "$(grep -c '[{}]' "$T/err")" 0
	check_eq "--stats-file --mode=$m: the result on stdout" "$(cat "$T/out")" \
		"$(grep -c '^{' "$T/in.json")"
	python3 - "$T/st" "$T/missing" $m > "$T/got" 2> /dev/null <<-'EOF'
	import json, sys
	d = json.load(open(sys.argv[1]))
	print(d["mode"] == sys.argv[3], d["exit_status"], d["errors"][0]["input"] == sys.argv[2], len(d["notes"]))
	EOF
	check_eq "--stats-file --mode=$m: contents" "$(cat "$T/got")" "True 2 True 1"

	# on stderr: nothing but the JSON, whatever was said, a worker too
	"$RINGFLOW" --mode=$m --threads=2 --on-long=skip --max-record=100K --stats=json 'parse json | count' \
		"$T/in.json" "$T/long" "$T/missing" "$bad_name" > "$T/out" 2> "$T/err"
	check_status "--stats=json on stderr --mode=$m" $? 2
	checks=$((checks + 1))
	isjson "$T/err" || fail "--stats=json on stderr --mode=$m: not JSON: $(head -c 300 "$T/err")"
	python3 - "$T/err" > "$T/got" 2> /dev/null <<-'EOF'
	import json, sys
	d = json.load(open(sys.argv[1], encoding="utf-8"))
	notes = " ".join(d["notes"])
	print(len(d["errors"]), "longer than --max-record" in notes, "could not be parsed" in notes,
	      d["exit_status"], d["messages_dropped"])
	EOF
	check_eq "--stats=json on stderr --mode=$m: the messages inside" "$(cat "$T/got")" "2 True True 2 0"
	"$RINGFLOW" --mode=$m --stats=json count "$T/fin" > "$T/out" 2> "$T/err"
	checks=$((checks + 1))
	isjson "$T/err" || fail "--stats=json, nothing to say --mode=$m: not JSON: $(head -c 300 "$T/err")"
done
# the rejects may not go where --stats=json must be alone (here a pipe)
("$RINGFLOW" --stats=json --rejects=/dev/stderr 'parse json | count' "$T/in.json" 2>&1 > /dev/null
 echo "status $?") | cat > "$T/err"
check_line "--stats=json, --rejects=/dev/stderr" "$T/err" "status 2"
check_grep "--stats=json, --rejects=/dev/stderr: said why" "$T/err" "where --stats=json must be alone"
# text statistics to a file; the file replaces what was there
seq 100000 > "$T/st"
"$RINGFLOW" --stats-file="$T/st" count "$T/fin" > "$T/out" 2> "$T/err"
check_status "--stats-file text" $? 0
check_line "--stats-file text: written" "$T/st" "ringflow stats"
check_eq "--stats-file text: replaced" "$(grep -c '^[0-9]' "$T/st")" 0
check_eq "--stats-file text: stderr empty" "$(wc -c < "$T/err")" 0

finish
