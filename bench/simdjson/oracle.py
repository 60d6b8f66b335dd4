#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""oracle.py FILE - count and sum(bytes) by status over JSON lines with
Python's json module, read as tests/difftest.py's p_json reads a line
(strict UTF-8, numbers as text, an object or the line is rejected): the
independent answer bench/simdjson.sh checks every variant against."""
import json
import re
import sys

INT = re.compile(r'-?[0-9]+\Z')
count, total, rejected = {}, {}, 0
with open(sys.argv[1], 'rb') as f:
	for line in f:
		line = line.rstrip(b'\n')
		if line.endswith(b'\r'):
			line = line[:-1]
		if not line:
			continue
		try:
			obj = json.loads(line.decode('utf-8'), parse_int=str, parse_float=str)
		except (ValueError, UnicodeDecodeError, RecursionError):
			rejected += 1
			continue
		if not isinstance(obj, dict):
			rejected += 1
			continue
		st, by = obj.get('status'), obj.get('bytes')
		key = st if isinstance(st, str) and INT.match(st) and 0 <= int(st) < 1000 else 'other'
		count[key] = count.get(key, 0) + 1
		total[key] = total.get(key, 0) + (int(by) if isinstance(by, str) and INT.match(by) else 0)
for key in sorted(count, key=lambda k: (k == 'other', int(k) if k != 'other' else 0)):
	print(key, count[key], total[key])
print('rejected', rejected, file=sys.stderr)
