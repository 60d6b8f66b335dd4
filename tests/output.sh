#!/bin/sh
# SPDX-License-Identifier: MIT
# output.sh - result rows in every output format, checked by Python's json
# and csv modules and by hand-written expectations: JSON is always valid
# (invalid UTF-8 and encoded surrogates become U+FFFD, as Python's
# errors='replace' decodes them; control characters are escaped; numbers are
# numbers), CSV is RFC 4180 with "" for an empty string and nothing for a
# missing value, TSV escapes tab, newline, CR and backslash, and the table
# shows control bytes escaped (nothing in it can drive a terminal) and a
# missing value as \N.  Sorting with missing values, numbers and text is the
# same in every mode and input order.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 > /dev/null || { echo "skip: python3 not installed"; exit 77; }

rf() { "$RINGFLOW" "$@"; }

py_checks <<'PY'
import collections, csv, io, json, math, random, re, sys
from rftest import MODES, check, run, json_value, expect, table_layout, summary, setup

T, RF = setup(sys.argv)

# ---- input: tab-separated fields of untidy bytes ----------------------------
PIECES = [b"a", b"Z", b"0", b"-", b"\\", b'"', b",", b"'", b" ", b"x y",
          b"\x1b[31m", b"\x1b]0;pwned\x07", b"\x1b[2J", b"\r", b"\x00", b"\x7f", b"\x08", b"\x0b",
          b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80",              # valid UTF-8
          b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xed\xa0\xbd\xed\xb8\x80",   # encoded surrogates (CESU)
          b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf4\x90\x80\x80", b"\xf5", b"\xff", b"\xfe",
          b"\x80", b"\xbf", b"\xe2\x82", b"\xf0\x9f\x98", b"\xc3",         # overlong, too big, stray, cut off
          b"\xc2\x9b", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xae", b"\xef\xbb\xbf",
          b"\\N", b"\\x1b", b"null", b"123", b"-7", b"1e5", b"1e999", b"007", b"0x1f",
          b"NaN", b"inf", b"3.25", b"99999999999999999999999", b"-0", b"1.5e308"]

rng = random.Random(20261130)
def field():
    f = b"".join(rng.choice(PIECES) for _ in range(rng.choice([0, 1, 1, 1, 2, 3])))
    return f + b"." if f.endswith(b"\r") else f   # a CR before the newline is the line's end

rows = []
for _ in range(3000):
    n = rng.choice([1, 2, 3, 3, 3])
    rows.append([field() for _ in range(n)])
with open(T + "/soup", "wb") as f:
    for r in rows:
        f.write(b"\t".join(r) + b"\n")
def cell(r, i):
    return r[i] if i < len(r) else None

def strict_json(line):
    def refuse(c):
        raise ValueError("not JSON: " + c)
    return json.loads(line, parse_constant=refuse)

def parse_json_lines(out, what):
    try:
        text = out.decode("utf-8")      # strict: the output is valid UTF-8
        return [strict_json(l) for l in text.split("\n")[:-1]]
    except ValueError as e:
        check(False, "%s: invalid JSON: %s" % (what, e))
        return None

def same_kind(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b and isinstance(a, int) == isinstance(b, int)
    return a == b

# Nothing a terminal acts on: C0 but the newlines, DEL, C1, U+2028/9, bidi.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")
def terminal_safe(out, what):
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError as e:
        check(False, "%s: table output is not UTF-8: %s" % (what, e))
        return
    m = UNSAFE.search(text)
    check(m is None, "%s: table output holds %r" % (what, m and m.group(0)))

# ---- select: every format, every mode -----------------------------------------
for mode in MODES:
    what = "select, %s" % mode
    q = 'split "\\t" | select $1, $2, $3'
    HEADER = [b"$1", b"$2", b"$3"]
    st, out, _ = run(["--mode=" + mode, "--format=json", q, T + "/soup"])
    check(st == 0, what + ": json exit status %d" % st)
    objs = parse_json_lines(out, what + " json")
    if objs is not None:
        check(len(objs) == len(rows), what + ": json rows %d, want %d" % (len(objs), len(rows)))
        bad = [(i, o) for i, (o, r) in enumerate(zip(objs, rows))
               if list(o) != ["$1", "$2", "$3"] or
               not all(same_kind(o["$%d" % (k + 1)], json_value(cell(r, k))) for k in range(3))]
        check(not bad, what + ": json values, first wrong row %r" % (bad[:1],))

    st, out, _ = run(["--mode=" + mode, "--format=csv", q, T + "/soup"])
    want = expect("csv", HEADER, [[cell(r, k) for k in range(3)] for r in rows], [False] * 3, True)
    check(out == want, what + ": csv differs from RFC 4180 with \"\" for empty")
    got = list(csv.reader(io.StringIO(out.decode("latin-1"), newline="")))
    check(got[1:] == [[(cell(r, k) or b"").decode("latin-1") for k in range(3)] for r in rows],
          what + ": csv read back by Python's csv module differs")

    st, out, _ = run(["--mode=" + mode, "--format=tsv", q, T + "/soup"])
    check(out == expect("tsv", HEADER, [[cell(r, k) for k in range(3)] for r in rows], [False] * 3, True),
          what + ": tsv differs from tab, newline, CR and backslash escaped")

    st, out, _ = run(["--mode=" + mode, q, T + "/soup"])
    terminal_safe(out, what + " table")
    st, out, _ = run(["--mode=" + mode, 'split "\\t" | select $3', T + "/soup"])
    terminal_safe(out, what + " table, one column")
    check(out == table_layout([b"$3"], [[cell(r, 2)] for r in rows], [False], True),
          what + ": the table differs from tests/rftest.py's model of its escapes")

# ---- group keys: count by, every mode ----------------------------------------
keys = collections.Counter(cell(r, 0) for r in rows)
want = collections.Counter()
for k, n in keys.items():
    want[(json.dumps(json_value(k)), n)] += 1
for mode in MODES:
    what = "count by $1, %s" % mode
    st, out, _ = run(["--mode=" + mode, "--format=json", 'split "\\t" | count by $1', T + "/soup"])
    objs = parse_json_lines(out, what)
    if objs is not None:
        got = collections.Counter((json.dumps(o["$1"]), o["count"]) for o in objs)
        check(got == want, what + ": keys and counts differ from Python's")
    st, out, _ = run(["--mode=" + mode, 'split "\\t" | count by $1, $2', T + "/soup"])
    terminal_safe(out, what + " table")

# ---- numbers in JSON: by JSON's grammar, within a double's range ---------------
NUMS = [b"0", b"-0", b"200", b"-7", b"3.25", b"1e5", b"1E+2", b"2.5e-3", b"1e-400", b"1e999", b"-1e999",
        b"007", b"0x1f", b"1.", b".5", b"+1", b" 1", b"1 ", b"NaN", b"inf", b"-inf", b"Infinity",
        b"12345678901234567890123", b"1.5e308", b"2e308", b"-", b"", b"0.0e0", b"1e", b"--1", b"1_000"]
with open(T + "/nums", "wb") as f:
    f.write(b"".join(b"k\t" + n + b"\n" for n in NUMS))
st, out, _ = run(["--format=json", 'split "\\t" | select $2', T + "/nums"])
objs = parse_json_lines(out, "numbers")
if objs is not None:
    for o, n in zip(objs, NUMS):
        check(same_kind(o["$2"], json_value(n)), "json: %r printed as %r" % (n, o["$2"]))
with open(T + "/big", "wb") as f:
    f.write(b"1e308\n1e308\n-5\n")
st, out, _ = run(["--format=json", "split | sum($1), max($1), min($1), avg($1)", T + "/big"])
objs = parse_json_lines(out, "inf sum")
check(objs == [{"sum($1)": "inf", "max($1)": 1e308, "min($1)": -5, "avg($1)": "inf"}],
      "json: an infinite sum is the string \"inf\", not a bare inf: %r" % (objs,))

summary()
PY

# ---- missing, empty, "-" and "\N" are four different things ------------------
printf -- '-\t\\N\tx\nmissing\n\t\t\n' > "$T/nulls"
rf 'split "\t" | select $1, $2, $3' "$T/nulls" > "$T/got"
# (select streams: the header is as wide as the first rows, then the
# columns widen as wider rows come)
printf '%s\n' '$1       $2   $3' '-        \\N  x' 'missing  \N   \N' '              ' > "$T/want"
check_same "table: missing is \\N, a literal \\N is \\\\N, empty is blank" "$T/got" "$T/want"
rf --format=csv 'split "\t" | select $1, $2, $3' "$T/nulls" > "$T/got"
printf '%s\n' '$1,$2,$3' '-,\N,x' 'missing,,' '"","",""' > "$T/want"
check_same "csv: missing is empty, an empty string is \"\"" "$T/got" "$T/want"
rf --format=tsv 'split "\t" | select $1, $2, $3' "$T/nulls" > "$T/got"
printf '%s\n' '$1	$2	$3' '-	\\N	x' 'missing		' '		' > "$T/want"
check_same "tsv: missing and empty are both empty" "$T/got" "$T/want"
rf --format=json 'split "\t" | select $1, $2, $3' "$T/nulls" > "$T/got"
printf '%s\n' '{"$1":"-","$2":"\\N","$3":"x"}' '{"$1":"missing","$2":null,"$3":null}' \
	'{"$1":"","$2":"","$3":""}' > "$T/want"
check_same "json: missing is null" "$T/got" "$T/want"
check_eq "a lone value is shown escaped" "$(printf '\033[2J\n' | rf 'split | count by $1 | select $1')" '\x1b[2J'
check_eq "a lone missing value is an empty line" "$(printf 'a\n' | rf 'split | avg($2)')" ""

# ---- sort order: missing, numbers by value, then text by bytes; every mode ----
# "k\t" has an empty $2, "k" none
printf 'k\t%s\n' 9 10 1a -3 2.5 abc - '' 5 05 5.0 1e2 Z 10 > "$T/keys"
echo "k" >> "$T/keys"
tac "$T/keys" > "$T/keys.rev"
sed -n '1~2p' "$T/keys" > "$T/keys.odd"
sed -n '2~2p' "$T/keys" > "$T/keys.even"
printf '%s\n' '\N' '-3' '2.5' '05' '5' '5.0' '9' '10' '1e2' '' '-' '1a' 'Z' 'abc' > "$T/want"
for mode in serial parallel pipeline multiprocess async; do
	for files in "$T/keys" "$T/keys.rev" "$T/keys.odd $T/keys.even" "$T/keys.even $T/keys.odd"; do
		# shellcheck disable=SC2086
		rf --mode=$mode 'split "\t" | count by $2' $files | tail -n +2 | sed 's/ *[0-9]*$//' > "$T/got"
		check_same "count by: order ($mode, $files)" "$T/got" "$T/want"
	done
done
# top: largest first, missing last, ties by key
printf '%s\n' 'a 5' 'b x' 'c 7' 'd 5' 'e' 'f 7' 'g -1' > "$T/top"
check_eq "top with missing values" "$(rf --format=csv 'split | max($2) by $1 | top 6' "$T/top" | tr '\n' ' ')" \
	'$1,max($2) c,7 f,7 a,5 d,5 g,-1 b, '

finish
