#!/bin/sh
# SPDX-License-Identifier: MIT
# compressed_review.sh - the look at a stream's first bytes (io/sniff.c)
# that decides whether it is compressed (issue 14):
# - a pipe or a socket whose whole content is shorter than a magic number
#   and begins one ("B", "BZ", "\037", "S": a skippable zstd frame's first
#   byte) is plain once the writer is gone: counted, never waited on;
# - --every prints its snapshots while a quiet pipe has not given the
#   bytes that say what it is, as it does with --decompress=off;
# - a frame damaged in its middle (zstd, lz4: their libraries give nothing
#   of what a failing call made) keeps the same records before the damage
#   whatever the mode and --buffer-size, at least the frames before it.
# Oracles: awk's count of the same bytes, the plain parts, the time waited.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || exit 77
command -v timeout > /dev/null || exit 77

# Short inputs that begin a magic number, each in every mode a stream
# may be read in (serial, parallel, pipeline; async reads stdin serially).
for s in 'B' 'BZ' 'BZh' '\037' '\037\213' 'S' '(\265/' '\375''7zXZ' 'x'; do
	printf "$s" > "$T/short"
	want=$(records "$T/short")
	for m in serial parallel pipeline; do
		# a pipe: cat keeps stdin a pipe whose writer ends at once
		got=$(cat "$T/short" | timeout 20 "$RINGFLOW" --mode=$m count 2> "$T/err")
		rc=$?
		check_status "pipe '$s' --mode=$m" $rc 0
		check_eq "pipe '$s' --mode=$m: count" "$got" "$want"
	done
done

# The same over a socket (MSG_PEEK): the peer shut its side after the bytes.
py_checks <<'PY'
import socket, subprocess, sys
import rftest
T, ringflow = sys.argv[1], sys.argv[2]
for data in (b"B", b"BZ", b"\x1f", b"S", b"(\xb5/", b"x", b"B\n"):
    want = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    a, b = socket.socketpair()
    a.sendall(data)
    a.shutdown(socket.SHUT_WR)
    try:
        p = subprocess.run([ringflow, "count"], stdin=b, capture_output=True, timeout=20)
        rftest.check(p.returncode == 0, "socket %r: exit status %d, want 0" % (data, p.returncode))
        got = p.stdout.strip()
        rftest.check(got == str(want).encode(), "socket %r: count %r, want %d" % (data, got, want))
    except subprocess.TimeoutExpired:
        rftest.check(False, "socket %r: still waiting after 20 s (the peer had shut its side)" % data)
    a.close()
    b.close()
rftest.summary()
PY

# --every over a pipe quiet for its first 2.5 s: the snapshots due every
# half second are printed while it is looked at (as with --decompress=off),
# then the final result.  A loaded machine may skip one: at least 2 before
# the final line, and the final count right.
printf 'a\nb\n' > "$T/two"
gzip -c < "$T/two" > "$T/two.gz"
for f in two two.gz; do
	for m in serial parallel pipeline; do
		(sleep 2.5; cat "$T/$f") | timeout 30 "$RINGFLOW" --mode=$m --every=0.5s count > "$T/out" 2> "$T/err"
		rc=$?
		check_status "--every over a quiet pipe ($f, $m)" $rc 0
		check_eq "--every over a quiet pipe ($f, $m): final count" "$(tail -n 1 "$T/out")" 2
		n=$(grep -c -x 0 "$T/out")
		checks=$((checks + 1))
		[ "$n" -ge 2 ] || fail "--every over a quiet pipe ($f, $m): $n snapshots before the data came, want >= 2: $(cat "$T/out" "$T/err" | head -c 300)"
	done
done

# A damaged frame: parts 1 and 2 and 3 compressed one frame each, bytes in
# the middle of the second frame overwritten.  Every mode and buffer size
# prints the same lines; they begin with the whole of part 1, and zstd's
# (whose blocks are checked) are all lines of the plain parts, in order.
"$LOGGEN" --size 1M --seed 61 > "$T/p1" || exit 99
"$LOGGEN" --size 1M --seed 62 > "$T/p2" || exit 99
"$LOGGEN" --size 1M --seed 63 > "$T/p3" || exit 99
cat "$T/p1" "$T/p2" "$T/p3" > "$T/plain"
for x in zst lz4; do
	case $x in zst) c="zstd -q -c" ;; lz4) c="lz4 -q -c" ;; esac
	command -v ${c%% *} > /dev/null || continue
	$c < "$T/p1" > "$T/f1"
	$c < "$T/p2" > "$T/f2"
	$c < "$T/p3" > "$T/f3"
	python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
f2 = bytearray(open(t + "/f2", "rb").read())
m = len(f2) // 2
f2[m:m + 64] = b"\xa5" * 64
open(t + "/bad", "wb").write(open(t + "/f1", "rb").read() + f2 + open(t + "/f3", "rb").read())
PY
	"$RINGFLOW" count "$T/bad" > /dev/null 2>&1
	[ $? -eq 2 ] || { echo "SKIP: .$x damaged: not refused as damaged (not built in?)"; continue; }
	"$RINGFLOW" --mode=serial --buffer-size=64K 'grep -v "@@none@@"' "$T/bad" > "$T/first" 2> /dev/null
	checks=$((checks + 1))
	head -c "$(wc -c < "$T/p1")" "$T/first" | cmp -s - "$T/p1" ||
		fail ".$x damaged in frame 2: part 1 not all there ($(wc -c < "$T/first") bytes)"
	if [ $x = zst ]; then
		checks=$((checks + 1))
		head -c "$(wc -c < "$T/first")" "$T/plain" | cmp -s - "$T/first" ||
			fail ".$x damaged in frame 2: what was kept is not the plain lines"
	fi
	for m in serial parallel pipeline multiprocess async; do
		for bs in 64K 256K 1M 4M; do
			"$RINGFLOW" --mode=$m --buffer-size=$bs 'grep -v "@@none@@"' "$T/bad" > "$T/got" 2> "$T/err"
			rc=$?
			check_status ".$x damaged, --mode=$m --buffer-size=$bs" $rc 2
			check_same ".$x damaged, --mode=$m --buffer-size=$bs: the lines kept" "$T/got" "$T/first"
		done
	done
done

finish
