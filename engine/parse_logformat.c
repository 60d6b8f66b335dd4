/* SPDX-License-Identifier: MIT */
/* parse_logformat.c - the formats a user writes as a string: an nginx
 * log_format (parse nginx 'FORMAT'), an Apache LogFormat (parse apache
 * 'FORMAT') and an angle-grinder style pattern (parse "* [*] *" as a, b,
 * c).  Each is compiled once, at configure, into a template
 * (parse_template.c), which matches the records.
 */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse_template.h"

/* what the server writes when no format is given: nginx's and Apache's own "combined" */
static const char nginx_combined[] = "$remote_addr - $remote_user [$time_local] \"$request\" $status "
				     "$body_bytes_sent \"$http_referer\" \"$http_user_agent\"";
static const char apache_combined[] = "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"";

/* The column of byte `at` of a string argument.  The argument is the
 * string unescaped: a format holding escapes (\") before the spot is
 * pointed at a little early. */
static int column_of(const struct rf_arg *a, size_t at)
{
	return a->column + 1 + (int)at;
}

/* the format's string argument, or the default when there is none */
static const struct rf_arg *format_arg(struct rf_cursor *c, struct rf_arg *dflt, const char *text)
{
	const struct rf_arg *a = rf__peek(c);
	if (a && a->type == RF_ARG_STRING) {
		c->i++;
		return a;
	}
	*dflt = (struct rf_arg){ .type = RF_ARG_STRING, .text = (char *)text, .len = strlen(text),
				 .column = a ? a->column : c->end_column };
	return dflt;
}

/* two captures with nothing between them */
static int touching(struct rf_cursor *c, const struct rf_arg *a, int at)
{
	rf__fail(c->err, column_of(a, (size_t)at), "no literal between this field and the one before it: "
		 "where one ends and the other begins is ambiguous");
	snprintf(c->err->hint, sizeof c->err->hint, "put a separator between them (a space, a quote, a comma)");
	return -EINVAL;
}

static int finish(struct parse_config *pc, struct rf_cursor *c, const struct rf_arg *a, struct rf_template *t)
{
	int bad_at = 0, r = rf__tpl_finish(t, &bad_at);
	if (r < 0) {
		rf__tpl_free(t);
		return r == -EINVAL ? touching(c, a, bad_at) : r;
	}
	return rf__tpl_attach(pc, t);
}

static int too_many(struct rf_cursor *c, const struct rf_arg *a, size_t at, int r)
{
	if (r == -E2BIG)
		return rf__fail(c->err, column_of(a, at), "too many fields in the format (at most %d)",
				RF_TPL_MAX_FIELDS);
	return r;
}

/* The format string a: literal bytes, and captures where `mark` ($, %, *)
 * is, which capture() reads (the bytes it took, or an error). */
static int compile(struct parse_config *pc, struct rf_cursor *c, const struct rf_arg *a, struct rf_template *t,
		   char mark, long (*capture)(struct rf_template *, struct rf_cursor *, const struct rf_arg *, size_t))
{
	const char *s = a->text;
	size_t len = a->len;
	long r = 0;
	for (size_t i = 0; i < len && r >= 0; i += (size_t)r) {
		if (s[i] == mark) {
			r = capture(t, c, a, i);
		} else {
			const char *d = memchr(s + i, mark, len - i);
			r = d ? d - (s + i) : (long)(len - i);
			if (rf__tpl_literal(t, s + i, (size_t)r, (int)i) < 0)
				r = -ENOMEM;
		}
	}
	if (r < 0) {
		rf__tpl_free(t);
		return (int)r;
	}
	return finish(pc, c, a, t);
}

static int configure(struct parse_config *pc, struct rf_cursor *c, const char *dflt_format, char mark,
		     long (*capture)(struct rf_template *, struct rf_cursor *, const struct rf_arg *, size_t))
{
	struct rf_arg dflt;
	const struct rf_arg *a = format_arg(c, &dflt, dflt_format);
	struct rf_template *t = rf__tpl_new();
	if (!t)
		return -ENOMEM;
	t->quoted = 1;
	t->last_word = 1;
	return compile(pc, c, a, t, mark, capture);
}

/* ---- nginx ---- */

struct nginx_var {
	const char *name;
	unsigned flags;
	int hint;
	const char *alias; /* the combined name of the same thing */
};

#define NUM (RF_TPL_SHORT | RF_TPL_DASH_NULL)
static const struct nginx_var nginx_vars[] = {
	{ "remote_addr", RF_TPL_SHORT, 0, "ip" },
	{ "remote_user", RF_TPL_SHORT, 0, "user" },
	{ "time_local", RF_TPL_TIME, 26, "time" },
	{ "time_iso8601", RF_TPL_TIME, 25, "time" },
	{ "msec", RF_TPL_TIME | RF_TPL_SHORT, 14, "time" },
	{ "request", RF_TPL_REQUEST, 0, NULL },
	{ "status", RF_TPL_STATUS | RF_TPL_SHORT, 3, NULL },
	{ "body_bytes_sent", RF_TPL_SHORT | RF_TPL_DASH_ZERO, 0, "bytes" },
	{ "bytes_sent", RF_TPL_SHORT | RF_TPL_DASH_ZERO, 0, NULL },
	{ "http_referer", 0, 0, "referer" },
	{ "http_user_agent", 0, 0, "agent" },
	{ "request_time", NUM, 5, NULL },
	{ "request_length", NUM, 0, NULL },
	{ "upstream_response_time", NUM | RF_TPL_LIST, 0, NULL },
	{ "upstream_connect_time", NUM | RF_TPL_LIST, 0, NULL },
	{ "upstream_header_time", NUM | RF_TPL_LIST, 0, NULL },
	{ "upstream_response_length", NUM | RF_TPL_LIST, 0, NULL },
	{ "upstream_bytes_received", NUM | RF_TPL_LIST, 0, NULL },
	{ "upstream_bytes_sent", NUM | RF_TPL_LIST, 0, NULL },
	{ "upstream_status", NUM | RF_TPL_LIST, 0, NULL },
	{ "upstream_addr", RF_TPL_SHORT | RF_TPL_LIST, 0, NULL },
	{ "upstream_cache_status", RF_TPL_SHORT | RF_TPL_LIST, 0, NULL },
	{ "gzip_ratio", NUM, 0, NULL },
	{ "connection", RF_TPL_SHORT, 0, NULL },
	{ "connection_requests", RF_TPL_SHORT, 0, NULL },
	{ "connection_time", NUM, 0, NULL },
	{ "pipe", RF_TPL_SHORT, 0, NULL },
	{ "remote_port", RF_TPL_SHORT, 0, NULL },
	{ "server_addr", RF_TPL_SHORT, 0, NULL },
	{ "server_port", RF_TPL_SHORT, 0, NULL },
	{ "server_name", 0, 0, NULL },
	{ "server_protocol", RF_TPL_SHORT, 0, NULL },
	{ "host", 0, 0, NULL },
	{ "hostname", 0, 0, NULL },
	{ "scheme", RF_TPL_SHORT, 0, NULL },
	{ "https", RF_TPL_SHORT, 0, NULL },
	{ "request_method", RF_TPL_SHORT, 0, NULL },
	{ "request_uri", 0, 0, NULL },
	{ "uri", 0, 0, NULL },
	{ "document_uri", 0, 0, NULL },
	{ "document_root", 0, 0, NULL },
	{ "args", 0, 0, NULL },
	{ "query_string", 0, 0, NULL },
	{ "is_args", RF_TPL_SHORT, 0, NULL },
	{ "request_id", 0, 0, NULL },
	{ "request_body", 0, 0, NULL },
	{ "request_filename", 0, 0, NULL },
	{ "content_type", 0, 0, NULL },
	{ "content_length", NUM, 0, NULL },
	{ "realip_remote_addr", RF_TPL_SHORT, 0, NULL },
	{ "realip_remote_port", RF_TPL_SHORT, 0, NULL },
	{ "proxy_protocol_addr", RF_TPL_SHORT, 0, NULL },
	{ "proxy_protocol_port", RF_TPL_SHORT, 0, NULL },
	{ "proxy_add_x_forwarded_for", 0, 0, NULL },
	{ "binary_remote_addr", 0, 0, NULL },
	{ "nginx_version", RF_TPL_SHORT, 0, NULL },
	{ "pid", RF_TPL_SHORT, 0, NULL },
	{ "limit_rate", RF_TPL_SHORT, 0, NULL },
	{ "tcpinfo_rtt", NUM, 0, NULL },
	{ "tcpinfo_rttvar", NUM, 0, NULL },
	{ "tcpinfo_snd_cwnd", NUM, 0, NULL },
	{ "tcpinfo_rcv_space", NUM, 0, NULL },
	{ NULL, 0, 0, NULL },
};
#undef NUM

/* families of variables named after a header, a cookie, an argument */
static const char *const nginx_prefixes[] = { "http_", "sent_http_", "sent_trailer_", "cookie_", "arg_",
					      "upstream_http_", "upstream_cookie_", "upstream_trailer_",
					      "ssl_", "geoip_", "geoip2_", "jwt_", NULL };

static const struct nginx_var *nginx_var(const char *name)
{
	static const struct nginx_var any = { NULL, 0, 0, NULL };
	for (int i = 0; nginx_vars[i].name; i++)
		if (strcmp(nginx_vars[i].name, name) == 0)
			return &nginx_vars[i];
	for (int i = 0; nginx_prefixes[i]; i++) {
		size_t n = strlen(nginx_prefixes[i]);
		if (strncmp(name, nginx_prefixes[i], n) == 0 && name[n])
			return &any;
	}
	return NULL;
}

static int unknown_var(struct rf_cursor *c, const struct rf_arg *a, size_t at, const char *name)
{
	const char *names[sizeof nginx_vars / sizeof *nginx_vars];
	int n = 0;
	for (; nginx_vars[n].name; n++)
		names[n] = nginx_vars[n].name;
	names[n] = NULL;
	rf__fail(c->err, column_of(a, at), "unknown nginx variable '$%s'", name);
	rf__suggest(c->err, name, names);
	if (!c->err->hint[0])
		snprintf(c->err->hint, sizeof c->err->hint,
			 "nginx's own variables ($remote_addr, $request_time, ...) and the families $http_NAME, "
			 "$sent_http_NAME, $cookie_NAME, $arg_NAME, $upstream_http_NAME, $ssl_NAME");
	return -EINVAL;
}

/* A variable at s[at]: its capture.  Fields are named as the variables;
 * the combined names (ip, user, time, bytes, referer, agent) are aliases,
 * so a combined query works as it is. */
static long nginx_capture(struct rf_template *t, struct rf_cursor *c, const struct rf_arg *a, size_t at)
{
	const char *s = a->text;
	size_t len = a->len, i = at + 1, nl;
	const char *name;
	if (i < len && s[i] == '{') {
		const char *close = memchr(s + i, '}', len - i);
		if (!close)
			return rf__fail(c->err, column_of(a, at), "'${' without its '}'");
		name = s + i + 1;
		nl = (size_t)(close - name);
		i = (size_t)(close - s) + 1;
	} else {
		name = s + i;
		while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_'))
			i++;
		nl = (size_t)(s + i - name);
	}
	char buf[128];
	if (nl == 0 || nl >= sizeof buf) {
		rf__fail(c->err, column_of(a, at), nl ? "nginx variable name too long" : "'$' with no variable name");
		snprintf(c->err->hint, sizeof c->err->hint, "a variable is $name or ${name}");
		return -EINVAL;
	}
	for (size_t k = 0; k < nl; k++)
		buf[k] = (char)tolower((unsigned char)name[k]); /* nginx's names are not case-sensitive */
	buf[nl] = '\0';
	const struct nginx_var *v = nginx_var(buf);
	if (!v)
		return unknown_var(c, a, at, buf);
	int r = rf__tpl_capture(t, buf, v->flags, v->hint, (int)at);
	if (r >= 0 && v->alias)
		r = rf__tpl_alias(t, v->alias, r);
	return r < 0 ? too_many(c, a, at, r) : (long)(i - at);
}

/* ---- Apache ---- */

/* a header's field name: lower case, '_' for '-' */
static void field_name(char *buf, size_t size, const char *prefix, const char *arg, size_t n)
{
	size_t k = (size_t)snprintf(buf, size, "%s", prefix);
	for (size_t i = 0; i < n && k + 1 < size; i++)
		buf[k++] = isalnum((unsigned char)arg[i]) ? (char)tolower((unsigned char)arg[i]) : '_';
	buf[k] = '\0';
}

/* One directive: its field's name and flags into name/flags; 0, or -1
 * when the letter (with this argument) is not known. */
static int apache_directive(char letter, const char *arg, size_t an, char *name, size_t size, unsigned *flags,
			    int *hint)
{
	const unsigned num = RF_TPL_SHORT | RF_TPL_DASH_NULL;
	int has = arg != NULL;
	*flags = 0;
	*hint = 0;
#define IS(s) (has && an == sizeof(s) - 1 && strncasecmp(arg, s, an) == 0)
#define NAME(s) snprintf(name, size, "%s", s)
	switch (letter) {
	case 'a': NAME(IS("c") ? "peer_ip" : "client_ip"); *flags = RF_TPL_SHORT; break;
	case 'A': NAME("local_ip"); *flags = RF_TPL_SHORT; break;
	case 'B': NAME("bytes"); *flags = RF_TPL_SHORT | RF_TPL_DASH_ZERO; break;
	case 'b': NAME("bytes"); *flags = RF_TPL_SHORT | RF_TPL_DASH_ZERO; break;
	case 'C': if (!has || !an) return -1; field_name(name, size, "cookie_", arg, an); break;
	case 'D': NAME("duration_us"); *flags = num; break;
	case 'e': if (!has || !an) return -1; field_name(name, size, "env_", arg, an); break;
	case 'f': NAME("filename"); break;
	case 'h': NAME("ip"); *flags = RF_TPL_SHORT; break;
	case 'H': NAME("request_protocol"); *flags = RF_TPL_SHORT; break;
	case 'i':
		if (!has || !an)
			return -1;
		if (IS("referer"))
			NAME("referer");
		else if (IS("user-agent"))
			NAME("agent");
		else
			field_name(name, size, "", arg, an);
		break;
	case 'I': NAME("bytes_received"); *flags = num; break;
	case 'k': NAME("keepalives"); *flags = num; break;
	case 'l': NAME("ident"); *flags = RF_TPL_SHORT; break;
	case 'L': NAME("log_id"); break;
	case 'm': NAME("request_method"); *flags = RF_TPL_SHORT; break;
	case 'n': if (!has || !an) return -1; field_name(name, size, "note_", arg, an); break;
	case 'o': if (!has || !an) return -1; field_name(name, size, "resp_", arg, an); break;
	case 'O': NAME("bytes_sent"); *flags = num; break;
	case 'p': NAME(IS("remote") ? "remote_port" : IS("local") ? "local_port" : "port"); *flags = num; break;
	case 'P': NAME(IS("tid") || IS("hextid") ? "tid" : "pid"); *flags = RF_TPL_SHORT; break;
	case 'q': NAME("query_string"); break;
	case 'r': NAME("request"); *flags = RF_TPL_REQUEST; break;
	case 'R': NAME("handler"); break;
	case 's': NAME("status"); *flags = RF_TPL_STATUS | RF_TPL_SHORT; *hint = 3; break;
	case 'S': NAME("bytes_transferred"); *flags = num; break;
	case 't': NAME("time"); *flags = RF_TPL_TIME; *hint = has ? 0 : 26; break;
	case 'T':
		NAME(IS("ms") ? "duration_ms" : IS("us") ? "duration_us" : "duration_s");
		if (has && !IS("ms") && !IS("us") && !IS("s"))
			return -1;
		*flags = num;
		break;
	case 'u': NAME("user"); *flags = RF_TPL_SHORT; break;
	case 'U': NAME("url_path"); break;
	case 'v': NAME("vhost"); break;
	case 'V': NAME("server_name"); break;
	case 'X': NAME("conn_status"); *flags = RF_TPL_SHORT; break;
	default: return -1;
	}
#undef IS
#undef NAME
	return 0;
}

/* A directive at s[at]: its capture.  Fields are named as combined names
 * them where they are the same thing (ip, ident, user, time, request,
 * status, bytes, referer, agent). */
static long apache_capture(struct rf_template *t, struct rf_cursor *c, const struct rf_arg *a, size_t at)
{
	const char *s = a->text;
	size_t len = a->len, i = at + 1;
	if (i < len && s[i] == '%')
		return rf__tpl_literal(t, "%", 1, (int)at) < 0 ? -ENOMEM : 2;
	/* modifiers: the statuses it is logged for (%400,501{User-agent}i,
	 * %!200i), and < or > (the original request or the final one): the
	 * field is read the same either way */
	while (i < len && (s[i] == '!' || s[i] == ',' || isdigit((unsigned char)s[i]) || s[i] == '<' || s[i] == '>'))
		i++;
	const char *arg = NULL;
	size_t an = 0;
	if (i < len && s[i] == '{') {
		const char *close = memchr(s + i, '}', len - i);
		if (!close)
			return rf__fail(c->err, column_of(a, at), "'%%{' without its '}'");
		arg = s + i + 1;
		an = (size_t)(close - arg);
		i = (size_t)(close - s) + 1;
	}
	char name[128];
	unsigned flags;
	int hint, r;
	if (i >= len || apache_directive(s[i], arg, an, name, sizeof name, &flags, &hint) < 0) {
		if (i >= len)
			rf__fail(c->err, column_of(a, at), "'%%' with no directive after it");
		else
			rf__fail(c->err, column_of(a, at), "unknown Apache directive '%.*s'", (int)(i + 1 - at), s + at);
		snprintf(c->err->hint, sizeof c->err->hint,
			 "known: %%a %%A %%b %%B %%{NAME}C %%D %%{NAME}e %%f %%h %%H %%{NAME}i %%I %%k %%l %%L %%m "
			 "%%{NAME}n %%{NAME}o %%O %%p %%P %%q %%r %%R %%s %%S %%t %%T %%u %%U %%v %%V %%X %%%%");
		return -EINVAL;
	}
	i++;
	if (s[i - 1] == 't' && !arg) {
		/* %t writes its brackets itself: [10/Oct/2000:13:55:36 -0700] */
		if ((r = rf__tpl_literal(t, "[", 1, (int)at)) >= 0 &&
		    (r = rf__tpl_capture(t, name, flags, hint, (int)at)) >= 0)
			r = rf__tpl_literal(t, "]", 1, (int)at);
	} else {
		r = rf__tpl_capture(t, name, flags, hint, (int)at);
	}
	return r < 0 ? too_many(c, a, at, r) : (long)(i - at);
}

/* ---- parse "PATTERN" as a, b, c ---- */

static int pattern_usage(struct rf_cursor *c, int column, const char *why)
{
	rf__fail(c->err, column, "%s", why);
	snprintf(c->err->hint, sizeof c->err->hint, "for example: parse \"* [*] *\" as host, time, message");
	return -EINVAL;
}

/* A * at s[at]: a capture named by the next name after 'as'. */
static long pattern_capture(struct rf_template *t, struct rf_cursor *c, const struct rf_arg *a, size_t at)
{
	if (t->nfields > 0 && !rf__accept(c, RF_ARG_COMMA, NULL)) {
		const struct rf_arg *prev = &c->args[c->i - 1];
		return pattern_usage(c, rf__peek(c) ? rf__cursor_column(c) : prev->column,
				     "the pattern has more '*' than names after 'as'");
	}
	const struct rf_arg *nm = rf__take(c);
	if (!nm || nm->type != RF_ARG_WORD)
		return pattern_usage(c, nm ? nm->column : c->end_column,
				     t->nfields ? "expected a name after ','" : "expected a name after 'as'");
	if (rf__tpl_field_of(t, nm->text) >= 0)
		return pattern_usage(c, nm->column, "this name is given twice");
	int r = rf__tpl_capture(t, nm->text, 0, 0, (int)at);
	return r < 0 ? too_many(c, a, at, r) : 1;
}

/* Each * captures up to the next literal (the whole literal, found
 * anywhere after it), the last one to the end of the line; a pattern
 * starting with a literal finds it anywhere in the line.  A line the
 * pattern does not match is rejected. */
static int pattern_configure(struct parse_config *pc, struct rf_cursor *c)
{
	const struct rf_arg *a = rf__take(c);
	if (!a || a->type != RF_ARG_STRING)
		return pattern_usage(c, a ? a->column : c->end_column, "parse pattern needs a quoted pattern");
	if (!memchr(a->text, '*', a->len))
		return pattern_usage(c, a->column, "the pattern has no '*', so it makes no fields");
	if (!rf__accept(c, RF_ARG_WORD, "as"))
		return pattern_usage(c, rf__cursor_column(c), "expected 'as' and a name for each '*'");
	struct rf_template *t = rf__tpl_new();
	if (!t)
		return -ENOMEM;
	t->nonempty = 0;
	t->retry = 1;
	t->float_start = 1;
	t->required = INT_MAX; /* all of it: a pattern has no optional part */
	int r = compile(pc, c, a, t, '*', pattern_capture);
	if (r == 0 && rf__peek(c) && rf__peek(c)->type == RF_ARG_COMMA) {
		c->i++;
		return pattern_usage(c, rf__cursor_column(c), "more names than '*' in the pattern");
	}
	return r;
}

static int nginx_configure(struct parse_config *pc, struct rf_cursor *c)
{
	return configure(pc, c, nginx_combined, '$', nginx_capture);
}

static int apache_configure(struct parse_config *pc, struct rf_cursor *c)
{
	return configure(pc, c, apache_combined, '%', apache_capture);
}

const struct parse_format rf__format_nginx = {
	.name = "nginx",
	.configure = nginx_configure,
	.field = rf__tpl_field,
	.record = rf__tpl_record,
};

const struct parse_format rf__format_apache = {
	.name = "apache",
	.configure = apache_configure,
	.field = rf__tpl_field,
	.record = rf__tpl_record,
};

const struct parse_format rf__format_pattern = {
	.name = "pattern",
	.configure = pattern_configure,
	.field = rf__tpl_field,
	.record = rf__tpl_record,
};
