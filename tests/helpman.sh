#!/bin/sh
# SPDX-License-Identifier: MIT
# helpman.sh - `ringflow --help`, the man page and the README cannot drift
# apart: the options of --help and of the man page's OPTIONS are the same
# set, long and short, each taking a value in both or in neither, and equal
# to the getopt table of tools/ringflow.c (read from the source, not from
# what either text says); the exit statuses of --help, of the man page's
# EXIT STATUS and of the README's list are the same; --help's auto mode
# names every mode it can pick.
. "${SRCDIR:-.}/tests/lib.sh"

SRC="${SRCDIR:-.}/tools/ringflow.c"
MAN="${SRCDIR:-.}/tools/ringflow.1"
README="${SRCDIR:-.}/README.md"
"$RINGFLOW" --help > "$T/help" || exit 99

# ---- the getopt table: "name" and whether it takes a value ----------------
sed -n '/^static const struct option longopts\[\]/,/^};/p' "$SRC" |
	sed -n 's/.*{ "\([a-z-]*\)", \([a-z]*\)_argument,.*/\1 \2/p' |
	sed 's/ required$/ =/; s/ optional$/ [=]/; s/ no$//' | sort > "$T/src.long"
# the short options: the string given to getopt_long ("fvo:" and so on)
sed -n 's/^#define SHORT_OPTIONS "\(.*\)"$/\1/p' "$SRC" |
	sed 's/\([a-zA-Z]\)\(:*\)/\1\2\n/g' | sed '/^$/d; s/:$/ =/' | sort > "$T/src.short"
check_eq "the getopt table has options" "$([ "$(wc -l < "$T/src.long")" -ge 40 ] && echo yes)" yes
check_eq "the short options are read" "$(grep -c -x f "$T/src.short")" 1

# ---- --help: the option column of each line of Options: -------------------
awk '/^Options:/ { on = 1; next }
	on && /^$/ { on = 0 }
	on && /^  -/ { sub(/^  /, ""); sub(/  .*/, ""); n = split($0, p, /, /); for (i = 1; i <= n; i++) print p[i] }' \
	"$T/help" > "$T/help.specs"
# a short option takes the value of its long one, named on the same line
norm() {
	awk '{
		spec = $0
		if (spec ~ /^--/) {
			name = substr(spec, 3); val = ""
			if (match(name, /\[=/)) { val = " [=]"; name = substr(name, 1, RSTART - 1) }
			else if (match(name, /=/)) { val = " ="; name = substr(name, 1, RSTART - 1) }
			else if (match(name, / /)) { val = " ="; name = substr(name, 1, RSTART - 1) }
			print "L " name val
		} else if (spec ~ /^-[a-zA-Z]/) {
			print "S " substr(spec, 2, 1) (spec ~ /^-. / ? " =" : "")
		} else
			print "? " spec
	}'
}
norm < "$T/help.specs" > "$T/help.all"
check_eq "--help: every option column is read" "$(grep -c '^?' "$T/help.all")" 0
grep '^L ' "$T/help.all" | cut -c3- | sort > "$T/help.long"
# --help names a short option beside its long one, whose value it takes:
# "-o, --format=..." - so a short takes the value of the spec after it
awk '{ print }' "$T/help.specs" | awk '
	/^-[a-zA-Z]$/ { pending = substr($0, 2, 1); next }
	pending != "" { v = ($0 ~ /^--[a-z-]*=/) ? " =" : ""; print pending v; pending = "" }' |
	sort > "$T/help.short"

# ---- the man page's OPTIONS: the tag line after each .TP ------------------
# groff escapes out: \- is '-', \fB and kin go; then the same reading
sed -n '/^\.SH OPTIONS/,/^\.SH [A-Z]/p' "$MAN" | awk '/^\.TP/ { tag = 1; next } tag { print; tag = 0 }' |
	sed 's/\\-/-/g; s/\\f[BIRP]//g; s/^\.BR* //; s/"//g' > "$T/man.tags"
# a tag holds one or more specs separated by ", " ("-S T, --since=T, ...")
tr -s ' ' < "$T/man.tags" | sed 's/, /\n/g' | sed 's/^ *//; s/ *$//' > "$T/man.specs"
norm < "$T/man.specs" > "$T/man.all"
check_eq "the man page: every tag is read" "$(grep '^?' "$T/man.all")" ""
grep '^L ' "$T/man.all" | cut -c3- | sort > "$T/man.long"
grep '^S ' "$T/man.all" | cut -c3- | sort > "$T/man.short"

check_same "--help's long options are the getopt table's" "$T/help.long" "$T/src.long"
check_same "the man page's long options are the getopt table's" "$T/man.long" "$T/src.long"
check_same "--help's short options are the getopt table's" "$T/help.short" "$T/src.short"
check_same "the man page's short options are the getopt table's" "$T/man.short" "$T/src.short"
for f in help man src; do
	for k in long short; do
		[ -s "$T/$f.$k" ] || fail "$f: no $k option read"
	done
done
if [ "$failures" -gt 0 ]; then
	diff "$T/src.long" "$T/help.long" | sed 's/^/  help: /' >&2
	diff "$T/src.long" "$T/man.long" | sed 's/^/  man: /' >&2
	diff "$T/src.short" "$T/help.short" | sed 's/^/  help short: /' >&2
	diff "$T/src.short" "$T/man.short" | sed 's/^/  man short: /' >&2
fi

# ---- exit statuses ----------------------------------------------------------
# --help: "Exit status: 0 ...; 1 ...; 2 ...; 128+N ..." over several lines
sed -n '/^Exit status:/,/^$/p' "$T/help" | tr '\n' ' ' | sed 's/^Exit status: //' | tr ';' '\n' |
	sed -n 's/^ *\([0-9][0-9+N]*\) .*/\1/p' | sort > "$T/help.exit"
# the man page: the tag after each .TP of EXIT STATUS ("128 + signal")
sed -n '/^\.SH EXIT STATUS/,/^\.SH [A-Z]/p' "$MAN" | awk '/^\.TP/ { tag = 1; next } tag { print; tag = 0 }' |
	sed 's/^\.B //; s/ + signal/+N/' | sort > "$T/man.exit"
# the README: its bullet that starts "- Exit status:"
awk '/^- Exit status:/ { on = 1 } on && /^- / && !/^- Exit status:/ { on = 0 } on' "$README" | tr '\n' ' ' |
	sed 's/^- Exit status: //; s/With `--exit-empty`, 1/; 1/' | tr ';' '\n' |
	sed -n 's/^ *\([0-9][0-9]*\( + N\)*\) .*/\1/p' | sed 's/ + N/+N/' | sort > "$T/readme.exit"
printf '%s\n' 0 1 2 128+N | sort > "$T/want.exit"
check_same "--help's exit statuses" "$T/help.exit" "$T/want.exit"
check_same "the man page's exit statuses" "$T/man.exit" "$T/want.exit"
check_same "the README's exit statuses" "$T/readme.exit" "$T/want.exit"
[ "$failures" -gt 0 ] && head -50 "$T/help.exit" "$T/man.exit" "$T/readme.exit" >&2

# ---- --help's auto mode names every mode it may choose ---------------------
modes=$(sed -n 's/^  --mode=\([a-z|]*\) .*/\1/p' "$T/help" | tr '|' '\n' | grep -v -x auto)
check_eq "--help lists the modes" "$(echo "$modes" | wc -l)" 5
auto=$(sed -n '/^  --mode=/,/^  --[a-qs-z]/p' "$T/help" | tr '\n' ' ')
for m in $modes; do
	case $auto in
	*"(auto:"*"$m"*) ;;
	*) fail "--help: --mode's auto text does not name $m" ;;
	esac
done
# and so does the man page's, from "auto (the default)" to the next option
mauto=$(sed -n '/^\\fBauto\\fR (the default)/,/^\.TP/p' "$MAN" | sed 's/\\f[BIRP]//g' | tr '\n' ' ')
check_eq "the man page describes auto" "$([ -n "$mauto" ] && echo yes)" yes
for m in $modes; do
	case $mauto in
	*"takes $m "* | *"takes $m,"* | *", $m "* | *"and $m "* | *" $m for"*) ;;
	*) fail "the man page: --mode's auto text does not name $m" ;;
	esac
done
finish
