#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen_nested.py BYTES OUT - JSON lines of web-log objects with nested
objects, arrays, floats and a few escapes, the fields the benchmark reads
("status", "bytes") after the nested parts so that a parser has to get
past them.  Seeded: the same bytes every run."""
import random
import sys

METHODS = ['GET'] * 8 + ['POST', 'PUT', 'DELETE', 'HEAD']
STATUSES = [200] * 70 + [201, 204, 301, 302, 304, 304, 400, 401, 403, 404, 404, 404, 429, 500, 502, 503]
AGENTS = [
	'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
	'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0',
	'curl/8.5.0',
	'Go-http-client/2.0',
	'Googlebot/2.1 (+http:\\/\\/www.google.com\\/bot.html)',
	'python-requests/2.31.0',
	'Caf\\u00e9Bot/1.0 (\\"beta\\")',
]
COUNTRIES = ['US', 'DE', 'FR', 'BR', 'IN', 'JP', 'GB', 'NL', 'PL', 'ZA']
PATHS = ['/api/v1/items/%d', '/api/v1/users/%d/orders', '/static/js/app.%d.js', '/search', '/login', '/img/%d.webp']
CIPHERS = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']


def main():
	size, out = int(sys.argv[1]), sys.argv[2]
	rnd = random.Random(42)
	r = rnd.random
	ri = rnd.randrange
	written = 0
	with open(out, 'w', encoding='ascii', newline='\n') as f:
		buf = []
		t = 1793491200.0
		while written < size:
			t += r() * 0.01
			status = STATUSES[ri(len(STATUSES))]
			path = PATHS[ri(len(PATHS))]
			if '%d' in path:
				path = path % ri(100000)
			nbytes = 0 if status in (204, 304) else ri(200, 60000)
			tags = ','.join('"%s"' % x for x in rnd.sample(['edge', 'cache-miss', 'ipv6', 'h2', 'h3', 'retry'], ri(0, 4)))
			line = (
				'{"ts":%.3f,"host":"web-%d","req":{"method":"%s","path":"%s","query":{"page":%d,"limit":%d,"q":%s},'
				'"headers":{"user_agent":"%s","accept":"application/json","x_request_id":"%016x"}},'
				'"client":{"ip":"%d.%d.%d.%d","geo":{"lat":%.4f,"lon":%.4f,"country":"%s"},"asn":%d},'
				'"upstream":{"addr":"10.0.%d.%d:8080","status":%d,"time":%.6f,"retries":[%s]},'
				'"tls":{"version":"TLSv1.%d","cipher":"%s"},"tags":[%s],"sampled":%s,"trace":%s,'
				'"duration":%.6f,"status":%d,"bytes":%d}\n' % (
					t, ri(16), METHODS[ri(len(METHODS))], path, ri(1, 50), 10 * ri(1, 11),
					'null' if ri(3) else '"term %d"' % ri(1000),
					AGENTS[ri(len(AGENTS))], rnd.getrandbits(64),
					ri(1, 255), ri(256), ri(256), ri(1, 255), r() * 180 - 90, r() * 360 - 180,
					COUNTRIES[ri(len(COUNTRIES))], ri(1000, 70000),
					ri(4), ri(1, 255), status, r() * 0.5, ','.join('%.3f' % (r() * 0.1) for _ in range(ri(0, 3))),
					ri(2, 4), CIPHERS[ri(len(CIPHERS))], tags, 'true' if ri(10) == 0 else 'false',
					'null' if ri(2) else '{"id":"%032x","span":%d}' % (rnd.getrandbits(128), ri(1 << 31)),
					r() * 2.0, status, nbytes))
			buf.append(line)
			written += len(line)
			if len(buf) >= 10000:
				f.write(''.join(buf))
				buf = []
		f.write(''.join(buf))


main()
