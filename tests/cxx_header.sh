#!/bin/sh
# SPDX-License-Identifier: MIT
# cxx_header.sh - ringflow.h compiles as C++11 with every warning an error
# (g++ -std=c++11 -Wall -Wextra -Werror -pedantic), and a C++ program links
# the shared library through the header's extern "C" and calls it.
. "${SRCDIR:-.}/tests/lib.sh"
command -v g++ >/dev/null 2>&1 || { echo "no g++ (Debian: g++, in build-essential)" >&2; exit 77; }
B=${BUILDDIR:-$(dirname "$RINGFLOW")}
san=
[ "${SANITIZED:-}" = yes ] && san="-fsanitize=address,undefined"
version=$(sed -n 's/^AC_INIT(\[ringflow\], *\[\([^]]*\)\].*/\1/p' "$SRCDIR/configure.ac")

cat > "$T/hello.cc" <<'CC'
#include <cstdio>
#include <cstring>
#include "ringflow.h"

int main()
{
	// the enums, structs and name tables as C++ sees them
	struct rf_options opt;
	rf_options_init(&opt);
	enum rf_mode mode = RF_MODE_AUTO;
	if (rf_mode_parse("serial", &mode) != 0 || mode != RF_MODE_SERIAL)
		return 1;
	std::printf("%s %u %s\n", rf_version(), rf_version_number(), rf_mode_name(mode));
	return std::strcmp(rf_version(), RF_VERSION_STRING) != 0;
}
CC
g++ -std=c++11 -Wall -Wextra -Werror -pedantic $san -I"$SRCDIR/include" -I"$B/include" \
	-c -o "$T/hello.o" "$T/hello.cc" 2> "$T/err"
check_status "g++ -std=c++11 -Wall -Wextra -Werror -pedantic" $? 0
[ -s "$T/err" ] && head -20 "$T/err" >&2
if [ -f "$T/hello.o" ] && [ -f "$B/.libs/libringflow.so" ]; then
	g++ $san -o "$T/hello" "$T/hello.o" -L"$B/.libs" -lringflow 2> "$T/err"
	check_status "link with the shared library" $? 0
	[ -s "$T/err" ] && head -20 "$T/err" >&2
	LD_LIBRARY_PATH=$B/.libs "$T/hello" > "$T/out" 2>&1
	check_status "run" $? 0
	# the number as the version's parts say: MAJOR*10000 + MINOR*100 + PATCH
	number=$(echo "$version" | awk -F. '{ print $1 * 10000 + $2 * 100 + $3 }')
	check_eq "rf_version, rf_version_number, rf_mode_name" "$(cat "$T/out")" "$version $number serial"
elif [ ! -f "$B/.libs/libringflow.so" ]; then
	echo "no shared library: compiled only"
fi
finish
