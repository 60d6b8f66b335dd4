/* zz_stub.c - until the function library (expr_funcs.c, tval.c) lands: the conversions the evaluator needs and an empty function table.  Removed when it lands. */
#include "config.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "engine.h"
const struct rf_fn_def *const rf__functions[] = { NULL };
const struct rf_fn_def *rf__find_function(const char *name) { (void)name; return NULL; }
int rf__tv_to_time(const struct rf_tv *v, struct rf_tv *out)
{
	int64_t s;
	if (v->type != RF_TV_STR || rf__parse_time(v->u.s, v->len, 1970, &s) != 0) return -1;
	*out = (struct rf_tv){ .type = RF_TV_TIME, .u.i = s * 1000000000 };
	return 0;
}
int rf__tv_to_ip(const struct rf_tv *v, struct rf_tv *out)
{
	char buf[64];
	if (v->type != RF_TV_STR || v->len >= 64) return -1;
	memcpy(buf, v->u.s, v->len); buf[v->len] = 0;
	struct in_addr a;
	memset(out, 0, sizeof *out);
	out->type = RF_TV_IP;
	if (inet_pton(AF_INET, buf, &a) == 1) { out->u.ip[10] = out->u.ip[11] = 0xff; memcpy(out->u.ip + 12, &a, 4); out->len = 4; return 0; }
	if (inet_pton(AF_INET6, buf, out->u.ip) == 1) { out->len = 16; return 0; }
	return -1;
}
int rf__tv_to_text(const struct rf_tv *v, struct rf_fn_env *env, struct rf_tv *out)
{
	char buf[64]; int n;
	switch (v->type) {
	case RF_TV_INT: n = snprintf(buf, sizeof buf, "%lld", (long long)v->u.i); break;
	case RF_TV_FLOAT: n = rf__format_double(v->u.d, buf, sizeof buf); break;
	case RF_TV_BOOL: n = snprintf(buf, sizeof buf, "%s", v->u.i ? "true" : "false"); break;
	case RF_TV_STR: *out = *v; return 0;
	case RF_TV_TIME: n = rf__format_time(v->u.i / 1000000000, buf); break;
	default: n = snprintf(buf, sizeof buf, "?"); break;
	}
	char *p = env->alloc(env->user, (size_t)n);
	if (!p) return -1;
	memcpy(p, buf, (size_t)n);
	*out = rf_tv_str(p, (size_t)n);
	return 0;
}
