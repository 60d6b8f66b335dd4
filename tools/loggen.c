/* SPDX-License-Identifier: MIT */
/* loggen.c - ringflow-loggen: realistic Apache/nginx "combined" access logs,
 * or the same requests as JSON lines.
 *
 * Deterministic for a given seed: the same arguments write the same bytes,
 * so tests and benchmarks can regenerate their inputs anywhere.  The JSON
 * format draws its extra fields (duration, query, TLS) from a second random
 * stream, so the requests of a seed are the same in both formats and the
 * combined output is what it was before the JSON format existed.
 */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ringflow.h" /* rf_parse_size, rf_version, rf_features */

static uint64_t rng_state, extra_state;

/* splitmix64: small, fast, and good enough for synthetic logs */
static uint64_t splitmix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(void)
{
	return splitmix(&rng_state);
}

static double rnd01(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* the stream of the fields only JSON has: drawing from it never moves
 * the main stream, which decides the requests */
static uint64_t rnd_extra(void)
{
	return splitmix(&extra_state);
}

static double rnd01_extra(void)
{
	return (double)(rnd_extra() >> 11) / 9007199254740992.0;
}

/* Zipf(s) over n items through a cumulative table and binary search. */
struct zipf {
	double *cdf;
	int n;
};

static void zipf_init(struct zipf *z, int n, double s)
{
	z->n = n;
	z->cdf = malloc((size_t)n * sizeof *z->cdf);
	if (!z->cdf) {
		perror("ringflow-loggen");
		exit(2);
	}
	double sum = 0;
	for (int i = 0; i < n; i++)
		z->cdf[i] = (sum += 1.0 / pow(i + 1, s));
	for (int i = 0; i < n; i++)
		z->cdf[i] /= sum;
}

static int zipf_draw(const struct zipf *z)
{
	double u = rnd01();
	int lo = 0, hi = z->n - 1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (z->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define NPATHS 5000
#define NCLIENTS 20000

static char *paths[NPATHS];
static char clients[NCLIENTS][16];

static const char *const sections[] = { "api/v1/users", "api/v1/orders", "api/v2/search", "products",
					"blog", "static/img", "static/js", "static/css", "docs", "cart" };
static const char *const leaf_ext[] = { "", "", "", ".html", ".png", ".js", ".css", ".json" };
static const char *const agents[] = {
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
	"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
	"curl/8.5.0",
	"python-requests/2.31.0",
	"Go-http-client/1.1",
	"Googlebot/2.1 (+http://www.google.com/bot.html)",
	"Prometheus/2.48.0",
};
static const char *const referers[] = { "https://www.google.com/", "https://example.com/",
					"https://example.com/products", "https://news.ycombinator.com/",
					"https://duckduckgo.com/" };
/* Query strings of the JSON format: most requests have none; some hold
 * what a JSON writer must escape (quotes, backslashes, a tab, the escape
 * byte of a log-injection probe) or UTF-8. */
static const char *const queries[] = {
	"page=2", "q=shoes&sort=price", "utm_source=newsletter&utm_medium=email", "id=18&lang=en",
	"q=\"red shoes\"", "path=C:\\Windows\\win.ini", "q=caf\xc3\xa9 cr\xc3\xa8me",
	"note=a\tb", "q=\\\"quoted\\\"", "callback=</script>", "q=\x1b[31mred",
};
static const char *const tls_versions[] = { "TLSv1.3", "TLSv1.2" };
static const char *const tls13_ciphers[] = { "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
					     "TLS_CHACHA20_POLY1305_SHA256" };
static const char *const tls12_ciphers[] = { "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384" };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static void build_tables(void)
{
	for (int i = 0; i < NPATHS; i++) {
		char buf[128];
		const char *sec = sections[rnd() % (sizeof sections / sizeof *sections)];
		const char *ext = leaf_ext[rnd() % (sizeof leaf_ext / sizeof *leaf_ext)];
		if (i == 0)
			snprintf(buf, sizeof buf, "/");
		else if (i == 1)
			snprintf(buf, sizeof buf, "/index.html");
		else
			snprintf(buf, sizeof buf, "/%s/%u%s", sec, (unsigned)(rnd() % 100000), ext);
		paths[i] = strdup(buf);
	}
	for (int i = 0; i < NCLIENTS; i++)
		snprintf(clients[i], sizeof clients[i], "%u.%u.%u.%u", (unsigned)(1 + rnd() % 223),
			 (unsigned)(rnd() % 256), (unsigned)(rnd() % 256), (unsigned)(1 + rnd() % 254));
}

static int draw_status(void)
{
	static const struct { int status; int weight; } mix[] = {
		{ 200, 7800 }, { 304, 600 }, { 404, 500 }, { 301, 300 }, { 302, 200 }, { 201, 100 },
		{ 403, 100 }, { 400, 100 }, { 500, 150 }, { 502, 70 }, { 503, 80 },
	};
	int u = (int)(rnd() % 10000), acc = 0;
	for (size_t i = 0; i < sizeof mix / sizeof *mix; i++)
		if (u < (acc += mix[i].weight))
			return mix[i].status;
	return 200;
}

static void usage(FILE *f)
{
	fputs("Usage: ringflow-loggen [--size SIZE | --lines N] [--seed N] [--start EPOCH]\n"
	      "                       [--format combined|json]\n"
	      "Write an access log to stdout: Zipf-popular paths and clients, a realistic\n"
	      "status mix, byte counts, referers, user agents, and timestamps in order.\n"
	      "--format combined (the default) writes Apache/nginx combined lines; json writes\n"
	      "one object per line for the same requests (the same seed gives the same time,\n"
	      "ip, user, method, path, status, bytes, referer and agent), with a duration in\n"
	      "seconds, a query string and a nested tls object besides.  --size counts the\n"
	      "bytes written.  The same arguments always give the same bytes.  SIZE takes\n"
	      "K, M, G, T; an option's value may follow it or an '='.  --version prints\n"
	      "the version and the features of the library it came with.\n",
	      f);
}

/* json_string: S as a JSON string (quotes included) at OUT, which has
 * room for six bytes per byte of S plus two; the length written.  Bytes
 * from 0x80 up pass through: the tables hold valid UTF-8. */
static size_t json_string(char *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c == '\t') {
			*o++ = '\\';
			*o++ = 't';
		} else if (c == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (c < 0x20) {
			memcpy(o, "\\u00", 4);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			o += 6;
		} else {
			*o++ = (char)c;
		}
	}
	*o++ = '"';
	return (size_t)(o - out);
}

struct request {
	const char *iso_time, *ip, *user, *method, *path, *referer, *agent;
	int status;
	unsigned long bytes;
};

/* json_line: the request as one JSON object and a newline at OUT, which
 * has room for 2 KiB; the length written.  The fields JSON has and
 * combined has not come from the extra stream. */
static size_t json_line(char *out, const struct request *r)
{
	/* lognormal service time around 20 ms, longer for a big body */
	double duration = 0.0001 + exp(-4.0 + 1.1 * (rnd01_extra() + rnd01_extra() + rnd01_extra() - 1.5)) +
			  (double)r->bytes / 5e7;
	const char *query = rnd_extra() % 8 ? "" : queries[rnd_extra() % (sizeof queries / sizeof *queries)];
	unsigned v = (unsigned)(rnd_extra() % 10) < 8 ? 0 : 1;
	const char *cipher = v == 0 ? tls13_ciphers[rnd_extra() % 3] : tls12_ciphers[rnd_extra() % 2];
	char *o = out;
	o += sprintf(o, "{\"time\":\"%s\",\"ip\":\"%s\",\"user\":", r->iso_time, r->ip);
	if (strcmp(r->user, "-"))
		o += json_string(o, r->user);
	else
		o += sprintf(o, "null");
	o += sprintf(o, ",\"method\":\"%s\",\"path\":", r->method);
	o += json_string(o, r->path);
	o += sprintf(o, ",\"query\":");
	o += json_string(o, query);
	o += sprintf(o, ",\"protocol\":\"HTTP/1.1\",\"status\":%d,\"bytes\":%lu,\"duration\":%.4f,\"referer\":",
		     r->status, r->bytes, duration);
	o += json_string(o, r->referer);
	o += sprintf(o, ",\"agent\":");
	o += json_string(o, r->agent);
	o += sprintf(o, ",\"tls\":{\"version\":\"%s\",\"cipher\":\"%s\"}}\n", tls_versions[v], cipher);
	return (size_t)(o - out);
}

/* A count or size with an optional K, M, G or T: ringflow's own parse */
static int parse_count(const char *s, uint64_t *out)
{
	size_t v;
	if (rf_parse_size(s, &v) < 0)
		return -1;
	*out = v;
	return 0;
}

/* The options that take a value (the first NLEN bytes of A name one?) */
static int known_option(const char *a, size_t nlen)
{
	static const char *const names[] = { "--size", "--lines", "--seed", "--start", "--format" };
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strlen(names[i]) == nlen && !strncmp(a, names[i], nlen))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t size = 0, lines = 0, seed = 1;
	int64_t start = 1793491200; /* 2026-11-01 00:00:00 UTC */
	int json = 0;
	for (int i = 1; i < argc; i++) {
		char name[32];
		const char *a = argv[i], *val;
		const char *eq = strncmp(a, "--", 2) ? NULL : strchr(a, '=');
		uint64_t v;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("ringflow-loggen %s\nfeatures: %s\n", rf_version(), rf_features());
			return 0;
		}
		/* --name=value or --name value; the name is checked first, so that
		 * an unknown option is called that and takes no value away */
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		if (!known_option(a, nlen)) {
			if (a[0] == '-')
				fprintf(stderr, "ringflow-loggen: unknown option %.*s\n", (int)nlen, a);
			else
				fprintf(stderr, "ringflow-loggen: unexpected argument '%s' (it takes options only)\n", a);
			usage(stderr);
			return 2;
		}
		memcpy(name, a, nlen);
		name[nlen] = '\0';
		a = name;
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			val = NULL;
		if (!strcmp(a, "--format")) {
			if (val && !strcmp(val, "json")) {
				json = 1;
			} else if (val && !strcmp(val, "combined")) {
				json = 0;
			} else {
				fprintf(stderr, "ringflow-loggen: --format takes combined or json\n");
				usage(stderr);
				return 2;
			}
			continue;
		}
		if (!val || parse_count(val, &v) < 0) {
			fprintf(stderr, "ringflow-loggen: %s needs a number\n", a);
			usage(stderr);
			return 2;
		}
		if (!strcmp(a, "--size"))
			size = v;
		else if (!strcmp(a, "--lines"))
			lines = v;
		else if (!strcmp(a, "--seed"))
			seed = v;
		else
			start = (int64_t)v;
	}
	if (!size && !lines)
		lines = 1000;
	rng_state = seed * 0x2545f4914f6cdd1dULL + 1;
	extra_state = seed * 0x9fb21c651e98df25ULL + 0x632be59bd9b4e019ULL;
	build_tables();
	struct zipf zpath, zclient;
	zipf_init(&zpath, NPATHS, 1.1);
	zipf_init(&zclient, NCLIENTS, 0.9);

	static char out[1 << 20];
	size_t used = 0;
	uint64_t written = 0, n = 0;
	double t = (double)start;
	time_t cached_sec = -1;
	char stamp[40] = "", iso[80] = "";
	while ((lines && n < lines) || (size && written < size)) {
		t += -log(1.0 - rnd01()) * 0.002; /* Poisson arrivals, 500 per second */
		time_t sec = (time_t)t;
		if (sec != cached_sec) {
			struct tm tm;
			gmtime_r(&sec, &tm);
			snprintf(stamp, sizeof stamp, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday,
				 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
			snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
				 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
			cached_sec = sec;
		}
		int status = draw_status();
		unsigned m = (unsigned)(rnd() % 100);
		const char *method = m < 85 ? "GET" : m < 95 ? "POST" : m < 97 ? "PUT" : m < 99 ? "DELETE" : "HEAD";
		const char *path = status == 404 && rnd() % 2 ? "/wp-login.php" : paths[zipf_draw(&zpath)];
		double g = (rnd01() + rnd01() + rnd01() + rnd01() - 2.0) * 1.7; /* ~normal */
		unsigned long bytes = status == 304 ? 0 : (unsigned long)exp(8.0 + g * 1.2);
		const char *ref = rnd() % 10 < 6 ? "-" : referers[rnd() % (sizeof referers / sizeof *referers)];
		const char *ua = agents[rnd() % (sizeof agents / sizeof *agents)];
		const char *user = rnd() % 50 == 0 ? "alice" : "-";
		const char *ip = clients[zipf_draw(&zclient)];
		if (sizeof out - used < 2048) {
			if (fwrite(out, 1, used, stdout) != used)
				goto write_error;
			used = 0;
		}
		size_t len;
		if (json) {
			struct request r = { iso, ip, user, method, path, ref, ua, status, bytes };
			len = json_line(out + used, &r);
		} else {
			len = (size_t)snprintf(out + used, sizeof out - used,
					       "%s - %s [%s] \"%s %s HTTP/1.1\" %d %lu \"%s\" \"%s\"\n", ip, user,
					       stamp, method, path, status, bytes, ref, ua);
		}
		used += len;
		written += len;
		n++;
	}
	if (fwrite(out, 1, used, stdout) != used || fflush(stdout) != 0)
		goto write_error;
	free(zpath.cdf);
	free(zclient.cdf);
	for (int i = 0; i < NPATHS; i++)
		free(paths[i]);
	return 0;
write_error:
	if (errno != EPIPE)
		perror("ringflow-loggen: write");
	return 2;
}
