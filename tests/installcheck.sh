#!/bin/sh
# SPDX-License-Identifier: MIT
# installcheck.sh - `make installcheck` (which `make distcheck` runs too):
# the installed tree as a user gets it.  Every program and plugin of
# examples/ is compiled from a copy of its source with nothing but what
# `pkg-config --cflags --libs ringflow` says, reading ringflow.pc from the
# installed libdir (no -I or -L into the source or build tree), and run
# with the installed shared library on a generated log; the plugins are
# loaded by the installed ringflow.  The oracle is the installed ringflow
# command's TSV and record output for the same query.  The header, the
# pkg-config file, the manual pages and the completions must be there.
#
# make passes the directories (bindir, libdir, includedir, pkgconfigdir,
# mandir, the completion directories), DESTDIR, MANS (the pages it
# installs), CC, WARN_CFLAGS and SRCDIR.
: "${bindir:?make installcheck sets bindir}" "${libdir:?}" "${includedir:?}" "${pkgconfigdir:?}" "${mandir:?}"
RINGFLOW=${DESTDIR:-}$bindir/ringflow
LOGGEN=${DESTDIR:-}$bindir/ringflow-loggen
export RINGFLOW LOGGEN
. "${SRCDIR:-.}/tests/lib.sh"
CC=${CC:-cc}
lib=${DESTDIR:-}$libdir
inc=${DESTDIR:-}$includedir

# ---- what is installed ------------------------------------------------------
installed() { # TEST FILE: test TEST FILE holds
	checks=$((checks + 1))
	test "$1" "$2" || fail "not installed: $2"
}
for f in "$RINGFLOW" "$LOGGEN"; do
	installed -x "$f"
done
for f in "$inc/ringflow.h" "$inc/ringflow_version.h" "${DESTDIR:-}$pkgconfigdir/ringflow.pc"; do
	installed -f "$f"
done
for page in $MANS; do
	page=${page##*/}
	installed -s "${DESTDIR:-}$mandir/man${page##*.}/$page"
done
for f in "${bashcompletiondir:?}/ringflow" "${zshcompletiondir:?}/_ringflow" "${fishcompletiondir:?}/ringflow.fish"; do
	installed -s "${DESTDIR:-}$f"
done
[ -x "$RINGFLOW" ] && [ -x "$LOGGEN" ] && [ -f "$inc/ringflow.h" ] || finish
command -v pkg-config > /dev/null 2>&1 || {
	echo "installcheck: no pkg-config: the examples were not built" >&2
	finish
}

# ---- pkg-config, from the installed .pc alone ----------------------------
# Under DESTDIR the .pc still names the final directories: point them at
# the staged ones.
PKG_CONFIG_PATH=${DESTDIR:-}$pkgconfigdir
export PKG_CONFIG_PATH
pc() {
	if [ -n "${DESTDIR:-}" ]; then
		pkg-config --define-variable=libdir="$lib" --define-variable=includedir="$inc" "$@" ringflow
	else
		pkg-config "$@" ringflow
	fi
}
check_eq "the ringflow.pc pkg-config reads" "$(pc --variable=pcfiledir)" "${DESTDIR:-}$pkgconfigdir"
version=$(pc --modversion)
check_eq "ringflow --version = ringflow.pc's version" "$("$RINGFLOW" --version | head -n 1)" "ringflow $version"
static=
if [ ! -e "$lib/libringflow.so" ]; then
	static=--static # a build without the shared library: the archive and its dependencies
fi
cflags=$(pc --cflags) && libs=$(pc $static --libs) || fail "pkg-config --cflags --libs ringflow"
# a sanitized library needs a sanitized program (the ASan runtime first)
san=
[ "${SANITIZED:-}" = yes ] && san="-fsanitize=address,undefined"

# a copy of the sources, away from the tree: "ringflow.h" must come from
# the flags, not from a directory next to the file
ex=$T/examples
mkdir "$ex" && cp "$SRCDIR"/examples/*.c "$ex"/ || exit 99
# shellcheck disable=SC2086 # the flags are meant to split
echo '#include <ringflow.h>' | $CC $cflags -E -x c - > "$T/pp" 2> "$T/cc.err"
check_status "the installed header compiles" $? 0
check_grep "the header included is the installed one" "$T/pp" "\"$inc/ringflow.h\""
build() { # NAME [-shared]: examples/NAME.c to $ex/NAME (a plugin: NAME.so)
	if [ "${2:-}" = -shared ]; then
		# shellcheck disable=SC2086
		$CC $san $WARN_CFLAGS -shared -fPIC -o "$ex/$1.so" "$ex/$1.c" $cflags > "$T/cc.err" 2>&1
	else
		# shellcheck disable=SC2086
		$CC $san $WARN_CFLAGS -o "$ex/$1" "$ex/$1.c" $cflags $libs > "$T/cc.err" 2>&1
	fi
	check_status "cc examples/$1.c with pkg-config's flags" $? 0
	checks=$((checks + 1))
	[ -s "$T/cc.err" ] && fail "cc examples/$1.c: $(head -c 600 "$T/cc.err")"
}
for p in query sink buffer custom_stage; do
	build $p
done
for p in plugin_upper plugin_sum; do
	build $p -shared
done
LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
if [ -z "$static" ] && [ -x "$ex/query" ]; then
	so=$(ldd "$ex/query" | awk '/libringflow\.so/ { print $3 }')
	check_eq "the library examples/query loads" "$(readlink -f "$so")" "$(readlink -f "$lib/libringflow.so")"
fi

# ---- run them: each against the installed ringflow --------------------------
"$LOGGEN" --lines 3000 --seed 19 > "$T/log" || exit 99
printf '10.0.0.1 - - [01/Nov/2026:00:00:00 +0000] "POST /last HTTP/1.1" 500 7 "-" "x"' >> "$T/log"
# query's TYPE:VALUE cells as the TSV the CLI prints (integers and strings only)
as_tsv() {
	sed -e '1s/^# //' -e 's/\(^\|\t\)\(int\|string\|bigint\):/\1/g' "$1"
}
q='parse combined | count, sum(bytes) by status'
"$RINGFLOW" --format=tsv "$q" "$T/log" > "$T/want"
for how in "" --callback --fd; do
	# shellcheck disable=SC2086
	"$ex/query" $how "$q" "$T/log" > "$T/got"
	check_status "examples/query $how" $? 0
	as_tsv "$T/got" > "$T/got.tsv"
	check_same "examples/query $how = ringflow --format=tsv" "$T/got.tsv" "$T/want"
done

q='parse combined | where status >= 500'
"$RINGFLOW" "$q" "$T/log" > "$T/want"
"$ex/sink" "$q" status "$T/log" > "$T/got"
check_status "examples/sink" $? 0
cut -f3- "$T/got" > "$T/records"
check_same "examples/sink: the records = ringflow's" "$T/records" "$T/want"
awk '{ print $9 }' "$T/want" > "$T/want.status"
cut -f2 "$T/got" > "$T/got.status"
check_same "examples/sink: the status field = awk's" "$T/got.status" "$T/want.status"

q='parse combined | count by method'
"$RINGFLOW" --format=tsv "$q" "$T/log" > "$T/want"
"$ex/buffer" "$q" < "$T/log" > "$T/got"
check_status "examples/buffer" $? 0
check_same "examples/buffer = ringflow --format=tsv" "$T/got" "$T/want"

"$ex/custom_stage" 'parse combined | only method POST | count by path' "$T/log" > "$T/got"
check_status "examples/custom_stage" $? 0
"$RINGFLOW" 'parse combined | where method == "POST" | count by path' "$T/log" > "$T/want"
check_same "examples/custom_stage = where ==" "$T/got" "$T/want"

# the plugins, loaded by the installed ringflow (a bare name: the file here)
"$RINGFLOW" --format=tsv 'parse combined | eval method_upper = upper(method) | count by method_upper' "$T/log" \
	> "$T/want"
(cd "$ex" && "$RINGFLOW" --plugin plugin_upper.so --format=tsv 'parse combined | upper method | count by method_upper' \
	"$T/log") > "$T/got"
check_status "ringflow --plugin plugin_upper.so" $? 0
check_same "upper = eval upper()" "$T/got" "$T/want"
"$RINGFLOW" --plugin "$ex/plugin_sum.so" --mode=multiprocess --threads=2 'parse combined | bytesum bytes' "$T/log" \
	> "$T/got"
check_status "ringflow --plugin plugin_sum.so" $? 0
check_eq "bytesum = awk" "$(cat "$T/got")" "$(awk '{ s += $10 } END { print s }' "$T/log")"
finish
