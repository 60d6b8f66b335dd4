#!/bin/sh
# SPDX-License-Identifier: MIT
# lang2.sh - the expression language (issue 15) against independent
# oracles: Python (the combined lines read with a regex, every answer
# computed anew), gawk, Miller (mlr), datamash and SQLite (the sqlite3
# CLI over the same fields loaded as a table).  Arithmetic (int, float,
# `/` always a float, `%` with C's sign, division by zero is null, 64-bit
# overflow becomes a float), comparisons by type (times across a month
# boundary in combined format, addresses in CIDR blocks, numbers and text),
# `in`, `is null`, if/coalesce, the string and URL functions, eval, aggregate
# arguments and keys as expressions, arithmetic over aggregates with `as`,
# HAVING, the new aggregates, time ranges, record sort, and the bare-word
# error.  Every query runs in every mode and must give serial's bytes.
# Inputs: a generated access log that crosses from October into November,
# a hand-made untidy one (a line cut after its status, `-` bytes, numbers
# past 64 bits, odd URLs, IPv6 clients, another zone) and JSON lines (null,
# missing and empty values, 2^63 - 1, negative operands).
. "${SRCDIR:-.}/tests/lib.sh"

if ! command -v python3 > /dev/null 2>&1; then
	echo "python3 not found: skipped"
	exit 77
fi

# 23:59:50 UTC on October 31: the log runs into November 1, where the
# combined-log time text "01/Nov" sorts before "31/Oct" as bytes
start=$(python3 -c 'import calendar; print(calendar.timegm((2026, 10, 31, 23, 59, 50)))')
"$LOGGEN" --size 2M --seed 15 --start "$start" > "$T/access.log" || exit 99

py_checks <<'PY'
import calendar, datetime as dt, ipaddress, json, math, os, re, shutil, subprocess, sys
import urllib.parse
import rftest
from rftest import check

T, RF = rftest.setup(sys.argv)
MODES = rftest.MODES
LOG, UNTIDY, APP = T + "/access.log", T + "/untidy.log", T + "/app.jsonl"
UTC = dt.timezone.utc

# ---- the hand-made inputs -------------------------------------------------------
untidy = [
    '2001:db8::1 - - [31/Oct/2026:23:59:58 +0000] "GET /a?x=1&q=hello+world%21 HTTP/1.1" 200 - "https://sub.example.com:8080/p/q?utm=1#frag" "curl/8.5.0"',
    '::1 - alice [31/Oct/2026:23:59:59 +0000] "POST /api/v1/items HTTP/1.1" 500 99999999999999999999 "-" "Mozilla/5.0"',
    '10.1.2.3 - - [01/Nov/2026:00:00:00 +0000] "GET / HTTP/1.1" 404 12 "http://host.test/x/y.html" "bot"',
    '10.200.0.9 - - [01/Nov/2026:00:00:01 +0000] "GET /search?q=a%20b&lang=en HTTP/1.1" 200 0 "not a url" "Mozilla/5.0"',
    '192.168.1.20 - bob [01/Nov/2026:00:00:02 +0000] "DELETE /api/v1/items/7 HTTP/1.1" 503 18446744073709551615 "https://example.com/?a=1&b=%2Fx" "curl/8.5.0"',
    '2001:db8:ffff::2 - - [01/Nov/2026:00:00:03 +0000] "GET /caf%C3%A9 HTTP/2.0" 301 120 "https://www.example.org" "Mozilla/5.0"',
    '172.16.5.4 - - [01/Nov/2026:00:00:04 +0000] "HEAD /health HTTP/1.1" 200 - "-" "kube-probe/1.29"',
    '8.8.8.8 - - [01/Nov/2026:00:00:05 -0100] "GET /tz HTTP/1.1" 200 77 "-" "x"',
    '10.9.9.9 - - [01/Nov/2026:00:00:06 +0000] "GET /cut?q=z HTTP/1.1" 302',
]
with open(UNTIDY, "w") as f:
    f.write("\n".join(untidy) + "\n")

app = []
levels = ["info", "info", "info", "warn", "error"]
paths = ["/api/users", "/api/orders", "/Checkout/Pay", " /padded ", "/caf\u00e9", "/api/users/42?x=1"]
base = calendar.timegm((2026, 11, 1, 4, 30, 0))   # 00:30 EDT: the New York clocks go back at 06:00 UTC
for i in range(1200):
    r = {"ts": base + i * 11, "level": levels[(i * 7) % 5], "path": paths[(i * 5) % 6],
         "ms": round(((i * 37) % 1000) * 1.25 + (i % 3) * 0.5, 2), "bytes": (i * 7919) % 50000,
         "a": (i % 31) - 15, "b": (i % 7) - 3, "f": ((i % 13) - 6) * 1.25,
         "url": "https://shop.example.com/p/%d?id=%d&tag=a+b%%21" % (i % 9, i % 4)}
    if i % 10 == 0:
        r["user"] = None
    elif i % 10 == 1:
        r["user"] = ""
    elif i % 10 != 2:
        r["user"] = "u%d" % (i % 17)
    app.append(r)
app.append({"ts": base + 99999, "level": "error", "path": "/big", "ms": 1, "bytes": 0,
            "a": 9223372036854775807, "b": 0, "f": 7.5, "url": "https://big.example.com/x"})
with open(APP, "w") as f:
    for r in app:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")

# ---- the Python oracle's reading of a combined log ------------------------------
LINE = re.compile(r'^(\S+) (\S+) (\S+) \[([^\]]*)\] "(\S+) (\S+) (\S+)" (\d{3})(?: (\S+) "([^"]*)" "([^"]*)")?$')
NAMES = ["ip", "ident", "user", "time", "method", "path", "protocol", "status", "bytes", "referer", "agent"]


def read_log(path):
    recs = []
    for line in open(path, encoding="utf-8"):
        m = LINE.match(line.rstrip("\n"))
        assert m, line
        r = dict(zip(NAMES, m.groups()))
        if r["bytes"] == "-":
            r["bytes"] = "0"
        r["t"] = dt.datetime.strptime(r["time"], "%d/%b/%Y:%H:%M:%S %z")
        r["line"] = line.rstrip("\n")
        recs.append(r)
    return recs


LOGR, UNR = read_log(LOG), read_log(UNTIDY)
N = len(LOGR)


def num(s):
    """A field's text as a number, or None (the spec's null)."""
    if s is None:
        return None
    if re.fullmatch(r"[+-]?[0-9]+", s):
        return int(s)
    try:
        v = float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


# ---- running ringflow: every mode, serial's bytes -------------------------------
def tsv_rows(out):
    def cell(c):
        return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), c)
    lines = out.decode("utf-8", "replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [[cell(c) for c in l.split("\t")] for l in lines]


def rf(query, path, what, opts=(), fmt="tsv", modes=MODES):
    """The rows (header first) ringflow prints in serial mode, or None when it
    failed; every other mode must print the same bytes."""
    args = ["--buffer-size=64K", "--format=" + fmt] + list(opts) + [query, path]
    st, out, err = rftest.run(["--mode=serial"] + args)
    if not check(st == 0, "%s: %s: exit %d: %s" % (what, query, st, err[:300].decode("utf-8", "replace"))):
        return None
    for m in modes:
        if m == "serial":
            continue
        st2, out2, err2 = rftest.run(["--mode=" + m] + args)
        check(st2 == 0 and out2 == out, "%s: --mode=%s printed other bytes than serial (exit %d) %s"
              % (what, m, st2, err2[:200].decode("utf-8", "replace")))
    return out if fmt != "tsv" else tsv_rows(out)


class Time:
    """A time cell: any RFC 3339 spelling of this instant."""
    def __init__(self, t):
        self.t = t


def norm(c):
    """A printed cell as a comparable value: times as instants."""
    if isinstance(c, Time):
        return ("t", c.t.timestamp())
    if isinstance(c, dt.datetime):
        return ("t", c.timestamp())
    if isinstance(c, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", c):
        return ("t", dt.datetime.fromisoformat(c.replace("Z", "+00:00")).timestamp())
    return c


def same(got, want):
    if want is None:
        return got == ""
    if isinstance(want, bool):
        return got == ("true" if want else "false")
    if isinstance(want, int):
        return got == str(want)
    if isinstance(want, float):
        g = num(got) if got not in ("inf", "-inf") else float(got)
        return g is not None and (g == want or abs(g - want) <= 1e-9 * abs(want))
    if isinstance(want, (Time, dt.datetime)):
        return norm(got) == norm(want)
    return got == want


def keystr(k):
    """A key as it prints: null empty, booleans as words, integers as digits."""
    if k is None:
        return ""
    if isinstance(k, bool):
        return "true" if k else "false"
    if isinstance(k, int):
        return str(k)
    return k


def show(c):
    return c.t.isoformat() if isinstance(c, Time) else repr(c)


def check_rows(what, rows, want, header=None, keys=0):
    """rows (header first) against want: a list in order, or with keys > 0
    a dict from key tuples (their printed forms) to the other cells."""
    if rows is None:
        return
    if header is not None:
        check(rows[0] == header, "%s: header %r, want %r" % (what, rows[0], header))
    body = rows[1:]
    if keys:
        got = {}
        for r in body:
            got[tuple(norm(c) for c in r[:keys])] = r[keys:]
        want = {tuple(norm(keystr(k)) for k in (k if isinstance(k, tuple) else (k,))): v if isinstance(v, list) else [v]
                for k, v in want.items()}
        if not check(set(got) == set(want), "%s: groups %s, want %s" % (what, sorted(map(str, got))[:8], sorted(map(str, want))[:8])):
            return
        bad = [k for k in want if len(got[k]) != len(want[k]) or not all(same(g, w) for g, w in zip(got[k], want[k]))]
        check(not bad, "%s: %d groups differ, e.g. %s: got %r, want %s" % (what, len(bad), bad[:1], bad and got[bad[0]],
              bad and [show(c) for c in want[bad[0]]]))
    else:
        ok = len(body) == len(want) and all(len(r) == len(w) and all(same(g, x) for g, x in zip(r, w)) for r, w in zip(body, want))
        if not ok:
            i = next((i for i, (r, w) in enumerate(zip(body, want)) if len(r) != len(w) or not all(same(g, x) for g, x in zip(r, w))),
                     min(len(body), len(want)))
            check(False, "%s: %d rows, want %d; row %d: got %r, want %s" % (what, len(body), len(want), i,
                  body[i] if i < len(body) else None, [show(c) for c in want[i]] if i < len(want) else None))
        else:
            check(True, what)


def count_of(what, rows, want):
    """A single-number answer."""
    if rows is not None:
        check(len(rows) == 2 and same(rows[1][0], want), "%s: got %r, want %r" % (what, rows[1:], want))


def group(recs, key, val=lambda r: 1, agg=sum):
    g = {}
    for r in recs:
        g.setdefault(key(r), []).append(val(r))
    return {k: agg(v) for k, v in g.items()}


def c_div(a, b):
    return None if b == 0 else a / b


def c_mod(a, b):
    if b == 0:
        return None
    if isinstance(a, int) and isinstance(b, int):
        return int(math.fmod(a, b)) if abs(a) < 2**52 else a - b * int(a / b)
    return math.fmod(a, b)


def tool(cmd, stdin=""):
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=True).stdout


# =================================================================================
# Arithmetic (lead: engine/expr.c)
# =================================================================================
P = "parse combined | "
count_of("where bytes * 2 + 1 > 10001", rf(P + "where bytes * 2 + 1 > 10001 | count", LOG, "arith"),
         sum(1 for r in LOGR if int(r["bytes"]) * 2 + 1 > 10001))
count_of("where bytes/1024 > 2.5 (bare word split at /)", rf(P + "where bytes/1024 > 2.5 | count", LOG, "div"),
         sum(1 for r in LOGR if int(r["bytes"]) / 1024 > 2.5))
count_of("where status / 100 == 4 (/ gives a float)", rf(P + "where status / 100 == 4 | count", LOG, "float div"),
         sum(1 for r in LOGR if int(r["status"]) / 100 == 4))
count_of("where -bytes < -5000 (unary minus)", rf(P + "where -bytes < -5000 | count", LOG, "unary"),
         sum(1 for r in LOGR if -int(r["bytes"]) < -5000))
count_of("where (bytes + 1) * (status - 199) > 900000 (parentheses)",
         rf(P + "where (bytes + 1) * (status - 199) > 900000 | count", LOG, "parens"),
         sum(1 for r in LOGR if (int(r["bytes"]) + 1) * (int(r["status"]) - 199) > 900000))
count_of("where bytes / 0 is null (division by zero)", rf(P + "where bytes / 0 is null | count", LOG, "div0"), N)
count_of("where bytes % 0 is null", rf(P + "where bytes % 0 is null | count", LOG, "mod0"), N)
# gawk's % truncates like C
want = tool(["gawk", '$10 % 7 == 3 { n++ } END { print n + 0 }', LOG]).strip()
count_of("where bytes % 7 == 3 vs gawk", rf(P + "where bytes % 7 == 3 | count", LOG, "mod"), int(want))

# eval: ints stay ints, / is a float, % with C's sign, fmod, overflow to a float, null
rows = rf("parse json | eval q = a / b, r = a % b, fr = f % 2, s = a + b, p = a * b, m = -a - 1 | select a, b, q, r, fr, s, p, m",
          APP, "eval arithmetic")
want = []
for r in app:
    a, b, f = r["a"], r["b"], r["f"]
    s, p, m = a + b, a * b, -a - 1
    ovf = lambda v: float(v) if not -2**63 <= v < 2**63 else v
    want.append([a, b, c_div(a, b), c_mod(a, b), math.fmod(f, 2), ovf(s), ovf(p), ovf(m)])
check_rows("eval a / b, a % b, f % 2, a + b, a * b, -a - 1 (json)", rows, want,
           header=["a", "b", "q", "r", "fr", "s", "p", "m"])
rows = rf("parse json | where a > 9000000000000000000 | eval x = a + 1, y = a * 3, z = a - 1 | select x, y, z", APP, "overflow")
check_rows("int overflow becomes a float", rows, [[float(2**63), float(3 * (2**63 - 1)), 2**63 - 2]])
rows = rf(P + "eval half = bytes / 2, dbl = bytes * 2, k = bytes % 1000 | select bytes, half, dbl, k | head 200", LOG, "eval bytes")
check_rows("eval over combined fields", rows,
           [[int(r["bytes"]), int(r["bytes"]) / 2, int(r["bytes"]) * 2, int(r["bytes"]) % 1000] for r in LOGR[:200]])
# huge numbers in the untidy log read as numbers (past 64 bits: floats)
count_of("untidy: where bytes > 1e19", rf(P + "where bytes > 1e19 | count", UNTIDY, "huge"),
         sum(1 for r in UNR if num(r["bytes"]) is not None and num(r["bytes"]) > 1e19))
rows = rf(P + "eval h = bytes * 2 | select h", UNTIDY, "huge eval")
check_rows("untidy: bytes * 2 (past 64 bits a float)", rows,
           [[None if num(r["bytes"]) is None else (lambda v: float(v) if abs(v) >= 2**63 else v)(num(r["bytes"]) * 2)]
            for r in UNR])

# =================================================================================
# Comparisons by type (lead; time literals and --tz: H-time's parsing)
# =================================================================================
nov1 = dt.datetime(2026, 11, 1, tzinfo=UTC)
count_of("time >= 2026-11-01 across the month boundary (as instants, not bytes)",
         rf(P + "where time >= 2026-11-01 | count", LOG, "time literal"), sum(1 for r in LOGR if r["t"] >= nov1))
# gawk's mktime as a second oracle
gawk_t = r'''BEGIN { split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", mn, " "); for (i = 1; i <= 12; i++) m[mn[i]] = i }
{ split(substr($4, 2), a, "[/:]"); t = mktime(a[3] " " m[a[2]] " " a[1] " " a[4] " " a[5] " " a[6], 1)
  if (t >= mktime("2026 11 01 00 00 05", 1) && t < mktime("2026 11 01 00 00 20", 1)) n++ } END { print n + 0 }'''
want = int(tool(["gawk", gawk_t, LOG]).strip())
count_of("time in [00:00:05, 00:00:20) vs gawk mktime",
         rf(P + "where time >= 2026-11-01T00:00:05 and time < 2026-11-01T00:00:20 | count", LOG, "time range where"), want)
count_of("quoted time literal (combined form) against a time",
         rf(P + 'where time >= time("01/Nov/2026:00:00:05 +0000") | count', LOG, "quoted time"),
         sum(1 for r in LOGR if r["t"] >= nov1 + dt.timedelta(seconds=5)))
count_of("time - time > 10s (durations)", rf(P + "where time - 2026-10-31T23:59:55 > 10s | count", LOG, "duration"),
         sum(1 for r in LOGR if (r["t"] - dt.datetime(2026, 10, 31, 23, 59, 55, tzinfo=UTC)).total_seconds() > 10))
count_of("time + 1m > literal", rf(P + "where time + 1m >= 2026-11-01T00:01:00 | count", LOG, "time + dur"),
         sum(1 for r in LOGR if r["t"] + dt.timedelta(minutes=1) >= dt.datetime(2026, 11, 1, 0, 1, tzinfo=UTC)))
count_of("untidy: a -0100 zone compares as an instant", rf(P + "where time > 2026-11-01T01:00:04 | count", UNTIDY, "zone"),
         sum(1 for r in UNR if r["t"] > dt.datetime(2026, 11, 1, 1, 0, 4, tzinfo=UTC)))
count_of("--tz +02:00: a bare time literal is local", rf(P + "where time >= 2026-11-01T02:00:05 | count", LOG, "tz literal",
         opts=["--tz", "+02:00"]), sum(1 for r in LOGR if r["t"] >= nov1 + dt.timedelta(seconds=5)))

# addresses
top8 = group(LOGR, lambda r: r["ip"].split(".")[0] + ".0.0.0/8")
net = max(top8, key=lambda k: (top8[k], k))
one = LOGR[7]["ip"]
def in_nets(ip, nets):
    a = ipaddress.ip_address(ip)
    return any(a == ipaddress.ip_address(n) if "/" not in n else a in ipaddress.ip_network(n) for n in nets
               if (":" in n) == (":" in ip))
count_of("ip in CIDR", rf(P + "where ip in %s | count" % net, LOG, "cidr"), sum(1 for r in LOGR if in_nets(r["ip"], [net])))
count_of("ip in (quoted address, CIDR)", rf(P + 'where ip in ("%s", "%s") | count' % (one, net), LOG, "in list"),
         sum(1 for r in LOGR if in_nets(r["ip"], [one, net])))
count_of("ip not in (...)", rf(P + 'where ip not in ("%s", %s) | count' % (one, net), LOG, "not in"),
         sum(1 for r in LOGR if not in_nets(r["ip"], [one, net])))
for nets in (['"2001:db8::/32"'], ['"::1"', "10.0.0.0/8"], ["192.168.0.0/16", "172.16.0.0/12", '"2001:db8:ffff::/48"']):
    q = P + "where ip in (%s) | count" % ", ".join(nets)
    count_of("untidy IPv4 and IPv6: " + q, rf(q, UNTIDY, "ipv6"), sum(1 for r in UNR if in_nets(r["ip"], [n.strip('"') for n in nets])))
count_of("status in (...)", rf(P + "where status in (404, 500, 503) | count", LOG, "in ints"),
         sum(1 for r in LOGR if r["status"] in ("404", "500", "503")))
# numbers against text: a text field that is no number is null against a number
count_of("path > 5 (no number: null, false)", rf(P + "where path > 5 | count", LOG, "text vs number"), 0)
count_of("not path > 5 (not of a null comparison is true)", rf(P + "where not path > 5 | count", LOG, "not null"), N)
count_of("text vs text numbers compare as numbers", rf(P + 'where status > "45" | count', LOG, "text num"),
         sum(1 for r in LOGR if int(r["status"]) > 45))
count_of("text vs text bytes", rf(P + 'where path >= "/p" | count', LOG, "text bytes"),
         sum(1 for r in LOGR if r["path"].encode() >= b"/p"))

# is null, if, coalesce (json: null is missing, "" is not null)
count_of("user is null", rf("parse json | where user is null | count", APP, "is null"), sum(1 for r in app if r.get("user") is None))
count_of("user is not null", rf("parse json | where user is not null | count", APP, "is not null"),
         sum(1 for r in app if r.get("user") is not None))
count_of("where user (present and not empty)", rf("parse json | where user | count", APP, "truthy"), sum(1 for r in app if r.get("user")))
rows = rf('parse json | eval u = coalesce(user, "anon"), s = if(ms > 500, "slow", "fast") | count by u, s', APP, "coalesce/if")
check_rows("coalesce and if as keys", rows, group(app, lambda r: (r["user"] if r.get("user") is not None else "anon",
                                                               "slow" if r["ms"] > 500 else "fast")), keys=2)
rows = rf(P + "eval bad = status >= 400 | count by bad", LOG, "bool key")
check_rows("a boolean prints true/false", rows, group(LOGR, lambda r: "true" if int(r["status"]) >= 400 else "false"), keys=1)

# =================================================================================
# String and URL functions (H-func: engine/expr_funcs.c)
# =================================================================================
def py_split_part(s, d, n):
    parts = s.split(d)
    i = n - 1 if n > 0 else len(parts) + n
    return parts[i] if 0 <= i < len(parts) else ""

def py_regex(s, rx, g=1):
    m = re.search(rx, s)
    return m.group(g) if m else None

# lower and upper fold ASCII letters only: "/caf\u00e9" upper is "/CAF\u00e9"
def ascii_case(p, up):
    return "".join((c.upper() if up else c.lower()) if c.isascii() else c for c in p)

funcs = [
    ('', 'lower(path)', lambda p: ascii_case(p, False)),
    ('', 'upper(path)', lambda p: ascii_case(p, True)),
    ('', 'len(path)', lambda p: len(p.encode())),
    ('', 'substr(path, 2, 4)', lambda p: p.encode()[1:5].decode("utf-8", "replace")),
    ('', 'substr(path, 3)', lambda p: p.encode()[2:].decode("utf-8", "replace")),
    ('', 'trim(path)', lambda p: p.strip(" ")),
    ('', 'ltrim(path)', lambda p: p.lstrip(" ")),
    ('', 'rtrim(path)', lambda p: p.rstrip(" ")),
    ('', 'replace(path, "/", "::")', lambda p: p.replace("/", "::")),
    ('', 'split_part(path, "/", 2)', lambda p: py_split_part(p, "/", 2)),
    ('', 'split_part(path, "/", -1)', lambda p: py_split_part(p, "/", -1)),
    ('', 'split_part(path, "/", 9)', lambda p: py_split_part(p, "/", 9)),
    ('', 'starts_with(path, "/api")', lambda p: p.startswith("/api")),
    ('', 'ends_with(path, "42?x=1")', lambda p: p.endswith("42?x=1")),
    ('', 'contains(path, "user")', lambda p: "user" in p),
    ('', 'icontains(path, "CHECKOUT")', lambda p: "checkout" in p.lower()),
    ('', 'regex_extract(path, "/([a-z]+)/([0-9]+)", 2)', lambda p: py_regex(p, r"/([a-z]+)/([0-9]+)", 2)),
    ('', 'regex_extract(path, "/(?<word>[a-z]+)$", "word")', lambda p: py_regex(p, r"/(?P<word>[a-z]+)$", "word")),
    ('', 'regex_extract(path, "[0-9]+")', lambda p: py_regex(p, r"[0-9]+", 0)),
]
for pre, expr, fn in funcs:
    rows = rf("parse json | %seval v = %s | count by v" % (pre, expr), APP, expr)
    check_rows("function %s (by group)" % expr, rows,
               group([r for r in app if not pre or r["path"] != "/caf\u00e9"], lambda r: fn(r["path"])), keys=1)

def py_host(u):
    try:
        return urllib.parse.urlsplit(u).hostname
    except ValueError:
        return None

def py_upath(u):
    s = urllib.parse.urlsplit(u)
    return s.path if (s.scheme or s.path.startswith("/")) and u != "-" else None

def py_param(u, name):
    v = urllib.parse.parse_qs(urllib.parse.urlsplit(u).query, keep_blank_values=True).get(name)
    return v[0] if v else None

rows = rf("parse json | eval h = url_host(url), p = url_path(url), i = url_param(url, \"id\"), t = url_param(url, \"tag\"), "
          "n = url_param(url, \"none\") | select h, p, i, t, n", APP, "url json")
check_rows("url_host, url_path, url_param (percent-decoded, + as space, absent null)", rows,
           [[py_host(r["url"]), py_upath(r["url"]), py_param(r["url"], "id"), py_param(r["url"], "tag"), None] for r in app])
rows = rf(P + "eval h = url_host(referer) | select h", UNTIDY, "url untidy")
check_rows("untidy: url_host over odd referers", rows, [[py_host(r["referer"])] for r in UNR])
rows = rf(P + 'eval qv = url_param(path, "q"), lang = url_param(path, "lang") | select qv, lang', UNTIDY, "url param untidy")
check_rows("untidy: url_param of a request path", rows, [[py_param(r["path"], "q"), py_param(r["path"], "lang")] for r in UNR])
rows = rf(P + "count by url_host(referer)", LOG, "key url_host")
check_rows("count by url_host(referer) (a key as an expression)", rows, group(LOGR, lambda r: py_host(r["referer"])), keys=1)

# numbers, conversions and times (H-func; printing of times and durations: lead, H-time)
rows = rf("parse json | eval x = abs(a), fl = floor(f), ce = ceil(f), r0 = round(a / 7), r2 = round(a / 7, 2), "
          "i = int(str(a)), h = float(a) / 2 | select x, fl, ce, r0, r2, i, h", APP, "number functions")
# (floor, ceil and round compare as numbers: 2, 2.0 and -0 for 0 all pass)
check_rows("abs, floor, ceil, round, int(str()), float()", rows,
           [[abs(r["a"]), float(math.floor(r["f"])), float(math.ceil(r["f"])), float(round(r["a"] / 7)), round(r["a"] / 7, 2),
             r["a"], r["a"] / 2]
            for r in app])
rows = rf('parse json | count by format_time(ts, "%Y-%m-%d %H")', APP, "format_time")
check_rows("format_time of epoch seconds (UTC)", rows,
           group(app, lambda r: dt.datetime.fromtimestamp(r["ts"], UTC).strftime("%Y-%m-%d %H")), keys=1)
rows = rf(P + "count by time_bucket(time, 10s)", LOG, "time_bucket")
check_rows("time_bucket(time, 10s) across the month", rows,
           group(LOGR, lambda r: dt.datetime.fromtimestamp(r["t"].timestamp() // 10 * 10, UTC)), keys=1)

def go_duration(sec):
    """Go's Duration.String for whole seconds."""
    if sec == 0:
        return "0s"
    sign, sec = ("-", -sec) if sec < 0 else ("", sec)
    h, m, s = sec // 3600, sec // 60 % 60, sec % 60
    return sign + ("%dh%dm%ds" % (h, m, s) if h else "%dm%ds" % (m, s) if m else "%ds" % s)

rows = rf(P + "eval d = time - 2026-10-31T23:59:00 | count by d", LOG, "durations")
check_rows("time - time prints as a Go duration", rows,
           group(LOGR, lambda r: go_duration(int((r["t"] - dt.datetime(2026, 10, 31, 23, 59, tzinfo=UTC)).total_seconds()))), keys=1)

# Miller as the oracle of upper, strlen and a split
if shutil.which("mlr"):
    out = tool(["mlr", "--inidx", "--ifs", " ", "--ojson", "--no-auto-unflatten", "put", "-q",
                'k = toupper(splitax($7, "/")[2]) . ":" . strlen($7); @c[k] += 1; end { emit @c }', LOG])
    want = json.loads(out)
    want = want[0] if isinstance(want, list) else want
    want = {k: v for k, v in want["c"].items()} if "c" in want else want
    rows = rf(P + 'eval k = upper(split_part(path, "/", 2)) | eval n = len(path) | count by k, n', LOG, "mlr strings")
    if rows is not None:
        got = {"%s:%s" % (r[0], r[1]): int(r[2]) for r in rows[1:]}
        check(got == {k: int(v) for k, v in want.items()}, "upper/split_part/len vs mlr: %s" %
              sorted(set(got.items()) ^ set((k, int(v)) for k, v in want.items()))[:4])
    # eval then filter then group, against Miller's own division
    out = tool(["mlr", "--inidx", "--ifs", " ", "--ocsv", "--headerless-csv-output", "put", "$kb = $10 / 1024",
                "then", "filter", "$kb > 10", "then", "count", "-g", "9", LOG])
    want = {l.split(",")[0]: int(l.split(",")[1]) for l in out.split()}
    rows = rf(P + "eval kb = bytes / 1024 | where kb > 10 | count by status", LOG, "eval then where")
    check_rows("eval kb = bytes / 1024 | where kb > 10 | count by status vs mlr", rows, want, keys=1)
    out = tool(["mlr", "--inidx", "--ifs", " ", "--ocsv", "--headerless-csv-output", "put", "$kb = $10 / 1024",
                "then", "stats1", "-a", "sum", "-f", "kb", "-g", "9", LOG])
    want = {l.split(",")[0]: float(l.split(",")[1]) for l in out.split()}
    rows = rf(P + "sum(bytes / 1024) by status", LOG, "sum expr")
    check_rows("sum(bytes / 1024) by status vs mlr", rows, want, keys=1)
else:
    print("skip: mlr (Miller) not installed", file=sys.stderr)

# gawk as the oracle of lower, length and substr
out = tool(["gawk", '{ k = tolower(substr($6, 2)) "|" length($7) "|" substr($7, 1, 4); c[k]++ } END { for (k in c) print k "\t" c[k] }', LOG])
want = {tuple(l.split("\t")[0].split("|")): int(l.split("\t")[1]) for l in out.splitlines()}
rows = rf(P + "count by lower(method), len(path), substr(path, 1, 4)", LOG, "gawk strings")
check_rows("lower/len/substr keys vs gawk", rows, want, keys=3)

# =================================================================================
# Aggregates over expressions, arithmetic over aggregates, HAVING (lead, H-agg)
# =================================================================================
fields = T + "/fields.tsv"
with open(fields, "w") as f:
    for r in LOGR:
        f.write("\t".join([r["ip"], str(int(r["t"].timestamp())), r["t"].strftime("%Y-%m-%dT%H:%M:00Z"), r["method"],
                           r["path"], r["status"], r["bytes"], r["referer"]]) + "\n")

def sql(q):
    out = tool(["sqlite3", "-batch", "-noheader", "-cmd",
                "CREATE TABLE r(ip TEXT, t INTEGER, minute TEXT, method TEXT, path TEXT, status INTEGER, bytes INTEGER, referer TEXT);",
                "-cmd", ".mode tabs", "-cmd", ".import %s r" % fields, ":memory:", q])
    return [l.split("\t") for l in out.splitlines()]

def sqlnum(s):
    v = num(s)
    return v

have_sqlite = shutil.which("sqlite3") is not None
if not have_sqlite:
    print("skip: sqlite3 not installed", file=sys.stderr)

if have_sqlite:
    want = {r[0]: [float(r[1])] for r in sql("SELECT minute, 100.0 * sum(status >= 500) / count(*) FROM r GROUP BY minute")}
    rows = rf(P + "count(where status >= 500) / count * 100 as error_pct by minute", LOG, "error pct")
    check_rows("error_pct by minute vs SQLite", rows, want, header=["minute", "error_pct"], keys=1)
    want = {r[0]: [int(r[1]), int(r[2])] for r in sql("SELECT method, count(*), sum(status >= 500) FROM r GROUP BY method")}
    rows = rf(P + "count, count(where status >= 500) by method", LOG, "count where")
    check_rows("count(where status >= 500) by method vs SQLite", rows, want, keys=1)
    want = {r[0]: [float(r[1])] for r in sql("SELECT status, avg(CASE WHEN bytes > 5000 THEN 1 ELSE 0 END) FROM r GROUP BY status")}
    rows = rf(P + "avg(if(bytes > 5000, 1, 0)) by status", LOG, "avg if")
    check_rows("avg(if(...)) by status vs SQLite", rows, want, keys=1)
    want = {r[0]: [float(r[1])] for r in sql("SELECT status, CAST(sum(bytes) AS REAL) / count(*) FROM r GROUP BY status")}
    rows = rf(P + "sum(bytes) / count as mean by status", LOG, "agg arith")
    check_rows("sum(bytes) / count as mean by status vs SQLite", rows, want, header=["status", "mean"], keys=1)
    nmin = sorted(int(r[1]) for r in sql("SELECT ip, count(*) FROM r GROUP BY ip"))[-40]
    want = {r[0]: [int(r[1])] for r in sql("SELECT ip, count(*) FROM r GROUP BY ip HAVING count(*) >= %d" % nmin)}
    rows = rf(P + "count by ip | where count >= %d" % nmin, LOG, "having")
    check_rows("HAVING: count by ip | where count >= %d vs SQLite" % nmin, rows, want, keys=1)
    want = {r[0]: [int(r[1]), int(r[2])] for r in
            sql("SELECT ip, count(*), sum(bytes) FROM r GROUP BY ip HAVING count(*) >= 10 AND sum(bytes) > 50000")}
    rows = rf(P + "count as n, sum(bytes) as b by ip | where n >= 10 and b > 50000", LOG, "having aliases")
    check_rows("HAVING over aliases vs SQLite", rows, want, header=["ip", "n", "b"], keys=1)
    want = {r[0]: [int(r[1])] for r in sql("SELECT status / 100, count(*) FROM r GROUP BY status / 100")}
    rows = rf(P + "count by floor(status / 100) as class", LOG, "key expr")
    if rows is not None:
        check(rows[0] == ["class", "count"], "count by floor(status / 100) as class: header %r" % rows[0])
        got = {int(num(r[0])): int(r[1]) for r in rows[1:] if num(r[0]) is not None}
        check(got == {int(k): v[0] for k, v in want.items()}, "count by floor(status / 100) vs SQLite: %r" % got)
    want = [[int(r[0])] for r in sql("SELECT count(*) FROM r WHERE t >= %d AND t < %d"
                                      % (nov1.timestamp() + 3, nov1.timestamp() + 15))]
    # --since/--until (H-time), with and without a parse stage
    for opts, q in ((["--since", "2026-11-01T00:00:03", "--until", "2026-11-01 00:00:15"], P + "count"),
                    (["--since", "2026-11-01T00:00:03", "--until", "2026-11-01 00:00:15"], "count"),
                    (["--since", "2026-11-01T01:00:03+01:00", "--until", "2026-11-01T00:00:15Z"], P + "count")):
        count_of("%s %s vs SQLite" % (" ".join(opts), q), rf(q, LOG, "since", opts=opts), want[0][0])

# datamash: the sample and population spread (H-agg)
if shutil.which("datamash"):
    src = "".join("%s\t%s\n" % (r["status"], r["bytes"]) for r in LOGR)
    out = tool(["datamash", "-s", "-g", "1", "count", "2", "sstdev", "2", "svar", "2", "pstdev", "2", "pvar", "2", "-R", "10"], src)
    want = {}
    for l in out.splitlines():
        k, n, *v = l.split("\t")
        want[k] = [None if n == "1" else float(v[0]), None if n == "1" else float(v[1]), float(v[2]), float(v[3])]
    rows = rf(P + "stddev(bytes), variance(bytes), stddev_pop(bytes), var_pop(bytes) by status", LOG, "stddev")
    if rows is not None:
        # datamash rounds to 10 digits after the point: compare to 1e-9 relative
        got = {r[0]: r[1:] for r in rows[1:]}
        bad = [k for k in want if k not in got or not all(
            (w is None and g == "") or (w is not None and num(g) is not None and abs(num(g) - w) <= 1e-9 * max(abs(w), 1))
            for g, w in zip(got[k], want[k]))]
        check(not bad and set(got) == set(want), "stddev/variance by status vs datamash: %s" % bad[:3])
else:
    print("skip: datamash not installed", file=sys.stderr)

# first, last, pct, histogram, approx_distinct against Python
rows = rf(P + "first(path), last(path), pct by status", LOG, "first last pct")
firsts = group(LOGR, lambda r: r["status"], lambda r: r["path"], lambda v: v[0])
lasts = group(LOGR, lambda r: r["status"], lambda r: r["path"], lambda v: v[-1])
cnt = group(LOGR, lambda r: r["status"])
check_rows("first, last (input order), pct by status", rows, {k: [firsts[k], lasts[k], cnt[k] * 100 / N] for k in cnt}, keys=1)
rows = rf(P + "histogram(bytes, 5000) by method", LOG, "histogram")
def hist(vals, w):
    h = group(vals, lambda v: v // w * w)
    return " ".join("%d:%d" % (k, h[k]) for k in sorted(h))
check_rows("histogram(bytes, 5000) by method", rows, group(LOGR, lambda r: r["method"], lambda r: int(r["bytes"]), lambda v: hist(v, 5000)), keys=1)
rows = rf(P + "approx_distinct(ip), distinct(ip)", LOG, "approx_distinct")
if rows is not None:
    exact = len(set(r["ip"] for r in LOGR))
    check(num(rows[1][1]) == exact and num(rows[1][0]) is not None and abs(num(rows[1][0]) - exact) <= 0.02 * exact,
          "approx_distinct(ip) %s vs exact %d (2%%)" % (rows[1], exact))

# =================================================================================
# Records: aliases, top and sort of records (lead, H-sort)
# =================================================================================
rows = rf(P + "select ip as client, bytes as b | head 5", LOG, "select alias")
check_rows("select with as", rows, [[r["ip"], int(r["bytes"])] for r in LOGR[:5]], header=["client", "b"])
rows = rf(P + "eval b2 = bytes * 2 | select ip as client, b2 | head 5", LOG, "eval select alias")
check_rows("eval then select with as", rows, [[r["ip"], int(r["bytes"]) * 2] for r in LOGR[:5]], header=["client", "b2"])
rows = rf(P + "select ip as client, bytes * 2 as b2, bytes / 0 as z | head 5", LOG, "select expressions")
check_rows("select expressions with as", rows, [[r["ip"], int(r["bytes"]) * 2, None] for r in LOGR[:5]], header=["client", "b2", "z"])
rows = rf("parse json | top 10 by ms | select ts, ms", APP, "record top")
order = sorted(range(len(app)), key=lambda i: (-app[i]["ms"], i))[:10]
check_rows("top 10 by ms on records (ties in input order)", rows, [[app[i]["ts"], app[i]["ms"]] for i in order])
rows = rf("parse json | sort bytes desc, ts | select bytes, ts | head 30", APP, "record sort")
order = sorted(range(len(app)), key=lambda i: (-app[i]["bytes"], app[i]["ts"]))[:30]
check_rows("sort bytes desc, ts on records", rows, [[app[i]["bytes"], app[i]["ts"]] for i in order])

# =================================================================================
# Bare words: an error with a hint, never an empty match (lead)
# =================================================================================
for fmt, q, word, path in (("combined", P + "where method == GET | count", "GET", LOG),
                           ("json", "parse json | where level == error | count", "error", APP),
                           ("json in", "parse json | where level in (warn, error) | count", "warn", APP),
                           ("logfmt", "parse logfmt | where level == error | count", "error", APP)):
    st, out, err = rftest.run([q, path])
    e = err.decode("utf-8", "replace")
    check(st == 2 and out == b"" and e.startswith("ringflow: query:") and "no field '%s'" % word in e
          and 'did you mean the string "%s"' % word in e and "^" in e,
          "bare word (%s) %s: exit %d, stderr %r" % (fmt, q, st, e[:300]))
count_of('field("level") names a json field', rf('parse json | where field("level") == "error" | count', APP, "field()"),
         sum(1 for r in app if r["level"] == "error"))

rftest.summary()
PY
finish
