#!/bin/sh
# SPDX-License-Identifier: MIT
# html.sh - --format=html (issue 21): the access-log dashboard of a
# generated log, with paths and user agents that carry markup and script,
# loaded in headless Chromium: no console message at all (an error, or a
# Content-Security-Policy refusal, shows there), no element or handler
# from the data in the DOM, the title untouched, and every table in the
# DOM equal to the TSV output of the query shown above it; the overview
# against awk and wc, the status classes against sums of the TSV.  A
# screenshot is written and its path printed.  A query's own table, the
# page of standard input (spooled and read once per dashboard query), and
# the refusals (records-only query, --every) are checked on the file alone.
# Two Chromium runs, at the same time (each takes seconds to start).
. "${SRCDIR:-.}/tests/lib.sh"

CHROMIUM=
for c in chromium chromium-browser; do
	command -v "$c" > /dev/null 2>&1 && CHROMIUM=$c && break
done
if [ -z "$CHROMIUM" ]; then
	echo "SKIP: no chromium (Debian's chromium package) to load the page in"
	exit 77
fi

log=$T/access.log
"$LOGGEN" --lines 3000 --seed 21 > "$log" || exit 99
# a path and an agent full of markup, often enough to be in the top 10,
# and records that are not combined lines (rejected)
i=0
while [ $i -lt 300 ]; do
	echo "10.0.0.$((i % 7)) - - [01/Nov/2026:00:09:$((i % 60 / 10))$((i % 10)) +0000] \"GET /x</script><img/src=x/onerror=document.title='pwned'>&amp; HTTP/1.1\" 404 12 \"-\" \"Evil <img src=x onerror=document.title='pwned'><script>document.title='pwned'</script> & 'q'\""
	i=$((i + 1))
done >> "$log"
printf 'not an access log line\n\001\002 binary\n' >> "$log"

page=$T/page.html
"$RINGFLOW" --format=html 'parse combined' "$log" > "$page" 2> "$T/err"
check_status "dashboard" $? 0
"$RINGFLOW" --format=html 'parse combined' < "$log" > "$T/stdin.html" 2> /dev/null
check_status "dashboard of standard input" $? 0
"$RINGFLOW" --format=html 'parse combined | count, sum(bytes) by status, method' "$log" > "$T/query.html" 2> /dev/null
check_status "a query's table" $? 0

# Chromium as root needs --no-sandbox; a profile of its own in $T; the
# console on stderr (--enable-logging).  The DOM and the screenshot at once.
shot=${HTML_SHOT_DIR:-$PWD}/html-report.png
rm -f "$shot"
flags="--headless --no-sandbox --disable-gpu --no-first-run --disable-extensions --disable-dev-shm-usage
	--disable-background-networking --disable-component-update"
# shellcheck disable=SC2086
DBUS_SESSION_BUS_ADDRESS=disabled: timeout 90 "$CHROMIUM" $flags --user-data-dir="$T/prof1" \
	--enable-logging=stderr --v=0 --dump-dom "file://$page" > "$T/dom.html" 2> "$T/console" &
dom_pid=$!
# shellcheck disable=SC2086
DBUS_SESSION_BUS_ADDRESS=disabled: timeout 90 "$CHROMIUM" $flags --user-data-dir="$T/prof2" \
	--window-size=1200,2600 --hide-scrollbars --screenshot="$shot" "file://$page" > /dev/null 2> "$T/shot.err" &
shot_pid=$!
wait $dom_pid
check_status "chromium --dump-dom" $? 0
wait $shot_pid
check_status "chromium --screenshot" $? 0
echo "screenshot of the dashboard: $shot"

HTML_FILES="$log $page $T/dom.html $T/console $T/stdin.html $T/query.html $shot"
export HTML_FILES
py_checks <<'EOF'
import html.parser, os, struct, subprocess, sys
import rftest
from rftest import check
T, RF = rftest.setup(sys.argv)
LOG, PAGE, DOM, CONSOLE, STDIN, QUERY, SHOT = os.environ["HTML_FILES"].split()

class Page(html.parser.HTMLParser):
    """The sections of a page: each table's header and cells, the query
    shown above it, the overview's values, and every tag and attribute."""
    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tables, self.queries, self.ov, self.tags, self.attrs = {}, {}, {}, [], []
        self.title = ""
        self.cur = self.cell = self.field = None
        self.section = None
        self.code = False
        self.feed(text)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.attrs += [k for k, _ in attrs]
        if tag == "section":
            self.section = a.get("id")
        if tag == "table":
            self.cur = self.tables.setdefault(a.get("id"), {"head": [], "rows": [], "section": self.section})
        elif tag == "tr" and self.cur is not None:
            self.row = []
        elif tag in ("td", "th") and self.cur is not None:
            self.cell = ""
        elif tag == "dd" and a.get("id", "").startswith("ov-"):
            self.field, self.text = a["id"][3:], ""
        elif tag == "code" and self.section:
            self.code, self.text = True, ""
        elif tag == "title" and not self.title and "svg" not in self.tags:
            self.field, self.text = "<title>", ""
    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.cur is not None:
            (self.cur["head"] if not self.cur["head"] else self.cur["rows"]).append(self.row)
        elif tag == "table":
            self.cur = None
        elif tag == "dd" and self.field:
            self.ov[self.field] = self.text
            self.field = None
        elif tag == "title" and self.field == "<title>":
            self.title, self.field = self.text, None
        elif tag == "code" and self.code:
            self.queries[self.section] = self.text
            self.code = False
    def handle_data(self, d):
        if self.cell is not None:
            self.cell += d
        if self.field or self.code:
            self.text += d

def tsv(query):
    r, out, err = rftest.run(["--format=tsv", query, LOG])
    check(r == 0, "%s: exit %d %s" % (query, r, err[:200]))
    lines = [l.split("\t") for l in out.decode("utf-8", "replace").split("\n") if l]
    return lines[0] if lines else [], lines[1:]

dom = Page(open(DOM, encoding="utf-8", errors="replace").read())
console = [l for l in open(CONSOLE, errors="replace") if "CONSOLE" in l]
check(not console, "the page logged to the console: %s" % console[:3])
check(dom.title == "ringflow report", "title %r (a script from the data ran?)" % dom.title)
check("img" not in dom.tags and "script" in dom.tags and dom.tags.count("script") == 1,
      "elements from the data in the DOM: %s" % sorted(set(dom.tags)))
check(not any(a.startswith("on") for a in dom.attrs), "event handler attributes in the DOM")
evil = "/x</script><img/src=x/onerror=document.title='pwned'>&amp;"
agent = "Evil <img src=x onerror=document.title='pwned'><script>document.title='pwned'</script> & 'q'"

# every table of the dashboard equals the TSV of the query shown with it
want = {"Requests", "status", "path", "ip", "agent"}
seen = set()
for tid, t in dom.tables.items():
    if tid == "classes":
        continue
    q = dom.queries.get(t["section"])
    check(q is not None, "table %s has no query" % tid)
    if q is None:
        continue
    head, rows = tsv(q)
    check(t["head"] == [head], "%s: header %s, TSV %s" % (q, t["head"], head))
    check(t["rows"] == rows, "%s: %d rows in the DOM, %d in TSV; first differing: %s" % (
        q, len(t["rows"]), len(rows), next(((a, b) for a, b in zip(t["rows"], rows) if a != b), None)))
    seen |= {w for w in want if w in q} | ({"Requests"} if "by minute" in q else set())
    if "by path" in q:
        check([evil] in [r[:1] for r in t["rows"]], "the markup path as text in the top paths")
    if "by agent" in q:
        check([agent] in [r[:1] for r in t["rows"]], "the markup agent as text in the top agents")
    if q.endswith("count by status"):
        cls = {}
        for s, n in rows:
            k = s[0] + "xx" if len(s) == 3 and s[0] in "12345" else "other"
            cls[k] = cls.get(k, 0) + int(n)
        got = {r[0]: int(r[1]) for r in dom.tables["classes"]["rows"] if int(r[1]) or r[0] != "other"}
        check(got == {k: cls.get(k, 0) for k in got} and all(got.get(k) == v for k, v in cls.items()),
              "status classes %s, from the TSV %s" % (got, cls))
check(seen == {"Requests", "status", "path", "ip", "agent"} | ({"minute"} & seen), "sections: %s" % sorted(seen))

# the overview: records by awk, bytes by wc, rejects: the two lines added
lines = int(subprocess.run(["awk", "END { print NR }", LOG], capture_output=True, text=True).stdout)
size = int(subprocess.run(["wc", "-c"], stdin=open(LOG, "rb"), capture_output=True, text=True).stdout)
check(dom.ov.get("records") == str(lines), "records %s, awk %d" % (dom.ov.get("records"), lines))
check(dom.ov.get("bytes") == str(size), "bytes %s, wc %d" % (dom.ov.get("bytes"), size))
check(dom.ov.get("rejected") == "2", "rejected %s, want 2" % dom.ov.get("rejected"))
head, rows = tsv("parse combined | count, sum(bytes), distinct(ip)")
check([dom.ov.get("matched"), dom.ov.get("sent"), dom.ov.get("clients")] == rows[0],
      "overview %s, TSV %s" % (dom.ov, rows))

# standard input: the same tables as the file
sp = Page(open(STDIN, encoding="utf-8").read())
check({k: (v["head"], v["rows"]) for k, v in sp.tables.items()} ==
      {k: (v["head"], v["rows"]) for k, v in Page(open(PAGE, encoding="utf-8").read()).tables.items()},
      "the page of standard input has other tables than the file's")
check(sp.ov.get("records") == str(lines), "standard input: records %s" % sp.ov.get("records"))

# a query's own table
qp = Page(open(QUERY, encoding="utf-8").read())
head, rows = tsv("parse combined | count, sum(bytes) by status, method")
t = qp.tables.get("t1", {"head": [], "rows": []})
check(t["head"] == [head] and t["rows"] == rows, "a query's table differs from its TSV")

# the screenshot: a PNG of the window's size
png = open(SHOT, "rb").read() if SHOT else b""
check(png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1200, 2600),
      "screenshot %s is not a 1200x2600 PNG" % SHOT)
rftest.summary()
EOF

# ringflow report FILE: the same page (but its nonce and time)
"$RINGFLOW" report "$log" 2> /dev/null | sed 's/nonce[-=]"*[0-9a-f]*//g; /id="ov-made"/d' > "$T/report.html"
sed 's/nonce[-=]"*[0-9a-f]*//g; /id="ov-made"/d' "$page" > "$T/page.cut"
check_same "ringflow report" "$T/report.html" "$T/page.cut"

# refusals: exit 2 and a message
"$RINGFLOW" --format=html 'grep GET' "$log" > "$T/out" 2> "$T/err"
check_status "records without rows" $? 2
check_grep "records without rows" "$T/err" "--format=html shows result rows"
check_eq "nothing printed for records" "$(wc -c < "$T/out")" 0
"$RINGFLOW" --format=html --every 1s 'parse combined | count' "$log" > "$T/out" 2> "$T/err"
check_status "--every" $? 2
check_grep "--every" "$T/err" "not with --every"
# every record rejected (not an access log): said, exit 2, and no page
# either (stderr says no result is printed)
head -c 3000 /dev/urandom | base64 > "$T/junk"
"$RINGFLOW" report "$T/junk" > "$T/out" 2> "$T/err"
check_status "report of no access log" $? 2
check_grep "report of no access log: said" "$T/err" "every record"
check_eq "report of no access log: no page" "$(wc -c < "$T/out")" 0
# a dashboard reads each input once a section: a FIFO (or pipe) other than
# standard input would give its records to the first section alone
mkfifo "$T/fifo"
cat "$log" > "$T/fifo" &
writer=$!
"$RINGFLOW" report "$T/fifo" > "$T/out" 2> "$T/err"
check_status "report of a FIFO" $? 2
check_grep "report of a FIFO: said" "$T/err" "not a regular file"
check_eq "report of a FIFO: no page" "$(wc -c < "$T/out")" 0
kill $writer 2> /dev/null
wait $writer 2> /dev/null
finish
