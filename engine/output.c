/* SPDX-License-Identifier: MIT */
/* output.c - a finished batch to the writers: the selected records as
 * they are, the fields of a select as table rows (raw between a
 * multiprocess worker and its parent), and the rejected records in input
 * order; or the records and rows to the caller's consumers (result.c). */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "run.h"

static int write_records(struct run *run, const struct rf_batch *b)
{
	struct rf_writer *w = &run->out;
	int r;
	if (b->all) {
		r = rf__writer_put(w, b->data, b->len);
		if (r == 0 && b->unterminated)
			r = rf__writer_put(w, "\n", 1);
		return r;
	}
	/* Neighbouring records are contiguous in the batch: write each run of
	 * them as one piece, newlines included. */
	uint32_t i = 0;
	while (i < b->nsel) {
		size_t start = b->sel[i].off;
		size_t end = (size_t)b->sel[i].off + b->sel[i].len;
		i++;
		while (end < b->len && i < b->nsel && b->sel[i].off == end + 1) {
			end = (size_t)b->sel[i].off + b->sel[i].len;
			i++;
		}
		int terminated = end < b->len; /* only the input's last line lacks one */
		r = rf__writer_put(w, b->data + start, end - start + (size_t)terminated);
		if (r == 0 && !terminated)
			r = rf__writer_put(w, "\n", 1);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A multiprocess worker hands its selected rows to the parent raw, so the
 * parent lays out every worker's rows as one stream: per cell a u32 length
 * (UINT32_MAX: missing) and the bytes. */
static int write_projection_raw(struct run *run, const struct rf_batch *b)
{
	const struct rf_fieldref *fields;
	int n = rf__select_fields(&run->q->stage[run->project], &fields);
	for (uint32_t r = 0; r < b->nsel; r++)
		for (int i = 0; i < n; i++) {
			struct rf_value v = rf__field(b, r, &fields[i]);
			uint32_t len = rf_value_missing(v) ? UINT32_MAX : (uint32_t)v.len;
			int e = rf__writer_put(&run->out, (const char *)&len, 4);
			if (e == 0 && len != UINT32_MAX)
				e = rf__writer_put(&run->out, v.p, len);
			if (e < 0)
				return e;
		}
	return 0;
}

/* The parent's side: raw rows back into cells, written as usual.  The
 * workers' regions are one stream: a piece of rows may span them, so the
 * first piece, which sizes the table's header, is the stream's first rows
 * whatever worker read them. */
int render_raw_rows(struct run *run, const struct rf_region *reg, int nreg)
{
	const struct rf_fieldref *fields;
	int ncols = rf__select_fields(&run->q->stage[run->project], &fields);
	const char *names[RF_TABLE_MAX_COLS];
	rf__select_names(&run->q->stage[run->project], names);
	int ri = 0;
	const char *p = nreg ? reg[0].p : NULL, *end = nreg ? reg[0].p + reg[0].n : NULL;
	int r = 0;
	for (;;) {
		while (p == end && ri + 1 < nreg) {
			ri++;
			p = reg[ri].p;
			end = p + reg[ri].n;
		}
		if (p == end || r)
			break;
		struct rf_table *t = rf__table_new(ncols, 0, names);
		if (!t)
			return -ENOMEM;
		for (int rows = 0; rows < 4096 && r == 0; rows++) {
			while (p == end && ri + 1 < nreg) {
				ri++;
				p = reg[ri].p;
				end = p + reg[ri].n;
			}
			if (p == end)
				break;
			struct rf_cell *row = rf__table_add_row(t);
			if (!row) {
				r = -ENOMEM;
				break;
			}
			for (int i = 0; i < ncols; i++) {
				uint32_t len;
				if (end - p < 4) {
					r = -EBADMSG;
					break;
				}
				memcpy(&len, p, 4);
				p += 4;
				if (len == UINT32_MAX)
					continue;
				if ((size_t)(end - p) < len) {
					r = -EBADMSG;
					break;
				}
				row[i].type = RF_CELL_STR;
				row[i].u.str.s = p;
				row[i].u.str.len = len;
				p += len;
			}
		}
		if (r == 0)
			r = emit_rows(run, t);
		rf__table_free(t);
	}
	return r;
}

/* select before an aggregate: the chosen fields of each record, as rows */
static int write_projection(struct run *run, const struct rf_batch *b)
{
	if (run->quiet)
		return write_projection_raw(run, b);
	const struct rf_fieldref *fields;
	int n = rf__select_fields(&run->q->stage[run->project], &fields);
	const char *names[RF_TABLE_MAX_COLS];
	rf__select_names(&run->q->stage[run->project], names);
	struct rf_table *t = rf__table_new(n, 0, names);
	if (!t)
		return -ENOMEM;
	for (uint32_t r = 0; r < b->nsel; r++) {
		struct rf_cell *row = rf__table_add_row(t);
		if (!row) {
			rf__table_free(t);
			return -ENOMEM;
		}
		for (int i = 0; i < n; i++) {
			struct rf_value v = rf__field(b, r, &fields[i]);
			if (rf_value_missing(v))
				continue;
			row[i].type = RF_CELL_STR;
			row[i].u.str.s = v.p;
			row[i].u.str.len = (uint32_t)v.len;
		}
	}
	int err = emit_rows(run, t);
	rf__table_free(t);
	return err;
}

/* Two rejects entries by their record's place in the batch (the heads are
 * unaligned in the buffer: compare copies); one record rejected twice
 * stays in the order it came. */
static int reject_cmp(const void *pa, const void *pb)
{
	const char *ea = *(const char *const *)pa, *eb = *(const char *const *)pb;
	struct rf_span a, b;
	memcpy(&a, ea, sizeof a);
	memcpy(&b, eb, sizeof b);
	if (a.off != b.off)
		return a.off < b.off ? -1 : 1;
	return (ea > eb) - (ea < eb);
}

/* A batch's rejected records (see struct rf_batch), in input order. */
static int write_rejects(struct run *run, struct rf_batch *b)
{
	size_t n = 0, sorted = 1;
	uint32_t last = 0;
	struct rf_span at;
	for (size_t i = 0; i < b->rejects_len; n++) {
		memcpy(&at, b->rejects + i, sizeof at);
		sorted &= n == 0 || at.off >= last;
		last = at.off;
		i += sizeof at + at.len + 1;
	}
	const char **order = NULL;
	if (!sorted && !(order = malloc(n * sizeof *order)))
		return -ENOMEM;
	if (order) {
		n = 0;
		for (size_t i = 0; i < b->rejects_len; i += sizeof at + at.len + 1) {
			memcpy(&at, b->rejects + i, sizeof at);
			order[n++] = b->rejects + i;
		}
		qsort(order, n, sizeof *order, reject_cmp);
	}
	int r = 0;
	for (size_t i = 0, k = 0; r == 0 && (order ? k < n : i < b->rejects_len); k++) {
		const char *e = order ? order[k] : b->rejects + i;
		memcpy(&at, e, sizeof at);
		r = rf__writer_put(&run->rejects, e + sizeof at, (size_t)at.len + 1);
		i += sizeof at + at.len + 1;
	}
	free(order);
	b->rejects_len = 0;
	return r;
}

/* Line output of a finished batch (no aggregate in the query).  Parallel
 * and pipeline mode call it from a worker thread for a live input, and
 * flush through flush_output: it must not read run state the reading
 * thread changes (flush_each). */
int output_rows(void *user, struct rf_batch *b)
{
	struct run *run = user;
	int r = 0;
	if (b->rejects_len && (r = write_rejects(run, b)) < 0)
		return r;
	if (run->agg < 0 && (b->all || b->nsel) && run->rsort)
		return rf__rsort_add(run, b); /* printed in order at the end */
	if (run->agg < 0 && (b->all || b->nsel)) {
		/* select with no stage before it that split the batch into records */
		if (run->project >= 0 && b->all && (r = rf__batch_expand(b, run->k)) < 0)
			return r;
		if (run->project >= 0)
			r = write_projection(run, b);
		else if (run->consumers && run->consumers->on_records)
			r = consumer_failed(run, rf__records_deliver(run->consumers, b, run->k));
		else
			r = write_records(run, b);
	}
	return r;
}

int flush_output(void *user)
{
	struct run *run = user;
	return rf__writer_flush(&run->out);
}

/* Serial: a streaming input's lines go out with their batch. */
int output_batch(struct run *run, struct rf_batch *b)
{
	int r = output_rows(run, b);
	if (r == 0 && run->flush_each)
		r = rf__writer_flush(&run->out);
	return r;
}
