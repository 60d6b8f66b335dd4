#!/bin/sh
# SPDX-License-Identifier: MIT
# layers.sh - the library's files call each other in layers: no circle of
# calls between files (nm: each object's undefined symbols, and which object
# defines them), and the verbs and the executors never call the runner.
. "${SRCDIR:-.}/tests/lib.sh"

# the objects of the library, in the build directory (libtool's non-PIC
# ones, or the PIC ones of a shared-only build)
B=$(dirname "$RINGFLOW")
L=
[ -f "$B/engine/libringflow_core_la-run.o" ] || L=.libs/
ls "$B/engine/${L}"libringflow_core_la-*.o >/dev/null 2>&1 || { echo "no library objects in $B" >&2; exit 77; }
command -v nm >/dev/null 2>&1 || { echo "no nm" >&2; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "no python3" >&2; exit 77; }

for d in engine io numa; do
	for o in "$B/$d/${L}"libringflow_core_la-*.o; do
		[ -f "$o" ] || continue
		f=$(basename "$o" .o)
		echo "$d/${f#libringflow_core_la-}.c $o"
	done
done > "$T/objects"
[ -s "$T/objects" ] || { echo "no library objects" >&2; exit 77; }
while read -r f o; do
	nm -u "$o" | awk -v f="$f" '{ print "U", f, $NF }'
	nm --defined-only -g "$o" | awk -v f="$f" 'NF == 3 { print "D", f, $3 }'
done < "$T/objects" > "$T/syms"

python3 - "$T/syms" > "$T/out" 2>&1 <<'PY'
import sys
defs, uses = {}, {}
for line in open(sys.argv[1]):
    kind, f, sym = line.split()
    if kind == "D":
        defs[sym] = f
    else:
        uses.setdefault(f, set()).add(sym)
# the graph of files: f -> g when f uses a symbol g defines
graph = {f: {} for f in set(defs.values()) | set(uses)}
for f, syms in uses.items():
    for s in syms:
        g = defs.get(s)
        if g and g != f:
            graph[f].setdefault(g, []).append(s)
bad = 0
# a circle: a strongly connected component of more than one file (Tarjan)
index, low, stack, on, comps = {}, {}, [], set(), []
def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v); on.add(v)
    for w in graph[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v:
                break
        comps.append(c)
sys.setrecursionlimit(10000)
for v in sorted(graph):
    if v not in index:
        visit(v)
for c in comps:
    if len(c) > 1:
        bad = 1
        print("circle between files: " + ", ".join(sorted(c)))
        for f in sorted(c):
            for g in sorted(graph[f]):
                if g in c:
                    print("  %s -> %s (%s)" % (f, g, ", ".join(sorted(graph[f][g])[:4])))
# the rules of the layers
runner = {"engine/run.c", "engine/report.c", "engine/output.c", "engine/options.c",
          "engine/reader_async.c", "engine/exec_multiprocess.c", "engine/reader_seq.c",
          "engine/budget.c", "engine/plan_facts.c", "engine/exec_inline.c", "engine/exec_threads.c"}
# an object that is no longer there is a renamed file: the rules must follow
missing = sorted(f for f in runner | {"engine/stage.c", "engine/parallel.c", "engine/pipeline.c"} if f not in graph)
if missing:
    bad = 1
    print("not in the library (renamed?): " + ", ".join(missing))
verbs = {"engine/parsers.c", "engine/stage_aggregate.c", "engine/query.c", "engine/expr.c", "engine/verbs.c"}
verbs |= {f for f in graph if f.startswith("engine/parse_") or f.startswith("engine/stage_")} - {"engine/stage.c"}
for f in sorted(verbs | {"engine/parallel.c", "engine/pipeline.c", "engine/stage.c"}):
    for g in sorted(graph.get(f, {})):
        if g in runner:
            bad = 1
            print("%s calls the runner (%s): %s" % (f, g, ", ".join(sorted(graph[f][g]))))
# and no circle of includes between the headers
import glob, os, re
src = os.environ.get("SRCDIR", ".")
hdr = {}
for h in glob.glob(os.path.join(src, "*", "*.h")):
    rel = os.path.relpath(h, src)
    if rel.startswith("tests") or rel.startswith("tools"):
        continue
    inc = set()
    for m in re.finditer(r'^#include "([^"]+)"', open(h).read(), re.M):
        for d in (os.path.dirname(rel), "include", "engine"):
            t = os.path.normpath(os.path.join(d, m.group(1)))
            if os.path.exists(os.path.join(src, t)):
                inc.add(t)
                break
    hdr[rel] = inc
state = {}
def walk(h, path):
    state[h] = 1
    for t in sorted(hdr.get(h, ())):
        if state.get(t) == 1:
            global bad
            bad = 1
            print("circle of includes: " + " -> ".join(path[path.index(t):] + [t]))
        elif t not in state:
            walk(t, path + [t])
    state[h] = 2
for h in sorted(hdr):
    if h not in state:
        walk(h, [h])
print("%d files, %d edges; %d headers" % (len(graph), sum(len(e) for e in graph.values()), len(hdr)))
sys.exit(bad)
PY
st=$?
cat "$T/out"
checks=$((checks + 1))
[ $st -eq 0 ] || fail "the library's files call each other in a circle (above)"

# one place for each shared piece: the test hooks' environment
# (engine/testhooks.c), the clock (engine/clock.h)
S=${SRCDIR:-.}
# (the commands' own documented settings, RINGFLOW_PLUGIN_PATH and
# ringflow-trace's RINGFLOW_TRACE_PER_SITE, are none)
hooks=$(grep -n 'getenv("RINGFLOW_' "$S"/engine/*.c "$S"/io/*.c "$S"/numa/*.c "$S"/tools/*.c 2>/dev/null |
	grep -v '^[^:]*/tools/ringflow\.c:[0-9]*:.*getenv("RINGFLOW_PLUGIN_PATH")' |
	grep -v '^[^:]*/tools/trace\.c:[0-9]*:.*getenv("RINGFLOW_TRACE_PER_SITE")' | cut -d: -f1 | uniq |
	sed "s|^$S/||" | tr '\n' ' ')
check_eq "files that read RINGFLOW_* from the environment" "$hooks" "engine/testhooks.c "
clocks=$(grep -ln '^static.* now_ns(void)' "$S"/engine/*.[ch] "$S"/io/*.[ch] "$S"/tools/*.[ch] 2>/dev/null |
	sed "s|^$S/||" | tr '\n' ' ')
check_eq "files that define now_ns" "$clocks" "engine/clock.h "
finish
