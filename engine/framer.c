/* SPDX-License-Identifier: MIT */
/* framer.c - cut a source's chunks into batches of whole records.
 *
 * A chunk rarely ends on a newline.  Its partial last line (the carry) stays
 * where it is while the next chunk arrives, then is copied into that chunk's
 * headroom, just in front of its data: the record is contiguous again and the
 * chunk itself is never moved.  A carry too big for the headroom (or a
 * backend without headroom, like mmap) goes through the spill buffer, which
 * also grows to hold a record longer than a whole chunk, up to max_record.
 *
 * Every record is measured against max_record (its bytes without the newline
 * that ends it), wherever it sits: inside a chunk, across chunk ends, in the
 * spill buffer, or last without a newline.  So the backend, the mode and the
 * buffer size never change which records are too long.
 *
 * Each chunk is wrapped in a reference count (struct rf_chunk_ref): the
 * framer holds one while it works on the chunk, and a batch cut from a
 * shared source's chunk names it in b->ref, so that parallel and pipeline
 * mode can keep the chunk, not a copy, until the batch is written out.
 * Whoever drops the last reference gives the chunk back to its source.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "../io/source.h"
#include "chunk.h"

/* Let go of the framer's reference in *slot (emptied first: a SIGBUS may
 * jump out of anywhere, and the next run drops what is left). */
static void drop(struct rf_chunk_ref **slot)
{
	struct rf_chunk_ref *r = *slot;
	*slot = NULL;
	rf__chunk_unref(r);
}

static void let_spill_go(struct rf_framer *f);

void rf__framer_init(struct rf_framer *f, const struct rf_kernels *k, size_t max_record,
		     int (*emit)(void *, struct rf_batch *), void *user)
{
	memset(f, 0, sizeof *f);
	f->k = k;
	f->max_record = max_record;
	f->emit = emit;
	f->user = user;
}

void rf__framer_free(struct rf_framer *f)
{
	drop(&f->cur_ref);
	drop(&f->held_ref);
	if (f->spill_ref)
		let_spill_go(f);
	free(f->spill);
	f->spill = NULL;
	free(f->ml_open);
	f->ml_open = NULL;
	rf__batch_free(&f->batch);
}

/* The newline that ends the open record, from the state it is in; for
 * plain lines simply the next newline. */
static const char *record_end(struct rf_framer *f, const char *p, size_t n)
{
	if (f->ml)
		return rf__ml_find_end(f->ml, f->k, p, n, 0);
	if (f->quote_sep)
		return rf__csv_find_end(p, n, f->quote_sep, &f->qstate);
	return f->k->find_byte(p, n, '\n');
}

/* The last newline that ends a record in [p, p + n), where p starts one;
 * the state of what follows it is kept for the next chunk. */
static const char *last_record_end(struct rf_framer *f, const char *p, size_t n)
{
	if (f->ml)
		return rf__ml_find_last_end(f->ml, f->k, p, n);
	if (f->quote_sep)
		return rf__csv_find_last_end(p, n, f->quote_sep, &f->qstate);
	return f->k->find_last_byte(p, n, '\n');
}

/* ref: the chunk data is in (NULL: the spill buffer) */
static int emit(struct rf_framer *f, const char *data, size_t len, int unterminated, struct rf_chunk_ref *ref,
		uint64_t offset)
{
	if (len == 0)
		return 0;
	struct rf_batch *b = &f->batch;
	b->data = data;
	b->ref = ref && (!ref->src || ref->src->shared) ? ref : NULL;
	b->len = len;
	b->seq = f->seq++;
	b->offset = offset;
	b->unterminated = unterminated;
	b->all = 1;
	b->nsel = 0;
	b->has_vals = 0;
	b->ntv = 0;
	rf__batch_reset_arena(b);
	b->input_start = f->input_start;
	b->quote_sep = f->quote_sep;
	b->ml = f->ml;
	f->input_start = 0;
	b->first_line = 0;
	b->lines_skipped = f->skipped_lines;
	f->skipped_lines = 0;
	f->batches++;
	return f->emit(f->user, b);
}

/* The caller has checked the record's length: the spill buffer holds at
 * most max_record bytes and the newline that ends them. */
static int spill_append(struct rf_framer *f, const char *p, size_t n)
{
	if (n == 0) /* (the multiline loop may append nothing, before any buffer) */
		return 0;
	if (f->spill_len + n > f->spill_cap) {
		size_t need = f->spill_len + n;
		size_t cap = f->spill_cap ? f->spill_cap : 64 << 10;
		while (cap < need)
			cap *= 2;
		if (cap > f->max_record + 1 && need <= f->max_record + 1)
			cap = f->max_record + 1;
		/* 64 spare bytes: vector kernels may load a whole block at a
		 * record's end (the spare bytes are zeroed, their result unused) */
		char *s = realloc(f->spill, cap + 64);
		if (!s)
			return -ENOMEM;
		memset(s + cap, 0, 64);
		f->spill = s;
		f->spill_cap = cap;
	}
	memcpy(f->spill + f->spill_len, p, n);
	f->spill_len += n;
	f->bytes_copied += n;
	return 0;
}

/* A record over max_record starting at input offset record_start: with
 * --on-long=skip counted (where the first one started is kept) and 0, else
 * -E2BIG. */
static int too_long(struct rf_framer *f, uint64_t record_start)
{
	if (!f->skip_long) {
		f->error_offset = record_start;
		return -E2BIG;
	}
	if (!f->long_skipped++)
		f->first_long_offset = record_start;
	return 0;
}

/* Bytes of a record being skipped: their lines still count, for the line
 * numbers of what follows. */
static void dropped(struct rf_framer *f, const char *p, size_t n)
{
	f->skipped_lines += f->k->count_byte(p, n, '\n');
}

/* Input offset of p, a byte of chunk c or of the carry copied in front of
 * it. */
static uint64_t offset_of(const struct rf_chunk *c, const char *p)
{
	return (uint64_t)((int64_t)c->offset + (p - c->data));
}

/* Emit the whole records in [p, tail) (tail just past a record end): one
 * batch, or, when a record in there is longer than max_record, the runs of
 * records around it. */
static int emit_records(struct rf_framer *f, const char *p, const char *tail, const struct rf_chunk *c)
{
	/* a span no longer than max_record and its newline cannot hold one */
	if ((size_t)(tail - p) <= f->max_record + 1)
		return emit(f, p, (size_t)(tail - p), 0, f->cur_ref, offset_of(c, p));
	const char *from = p; /* the records not emitted yet */
	const struct rf_recdef d = { f->quote_sep, f->ml };
	while (p < tail) {
		/* every record ending in [p, p + max_record] is short enough:
		 * jump past the last of them */
		size_t win = (size_t)(tail - p) < f->max_record + 1 ? (size_t)(tail - p) : f->max_record + 1;
		const char *last = rf__rec_find_last_end(&d, f->k, p, win);
		if (last) {
			p = last + 1;
			continue;
		}
		/* none: find where the record at p ends (a multiline record may
		 * end in the window, its next start line running past it) */
		const char *nl = rf__rec_find_end(&d, f->k, p, (size_t)(tail - p), 1);
		if (!nl) /* cannot be: tail follows a record end */
			nl = tail - 1;
		if ((size_t)(nl - p) <= f->max_record) {
			p = nl + 1;
			continue;
		}
		int r = emit(f, from, (size_t)(p - from), 0, f->cur_ref, offset_of(c, from));
		if (r == 0)
			r = too_long(f, offset_of(c, p));
		if (r != 0)
			return r;
		dropped(f, p, (size_t)(nl + 1 - p));
		p = from = nl + 1;
	}
	return emit(f, from, (size_t)(tail - from), 0, f->cur_ref, offset_of(c, from));
}

/* The spill buffer is held by batches: leave it to them (the last frees
 * it) and start a new one. */
static void let_spill_go(struct rf_framer *f)
{
	f->spill = NULL;
	f->spill_cap = 0;
	drop(&f->spill_ref);
}

static int emit_spill(struct rf_framer *f, int unterminated, uint64_t offset)
{
	f->spill_batches++;
	if (f->spill_len > f->longest_spill)
		f->longest_spill = f->spill_len;
	/* The spill buffer goes out as a chunk of its own: a work item that
	 * keeps the batch keeps the buffer (the framer takes a new one), so
	 * the record is not copied twice. */
	struct rf_chunk_ref *ref = malloc(sizeof *ref);
	if (ref) {
		atomic_init(&ref->refs, 1);
		ref->src = NULL;
		ref->chunk.handle = f->spill;
		f->spill_ref = ref;
	}
	int r = emit(f, f->spill, f->spill_len, unterminated, ref, offset);
	if (ref && atomic_load(&ref->refs) == 1) {
		f->spill_ref = NULL; /* nobody kept it: the framer's again */
		free(ref);
	} else if (ref) {
		let_spill_go(f);
	}
	f->spill_len = 0;
	return r;
}

/* The source's next chunk, held in f->cur_ref (*got set), or the input's
 * end (0), or what ends the run: an error of the source, tick()'s result,
 * -EINTR for rf_cancel(). */
static int next_chunk(struct rf_framer *f, struct rf_source *src, struct rf_chunk *c, int *got)
{
	*got = 0;
	for (;;) {
		/* rf_cancel(): stop here too, not only where a batch goes out -
		 * a record being skipped or spilled may never end */
		if (rf__cancelled())
			return -EINTR;
		int r = src->ops->next(src, c);
		if (r == RF_SOURCE_TICK) {
			if (f->tick && (r = f->tick(f->user)) != 0)
				return r;
			continue;
		}
		if (r <= 0)
			return r;
		struct rf_chunk_ref *cref = malloc(sizeof *cref);
		if (!cref) {
			src->ops->release(src, c);
			return -ENOMEM;
		}
		atomic_init(&cref->refs, 1);
		cref->src = src;
		cref->chunk = *c;
		f->cur_ref = cref;
		*got = 1;
		return 0;
	}
}

/* ---- multiline records ---------------------------------------------------
 *
 * A record ends before a start line, and a line is judged only whole, so
 * the line open at a chunk's end is judged with the next chunk: the carry
 * (a record from its start line on, its last line perhaps open) goes in
 * front of the next chunk when it fits the headroom, and the scans start
 * over at its start; else it goes to the spill, which takes the rest of
 * the open line first (f->ml_line says where it starts: 0 when it is the
 * record's first line, which needs no judging), and if that line starts a
 * record, the spill's record ends before it.  While a too-long record is
 * skipped, the line open at a chunk's end is kept in f->ml_open (its head,
 * bounded by max_record) for the same judgment.
 */

/* The bytes of the line open while skipping, up to max_record + 1 of them
 * (a longer line is part of a too-long record whatever it is). */
static int open_append(struct rf_framer *f, const char *p, size_t n)
{
	size_t room = f->max_record + 1 > f->ml_open_len ? f->max_record + 1 - f->ml_open_len : 0;
	size_t keep = n < room ? n : room;
	if (f->ml_open_len + keep > f->ml_open_cap) {
		size_t cap = f->ml_open_cap ? f->ml_open_cap : 256;
		while (cap < f->ml_open_len + keep)
			cap *= 2;
		char *b = realloc(f->ml_open, cap);
		if (!b)
			return -ENOMEM;
		f->ml_open = b;
		f->ml_open_cap = cap;
	}
	if (keep) /* nothing to keep: no buffer yet, maybe */
		memcpy(f->ml_open + f->ml_open_len, p, keep);
	f->ml_open_len += n;
	return 0;
}

/* Skip [p, end) of a too-long record, keeping the line open at end (when
 * a newline in there begins one) to be judged with the next chunk. */
static int skip_to_end(struct rf_framer *f, const char *p, const char *end, const struct rf_chunk *c)
{
	const char *nl = f->k->find_last_byte(p, (size_t)(end - p), '\n');
	dropped(f, p, (size_t)(end - p));
	f->ml_open_set = nl != NULL;
	f->ml_open_len = 0;
	if (!nl)
		return 0;
	f->ml_open_offset = offset_of(c, nl + 1);
	int r = open_append(f, nl + 1, (size_t)(end - nl - 1));
	f->ml_open_head = f->ml_open_len;
	return r;
}

/* Does the spill's record end before its open line, now complete (its
 * newline last)?  Then emit the record and start the spill over with that
 * line. */
static int spill_split(struct rf_framer *f, uint64_t *record_start, int terminated)
{
	size_t h = f->ml_line, len = f->spill_len - h;
	if (h == 0 || h >= f->spill_len || !rf__ml_is_start(f->ml, f->spill + h, len - (size_t)terminated))
		return 0;
	f->ml_open_len = 0;
	int r = open_append(f, f->spill + h, len); /* no longer than max_record: checked */
	if (r < 0)
		return r;
	f->spill_len = h;
	if ((r = emit_spill(f, 0, *record_start)) != 0)
		return r;
	*record_start += h;
	f->ml_line = 0;
	return spill_append(f, f->ml_open, len);
}

static int run_ml(struct rf_framer *f, struct rf_source *src)
{
	const struct rf_ml *ml = f->ml;
	const struct rf_kernels *k = f->k;
	const char *carry = NULL;
	size_t carry_len = 0;
	uint64_t record_start = 0;
	int in_spill = 0, in_skip = 0, r = 0;

	f->ml_open_set = 0;
	for (;;) {
		struct rf_chunk c;
		int got;
		if ((r = next_chunk(f, src, &c, &got)) != 0 || !got)
			break;
		char *start = c.data;
		char *end = c.data + c.len;

		if (carry_len) {
			if (carry_len <= c.headroom) {
				/* contiguous again: the scans start over at the record */
				start -= carry_len;
				memcpy(start, carry, carry_len);
				f->bytes_copied += carry_len;
			} else {
				const char *nl = k->find_last_byte(carry, carry_len, '\n');
				f->ml_line = nl ? (size_t)(nl + 1 - carry) : 0;
				r = spill_append(f, carry, carry_len);
				in_spill = 1;
			}
			drop(&f->held_ref);
			carry_len = 0;
			if (r < 0)
				break;
		}
		if (in_skip && f->ml_open_set) {
			/* the line open at the last chunk's end: a start ends the skip */
			const char *nl = k->find_byte(start, (size_t)(end - start), '\n');
			if ((r = open_append(f, start, (size_t)((nl ? nl : end) - start))) < 0)
				break;
			if (!nl) {
				f->ml_open_head = f->ml_open_len;
				drop(&f->cur_ref);
				continue;
			}
			f->ml_open_set = 0;
			if (f->ml_open_len <= f->max_record && rf__ml_is_start(ml, f->ml_open, f->ml_open_len)) {
				/* its head to the spill; the spill step takes the rest */
				f->spill_len = 0;
				if ((r = spill_append(f, f->ml_open, f->ml_open_head)) < 0)
					break;
				record_start = f->ml_open_offset;
				f->ml_line = 0;
				in_spill = 1;
				in_skip = 0;
			} else {
				dropped(f, start, (size_t)(nl - start)); /* its newline: below */
				start = (char *)nl; /* the scan goes on from its newline */
			}
		}
skipping:
		if (in_skip) {
			const char *q = rf__ml_find_end(ml, k, start, (size_t)(end - start), 0);
			if (!q) {
				r = skip_to_end(f, start, end, &c);
				drop(&f->cur_ref);
				if (r < 0)
					break;
				continue;
			}
			dropped(f, start, (size_t)(q + 1 - start));
			in_skip = 0;
			start = (char *)q + 1;
		}
		if (in_spill) {
			/* first the spill's open line, whole */
			const char *nl = k->find_byte(start, (size_t)(end - start), '\n');
			size_t take = (size_t)((nl ? nl + 1 : end) - start);
			if (f->spill_len - f->ml_line + take - (nl ? 1 : 0) > f->max_record) {
				/* a line that long belongs to a too-long record,
				 * whichever record it is */
				dropped(f, f->spill, f->spill_len);
				f->spill_len = 0;
				in_spill = 0;
				in_skip = 1;
				if ((r = too_long(f, record_start)) < 0)
					break;
				if (!nl) {
					dropped(f, start, take);
					drop(&f->cur_ref);
					continue;
				}
				dropped(f, start, (size_t)(nl - start));
				start = (char *)nl;
				goto skipping; /* (the skip's scan: no line is open) */
			}
			if ((r = spill_append(f, start, take)) < 0)
				break;
			if (!nl) {
				drop(&f->cur_ref);
				continue;
			}
			if ((r = spill_split(f, &record_start, 1)) != 0)
				break;
			/* then the lines after it, up to the record's end */
			start = (char *)nl;
			const char *q = rf__ml_find_end(ml, k, start, (size_t)(end - start), 0);
			const char *known = q ? q : k->find_last_byte(start, (size_t)(end - start), '\n');
			if (f->spill_len + (size_t)(known - start) - 1 > f->max_record) {
				/* (the spill's last newline is the one at start) */
				dropped(f, f->spill, f->spill_len - 1);
				f->spill_len = 0;
				in_spill = 0;
				if ((r = too_long(f, record_start)) < 0)
					break;
				if (!q) {
					in_skip = 1;
					r = skip_to_end(f, start, end, &c);
					drop(&f->cur_ref);
					if (r < 0)
						break;
					continue;
				}
				dropped(f, start, (size_t)(q + 1 - start));
				start = (char *)q + 1;
				goto framed;
			}
			if (!q) {
				f->ml_line = f->spill_len + (size_t)(known - start);
				r = spill_append(f, start + 1, (size_t)(end - start - 1));
				drop(&f->cur_ref);
				if (r < 0)
					break;
				continue;
			}
			if ((r = spill_append(f, start + 1, (size_t)(q - start))) == 0)
				r = emit_spill(f, 0, record_start);
			if (r != 0)
				break;
			in_spill = 0;
			start = (char *)q + 1;
		}
framed:;
		const char *last = rf__ml_find_last_end(ml, k, start, (size_t)(end - start));
		const char *tail = last ? last + 1 : start;
		if (last && (r = emit_records(f, start, tail, &c)) != 0)
			break;
		/* the open record: at least its lines up to the last newline */
		const char *lastnl = k->find_last_byte(tail, (size_t)(end - tail), '\n');
		if ((size_t)((lastnl ? lastnl : end) - tail) > f->max_record) {
			if ((r = too_long(f, offset_of(&c, tail))) < 0)
				break;
			in_skip = 1;
			r = skip_to_end(f, tail, end, &c);
			drop(&f->cur_ref);
			if (r < 0)
				break;
		} else if (tail < end) {
			carry = tail;
			carry_len = (size_t)(end - tail);
			record_start = offset_of(&c, tail);
			f->held_ref = f->cur_ref;
			f->cur_ref = NULL;
		} else {
			drop(&f->cur_ref);
		}
	}
	if (r != 0) {
		drop(&f->cur_ref);
	} else if (in_skip) {
		/* a start line last, after a skipped record, is a record */
		if (f->ml_open_set && f->ml_open_len && f->ml_open_len <= f->max_record &&
		    rf__ml_is_start(ml, f->ml_open, f->ml_open_len)) {
			f->spill_len = 0;
			if ((r = spill_append(f, f->ml_open, f->ml_open_len)) == 0)
				r = emit_spill(f, 1, f->ml_open_offset);
		}
	} else if (in_spill) {
		int terminated = f->spill_len && f->spill[f->spill_len - 1] == '\n';
		if (!terminated)
			r = spill_split(f, &record_start, 0);
		if (r == 0)
			r = emit_spill(f, !terminated, record_start);
	} else if (carry_len) {
		/* the last line may start a record of its own */
		const char *nl = k->find_last_byte(carry, carry_len, '\n');
		size_t h = nl ? (size_t)(nl + 1 - carry) : 0;
		int terminated = carry[carry_len - 1] == '\n';
		if (h > 0 && h < carry_len && rf__ml_is_start(ml, carry + h, carry_len - h)) {
			r = emit(f, carry, h, 0, f->held_ref, record_start);
			if (r == 0 && carry_len - h > f->max_record) {
				r = too_long(f, record_start + h);
			} else if (r == 0) {
				r = emit(f, carry + h, carry_len - h, 1, f->held_ref, record_start + h);
			}
		} else if (carry_len - (size_t)terminated > f->max_record) {
			r = too_long(f, record_start);
		} else {
			r = emit(f, carry, carry_len, !terminated, f->held_ref, record_start);
		}
	}
	if (carry_len)
		drop(&f->held_ref);
	f->spill_len = 0;
	f->ml_open_set = 0;
	return r;
}

int rf__framer_run(struct rf_framer *f, struct rf_source *src)
{
	/* f->held_ref: the chunk the carry lives in; f->cur_ref: the chunk
	 * at hand.  What a jump out of an earlier run left is dropped now. */
	const char *carry = NULL;
	size_t carry_len = 0;
	uint64_t record_start = 0;   /* input offset of the carry / spill */
	int in_spill = 0;
	int in_skip = 0;             /* inside a too-long record, skipping it */
	int r = 0;

	f->spill_len = 0;
	f->input_start = 1;
	f->long_skipped = 0;
	f->skipped_lines = 0;
	f->qstate = RF_Q_START;
	drop(&f->cur_ref);
	drop(&f->held_ref);
	if (f->spill_ref) /* a jump out of emit_spill */
		let_spill_go(f);
	if (f->ml)
		return run_ml(f, src);
	for (;;) {
		struct rf_chunk c;
		int got;
		if ((r = next_chunk(f, src, &c, &got)) != 0 || !got)
			break;
		char *start = c.data;
		char *end = c.data + c.len;

		if (carry_len) {
			/* the open record, measured up to its end in this chunk
			 * (from the carry's state; the scans below start over at
			 * the record's start, or go on from the carry's end) */
			int qs = f->qstate;
			const char *nl = record_end(f, c.data, c.len);
			size_t rec = carry_len + (size_t)((nl ? nl : end) - c.data);
			if (rec > f->max_record) {
				r = too_long(f, record_start);
				dropped(f, carry, carry_len);
				dropped(f, c.data, (size_t)((nl ? nl + 1 : end) - c.data));
				if (nl) {
					start = (char *)nl + 1;
				} else {
					in_skip = 1; /* scanned already: state at the end */
					start = end;
				}
			} else {
				f->qstate = qs;
				if (carry_len <= c.headroom) {
					start -= carry_len;
					memcpy(start, carry, carry_len);
					f->bytes_copied += carry_len;
				} else {
					r = spill_append(f, carry, carry_len);
					in_spill = 1;
				}
			}
			drop(&f->held_ref);
			carry_len = 0;
			if (r < 0) {
				drop(&f->cur_ref);
				break;
			}
		}
		if (in_skip) { /* the rest of a record too long to keep */
			const char *nl = record_end(f, start, (size_t)(end - start));
			dropped(f, start, (size_t)((nl ? nl + 1 : end) - start));
			if (!nl) {
				drop(&f->cur_ref);
				continue;
			}
			in_skip = 0;
			start = (char *)nl + 1;
		}
		if (in_spill) {
			const char *nl = record_end(f, start, (size_t)(end - start));
			if (f->spill_len + (size_t)((nl ? nl : end) - start) > f->max_record) {
				dropped(f, f->spill, f->spill_len);
				dropped(f, start, (size_t)((nl ? nl + 1 : end) - start));
				f->spill_len = 0;
				in_spill = 0;
				if ((r = too_long(f, record_start)) < 0) {
					drop(&f->cur_ref);
					break;
				}
				if (!nl) {
					in_skip = 1;
					drop(&f->cur_ref);
					continue;
				}
				start = (char *)nl + 1;
				goto framed;
			}
			r = spill_append(f, start, (size_t)((nl ? nl + 1 : end) - start));
			if (!nl) {
				drop(&f->cur_ref);
				if (r < 0)
					break;
				continue;
			}
			if (r == 0)
				r = emit_spill(f, 0, record_start);
			if (r != 0) {
				drop(&f->cur_ref);
				break;
			}
			in_spill = 0;
			start = (char *)nl + 1;
		}
framed:;
		const char *last = last_record_end(f, start, (size_t)(end - start));
		const char *tail = last ? last + 1 : start;
		if (last && (r = emit_records(f, start, tail, &c)) != 0) {
			drop(&f->cur_ref);
			break;
		}
		if ((size_t)(end - tail) > f->max_record) {
			/* an open record too long already: skip the rest of it
			 * (the scan state at the chunk's end is the record's) */
			if ((r = too_long(f, offset_of(&c, tail))) < 0) {
				drop(&f->cur_ref);
				break;
			}
			dropped(f, tail, (size_t)(end - tail));
			in_skip = 1;
			drop(&f->cur_ref);
		} else if (tail < end) {
			carry = tail;
			carry_len = (size_t)(end - tail);
			record_start = offset_of(&c, tail);
			f->held_ref = f->cur_ref;
			f->cur_ref = NULL;
		} else {
			drop(&f->cur_ref);
		}
	}

	/* At the end of the input a line without its newline is still a record
	 * (one being skipped was counted already).  A csv record whose quote
	 * never closed runs to the end: the input's final newline is inside
	 * it, but it ends the record as it ends any last record, so it is
	 * left out, the same as after a closed one. */
	if (r == 0 && !in_skip) {
		if (in_spill) {
			if (f->spill_len && f->spill[f->spill_len - 1] == '\n')
				f->spill_len--;
			r = emit_spill(f, 1, record_start);
		} else if (carry_len) {
			size_t len = carry_len;
			if (carry[len - 1] == '\n') /* only inside quotes */
				len--;
			r = emit(f, carry, len, 1, f->held_ref, record_start);
		}
	}
	if (carry_len)
		drop(&f->held_ref);
	f->spill_len = 0;
	return r;
}
