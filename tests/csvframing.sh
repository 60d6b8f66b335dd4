#!/bin/sh
# SPDX-License-Identifier: MIT
# csvframing.sh - a csv/tsv record whose quote never closes runs to the end
# of the input, but, like any last record, it does not keep the input's
# final newline in its line (the field already drops it).  Every mode,
# backend and SIMD level; the record short, and longer than the buffers so
# that it goes through the framer's spill.  Expected values by hand, the
# long one built with python's json.
. "${SRCDIR:-.}/tests/lib.sh"

printf 'n,b\nx,"multi\nmore\n' > "$T/csv"
printf '{"line":"x,\\"multi\\nmore","b":"multi\\nmore"}\n' > "$T/csv.want"
printf 'n\tb\nx\t"multi\n' > "$T/tsv"
printf '{"line":"x\\t\\"multi","b":"multi"}\n' > "$T/tsv.want"
# the same without the final newline: nothing to drop
printf 'n,b\nx,"multi' > "$T/nonl"
printf '{"line":"x,\\"multi","b":"multi"}\n' > "$T/nonl.want"
# a closed quote before it, a record after it, then one left open that is
# 300 KB long with newlines inside
python3 - "$T/long" "$T/long.want" <<'PY' || exit 99
import json, sys
body = "".join("word %d,\"\"\n" % i for i in range(30000))
text = 'n,b\n1,"a\nb"\n2,c\nx,"' + body
open(sys.argv[1], "w").write(text)
want = ['1,"a\nb"', '2,c', 'x,"' + body[:-1]]
open(sys.argv[2], "w").write("".join(json.dumps({"line": w}, separators=(",", ":")) + "\n" for w in want))
PY

run() { # NAME QUERY FILE OPTIONS...
	name=$1 query=$2 file=$3
	shift 3
	"$RINGFLOW" --format=json "$@" "$query" "$T/$file" > "$T/got" 2> "$T/err"
	check_status "$name $*" $? 0
	check_same "$name $*" "$T/got" "$T/$file.want"
}

for mode in serial parallel pipeline multiprocess async; do
	for io in read mmap uring; do
		run csv 'parse csv | select line, b' csv --mode=$mode --io=$io
		run tsv 'parse tsv | select line, b' tsv --mode=$mode --io=$io
		run nonl 'parse csv | select line, b' nonl --mode=$mode --io=$io
		run long 'parse csv | select line' long --mode=$mode --io=$io --buffer-size=64K
	done
done
for simd in scalar sse2 avx2 avx512; do
	"$RINGFLOW" --simd=$simd 'count' /dev/null > /dev/null 2>&1 || continue
	run tsv 'parse tsv | select line, b' tsv --simd=$simd
	run long 'parse csv | select line' long --simd=$simd --buffer-size=64K
done
# --stats counts records, not lines: a record spanning lines is one (the
# count was the newlines); Python's csv reader is the oracle (the header
# is a record too, and so is the last one, left open)
python3 - "$T/multi.csv" <<'PY'
import random, sys
r = random.Random(7)
rows = ["k,v"]
for i in range(20000):
    v = r.choice(["plain", '"two\nlines"', '"three\n\nlines"', '"a,b"'])
    rows.append("%d,%s" % (i, v))
open(sys.argv[1], "w").write("\n".join(rows) + "\nbad,\"open\n")
PY
want=$(python3 -c 'import csv, sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=""))))' "$T/multi.csv")
for mode in serial parallel pipeline async; do
	"$RINGFLOW" --mode=$mode --buffer-size=64K --stats 'parse csv | count' "$T/multi.csv" > /dev/null 2> "$T/err"
	check_eq "--stats records of multi-line csv, $mode" "$(awk '$1 == "records" { print $2 }' "$T/err")" "$want"
done
finish
