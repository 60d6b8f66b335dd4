/* SPDX-License-Identifier: MIT */
/* rows.c - table rows (a select's, a sort's, the result's) to where they
 * go: the caller's consumers (result.c) or the text writer.  Apart from
 * output.c, report.c and rsort.c, which all hand rows here, so that none
 * of them needs another. */
#include "config.h"
#include "run.h"

/* A consumer of the caller's failed (or asked to stop): an output error,
 * as a failed write would be, so every mode ends the run the same way and
 * rf_run returns it. */
int consumer_failed(struct run *run, int r)
{
	int none = 0;
	if (r < 0)
		__atomic_compare_exchange_n(&run->out.err, &none, r, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	return r;
}

int deliver_rows(struct run *run, const struct rf_table *t, int restart, int final)
{
	return consumer_failed(run, rf__rows_deliver(run->consumers, t, restart, final));
}

int emit_rows(struct run *run, const struct rf_table *t)
{
	if (!rf__wants_rows(run->consumers))
		return rf__result_write(&run->table_out, t, &run->out, 0);
	return deliver_rows(run, t, 0, 1);
}
