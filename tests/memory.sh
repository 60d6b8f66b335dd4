#!/bin/sh
# SPDX-License-Identifier: MIT
# memory.sh - --memory bounds what the input side holds in every mode: the
# buffer pool, and in parallel and pipeline mode the batches in flight too
# (the copies the work items hold, and what the stages grow for them).
# Parallel and pipeline mode went far past it: 16 items each held a copy of
# a batch, rounded up to a power of two, so --memory=64M --buffer-size=16M
# peaked at 130 MiB over 32 MB, and --memory=16M --buffer-size=4M at 50-75 MiB;
# serial and async mode at --memory=40M --buffer-size=16M at 69 MiB, with
# the stages' rows for a whole 16M batch.
#
# Peak RSS is the ru_maxrss that wait4() gives for the ringflow process,
# started by a Python that imports nothing else (fork carries its pages to
# the child, so its own ~8 MiB is part of every figure).  The allowance over
# --memory: the figure of the same run over a one-line input (the Python,
# the code, the query), plus 8 MiB for thread stacks, the query's state and
# one batch of the stages' rows in serial mode.  In multiprocess mode the
# figure is that of the largest process (each worker's pool is its share).
# Every answer is checked against awk.  Under the sanitizers (SANITIZED=yes:
# shadow memory, a quarantine of freed blocks) only the answers are checked,
# over a smaller input.
. "${SRCDIR:-.}/tests/lib.sh"

# ~32 MB of lines "K abc def ghi N", K = N mod 11 (8 MB when sanitized)
blocks=40
[ "${SANITIZED:-}" = yes ] && blocks=10
python3 - "$T/in" "$blocks" <<'EOF'
import sys
blk = ''.join('%d abc def ghi %d\n' % (i % 11, i) for i in range(40000)).encode()
with open(sys.argv[1], 'wb') as f:
	for _ in range(int(sys.argv[2])):
		f.write(blk)
EOF
echo 1 > "$T/tiny"
awk '$1 > 5 { n++ } END { print n }' "$T/in" > "$T/want"
awk '$1 > 9 && $5 ~ /3$/' "$T/in" > "$T/want_lines"

python3 -S - "$RINGFLOW" "$T" "${SANITIZED:-}" > "$T/why" <<'EOF'
import os, sys
rf, t, sanitized = sys.argv[1:4]
M = 1024  # ru_maxrss is in KiB

def run(args, out):
	"""Exit status, peak RSS in KiB and stderr of one ringflow run."""
	pid = os.fork()
	if pid == 0:
		try:
			fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
			os.dup2(fd, 1)
			fd = os.open(t + '/err', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
			os.dup2(fd, 2)
			os.execv(rf, [rf] + args)
		finally:
			os._exit(127)
	_, status, ru = os.wait4(pid, 0)
	code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
	with open(t + '/err') as f:
		err = f.read()
	return code, ru.ru_maxrss, err

def read(name):
	with open(t + '/' + name) as f:
		return f.read()

want, want_lines = read('want'), read('want_lines')
count = ['split | where $1 > 5 | count']
lines = ['split | where $1 > 9 and $5 ~ "3$"']
for mode in ('serial', 'parallel', 'pipeline', 'multiprocess', 'async'):
	for mem in (16, 40, 64):
		base = ['--mode=' + mode, '--memory=%dM' % mem]
		code, tiny, err = run(base + count + [t + '/tiny'], t + '/out')
		if code != 0:
			print(mode, mem, 'tiny input: exit', code, err[:200])
			continue
		limit = mem * M + tiny + 8 * M
		runs = [['--io=read', '--buffer-size=%s' % bs] for bs in ('64K', '1M', '4M', '16M')]
		runs += [['--io=mmap'], ['--io=mmap', '--window=%dM' % (mem // 4)]]
		if mode in ('parallel', 'pipeline'):
			runs += [['--io=uring'], ['--io=read', '--threads=3']]
		if mem == 40:
			# two 16M buffers take most of it: the rows of a 16M batch
			# (the lines query has 4 times its bytes) went far past it
			runs = [['--io=read', '--buffer-size=16M']]
		for extra in runs:
			what = ' '.join(base + extra)
			bs = {'64K': 64, '1M': 1024, '4M': 4096, '16M': 16384}.get(extra[-1].split('=')[-1], 0)
			query = lines if bs in (64, 16384) else count
			code, rss, err = run(base + extra + query + [t + '/in'], t + '/out')
			if bs and 2 * (bs + 64) > mem * M:
				# the pool cannot hold two buffers: refused, figures named
				if code != 2 or not err.startswith('ringflow: --memory') or 'does not hold' not in err:
					print(what, 'exit %d: %s' % (code, err[:200]))
				continue
			if code != 0:
				print(what, 'exit %d: %s' % (code, err[:200]))
				continue
			got = read('out')
			if got != (want_lines if query is lines else want):
				print(what, 'wrong answer: %r' % got[:100])
			if rss > limit and sanitized != 'yes':
				print(what, 'peak %d KiB over --memory + %d KiB (one line: %d KiB)' %
				      (rss, limit - mem * M, tiny))

# Too little memory for the batches the threads need: exit 2 naming the
# figures; auto mode runs serial instead.
code, rss, err = run(['--mode=parallel', '--threads=32', '--memory=1M', '--buffer-size=64K'] + count +
		     [t + '/in'], t + '/out')
if code != 2 or not err.startswith('ringflow: --memory') or 'batches in flight' not in err:
	print('parallel --threads=32 --memory=1M: exit %d: %s' % (code, err[:200]))
code, rss, err = run(['--threads=32', '--memory=1M', '--buffer-size=64K'] + count + [t + '/in'], t + '/out')
if code != 0 or read('out') != want:
	print('auto --threads=32 --memory=1M: exit %d: %s' % (code, err[:200]))
EOF
checks=$((checks + 1))
[ -s "$T/why" ] && fail "--memory bound: $(cat "$T/why")"

# A batch that goes in as pieces keeps csv records whole (a quoted field
# holds newlines) and rejects in input order with their line numbers.
python3 - "$T" <<'EOF'
import collections, csv, sys
t = sys.argv[1]
with open(t + '/c.csv', 'w', newline='') as f:
	w = csv.writer(f)
	w.writerow(['k', 'v', 'note'])
	for i in range(200000):
		w.writerow(['k%d' % (i % 13), i, 'a\nb, "q"' if i % 7 == 0 else 'plain'])
c, s = collections.Counter(), collections.Counter()
with open(t + '/c.csv', newline='') as f:
	for r in csv.DictReader(f):
		c[r['k']] += 1
		s[r['k']] += int(r['v'])
with open(t + '/c.want', 'w') as f:
	for k in sorted(c):
		f.write('%s\t%d\t%d\n' % (k, s[k], c[k]))
with open(t + '/j', 'w') as f, open(t + '/j.bad', 'w') as bad, open(t + '/j1', 'w') as one:
	for i in range(300000):
		line = '{"a": %d}' % i if i % 1000 != 999 else '{"a": %d' % i
		f.write(line + '\n')
		if i % 1000 == 999:
			bad.write(line + '\n')
		# one bad line, far into the input: its number counts the
		# lines of every piece before it
		one.write('{"a": %d}\n' % i if i != 250000 else '{"a":\n')
EOF
for mode in serial pipeline; do
	"$RINGFLOW" --mode=$mode --memory=40M --buffer-size=16M --io=read --format=tsv \
		'parse csv | sum(v), count by k' "$T/c.csv" > "$T/c.got" 2> "$T/err"
	check_status "csv $mode in pieces" $? 0
	tail -n +2 "$T/c.got" | sort > "$T/c.sorted"
	check_same "csv $mode in pieces" "$T/c.sorted" "$T/c.want"
done
for mode in serial parallel pipeline; do
	"$RINGFLOW" --mode=$mode --memory=40M --buffer-size=16M --io=read --rejects="$T/rej" \
		'parse json | count' "$T/j" > "$T/j.got" 2> "$T/err"
	check_status "json rejects $mode in pieces" $? 0
	check_eq "json count $mode in pieces" "$(cat "$T/j.got")" 299700
	check_same "json rejects $mode in pieces" "$T/rej" "$T/j.bad"
	"$RINGFLOW" --mode=$mode --memory=40M --buffer-size=16M --io=read --strict \
		'parse json | count' "$T/j1" > "$T/j.got" 2> "$T/err"
	check_status "json --strict $mode in pieces" $? 2
	check_grep "json --strict $mode: line number" "$T/err" "line 250001:"
done
finish
