#!/bin/sh
# SPDX-License-Identifier: MIT
# lookup.sh - `lookup FILE on FIELD [= COLUMN] [as PREFIX]` against Python:
# the table read by the csv module into a dict, the log by re, the join
# done in Python, and every mode (with small buffers) giving those rows;
# CSV with quoted fields (separators, quotes, newlines in them), TSV, CRLF,
# a byte order mark, keys missing from the table, the key column chosen
# three ways; the bad tables (missing, empty, no header, a short row, a
# repeated key, no such key column, an unclosed quote, too many columns),
# each an exit status of 2 with a message naming the file (and the line).
. "${SRCDIR:-.}/tests/lib.sh"

"$LOGGEN" --lines 6000 --seed 16 > "$T/access.log" || exit 99
# a last line without its newline, CRLF on one line
printf '10.0.0.1 - - [01/Nov/2026:00:00:01 +0000] "GET /crlf HTTP/1.1" 200 5 "-" "curl/8.0"\r\n' >> "$T/access.log"
printf '10.0.0.2 - - [01/Nov/2026:00:00:02 +0000] "GET /last HTTP/1.1" 404 0 "-" "-"' >> "$T/access.log"

py_checks << 'EOF'
import collections, csv, json, os, re, subprocess, sys
import rftest
from rftest import check

T, RF = rftest.setup(sys.argv)


def rf(*args):
    return subprocess.run([RF] + list(args), capture_output=True)


LINE = re.compile(rb'^(\S+) \S+ \S+ \[[^\]]*\] "[^"]*" (\d{3}) (\d+|-)')
log = []
with open(T + "/access.log", "rb") as f:
    for raw in f.read().split(b"\n"):
        if raw:
            m = LINE.match(raw)
            log.append(m.group(1).decode())
ips = sorted(set(log))
check(len(ips) > 100, "the log has many addresses (%d)" % len(ips))

# every other address in the table; cells with the separator, quotes, a
# newline, an empty cell, non-ASCII text
rows = []
for i, ip in enumerate(ips):
    if i % 2:
        continue
    owner = ["Acme, Inc.", 'the "best" ISP', "two\nlines", "", "Zürich AG", "plain"][i % 6]
    rows.append({"country": ["US", "DE", "JP", "BR"][i % 4], "ip": ip, "owner": owner, "score": str(i * 7 % 100)})
cols = ["country", "ip", "owner", "score"]


def write_table(path, delim=",", lineterminator="\r\n", bom=False, columns=cols, keyname="ip"):
    with open(path, "w", newline="", encoding="utf-8") as f:
        if bom:
            f.write("\ufeff")
        w = csv.writer(f, delimiter=delim, lineterminator=lineterminator)
        w.writerow([keyname if c == "ip" else c for c in columns])
        for r in rows:
            w.writerow([r[c] for c in columns])


write_table(T + "/t.csv")
write_table(T + "/t.tsv", delim="\t", lineterminator="\n")
write_table(T + "/t_tab.txt", delim="\t", lineterminator="\n")      # sniffed
write_table(T + "/t_bom.csv", bom=True)
write_table(T + "/t_addr.csv", keyname="addr")
write_table(T + "/t_first.csv", columns=["ip", "country", "owner", "score"], keyname="host")

# the oracle: the csv module's reading of each file
def table(path, delim, key):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return {r[key]: r for r in csv.DictReader(f, delimiter=delim)}


def expect(tab, key, prefix, names):
    out = []
    for ip in log:
        r = tab.get(ip)
        row = {"ip": ip}
        for n in names:
            row[(prefix + "." if prefix else "") + n] = r[n] if r else None
        out.append(row)
    return out


def run_rows(query, *opts):
    p = rf("--format=json", *opts, query, T + "/access.log")
    if p.returncode != 0:
        return None, p.stderr.decode(errors="replace")
    return [json.loads(l) for l in p.stdout.decode().splitlines()], ""


def same_rows(got, want):
    # a number-like cell prints as a JSON number: compare as text
    if got is None or len(got) != len(want):
        return False
    for g, w in zip(got, want):
        if set(g) != set(w):
            return False
        for k in w:
            gv = g[k]
            if w[k] is None:
                if gv is not None:
                    return False
            elif (str(gv) if not isinstance(gv, str) else gv) != w[k]:
                return False
    return True


cases = [
    ("t.csv", ",", "ip", "lookup %s/t.csv on ip as t", "t", ["country", "owner", "score"]),
    ("t.tsv", "\t", "ip", "lookup %s/t.tsv on ip as g", "g", ["country", "owner", "score"]),
    ("t_tab.txt", "\t", "ip", "lookup %s/t_tab.txt on ip as g", "g", ["country", "owner", "score"]),
    ("t_bom.csv", ",", "ip", "lookup %s/t_bom.csv on ip", "", ["country", "owner", "score"]),
    ("t_addr.csv", ",", "addr", "lookup %s/t_addr.csv on ip = addr as a", "a", ["country", "owner", "score"]),
    ("t_first.csv", ",", "host", "lookup %s/t_first.csv on ip as f", "f", ["country", "owner", "score"]),
]
for name, delim, key, stage, prefix, names in cases:
    want = expect(table(T + "/" + name, delim, key), key, prefix, names)
    fields = ", ".join((prefix + "." if prefix else "") + n for n in names)
    q = "parse combined | " + (stage % T) + " | select ip, " + fields
    for mode in ["serial", "parallel", "pipeline", "multiprocess"]:
        for buf in ["64K", "1M"]:
            got, err = run_rows(q, "--mode=" + mode, "--buffer-size=" + buf)
            check(same_rows(got, want), "%s, %s, buffer %s: rows differ from Python's join %s" % (name, mode, buf, err))

# aggregates over the looked-up fields: collections.Counter of the join
tab = table(T + "/t.csv", ",", "ip")
want = collections.Counter((tab[ip]["country"] if ip in tab else None) for ip in log)
for mode in ["serial", "parallel", "pipeline", "multiprocess"]:
    p = rf("--format=json", "--mode=" + mode, "--buffer-size=64K",
           "parse combined | lookup %s/t.csv on ip as t | count by t.country" % T, T + "/access.log")
    got = {json.loads(l)["t.country"]: json.loads(l)["count"] for l in p.stdout.decode().splitlines()}
    check(p.returncode == 0 and got == dict(want), "count by t.country, %s: %r, want %r" % (mode, got, dict(want)))
# where on a looked-up field, as a number (its text reads as one)
want = sum(1 for ip in log if ip in tab and int(tab[ip]["score"]) >= 50)
p = rf("parse combined | lookup %s/t.csv on ip as t | where t.score >= 50 | count" % T, T + "/access.log")
check(p.stdout.decode().strip() == str(want), "where t.score >= 50: %r, want %d" % (p.stdout, want))
want = sum(1 for ip in log if ip not in tab)
p = rf("parse combined | lookup %s/t.csv on ip as t | where t.country is null | count" % T, T + "/access.log")
check(p.stdout.decode().strip() == str(want), "records not in the table are kept, null: %r, want %d" % (p.stdout, want))
# eval'd key; a lookup's field as the next lookup's key
with open(T + "/c.csv", "w") as f:
    f.write("code,continent\nUS,NA\nDE,EU\nJP,AS\n")
want = collections.Counter({"US": "NA", "DE": "EU", "JP": "AS"}.get(tab[ip]["country"]) if ip in tab else None for ip in log)
p = rf("--format=json", "parse combined | lookup %s/t.csv on ip as t | lookup %s/c.csv on t.country = code | count by continent"
       % (T, T), T + "/access.log")
got = {json.loads(l)["continent"]: json.loads(l)["count"] for l in p.stdout.decode().splitlines()}
check(got == dict(want), "chained lookups: %r, want %r" % (got, dict(want)))

# --stats names the table and its rows
p = rf("--stats", "parse combined | lookup %s/t.csv on ip as t | count" % T, T + "/access.log")
check(re.search(rb"lookup +1 table, %d rows, [0-9.]+ MiB" % len(rows), p.stderr) is not None,
      "--stats: %r" % p.stderr[-400:])
p = rf("--stats=json", "parse combined | lookup %s/t.csv on ip as t | count" % T, T + "/access.log")
st = json.loads(p.stderr)
check(st.get("lookup_rows") == len(rows) and st.get("lookup_bytes", 0) > os.path.getsize(T + "/t.csv"),
      "--stats=json: %r" % {k: st.get(k) for k in ("lookup_tables", "lookup_rows", "lookup_bytes")})

# the bad tables: exit 2, the file (and the line) named
def bad(name, content, want, stage="lookup {f} on ip as t"):
    path = T + "/" + name
    if content is not None:
        with open(path, "wb") as f:
            f.write(content)
    p = rf("parse combined | " + stage.format(f=path) + " | count", T + "/access.log")
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 2 and want in err and p.stdout == b"",
          "%s: status %d, want 2 and %r in: %s" % (name, p.returncode, want, err))


bad("missing.csv", None, "lookup: cannot read " + T + "/missing.csv: No such file or directory")
bad("empty.csv", b"", T + "/empty.csv is empty: it needs a header row")
bad("blank.csv", b"\n\r\n\n", T + "/blank.csv is empty")
bad("short.csv", b"ip,a,b\n1.2.3.4,x,y\n\n5.6.7.8,x\n", T + "/short.csv:4: 2 fields, the header has 3")
bad("long.tsv", b"ip\ta\n1.2.3.4\tx\ty\n", T + "/long.tsv:2: 3 fields, the header has 2")
bad("dup.csv", b"ip,a\n1.2.3.4,x\n5.6.7.8,y\n\"1.2.3.4\",z\n", T + "/dup.csv:4: the key '1.2.3.4' is on line 2 already")
bad("quote.csv", b"ip,a\n1.2.3.4,\"x\n5.6.7.8,y\n", T + "/quote.csv:2: a quoted field never closes")
bad("after.csv", b"ip,a\n1.2.3.4,\"x\"y\n", T + "/after.csv:2: text after the closing quote")
bad("nokey.csv", b"ip,a\n1.2.3.4,x\n", "has no column 'adr'", "lookup {f} on ip = adr")
bad("dir", None, "lookup: cannot read " + T, "lookup " + T + " on ip")
bad("wide.csv", (",".join(["ip"] + ["c%d" % i for i in range(70)]) + "\n").encode(), "has 70 columns besides the key")
bad("noname.csv", b"ip,,a\n1.2.3.4,x,y\n", "column 2 of the header has no name")
p = rf("parse combined | lookup " + T + "/t.csv on ip as", T + "/access.log")
check(p.returncode == 2 and b"expected a prefix after 'as'" in p.stderr and b"^" in p.stderr, "as without a prefix: %r" % p.stderr)
p = rf("parse combined | lookup " + T + "/t.csv ip", T + "/access.log")
check(p.returncode == 2 and b"expected 'on FIELD'" in p.stderr, "no 'on': %r" % p.stderr)
# lookup before the parse stage: refused (the parse wiped its fields to null)
p = rf("lookup " + T + "/t.csv on line = ip | parse combined | count by ip", T + "/access.log")
check(p.returncode == 2 and b"lookup before the parse stage" in p.stderr, "lookup before the parse: %r" % p.stderr)
p = rf("parse combined | lookup " + T + "/t_first.csv on nosuch", T + "/access.log")
check(p.returncode == 2 and b"no field 'nosuch'" in p.stderr, "a key field the parser lacks: %r" % p.stderr)

# random small tables (separators, quotes, CR, LF, NUL, invalid UTF-8):
# loaded or refused with a message, never a crash or a hang
import random
rnd = random.Random(16)
alphabet = [b",", b"\t", b'"', b"\n", b"\r", b"\r\n", b"\0", b"\xff", b"ip", b"a", b"1", b" ", b'""']
with open(T + "/one.log", "w") as f:
    f.write("1 a\n\"\" b\nip c")
for i in range(150):
    body = b"".join(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 40)))
    with open(T + "/rnd.csv", "wb") as f:
        f.write(body)
    try:
        p = subprocess.run([RF, "--format=json", "split | lookup %s/rnd.csv on $1 as r" % T, T + "/one.log"],
                           capture_output=True, timeout=20)
        ok = p.returncode == 0 or (p.returncode == 2 and p.stderr.startswith(b"ringflow: "))
        check(ok, "random table %r: status %d %r" % (body, p.returncode, p.stderr[-200:]))
    except subprocess.TimeoutExpired:
        check(False, "random table %r: a hang" % body)

rftest.summary()
EOF
finish
