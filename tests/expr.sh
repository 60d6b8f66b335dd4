#!/bin/sh
# SPDX-License-Identifier: MIT
# expr.sh - the expression engine's own edges (issue 15): long chains of
# + - * and, or, not and in-lists on a 1 MiB stack, the evaluation a batch
# at a time over a million short records in every mode, the hidden fields
# and computed columns of aggregates in every mode, HAVING, select and
# eval expressions, and the bare-word errors.  Oracles: awk and Python.
# (tests/lang2.sh checks the language's functions and types against peers.)
. "${SRCDIR:-.}/tests/lib.sh"
rf() { "$RINGFLOW" "$@"; }
MODES="serial parallel pipeline multiprocess async"

printf 'a 1\nb 2\nc 0\nd -5\n' > "$T/small"
# chains: loops, not recursion (20,000 terms fit in one argument)
chain() { awk -v n="$1" -v u="$2" -v l="$3" 'BEGIN { printf "split | where "; for (i = 0; i < n; i++) printf "%s", u; printf "%s | count", l }'; }
check_eq "20,000 additions (ulimit -s 1024)" "$(ulimit -s 1024; rf "$(chain 20000 '$2 + ' '0 > 30000')" "$T/small")" \
	"$(awk '$2 * 20000 > 30000' "$T/small" | wc -l)"
check_eq "30,000 unary minus (ulimit -s 1024)" "$(ulimit -s 1024; rf "$(chain 30000 '- ' '$2 > 0')" "$T/small")" \
	"$(awk '$2 > 0' "$T/small" | wc -l)"
check_eq "30,001 unary minus (ulimit -s 1024)" "$(ulimit -s 1024; rf "$(chain 30001 '- ' '$2 > 0')" "$T/small")" \
	"$(awk '0 - $2 > 0' "$T/small" | wc -l)"
check_eq "10,000 of * and - (ulimit -s 1024)" "$(ulimit -s 1024; rf "$(chain 10000 '$2 * 1 - ' '0 < 0')" "$T/small")" \
	"$(awk '$2 - 9999 * $2 < 0' "$T/small" | wc -l)"
q=$(awk 'BEGIN { printf "split | where $1 in ("; for (i = 0; i < 10000; i++) printf "\"x%d\", ", i; printf "\"b\") | count" }')
check_eq "an in-list of 10,001 (ulimit -s 1024)" "$(ulimit -s 1024; rf "$q" "$T/small")" 1

# a million short records in one batch (evaluated 1024 rows at a time), in every mode
awk 'BEGIN { for (i = 0; i < 1000000; i++) print i % 13, i % 7, (i % 5 == 0 ? "" : "x" i % 3) }' > "$T/many"
want=$(awk '($1 * 2 + $2) % 4 == 1 || ($3 == "x1" && $2 > 3)' "$T/many" | wc -l)
for m in $MODES; do
	check_eq "where over 1M records, $m" \
		"$(rf --mode=$m --buffer-size=16M 'split | where ($1 * 2 + $2) % 4 == 1 or ($3 == "x1" and $2 > 3) | count' "$T/many")" "$want"
done

# hidden fields and computed columns of an aggregate: the same bytes in
# every mode, and the numbers awk computes
"$LOGGEN" --size 4M --seed 7 > "$T/log"
q='parse combined | count(where status >= 500) / count * 100 as err_pct, sum(bytes / 1024) as kb, count by status / 100 as c | sort c'
rf --mode=serial --format=tsv "$q" "$T/log" > "$T/serial"
for m in parallel pipeline multiprocess async; do
	rf --mode=$m --format=tsv "$q" "$T/log" > "$T/got"
	check_same "aggregate expressions, $m = serial" "$T/got" "$T/serial"
done
python3 - "$T/log" > "$T/want" <<'PY'
import re, sys
from collections import defaultdict
g = defaultdict(lambda: [0, 0, 0])
for line in open(sys.argv[1], encoding='latin-1'):
	m = re.match(r'\S+ \S+ \S+ \[[^]]*\] "[^"]*" (\d+) (\S+)', line)
	st, b = int(m.group(1)), m.group(2)
	k = st / 100
	g[k][0] += 1
	g[k][1] += st >= 500
	g[k][2] += int(b) if b != '-' else 0
print('c\terr_pct\tkb\tcount')
for k in sorted(g):
	n, e, b = g[k]
	print('%s\t%s\t%s\t%d' % (repr(k).rstrip('0').rstrip('.') if k != int(k) else int(k),
	                          repr(e * 100 / n) if e * 100 % n else e * 100 // n, repr(b / 1024) if b % 1024 else b // 1024, n))
PY
check_same "aggregate expressions against Python" "$T/serial" "$T/want"

# HAVING: where after an aggregate, over its columns
awk '{ c[$1]++ } END { for (k in c) if (c[k] >= 20) print k "\t" c[k] }' "$T/log" | sort > "$T/want"
rf --format=tsv 'parse combined | count by ip | where count >= 20' "$T/log" | tail -n +2 | sort > "$T/got"
check_same "HAVING count >= 20" "$T/got" "$T/want"
rf --format=tsv 'parse combined | count by status | where status ~ "^5" and count > 0' "$T/log" | tail -n +2 > "$T/got"
awk '$9 ~ /^5/ { c[$9]++ } END { for (k in c) print k "\t" c[k] }' "$T/log" | sort > "$T/want"
check_same "HAVING over a key with a regex" "$T/got" "$T/want"

# eval and select expressions: the values awk computes
awk '{ printf "%s\t%s\n", $1, $10 * 3 - 1 }' "$T/log" | head -50 > "$T/want"
rf --format=tsv 'parse combined | eval b3 = bytes * 3 - 1 | select ip, b3 | head 50' "$T/log" | tail -n +2 > "$T/got"
check_same "eval, then select" "$T/got" "$T/want"
rf --format=tsv 'parse combined | select ip as client, bytes * 3 - 1 as b3 | head 50' "$T/log" > "$T/got2"
check_eq "select expressions: the header" "$(head -1 "$T/got2")" "$(printf 'client\tb3')"
tail -n +2 "$T/got2" > "$T/got3"
check_same "select expressions: the rows" "$T/got3" "$T/want"

# bare words: an error with a hint, never a silent empty match
printf '{"level":"error"}\n{"level":"info"}\n' > "$T/j"
rf 'parse json | where level == error | count' "$T/j" > /dev/null 2> "$T/err"
check_status "json: level == error" $? 2
check_grep "json: the message" "$T/err" "no field 'error'"
check_grep "json: the hint" "$T/err" 'did you mean the string "error"?'
check_eq "json: field(\"x\") compares two fields" "$(rf 'parse json | where level == field("level") | count' "$T/j")" 2
rf 'parse combined | where method == GET | count' "$T/log" > /dev/null 2> "$T/err"
check_status "combined: method == GET" $? 2
check_grep "combined: the hint" "$T/err" 'did you mean the string "GET"?'
rf 'parse combined | where bytes > 10 kb | count' "$T/log" > /dev/null 2> "$T/err"
check_status "a stray word after the condition" $? 2
rf 'parse combined | where bytes / 0 > 1 or bytes / 0 <= 1 | count' "$T/log" > "$T/got" 2>&1
check_eq "division by zero is null: neither > nor <=" "$(cat "$T/got")" 0
check_eq "division by zero is null: is null" "$(rf 'parse combined | where bytes % 0 is null | count' "$T/log")" "$(wc -l < "$T/log")"
# durations: exact integers, every printed form reads back (hand-computed)
for pair in "1h30m:1h30m0s" "1.5s:1.5s" "+1h:1h0m0s" "-2m:-2m0s" "2562047h:2562047h0m0s" "1µs:1µs" \
	"1.000000001s:1.000000001s" "0.5ms:500µs" "1e3s:" "5x:"; do
	check_eq "duration(\"${pair%%:*}\")" "$(echo x | rf --format=tsv "eval d = duration(\"${pair%%:*}\") | select d" | tail -1)" "${pair#*:}"
done
check_eq "a printed duration reads back" "$(echo x | rf --format=tsv 'eval d = duration(str(duration("1h2m3.000004s"))) | select d' | tail -1)" "1h2m3.000004s"
# a bucket that would start before 1677 (past int64 nanoseconds) is null, not a wrapped time
check_eq "time_bucket below the int64 range" \
	"$(echo x | rf --format=tsv 'eval t = time_bucket(time("1677-09-21T00:12:44Z"), 1d) | select t' | tail -1)" ""
check_eq "time_bucket in range" \
	"$(echo x | rf --format=tsv 'eval t = time_bucket(time("1677-09-21T00:12:44Z"), 1s) | select t' | tail -1)" "1677-09-21T00:12:44Z"
# eval reusing a parsed field's name reads the parsed value (json gave the
# eval's slot the key's text and the expression a missing field); every
# parser that accepts names, every mode, records across 64K buffers
python3 -c '
import json, random
random.seed(3)
with open("'"$T"'/ej", "w") as j, open("'"$T"'/el", "w") as l, open("'"$T"'/ec", "w") as c:
    c.write("a,b\n")
    for i in range(30000):
        a = random.randint(-10**6, 10**6)
        j.write(json.dumps({"b": i, "a": a}) + "\n")
        l.write("a=%d b=%d\n" % (a, i))
        c.write("%d,%d\n" % (a, i))
'
want=$(python3 -c '
import json
print(sum(json.loads(x)["a"] * 3 + 1 for x in open("'"$T"'/ej")))')
for m in $MODES; do
	for f in json:ej logfmt:el csv:ec; do
		check_eq "eval a = a * 3 + 1 over parse ${f%%:*}, $m" \
			"$(rf --mode=$m --buffer-size=64K "parse ${f%%:*} | eval a = a * 3 + 1 | sum(a)" "$T/${f#*:}")" "$want"
	done
done
check_eq "eval b = a, a = b over json: both read the parse's values in turn" \
	"$(printf '{"a":1,"b":2}\n' | rf --format=tsv 'parse json | eval b = a * 10, a = b + 1 | select a, b' | tail -1)" "$(printf '11\t10')"
# select's names (aliases, expressions) head the rows a record sort or top
# prints, as they head unsorted rows (the hidden field's name printed)
python3 -c '
import json
rows = [json.loads(x) for x in open("'"$T"'/ej")]
rows.sort(key=lambda r: -r["b"])
print("d,p")
for r in rows[:3]:
    print("%d,%d" % (r["a"] * 2, r["b"]))
' > "$T/want"
for m in $MODES; do
	for s in "sort b desc | head 3" "top 3 by b"; do
		rf --mode=$m --format=csv "parse json | select a * 2 as d, b as p | $s" "$T/ej" > "$T/got"
		check_same "select a * 2 as d, b as p | $s, $m" "$T/got" "$T/want"
	done
done
# HAVING reads times on the --tz clock, as where before the aggregate does
# (a bare time literal and format_time were read in UTC)
python3 -c '
import datetime as dt
t0 = dt.datetime(2026, 10, 31, 20, 0, tzinfo=dt.timezone.utc)
for i in range(400):
    t = t0 + dt.timedelta(minutes=7 * i)
    print("1.1.1.1 - - [%s] \"GET /x HTTP/1.1\" 200 1 \"-\" \"-\"" % t.strftime("%d/%b/%Y:%H:%M:%S +0000"))
' > "$T/tz.log"
for tz in +02:00 -05:30 America/New_York; do
	want=$(TZARG="$tz" python3 -c '
import datetime as dt, os, re, collections
from zoneinfo import ZoneInfo
a = os.environ["TZARG"]
if a[0] in "+-":
    s = -1 if a[0] == "-" else 1
    z = dt.timezone(s * dt.timedelta(hours=int(a[1:3]), minutes=int(a[4:6])))
else:
    z = ZoneInfo(a)
c = collections.Counter()
for l in open("'"$T"'/tz.log"):
    t = dt.datetime.strptime(re.search(r"\[(.*?)\]", l).group(1), "%d/%b/%Y:%H:%M:%S %z").astimezone(z)
    c[t.replace(minute=0, second=0)] += 1
lim = dt.datetime(2026, 11, 1, 2, 0).replace(tzinfo=z) if a[0] in "+-" else dt.datetime(2026, 11, 1, 2, 0, tzinfo=z)
print(sum(n for h, n in c.items() if h >= lim and h.hour % 3 != 0), sum(1 for h in c if h >= lim and h.hour % 3 != 0))
')
	for m in serial multiprocess; do
		got=$(rf --mode=$m --tz=$tz --format=tsv 'parse combined | count by hour | where hour >= 2026-11-01T02:00:00 and int(format_time(hour, "%H")) % 3 != 0' "$T/tz.log" |
			awk -F'\t' 'NR > 1 { s += $2; n++ } END { print s + 0, n + 0 }')
		check_eq "HAVING on the --tz=$tz clock, $m" "$got" "$want"
	done
done
# eval cannot set line or $0 (every stage reads them as the record: the
# new value was silently never seen)
for name in line '$0'; do
	printf 'abc\n' | rf "eval $name = 5 | select $name" > /dev/null 2> "$T/err"
	check_status "eval $name = 5" $? 2
	check_grep "eval $name = 5: the message" "$T/err" "ringflow: query:6: eval cannot set"
done
# a select alias is a field for the stages after it (json and logfmt took
# the name for a missing field before: an empty answer)
printf 'id=1995 path=/a\nid=1996 path=/b\nid=1999 path=/c\n' > "$T/kv"
for m in $MODES; do
	check_eq "select id as d | where d > 1995, $m" \
		"$(rf --mode=$m --format=tsv 'parse logfmt | select id as d | where d > 1995' "$T/kv" | tr '\n' ' ')" "d 1996 1999 "
	check_eq "select id * 2 as d | sort d desc, $m" \
		"$(rf --mode=$m --format=tsv 'parse logfmt | select id * 2 as d, path as p | sort d desc | head 2' "$T/kv" | tr '\n' ' ')" \
		"$(printf 'd\tp 3998\t/c 3992\t/b ' )"
done
rf 'parse logfmt | select path as id, id' "$T/kv" > /dev/null 2> "$T/err"
check_status "an alias that is another column's field" $? 2
# a ~ over the regex limits in eval or an aggregate's argument: the record
# is rejected with a note (as where does), never a silent false
awk 'BEGIN { for (i = 0; i < 40; i++) printf "a"; print "!"; print "ab" }' > "$T/re"
for m in $MODES; do
	rf --mode=$m --format=tsv 'count(where line ~ "^(a|aa)+$"), count' "$T/re" > "$T/got" 2> "$T/err"
	check_eq "count(where ~) over the limits, $m" "$(tail -1 "$T/got")" "$(printf '0\t1')"
	check_grep "count(where ~) over the limits: the note, $m" "$T/err" "over the match limits"
done
rf --strict 'eval v = line ~ "^(a|aa)+$" | count by v' "$T/re" > /dev/null 2>&1
check_status "eval ~ over the limits, --strict" $? 2
# a computed number against a field's text past 2^53: the text's exact value
# decides (hand-computed: the doubles of these tie or mislead)
printf 'x=9007199254740993.0\ny=1001.5\nz=9007199254740992\n' > "$T/big"
check_eq "text 9007199254740993.0 == 9007199254740992 + 1" "$(rf 'parse logfmt | where x == 9007199254740992 + 1 | count' "$T/big")" 1
check_eq "text 9007199254740993.0 != its double" "$(rf 'parse logfmt | eval d = x * 1 | where x == d | count' "$T/big")" 0
check_eq "computed 9007199254740993 == literal 9007199254740993.0" "$(rf 'parse logfmt | where z + 1 == 9007199254740993.0 | count' "$T/big")" 1
check_eq "text 1001.5 >= computed 1001" "$(rf 'parse logfmt | where y >= 1000 + 1 | count' "$T/big")" 1
# eval before the parse stage: refused (the parse filled its field with nothing)
echo "a b" | rf 'eval n = len(line) | split | select n, $1' > /dev/null 2> "$T/err"
check_status "eval before the parse stage" $? 2
check_grep "eval before the parse stage: the message" "$T/err" "eval before the parse stage"
check_eq "eval after the parse stage" "$(echo "a b" | rf --format=tsv 'split | eval n = len(line) | select n, $1' | tail -1)" "$(printf '3\ta')"
# field("name") wherever a field is named, not only inside expressions:
# select, sort, top, aggregate arguments and keys read the field (select
# printed nulls, sort and top ordered by a null, sum() was refused)
printf '{"a":1,"x":"p","b c":5}\n{"a":3,"x":"q","b c":7}\n{"a":2,"x":"p","b c":9}\n' > "$T/fj"
check_eq 'select field("x")' "$(rf --format=tsv 'parse json | select field("x"), field("b c")' "$T/fj" | tail -n +2 | tr '\n\t' ' :')" "p:5 q:7 p:9 "
check_eq 'sort field("a") desc' "$(rf --format=tsv 'parse json | sort field("a") desc | select a' "$T/fj" | tail -n +2 | tr '\n' ' ')" "3 2 1 "
check_eq 'top 1 by field("b c")' "$(rf 'parse json | top 1 by field("b c") | select a' "$T/fj" | tail -1)" "2"
check_eq 'sum(field("b c")) by field("x")' "$(rf --format=tsv 'parse json | sum(field("b c")) by field("x")' "$T/fj" | tail -n +2 | sort | tr '\n\t' ' :')" "p:14 q:7 "
finish
