#!/bin/sh
# SPDX-License-Identifier: MIT
# chart.sh - --format=chart against the TSV output of the same query: the
# numbers equal, every bar rebuilt by hand from the TSV values and the
# width (README, "Charts"), the ASCII form, $COLUMNS and a terminal's
# width, negative values, sparklines over minute buckets, an empty result.
. "${SRCDIR:-.}/tests/lib.sh"

py_checks <<'PY'
import math, os, random, re, subprocess, sys, fcntl, struct, termios
import rftest
from rftest import check
T, RF = rftest.setup(sys.argv)

rnd = random.Random(21)
paths = ["/", "/a", "/index.html", "/café", "/b/c", "/long/path/name"]
log = os.path.join(T, "access.log")
with open(log, "w", encoding="utf-8") as f:
    for i in range(600):
        minute = rnd.choice([0, 1, 2, 4, 7])   # minutes 3, 5, 6 without records
        path = rnd.choice(paths[: 1 + i % len(paths)])
        status = rnd.choice([200, 200, 200, 404, 500])
        size = rnd.randint(0, 5000)
        f.write('10.0.0.%d - - [01/Nov/2026:10:%02d:%02d +0000] "GET %s HTTP/1.1" %d %d "-" "x"\n'
                % (i % 7, minute, i % 60, path, status, size))

EIGHTHS = ["", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"]
SPARK = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"


def run(query, *opts, env=None):
    e = dict(os.environ)
    e.pop("COLUMNS", None)
    e.update(env or {})
    p = subprocess.run([RF, *opts, query, log], capture_output=True, env=e)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def tsv(query):
    st, out, err = run(query, "--format=tsv")
    check(st == 0, "tsv run of %s: %s" % (query, err))
    rows = [l.split("\t") for l in out.splitlines()]
    return rows[0], rows[1:]


def rnd_half(x):
    """C's llround: halves away from zero"""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def shown(v):
    """how the chart prints a TSV value: integers whole, others to 6 digits"""
    if "." not in v and "e" not in v and "n" not in v:
        return v
    d = float(v)
    return "%.0f" % d if 1e6 <= abs(d) < 1e15 else "%.6g" % d


def bar_lines(query, width, ascii=False, col=None):
    """the bar chart the README describes, built from the TSV output"""
    head, rows = tsv(query)
    nkeys = 1
    lw = max([len(head[0])] + [len(r[0]) for r in rows])
    out = []
    for c in range(nkeys, len(head)) if col is None else [col]:
        vals = [float(r[c]) for r in rows]
        texts = [shown(r[c]) for r in rows]
        vw = max([len(head[c])] + [len(t) for t in texts])
        cells = max(width - (lw + 2) - vw - 1, 10)
        lo, hi = min(vals + [0]), max(vals + [0])
        if out:
            out.append("")
        out.append(head[0].ljust(lw + 2) + head[c].rjust(vw))
        left = 0
        if lo < 0:
            cells -= 1
            left = rnd_half(cells * -lo / (hi - lo))
        scale = cells / (hi - lo) if hi > lo else 0
        for r, v, t in zip(rows, vals, texts):
            line = r[0].ljust(lw + 2) + t.rjust(vw)
            if lo < 0:
                neg = min(rnd_half(-v * scale), left) if v < 0 else 0
                line += " " * (1 + left - neg) + ("#" if ascii else "\u2588") * neg + ("|" if ascii else "\u2502")
            else:
                line += " "
            if v > 0:
                e = rnd_half(v * scale * 8)
                line += "#" * ((e + 4) // 8) if ascii else "\u2588" * (e // 8) + EIGHTHS[e % 8]
            out.append(line)
    return out


def check_chart(what, query, width, *opts, env=None, ascii=False):
    st, out, err = run(query, "--format=chart", *opts, env=env)
    check(st == 0, "%s: exit %d (%s)" % (what, st, err))
    want = bar_lines(query, width, ascii)
    got = out.splitlines()
    check(got == want, "%s:\n got  %r\n want %r" % (what, got[:4], want[:4]))
    return got


# bars: the numbers, the lengths, the width ($COLUMNS; 80 without it)
q = "parse combined | count by path"
for cols in (60, 100, 200):
    got = check_chart("count by path, COLUMNS=%d" % cols, q, cols, env={"COLUMNS": str(cols)})
    check(max(len(l) for l in got) == cols, "COLUMNS=%d: the longest bar fills the line" % cols)
check_chart("count by path, 80 columns without COLUMNS", q, 80)
check_chart("--ascii", q, 70, "--ascii", env={"COLUMNS": "70"}, ascii=True)
# several value columns: a chart each; a double to six digits
check_chart("count, avg(bytes), sum(bytes) by path", "parse combined | count, avg(bytes), sum(bytes) by path",
            90, env={"COLUMNS": "90"})
# negative values: bars left of a zero axis
check_chart("negative sums", "parse combined | sum(bytes - 2600) by path", 80, env={"COLUMNS": "80"})
check_chart("negative sums, ascii", "parse combined | sum(bytes - 2600) by path", 80, "--ascii",
            env={"COLUMNS": "80"}, ascii=True)
check_chart("all negative", "parse combined | sum(0 - bytes) by path", 80, env={"COLUMNS": "80"})

# sparklines: a line per status, a character per minute (the empty
# minutes blank), heights on one scale from 0 to the largest count
head, rows = tsv("parse combined | count by minute, status")
st, out, err = run("parse combined | count by minute, status", "--format=chart", env={"COLUMNS": "80"})
check(st == 0, "sparkline run: " + err)
lines = out.splitlines()
minutes = sorted({r[0] for r in rows})
first = int(minutes[0][14:16])
last = int(minutes[-1][14:16])
hi = max(int(r[2]) for r in rows)
statuses = sorted({r[1] for r in rows}, key=int)
check(lines[0].split() == ["status", "max", "count"], "sparkline header: %r" % lines[0])
for s, line in zip(statuses, lines[1:]):
    counts = {int(r[0][14:16]): int(r[2]) for r in rows if r[1] == s}
    want = "".join(SPARK[rnd_half(counts[m] / hi * 7)] if m in counts else " " for m in range(first, last + 1))
    peak = max(counts.values())
    check(line.split()[:2] == [s, str(peak)], "status %s: labels and peak %r" % (s, line))
    check(line.endswith(want) and line[: -len(want)].endswith(str(peak) + " "),
          "status %s sparkline: %r, want it to end %r" % (s, line, want))
check(len(lines) == len(statuses) + 2, "a line per status and the axis: %r" % lines)
check(minutes[0] in lines[-1] and minutes[-1] in lines[-1] and "(minute: %d buckets)" % (last - first + 1) in lines[-1],
      "time axis: %r" % lines[-1])

# one time key: a bar per minute, as any bars
check_chart("count by minute", "parse combined | count by minute", 80, env={"COLUMNS": "80"})

# an empty result: the header alone
st, out, err = run("parse combined | where status == 999 | count by path", "--format=chart")
check(st == 0 and out == "path  count\n", "empty result: %d %r %r" % (st, out, err))
# a lone number stands alone, as in a table
st, out, err = run("parse combined | count", "--format=chart")
check(st == 0 and out == "600\n", "count alone: %r" % out)
# streamed rows cannot be charted: said, exit 2
st, out, err = run("parse combined | select path", "--format=chart")
check(st == 2 and "aggregate" in err and out == "", "select: %d %r %r" % (st, out, err))

# on a terminal its width counts, not $COLUMNS
env = dict(os.environ, COLUMNS="200")


def on_terminal(args, envx={}):
    """the bytes ringflow ARGS writes to a 50-column pseudo-terminal"""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 50, 0, 0))
    p = subprocess.Popen([RF] + args, stdout=slave, env=dict(env, **envx))
    os.close(slave)
    data = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other side closed
            break
        if not chunk:
            break
        data += chunk
    p.wait()
    os.close(master)
    return data


text = on_terminal(["--format=chart", q, log]).decode()
# on a terminal (--color=auto, NO_COLOR unset) the bars are coloured; the
# characters are the same as without colour
check("\x1b[36m" in text and "\x1b[0m" in text, "terminal: bars in colour: %r" % text[:200])
got = re.sub(r"\x1b\[[0-9;]*m", "", text).replace("\r\n", "\n").splitlines()
check(got == bar_lines(q, 50), "terminal width: %r" % got[:3])
# --color=never on the terminal, and NO_COLOR: no escape at all
for extra, envx in ((["--color=never"], {}), ([], {"NO_COLOR": "1"})):
    data = on_terminal(["--format=chart"] + extra + [q, log], envx)
    check(b"\x1b" not in data, "terminal, %s %s: no colour" % (extra, envx))
# --color=always through a pipe: coloured, the same characters
plain = subprocess.run([RF, "--format=chart", q, log], env=env, capture_output=True).stdout.decode()
coloured = subprocess.run([RF, "--format=chart", "--color=always", q, log], env=env, capture_output=True).stdout.decode()
check("\x1b[36m" in coloured and re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain,
      "--color=always: bars coloured, nothing else changed")
rftest.summary()
PY
# a value column with no number in it (avg of words) stays a value column
# with no bars, after the keys, not moved among them
printf 'a x\nb y\na z\n' > "$T/words"
"$RINGFLOW" -o chart 'split | count, avg($2) by $1' "$T/words" > "$T/chart" 2> /dev/null
check_status "a value column of no numbers" $? 0
check_eq "a value column of no numbers: its own chart" "$(grep -c '^\$1  avg(\$2)$' "$T/chart")" 1
check_eq "a value column of no numbers: missing, no bar" "$(grep -c '^[ab] *\\N *$' "$T/chart")" 2
finish
