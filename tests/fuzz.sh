#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz.sh - every fuzz harness replays its seed corpus, which holds every
# crash the fuzzers found (as a regression test), under this build's
# sanitizers when it has them.  The fuzzing itself is make fuzz.
. "${SRCDIR:-.}/tests/lib.sh"
corpus=$SRCDIR/tests/fuzz/corpus
for name in query framer partial decode parse-combined parse-common parse-json parse-logfmt parse-csv parse-tsv \
	parse-regex parse-auto parse-from parse-nginx parse-apache parse-pattern parse-alb parse-elb \
	parse-rfc5424 parse-rfc3164 parse-syslog parse-w3c parse-cloudfront parse-cri parse-docker segments expr; do
	case $name in
	parse-*) prog=replay_parse; RF_FUZZ_FORMAT=${name#parse-}; export RF_FUZZ_FORMAT ;;
	*) prog=replay_$name ;;
	esac
	n=$(ls "$corpus/$name" | wc -l)
	checks=$((checks + 1))
	[ "$n" -gt 0 ] || fail "$name: empty corpus"
	"$FUZZ_REPLAY/$prog" "$corpus/$name" > "$T/out" 2> "$T/err"
	check_status "$name: $n inputs replayed" $? 0
	if grep -q "ERROR: AddressSanitizer\|runtime error" "$T/err"; then
		fail "$name: $(head -c 600 "$T/err")"
	fi
done
finish
