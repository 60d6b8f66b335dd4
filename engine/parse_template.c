/* SPDX-License-Identifier: MIT */
/* parse_template.c - compiled log templates (see parse_template.h): the
 * builder the format compilers use, the matcher on the hot path, and the
 * parse stage's hooks shared by every template format.
 *
 * A record is matched element by element, never going back: a capture
 * ends at the first byte of the literal after it (found with a short loop
 * for fields of a few bytes, memchr for long ones), a capture between
 * quotes at the first quote not escaped, the last capture at the end of
 * the line.  Values point into the record; nothing is copied.
 */
#include "config.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse_template.h"

struct rf_template *rf__tpl_new(void)
{
	struct rf_template *t = calloc(1, sizeof *t);
	if (t)
		t->nonempty = 1;
	return t;
}

void rf__tpl_free(struct rf_template *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->nnames; i++)
		free(t->name[i]);
	free(t->name);
	free(t->name_field);
	free(t->elem);
	free(t->at);
	free(t->text);
	free(t);
}

static int grow_elems(struct rf_template *t)
{
	if (t->nelem < t->cap)
		return 0;
	int cap = t->cap ? t->cap * 2 : 16;
	struct rf_tpl_elem *e = realloc(t->elem, (size_t)cap * sizeof *e);
	if (e)
		t->elem = e;
	int *at = realloc(t->at, (size_t)cap * sizeof *at);
	if (at)
		t->at = at;
	if (!e || !at)
		return -ENOMEM;
	t->cap = cap;
	return 0;
}

/* The bytes go to the end of t->text; while building, a literal's lit is
 * its offset there (the buffer moves as it grows). */
int rf__tpl_literal(struct rf_template *t, const char *s, size_t n, int at)
{
	if (n == 0)
		return 0;
	if (t->text_len + n > t->text_cap) {
		size_t cap = t->text_cap ? t->text_cap * 2 : 64;
		while (cap < t->text_len + n)
			cap *= 2;
		char *x = realloc(t->text, cap);
		if (!x)
			return -ENOMEM;
		t->text = x;
		t->text_cap = cap;
	}
	memcpy(t->text + t->text_len, s, n);
	struct rf_tpl_elem *last = t->nelem ? &t->elem[t->nelem - 1] : NULL;
	if (last && last->kind == RF_TPL_LIT && last->len + n < UINT16_MAX) {
		last->len = (uint16_t)(last->len + n); /* its bytes end where these begin */
	} else {
		if (n >= UINT16_MAX || grow_elems(t) < 0)
			return -ENOMEM;
		t->at[t->nelem] = at;
		t->elem[t->nelem++] = (struct rf_tpl_elem){ .kind = RF_TPL_LIT, .len = (uint16_t)n, .field = -1,
							    .lit = (const char *)(uintptr_t)t->text_len };
	}
	t->text_len += n;
	return 0;
}

static int find_name(const struct rf_template *t, const char *name)
{
	for (int i = 0; i < t->nnames; i++)
		if (strcmp(t->name[i], name) == 0)
			return i;
	return -1;
}

static int add_name(struct rf_template *t, const char *name, int field)
{
	if (t->nnames + 1 >= t->names_cap) {
		int cap = t->names_cap ? t->names_cap * 2 : 32;
		char **nm = realloc(t->name, (size_t)cap * sizeof *nm);
		if (nm)
			t->name = nm;
		int16_t *nf = realloc(t->name_field, (size_t)cap * sizeof *nf);
		if (nf)
			t->name_field = nf;
		if (!nm || !nf)
			return -ENOMEM;
		t->names_cap = cap;
	}
	if (!(t->name[t->nnames] = strdup(name)))
		return -ENOMEM;
	t->name_field[t->nnames++] = (int16_t)field;
	return 0;
}

/* a new field called name, or name_2, name_3 ... when that is taken */
static int new_field(struct rf_template *t, const char *name)
{
	char buf[160];
	snprintf(buf, sizeof buf, "%s", name);
	for (int k = 2; find_name(t, buf) >= 0; k++)
		snprintf(buf, sizeof buf, "%.140s_%d", name, k);
	if (t->nfields >= RF_TPL_MAX_FIELDS)
		return -E2BIG;
	int r = add_name(t, buf, t->nfields);
	return r < 0 ? r : t->nfields++;
}

int rf__tpl_capture(struct rf_template *t, const char *name, unsigned flags, int hint, int at)
{
	if (grow_elems(t) < 0)
		return -ENOMEM;
	int f = new_field(t, name), r = 0;
	if (f < 0)
		return f;
	if (flags & RF_TPL_REQUEST) {
		static const char *const parts[] = { "method", "path", "protocol" };
		for (int i = 0; i < 3 && r >= 0; i++)
			r = new_field(t, parts[i]);
	} else if (flags & RF_TPL_HOSTPORT) {
		char buf[160];
		snprintf(buf, sizeof buf, "%.150s_ip", name);
		r = new_field(t, buf);
		snprintf(buf, sizeof buf, "%.150s_port", name);
		if (r >= 0)
			r = new_field(t, buf);
	}
	if (r < 0)
		return r;
	t->at[t->nelem] = at;
	t->elem[t->nelem++] = (struct rf_tpl_elem){ .kind = RF_TPL_UNTIL, .flags = (uint16_t)flags,
						    .hint = (uint16_t)hint, .field = (int16_t)f };
	return f;
}

int rf__tpl_alias(struct rf_template *t, const char *alias, int field)
{
	return find_name(t, alias) >= 0 ? 0 : add_name(t, alias, field);
}

static int is_status(const char *p, const char *q);

static int is_capture(const struct rf_tpl_elem *e)
{
	return e && e->kind != RF_TPL_LIT;
}

int rf__tpl_finish(struct rf_template *t, int *bad_at)
{
	for (int i = 0; i < t->nelem; i++)
		if (t->elem[i].kind == RF_TPL_LIT)
			t->elem[i].lit = t->text + (uintptr_t)t->elem[i].lit;
	int status = -1, time = -1;
	for (int i = 0; i < t->nelem; i++) {
		struct rf_tpl_elem *e = &t->elem[i];
		if (e->kind == RF_TPL_LIT)
			continue;
		e->want = RF_TPL_WANT_VALUE | RF_TPL_WANT_PARTS;
		const struct rf_tpl_elem *prev = i > 0 ? &t->elem[i - 1] : NULL;
		const struct rf_tpl_elem *next = i + 1 < t->nelem ? &t->elem[i + 1] : NULL;
		if ((e->flags & RF_TPL_STATUS) && status < 0)
			status = i;
		if ((e->flags & RF_TPL_TIME) && time < 0)
			time = i;
		if (!next) {
			char open = prev && prev->kind == RF_TPL_LIT ? prev->lit[prev->len - 1] : 0;
			e->kind = RF_TPL_REST;
			if (t->last_word && open != '"' && open != '[') {
				e->kind = RF_TPL_UNTIL; /* to a blank or the line's end */
				e->stop = ' ';
				e->flags |= RF_TPL_SHORT;
			}
		} else if (next->kind == RF_TPL_LIT) {
			char open = prev && prev->kind == RF_TPL_LIT ? prev->lit[prev->len - 1] : 0;
			e->stop = (uint8_t)next->lit[0];
			if (open == '"' && next->lit[0] == '"' && t->quoted)
				e->kind = RF_TPL_QUOTED;
			if ((open == '"' && next->lit[0] == '"') || (open == '[' && next->lit[0] == ']'))
				e->flags |= RF_TPL_ENCLOSED;
		} else if (e->flags & RF_TPL_STATUS) {
			e->kind = RF_TPL_FIXED; /* two captures touch: the status is three digits */
			e->hint = 3;
		} else if ((next->flags & RF_TPL_STATUS) && !is_capture(i + 2 < t->nelem ? &t->elem[i + 2] : NULL)) {
			/* this one ends three bytes before the status's end */
			e->back = 3;
			if (i + 2 < t->nelem)
				e->stop = (uint8_t)t->elem[i + 2].lit[0];
			else
				e->kind = RF_TPL_REST;
		} else {
			*bad_at = t->at[i + 1];
			return -EINVAL;
		}
	}
	/* What a line must have in full: up to its status, as combined; with
	 * no status, up to its time; with neither, all of it (unless the
	 * format said). */
	if (t->required > 0)
		;
	else if (status >= 0)
		t->required = status + 1;
	else if (time >= 0)
		t->required = time + 1 + (time + 1 < t->nelem && t->elem[time + 1].kind == RF_TPL_LIT);
	else
		t->required = t->nelem;
	/* A literal after a capture becomes the capture's: one step per
	 * capture, and the literal's first byte is the stop already found. */
	int n = 0;
	for (int i = 0; i < t->nelem; i++) {
		struct rf_tpl_elem e = t->elem[i];
		if (e.kind == RF_TPL_LIT && n > 0 && t->elem[n - 1].kind != RF_TPL_LIT) {
			t->elem[n - 1].lit = e.lit;
			t->elem[n - 1].len = e.len;
			continue;
		}
		e.need = (uint8_t)((e.kind != RF_TPL_LIT && i < t->required ? RF_TPL_NEED_SELF : 0) |
				   (i + (e.kind != RF_TPL_LIT) < t->required ? RF_TPL_NEED_LIT : 0));
		if (e.kind != RF_TPL_LIT)
			e.len = 0;
		t->elem[n++] = e;
	}
	t->nelem = n;
	if (find_name(t, "time") >= 0)
		t->time_fields[0] = "time";
	return 0;
}

/* ---- matching ---- */

/* the first quote not escaped (an even number of backslashes before it),
 * as combined reads its quoted fields; NULL: none */
static const char *close_quote(const char *s, const char *end)
{
	const char *p = s;
	for (;;) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (!q)
			return NULL;
		const char *b = q;
		while (b > s && b[-1] == '\\')
			b--;
		if (((q - b) & 1) == 0)
			return q;
		p = q + 1;
	}
}

static int is_status(const char *p, const char *q)
{
	return q - p == 3 && p[0] >= '1' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9';
}

/* the fields a capture's value gives: itself, and its parts */
static inline void store(const struct rf_tpl_elem *e, const char *p, const char *q, struct rf_value *f)
{
	struct rf_value v = rf__val(p, (size_t)(q - p));
	if ((e->flags & (RF_TPL_DASH_ZERO | RF_TPL_DASH_NULL)) && q - p == 1 && *p == '-')
		v = (e->flags & RF_TPL_DASH_ZERO) ? rf__val("0", 1) : RF_MISSING;
	f[e->field] = v;
	if (!(e->want & RF_TPL_WANT_PARTS)) {
		return;
	} else if (e->flags & RF_TPL_REQUEST) {
		/* METHOD PATH PROTOCOL, when it has that shape (as combined) */
		const char *s1 = p;
		while (s1 < q && *s1 != ' ')
			s1++;
		if (s1 < q) {
			const char *s2 = memchr(s1 + 1, ' ', (size_t)(q - s1 - 1));
			if (!s2)
				s2 = q;
			f[e->field + 1] = rf__val(p, (size_t)(s1 - p));
			f[e->field + 2] = rf__val(s1 + 1, (size_t)(s2 - s1 - 1));
			if (s2 < q)
				f[e->field + 3] = rf__val(s2 + 1, (size_t)(q - s2 - 1));
		}
	} else if (e->flags & RF_TPL_HOSTPORT) {
		/* the port after the last colon (an IPv6 address has many) */
		const char *c = q;
		while (c > p && c[-1] != ':')
			c--;
		if (c > p && c < q) {
			const char *ip = p, *ipe = c - 1;
			if (ipe - ip >= 2 && *ip == '[' && ipe[-1] == ']')
				ip++, ipe--;
			f[e->field + 1] = rf__val(ip, (size_t)(ipe - ip));
			f[e->field + 2] = rf__val(c, (size_t)(q - c));
		}
	}
}

/* The line ended early: rejected when what ends is needed, else complete
 * (short_ok: an older, shorter kind of line) or cut off. */
static int ended(const struct rf_template *t, int needed)
{
	if (needed)
		return -1;
	return t->short_ok ? 0 : 1;
}

/* the literal at p, whose first `skip` bytes are known to match: its
 * length, or -1 (no match) or -2 (the line ends inside it) */
static inline long literal(const char *p, const char *end, const char *lit, size_t len, size_t skip)
{
	size_t have = (size_t)(end - p);
	if (have < len)
		return memcmp(p, lit, have) ? -1 : -2;
	/* literals are a few bytes: a loop beats the call to memcmp */
	for (size_t k = skip; k < len; k++)
		if (p[k] != lit[k])
			return -1;
	return (long)len;
}

/* The caller sets the fields it reads to RF_MISSING first. */
/* The end of an upstream list at or after q, a blank: nginx joins the
 * values of several upstreams with ", " and those before and after an
 * internal redirect with " : ". */
static const char *list_end(const char *p, const char *q, const char *end)
{
	while (q < end && ((q > p && q[-1] == ',') || (q - p >= 2 && q[-1] == ':' && q[-2] == ' ') ||
			   (end - q >= 3 && q[1] == ':' && q[2] == ' '))) {
		const char *n = memchr(q + 1, ' ', (size_t)(end - q - 1));
		q = n ? n : end;
	}
	return q;
}

int rf__tpl_match(const struct rf_template *t, const char *p, size_t n, struct rf_value *f)
{
	const char *end = p + n;
	const struct rf_tpl_elem *e = t->elem, *last = t->elem + t->nelem;
	long l;
	if (e < last && e->kind == RF_TPL_LIT) {
		if (t->float_start) {
			const char *hit = memmem(p, n, e->lit, e->len);
			if (!hit)
				return -1;
			p = hit + e->len;
		} else if ((l = literal(p, end, e->lit, e->len, 0)) < 0) {
			return l == -1 ? -1 : ended(t, e->need & RF_TPL_NEED_LIT);
		} else {
			p += l;
		}
		e++;
	}
	for (; e < last; e++) {
		const char *q;
		size_t skip = 0;
		switch (e->kind) {
		case RF_TPL_UNTIL:
			if (p == end && t->nonempty && !(e->flags & RF_TPL_ENCLOSED))
				return ended(t, e->need & RF_TPL_NEED_SELF); /* it cannot be empty */
			if (e->hint && end - p > e->hint && p[e->hint] == (char)e->stop) {
				q = p + e->hint;
			} else if (e->flags & RF_TPL_SHORT) {
				q = p;
				while (q < end && *q != (char)e->stop)
					q++;
			} else {
				q = memchr(p, e->stop, (size_t)(end - p));
				if (!q)
					q = end;
			}
			if (__builtin_expect(e->flags & RF_TPL_LIST, 0) && e->stop == ' ')
				q = list_end(p, q, end);
			if (__builtin_expect(t->retry, 0)) {
				/* the whole literal, not just its first byte */
				while (q < end && ((size_t)(end - q) < e->len || memcmp(q, e->lit, e->len) != 0)) {
					q = memchr(q + 1, e->stop, (size_t)(end - q - 1));
					if (!q)
						q = end;
				}
			}
			if (q == end) {
				if (e->need & RF_TPL_NEED_LIT)
					return -1; /* a field the line must have in full */
			} else if (e->back) {
				if (q - p >= e->back)
					q -= e->back;
			} else {
				skip = 1;
			}
			break;
		case RF_TPL_QUOTED:
			q = close_quote(p, end);
			if (!q) {
				if (e->need & RF_TPL_NEED_SELF)
					return -1;
				if (e->want)
					store(e, p, end, f); /* its closing quote is cut off: the rest of the line */
				return 1;
			}
			skip = 1;
			break;
		case RF_TPL_FIXED:
			if (end - p < e->hint)
				return ended(t, e->need & RF_TPL_NEED_SELF);
			q = p + e->hint;
			break;
		default: /* RF_TPL_REST */
			if (p == end && t->nonempty && !(e->flags & RF_TPL_ENCLOSED))
				return ended(t, e->need & RF_TPL_NEED_SELF);
			q = end - e->back < p ? p : end - e->back;
			break;
		}
		if (q == p && t->nonempty && !(e->flags & RF_TPL_ENCLOSED))
			return -1;
		if ((e->flags & RF_TPL_STATUS) && !is_status(p, q))
			return -1;
		if (e->want)
			store(e, p, q, f);
		p = q;
		if (e->len) {
			if ((l = literal(p, end, e->lit, e->len, skip)) < 0)
				return l == -1 ? -1 : ended(t, e->need & RF_TPL_NEED_LIT);
			p += l;
		}
	}
	return 0;
}

/* ---- the parse stage's hooks ---- */

int rf__tpl_attach(struct parse_config *pc, struct rf_template *t)
{
	const char **known = calloc((size_t)t->nnames + 1, sizeof *known);
	if (!known) {
		rf__tpl_free(t);
		return -ENOMEM;
	}
	for (int i = 0; i < t->nnames; i++)
		known[i] = t->name[i];
	/* the parse stage stores only what its slots read (rf__tpl_field,
	 * at bind) */
	for (int i = 0; i < t->nelem; i++)
		t->elem[i].want = 0;
	pc->tpl = t;
	pc->head.known = known;
	pc->head.time_fields = t->time_fields[0] ? t->time_fields : NULL;
	return 0;
}

int rf__tpl_field_of(const struct rf_template *t, const char *name)
{
	int i = find_name(t, name);
	return i >= 0 ? t->name_field[i] : -1;
}

/* Called by bind, once per slot, before any run: the capture giving the
 * field is marked wanted (and its parts, for a request's method). */
int rf__tpl_field(const struct parse_config *pc, const char *name)
{
	struct rf_template *t = pc->tpl;
	int f = rf__tpl_field_of(t, name);
	for (int i = 0; f >= 0 && i < t->nelem; i++) {
		struct rf_tpl_elem *e = &t->elem[i];
		if (e->kind == RF_TPL_LIT || f < e->field)
			continue;
		int parts = e->flags & RF_TPL_REQUEST ? 3 : e->flags & RF_TPL_HOSTPORT ? 2 : 0;
		if (f == e->field)
			e->want |= RF_TPL_WANT_VALUE;
		else if (f <= e->field + parts)
			e->want |= RF_TPL_WANT_VALUE | RF_TPL_WANT_PARTS;
	}
	return f;
}

int rf__tpl_record(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p,
		   size_t n, struct rf_value *row)
{
	const struct parse_config *pc = ps->pc;
	struct rf_value f[RF_TPL_MAX_FIELDS];
	(void)k;
	(void)b;
	for (int i = 0; i < pc->nslots; i++)
		if (pc->slot_field[i] >= 0)
			f[pc->slot_field[i]] = RF_MISSING;
	int r = rf__tpl_match(pc->tpl, p, n, f);
	if (r < 0)
		return -1;
	for (int i = 0; i < pc->nslots; i++) {
		int fi = pc->slot_field[i];
		row[i] = fi >= 0 ? f[fi] : RF_MISSING;
	}
	return r;
}
