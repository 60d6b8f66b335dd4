#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""difftest.py - differential tester for ringflow.

Generates random inputs and random queries from the query language, runs
each case through ringflow in serial mode (scalar kernels, read(2)) and in a
random sample of the other modes, I/O backends, SIMD levels and small
buffer/window sizes, and compares every run with an independent reference:

  - parsing with Python's re, csv and json modules (and a small logfmt and
    access-log reader written from the README's description);
  - filters, group-bys, counts, min/max/avg and distinct in SQLite (the
    sqlite3 module), with the language's comparison rules as SQL functions;
  - integer sums with Python integers (exact), quantiles by an exact sort,
    checked against the documented bound (1% relative error).

A failing case is shrunk (files, lines, query stages, options) and written
as a self-describing JSON file (tests/difftest/cases/).  Saved cases are
replayed on every run.  Generator classes can be switched on and off
(--classes); the classes that hit a still-open bug are off by default.

Only the Python standard library is used.  Deterministic for a given seed.
"""

import argparse
import sys
import base64
import csv
import functools
import io
import json
import math
import os
import random
import re
import shutil
try:
	import sqlite3
except ImportError:   # a Python built without it: the automake driver's skip
	print('SKIP: python3 has no sqlite3 module')
	sys.exit(77)
import subprocess
import tempfile
import time
from decimal import Decimal
from fractions import Fraction

INT64_MAX = 2**63 - 1
INT64_MIN = -2**63

# ---------------------------------------------------------------------------
# Generator classes.  (default, what it covers)  A class whose bug is still
# open stays off, with the issue item named; switch it on with
# --classes=+NAME (or all with --classes=+all).
CLASSES = {
	# input formats
	'lines':      (True, 'plain lines: grep, grep -v, grep -i (ASCII), regex, head, count'),
	'split':      (True, 'blank-separated columns (split): where, aggregates, select'),
	'splitdelim': (True, 'split DELIM with , ; | and multi-byte delimiters, empty fields'),
	'json':       (True, 'parse json: nested objects as dotted paths, escapes, numbers as text, null'),
	'logfmt':     (True, 'parse logfmt: bare keys, quoted values with escapes, empty values'),
	'csv':        (True, 'parse csv: RFC 4180 quoting, doubled quotes, ragged rows, $N'),
	'tsv':        (True, 'parse tsv: quoting, empty fields'),
	'combined':   (True, 'parse combined / common access logs, bytes "-"'),
	'parseregex': (True, 'parse regex with named and optional groups, rejects'),
	'time':       (True, 'minute/hour/day/bucket keys over combined, ISO 8601 (Z, offsets, fractions) and epoch seconds'),
	# data classes
	'untidy':     (True, 'CRLF, no final newline, NUL, invalid UTF-8, empty lines, long lines'),
	'bignum':     (True, 'large and negative integers up to the INT64 limits, numbers past 64 bits (as doubles); sums kept inside int64'),
	'floats':     (True, 'fractions, exponents, -0, .5, 5., shortest round-trip output'),
	'manyfiles':  (True, 'many small files (async mode), a header per CSV file'),
	'stdin':      (True, 'a single input through a pipe on standard input'),
	'smallbuf':   (True, 'small --buffer-size and --window values: records across batch ends'),
	'rejects':    (True, 'lines the parser cannot read: counted and reported on stderr'),
	# the classes of issue 11 (each failed before its fix)
	'quantile_range': (True, 'issue 11 item 1: quantiles over values spanning more than 6e17x (1e25, 2^64-1, -1e300 mixed with small values)'),
	'regex_jit':      (True, 'issue 11 item 2: regex that exhausts the PCRE2 JIT stack (long lines, (a|b)*)'),
	'json_objpath':   (True, 'issue 11 item 3: parse json with an object and a path under it in one query'),
	'repeat_agg':     (True, 'issue 11 item 4: an aggregate repeated, or one field under two aggregates'),
	'int_overflow':   (True, 'issue 11 item 6: integer sums past or near the 64-bit limits (exact, 128-bit)'),
	'csv_untidy':     (True, 'issue 11 item 7: CSV/TSV bare quotes, BOM, blank lines'),
	'csv_newline':    (True, 'issue 11 item 7: CSV/TSV quoted fields holding a newline (a record over several lines)'),
	'time_untidy':    (True, 'issue 11 item 8: invalid dates, epoch ms, date-only ISO, T10:00Z, +05, RFC 1123'),
	'utf8_fold':      (True, 'issue 11 item 9: grep -i over non-ASCII UTF-8'),
	'combined_cut':   (True, 'issue 11 item 10: combined lines cut off inside the user-agent quote'),
	# found by this tester (see tests/difftest/README.md)
	'mixed_key_order': (True, 'group order when a key column mixes numbers and other strings: the key comparison is not transitive, so the order depends on input order and mode'),
	'csv_parallel':   (True, 'parse csv/tsv in parallel mode (also what multiprocess and auto run for csv): a batch after the first reads every named column as column 1'),
	'logfmt_ctl':     (True, 'a quoted logfmt value holding a raw control byte (tab, NUL, ESC): a JSON string, so the line is rejected and counted'),
	'rejects_order':  (True, 'issue 11, smaller items: the --rejects file in input order in every mode (multiprocess writes it out of order)'),
	'json_output':    (True, 'issue 11 item 12: --format=json must be strict UTF-8 JSON; select prints numbers as numbers'),
	'exact_ties':     (True, 'issue 13: numbers whose doubles tie (near and past 2^53, long fractions at any magnitude, 0.1 against 0.10000000000000000001): key order, sort and top exact'),
}

# ---------------------------------------------------------------------------
# reference: values and numbers

JSON_NUM_RE = re.compile(r'-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?')
NUM_RE = re.compile(rb'([+-]?)([0-9]*)(?:\.([0-9]*))?([eE][+-]?[0-9]+)?')


def rnum(b):
	"""A value as the language reads a number (README: integers stay exact,
	others are doubles; surrounding blanks allowed), or None."""
	if b is None:
		return None
	s = b.strip(b' \t')
	if not s:
		return None
	m = NUM_RE.fullmatch(s)
	if not m:
		return None
	if not m.group(2) and not m.group(3):
		return None
	if m.group(3) is None and m.group(4) is None and m.group(2):
		v = int(s)
		if INT64_MIN <= v <= INT64_MAX:
			return v
	return float(s)


def num_cmp(a, b):
	"""Numbers in their exact order (README): Python compares an int with a
	float, or two Fractions, exactly; never through float(), which rounds
	2^53 + 1 to 2^53."""
	return (a > b) - (a < b)


def dbl_cmp(a, b):
	"""A filter's comparison (where $x < 5): two integers exactly, anything
	else by the doubles (a tie of doubles: see sql_cmp)."""
	if isinstance(a, int) and isinstance(b, int):
		return (a > b) - (a < b)
	a, b = float(a), float(b)
	return (a > b) - (a < b)


def exact_num(b):
	"""The exact value of text rnum reads as a number: an int, or the
	Fraction its decimal digits mean (0.1 is not the double 0.1)."""
	n = rnum(b)
	if n is None or isinstance(n, int):
		return n
	return Fraction(Decimal(b.strip(b' \t').decode('ascii')))


def key_cmp(a, b):
	"""Group order (README: sorted by key): missing, then numbers by value
	(ties by bytes), then other strings, the empty one first, by bytes - the
	total order engine/table.h now states.  Before it, a number and a
	string compared as bytes (not transitive): class mixed_key_order."""
	def cls(v):
		if v is None:
			return 0, None
		n = exact_num(v)
		if n is not None:
			return 2, n
		return 3, v
	ca, va = cls(a)
	cb, vb = cls(b)
	if ca != cb:
		return (ca > cb) - (ca < cb)
	if ca == 2:
		c = num_cmp(va, vb)
		if c:
			return c
		return (a > b) - (a < b)
	if ca == 3:
		return (va > vb) - (va < vb)
	return 0


def keys_cmp(ka, kb):
	for a, b in zip(ka, kb):
		c = key_cmp(a, b)
		if c:
			return c
	return 0


def fmt_num(v):
	"""Shortest form that reads back (README)."""
	if isinstance(v, int):
		return str(v)
	if v != v or v in (float('inf'), float('-inf')):
		return repr(v)
	if v == int(v) and abs(v) < 1e16:
		return str(int(v))
	return repr(v)


# ---------------------------------------------------------------------------
# reference parsers

def frame(data):
	"""Records of one input: lines without the newline; a last line without
	one is a record too."""
	if not data:
		return []
	lines = data.split(b'\n')
	if lines[-1] == b'':
		lines.pop()
	return lines


def chomp_cr(line):
	return line[:-1] if line.endswith(b'\r') else line


def p_split(line, delim):
	line = chomp_cr(line)
	if delim is None:
		parts = [p for p in re.split(rb'[ \t]+', line) if p != b'']
	else:
		parts = line.split(delim)
	return {b'$%d' % (i + 1): p for i, p in enumerate(parts)}


class RawNum:
	def __init__(self, t):
		self.t = t


def _flatten(obj, prefix, out, text):
	for k, v in obj.items():
		name = (prefix + '.' + k) if prefix else k
		bname = name.encode('utf-8', 'surrogatepass')
		if v is None:
			continue
		if isinstance(v, dict):
			out[bname] = json_text(v).encode('utf-8', 'surrogatepass')
			_flatten(v, name, out, text)
		elif isinstance(v, list):
			out[bname] = json_text(v).encode('utf-8', 'surrogatepass')
		elif isinstance(v, RawNum):
			out[bname] = v.t.encode()
		elif v is True:
			out[bname] = b'true'
		elif v is False:
			out[bname] = b'false'
		else:
			out[bname] = v.encode('utf-8', 'surrogatepass')


def json_text(v):
	# the generator writes nested values compactly; they print as written
	if isinstance(v, RawNum):
		return v.t
	if isinstance(v, dict):
		return '{' + ','.join(json.dumps(k) + ':' + json_text(x) for k, x in v.items()) + '}'
	if isinstance(v, list):
		return '[' + ','.join(json_text(x) for x in v) + ']'
	return json.dumps(v)


def p_json(line):
	line = chomp_cr(line)
	try:
		obj = json.loads(line.decode('utf-8'), parse_int=RawNum, parse_float=RawNum)
	except (ValueError, UnicodeDecodeError, RecursionError):
		return None
	if not isinstance(obj, dict):
		return None
	out = {}
	_flatten(obj, '', out, line)
	return out


LOGFMT_RE = re.compile(rb'([^ \t="]+)(?:=("(?:[^"\\]|\\.)*"|[^ \t"][^ \t]*|))?(?=[ \t]|\Z)', re.S)


def p_logfmt(line):
	line = chomp_cr(line)
	out = {}
	pos = 0
	n = len(line)
	while True:
		while pos < n and line[pos:pos + 1] in (b' ', b'\t'):
			pos += 1
		if pos >= n:
			return out
		m = LOGFMT_RE.match(line, pos)
		if not m:
			return None
		k, v = m.group(1), m.group(2)
		if v is None:
			v = b'true'
		elif v.startswith(b'"'):
			# a quoted value is a JSON string: a raw control byte in it
			# rejects the line (README; go-logfmt does the same)
			if re.search(rb'[\x00-\x1f]', v):
				return None
			v = re.sub(rb'\\(.)', lambda mm: {b'n': b'\n', b't': b'\t', b'r': b'\r'}.get(mm.group(1), mm.group(1)), v[1:-1])
		out[k] = v
		pos = m.end()


COMBINED_RE = re.compile(rb'(\S+) (\S+) (\S+) \[([^\]]*)\] "(\S+) (\S+) (\S+)" ([0-9]{3}) ([0-9]+|-)(?: "([^"]*)" "([^"]*)")?')
# issue 11 item 10: a user agent cut off at the end of the line keeps what is there
COMBINED_CUT_RE = re.compile(COMBINED_RE.pattern[:-3] + rb'"?)?')
combined_cut = False


def p_combined(line, combined):
	line = chomp_cr(line)
	m = (COMBINED_CUT_RE if combined_cut else COMBINED_RE).fullmatch(line)
	if not m or (combined and m.group(10) is None) or (not combined and m.group(10) is not None):
		return None
	g = m.groups()
	out = {b'ip': g[0], b'ident': g[1], b'user': g[2], b'time': g[3],
	       b'request': b'%s %s %s' % (g[4], g[5], g[6]), b'method': g[4], b'path': g[5],
	       b'protocol': g[6], b'status': g[7], b'bytes': b'0' if g[8] == b'-' else g[8]}
	if combined:
		out[b'referer'] = g[9]
		out[b'agent'] = g[10]
	return out


def pcre_to_py(pat):
	return pat.replace(b'(?<', b'(?P<')


def p_regex(line, cre):
	line = chomp_cr(line)
	m = cre.search(line)
	if not m:
		return None
	return {k.encode(): v for k, v in m.groupdict().items() if v is not None}


def p_csv_file(data, delim):
	"""(line index, fields) for each record of one csv/tsv input; the first
	record is the header (Python's csv module; BOM dropped, blank lines are
	no records, quoted newlines allowed)."""
	text = data.decode('utf-8', 'surrogateescape')
	if text.startswith('\ufeff'):
		text = text[1:]
	rd = csv.reader(io.StringIO(text, newline=''), delimiter=delim)
	rows = []
	try:
		for row in rd:
			rows.append((rd.line_num, row))
	except csv.Error:
		return None
	rows = [(ln, row) for ln, row in rows if row]   # blank lines are no records, before the header too
	if not rows:
		return []
	header = [h.encode('utf-8', 'surrogateescape') for h in rows[0][1]]
	out = []
	for ln, row in rows[1:]:
		if not row:
			continue
		f = {}
		for i, v in enumerate(row):
			bv = v.encode('utf-8', 'surrogateescape')
			f[b'$%d' % (i + 1)] = bv
			if i < len(header):
				f.setdefault(header[i], bv)
		out.append((ln, f))
	return out


# time stamps (README: combined-log, ISO 8601, syslog, epoch seconds)
MONTHS = [b'Jan', b'Feb', b'Mar', b'Apr', b'May', b'Jun', b'Jul', b'Aug', b'Sep', b'Oct', b'Nov', b'Dec']


def days_from_civil(y, m, d):
	import datetime
	return (datetime.date(y, m, d) - datetime.date(1970, 1, 1)).days


def p_time(v):
	import datetime
	if v is None:
		return None
	s = v.strip()
	m = re.fullmatch(rb'\[?([0-9]{2})/([A-Z][a-z]{2})/([0-9]{4}):([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})\]?', s)
	try:
		if m:
			d, mon, y, hh, mm, ss, sg, oh, om = m.groups()
			mo = MONTHS.index(mon) + 1
			t = days_from_civil(int(y), mo, int(d)) * 86400 + int(hh) * 3600 + int(mm) * 60 + int(ss)
			off = (int(oh) * 3600 + int(om) * 60) * (1 if sg == b'+' else -1)
			return t - off
		m = re.fullmatch(rb'([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?', s)
		if m:
			y, mo, d, hh, mm, ss, fr, tz = m.groups()
			t = days_from_civil(int(y), int(mo), int(d)) * 86400 + int(hh) * 3600 + int(mm) * 60 + int(ss)
			datetime.datetime(int(y), int(mo), int(d), int(hh), int(mm), int(ss))
			if tz and tz != b'Z':
				off = int(tz[1:3]) * 3600 + int(tz[4:6]) * 60
				t -= off if tz[:1] == b'+' else -off
			return t
		if time_untidy:
			t = p_time_more(s)
			if t is not None:
				return t
	except ValueError:
		return None
	if re.fullmatch(rb'[0-9]{10}(\.[0-9]+)?', s):
		return int(float(s))
	return None


time_untidy = False


def p_time_more(s):
	"""The forms issue 11 item 8 asks to recognise (class time_untidy):
	epoch milliseconds, a date alone, ISO without seconds, +HH offsets,
	RFC 1123.  Invalid dates raise ValueError (no timestamp)."""
	import datetime
	if re.fullmatch(rb'[0-9]{13}', s):
		return int(s) // 1000
	m = re.fullmatch(rb'([0-9]{4})-([0-9]{2})-([0-9]{2})', s)
	if m:
		return days_from_civil(*map(int, m.groups())) * 86400
	m = re.fullmatch(rb'([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?', s)
	if m:
		y, mo, d, hh, mm, ss, tz = m.groups()
		datetime.datetime(int(y), int(mo), int(d), int(hh), int(mm), int(ss or 0))
		t = days_from_civil(int(y), int(mo), int(d)) * 86400 + int(hh) * 3600 + int(mm) * 60 + int(ss or 0)
		if tz and tz != b'Z':
			off = int(tz[1:3]) * 3600 + (int(tz[-2:]) * 60 if len(tz) > 3 else 0)
			t -= off if tz[:1] == b'+' else -off
		return t
	m = re.fullmatch(rb'[A-Z][a-z]{2}, ([0-9]{2}) ([A-Z][a-z]{2}) ([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT', s)
	if m:
		d, mon, y, hh, mm, ss = m.groups()
		mo = MONTHS.index(mon) + 1
		datetime.datetime(int(y), mo, int(d))
		return days_from_civil(int(y), mo, int(d)) * 86400 + int(hh) * 3600 + int(mm) * 60 + int(ss)
	return None


def fmt_time(t, date_only=False):
	"""A time key as ringflow prints it: a bucket of whole days as a date."""
	import datetime
	d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
	return d.strftime('%Y-%m-%d' if date_only else '%Y-%m-%dT%H:%M:%SZ').encode()


TIME_NAMES = (b'time', b'timestamp', b'ts', b'@timestamp')


# ---------------------------------------------------------------------------
# queries: a list of stages (dicts), rendered to the query language

def qstr(b):
	"""A byte string as a query string literal."""
	out = ['"']
	for c in b:
		ch = chr(c)
		if ch == '"':
			out.append('\\"')
		elif ch == '\\':
			out.append('\\\\')
		elif ch == '\n':
			out.append('\\n')
		elif ch == '\t':
			out.append('\\t')
		elif ch == '\r':
			out.append('\\r')
		elif c == 0:
			out.append('\\0')
		elif c < 32 or c >= 127:
			out.append('\\x%02x' % c)
		else:
			out.append(ch)
	out.append('"')
	return ''.join(out)


def fname(f):
	return f if isinstance(f, str) else f.decode()


def render_expr(e, parent=None):
	op = e[0]
	if op in ('and', 'or'):
		s = ' %s ' % op
		txt = s.join(render_expr(x, op) for x in e[1:])
		if parent in ('and', 'not') or (parent == 'or' and op == 'or' and False):
			return '(' + txt + ')'
		return txt
	if op == 'not':
		return 'not ' + render_expr(e[1], 'not')
	if op == 'paren':
		return '(' + render_expr(e[1]) + ')'
	if op == 'cmp':
		return '%s %s %s' % (render_val(e[2]), e[1], render_val(e[3], True))
	if op == 'contains':
		return '%s contains %s' % (render_val(e[1]), render_val(e[2], True))
	if op == 'match':
		return '%s ~ %s' % (fname(e[1]), qstr(e[2].encode('latin-1')))
	if op == 'truthy':
		return fname(e[1])
	raise ValueError(op)


def render_val(v, rhs=False):
	"""A field on the right of a comparison is named with field("x"): a
	bare word there is refused (it is so often a string missing its
	quotes), unless it is a numbered field ($3)."""
	kind, x = v
	if kind == 'f':
		if rhs and not fname(x).startswith('$'):
			return 'field(%s)' % qstr(fname(x).encode())
		return fname(x)
	if kind == 'n':
		return x
	return qstr(x.encode('latin-1'))


def agg_name(a):
	if a[0] == 'count':
		return 'count'
	if a[0] == 'quantile':
		return 'quantile(%s,%s)' % (fname(a[1]), a[2])
	return '%s(%s)' % (a[0], fname(a[1]))


def key_name(k):
	if k[0] == 'field':
		return fname(k[1])
	if k[0] == 'bucket':
		return 'bucket(%s,%s)' % (fname(k[1]), k[2])
	return k[0]


def render_stage(st):
	op = st['op']
	if op == 'grep':
		return 'grep ' + ''.join(f + ' ' for f in st['flags']) + qstr(st['lit'].encode('latin-1'))
	if op == 'regex':
		return 'regex ' + ('-v ' if st['neg'] else '') + qstr(st['re'].encode('latin-1'))
	if op == 'split':
		return 'split' + ('' if st['delim'] is None else ' ' + qstr(st['delim'].encode('latin-1')))
	if op == 'parse':
		if st['fmt'] == 'regex':
			return 'parse regex ' + qstr(st['re'].encode('latin-1'))
		return 'parse ' + st['fmt']
	if op == 'where':
		return 'where ' + render_expr(st['expr'])
	if op == 'head':
		return 'head %d' % st['n']
	if op == 'select':
		return 'select ' + ', '.join(fname(f) for f in st['fields'])
	if op == 'agg':
		s = ', '.join(a[0] if a[0] == 'count' else
			      ('quantile(%s, %s)' % (fname(a[1]), a[2]) if a[0] == 'quantile' else '%s(%s)' % (a[0], fname(a[1])))
			      for a in st['aggs'])
		if st['keys']:
			s += ' by ' + ', '.join(
				fname(k[1]) if k[0] == 'field' else ('bucket(%s, %s)' % (fname(k[1]), k[2]) if k[0] == 'bucket' else k[0])
				for k in st['keys'])
		return s
	if op == 'top':
		return 'top %d' % st['n'] + (' by ' + st['col'] if st['col'] else '')
	if op == 'sort':
		return 'sort ' + ', '.join(c + (' desc' if d else '') for c, d in st['cols'])
	raise ValueError(op)


def render_query(stages):
	return ' | '.join(render_stage(s) for s in stages)


# ---------------------------------------------------------------------------
# the reference engine


class Invalid(Exception):
	"""The query is not one the reference models (e.g. left over by shrinking)."""


def parser_of(stages):
	for s in stages:
		if s['op'] in ('split', 'parse'):
			return s
	return None


def parse_records(files, pst):
	"""All records of all inputs in order: (line bytes, fields or None for a
	reject, or the string 'header' for a csv header line)."""
	recs = []
	for data in files:
		if pst is None:
			recs.extend((ln, {}) for ln in frame(data))
			continue
		if pst['op'] == 'split':
			d = None if pst['delim'] is None else pst['delim'].encode('latin-1')
			recs.extend((ln, p_split(ln, d)) for ln in frame(data))
			continue
		fmt = pst['fmt']
		if fmt in ('csv', 'tsv'):
			rows = p_csv_file(data, ',' if fmt == 'csv' else '\t')
			lines = frame(data)
			if rows is None:
				raise Invalid('csv module refused the input')
			for ln, f in rows:
				line = lines[ln - 1] if ln - 1 < len(lines) else b''
				recs.append((line, f))
			continue
		if fmt == 'regex':
			cre = re.compile(pcre_to_py(pst['re'].encode('latin-1')))
		for ln in frame(data):
			if fmt == 'json':
				f = p_json(ln)
			elif fmt == 'logfmt':
				f = p_logfmt(ln)
			elif fmt in ('combined', 'common'):
				f = p_combined(ln, fmt == 'combined')
			else:
				f = p_regex(ln, cre)
			recs.append((ln, f))
	return recs


def ascii_lower(b):
	return b.translate(bytes(range(65)) + bytes(range(97, 123)) + bytes(range(91, 256)))


def grep_i(line, lit):
	"""grep -i: UTF-8 case folding within the valid UTF-8 runs of a line
	(a match never spans an invalid byte); bytes that are not UTF-8 only
	match themselves (issue 11 item 9)."""
	try:
		ls = lit.decode('utf-8').lower()
	except UnicodeDecodeError:
		return ascii_lower(lit) in ascii_lower(line)
	text = line.decode('utf-8', 'surrogateescape')
	return any(ls in seg.lower() for seg in re.split('[\udc80-\udcff]+', text))


# SQL functions holding the language's rules; SQLite does the rest
def sql_cmp(op, a, b):
	if a is None or b is None:
		return 0
	na, nb = rnum(a), rnum(b)
	if na is not None and nb is not None:
		c = dbl_cmp(na, nb)
		if c == 0 and not (isinstance(na, int) and isinstance(nb, int)):
			# doubles that tie: the exact values of the texts decide, as in
			# ringflow's where (inf and nan texts have none: a tie)
			try:
				ea = Fraction(Decimal(a.strip(b' \t').decode('ascii')))
				eb = Fraction(Decimal(b.strip(b' \t').decode('ascii')))
			except (ArithmeticError, ValueError, UnicodeDecodeError):
				pass
			else:
				c = (ea > eb) - (ea < eb)
	else:
		c = (a > b) - (a < b)
	return int({'==': c == 0, '!=': c != 0, '<': c < 0, '<=': c <= 0, '>': c > 0, '>=': c >= 0}[op])


_re_cache = {}


def sql_re(pat, s):
	if s is None:
		return 0
	cre = _re_cache.get(pat)
	if cre is None:
		cre = _re_cache[pat] = re.compile(pcre_to_py(pat))
	return int(cre.search(s) is not None)


def sql_contains(a, b):
	if a is None or b is None:
		return 0
	return int(b in a)


def sql_truthy(a):
	return int(a is not None and a != b'')


def sql_grepi(line, lit):
	return int(grep_i(line, lit))


def sql_num(b):
	"""The numeric value of a field for SQLite (INTEGER, REAL or NULL)."""
	n = rnum(b)
	if isinstance(n, float) and (math.isinf(n) or math.isnan(n)):
		return None
	return n


class ExactSum:
	"""Integer sums in Python integers (SQLite's sum() raises on 64-bit
	overflow); a float enters: the result is a float sum."""
	def __init__(self):
		self.i = 0
		self.f = 0.0
		self.fl = False
		self.absf = 0.0

	def step(self, v):
		if v is None:
			return
		if isinstance(v, int):
			self.i += v
			self.absf += abs(v)
		else:
			self.fl = True
			self.f += v
			self.absf += abs(v)

	def finalize(self):
		# exact int, or "f:<float>:<abs sum>" for the tolerance
		if not self.fl:
			return str(self.i)
		return 'f:%r:%r' % (self.i + self.f, self.absf)


class Collect:
	def __init__(self):
		self.v = []

	def step(self, v):
		if v is not None:
			self.v.append(v)

	def finalize(self):
		return json.dumps([('i', x) if isinstance(x, int) else ('f', x) for x in self.v])


def make_db():
	sqlite3.enable_callback_tracebacks(True)
	db = sqlite3.connect(':memory:')
	db.create_function('rf_cmp', 3, sql_cmp, deterministic=True)
	db.create_function('rf_re', 2, sql_re, deterministic=True)
	db.create_function('rf_contains', 2, sql_contains, deterministic=True)
	db.create_function('rf_truthy', 1, sql_truthy, deterministic=True)
	db.create_function('rf_grepi', 2, sql_grepi, deterministic=True)
	db.create_aggregate('rf_sum', 1, ExactSum)
	db.create_aggregate('rf_collect', 1, Collect)
	return db


class SqlBuilder:
	def __init__(self):
		self.fields = []   # field names (bytes), column i+2 is f<i>
		self.params = []

	def col(self, f):
		if isinstance(f, str):
			f = f.encode()
		if f in (b'$0', b'line'):
			return 'line'   # the record as it is, a CR before the newline kept (README: CRLF lines keep their CR)
		if f not in self.fields:
			self.fields.append(f)
		return 'f%d' % self.fields.index(f)

	def lit(self, b):
		self.params.append(b)
		return '?'

	def val(self, v):
		kind, x = v
		if kind == 'f':
			return self.col(x)
		return self.lit(x.encode('latin-1'))

	def expr(self, e):
		op = e[0]
		if op in ('and', 'or'):
			return '(' + (' %s ' % op.upper()).join(self.expr(x) for x in e[1:]) + ')'
		if op == 'not':
			return '(NOT ' + self.expr(e[1]) + ')'
		if op == 'paren':
			return self.expr(e[1])
		if op == 'cmp':
			o = self.lit(e[1])
			a = self.val(e[2])
			b = self.val(e[3])
			return 'rf_cmp(%s, %s, %s)' % (o, a, b)
		if op == 'contains':
			a = self.val(e[1])
			b = self.val(e[2])
			return 'rf_contains(%s, %s)' % (a, b)
		if op == 'match':
			p = self.lit(e[2].encode('latin-1'))
			return 'rf_re(%s, %s)' % (p, self.col(e[1]))
		if op == 'truthy':
			return 'rf_truthy(%s)' % self.col(e[1])
		raise ValueError(op)


def reference(files, stages, classes):
	"""What the query must print: ('lines', [bytes]), ('select', cols, rows)
	or ('table', cols, rows, kinds), plus the number of rejects."""
	if not stages:
		raise Invalid('empty query')
	global combined_cut, time_untidy
	combined_cut = 'combined_cut' in classes
	time_untidy = 'time_untidy' in classes
	pst = parser_of(stages)
	if pst is not None and stages.index(pst) != sum(1 for s in stages[:stages.index(pst)] if s['op'] in ('grep', 'regex')):
		raise Invalid('parser after a non-filter stage')
	if pst is not None and pst['op'] == 'parse' and pst['fmt'] in ('csv', 'tsv') and stages[0] is not pst:
		raise Invalid('csv must be first')
	pidx = stages.index(pst) if pst is not None else -1
	recs = parse_records(files, pst)
	db = make_db()
	sb = SqlBuilder()
	pre = []    # conditions before the parser (on the raw line)
	post = []   # after it
	head_n = None
	agg = None
	after = []
	sel = None
	for i, st in enumerate(stages):
		op = st['op']
		if agg is not None:
			if op in ('top', 'sort', 'head', 'select'):
				after.append(st)
				continue
			raise Invalid('stage after aggregate')
		if sel is not None:
			raise Invalid('stage after select')
		if op in ('split', 'parse'):
			continue
		if op in ('where',) and pst is None:
			raise Invalid('where without a parser')
		if op in ('grep', 'regex'):
			lit = st['lit'] if op == 'grep' else st['re']
			p = sb.lit(lit.encode('latin-1'))
			if op == 'grep':
				if '-i' in st['flags']:
					c = 'rf_grepi(line, %s)' % p
				else:
					c = 'instr(line, %s) > 0' % p
				neg = '-v' in st['flags']
			else:
				c = 'rf_re(%s, line)' % p
				neg = st['neg']
			if neg:
				c = 'NOT (%s)' % c
			(pre if i < pidx else post).append(c)
			if head_n is not None:
				raise Invalid('filter after head')
		elif op == 'where':
			post.append(sb.expr(st['expr']))
			if head_n is not None:
				raise Invalid('filter after head')
		elif op == 'head':
			head_n = st['n']
		elif op == 'select':
			if pst is None:
				raise Invalid('select without a parser')
			sel = st
		elif op == 'agg':
			agg = st
		else:
			raise Invalid('stage %s' % op)
	# columns the query reads
	if sel is not None:
		selcols = [sb.col(f) for f in sel['fields']]
	if agg is not None:
		if pst is None and (agg['keys'] or any(a[0] != 'count' for a in agg['aggs'])):
			raise Invalid('fields without a parser')
		keycols = []
		for k in agg['keys']:
			if k[0] == 'field':
				keycols.append(sb.col(k[1]))
			else:
				keycols.append(None)
		aggcols = [sb.col(a[1]) if a[0] != 'count' else None for a in agg['aggs']]
	nf = len(sb.fields)
	# one time column per time-bucket key: minute/hour/day read the first
	# of time, timestamp, ts, @timestamp; bucket(F, D) reads F
	time_keys = []
	if agg is not None:
		for k in agg['keys']:
			if k[0] in ('minute', 'hour', 'day'):
				time_keys.append('auto')
			elif k[0] == 'bucket':
				time_keys.append(k[1].encode() if isinstance(k[1], str) else k[1])
	cols = ['id INTEGER', 'line BLOB', 'line_nocr BLOB', 'ok INTEGER', 'tok INTEGER'] + ['tm%d INTEGER' % i for i in range(len(time_keys))] + \
		['f%d BLOB' % i for i in range(nf)]
	db.execute('CREATE TABLE r (%s)' % ', '.join(cols))
	rows = []
	for n, (line, f) in enumerate(recs):
		ok = f is not None
		vals = [(f or {}).get(x) for x in sb.fields]
		tms = []
		tok = 1
		for tk in time_keys:
			tv = None
			if ok and tk == 'auto':
				for nm in TIME_NAMES:
					if nm in f:
						tv = f[nm]
						break
			elif ok:
				tv = f.get(tk)
			t = p_time(tv)
			if time_untidy and tv is not None and t is None:
				# issue 11 item 8: no valid timestamp: rejected, counted (not the empty group)
				tok = 0
			tms.append(t)
		rows.append([n, line, chomp_cr(line), int(ok), tok] + tms + vals)
	db.executemany('INSERT INTO r VALUES (%s)' % ','.join('?' * len(cols)), rows)
	prew = ' AND '.join(pre) or '1'
	postw = ' AND '.join(post) or '1'
	pre_params, post_params, rest = _split_params(stages, pidx, sb)
	rejects = 0
	if pst is not None:
		rejects = db.execute('SELECT count(*) FROM r WHERE ok = 0 AND %s' % prew, pre_params).fetchone()[0]
		rlines = [x[0] for x in db.execute('SELECT line FROM r WHERE (ok = 0 AND %s) OR (ok = 1 AND tok = 0 AND (%s) AND (%s)) ORDER BY id'
						   % (prew, prew, postw), pre_params + pre_params + post_params)]
		reject_text = b''.join(x + b'\n' for x in rlines)
		time_rejects = len(rlines) - rejects
	else:
		reject_text = b''
		time_rejects = 0
	base = 'SELECT * FROM r WHERE ok = 1 AND (%s) AND (%s) ORDER BY id' % (prew, postw)
	if head_n is not None:
		base += ' LIMIT %d' % head_n
	# records without a valid timestamp leave at the aggregate, after head
	base = 'SELECT * FROM (%s) WHERE tok = 1 ORDER BY id' % base
	if agg is None and sel is None:
		if pst is not None and pst.get('fmt') in ('csv', 'tsv') and 'csv_newline' in classes:
			raise Invalid('line output of csv records that may span lines')
		out = [r[0] for r in db.execute('SELECT line FROM (%s)' % base, pre_params + post_params)]
		return {'kind': 'lines', 'lines': out, 'rejects': rejects, 'nrecords': len(recs), 'reject_text': reject_text}
	if sel is not None:
		if pst is not None and pst.get('fmt') in ('csv', 'tsv') and 'csv_newline' in classes and \
				any(fname(f) in ('line', '$0') for f in sel['fields']):
			raise Invalid('the line of csv records that may span lines')
		out = [list(r) for r in db.execute('SELECT %s FROM (%s)' % (', '.join(selcols), base), pre_params + post_params)]
		return {'kind': 'select', 'cols': [fname(f) for f in sel['fields']], 'rows': out, 'rejects': rejects, 'nrecords': len(recs),
			'reject_text': reject_text}
	# the aggregate: GROUP BY in SQLite
	kexpr = []
	ti = 0
	for k, kc in zip(agg['keys'], keycols):
		if k[0] == 'field':
			kexpr.append(kc)
		else:
			w = {'minute': 60, 'hour': 3600, 'day': 86400}.get(k[0]) or parse_dur(k[2])
			kexpr.append('(CASE WHEN tm{0} IS NULL THEN NULL ELSE tm{0} - ((tm{0} % {1}) + {1}) % {1} END)'.format(ti, w))
			ti += 1
	aexpr = []
	for a, ac in zip(agg['aggs'], aggcols):
		fn = a[0]
		if fn == 'count':
			aexpr.append('count(*)')
		elif fn == 'distinct':
			aexpr.append('count(DISTINCT %s)' % ac)
		else:
			num = 'rf_num(%s)' % ac
			if fn == 'sum':
				aexpr.append('rf_sum(%s)' % num)
			elif fn in ('min', 'max'):
				aexpr.append('%s(%s)' % (fn, num))
			elif fn == 'avg':
				aexpr.append('avg(%s)' % num)
				aexpr.append('avg(abs(%s * 1.0))' % num)   # abs() of INT64_MIN overflows
			else:
				aexpr.append('rf_collect(%s)' % num)
	db.create_function('rf_num', 1, sql_num, deterministic=True)
	sql = 'SELECT %s FROM (%s)' % (', '.join(kexpr + aexpr), base)
	if kexpr:
		sql += ' GROUP BY %s' % ', '.join(kexpr)
	res = [list(r) for r in db.execute(sql, pre_params + post_params)]
	nk = len(kexpr)
	table = []
	for r in res:
		key = []
		for k, v in zip(agg['keys'], r[:nk]):
			if k[0] != 'field' and v is not None:
				w = {'minute': 60, 'hour': 3600, 'day': 86400}.get(k[0]) or parse_dur(k[2])
				v = fmt_time(v, w % 86400 == 0)
			key.append(v)
		cells = []
		vals = list(r[nk:])
		for a in agg['aggs']:
			v = vals.pop(0)
			if a[0] == 'avg':
				v = (v, vals.pop(0))
			cells.append(agg_cell(a, v))
		table.append((key, cells))
	if not agg['keys'] and not table:
		table.append(([], [agg_cell(a, None) for a in agg['aggs']]))
	table.sort(key=functools.cmp_to_key(lambda x, y: keys_cmp(x[0], y[0])))
	unordered = False
	if 'mixed_key_order' not in classes and len(table) > 1:
		for j in range(nk):
			vals = [k[j] for k, _ in table if k[j] is not None]
			isnum = {rnum(v) is not None for v in vals}
			if len(isnum) > 1:
				unordered = True
	if unordered and after:
		raise Invalid('top/sort/head over keys mixing numbers and strings (class mixed_key_order)')
	colnames = [key_name(k) for k in agg['keys']] + [agg_name(a) for a in agg['aggs']]
	rows = [list(k) + c for k, c in table]
	kinds = ['key'] * nk + [a[0] for a in agg['aggs']]
	for st in after:
		rows, colnames, kinds = post_stage(st, rows, colnames, kinds)
	return {'kind': 'table', 'cols': colnames, 'rows': rows, 'kinds': kinds, 'rejects': rejects, 'nrecords': len(recs), 'unordered': unordered,
		'reject_text': reject_text, 'time_rejects': time_rejects}


def _split_params(stages, pidx, sb):
	"""Re-run the SQL builder over the filters to get the parameters of the
	pre-parser and post-parser conditions in order (the builder appends in
	stage order, but select/keys/aggregates only add columns)."""
	pre, post = [], []
	tmp = SqlBuilder()
	tmp.fields = list(sb.fields)
	for i, st in enumerate(stages):
		start = len(tmp.params)
		if st['op'] == 'grep':
			tmp.lit(st['lit'].encode('latin-1'))
		elif st['op'] == 'regex':
			tmp.lit(st['re'].encode('latin-1'))
		elif st['op'] == 'where':
			tmp.expr(st['expr'])
		else:
			continue
		(pre if i < pidx else post).extend(tmp.params[start:])
	return pre, post, None


def parse_dur(s):
	m = re.fullmatch(r'([0-9]+)(s|m|h|d)', s)
	return int(m.group(1)) * {'s': 1, 'm': 60, 'h': 3600, 'd': 86400}[m.group(2)]


def agg_cell(a, v):
	fn = a[0]
	if fn in ('count', 'distinct'):
		return ('int', v or 0)
	if fn == 'sum':
		if v is None:
			return ('int', 0)
		if v.startswith('f:'):
			_, x, ab = v.split(':')
			return ('fsum', float(x), float(ab))
		return ('isum', int(v))
	if fn in ('min', 'max'):
		return ('null',) if v is None else ('exact', v)
	if fn == 'avg':
		if v is None or v[0] is None:
			return ('null',)
		return ('approx', float(v[0]), float(v[1]))
	# quantiles
	vals = [x for _, x in json.loads(v)] if v else []
	if not vals:
		return ('null',)
	q = {'p50': 0.5, 'p90': 0.9, 'p95': 0.95, 'p99': 0.99}.get(fn)
	if q is None:
		q = float(a[2])
	vals.sort()
	n = len(vals)
	r1 = math.floor(q * (n - 1))
	from fractions import Fraction
	r2 = math.floor(Fraction(a[2] if fn == 'quantile' else str(q)) * (n - 1))
	allint = all(isinstance(x, int) for x in json.loads(v) and [x for x in vals])
	allint = all(t == 'i' for t, _ in json.loads(v))
	return ('quant', [vals[r1], vals[r2]], allint)


def cell_sortval(c):
	if c[0] == 'null':
		return None
	if c[0] in ('int', 'isum', 'exact'):
		return c[1]
	raise Invalid('sort by an inexact column')


def post_stage(st, rows, cols, kinds):
	op = st['op']
	def colidx(name):
		if name not in cols:
			raise Invalid('no column %s' % name)
		return cols.index(name)

	def cmpval(a, b, kind):
		if kind == 'key':
			return key_cmp(a, b)
		va, vb = cell_sortval(a), cell_sortval(b)
		if va is None or vb is None:
			return (va is not None) - (vb is not None)
		return num_cmp(va, vb)
	if op == 'head':
		return rows[:st['n']], cols, kinds
	if op == 'select':
		idx = [colidx(c) for c in st['fields']]
		return [[r[i] for i in idx] for r in rows], [cols[i] for i in idx], [kinds[i] for i in idx]
	if op == 'top':
		if st['col']:
			i = colidx(st['col'])
		else:
			i = next((j for j, k in enumerate(kinds) if k != 'key'), None)
			if i is None:
				raise Invalid('top without an aggregate')
		out = sorted(rows, key=functools.cmp_to_key(lambda x, y: -cmpval(x[i], y[i], kinds[i])))
		return out[:st['n']], cols, kinds
	if op == 'sort':
		out = list(rows)
		for name, desc in reversed(st['cols']):
			i = colidx(name)
			out.sort(key=functools.cmp_to_key(lambda x, y: cmpval(x[i], y[i], kinds[i])), reverse=False)
			if desc:
				# stable descending: ties keep their order
				out = stable_desc(out, i, kinds[i], cmpval)
		return out, cols, kinds
	raise Invalid(op)


def stable_desc(rows, i, kind, cmpval):
	return sorted(rows, key=functools.cmp_to_key(lambda x, y: -cmpval(x[i], y[i], kind)))


# ---------------------------------------------------------------------------
# comparing ringflow's output with the reference

def parse_out_number(s):
	if isinstance(s, bool):
		return None
	if isinstance(s, (int, float)):
		return s
	if s is None:
		return None
	if isinstance(s, str):
		try:
			return int(s)
		except ValueError:
			try:
				return float(s)
			except ValueError:
				return 'bad:' + s
	return 'bad'


def check_cell(ref, got, kind):
	"""None if the cell agrees, else a message."""
	if kind == 'key':
		want = ref
		if want is None:
			ok = got is None
		else:
			ok = got == want
		return None if ok else 'key %r, want %r' % (got, want)
	c = ref
	g = parse_out_number(got)
	if c[0] == 'null':
		return None if g is None else 'got %r, want empty' % (got,)
	if g is None or isinstance(g, str):
		return 'got %r, want %s' % (got, c[1:])
	if c[0] in ('int', 'isum'):
		want = c[1]
		if isinstance(g, int) and g == want:
			return None
		if c[0] == 'isum' and not (INT64_MIN <= want <= INT64_MAX) and isinstance(g, float) and \
				abs(g - want) <= 1e-9 * abs(want):
			return None   # documented: an overflowing integer sum becomes a float
		return 'got %r, want %d' % (got, want)
	if c[0] == 'exact':
		want = c[1]
		if isinstance(want, int) and isinstance(g, int):
			return None if g == want else 'got %r, want %r' % (got, want)
		return None if float(g) == float(want) else 'got %r, want %r' % (got, want)
	if c[0] == 'fsum':
		want, ab = c[1], c[2]
		return None if abs(g - want) <= 1e-9 * ab + 1e-300 else 'got %r, want %r' % (got, want)
	if c[0] == 'approx':
		want, ab = c[1], c[2]
		return None if abs(g - want) <= 1e-9 * ab + 1e-300 else 'got %r, want %r' % (got, want)
	if c[0] == 'quant':
		for want in c[1]:
			tol = 0.01 * abs(want)
			if c[2]:
				tol += 0.5
			if abs(g - want) <= tol * (1 + 1e-12):
				return None
		return 'got %r, want %r within 1%%' % (got, c[1][0])
	return 'unknown cell %r' % (c,)


def decode_tsv_cell(s):
	if s == b'':
		return None
	return re.sub(rb'\\(.)', lambda m: {b't': b'\t', b'n': b'\n', b'r': b'\r', b'\\': b'\\'}.get(m.group(1), b'\\' + m.group(1)), s)


def json_unrepeat(keys):
	"""JSON keys back to column names: the n-th column of a repeated name is
	keyed NAME_n (README), so that no object repeats a key."""
	if len(set(keys)) != len(keys):
		raise ValueError('a JSON row repeats a key: %r' % keys)
	seen = {}
	out = []
	for k in keys:
		base, _, n = k.rpartition('_')
		if base and n.isdigit() and seen.get(base, 0) == int(n) - 1 >= 1:
			k = base
		seen[k] = seen.get(k, 0) + 1
		out.append(k)
	return out


def parse_output(out, fmt, strict_json):
	"""(header, rows) of a table in json or tsv output; rows of raw values
	(bytes or None for keys; str/number for json)."""
	if fmt == 'json':
		try:
			txt = out.decode('utf-8') if strict_json else out.decode('utf-8', 'surrogateescape')
		except UnicodeDecodeError as e:
			raise ValueError('output is not UTF-8: %s' % e)
		header = None
		rows = []
		for ln in txt.split('\n'):
			if not ln:
				continue
			pairs = json.loads(ln, object_pairs_hook=lambda p: p)
			if strict_json:
				for _, v in pairs:
					if isinstance(v, str) and re.search('[\ud800-\udfff]', v):
						raise ValueError('lone surrogate in JSON output')
			h = json_unrepeat([k for k, _ in pairs])
			if header is None:
				header = h
			elif h != header:
				raise ValueError('rows with different keys')
			rows.append([v for _, v in pairs])
		return header, rows
	if fmt == 'csv':
		rd = list(csv.reader(io.StringIO(out.decode('utf-8', 'surrogateescape'), newline='')))
		if not rd:
			return None, []
		# a row of one empty cell is an empty line, which the csv module reads as no cells
		enc = [[c.encode('utf-8', 'surrogateescape') or None for c in r] or [None] for r in rd]
		return [h.decode('utf-8', 'surrogateescape') if h else '' for h in enc[0]], enc[1:]
	lines = out.split(b'\n')
	if lines and lines[-1] == b'':
		lines.pop()
	if not lines:
		return None, []
	header = [h.decode('utf-8', 'surrogateescape') for h in lines[0].split(b'\t')]
	rows = [[decode_tsv_cell(c) for c in ln.split(b'\t')] for ln in lines[1:]]
	return header, rows


def json_key_val(v):
	if v is None:
		return None
	if isinstance(v, str):
		return v.encode('utf-8', 'surrogateescape')
	return ('num', v)


def json_num_matches(got, want):
	"""A JSON number in the output for the value `want` (bytes): fine when
	the value is a number by JSON's grammar and the numbers agree."""
	if want is None or not JSON_NUM_RE.fullmatch(want.strip(b' \t').decode('latin-1')):
		return False
	w = rnum(want)
	if w is None:
		return False
	if isinstance(got, int) and isinstance(w, int):
		return got == w
	return float(got) == float(w)


def compare(ref, out, fmt, classes):
	"""None if ringflow's stdout agrees with the reference, else a message."""
	if ref['kind'] == 'lines':
		want = b''.join(l + b'\n' for l in ref['lines'])
		if out == want:
			return None
		wl = want.split(b'\n')
		gl = out.split(b'\n')
		for i, (a, b) in enumerate(zip(gl, wl)):
			if a != b:
				return 'line %d: got %r, want %r (%d vs %d lines)' % (i + 1, a[:200], b[:200], len(gl) - 1, len(wl) - 1)
		return 'got %d lines, want %d' % (len(gl) - 1, len(wl) - 1)
	strict = 'json_output' in classes
	if strict and fmt == 'json':
		# valid JSON always: ill-formed UTF-8 becomes U+FFFD as Python's errors='replace' does
		def fix(v):
			return v.decode('utf-8', 'replace').encode('utf-8') if isinstance(v, bytes) else v
		ref = dict(ref, rows=[[fix(v) for v in r] for r in ref['rows']])
	try:
		header, rows = parse_output(out, fmt, strict)
	except ValueError as e:
		return 'unreadable %s output: %s' % (fmt, e)
	if ref['kind'] == 'select':
		if fmt != 'json' and header is None and not ref['rows']:
			header = ref['cols']
		if rows and header != ref['cols']:
			return 'columns %r, want %r' % (header, ref['cols'])
		if len(rows) != len(ref['rows']):
			return 'got %d rows, want %d' % (len(rows), len(ref['rows']))
		for i, (g, w) in enumerate(zip(rows, ref['rows'])):
			for j, (gv, wv) in enumerate(zip(g, w)):
				if fmt == 'json':
					if isinstance(gv, (int, float)) and not isinstance(gv, bool):
						ok = json_num_matches(gv, wv)
					else:
						if strict and wv is not None and JSON_NUM_RE.fullmatch(wv.decode('latin-1')) and \
								math.isfinite(float(wv)):
							return 'row %d %s: number %r printed as a string' % (i + 1, ref['cols'][j], gv)
						ok = json_key_val(gv) == wv
				else:
					ok = gv == (wv if wv != b'' else None)
				if not ok:
					return 'row %d column %s: got %r, want %r' % (i + 1, ref['cols'][j], gv, wv)
		return None
	# a table
	if header is None:
		header = ref['cols'] if fmt != 'json' else None
	if header is not None and header != ref['cols']:
		if not (not rows and not ref['rows']):
			return 'columns %r, want %r' % (header, ref['cols'])
	if ref.get('unordered') and len(rows) == len(ref['rows']):
		# keys mixing numbers and strings have no defined order: match by key
		nk = ref['kinds'].count('key')

		def key_match(g, w):
			if fmt != 'json':
				return g == (w if w != b'' else None)
			if isinstance(g, (int, float)) and not isinstance(g, bool):
				return json_num_matches(g, w)
			return json_key_val(g) == w
		left = list(ref['rows'])
		ordered = []
		for r in rows:
			for j, w in enumerate(left):
				if all(key_match(g, wk) for g, wk in zip(r[:nk], w[:nk])):
					ordered.append(left.pop(j))
					break
			else:
				return 'group %r is not in the reference' % (r[:nk],)
		ref = dict(ref, rows=ordered)
	if len(rows) != len(ref['rows']):
		return 'got %d rows, want %d (first rows: got %r, want %r)' % (len(rows), len(ref['rows']), rows[:3], ref['rows'][:3])
	for i, (g, w) in enumerate(zip(rows, ref['rows'])):
		if len(g) != len(w):
			return 'row %d: %d cells, want %d' % (i + 1, len(g), len(w))
		for j, (gv, wv) in enumerate(zip(g, w)):
			kind = ref['kinds'][j]
			if kind == 'key':
				if fmt == 'json':
					if isinstance(gv, (int, float)) and not isinstance(gv, bool) and json_num_matches(gv, wv):
						continue
					gv = json_key_val(gv)
				elif wv == b'':
					wv = None   # TSV prints missing and empty alike
			elif fmt != 'json' and gv is not None:
				gv = gv.decode('latin-1')
			msg = check_cell(wv, gv, kind)
			if msg:
				return 'row %d column %s: %s (got row %r, want %r)' % (i + 1, ref['cols'][j], msg, g, w)
	return None


REJECT_RE = re.compile(rb'ringflow: note: ([0-9]+) records? could not be parsed')


def check_stderr(ref, err):
	m = REJECT_RE.search(err)
	got = int(m.group(1)) if m else 0
	if got != ref['rejects']:
		return 'reported %d rejects, want %d' % (got, ref['rejects'])
	return None


# ---------------------------------------------------------------------------
# input generators

class Gen:
	def __init__(self, rng, classes):
		self.r = rng
		self.tr = None
		self.c = classes
		self.csvfmt = False

	def on(self, name):
		return name in self.c

	def choice(self, xs):
		return self.r.choice(xs)

	# values ---------------------------------------------------------------
	def number(self):
		"""A number; with exact_ties, a quarter of them replaced by one from
		tie_number (drawn from a stream of its own, so the cases are
		otherwise those the class off would make)."""
		n = self._number()
		if self.on('exact_ties'):
			if self.tr is None:
				self.tr = random.Random(hash(self.r.getstate()[1][:8]))
			if self.tr.random() < 0.25:
				return self.tie_number()
		return n

	def tie_number(self):
		"""Near and past 2^53 and 2^63 (an integer, or with a fraction
		that may be long), or a small number with a long fraction:
		neighbours whose doubles are one, few enough to meet in a column."""
		r = self.tr
		base = r.choice([2**53, 2**53, 2**63, 0, 0])
		n = r.choice([1, -1]) * (base + r.randint(-1, 1))
		frac = r.choice(['', '', '.5', '.75', '.0', '.0000000000000000000001', '.9999999999999999999999',
				 '.1', '.10000000000000000001', '.09999999999999999999', '.' + '1' * r.randint(20, 90),
				 '.' + '3' * r.randint(20, 30) + str(r.randint(1, 3))])
		return '%s%s' % ('-' + str(-n) if n < 0 else str(n), frac)

	def _number(self):
		r = self.r
		kinds = ['small', 'small', 'int']
		if self.on('floats'):
			kinds += ['float', 'float']
		if self.on('bignum'):
			kinds += ['big']
		k = r.choice(kinds)
		if k == 'small':
			return str(r.randint(-20, 120))
		if k == 'int':
			return str(r.choice([1, -1]) * r.randint(0, 10**r.randint(1, 12)))
		if k == 'float':
			f = r.choice([
				lambda: '%.*f' % (r.randint(1, 4), r.uniform(-1000, 1000)),
				lambda: '%de%d' % (r.randint(1, 9), r.randint(-3, 9)),
				lambda: '%d.%dE+%d' % (r.randint(0, 9), r.randint(0, 99), r.randint(0, 6)),
				lambda: r.choice(['-0', '0.0', '.5', '5.', '-.25', '+7', '007', '1.50', '2.5e-3']),
			])
			return f()
		# big: near the int64 limits, or past 64 bits (read as doubles)
		return r.choice([
			lambda: str(INT64_MAX - r.randint(0, 1000)),
			lambda: str(INT64_MIN + r.randint(0, 1000)),
			lambda: str(r.choice([1, -1]) * r.randint(10**15, 10**18)),
			lambda: str(r.randint(2**63, 2**64 + 5)),
			lambda: '-' + str(r.randint(2**63 + 1, 2**70)),
		])()

	def word(self):
		r = self.r
		w = r.choice(['alpha', 'beta', 'GET', 'post', 'err', 'ERROR', 'ok', 'x', 'Warn', 'warn', 'a-b', '-', 'id7', 'zz', 'inf', 'nan', '0x1f', '1e', '12ab'])
		if self.on('untidy') and r.random() < 0.05:
			w += r.choice(['\x00', '\xff', '\xc3\xa9', '\xe2\x82', 'caf\xc3\xa9'])
		return w

	def value(self):
		return self.number() if self.r.random() < 0.6 else self.word()

	# untidy bytes -------------------------------------------------------
	def finish_file(self, lines, allow_empty=True, allow_cr=True, allow_long=True):
		"""Join lines into one input, with untidy bytes when that class is on."""
		r = self.r
		nl = '\n'
		if self.on('untidy') and allow_cr and r.random() < 0.25:
			nl = '\r\n'
		if self.on('untidy') and allow_empty and r.random() < 0.2:
			for _ in range(r.randint(1, 3)):
				# not before a csv header (its BOM is at the start of the file)
				lines.insert(r.randint(1 if self.csvfmt else 0, len(lines)), '')
		data = nl.join(lines)
		if lines and not (self.on('untidy') and r.random() < 0.3 and True):
			data += nl
		return data.encode('latin-1')

	# formats -----------------------------------------------------------------
	def gen_lines(self, n):
		r = self.r
		out = []
		for _ in range(n):
			parts = [self.word() for _ in range(r.randint(0, 5))]
			if r.random() < 0.3:
				parts.append(self.number())
			ln = ' '.join(parts)
			if self.on('untidy') and r.random() < 0.02:
				ln = ln + 'x' * r.randint(5000, 70000) + ' tail'
			if self.on('untidy') and r.random() < 0.05:
				ln = ln.replace(' ', '\t', 1)
			if self.on('utf8_fold') and r.random() < 0.3:
				ln += ' ' + r.choice(['café', 'CAFÉ', 'Straße', 'ΩMEGA', 'ωmega', 'ÜBER', 'über']).encode('utf-8').decode('latin-1')
			out.append(ln)
		return out

	def gen_split(self, n, delim):
		r = self.r
		ncol = r.randint(2, 5)
		keys = [self.word() for _ in range(r.randint(1, 6))]
		out = []
		for _ in range(n):
			row = [r.choice(keys)]
			for c in range(1, ncol):
				row.append(self.value() if r.random() < 0.3 else self.number())
			if self.on('int_overflow') and r.random() < 0.5:
				row[1] = str(r.choice([INT64_MAX - r.randint(0, 9), INT64_MIN + r.randint(0, 9), r.randint(-9, 9), r.choice([1, -1])]))
			if r.random() < 0.08:
				row = row[:r.randint(0, len(row))]
			if delim is None:
				sep = ' ' if not (self.on('untidy') and r.random() < 0.3) else r.choice(['  ', '\t', ' \t '])
				ln = sep.join(x for x in row)
				if self.on('untidy') and r.random() < 0.1:
					ln = r.choice([' ', '\t']) + ln + r.choice([' ', '\t', ''])
			else:
				if r.random() < 0.1:
					row.insert(r.randint(0, len(row)), '')
				ln = delim.join(row)
			out.append(ln)
		return out

	def json_val(self, depth=0):
		r = self.r
		x = r.random()
		if x < 0.45:
			t = self.number()
			if not JSON_NUM_RE.fullmatch(t):
				return json.dumps(t)   # not JSON number syntax: a string holding it
			return t
		if x < 0.7:
			if depth > 0:
				return '"%s"' % r.choice(['alpha', 'x', 'GET', '-', 'a-b'])
			s = self.word()
			if self.on('untidy') and r.random() < 0.1:
				s += r.choice(['\\"q\\"', '\\\\', '\\n', '\\t', '\\u00e9', '\\/', ' spaced out'])
			return '"' + s.replace('\x00', '\\u0000').replace('\xff', '').replace('\xe2\x82', '') + '"'
		if x < 0.8:
			return r.choice(['true', 'false', 'null'])
		if x < 0.9 and depth < 2:
			return '[' + ','.join(str(r.randint(-5, 50)) for _ in range(r.randint(0, 3))) + ']'
		if depth < 2:
			return self.json_obj(depth + 1)
		return '1'

	def json_obj(self, depth, keys=None):
		r = self.r
		keys = keys or ['a', 'b', 'c', 'level', 'ms', 'svc', 'n']
		items = []
		for k in r.sample(keys, r.randint(1, len(keys))):
			items.append('"%s":%s' % (k, self.json_val(depth)))
		if depth == 0 and self.on('time') and r.random() < 0.5:
			ts = self.timestamp()
			items.insert(r.randint(0, len(items)), '"%s":%s' % (r.choice(['time', 'time', 'ts', 'timestamp', '@timestamp']),
				ts if re.fullmatch('[0-9]{10}', ts) and r.random() < 0.5 else json.dumps(ts)))
		sep = r.choice([',', ', ']) if depth == 0 else ','
		return '{' + sep.join(items) + '}'

	def gen_json(self, n):
		r = self.r
		out = []
		for _ in range(n):
			if self.on('rejects') and r.random() < 0.03:
				out.append(r.choice(['not json', '[1,2]', '{"a":', '"str"', '{"a":1}x']))
				continue
			out.append(self.json_obj(0))
		return out

	def gen_logfmt(self, n):
		r = self.r
		keys = ['a', 'b', 'c', 'level', 'ms', 'svc', 'n']
		out = []
		for _ in range(n):
			items = []
			for k in r.sample(keys, r.randint(0, len(keys))):
				x = r.random()
				if x < 0.1:
					items.append(k)
				elif x < 0.7:
					v = self.value()
					items.append('%s=%s' % (k, v.replace(' ', '').replace('"', '')))
				elif x < 0.8:
					items.append('%s=' % k)
				else:
					v = self.value() + r.choice(['', ' x', ' \\"q\\"', '\\\\', ' a=b', '\\n'])
					if not self.on('logfmt_ctl'):
						v = re.sub('[\x00-\x1f]', '', v)
					elif r.random() < 0.3:
						v += r.choice(['\t', '\x00', '\x1b'])
					items.append('%s="%s"' % (k, v))
			if self.on('time') and r.random() < 0.4:
				ts = self.timestamp()
				items.insert(r.randint(0, len(items)), '%s=%s' % (r.choice(['time', 'ts', 'timestamp']), json.dumps(ts) if ' ' in ts else ts))
			if self.on('rejects') and r.random() < 0.03:
				items.append(r.choice(['=x', 'k="open', '"q"']))
			out.append(r.choice([' ', '  ']).join(items))
		return out

	def csv_field(self, v, delim):
		r = self.r
		needs = delim in v or '"' in v or '\n' in v or '\r' in v
		if needs or r.random() < 0.15:
			return '"' + v.replace('"', '""') + '"'
		return v

	def gen_csv(self, n, delim):
		r = self.r
		names = r.sample(['a', 'b', 'c', 'level', 'ms', 'svc', 'n'], r.randint(2, 5))
		lines = [delim.join(names)]
		for _ in range(n):
			row = []
			for _ in names:
				v = self.value()
				if r.random() < 0.1:
					v = r.choice(['', 'x,y', 'say "hi"', 'a\tb', ' padded '])
				row.append(self.csv_field(v, delim))
			if r.random() < 0.05:
				row = row[:r.randint(1, len(row))]
			elif r.random() < 0.05:
				row.append(self.csv_field(self.value(), delim))
			lines.append(delim.join(row) or '""')
			if self.on('csv_untidy') and r.random() < 0.1:
				lines[-1] = r.choice([
					lambda: lines[-1] + delim + 'a"b',
					lambda: lines[-1] + '\n',
				])()
			if self.on('csv_newline') and r.random() < 0.1:
				lines[-1] = lines[-1] + delim + '"multi\nline"'
		if self.on('csv_untidy') and r.random() < 0.3:
			lines[0] = '\xef\xbb\xbf' + lines[0]
		return lines

	def timestamp(self):
		r = self.r
		t = r.randint(1000000000, 1893456000)
		if self.on('time_untidy') and r.random() < 0.3:
			return r.choice([
				'2024-02-30T10:00:00Z', '2023-13-01T00:00:00Z', str(t * 1000), '2024-03-01',
				'2024-03-01T10:00Z', '2024-03-01T10:00:00+05', 'Fri, 01 Mar 2024 10:00:00 GMT'])
		import datetime
		d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
		k = r.randint(0, 4)
		if k == 0:
			off = r.choice([0, 3600, -7 * 3600, 5 * 3600 + 1800])
			dl = d + datetime.timedelta(seconds=off)
			sg = '+' if off >= 0 else '-'
			return dl.strftime('%d/%b/%Y:%H:%M:%S ') + '%s%02d%02d' % (sg, abs(off) // 3600, abs(off) % 3600 // 60)
		if k == 1:
			return d.strftime('%Y-%m-%dT%H:%M:%SZ')
		if k == 2:
			off = r.choice([3600, -7 * 3600, 5 * 3600 + 1800])
			dl = d + datetime.timedelta(seconds=off)
			sg = '+' if off >= 0 else '-'
			return dl.strftime('%Y-%m-%dT%H:%M:%S') + r.choice(['', '.250']) + '%s%02d:%02d' % (sg, abs(off) // 3600, abs(off) % 3600 // 60)
		if k == 3:
			return d.strftime('%Y-%m-%d %H:%M:%S') + r.choice(['', '.5'])
		return str(t)

	def gen_combined(self, n, combined):
		r = self.r
		out = []
		for _ in range(n):
			ip = '%d.%d.%d.%d' % tuple(r.randint(0, 255) for _ in range(4))
			user = r.choice(['-', 'frank', 'bob'])
			ts = self.timestamp() if self.on('time') else '10/Oct/2000:13:55:36 -0700'
			if not re.match(r'[0-9]{2}/', ts):
				ts = '10/Oct/2000:13:55:36 -0700'
			req = '%s %s HTTP/1.%d' % (r.choice(['GET', 'POST', 'HEAD']), r.choice(['/', '/a', '/b.gif', '/x?y=1', '/api/v1']), r.randint(0, 1))
			st = r.choice(['200', '200', '304', '404', '500', '503'])
			by = r.choice(['-', '0', str(r.randint(1, 100000)), str(r.randint(1, 10**12))])
			ln = '%s - %s [%s] "%s" %s %s' % (ip, user, ts, req, st, by)
			if combined:
				ln += ' "%s" "%s"' % (r.choice(['-', 'http://ex.com/', 'https://a.b/c']), r.choice(['curl/8.0', 'Mozilla/5.0 (X11; Linux)', '-', 'bot']))
				if self.on('combined_cut') and r.random() < 0.15:
					ln = ln[:ln.rindex('"')]
			if self.on('rejects') and r.random() < 0.03:
				ln = r.choice(['garbage line', ln[:20], ln.replace('"', '', 1)])
			out.append(ln)
		return out

	def gen_kv(self, n):
		r = self.r
		out = []
		for _ in range(n):
			ln = 'k=%s' % r.choice(['alpha', 'beta', 'gamma', '42'])
			if r.random() < 0.7:
				ln += ' v=%s' % r.randint(-1000, 100000)
			if r.random() < 0.1:
				ln = 'noise ' + self.word()
			out.append(ln)
		return out

	# inputs ----------------------------------------------------------------
	def inputs(self, fmt, opts_env):
		r = self.r
		nfiles = 1
		if self.on('manyfiles') and r.random() < 0.2:
			nfiles = r.randint(2, 70)
		elif r.random() < 0.3:
			nfiles = r.randint(2, 4)
		total = r.choice([0, 1, 3, 10, 30, 60, 150, 400]) if nfiles == 1 else r.randint(nfiles, nfiles * 5)
		files = []
		for i in range(nfiles):
			n = total // nfiles + (1 if i < total % nfiles else 0)
			n = max(0, n + r.randint(-1, 1))
			allow_empty = fmt not in ('csv', 'tsv') or self.on('csv_untidy')
			if fmt == 'lines':
				lines = self.gen_lines(n)
			elif fmt == 'split':
				lines = self.gen_split(n, None)
			elif fmt == 'splitdelim':
				lines = self.gen_split(n, opts_env['delim'])
			elif fmt == 'json':
				lines = self.gen_json(n)
			elif fmt == 'logfmt':
				lines = self.gen_logfmt(n)
			elif fmt in ('csv', 'tsv'):
				self.csvfmt = True
				lines = self.gen_csv(n, ',' if fmt == 'csv' else '\t')
			elif fmt in ('combined', 'common'):
				lines = self.gen_combined(n, fmt == 'combined')
			elif fmt == 'parseregex':
				lines = self.gen_kv(n)
			else:
				raise ValueError(fmt)
			files.append(self.finish_file(lines, allow_empty=allow_empty))
		return files

	# queries ---------------------------------------------------------------
	def literal_for(self, files):
		"""A literal that occurs in the data now and then."""
		r = self.r
		blob = b''.join(files)
		if blob and r.random() < 0.8:
			i = r.randrange(len(blob))
			lit = blob[i:i + r.randint(1, 4)].split(b'\n')[0]
			if lit:
				return lit.decode('latin-1')
		return r.choice(['a', 'err', 'GET', ' 4', 'zz', '\x00', 'é'.encode().decode('latin-1')])

	def grep_stage(self, files):
		r = self.r
		lit = self.literal_for(files)
		flags = []
		if r.random() < 0.3:
			flags.append('-v')
		if r.random() < 0.3:
			if not self.on('utf8_fold'):
				lit = ''.join(ch for ch in lit if ord(ch) < 128) or 'e'
			elif r.random() < 0.5:
				lit = r.choice(['café', 'CAFÉ', 'straße', 'ωmega', 'ÜBER']).encode().decode('latin-1')
			flags.append('-i')
		return {'op': 'grep', 'flags': flags, 'lit': lit}

	def regex_stage(self):
		r = self.r
		pats = ['^a', 'rr', '[0-9]+$', '^[^ ]+ [0-9]', 'e(r|a)', 'x{2,3}', '\\d\\d', '(?i)warn', 'GET|POST', '\\s\\d+\\s', '^$', 'b.*a']
		p = r.choice(pats)
		return {'op': 'regex', 'neg': r.random() < 0.3, 're': p}

	def fields_of(self, fmt, files, pst):
		"""(all field names, numeric-ish field names) a query may use."""
		r = self.r
		if fmt in ('split', 'splitdelim'):
			fs = ['$%d' % i for i in range(1, 7)]
			return fs, fs[1:]
		if fmt == 'json':
			top = ['a', 'b', 'c', 'level', 'ms', 'svc', 'n', 'zz']
			paths = ['c.a', 'c.b', 'b.n', 'a.c.b', 'a.n', 'level', 'ms', 'svc', 'n']
			if self.on('json_objpath'):
				fs = top + paths
			else:
				# an object and a path under it in one query: issue 11 item 3
				fs = r.choice([top, paths])
			if self.on('time'):
				fs = fs + ['time', 'ts']
			return fs, fs
		if fmt == 'logfmt':
			fs = ['a', 'b', 'c', 'level', 'ms', 'svc', 'n', 'zz']
			if self.on('time'):
				fs = fs + ['time', 'ts']
			return fs, fs
		if fmt in ('csv', 'tsv'):
			fs = ['a', 'b', 'c', 'level', 'ms', 'svc', 'n', '$1', '$2', '$4', '$6']
			return fs, fs
		if fmt in ('combined', 'common'):
			fs = ['ip', 'user', 'method', 'path', 'protocol', 'status', 'bytes', 'request']
			if fmt == 'combined':
				fs += ['referer', 'agent']
			return fs, ['status', 'bytes']
		if fmt == 'parseregex':
			fs = re.findall(r'\(\?<([a-z]+)>', pst['re'])
			return fs, fs
		return [], []

	def expr(self, fs, nums, depth=0):
		r = self.r
		x = r.random()
		if depth < 2 and x < 0.25:
			op = r.choice(['and', 'or'])
			return (op, self.expr(fs, nums, depth + 1), self.expr(fs, nums, depth + 1))
		if depth < 3 and x < 0.33:
			return ('not', self.expr(fs, nums, depth + 1))
		if depth < 3 and x < 0.36:
			return ('paren', self.expr(fs, nums, depth + 1))
		y = r.random()
		if y < 0.55:
			f = r.choice(nums)
			if r.random() < 0.2:
				rhs = ('f', r.choice(nums))
			elif r.random() < 0.7:
				rhs = ('n', self.number() if r.random() < 0.3 else str(r.randint(-10, 100)))
				if not re.fullmatch(r'-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?', rhs[1]):
					rhs = ('s', rhs[1])
			else:
				rhs = ('s', self.word().replace('\x00', '').replace('\xff', ''))
			return ('cmp', r.choice(['==', '!=', '<', '<=', '>', '>=']), ('f', f), rhs)
		if y < 0.7:
			return ('contains', ('f', r.choice(fs)), ('s', r.choice(['a', 'e', '1', '0', '-', 'rr', 'GET', '/'])))
		if y < 0.85:
			return ('match', r.choice(fs), r.choice(['^[0-9]+$', 'a', '^-', '[.]', 'r{2}', '^$', '^(a|b)']))
		return ('truthy', r.choice(fs))

	def field_stats(self, files, pst, f):
		"""(sum of |ints| and the magnitude ratio of the numbers of F)."""
		try:
			recs = parse_records(files, pst)
		except Invalid:
			return 0, 1
		s = 0
		mags = []
		for _, fl in recs:
			if not fl:
				continue
			n = rnum(fl.get(f.encode()))
			if n is None:
				continue
			if isinstance(n, int):
				s += abs(n)
			if n != 0:
				mags.append(abs(float(n)))
		ratio = (max(mags) / min(mags)) if mags else 1
		return s, ratio

	def agg_stage(self, fmt, files, pst, fs, nums):
		r = self.r
		aggs = []
		used = set()
		for _ in range(r.randint(1, 4)):
			fn = r.choice(['count', 'count', 'sum', 'avg', 'min', 'max', 'distinct', 'p50', 'p90', 'p95', 'p99', 'quantile'])
			if fn == 'count':
				a = ('count',)
			else:
				f = r.choice(fs if fn == 'distinct' else nums)
				if fn in ('p50', 'p90', 'p95', 'p99', 'quantile') or fn == 'sum':
					s, ratio = self.field_stats(files, pst, f)
					if fn == 'sum' and s >= 2**62 and not self.on('int_overflow'):
						continue
					if fn != 'sum' and ratio > 1e15 and not self.on('quantile_range'):
						continue
				if fn == 'quantile':
					a = ('quantile', f, r.choice(['0.001', '0.1', '0.25', '0.5', '0.75', '0.999', '1', '0']))
				else:
					a = (fn, f)
			if not self.on('repeat_agg'):
				# one aggregate per field (count once); issue 11 item 4
				fkey = a[1] if len(a) > 1 else 'count'
				if fkey in used or a in aggs:
					continue
				used.add(fkey)
			aggs.append(a)
		if not aggs:
			aggs = [('count',)]
		if self.on('int_overflow') and fmt in ('split', 'splitdelim') and ('sum', '$2') not in aggs and r.random() < 0.6:
			aggs.insert(0, ('sum', '$2'))
		keys = []
		nk = r.choice([0, 1, 1, 1, 2])
		for _ in range(nk):
			if self.on('time') and fmt in ('combined', 'json', 'logfmt') and r.random() < 0.3:
				k = r.choice([('minute',), ('hour',), ('day',), ('bucket', 'time', r.choice(['5m', '30s', '2h', '1d']))])
			else:
				k = ('field', r.choice(fs))
			if k not in keys:
				keys.append(k)
		if self.on('repeat_agg') and r.random() < 0.3:
			aggs.append(r.choice(aggs))
			if r.random() < 0.3:
				aggs[:2] = [('count',), ('count',)]
		return {'op': 'agg', 'aggs': aggs, 'keys': keys}

	def after_agg(self, agg):
		r = self.r
		cols = [key_name(k) for k in agg['keys']]
		exact = list(cols)
		acols = [agg_name(a) for a in agg['aggs']]
		for a in agg['aggs']:
			if a[0] in ('count', 'distinct', 'min', 'max'):
				exact.append(agg_name(a))
		# sum is exact over integers only: sort by it when the field is integral
		out = []
		x = r.random()
		if x < 0.2:
			st = {'op': 'top', 'n': r.randint(1, 5), 'col': None}
			first = agg['aggs'][0]
			if agg_name(first) not in exact:
				return out
			if r.random() < 0.5:
				c = r.choice(exact[len(cols):] or [agg_name(first)])
				st['col'] = c
			out.append(st)
		elif x < 0.4 and exact:
			sc = r.sample(exact, min(len(exact), r.randint(1, 2)))
			out.append({'op': 'sort', 'cols': [(c, r.random() < 0.5) for c in sc]})
		if r.random() < 0.15:
			out.append({'op': 'head', 'n': r.randint(0, 4)})
		if r.random() < 0.1:
			allc = cols + acols
			out.append({'op': 'select', 'fields': r.sample(allc, r.randint(1, len(allc)))})
		return out

	def case(self):
		r = self.r
		fmts = [f for f in ('lines', 'split', 'splitdelim', 'json', 'logfmt', 'csv', 'tsv', 'combined', 'parseregex') if self.on(f)]
		if self.on('combined') and r.random() < 0.05:
			fmt = 'common'
		else:
			fmt = r.choice(fmts)
		env = {}
		if fmt == 'splitdelim':
			env['delim'] = r.choice([',', ';', '|', '::', ', '])
		files = self.inputs(fmt, env)
		stages = []
		for _ in range(r.choice([0, 0, 0, 1, 1, 2])):
			if fmt in ('csv', 'tsv'):
				break
			stages.append(self.grep_stage(files) if r.random() < 0.6 else self.regex_stage())
		if self.on('regex_jit') and r.random() < 0.3:
			sep = b'' if files[0].endswith(b'\n') or not files[0] else b'\n'
			files = [files[0] + sep + ('ab' * r.randint(500, 5000)).encode() + b'\n'] + files[1:]
			stages.append({'op': 'regex', 'neg': r.random() < 0.5, 're': '^(a|b)*$'})
		if fmt == 'lines':
			if r.random() < 0.3:
				stages.append({'op': 'head', 'n': r.randint(0, 20)})
			elif r.random() < 0.4:
				stages.append({'op': 'agg', 'aggs': [('count',)], 'keys': []})
			return files, stages, fmt
		if fmt == 'split':
			pst = {'op': 'split', 'delim': None}
		elif fmt == 'splitdelim':
			pst = {'op': 'split', 'delim': env['delim']}
		elif fmt == 'common':
			pst = {'op': 'parse', 'fmt': 'common'}
		elif fmt == 'parseregex':
			pst = {'op': 'parse', 'fmt': 'regex', 're': r.choice(['k=(?<k>[a-z0-9]+)( v=(?<v>-?[0-9]+))?', '^k=(?<k>\\w+) v=(?<v>\\S+)', '(?<k>[a-z]+)'])}
		else:
			pst = {'op': 'parse', 'fmt': fmt}
		stages.append(pst)
		fs, nums = self.fields_of(fmt, files, pst)
		if r.random() < 0.1:
			fs = fs + [r.choice(['$0', 'line'])]
		for _ in range(r.choice([0, 1, 1, 2])):
			stages.append({'op': 'where', 'expr': self.expr(fs, nums)})
		x = r.random()
		if fmt in ('csv', 'tsv') and self.on('csv_newline'):
			x = 0.15 + 0.85 * x   # a record may span lines: no line output
		if x < 0.15:
			if r.random() < 0.5:
				stages.append({'op': 'head', 'n': r.randint(0, 30)})
		elif x < 0.3:
			if r.random() < 0.3:
				stages.append({'op': 'head', 'n': r.randint(0, 30)})
			stages.append({'op': 'select', 'fields': r.sample(fs, r.randint(1, min(4, len(fs))))})
		else:
			if r.random() < 0.1:
				stages.append({'op': 'head', 'n': r.randint(0, 30)})
			agg = self.agg_stage(fmt, files, pst, fs, nums)
			stages.append(agg)
			stages.extend(self.after_agg(agg))
		return files, stages, fmt


# ---------------------------------------------------------------------------
# running ringflow

def cpu_simd(binary=None):
	"""The SIMD levels the CPU has (/proc/cpuinfo) that ringflow accepts."""
	levels = cpu_levels()
	if binary is None:
		return levels
	ok = []
	for lv in levels:
		p = subprocess.run([binary, '--simd=' + lv, 'count', '/dev/null'], stdout=subprocess.DEVNULL,
				   stderr=subprocess.DEVNULL)
		if p.returncode == 0:
			ok.append(lv)
	return ok or ['scalar']


def cpu_levels():
	levels = ['scalar', 'sse2']
	try:
		with open('/proc/cpuinfo') as f:
			flags = f.read()
	except OSError:
		return levels
	if re.search(r'\bavx2\b', flags):
		levels.append('avx2')
	if re.search(r'\bavx512bw\b', flags):
		levels.append('avx512')
	return levels


STDIN = 'STDIN'   # not a ringflow option: the input goes through a pipe
REJECTS = 'REJECTS'   # not one either: --rejects=FILE with a file of the tester's
STRICT = '--strict'
MODES = ['serial', 'parallel', 'pipeline', 'multiprocess', 'async']
IOS = ['read', 'mmap', 'uring']
BASE_OPTS = ['--mode=serial', '--simd=scalar', '--io=read']


def option_sample(rng, classes, simd_levels, k, fmt, nfiles):
	out = []
	modes = MODES
	if fmt in ('csv', 'tsv') and 'csv_parallel' not in classes:
		modes = ['serial', 'pipeline', 'async']
	for _ in range(k):
		o = ['--mode=' + rng.choice(modes), '--io=' + rng.choice(IOS), '--simd=' + rng.choice(simd_levels)]
		if 'smallbuf' in classes and rng.random() < 0.4:
			o.append('--buffer-size=' + rng.choice(['64K', '128K']))  # 64K is the least
		if 'smallbuf' in classes and rng.random() < 0.3:
			o.append('--window=' + rng.choice(['4K', '8K', '64K']))
		if rng.random() < 0.3:
			o.append('--threads=%d' % rng.randint(1, 4))
		if 'rejects' in classes and fmt != 'lines' and rng.random() < 0.3:
			o.append(REJECTS)
		if 'rejects' in classes and fmt != 'lines' and rng.random() < 0.08:
			o.append(STRICT)
		if 'stdin' in classes and nfiles == 1 and rng.random() < 0.15:
			o = [x for x in o if not x.startswith(('--io=mmap', '--window'))] + [STDIN]
		out.append(o)
	return out


class Runner:
	def __init__(self, binary, tmp, timeout):
		self.bin = binary
		self.tmp = tmp
		self.timeout = timeout
		self.n = 0
		self.runs = 0
		self.cur = None    # (files, dir, paths) of the last input written

	def prepare(self, files):
		"""The inputs as files; the last set is kept for the next runs."""
		if self.cur is not None and self.cur[0] == files:
			return self.cur[2]
		if self.cur is not None:
			shutil.rmtree(self.cur[1], ignore_errors=True)
		self.n += 1
		d = os.path.join(self.tmp, 'c%d' % self.n)
		os.mkdir(d)
		paths = []
		for i, data in enumerate(files):
			p = os.path.join(d, 'in%03d.log' % i)
			with open(p, 'wb') as f:
				f.write(data)
			paths.append(p)
		self.cur = (list(files), d, paths)
		return paths

	def start(self, paths, query, opts, fmt):
		"""Start ringflow; the option STDIN (the tester's own) sends the one
		input through a pipe instead."""
		self.runs += 1
		p_rej = None
		if REJECTS in opts:
			self.nrej = getattr(self, 'nrej', 0) + 1
			p_rej = os.path.join(self.tmp, 'rejects%d.out' % self.nrej)
			opts = [('--rejects=' + p_rej) if o == REJECTS else o for o in opts]
		if STDIN in opts:
			opts = [o for o in opts if o != STDIN]
			argv = [self.bin] + opts + ['--format=' + fmt, query]
			p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
			with open(paths[0], 'rb') as f:
				p.rf_input = f.read()
			p.rf_rejects = p_rej
			return p
		argv = [self.bin] + opts + ['--format=' + fmt, query] + paths
		p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
		p.rf_input = None
		p.rf_rejects = p_rej
		return p

	def finish(self, p):
		try:
			out, err = p.communicate(input=p.rf_input, timeout=self.timeout)
		except subprocess.TimeoutExpired:
			p.kill()
			p.communicate()
			return None, b'', b'timeout after %ds' % self.timeout, None
		rej = None
		if p.rf_rejects:
			try:
				with open(p.rf_rejects, 'rb') as f:
					rej = f.read()
				os.unlink(p.rf_rejects)
			except OSError:
				rej = b'(no rejects file)'
		return p.returncode, out, err, rej


# issue 16: --strict refuses a record cut off before its last fields (kept
# and counted without it); the message names the file and line
CUT_MSG_RE = re.compile(rb'ringflow: (.*): line ([0-9]+): cut off: its last ([a-z]+) fields are missing \(--strict\)')


def strict_cut_ok(err):
	"""Whether err is --strict refusing a record that is cut off indeed: a
	combined line that only the cut-off form reads, or a csv/tsv record whose
	quote never closes (an odd number of quotes from its line to the end)."""
	m = CUT_MSG_RE.search(err)
	if not m:
		return False
	try:
		with open(m.group(1), 'rb') as f:
			lines = f.read().split(b'\n')
	except OSError:
		return m.group(1) == b'-'   # stdin: the message is all there is to check
	n = int(m.group(2))
	if n < 1 or n > len(lines):
		return False
	if m.group(3) in (b'combined', b'common'):
		line = chomp_cr(lines[n - 1])
		return COMBINED_CUT_RE.fullmatch(line) is not None and COMBINED_RE.fullmatch(line) is None
	if m.group(3) in (b'csv', b'tsv'):
		return b'\n'.join(lines[n - 1:]).count(b'"') % 2 == 1
	return False


def judge(ref, stages, fmt, classes, rc, out, err, rej=None, opts=()):
	if rc is None:
		return ('hang', err.decode())
	if rc < 0 or rc >= 128:
		return ('crash', 'killed by signal %d: %s' % (-rc if rc < 0 else rc - 128, err[-300:].decode('latin-1')))
	if STRICT in opts and rc == 2 and strict_cut_ok(err):
		return None   # stopped at a cut-off record, which the model keeps
	if STRICT in opts and (ref['rejects'] or ref.get('time_rejects')):
		if any(s['op'] == 'head' for s in stages):
			return None   # whether head stops before the first reject: not modelled
		# the first reject is an error naming its line
		if rc != 2 or not re.search(rb'line [0-9]+: (cannot be parsed as [a-z]+|no valid timestamp for the time key) \(--strict\)', err):
			return ('strict', 'with --strict and %d rejects: exit status %d, stderr %r' % (ref['rejects'], rc, err[-300:]))
		return None
	said = re.search(rb'every record \(([0-9]+)\) was rejected', err)
	if rc == 2 and said and REJECTS not in opts:
		# a whole run whose every record the parser (or the time key)
		# rejected: an error, no result (issue 21)
		total, bad = ref.get('nrecords', -1), ref['rejects'] + ref.get('time_rejects', 0)
		if bad == total == int(said.group(1)):
			return None
		return ('status', 'said every record (%s) was rejected; the model rejects %d of %d' %
			(said.group(1).decode(), bad, total))
	if rc != 0:
		return ('status', 'exit status %d: %s' % (rc, err[-500:].decode('latin-1').strip()))
	msg = compare(ref, out, fmt, classes)
	if msg:
		return ('output', msg)
	if 'rejects' in classes and not any(s['op'] == 'head' for s in stages):
		msg = check_stderr(ref, err)
		if msg:
			return ('rejects', msg)
		want = ref.get('reject_text', b'')
		if rej is not None and 'rejects_order' not in classes:
			# the order is issue 11's (smaller items): compare the lines only
			rej, want = b'\n'.join(sorted(rej.split(b'\n'))), b'\n'.join(sorted(want.split(b'\n')))
		if rej is not None and rej != want:
			return ('rejects', '--rejects file: got %r, want %r' % (rej[:300], ref.get('reject_text', b'')[:300]))
	return None


def check_many(runner, files, stages, optslist, fmt, classes, ref, jobs=2):
	"""Run every option set (jobs at a time); [(opts, None or (signature, message))]."""
	query = render_query(stages)
	paths = runner.prepare(files)
	res = []
	for i in range(0, len(optslist), jobs):
		procs = [(o, runner.start(paths, query, o, fmt)) for o in optslist[i:i + jobs]]
		for o, p in procs:
			rc, out, err, rej = runner.finish(p)
			res.append((o, judge(ref, stages, fmt, classes, rc, out, err, rej, o)))
	return res


def check_run(runner, files, stages, opts, fmt, classes, ref=None):
	"""None if ringflow agrees with the reference for these options, else
	(signature, message)."""
	if ref is None:
		ref = reference(files, stages, classes)
	return check_many(runner, files, stages, [opts], fmt, classes, ref)[0][1]


def pick_format(rng, ref, classes):
	if ref['kind'] == 'lines':
		return 'json'
	# json output copies invalid UTF-8 raw until issue 11 item 12 is fixed;
	# such values are compared through tsv
	if 'json_output' not in classes and has_bad_utf8(ref):
		return rng.choice(['tsv', 'csv'])
	if ref['kind'] == 'select' and rng.random() < 0.5:
		return rng.choice(['tsv', 'csv'])
	return rng.choice(['json', 'json', 'tsv', 'csv'])


def has_bad_utf8(ref):
	for r in ref['rows']:
		for v in r:
			if isinstance(v, bytes):
				try:
					v.decode('utf-8')
				except UnicodeDecodeError:
					return True
				if re.search(rb'[\x00-\x1f\x7f]', v):
					return True
	return False


# ---------------------------------------------------------------------------
# shrinking and saving

def shrink(runner, files, stages, opts, fmt, classes, sig, budget_end):
	"""Smaller files, fewer lines, fewer stages and options that still fail
	the same way."""
	def fails(fl, st, op):
		if time.time() > budget_end:
			return False
		try:
			ref = reference(fl, st, classes)
		except Invalid:
			return False
		except Exception:
			return False
		try:
			r = check_run(runner, fl, st, op, fmt, classes, ref)
		except Exception:
			return False
		return r is not None and r[0] == sig

	# options first: the plain serial run, then one option less at a time
	if opts != BASE_OPTS and fails(files, stages, BASE_OPTS):
		opts = BASE_OPTS
	i = 0
	while i < len(opts):
		o2 = opts[:i] + opts[i + 1:]
		if fails(files, stages, o2):
			opts = o2
		else:
			i += 1
	# whole files
	i = 0
	while len(files) > 1 and i < len(files):
		f2 = files[:i] + files[i + 1:]
		if fails(f2, stages, opts):
			files = f2
		else:
			i += 1
	# lines: delta debugging per file (a csv header stays)
	for fi in range(len(files)):
		data = files[fi]
		keep_nl = data.endswith(b'\n')
		lines = data.split(b'\n')
		if keep_nl:
			lines.pop()
		first = 1 if (parser_of(stages) or {}).get('fmt') in ('csv', 'tsv') else 0
		chunk = max(1, (len(lines) - first) // 2)
		while chunk >= 1:
			j = first
			changed = False
			while j < len(lines):
				l2 = lines[:j] + lines[j + chunk:]
				d2 = b'\n'.join(l2) + (b'\n' if keep_nl and l2 else b'')
				f2 = files[:fi] + [d2] + files[fi + 1:]
				if fails(f2, stages, opts):
					lines = l2
					files = f2
					changed = True
				else:
					j += chunk
			if chunk == 1 and not changed:
				break
			chunk = chunk // 2 if chunk > 1 else (1 if changed else 0)
		# shorten long lines
		for j in range(len(lines)):
			while len(lines[j]) > 64:
				l2 = list(lines)
				l2[j] = lines[j][:len(lines[j]) // 2]
				d2 = b'\n'.join(l2) + (b'\n' if keep_nl else b'')
				f2 = files[:fi] + [d2] + files[fi + 1:]
				if fails(f2, stages, opts):
					lines = l2
					files = f2
				else:
					break
	# query stages, aggregates, keys, where branches
	changed = True
	while changed:
		changed = False
		for i in range(len(stages)):
			if stages[i]['op'] in ('split', 'parse'):
				continue
			s2 = stages[:i] + stages[i + 1:]
			if fails(files, s2, opts):
				stages = s2
				changed = True
				break
		if changed:
			continue
		for i, st in enumerate(stages):
			cands = []
			if st['op'] == 'agg':
				for j in range(len(st['aggs'])):
					if len(st['aggs']) > 1:
						cands.append(dict(st, aggs=st['aggs'][:j] + st['aggs'][j + 1:]))
				for j in range(len(st['keys'])):
					cands.append(dict(st, keys=st['keys'][:j] + st['keys'][j + 1:]))
			elif st['op'] == 'where':
				e = st['expr']
				if e[0] in ('and', 'or'):
					cands += [dict(st, expr=x) for x in e[1:]]
				elif e[0] in ('not', 'paren'):
					cands.append(dict(st, expr=e[1]))
			elif st['op'] in ('select',) and len(st['fields']) > 1:
				for j in range(len(st['fields'])):
					cands.append(dict(st, fields=st['fields'][:j] + st['fields'][j + 1:]))
			for c in cands:
				s2 = stages[:i] + [c] + stages[i + 1:]
				if fails(files, s2, opts):
					stages = s2
					changed = True
					break
			if changed:
				break
	return files, stages, opts


def to_jsonable(x):
	if isinstance(x, bytes):
		return {'b64': base64.b64encode(x).decode()}
	if isinstance(x, (list, tuple)):
		return [to_jsonable(y) for y in x]
	if isinstance(x, dict):
		return {k: to_jsonable(v) for k, v in x.items()}
	if isinstance(x, float) and (math.isinf(x) or math.isnan(x)):
		return {'float': repr(x)}
	return x


def from_jsonable(x):
	if isinstance(x, dict):
		if set(x) == {'b64'}:
			return base64.b64decode(x['b64'])
		if set(x) == {'float'}:
			return float(x['float'])
		return {k: from_jsonable(v) for k, v in x.items()}
	if isinstance(x, list):
		return [from_jsonable(y) for y in x]
	return x


def stages_from_json(st):
	"""Tuples back from lists (aggregates, keys, expressions)."""
	def tup(x):
		if isinstance(x, list):
			return tuple(tup(y) for y in x)
		return x
	out = []
	for s in st:
		s = dict(s)
		if s['op'] == 'agg':
			s['aggs'] = [tup(a) for a in s['aggs']]
			s['keys'] = [tup(k) for k in s['keys']]
		elif s['op'] == 'where':
			s['expr'] = tup(s['expr'])
		elif s['op'] == 'sort':
			s['cols'] = [tuple(c) for c in s['cols']]
		out.append(s)
	return out


def case_record(files, stages, opts, fmt, classes, sig, msg, ref, seed, index, pending, note):
	return {
		'format': 'ringflow-difftest-case 1',
		'what': 'Input files (base64), query (text and structure), ringflow options and output '
			'format, and the reference output; replayed by tests/difftest.py',
		'query': render_query(stages),
		'options': opts,
		'output_format': fmt,
		'files': [base64.b64encode(f).decode() for f in files],
		'files_text': [f.decode('latin-1') for f in files] if sum(len(f) for f in files) < 2000 else None,
		'stages': to_jsonable(stages),
		'classes': sorted(classes),
		'expected': to_jsonable(ref),
		'found': {'seed': seed, 'case': index, 'failure': sig, 'message': msg[:2000]},
		'pending': pending,
		'note': note,
	}


def save_case(dirpath, rec):
	os.makedirs(dirpath, exist_ok=True)
	h = hashlib_hex(json.dumps([rec['query'], rec['files'], rec['options']]))
	p = os.path.join(dirpath, 'case-%s.json' % h[:12])
	with open(p, 'w') as f:
		json.dump(rec, f, indent=1, sort_keys=True)
		f.write('\n')
	return p


def hashlib_hex(s):
	import hashlib
	return hashlib.sha256(s.encode()).hexdigest()


def replay(runner, path, args):
	with open(path) as f:
		rec = json.load(f)
	files = [base64.b64decode(x) for x in rec['files']]
	stages = stages_from_json(from_jsonable(rec['stages']))
	classes = set(rec['classes'])
	ref = reference(files, stages, classes)
	want = from_jsonable(rec['expected'])
	# nrecords: added after cases were saved (the every-record-rejected
	# rule); the saved ones are compared without it
	cut = {k: v for k, v in ref.items() if k not in want and k == 'nrecords'} if isinstance(ref, dict) else {}
	mine = {k: v for k, v in ref.items() if k not in cut} if cut else ref
	if json.dumps(to_jsonable(mine), sort_keys=True) != json.dumps(to_jsonable(want), sort_keys=True):
		return 'the reference no longer gives the saved expected output'
	opts_list = [rec['options']]
	if rec['options'] != BASE_OPTS:
		opts_list.append(BASE_OPTS)
	for opts in opts_list:
		r = check_run(runner, files, stages, opts, rec['output_format'], classes, ref)
		if r:
			return '%s %s: %s' % (' '.join(opts), r[0], r[1])
	return None


# ---------------------------------------------------------------------------

def parse_classes(spec):
	on = {k for k, (d, _) in CLASSES.items() if d}
	if not spec:
		return on
	for part in spec.split(','):
		part = part.strip()
		if not part:
			continue
		if part in ('+all', 'all'):
			on = set(CLASSES)
			continue
		if part[0] in '+-':
			name, add = part[1:], part[0] == '+'
		else:
			name, add = part, True
		if name not in CLASSES:
			sys.exit('difftest: unknown class %r (--list-classes)' % name)
		if add:
			on.add(name)
		else:
			on.discard(name)
	return on


def main():
	ap = argparse.ArgumentParser(description='Differential tester for ringflow (see the top of this file).')
	ap.add_argument('--ringflow', default=os.environ.get('RINGFLOW', './ringflow'))
	ap.add_argument('-n', '--cases', type=int, default=2000, help='random cases to run (default 2000)')
	ap.add_argument('--seed', type=int, default=11, help='seed (default 11)')
	ap.add_argument('--budget', type=float, default=150, help='seconds for the random cases (default 150)')
	ap.add_argument('--combos', type=int, default=2, help='extra mode/backend/SIMD combinations per case (default 2)')
	ap.add_argument('--classes', default='', help='+NAME / -NAME, comma-separated; +all for every class')
	ap.add_argument('--cases-dir', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'difftest', 'cases'))
	ap.add_argument('--save', action='store_true', help='save shrunk failures as cases in --cases-dir')
	ap.add_argument('--pending', action='store_true', help='replay the cases marked pending too')
	ap.add_argument('--save-pending', metavar='NOTE', default=None,
			help='save failures as pending cases with this note (a known open bug)')
	ap.add_argument('--no-replay', action='store_true', help='skip the saved cases')
	ap.add_argument('--only', type=int, default=None, help='run only this case number (with -v: print it)')
	ap.add_argument('--max-failures', type=int, default=10)
	ap.add_argument('--shrink-time', type=float, default=30, help='seconds to shrink one failure')
	ap.add_argument('--timeout', type=int, default=60)
	ap.add_argument('--jobs', type=int, default=2, help='ringflow runs at a time (default 2)')
	ap.add_argument('--list-classes', action='store_true')
	ap.add_argument('-v', '--verbose', action='store_true')
	a = ap.parse_args()
	if a.list_classes:
		for k, (d, desc) in CLASSES.items():
			print('%-15s %-3s %s' % (k, 'on' if d else 'off', desc))
		return 0
	classes = parse_classes(a.classes)
	if not os.access(a.ringflow, os.X_OK):
		print('difftest: %s is not executable (set RINGFLOW)' % a.ringflow, file=sys.stderr)
		return 99
	simd = cpu_simd(a.ringflow)
	if a.verbose:
		print('difftest: SIMD levels %s' % ' '.join(simd))
	tmpbase = os.environ.get('TMPDIR') or ('/dev/shm' if os.access('/dev/shm', os.W_OK) else None)
	tmp = tempfile.mkdtemp(prefix='rf-difftest.', dir=tmpbase)
	runner = Runner(a.ringflow, tmp, a.timeout)
	failures = 0
	t0 = time.time()
	try:
		# saved cases
		replayed = skipped = 0
		if not a.no_replay and os.path.isdir(a.cases_dir):
			for name in sorted(os.listdir(a.cases_dir)):
				if not name.endswith('.json'):
					continue
				p = os.path.join(a.cases_dir, name)
				with open(p) as f:
					rec = json.load(f)
				if rec.get('pending') and not a.pending:
					skipped += 1
					continue
				replayed += 1
				msg = replay(runner, p, a)
				if msg:
					failures += 1
					print('FAIL saved case %s: %s\n  query: %s' % (name, msg, rec['query']))
		print('difftest: %d saved cases replayed (%d pending not replayed)' % (replayed, skipped))
		# random cases
		end = time.time() + a.budget if a.budget > 0 else float('inf')
		ran = 0
		kinds = {}
		for idx in range(a.cases):
			if a.only is not None and idx != a.only:
				continue
			if time.time() > end:
				print('difftest: time budget of %gs reached after %d cases' % (a.budget, ran))
				break
			rng = random.Random('%d/%d' % (a.seed, idx))
			g = Gen(rng, classes)
			files, stages, fmt = g.case()
			try:
				ref = reference(files, stages, classes)
			except Invalid as e:
				if a.verbose:
					print('case %d: skipped (%s)' % (idx, e))
				continue
			ran += 1
			kinds[fmt] = kinds.get(fmt, 0) + 1
			ofmt = pick_format(rng, ref, classes)
			combos = [BASE_OPTS] + option_sample(rng, classes, simd, a.combos, fmt, len(files))
			if a.verbose:
				print('case %d: %s (%s, %d files, %d bytes)' % (idx, render_query(stages), fmt, len(files), sum(map(len, files))))
			for opts, r in check_many(runner, files, stages, combos, ofmt, classes, ref, a.jobs):
				if r is None:
					continue
				failures += 1
				sig, msg = r
				print('FAIL case %d (seed %d): %s %s\n  query: %s\n  options: %s --format=%s' % (
					idx, a.seed, sig, msg, render_query(stages), ' '.join(opts), ofmt))
				f2, s2, o2 = shrink(runner, files, stages, opts, ofmt, classes, sig, time.time() + a.shrink_time)
				ref2 = reference(f2, s2, classes)
				r2 = check_run(runner, f2, s2, o2, ofmt, classes, ref2) or r
				rec = case_record(f2, s2, o2, ofmt, classes, r2[0], r2[1], ref2, a.seed, idx,
						  a.save_pending is not None, a.save_pending or '')
				print('  shrunk: %s  %s --format=%s\n  input: %r\n  got: %s' % (
					render_query(s2), ' '.join(o2), ofmt, b'|'.join(f2)[:600], r2[1][:600]))
				if a.save or a.save_pending is not None:
					print('  saved as %s' % save_case(a.cases_dir, rec))
				break
			if failures >= a.max_failures:
				print('difftest: stopping after %d failures' % failures)
				break
		el = time.time() - t0
		print('difftest: seed %d, %d random cases (%s), %d ringflow runs, %d failures, %.1fs' % (
			a.seed, ran, ', '.join('%s %d' % kv for kv in sorted(kinds.items())), runner.runs, failures, el))
		print('difftest: classes on: %s' % ', '.join(sorted(classes)))
	finally:
		shutil.rmtree(tmp, ignore_errors=True)
	return 1 if failures else 0


if __name__ == '__main__':
	sys.exit(main())
