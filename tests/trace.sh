#!/bin/sh
# SPDX-License-Identifier: MIT
# trace.sh - ringflow-trace against the engine's own --stats: the same
# batches and records per stage in serial and pipeline modes, a stage made
# slow named as the bottleneck, attach by pid (from the start and mid-run),
# intervals, and a clear exit 2 for what it cannot do.
. "${SRCDIR:-.}/tests/lib.sh"

if [ ! -x "${TRACE:-}" ]; then
	echo "skip: ringflow-trace was not built (configure says why)"
	exit 77
fi

# field FILE STAGE NAME: a number from stage STAGE's object in a JSON report
# (the --stats one or ringflow-trace's: both list stages first)
field() {
	sed 's/.*"stages":\[//' "$1" | tr '}' '\n' | sed -n "$(($2 + 1))p" |
		sed -n "s/.*\"$3\":\([0-9]*\).*/\1/p"
}
bottleneck() {
	sed -n 's/.*"bottleneck":{"stage":[0-9a-z]*,"name":"\([^"]*\)".*/\1/p' "$1"
}

# Without CAP_SYS_ADMIN: a message naming it, exit 2, before anything runs.
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$TRACE" -- "$RINGFLOW" count /dev/null > "$T/out" 2> "$T/err"
	check_status "unprivileged" $? 2
	check_grep "unprivileged: says what is missing" "$T/err" "needs CAP_SYS_ADMIN"
fi
if [ "$(id -u)" != 0 ]; then
	"$TRACE" -- "$RINGFLOW" count /dev/null > "$T/out" 2> "$T/err"
	check_status "unprivileged" $? 2
	check_grep "unprivileged: says what is missing" "$T/err" "needs CAP_SYS_ADMIN"
	echo "skip: the rest needs root"
	finish
fi

"$LOGGEN" --size 20M --seed 12 > "$T/log"
Q='grep GET | split | count by $9'
"$RINGFLOW" "$Q" "$T/log" > "$T/want"

# Can this machine attach uprobes at all (a container may forbid it)?
"$TRACE" --json -- "$RINGFLOW" count "$T/log" > "$T/out" 2> "$T/probe"
rc=$?
if [ $rc = 2 ] && grep -q "cannot attach\|not allowed\|cannot load\|CAP_SYS_ADMIN\|BTF\|uprobe" "$T/probe"; then
	echo "skip: ringflow-trace cannot attach here: $(head -c 300 "$T/probe")"
	exit 77
fi
check_status "trace of a count" $rc 0

# Traced from the first batch: the tool counts what --stats counts (in
# multiprocess mode, the forked workers' batches).
for mode in serial pipeline multiprocess; do
	"$TRACE" --json -o "$T/trace" -- "$RINGFLOW" --mode=$mode --stats=json "$Q" "$T/log" \
		> "$T/got" 2> "$T/stats"
	check_status "$mode: traced run" $? 0
	check_same "$mode: output unchanged under tracing" "$T/got" "$T/want"
	check_grep "$mode: mode seen" "$T/trace" "\"mode\":\"$mode\""
	for stage in 0 1 2; do
		for f in batches records_in records_out; do
			check_eq "$mode: stage $stage $f = --stats" "$(field "$T/trace" $stage $f)" \
				"$(field "$T/stats" $stage $f)"
		done
		check_eq "$mode: stage $stage traced from its first batch" "$(field "$T/trace" $stage unpaired_ends)" 0
	done
	check_grep "$mode: stage names" "$T/trace" '"id":1,"name":"split"'
	# and the plain-text report says the same in words
	"$TRACE" -o "$T/text" -- "$RINGFLOW" --mode=$mode "$Q" "$T/log" > /dev/null
	check_grep "$mode: text report" "$T/text" "stage 1 split: $(field "$T/stats" 1 batches) batches"
	check_grep "$mode: text report names a bottleneck" "$T/text" "bottleneck: "
done

# Compressed input: a decode row per codec, whose bytes are those of zcat
# and of the compressed files, in every mode; none over a plain file.
# decoded FILE CODEC NAME: a number from that codec's decode object
decoded() {
	sed -n 's/.*"decode":\[\(.*\)\],"bottleneck".*/\1/p' "$1" | tr '}' '\n' |
		grep "\"codec\":\"$2\"" | sed -n "s/.*\"$3\":\([0-9]*\).*/\1/p"
}
"$LOGGEN" --size 3M --seed 41 > "$T/zlog"
"$LOGGEN" --size 2M --seed 42 > "$T/zlog2"
gzip -6 -c "$T/zlog" > "$T/z1.gz"
gzip -1 -c "$T/zlog2" > "$T/z2.gz"
# zstd when both the tool and this build have it (a build without libzstd
# refuses .zst with exit 2, which tests elsewhere check)
zstd_ok=
if command -v zstd > /dev/null; then
	zstd -q -3 -c "$T/zlog" > "$T/z1.zst"
	zstd -q -19 -c "$T/zlog2" > "$T/z2.zst"
	if "$RINGFLOW" count "$T/z1.zst" > /dev/null 2> "$T/zerr"; then
		zstd_ok=1
	else
		echo "note: no zstd in this build ($(head -c 200 "$T/zerr")): its decode rows are not checked"
	fi
fi
check_grep "plain file: no decode row" "$T/trace" '"decode":[]'
for run in serial:gzip:z1.gz pipeline:gzip:z1.gz parallel:gzip:z1.gz:z2.gz multiprocess:gzip:z2.gz:z1.gz \
	serial:zstd:z1.zst parallel:zstd:z1.zst:z2.zst; do
	mode=${run%%:*} rest=${run#*:}
	codec=${rest%%:*} files=$(echo "${rest#*:}" | tr : ' ')
	if [ "$codec" = zstd ] && [ -z "$zstd_ok" ]; then
		continue
	fi
	set --
	for f in $files; do
		set -- "$@" "$T/$f"
	done
	"$TRACE" --json -o "$T/ztrace" -- "$RINGFLOW" --mode=$mode --threads=2 "$Q" "$@" > "$T/got"
	check_status "$mode $files: traced" $? 0
	# the oracle: the tools of each format, and the files' own sizes
	case $codec in gzip) gzip -dc "$@" ;; zstd) zstd -dcq "$@" ;; esac > "$T/zplain"
	"$RINGFLOW" "$Q" "$T/zplain" > "$T/zwant"
	check_same "$mode $files: output" "$T/got" "$T/zwant"
	check_eq "$mode $files: decompressed bytes = ${codec}'s" "$(decoded "$T/ztrace" $codec out_bytes)" \
		"$(wc -c < "$T/zplain" | tr -d ' ')"
	check_eq "$mode $files: compressed bytes = the files'" "$(decoded "$T/ztrace" $codec in_bytes)" \
		"$(cat "$@" | wc -c | tr -d ' ')"
	chunks=$(decoded "$T/ztrace" $codec chunks)
	checks=$((checks + 1))
	[ "${chunks:-0}" -ge 1 ] || fail "$mode $files: $chunks chunks decoded"
done
# count does next to nothing per batch: decoding is what holds it back
# (40 MB, so that the run lasts well past the tracer's start on a busy
# machine: a few milliseconds of it could show either side)
"$LOGGEN" --size 40M --seed 43 | gzip -1 -c > "$T/zbig.gz"
"$TRACE" -o "$T/text" -- "$RINGFLOW" count "$T/zbig.gz" > /dev/null
checks=$((checks + 1))
grep -q "^decode gzip: [1-9][0-9]* chunks, .* compressed, .* decompressed, busy [0-9.]* s" "$T/text" ||
	fail "text report: no decode row in: $(head -c 400 "$T/text")"
check_grep "text report: decoding is the bottleneck of a count" "$T/text" "bottleneck: decode: the gzip decoder"
# and a stage that sleeps 20 ms per batch is, whatever the decoder does
RINGFLOW_TEST_SLOW_STAGE=1:20000 "$TRACE" --json -o "$T/ztrace" -- "$RINGFLOW" --mode=pipeline "$Q" "$T/z1.gz" \
	> /dev/null
check_eq "a slowed stage over .gz is the bottleneck" "$(bottleneck "$T/ztrace")" split

# A stage that sleeps 20 ms per batch (a test hook in the engine) is the
# bottleneck, whichever it is and in either mode.
for mode in serial pipeline; do
	for slow in 0:grep 1:split 2:count; do
		RINGFLOW_TEST_SLOW_STAGE="${slow%%:*}:20000" "$TRACE" --json -o "$T/trace" -- \
			"$RINGFLOW" --mode=$mode "$Q" "$T/log" > "$T/got"
		check_eq "$mode: stage $slow slowed is the bottleneck" "$(bottleneck "$T/trace")" "${slow#*:}"
		check_same "$mode: slowed output" "$T/got" "$T/want"
	done
done

# Attach by pid to a ringflow that is waiting for its input.
{ sleep 2; cat "$T/log"; } | "$RINGFLOW" --mode=pipeline --stats=json "$Q" > "$T/got" 2> "$T/stats" &
sleep 0.5
pid=$(pgrep -n -f "ringflow --mode=pipeline --stats=json")
timeout 60 "$TRACE" --json -p "$pid" > "$T/trace" 2> "$T/err"
check_status "attach by pid" $? 0
wait
check_same "attached: output" "$T/got" "$T/want"
for stage in 0 1 2; do
	check_eq "attached: stage $stage batches = --stats" "$(field "$T/trace" $stage batches)" \
		"$(field "$T/stats" $stage batches)"
done

# Attach mid-run: half the input is through before the trace starts.  The
# tool sees only the second half, says so, and does not fail.
half=$(($(wc -c < "$T/log") / 2))
{ head -c $half "$T/log"; sleep 2; tail -c +$((half + 1)) "$T/log"; } |
	"$RINGFLOW" --mode=serial --stats=json "$Q" > "$T/got" 2> "$T/stats" &
sleep 1
pid=$(pgrep -n -f "ringflow --mode=serial --stats=json")
timeout 60 "$TRACE" -p "$pid" > "$T/text" 2> "$T/err"
check_status "mid-run attach" $? 0
wait
check_same "mid-run: output" "$T/got" "$T/want"
seen=$(sed -n 's/^stage 0 grep: \([0-9]*\) batches.*/\1/p' "$T/text")
all=$(field "$T/stats" 0 batches)
checks=$((checks + 1))
if [ -z "$seen" ] || [ "$seen" -le 0 ] || [ "$seen" -ge "$all" ]; then
	fail "mid-run: saw '$seen' of $all batches: want some, not all"
fi
check_grep "mid-run: says it attached mid-run" "$T/text" "(attached mid-run)"

# -i: reports per interval, then the final one; the intervals add up to no
# more than the whole.
RINGFLOW_TEST_SLOW_STAGE=1:100000 "$TRACE" --json -i 0.3 -o "$T/trace" -- \
	"$RINGFLOW" --mode=serial "$Q" "$T/log" > /dev/null
intervals=$(grep -c '"final":false' "$T/trace")
checks=$((checks + 1))
[ "$intervals" -ge 2 ] || fail "-i 0.3 over a run of about 1 s: $intervals interval reports"
check_eq "-i: one final report" "$(grep -c '"final":true' "$T/trace")" 1
sum=0
for n in $(grep '"final":false' "$T/trace" | sed 's/.*"stages":\[//' | tr '}' '\n' | grep '"id":1,' |
	sed 's/.*"batches":\([0-9]*\).*/\1/'); do
	sum=$((sum + n))
done
total=$(grep '"final":true' "$T/trace" > "$T/final"; field "$T/final" 1 batches)
checks=$((checks + 1))
[ "$sum" -gt 0 ] && [ "$sum" -le "$total" ] || fail "-i: intervals add up to $sum of $total batches"

# The traced command's exit status is the tool's.
"$TRACE" -- "$RINGFLOW" 'count by' "$T/log" > /dev/null 2> "$T/err"
check_status "a bad query under trace" $? 2

# What it cannot trace: a clear message and exit 2.
"$TRACE" -p 999999999 > /dev/null 2> "$T/err"
check_status "no such process" $? 2
sleep 30 &
"$TRACE" -p $! > /dev/null 2> "$T/err"
check_status "a process that is not ringflow" $? 2
check_grep "not ringflow: says so" "$T/err" "has no ringflow:"
kill $! 2> /dev/null
"$TRACE" -i 0 -p 1 > /dev/null 2> "$T/err"
check_status "-i 0" $? 2
"$TRACE" > /dev/null 2> "$T/err"
check_status "nothing to trace" $? 2

finish
