/* SPDX-License-Identifier: MIT */
/* check_framer.c - records survive every way a chunk can cut them.
 *
 * Part one drives the framer with chunks of chosen sizes from memory, so
 * every cut point is hit.  Part two runs whole queries through rf_run() over
 * real files with each I/O backend and tiny buffers.  The oracle splits the
 * bytes into lines itself. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "helpers.h"
#include "engine.h"
#include "../io/source.h"

/* ---- a source that serves a memory buffer in chunks of chosen sizes ---- */

struct mem_source {
	struct rf_source base;
	const char *data;
	size_t len, pos;
	const size_t *sizes;  /* chunk sizes, used round robin */
	size_t nsizes, turn;
	size_t headroom;
	int out;              /* chunks handed out and not released */
	int max_out;
};

static int mem_next(struct rf_source *src, struct rf_chunk *c)
{
	struct mem_source *m = (struct mem_source *)src;
	if (m->pos >= m->len)
		return 0;
	size_t n = m->sizes[m->turn++ % m->nsizes];
	if (n > m->len - m->pos)
		n = m->len - m->pos;
	char *block = malloc(m->headroom + n + 1);
	if (!block)
		return -ENOMEM;
	memset(block, '#', m->headroom); /* garbage the framer must not leak */
	memcpy(block + m->headroom, m->data + m->pos, n);
	c->data = block + m->headroom;
	c->len = n;
	c->headroom = m->headroom;
	c->offset = m->pos;
	c->handle = block;
	m->pos += n;
	if (++m->out > m->max_out)
		m->max_out = m->out;
	return 1;
}

static void mem_release(struct rf_source *src, struct rf_chunk *c)
{
	struct mem_source *m = (struct mem_source *)src;
	free(c->handle);
	c->handle = NULL;
	m->out--;
}

static void mem_close(struct rf_source *src)
{
	(void)src;
}

static const struct rf_source_ops mem_ops = { "memory", mem_next, mem_release, mem_close };

/* What the framer emitted, rebuilt as "record\n" for each record. */
struct collected {
	char *buf;
	size_t len, cap;
	uint64_t records;
	int unterminated_seen;
	int bad_batch;
	const struct rf_kernels *k;
};

static void append(struct collected *c, const char *p, size_t n)
{
	if (n == 0) /* an empty record: nothing to copy (buf may still be NULL) */
		return;
	if (c->len + n > c->cap) {
		c->cap = (c->len + n) * 2 + 64;
		c->buf = realloc(c->buf, c->cap);
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
}

static int collect(void *user, struct rf_batch *b)
{
	struct collected *c = user;
	/* every batch is whole records: it ends at a newline unless it is the
	 * input's last, unterminated line */
	if (c->unterminated_seen)
		c->bad_batch = 1;
	if (!b->unterminated && b->data[b->len - 1] != '\n')
		c->bad_batch = 1;
	if (b->unterminated && memchr(b->data, '\n', b->len) && b->data[b->len - 1] == '\n')
		c->bad_batch = 1;
	c->unterminated_seen |= b->unterminated;
	c->records += rf__batch_all_records(b, c->k);
	append(c, b->data, b->len);
	if (b->unterminated)
		append(c, "\n", 1);
	return 0;
}

/* Oracle: number of records, and the text with a final newline added. */
static uint64_t oracle_records(const char *p, size_t n)
{
	uint64_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += p[i] == '\n';
	return k + (n > 0 && p[n - 1] != '\n');
}

static char *make_text(uint64_t seed, size_t nlines, int trailing_newline, size_t *len)
{
	uint64_t rs = seed;
	size_t cap = nlines * 80 + 16, n = 0;
	char *p = malloc(cap);
	for (size_t i = 0; i < nlines; i++) {
		size_t l = test_rand(&rs) % 7 == 0 ? 0 : test_rand(&rs) % 60;
		for (size_t j = 0; j < l; j++) {
			static const char chars[] = "abc 404\r\0xyz\xff";
			p[n++] = chars[test_rand(&rs) % (sizeof chars - 1)];
		}
		if (i + 1 < nlines || trailing_newline)
			p[n++] = '\n';
	}
	*len = n;
	return p;
}

static void frame_and_check(const char *text, size_t len, const size_t *sizes, size_t nsizes,
			    size_t headroom, size_t max_record)
{
	const struct rf_kernels *k = rf__kernels(RF_SIMD_AUTO);
	struct mem_source m = { .base.ops = &mem_ops, .data = text, .len = len, .sizes = sizes,
				.nsizes = nsizes, .headroom = headroom };
	struct collected c = { .k = k };
	struct rf_framer f;
	rf__framer_init(&f, k, max_record, collect, &c);
	ck_assert_int_eq(rf__framer_run(&f, &m.base), 0);
	ck_assert_int_eq(m.out, 0);              /* everything released */
	ck_assert_int_le(m.max_out, 2);          /* at most the carry's chunk and the next */
	ck_assert_int_eq(c.bad_batch, 0);
	ck_assert_uint_eq(c.records, oracle_records(text, len));
	size_t want_len = len + (len && text[len - 1] != '\n');
	ck_assert_uint_eq(c.len, want_len);
	ck_assert(len == 0 || memcmp(c.buf, text, len) == 0);
	rf__framer_free(&f);
	free(c.buf);
}

START_TEST(test_every_fixed_chunk_size)
{
	for (int trailing = 0; trailing <= 1; trailing++) {
		size_t len;
		char *text = make_text(100 + (uint64_t)trailing, 300, trailing, &len);
		for (size_t size = 1; size <= 150; size++) {
			size_t headrooms[] = { 0, 1, 16, 64, 4096 };
			for (size_t h = 0; h < sizeof headrooms / sizeof *headrooms; h++)
				frame_and_check(text, len, &size, 1, headrooms[h], 1 << 20);
		}
		free(text);
	}
}
END_TEST

START_TEST(test_random_chunk_sizes)
{
	uint64_t rs = 42;
	for (int round = 0; round < 200; round++) {
		size_t len;
		char *text = make_text((uint64_t)round, 1 + test_rand(&rs) % 200, (int)(test_rand(&rs) & 1), &len);
		size_t sizes[17];
		for (size_t i = 0; i < 17; i++)
			sizes[i] = 1 + test_rand(&rs) % 300;
		frame_and_check(text, len, sizes, 17, test_rand(&rs) % 128, 1 << 20);
		free(text);
	}
}
END_TEST

START_TEST(test_empty_and_single_bytes)
{
	size_t one = 1, big = 4096;
	frame_and_check("", 0, &one, 1, 0, 100);
	frame_and_check("\n", 1, &one, 1, 0, 100);
	frame_and_check("x", 1, &one, 1, 0, 100);
	frame_and_check("\n\n\n", 3, &big, 1, 8, 100);
	frame_and_check("no newline at all", 17, &one, 1, 4, 100);
}
END_TEST

START_TEST(test_record_longer_than_max)
{
	const struct rf_kernels *k = rf__kernels(RF_SIMD_AUTO);
	char text[400];
	memset(text, 'a', sizeof text);
	memcpy(text, "ok\nok\n", 6);
	text[300] = '\n';  /* record 3 spans bytes 6..300 */
	size_t size = 50;
	struct mem_source m = { .base.ops = &mem_ops, .data = text, .len = sizeof text, .sizes = &size,
				.nsizes = 1, .headroom = 0 };
	struct collected c = { .k = k };
	struct rf_framer f;
	rf__framer_init(&f, k, 200, collect, &c);
	ck_assert_int_eq(rf__framer_run(&f, &m.base), -E2BIG);
	ck_assert_uint_eq(f.error_offset, 6);
	ck_assert_int_eq(m.out, 0);
	rf__framer_free(&f);
	free(c.buf);
	m.base.ops->close(&m.base);
}
END_TEST

/* ---- CSV: records end only at newlines outside quotes ---- */

/* Each record of each batch, cut by rf__batch_expand as the parse stage
 * sees it, rebuilt as "record\n". */
static int collect_records(void *user, struct rf_batch *b)
{
	struct collected *c = user;
	if (!b->unterminated && b->data[b->len - 1] != '\n')
		c->bad_batch = 1;
	if (rf__batch_expand(b, c->k) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->nsel; i++) {
		append(c, b->data + b->sel[i].off, b->sel[i].len);
		append(c, "\n", 1);
	}
	c->records += b->nsel;
	return 0;
}

/* Oracle: walk the fields as RFC 4180 reads them (a quote opens a quoted
 * field only at a field's start; "" inside is a quote).  Returns the
 * number of records; *ends[i] is the offset just past record i's newline. */
static size_t oracle_csv(const char *p, size_t n, char sep, size_t *ends)
{
	size_t i = 0, nrec = 0;
	while (i < n) {
		for (;;) { /* fields of one record */
			if (i < n && p[i] == '"') {
				i++;
				while (i < n && !(p[i] == '"' && !(i + 1 < n && p[i + 1] == '"')))
					i += p[i] == '"' ? 2 : 1;
				i++; /* the closing quote */
			}
			while (i < n && p[i] != sep && p[i] != '\n')
				i++;
			if (i < n && p[i] == sep) {
				i++;
				continue;
			}
			break;
		}
		i = i < n ? i + 1 : n;
		ends[nrec++] = i;
	}
	return nrec;
}

static char *make_csv(uint64_t seed, size_t nrec, char sep, size_t *len)
{
	uint64_t rs = seed;
	size_t cap = nrec * 400 + 16, n = 0;
	char *p = malloc(cap);
	for (size_t r = 0; r < nrec; r++) {
		size_t nf = 1 + test_rand(&rs) % 4;
		for (size_t f = 0; f < nf; f++) {
			if (f)
				p[n++] = sep;
			size_t l = test_rand(&rs) % 40;
			int q = test_rand(&rs) % 2;
			if (q)
				p[n++] = '"';
			for (size_t j = 0; j < l; j++) {
				/* quotes, separators and newlines everywhere: doubled
				 * inside quoted fields, bare in unquoted ones */
				static const char chars[] = "ab\n\",\t\r x";
				char ch = chars[test_rand(&rs) % (sizeof chars - 1)];
				if (!q && (ch == '\n' || ch == sep || (j == 0 && ch == '"')))
					ch = 'u'; /* a quote at the start would open quotes */
				p[n++] = ch;
				if (q && ch == '"')
					p[n++] = '"';
			}
			if (q) {
				p[n++] = '"';
				if (test_rand(&rs) % 8 == 0)
					p[n++] = 'z'; /* text after a closing quote */
			}
		}
		p[n++] = '\n';
	}
	if (n && test_rand(&rs) % 2)
		n--; /* no final newline */
	*len = n;
	return p;
}

static void frame_csv_and_check(const char *text, size_t len, char sep, const size_t *sizes, size_t nsizes,
				size_t headroom)
{
	const struct rf_kernels *k = rf__kernels(RF_SIMD_AUTO);
	struct mem_source m = { .base.ops = &mem_ops, .data = text, .len = len, .sizes = sizes,
				.nsizes = nsizes, .headroom = headroom };
	struct collected c = { .k = k };
	struct rf_framer f;
	rf__framer_init(&f, k, 1 << 20, collect_records, &c);
	f.quote_sep = sep;
	ck_assert_int_eq(rf__framer_run(&f, &m.base), 0);
	ck_assert_int_eq(m.out, 0);
	ck_assert_int_eq(c.bad_batch, 0);
	size_t *ends = malloc((len + 1) * sizeof *ends);
	size_t nrec = oracle_csv(text, len, sep, ends);
	ck_assert_uint_eq(c.records, nrec);
	/* the same records: each one's bytes without the newline that ends
	 * it (the last one's too, even when its quote never closed and the
	 * input's final newline is inside it), then a newline */
	char *want = malloc(len + 1);
	size_t want_len = 0, from = 0;
	for (size_t r = 0; r < nrec; r++) {
		size_t to = ends[r];
		if (to > from && text[to - 1] == '\n')
			to--;
		memcpy(want + want_len, text + from, to - from);
		want_len += to - from;
		want[want_len++] = '\n';
		from = ends[r];
	}
	ck_assert_uint_eq(c.len, want_len);
	ck_assert(want_len == 0 || memcmp(c.buf, want, want_len) == 0);
	rf__framer_free(&f);
	free(want);
	free(ends);
	free(c.buf);
}

START_TEST(test_csv_quoted_newlines)
{
	/* a record whose quoted field holds newlines, cut at every byte */
	const char *text = "id,note\n1,\"a\nb\"\"\nc\",x\n2,plain\n3,\"\n\n\"\n4,x\"y\n5,\"q\"z\n";
	size_t len = strlen(text), ends[32];
	ck_assert_uint_eq(oracle_csv(text, len, ',', ends), 6);
	for (size_t size = 1; size <= len; size++) {
		size_t headrooms[] = { 0, 3, 64 };
		for (size_t h = 0; h < 3; h++)
			frame_csv_and_check(text, len, ',', &size, 1, headrooms[h]);
	}
	uint64_t rs = 7;
	for (int round = 0; round < 300; round++) {
		char sep = round % 3 == 0 ? '\t' : ',';
		char *t = make_csv((uint64_t)round, 1 + test_rand(&rs) % 60, sep, &len);
		size_t sizes[11];
		for (size_t i = 0; i < 11; i++)
			sizes[i] = 1 + test_rand(&rs) % 200;
		frame_csv_and_check(t, len, sep, sizes, 11, test_rand(&rs) % 96);
		free(t);
	}
	/* long unquoted fields before a quoted one, and runs of plain
	 * records: the quote far from the record's start or from the last */
	char buf[8192];
	for (int round = 0; round < 200; round++) {
		char sep = round % 2 ? '\t' : ',';
		size_t n = 0;
		while (n < sizeof buf - 600) {
			size_t pre = test_rand(&rs) % 200;
			for (size_t j = 0; j < pre; j++)
				buf[n++] = j % 9 == 8 ? sep : 'p';
			if (test_rand(&rs) % 3) {
				if (pre)
					buf[n++] = sep;
				buf[n++] = '"';
				size_t in = test_rand(&rs) % 150;
				for (size_t j = 0; j < in; j++) {
					char ch = "q\n\"q,\t"[test_rand(&rs) % 6];
					buf[n++] = ch;
					if (ch == '"')
						buf[n++] = '"';
				}
				buf[n++] = '"';
				if (test_rand(&rs) % 2)
					buf[n++] = 'z';
			}
			buf[n++] = '\n';
		}
		size_t sizes[3] = { 1 + test_rand(&rs) % 700, 1 + test_rand(&rs) % 50, 1 + test_rand(&rs) % 3000 };
		frame_csv_and_check(buf, n, sep, sizes, 3, test_rand(&rs) % 2 ? 0 : 128);
	}
}
END_TEST

START_TEST(test_csv_open_quote_at_end)
{
	/* a quote still open at the end of the input: the last record runs to
	 * the end, but the input's final newline ends it as it ends any last
	 * record, whether the record is a carry or went through the spill */
	const char *texts[] = {
		"n\tb\nx\t\"multi\n",
		"n\tb\nx\t\"multi\nline\n\n",
		"n\tb\nx\t\"a\"\"b\n",
		"\"\n",
		"n\tb\n\t\"\nx",
	};
	for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
		size_t len = strlen(texts[t]);
		for (size_t size = 1; size <= len; size++) {
			size_t headrooms[] = { 0, 2, 64 };
			for (size_t h = 0; h < 3; h++)
				frame_csv_and_check(texts[t], len, '\t', &size, 1, headrooms[h]);
		}
	}
	/* the one from the issue, by hand: its line is x<TAB>"multi */
	const struct rf_kernels *k = rf__kernels(RF_SIMD_AUTO);
	size_t size = 4096;
	struct mem_source m = { .base.ops = &mem_ops, .data = texts[0], .len = strlen(texts[0]),
				.sizes = &size, .nsizes = 1, .headroom = 0 };
	struct collected c = { .k = k };
	struct rf_framer f;
	rf__framer_init(&f, k, 1 << 20, collect_records, &c);
	f.quote_sep = '\t';
	ck_assert_int_eq(rf__framer_run(&f, &m.base), 0);
	ck_assert_uint_eq(c.records, 2);
	ck_assert_uint_eq(c.len, 13);
	ck_assert(memcmp(c.buf, "n\tb\nx\t\"multi\n", 13) == 0);
	rf__framer_free(&f);
	free(c.buf);
	/* random csv with a quoted field left open at the end */
	uint64_t rs = 99;
	for (int round = 0; round < 200; round++) {
		char sep = round % 2 ? '\t' : ',';
		size_t n;
		char *body = make_csv((uint64_t)round + 1000, 1 + test_rand(&rs) % 20, sep, &n);
		char *t = malloc(n + 64);
		memcpy(t, body, n);
		free(body);
		if (n && t[n - 1] != '\n')
			t[n++] = '\n';
		t[n++] = 'k';
		t[n++] = sep;
		t[n++] = '"';
		size_t tail = test_rand(&rs) % 12;
		for (size_t j = 0; j < tail; j++)
			t[n++] = "a\n,\t\r\""[test_rand(&rs) % 5]; /* no quote: stays open */
		if (test_rand(&rs) % 2)
			t[n++] = '\n';
		size_t sizes[5];
		for (size_t i = 0; i < 5; i++)
			sizes[i] = 1 + test_rand(&rs) % 64;
		frame_csv_and_check(t, n, sep, sizes, 5, test_rand(&rs) % 2 ? 0 : 64);
		free(t);
	}
}
END_TEST

/* The byte-at-a-time record-end scan the fast one replaced, kept here as
 * the oracle: one state per byte, nothing skipped. */
static const char *slow_find_end(const char *p, size_t n, char sep, int *state)
{
	int s = *state;
	for (const char *end = p + n; p < end; p++) {
		char c = *p;
		switch (s) {
		case RF_Q_QUOTED:
			if (c == '"')
				s = RF_Q_QUOTE_SEEN;
			continue;
		case RF_Q_START:
			if (c == '"') {
				s = RF_Q_QUOTED;
				continue;
			}
			break;
		case RF_Q_QUOTE_SEEN:
			if (c == '"') {
				s = RF_Q_QUOTED;
				continue;
			}
			break;
		}
		if (c == '\n') {
			*state = RF_Q_START;
			return p;
		}
		s = c == sep ? RF_Q_START : RF_Q_UNQUOTED;
	}
	*state = s;
	return NULL;
}

static const char *slow_find_last_end(const char *p, size_t n, char sep, int *state)
{
	const char *last = NULL, *end = p + n;
	int s = RF_Q_START;
	const char *nl;
	while ((nl = slow_find_end(p, (size_t)(end - p), sep, &s))) {
		last = nl;
		p = nl + 1;
	}
	*state = s;
	return last;
}

/* Every record end of [p, p + n) found by the fast scan with the input cut
 * at `cut`: the state carried over the cut as the framer carries it. */
static size_t fast_ends_cut(const char *p, size_t n, size_t cut, char sep, int s, size_t *out)
{
	size_t k = 0, from = 0;
	for (int part = 0; part < 2; part++) {
		size_t to = part ? n : cut;
		const char *nl;
		while (from < to && (nl = rf__csv_find_end(p + from, to - from, sep, &s))) {
			out[k++] = (size_t)(nl - p);
			from = (size_t)(nl - p) + 1;
		}
		if (from < to)
			from = to;
	}
	return k;
}

START_TEST(test_csv_fast_scan_matches_bytewise)
{
	/* inputs of a , " \n \r (and tabs), every start state, every cut */
	uint64_t rs = 2026;
	char t[96];
	size_t want[96], got[96];
	/* mismatches are counted and asserted once: a check assertion per
	 * comparison costs a system call */
	long bad = 0;
	int bad_round = -1;
	for (int round = 0; round < 3000; round++) {
		char sep = round % 4 == 3 ? '\t' : ',';
		static const char chars[] = "a,\"\n\r\"\t";
		size_t len = test_rand(&rs) % (round < 2000 ? 24 : 90);
		/* some rounds mostly plain text, for long jumps */
		int plain = round % 3 == 2;
		for (size_t i = 0; i < len; i++)
			t[i] = plain && test_rand(&rs) % 16 ? 'a' : chars[test_rand(&rs) % (sizeof chars - 1)];
		for (int s0 = RF_Q_START; s0 <= RF_Q_QUOTE_SEEN; s0++) {
			/* the first end of every piece [i, j) */
			for (size_t i = 0; i <= len; i++) {
				for (size_t j = i; j <= len; j++) {
					int a = s0, b = s0;
					const char *ea = slow_find_end(t + i, j - i, sep, &a);
					const char *eb = rf__csv_find_end(t + i, j - i, sep, &b);
					if (ea != eb || a != b) {
						bad++;
						bad_round = round;
					}
				}
			}
			/* all ends, the input cut anywhere */
			size_t nw = 0, from = 0;
			int s = s0;
			const char *nl;
			while (from < len && (nl = slow_find_end(t + from, len - from, sep, &s))) {
				want[nw++] = (size_t)(nl - t);
				from = (size_t)(nl - t) + 1;
			}
			for (size_t cut = 0; cut <= len; cut++) {
				size_t ng = fast_ends_cut(t, len, cut, sep, s0, got);
				if (ng != nw || (nw && memcmp(got, want, nw * sizeof *want) != 0)) {
					bad++;
					bad_round = round;
				}
			}
		}
		/* the last end of every piece, which starts a record */
		for (size_t i = 0; i <= len; i++) {
			for (size_t j = i; j <= len; j++) {
				int a = -1, b = -1;
				const char *ea = slow_find_last_end(t + i, j - i, sep, &a);
				const char *eb = rf__csv_find_last_end(t + i, j - i, sep, &b);
				if (ea != eb || a != b) {
					bad++;
					bad_round = round;
				}
			}
		}
	}
	ck_assert_msg(bad == 0, "%ld mismatches, the last in round %d", bad, bad_round);
}
END_TEST

START_TEST(test_csv_long_record_skipped)
{
	/* --on-long=skip drops the whole quoted record, newlines and all */
	const struct rf_kernels *k = rf__kernels(RF_SIMD_AUTO);
	char text[1200];
	size_t n = 0;
	n += (size_t)sprintf(text + n, "a,b\n1,\"");
	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf(text + n, "line\n,\"\"");
	n += (size_t)sprintf(text + n, "\"\n2,ok\n");
	for (size_t size = 7; size < 200; size += 13) {
		for (size_t h = 0; h <= 64; h += 64) {
			struct mem_source m = { .base.ops = &mem_ops, .data = text, .len = n, .sizes = &size,
						.nsizes = 1, .headroom = h };
			struct collected c = { .k = k };
			struct rf_framer f;
			rf__framer_init(&f, k, 200, collect_records, &c);
			f.quote_sep = ',';
			f.skip_long = 1;
			ck_assert_int_eq(rf__framer_run(&f, &m.base), 0);
			ck_assert_uint_eq(f.long_skipped, 1);
			ck_assert_uint_eq(c.records, 2);
			ck_assert_uint_eq(c.len, 9);
			ck_assert(memcmp(c.buf, "a,b\n2,ok\n", 9) == 0);
			ck_assert_int_eq(m.out, 0);
			rf__framer_free(&f);
			free(c.buf);
		}
	}
}
END_TEST

/* ---- multiline records: a record runs from a start line to the next ---- */

/* Random lines: most start a record under the indent rule (a first byte
 * that is not a blank), some continue it (a blank first, or empty), some
 * end in CR; long runs of continuation lines make records over max_record. */
static char *make_ml_text(uint64_t seed, size_t nlines, int trailing_newline, size_t *len)
{
	char *t = malloc(nlines * 48 + 1);
	size_t n = 0;
	for (size_t i = 0; i < nlines; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		unsigned r = (unsigned)(seed >> 33);
		int kind = (int)(r % 8); /* 0-2 start, 3-5 blank-led, 6 empty, 7 tab-led */
		size_t l = (r >> 4) % 40;
		if (kind == 6)
			l = 0;
		for (size_t j = 0; j < l; j++)
			t[n++] = (char)('a' + (j + r) % 26);
		if (kind >= 3 && kind <= 5 && l)
			t[n - l] = ' ';
		if (kind == 7)
			t[n++] = '\t';
		if (kind < 3 && l)
			t[n - l] = 'S';
		if ((r >> 12) % 9 == 0)
			t[n++] = '\r';
		if (i + 1 < nlines || trailing_newline)
			t[n++] = '\n';
	}
	*len = n;
	return t;
}

/* Oracle: the indent rule over whole lines, records rebuilt as "record\n",
 * those longer than max_record (without their newline) left out. */
static size_t oracle_ml(const char *p, size_t n, size_t max_record, char *out, size_t *out_len, size_t *skipped)
{
	size_t nrec = 0, i = 0, from = 0;
	*out_len = 0;
	*skipped = 0;
	while (i <= n) {
		/* i: a line's start; is it a record's (or the end)? */
		int start = i == n || (i > 0 && p[i] != ' ' && p[i] != '\t' && p[i] != '\n' &&
				       !(p[i] == '\r' && (i + 1 == n || p[i + 1] == '\n')));
		if (start && i > from) {
			size_t to = i; /* the record is [from, to), its newline included */
			size_t body = p[to - 1] == '\n' ? to - 1 - from : to - from;
			if (body > max_record) {
				(*skipped)++;
			} else {
				memcpy(out + *out_len, p + from, body);
				*out_len += body;
				out[(*out_len)++] = '\n';
				nrec++;
			}
			from = i;
		}
		if (i == n)
			break;
		const char *nl = memchr(p + i, '\n', n - i);
		i = nl ? (size_t)(nl - p) + 1 : n;
	}
	return nrec;
}

static void frame_ml_and_check(const char *text, size_t len, const size_t *sizes, size_t nsizes, size_t headroom,
			       size_t max_record, int skip)
{
	const struct rf_kernels *k = rf__kernels(RF_SIMD_AUTO);
	struct rf_ml ml;
	ck_assert_int_eq(rf__ml_init(&ml, "indent", NULL, NULL), 0);
	struct mem_source m = { .base.ops = &mem_ops, .data = text, .len = len, .sizes = sizes,
				.nsizes = nsizes, .headroom = headroom };
	struct collected c = { .k = k };
	struct rf_framer f;
	rf__framer_init(&f, k, max_record, collect_records, &c);
	f.ml = &ml;
	f.skip_long = skip;
	int r = rf__framer_run(&f, &m.base);
	char *want = malloc(len + 2);
	size_t want_len, skipped;
	size_t nrec = oracle_ml(text, len, max_record, want, &want_len, &skipped);
	if (!skip && skipped) {
		ck_assert_int_eq(r, -E2BIG);
	} else {
		ck_assert_int_eq(r, 0);
		if (getenv("MLDEBUG") && (c.len != want_len || memcmp(c.buf, want, want_len))) {
			size_t d = 0;
			while (d < c.len && d < want_len && c.buf[d] == want[d])
				d++;
			fprintf(stderr, "size %zu headroom %zu skipped %llu/%zu: differ at %zu\n--got: %.*s\n--want: %.*s\n",
				sizes[0], headroom, (unsigned long long)f.long_skipped, skipped, d, 200,
				c.buf + (d > 60 ? d - 60 : 0), 200, want + (d > 60 ? d - 60 : 0));
			abort();
		}
		ck_assert_uint_eq(f.long_skipped, skipped);
		ck_assert_uint_eq(c.records, nrec);
		ck_assert_uint_eq(c.len, want_len);
		ck_assert(want_len == 0 || memcmp(c.buf, want, want_len) == 0);
	}
	ck_assert_int_eq(c.bad_batch, 0);
	ck_assert_int_eq(m.out, 0);
	rf__framer_free(&f);
	rf__ml_free(&ml);
	free(want);
	free(c.buf);
}

START_TEST(test_multiline_every_chunk_size)
{
	for (int trailing = 0; trailing <= 1; trailing++) {
		size_t len;
		char *text = make_ml_text(1600 + (uint64_t)trailing, 300, trailing, &len);
		for (size_t size = 1; size <= 160; size++) {
			size_t headrooms[] = { 0, 5, 64, 4096 };
			for (size_t h = 0; h < sizeof headrooms / sizeof *headrooms; h++)
				frame_ml_and_check(text, len, &size, 1, headrooms[h], 1 << 20, 0);
		}
		size_t sizes[] = { 3, 170, 1, 64, 29, 400, 7 };
		frame_ml_and_check(text, len, sizes, 7, 0, 1 << 20, 0);
		frame_ml_and_check(text, len, sizes, 7, 100, 1 << 20, 0);
		free(text);
	}
}
END_TEST

START_TEST(test_multiline_long_records_skipped)
{
	/* records over max_record skipped whole, at every chunk size, in the
	 * chunk, across chunk ends, in the spill */
	for (int trailing = 0; trailing <= 1; trailing++) {
		size_t len;
		char *text = make_ml_text(77 + (uint64_t)trailing, 400, trailing, &len);
		for (size_t size = 1; size <= 300; size += 1 + size / 16) {
			size_t headrooms[] = { 0, 64, 4096 };
			for (size_t h = 0; h < sizeof headrooms / sizeof *headrooms; h++) {
				frame_ml_and_check(text, len, &size, 1, headrooms[h], 120, 1);
				frame_ml_and_check(text, len, &size, 1, headrooms[h], 120, 0);
			}
		}
		free(text);
	}
}
END_TEST

/* ---- whole queries over real files, per backend ---- */

static char tmpdir[64];

static void make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/rf-framer-XXXXXX", base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/in", tmpdir);
	unlink(path);
	snprintf(path, sizeof path, "%s/out", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

static void write_file(const char *path, const char *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static char *read_file(const char *path, size_t *n)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	char *p = malloc((size_t)st.st_size + 1);
	int fd = open(path, O_RDONLY);
	ck_assert_int_eq(read(fd, p, (size_t)st.st_size), st.st_size);
	close(fd);
	p[st.st_size] = 0;
	*n = (size_t)st.st_size;
	return p;
}

/* ---- batches that keep their chunk (parallel and pipeline mode) ---- */

/* What a work item would keep of each batch: a reference, and where its
 * bytes are. */
struct kept {
	struct rf_chunk_ref *ref[4096];
	const char *data[4096];
	size_t len[4096];
	int unterminated[4096];
	int n, without_ref;
	size_t text_len;
	int first_unmapped;       /* the first batch's window is gone at the end */
};

static int keep_batch(void *user, struct rf_batch *b)
{
	struct kept *k = user;
	ck_assert_int_lt(k->n, 4096);
	if (!b->ref) {
		k->without_ref++;
		return 0;
	}
	rf__chunk_hold(b->ref);
	k->ref[k->n] = b->ref;
	k->data[k->n] = b->data;
	k->len[k->n] = b->len;
	k->unterminated[k->n] = b->unterminated;
	k->n++;
	return 0;
}

/* Is the page of p mapped?  mincore says ENOMEM for an unmapped one. */
static int mapped(const void *p)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char vec;
	return mincore((void *)((uintptr_t)p / page * page), page, &vec) == 0;
}

/* Read every kept batch and let it go, on a thread of its own (as a
 * worker would), after the framer and the source are done. */
static void *release_kept(void *arg)
{
	struct kept *k = arg;
	struct collected *c = calloc(1, sizeof *c);
	/* all the room at once: no mapping of ours may take a window's place */
	c->cap = k->text_len + 64;
	c->buf = malloc(c->cap);
	for (int i = 0; i < k->n; i++) {
		append(c, k->data[i], k->len[i]);
		if (k->unterminated[i])
			append(c, "\n", 1);
		rf__chunk_unref(k->ref[i]);
	}
	k->first_unmapped = !mapped(k->data[0]);
	return c;
}

START_TEST(test_batches_keep_their_window)
{
	size_t len;
	char *text = make_text(77, 6000, 0, &len);
	char path[128];
	snprintf(path, sizeof path, "%s/in", tmpdir);
	write_file(path, text, len);
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	struct rf_input_desc in = { .fd = fd, .size = len };
	struct rf_source *src;
	ck_assert_int_eq(rf__source_mmap_open(&src, &in, 4096), 0); /* many windows */
	struct kept *k = calloc(1, sizeof *k);
	struct rf_framer f;
	rf__framer_init(&f, rf__kernels(RF_SIMD_AUTO), 1 << 20, keep_batch, k);
	ck_assert_int_eq(rf__framer_run(&f, src), 0);
	/* the input is done and closed, its file too: the windows stay while
	 * the batches hold them */
	src->ops->close(src);
	close(fd);
	ck_assert_int_eq(k->without_ref, 0); /* spilled records too: no copy */
	ck_assert_int_gt(k->n, 40);
	ck_assert(mapped(k->data[0])); /* the first window, still held */
	k->text_len = len;
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, release_kept, k), 0);
	struct collected *c;
	ck_assert_int_eq(pthread_join(th, (void **)&c), 0);
	/* every record, in order, read after the framer let go */
	ck_assert_uint_eq(c->len, len + 1);
	ck_assert(memcmp(c->buf, text, len) == 0);
	/* and the last holder unmapped it */
	ck_assert_int_eq(k->first_unmapped, 1);
	rf__framer_free(&f);
	free(c->buf);
	free(c);
	free(k);
	free(text);
}
END_TEST

/* Run `query` over path with a backend; returns rf_run's status and the
 * output in *out. */
static int run_query(const char *query, const char *path, enum rf_io io, char **out, size_t *out_len)
{
	rf_query *q;
	struct rf_query_error err;
	ck_assert_int_eq(rf_query_parse(query, &q, &err), 0);
	char outpath[128];
	snprintf(outpath, sizeof outpath, "%s/out", tmpdir);
	int fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct rf_options opt;
	rf_options_init(&opt);
	opt.catch_sigbus = 1; /* mmap among the backends, as the command reads */
	opt.io = io;
	opt.out_fd = fd;
	opt.memory = 1 << 20;          /* tiny pool: 64 KiB buffers, many cuts */
	opt.buffer_size = 64 << 10;
	opt.window_size = 4096;        /* tiny mmap windows */
	const char *files[] = { path };
	int r = rf_run(q, files, 1, &opt, NULL);
	close(fd);
	rf_query_free(q);
	*out = read_file(outpath, out_len);
	return r;
}

/* grep -F by hand: the lines holding lit, each with a newline. */
static char *oracle_grep(const char *p, size_t n, const char *lit, size_t *out_len)
{
	char *out = malloc(n + 2);
	size_t o = 0, start = 0, m = strlen(lit);
	while (start < n) {
		size_t end = start;
		while (end < n && p[end] != '\n')
			end++;
		int hit = 0;
		for (size_t i = start; i + m <= end && !hit; i++)
			hit = memcmp(p + i, lit, m) == 0;
		if (hit) {
			memcpy(out + o, p + start, end - start);
			o += end - start;
			out[o++] = '\n';
		}
		start = end + 1;
	}
	*out_len = o;
	return out;
}

static void check_file_all_backends(const char *text, size_t len, const char *lit)
{
	char path[128];
	snprintf(path, sizeof path, "%s/in", tmpdir);
	write_file(path, text, len);
	char grepq[64];
	snprintf(grepq, sizeof grepq, "grep \"%s\"", lit);
	size_t want_len;
	char *want = oracle_grep(text, len, lit, &want_len);
	enum rf_io ios[] = { RF_IO_READ, RF_IO_MMAP, RF_IO_URING };
	for (int i = 0; i < 3; i++) {
		char *out;
		size_t out_len;
		ck_assert_int_eq(run_query("count", path, ios[i], &out, &out_len), 0);
		ck_assert_msg(strtoull(out, NULL, 10) == oracle_records(text, len), "%s count: %s",
			      rf_io_name(ios[i]), out);
		free(out);
		ck_assert_int_eq(run_query(grepq, path, ios[i], &out, &out_len), 0);
		ck_assert_msg(out_len == want_len && memcmp(out, want, want_len) == 0,
			      "%s grep output differs (%zu vs %zu bytes)", rf_io_name(ios[i]), out_len, want_len);
		free(out);
	}
	free(want);
}

START_TEST(test_files_random_lines)
{
	for (int trailing = 0; trailing <= 1; trailing++) {
		size_t len;
		char *text = make_text(7 + (uint64_t)trailing, 40000, trailing, &len);
		check_file_all_backends(text, len, "404");
		free(text);
	}
}
END_TEST

START_TEST(test_files_long_lines)
{
	/* lines of 100 KB and 200 KB, longer than a 64 KiB buffer, between short ones */
	size_t len = 0, cap = 1 << 20;
	char *text = malloc(cap);
	const size_t longs[] = { 100000, 5, 200000, 65536, 65535, 65537, 1 };
	for (size_t i = 0; i < sizeof longs / sizeof *longs; i++) {
		memset(text + len, 'a' + (int)i, longs[i]);
		if (i == 2)
			memcpy(text + len + 150000, "404", 3);
		len += longs[i];
		text[len++] = '\n';
	}
	memcpy(text + len, "last 404", 8);
	len += 8;
	check_file_all_backends(text, len, "404");
	free(text);
}
END_TEST

START_TEST(test_file_12mb_line)
{
	size_t big = 12 * 1000 * 1000;
	size_t len = big + 64;
	char *text = malloc(len);
	memcpy(text, "first\n", 6);
	memset(text + 6, 'z', big);
	memcpy(text + 6 + big / 2, "NEEDLE", 6);
	memcpy(text + 6 + big, "\nsecond NEEDLE\nthird\n", 21);
	len = 6 + big + 21;
	check_file_all_backends(text, len, "NEEDLE");
	free(text);
}
END_TEST

static int errors_seen;
static char last_error[512];

static void on_error(void *user, const char *input, int err, const char *message)
{
	(void)user;
	(void)input;
	(void)err;
	errors_seen++;
	snprintf(last_error, sizeof last_error, "%s", message);
}

START_TEST(test_max_record_names_line)
{
	char path[128];
	snprintf(path, sizeof path, "%s/in", tmpdir);
	size_t len = 300000;
	char *text = malloc(len);
	memset(text, 'q', len);
	memcpy(text, "a\nb\n", 4); /* the long record is line 3 */
	text[len - 1] = '\n';
	write_file(path, text, len);
	rf_query *q;
	struct rf_query_error qe;
	ck_assert_int_eq(rf_query_parse("count", &q, &qe), 0);
	enum rf_io ios[] = { RF_IO_READ, RF_IO_MMAP, RF_IO_URING };
	for (int i = 0; i < 3; i++) {
		struct rf_options opt;
		rf_options_init(&opt);
		opt.catch_sigbus = 1; /* mmap among the backends, as the command reads */
		opt.io = ios[i];
		opt.out_fd = open("/dev/null", O_WRONLY);
		opt.buffer_size = 64 << 10;
		opt.window_size = 64 << 10;
		opt.max_record = 100000;
		opt.on_error = on_error;
		errors_seen = 0;
		const char *files[] = { path };
		ck_assert_int_eq(rf_run(q, files, 1, &opt, NULL), 1);
		ck_assert_int_eq(errors_seen, 1);
		ck_assert_msg(strstr(last_error, "line 3:") != NULL, "%s", last_error);
		close(opt.out_fd);
	}
	rf_query_free(q);
	free(text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("framer");
	TCase *unit = tcase_create("chunks");
	tcase_set_timeout(unit, 120);
	tcase_add_test(unit, test_every_fixed_chunk_size);
	tcase_add_test(unit, test_random_chunk_sizes);
	tcase_add_test(unit, test_empty_and_single_bytes);
	tcase_add_test(unit, test_record_longer_than_max);
	tcase_add_test(unit, test_csv_quoted_newlines);
	tcase_add_test(unit, test_csv_long_record_skipped);
	tcase_add_test(unit, test_csv_open_quote_at_end);
	tcase_add_test(unit, test_csv_fast_scan_matches_bytewise);
	tcase_add_test(unit, test_multiline_every_chunk_size);
	tcase_add_test(unit, test_multiline_long_records_skipped);
	suite_add_tcase(s, unit);
	TCase *files = tcase_create("files");
	tcase_add_checked_fixture(files, make_tmpdir, remove_tmpdir);
	tcase_set_timeout(files, 120);
	tcase_add_test(files, test_files_random_lines);
	tcase_add_test(files, test_files_long_lines);
	tcase_add_test(files, test_file_12mb_line);
	tcase_add_test(files, test_max_record_names_line);
	tcase_add_test(files, test_batches_keep_their_window);
	suite_add_tcase(s, files);
	return run_suite(s);
}
