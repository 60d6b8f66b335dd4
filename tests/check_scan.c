/* SPDX-License-Identifier: MIT */
/* check_scan.c - the JSON structural scan of every level against a model
 * that walks the bytes one at a time (written from the definition in
 * scan.h, not from the bit tricks), on random text made of the bytes that
 * matter: quotes, backslash runs, structural characters, blanks, control
 * bytes, at every length around the 64-byte blocks and every alignment,
 * with the record's end against an unreadable page. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "helpers.h"
#include "scan.h"

static const struct rf_scanner *scanners[4];
static const char *names[4];
static int nscanners;

static void load_scanners(void)
{
	nscanners = 0;
	scanners[nscanners] = &rf__scanner_scalar;
	names[nscanners++] = "scalar";
	scanners[nscanners] = &rf__scanner_sse2;
	names[nscanners++] = "sse2";
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul")) {
		scanners[nscanners] = &rf__scanner_avx2;
		names[nscanners++] = "avx2";
	} else {
		printf("check_scan: avx2 scanner not tested: this CPU lacks AVX2 or PCLMUL\n");
	}
	if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("bmi2")) {
		scanners[nscanners] = &rf__scanner_avx512;
		names[nscanners++] = "avx512";
	} else {
		printf("check_scan: avx512 scanner not tested: this CPU lacks AVX-512BW\n");
	}
}

/* The model: tokens and flags by the definition. */
static size_t model(const unsigned char *p, size_t n, uint32_t *tok, unsigned *flags)
{
	int in = 0, esc = 0, prev_other = 0, bs = 0, bad = 0;
	size_t nt = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		int escaped = esc;
		esc = 0;
		if (c == '\\') {
			bs = 1;
			if (!escaped)
				esc = 1; /* the byte after an unescaped backslash is escaped */
		}
		int real_quote = c == '"' && !escaped;
		if (in) {
			if (real_quote)
				in = 0; /* the closing quote: no token */
			else if (c < 0x20)
				bad = 1;
			prev_other = 0;
			continue;
		}
		if (real_quote) {
			tok[nt++] = (uint32_t)i;
			in = 1;
			prev_other = 0;
		} else if (c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',') {
			tok[nt++] = (uint32_t)i;
			prev_other = 0;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"') {
			prev_other = 0; /* blanks, and an escaped quote outside a string */
		} else {
			if (!prev_other)
				tok[nt++] = (uint32_t)i;
			prev_other = 1;
		}
	}
	*flags = (bs ? RF_SCAN_BACKSLASH : 0) | (bad || in ? RF_SCAN_BAD : 0);
	return nt;
}

static const char alphabet[] = "\"\"\"\\\\\\{}[]:, \t\r\n0a9x\x01\x1f\x7f\xff";

static void fill(unsigned char *p, size_t n, unsigned seed, int mode)
{
	srand(seed);
	for (size_t i = 0; i < n; i++) {
		if (mode == 0)
			p[i] = (unsigned char)alphabet[rand() % (int)(sizeof alphabet - 1)];
		else if (mode == 1) /* long backslash runs, few quotes */
			p[i] = rand() % 4 ? '\\' : (rand() % 3 ? '"' : 'a');
		else /* json-ish: mostly plain text in strings */
			p[i] = rand() % 8 == 0 ? (unsigned char)"\"{}:,\\ "[rand() % 7] : (unsigned char)('a' + rand() % 26);
	}
}

static void compare(const unsigned char *p, size_t n, const char *what)
{
	uint32_t want[400], got[400 + 72];
	unsigned wf, gf;
	size_t wn = model(p, n, want, &wf);
	for (int s = 0; s < nscanners; s++) {
		memset(got, 0xee, sizeof got);
		size_t gn = scanners[s]->json_index((const char *)p, n, got, &gf);
		ck_assert_msg(gn == wn && gf == wf && memcmp(got, want, wn * sizeof *want) == 0,
			      "%s: %s scanner, length %zu: %zu tokens flags %u, want %zu flags %u", what, names[s], n, gn,
			      gf, wn, wf);
	}
}

START_TEST(test_random_every_length)
{
	load_scanners();
	unsigned char buf[400];
	for (int mode = 0; mode < 3; mode++)
		for (size_t n = 0; n <= 300; n++)
			for (unsigned seed = 0; seed < 40; seed++) {
				fill(buf, n, seed * 1000 + (unsigned)n + (unsigned)mode * 7919, mode);
				compare(buf, n, "random");
			}
}
END_TEST

/* backslash runs of every length ending on every byte around a block
 * boundary, then a quote: the carry from block to block */
START_TEST(test_backslash_runs_across_blocks)
{
	load_scanners();
	unsigned char buf[300];
	for (size_t end = 50; end < 200; end++)
		for (size_t run = 0; run <= 70 && run <= end; run++) {
			memset(buf, 'a', sizeof buf);
			buf[0] = '"';
			memset(buf + end - run, '\\', run);
			buf[end] = '"';
			buf[end + 1] = ',';
			compare(buf, end + 2, "backslash run");
			compare(buf, end + 1, "backslash run at the end");
		}
}
END_TEST

/* the record's last byte against a page nobody may read: no level reads
 * past the end */
START_TEST(test_end_at_guard_page)
{
	load_scanners();
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_int_eq(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	for (size_t n = 0; n <= 300; n++) {
		unsigned char *p = map + page - n;
		fill(p, n, (unsigned)n, 2);
		compare(p, n, "guard page");
	}
	munmap(map, (size_t)page * 2);
}
END_TEST

/* the separator index against a plain loop */
START_TEST(test_sep_index)
{
	load_scanners();
	unsigned char buf[400];
	uint32_t want[400], got[400 + 72];
	const char seps[] = { ',', '\t' };
	for (int si = 0; si < 2; si++)
		for (size_t n = 0; n <= 300; n++)
			for (unsigned seed = 0; seed < 20; seed++) {
				srand(seed * 7 + (unsigned)n);
				for (size_t i = 0; i < n; i++)
					buf[i] = (unsigned char)",\t\"a0 \0\xff"[rand() % 8];
				size_t wn = 0;
				int wq = 0;
				for (size_t i = 0; i < n; i++) {
					if (buf[i] == (unsigned char)seps[si])
						want[wn++] = (uint32_t)i;
					wq |= buf[i] == '"';
				}
				for (int s = 0; s < nscanners; s++) {
					int gq = -1;
					size_t gn = scanners[s]->sep_index((const char *)buf, n, seps[si], got, &gq);
					ck_assert_msg(gn == wn && gq == wq && memcmp(got, want, wn * sizeof *want) == 0,
						      "%s sep_index length %zu: %zu seps quoted %d, want %zu quoted %d",
						      names[s], n, gn, gq, wn, wq);
				}
			}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scan");
	TCase *tc = tcase_create("json");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_random_every_length);
	tcase_add_test(tc, test_backslash_runs_across_blocks);
	tcase_add_test(tc, test_end_at_guard_page);
	tcase_add_test(tc, test_sep_index);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
