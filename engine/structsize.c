/* SPDX-License-Identifier: MIT */
/* structsize.c - struct rf_options and struct rf_report across library
 * versions.  Each begins with its size (ringflow.h says why); rf_run takes
 * the caller's struct of any size this library knows, and runs on copies
 * of its own size: the options past the caller's size keep their defaults,
 * and the report goes back only as far as the caller's size. */
#include "config.h"
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "run.h"

#define END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))
/* The first layouts with a size field (0.1.0's fields after it): no caller
 * can have a smaller one, since fields are only ever added at the end. */
#define OPTIONS_SIZE_0 END_OF(struct rf_options, regex_engine)
#define REPORT_SIZE_0 END_OF(struct rf_report, follow_polled)

void rf_report_init(struct rf_report *report)
{
	memset(report, 0, sizeof *report);
	report->size = sizeof *report;
}

/* A size this library cannot take: said through the caller's on_error when
 * the options are large enough to hold it (the field never moves), else on
 * stderr. */
static int refuse(const struct rf_options *opt, const char *what, size_t size, size_t min, size_t max)
{
	char msg[256];
	snprintf(msg, sizeof msg,
		 "struct %s of %zu bytes: this library (%s) takes %zu to %zu; was it set up with %s_init(), "
		 "and built against this ringflow.h or an older one?",
		 what, size, rf_version(), min, max, what);
	if (opt->size >= OPTIONS_SIZE_0 && opt->on_error)
		opt->on_error(opt->error_user, "rf_run", -EINVAL, msg);
	else
		fprintf(stderr, "ringflow: %s\n", msg);
	return -EINVAL;
}

/* The caller's options and report as this library's own: 0, or -EINVAL
 * for a size it cannot take. */
static int sized_in(const struct rf_options *opt, const struct rf_report *report, struct rf_options *own_opt,
		    struct rf_report *own_report)
{
	if (opt->size < OPTIONS_SIZE_0 || opt->size > sizeof *own_opt)
		return refuse(opt, "rf_options", opt->size, OPTIONS_SIZE_0, sizeof *own_opt);
	if (report && (report->size < REPORT_SIZE_0 || report->size > sizeof *own_report))
		return refuse(opt, "rf_report", report->size, REPORT_SIZE_0, sizeof *own_report);
	rf_options_init(own_opt);
	memcpy(own_opt, opt, opt->size);
	own_opt->size = sizeof *own_opt;
	rf_report_init(own_report);
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

int rf_run(const rf_query *q, const char *const *files, int nfiles,
	   const struct rf_options *opt, struct rf_report *report)
{
	struct rf_options o;
	struct rf_report rep;
	int r = sized_in(opt, report, &o, &rep);
	if (r < 0)
		return r;
	r = rf__run(q, files, nfiles, &o, report ? &rep : NULL);
	sized_out(report, &rep);
	return r;
}

int rf_run_inputs(const rf_query *q, const struct rf_input *in, int nin, const struct rf_options *opt,
		  const struct rf_sink *sink, struct rf_report *report)
{
	struct rf_options o;
	struct rf_report rep;
	int r = sized_in(opt, report, &o, &rep);
	if (r < 0)
		return r;
	r = rf__run_inputs(q, in, nin, &o, sink, report ? &rep : NULL);
	sized_out(report, &rep);
	return r;
}

int rf_run_result(const rf_query *q, const struct rf_input *in, int nin, const struct rf_options *opt,
		  struct rf_report *report, rf_result **out)
{
	struct rf_options o;
	struct rf_report rep;
	*out = NULL;
	int r = sized_in(opt, report, &o, &rep);
	if (r < 0)
		return r;
	r = rf__run_result(q, in, nin, &o, report ? &rep : NULL, out);
	sized_out(report, &rep);
	return r;
}
