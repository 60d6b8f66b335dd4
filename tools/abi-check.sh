#!/bin/sh
# SPDX-License-Identifier: MIT
# abi-check.sh - the ABI of the built shared library against the dump kept
# in the tree (abi/libringflow-N.abi, N the soname's number), with abigail's
# abidw and abidiff (Debian: abigail-tools).
#
#   tools/abi-check.sh            fail on a change that breaks programs built
#                                 against the dump (a function removed, a type
#                                 changed incompatibly); print a compatible one
#   tools/abi-check.sh --strict   fail on any change
#   tools/abi-check.sh --update   write the dump from the built library (at a
#                                 release, or after a deliberate soname bump)
#
# BUILDDIR (default: the top of the tree) is where the library was built;
# --dump FILE compares against (or writes) FILE instead of abi/'s dump.
# Exit status: 0 compatible, 1 incompatible, 2 the check could not run.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILDDIR:-$top}
mode=check
dump=
while [ $# -gt 0 ]; do
	case $1 in
	--update) mode=update ;;
	--strict) mode=strict ;;
	--dump) dump=${2:?--dump needs a file}; shift ;;
	--dump=*) dump=${1#--dump=} ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "abi-check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

for tool in abidw abidiff readelf; do
	command -v $tool > /dev/null 2>&1 ||
		{ echo "abi-check.sh: no $tool (Debian: abigail-tools, binutils)" >&2; exit 2; }
done
so=$build/.libs/libringflow.so
[ -f "$so" ] || { echo "abi-check.sh: no shared library at $so: build it first" >&2; exit 2; }
# abidw reads the types from the DWARF; without -g only names would compare
readelf -S "$so" | grep -q '\.debug_info' ||
	{ echo "abi-check.sh: $so has no debug information (build with -g)" >&2; exit 2; }
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[libringflow\.so\.\([0-9]*\)\]/\1/p')
[ -n "$soname" ] || { echo "abi-check.sh: no SONAME in $so" >&2; exit 2; }
: "${dump:=$top/abi/libringflow-$soname.abi}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/abi-check.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
# only the exported functions and the types they reach, without build
# paths or line numbers, types named by a hash of what they are: the dump
# is the same from any build directory, and a change touches few lines
abidw --headers-dir "$top/include" --headers-dir "$build/include" --drop-private-types --exported-interfaces-only \
	--type-id-style hash --no-corpus-path --no-comp-dir-path --no-show-locs --out-file "$tmp/new.abi" "$so" ||
	{ echo "abi-check.sh: abidw failed on $so" >&2; exit 2; }

if [ $mode = update ]; then
	mkdir -p "$(dirname "$dump")" && cp "$tmp/new.abi" "$dump" || exit 2
	echo "abi-check.sh: wrote $dump"
	exit 0
fi
[ -f "$dump" ] || { echo "abi-check.sh: no dump $dump (make one with --update)" >&2; exit 2; }

abidiff --no-unreferenced-symbols "$dump" "$tmp/new.abi" > "$tmp/report" 2>&1
rc=$?
# abidiff's status is a bit set: 1 error, 2 usage, 4 a change, 8 an
# incompatible change
if [ $((rc & 3)) -ne 0 ]; then
	cat "$tmp/report" >&2
	echo "abi-check.sh: abidiff failed (status $rc)" >&2
	exit 2
elif [ $((rc & 8)) -ne 0 ]; then
	cat "$tmp/report"
	echo "abi-check.sh: INCOMPATIBLE with $dump: programs built against it would break." >&2
	echo "Restore the old interface, or bump the soname (configure.ac: RF_LT_VERSION_INFO)" >&2
	echo "with a new node in libringflow.map, and write a new dump with --update." >&2
	exit 1
elif [ $((rc & 4)) -ne 0 ]; then
	cat "$tmp/report"
	if [ $mode = strict ]; then
		echo "abi-check.sh: the ABI changed against $dump (--strict)" >&2
		exit 1
	fi
	echo "abi-check.sh: compatible changes against $dump (refresh it with --update at the release)"
	exit 0
fi
echo "abi-check.sh: same ABI as $dump"
exit 0
