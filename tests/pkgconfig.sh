#!/bin/sh
# SPDX-License-Identifier: MIT
# pkgconfig.sh - a program outside the tree, built with nothing but what
# `pkg-config --cflags --libs ringflow` says (ringflow-uninstalled.pc, the
# build tree's variant), links the shared library and runs a query with it:
# its count equals awk's, rf_version() equals AC_INIT's version, and it
# loaded the build tree's libringflow.so.
. "${SRCDIR:-.}/tests/lib.sh"
command -v pkg-config >/dev/null 2>&1 || { echo "no pkg-config" >&2; exit 77; }
B=${BUILDDIR:-$(dirname "$RINGFLOW")}
CC=${CC:-cc}
[ -f "$B/.libs/libringflow.so" ] || { echo "no shared library in $B/.libs (configured with --disable-shared?)" >&2; exit 77; }
[ -f "$B/ringflow-uninstalled.pc" ] || { fail "no ringflow-uninstalled.pc in $B"; finish; }
# a sanitized library needs a sanitized program (the ASan runtime first)
san=
[ "${SANITIZED:-}" = yes ] && san="-fsanitize=address,undefined"

version=$(sed -n 's/^AC_INIT(\[ringflow\], *\[\([^]]*\)\].*/\1/p' "$SRCDIR/configure.ac")
PKG_CONFIG_PATH=$B
export PKG_CONFIG_PATH
check_eq "pkg-config --modversion" "$(pkg-config --modversion ringflow 2>&1)" "$version"
flags=$(pkg-config --cflags --libs ringflow 2>"$T/err")
check_status "pkg-config --cflags --libs ringflow" $? 0
pkg-config --static --libs ringflow > /dev/null 2>>"$T/err"
check_status "pkg-config --static --libs ringflow (Requires.private found)" $? 0
[ -s "$T/err" ] && cat "$T/err" >&2

cat > "$T/count.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <ringflow.h>

int main(int argc, char **argv)
{
	struct rf_query_error err;
	struct rf_options opt;
	struct rf_report rep;
	rf_query *q;

	if (argc != 2)
		return 2;
	if (strcmp(rf_version(), RF_VERSION_STRING) != 0 || rf_version_number() != RF_VERSION_NUMBER) {
		fprintf(stderr, "header %s, library %s\n", RF_VERSION_STRING, rf_version());
		return 1;
	}
	printf("%s\n", rf_version());
	fflush(stdout);
	if (rf_query_parse("count", &q, &err) < 0) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	rf_options_init(&opt);
	rf_report_init(&rep);
	opt.mode = RF_MODE_SERIAL;
	const char *files[] = { argv[1] };
	int rc = rf_run(q, files, 1, &opt, &rep);
	rf_query_free(q);
	if (rc != 0) {
		fprintf(stderr, "rf_run: %s\n", rf_strerror(rc));
		return 1;
	}
	/* the report came back through the shared library too */
	return rep.records == 0;
}
C
# shellcheck disable=SC2086
$CC $san -o "$T/count" "$T/count.c" $flags 2> "$T/cc.err"
check_status "compile and link with pkg-config's flags" $? 0
[ -s "$T/cc.err" ] && cat "$T/cc.err" >&2
if [ -x "$T/count" ]; then
	"$LOGGEN" --lines 2345 --seed 7 > "$T/in.log"
	printf 'a last line without a newline' >> "$T/in.log"
	LD_LIBRARY_PATH=$B/.libs "$T/count" "$T/in.log" > "$T/out" 2> "$T/run.err"
	check_status "the program runs" $? 0
	[ -s "$T/run.err" ] && cat "$T/run.err" >&2
	check_eq "rf_version()" "$(sed -n 1p "$T/out")" "$version"
	check_eq "its count" "$(sed -n 2p "$T/out")" "$(records "$T/in.log")"
	# the library it loaded: the build tree's, through the soname
	lib=$(LD_LIBRARY_PATH=$B/.libs ldd "$T/count" | awk '/libringflow\.so/ { print $3 }')
	check_eq "libringflow it loaded" "$(readlink -f "$lib")" "$(readlink -f "$B/.libs/libringflow.so")"
fi
finish
