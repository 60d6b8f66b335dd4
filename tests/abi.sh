#!/bin/sh
# SPDX-License-Identifier: MIT
# abi.sh - tools/abi-check.sh: the built library keeps the ABI of the dump in
# abi/; and the check can fail: against a dump that has a function the
# library lacks (a removal, as a program built against it would see) it
# reports the function and exits 1.
. "${SRCDIR:-.}/tests/lib.sh"
command -v abidiff >/dev/null 2>&1 || { echo "no abidiff (Debian: abigail-tools)" >&2; exit 77; }
B=${BUILDDIR:-$(dirname "$RINGFLOW")}
[ -f "$B/.libs/libringflow.so" ] || { echo "no shared library in $B/.libs (configured with --disable-shared?)" >&2; exit 77; }
readelf -S "$B/.libs/libringflow.so" | grep -q '\.debug_info' || { echo "the library has no debug information (CFLAGS without -g)" >&2; exit 77; }
check=$SRCDIR/tools/abi-check.sh
export BUILDDIR=$B

"$check" > "$T/out" 2>&1
check_status "abi-check.sh against the dump in abi/" $? 0
[ -s "$T/out" ] && cat "$T/out"

# a dump of this very library, then one of its functions renamed in it
"$check" --update --dump "$T/self.abi" > "$T/out" 2>&1
check_status "abi-check.sh --update --dump" $? 0
"$check" --dump "$T/self.abi" --strict > "$T/out" 2>&1
check_status "abi-check.sh --strict against its own dump" $? 0
sed 's/rf_features/rf_gone_away/g' "$T/self.abi" > "$T/old.abi"
check_eq "the renamed dump differs" "$(cmp -s "$T/self.abi" "$T/old.abi" || echo differs)" differs
"$check" --dump "$T/old.abi" > "$T/out" 2>&1
check_status "abi-check.sh against a dump with a function the library lacks" $? 1
check_grep "the report names the removed function" "$T/out" "rf_gone_away"
finish
