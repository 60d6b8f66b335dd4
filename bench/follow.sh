#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/follow.sh - follow mode (issue 17): how soon a written line comes out
# of `ringflow -f` (goal: at most 50 ms), the CPU a follower takes while
# nothing is written (goal: below 0.1% of a core over 60 s), and whether it
# keeps up with a writer appending an access log at 200 MB/s while counting
# by status (and how fast it follows a writer that goes as fast as it can).
# Peers: `tail -F | grep --line-buffered`, `tail -F` idle (inotify and its
# own polling), `tail -F | mawk`.  The measuring is done by
# bench/follow_bench.py (see its head for the method of each).
#
# BENCH_IDLE=SECONDS shortens the idle window (default 60), FOLLOW_RATE the
# paced writer's MB/s (default 200) and FOLLOW_SECONDS its duration (default
# 10), LAT_SECONDS the latency run (default 10).  The source log is
# `ringflow-loggen --size 2G --seed 42` (BENCH_SIZE changes it; with less
# than rate x duration the writer starts it again from the top).
# Writes bench/results/follow-<host>.md and the latency samples beside it.
set -eu
BENCH_SIZE=${BENCH_SIZE:-2G}
IDLE=${BENCH_IDLE:-60}
RATE=${FOLLOW_RATE:-200}
WSECS=${FOLLOW_SECONDS:-10}
LSECS=${LAT_SECONDS:-10}
RUNS=${BENCH_RUNS:-3}
QUIET=${BENCH_QUIET:-15}   # % of a core: wait before each measurement until the machine is that idle
QUIET_WAIT=${BENCH_QUIET_WAIT:-900}
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
need python3 tail grep mawk hyperfine
REPORT=$OUT/follow-$HOST.md
FB="python3 $HERE/follow_bench.py"
T=$(mktemp -d "$DATA/follow.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
Q='split | count by $9'
QT='split \| count by $9' # in a table
MAWK_PROG='{ c[$9]++ } END { for (k in c) print k "\t" c[k] }'
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

# val FILE KEY: the value of KEY=... in a result file ("?" when absent)
val() { v=$(sed -n "s/^$2=//p" "$1" | head -1); echo "${v:-?}"; }
mb() { awk -v b="$1" 'BEGIN { if (b == "?") print "?"; else printf "%.2f", b / 1e6 }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "?" && a + 0 <= b + 0) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "?" && a + 0 < b + 0) }'; }

cat "$LOG" > /dev/null
# quiet NAME: wait until the machine is quiet (other sessions' tests); noted in the report
quiet() {
	$FB quiet "$QUIET" "$QUIET_WAIT" > "$T/quiet-$1.txt"
	[ "$(val "$T/quiet-$1.txt" quiet)" = yes ] ||
		echo "bench: the machine is still $(val "$T/quiet-$1.txt" busy_pct)% busy; measuring $1 anyway" >&2
}

# 1. latency ------------------------------------------------------------
echo "bench: latency, $LSECS s each"
quiet lat-rf
$FB latency "$T/lat.log" "$LOG" seconds="$LSECS" raw="$OUT/follow-latency-rf.csv" \
	-- "$RINGFLOW" -f 'grep MARK' "$T/lat.log" > "$T/lat-rf.txt"
quiet lat-tail
$FB latency "$T/lat.log" "$LOG" seconds="$LSECS" raw="$OUT/follow-latency-tail.csv" \
	-- tail -n +1 -F "$T/lat.log" '|' grep --line-buffered MARK > "$T/lat-tail.txt"
rm -f "$T/lat.log"

# 2. idle CPU -------------------------------------------------------------
echo "bench: idle CPU over $IDLE s"
head -n 1000000 "$LOG" > "$T/idle.log"
quiet idle
mkdir -p "$T/state" # not beside the log: its checkpoints would wake the others, who watch that directory
$FB idle "$T/idle.log" "$IDLE" outdir="$T" \
	"rf=$RINGFLOW -f --format=tsv '$Q' $T/idle.log" \
	"rfpoll=$RINGFLOW -f --poll=1s --format=tsv '$Q' $T/idle.log" \
	"rfstate=$RINGFLOW -f --state=$T/state/idle.state --format=tsv '$Q' $T/idle.log" \
	"rfevery=$RINGFLOW -f --every=10s --format=tsv '$Q' $T/idle.log" \
	"tail=tail -n +1 -F $T/idle.log" \
	"tailpoll=tail -n +1 -F ---disable-inotify $T/idle.log" > "$T/idle.txt"
rm -f "$T/idle.log"

# 3. throughput -----------------------------------------------------------
BPS=$((RATE * 1000000))
rate() { # NAME RATE SECONDS FOLLOWER...
	name=$1 r=$2 s=$3
	shift 3
	echo "bench: throughput $name"
	quiet "$name"
	$FB rate "$T/rate.log" "$LOG" "$r" "$s" out="$T/$name.out" err="$T/$name.err" -- "$@" > "$T/$name.txt"
	rm -f "$T/rate.log"
}
rate rf-paced "$BPS" "$WSECS" "$RINGFLOW" -f --stats --format=tsv "$Q" "$T/rate.log"
rate mawk-paced "$BPS" "$WSECS" tail -n +1 -F "$T/rate.log" '|' mawk "$MAWK_PROG"
rate rf-cat 0 0 "$RINGFLOW" -f --stats --format=tsv "$Q" "$T/rate.log"
rate mawk-cat 0 0 tail -n +1 -F "$T/rate.log" '|' mawk "$MAWK_PROG"
rate rf-backlog -1 0 "$RINGFLOW" -f --format=tsv "$Q" "$T/rate.log"
# the same query over the same file without -f (follow mode is serial)
quiet read
hyperfine --style basic --output=pipe -w 1 -r "$RUNS" --export-csv "$OUT/follow-read.csv" \
	"$RINGFLOW --mode=serial '$Q' $LOG" "$RINGFLOW --mode=serial --io=read '$Q' $LOG" > /dev/null
SERIAL=$(median_of "$OUT/follow-read.csv" "$RINGFLOW --mode=serial '")
SERIAL_READ=$(median_of "$OUT/follow-read.csv" "$RINGFLOW --mode=serial --io=read")
LOGBYTES=$(wc -c < "$LOG")

# the report --------------------------------------------------------------
latrow() { # LABEL FILE
	f=$2
	echo "| $1 | $(val "$f" received)/$(val "$f" sent) | $(val "$f" median_ms) | $(val "$f" p90_ms) | $(val "$f" p99_ms) | $(val "$f" max_ms) | $(val "$f" machine_busy_pct)% |"
}
idlerow() { # LABEL NAME
	f=$T/idle.txt
	echo "| $1 | $(val "$f" "$2_pct")% ($(val "$f" "$2_ticks") ticks) | $(val "$f" "$2_sched_pct")% | $(val "$f" "$2_wakeups_per_s") |"
}
raterow() { # WRITER FOLLOWER NAME
	f=$T/$3.txt
	case $3 in *backlog) w="(all there at start)" ;; *) w="$(val "$f" writer_mbs)" ;; esac
	lagw=$(val "$f" lag_at_writer_end)
	lagr="$(mb "$(val "$f" lag_median)") / $(mb "$(val "$f" lag_max)") MB"
	case $3 in *backlog) lagw="-" lagr="-" ;; *) lagw="$(mb "$lagw") MB" ;; esac
	echo "| $1 | $2 | $(mb "$(val "$f" bytes)") | $w | **$(val "$f" reader_mbs)** | $(val "$f" reader_cpu_pct)% | $lagr | $lagw | $(val "$f" catchup_after_writer_ms) ms | $(val "$f" count) / $(val "$f" lines) $(val "$f" count_ok) | $(val "$f" machine_busy_pct)% |"
}
rf_p99=$(val "$T/lat-rf.txt" p99_ms)
rf_max=$(val "$T/lat-rf.txt" max_ms)
rf_idle=$(val "$T/idle.txt" rf_pct)
rf_idle_s=$(val "$T/idle.txt" rf_sched_pct)
paced=$T/rf-paced.txt
{
	echo "# ringflow follow-mode benchmark"
	echo
	echo "Generated by \`bench/follow.sh\` on $(date -u +%Y-%m-%d)."
	echo
	echo "- CPU: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores; kernel $(uname -r)"
	echo "- Followed files on $(findmnt -n -o FSTYPE -T "$T" 2> /dev/null || stat -f -c %T "$T") (page cache: every followed file is written during the run; the source log read once before)"
	echo "- Tools: $(tail --version | head -1), $(grep --version | head -1), mawk $(mawk -W version 2>&1 | head -1 | cut -d' ' -f2-), Python $(python3 -c 'import sys; print(sys.version.split()[0])')"
	echo "- Source log: \`ringflow-loggen --size $SIZE --seed 42\` ($LOGBYTES bytes)"
	echo "- Load: load average $LOAD0 at the start; \"machine\" columns give the whole machine's busy"
	echo "  CPU (% of one core, of $(nproc)) over each measurement, the measured processes included"
	echo "- Before each measurement the script waited until the machine was busy less than ${QUIET}% of a core"
	echo "  over 2 s (other sessions share it); waits (s): $(for f in "$T"/quiet-*.txt; do n=${f##*/quiet-}; printf '%s %s%s, ' "${n%.txt}" "$(val "$f" waited_s)" "$([ "$(val "$f" quiet)" = yes ] || echo ' (gave up)')"; done | sed 's/, $//')"
	echo "- MB = 10^6 bytes"
	echo
	echo "## Latency: a line appended to the file until it is read from the follower's output"
	echo
	echo "A writer process appends, every 20 ms for $LSECS s, 20 lines of the access log and then a line"
	echo "\`MARK <seq> <CLOCK_MONOTONIC ns>\` (two writes); the follower's standard output is a pipe"
	echo "read by \`bench/follow_bench.py\`, which takes the time each mark comes out of it."
	echo "The file holds 1 MiB of the log when the follower starts; the timing begins once a first"
	echo "mark has come through.  Samples: \`follow-latency-rf.csv\`, \`follow-latency-tail.csv\`."
	echo
	echo "| follower | marks | median ms | p90 ms | p99 ms | max ms | machine |"
	echo "|---|---|---|---|---|---|---|"
	latrow "\`ringflow -f 'grep MARK' FILE\`" "$T/lat-rf.txt"
	latrow "\`tail -n +1 -F FILE \\| grep --line-buffered MARK\`" "$T/lat-tail.txt"
	echo
	if le "$rf_max" 50; then
		echo "Goal (at most 50 ms): **met**, the slowest of $(val "$T/lat-rf.txt" received) marks took ${rf_max} ms."
	elif le "$rf_p99" 50; then
		echo "Goal (at most 50 ms): **met at p99** (${rf_p99} ms), **not by every line**: the slowest took ${rf_max} ms."
	else
		echo "Goal (at most 50 ms): **not met**: p99 ${rf_p99} ms, max ${rf_max} ms."
	fi
	echo
	echo "## Idle CPU: no write for $(val "$T/idle.txt" seconds) s"
	echo
	echo "Each follower first reads a file of $(val "$T/idle.txt" lines) lines (ringflow: \`-f '$Q'\`),"
	echo "then nothing is written for the window; the six run side by side (an idle process"
	echo "does not disturb another).  CPU from utime+stime in /proc/PID/stat (ticks of"
	echo "1/$(getconf CLK_TCK) s), and from the scheduler's run time (/proc/PID/task/*/schedstat, ns);"
	echo "wake-ups are voluntary context switches (an fsync of --state counts too).  Machine busy over the window:"
	echo "$(val "$T/idle.txt" machine_busy_pct)% of a core (load average $(val "$T/idle.txt" load_before) before, $(val "$T/idle.txt" load_after) after)."
	echo
	echo "| follower | CPU, % of a core (stat) | CPU (schedstat) | voluntary switches/s (wake-ups) |"
	echo "|---|---|---|---|"
	idlerow "ringflow -f (inotify)" rf
	idlerow "ringflow -f --poll=1s" rfpoll
	idlerow "ringflow -f --state=FILE (checkpoint each 5 s, when something moved)" rfstate
	idlerow "ringflow -f --every=10s (a snapshot each 10 s)" rfevery
	idlerow "tail -F (inotify)" tail
	idlerow "tail -F ---disable-inotify (polls each 1 s)" tailpoll
	echo
	if lt "$rf_idle" 0.1 && lt "$rf_idle_s" 0.1; then
		echo "Goal (below 0.1% of a core): **met** ($rf_idle% by utime+stime, $rf_idle_s% by the scheduler)."
	else
		echo "Goal (below 0.1% of a core): **not met** ($rf_idle% by utime+stime, $rf_idle_s% by the scheduler)."
	fi
	echo "After the window each ringflow was stopped (SIGTERM) and its counts summed:"
	echo "inotify $(val "$T/idle.txt" rf_count) ($(val "$T/idle.txt" rf_count_ok)), --poll=1s $(val "$T/idle.txt" rfpoll_count) ($(val "$T/idle.txt" rfpoll_count_ok)),"
	echo "--state $(val "$T/idle.txt" rfstate_count) ($(val "$T/idle.txt" rfstate_count_ok)), --every (final snapshot) $(val "$T/idle.txt" rfevery_count) ($(val "$T/idle.txt" rfevery_count_ok)) of $(val "$T/idle.txt" lines) lines."
	echo
	echo "## Throughput: counting by status while a writer appends"
	echo
	echo "The follower starts on an empty file; a writer appends the source log to it: paced"
	echo "(${RATE} MB/s for ${WSECS} s, in writes of 64 KiB to 1 MiB cut at a line's end, sleeping to"
	echo "keep the rate), or \`cat LOG >> FILE\` as fast as it goes, or (backlog) the whole log is"
	echo "in the file before the follower starts (each run after a \`sync\`).  The bytes taken in"
	echo "are the last stage's rchar (/proc/PID/io) since it started, sampled every 10 ms; ringflow's"
	echo "rchar also counts its 1 KiB reads of a file's start, made before each read to catch a"
	echo "truncation ($(mb "$(val "$paced" other_reads)") MB in the paced run), which are taken out in proportion"
	echo "to its read calls.  The lag is the file's size minus the bytes taken in (median and max"
	echo "while the writer runs, and at its end).  Once the writer has stopped, the follower has"
	echo "caught up when its rchar stops moving; its MB/s is the file's size over the time from the"
	echo "writer's start to then.  Then the first stage gets SIGTERM and the counts it printed are"
	echo "summed against \`wc -l\` of the file.  The unpaced writer's speed depends on the disk's"
	echo "writeback (a virtual disk shared with other work): the figure to read there is whether the"
	echo "follower was behind when \`cat\` ended."
	echo
	echo "| writer | follower | MB | writer MB/s | follower MB/s | follower CPU | lag median / max | lag at writer's end | caught up after writer's end | count / lines | machine |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	raterow "paced ${RATE} MB/s" "\`ringflow -f '$QT'\`" rf-paced
	raterow "paced ${RATE} MB/s" "\`tail -F \\| mawk '{ c[\$9]++ } ...'\`" mawk-paced
	raterow "cat, unpaced" "\`ringflow -f '$QT'\`" rf-cat
	raterow "cat, unpaced" "\`tail -F \\| mawk '{ c[\$9]++ } ...'\`" mawk-cat
	raterow "backlog" "\`ringflow -f '$QT'\`" rf-backlog
	echo
	mbs() { awk -v b="$LOGBYTES" -v s="$1" 'BEGIN { if (s > 0) printf "%.0f", b / s / 1e6; else print "?" }'; }
	echo "Without -f, \`ringflow --mode=serial '$Q'\` reads the same log in ${SERIAL}s"
	echo "($(mbs "$SERIAL") MB/s; its I/O chosen by itself), with --io=read (pread, as follow mode reads)"
	echo "in ${SERIAL_READ}s ($(mbs "$SERIAL_READ") MB/s): medians of $RUNS, hyperfine (\`follow-read.csv\`)."
	if [ "$(val "$T/rf-cat.txt" lag_at_writer_end)" = 0 ]; then
		echo "ringflow kept up with \`cat\` itself (nothing left to read when it ended): its follow rate"
		echo "is at least $(val "$T/rf-cat.txt" reader_mbs) MB/s; the backlog row is its rate when the data is there."
	fi
	echo
	wmbs=$(val "$paced" writer_mbs)
	kept=no
	if [ "$(val "$paced" count_ok)" = yes ] && [ "$(val "$paced" caught_up)" = yes ] &&
		awk -v l="$(val "$paced" lag_at_writer_end)" -v r="$wmbs" 'BEGIN { exit !(l != "?" && l <= r * 1e5) }'; then
		kept=yes
	fi
	if ! awk -v a="$wmbs" -v r="$RATE" 'BEGIN { exit !(a >= 0.97 * r) }'; then
		echo "Goal (keep up with ${RATE} MB/s while counting by status): **not tested**: the writer reached only"
		echo "$wmbs MB/s (the machine was busy); at that rate ringflow kept up: $kept."
	elif [ $kept = yes ]; then
		echo "Goal (keep up with ${RATE} MB/s while counting by status): **met**: the writer wrote $wmbs MB/s,"
		echo "ringflow was $(mb "$(val "$paced" lag_at_writer_end)") MB behind when it stopped (at most 0.1 s of its writing)"
		echo "and caught up $(val "$paced" catchup_after_writer_ms) ms later: $(val "$paced" reader_mbs) MB/s over the run; counts exact."
	else
		echo "Goal (keep up with ${RATE} MB/s while counting by status): **not met**: $(val "$paced" reader_mbs) MB/s"
		echo "against the writer's $wmbs, $(mb "$(val "$paced" lag_at_writer_end)") MB behind when the writer stopped, counts exact: $(val "$paced" count_ok)."
	fi
	echo
	echo "ringflow's own --stats (paced run):"
	echo
	echo '```'
	grep -E '^  (follow|bytes|records|batches|pool|elapsed) ' "$T/rf-paced.err" || echo "(none)"
	echo '```'
	for n in rf-paced mawk-paced rf-cat mawk-cat rf-backlog; do
		h=$(val "$T/$n.txt" hung)
		[ "$h" = none ] || echo "**$n: $h did not end within 120 s of SIGTERM (killed).**"
		[ "$(val "$T/$n.txt" caught_up)" = yes ] || echo "**$n: not caught up ($(val "$T/$n.txt" lag_left) bytes left).**"
	done
	for n in rf rfpoll rfstate rfevery tail tailpoll; do
		[ "$(val "$T/idle.txt" "${n}_hung")" = no ] || echo "**idle $n: did not end on SIGTERM (killed).**"
	done
} > "$REPORT"
sed "s|$RINGFLOW|ringflow|g; s|$T/||g; s|$DATA/||g" "$REPORT" > "$REPORT.tmp" && mv "$REPORT.tmp" "$REPORT"
cat "$REPORT"
