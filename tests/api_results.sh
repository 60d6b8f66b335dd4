#!/bin/sh
# SPDX-License-Identifier: MIT
# api_results.sh - the results API (include/ringflow.h, "Results and
# inputs") through the programs in examples/: typed cells from the result
# handle and from the row callback, inputs by path, descriptor and buffer,
# and the record sink.  The oracle is the CLI on the same query
# (--format=tsv, and its record output), in every mode, and counts worked
# out with awk.
. "${SRCDIR:-.}/tests/lib.sh"

EX=${EXAMPLES:-$(dirname "$RINGFLOW")/examples}
for p in query sink buffer; do
	if [ ! -x "$EX/$p" ]; then
		echo "SKIP: $EX/$p is not built (make check builds it)"
		exit 77
	fi
done
MODES="serial parallel pipeline multiprocess async auto"

"$LOGGEN" --lines 8000 --seed 7 > "$T/a.log" || exit 99
"$LOGGEN" --lines 3000 --seed 8 --start 1764547200 > "$T/full.log" || exit 99
# the last line without its newline
head -c -1 "$T/full.log" > "$T/b.log"

# same_cells WHAT EXAMPLE_OUTPUT CLI_TSV: each typed cell (TYPE:VALUE) is
# what the CLI printed for it: integers and floats by value, times as the
# instant the CLI's text names, strings byte for byte, null as nothing;
# the header too.  Gathered, and checked by one Python run at the end.
n_cells=0
same_cells() {
	n_cells=$((n_cells + 1))
	cp "$2" "$T/ex.$n_cells"
	cp "$3" "$T/cli.$n_cells"
	printf '%s\t%s\t%s\n' "$T/ex.$n_cells" "$T/cli.$n_cells" "$1" >> "$T/cells.list"
}
check_cells() {
	checks=$((checks + n_cells))
	python3 - "$T/cells.list" > "$T/why" 2>&1 << 'PY'
import sys, datetime

def instant(text):
    for f in ('%Y-%m-%dT%H:%M:%SZ', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%d'):
        try:
            return int(datetime.datetime.strptime(text, f).replace(tzinfo=datetime.timezone.utc).timestamp())
        except ValueError:
            pass
    raise ValueError('not a time the test knows: %r' % text)

def differs(ex_path, cli_path):
    ex = open(ex_path, 'rb').read().decode('utf-8', 'surrogateescape').split('\n')
    tsv = open(cli_path, 'rb').read().decode('utf-8', 'surrogateescape').split('\n')
    names, want = ex.pop(0), tsv.pop(0)
    if names != '# ' + want:
        return 'header %r, the CLI\'s %r' % (names, want)
    ex = [l for l in ex if l]
    tsv = [l for l in tsv if l]
    if len(ex) != len(tsv):
        return '%d rows, the CLI printed %d' % (len(ex), len(tsv))
    for n, (e, t) in enumerate(zip(ex, tsv)):
        cells, texts = e.split('\t'), t.split('\t')
        if len(cells) != len(texts):
            return 'row %d: %d cells, the CLI printed %d' % (n, len(cells), len(texts))
        for c, x in zip(cells, texts):
            kind, _, v = c.partition(':')
            ok = {'int': lambda: int(v) == int(x), 'float': lambda: float(v) == float(x),
                  'string': lambda: v == x, 'bigint': lambda: v == x, 'null': lambda: x == '',
                  'time': lambda: int(v) == instant(x)}[kind]()
            if not ok:
                return 'row %d: cell %s, the CLI printed %r' % (n, c, x)
    return None

bad = 0
for line in open(sys.argv[1]):
    ex, cli, what = line.rstrip('\n').split('\t', 2)
    why = differs(ex, cli)
    if why:
        print('FAIL: %s: %s' % (what, why))
        bad += 1
sys.exit(1 if bad else 0)
PY
	status=$?
	cat "$T/why" >&2
	nbad=$(grep -c '^FAIL' "$T/why")
	[ $status -eq 0 ] || [ "$nbad" -gt 0 ] || nbad=1 # Python itself stopped
	failures=$((failures + nbad))
}

# ---- typed cells: handle, row callback, descriptors; every mode --------
i=0
for query in 'parse combined | count by status' \
	'parse combined | count, sum(bytes), avg(bytes), p50(bytes), max(bytes) by method' \
	'parse combined | count by hour' \
	'parse combined | count by path | top 5' \
	'parse combined | where status >= 500 | select path, status, bytes'; do
	i=$((i + 1))
	"$RINGFLOW" --format=tsv "$query" "$T/a.log" "$T/b.log" > "$T/cli$i.tsv" || fail "cli: $query"
	for mode in $MODES; do
		"$EX/query" --mode=$mode "$query" "$T/a.log" "$T/b.log" > "$T/ex.out"
		check_status "query $mode: $query" $? 0
		same_cells "handle, $mode: $query" "$T/ex.out" "$T/cli$i.tsv"
		# the row callback and descriptors in the modes that differ most
		case $mode in serial | parallel | multiprocess)
			"$EX/query" --mode=$mode --callback "$query" "$T/a.log" "$T/b.log" > "$T/ex.out"
			same_cells "row callback, $mode: $query" "$T/ex.out" "$T/cli$i.tsv" ;;
		esac
		case $mode in serial | pipeline)
			"$EX/query" --mode=$mode --fd "$query" "$T/a.log" "$T/b.log" > "$T/ex.out"
			same_cells "descriptors, $mode: $query" "$T/ex.out" "$T/cli$i.tsv" ;;
		esac
	done
done

# the counts by hand: awk's 9th field is the status of a combined line
"$EX/query" 'parse combined | count by status' "$T/a.log" "$T/b.log" > "$T/ex.out"
want=$(cat "$T/a.log" "$T/b.log" | awk '$9 == 404' | wc -l)
check_line "count of 404 against awk" "$T/ex.out" "string:404	int:$want"
got=$(awk -F'\tint:' 'NR > 1 { s += $2 } END { print s }' "$T/ex.out")
check_eq "counts sum to the records" "$got" "$(records "$T/a.log" "$T/b.log")"
# typed: a count is an integer, an average a float, an hour a time
"$EX/query" 'parse combined | count, avg(bytes) by hour' "$T/b.log" > "$T/ex.out"
check_eq "types of count, avg, hour" "$(sed -n 2p "$T/ex.out" | sed 's/:[^\t]*//g')" "time	int	float"

# a pipe as a descriptor is read like stdin
"$RINGFLOW" --format=tsv 'parse combined | count by method' - < "$T/b.log" > "$T/cli.tsv"
"$EX/query" --fd 'parse combined | count by method' /dev/stdin < "$T/b.log" > "$T/ex.out"
same_cells "a regular file on stdin as a descriptor" "$T/ex.out" "$T/cli.tsv"
cat "$T/b.log" | "$EX/query" --fd 'parse combined | count by method' /dev/stdin > "$T/ex.out"
same_cells "a pipe as a descriptor" "$T/ex.out" "$T/cli.tsv"

# ---- a buffer in memory --------------------------------------------------
for query in 'parse combined | count by status' 'parse combined | where status == 404 | select path, status' \
	'count' 'grep "GET" | split | count by $9'; do
	for f in a.log b.log; do
		"$RINGFLOW" --format=tsv "$query" "$T/$f" > "$T/cli.tsv"
		modes=$MODES
		[ $f = a.log ] || modes=serial
		for mode in $modes; do
			"$EX/buffer" --mode=$mode "$query" < "$T/$f" > "$T/ex.out"
			check_status "buffer $mode: $query < $f" $? 0
			check_same "buffer $mode: $query < $f" "$T/ex.out" "$T/cli.tsv"
		done
	done
done
# short buffers: shorter than the bytes copied at the end, empty
printf 'a b\nc d e\nf' > "$T/short"
"$EX/buffer" 'split | count by $1' < "$T/short" > "$T/ex.out"
"$RINGFLOW" --format=tsv 'split | count by $1' "$T/short" > "$T/cli.tsv"
check_same "a 9-byte buffer" "$T/ex.out" "$T/cli.tsv"
"$EX/buffer" 'count' < /dev/null > "$T/ex.out"
check_eq "an empty buffer" "$(cat "$T/ex.out")" "$(printf 'count\n0')"
# a long record across the windows the buffer is handed out in (4 MiB)
python3 -c "import sys; sys.stdout.write('x' * 5000000 + ' y\nz w\n')" > "$T/long"
"$EX/buffer" 'split | count by $2' < "$T/long" > "$T/ex.out"
check_eq "a record across windows" "$(cat "$T/ex.out")" "$(printf '$2\tcount\nw\t1\ny\t1')"

# ---- the record sink ------------------------------------------------------
query='parse combined | where status >= 500'
"$RINGFLOW" "$query" "$T/a.log" "$T/b.log" > "$T/cli.out"
for mode in $MODES; do
	"$EX/sink" --mode=$mode "$query" status "$T/a.log" "$T/b.log" > "$T/sink.out"
	check_status "sink $mode" $? 0
	cut -f3- "$T/sink.out" > "$T/records"
	check_same "sink $mode: the records, in order" "$T/records" "$T/cli.out"
	# the field is the record's 9th, and the record is at its offset
	checks=$((checks + 1))
	if ! python3 - "$T/sink.out" "$T/a.log" "$T/b.log" > "$T/why" 2>&1 << 'PY'; then
import sys
files = [open(f, 'rb').read() for f in sys.argv[2:]]
for line in open(sys.argv[1], 'rb').read().split(b'\n')[:-1]:
    where, field, rec = line.split(b'\t', 2)
    i, off = (int(x) for x in where.split(b':'))
    if files[i][off:off + len(rec)] != rec or (off and files[i][off - 1:off] != b'\n'):
        sys.exit('not at %d:%d: %r' % (i, off, rec[:80]))
    if rec.split(b' ')[8] != field:
        sys.exit('field %r of %r' % (field, rec[:80]))
PY
		fail "sink $mode: $(cat "$T/why")"
	fi
done
want=$(cat "$T/a.log" "$T/b.log" | awk '$9 >= 500' | wc -l)
check_eq "sink: records against awk" "$(wc -l < "$T/sink.out")" "$want"

# ---- fields made by the query in the sink: eval, lookup, a custom stage ---
# The CLI's select of the same field, record for record, is the oracle;
# eval's arithmetic against awk's as well.  (They came as missing once:
# such fields are kept typed, with no text unless a stage reads it.)
dl=$(sed -n "s/^dlname='\(.*\)'$/\1/p" "$EX/plugin_upper.la" 2>/dev/null)
UPPER=
[ -n "$dl" ] && [ -f "$EX/.libs/$dl" ] && UPPER="$EX/.libs/$dl"
printf 'status,class\n200,fine\n404,gone\n500,broken\n' > "$T/class.csv"
while IFS='|' read -r field query; do
	plug=
	case $query in *upper*) [ -n "$UPPER" ] || continue; plug=$UPPER ;; esac
	"$RINGFLOW" ${plug:+--plugin "$plug"} --format=tsv "$query | select $field" "$T/a.log" "$T/b.log" |
		tail -n +2 > "$T/made.cli"
	"$RINGFLOW" ${plug:+--plugin "$plug"} "$query" "$T/a.log" "$T/b.log" > "$T/made.rec"
	[ -s "$T/made.cli" ] || fail "made field $field: no records to compare ($query)"
	for mode in $MODES; do
		"$EX/sink" --mode=$mode ${plug:+--plugin="$plug"} "$query" "$field" "$T/a.log" "$T/b.log" \
			> "$T/sink.out"
		check_status "made field $field, $mode: $query" $? 0
		cut -f2 "$T/sink.out" > "$T/made.sink"
		check_same "made field $field, $mode: $query" "$T/made.sink" "$T/made.cli"
		cut -f3- "$T/sink.out" > "$T/records"
		check_same "made field $field, $mode: the records" "$T/records" "$T/made.rec"
	done
done << EOF
twice|parse combined | eval twice = bytes * 2 | where status >= 400
kb|parse combined | eval kb = bytes / 1024, big = bytes > 5000 | where big
class|parse combined | lookup $T/class.csv on status | where status != 200
method_upper|parse combined | upper method | where status >= 500
EOF
"$EX/sink" --mode=parallel 'parse combined | eval twice = bytes * 2 | where status >= 400' twice \
	"$T/a.log" "$T/b.log" | cut -f2 > "$T/made.sink"
cat "$T/a.log" "$T/b.log" | awk '$9 >= 400 { print ($10 == "-" ? "" : $10 * 2) }' > "$T/made.awk"
check_same "eval's field against awk" "$T/made.sink" "$T/made.awk"

# ---- --interval: every window's rows in the handle, and their times -------
# Snapshots fall due by the wall clock, not by the records' times, so the
# input is timed: three groups of lines (key gK, K + 2 lines), one write
# each, 0.3 s apart, and 50 ms windows: each group lands in a window of its
# own.  The oracle: the writer's groups, the CLI's TSV of the same run (its
# non-empty snapshots), and the clock read around the run for the times.
slow() {
	printf 'g0 0\ng0 1\n'
	sleep 0.3
	printf 'g1 0\ng1 1\ng1 2\n'
	sleep 0.3
	printf 'g2 0\ng2 1\ng2 2\ng2 3\n'
	sleep 0.3
}
# through a FIFO, whose opening waits for the reader: a program slow to
# start (a libtool wrapper on a busy machine) misses no window
mkfifo "$T/fifo" || exit 99
timed() {
	out=$1
	shift
	slow > "$T/fifo" &
	"$@" "$T/fifo" > "$out"
	wait
}
wq='split | count by $1'
timed "$T/win.cli" "$RINGFLOW" --interval=50ms --format=tsv "$wq"
before=$(date +%s%N)
timed "$T/win.handle" "$EX/query" --interval=50 "$wq"
timed "$T/win.callback" "$EX/query" --callback --interval=50 "$wq"
timed "$T/win.parallel" "$EX/query" --mode=parallel --interval=50 "$wq"
after=$(date +%s%N)
checks=$((checks + 1))
if ! python3 - "$T" "$before" "$after" > "$T/why" 2>&1 << 'PY'; then
import sys
d, before, after = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
groups = [{'g%d' % k: k + 2} for k in range(3)]

def cli(path):
    snaps = []
    for line in open(path):
        line = line.rstrip('\n')
        if line.startswith('# '):
            snaps.append({})
        elif line and line != '$1\tcount':
            key, n = line.split('\t')
            snaps[-1][key] = int(n)
    return [s for s in snaps if s]

def example(path):
    wins, nwin = [], None
    for line in open(path):
        line = line.rstrip('\n')
        if line.startswith('@ windows '):
            nwin = int(line.split()[2])
        elif line.startswith('@ '):
            start, end = (int(x) for x in line.split()[1:])
            if not before <= start < end <= after:
                sys.exit('%s: window %d..%d outside the run %d..%d' % (path, start, end, before, after))
            if wins and start < wins[-1][1]:
                sys.exit('%s: window %d..%d overlaps the one before' % (path, start, end))
            wins.append((start, end, {}))
        elif line.startswith('string:'):
            key, n = line.split('\t')
            if not wins:
                sys.exit('%s: a row without a window' % path)
            wins[-1][2][key[7:]] = int(n[4:])
    return [w[2] for w in wins], nwin

if cli(d + '/win.cli') != groups:
    sys.exit('the CLI (the oracle) gave %r, not the groups written: too slow a machine?' % cli(d + '/win.cli'))
rows, nwin = example(d + '/win.handle')
if rows != groups:
    sys.exit('handle: windows %r, the CLI %r' % (rows, groups))
if nwin is None or nwin < len(rows):
    sys.exit('handle: %r windows for %d with rows' % (nwin, len(rows)))
rows, _ = example(d + '/win.callback')
if rows != groups:
    sys.exit('row callback: windows %r, the CLI %r' % (rows, groups))
rows, _ = example(d + '/win.parallel')
total = {}
for w in rows:
    for k, n in w.items():
        total[k] = total.get(k, 0) + n
if total != {'g0': 2, 'g1': 3, 'g2': 4}:
    sys.exit('parallel: the windows add up to %r' % total)
PY
	fail "--interval: $(cat "$T/why")"
fi

# ---- what is refused, and said --------------------------------------------
"$EX/sink" 'parse combined | sort status' status "$T/b.log" > /dev/null 2> "$T/err"
check_status "a sink for sorted records" $? 2
check_grep "a sink for sorted records" "$T/err" "sorts them"
"$EX/sink" 'parse combined | where status >= 500' path "$T/b.log" > /dev/null 2> "$T/err"
check_status "a field the query does not read" $? 2
check_grep "a field the query does not read" "$T/err" "does not read a field 'path'"
"$EX/query" 'count' "$T/a.log" "$T/missing" > "$T/ex.out" 2> "$T/err"
check_status "a missing input" $? 1
check_grep "a missing input" "$T/err" "missing"
check_line "a missing input: the rest counted" "$T/ex.out" "int:$(records "$T/a.log")"

check_cells
finish
