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

/* The csv record-end scans jump instead of stepping each byte: outside
 * quotes only a newline or a quote at a field's start (where the scan
 * starts in RF_Q_START, or just after a separator or a record's end)
 * matters, and inside a quoted field only the next quote.  memchr finds
 * those; a quote found outside quotes is checked by the byte before it. */

/* memchr, with the first bytes tried in line: quoted fields and the
 * stretches between them are often shorter than a call costs. */
static inline const char *csv_find(const char *p, const char *end, char c)
{
	const char *e = end - p > 16 ? p + 16 : end;
	for (; p < e; p++)
		if (*p == c)
			return p;
	return p < end ? memchr(p, c, (size_t)(end - p)) : NULL;
}

/* A quote at q, outside quotes in a stretch that started at p in state s
 * and holds no record end before q: does it open a quoted field? */
static inline int csv_opens(const char *p, const char *q, int s, char sep)
{
	if (q == p)
		return s == RF_Q_START;
	return q[-1] == sep || q[-1] == '\n';
}

/* The next quote in [p, stop) that opens a quoted field, or NULL. */
static const char *csv_next_open(const char *p, const char *stop, int s, char sep)
{
	const char *q = p;
	while (q < stop && (q = csv_find(q, stop, '"'))) {
		if (csv_opens(p, q, s, sep))
			return q;
		q++;
	}
	return NULL;
}

/* One step of a quoted field from p (s is RF_Q_QUOTED or RF_Q_QUOTE_SEEN):
 * returns where the scan goes on; *nl is set when the byte after a closing
 * quote is the newline that ends the record. */
static const char *csv_quoted_step(const char *p, const char *end, char sep, int *s, const char **nl)
{
	if (*s == RF_Q_QUOTED) {
		const char *q = csv_find(p, end, '"');
		if (!q)
			return end;
		*s = RF_Q_QUOTE_SEEN;
		return q + 1;
	}
	char c = *p;
	if (c == '"') /* "" inside a quoted field */
		*s = RF_Q_QUOTED;
	else if (c == '\n') {
		*s = RF_Q_START;
		*nl = p;
	} else
		*s = c == sep ? RF_Q_START : RF_Q_UNQUOTED;
	return p + 1;
}

/* The same scan a byte at a time from a record's start, for a short
 * record with quotes in it: there the jumps are too short to pay. */
static const char *csv_end_bytewise(const char *p, const char *end, char sep)
{
	int s = RF_Q_START;
	for (; p < end; p++) {
		char c = *p;
		if (s == RF_Q_QUOTED) {
			if (c == '"')
				s = RF_Q_QUOTE_SEEN;
			continue;
		}
		if (c == '"' && s != RF_Q_UNQUOTED) {
			/* opens a quoted field, or is the second of "" */
			s = RF_Q_QUOTED;
			continue;
		}
		if (c == '\n')
			return p;
		s = c == sep ? RF_Q_START : RF_Q_UNQUOTED;
	}
	return NULL;
}

const char *rf__csv_find_end(const char *p, size_t n, char sep, int *state)
{
	const char *end = p + n;
	const char *nl = NULL; /* the first newline at or after p, once known */
	int nl_known = 0;
	int s = *state;
	while (p < end) {
		if (s == RF_Q_QUOTED || s == RF_Q_QUOTE_SEEN) {
			const char *e = NULL;
			p = csv_quoted_step(p, end, sep, &s, &e);
			if (e) {
				*state = RF_Q_START;
				return e;
			}
			continue;
		}
		/* outside quotes: up to the next newline, a quote opening a
		 * field is the only thing that can move it */
		if (!nl_known || (nl && nl < p)) {
			nl = csv_find(p, end, '\n');
			nl_known = 1;
		}
		const char *stop = nl ? nl : end;
		const char *q = csv_next_open(p, stop, s, sep);
		if (q) {
			s = RF_Q_QUOTED;
			p = q + 1;
			continue;
		}
		if (nl) {
			*state = RF_Q_START;
			return nl;
		}
		s = end[-1] == sep ? RF_Q_START : RF_Q_UNQUOTED;
		p = end;
	}
	*state = s;
	return NULL;
}

const char *rf__csv_find_last_end(const char *p, size_t n, char sep, int *state)
{
	const char *last = NULL, *end = p + n;
	int s = RF_Q_START;
	while (p < end) {
		if (s == RF_Q_QUOTED || s == RF_Q_QUOTE_SEEN) {
			const char *e = NULL;
			p = csv_quoted_step(p, end, sep, &s, &e);
			if (e)
				last = e;
			continue;
		}
		/* outside quotes up to the next quote that opens a field: the
		 * last newline before it ends a record */
		const char *q = csv_next_open(p, end, s, sep);
		const char *stop = q ? q : end;
		if (stop - p > 32) {
			const char *nl = memrchr(p, '\n', (size_t)(stop - p));
			if (nl)
				last = nl;
		} else {
			for (const char *b = stop; b > p; b--)
				if (b[-1] == '\n') {
					last = b - 1;
					break;
				}
		}
		if (!q) {
			s = end[-1] == sep || end[-1] == '\n' ? RF_Q_START : RF_Q_UNQUOTED;
			break;
		}
		s = RF_Q_QUOTED;
		p = q + 1;
	}
	*state = s;
	return last;
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
			nl = csv_end_bytewise(p, end, b->quote_sep);
			const char *next = nl ? nl + 1 : end;
			q = csv_find(next, end, '"');
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
