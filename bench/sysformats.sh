#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/sysformats.sh - the syslog, W3C, CRI and Docker formats (issue 16):
# each parse against mawk doing the same count on the same file, and
# docker against plain parse json (what unwrapping costs).  The logs are
# written by a seeded Python generator, SYS_SIZE bytes each (BENCH_SIZE
# by default).
#
# Writes bench/results/sysformats-<host>.md and the hyperfine exports beside it.
set -eu
RUNS=${BENCH_RUNS:-5}
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
need hyperfine mawk python3
SYS_SIZE=${SYS_SIZE:-$SIZE}
REPORT=$OUT/sysformats-$HOST.md

# gen FORMAT: $DATA/FORMAT-$SYS_SIZE.log, made once
gen() {
	f=$DATA/$1-$SYS_SIZE.log
	[ -s "$f" ] && return 0
	echo "bench: generating $f" >&2
	python3 - "$1" "$SYS_SIZE" > "$f.tmp" <<'X'
import random, sys
fmt, size = sys.argv[1], sys.argv[2]
mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
want = int(float(size[:-1]) * mult[size[-1].upper()]) if size[-1].upper() in mult else int(size)
rnd = random.Random(42)
apps = ["sshd", "CRON", "systemd", "kernel", "postfix/smtpd", "nginx", "dockerd"]
hosts = ["web-%02d" % i for i in range(20)]
words = ["connection", "from", "accepted", "closed", "error", "user", "session", "opened", "for", "port"]
def msg():
    return " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 12)))
out, n, sec = sys.stdout, 0, 0
if fmt == "w3c":
    out.write("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
              "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
              "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n")
buf = []
while n < want:
    sec += rnd.randint(0, 2)
    h, m, s = sec // 3600 % 24, sec // 60 % 60, sec % 60
    if fmt == "rfc3164":
        l = "Nov %2d %02d:%02d:%02d %s %s[%d]: %s\n" % (1 + sec // 86400 % 28, h, m, s, rnd.choice(hosts),
                                                      rnd.choice(apps), rnd.randint(1, 40000), msg())
    elif fmt == "rfc5424":
        sd = '[origin ip="192.0.2.%d"][meta seq="%d"]' % (rnd.randint(1, 254), n) if rnd.random() < 0.5 else "-"
        l = "<%d>1 2024-11-%02dT%02d:%02d:%02d.%06dZ %s %s %d ID%d %s %s\n" % (
            rnd.randint(0, 191), 1 + sec // 86400 % 28, h, m, s, rnd.randint(0, 999999), rnd.choice(hosts),
            rnd.choice(apps), rnd.randint(1, 40000), rnd.randint(1, 99), sd, msg())
    elif fmt == "w3c":
        l = "2024-03-%02d %02d:%02d:%02d 10.0.0.1 %s %s - 443 - 192.0.2.%d Mozilla/5.0+(Windows+NT+10.0) - %s 0 0 %d\n" % (
            1 + sec // 86400 % 28, h, m, s, rnd.choice(["GET", "POST"]), rnd.choice(["/", "/api/x", "/a.png"]),
            rnd.randint(1, 254), rnd.choice(["200", "200", "304", "404", "500"]), rnd.randint(0, 3000))
    elif fmt == "cri":
        l = "2024-11-%02dT%02d:%02d:%02d.%09dZ %s F %s\n" % (1 + sec // 86400 % 28, h, m, s, rnd.randint(0, 10**9 - 1),
                                                          rnd.choice(["stdout", "stderr"]), msg())
    else:
        l = '{"log":"%s\\n","stream":"%s","time":"2024-11-%02dT%02d:%02d:%02d.%09dZ"}\n' % (
            msg(), rnd.choice(["stdout", "stderr"]), 1 + sec // 86400 % 28, h, m, s, rnd.randint(0, 10**9 - 1))
    buf.append(l)
    n += len(l)
    if len(buf) >= 10000:
        out.write("".join(buf))
        buf = []
out.write("".join(buf))
X
	mv "$f.tmp" "$f"
}

run() {
	name=$1
	file=$2
	shift 2
	cat "$file" > /dev/null
	hyperfine --style basic --output=pipe -w 1 -r "$RUNS" \
		--export-csv "$OUT/$name.csv" --export-markdown "$OUT/$name.md" "$@" > /dev/null
}

for f in rfc3164 rfc5424 w3c cri docker; do
	gen $f
done
L3164=$DATA/rfc3164-$SYS_SIZE.log
L5424=$DATA/rfc5424-$SYS_SIZE.log
LW3C=$DATA/w3c-$SYS_SIZE.log
LCRI=$DATA/cri-$SYS_SIZE.log
LDOCKER=$DATA/docker-$SYS_SIZE.log

run sys-rfc3164 "$L3164" \
	"$RINGFLOW --mode=serial 'parse rfc3164 | count by appname' $L3164" \
	"$RINGFLOW 'parse rfc3164 | count by appname' $L3164" \
	"mawk '{ t = \$5; sub(/\\[.*/, \"\", t); sub(/:\$/, \"\", t); c[t]++ } END { for (k in c) print k, c[k] }' $L3164"
run sys-rfc5424 "$L5424" \
	"$RINGFLOW --mode=serial 'parse rfc5424 | count by appname' $L5424" \
	"$RINGFLOW 'parse rfc5424 | count by appname' $L5424" \
	"mawk '{ c[\$4]++ } END { for (k in c) print k, c[k] }' $L5424"
run sys-rfc5424-sd "$L5424" \
	"$RINGFLOW --mode=serial 'parse rfc5424 | count by sd.origin.ip' $L5424" \
	"$RINGFLOW 'parse rfc5424 | count by sd.origin.ip' $L5424" \
	"mawk 'match(\$0, /\\[origin ip=\"[^\"]*\"/) { c[substr(\$0, RSTART + 12, RLENGTH - 13)]++ } END { for (k in c) print k, c[k] }' $L5424"
run sys-w3c "$LW3C" \
	"$RINGFLOW --mode=serial 'parse w3c | count by sc_status' $LW3C" \
	"$RINGFLOW 'parse w3c | count by sc_status' $LW3C" \
	"mawk '!/^#/ { c[\$12]++ } END { for (k in c) print k, c[k] }' $LW3C"
run sys-cri "$LCRI" \
	"$RINGFLOW --mode=serial 'parse cri | count by stream' $LCRI" \
	"$RINGFLOW 'parse cri | count by stream' $LCRI" \
	"mawk '{ c[\$2]++ } END { for (k in c) print k, c[k] }' $LCRI"
run sys-docker "$LDOCKER" \
	"$RINGFLOW --mode=serial 'parse docker | count by stream' $LDOCKER" \
	"$RINGFLOW --mode=serial 'parse json | count by stream' $LDOCKER" \
	"$RINGFLOW 'parse docker | count by stream' $LDOCKER" \
	"mawk -F'\"stream\":\"' '{ split(\$2, s, \"\\\"\"); c[s[1]]++ } END { for (k in c) print k, c[k] }' $LDOCKER"

row() { median_of "$OUT/$1.csv" "$2"; }
{
	echo "# ringflow syslog, W3C and container formats benchmark"
	echo
	echo "Generated by \`bench/sysformats.sh\` on $(date -u +%Y-%m-%d)."
	echo
	echo "- CPU: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores; kernel $(uname -r)"
	echo "- Tools: $(mawk -W version 2>&1 | head -1)"
	echo "- Inputs: $SYS_SIZE each, from the seeded generator in the script, page cache warm"
	echo
	echo "| query | serial | auto | mawk | auto vs mawk |"
	echo "|---|---|---|---|---|"
	for f in rfc3164 rfc5424 rfc5424-sd w3c cri docker; do
		s=$(row sys-$f "$RINGFLOW --mode=serial 'parse ${f%-sd}")
		a=$(row sys-$f "$RINGFLOW 'parse ${f%-sd}")
		m=$(row sys-$f "mawk")
		q=$(awk -F"'" 'NR == 2 { gsub(/[|]/, "\\|", $2); print $2 }' "$OUT/sys-$f.csv")
		echo "| \`$q\` | ${s}s | ${a}s | ${m}s | $(ratio "$m" "$a" 1)x |"
	done
	j=$(row sys-docker "$RINGFLOW --mode=serial 'parse json")
	d=$(row sys-docker "$RINGFLOW --mode=serial 'parse docker")
	echo
	echo "- docker's unwrapping over parse json (serial): ${d}s vs ${j}s ($(ratio "$d" "$j")x)"
	for f in rfc3164 rfc5424 rfc5424-sd w3c cri docker; do
		echo
		echo "### sys-$f"
		echo
		sed "s|$DATA/||g; s|$RINGFLOW|ringflow|g" "$OUT/sys-$f.md"
	done
} > "$REPORT"
echo "bench: wrote $REPORT"
