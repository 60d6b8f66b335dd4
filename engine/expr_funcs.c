/* SPDX-License-Identifier: MIT */
/* expr_funcs.c - the functions of the expression language.
 *
 * Each is called once per row with its evaluated arguments.  A null
 * argument gives null, but for if() and coalesce().  Strings are bytes:
 * len counts bytes, substr counts bytes from 1, lower and upper change
 * ASCII letters only.  Results that are new strings come from the
 * evaluator's arena (env->alloc): no malloc per row. */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "enrich.h"
#include "expr.h"
#include "timezone.h"
#include "tval.h"

#define FN(name) static void fn_##name(const struct rf_fn_call *call, const struct rf_tv *a, struct rf_tv *out, \
				       struct rf_fn_env *env, void *scratch)
#define UNUSED (void)call, (void)env, (void)scratch

static int any_null(const struct rf_tv *a, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i].type == RF_TV_NULL)
			return 1;
	return 0;
}

/* The text of a value: a string as it is, anything else as it prints. */
static int text_of(const struct rf_tv *v, struct rf_fn_env *env, const char **p, size_t *n)
{
	struct rf_tv t;
	if (v->type == RF_TV_NULL || rf__tv_to_text(v, env, &t) < 0)
		return -1;
	*p = t.u.s;
	*n = t.len;
	return 0;
}

static char *alloc(struct rf_fn_env *env, size_t n)
{
	char *p = env->alloc(env->user, n ? n : 1);
	if (!p)
		env->error = -ENOMEM;
	return p;
}

/* An integer argument (a number, or text that reads as one), truncated. */
static int int_of(const struct rf_tv *v, int64_t *out)
{
	struct rf_tv n;
	if (rf__tv_to_number(v, &n) < 0)
		return -1;
	if (n.type == RF_TV_INT) {
		*out = n.u.i;
		return 0;
	}
	if (!(n.u.d > -9.2e18 && n.u.d < 9.2e18))
		return -1;
	*out = (int64_t)n.u.d;
	return 0;
}

/* ---- strings ---- */

static void change_case(const struct rf_tv *a, struct rf_tv *out, struct rf_fn_env *env, int up)
{
	const char *p;
	size_t n;
	if (text_of(a, env, &p, &n) < 0) {
		*out = rf_tv_null();
		return;
	}
	char *s = alloc(env, n);
	if (!s) {
		*out = rf_tv_null();
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (up && c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		else if (!up && c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		s[i] = c;
	}
	*out = rf_tv_str(s, n);
}

FN(lower)
{
	UNUSED;
	change_case(&a[0], out, env, 0);
}

FN(upper)
{
	UNUSED;
	change_case(&a[0], out, env, 1);
}

FN(len)
{
	UNUSED;
	const char *p;
	size_t n;
	*out = text_of(&a[0], env, &p, &n) < 0 ? rf_tv_null() : rf_tv_int((int64_t)n);
}

/* substr(s, start[, n]): bytes from `start` (1 is the first), n of them
 * (negative: none).  The window [start, start + n) is clipped to the
 * string, so a start of 0 or below counts positions before the first, as
 * SQL's SUBSTRING and PostgreSQL do: substr("abc", 0, 2) is "a",
 * substr("abc", -1, 3) is "a".  (DuckDB differs: its negative start counts
 * from the end.) */
FN(substr)
{
	UNUSED;
	const char *p;
	size_t n;
	int64_t start, count = INT64_MAX;
	if (any_null(a, call->argc) || text_of(&a[0], env, &p, &n) < 0 || int_of(&a[1], &start) < 0 ||
	    (call->argc > 2 && int_of(&a[2], &count) < 0)) {
		*out = rf_tv_null();
		return;
	}
	if (count < 0)
		count = 0;
	/* [start, start + count) in 1-based positions, clipped to [1, n];
	 * without a count the window runs to the end, whatever the start */
	__int128 from = start, to = call->argc > 2 ? (__int128)start + count : (__int128)n + 1;
	if (from < 1)
		from = 1;
	if (to > (__int128)n + 1)
		to = (__int128)n + 1;
	if (to <= from) {
		*out = rf_tv_str("", 0);
		return;
	}
	*out = rf_tv_str(p + (size_t)(from - 1), (size_t)(to - from));
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void trim(const struct rf_tv *a, struct rf_tv *out, struct rf_fn_env *env, int left, int right)
{
	const char *p;
	size_t n;
	if (text_of(a, env, &p, &n) < 0) {
		*out = rf_tv_null();
		return;
	}
	while (left && n && is_blank(*p))
		p++, n--;
	while (right && n && is_blank(p[n - 1]))
		n--;
	*out = rf_tv_str(p, n);
}

FN(trim)
{
	UNUSED;
	trim(&a[0], out, env, 1, 1);
}

FN(ltrim)
{
	UNUSED;
	trim(&a[0], out, env, 1, 0);
}

FN(rtrim)
{
	UNUSED;
	trim(&a[0], out, env, 0, 1);
}

/* replace(s, from, to): every occurrence, left to right, not overlapping */
FN(replace)
{
	UNUSED;
	const char *s, *f, *t;
	size_t sn, fn, tn;
	if (any_null(a, 3) || text_of(&a[0], env, &s, &sn) < 0 || text_of(&a[1], env, &f, &fn) < 0 ||
	    text_of(&a[2], env, &t, &tn) < 0) {
		*out = rf_tv_null();
		return;
	}
	if (fn == 0 || fn > sn) {
		*out = rf_tv_str(s, sn);
		return;
	}
	size_t hits = 0;
	for (const char *q = s; (q = memmem(q, sn - (size_t)(q - s), f, fn)); q += fn)
		hits++;
	if (!hits) {
		*out = rf_tv_str(s, sn);
		return;
	}
	size_t len = sn - hits * fn + hits * tn;
	char *r = alloc(env, len), *w = r;
	if (!r) {
		*out = rf_tv_null();
		return;
	}
	const char *q = s, *hit;
	while ((hit = memmem(q, sn - (size_t)(q - s), f, fn))) {
		memcpy(w, q, (size_t)(hit - q));
		w += hit - q;
		memcpy(w, t, tn);
		w += tn;
		q = hit + fn;
	}
	memcpy(w, q, sn - (size_t)(q - s));
	*out = rf_tv_str(r, len);
}

/* split_part(s, delim, n): the nth piece (1-based; -1 the last); "" when
 * there is no such piece.  An empty delimiter: s is its only piece. */
FN(split_part)
{
	UNUSED;
	const char *s, *d;
	size_t sn, dn;
	int64_t k;
	if (any_null(a, 3) || text_of(&a[0], env, &s, &sn) < 0 || text_of(&a[1], env, &d, &dn) < 0 ||
	    int_of(&a[2], &k) < 0) {
		*out = rf_tv_null();
		return;
	}
	size_t pieces = 1;
	if (dn)
		for (const char *q = s; (q = memmem(q, sn - (size_t)(q - s), d, dn)); q += dn)
			pieces++;
	int64_t i = k > 0 ? k - 1 : (int64_t)pieces + k;
	if (k == 0 || i < 0 || i >= (int64_t)pieces) {
		*out = rf_tv_str("", 0);
		return;
	}
	const char *from = s;
	for (int64_t j = 0; j < i; j++)
		from = (const char *)memmem(from, sn - (size_t)(from - s), d, dn) + dn;
	const char *end = dn ? memmem(from, sn - (size_t)(from - s), d, dn) : NULL;
	*out = rf_tv_str(from, end ? (size_t)(end - from) : sn - (size_t)(from - s));
}

/* A copy of p with ASCII letters in lower case, from the arena. */
static char *folded(const char *p, size_t n, struct rf_fn_env *env)
{
	char *r = alloc(env, n);
	if (r)
		for (size_t i = 0; i < n; i++)
			r[i] = p[i] >= 'A' && p[i] <= 'Z' ? (char)(p[i] + 32) : p[i];
	return r;
}

enum { AT_START, AT_END, ANYWHERE, ANYWHERE_CI };

static void find(const struct rf_tv *a, struct rf_tv *out, struct rf_fn_env *env, int where)
{
	const char *s, *p;
	size_t sn, pn;
	if (any_null(a, 2) || text_of(&a[0], env, &s, &sn) < 0 || text_of(&a[1], env, &p, &pn) < 0) {
		*out = rf_tv_null();
		return;
	}
	int r = 0;
	if (pn <= sn) {
		switch (where) {
		case AT_START: r = memcmp(s, p, pn) == 0; break;
		case AT_END: r = memcmp(s + sn - pn, p, pn) == 0; break;
		case ANYWHERE: r = pn == 0 || memmem(s, sn, p, pn) != NULL; break;
		default: {
			/* memmem on folded copies: linear, where comparing at
			 * each position is n times m ("aaa...a" for "aa...ab") */
			const char *fs = folded(s, sn, env), *fp = folded(p, pn, env);
			if (!fs || !fp) {
				*out = rf_tv_null();
				return;
			}
			r = pn == 0 || memmem(fs, sn, fp, pn) != NULL;
		}
		}
	}
	*out = rf_tv_bool(r);
}

FN(starts_with)
{
	UNUSED;
	find(a, out, env, AT_START);
}

FN(ends_with)
{
	UNUSED;
	find(a, out, env, AT_END);
}

FN(contains)
{
	UNUSED;
	find(a, out, env, ANYWHERE);
}

FN(icontains)
{
	UNUSED;
	find(a, out, env, ANYWHERE_CI);
}

/* ---- regex_extract(s, "re"[, group]) ---- */

struct rx_prep {
	struct rf_regex *re;
	int group;          /* its number (names are looked up in prepare) */
};

static int rx_prepare(struct rf_fn_call *call, const struct rf_tv *const *consts, const int *cols,
		      struct rf_query_error *err)
{
	if (!consts[1] || consts[1]->type != RF_TV_STR)
		return rf__fail(err, cols[1], "regex_extract needs its pattern as a string");
	struct rx_prep *rp = calloc(1, sizeof *rp);
	if (!rp)
		return -ENOMEM;
	call->prepared = rp;
	if (!(rp->re = rf__regex_compile(consts[1]->u.s, consts[1]->len, 0, 0, err, cols[1])))
		return -EINVAL;
	if (call->argc < 3)
		return 0;
	const struct rf_tv *g = consts[2];
	if (!g)
		return rf__fail(err, cols[2], "regex_extract's group is a number or a name, written as it is");
	struct rf_number num;
	if (g->type == RF_TV_INT) {
		rp->group = (int)g->u.i;
	} else if (g->type == RF_TV_STR && rf__parse_number(g->u.s, g->len, &num) == 0 && num.is_int) {
		rp->group = (int)num.i;
	} else if (g->type == RF_TV_STR) {
		char *names[64];
		int numbers[64], n = rf__regex_names(rp->re, names, numbers, 64);
		rp->group = -1;
		for (int i = 0; i < n; i++)
			if (strlen(names[i]) == g->len && memcmp(names[i], g->u.s, g->len) == 0)
				rp->group = numbers[i];
		if (rp->group < 0)
			return rf__fail(err, cols[2], "the pattern has no group named '%.*s'", (int)g->len, g->u.s);
	} else {
		return rf__fail(err, cols[2], "regex_extract's group is a number or a name");
	}
	if (rp->group < 0 || rp->group > 99)
		return rf__fail(err, cols[2], "no group %d in the pattern", rp->group);
	return 0;
}

static void rx_release(struct rf_fn_call *call)
{
	struct rx_prep *rp = call->prepared;
	if (rp) {
		rf__regex_free(rp->re);
		free(rp);
	}
	call->prepared = NULL;
}

static void *rx_scratch_new(const struct rf_fn_call *call)
{
	const struct rx_prep *rp = call->prepared;
	return rf__regex_match_new(rp->re);
}

static void rx_scratch_free(void *s)
{
	rf__regex_match_free(s);
}

FN(regex_extract)
{
	const struct rx_prep *rp = call->prepared;
	const char *s;
	size_t n, st, en;
	if (a[0].type == RF_TV_NULL || text_of(&a[0], env, &s, &n) < 0 ||
	    rf__regex_search(rp->re, scratch, s, n, 0, &st, &en) != 1) {
		*out = rf_tv_null();
		return;
	}
	if (rp->group && !rf__regex_group(scratch, rp->group, &st, &en)) {
		*out = rf_tv_null();
		return;
	}
	*out = rf_tv_str(s + st, en - st);
}

/* ---- URLs ----
 *
 * scheme://userinfo@host:port/path?query#fragment, as RFC 3986 splits it
 * (and Python's urllib.parse.urlsplit): the host is lowercased, without
 * the port, brackets kept off an IPv6 address.  A text with no "//" after
 * its scheme has no host; any text has a path, maybe empty ("-" is the
 * path "-", "example.com/a" the path "example.com/a"). */

struct url {
	const char *host, *path, *query;
	size_t host_n, path_n, query_n;
	int has_host;
};

static int scheme_len(const char *s, size_t n)
{
	size_t i = 0;
	if (!n || !((s[0] | 32) >= 'a' && (s[0] | 32) <= 'z'))
		return -1;
	while (i < n && (((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
			 s[i] == '-' || s[i] == '.'))
		i++;
	return i < n && s[i] == ':' ? (int)i : -1;
}

static void split_url(const char *s, size_t n, struct url *u)
{
	memset(u, 0, sizeof *u);
	size_t i = 0;
	int sl = scheme_len(s, n);
	if (sl > 0)
		i = (size_t)sl + 1;
	/* the fragment goes first */
	const char *hash = memchr(s + i, '#', n - i);
	size_t end = hash ? (size_t)(hash - s) : n;
	if (end - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
		i += 2;
		size_t h = i;
		while (i < end && s[i] != '/' && s[i] != '?')
			i++;
		u->host = s + h;
		u->host_n = i - h;
		u->has_host = 1;
	}
	size_t p = i;
	while (i < end && s[i] != '?')
		i++;
	u->path = s + p;
	u->path_n = i - p;
	if (i < end) {
		u->query = s + i + 1;
		u->query_n = end - i - 1;
	}
}

FN(url_host)
{
	UNUSED;
	const char *s;
	size_t n;
	struct url u;
	if (text_of(&a[0], env, &s, &n) < 0) {
		*out = rf_tv_null();
		return;
	}
	split_url(s, n, &u);
	if (!u.has_host) {
		*out = rf_tv_null();
		return;
	}
	const char *h = u.host;
	size_t hn = u.host_n;
	const char *at = memrchr(h, '@', hn);
	if (at) {
		hn -= (size_t)(at + 1 - h);
		h = at + 1;
	}
	if (hn && h[0] == '[') {
		const char *close = memchr(h, ']', hn);
		hn = close ? (size_t)(close - h - 1) : hn - 1;
		h++;
	} else {
		const char *colon = memchr(h, ':', hn);
		if (colon)
			hn = (size_t)(colon - h);
	}
	if (hn == 0) {
		*out = rf_tv_null();
		return;
	}
	char *r = alloc(env, hn);
	if (!r) {
		*out = rf_tv_null();
		return;
	}
	for (size_t i = 0; i < hn; i++)
		r[i] = h[i] >= 'A' && h[i] <= 'Z' ? (char)(h[i] + 32) : h[i];
	*out = rf_tv_str(r, hn);
}

FN(url_path)
{
	UNUSED;
	const char *s;
	size_t n;
	struct url u;
	if (text_of(&a[0], env, &s, &n) < 0) {
		*out = rf_tv_null();
		return;
	}
	split_url(s, n, &u);
	*out = rf_tv_str(u.path, u.path_n);
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 32);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decoding, + as a space; a % not followed by two hex digits
 * stays as it is. */
static size_t unescape(const char *p, size_t n, char *w)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (p[i] == '+')
			w[o++] = ' ';
		else if (p[i] == '%' && i + 2 < n && (h = hexv(p[i + 1])) >= 0 && (l = hexv(p[i + 2])) >= 0) {
			w[o++] = (char)(h * 16 + l);
			i += 2;
		} else
			w[o++] = p[i];
	}
	return o;
}

/* url_param(u, name): the first value of name in the query, decoded;
 * "" when it has no value; null when it is not there. */
FN(url_param)
{
	UNUSED;
	const char *s, *name;
	size_t n, nn;
	struct url u;
	if (any_null(a, 2) || text_of(&a[0], env, &s, &n) < 0 || text_of(&a[1], env, &name, &nn) < 0) {
		*out = rf_tv_null();
		return;
	}
	split_url(s, n, &u);
	const char *q = u.query, *end = u.query ? u.query + u.query_n : NULL;
	char *kbuf = alloc(env, u.query_n + 1);
	if (!kbuf) {
		*out = rf_tv_null();
		return;
	}
	while (q && q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *pe = amp ? amp : end;
		if (pe == q) {
			/* "&&" holds no key at all (parse_qs skips it too) */
			q = pe + 1;
			continue;
		}
		const char *eq = memchr(q, '=', (size_t)(pe - q));
		const char *ke = eq ? eq : pe;
		size_t kl = unescape(q, (size_t)(ke - q), kbuf);
		if (kl == nn && memcmp(kbuf, name, nn) == 0) {
			if (!eq) {
				*out = rf_tv_str("", 0);
				return;
			}
			char *v = alloc(env, (size_t)(pe - eq - 1));
			if (!v) {
				*out = rf_tv_null();
				return;
			}
			*out = rf_tv_str(v, unescape(eq + 1, (size_t)(pe - eq - 1), v));
			return;
		}
		q = amp ? amp + 1 : end;
	}
	*out = rf_tv_null();
}

/* ---- choices ---- */

FN(if)
{
	UNUSED;
	*out = rf__tv_truthy(&a[0]) ? a[1] : a[2];
}

FN(coalesce)
{
	UNUSED;
	*out = rf_tv_null();
	for (int i = 0; i < call->argc; i++)
		if (a[i].type != RF_TV_NULL) {
			*out = a[i];
			return;
		}
}

/* ---- numbers ---- */

static int number(const struct rf_tv *v, struct rf_tv *n)
{
	return v->type == RF_TV_NULL ? -1 : rf__tv_to_number(v, n);
}

FN(abs)
{
	UNUSED;
	struct rf_tv n;
	if (number(&a[0], &n) < 0)
		*out = rf_tv_null();
	else if (n.type == RF_TV_INT)
		*out = n.u.i == INT64_MIN ? rf_tv_float(9223372036854775808.0) : rf_tv_int(n.u.i < 0 ? -n.u.i : n.u.i);
	else
		*out = rf_tv_float(fabs(n.u.d));
}

/* x (read from v, when v is text) to `digits` decimal places (negative:
 * to tens, hundreds, ...), half away from zero, done on the decimal digits
 * of the text, or of the shortest text that reads back as x: on what the
 * input said.  1.005 is 1.01 to two places, though the double nearest
 * 1.005 lies just below it (x * 100 would give 100.49999... and 1.00), and
 * no scaling by powers of ten overflows or drifts near the ends of the
 * range. */
static double round_places(double x, const struct rf_tv *v, int64_t digits)
{
	char b[64], m[64];
	struct rf_decimal d;
	if (!isfinite(x) || x == 0 || digits > 400)
		return x;
	if (digits < -400)
		return 0;
	if (v->type != RF_TV_STR || rf__parse_decimal(v->u.s, v->len, &d) < 0) {
		int n = rf__format_double(x, b, sizeof b);
		if (n < 0 || (size_t)n >= sizeof b || rf__parse_decimal(b, (size_t)n, &d) < 0)
			return x;
	}
	/* digit k weighs 10^(exp - 1 - k): keep those of 10^-digits and up
	 * (past 60 of them the double is what it was) */
	int64_t keep = d.exp + digits;
	if (keep >= (int64_t)d.n || keep > 60)
		return x;
	if (keep < 0)
		return 0;
	size_t k = (size_t)keep;
	for (size_t i = 0; i < k; i++)
		m[i] = (char)('0' + rf__decimal_digit(&d, i));
	int64_t e = d.exp - keep; /* the result is the digits m times 10^e */
	if (rf__decimal_digit(&d, k) >= 5) {
		size_t i = k;
		while (i > 0 && m[i - 1] == '9')
			m[--i] = '0';
		if (i > 0) {
			m[i - 1]++;
		} else if (k == 0) { /* 0.5 -> 1 */
			m[0] = '1';
			k = 1;
		} else { /* 99.5 -> 100 */
			m[0] = '1';
			memset(m + 1, '0', k - 1);
			e++;
		}
	}
	if (k == 0)
		return 0;
	char t[128];
	snprintf(t, sizeof t, "%s%.*se%" PRId64, d.neg ? "-" : "", (int)k, m, e);
	return strtod(t, NULL);
}

/* round(x[, digits]): half away from zero; integers stay integers (also
 * to tens or hundreds, while the result fits) */
FN(round)
{
	UNUSED;
	struct rf_tv n;
	int64_t digits = 0;
	if (number(&a[0], &n) < 0 || (call->argc > 1 && (a[1].type == RF_TV_NULL || int_of(&a[1], &digits) < 0))) {
		*out = rf_tv_null();
		return;
	}
	if (n.type == RF_TV_INT && digits >= 0) {
		*out = n;
		return;
	}
	if (n.type == RF_TV_INT && digits >= -18) {
		int64_t p = 1;
		for (int64_t i = 0; i < -digits; i++)
			p *= 10;
		int64_t q = n.u.i / p, r = n.u.i % p;
		if ((r < 0 ? -r : r) >= p - (r < 0 ? -r : r))
			q += n.u.i < 0 ? -1 : 1;
		__int128 v = (__int128)q * p;
		*out = v >= INT64_MIN && v <= INT64_MAX ? rf_tv_int((int64_t)v) : rf_tv_float((double)v);
		return;
	}
	double x = n.type == RF_TV_INT ? (double)n.u.i : n.u.d;
	*out = rf_tv_float(digits == 0 && a[0].type != RF_TV_STR ? round(x) : round_places(x, &a[0], digits));
}

FN(floor)
{
	UNUSED;
	struct rf_tv n;
	if (number(&a[0], &n) < 0)
		*out = rf_tv_null();
	else
		*out = n.type == RF_TV_INT ? n : rf_tv_float(floor(n.u.d));
}

FN(ceil)
{
	UNUSED;
	struct rf_tv n;
	if (number(&a[0], &n) < 0)
		*out = rf_tv_null();
	else
		*out = n.type == RF_TV_INT ? n : rf_tv_float(ceil(n.u.d));
}

/* int(x): toward zero; null past int64 */
FN(int)
{
	UNUSED;
	struct rf_tv n;
	if (a[0].type == RF_TV_DUR || a[0].type == RF_TV_TIME) {
		*out = rf_tv_int(a[0].u.i / 1000000000); /* whole seconds */
		return;
	}
	if (number(&a[0], &n) < 0)
		*out = rf_tv_null();
	else if (n.type == RF_TV_INT)
		*out = n;
	else if (n.u.d >= -9223372036854775808.0 && n.u.d < 9223372036854775808.0)
		*out = rf_tv_int((int64_t)n.u.d);
	else
		*out = rf_tv_null();
}

FN(float)
{
	UNUSED;
	struct rf_tv n;
	if (a[0].type == RF_TV_DUR || a[0].type == RF_TV_TIME) {
		/* seconds (since the epoch), as int() gives them whole */
		*out = rf_tv_float((double)a[0].u.i / 1e9);
		return;
	}
	if (number(&a[0], &n) < 0)
		*out = rf_tv_null();
	else
		*out = rf_tv_float(n.type == RF_TV_INT ? (double)n.u.i : n.u.d);
}

FN(str)
{
	UNUSED;
	if (a[0].type == RF_TV_NULL || rf__tv_to_text(&a[0], env, out) < 0)
		*out = rf_tv_null();
}

/* time(x): a time from text in any form the parsers read, or from a
 * number of seconds since the epoch */
FN(time)
{
	UNUSED;
	if (a[0].type == RF_TV_INT && a[0].u.i > -9200000000LL && a[0].u.i < 9200000000LL) {
		*out = (struct rf_tv){ .type = RF_TV_TIME, .u.i = a[0].u.i * 1000000000 };
		return;
	}
	if (a[0].type == RF_TV_FLOAT && a[0].u.d > -9.2e9 && a[0].u.d < 9.2e9) {
		*out = (struct rf_tv){ .type = RF_TV_TIME, .u.i = (int64_t)floor(a[0].u.d * 1e9) };
		return;
	}
	if (rf__tv_to_time(&a[0], out) < 0)
		*out = rf_tv_null();
}

FN(ip)
{
	UNUSED;
	if (rf__tv_to_ip(&a[0], out) < 0)
		*out = rf_tv_null();
}

/* duration(x): 1.5s, 250ms, 1h30m, or a number of seconds */
FN(duration)
{
	UNUSED;
	struct rf_tv n;
	int64_t ns;
	if (a[0].type == RF_TV_DUR) {
		*out = a[0];
	} else if (a[0].type == RF_TV_STR && rf__parse_duration_ns(a[0].u.s, a[0].len, &ns) == 0) {
		*out = (struct rf_tv){ .type = RF_TV_DUR, .u.i = ns };
	} else if (a[0].type != RF_TV_STR && number(&a[0], &n) == 0) {
		double s = n.type == RF_TV_INT ? (double)n.u.i : n.u.d;
		*out = s > -9.2e9 && s < 9.2e9 ? (struct rf_tv){ .type = RF_TV_DUR, .u.i = (int64_t)llround(s * 1e9) }
					     : rf_tv_null();
	} else if (a[0].type == RF_TV_STR && number(&a[0], &n) == 0) {
		double s = n.type == RF_TV_INT ? (double)n.u.i : n.u.d;
		*out = s > -9.2e9 && s < 9.2e9 ? (struct rf_tv){ .type = RF_TV_DUR, .u.i = (int64_t)llround(s * 1e9) }
					     : rf_tv_null();
	} else {
		*out = rf_tv_null();
	}
}

/* ---- times ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* format_time(t, "%Y-%m-%d %H:%M"): strftime on the --tz clock (%z its
 * offset); null when the format is over 1000 bytes or its text over 4000 */
FN(format_time)
{
	UNUSED;
	struct rf_tv t;
	const char *f;
	size_t fn;
	if (any_null(a, 2) || rf__tv_to_time(&a[0], &t) < 0 || text_of(&a[1], env, &f, &fn) < 0 || fn > 1000) {
		*out = rf_tv_null();
		return;
	}
	char fmt[1001], buf[4001];
	memcpy(fmt, f, fn);
	fmt[fn] = '\0';
	int64_t secs = floor_div(t.u.i, 1000000000);
	int32_t off = env->tz ? rf__tz_offset(env->tz, secs) : 0;
	time_t local = (time_t)(secs + off);
	struct tm tm;
	if (!gmtime_r(&local, &tm)) {
		*out = rf_tv_null();
		return;
	}
	tm.tm_gmtoff = off;
	tm.tm_zone = env->tz && !rf__tz_is_utc(env->tz) ? rf__tz_name(env->tz) : "UTC";
	size_t n = strftime(buf, sizeof buf, fmt, &tm);
	if (n == 0 && fn > 0) {
		/* strftime's 0 is "did not fit" (no conversion of the C
		 * locale prints nothing) */
		*out = rf_tv_null();
		return;
	}
	char *r = alloc(env, n);
	if (!r) {
		*out = rf_tv_null();
		return;
	}
	memcpy(r, buf, n);
	*out = rf_tv_str(r, n);
}

/* time_bucket(t, width): t rounded down to a multiple of width (UTC) */
FN(time_bucket)
{
	UNUSED;
	struct rf_tv t;
	int64_t w = a[1].u.i;
	if (a[1].type == RF_TV_STR && rf__parse_duration_ns(a[1].u.s, a[1].len, &w) < 0)
		w = 0; /* a field's text: 5m reads as a duration */
	else if (a[1].type != RF_TV_STR && a[1].type != RF_TV_DUR)
		w = 0;
	if (any_null(a, 2) || rf__tv_to_time(&a[0], &t) < 0 || w <= 0) {
		*out = rf_tv_null();
		return;
	}
	__int128 start = (__int128)floor_div(t.u.i, w) * w; /* below 1677: past int64 */
	*out = start >= INT64_MIN ? (struct rf_tv){ .type = RF_TV_TIME, .u.i = (int64_t)start } : rf_tv_null();
}

static int bucket_prepare(struct rf_fn_call *call, const struct rf_tv *const *consts, const int *cols,
			  struct rf_query_error *err)
{
	(void)call;
	int64_t w;
	if (consts[1] && consts[1]->type == RF_TV_STR && rf__parse_duration_ns(consts[1]->u.s, consts[1]->len, &w) == 0 &&
	    w > 0)
		return 0;
	if (consts[1] && (consts[1]->type != RF_TV_DUR || consts[1]->u.i <= 0))
		return rf__fail(err, cols[1], "time_bucket's width is a duration such as 5m");
	return 0;
}

#define DEF(name, lo, hi, use) \
	static const struct rf_fn_def def_##name = { #name, lo, hi, use, NULL, NULL, fn_##name, NULL, NULL }

DEF(lower, 1, 1, "lower(s)");
DEF(upper, 1, 1, "upper(s)");
DEF(len, 1, 1, "len(s): bytes");
DEF(substr, 2, 3, "substr(s, start[, n]): bytes, the first is 1");
DEF(trim, 1, 1, "trim(s)");
DEF(ltrim, 1, 1, "ltrim(s)");
DEF(rtrim, 1, 1, "rtrim(s)");
DEF(replace, 3, 3, "replace(s, from, to)");
DEF(split_part, 3, 3, "split_part(s, delimiter, n): n from 1, -1 the last");
DEF(starts_with, 2, 2, "starts_with(s, prefix)");
DEF(ends_with, 2, 2, "ends_with(s, suffix)");
DEF(contains, 2, 2, "contains(s, part)");
DEF(icontains, 2, 2, "icontains(s, part): ASCII letters in any case");
DEF(url_host, 1, 1, "url_host(url)");
DEF(url_path, 1, 1, "url_path(url)");
DEF(url_param, 2, 2, "url_param(url, name)");
DEF(if, 3, 3, "if(condition, then, else)");
DEF(coalesce, 1, -1, "coalesce(a, b, ...)");
DEF(abs, 1, 1, "abs(x)");
DEF(round, 1, 2, "round(x[, digits])");
DEF(floor, 1, 1, "floor(x)");
DEF(ceil, 1, 1, "ceil(x)");
DEF(int, 1, 1, "int(x)");
DEF(float, 1, 1, "float(x)");
DEF(str, 1, 1, "str(x)");
DEF(time, 1, 1, "time(x)");
DEF(ip, 1, 1, "ip(x)");
DEF(duration, 1, 1, "duration(x)");
DEF(format_time, 2, 2, "format_time(t, \"%Y-%m-%d\")");
static const struct rf_fn_def def_time_bucket = { "time_bucket", 2, 2, "time_bucket(t, width)", bucket_prepare, NULL,
						  fn_time_bucket, NULL, NULL };
static const struct rf_fn_def def_regex_extract = { "regex_extract", 2, 3, "regex_extract(s, \"pattern\"[, group])",
						    rx_prepare, rx_release, fn_regex_extract, rx_scratch_new,
						    rx_scratch_free };

const struct rf_fn_def *const rf__functions[] = {
	&def_lower, &def_upper, &def_len, &def_substr, &def_trim, &def_ltrim, &def_rtrim, &def_replace,
	&def_split_part, &def_starts_with, &def_ends_with, &def_contains, &def_icontains, &def_regex_extract,
	&def_url_host, &def_url_path, &def_url_param, &def_if, &def_coalesce, &def_abs, &def_round, &def_floor,
	&def_ceil, &def_int, &def_float, &def_str, &def_time, &def_ip, &def_duration, &def_format_time,
	&def_time_bucket, NULL,
};

const struct rf_fn_def *rf__find_function(const char *name)
{
	for (int i = 0; rf__functions[i]; i++)
		if (strcmp(rf__functions[i]->name, name) == 0)
			return rf__functions[i];
	return rf__enrich_function(name); /* geoip(), asn(), ua_*(): enrich.h */
}
