#!/bin/sh
# SPDX-License-Identifier: MIT
# manpages.sh - the manual pages: each renders without a warning from man
# and groff; ringflow-loggen(1) names every option ringflow-loggen --help
# names; every function ringflow.h declares (as the C compiler reads it)
# has a page in section 3, its own or a .so link to the page that names it
# in NAME; and every page is installed (listed in Makefile.am).
. "${SRCDIR:-.}/tests/lib.sh"

S=${SRCDIR:-.}
if ! command -v man > /dev/null 2>&1; then
	echo "man not found (install man-db): skipped"
	exit 77
fi

# the .so links name "man3/PAGE.3", relative to the directory man runs in
ln -s "$(cd "$S/man" && pwd)" "$T/man3"
ln -s "$(cd "$S/tools" && pwd)" "$T/man1"

# render PAGE: man's and groff's warnings about it, empty when there are
# none; in UTF-8 where the machine has it, as most readers have it
utf8=C
locale -a 2> /dev/null | grep -q -i -x 'C.utf-\{0,1\}8' && utf8=C.UTF-8
render() {
	(cd "$T" && LC_ALL=$utf8 MANWIDTH=80 man --warnings -l "$1" 2>&1 > /dev/null)
}

for page in "$S"/tools/*.1 "$S"/man/*.3; do
	name=${page##*/}
	case $name in *.1) dir=man1 src=tools ;; *) dir=man3 src=man ;; esac
	target=$(sed -n 's|^\.so \(man[0-9]/.*\)$|\1|p' "$page")
	if [ -n "$target" ]; then
		# a link: rendered as the page it names
		check_eq "$name links to a page" "$([ -f "$T/$target" ] && echo yes)" yes
	else
		check_eq "$name renders without warnings" "$(render "$dir/$name")" ""
	fi
	checks=$((checks + 1))
	grep -q -w -F -e "$src/$name" "$S/Makefile.am" || fail "$name is not installed: add $src/$name to Makefile.am"
done

# ringflow-loggen(1): each option of --help has an item of its own (the
# tag line after a .TP, with the roff escapes taken out)
"$LOGGEN" --help > "$T/help" || exit 99
grep -o -e '--[a-z][a-z-]*' "$T/help" | sort -u > "$T/options"
check_eq "ringflow-loggen --help names options" "$([ "$(wc -l < "$T/options")" -ge 5 ] && echo yes)" yes
awk 'prev == ".TP" { print } { prev = $0 }' "$S/tools/ringflow-loggen.1" |
	sed 's/\\f[BIRP]//g; s/\\-/-/g' > "$T/tags"
while read -r o; do
	checks=$((checks + 1))
	grep -q -E -e "(^|, )$o( |,|\$)" "$T/tags" || fail "ringflow-loggen(1) has no item for $o"
done < "$T/options"
(cd "$T" && MANWIDTH=80 man -l man1/ringflow-loggen.1 2> /dev/null) > "$T/loggen.txt"
for f in combined json; do
	check_grep "ringflow-loggen(1) documents --format $f" "$T/loggen.txt" "$f"
done

# section 3: the functions of ringflow.h, as the compiler declares them
# (-aux-info writes one prototype a line, with the file it came from)
CC=${CC:-cc}
if ! command -v "$CC" > /dev/null 2>&1; then
	echo "$CC not found: the section 3 coverage not checked"
	finish
fi
# ringflow_version.h is made by configure: in the build tree, not the source
B=${BUILDDIR:-$(dirname "$RINGFLOW")}
"$CC" -fsyntax-only -aux-info "$T/aux" -I"$B/include" -x c "$S/include/ringflow.h" || exit 99
sed -n 's|^/\* [^ ]*ringflow\.h:.*\*/ .*[ *]\(rf_[a-z0-9_]*\) (.*|\1|p' "$T/aux" | sort -u > "$T/functions"
check_eq "ringflow.h declares functions" "$(grep -c -x -e rf_run -e rf_query_parse "$T/functions")" 2

# NAME PAGE: NAME is a name in the NAME section of PAGE
named_in() {
	sed -n '/^\.SH NAME/,/^\.SH /p' "$2" | grep -q -w -e "$1"
}
while read -r fn; do
	checks=$((checks + 1))
	page="$S/man/$fn.3"
	if [ ! -f "$page" ]; then
		fail "$fn has no page: add man/$fn.3 (or a .so link to the page that describes it)"
		continue
	fi
	target=$(sed -n 's|^\.so man3/\(.*\)$|\1|p' "$page")
	[ -n "$target" ] && page="$S/man/$target"
	if [ ! -f "$page" ]; then
		fail "man/$fn.3 points at man3/$target, which does not exist"
	elif ! named_in "$fn" "$page"; then
		fail "$fn is not in the NAME section of ${page##*/}"
	fi
done < "$T/functions"

finish
