/* parse_json.c - the json format: one object a line; fields by their
 * dotted key path (a.b.c), read as Python's json module reads them. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "table.h"

struct json_ctx {
	struct parse_state *ps;
	struct rf_batch *b;
	const char *end;
	struct rf_value *row;
	char *path;           /* the dotted path of the current key */
	size_t path_len;
	int depth;
};

static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

static const char *json_value(struct json_ctx *x, const char *p, int slot);

/* A JSON number as the grammar has it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * of any length, or one of the words. */
static int json_literal(const char *s, size_t n)
{
	static const char *const words[] = { "true", "false", "null", "NaN", "Infinity", "-Infinity", NULL };
	for (int i = 0; words[i]; i++)
		if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
			return 1;
	return rf__json_number_syntax(s, n) != 0;
}

/* Skip a value we do not want (or an array, kept as raw text). */
static const char *json_skip(struct json_ctx *x, const char *p)
{
	const char *end = x->end;
	if (p >= end)
		return NULL;
	if (*p == '"') {
		struct rf_value raw;
		int esc;
		return rf__json_string(p, end, &raw, &esc);
	}
	if (*p == '{' || *p == '[') {
		if (++x->depth > 64)
			return NULL;
		char close = *p == '{' ? '}' : ']';
		p = ws(p + 1, end);
		if (p < end && *p == close) {
			x->depth--;
			return p + 1;
		}
		for (;;) {
			if (close == '}') {
				struct rf_value raw;
				int esc;
				if (p >= end || *p != '"' || !(p = rf__json_string(p, end, &raw, &esc)))
					return NULL;
				p = ws(p, end);
				if (p >= end || *p != ':')
					return NULL;
				p = ws(p + 1, end);
			}
			if (!(p = json_skip(x, p)))
				return NULL;
			p = ws(p, end);
			if (p < end && *p == ',') {
				p = ws(p + 1, end);
				continue;
			}
			if (p < end && *p == close) {
				x->depth--;
				return p + 1;
			}
			return NULL;
		}
	}
	/* number, true, false, null (and NaN, Infinity, -Infinity, which
	 * Python's json module reads too) */
	const char *s = p;
	while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' && *p != '\r' &&
	       *p != '\n')
		p++;
	return json_literal(s, (size_t)(p - s)) ? p : NULL;
}

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
		if (ps->pc->slot_field[i] == RF_SLOT_EVAL)
			continue;
		if (ps->slot_len[i] < len || memcmp(name, x->path, len) != 0)
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

static const char *json_object(struct json_ctx *x, const char *p)
{
	const char *end = x->end;
	if (++x->depth > 64)
		return NULL;
	p = ws(p + 1, end);
	if (p < end && *p == '}') {
		x->depth--;
		return p + 1;
	}
	size_t base = x->path_len;
	for (;;) {
		struct rf_value key;
		int esc;
		if (p >= end || *p != '"' || !(p = rf__json_string(p, end, &key, &esc)))
			return NULL;
		if (esc && rf__json_unescape(x->b, key, &key) < 0)
			return NULL;
		/* the key's full dotted path; one longer than every slot name
		 * names nothing, and neither does anything under it */
		size_t dot = x->depth > 1; /* the top level's keys have none before them */
		size_t need = base + dot + (size_t)key.len;
		int slot = -1, below = 0;
		if (need <= x->ps->max_slot_len) {
			if (dot)
				x->path[base] = '.';
			memcpy(x->path + base + dot, key.p, (size_t)key.len);
			x->path_len = need;
			slot = json_want(x, &below);
		}
		p = ws(p, end);
		if (p >= end || *p != ':')
			return NULL;
		p = ws(p + 1, end);
		if (p < end && *p == '{' && below) {
			/* fields under this key are wanted (and maybe the
			 * object itself, as its text) */
			const char *s = p;
			if (!(p = json_object(x, p)))
				return NULL;
			if (slot >= 0)
				x->row[slot] = rf__val(s, (size_t)(p - s));
		} else if (!(p = json_value(x, p, slot))) {
			return NULL;
		}
		x->path_len = base;
		p = ws(p, end);
		if (p < end && *p == ',') {
			p = ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}') {
			x->depth--;
			return p + 1;
		}
		return NULL;
	}
}

static const char *json_value(struct json_ctx *x, const char *p, int slot)
{
	const char *end = x->end;
	if (p >= end)
		return NULL;
	if (*p == '"') {
		struct rf_value raw;
		int esc;
		const char *q = rf__json_string(p, end, &raw, &esc);
		if (!q)
			return NULL;
		if (slot >= 0) {
			if (esc && rf__json_unescape(x->b, raw, &raw) < 0)
				return NULL;
			x->row[slot] = raw;
		}
		return q;
	}
	const char *s = p;
	const char *q = json_skip(x, p);
	if (!q)
		return NULL;
	if (slot >= 0) {
		size_t n = (size_t)(q - s);
		if (n == 4 && !memcmp(s, "null", 4))
			x->row[slot] = RF_MISSING;
		else
			x->row[slot] = rf__val(s, n); /* numbers, booleans, objects and arrays as text */
	}
	return q;
}

static int parse_json(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p, size_t n,
		      struct rf_value *row)
{
	(void)k;
	struct json_ctx x = { .ps = ps, .b = b, .end = p + n, .row = row, .path = ps->scratch };
	for (int i = 0; i < ps->pc->nslots; i++)
		row[i] = RF_MISSING;
	p = ws(p, x.end);
	if (p >= x.end || *p != '{')
		return -1;
	p = json_object(&x, p);
	if (!p || ws(p, x.end) != x.end)
		return -1;
	return 0;
}

/* room for the longest key path a slot can name */
static int json_open(struct parse_state *ps)
{
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
