#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""behaviour.py - which JSON lines simdjson accepts and ringflow's oracle
(Python's json, read as tests/difftest.py's p_json reads it) accepts, and
what each makes of the two fields the benchmark reads.

    behaviour.py SHIM_BENCH RINGFLOW > table.md

Every case line is followed by a good sentinel line, so that the document
streams (parse_many, iterate_many) show whether a bad line costs its
neighbours too.  Prints two markdown tables to stdout."""
import json
import os
import subprocess
import sys
import tempfile

GOOD = b'{"status":299,"bytes":1}'


def nest(d):
	"""An object nested d deep in all (the line's own object is 1)."""
	return b'{"status":200,"bytes":5,"x":' + b'[' * (d - 1) + b']' * (d - 1) + b'}'


CASES = [
	('plain', b'{"status":200,"bytes":5}'),
	('spaces and CR', b' { "status" : 200 , "bytes" : 5 } \r'),
	('NaN wanted', b'{"status":200,"bytes":NaN}'),
	('Infinity wanted', b'{"status":200,"bytes":Infinity}'),
	('-Infinity skipped', b'{"status":200,"bytes":5,"x":-Infinity}'),
	('NaN skipped', b'{"status":200,"bytes":5,"x":NaN}'),
	('1e400 wanted', b'{"status":200,"bytes":1e400}'),
	('1e400 skipped', b'{"status":200,"bytes":5,"x":1e400}'),
	('-1e400 skipped', b'{"status":200,"bytes":5,"x":-1e400}'),
	('1e-400 wanted', b'{"status":200,"bytes":1e-400}'),
	('exponent 1e999999999999 skipped', b'{"status":200,"bytes":5,"x":1e999999999999}'),
	('20 digits (< 2^64) wanted', b'{"status":200,"bytes":12345678901234567890}'),
	('2^64 wanted', b'{"status":200,"bytes":18446744073709551616}'),
	('21 digits skipped', b'{"status":200,"bytes":5,"x":123456789012345678901}'),
	('-2^63-1 wanted', b'{"status":200,"bytes":-9223372036854775809}'),
	('100 digits skipped', b'{"status":200,"bytes":5,"x":' + b'9' * 100 + b'}'),
	('2.5e3 wanted', b'{"status":200,"bytes":2.5e3}'),
	('-0 wanted', b'{"status":200,"bytes":-0}'),
	('leading zero skipped', b'{"status":200,"bytes":5,"x":01}'),
	('"5x" number skipped', b'{"status":200,"bytes":5,"x":5x}'),
	('lone minus skipped', b'{"status":200,"bytes":5,"x":-}'),
	('1. skipped', b'{"status":200,"bytes":5,"x":1.}'),
	('duplicate key (bytes 5 then 7)', b'{"status":200,"bytes":5,"bytes":7}'),
	('duplicate key (status 200 then 404)', b'{"status":200,"status":404,"bytes":5}'),
	('escaped key st\\u0061tus', b'{"st\\u0061tus":200,"bytes":5}'),
	('status as a string', b'{"status":"200","bytes":"5"}'),
	('invalid UTF-8 (\\xff) in a skipped string', b'{"status":200,"bytes":5,"a":"\xff"}'),
	('invalid UTF-8 in a key', b'{"status":200,"bytes":5,"\xfe":1}'),
	('overlong UTF-8 (\\xc0\\xaf)', b'{"status":200,"bytes":5,"a":"\xc0\xaf"}'),
	('UTF-8 of a surrogate (\\xed\\xa0\\x80)', b'{"status":200,"bytes":5,"a":"\xed\xa0\x80"}'),
	('truncated UTF-8 at the line end', b'{"status":200,"bytes":5,"a":"x"} \xe2\x82'),
	('lone surrogate escape \\ud800 skipped', b'{"status":200,"bytes":5,"a":"\\ud800"}'),
	('lone surrogate escape \\udc00 skipped', b'{"status":200,"bytes":5,"a":"\\udc00"}'),
	('lone surrogate escape wanted', b'{"status":"\\ud800","bytes":5}'),
	('\\u0000 escape skipped', b'{"status":200,"bytes":5,"a":"\\u0000"}'),
	('bad escape \\x41 skipped', b'{"status":200,"bytes":5,"a":"\\x41"}'),
	('short escape \\u12 skipped', b'{"status":200,"bytes":5,"a":"\\u12"}'),
	('raw tab in a string', b'{"status":200,"bytes":5,"a":"x\ty"}'),
	('raw NUL in a string', b'{"status":200,"bytes":5,"a":"x\x00y"}'),
	('NUL between tokens', b'{"status":200,"bytes":5}\x00'),
	('form feed as space', b'{"status":200,\x0c"bytes":5}'),
	('UTF-8 BOM before the object', b'\xef\xbb\xbf{"status":200,"bytes":5}'),
	('depth 64', nest(64)),
	('depth 65', nest(65)),
	('depth 100', nest(100)),
	('depth 900', nest(900)),
	('depth 1100', nest(1100)),
	('bad literal tru skipped', b'{"status":200,"bytes":5,"x":tru}'),
	('True skipped', b'{"status":200,"bytes":5,"x":True}'),
	('nul skipped', b'{"status":200,"bytes":5,"x":nul}'),
	('bad array [1 2] skipped', b'{"status":200,"bytes":5,"x":[1 2]}'),
	('bad object {"a" 1} skipped', b'{"status":200,"bytes":5,"x":{"a" 1}}'),
	('trailing comma', b'{"status":200,"bytes":5,}'),
	('missing colon', b'{"status":200,"bytes" 5}'),
	('single quotes', b"{'status':200,'bytes':5}"),
	('trailing text', b'{"status":200,"bytes":5} x'),
	('two objects on a line', b'{"status":200,"bytes":5}{"status":201,"bytes":6}'),
	('extra closing brace', b'{"status":200,"bytes":5}}'),
	('unclosed object (truncated line)', b'{"status":200,"bytes":5,"x":{"y":1}'),
	('truncated after a colon', b'{"status":200,"bytes":'),
	('unclosed string', b'{"status":200,"bytes":5,"a":"xyz}'),
	('top-level array', b'[{"status":200,"bytes":5}]'),
	('top-level number', b'42'),
	('empty object', b'{}'),
]


def text(v):
	if v is None:
		return '-'
	if isinstance(v, str):
		# lone surrogates and other non-ASCII as escapes
		return v.encode('ascii', 'backslashreplace').decode('ascii')
	return json.dumps(v)


def python(line):
	"""tests/difftest.py's p_json: strict UTF-8, numbers kept as text."""
	if line.endswith(b'\r'):
		line = line[:-1]
	try:
		obj = json.loads(line.decode('utf-8'), parse_int=str, parse_float=str)
	except (ValueError, UnicodeDecodeError, RecursionError):
		return 'rej'
	if not isinstance(obj, dict):
		return 'rej'
	return 'ok %s %s' % (text(obj.get('status')), text(obj.get('bytes')))


def ringflow(rf, line, tmp):
	# after a good line: a byte order mark is read past on the first line only
	path = os.path.join(tmp, 'one.json')
	with open(path, 'wb') as f:
		f.write(GOOD + b'\n' + line + b'\n')
	r = subprocess.run([rf, '--mode=serial', '--format=tsv', 'parse json | select status, bytes', path],
			   capture_output=True)
	rows = r.stdout.decode('utf-8', 'replace').splitlines()
	if r.returncode != 0:
		return 'error %d' % r.returncode
	if len(rows) < 3:
		return 'rej'
	st, by = (rows[2].split('\t') + ['', ''])[:2]
	# tsv prints a missing value as \N
	return 'ok %s %s' % (st if st not in ('', '\\N') else '-', by if by not in ('', '\\N') else '-')


def simdjson(sb, variant, path):
	r = subprocess.run([sb, '--check', variant, path], capture_output=True)
	if r.returncode < 0:
		# simdjson crashed: every line is lost
		with open(path, 'rb') as f:
			n = f.read().count(b'\n')
		return ['crash'] * n, ['crash (signal %d)' % -r.returncode] * n
	if r.returncode != 0:
		sys.exit('behaviour.py: %s %s failed: %s' % (sb, variant, r.stderr.decode()))
	out = r.stdout.decode('utf-8', 'replace').splitlines()
	return [o if o.startswith('ok') or o in ('lost', 'multi', 'empty', 'crash') else 'rej' for o in out], out


def cell(v, want):
	v = v.replace('|', '\\|')
	return v if v == want.replace('|', '\\|') else '**%s**' % v


def main():
	sb, rf = sys.argv[1], sys.argv[2]
	tmp = tempfile.mkdtemp(prefix='sj-behaviour.')
	path = os.path.join(tmp, 'cases.json')
	with open(path, 'wb') as f:
		for _, line in CASES:
			f.write(line + b'\n' + GOOD + b'\n')
	per_line = ['dom', 'od', 'shim', 'shim-lazy']
	got = {v: simdjson(sb, v, path)[0] for v in per_line}
	streams = {v: simdjson(sb, v, path) for v in ('dom-many', 'od-many')}
	print('Verdicts per line: `ok STATUS BYTES` (the text each returns for the two fields; `-` is')
	print('missing) or `rej`.  **Bold**: differs from Python\'s json (the oracle).  dom: DOM parser;')
	print('od: On-Demand with find_field_unordered; shim / shim-lazy: sj_fields / sj_fields_lazy.')
	print()
	print('| case | Python json | ringflow | dom | od | shim | shim-lazy |')
	print('|---|---|---|---|---|---|---|')
	ndiff = {k: 0 for k in ['ringflow'] + per_line}
	for i, (name, line) in enumerate(CASES):
		want = python(line)
		rfv = ringflow(rf, line, tmp)
		# verdicts only: values differ in form (DOM prints 2.5e3 as 2500.0)
		ndiff['ringflow'] += rfv.split()[0] != want.split()[0]
		row = [name.replace('|', '\\|'), want.replace('|', '\\|'), cell(rfv, want)]
		for v in per_line:
			g = got[v][2 * i]
			ndiff[v] += g.split()[0] != want.split()[0]
			row.append(cell(g, want))
		print('| ' + ' | '.join(row) + ' |')
	print()
	print('Lines whose accept/reject verdict differs from Python\'s: ' +
	      ', '.join('%s %d' % (k, n) for k, n in ndiff.items()) + ' (of %d).' % len(CASES))
	print()
	print('Document streams: each case alone between good lines (`%s`), as' % GOOD.decode())
	print('good, case, good, good.  The case line\'s verdict (`lost`: no document started on that')
	print('line, `multi`: two did; the error text is simdjson\'s) and how many of the 3 good lines')
	print('came through.')
	print()
	print('| case | Python json | parse_many: case | good kept | iterate_many: case | good kept |')
	print('|---|---|---|---|---|---|')
	lost = {'dom-many': 0, 'od-many': 0}
	one = os.path.join(tmp, 'stream.json')
	for name, line in CASES:
		with open(one, 'wb') as f:
			f.write(GOOD + b'\n' + line + b'\n' + GOOD + b'\n' + GOOD + b'\n')
		want = python(line)
		row = [name.replace('|', '\\|'), want.replace('|', '\\|')]
		for v in lost:
			raw = simdjson(sb, v, one)[1]
			kept = sum(raw[i] == 'ok 299 1' for i in (0, 2, 3))
			lost[v] += 3 - kept
			c = raw[1].replace('|', '\\|')
			row += [c if c.split()[0] == want.split()[0] else '**%s**' % c, '%d/3' % kept if kept == 3 else '**%d/3**' % kept]
		print('| ' + ' | '.join(row) + ' |')
	print()
	print('Good lines lost: ' + ', '.join('%s %d' % (k, n) for k, n in lost.items()) +
	      ' (of %d).' % (3 * len(CASES)))
	print()
	print('A bad line in a longer stream: 200,000 good lines (%d bytes; the stream\'s window' % (200000 * (len(GOOD) + 1)))
	print('is 1 MiB) with one bad line after the 50,000th (in the second window): good lines that')
	print('came through.')
	print()
	print('| bad line | parse_many | iterate_many |')
	print('|---|---|---|')
	for name in ('invalid UTF-8 (\\xff) in a skipped string', 'raw tab in a string', 'NaN skipped',
		     '1e400 skipped', 'unclosed object (truncated line)', 'bad literal tru skipped',
		     'form feed as space'):
		line = dict(CASES)[name]
		with open(one, 'wb') as f:
			f.write((GOOD + b'\n') * 50000 + line + b'\n' + (GOOD + b'\n') * 150000)
		row = [name.replace('|', '\\|')]
		for v in ('dom-many', 'od-many'):
			raw = simdjson(sb, v, one)[1]
			kept = sum(x == 'ok 299 1' for x in raw)
			row.append('%d' % kept if kept == 200000 else '**%d**%s' % (kept, ' (crash)' if raw[0].startswith('crash') else ''))
		print('| ' + ' | '.join(row) + ' |')
	print()
	print('All cases in one file (each followed by a good line): %s' % ', '.join(
		'%s kept %d of %d lines' % (v, sum(x.startswith('ok') for x in streams[v][1]), 2 * len(CASES))
		for v in streams))


main()
