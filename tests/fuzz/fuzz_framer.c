/* SPDX-License-Identifier: MIT */
/* fuzz_framer.c - framing across batch ends: every record comes out whole,
 * once, in order, whatever the input and the buffer shape.
 *
 * Oracles computed here from the raw bytes: `count` must print the number
 * of newlines, plus one for an unterminated last line; `head` with a limit
 * larger than any input passes every record through, so its output must be
 * the input itself with a newline added after an unterminated last line.
 * With bit 4 of the shape byte set, the same under --multiline=indent
 * (records begin at a line whose first byte is not a blank and that is
 * not empty, or only a CR): count is then the number of such lines, plus
 * one when the input begins with another line, and head still passes the
 * bytes through whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned shape = data[0];
	data++, size--;
	unsigned long long lines = 0;
	int open_end = size && data[size - 1] != '\n';
	fuzz_multiline = shape & 16 ? "indent" : NULL;
	if (fuzz_multiline) {
		for (size_t i = 0; i < size; i = (size_t)((const uint8_t *)memchr(data + i, '\n', size - i) - data) + 1) {
			uint8_t c = data[i];
			int empty = c == '\n' || (c == '\r' && (i + 1 == size || data[i + 1] == '\n'));
			lines += i == 0 || (c != ' ' && c != '\t' && !empty);
			if (!memchr(data + i, '\n', size - i))
				break;
		}
	} else {
		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		lines += (unsigned long long)open_end;
	}

	const char *out;
	size_t out_len;
	if (fuzz_run("count", data, size, shape, &out, &out_len) != 0)
		abort();
	char want[32];
	snprintf(want, sizeof want, "%llu\n", lines);
	if (strcmp(out, want) != 0) {
		fprintf(stderr, "count printed %s, the input has %s", out, want);
		abort();
	}

	if (fuzz_run("head 1000000000", data, size, shape, &out, &out_len) != 0)
		abort();
	if (out_len != size + (size_t)open_end || (size && memcmp(out, data, size) != 0) ||
	    (open_end && out[size] != '\n')) {
		fprintf(stderr, "head passed %zu bytes of %zu\n", out_len, size);
		abort();
	}
	return 0;
}
