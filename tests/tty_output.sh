#!/bin/sh
# SPDX-License-Identifier: MIT
# tty_output.sh - what a person at a terminal sees (issue 21), run through a
# pseudo-terminal (Python's pty module) and read back through a small
# terminal model: the progress bar is gone before the table starts; floats
# show 6 significant digits in tables (--precision N), whole in TSV and in a
# lone answer; columns align by display width (Python's unicodedata says
# how wide); colour with --color and NO_COLOR; an input whose every record
# is rejected fails loudly; --stats in binary units on a terminal.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || { echo "skip: python3 not installed"; exit 77; }

py_checks <<'PY'
import json, os, pty, re, select, subprocess, sys, gzip
from rftest import check, run, summary, setup, char_width

T, RF = setup(sys.argv)


def on_tty(args, env=None):
    """ringflow with stdout and stderr on one pseudo-terminal (as a person
    runs it): its exit status and everything the terminal got."""
    master, slave = pty.openpty()
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update(env or {})
    p = subprocess.Popen([RF] + args, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=e)
    os.close(slave)
    got = bytearray()
    while True:
        r, _, _ = select.select([master], [], [], 60)
        if not r:
            break
        try:
            b = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not b:
            break
        got += b
    os.close(master)
    return p.wait(), bytes(got)


def screen(b):
    """The lines a terminal shows for b: CR to the line's start, ESC [ K
    erases to its end, other escape sequences (colour) draw nothing."""
    lines, cur, col = [], bytearray(), 0
    i = 0
    while i < len(b):
        c = b[i]
        if c == 0x1b:
            m = re.compile(rb"\x1b\[[0-9;]*([A-Za-z])").match(b, i)
            if m and m.group(1) == b"K":
                del cur[col:]
            i = m.end() if m else i + 1
            continue
        if c == 0x0d:
            col = 0
        elif c == 0x0a:
            lines.append(bytes(cur))
            cur, col = bytearray(), 0
        else:
            cur[col:col + 1] = bytes([c])
            col += 1
        i += 1
    if cur:
        lines.append(bytes(cur))
    return lines


def width(text):
    return sum(char_width(ch) for ch in text)


# ---- 1. the progress bar is erased before the first output to the terminal --
big = T + "/big.json"
with open(big, "w") as f:
    for i in range(60000):
        f.write('{"k":"key%d","v":%d,"pad":"%s"}\n' % (i % 3, i, "x" * 40))
for q in ["parse json | count by k", "parse json | where v < 3 | select k, v"]:
    for mode in ["serial", "parallel"]:
        st, out = on_tty(["--progress", "--buffer-size=64K", "--mode=" + mode, q, big])
        lines = [l for l in screen(out) if l.strip()]
        check(st == 0, "progress, %s, %s: exit status %d" % (mode, q, st))
        check(b"%" in out or b"GB" in out, "progress, %s, %s: no bar was drawn: %r" % (mode, q, out[:200]))
        head = [b"k", b"count" if "count" in q else b"v"]
        check(lines and lines[0].split() == head,
              "progress, %s, %s: the first line on the screen is %r, not the header" % (mode, q, lines[:2]))
        check(not any(b"GB" in l for l in lines), "progress, %s, %s: the bar is left on the screen" % (mode, q))

# ---- 2. floats: 6 significant digits in tables, --precision N, whole in TSV --
vals = {"a": [1, 1, 2], "b": [1234567, 1234568, 1234568], "c": [0.001, 0.002, 0.002], "d": [10, 20, 21]}
with open(T + "/f.json", "w") as f:
    for k, vs in vals.items():
        for v in vs:
            f.write(json.dumps({"k": k, "v": v}) + "\n")
means = {k: sum(vs) / len(vs) for k, vs in vals.items()}
for prec in [None, 3, 10]:
    args = (["--precision=%d" % prec] if prec else []) + ["parse json | avg(v) by k", T + "/f.json"]
    st, out, err = run(args)
    rows = [l.split() for l in out.decode().splitlines()[1:]]
    check(st == 0 and len(rows) == 4, "precision %s: %d %r" % (prec, st, out))
    for k, shown in rows:
        x, digits = means[k], prec or 6
        check("e" not in shown, "precision %s: %s shown with an exponent: %s" % (prec, k, shown))
        if abs(x) >= 10 ** digits:  # the integer part stays whole
            check(float(shown) == round(x), "precision %s: %s = %r shown as %s" % (prec, k, x, shown))
        else:
            check(float(shown) == float("%.*g" % (digits, x)),
                  "precision %s: %s = %r shown as %s, not %.*g" % (prec, k, x, shown, digits, x))
st, out, err = run(["--format=tsv", "parse json | avg(v) by k", T + "/f.json"])
got = {l.split("\t")[0]: float(l.split("\t")[1]) for l in out.decode().splitlines()[1:]}
check(got == means, "tsv keeps the whole float: %r vs %r" % (got, means))
st, out, err = run(["parse json | where k == \"a\" | avg(v)", T + "/f.json"])
check(float(out) == means["a"], "a lone answer is whole: %r vs %r" % (out, means["a"]))
for bad in ["0", "18", "x", "-1", ""]:
    st, out, err = run(["--precision=" + bad, "count", T + "/f.json"])
    check(st == 2 and b"--precision" in err, "--precision=%s: %d %r" % (bad, st, err))

# ---- 3. columns by display width -------------------------------------------
keys = ["\u65e5\u672c\u8a9e", "e\u0301t\u00e9", "abc", "\uff46\uff55\uff4c\uff4c", "\ud55c\uae00x",
        "na\u0308ive\u0300", "\U0001f600"]
with open(T + "/w.json", "wb") as f:
    for n, k in enumerate(keys):
        for _ in range(n + 1):
            f.write(json.dumps({"k": k, "v": "v%d" % n}, ensure_ascii=False).encode() + b"\n")
st, out, err = run(["parse json | count by k", T + "/w.json"])
lines = out.decode().splitlines()
check(st == 0 and len(lines) == len(keys) + 1, "width: %d %r" % (st, out))
check(len({width(l) for l in lines}) == 1,
      "width: the lines of count by k are not equally wide: %r" % [(l, width(l)) for l in lines])
# a streamed select: the header stands over the rows
st, out, err = run(["parse json | select k, v", T + "/w.json"])
lines = out.decode().splitlines()
last = ["v"] + [l.rsplit(" ", 1)[-1] for l in lines[1:]]
starts = {width(l[:len(l) - len(t)]) for l, t in zip(lines, last)}
check(st == 0 and len(starts) == 1, "width: select's second column starts at columns %r: %r" % (starts, lines[:4]))

# ---- 4. colour ----------------------------------------------------------------
sgr = re.compile(rb"\x1b\[[0-9;]*m")
plain_st, plain, _ = run(["--color=never", "parse json | count by k", T + "/f.json"])
st, col, _ = run(["--color=always", "parse json | count by k", T + "/f.json"])
check(sgr.search(col.split(b"\n")[0]) and not sgr.search(b"\n".join(col.split(b"\n")[1:])),
      "colour: --color=always colours the header alone: %r" % col)
check(sgr.sub(b"", col) == plain, "colour: without its colour the table is the same")
st, out, _ = run(["parse json | count by k", T + "/f.json"])
check(out == plain, "colour: auto, not a terminal: no colour")
st, out, _ = run(["--color=always", "--format=tsv", "parse json | count by k", T + "/f.json"])
check(not sgr.search(out), "colour: never in tsv")
for env, want in [({}, True), ({"NO_COLOR": "1"}, False), ({"NO_COLOR": ""}, True)]:
    st, out = on_tty(["parse json | count by k", T + "/f.json"], env)
    check(bool(sgr.search(out)) == want, "colour: auto on a terminal with %r: %r" % (env, out[:80]))
    st, out = on_tty(["parse json | cont by k", T + "/f.json"], env)
    caret = re.search(rb"\n *(\x1b\[[0-9;]*m)?\^", out)
    check(st == 2 and caret and bool(caret.group(1)) == want, "colour: query caret with %r: %r" % (env, out))
st, out = on_tty(["--color=never", "parse json | cont by k", T + "/f.json"])
check(not sgr.search(out), "colour: --color=never on a terminal")
st, out, err = run(["--color=sometimes", "count", T + "/f.json"])
check(st == 2 and b"--color" in err, "colour: a bad --color: %d %r" % (st, err))

# ---- 5. every record rejected ------------------------------------------------
with open(T + "/f.json.gz", "wb") as f:
    f.write(gzip.compress(open(T + "/f.json", "rb").read()))
with open(T + "/bin", "wb") as f:
    f.write(bytes(range(256)) * 40)
open(T + "/empty", "w").close()
for args, what in [(["--decompress=off", "parse json | count by k", T + "/f.json.gz"], "a gzip file read raw"),
                   (["parse json | count", T + "/bin"], "binary data"),
                   (["parse combined | count", T + "/bin"], "binary data as combined"),
                   (["parse combined | count", T + "/f.json"], "the wrong format")]:
    for mode in ["serial", "parallel", "multiprocess"]:
        st, out, err = run(["--mode=" + mode] + args)
        name = args[-1].encode()
        check(st == 2 and out == b"" and name in err and b"every record" in err,
              "all rejected, %s, %s: exit %d, out %r, err %r" % (what, mode, st, out[:60], err))
st, out, err = run(["parse json | count", T + "/empty"])
check(st == 0 and out.strip() == b"0" and b"every record" not in err, "an empty input: %d %r %r" % (st, out, err))
st, out, err = run(["parse json | count", T + "/bin", T + "/f.json"])
check(st == 0 and out.strip() == b"%d" % sum(map(len, vals.values())) and b"every record" not in err,
      "one all-rejected input beside a good one: %d %r %r" % (st, out, err))
st, out, err = run(["parse json | count", T + "/bin", T + "/empty"])
check(st == 2 and b"every record" in err, "all rejected with an empty input beside: %d %r" % (st, err))
st, out, err = run(["--rejects=" + T + "/rej", "parse json | count", T + "/bin"])
check(st == 0 and b"every record" in err and open(T + "/rej", "rb").read() == open(T + "/bin", "rb").read() + b"\n",
      "all rejected with --rejects: a warning, exit 0: %d %r" % (st, err))

# ---- 6. --stats in binary units on a terminal, raw numbers elsewhere -----------
size = os.path.getsize(big)
st, out = on_tty(["--stats", "count", big])
m = re.search(rb"\n  bytes +([0-9.]+) (B|KiB|MiB|GiB)\r?\n", out)
unit = {b"B": 1, b"KiB": 1024, b"MiB": 1 << 20, b"GiB": 1 << 30}
check(st == 0 and m and abs(float(m.group(1)) * unit[m.group(2)] - size) <= unit[m.group(2)] * 0.05,
      "stats on a terminal: bytes in binary units near %d: %r" % (size, m and m.group(0)))
st, out, err = run(["--stats", "count", big])
m = re.search(rb"\n  bytes +([0-9]+)\n", err)
check(st == 0 and m and int(m.group(1)) == size, "stats on a pipe: bytes raw: %r" % (m and m.group(0)))

summary()
PY
finish
