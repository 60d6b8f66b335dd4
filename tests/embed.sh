#!/bin/sh
# SPDX-License-Identifier: MIT
# embed.sh - the embedding rules of libringflow (libringflow(3),
# "Embedding"), through tests/embed.c, a program built on the public
# header: a library call forks no worker process unless allowed, installs
# no SIGBUS handler unless asked (and then maps no file), cancels one run
# by its token and rf_cancel() only the runs in progress, and gives its
# messages with a severity.  Oracles: wc -l, the CLI's own output, the
# number of lines the program wrote, pthread_atfork's count of forks.
. "${SRCDIR:-.}/tests/lib.sh"

EMBED=${BUILDDIR:-.}/tests/embed
if [ ! -x "$EMBED" ]; then
	echo "SKIP: $EMBED is not built (make check builds it)"
	exit 77
fi

# ---- no fork unless allowed ----
# 64 MiB of files and a count: auto mode's multiprocess case on 2 CPUs
if [ "$(nproc)" -ge 2 ]; then
	yes 'GET /index.html 200 5120 the quick brown fox' | head -n 800000 > "$T/a.log"
	cp "$T/a.log" "$T/b.log"
	want=$(cat "$T/a.log" "$T/b.log" | wc -l)
	"$RINGFLOW" --format=tsv count "$T/a.log" "$T/b.log" > "$T/cli.out" 2> "$T/cli.err"
	check_eq "the CLI's count" "$(tail -n 1 "$T/cli.out")" "$want"
	"$EMBED" fork 1 "$T/a.log" "$T/b.log" > "$T/allowed.out" 2> "$T/allowed.err"
	check_line "allowed: multiprocess (else this test proves nothing)" "$T/allowed.err" "mode=multiprocess"
	forks=$(sed -n 's/^forks=//p' "$T/allowed.err")
	[ "${forks:-0}" -gt 0 ] || fail "allowed: no fork seen (forks=$forks): the count cannot see the workers"
	checks=$((checks + 1))
	"$EMBED" fork 0 "$T/a.log" "$T/b.log" > "$T/lib.out" 2> "$T/lib.err"
	check_line "not allowed: status" "$T/lib.err" "status=0"
	check_line "not allowed: no fork" "$T/lib.err" "forks=0"
	check_line "not allowed: parallel" "$T/lib.err" "mode=parallel"
	check_grep "not allowed: the reason says why" "$T/lib.err" "forking not allowed (allow_fork): parallel"
	check_same "not allowed: the CLI's result" "$T/lib.out" "$T/cli.out"
	rm -f "$T/a.log" "$T/b.log"
else
	echo "note: one CPU: auto mode never forks here, the fork case is skipped"
fi

# ---- SIGBUS handler only when asked ----
yes 'a line to count' | head -n 5000 > "$T/small.log"
"$EMBED" sigbus "$T/small.log" > "$T/sigbus.out" 2>&1
check_line "a run's status" "$T/sigbus.out" "auto_status=0"
check_line "the disposition stays" "$T/sigbus.out" "unchanged=1"
check_line "read(2), not mmap" "$T/sigbus.out" "auto_read=1"
check_line "no mmap" "$T/sigbus.out" "auto_mmap=0"
check_grep "io_reason says why" "$T/sigbus.out" "io_reason=small file: read(2), not mmap (no SIGBUS handler: catch_sigbus)"
check_line "io=mmap without the handler: -EINVAL" "$T/sigbus.out" "mmap_status=-22"
check_grep "io=mmap without the handler: the message" "$T/sigbus.out" "mmap_message=io=mmap needs catch_sigbus"
check_line "io=mmap refused: the disposition stays" "$T/sigbus.out" "unchanged_after_refusal=1"
check_line "asked: mapped" "$T/sigbus.out" "asked_mmap=1"
check_line "asked: runs" "$T/sigbus.out" "asked_status=0"
check_line "asked: the handler is there" "$T/sigbus.out" "unchanged_when_asked=0"

# ---- per-run cancel ----
"$EMBED" cancel 1000 > "$T/cancel.out" 2>&1
check_line "the run whose token fired: -EINTR" "$T/cancel.out" "a_status=-$(python3 -c 'import errno; print(errno.EINTR)')"
check_line "the other run: done" "$T/cancel.out" "b_status=0"
check_line "the other run: every line" "$T/cancel.out" "b_count=1000"
check_line "the token says it fired" "$T/cancel.out" "token_fired=1"
check_line "rf_cancel() stops the run going" "$T/cancel.out" "c_status=-$(python3 -c 'import errno; print(errno.EINTR)')"
check_line "a run after rf_cancel(): normal" "$T/cancel.out" "after_status=0"
check_line "a run after rf_cancel(): every line" "$T/cancel.out" "after_count=1000"

# A multiprocess run (fork allowed) cancelled by its token while both
# workers read 8 GB each (sparse, newlines at the middle and the end): the
# forked workers cannot see the token, so the run must stop them itself.
if truncate -s 16G "$T/halves" 2> /dev/null &&
   printf 'a\n' | dd of="$T/halves" bs=1 seek=$((8 * 1024 * 1024 * 1024)) conv=notrunc status=none &&
   printf 'b\n' | dd of="$T/halves" bs=1 seek=$((16 * 1024 * 1024 * 1024 - 2)) conv=notrunc status=none; then
	timeout -k 5 60 "$EMBED" mpcancel "$T/halves" > "$T/mp.out" 2> "$T/mp.err"
	check_line "multiprocess run cancelled by its token: -EINTR" "$T/mp.out" \
		"mp_status=-$(python3 -c 'import errno; print(errno.EINTR)')"
	ms=$(sed -n 's/^mp_ms=//p' "$T/mp.out")
	checks=$((checks + 1))
	[ "${ms:-99999}" -le 4000 ] || fail "multiprocess cancel: returned ${ms:-never} ms after the token (workers not stopped?)"
	check_line "multiprocess cancel: no worker left unreaped" "$T/mp.out" "mp_left=0"
	rm -f "$T/halves"
fi

# ---- messages with a severity ----
printf '{"a":1}\nnot json\n{"a":2}\n' > "$T/bad.json"
"$EMBED" messages "$T/missing.log" "$T/bad.json" > "$T/msg.out" 2> "$T/msg.err"
enoent=$(python3 -c 'import errno; print(-errno.ENOENT)')
check_line "a missing file: an error" "$T/msg.out" "$(printf 'ERROR\t%s\t%s\t%s' "$T/missing.log" "$enoent" "$(python3 -c 'import os; print(os.strerror(2))')")"
check_grep "a record skipped: a warning" "$T/msg.out" "$(printf 'WARNING\t\t0\t1 record could not be parsed as json and was skipped')"
check_line "an input failed: status 1" "$T/msg.out" "$(printf 'STATUS\t1')"
check_grep "on_error without on_message: the error" "$T/msg.out" "$(printf 'ON_ERROR\t%s\t%s\t' "$T/missing.log" "$enoent")"
check_grep "on_error without on_message: the warning as a note" "$T/msg.out" "$(printf 'ON_ERROR\tnote\t0\t1 record could not be parsed')"
check_eq "nothing on stderr" "$(cat "$T/msg.err")" ""
check_grep "a stage's open refused in the run: its words" "$T/msg.out" "$(printf 'ERROR\tstage\t-%s\tflaky: cannot open: the second open fails' "$(python3 -c 'import errno; print(errno.EINVAL)')")"
# the CLI prints them as before
"$RINGFLOW" 'parse json | count' "$T/missing.log" "$T/bad.json" > /dev/null 2> "$T/cli.err"
check_grep "the CLI: the error" "$T/cli.err" "ringflow: $T/missing.log: "
check_grep "the CLI: the warning" "$T/cli.err" "ringflow: note: 1 record could not be parsed as json"

finish
