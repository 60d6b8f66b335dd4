#!/bin/sh
# SPDX-License-Identifier: MIT
# aggregates2.sh - approx_distinct, stddev, variance, stddev_pop, var_pop,
# first, last, histogram, pct and number bucket keys against independent oracles: Python's exact distinct counts (the
# HyperLogLog estimate within 2% on ten distributions, exact below its
# sparse limit), Python's statistics module (exact fractions) and datamash
# for the variance family, exact counts for pct.  Untidy input: missing
# values, words, huge and negative numbers, one-value groups.  first and
# last against awk, over two inputs and stdin.  Every mode
# prints serial's bytes, also where groups turn from sparse to dense in a
# merge.
. "${SRCDIR:-.}/tests/lib.sh"

if ! command -v python3 > /dev/null 2>&1; then
	echo "python3 not found: skipped"
	exit 77
fi

cat > "$T/agg2.py" << 'EOF'
import os, random, statistics, subprocess, sys
from fractions import Fraction

R = os.environ["RINGFLOW"]
T = sys.argv[1]
rnd = random.Random(20261201)
bad = 0

def fail(msg):
    global bad
    bad += 1
    print("FAIL: " + msg)

def run(args, path):
    p = subprocess.run([R, "--format=tsv"] + args + [path], capture_output=True, text=True)
    if p.returncode != 0:
        fail("%s: exit %d: %s" % (args, p.returncode, p.stderr[:300]))
    return p.stdout

MODES = [["--mode=serial"], ["--mode=parallel", "--threads=2"], ["--mode=parallel", "--threads=3"],
         ["--mode=pipeline", "--queue-depth=2"], ["--mode=async"],
         ["--mode=multiprocess", "--threads=2"], ["--mode=multiprocess", "--threads=3"]]

def all_modes(q, path):
    """serial's output, after checking every mode prints the same bytes"""
    ref = run(["--mode=serial", q], path)
    for m in MODES[1:]:
        got = run(m + [q], path)
        if got != ref:
            fail("%s %s: differs from serial" % (" ".join(m), q))
    return ref

def table(out):
    lines = out.splitlines()
    return lines[0].split("\t"), {l.split("\t")[0]: l.split("\t")[1:] for l in lines[1:]}

# ---- approx_distinct on ten distributions ----
rows = []
def dist(name, values):
    for v in values:
        rows.append((name, v))
dist("uniform", [str(rnd.randint(0, 10**9)) for _ in range(30000)])
zipf_w = [1 / (k ** 1.1) for k in range(1, 200001)]
dist("zipf", [str(k) for k in rnd.choices(range(1, 200001), weights=zipf_w, k=30000)])
dist("sequential", [str(i) for i in range(40000)])
dist("ipv4", ["%d.%d.%d.%d" % (rnd.randint(1, 254), rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(1, 254))
              for _ in range(30000)])
dist("long", ["%s-%d" % ("x" * rnd.randint(100, 300), i) for i in range(6000)])
dist("few", [rnd.choice(["GET", "POST", "PUT", "HEAD", "DELETE", "PATCH", "OPTIONS"]) for _ in range(20000)])
dist("one", ["42"] * 5000)
dist("hex", ["%016x" % rnd.getrandbits(64) for _ in range(40000)])
for n in (1000, 1024, 1025, 1100, 3000):   # around the sparse limit
    dist("near%d" % n, ["v%d" % i for i in range(n)] * 2)
for g in range(3000):                      # many small groups
    dist("g%04d" % g, [str(rnd.randint(0, 60)) for _ in range(rnd.randint(1, 40))])
lines = ["%s %s" % r for r in rows]
lines += ["none"] * 50 + ["one"] * 20      # missing values: skipped
rnd.shuffle(lines)                          # every group spread over every worker
with open(T + "/hll.txt", "w") as f:
    f.write("\n".join(lines) + "\n")
exact = {}
for k, v in rows:
    exact.setdefault(k, set()).add(v)
exact["none"] = set()
out = all_modes("split | approx_distinct($2) by $1", T + "/hll.txt")
head, got = table(out)
if head != ["$1", "approx_distinct($2)"]:
    fail("header %r" % head)
worst = 0
for k, s in exact.items():
    if k not in got:
        fail("approx_distinct: no group %s" % k)
        continue
    est, n = int(got[k][0]), len(s)
    if n <= 1024 and est != n:
        fail("approx_distinct %s: %d, want exactly %d" % (k, est, n))
    err = abs(est - n) / n if n else est
    worst = max(worst, err)
    if err > 0.02:
        fail("approx_distinct %s: %d, exact %d (error %.2f%%)" % (k, est, n, 100 * err))
allv = set(v for _, v in rows)
out = all_modes("split | approx_distinct($2)", T + "/hll.txt")
est = int(out.splitlines()[1])
if abs(est - len(allv)) / len(allv) > 0.02:
    fail("approx_distinct overall: %d, exact %d" % (est, len(allv)))

# ---- the variance family and pct ----
vrows = []
for g in range(40):
    k = "k%02d" % g
    kind = g % 5
    n = 1 if g == 7 else rnd.randint(2, 400)
    for _ in range(n):
        if kind == 0:
            v = str(rnd.randint(-10**6, 10**6))
        elif kind == 1:
            v = str(rnd.randint(2**62, 2**63 - 1) * rnd.choice((1, -1)))   # near the 64-bit limits
        elif kind == 2:
            v = "%.3f" % rnd.gauss(120, 40)
        elif kind == 3:
            v = str(10**9 + rnd.randint(0, 9))          # a large mean, a small spread
        else:
            v = rnd.choice([str(rnd.randint(0, 5000)), "%.2f" % rnd.uniform(-50, 50), "1e25"])
        vrows.append((k, v))
untidy = [("k00", "-"), ("k01", "abc"), ("k02", ""), ("k03", "nan?"), ("k05", "12ms")]
lines = ["%s %s" % r for r in vrows + untidy]
rnd.shuffle(lines)
with open(T + "/var.txt", "w") as f:
    f.write("\n".join(lines) + "\n")
groups = {}
for k, v in vrows:
    groups.setdefault(k, []).append(Fraction(v))
total = len(vrows) + len(untidy)
counts = {}
for k, _ in vrows + untidy:
    counts[k] = counts.get(k, 0) + 1
AG = ["stddev($2)", "variance($2)", "stddev_pop($2)", "var_pop($2)", "pct"]
out = all_modes("split | " + ", ".join(AG) + " by $1", T + "/var.txt")
head, got = table(out)
if head != ["$1"] + AG:
    fail("header %r" % head)

def close(a, b, what):
    if b == 0:
        ok = abs(a) <= 1e-9
    else:
        ok = abs(a - b) <= 1e-9 * abs(b)
    if not ok:
        fail("%s: %r, want %r" % (what, a, b))

for k, vals in groups.items():
    cells = got.get(k)
    if not cells:
        fail("no group " + k)
        continue
    want = [statistics.stdev(vals) if len(vals) > 1 else None,
            statistics.variance(vals) if len(vals) > 1 else None,
            statistics.pstdev(vals), statistics.pvariance(vals)]
    for label, c, w in zip(AG, cells, want):
        if w is None:
            if c != "":
                fail("%s %s: %r, want empty (one value)" % (label, k, c))
        else:
            close(float(c), float(w), "%s %s" % (label, k))
    close(float(cells[4]), 100 * counts[k] / total, "pct " + k)

# datamash: the same four on the integer groups (sample and population)
dm = subprocess.run(["which", "datamash"], capture_output=True).returncode == 0
if dm:
    ints = "".join("%s\t%s\n" % r for r in vrows if r[0] in ("k00", "k05", "k10", "k03", "k13"))
    with open(T + "/dm.tsv", "w") as f:
        f.write(ints)
    d = subprocess.run(["datamash", "-s", "-g", "1", "sstdev", "2", "svar", "2", "pstdev", "2", "pvar", "2"],
                       input=open(T + "/dm.tsv").read(), capture_output=True, text=True).stdout
    mine = run(["split \"\\t\" | stddev($2), variance($2), stddev_pop($2), var_pop($2) by $1"], T + "/dm.tsv")
    _, m = table(mine)
    for line in d.splitlines():
        c = line.split("\t")
        for i in range(4):
            # datamash sums in long double: its last digits may differ
            a, b = float(m[c[0]][i]), float(c[1 + i])
            if abs(a - b) > 1e-6 * abs(b) + 1e-9:
                fail("datamash %s col %d: %r, datamash %r" % (c[0], i, a, b))

# histogram against exact floors: floor(v / w) * w, counts per bucket
import math
for w in ("1000", "7", "0.25"):
    fw = Fraction(w)
    out = all_modes("split | histogram($2, %s) by $1" % w, T + "/var.txt")
    head, got = table(out)
    if head != ["$1", "histogram($2,%s)" % w]:
        fail("header %r" % head)
    for k, vals in groups.items():
        want = {}
        for v in vals:
            b = float(math.floor(v / fw) * fw)
            want[b] = want.get(b, 0) + 1
        cell = got.get(k, [""])[0]
        have = {}
        for item in cell.split(" "):
            lo, n = item.rsplit(":", 1)
            have[float(lo)] = int(n)
        if have != want:
            fail("histogram($2, %s) %s: %r, want %r" % (w, k, cell[:200], sorted(want.items())[:10]))
        bounds = [float(item.rsplit(":", 1)[0]) for item in cell.split(" ")]
        if bounds != sorted(bounds):
            fail("histogram %s: bounds not ascending" % k)
# 1000 buckets a group print; 1001 refuse the run, in every mode
for nb, status in ((1000, 0), (1001, 2)):
    lines = ["g %d" % (i % nb) for i in range(nb * 20)]
    rnd.shuffle(lines)
    with open(T + "/h%d.txt" % nb, "w") as f:
        f.write("\n".join(lines) + "\n")
    for m in MODES:
        p = subprocess.run([R, "--format=tsv"] + m + ["split | histogram($2, 1) by $1", T + "/h%d.txt" % nb],
                           capture_output=True, text=True)
        if p.returncode != status:
            fail("histogram of %d buckets, %s: exit %d" % (nb, m, p.returncode))
        if status and ("ringflow: a histogram has more than 1000 buckets" not in p.stderr or p.stdout):
            fail("histogram of %d buckets, %s: %r %r" % (nb, m, p.stdout[:100], p.stderr))
        if not status and p.stdout.count(":20") != 1000:
            fail("histogram of 1000 buckets, %s: %r" % (m, p.stdout[:100]))

# skipped values are noted
p = subprocess.run([R, "--format=tsv", "split | stddev($2) by $1", T + "/var.txt"], capture_output=True, text=True)
if "stddev($2): %d values missing or not numbers, skipped" % len(untidy) not in p.stderr:
    fail("note: %r" % p.stderr)
print(bad)
EOF
python3 "$T/agg2.py" "$T" > "$T/py.out" 2>&1
grep FAIL "$T/py.out" | head -20 >&2
check_eq "approx_distinct, the variance family and pct" "$(tail -1 "$T/py.out")" 0

# first and last against awk: in input order over two files, in every
# mode (a multiprocess worker's range goes through in pieces: each keeps
# its offset), and records that lack the field (skipped, not an empty
# value)
"$LOGGEN" --lines 60000 --seed 11 > "$T/a.log"
"$LOGGEN" --lines 20000 --seed 12 > "$T/b.log"
awk '{ s = $9; if (!(s in f)) f[s] = $7; l[s] = $7; if (!(s in fb)) fb[s] = $10; lb[s] = $10 }
     END { for (s in f) print s "\t" f[s] "\t" l[s] "\t" fb[s] "\t" lb[s] }' "$T/a.log" "$T/b.log" |
	sort > "$T/fl.want"
# the same as fields: every 7th record without its third
awk 'NR % 7 == 3 { print $9 "\t" $7; next } { print $9 "\t" $7 "\t" $10 }' "$T/a.log" > "$T/a.tsv"
awk '{ s = $1; if (!(s in f)) f[s] = $2; l[s] = $2; if (NF > 2) { if (!(s in fb)) fb[s] = $3; lb[s] = $3 } }
     END { for (s in f) print s "\t" f[s] "\t" l[s] "\t" fb[s] "\t" lb[s] }' "$T/a.tsv" | sort > "$T/fl2.want"
q='parse combined | first(path), last(path), first(bytes), last(bytes) by status'
q2='split "\t" | first($2), last($2), first($3), last($3) by $1'
for m in serial "parallel --threads=3" pipeline "multiprocess --threads=3" async; do
	# shellcheck disable=SC2086
	"$RINGFLOW" --format=tsv --mode=$m "$q" "$T/a.log" "$T/b.log" | tail -n +2 > "$T/fl.got"
	check_same "first/last, --mode=$m" "$T/fl.got" "$T/fl.want"
	# shellcheck disable=SC2086
	"$RINGFLOW" --format=tsv --mode=$m "$q2" "$T/a.tsv" | tail -n +2 > "$T/fl2.got"
	check_same "first/last with missing values, --mode=$m" "$T/fl2.got" "$T/fl2.want"
done
cat "$T/a.log" "$T/b.log" | "$RINGFLOW" --format=tsv --mode=parallel "$q" | tail -n +2 > "$T/fl.got"
check_same "first/last from stdin" "$T/fl.got" "$T/fl.want"

# number buckets as keys against awk: floor(v / w) * w, both signs, words
# left out and counted
awk 'NR % 5 == 0 { print $9 "\t-" $10; next } NR % 11 == 0 { print $9 "\tn/a"; next } { print $9 "\t" $10 }' \
	"$T/a.log" > "$T/nb.tsv"
awk -F '\t' '$2 ~ /^-?[0-9]+$/ { v = $2 + 0; q = int(v / 1000); if (q * 1000 > v) q--; n[q * 1000]++ }
     END { for (k in n) print k "\t" n[k] }' "$T/nb.tsv" | sort -n > "$T/nb.want"
skipped=$(awk -F '\t' '$2 !~ /^-?[0-9]+$/' "$T/nb.tsv" | wc -l)
for m in serial "parallel --threads=3" "multiprocess --threads=3" async; do
	# shellcheck disable=SC2086
	"$RINGFLOW" --format=tsv --mode=$m 'split "\t" | count by bucket($2, 1000)' "$T/nb.tsv" 2> "$T/nb.err" |
		tail -n +2 > "$T/nb.got"
	check_same "count by bucket(\$2, 1000), --mode=$m" "$T/nb.got" "$T/nb.want"
	check_grep "bucket note, --mode=$m" "$T/nb.err" "bucket(\$2,1000): $skipped records without a number, left out"
done

# bad queries: a clear message and exit 2
for q in "split | histogram(\$1)" "split | histogram(\$1, 0)" "split | histogram(\$1, -1)" "split | pct(x)" "split | stddev" "split | approx_distinct(\$1" "split | variance()" \
	"split | count by bucket(\$1, 0)" "split | count by bucket(\$1, -5)" "split | count by bucket(\$1, x)"; do
	"$RINGFLOW" "$q" /dev/null > "$T/out" 2> "$T/err"
	check_status "$q" $? 2
	check_grep "$q: message" "$T/err" "ringflow:"
done
finish
