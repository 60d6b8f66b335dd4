#!/bin/sh
# SPDX-License-Identifier: MIT
# symbols.sh - the shared library exports the public API and nothing else:
# every defined dynamic symbol of .libs/libringflow.so (nm -D) is a function
# ringflow.h declares, each declared function is there, each declaration is
# marked RF_API, and (with the version script) each is in node RINGFLOW_0.
# A function the header defines (static inline, such as rf_options_init) is
# compiled into the program: not marked RF_API, and not exported, unless a
# released ABI (the dump in abi/) has it, whose programs still call it.
. "${SRCDIR:-.}/tests/lib.sh"
command -v nm >/dev/null 2>&1 || { echo "no nm" >&2; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "no python3" >&2; exit 77; }
B=${BUILDDIR:-$(dirname "$RINGFLOW")}
SO=$B/.libs/libringflow.so
[ -f "$SO" ] || { echo "no shared library at $SO (configured with --disable-shared?)" >&2; exit 77; }

# name, type and version of each exported symbol (nm shows the version as
# name@@NODE); the node's own absolute symbol is not a function
nm -D --defined-only "$SO" | awk '$2 != "A" { print $3, $2 }' > "$T/nm" || exit 99
[ -s "$T/nm" ] || { fail "nm -D found no symbol in $SO"; finish; }

python3 - "$T/nm" "$SRCDIR/include/ringflow.h" "$SRCDIR/abi" > "$T/out" 2>&1 <<'PY'
import glob, os, re, sys
text = open(sys.argv[2]).read()
# the functions a released library exported (abidw's elf-symbol lines)
released = set()
for dump in glob.glob(os.path.join(sys.argv[3], "*.abi")):
    released |= set(re.findall(r"<elf-symbol name='(rf_\w+)'[^>]*type='func-type'", open(dump).read()))
# declarations only: no comments, no preprocessor lines (macros span lines)
text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
text = re.sub(r"//[^\n]*", " ", text)
text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)
declared, unmarked, inline, bad = set(), [], set(), []
# each top-level statement; a function declaration names rf_x( outside a
# (*pointer) typedef and outside a struct body; a body (of a struct or of
# an inline function) ends a statement as its ';' would
for stmt in re.split(r";", re.sub(r"\{[^{}]*\}", " ; ", text)):
    m = re.search(r"\b(rf_\w+)\s*\(", stmt)
    if not m or "typedef" in stmt:
        continue
    if m.group(1) == "rf_plugin_init":
        continue  # a plugin's entry: plugins define it, the library does not
    before = stmt[:m.start()]
    if re.search(r"\binline\b", before):
        inline.add(m.group(1))
        if "RF_API" in before or not re.search(r"\bstatic\b", before):
            bad.append("%s is defined in ringflow.h: static inline, without RF_API" % m.group(1))
        continue
    declared.add(m.group(1))
    if "RF_API" not in before:
        unmarked.append(m.group(1))
exported = {}
for line in open(sys.argv[1]):
    name, kind = line.split()
    base, _, node = name.partition("@")
    exported[base] = (kind, node.lstrip("@"))
for name in sorted(inline & set(exported)):
    if name in released:
        declared.add(name)  # kept for the programs of a released ABI
    else:
        bad.append("exported but defined inline in ringflow.h: %s" % name)
for name in sorted(set(exported) - declared - inline):
    bad.append("exported but not declared in ringflow.h: %s (%s)" % (name, exported[name][0]))
for name in sorted(declared - set(exported)):
    bad.append("declared in ringflow.h but not exported: %s" % name)
for name in unmarked:
    bad.append("declared without RF_API: %s" % name)
for name in sorted(declared & set(exported)):
    kind, node = exported[name]
    if kind not in ("T", "W", "i"):
        bad.append("%s is exported as a %s, not a function" % (name, kind))
    if node and node != "RINGFLOW_0":
        bad.append("%s is in version node %s, not RINGFLOW_0" % (name, node))
print(len(declared), len(exported))
for b in bad:
    print(b)
PY
[ $? -eq 0 ] || { cat "$T/out" >&2; fail "the header parse stopped"; finish; }
read -r ndeclared nexported < "$T/out"
check_eq "functions declared in ringflow.h (more than a few)" "$([ "$ndeclared" -gt 20 ] && echo yes)" yes
check_eq "symbols exported = declared" "$nexported" "$ndeclared"
sed 1d "$T/out" > "$T/bad"
checks=$((checks + 1))
if [ -s "$T/bad" ]; then
	fail "$(wc -l < "$T/bad") problems:"
	cat "$T/bad" >&2
fi
# configure found a linker that takes the version script: every export
# carries its node
if grep -q 'S\["HAVE_LD_VERSION_SCRIPT_TRUE"\]=""' "$B/config.status" 2>/dev/null; then
	check_eq "exports outside version node RINGFLOW_0" "$(grep -v '@@RINGFLOW_0 ' "$T/nm" | head -3)" ""
fi
finish
