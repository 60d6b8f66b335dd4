#!/bin/sh
# SPDX-License-Identifier: MIT
# copies.sh - the zero-copy hand-off, counted: --stats=json says how many
# record bytes the engine copied.  In every mode and with every backend
# that is only the partial lines carried across a buffer end (and records
# spilled there), never the batches themselves: at most one longest line
# and its newline per chunk.  The answers must stay right while doing so
# (lines against the input filtered by Python, counts by a field against
# Python's Counter).
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || { echo "skip: python3 not installed"; exit 77; }

# A log with some longer lines (a path of 3000 bytes) among the short ones.
"$LOGGEN" --size 3M --seed 13 > "$T/base"
python3 - "$T/base" "$T/log" << 'EOF'
import sys
lines = open(sys.argv[1], 'rb').read().split(b'\n')[:-1]
out = []
for i, l in enumerate(lines):
    if i % 5000 == 2500:
        f = l.split(b' ')
        f[6] = b'/' + b'p' * 3000
        l = b' '.join(f)
    out.append(l)
open(sys.argv[2], 'wb').write(b'\n'.join(out) + b'\n')
EOF

BS=65536
# the oracles: lines with " 404 ", the counts by the 9th field
python3 - "$T/log" "$T/want-lines" "$T/want-count" "$T/bound" "$BS" << 'EOF'
import sys, collections
data = open(sys.argv[1], 'rb').read()
lines = data.split(b'\n')[:-1]
open(sys.argv[2], 'wb').write(b''.join(l + b'\n' for l in lines if b' 404 ' in l))
c = collections.Counter(l.split()[8] for l in lines if len(l.split()) > 8)
open(sys.argv[3], 'w').write(''.join('%s\t%d\n' % (k.decode(), v) for k, v in sorted(c.items())))
bs = int(sys.argv[5])
chunks = (len(data) + bs - 1) // bs
longest = max(len(l) for l in lines)
# multiprocess cuts the file into ranges: a chunk more per worker range
print((chunks + 8) * (longest + 1), file=open(sys.argv[4], 'w'))
EOF
bound=$(cat "$T/bound")

copied() { # the bytes_copied of a --stats=json file
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes_copied"])' "$1" 2> /dev/null
}

for mode in serial parallel pipeline multiprocess async; do
	for io in read mmap uring; do
		what="$mode --io=$io"
		"$RINGFLOW" --mode=$mode --threads=2 --io=$io --buffer-size=$BS --window=$BS --stats=json \
			--stats-file="$T/stats" 'grep " 404 "' "$T/log" > "$T/out" 2> "$T/err"
		check_status "$what: grep" $? 0
		check_same "$what: the lines" "$T/out" "$T/want-lines"
		n=$(copied "$T/stats")
		checks=$((checks + 1))
		if [ -z "$n" ]; then
			fail "$what: no bytes_copied in --stats=json: $(head -c 300 "$T/stats")"
		elif [ "$n" -gt "$bound" ]; then
			fail "$what: $n bytes copied, more than the carried lines can be ($bound)"
		fi

		"$RINGFLOW" --mode=$mode --threads=2 --io=$io --buffer-size=$BS --window=$BS --stats=json \
			--stats-file="$T/stats" --format=tsv 'split | count by $9' "$T/log" > "$T/out" 2> "$T/err"
		check_status "$what: count by" $? 0
		tail -n +2 "$T/out" | sort > "$T/got-count"
		check_same "$what: count by \$9" "$T/got-count" "$T/want-count"
		n=$(copied "$T/stats")
		checks=$((checks + 1))
		if [ -z "$n" ] || [ "$n" -gt "$bound" ]; then
			fail "$what, count by: ${n:-no} bytes copied (at most $bound)"
		fi
	done
done

# Records longer than a buffer (70 KB) are assembled in the spill buffer,
# which the work items then keep: the lines still come out right.
python3 - "$T/base" "$T/longlog" "$T/want-long" << 'EOF'
import sys
lines = open(sys.argv[1], 'rb').read().split(b'\n')[:-1][:3000]
out = []
for i, l in enumerate(lines):
    if i % 300 == 150:
        f = l.split(b' ')
        f[6] = b'/' + b'q' * 70000
        l = b' '.join(f)
    out.append(l)
open(sys.argv[2], 'wb').write(b'\n'.join(out) + b'\n')
open(sys.argv[3], 'wb').write(b''.join(l + b'\n' for l in out if b' 200 ' in l))
EOF
for mode in parallel pipeline; do
	for io in read mmap uring; do
		"$RINGFLOW" --mode=$mode --threads=2 --io=$io --buffer-size=$BS --window=$BS 'grep " 200 "' \
			"$T/longlog" > "$T/out" 2> "$T/err"
		check_status "$mode --io=$io, long records" $? 0
		check_same "$mode --io=$io, long records: the lines" "$T/out" "$T/want-long"
	done
done

# Batches that are not in a chunk (standard input through a pipe is read
# into pool buffers too, so that is zero-copy as well): the count is still
# at most the carried lines.
cat "$T/log" | "$RINGFLOW" --mode=parallel --threads=2 --buffer-size=$BS --stats=json --stats-file="$T/stats" \
	'grep " 404 "' > "$T/out" 2> "$T/err"
check_status "parallel, a pipe" $? 0
check_same "parallel, a pipe: the lines" "$T/out" "$T/want-lines"

finish
