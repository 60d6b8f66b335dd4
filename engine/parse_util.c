/* SPDX-License-Identifier: MIT */
/* parse_util.c - what more than one parse format reads with: $N names,
 * JSON strings (logfmt quotes its values the same way), a slot by name. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "scan.h"

/* JSON and logfmt logs name their timestamp in several ways */
const char *const rf__json_time_names[] = { "time", "timestamp", "ts", "@timestamp", NULL };

int rf__is_dollar_n(const char *name, int *n)
{
	if (name[0] != '$' || !name[1])
		return 0;
	long v = 0;
	for (const char *p = name + 1; *p; p++) {
		if (*p < '0' || *p > '9' || v > 1000000)
			return 0;
		v = v * 10 + (*p - '0');
	}
	if (v < 1)
		return 0;
	*n = (int)v;
	return 1;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Scan a JSON string at p (on the quote): its raw body and whether it holds
 * escapes.  Returns the byte after the closing quote, or NULL. */
const char *rf__json_string(const char *p, const char *end, struct rf_value *raw, int *escaped)
{
	*escaped = 0;
	const char *s = ++p;
	while (p < end && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			*escaped = 1;
			if (++p >= end || !memchr("\"\\/bfnrtu", *p, 9))
				return NULL;
			unsigned cp;
			if (*p == 'u' && (end - p < 5 || hex4(p + 1, &cp) < 0))
				return NULL;
		}
		p++;
	}
	if (p >= end)
		return NULL;
	*raw = rf__val(s, (size_t)(p - s));
	return p + 1;
}

/* Unescape a JSON string body into the batch arena. */
int rf__json_unescape(struct rf_batch *b, struct rf_value raw, struct rf_value *out)
{
	char *d = rf__batch_alloc(b, (size_t)raw.len);
	if (!d)
		return -ENOMEM;
	const char *p = raw.p, *end = raw.p + raw.len;
	size_t n = 0;
	while (p < end) {
		if (*p != '\\') {
			d[n++] = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case 'n': d[n++] = '\n'; break;
		case 't': d[n++] = '\t'; break;
		case 'r': d[n++] = '\r'; break;
		case 'b': d[n++] = '\b'; break;
		case 'f': d[n++] = '\f'; break;
		case '/': case '\\': case '"': d[n++] = *p; break;
		case 'u': {
			unsigned cp, lo;
			if (end - p < 5 || hex4(p + 1, &cp) < 0)
				return -1;
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 7 && p[1] == '\\' && p[2] == 'u' &&
			    hex4(p + 3, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			}
			/* UTF-8 of cp is never longer than its \u escape */
			if (cp < 0x80) {
				d[n++] = (char)cp;
			} else if (cp < 0x800) {
				d[n++] = (char)(0xc0 | (cp >> 6));
				d[n++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				d[n++] = (char)(0xe0 | (cp >> 12));
				d[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				d[n++] = (char)(0x80 | (cp & 0x3f));
			} else {
				d[n++] = (char)(0xf0 | (cp >> 18));
				d[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
				d[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				d[n++] = (char)(0x80 | (cp & 0x3f));
			}
			break;
		}
		default:
			return -1;
		}
		p++;
	}
	*out = rf__val(d, n);
	return 0;
}

int rf__json_slot(const struct parse_config *pc, const char *path, size_t len)
{
	for (int i = 0; i < pc->nslots; i++)
		if (pc->slot_field[i] != RF_SLOT_EVAL && strlen(pc->slot_name[i]) == len && memcmp(pc->slot_name[i], path, len) == 0)
			return i;
	return -1;
}

/* The usual open of a format of fixed fields: which slot each field fills
 * (slot_of_field), from the field numbers 0 .. nfields - 1 bind gave. */
int rf__fixed_fields_open(struct parse_state *ps, int nfields)
{
	for (int f = 0; f < nfields; f++)
		ps->slot_of_field[f] = -1;
	for (int i = 0; i < ps->pc->nslots; i++)
		if (ps->pc->slot_field[i] >= 0 && ps->pc->slot_field[i] < nfields)
			ps->slot_of_field[ps->pc->slot_field[i]] = i;
	return 0;
}

/* A sniff's walk: line(ctx, p, e) for each line of [p, p + n) that is
 * not blank (a CR before its newline left out).  1 when there was one
 * and line said 1 to every one, 0 otherwise. */
int rf__sniff_lines(const char *p, size_t n, int (*line)(void *ctx, const char *p, const char *e), void *ctx)
{
	const char *end = p + n;
	int lines = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		if (e > p && e[-1] == '\r')
			e--;
		if (e > p) {
			if (!line(ctx, p, e))
				return 0;
			lines++;
		}
		p = nl ? nl + 1 : end;
	}
	return lines > 0;
}

struct sniff_ctx {
	struct parse_state *ps;
	struct rf_batch scratch; /* for unescaped keys */
};

static int record_line(void *ctx, const char *p, const char *e)
{
	struct sniff_ctx *x = ctx;
	int r = x->ps->pc->fmt->record(x->ps, NULL, &x->scratch, p, (size_t)(e - p), NULL);
	rf__batch_reset_arena(&x->scratch);
	return r == 0;
}

/* A format's parser on its own, with no field asked for: what a sniff
 * needs (the stage's own state lives in parsers.c). */
int rf__sniff_records(const struct parse_format *f, const char *p, size_t n)
{
	struct parse_config *pc = calloc(1, sizeof *pc);
	struct sniff_ctx x = { .ps = calloc(1, sizeof *x.ps) };
	struct parse_state *ps = x.ps;
	int all = pc && ps;
	if (all) {
		pc->fmt = f;
		pc->head.format = f->name;
		ps->pc = pc;
		ps->cur = -1;
		all = (!f->open || f->open(ps) == 0) && rf__sniff_lines(p, n, record_line, &x);
	}
	rf__batch_free(&x.scratch);
	if (ps) {
		rf__regex_match_free(ps->m);
		free(ps->keep);
		free(ps->scratch);
		free(ps->tok);
	}
	free(ps);
	free(pc);
	return all;
}

int rf__parse_scan_room(struct parse_state *ps, const struct rf_kernels *k, size_t n)
{
	/* a sniff gives no kernels: the best level */
	enum rf_simd level = k ? k->level : rf_simd_best();
	if (!ps->scanner || ps->scanner_level != level) {
		ps->scanner = rf__scanner(level);
		ps->scanner_level = level;
	}
	if (RF_SCAN_TOKENS(n) > ps->tok_cap) {
		size_t cap = ps->tok_cap ? ps->tok_cap : 256;
		while (cap < RF_SCAN_TOKENS(n))
			cap *= 2;
		uint32_t *t = realloc(ps->tok, cap * sizeof *t);
		if (!t)
			return -ENOMEM;
		ps->tok = t;
		ps->tok_cap = cap;
	}
	return 0;
}
