#!/bin/sh
# SPDX-License-Identifier: MIT
# syslog.sh - parse rfc5424, rfc3164 and syslog against Python's re: RFC
# 5424's own examples (section 6.5) worked by hand, then random real-shaped
# lines of both kinds (fixed seeds) read field by field by regular
# expressions written from the RFCs' grammars, in every mode, with CRLF, no
# final newline, a small buffer, cut-off lines and garbage; count by minute
# against Python's datetime.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || { echo "SKIP: python3 (the oracle) is not installed"; exit 77; }

py_checks <<'X'
import datetime, json, random, re, sys
from rftest import *
from parsecheck import *
T, RF = setup(sys.argv)

FIELDS = ["pri", "facility", "severity", "version", "timestamp", "hostname", "appname", "procid", "msgid",
          "sd", "msg"]
PARAMS = ["sd.exampleSDID@32473.iut", "sd.exampleSDID@32473.eventSource", "sd.origin.ip", "sd.meta.x"]

def want(d, names):
    return {n: json_value(d.get(n)) for n in names}

# ---- RFC 5424 section 6.5, by hand ---------------------------------------------
ex = (b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xef\xbb\xbf'su root' failed for "
      b"lonvick on /dev/pts/8\n"
      b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.\n"
      b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
      b"eventSource=\"Application\" eventID=\"1011\"] \xef\xbb\xbfAn application event log entry...\n"
      b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
      b"eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\"]\n")
open(T + "/ex.log", "wb").write(ex)
hand = [
    {"pri": 34, "facility": 4, "severity": 2, "version": 1, "timestamp": "2003-10-11T22:14:15.003Z",
     "hostname": "mymachine.example.com", "appname": "su", "procid": None, "msgid": "ID47", "sd": None,
     "msg": "'su root' failed for lonvick on /dev/pts/8", "sd.exampleSDID@32473.iut": None,
     "sd.examplePriority@32473.class": None},
    {"pri": 165, "facility": 20, "severity": 5, "version": 1, "timestamp": "2003-08-24T05:14:15.000003-07:00",
     "hostname": "192.0.2.1", "appname": "myproc", "procid": 8710, "msgid": None, "sd": None,
     "msg": "%% It's time to make the do-nuts.", "sd.exampleSDID@32473.iut": None,
     "sd.examplePriority@32473.class": None},
    {"pri": 165, "facility": 20, "severity": 5, "version": 1, "timestamp": "2003-10-11T22:14:15.003Z",
     "hostname": "mymachine.example.com", "appname": "evntslog", "procid": None, "msgid": "ID47",
     "sd": '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]',
     "msg": "An application event log entry...", "sd.exampleSDID@32473.iut": 3,
     "sd.examplePriority@32473.class": None},
    {"pri": 165, "facility": 20, "severity": 5, "version": 1, "timestamp": "2003-10-11T22:14:15.003Z",
     "hostname": "mymachine.example.com", "appname": "evntslog", "procid": None, "msgid": "ID47",
     "sd": '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
     "msg": None, "sd.exampleSDID@32473.iut": 3, "sd.examplePriority@32473.class": "high"},
]
names = FIELDS + ["sd.exampleSDID@32473.iut", "sd.examplePriority@32473.class"]
for fmt in ["rfc5424", "syslog"]:
    rc, out, err = run(["--format=json", "parse %s | select %s" % (fmt, ", ".join(names)), T + "/ex.log"])
    check(rc == 0, "%s: RFC 5424 examples: status %d %r" % (fmt, rc, err))
    check(rows(out) == hand, "%s: RFC 5424 examples: %r" % (fmt, out[:600]))

# ---- the oracle: RFC 5424's ABNF as regular expressions ------------------------
H5424 = re.compile(rb"<(0|[1-9][0-9]{0,2})>([1-9][0-9]?) (\S+) (\S+) (\S+) (\S+) (\S+) (.*)\Z", re.S)
ELEM = re.compile(rb'\[([^ \]="]+)((?: [^ =\]"]+="(?:[^"\\]|\\.)*")*)\]', re.S)
PARAM = re.compile(rb' ([^ =\]"]+)="((?:[^"\\]|\\.)*)"', re.S)
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
H3164 = re.compile(rb"(?:<(0|[1-9][0-9]{0,2})>)?((?:%s) (?: [0-9]|[0-9]{1,2}) [0-9]{2}:[0-9]{2}:[0-9]{2}|"
                   rb"[0-9]{4}-[0-9]{2}-[0-9]{2}T\S+) (\S+) (.*)\Z" % "|".join(MONTHS).encode(), re.S)
TAG_PID = re.compile(rb"([^\[: ]+)\[([^\]]+)\](?=:| |\Z)")
TAG = re.compile(rb"([^\[: ]+):")
nil = lambda v: None if v == b"-" else v

def oracle(line, fmt):
    """the fields of line (bytes, no line end) or None for a reject"""
    f = {}
    if fmt == "rfc5424" or (fmt == "syslog" and re.match(rb"<[0-9]{1,3}>1 ", line)):
        m = H5424.match(line)
        if not m or int(m.group(1)) > 191:
            return None
        pri = int(m.group(1))
        if m.group(3) != b"-" and (len(m.group(3)) < 10 or m.group(3)[4:5] != b"-"):
            return None  # a 5424 stamp is RFC 3339's
        f.update(pri=m.group(1), facility=b"%d" % (pri >> 3), severity=b"%d" % (pri & 7), version=m.group(2))
        for k, v in zip(["timestamp", "hostname", "appname", "procid", "msgid"], m.group(3, 4, 5, 6, 7)):
            f[k] = nil(v)
        rest = m.group(8)
        if rest[:1] == b"-" and rest[1:2] in (b"", b" "):
            sd_end = 1
        else:
            sd_end = 0
            for e in ELEM.finditer(rest):
                if e.start() != sd_end:
                    break
                sd_end = e.end()
                for pm in PARAM.finditer(e.group(2)):
                    f[b"sd." + e.group(1) + b"." + pm.group(1)] = re.sub(rb'\\(["\\\]])', rb"\1", pm.group(2))
            if sd_end == 0:
                return None
            f["sd"] = rest[:sd_end]
        msg = rest[sd_end:]
        if msg:
            if msg[:1] != b" ":
                return None
            msg = msg[1:]
            f["msg"] = msg[3:] if msg.startswith(b"\xef\xbb\xbf") else msg
        return f
    m = H3164.match(line)
    if not m:
        return None
    if m.group(1) is not None:
        if int(m.group(1)) > 191:
            return None
        pri = int(m.group(1))
        f.update(pri=m.group(1), facility=b"%d" % (pri >> 3), severity=b"%d" % (pri & 7))
    f.update(timestamp=m.group(2), hostname=m.group(3))
    rest = m.group(4)
    t = TAG_PID.match(rest)
    if t:
        f.update(appname=t.group(1), procid=t.group(2))
        rest = rest[t.end():]
    else:
        t = TAG.match(rest)
        if t:
            f["appname"] = t.group(1)
            rest = rest[t.end() - 1:]
    if t:
        rest = rest[1:] if rest[:1] == b":" else rest
        rest = rest[1:] if rest[:1] == b" " else rest
    f["msg"] = rest
    return f

# ---- random lines of both kinds ------------------------------------------------
rnd = random.Random(5424)
def word(chars="abcdefghijklmnopqrstuvwxyz0123456789.-_", lo=1, hi=12):
    return "".join(rnd.choice(chars) for _ in range(rnd.randint(lo, hi))).encode()
def maybe_nil(v):
    return b"-" if rnd.random() < 0.2 else v
def stamp5424():
    t = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=rnd.randint(0, 10**7))
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    s += rnd.choice(["", ".%03d" % rnd.randint(0, 999), ".%06d" % rnd.randint(0, 999999)])
    s += rnd.choice(["Z", "+02:00", "-07:30", "Z"])
    return s.encode()
def sdvalue():
    v = b"".join(rnd.choice([b"a", b"b c", b"\\\"", b"\\\\", b"\\]", b"]", b"[", b"=", b"\\n", b"\xc3\xa9"])
                 for _ in range(rnd.randint(0, 5)))
    return v
def sd():
    if rnd.random() < 0.3:
        return b"-"
    out = b""
    for _ in range(rnd.randint(1, 3)):
        sid = rnd.choice([b"exampleSDID@32473", b"origin", b"meta", b"timeQuality"])
        out += b"[" + sid
        for _ in range(rnd.randint(0, 3)):
            out += b" " + rnd.choice([b"iut", b"eventSource", b"ip", b"x"]) + b'="' + sdvalue() + b'"'
        out += b"]"
    return out
def msg():
    return b"".join(rnd.choice([b"word ", b"[x] ", b"a=b ", b"- ", b": ", b"\xc3\xa9 ", b"\t", b"\xff", b"\""])
                    for _ in range(rnd.randint(0, 8)))
def line5424():
    l = b"<%d>1 " % rnd.randint(0, 191) + b" ".join([maybe_nil(stamp5424()), maybe_nil(word()), maybe_nil(word()),
                                                      maybe_nil(b"%d" % rnd.randint(1, 99999)), maybe_nil(word()),
                                                      sd()])
    r = rnd.random()
    if r < 0.7:
        l += b" " + (b"\xef\xbb\xbf" if rnd.random() < 0.3 else b"") + msg()
    return l
def stamp3164():
    if rnd.random() < 0.15:
        return stamp5424()  # rsyslog's high-precision stamp in the same layout
    return ("%s %2d %02d:%02d:%02d" % (rnd.choice(MONTHS), rnd.randint(1, 28), rnd.randint(0, 23),
                                       rnd.randint(0, 59), rnd.randint(0, 59))).encode()
def line3164():
    l = (b"<%d>" % rnd.randint(0, 191) if rnd.random() < 0.4 else b"") + stamp3164() + b" " + word()
    tag = rnd.choice([b"sshd", b"CRON", b"systemd", b"kernel", b"postfix/smtpd", b"su"])
    r = rnd.random()
    if r < 0.4:
        l += b" " + tag + b"[%d]: " % rnd.randint(1, 40000) + msg()
    elif r < 0.8:
        l += b" " + tag + b": " + msg()
    elif r < 0.9:
        l += b" -- MARK --"
    else:
        l += b" " + tag + b"[%d] " % rnd.randint(1, 9) + msg()
    return l
GARBAGE = [b"garbage", b"<999>1 2024-01-01T00:00:00Z h a p m -", b"<1>1 notatime h a p m -", b"Foo  1 00:00:00 h x",
           b"<13>1 2024-01-01T00:00:00Z h a p m [id a=\"b\"]x", b"<13>1 2024-01-01T00:00:00Z h a p m [=x]",
           b"<13>"]

lines = []
for i in range(3000):
    r = rnd.random()
    lines.append(line5424() if r < 0.5 else line3164() if r < 0.97 else rnd.choice(GARBAGE))
for fmt in ["syslog", "rfc5424", "rfc3164"]:
    exp, rejects, cut = [], 0, 0
    for l in lines:
        o = oracle(l, fmt)
        if o is None:
            rejects += 1
        else:
            exp.append(o)
    names = FIELDS + PARAMS if fmt != "rfc3164" else ["pri", "facility", "severity", "timestamp", "hostname",
                                                      "appname", "procid", "msg"]
    key = lambda n: n.encode() if n.startswith("sd.") else n
    wanted = [{n: json_value(o.get(key(n))) for n in names} for o in exp]
    for ending, last in ENDINGS:
        open(T + "/s.log", "wb").write(ending.join(lines) + (ending if last else b""))
        for mode in MODES:
            check_select("%s %s %r last=%s" % (fmt, mode, ending, last), ["--mode=" + mode, "--buffer-size=64k"],
                         "parse %s | select %s" % (fmt, ", ".join(names)), [T + "/s.log"], wanted, rejects,
                         0)  # the random lines are whole: none is cut off

# parse auto: the examples are rfc5424; 3164 lines alone rfc3164; both mixed syslog
mixed = [l for l in lines if oracle(l, "syslog") is not None]
open(T + "/m5424.log", "wb").write(b"\n".join(l for l in mixed if l.startswith(b"<") and l[4:6] == b"1 " or
                                               re.match(rb"<[0-9]+>1 ", l)) + b"\n")
open(T + "/m3164.log", "wb").write(b"\n".join(l for l in mixed if not re.match(rb"<[0-9]+>1 ", l)) + b"\n")
open(T + "/mixed.log", "wb").write(b"\n".join(mixed) + b"\n")
for path, fmt in [("/ex.log", "rfc5424"), ("/m5424.log", "rfc5424"), ("/m3164.log", "rfc3164"),
                  ("/mixed.log", "syslog")]:
    rc, out, err = run(["-v", "parse auto | count", T + path])
    check(rc == 0 and b"read the inputs as: %s 1" % fmt.encode() in err, "parse auto on %s: %r" % (path, err[-300:]))

# ---- cut off: what is there is kept, and counted ------------------------------
cuts = [
    (b"<13>1 2024-01-01T00:00:00Z host app", {"hostname": "host", "appname": "app", "procid": None, "sd": None}),
    (b"<13>1 2024-01-01T00:00:00Z host app 1 m [a x=\"1\"][b y=\"2",
     {"sd.a.x": 1, "sd.b.y": None, "sd": '[a x="1"][b y="2', "msg": None}),
    (b"<13>1 2024-01-01T00:00:00Z host app 1 m [a x=\"1\" y=\"\\]", {"sd.a.x": 1, "sd.a.y": None}),
    (b"<13>1 2024-01-01T00:00:00Z host app 1 m [a x=", {"sd.a.x": None, "sd": "[a x="}),
    (b"Nov  3 07:04:02 host1", {"hostname": "host1", "msg": None, "timestamp": "Nov  3 07:04:02"}),
]
for l, w in cuts:
    open(T + "/c.log", "wb").write(l + b"\n")
    names = sorted(w)
    rc, out, err = run(["--format=json", "parse syslog | select " + ", ".join(names), T + "/c.log"])
    check(rc == 0 and rows(out) == [w], "cut %r: %r %r" % (l, out, err))
    check(b"1 record ended early" in err, "cut %r: counted: %r" % (l, err))
    rc, out, err = run(["--strict", "parse syslog | count", T + "/c.log"])
    check(rc != 0, "cut %r: --strict refuses it (%d)" % (l, rc))
# whole records are not cut: no MSG, no PID
open(T + "/w.log", "wb").write(b"<13>1 2024-01-01T00:00:00Z h a p m -\nNov  3 07:04:02 h sshd: x\n")
rc, out, err = run(["--strict", "parse syslog | count", T + "/w.log"])
check(rc == 0 and b"ended early" not in err, "whole records: %d %r" % (rc, err))

# ---- count by minute: the 3164 stamp in this year (UTC), 5424's as instants -----
year = datetime.datetime.now(datetime.timezone.utc).year
def instant(ts):
    if ts[:1].isdigit():
        t = datetime.datetime.fromisoformat(ts.decode().replace("Z", "+00:00"))
    else:
        t = datetime.datetime.strptime("%d %s" % (year, " ".join(ts.decode().split())), "%Y %b %d %H:%M:%S")
        t = t.replace(tzinfo=datetime.timezone.utc)
    return t.astimezone(datetime.timezone.utc)
def minute(ts):
    return instant(ts).strftime("%Y-%m-%dT%H:%M:00Z")
counts = {}
for l in lines:
    o = oracle(l, "syslog")
    if o:
        k = minute(o["timestamp"]) if o.get("timestamp") else None  # NILVALUE: the null group
        counts[k] = counts.get(k, 0) + 1
open(T + "/s.log", "wb").write(b"\n".join(lines) + b"\n")
for mode in MODES:
    rc, out, err = run(["--mode=" + mode, "--format=json", "parse syslog | count by minute", T + "/s.log"])
    got = {r["minute"]: r["count"] for r in rows(out)}
    check(rc == 0 and got == counts, "count by minute, %s: %d groups, want %d; %r" % (mode, len(got), len(counts),
                                                                                  err[:200]))

# where and time() read a 3164 stamp in the same year as count by minute
for since in ["%d-06-15T12:00:00Z" % year, "%d-03-01T00:00:00Z" % year, "2024-06-01T00:00:00Z"]:
    lim = datetime.datetime.fromisoformat(since.replace("Z", "+00:00"))
    n = sum(1 for l in lines for o in [oracle(l, "syslog")] if o and o.get("timestamp") and instant(o["timestamp"]) >= lim)
    rc, out, err = run(["--format=json", 'parse syslog | where timestamp >= "%s" | count' % since, T + "/s.log"])
    check(rc == 0 and rows(out) == [{"count": n}], "where timestamp >= %s: %r, want %d" % (since, out, n))
    rc, out, err = run(["--format=json", 'parse syslog | where time(timestamp) >= "%s" | count' % since, T + "/s.log"])
    check(rc == 0 and rows(out) == [{"count": n}], "where time(timestamp) >= %s: %r, want %d" % (since, out, n))

# ---- names: a 3164 line has no sd.*, and a bad name is an error with a caret ----
rc, out, err = run(["parse rfc3164 | select sd.a.b", T + "/w.log"])
check(rc == 2 and b"^" in err, "rfc3164 has no sd fields: %d %r" % (rc, err))
rc, out, err = run(["parse rfc5424 | select hostnam", T + "/w.log"])
check(rc == 2 and b"^" in err, "an unknown field: %d %r" % (rc, err))
summary()
X
finish
