/* SPDX-License-Identifier: MIT */
/* check_logformat.c - the compiled templates (parse_template.c) on their
 * own: what a line that ends early gives (kept and cut off, complete, or
 * rejected), captures that touch, host:port and request splitting, and the
 * parse auto hooks of parse alb and parse elb.  Every wanted value is
 * written by hand next to its case. */
#include "config.h"
#include <errno.h>
#include <string.h>
#include "helpers.h"
#include "parse_template.h"

extern const struct parse_format rf__format_alb, rf__format_elb;

/* `A [T] S B "R"`: a combined-like template (S the status, R quoted) */
static struct rf_template *small_template(void)
{
	struct rf_template *t = rf__tpl_new();
	int bad = 0;
	ck_assert_ptr_nonnull(t);
	t->quoted = 1;
	ck_assert_int_ge(rf__tpl_capture(t, "a", RF_TPL_SHORT, 0, 0), 0);
	ck_assert_int_eq(rf__tpl_literal(t, " [", 2, 2), 0);
	ck_assert_int_ge(rf__tpl_capture(t, "t", RF_TPL_TIME, 0, 4), 0);
	ck_assert_int_eq(rf__tpl_literal(t, "] ", 2, 6), 0);
	ck_assert_int_ge(rf__tpl_capture(t, "s", RF_TPL_STATUS, 3, 8), 0);
	ck_assert_int_eq(rf__tpl_literal(t, " ", 1, 10), 0);
	ck_assert_int_ge(rf__tpl_capture(t, "b", RF_TPL_DASH_ZERO, 0, 11), 0);
	ck_assert_int_eq(rf__tpl_literal(t, " \"", 2, 13), 0);
	ck_assert_int_ge(rf__tpl_capture(t, "r", RF_TPL_REQUEST, 0, 15), 0);
	ck_assert_int_eq(rf__tpl_literal(t, "\"", 1, 17), 0);
	ck_assert_int_eq(rf__tpl_finish(t, &bad), 0);
	return t;
}

static int match(const struct rf_template *t, const char *line, struct rf_value *f)
{
	for (int i = 0; i < RF_TPL_MAX_FIELDS; i++)
		f[i] = RF_MISSING;
	return rf__tpl_match(t, line, strlen(line), f);
}

static int is(const struct rf_value *v, const char *want)
{
	if (!want)
		return v->len < 0;
	return v->len == (int32_t)strlen(want) && memcmp(v->p, want, strlen(want)) == 0;
}

#define FIELD(t, name) rf__tpl_field_of(t, name)

START_TEST(test_line_ends_early)
{
	struct rf_template *t = small_template();
	struct rf_value f[RF_TPL_MAX_FIELDS];
	/* whole, and with more after the format: 0 */
	ck_assert_int_eq(match(t, "x [now] 200 - \"GET /a HTTP/1.1\"", f), 0);
	ck_assert(is(&f[FIELD(t, "b")], "0")); /* "-" bytes: 0 */
	ck_assert(is(&f[FIELD(t, "method")], "GET"));
	ck_assert(is(&f[FIELD(t, "path")], "/a"));
	ck_assert(is(&f[FIELD(t, "protocol")], "HTTP/1.1"));
	ck_assert_int_eq(match(t, "x [now] 200 5 \"-\" 0.123 more", f), 0);
	ck_assert(is(&f[FIELD(t, "r")], "-"));
	ck_assert(is(&f[FIELD(t, "method")], NULL)); /* "-" has no parts */
	/* after the status: kept, cut off */
	ck_assert_int_eq(match(t, "x [now] 404", f), 1);
	ck_assert(is(&f[FIELD(t, "s")], "404"));
	ck_assert(is(&f[FIELD(t, "b")], NULL));
	ck_assert_int_eq(match(t, "x [now] 404 ", f), 1);
	ck_assert_int_eq(match(t, "x [now] 404 12", f), 1);
	ck_assert(is(&f[FIELD(t, "b")], "12"));
	ck_assert_int_eq(match(t, "x [now] 404 12 \"GET /x", f), 1); /* its closing quote cut off */
	ck_assert(is(&f[FIELD(t, "r")], "GET /x"));
	/* before or inside the status: rejected */
	ck_assert_int_eq(match(t, "x [now] 40", f), -1);
	ck_assert_int_eq(match(t, "x [now] ", f), -1);
	ck_assert_int_eq(match(t, "x [no", f), -1);
	ck_assert_int_eq(match(t, "", f), -1);
	/* a bad status, an empty field outside brackets, a wrong literal */
	ck_assert_int_eq(match(t, "x [now] 600 1 \"r\"", f), -1);
	ck_assert_int_eq(match(t, " [now] 200 1 \"r\"", f), -1);
	ck_assert_int_eq(match(t, "x [] 200 1 \"r\"", f), 0); /* between brackets it may be empty */
	ck_assert_int_eq(match(t, "x [now] 200 1 'r'", f), -1);
	rf__tpl_free(t);
}
END_TEST

/* %h %>s%b: a status is three bytes, so it may touch another field, on
 * either side; two other fields may not */
START_TEST(test_touching_captures)
{
	struct rf_value f[RF_TPL_MAX_FIELDS];
	int bad = 0;
	struct rf_template *t = rf__tpl_new();
	ck_assert_int_ge(rf__tpl_capture(t, "h", 0, 0, 0), 0);
	ck_assert_int_eq(rf__tpl_literal(t, " ", 1, 2), 0);
	ck_assert_int_ge(rf__tpl_capture(t, "s", RF_TPL_STATUS, 3, 3), 0);
	ck_assert_int_ge(rf__tpl_capture(t, "b", 0, 0, 6), 0);
	ck_assert_int_eq(rf__tpl_finish(t, &bad), 0);
	ck_assert_int_eq(match(t, "host 2001234", f), 0);
	ck_assert(is(&f[FIELD(t, "s")], "200"));
	ck_assert(is(&f[FIELD(t, "b")], "1234"));
	rf__tpl_free(t);

	t = rf__tpl_new();
	ck_assert_int_ge(rf__tpl_capture(t, "b", 0, 0, 0), 0);
	ck_assert_int_ge(rf__tpl_capture(t, "s", RF_TPL_STATUS, 3, 2), 0);
	ck_assert_int_eq(rf__tpl_literal(t, " x", 2, 5), 0);
	ck_assert_int_eq(rf__tpl_finish(t, &bad), 0);
	ck_assert_int_eq(match(t, "1234404 x", f), 0);
	ck_assert(is(&f[FIELD(t, "b")], "1234"));
	ck_assert(is(&f[FIELD(t, "s")], "404"));
	rf__tpl_free(t);

	t = rf__tpl_new();
	ck_assert_int_ge(rf__tpl_capture(t, "a", 0, 0, 0), 0);
	ck_assert_int_ge(rf__tpl_capture(t, "b", 0, 0, 12), 0);
	ck_assert_int_eq(rf__tpl_finish(t, &bad), -EINVAL);
	ck_assert_int_eq(bad, 12); /* the second of the two */
	rf__tpl_free(t);
}
END_TEST

/* "IP:PORT" split at the last colon; brackets of an IPv6 address dropped */
START_TEST(test_host_port)
{
	struct rf_value f[RF_TPL_MAX_FIELDS];
	int bad = 0;
	struct rf_template *t = rf__tpl_new();
	ck_assert_int_ge(rf__tpl_capture(t, "client", RF_TPL_HOSTPORT, 0, 0), 0);
	ck_assert_int_eq(rf__tpl_literal(t, " ", 1, 1), 0);
	ck_assert_int_eq(rf__tpl_finish(t, &bad), 0);
	ck_assert_int_eq(match(t, "10.0.0.1:8080 ", f), 0);
	ck_assert(is(&f[FIELD(t, "client_ip")], "10.0.0.1"));
	ck_assert(is(&f[FIELD(t, "client_port")], "8080"));
	ck_assert_int_eq(match(t, "[2001:db8::1]:443 ", f), 0);
	ck_assert(is(&f[FIELD(t, "client_ip")], "2001:db8::1"));
	ck_assert(is(&f[FIELD(t, "client_port")], "443"));
	ck_assert_int_eq(match(t, "- ", f), 0);
	ck_assert(is(&f[FIELD(t, "client")], "-"));
	ck_assert(is(&f[FIELD(t, "client_ip")], NULL));
	rf__tpl_free(t);
}
END_TEST

#define ALB "http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 " \
	    "10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 \"GET http://www.example.com:80/ HTTP/1.1\" " \
	    "\"curl/7.46.0\" - -"
#define ELB "2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 " \
	    "0.000057 200 200 0 29 \"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.38.0\" - -"
#define CLF "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /a.gif HTTP/1.0\" 200 2326 \"-\" \"x\""

static int sniff(const struct parse_format *f, const char *s)
{
	return f->sniff(s, strlen(s));
}

START_TEST(test_sniff)
{
	ck_assert_int_eq(sniff(&rf__format_alb, ALB "\n" ALB "\r\n"), 1);
	ck_assert_int_eq(sniff(&rf__format_alb, ALB " arn:x \"Root=1\"\n\n" ALB), 1); /* newer, longer */
	ck_assert_int_eq(sniff(&rf__format_alb, ALB " arn:x x\n"), 0); /* trace_id unquoted */
	ck_assert_int_eq(sniff(&rf__format_elb, ELB "\n" ELB "\n"), 1);
	ck_assert_int_eq(sniff(&rf__format_alb, ELB "\n"), 0);
	ck_assert_int_eq(sniff(&rf__format_elb, ALB "\n"), 0);
	ck_assert_int_eq(sniff(&rf__format_alb, CLF "\n"), 0);
	ck_assert_int_eq(sniff(&rf__format_elb, CLF "\n"), 0);
	ck_assert_int_eq(sniff(&rf__format_alb, ALB "\n" CLF "\n"), 0); /* every line must read */
	ck_assert_int_eq(sniff(&rf__format_alb, "\n\n"), 0);
	ck_assert_int_eq(sniff(&rf__format_alb, ""), 0);
	/* a type AWS does not write */
	ck_assert_int_eq(sniff(&rf__format_alb, "ftp" ALB + 4), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("logformat");
	TCase *tc = tcase_create("template");
	tcase_add_test(tc, test_line_ends_early);
	tcase_add_test(tc, test_touching_captures);
	tcase_add_test(tc, test_host_port);
	tcase_add_test(tc, test_sniff);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
