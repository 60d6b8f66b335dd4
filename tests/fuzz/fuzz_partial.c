/* SPDX-License-Identifier: MIT */
/* fuzz_partial.c - the partial-aggregate decoder (what a multiprocess
 * worker sends its parent) fed damaged payloads.
 *
 * A random header never passes the checksum, so the harness wraps the
 * fuzz input in a valid header - magic, version and fingerprint copied from
 * a real encoding of the same query, length and checksum computed - and
 * makes the decoder face the payload itself.  It must refuse or merge,
 * and a merged state must still print.  FUZZ_WRITE_SEED=FILE makes it
 * write the payload of a real encoding of an empty state there, and of a
 * state holding every kind of cell (128-bit sums, min/max past 64 bits,
 * sketch pages of both signs) to FILE-filled: the seed corpus.
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

/* A state of a few rows with every kind of value in it. */
static struct rf_agg_state *filled_state(void)
{
	static const char *const vals[][3] = {
		{ "a", "9223372036854775807", "x" }, { "a", "9223372036854775807", "y" },
		{ "b", "-1e300", "x" },               { "b", "1e25", "" },
		{ "b", "18446744073709551615", "z" }, { "b", "1e400", "z" },
		{ "c", "0", "x" },                    { "c", "-0.5", "x" },
		{ "c", "1000", "w" },
	};
	enum { N = sizeof vals / sizeof *vals };
	int slot[3] = { cfg->key[0].field.slot, cfg->agg[1].field.slot, cfg->agg[5].field.slot };
	uint32_t nslots = 0;
	for (int i = 0; i < 3; i++)
		if ((uint32_t)slot[i] + 1 > nslots)
			nslots = (uint32_t)slot[i] + 1;
	struct rf_batch b;
	memset(&b, 0, sizeof b);
	b.data = "";
	b.nsel = N;
	if (rf__batch_reserve(&b, N) < 0 || rf__batch_reserve_vals(&b, nslots) < 0)
		abort();
	for (uint32_t r = 0; r < N; r++)
		for (int i = 0; i < 3; i++)
			b.vals[r * nslots + (uint32_t)slot[i]] = (struct rf_value){ vals[r][i], (int32_t)strlen(vals[r][i]) };
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
		struct rf_agg_state *full = filled_state();
		write_seed(path, full);
		rf__agg_free(full);
	}
	rf__agg_free(st);
}

static void decode(const char *p, size_t n)
{
	struct rf_agg_state *dst = rf__agg_new(cfg, k);
	if (!dst)
		abort();
	int r = rf__agg_decode_merge(dst, p, n);
	if (r == 0) {
		struct rf_table *t;
		if (rf__agg_table(dst, &t) == 0)
			rf__table_free(t);
	} else if (r != -EBADMSG && r != -ENOMEM) {
		abort();
	}
	rf__agg_free(dst);
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
	uint64_t plen = size, sum = rf__agg_payload_sum(buf + HEADER, size);
	memcpy(buf + 16, &plen, 8);
	memcpy(buf + 24, &sum, 8);
	decode(buf, HEADER + size);
	/* and as it came, header and all: the checks in front must hold too */
	decode((const char *)data, size);
	free(buf);
	return 0;
}
