#!/bin/sh
# SPDX-License-Identifier: MIT
# sizelies.sh - files whose size lies (procfs says 0, sysfs 4096, whatever
# they hold) are read to their end, in every mode and with every --io, and
# give what cat gives.
. "${SRCDIR:-.}/tests/lib.sh"

modes="serial parallel pipeline multiprocess async"
ios="read mmap uring"

# cmp_count WHAT FILE COPY: count and grep on FILE agree with wc -l, grep -c
# and awk on COPY, a copy taken with cat (the content must be stable)
cmp_count() {
	what=$1 file=$2 copy=$3
	want=$(awk 'END { print NR }' "$copy")
	want_grep=$(grep -c -F -e "$4" "$copy")
	for mode in $modes; do
		for io in $ios; do
			got=$("$RINGFLOW" --mode=$mode --io=$io count "$file" 2> "$T/err")
			check_status "$what: $mode $io: count" $? 0
			check_eq "$what: $mode $io: count" "$got" "$want"
			check_eq "$what: $mode $io: stderr" "$(cat "$T/err")" ""
			"$RINGFLOW" --mode=$mode --io=$io "grep \"$4\"" "$file" > "$T/got" 2> "$T/err"
			check_status "$what: $mode $io: grep" $? 0
			check_eq "$what: $mode $io: grep -c" "$(wc -l < "$T/got")" "$want_grep"
			grep -F -e "$4" "$copy" > "$T/want"
			check_same "$what: $mode $io: grep lines" "$T/got" "$T/want"
		done
	done
	got=$("$RINGFLOW" count < "$file" 2> "$T/err")
	check_status "$what: on stdin" $? 0
	check_eq "$what: on stdin" "$got" "$want"
}

tested=0

# sysfs: 4096 bytes by stat, a few by read
for f in /sys/devices/system/cpu/online /sys/devices/system/cpu/possible /sys/kernel/mm/transparent_hugepage/enabled; do
	[ -r "$f" ] && cat "$f" > "$T/copy" 2> /dev/null || continue
	[ "$(stat -L -c %s "$f")" != "$(wc -c < "$T/copy")" ] || continue # size told the truth here
	cmp_count "$f" "$f" "$T/copy" "$(head -c 1 "$T/copy")"
	tested=$((tested + 1))
done

# procfs: 0 bytes by stat, a stable content below one page...
if [ -r /proc/cpuinfo ]; then
	cat /proc/cpuinfo > "$T/copy"
	cmp_count /proc/cpuinfo /proc/cpuinfo "$T/copy" "processor"
	tested=$((tested + 1))
fi

# ...and above it: the maps of a process holding 400 mappings that cannot
# merge (shared anonymous ones: each is its own object), asleep while read
if command -v python3 > /dev/null && [ -r /proc/self/maps ]; then
	python3 -c '
import mmap, sys, time
keep = []
for i in range(400):
    keep.append(mmap.mmap(-1, 4096 * 2))
sys.stdout.write("ready\n"); sys.stdout.flush()
time.sleep(60)
' > "$T/ready" &
	pid=$!
	i=0
	while [ ! -s "$T/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	cat /proc/$pid/maps > "$T/maps"
	if [ "$(wc -c < "$T/maps")" -gt 8192 ]; then
		cmp_count "/proc/PID/maps" /proc/$pid/maps "$T/maps" "rw-p"
		tested=$((tested + 1))
	else
		echo "note: /proc/$pid/maps is only $(wc -c < "$T/maps") bytes" >&2
	fi
	kill $pid 2> /dev/null
	wait $pid 2> /dev/null
fi

# A regular file on an ordinary file system keeps its size at open (one
# that shrinks while read is an error: faults.sh).
printf 'a\nb\nc\n' > "$T/honest"
for mode in $modes; do
	for io in $ios; do
		got=$("$RINGFLOW" --mode=$mode --io=$io count "$T/honest" 2> "$T/err")
		check_eq "honest file: $mode $io" "$got" 3
	done
done

[ "$tested" -gt 0 ] || { echo "no /proc or /sys file to test" >&2; exit 77; }
finish
