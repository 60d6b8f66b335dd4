/* SPDX-License-Identifier: MIT */
/* kernels.c - the kernel table's throughput at each SIMD level this CPU has.
 *
 *   bench/kernels [--runs N] [--size BYTES] [--json JSONLOG] LOG
 *
 * Reads the first BYTES (default 64 MiB) of LOG (made by ringflow-loggen)
 * into memory, touches it, and times each kernel the way the engine calls
 * it: count_byte over the whole buffer; find_byte and find_last_byte from
 * line to line, forwards and backwards; find_literal from match to match for
 * a short and a long needle; split_blank for $9 of every line; the
 * structural scan of parse json (scan.h) over each line of JSONLOG (made by
 * ringflow-loggen --format=json) when given, and the separator index of
 * csv/tsv with ' ' over each line of LOG.  A run is one
 * pass (repeated up to about 50 ms when the buffer is small); the levels take
 * turns within a run so that a noisy neighbour slows them alike.  Prints a
 * markdown table of GB/s, the median of the runs, and fails when two levels
 * disagree on an answer. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include "scan.h"
#include "simd.h"

enum kernel { K_COUNT, K_FIND, K_RFIND, K_SHORT, K_LONG, K_SPLIT, K_SEP, K_JSON, NKERNELS };

static const char *const kernel_names[NKERNELS] = {
	"count_byte (newlines)",
	"find_byte (line to line)",
	"find_last_byte (line to line, backwards)",
	"find_literal, short needle `\" 404 \"`",
	"find_literal, long needle (Googlebot's user agent, 47 bytes)",
	"split_blank ($9 of every line)",
	"sep_index (csv's separator pass, ' ', line by line)",
	"json_index (parse json's structural scan, line by line)",
};

static const char short_needle[] = " 404 ";
static const char long_needle[] = "Googlebot/2.1 (+http://www.google.com/bot.html)";

struct input {
	const char *p;
	size_t n;
	uint32_t *line;  /* where each line starts; line[nlines] is n */
	size_t nlines;
	size_t longest;  /* the longest line's length */
};

static uint32_t *tok; /* room for the tokens of the longest line */

/* The thread's CPU time, not the wall clock: on a shared machine the time
 * this thread spends descheduled is not the kernels'. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One pass of kernel kn at level k; the answer, for comparing levels. */
static uint64_t pass(const struct rf_kernels *k, enum kernel kn, const struct input *in)
{
	const struct rf_scanner *sc = rf__scanner(k->level);
	const char *p = in->p, *end = in->p + in->n, *q;
	uint64_t answer = 0;
	struct rf_needle nd;
	switch (kn) {
	case K_COUNT:
		return k->count_byte(p, in->n, '\n');
	case K_FIND:
		while ((q = k->find_byte(p, (size_t)(end - p), '\n'))) {
			answer += (uint64_t)(q - p);
			p = q + 1;
		}
		return answer;
	case K_RFIND: {
		size_t n = in->n;
		while ((q = k->find_last_byte(p, n, '\n'))) {
			answer += n - (size_t)(q - p);
			n = (size_t)(q - p);
		}
		return answer;
	}
	case K_SHORT:
	case K_LONG:
		if (kn == K_SHORT)
			rf__needle_init(&nd, short_needle, sizeof short_needle - 1);
		else
			rf__needle_init(&nd, long_needle, sizeof long_needle - 1);
		while ((q = k->find_literal(p, (size_t)(end - p), &nd))) {
			answer = answer * 31 + (uint64_t)(q - in->p);
			p = q + nd.len;
		}
		return answer;
	case K_SPLIT: {
		struct rf_field f[9];
		for (size_t i = 0; i < in->nlines; i++) {
			const char *line = p + in->line[i];
			size_t len = in->line[i + 1] - in->line[i] - 1;
			if (k->split_blank(line, len, 8, 9, f) == 9)
				answer += f[8].start * 7 + f[8].end;
		}
		return answer;
	}
	case K_SEP:
	case K_JSON:
		for (size_t i = 0; i < in->nlines; i++) {
			const char *line = p + in->line[i];
			size_t len = in->line[i + 1] - in->line[i] - 1, nt;
			unsigned flags = 0;
			int quoted = 0;
			if (kn == K_SEP)
				nt = sc->sep_index(line, len, ' ', tok, &quoted);
			else
				nt = sc->json_index(line, len, tok, &flags);
			answer = answer * 31 + nt * 7 + (nt ? tok[nt - 1] : 0) + flags + (unsigned)quoted;
		}
		return answer;
	default:
		return 0;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int load(const char *path, size_t size, struct input *in)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "kernels: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char *p = mmap(NULL, size + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED) {
		fclose(f);
		return -1;
	}
	size_t n = fread(p, 1, size, f);
	fclose(f);
	/* whole lines only, so every kernel sees the same records */
	while (n && p[n - 1] != '\n')
		n--;
	if (n == 0) {
		fprintf(stderr, "kernels: %s: no complete line\n", path);
		return -1;
	}
	in->p = p;
	in->n = n;
	in->nlines = rf__kernels_scalar.count_byte(p, n, '\n');
	in->line = malloc((in->nlines + 1) * sizeof *in->line);
	if (!in->line)
		return -1;
	size_t l = 0;
	in->line[l++] = 0;
	in->longest = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\n') {
			in->line[l] = (uint32_t)(i + 1);
			if (in->line[l] - in->line[l - 1] > in->longest)
				in->longest = in->line[l] - in->line[l - 1];
			l++;
		}
	return 0;
}

int main(int argc, char **argv)
{
	int runs = 9;
	size_t size = 64 << 20;
	const char *json = NULL;
	int a = 1;
	for (; a < argc - 1; a += 2) {
		if (strcmp(argv[a], "--runs") == 0)
			runs = atoi(argv[a + 1]);
		else if (strcmp(argv[a], "--size") == 0)
			size = strtoull(argv[a + 1], NULL, 10);
		else if (strcmp(argv[a], "--json") == 0)
			json = argv[a + 1];
		else
			break;
	}
	if (a != argc - 1 || runs < 1 || runs > 1000 || size == 0 || size > ((size_t)1 << 32) - 4096) {
		fprintf(stderr, "usage: kernels [--runs N] [--size BYTES] [--json JSONLOG] LOG\n");
		return 2;
	}
	struct input log, jlog;
	if (load(argv[a], size, &log) < 0 || (json && load(json, size, &jlog) < 0))
		return 2;
	size_t longest = json && jlog.longest > log.longest ? jlog.longest : log.longest;
	if (!(tok = malloc(RF_SCAN_TOKENS(longest) * sizeof *tok)))
		return 2;

	const struct rf_kernels *lv[8];
	int nlv = 0;
	for (int l = RF_SIMD_SCALAR; l <= RF_SIMD_AVX512; l++)
		if (rf__kernels((enum rf_simd)l))
			lv[nlv++] = rf__kernels((enum rf_simd)l);

	/* the last column compares the top two levels (avx512 with avx2 where the CPU has both) */
	int vs = nlv >= 3;
	printf("| kernel (GB/s, %.1f MiB, median of %d) |", (double)log.n / (1 << 20), runs);
	for (int l = 0; l < nlv; l++)
		printf(" %s |", rf_simd_name(lv[l]->level));
	if (vs)
		printf(" %s / %s |", rf_simd_name(lv[nlv - 1]->level), rf_simd_name(lv[nlv - 2]->level));
	printf("\n|---|");
	for (int l = 0; l < nlv + vs; l++)
		printf("---:|");
	printf("\n");

	double *t = malloc(sizeof *t * (size_t)runs * (size_t)nlv);
	if (!t)
		return 2;
	int bad = 0;
	for (int kn = 0; kn < NKERNELS; kn++) {
		if (kn == K_JSON && !json)
			continue;
		const struct input *in = kn == K_JSON ? &jlog : &log;
		/* the reference answer, and how many passes make a run of ~50 ms */
		uint64_t want = pass(&rf__kernels_scalar, kn, in);
		int reps = 1;
		double t0 = now();
		pass(lv[nlv - 1], kn, in);
		double one = now() - t0;
		if (one < 0.05)
			reps = (int)(0.05 / (one > 1e-6 ? one : 1e-6)) + 1;
		for (int r = 0; r < runs; r++)
			for (int l = 0; l < nlv; l++) {
				uint64_t got = 0;
				t0 = now();
				for (int i = 0; i < reps; i++)
					got = pass(lv[l], kn, in);
				t[l * runs + r] = (now() - t0) / reps;
				if (got != want) {
					fprintf(stderr, "kernels: %s at %s: answer %llu, scalar's %llu\n", kernel_names[kn],
						rf_simd_name(lv[l]->level), (unsigned long long)got, (unsigned long long)want);
					bad = 1;
				}
			}
		printf("| %s |", kernel_names[kn]);
		double med[8];
		for (int l = 0; l < nlv; l++) {
			qsort(t + l * runs, (size_t)runs, sizeof *t, cmp_double);
			med[l] = t[l * runs + runs / 2];
			printf(" %.2f |", (double)in->n / med[l] / 1e9);
		}
		if (vs)
			printf(" %.2fx |", med[nlv - 2] / med[nlv - 1]);
		printf("\n");
		fflush(stdout);
	}
	free(t);
	return bad ? 1 : 0;
}
