/* SPDX-License-Identifier: MIT */
/* parse_container.c - container logs as the runtimes write them: cri
 * (containerd, CRI-O: `TIME STREAM TAG LOG`) and docker (the json-file
 * driver: one JSON object a line, the line itself in "log").
 *
 * Each unwraps the line a program wrote, for a second parse of `log`.  A
 * CRI line the runtime split (tag P, partial) is not joined with the rest
 * of it: each part is a record of its own.
 */
#include "config.h"
#include <string.h>
#include "parse.h"

extern const struct parse_format rf__format_json;

enum cri_field { K_TIME, K_STREAM, K_TAG, K_LOG, K_NFIELDS };
static const char *const cri_names[] = { "time", "stream", "tag", "log", NULL };
static const char *const time_only[] = { "time", NULL };

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* An RFC 3339 stamp's look (the time reader checks the rest): its length */
static size_t cri_time(const char *p, const char *end)
{
	if (end - p < 20 || !is_digit(p[0]) || p[4] != '-' || p[7] != '-' || p[10] != 'T')
		return 0;
	const char *q = memchr(p, ' ', (size_t)(end - p));
	return (size_t)((q ? q : end) - p);
}

static int is_stream(const char *p, size_t n)
{
	return n == 6 && (memcmp(p, "stdout", 6) == 0 || memcmp(p, "stderr", 6) == 0);
}

/* TIME SP STREAM SP TAG SP LOG: 0 (a line ending after its tag has an
 * empty log), 1 when it ends after its time or stream, -1 */
static int read_cri(const char *p, const char *end, struct rf_value *f)
{
	size_t t = cri_time(p, end);
	if (!t)
		return -1;
	f[K_TIME] = rf__val(p, t);
	p += t;
	if (end - p <= 1)
		return 1;
	p++;
	const char *q = memchr(p, ' ', (size_t)(end - p));
	const char *e = q ? q : end;
	if (!is_stream(p, (size_t)(e - p)))
		return -1;
	f[K_STREAM] = rf__val(p, (size_t)(e - p));
	if (!q || q + 1 == end)
		return 1;
	p = q + 1;
	q = memchr(p, ' ', (size_t)(end - p));
	e = q ? q : end;
	/* P or F, and more tags after a ':' in later runtimes */
	if (e == p || (*p != 'P' && *p != 'F') || (e - p > 1 && p[1] != ':'))
		return -1;
	f[K_TAG] = rf__val(p, (size_t)(e - p));
	f[K_LOG] = q ? rf__val(q + 1, (size_t)(end - q - 1)) : rf__val(e, 0);
	return 0;
}

static int parse_cri(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p, size_t n,
		     struct rf_value *row)
{
	(void)k;
	(void)b;
	struct rf_value f[K_NFIELDS] = { RF_MISSING, RF_MISSING, RF_MISSING, RF_MISSING };
	int r = read_cri(p, p + n, f);
	if (r < 0)
		return r;
	for (int i = 0; i < ps->pc->nslots; i++)
		row[i] = RF_MISSING;
	for (int i = 0; i < K_NFIELDS; i++)
		if (ps->slot_of_field[i] >= 0)
			row[ps->slot_of_field[i]] = f[i];
	return r;
}

static int cri_field(const struct parse_config *pc, const char *name)
{
	(void)pc;
	for (int f = 0; f < K_NFIELDS; f++)
		if (strcmp(cri_names[f], name) == 0)
			return f;
	return -1;
}

static int cri_open(struct parse_state *ps)
{
	return rf__fixed_fields_open(ps, K_NFIELDS);
}

/* ---- docker: the json format, and the newline the program wrote taken
 * off "log" (a \r before it too) ---- */

#define D_LOG 1 /* slot_field of "log"; every other name is a key path, -1 */

static int docker_field(const struct parse_config *pc, const char *name)
{
	(void)pc;
	return strcmp(name, "log") == 0 ? D_LOG : -1;
}

static int docker_open(struct parse_state *ps)
{
	return rf__format_json.open(ps);
}

static int parse_docker(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p,
			size_t n, struct rf_value *row)
{
	int r = rf__format_json.record(ps, k, b, p, n, row);
	if (r < 0)
		return r;
	for (int i = 0; i < ps->pc->nslots; i++) {
		struct rf_value *v = &row[i];
		if (ps->pc->slot_field[i] != D_LOG || v->len <= 0 || v->p[v->len - 1] != '\n')
			continue;
		v->len--;
		if (v->len && v->p[v->len - 1] == '\r')
			v->len--;
	}
	return r;
}

/* ---- parse auto: every line of the sample ---- */

static int cri_line(void *ctx, const char *p, const char *e)
{
	(void)ctx;
	struct rf_value f[K_NFIELDS];
	return read_cri(p, e, f) == 0;
}

static const char *skip_blanks(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* the driver writes "log" first, "stream" and "time" after it (blanks
 * around the colon allowed, as other writers of the same shape put them) */
static int docker_line(void *ctx, const char *p, const char *e)
{
	(void)ctx;
	if (p >= e || *p != '{' || e[-1] != '}')
		return 0;
	p = skip_blanks(p + 1, e);
	if (e - p < 5 || memcmp(p, "\"log\"", 5) != 0)
		return 0;
	p = skip_blanks(p + 5, e);
	if (p >= e || *p != ':')
		return 0;
	p = skip_blanks(p + 1, e);
	return p < e && *p == '"';
}

static int sniff_cri(const char *p, size_t n)
{
	return rf__sniff_lines(p, n, cri_line, NULL);
}

static int sniff_docker(const char *p, size_t n)
{
	return rf__sniff_lines(p, n, docker_line, NULL);
}

const struct parse_format rf__format_cri = {
	.name = "cri",
	.known = cri_names,
	.time_fields = time_only,
	.field = cri_field,
	.open = cri_open,
	.record = parse_cri,
	.sniff = sniff_cri,
};

const struct parse_format rf__format_docker = {
	.name = "docker",
	.time_fields = time_only,
	.field = docker_field,
	.open = docker_open,
	.record = parse_docker,
	.sniff = sniff_docker,
};
