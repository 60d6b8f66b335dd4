#!/bin/sh
# SPDX-License-Identifier: MIT
# parsediff.sh - the record parsers (json, csv, tsv, logfmt, combined) and
# number conversion against Python's json and csv modules and difftest's
# readers, on adversarial inputs, at every SIMD level ringflow accepts here,
# serial and parallel (tests/parsediff.py).  Under the sanitizers
# (SANITIZED=yes) each family is a quarter of its size.
: "${RINGFLOW:?RINGFLOW must point at the ringflow binary (make check sets it)}"
SRCDIR=${SRCDIR:-.}
export LC_ALL=C

if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: no python3 (the oracle)"
	exit 77
fi
exec python3 "$SRCDIR/tests/parsediff.py" --ringflow "$RINGFLOW" --seed "${PARSEDIFF_SEED:-18}"
