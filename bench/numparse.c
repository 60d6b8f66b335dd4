/* SPDX-License-Identifier: MIT */
/* numparse.c - conversions per second: strtod against rf__parse_number on
 * the numbers logs hold (latencies, byte counts, 1e-5 style, full 17-digit
 * doubles).  CPU time of this thread, best of five, so other load on the
 * machine counts less.  Prints a Markdown table; bench/numparse.sh runs it.
 * Usage: numparse [COUNT]  (texts a kind, default 1000000) */
#include "config.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "value.h"

struct texts {
	const char *name;
	char *buf;		  /* the texts, each NUL-terminated */
	uint32_t *off, *len;
	size_t n;
};

static uint64_t state = 0x9e3779b97f4a7c15ULL;

static double uniform(void) /* (0, 1) */
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return ((double)(state >> 11) + 0.5) / 9007199254740992.0;
}

static double lognormal(double mu, double sigma)
{
	double z = sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform());
	return exp(mu + sigma * z);
}

static void make(struct texts *t, const char *name, size_t n, int kind)
{
	t->name = name;
	t->n = n;
	t->buf = malloc(n * 32);
	t->off = malloc(n * sizeof *t->off);
	t->len = malloc(n * sizeof *t->len);
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		int k = kind < 4 ? kind : (int)(uniform() * 4);
		int w;
		switch (k) {
		case 0: /* a latency in seconds: 0.123, 0.004512 */
			w = sprintf(t->buf + at, "%.*f", uniform() < 0.5 ? 3 : 6, lognormal(-2.5, 1.2));
			break;
		case 1: /* a byte count */
			w = sprintf(t->buf + at, "%lld", (long long)lognormal(8, 1.5));
			break;
		case 2: /* 1.234e-05 */
			w = sprintf(t->buf + at, "%.3e", lognormal(-9, 3));
			break;
		default: /* a double printed in full */
			w = sprintf(t->buf + at, "%.17g", lognormal(0, 4));
			break;
		}
		t->off[i] = (uint32_t)at;
		t->len[i] = (uint32_t)w;
		at += (size_t)w + 1;
	}
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile double sink;

enum way { WAY_STRTOD, WAY_COPY_STRTOD, WAY_RINGFLOW };

static double pass(const struct texts *t, enum way way)
{
	double sum = 0;
	char copy[64];
	struct rf_number num;
	for (size_t i = 0; i < t->n; i++) {
		const char *p = t->buf + t->off[i];
		switch (way) {
		case WAY_STRTOD: /* the text already NUL-terminated: strtod's best case */
			sum += strtod(p, NULL);
			break;
		case WAY_COPY_STRTOD: /* a field is not: copied first, as before */
			memcpy(copy, p, t->len[i]);
			copy[t->len[i]] = 0;
			sum += strtod(copy, NULL);
			break;
		default:
			if (rf__parse_number(p, t->len[i], &num) == 0)
				sum += num.d;
			break;
		}
	}
	return sum;
}

/* conversions a second, best of five */
static double rate(const struct texts *t, enum way way, double *check)
{
	double best = 0;
	for (int r = 0; r < 5; r++) {
		double t0 = cpu_now(), t1;
		long passes = 0;
		do {
			*check = pass(t, way);
			passes++;
			t1 = cpu_now();
		} while (t1 - t0 < 0.2);
		double per = (double)passes * (double)t->n / (t1 - t0);
		if (per > best)
			best = per;
	}
	return best;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	struct texts sets[5];
	make(&sets[0], "latency `0.123`, `0.004512`", n, 0);
	make(&sets[1], "byte count `52341` (never went to strtod)", n, 1);
	make(&sets[2], "exponent `1.234e-05`", n, 2);
	make(&sets[3], "17 digits `0.12345678901234566`", n, 3);
	make(&sets[4], "the four mixed", n, 4);
	printf("| texts (%zu of each) | strtod (NUL-terminated) | copy + strtod (before) | rf__parse_number | speedup vs copy + strtod |\n",
	       n);
	printf("|---|---:|---:|---:|---:|\n");
	for (int s = 0; s < 5; s++) {
		double a, b, c;
		double r0 = rate(&sets[s], WAY_STRTOD, &a), r1 = rate(&sets[s], WAY_COPY_STRTOD, &b),
		       r2 = rate(&sets[s], WAY_RINGFLOW, &c);
		if (a != b || a != c) { /* the same doubles, summed in the same order */
			fprintf(stderr, "numparse: %s: sums differ: %.17g %.17g %.17g\n", sets[s].name, a, b, c);
			return 1;
		}
		sink = a;
		printf("| %s | %.1f M/s (%.1f ns) | %.1f M/s (%.1f ns) | %.1f M/s (%.1f ns) | %.1fx |\n", sets[s].name,
		       r0 / 1e6, 1e9 / r0, r1 / 1e6, 1e9 / r1, r2 / 1e6, 1e9 / r2, r2 / r1);
	}
	return 0;
}
