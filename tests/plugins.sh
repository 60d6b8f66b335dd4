#!/bin/sh
# SPDX-License-Identifier: MIT
# plugins.sh - custom stages (issue 19): the example plugins (examples/
# plugin_upper.c, plugin_sum.c) and a program's own stage (examples/
# custom_stage.c) give the answers of the built-in equivalents (eval
# upper(), sum(), where ==) and of awk, on a generated log and on untidy
# inputs, in every mode; a plugin that cannot be loaded or used is an error
# naming its file, exit status 2.
. "${SRCDIR:-.}/tests/lib.sh"

B=$(dirname "$RINGFLOW")
# the shared object libtool made of a module (its .la's dlname) in
# examples/ or DIR; none in a build without shared libraries
plugin() { # NAME [DIR]
	dl=$(sed -n "s/^dlname='\(.*\)'$/\1/p" "$B/${2:-examples}/$1.la" 2>/dev/null)
	[ -n "$dl" ] && [ -f "$B/${2:-examples}/.libs/$dl" ] && echo "$B/${2:-examples}/.libs/$dl"
}
CUSTOM="$B/examples/custom_stage"
[ -x "$CUSTOM" ] || exit 99
unset RINGFLOW_PLUGIN_PATH

"$LOGGEN" --size 2M --seed 19 > "$T/log" || exit 99
# untidy: CRLF endings, lines no parser reads, lower-case and odd bytes,
# an empty file, no final newline
{
	printf '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "get /a%%c3%%a9?q=x HTTP/1.0" 200 17 "-" "x"\r\n'
	printf 'garbage line\n\n'
	printf '5.6.7.8 - - [10/Oct/2000:13:55:37 -0700] "POST /mIxEd/\303\251t\303\251 HTTP/1.1" 404 - "-" "y"\n'
	printf 'a b c d e f /tab\there h i 31\r\n'
	printf '9.9.9.9 - - [10/Oct/2000:13:55:38 -0700] "POST /x\001y HTTP/1.1" 500 12345 "-" "z"'
} > "$T/untidy"
: > "$T/empty"
printf 'one two three four five six /nonl seven eight 7' > "$T/nonl"
FILES="$T/log $T/untidy $T/empty $T/nonl"

# awk's answers: the oracle (CR before a newline is the line's end, as
# ringflow's split has it)
# shellcheck disable=SC2086 # the file list is meant to split
awk '{ sub(/\r$/, "") } NF >= 7 { print toupper($7) }' $FILES | sort | uniq -c |
	awk '{ n = $1; sub(/^ *[0-9]+ /, ""); print $0 "\t" n }' > "$T/awk.upper"
# shellcheck disable=SC2086
awk '{ sub(/\r$/, "") } $10 ~ /^-?[0-9]+$/ { s += $10 } END { print s + 0 }' $FILES > "$T/awk.sum"
# shellcheck disable=SC2086
awk '{ sub(/\r$/, "") } $6 == "\"POST" { n++ } END { print n + 0 }' $FILES > "$T/awk.post"

# ---- a program's own stage (rf_register_stage): no plugin needed -------------
for m in serial parallel pipeline multiprocess auto; do
	# shellcheck disable=SC2086
	"$CUSTOM" --mode=$m "split | only \$6 '\"POST' | count" $FILES > "$T/got" 2> "$T/err"
	check_status "only ($m)" $? 0
	check_same "only ($m) = awk" "$T/got" "$T/awk.post"
done
# shellcheck disable=SC2086
"$RINGFLOW" 'parse combined | where method == "POST" | count by path' $FILES > "$T/want"
# shellcheck disable=SC2086
"$CUSTOM" --mode=parallel 'parse combined | only method POST | count by path' $FILES > "$T/got"
check_same "only = where ==" "$T/got" "$T/want"
"$CUSTOM" 'split | only $6' "$T/nonl" > /dev/null 2> "$T/err"
check_status "only without a VALUE" $? 2
check_grep "only without a VALUE" "$T/err" "only: needs a FIELD and a VALUE"
check_grep "only without a VALUE: the usage" "$T/err" "usage: only FIELD VALUE"

UPPER=$(plugin plugin_upper) && SUM=$(plugin plugin_sum) || {
	[ "$failures" -eq 0 ] || finish
	echo "no plugin shared objects in $B/examples (configure without --disable-shared): only the program's stage checked" >&2
	exit 77
}
BAD_ABI=$(plugin plugin_bad_abi) && NO_ENTRY=$(plugin plugin_no_entry) && CRASH=$(plugin plugin_crash) || exit 99
PARTIAL=$(plugin plugin_partial tests) && UNDEFINED=$(plugin plugin_undefined tests) &&
	RECURSIVE=$(plugin plugin_recursive tests) || exit 99
LOAD="$B/tests/plugin_load"
[ -x "$LOAD" ] || exit 99

MODES="--mode=serial --mode=auto --mode=parallel:1 --mode=parallel:3 --mode=pipeline --mode=multiprocess:2 --mode=multiprocess:3"
run_mode() { # MODE: ringflow's options for it
	case $1 in
	*:*) echo "${1%:*} --threads=${1#*:}" ;;
	*) echo "$1" ;;
	esac
}

# ---- upper: a row stage adding a field ---------------------------------------
# shellcheck disable=SC2086
"$RINGFLOW" --format=tsv 'split | eval $7_upper = upper($7) | where $7_upper is not null | count by $7_upper' $FILES \
	> "$T/builtin.upper" || fail "built-in upper"
tail -n +2 "$T/builtin.upper" > "$T/builtin.upper.rows"
check_same "built-in upper = awk" "$T/builtin.upper.rows" "$T/awk.upper"
for m in $MODES; do
	# shellcheck disable=SC2046,SC2086
	"$RINGFLOW" --plugin "$UPPER" $(run_mode $m) --buffer-size=64K --format=tsv \
		'split | upper $7 | where $7_upper is not null | count by $7_upper' $FILES > "$T/got" 2> "$T/err"
	check_status "upper $m" $? 0
	check_same "upper $m = built-in" "$T/got" "$T/builtin.upper"
done
# parsed fields, and a field the parse lacks in some records
# shellcheck disable=SC2086
"$RINGFLOW" 'parse combined | eval method_upper = upper(method) | count by method_upper, status' $FILES \
	> "$T/want" 2>&1
# shellcheck disable=SC2086
"$RINGFLOW" --plugin "$UPPER" 'parse combined | upper method | count by method_upper, status' $FILES > "$T/got" 2>&1
check_same "upper after parse combined = built-in" "$T/got" "$T/want"
check_grep "upper after parse combined: the lower-case method" "$T/got" "GET"
# records pass through unchanged, in order
# shellcheck disable=SC2086
"$RINGFLOW" --plugin "$UPPER" --mode=parallel --threads=3 --buffer-size=64K 'split | upper $7' $FILES > "$T/got"
# shellcheck disable=SC2086
awk '{ print }' $FILES > "$T/want" # every record with a newline
check_same "upper passes every record on" "$T/got" "$T/want"

# ---- bytesum: an aggregate with merge and serialize ---------------------------
# shellcheck disable=SC2086
"$RINGFLOW" 'split | sum($10)' $FILES > "$T/builtin.sum" || fail "built-in sum"
check_same "built-in sum = awk" "$T/builtin.sum" "$T/awk.sum"
for m in $MODES; do
	# shellcheck disable=SC2046,SC2086
	"$RINGFLOW" --plugin "$SUM" $(run_mode $m) --buffer-size=64K 'split | bytesum $10' $FILES > "$T/got" 2> "$T/err"
	check_status "bytesum $m" $? 0
	check_same "bytesum $m = awk" "$T/got" "$T/awk.sum"
	check_same "bytesum $m (stderr)" "$T/err" /dev/null
done
# after a filter and a parse, with the result's column name
# shellcheck disable=SC2086
"$RINGFLOW" --format=tsv 'parse combined | where status >= 400 | sum(bytes)' $FILES | tail -n 1 > "$T/want"
# shellcheck disable=SC2086
"$RINGFLOW" --plugin "$SUM" --format=tsv --mode=multiprocess --threads=3 \
	'parse combined | where status >= 400 | bytesum bytes' $FILES > "$T/got"
check_eq "bytesum: its column" "$(head -n 1 "$T/got")" "bytesum(bytes)"
check_eq "bytesum after where = sum()" "$(tail -n 1 "$T/got")" "$(cat "$T/want")"
# both plugins in one query, from stdin
cat "$T/log" "$T/nonl" | "$RINGFLOW" --plugin "$UPPER" --plugin "$SUM" --mode=pipeline \
	'split | upper $7 | where $7_upper == "/NONL" | bytesum $10' > "$T/got"
check_eq "upper and bytesum together" "$(cat "$T/got")" 7

# ---- what cannot be loaded or used -------------------------------------------
expect_error() { # WHAT PATTERN ringflow ARGS...: exit 2 and PATTERN on stderr
	what=$1 pattern=$2
	shift 2
	"$@" > "$T/out" 2> "$T/err"
	check_status "$what" $? 2
	check_grep "$what" "$T/err" "$pattern"
	check_same "$what: no output" "$T/out" /dev/null
}
expect_error "missing plugin" "plugin $T/nope.so: No such file or directory" \
	"$RINGFLOW" --plugin "$T/nope.so" count "$T/nonl"
printf 'not a shared object\n' > "$T/text.so"
expect_error "not ELF" "plugin $T/text.so: not a shared object" "$RINGFLOW" --plugin "$T/text.so" count "$T/nonl"
expect_error "wrong ABI" "plugin $BAD_ABI was built for stage ABI version 101; this ringflow has version 1" \
	"$RINGFLOW" --plugin "$BAD_ABI" count "$T/nonl"
expect_error "no entry" "plugin $NO_ENTRY: no rf_plugin_init function" "$RINGFLOW" --plugin "$NO_ENTRY" count "$T/nonl"
expect_error "open fails" "upper (plugin $UPPER): needs one FIELD, got 0 arguments" \
	"$RINGFLOW" --plugin "$UPPER" 'split | upper' "$T/nonl"
expect_error "open fails: the usage" "usage: upper FIELD" "$RINGFLOW" --plugin "$UPPER" 'split | upper' "$T/nonl"
expect_error "a field the parse lacks" "parse combined has no field 'nosuch'" \
	"$RINGFLOW" --plugin "$UPPER" 'parse combined | upper nosuch' "$T/nonl"
expect_error "an aggregate's field the parse lacks" "parse combined has no field 'nosuch'" \
	"$RINGFLOW" --plugin "$SUM" 'parse combined | bytesum nosuch' "$T/nonl"
# another file with the same verb: a copy is not the plugin loaded
cp "$UPPER" "$T/upper-copy.so"
expect_error "the same verb twice" "stage 'upper' (plugin $T/upper-copy.so): the name is taken by plugin $UPPER" \
	"$RINGFLOW" --plugin "$UPPER" --plugin "$T/upper-copy.so" count "$T/nonl"
expect_error "a missing symbol" "plugin $UNDEFINED: cannot load: undefined symbol: rf_no_such_function" \
	"$RINGFLOW" --plugin "$UNDEFINED" count "$T/nonl"
# a plugin loading another from its rf_plugin_init: refused (it hung on
# the loader's lock), and the outer plugin, which gives no stages, fails
PLUGIN_INNER=$UPPER timeout -k 5 30 "$RINGFLOW" --plugin "$RECURSIVE" count "$T/nonl" > /dev/null 2> "$T/err"
check_status "a plugin loading a plugin" $? 2
check_grep "a plugin loading a plugin: the inner load refused" "$T/err" \
	"inner load: -$(python3 -c 'import errno; print(errno.EDEADLK)'): plugin $UPPER: loaded from inside another plugin's loading"
expect_error "not without --plugin" "unknown verb 'upper'" "$RINGFLOW" 'split | upper $1' "$T/nonl"
expect_error "a row stage after an aggregate" "'upper' cannot follow an aggregate" \
	"$RINGFLOW" --plugin "$UPPER" 'split | count by $1 | upper $1' "$T/nonl"
# a crash in open names the plugin (the sanitizers report crashes their own way)
if [ "${SANITIZED:-}" != yes ]; then
	"$RINGFLOW" --plugin "$CRASH" 'split | upper $1' "$T/nonl" > /dev/null 2> "$T/err"
	check_status "a crash in open" $? $((128 + 11))
	check_grep "a crash in open" "$T/err" "fatal signal in plugin stage upper from $CRASH (segmentation fault)"
fi

# ---- loading: all or nothing, once per file, a bare name is a file here --------
# a plugin whose second stage cannot register leaves nothing registered:
# its first stage's name (upper) is free for the next plugin, which works
awk '{ sub(/\r$/, "") } NF >= 7 { print toupper($7) }' "$T/log" | sort | uniq -c |
	awk 'BEGIN { print "$7_upper\tcount" } { n = $1; sub(/^ *[0-9]+ /, ""); print $0 "\t" n }' > "$T/want"
"$LOAD" --query 'split | upper $7 | count by $7_upper' "$T/log" "$PARTIAL" "$UPPER" > "$T/got" 2> "$T/err"
check_status "after a failed plugin" $? 0
check_line "a failed plugin: the whole message" "$T/got" \
	"$PARTIAL: error -17: stage 'count' (plugin $PARTIAL): a built-in verb has that name; none of its stages registered"
check_line "a failed plugin leaves its first stage's name free" "$T/got" "$UPPER: ok"
sed 1,2d "$T/got" > "$T/rows"
check_same "after a failed plugin: the next one's upper = awk" "$T/rows" "$T/want"
"$RINGFLOW" --plugin "$PARTIAL" 'split | upper $7' "$T/nonl" > /dev/null 2> "$T/err"
check_status "a plugin half valid" $? 2
check_grep "a plugin half valid" "$T/err" "a built-in verb has that name; none of its stages registered"
# the same file twice (by another path, a link, or in RINGFLOW_PLUGIN_PATH
# and --plugin): loaded once, the second time is nothing to do
ln -s "$UPPER" "$T/upper-link.so"
"$RINGFLOW" --format=tsv --plugin "$UPPER" --plugin "$T/upper-link.so" --plugin "$UPPER" \
	'split | upper $7 | count by $7_upper' "$T/log" > "$T/got" 2> "$T/err"
check_status "the same plugin three times" $? 0
check_same "the same plugin three times = awk" "$T/got" "$T/want"
check_same "the same plugin three times (stderr)" "$T/err" /dev/null
"$LOAD" "$UPPER" "$UPPER" > "$T/got"
check_eq "rf_plugin_load twice" "$(cut -d' ' -f2- "$T/got")" "$(printf 'ok\nok')"
# a name without a '/' is a file in the current directory, not a library
# on the search path
mkdir "$T/here"
cp "$UPPER" "$T/here/upper.so"
(cd "$T/here" && "$RINGFLOW" --format=tsv --plugin upper.so 'split | upper $7 | count by $7_upper' "$T/log") \
	> "$T/got" 2> "$T/err"
check_status "--plugin upper.so in its directory" $? 0
check_same "--plugin upper.so in its directory = awk" "$T/got" "$T/want"
# libc.so.6 is on every library search path, and no file here
(cd "$T/here" && "$RINGFLOW" --plugin libc.so.6 count "$T/nonl") > /dev/null 2> "$T/err"
check_status "--plugin NAME not in the current directory" $? 2
check_grep "--plugin NAME not in the current directory" "$T/err" "plugin libc.so.6: No such file or directory"

# ---- RINGFLOW_PLUGIN_PATH ---------------------------------------------------------
mkdir "$T/dir1" "$T/dir2" "$T/bad"
cp "$UPPER" "$T/dir1/upper.so"
cp "$SUM" "$T/dir2/sum.so"
printf 'not one\n' > "$T/dir2/README"
RINGFLOW_PLUGIN_PATH="$T/dir1::$T/dir2" "$RINGFLOW" 'split | upper $7 | where $7_upper == "/NONL" | bytesum $10' \
	"$T/nonl" > "$T/got" 2> "$T/err"
check_eq "RINGFLOW_PLUGIN_PATH" "$(cat "$T/got" "$T/err")" 7
cp "$BAD_ABI" "$T/bad/bad.so"
RINGFLOW_PLUGIN_PATH="$T/bad" "$RINGFLOW" count "$T/nonl" > /dev/null 2> "$T/err"
check_status "RINGFLOW_PLUGIN_PATH: a bad plugin" $? 2
check_grep "RINGFLOW_PLUGIN_PATH: a bad plugin" "$T/err" "plugin $T/bad/bad.so was built for stage ABI version 101"
RINGFLOW_PLUGIN_PATH="$T/none" "$RINGFLOW" count "$T/nonl" > /dev/null 2> "$T/err"
check_status "RINGFLOW_PLUGIN_PATH: no such directory" $? 2
check_grep "RINGFLOW_PLUGIN_PATH: no such directory" "$T/err" "plugin directory $T/none: No such file or directory"
cp "$UPPER" "$T/dir1/upper.so"
RINGFLOW_PLUGIN_PATH="$T/dir1" "$RINGFLOW" --format=tsv --plugin "$T/dir1/upper.so" \
	'split | upper $7 | count by $7_upper' "$T/log" > "$T/got" 2> "$T/err"
check_status "RINGFLOW_PLUGIN_PATH and --plugin: the same file" $? 0
check_same "RINGFLOW_PLUGIN_PATH and --plugin: the same file = awk" "$T/got" "$T/want"

"$RINGFLOW" --help > "$T/help"
check_grep "--help" "$T/help" "--plugin=FILE.so"
check_grep "--help" "$T/help" "RINGFLOW_PLUGIN_PATH"
finish
