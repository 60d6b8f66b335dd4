#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# mkmmdb.py - a small MaxMind DB writer for the tests of geoip() and asn().
#
# The format (https://maxmind.github.io/MaxMind-DB/): a binary search tree
# over the address bits, each node two records (24 bits each here) that
# point to another node, to "no data" (node_count) or into the data
# section (node_count + 16 + offset); 16 zero bytes; the data section; the
# marker b"\xab\xcd\xefMaxMind.com" and the metadata map.  In an IPv6 tree
# IPv4 networks live under ::/96 (libmaxminddb looks them up there).
#
#   mkmmdb.py country OUT.mmdb [--ipv4]   a Country/City-like database
#   mkmmdb.py asn OUT.mmdb [--ipv4]       an ASN-like database
#   mkmmdb.py list country|asn            the networks and records, as JSON
# Any other kind of file to check libmaxminddb's refusals is made by the
# test itself (truncating or garbling one of these).
import ipaddress
import json
import struct
import sys

COUNTRY = [
    ("1.0.0.0/24", {"country": {"iso_code": "AU", "names": {"en": "Australia"}},
                    "continent": {"code": "OC"},
                    "city": {"names": {"en": "Sydney"}},
                    "location": {"latitude": -33.8688, "longitude": 151.2093}}),
    ("8.8.8.0/24", {"country": {"iso_code": "US", "names": {"en": "United States"}},
                    "continent": {"code": "NA"},
                    "location": {"latitude": 37.751, "longitude": -97.822}}),
    ("81.2.69.0/26", {"country": {"iso_code": "GB", "names": {"en": "United Kingdom"}},
                      "continent": {"code": "EU"},
                      "city": {"names": {"en": "London"}},
                      "location": {"latitude": 51.5142, "longitude": -0.0931}}),
    ("81.2.69.64/26", {"country": {"iso_code": "SE", "names": {"en": "Sweden"}},
                       "continent": {"code": "EU"}}),
    ("175.16.199.0/24", {"country": {"iso_code": "CN", "names": {"en": "China"}},
                         "continent": {"code": "AS"},
                         "city": {"names": {"en": "Changchun"}}}),
    ("2001:218::/32", {"country": {"iso_code": "JP", "names": {"en": "Japan"}},
                       "continent": {"code": "AS"}}),
    ("2a02:cf40::/29", {"country": {"iso_code": "NO", "names": {"en": "Norway"}},
                        "continent": {"code": "EU"}}),
    # a network with no country (only a continent), as anonymous ones are
    ("89.160.20.0/24", {"continent": {"code": "EU"}}),
]

ASN = [
    ("1.0.0.0/24", {"autonomous_system_number": 13335, "autonomous_system_organization": "Cloudflare, Inc."}),
    ("8.8.8.0/24", {"autonomous_system_number": 15169, "autonomous_system_organization": "Google LLC"}),
    ("81.2.69.0/24", {"autonomous_system_number": 20712, "autonomous_system_organization": "Andrews & Arnold Ltd"}),
    ("2001:218::/32", {"autonomous_system_number": 2914, "autonomous_system_organization": "NTT America, Inc."}),
    ("12.81.92.0/22", {"autonomous_system_number": 4294967295, "autonomous_system_organization": "Max ASN Ünïcödé"}),
]


def control(kind, size):
    """The control byte(s) of a value of this type and size."""
    ext = b""
    if kind > 7:
        ext = bytes([kind - 7])
        kind = 0
    if size < 29:
        return bytes([kind << 5 | size]) + ext
    if size < 29 + 256:
        return bytes([kind << 5 | 29]) + ext + bytes([size - 29])
    if size < 285 + 65536:
        return bytes([kind << 5 | 30]) + ext + struct.pack(">H", size - 285)
    return bytes([kind << 5 | 31]) + ext + struct.pack(">I", size - 65821)[1:]


def uint(kind, n, width):
    b = n.to_bytes(width, "big").lstrip(b"\0")
    return control(kind, len(b)) + b


def encode(v):
    if isinstance(v, bool):
        return control(14, int(v))
    if isinstance(v, str):
        b = v.encode()
        return control(2, len(b)) + b
    if isinstance(v, float):
        return control(3, 8) + struct.pack(">d", v)
    if isinstance(v, int):
        if v < 0:
            raise ValueError("no negative numbers here")
        if v < 1 << 16:
            return uint(5, v, 2)
        if v < 1 << 32:
            return uint(6, v, 4)
        return uint(9, v, 8)
    if isinstance(v, dict):
        out = control(7, len(v))
        for k, x in v.items():
            out += encode(k) + encode(x)
        return out
    if isinstance(v, list):
        return control(11, len(v)) + b"".join(encode(x) for x in v)
    raise TypeError(type(v))


def uint16(n):
    return uint(5, n, 2)


def build(networks, ip_version):
    bits = 128 if ip_version == 6 else 32
    root = [None, None]
    data = b""
    offsets = {}
    for cidr, record in networks:
        net = ipaddress.ip_network(cidr)
        if net.version == 6 and ip_version == 4:
            continue
        addr, plen = int(net.network_address), net.prefixlen
        if net.version == 4 and ip_version == 6:
            plen += 96  # ::a.b.c.d, where libmaxminddb looks IPv4 up
        key = json.dumps(record, sort_keys=True)
        if key not in offsets:
            offsets[key] = len(data)
            data += encode(record)
        node = root
        for i in range(plen):
            bit = addr >> (bits - 1 - i) & 1 if net.version == 6 or ip_version == 4 else \
                (0 if i < 96 else addr >> (127 - i) & 1)
            if i == plen - 1:
                node[bit] = ("data", offsets[key])
            else:
                if not isinstance(node[bit], list):
                    node[bit] = [None, None]
                node = node[bit]
    # number the nodes breadth first
    order, queue = [], [root]
    while queue:
        n = queue.pop(0)
        order.append(n)
        queue += [c for c in n if isinstance(c, list)]
    index = {id(n): i for i, n in enumerate(order)}
    count = len(order)

    def rec(c):
        if c is None:
            return count
        if isinstance(c, list):
            return index[id(c)]
        return count + 16 + c[1]

    tree = b"".join(struct.pack(">I", rec(n[0]))[1:] + struct.pack(">I", rec(n[1]))[1:] for n in order)
    meta = {"node_count": count, "record_size": 24, "ip_version": ip_version}
    meta_bytes = control(7, 9)
    meta_bytes += encode("binary_format_major_version") + uint16(2)
    meta_bytes += encode("binary_format_minor_version") + uint16(0)
    meta_bytes += encode("build_epoch") + uint(9, 1764547200, 8)
    meta_bytes += encode("database_type") + encode("ringflow-test")
    meta_bytes += encode("description") + encode({"en": "ringflow test database"})
    meta_bytes += encode("ip_version") + uint16(meta["ip_version"])
    meta_bytes += encode("languages") + encode(["en"])
    meta_bytes += encode("node_count") + uint(6, count, 4)
    meta_bytes += encode("record_size") + uint16(24)
    return tree + b"\0" * 16 + data + b"\xab\xcd\xefMaxMind.com" + meta_bytes


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "list":
        print(json.dumps(COUNTRY if sys.argv[2] == "country" else ASN))
        return
    if len(sys.argv) < 3 or sys.argv[1] not in ("country", "asn"):
        sys.exit("usage: mkmmdb.py country|asn OUT.mmdb [--ipv4] | list country|asn")
    nets = COUNTRY if sys.argv[1] == "country" else ASN
    with open(sys.argv[2], "wb") as f:
        f.write(build(nets, 4 if "--ipv4" in sys.argv[3:] else 6))


if __name__ == "__main__":
    main()
