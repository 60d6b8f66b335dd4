#!/bin/sh
# SPDX-License-Identifier: MIT
# simdlevels.sh - --simd=LEVEL: a level the CPU has runs and is the one
# used; one it lacks is an error (exit 2, a message naming it); auto takes
# the best one.  The oracle for what the CPU has is the kernel's list of
# flags in /proc/cpuinfo (it shows AVX-512 only when the OS saves the zmm
# registers), not the engine's own check.  Under valgrind, which hides
# AVX-512 from the program it runs, the AVX-512 level is refused as on a CPU
# without it.
. "${SRCDIR:-.}/tests/lib.sh"
[ -r /proc/cpuinfo ] || { echo "skip: no /proc/cpuinfo to say what the CPU has"; exit 77; }
grep -qw sse2 /proc/cpuinfo || { echo "skip: not an x86-64 CPU"; exit 77; }

# has FLAG...: the CPU (and the OS) offer every FLAG
has() {
	for flag in "$@"; do
		grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -qx "$flag" || return 1
	done
}

"$LOGGEN" --size 1M --seed 18 > "$T/log"
want=$(wc -l < "$T/log")
best=sse2
for level in scalar sse2 avx2 avx512; do
	case $level in
	scalar | sse2) flags= ;;
	avx2) flags=avx2 ;;
	avx512) flags="avx512f avx512bw avx512vl bmi2" ;;
	esac
	# shellcheck disable=SC2086 # a list of flags
	if has $flags; then
		[ $level = scalar ] || best=$level
		got=$("$RINGFLOW" --simd=$level --verbose 'split | count' "$T/log" 2> "$T/err")
		check_status "--simd=$level: runs" $? 0
		check_eq "--simd=$level: count" "$got" "$want"
		check_grep "--simd=$level: the level used" "$T/err" "simd $level"
	else
		echo "--simd=$level: this CPU lacks it (flags $flags)"
		"$RINGFLOW" --simd=$level count "$T/log" > "$T/out" 2> "$T/err"
		check_status "--simd=$level on a CPU without it" $? 2
		check_grep "--simd=$level on a CPU without it: message" "$T/err" \
			"--simd=$level: the requested SIMD level is not supported by this CPU"
		check_eq "--simd=$level on a CPU without it: no output" "$(cat "$T/out")" ""
	fi
done
"$RINGFLOW" --verbose count "$T/log" > /dev/null 2> "$T/err"
check_grep "auto: the best level the CPU has" "$T/err" "simd $best"

if ! command -v valgrind > /dev/null; then
	echo "skip: valgrind not installed (the checks of a CPU without AVX-512)"
elif [ -n "${SANITIZED:-}" ]; then
	echo "skip: an ASan build cannot run under valgrind"
else
	VG=$(vg_binary)
	valgrind -q "$VG" --simd=avx512 count "$T/log" > "$T/out" 2> "$T/err"
	check_status "valgrind: --simd=avx512" $? 2
	check_grep "valgrind: --simd=avx512: message" "$T/err" \
		"--simd=avx512: the requested SIMD level is not supported by this CPU"
	valgrind -q "$VG" --verbose count "$T/log" > "$T/out" 2> "$T/err"
	check_eq "valgrind: auto: count" "$(cat "$T/out")" "$want"
	if has avx2; then
		check_grep "valgrind: auto falls back to avx2" "$T/err" "simd avx2"
	fi
fi
finish
