#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/follow_bench.py - the measuring half of bench/follow.sh (issue 17).

Subcommands (each prints its results as key=value lines on stdout, which
follow.sh reads back; notes go to stderr):

  latency FILE SRC -- CMD...
      Follows FILE with CMD (a pipeline: stages separated by a lone '|'),
      whose last stage's stdout is a pipe read here.  A writer process
      appends, every --interval seconds for --seconds, --filler lines taken
      from SRC and then a line 'MARK <seq> <CLOCK_MONOTONIC ns>'; the latency
      of a mark is the time it is read from the pipe here minus that stamp.

  idle FILE SECONDS NAME=CMD...
      Starts every CMD on FILE (one process each, output to a file), waits
      until each has read FILE and gone quiet, then takes utime+stime from
      /proc/PID/stat (and the scheduler's ns from /proc/PID/task/*/schedstat,
      and the voluntary context switches: the wake-ups) over SECONDS without
      a write.  The commands run side by side: idle processes do not disturb
      each other, and the machine's own load over the same window is given.

  rate FILE SRC RATE SECONDS -- CMD...
      Follows the empty FILE with CMD while a writer appends SRC's lines
      to it (RATE bytes/s paced in writes of 64 KiB..1 MiB cut at a line's
      end, or RATE 0: `cat SRC >> FILE` as fast as it goes) for SECONDS (or
      all of SRC when unpaced; RATE -1: SRC is copied to FILE before the
      follower starts, which then reads a backlog as fast as it can).  The bytes the follower has taken in are its
      last stage's rchar (/proc/PID/io) since it started; the lag is FILE's
      size minus that.  When the writer stops, waits until the follower has
      caught up, then SIGTERMs the first stage and sums the counts the last
      stage prints (second column of 'key<TAB>count' lines) against the
      file's newlines.

  quiet PCT MAXWAIT
      Waits (at most MAXWAIT seconds) until the machine was busy less than
      PCT% of one core over 2 s: other work on a shared machine would be
      measured too.  Prints how long it waited and the last busy figure.

  write-marks FILE SRC INTERVAL SECONDS FILLER    (the latency writer)
  write-paced FILE SRC RATE SECONDS SEED          (the rate writer)

FOLLOW_TRACE=1 prints every sample of a rate run on stderr.
"""
import mmap
import os
import random
import shlex
import signal
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
now = time.monotonic_ns


def note(*a):
    print("follow_bench:", *a, file=sys.stderr, flush=True)


def split_pipeline(argv):
    stages, cur = [], []
    for a in argv:
        if a == "|":
            stages.append(cur)
            cur = []
        else:
            cur.append(a)
    stages.append(cur)
    return [s for s in stages if s]


def start_pipeline(stages, stdout, stderr=None):
    """Start the stages chained by pipes; the last writes to stdout."""
    procs, prev = [], None
    for i, argv in enumerate(stages):
        last = i == len(stages) - 1
        p = subprocess.Popen(argv, stdin=prev if prev is not None else subprocess.DEVNULL,
                             stdout=stdout if last else subprocess.PIPE, stderr=stderr)
        if prev is not None:
            prev.close()
        prev = None if last else p.stdout
        procs.append(p)
    return procs


def stop(procs, timeout=30):
    """SIGTERM the first stage, wait for every stage; kill what is left."""
    try:
        procs[0].send_signal(signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    hung = []
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            hung.append(p.args[0])
            p.kill()
            p.wait()
    return hung


def pct(sorted_v, p):
    """nearest-rank percentile"""
    if not sorted_v:
        return float("nan")
    k = max(0, min(len(sorted_v) - 1, -(-len(sorted_v) * p // 100) - 1))
    return sorted_v[int(k)]


def src_lines(src, nbytes):
    with open(src, "rb") as f:
        data = f.read(nbytes)
    return data[: data.rfind(b"\n") + 1].splitlines(keepends=True)


# ---------------------------------------------------------------- writers

def write_marks(path, src, interval, seconds, filler):
    lines = [l for l in src_lines(src, 4 << 20) if b"MARK" not in l]
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    n = int(seconds / interval)
    t0 = now()
    k = 0
    for seq in range(n):
        due = t0 + int(seq * interval * 1e9)
        d = due - now()
        if d > 0:
            time.sleep(d / 1e9)
        if filler:
            chunk = b"".join(lines[(k + i) % len(lines)] for i in range(filler))
            k += filler
            os.write(fd, chunk)
        os.write(fd, b"MARK %d %d\n" % (seq, now()))
    os.close(fd)
    print("sent=%d" % n, flush=True)


def write_paced(path, src, rate, seconds, seed):
    rnd = random.Random(seed)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    with open(src, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    size, pos, total, writes = len(mm), 0, 0, 0
    goal = int(rate * seconds)
    t0 = now()
    while total < goal:
        n = min(rnd.randint(64 << 10, 1 << 20), goal - total)
        end = min(pos + n, size)
        nl = mm.rfind(b"\n", pos, end)
        if nl < pos:  # no line ends in it: up to the next line's end
            nl = mm.find(b"\n", end)
        end = nl + 1 if nl >= 0 else size
        buf = mm[pos:end]
        off = 0
        while off < len(buf):
            off += os.write(fd, buf[off:])
        total += len(buf)
        writes += 1
        pos = end if end < size else 0
        due = t0 + int(total / rate * 1e9)
        d = due - now()
        if d > 0:
            time.sleep(d / 1e9)
    t1 = now()
    os.close(fd)
    print("wstart=%d\nwend=%d\nwbytes=%d\nwrites=%d" % (t0, t1, total, writes), flush=True)


# ---------------------------------------------------------------- /proc

def proc_cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime stime (fields 14, 15)


def proc_sched_ns(pid):
    t = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                t += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return t


def proc_wakeups(pid):
    n = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for l in f:
                    if l.startswith("voluntary_ctxt_switches:"):
                        n += int(l.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return n


def proc_io(pid):
    """(rchar, syscr)"""
    v = {}
    with open("/proc/%d/io" % pid) as f:
        for l in f:
            k, _, n = l.partition(":")
            v[k] = int(n)
    return v["rchar"], v["syscr"]


def proc_rchar(pid):
    return proc_io(pid)[0]


def sys_busy():
    """(busy, total) jiffies of the whole machine"""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v[:8]) - idle, sum(v[:8])


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(8 << 20)
            if not b:
                return n
            n += b.count(b"\n")


def sum_counts(path):
    """the sum of the last column of 'key<TAB>count' lines (a header skipped),
    in the last snapshot when there are several"""
    total, rows = 0, 0
    with open(path, "rb") as f:
        for l in f:
            if l.startswith(b"#"):  # a snapshot's time line (--every): the last one counts
                total, rows = 0, 0
                continue
            last = l.rstrip(b"\n").split(b"\t")[-1].strip()
            if last.isdigit():
                total += int(last)
                rows += 1
    return total, rows


# ---------------------------------------------------------------- latency

def latency(path, src, stages, interval, seconds, filler, raw=None):
    with open(path, "wb") as f:  # some content to read first
        f.write(b"".join(l for l in src_lines(src, 1 << 20) if b"MARK" not in l))
    r, w = os.pipe()
    procs = start_pipeline(stages, w)
    os.close(w)
    buf, got, lat, order = b"", set(), [], []
    sync_sent = now()
    with open(path, "ab") as f:
        f.write(b"MARK sync 0\n")
    synced, writer, sent = False, None, 0
    sync_deadline = time.monotonic() + 30
    end_deadline = None
    os.set_blocking(r, False)
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(r, selectors.EVENT_READ)
    eof = False
    while True:
        ev = sel.select(0.05)
        t = now()
        if ev:
            try:
                data = os.read(r, 1 << 16)
            except BlockingIOError:
                data = None
            if data == b"":
                eof = True
            elif data:
                buf += data
                *lines, buf = buf.split(b"\n")
                for l in lines:
                    p = l.split()
                    if len(p) >= 3 and p[0] == b"MARK":
                        if p[1] == b"sync":
                            if not synced:
                                synced = True
                                note("synced after %.0f ms" % ((t - sync_sent) / 1e6))
                                busy0 = sys_busy()
                                writer = subprocess.Popen(
                                    [sys.executable, __file__, "write-marks", path, src,
                                     str(interval), str(seconds), str(filler)],
                                    stdout=subprocess.PIPE, text=True)
                        elif p[1].isdigit() and int(p[1]) not in got:
                            got.add(int(p[1]))
                            lat.append((t - int(p[2])) / 1e6)
                            order.append((int(p[1]), lat[-1]))
        if eof:
            break
        if not synced and time.monotonic() > sync_deadline:
            note("the follower never printed the first mark")
            break
        if writer is not None and end_deadline is None and writer.poll() is not None:
            sent = int(writer.stdout.read().split("=")[1])
            end_deadline = time.monotonic() + 5
        if end_deadline is not None and (len(got) >= sent or time.monotonic() > end_deadline):
            break
    busy1 = sys_busy()
    hung = stop(procs)
    os.close(r)
    if synced:
        print("machine_busy_pct=%.1f" % (100.0 * (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
                                         * os.cpu_count()))
    if raw:
        with open(raw, "w") as f:
            f.write("seq,latency_ms\n")
            for q, v in order:
                f.write("%d,%.3f\n" % (q, v))
    lat.sort()
    print("sent=%d" % sent)
    print("received=%d" % len(lat))
    for name, v in (("min", lat[0] if lat else float("nan")), ("median", pct(lat, 50)),
                    ("p90", pct(lat, 90)), ("p99", pct(lat, 99)),
                    ("max", lat[-1] if lat else float("nan"))):
        print("%s_ms=%.3f" % (name, v))
    print("hung=%s" % (",".join(hung) or "none"))
    print("load=%s" % loadavg())


# ---------------------------------------------------------------- idle

def idle(path, seconds, cmds, outdir):
    size = os.path.getsize(path)
    procs = []
    for spec in cmds:
        name, cmd = spec.split("=", 1)
        isrf = os.path.basename(shlex.split(cmd)[0]).startswith("ringflow")
        # ringflow's result is checked; the peers' copies of the file are not kept
        out = open(os.path.join(outdir, "idle-%s.out" % name) if isrf else os.devnull, "wb")
        p = subprocess.Popen(shlex.split(cmd), stdin=subprocess.DEVNULL, stdout=out)
        procs.append((name, p, out, isrf))
    # each has read the file (ringflow: rchar >= size; all: CPU time still
    # for a second), then one more second
    t0 = time.monotonic()
    last = {}
    while True:
        time.sleep(0.25)
        done = True
        for name, p, _, isrf in procs:
            if p.poll() is not None:
                note("%s exited early (%d)" % (name, p.returncode))
                sys.exit(1)
            c = proc_cpu_ticks(p.pid)
            hist = last.setdefault(name, [])
            hist.append(c)
            if len(hist) < 5 or hist[-1] != hist[-5] or (isrf and proc_rchar(p.pid) < size):
                done = False
        if done:
            break
        if time.monotonic() - t0 > 300:
            note("the followers did not settle in 300 s")
            sys.exit(1)
    note("settled after %.1f s" % (time.monotonic() - t0))
    time.sleep(1)
    a = {name: (proc_cpu_ticks(p.pid), proc_sched_ns(p.pid), proc_wakeups(p.pid)) for name, p, _, _ in procs}
    sa, ta, la = sys_busy(), now(), loadavg()
    time.sleep(seconds)
    b = {name: (proc_cpu_ticks(p.pid), proc_sched_ns(p.pid), proc_wakeups(p.pid)) for name, p, _, _ in procs}
    sb, tb, lb = sys_busy(), now(), loadavg()
    dt = (tb - ta) / 1e9
    print("seconds=%.1f" % dt)
    ncpu = os.cpu_count()
    print("machine_busy_pct=%.1f" % (100.0 * (sb[0] - sa[0]) / max(1, sb[1] - sa[1]) * ncpu))
    print("load_before=%s\nload_after=%s" % (la, lb))
    lines = count_lines(path)
    for name, p, out, isrf in procs:
        ticks = b[name][0] - a[name][0]
        ns = b[name][1] - a[name][1]
        print("%s_ticks=%d" % (name, ticks))
        print("%s_pct=%.4f" % (name, 100.0 * ticks / CLK_TCK / dt))
        print("%s_sched_pct=%.4f" % (name, 100.0 * ns / 1e9 / dt))
        print("%s_wakeups_per_s=%.2f" % (name, (b[name][2] - a[name][2]) / dt))
    for name, p, out, isrf in procs:
        hung = stop([p])
        out.close()
        print("%s_hung=%s" % (name, "yes" if hung else "no"))
        if isrf:
            total, _ = sum_counts(os.path.join(outdir, "idle-%s.out" % name))
            print("%s_count=%d\n%s_count_ok=%s" % (name, total, name, "yes" if total == lines else "no"))
    print("lines=%d" % lines)


# ---------------------------------------------------------------- rate

def rate(path, src, rate_bps, seconds, stages, outfile, errfile=None):
    backlog = rate_bps < 0
    if backlog:  # the whole of SRC is there before the follower starts
        subprocess.run("cat %s > %s" % (shlex.quote(src), shlex.quote(path)), shell=True, check=True)
    else:
        open(path, "wb").close()
    os.sync()  # no earlier run's dirty pages to throttle this writer
    out = open(outfile, "wb")
    err = open(errfile, "wb") if errfile else None
    busy0 = sys_busy()
    t_start = now()
    procs = start_pipeline(stages, out, err)
    meas = procs[-1].pid
    base, cpu0 = 0, 0
    if backlog:
        writer = subprocess.Popen(["true"])
    else:
        time.sleep(0.5)  # started, waiting on the empty file
        base = proc_rchar(meas)
        cpu0 = sum(proc_cpu_ticks(p.pid) for p in procs)
        busy0 = sys_busy()
        t_start = now()
    if rate_bps > 0:
        writer = subprocess.Popen([sys.executable, __file__, "write-paced", path, src, str(rate_bps),
                                   str(seconds), "42"], stdout=subprocess.PIPE, text=True)
    elif rate_bps == 0:
        writer = subprocess.Popen("exec cat %s >> %s" % (shlex.quote(src), shlex.quote(path)), shell=True)
    # The bytes taken in: rchar since the start.  ringflow's rchar also
    # counts its 1 KiB reads of a file's start, made before each read to
    # catch a truncation; those are taken out in proportion to its read
    # calls (syscr), so that once caught up it has taken in exactly the
    # file.  The lag is the file's size minus the bytes taken in.  After the
    # writer's end it has caught up when rchar stops moving (no read since
    # 300 ms: nothing left to read).
    samples = []  # (t, size, rchar - base, syscr)
    t_wend = t_caught = None
    got, last_move, final = -1, now(), 0
    while True:
        time.sleep(0.01)
        t = now()
        size = os.stat(path).st_size
        try:
            g, calls = proc_io(meas)
        except (FileNotFoundError, ProcessLookupError):
            note("the follower exited")
            break
        g -= base
        if g != got:
            last_move = t
        got = g
        samples.append((t, size, got, calls))
        if os.environ.get("FOLLOW_TRACE"):
            note("t=%.3f size=%d got=%d calls=%d writer=%s" % ((t - t_start) / 1e9, size, got, calls,
                                                               writer.poll()))
        if t_wend is None:
            if writer.poll() is not None:
                t_wend = now()
                final = os.stat(path).st_size
        elif got >= final and t - last_move > 300e6:
            t_caught = last_move
            break
        elif (t - t_wend) / 1e9 > 300:
            note("not caught up 300 s after the writer stopped (%d of %d bytes taken in)" % (got, final))
            break
    wout = writer.stdout.read() if rate_bps > 0 else ""
    w = dict(l.split("=") for l in wout.split())
    if w:  # the paced writer's own times
        t_start, t_wend_w = int(w["wstart"]), int(w["wend"])
    else:
        t_wend_w = t_wend
    over = got - final if t_caught is not None and got > final else 0
    c0, c1 = samples[0][3], samples[-1][3]

    def lag_of(smp):
        _, sz, g, c = smp
        return max(0, sz - (g - over * (c - c0) / max(1, c1 - c0)))
    during = sorted(lag_of(x) for x in samples if x[0] <= t_wend_w) or [0]
    before_end = [x for x in samples if x[0] <= t_wend_w]
    lag_wend = lag_of(before_end[-1]) if before_end else final
    try:
        cpu1 = sum(proc_cpu_ticks(p.pid) for p in procs)
    except (FileNotFoundError, ProcessLookupError):
        cpu1 = cpu0
    final = final or os.stat(path).st_size
    busy1 = sys_busy()
    t_term = now()
    hung = stop(procs, timeout=120)
    t_exit = now()
    out.close()
    if err:
        err.close()
    lines = count_lines(path)
    total, rows = sum_counts(outfile)
    wsec = (t_wend_w - t_start) / 1e9
    print("bytes=%d" % final)
    print("lines=%d" % lines)
    print("writer_s=%.3f\nwriter_mbs=%.1f" % (wsec, final / wsec / 1e6))
    print("lag_at_writer_end=%d" % lag_wend)
    if t_caught is None:
        print("lag_left=%d" % max(0, final - got))
    print("lag_median=%d\nlag_max=%d" % (pct(during, 50), during[-1]))
    print("other_reads=%d" % over)
    if t_caught is not None:
        rsec = (t_caught - t_start) / 1e9
        print("caught_up=yes\ncatchup_after_writer_ms=%.0f" % max(0, (t_caught - t_wend_w) / 1e6))
        print("reader_s=%.3f\nreader_mbs=%.1f" % (rsec, final / rsec / 1e6))
        print("reader_cpu_pct=%.1f" % (100.0 * (cpu1 - cpu0) / CLK_TCK / rsec))
    else:
        print("caught_up=no")
    print("machine_busy_pct=%.1f" % (100.0 * (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]) * os.cpu_count()))
    print("read_over_size=%.4f" % (got / max(1, final)))
    print("samples=%d" % len(samples))
    print("exit_after_term_ms=%.0f" % ((t_exit - t_term) / 1e6))
    print("count=%d\nrows=%d\ncount_ok=%s" % (total, rows, "yes" if total == lines else "no"))
    print("hung=%s" % (",".join(hung) or "none"))
    print("load=%s" % loadavg())


def quiet(pct, maxwait):
    t0 = time.monotonic()
    while True:
        a = sys_busy()
        time.sleep(2)
        b = sys_busy()
        busy = 100.0 * (b[0] - a[0]) / max(1, b[1] - a[1]) * os.cpu_count()
        waited = time.monotonic() - t0
        if busy < pct or waited >= maxwait:
            print("waited_s=%.0f\nbusy_pct=%.1f\nquiet=%s" % (waited, busy, "yes" if busy < pct else "no"))
            return


def main():
    a = sys.argv[1:]
    if not a:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cmd = a[0]
    if cmd == "write-marks":
        write_marks(a[1], a[2], float(a[3]), float(a[4]), int(a[5]))
    elif cmd == "write-paced":
        write_paced(a[1], a[2], float(a[3]), float(a[4]), int(a[5]))
    elif cmd == "quiet":
        quiet(float(a[1]), float(a[2]))
    elif cmd == "latency":
        i = a.index("--")
        opts = dict(x.split("=", 1) for x in a[3:i])
        latency(a[1], a[2], split_pipeline(a[i + 1:]), float(opts.get("interval", 0.02)),
                float(opts.get("seconds", 10)), int(opts.get("filler", 20)), opts.get("raw"))
    elif cmd == "idle":
        opts = [x for x in a[3:] if x.startswith("outdir=")]
        outdir = opts[0].split("=", 1)[1] if opts else "."
        idle(a[1], float(a[2]), [x for x in a[3:] if not x.startswith("outdir=")], outdir)
    elif cmd == "rate":
        i = a.index("--")
        opts = dict(x.split("=", 1) for x in a[5:i])
        rate(a[1], a[2], float(a[3]), float(a[4]), split_pipeline(a[i + 1:]), opts.get("out", a[1] + ".out"),
             opts.get("err"))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
