/* SPDX-License-Identifier: MIT */
/* fuzz_partial.c - the partial-aggregate decoder (what a multiprocess
 * worker sends its parent, what ringflow merge reads) fed damaged payloads.
 *
 * A random header never passes the checksum, so the harness wraps the
 * fuzz input in a valid header - magic, version and fingerprint copied from
 * a real encoding of the same query, length computed - and makes the
 * decoder face the payload itself.  The format's checksums are computed
 * for it too: where the payload's part directory parses (the layout is
 * the format comment in aggregate.c), each part's checksum is written
 * into it and the head's into the header, else a random payload would
 * never get past the first part.  The result goes to the one-state
 * decoder, and to the many-states merge next to a valid state (before it
 * and after it, with threads 1 and 2 asked for, with and without the
 * final flag; fuzz inputs are far below the size that takes a second
 * thread, so the threads themselves are tests/merge_many.sh's).
 * Each must refuse or merge, and a merged state must still print.
 * FUZZ_WRITE_SEED=FILE makes it write the payload of a real encoding of
 * an empty state there, of a state holding every kind of cell (128-bit
 * sums, min/max past 64 bits, sketch pages of both signs) to FILE-filled,
 * and of one of enough groups to have several parts to FILE-parts: the
 * seed corpus.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ringflow.h"
#include "engine.h"
#include "aggregate.h"
#include "simd.h"
#include "strmap.h"
#include "table.h"
#include "fuzz.h"

#define HEADER 32

static rf_query *q;
static const struct rf_agg_config *cfg;
static const struct rf_kernels *k;
static char head[HEADER];
static char *valid;             /* a whole encoding of filled_state() */
static size_t valid_len;

/* A state of a few rows with every kind of value in it, and `more` rows
 * of more groups after them. */
static struct rf_agg_state *filled_state(uint32_t more)
{
	static const char *const vals[][3] = {
		{ "a", "9223372036854775807", "x" }, { "a", "9223372036854775807", "y" },
		{ "b", "-1e300", "x" },               { "b", "1e25", "" },
		{ "b", "18446744073709551615", "z" }, { "b", "1e400", "z" },
		{ "c", "0", "x" },                    { "c", "-0.5", "x" },
		{ "c", "1000", "w" },
	};
	enum { N = sizeof vals / sizeof *vals };
	char keys[64][8];
	int slot[3] = { cfg->key[0].field.slot, cfg->agg[1].field.slot, cfg->agg[5].field.slot };
	uint32_t nslots = 0;
	for (int i = 0; i < 3; i++)
		if ((uint32_t)slot[i] + 1 > nslots)
			nslots = (uint32_t)slot[i] + 1;
	struct rf_batch b;
	memset(&b, 0, sizeof b);
	b.data = "";
	if (more > 64)
		abort();
	b.nsel = N + more;
	if (rf__batch_reserve(&b, N + more) < 0 || rf__batch_reserve_vals(&b, nslots) < 0)
		abort();
	for (uint32_t r = 0; r < N + more; r++) {
		const char *const *v = r < N ? vals[r] : vals[r % N];
		for (int i = 0; i < 3; i++)
			b.vals[r * nslots + (uint32_t)slot[i]] = (struct rf_value){ v[i], (int32_t)strlen(v[i]) };
		if (r >= N) {
			snprintf(keys[r - N], sizeof keys[r - N], "g%u", r - N);
			b.vals[r * nslots + (uint32_t)slot[0]] = (struct rf_value){ keys[r - N], (int32_t)strlen(keys[r - N]) };
		}
	}
	struct rf_agg_state *st = rf__agg_new(cfg, k);
	if (!st || rf__agg_process(st, &b) < 0)
		abort();
	rf__batch_free(&b);
	return st;
}

static void write_seed(const char *path, const struct rf_agg_state *st)
{
	char *enc;
	size_t n;
	FILE *f = fopen(path, "w");
	if (!f || rf__agg_encode(st, &enc, &n) < 0)
		abort();
	fwrite(enc + HEADER, 1, n - HEADER, f);
	fclose(f);
	free(enc);
}

static void setup(void)
{
	struct rf_query_error err;
	if (rf_query_parse("split | count, sum($2), avg($2), min($2), max($2), distinct($3), p99($2) by $1",
			   &q, &err) < 0)
		abort();
	cfg = q->stage[q->agg_stage].config;
	k = rf__kernels(RF_SIMD_SCALAR);
	struct rf_agg_state *st = rf__agg_new(cfg, k);
	char *enc;
	size_t n;
	if (!st || rf__agg_encode(st, &enc, &n) < 0 || n < HEADER)
		abort();
	memcpy(head, enc, HEADER);
	free(enc);
	const char *seed = getenv("FUZZ_WRITE_SEED");
	if (seed) {
		write_seed(seed, st);
		char path[4096];
		snprintf(path, sizeof path, "%s-filled", seed);
		struct rf_agg_state *full = filled_state(0);
		write_seed(path, full);
		rf__agg_free(full);
		snprintf(path, sizeof path, "%s-parts", seed);
		full = filled_state(60);
		write_seed(path, full);
		rf__agg_free(full);
	}
	rf__agg_free(st);
	struct rf_agg_state *full = filled_state(0);
	if (!full || rf__agg_encode(full, &valid, &valid_len) < 0)
		abort();
	rf__agg_free(full);
}

/* A merged state prints; a refusal is of damage (or of memory). */
static void settle(struct rf_agg_state *dst, int r)
{
	if (r == 0) {
		struct rf_table *t;
		if (rf__agg_table(dst, &t) == 0)
			rf__table_free(t);
	} else if (r != -EBADMSG && r != -ENOMEM) {
		abort();
	}
	rf__agg_free(dst);
}

static void decode(const char *p, size_t n)
{
	struct rf_agg_state *dst = rf__agg_new(cfg, k);
	if (!dst)
		abort();
	settle(dst, rf__agg_decode_merge(dst, p, n));
}

/* p merged with the valid state, in both orders, 1 and 2 threads. */
static void decode_many(const char *p, size_t n)
{
	for (int v = 0; v < 4; v++) {
		struct rf_agg_blob b[2] = { { valid, valid_len, 0 }, { p, n, 2 } };
		if (v & 1)
			b[0] = (struct rf_agg_blob){ p, n, 0 }, b[1] = (struct rf_agg_blob){ valid, valid_len, 2 };
		struct rf_agg_state *dst = rf__agg_new(cfg, k);
		if (!dst)
			abort();
		size_t bad = 99;
		int r = rf__agg_decode_merge_many(dst, b, 2, 1 + (v >> 1), v == 3 ? RF_AGG_MERGE_FINAL : 0, &bad);
		if (r < 0 && bad > 1)
			abort();
		settle(dst, r);
	}
}

static uint64_t get64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* The checksums of a wrapped payload: each part's, where the directory
 * parses, and the head's (the whole payload's when it does not). */
static void sum_payload(char *buf, size_t size)
{
	char *pl = buf + HEADER;
	size_t at = 8, headlen = size;
	if (size >= 8) {
		uint32_t naggs, nkeys;
		memcpy(&naggs, pl, 4);
		memcpy(&nkeys, pl + 4, 4);
		/* the counters, ngroups, bits */
		uint64_t skip = 8 * ((uint64_t)naggs + nkeys) + 9;
		if (skip <= size - at) {
			at += (size_t)skip;
			unsigned bits = (uint8_t)pl[at - 1];
			size_t dirlen = (size_t)16 << (bits <= 16 ? bits : 0);
			if (bits <= 16 && dirlen <= size - at) {
				char *dir = pl + at, *groups = dir + dirlen;
				size_t glen = size - at - dirlen;
				uint64_t from = 0;
				for (size_t i = 0; i < (size_t)1 << bits; i++) {
					uint64_t end = get64(dir + 16 * i);
					if (end < from || end > glen)
						break;
					uint64_t sum = rf__agg_payload_sum(groups + from, (size_t)(end - from));
					memcpy(dir + 16 * i + 8, &sum, 8);
					from = end;
				}
				headlen = at + dirlen;
			}
		}
	}
	uint64_t plen = size, sum = rf__agg_payload_sum(pl, headlen);
	memcpy(buf + 16, &plen, 8);
	memcpy(buf + 24, &sum, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!q)
		setup();
	char *buf = malloc(HEADER + size);
	if (!buf)
		return 0;
	memcpy(buf, head, HEADER);
	memcpy(buf + HEADER, data, size);
	sum_payload(buf, size);
	decode(buf, HEADER + size);
	decode_many(buf, HEADER + size);
	/* and as it came, header and all: the checks in front must hold too */
	decode((const char *)data, size);
	free(buf);
	return 0;
}
