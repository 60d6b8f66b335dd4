#!/bin/sh
# SPDX-License-Identifier: MIT
# cookbook.sh - every example of README.md's "Cookbook" runs and prints what a
# Python oracle computes for it, so the docs cannot drift.  An example is a
# line `<!-- cookbook: NAME -->` followed by a ```sh block holding one
# ringflow command; access.log and app.jsonl in it are replaced by inputs
# made here, and --format=tsv is added.  An example without an oracle, or
# an oracle without its example, fails the test.
. "${SRCDIR:-.}/tests/lib.sh"

if ! command -v python3 > /dev/null 2>&1; then
	echo "python3 not found: skipped"
	exit 77
fi

# six minutes of access log, 1500 requests at the start of each, in time
# order, from 23:58 on October 31 into November 1
start=$(python3 -c 'import calendar; print(calendar.timegm((2026, 10, 31, 23, 58, 0)))')
for i in 0 1 2 3 4 5; do
	"$LOGGEN" --lines 1500 --seed $((i + 40)) --start $((start + i * 60)) || exit 99
done > "$T/access.log"
cp "${SRCDIR:-.}/README.md" "$T/README.md" || exit 99

py_checks <<'PY'
import calendar, datetime as dt, json, math, os, re, subprocess, sys, urllib.parse, zoneinfo
import rftest
from rftest import check

T, RF = rftest.setup(sys.argv)
LOG, APP = T + "/access.log", T + "/app.jsonl"
UTC = dt.timezone.utc

# ---- the JSON application log: a day around New York's change back from
# summer time (06:00 UTC on 2026-11-01), one record every 97 seconds
app = []
t0 = calendar.timegm((2026, 11, 1, 0, 0, 0))
for i in range(900):
    t = dt.datetime.fromtimestamp(t0 + i * 97, UTC)
    app.append({"time": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "level": ["info", "info", "warn", "error", "info"][i % 5],
                "path": ["/api/users", "/api/orders", "/login", "/"][(i * 3) % 4],
                "ms": (i * 7919) % 2000 + (i % 4) * 0.25, "bytes": (i * 104729) % 90000})
with open(APP, "w") as f:
    for r in app:
        f.write(json.dumps(r) + "\n")

LINE = re.compile(r'^(\S+) \S+ \S+ \[([^\]]*)\] "(\S+) (\S+) \S+" (\d{3}) (\S+) "([^"]*)"')
recs = []
for line in open(LOG):
    m = LINE.match(line)
    recs.append({"ip": m.group(1), "t": dt.datetime.strptime(m.group(2), "%d/%b/%Y:%H:%M:%S %z"), "method": m.group(3),
                 "path": m.group(4), "status": int(m.group(5)), "bytes": int(m.group(6).replace("-", "0")),
                 "referer": m.group(7)})
N = len(recs)


def num(s):
    try:
        v = float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def instant(s):
    s = s.replace("Z", "+00:00")
    if re.fullmatch(r"\d{4}-\d\d-\d\d", s):
        s += "T00:00:00+00:00"
    return dt.datetime.fromisoformat(s).timestamp()


def rows_of(out):
    lines = out.decode("utf-8", "replace").split("\n")
    if lines[-1] == "":
        lines.pop()
    return [l.split("\t") for l in lines]


def close(a, b, rel=1e-9):
    return a is not None and b is not None and (a == b or abs(a - b) <= rel * max(abs(a), abs(b)))


def table(name, res, want, keyf=lambda k: k, valf=lambda vs: vs):
    """An aggregate result: {key: [values]} against want (numbers compared
    to 1e-9, the rest exactly)."""
    st, out, err = res[:3]
    if not check(st == 0, "%s: exit %d: %s" % (name, st, err[:300])):
        return
    rows = rows_of(out)[1:]
    got = {keyf(r[0]): r[1:] for r in rows}
    if not check(set(got) == set(want), "%s: keys %s, want %s" % (name, sorted(got)[:6], sorted(want)[:6])):
        return
    for k, w in want.items():
        g = got[k]
        ok = len(g) == len(w) and all(close(num(a), b) if isinstance(b, (int, float)) else a == b for a, b in zip(g, w))
        check(ok, "%s: %s: got %r, want %r" % (name, k, g, w))


def single(name, res, want):
    st, out, err = res[:3]
    if check(st == 0, "%s: exit %d: %s" % (name, st, err[:300])):
        rows = rows_of(out)
        check(len(rows) == 2 and close(num(rows[1][0]), want), "%s: got %r, want %r" % (name, rows, want))


def group(items, key, val=lambda r: 1, agg=sum):
    g = {}
    for r in items:
        g.setdefault(key(r), []).append(val(r))
    return {k: agg(v) for k, v in g.items()}


def minute(t):
    return t.timestamp() // 60 * 60


# ---- the oracles, one per example name ------------------------------------------
def error_rate(res):
    errs = group(recs, lambda r: minute(r["t"]), lambda r: r["status"] >= 500)
    cnt = group(recs, lambda r: minute(r["t"]))
    table("error-rate", res, {k: [errs[k] / cnt[k] * 100] for k in cnt}, keyf=instant)
    check(rows_of(res[1])[:1] == [["minute", "error_pct"]], "error-rate: header %r" % rows_of(res[1])[:1])


def status_classes(res):
    cnt = group(recs, lambda r: r["status"] // 100 * 100)
    table("status-classes", res, {k: [cnt[k], cnt[k] * 100 / N] for k in cnt}, keyf=lambda k: int(num(k)))


def top_referrers(res):
    cnt = group([r for r in recs if r["referer"] != "-"], lambda r: urllib.parse.urlsplit(r["referer"]).hostname)
    want = sorted(cnt.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    st, out, err = res[:3]
    if check(st == 0, "top-referrers: exit %d: %s" % (st, err[:300])):
        got = [(r[0], int(r[1])) for r in rows_of(out)[1:]]
        check(got == want, "top-referrers: got %r, want %r" % (got, want))


def busy_clients(res):
    n = int(re.search(r"count >= (\d+)", res[3]).group(1))
    cnt = group(recs, lambda r: r["ip"])
    want = {k: [v] for k, v in cnt.items() if v >= n}
    check(len(want) >= 2, "busy-clients: the example's threshold %d leaves %d clients in the test log" % (n, len(want)))
    table("busy-clients", res, want)


def in_range(r):
    return dt.datetime(2026, 11, 1, 0, 1, tzinfo=UTC) <= r["t"] < dt.datetime(2026, 11, 1, 0, 3, tzinfo=UTC)


def time_range_since(res):
    single("time-range-since", res, sum(1 for r in recs if in_range(r)))


def time_range_where(res):
    single("time-range-where", res, sum(1 for r in recs if in_range(r)))


def slowest(res):
    order = sorted(range(len(app)), key=lambda i: (-app[i]["ms"], i))[:10]
    st, out, err = res[:3]
    if check(st == 0, "slowest: exit %d: %s" % (st, err[:300])):
        rows = rows_of(out)
        want = [[app[i]["time"], app[i]["path"], app[i]["ms"]] for i in order]
        ok = rows[:1] == [["time", "path", "ms"]] and len(rows) == 11 and all(
            g[0] == w[0] and g[1] == w[1] and close(num(g[2]), w[2]) for g, w in zip(rows[1:], want))
        check(ok, "slowest: got %r, want %r" % (rows[:4], want[:3]))


def p99_latency(res):
    def p99(v):
        v = sorted(v)
        return v[math.floor(0.99 * (len(v) - 1))]
    by = group(app, lambda r: r["path"], lambda r: r["ms"], lambda v: (len(v), p99(v)))
    st, out, err = res[:3]
    if check(st == 0, "p99-latency: exit %d: %s" % (st, err[:300])):
        got = {r[0]: r[1:] for r in rows_of(out)[1:]}
        ok = set(got) == set(by) and all(int(got[k][0]) == by[k][0] and close(num(got[k][1]), by[k][1], 0.01) for k in by)
        check(ok, "p99-latency: got %r, want %r (1%%)" % (got, by))


def distinct_clients(res):
    exact = len(set(r["ip"] for r in recs))
    st, out, err = res[:3]
    if check(st == 0, "distinct-clients: exit %d: %s" % (st, err[:300])):
        rows = rows_of(out)
        check(len(rows) == 2 and num(rows[1][1]) == exact and close(num(rows[1][0]), exact, 0.02),
              "distinct-clients: got %r, exact %d (approx within 2%%)" % (rows, exact))


def bytes_per_hour_tz(res):
    ny = zoneinfo.ZoneInfo("America/New_York")
    def hour(r):
        t = dt.datetime.fromisoformat(r["time"].replace("Z", "+00:00")).astimezone(ny)
        return t.replace(minute=0, second=0).timestamp()   # the fold is kept: 01:00 EDT and 01:00 EST apart
    want = group(app, hour, lambda r: r["bytes"])
    table("bytes-per-hour-tz", res, {k: [v] for k, v in want.items()}, keyf=instant)
    st, out, err = res[:3]
    if st == 0:
        keys = [r[0] for r in rows_of(out)[1:]]
        check(any(k.endswith("-04:00") for k in keys) and any(k.endswith("-05:00") for k in keys),
              "bytes-per-hour-tz: hours print with New York's offsets: %r" % keys[:8])


def bare_word(res):
    st, out, err = res[:3]
    e = err.decode("utf-8", "replace")
    check(st == 2 and out == b"" and e.startswith("ringflow: query:") and "no field 'error'" in e
          and 'did you mean the string "error"' in e, "bare-word: exit %d, stderr %r" % (st, e[:300]))
    # the message as README shows it, indented as a code block
    shown = "\n".join("    " + l for l in e.rstrip("\n").split("\n"))
    check(shown in text, "bare-word: README does not show the message as printed:\n%s" % shown)


def quoted_word(res):
    single("quoted-word", res, sum(1 for r in app if r["level"] == "error"))


ORACLES = {"error-rate": error_rate, "status-classes": status_classes, "top-referrers": top_referrers,
           "busy-clients": busy_clients, "time-range-since": time_range_since, "time-range-where": time_range_where,
           "slowest": slowest, "p99-latency": p99_latency, "distinct-clients": distinct_clients,
           "bytes-per-hour-tz": bytes_per_hour_tz, "bare-word": bare_word, "quoted-word": quoted_word}

# ---- the examples ------------------------------------------------------------------
readme = open(T + "/README.md", encoding="utf-8").read()
sec = re.search(r"^## Cookbook\n(.*?)(?=^## )", readme, re.S | re.M)
check(sec is not None, "README.md has a '## Cookbook' section")
text = sec.group(1) if sec else ""
check(len(re.findall(r"^```sh", text, re.M)) == len(re.findall(r"<!-- cookbook:", text)),
      "every ```sh block of the Cookbook has a <!-- cookbook: NAME --> line before it")
examples = re.findall(r"^<!-- cookbook: (\S+) -->\n```sh\n(.*?)^```", text, re.S | re.M)
names = [n for n, _ in examples]
check(len(names) == len(set(names)), "cookbook names are unique: %r" % names)
for name in sorted(set(ORACLES) - set(names)):
    check(False, "cookbook: the oracle %s has no example in README.md" % name)
for name, body in examples:
    if not check(name in ORACLES, "cookbook: the example %s has no oracle in tests/cookbook.sh" % name):
        continue
    cmd = " ".join(l.rstrip("\\").strip() for l in body.splitlines() if l.strip() and not l.lstrip().startswith("#"))
    if not check(cmd.startswith("ringflow "), "cookbook %s: one ringflow command: %r" % (name, cmd)):
        continue
    run = re.sub(r"(?<![\w/.])access\.log\b", LOG, cmd)
    run = re.sub(r"(?<![\w/.])app\.jsonl\b", APP, run)
    run = '"$RINGFLOW" --format=tsv ' + run[len("ringflow "):]
    p = subprocess.run(["sh", "-c", run], capture_output=True, timeout=60, env=dict(os.environ, RINGFLOW=os.fsdecode(RF)))
    ORACLES[name]((p.returncode, p.stdout, p.stderr, cmd))

rftest.summary()
PY
finish
