#!/bin/sh
# SPDX-License-Identifier: MIT
# version.sh - --version of ringflow, ringflow-loggen and ringflow-trace: the
# version AC_INIT in configure.ac gives, then a features line whose words are
# exactly what config.h says was built (its HAVE_ symbols) and the SIMD
# levels ringflow.h lists; ringflow-trace adds libbpf's version.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "no python3" >&2; exit 77; }
B=${BUILDDIR:-$(dirname "$RINGFLOW")}
[ -f "$B/config.h" ] || { echo "no config.h in $B" >&2; exit 77; }

version=$(sed -n 's/^AC_INIT(\[ringflow\], *\[\([^]]*\)\].*/\1/p' "$SRCDIR/configure.ac")
[ -n "$version" ] || { echo "no version in AC_INIT of $SRCDIR/configure.ac" >&2; exit 99; }

# the words config.h calls for, one a line, sorted
python3 - "$B/config.h" "$SRCDIR/include/ringflow.h" > "$T/want" <<'PY' || exit 99
import re, sys
have = set(re.findall(r"^#define (HAVE_\w+) 1$", open(sys.argv[1]).read(), re.M))
levels = re.findall(r'X\(RF_SIMD_\w+, "(\w+)"\)', open(sys.argv[2]).read())
words = {"io_uring", "numa", "simd=" + ",".join(l for l in levels if l != "auto")}
gzip = "gzip(isal)" if "HAVE_ISAL" in have else "gzip(zlib)" if "HAVE_ZLIB" in have else None
for sym, word in [("HAVE_SYS_SDT_H", "ebpf-probes"), ("HAVE_ZSTD", "zstd"), ("HAVE_LZMA", "xz"),
                  ("HAVE_BZ2", "bzip2"), ("HAVE_LZ4", "lz4"), ("HAVE_HYPERSCAN", "hyperscan"),
                  ("HAVE_MAXMINDDB", "maxminddb")]:
    if sym in have:
        words.add(word)
if gzip:
    words.add(gzip)
print("\n".join(sorted(words)))
PY

# check_version NAME BINARY: the first line, then the features line
check_version() {
	"$2" --version > "$T/out" 2> "$T/err"
	check_status "$1 --version" $? 0
	check_eq "$1 --version: first line" "$(sed -n 1p "$T/out")" "$1 $version"
	check_eq "$1 --version: second line" "$(sed -n 2p "$T/out" | cut -d' ' -f1)" "features:"
	sed -n 2p "$T/out" | cut -d' ' -f2- | tr ' ' '\n' | sort > "$T/got"
	check_eq "$1 --version: features (got vs config.h)" "$(tr '\n' ' ' < "$T/got")" "$(tr '\n' ' ' < "$T/want")"
	check_eq "$1 --version: a feature twice" "$(uniq -d "$T/got")" ""
}

check_version ringflow "$RINGFLOW"
check_version ringflow-loggen "$LOGGEN"
if [ -x "${TRACE:-}" ]; then
	check_version ringflow-trace "$TRACE"
	# libbpf's run-time version, as the package that provides the loaded
	# library says it (dpkg), or at least a MAJOR.MINOR
	got=$(sed -n 3p "$T/out")
	check_eq "ringflow-trace --version: libbpf line" "$(echo "$got" | sed 's/[0-9][0-9]*\.[0-9][0-9]*$/N.N/')" "libbpf N.N"
	lib=$(ldd "$TRACE" 2>/dev/null | awk '/libbpf\.so/ { print $3 }')
	pkg=$(dpkg -S "$(readlink -f "$lib" 2>/dev/null)" 2>/dev/null | cut -d: -f1)
	if [ -n "$pkg" ]; then
		pv=$(dpkg-query -W -f='${Version}' "$pkg" | sed 's/^[0-9]*://; s/^\([0-9]*\.[0-9]*\).*/\1/')
		check_eq "ringflow-trace --version: libbpf as dpkg has it" "$got" "libbpf $pv"
	fi
else
	echo "ringflow-trace not built: its --version not checked"
fi
finish
