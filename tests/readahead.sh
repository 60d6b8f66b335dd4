#!/bin/sh
# SPDX-License-Identifier: MIT
# readahead.sh - a query that stops early reads little of a cold file: the
# io_uring backend starts with few reads in flight and ramps up, instead of
# putting every pool buffer in flight at once (64 MiB for 'head 10').
#
# Measure: read_bytes of /proc/self/io in a python parent, before and after
# waiting for ringflow.  The kernel adds a reaped child's I/O counters to its
# parent, and read_bytes counts what was fetched from the device (readahead
# included, O_DIRECT reads too), which is what this is about.  The file is
# made cold with posix_fadvise(DONTNEED) on it alone (no global drop_caches:
# the machine may be shared); --direct bypasses the page cache anyway.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || exit 77

# about 200 MB of log lines
python3 - "$T/big.log" <<'PY' || exit 99
import sys
block = ''.join('%d GET /path/%d HTTP/1.1 200 %d "Mozilla/5.0 (X11; Linux x86_64)"\n'
		% (i, i % 977, i * 7 % 5000) for i in range(4000))
with open(sys.argv[1], 'w') as f:
	for k in range(800):
		f.write(block)
PY
head -n 10 "$T/big.log" > "$T/want"

# cold_read OUT ARGS...: run ARGS with the file evicted first; OUT gets the
# output, stdout the device bytes read (or "none" if not measurable)
cold_read() {
	python3 - "$T/big.log" "$@" <<'PY'
import os, subprocess, sys
path, out, args = sys.argv[1], sys.argv[2], sys.argv[3:]
fd = os.open(path, os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)
def rb():
	for l in open('/proc/self/io'):
		k, v = l.split(':')
		if k == 'read_bytes':
			return int(v)
	return None
a = rb()
with open(out, 'wb') as o:
	r = subprocess.run(args, stdout=o).returncode
b = rb()
print('none' if a is None else b - a)
sys.exit(r)
PY
}

# Without the ramp every mode read 60 MiB or more here (the whole pool).
# Allow 16 MiB: two buffers (up to 2 MiB each with --direct) and the
# kernel's own readahead behind buffered reads.
limit=$((16 << 20))
for direct in "" --direct; do
	for mode in serial parallel pipeline multiprocess; do
		what="--io=uring $direct --mode=$mode head 10"
		# shellcheck disable=SC2086
		got=$(cold_read "$T/out" "$RINGFLOW" --io=uring $direct --mode=$mode 'head 10' "$T/big.log")
		check_status "$what" $? 0
		check_same "$what: output" "$T/out" "$T/want"
		if [ "$got" = none ]; then
			echo "SKIP: no /proc/self/io read_bytes here" >&2
			exit 77
		fi
		checks=$((checks + 1))
		if [ "$got" -gt "$limit" ]; then
			fail "$what: read $got bytes from the device, want at most $limit"
		fi
	done
done

# A full scan still reads (and counts) everything, cold.
want=$(wc -l < "$T/big.log")
got=$(cold_read "$T/out" "$RINGFLOW" --io=uring count "$T/big.log" > /dev/null; cat "$T/out")
check_eq "--io=uring count, cold" "$got" "$want"
finish
