/* parsers.c - the parse stages: split, parse combined|common|json|logfmt|
 * csv|tsv|regex.
 *
 * A parser only extracts the fields the query names (the schema's slots),
 * and points into the record wherever it can; only unescaped strings are
 * copied, into the batch arena.  A record it cannot read is rejected:
 * counted, written to --rejects, an error under --strict.  A record cut
 * off before its end (a combined line after its status, a csv record
 * inside an open quote) keeps the fields it has and is counted apart
 * (env->cut_off), for a note at the end of the run.
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "expr.h"
#include "table.h"

enum format { F_SPLIT, F_COMBINED, F_COMMON, F_JSON, F_LOGFMT, F_CSV, F_TSV, F_REGEX };

static const char *const format_names[] = { "split", "combined", "common", "json", "logfmt", "csv", "tsv", "regex", NULL };

/* combined and common fields, in the order they appear */
enum clf_field { C_IP, C_IDENT, C_USER, C_TIME, C_REQUEST, C_METHOD, C_PATH, C_PROTOCOL, C_STATUS, C_BYTES,
		 C_REFERER, C_AGENT, C_NFIELDS };
static const char *const combined_names[] = { "ip", "ident", "user", "time", "request", "method", "path",
					       "protocol", "status", "bytes", "referer", "agent", NULL };
static const char *const common_names[] = { "ip", "ident", "user", "time", "request", "method", "path",
					     "protocol", "status", "bytes", NULL };

struct parse_config {
	struct rf_parser head;     /* first: the schema reads it */
	enum format format;
	char *delim;
	size_t delim_len;
	struct rf_regex *re;
	int ngroups;
	char **group_name;         /* every named group, however many */
	int *group_number;
	/* filled by bind: what to extract */
	int nslots;
	char *slot_name[RF_MAX_SLOTS];
	int slot_field[RF_MAX_SLOTS];  /* combined: enum clf_field; split/csv $N: N; regex: group */
	int max_field;                 /* split: the highest $N wanted */
	int min_field;                 /* and the lowest */
};

static int is_dollar_n(const char *name, int *n)
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

static int accepts(const struct rf_parser *p, const char *name)
{
	const struct parse_config *pc = (const struct parse_config *)p;
	int n;
	switch (pc->format) {
	case F_SPLIT:
		return is_dollar_n(name, &n);
	case F_COMBINED:
	case F_COMMON:
		for (int i = 0; p->known[i]; i++)
			if (strcmp(p->known[i], name) == 0)
				return 1;
		return 0;
	case F_REGEX:
		for (int i = 0; i < pc->ngroups; i++)
			if (strcmp(pc->group_name[i], name) == 0)
				return 1;
		return 0;
	default:
		return 1; /* json, logfmt, csv, tsv: names come with the data */
	}
}

static void free_config(void *config)
{
	struct parse_config *pc = config;
	if (!pc)
		return;
	free(pc->delim);
	rf__regex_free(pc->re);
	for (int i = 0; i < pc->nslots; i++)
		free(pc->slot_name[i]);
	free(pc->group_name);
	free(pc->group_number);
	free(pc->head.known == combined_names || pc->head.known == common_names ? NULL : (void *)pc->head.known);
	free(pc);
}

static struct parse_config *new_config(enum format f)
{
	struct parse_config *pc = calloc(1, sizeof *pc);
	if (!pc)
		return NULL;
	pc->format = f;
	pc->head.format = format_names[f];
	pc->head.accepts = accepts;
	static const char *const time_only[] = { "time", NULL };
	/* JSON and logfmt logs name their timestamp in several ways */
	static const char *const time_names[] = { "time", "timestamp", "ts", "@timestamp", NULL };
	pc->head.time_fields = f == F_SPLIT ? NULL : (f == F_JSON || f == F_LOGFMT) ? time_names : time_only;
	if (f == F_COMBINED)
		pc->head.known = combined_names;
	else if (f == F_COMMON)
		pc->head.known = common_names;
	return pc;
}

static int split_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct parse_config *pc = new_config(F_SPLIT);
	if (!pc)
		return -ENOMEM;
	spec->config = pc;
	const struct rf_arg *a = rf__peek(c);
	if (a && a->type == RF_ARG_STRING) {
		c->i++;
		if (a->len == 0)
			return rf__fail(c->err, a->column, "split: the delimiter cannot be empty");
		if (!(pc->delim = malloc(a->len + 1)))
			return -ENOMEM;
		memcpy(pc->delim, a->text, a->len + 1);
		pc->delim_len = a->len;
	}
	return 0;
}

static int parse_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	const struct rf_arg *a = rf__take(c);
	if (!a || a->type != RF_ARG_WORD) {
		rf__fail(c->err, a ? a->column : c->end_column, "parse needs a format");
		snprintf(c->err->hint, sizeof c->err->hint, "formats: combined common json logfmt csv tsv regex");
		return -EINVAL;
	}
	int f = -1;
	for (int i = 1; format_names[i]; i++)
		if (strcmp(format_names[i], a->text) == 0)
			f = i;
	if (f < 0) {
		rf__fail(c->err, a->column, "unknown format '%s'", a->text);
		rf__suggest(c->err, a->text, format_names + 1);
		if (!c->err->hint[0])
			snprintf(c->err->hint, sizeof c->err->hint, "formats: combined common json logfmt csv tsv regex");
		return -EINVAL;
	}
	struct parse_config *pc = new_config((enum format)f);
	if (!pc)
		return -ENOMEM;
	spec->config = pc;
	if (f != F_REGEX)
		return 0;
	const struct rf_arg *pat = rf__take(c);
	if (!pat || pat->type != RF_ARG_STRING) {
		rf__fail(c->err, pat ? pat->column : c->end_column, "parse regex needs a quoted pattern with named groups");
		snprintf(c->err->hint, sizeof c->err->hint, "for example: parse regex \"took (?<ms>[0-9]+)ms\"");
		return -EINVAL;
	}
	if (!(pc->re = rf__regex_compile(pat->text, pat->len, 0, 0, c->err, pat->column)))
		return -EINVAL;
	int ngroups = rf__regex_names(pc->re, NULL, NULL, 0);
	pc->group_name = calloc((size_t)ngroups + 1, sizeof *pc->group_name);
	pc->group_number = calloc((size_t)ngroups + 1, sizeof *pc->group_number);
	if (!pc->group_name || !pc->group_number)
		return -ENOMEM;
	pc->ngroups = rf__regex_names(pc->re, pc->group_name, pc->group_number, ngroups);
	if (pc->ngroups == 0) {
		rf__fail(c->err, pat->column, "the pattern has no named groups, so it makes no fields");
		snprintf(c->err->hint, sizeof c->err->hint, "name a group: (?<status>[0-9]{3})");
		return -EINVAL;
	}
	const char **known = calloc((size_t)pc->ngroups + 1, sizeof *known);
	if (!known)
		return -ENOMEM;
	for (int i = 0; i < pc->ngroups; i++)
		known[i] = pc->group_name[i];
	pc->head.known = known;
	int has_time = 0;
	for (int i = 0; i < pc->ngroups; i++)
		has_time |= strcmp(pc->group_name[i], "time") == 0;
	if (!has_time)
		pc->head.time_fields = NULL;
	return 0;
}

static int bind(struct rf_stage_spec *spec, struct rf_schema *sc, struct rf_query_error *err)
{
	struct parse_config *pc = spec->config;
	(void)err;
	pc->nslots = sc->nslots;
	for (int i = 0; i < sc->nslots; i++) {
		if (!(pc->slot_name[i] = strdup(sc->slot_name[i])))
			return -ENOMEM;
		const char *name = sc->slot_name[i];
		int n = -1;
		switch (pc->format) {
		case F_COMBINED:
		case F_COMMON:
			for (int f = 0; f < C_NFIELDS; f++)
				if (strcmp(combined_names[f], name) == 0)
					n = f;
			break;
		case F_REGEX:
			for (int g = 0; g < pc->ngroups; g++)
				if (strcmp(pc->group_name[g], name) == 0)
					n = pc->group_number[g];
			break;
		default:
			if (!is_dollar_n(name, &n))
				n = -1;
			break;
		}
		pc->slot_field[i] = n;
		if (n > pc->max_field)
			pc->max_field = n;
		if (n >= 1 && (pc->min_field == 0 || n < pc->min_field))
			pc->min_field = n;
	}
	return 0;
}

/* ---- per-run state ---- */

struct parse_state {
	const struct parse_config *pc;
	struct rf_regex_match *m;
	uint8_t *keep;
	size_t keep_cap;
	/* csv/tsv: the current input's header, as slot -> column */
	int col_of_slot[RF_MAX_SLOTS];
	int have_header;
	/* combined: which clf field goes to which slot */
	int slot_of_field[C_NFIELDS];
	char *scratch;        /* json key paths, header names */
	size_t scratch_cap;
	size_t slot_len[RF_MAX_SLOTS];
	size_t max_slot_len;  /* a json path longer than this names no slot */
};

static int parse_open(struct rf_stage *st, const void *config)
{
	struct parse_state *ps = calloc(1, sizeof *ps);
	if (!ps)
		return -ENOMEM;
	ps->pc = config;
	st->state = ps;
	for (int f = 0; f < C_NFIELDS; f++)
		ps->slot_of_field[f] = -1;
	for (int i = 0; i < ps->pc->nslots; i++)
		if ((ps->pc->format == F_COMBINED || ps->pc->format == F_COMMON) && ps->pc->slot_field[i] >= 0)
			ps->slot_of_field[ps->pc->slot_field[i]] = i;
	if (ps->pc->re && !(ps->m = rf__regex_match_new(ps->pc->re)))
		return -ENOMEM;
	for (int i = 0; i < ps->pc->nslots; i++) {
		ps->slot_len[i] = strlen(ps->pc->slot_name[i]);
		if (ps->slot_len[i] > ps->max_slot_len)
			ps->max_slot_len = ps->slot_len[i];
	}
	if (ps->pc->format == F_JSON) {
		ps->scratch_cap = ps->max_slot_len + 2;
		if (!(ps->scratch = malloc(ps->scratch_cap)))
			return -ENOMEM;
	}
	return 0;
}

static void parse_close(struct rf_stage *st)
{
	struct parse_state *ps = st->state;
	if (ps) {
		rf__regex_match_free(ps->m);
		free(ps->keep);
		free(ps->scratch);
	}
	free(ps);
	st->state = NULL;
}

static inline struct rf_value val(const char *p, size_t n)
{
	return (struct rf_value){ p, (int32_t)n };
}

/* ---- split ---- */

static int parse_split(struct parse_state *ps, const struct rf_kernels *k, const char *p, size_t n,
		       struct rf_value *row)
{
	const struct parse_config *pc = ps->pc;
	struct rf_field f[64];
	int want = pc->max_field;
	size_t nf = 0;
	if (want == 0) {
		nf = 0; /* only $0 is used */
	} else if (!pc->delim && want <= 64) {
		nf = k->split_blank(p, n, (size_t)pc->min_field - 1, (size_t)want, f);
	} else if (!pc->delim) {
		/* past 64 fields: walk, keeping only the wanted ones */
		size_t i = 0;
		for (int i_field = 1; i_field <= want; i_field++) {
			while (i < n && (p[i] == ' ' || p[i] == '\t'))
				i++;
			if (i == n)
				break;
			size_t s = i;
			while (i < n && p[i] != ' ' && p[i] != '\t')
				i++;
			if (i_field <= 64)
				f[i_field - 1] = (struct rf_field){ (uint32_t)s, (uint32_t)i };
			for (int j = 0; j < pc->nslots; j++)
				if (pc->slot_field[j] == i_field)
					row[j] = val(p + s, i - s);
			nf = (size_t)i_field;
		}
	} else {
		size_t i = 0;
		for (int i_field = 1;; i_field++) {
			const char *q = p + i;
			const char *hit = pc->delim_len == 1 ? memchr(q, pc->delim[0], n - i)
							     : memmem(q, n - i, pc->delim, pc->delim_len);
			size_t e = hit ? (size_t)(hit - p) : n;
			if (i_field <= 64)
				f[i_field - 1] = (struct rf_field){ (uint32_t)i, (uint32_t)e };
			for (int j = 0; j < pc->nslots && i_field > 64; j++)
				if (pc->slot_field[j] == i_field)
					row[j] = val(p + i, e - i);
			nf = (size_t)i_field;
			if (!hit || i_field >= want)
				break;
			i = e + pc->delim_len;
		}
	}
	for (int j = 0; j < pc->nslots; j++) {
		int fi = pc->slot_field[j];
		if (fi > (int)nf)
			row[j] = RF_MISSING;
		else if (fi <= 64)
			row[j] = val(p + f[fi - 1].start, f[fi - 1].end - f[fi - 1].start);
	}
	return 0;
}

/* ---- combined / common ---- */

static const char *until(const char *p, const char *end, char c)
{
	const char *q = memchr(p, c, (size_t)(end - p));
	return q ? q : end;
}

/* The same for fields of a few bytes (an IP, "-", a status): a plain loop
 * beats the call into memchr there. */
static inline const char *until_short(const char *p, const char *end, char c)
{
	while (p < end && *p != c)
		p++;
	return p;
}

/* A quoted field starting at p (on the quote); returns the byte after the
 * closing quote or NULL.  Backslash escapes are kept as they are.  A quote
 * closes the field when an even number of backslashes precede it; finding
 * candidates with memchr keeps long user agents cheap. */
static const char *quoted(const char *p, const char *end, struct rf_value *out)
{
	if (p >= end || *p != '"')
		return NULL;
	const char *s = ++p;
	for (;;) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (!q)
			return NULL;
		const char *b = q;
		while (b > s && b[-1] == '\\')
			b--;
		if (((q - b) & 1) == 0) {
			*out = val(s, (size_t)(q - s));
			return q + 1;
		}
		p = q + 1;
	}
}

static int parse_clf(struct parse_state *ps, const char *p, size_t n, struct rf_value *row)
{
	const char *end = p + n, *q;
	struct rf_value f[C_NFIELDS];
	for (int i = 0; i < C_NFIELDS; i++)
		f[i] = RF_MISSING;
	/* host ident user */
	for (int i = C_IP; i <= C_USER; i++) {
		q = until_short(p, end, ' ');
		if (q == end || q == p)
			return -1;
		f[i] = val(p, (size_t)(q - p));
		p = q + 1;
	}
	if (p >= end || *p != '[')
		return -1;
	/* the usual stamp is 26 bytes: [10/Oct/2000:13:55:36 -0700] */
	q = end - p > 27 && p[27] == ']' ? p + 27 : until(p, end, ']');
	if (q == end)
		return -1;
	f[C_TIME] = val(p + 1, (size_t)(q - p - 1));
	p = q + 1;
	if (p >= end || *p != ' ')
		return -1;
	if (!(p = quoted(p + 1, end, &f[C_REQUEST])))
		return -1;
	/* request: METHOD PATH PROTOCOL, when it has that shape */
	{
		const char *r = f[C_REQUEST].p, *re = r + f[C_REQUEST].len;
		const char *s1 = until_short(r, re, ' ');
		if (s1 < re) {
			const char *s2 = until(s1 + 1, re, ' ');
			f[C_METHOD] = val(r, (size_t)(s1 - r));
			f[C_PATH] = val(s1 + 1, (size_t)(s2 - s1 - 1));
			if (s2 < re)
				f[C_PROTOCOL] = val(s2 + 1, (size_t)(re - s2 - 1));
		}
	}
	if (p >= end || *p != ' ')
		return -1;
	p++;
	q = until_short(p, end, ' ');
	if (q - p != 3 || p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
		return -1;
	f[C_STATUS] = val(p, 3);
	/* A line may be cut off after its status (a log written by a process
	 * that died, a line cut at a length limit): what it has is kept, and
	 * the record is counted as cut off.  Everything up to the status must
	 * be there. */
	int cut = 0;
	p = q + (q < end);
	q = until_short(p, end, ' ');
	if (p == end) {
		cut = 1;
	} else if (q == p) {
		return -1;
	} else {
		/* "-" means no body was sent: zero bytes */
		f[C_BYTES] = (q - p == 1 && *p == '-') ? val("0", 1) : val(p, (size_t)(q - p));
	}
	if (ps->pc->format == F_COMBINED && !cut) {
		/* referer, then agent: each a quoted field after one space;
		 * fields some servers add after the agent are allowed */
		p = q;
		for (int i = C_REFERER; i <= C_AGENT && !cut; i++) {
			if (p >= end || p + 1 == end) {
				cut = 1; /* the line ends before this field */
				break;
			}
			if (*p != ' ' || p[1] != '"')
				return -1;
			const char *r = quoted(p + 1, end, &f[i]);
			if (!r) {
				/* its closing quote is cut off: the rest of the line */
				f[i] = val(p + 2, (size_t)(end - p - 2));
				cut = 1;
			}
			p = r;
		}
	}
	for (int i = 0; i < ps->pc->nslots; i++) {
		int fi = ps->pc->slot_field[i];
		row[i] = fi >= 0 ? f[fi] : RF_MISSING;
	}
	return cut;
}

/* ---- JSON ---- */

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
static const char *json_string(const char *p, const char *end, struct rf_value *raw, int *escaped)
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
	*raw = val(s, (size_t)(p - s));
	return p + 1;
}

/* Unescape a JSON string body into the batch arena. */
static int json_unescape(struct rf_batch *b, struct rf_value raw, struct rf_value *out)
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
	*out = val(d, n);
	return 0;
}

static int json_slot(const struct parse_config *pc, const char *path, size_t len)
{
	for (int i = 0; i < pc->nslots; i++)
		if (strlen(pc->slot_name[i]) == len && memcmp(pc->slot_name[i], path, len) == 0)
			return i;
	return -1;
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
		return json_string(p, end, &raw, &esc);
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
				if (p >= end || *p != '"' || !(p = json_string(p, end, &raw, &esc)))
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
		if (p >= end || *p != '"' || !(p = json_string(p, end, &key, &esc)))
			return NULL;
		if (esc && json_unescape(x->b, key, &key) < 0)
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
				x->row[slot] = val(s, (size_t)(p - s));
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
		const char *q = json_string(p, end, &raw, &esc);
		if (!q)
			return NULL;
		if (slot >= 0) {
			if (esc && json_unescape(x->b, raw, &raw) < 0)
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
			x->row[slot] = val(s, n); /* numbers, booleans, objects and arrays as text */
	}
	return q;
}

static int parse_json(struct parse_state *ps, struct rf_batch *b, const char *p, size_t n, struct rf_value *row)
{
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

/* ---- logfmt ---- */

static int parse_logfmt(struct parse_state *ps, struct rf_batch *b, const char *p, size_t n, struct rf_value *row)
{
	const struct parse_config *pc = ps->pc;
	const char *end = p + n;
	for (int i = 0; i < pc->nslots; i++)
		row[i] = RF_MISSING;
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			return 0;
		const char *k = p;
		while (p < end && *p != '=' && *p != ' ' && *p != '\t' && *p != '"')
			p++;
		if (p == k)
			return -1; /* '=' or '"' where a key should start */
		int slot = json_slot(pc, k, (size_t)(p - k));
		if (p >= end || *p != '=') {
			if (p < end && *p == '"')
				return -1;
			if (slot >= 0)
				row[slot] = val("true", 4); /* a bare key is a flag */
			continue;
		}
		p++;
		struct rf_value v;
		if (p < end && *p == '"') {
			int esc;
			const char *q = json_string(p, end, &v, &esc);
			if (!q)
				return -1;
			if (esc && slot >= 0 && json_unescape(b, v, &v) < 0)
				return -1;
			p = q;
		} else {
			const char *s = p;
			while (p < end && *p != ' ' && *p != '\t')
				p++;
			v = val(s, (size_t)(p - s));
		}
		if (slot >= 0)
			row[slot] = v;
	}
}

/* ---- CSV / TSV ----
 *
 * Read as Python's csv module reads them (the excel dialect, not strict),
 * which also is RFC 4180 for well-formed files:
 * - a quote is special only as a field's first byte: it opens a quoted
 *   field, where the separator and newlines are data and "" is one quote;
 *   anywhere else a quote is data (a"b is the three bytes a"b);
 * - text after a quoted field's closing quote joins the field ("a"b is ab);
 * - a record that ends inside an open quote keeps what it has: the field
 *   runs to the end of the record, and the record is counted as cut off;
 * - a blank line is no record; the header is an input's first line that
 *   is not blank, without a UTF-8 byte order mark;
 * - a row shorter than the header lacks the rest (missing); the columns
 *   of a longer one are there only as $N;
 * - where two header names are the same, the last column of that name wins.
 */

/* Next field at p.  Returns the byte after its separator, or `end` after
 * the record's last field (*last set); NULL only when out of memory.
 * *open is set when the record ends inside quotes. */
static const char *csv_field(struct rf_batch *b, const char *p, const char *end, char sep, struct rf_value *out,
			     int *last, int *open)
{
	*last = 0;
	if (p >= end || *p != '"') {
		const char *q = p < end ? memchr(p, sep, (size_t)(end - p)) : NULL;
		*out = val(p, (size_t)((q ? q : end) - p));
		p = q ? q : end;
	} else {
		const char *s = ++p;
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (q && (q + 1 == end || q[1] == sep)) {
			/* the usual case: no "" inside, nothing after */
			*out = val(s, (size_t)(q - s));
			p = q + 1;
		} else if (!q) {
			*out = val(s, (size_t)(end - s));
			*open = 1;
			p = end;
		} else {
			/* "" escapes or text after the quote: unquote into the
			 * arena, never longer than the raw field */
			char *d = rf__batch_alloc(b, (size_t)(end - s));
			if (!d)
				return NULL;
			size_t n = 0;
			int inq = 1;
			for (p = s; p < end; p++) {
				if (!inq) {
					if (*p == sep)
						break;
					d[n++] = *p;
				} else if (*p != '"') {
					d[n++] = *p;
				} else if (p + 1 < end && p[1] == '"') {
					d[n++] = '"';
					p++;
				} else {
					inq = 0;
				}
			}
			*open |= inq;
			*out = val(d, n);
		}
	}
	if (p >= end) {
		*last = 1;
		return end;
	}
	return p + 1;
}

static int read_header(struct parse_state *ps, struct rf_batch *b, const char *p, size_t n, int *open)
{
	const struct parse_config *pc = ps->pc;
	char sep = pc->format == F_CSV ? ',' : '\t';
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3; /* a byte order mark is no part of the first name */
		n -= 3;
	}
	const char *end = p + n;
	for (int i = 0; i < pc->nslots; i++) {
		int f = pc->slot_field[i];
		ps->col_of_slot[i] = f >= 1 ? f - 1 : -1; /* $N is column N */
	}
	int col = 0, last = 0;
	while (!last) {
		struct rf_value v;
		if (!(p = csv_field(b, p, end, sep, &v, &last, open)))
			return -ENOMEM;
		for (int i = 0; i < pc->nslots; i++)
			if (pc->slot_field[i] < 0 && ps->slot_len[i] == (size_t)v.len &&
			    memcmp(pc->slot_name[i], v.p, (size_t)v.len) == 0)
				ps->col_of_slot[i] = col;
		col++;
	}
	ps->have_header = 1;
	return 0;
}

/* 0, or 1 when the record ended inside quotes; -ENOMEM */
static int parse_csv(struct parse_state *ps, struct rf_batch *b, const char *p, size_t n, struct rf_value *row)
{
	const struct parse_config *pc = ps->pc;
	char sep = pc->format == F_CSV ? ',' : '\t';
	const char *end = p + n;
	int maxcol = -1;
	for (int i = 0; i < pc->nslots; i++)
		if (ps->col_of_slot[i] > maxcol)
			maxcol = ps->col_of_slot[i];
	int col = 0, last = 0, open = 0;
	struct rf_value v;
	for (int i = 0; i < pc->nslots; i++)
		row[i] = RF_MISSING;
	while (!last) {
		if (!(p = csv_field(b, p, end, sep, &v, &last, &open)))
			return -ENOMEM;
		if (col <= maxcol)
			for (int i = 0; i < pc->nslots; i++)
				if (ps->col_of_slot[i] == col)
					row[i] = v;
		col++;
	}
	return open;
}

/* ---- regex ---- */

static int parse_regex(struct parse_state *ps, const char *p, size_t n, struct rf_value *row)
{
	size_t s, e;
	int r = rf__regex_search(ps->pc->re, ps->m, p, n, 0, &s, &e);
	if (r <= 0)
		return -1;
	for (int i = 0; i < ps->pc->nslots; i++) {
		row[i] = RF_MISSING;
		if (rf__regex_group(ps->m, ps->pc->slot_field[i], &s, &e))
			row[i] = val(p + s, e - s);
	}
	return 0;
}

/* ---- the stage ---- */

static int parse_process(struct rf_stage *st, struct rf_batch *b)
{
	struct parse_state *ps = st->state;
	const struct parse_config *pc = ps->pc;
	int r = rf__batch_expand(b, st->k);
	if (r < 0)
		return r;
	uint32_t ns = (uint32_t)pc->nslots;
	if (rf__batch_reserve_vals(b, ns ? ns : 1) < 0)
		return -ENOMEM;
	b->nslots = ns ? ns : 1;
	if (b->nsel > ps->keep_cap) {
		uint8_t *k = realloc(ps->keep, b->nsel);
		if (!k)
			return -ENOMEM;
		ps->keep = k;
		ps->keep_cap = b->nsel;
	}
	int dropped = 0;
	uint64_t cut = 0;
	int csv = pc->format == F_CSV || pc->format == F_TSV;
	if (csv && b->input_start)
		ps->have_header = 0; /* each input names its own columns */
	for (uint32_t i = 0; i < b->nsel; i++) {
		const char *p = b->data + b->sel[i].off;
		size_t n = b->sel[i].len;
		if (n && p[n - 1] == '\r') /* CRLF: the CR belongs to the line end */
			n--;
		struct rf_value *row = &b->vals[(size_t)i * b->nslots];
		int ok;
		if (csv && (n == 0 || !ps->have_header)) {
			/* a blank line is no record; the first other line of an
			 * input is its header: names, not data */
			int open = 0;
			if (n && (r = read_header(ps, b, p, n, &open)) < 0)
				return r;
			cut += (uint64_t)open;
			ps->keep[i] = 0;
			dropped = 1;
			continue;
		}
		switch (pc->format) {
		case F_SPLIT: ok = parse_split(ps, st->k, p, n, row); break;
		case F_COMBINED:
		case F_COMMON: ok = parse_clf(ps, p, n, row); break;
		case F_JSON: ok = parse_json(ps, b, p, n, row); break;
		case F_LOGFMT: ok = parse_logfmt(ps, b, p, n, row); break;
		case F_CSV:
		case F_TSV: ok = parse_csv(ps, b, p, n, row); break;
		default: ok = parse_regex(ps, p, n, row); break;
		}
		if (ok < -1)
			return ok; /* out of memory */
		ps->keep[i] = ok >= 0;
		cut += ok == 1;
		if (ok < 0) {
			dropped = 1;
			if ((r = rf__reject(st, b, i)) < 0)
				return r;
		}
	}
	if (cut)
		st->env->cut_off += cut; /* atomic: workers share the env */
	if (dropped)
		rf__batch_filter(b, ps->keep);
	return 0;
}

const struct rf_verb rf__verb_split = {
	.name = "split",
	.kind = RF_STAGE_PARSE,
	.usage = "split [\"DELIMITER\"]   (fields $1..$N; runs of blanks by default)",
	.configure = split_configure,
	.bind = bind,
	.free_config = free_config,
	.open = parse_open,
	.process = parse_process,
	.close = parse_close,
};

const struct rf_verb rf__verb_parse = {
	.name = "parse",
	.kind = RF_STAGE_PARSE,
	.usage = "parse combined|common|json|logfmt|csv|tsv|regex \"PATTERN\"",
	.configure = parse_configure,
	.bind = bind,
	.free_config = free_config,
	.open = parse_open,
	.process = parse_process,
	.close = parse_close,
};

int rf__parse_reads_header(const struct rf_stage_spec *spec)
{
	const struct parse_config *pc = spec->config;
	return pc && (pc->format == F_CSV || pc->format == F_TSV);
}
