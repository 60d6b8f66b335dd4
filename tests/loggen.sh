#!/bin/sh
# SPDX-License-Identifier: MIT
# loggen.sh - ringflow-loggen's formats: every line of --format=json is an
# object Python's json reads, holding the request of the combined line the
# same seed writes (read back with Python's re and datetime), strings that
# need escaping come back as written, and the combined output is the one
# it was before the JSON format existed (a digest taken then); a bad
# option is named in the message, exit status 2.
. "${SRCDIR:-.}/tests/lib.sh"

if ! command -v python3 > /dev/null 2>&1; then
	echo "python3 not found: skipped"
	exit 77
fi

"$LOGGEN" --lines 20000 --seed 11 > "$T/combined.log" || exit 99
"$LOGGEN" --format=json --lines 20000 --seed 11 > "$T/a.json"
check_status "--format=json" $? 0
"$LOGGEN" --format json --seed 11 --lines 20000 > "$T/b.json"
check_same "the same arguments write the same bytes" "$T/b.json" "$T/a.json"
"$LOGGEN" --lines 20000 --format=combined --seed 11 > "$T/c.log"
check_same "--format=combined is the default" "$T/c.log" "$T/combined.log"
# the digest of this output from before the JSON format was added: its
# extra fields must not move the stream that decides the requests
sum=$("$LOGGEN" --lines 1000 --seed 42 | sha256sum | cut -d' ' -f1)
check_eq "combined output unchanged" "$sum" e56164870a8642c294a3a485bca119f676160fb29cd9178b4eec4756f1bb77f3

# --size counts the bytes written: it stops at the line that reaches it
"$LOGGEN" --format=json --size 100K --seed 5 > "$T/size.json"
bytes=$(wc -c < "$T/size.json")
last=$(tail -n 1 "$T/size.json" | wc -c)
check_eq "--size 100K reached" "$([ "$bytes" -ge 102400 ] && echo yes)" yes
check_eq "--size 100K not passed by a line" "$([ $((bytes - last)) -lt 102400 ] && echo yes)" yes

"$LOGGEN" --format=xml > "$T/out" 2> "$T/err"
check_status "--format=xml" $? 2
check_grep "--format=xml message" "$T/err" "--format takes combined or json"
check_eq "--format=xml writes nothing" "$(wc -c < "$T/out")" 0

# an unknown option is called that (not a number missing), with or
# without a value, and takes no value from the option after it
for args in "--bogus" "--bogus=3" "--bogus --lines 5" "--lines 5 --bogus"; do
	# shellcheck disable=SC2086 # the arguments are meant to split
	"$LOGGEN" $args > "$T/out" 2> "$T/err"
	check_status "$args" $? 2
	check_eq "$args: the message" "$(head -n 1 "$T/err")" "ringflow-loggen: unknown option --bogus"
	check_eq "$args writes nothing" "$(wc -c < "$T/out")" 0
done
"$LOGGEN" --lines > "$T/out" 2> "$T/err"
check_status "--lines without a value" $? 2
check_eq "--lines without a value" "$(head -n 1 "$T/err")" "ringflow-loggen: --lines needs a number"
"$LOGGEN" --seed=x1 > "$T/out" 2> "$T/err"
check_status "--seed=x1" $? 2
check_eq "--seed=x1" "$(head -n 1 "$T/err")" "ringflow-loggen: --seed needs a number"
"$LOGGEN" access.log > "$T/out" 2> "$T/err"
check_status "an argument that is no option" $? 2
check_grep "an argument that is no option" "$T/err" "unexpected argument 'access.log'"

py_checks <<'PY'
import datetime as dt, json, re, sys
import rftest
from rftest import check

T, RF = rftest.setup(sys.argv)
COMBINED = re.compile(r'(\S+) - (\S+) \[([^]]+)\] "(\S+) (\S+) HTTP/1\.1" (\d+) (\d+) "([^"]*)" "([^"]*)"\n')

with open(T + "/combined.log", encoding="ascii") as f:
    combined = f.readlines()
with open(T + "/a.json", "rb") as f:
    raw = f.read()
lines = raw.split(b"\n")
check(lines[-1] == b"", "the JSON output ends with a newline")
lines = lines[:-1]
check(len(lines) == len(combined) == 20000, "20000 lines each: %d, %d" % (len(lines), len(combined)))

bad = wrong = 0
queries = set()
for i, (line, text) in enumerate(zip(lines, combined)):
    try:
        obj = json.loads(line.decode("utf-8"))  # strict: raw control bytes in a string fail
    except ValueError as e:
        bad += 1
        if bad <= 3:
            check(False, "line %d is not JSON (%s): %r" % (i + 1, e, line[:200]))
        continue
    m = COMBINED.fullmatch(text)
    if not m:
        wrong += 1
        check(False, "combined line %d unreadable: %r" % (i + 1, text))
        continue
    ip, user, stamp, method, path, status, nbytes, referer, agent = m.groups()
    when = dt.datetime.strptime(stamp, "%d/%b/%Y:%H:%M:%S %z").astimezone(dt.timezone.utc)
    want = {
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "ip": ip, "user": None if user == "-" else user,
        "method": method, "path": path, "protocol": "HTTP/1.1", "status": int(status), "bytes": int(nbytes),
        "referer": referer, "agent": agent,
    }
    got = {k: obj.get(k, "missing") for k in want}
    tls = obj.get("tls")
    shape = (type(obj) is dict and type(obj.get("status")) is int and type(obj.get("bytes")) is int
             and type(obj.get("duration")) is float and obj["duration"] > 0 and type(obj.get("query")) is str
             and type(tls) is dict and sorted(tls) == ["cipher", "version"]
             and tls["version"] in ("TLSv1.2", "TLSv1.3") and type(tls["cipher"]) is str)
    if got != want or not shape:
        wrong += 1
        if wrong <= 3:
            check(False, "line %d: %r, want %r (shape ok: %s)" % (i + 1, got, want, shape))
    queries.add(obj.get("query"))
check(bad == 0, "%d lines Python's json refuses" % bad)
check(wrong == 0, "%d lines unlike their combined line" % wrong)

# the query strings that need escaping come back as the generator's table has them
for q in ['q="red shoes"', "path=C:\\Windows\\win.ini", 'q=\\"quoted\\"', "note=a\tb",
          "q=caf\u00e9 cr\u00e8me", "q=\x1b[31mred", ""]:
    check(q in queries, "query %r among the decoded ones" % q)
check(b'"query":"q=\\\\\\"quoted\\\\\\""' in raw, "a backslash before a quote escaped as \\\\\\\"")
check(b'"query":"q=\\u001b[31mred"' in raw, "the escape byte written as \\u001b")
check(len(queries) > 5, "several query strings: %d" % len(queries))
rftest.summary()
PY
finish
