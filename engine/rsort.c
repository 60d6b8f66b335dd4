/* SPDX-License-Identifier: MIT */
/* rsort.c - the record sort's sorter (see stage_sort.c): on the runner's
 * side, fed the finished records in input order by output_rows. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "run.h"
#include "stages.h"
#include "table.h"
#include "rsort.h"

/* ---- the sorter --------------------------------------------------------
 *
 * A record is kept as one piece: u32 length of the rest, u64 sequence
 * number, each key as u32 length (NONE: missing) and its bytes, then the
 * payload: the line without its newline, or each select'ed column as u32
 * length (NONE) and bytes.  Sorted runs go to the file in the same form. */

struct entry {
	uint64_t pre;     /* the first key's prefix (see rf__cell_prefix) */
	const char *rec;
};

struct block {
	struct block *next;
	size_t used, cap;
	char data[];
};

struct run_span {
	uint64_t start, end;
};

struct rf_rsort {
	const struct rsort_config *sc;
	int nproj;                  /* select'ed columns, 0: lines */
	const struct rf_fieldref *proj;
	const char *proj_name[RF_TABLE_MAX_COLS]; /* their names as select gives them (aliases) */
	uint64_t limit;             /* records printed at most */
	int heap;                   /* keep the `limit` first only */
	uint64_t seq;
	size_t budget, held;
	struct block *blocks;
	struct entry *e;
	size_t n, cap;
	char *scratch;              /* the record being built */
	size_t scratch_cap;
	int fd;                     /* the runs' file, -1 none yet */
	uint64_t file_len;
	struct run_span *runs;
	size_t nruns;
	uint64_t spilled;           /* bytes written to the file */
};

static uint32_t get32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static size_t rec_size(const char *rec)
{
	return 4 + (size_t)get32(rec);
}

/* Key i of a record as a cell. */
static void key_cell(const struct rf_rsort *s, const char *rec, int i, struct rf_cell *c)
{
	const char *p = rec + 12;
	for (int k = 0; k < i; k++) {
		uint32_t len = get32(p);
		p += 4 + (len == NONE ? 0 : len);
	}
	(void)s;
	uint32_t len = get32(p);
	memset(c, 0, sizeof *c);
	if (len == NONE)
		return;
	c->type = RF_CELL_STR;
	c->u.str.s = p + 4;
	c->u.str.len = len;
}

static uint64_t prefix_of(const struct rf_rsort *s, const char *rec)
{
	struct rf_cell c;
	key_cell(s, rec, 0, &c);
	uint64_t pre = rf__cell_prefix(&c);
	return s->sc->desc[0] ? ~pre : pre;
}

/* The order of records: the keys, then input order (a total order). */
static int rec_cmp(const struct rf_rsort *s, const struct entry *a, const struct entry *b)
{
	if (a->pre != b->pre)
		return a->pre < b->pre ? -1 : 1;
	const char *pa = a->rec + 12, *pb = b->rec + 12;
	for (int i = 0; i < s->sc->n; i++) {
		uint32_t la = get32(pa), lb = get32(pb);
		struct rf_cell ca = { 0 }, cb = { 0 };
		if (la != NONE) {
			ca.type = RF_CELL_STR;
			ca.u.str.s = pa + 4;
			ca.u.str.len = la;
		}
		if (lb != NONE) {
			cb.type = RF_CELL_STR;
			cb.u.str.s = pb + 4;
			cb.u.str.len = lb;
		}
		int c = rf__cell_cmp_value(&ca, &cb);
		if (c)
			return s->sc->desc[i] ? -c : c;
		pa += 4 + (la == NONE ? 0 : la);
		pb += 4 + (lb == NONE ? 0 : lb);
	}
	uint64_t qa = get64(a->rec + 4), qb = get64(b->rec + 4);
	return (qa > qb) - (qa < qb);
}

static int entry_qsort_cmp(const void *a, const void *b, void *user)
{
	return rec_cmp(user, a, b);
}

struct rf_rsort *rf__rsort_new(const rf_query *q, int stage, size_t budget)
{
	struct rf_rsort *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->sc = q->stage[stage].config;
	s->fd = -1;
	s->budget = budget;
	s->limit = s->sc->top ? s->sc->limit : UINT64_MAX;
	for (int i = stage + 1; i < q->nstages; i++)
		if (q->stage[i].verb == &rf__verb_head_sorted) {
			uint64_t n = ((const struct count_config *)q->stage[i].config)->n;
			if (n < s->limit)
				s->limit = n;
		}
	s->heap = s->limit <= RSORT_HEAP_MAX;
	if (q->project_stage >= 0) {
		s->nproj = rf__select_fields(&q->stage[q->project_stage], &s->proj);
		rf__select_names(&q->stage[q->project_stage], s->proj_name);
	}
	return s;
}

static void free_blocks(struct rf_rsort *s)
{
	while (s->blocks) {
		struct block *b = s->blocks;
		s->blocks = b->next;
		free(b);
	}
}

void rf__rsort_free(struct rf_rsort *s)
{
	if (!s)
		return;
	if (s->heap)
		for (size_t i = 0; i < s->n; i++)
			free((void *)s->e[i].rec);
	free_blocks(s);
	free(s->e);
	free(s->scratch);
	free(s->runs);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static int put(struct rf_rsort *s, size_t *at, const void *p, size_t n)
{
	if (*at + n > s->scratch_cap) {
		size_t cap = s->scratch_cap ? s->scratch_cap : 4096;
		while (cap < *at + n)
			cap *= 2;
		char *m = realloc(s->scratch, cap);
		if (!m)
			return -ENOMEM;
		s->scratch = m;
		s->scratch_cap = cap;
	}
	memcpy(s->scratch + *at, p, n);
	*at += n;
	return 0;
}

static int put_value(struct rf_rsort *s, size_t *at, struct rf_value v)
{
	uint32_t len = rf_value_missing(v) ? NONE : (uint32_t)v.len;
	int r = put(s, at, &len, 4);
	if (r == 0 && len != NONE)
		r = put(s, at, v.p, len);
	return r;
}

/* Record `row` of b into the scratch buffer. */
static int build(struct rf_rsort *s, const struct rf_batch *b, uint32_t row)
{
	size_t at = 4;
	uint64_t seq = s->seq++;
	int r = put(s, &at, &seq, 8);
	for (int i = 0; r == 0 && i < s->sc->n; i++)
		r = put_value(s, &at, rf__field(b, row, &s->sc->key[i]));
	if (s->nproj)
		for (int i = 0; r == 0 && i < s->nproj; i++)
			r = put_value(s, &at, rf__field(b, row, &s->proj[i]));
	else if (r == 0)
		r = put(s, &at, b->data + b->sel[row].off, b->sel[row].len);
	if (r < 0)
		return r;
	if (at - 4 >= NONE)
		return -E2BIG;
	uint32_t len = (uint32_t)(at - 4);
	memcpy(s->scratch, &len, 4);
	return 0;
}

/* The heap of top N: its root is the last of the N first records. */
static void sift_down(struct rf_rsort *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < s->n && rec_cmp(s, &s->e[l], &s->e[m]) > 0)
			m = l;
		if (l + 1 < s->n && rec_cmp(s, &s->e[l + 1], &s->e[m]) > 0)
			m = l + 1;
		if (m == i)
			return;
		struct entry t = s->e[i];
		s->e[i] = s->e[m];
		s->e[m] = t;
		i = m;
	}
}

static void sift_up(struct rf_rsort *s, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (rec_cmp(s, &s->e[i], &s->e[p]) <= 0)
			return;
		struct entry t = s->e[i];
		s->e[i] = s->e[p];
		s->e[p] = t;
		i = p;
	}
}

static char *copy_scratch(struct rf_rsort *s)
{
	size_t n = rec_size(s->scratch);
	char *m = malloc(n);
	if (m)
		memcpy(m, s->scratch, n);
	return m;
}

static int heap_add(struct rf_rsort *s)
{
	struct entry v = { prefix_of(s, s->scratch), s->scratch };
	if (s->n == s->limit) {
		if (s->n == 0 || rec_cmp(s, &v, &s->e[0]) >= 0)
			return 0; /* not among the N first */
		char *m = copy_scratch(s);
		if (!m)
			return -ENOMEM;
		free((void *)s->e[0].rec);
		v.rec = m;
		s->e[0] = v;
		sift_down(s, 0);
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct entry *e = realloc(s->e, cap * sizeof *e);
		if (!e)
			return -ENOMEM;
		s->e = e;
		s->cap = cap;
	}
	if (!(v.rec = copy_scratch(s)))
		return -ENOMEM;
	s->e[s->n++] = v;
	sift_up(s, s->n - 1);
	return 0;
}

/* ---- spilling ---- */

static int open_spill(struct run *run, struct rf_rsort *s)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int fd = -1;
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
	if (fd < 0) { /* a file system without O_TMPFILE: a named one, gone at once */
		char *path;
		if (asprintf(&path, "%s/ringflow-sort-XXXXXX", dir) < 0)
			return -ENOMEM;
		fd = mkostemp(path, O_CLOEXEC);
		int e = errno;
		if (fd >= 0)
			unlink(path);
		free(path);
		if (fd < 0) {
			report_error(run, "sort", -e, "cannot make a temporary file in %s to spill to: %s", dir,
				     strerror(e));
			run->fatal = -e;
			return -e;
		}
	}
	s->fd = fd;
	return 0;
}

static int write_all(struct run *run, struct rf_rsort *s, const char *p, size_t n)
{
	while (n) {
		ssize_t w = pwrite(s->fd, p, n, (off_t)s->file_len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : ENOSPC;
			const char *dir = getenv("TMPDIR");
			report_error(run, "sort", -e, "cannot write the records spilled to %s: %s; nothing printed",
				     dir && *dir ? dir : "/tmp", strerror(e));
			run->fatal = -e;
			return -e;
		}
		p += w;
		n -= (size_t)w;
		s->file_len += (uint64_t)w;
		s->spilled += (uint64_t)w;
	}
	return 0;
}

/* The records in memory, sorted, as a run on the file. */
static int spill(struct run *run, struct rf_rsort *s)
{
	int r = 0;
	if (s->fd < 0 && (r = open_spill(run, s)) < 0)
		return r;
	if (s->n) /* (top 0 keeps nothing: no array at all) */
		qsort_r(s->e, s->n, sizeof *s->e, entry_qsort_cmp, s);
	struct run_span *runs = realloc(s->runs, (s->nruns + 1) * sizeof *runs);
	if (!runs)
		return -ENOMEM;
	s->runs = runs;
	uint64_t start = s->file_len;
	/* through a buffer: records are small, writes should not be */
	char *buf = malloc(1 << 20);
	size_t used = 0;
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < s->n; i++) {
		size_t n = rec_size(s->e[i].rec);
		if (used + n > (1 << 20)) {
			r = write_all(run, s, buf, used);
			used = 0;
		}
		if (r == 0 && n > (1 << 20))
			r = write_all(run, s, s->e[i].rec, n);
		else if (r == 0) {
			memcpy(buf + used, s->e[i].rec, n);
			used += n;
		}
	}
	if (r == 0 && used)
		r = write_all(run, s, buf, used);
	free(buf);
	if (r < 0)
		return r;
	s->runs[s->nruns++] = (struct run_span){ start, s->file_len };
	free_blocks(s);
	s->n = 0;
	s->held = 0;
	return 0;
}

static int mem_add(struct run *run, struct rf_rsort *s)
{
	size_t n = rec_size(s->scratch);
	int r;
	/* the records and their entries count, not the blocks' slack */
	if (s->held + n + sizeof(struct entry) > s->budget && s->n && (r = spill(run, s)) < 0)
		return r;
	struct block *b = s->blocks;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > RSORT_BLOCK ? n : RSORT_BLOCK;
		if (!(b = malloc(sizeof *b + cap)))
			return -ENOMEM;
		b->next = s->blocks;
		b->used = 0;
		b->cap = cap;
		s->blocks = b;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		struct entry *e = realloc(s->e, cap * sizeof *e);
		if (!e)
			return -ENOMEM;
		s->e = e;
		s->cap = cap;
	}
	s->held += n + sizeof(struct entry);
	char *rec = b->data + b->used;
	memcpy(rec, s->scratch, n);
	b->used += n;
	s->e[s->n++] = (struct entry){ prefix_of(s, rec), rec };
	return 0;
}

/* A finished batch's records (output_rows calls it instead of writing them). */
int rf__rsort_add(struct run *run, struct rf_batch *b)
{
	struct rf_rsort *s = run->rsort;
	int r = 0;
	if (b->all && (r = rf__batch_expand(b, run->k)) < 0)
		return r;
	if (s->heap && s->limit == 0)
		return 0;
	for (uint32_t i = 0; r == 0 && i < b->nsel; i++) {
		if ((r = build(s, b, i)) < 0)
			break;
		r = s->heap ? heap_add(s) : mem_add(run, s);
	}
	return r;
}

/* ---- printing ---- */

struct printer {
	struct run *run;
	struct rf_rsort *s;
	struct rf_table *t;    /* select'ed columns: rows gathered here */
	const char *names[RF_TABLE_MAX_COLS];
	char **keep;           /* the records the rows point into (from files) */
	size_t nkeep;
};

static int flush_rows(struct printer *pr)
{
	int r = 0;
	if (pr->t && pr->t->nrows)
		r = emit_rows(pr->run, pr->t);
	rf__table_free(pr->t);
	pr->t = NULL;
	for (size_t i = 0; i < pr->nkeep; i++)
		free(pr->keep[i]);
	pr->nkeep = 0;
	return r;
}

/* One record out; `owned`: a copy the printer frees when done with it. */
static int print_rec(struct printer *pr, const char *rec, char *owned)
{
	struct rf_rsort *s = pr->s;
	const char *p = rec + 12, *end = rec + rec_size(rec);
	for (int i = 0; i < s->sc->n; i++) {
		uint32_t len = get32(p);
		p += 4 + (len == NONE ? 0 : len);
	}
	if (!s->nproj) {
		int r = rf__writer_put(&pr->run->out, p, (size_t)(end - p));
		if (r == 0)
			r = rf__writer_put(&pr->run->out, "\n", 1);
		free(owned);
		return r;
	}
	if (!pr->t) {
		for (int i = 0; i < s->nproj; i++)
			pr->names[i] = s->proj_name[i];
		if (!(pr->t = rf__table_new(s->nproj, 0, pr->names))) {
			free(owned);
			return -ENOMEM;
		}
	}
	struct rf_cell *row = rf__table_add_row(pr->t);
	if (!row) {
		free(owned);
		return -ENOMEM;
	}
	for (int i = 0; i < s->nproj; i++) {
		uint32_t len = get32(p);
		p += 4;
		if (len == NONE)
			continue;
		row[i].type = RF_CELL_STR;
		row[i].u.str.s = p;
		row[i].u.str.len = len;
		p += len;
	}
	if (owned)
		pr->keep[pr->nkeep++] = owned;
	return pr->t->nrows >= 4096 ? flush_rows(pr) : 0;
}

/* A run on the file, read a buffer at a time. */
struct cursor {
	uint64_t at, end;
	char *buf;
	size_t len, pos, cap;
	struct entry cur;
	int mem;               /* the run still in memory: e[pos] */
};

static int cursor_next(struct rf_rsort *s, struct cursor *c)
{
	if (c->mem) {
		if (c->pos == s->n)
			return 0;
		c->cur = s->e[c->pos++];
		return 1;
	}
	if (c->pos + 4 > c->len || c->pos + rec_size(c->buf + c->pos) > c->len) {
		/* the rest of the buffer to its start, then more of the run */
		memmove(c->buf, c->buf + c->pos, c->len - c->pos);
		c->len -= c->pos;
		c->pos = 0;
		if (c->len >= 4 && rec_size(c->buf) > c->cap) {
			size_t cap = rec_size(c->buf);
			char *m = realloc(c->buf, cap);
			if (!m)
				return -ENOMEM;
			c->buf = m;
			c->cap = cap;
		}
		while (c->len < c->cap && c->at < c->end) {
			size_t want = c->cap - c->len;
			if (want > c->end - c->at)
				want = (size_t)(c->end - c->at);
			ssize_t got = pread(s->fd, c->buf + c->len, want, (off_t)c->at);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				return got < 0 ? -errno : -EIO;
			c->len += (size_t)got;
			c->at += (uint64_t)got;
			if (c->len >= 4 && c->len >= rec_size(c->buf))
				break;
		}
		if (c->len == 0)
			return 0;
		if (c->len < 4 || rec_size(c->buf) > c->len) {
			if (c->len >= 4 && rec_size(c->buf) > c->cap)
				return cursor_next(s, c); /* grow and read on */
			return -EIO; /* a cut run */
		}
	}
	c->cur.rec = c->buf + c->pos;
	c->cur.pre = prefix_of(s, c->cur.rec);
	c->pos += rec_size(c->cur.rec);
	return 1;
}

/* The merge: a heap of cursors by their current record. */
static int cur_less(struct rf_rsort *s, struct cursor *a, struct cursor *b)
{
	return rec_cmp(s, &a->cur, &b->cur) < 0;
}

static void cur_sift(struct rf_rsort *s, struct cursor **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && cur_less(s, h[l], h[m]))
			m = l;
		if (l + 1 < n && cur_less(s, h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		struct cursor *t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int merge(struct printer *pr)
{
	struct rf_rsort *s = pr->s;
	size_t k = s->nruns + 1;
	struct cursor *cs = calloc(k, sizeof *cs);
	struct cursor **h = calloc(k, sizeof *h);
	int r = cs && h ? 0 : -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; r == 0 && i < k; i++) {
		struct cursor *c = &cs[i];
		if (i == s->nruns) {
			c->mem = 1;
		} else {
			c->at = s->runs[i].start;
			c->end = s->runs[i].end;
			/* a share of --memory each, within reason */
			c->cap = s->budget / k;
			c->cap = c->cap < (16 << 10) ? 16 << 10 : c->cap > (256 << 10) ? 256 << 10 : c->cap;
			if (!(c->buf = malloc(c->cap))) {
				r = -ENOMEM;
				break;
			}
		}
		int got = cursor_next(s, c);
		if (got < 0)
			r = got;
		else if (got)
			h[n++] = c;
	}
	for (size_t i = n; i-- > 0;)
		cur_sift(s, h, n, i);
	uint64_t printed = 0;
	while (r == 0 && n && printed < s->limit) {
		struct cursor *c = h[0];
		/* a row may point into the cursor's buffer, which the next
		 * read moves: file records go out as copies */
		char *owned = NULL;
		if (!c->mem && s->nproj) {
			size_t len = rec_size(c->cur.rec);
			if (!(owned = malloc(len))) {
				r = -ENOMEM;
				break;
			}
			memcpy(owned, c->cur.rec, len);
		}
		if ((r = print_rec(pr, owned ? owned : c->cur.rec, owned)) < 0)
			break;
		printed++;
		int got = cursor_next(s, c);
		if (got < 0) {
			r = got;
			report_error(pr->run, "sort", r, "cannot read the records spilled back: %s", strerror(-r));
			pr->run->fatal = r;
			break;
		}
		if (!got)
			h[0] = h[--n];
		cur_sift(s, h, n, 0);
	}
	for (size_t i = 0; cs && i < k; i++)
		free(cs[i].buf);
	free(cs);
	free(h);
	return r;
}

/* The end of the run: every record kept, in order, to the output. */
int rf__rsort_finish(struct run *run)
{
	struct rf_rsort *s = run->rsort;
	struct printer pr = { .run = run, .s = s };
	if (s->n) /* (top 0 keeps nothing: no array at all) */
		qsort_r(s->e, s->n, sizeof *s->e, entry_qsort_cmp, s);
	if (run->rep) {
		run->rep->sort_runs = s->nruns;
		run->rep->sort_spilled = s->spilled;
	}
	int r = 0;
	if (s->nproj && !(pr.keep = malloc(4096 * sizeof *pr.keep)))
		return -ENOMEM;
	if (s->nruns) {
		r = merge(&pr);
	} else {
		for (size_t i = 0; r == 0 && i < s->n && i < s->limit; i++)
			r = print_rec(&pr, s->e[i].rec, NULL);
	}
	if (r == 0)
		r = flush_rows(&pr);
	else
		(void)flush_rows(&pr);
	free(pr.keep);
	return r;
}
