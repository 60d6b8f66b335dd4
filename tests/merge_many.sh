#!/bin/sh
# SPDX-License-Identifier: MIT
# merge_many.sh - `ringflow merge` of many partials (issue 20, format 5: the
# groups sorted by hash and cut into parts, merged a part at a time, in
# threads when the partials are big).  The exact aggregates (count, sum,
# min, max, avg, distinct) are checked against Python's own sums over the
# generated inputs; the sketches and first/last against one serial run over
# the inputs in the same order (the oracle of tests/partial.sh), with a few
# quantiles checked against Python's exact rank within the sketch's 1%.
# Cases: 8 partials big enough for 2 threads (--threads=1 and 2 print the
# same bytes), partials of very different sizes in both orders, a tree of
# merges, quantiles of one field sharing a sketch, damage in the middle of
# a big partial's groups, and one partial given twice.
. "${SRCDIR:-.}/tests/lib.sh"

py_checks <<'PY'
import math, os, random, struct, subprocess, sys, time
import rftest
from rftest import check
T, RF = rftest.setup(sys.argv)
T0 = time.time()


def mark(what):
    """With MT_TIME=1 in the environment: where the test's time goes."""
    if os.environ.get("MT_TIME"):
        sys.stderr.write("%5.2f %s\n" % (time.time() - T0, what))

rnd = random.Random(20)
Q = ("split | count, sum($2), min($2), max($2), avg($2), p50($2), p90($2), p99($2), p99($3), "
     "distinct($4), approx_distinct($4), first($5), last($5) by $1")
NIN = 8
WORDS = ["w%d" % i for i in range(40)]
PAD = "x" * 100


def value():
    """An integer over ten decades, either sign, and zeros."""
    r = rnd.random()
    if r < 0.05:
        return 0
    v = int(10 ** rnd.uniform(0, 10))
    return -v if r < 0.3 else v


def write_input(path, keys, tag, hot=0):
    """Two records for each key (one for every third), hot * 500 records of
    each of the keys hot0..hot4 spread among them.  The last field is long,
    so that first and last make the partials big with few groups."""
    lines = []
    for k in keys:
        for _ in range(1 if k % 3 == 0 else 2):
            lines.append("k%d" % k)
    for h in range(5):
        lines.extend(["hot%d" % h] * (hot * 500))
    rnd.shuffle(lines)
    with open(path, "w") as f:
        for n, key in enumerate(lines):
            f.write("%s %d %.4g %s %s.%d.%s\n" % (key, value(), 10 ** rnd.uniform(-3, 5), rnd.choice(WORDS), tag, n, PAD))


def run(*args, ok=(0,)):
    p = subprocess.run([RF, *args], capture_output=True)
    if p.returncode not in ok:
        sys.stderr.write("ringflow %s: status %d: %s\n" % (" ".join(map(str, args)), p.returncode, p.stderr[:300]))
    return p.returncode, p.stdout, p.stderr


def oracle(paths):
    """Python's own count, sum, min, max, the values of $2 and the set of
    $4 of each key, over the inputs in order."""
    g = {}
    for path in paths:
        with open(path) as f:
            for line in f:
                key, v, _, w, _ = line.split()
                v = int(v)
                e = g.get(key)
                if e is None:
                    g[key] = e = [0, 0, v, v, [], set()]
                e[0] += 1
                e[1] += v
                e[2] = min(e[2], v)
                e[3] = max(e[3], v)
                e[4].append(v)
                e[5].add(w)
    return g


def rows(out):
    lines = out.decode().splitlines() or [""]
    head = lines[0].split("\t")
    return head, {l.split("\t")[0]: l.split("\t") for l in lines[1:]}


def check_exact(what, out, paths):
    """The exact columns of a merge's TSV against Python's sums."""
    head, got = rows(out)
    want = oracle(paths)
    col = {h: i for i, h in enumerate(head)}
    if not check("count" in col, "%s: no output" % what):
        return head, got, want
    check(set(got) == set(want), "%s: the groups (%d vs %d)" % (what, len(got), len(want)))
    bad = []
    for key, e in want.items():
        r = got.get(key)
        if r is None:
            continue
        ok = (int(r[col["count"]]) == e[0] and int(r[col["sum($2)"]]) == e[1] and
              int(r[col["min($2)"]]) == e[2] and int(r[col["max($2)"]]) == e[3] and
              math.isclose(float(r[col["avg($2)"]]), e[1] / e[0], rel_tol=1e-5, abs_tol=1e-5) and
              int(r[col["distinct($4)"]]) == len(e[5]) and
              abs(int(r[col["approx_distinct($4)"]]) - len(e[5])) <= 0.02 * len(e[5]))
        if not ok:
            bad.append(key)
    check(not bad, "%s: exact columns wrong for %d groups, e.g. %s" % (what, len(bad), bad[:3]))
    return head, got, want


def serial(paths, query=Q):
    return run("--mode=serial", "--format=tsv", query, *paths)[1]


def partial(path, inputs, query=Q, mode="serial"):
    st, _, _ = run("--mode=" + mode, "--partial-out", path, query, *inputs)
    check(st == 0, "--partial-out %s: status %d" % (path, st))
    return path


def merge(parts, *opts, query=Q):
    return run("merge", "--format=tsv", *opts, query, *parts)


def head_bits(path):
    """The part bits of a format 5 partial, read from its head as the
    format comment in aggregate.c lays it out."""
    with open(path, "rb") as f:
        b = f.read(4096)
    at = b.index(b"RFAGG\0") + 32     # past the file's envelope and the state's header
    naggs, nkeys = struct.unpack_from("<II", b, at)
    return b[at + 8 + 8 * naggs + 8 * nkeys + 8]


# a. 8 inputs of 1500 keys, each sharing 600 keys with the next and 300
# with no other; 5 hot keys in every input for the quantile spot checks
ins = []
for i in range(NIN):
    path = os.path.join(T, "in%d" % i)
    write_input(path, range(i * 900, i * 900 + 1500), "i%d" % i, hot=1)
    ins.append(path)
mark('generated')
parts = [partial(os.path.join(T, "p%d" % i), [p]) for i, p in enumerate(ins)]
total = sum(os.path.getsize(p) for p in parts)
bits = min(head_bits(p) for p in parts)
# the conditions under which the merge takes 2 threads (aggregate.c)
check(total >= 4 << 20, "a: the partials are %d bytes, under 4 MiB: no threads" % total)
check(bits >= 3, "a: %d part bits, too few parts for 2 threads" % bits)
mark('partials: %d bytes' % total)
want = serial(ins)
mark('serial')
check(want.count(b"\n") > 7000, "a: the serial run printed %d lines" % want.count(b"\n"))
for opts in (["--threads=1"], ["--threads=2"]):
    st, flat, err = merge(parts, *opts)
    check(st == 0 and flat == want, "a: merge %s of 8 equals the serial run (status %d, %s)" % (opts, st, err[:200]))
head, got, truth = check_exact("a", flat, ins)
col = {h: i for i, h in enumerate(head)}
for h in range(5):
    key = "hot%d" % h
    vals = sorted(truth[key][4])
    for name, q in (("p50($2)", 0.5), ("p90($2)", 0.9), ("p99($2)", 0.99)):
        exact = vals[math.floor(q * (len(vals) - 1))]
        g = float(got[key][col[name]])
        check(abs(g - exact) <= 0.01 * abs(exact), "a: %s of %s: %g, exact %d" % (name, key, g, exact))

mark('# b.')
# b. partials of very different sizes: 3 groups and 10k groups (over 4 MiB
# alone, so the merge takes 2 threads), both orders
small = os.path.join(T, "small")
with open(small, "w") as f:
    f.write("k5 7 1.5 w1 s.0\nsolo -3 2 w2 s.1\nk49999 0 0.001 w3 s.2\nk5 -12 3e4 w4 s.3\n")
big = os.path.join(T, "big")
write_input(big, range(10000), "b")
sp, bp = partial(os.path.join(T, "ps"), [small]), partial(os.path.join(T, "pb"), [big])
check(os.path.getsize(bp) >= 4 << 20, "b: the big partial is %d bytes, under 4 MiB: no threads" % os.path.getsize(bp))
for order, threads in (([small, big], (2, 1)), ([big, small], (2,))):
    ps = [sp if x == small else bp for x in order]
    want = serial(order)
    for opts in (["--threads=%d" % t] for t in threads):
        st, got, err = merge(ps, *opts)
        check(st == 0 and got == want, "b: merge %s of %s equals the serial run" % (opts, [os.path.basename(x) for x in order]))
    check_exact("b %s" % [os.path.basename(x) for x in order], got, order)

mark('# c.')
# c. a tree: the 8 merged in pairs into 4 partials, then those merged; and
# three levels deep
mids = []
for j in range(0, NIN, 2):
    m = os.path.join(T, "m%d" % j)
    st, _, err = run("merge", "--partial-out", m, Q, parts[j], parts[j + 1])
    check(st == 0, "c: merge --partial-out of a pair: status %d %s" % (st, err[:200]))
    mids.append(m)
st, got, _ = merge(mids, "--threads=2")
check(st == 0 and got == flat, "c: a tree of merges equals the flat merge")
top = os.path.join(T, "top")
run("merge", "--partial-out", top, Q, mids[0], mids[1])
st, got, _ = merge([top, mids[2], mids[3]])
check(st == 0 and got == flat, "c: a tree three levels deep equals the flat merge")

mark('# d.')
# d. quantiles of one field share one sketch: p50 and p99 of $2 together
# print what each prints alone, from partials (made in two modes) and in
# multiprocess mode
qboth = "split | p50($2), p99($2) by $1"
pboth = [partial(os.path.join(T, "d%d" % i), [p], qboth, mode)
         for i, (p, mode) in enumerate(zip(ins[:2], ["multiprocess", "serial"]))]
st, both, _ = merge(pboth, query=qboth)
check(st == 0 and both == serial(ins[:2], qboth), "d: merge of p50, p99 equals the serial run")
alone = {}
for name in ("p50", "p99"):
    qa = "split | %s($2) by $1" % name
    pa = [partial(os.path.join(T, "d%s%d" % (name, i)), [p], qa) for i, p in enumerate(ins[:2])]
    st, out, _ = merge(pa, query=qa)
    check(st == 0, "d: merge of %s alone" % name)
    alone[name] = {k: r[1] for k, r in rows(out)[1].items()}
bad = [k for k, r in rows(both)[1].items() if [r[1], r[2]] != [alone["p50"].get(k), alone["p99"].get(k)]]
check(len(alone["p50"]) > 2000 and not bad,
      "d: p50, p99 together differ from each alone in %d groups, e.g. %s" % (len(bad), bad[:3]))
st, mp, _ = run("--mode=multiprocess", "--threads=2", "--format=tsv", qboth, *ins[:4])
check(st == 0 and mp == serial(ins[:4], qboth), "d: multiprocess mode equals serial for p50, p99")

mark('# e.')
# e. a byte flipped at 10 places spread over a big partial's groups (and
# its part directory): refused in the many-partials path, naming the file
good = parts[3]
data = open(good, "rb").read()
for n in range(10):
    at = 600 + (len(data) - 601) * n // 9
    bad = os.path.join(T, "damaged")
    with open(bad, "wb") as f:
        f.write(data[:at] + bytes([data[at] ^ 0x5a]) + data[at + 1:])
    others = [parts[0], bad] if n % 2 else [parts[0], parts[1], bad, parts[2]]
    if True:
        st, out, err = run("merge", "--format=tsv", "--threads=2", Q, *others, ok=(2,))
        check(st == 2 and out == b"" and b"damaged" in err,
              "e: byte %d of %d flipped, %d partials: status %d, %d bytes out, said %r"
              % (at, len(data), len(others), st, len(out), err[:200]))

mark('# f.')
# f. one partial given twice: a serial run over its input given twice
st, got, _ = merge([parts[5], parts[5]], "--threads=2")
want = serial([ins[5], ins[5]])
check(st == 0 and got == want, "f: a partial given twice equals the serial run over its input twice")
check_exact("f", got, [ins[5], ins[5]])

mark('rftest.summary()')
rftest.summary()
PY
finish
