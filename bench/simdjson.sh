#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/simdjson.sh - should `parse json` use simdjson (Debian's
# libsimdjson-dev, C++) behind a C shim, or ringflow's own C parser?
# `count, sum(bytes) by status` over about 1 GB of JSON lines done by
# bench/simdjson/shim_bench.cc in several ways against ringflow's serial
# mode, same run, page cache warm; and which lines each accepts against
# Python's json (bench/simdjson/behaviour.py).
#
# Inputs go to $SJ_DATA (default /tmp, not the repository): sj.json, the
# generated access log turned into JSON by ringflow itself, and
# sj-nested.json, objects with nested parts and floats
# (bench/simdjson/gen_nested.py).  SJ_SIZE sets their size (1000000000);
# BENCH_RUNS the runs per command (5).  RINGFLOW picks the binary to
# compare with; it is copied first, so a rebuild during the run does not
# change it.
#
# Writes bench/results/simdjson-run-<host>.md (the tables) and
# simdjson-behaviour-<host>.md; the decision and its reasons are in
# bench/results/simdjson-vm.md, written by hand.
set -eu
RUNS=${BENCH_RUNS:-5}
SJ_DATA=${SJ_DATA:-/tmp}
SJ_SIZE=${SJ_SIZE:-1000000000}
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
need hyperfine python3 g++ gcc pkg-config
pkg-config --exists simdjson || { echo "bench: simdjson not found (apt-get install libsimdjson-dev)" >&2; exit 2; }
SRC=$HERE/simdjson
REPORT=$OUT/simdjson-run-$HOST.md
BEHAVIOUR=$OUT/simdjson-behaviour-$HOST.md
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sj-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

cp "$RINGFLOW" "$WORK/ringflow"
RF=$WORK/ringflow
RF_REV=$(git -C "$(dirname "$RINGFLOW")" rev-parse --short HEAD 2>/dev/null || echo unknown)

# Two builds with the flags a Debian package gets (dpkg-buildflags), and
# the same with -march=native.  pkg-config's flags turn on
# SIMDJSON_THREADS_ENABLED, which gives the document streams a second
# thread for their stage 1: a third build leaves it off.
build() {
	dir=$WORK/$1
	shift
	mkdir -p "$dir"
	cxxflags="$(dpkg-buildflags --get CXXFLAGS 2>/dev/null || echo -O2) $*"
	cflags="$(dpkg-buildflags --get CFLAGS 2>/dev/null || echo -O2) $*"
	cppflags="$(dpkg-buildflags --get CPPFLAGS 2>/dev/null) -I$SRC"
	ldflags=$(dpkg-buildflags --get LDFLAGS 2>/dev/null || true)
	for f in shim_bench sj_shim; do
		# shellcheck disable=SC2086
		g++ -std=c++17 $cppflags $cxxflags -c "$SRC/$f.cc" -o "$dir/$f.o"
	done
	# shellcheck disable=SC2086
	gcc -std=c11 -Wall -Wextra $cppflags $cflags -c "$SRC/shim_loop.c" -o "$dir/shim_loop.o"
	# shellcheck disable=SC2086,SC2046
	g++ $ldflags -o "$dir/shim_bench" "$dir/shim_bench.o" "$dir/sj_shim.o" "$dir/shim_loop.o" \
		$(pkg-config --libs simdjson)
}
SJ_CFLAGS=$(pkg-config --cflags simdjson)
build o2 "$SJ_CFLAGS"
build native "$SJ_CFLAGS" -march=native
build o2-1t "$(echo "$SJ_CFLAGS" | sed 's/-DSIMDJSON_THREADS_ENABLED=1//')"
# shellcheck disable=SC2046,SC2086
g++ -std=c++17 -O2 $SJ_CFLAGS -o "$WORK/stream_crash" "$SRC/stream_crash.cc" $(pkg-config --libs simdjson)

FLAT=$SJ_DATA/sj.json
NESTED=$SJ_DATA/sj-nested.json
if [ ! -s "$FLAT" ]; then
	echo "bench: generating $FLAT"
	# the last line is cut short by head: drop it
	"$RF" --format=json 'parse combined | select ip, time, method, path, protocol, status, bytes, referer, agent' \
		"$LOG" | head -c "$SJ_SIZE" | sed '$d' > "$FLAT.tmp"
	mv "$FLAT.tmp" "$FLAT"
fi
if [ ! -s "$NESTED" ]; then
	echo "bench: generating $NESTED"
	python3 "$SRC/gen_nested.py" "$SJ_SIZE" "$NESTED.tmp"
	mv "$NESTED.tmp" "$NESTED"
fi

Q='parse json | count, sum(bytes) by status'
VARIANTS="lines stage1 dom dom-copy od dom-many od-many shim shim-lazy"
# the answer as "status count sum" lines
norm_rf() { awk 'NR > 1 { print $1, $2, $3 }' | sort; }
norm_sb() { awk 'NR > 1' | sort; }

# Correctness before speed: every variant's answer against Python's json
# (an independent parser) and ringflow's; a difference is reported, not
# fatal, since telling them apart is the point.
check_answers() {
	in=$1
	python3 "$SRC/oracle.py" "$in" 2> "$WORK/oracle.err" | sort > "$WORK/oracle.txt"
	"$RF" --mode=serial "$Q" "$in" 2> /dev/null | norm_rf > "$WORK/rf.txt"
	if cmp -s "$WORK/oracle.txt" "$WORK/rf.txt"; then
		echo "- ringflow: same as Python's json"
	else
		echo "- ringflow: **differs from Python's json**"
	fi
	for v in $VARIANTS; do
		# these two aggregate nothing
		[ "$v" = lines ] || [ "$v" = stage1 ] && continue
		"$WORK/o2/shim_bench" "$v" "$in" 2> /dev/null | norm_sb > "$WORK/sb.txt"
		if cmp -s "$WORK/oracle.txt" "$WORK/sb.txt"; then
			echo "- $v: same as Python's json"
		else
			echo "- $v: **differs from Python's json**"
		fi
	done
	echo "- Python's json: $(cat "$WORK/oracle.err") lines"
}

# time_input NAME FILE: the hyperfine run over one input
time_input() {
	name=$1
	in=$2
	set -- "$RF --mode=serial '$Q' $in" "$RF --mode=serial --io=read '$Q' $in" "$RF '$Q' $in"
	for v in $VARIANTS; do
		set -- "$@" "$WORK/o2/shim_bench --io=read $v $in"
	done
	for v in $VARIANTS; do
		set -- "$@" "$WORK/native/shim_bench --io=read $v $in"
	done
	for v in dom-many od-many; do
		set -- "$@" "$WORK/o2-1t/shim_bench --io=read $v $in"
	done
	for v in lines dom od od-many shim; do
		set -- "$@" "$WORK/o2/shim_bench $v $in"
	done
	cat "$in" > /dev/null
	hyperfine --style basic --output=pipe -w 1 -r "$RUNS" --export-csv "$WORK/$name.csv" "$@" > /dev/null
	cp "$WORK/$name.csv" "$OUT/simdjson-$name.csv"
	bytes=$(wc -c < "$in")
	rf_med=$(median_of "$WORK/$name.csv" "$RF --mode=serial '$Q'")
	rf_cpu=$(stats_of "$WORK/$name.csv" "$RF --mode=serial '$Q'" | awk '{ printf "%.3f", $2 + $3 }')
	echo "| command | median s | GB/s | user+sys s | GB/s per CPU s | speed vs ringflow serial: wall | CPU |"
	echo "|---|---|---|---|---|---|---|"
	for c in "$@"; do
		# shellcheck disable=SC2046
		set -- $(stats_of "$WORK/$name.csv" "$c")
		label=$(echo "$c" | sed "s| $in||; s|$RF|ringflow|; s|$WORK/\([a-z0-9-]*\)/shim_bench|shim_bench [\1]|; s/|/\\\\|/g")
		cpu=$(awk -v u="$2" -v s="$3" 'BEGIN { printf "%.3f", u + s }')
		echo "| \`$label\` | $1 | $(ratio "$bytes" "$1"e9) | $cpu | $(ratio "$bytes" "$cpu"e9) | $(ratio "$rf_med" "$1")x | $(ratio "$rf_cpu" "$cpu")x |"
	done
}

{
	echo "# simdjson behind a C shim, or ringflow's own parser: the measurements"
	echo
	echo "Generated by \`bench/simdjson.sh\` on $(date -u +%Y-%m-%d); the decision is in simdjson-vm.md."
	echo
	echo "- CPU: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores; kernel $(uname -r)"
	echo "- Load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- simdjson $(pkg-config --modversion simdjson) (Debian's libsimdjson-dev); kernel chosen at run time: $("$WORK/o2/shim_bench" lines /dev/null 2>&1 | sed -n 's/.*(\([a-z0-9]*\), .*/\1/p')"
	echo "- g++ $(g++ -dumpfullversion); builds: [o2] = dpkg-buildflags' CXXFLAGS ($(dpkg-buildflags --get CXXFLAGS 2>/dev/null | sed 's/-ffile-prefix-map=[^ ]* //')) + \`pkg-config --cflags simdjson\`; [native] = the same + -march=native; [o2-1t] = [o2] without SIMDJSON_THREADS_ENABLED"
	echo "- ringflow: $RINGFLOW at $RF_REV"
	echo "- Query: \`$Q\`; shim_bench does the same aggregation (see bench/simdjson/shim_bench.cc); $RUNS runs each, page cache warm"
	echo "- GB/s per CPU s: bytes over user + system time (hyperfine's means), the figure the load on the machine disturbs least; the speed ratios are ringflow serial's time over the command's"
	echo "- stream_crash (iterate_many on a document with a form feed): $("$WORK/stream_crash" > /dev/null 2>&1 && echo "no crash" || echo "crashes (exit $?)")"
	for input in flat:"$FLAT" nested:"$NESTED"; do
		name=${input%%:*}
		in=${input#*:}
		echo
		echo "## $name: $in ($(wc -c < "$in") bytes, $(wc -l < "$in") lines)"
		echo
		check_answers "$in"
		echo
		time_input "$name" "$in"
	done
} > "$REPORT.tmp"
mv "$REPORT.tmp" "$REPORT"
python3 "$SRC/behaviour.py" "$WORK/native/shim_bench" "$RF" > "$BEHAVIOUR.tmp"
mv "$BEHAVIOUR.tmp" "$BEHAVIOUR"
echo "bench: wrote $REPORT and $BEHAVIOUR"
