/* SPDX-License-Identifier: MIT */
/* parse_json.c - the json format: one object a line; fields by their
 * dotted key path (a.b.c), read as Python's json module reads them. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "scan.h"
#include "table.h"

/* The second pass: a walk over the tokens the structural scan found
 * (scan.h), not over the bytes.  Every value is checked as strictly as
 * Python's json module checks it, wanted or not (a line it would refuse
 * is rejected here too), but a string is crossed in one step, from its
 * quote to the next, whatever its length. */
struct json_ctx {
	struct parse_state *ps;
	struct rf_batch *b;
	const char *p, *end;  /* the record */
	const uint32_t *tok;  /* its tokens' offsets */
	size_t nt, k;         /* how many; the current one */
	int backslash;        /* the record holds one somewhere */
	struct rf_value *row;
	char *path;           /* the dotted path of the current key */
	size_t path_len;
	int depth;
};

/* the byte of token k, or 0 past the last one */
static inline char tok_byte(const struct json_ctx *x, size_t k)
{
	return k < x->nt ? x->p[x->tok[k]] : 0;
}

static inline int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A JSON number as the grammar has it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * of any length, or one of the words. */
static int json_literal(const char *s, size_t n)
{
	switch (n) {
	case 3:
		if (!memcmp(s, "NaN", 3))
			return 1;
		break;
	case 4:
		if (!memcmp(s, "true", 4) || !memcmp(s, "null", 4))
			return 1;
		break;
	case 5:
		if (!memcmp(s, "false", 5))
			return 1;
		break;
	case 8:
		if (!memcmp(s, "Infinity", 8))
			return 1;
		break;
	case 9:
		if (!memcmp(s, "-Infinity", 9))
			return 1;
		break;
	}
	return rf__json_number_syntax(s, n) != 0;
}

/* The escapes of a string body that holds a backslash: each one of
 * \" \\ \/ \b \f \n \r \t or \u and four hex digits. */
static int escapes_valid(const char *s, const char *e)
{
	for (const char *q = memchr(s, '\\', (size_t)(e - s)); q; q = memchr(q, '\\', (size_t)(e - q))) {
		if (++q >= e || !memchr("\"\\/bfnrtu", *q, 9))
			return 0;
		if (*q == 'u') {
			if (e - q < 5)
				return 0;
			for (int i = 1; i <= 4; i++)
				if (!((q[i] >= '0' && q[i] <= '9') || ((q[i] | 0x20) >= 'a' && (q[i] | 0x20) <= 'f')))
					return 0;
		}
		q++;
	}
	return 1;
}

/* Where token k ends: the next token, or the record's end. */
static inline const char *tok_next(const struct json_ctx *x, size_t k)
{
	return k + 1 < x->nt ? x->p + x->tok[k + 1] : x->end;
}

/* The body of the string whose opening quote is at s, given where the
 * next token is: its closing quote is the last byte before that which is
 * not blank (anything else there would be a token itself). */
static inline __attribute__((always_inline)) const char *string_end(const char *next)
{
	while (is_blank(next[-1]))
		next--;
	return next - 1;
}

/* The string at token k (its opening quote): its body, and whether it
 * holds escapes.  0 when its escapes are bad. */
static inline __attribute__((always_inline)) int tok_string(struct json_ctx *x, struct rf_value *raw, int *escaped)
{
	const char *s = x->p + x->tok[x->k] + 1, *e = string_end(tok_next(x, x->k));
	x->k++;
	*raw = rf__val(s, (size_t)(e - s));
	*escaped = x->backslash && memchr(s, '\\', (size_t)(e - s));
	return !*escaped || escapes_valid(s, e);
}

/* The scalar at s, the next token at e: its bytes run to a blank or e.
 * 0 when it is no number and none of the words. */
static inline __attribute__((always_inline)) int scalar_at(const char *s, const char *e, struct rf_value *out)
{
	const char *q = s;
	/* the common case first: a whole number with no leading zero */
	while (q < e && (unsigned char)(*q - '0') < 10)
		q++;
	if (q > s && (q == e || is_blank(*q)) && (*s != '0' || q - s == 1)) {
		*out = rf__val(s, (size_t)(q - s));
		return 1;
	}
	while (q < e && !is_blank(*q))
		q++;
	*out = rf__val(s, (size_t)(q - s));
	return json_literal(s, (size_t)(q - s));
}

static inline __attribute__((always_inline)) int tok_scalar(struct json_ctx *x, struct rf_value *out)
{
	const char *s = x->p + x->tok[x->k], *e = tok_next(x, x->k);
	x->k++;
	return scalar_at(s, e, out);
}

/* The container (object or array) at token k, walked to its end with
 * every key and value in it checked and nothing kept; x->depth is the
 * depth of what holds it (64 containers deep at most, as before).  A loop
 * with the open containers as bits of a word, not a recursion.  0 on a
 * syntax error. */
static int json_skip_container(struct json_ctx *x)
{
	const char *p = x->p;
	const uint32_t *tok = x->tok;
	size_t k = x->k, nt = x->nt;
	uint64_t objs = 0; /* bit i: the container i levels in is an object */
	int open = 0, depth = x->depth;
	char c = p[tok[k++]];
	struct rf_value v;
	int esc;
push:
	if (++depth > 64 || open == 64)
		return 0;
	objs = objs << 1 | (c == '{');
	open++;
	c = k < nt ? p[tok[k++]] : 0;
	if (c == ((objs & 1) ? '}' : ']'))
		goto pop;
	if (!(objs & 1))
		goto value;
key:
	if (c != '"')
		return 0;
	x->k = k - 1;
	if (!tok_string(x, &v, &esc))
		return 0;
	if ((k < nt ? p[tok[k++]] : 0) != ':')
		return 0;
	c = k < nt ? p[tok[k++]] : 0;
value:
	switch (c) {
	case '"':
		if (x->backslash) {
			x->k = k - 1;
			if (!tok_string(x, &v, &esc))
				return 0;
		}
		break;
	case '{':
	case '[':
		goto push;
	case 0:
	case ',':
	case ':':
	case '}':
	case ']':
		return 0;
	default:
		if (!scalar_at(p + tok[k - 1], k < nt ? p + tok[k] : x->end, &v))
			return 0;
	}
next:
	c = k < nt ? p[tok[k++]] : 0;
	if (c == ',') {
		c = k < nt ? p[tok[k++]] : 0;
		if (objs & 1)
			goto key;
		goto value;
	}
	if (c != ((objs & 1) ? '}' : ']'))
		return 0;
pop:
	objs >>= 1;
	depth--;
	if (--open)
		goto next;
	x->k = k;
	return 1;
}

static int json_value(struct json_ctx *x, int slot);

/* What the query wants at the current path: returns the slot named by
 * exactly this path (or -1), and sets *below when a slot lies under it, so
 * that an object there is walked into as well.  Those slots are cleared:
 * a key that comes again replaces all an earlier one gave, as in Python's
 * json module (the last one wins). */
static int json_want(struct json_ctx *x, int *below)
{
	const struct parse_state *ps = x->ps;
	size_t len = x->path_len;
	int slot = -1;
	*below = 0;
	for (int i = 0; i < ps->pc->nslots; i++) {
		const char *name = ps->pc->slot_name[i];
		if (ps->slot_len[i] < len || ps->pc->slot_field[i] == RF_SLOT_EVAL || (len && name[0] != x->path[0]) ||
		    memcmp(name, x->path, len) != 0)
			continue;
		if (ps->slot_len[i] == len)
			slot = i;
		else if (name[len] == '.')
			*below = 1;
		else
			continue;
		x->row[i] = RF_MISSING;
	}
	return slot;
}

/* An object whose keys are looked at (the record, or one a slot lies
 * under).  0 on a syntax error. */
static int json_object(struct json_ctx *x)
{
	if (++x->depth > 64)
		return 0;
	x->k++;
	if (tok_byte(x, x->k) == '}') {
		x->depth--;
		x->k++;
		return 1;
	}
	size_t base = x->path_len;
	for (;;) {
		struct rf_value key;
		int esc;
		if (tok_byte(x, x->k) != '"' || !tok_string(x, &key, &esc))
			return 0;
		if (esc && rf__json_unescape(x->b, key, &key) < 0)
			return 0;
		/* the key's full dotted path; one longer than every slot name
		 * names nothing, and neither does anything under it */
		size_t dot = x->depth > 1; /* the top level's keys have none before them */
		size_t need = base + dot + (size_t)key.len;
		int slot = -1, below = 0;
		/* a top-level key no slot name begins with names nothing */
		if (need <= x->ps->max_slot_len && (dot || (key.len && x->ps->first_byte[(unsigned char)key.p[0]]) ||
						    (!key.len && x->ps->first_byte['.']))) {
			if (dot)
				x->path[base] = '.';
			memcpy(x->path + base + dot, key.p, (size_t)key.len);
			x->path_len = need;
			slot = json_want(x, &below);
		}
		if (tok_byte(x, x->k) != ':')
			return 0;
		x->k++;
		if (below && tok_byte(x, x->k) == '{') {
			/* fields under this key are wanted (and maybe the
			 * object itself, as its text) */
			const char *s = x->p + x->tok[x->k];
			if (!json_object(x))
				return 0;
			if (slot >= 0)
				x->row[slot] = rf__val(s, (size_t)(x->p + x->tok[x->k - 1] + 1 - s));
		} else if (!json_value(x, slot)) {
			return 0;
		}
		x->path_len = base;
		char c = tok_byte(x, x->k++);
		if (c == ',')
			continue;
		if (c == '}') {
			x->depth--;
			return 1;
		}
		return 0;
	}
}

/* The value at token k, into row[slot] when slot >= 0.  0 on a syntax
 * error. */
static int json_value(struct json_ctx *x, int slot)
{
	char c = tok_byte(x, x->k);
	struct rf_value v;
	if (c == '"') {
		int esc;
		if (!tok_string(x, &v, &esc))
			return 0;
		if (slot >= 0) {
			if (esc && rf__json_unescape(x->b, v, &v) < 0)
				return 0;
			x->row[slot] = v;
		}
		return 1;
	}
	if (c == '{' || c == '[') {
		const char *s = x->p + x->tok[x->k];
		if (!json_skip_container(x))
			return 0;
		if (slot >= 0) /* objects and arrays as text */
			x->row[slot] = rf__val(s, (size_t)(x->p + x->tok[x->k - 1] + 1 - s));
		return 1;
	}
	if (!c || c == ',' || c == ':' || c == '}' || c == ']')
		return 0;
	if (!tok_scalar(x, &v))
		return 0;
	if (slot >= 0) /* numbers and booleans as text */
		x->row[slot] = v.len == 4 && !memcmp(v.p, "null", 4) ? RF_MISSING : v;
	return 1;
}

/* The slot a top-level key names, when no slot name has a dot: its bytes
 * against each name of its length.  -1 for none. */
static inline int flat_slot(const struct parse_state *ps, const char *k, size_t len)
{
	if (len > ps->max_slot_len || !len || !ps->first_byte[(unsigned char)k[0]])
		return -1;
	int slot = -1;
	for (int i = 0; i < ps->pc->nslots; i++)
		if (ps->slot_len[i] == len && ps->pc->slot_field[i] != RF_SLOT_EVAL &&
		    !memcmp(ps->pc->slot_name[i], k, len))
			slot = i; /* the last of equal names, as json_want has it */
	return slot;
}

/* The record when every slot names a top-level key (no dot in any name):
 * keys are matched where they are, nested containers only checked.  The
 * same answers as json_object, with less to do for each key. */
static int json_flat(struct json_ctx *x)
{
	const struct parse_state *ps = x->ps;
	const char *p = x->p;
	const uint32_t *tok = x->tok;
	size_t nt = x->nt, k = 1;
	struct rf_value v;
	int esc;
	x->depth = 1;
	char c = k < nt ? p[tok[k]] : 0;
	if (c == '}')
		return nt == 2;
	for (;;) {
		/* the key: its closing quote is before the colon */
		if (c != '"' || k + 1 >= nt || p[tok[k + 1]] != ':')
			return 0;
		const char *ks = p + tok[k] + 1, *ke = string_end(p + tok[k + 1]);
		struct rf_value key = rf__val(ks, (size_t)(ke - ks));
		k += 2;
		if (x->backslash && memchr(ks, '\\', (size_t)(ke - ks))) {
			if (!escapes_valid(ks, ke) || rf__json_unescape(x->b, key, &key) < 0)
				return 0;
		}
		int slot = flat_slot(ps, key.p, (size_t)key.len);
		if (k >= nt)
			return 0;
		c = p[tok[k]];
		if (c == '"') {
			if (slot >= 0 || x->backslash) {
				x->k = k;
				if (!tok_string(x, &v, &esc))
					return 0;
				if (slot >= 0) {
					if (esc && rf__json_unescape(x->b, v, &v) < 0)
						return 0;
					x->row[slot] = v;
				}
			}
			k++;
		} else if (c == '{' || c == '[') {
			x->k = k;
			if (!json_skip_container(x))
				return 0;
			if (slot >= 0) /* objects and arrays as text */
				x->row[slot] = rf__val(p + tok[k], (size_t)(p + tok[x->k - 1] + 1 - (p + tok[k])));
			k = x->k;
		} else if (c == ',' || c == ':' || c == '}' || c == ']') {
			return 0;
		} else {
			if (!scalar_at(p + tok[k], k + 1 < nt ? p + tok[k + 1] : x->end, &v))
				return 0;
			if (slot >= 0) /* numbers and booleans as text */
				x->row[slot] = v.len == 4 && !memcmp(v.p, "null", 4) ? RF_MISSING : v;
			k++;
		}
		c = k < nt ? p[tok[k++]] : 0;
		if (c == '}')
			return k == nt;
		if (c != ',')
			return 0;
		c = k < nt ? p[tok[k]] : 0;
	}
}

static int parse_json(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p, size_t n,
		      struct rf_value *row)
{
	for (int i = 0; i < ps->pc->nslots; i++)
		row[i] = RF_MISSING;
	if (rf__parse_scan_room(ps, k, n) < 0)
		return -ENOMEM;
	unsigned flags;
	struct json_ctx x = { .ps = ps, .b = b, .p = p, .end = p + n, .tok = ps->tok, .row = row, .path = ps->scratch };
	x.nt = ps->scanner->json_index(p, n, ps->tok, &flags);
	if (flags & RF_SCAN_BAD)
		return -1;
	x.backslash = (flags & RF_SCAN_BACKSLASH) != 0;
	if (tok_byte(&x, 0) != '{')
		return -1;
	if (ps->flat_slots)
		return json_flat(&x) ? 0 : -1;
	if (!json_object(&x) || x.k != x.nt)
		return -1;
	return 0;
}

/* room for the longest key path a slot can name, and the first bytes of
 * the slots' names */
static int json_open(struct parse_state *ps)
{
	ps->flat_slots = 1;
	for (int i = 0; i < ps->pc->nslots; i++)
		if (ps->pc->slot_field[i] != RF_SLOT_EVAL) {
			ps->first_byte[(unsigned char)ps->pc->slot_name[i][0]] = 1;
			if (strchr(ps->pc->slot_name[i], '.'))
				ps->flat_slots = 0;
		}
	ps->scratch_cap = ps->max_slot_len + 2;
	if (!(ps->scratch = malloc(ps->scratch_cap)))
		return -ENOMEM;
	return 0;
}

extern const struct parse_format rf__format_json;

static int json_sniff(const char *p, size_t n)
{
	return rf__sniff_records(&rf__format_json, p, n);
}

const struct parse_format rf__format_json = {
	.name = "json",
	.time_fields = rf__json_time_names,
	.open = json_open,
	.record = parse_json,
	.sniff = json_sniff,
};
