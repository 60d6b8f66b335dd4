/* SPDX-License-Identifier: MIT */
/* batch.c - selections, value rows and the arena of a batch. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"

int rf__batch_reserve(struct rf_batch *b, size_t n)
{
	if (n <= b->sel_cap)
		return 0;
	if (n > UINT32_MAX)
		return -E2BIG;
	size_t cap = b->sel_cap ? b->sel_cap : 1024;
	while (cap < n)
		cap *= 2;
	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	struct rf_span *sel = realloc(b->sel, cap * sizeof *sel);
	if (!sel)
		return -ENOMEM;
	b->sel = sel;
	b->sel_cap = (uint32_t)cap;
	return 0;
}

/* Multiline records: a batch begins at a record's start and ends at the
 * end of one. */
static uint64_t ml_records(const struct rf_batch *b, const struct rf_kernels *k)
{
	if (!b->len)
		return 0;
	uint64_t n = 0;
	const char *p = b->data, *end = b->data + b->len;
	while (p < end) {
		const char *nl = rf__ml_find_end(b->ml, k, p, (size_t)(end - p), 1);
		n++;
		p = nl ? nl + 1 : end;
	}
	return n;
}

uint64_t rf__batch_records(const struct rf_batch *b, const struct rf_kernels *k)
{
	if (b->ml)
		return ml_records(b, k);
	if (!b->quote_sep)
		return rf__batch_all_records(b, k);
	uint64_t n = b->unterminated;
	int state = RF_Q_START;
	const char *p = b->data, *end = b->data + b->len, *nl;
	while ((nl = rf__csv_find_end(p, (size_t)(end - p), b->quote_sep, &state))) {
		n++;
		p = nl + 1;
	}
	return n;
}

int rf__batch_expand(struct rf_batch *b, const struct rf_kernels *k)
{
	if (!b->all)
		return 0;
	const char *p = b->data, *end = b->data + b->len;
	/* csv/tsv: a record without a quote in it ends at its first newline,
	 * as a plain line does; only near the next quote of the batch is the
	 * quote-aware scan needed (the framer's scan of the batch is not kept:
	 * it looks for the last record end only) */
	const char *q = b->quote_sep ? k->find_byte(p, b->len, '"') : NULL;
	uint32_t n = 0;
	while (p < end) {
		if (n == b->sel_cap && rf__batch_reserve(b, (size_t)n + 1) < 0)
			return -ENOMEM;
		const char *nl;
		if (b->ml) {
			nl = rf__ml_find_end(b->ml, k, p, (size_t)(end - p), 1);
		} else if (q && q - p < 64) {
			/* a quote close by, as a rule in this record: step it a
			 * byte at a time (the jumps would be too short to pay),
			 * and look for the next quote in line */
			nl = rf__csv_end_bytewise(p, end, b->quote_sep);
			const char *next = nl ? nl + 1 : end;
			q = memchr(next, '"', (size_t)(end - next));
		} else {
			nl = k->find_byte(p, (size_t)(end - p), '\n');
			if (q && (!nl || q < nl)) { /* a long record with a quote */
				int qs = RF_Q_START;
				nl = rf__csv_find_end(p, (size_t)(end - p), b->quote_sep, &qs);
				const char *next = nl ? nl + 1 : end;
				q = next < end ? k->find_byte(next, (size_t)(end - next), '"') : NULL;
			}
		}
		size_t len = (size_t)((nl ? nl : end) - p);
		b->sel[n].off = (uint32_t)(p - b->data);
		b->sel[n].len = (uint32_t)len;
		n++;
		p += len + 1;
	}
	b->nsel = n;
	b->all = 0;
	return 0;
}

int rf__batch_reserve_vals(struct rf_batch *b, uint32_t nslots)
{
	size_t need = (size_t)b->nsel * nslots;
	if (need > b->vals_cap) {
		size_t cap = b->vals_cap ? b->vals_cap : 4096;
		while (cap < need)
			cap *= 2;
		struct rf_value *v = realloc(b->vals, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		b->vals = v;
		b->vals_cap = cap;
	}
	b->nslots = nslots;
	b->has_vals = 1;
	return 0;
}

int rf__batch_reserve_tv(struct rf_batch *b, uint32_t ntv)
{
	size_t need = (size_t)b->nsel * ntv;
	if (need > b->tv_cap) {
		size_t cap = b->tv_cap ? b->tv_cap : 1024;
		while (cap < need)
			cap *= 2;
		struct rf_tv *v = realloc(b->tv, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		b->tv = v;
		b->tv_cap = cap;
	}
	b->ntv = ntv;
	return 0;
}

char *rf__batch_alloc(struct rf_batch *b, size_t n)
{
	struct rf_arena_block *blk = b->arena;
	if (!blk || blk->cap - blk->len < n) {
		size_t cap = (size_t)64 << 10;
		while (cap < n)
			cap *= 2;
		struct rf_arena_block *nb = malloc(sizeof *nb + cap);
		if (!nb)
			return NULL;
		nb->next = blk;
		nb->cap = cap;
		nb->len = 0;
		b->arena = blk = nb;
	}
	char *p = blk->data + blk->len;
	blk->len += n;
	return p;
}

void rf__batch_reset_arena(struct rf_batch *b)
{
	/* keep the newest block for the next batch, free the rest */
	struct rf_arena_block *blk = b->arena;
	if (!blk)
		return;
	struct rf_arena_block *rest = blk->next;
	while (rest) {
		struct rf_arena_block *next = rest->next;
		free(rest);
		rest = next;
	}
	blk->next = NULL;
	blk->len = 0;
}

void rf__batch_filter(struct rf_batch *b, const uint8_t *keep)
{
	uint32_t out = 0;
	uint32_t ns = b->has_vals ? b->nslots : 0, nt = b->has_vals ? b->ntv : 0;
	for (uint32_t i = 0; i < b->nsel; i++) {
		if (!keep[i])
			continue;
		if (out != i) {
			b->sel[out] = b->sel[i];
			if (ns)
				memcpy(&b->vals[(size_t)out * ns], &b->vals[(size_t)i * ns], ns * sizeof *b->vals);
			if (nt)
				memcpy(&b->tv[(size_t)out * nt], &b->tv[(size_t)i * nt], nt * sizeof *b->tv);
		}
		out++;
	}
	b->nsel = out;
}

uint64_t rf__batch_line_of(const struct rf_batch *b, uint32_t i, const struct rf_kernels *k)
{
	if (!b->first_line)
		return 0;
	return b->first_line + k->count_byte(b->data, b->sel[i].off, '\n');
}

void rf__batch_free(struct rf_batch *b)
{
	rf__batch_reset_arena(b);
	free(b->arena);
	free(b->sel);
	free(b->vals);
	free(b->tv);
	free(b->rejects);
	b->rejects = NULL;
	b->rejects_len = b->rejects_cap = 0;
	b->sel = NULL;
	b->vals = NULL;
	b->tv = NULL;
	b->tv_cap = 0;
	b->ntv = 0;
	b->arena = NULL;
	b->sel_cap = 0;
	b->vals_cap = 0;
}

__thread sigjmp_buf *rf__bus_jmp;

int rf__bus_guard(int (*fn)(void *, void *), void *a, void *b, int *bus)
{
	sigjmp_buf jb;
	sigjmp_buf *volatile saved = rf__bus_jmp;
	*bus = 0;
	if (sigsetjmp(jb, 1)) {
		rf__bus_jmp = saved;
		*bus = 1;
		return -EIO;
	}
	rf__bus_jmp = &jb;
	int r = fn(a, b);
	rf__bus_jmp = saved;
	return r;
}

/* What a handed-over batch keeps of the one it comes from. */
static void take_header(struct rf_batch *dst, const struct rf_batch *src)
{
	dst->len = src->len;
	dst->seq = src->seq;
	dst->offset = src->offset;
	dst->unterminated = src->unterminated;
	dst->input_start = src->input_start;
	dst->all = 1;
	dst->nsel = 0;
	dst->has_vals = 0;
	dst->ntv = 0;
	dst->first_line = src->first_line;
	dst->lines_skipped = src->lines_skipped;
	dst->nrecords = src->nrecords;
	dst->input = src->input;
	dst->input_idx = src->input_idx;
	dst->input_no = src->input_no;
	dst->rejects_len = 0;
	dst->quote_sep = src->quote_sep;
	dst->ml = src->ml;
	rf__batch_reset_arena(dst);
}

void rf__batch_share(struct rf_batch *dst, const struct rf_batch *src)
{
	rf__chunk_hold(src->ref);
	dst->data = src->data;
	dst->ref = src->ref;
	take_header(dst, src);
}

int rf__batch_copy(struct rf_batch *dst, char **buf, size_t *cap, const struct rf_batch *src)
{
	/* 64 spare zeroed bytes let vector kernels load whole blocks at a
	 * record's end */
	if (src->len + 64 > *cap) {
		size_t c = *cap ? *cap : 1 << 20;
		while (c < src->len + 64)
			c *= 2;
		char *nb = realloc(*buf, c);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = c;
	}
	memcpy(*buf, src->data, src->len);
	memset(*buf + src->len, 0, 64);
	dst->data = *buf;
	dst->ref = NULL;
	take_header(dst, src);
	return 0;
}
