#!/bin/sh
# SPDX-License-Identifier: MIT
# streaming.sh - live input: every line out as soon as it arrives, in every
# mode; --every prints snapshots on time on a quiet pipe, keeps reading when
# a snapshot is slower than the interval (skipping, and counting, the
# snapshots it cannot print) and prints one JSON document per snapshot;
# SIGINT and SIGTERM end a run on a quiet pipe at once, with --every too;
# files and pipes mixed (a pipe's line after a file), and several pipes, as
# live as one; an output that fails on a quiet pipe ends the run at once.
#
# A Python harness drives ringflow: a writer thread feeds its stdin through
# a pipe, line by line with pauses, and the reader timestamps each line of
# its stdout.  The oracle is the input itself (which lines a query keeps,
# computed in Python) and Python's json and collections.Counter.  The cases
# of one kind run at the same time: each is mostly asleep, waiting for its
# writer, so together they take the time of one.
. "${SRCDIR:-.}/tests/lib.sh"

cat > "$T/stream.py" << 'EOF'
import array, collections, fcntl, json, os, resource, signal, subprocess, sys, termios, threading, time
from datetime import datetime, timezone

RF = os.environ["RINGFLOW"]
MODES = ["serial", "parallel", "pipeline", "multiprocess", "async", "auto"]
# The man page promises 50 ms: the median of all lines must keep it.  A
# single line may take up to BOUND on a loaded machine; a line held back
# until the next write (the bug) takes at least the writer's pause, 300 ms.
BOUND = 0.250
MEDIAN = 0.050
# Built with the sanitizers every run is several times slower (start-up
# alone takes 0.1 s here): the time bounds stretch, and that build is there
# for memory errors, the plain build for these bounds.
SLOW = 4.0 if os.environ.get("SANITIZED") == "yes" else 1.0
BOUND *= SLOW
MEDIAN *= SLOW
failures = []
checks = 0
latencies = []


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)


def run(args, plan, sig_at=None, limit=20.0, keep_all=True, fifo=None):
    """Run ringflow with `plan` written to its stdin (or to the named pipe
    `fifo`, its input file): ("line", text) writes and flushes a line,
    ("sleep", s) waits, ("close",) ends the input.  The pipe stays open
    after the plan unless it closes it.  sig_at: (seconds after the start,
    signal) to send.  Returns what happened."""
    p = subprocess.Popen([RF] + args + ([fifo] if fifo else []), stdin=subprocess.DEVNULL if fifo else subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if fifo:
        p.stdin = open(fifo, "wb")  # once ringflow opens it
    res = {"written": [], "out": [], "sig_time": None, "end": None, "status": None,
           "cpu": None, "last": b"", "nlines": 0, "closed": None}
    start = time.monotonic()
    done = threading.Event()

    def writer():
        try:
            for step in plan:
                if done.is_set():
                    return
                if step[0] == "line":
                    p.stdin.write(step[1].encode() + b"\n")
                    p.stdin.flush()
                    res["written"].append((step[1], time.monotonic()))
                elif step[0] == "bulk":
                    p.stdin.write(step[1])
                    p.stdin.flush()
                elif step[0] == "sleep":
                    done.wait(step[1])
                elif step[0] == "close":
                    p.stdin.close()
                    res["closed"] = time.monotonic()
                    return
        except (BrokenPipeError, ValueError):
            pass

    err = []
    et = threading.Thread(target=lambda: err.append(p.stderr.read()))
    et.start()
    wt = threading.Thread(target=writer)
    wt.start()
    if sig_at:
        def signaller():
            if not done.wait(sig_at[0]):
                res["sig_time"] = time.monotonic()
                p.send_signal(sig_at[1])
        threading.Thread(target=signaller, daemon=True).start()
    killer = threading.Timer(limit, lambda: p.kill())
    killer.start()
    buf = b""
    fd = p.stdout.fileno()
    while True:
        chunk = os.read(fd, 1 << 16)
        now = time.monotonic()
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for l in lines:
            res["nlines"] += 1
            res["last"] = l
            if keep_all:
                res["out"].append((l.decode(errors="replace"), now))
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    res["end"] = time.monotonic()
    killer.cancel()
    done.set()
    try:
        p.stdin.close()
    except (BrokenPipeError, ValueError):
        pass
    wt.join()
    et.join()
    res["status"] = p.returncode
    res["cpu"] = ru.ru_utime + ru.ru_stime
    res["err"] = err[0].decode(errors="replace") if err else ""
    res["start"] = start
    return res


def parallel(cases):
    """Run fn(*args) for each case at once; return the results in order."""
    out = [None] * len(cases)

    def one(i, fn, a):
        out[i] = fn(*a)
    ts = [threading.Thread(target=one, args=(i, fn, a)) for i, (fn, a) in enumerate(cases)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def logfmt_lines(n):
    lv = ["error", "info", "warn", "error", "debug", "info"]
    return ["level=%s msg=\"event %d\" n=%d" % (lv[i % len(lv)], i, i) for i in range(n)]


def slow_plan(lines, pause=0.3, tail=0.5):
    # the first line once ringflow is up and waiting: its start-up (slow
    # under the sanitizers) is not what is measured
    plan = [("sleep", 0.6)]
    for l in lines:
        plan += [("line", l), ("sleep", pause)]
    return plan + [("sleep", tail), ("close",)]


def latency(label, res, want):
    """Every line of `want` came out, in order, and each within BOUND of its
    write; nothing else came out."""
    got = [l for l, _ in res["out"]]
    check(got == want, "%s: lines %r, want %r" % (label, got, want))
    when = dict((l, t) for l, t in res["written"])
    lat = [t - when[l] for l, t in res["out"] if l in when]
    latencies.extend(lat)
    worst = max(lat or [0])
    check(worst <= BOUND, "%s: a line took %.0f ms to come out (bound %.0f ms)" % (label, worst * 1e3, BOUND * 1e3))
    check(res["status"] == 0, "%s: exit status %s: %s" % (label, res["status"], res["err"][:300]))


# ---- each line out as soon as it arrives, in every mode --------------------
def test_latency():
    lines = logfmt_lines(5)
    queries = [
        ("grep error", lambda l: "error" in l),
        # parses and filters per record: auto takes pipeline mode on a pipe
        ('parse logfmt | where level == "error"', lambda l: l.split()[0] == "level=error"),
        ("parse logfmt | select n, level", None),
    ]
    cases = []
    for m in MODES:
        for q, _ in queries:
            cases.append((run, (["--mode=" + m, q], slow_plan(lines))))
    # --io=uring asked for on a pipe (read(2) serves it), and small buffers
    cases.append((run, (["--io=uring", "--mode=pipeline", "grep error"], slow_plan(lines))))
    cases.append((run, (["--buffer-size=64K", "--mode=parallel", "grep error"], slow_plan(lines))))
    # a named pipe as the input file (async mode hands it to the plain path)
    for m in MODES:
        fifo = os.path.join(os.environ["T"], "fifo-" + m)
        os.mkfifo(fifo)
        cases.append((run, (["--mode=" + m, 'parse logfmt | where level == "error"'], slow_plan(lines), None, 20.0,
                            True, fifo)))
    res = parallel(cases)
    i = 0
    for m in MODES:
        for q, keep in queries:
            r = res[i]
            i += 1
            label = "%s, %s" % (m, q)
            if keep:
                latency(label, r, [l for l in lines if keep(l)])
                continue
            # select prints a table row by row: a header, then one row
            # per input line, holding its n, each out within BOUND
            rows = [l for l, _ in r["out"]]
            check(rows[:1] == ["n  level"], "%s: header %r" % (label, rows[:1]))
            nums = [l.split()[0] for l in rows[1:]]
            check(nums == [str(k) for k in range(len(lines))], "%s: rows %r" % (label, rows))
            when = [t for _, t in r["written"]]
            arr = [t for _, t in r["out"][1:]]
            lat = [a - w for a, w in zip(arr, when)]
            latencies.extend(lat)
            worst = max(lat or [0])
            check(worst <= BOUND, "%s: a row took %.0f ms to come out" % (label, worst * 1e3))
            check(r["status"] == 0, "%s: exit status %s: %s" % (label, r["status"], r["err"][:300]))
    latency("--io=uring pipeline", res[i], [l for l in lines if "error" in l])
    latency("--buffer-size=64K parallel", res[i + 1], [l for l in lines if "error" in l])
    for k, m in enumerate(MODES):
        latency("a named pipe, %s" % m, res[i + 2 + k], [l for l in lines if l.split()[0] == "level=error"])
    lat = sorted(latencies)
    med = lat[len(lat) // 2] if lat else 99
    check(med <= MEDIAN, "the median line took %.0f ms to come out (promised: %.0f ms)" % (med * 1e3, MEDIAN * 1e3))


# ---- --every without an aggregate: lines stream, nothing spins --------------
def test_every_lines():
    plan = [("line", "a"), ("sleep", 0.6), ("line", "b"), ("sleep", 0.5), ("close",)]
    res = parallel([(run, (["--mode=" + m, "--every", "100ms", "grep b"], plan, None, 8.0)) for m in MODES])
    for m, r in zip(MODES, res):
        latency("--every without an aggregate, %s" % m, r, ["b"])
        # it waits on the pipe; a spin would burn the whole second
        check(r["cpu"] < 0.4, "--every without an aggregate, %s: %.2f s of CPU in 1.1 s" % (m, r["cpu"]))


def docs(label, res):
    """The JSON documents of --every --format=json, one a line."""
    out = []
    for l, t in res["out"]:
        try:
            d = json.loads(l)
        except ValueError:
            check(False, "%s: not a JSON document: %r" % (label, l[:200]))
            continue
        ok = isinstance(d, dict) and set(d) == {"time", "final", "rows"} and isinstance(d["rows"], list)
        check(ok, "%s: not a snapshot document: %r" % (label, l[:200]))
        if ok:
            out.append((d, t))
    return out


def parse_time(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


# ---- SIGINT and SIGTERM on a quiet pipe, with --every and without -----------
def test_signals():
    cases, what = [], []
    head = logfmt_lines(3)
    plan = [("line", l) for l in head]  # then quiet, the pipe open
    for m in MODES:
        for sig in (signal.SIGTERM, signal.SIGINT):
            for io in ("read", "uring"):
                cases.append((run, (["--mode=" + m, "--io=" + io, "--every", "200ms", "--format=tsv",
                                     "parse logfmt | count by level"], plan, (1.2 * SLOW, sig), 10.0 * SLOW)))
                what.append(("every", m, sig, io))
            cases.append((run, (["--mode=" + m, "grep error"], plan, (0.8 * SLOW, sig), 10.0 * SLOW)))
            what.append(("grep", m, sig, "read"))
            cases.append((run, (["--mode=" + m, 'parse logfmt | where level == "error"'], plan, (0.8 * SLOW, sig),
                                  10.0 * SLOW)))
            what.append(("where", m, sig, "read"))
    res = parallel(cases)
    want_counts = collections.Counter(l.split()[0][6:] for l in head)
    for (kind, m, sig, io), r in zip(what, res):
        label = "%s on a quiet pipe, %s, --io=%s, %s" % (kind, m, io, signal.Signals(sig).name)
        check(r["status"] == 128 + sig, "%s: exit status %s, want %d" % (label, r["status"], 128 + sig))
        took = r["end"] - r["sig_time"] if r["sig_time"] else 99
        check(took <= 1.0 * SLOW, "%s: ended %.2f s after the signal" % (label, took))
        check("interrupted" in r["err"], "%s: not marked partial: %r" % (label, r["err"][:300]))
        if kind == "every":
            # tsv: each snapshot a header line and its rows
            heads = [t for l, t in r["out"] if l == "level\tcount"]
            quiet = [t for t in heads if r["sig_time"] and t < r["sig_time"]]
            # 1.2 s of a quiet pipe at 200 ms: snapshots at 0.2 ... 1.0 s, after start-up
            check(len(quiet) >= (3 if SLOW == 1.0 else 1), "%s: %d snapshots in 1.2 s at 200 ms" % (label, len(quiet)))
            lines = [l for l, _ in r["out"]]
            last = lines[len(lines) - 1 - lines[::-1].index("level\tcount") + 1:] if heads else []
            got = dict((l.split("\t")[0], int(l.split("\t")[1])) for l in last)
            check(got == want_counts, "%s: result %r, want %r" % (label, got, dict(want_counts)))
        else:
            keep = (lambda l: "error" in l) if kind == "grep" else (lambda l: l.split()[0] == "level=error")
            got = [l for l, _ in r["out"]]
            check(got == [l for l in head if keep(l)], "%s: printed %r" % (label, got))


# ---- --every --format=json: one document per snapshot ----------------------
def test_json_every():
    lines = ["level=%s" % "abcab"[i % 5] for i in range(12)]
    plan = []
    for l in lines:
        plan += [("line", l), ("sleep", 0.1)]
    plan.append(("close",))
    res = parallel([(run, (["--mode=" + m, "--every", "100ms", "--format=json", "parse logfmt | count by level"], plan))
                    for m in ("serial", "auto")])
    for m, r in zip(("serial", "auto"), res):
        label = "--every --format=json, %s" % m
        check(r["status"] == 0, "%s: exit status %s: %s" % (label, r["status"], r["err"][:300]))
        d = docs(label, r)
        # 1.2 s at 100 ms: about 12 snapshots and the result
        check(6 <= len(d) <= 20, "%s: %d documents for 1.2 s at 100 ms" % (label, len(d)))
        finals = [x["final"] for x, _ in d]
        check(finals == [False] * (len(d) - 1) + [True], "%s: final flags %r" % (label, finals))
        times = [parse_time(x["time"]) for x, _ in d]
        check(times == sorted(times), "%s: times out of order" % label)
        now = datetime.now(timezone.utc)
        check(all(abs((now - t).total_seconds()) < 60 for t in times), "%s: times are not now: %r" % (label, times[:2]))
        totals = [sum(row["count"] for row in x["rows"]) for x, _ in d]
        check(totals == sorted(totals), "%s: counts went down: %r" % (label, totals))
        want = collections.Counter(l[6:] for l in lines)
        got = dict((row["level"], row["count"]) for row in d[-1][0]["rows"]) if d else {}
        check(got == want, "%s: result %r, want %r" % (label, got, dict(want)))


# ---- --every with a snapshot slower than the interval ----------------------
def test_keep_up():
    groups = 100000
    bulk = "".join("k%d\n" % i for i in range(groups)).encode()
    plan = [("bulk", bulk)]
    late = []
    for j in range(60):  # the writer goes on writing for 1.2 s
        late.append("late%d" % (j % 7))
        plan += [("line", late[-1]), ("sleep", 0.02)]
    plan.append(("close",))
    want = collections.Counter("k%d" % i for i in range(groups))
    want.update(late)
    for m in ("serial", "auto"):
        label = "--every 10ms over %d groups, %s" % (groups, m)
        r = run(["--mode=" + m, "--every", "10ms", "--format=json", "--stats=json", "split | count by $1"], plan,
                None, 30.0, keep_all=False)
        check(r["status"] == 0, "%s: exit status %s: %s" % (label, r["status"], r["err"][-300:]))
        # it reads on: the run ends soon after the input does
        after = r["end"] - r["closed"] if r["closed"] else 99
        check(after <= 5.0, "%s: ended %.1f s after the input did" % (label, after))
        try:
            last = json.loads(r["last"])
            got = dict((row["$1"], row["count"]) for row in last["rows"])
            check(last["final"] and got == dict(want), "%s: the result differs from the input's counts" % label)
        except (ValueError, KeyError, TypeError):
            check(False, "%s: the last line is no result document: %r" % (label, r["last"][:200]))
        try:
            st = json.loads(r["err"])
            check(st["snapshots"] >= 1 and st["snapshots"] + 1 == r["nlines"],
                  "%s: stats say %d snapshots, %d printed and a result" % (label, st["snapshots"], r["nlines"]))
            check(st["snapshots_skipped"] >= 1, "%s: no snapshot skipped at 10 ms" % label)
        except (ValueError, KeyError):
            check(False, "%s: --stats=json: %r" % (label, r["err"][:300]))


# ---- live inputs among files, and several pipes -----------------------------
def run_mixed(args, inputs, tag, limit=20.0):
    """Run ringflow on `inputs`, in order: ("file", path), or ("pipe", plan):
    a named pipe its own writer thread feeds by `plan` from the start (its
    first lines wait in the pipe for ringflow to get to it): ("line", text)
    writes a line; ("sleep", s) waits, once ringflow has read what was
    written; ("await", text, s) waits until `text` came out, at most s.
    The pipe ends with the plan, once ringflow has read it all."""
    names, pipes = [], []
    for k, inp in enumerate(inputs):
        if inp[0] == "file":
            names.append(inp[1])
            continue
        path = os.path.join(os.environ["T"], "mix-%s-%d" % (tag, k))
        os.mkfifo(path)
        pipes.append((os.open(path, os.O_RDWR), inp[1]))  # opens at once
        names.append(path)
    p = subprocess.Popen([RF] + args + names, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    res = {"written": [], "out": [], "start": time.monotonic()}
    seen = threading.Condition()

    def drained(fd):
        # the pipe is ours too (read and write), but only ringflow reads
        n = array.array("i", [0])
        while p.poll() is None:
            fcntl.ioctl(fd, termios.FIONREAD, n, True)
            if n[0] == 0:
                return
            time.sleep(0.005)

    def writer(fd, plan):
        for step in plan:
            if step[0] == "line":
                os.write(fd, step[1].encode() + b"\n")
                res["written"].append((step[1], time.monotonic()))
            elif step[0] == "sleep":
                drained(fd)
                time.sleep(step[1])
            elif step[0] == "await":
                with seen:
                    seen.wait_for(lambda: step[1] in dict(res["out"]) or p.poll() is not None, step[2])
        drained(fd)
        os.close(fd)
    ws = [threading.Thread(target=writer, args=pw) for pw in pipes]
    for w in ws:
        w.start()
    err = []
    et = threading.Thread(target=lambda: err.append(p.stderr.read()))
    et.start()
    killer = threading.Timer(limit, lambda: p.kill())
    killer.start()
    buf = b""
    while True:
        chunk = os.read(p.stdout.fileno(), 1 << 16)
        now = time.monotonic()
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        with seen:
            res["out"] += [(l.decode(errors="replace"), now) for l in lines]
            seen.notify_all()
    res["status"] = p.wait()
    with seen:
        seen.notify_all()
    killer.cancel()
    for w in ws:
        w.join()
    et.join()
    res["err"] = err[0].decode(errors="replace") if err else ""
    return res


def test_mixed():
    # a file of several batches, so a pipe's first line can be done before
    # the file's last batch ahead of it (issue 12: then nobody wrote it out
    # until the pipe's next line came)
    path = os.path.join(os.environ["T"], "mixed.log")
    lv = ["info", "warn", "debug"]
    flines = ["level=%s msg=\"file %d\" n=%d" % ("error" if i % 9973 == 5 else lv[i % 3], i, i) for i in range(100000)]
    flines.append("level=error msg=\"the file's last\" n=100000")
    with open(path, "w") as f:
        f.write("".join(l + "\n" for l in flines))
    ferr = [l for l in flines if l.split()[0] == "level=error"]
    # the writer of a pipe writes its next line only once the line before
    # came out, or 5 s passed (held back until the next write, it fails)
    def held(a, b):
        return [("line", a), ("await", a, 5.0), ("line", b)]
    scen = [
        ("a file then a pipe", [("file", path), ("pipe", held("level=error a1", "level=error a2"))]),
        ("a pipe, a file, a pipe", [("pipe", [("line", "level=error p1"), ("sleep", 0.3), ("line", "level=info p2"),
                                              ("line", "level=error p3")]),
                                    ("file", path),
                                    ("pipe", held("level=error q1", "level=error q2"))]),
        # the file's last lines are out before the pipe after it has a line
        ("a file then a quiet pipe", [("file", path), ("pipe", [("await", flines[-1], 5.0),
                                                                ("line", "level=error b1")])]),
        ("three pipes", [("pipe", [("line", "level=error x1"), ("sleep", 0.3), ("line", "level=error x2")]),
                         ("pipe", [("line", "level=error y1"), ("sleep", 0.5), ("line", "level=error y2")]),
                         ("pipe", [("line", "level=warn z0")] + held("level=error z1", "level=error z2"))]),
    ]
    cases, what = [], []
    for m in MODES:
        for k, (label, inputs) in enumerate(scen):
            cases.append((run_mixed, (["--mode=" + m, 'parse logfmt | where level == "error"'], inputs,
                                      "%s-%d" % (m, k))))
            what.append((m, label, inputs))
    res = parallel(cases)
    for (m, label, inputs), r in zip(what, res):
        label = "%s, %s" % (label, m)
        want = []
        for inp in inputs:
            if inp[0] == "file":
                want += ferr
            else:
                want += [st[1] for st in inp[1] if st[0] == "line" and st[1].startswith("level=error")]
        got = [l for l, _ in r["out"]]
        check(got == want, "%s: lines %r, want %r" % (label, got[-8:], want[-8:]))
        check(r["status"] == 0, "%s: exit status %s: %s" % (label, r["status"], r["err"][:300]))
        # each pipe line is out within a second of its write, or of the line
        # before it (a file ahead of it takes its time, more so under the
        # sanitizers)
        when = dict(r["written"])
        prev = r["start"]
        for l, t in r["out"]:
            if l in when:
                lat = t - max(when[l], prev)
                check(lat <= 1.0 * SLOW, "%s: %r came out %.2f s after it could" % (label, l, lat))
            prev = t
        out = dict(r["out"])
        for inp in inputs:
            for st in inp[1] if inp[0] == "pipe" else []:
                if st[0] == "await":
                    nxt = inp[1][inp[1].index(st) + 1][1]
                    check(st[1] in out and nxt in when and out[st[1]] < when[nxt],
                          "%s: %r came out only with the pipe's next line, 5 s later" % (label, st[1]))


# ---- an output error on a live input ends the run at once -------------------
def run_fail(args, how, limit=20.0):
    """Feed ringflow a slow pipe while its output fails: "full" (stdout is
    /dev/full), or "epipe"/"sigpipe": stdout is a pipe closed after the
    first line, with SIGPIPE ignored or not.  Returns the status, stderr,
    and how long after the first line its output could not take the run
    took to end."""
    cmd = [RF] + args
    if how == "epipe":
        cmd = ["sh", "-c", "trap '' PIPE; exec \"$0\" \"$@\""] + cmd
    out = open("/dev/full", "wb") if how == "full" else subprocess.PIPE
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.PIPE)
    if how == "full":
        out.close()
    killer = threading.Timer(limit, lambda: p.kill())
    killer.start()
    err = []
    et = threading.Thread(target=lambda: err.append(p.stderr.read()))
    et.start()
    time.sleep(0.6)  # start-up
    failing = None
    try:
        p.stdin.write(b"abc 1\n")
        p.stdin.flush()
        failing = time.monotonic()
        if how != "full":
            # the reader goes away after the first line; the next one fails
            got = b""
            while b"\n" not in got:
                c = os.read(p.stdout.fileno(), 4096)
                if not c:
                    break
                got += c
            p.stdout.close()
            p.stdin.write(b"abc 2\n")
            p.stdin.flush()
            failing = time.monotonic()
        deadline = failing + 2.5  # the next line only after this long
        while p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        p.stdin.write(b"abc 3\n")
        p.stdin.close()
    except (BrokenPipeError, ValueError):
        pass
    status = p.wait()
    end = time.monotonic()
    killer.cancel()
    et.join()
    return {"status": status, "err": err[0].decode(errors="replace") if err else "",
            "took": end - failing if failing else 99}


def test_output_error():
    cases, what = [], []
    for m in MODES:
        for how in ("full", "epipe", "sigpipe"):
            cases.append((run_fail, (["--mode=" + m, "grep abc"], how)))
            what.append((m, how))
    res = parallel(cases)
    for (m, how), r in zip(what, res):
        label = "output %s on a quiet pipe, %s" % (how, m)
        check(r["took"] <= 1.0 * SLOW, "%s: ended %.2f s after its output failed" % (label, r["took"]))
        if how == "full":
            check(r["status"] == 2, "%s: exit status %s" % (label, r["status"]))
            check(r["err"].startswith("ringflow: standard output: write error: No space left on device"),
                  "%s: said %r" % (label, r["err"][:300]))
        elif how == "epipe":
            # SIGPIPE ignored: the write error, said (as in serial mode)
            check(r["status"] == 2, "%s: exit status %s" % (label, r["status"]))
            check(r["err"].startswith("ringflow: ") and "Broken pipe" in r["err"],
                  "%s: said %r" % (label, r["err"][:300]))
        else:
            # a reader that goes away ends the run quietly
            check(r["status"] in (0, -signal.SIGPIPE), "%s: exit status %s" % (label, r["status"]))
            check(r["err"] == "", "%s: said %r" % (label, r["err"][:300]))


def main():
    which = sys.argv[1]
    {"latency": test_latency, "every-lines": test_every_lines, "signals": test_signals,
     "json-every": test_json_every, "keep-up": test_keep_up, "mixed": test_mixed,
     "output-error": test_output_error}[which]()
    for f in failures:
        print("FAIL: %s: %s" % (which, f), file=sys.stderr)
    print("%d %d" % (checks, len(failures)))


main()
EOF

for t in latency every-lines signals json-every keep-up mixed output-error; do
	T=$T python3 "$T/stream.py" $t > "$T/res" || fail "$t: the harness failed"
	read -r n f < "$T/res"
	checks=$((checks + ${n:-0}))
	failures=$((failures + ${f:-0}))
done

# --stats (text) names the skipped snapshots too
python3 -c '
import sys
sys.stdout.write("".join("k%d\n" % i for i in range(100000)))' > "$T/groups"
{ cat "$T/groups"; sleep 0.3; echo last; } | timeout -s KILL 30 "$RINGFLOW" --every 10ms --stats 'split | count by $1' \
	> /dev/null 2> "$T/err"
check_grep "--stats: the snapshots line" "$T/err" "skipped: due while the run was busy"

finish
