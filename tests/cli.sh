#!/bin/sh
# SPDX-License-Identifier: MIT
# cli.sh - the command line: help, errors with positions, exit statuses,
# output failures.
. "${SRCDIR:-.}/tests/lib.sh"

"$RINGFLOW" --help > "$T/out"
check_status "--help" $? 0
check_grep "--help" "$T/out" "Usage: ringflow"
check_eq "--version" "$("$RINGFLOW" --version | head -1)" "ringflow 0.1.0"
# then the compressed formats this build decodes, or refuses with the package to install
check_eq "--version: formats" "$("$RINGFLOW" --version | grep '^compressed input:' | cut -d: -f1)" "compressed input"

"$RINGFLOW" 'grep x | cuont' /dev/null 2> "$T/err"
check_status "bad verb" $? 2
check_line "bad verb: position" "$T/err" "ringflow: query:10: unknown verb 'cuont'"
check_line "bad verb: query shown" "$T/err" "  grep x | cuont"
check_line "bad verb: caret under it" "$T/err" "           ^"
check_grep "bad verb: suggestion" "$T/err" "did you mean 'count'?"

"$RINGFLOW" 'grep "open' /dev/null 2> "$T/err"
check_status "unterminated string" $? 2
check_grep "unterminated string" "$T/err" "query:6: unterminated string"

"$RINGFLOW" 2> "$T/err"
check_status "no query" $? 2
for bad in --io=floppy --simd=avx9 --mode=warp --memory=lots --memory=0 --stats=xml --max-record=3G --nope \
	--numa=node:99 --numa=fast --cpus= --cpus=4096 --cpus=1-0 --threads=0 --queue-depth=0; do
	"$RINGFLOW" "$bad" count /dev/null 2> "$T/err"
	check_status "option $bad" $? 2
	checks=$((checks + 1))
	[ -s "$T/err" ] || fail "option $bad: no message"
done

# output errors are failures, never a success
printf 'a\nb\n' > "$T/in"
"$RINGFLOW" 'grep a' "$T/in" > /dev/full 2> "$T/err"
check_status "/dev/full" $? 2
check_grep "/dev/full: message" "$T/err" "No space left on device"

# a rejects file that cannot be written is an error, named as such
printf 'not json\n' > "$T/bad.json"
"$RINGFLOW" --rejects /dev/full 'parse json | count' "$T/bad.json" > /dev/null 2> "$T/err"
check_status "--rejects on a full device" $? 2
check_grep "--rejects on a full device: said so" "$T/err" "--rejects: cannot write: No space left on device"

# a reader that goes away ends the run at once, like coreutils do
"$LOGGEN" --size 64M --seed 3 > "$T/big"
start=$(date +%s)
got=$("$RINGFLOW" 'grep GET' "$T/big" | head -1 | wc -l)
check_eq "EPIPE: head -1" "$got" 1
check_eq "EPIPE: quick" "$(( $(date +%s) - start < 5 ))" 1

# SIGINT, SIGTERM, SIGHUP: stop reading, print what was read, say so, exit
# 128 + the signal, as a shell reports it
for sig in INT TERM HUP; do
	{ printf 'a\nb\n'; sleep 4; printf 'c\n'; } | "$RINGFLOW" count > "$T/out" 2> "$T/err" &
	pid=$!
	sleep 1
	kill -$sig $pid
	wait $pid
	check_status "SIG$sig" $? $((128 + $(signum $sig)))
	check_eq "SIG$sig: the count so far" "$(cat "$T/out")" 2
	check_grep "SIG$sig: marked partial" "$T/err" "interrupted: the result covers only the input read"
done

# --progress: a bar on a terminal, nothing when stderr is not one
"$RINGFLOW" --progress count "$T/big" > /dev/null 2> "$T/err"
check_eq "progress: quiet off a terminal" "$(wc -c < "$T/err")" 0
if command -v script > /dev/null; then
	script -qc "'$RINGFLOW' --progress --window=1M 'split | count by \$9' '$T/big'" /dev/null > "$T/out" 2>&1
	check_grep "progress: a bar on a terminal" "$T/out" "GB/s"
else
	echo "skip: script(1) not installed"
fi

# NUMA placement: the messages, and --cpus taking effect
"$RINGFLOW" --numa=node:99 count /dev/null 2> "$T/err"
check_grep "numa: a node that does not exist" "$T/err" "--numa=node:99: no such node"
"$RINGFLOW" --cpus=4000 count /dev/null 2> "$T/err"
check_grep "cpus: outside the allowed set" "$T/err" "CPU 4000 is not one this process may run on"
cpu=$(awk '/^Cpus_allowed_list/ { split($2, a, "[-,]"); print a[1] }' /proc/self/status)
"$RINGFLOW" --cpus="$cpu" --stats count "$T/in" 2> "$T/err" > /dev/null
check_grep "cpus: the thread is pinned" "$T/err" "thread 0 -> cpu $cpu,"
check_eq "numa=off and interleave: same answer" "$("$RINGFLOW" --numa=off count "$T/in") $("$RINGFLOW" --numa=interleave --io=read count "$T/in")" "2 2"

# stats go to stderr, results to stdout
out=$("$RINGFLOW" --stats=json count "$T/in" 2> "$T/err")
check_eq "stats: stdout untouched" "$out" 2
check_grep "stats json" "$T/err" '"records":2'
check_grep "stats json" "$T/err" '"mode":"serial"'

finish
