#!/bin/sh
# SPDX-License-Identifier: MIT
# containers.sh - parse cri and parse docker against Python: CRI lines read
# by a regular expression from the CRI log format, Docker json-file lines by
# json.loads (the log's trailing newline taken off); every mode, CRLF, no
# final newline, a small buffer, empty logs, cut-off lines and garbage.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || { echo "SKIP: python3 (the oracle) is not installed"; exit 77; }

py_checks <<'X'
import datetime, json, random, re, sys
from rftest import *
from parsecheck import *
T, RF = setup(sys.argv)
rnd = random.Random(16)

def compare(what, args, data, fmt, names, oracle):
    """oracle: the lines of data (no line ends) -> (records, rejects, cut)"""
    open(T + "/in.log", "wb").write(data)
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    recs, rejects, cut = oracle([l[:-1] if l.endswith(b"\r") else l for l in lines])
    want = [{n: json_value(r.get(n)) for n in names} for r in recs]
    check_select(what, args, "parse %s | select %s" % (fmt, ", ".join(names)), [T + "/in.log"], want, rejects, cut)

def stamp(t):
    return (t.strftime("%Y-%m-%dT%H:%M:%S") + rnd.choice(["", ".%09d" % rnd.randint(0, 10**9 - 1), ".1"]) +
            rnd.choice(["Z", "+02:00"])).encode()
def text():
    return b"".join(rnd.choice([b"level=info ", b"msg=\"a b\" ", b"x", b" ", b"\t", b"\xc3\xa9", b"\xff", b"{\"k\":1}",
                                b"\\", b"\""]) for _ in range(rnd.randint(0, 10)))

# ---- CRI: TIME STREAM TAG LOG ---------------------------------------------------
CRI = re.compile(rb"([0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+) (stdout|stderr) ([PF](?::[^ ]*)?)(?: (.*))?\Z", re.S)
CRI_CUT = re.compile(rb"([0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+)(?: (stdout|stderr))? ?\Z")
def cri_oracle(lines):
    recs, rejects, cut = [], 0, 0
    for l in lines:
        m = CRI.match(l)
        if m:
            recs.append({"time": m.group(1), "stream": m.group(2), "tag": m.group(3),
                         "log": m.group(4) if m.group(4) is not None else b""})
            continue
        m = CRI_CUT.match(l)
        if m:
            recs.append({"time": m.group(1), "stream": m.group(2)})
            cut += 1
        else:
            rejects += 1
    return recs, rejects, cut
t = datetime.datetime(2016, 10, 6, 0, 17, 9)
cri = []
for i in range(5000):
    t += datetime.timedelta(seconds=rnd.randint(0, 20))
    r = rnd.random()
    if r < 0.8:
        cri.append(stamp(t) + b" " + rnd.choice([b"stdout", b"stderr"]) + b" " + rnd.choice([b"F", b"P"]) + b" " + text())
    elif r < 0.85:
        cri.append(stamp(t) + b" stdout F")   # an empty log, no blank before it
    elif r < 0.9:
        cri.append(stamp(t) + b" stdout F ")  # an empty log
    elif r < 0.94:
        cri.append(stamp(t) + b" stderr")     # cut off before the tag
    else:
        cri.append(rnd.choice([b"garbage", b"2016-10-06T00:17:09Z stdin F x", b"2016-10-06T00:17:09Z stdout X x",
                               b"2016-10-06T00:17:09Z  stdout F x", b"Oct  6 00:17:09 stdout F x"]))
names = ["time", "stream", "tag", "log"]
for ending, last in ENDINGS:
    for mode in MODES:
        compare("cri %s %r last=%s" % (mode, ending, last), ["--mode=" + mode, "--buffer-size=64k"],
                ending.join(cri) + (ending if last else b""), "cri", names, cri_oracle)

# ---- docker json-file: json.loads, the trailing newline off "log" ---------------
def docker_oracle(lines):
    recs, rejects = [], 0
    for l in lines:
        try:
            d = json.loads(l)
            assert isinstance(d, dict)
        except Exception:
            rejects += 1
            continue
        r = {}
        for k in ["log", "stream", "time"]:
            if isinstance(d.get(k), str):
                r[k] = d[k].encode("utf-8", "surrogatepass")
        if "log" in r and r["log"].endswith(b"\n"):
            r["log"] = r["log"][:-1]
            if r["log"].endswith(b"\r"):
                r["log"] = r["log"][:-1]
        if isinstance(d.get("attrs"), dict) and isinstance(d["attrs"].get("tag"), str):
            r["attrs.tag"] = d["attrs"]["tag"].encode()
        recs.append(r)
    return recs, rejects, 0
docker = []
for i in range(5000):
    t += datetime.timedelta(seconds=rnd.randint(0, 20))
    log = text().decode("utf-8", "replace") + rnd.choice(["\n", "\n", "\r\n", "", "\n\n"])
    d = {"log": log, "stream": rnd.choice(["stdout", "stderr"])}
    if rnd.random() < 0.3:
        d["attrs"] = {"tag": rnd.choice(["web", "db"])}
    d["time"] = stamp(t).decode()
    line = json.dumps(d, ensure_ascii=rnd.random() < 0.5).encode()
    if rnd.random() < 0.03:
        line = rnd.choice([b"garbage", line[:len(line) // 2], b"[1]", b"{\"log\":\"x\\q\"}"])
    docker.append(line)
names = ["log", "stream", "time", "attrs.tag"]
for ending, last in ENDINGS:
    for mode in MODES:
        compare("docker %s %r last=%s" % (mode, ending, last), ["--mode=" + mode, "--buffer-size=64k"],
                ending.join(docker) + (ending if last else b""), "docker", names, docker_oracle)

# count by minute: the runtimes' RFC 3339 stamps as instants
open(T + "/in.log", "wb").write(b"\n".join(docker) + b"\n")
counts = {}
for r in docker_oracle(docker)[0]:
    ts = r["time"].decode()
    frac = re.match(r"(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)", ts)
    k = datetime.datetime.fromisoformat(frac.group(1) + frac.group(3).replace("Z", "+00:00"))
    k = k.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:00Z")
    counts[k] = counts.get(k, 0) + 1
for fmt in ["docker"]:
    rc, out, err = run(["--format=json", "parse %s | count by minute" % fmt, T + "/in.log"])
    got = {r["minute"]: r["count"] for r in rows(out)}
    check(rc == 0 and got == counts, "%s count by minute: %d groups, want %d" % (fmt, len(got), len(counts)))
# parse auto takes a docker log as docker, not as the json it also is
good = [l for l in docker if docker_oracle([l])[1] == 0]
open(T + "/good.log", "wb").write(b"\n".join(good) + b"\n")
rc, out, err = run(["-v", "--format=json", "parse auto | select log", T + "/good.log"])
want = [{"log": json_value(r.get("log"))} for r in docker_oracle(good)[0]]
check(rc == 0 and rows(out) == want and b"docker 1" in err, "parse auto on docker: %d %r" % (rc, err[-300:]))
good = [l for l in cri if CRI.match(l)]
open(T + "/good.log", "wb").write(b"\n".join(good) + b"\n")
rc, out, err = run(["-v", "parse auto | count", T + "/good.log"])
check(rc == 0 and out.split() == [b"%d" % len(good)] and b"cri 1" in err,
      "parse auto on cri: %d %r %r" % (rc, out, err[-300:]))

# the line inside, parsed again: syslog from a docker log's line; w3c cannot
# (its names come from #Fields lines)
open(T + "/ds.log", "wb").write(
    b'{"log":"<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 [a x=\\"1\\"] hello\\n","stream":"stdout"}\n'
    b'{"log":"Nov  3 07:01:02 host1 sshd[1234]: Accepted\\n","stream":"stderr"}\n')
rc, out, err = run(["--format=json", "parse docker | parse syslog from log | select stream, appname, sd.a.x, msg",
                    T + "/ds.log"])
check(rc == 0 and rows(out) == [{"stream": "stdout", "appname": "su", "sd.a.x": 1, "msg": "hello"},
                                {"stream": "stderr", "appname": "sshd", "sd.a.x": None, "msg": "Accepted"}],
      "parse syslog from log: %d %r %r" % (rc, out, err))
rc, out, err = run(["parse docker | parse w3c from log | count", T + "/ds.log"])
check(rc == 2 and b"^" in err, "parse w3c from log is refused: %d %r" % (rc, err))

# --since reads the time at a line's start: a docker line has none there
rc, out, err = run(["--since=2019-01-01", "parse docker | count", T + "/in.log"])
check(rc == 2 and b"use where" in err, "--since with docker: %d %r" % (rc, err))
summary()
X
finish
