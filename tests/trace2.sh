#!/bin/sh
# SPDX-License-Identifier: MIT
# trace2.sh - ringflow-trace's counts against hand-computed ones (wc, grep,
# Python's csv) and against ringflow --stats of an untraced run, in every
# mode: records in without --stats, intervals (the last, partial one too)
# that add up to the whole, consistent numbers when attached mid-run, a
# command that fails before its run starts, and -o write errors and
# truncation; and both ways of attaching (uprobe_multi, per site).  Needs
# root; each trace run costs ~1.5 s of uprobe teardown on a kernel without
# uprobe_multi, so the runs here are few.
. "${SRCDIR:-.}/tests/lib.sh"

if [ ! -x "${TRACE:-}" ]; then
	echo "skip: ringflow-trace was not built (configure says why)"
	exit 77
fi
if [ "$(id -u)" != 0 ]; then
	echo "skip: tracing needs root (tests/trace.sh checks the message without it)"
	exit 77
fi
command -v python3 > /dev/null || { echo "skip: python3 not installed"; exit 77; }

"$LOGGEN" --size 12M --seed 15 > "$T/log"
# Can this machine attach uprobes at all (a container may forbid it)?
"$TRACE" --json -o "$T/probe.json" -- "$RINGFLOW" count "$T/log" > /dev/null 2> "$T/probe"
rc=$?
if [ $rc = 2 ] && grep -q "cannot attach\|not allowed\|cannot load\|CAP_SYS_ADMIN\|BTF\|uprobe" "$T/probe"; then
	echo "skip: ringflow-trace cannot attach here: $(head -c 300 "$T/probe")"
	exit 77
fi

# checks FILE: run the WHAT<TAB>GOT<TAB>WANT lines a Python check printed
checks_from() {
	while IFS='	' read -r what got want; do
		check_eq "$what" "$got" "$want"
	done < "$1"
}

# tally TRACE STATS PREFIX WANT0 WANT1...: per stage i, records in of the
# final report = WANTi = --stats; the interval reports add up to the final
# one (records in and out, batches, bytes); at least two intervals.
tally() {
	python3 - "$@" > "$T/checks" << 'EOF' || fail "$3: cannot read the reports: $(head -c 300 "$1")"
import json, sys
trace, stats, what, want = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
reports = [json.loads(l) for l in open(trace)]
final = [r for r in reports if r["final"]]
intervals = [r for r in reports if not r["final"]]
st = json.load(open(stats))["stages"]
print("%s: one final report\t%d\t1" % (what, len(final)))
print("%s: two intervals or more\t%s\tyes" % (what, "yes" if len(intervals) >= 2 else len(intervals)))
f = final[-1]
for i, w in enumerate(want):
    s = f["stages"][i] if i < len(f["stages"]) else {}
    print("%s: stage %d records in\t%s\t%s" % (what, i, s.get("records_in"), w))
    print("%s: stage %d records in = --stats\t%s\t%s" % (what, i, s.get("records_in"), st[i]["records_in"]))
    print("%s: stage %d records out = --stats\t%s\t%s" % (what, i, s.get("records_out"), st[i]["records_out"]))
    print("%s: stage %d batches = --stats\t%s\t%s" % (what, i, s.get("batches"), st[i]["batches"]))
    for k in ("records_in", "records_out", "batches", "bytes"):
        total = sum(r["stages"][i][k] for r in intervals if i < len(r["stages"]))
        print("%s: stage %d %s over the intervals\t%d\t%s" % (what, i, k, total, s.get(k)))
EOF
	checks_from "$T/checks"
}

# 1. Records in, traced from the start without --stats (which alone used to
# count them), and -i: every mode.  The count stage sleeps 30 ms per batch
# so that the run spans a few intervals.
lines=$(records "$T/log")
gets=$(grep -c GET "$T/log")
Q='grep GET | count'
for mode in serial parallel pipeline multiprocess async; do
	"$RINGFLOW" --mode=$mode --stats=json "$Q" "$T/log" > /dev/null 2> "$T/stats.json"
	# -o over a longer, older file: replaced whole
	head -c 100000 /dev/zero | tr '\0' x > "$T/trace"
	RINGFLOW_TEST_SLOW_STAGE=1:30000 "$TRACE" --json -i 0.05 -o "$T/trace" -- \
		"$RINGFLOW" --mode=$mode "$Q" "$T/log" > "$T/got" 2> "$T/err"
	check_status "$mode: traced" $? 0
	check_eq "$mode: output" "$(cat "$T/got")" "$gets"
	check_eq "$mode: -o replaced the old file" "$(grep -c xxxxxxxx "$T/trace")" 0
	tally "$T/trace" "$T/stats.json" "$mode" "$lines" "$gets"
done

# csv records span lines: records in are records, as --stats and Python say
python3 -c '
import random
random.seed(7)
out = ["id,text"]
for i in range(60000):
    t = "\"a\nb,%d\"" % i if random.random() < 0.3 else "t%d" % i
    out.append("%d,%s" % (i, t))
print("\n".join(out), end="")' > "$T/csv"
rows=$(python3 -c 'import csv, sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=""))))' "$T/csv")
"$RINGFLOW" --mode=serial --stats=json 'parse csv | count' "$T/csv" > /dev/null 2> "$T/stats.json"
"$TRACE" --json -i 0.01 -o "$T/trace" -- "$RINGFLOW" --mode=serial 'parse csv | count' "$T/csv" > /dev/null 2> "$T/err"
check_status "csv: traced" $? 0
python3 - "$T/trace" "$rows" > "$T/checks" << 'EOF'
import json, sys
f = [json.loads(l) for l in open(sys.argv[1]) if '"final":true' in l][-1]
rows = int(sys.argv[2])
print("csv: parse records in\t%s\t%d" % (f["stages"][0]["records_in"], rows))
print("csv: parse records out (the header is not one)\t%s\t%d" % (f["stages"][0]["records_out"], rows - 1))
EOF
checks_from "$T/checks"

# 2. Attached mid-run, with a batch under way (the grep stage sleeps in every
# batch): each stage's numbers describe the same batches, so a filter passes
# on no more records than it took in, no thread is busy more than all the
# time, and nothing counted exceeds what the whole run did.
for mode in serial parallel pipeline multiprocess async; do
	slow=300000
	case $mode in parallel | multiprocess) slow=600000 ;; esac
	RINGFLOW_TEST_SLOW_STAGE=0:$slow "$RINGFLOW" --mode=$mode --threads=2 --stats=json "$Q" "$T/log" \
		> "$T/got" 2> "$T/stats.json" &
	pid=$!
	sleep 0.3
	timeout 60 "$TRACE" --json -p $pid > "$T/trace" 2> "$T/err"
	check_status "$mode mid-run: attached" $? 0
	wait $pid
	check_eq "$mode mid-run: output" "$(cat "$T/got")" "$gets"
	python3 - "$T/trace" "$T/stats.json" "$mode" "$lines" > "$T/checks" << 'EOF'
import json, sys
f = json.loads(open(sys.argv[1]).read())
st = json.load(open(sys.argv[2]))["stages"]
what, lines = sys.argv[3] + " mid-run", int(sys.argv[4])
print("%s: says so\t%s\tTrue" % (what, f.get("mid_run")))
g = f["stages"][0] if f["stages"] else {"records_in": 0, "records_out": 0, "batches": 0, "busy_share": 0}
print("%s: saw grep batches\t%s\tTrue" % (what, g["batches"] > 0))
print("%s: grep out %d <= in %d\t%s\tTrue" % (what, g["records_out"], g["records_in"],
      g["records_out"] <= g["records_in"]))
print("%s: grep in <= all lines\t%s\tTrue" % (what, g["records_in"] <= lines))
print("%s: batches <= --stats\t%s\tTrue" % (what, g["batches"] + g.get("unpaired_ends", 0) <= st[0]["batches"]))
for s in f["stages"]:
    print("%s: %s busy share %.4f <= 1\t%s\tTrue" % (what, s["name"], s["busy_share"], s["busy_share"] <= 1.0))
b = f["bottleneck"]["busy_share"]
print("%s: bottleneck share %.4f <= 1\t%s\tTrue" % (what, b, b <= 1.0))
EOF
	checks_from "$T/checks"
done

# 3. A command that fails before its run starts (a bad query): its failure
# and its status, not a report of a run "attached mid-run".
printf 'an old report\n' > "$T/old"
"$TRACE" -o "$T/old" -- "$RINGFLOW" 'count by' "$T/log" > "$T/out" 2> "$T/err"
check_status "bad query" $? 2
check_eq "bad query: -o leaves the old report" "$(cat "$T/old")" "an old report"
check_grep "bad query: ringflow's own message" "$T/err" "ringflow: query:"
check_grep "bad query: said as the command's failure" "$T/err" "exited with status 2 before its run started"
checks=$((checks + 1))
! grep -q "mid-run" "$T/out" "$T/err" "$T/old" || fail "bad query: reported as attached mid-run: $(cat "$T/err")"

# 4. -o: a write error is an error; a start that fails leaves an existing
# report as it was and creates no new file.
"$TRACE" -o /dev/full -- "$RINGFLOW" count "$T/log" > "$T/out" 2> "$T/err"
check_status "-o /dev/full" $? 2
check_grep "-o /dev/full: says so" "$T/err" "/dev/full: No space left on device"
check_eq "-o /dev/full: the command ran" "$(cat "$T/out")" "$lines"
sleep 30 &
sleeper=$!
printf 'an old report\n' > "$T/old"
"$TRACE" -o "$T/old" -p $sleeper > /dev/null 2> "$T/err"
check_status "-o over a report, start fails" $? 2
check_eq "-o: the old report is kept" "$(cat "$T/old")" "an old report"
"$TRACE" -o "$T/new" -p $sleeper > /dev/null 2> "$T/err"
check_status "-o to a new file, start fails" $? 2
checks=$((checks + 1))
[ ! -e "$T/new" ] || fail "-o: a failed start left $T/new behind"
kill $sleeper 2> /dev/null
wait $sleeper 2> /dev/null

# 5. The two ways of attaching: a uprobe_multi link per probe (Linux 6.6
# and later, the default) and one uprobe per call site (the fallback,
# forced by RINGFLOW_TRACE_PER_SITE=1).  Each says which it used with -v
# and counts what wc and --stats count, forked workers included (the BPF
# side finds them through task_struct offsets read from the kernel's BTF).
Q='grep GET | split | count by $9'
# uprobe_multi came with Linux 6.6: before it, the default falls back
kernel=$(uname -r | sed 's/[^0-9.].*//')
if [ "$(printf '6.6\n%s\n' "$kernel" | sort -V | head -n 1)" = 6.6 ]; then
	multi_msg="a uprobe_multi link per probe"
else
	multi_msg="one uprobe per probe site"
	echo "note: Linux $kernel has no uprobe_multi: both runs take the per-site path"
fi

for way in multi per-site; do
	if [ $way = multi ]; then
		unset RINGFLOW_TRACE_PER_SITE
		want_msg=$multi_msg
	else
		RINGFLOW_TRACE_PER_SITE=1
		export RINGFLOW_TRACE_PER_SITE
		want_msg="one uprobe per probe site"
	fi
	mode=multiprocess
	"$TRACE" -v --json -o "$T/trace" -- "$RINGFLOW" --mode=$mode --threads=2 --stats=json "$Q" "$T/log" \
		> /dev/null 2> "$T/err"
	check_status "$way $mode: traced" $? 0
	check_grep "$way $mode: says how it attached" "$T/err" "attached $want_msg"
	python3 - "$T/trace" "$T/err" "$way $mode" "$lines" "$gets" > "$T/checks" << 'EOF' ||
import json, sys
trace, err, what, lines, gets = sys.argv[1:]
final = [json.loads(l) for l in open(trace) if l.startswith("{")][-1]
# ringflow's --stats=json, among ringflow-trace's -v lines on standard error
stats = json.loads("".join(l for l in open(err) if not l.startswith(("ringflow-trace:", "libbpf:"))))
print("%s: grep's records in\t%s\t%s" % (what, final["stages"][0]["records_in"], lines))
print("%s: grep's records out\t%s\t%s" % (what, final["stages"][0]["records_out"], gets))
print("%s: split's records in\t%s\t%s" % (what, final["stages"][1]["records_in"], gets))
for i in range(3):
    for k in ("batches", "records_in", "records_out"):
        print("%s: stage %d %s = --stats\t%s\t%s" % (what, i, k, final["stages"][i][k], stats["stages"][i][k]))
    print("%s: stage %d unpaired ends\t%s\t0" % (what, i, final["stages"][i]["unpaired_ends"]))
EOF
		fail "$way $mode: cannot read the reports: $(head -c 300 "$T/trace") $(tail -c 300 "$T/err")"
	checks_from "$T/checks"
done
unset RINGFLOW_TRACE_PER_SITE

finish
