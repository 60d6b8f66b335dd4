#!/bin/sh
# SPDX-License-Identifier: MIT
# build-deb.sh - build the Debian packages ringflow, libringflow0 and
# libringflow-dev from this tree, and check them with lintian.
#
#   tools/build-deb.sh [OUTDIR]
#
# The build runs in a temporary copy of the tree (the files git tracks and
# the new ones it does not ignore; the whole directory when it is not a git
# checkout), so the tree itself is left as it was.  The .deb files, the
# build log and lintian's report go to OUTDIR (default ./deb).
# Exit status: 0 when the packages built and lintian found no error (its
# warnings are listed), 1 when the build failed or lintian found errors,
# 2 when a tool or a build dependency is missing.
# DEB_BUILD_OPTIONS is passed on (default: parallel=<CPUs>); nocheck skips
# the short test run of debian/rules.  RINGFLOW_DEB_KEEP=1 keeps the
# temporary build tree, to look into a failure.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

for tool in dpkg-buildpackage dpkg-parsechangelog dh lintian; do
	if ! command -v "$tool" > /dev/null 2>&1; then
		echo "build-deb.sh: $tool not found: install the Debian packages dpkg-dev, debhelper and lintian" >&2
		exit 2
	fi
done
if ! (cd "$src" && dpkg-checkbuilddeps); then
	echo "build-deb.sh: install the build dependencies above first" >&2
	exit 2
fi

version=$(cd "$src" && dpkg-parsechangelog -S Version)
upstream=${version%-*}
work=$(mktemp -d "${TMPDIR:-/tmp}/ringflow-deb.XXXXXX")
if [ -n "${RINGFLOW_DEB_KEEP:-}" ]; then
	echo "build-deb.sh: the build stays in $work"
else
	trap 'rm -rf "$work"' EXIT INT TERM
fi
chmod 755 "$work" # the tests run ringflow as nobody too
tree="$work/ringflow-$upstream"
mkdir "$tree"

# A copy without the build products of the tree (an in-tree build's
# Makefile, objects and configure output would be taken as the source).
if git -C "$src" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		tar --null --ignore-failed-read -T - -cf - 2> /dev/null) | tar -xf - -C "$tree"
else
	cp -a "$src/." "$tree"
	if [ -f "$tree/Makefile" ]; then
		(cd "$tree" && make -s distclean > /dev/null 2>&1) || true
	fi
fi

echo "build-deb.sh: building ringflow $version in $tree (log: $out/build.log)"
if ! (cd "$tree" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=$(nproc)}" \
	dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "build-deb.sh: dpkg-buildpackage failed (the whole log: $out/build.log)" >&2
	exit 1
fi
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
changes=$(ls "$out"/ringflow_"$version"_*.changes | head -n 1)

# lintian: errors fail the build, warnings are listed
status=0
lintian --fail-on error "$changes" > "$out/lintian.txt" 2>&1 || status=$?
errors=$(grep -c '^E: ' "$out/lintian.txt" || true)
warnings=$(grep -c '^W: ' "$out/lintian.txt" || true)
if [ -s "$out/lintian.txt" ]; then
	echo "lintian:"
	sed 's/^/  /' "$out/lintian.txt"
fi
echo "build-deb.sh: $(cd "$out" && ls ./*.deb | sed 's|^\./||' | tr '\n' ' ')"
echo "build-deb.sh: lintian: $errors errors, $warnings warnings (report: $out/lintian.txt)"
[ "$status" -eq 0 ] && [ "$errors" -eq 0 ] || exit 1
