#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bgzf.py FILE - write FILE as BGZF to standard output: gzip members of at
most 65280 input bytes, each with the BC extra subfield giving its size
(what bgzip writes), then the empty end-of-file member.  The tests' BGZF
writer, independent of ringflow's decoders."""
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
out = sys.stdout.buffer


def member(chunk):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = c.compress(chunk) + c.flush()
    bsize = 18 + len(body) + 8
    out.write(b"\x1f\x8b\x08\x04" + b"\0" * 4 + b"\0\xff" + struct.pack("<H", 6) + b"BC"
              + struct.pack("<HH", 2, bsize - 1))
    out.write(body + struct.pack("<II", zlib.crc32(chunk), len(chunk)))


for i in range(0, len(data), 65280):
    member(data[i:i + 65280])
member(b"")
