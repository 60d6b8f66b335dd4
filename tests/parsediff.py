#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""parsediff.py - the record parsers held to what they read today.

Adversarial inputs for parse json, csv, tsv, logfmt and combined (escapes
and backslash runs at every offset around the 64-byte blocks a structural
pass works in, quotes as the last byte of a line, of a read window and of
a file, deep nesting, invalid UTF-8, NUL and control bytes, numbers at the
edges of double precision, long lines, broken documents of many kinds) go
through ringflow at every SIMD level it accepts, in serial and in parallel
mode (pipeline for csv and tsv, which never run in parallel), with small
buffers and windows.  Every run must print, byte for byte, what an
independent reader of the same bytes says, and what every other run of
the same query printed:

  json      Python's json module; the walk below only adds the dotted
            paths, the raw text of numbers, arrays and objects, and the
            depth limit (README: more than 64 levels is a reject)
  csv, tsv  Python's csv module (difftest.p_csv_file)
  logfmt    difftest's logfmt tokenizer, each quoted value read by json
  combined  difftest.p_combined, its quoted fields taught the backslash
            escapes that nginx and Apache write

Each query runs with --rejects, whose file must hold exactly the lines the
reader refuses; the reject count (the note on stderr, or "rejected" in
--stats=json) and the count of records "ended early" (csv inputs ending
inside quotes, combined lines cut in the user agent) must be the reader's.
Numbers are held to Python's float() too: eval v = n * 1.0 over the edges
of double precision, random doubles and decimals near halfway between two.

Inputs on which today's parsers and the reader disagree are the classes
in KNOWN, off by default (--known=NAME,... or --known=all).  Standard
library only; deterministic for a seed.  SANITIZED=yes in the environment
(a slow ASan build) makes every family smaller.
"""

import argparse
import codecs
import collections
import decimal
import functools
import json
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import difftest  # noqa: E402  (its readers, its key order, its SIMD probe)
import rftest  # noqa: E402  (csv_field: what --format=csv prints for a cell)

BS = b'\\'
PAGES = 150   # lines per input with a byte last in a page (fewer under the sanitizers)
# offsets in a line around the ends of its first two 64-byte blocks
EDGES = list(range(60, 69)) + list(range(124, 133))

# Inputs where today's parsers and the reader disagree: each is a bug to
# report or a rule to write down, not something to teach the test.
KNOWN = {
	'logfmt_glued': 'logfmt: text right after a closing quote (a="x"y=1): ringflow reads a=x and a key y, as '
			'go-logfmt does; difftest\'s logfmt reader (LOGFMT_RE) refuses the line (a rule to write down)',
	'csv_bare_cr': 'csv/tsv: a CR inside an unquoted field (x\\ry): Python\'s csv ends the row there, '
		       'ringflow keeps the CR as data',
	'csv_open_eol': 'csv/tsv: a quote still open at the end of an input that ends with a line end: Python\'s csv '
			'keeps that last line end in the field, ringflow leaves it out',
	'json_utf8_strict': 'json: the reader refuses a line that is not UTF-8, as Python\'s json.loads does on the '
			    'bytes (README: "a line Python\'s json refuses is rejected"); ringflow passes the bytes '
			    'of a string through (README: "bytes are bytes"), which is what the reader expects without it',
}


# ---------------------------------------------------------------------------
# bytes and text: invalid UTF-8 bytes pass through a JSON or logfmt string
# untouched (README: bytes are bytes).  Python reads a line as text with each
# such byte as a private character of plane 16, U+10FF80 to U+10FFFF (which
# no generated input holds, raw or as an escape), so that what comes out can
# be turned back into the same bytes.

def _undecodable(e):
	return ''.join(chr(0x10FF00 + b) for b in e.object[e.start:e.end]), e.end


codecs.register_error('parsediff-bytes', _undecodable)
_PRIVATE = re.compile(rb'\xf4\x8f([\xbe\xbf])([\x80-\xbf])')


def to_text(b):
	return b.decode('utf-8', 'parsediff-bytes')


def to_bytes(s):
	# lone surrogates (from \ud800 escapes) as their three bytes, as ringflow writes them
	b = s.encode('utf-8', 'surrogatepass')
	return _PRIVATE.sub(lambda m: bytes([0x80 | (m.group(1)[0] & 1) << 6 | (m.group(2)[0] & 0x3f)]), b)


# ---------------------------------------------------------------------------
# the json reader

WS = re.compile(r'[ \t\n\r]*')
MAX_DEPTH = 64
DECODER = json.JSONDecoder()


class Obj(list):
	"""An object as its (key, value) pairs, repeated keys kept."""


def depth(doc):
	best, stack = 0, [(doc, 1)]
	while stack:
		v, d = stack.pop()
		best = max(best, d)
		for c in ((x for _, x in v) if isinstance(v, Obj) else v):
			if isinstance(c, list):
				stack.append((c, d + 1))
	return best


def _walk(s, i, prefix, out, wanted, under):
	"""The object at s[i] ('{', already checked by json.loads): each key's
	dotted path, in document order; a key replaces all that its path and
	the paths under it had (the last of repeated keys wins, as in Python).
	Returns the index after the closing brace."""
	i = WS.match(s, i + 1).end()
	if s[i] == '}':
		return i + 1
	while True:
		key, i = json.decoder.scanstring(s, i + 1)
		path = key if prefix is None else prefix + '.' + key
		i = WS.match(s, WS.match(s, i).end() + 1).end()   # past the colon
		for w in wanted:
			if w == path or w.startswith(path + '.'):
				out.pop(w, None)
		if s[i] == '{' and path in under:
			j = _walk(s, i, path, out, wanted, under)
			val = s[i:j]
		else:
			v, j = DECODER.raw_decode(s, i)
			# strings unescaped, null missing, the rest as its text
			val = None if v is None else v if isinstance(v, str) else s[i:j]
		if val is not None and path in wanted:
			out[path] = val
		i = WS.match(s, j).end()
		if s[i] == '}':
			return i + 1
		i = WS.match(s, i + 1).end()   # past the comma


def json_reader(wanted, strict_utf8=False):
	wanted = list(wanted)
	under = {w[:m.start()] for w in wanted for m in re.finditer(r'\.', w)}   # paths with a wanted one below

	def read(line):
		line = difftest.chomp_cr(line)
		s = to_text(line)
		if strict_utf8 and re.search('[\U0010ff80-\U0010ffff]', s):
			return None
		try:
			doc = json.loads(s, object_pairs_hook=Obj)
		except (ValueError, RecursionError):
			return None
		if not isinstance(doc, Obj) or depth(doc) > MAX_DEPTH:
			return None
		out = {}
		_walk(s, WS.match(s).end(), None, out, wanted, under)
		return {k.encode(): to_bytes(v) for k, v in out.items()}
	return read


# ---------------------------------------------------------------------------
# logfmt: difftest's tokenizer; a quoted value is a JSON string (README)

LOGFMT_LINE = re.compile(rb'(?:[ \t]*' + difftest.LOGFMT_RE.pattern + rb')*[ \t]*', re.S)


def logfmt_read(line):
	line = difftest.chomp_cr(line)
	if not LOGFMT_LINE.fullmatch(line):
		return None
	out = {}
	for m in difftest.LOGFMT_RE.finditer(line):
		k, v = m.groups()
		if v is None:
			v = b'true'
		elif v.startswith(b'"'):
			try:
				v = to_bytes(json.loads(to_text(v)))
			except ValueError:
				return None
		out[k] = v
	return out


# ---------------------------------------------------------------------------
# combined: difftest.p_combined, with its quoted fields read as nginx and
# Apache write them: a backslash escapes the next byte (ringflow keeps the
# escapes), and a quote ends the field after an even run of backslashes.
# A line cut off in its user agent keeps the rest of the line, a backslash
# at the very end too.

def _teach_combined():
	pat = difftest.COMBINED_RE.pattern
	quoted = rb'((?:[^"\\]|\\.)*)'
	word = rb'((?:[^\s"\\]|\\.)+)'
	new = pat.replace(rb'"(\S+) (\S+) (\S+)"', b'"' + b' '.join([word] * 3) + b'"')
	new = new.replace(rb'"([^"]*)"', b'"' + quoted + b'"')
	assert new.count(quoted) == 2 and new.endswith(quoted + b'")?'), 'difftest.COMBINED_RE changed shape'
	difftest.COMBINED_RE = re.compile(new, re.S)
	difftest.COMBINED_CUT_RE = re.compile(new[:-len(b'*)")?')] + rb'*\\?)"?)?', re.S)
	difftest.combined_cut = True


_teach_combined()


def combined_read(line):
	f = difftest.p_combined(line, True)
	if f is not None and not difftest.COMBINED_RE.fullmatch(difftest.chomp_cr(line)):
		CUT.append(line)   # kept, with what it has: "ended early"
	return f


# ---------------------------------------------------------------------------
# input layout

def filler(n):
	"""A line of n bytes, its newline included, that every format reads as
	a record with none of the wanted fields (n >= 3)."""
	return b'{' + b' ' * (n - 3) + b'}\n'


class Layout:
	"""One input file: lines placed so that their start is at every
	alignment to 64 bytes, and some special byte of some lines is the last
	byte of a 4 KiB page (the end of an mmap window, a read buffer)."""

	def __init__(self, rng, fill=filler, min_fill=3):
		self.r = rng
		self.parts = []
		self.size = 0
		self.fill = fill
		self.min_fill = min_fill

	def _pad_to(self, pos, modulus, want):
		gap = (want - pos) % modulus
		if gap == 0:
			return
		while gap < self.min_fill:
			gap += modulus
		self.add(self.fill(gap))

	def add(self, data):
		self.parts.append(data)
		self.size += len(data)

	def line(self, ln, page_byte=None):
		"""ln (no newline) at a random alignment; or with its byte at
		page_byte (len(ln): its newline) last in a page."""
		if page_byte is not None:
			self._pad_to(self.size + page_byte, 4096, 4095)
		elif self.r.random() < 0.5:
			self._pad_to(self.size, 64, self.r.randrange(64))
		self.add(ln + b'\n')

	def data(self):
		return b''.join(self.parts)


def place(rng, lines, pages=None, fill=filler, min_fill=3, head=b''):
	"""The lines as one input; `pages` of them, spread evenly, with a byte
	(the newline, the last, the one before, any) last in a page."""
	lay = Layout(rng, fill, min_fill)
	if head:
		lay.add(head)
	every = max(1, len(lines) // (pages or PAGES))
	for i, ln in enumerate(lines):
		pb = None
		if i % every == every // 2:
			pb = max(0, rng.choice([len(ln), len(ln) - 1, len(ln) - 2, rng.randrange(len(ln) + 1)]))
		lay.line(ln, pb)
	return lay.data()


def at_edges(prefix, token, suffix, offsets=EDGES, pad=b'x'):
	"""prefix + padding + token + suffix, the token straddling each offset
	in every way: each of its bytes once at each offset."""
	out = []
	for o in offsets:
		for j in range(len(token)):
			n = o - j - len(prefix)
			if n >= 0:
				out.append(prefix + pad * n + token + suffix)
	return out


def mutate(rng, line, alphabet):
	b = bytearray(line)
	for _ in range(rng.randint(1, 3)):
		k = rng.random()
		i = rng.randrange(len(b) + 1)
		if k < 0.35 and b:
			del b[min(i, len(b) - 1)]
		elif k < 0.7:
			b[i:i] = rng.choice(alphabet)
		elif b:
			b[min(i, len(b) - 1)] = rng.choice(alphabet)[0]
	return bytes(b)


def sample(rng, xs, frac):
	if frac >= 1:
		return xs
	return [x for x in xs if rng.random() < frac]


# ---------------------------------------------------------------------------
# json inputs

# string bodies: escapes valid and not, backslash runs, structural bytes,
# UTF-8 and bytes that are none, control bytes
J_TOKENS = [
	BS + b'"', BS * 2, BS * 3 + b'"', BS * 4, BS * 5 + b'"', BS * 6, BS * 2 + b'"', BS * 4 + b'"',
	BS + b'x', BS * 3 + b'x', BS * 7, BS, b'"',
	BS + b'/', BS + b'n', BS + b't', BS + b'r', BS + b'b', BS + b'f',
	BS + b'u0041', BS + b'u00e9', BS + b'u20AC', BS + b'ud83d' + BS + b'ude00', BS + b'uD83D' + BS + b'uDE00',
	BS + b'ud800', BS + b'udc00', BS + b'ud800' + BS + b'u0041', BS + b'ud800' + BS + b'ud800' + BS + b'udc00',
	BS + b'udbff' + BS + b'udc00', BS + b'u0000', BS + b'u001f', BS + b'u005c', BS + b'u0022',
	BS + b'u12', BS + b'u12G4', BS + b'u+123', BS + b'u 123', BS + b'U0041', BS + b'q', BS + b"'", BS + b'\xc3\xa9',
	b'{', b'}', b'[', b']', b',', b':', b'{"a":1}', b'[1,2]', b'":"', b'","', b'"}', b'\\"}',
	b'\xc3\xa9', b'\xf0\x9f\x98\x80', b'\x7f', b'\xff', b'\xc0\x80', b'\xed\xa0\x80', b'\xe2\x82', b'\x80',
	b'\xf4\x90\x80\x80', b'\x00', b'\x01', b'\x1f', b'\t', b'\r',
]

NUMBERS = [
	b'0', b'-0', b'0.0', b'-0.0', b'1', b'-1', b'7', b'1e308', b'1.7976931348623157e308',
	b'1.7976931348623158e308', b'1.7976931348623159e308', b'2e308', b'-2e308', b'1e309', b'4.9e-324', b'5e-324',
	b'2.4e-324', b'2.5e-324', b'1e-400', b'2.2250738585072014e-308', b'2.2250738585072011e-308',
	b'2.225073858507201e-308', b'9007199254740992', b'9007199254740993', b'9223372036854775807',
	b'9223372036854775808', b'-9223372036854775808', b'-9223372036854775809', b'18446744073709551615',
	b'18446744073709551616', b'12345678901234567890', b'99999999999999999999', b'-12345678901234567890',
	b'1E+2', b'1e-2', b'1E2', b'0.1', b'0.30000000000000004', b'123456789012345678901234567890.5e-10',
	b'1' + b'0' * 300, b'0.' + b'0' * 330 + b'1', b'1e99999999999999999999',
	b'NaN', b'Infinity', b'-Infinity',
	# not JSON numbers
	b'01', b'-01', b'+1', b'.5', b'1.', b'1e', b'1e+', b'-', b'--1', b'0x10', b'1_000', b'1.5.5', b'-NaN',
	b'inf', b'nan', b'Inf', b'1e5.5', b'00', b'-.5', b'1ee5', b'1E', b'tru', b'nul', b'falsey', b'True',
]

INVALID_JSON = [
	b'', b' ', b'\t', b'{', b'}', b'{}}', b'{}{}', b'{} {}', b'{"a":1}{"b":2}', b'{"a":1} {"b":2}', b'{"a":1},',
	b'{"a":1,}', b'{,"a":1}', b'{"a" 1}', b'{"a"::1}', b'{"a":}', b'{"a"}', b'{a:1}', b"{'a':1}", b'{"a":\'x\'}',
	b'{"a":1 "b":2}', b'{"a":[1,2,]}', b'{"a":[,1]}', b'{"a":[1 2]}', b'{"a":{"b":1}}}', b'{"a":{"b":1}',
	b'{"a":[1,2}', b'{"a":[1,2]]}', b'{"a":tru}', b'{"a":truee}', b'{"a":nul}', b'{"a":undefined}', b'{"a":x}',
	b'[1,2]', b'"str"', b'1', b'null', b'true', b'[]', b'[{"a":1}]', b'{"a":1}x', b'x{"a":1}', b'{"a":1}]',
	b'{"a":"b}', b'{"a":"b\\"}', b'{"a\\":1}', b'{"a":1,"b"}', b'{"a":1,"b":}', b'{"a"=1}', b'{"a";1}',
	b'{"a":1;"b":2}', b'{"":1}', b'{"":{"":1}}', b'{"a":{}}', b'{"a":[]}', b'{ }', b'{\t}', b'{\r}',
	b'\xef\xbb\xbf{"a":1}', b'{"a":1}\x00', b'\x00{"a":1}', b'{\x00"a":1}', b'{"a":\x001}', b'{"a":1\xff}',
	b'\xff{"a":1}', b'{"a":1}\xff', b'{"a"\xff:1}', b'{"a":1,\x01"b":2}', b'{"a":\x7f1}', b'{"a":1}\x0c',
	b'{"a":1}\x0b', b'\x0c{"a":1}', b'{"a":/*c*/1}', b'{"a":1}//', b'{"a":0x1}', b'{"a":1,"a":}',
	b'{"a":"x"\x00}', b'{"a" : "x" , "b" : [ 1 , { "c" : null } ] }', b'{"a":[[[[[]]]]]}',
	b'{"a":"\\u12"}', b'{"a":"\\u"}', b'{"a":"\\', b'{"a":"\\"', b'{"a":"', b'{"a', b'{"', b'{"a":[', b'{"a":{',
	b'{"a":-}', b'{"a":"x","a":{"b":[1,{"c":"}"}]}}',
]

# the JSON numbers whose exact order difftest.key_cmp can tell (group keys)
ORDERED_NUMBERS = [t for t in NUMBERS[:NUMBERS.index(b'01')] if b'e9999' not in t]

JSON_WANTED = ['s', 'n', 'k', 'a', 'a.b', 'a.b.c', 'o', 'o.n', 'o.k', 'd', 'd.a', 'd.a.a', 'level', 'x']


def json_cases(rng, frac, long_scale):
	"""(main lines, extra files as [(name, bytes)])"""
	L = []
	# tokens at every offset around the block ends, in strings that are
	# wanted, skipped, keys, walked into and skipped inside objects
	forms = [
		(b'{"s":"', b'","n":7}'), (b'{"u":"', b'","n":7,"k":"x"}'), (b'{"', b'":1,"n":7}'),
		(b'{"o":{"k":"', b'"},"n":7}'), (b'{"q":{"k":"', b'","n":[1]},"n":7}'),
		(b'{"a":{"b":{"c":"', b'"}},"k":"z"}'), (b'{"u":["', b'"],"s":"t"}'),
	]
	for tok in J_TOKENS:
		for o in EDGES:
			for pre, suf in rng.sample(forms, 1):   # each form meets each token at some offsets
				tail = rng.choice([b'', b'', b'z', b'\\\\'])
				L += sample(rng, at_edges(pre, tok, tail + suf, offsets=[o]), frac)
	# a string's closing quote, after backslash runs of every length, on
	# the block ends; and the quote, a backslash or a brace as a line's last byte
	for o in EDGES:
		for run in range(0, 8):
			for pre, suf in forms[:4]:
				body = b'x' * max(0, o - len(pre) - run) + BS * run
				L.append(pre + body + suf)
		for end in [b'"', BS + b'"', BS * 2 + b'"', BS * 3 + b'"', BS, BS * 2, b'"}', BS + b'"}', BS * 2 + b'"}',
			    BS * 3 + b'"}', b'}', b'"}}', b'"} ', b'"}\r', b'"}\t', b'"}\r\r', b'" }', b'"]}']:
			for pre in (b'{"s":"', b'{"o":{"k":"', b'{"s":["'):
				n = o + 1 - len(pre) - len(end)
				if n >= 0:
					L.append(pre + b'x' * n + end)
	# numbers, each alone, after a string, inside objects and arrays, and
	# starting at the block ends
	for num in NUMBERS:
		L += [b'{"n":' + num + b'}', b'{"n":' + num + b',"k":"a"}', b'{"n": ' + num + b' }', b'{"o":{"n":' + num + b'}}',
		      b'{"a":[' + num + b'],"n":' + num + b'}', b'{"n":[' + num + b',' + num + b']}',
		      b'{"n":' + num + b'\t}', b'{"n":' + num + b'\r}', b'{"n":-' + num + b'}']
		if b'e9999' not in num:   # a group key (difftest's key order reads it through Decimal)
			L.append(b'{"k":' + num + b'}')
		for o in EDGES:   # the number starting, and ending, at the offset
			for start in (o, o - len(num) + 1):
				pad = start - len(b'{"s":"","n":')
				if pad >= 0 and rng.random() < frac:
					L.append(b'{"s":"' + b'x' * pad + b'","n":' + num + b'}')
	# nesting 1..70 deep: objects, arrays, both; wanted, walked into, skipped
	for d in range(1, 71):
		objs = b'{"a":' * (d - 1) + b'"}]"' + b'}' * (d - 1)
		arrs = b'[' * (d - 1) + b'"]}"' + b']' * (d - 1)
		mixed = b''.join(b'{"a":' if i % 2 == 0 else b'[' for i in range(d - 1)) + b'1' + \
			b''.join(b'}' if i % 2 == 0 else b']' for i in reversed(range(d - 1)))
		for deep in (objs, arrs, mixed):
			L += [b'{"d":' + deep + b',"n":5}', b'{"q":' + deep + b',"n":5}', b'{"n":5,"d":' + deep + b'}']
		L.append(b'{"d":' + b'{"a":' * (d - 1) + b'[}' + b'}' * (d - 1) + b'}')
		L.append(b'{"d":' + b'{"a":' * (d - 1) + b'1' + b'}' * d)        # one brace too many
		L.append(b'{"d":' + b'{"a":' * (d - 1) + b'1' + b'}' * (d - 2) + b'}')  # one too few
	# keys: prefixes of wanted names, repeats (the last wins), dotted
	# names, wanted paths through arrays and scalars
	L += [
		b'{"lev":1,"leve":2,"levelx":3,"levels":4}', b'{"level":1,"levelx":3}', b'{"levelx":3,"level":1}',
		b'{"l":1,"le":2,"level.x":5}', b'{"level":{"x":1}}', b'{"x":1,"x":2}', b'{"x":1,"x":null}', b'{"x":null,"x":3}',
		b'{"a":{"b":1},"a":{"c":2}}', b'{"a":{"b":1},"a":null}', b'{"a":1,"a":{"b":2}}', b'{"a":{"b":2},"a":1}',
		b'{"a.b":1,"a":{"b":2}}', b'{"a":{"b":2},"a.b":1}', b'{"a":{"b":2},"a.b":1,"a":{"c":3}}',
		b'{"a":{"b":{"c":1},"b":{"d":2}}}', b'{"a":{"b":{"c":1}},"a":{"b":7}}', b'{"a":[{"b":1}]}',
		b'{"a":[{"b":{"c":1}}],"n":1}', b'{"a":"{\\"b\\":1}"}', b'{"a":true,"o":false}', b'{"a":{"bb":1,"b":2}}',
		b'{"ab":1,"a":{"b":3}}', b'{"a":{"b":{"c":null}}}', b'{"a":{"b":{"c":[]}}}', b'{"a":{"b":{"c":{}}}}',
		b'{"\\u0061":{"\\u0062":5}}', b'{"a":{"b\\u002ec":1}}', b'{"a\\"":1,"a":2}', b'{"o":{"n":1,"n":2,"k":"x"}}',
		b'{"o":{"n":{"x":1}},"o":{"k":"y"}}', b'{"":{"a":1},"a":{"":2}}', b'{"d":{"a":{"a":{"a":1}}},"d":{"a":3}}',
	]
	# whitespace around every token
	for ws in (b' ', b'\t', b'\r', b'  \t\r ', b''):
		L.append(ws + b'{' + ws + b'"s"' + ws + b':' + ws + b'"v"' + ws + b',' + ws + b'"o"' + ws + b':' + ws + b'{' +
			 ws + b'"n"' + ws + b':' + ws + b'[' + ws + b'1' + ws + b',' + ws + b'{}' + ws + b']' + ws + b'}' + ws + b'}' + ws)
	L += INVALID_JSON
	# invalid UTF-8, NUL and control bytes inside and outside strings
	for bad in (b'\xff', b'\x80', b'\xc3', b'\xc0\x80', b'\xed\xa0\x80', b'\xf8\x88\x80\x80\x80', b'\x00', b'\x01',
		    b'\x1b', b'\x7f', b'\t', b'\r', b'\x0b', b'\xc2\x85', b'\xe2\x80\xa8'):
		L += [b'{"s":"' + bad + b'"}', b'{"s":"a' + bad + b'b","n":1}', b'{"' + bad + b'":1,"n":2}',
		      b'{"s":' + bad + b'"x"}', b'{"s":"x"' + bad + b'}', b'{"n":1' + bad + b'}', bad + b'{"n":1}',
		      b'{"n":1}' + bad, b'{"o":{"k":"' + bad + b'"},"n":1}', b'{"q":{"k":"' + bad + b'"},"n":1}']
	# truncated documents: a few rich lines cut at every byte
	rich = [b'{"s":"a\\"b\\\\","o":{"n":-1.5e3,"k":[true,null,{"x":"}"}]},"n":7}',
		b'{"a":{"b":{"c":"\\ud83d\\ude00"}},"k":"\\u00e9","level":"x y"}']
	for r in rich:
		L += [r[:i] for i in range(len(r))]
	# random documents, and random damage to them and to the lines above
	docs = [random_doc(rng) for _ in range(int(1200 * frac) + 50)]
	L += docs
	alphabet = [b'{', b'}', b'[', b']', b'"', b',', b':', BS, b' ', b'\t', b'0', b'e', b'.', b'-', b'u', b'\x00', b'\xff']
	pool = docs + L[:len(L) // 2]
	for _ in range(int(2000 * frac) + 50):
		m = mutate(rng, rng.choice(pool), alphabet)
		# no exponents of thousands of digits: a group key's exact order is
		# read through Decimal and Fraction (difftest.key_cmp)
		if not re.search(rb'[eE][-+]?0*[1-9][0-9]{3}', m):
			L.append(m)
	rng.shuffle(L)
	L = [ln.replace(b'\n', b'\\n') for ln in L]   # one line each
	files = [('main.json', place(rng, L))]
	# long lines: a string of 100 KB with escapes all along, and of 1 MB;
	# many keys; wanted fields after them
	big = []
	for size in ([100 << 10] + ([1 << 20] if long_scale else [])):
		body = b''.join(rng.choice([b'x' * 50, b'\\"', b'\\\\', b'\\u00e9', b'{', b']', b',']) for _ in range(size // 20))
		big += [b'{"s":"' + body + b'","n":1}', b'{"u":"' + body + BS * 5 + b'"' + BS * 4 + b'","n":2}']
		if size < 1 << 20:
			big += [b'{"s":"' + b'y' * size + b'","n":3}', b'{"s":"' + body + b'","n":4',
				b'{"q":[' + b','.join(b'{"a":[1,"]"]}' for _ in range(size // 16)) + b'],"n":5}']
	big.append(b'{' + b','.join(b'"k%d":%d' % (i, i) for i in range(5000)) + b',"n":8,"k":"last"}')
	files.append(('long.json', b'\n'.join(big) + b'\n'))
	# a file's end at a page's end, without a final newline: the last byte
	# a brace, a quote, a backslash
	for i, end in enumerate([b'"}', b'"', BS, BS + b'"', BS * 2 + b'"}', b'}']):
		for size in (4096, 8192):
			head = b'{"n":1}\n' * 3
			pre = b'{"s":"'
			files.append(('edge%d-%d.json' % (i, size), head + pre + b'x' * (size - len(head) - len(pre) - len(end)) + end))
	return L, files


def random_doc(rng, depth_left=4, top=True):
	keys = [b'a', b'b', b'c', b'd', b'k', b'n', b'o', b's', b'x', b'level', b'lev', b'a.b', b'']

	def ws():
		return rng.choice([b'', b'', b'', b' ', b'\t', b'\r', b'  '])

	def string():
		return b'"' + b''.join(rng.choice([b'x', b'ab', b'\\"', b'\\\\', b'\\u00e9', b'{', b'}', b'[', b']', b',', b':',
						   b'\xc3\xa9', b' ', b'\\n'])
				       for _ in range(rng.randint(0, 6))) + b'"'

	def value(dl):
		r = rng.random()
		if dl > 0 and r < 0.3:
			return random_doc(rng, dl - 1, False)
		if dl > 0 and r < 0.4:
			return b'[' + b','.join(ws() + value(dl - 1) + ws() for _ in range(rng.randint(0, 3))) + b']'
		if r < 0.65:
			return string()
		if r < 0.9:
			return rng.choice(ORDERED_NUMBERS)
		return rng.choice([b'true', b'false', b'null'])
	items = [ws() + rng.choice([b'"' + k + b'"' for k in keys]) + ws() + b':' + ws() + value(depth_left) + ws()
		 for _ in range(rng.randint(0, 5))]
	return b'{' + b','.join(items) + b'}' if items else b'{' + ws() + b'}'


# numbers: each converted (n * 1.0) and printed; the reader is Python's
# float(), correctly rounded, and the shortest digits that read back

def number_cases(rng, frac, known):
	def ok(t):
		x = difftest.rnum(t)
		return True  # subnormals too: they print shortest (5e-324, not 4.94066e-324)
	nums = list(NUMBERS)
	for _ in range(int(1500 * frac) + 100):
		k = rng.random()
		if k < 0.3:   # a random double, written shortest
			x = struct.unpack('<d', struct.pack('<Q', rng.getrandbits(64)))[0]
			if x == x and abs(x) != float('inf'):
				nums.append(repr(x).encode())
		elif k < 0.6:   # digits of every length, exponents of every size
			t = rng.choice([b'', b'-']) + str(rng.randint(0, 10 ** rng.randint(1, 25))).encode()
			if rng.random() < 0.6:
				t += b'.' + str(rng.randint(0, 10 ** rng.randint(1, 25))).encode().rjust(rng.randint(1, 5), b'0')
			if rng.random() < 0.6:
				t += rng.choice([b'e', b'E', b'e+', b'e-']) + str(rng.randint(0, 330)).encode()
			nums.append(t)
		else:   # close to halfway between two doubles
			x = abs(struct.unpack('<d', struct.pack('<Q', rng.getrandbits(63)))[0])
			if x == x and x != float('inf') and x < 1e300:
				with decimal.localcontext(decimal.Context(prec=1000)):   # exact
					mid = (decimal.Decimal(x) + decimal.Decimal(math.nextafter(x, math.inf))) / 2
					eps = decimal.Decimal(rng.choice([0, 0, 1, -1])).scaleb(mid.adjusted() - rng.randint(17, 40))
					nums.append(format(mid + eps, 'E').encode())   # every digit
	lines = []
	for t in nums:
		if not ok(t):
			continue
		lines.append(b'{"n":' + t + b'}')
		if rng.random() < 0.3:
			lines.append(b'{"n":"' + t + b'"}')
		if rng.random() < 0.3:
			o = rng.choice(EDGES)
			lines.append(b'{"s":"' + b'x' * max(0, o - 12) + b'","n":' + t + b'}')
	lines += [b'{"n":"%s"}' % t for t in (b' 7', b'7 ', b'+7', b'.5', b'5.', b'0x10', b'inf', b'-inf', b'nan', b'1e5.5', b'1_0')]
	return [('numbers.json', place(rng, lines))]


def fmt_double(x):
	"""README: integers as integers, other doubles in the shortest form
	that reads back exactly (printf's %g with that many digits)."""
	if x != x:
		return 'nan'
	if abs(x) == float('inf'):
		return 'inf' if x > 0 else '-inf'
	if x == math.floor(x) and abs(x) < 2 ** 53:
		return '%.0f' % (x if x else 0.0)
	digits = re.sub(r'e.*', '', repr(abs(x))).replace('.', '').strip('0')
	return '%.*g' % (len(digits), x)


def expect_number(recs):
	out = [b'n,v']
	for _, f in recs:
		if f is None:
			continue
		t = f.get(b'n')
		x = difftest.rnum(t)
		v = None if x is None else fmt_double(float(x) * 1.0).encode()
		out.append(csv_cell(t) + b',' + csv_cell(v))
	return b''.join(x + b'\n' for x in out)


# ---------------------------------------------------------------------------
# csv and tsv inputs

def csv_cases(rng, frac, sep, known):
	q = b'"'
	toks = [q * 2, q * 4, sep, b'\n', b'\r\n', q * 2 + sep, sep + q * 2, q * 2 + b'\n', b'x' + q, q * 3, b'\\',
		b'\\' + q * 2, b'\xff', b'\x00', b'\xc3\xa9', b' ']
	header = sep.join([b's', b't', b'n', b'u'])
	rows = []
	# a quoted field with the token at every offset around the block ends;
	# as the first, a middle and the last field
	for tok in toks:
		rows += sample(rng, at_edges(b'"', tok, b'"' + sep + b'7' + sep + b'z'), frac)
		rows += sample(rng, at_edges(b'a' + sep + b'"', tok, b'"' + sep + b'8'), frac)
		rows += sample(rng, at_edges(b'a' + sep + b'b' + sep + b'9' + sep + b'"', tok, b'"'), frac)
	# opening and closing quotes on the block ends; text after a closing
	# quote, bare quotes inside unquoted fields
	for o in EDGES:
		for shape in (b'"%s"', b'"%s"y', b'%s"b', b'"%s""', b'%s', b'"%s' + q * 2 + b'"'):
			for pad in range(max(0, o - 4), o + 2):
				v = shape.replace(b'%s', b'v' * pad)
				rows.append(v + sep + b'1' + sep + b'"x' + sep + b'y"')
				rows.append(b'w' + sep + v + sep + b'2')
				rows.append(b'w' + sep + b'w' + sep + b'3' + sep + v)
	# ragged rows, empty fields, blank lines
	rows += [b'', b'only', sep * 5, b'a' + sep + b'b', b'1' + sep + b'2' + sep + b'3' + sep + b'4' + sep + b'5' + sep + b'6',
		 b'""', b'""' + sep + b'""', b'"' + sep + b'"', b'\r', b'"a\nb"' + sep + b'"\n"' + sep + b'"\r\n\r\n"']
	for _ in range(int(800 * frac) + 40):
		rows.append(sep.join(rng.choice([b'', b'x', b'12', b'-1.5e3', b'"q' + sep + b'q"', b'"a""b"', b'"x"y', b'a"b',
						 b'"l1\nl2"', b'"' + b'z' * rng.randint(50, 140) + b'"', b'\xff\xfe'])
				     for _ in range(rng.randint(1, 6))))
	if 'csv_bare_cr' in known:
		rows += [b'x\ry' + sep + b'2', b'a' + sep + b'b\r' + sep + b'c']
	rng.shuffle(rows)

	def fill(n):
		return b'f' * (n - 1) + b'\n'
	main = place(rng, rows, fill=fill, min_fill=2, head=header + b'\n')
	crlf = b'\xef\xbb\xbf' + header + b'\r\n' + b'\r\n'.join(r for r in rows[:200]) + b'\r\n'
	# the inputs end outside quotes (csv_open_eol); a quote left open to the
	# end is in the inputs after them, which have no final newline
	files = [('main', close_quote(main, sep)), ('crlf', close_quote(crlf, sep))]
	for o, end in ((60, b'""'), (64, b'x'), (4095, b'"' + sep + b'"')):
		files.append(('open%d' % o, header + b'\n' + b'a' + sep + b'"' + b'o' * o + b'\ntail' + sep + end))
	if 'csv_open_eol' in known:
		files += [('openlf', header + b'\na' + sep + b'"open\nend\n'), ('opencrlf', header + b'\r\na' + sep + b'"open\r\n')]
	ext = '.csv' if sep == b',' else '.tsv'
	return [(n + ext, d) for n, d in files]


def open_at_end(data, sep):
	"""Whether data ends inside a quoted field: a line added after it is
	then no record of its own."""
	rows = difftest.p_csv_file(data + b'\nzz\n', ',' if sep == b',' else '\t')
	return not (rows and list(rows[-1][1].values())[0] == b'zz')


def close_quote(data, sep):
	"""data, with a quote and a newline added when it ends inside a quoted
	field (see csv_open_eol)."""
	return data + b'"\n' if open_at_end(data, sep) else data


# ---------------------------------------------------------------------------
# logfmt inputs

def logfmt_cases(rng, frac, known):
	toks = [BS + b'"', BS * 2, BS * 3 + b'"', BS * 4, BS * 2 + b'"', BS + b'n', BS + b't', BS + b'u00e9',
		BS + b'ud83d' + BS + b'ude00', BS + b'ud800', BS + b'q', BS + b'u12', BS, b'"', b'=', b' ', b'\t', b'a=b',
		b'\xff', b'\xc3\xa9', b'\x00', b'\x01', b'\x7f', b'{', b'}']
	L = []
	for tok in toks:
		L += sample(rng, at_edges(b'msg="', tok, b'" n=7'), frac)
		L += sample(rng, at_edges(b'level=info u="', tok, b'" n=8 a'), frac)
		L += sample(rng, at_edges(b'n=9 a=', tok, b' msg=x'), frac)     # inside a bare value
		L += sample(rng, at_edges(b'n=9 ', tok, b'=1 level=x'), frac)  # inside a key
	for o in EDGES:
		for run in range(0, 6):
			L.append(b'msg="' + b'x' * max(0, o - 5 - run) + BS * run + b'" n=1')
			L.append(b'n=2 msg="' + b'x' * max(0, o - 9 - run) + BS * run + b'"')
			L.append(b'n=3 msg="' + b'x' * max(0, o - 9 - run) + BS * run)
	L += [b'', b' ', b'\t', b'a', b'a=', b'a=""', b'=x', b'a==b', b'a=b=c', b'k="open', b'"q"', b'a "b"', b'a=1 a=2', b'a a=1',
	      b'a=1 a', b'a=x"y', b'a="x" b', b'a="x"\tb=1', b'a="x""y"', b'a="x"=y', b'level=info\t\tmsg="t\\tab"',
	      b'n=1 msg="a\tb"', b'n=1 msg="\\u0000"', b'levelx=1 lev=2', b'a=\xff b=\x00', b'\xff=1', b'msg="\\u00"']
	if 'logfmt_glued' in known:
		L += [b'a="x"y=1', b'msg="x"n=2 level=w']
	for _ in range(int(800 * frac) + 40):
		items = []
		for _ in range(rng.randint(0, 6)):
			k = rng.choice([b'a', b'b', b'level', b'lev', b'msg', b'n', b'u'])
			v = rng.random()
			if v < 0.2:
				items.append(k)
			elif v < 0.6:
				items.append(k + b'=' + rng.choice([b'1', b'-2.5', b'x', b'', b'a"b', b'\xc3\xa9', b'1e308']))
			else:
				items.append(k + b'="' + b''.join(rng.choice([b'x', b' ', b'\\"', b'\\\\', b'=', b'\\u00e9', b'y' * 40])
								 for _ in range(rng.randint(0, 5))) + b'"')
		L.append(rng.choice([b' ', b'  ', b'\t']).join(items))
	rng.shuffle(L)

	def fill(n):
		return b'f' * (n - 1) + b'\n'
	return [('main.logfmt', place(rng, L, fill=fill, min_fill=2))]


# ---------------------------------------------------------------------------
# combined inputs

def combined_cases(rng, frac):
	head = b'1.2.3.4 - frank [10/Oct/2000:13:55:36 -0700] "'
	toks = [BS + b'"', BS * 2, BS * 3 + b'"', BS * 4, BS + b'x', b'[', b']', b'[x]', b'\xff', b'\xc3\xa9', BS + b'\\\\"']
	L = []
	for tok in toks:
		req = at_edges(head + b'GET /', tok, b' HTTP/1.1" 200 512 "-" "curl/8"')
		ref = at_edges(head + b'GET / HTTP/1.1" 404 - "http://r/', tok, b'" "Mozilla/5.0 (X11)"')
		agent = at_edges(head + b'POST /x HTTP/1.0" 500 7 "-" "Moz', tok, b' (Linux)"')
		cut = at_edges(head + b'POST /x HTTP/1.0" 500 7 "-" "Moz', tok, b'')
		for xs in (req, ref, agent, cut):
			L += sample(rng, xs, frac)
	# the agent's closing quote on the block ends and as the line's last
	# byte, after backslash runs (an odd run escapes it: the line is cut)
	base = head + b'GET /a HTTP/1.1" 200 1 "-" "'
	for o in EDGES + [o + 64 for o in EDGES]:
		for run in range(0, 6):
			n = o - len(base) - run
			if n >= 0:
				L.append(base + b'a' * n + BS * run + b'"')
				L.append(base + b'a' * n + BS * run)
	for _ in range(int(600 * frac) + 30):
		L.append(b'%d.%d.%d.%d - %s [10/Oct/2000:13:55:36 -0700] "%s %s HTTP/1.%d" %s %s "%s" "%s"' % (
			rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255),
			rng.choice([b'-', b'bob']), rng.choice([b'GET', b'POST']),
			b'/' + b''.join(rng.choice([b'a', b'\\"', b'[', b']', b'%22']) for _ in range(rng.randint(0, 30))),
			rng.randint(0, 1), rng.choice([b'200', b'304', b'404', b'500']), rng.choice([b'-', b'0', b'123456']),
			rng.choice([b'-', b'http://x/?q=\\"a\\"']),
			b''.join(rng.choice([b'Mozilla/5.0 ', b'(X11; Linux) ', b'\\"quoted\\" ', b'\\\\', b'[]']) for _ in range(rng.randint(0, 12)))))
	L += [b'', b'garbage', head, head + b'GET / HTTP/1.1"', head + b'GET / HTTP/1.1" 200 5 "-" "a\\"',
	      head + b'GET / HTTP/1.1" 200 5 "-\\" "a"']
	rng.shuffle(L)

	def fill(n):
		return b'f' * (n - 1) + b'\n'
	return [('main.log', place(rng, L, fill=fill, min_fill=2))]


# ---------------------------------------------------------------------------
# what ringflow must print

csv_cell = rftest.csv_field   # what --format=csv prints for a value (None: missing)


def line_records(files, read):
	"""[(line, fields or None)] of line formats, every input in order."""
	recs = []
	for _, data in files:
		for ln in difftest.frame(data):
			recs.append((ln, read(ln)))
	return recs


def csv_records(files, fmt):
	recs = []
	for name, data in files:
		if open_at_end(data, b',' if fmt == 'csv' else b'\t'):
			CUT.append(name)
		rows = difftest.p_csv_file(data, ',' if fmt == 'csv' else '\t')
		if rows is None:
			raise RuntimeError('%s: the csv module refused it' % name)
		recs += [(None, f) for _, f in rows]
	return recs


def expect_select(recs, cols):
	out = [b','.join(csv_cell(c.encode()) for c in cols)]
	for _, f in recs:
		if f is not None:
			out.append(b','.join(csv_cell(f.get(c.encode())) for c in cols))
	return b''.join(x + b'\n' for x in out)


def expect_count(recs):
	return b'count\n%d\n' % sum(1 for _, f in recs if f is not None)


def expect_count_by(recs, key):
	c = collections.Counter(f.get(key.encode()) for _, f in recs if f is not None)
	keys = sorted(c, key=functools.cmp_to_key(lambda a, b: difftest.key_cmp(a, b)))
	return b''.join([key.encode() + b',count\n'] + [csv_cell(k) + b',%d\n' % c[k] for k in keys])


def expect_rejects(recs):
	return b''.join(ln + b'\n' for ln, f in recs if f is None and ln is not None)


STATS = ['--stats=json']   # the count of rejects read from --stats=json


def queries(fmt, recs):
	"""[(query, expected stdout, options)]"""
	if fmt == 'json':
		sel = JSON_WANTED
		return [('parse json | select ' + ', '.join(sel), expect_select(recs, sel), []),
			('parse json | count', expect_count(recs), STATS),
			('parse json | count by k', expect_count_by(recs, 'k'), [])]
	if fmt == 'json-n':
		return [('parse json | select n', expect_select(recs, ['n']), [])]
	if fmt == 'jsonnum':
		return [('parse json | eval v = n * 1.0 | select n, v', expect_number(recs), [])]
	if fmt in ('csv', 'tsv'):
		sel = ['s', 't', 'n', 'u', '$1', '$2', '$3', '$4', '$5', '$6']
		return [('parse %s | select %s' % (fmt, ', '.join(sel)), expect_select(recs, sel), []),
			('parse %s | count by n' % fmt, expect_count_by(recs, 'n'), STATS)]
	if fmt == 'logfmt':
		sel = ['a', 'b', 'level', 'lev', 'msg', 'n', 'u']
		return [('parse logfmt | select ' + ', '.join(sel), expect_select(recs, sel), []),
			('parse logfmt | select n', expect_select(recs, ['n']), []),
			('parse logfmt | count', expect_count(recs), STATS)]
	if fmt == 'combined':
		sel = ['ip', 'ident', 'user', 'time', 'request', 'method', 'path', 'protocol', 'status', 'bytes', 'referer', 'agent']
		return [('parse combined | select ' + ', '.join(sel), expect_select(recs, sel), []),
			('parse combined | count by status', expect_count_by(recs, 'status'), STATS)]
	raise ValueError(fmt)


# ---------------------------------------------------------------------------
# running ringflow

def shapes(fmt, levels, light=False):
	"""Option sets: every level in serial mode over 4 KiB mmap windows and
	over 64 KiB read buffers, and in parallel mode (csv, tsv: pipeline).
	light (under the sanitizers): 4 KiB windows at every level, the rest
	at one level each."""
	par = '--mode=pipeline' if fmt in ('csv', 'tsv') else '--mode=parallel'
	out = []
	for i, lv in enumerate(levels):
		s = '--simd=' + lv
		out.append([s, '--mode=serial', '--io=mmap', '--window=4K'])
		if not light or i == 0:
			out.append([s, '--mode=serial', '--io=read', '--buffer-size=64K'])
		if not light or i == len(levels) - 1:
			out.append([s, par, '--threads=2', '--buffer-size=64K'] +
				   (['--io=mmap', '--window=8K'] if i % 2 else ['--io=read']))
	return out


REJECT_NOTE = re.compile(rb'([0-9]+) records? could not be parsed as')
CUT_NOTE = re.compile(rb'([0-9]+) records? ended early')
CUT = []   # what the readers took as cut off: csv inputs, combined lines


class Checker:
	def __init__(self, binary, tmp, jobs, verbose):
		self.bin = binary
		self.tmp = tmp
		self.jobs = jobs
		self.verbose = verbose
		self.runs = 0
		self.failures = 0
		self.nrej = 0

	def fail(self, msg):
		self.failures += 1
		if self.failures <= 30:
			print('FAIL: ' + msg)

	def start(self, opts, query, paths):
		self.nrej += 1
		rej = os.path.join(self.tmp, 'rejects%d' % self.nrej)
		argv = [self.bin] + opts + ['--format=csv', '--rejects=' + rej, query] + paths
		self.runs += 1
		if self.verbose:
			print('run: ' + ' '.join(argv[1:]))
		p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
		return p, rej, argv

	def finish(self, p, rej):
		try:
			out, err = p.communicate(timeout=120)
		except subprocess.TimeoutExpired:
			p.kill()
			p.communicate()
			return None, b'', b'timeout', b''
		try:
			with open(rej, 'rb') as f:
				r = f.read()
			os.unlink(rej)
		except OSError:
			r = None
		return p.returncode, out, err, r

	def run_all(self, what, paths, optsets, qs, recs, ncut):
		want_rej = expect_rejects(recs)
		nrej = sum(1 for _, f in recs if f is None)
		first = {}
		todo = [(q, want, o + extra) for q, want, extra in qs for o in optsets]
		for i in range(0, len(todo), self.jobs):
			procs = [(q, want, o, self.start(o, q, paths)) for q, want, o in todo[i:i + self.jobs]]
			for q, want, o, (p, rej, argv) in procs:
				rc, out, err, got_rej = self.finish(p, rej)
				cmd = ' '.join(argv[1:len(o) + 1]) + " --format=csv '%s'" % q
				if rc != 0:
					self.fail('%s: %s: exit status %s: %r' % (what, cmd, rc, err[-400:]))
					continue
				if STATS[0] in o:
					try:
						got_n = json.loads(err)['rejected']
					except (ValueError, KeyError, TypeError):
						self.fail('%s: %s: no "rejected" in --stats=json: %r' % (what, cmd, err[-400:]))
						continue
				else:
					m = REJECT_NOTE.search(err)
					got_n = int(m.group(1)) if m else 0
				m = CUT_NOTE.search(err)
				got_cut = int(m.group(1)) if m else 0
				res = (out, got_rej, got_n, got_cut)
				rows = 'select' in q   # the rows are the records the reader takes
				if q not in first:
					first[q] = (res, cmd)
				elif res != first[q][0]:
					self.fail('%s: %s differs from %s%s' % (what, cmd, first[q][1],
										describe(first[q][0][0], out, recs, rows)))
				if out != want:
					self.fail('%s: %s: output differs from the reader%s' % (what, cmd, describe(want, out, recs, rows)))
				elif got_rej is None:
					self.fail('%s: %s: no --rejects file' % (what, cmd))
				elif got_rej != want_rej:
					self.fail('%s: %s: --rejects file differs%s' % (what, cmd, describe_lines(want_rej, got_rej)))
				elif got_n != nrej:
					self.fail('%s: %s: %d rejects reported, the reader rejects %d' % (what, cmd, got_n, nrej))
				elif got_cut != ncut:
					self.fail('%s: %s: %d records reported ended early, the reader has %d' % (what, cmd, got_cut, ncut))


def describe(want, got, recs, rows=True):
	"""The first row that differs, and the input line it came from."""
	wl, gl = want.split(b'\n'), got.split(b'\n')
	for i, (a, b) in enumerate(zip(wl, gl)):
		if a != b:
			ok = [ln for ln, f in recs if f is not None]
			src = ok[i - 1] if rows and 0 < i <= len(ok) and ok[i - 1] is not None else None
			return ('\n    row %d: want %r\n    row %d: got  %r%s' % (
				i, a[:300], i, b[:300], '\n    from the line %r' % src[:400] if src is not None else ''))
	return '\n    %d rows, want %d' % (len(gl) - 1, len(wl) - 1)


def describe_lines(want, got):
	ws, gs = want.split(b'\n'), got.split(b'\n')
	for a, b in zip(ws, gs):
		if a != b:
			return '\n    want %r\n    got  %r' % (a[:300], b[:300])
	return '\n    %d lines, want %d' % (len(gs) - 1, len(ws) - 1)


def write_corpus(d, fmt, files, rng, n=6, size=6000):
	"""Seeds for the fuzz harness of fmt (tests/fuzz/corpus/parse-FMT): runs
	of lines of the generated inputs, a csv header first, behind the byte
	that picks the harness's I/O shape."""
	os.makedirs(d, exist_ok=True)
	data = files[0][1]
	head = data[:data.index(b'\n') + 1] if fmt in ('csv', 'tsv') else b''
	lines = [ln + b'\n' for ln in data[len(head):].split(b'\n') if not re.fullmatch(rb'\{ *\}|f+', ln)]
	for i in range(n):
		at = rng.randrange(len(lines))
		seed = bytearray([rng.randrange(16)]) + head
		for ln in lines[at:]:
			if len(seed) + len(ln) > size:
				break
			seed += ln
		with open(os.path.join(d, 'parsediff-%d' % i), 'wb') as f:
			f.write(seed)


def write_files(tmp, sub, files):
	d = os.path.join(tmp, sub)
	os.mkdir(d)
	paths = []
	for name, data in files:
		p = os.path.join(d, name)
		with open(p, 'wb') as f:
			f.write(data)
		paths.append(p)
	return paths


# ---------------------------------------------------------------------------

def main():
	ap = argparse.ArgumentParser(description='ringflow parsers against independent readers, at every SIMD level')
	ap.add_argument('--ringflow', default=os.environ.get('RINGFLOW', './ringflow'))
	ap.add_argument('--seed', type=int, default=18)
	ap.add_argument('--scale', type=float, default=None,
			help='share of the generated lines kept (default 1, 0.25 with SANITIZED=yes)')
	ap.add_argument('--formats', default='json,numbers,csv,tsv,logfmt,combined')
	ap.add_argument('--levels', default=None, help='SIMD levels (default: each one ringflow accepts here)')
	ap.add_argument('--known', default='', help='classes of KNOWN to generate too (NAME,... or all)')
	ap.add_argument('--keep', metavar='DIR', help='write the inputs to DIR')
	ap.add_argument('--write-corpus', metavar='DIR', help='write fuzz seeds to DIR/parse-FORMAT and stop')
	ap.add_argument('--jobs', type=int, default=2)
	ap.add_argument('-v', '--verbose', action='store_true')
	a = ap.parse_args()
	sanitized = os.environ.get('SANITIZED') == 'yes'
	frac = a.scale if a.scale is not None else (0.25 if sanitized else 1.0)
	global PAGES
	PAGES = max(30, int(PAGES * frac))
	known = set(KNOWN) if a.known == 'all' else {k for k in a.known.split(',') if k}
	for k in known - set(KNOWN):
		sys.exit('parsediff: unknown class %r (%s)' % (k, ', '.join(KNOWN)))
	if not os.access(a.ringflow, os.X_OK):
		print('parsediff: %s is not executable (set RINGFLOW)' % a.ringflow, file=sys.stderr)
		return 99
	levels = a.levels.split(',') if a.levels else difftest.cpu_simd(a.ringflow)
	if 'avx512' not in levels and a.levels is None:
		print('parsediff: avx512 skipped: %s' % ('ringflow has no such level' if 'avx512' in difftest.cpu_levels()
							 else 'the CPU lacks AVX-512BW'))
	tmpbase = os.environ.get('TMPDIR') or ('/dev/shm' if os.access('/dev/shm', os.W_OK) else None)
	tmp = tempfile.mkdtemp(prefix='rf-parsediff.', dir=tmpbase)
	ck = Checker(a.ringflow, tmp, a.jobs, a.verbose)
	t0 = time.time()
	try:
		for fmt in a.formats.split(','):
			t1 = time.time()
			CUT.clear()
			rng = random.Random('%d/%s' % (a.seed, fmt))
			if fmt == 'json':
				lines, files = json_cases(rng, frac, long_scale=not sanitized)
				strict = 'json_utf8_strict' in known
				recs = line_records(files, json_reader(JSON_WANTED, strict))
				qs = queries('json', recs)
				# the wanted set decides what is walked into and what skipped
				qs += queries('json-n', line_records(files, json_reader(['n'], strict)))
			elif fmt == 'numbers':
				files = number_cases(rng, frac, known)
				recs = line_records(files, json_reader(['n']))
				qs = queries('jsonnum', recs)
			elif fmt in ('csv', 'tsv'):
				files = csv_cases(rng, frac, b',' if fmt == 'csv' else b'\t', known)
				recs = csv_records(files, fmt)
				qs = queries(fmt, recs)
			elif fmt == 'logfmt':
				files = logfmt_cases(rng, frac, known)
				recs = line_records(files, logfmt_read)
				qs = queries(fmt, recs)
			elif fmt == 'combined':
				files = combined_cases(rng, frac)
				recs = line_records(files, combined_read)
				qs = queries(fmt, recs)
			else:
				sys.exit('parsediff: unknown format %r' % fmt)
			if a.write_corpus:
				if fmt != 'numbers':
					write_corpus(os.path.join(a.write_corpus, 'parse-' + fmt), fmt, files, rng)
				continue
			paths = write_files(tmp, fmt, files)
			if a.keep:
				os.makedirs(os.path.join(a.keep, fmt), exist_ok=True)
				for p in paths:
					shutil.copy(p, os.path.join(a.keep, fmt))
			if sanitized:   # the first query, and the one with the reject count of --stats=json
				qs = [q for i, q in enumerate(qs) if i == 0 or q[2]]
			nrej = sum(1 for _, f in recs if f is None)
			before = ck.failures
			opts = shapes(fmt, levels, sanitized)
			ck.run_all(fmt, paths, opts, qs, recs, len(CUT))
			print('parsediff: %-8s %7d records (%d rejected), %5.1f MB, %d queries x %d runs, %d failures, %.1fs' % (
				fmt, len(recs), nrej, sum(len(d) for _, d in files) / 1e6, len(qs), len(opts),
				ck.failures - before, time.time() - t1))
	finally:
		shutil.rmtree(tmp, ignore_errors=True)
	print('parsediff: seed %d, levels %s, %d runs, %d failures, %.1fs' % (
		a.seed, ' '.join(levels), ck.runs, ck.failures, time.time() - t0))
	return 1 if ck.failures else 0


if __name__ == '__main__':
	sys.exit(main())
