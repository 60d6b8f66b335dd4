/* SPDX-License-Identifier: MIT */
/* structsize.c - the public structs that begin with their size, across
 * library versions (ringflow.h says why).  The library works on copies of
 * its own size: the caller's options, inputs and sink are copied in as far
 * as the caller's size goes, the fields past it keeping their defaults, and
 * the report goes back only as far as the caller's size.  Every entry that
 * reads a caller's struct comes through here: rf_run and its siblings, the
 * rf_check_* functions that take options, and rf_open_databases. */
#include "config.h"
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run.h"
#include "enrich.h"

#define END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))
/* The first layouts with a size field (0.1.0's fields after it): no caller
 * can have a smaller one, since fields are only ever added at the end. */
#define OPTIONS_SIZE_0 END_OF(struct rf_options, regex_engine)
#define REPORT_SIZE_0 END_OF(struct rf_report, follow_polled)
#define INPUT_SIZE_0 END_OF(struct rf_input, name)
#define SINK_SIZE_0 END_OF(struct rf_sink, user)
/* An input or a sink larger than this is a size field never set, not a
 * newer header's struct (Linux's openat2 stops at a page for the same
 * reason). */
#define GIVEN_SIZE_MAX 4096

/* ---- Setting a struct up at the program's size -------------------------- */

/* The first `size` bytes of the caller's struct at p, from this library's
 * own (own_size bytes, set up), zeroes past own_size, and the size field
 * set to size.  0, or -EINVAL for a size rf_run refuses: over own_size (set
 * up all the same), or under min (all `size` bytes zeroed: the size reads
 * 0, which rf_run refuses with a message). */
static int init_sized(void *p, size_t size, const void *own, size_t own_size, size_t min)
{
	if (size < min) {
		memset(p, 0, size);
		return -EINVAL;
	}
	size_t n = size < own_size ? size : own_size;
	memcpy(p, own, n);
	memset((char *)p + n, 0, size - n);
	memcpy(p, &size, sizeof size);
	return size > own_size ? -EINVAL : 0;
}

int rf_options_init_size(struct rf_options *opt, size_t size)
{
	struct rf_options own;
	rf__options_defaults(&own);
	return init_sized(opt, size, &own, sizeof own, OPTIONS_SIZE_0);
}

int rf_report_init_size(struct rf_report *report, size_t size)
{
	static const struct rf_report zero;
	return init_sized(report, size, &zero, sizeof zero, REPORT_SIZE_0);
}

/* Programs built against 0.1.0's ringflow.h call rf_options_init and
 * rf_report_init as functions of the library (they are inline since, and
 * pass the program's own sizeof).  They stay exported for those programs,
 * and set up the first layout, which every such program has: writing this
 * library's sizeof would run past a struct from an older header.  Named
 * here by their symbols only, as the header's inline functions have the C
 * names (this file must not call those). */
RF_API void rf__options_init_0(struct rf_options *opt) __asm__("rf_options_init");
RF_API void rf__report_init_0(struct rf_report *report) __asm__("rf_report_init");

void rf__options_init_0(struct rf_options *opt)
{
	(void)rf_options_init_size(opt, OPTIONS_SIZE_0);
}

void rf__report_init_0(struct rf_report *report)
{
	(void)rf_report_init_size(report, REPORT_SIZE_0);
}

/* ---- Taking the caller's structs ------------------------------------------ */

/* Why a struct's size cannot be taken, in msg: -EINVAL. */
static int size_refused(char *msg, size_t len, const char *what, size_t size, size_t min, size_t max,
			const char *hint)
{
	snprintf(msg, len, "struct %s of %zu bytes: this library (%s) takes %zu to %zu; %s", what, size,
		 rf_version(), min, max, hint);
	return -EINVAL;
}

/* The caller's options as this library's own: 0, or -EINVAL with why in
 * msg for a size it cannot take. */
static int options_in(const struct rf_options *opt, struct rf_options *own, char *msg, size_t len)
{
	if (!opt) {
		snprintf(msg, len, "no struct rf_options given (NULL): set one up with rf_options_init()");
		return -EINVAL;
	}
	if (opt->size < OPTIONS_SIZE_0 || opt->size > sizeof *own)
		return size_refused(msg, len, "rf_options", opt->size, OPTIONS_SIZE_0, sizeof *own,
				    "was it set up with rf_options_init(), and built against this ringflow.h or an "
				    "older one?");
	rf__options_defaults(own);
	memcpy(own, opt, opt->size);
	own->size = sizeof *own;
	return 0;
}

/* A message about the arguments of a run, before there is a run to say
 * it: through the caller's on_message or on_error as far as its options
 * reach them (fields never move, and a newer program's larger struct has
 * ours at its front), else on stderr. */
static int say(const struct rf_options *opt, const char *what, int err, const char *msg)
{
	struct rf_options own;
	rf__options_defaults(&own);
	if (opt && opt->size >= OPTIONS_SIZE_0)
		memcpy(&own, opt, opt->size < sizeof own ? opt->size : sizeof own);
	rf__message(&own, RF_ERROR, what, err, msg);
	return err;
}

/* The caller's options and report as this library's own: 0, or -EINVAL
 * (said) for a size it cannot take. */
static int sized_in(const char *fn, const struct rf_options *opt, const struct rf_report *report,
		    struct rf_options *own_opt, struct rf_report *own_report)
{
	char msg[320];
	int r = options_in(opt, own_opt, msg, sizeof msg);
	if (r == 0 && report && (report->size < REPORT_SIZE_0 || report->size > sizeof *own_report))
		r = size_refused(msg, sizeof msg, "rf_report", report->size, REPORT_SIZE_0, sizeof *own_report,
				 "was it set up with rf_report_init(), and built against this ringflow.h or an "
				 "older one?");
	if (r < 0)
		return say(opt, fn, r, msg);
	memset(own_report, 0, sizeof *own_report);
	own_report->size = sizeof *own_report;
	return 0;
}

/* The report back, only as far as the caller's size: the bytes past it
 * are not ours to write. */
static void sized_out(struct rf_report *report, struct rf_report *own_report)
{
	if (!report)
		return;
	own_report->size = report->size;
	memcpy(report, own_report, report->size);
}

/* The caller's inputs as an array of this library's structs (*own, for
 * free; NULL when there are none to copy: run.c refuses a bad count).
 * in[0].size is the array's stride, whatever header the program was built
 * against; every element must have that size.  0, -ENOMEM, or -EINVAL
 * (said, opt being ours) for a size it cannot take. */
static int inputs_in(const struct rf_options *opt, const struct rf_input *in, int nin, struct rf_input **own)
{
	char msg[320];
	*own = NULL;
	if (nin <= 0 || !in)
		return 0;
	size_t stride = in->size;
	if (stride < INPUT_SIZE_0 || stride > GIVEN_SIZE_MAX) {
		size_refused(msg, sizeof msg, "rf_input", stride, INPUT_SIZE_0, GIVEN_SIZE_MAX,
			     "is its size field set to sizeof(struct rf_input)?");
		return say(opt, "input 0", -EINVAL, msg);
	}
	struct rf_input *o = calloc((size_t)nin, sizeof *o);
	if (!o)
		return -ENOMEM;
	for (int i = 0; i < nin; i++) {
		const char *p = (const char *)in + (size_t)i * stride;
		size_t size;
		memcpy(&size, p, sizeof size);
		if (size != stride) {
			char what[32];
			snprintf(what, sizeof what, "input %d", i);
			snprintf(msg, sizeof msg,
				 "its size field is %zu, input 0's %zu: an array's inputs are all of one size", size,
				 stride);
			free(o);
			return say(opt, what, -EINVAL, msg);
		}
		memcpy(&o[i], p, stride < sizeof *o ? stride : sizeof *o);
		o[i].size = sizeof *o;
	}
	*own = o;
	return 0;
}

/* The caller's sink as this library's own (the fields past its size
 * NULL): 0, or -EINVAL (said). */
static int sink_in(const struct rf_options *opt, const struct rf_sink *sink, struct rf_sink *own)
{
	memset(own, 0, sizeof *own);
	if (!sink)
		return 0;
	if (sink->size < SINK_SIZE_0 || sink->size > GIVEN_SIZE_MAX) {
		char msg[320];
		size_refused(msg, sizeof msg, "rf_sink", sink->size, SINK_SIZE_0, GIVEN_SIZE_MAX,
			     "is its size field set to sizeof(struct rf_sink)?");
		return say(opt, "rf_run_inputs", -EINVAL, msg);
	}
	memcpy(own, sink, sink->size < sizeof *own ? sink->size : sizeof *own);
	own->size = sizeof *own;
	return 0;
}

/* ---- The entries ---------------------------------------------------------- */

int rf_run(const rf_query *q, const char *const *files, int nfiles,
	   const struct rf_options *opt, struct rf_report *report)
{
	struct rf_options o;
	struct rf_report rep;
	int r = sized_in("rf_run", opt, report, &o, &rep);
	if (r < 0)
		return r;
	if (o.format == RF_OUT_HTML) {
		/* the page runs its queries itself (html.c, above run.c) */
		struct rf_input one[8] = { { 0 } }, *in = nfiles <= 8 ? one : calloc((size_t)nfiles, sizeof *in);
		if (!in)
			return -ENOMEM;
		for (int i = 0; i < nfiles; i++)
			in[i] = (struct rf_input){ .size = sizeof *in, .kind = RF_INPUT_PATH,
						   .path = files[i] ? files[i] : "-" };
		r = rf__html_run(q, in, nfiles, &o, report ? &rep : NULL);
		if (in != one)
			free(in);
	} else {
		r = rf__run(q, files, nfiles, &o, report ? &rep : NULL);
	}
	sized_out(report, &rep);
	return r;
}

/* What rf_run_inputs and rf_run_result take, as this library's own */
struct given {
	struct rf_options opt;
	struct rf_report report;
	struct rf_sink sink;
	struct rf_input *in; /* NULL: the caller's, to be refused by run.c */
};

static int given_in(const char *fn, const struct rf_input *in, int nin, const struct rf_options *opt,
		    const struct rf_sink *sink, struct rf_report *report, struct given *g)
{
	g->in = NULL;
	int r = sized_in(fn, opt, report, &g->opt, &g->report);
	if (r == 0)
		r = sink_in(&g->opt, sink, &g->sink);
	if (r == 0)
		r = inputs_in(&g->opt, in, nin, &g->in);
	return r;
}

int rf_run_inputs(const rf_query *q, const struct rf_input *in, int nin, const struct rf_options *opt,
		  const struct rf_sink *sink, struct rf_report *report)
{
	struct given g;
	int r = given_in("rf_run_inputs", in, nin, opt, sink, report, &g);
	if (r < 0)
		return r;
	if (g.opt.format == RF_OUT_HTML && !sink)
		r = rf__html_run(q, g.in ? g.in : in, nin, &g.opt, report ? &g.report : NULL);
	else
		r = rf__run_inputs(q, g.in ? g.in : in, nin, &g.opt, sink ? &g.sink : NULL,
				   report ? &g.report : NULL);
	sized_out(report, &g.report);
	free(g.in);
	return r;
}

int rf_run_result(const rf_query *q, const struct rf_input *in, int nin, const struct rf_options *opt,
		  struct rf_report *report, rf_result **out)
{
	struct given g;
	*out = NULL;
	int r = given_in("rf_run_result", in, nin, opt, NULL, report, &g);
	if (r < 0)
		return r;
	r = rf__run_result(q, g.in ? g.in : in, nin, &g.opt, report ? &g.report : NULL, out);
	sized_out(report, &g.report);
	free(g.in);
	return r;
}

/* The checks say a size they cannot take in their err, as any problem. */
int rf_check_placement(const struct rf_options *opt, char *err, size_t err_len)
{
	struct rf_options o;
	int r = options_in(opt, &o, err, err_len);
	return r < 0 ? r : rf__check_placement(&o, err, err_len);
}

int rf_check_time_range(const struct rf_options *opt, const rf_query *q, char *err, size_t errlen)
{
	struct rf_options o;
	int r = options_in(opt, &o, err, errlen);
	return r < 0 ? r : rf__check_time_range(&o, q, err, errlen);
}

int rf_check_multiline(const struct rf_options *opt, const rf_query *q, struct rf_query_error *err)
{
	struct rf_options o;
	memset(err, 0, sizeof *err);
	int r = options_in(opt, &o, err->message, sizeof err->message);
	return r < 0 ? r : rf__check_multiline(&o, q, err);
}

int rf_open_databases(const struct rf_options *opt, char *err, size_t errlen)
{
	struct rf_options o;
	int r = options_in(opt, &o, err, errlen);
	return r < 0 ? r : rf__open_databases(o.geoip_db, o.asn_db, err, errlen);
}
