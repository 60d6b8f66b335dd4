# SPDX-License-Identifier: MIT
"""rftest.py - what the Python parts of the shell tests share (tests/lib.sh's
py_checks runs them with this module at hand): the counts of checks and
failures, running ringflow, and one model of what each output format prints
for given cells, from the rules README.md ("Output") writes down."""
import functools, json, math, os, re, resource, subprocess, sys, unicodedata

MODES = ["serial", "parallel", "pipeline", "multiprocess", "async"]
FORMATS = ["table", "tsv", "csv", "json"]

T = RF = None
checks = failures = 0


def setup(argv):
    """The scratch folder and the binary, from the script's arguments."""
    global T, RF
    T, RF = argv[1], os.fsencode(argv[2])
    return T, RF


def check(ok, what):
    global checks, failures
    checks += 1
    if not ok:
        failures += 1
        sys.stderr.write("FAIL: %s\n" % what)
    return ok


def summary():
    """The line py_checks adds to the script's counts."""
    print(checks, failures)


def limits():
    # an endless output (blanks without end were one) stops at 64 MiB
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))


def run(args):
    """ringflow with args: its exit status, output and error output."""
    with open(T + "/stdout", "w+b") as out:
        p = subprocess.run([RF] + args, stdout=out, stderr=subprocess.PIPE, timeout=60, preexec_fn=limits)
        out.seek(0)
        return p.returncode, out.read(), p.stderr[:1 << 20]


# ---- what the formats print: cells are bytes, ints or None (missing) -----------
JSON_NUMBER = re.compile(rb"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def json_value(b):
    """What a JSON reader must get for the cell b."""
    if b is None:
        return None
    if isinstance(b, int):
        return b
    if JSON_NUMBER.fullmatch(b) and math.isfinite(float(b)):
        return json.loads(b)
    return b.decode("utf-8", "replace")


def csv_field(b):
    """RFC 4180, with "" for an empty string and nothing for a missing value."""
    if b is None:
        return b""
    if b == b"" or any(c in b for c in b',"\r\n'):
        return b'"' + b.replace(b'"', b'""') + b'"'
    return b


def tsv_field(b):
    if b is None:
        return b""
    return b.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n").replace(b"\r", b"\\r")


VALID = (rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|"
         rb"\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}")
PIECE = re.compile(rb"(?P<a>[\x20-\x5b\x5d-\x7e]+)|(?P<u>(?:" + VALID + rb")+)|"
                   rb"(?P<o>(?:(?!" + VALID + rb")[^\x20-\x5b\x5d-\x7e])+)", re.S)
ESC = {0x5c: b"\\\\", 9: b"\\t", 10: b"\\n", 13: b"\\r"}
BYTE = [ESC.get(c, b"\\x%02x" % c) for c in range(256)]
UNSAFE = re.compile("[\x80-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def char_width(ch):
    """the terminal columns of a printable character, by Unicode's tables
    (not the code under test): combining and zero-width format characters
    0 (the soft hyphen is shown), East Asian wide and fullwidth 2, else 1"""
    cat = unicodedata.category(ch)
    if ch != "\u00ad" and (cat in ("Mn", "Me", "Cf") or "\u1160" <= ch <= "\u11ff"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


@functools.lru_cache(maxsize=None)
def shown(b):
    """the table's text for b and its width in characters: tab, newline, CR
    and backslash escaped, other control bytes, DEL, bytes of no valid UTF-8
    sequence, C1, U+2028/9 and bidi controls as backslash-x-HH, each byte; the
    rest as it is, as wide as char_width says"""
    if b is None:
        return b"\\N", 2
    out, width = bytearray(), 0
    for m in PIECE.finditer(b):
        a, u, o = m.group("a", "u", "o")
        if a:
            out += a; width += len(a)
        elif u:
            text = u.decode()
            if not UNSAFE.search(text):
                out += u; width += sum(map(char_width, text))
                continue
            for ch in text:
                e = b"".join(BYTE[x] for x in ch.encode()) if UNSAFE.match(ch) else ch.encode()
                out += e; width += len(e) if UNSAFE.match(ch) else char_width(ch)
        else:
            e = b"".join(BYTE[x] for x in o)
            out += e; width += len(e)
    return bytes(out), width


def table_layout(header, rows, numeric, streaming):
    """a whole result is aligned on all its rows, a streamed one (select)
    on its first piece's first 1000 rows (here: the whole small input), then
    widens row by row; a cell widens its column up to 200 characters;
    numbers right-aligned; the last column unpadded"""
    hs = [shown(h) for h in header]
    w = [hw for _, hw in hs]
    cells = [[shown(c if not isinstance(c, int) else b"%d" % c) for c in r] for r in rows]
    for r in (cells[:1000] if streaming else cells):
        for c, (_, cw) in enumerate(r):
            w[c] = max(w[c], min(cw, 200))
    n = len(header)
    out = bytearray()
    for c, (t, hw) in enumerate(hs):
        out += t + (b" " * (w[c] - hw + 2) if c + 1 < n else b"")
    out += b"\n"
    for r in cells:
        for c, (t, cw) in enumerate(r):
            w[c] = max(w[c], min(cw, 200))
            pad = b" " * max(0, w[c] - cw)
            if numeric[c]:
                out += pad + t
            else:
                out += t + (pad if c + 1 < n else b"")
            if c + 1 < n:
                out += b"  "
        out += b"\n"
    return bytes(out)


def expect(fmt, header, rows, numeric, streaming):
    """The bytes of a result in fmt; None for json (compared as values)."""
    if fmt == "table":
        return table_layout(header, rows, numeric, streaming)
    if fmt == "tsv":
        return b"".join(b"\t".join(tsv_field(c if not isinstance(c, int) else b"%d" % c) for c in r) + b"\n"
                        for r in [header] + rows)
    if fmt == "csv":
        return b"".join(b",".join(csv_field(c if not isinstance(c, int) else b"%d" % c) for c in r) + b"\n"
                        for r in [header] + rows)
    return None
