/* SPDX-License-Identifier: MIT */
/* parse_syslog.c - the syslog formats: rfc5424 (with its structured data),
 * rfc3164 (BSD syslog, with or without <PRI>, as /var/log/syslog holds it)
 * and syslog (either, chosen per line).
 *
 * Field names are RFC 5424's; a NILVALUE ("-") is a missing field.  The
 * 3164 stamp has no year: it is read as every syslog stamp in ringflow is
 * (the aggregate's and --since's year, the current one in UTC).
 */
#include "config.h"
#include <string.h>
#include "parse.h"

enum sl_field { S_PRI, S_FACILITY, S_SEVERITY, S_VERSION, S_TIMESTAMP, S_HOSTNAME, S_APPNAME, S_PROCID, S_MSGID,
		S_SD, S_MSG, S_NFIELDS };
#define S_SD_PARAM 100 /* a slot sd.ID.PARAM: one parameter of the structured data */

static const char *const rfc5424_names[] = { "pri", "facility", "severity", "version", "timestamp", "hostname",
					     "appname", "procid", "msgid", "sd", "msg", NULL };
static const char *const rfc3164_names[] = { "pri", "facility", "severity", "timestamp", "hostname", "appname",
					     "procid", "msg", NULL };
static const char *const timestamp_only[] = { "timestamp", NULL };

/* facility and severity as text: the row holds spans, and these have no
 * bytes of their own in the record */
static const char *const small_numbers[] = { "0",  "1",  "2",  "3",  "4",  "5",  "6",  "7",
					     "8",  "9",  "10", "11", "12", "13", "14", "15",
					     "16", "17", "18", "19", "20", "21", "22", "23" };

static struct rf_value number_text(int v)
{
	return rf__val(small_numbers[v], v < 10 ? 1 : 2);
}

/* <PRI> at p: 1 to 3 digits, at most 191 (facility 23, severity 7), no
 * leading zero but in <0>.  Sets the three fields; returns the byte after
 * '>', or NULL when p holds no PRI. */
static const char *read_pri(const char *p, const char *end, struct rf_value *f)
{
	if (p >= end || *p != '<')
		return NULL;
	const char *s = ++p;
	int v = 0;
	while (p < end && p - s < 3 && *p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	if (p == s || p >= end || *p != '>' || v > 191 || (*s == '0' && p - s > 1))
		return NULL;
	f[S_PRI] = rf__val(s, (size_t)(p - s));
	f[S_FACILITY] = number_text(v >> 3);
	f[S_SEVERITY] = number_text(v & 7);
	return p + 1;
}

/* The word at p up to a space (or the end): its span, and where the next
 * one starts (NULL when the line ends with this word). */
static const char *word(const char *p, const char *end, struct rf_value *out)
{
	const char *q = memchr(p, ' ', (size_t)(end - p));
	*out = rf__val(p, (size_t)((q ? q : end) - p));
	return q ? q + 1 : NULL;
}

/* a header field of 5424: NILVALUE is missing */
static struct rf_value nil_missing(struct rf_value v)
{
	return v.len == 1 && v.p[0] == '-' ? RF_MISSING : v;
}

/* Whether slot name (of length n) is "sd." ID "." PARAM. */
static int names_param(const char *name, size_t n, struct rf_value id, struct rf_value param)
{
	return n == 3 + (size_t)id.len + 1 + (size_t)param.len && memcmp(name + 3, id.p, (size_t)id.len) == 0 &&
	       name[3 + id.len] == '.' && memcmp(name + 4 + id.len, param.p, (size_t)param.len) == 0;
}

/* A PARAM-VALUE with its escapes (\" \\ \]) taken out, into the arena; a
 * backslash before any other byte stays, as RFC 5424 says. */
static int unescape_sd(struct rf_batch *b, struct rf_value raw, struct rf_value *out)
{
	char *d = rf__batch_alloc(b, (size_t)raw.len);
	if (!d)
		return -1;
	size_t n = 0;
	for (int32_t i = 0; i < raw.len; i++) {
		if (raw.p[i] == '\\' && i + 1 < raw.len &&
		    (raw.p[i + 1] == '"' || raw.p[i + 1] == '\\' || raw.p[i + 1] == ']'))
			i++;
		d[n++] = raw.p[i];
	}
	*out = rf__val(d, n);
	return 0;
}

/* STRUCTURED-DATA at p: "-" or [ID PARAM="VALUE" ...]... .  The wanted
 * parameters go to their slots.  Returns the byte after it, NULL for
 * garbage; *cut set when the line ends inside it (what came before is
 * kept: the parameters read whole, and f[S_SD] up to the end). */
static const char *read_sd(struct parse_state *ps, struct rf_batch *b, const char *p, const char *end,
			   struct rf_value *f, struct rf_value *row, int want_params, int *cut)
{
	const struct parse_config *pc = ps->pc;
	const char *s = p;
	*cut = 0;
	if (p < end && *p == '-') {
		if (p + 1 < end && p[1] != ' ')
			return NULL;
		return p + 1;
	}
	if (p >= end || *p != '[')
		return NULL;
	while (p < end && *p == '[') {
		const char *id0 = ++p;
		while (p < end && *p != ' ' && *p != ']' && *p != '=' && *p != '"')
			p++;
		struct rf_value id = rf__val(id0, (size_t)(p - id0));
		if (p >= end)
			goto cut_off;
		if (!id.len || *p == '=' || *p == '"')
			return NULL;
		while (p < end && *p == ' ') {
			const char *n0 = ++p;
			while (p < end && *p != '=' && *p != ' ' && *p != ']' && *p != '"')
				p++;
			struct rf_value name = rf__val(n0, (size_t)(p - n0));
			if (p >= end || (p + 1 >= end && *p == '='))
				goto cut_off;
			if (!name.len || *p != '=' || p[1] != '"')
				return NULL;
			const char *v0 = p += 2;
			int esc = 0;
			while (p < end && *p != '"') {
				if (*p == '\\' && p + 1 < end) {
					esc = 1;
					p++;
				}
				p++;
			}
			if (p >= end)
				goto cut_off;
			struct rf_value v = rf__val(v0, (size_t)(p - v0));
			p++;
			for (int i = 0; want_params && i < pc->nslots; i++) {
				if (pc->slot_field[i] != S_SD_PARAM ||
				    !names_param(pc->slot_name[i], ps->slot_len[i], id, name))
					continue;
				if (esc && unescape_sd(b, v, &v) < 0)
					return NULL;
				esc = 0;
				row[i] = v;
			}
		}
		if (p >= end)
			goto cut_off;
		if (*p != ']')
			return NULL;
		p++;
	}
	f[S_SD] = rf__val(s, (size_t)(p - s));
	return p;
cut_off:
	f[S_SD] = rf__val(s, (size_t)(end - s));
	*cut = 1;
	return end;
}

/* RFC 5424: <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG].
 * 0, 1 when the line ends before its structured data is whole, -1. */
static int read_5424(struct parse_state *ps, struct rf_batch *b, const char *p, const char *end, struct rf_value *f,
		     struct rf_value *row, int want_params)
{
	if (!(p = read_pri(p, end, f)))
		return -1;
	const char *v = p;
	while (p < end && p - v < 3 && *p >= '0' && *p <= '9')
		p++;
	if (p == v || *v == '0' || p - v > 2 || p >= end || *p != ' ')
		return -1;
	f[S_VERSION] = rf__val(v, (size_t)(p - v));
	p++;
	static const int order[] = { S_TIMESTAMP, S_HOSTNAME, S_APPNAME, S_PROCID, S_MSGID };
	for (int i = 0; i < 5; i++) {
		struct rf_value w;
		p = word(p, end, &w);
		if (!w.len)
			return -1; /* two spaces, or a space at the end: no such field */
		f[order[i]] = nil_missing(w);
		if (i == 0 && f[S_TIMESTAMP].len >= 0 && (w.len < 10 || w.p[4] != '-'))
			return -1; /* a 5424 stamp is RFC 3339's */
		if (!p)
			return 1; /* cut off before the structured data */
	}
	int cut;
	if (!(p = read_sd(ps, b, p, end, f, row, want_params, &cut)))
		return -1;
	if (cut)
		return 1;
	if (p < end) {
		if (*p != ' ')
			return -1;
		p++;
		if (end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
			p += 3; /* the BOM says UTF-8; it is no part of the message */
		f[S_MSG] = rf__val(p, (size_t)(end - p));
	}
	return 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The length of a 3164 stamp at p, "Mmm dd hh:mm:ss" (the day padded
 * with a space, or not), or of an RFC 3339 one (rsyslog's high-precision
 * stamp in the same layout); 0 if none is there. */
static size_t stamp_3164(const char *p, const char *end)
{
	size_t n = (size_t)(end - p);
	if (n >= 19 && is_digit(p[0]) && p[4] == '-' && p[7] == '-') {
		const char *q = memchr(p, ' ', n);
		return q ? (size_t)(q - p) : n;
	}
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	if (n < 14 || p[3] != ' ')
		return 0;
	int m = 0;
	while (m < 12 && memcmp(months + 3 * m, p, 3) != 0)
		m++;
	if (m == 12)
		return 0;
	/* the day: " 3", "03", "13", or "3" unpadded; d is its end */
	size_t d;
	if (p[4] == ' ' && is_digit(p[5]))
		d = 6;
	else if (is_digit(p[4]))
		d = is_digit(p[5]) ? 6 : 5;
	else
		return 0;
	const char *c = p + d;
	if (end - c < 9 || c[0] != ' ' || !is_digit(c[1]) || !is_digit(c[2]) || c[3] != ':' || !is_digit(c[4]) ||
	    !is_digit(c[5]) || c[6] != ':' || !is_digit(c[7]) || !is_digit(c[8]))
		return 0;
	return (size_t)(c + 9 - p);
}

/* RFC 3164: [<PRI>]TIMESTAMP HOSTNAME TAG[PID]: MSG.  A line without a
 * TAG (nothing before a ':' or '[') keeps the rest as its message.
 * 0, 1 when it ends after the stamp, -1. */
static int read_3164(const char *p, const char *end, struct rf_value *f)
{
	if (p < end && *p == '<' && !(p = read_pri(p, end, f)))
		return -1;
	size_t ts = stamp_3164(p, end);
	if (!ts)
		return -1;
	f[S_TIMESTAMP] = rf__val(p, ts);
	p += ts;
	if (p >= end || end - p == 1)
		return 1; /* no host */
	if (*p++ != ' ')
		return -1;
	struct rf_value host;
	p = word(p, end, &host);
	if (!host.len)
		return -1;
	f[S_HOSTNAME] = host;
	if (!p)
		return 1; /* nothing after the host: cut off */
	/* TAG: up to '[', ':' or a space; a tag only if one of the first two
	 * ends it */
	const char *t = p;
	while (p < end && *p != '[' && *p != ':' && *p != ' ')
		p++;
	if (p > t && p < end && *p == '[') {
		const char *pid = p + 1, *q = memchr(pid, ']', (size_t)(end - pid));
		if (q && q > pid && (q + 1 == end || q[1] == ':' || q[1] == ' ')) {
			f[S_APPNAME] = rf__val(t, (size_t)(p - t));
			f[S_PROCID] = rf__val(pid, (size_t)(q - pid));
			p = q + 1;
		} else {
			p = t;
		}
	} else if (p > t && p < end && *p == ':') {
		f[S_APPNAME] = rf__val(t, (size_t)(p - t));
	} else {
		p = t;
	}
	if (p > t) {
		if (p < end && *p == ':')
			p++;
		if (p < end && *p == ' ')
			p++;
	}
	f[S_MSG] = rf__val(p, (size_t)(end - p));
	return 0;
}

static int rfc5424_line(const char *p, const char *end)
{
	/* <PRI>1 : 5424's version 1 */
	const char *q = memchr(p, '>', (size_t)(end - p) < 5 ? (size_t)(end - p) : 5);
	return p < end && *p == '<' && q && end - q >= 3 && q[1] == '1' && q[2] == ' ';
}

/* 0: rfc5424, 1: rfc3164, 2: syslog */
static int syslog_record(struct parse_state *ps, struct rf_batch *b, const char *p, size_t n, struct rf_value *row,
			 int which)
{
	const struct parse_config *pc = ps->pc;
	const char *end = p + n;
	struct rf_value f[S_NFIELDS];
	for (int i = 0; i < S_NFIELDS; i++)
		f[i] = RF_MISSING;
	int want_params = 0;
	for (int i = 0; i < pc->nslots; i++) {
		row[i] = RF_MISSING;
		want_params |= pc->slot_field[i] == S_SD_PARAM;
	}
	int r;
	if (which == 0 || (which == 2 && rfc5424_line(p, end)))
		r = read_5424(ps, b, p, end, f, row, want_params);
	else
		r = read_3164(p, end, f);
	if (r < 0)
		return r;
	for (int i = 0; i < S_NFIELDS; i++)
		if (ps->slot_of_field[i] >= 0)
			row[ps->slot_of_field[i]] = f[i];
	return r;
}

static int parse_rfc5424(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p,
			 size_t n, struct rf_value *row)
{
	(void)k;
	return syslog_record(ps, b, p, n, row, 0);
}

static int parse_rfc3164(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p,
			 size_t n, struct rf_value *row)
{
	(void)k;
	return syslog_record(ps, b, p, n, row, 1);
}

static int parse_syslog(struct parse_state *ps, const struct rf_kernels *k, struct rf_batch *b, const char *p,
			size_t n, struct rf_value *row)
{
	(void)k;
	return syslog_record(ps, b, p, n, row, 2);
}

static int sd_param_name(const char *name)
{
	/* sd.ID.PARAM: an ID and a PARAM, neither empty */
	const char *dot = strrchr(name, '.');
	return strncmp(name, "sd.", 3) == 0 && dot > name + 3 && dot[1];
}

static int syslog_accepts(const struct parse_config *pc, const char *name)
{
	for (int i = 0; pc->fmt->known[i]; i++)
		if (strcmp(pc->fmt->known[i], name) == 0)
			return 1;
	return pc->fmt->known == rfc5424_names && sd_param_name(name);
}

static int syslog_field(const struct parse_config *pc, const char *name)
{
	(void)pc;
	for (int f = 0; f < S_NFIELDS; f++)
		if (strcmp(rfc5424_names[f], name) == 0)
			return f;
	return sd_param_name(name) ? S_SD_PARAM : -1;
}

static int syslog_open(struct parse_state *ps)
{
	return rf__fixed_fields_open(ps, S_NFIELDS);
}

/* ---- parse auto: every line of the sample one of ours ---- */

/* the header only, for 5424: no slots, no arena */
static int line_5424(void *ctx, const char *p, const char *e)
{
	(void)ctx;
	struct rf_value f[S_NFIELDS];
	return (p = read_pri(p, e, f)) && e - p >= 2 && p[0] == '1' && p[1] == ' ';
}

/* A 3164 line with a tag (or syslogd's "-- MARK --"): without that, a
 * CRI line (an RFC 3339 stamp, "stdout", "F ...") would read as one too */
static int line_3164(void *ctx, const char *p, const char *e)
{
	(void)ctx;
	struct rf_value f[S_NFIELDS];
	for (int i = 0; i < S_NFIELDS; i++)
		f[i] = RF_MISSING;
	if (read_3164(p, e, f) != 0)
		return 0;
	return f[S_APPNAME].len > 0 || (f[S_MSG].len >= 2 && memcmp(f[S_MSG].p, "--", 2) == 0);
}

static int line_syslog(void *ctx, const char *p, const char *e)
{
	return rfc5424_line(p, e) ? line_5424(ctx, p, e) : line_3164(ctx, p, e);
}

static int sniff_5424(const char *p, size_t n)
{
	return rf__sniff_lines(p, n, line_5424, NULL);
}

static int sniff_3164(const char *p, size_t n)
{
	return rf__sniff_lines(p, n, line_3164, NULL);
}

static int sniff_syslog(const char *p, size_t n)
{
	return rf__sniff_lines(p, n, line_syslog, NULL);
}

const struct parse_format rf__format_rfc5424 = {
	.name = "rfc5424",
	.known = rfc5424_names,
	.time_fields = timestamp_only,
	.accepts = syslog_accepts,
	.field = syslog_field,
	.open = syslog_open,
	.record = parse_rfc5424,
	.sniff = sniff_5424,
};

const struct parse_format rf__format_rfc3164 = {
	.name = "rfc3164",
	.known = rfc3164_names,
	.time_fields = timestamp_only,
	.accepts = syslog_accepts,
	.field = syslog_field,
	.open = syslog_open,
	.record = parse_rfc3164,
	.sniff = sniff_3164,
};

const struct parse_format rf__format_syslog = {
	.name = "syslog",
	.known = rfc5424_names,
	.time_fields = timestamp_only,
	.accepts = syslog_accepts,
	.field = syslog_field,
	.open = syslog_open,
	.record = parse_syslog,
	.sniff = sniff_syslog,
};
