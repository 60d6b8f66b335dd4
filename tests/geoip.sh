#!/bin/sh
# SPDX-License-Identifier: MIT
# geoip.sh - geoip(), asn() and asn_org() over MaxMind DB files that
# tests/mkmmdb.py writes (an IPv6 tree holding IPv4 under ::/96, and an
# IPv4-only tree), checked against mmdblookup (libmaxminddb's own reader,
# Debian mmdb-bin) on the same addresses and against values written here by
# hand; every mode; the refusals: a corrupt, truncated or missing database,
# none at all, an unknown geoip() field.
. "${SRCDIR:-.}/tests/lib.sh"

command -v mmdblookup > /dev/null || {
	echo "no mmdblookup (Debian mmdb-bin): skipped"
	exit 77
}
"$RINGFLOW" --geoip-db /nonexistent 'eval c = geoip(line)' < /dev/null 2> "$T/built" ||
	if grep -q "built without" "$T/built"; then
		echo "built without libmaxminddb: skipped"
		exit 77
	fi

py_checks << 'EOF'
import collections, csv, json, os, re, subprocess, sys
import rftest
from rftest import check

T, RF = rftest.setup(sys.argv)
MK = os.environ.get("SRCDIR", ".") + "/tests/mkmmdb.py"


dbs = {}
for kind in ["country", "asn"]:
    for v in ["6", "4"]:
        path = "%s/%s%s.mmdb" % (T, kind, v)
        subprocess.run([sys.executable, MK, kind, path] + (["--ipv4"] if v == "4" else []), check=True)
        dbs[kind + v] = path

ips = ["1.0.0.0", "1.0.0.1", "1.0.0.255", "1.0.1.0", "0.255.255.255", "8.8.8.8", "8.8.9.1", "81.2.69.0", "81.2.69.63",
       "81.2.69.64", "81.2.69.127", "81.2.69.128", "81.2.69.255", "175.16.199.37", "89.160.20.112", "12.81.92.0",
       "12.81.95.255", "12.81.96.0", "9.9.9.9", "255.255.255.255", "0.0.0.0", "2001:218::", "2001:218:ffff:ffff::1",
       "2001:219::1", "2a02:cf40::1", "2a02:cf47:ffff::1", "2a02:cf48::1", "::1", "fe80::1", "2001:db8::7"]
not_ips = ["not-an-ip", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.0.0.1", "", "1.0.0.1 ", "::g"]
# many times over, so that 64 KiB buffers cut it into many batches
REPEAT = 500
with open(T + "/ips", "w") as f:
    f.write(("\n".join(ips + not_ips) + "\n") * REPEAT)

PATHS = {"country": ["country", "iso_code"], "country_name": ["country", "names", "en"],
         "continent": ["continent", "code"], "city": ["city", "names", "en"], "lat": ["location", "latitude"],
         "lon": ["location", "longitude"]}
ASN_PATHS = {"asn": ["autonomous_system_number"], "asn_org": ["autonomous_system_organization"]}


def mmdblookup(db, ip, path):
    p = subprocess.run(["mmdblookup", "--file", db, "--ip", ip] + path, capture_output=True)
    out = p.stdout.decode()
    m = re.search(r'^\s*"(.*)" <utf8_string>\s*$', out, re.M)
    if m:
        return m.group(1)
    m = re.search(r"^\s*(\S+) <(double|float|uint16|uint32|uint64|int32)>\s*$", out, re.M)
    if m:
        return float(m.group(1)) if m.group(2) in ("double", "float") else int(m.group(1))
    return None  # not found, no such path, or an IPv6 address in an IPv4 tree


def same(got, want):
    if want is None or got is None:
        return got is want
    if isinstance(want, float):
        return isinstance(got, (int, float)) and abs(got - want) < 1e-5
    if isinstance(want, int):
        return got == want
    return got == want


def query(exprs):
    return "eval " + ", ".join("%s = %s" % (n, e) for n, e in exprs) + " | select line, " + ", ".join(n for n, _ in exprs)


geo_exprs = [("c", "geoip(line)")] + [("g_" + k, 'geoip(line, "%s")' % k) for k in PATHS]
asn_exprs = [("a", "asn(line)"), ("o", "asn_org(line)")]
for v in ["6", "4"]:
    want = []
    for ip in ips:
        row = {"c": mmdblookup(dbs["country" + v], ip, PATHS["country"])}
        for k, path in PATHS.items():
            row["g_" + k] = mmdblookup(dbs["country" + v], ip, path)
        row["a"] = mmdblookup(dbs["asn" + v], ip, ASN_PATHS["asn"])
        row["o"] = mmdblookup(dbs["asn" + v], ip, ASN_PATHS["asn_org"])
        want.append(row)
    want += [dict((k, None) for k in want[0]) for _ in not_ips]
    want *= REPEAT
    for mode in ["serial", "parallel", "pipeline", "multiprocess"]:
        p = subprocess.run([RF, "--format=json", "--mode=" + mode, "--buffer-size=64K", "--geoip-db", dbs["country" + v],
                            "--asn-db", dbs["asn" + v], query(geo_exprs + asn_exprs), T + "/ips"], capture_output=True)
        check(p.returncode == 0, "v%s %s: status %d: %s" % (v, mode, p.returncode, p.stderr))
        got = [json.loads(l) for l in p.stdout.decode().splitlines()]
        check(len(got) == len(want), "v%s %s: %d rows, want %d" % (v, mode, len(got), len(want)))
        bad = [(ip, k, g.get(k), w[k]) for g, w, ip in zip(got, want, (ips + not_ips) * REPEAT) for k in w
               if not same(g.get(k), w[k])]
        check(not bad, "v%s %s: %d values differ from mmdblookup's, such as (ip, what, got, want) %r" %
              (v, mode, len(bad), bad[:3]))

# by hand, from the networks mkmmdb.py writes
hand = {"1.0.0.1": ("AU", "Sydney", 13335, "Cloudflare, Inc."), "81.2.69.63": ("GB", "London", 20712, "Andrews & Arnold Ltd"),
        "81.2.69.64": ("SE", None, 20712, "Andrews & Arnold Ltd"), "2001:218::": ("JP", None, 2914, "NTT America, Inc."),
        "12.81.95.255": (None, None, 4294967295, "Max ASN Ünïcödé"), "89.160.20.112": (None, None, None, None),
        "9.9.9.9": (None, None, None, None), "01.0.0.1": (None, None, None, None)}
p = subprocess.run([RF, "--format=json", "--geoip-db", dbs["country6"], "--asn-db", dbs["asn6"],
                    query([("c", "geoip(line)"), ("ci", 'geoip(line, "city")'), ("a", "asn(line)"), ("o", "asn_org(line)")]),
                    T + "/ips"], capture_output=True)
rows = {r["line"] if isinstance(r["line"], str) else str(r["line"]): r for r in map(json.loads, p.stdout.decode().splitlines())}
for ip, (c, ci, a, o) in hand.items():
    r = rows.get(ip, {})
    check((r.get("c"), r.get("ci"), r.get("a"), r.get("o")) == (c, ci, a, o), "by hand %s: %r" % (ip, r))
# an IPv6 address in the IPv4-only tree: null, not an error
p = subprocess.run([RF, "--asn-db", dbs["asn4"], "eval a = asn(line) | where a is null | count"], input=b"2001:218::\n",
                   capture_output=True)
check(p.stdout == b"1\n" and p.returncode == 0, "IPv6 in an IPv4 tree: %r %r" % (p.stdout, p.stderr))
# in a filter and a group key, on a parsed field
with open(T + "/access.log", "w") as f:
    for i, ip in enumerate(["1.0.0.7", "8.8.8.8", "8.8.8.9", "81.2.69.5", "9.9.9.9"] * 3):
        f.write('%s - - [01/Nov/2026:00:00:%02d +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8"\n' % (ip, i))
p = subprocess.run([RF, "--format=csv", "--geoip-db", dbs["country6"],
                    "parse combined | eval cc = geoip(ip) | where cc != \"AU\" | count by cc", T + "/access.log"],
                   capture_output=True)
got = sorted(p.stdout.decode().splitlines()[1:])
# (null != "AU" is null, not true: 9.9.9.9 is not counted)
check(got == sorted(["GB,3", "US,6"]), "count by country: %r %r" % (got, p.stderr))

# the refusals: exit 2, the file and the reason named
def refused(args, want, q="eval c = geoip(line)"):
    p = subprocess.run([RF] + args + [q, T + "/ips"], capture_output=True)
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 2 and want in err and p.stdout == b"", "%r: status %d, want 2 and %r in %r" % (args, p.returncode, want, err))


data = open(dbs["country6"], "rb").read()
with open(T + "/truncated.mmdb", "wb") as f:
    f.write(data[:len(data) // 2])
with open(T + "/garbage.mmdb", "wb") as f:
    f.write(os.urandom(4096))
open(T + "/empty.mmdb", "wb").close()
i = data.rindex(b"\xab\xcd\xefMaxMind.com")
with open(T + "/badmeta.mmdb", "wb") as f:  # record_size 24 said to be 17
    f.write(data[:i] + data[i:].replace(b"record_size\xa1\x18", b"record_size\xa1\x11"))
for name in ["truncated", "garbage", "empty", "badmeta"]:
    refused(["--geoip-db", T + "/%s.mmdb" % name], "--geoip-db %s/%s.mmdb: not a MaxMind database it can read: " % (T, name))
refused(["--geoip-db", T + "/nope.mmdb"], "--geoip-db %s/nope.mmdb: No such file or directory" % T)
refused(["--asn-db", T + "/garbage.mmdb"], "--asn-db %s/garbage.mmdb: not a MaxMind database" % T, "eval a = asn_org(line)")
refused(["--geoip-db", dbs["country6"]], "geoip() has no 'town'", 'eval c = geoip(line, "town")')
refused(["--geoip-db", dbs["country6"]], "geoip's second argument is a name in quotes", "eval c = geoip(line, line)")
defaults = ["/usr/share/GeoIP", "/var/lib/GeoIP"]
if not any(os.path.exists(d) for d in defaults):
    refused([], "geoip() needs a MaxMind database: --geoip-db FILE (none in /usr/share/GeoIP or /var/lib/GeoIP: "
            "GeoLite2-Country.mmdb")
    refused([], "asn() needs a MaxMind database: --asn-db FILE (none in /usr/share/GeoIP or /var/lib/GeoIP: "
            "GeoLite2-ASN.mmdb", "eval a = asn(line)")
    # no geo function in the query: no database looked for
    p = subprocess.run([RF, "count", T + "/ips"], capture_output=True)
    check(p.returncode == 0, "no geoip(): no database needed: %r" % p.stderr)
else:
    print("a system GeoIP directory exists: the no-database checks are skipped", file=sys.stderr)

rftest.summary()
EOF
finish
