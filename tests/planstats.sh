#!/bin/sh
# SPDX-License-Identifier: MIT
# planstats.sh - --stats in multiprocess mode reports the backends the
# workers read with and whether O_DIRECT was used, as serial mode does for
# the same inputs (each input counted once, also one cut between workers).
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || exit 77

# three files, the first large enough to be cut between the workers
seq 1 200000 > "$T/a"
seq 1 1000 > "$T/b"
seq 1 100000 > "$T/c"

# fields FILE: io (sorted), direct, io_reason, records of a --stats=json
fields() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["mode"], sorted(d["io"].items()), d["direct"], "[%s]" % d["io_reason"], d["records"])
' "$1"
}

direct_seen=0
for io in auto read mmap uring; do
	for direct in "" --direct; do
		for files in "$T/a" "$T/a $T/b $T/c"; do
			what="--io=$io $direct $(echo "$files" | wc -w) input(s)"
			# shellcheck disable=SC2086
			"$RINGFLOW" --mode=serial --io=$io $direct --stats=json --stats-file="$T/serial.json" count $files \
				> /dev/null 2> "$T/err"
			check_status "$what: serial" $? 0
			# shellcheck disable=SC2086
			"$RINGFLOW" --mode=multiprocess --threads=2 --io=$io $direct --stats=json \
				--stats-file="$T/mp.json" count $files > "$T/got" 2> "$T/err"
			check_status "$what: multiprocess" $? 0
			check_eq "$what: stderr" "$(cat "$T/err")" ""
			# shellcheck disable=SC2086
			check_eq "$what: count" "$(cat "$T/got")" "$(records $files)"
			s=$(fields "$T/serial.json") m=$(fields "$T/mp.json")
			check_eq "$what: report" "${m#multiprocess }" "${s#serial }"
			case $m in multiprocess*) ;; *) fail "$what: not multiprocess: $m" ;; esac
			case $s in *"True"*) direct_seen=1 ;; esac
			case $m in *"[]"*) fail "$what: no io_reason: $m" ;; esac
		done
	done
done
# the file system here takes O_DIRECT: then --direct --io=uring used it
if [ "$direct_seen" = 1 ]; then
	"$RINGFLOW" --mode=multiprocess --threads=2 --io=uring --direct --stats=json --stats-file="$T/mp.json" \
		count "$T/a" > /dev/null 2>&1
	check_grep "multiprocess --direct --io=uring" "$T/mp.json" '"direct":true'
	check_grep "multiprocess --direct --io=uring" "$T/mp.json" '"io":{"uring":1}'
fi
finish
