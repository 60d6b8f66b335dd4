#!/bin/sh
# SPDX-License-Identifier: MIT
# trace3.sh - ringflow-trace's two ways of attaching: a uprobe_multi link
# per probe (Linux 6.6 and later, the default) and one uprobe per probe
# site (the fallback, forced by RINGFLOW_TRACE_PER_SITE=1).  Each must say
# which it used with -v, and count what wc and --stats count, forked
# workers included (the BPF side finds them through task_struct offsets
# read from the kernel's BTF).  Needs root; 3 traced runs (about 5 s, more on a busy machine).
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

"$LOGGEN" --size 4M --seed 16 > "$T/log"
lines=$(wc -l < "$T/log" | tr -d ' ')
gets=$(grep -c GET "$T/log")
Q='grep GET | split | count by $9'

# Can this machine attach uprobes at all (a container may forbid it)?
"$TRACE" -o "$T/probe.txt" -- "$RINGFLOW" count "$T/log" > /dev/null 2> "$T/probe"
rc=$?
if [ $rc = 2 ] && grep -q "cannot attach\|not allowed\|cannot load\|CAP_SYS_ADMIN\|BTF\|uprobe" "$T/probe"; then
	echo "skip: ringflow-trace cannot attach here: $(head -c 300 "$T/probe")"
	exit 77
fi

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
	for mode in multiprocess; do
		"$TRACE" -v --json -o "$T/trace" -- "$RINGFLOW" --mode=$mode --threads=2 --stats=json "$Q" "$T/log" \
			> "$T/got" 2> "$T/err"
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
		while IFS='	' read -r what got want; do
			check_eq "$what" "$got" "$want"
		done < "$T/checks"
	done
done
unset RINGFLOW_TRACE_PER_SITE

finish
