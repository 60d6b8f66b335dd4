#!/bin/sh
# SPDX-License-Identifier: MIT
# w3c.sh - parse w3c (IIS) and parse cloudfront against a reader written in
# Python from the format's description: directive lines, a #Fields line that
# changes in the middle of a file (records after it follow it), "-" as
# missing, date and time joined into timestamp; in every mode, with a small
# buffer so headers and records land in different batches, CRLF, no final
# newline, several inputs (each names its own columns), cut-off and
# overlong records.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || { echo "SKIP: python3 (the oracle) is not installed"; exit 77; }

py_checks <<'X'
import datetime, json, random, re, sys
from rftest import *
from parsecheck import *
T, RF = setup(sys.argv)
rnd = random.Random(3)

def qname(n):
    """a #Fields name as a query names it: cs(User-Agent) is cs_user_agent"""
    return n.replace(b")", b"").replace(b"-", b"_").replace(b"(", b"_").lower()

def oracle(data, sep, default=None):
    """(records as {query name: bytes or None}, rejects, cut) of one input"""
    names, recs, rejects, cut = default, [], 0, 0
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for l in lines:
        l = l[:-1] if l.endswith(b"\r") else l
        if not l:
            continue
        if l.startswith(b"#"):
            if l.startswith(b"#Fields:"):
                names = l[8:].split()
            continue
        if names is None:
            rejects += 1
            continue
        vals = l.split(sep)
        if len(vals) > len(names):
            rejects += 1
            continue
        cut += len(vals) < len(names)
        r = {}
        for i, v in enumerate(vals):
            r[qname(names[i])] = None if v == b"-" else v
            r[b"$%d" % (i + 1)] = r[qname(names[i])]
        if r.get(b"date") and r.get(b"time"):
            r[b"timestamp"] = r[b"date"] + b"T" + r[b"time"] + b"Z"
        recs.append(r)
    return recs, rejects, cut

# ---- IIS: random logs whose #Fields change mid-file ---------------------------
IIS = [b"date", b"time", b"s-sitename", b"s-ip", b"cs-method", b"cs-uri-stem", b"cs-uri-query", b"s-port",
       b"cs-username", b"c-ip", b"cs(User-Agent)", b"cs(Referer)", b"sc-status", b"sc-substatus",
       b"sc-win32-status", b"time-taken"]
def value(name, t):
    if name == b"date":
        return t.strftime("%Y-%m-%d").encode()
    if name == b"time":
        return t.strftime("%H:%M:%S").encode()
    if rnd.random() < 0.1:
        return b"-"
    return {b"cs-method": lambda: rnd.choice([b"GET", b"POST", b"HEAD"]),
            b"cs-uri-stem": lambda: rnd.choice([b"/", b"/index.html", b"/api/v1/x", b"/caf%C3%A9"]),
            b"cs(User-Agent)": lambda: rnd.choice([b"Mozilla/5.0+(Windows+NT+10.0;+Win64)", b"curl/8.0",
                                                   b"Googlebot/2.1+(+http://www.google.com/bot.html)"]),
            b"sc-status": lambda: rnd.choice([b"200", b"304", b"404", b"500"]),
            b"time-taken": lambda: b"%d" % rnd.randint(0, 5000),
            }.get(name, lambda: rnd.choice([b"a", b"10.0.0.1", b"80", b"W3SVC1", b"q=1&b=2", b"\xc3\xa9"]))()
def iis_log(n, start):
    t = start
    out = [b"#Software: Microsoft Internet Information Services 10.0", b"#Version: 1.0",
           b"#Date: " + t.strftime("%Y-%m-%d %H:%M:%S").encode()]
    fields = None
    for i in range(n):
        if fields is None or rnd.random() < 0.002:
            # a restart: another set of columns, in another order
            fields = [b"date", b"time"] + rnd.sample(IIS[2:], rnd.randint(3, len(IIS) - 2))
            if rnd.random() < 0.3:
                fields = fields[2:4] + fields[:2] + fields[4:]
            out.append(b"#Fields: " + b" ".join(fields))
        t += datetime.timedelta(seconds=rnd.randint(0, 40))
        out.append(b" ".join(value(f, t) for f in fields))
    return out
lines = iis_log(6000, datetime.datetime(2024, 3, 1, 10, 0, 0))
names = ["timestamp", "date", "cs_method", "cs_uri_stem", "sc_status", "cs_user_agent", "time_taken", "c_ip",
         "s_sitename", "$3"]
check(sum(1 for l in lines if l.startswith(b"#Fields")) >= 5, "the log changes its #Fields")
check(len(b"\n".join(lines)) > 4 * 65536, "the log spans several 64 KiB buffers")
def compare(what, args, data, sep, fmt="w3c", default=None, files=1):
    open(T + "/in.log", "wb").write(data)
    recs, rejects, cut = oracle(data, sep, default)
    want = [{n: json_value(r.get(n.encode())) for n in names} for r in recs] * files
    check_select(what, args, "parse %s | select %s" % (fmt, ", ".join(names)), [T + "/in.log"] * files, want,
                 rejects * files, cut * files)

for ending, last in ENDINGS:
    data = ending.join(lines) + (ending if last else b"")
    for mode in MODES:
        compare("w3c %s %r last=%s" % (mode, ending, last), ["--mode=" + mode, "--buffer-size=64k"], data,
                       b" ")
# two inputs: each reads its own header (the second would lack it in a
# worker's share, so every mode reads them whole)
for mode in MODES:
    compare("w3c, two inputs, %s" % mode, ["--mode=" + mode, "--buffer-size=64k"], b"\n".join(lines) + b"\n", b" ",
            files=2)

# cut off (kept, counted), a value with a space (a reject), records before any
# #Fields (rejects: nothing names their columns), blank lines (nothing)
odd = [b"2024-03-01 10:00:00 GET 200", b"#Fields: date time cs-method sc-status cs-uri-stem",
       b"2024-03-01 10:00:01 GET 200 /a", b"", b"2024-03-01 10:00:02 GET", b"2024-03-01 10:00:03 GET 200 /a b",
       b"2024-03-01", b"#Fields: time sc-status", b"10:00:04 404", b"2024-03-01 - - - -"]
for mode in MODES:
    compare("w3c odd lines, %s" % mode, ["--mode=" + mode], b"\n".join(odd) + b"\n", b" ")

# count by minute and status against Python's
data = b"\n".join(lines) + b"\n"
open(T + "/in.log", "wb").write(data)
recs = oracle(data, b" ")[0]
counts = {}
for r in recs:
    ts = r.get(b"timestamp")
    k = (ts[:16].decode() + ":00Z" if ts else None, json_value(r.get(b"sc_status")))
    counts[k] = counts.get(k, 0) + 1
for mode in MODES:
    rc, out, err = run(["--mode=" + mode, "--format=json", "parse w3c | count by minute, sc_status", T + "/in.log"])
    got = {(r["minute"], r["sc_status"]): r["count"] for r in rows(out)}
    check(rc == 0 and got == counts, "w3c count by minute, %s: %d groups, want %d" % (mode, len(got), len(counts)))

# ---- CloudFront: tabs, the fields AWS documents, values kept URL-encoded -------
CF = (b"date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) "
      b"cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol "
      b"cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type "
      b"cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type "
      b"sc-content-type sc-content-len sc-range-start sc-range-end").split()
def cf_line(t):
    v = {b"date": t.strftime("%Y-%m-%d").encode(), b"time": t.strftime("%H:%M:%S").encode(),
         b"x-edge-location": rnd.choice([b"LAX1", b"FRA56-P2", b"IAD89-C1"]), b"sc-bytes": b"%d" % rnd.randint(0, 10**6),
         b"c-ip": b"192.0.2.%d" % rnd.randint(1, 254), b"cs-method": rnd.choice([b"GET", b"HEAD"]),
         b"cs(Host)": b"d111111abcdef8.cloudfront.net", b"cs-uri-stem": rnd.choice([b"/index.html", b"/a%20b.png"]),
         b"sc-status": rnd.choice([b"200", b"304", b"403", b"000"]), b"cs(Referer)": rnd.choice([b"-", b"https://x/"]),
         b"cs(User-Agent)": rnd.choice([b"Mozilla/5.0%20(Windows%20NT%2010.0)", b"curl/7.68.0"]),
         b"cs-uri-query": rnd.choice([b"-", b"a=b%26c"]), b"time-taken": b"0.%03d" % rnd.randint(0, 999)}
    return b"\t".join(v.get(f, rnd.choice([b"-", b"Hit", b"TLSv1.3", b"x"])) for f in CF)
start = datetime.datetime(2019, 12, 4, 21, 0, 0)
cf = [b"#Version: 1.0", b"#Fields: " + b" ".join(CF)]
for i in range(3000):
    start += datetime.timedelta(seconds=rnd.randint(0, 30))
    cf.append(cf_line(start))
names = ["timestamp", "x_edge_location", "sc_bytes", "cs_host", "cs_user_agent", "cs_uri_query", "cs_referer",
         "sc_status", "time_taken", "sc_range_end", "$4"]
check("Mozilla/5.0%20(Windows%20NT%2010.0)".encode() in b"".join(cf), "the CloudFront log has encoded values")
for ending, last in ENDINGS:
    for mode in MODES:
        compare("cloudfront %s %r last=%s" % (mode, ending, last), ["--mode=" + mode, "--buffer-size=64k"],
                ending.join(cf) + (ending if last else b""), b"\t", "cloudfront")
# without its header lines: the documented fields
compare("cloudfront without #Fields", [], b"\n".join(cf[2:]) + b"\n", b"\t", "cloudfront", default=CF)

# ---- not the first stage, a field named nowhere -------------------------------
open(T + "/in.log", "wb").write(b"\n".join(lines) + b"\n")
# a column by its name as #Fields writes it, through field()
n = sum(1 for r in oracle(b"\n".join(lines) + b"\n", b" ")[0] if r.get(b"cs_user_agent") == b"curl/8.0")
rc, out, err = run(["--format=json", 'parse w3c | where field("cs(User-Agent)") == "curl/8.0" | count', T + "/in.log"])
check(rc == 0 and n > 0 and rows(out) == [{"count": n}], "field(\"cs(User-Agent)\"): %r, want %d" % (out, n))
rc, out, err = run(["-v", "parse auto | count", T + "/in.log"])
check(rc == 0 and out.split() == [b"6000"] and b"w3c 1" in err, "parse auto on IIS: %r" % err[-300:])
rc, out, err = run(["grep x | parse w3c | count", T + "/in.log"])
check(rc == 2 and b"^" in err, "parse w3c after another stage: %d %r" % (rc, err))
rc, out, err = run(["--format=json", "parse w3c | select nosuch", T + "/in.log"])
check(rc == 0 and len(rows(out)) == 6000 and set(r["nosuch"] for r in rows(out)) == {None}, "a name no header has is missing: %d %r" % (rc, err))
# --since reads a time where a line starts, before the parse: it would drop
# the #Fields lines a parse needs, so it is refused (where on timestamp works)
for fmt in ["w3c", "cloudfront"]:
    rc, out, err = run(["--since=2024-03-01", "parse %s | count" % fmt, T + "/in.log"])
    check(rc == 2 and b"use where" in err, "--since with %s: %d %r" % (fmt, rc, err))
summary()
X
finish
