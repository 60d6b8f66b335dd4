#!/bin/sh
# spdx.sh - the licence line at the top of every source file: adds
# "SPDX-License-Identifier: MIT" in the file's comment style where no SPDX
# line is in its first lines (after a #! line; the file's first comment
# stays right after it).  A file that names another licence keeps it.
#
#   tools/spdx.sh          add the line where it is missing
#   tools/spdx.sh --check  only name the files without one; status 1 if any
#
# The files: *.c *.h *.cc *.sh *.py *.mjs under engine/ io/ numa/ tools/
# include/ examples/ bench/ tests/, and configure.ac and Makefile.am; not
# build outputs (vmlinux.h, *.skel.h, .libs, _build) or fuzz corpora.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
check=no
case ${1:-} in
--check) check=yes ;;
'') ;;
*) echo "usage: tools/spdx.sh [--check]" >&2; exit 2 ;;
esac

files() {
	for d in engine io numa tools include examples bench tests; do
		[ -d "$d" ] || continue
		find "$d" \( -name .libs -o -name .deps -o -name _build -o -name node_modules -o -name corpus \
			-o -name autom4te.cache \) -prune -o -type f \
			\( -name '*.c' -o -name '*.h' -o -name '*.cc' -o -name '*.sh' -o -name '*.py' -o -name '*.mjs' \) \
			! -name vmlinux.h ! -name '*.skel.h' -print
	done
	for f in configure.ac Makefile.am; do
		[ -f "$f" ] && echo "$f"
	done
	return 0
}

missing=0
for f in $(files | LC_ALL=C sort); do
	# an SPDX line within the first three lines (a #! line and an editor's
	# line may come first) is the file's own word on its licence
	head -n 3 "$f" | grep -q 'SPDX-License-Identifier:' && continue
	if [ $check = yes ]; then
		echo "$f: no SPDX-License-Identifier line"
		missing=$((missing + 1))
		continue
	fi
	case $f in
	*.c | *.h | *.cc) line='/* SPDX-License-Identifier: MIT */' ;;
	*.mjs) line='// SPDX-License-Identifier: MIT' ;;
	*) line='# SPDX-License-Identifier: MIT' ;;
	esac
	tmp=$f.spdx.$$
	if head -n 1 "$f" | grep -q '^#!'; then
		{ head -n 1 "$f"; echo "$line"; tail -n +2 "$f"; } > "$tmp"
	else
		{ echo "$line"; cat "$f"; } > "$tmp"
	fi
	# keep the mode (scripts stay executable)
	chmod "$(stat -c %a "$f")" "$tmp" && mv "$tmp" "$f"
	echo "spdx.sh: $f"
done
if [ $check = yes ] && [ $missing -gt 0 ]; then
	echo "$missing files without an SPDX-License-Identifier line: run tools/spdx.sh" >&2
	exit 1
fi
exit 0
