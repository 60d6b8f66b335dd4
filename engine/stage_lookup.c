/* SPDX-License-Identifier: MIT */
/* stage_lookup.c - `lookup FILE on FIELD [= COLUMN] [as PREFIX]`: a hash join
 * of each record against a CSV or TSV table.
 *
 * The table is read once, when the query is parsed, into one block of bytes
 * (its cells unescaped in place) and a hash map from the key column to the
 * row; every other column becomes a field (PREFIX.column with `as`).  The
 * workers of every mode read it at once and never change it; multiprocess
 * workers get it through fork.  A record whose key is not in the table keeps
 * going, its lookup fields null.  A key that repeats in the table is an
 * error naming both lines: which row would win is no answer to guess. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "expr.h"
#include "stages.h"
#include "strmap.h"

/* a cell: its bytes at text + off */
struct lookup_cell {
	uint32_t off, len;
};

struct lookup_config {
	char *path;
	int path_column;
	struct rf_fieldref key;       /* the record's field */
	char *key_name;               /* = COLUMN, or NULL */
	int key_name_column;
	char *prefix;                 /* as PREFIX, or NULL */
	/* the table */
	char *text;                   /* the file, its cells unescaped in place */
	size_t text_len;
	int ncols, keycol;
	char **field_name;            /* the fields: every column but the key */
	int *field_col;
	int nfields;
	struct rf_strmap map;         /* key -> row */
	struct lookup_cell *cells;    /* row r: cells[r * nfields ...] */
	size_t nrows;
	int *slot;                    /* the fields' slots */
	const struct rf_schema *sc;
};

struct lookup_state {
	const struct lookup_config *cfg;
};

static void lookup_free_config(void *config)
{
	struct lookup_config *cfg = config;
	if (!cfg)
		return;
	free(cfg->path);
	rf__fieldref_free(&cfg->key);
	free(cfg->key_name);
	free(cfg->prefix);
	free(cfg->text);
	for (int i = 0; cfg->field_name && i < cfg->nfields; i++)
		free(cfg->field_name[i]);
	free(cfg->field_name);
	free(cfg->field_col);
	rf__strmap_free(&cfg->map);
	free(cfg->cells);
	free(cfg->slot);
	free(cfg);
}

/* ---- reading the table ---- */

/* A record of the file: its fields' cells (unescaped in place) and the line
 * it starts on. */
struct csv_reader {
	char *p;
	size_t n, pos;
	char sep;
	uint64_t line;                /* of pos */
	uint64_t rec_line;            /* where the record csv_next read starts */
	struct lookup_cell *f;
	int nf, cap;
};

/* The next record into rd->f; 1, 0 at the end, or -EINVAL with the line
 * and the reason in why.  RFC 4180 as Python's csv module reads it, but a
 * quote that closes a field must be followed by the separator or the end of
 * the line (csv would glue the rest on: too likely a broken file here).
 * Empty lines are no records (csv.DictReader skips them too). */
static int csv_next(struct csv_reader *rd, char *why, size_t whylen)
{
	char *p = rd->p;
	size_t n = rd->n;
	while (rd->pos < n && (p[rd->pos] == '\n' || (p[rd->pos] == '\r' && rd->pos + 1 < n && p[rd->pos + 1] == '\n'))) {
		rd->pos += p[rd->pos] == '\r' ? 2 : 1;
		rd->line++;
	}
	if (rd->pos >= n)
		return 0;
	rd->nf = 0;
	rd->rec_line = rd->line;
	for (;;) {
		if (rd->nf == rd->cap) {
			int cap = rd->cap ? rd->cap * 2 : 16;
			struct lookup_cell *f = realloc(rd->f, (size_t)cap * sizeof *f);
			if (!f)
				return -ENOMEM;
			rd->f = f;
			rd->cap = cap;
		}
		size_t at = rd->pos, out = at;
		if (at < n && p[at] == '"') {
			uint64_t opened = rd->line;
			at++;
			for (;;) {
				if (at >= n) {
					snprintf(why, whylen, "%llu: a quoted field never closes",
						 (unsigned long long)opened);
					return -EINVAL;
				}
				if (p[at] == '"') {
					if (at + 1 < n && p[at + 1] == '"') {
						p[out++] = '"';
						at += 2;
						continue;
					}
					at++;
					break;
				}
				if (p[at] == '\n')
					rd->line++;
				p[out++] = p[at++];
			}
			if (at < n && p[at] == '\r' && at + 1 < n && p[at + 1] == '\n')
				at++;
			if (at < n && p[at] != rd->sep && p[at] != '\n') {
				snprintf(why, whylen, "%llu: text after the closing quote of a field",
					 (unsigned long long)rd->line);
				return -EINVAL;
			}
			rd->f[rd->nf++] = (struct lookup_cell){ (uint32_t)rd->pos, (uint32_t)(out - rd->pos) };
		} else {
			while (at < n && p[at] != rd->sep && p[at] != '\n')
				at++;
			size_t end = at;
			if (at < n && p[at] == '\n' && end > rd->pos && p[end - 1] == '\r')
				end--; /* CRLF */
			else if (at >= n && end > rd->pos && p[end - 1] == '\r')
				end--;
			rd->f[rd->nf++] = (struct lookup_cell){ (uint32_t)rd->pos, (uint32_t)(end - rd->pos) };
		}
		rd->pos = at + (at < n);
		if (at >= n || p[at] == '\n') {
			rd->line++;
			return 1;
		}
	}
}

/* The separator: by the name's extension, else by the first line (a tab in
 * it and more tabs than commas: TSV). */
static char sniff_sep(const char *path, const char *p, size_t n)
{
	const char *dot = strrchr(path, '.');
	if (dot && (!strcasecmp(dot, ".tsv") || !strcasecmp(dot, ".tab")))
		return '\t';
	if (dot && !strcasecmp(dot, ".csv"))
		return ',';
	size_t tabs = 0, commas = 0;
	for (size_t i = 0; i < n && p[i] != '\n'; i++)
		tabs += p[i] == '\t', commas += p[i] == ',';
	return tabs > commas ? '\t' : ',';
}

static int read_file(const char *path, char **out, size_t *len, char *why, size_t whylen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -EINVAL;
	}
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			fclose(f);
			return -ENOMEM;
		}
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		if (cap >= (size_t)UINT32_MAX) {
			snprintf(why, whylen, "too large (a table holds up to 4 GiB)");
			free(buf);
			fclose(f);
			return -EINVAL;
		}
		char *nb = realloc(buf, cap * 2);
		if (!nb)
			free(buf);
		buf = nb;
		cap *= 2;
	}
	if (ferror(f)) {
		snprintf(why, whylen, "%s", strerror(errno ? errno : EIO));
		free(buf);
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

static char *cell_dup(const char *text, struct lookup_cell c)
{
	char *s = malloc((size_t)c.len + 1);
	if (s) {
		memcpy(s, text + c.off, c.len);
		s[c.len] = '\0';
	}
	return s;
}

static int cell_is(const char *text, struct lookup_cell c, const char *name)
{
	return strlen(name) == c.len && memcmp(text + c.off, name, c.len) == 0;
}

/* The header: which column is the key, the names of the others. */
static int load_header(struct lookup_config *cfg, struct csv_reader *rd, struct rf_query_error *err)
{
	cfg->ncols = rd->nf;
	cfg->keycol = -1;
	for (int i = 0; i < rd->nf && cfg->keycol < 0; i++)
		if (cell_is(cfg->text, rd->f[i], cfg->key_name ? cfg->key_name : cfg->key.name))
			cfg->keycol = i;
	if (cfg->keycol < 0 && cfg->key_name) {
		rf__fail(err, cfg->key_name_column, "lookup: %s has no column '%s'", cfg->path, cfg->key_name);
		const char *names[64];
		char *owned[64];
		int k = 0;
		for (int i = 0; i < rd->nf && k < 63; i++)
			if ((owned[k] = cell_dup(cfg->text, rd->f[i])))
				names[k] = owned[k], k++;
		names[k] = NULL;
		rf__suggest(err, cfg->key_name, names);
		if (!err->hint[0])
			rf__hint_list(err, "columns:", names, k);
		for (int i = 0; i < k; i++)
			free(owned[i]);
		return -EINVAL;
	}
	if (cfg->keycol < 0)
		cfg->keycol = 0; /* no column named like the field: the first */
	cfg->nfields = rd->nf - 1;
	cfg->field_name = calloc((size_t)rd->nf, sizeof *cfg->field_name);
	cfg->field_col = calloc((size_t)rd->nf, sizeof *cfg->field_col);
	cfg->slot = calloc((size_t)rd->nf, sizeof *cfg->slot);
	if (!cfg->field_name || !cfg->field_col || !cfg->slot)
		return -ENOMEM;
	for (int i = 0, j = 0; i < rd->nf; i++) {
		if (i == cfg->keycol)
			continue;
		struct lookup_cell c = rd->f[i];
		size_t pl = cfg->prefix ? strlen(cfg->prefix) + 1 : 0;
		char *s = malloc(pl + c.len + 1);
		if (!s)
			return -ENOMEM;
		if (pl)
			sprintf(s, "%s.", cfg->prefix);
		memcpy(s + pl, cfg->text + c.off, c.len);
		s[pl + c.len] = '\0';
		if (!c.len || strlen(s) != pl + c.len) {
			free(s);
			return rf__fail(err, cfg->path_column, "lookup: %s: column %d of the header has %s", cfg->path,
					i + 1, c.len ? "a NUL byte in its name" : "no name");
		}
		for (int k = 0; k < j; k++)
			if (strcmp(cfg->field_name[k], s) == 0) {
				rf__fail(err, cfg->path_column, "lookup: %s: the header names column '%s' twice",
					 cfg->path, s);
				free(s);
				return -EINVAL;
			}
		cfg->field_name[j] = s;
		cfg->field_col[j++] = i;
	}
	return 0;
}

static int load_table(struct lookup_config *cfg, struct rf_query_error *err)
{
	char why[200];
	int r = read_file(cfg->path, &cfg->text, &cfg->text_len, why, sizeof why);
	if (r == -EINVAL)
		return rf__fail(err, cfg->path_column, "lookup: cannot read %s: %s", cfg->path, why);
	if (r < 0)
		return r;
	struct csv_reader rd = { .p = cfg->text, .n = cfg->text_len, .line = 1 };
	if (rd.n >= 3 && memcmp(rd.p, "\xef\xbb\xbf", 3) == 0)
		rd.pos = 3; /* a UTF-8 byte order mark, as spreadsheets write */
	rd.sep = sniff_sep(cfg->path, rd.p + rd.pos, rd.n - rd.pos);
	uint32_t *row_line = NULL;
	size_t line_cap = 0;
	r = csv_next(&rd, why, sizeof why);
	if (r == 0) {
		r = rf__fail(err, cfg->path_column, "lookup: %s is empty: it needs a header row naming the columns",
			     cfg->path);
		goto out;
	}
	if (r < 0)
		goto bad;
	if ((r = load_header(cfg, &rd, err)) < 0)
		goto out;
	rf__strmap_init(&cfg->map);
	size_t cap = 0;
	while ((r = csv_next(&rd, why, sizeof why)) > 0) {
		uint64_t line = rd.rec_line;
		if (rd.nf != cfg->ncols) {
			snprintf(why, sizeof why, "%llu: %d field%s, the header has %d", (unsigned long long)line,
				 rd.nf, rd.nf == 1 ? "" : "s", cfg->ncols);
			r = -EINVAL;
			goto bad;
		}
		struct lookup_cell k = rd.f[cfg->keycol];
		int added;
		int64_t row = rf__strmap_put(&cfg->map, cfg->text + k.off, k.len, rf__hash_bytes(cfg->text + k.off, k.len),
					     &added);
		if (row < 0) {
			r = (int)row;
			goto out;
		}
		if (!added) {
			char key[64];
			rf__fit_text(key, sizeof key, cfg->text + k.off, k.len);
			snprintf(why, sizeof why, "%llu: the key '%s' is on line %u already (keys must be unique)",
				 (unsigned long long)line, key, row_line[row]);
			r = -EINVAL;
			goto bad;
		}
		if (cfg->nrows == cap || cfg->nrows == line_cap) {
			cap = cap ? cap * 2 : 1024;
			struct lookup_cell *c = realloc(cfg->cells, cap * (size_t)(cfg->nfields ? cfg->nfields : 1) * sizeof *c);
			uint32_t *l = realloc(row_line, cap * sizeof *l);
			if (c)
				cfg->cells = c;
			if (l)
				row_line = l, line_cap = cap;
			if (!c || !l) {
				r = -ENOMEM;
				goto out;
			}
		}
		row_line[cfg->nrows] = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
		for (int j = 0; j < cfg->nfields; j++)
			cfg->cells[cfg->nrows * (size_t)cfg->nfields + (size_t)j] = rd.f[cfg->field_col[j]];
		cfg->nrows++;
	}
	if (r == 0)
		goto out;
bad:
	if (r == -EINVAL)
		rf__fail(err, cfg->path_column, "lookup: %s:%s", cfg->path, why);
out:
	free(row_line);
	free(rd.f);
	return r;
}

/* ---- the stage ---- */

static int lookup_configure(struct rf_stage_spec *spec, struct rf_cursor *c)
{
	struct lookup_config *cfg = calloc(1, sizeof *cfg);
	if (!cfg)
		return -ENOMEM;
	spec->config = cfg;
	const struct rf_arg *a = rf__peek(c);
	if (!a || (a->type != RF_ARG_WORD && a->type != RF_ARG_STRING)) {
		rf__fail(c->err, rf__cursor_column(c), "lookup needs a table file: lookup FILE on FIELD");
		snprintf(c->err->hint, sizeof c->err->hint, "for example: lookup hosts.csv on ip as host");
		return -EINVAL;
	}
	c->i++;
	if (!(cfg->path = strdup(a->text)))
		return -ENOMEM;
	cfg->path_column = a->column;
	if (!rf__accept(c, RF_ARG_WORD, "on")) {
		rf__fail(c->err, rf__cursor_column(c), "expected 'on FIELD' after the file");
		snprintf(c->err->hint, sizeof c->err->hint, "for example: lookup %s on ip", cfg->path);
		return -EINVAL;
	}
	int r = rf__parse_fieldref(c, &cfg->key, "the field to look up");
	if (r < 0)
		return r;
	if (rf__accept(c, RF_ARG_OP, "=") || rf__accept(c, RF_ARG_OP, "==")) {
		a = rf__peek(c);
		if (!a || (a->type != RF_ARG_WORD && a->type != RF_ARG_STRING))
			return rf__fail(c->err, rf__cursor_column(c), "expected the table's key column after '='");
		c->i++;
		if (!(cfg->key_name = strdup(a->text)))
			return -ENOMEM;
		cfg->key_name_column = a->column;
	}
	if (rf__accept(c, RF_ARG_WORD, "as")) {
		a = rf__peek(c);
		if (!a || (a->type != RF_ARG_WORD && a->type != RF_ARG_STRING))
			return rf__fail(c->err, rf__cursor_column(c), "expected a prefix after 'as'");
		c->i++;
		if (!(cfg->prefix = strdup(a->text)))
			return -ENOMEM;
	}
	if ((a = rf__peek(c)))
		return rf__fail(c->err, a->column, "unexpected '%s' after the lookup", a->text);
	return load_table(cfg, c->err);
}

static int lookup_bind(struct rf_stage_spec *spec, struct rf_schema *sc, struct rf_query_error *err)
{
	struct lookup_config *cfg = spec->config;
	cfg->sc = sc;
	int r = rf__schema_bind(sc, &cfg->key, err);
	if (r < 0)
		return r;
	if (sc->nslots + cfg->nfields > RF_MAX_SLOTS) {
		rf__fail(err, cfg->path_column, "lookup: %s has %d columns besides the key; %d more fields fit in a query",
			 cfg->path, cfg->nfields, RF_MAX_SLOTS - sc->nslots);
		snprintf(err->hint, sizeof err->hint, "keep only the columns you need in the table (cut -d, -f...)");
		return -EINVAL;
	}
	for (int j = 0; j < cfg->nfields; j++) {
		if ((r = rf__schema_add_eval(sc, cfg->field_name[j], cfg->path_column, err)) < 0)
			return r;
		cfg->slot[j] = r;
	}
	return 0;
}

static int lookup_open(struct rf_stage *st, const void *config)
{
	st->state = (void *)config;
	return 0;
}

static int lookup_process(struct rf_stage *st, struct rf_batch *b)
{
	const struct lookup_config *cfg = st->state;
	const struct rf_schema *sc = cfg->sc;
	int r = rf__batch_field_rows(st, b, sc);
	if (r < 0)
		return r;
	uint32_t n = b->nsel;
	/* a window of keys at a time, its cache misses overlapped in steps
	 * (the slots, the keys' places and the rows, the keys) before the
	 * finds: a table larger than the cache costs misses a key otherwise */
	enum { AHEAD = 32 };
	uint64_t h[AHEAD];
	int64_t hint[AHEAD];
	const struct rf_strmap *m = &cfg->map;
	for (uint32_t k = 0; k < n; k++) {
		if (k % AHEAD == 0) {
			uint32_t end = n - k < AHEAD ? n : k + AHEAD;
			for (uint32_t i = k; i < end; i++) {
				struct rf_value key = rf__field(b, i, &cfg->key);
				h[i - k] = key.p && key.len >= 0 ? rf__hash_bytes(key.p, (size_t)key.len) : 0;
				rf__strmap_prefetch(m, h[i - k]);
			}
			for (uint32_t i = k; i < end; i++)
				if ((hint[i - k] = rf__strmap_hint(m, h[i - k])) >= 0)
					__builtin_prefetch(&cfg->cells[(size_t)hint[i - k] * (size_t)cfg->nfields]);
			for (uint32_t i = k; i < end; i++)
				if (hint[i - k] >= 0) {
					size_t len;
					__builtin_prefetch(rf__strmap_key(m, (size_t)hint[i - k], &len));
				}
		}
		struct rf_value key = rf__field(b, k, &cfg->key);
		int64_t row = -1;
		if (key.p && key.len >= 0)
			row = rf__strmap_find(m, key.p, (size_t)key.len, h[k % AHEAD]);
		const struct lookup_cell *c = row >= 0 ? &cfg->cells[(size_t)row * (size_t)cfg->nfields] : NULL;
		struct rf_tv *tv = &b->tv[(size_t)k * b->ntv];
		struct rf_value *v = &b->vals[(size_t)k * b->nslots];
		for (int j = 0; j < cfg->nfields; j++) {
			int slot = cfg->slot[j];
			if (!c) {
				tv[sc->tv_idx[slot]] = rf_tv_null();
				v[slot] = RF_MISSING;
				continue;
			}
			const char *p = cfg->text + c[j].off;
			/* a field's text, as a parser's: it may read as a number */
			struct rf_tv t = rf_tv_str(p, c[j].len);
			t.text = 1;
			tv[sc->tv_idx[slot]] = t;
			v[slot] = (struct rf_value){ p, (int32_t)c[j].len };
		}
	}
	return 0;
}

static void lookup_close(struct rf_stage *st)
{
	st->state = NULL;
}

const struct rf_verb rf__verb_lookup = {
	.name = "lookup",
	.kind = RF_STAGE_FILTER,
	.usage = "lookup FILE on FIELD [= COLUMN] [as PREFIX]",
	.configure = lookup_configure,
	.bind = lookup_bind,
	.free_config = lookup_free_config,
	.open = lookup_open,
	.process = lookup_process,
	.close = lookup_close,
};

int rf_query_lookups(const rf_query *q, uint64_t *rows, uint64_t *bytes)
{
	int n = 0;
	*rows = *bytes = 0;
	for (int i = 0; i < q->nstages; i++) {
		const struct lookup_config *cfg = q->stage[i].config;
		if (q->stage[i].verb != &rf__verb_lookup || !cfg)
			continue;
		n++;
		*rows += cfg->nrows;
		*bytes += sizeof *cfg + cfg->text_len + rf__strmap_bytes(&cfg->map) +
			  cfg->nrows * (size_t)cfg->nfields * sizeof *cfg->cells;
	}
	return n;
}
