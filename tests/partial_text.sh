#!/bin/sh
# SPDX-License-Identifier: MIT
# partial_text.sh - text partials (issue 20): --partial-text writes a
# partial state as one line, RFPART64, a tab, its base64, for the engines
# that carry lines between mappers and reducers.  Hadoop and Spark are not
# in Debian 12 and this machine reaches no Maven repository, so their data
# path is simulated in its real shape: Hadoop Streaming's mappers over
# splits of a log cut on line boundaries (split -n l/4), their lines sorted
# (the shuffle), one reducer; Spark's RDD.pipe over partitions, lines in,
# partial lines out, collected, merged.  Each must print the bytes of one
# serial run over the whole log.  Damaged lines are refused naming the line
# (exit 2, nothing printed); CRLF lines merge.  The base64 codec is held
# against Python's for every length 0..100 and every byte value.
. "${SRCDIR:-.}/tests/lib.sh"

B64=${BUILDDIR:-.}/tests/b64
if [ ! -x "$B64" ]; then
	echo "SKIP: $B64 is not built (make check builds it)"
	exit 77
fi

"$LOGGEN" --size 512K --seed 20 > "$T/log" || exit 99

# ---- Hadoop Streaming ---------------------------------------------------------
# -mapper 'ringflow --partial-out - --partial-text "$Q" -': each split on
# stdin, one line out; the shuffle sorts the lines by key (all RFPART64),
# so the reducer gets them in no order of the input's
(cd "$T" && split -n l/4 -d log split.) || exit 99
hadoop() {
	for s in "$T"/split.0*; do
		"$RINGFLOW" --partial-out - --partial-text "$1" - < "$s" || echo "mapper failed on $s"
	done > "$T/mapped"
	sort "$T/mapped" | "$RINGFLOW" merge "$1"
}
while IFS= read -r q; do
	"$RINGFLOW" "$q" "$T/log" > "$T/want" 2> /dev/null || exit 99
	hadoop "$q" > "$T/got"
	check_status "Hadoop Streaming: $q" $? 0
	check_same "Hadoop Streaming: $q" "$T/got" "$T/want"
	check_eq "Hadoop Streaming: one line per mapper: $q" "$(wc -l < "$T/mapped")" 4
	check_eq "Hadoop Streaming: every line keyed RFPART64: $q" "$(cut -f1 "$T/mapped" | sort -u)" RFPART64
	# the combiner and Spark for the two queries with sketches
	[ "$q" = 'parse combined | count by status' ] && continue
	# a combiner (ringflow merge --partial-out - --partial-text) on two
	# mappers' lines: its line goes on to the reducer with the others
	{ head -2 "$T/mapped" | "$RINGFLOW" merge --partial-out - --partial-text "$q"; tail -2 "$T/mapped"; } |
		sort | "$RINGFLOW" merge "$q" > "$T/got"
	check_same "Hadoop Streaming with a combiner: $q" "$T/got" "$T/want"
	# ---- Spark: rdd.repartition(3).pipe(...).collect() ------------------
	# partitions of lines dealt round robin (a repartition's shuffle), and
	# one empty partition: pipe runs the command for it too
	(cd "$T" && rm -f part.* && split -n r/3 -d log part. && : > part.03) || exit 99
	for p in "$T"/part.0*; do
		"$RINGFLOW" --partial-out - --partial-text "$q" - < "$p"
	done > "$T/collected"
	"$RINGFLOW" merge "$q" < "$T/collected" > "$T/got"
	check_same "Spark pipe: $q" "$T/got" "$T/want"
	check_eq "Spark pipe: a line per partition: $q" "$(wc -l < "$T/collected")" 4
done <<'QUERIES'
parse combined | count by status
parse combined | count, p99(bytes), sum(bytes), distinct(ip) by status
parse combined | approx_distinct(ip), approx_distinct(path), count by method
QUERIES

# ---- the line is the binary partial in base64 (Python the oracle) --------------
# one group whose key is 1 to 3 bytes long, so that the state's length
# takes every value modulo 3 (the envelope is 40 bytes: a base64 group
# spans the two)
q='split | count by $1'
i=0
while [ $i -le 2 ]; do
	awk -v n=$i 'BEGIN { print substr("abcdef", 1, n + 1) }' > "$T/in$i"
	"$RINGFLOW" --partial-out "$T/bin$i" "$q" "$T/in$i" || exit 99
	"$RINGFLOW" --partial-out "$T/txt$i" --partial-text "$q" "$T/in$i" || exit 99
	i=$((i + 1))
done
python3 - "$T" > "$T/py" << 'EOF'
import base64, sys
t = sys.argv[1]
rests = set()
for i in range(3):
    b = open(f"{t}/bin{i}", "rb").read()
    rests.add(len(b) % 3)
    ok = open(f"{t}/txt{i}", "rb").read() == b"RFPART64\t" + base64.b64encode(b) + b"\n"
    print(f"line{i} {'same' if ok else 'differs'}")
print("rests", len(rests))
EOF
i=0
while [ $i -le 2 ]; do
	check_line "--partial-text of input $i: RFPART64, a tab, the base64 of --partial-out's bytes" "$T/py" "line$i same"
	i=$((i + 1))
done
check_line "partials of every length modulo 3" "$T/py" "rests 3"

# ---- the codec against Python's base64 ----------------------------------------
# every length 0..100 (bytes that run through all 256 values), then
# strings Python's strict decoder refuses or takes, with where it fails
python3 - "$T" << 'EOF' || exit 99
import sys
t = sys.argv[1]
with open(f"{t}/hex", "w") as f:
    for n in range(101):
        f.write(bytes((n * 37 + k * 101) % 256 for k in range(n)).hex() + "\n")
    f.write(bytes(range(256)).hex() + "\n")
    f.write(bytes(range(255, -1, -1)).hex() + "\n")
EOF
"$B64" enc < "$T/hex" > "$T/enc" || exit 99
"$B64" dec < "$T/enc" > "$T/dec" || exit 99
check_same "base64 round trip of lengths 0..100 and bytes 0..255" "$T/dec" "$T/hex"
python3 - "$T" << 'EOF' > "$T/bad" || exit 99
import base64, binascii, sys
t = sys.argv[1]
want = [base64.b64encode(bytes.fromhex(h)).decode() for h in open(f"{t}/hex").read().split("\n")[:-1]]
got = open(f"{t}/enc").read().split("\n")[:-1]
print("encoded", "same" if got == want else "differs")
# damaged strings: what Python's strict decoder says of each is the oracle
cases = ["ab=c", "a===", "====", "abc", "ab==", "abc=", "QR==", "QUJ=", "ab==ab==", "a=b=", "ab*d", "abcd\x01bcd",
         "abcdefg", "ab cd", "abc-", "abc_", "\xe9bcd"]
for n in range(1, 13):
    cases.append(base64.b64encode(bytes(range(n))).decode()[:-1])
with open(f"{t}/cases", "w", encoding="latin-1") as f:
    for c in cases:
        f.write(c + "\n")
with open(f"{t}/oracle", "w") as f:
    for c in cases:
        try:
            f.write(binascii.a2b_base64(c.encode("latin-1"), strict_mode=True).hex() + "\n")
        except binascii.Error:
            f.write("bad\n")
EOF
check_line "base64 encoding of lengths 0..100 and bytes 0..255 is Python's" "$T/bad" "encoded same"
"$B64" dec < "$T/cases" | sed 's/^bad .*/bad/' > "$T/decoded" || exit 99
check_same "base64 decoding: what Python's strict decoder takes and refuses" "$T/decoded" "$T/oracle"
# padding after a whole group: RFC 4648 has none there (Python 3.11's
# strict mode takes it, so it is no oracle for this one)
check_eq "base64 decoding: padding after a whole group" "$(printf 'abcd====\nabcd=\n' | "$B64" dec)" "bad 4
bad 5"

# ---- damage: exit 2, the line named, nothing printed --------------------------
q='parse combined | count, p99(bytes), sum(bytes), distinct(ip) by status'
for s in "$T"/split.0[012]; do
	"$RINGFLOW" --partial-out - --partial-text "$q" - < "$s" || exit 99
done > "$T/three"
head -1 "$T/three" > "$T/l1"
sed -n 2p "$T/three" > "$T/l2"
tail -1 "$T/three" > "$T/l3"
len=$(wc -c < "$T/l2")
# refused WHAT MESSAGE FILE_OF_LINE_2
refused() {
	cat "$T/l1" "$3" "$T/l3" > "$T/damaged"
	"$RINGFLOW" merge "$q" "$T/damaged" > "$T/got" 2> "$T/err"
	check_status "$1" $? 2
	check_eq "$1: nothing printed" "$(wc -c < "$T/got")" 0
	check_grep "$1: said" "$T/err" "$2"
}
# chg AT CHAR: line 2 with its character AT (from 1) replaced by CHAR
chg() {
	{ head -c $(($1 - 1)) "$T/l2"; printf '%s' "$2"; tail -c +$(($1 + 1)) "$T/l2"; } > "$T/l2x"
}
# a base64 character changed into another: in the envelope (its header
# checksum), and in the state (the aggregate's checksum)
c=$(cut -c 30 "$T/l2")
chg 30 "$([ "$c" = Q ] && echo R || echo Q)"
refused "a base64 character of the envelope changed" "line 2: damaged" "$T/l2x"
at=$((len / 2))
c=$(cut -c $at "$T/l2")
chg $at "$([ "$c" = Q ] && echo R || echo Q)"
refused "a base64 character of the state changed" "damaged" "$T/l2x"
chg 40 '*'
refused "a character not base64" "line 2: damaged: '*' at column 40 is not base64" "$T/l2x"
chg 41 "$(printf '\001')"
refused "a control byte" "line 2: damaged: byte 1 at column 41 is not base64" "$T/l2x"
chg 42 "="
refused "padding in the middle" "line 2: damaged: '=' at column 42" "$T/l2x"
# cut short: by a length base64 cannot have, and by whole groups of four
head -c 101 "$T/l2" > "$T/l2x" && echo >> "$T/l2x"
refused "a line cut short" "line 2: cut short" "$T/l2x"
# shellcheck disable=SC2017 # half the base64, rounded down to whole groups
head -c $((9 + (len - 10) / 8 * 4)) "$T/l2" > "$T/l2x" && echo >> "$T/l2x"
refused "a line cut short by whole groups" "line 2: cut short" "$T/l2x"
sed 's/^RFPART64/RFPART46/' "$T/l2" > "$T/l2x"
refused "a bad prefix" "line 2: not a ringflow partial state" "$T/l2x"
sed 's/^RFPART64./RFPART64 /' "$T/l2" > "$T/l2x"
refused "a space for the tab" "line 2: not a ringflow partial state" "$T/l2x"
# line 1 bad: the input is still read as text and the line named
sed 's/^RFPART64/RFPART6/' "$T/l2" > "$T/l2x"
cat "$T/l2x" "$T/l3" | "$RINGFLOW" merge "$q" > "$T/got" 2> "$T/err"
check_status "line 1 with a bad prefix" $? 2
check_grep "line 1 with a bad prefix: said" "$T/err" "line 1: not a ringflow partial state"
# a binary partial after text lines: one input is one or the other
"$RINGFLOW" --partial-out "$T/binary" "$q" "$T/split.03" || exit 99
cat "$T/three" "$T/binary" | "$RINGFLOW" merge "$q" > "$T/got" 2> "$T/err"
check_status "text, then binary" $? 2
check_grep "text, then binary: said" "$T/err" "line 4: not a ringflow partial state"

# ---- CRLF line ends and blank lines; text and binary inputs together ----------
cat "$T"/split.0[012] | "$RINGFLOW" "$q" > "$T/want" 2> /dev/null || exit 99
{ printf '\n\n'; head -1 "$T/three"; echo; sed -n '2,$p' "$T/three"; echo; } | sed 's/$/\r/' > "$T/crlf"
"$RINGFLOW" merge "$q" "$T/crlf" > "$T/got"
check_status "CRLF lines, blank lines" $? 0
check_same "CRLF lines, blank lines" "$T/got" "$T/want"
cat "$T"/split.0[0123] | "$RINGFLOW" "$q" > "$T/want" 2> /dev/null || exit 99
"$RINGFLOW" merge "$q" "$T/crlf" "$T/binary" > "$T/got"
check_same "a text input and a binary one" "$T/got" "$T/want"
# a last line with no newline
cat "$T"/split.0[012] | "$RINGFLOW" "$q" > "$T/want" 2> /dev/null || exit 99
head -c -1 "$T/three" | "$RINGFLOW" merge "$q" > "$T/got"
check_same "a last line with no newline" "$T/got" "$T/want"

# ---- --partial-text alone is a usage error -------------------------------------
"$RINGFLOW" --partial-text "$q" "$T/log" > "$T/got" 2> "$T/err"
check_status "--partial-text without --partial-out" $? 2
check_grep "--partial-text without --partial-out: said" "$T/err" "add --partial-out"
check_eq "--partial-text without --partial-out: nothing printed" "$(wc -c < "$T/got")" 0

finish
