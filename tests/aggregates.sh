#!/bin/sh
# SPDX-License-Identifier: MIT
# aggregates.sh - every aggregate against an independent oracle: Python's
# exact integers and fractions for count, sum, avg, min, max and distinct,
# and an exact sort for the quantiles (the value at rank floor(q * (n - 1)),
# within the documented 1%).  The data mixes what broke them: integers near
# and past the 64-bit limits (exact sums must stay exact, also when one
# worker's part overflows 64 bits), 1e25 among thousands, the 2^64-1
# sentinel, -1e300 among Gaussian values, heavy tails, both signs, zeros and
# -0; the same aggregate repeated (`count, count`).  Every mode, worker count,
# backend and SIMD level, the input forwards and reversed, one file and four.
. "${SRCDIR:-.}/tests/lib.sh"

if ! command -v python3 > /dev/null 2>&1; then
	echo "python3 not found: skipped"
	exit 77
fi

cat > "$T/agg.py" << 'EOF'
import json, math, os, random, re, subprocess, sys
from fractions import Fraction

R = os.environ["RINGFLOW"]
T = sys.argv[1]
rnd = random.Random(20261130)
IMAX, IMIN = 2**63 - 1, -2**63

# ---- data: "key value" lines ----
def gen():
    rows = []
    def add(k, v):
        rows.append((k, v))
    for _ in range(6000):
        r = rnd.random()
        if r < 0.5:
            v = str(rnd.randint(-10**6, 10**6))
        elif r < 0.65:
            v = str(IMAX - rnd.randint(0, 10**6))
        elif r < 0.8:
            v = str(IMIN + rnd.randint(0, 10**6))
        elif r < 0.85:
            v = rnd.choice(["18446744073709551615", "0", "-0", "+7", str(10**25 + 1), str(-10**30 - 7)])
        else:
            v = str(rnd.randint(-2**53 - 5, 2**53 + 5))
        add("int", v)
    for _ in range(3):
        add("int", "n/a")
    for _ in range(6000):
        r = rnd.random()
        if r < 0.5:
            v = repr(rnd.gauss(0, 100))
        elif r < 0.8:
            v = repr(rnd.paretovariate(0.7) * rnd.choice([1, -1]))
        elif r < 0.9:
            v = str(rnd.randint(-1000, 1000))
        else:
            v = rnd.choice(["-1e300", "1e25", "1e-300", "-0.0", "5e-324", "1e-320", "0.0", "9007199254740993",
                            "9007199254740992.0", "1e20", "100000000000000000000"])
        add("float", v)
    for _ in range(3000):
        add("gauss", repr(rnd.gauss(0, 100)) if rnd.random() < 0.99 else "-1e300")
    for _ in range(3000):
        add("neg", repr(-math.exp(rnd.uniform(-50, 50))) if rnd.random() < 0.5 else str(-rnd.randint(1, 10**12)))
    for _ in range(3000):
        add("sentinel", str(rnd.randint(0, 5000)) if rnd.random() < 0.98 else "18446744073709551615")
    for _ in range(2000):
        add("zero", rnd.choice(["0", "-0", "0.0", "-0.0"]))
    rnd.shuffle(rows)
    # in this order on purpose: one worker's part overflows 64 bits, and
    # serial used to turn MAX + 1 - 1 into a float
    rows += [("ovf", str(IMAX))] * 2000 + [("ovf", str(-IMAX))] * 2000 + [("ovf", "5")]
    rows += [("edge", str(IMAX)), ("edge", "1"), ("edge", "-1")]
    rows += [("small", "1e25")] + [("small", "1000")] * 3 + [("one", "-42.5")]
    return rows

QS = [0.5, 0.99, 0.001, 0.01, 0.1, 0.9, 0.5]
AGGS = ["count", "count", "sum($2)", "sum($2)", "avg($2)", "min($2)", "max($2)", "distinct($2)", "p50($2)",
        "p99($2)", "quantile($2,0.001)", "quantile($2,0.01)", "quantile($2,0.1)", "quantile($2,0.9)",
        "p50($2)", "max($2)"]
QUERY = "split | " + ", ".join(AGGS) + " by $1"

def num(t):
    t = t.strip()
    if re.fullmatch(r"[+-]?[0-9]+", t):
        return int(t)
    try:
        f = float(t)
    except ValueError:
        return None
    return f if math.isfinite(f) else None

def qof(label):
    m = re.fullmatch(r"p(\d\d)\(\$2\)", label)
    if m:
        return int(m.group(1)) / 100
    m = re.fullmatch(r"quantile\(\$2,(.*)\)", label)
    return float(m.group(1)) if m else None

failures = []
def fail(what):
    failures.append(what)

oracle = {}
def check_cell(where, label, got, texts):
    key = (id(texts), label)
    if key not in oracle:
        oracle[key] = expect(label, texts)
    want, check = oracle[key]
    if not check(got):
        if isinstance(want, Fraction):
            want = want.numerator if want.denominator == 1 else float(want)
        fail("%s %s = %s, oracle %s" % (where, label, got, want))

def expect(label, texts):
    """The exact answer, and a check of a printed one against it."""
    nums = [n for n in (num(t) for t in texts) if n is not None]
    ints = all(isinstance(n, int) for n in nums)
    if label == "count":
        want = len(texts)
        return want, lambda got: got == str(want)
    elif label.startswith("distinct"):
        want = len(set(texts))
        return want, lambda got: got == str(want)
    elif label.startswith("sum") or label.startswith("avg"):
        want = sum(Fraction(n) for n in nums)
        scale = sum(abs(Fraction(n)) for n in nums)
        if label.startswith("avg"):
            want, scale = want / len(nums), scale / len(nums)
        if ints and label.startswith("sum"):
            return want, lambda got: re.fullmatch(r"-?[0-9]+", got) is not None and int(got) == want
        if ints:
            return want, lambda got: abs(float(got) - float(want)) <= 2 * math.ulp(float(want))
        tol = abs(want) * Fraction(1, 10**12) + scale * Fraction(1, 10**20)
        return want, lambda got: abs(Fraction(float(got)) - want) <= tol
    elif label.startswith("min") or label.startswith("max"):
        want = min(nums) if label.startswith("min") else max(nums)
        return want, lambda got: num(got) is not None and num(got) == want
    s = sorted(float(n) for n in nums)
    want = s[math.floor(qof(label) * (len(s) - 1))]
    return want, lambda got: abs(float(got) - want) <= 0.01 * abs(want)

group_cache = {}
def check_table(where, out, rows):
    # the groups of the forward rows serve every order (the oracle does
    # not depend on it), so their answers are computed once
    key = len(rows)
    if key not in group_cache:
        g = {}
        for k, v in rows:
            g.setdefault(k, []).append(v)
        group_cache[key] = g
    groups = group_cache[key]
    lines = out.split("\n")
    if lines[-1] == "":
        lines.pop()
    head = lines[0].split("\t")
    if head != ["$1"] + AGGS:
        fail("%s: header %r" % (where, head))
        return
    seen = set()
    for line in lines[1:]:
        cells = line.split("\t")
        k = cells[0]
        seen.add(k)
        if k not in groups:
            fail("%s: unknown group %r" % (where, k))
            continue
        for label, got in zip(AGGS, cells[1:]):
            check_cell(where + " " + k, label, got, groups[k])
    if seen != set(groups):
        fail("%s: groups %s, want %s" % (where, sorted(seen), sorted(groups)))

def run(args, files=None, stdin=None):
    p = subprocess.run([R] + args + (files or []), input=stdin, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr

rows = gen()
fwd, rev = os.path.join(T, "fwd"), os.path.join(T, "rev")
for path, rs in ((fwd, rows), (rev, rows[::-1])):
    with open(path, "w") as f:
        f.writelines("%s %s\n" % r for r in rs)
parts = []
for i in range(4):
    parts.append(os.path.join(T, "part%d" % i))
    with open(parts[-1], "w") as f:
        f.writelines("%s %s\n" % r for r in rows[i * len(rows) // 4:(i + 1) * len(rows) // 4])

cpu = open("/proc/cpuinfo").read().split()
simd = ["scalar", "sse2"] + [s for s, flag in (("avx2", "avx2"), ("avx512", "avx512bw")) if flag in cpu]
modes = [["--mode=serial", "--io=" + io] for io in ("mmap", "read", "uring")]
modes += [["--mode=parallel", "--threads=%d" % n, "--simd=" + s] for n, s in [(2, s) for s in simd[2:]] + [(3, "scalar"), (2, "sse2")]]
modes += [["--mode=pipeline", "--queue-depth=2"], ["--mode=async"]]
modes += [["--mode=multiprocess", "--threads=%d" % n] for n in (2, 3, 5)]

skip_note = "sum($2): 3 values missing or not numbers, skipped"
for order, path, rs in (("forward", fwd, rows), ("reversed", rev, rows[::-1])):
    for m in modes:
        where = "%s %s" % (order, " ".join(m))
        st, out, err = run(["--format=tsv"] + m + [QUERY], [path])
        if st != 0 or skip_note not in err:
            fail("%s: exit %d, stderr %r" % (where, st, err[:300]))
        check_table(where, out, rs)
        # count alone takes the path that counts newlines without rows
        st, out, err = run(m + ["count, count, count"], [path])
        if out.split() != ["count"] * 3 + [str(len(rs))] * 3:
            fail("%s: count, count, count gave %r" % (where, out))
        st, out, err = run(m + ["grep 1 | count, count"], [path])
        n1 = sum(1 for k, v in rs if "1" in k + " " + v)
        if out.split() != ["count", "count", str(n1), str(n1)]:
            fail("%s: grep 1 | count, count gave %r, want %d" % (where, out, n1))
    st, out, err = run(["--format=tsv", QUERY], stdin="".join("%s %s\n" % r for r in rs))
    check_table(order + " stdin", out, rs)
for m in (["--mode=multiprocess", "--threads=3"], ["--mode=async"], ["--mode=parallel", "--threads=2"],
          ["--mode=serial"]):
    where = "4 files " + " ".join(m)
    st, out, err = run(["--format=tsv"] + m + [QUERY], parts)
    check_table(where, out, rows)

# the multiprocess runs above really split the file between workers
st, out, err = run(["--stats", "--mode=multiprocess", "--threads=3", "count"], [fwd])
if "multiprocess, 3 threads" not in err:
    fail("multiprocess did not run: %r" % err[:300])

# JSON: an exact sum past 64 bits is a JSON number, read back exactly
st, out, err = run(["--format=json", "--mode=multiprocess", "--threads=2", "split | sum($2), min($2), max($2) by $1"],
                   [fwd])
for line in out.splitlines():
    o = json.loads(line)
    texts = [v for k, v in rows if k == o["$1"]]
    nums = [n for n in (num(t) for t in texts) if n is not None]
    if all(isinstance(n, int) for n in nums) and o["sum($2)"] != sum(nums):
        fail("json: group %s sum %r, oracle %d" % (o["$1"], o["sum($2)"], sum(nums)))
    if o["min($2)"] != min(nums) or o["max($2)"] != max(nums):
        fail("json: group %s min/max %r %r" % (o["$1"], o["min($2)"], o["max($2)"]))

# numbers past the double range rank below and above all others: a quantile
# that lands on one prints inf, and the notes say that one left the bound
inf_rows = [("x", "1e400")] * 30 + [("x", "-1e999")] * 20 + [("x", str(i)) for i in range(1, 201)]
rnd.shuffle(inf_rows)
path = os.path.join(T, "inf")
with open(path, "w") as f:
    f.writelines("%s %s\n" % r for r in inf_rows)
labels = ["p50($2)", "quantile($2,0.05)", "quantile($2,0.95)", "p99($2)", "quantile($2,0.9)"]
s = sorted(float(v) for k, v in inf_rows)
for m in modes:
    where = "infinities " + " ".join(m)
    st, out, err = run(["--format=tsv"] + m + ["split | " + ", ".join(labels) + " by $1"], [path])
    got = out.splitlines()[-1].split("\t")[1:]
    for label, g in zip(labels, got):
        want = s[math.floor(qof(label) * (len(s) - 1))]
        said = (label + ": in 1 group the value at this rank is past the double range") in err
        if (g != str(want) if math.isinf(want) else abs(float(g) - want) > 0.01 * abs(want)) or said != math.isinf(want):
            fail("%s: %s = %s, oracle %s, note %r" % (where, label, g, want, err))

for f in failures[:30]:
    print("FAIL:", f)
print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
EOF

python3 "$T/agg.py" "$T"
check_status "aggregates against the Python oracle" $? 0

# the reported cases, verbatim, in both orders and every mode
printf '1e25\n1000\n1000\n1000\n' > "$T/a"
printf '1000\n1000\n1000\n1e25\n' > "$T/b"
for mode in serial parallel pipeline multiprocess async; do
	for f in a b; do
		check_eq "p50 of 1e25 and three 1000s ($f, $mode)" \
			"$("$RINGFLOW" --mode=$mode 'split | p50($1)' "$T/$f")" 1000
	done
	printf '1\n2\n3\n' > "$T/c"
	check_eq "count, count ($mode)" "$("$RINGFLOW" --mode=$mode count,count "$T/c" | awk 'NR == 2 { print $1, $2 }')" "3 3"
done
check_eq "p50 from a pipe" "$(printf '1e25\n1000\n1000\n1000\n' | "$RINGFLOW" 'split | p50($1)')" 1000
check_eq "MAX + 1 - 1" "$(printf '9223372036854775807\n1\n-1\n' | "$RINGFLOW" 'split | sum($1)')" \
	"$(python3 -c 'print(2**63 - 1 + 1 - 1)')"
# numbers past 2^53 whose doubles tie: 2^64 - 1, 2^64 + 1 and 2^64.0 are
# one double, but three values.  Sorting by a sum, `top`, and a key column
# of long integers order them exactly, whatever order the rows came in
# (Python compares int and float exactly: the oracle).
cat > "$T/big.py" <<'EOF'
import random, subprocess, sys
from decimal import Decimal
rf, T = sys.argv[1], sys.argv[2]
r = random.Random(7)
vals = {}
for i in range(40):
    base = 2 ** r.choice([53, 63, 64, 70, 100])
    if r.random() < 0.3:
        vals["f%d" % i] = repr(float(base + r.randint(-3000, 3000)))
    else:
        vals["g%d" % i] = str(base + r.randint(-3000, 3000) if r.random() < 0.9 else -base)
exact = {k: (float(v) if ("e" in v or "." in v) else int(v)) for k, v in vals.items()}
names = sorted(vals)
want = sorted(names, key=lambda k: (exact[k], k))
wantd = sorted(names, key=lambda k: (-exact[k], k))
keys = [str(2 ** 66 + r.randint(-50, 50)) for _ in range(15)] + ["1e20", "100000000000000000000",
        "99999999999999999999", "-99999999999999999999", "-100000000000000000000"]
keys = sorted(set(keys))
wantk = sorted(keys, key=lambda t: (Decimal(t), t.encode()))
bad = 0
for trial in range(3):
    lines = ["%s\t%s" % (k, vals[k]) for k in names]
    r.shuffle(lines)
    open(T + "/big.tsv", "w").write("\n".join(lines) + "\n")
    kl = keys[:]
    r.shuffle(kl)
    open(T + "/keys", "w").write("\n".join(kl) + "\n")
    for mode in ("serial", "parallel", "pipeline", "multiprocess", "async"):
        def col(q, f):
            out = subprocess.run([rf, "--mode=" + mode, "--format=tsv", q, T + "/" + f],
                                 capture_output=True, text=True).stdout.splitlines()[1:]
            return [l.split("\t")[0] for l in out]
        for q, w in (('split "\\t" | sum($2) by $1 | sort sum($2)', want),
                     ('split "\\t" | sum($2) by $1 | sort sum($2) desc', wantd),
                     ('split "\\t" | sum($2) by $1 | top 12', wantd[:12]),
                     ('split | count by $1', wantk)):
            got = col(q, "keys" if "count" in q else "big.tsv")
            if got != w:
                bad += 1
                print("FAIL: %s, %s, trial %d: %s, want %s" % (q, mode, trial, got[:6], w[:6]))
print(bad)
EOF
check_eq "numbers past 2^53 in exact order" "$(python3 "$T/big.py" "$RINGFLOW" "$T" | tail -1)" 0
finish
