#!/bin/sh
# SPDX-License-Identifier: MIT
# exactorder.sh - sort and top order numbers by their exact values
# wherever their doubles tie: text with a fraction against an integer
# (9223372036854775807 and 9223372036854775806.5 are both 2^63 as
# doubles), equal integer parts with other fractions, 2^53 +- 1, the int64
# limits, integers past 64 and 128 bits, text past the double range
# (1e400 < 2e400) and below it (1e-400 > 0), and long fractions at any
# magnitude (-9007199254740991.0000000000000000000001 <
# -9007199254740990.75, 0.1 < 0.10000000000000000001, texts of 100
# digits).  Keys sort in their total order (equal values by their
# bytes), aggregate columns by value with ties left to the key.  Python's
# exact Fraction/Decimal and its exact int/float comparison are the
# oracle; every mode, every output format, the rows shuffled.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || { echo "skip: python3 not installed"; exit 77; }

py_checks <<'PY'
import csv, io, json, random, re, sys
from decimal import Decimal
from fractions import Fraction
from rftest import MODES, FORMATS, check, run, summary, setup

T, RF = setup(sys.argv)
r = random.Random(13)

# numbers near where doubles stop holding every integer, and beyond
texts = set()
for base in (2 ** 53, 2 ** 63, 2 ** 64, 2 ** 70, 10 ** 20, 2 ** 127, 2 ** 130):
    for sign in (1, -1):
        for off in (-2, -1, 0, 1, 2):
            n = sign * (base + off)
            texts.add(str(n))
            for frac in ("5", "25", "75", "0", "0000000000000000000001", "999999"):
                # n.frac: the fraction away from zero, as the text says
                texts.add("%s.%s" % (n, frac))
        texts.add(repr(float(sign * base)))
texts |= {str(2 ** 63 - 1), str(-2 ** 63), str(-2 ** 63 + 1), "9223372036854775806.5",
          "-9223372036854775807.5", "9.223372036854775807e18", "92233720368547758065e-1",
          "1e400", "2e400", "-1e400", "-2e400", "1.5e400", "0", "-1.5", "2.5", "1e30", "-1e30"}
# below 2^53: long fractions whose doubles tie with their neighbours'
for base in (2 ** 52, 10 ** 15, 10 ** 6, 1):
    for sign in (1, -1):
        for off in (-1, 0, 1):
            n = sign * (base + off)
            texts.add(str(n))
            for frac in ("5", "75", "0000000000000000000001", "9999999999999999999999", "25000000000000000001"):
                texts.add("%s.%s" % (n, frac))
for sign in ("", "-"):
    texts |= {sign + t for t in (
        "0.1", "0.10000000000000000001", "0.09999999999999999999", "1e-1", "1000000000000000000000e-22",
        "0.3", "0.30000000000000000001", "0.29999999999999998889776975374843", "0.2999999999999999888977697537484345957636",
        "0.2999999999999999888977697537484345957637", "1e-400", "2e-400", "5e-324", "4.9406564584124654e-324",
        "2.4703282292062328e-324", "1.0000000000000000000001", "0.99999999999999999999", "0.0",
        "0." + "1" * 100, "0." + "1" * 99 + "2", "1" * 80 + "." + "5" * 40, "1" * 80 + "." + "5" * 39 + "6",
        "9007199254740993.000000000000000000000000000000000000000000000000000000000000000000000000000001")}
texts |= {"%d.5" % -2 ** 127, "%d.5" % (2 ** 127 - 1), "%d.5" % (-2 ** 127 + 1)}
texts = sorted(texts)
exact = {t: Fraction(Decimal(t)) for t in texts}

def cell(t):
    """What sum() or max() of the one value t holds: an integer exactly
    (up to 128 bits), anything else as the nearest double."""
    if "." not in t and "e" not in t and -2 ** 127 <= int(t) < 2 ** 127:
        return int(t)
    return float(t)

def first_col(fmt, out):
    lines = out.splitlines()
    if fmt == "json":
        return [str(json.loads(l, parse_int=str, parse_float=str)["$1"]) for l in lines]
    if fmt == "csv":
        return [row[0] for row in csv.reader(io.StringIO(out))][1:]
    if fmt == "tsv":
        return [l.split("\t")[0] for l in lines[1:]]
    return [l.split()[0] for l in lines[1:]]

def value(t):
    """The order of numbers: by their exact values (README), which agrees
    with their doubles wherever those differ."""
    return exact[t]

# keys: the total order, equal values by bytes
asc = sorted(texts, key=lambda t: (value(t), t.encode()))
# values: one per key k<i>, ties by the key
names = {t: "k%03d" % i for i, t in enumerate(texts)}
vasc = [names[t] for t in sorted(texts, key=lambda t: (cell(t), names[t]))]
vdesc = [names[t] for t in sorted(texts, key=lambda t: (-cell(t), names[t]))]
queries = (
    ("split | count by $1", "keys", asc),
    ("split | count by $1 | sort $1", "keys", asc),
    ("split | count by $1 | sort $1 desc", "keys", asc[::-1]),
    ("split | count by $1 | top 25 by $1", "keys", asc[::-1][:25]),
    ("split | sum($2) by $1 | sort sum($2)", "vals", vasc),
    ("split | max($2) by $1 | sort max($2) desc", "vals", vdesc),
    ("split | max($2) by $1 | top 30", "vals", vdesc[:30]),
)
for trial in range(2):
    k = texts[:]
    r.shuffle(k)
    open(T + "/keys", "w").write("\n".join(k) + "\n")
    open(T + "/vals", "w").write("".join("%s %s\n" % (names[t], t) for t in k))
    for mode in MODES:
        for fmt in FORMATS:
            for q, f, want in queries:
                st, out, err = run(["--mode=" + mode, "--format=" + fmt, q, T + "/" + f])
                got = first_col(fmt, out.decode()) if st == 0 else err
                bad = [i for i in range(min(len(got), len(want))) if got[i] != want[i]]
                check(got == want, "%s, --mode=%s --format=%s, trial %d: first difference at row %s: got %s, want %s"
                      % (q, mode, fmt, trial, bad[:1], [got[i] for i in bad[:3]], [want[i] for i in bad[:3]]))

# min and max compare integers and fractions exactly too (integer parts up
# to 128 bits); of equal values the integer form wins, a fraction prints
# as its double.  Groups of values near one power, merged across threads
# and processes.
def int_literal(t):
    return "." not in t and "e" not in t and -2 ** 127 <= int(t) < 2 ** 127

def printed(vals):
    """What min or max of vals prints, as (digits or None, double)."""
    top = [t for t in vals if exact[t] == exact[vals[0]]]
    ints = [t for t in top if int_literal(t)]
    return (str(int(ints[0])), None) if ints else (None, float(top[0]))

near = {}
for t in texts:
    near.setdefault(len(t.split(".")[0].split("e")[0].lstrip("-")), []).append(t)
pools = [v for v in near.values() if len(v) > 3]
groups = {}
for g in range(1500):
    pool = r.choice(pools)
    groups["g%04d" % g] = [r.choice(pool) for _ in range(r.randint(1, 8))]
# at the 128-bit edge: past it a number is no longer exact, and its
# double may tie with one within (-2^127 - 0.5 and -2^127)
edge = [str(-2 ** 127), "%d.5" % -2 ** 127, str(-2 ** 127 - 1), str(2 ** 127 - 1), "%d.5" % (2 ** 127 - 1),
        str(2 ** 127), "%d.5" % 2 ** 127, str(-2 ** 127 + 1), "%d.5" % (-2 ** 127 + 1)]
for i, a in enumerate(edge):
    for j, b in enumerate(edge):
        if i != j:
            groups["e%02d%02d" % (i, j)] = [a, b]
lines = ["%s %s" % (g, t) for g, vs in groups.items() for t in vs]
r.shuffle(lines)
open(T + "/mm", "w").write("\n".join(lines) + "\n")
want = {}
for g, vs in groups.items():
    lo = sorted(vs, key=lambda t: exact[t])
    want[g] = (printed(lo), printed(lo[::-1]))
for mode in MODES:
    st, out, err = run(["--mode=" + mode, "--format=tsv", "split | min($2), max($2) by $1", T + "/mm"])
    rows = [l.split("\t") for l in out.decode().splitlines()[1:]] if st == 0 else []
    bad = []
    for row in rows:
        for got, (digits, dbl) in zip(row[1:], want.get(row[0], ((None, None), (None, None)))):
            # a double may print as digits below 10^16 (README): then
            # they are its exact value
            ok = got == digits if digits else (float(got) == dbl and
                                               (not re.fullmatch(r"-?[0-9]+", got) or
                                                (int(got) == dbl and abs(dbl) < 1e16)))
            if not ok:
                bad.append((row[0], got, digits or dbl, groups.get(row[0])))
    check(len(rows) == len(groups) and not bad, "min, max by $1, --mode=%s: %d rows, want %d; wrong: %s"
          % (mode, len(rows), len(groups), bad[:3]))

summary()
PY
# where: numbers compare exactly too, also where their doubles tie
# (where $1 > 9007199254740992 kept 9007199254740992.5 out); Python's
# Fraction of the decimal text is the oracle, for every operator.
printf '%s\n' 9007199254740992 9007199254740992.5 9007199254740993 9007199254740991.9999999999 \
	-9007199254740992.5 -9007199254740993 9223372036854775807 9223372036854775806.5 9223372036854775808 \
	0.1 0.10000000000000000001 0.09999999999999999999 1 1.0 1.00e0 1e400 2e400 -1e-400 0 > "$T/wvals"
for thr in 9007199254740992 9223372036854775807 0.1 1 1e400 -9007199254740992.5; do
	for op in '>' '<' '==' '>=' '<=' '!='; do
		python3 - "$T/wvals" "$thr" "$op" > "$T/wwant" << 'EOF'
import sys, operator
from decimal import Decimal
from fractions import Fraction
ops = {'>': operator.gt, '<': operator.lt, '==': operator.eq, '>=': operator.ge, '<=': operator.le, '!=': operator.ne}
t = Fraction(Decimal(sys.argv[2]))
for v in open(sys.argv[1]).read().split():
    if ops[sys.argv[3]](Fraction(Decimal(v)), t):
        print(v)
EOF
		for mode in serial parallel; do
			"$RINGFLOW" --mode=$mode "split | where \$1 $op $thr" "$T/wvals" > "$T/wgot" 2> "$T/err"
			check_same "where \$1 $op $thr, $mode" "$T/wgot" "$T/wwant"
		done
	done
done

finish
