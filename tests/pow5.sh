#!/bin/sh
# SPDX-License-Identifier: MIT
# pow5.sh - the 128-bit powers of five behind rf__parse_number
# (engine/pow5_table.h) against Python's exact integers: each entry is 5^q
# scaled to fill 128 bits, rounded down, or up where -27 <= q < 0, as the
# Eisel-Lemire error bounds assume; and the header is what
# tools/gen_pow5.py writes.  POW5_H checks another copy of the header.
. "${SRCDIR:-.}/tests/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "no python3" >&2; exit 77; }
H=${POW5_H:-$SRCDIR/engine/pow5_table.h}

python3 - "$H" > "$T/out" 2>&1 <<'PY'
import re, sys
text = open(sys.argv[1]).read()
lo_q = int(re.search(r"#define RF_POW5_MIN \((-?\d+)\)", text).group(1))
hi_q = int(re.search(r"#define RF_POW5_MAX (\d+)", text).group(1))
rows = re.findall(r"\{ 0x([0-9a-f]{16})ULL, 0x([0-9a-f]{16})ULL \}, /\* 5\^(-?\d+) \*/", text)
bad = []
if (lo_q, hi_q) != (-342, 308):
    bad.append("range %d..%d, want -342..308 (1e-343 rounds to 0, 1e309 is past the largest double)" % (lo_q, hi_q))
if [int(q) for _, _, q in rows] != list(range(lo_q, hi_q + 1)):
    bad.append("rows are not 5^%d to 5^%d in order" % (lo_q, hi_q))
for h, l, q in rows:
    q, t = int(q), int(h, 16) << 64 | int(l, 16)
    if not (1 << 127) <= t < (1 << 128):
        bad.append("5^%d: top bit not set" % q)
        continue
    if q >= 0:
        # 5^q times 2^s, s = 128 - its length in bits: exact, or cut
        x = 5 ** q
        s = 128 - x.bit_length()
        ok = t == x << s if s >= 0 else (t << -s) <= x < ((t + 1) << -s)
    else:
        # t approximates 2^k / 5^-q for the k that puts it in [2^127, 2^128)
        p = 5 ** -q
        k = 127 + p.bit_length()
        if (1 << k) < p << 127:
            k -= 1
        if q >= -27:
            ok = (t - 1) * p < (1 << k) < t * p     # rounded up, never exact
        else:
            ok = t * p <= (1 << k) < (t + 1) * p    # rounded down
    if not ok:
        bad.append("5^%d: %032x is not the right 128 bits" % (q, t))
print("%d entries checked" % len(rows))
for b in bad[:20]:
    print("FAIL", b)
sys.exit(1 if bad else 0)
PY
check_eq "table against exact arithmetic" "$? $(grep -c FAIL "$T/out")" "0 0"
cat "$T/out"
python3 "$SRCDIR/tools/gen_pow5.py" > "$T/gen.h"
check_same "header as tools/gen_pow5.py writes it" "$H" "$T/gen.h"
finish
