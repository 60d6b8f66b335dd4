/* SPDX-License-Identifier: MIT */
/* fuzz_decode.c - the decoders on any input: never a crash, an overrun, a
 * call that makes no progress, or a count that disagrees with what was
 * handed back.  The first byte picks the format (or detection decides,
 * when its value says so) and the sizes of the input pieces and output
 * room, so that members and frames are cut everywhere.
 *
 * Oracles computed here: the decoder's totals equal the sums of what its
 * calls reported; RF_DEC_END only once all input is given and taken; an
 * error has a message and an offset within the input; detection decides
 * on the first RF_CODEC_MAGIC_MAX bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "codec.h"

/* stop a bomb after this much output, or this many calls */
#define OUT_LIMIT (4u << 20)
#define CALL_LIMIT 200000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned shape = data[0];
	data++, size--;
	int det = rf__codec_detect(data, size, 1);
	if (det < 0 || det >= RF_CODEC_COUNT)
		abort();
	/* the first RF_CODEC_MAGIC_MAX bytes decide, whatever follows */
	if (size >= RF_CODEC_MAGIC_MAX && rf__codec_detect(data, RF_CODEC_MAGIC_MAX, 0) != det)
		abort();
	int c = (shape & 7) < 5 ? (int)(shape & 7) + 1 : det;
	if (c == RF_CODEC_NONE)
		return 0;
	static const size_t pieces[] = {1, 7, 4096, 1 << 20};
	static const size_t rooms[] = {1, 13, 65536, 1 << 20};
	size_t piece = pieces[(shape >> 3) & 3], room = rooms[(shape >> 5) & 3];
	struct rf_decoder *d;
	if (rf__decoder_new(&d, (enum rf_codec)c) != 0)
		return 0; /* not built in */
	char *out = malloc(room);
	size_t pos = 0;
	uint64_t made_sum = 0;
	int r = RF_DEC_OK;
	for (unsigned calls = 0; made_sum < OUT_LIMIT && calls < CALL_LIMIT; calls++) {
		size_t n = size - pos < piece ? size - pos : piece;
		int at_end = pos + n == size;
		size_t used, made;
		if ((shape & 0x80) && !at_end) {
			/* drain with no input first, as a reader does */
			r = rf__decoder_run(d, NULL, 0, &used, out, room, &made, 0);
			if (used || made > room || r == RF_DEC_END)
				abort();
			made_sum += made;
			if (r != RF_DEC_OK)
				break;
		}
		r = rf__decoder_run(d, data + pos, n, &used, out, room, &made, at_end);
		if (used > n || made > room)
			abort();
		pos += used;
		made_sum += made;
		if (r != RF_DEC_OK)
			break;
		if (!used && !made && n) {
			fprintf(stderr, "no progress at %zu of %zu\n", pos, size);
			abort();
		}
		if (!used && !made && !n && at_end) {
			fprintf(stderr, "no progress at the end\n");
			abort();
		}
	}
	if (r == RF_DEC_END && pos != size)
		abort();
	if (r == RF_DEC_BAD && (!rf__decoder_error(d)[0] || rf__decoder_error_offset(d) > size))
		abort();
	if (rf__decoder_in_total(d) != pos || rf__decoder_out_total(d) != made_sum)
		abort();
	free(out);
	rf__decoder_free(d);
	return 0;
}
