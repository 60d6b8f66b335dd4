#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/timerange.sh - --since over the last 1% of a time-ordered log (the
# generated access log): the seek to the range against a full scan
# (--seek-slack=off), and awk's scan for scale.  Goal: at least 20x faster.
#
# Writes bench/results/timerange-<host>.md and the hyperfine exports beside it.
set -eu
RUNS=${BENCH_RUNS:-5}
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
need hyperfine mawk date
REPORT=$OUT/timerange-$HOST.md

# the log's first and last times (epoch seconds), and 1% before the end
clf_epoch() { date -u -d "$(echo "$1" | sed 's/.*\[\([0-9]*\)\/\([A-Za-z]*\)\/\([0-9]*\):\([0-9:]*\) \([-+0-9]*\)\].*/\1 \2 \3 \4 \5/')" +%s; }
FIRST=$(clf_epoch "$(head -n 1 "$LOG")")
LAST=$(clf_epoch "$(tail -n 1 "$LOG")")
SINCE=$((LAST - (LAST - FIRST) / 100))
SINCE_ISO=$(date -u -d "@$SINCE" +%Y-%m-%dT%H:%M:%SZ)

cat "$LOG" > /dev/null
Q="'parse combined | count by status'"
hyperfine --style basic --output=pipe -w 1 -r "$RUNS" \
	--export-csv "$OUT/timerange.csv" --export-markdown "$OUT/timerange.md" \
	"$RINGFLOW --since=$SINCE_ISO $Q $LOG" \
	"$RINGFLOW --since=$SINCE_ISO --seek-slack=off $Q $LOG" \
	"$RINGFLOW --mode=serial --since=$SINCE_ISO $Q $LOG" \
	"$RINGFLOW --mode=serial --since=$SINCE_ISO --seek-slack=off $Q $LOG" \
	"$RINGFLOW 'parse combined | where time >= $SINCE_ISO | count by status' $LOG" \
	"$RINGFLOW --mode=serial 'parse combined | where time >= $SINCE_ISO | count by status' $LOG" > /dev/null
SEEK=$(median_of "$OUT/timerange.csv" "$RINGFLOW --since")
SCAN=$(median_of "$OUT/timerange.csv" "$RINGFLOW --since=$SINCE_ISO --seek-slack")
SEEK1=$(median_of "$OUT/timerange.csv" "$RINGFLOW --mode=serial --since=$SINCE_ISO $Q")
SCAN1=$(median_of "$OUT/timerange.csv" "$RINGFLOW --mode=serial --since=$SINCE_ISO --seek-slack")
WHERE=$(median_of "$OUT/timerange.csv" "$RINGFLOW 'parse combined | where")
WHERE1=$(median_of "$OUT/timerange.csv" "$RINGFLOW --mode=serial 'parse combined | where")
READ=$("$RINGFLOW" --stats --since="$SINCE_ISO" 'parse combined | count by status' "$LOG" 2>&1 > /dev/null |
	awk '$1 == "bytes" { print $2; exit }')
SIZE=$(wc -c < "$LOG")

{
	echo "# --since over the last 1% of a time-ordered log"
	echo
	echo "$(basename "$LOG") ($SIZE bytes, $(date -u -d "@$FIRST" +%FT%TZ) to $(date -u -d "@$LAST" +%FT%TZ)),"
	echo "\`--since=$SINCE_ISO 'parse combined | count by status'\`, median of $RUNS runs, warm cache."
	echo
	echo "| mode | seek (s) | full scan (s) | speed-up |"
	echo "|---|---|---|---|"
	echo "| auto | $SEEK | $SCAN | $(ratio "$SCAN" "$SEEK" 1)x |"
	echo "| serial | $SEEK1 | $SCAN1 | $(ratio "$SCAN1" "$SEEK1" 1)x |"
	echo
	echo "The full scan above drops records out of the range before the parse (--since reads each"
	echo "line's time cheaply). The same question as a where over every parsed record,"
	echo "\`parse combined | where time >= $SINCE_ISO | count by status\`: auto $WHERE s"
	echo "($(ratio "$WHERE" "$SEEK" 1)x the seek's time), serial $WHERE1 s ($(ratio "$WHERE1" "$SEEK1" 1)x)."
	echo
	echo "Bytes read with the seek (--stats): $READ of $SIZE ($(ratio "$((READ * 100))" "$SIZE" 2)%)."
	echo "The seek reads from 5 minutes of log time (the default --seek-slack) before the range."
	echo
	cat "$OUT/timerange.md"
} > "$REPORT"
cat "$REPORT"
