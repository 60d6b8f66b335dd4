/* SPDX-License-Identifier: MIT */
/* parse_aws.c - AWS load balancer access logs: parse alb (Application
 * Load Balancer) and parse elb (Classic Load Balancer), fields named as
 * AWS's documentation names them, matched by a template
 * (parse_template.c).
 *
 * AWS has added fields at the end of its lines over the years: a line of
 * an older log ends early, which is normal (the fields it lacks are
 * missing, and the record is not counted as cut off), and fields newer
 * than this list are ignored.  Only a line ending inside a quoted field is
 * cut off.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "parse_template.h"

struct aws_field {
	const char *name;
	unsigned flags;
	int quoted;
};

#define NUM (RF_TPL_SHORT | RF_TPL_DASH_NULL)
/* https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html
 * ("client:port" is client, with client_ip and client_port beside it) */
static const struct aws_field alb_fields[] = {
	{ "type", RF_TPL_SHORT, 0 },
	{ "time", RF_TPL_TIME, 0 },
	{ "elb", 0, 0 },
	{ "client", RF_TPL_HOSTPORT, 0 },
	{ "target", RF_TPL_HOSTPORT, 0 },
	{ "request_processing_time", RF_TPL_SHORT, 0 },
	{ "target_processing_time", RF_TPL_SHORT, 0 },
	{ "response_processing_time", RF_TPL_SHORT, 0 },
	{ "elb_status_code", NUM, 0 },
	{ "target_status_code", NUM, 0 },
	{ "received_bytes", RF_TPL_SHORT, 0 },
	{ "sent_bytes", RF_TPL_SHORT, 0 },
	{ "request", RF_TPL_REQUEST, 1 },
	{ "user_agent", 0, 1 },
	{ "ssl_cipher", 0, 0 },
	{ "ssl_protocol", 0, 0 }, /* the first logs (2016) end here */
	{ "target_group_arn", 0, 0 },
	{ "trace_id", 0, 1 },
	{ "domain_name", 0, 1 },
	{ "chosen_cert_arn", 0, 1 },
	{ "matched_rule_priority", 0, 0 },
	{ "request_creation_time", 0, 0 },
	{ "actions_executed", 0, 1 },
	{ "redirect_url", 0, 1 },
	{ "error_reason", 0, 1 },
	{ "target_port_list", 0, 1 },
	{ "target_status_code_list", 0, 1 },
	{ "classification", 0, 1 },
	{ "classification_reason", 0, 1 },
	{ "conn_trace_id", 0, 0 },
	{ NULL, 0, 0 },
};
#define ALB_REQUIRED "ssl_protocol"

/* https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html */
static const struct aws_field elb_fields[] = {
	{ "time", RF_TPL_TIME, 0 },
	{ "elb", 0, 0 },
	{ "client", RF_TPL_HOSTPORT, 0 },
	{ "backend", RF_TPL_HOSTPORT, 0 },
	{ "request_processing_time", RF_TPL_SHORT, 0 },
	{ "backend_processing_time", RF_TPL_SHORT, 0 },
	{ "response_processing_time", RF_TPL_SHORT, 0 },
	{ "elb_status_code", NUM, 0 },
	{ "backend_status_code", NUM, 0 },
	{ "received_bytes", RF_TPL_SHORT, 0 },
	{ "sent_bytes", RF_TPL_SHORT, 0 },
	{ "request", RF_TPL_REQUEST, 1 }, /* the first logs end here */
	{ "user_agent", 0, 1 },
	{ "ssl_cipher", 0, 0 },
	{ "ssl_protocol", 0, 0 },
	{ NULL, 0, 0 },
};
#define ELB_REQUIRED "request"
#undef NUM

/* the template of a field list: blanks between the fields, quotes around
 * the quoted ones */
static struct rf_template *aws_template(const struct aws_field *fl, const char *required)
{
	struct rf_template *t = rf__tpl_new();
	if (!t)
		return NULL;
	t->quoted = 1;
	t->short_ok = 1;
	int r = 0, req = -1;
	for (int k = 0; fl[k].name && r >= 0; k++) {
		char sep[3];
		size_t n = 0;
		if (k > 0) {
			if (fl[k - 1].quoted)
				sep[n++] = '"';
			sep[n++] = ' ';
		}
		if (fl[k].quoted)
			sep[n++] = '"';
		if ((r = rf__tpl_literal(t, sep, n, k)) >= 0)
			r = rf__tpl_capture(t, fl[k].name, fl[k].flags, 0, k);
		if (strcmp(fl[k].name, required) == 0)
			req = t->nelem;
		/* after the last field, fields newer than this list may follow */
		if (!fl[k + 1].name && r >= 0)
			r = rf__tpl_literal(t, fl[k].quoted ? "\" " : " ", fl[k].quoted ? 2 : 1, k);
	}
	int bad_at;
	t->required = req;
	if (r < 0 || rf__tpl_finish(t, &bad_at) < 0) {
		rf__tpl_free(t);
		return NULL;
	}
	return t;
}

static int alb_configure(struct parse_config *pc, struct rf_cursor *c)
{
	(void)c;
	struct rf_template *t = aws_template(alb_fields, ALB_REQUIRED);
	return t ? rf__tpl_attach(pc, t) : -ENOMEM;
}

static int elb_configure(struct parse_config *pc, struct rf_cursor *c)
{
	(void)c;
	struct rf_template *t = aws_template(elb_fields, ELB_REQUIRED);
	return t ? rf__tpl_attach(pc, t) : -ENOMEM;
}

/* an ISO 8601 UTC stamp as AWS writes it: 2018-07-02T22:23:00.186641Z */
static int aws_time(const struct rf_value *v)
{
	const char *s = v->p;
	return v->len >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[v->len - 1] == 'Z';
}

/* Every line (blank ones aside) is read by the template, with a time
 * where AWS writes it, and (alb) a type AWS names. */
static int aws_sniff(const char *p, size_t n, const struct aws_field *fl, const char *required, int alb)
{
	struct rf_template *t = aws_template(fl, required);
	struct rf_value f[RF_TPL_MAX_FIELDS];
	static const char *const types[] = { "http", "https", "h2", "grpcs", "ws", "wss", NULL };
	int lines = 0, ok = t != NULL;
	const char *end = p + n;
	while (ok && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		size_t len = (size_t)(e - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (len) {
			lines++;
			for (int i = 0; i < t->nfields; i++)
				f[i] = RF_MISSING;
			ok = rf__tpl_match(t, p, len, f) >= 0 && aws_time(&f[rf__tpl_field_of(t, "time")]);
			if (ok && alb) {
				const struct rf_value *ty = &f[rf__tpl_field_of(t, "type")];
				int known = 0;
				for (int i = 0; types[i]; i++)
					known |= (size_t)ty->len == strlen(types[i]) && memcmp(ty->p, types[i], ty->len) == 0;
				ok = known;
			}
		}
		p = e + (nl != NULL);
	}
	rf__tpl_free(t);
	return ok && lines > 0;
}

static int alb_sniff(const char *p, size_t n)
{
	return aws_sniff(p, n, alb_fields, ALB_REQUIRED, 1);
}

static int elb_sniff(const char *p, size_t n)
{
	return aws_sniff(p, n, elb_fields, ELB_REQUIRED, 0);
}

static const char *const time_only[] = { "time", NULL };

const struct parse_format rf__format_alb = {
	.name = "alb",
	.time_fields = time_only,
	.configure = alb_configure,
	.field = rf__tpl_field,
	.record = rf__tpl_record,
	.sniff = alb_sniff,
};

const struct parse_format rf__format_elb = {
	.name = "elb",
	.time_fields = time_only,
	.configure = elb_configure,
	.field = rf__tpl_field,
	.record = rf__tpl_record,
	.sniff = elb_sniff,
};
