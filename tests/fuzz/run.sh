#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh SECONDS [HARNESS...] - run each fuzz harness (all by default) for
# SECONDS with libFuzzer: new inputs go to $FUZZ_WORK/HARNESS (fuzz-work/ by
# default) beside the seeds in tests/fuzz/corpus/HARNESS, crashes to
# $FUZZ_WORK/crashes/.  A crash is a failure: copy the file into the seed
# corpus, and tests/fuzz.sh replays it in make check from then on.
set -u
secs=${1:?usage: run.sh SECONDS [HARNESS...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
bin=${FUZZ_BIN:-$here}
work=${FUZZ_WORK:-fuzz-work}
all="query framer partial decode parse-combined parse-common parse-json parse-logfmt parse-csv parse-tsv parse-regex parse-auto parse-from parse-rfc5424 parse-rfc3164 parse-syslog parse-w3c parse-cloudfront parse-cri parse-docker segments expr"
status=0
for name in ${*:-$all}; do
	case $name in
	parse-*) prog=fuzz_parse; RF_FUZZ_FORMAT=${name#parse-}; export RF_FUZZ_FORMAT ;;
	*) prog=fuzz_$name ;;
	esac
	mkdir -p "$work/$name" "$work/crashes"
	"$bin/$prog" -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/crashes/$name-" \
		"$work/$name" "$here/corpus/$name" > "$work/$name.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log" | tail -1)
	echo "$name: ${secs}s, ${execs:-?} executions, corpus $(ls "$work/$name" | wc -l) files, exit $rc"
	if [ $rc != 0 ]; then
		status=1
		echo "$name: FAILED - see $work/$name.log and $work/crashes/" >&2
		grep -m3 "ERROR\|SUMMARY\|Test unit written" "$work/$name.log" >&2
	fi
done
exit $status
