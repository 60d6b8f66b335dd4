#!/bin/sh
# SPDX-License-Identifier: MIT
# compressed.sh - compressed input (issue 14): gzip, zstd, xz, bzip2 and lz4
# are read natively, detected by their content, in every mode and backend,
# from files and stdin, and give the same bytes as the plain input.  The
# oracles are the formats' own tools (zcat, zstdcat, xzcat, bzcat, lz4cat),
# grep, awk and ringflow's output on the plain file.
. "${SRCDIR:-.}/tests/lib.sh"
. "${SRCDIR:-.}/tests/codecs.sh"

# The generated log, in every format; every tool gives the log back.
"$LOGGEN" --size 8M --seed 14 > "$T/L" || exit 99
for x in $FORMATS; do
	comp $x < "$T/L" > "$T/L.$x" || exit 99
	uncomp $x < "$T/L.$x" | cmp -s - "$T/L" || exit 99
done

# A format whose library this build lacks is refused by name: skip it.
AVAIL=''
for x in $FORMATS; do
	built_in "$T/L.$x" $x && AVAIL="$AVAIL $x"
done

# The oracles on the plain log: count, grep, count by status, sum by $9.
lines=$(records "$T/L")
grep -F ' 404 ' "$T/L" > "$T/want.grep"
awk '{ n[$9]++ } END { for (k in n) printf "%s\t%d\n", k, n[k] }' "$T/L" | sort > "$T/want.status"
awk '{ s[$9] += $10 } END { for (k in s) printf "%s\t%d\n", k, s[k] }' "$T/L" | sort > "$T/want.sum"

# q NAME ARGS...: run ringflow ARGS, output in $T/NAME (status in $T/NAME.rc)
q() {
	name=$1
	shift
	"$RINGFLOW" "$@" > "$T/$name" 2> "$T/$name.err"
	echo $? > "$T/$name.rc"
}
# agg_sorted FILE: a --format=tsv table without its header, sorted
agg_sorted() {
	tail -n +2 "$1" | sort
}

# all_queries WHAT FILE OPTIONS...: the four queries over FILE (the plain
# log compressed), against the oracles and ringflow's output on the plain log
# with the same options
all_queries() {
	what=$1 file=$2
	shift 2
	q c "$@" count "$file"
	check_status "$what count" "$(cat "$T/c.rc")" 0
	check_eq "$what count" "$(cat "$T/c")" "$lines"
	q g "$@" 'grep " 404 "' "$file"
	q gp "$@" 'grep " 404 "' "$T/L"
	check_same "$what grep vs grep(1)" "$T/g" "$T/want.grep"
	check_same "$what grep vs the plain file" "$T/g" "$T/gp"
	q s "$@" --format=tsv 'parse combined | count by status' "$file"
	q sp "$@" --format=tsv 'parse combined | count by status' "$T/L"
	agg_sorted "$T/s" > "$T/s.sorted"
	check_same "$what count by status vs awk" "$T/s.sorted" "$T/want.status"
	check_same "$what count by status vs the plain file" "$T/s" "$T/sp"
	q m "$@" --format=tsv 'split | sum($10) by $9' "$file"
	q mp "$@" --format=tsv 'split | sum($10) by $9' "$T/L"
	agg_sorted "$T/m" > "$T/m.sorted"
	check_same "$what sum by \$9 vs awk" "$T/m.sorted" "$T/want.sum"
	check_same "$what sum by \$9 vs the plain file" "$T/m" "$T/mp"
}

# Every format, default options.
for x in $AVAIL; do
	all_queries ".$x" "$T/L.$x"
done

# Every mode and worker count: gzip and zstd fully, the others at 2.
for x in $AVAIL; do
	case $x in gz|zst) threads="1 2 3" ;; *) threads=2 ;; esac
	for mode in serial parallel pipeline multiprocess async auto; do
		for n in $threads; do
			o="--mode=$mode --threads=$n"
			q m $o --format=tsv 'split | sum($10) by $9' "$T/L.$x"
			if [ $n = 2 ]; then
				q c $o count "$T/L.$x"
				check_eq ".$x $o count" "$(cat "$T/c")" "$lines"
				q g $o 'grep " 404 "' "$T/L.$x"
				check_same ".$x $o grep vs grep(1)" "$T/g" "$T/want.grep"
			fi
			agg_sorted "$T/m" > "$T/m.sorted"
			check_same ".$x $o sum by \$9 vs awk" "$T/m.sorted" "$T/want.sum"
		done
	done
done

# Every backend reads the compressed bytes: the same output.
for x in $AVAIL; do
	for io in read mmap uring; do
		q c --io=$io count "$T/L.$x"
		check_eq ".$x --io=$io count" "$(cat "$T/c")" "$lines"
		q g --io=$io 'grep " 404 "' "$T/L.$x"
		check_same ".$x --io=$io grep" "$T/g" "$T/want.grep"
	done
done

# Untidy inputs: CRLF lines and no final newline; a record across a
# member/frame boundary; empty members; a compressed empty input.
head -n 3000 "$T/L" | sed 's/$/\r/' > "$T/crlf"
printf 'last line without a newline 404 \r' >> "$T/crlf"
head -c 1000001 "$T/L" > "$T/part1"  # ends inside a line
tail -c +1000002 "$T/L" | head -c 500000 > "$T/part2"
cat "$T/part1" "$T/part2" > "$T/joined"
: > "$T/empty"
for x in $AVAIL; do
	comp $x < "$T/crlf" > "$T/crlf.$x"
	# two members/frames/streams, the cut in the middle of a line, with
	# empty ones before, between and after
	{ comp $x < "$T/empty"; comp $x < "$T/part1"; comp $x < "$T/empty"
	  comp $x < "$T/part2"; comp $x < "$T/empty"; } > "$T/joined.$x"
	comp $x < "$T/empty" > "$T/empty.$x"
	uncomp $x < "$T/joined.$x" | cmp -s - "$T/joined" || fail ".$x: $x's tool does not give the members back"
	for f in crlf joined; do
		grep -a '' "$T/$f" > "$T/want.lines"  # the last line gets a newline
		uncomp $x < "$T/$f.$x" | grep -a -F 404 > "$T/want"
		for mode in serial parallel pipeline multiprocess async; do
			q g --mode=$mode 'grep ""' "$T/$f.$x"
			check_same "$f.$x --mode=$mode lines vs grep(1)" "$T/g" "$T/want.lines"
			[ $mode = serial ] || [ $mode = parallel ] || continue
			q g --mode=$mode 'grep "404"' "$T/$f.$x"
			check_same "$f.$x --mode=$mode grep 404 vs grep(1)" "$T/g" "$T/want"
		done
	done
	q c count "$T/empty.$x"
	check_status "empty.$x count" "$(cat "$T/c.rc")" 0
	check_eq "empty.$x count" "$(cat "$T/c")" 0
	q c count "$T/empty.$x" "$T/crlf.$x" "$T/empty.$x"
	check_eq "empty.$x crlf.$x empty.$x count" "$(cat "$T/c")" "$(records "$T/crlf")"
done

# Many members/frames/streams in one file (what parallel decoding splits):
# 2 MB of the log cut at 40 seeded byte offsets (mid-line, one piece empty),
# each piece compressed on its own, concatenated; and BGZF (gzip members of
# at most 64K with the BC extra field, then the empty EOF member).
head -c 2000000 "$T/L" > "$T/pieces"
python3 - "$T/pieces" > "$T/cuts" <<'PY'
import random, sys
n = len(open(sys.argv[1], "rb").read())
r = random.Random(14)
cuts = sorted(set(r.randrange(1, n) for _ in range(39)))
cuts = [0] + cuts[:20] + [cuts[20]] + cuts[20:] + [n]   # one empty piece
print(" ".join(map(str, cuts)))
PY
for x in $AVAIL; do
	set -- $(cat "$T/cuts")
	prev=$1
	shift
	for c in "$@"; do
		tail -c +$((prev + 1)) "$T/pieces" | head -c $((c - prev)) | comp $x
		prev=$c
	done > "$T/pieces.$x"
	uncomp $x < "$T/pieces.$x" | cmp -s - "$T/pieces" || fail ".$x pieces: $x's tool does not give them back"
done
set --
if echo "$AVAIL" | grep -q gz; then
	python3 "${SRCDIR:-.}/tests/bgzf.py" "$T/pieces" > "$T/pieces.bgzf"
	gzip -dc < "$T/pieces.bgzf" | cmp -s - "$T/pieces" || fail "bgzf: gzip does not give it back"
	bg=bgzf
else
	bg=''
fi
grep -a '' "$T/pieces" > "$T/want.pieces"
awk '{ s[$9] += $10 } END { for (k in s) printf "%s\t%d\n", k, s[k] }' "$T/pieces" | sort > "$T/want.psum"
for x in $AVAIL $bg; do
	case $x in gz|zst|bgzf) threads="1 2 3" ;; *) threads=2 ;; esac
	for mode in serial parallel pipeline multiprocess async; do
		for n in $threads; do
			o="--mode=$mode --threads=$n"
			q g $o 'grep ""' "$T/pieces.$x"
			check_same "pieces.$x $o lines" "$T/g" "$T/want.pieces"
			q m $o --format=tsv 'split | sum($10) by $9' "$T/pieces.$x"
			agg_sorted "$T/m" > "$T/m.sorted"
			check_same "pieces.$x $o sum by \$9 vs awk" "$T/m.sorted" "$T/want.psum"
		done
	done
done

# A 100 MB line in gzip, with a short line on each side.
if echo "$AVAIL" | grep -q gz; then
	python3 -c '
import sys, zlib
c = zlib.compressobj(6, zlib.DEFLATED, 31)
o = sys.stdout.buffer
o.write(c.compress(b"first 404\n"))
for i in range(100):
    o.write(c.compress(b"a" * (1 << 20)))
o.write(c.compress(b"\nlast 404\n"))
o.write(c.flush())' > "$T/long.gz"
	q c --max-record=200M count "$T/long.gz"
	check_status "100 MB line count" "$(cat "$T/c.rc")" 0
	check_eq "100 MB line count" "$(cat "$T/c")" 3
	q g --max-record=200M 'grep "404"' "$T/long.gz"
	printf 'first 404\nlast 404\n' > "$T/want"
	check_same "100 MB line: grep around it" "$T/g" "$T/want"
	"$RINGFLOW" --max-record=200M 'grep "aaaa"' "$T/long.gz" > "$T/g" 2> "$T/g.err"
	check_eq "100 MB line: its length" "$(wc -c < "$T/g")" $((100 * 1048576 + 1))
	check_eq "100 MB line: its head" "$(head -c 8 "$T/g")" aaaaaaaa
	check_eq "100 MB line: its end" "$(tail -c 3 "$T/g" | od -An -c | tr -d ' ')" 'aa\n'
	rm -f "$T/g"
fi

# Many files in the order given: a logrotate-style directory, plain and
# compressed generations (two gzip ones, one of them with two members),
# named the way logrotate names them and given newest last.
mkdir "$T/rot"
i=0
for x in plain plain gz gz zst xz bz2 lz4; do
	"$LOGGEN" --size 300K --seed $((100 + i)) > "$T/gen$i"
	case $i in 0) name=access.log ;; 1) name=access.log.1 ;; *) name=access.log.$i.$x ;; esac
	case $x in
	plain) cp "$T/gen$i" "$T/rot/$name" ;;
	*) if echo "$AVAIL" | grep -q $x; then
		if [ $i = 3 ]; then
			{ head -n 700 "$T/gen$i" | gzip -c; tail -n +701 "$T/gen$i" | gzip -c; } > "$T/rot/$name"
		else
			comp $x < "$T/gen$i" > "$T/rot/$name"
		fi
	   else
		name=''
	   fi ;;
	esac
	[ -n "$name" ] && echo "$name $i" >> "$T/rot.list"
	i=$((i + 1))
done
# newest last: access.log.7.lz4 ... access.log.2.gz access.log.1 access.log
set --
: > "$T/want"
for name in $(sort -t. -k3,3nr "$T/rot.list" | cut -d' ' -f1); do
	set -- "$@" "$T/rot/$name"
done
for name in $(sort -t. -k3,3nr "$T/rot.list" | cut -d' ' -f2); do
	cat "$T/gen$name" >> "$T/want"
done
for f in "$@"; do
	case $f in
	*.gz) gzip -dc "$f" ;; *.zst) zstd -q -dc "$f" ;; *.xz) xz -dc "$f" ;;
	*.bz2) bzip2 -dc "$f" ;; *.lz4) lz4 -q -dc "$f" ;; *) cat "$f" ;;
	esac
done > "$T/want.tools"
cmp -s "$T/want" "$T/want.tools" || exit 99
awk '{ s[$9] += $10 } END { for (k in s) printf "%s\t%d\n", k, s[k] }' "$T/want" | sort > "$T/want.rsum"
for mode in serial parallel pipeline multiprocess async auto; do
	q g --mode=$mode 'grep ""' "$@"
	check_same "logrotate dir --mode=$mode lines in the order given" "$T/g" "$T/want"
	q c --mode=$mode count "$@"
	check_eq "logrotate dir --mode=$mode count" "$(cat "$T/c")" "$(records "$T/want")"
	q m --mode=$mode --format=tsv 'split | sum($10) by $9' "$@"
	agg_sorted "$T/m" > "$T/m.sorted"
	check_same "logrotate dir --mode=$mode sum by \$9 vs awk" "$T/m.sorted" "$T/want.rsum"
done
set --

# stdin: piped and redirected, every format.
for x in $AVAIL; do
	check_eq "cat L.$x | ringflow count" "$(cat "$T/L.$x" | "$RINGFLOW" count)" "$lines"
	check_eq "ringflow count < L.$x" "$("$RINGFLOW" count < "$T/L.$x")" "$lines"
	cat "$T/L.$x" | "$RINGFLOW" 'grep " 404 "' > "$T/g"
	check_same "cat L.$x | ringflow grep" "$T/g" "$T/want.grep"
	cat "$T/joined.$x" | "$RINGFLOW" --mode=pipeline 'grep ""' > "$T/g"
	grep -a '' "$T/joined" > "$T/want"  # its last line gets a newline
	check_same "cat joined.$x | ringflow --mode=pipeline lines" "$T/g" "$T/want"
done

# A slow pipe: the gzip header arrives a byte at a time; it is still
# detected.
if echo "$AVAIL" | grep -q gz; then
	head -n 2000 "$T/L" > "$T/small"
	gzip -c < "$T/small" > "$T/small.gz"
	python3 -c '
import sys, time
d = open(sys.argv[1], "rb").read()
o = sys.stdout.buffer
for i in range(12):
    o.write(d[i:i + 1]); o.flush(); time.sleep(0.15)
o.write(d[12:]); o.flush()' "$T/small.gz" | "$RINGFLOW" 'grep ""' > "$T/g"
	check_same "slow gzip pipe: lines" "$T/g" "$T/small"
	python3 -c '
import sys, time
d = open(sys.argv[1], "rb").read()
o = sys.stdout.buffer
for i in range(3):
    o.write(d[i:i + 1]); o.flush(); time.sleep(0.3)
o.write(d[3:]); o.flush()' "$T/small.gz" | "$RINGFLOW" count > "$T/c"
	check_eq "slow gzip pipe: count" "$(cat "$T/c")" 2000
fi

# A plain pipe whose first line is shorter than any magic, or starts like
# one: the line comes out at once and ringflow exits, while the writer still
# waits (30 s; it is stopped afterwards).
mkfifo "$T/fifo" || exit 99
for first in 'ok' 'BZh' '\037' '\050\265'; do
	python3 -c '
import sys, time
sys.stdout.buffer.write(sys.argv[1].encode().decode("unicode_escape").encode("latin-1") + b"\n")
sys.stdout.flush()
time.sleep(30)
sys.stdout.write("later\n")' "$first" > "$T/fifo" &
	writer=$!
	start=$(date +%s)
	timeout 10 "$RINGFLOW" 'head 1' < "$T/fifo" > "$T/g"
	took=$(($(date +%s) - start))
	kill $writer 2> /dev/null
	wait $writer 2> /dev/null
	printf "$first\n" > "$T/want"
	check_same "first line '$first' on a pipe" "$T/g" "$T/want"
	checks=$((checks + 1))
	[ $took -lt 7 ] || fail "first line '$first' on a pipe: ringflow took ${took} s (the writer waits 30 s)"
done

# Detection by content, never by name.
if echo "$AVAIL" | grep -q gz; then
	cp "$T/L.gz" "$T/x.log"
	cp "$T/small" "$T/x.gz"
	check_eq "gzip named x.log" "$("$RINGFLOW" count "$T/x.log")" "$lines"
	check_eq "text named x.gz" "$("$RINGFLOW" count "$T/x.gz")" 2000
	"$RINGFLOW" 'grep ""' "$T/x.gz" > "$T/g"
	check_same "text named x.gz: lines" "$T/g" "$T/small"
fi
for x in $AVAIL; do
	cp "$T/L.$x" "$T/noext"
	check_eq "$x named noext" "$("$RINGFLOW" count "$T/noext")" "$lines"
done

# --decompress=off reads the bytes as they are; auto is the default;
# anything else is a usage error.
rawrecords() {
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
print(d.count(b"\n") + (1 if d and not d.endswith(b"\n") else 0))' "$1"
}
for x in $AVAIL; do
	q c --decompress=off count "$T/L.$x"
	check_status "--decompress=off .$x" "$(cat "$T/c.rc")" 0
	check_eq "--decompress=off .$x count" "$(cat "$T/c")" "$(rawrecords "$T/L.$x")"
	q c --decompress=auto count "$T/L.$x"
	check_eq "--decompress=auto .$x count" "$(cat "$T/c")" "$lines"
done
q c --decompress=off --mode=parallel count "$T/L.gz"
check_eq "--decompress=off --mode=parallel .gz count" "$(cat "$T/c")" "$(rawrecords "$T/L.gz")"
check_eq "--decompress=off on stdin" "$("$RINGFLOW" --decompress=off count < "$T/L.gz")" "$(rawrecords "$T/L.gz")"
q c --decompress=bogus count "$T/L.gz"
check_status "--decompress=bogus" "$(cat "$T/c.rc")" 2
check_grep "--decompress=bogus message" "$T/c.err" "ringflow:"
check_grep "--decompress=bogus names the value" "$T/c.err" "bogus"

# --stats: compressed and uncompressed bytes and the decoder.
if echo "$AVAIL" | grep -q gz; then
	csize=$(stat -c %s "$T/L.gz")
	usize=$(gzip -dc "$T/L.gz" | wc -c)
	"$RINGFLOW" --stats count "$T/L.gz" > /dev/null 2> "$T/stats"
	check_grep "--stats: compressed bytes" "$T/stats" "$csize"
	check_grep "--stats: uncompressed bytes" "$T/stats" "$usize"
	checks=$((checks + 1))
	grep -q -i -E 'igzip|isa-l|zlib' "$T/stats" || fail "--stats names no gzip decoder: $(head -c 600 "$T/stats")"
	"$RINGFLOW" --stats=json count "$T/L.gz" > /dev/null 2> "$T/stats.json"
	python3 - "$T/stats.json" "$csize" "$usize" <<'PY' || fail "--stats=json: no numbers $csize and $usize: $(head -c 600 "$T/stats.json")"
import json, sys
s = json.load(open(sys.argv[1]))
nums = set()
def walk(v):
    if isinstance(v, bool):
        return
    if isinstance(v, (int, float)):
        nums.add(v)
    elif isinstance(v, dict):
        for w in v.values():
            walk(w)
    elif isinstance(v, list):
        for w in v:
            walk(w)
walk(s)
sys.exit(0 if int(sys.argv[2]) in nums and int(sys.argv[3]) in nums else 1)
PY
	checks=$((checks + 1))
fi

finish
