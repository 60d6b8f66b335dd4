#!/bin/sh
# SPDX-License-Identifier: MIT
# timezone.sh - --tz: minute, hour, day and 15m buckets on a zone's clock
# (day buckets from local midnight, 23 and 25 hour days; hour buckets at :30
# UTC in a +05:30 zone; Lord Howe's 30-minute DST), and the keys printed on
# that clock, against Python's zoneinfo; every mode; bad zones.
. "${SRCDIR:-.}/tests/lib.sh"

python3 -c 'import zoneinfo; zoneinfo.ZoneInfo("Europe/Berlin")' 2> /dev/null || {
	echo "no Python zoneinfo or no tzdata: skipped"
	exit 77
}

# instants near each zone's transitions of 2025-2027 and any time from 1950
# on, written in several forms (ISO with Z or an offset, epoch s and ms,
# the combined log's), as logfmt
python3 - "$T/in.lf" << 'EOF2'
import random, sys, datetime as dt, zoneinfo
random.seed(15)
UTC = dt.timezone.utc
zones = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
ts = []
for z in zones:
    zi = zoneinfo.ZoneInfo(z)
    t = int(dt.datetime(2025, 1, 1, tzinfo=UTC).timestamp())
    end = int(dt.datetime(2028, 1, 1, tzinfo=UTC).timestamp())
    prev = None
    while t < end:
        off = dt.datetime.fromtimestamp(t, zi).utcoffset()
        if prev is not None and off != prev:
            for _ in range(150):
                ts.append(t + random.randint(-40 * 3600, 40 * 3600))
        prev = off
        t += 900
for _ in range(3000):
    ts.append(random.randint(int(dt.datetime(1950, 1, 1, tzinfo=UTC).timestamp()), 2000000000))
mon = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
with open(sys.argv[1], "w") as f:
    for t in ts:
        k = random.randrange(5)
        d = dt.datetime.fromtimestamp(t, UTC)
        if k == 0:
            s = d.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif k == 1:
            o = random.choice([-8 * 60, -3 * 60 - 30, 0, 60, 5 * 60 + 30, 13 * 60 + 45])
            l = d + dt.timedelta(minutes=o)
            s = l.strftime("%Y-%m-%dT%H:%M:%S") + "%s%02d:%02d" % ("-" if o < 0 else "+", abs(o) // 60, abs(o) % 60)
        elif k == 2:
            s = str(t)
        elif k == 3:
            s = str(t * 1000 + random.randrange(1000))
        else:
            s = '"%02d/%s/%04d:%s +0000"' % (d.day, mon[d.month - 1], d.year, d.strftime("%H:%M:%S"))
        if t < 100000000 and k in (2, 3):  # epochs of under 9 digits are no time
            s = d.strftime("%Y-%m-%dT%H:%M:%SZ")
        f.write("time=%s msg=x\n" % s)
EOF2

# the oracle: t's bucket start on the zone's clock, kept at t's own offset
# when that reading exists (fold), a gap's wall time is the instant after it
cat > "$T/oracle.py" << 'EOF2'
import sys, re, datetime as dt, zoneinfo
from collections import Counter
UTC = dt.timezone.utc
path, zone, width = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = re.fullmatch(r"([+-])(\d\d):(\d\d)", zone)
zi = UTC if zone == "UTC" else dt.timezone((-1 if m.group(1) == "-" else 1) * dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))) if m else zoneinfo.ZoneInfo(zone)
E = dt.datetime(1970, 1, 1)
def parse(s):
    s = s.strip('"')
    if s.isdigit():
        return int(s) // 1000 if len(s) >= 12 else int(s)
    if "/" in s:
        return int(dt.datetime.strptime(s, "%d/%b/%Y:%H:%M:%S %z").timestamp())
    return int(dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())
c = Counter()
for line in open(path):
    t = parse(re.match(r'time=("[^"]*"|\S+)', line).group(1))
    d = dt.datetime.fromtimestamp(t, zi)
    local = int((d.replace(tzinfo=None) - E).total_seconds())
    if width % 86400 == 0:
        day = local // 86400 // (width // 86400) * (width // 86400)
        wall = E + dt.timedelta(days=day)
    else:
        wall = E + dt.timedelta(seconds=local // width * width)
    u = int(wall.replace(tzinfo=zi, fold=d.fold).timestamp())
    # a wall time in a gap: the first instant after it
    back = int((dt.datetime.fromtimestamp(u, zi).replace(tzinfo=None) - E).total_seconds())
    if back != int((wall - E).total_seconds()) and not d.fold:
        lo, hi = u - 2 * 86400, u
        while lo < hi:
            mid = (lo + hi) // 2
            if int((dt.datetime.fromtimestamp(mid, zi).replace(tzinfo=None) - E).total_seconds()) >= int((wall - E).total_seconds()):
                hi = mid
            else:
                lo = mid + 1
        u = lo
    c[u] += 1
for u in sorted(c):
    d = dt.datetime.fromtimestamp(u, zi)
    k = d.date().isoformat() if width % 86400 == 0 else d.isoformat()
    if zone == "UTC":
        k = k.replace("+00:00", "Z")
    print("%s\t%d" % (k, c[u]))
EOF2

for zone in UTC Europe/Berlin America/New_York Australia/Lord_Howe Asia/Kolkata +05:30 -08:00; do
	for key in "minute 60" "hour 3600" "day 86400" "bucket(time,15m) 900"; do
		set -- $key
		python3 "$T/oracle.py" "$T/in.lf" "$zone" "$2" > "$T/want" || fail "oracle $zone $1"
		for mode in serial parallel; do
			"$RINGFLOW" --mode=$mode --tz="$zone" --format=tsv "parse logfmt | count by $1" "$T/in.lf" 2> "$T/err" |
				tail -n +2 > "$T/got"
			check_same "--tz=$zone count by $1, $mode" "$T/got" "$T/want"
		done
	done
done

# the other modes, on one zone with DST
python3 "$T/oracle.py" "$T/in.lf" Europe/Berlin 3600 > "$T/want"
for mode in pipeline multiprocess; do
	"$RINGFLOW" --mode=$mode --tz=Europe/Berlin --format=tsv "parse logfmt | count by hour" "$T/in.lf" 2> "$T/err" |
		tail -n +2 > "$T/got"
	check_same "--tz=Europe/Berlin count by hour, $mode" "$T/got" "$T/want"
done

# day buckets are 23 and 25 hours long in Berlin in 2026 (Python's count)
printf 'time=2026-03-29T00:00:00+01:00\ntime=2026-03-29T23:59:59+02:00\ntime=2026-10-25T00:00:00+02:00\ntime=2026-10-25T23:59:59+01:00\n' > "$T/dst.lf"
"$RINGFLOW" --tz=Europe/Berlin --format=tsv 'parse logfmt | count by day' "$T/dst.lf" > "$T/got" 2> "$T/err"
printf 'day\tcount\n2026-03-29\t2\n2026-10-25\t2\n' > "$T/want"
check_same "23 and 25 hour days" "$T/got" "$T/want"

# bad zones: exit 2, a message naming the option
for z in Nope/Zone ../../etc/passwd /etc/passwd +25:00 +5 '' Europe; do
	"$RINGFLOW" --tz="$z" count "$T/dst.lf" > "$T/got" 2> "$T/err"
	check_status "--tz='$z'" $? 2
	check_grep "--tz='$z' message" "$T/err" "ringflow: --tz:"
done

finish
