/* SPDX-License-Identifier: MIT */
/* plugin_sum.c - an example plugin with an aggregate: `bytesum FIELD`, the
 * sum of FIELD over the records, as `sum(FIELD)` gives it; values that are
 * missing or no whole number are left out.  Its result column is
 * bytesum(FIELD).
 *
 *   ringflow --plugin ./plugin_sum.so 'parse combined | where status == 200 | bytesum bytes' access.log
 *
 * An aggregate runs as several instances (threads, forked processes), each
 * summing its share: merge adds another instance's sum in, serialize and
 * deserialize carry a sum between processes as 8 bytes, little-endian. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ringflow.h"

struct bytesum {
	int field;
	int64_t sum;
};

static int sum_open(rf_stage_setup *setup, int argc, const char *const *argv, void **state, char *err,
		    size_t errlen)
{
	if (argc != 1) {
		snprintf(err, errlen, "needs one FIELD, got %d arguments", argc);
		return -EINVAL;
	}
	char label[256];
	snprintf(label, sizeof label, "bytesum(%s)", argv[0]);
	struct bytesum *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->field = rf_stage_read(setup, argv[0]);
	int col = s->field < 0 ? s->field : rf_stage_column(setup, label);
	if (col < 0) {
		free(s);
		snprintf(err, errlen, "cannot use the field '%s'", argv[0]);
		return col;
	}
	*state = s;
	return 0;
}

/* A whole number: an optional sign and 1 to 18 digits (no overflow). */
static int whole(const char *p, size_t n, int64_t *out)
{
	size_t i = n && (p[0] == '-' || p[0] == '+');
	if (i == n || n - i > 18)
		return 0;
	int64_t v = 0;
	for (size_t k = i; k < n; k++) {
		if (p[k] < '0' || p[k] > '9')
			return 0;
		v = v * 10 + (p[k] - '0');
	}
	*out = p[0] == '-' ? -v : v;
	return 1;
}

static int sum_process(void *state, rf_stage_batch *batch)
{
	struct bytesum *s = state;
	size_t n = rf_stage_records(batch);
	for (size_t i = 0; i < n; i++) {
		const char *p;
		size_t len;
		int64_t v;
		if (rf_stage_field(batch, i, s->field, &p, &len) == 0 && whole(p, len, &v))
			s->sum += v;
	}
	return 0;
}

static int sum_finish(void *state, rf_stage_result *result)
{
	struct bytesum *s = state;
	return rf_stage_result_int(result, 0, s->sum);
}

static int sum_merge(void *state, void *other)
{
	((struct bytesum *)state)->sum += ((struct bytesum *)other)->sum;
	return 0;
}

static long sum_serialize(void *state, void *buf, size_t cap)
{
	uint64_t v = (uint64_t)((struct bytesum *)state)->sum;
	if (cap >= 8)
		for (int i = 0; i < 8; i++)
			((unsigned char *)buf)[i] = (unsigned char)(v >> (8 * i));
	return 8;
}

static int sum_deserialize(void *state, const void *buf, size_t len)
{
	if (len != 8)
		return -EBADMSG;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)((const unsigned char *)buf)[i] << (8 * i);
	((struct bytesum *)state)->sum += (int64_t)v;
	return 0;
}

static void sum_close(void *state)
{
	free(state);
}

static const struct rf_stage_def bytesum_stage = {
	.size = sizeof(struct rf_stage_def),
	.abi_version = RF_STAGE_ABI_VERSION,
	.name = "bytesum",
	.usage = "bytesum FIELD",
	.aggregate = 1,
	.open = sum_open,
	.process = sum_process,
	.finish = sum_finish,
	.close = sum_close,
	.merge = sum_merge,
	.serialize = sum_serialize,
	.deserialize = sum_deserialize,
};

static const struct rf_stage_def *const stages[] = { &bytesum_stage, NULL };

static const struct rf_plugin plugin = {
	.size = sizeof(struct rf_plugin),
	.abi_version = RF_STAGE_ABI_VERSION,
	.stages = stages,
};

const struct rf_plugin *rf_plugin_init(void)
{
	return &plugin;
}
