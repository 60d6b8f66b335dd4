#!/bin/sh
# SPDX-License-Identifier: MIT
# timerange.sh - --since / --until against a Python filter: combined logs
# across a month's end (a byte comparison of "01/Nov" and "31/Oct" is
# wrong), out-of-order times, ISO, epoch and syslog stamps at the line's
# start with fractions and zones, lines without a time (dropped, counted),
# zone-less times in --tz, relative times against RINGFLOW_TEST_NOW;
# every mode and backend give the same bytes.
. "${SRCDIR:-.}/tests/lib.sh"

# a combined log from 23:57 on October 31 into November 1, then with
# neighbouring lines swapped so that times step back (as Apache writes %t)
"$LOGGEN" --lines 60000 --seed 5 --start 1793404620 > "$T/clf.log"
python3 - "$T/clf.log" "$T/shuffled.log" << 'EOF2'
import random, sys
random.seed(2)
lines = open(sys.argv[1]).readlines()
for i in range(0, len(lines) - 40, 7):
    j = i + random.randrange(1, 40)
    lines[i], lines[j] = lines[j], lines[i]
open(sys.argv[2], "w").writelines(lines)
EOF2

# lines with their time at the start: ISO (fractions, zones, a space or T),
# epoch s and ms, syslog (this year), and some with none
python3 - "$T/start.log" << 'EOF2'
import random, sys, datetime as dt
random.seed(3)
UTC = dt.timezone.utc
base = int(dt.datetime(2026, 10, 31, 22, 0, tzinfo=UTC).timestamp())
out = []
for i in range(20000):
    t = base + random.randrange(4 * 3600) + random.randrange(1000) / 1000
    d = dt.datetime.fromtimestamp(t, UTC)
    k = random.randrange(7)
    if k == 0:
        s = d.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    elif k == 1:
        o = random.choice([-300, -30, 60, 330])
        l = d + dt.timedelta(minutes=o)
        s = l.strftime("%Y-%m-%d %H:%M:%S") + " %s%02d%02d" % ("-" if o < 0 else "+", abs(o) // 60, abs(o) % 60)
    elif k == 2:
        s = d.strftime("%Y-%m-%d %H:%M:%S")
    elif k == 3:
        s = "%d" % int(t)
    elif k == 4:
        s = "%d" % int(t * 1000)
    elif k == 5:
        s = "[" + d.strftime("%d/%b/%Y:%H:%M:%S +0000") + "]"
    else:
        s = random.choice(["no time here", "-", "2026-13-01T00:00:00Z", ""])
    out.append("%s level=info n=%d\n" % (s, i))
open(sys.argv[1], "w").writelines(out)
EOF2

# the oracle: the lines whose time is in [since, until)
cat > "$T/filter.py" << 'EOF2'
import re, sys, datetime as dt
UTC = dt.timezone.utc
path, since, until = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
def when(line):
    m = re.search(r"\[(\d\d/\w\w\w/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\]", line)
    if m and (line.startswith("[") or not re.match(r"\d{4}-|\d{9}", line)):
        return dt.datetime.strptime(m.group(1), "%d/%b/%Y:%H:%M:%S %z").timestamp()
    m = re.match(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d(?:\.\d+)?)(Z| [+-]\d{4})?(?= |$)", line)
    if m:
        z = m.group(3) or "Z"
        z = "+00:00" if z == "Z" else z.strip()[:3] + ":" + z.strip()[3:]
        try:
            return dt.datetime.fromisoformat(m.group(1) + "T" + m.group(2) + z).timestamp()
        except ValueError:
            return None
    m = re.match(r"(\d{9,14}) ", line)
    if m:
        v = int(m.group(1))
        return v / 1000 if len(m.group(1)) >= 12 else v
    return None
for line in open(path):
    t = when(line)
    if t is not None and since <= t < until:
        sys.stdout.write(line)
EOF2

epoch() { python3 -c "import datetime as d, sys; print(d.datetime.fromisoformat(sys.argv[1]).timestamp())" "$1"; }

# since and until as given to ringflow, and as epochs for the oracle
while read -r file args; do
	set -- $args
	since=$1 until=$2 s_ep=$(epoch "$3") u_ep=$(epoch "$4")
	python3 "$T/filter.py" "$T/$file" "$s_ep" "$u_ep" > "$T/want"
	for mode in serial parallel pipeline multiprocess async; do
		for io in read mmap; do
			"$RINGFLOW" --mode=$mode --io=$io --buffer-size=64K --since="$since" --until="$until" \
				'grep -v zzzz' "$T/$file" > "$T/got" 2> "$T/err"
			check_same "$file --since=$since --until=$until, $mode, $io" "$T/got" "$T/want"
		done
	done
	# a pipe and compressed input: no seek, the same filter
	cat "$T/$file" | "$RINGFLOW" --since="$since" --until="$until" 'grep -v zzzz' > "$T/got" 2> "$T/err"
	check_same "$file --since=$since --until=$until, a pipe" "$T/got" "$T/want"
	if gzip -c "$T/$file" > "$T/$file.gz" 2> /dev/null; then
		"$RINGFLOW" --since="$since" --until="$until" 'grep -v zzzz' "$T/$file.gz" > "$T/got" 2> "$T/err"
		check_same "$file --since=$since --until=$until, gzip" "$T/got" "$T/want"
	fi
done << 'EOF2'
clf.log 2026-10-31T23:59:30 2026-11-01T00:01:00 2026-10-31T23:59:30+00:00 2026-11-01T00:01:00+00:00
shuffled.log 31/Oct/2026:23:58:10 01/Nov/2026:00:00:20 2026-10-31T23:58:10+00:00 2026-11-01T00:00:20+00:00
start.log 2026-10-31T23:00:00.500Z 2026-11-01T01:00:00+01:00 2026-10-31T23:00:00.5+00:00 2026-11-01T00:00:00+00:00
start.log 2026-11-01 2026-11-01T00:30 2026-11-01T00:00:00+00:00 2026-11-01T00:30:00+00:00
EOF2

# parse combined: the range on its time field, then the query
python3 "$T/filter.py" "$T/shuffled.log" "$(epoch 2026-10-31T23:59:00+00:00)" "$(epoch 2026-11-01T00:00:30+00:00)" |
	awk '{ n[$9]++ } END { for (s in n) print s "\t" n[s] }' | sort > "$T/want"
for mode in serial parallel pipeline multiprocess; do
	"$RINGFLOW" --mode=$mode --format=tsv --since=2026-10-31T23:59 --until=2026-11-01T00:00:30 \
		'parse combined | count by status' "$T/shuffled.log" 2> "$T/err" | tail -n +2 | sort > "$T/got"
	check_same "parse combined | count by status, $mode" "$T/got" "$T/want"
done

# zone-less times are on --tz's clock; --stats counts what was dropped
python3 "$T/filter.py" "$T/start.log" "$(epoch 2026-11-01T00:00:00+00:00)" "$(epoch 2026-11-01T00:45:00+00:00)" > "$T/want"
"$RINGFLOW" --tz=Asia/Kolkata --since='2026-11-01 05:30' --until='2026-11-01 06:15' --stats 'grep -v zzzz' \
	"$T/start.log" > "$T/got" 2> "$T/err"
check_same "zone-less times in --tz=Asia/Kolkata" "$T/got" "$T/want"
none=$(python3 "$T/filter.py" "$T/start.log" -1e18 1e18 | wc -l)
none=$(( $(wc -l < "$T/start.log") - none ))
check_grep "--stats: records without a time" "$T/err" "$none without a time dropped"

# relative times against a fixed present: 00:30 on November 1, UTC
now=$(epoch 2026-11-01T00:30:00+00:00)
now=${now%.*}
while read -r since until s_iso u_iso tz; do
	python3 "$T/filter.py" "$T/start.log" "$(epoch "$s_iso")" "$(epoch "$u_iso")" > "$T/want"
	RINGFLOW_TEST_NOW=$now "$RINGFLOW" --tz="$tz" --since="$since" --until="$until" 'grep -v zzzz' \
		"$T/start.log" > "$T/got" 2> "$T/err"
	check_same "--since=$since --until=$until --tz=$tz (now 00:30Z)" "$T/got" "$T/want"
done << 'EOF2'
1h 30m 2026-10-31T23:30:00+00:00 2026-11-01T00:00:00+00:00 UTC
90m now 2026-10-31T23:00:00+00:00 2026-11-01T00:30:00+00:00 UTC
yesterday today 2026-10-31T00:00:00+00:00 2026-11-01T00:00:00+00:00 UTC
today now 2026-11-01T00:00:00+01:00 2026-11-01T00:30:00+00:00 Europe/Berlin
today now 2026-10-31T00:00:00-04:00 2026-11-01T00:30:00+00:00 America/New_York
EOF2

# the seek: on a time-ordered 20 MB log, --since over its last 1% reads a
# small part of it, with the bytes a full scan prints, in every mode and
# backend; --until too; and a file whose times step back by more than the
# slack (the log twice) is read whole, with a full scan's answer
"$LOGGEN" --size 20M --seed 7 --start 1793404800 > "$T/big.log"
last=$(tail -n 1 "$T/big.log" | sed 's/.*\[\([^]]*\)\].*/\1/')
lastep=$(python3 -c "import datetime as d, sys; print(int(d.datetime.strptime(sys.argv[1], '%d/%b/%Y:%H:%M:%S %z').timestamp()))" "$last")
firstep=1793404800
since=$((lastep - (lastep - firstep) / 100))
size=$(wc -c < "$T/big.log")
python3 "$T/filter.py" "$T/big.log" "$since" 1e18 | awk '{ n[$9]++ } END { for (s in n) print s "\t" n[s] }' | sort > "$T/want"
for mode in serial parallel pipeline multiprocess; do
	for io in read mmap; do
		"$RINGFLOW" --mode=$mode --io=$io --format=tsv --stats --seek-slack=10s --since="$since" \
			'parse combined | count by status' "$T/big.log" 2> "$T/err" | tail -n +2 | sort > "$T/got"
		check_same "seek, --since over the last 1%, $mode, $io" "$T/got" "$T/want"
		read_bytes=$(awk '$1 == "bytes" { print $2; exit }' "$T/err")
		checks=$((checks + 1))
		[ -n "$read_bytes" ] && [ "$read_bytes" -lt $((size / 10)) ] ||
			fail "seek, $mode, $io: read ${read_bytes:-?} of $size bytes"
		check_grep "seek, $mode, $io: --stats" "$T/err" "bytes skipped by the seek"
	done
done
mid=$(( (firstep + lastep) / 2 ))
for f in big.log shuffled.log; do
	for range in "--since=$mid --until=$((mid + 60))" "--until=$((firstep + 30))" \
		"--since=2026-10-31T23:59:50 --until=2026-11-01T00:00:10"; do
		"$RINGFLOW" --seek-slack=off $range 'grep -v zzzz' "$T/$f" > "$T/want" 2> "$T/err"
		for mode in serial multiprocess; do
			"$RINGFLOW" --mode=$mode --seek-slack=1m $range 'grep -v zzzz' "$T/$f" > "$T/got" 2> "$T/err"
			check_same "seek $f $range, $mode" "$T/got" "$T/want"
		done
	done
done
cat "$T/big.log" "$T/big.log" > "$T/twice.log"
"$RINGFLOW" --seek-slack=off --since="$since" 'grep -v zzzz' "$T/twice.log" > "$T/want" 2> "$T/err"
"$RINGFLOW" --stats --seek-slack=1m --since="$since" 'grep -v zzzz' "$T/twice.log" > "$T/got" 2> "$T/err"
check_same "seek on a log twice: a full scan's answer" "$T/got" "$T/want"

# bad arguments: exit 2 and a message
for a in --since=xyz --until=2026-02-30 --since=5x "--since=2026-11-01 25:00"; do
	"$RINGFLOW" "$a" count "$T/start.log" > "$T/got" 2> "$T/err"
	check_status "$a" $? 2
	check_grep "$a message" "$T/err" "ringflow: --"
done
"$RINGFLOW" --since=1h 'parse json | count' "$T/start.log" > "$T/got" 2> "$T/err"
check_status "--since with parse json" $? 2

finish
