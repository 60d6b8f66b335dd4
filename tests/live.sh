#!/bin/sh
# SPDX-License-Identifier: MIT
# live.sh - --every on a terminal (a pseudo-terminal here) draws each
# snapshot over the one before: the cursor-up and erase sequences are
# there, and the final screen, rebuilt by applying them to a list of lines,
# shows one snapshot, the last, whose numbers equal a TSV run over the
# same input.  On a pipe: timestamped blocks, no escape sequences.
. "${SRCDIR:-.}/tests/lib.sh"

py_checks <<'PY'
import fcntl, os, re, struct, subprocess, sys, termios, threading, time, unicodedata
import rftest
from rftest import check
T, RF = rftest.setup(sys.argv)

lines = []
for i in range(900):
    lines.append('10.0.0.1 - - [01/Nov/2026:10:00:%02d +0000] "GET /p%d HTTP/1.1" %d %d "-" "x"\n'
                 % (i % 60, i % 3, (200, 404, 500, 301)[i % 7 % 4], i))
log = os.path.join(T, "all.log")
with open(log, "w") as f:
    f.writelines(lines)

Q = "parse combined | count, sum(bytes) by status"
p = subprocess.run([RF, "--format=tsv", Q, log], capture_output=True)
want = {r.split("\t")[0]: r.split("\t")[1:] for r in p.stdout.decode().splitlines()[1:]}
check(len(want) == 4, "tsv oracle: %r" % want)


def feed(stdin, src=lines):
    """the input in three parts, apart by more than the interval"""
    third = (len(src) + 2) // 3
    for k in range(3):
        stdin.write("".join(src[k * third:(k + 1) * third]).encode())
        stdin.flush()
        time.sleep(0.45)
    stdin.close()


def live(fmt, cols=100, query=Q, src=lines):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.ONLCR  # the bytes as written: no CR added
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    proc = subprocess.Popen([RF, "--every=200ms", "--format=" + fmt, query], stdin=subprocess.PIPE, stdout=slave,
                            env=dict(os.environ, COLUMNS="300"))
    os.close(slave)
    out = []
    reader = threading.Thread(target=lambda: out.append(drain(master)))
    reader.start()
    feed(proc.stdin, src)
    st = proc.wait(timeout=60)
    reader.join()
    os.close(master)
    return st, out[0]


def drain(fd):
    data = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data.decode()


def screen(data, cols):
    """what a terminal shows: the text with CR, LF, cursor-up (CSI n A),
    erase below (CSI J), home (CSI H) and clear (CSI 2J) applied, lines
    wider than the terminal wrapped, East Asian wide characters two
    columns; SGR (colour) ignored"""
    rows, y, x = [[]], 0, 0
    i = 0
    while i < len(data):
        m = re.match(r"\x1b\[([\d;]*)([A-Za-z])", data[i:])
        if m:
            n, op = int(m.group(1)) if m.group(1).isdigit() else 1, m.group(2)
            if op == "A":
                y = max(0, y - n)
            elif op == "J" and m.group(1) == "2":
                rows, y, x = [[]], 0, 0
            elif op == "J":
                del rows[y + 1:]
                rows[y] = rows[y][:x]
            elif op == "H":
                y = x = 0
            i += m.end()
            continue
        c = data[i]
        i += 1
        if c == "\r":
            x = 0
        elif c == "\n":
            y, x = y + 1, 0
        else:
            cw = 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
            if x + cw > cols:
                y, x = y + 1, 0
            while len(rows) <= y:
                rows.append([])
            r = rows[y]
            while len(r) < x + cw:
                r.append(" ")
            r[x] = c
            if cw == 2:
                r[x + 1] = ""  # the right half of a wide character
            x += cw
        while len(rows) <= y:
            rows.append([])
    out = ["".join(r) for r in rows]
    while out and out[-1] == "":
        out.pop()
    return out


# the table
st, data = live("table")
check(st == 0, "live table: exit %d" % st)
ups = re.findall(r"\x1b\[(\d+)A\x1b\[J", data)
heads = re.findall(r"# \d{4}-\d\d-\d\dT", data)
check(len(heads) >= 3 and len(ups) == len(heads) - 1,
      "a redraw for each snapshot after the first: %d headers, %d redraws" % (len(heads), len(ups)))
check("\x1b[2J" not in data, "no whole-screen clear when the size is known")
rows = screen(data, 100)
check(len(rows) == 6 and rows[0].startswith("# ") and " final" in rows[0] and "(every 200ms)" in rows[0],
      "final screen: one header and the table: %r" % rows)
check(sum(r.startswith("# ") for r in rows) == 1, "earlier snapshots erased: %r" % rows)
got = {r.split()[0]: r.split()[1:] for r in rows[2:]}
check(got == want, "final screen numbers %r, want %r" % (got, want))

# the chart, drawn on a narrow terminal: its lines wrap nowhere, the
# numbers are the TSV's
st, data = live("chart", cols=60)
check(st == 0, "live chart: exit %d" % st)
rows = screen(data, 60)
check(sum(r.startswith("# ") for r in rows) == 1 and " final" in rows[0], "chart final screen: %r" % rows)
counts = {r.split()[0]: [r.split()[1]] for r in rows[2:6]}
sums = {r.split()[0]: [r.split()[1]] for r in rows[8:12]}
check({k: counts[k] + sums[k] for k in counts} == want, "chart numbers %r %r, want %r" % (counts, sums, want))
check(all(len(r) <= 60 for r in rows), "chart within 60 columns")

# wide characters: rows of CJK keys wider than the terminal wrap, and the
# redraw must go up over every wrapped line (counted by display width)
wide = ["\u65e5\u672c\u8a9e\u306e\u30ed\u30b0" * 5 + "%d %d\n" % (i % 2, i) for i in range(60)]
st, data = live("table", cols=40, query="split | count by $1", src=wide)
check(st == 0, "live wide: exit %d" % st)
rows = screen(data, 40)
check(sum(r.startswith("# ") for r in rows) == 1 and " final" in rows[0],
      "wide keys: earlier snapshots erased: %r" % rows)

# a pipe: timestamped blocks as before, no escape sequences
proc = subprocess.Popen([RF, "--every=200ms", Q], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
t = threading.Thread(target=feed, args=(proc.stdin,))
t.start()
out = proc.stdout.read().decode()
t.join()
check(proc.wait() == 0 and "\x1b" not in out, "pipe: no escapes")
blocks = out.split("\n\n")
check(len(blocks) >= 3 and all(re.match(r"# \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", b) for b in blocks),
      "pipe: every block begins with its time: %r" % out[:200])
last = blocks[-1].splitlines()
check(last[0].endswith(" final") and {r.split()[0]: r.split()[1:] for r in last[2:]} == want,
      "pipe: the final block %r" % last)
rftest.summary()
PY
finish
