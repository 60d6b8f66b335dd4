#!/bin/sh
# SPDX-License-Identifier: MIT
# plancold.sh - auto mode plans from the page cache: a file that is mostly
# cold is read with O_DIRECT io_uring, serially for a scan and in parallel
# mode for a query that filters per record; the same file warm is planned
# by the warm rules, and mapped.  fincore(1) says
# how much of the file is cached; the counts are grep's.  The plan samples
# each file once: with strace, 64 mincore calls whatever the mode.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || exit 77
command -v fincore > /dev/null || { echo "SKIP: no fincore(1) to tell cold from warm"; exit 77; }

# 75 MiB: above the 64 MiB the cold rules start at
f=$T/big
seq 1 10000000 > "$f"

# cached FILE: percent of FILE in the page cache, by fincore
cached() {
	fincore -b -n -o RES,SIZE "$1" | awk '{ printf "%d", $2 ? $1 * 100 / $2 : 100 }'
}

# evict FILE: out of the page cache (fadvise, else drop_caches as root)
evict() {
	sync "$1"
	dd if="$1" iflag=nocache count=0 status=none 2> /dev/null
	if [ "$(cached "$1")" -ge 10 ] && [ -w /proc/sys/vm/drop_caches ]; then
		sync
		echo 3 > /proc/sys/vm/drop_caches 2> /dev/null
	fi
	[ "$(cached "$1")" -lt 10 ]
}

# fields JSON: mode, whether the reason says cold, io backends, direct
fields() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["mode"], "cold" if "cold" in d["mode_reason"] else "warm", ",".join(sorted(d["io"])), d["direct"])
' "$1"
}

SCAN='grep 7 | count'
HEAVY="regex '^9+\$|^1234' | count"
want_scan=$(grep -c 7 "$f")
want_heavy=$(grep -c -E '^9+$|^1234' "$f")

if evict "$f"; then
	for q in scan heavy; do
		if [ $q = scan ]; then Q=$SCAN want=$want_scan; else Q=$HEAVY want=$want_heavy; fi
		evict "$f" || fail "$q: the file did not stay out of the page cache"
		got=$("$RINGFLOW" --stats=json --stats-file="$T/s.json" "$Q" "$f" 2> "$T/err")
		check_status "cold $q" $? 0
		check_eq "cold $q: count" "$got" "$want"
		check_eq "cold $q: stderr" "$(cat "$T/err")" ""
		if [ $q = scan ]; then
			check_eq "cold scan: plan" "$(fields "$T/s.json")" "serial cold uring True"
		else
			check_eq "cold heavy: plan" "$(fields "$T/s.json")" "parallel cold uring True"
		fi
		check_grep "cold $q: the reason" "$T/s.json" '% in page cache (cold)'
	done
else
	echo "note: $f could not be evicted from the page cache (not root?): cold checks skipped"
	cold_skipped=1
fi

cat "$f" > /dev/null
if [ "$(cached "$f")" -ge 90 ]; then
	for q in scan heavy; do
		if [ $q = scan ]; then Q=$SCAN want=$want_scan; else Q=$HEAVY want=$want_heavy; fi
		got=$("$RINGFLOW" --stats=json --stats-file="$T/s.json" "$Q" "$f" 2> "$T/err")
		check_status "warm $q" $? 0
		check_eq "warm $q: count" "$got" "$want"
		# the mode is the warm rules' (multiprocess for count today)
		check_eq "warm $q: plan" "$(fields "$T/s.json" | cut -d' ' -f2-)" "warm mmap False"
	done
else
	echo "note: $f did not stay in the page cache: warm checks skipped"
	[ -n "${cold_skipped:-}" ] && exit 77
fi

# one residency sample of the file, by the plan, in every mode
if command -v strace > /dev/null && strace -f -c -e trace=mincore true > /dev/null 2>&1; then
	for mode in auto serial parallel pipeline multiprocess; do
		n=$(strace -f -c -e trace=mincore "$RINGFLOW" --mode=$mode count "$f" 2>&1 > /dev/null |
			awk '$NF == "mincore" { print $4 }')
		check_eq "--mode=$mode: mincore calls" "$n" 64
	done
fi
finish
