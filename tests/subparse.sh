#!/bin/sh
# SPDX-License-Identifier: MIT
# subparse.sh - `parse FORMAT from FIELD`: a second parse of a field the
# first one made (JSON logs whose message is logfmt, access logs whose agent
# or path holds more).  The oracle is Python's json module and a logfmt
# reader written here; every mode gives serial's bytes.  Also --strict with
# a record cut off: refused (it is kept, and counted, without --strict).
. "${SRCDIR:-.}/tests/lib.sh"

py_checks <<'EOF'
import json, random, re, sys
from collections import Counter, defaultdict
import rftest
from rftest import check, run, MODES
T, RF = rftest.setup(sys.argv)

random.seed(16)
LOGFMT = re.compile(r'([A-Za-z_][A-Za-z0-9_.]*)=("(?:[^"\\]|\\.)*"|[^ ]*)')

def logfmt(s):
    """key=value pairs, values unquoted; None when s is not logfmt"""
    out, pos = {}, 0
    s = s.strip(" ")
    while pos < len(s):
        m = LOGFMT.match(s, pos)
        if not m:
            return None
        v = m.group(2)
        if v.startswith('"'):
            v = v[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out[m.group(1)] = v
        pos = m.end()
        while pos < len(s) and s[pos] == " ":
            pos += 1
    return out

users = ["bob", "al", "eve", "x y", 'q"t']
lines, recs = [], []
for i in range(4000):
    top = {"level": random.choice(["info", "warn", "error"]), "n": i}
    kind = random.random()
    if kind < 0.7:
        u = random.choice(users)
        uq = '"%s"' % u.replace('"', '\\"') if (" " in u or '"' in u) else u
        parts = ["user=%s" % uq, "ms=%d" % random.randint(0, 500)]
        if random.random() < 0.3:
            parts.append("level=%s" % random.choice(["debug", "fatal"]))
        random.shuffle(parts)
        top["message"] = " ".join(parts)
    elif kind < 0.85:
        top["message"] = 'broken "quote'
    # else: no message at all
    lines.append(json.dumps(top))
    recs.append(top)
path = T + "/app.json"
with open(path, "w") as f:
    f.write("\n".join(lines) + "\n")

def inner(r):
    return logfmt(r["message"]) if "message" in r else None

# count, sum(ms) by user, level: level is the message's when it has one,
# else the JSON's; records whose message is not logfmt are rejected
want = defaultdict(lambda: [0, 0])
rejected = 0
for r in recs:
    m = inner(r)
    if m is None:
        rejected += 1
        continue
    key = (m.get("user", ""), m.get("level", r["level"]))
    want[key][0] += 1
    want[key][1] += int(m["ms"])
rows = sorted("%s\t%s\t%d\t%d" % (k[0], k[1], v[0], v[1]) for k, v in want.items())
q = "parse json | parse logfmt from message | count, sum(ms) by user, level"
outs = {}
for mode in MODES:
    st, out, err = run(["--mode=" + mode, "--format=tsv", q, path])
    check(st == 0, "%s: status %d %r" % (mode, st, err[:300]))
    got = out.decode().splitlines()
    check(got[0] == "user\tlevel\tcount\tsum(ms)", "%s: header %r" % (mode, got[:1]))
    check(sorted(got[1:]) == rows, "%s: rows differ: %r vs %r" % (mode, sorted(got[1:])[:4], rows[:4]))
    check(b"%d records had a field" % rejected in err, "%s: reject note %r" % (mode, err[:300]))
    outs[mode] = out
check(len(set(outs.values())) == 1, "every mode gives serial's bytes")

# a stage before the second parse sees the first parse's value
want = Counter()
for r in recs:
    if r["level"] != "info":
        continue
    m = inner(r)
    if m is None:
        continue
    want[m.get("level", "info")] += 1
st, out, err = run(["--format=tsv", 'parse json | where level == "info" | parse logfmt from message | count by level',
                    path])
got = sorted(out.decode().splitlines()[1:])
check(got == sorted("%s\t%d" % kv for kv in want.items()), "where before the second parse: %r" % got)

# nodrop: a message that is not logfmt keeps its record, fields missing
want = Counter()
for r in recs:
    m = inner(r) or {}
    want[m.get("user", "")] += 1
st, out, err = run(["--format=tsv", "parse json | parse logfmt from message nodrop | count by user", path])
got = sorted(out.decode().splitlines()[1:])
check(got == sorted("%s\t%d" % kv for kv in want.items()), "nodrop: %r" % got[:5])
check(b"could not read" not in err, "nodrop: nothing rejected %r" % err[:200])

# the rejects file holds exactly the records the second parse refused
st, out, err = run(["--rejects", T + "/rej", "parse json | parse logfmt from message | count", path])
with open(T + "/rej") as f:
    rej = f.read().splitlines()
check(rej == [l for l, r in zip(lines, recs) if inner(r) is None], "rejects file: %d lines" % len(rej))

# a second parse of an access log's field: the query string in the path
cl = T + "/access.log"
with open(cl, "w") as f:
    for i in range(500):
        f.write('10.0.0.%d - - [10/Oct/2026:13:55:%02d +0000] "GET /a?x HTTP/1.1" 200 %d "-" "k=v%d"\n'
                % (i % 7, i % 60, i, i % 3))
st, out, err = run(["--format=tsv", "parse combined | parse logfmt from agent | count, sum(bytes) by k", cl])
want = defaultdict(lambda: [0, 0])
for i in range(500):
    want["v%d" % (i % 3)][0] += 1
    want["v%d" % (i % 3)][1] += i
check(sorted(out.decode().splitlines()[1:]) == sorted("%s\t%d\t%d" % (k, v[0], v[1]) for k, v in want.items()),
      "combined then logfmt from agent: %r" % out[:200])

# queries that cannot work are refused with status 2
for q, msg in [("parse logfmt from message | count", b"reads a field an earlier parse made"),
               ("parse json | parse csv from message | count", b"cannot read a field"),
               ("parse json | parse logfmt from | count", b"expected a field"),
               ("parse json | parse logfmt | count", b"only one parse stage per query reads the record"),
               ("parse json | count | parse logfmt from message", b"cannot follow an aggregate"),
               ("parse combined | parse logfmt from nosuch | count", b"no field 'nosuch'"),
               ("parse json | parse auto from message | count", b"parse auto reads whole inputs")]:
    st, out, err = run([q, cl])
    check(st == 2 and msg in err, "%s: status %d %r" % (q, st, err[:300]))

# --strict: a record cut off is refused, not kept
cut = T + "/cut.log"
with open(cut, "w") as f:
    f.write('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 12 "ref"\n')
st, out, err = run(["parse combined | count", cut])
check(st == 0 and out.split() == [b"1"] and b"ended early" in err, "cut off kept: %r %r" % (out, err))
for mode in MODES:
    st, out, err = run(["--strict", "--mode=" + mode, "parse combined | count", cut])
    check(st == 2 and b"line 1: cut off" in err, "%s: --strict refuses a cut-off record: %d %r" % (mode, st, err))
csvp = T + "/cut.csv"
with open(csvp, "w") as f:
    f.write('a,b\n1,"open\n')
st, out, err = run(["--strict", "parse csv | count", csvp])
check(st == 2 and b"cut off" in err, "--strict, csv with an open quote at the end: %d %r" % (st, err))
rftest.summary()
EOF
finish
