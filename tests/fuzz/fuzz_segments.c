/* SPDX-License-Identifier: MIT */
/* fuzz_segments.c - the compressed-file cutter (io/codec_segments.c) on
 * any bytes: no read past the input (the replay hands over an exact-size
 * copy, so ASan and valgrind see one), and cuts that are sane and bound
 * whole units.
 *
 * The first byte picks the format (zstd, gzip/BGZF, lz4, or another) and
 * the target segment size; the rest is the file.  Oracle: the cuts start
 * at 0, rise, stay below the size, and (but for xz, found from the end)
 * walking the format's units one by one from each cut lands exactly on the
 * next cut. */
#include <stdio.h>
#include <stdlib.h>
#include "fuzz.h"
#include "../../io/codec.h"
#include "../../io/codec_segments.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const int codecs[4] = {RF_CODEC_ZSTD, RF_CODEC_GZIP, RF_CODEC_LZ4, RF_CODEC_XZ};
	int codec = codecs[data[0] & 3];
	size_t target = (size_t)1 << ((data[0] >> 2) & 15);
	data++, size--;
	size_t (*unit)(const unsigned char *, size_t) = codec == RF_CODEC_ZSTD ? rf__zstd_frame_size
						       : codec == RF_CODEC_GZIP ? rf__bgzf_member_size
						       : codec == RF_CODEC_LZ4  ? rf__lz4_frame_size
										: NULL;
	uint64_t cuts[64];
	int k = rf__codec_segments(codec, size ? data : NULL, size, target, cuts, 64);
	if (k < 1 || k > 64 || cuts[0] != 0) {
		fprintf(stderr, "%d cuts, the first %llu\n", k, (unsigned long long)cuts[0]);
		abort();
	}
	if (!unit && codec != RF_CODEC_XZ && k != 1)
		abort();
	for (int i = 1; i < k; i++) {
		if (cuts[i] <= cuts[i - 1] || cuts[i] >= size)
			abort();
		if (!unit)
			continue; /* xz: streams are found from the end */
		size_t pos = cuts[i - 1];
		while (pos < cuts[i]) {
			size_t len = unit(data + pos, size - pos);
			if (len == 0)
				break;
			pos += len;
		}
		if (pos != cuts[i]) {
			fprintf(stderr, "cut %d at %llu is not a unit boundary\n", i, (unsigned long long)cuts[i]);
			abort();
		}
	}
	return 0;
}
