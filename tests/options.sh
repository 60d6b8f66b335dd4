#!/bin/sh
# SPDX-License-Identifier: MIT
# options.sh - numeric options and their ranges (every one refuses overflow,
# negatives and trailing junk, naming itself), "--" after the query,
# --buffer-size and --memory (never clamped: the pool stays within
# --memory, peak RSS measured), and the input counts of --stats in every
# mode and worker count.
. "${SRCDIR:-.}/tests/lib.sh"

seq 1 1000 > "$T/in"

# The table: for each option, values refused with exit 2 and a message that
# starts with "ringflow:" and names the option, nothing on stdout.
# Overflow, negatives, junk and signs for every numeric option, then each
# one's own range; then numbers in queries.
python3 - "$RINGFLOW" "$T/in" > "$T/why" <<'EOF'
import subprocess, sys
rf, f = sys.argv[1:3]
every = ['-1', '-0', '99999999999999999999', '18446744073709551616', '18446744073709551615',
	 '9223372036854775808', '1x', '1.0x', '+1', ' 1', '1 ', '0x10', '1e3', '', '-', '.', '1-', '1,,2']
table = {opt: list(every) for opt in ('--threads=', '--queue-depth=', '--memory=', '--group-memory=',
				       '--buffer-size=', '--window=', '--max-record=', '--every=',
				       '--numa=node:', '--cpus=')}
for opt in ('--threads=', '--queue-depth='):  # whole numbers from 1
	table[opt] += ['0', '1.5', '4294967296', '4294967297', '2147483648', '65536']
table['--threads='] += ['257']
table['--queue-depth='] += ['4097']
table['--numa=node:'] += ['4294967296', '4294967295', '2147483648', '1048577', ' 0', '+0', '0x1']
table['--cpus='] += ['0-+1', '0- 1', '65536', '0-65536', '1-0', '1,']
table['--every='] += ['0', '0s', '1e-3', '5ms', 'inf', 'nan', '1000000h', '0x1p3s', '1.5.5s']
table['--memory='] += ['0', '1023K', '2T', '1025G']
table['--group-memory='] += ['0', '65T']
table['--buffer-size='] += ['0', '1', '64000', '63K', '3G']
table['--window='] += ['0', '1', '4095', '3G']
table['--max-record='] += ['0', '3G', '2G', '1025M']
# the range is named: --memory=1 says "from 1M to 1T"
named = {'--memory=1': 'out of range (from 1M to 1T)', '--memory=2T': 'out of range (from 1M to 1T)',
	 '--buffer-size=1': 'out of range (from 64K to 2G)', '--window=1': 'out of range (from 4K to 2G)',
	 '--max-record=3G': 'out of range (from 1 to 1G)', '--threads=257': 'from 1 to 256'}
cases = [([opt + v, 'count', f], 'ringflow: ' + opt.split('=')[0], named.get(opt + v))
	 for opt, values in table.items() for v in values]
cases += [([k, 'count', f], 'ringflow: ' + k.split('=')[0], v) for k, v in named.items()]
for q in ('head -1', 'head 99999999999999999999', 'head 1x', 'count | top -1', 'count | top 18446744073709551616',
	  'count | top 1x', 'count | head 1.5', 'split | quantile($1, 2)', 'split | quantile($1, -0.5)',
	  'split | quantile($1, 0.5x)', 'split | count by bucket($1, -5m)',
	  'split | count by bucket($1, 99999999999999999999s)'):
	cases.append(([q, f], 'ringflow: query:', None))
for args, start, also in cases:
	p = subprocess.run([rf] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
	err = p.stderr.decode(errors='replace')
	if p.returncode != 2 or not err.startswith(start) or p.stdout or (also and also not in err):
		print('%r: exit %d, stdout %r, stderr %r' % (args[0], p.returncode, p.stdout[:80], err[:200]))
EOF
checks=$((checks + 1))
[ -s "$T/why" ] && fail "refused values: $(cat "$T/why")"

# the values at the ends of the ranges are taken
want=$(awk 'END { print NR }' "$T/in")
for o in --threads=1 --threads=256 --queue-depth=4096 --memory=1M --memory=1T --memory=1024K --memory=1MiB \
	--memory=1MB --group-memory=1 --group-memory=64T --buffer-size=64K "--buffer-size=256M --memory=513M" \
	--window=4K --window=256M --max-record=4 --max-record=1G --every=10ms --every=1.5 --every=277h \
	--numa=off --numa=node:0 --cpus=0; do
	got=$("$RINGFLOW" $o count "$T/in" 2> "$T/err")
	st=$?
	got=$(printf '%s\n' "$got" | grep -v '^# ') # --every: each snapshot's time line
	check_status "$o (taken)" $st 0
	check_eq "$o: count" "$got" "$want"
done

# "--" ends the options, also right after the query: the file "-v"
cd "$T" || exit 99
seq 1 7 > ./-v
seq 1 5 > ./-x
got=$("$RINGFLOW" count -- -v 2> "$T/err")
check_status "count -- -v" $? 0
check_eq "count -- -v" "$got" 7
got=$("$RINGFLOW" --stats count -- -v -x 2> "$T/err")
check_eq "--stats count -- -v -x" "$got" 12
check_grep "--stats count -- -v -x: two inputs" "$T/err" "inputs      2 (0 failed)"
got=$("$RINGFLOW" 'grep -v 3' -- -v 2> "$T/err")
check_eq "grep -v 3 -- -v" "$got" "$(grep -v 3 ./-v)"
# after one "--" before the query, a second one is a file name, as in
# getopt: the run says it is missing and reads the rest
got=$("$RINGFLOW" -- count -- -v 2> "$T/err")
check_status "-- count -- -v" $? 2
check_eq "-- count -- -v" "$got" 7
check_line "-- count -- -v: '--' is a file" "$T/err" "ringflow: --: No such file or directory"
# a query that starts with "-" after "--" is a query, not an option
"$RINGFLOW" -- -v > /dev/null 2> "$T/err"
check_status "-- -v" $? 2
check_grep "-- -v: a query error" "$T/err" "ringflow: query:1:"
cd - > /dev/null || exit 99

# --buffer-size is never clamped (1 was 64K, 1G was 256M): a pool that
# does not hold two buffers within --memory is refused, with the figures
"$RINGFLOW" --buffer-size=1G count "$T/in" > "$T/out" 2> "$T/err"
check_status "--buffer-size=1G" $? 2
check_grep "--buffer-size=1G: the figures" "$T/err" \
	"--memory=64M does not hold the buffer pool's two buffers of 1G (--buffer-size) and 64K each: that takes 2.0G"
"$RINGFLOW" --buffer-size=1G --memory=1M count "$T/in" > "$T/out" 2> "$T/err"
check_status "--buffer-size=1G --memory=1M" $? 2
check_grep "--buffer-size=1G --memory=1M: figures" "$T/err" \
	"--memory=1M does not hold the buffer pool's two buffers of 1G"
check_grep "--buffer-size=1G --memory=1M: what it takes" "$T/err" "that takes 2.0G"
"$RINGFLOW" --buffer-size=1M --memory=2M count "$T/in" > /dev/null 2> "$T/err"
check_status "--buffer-size=1M --memory=2M (2M and 128K needed)" $? 2

# The pool as --stats reports it, in every mode and backend: the buffer
# size asked for, and all of it within --memory.  In multiprocess mode each
# worker has a pool: each worker's share of --memory holds two buffers.
# Then the peak RSS of the process and its workers (getrusage of the
# children): a run whose two buffers do not fit is refused, one that fits
# stays within --memory and a margin for the program itself.  Before,
# --buffer-size=32M --memory=8M ran with 64M of buffers.
seq 1 400000 > "$T/big"
seq 1 3000000 > "$T/huge"
python3 - "$RINGFLOW" "$T/big" "$T/huge" > "$T/why" <<'EOF'
import json, subprocess, sys
rf, big, huge = sys.argv[1:4]
K, M = 1 << 10, 1 << 20
want = sum(1 for _ in open(huge, 'rb'))
for mode in ('serial', 'parallel', 'pipeline', 'async', 'multiprocess'):
	for io in ('read', 'uring'):
		base = [rf, '--mode=' + mode, '--io=' + io, '--threads=4']
		for mem, bs in ((1 * M, 0), (1 * M, 192 * K), (3 * M, 64 * K), (64 * M, 16 * M), (5 * M, 2 * M)):
			what = '%s %s --memory=%dK --buffer-size=%dK' % (mode, io, mem // K, bs // K)
			args = ['--memory=%dK' % (mem // K)] + (['--buffer-size=%dK' % (bs // K)] if bs else [])
			p = subprocess.run(base + args + ['--stats=json', 'count', big], stdout=subprocess.PIPE,
					   stderr=subprocess.PIPE)
			if p.returncode != 0:
				print(what, 'exit', p.returncode, p.stderr[:300])
				continue
			r = json.loads(p.stderr)
			if mode == 'multiprocess':
				need = 2 * (max(bs, 64 * K) + 64 * K)
				if r['threads'] * need > mem:
					print(what, '%d workers of %d bytes each' % (r['threads'], need))
				continue
			n, b = r['pool_buffers'], r['pool_buffer_size']
			if n < 2 or n * (b + 64 * K) > mem:
				print(what, 'pool %d x (%d + 64K)' % (n, b))
			if bs and b != bs:
				print(what, 'buffers of', b)
		for mem, bs in ((8 * M, 32 * M), (24 * M, 16 * M), (4 * M, 0), (24 * M, 8 * M)):
			what = '%s %s --memory=%dM --buffer-size=%dM' % (mode, io, mem // M, bs // M)
			args = ['--memory=%dM' % (mem // M)] + (['--buffer-size=%dM' % (bs // M)] if bs else [])
			p = subprocess.run(['python3', '-c', '''if 1:
				import resource, subprocess, sys
				p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
				print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, repr(p.stdout.decode()),
				      repr(p.stderr.decode()))'''] + base + args + ['count', huge], stdout=subprocess.PIPE,
					   universal_newlines=True)
			code, rss, rest = p.stdout.split(' ', 2)
			code, rss = int(code), int(rss) * K
			if 2 * (bs + 64 * K) > mem:
				if code != 2 or 'does not hold' not in rest:
					print(what, 'exit %d, peak %d MiB: %s' % (code, rss // M, rest[:200]))
			elif code != 0 or rest.split(' ')[0] != repr('%d\n' % want):
				print(what, 'exit %d: %s' % (code, rest[:200]))
			elif rss > mem + 40 * M:
				print(what, 'peak %d MiB' % (rss // M))
EOF
checks=$((checks + 1))
[ -s "$T/why" ] && fail "pool within --memory: $(cat "$T/why")"

# --stats counts every input once, failed or not, whatever the mode and
# number of workers (multiprocess said "inputs 0 (3 failed)" for one
# unreadable file with two workers), as text and as JSON.  The long file
# has records over --max-record all through it: every worker that reads a
# part of it fails, and it counts once.
seq 1 5000 > "$T/a"
seq 1 7000 > "$T/b"
python3 -c "
import sys
with open(sys.argv[1], 'w') as f:
	for i in range(8):
		f.write('x' * 100000 + '\n' + 'a\n' * 20000)
" "$T/long"
python3 - "$RINGFLOW" "$T" > "$T/why" <<'EOF'
import json, re, subprocess, sys
rf, t = sys.argv[1:3]
sets = (['none'], ['a', 'none'], ['a', 'none', 'b', 'none2'], ['a', 'b'], ['long'], ['a', 'long', 'none'])
for mode in ('serial', 'parallel', 'pipeline', 'multiprocess', 'async'):
	for threads in (1, 2, 3, 5):
		for files in sets:
			want = (len(files), sum(1 for f in files if f.startswith(('none', 'long'))))
			base = [rf, '--mode=' + mode, '--threads=%d' % threads, '--max-record=64K']
			paths = [t + '/' + f for f in files]
			p = subprocess.run(base + ['--stats', 'count'] + paths, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
			m = re.search(rb'\n  inputs +(\d+) \((\d+) failed\)\n', p.stderr)
			got = m and (int(m.group(1)), int(m.group(2)))
			p = subprocess.run(base + ['--stats=json', 'count'] + paths, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
			r = json.loads(p.stderr)
			if got != want or (r['inputs'], r['inputs_failed']) != want:
				print('%s, %d workers, %s: text %s, json %s, want %s' % (mode, threads, ' '.join(files), got,
					(r['inputs'], r['inputs_failed']), want))
EOF
checks=$((checks + 1))
[ -s "$T/why" ] && fail "input counts: $(cat "$T/why")"

finish
