#!/bin/sh
# SPDX-License-Identifier: MIT
# logformat.sh - parse nginx 'FORMAT', parse apache 'FORMAT', parse "PATTERN"
# as ..., parse alb and parse elb, against an independent oracle: Python's
# re, with the regular expression built by this test from the same format
# string, checked field by field (select) and through group-by answers.
# The combined-equivalent nginx and Apache formats give parse combined's
# bytes, in every mode; cut-off lines, CRLF, blank lines and a missing
# final newline are in the logs; bad format strings get exit 2 and a caret.
. "${SRCDIR:-.}/tests/lib.sh"

py_checks << 'EOF'
import random, re, sys
import rftest
from rftest import check, run

T, RF = rftest.setup(sys.argv)
rng = random.Random(16)
MODES = ["serial", "parallel", "pipeline", "multiprocess"]

NGINX_COMBINED = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                  '"$http_referer" "$http_user_agent"')
APACHE_COMBINED = r'%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"'


def ip():
    return "%d.%d.%d.%d" % tuple(rng.randrange(1, 255) for _ in range(4))


def stamp():
    return "%02d/Nov/2026:%02d:%02d:%02d +0000" % (rng.randrange(1, 29), rng.randrange(24), rng.randrange(60),
                                                   rng.randrange(60))


AGENTS = ['Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0', 'curl/8.4.0', '-',
          'odd \\"quoted\\" agent', 'tab\there', 'caf\xc3\xa9 \xff\xfe bytes', 'x' * 3000]
PATHS = ['/', '/index.html', '/a/b?c=d&e=f', '/caf%C3%A9', '/x y', '/' + 'p' * 500]


def values():
    """one record's variables, as nginx would write them"""
    req = rng.choice(['GET %s HTTP/1.1', 'POST %s HTTP/2.0', 'HEAD %s HTTP/1.0', '-', 'GARBAGE'])
    if '%s' in req:
        req = req % rng.choice(PATHS)
    return {
        'remote_addr': ip(), 'remote_user': rng.choice(['-', 'frank', 'bob']), 'time_local': stamp(),
        'request': req, 'status': str(rng.choice([200, 200, 200, 301, 304, 404, 500, 503])),
        'body_bytes_sent': rng.choice(['0', '-', str(rng.randrange(1, 10 ** 7))]),
        'http_referer': rng.choice(['-', 'https://example.com/', 'http://a.b/c?d']),
        'http_user_agent': rng.choice(AGENTS),
        'request_time': '%d.%03d' % (rng.randrange(0, 30), rng.randrange(1000)),
        'upstream_response_time': rng.choice(['-', '%d.%03d' % (rng.randrange(0, 30), rng.randrange(1000))]),
        'host': rng.choice(['example.com', 'api.example.com']),
    }


VAR = re.compile(r'\$(\w+)|\$\{(\w+)\}')


def nginx_line(fmt, v):
    return VAR.sub(lambda m: v[m.group(1) or m.group(2)], fmt)


def oracle(fmt, var_re, names_of):
    """The format as a Python regex: each capture a lazy group (a quoted one
    allows backslash escapes), the rest literal.  names_of(match) gives the
    field name of a variable; the line may go on after the format."""
    out, names, pos = '^', [], 0
    for m in var_re.finditer(fmt):
        lit = fmt[pos:m.start()]
        out += re.escape(lit)
        after = fmt[m.end():m.end() + 1]
        if lit.endswith('"') and after == '"':
            out += r'((?:[^"\\]|\\.)*)'
        elif after:
            out += '([^' + re.escape(after) + ']*)'
        else:
            out += '(.*)'
        names.append(names_of(m))
        pos = m.end()
    out += re.escape(fmt[pos:])
    return re.compile(out.encode('latin-1'), re.S), names


def lines_of(rows, crlf_every=7):
    """the records as a file: some CRLF, some blank lines, no final newline"""
    b = b''
    for i, r in enumerate(rows):
        b += r.encode('latin-1') + (b'\r\n' if i % crlf_every == 3 else b'\n')
        if i % 50 == 17:
            b += b'\n'
    return b.rstrip(b'\n')


def write(name, data):
    with open(T + '/' + name, 'wb') as f:
        f.write(data)
    return T + '/' + name


def tsv_rows(out):
    rows = out.split(b'\n')
    return [r.split(b'\t') for r in rows[1:] if r != b'']


def tsv_unescape(c):
    return re.sub(rb'\\(.)', lambda m: {b't': b'\t', b'n': b'\n', b'r': b'\r', b'\\': b'\\'}.get(m.group(1),
                                                                                          m.group(0)), c)


def field_by_field(what, query_fmt, fields, path, want_rows):
    """select fields: every record's cells as the oracle has them"""
    st, out, err = run(['--format=tsv', query_fmt + ' | select ' + ', '.join(fields), path])
    check(st == 0, '%s: exit %d %s' % (what, st, err[:300]))
    got = [[tsv_unescape(c) for c in r] for r in tsv_rows(out)]
    # (tsv prints a missing value as an empty cell)
    want_rows = [[b'' if c is None else c for c in r] for r in want_rows]
    check(len(got) == len(want_rows), '%s: %d rows, want %d' % (what, len(got), len(want_rows)))
    bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want_rows)) if g != w]
    check(not bad, '%s: row %s: got %r want %r' % ((what,) + bad[0]) if bad else what)


# ---- 1. the combined-equivalent formats give combined's bytes, in every mode ----
rows = []
for i in range(3000):
    rows.append(nginx_line(NGINX_COMBINED, values()))
cut = ['1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] "GET /cut HTTP/1.1" 200',          # after the status
       '1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] "GET /cut HTTP/1.1" 404 ',
       '1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] "GET /cut HTTP/1.1" 500 12',
       '1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] "GET /cut HTTP/1.1" 200 12 "-',       # inside the referer
       '1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] "GET /cut HTTP/1.1" 200 12 "-" ',
       '1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] "GET /cut HTTP/1.1" 200 12 "-" "Mozil',  # inside the agent
       '1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] "GET /cut HTTP/1.1" 200 12 "-" "',
       '1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] "GET /cut HTTP/1.1" 200 12 "-" "a" 0.123 extra',
       '1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] "GET /cut HTTP/1.1" 20',              # rejects
       '1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] "GET /cut',
       '1.2.3.4 - - [01/Nov/2026:00:00:0',
       '1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] "GET / HTTP/1.1" 200  "-" "a"',
       '1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] "GET / HTTP/1.1" 999 1 "-" "a"',
       '1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 1 x "a"',
       '1.2.3.4 - - [] "GET / HTTP/1.1" 200 1 "-" "a"',
       '1.2.3.4 - - [01/Nov/2026:00:00:00 +0000] "GET /long HTTP/1.1" 200 5 "-" "' + 'L' * 300000 + '"',
       'garbage', '\x00\x01 nul bytes', '1.2.3.4  - [01/Nov/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "a"']
for i, c in enumerate(cut):
    rows.insert(100 + i * 150, c)
log = write('combined.log', lines_of(rows))

queries = ['count by status, method, protocol', 'count, sum(bytes) by path | sort path',
           'count by user, time | sort time | head 50', 'count by referer, agent | sort agent',
           'where bytes > 1000 | count by ip | top 20', 'count by minute']
for q in queries:
    st, want, werr = run(['--mode=serial', '--format=tsv', 'parse combined | ' + q, log])
    check(st == 0 and len(want) > 20, 'combined: %s: exit %d, %d bytes' % (q, st, len(want)))
    for name, fmt in (('nginx', "'%s'" % NGINX_COMBINED), ('apache', "'%s'" % APACHE_COMBINED),
                      ('nginx default', ''), ('apache default', '')):
        kind = name.split()[0]
        for mode in MODES:
            st, got, err = run(['--mode=' + mode, '--buffer-size=64K', '--format=tsv',
                                'parse %s %s | %s' % (kind, fmt, q), log])
            check(st == 0 and got == want, '%s %s: %s: exit %d, %d bytes vs %d' % (name, mode, q, st, len(got),
                                                                                  len(want)))
            # the notes (rejects, cut-off records) are the same too
            check(err.replace(b'as ' + kind.encode(), b'as combined') == werr,
                  '%s %s: %s: stderr %r vs %r' % (name, mode, q, err[:300], werr[:300]))

# --strict refuses the cut-off lines and the rejects, as combined does
for kind in ('combined', 'nginx', 'apache'):
    st, out, err = run(['--strict', 'parse %s | count' % kind, log])
    check(st != 0, '%s --strict: exit %d' % (kind, st))
# the rejects file: exactly the lines combined rejects
st, _, _ = run(['--rejects=' + T + '/rej.c', 'parse combined | count', log])
st2, _, _ = run(['--rejects=' + T + '/rej.n', '--mode=parallel', 'parse nginx | count', log])
rc, rn = open(T + '/rej.c', 'rb').read(), open(T + '/rej.n', 'rb').read()
check(rc == rn and sum(1 for l in rc.split(b'\n') if l.strip()) == 9,
      'nginx rejects the lines combined rejects: %r vs %r' % (rn[:300], rc[:300]))

# ---- 2. an extended nginx format, field by field against re ----
EXT = ('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
       '"$http_user_agent" $request_time $upstream_response_time "${host}"')
vals = [values() for _ in range(2000)]
rows = [nginx_line(EXT, v) for v in vals]
log = write('ext.log', lines_of(rows))
rx, names = oracle(EXT, VAR, lambda m: m.group(1) or m.group(2))
want = []
sums = {}
for r in rows:
    m = rx.match(r.encode('latin-1'))
    assert m, r
    g = dict(zip(names, m.groups()))
    rt = g['upstream_response_time']
    b = g['body_bytes_sent']
    want.append([g['remote_addr'], g['status'], b'0' if b == b'-' else b, g['request_time'],
                 None if rt == b'-' else rt, g['host'], g['http_user_agent']])
    sums[g['status']] = sums.get(g['status'], 0) + float(g['request_time'])
field_by_field('nginx extended', "parse nginx '%s'" % EXT,
               ['ip', 'status', 'bytes', 'request_time', 'upstream_response_time', 'host', 'agent'], log, want)
st, out, err = run(['--format=tsv', "parse nginx '%s' | sum(request_time) by status | sort status" % EXT, log])
got = {r[0]: float(r[1]) for r in tsv_rows(out)}
check(sorted(got) == sorted(sums) and all(abs(got[k] - sums[k]) < 1e-6 for k in sums),
      'nginx sum(request_time) by status: %r vs %r' % (got, sums))
# the time is known: count by minute reads $time_local, and --since finds it
st, out, err = run(['--format=tsv', "parse nginx '%s' | count by hour | sort hour | head 1" % EXT, log])
check(st == 0 and b'2026-11-' in out, 'nginx count by hour: %r %r' % (out[:200], err[:200]))

# ---- 3. an Apache format with more directives, field by field ----
APACHE = (r'%v:%p %a %l %u %t \"%r\" %>s %B %D %{ms}T \"%{X-Forwarded-For}i\" \"%{User-agent}i\" %{c}a')
DIRECTIVE = re.compile(r'%[!<>0-9,]*(?:\{([^}]*)\})?([a-zA-Z%])')
apache_names = {'v': 'vhost', 'p': 'port', 'a': 'client_ip', 'l': 'ident', 'u': 'user', 't': 'time',
                'r': 'request', 's': 'status', 'B': 'bytes', 'D': 'duration_us', 'T': 'duration_ms'}


def apache_name(m):
    if m.group(2) == 'i':
        return {'referer': 'referer', 'user-agent': 'agent'}.get(m.group(1).lower(),
                                                                 re.sub(r'\W', '_', m.group(1).lower()))
    if m.group(2) == 'a' and m.group(1) == 'c':
        return 'peer_ip'
    return apache_names[m.group(2)]


afmt = APACHE.replace('\\"', '"').replace('%t', '[%t]')
rx, names = oracle(afmt, DIRECTIVE, apache_name)
rows = []
for i in range(1500):
    v = values()
    rows.append('%s:%d %s - %s [%s] "%s" %s %d %d %d "%s" "%s" %s' % (
        v['host'], rng.choice([80, 443]), ip(), v['remote_user'], v['time_local'], v['request'], v['status'],
        rng.randrange(10 ** 6), rng.randrange(10 ** 7), rng.randrange(10 ** 4),
        rng.choice(['-', ip() + ', ' + ip()]), v['http_user_agent'], ip()))
log = write('apache.log', lines_of(rows))
want = []
for r in rows:
    m = rx.match(r.encode('latin-1'))
    assert m, r
    g = dict(zip(names, m.groups()))
    want.append([g[k] for k in ('vhost', 'port', 'client_ip', 'time', 'status', 'duration_us', 'duration_ms',
                                'x_forwarded_for', 'agent', 'peer_ip')])
field_by_field('apache extended', "parse apache '%s'" % APACHE,
               ['vhost', 'port', 'client_ip', 'time', 'status', 'duration_us', 'duration_ms', 'x_forwarded_for',
                'agent', 'peer_ip'], log, want)

# ---- 4. parse "PATTERN" as ...: matched lines field by field, the rest rejected ----
PATTERN = '* [*] user=* took *ms: *'
prx = re.compile(rb'(.*?) \[(.*?)\] user=(.*?) took (.*?)ms: (.*)', re.S)
rows = []
for i in range(2000):
    k = rng.randrange(10)
    if k == 0:
        rows.append('no match here %d' % i)
    elif k == 1:
        rows.append('host%d [INFO] user= took 12ms: ' % i)       # empty captures are values
    else:
        rows.append('host%d [%s] user=%s took %d.%dms: %s' % (i, rng.choice(['INFO', 'WARN', 'a b']),
                    rng.choice(['bob', 'x-y', '\xc3\xa9']), rng.randrange(999), rng.randrange(10),
                    rng.choice(['done', 'a: b: c', '[x] y', '\xff\x00 odd'])))
log = write('pattern.log', lines_of(rows))
want, rejected = [], []
for r in rows:
    m = prx.search(r.encode('latin-1'))
    if m:
        want.append(list(m.groups()))
    else:
        rejected.append(r.encode('latin-1'))
field_by_field('pattern', 'parse "%s" as host, level, user, ms, msg' % PATTERN,
               ['host', 'level', 'user', 'ms', 'msg'], log, want)
for mode in MODES:
    st, out, err = run(['--mode=' + mode, '--buffer-size=64K', '--rejects=' + T + '/prej', '--format=tsv',
                        'parse "%s" as host, level, user, ms, msg | count' % PATTERN, log])
    got = [l.rstrip(b'\r') for l in open(T + '/prej', 'rb').read().split(b'\n') if l.rstrip(b'\r')]
    check(got == rejected, 'pattern %s: rejects %d vs %d' % (mode, len(got), len(rejected)))
    check(out.split(b'\n')[1].strip() == str(len(want)).encode(), 'pattern %s: count %r' % (mode, out))

# ---- 5. AWS ALB and ELB logs ----
ALB = ['type', 'time', 'elb', 'client', 'target', 'request_processing_time', 'target_processing_time',
       'response_processing_time', 'elb_status_code', 'target_status_code', 'received_bytes', 'sent_bytes',
       '"request', '"user_agent', 'ssl_cipher', 'ssl_protocol', 'target_group_arn', '"trace_id', '"domain_name',
       '"chosen_cert_arn', 'matched_rule_priority', 'request_creation_time', '"actions_executed',
       '"redirect_url', '"error_reason', '"target_port_list', '"target_status_code_list', '"classification',
       '"classification_reason', 'conn_trace_id']


def alb_values():
    ok = rng.randrange(5) != 0
    return {
        'type': rng.choice(['http', 'https', 'h2']),
        'time': '2026-11-0%dT%02d:%02d:%02d.%06dZ' % (rng.randrange(1, 9), rng.randrange(24), rng.randrange(60),
                                                      rng.randrange(60), rng.randrange(10 ** 6)),
        'elb': 'app/my-lb/50dc6c495c0c9188', 'client': ip() + ':' + str(rng.randrange(1, 65536)),
        'target': ip() + ':80' if ok else '-',
        'request_processing_time': '0.00%d' % rng.randrange(10) if ok else '-1',
        'target_processing_time': '0.0%d' % rng.randrange(100) if ok else '-1',
        'response_processing_time': '0.000' if ok else '-1',
        'elb_status_code': rng.choice(['200', '404', '502']), 'target_status_code': '200' if ok else '-',
        'received_bytes': str(rng.randrange(10 ** 5)), 'sent_bytes': str(rng.randrange(10 ** 6)),
        'request': rng.choice(['GET https://example.com:443/a?b=c HTTP/1.1', 'POST http://x:80/ HTTP/2.0',
                               '- - - ']),
        'user_agent': rng.choice(AGENTS[:4]), 'ssl_cipher': rng.choice(['-', 'ECDHE-RSA-AES128-GCM-SHA256']),
        'ssl_protocol': rng.choice(['-', 'TLSv1.2']),
        'target_group_arn': 'arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/t/73e2d6bc24d8a067',
        'trace_id': 'Root=1-58337262-36d228ad5d99923122bbe354', 'domain_name': '-', 'chosen_cert_arn': '-',
        'matched_rule_priority': '0', 'request_creation_time': '2026-11-01T00:00:00.000000Z',
        'actions_executed': 'forward', 'redirect_url': '-', 'error_reason': '-', 'target_port_list': '10.0.0.1:80',
        'target_status_code_list': '200', 'classification': '-', 'classification_reason': '-',
        'conn_trace_id': 'TID_%x' % rng.randrange(10 ** 9),
    }


def aws_line(fields, v, n):
    out = []
    for f in fields[:n]:
        out.append('"%s"' % v[f[1:]] if f[0] == '"' else v[f])
    return ' '.join(out)


rows, want = [], []
for i in range(1500):
    v = alb_values()
    n = rng.choice([16, 25, 27, 29, 30, 30, 30])     # older logs end early
    line = aws_line(ALB, v, n) + (' "newer" field' if n == 30 and i % 3 == 0 else '')
    rows.append(line)
    # the oracle: a regex per field, quoted ones between quotes
    rx = ' '.join('"((?:[^"\\\\]|\\\\.)*)"' if f[0] == '"' else '(\\S+)' for f in ALB[:n])
    m = re.match(rx.encode(), line.encode('latin-1'))
    g = dict(zip([f.lstrip('"') for f in ALB[:n]], m.groups()))
    cip, cport = g['client'].rsplit(b':', 1)
    want.append([g['time'], cip, cport, g['elb_status_code'], None if g['target_status_code'] == b'-' else
                 g['target_status_code'], g['request'], g['request'].split(b' ')[1] if g['request'] != b'- - - '
                 else b'-', g['user_agent'], g.get('trace_id'), g.get('conn_trace_id')])
log = write('alb.log', lines_of(rows))
write('alb-noblank.log', '\n'.join(rows).encode('latin-1'))
field_by_field('alb', 'parse alb', ['time', 'client_ip', 'client_port', 'elb_status_code', 'target_status_code',
                                    'request', 'path', 'user_agent', 'trace_id', 'conn_trace_id'], log, want)
# older, shorter lines are complete: --strict takes them all, and nothing is cut off
st, out, err = run(['--strict', '--format=tsv', 'parse alb | count', T + '/alb-noblank.log'])
check(st == 0 and out == b'count\n1500\n' and b'ended early' not in err, 'alb --strict: %d %r %r' % (st, out,
                                                                                                    err[:300]))
# a line ending inside a quoted field is cut off
v = alb_values()
v['user_agent'] = 'curl/8.4.0'
write('albcut.log', (aws_line(ALB, v, 18)[:-3] + '\n').encode('latin-1'))  # inside trace_id
st, out, err = run(['parse alb | count', T + '/albcut.log'])
check(st == 0 and b'ended early' in err, 'alb cut inside quotes: %r' % err[:300])
st, out, err = run(['--format=tsv', 'parse alb | count by minute | head 2', log])
check(st == 0 and out.startswith(b'minute\tcount\n2026-11-0'), 'alb count by minute: %r %r' % (out, err[:200]))

ELB = ['time', 'elb', 'client', 'backend', 'request_processing_time', 'backend_processing_time',
       'response_processing_time', 'elb_status_code', 'backend_status_code', 'received_bytes', 'sent_bytes',
       '"request', '"user_agent', 'ssl_cipher', 'ssl_protocol']
rows, want = [], []
for i in range(500):
    v = alb_values()
    v['backend'] = v['target']
    v['backend_processing_time'] = v['target_processing_time']
    v['backend_status_code'] = v['target_status_code']
    n = rng.choice([12, 15])
    rows.append(aws_line(ELB, v, n))
    want.append([v['time'].encode(), v['client'].rsplit(':', 1)[0].encode(), v['elb_status_code'].encode(),
                 v['request'].encode(), v['user_agent'].encode('latin-1') if n == 15 else None])
log = write('elb.log', lines_of(rows))
field_by_field('elb', 'parse elb', ['time', 'client_ip', 'elb_status_code', 'request', 'user_agent'], log, want)

# ---- 6. bad format strings: exit 2, the message, a caret under the spot ----
for query, col, words in [
        ("parse nginx '$remote_addr [$time_locl]'", 28, b"unknown nginx variable '$time_locl'"),
        ("parse nginx '$remote_addr$remote_user'", 26, b'no literal between'),
        ("parse nginx '$remote_addr ${host'", 27, b"'${' without"),
        ("parse apache '%h %Q %u'", 18, b"unknown Apache directive '%Q'"),
        ("parse apache '%h %{Referer}'", 18, b"'%' with no directive"),
        ('parse "* *" as a', 16, b"more '*' than names"),
        ('parse "* *" as a, b, c', 22, b"more names than '*'"),
        ('parse "* *" a, b', 13, b"expected 'as'"),
        ('parse "no stars" as a', 7, b"no '*'"),
        ('parse "**" as a, b', 9, b'no literal between'),
        ('parse "* *" as a, a', 19, b'given twice')]:
    st, out, err = run([query, '/dev/null'])
    check(st == 2, '%s: exit %d' % (query, st))
    check(words in err, '%s: message %r' % (query, err))
    caret = [l for l in err.split(b'\n') if l.strip() == b'^']
    check(len(caret) == 1 and len(caret[0]) - 2 == col, '%s: caret %r (column %d)' % (query, caret, col))
st, out, err = run(["parse nginx '$remote_addr [$time_locl]'", '/dev/null'])
check(b"did you mean 'time_local'" in err, 'nginx hint: %r' % err)

# fields a server writes after the format's last one are left out, not run
# into it: a format ending in $request_time over a log that also has
# $upstream_response_time (request_time was "0.004 0.002", not a number)
ext = T + '/extra.log'
times = ['0.%03d' % i for i in range(1, 40)]
with open(ext, 'w') as f:
    for i, t in enumerate(times):
        f.write('10.0.0.%d - - [30/Nov/2026:10:00:00 +0000] "GET /x HTTP/1.1" 200 5 "-" "ua x" %s 0.002 - extra\n'
                % (i, t))
fmt = ('$remote_addr - $remote_user [$time_local] \\"$request\\" $status $body_bytes_sent \\"$http_referer\\" '
       '\\"$http_user_agent\\" $request_time')
for mode in ['serial', 'parallel']:
    st, out, err = run(['--mode=' + mode, '--format=tsv', 'parse nginx "%s" | count, sum(request_time)' % fmt, ext])
    want = '%d\t%s' % (len(times), repr(round(sum(float(t) for t in times), 6)))
    check(st == 0 and out.decode().splitlines()[1:] == [want], '%s: trailing fields: %r want %r %r' % (mode, out, want, err))

# nginx writes the upstream variables of several upstreams as lists, "a, b"
# and "a : b" after an internal redirect: the list is one value, and the
# fields after it keep theirs (request_time read the second upstream's time)
up = T + '/upstream.log'
ups = [('0.010, 0.020', '0.7'), ('10.0.0.1:80, 10.0.0.2:80', '0.9'), ('0.010 : 0.020, 0.030', '1.5'),
       ('0.004', '2.5'), ('-', '3.5')]
with open(up, 'w') as f:
    for u, rt in ups:
        f.write('1.2.3.4 502 %s %s "ua x"\n' % (u, rt))
for var in ['upstream_response_time', 'upstream_addr', 'upstream_status']:
    for mode in ['serial', 'parallel']:
        st, out, err = run(['--strict', '--mode=' + mode, '--format=tsv',
                            "parse nginx '$remote_addr $status $%s $request_time \"$http_user_agent\"' | "
                            "select %s, request_time, http_user_agent" % (var, var), up])
        want = ['%s\t%s\tua x' % ('' if (u == '-' and var != 'upstream_addr') else u, rt) for u, rt in ups]
        check(st == 0 and out.decode().splitlines()[1:] == want, '%s %s: %r want %r %r' % (var, mode, out, want, err))
rftest.summary()
EOF
finish
