/* SPDX-License-Identifier: MIT */
/* stage_filter.c - the filters: grep, regex, where. */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "expr.h"
#include "stages.h"

/* ---- shared: keep[] scratch for filters ---- */

struct keep_buf {
	uint8_t *keep;
	size_t cap;
};

static int keep_room(struct keep_buf *k, size_t n)
{
	if (n <= k->cap)
		return 0;
	size_t cap = k->cap ? k->cap : 4096;
	while (cap < n)
		cap *= 2;
	uint8_t *p = realloc(k->keep, cap);
	if (!p)
		return -ENOMEM;
	k->keep = p;
	k->cap = cap;
	return 0;
}

static int push_span(struct rf_batch *b, size_t off, size_t len)
{
	if (b->nsel == b->sel_cap) {
		int r = rf__batch_reserve(b, (size_t)b->sel_cap + 1);
		if (r < 0)
			return r;
	}
	b->sel[b->nsel].off = (uint32_t)off;
	b->sel[b->nsel].len = (uint32_t)len;
	b->nsel++;
	return 0;
}

/* Length of the record starting at p, without its newline. */
static size_t line_len(const struct rf_kernels *k, const char *p, const char *end)
{
	const char *nl = k->find_byte(p, (size_t)(end - p), '\n');
	return (size_t)((nl ? nl : end) - p);
}

/* Push the lines in [p, to) as spans; `to` is a line start or the end. */
static int push_lines(const struct rf_kernels *k, struct rf_batch *b, const char *p, const char *to)
{
	while (p < to) {
		size_t l = line_len(k, p, to);
		if (push_span(b, (size_t)(p - b->data), l) < 0)
			return -ENOMEM;
		p += l + 1;
	}
	return 0;
}

/* ---- lines picked from one Hyperscan scan of a whole batch -------------
 * Hyperscan reports where matches end.  A batch of lines is scanned once,
 * whole, with ^ and $ at every line, and each end names a line: the one
 * whose bytes or whose newline it falls on (an empty match at a line's
 * start falls on that line).  Every match within a line is so found, as
 * the line alone would show it; a match of a pattern that can hold a
 * newline may also span lines, so those patterns have each such line
 * confirmed by PCRE2 on the line alone.  The picked lines go into b->sel
 * as grep_all's do.  A line with many matches (an empty-matching pattern
 * reports one at every byte) has the scan restart after it. */
#define PICK_REPEATS 32

struct pick {
	struct rf_stage *st;
	struct rf_batch *b;
	const char *scan;       /* where this scan began: ends count from here */
	const char *next;       /* the first line not decided yet */
	const char *line_start; /* the last line picked: its first byte */
	const char *line_end;   /* and its newline, or the batch's end */
	unsigned repeats;       /* matches in it after the first */
	int invert;
	/* NULL: a candidate line matches; else 1, 0, or RF_REGEX_LIMIT */
	int (*confirm)(void *user, const char *p, size_t n);
	void *user;
	int err;
};

/* A record over the regex limits: neither kept nor dropped silently. */
static int reject_span(struct rf_stage *st, struct rf_batch *b, const char *p, size_t n)
{
	int r = push_span(b, (size_t)(p - b->data), n);
	if (r == 0)
		r = rf__reject_why(st, b, b->nsel - 1, RF_REJECT_REGEX);
	b->nsel--;
	return r;
}

static int pick_end(void *user, size_t end)
{
	struct pick *pk = user;
	struct rf_batch *b = pk->b;
	const struct rf_kernels *k = pk->st->k;
	const char *pos = pk->scan + end, *eod = b->data + b->len;
	if (pk->line_end && pos >= pk->line_start && pos <= pk->line_end)
		return ++pk->repeats > PICK_REPEATS;
	if (pos < pk->next) {
		/* a match of a line already passed: regex_hs.c scans so
		 * only patterns whose late reports stay within a line */
		pk->err = -EPROTO;
		return 1;
	}
	if (pos == eod && pos[-1] == '\n')
		return 0; /* after the last newline: no line there */
	const char *ls = k->find_last_byte(pk->next, (size_t)(pos - pk->next), '\n');
	ls = ls ? ls + 1 : pk->next;
	const char *le = k->find_byte(pos, (size_t)(eod - pos), '\n');
	le = le ? le : eod;
	pk->line_start = ls;
	pk->line_end = le;
	pk->repeats = 0;
	if (pk->invert && (pk->err = push_lines(k, b, pk->next, ls)) < 0)
		return 1;
	pk->next = le < eod ? le + 1 : eod;
	int hit = pk->confirm ? pk->confirm(pk->user, ls, (size_t)(le - ls)) : 1;
	if (hit < 0)
		pk->err = reject_span(pk->st, b, ls, (size_t)(le - ls));
	else if (hit != pk->invert)
		pk->err = push_span(b, (size_t)(ls - b->data), (size_t)(le - ls));
	return pk->err < 0;
}

/* Pick the lines of the all-selected batch b (not csv, not multiline:
 * its records are its lines, and it is under 4 GiB). */
static int pick_lines(struct pick *pk, const struct rf_hs *hs, struct rf_hs_scratch *s)
{
	struct rf_batch *b = pk->b;
	const char *p = b->data, *eod = b->data + b->len;
	b->nsel = 0;
	pk->next = p;
	pk->line_start = pk->line_end = NULL;
	pk->err = 0;
	while (p < eod) {
		pk->scan = p;
		int r = rf__hs_lines(hs, s, p, (size_t)(eod - p), pick_end, pk);
		if (pk->err)
			return pk->err;
		if (r <= 0) {
			if (r < 0)
				return r;
			break;
		}
		if (pk->line_end >= eod)
			break;
		p = pk->line_end + 1; /* many matches in that line: on after it */
	}
	if (pk->invert && push_lines(pk->st->k, b, pk->next, eod) < 0)
		return -ENOMEM;
	b->all = 0;
	return 0;
}

/* --regex-engine, as the run passes it on */
static enum rf_regex_engine stage_engine(const struct rf_stage *st)
{
	return st->env ? st->env->regex_engine : RF_REGEX_AUTO;
}

/* Whether b is a batch pick_lines takes. */
static int pickable(const struct rf_batch *b)
{
	return b->all && !b->ml && !b->quote_sep && b->len <= UINT_MAX;
}

/* ---- grep ------------------------------------------------------------ */

/* grep -i folds case the way GNU grep and ripgrep do in a UTF-8 locale:
 *  - valid UTF-8 by Unicode simple case folding, one character to one:
 *    e-acute U+00E9 and U+00C9, the three sigmas U+03C3 U+03C2 U+03A3,
 *    sharp s U+00DF and its capital U+1E9E (but not "ss"); i matches only
 *    I, so the Turkish dotted capital I U+0130 and dotless i U+0131 match
 *    only themselves; the Kelvin sign U+212A matches k and K, the long s
 *    U+017F matches s and S;
 *  - invalid UTF-8 bytes match only themselves; the rest of such a line is
 *    still folded;
 *  - a literal that is not valid UTF-8 is matched byte by byte, ASCII
 *    letters folded.
 * The fast path, a byte-wise caseless search with ASCII letters folded
 * (Hyperscan's, or PCRE2's), serves ASCII literals unless one has a k or
 * an s and the batch holds a Kelvin sign or a long s.
 *
 * Several literals select the lines holding any of them, as grep -e a -e b
 * does, each literal matched by the rules above.  They are found in one
 * scan: Hyperscan's literal matcher, else one PCRE2 alternation.  One
 * literal without -i has ringflow's own SIMD search. */
struct grep_config {
	int n;
	char **lit;
	size_t *len;
	int invert;
	int caseless;
	struct rf_regex *re;       /* n > 1 or -i: all literals, bytes (-i: ASCII letters folded) */
	struct rf_regex *re_utf;   /* -i: the valid UTF-8 literals, Unicode-folded; or NULL */
	struct rf_regex *re_bytes; /* -i beside re_utf: the literals that are not UTF-8; or NULL */
	int utf_always;            /* a literal has non-ASCII characters */
	/* Hyperscan, compiled when a run first wants it (rf__filters_prepare) */
	struct rf_hs *hs;
	int hs_tried;
	int hs_folds;              /* -i: hs has the Kelvin and long s spellings */
	char why[96];              /* why not Hyperscan */
};

struct grep_state {
	const struct grep_config *cfg;
	struct rf_needle needle;
	struct rf_regex_match *m, *m_utf, *m_bytes;
	struct rf_needle kelvin, long_s;
	struct rf_hs_scratch *hs;         /* NULL: no Hyperscan in this run */
	/* for this batch: Hyperscan, or a PCRE2 pattern (NULL: the needle),
	 * or both of re_utf and re_bytes, line by line */
	int use_hs, use_both;
	const struct rf_regex *use;
	struct rf_regex_match *use_m;
	struct keep_buf keep;
};

static void grep_free_config(void *config)
{
	struct grep_config *gc = config;
	if (gc) {
		for (int i = 0; i < gc->n; i++)
			free(gc->lit[i]);
		free(gc->lit);
		free(gc->len);
		rf__regex_free(gc->re);
		rf__regex_free(gc->re_utf);
		rf__regex_free(gc->re_bytes);
		rf__hs_free(gc->hs);
	}
	free(gc);
}

/* How many k and s (either case) the literal has; *ascii: all its bytes are. */
static int ks_letters(const char *l, size_t n, int *ascii)
{
	int m = 0;
	*ascii = 1;
	for (size_t j = 0; j < n; j++) {
		*ascii &= (unsigned char)l[j] < 0x80;
		m += (l[j] | 0x20) == 'k' || (l[j] | 0x20) == 's';
	}
	return m;
}

/* -i: the PCRE2 patterns (see grep_config) */
static int grep_caseless(struct grep_config *gc)
{
	int n = gc->n, nutf = 0, nbytes = 0, ks = 0;
	char **utf = calloc((size_t)n, sizeof *utf), **bytes = calloc((size_t)n, sizeof *bytes);
	size_t *utf_len = calloc((size_t)n, sizeof *utf_len), *bytes_len = calloc((size_t)n, sizeof *bytes_len);
	int r = utf && bytes && utf_len && bytes_len ? 0 : -ENOMEM;
	for (int i = 0; i < n && r == 0; i++) {
		struct rf_regex *one = rf__regex_compile_literals(&gc->lit[i], &gc->len[i], 1, RF_LIT_CASELESS | RF_LIT_UTF);
		int ascii, has_ks = ks_letters(gc->lit[i], gc->len[i], &ascii);
		if (one) { /* valid UTF-8 */
			gc->utf_always |= !ascii;
			ks |= has_ks > 0;
			utf[nutf] = gc->lit[i];
			utf_len[nutf++] = gc->len[i];
		} else {  /* bytes, ASCII letters folded */
			bytes[nbytes] = gc->lit[i];
			bytes_len[nbytes++] = gc->len[i];
		}
		rf__regex_free(one);
	}
	if (r == 0 && !(gc->re = rf__regex_compile_literals(gc->lit, gc->len, n, RF_LIT_CASELESS)))
		r = -ENOMEM;
	if (r == 0 && nutf && (gc->utf_always || ks) &&
	    !(gc->re_utf = rf__regex_compile_literals(utf, utf_len, nutf, RF_LIT_CASELESS | RF_LIT_UTF)))
		r = -ENOMEM;
	if (r == 0 && gc->re_utf && nbytes &&
	    !(gc->re_bytes = rf__regex_compile_literals(bytes, bytes_len, nbytes, RF_LIT_CASELESS)))
		r = -ENOMEM;
	free(utf);
	free(bytes);
	free(utf_len);
	free(bytes_len);
	return r;
}

static int grep_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct grep_config *gc = calloc(1, sizeof *gc);
	if (!gc)
		return -ENOMEM;
	spec->config = gc;
	const struct rf_arg *a;
	int first = 0;
	while ((a = rf__take(c))) {
		if (a->type == RF_ARG_FLAG && (!strcmp(a->text, "-v") || !strcmp(a->text, "-i") ||
					       !strcmp(a->text, "-vi") || !strcmp(a->text, "-iv"))) {
			gc->invert |= strchr(a->text, 'v') != NULL;
			gc->caseless |= strchr(a->text, 'i') != NULL;
		} else if (a->type == RF_ARG_FLAG) {
			rf__fail(c->err, a->column, "grep: unknown flag '%s'", a->text);
			snprintf(c->err->hint, sizeof c->err->hint,
				 "grep takes -v (lines holding none of the literals) and -i (ignore case)");
			return -EINVAL;
		} else if (a->type != RF_ARG_STRING && a->type != RF_ARG_WORD && a->type != RF_ARG_NUMBER) {
			return rf__fail(c->err, a->column, "grep: unexpected '%s'", a->text);
		} else {
			if (memchr(a->text, '\n', a->len))
				return rf__fail(c->err, a->column, "a grep literal cannot hold a newline: records are lines");
			if (gc->n == 0)
				first = a->column;
			char **lit = realloc(gc->lit, ((size_t)gc->n + 1) * sizeof *lit);
			if (lit)
				gc->lit = lit;
			size_t *len = realloc(gc->len, ((size_t)gc->n + 1) * sizeof *len);
			if (len)
				gc->len = len;
			if (!lit || !len || !(lit[gc->n] = malloc(a->len + 1)))
				return -ENOMEM;
			memcpy(lit[gc->n], a->text, a->len + 1);
			len[gc->n++] = a->len;
		}
	}
	if (!gc->n) {
		rf__fail(c->err, spec->column, "grep needs a literal to search for");
		snprintf(c->err->hint, sizeof c->err->hint, "for example: grep \"ERROR\", or grep \"ERROR\" \"FATAL\" for either");
		return -EINVAL;
	}
	if (gc->caseless)
		return grep_caseless(gc);
	if (gc->n > 1 && !(gc->re = rf__regex_compile_literals(gc->lit, gc->len, gc->n, 0)))
		return rf__fail(c->err, first, "grep: out of memory");
	return 0;
}

/* -i: an ASCII literal with k or s in it is also spelled with the Kelvin
 * sign for each k and the long s for each s, in every combination, so that
 * Hyperscan's ASCII folding over the set is the Unicode simple folding of
 * the literal (UTF-8 resynchronises at a lead byte: those bytes in a line
 * are those characters).  No batch then needs looking at for the two.
 * Up to KS_MAX such letters in a literal; 0 when one has more (or no
 * memory), and the batches are looked at as without Hyperscan. */
#define KS_MAX 6

static int ks_spellings(struct grep_config *gc, char ***out, size_t **out_len, int *out_n)
{
	int total = 0, ascii;
	for (int i = 0; i < gc->n; i++) {
		int m = ks_letters(gc->lit[i], gc->len[i], &ascii);
		if (ascii && m > KS_MAX)
			return 0;
		total += ascii ? 1 << m : 1;
	}
	char **lits = calloc((size_t)total, sizeof *lits);
	size_t *lens = calloc((size_t)total, sizeof *lens);
	int n = 0;
	for (int i = 0; lits && lens && i < gc->n; i++) {
		const char *l = gc->lit[i];
		int m = ks_letters(l, gc->len[i], &ascii);
		for (int v = 0; v < (ascii ? 1 << m : 1); v++) {
			char *o = lits[n] = malloc(3 * gc->len[i] + 1);
			if (!o)
				break;
			for (size_t j = 0, bit = 0; j < gc->len[i]; j++) {
				int ks = ascii && ((l[j] | 0x20) == 'k' || (l[j] | 0x20) == 's');
				if (ks && (v >> bit++ & 1)) {
					const char *alt = (l[j] | 0x20) == 'k' ? "\xE2\x84\xAA" : "\xC5\xBF";
					o = stpcpy(o, alt);
				} else {
					*o++ = l[j];
				}
			}
			lens[n] = (size_t)(o - lits[n]);
			n++;
		}
	}
	if (n < total) {
		while (n)
			free(lits[--n]);
		free(lits);
		free(lens);
		return 0;
	}
	*out = lits;
	*out_len = lens;
	*out_n = n;
	return 1;
}

/* The Hyperscan literal set, once per query (rf__filters_prepare). */
static void grep_prepare(struct grep_config *gc)
{
	if (gc->hs_tried || (gc->n == 1 && !gc->caseless)) /* one literal: the needle */
		return;
	gc->hs_tried = 1;
	for (int i = 0; i < gc->n; i++)
		if (gc->len[i] == 0) {
			snprintf(gc->why, sizeof gc->why, "an empty literal, which every line holds");
			return;
		}
	char **lits;
	size_t *lens;
	int n;
	if (gc->caseless && (gc->hs_folds = ks_spellings(gc, &lits, &lens, &n))) {
		gc->hs = rf__hs_literals(lits, lens, n, 1, gc->why, sizeof gc->why);
		while (n)
			free(lits[--n]);
		free(lits);
		free(lens);
		return;
	}
	gc->hs = rf__hs_literals(gc->lit, gc->len, gc->n, gc->caseless, gc->why, sizeof gc->why);
}

static int grep_open(struct rf_stage *st, const void *config)
{
	struct grep_state *gs = calloc(1, sizeof *gs);
	if (!gs)
		return -ENOMEM;
	gs->cfg = config;
	st->state = gs;
	const struct grep_config *gc = gs->cfg;
	rf__needle_init(&gs->needle, gc->lit[0], gc->len[0]);
	rf__needle_init(&gs->kelvin, "\xE2\x84\xAA", 3); /* U+212A */
	rf__needle_init(&gs->long_s, "\xC5\xBF", 2);      /* U+017F */
	if ((gc->re && !(gs->m = rf__regex_match_new(gc->re))) ||
	    (gc->re_utf && !(gs->m_utf = rf__regex_match_new(gc->re_utf))) ||
	    (gc->re_bytes && !(gs->m_bytes = rf__regex_match_new(gc->re_bytes))))
		return -ENOMEM;
	if (gc->hs && stage_engine(st) != RF_REGEX_PCRE2 &&
	    !(gs->hs = rf__hs_scratch_new(gc->hs)))
		return -ENOMEM;
	return 0;
}

/* Any byte >= 0x80 in p[0..n)?  Whole 128-byte blocks without a branch,
 * which the compiler turns into vector code at every SIMD level. */
static int has_non_ascii(const char *p, size_t n)
{
	const uint64_t high = 0x8080808080808080ULL;
	size_t i = 0;
	for (; i + 128 <= n; i += 128) {
		uint64_t acc = 0, w[16];
		memcpy(w, p + i, sizeof w);
		for (int j = 0; j < 16; j++)
			acc |= w[j];
		if (acc & high)
			return 1;
	}
	for (; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return 1;
	return 0;
}

/* Which matcher this batch needs (see grep_config). */
static void grep_choose(struct grep_state *gs, const struct rf_kernels *k, const struct rf_batch *b)
{
	const struct grep_config *gc = gs->cfg;
	int utf = gc->utf_always;
	if (!utf && gc->re_utf && !(gs->hs && gc->hs_folds) && has_non_ascii(b->data, b->len))
		utf = k->find_literal(b->data, b->len, &gs->kelvin) || k->find_literal(b->data, b->len, &gs->long_s);
	gs->use_hs = !utf && gs->hs;
	gs->use_both = utf && gc->re_bytes;
	gs->use = utf ? gc->re_utf : gc->re;
	gs->use_m = utf ? gs->m_utf : gs->m;
}

/* First match in p[0..n), or NULL. */
static const char *grep_find(struct grep_state *gs, const struct rf_kernels *k, const char *p, size_t n)
{
	if (!gs->use)
		return k->find_literal(p, n, &gs->needle);
	size_t s, e;
	return rf__regex_search(gs->use, gs->use_m, p, n, 0, &s, &e) > 0 ? p + s : NULL;
}

/* Whether the record p[0..n) holds a literal: 1, 0, or <0 (an error). */
static int grep_record(struct grep_state *gs, const struct rf_kernels *k, const char *p, size_t n)
{
	size_t s, e;
	if (gs->use_hs)
		return rf__hs_record(gs->cfg->hs, gs->hs, p, n);
	if (gs->use_both)
		return rf__regex_search(gs->cfg->re_utf, gs->m_utf, p, n, 0, &s, &e) > 0 ||
		       rf__regex_search(gs->cfg->re_bytes, gs->m_bytes, p, n, 0, &s, &e) > 0;
	return grep_find(gs, k, p, n) != NULL;
}

/* Search the raw bytes of an all-selected batch: jump from match to match,
 * widening each to its line, instead of looking at every line. */
static int grep_all(struct rf_stage *st, struct rf_batch *b)
{
	struct grep_state *gs = st->state;
	const struct rf_kernels *k = st->k;
	const char *base = b->data, *end = b->data + b->len, *p = base;
	int invert = gs->cfg->invert;
	b->nsel = 0;
	while (p < end) {
		const char *m = grep_find(gs, k, p, (size_t)(end - p));
		if (!m)
			break;
		const char *ls = k->find_last_byte(p, (size_t)(m - p), '\n');
		ls = ls ? ls + 1 : p;
		size_t len = line_len(k, m, end) + (size_t)(m - ls);
		if (invert) {
			/* every line between the previous match and this one */
			if (push_lines(k, b, p, ls) < 0)
				return -ENOMEM;
		} else if (push_span(b, (size_t)(ls - base), len) < 0) {
			return -ENOMEM;
		}
		p = ls + len + 1;
	}
	if (invert && p < end && push_lines(k, b, p, end) < 0)
		return -ENOMEM;
	b->all = 0;
	return 0;
}

static int grep_process(struct rf_stage *st, struct rf_batch *b)
{
	struct grep_state *gs = st->state;
	const struct grep_config *gc = gs->cfg;
	if (gc->caseless) {
		grep_choose(gs, st->k, b);
	} else {
		gs->use_hs = gs->hs != NULL;
		gs->use = gc->re;
		gs->use_m = gs->m;
	}
	if (gs->use_hs && pickable(b)) {
		struct pick pk = { .st = st, .b = b, .invert = gc->invert };
		return pick_lines(&pk, gc->hs, gs->hs);
	}
	if (b->all && !gs->use_hs && !gs->use_both)
		return grep_all(st, b);
	if (rf__batch_expand(b, st->k) < 0 || keep_room(&gs->keep, b->nsel) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->nsel; i++) {
		struct rf_span s = b->sel[i];
		int hit = grep_record(gs, st->k, b->data + s.off, s.len);
		if (hit < 0)
			return hit;
		gs->keep.keep[i] = hit != gc->invert;
	}
	rf__batch_filter(b, gs->keep.keep);
	return 0;
}

static void grep_close(struct rf_stage *st)
{
	struct grep_state *gs = st->state;
	if (gs) {
		rf__regex_match_free(gs->m);
		rf__regex_match_free(gs->m_utf);
		rf__regex_match_free(gs->m_bytes);
		rf__hs_scratch_free(gs->hs);
		free(gs->keep.keep);
	}
	free(gs);
	st->state = NULL;
}

/* For --stats: what serves this grep when a run asks for `engine`. */
static const char *grep_engine(const struct grep_config *gc, enum rf_regex_engine engine, char *note, size_t size)
{
	if (gc->n == 1 && !gc->caseless)
		return "simd"; /* the needle kernel (--simd) */
	if (gc->hs && engine != RF_REGEX_PCRE2) {
		if (gc->utf_always)
			snprintf(note, size, "pcre2 for Unicode case folding of a literal beyond ASCII");
		else if (gc->re_utf && !gc->hs_folds)
			snprintf(note, size, "pcre2 for batches with a Kelvin sign or a long s");
		return "hyperscan";
	}
	snprintf(note, size, "%s", engine == RF_REGEX_PCRE2 ? "--regex-engine=pcre2" : gc->why);
	return "pcre2";
}

const struct rf_verb rf__verb_grep = {
	.name = "grep",
	.kind = RF_STAGE_FILTER,
	.usage = "grep [-v] [-i] \"LITERAL\"...   (lines holding any of the literals)",
	.configure = grep_configure,
	.free_config = grep_free_config,
	.open = grep_open,
	.process = grep_process,
	.close = grep_close,
};

/* ---- regex: lines matching a PCRE2 pattern ----------------------------- */

/* PCRE2 compiles the pattern first: it is the reference, and its errors
 * are the ones reported.  Hyperscan then takes it if it can; it matches
 * the same records (tests/hyperscan.sh holds the two to each other and to
 * grep -P), with no match limits: a record PCRE2 would reject over its
 * limits gets an answer. */
struct regex_config {
	struct rf_regex *re;
	int invert;
	char *pattern;
	size_t len;
	int shape;          /* rf__regex_shape */
	struct rf_hs *hs;   /* compiled when a run first wants it */
	int hs_tried;
	char why[96];       /* why not Hyperscan */
};

struct regex_state {
	const struct regex_config *cfg;
	struct rf_regex_match *m;
	struct rf_hs_scratch *hs; /* NULL: PCRE2 in this run */
	struct keep_buf keep;
};

static void regex_free_config(void *config)
{
	struct regex_config *rc = config;
	if (rc) {
		rf__regex_free(rc->re);
		rf__hs_free(rc->hs);
		free(rc->pattern);
	}
	free(rc);
}

static int regex_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct regex_config *rc = calloc(1, sizeof *rc);
	if (!rc)
		return -ENOMEM;
	spec->config = rc;
	if (rf__accept(c, RF_ARG_FLAG, "-v"))
		rc->invert = 1;
	const struct rf_arg *a = rf__take(c);
	if (!a || a->type != RF_ARG_STRING) {
		rf__fail(c->err, a ? a->column : c->end_column, "regex needs a quoted pattern");
		snprintf(c->err->hint, sizeof c->err->hint, "for example: regex \"time=[0-9]{4,}ms\"");
		return -EINVAL;
	}
	rc->re = rf__regex_compile(a->text, a->len, 0, 0, c->err, a->column);
	if (!rc->re)
		return -EINVAL;
	if (!(rc->pattern = malloc(a->len + 1)))
		return -ENOMEM;
	memcpy(rc->pattern, a->text, a->len);
	rc->pattern[a->len] = 0;
	rc->len = a->len;
	rc->shape = rf__regex_shape(rc->pattern, rc->len);
	return 0;
}

static void regex_prepare(struct regex_config *rc)
{
	if (rc->hs_tried)
		return;
	rc->hs_tried = 1;
	if (rc->len >= 2 && rc->pattern[0] == '(' && rc->pattern[1] == '*')
		snprintf(rc->why, sizeof rc->why, "a leading (*VERB) is PCRE2's own");
	else
		rc->hs = rf__hs_regex(rc->pattern, rc->len, rc->shape, rc->why, sizeof rc->why);
}

static int regex_open(struct rf_stage *st, const void *config)
{
	struct regex_state *rs = calloc(1, sizeof *rs);
	if (!rs)
		return -ENOMEM;
	rs->cfg = config;
	st->state = rs;
	if (!(rs->m = rf__regex_match_new(rs->cfg->re)))
		return -ENOMEM;
	if (rs->cfg->hs && stage_engine(st) != RF_REGEX_PCRE2 && !(rs->hs = rf__hs_scratch_new(rs->cfg->hs)))
		return -ENOMEM;
	return 0;
}

/* PCRE2 on one record: 1, 0, or <0 (over the limits, or an error) */
static int regex_pcre2(void *user, const char *p, size_t n)
{
	struct regex_state *rs = user;
	size_t s, e;
	int hit = rf__regex_search(rs->cfg->re, rs->m, p, n, 0, &s, &e);
	return hit < 0 ? RF_REGEX_LIMIT : hit;
}

static int regex_process(struct rf_stage *st, struct rf_batch *b)
{
	struct regex_state *rs = st->state;
	const struct regex_config *rc = rs->cfg;
	if (rs->hs && pickable(b) && rf__hs_has_lines(rc->hs)) {
		struct pick pk = { .st = st, .b = b, .invert = rc->invert, .user = rs };
		if (!(rc->shape & RF_RE_NO_NEWLINE))
			pk.confirm = regex_pcre2;
		return pick_lines(&pk, rc->hs, rs->hs);
	}
	/* per record: a pattern like \s or [^x] must not match across lines */
	int r = rf__batch_expand(b, st->k);
	if (r < 0 || keep_room(&rs->keep, b->nsel) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->nsel; i++) {
		const char *p = b->data + b->sel[i].off;
		size_t n = b->sel[i].len;
		int hit = rs->hs ? rf__hs_record(rc->hs, rs->hs, p, n) : -E2BIG;
		if (hit == -E2BIG)
			hit = regex_pcre2(rs, p, n);
		else if (hit < 0)
			return hit;
		if (hit < 0) {
			/* over the match limits: neither kept nor dropped
			 * silently, with or without -v */
			rs->keep.keep[i] = 0;
			if ((r = rf__reject_why(st, b, i, RF_REJECT_REGEX)) < 0)
				return r;
			continue;
		}
		rs->keep.keep[i] = (hit > 0) != rc->invert;
	}
	rf__batch_filter(b, rs->keep.keep);
	return 0;
}

static void regex_close(struct rf_stage *st)
{
	struct regex_state *rs = st->state;
	if (rs) {
		rf__regex_match_free(rs->m);
		rf__hs_scratch_free(rs->hs);
		free(rs->keep.keep);
	}
	free(rs);
	st->state = NULL;
}

static const char *regex_engine(const struct regex_config *rc, enum rf_regex_engine engine, char *note, size_t size)
{
	if (rc->hs && engine != RF_REGEX_PCRE2) {
		if (rc->shape & RF_RE_WHOLE_SUBJECT)
			snprintf(note, size, "record by record: the pattern has \\A, \\z, \\Z or an inline m flag");
		else if (!rf__hs_has_lines(rc->hs))
			snprintf(note, size, "record by record: a trailing \\b or $ next to an empty or newline-holding match");
		else if (!(rc->shape & RF_RE_NO_NEWLINE))
			snprintf(note, size, "pcre2 confirms the lines whose match may span a newline");
		return "hyperscan";
	}
	snprintf(note, size, "%s", engine == RF_REGEX_PCRE2 ? "--regex-engine=pcre2" : rc->why);
	return "pcre2";
}

const struct rf_verb rf__verb_regex = {
	.name = "regex",
	.kind = RF_STAGE_FILTER,
	.usage = "regex [-v] \"PATTERN\"",
	.configure = regex_configure,
	.free_config = regex_free_config,
	.open = regex_open,
	.process = regex_process,
	.close = regex_close,
};

/* ---- Hyperscan for a run ------------------------------------------------ */

int rf__filters_prepare(const struct rf_query *q, enum rf_regex_engine engine)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	char why[96];
	if (engine == RF_REGEX_PCRE2)
		return 0;
	if (!rf__hs_usable(why, sizeof why))
		return engine == RF_REGEX_HYPERSCAN ? -ENOTSUP : 0;
	pthread_mutex_lock(&lock); /* two runs of one query may start at once */
	for (int i = 0; i < q->nstages; i++) {
		const struct rf_stage_spec *sp = &q->stage[i];
		if (sp->verb == &rf__verb_regex)
			regex_prepare(sp->config);
		else if (sp->verb == &rf__verb_grep)
			grep_prepare(sp->config);
	}
	pthread_mutex_unlock(&lock);
	return 0;
}

void rf__filters_report(const struct rf_query *q, enum rf_regex_engine engine, struct rf_report *rep)
{
	char why[96] = "";
	int usable = engine != RF_REGEX_PCRE2 && rf__hs_usable(why, sizeof why);
	for (int i = 0; i < q->nstages && i < RF_MAX_STAGES; i++) {
		const struct rf_stage_spec *sp = &q->stage[i];
		struct rf_stage_stats *s = &rep->stage[i];
		s->engine_note[0] = 0;
		if (sp->verb == &rf__verb_regex)
			s->engine = regex_engine(sp->config, engine, s->engine_note, sizeof s->engine_note);
		else if (sp->verb == &rf__verb_grep)
			s->engine = grep_engine(sp->config, engine, s->engine_note, sizeof s->engine_note);
		else
			continue;
		/* not built in, or not for this CPU: that is the reason */
		if (!usable && engine != RF_REGEX_PCRE2 && !strcmp(s->engine, "pcre2"))
			snprintf(s->engine_note, sizeof s->engine_note, "%s", why);
	}
}

/* ---- where ----------------------------------------------------------- */

struct where_state {
	const struct rf_expr *e;
	struct rf_expr_ctx *x;
	struct keep_buf keep;
};

static void where_free_config(void *config)
{
	rf__expr_free(config);
}

static int where_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct rf_expr *e;
	int r = rf__expr_parse(c, &e);
	spec->config = e;
	return r;
}

static int where_bind(struct rf_stage_spec *spec, struct rf_schema *sc, struct rf_query_error *err)
{
	return rf__expr_bind(spec->config, sc, err);
}

static int where_open(struct rf_stage *st, const void *config)
{
	struct where_state *ws = calloc(1, sizeof *ws);
	if (!ws)
		return -ENOMEM;
	ws->e = config;
	st->state = ws;
	if (!(ws->x = rf__expr_ctx_new(ws->e)))
		return -ENOMEM;
	rf__expr_ctx_set_tz(ws->x, st->env->tz);
	return 0;
}

static int where_process(struct rf_stage *st, struct rf_batch *b)
{
	struct where_state *ws = st->state;
	int r = rf__batch_expand(b, st->k);
	if (r < 0 || keep_room(&ws->keep, b->nsel) < 0)
		return -ENOMEM;
	if ((r = rf__expr_filter(ws->x, ws->e, b, ws->keep.keep)) < 0)
		return r;
	for (uint32_t i = 0; i < b->nsel; i++)
		if (ws->keep.keep[i] == RF_EXPR_UNKNOWN) {
			/* a ~ hit the regex limits: the condition has no answer */
			ws->keep.keep[i] = 0;
			if ((r = rf__reject_why(st, b, i, RF_REJECT_REGEX)) < 0)
				return r;
		}
	rf__batch_filter(b, ws->keep.keep);
	return 0;
}

static void where_close(struct rf_stage *st)
{
	struct where_state *ws = st->state;
	if (ws) {
		rf__expr_ctx_free(ws->x);
		free(ws->keep.keep);
	}
	free(ws);
	st->state = NULL;
}

const struct rf_verb rf__verb_where = {
	.name = "where",
	.kind = RF_STAGE_FILTER,
	.usage = "where EXPR   (== != < <= > >= ~ contains in is null, and/or/not, + - * / %, functions)",
	.configure = where_configure,
	.bind = where_bind,
	.free_config = where_free_config,
	.open = where_open,
	.process = where_process,
	.close = where_close,
};

/* ---- where after an aggregate (HAVING) ------------------------------- */

static int having_columns(struct rf_stage_spec *spec, struct rf_colset *cols, struct rf_query_error *err)
{
	return rf__expr_bind_table(spec->config, cols, err);
}

static int having_apply(const void *config, struct rf_table *t)
{
	const struct rf_expr *e = config;
	struct rf_expr_ctx *x = rf__expr_ctx_new(e);
	uint8_t *keep = malloc(t->nrows ? t->nrows : 1);
	if (x)
		rf__expr_ctx_set_tz(x, t->tz);
	int r = x && keep ? rf__expr_table_filter(x, e, t, keep) : -ENOMEM;
	if (r == 0) {
		size_t out = 0, w = (size_t)t->ncols;
		for (size_t i = 0; i < t->nrows; i++) {
			if (keep[i] != 1) /* unknown (a regex over its limits) is not true */
				continue;
			if (out != i)
				memcpy(&t->cells[out * w], &t->cells[i * w], w * sizeof *t->cells);
			out++;
		}
		t->nrows = out;
	}
	free(keep);
	rf__expr_ctx_free(x);
	return r;
}

const struct rf_verb rf__verb_where_table = {
	.name = "where",
	.kind = RF_STAGE_TABLE,
	.usage = "where EXPR   (after an aggregate: over its result's columns)",
	.configure = where_configure,
	.free_config = where_free_config,
	.columns = having_columns,
	.apply = having_apply,
};

/* ---- rejects outside the parser ---------------------------------------- */

/* A regex Hyperscan runs rejects nothing (it has no match limits), but for
 * the lines PCRE2 confirms. */
static int regex_may_reject(const struct regex_config *rc, enum rf_regex_engine engine)
{
	return !rc->hs || engine == RF_REGEX_PCRE2 || (rf__hs_has_lines(rc->hs) && !(rc->shape & RF_RE_NO_NEWLINE));
}

int rf__query_may_reject(const struct rf_query *q, enum rf_regex_engine engine)
{
	for (int i = 0; i < q->nstages; i++) {
		const struct rf_stage_spec *sp = &q->stage[i];
		if ((sp->verb == &rf__verb_regex && regex_may_reject(sp->config, engine)) ||
		    (sp->verb == &rf__verb_where && rf__expr_has_regex(sp->config)) ||
		    (sp->verb == &rf__verb_eval && rf__eval_has_regex(sp->config)))
			return 1;
	}
	return 0;
}
