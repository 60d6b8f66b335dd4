/* SPDX-License-Identifier: MIT */
/* check_simd.c - every kernel level against a naive oracle and each other:
 * every length 0..300 at every alignment 0..63, flush against inaccessible
 * pages so that reading a byte outside the buffer faults, needles at the
 * edges.  The levels this CPU lacks are skipped, with a line saying so. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "helpers.h"
#include "simd.h"

/* Every level the engine has, from scalar up; the ones this CPU lacks are
 * left out of the comparisons (main() says which). */
#define NLEVELS (RF_SIMD_AVX512 - RF_SIMD_SCALAR + 1)
static const struct rf_kernels *levels[NLEVELS];
static int nlevels;

static void load_levels(void)
{
	nlevels = 0;
	for (int l = RF_SIMD_SCALAR; l <= RF_SIMD_AVX512; l++) {
		const struct rf_kernels *k = rf__kernels((enum rf_simd)l);
		if (k)
			levels[nlevels++] = k;
	}
}

/* Whether the kernel lists every flag of a space-separated list for this
 * CPU, -1 when it cannot tell.  /proc/cpuinfo shows the AVX-512 flags only
 * when the kernel enabled the zmm state: a second opinion on libgcc's. */
static int cpu_has(const char *flags)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return -1;
	static char line[16384];
	int found = -1;
	while (found < 0 && fgets(line, sizeof line, f))
		if (strncmp(line, "flags", 5) == 0)
			found = 1;
	fclose(f);
	if (found < 0)
		return -1;
	char want[256];
	snprintf(want, sizeof want, "%s", flags);
	for (char *save, *w = strtok_r(want, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		size_t n = strlen(w);
		const char *at = line;
		while ((at = strstr(at + 1, w)) && !(at[-1] == ' ' && (at[n] == ' ' || at[n] == '\n')))
			;
		if (!at)
			return 0;
	}
	return 1;
}

/* A page of data between two inaccessible pages: a buffer placed against
 * either end faults on the first byte read outside it. */
static char *guarded_page(void)
{
	static char *page;
	if (page)
		return page;
	long ps = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, (size_t)ps * 3, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	ck_assert_int_eq(mprotect(m, (size_t)ps, PROT_NONE), 0);
	ck_assert_int_eq(mprotect(m + 2 * ps, (size_t)ps, PROT_NONE), 0);
	page = m + ps;
	return page;
}

/* Where a buffer of len bytes goes: gap bytes from the end of the page
 * (at_end) or from its start.  gap 0..63 runs the start through every
 * alignment; gap 0 puts it flush against the guard, where reading one byte
 * too many (or too few, for the kernels that scan backwards) faults. */
static char *place(size_t len, size_t gap, int at_end)
{
	char *page = guarded_page();
	return at_end ? page + sysconf(_SC_PAGESIZE) - len - gap : page + gap;
}

/* Fill the page around a buffer with a byte that changes the answer when
 * a kernel reads it as part of the buffer. */
static void poison_around(char *p, size_t len, unsigned char c)
{
	char *page = guarded_page();
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	memset(page, c, (size_t)(p - page));
	memset(p + len, c, ps - (size_t)(p + len - page));
}

/* ---- oracles, written independently of the kernels ---- */
static size_t naive_count(const unsigned char *p, size_t n, unsigned char c)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] == c)
			k++;
	return k;
}

static long naive_find(const unsigned char *p, size_t n, unsigned char c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == c)
			return (long)i;
	return -1;
}

static long naive_rfind(const unsigned char *p, size_t n, unsigned char c)
{
	for (size_t i = n; i > 0; i--)
		if (p[i - 1] == c)
			return (long)(i - 1);
	return -1;
}

static long naive_search(const unsigned char *p, size_t n, const unsigned char *s, size_t m)
{
	if (m == 0)
		return 0;
	for (size_t i = 0; i + m <= n; i++) {
		size_t j = 0;
		while (j < m && p[i + j] == s[j])
			j++;
		if (j == m)
			return (long)i;
	}
	return -1;
}

/* ck_assert records every assertion that passes (a write to a file each):
 * the loops below, with millions of them, check first and only fail
 * through Check. */
#define expect(cond, ...) \
	do { \
		if (!(cond)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

static long pos(const char *r, const char *base)
{
	return r ? (long)(r - base) : -1;
}

/* Bytes from a small alphabet so matches are frequent; includes the byte
 * values where signed/unsigned mix-ups show (0x00, 0x80, 0xff). */
static const unsigned char alphabet[] = { '\n', 'a', 'b', ' ', 0x00, 0x80, 0xff, '4' };

static void fill(unsigned char *p, size_t n, uint64_t *rs)
{
	for (size_t i = 0; i < n; i++)
		p[i] = alphabet[test_rand(rs) % sizeof alphabet];
}

START_TEST(test_levels_present)
{
	load_levels();
	ck_assert_int_ge(nlevels, 1);
	ck_assert_ptr_eq(levels[0], &rf__kernels_scalar);
	ck_assert_ptr_nonnull(rf__kernels(RF_SIMD_AUTO));
	/* a level the CPU has is offered, and one it lacks is not */
	const struct { enum rf_simd level; const char *flags; } need[] = {
		{ RF_SIMD_SSE2, "sse2" },
		{ RF_SIMD_AVX2, "avx2" },
		{ RF_SIMD_AVX512, "avx512f avx512bw avx512vl bmi2" },
	};
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
		int has = cpu_has(need[i].flags);
		if (has >= 0)
			ck_assert_msg((rf__kernels(need[i].level) != NULL) == has, "%s: the CPU %s it",
				      rf_simd_name(need[i].level), has ? "has" : "lacks");
	}
	/* auto is the best level there is */
	ck_assert_ptr_eq(rf__kernels(RF_SIMD_AUTO), levels[nlevels - 1]);
	ck_assert_int_eq(rf_simd_best(), levels[nlevels - 1]->level);
}
END_TEST

START_TEST(test_byte_kernels_every_length_and_alignment)
{
	/* every length at every alignment, against either guard page; the
	 * bytes around the buffer are the byte looked for */
	load_levels();
	unsigned char data[300];
	uint64_t rs = 7;
	for (size_t len = 0; len <= 300; len++)
		for (size_t gap = 0; gap < 64; gap++)
			for (int at_end = 0; at_end < 2; at_end++) {
				char *p = place(len, gap, at_end);
				fill(data, len, &rs);
				for (size_t ci = 0; ci < sizeof alphabet; ci += 2) { /* NUL among them */
					unsigned char c = alphabet[ci];
					poison_around(p, len, c);
					memcpy(p, data, len);
					size_t want_count = naive_count(data, len, c);
					long want_find = naive_find(data, len, c), want_rfind = naive_rfind(data, len, c);
					for (int l = 0; l < nlevels; l++) {
						const struct rf_kernels *k = levels[l];
						const char *name = rf_simd_name(k->level);
						expect(k->count_byte(p, len, c) == want_count, "%s count len %zu gap %zu end %d",
							      name, len, gap, at_end);
						expect(pos(k->find_byte(p, len, c), p) == want_find,
							      "%s find len %zu gap %zu end %d", name, len, gap, at_end);
						expect(pos(k->find_last_byte(p, len, c), p) == want_rfind,
							      "%s rfind len %zu gap %zu end %d", name, len, gap, at_end);
					}
				}
			}
}
END_TEST

START_TEST(test_find_literal_every_length_and_alignment)
{
	/* as above; the page around the buffer holds copies of the needle, which
	 * a kernel reading past either end would find */
	load_levels();
	unsigned char needle[70];
	uint64_t rs = 11;
	for (size_t len = 0; len <= 300; len++)
		for (size_t gap = 0; gap < 64; gap++)
			for (int at_end = 0; at_end < 2; at_end++) {
				char *p = place(len, gap, at_end);
				/* mostly short needles, now and then one longer than a block */
				size_t m = test_rand(&rs) % 8 ? 1 + test_rand(&rs) % 5 : 1 + test_rand(&rs) % sizeof needle;
				fill(needle, m, &rs);
				char *page = guarded_page();
				for (size_t i = 0; i < (size_t)sysconf(_SC_PAGESIZE); i++)
					page[i] = (char)needle[i % m];
				fill((unsigned char *)p, len, &rs);
				/* plant the needle at the start, the very end, or at random */
				if (len >= m) {
					size_t where = test_rand(&rs) % 4;
					size_t at = where == 0 ? 0 : where == 1 ? len - m : test_rand(&rs) % (len - m + 1);
					if (where < 3)
						memcpy(p + at, needle, m);
				}
				struct rf_needle nd;
				rf__needle_init(&nd, (char *)needle, m);
				long want = naive_search((unsigned char *)p, len, needle, m);
				for (int l = 0; l < nlevels; l++) {
					long got = pos(levels[l]->find_literal(p, len, &nd), p);
					expect(got == want, "%s literal len %zu gap %zu end %d m %zu: got %ld want %ld",
						      rf_simd_name(levels[l]->level), len, gap, at_end, m, got, want);
				}
			}
}
END_TEST

START_TEST(test_needle_cut_by_buffer_end)
{
	/* The needle's prefix sits at the end of the buffer and its rest just
	 * past it: no kernel may report it, nor read past the end. */
	load_levels();
	static char area[256];
	memset(area, 'x', sizeof area);
	memcpy(area + 100, "needle", 6);
	struct rf_needle nd;
	rf__needle_init(&nd, "needle", 6);
	for (size_t end = 100; end < 106; end++)
		for (int l = 0; l < nlevels; l++)
			ck_assert_ptr_null(levels[l]->find_literal(area, end, &nd));
	for (int l = 0; l < nlevels; l++)
		ck_assert_ptr_eq(levels[l]->find_literal(area, 106, &nd), area + 100);
}
END_TEST

START_TEST(test_long_needles_and_empty)
{
	load_levels();
	static char hay[4096];
	uint64_t rs = 3;
	for (size_t i = 0; i < sizeof hay; i++)
		hay[i] = (char)('a' + test_rand(&rs) % 3);
	const char *lit = "GET /api/v1/users/12345 HTTP/1.1";
	memcpy(hay + 3000, lit, strlen(lit));
	struct rf_needle nd, empty;
	rf__needle_init(&nd, lit, strlen(lit));
	rf__needle_init(&empty, "", 0);
	for (int l = 0; l < nlevels; l++) {
		ck_assert_ptr_eq(levels[l]->find_literal(hay, sizeof hay, &nd), hay + 3000);
		ck_assert_ptr_eq(levels[l]->find_literal(hay, sizeof hay, &empty), hay);
		ck_assert_ptr_null(levels[l]->find_literal(hay, 3000 + strlen(lit) - 1, &nd));
	}
}
END_TEST

START_TEST(test_count_folding_large)
{
	/* More than 255 rounds of the vector loop: the byte accumulators must be
	 * folded before they wrap. */
	load_levels();
	size_t n = (1 << 20) + 77;
	char *p = malloc(n);
	ck_assert_ptr_nonnull(p);
	memset(p, '\n', n);
	uint64_t rs = 5;
	size_t holes = 0;
	for (size_t i = 0; i < n; i += 1 + test_rand(&rs) % 97) {
		p[i] = 'x';
		holes++;
	}
	for (int l = 0; l < nlevels; l++)
		ck_assert_uint_eq(levels[l]->count_byte(p, n, '\n'), n - holes);
	free(p);
}
END_TEST

/* awk-style field splitting, written from scratch as the oracle */
static size_t naive_split(const unsigned char *p, size_t n, size_t want, struct rf_field *out)
{
	size_t nf = 0, i = 0;
	for (;;) {
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i >= n || nf == want)
			return nf;
		size_t s = i;
		while (i < n && p[i] != ' ' && p[i] != '\t')
			i++;
		out[nf].start = (uint32_t)s;
		out[nf].end = (uint32_t)i;
		nf++;
	}
}

static const unsigned char split_alphabet[] = { ' ', ' ', '\t', 'a', 'b', '\n', 0x00, 0xff };

START_TEST(test_split_blank_every_length_and_alignment)
{
	/* as above; the bytes around the record are not blank, so a kernel
	 * reading them would lengthen the first or last field */
	load_levels();
	struct rf_field want_f[160], got_f[160];
	uint64_t rs = 13;
	for (size_t len = 0; len <= 300; len++)
		for (size_t gap = 0; gap < 64; gap++)
			for (int at_end = 0; at_end < 2; at_end++) {
				char *p = place(len, gap, at_end);
				poison_around(p, len, 'x');
				for (size_t i = 0; i < len; i++)
					p[i] = (char)split_alphabet[test_rand(&rs) % sizeof split_alphabet];
				size_t want = 1 + test_rand(&rs) % 150;
				size_t first = test_rand(&rs) % 3 ? test_rand(&rs) % want : 0;
				size_t wn = naive_split((unsigned char *)p, len, want, want_f);
				for (int l = 0; l < nlevels; l++) {
					const char *name = rf_simd_name(levels[l]->level);
					size_t gn = levels[l]->split_blank(p, len, first, want, got_f);
					expect(gn == wn,
						      "%s split len %zu gap %zu end %d first %zu want %zu: %zu fields, want %zu",
						      name, len, gap, at_end, first, want, gn, wn);
					for (size_t f = first; f < wn; f++)
						expect(got_f[f].start == want_f[f].start && got_f[f].end == want_f[f].end,
							      "%s split len %zu gap %zu end %d field %zu", name, len, gap, at_end, f);
				}
			}
}
END_TEST

START_TEST(test_rare_byte_choice)
{
	struct rf_needle nd;
	rf__needle_init(&nd, " 404 ", 5);
	ck_assert_uint_ne(nd.b1, ' ');
	ck_assert_uint_ne(nd.b2, ' ');
	ck_assert_uint_lt(nd.i1, nd.i2);
	rf__needle_init(&nd, "Q", 1);
	ck_assert_uint_eq(nd.i1, 0);
	ck_assert_uint_eq(nd.i2, 0);
}
END_TEST

int main(void)
{
	/* say which levels this run leaves out, and why */
	load_levels();
	for (int l = RF_SIMD_SSE2; l <= RF_SIMD_AVX512; l++)
		if (!rf__kernels((enum rf_simd)l))
			printf("check_simd: %s not tested: this CPU lacks it (or the OS does not enable its registers)\n",
			       rf_simd_name((enum rf_simd)l));
	Suite *s = suite_create("simd");
	TCase *tc = tcase_create("kernels");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_levels_present);
	tcase_add_test(tc, test_byte_kernels_every_length_and_alignment);
	tcase_add_test(tc, test_find_literal_every_length_and_alignment);
	tcase_add_test(tc, test_needle_cut_by_buffer_end);
	tcase_add_test(tc, test_long_needles_and_empty);
	tcase_add_test(tc, test_count_folding_large);
	tcase_add_test(tc, test_rare_byte_choice);
	tcase_add_test(tc, test_split_blank_every_length_and_alignment);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
