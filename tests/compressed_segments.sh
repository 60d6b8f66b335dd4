#!/bin/sh
# SPDX-License-Identifier: MIT
# compressed_segments.sh - one compressed file decoded by several threads
# at once: multi-frame zstd and lz4, concatenated xz streams and BGZF are
# cut at their frame/member boundaries (io/codec_segments.c) and the pieces
# decoded concurrently (io/source_decode.c), handed out in file order.
# RINGFLOW_TEST_SEGMENT=BYTES:N makes small files cut into pieces of about
# BYTES with N decoder threads, so every mode, thread count, buffer size and
# memory budget is tried on a few MB.  Oracles: the plain log (cmp), the
# formats' own tools, Python's zlib for BGZF, and head -c for damage.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || exit 77
for tool in zstd lz4 xz; do
	command -v $tool > /dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done

"$LOGGEN" --size 3M --seed 41 > "$T/L" || exit 99
# 30 pieces cut at seeded byte offsets (mid-line), each compressed alone
python3 - "$T/L" > "$T/cuts" <<'PY'
import random, sys
n = len(open(sys.argv[1], "rb").read())
r = random.Random(41)
print(" ".join(map(str, [0] + sorted(set(r.randrange(1, n) for _ in range(29))) + [n])))
PY
comp() {
	case $1 in
	zst) zstd -q -c ;;
	lz4) lz4 -q -c ;;
	xz) xz -0 -T1 -c ;;
	esac
}
for x in zst lz4 xz; do
	set -- $(cat "$T/cuts")
	prev=$1
	shift
	for c in "$@"; do
		tail -c +$((prev + 1)) "$T/L" | head -c $((c - prev)) | comp $x
		prev=$c
	done > "$T/L.$x"
done
set --
zstd -q -dc "$T/L.zst" | cmp -s - "$T/L" || exit 99
lz4 -q -dc "$T/L.lz4" | cmp -s - "$T/L" || exit 99
xz -dc "$T/L.xz" | cmp -s - "$T/L" || exit 99
# BGZF: members of 65280 input bytes with the BC extra field, then the EOF member
python3 "${SRCDIR:-.}/tests/bgzf.py" "$T/L" > "$T/L.bgzf"
gzip -dc "$T/L.bgzf" | cmp -s - "$T/L" || exit 99
lines=$(records "$T/L")

for x in zst lz4 xz bgzf; do
	size=$(stat -c %s "$T/L.$x")
	seg=$((size / 12))
	for n in 2 3 4; do
		for mode in serial parallel pipeline multiprocess; do
			RINGFLOW_TEST_SEGMENT=$seg:$n "$RINGFLOW" --mode=$mode --stats 'grep ""' "$T/L.$x" \
				> "$T/out" 2> "$T/err"
			check_status "$x $n decoders $mode" $? 0
			check_same "$x $n decoders $mode: the log, in order" "$T/out" "$T/L"
			check_grep "$x $n decoders $mode: cut into pieces" "$T/err" "independent pieces, $n decoder threads"
			check_grep "$x $n decoders $mode: --stats says so" "$T/err" "up to $n decoder threads at once"
		done
	done
	# 64 KiB buffers: many more than a segment's four ahead; a 3 MiB
	# budget: two buffers, too few to decode ahead (one decoder then)
	for opt in "--buffer-size=64K" "--memory=3M"; do
		for mode in serial parallel; do
			RINGFLOW_TEST_SEGMENT=$seg:3 "$RINGFLOW" --mode=$mode $opt 'grep ""' "$T/L.$x" > "$T/out" 2> "$T/err"
			check_status "$x $opt $mode" $? 0
			check_same "$x $opt $mode: the log, in order" "$T/out" "$T/L"
		done
	done
	RINGFLOW_TEST_SEGMENT=$seg:3 "$RINGFLOW" count "$T/L.$x" > "$T/c"
	check_eq "$x count" "$(cat "$T/c")" "$lines"
	# the same file from a pipe: one stream, never cut
	cat "$T/L.$x" | RINGFLOW_TEST_SEGMENT=$seg:3 "$RINGFLOW" --stats 'grep ""' > "$T/out" 2> "$T/err"
	check_same "$x from a pipe" "$T/out" "$T/L"
	check_grep "$x from a pipe: not cut" "$T/err" "read by a decoder thread"
done

# Damage in a middle piece of a zstd file: what comes out is a prefix of
# the log in order, at least every line of the pieces before the damage
# (zstd's own decode of the bytes before it), and the error names the file
# and an offset at or after the damaged frame's start; exit status 2.
size=$(stat -c %s "$T/L.zst")
at=$((size * 6 / 10))
python3 - "$T/L.zst" "$T/bad.zst" "$at" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
at = int(sys.argv[3])
for i in range(at, at + 64):
    d[i] ^= 0x5a
open(sys.argv[2], "wb").write(d)
PY
head -c $at "$T/L.zst" | zstd -q -dc 2> /dev/null | tr -cd '\n' | wc -c > "$T/before"
for n in 2 4; do
	for mode in serial parallel multiprocess; do
		RINGFLOW_TEST_SEGMENT=$((size / 12)):$n "$RINGFLOW" --mode=$mode 'grep ""' "$T/bad.zst" "$T/L" \
			> "$T/out" 2> "$T/err"
		check_status "damaged zst $n $mode" $? 2
		check_grep "damaged zst $n $mode: file named" "$T/err" "bad.zst"
		python3 - "$T/out" "$T/L" "$(cat "$T/before")" "$T/err" "$at" "$size" <<'PY' || fail "damaged zst $n $mode: $(head -c 300 "$T/err")"
import re, sys
out = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
log = open(sys.argv[2], "rb").read().split(b"\n")[:-1]
before, err, at, size = int(sys.argv[3]), open(sys.argv[4]).read(), int(sys.argv[5]), int(sys.argv[6])
# the damaged file's lines then the good file's whole log
k = len(out) - len(log)
assert k >= before, ("fewer lines than before the damage", k, before)
assert out[:k] == log[:k], "not a prefix of the log, in order"
assert out[k:] == log, "the second file not read whole"
m = re.search(r"compressed byte (\d+)", err)
assert m and int(m.group(1)) <= size, err
# the damaged frame starts at or before `at`: the offset is past the
# frames wholly before it
assert int(m.group(1)) >= at - size // 4, (m.group(1), at)
PY
		checks=$((checks + 1))
	done
done
finish
