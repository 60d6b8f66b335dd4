/* check_simd.c - every kernel level against a naive oracle and each other:
 * every length 0..300 at every alignment 0..63, needles at the edges. */
#include "config.h"
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "helpers.h"
#include "simd.h"

static const struct rf_kernels *levels[3];
static int nlevels;

static void load_levels(void)
{
	nlevels = 0;
	enum rf_simd want[] = { RF_SIMD_SCALAR, RF_SIMD_SSE2, RF_SIMD_AVX2 };
	for (int i = 0; i < 3; i++) {
		const struct rf_kernels *k = rf__kernels(want[i]);
		if (k)
			levels[nlevels++] = k;
	}
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
}
END_TEST

START_TEST(test_byte_kernels_every_length_and_alignment)
{
	load_levels();
	static unsigned char area[512 + 64] __attribute__((aligned(64)));
	uint64_t rs = 7;
	for (size_t len = 0; len <= 300; len++)
		for (size_t align = 0; align < 64; align++) {
			unsigned char *p = area + align;
			fill(p, len, &rs);
			for (size_t ci = 0; ci < sizeof alphabet; ci += 3) {
				unsigned char c = alphabet[ci];
				size_t want_count = naive_count(p, len, c);
				long want_find = naive_find(p, len, c), want_rfind = naive_rfind(p, len, c);
				for (int l = 0; l < nlevels; l++) {
					const struct rf_kernels *k = levels[l];
					ck_assert_msg(k->count_byte((char *)p, len, c) == want_count,
						      "%s count len %zu align %zu", rf_simd_name(k->level), len, align);
					ck_assert_msg(pos(k->find_byte((char *)p, len, c), (char *)p) == want_find,
						      "%s find len %zu align %zu", rf_simd_name(k->level), len, align);
					ck_assert_msg(pos(k->find_last_byte((char *)p, len, c), (char *)p) == want_rfind,
						      "%s rfind len %zu align %zu", rf_simd_name(k->level), len, align);
				}
			}
		}
}
END_TEST

START_TEST(test_find_literal_every_length_and_alignment)
{
	load_levels();
	static unsigned char area[512 + 64] __attribute__((aligned(64)));
	unsigned char needle[12];
	uint64_t rs = 11;
	for (size_t len = 0; len <= 300; len++)
		for (size_t align = 0; align < 64; align++) {
			unsigned char *p = area + align;
			fill(p, len, &rs);
			size_t m = 1 + test_rand(&rs) % 5;
			fill(needle, m, &rs);
			/* plant the needle at the start, the very end, or at random */
			if (len >= m) {
				size_t where = test_rand(&rs) % 3;
				size_t at = where == 0 ? 0 : where == 1 ? len - m : test_rand(&rs) % (len - m + 1);
				memcpy(p + at, needle, m);
			}
			struct rf_needle nd;
			rf__needle_init(&nd, (char *)needle, m);
			long want = naive_search(p, len, needle, m);
			for (int l = 0; l < nlevels; l++) {
				long got = pos(levels[l]->find_literal((char *)p, len, &nd), (char *)p);
				ck_assert_msg(got == want, "%s literal len %zu align %zu m %zu: got %ld want %ld",
					      rf_simd_name(levels[l]->level), len, align, m, got, want);
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
	load_levels();
	static unsigned char area[512 + 128] __attribute__((aligned(64)));
	struct rf_field want_f[160], got_f[160];
	uint64_t rs = 13;
	for (size_t len = 0; len <= 300; len++)
		for (size_t align = 0; align < 64; align++) {
			unsigned char *p = area + align;
			for (size_t i = 0; i < len; i++)
				p[i] = split_alphabet[test_rand(&rs) % sizeof split_alphabet];
			/* bytes after the record must not matter */
			for (size_t i = len; i < len + 64; i++)
				p[i] = (unsigned char)(i & 1 ? 'x' : ' ');
			size_t want = 1 + test_rand(&rs) % 150;
			size_t first = test_rand(&rs) % 3 ? test_rand(&rs) % want : 0;
			size_t wn = naive_split(p, len, want, want_f);
			for (int l = 0; l < nlevels; l++) {
				size_t gn = levels[l]->split_blank((char *)p, len, first, want, got_f);
				ck_assert_msg(gn == wn, "%s split len %zu align %zu first %zu want %zu: %zu fields, want %zu",
					      rf_simd_name(levels[l]->level), len, align, first, want, gn, wn);
				for (size_t f = first; f < wn; f++)
					ck_assert_msg(got_f[f].start == want_f[f].start && got_f[f].end == want_f[f].end,
						      "%s split len %zu align %zu field %zu", rf_simd_name(levels[l]->level),
						      len, align, f);
			}
		}
}
END_TEST

START_TEST(test_split_blank_at_page_end)
{
	/* A record that ends exactly where readable memory ends: the kernels
	 * must not load past it (the next page is inaccessible). */
	load_levels();
	long page = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	ck_assert_int_eq(mprotect(m + page, (size_t)page, PROT_NONE), 0);
	struct rf_field f[16], w[16];
	for (size_t len = 1; len <= 200; len++) {
		char *p = m + page - len;
		for (size_t i = 0; i < len; i++)
			p[i] = i % 7 == 3 ? ' ' : 'q';
		size_t wn = naive_split((unsigned char *)p, len, 16, w);
		for (int l = 0; l < nlevels; l++) {
			ck_assert_uint_eq(levels[l]->split_blank(p, len, len % 5, 16, f), wn);
			for (size_t i = len % 5; i < wn; i++)
				ck_assert(f[i].start == w[i].start && f[i].end == w[i].end);
			ck_assert_uint_eq(levels[l]->count_byte(p, len, ' '), naive_count((unsigned char *)p, len, ' '));
		}
	}
	munmap(m, (size_t)page * 2);
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
	tcase_add_test(tc, test_split_blank_at_page_end);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
