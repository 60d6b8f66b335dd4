#!/bin/sh
# SPDX-License-Identifier: MIT
# e2e.sh - ringflow against wc -l, grep -c -F, grep -F and awk on generated
# logs and untidy files: every backend, from files, pipes and redirected stdin.
. "${SRCDIR:-.}/tests/lib.sh"

LOG=$T/access.log
"$LOGGEN" --size 24M --seed 7 > "$LOG" || exit 99
PAT=' 404 '
WANT_COUNT=$(wc -l < "$LOG")
WANT_HITS=$(grep -c -F -e "$PAT" "$LOG")
grep -F -e "$PAT" "$LOG" > "$T/want.grep"
grep -v -F -e "GET" "$LOG" > "$T/want.grepv"

for io in auto read mmap uring "uring --direct"; do
	# shellcheck disable=SC2086 # $io may carry a second flag on purpose
	set -- --io=$io
	check_eq "$io: count" "$("$RINGFLOW" "$@" count "$LOG")" "$WANT_COUNT"
	check_eq "$io: grep|count" "$("$RINGFLOW" "$@" "grep \"$PAT\" | count" "$LOG")" "$WANT_HITS"
	"$RINGFLOW" "$@" "grep \"$PAT\"" "$LOG" > "$T/got"
	check_same "$io: grep" "$T/got" "$T/want.grep"
	"$RINGFLOW" "$@" 'grep -v GET' "$LOG" > "$T/got"
	check_same "$io: grep -v" "$T/got" "$T/want.grepv"
	# shellcheck disable=SC2002 # the pipe is the point
	check_eq "$io: pipe count" "$(cat "$LOG" | "$RINGFLOW" "$@" count)" "$WANT_COUNT"
	# shellcheck disable=SC2002
	cat "$LOG" | "$RINGFLOW" "$@" "grep \"$PAT\"" > "$T/got"
	check_same "$io: pipe grep" "$T/got" "$T/want.grep"
	check_eq "$io: stdin file count" "$("$RINGFLOW" "$@" count < "$LOG")" "$WANT_COUNT"
	check_eq "$io: '-' count" "$("$RINGFLOW" "$@" count - < "$LOG")" "$WANT_COUNT"
	# stdin already moved 1000 bytes into the file: count from there on
	got=$( { dd bs=1000 count=1 of=/dev/null 2>/dev/null; "$RINGFLOW" "$@" count; } < "$LOG")
	check_eq "$io: stdin mid-file" "$got" "$(tail -c +1001 "$LOG" | awk 'END { print NR }')"
done

# ---- several files, one stream, in order --------------------------------
head -c 100000 "$LOG" > "$T/a"             # ends mid-line: its last line is a record
printf 'x 404 y\r\nno newline 404' > "$T/b"
: > "$T/empty"
tail -c 50000 "$LOG" > "$T/c"
FILES="$T/a $T/empty $T/b $T/c"
for io in read mmap uring; do
	# shellcheck disable=SC2086
	check_eq "$io: count over files" "$("$RINGFLOW" --io=$io count $FILES)" "$(records $FILES)"
	# shellcheck disable=SC2086
	"$RINGFLOW" --io=$io 'grep 404' $FILES > "$T/got"
	for f in $FILES; do grep -a -F 404 "$f"; done > "$T/want"
	check_same "$io: grep over files" "$T/got" "$T/want"
done
check_eq "count differs from wc -l without a final newline" \
	"$("$RINGFLOW" count "$T/b")" "$(($(wc -l < "$T/b") + 1))"

# ---- a missing file: say so, process the rest, exit 2 --------------------
"$RINGFLOW" count "$T/a" "$T/missing" "$T/c" > "$T/got" 2> "$T/err"
check_status "missing file" $? 2
check_eq "missing file: the others still counted" "$(cat "$T/got")" "$(records "$T/a" "$T/c")"
check_grep "missing file: named" "$T/err" "$T/missing"
"$RINGFLOW" count "$T" > /dev/null 2> "$T/err"
check_status "directory" $? 2
check_grep "directory: named" "$T/err" "Is a directory"
check_eq "/dev/null" "$("$RINGFLOW" count /dev/null)" 0
check_eq "empty file" "$("$RINGFLOW" count "$T/empty")" 0

# ---- bytes are bytes: NUL, invalid UTF-8, CR pass through -----------------
printf 'plain\nnul\000 404 byte\n\377\376 404 bad utf8\r\ncrlf 404\r\n404' > "$T/raw"
for io in read mmap uring; do
	"$RINGFLOW" --io=$io 'grep 404' "$T/raw" > "$T/got"
	grep -a -F 404 "$T/raw" > "$T/want"
	check_same "$io: raw bytes" "$T/got" "$T/want"
	check_eq "$io: raw count" "$("$RINGFLOW" --io=$io count "$T/raw")" 5
done

# ---- a 12 MB line, through a file and through a pipe ---------------------
{ echo first; head -c 12000000 /dev/zero | tr '\0' 'z'; echo ' 404'; echo last 404; } > "$T/long"
grep -a -F 404 "$T/long" > "$T/want"
for io in read mmap uring; do
	"$RINGFLOW" --io=$io 'grep 404' "$T/long" > "$T/got"
	check_same "$io: 12 MB line" "$T/got" "$T/want"
done
# shellcheck disable=SC2002
cat "$T/long" | "$RINGFLOW" 'grep 404' > "$T/got"
check_same "pipe: 12 MB line" "$T/got" "$T/want"
"$RINGFLOW" --max-record=1M count "$T/long" > /dev/null 2> "$T/err"
check_status "record over --max-record" $? 2
check_grep "record over --max-record: names the line" "$T/err" "line 2:"

# ---- every SIMD level gives the same answer -------------------------------
for simd in scalar sse2 avx2 avx512; do
	if ! "$RINGFLOW" --simd=$simd count /dev/null > /dev/null 2>&1; then
		echo "skip: --simd=$simd not supported here"
		continue
	fi
	"$RINGFLOW" --simd=$simd "grep \"$PAT\"" "$LOG" > "$T/got"
	check_same "simd $simd: grep" "$T/got" "$T/want.grep"
	check_eq "simd $simd: count" "$("$RINGFLOW" --simd=$simd count "$LOG")" "$WANT_COUNT"
done

# ---- io_uring refused by the kernel: read(2) without an error ------------
got=$(RINGFLOW_NO_URING=1 "$RINGFLOW" --io=uring --stats count "$LOG" 2> "$T/err")
check_eq "no io_uring: count" "$got" "$WANT_COUNT"
check_grep "no io_uring: says why" "$T/err" "io_uring unavailable"

# ---- a memlock limit too small to register the pool: plain reads ---------
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null && id nobody > /dev/null 2>&1; then
	chmod 755 "$T" && chmod 644 "$LOG"
	got=$(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --inh-caps=-all \
		sh -c 'ulimit -l 64 && "$0" --io=uring --stats count "$1"' "$RINGFLOW" "$LOG" 2> "$T/err")
	check_eq "memlock limit: count" "$got" "$WANT_COUNT"
	check_grep "memlock limit: buffers not registered" "$T/err" "buffers not registered"
else
	echo "skip: memlock test needs root, setpriv and the user nobody"
fi

# ---- auto picks mmap for a cached file, and says so -----------------------
cat "$LOG" > /dev/null
"$RINGFLOW" --stats count "$LOG" > /dev/null 2> "$T/err"
check_grep "auto: cached file" "$T/err" "in page cache: mmap"

# ---- a file truncated while it is mapped: an error, not a crash --------------
"$LOGGEN" --size 48M --seed 9 > "$T/shrink"
mkfifo "$T/fifo"
"$RINGFLOW" --io=mmap --window=64M 'grep " 404 "' "$T/shrink" > "$T/fifo" 2> "$T/err" &
pid=$!
exec 3< "$T/fifo"
head -c 1 <&3 > /dev/null      # ringflow is now writing out the mapped window
truncate -s 100000 "$T/shrink"
cat <&3 > /dev/null
exec 3<&-
wait $pid
check_status "truncated under mmap" $? 2
check_grep "truncated under mmap: said so" "$T/err" "truncated while mapped (SIGBUS)"

# ---- a slow writer's lines come out promptly ------------------------------
{ echo "early 404"; sleep 3; echo "late 404"; } | "$RINGFLOW" 'grep 404' > "$T/stream" &
sleep 1.5
check_eq "stream: first line out before the writer finishes" "$(cat "$T/stream")" "early 404"
wait
check_eq "stream: all lines" "$(wc -l < "$T/stream")" 2

finish
