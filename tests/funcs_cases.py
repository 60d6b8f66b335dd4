#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Expected results of the expression functions, from Python's own string,
URL, math and datetime code, for tests/check_funcs.c.

    python3 tests/funcs_cases.py > tests/funcs_cases.inc

Each case is a function name, its arguments and the result, written as C:
an argument or result is a typed literal, "s..." a string (bytes, may hold
NUL), "i..." an integer, "f..." a float (%.17g), "b0"/"b1" a bool, "n" null.
"""
import calendar
import ipaddress
import math
import re
import time
from urllib.parse import urlsplit, parse_qs

INT64_MIN, INT64_MAX = -2**63, 2**63 - 1
cases = []


class Typed(bytes):
    """A literal already in the table's notation (times, durations, IPs)."""


def lit(v):
    if isinstance(v, Typed):
        return bytes(v)
    if v is None:
        return b"n"
    if isinstance(v, bool):
        return b"b1" if v else b"b0"
    if isinstance(v, int):
        return b"i%d" % v
    if isinstance(v, float):
        return b"f" + ("%.17g" % v).encode()
    if isinstance(v, str):
        v = v.encode()
    return b"s" + v


def case(name, args, want):
    cases.append((name, [lit(a) for a in args], lit(want)))


def c_string(b):
    out = '"'
    for i, c in enumerate(b):
        if 32 <= c < 127 and c not in (34, 92, 63):
            out += chr(c)
        else:
            out += '\\%03o' % c
    return out + '"'


# ---- strings: bytes, ASCII case only ----
texts = [b"", b"a", b"Hello, World", b"\x00A\x00b", b"caf\xc3\xa9 \xc3\x89T\xc3\x89",
         b"\xff\xfeAbC\x80", b"  \t pad \t ", b"\t", b"x" * 5000 + b"Y",
         b"MiXeD-123_[]@`{~"]
for t in texts:
    case("lower", [t], t.lower())
    case("upper", [t], t.upper())
    case("len", [t], len(t))
    case("trim", [t], t.strip(b" \t"))
    case("ltrim", [t], t.lstrip(b" \t"))
    case("rtrim", [t], t.rstrip(b" \t"))
for f in ["lower", "upper", "len", "trim", "ltrim", "rtrim"]:
    case(f, [None], None)
# numbers as text: a number argument is read by its printed form
case("len", [12345], 5)
case("upper", [True], "TRUE")


# substr: the window [start, start + n) in 1-based positions, clipped to
# the string (SQL's SUBSTRING, PostgreSQL); a negative n takes nothing.
def substr(s, start, n=None):
    end = len(s) + 1 if n is None else start + max(n, 0)
    lo, hi = max(start, 1), min(end, len(s) + 1)
    return s[lo - 1:hi - 1] if hi > lo else b""


for s in [b"", b"abc", b"h\x00llo\xff"]:
    for start in [INT64_MIN, -5, -1, 0, 1, 2, 3, 4, 7, INT64_MAX]:
        case("substr", [s, start], substr(s, start))
        for n in [INT64_MIN, -1, 0, 1, 2, 3, 10, INT64_MAX]:
            case("substr", [s, start, n], substr(s, start, n))
case("substr", ["abcdef", "2", "3"], "bcd")     # text that reads as a number
case("substr", ["abcdef", 2.9, 1.9], "b")       # floats truncate
case("substr", ["abc", None], None)
case("substr", ["abc", 1, None], None)
case("substr", ["abc", "x"], None)

# replace: literal, every occurrence, left to right
for s, f, t in [(b"aaaa", b"aa", b"b"), (b"abc", b"", b"X"), (b"abc", b"abcd", b"X"),
                (b"a.b.c", b".", b""), (b"x\x00y\x00", b"\x00", b"<NUL>"),
                (b"abab", b"ab", b"abab"), (b"", b"a", b"b"), (b"p" * 3000, b"p", b"qq")]:
    case("replace", [s, f, t], s if f == b"" else s.replace(f, t))
case("replace", [None, "a", "b"], None)
case("replace", ["a", None, "b"], None)
case("replace", ["a", "a", None], None)


# split_part: 1-based, negative from the end, out of range ""; an empty
# delimiter leaves the string whole
def split_part(s, d, n):
    parts = s.split(d) if d else [s]
    if n == 0 or abs(n) > len(parts):
        return b""
    return parts[n - 1] if n > 0 else parts[n]


for s, d in [(b"a,b,,c", b","), (b"", b","), (b",", b","), (b"a::b::c", b"::"),
             (b"abc", b""), (b"a\x00b\x00c", b"\x00"), (b"aaa", b"aa")]:
    for n in [INT64_MIN, -5, -2, -1, 0, 1, 2, 3, 4, 5, INT64_MAX]:
        case("split_part", [s, d, n], split_part(s, d, n))
case("split_part", [None, ",", 1], None)
case("split_part", ["a", ",", None], None)

for s, p in [(b"", b""), (b"abc", b""), (b"", b"a"), (b"Hello", b"He"), (b"Hello", b"he"),
             (b"Hello", b"lo"), (b"Hello", b"LO"), (b"Hello", b"Hello!"), (b"a\x00b", b"\x00b"),
             (b"\xc3\xa9X", b"\xc3\xa9x"), (b"a" * 3000 + b"B", b"a" * 50 + b"b"), (b"[]", b"{}")]:
    case("starts_with", [s, p], s.startswith(p))
    case("ends_with", [s, p], s.endswith(p))
    case("contains", [s, p], p in s)
    case("icontains", [s, p], p.lower() in s.lower())
for f in ["starts_with", "ends_with", "contains", "icontains"]:
    case(f, [None, "a"], None)
    case(f, ["a", None], None)

# regex_extract: the first match, a group by number or name
for s, r, g in [("GET /a/b?x=1 HTTP/1.1", r"GET (\S+)", None), ("GET /a/b", r"GET (\S+)", 1),
                ("GET /a/b", r"POST (\S+)", 1), ("user=bob id=7", r"id=(?P<id>\d+)", "id"),
                ("user=bob id=7", r"(\w+)=(\w+)", 2), ("abc", r"b", 0), ("abc", r"(x)?c", 1)]:
    m = re.search(r, s)
    want = None
    if m:
        want = m.group(g if g is not None else 0)   # the whole match, as DuckDB
    case("regex_extract", [s, r] + ([] if g is None else [g]), want)
case("regex_extract", [None, "a"], None)


# ---- URLs: what urlsplit says of absolute and network-path URLs ----
urls = ["http://Example.COM/a/b?x=1", "https://user:pw@Host.example:8443/p?q=1#frag",
        "http://[2001:DB8::1]:80/x", "//cdn.example.org/lib.js", "HTTP://WWW.EXAMPLE.COM",
        "http://example.com?a=1", "http://example.com#top", "ftp://a.b/c%20d",
        "http://h/%E2%82%AC?x", "mailto:someone@example.com", "http://@/", "http://:80/",
        "https://example.com:/x", "http://a.b.c/p;params?q", "example.com/a", "-", "",
        "http://x.example.com.", "http://[::ffff:1.2.3.4]/", "HTTPS://USER@WWW.EX-AMPLE.ORG:8080"]
for u in urls:
    p = urlsplit(u)
    case("url_host", [u], p.hostname)
    case("url_path", [u], p.path)      # "example.com/a" is all path
case("url_host", [None], None)
case("url_path", [None], None)

queries = ["http://h/p?a=1&b=2&a=3", "http://h/p?a=&b", "http://h/p?a+b=c+d&x=%41%2B%3d",
           "http://h/p?x=%zz&y=%4", "http://h/p?&&a=1&&", "http://h/p?a=1#b=2",
           "http://h/p?q=%E2%82%AC", "/rel?k=v", "http://h/p", "http://h/p?=v&k=v=w"]
for u in queries:
    # latin-1 maps each decoded byte to one character: back to bytes below
    qs = {k.encode("latin-1"): [x.encode("latin-1") for x in v]
          for k, v in parse_qs(urlsplit(u).query, keep_blank_values=True, encoding="latin-1").items()}
    for k in [b"a", b"b", b"a b", b"x", b"y", b"k", b"q", b""]:
        if k == b"" and b"" not in qs:
            continue
        case("url_param", [u, k], qs[k][0] if k in qs else None)
case("url_param", [None, "a"], None)
case("url_param", ["http://h/?a=1", None], None)

# ---- conditionals ----
for c in [True, False, 1, 0, -1, 0.0, -0.0, 0.5, "", "0", "x", None]:
    truthy = c is True or (type(c) in (int, float) and c != 0) or (isinstance(c, str) and c != "")
    case("if", [c, "yes", "no"], "yes" if truthy else "no")
case("coalesce", [None, None, 3], 3)
case("coalesce", [None, ""], "")
case("coalesce", [None], None)
case("coalesce", ["a", None], "a")

# ---- numbers ----
ints = [0, 1, -1, 7, -7, INT64_MAX, INT64_MIN + 1]
floats = [0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 1e300, -1e300, 5e-324, 123.456, -123.456,
          9007199254740993.0, 1e19, -1e19]
for x in ints:
    case("abs", [x], abs(x))
    case("floor", [x], x)
    case("ceil", [x], x)
    case("round", [x], x)
    case("int", [x], x)
    case("float", [x], float(x))
for x in floats:
    case("abs", [x], abs(x))
    # IEEE floor and ceil keep the sign of a zero: ceil(-0.5) is -0.0
    case("floor", [x], math.copysign(float(math.floor(x)), x))
    case("ceil", [x], math.copysign(float(math.ceil(x)), x))
    case("float", [x], x)
    # half away from zero (Python's round() is half to even)
    case("round", [x], math.copysign(math.floor(abs(x) + 0.5), x))
    if abs(x) < 2**63:
        case("int", [x], int(x))
for t in ["42", "-42", "1e3", "0x10", "abc", "", "9223372036854775807", "-9223372036854775808"]:
    try:
        v = int(t)
    except ValueError:
        try:
            v = int(float(t)) if t.strip() and "x" not in t else None
        except ValueError:
            v = None
    case("int", [t], v)
# text with a NUL inside is not a number; out of range floats stay floats
for t in ["12\0", "12\x0034", "\x001"]:
    case("int", [t], None)
    case("float", [t], None)
case("float", ["1e400"], math.inf)
case("float", ["-1e400"], -math.inf)
case("int", ["1e400"], None)
case("int", [9.3e18], None)
case("int", [-9.3e18], None)
case("abs", [INT64_MIN], float(2**63))          # the one int whose abs overflows
case("duration", ["1s\0"], None)
case("time", ["2024-03-01T10:00:00Z\0x"], None)
case("url_host", ["http://a.b\0c/x"], urlsplit("http://a.b\0c/x").hostname)
for f in ["abs", "floor", "ceil", "round", "int", "float"]:
    case(f, [None], None)
    case(f, ["not a number"], None)

# ---- conversions ----
def ip_lit(text):
    try:
        a = ipaddress.ip_address(text)
    except ValueError:
        return None
    if a.version == 4:
        return Typed(b"p" + (b"\0" * 10 + b"\xff\xff" + a.packed).hex().encode() + b"/4")
    return Typed(b"p" + a.packed.hex().encode() + b"/16")


for t in ["1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4",
          "1.2.3.04", "1.2.3.0", "10.0.0.1 ", " 10.0.0.1", "::1", "::", "2001:DB8::1",
          "::ffff:1.2.3.4", "::ffff:102:304", "1::2::3", "2001:db8:0:0:0:0:0:1:2", "gg::1", "",
          "1.2.3.4\0junk", "::1\0", "1.2.3.4/8", "x" * 100]:
    case("ip", [t], ip_lit(t))
case("ip", [None], None)
case("ip", [7], None)


def go_duration(d):
    """Go's time.Duration.String, from its definition: the largest unit
    with a whole part, then the fraction without trailing zeros."""
    if d == 0:
        return "0s"
    sign, u = ("-" if d < 0 else ""), abs(d)

    def frac(v, digits):
        w, f = divmod(v, 10**digits)
        f = ("%0*d" % (digits, f)).rstrip("0") if digits else ""
        return "%d%s" % (w, "." + f if f else "")

    if u < 10**9:
        if u < 10**3:
            return sign + "%dns" % u
        if u < 10**6:
            return sign + frac(u, 3) + "\u00b5s"
        return sign + frac(u, 6) + "ms"
    h, rest = divmod(u, 3600 * 10**9)
    m, rest = divmod(rest, 60 * 10**9)
    out = frac(rest, 9) + "s"
    if h:
        out = "%dh%dm" % (h, m) + out
    elif m:
        out = "%dm" % m + out
    return sign + out


for d in [0, 1, 999, 1000, 1500, 999999, 10**6, 250 * 10**6, 10**9, 1500 * 10**6, 60 * 10**9,
          3723500000000, 3600 * 10**9, 90061 * 10**9 + 1, -1, -90 * 10**9, INT64_MAX, INT64_MIN]:
    case("str", [Typed(b"d%d" % d)], go_duration(d))

# durations from text and numbers of seconds
for t, ns in [("1.5s", 1500 * 10**6), ("250ms", 250 * 10**6), ("1h", 3600 * 10**9), ("90s", 90 * 10**9),
              ("5m", 300 * 10**9), ("1d", 86400 * 10**9), ("10us", 10000), ("7ns", 7), ("abc", None),
              ("", None)]:
    case("duration", [t], None if ns is None else Typed(b"d%d" % ns))
for x, ns in [(90, 90 * 10**9), (1.5, 1500 * 10**6), (0, 0), (-2, -2 * 10**9)]:
    case("duration", [x], Typed(b"d%d" % ns))
case("duration", [None], None)


# times: RFC 3339 in UTC, a fraction only when there is one
def rfc3339(ns):
    s, f = divmod(ns, 10**9)
    out = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))
    if f:
        out += "." + ("%09d" % f).rstrip("0")
    return out + "Z"


for ns in [0, 1709287200 * 10**9, 1709287200 * 10**9 + 500000000, 1709287200 * 10**9 + 1,
           -1 * 10**9, 951782400 * 10**9 + 123456789]:
    case("str", [Typed(b"t%d" % ns)], rfc3339(ns))
t0 = calendar.timegm((2024, 3, 1, 10, 0, 0)) * 10**9
for t, ns in [("2024-03-01T10:00:00Z", t0), ("2024-03-01T10:00:00.5Z", t0 + 500000000),
              ("2024-03-01T15:30:00+05:30", t0), ("01/Mar/2024:10:00:00 +0000", t0),
              ("01/Mar/2024:05:00:00 -0500", t0), ("no time", None), ("", None)]:
    case("time", [t], None if ns is None else Typed(b"t%d" % ns))
case("time", [None], None)

for ns, fmt in [(t0, "%Y-%m-%d %H:%M:%S"), (t0, "%j %a %b"), (t0 + 999999999, "%S"), (-1, "%Y-%m-%d %H:%M:%S"),
                (t0, "")]:
    s_, _ = divmod(ns, 10**9)
    case("format_time", [Typed(b"t%d" % ns), fmt], time.strftime(fmt, time.gmtime(s_)) if fmt else "")
for ns, w in [(t0 + 299 * 10**9, 300 * 10**9), (t0 + 61 * 10**9, 60 * 10**9), (-1, 60 * 10**9),
              (t0 + 7, 1), (t0 + 3600 * 10**9 * 5 + 1, 86400 * 10**9)]:
    case("time_bucket", [Typed(b"t%d" % ns), Typed(b"d%d" % w)], Typed(b"t%d" % (ns - ns % w)))

print("/* Generated by tests/funcs_cases.py from Python's str, bytes, re,")
print(" * urllib.parse and math: do not edit, run the script. */")
for name, args, want in cases:
    print("{ \"%s\", %d, { %s }, %s }," % (name, len(args), ", ".join("B(%s)" % c_string(a) for a in args),
                                        "B(%s)" % c_string(want)))
