#!/bin/sh
# SPDX-License-Identifier: MIT
# valgrind.sh - memcheck over a representative set: each backend, each
# mode, the parsers, an aggregate with every function, line output, the
# rejects path.  Any error or definite leak fails (exit 99 from valgrind).
. "${SRCDIR:-.}/tests/lib.sh"
command -v valgrind > /dev/null || { echo "skip: valgrind not installed"; exit 77; }
if [ -n "${SANITIZED:-}" ]; then
	echo "skip: an ASan build cannot run under valgrind (the sanitizers check it instead)"
	exit 77
fi
"$LOGGEN" --size 2M --seed 41 > "$T/log"
printf '{"a":1,"b":"x"}\n{"a":2.5,"b":"y","c":{"d":[1,2]}}\nnot json\n' > "$T/json"
printf 'level=info msg="a b" n=3\nlevel=error n=x\n' > "$T/logfmt"
printf 'k,v\na,1\n"b,c",2\n' > "$T/csv"

VG_RINGFLOW=$(vg_binary)
vg() {
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--child-silent-after-fork=no --trace-children=no "$VG_RINGFLOW" "$@" > "$T/out" 2> "$T/err"
}
run_case() { # NAME WANT_STATUS ARGS...
	name=$1 want=$2
	shift 2
	vg "$@"
	st=$?
	check_status "valgrind: $name" $st "$want"
	[ $st = 99 ] && fail "valgrind: $name: $(grep '==' "$T/err" | head -20)"
}
for io in mmap read uring; do
	run_case "count --io=$io" 0 --io=$io count "$T/log"
done
for mode in serial parallel pipeline multiprocess async; do
	run_case "heavy query, $mode" 0 --mode=$mode \
		'parse combined | where status >= 300 | count, sum(bytes), avg(bytes), min(bytes), max(bytes), distinct(ip), p99(bytes) by status, minute | sort count desc | top 5' "$T/log"
	run_case "grep lines, $mode" 0 --mode=$mode 'grep -i get | head 100' "$T/log"
done
run_case "json" 0 --rejects "$T/rej" 'parse json | count, sum(a) by b, c.d' "$T/json"
run_case "logfmt" 0 'parse logfmt | where n > 1 | select level, msg' "$T/logfmt"
run_case "csv" 0 --format=json 'parse csv | count by k' "$T/csv"
# Hyperscan where ringflow has it: a whole batch at once, lines confirmed
# by PCRE2 (\s), and a literal set
run_case "regex filter" 0 'regex "(?i)(bot|crawler)|\s\d" | count' "$T/log"
run_case "grep literal set" 0 --mode=parallel 'grep -v GET POST | head 100' "$T/log"
run_case "regex" 0 "parse regex '(?<ip>[0-9.]+) .*\" (?<st>[0-9]+) ' | count by st" "$T/log"
run_case "split" 0 'split | count, p50($10) by $9' "$T/log"
run_case "a bad query" 2 'count by' "$T/log"
run_case "a missing file" 2 count "$T/nope" "$T/log"
run_case "--max-record" 2 --max-record=100 count "$T/log"
finish
