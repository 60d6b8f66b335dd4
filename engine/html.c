/* SPDX-License-Identifier: MIT */
/* html.c - --format=html: one self-contained HTML page on out_fd.
 *
 * The page is made from result handles (rf_run_result), not from the text
 * writer: it needs every row before the first byte (a chart is scaled to
 * the largest value) and the run's report (records, rejects, bytes) that
 * is only known at the end.
 *
 * A query with result rows gives an overview and its table.  A query that
 * only parses (and maybe filters) an access log gives a dashboard: the
 * engine runs one aggregate per query, so the dashboard is several
 * queries, the given one with an aggregate appended to each, run one
 * after the other over the same inputs (standard input is spooled to a
 * temporary file first, so it can be read again).  Only the first pass
 * speaks (messages, rejected records): the later ones read the same
 * bytes and would only repeat it.
 *
 * Everything from the data is HTML-escaped and lives in the document as
 * text, never inside the script; charts are SVG drawn here.  The page's
 * Content-Security-Policy allows no network access and only the script
 * holding this page's nonce, so markup that got through anyway could
 * neither load anything nor run.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include "engine.h"
#include "result.h"
#include "run.h"
#include "timezone.h"

#define HTML_MAX_ROWS 10000 /* a table shows this many rows at most */
#define HTML_BARS 20        /* bars of a horizontal chart */
#define HTML_TOP "10"       /* rows of the dashboard's top tables */

struct section {
	char title[64];
	char query[1024];    /* what was run, shown under the title */
	rf_result *res;
	int chart;           /* CHART_* */
	int cls;             /* status table: also the classes (1xx..5xx) */
};

enum { CHART_NONE, CHART_TIME, CHART_BARS };

#define MAX_SECTIONS 12

struct page {
	struct rf_writer w;
	const struct rf_options *opt;
	const rf_query *q;
	struct rf_tz *tz;
	struct rf_report rep;        /* the first pass's */
	struct section sec[MAX_SECTIONS];
	int nsec;
	int dashboard;
	rf_result *overview;         /* the dashboard's count, first(time), ... */
	char nonce[33];
};

/* ---- output ---- */

static void put(struct page *pg, const char *s)
{
	rf__writer_put(&pg->w, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) putf(struct page *pg, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		rf__writer_put(&pg->w, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Text from the data, safe as element content and inside a quoted
 * attribute: the five markup characters as entities, and control
 * characters (which HTML does not allow as text) as U+FFFD. */
static void put_text(struct page *pg, const char *p, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		const char *e = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&quot;"
			: c == '\'' ? "&#39;" : (c < 0x20 && c != '\t') || c == 0x7f ? "&#xFFFD;" : NULL;
		if (!e)
			continue;
		rf__writer_put(&pg->w, p + run, i - run);
		put(pg, e);
		run = i + 1;
	}
	rf__writer_put(&pg->w, p + run, n - run);
}

static void put_str(struct page *pg, const char *s)
{
	put_text(pg, s, strlen(s));
}

/* A cell as the TSV output shows it (the test reads both). */
static const char *cell(struct page *pg, const rf_result *r, size_t row, int col, char *buf, size_t cap, size_t *len)
{
	const struct rf_table *t = r->t;
	return rf__cell_text(&t->cells[row * (size_t)t->ncols + (size_t)col], pg->tz, buf, cap, len);
}

static int numeric(const rf_result *r, size_t row, int col)
{
	enum rf_type ty = rf_result_type(r, row, col);
	return ty == RF_TYPE_INT || ty == RF_TYPE_FLOAT;
}

/* ---- charts ---- */

/* The largest value of column `col` in the first n rows (0 when none is
 * above 0: nothing to draw). */
static double col_max(const rf_result *r, size_t n, int col)
{
	double max = 0;
	for (size_t i = 0; i < n; i++)
		if (rf_result_float(r, i, col) > max)
			max = rf_result_float(r, i, col);
	return max;
}

/* Horizontal bars: one per row (the first HTML_BARS), labelled with the
 * keys, scaled to the largest value of column `vcol`. */
static void chart_bars(struct page *pg, const rf_result *r, int vcol)
{
	size_t n = rf_result_rows(r);
	if (n > HTML_BARS)
		n = HTML_BARS;
	double max = col_max(r, n, vcol);
	if (n == 0 || max <= 0)
		return;
	int h = 22;
	putf(pg, "<svg class=\"bars\" role=\"img\" width=\"720\" height=\"%zu\" viewBox=\"0 0 720 %zu\">\n",
	     n * (size_t)h, n * (size_t)h);
	for (size_t i = 0; i < n; i++) {
		char kb[64], vb[64];
		size_t kl, vl;
		const char *k = r->t->nkeys > 0 ? cell(pg, r, i, 0, kb, sizeof kb, &kl) : "";
		if (r->t->nkeys <= 0)
			kl = 0;
		const char *v = cell(pg, r, i, vcol, vb, sizeof vb, &vl);
		double w = 400.0 * rf_result_float(r, i, vcol) / max;
		/* a long key is cut for the label; the title has it whole */
		size_t shown = kl > 32 ? 32 : kl;
		while (shown < kl && shown > 0 && ((unsigned char)k[shown] & 0xc0) == 0x80)
			shown--; /* not inside a UTF-8 sequence */
		putf(pg, "<g><title>");
		put_text(pg, k, kl);
		put(pg, ": ");
		put_text(pg, v, vl);
		putf(pg, "</title><text x=\"0\" y=\"%zu\" class=\"lbl\">", i * (size_t)h + 15);
		put_text(pg, k, shown);
		if (shown < kl)
			put(pg, "\xe2\x80\xa6");
		putf(pg, "</text><rect x=\"260\" y=\"%zu\" width=\"%.1f\" height=\"16\"/>", i * (size_t)h + 3, w);
		putf(pg, "<text x=\"%.1f\" y=\"%zu\" class=\"val\">", 266 + w, i * (size_t)h + 15);
		put_text(pg, v, vl);
		put(pg, "</text></g>\n");
	}
	put(pg, "</svg>\n");
}

/* Vertical bars over time: rows in time order, the first column a time,
 * the value in column `vcol`. */
static void chart_time(struct page *pg, const rf_result *r, int vcol)
{
	size_t n = rf_result_rows(r);
	double max = col_max(r, n, vcol);
	if (n == 0 || max <= 0)
		return;
	const double W = 900, H = 200, left = 60;
	double bw = (W - left) / (double)n;
	putf(pg, "<svg class=\"time\" role=\"img\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n", W,
	     H + 40, W, H + 40);
	char vb[64], kb[64];
	size_t vl, kl;
	putf(pg, "<text x=\"0\" y=\"12\" class=\"val\">%.6g</text>", max);
	putf(pg, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" class=\"axis\"/>\n", left, H, W, H);
	for (size_t i = 0; i < n; i++) {
		double v = rf_result_float(r, i, vcol), h = H * v / max;
		const char *k = cell(pg, r, i, 0, kb, sizeof kb, &kl);
		const char *vs = cell(pg, r, i, vcol, vb, sizeof vb, &vl);
		put(pg, "<rect");
		putf(pg, " x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"><title>", left + bw * (double)i,
		     H - h, bw > 2 ? bw - 1 : bw, h);
		put_text(pg, k, kl);
		put(pg, ": ");
		put_text(pg, vs, vl);
		put(pg, "</title></rect>\n");
	}
	const char *first = cell(pg, r, 0, 0, kb, sizeof kb, &kl);
	putf(pg, "<text x=\"%.0f\" y=\"%.0f\" class=\"lbl\">", left, H + 16);
	put_text(pg, first, kl);
	put(pg, "</text>");
	const char *last = cell(pg, r, n - 1, 0, kb, sizeof kb, &kl);
	putf(pg, "<text x=\"%.0f\" y=\"%.0f\" class=\"lbl\" text-anchor=\"end\">", W, H + 32);
	put_text(pg, last, kl);
	put(pg, "</text>\n</svg>\n");
}

/* ---- tables ---- */

static void table(struct page *pg, const rf_result *r, const char *id)
{
	size_t n = rf_result_rows(r);
	int ncols = rf_result_cols(r);
	putf(pg, "<table id=\"%s\" class=\"rows\"><thead><tr>", id);
	for (int c = 0; c < ncols; c++) {
		put(pg, "<th>");
		put_str(pg, rf_result_col_name(r, c));
		put(pg, "</th>");
	}
	put(pg, "</tr></thead>\n<tbody>\n");
	size_t shown = n > HTML_MAX_ROWS ? HTML_MAX_ROWS : n;
	for (size_t i = 0; i < shown; i++) {
		put(pg, "<tr>");
		for (int c = 0; c < ncols; c++) {
			char buf[64];
			size_t len;
			const char *s = cell(pg, r, i, c, buf, sizeof buf, &len);
			put(pg, numeric(r, i, c) ? "<td class=\"n\">" : "<td>");
			put_text(pg, s, len);
			put(pg, "</td>");
		}
		put(pg, "</tr>\n");
	}
	put(pg, "</tbody></table>\n");
	if (shown < n)
		putf(pg, "<p class=\"note\">The first %zu of %zu rows; --format=tsv gives them all.</p>\n", shown, n);
}

/* The status table's rows summed by class, 2xx and so on. */
static void status_classes(struct page *pg, const rf_result *r, int vcol)
{
	uint64_t cls[6] = { 0 };
	size_t n = rf_result_rows(r);
	for (size_t i = 0; i < n; i++) {
		char buf[64];
		size_t len;
		const char *s = cell(pg, r, i, 0, buf, sizeof buf, &len);
		int k = len == 3 && s[0] >= '1' && s[0] <= '5' ? s[0] - '0' : 0;
		cls[k] += (uint64_t)rf_result_int(r, i, vcol);
	}
	uint64_t max = 0;
	for (int k = 0; k < 6; k++)
		max = cls[k] > max ? cls[k] : max;
	put(pg, "<h3>Status classes</h3>\n<svg class=\"bars\" role=\"img\" width=\"720\" height=\"132\">\n");
	for (int k = 1; k < 6; k++) {
		double w = max ? 400.0 * (double)cls[k] / (double)max : 0;
		int y = (k - 1) * 26;
		putf(pg, "<text x=\"0\" y=\"%d\" class=\"lbl\">%dxx</text><rect class=\"c%d\" x=\"60\" y=\"%d\" "
			 "width=\"%.1f\" height=\"18\"/><text x=\"%.1f\" y=\"%d\" class=\"val\">%" PRIu64 "</text>\n",
		     y + 15, k, k, y + 3, w, 66 + w, y + 15, cls[k]);
	}
	put(pg, "</svg>\n<table id=\"classes\" class=\"rows\"><thead><tr><th>class</th><th>count</th></tr></thead>"
		"<tbody>\n");
	for (int k = 0; k < 6; k++)
		if (cls[k] || k > 0)
			putf(pg, "<tr><td>%s</td><td class=\"n\">%" PRIu64 "</td></tr>\n",
			     k ? (const char *[]){ "", "1xx", "2xx", "3xx", "4xx", "5xx" }[k] : "other", cls[k]);
	put(pg, "</tbody></table>\n");
}

static void section(struct page *pg, int i)
{
	const struct section *s = &pg->sec[i];
	const rf_result *r = s->res;
	putf(pg, "<section id=\"s%d\">\n<h2>", i + 1);
	put_str(pg, s->title);
	put(pg, "</h2>\n<p class=\"query\"><code>");
	put_str(pg, s->query);
	put(pg, "</code></p>\n");
	int nkeys = r->t ? r->t->nkeys : 0, ncols = rf_result_cols(r);
	/* the value a chart shows: the first column after the keys */
	int vcol = nkeys < ncols ? nkeys : -1;
	if (vcol >= 0 && rf_result_rows(r) > 0 && numeric(r, 0, vcol) && nkeys >= 1) {
		if (s->chart == CHART_TIME || (s->chart != CHART_NONE && rf_result_type(r, 0, 0) == RF_TYPE_TIME &&
					       nkeys == 1))
			chart_time(pg, r, vcol);
		else if (s->chart == CHART_BARS)
			chart_bars(pg, r, vcol);
	}
	char id[16];
	snprintf(id, sizeof id, "t%d", i + 1);
	table(pg, r, id);
	if (s->cls && vcol >= 0)
		status_classes(pg, r, vcol);
	put(pg, "</section>\n");
}

/* ---- the page ---- */

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;background:#fafafa}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}"
	"code{background:#eee;padding:0 .3em;word-break:break-all}"
	"table.rows{border-collapse:collapse;margin:.5em 0}"
	"table.rows th,table.rows td{border:1px solid #ddd;padding:.2em .6em;text-align:left;"
	"max-width:50em;overflow-wrap:anywhere}"
	"table.rows th{background:#eee;cursor:pointer}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"dl.ov{display:grid;grid-template-columns:max-content auto;gap:.2em 1.5em}dl.ov dt{color:#666}"
	"dl.ov dd{margin:0;font-weight:bold}"
	"svg rect{fill:#4a7ab5}svg rect.c1{fill:#999}svg rect.c2{fill:#4a9a4a}svg rect.c3{fill:#4a7ab5}"
	"svg rect.c4{fill:#d89a2a}svg rect.c5{fill:#c84040}svg text{font-size:12px}svg .val{fill:#444}"
	"svg .axis{stroke:#888}.note{color:#666}";

/* Click a header to sort its table; the rows are the document's, so the
 * script reads no data of its own. */
static const char script[] =
	"document.querySelectorAll('table.rows').forEach(function(t){"
	"t.querySelectorAll('th').forEach(function(th,c){var asc=false;"
	"th.addEventListener('click',function(){asc=!asc;var b=t.tBodies[0];"
	"var rows=Array.prototype.slice.call(b.rows);"
	"rows.sort(function(x,y){var a=x.cells[c].textContent,z=y.cells[c].textContent;"
	"var na=parseFloat(a),nz=parseFloat(z);"
	"var d=(!isNaN(na)&&!isNaN(nz))?na-nz:(a<z?-1:a>z?1:0);return asc?d:-d;});"
	"rows.forEach(function(r){b.appendChild(r);});});});});"
	"document.documentElement.setAttribute('data-ready','1');";

static void overview_item(struct page *pg, const char *key, const char *label, const char *value, size_t len)
{
	putf(pg, "<dt>%s</dt><dd id=\"ov-%s\">", label, key);
	put_text(pg, value, len);
	put(pg, "</dd>\n");
}

static void overview_u64(struct page *pg, const char *key, const char *label, uint64_t v)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%" PRIu64, v);
	overview_item(pg, key, label, buf, (size_t)n);
}

static void overview(struct page *pg)
{
	const struct rf_report *rep = &pg->rep;
	put(pg, "<section id=\"overview\">\n<h2>Overview</h2>\n<dl class=\"ov\">\n");
	overview_u64(pg, "records", "records", rep->records);
	overview_u64(pg, "rejected", "rejected", rep->rejected);
	overview_u64(pg, "bytes", "bytes read", rep->bytes);
	overview_u64(pg, "inputs", "inputs", rep->inputs);
	if (rep->inputs_failed)
		overview_u64(pg, "inputs-failed", "inputs not read", rep->inputs_failed);
	/* the dashboard's own aggregate: its columns by name */
	const rf_result *o = pg->overview;
	for (int c = 0; o && rf_result_rows(o) == 1 && c < rf_result_cols(o); c++) {
		const char *name = rf_result_col_name(o, c);
		static const struct {
			const char *col, *key, *label;
		} known[] = {
			{ "count", "matched", "records matched" },   { "first(time)", "first", "first time" },
			{ "last(time)", "last", "last time" },       { "sum(bytes)", "sent", "bytes sent" },
			{ "distinct(ip)", "clients", "distinct clients" },
		};
		for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
			if (strcmp(name, known[k].col) != 0)
				continue;
			char buf[64];
			size_t len;
			const char *s = cell(pg, o, 0, c, buf, sizeof buf, &len);
			overview_item(pg, known[k].key, known[k].label, s, len);
		}
	}
	char when[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	overview_item(pg, "made", "made", when, strlen(when));
	put(pg, "</dl>\n</section>\n");
}

static void page(struct page *pg)
{
	put(pg, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
	putf(pg, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		 "style-src 'unsafe-inline'; img-src data:; script-src 'nonce-%s'\">\n", pg->nonce);
	put(pg, "<meta name=\"generator\" content=\"ringflow " PACKAGE_VERSION "\">\n");
	put(pg, "<title>ringflow report</title>\n<style>");
	put(pg, style);
	put(pg, "</style>\n</head>\n<body>\n<h1>ringflow report</h1>\n<p class=\"query\">query: <code id=\"query\">");
	put_str(pg, pg->q->text ? pg->q->text : "");
	put(pg, "</code></p>\n");
	overview(pg);
	for (int i = 0; i < pg->nsec; i++)
		section(pg, i);
	putf(pg, "<script nonce=\"%s\">", pg->nonce);
	put(pg, script);
	put(pg, "</script>\n</body>\n</html>\n");
}

/* ---- the runs ---- */

static void quiet(void *user, enum rf_severity sev, const char *input, int err, const char *msg)
{
	(void)user, (void)sev, (void)input, (void)err, (void)msg;
}

/* Whether q's text with `tail` appended parses (the parser has the
 * fields it names). */
static int parses(const rf_query *q, const char *tail)
{
	char text[1024];
	if ((size_t)snprintf(text, sizeof text, "%s | %s", q->text, tail) >= sizeof text)
		return 0;
	rf_query *t;
	struct rf_query_error err;
	if (rf_query_parse(text, &t, &err) < 0)
		return 0;
	rf_query_free(t);
	return 1;
}

/* The first of the names the parser has, or NULL. */
static const char *field(const rf_query *q, const char *const *names)
{
	for (; *names; names++) {
		char tail[80];
		snprintf(tail, sizeof tail, "count by %s", *names);
		if (parses(q, tail))
			return *names;
	}
	return NULL;
}

struct passes {
	struct page *pg;
	const struct rf_input *in;
	int nin;
	struct rf_options o;    /* the caller's, for rows kept in handles */
	int n;                  /* passes run */
	int worst;              /* 1 when an input could not be read */
	int spool;              /* standard input spooled here, or -1 */
	int all_rejected;       /* the first pass said every record was rejected */
};

/* Run q (or q's text with tail appended) and keep its rows; the first
 * pass fills the page's report. */
static int pass(struct passes *ps, const rf_query *q, const char *tail, rf_result **out)
{
	rf_query *own = NULL;
	*out = NULL;
	if (tail) {
		char text[1024];
		snprintf(text, sizeof text, "%s | %s", ps->pg->q->text, tail);
		struct rf_query_error err;
		int r = rf_query_parse(text, &own, &err);
		if (r < 0)
			return r;
		q = own;
	}
	struct rf_options o = ps->o;
	if (ps->n > 0) {
		o.on_message = quiet; /* the first pass said it all */
		o.on_error = NULL;
		o.rejects_fd = -1;
	}
	if (ps->spool >= 0 && lseek(ps->spool, 0, SEEK_SET) < 0) {
		rf_query_free(own);
		return -errno;
	}
	struct rf_report rep;
	memset(&rep, 0, sizeof rep);
	rep.size = sizeof rep;
	int r = rf__run_result(q, ps->in, ps->nin, &o, &rep, out);
	if (ps->n++ == 0) {
		ps->pg->rep = rep;
		/* the run said every record was rejected and that no result is
		 * printed (run.c): so no page either */
		ps->all_rejected = r == 1 && rep.records && rep.rejected + rep.time_missing >= rep.records &&
				   ps->o.rejects_fd < 0;
	}
	if (r == 1)
		ps->worst = 1;
	rf_query_free(own);
	return r < 0 ? r : 0;
}

/* A section of the rows of q's text with tail appended: `res` when they
 * were had already, else from a pass run now. */
static int add(struct passes *ps, const char *title, const char *tail, rf_result *res, int chart, int cls)
{
	struct page *pg = ps->pg;
	struct section *s = &pg->sec[pg->nsec];
	s->res = res;
	int r = res ? 0 : pass(ps, pg->q, tail, &s->res);
	if (r < 0)
		return r;
	snprintf(s->title, sizeof s->title, "%s", title);
	snprintf(s->query, sizeof s->query, "%s | %s", pg->q->text, tail);
	s->chart = chart;
	s->cls = cls;
	pg->nsec++;
	return 0;
}

static const char *const time_names[] = { "time", "timestamp", "time_local", "date", NULL };
static const char *const status_names[] = { "status", "sc_status", "elb_status_code", NULL };
static const char *const path_names[] = { "path", "uri", "request_uri", "cs_uri_stem", NULL };
static const char *const client_names[] = { "ip", "remote_addr", "client", "c_ip", "client_ip", NULL };
static const char *const agent_names[] = { "agent", "http_user_agent", "user_agent", NULL };
static const char *const bytes_names[] = { "bytes", "body_bytes_sent", "bytes_sent", "sc_bytes", NULL };
static const char *const latency_names[] = { "request_time", "duration", "duration_ms", "duration_us",
					     "duration_s", "time_taken", "request_processing_time", NULL };

/* The access-log dashboard: what GoAccess shows first. */
static int dashboard(struct passes *ps)
{
	const rf_query *q = ps->pg->q;
	const char *tf = field(q, time_names), *sf = field(q, status_names), *pf = field(q, path_names);
	const char *cf = field(q, client_names), *af = field(q, agent_names), *bf = field(q, bytes_names);
	char tail[512];
	int n = snprintf(tail, sizeof tail, "count");
	if (tf)
		n += snprintf(tail + n, sizeof tail - (size_t)n, ", first(%s), last(%s)", tf, tf);
	if (bf)
		n += snprintf(tail + n, sizeof tail - (size_t)n, ", sum(%s)", bf);
	if (cf)
		n += snprintf(tail + n, sizeof tail - (size_t)n, ", distinct(%s)", cf);
	int r = pass(ps, q, tail, &ps->pg->overview);
	if (r < 0)
		return r;
	/* a response time: the first name the parser has that holds numbers
	 * (parse json takes any name, so ask the data: one quiet pass) */
	const char *lf = NULL, *cand[16];
	int nc = 0;
	n = snprintf(tail, sizeof tail, "count");
	for (const char *const *l = latency_names; *l && nc < 16; l++) {
		char one[80];
		snprintf(one, sizeof one, "max(%s)", *l);
		if (parses(q, one)) {
			cand[nc++] = *l;
			n += snprintf(tail + n, sizeof tail - (size_t)n, ", %s", one);
		}
	}
	if (nc) {
		rf_result *lat;
		if ((r = pass(ps, q, tail, &lat)) < 0)
			return r;
		for (int i = 0; i < nc && !lf; i++)
			if (rf_result_rows(lat) == 1 && numeric(lat, 0, i + 1))
				lf = cand[i];
		rf_result_free(lat);
	}
	if (tf) {
		/* minutes for a few hours of log, else hours, else days */
		rf_result *hours;
		snprintf(tail, sizeof tail, "count by hour(%s)", tf);
		if (!parses(q, tail))
			snprintf(tail, sizeof tail, "count by hour");
		if ((r = pass(ps, q, tail, &hours)) < 0)
			return r;
		size_t nh = rf_result_rows(hours);
		const char *unit = nh <= 6 ? "minute" : nh <= 24 * 14 ? "hour" : "day";
		char title[64];
		snprintf(title, sizeof title, "Requests per %s", unit);
		if (strcmp(unit, "hour") == 0) {
			r = add(ps, title, tail, hours, CHART_TIME, 0); /* read once */
		} else {
			rf_result_free(hours);
			snprintf(tail, sizeof tail, "count by %s", unit);
			r = add(ps, title, tail, NULL, CHART_TIME, 0);
		}
		if (r < 0)
			return r;
	}
	struct {
		const char *f, *title;
		int cls;
	} top[] = { { sf, "Status codes", 1 }, { pf, "Top paths", 0 }, { cf, "Top clients", 0 },
		    { af, "Top user agents", 0 } };
	for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) {
		if (!top[i].f)
			continue;
		if (top[i].cls)
			snprintf(tail, sizeof tail, "count by %s", top[i].f);
		else if (top[i].f == pf && lf) /* GoAccess shows each path's times */
			snprintf(tail, sizeof tail, "count, p50(%s), p99(%s) by %s | top " HTML_TOP, lf, lf, pf);
		else
			snprintf(tail, sizeof tail, "count by %s | top " HTML_TOP, top[i].f);
		if ((r = add(ps, top[i].title, tail, NULL, CHART_BARS, top[i].cls)) < 0)
			return r;
	}
	if (lf) {
		snprintf(tail, sizeof tail, "count, avg(%s), p50(%s), p90(%s), p95(%s), p99(%s), max(%s)", lf, lf, lf,
			 lf, lf, lf);
		char title[64];
		snprintf(title, sizeof title, "Latency (%s)", lf);
		if ((r = add(ps, title, tail, NULL, CHART_NONE, 0)) < 0)
			return r;
	}
	return 0;
}

/* Standard input, read again by each pass: copied to an unnamed file. */
static int spool_stdin(const struct rf_options *opt, int *fd)
{
	const char *dir = getenv("TMPDIR");
	int t = open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (t < 0)
		return -errno;
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		int err = n < 0 ? -errno : 0;
		for (ssize_t off = 0; !err && off < n;) {
			ssize_t w = write(t, buf + off, (size_t)(n - off));
			if (w < 0 && errno != EINTR)
				err = -errno;
			off += w > 0 ? w : 0;
		}
		if (err) {
			rf__message(opt, RF_ERROR, "-", err, "--format=html: cannot keep standard input for the report");
			close(t);
			return err;
		}
	}
	*fd = t;
	return 0;
}

/* Whether q is records only: a parse of an access log and filters. */
static int rows_less(const rf_query *q)
{
	return q->agg_stage < 0 && q->project_stage < 0;
}

int rf__html_run(const rf_query *q, const struct rf_input *in, int nin, const struct rf_options *opt,
		 struct rf_report *report)
{
	const char *why = opt->every_ns ? "--every" : opt->follow ? "following (-f)" : opt->partial ? "partial results"
				      : NULL;
	if (why) {
		char msg[128];
		snprintf(msg, sizeof msg, "--format=html writes one page at the end: not with %s", why);
		rf__message(opt, RF_ERROR, "--format", -EINVAL, msg);
		return -EINVAL;
	}
	struct page *pg = calloc(1, sizeof *pg);
	if (!pg)
		return -ENOMEM;
	pg->opt = opt;
	pg->q = q;
	int dash = rows_less(q) && q->parse_stage >= 0 && field(q, status_names) && field(q, path_names);
	if (rows_less(q) && !dash) {
		rf__message(opt, RF_ERROR, "--format", -EINVAL,
			    "--format=html shows result rows: give an aggregate or select (a parse of an access log "
			    "alone gives the dashboard)");
		free(pg);
		return -EINVAL;
	}
	struct passes ps = { .pg = pg, .in = in, .nin = nin, .o = *opt, .spool = -1 };
	ps.o.format = RF_OUT_TSV; /* rows go to handles: the format is not used */
	int r = 0;
	char err[160];
	if (opt->tz && (r = rf__tz_open(opt->tz, &pg->tz, err, sizeof err)) < 0)
		rf__message(opt, RF_ERROR, "--tz", r, err);
	/* several passes read standard input again: a copy of it */
	struct rf_input *copy = NULL;
	int stdin_at = -1;
	for (int i = 0; i < nin; i++)
		if (in[i].kind == RF_INPUT_PATH && strcmp(in[i].path, "-") == 0)
			stdin_at = i;
	/* the other inputs are read again by each pass: a pipe or FIFO would
	 * give its records to the first pass alone (the others empty) */
	for (int i = 0; r == 0 && dash && i < nin; i++) {
		struct stat sb;
		int got = in[i].kind == RF_INPUT_PATH ? (strcmp(in[i].path, "-") ? stat(in[i].path, &sb) : 1)
			  : in[i].kind == RF_INPUT_FD ? fstat(in[i].fd, &sb)
						      : 1;
		if (got == 0 && !S_ISREG(sb.st_mode)) {
			const char *nm = in[i].name ? in[i].name : in[i].kind == RF_INPUT_PATH ? in[i].path : "input";
			rf__message(opt, RF_ERROR, nm, -EINVAL,
				    "the dashboard reads its inputs once a section: this one is not a regular file "
				    "(a pipe?); give it on standard input, which is kept, or save it to a file");
			r = -EINVAL;
		}
	}
	if (r == 0 && dash && (nin == 0 || stdin_at >= 0)) {
		if ((r = spool_stdin(opt, &ps.spool)) == 0 && !(copy = calloc((size_t)(nin ? nin : 1), sizeof *copy)))
			r = -ENOMEM;
		if (r == 0) {
			if (nin)
				memcpy(copy, in, (size_t)nin * sizeof *copy);
			else
				copy[0] = (struct rf_input){ .size = sizeof *copy, .path = "-" };
			int at = nin ? stdin_at : 0;
			copy[at].kind = RF_INPUT_FD;
			copy[at].fd = ps.spool;
			copy[at].name = "-";
			ps.in = copy;
			ps.nin = nin ? nin : 1;
		}
	}
	if (getrandom(pg->nonce, 16, 0) == 16) {
		/* 16 random bytes as hex, in place from the back */
		static const char hex[] = "0123456789abcdef";
		for (int i = 15; i >= 0; i--) {
			unsigned char b = (unsigned char)pg->nonce[i];
			pg->nonce[2 * i] = hex[b >> 4];
			pg->nonce[2 * i + 1] = hex[b & 15];
		}
		pg->nonce[32] = '\0';
	} else {
		snprintf(pg->nonce, sizeof pg->nonce, "%lx%lx", (long)getpid(), (long)time(NULL));
	}
	if (r == 0 && dash) {
		pg->dashboard = 1;
		r = dashboard(&ps);
	} else if (r == 0) {
		struct section *s = &pg->sec[pg->nsec++];
		snprintf(s->title, sizeof s->title, "Result");
		snprintf(s->query, sizeof s->query, "%s", q->text ? q->text : "");
		s->chart = CHART_BARS; /* a time key draws over time */
		r = pass(&ps, q, NULL, &s->res);
		if (r < 0)
			pg->nsec--;
	}
	if (r == 0 && !ps.all_rejected && (r = rf__writer_init(&pg->w, opt->out_fd, 1 << 16)) == 0) {
		page(pg);
		r = rf__writer_flush(&pg->w);
		if (r == 0 && pg->w.err)
			r = pg->w.err;
		rf__writer_free(&pg->w);
	}
	if (report) {
		size_t size = report->size;
		memcpy(report, &pg->rep, sizeof *report);
		report->size = size;
	}
	for (int i = 0; i < pg->nsec; i++)
		rf_result_free(pg->sec[i].res);
	rf_result_free(pg->overview);
	if (pg->tz)
		rf__tz_free(pg->tz);
	if (ps.spool >= 0)
		close(ps.spool);
	free(copy);
	free(pg);
	return r < 0 ? r : ps.worst;
}
