/* SPDX-License-Identifier: MIT */
/* codec_impl.h - what codec.c shares with the per-format decoders: one
 * decoder struct (common counters and error, then the format's state) and
 * each format's operations.  Private to io/codec*.c. */
#ifndef RF_CODEC_IMPL_H
#define RF_CODEC_IMPL_H

#include <stdio.h>
#include "codec.h"

struct rf_decoder_ops {
	/* set up d->state; 0 or -ENOMEM */
	int (*init)(struct rf_decoder *d);
	/* rf__decoder_run without the bookkeeping: *in_used and *out_made
	 * start at 0; on RF_DEC_BAD it has called rf__dec_fail */
	int (*run)(struct rf_decoder *d, const unsigned char *in, size_t in_len, size_t *in_used, char *out,
		   size_t out_cap, size_t *out_made, int at_end);
	void (*free)(struct rf_decoder *d);
};

struct rf_decoder {
	enum rf_codec codec;
	const struct rf_decoder_ops *ops;
	uint64_t in_total, out_total; /* before the current call */
	int bad;
	int ended;                    /* RF_DEC_END was returned */
	const char *error;
	uint64_t error_offset;
	char msg[160];
	void *state;
};

/* Record an error: msg is copied (a library's text may not outlive the
 * call), `offset` is in compressed bytes from the input's start.  Inline,
 * so that the formats' files call nothing in codec.c (which calls them). */
static inline int rf__dec_fail(struct rf_decoder *d, const char *msg, uint64_t offset)
{
	snprintf(d->msg, sizeof d->msg, "%s", msg);
	d->error = d->msg;
	d->error_offset = offset;
	d->bad = 1;
	return RF_DEC_BAD;
}

/* Each format's operations, NULL when its library was not built in. */
extern const struct rf_decoder_ops *const rf__gzip_ops;
extern const struct rf_decoder_ops *const rf__zstd_ops;
extern const struct rf_decoder_ops *const rf__xz_ops;
extern const struct rf_decoder_ops *const rf__bzip2_ops;
extern const struct rf_decoder_ops *const rf__lz4_ops;

#endif
