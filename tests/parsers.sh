#!/bin/sh
# SPDX-License-Identifier: MIT
# parsers.sh - the record parsers against independent readers of the same
# bytes: Python's json and csv modules (random documents and files, fixed
# seeds), awk for combined logs cut off at every byte, and hand-worked
# values for the rest.  Each class runs in every execution mode.
. "${SRCDIR:-.}/tests/lib.sh"
MODES="serial parallel pipeline multiprocess async"
command -v python3 > /dev/null || { echo "SKIP: python3 (the oracle) is not installed"; exit 77; }

rf() { "$RINGFLOW" "$@"; }

# ---- json: every mix of an object and paths under it -------------------------
# Random objects over the keys a, b, c (so keys repeat and paths collide),
# written out by hand so the text can hold repeated keys, escaped keys,
# odd whitespace, empty keys and arrays of objects.  The oracle is json.loads: the
# value at a.b.c is d["a"]["b"]["c"] (the last of repeated keys), a
# string as text, anything else as its JSON text; a path through an
# array or a scalar is missing.
cat > "$T/json_gen.py" <<'X'
import json, random, sys
rnd = random.Random(int(sys.argv[1]))
KEYS = ["a", "b", "c", "a", "b", "c", ""]
def key(k):
    # sometimes escaped: \u0061 is a
    return '"%s"' % ("".join("\\u%04x" % ord(ch) for ch in k) if rnd.random() < 0.2 else k)
def ws():
    return rnd.choice(["", "", " ", "\t", "  "])
def scalar():
    r = rnd.random()
    if r < 0.25:
        return rnd.choice(["0", "-0", "7", "-12", "18446744073709551615", "-9223372036854775808",
                           "1" + "0" * 80, "3.25", "-1e300", "2E+5", "1.5e-7", "0.000"])
    if r < 0.6:
        s = rnd.choice(["x", "", "a b", "q\"uote", "back\\slash", "tab\tnl\n", "caf\u00e9",
                        "\U0001f600", "[not]", "{\"a\":1}", "a.b"])
        return json.dumps(s, ensure_ascii=rnd.random() < 0.5)
    return rnd.choice(["true", "false", "null"])
def value(depth):
    r = rnd.random()
    if depth < 4 and r < 0.45:
        return obj(depth + 1)
    if depth < 4 and r < 0.55:
        return "[" + ",".join(ws() + value(depth + 1) + ws() for _ in range(rnd.randint(0, 3))) + "]"
    return scalar()
def obj(depth):
    n = rnd.randint(0, 4)
    return "{" + ws() + ",".join(key(rnd.choice(KEYS)) + ws() + ":" + ws() + value(depth) + ws()
                            for _ in range(n)) + "}"
for _ in range(int(sys.argv[2])):
    print(obj(0))
X
cat > "$T/json_check.py" <<'X'
import json, sys
fields = sys.argv[3].split(",")
def at(d, path):
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d
bad = 0
with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], encoding="utf-8") as got:
    for n, (line, out) in enumerate(zip(src, got), 1):
        d, o = json.loads(line), json.loads(out, parse_int=str, parse_float=str)  # numbers as their text
        for f in fields:
            want, have = at(d, f), o.get(f)
            if have is not None and not isinstance(want, str) and isinstance(have, str):
                have = json.loads(have)  # numbers, objects, arrays come as their text
            if want != have or type(want) != type(have) and not (
                    isinstance(want, (int, float)) and isinstance(have, (int, float))):
                bad += 1
                if bad <= 5:
                    print("line %d %s: want %r, got %r" % (n, f, want, have))
print("%d wrong" % bad)
X
fields=a,b,c,a.a,a.b,a.c,b.a,b.b,b.c,c.a,c.b,c.c,a.a.a,a.b.c,a.c.b,b.a.c,c.c.c,a.b.c.a,b.b.b.b,c.a.b.c,.a,a..b,.,a.
# the names quoted, for those with empty parts ("" is a key too)
sel=$(echo "$fields" | sed 's/[^,]*/"&"/g')
python3 "$T/json_gen.py" 11 3000 > "$T/docs.json"
# the oracle checks serial's rows; every other mode must print the same
rf --mode=serial --format=json "parse json | select $sel" "$T/docs.json" > "$T/want" 2> "$T/err"
check_status "json paths serial" $? 0
check_eq "json paths serial: one row per object" "$(wc -l < "$T/want")" 3000
check_eq "json paths serial: every field as json.loads has it" \
	"$(python3 "$T/json_check.py" "$T/docs.json" "$T/want" "$fields" | tail -1)" "0 wrong"
for mode in $MODES; do
	rf --mode=$mode --format=json "parse json | select $sel" "$T/docs.json" > "$T/got" 2> "$T/err"
	check_same "json paths $mode: as serial" "$T/got" "$T/want"
done
# the issue's own case, by hand
check_eq "json: an object and a path under it" \
	"$(echo '{"a":{"b":{"c":5}}}' | rf --format=tsv 'parse json | select a, a.b.c, a.b' | tail -1)" \
	"$(printf '{"b":{"c":5}}\t5\t{"c":5}')"
check_eq "json: a repeated key replaces all of the first" \
	"$(echo '{"a":{"b":1},"a":{"c":2}}' | rf --format=json 'parse json | select a.b, a.c')" '{"a.b":null,"a.c":2}'

# What Python's json refuses is rejected; what it reads is read.
printf '%s\n' '{"n":01}' '{"n":+1}' '{"n":.5}' '{"n":1.}' '{"n":1e}' '{"n":-}' '{"n":0x1}' '{"n":1,}' \
	'{"n":tru}' "{'n':1}" '{"n":"a\qb"}' '{"n" 1}' > "$T/badjson"
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    try:
        json.loads(line)
        print("python3 reads %s: not a bad case" % line.strip())
    except ValueError:
        pass
' "$T/badjson" > "$T/py"
check_eq "json: python3 refuses every bad case" "$(cat "$T/py")" ""
# every record rejected: no result, exit status 2 (tty_output.sh)
rf 'parse json | count' "$T/badjson" > "$T/got" 2> "$T/err"
check_eq "json: what json.loads refuses is rejected" "$?:$(cat "$T/got")" 2:
check_grep "json: rejects counted" "$T/err" "12 records could not be parsed as json"
big=$(awk 'BEGIN { for (i = 0; i < 300; i++) printf "9"; }')
printf '{"n":%s,"m":-%s.5e-3,"k":NaN,"j":-Infinity}\n' "$big" "$big" > "$T/bignum"
check_eq "json: a 300-digit number is a number (python reads it)" \
	"$(rf 'parse json | count' "$T/bignum" 2> /dev/null)" 1

# logfmt quoted values use JSON's escapes: a bad one makes the record bad
# whatever the query selects (it was read only when its key was wanted)
printf 'a=1 msg="x\\qy"\na=2 msg="ok \\"q\\""\n' > "$T/esc.logfmt"
check_eq "logfmt: a bad escape rejects the record, msg not selected" \
	"$(rf 'parse logfmt | sum(a)' "$T/esc.logfmt" 2> /dev/null)" 2
check_eq "logfmt: a bad escape rejects the record, msg selected" \
	"$(rf --format=tsv 'parse logfmt | sum(a) by msg' "$T/esc.logfmt" 2> /dev/null | tail -1)" "$(printf 'ok "q"\t2')"

# ---- csv, tsv: as Python's csv module reads them ---------------------------------
# Random files: bare quotes inside unquoted fields, quoted fields with ""
# and separators inside, text after a closing quote, empty fields, rows
# shorter and longer than the header, a repeated header name, blank lines,
# CRLF and a byte order mark.  The oracle is csv.DictReader (restval None)
# over the file opened as utf-8-sig, and csv.reader's row for $N.
cat > "$T/csv_gen.py" <<'X'
import random, sys
rnd = random.Random(int(sys.argv[1]))
sep = sys.argv[2]
def field():
    r = rnd.random()
    if r < 0.3:
        return rnd.choice(["", "x", "12", "-7", "a b", 'say "hi"', 'x"', '"'[:0] + 'in"side', "caf\u00e9"])
    if r < 0.8:
        s = rnd.choice(["", "x", "a" + sep + "b", 'q""q', '""', "3.5", "tail"])
        after = rnd.choice(["", "", "", "z", ' more'])
        return '"' + s + '"' + after
    return rnd.choice([" lead", "trail ", "'single'"])
out = []
if rnd.random() < 0.5:
    out.append("\ufeff")
eol = rnd.choice(["\n", "\r\n"])
out.append(sep.join(["h1", "h2", '"h3"', "h2", "h4"]) + eol)
for _ in range(int(sys.argv[3])):
    if rnd.random() < 0.05:
        out.append(eol)  # a blank line
        continue
    out.append(sep.join(field() for _ in range(rnd.randint(1, 7))) + eol)
sys.stdout.write("".join(out))
X
cat > "$T/csv_check.py" <<'X'
import csv, json, sys
sep = sys.argv[3]
names = ["h1", "h2", "h3", "h4"]
cols = ["$%d" % i for i in range(1, 9)]
with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
    rows = [r for r in csv.reader(f, delimiter=sep)]
header, data = rows[0], [r for r in rows[1:] if r != []]
with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
    dicts = list(csv.DictReader(f, delimiter=sep))
assert len(dicts) == len(data)
got = [json.loads(l, parse_int=str, parse_float=str) for l in open(sys.argv[2], encoding="utf-8")]
bad = 0 if len(got) == len(data) else 1
if bad:
    print("%d rows, want %d" % (len(got), len(data)))
for n, (d, r, o) in enumerate(zip(dicts, data, got), 1):
    want = {k: d.get(k) for k in names}
    want.update({c: r[i] if i < len(r) else None for i, c in enumerate(cols)})
    for k, v in want.items():
        if o.get(k) != v:
            bad += 1
            if bad <= 5:
                print("row %d %s: want %r, got %r" % (n, k, v, o.get(k)))
print("%d wrong" % bad)
X
sel='h1, h2, h3, h4, $1, $2, $3, $4, $5, $6, $7, $8'
for seed in 1 2; do
	for fmt in csv tsv; do
		[ $fmt = csv ] && sep=, || sep=$(printf '\t')
		python3 "$T/csv_gen.py" $seed "$sep" 1500 > "$T/in.$fmt"
		rf --mode=serial --format=json "parse $fmt | select $sel" "$T/in.$fmt" > "$T/want" 2> "$T/err"
		check_status "$fmt seed $seed" $? 0
		check_eq "$fmt seed $seed: as csv.DictReader reads it" \
			"$(python3 "$T/csv_check.py" "$T/in.$fmt" "$T/want" "$sep" | tail -1)" "0 wrong"
		if [ -s "$T/err" ]; then
			fail "$fmt seed $seed: said $(head -c 300 "$T/err")"
		fi
		for mode in $MODES; do
			rf --mode=$mode --format=json "parse $fmt | select $sel" "$T/in.$fmt" > "$T/got" 2> "$T/err"
			check_same "$fmt seed $seed $mode: as serial" "$T/got" "$T/want"
		done
	done
done

# each class once more by hand (Python's answers worked out in the comments)
# a"b,c -> ['a"b', 'c']: a bare quote in an unquoted field is data
check_eq "csv: a bare quote is data" \
	"$(printf 'h,i\na"b,c\n' | rf --format=json 'parse csv | select h, i')" '{"h":"a\"b","i":"c"}'
# "x"y -> 'xy': text after the closing quote joins the field
check_eq "csv: text after a closing quote" \
	"$(printf 'h,i\n"x"y,"p""q" r\n' | rf --format=json 'parse csv | select h, i')" '{"h":"xy","i":"p\"q r"}'
# utf-8-sig: the BOM is no part of the first name
check_eq "csv: byte order mark" "$(printf '\357\273\277id,n\r\n5,6\r\n' | rf 'parse csv | sum(id)')" 5
# DictReader skips blank lines: 2 records, not 4
check_eq "csv: blank lines are no records" "$(printf 'a\n\n1\n\r\n2\n' | rf 'parse csv | count')" 2
check_eq "csv: a header alone is no record" "$(printf 'a,b\r\n' | rf 'parse csv | count')" 0
# a blank line before the header: the header is the first line with text
# (where Python's DictReader would take the blank line as an empty header)
check_eq "csv: blank lines before the header" "$(printf '\n\na,b\n1,2\n' | rf 'parse csv | sum(b)')" 2
# short rows: missing (restval None); long rows: the rest only as $N
check_eq "csv: short and long rows" \
	"$(printf 'a,b\n1\n1,2,3\n' | rf --format=json 'parse csv | select a, b, $3' | tr '\n' ' ')" \
	'{"a":1,"b":null,"$3":null} {"a":1,"b":2,"$3":3} '
# a quote left open at the end of the input (no newline after it): Python
# (not strict) reads ['1', 'open end']; the record is kept and counted
printf 'a,b\n1,"open end' > "$T/open.csv"
for mode in $MODES; do
	rf --mode=$mode --format=json --rejects "$T/rej" 'parse csv | select a, b' "$T/open.csv" > "$T/got" 2> "$T/err"
	check_eq "csv: open quote at the end, $mode" "$(cat "$T/got")" '{"a":1,"b":"open end"}'
	check_grep "csv: open quote at the end, $mode: reported" "$T/err" "1 record ended early"
	check_eq "csv: open quote at the end, $mode: not a reject" "$(wc -c < "$T/rej")" 0
done
# Parallel workers would lack the header of the input they get a part of:
# a csv bigger than one batch, read by every mode and backend
python3 -c '
import random
r = random.Random(5)
print("k,v")
for i in range(60000): print("%s,%d" % (r.choice("abcdefg"), r.randint(-10**6, 10**6)))
' > "$T/big.csv"
python3 -c '
import csv, collections
s = collections.Counter()
for r in csv.DictReader(open("'"$T"'/big.csv")): s[r["k"]] += int(r["v"])
for k in sorted(s): print("%s\t%d" % (k, s[k]))
' > "$T/want"
for run in serial:read parallel:read pipeline:read multiprocess:read async:read auto:read parallel:mmap \
	parallel:uring; do
	mode=${run%:*} io=${run#*:}
	rf --mode=$mode --io=$io --buffer-size=64k --format=tsv 'parse csv | sum(v) by k | sort k' \
		"$T/big.csv" 2> "$T/err" | tail -n +2 > "$T/got"
	check_same "csv over many batches, $mode $io" "$T/got" "$T/want"
done

# Each input has its own header (and maybe its own BOM and blank lines,
# before the header too: ringflow skips those, as the oracle here is told to)
printf '\357\273\277k,v\r\n\r\na,1\r\nb,2\r\n' > "$T/one.csv"
printf '\n\nv,k\nx,a\n10,a\n\n20,b\n' > "$T/two.csv"
python3 -c '
import csv, io, sys, collections
s = collections.Counter()
for f in sys.argv[1:]:
    text = open(f, encoding="utf-8-sig", newline="").read().lstrip("\r\n")  # blank lines before the header
    for r in csv.DictReader(io.StringIO(text, newline="")):
        if None in r.values(): continue  # a short row: DictReader has None
        try: s[r["k"]] += int(r["v"])
        except ValueError: s[r["k"]] += 0
for k in sorted(s): print("%s\t%d" % (k, s[k]))
' "$T/one.csv" "$T/two.csv" > "$T/want"
for mode in $MODES; do
	rf --mode=$mode --format=tsv 'parse csv | sum(v) by k | sort k' "$T/one.csv" "$T/two.csv" 2> /dev/null |
		tail -n +2 > "$T/got"
	check_same "csv: a header per input, $mode" "$T/got" "$T/want"
done

# A quoted field holding a newline, end to end: the framer ends a csv
# record only at a newline outside quotes (engine/framer.c).
printf 'a,b\r\n1,"two\r\nlines"\r\n"x""\ny",3\r\n' > "$T/nl.csv"
# JSON output prints a value that is a JSON number as a number
python3 -c '
import csv, json, re
num = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$")
def cell(v):
    return json.loads(v) if v is not None and num.match(v) else v
for r in csv.DictReader(open("'"$T"'/nl.csv", newline="")):
    print(json.dumps({k: cell(v) for k, v in r.items()}, separators=(",", ":")))
' > "$T/want"
for mode in $MODES; do
	rf --mode=$mode --format=json 'parse csv | select a, b' "$T/nl.csv" > "$T/got" 2> "$T/err"
	check_same "csv: quoted newlines end to end, $mode" "$T/got" "$T/want"
done

# ---- combined: lines cut off after the status ------------------------------------
# Every line of a generated log cut at every byte from the end of its status
# on (inside bytes, referer, agent, and between them): each keeps the
# fields it has and is counted, so count by status is awk's $9 count; each
# cut one is reported.  Cut inside the request, a line has no status: it
# is rejected.
"$LOGGEN" --lines 40 --seed 7 > "$T/whole.log"
python3 - "$T/whole.log" "$T/cut.log" "$T/req.log" <<'X'
import re, sys
head = re.compile(r'^\S+ \S+ \S+ \[[^\]]*\] "((?:[^"\\]|\\.)*)" \d{3}')
cut, req = open(sys.argv[2], "w"), open(sys.argv[3], "w")
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = head.match(line)
    assert m, line
    cut.write(line + "\n")
    for i in range(m.end(), len(line)):
        cut.write(line[:i] + "\n")
    for i in range(m.start(1), m.end(1) + 1):
        req.write(line[:i] + "\n")
X
ncut=$(($(wc -l < "$T/cut.log") - 40))
awk '{ print $9 }' "$T/cut.log" | sort | uniq -c | awk '{ printf "%s\t%s\n", $2, $1 }' > "$T/want"
for mode in $MODES; do
	for io in read uring; do
		rf --mode=$mode --io=$io --buffer-size=64k --format=tsv 'parse combined | count by status | sort status' \
			"$T/cut.log" 2> "$T/err" | tail -n +2 > "$T/got"
		check_same "combined cut off: count by status is awk's, $mode $io" "$T/got" "$T/want"
		check_grep "combined cut off: counted, $mode $io" "$T/err" "$ncut records ended early"
	done
	rf --mode=$mode 'parse combined | count' "$T/req.log" > "$T/got" 2> "$T/err"
	check_eq "combined cut in the request: rejected, $mode" "$?:$(cat "$T/got")" 2:
	check_grep "combined cut in the request: reported, $mode" "$T/err" \
		"$(wc -l < "$T/req.log") records could not be parsed as combined"
done
# the fields a cut line keeps, by hand
printf '%s\n' '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 200 77 "http://r/" "Mozilla/5.0 (X11' \
	'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 304 - "http://r/x' > "$T/two.log"
check_eq "combined cut off: the fields kept" \
	"$(rf --format=json 'parse combined | select status, bytes, referer, agent' "$T/two.log" 2> /dev/null | tr '\n' ' ')" \
	'{"status":200,"bytes":77,"referer":"http://r/","agent":"Mozilla/5.0 (X11"} {"status":304,"bytes":0,"referer":"http://r/x","agent":null} '
check_eq "common: a line cut after its status" \
	"$(printf '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200\n' | rf --format=tsv 'parse common | count by status' 2>&1)" \
	"$(printf 'status\tcount\n200\t1\nringflow: note: 1 record ended early (a closing quote or the last fields cut off) and was kept with the fields it has')"

finish
