#!/bin/sh
# SPDX-License-Identifier: MIT
# debdeps.sh - the Debian package libringflow-dev holds what a program
# needs to build against libringflow: it depends on the development package
# of every module in ringflow.pc's Requires and Requires.private and of
# every -lNAME in its Libs.private (so `pkg-config --static --libs
# ringflow` works once it is installed), and it installs every header
# ringflow.h includes.  The packages are asked of dpkg (dpkg -S, the
# package that owns the .pc file or the library), not listed here; the
# C library's own (-lm, -lpthread: libc6-dev) go without saying.
. "${SRCDIR:-.}/tests/lib.sh"
B=${BUILDDIR:-$(dirname "$RINGFLOW")}
control=$SRCDIR/debian/control
for tool in dpkg dpkg-query pkg-config; do
	command -v $tool > /dev/null 2>&1 || { echo "no $tool: not a Debian system" >&2; exit 77; }
done
[ -f "$B/ringflow.pc" ] && [ -f "$control" ] || exit 99
CC=${CC:-cc}
arch=$(dpkg --print-architecture)

# libringflow-dev's Depends: one package a line, the alternatives of a
# "|" on the same line; an entry for other architectures left out
awk -v RS= '/(^|\n)Package: libringflow-dev\n/' "$control" |
	awk '/^Depends:/ { on = 1; sub(/^Depends:/, "") } /^[A-Z][A-Za-z-]*:/ && !/^Depends:/ { on = 0 } on' |
	tr '\n' ' ' | tr ',' '\n' | while read -r entry; do
	case $entry in
	*"["*"]"*)
		archs=$(echo "$entry" | sed 's/.*\[\(.*\)\].*/\1/')
		case " $archs " in *" $arch "*) ;; *) continue ;; esac ;;
	esac
	echo "$entry" | sed -e 's/([^)]*)//g' -e 's/\[[^]]*\]//g' -e 's/|/ /g' | tr -s ' ' | sed 's/^ //; s/ $//'
done > "$T/depends"
check_eq "libringflow-dev's Depends found in debian/control" "$([ -s "$T/depends" ] && echo yes)" yes
tr ' ' '\n' < "$T/depends" | grep . > "$T/depends.words"

# The files that say which package a dependency is: for each module of
# Requires and Requires.private its .pc file, for each -lNAME of
# Libs.private its archive (a static link) and its link-time .so; then
# one dpkg -S for them all (it reads every package's file list).
modules=$(sed -n 's/^Requires\(\.private\)\?: *//p' "$B/ringflow.pc" | tr ',' '\n' |
	sed 's/[<>=!].*//' | tr -d ' ' | grep .)
: > "$T/files"
for m in $modules; do
	pcfile=$(pkg-config --path "$m" 2> /dev/null)
	if [ -z "$pcfile" ]; then
		fail "ringflow.pc requires $m, which pkg-config cannot find"
		continue
	fi
	printf 'ringflow.pc requires %s\t%s %s\n' "$m" "$pcfile" "$(readlink -f "$pcfile")" >> "$T/files"
done
for l in $(sed -n 's/^Libs\.private: *//p' "$B/ringflow.pc"); do
	case $l in -l*) ;; *) continue ;; esac
	paths=
	for f in "lib${l#-l}.a" "lib${l#-l}.so"; do
		path=$($CC -print-file-name="$f")
		[ "$path" = "$f" ] && continue # not found
		path=$(realpath -s "$path")
		# merged /usr: dpkg may know it under either
		paths="$paths $path $(echo "$path" | sed -n 's|^/usr/lib/|/lib/|p')"
	done
	printf "ringflow.pc's Libs.private has %s\t%s\n" "$l" "$paths" >> "$T/files"
done
# shellcheck disable=SC2046 # one path a word
dpkg -S $(cut -f2 "$T/files") > "$T/owners" 2> /dev/null
while IFS='	' read -r why paths; do
	checks=$((checks + 1))
	pkgs=
	for path in $paths; do
		pkgs=$(awk -v p="$path" 'index($0, ": " p) && substr($0, index($0, ": " p) + 2) == p {
			sub(/: .*/, ""); print }' "$T/owners" | tr ',' '\n' | sed 's/:.*//; s/ //g' | sort -u)
		[ -n "$pkgs" ] && break
	done
	if [ -z "$pkgs" ]; then
		fail "no package holds$paths ($why)"
	elif echo "$pkgs" | grep -qx -e libc6-dev -e libc-dev; then
		: # the C library's: there with every compiler
	elif ! echo "$pkgs" | grep -qx -F -f "$T/depends.words"; then
		fail "libringflow-dev does not depend on $(echo "$pkgs" | tr '\n' ' ')($why)"
	fi
done < "$T/files"

# the headers: ringflow.h and each it includes with quotes
install=$SRCDIR/debian/libringflow-dev.install
for h in ringflow.h $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$SRCDIR/include/ringflow.h"); do
	check_line "libringflow-dev installs usr/include/$h" "$install" "usr/include/$h"
done
finish
