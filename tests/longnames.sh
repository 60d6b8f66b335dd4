#!/bin/sh
# SPDX-License-Identifier: MIT
# longnames.sh - field names, group keys and values of every length around
# the powers of two from 1 to 70,000 bytes (and 199-201, where the table
# stops widening a column), in ASCII, multibyte UTF-8, control bytes and
# invalid UTF-8, through parse json, logfmt and csv (header names) and split,
# count by, sum, top and select, in every output format and every mode;
# Python computes every answer (cells, JSON values, the table's layout).
# No fixed-size buffer may be indexed by a length that comes from the data:
# long labels stay whole (two with one long prefix are two columns), error
# messages carry a huge name whole or visibly shortened, a long file name is
# named whole in a note, and a number is a number at any length.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || { echo "skip: python3 not installed"; exit 77; }

py_checks <<'PY'
import functools, json, math, os, re, subprocess, sys
from rftest import MODES, FORMATS, check, run, json_value, csv_field, expect, summary, setup

T, RF = setup(sys.argv)

# ---- lengths, names and values ------------------------------------------------
LENS = sorted({1, 2, 3, 199, 200, 201, 70000} |
              {n for k in range(2, 17) for n in (2 ** k - 1, 2 ** k, 2 ** k + 1)})
# name flavours: plain, multibyte UTF-8, control bytes and a backslash
FILL = [b"k", "\u00e9\u20ac\U0001F600".encode(), b"a\x01b\x1bc\\d"]

@functools.lru_cache(maxsize=None)
def make(n, fill, tag):
    """n bytes: the tag, then the fill repeated, cut before a character that
    would not fit whole (and padded with 'z')"""
    out = tag[:n]
    rep = fill * ((n - len(out)) // len(fill) + 1)
    cut = n - len(out)
    while 0 < cut < len(rep) and (rep[cut] & 0xc0) == 0x80:
        cut -= 1
    out += rep[:cut]
    return out + b"z" * (n - len(out))

def name(n, i):
    # the tag keeps names apart; a one- or two-byte name is a letter pair
    tag = b"%c" % (ord("A") + i % 26) + (b"%c" % (ord("a") + i // 26) if n > 1 else b"") + b"_"
    return make(n, FILL[i % 3], tag)

VALUE_FILL = [b"v", "\u00e9\u20ac\U0001F600".encode(), b"x\x01\x1b\x7f", b"\xff\xed\xa0\x80w\xc3", b"q,\"'\\"]
VLENS = [1, 2, 127, 128, 199, 200, 201, 255, 256, 257, 4096, 4097, 65537]
def value(n, i):
    return make(n, VALUE_FILL[i % len(VALUE_FILL)], b"v" if n < 2 else b"v%c" % (ord("a") + i % 26))

def groups(lens, most, budget):
    """the names cut into queries: at most `most` names and `budget` bytes each"""
    out, cur, size = [], [], 0
    for n in lens:
        if cur and (len(cur) == most or size + n > budget):
            out.append(cur)
            cur, size = [], 0
        cur.append(n)
        size += n
    return out + [cur]

def qstr(b):
    return b'"' + b.replace(b"\\", b"\\\\") + b'"'

# ---- what the formats print: tests/rftest.py's model ----------------------------
def compare(what, fmt, out, header, rows, numeric, streaming):
    if fmt != "json":
        want = expect(fmt, header, rows, numeric, streaming)
        if not check(out == want, "%s: %d bytes, want %d" % (what, len(out), len(want))):
            for i, (a, b) in enumerate(zip(out.split(b"\n"), want.split(b"\n"))):
                if a != b:
                    sys.stderr.write("  line %d: %r...\n  want    %r...\n" % (i + 1, a[:160], b[:160]))
                    break
        return
    try:
        got = [json.loads(l) for l in out.decode("utf-8").split("\n")[:-1]]
    except ValueError as e:
        check(False, "%s: not JSON Lines of UTF-8: %s" % (what, e))
        return
    keys = [h.decode("utf-8", "replace") for h in header]
    want = [[json_value(c) for c in r] for r in rows]
    check([list(o.keys()) for o in got] == [keys] * len(rows) and
          [list(o.values()) for o in got] == want, "%s: json differs" % what)

def order_key(k):  # missing first, then text by bytes (no key here reads as a number)
    return tuple((0, b"") if v is None else (1, v) for v in k)

# ---- aggregates: count, sum by keys (and top), through json, logfmt, csv -------
JSON_ESC = [(b"\\", b"\\\\"), (b'"', b'\\"')] + [(bytes([c]), b"\\u%04x" % c) for c in range(32)]
def js(b):
    """a JSON string (JSON's escapes; other bytes, invalid UTF-8 too, as they are)"""
    for a, e in JSON_ESC:
        if a in b:
            b = b.replace(a, e)
    return b'"' + b + b'"'

def encode(parser, names, row):
    if parser == "json":
        return b"{" + b",".join(js(n) + b":" + (js(v) if isinstance(v, bytes) else b"%d" % v)
                               for n, v in zip(names, row) if v is not None) + b"}\n"
    if parser == "logfmt":  # a quoted value has JSON's escapes
        return b" ".join(n + b"=" + (js(v) if isinstance(v, bytes) else b"%d" % v)
                         for n, v in zip(names, row) if v is not None) + b"\n"
    # csv: a missing value is an empty field (an empty string, to csv)
    return b",".join(csv_field(b"" if v is None else v if isinstance(v, bytes) else b"%d" % v)
                     for v in row) + b"\n"

run_no = 0
def runs(i, full):
    """which (mode, format) pairs query i runs in: every format in one mode and
    every mode in one format, turning, so all pairs come up over the queries;
    or (a parser's second look at the same names) two pairs"""
    m, f = MODES[i % 5], FORMATS[i % 4]
    if not full:
        return [(m, f), (MODES[(i + 2) % 5], FORMATS[(i + 1) % 4])]
    return sorted({(m, x) for x in FORMATS} | {(x, f) for x in MODES})

for parser in ["json", "logfmt", "csv"]:
    for gi, lens in enumerate(groups(LENS, 23, 100000)):
        run_no += 1
        ns = [name(n, i) for i, n in enumerate(lens)]
        nkeys = min(8, max(1, len(ns) // 3))
        nkeys = max(nkeys, len(ns) - 15)  # count and 15 sums: the most aggregates
        if len(ns) == 1:
            nkeys = run_no % 2  # one name: a key or a sum
        keys, sums = ns[:nkeys], ns[nkeys:]
        rows = []
        for r in range(7):
            row = []
            for j, k in enumerate(keys):
                if parser != "csv" and (r + j) % 6 == 5:
                    row.append(None)  # the key is absent: the missing group
                else:
                    row.append(value(VLENS[(r * 3 + j) % len(VLENS)], r + j))
            row += [r * 1000 + j for j in range(len(sums))]
            rows.append(row)
        rows += [rows[1], rows[4]]  # groups of two
        path = "%s/agg%d.%s" % (T, run_no, parser)
        with open(path, "wb") as f:
            if parser == "csv":
                f.write(b",".join(csv_field(n) for n in ns) + b"\n")
            f.write(b"".join(encode(parser, ns, r) for r in rows))
        # the oracle: groups by key, ordered; top by the first sum, ties by key
        g = {}
        for r in rows:
            k = tuple((b"" if parser == "csv" and v is None else v) for v in r[:nkeys])
            e = g.setdefault(k, [0] + [0] * len(sums))
            e[0] += 1
            for j in range(len(sums)):
                e[1 + j] += r[nkeys + j]
        ordered = sorted(g, key=order_key)
        use_top = bool(sums) and gi % 2 == 0 and sum(len(n) for n in ns) + len(sums[0]) < 100000
        if use_top:
            ordered = sorted(ordered, key=lambda k: -g[k][1])[:5]
        header = keys + [b"count"] + [b"sum(" + s + b")" for s in sums]
        table = [list(k) + g[k] for k in ordered]
        numeric = [False] * nkeys + [True] * (1 + len(sums))
        q = (b"parse " + parser.encode() + b" | count" + b"".join(b", sum(" + qstr(s) + b")" for s in sums) +
             (b" by " if keys else b"") + b", ".join(qstr(k) for k in keys))
        if use_top:
            q += b" | top 5 by " + qstr(b"sum(" + sums[0] + b")")
        for mode, fmt in runs(run_no, parser == "json"):
            what = "parse %s | count, sum by (names of %s bytes), %s, %s" % (
                parser, ",".join(map(str, lens)) if len(lens) < 4 else "%d..%d" % (lens[0], lens[-1]), mode, fmt)
            st, out, err = run(["--mode=" + mode, "--format=" + fmt, q, path])
            if check(st == 0, "%s: exit status %d: %r" % (what, st, err[:300])):
                compare(what, fmt, out, header, table, numeric, False)

# ---- select: csv header names, json paths; streamed, in input order -------------
for parser in ["csv", "json"]:
    for gi, lens in enumerate(groups(LENS, 64, 100000)):
        run_no += 1
        ns = [name(n, i + 7) for i, n in enumerate(lens)]
        rows = [[value(VLENS[(r + j) % len(VLENS)], r * 5 + j) if (r + j) % 4 else b"" for j in range(len(ns))]
                for r in range(5)]
        path = "%s/sel%d.%s" % (T, run_no, parser)
        with open(path, "wb") as f:
            if parser == "csv":
                f.write(b",".join(csv_field(n) for n in ns) + b"\n")
            f.write(b"".join(encode(parser, ns, r) for r in rows))
        q = b"parse " + parser.encode() + b" | select " + b", ".join(qstr(n) for n in ns)
        for mode, fmt in runs(run_no, parser == "csv"):
            what = "parse %s | select (names of %d..%d bytes), %s, %s" % (parser, lens[0], lens[-1], mode, fmt)
            st, out, err = run(["--mode=" + mode, "--format=" + fmt, q, path])
            if check(st == 0, "%s: exit status %d: %r" % (what, st, err[:300])):
                compare(what, fmt, out, ns, rows, [False] * len(ns), True)

# ---- split: $N values (group keys) of every length -------------------------------
LINES = []
for i, n in enumerate(LENS):
    v = value(n, i).replace(b" ", b"_").replace(b"\t", b"_").replace(b"\n", b"_").replace(b"\r", b"_")
    LINES.append(v + b" " + b"%d" % (i + 1))
LINES += LINES[::7]
with open(T + "/split", "wb") as f:
    f.write(b"\n".join(LINES) + b"\n")
g = {}
for l in LINES:
    k, n = l.split(b" ")
    e = g.setdefault(k, [0, 0])
    e[0] += 1
    e[1] += int(n)
table = [[k] + g[k] for k in sorted(g)]
sel = [l.split(b" ") for l in LINES]
for mode in MODES:
    for fmt in FORMATS:
        what = "split | count, sum($2) by $1 (keys of 1..70000 bytes), %s, %s" % (mode, fmt)
        st, out, err = run(["--mode=" + mode, "--format=" + fmt, "split | count, sum($2) by $1", T + "/split"])
        if check(st == 0, "%s: exit status %d" % (what, st)):
            compare(what, fmt, out, [b"$1", b"count", b"sum($2)"], table, [False, True, True], False)
for mode, fmt in runs(0, True):
    what = "split | select $2, $1, %s, %s" % (mode, fmt)
    st, out, err = run(["--mode=" + mode, "--format=" + fmt, "split | select $2, $1", T + "/split"])
    if check(st == 0, "%s: exit status %d" % (what, st)):
        compare(what, fmt, out, [b"$2", b"$1"], [[r[1], r[0]] for r in sel], [False, False], True)

# ---- two long labels with one prefix are two columns -------------------------------
for n in [255, 256, 4096, 30000]:
    p = make(n, FILL[1], b"P")
    a, b = p + b"a", p + b"b"
    with open(T + "/prefix.json", "wb") as f:
        f.write(b'{"%s":5,"%s":7}\n' % (a, b))
    for mode in MODES:
        st, out, err = run(["--mode=" + mode, "--format=json",
                            b"parse json | sum(" + qstr(a) + b"), sum(" + qstr(b) + b") | select " +
                            qstr(b"sum(" + b + b")") + b", " + qstr(b"sum(" + a + b")"), T + "/prefix.json"])
        want = [{"sum(%s)" % b.decode(): 7, "sum(%s)" % a.decode(): 5}]
        got = [json.loads(l) for l in out.decode("utf-8", "replace").split("\n")[:-1]] if st == 0 else None
        check(got == want and list(got[0]) == list(want[0]),
              "labels with a common prefix of %d bytes, %s: got %r" % (n, mode, (st, out[-80:], err[:200])))

# ---- an error about a huge name: whole, or visibly shortened ------------------------
def one_message(what, st, err, name):
    check(st == 2, "%s: exit status %d, want 2" % (what, st))
    try:
        text = err.decode("utf-8")
    except UnicodeDecodeError as e:
        check(False, "%s: the message is cut inside a UTF-8 character: %s" % (what, e))
        return
    first = text.split("\n")[0]
    check(first.startswith("ringflow: "), "%s: message %r" % (what, first[:100]))
    nm = name.decode()
    m = re.search(r"'(.*)'", first)
    inner = m.group(1) if m else ""
    whole = inner == nm
    cut = re.fullmatch(r"(.*)\[\.\.\. (\d+) bytes left out \.\.\.\](.*)", inner, re.S)
    ok = whole or (cut is not None and nm.startswith(cut.group(1)) and nm.endswith(cut.group(3)) and
                   len(cut.group(1).encode()) + int(cut.group(2)) + len(cut.group(3).encode()) == len(name) and
                   len(cut.group(1)) >= 20)
    check(ok, "%s: the name is neither whole nor visibly shortened: %r" % (what, first[:120] + "..." + first[-120:]))

for n in [256, 4096, 70000]:
    for i in range(3):
        nm = name(n, i + 3).replace(b"\\", b"/")  # the message quotes the name as it was unescaped
        st2, out2, err2 = run([b"split | count by " + qstr(nm), T + "/split"])
        one_message("unknown field of %d bytes (flavour %d)" % (n, i), st2, err2, nm)
        st3, out3, err3 = run([b"parse json | count | select " + qstr(nm), T + "/split"])
        one_message("unknown column of %d bytes (flavour %d)" % (n, i), st3, err3, nm)

# the hint that lists the columns, and the note that names what sums skipped
for n in [300, 4096, 70000]:
    nm = name(n, 4)  # multibyte: a cut inside a character shows
    st, out, err = run([b"parse json | count by " + qstr(nm) + b" | select zz", T + "/prefix.json"])
    hint = [l for l in err.split(b"\n") if l.startswith(b"  hint: ")]
    try:
        h = hint[0].decode("utf-8")[len("  hint: "):] if hint else ""
    except UnicodeDecodeError:
        h = "(not UTF-8)"
    check(st == 2 and (h == "columns: %s count" % nm.decode() or
                       (re.fullmatch(r"columns: (.*)\[\.\.\. \d+ bytes left out \.\.\.\](.*) count", h, re.S) and
                        nm.decode().startswith(h[len("columns: "):h.index("[...")]))),
          "the columns hint with a name of %d bytes: %r" % (n, h[:60] + "..." + h[-60:]))
for n in [300, 1000, 30000]:
    a, b = name(n, 4), name(n, 5)
    st, out, err = run([b"parse json | sum(" + qstr(a) + b"), count, sum(" + qstr(b) + b")", T + "/prefix.json"])
    want = b"ringflow: note: sum(%s): 1 values missing or not numbers, skipped; sum(%s): 1 values missing or not numbers, skipped\n" % (a, b)
    check(st == 0 and want in err, "the skipped-values note names sums of %d bytes whole: %r" % (n, err[-80:]))

# ---- a long file name is named whole ------------------------------------------------
d = T
for part in [b"d" * 250, "\u00e9".encode() * 120, b"f" * 250, b"g" * 250, b"h" * 200]:
    d = os.path.join(d, part.decode())
    os.mkdir(d)
bad = os.path.join(d, "in.json")
with open(bad, "wb") as f:
    f.write(b'{"a":1}\nnot json\n')
for mode in MODES:
    st, out, err = run(["--mode=" + mode, "parse json | count", bad])
    check(st == 0 and ("(first: %s line 2)" % bad).encode() in err,
          "the first rejected line's file of %d bytes, %s: %r" % (len(bad.encode()), mode, err[-200:]))
st, out, err = run(["--strict", "parse json | count", bad])
check(st == 2 and err.startswith(("ringflow: %s: line 2: " % bad).encode()),
      "--strict names the file of %d bytes whole: %r" % (len(bad.encode()), err[:60]))
longrec = os.path.join(d, "long")
with open(longrec, "wb") as f:
    f.write(b"x" * 300000 + b"\nshort\n")
st, out, err = run(["--max-record=100K", "--on-long=skip", "count", longrec])
check(st == 0 and out == b"1\n" and
      ("%s: 1 record longer than --max-record (102400 bytes) skipped; the first at line 1" % longrec).encode() in err,
      "--on-long=skip names the file of %d bytes whole: %r" % (len(longrec.encode()), err[-120:]))
st, out, err = run(["--rejects", os.path.join(d, "no", "such", "dir"), "count", longrec])
check(st == 2 and os.path.join(d, "no").encode() in err,
      "--rejects names its path of %d bytes whole: %r" % (len(d) + 12, err[-100:]))

# ---- a number is a number at any length; a regex has any number of groups -----------
for digits in [64, 65, 300, 4096]:
    big = "1" + "0" * (digits - 1)
    with open(T + "/nums", "w") as f:
        f.write("%s\n-%s\n5\n7\nabc\n" % (big, big))
    for mode in ["serial", "parallel", "multiprocess"]:
        st, out, err = run(["--mode=" + mode, "--format=json", "split | sum($1), max($1), min($1)", T + "/nums"])
        got = [json.loads(l) for l in out.decode().split("\n")[:-1]] if st == 0 else None
        # past 128 bits an integer is a double; past 308 digits infinity
        near = lambda x, y: isinstance(x, (int, float)) and math.isclose(x, y, rel_tol=1e-15)
        check(got is not None and len(got) == 1 and
              (digits > 308 or (got[0]["sum($1)"] == 12 and near(got[0]["max($1)"], float(big)) and
                                near(got[0]["min($1)"], -float(big)))) and
              (digits <= 308 or (got[0]["max($1)"] == "inf" and got[0]["min($1)"] == "-inf")),
              "%d-digit numbers, %s: %r" % (digits, mode, got and str(got)[:200]))
        st, out, err = run(["--mode=" + mode, "--format=tsv", "split | count by $1", T + "/nums"])
        got = [l.split(b"\t")[0] for l in out.split(b"\n")[1:-1]]
        check(got == [b"-" + big.encode(), b"5", b"7", big.encode(), b"abc"],
              "%d-digit keys sort as numbers, %s: %r" % (digits, mode, [x[:12] for x in got]))
pat = "".join("(?<g%d>[a-z])" % i for i in range(100))
line = "abcdefghijklmnopqrstuvwxyz" * 4
with open(T + "/re", "w") as f:
    f.write(line + "\n")
st, out, err = run(["--format=tsv", 'parse regex "%s" | count by g3, g64, g69, g99' % pat, T + "/re"])
check(st == 0 and out == b"g3\tg64\tg69\tg99\tcount\nd\tm\tr\tv\t1\n",
      "parse regex with 100 named groups: %r" % ((st, out, err[:200]),))

# ---- ringflow-trace: a PATH entry too long for PATH_MAX is no match ---------------
# (a candidate cut at 4095 bytes named another file: d/ring, not d/ringflow)
TRACE = os.environ.get("TRACE", "")
if os.access(TRACE, os.X_OK) and os.geteuid() == 0:
    d = T + "/p"
    while len(d) < 4090 - 200:
        d += "/" + "p" * 200
    d += "/" + "p" * (4090 - len(d) - 1)
    os.makedirs(d)
    with open(d + "/ring", "w") as f:
        f.write("#!/bin/sh\ntouch %s/wrong\n" % T)
    os.chmod(d + "/ring", 0o755)
    def trace(path):
        env = dict(os.environ, PATH=path + os.path.dirname(os.fsdecode(RF)) + ":/usr/bin:/bin")
        return subprocess.run([TRACE, "--", "ringflow", "count", "/dev/null"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=120)
    if trace("").returncode == 0:  # tracing works here
        p = trace(d + ":")
        check(p.returncode == 0 and p.stdout == b"0\n" and not os.path.exists(T + "/wrong"),
              "ringflow-trace with a PATH entry of %d bytes: status %d, %r" % (len(d), p.returncode, p.stderr[-200:]))

summary()
PY
finish
