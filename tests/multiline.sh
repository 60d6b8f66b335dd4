#!/bin/sh
# SPDX-License-Identifier: MIT
# multiline.sh - multiline records (--record-start, --multiline): app logs with
# Java, Python and Go traces, generated here, against a Python model of the
# same record-start rules (re over the lines, written apart from records.c):
# count, grep | count, the line output of a grep (whole records, byte for
# byte) and parse regex | count by level, in every mode, with the read, mmap
# and io_uring backends, buffers and windows small enough that records cross
# them at many offsets, records longer than a buffer, over --max-record,
# CRLF, no final newline, continuation lines first, stdin as a pipe, gzip,
# and multiprocess ranges cut inside traces.
. "${SRCDIR:-.}/tests/lib.sh"

py_checks <<'PY'
import gzip, os, random, re, subprocess, sys
import rftest
from rftest import check, run
T, RF = rftest.setup(sys.argv)

# ---- the model: one predicate per rule, on a line without its newline -----
JAVA_EXC = re.compile(rb"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+(?::|$)")
PY_EXC = re.compile(rb"[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)*(?::|$)")

def exc_name(m, line, suffixes):
    name = line[:m.end()].rstrip(b":").split(b".")[-1]
    return any(name.endswith(s) for s in suffixes)

def java(line):
    if line == b"" or line[:1] in b" \t":
        return False
    if line.startswith((b"Caused by:", b"Suppressed:")) or re.match(rb"\.\.\. \d", line):
        return False
    m = JAVA_EXC.match(line)
    return not (m and exc_name(m, line, (b"Exception", b"Error", b"Throwable")))

def python(line):
    if line == b"" or line[:1] in b" \t":
        return False
    if line.startswith((b"Traceback (most recent call last):", b"During handling of the above exception",
                        b"The above exception was the direct cause")):
        return False
    m = PY_EXC.match(line)
    return not (m and exc_name(m, line, (b"Error", b"Exception", b"Warning", b"Interrupt", b"Exit",
                                         b"Iteration", b"Group")))

GO_FUNC = re.compile(rb"[^\s(]*\.[^\s(]*\(.*\)$")
def go(line):
    if line == b"" or line[:1] in b" \t.":
        return False
    if line.startswith((b"goroutine ", b"created by ", b"[signal ")):
        return False
    return not GO_FUNC.match(line)

def indent(line):
    return line != b"" and line[:1] not in b" \t"

def regex(pattern):
    r = re.compile(pattern)
    return lambda line: r.search(line) is not None

def records(data, start):
    """The records of data: lists of lines (bytes without their newline)."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    recs = []
    for l in lines:
        judged = l[:-1] if l.endswith(b"\r") else l
        if not recs or start(judged):
            recs.append([l])
        else:
            recs[-1].append(l)
    return recs

def out_of(recs):
    return b"".join(b"\n".join(r) + b"\n" for r in recs)

# ---- the logs ----------------------------------------------------------
rnd = random.Random(16)
LEVELS = ["INFO", "WARN", "ERROR", "DEBUG"]
def stamp(i):
    return "2026-03-%02d 12:%02d:%02d.%03d" % (1 + i % 28, i % 60, (i * 7) % 60, i % 1000)

def java_trace(i, deep):
    cls = rnd.choice(["java.lang.IllegalStateException", "java.io.IOException", "com.acme.shop.OrderError"])
    t = ["%s: failure %d" % (cls, i)]
    t += ["\tat com.acme.shop.Service%d.call(Service.java:%d)" % (k, 10 + k) for k in range(deep)]
    if i % 3 == 0:
        t += ["Caused by: java.net.SocketTimeoutException: read timed out"]
        t += ["\tat java.net.Socket.read(Socket.java:%d)" % k for k in range(3)]
        t += ["\t... %d more" % deep]
    if i % 5 == 0:
        t += ["\tSuppressed: java.lang.RuntimeException: close", "\t\tat x.Y.close(Y.java:1)"]
    return t

def python_trace(i, deep):
    t = ["Traceback (most recent call last):"]
    for k in range(deep):
        t += ['  File "/srv/app/mod%d.py", line %d, in f%d' % (k, k + 3, k), "    g%d(x)" % k]
    if i % 4 == 0:
        t += ["KeyError: 'user'", "", "During handling of the above exception, another exception occurred:",
              "", "Traceback (most recent call last):", '  File "/srv/app/h.py", line 9, in h', "    raise"]
    t += [rnd.choice(["ValueError: bad value %d" % i, "app.errors.QuotaExceeded: over", "StopIteration",
                      "mypkg.DbError: gone"])]
    return t

def go_trace(i, deep):
    t = ["panic: runtime error: index out of range [%d] with length 3" % i, "",
         "goroutine %d [running]:" % (i + 1)]
    for k in range(deep):
        t += ["main.(*Server).handle%d(0xc000%04x, {0x1, 0x2})" % (k, k), "\t/src/app/server.go:%d +0x1d" % k]
    t += ["created by main.main in goroutine 1", "\t/src/app/main.go:12 +0x3a", "", "goroutine 7 [chan receive]:",
          "runtime.gopark(0x0?)", "\t/usr/lib/go/src/runtime/proc.go:398 +0xce"]
    return t

TRACES = {"java": java_trace, "python": python_trace, "go": go_trace}

def applog(kind, n, crlf=False, head=(), final_nl=True, big=()):
    out = list(head)
    for i in range(n):
        lvl = LEVELS[i % 4] if i % 10 else "ERROR"
        out.append("%s %s [worker-%d] request %d done" % (stamp(i), lvl, i % 7, i))
        if i % 10 == 0 or i in big:
            deep = 3000 if i in big else rnd.randint(1, 40)
            out += TRACES[kind](i, deep)
    s = "\n".join(out) + ("\n" if final_nl else "")
    if crlf:
        s = s.replace("\n", "\r\n")
    return s.encode()

RULES = {"java": java, "python": python, "go": go}
files = {}
for kind in RULES:
    files[kind] = applog(kind, 6000, big=(1234,))
files["java-crlf"] = applog("java", 800, crlf=True)
files["java-nonl"] = applog("java", 800, final_nl=False, head=("\tat leftover.Frame(F.java:1)", "\t... 2 more"))
files["python-cont"] = applog("python", 800, head=("  File \"x.py\", line 1", "ValueError: cut"))
files["go-nonl-trace"] = applog("go", 300) + b"panic: last\n\ngoroutine 1 [running]:\nmain.main()"
for name, data in files.items():
    open(os.path.join(T, name), "wb").write(data)

def rule_of(name):
    return name.split("-")[0]

LEVEL_RE = rb"^\S+ \S+ (?<level>[A-Z]+) "
def level_counts(recs):
    c = {}
    for r in recs:
        m = re.match(rb"^\S+ \S+ (?P<level>[A-Z]+) ", r[0] + b"\n")
        if m:
            c[m.group("level")] = c.get(m.group("level"), 0) + 1
    return c

def check_file(name, opts, rule_opt, start, full=True):
    path = os.path.join(T, name)
    data = open(path, "rb").read()
    recs = records(data, start)
    what = "%s %s %s" % (name, " ".join(rule_opt), " ".join(opts))
    st, out, err = run(opts + rule_opt + ["count", path])
    check(st == 0 and out == b"%d\n" % len(recs), "%s: count %r %r, want %d" % (what, out, err[:200], len(recs)))
    hits = [r for r in recs if any(b"Caused by" in l or b"KeyError" in l or b"goroutine 7" in l for l in r)]
    st, out, err = run(opts + rule_opt + ["regex \"Caused by|KeyError|goroutine 7\"", path])
    check(st == 0 and out == out_of(hits), "%s: regex output (%d bytes, want %d) %r" % (what, len(out),
          len(out_of(hits)), err[:200]))
    if not full:
        return
    st, out, err = run(opts + rule_opt + ["grep -v INFO | count", path])
    want = sum(1 for r in recs if not any(b"INFO" in l for l in r))
    check(st == 0 and out == b"%d\n" % want, "%s: grep -v | count %r, want %d" % (what, out, want))
    st, out, err = run(opts + rule_opt + ["--format=tsv", "parse regex \"^\\S+ \\S+ (?<level>[A-Z]+) \" | count by level",
                                          path])
    got = {}
    for l in out.splitlines()[1:]:
        k, v = l.split(b"\t")
        got[k] = int(v)
    want = level_counts(recs)
    check(st == 0 and got == want, "%s: count by level %r, want %r %r" % (what, got, want, err[:200]))

# every rule, every mode and backend, small buffers and windows
for name in files:
    rule = rule_of(name)
    for mode in rftest.MODES:
        for io in ["read", "mmap", "uring"]:
            check_file(name, ["--mode=" + mode, "--io=" + io, "--buffer-size=64K", "--window=4K"],
                       ["--multiline=" + rule], RULES[rule], full=(name == rule))

# boundaries at many offsets: windows of odd sizes, buffers a little over 64K
for w in ["4K", "8K", "12K", "20K"]:
    check_file("java", ["--io=mmap", "--window=" + w], ["--multiline=java"], java, full=False)
for bs in ["65537", "70001", "100000", "131071"]:
    for mode in ["serial", "parallel"]:
        check_file("python", ["--io=read", "--mode=" + mode, "--buffer-size=" + bs], ["--multiline=python"], python,
                   full=False)

# --record-start: a literal prefix (fast path), a pattern, a pattern that
# needs the whole line
for pat in [rb"^2026-", rb"^\d{4}-\d\d-\d\d ", rb"\[worker-3\]", rb"^\S+ \S+ ERROR"]:
    for mode in ["serial", "pipeline", "multiprocess"]:
        check_file("java", ["--mode=" + mode, "--buffer-size=64K", "--window=4K", "--io=mmap"],
                   ["--record-start=" + pat.decode()], regex(pat), full=False)

# indent on the python log (a Traceback line is a start there)
check_file("python", ["--buffer-size=64K"], ["--multiline=indent"], indent, full=False)

# stdin as a pipe, and gzip
data = files["go"]
recs = records(data, go)
p = subprocess.run([RF, "--multiline=go", "--buffer-size=64K", "regex \"goroutine 7\""], input=data,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
check(p.returncode == 0 and p.stdout == out_of([r for r in recs if any(b"goroutine 7" in l for l in r)]),
      "stdin pipe: regex output %r" % p.stderr[:200])
gz = os.path.join(T, "go.gz")
open(gz, "wb").write(gzip.compress(data))
for mode in ["serial", "multiprocess"]:
    st, out, err = run(["--multiline=go", "--mode=" + mode, "count", gz])
    check(st == 0 and out == b"%d\n" % len(recs), "gzip %s: count %r %r" % (mode, out, err[:200]))

# multiprocess with many workers: ranges cut inside traces
for threads in ["3", "7", "16"]:
    check_file("java", ["--mode=multiprocess", "--threads=" + threads], ["--multiline=java"], java, full=False)

# --max-record: the record with the 3000-frame trace is over 64K
path = os.path.join(T, "java")
recs = records(files["java"], java)
longest = max(len(b"\n".join(r)) for r in recs)
check(longest > 100000, "the long trace is long: %d" % longest)
for mode in ["serial", "parallel", "multiprocess"]:
    for io in ["read", "mmap"]:
        o = ["--mode=" + mode, "--io=" + io, "--buffer-size=64K", "--window=4K", "--multiline=java"]
        st, out, err = run(o + ["--max-record=100K", "count", path])
        line = 1 + sum(len(r) for r in recs[:[len(b"\n".join(r)) for r in recs].index(longest)])
        check(st != 0 and b"line %d" % line in err and b"java" in err,
              "max-record %s %s: status %d, %r (want line %d)" % (mode, io, st, err[:300], line))
        st, out, err = run(o + ["--max-record=100K", "--on-long=skip", "count", path])
        check(st == 0 and out == b"%d\n" % (len(recs) - 1), "on-long=skip %s %s: %r %r" % (mode, io, out, err[:300]))
        st, out, err = run(o + ["--max-record=100K", "--on-long=skip", "regex \"failure 1240\"", path])
        want = out_of([r for r in recs if any(b"failure 1240" in l for l in r)])
        check(st == 0 and out == want, "on-long=skip, the records after it %s %s: %r" % (mode, io, out[:200]))

# --stats: records and lines, and the rule
st, out, err = run(["--stats", "--multiline=java", "count", path])
check(b"records     %d" % len(recs) in err and b"lines       %d" % files["java"].count(b"\n") in err
      and b"multiline   java" in err, "stats: %r" % err[-600:])

# bad rules: exit 2, a message (and a caret for a pattern)
for args, want in [(["--multiline=cobol"], b"not a rule"), (["--record-start=^(a"], b"^"),
                   (["--record-start=a", "--multiline=java"], b"one rule"),
                   (["--multiline=java", "parse csv | count"], b"csv")]:
    q = [] if len(args) > 1 and not args[1].startswith("-") else ["count"]
    st, out, err = run(args + q + [path])
    check(st == 2 and want in err, "bad %r: %d %r" % (args, st, err))

# rejects name lines of the file: the 2nd record of a log that starts with two
# continuation lines is on line 5
bad = os.path.join(T, "rej")
open(bad, "wb").write(b"\tat a\n\tat b\n2026 INFO x\n\tat c\nno level here\n\tat d\n")
st, out, err = run(["--multiline=java", "--strict", "parse regex \"^(?<y>\\d+) (?<level>[A-Z]+)\" | count", bad])
check(st != 0 and b"line 1" in err, "strict reject of the first record: %r" % err)
st, out, err = run(["--multiline=java", "--rejects=" + os.path.join(T, "rej.out"),
                    "parse regex \"^(?<y>\\d+) (?<level>[A-Z]+)\" | count", bad])
check(open(os.path.join(T, "rej.out"), "rb").read() == b"\tat a\n\tat b\nno level here\n\tat d\n",
      "rejects are whole records: %r" % err)
# a later record's reject names the line of the file it starts on (4), in every mode
open(bad, "wb").write(b"2026 INFO x\n\tat c\n\tat d\nno level\n\tat e\n2026 WARN y\n")
for mode in rftest.MODES:
    st, out, err = run(["--mode=" + mode, "--multiline=java", "parse regex \"^(?<y>\\d+) (?<level>[A-Z]+)\" | count",
                        bad])
    check(st == 0 and out == b"2\n" and b"line 4" in err, "reject line %s: %r %r" % (mode, out, err))
# a pattern whose ^ is one branch of a top-level | (the literal after ^ was
# taken as a prefix every start line must have: ^INFO|^ERROR joined records)
lv = os.path.join(T, "lv")
data = b"INFO a\n  cont\nERROR b\n  cont\nWARN c\nINFO d\nxERROR e\n|x f\n"
open(lv, "wb").write(data)
for pat in [r"^INFO|^ERROR|^WARN", r"^(INFO|ERROR)", r"^ERROR|WARN|f$", r"^[|]x|^INFO", r"^INFO", r"^x|^\|x"]:
    want = len(records(data, regex(pat.encode())))
    for mode in ["serial", "multiprocess"]:
        st, out, err = run(["--mode=" + mode, "--record-start=" + pat, "count", lv])
        check(st == 0 and out == b"%d\n" % want, "--record-start=%s %s: %r, want %d" % (pat, mode, out, want))
rftest.summary()
PY
finish
