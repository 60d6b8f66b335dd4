# SPDX-License-Identifier: MIT
# modeinputs.sh - the inputs of the modes corpus (sourced after lib.sh, by
# modes.sh, partial.sh and mpi.sh): a generated log of LOG_SIZE (3M) and
# untidy files - an empty one, one without a final newline, unparsable
# lines, a 300 KB line - in $FILES, in the order the tests read them.
"$LOGGEN" --size "${LOG_SIZE:-3M}" --seed 5 > "$T/log" || exit 99
printf 'no newline 404' > "$T/nonl"
: > "$T/empty"
printf '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5 "-" "x"\ngarbage\n' > "$T/tiny"
head -c 300000 /dev/zero | tr '\0' 'y' > "$T/longline"
printf ' 404 end\n' >> "$T/longline"
awk 'NR % 3000 == 0 { print "garbage line" } { print }' "$T/log" > "$T/mixed"
FILES="$T/log $T/empty $T/nonl $T/tiny $T/longline $T/mixed $T/log"
