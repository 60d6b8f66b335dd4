#!/bin/sh
# SPDX-License-Identifier: MIT
# difftest.sh - the differential tester (tests/difftest.py) at its fixed
# seed: the saved regression cases in tests/difftest/cases, then random
# cases in every mode, backend and SIMD level against the Python and
# SQLite references, bounded by a count and a time budget.  Under the
# sanitizers (SANITIZED=yes) ringflow is slower: fewer cases.
# `make difftest N=20000 SEED=2` runs a longer one.
: "${RINGFLOW:?RINGFLOW must point at the ringflow binary (make check sets it)}"
SRCDIR=${SRCDIR:-.}
export LC_ALL=C

if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: no python3"
	exit 77
fi

n=${DIFFTEST_N:-3000}
budget=${DIFFTEST_BUDGET:-150}
if [ "${SANITIZED:-}" = yes ]; then
	n=$((n / 4))
fi
exec python3 "$SRCDIR/tests/difftest.py" --ringflow "$RINGFLOW" \
	--cases "$n" --seed "${DIFFTEST_SEED:-11}" --budget "$budget" \
	--cases-dir "$SRCDIR/tests/difftest/cases"
