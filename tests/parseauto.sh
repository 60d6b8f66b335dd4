#!/bin/sh
# SPDX-License-Identifier: MIT
# parseauto.sh - `parse auto`: each input read in the format its first lines
# are in, file by file.  The oracle is Python reading each file in the
# format the test wrote it in (re for access logs, json, a logfmt reader);
# every mode gives the same bytes; --stats and --verbose name the formats;
# an input no format fits is rejected record by record, never misread.
. "${SRCDIR:-.}/tests/lib.sh"

py_checks <<'EOF'
import json, os, random, re, sys
from collections import defaultdict
import rftest
from rftest import check, run, MODES
T, RF = rftest.setup(sys.argv)
random.seed(1616)

CLF = re.compile(r'^(\S+) (\S+) (\S+) \[([^\]]*)\] "((?:[^"\\]|\\.)*)" ([1-5][0-9][0-9]) (\S+)'
                 r'(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?$')
d = T + "/logs"
os.mkdir(d)
want = defaultdict(lambda: [0, 0])   # (format, status or level) -> count, sum of bytes or ms

def clf_line(i, combined):
    st = random.choice([200, 200, 304, 404, 500])
    b = random.randint(0, 9999)
    s = '10.1.%d.%d - - [30/Nov/2026:10:%02d:%02d +0000] "GET /p%d HTTP/1.1" %d %d' % (
        i % 200, i % 7, i % 60, i % 60, i % 13, st, b)
    if combined:
        s += ' "http://r/%d" "agent %d"' % (i % 5, i % 3)
    return s, str(st), b

def write(name, lines, crlf=False, final=True):
    with open(os.path.join(d, name), "w", newline="") as f:
        f.write(("\r\n" if crlf else "\n").join(lines) + (("\r\n" if crlf else "\n") if final else ""))

for k, (fmt, crlf, final) in enumerate([("combined", False, True), ("combined", True, True),
                                        ("common", False, False), ("json", False, True),
                                        ("json", True, False), ("logfmt", False, True)]):
    lines = []
    for i in range(random.randint(50, 900)):
        if fmt in ("combined", "common"):
            s, key, v = clf_line(i, fmt == "combined")
        elif fmt == "json":
            key, v = random.choice(["info", "warn", "error"]), i
            s = json.dumps({"time": "2026-11-30T10:%02d:00Z" % (i % 60), "level": key, "ms": v})
        else:
            key, v = random.choice(["info", "debug"]), i
            s = 'time=2026-11-30T10:%02d:00Z level=%s ms=%d msg="a b"' % (i % 60, key, v)
        lines.append(s)
        want[(fmt, key)][0] += 1
        want[(fmt, key)][1] += v
    write("%d.%s" % (k, fmt), lines, crlf, final)

# a combined log with one damaged line among its first: still combined (the
# format that reads most of them), the damaged line a reject
lines = []
for i in range(300):
    s, key, v = clf_line(i, True)
    if i == 3:
        s = "garbage that is no access log line"
    else:
        want[("combined", key)][0] += 1
        want[("combined", key)][1] += v
    lines.append(s)
write("damaged.log", lines)
# no format fits: every record rejected
write("prose.txt", ["This is not a log.", "Neither is this line here.", "Nor this."])

def rows_of(out):
    return sorted(out.decode().splitlines()[1:])

# the JSON and logfmt inputs name the value ms and the key level; the access
# logs bytes and status: one query over all of them
expect = defaultdict(lambda: [0, 0, 0])
for (fmt, key), (n, v) in want.items():
    if fmt in ("combined", "common"):
        e = expect[("", key)]
        e[0] += n
        e[1] += v
    else:
        e = expect[(key, "")]
        e[0] += n
        e[2] += v
exp = sorted("%s\t%s\t%d\t%d\t%d" % (k[0], k[1], v[0], v[1], v[2]) for k, v in expect.items())
files = sorted(os.path.join(d, f) for f in os.listdir(d))
q = "parse auto | count, sum(bytes), sum(ms) by level, status"
outs = set()
for mode in MODES + ["auto"]:
    st, out, err = run(["--mode=" + mode, "--format=tsv", "--stats", q] + files)
    check(st == 0, "%s: status %d %r" % (mode, st, err[-400:]))
    got = rows_of(out)
    check(got == exp, "%s: rows\n%r\nwant\n%r" % (mode, got, exp))
    check(b"formats     combined 3, common 1, json 2, logfmt 1, none 1" in err, "%s: --stats names them: %r"
          % (mode, err[:600]))
    check(b"4 records could not be parsed as auto" in err or b"4 records" in err, "%s: rejects %r" % (mode, err[-300:]))
    outs.add(out)
check(len(outs) == 1, "every mode gives the same bytes")

# --verbose names the format; the rejects file holds the prose and the damaged line
st, out, err = run(["-v", "--rejects", T + "/rej", "parse auto | count", os.path.join(d, "0.combined"),
                    os.path.join(d, "prose.txt"), os.path.join(d, "damaged.log")])
check(b"parse auto read the inputs as: combined 2, none 1" in err, "--verbose: %r" % err)
with open(T + "/rej") as f:
    rej = f.read().splitlines()
check(rej == ["This is not a log.", "Neither is this line here.", "Nor this.",
              "garbage that is no access log line"], "rejects: %r" % rej)

# stdin, a pipe: detected from its first batch
with open(os.path.join(d, "3.json"), "rb") as f:
    data = f.read()
import subprocess
p = subprocess.run([RF, "--format=tsv", "parse auto | count by level"], input=data, capture_output=True)
js = defaultdict(int)
for l in data.decode().splitlines():
    js[json.loads(l)["level"]] += 1
check(rows_of(p.stdout) == sorted("%s\t%d" % kv for kv in js.items()), "stdin: %r" % p.stdout[:200])

# json and logfmt make any name, so parse auto takes any: a name a combined
# input lacks is missing there (one group, the empty key)
path = os.path.join(d, "0.combined")
with open(path) as f:
    nlines = sum(1 for _ in f)
st, out, err = run(["--format=tsv", "parse auto | count by nosuchfield", path])
check(st == 0 and rows_of(out) == ["\t%d" % nlines], "any name: %d %r %r" % (st, out[:100], err[:200]))
# records are lines under parse auto: compact JSON whose key holds a quote
# after a comma (`,"\"":2`) opened a csv quote that ran over the newlines
# (the framing of csv was chosen for parse auto: 0 records, 1 rejected)
qj = T + "/quote.json"
with open(qj, "w") as f:
    for i in range(10):
        f.write(json.dumps({"n": i, '"': 2}, separators=(",", ":")) + "\n")
for mode in MODES:
    st, out, err = run(["--mode=" + mode, "parse auto | count, sum(n)", qj])
    check(st == 0 and out.split() == [b"count", b"sum(n)", b"10", b"45"], "%s: quote after a comma: %r %r"
          % (mode, out, err[:200]))
# minute under parse auto: each input's own time field; w3c's `time` column
# is a time of day (its instant is `timestamp`), which rejected IIS records
iis = T + "/iis.log"
with open(iis, "w") as f:
    f.write("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
            "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
            "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
            "2026-11-30 10:00:01 10.0.0.1 GET /a - 80 - 1.2.3.4 Mozilla/5.0 - 200 0 0 15\n"
            "2026-11-30 10:01:02 10.0.0.1 GET /b - 80 - 1.2.3.5 Mozilla/5.0 - 404 0 0 3\n")
sl = T + "/rfc5424.log"
with open(sl, "w") as f:
    f.write("<34>1 2026-11-30T10:05:00Z host app 1 - - hi\n<34>1 2026-11-30T10:01:59.5+00:00 h a 2 - - x\n")
st, out, err = run(["--format=tsv", "parse auto | count by minute", iis, sl])
check(st == 0 and rows_of(out) == ["2026-11-30T10:00:00Z\t1", "2026-11-30T10:01:00Z\t2", "2026-11-30T10:05:00Z\t1"],
      "minute over w3c and syslog: %r %r" % (out, err[:300]))
# a pipe whose first read holds only a banner or a blank line: parse auto
# tries again with the next batch instead of rejecting the whole input
# (every record was rejected: 0 of 300)
comb = os.path.join(d, "0.combined")
ncomb = sum(1 for _ in open(comb))
for first in [b"=== log start ===\n", b"\n"]:
    feeder = subprocess.Popen(["sh", "-c", "printf '%s' \"$0\"; sleep 0.3; cat \"$1\"", first.decode(), comb],
                              stdout=subprocess.PIPE)
    p = subprocess.run([RF, "-v", "parse auto | count"], stdin=feeder.stdout, capture_output=True)
    feeder.wait()
    check(p.stdout == b"%d\n" % ncomb and b"read the inputs as: combined 1" in p.stderr,
          "pipe starting with %r: %r %r" % (first, p.stdout, p.stderr[-300:]))

# a UTF-8 byte order mark before an input's first line: read past, as csv
# does (w3c lost its #Fields line and every record, cloudfront read its
# #Version line as a record, json and rfc3164 rejected their first line)
bom = b"\xef\xbb\xbf"
cases = [("w3c", b"#Fields: date time cs-method sc-status\n2026-11-30 10:00:01 GET 200\n2026-11-30 10:00:02 GET 404\n", 2),
         ("cloudfront", b"#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) "
                        b"cs-uri-stem sc-status\n2026-11-30\t10:00:01\tFRA\t100\t1.2.3.4\tGET\td.example\t/a\t200\n", 1),
         ("json", b'{"a":1}\n{"a":2}\n', 2),
         ("rfc3164", b"<34>Nov  3 10:00:00 host app[1]: hi\n<34>Nov  3 10:00:01 host app[2]: yo\n", 2)]
for fmt, body, n in cases:
    path = T + "/bom." + fmt
    with open(path, "wb") as f:
        f.write(bom + body)
    for q in ["parse %s | count" % fmt, "parse auto | count"]:
        for mode in ["serial", "pipeline"]:
            st, out, err = run(["--mode=" + mode, q, path])
            check(st == 0 and out == b"%d\n" % n and b"skipped" not in err and b"ended early" not in err,
                  "%s, %s, BOM: %r %r" % (q, mode, out, err[:300]))
# --since/--until look for the time where combined or a line-start time has
# it; with parse auto an input's format is not known before it is read:
# refused, never records dropped as timeless (it answered 1 of 0 before)
st, out, err = run(["--since", "2026-11-30T10:30:00Z", "parse auto | count", path])
check(st == 2 and b"with parse auto use where" in err, "--since with parse auto: %d %r" % (st, err))
rftest.summary()
EOF
finish
