#!/bin/sh
# SPDX-License-Identifier: MIT
# values.sh - timestamps, regex match limits and grep -i case folding, each
# against Python as the oracle (calendar.timegm, re, str.casefold), in every
# mode and SIMD level.
. "${SRCDIR:-.}/tests/lib.sh"

command -v python3 > /dev/null || { echo "python3 not found: skipped"; exit 77; }
MODES="serial parallel pipeline multiprocess async"
SIMDS="scalar sse2"
grep -qw avx2 /proc/cpuinfo 2> /dev/null && SIMDS="$SIMDS avx2"
grep -qw avx512bw /proc/cpuinfo 2> /dev/null && SIMDS="$SIMDS avx512"
# small buffers: many batches, so batch edges fall everywhere
SMALL="--buffer-size=64K --window=64K"
rf() { "$RINGFLOW" "$@"; }

# ---- timestamps ------------------------------------------------------------
# Random timestamps in every recognised form, valid and impossible ones,
# as logfmt lines `id=N t="..."`; the oracle is calendar.timegm.
python3 - "$T" << 'EOF' || exit 99
import calendar, datetime, random, sys
T = sys.argv[1]
random.seed(8)
MON = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
WDAY = "Mon Tue Wed Thu Fri Sat Sun".split()
this_year = datetime.datetime.now(datetime.timezone.utc).year

def rand_date(years=None):
    y = random.choice(years or [1900, 1969, 1970, 1999, 2000, 2023, 2024, 2100, random.randint(1901, 2099)])
    mo = random.randint(1, 12)
    if random.random() < 0.2:
        mo = random.choice([1, 2, 12])
    dim = calendar.monthrange(y, mo)[1]
    d = random.choice([1, dim, random.randint(1, dim)])
    return y, mo, d, random.choice([0, 23, random.randint(0, 23)]), random.choice([0, 59, random.randint(0, 59)]), \
        random.choice([0, 59, random.randint(0, 59)])

def rand_zone(colon_ok=True):
    if random.random() < 0.3:
        return random.choice([("Z", 0), ("z", 0), ("", 0), ("UTC", 0), ("GMT", 0), (" UTC", 0)])
    hh, mm = random.randint(0, 23), random.choice([0, 30, 45, random.randint(0, 59)])
    sign = random.choice("+-")
    off = (hh * 3600 + mm * 60) * (-1 if sign == "-" else 1)
    forms = ["%s%02d%02d" % (sign, hh, mm), " %s%02d%02d" % (sign, hh, mm)]
    if colon_ok:
        forms.append("%s%02d:%02d" % (sign, hh, mm))
    if mm == 0:
        forms.append("%s%02d" % (sign, hh))
    return random.choice(forms), off

def frac():
    return random.choice(["", "", "." + "".join(random.choice("0123456789") for _ in range(random.randint(1, 9))),
                          ",5"])

def valid():
    """(text, epoch seconds)"""
    y, mo, d, h, mi, s = rand_date()
    t = calendar.timegm((y, mo, d, h, mi, s))
    form = random.randrange(9)
    if form == 0:  # ISO date only: midnight UTC
        return "%04d-%02d-%02d" % (y, mo, d), calendar.timegm((y, mo, d, 0, 0, 0))
    if form == 1:  # ISO without seconds
        z, off = rand_zone()
        return "%04d-%02d-%02d%s%02d:%02d%s" % (y, mo, d, random.choice("T t"), h, mi, z), \
            calendar.timegm((y, mo, d, h, mi, 0)) - off
    if form == 2:  # ISO with seconds and maybe a fraction
        z, off = rand_zone()
        return "%04d-%02d-%02d%s%02d:%02d:%02d%s%s" % (y, mo, d, random.choice("T t"), h, mi, s, frac(), z), t - off
    if form == 3:  # combined log
        z, off = rand_zone(colon_ok=False)
        z = z.strip()
        text = "%02d/%s/%04d:%02d:%02d:%02d%s" % (d, MON[mo - 1], y, h, mi, s, (" " + z) if z else "")
        return ("[%s]" % text if random.random() < 0.5 else text), t - off
    if form == 4:  # RFC 1123 / 2822
        z, off = random.choice([("GMT", 0), ("UTC", 0), ("+0000", 0), ("-0500", -18000), ("+0530", 19800)])
        wd = WDAY[calendar.weekday(y, mo, d)] + ", " if random.random() < 0.8 else ""
        day = ("%02d" if random.random() < 0.5 else "%d") % d
        return "%s%s %s %04d %02d:%02d:%02d %s" % (wd, day, MON[mo - 1], y, h, mi, s, z), t - off
    if form == 5:  # syslog: this year
        y, mo, d, h, mi, s = rand_date([this_year])
        return "%s %2d %02d:%02d:%02d" % (MON[mo - 1], d, h, mi, s), calendar.timegm((this_year, mo, d, h, mi, s))
    # epoch seconds, milliseconds, microseconds, nanoseconds
    e = random.randint(10**8, 10**11 - 1) if form == 6 else random.randint(10**9, 9 * 10**9)
    if form == 6:
        return str(e) + frac().replace(",", "."), e
    if form == 7:
        return str(e * 1000 + random.randint(0, 999)), e
    scale = random.choice([10**6, 10**9])
    return str(e * scale + random.randint(0, scale - 1)), e

def invalid():
    y = random.choice([1900, 2023, 2100])  # not leap years
    c = random.randrange(12)
    if c == 0:
        return "%04d-02-29" % y
    if c == 1:
        return "2024-02-30T10:00:00Z"
    if c == 2:
        return "2024-%02d-01" % random.choice([0, 13, 99])
    if c == 3:
        return "2024-04-31 10:00"
    if c == 4:
        return "2024-03-01T%02d:00:00Z" % random.choice([24, 25, 99])
    if c == 5:
        return "2024-03-01T10:60:00Z"
    if c == 6:
        return "2024-03-01T10:00:61Z"
    if c == 7:
        return "2024-03-01T10:00:00+%s" % random.choice(["24:00", "05:60", "2400"])
    if c == 8:
        return "29/Feb/%04d:10:00:00 +0000" % y
    if c == 9:
        return "Tue, 31 Apr 2024 10:00:00 GMT"
    if c == 10:
        return "2024-03-00"
    return "%s 32 10:00:00" % MON[random.randrange(12)]

UNKNOWN = ["garbage", "2024/03/01", "12345678", "2024-3-1", "10:00:00", "", "1e9", "-1709287200", "2024-03-01T",
           "2024-03-01T10", "2024-03-01T10:00:00.", "01/Mar/2024", "Fri, 01 Mar 2024", "1709287200x"]

with open(T + "/times.log", "w") as log, open(T + "/times.want", "w") as want, \
        open(T + "/times.bad", "w") as bad:
    first_bad = 0
    for i in range(1, 4001):
        r = random.random()
        if r < 0.85:
            text, t = valid()
            want.write("%d\t%s\n" % (i, (datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=t))
                                      .strftime("%Y-%m-%dT%H:%M:%SZ")))
        else:
            text = invalid() if r < 0.93 else random.choice(UNKNOWN)
            first_bad = first_bad or i
        line = 'id=%d t="%s"\n' % (i, text)
        log.write(line)
        if r >= 0.85:
            bad.write(line)
    print(first_bad, file=open(T + "/times.first", "w"))
EOF

want_bad=$(wc -l < "$T/times.bad")
sort "$T/times.want" > "$T/times.want.sorted"
sort "$T/times.bad" > "$T/times.bad.sorted"
for mode in $MODES; do
	rf --mode=$mode $SMALL --format=tsv --rejects="$T/rej" 'parse logfmt | count by id, bucket(t, 1s)' \
		"$T/times.log" > "$T/out" 2> "$T/err"
	check_status "time buckets, $mode" $? 0
	tail -n +2 "$T/out" | cut -f1,2 | sort > "$T/got"
	check_same "every timestamp form vs calendar.timegm, $mode" "$T/got" "$T/times.want.sorted"
	check_grep "bad timestamps reported, $mode" "$T/err" \
		"$want_bad records had no valid timestamp for the time key and were skipped (first: $T/times.log line $(cat "$T/times.first"))"
	sort "$T/rej" > "$T/rej.sorted"
	check_same "bad timestamps in --rejects, $mode" "$T/rej.sorted" "$T/times.bad.sorted"
done
rf --strict 'parse logfmt | count by bucket(t, 1m)' "$T/times.log" > /dev/null 2> "$T/err"
check_status "--strict on a bad timestamp" $? 2
check_grep "--strict names file and line" "$T/err" \
	"$T/times.log: line $(cat "$T/times.first"): no valid timestamp for the time key (--strict)"
# the issue's case: February 30 is no March 1; a missing time is still the
# empty group, as documented
printf 'time="2024-02-30T10:00:00Z"\ntime="2024-03-01T10:00:30Z"\nx=1\n' > "$T/feb"
rf --format=tsv 'parse logfmt | count by minute' "$T/feb" > "$T/got" 2> "$T/err"
printf 'minute\tcount\n\t1\n2024-03-01T10:00:00Z\t1\n' > "$T/want"
check_same "2024-02-30 rejected, not March 1" "$T/got" "$T/want"
check_grep "2024-02-30 reported" "$T/err" "1 record had no valid timestamp"

# Runs of lines that share their timestamp, or all of it but the seconds or
# a fraction's digits, as logs have them (a time key remembers the last
# time it read and only works out the difference): ISO and combined-log
# times, seconds 00-60 (60: a leap second) and some 61-99 or no digits
# (tests/check_values mangles the rest); as logfmt `t`, a combined log's
# time and a JSON "time".  The oracle is calendar.timegm.
python3 - "$T" << 'EOF' || exit 99
import calendar, datetime, json, random, sys
T = sys.argv[1]
random.seed(12)
MON = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

def iso(t):
    return (datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")

def lines():
    """(text, epoch seconds or None), in runs"""
    while True:
        y, mo = random.choice([1969, 1999, 2024, 2026]), random.randint(1, 12)
        d = random.randint(1, calendar.monthrange(y, mo)[1])
        h, mi = random.randint(0, 23), random.randint(0, 59)
        hh, mm = random.randint(0, 23), random.choice([0, 30, random.randint(0, 59)])
        sign = random.choice("+-")
        off = (hh * 3600 + mm * 60) * (-1 if sign == "-" else 1)
        clf = random.random() < 0.5
        nfrac = 0 if clf else random.choice([0, 0, 3, 6, 9])
        zone = "%s%02d%02d" % (sign, hh, mm) if clf else \
            random.choice(["Z", "z", "", "%s%02d:%02d" % (sign, hh, mm), "%s%02d%02d" % (sign, hh, mm)])
        if not clf and zone in ("Z", "z", ""):
            off = 0
        s = random.randint(0, 59)
        for _ in range(random.randint(1, 40)):
            r = random.random()
            if r < 0.5:
                s = min(s + random.choice([0, 0, 1]), 60)
            elif r < 0.6:
                s = random.choice([60, 61, 75, 99, "x1", "0:", "5"])
            frac = ("." + "".join(random.choice("0123456789") for _ in range(nfrac))) if nfrac else ""
            ss = s if isinstance(s, str) else "%02d" % s
            if clf:
                text = "%02d/%s/%04d:%02d:%02d:%s %s" % (d, MON[mo - 1], y, h, mi, ss, zone)
            else:
                text = "%04d-%02d-%02dT%02d:%02d:%s%s%s" % (y, mo, d, h, mi, ss, frac, zone)
            ok = isinstance(s, int) and s <= 60
            yield text, calendar.timegm((y, mo, d, h, mi, 0)) + s - off if ok else None
            if not ok:
                s = random.randint(0, 59)

gen = lines()
with open(T + "/runs.log", "w") as log, open(T + "/runs.want", "w") as want, open(T + "/runs.bad", "w") as bad, \
        open(T + "/runs.clf", "w") as clf, open(T + "/runs.json", "w") as js, \
        open(T + "/runs.clf.bad", "w") as clfbad, open(T + "/runs.json.bad", "w") as jsbad:
    minutes = {}
    for i in range(1, 6001):
        text, t = next(gen)
        line = 'id=%d t="%s"\n' % (i, text)
        log.write(line)
        if t is None:
            bad.write(line)
        else:
            want.write("%d\t%s\n" % (i, iso(t)))
        if "/" in text:
            out, badf = clf, clfbad
            line = '10.0.0.%d - - [%s] "GET /%d HTTP/1.1" 200 %d "-" "ua"\n' % (i % 256, text, i, i)
        else:
            out, badf = js, jsbad
            line = json.dumps({"time": text, "id": i}) + "\n"
        out.write(line)
        if t is None:
            badf.write(line)
        else:
            key = ("clf" if out is clf else "json", iso(t - t % 60))
            minutes[key] = minutes.get(key, 0) + 1
    for kind in ("clf", "json"):
        with open(T + "/runs.%s.want" % kind, "w") as w:
            for (k, m), n in sorted(minutes.items()):
                if k == kind:
                    w.write("%s\t%d\n" % (m, n))
EOF
sort "$T/runs.want" > "$T/runs.want.sorted"
sort "$T/runs.bad" > "$T/runs.bad.sorted"
for mode in $MODES; do
	rf --mode=$mode $SMALL --format=tsv --rejects="$T/rej" 'parse logfmt | count by id, bucket(t, 1s)' \
		"$T/runs.log" > "$T/out" 2> "$T/err"
	check_status "runs of times, $mode" $? 0
	tail -n +2 "$T/out" | cut -f1,2 | sort > "$T/got"
	check_same "runs of times vs calendar.timegm, $mode" "$T/got" "$T/runs.want.sorted"
	sort "$T/rej" > "$T/rej.sorted"
	check_same "bad times in runs in --rejects, $mode" "$T/rej.sorted" "$T/runs.bad.sorted"
	for kind in clf json; do
		fmt=$kind
		[ $kind = clf ] && fmt=combined
		for simd in $SIMDS; do
			rf --mode=$mode --simd=$simd $SMALL --format=tsv --rejects="$T/rej" "parse $fmt | count by minute" \
				"$T/runs.$kind" > "$T/out" 2> "$T/err"
			check_status "parse $fmt | count by minute, $mode, $simd" $? 0
			tail -n +2 "$T/out" > "$T/got"
			check_same "parse $fmt | count by minute vs calendar.timegm, $mode, $simd" "$T/got" \
				"$T/runs.$kind.want"
			check_same "parse $fmt: bad times in --rejects, $mode, $simd" "$T/rej" "$T/runs.$kind.bad"
		done
	done
done

# ---- regex: the JIT stack grows, and a line over the limits is a reject --------
# (PCRE2's limits: Hyperscan has none, and answers those lines; hyperscan.sh)
python3 - "$T" << 'EOF' || exit 99
import random, re, sys
T = sys.argv[1]
random.seed(3)
with open(T + "/ab.txt", "w") as f:
    for i in range(300):
        n = random.choice([1, 10, 700, 701, 5000, 30000, 120000]) if i % 10 == 0 else random.randint(1, 50)
        s = "".join(random.choice("ab") for _ in range(n))
        if random.random() < 0.3 and s:
            k = random.randrange(len(s))
            s = s[:k] + "c" + s[k + 1:]
        f.write(s + "\n")
lines = open(T + "/ab.txt").read().split("\n")[:-1]
m = sum(1 for l in lines if re.search(r"^(a|b)*$", l))
print(m, len(lines) - m, file=open(T + "/ab.want", "w"))
# short lines python can decide, and two that need more than 10 million
# backtracking steps in PCRE2
with open(T + "/lim.txt", "w") as f:
    short = ["a" * random.randint(1, 12) + random.choice(["", "", "!"]) for _ in range(200)]
    short[37] = short[150] = "a" * 40 + "!"
    f.write("\n".join(short) + "\n")
    m = sum(1 for i, l in enumerate(short) if i not in (37, 150) and re.search(r"^(a|aa)+$", l))
print(m, len(short) - 2 - m, file=open(T + "/lim.want", "w"))
EOF

read ab_match ab_nomatch < "$T/ab.want"
read lim_match lim_nomatch < "$T/lim.want"
for mode in $MODES; do
	check_eq "regex over long lines vs python re, $mode" \
		"$(rf --mode=$mode 'regex "^(a|b)*$" | count' "$T/ab.txt" 2> "$T/err")" "$ab_match"
	check_eq "no note when nothing was over the limits, $mode" "$(cat "$T/err")" ""
	check_eq "regex -v over long lines vs python re, $mode" \
		"$(rf --mode=$mode 'regex -v "^(a|b)*$" | count' "$T/ab.txt")" "$ab_nomatch"
	check_eq "where ~ over long lines vs python re, $mode" \
		"$(rf --mode=$mode 'split | where $1 ~ "^(a|b)*$" or $1 == "" | count' "$T/ab.txt")" "$ab_match"
	check_eq "parse regex over long lines vs python re, $mode" \
		"$(rf --mode=$mode 'parse regex "^(?<s>(a|b)*)$" | count' "$T/ab.txt" 2> /dev/null)" "$ab_match"

	for v in "" "-v "; do
		want=$lim_match
		[ -n "$v" ] && want=$lim_nomatch
		check_eq "regex ${v}with lines over the match limit, $mode" \
			"$(rf --regex-engine=pcre2 --mode=$mode --rejects="$T/rej" "regex $v\"^(a|aa)+\$\" | count" "$T/lim.txt" 2> "$T/err")" "$want"
		check_grep "regex ${v}limit reported, $mode" "$T/err" \
			"2 records were over the match limits of a regular expression and were skipped (first: $T/lim.txt line 38)"
		printf '%s!\n%s!\n' "$(printf 'a%.0s' $(seq 40))" "$(printf 'a%.0s' $(seq 40))" > "$T/rej.want"
		check_same "regex ${v}limit lines in --rejects, $mode" "$T/rej" "$T/rej.want"
	done
	check_eq "where ~ with lines over the match limit, $mode" \
		"$(rf --mode=$mode 'split | where not $1 ~ "^(a|aa)+$" | count' "$T/lim.txt" 2> "$T/err")" "$lim_nomatch"
	check_grep "where ~ limit reported, $mode" "$T/err" "2 records were over the match limits"
done
# where follows Kleene's logic: a ~ over the limits does not matter when the
# rest of the condition decides the answer
check_eq "where: unknown or true is true" \
	"$(rf 'split | where $1 ~ "^(a|aa)+$" or $1 != "" | count' "$T/lim.txt" 2> "$T/err")" 200
check_eq "where: unknown or true is no reject" "$(cat "$T/err")" ""
check_eq "where: unknown and false is false" \
	"$(rf 'split | where $1 ~ "^(a|aa)+$" and $1 == "zz" | count' "$T/lim.txt" 2> "$T/err")" 0
check_eq "where: unknown and false is no reject" "$(cat "$T/err")" ""
rf --regex-engine=pcre2 --strict 'regex -v "^(a|aa)+$"' "$T/lim.txt" > /dev/null 2> "$T/err"
check_status "--strict: a line over the match limit is an error" $? 2
check_grep "--strict names file and line of the regex limit" "$T/err" \
	"$T/lim.txt: line 38: over the match limits of a regular expression (--strict)"
rf 'parse regex "^(?<a>(a|aa)+)$" | count' "$T/lim.txt" > "$T/out" 2> "$T/err"
check_eq "parse regex: a line over the limit is a reject" "$(cat "$T/out")" "$lim_match"
check_grep "parse regex: the limit reported" "$T/err" \
	"$((lim_nomatch + 2)) records could not be parsed as regex and were skipped (first: $T/lim.txt line"

# ---- grep -i: Unicode simple case folding on valid UTF-8 ------------------------
python3 - "$T" "$RINGFLOW" "$MODES" "$SIMDS" << 'EOF'
import random, subprocess, sys
T, RF, MODES, SIMDS = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
random.seed(5)

def fold_char(c):
    # Unicode simple case folding: casefold where it is one character,
    # else the lowercase where that is, else the character itself
    f = c.casefold()
    if len(f) == 1:
        return f
    l = c.lower()
    return l if len(l) == 1 else c

def fold(s):
    return "".join(fold_char(c) for c in s)

letters = ([chr(c) for c in range(0x41, 0x5B)] + [chr(c) for c in range(0x61, 0x7B)] +
           [chr(c) for c in range(0xC0, 0x250) if c not in (0xD7, 0xF7)] +
           [chr(c) for c in range(0x386, 0x3D0) if chr(c).isalpha()] +
           [chr(c) for c in range(0x400, 0x460)] +
           ["\u212a", "\u00df", "\u1e9e", "\u00b5", "\u0130", "\u0131", "\u017f", "\u03c2", "\u2126", "\u212b"])
classes = {}
for c in letters:
    classes.setdefault(fold_char(c), []).append(c)
invalid = [b"\xff", b"\xc3", b"\xe2\x84", b"\x80", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80", b"\xc5"]

def word():
    return "".join(random.choice(letters) for _ in range(random.randint(1, 8)))

lines = []
for i in range(3000):
    parts = []
    for _ in range(random.randint(1, 8)):
        if random.random() < 0.1:
            parts.append(random.choice(invalid))
        else:
            parts.append(word().encode())
        parts.append(random.choice([b" ", b"", b"-", b"\t"]))
    lines.append(b"".join(parts))
# ASCII-only stretches, so that some batches have no non-ASCII byte at all
for i in range(0, 3000, 600):
    for j in range(i, i + 300):
        lines[j] = "".join(random.choice("abcdefghijklmnopqrstuvwxyzKS ") for _ in range(30)).encode()
data = b"\n".join(lines) + b"\n"
open(T + "/fold.txt", "wb").write(data)

def recase(s):
    # each character replaced by a random member of its case class
    return "".join(random.choice(classes.get(fold_char(c), [c])) for c in s)

needles = [b"caf\xc3\xa9", b"KELVIN", b"k", b"s", b"ss", "\u00df".encode(), "\u1e9e".encode(), "\u03c3".encode(),
           b"i", "\u0130".encode(), "\u0131".encode(), b"caf\xe9", b"\xff", b"a\xc3", b"\xe2\x84"]
while len(needles) < 60:
    l = random.choice(lines)
    try:
        s = l.decode()
    except UnicodeDecodeError:
        seg = l[random.randrange(len(l)):][:random.randint(1, 4)]
        if seg and b"\n" not in seg:
            needles.append(seg)  # may be invalid UTF-8: bytes, ASCII folded
        continue
    if len(s) < 2:
        continue
    a = random.randrange(len(s) - 1)
    sub = s[a:a + random.randint(1, 5)]
    if sub.strip():
        needles.append(recase(sub).encode())

folded = [fold(l.decode("utf-8", "surrogateescape")) for l in lines]
lowered = [l.lower() for l in lines]

def want_lines(needle, invert):
    try:
        n = fold(needle.decode())
        hit = [n in f for f in folded]
    except UnicodeDecodeError:
        n = needle.lower()  # bytes: ASCII letters only
        hit = [n in l for l in lowered]
    return b"".join(l + b"\n" for l, h in zip(lines, hit) if h != invert)

def quote(b):
    return b'"' + b"".join(b"\\x%02x" % c if c in b'"\\' or c < 0x20 else bytes([c]) for c in b) + b'"'

fails = checks = 0
combos = [(m, s) for m in MODES for s in SIMDS]
for i, needle in enumerate(needles):
    for invert in (False, True):
        mode, simd = combos[(2 * i + invert) % len(combos)]
        q = b"grep -i " + (b"-v " if invert else b"") + quote(needle)
        got = subprocess.run([RF, "--mode=" + mode, "--simd=" + simd, "--buffer-size=64K", "--window=64K", q,
                              T + "/fold.txt"], capture_output=True).stdout
        want = want_lines(needle, invert)
        checks += 1
        if got != want:
            fails += 1
            print("FAIL: grep -i%s %r (%s, %s): %d lines, want %d" % (" -v" if invert else "", needle, mode, simd,
                  got.count(b"\n"), want.count(b"\n")), file=sys.stderr)
    # grep -i after a parser works on the selected records, not the batch
    mode, simd = combos[i % len(combos)]
    got = subprocess.run([RF, "--mode=" + mode, "--simd=" + simd, b"split | grep -i " + quote(needle) + b" | count",
                          T + "/fold.txt"], capture_output=True).stdout.strip()
    checks += 1
    if int(got or -1) != want_lines(needle, False).count(b"\n"):
        fails += 1
        print("FAIL: split | grep -i %r | count (%s, %s): %s" % (needle, mode, simd, got), file=sys.stderr)
print("%d %d" % (checks, fails), file=open(T + "/fold.result", "w"))
EOF
read fold_checks fold_fails < "$T/fold.result"
checks=$((checks + fold_checks))
failures=$((failures + fold_fails))

finish
