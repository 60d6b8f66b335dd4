/* SPDX-License-Identifier: MIT */
/* b64.c - the base64 codec of text partials (engine/partial_text.c), one
 * line at a time, for tests/partial_text.sh to hold against Python's:
 *
 *   b64 enc   each line of stdin is hex; prints the base64 of its bytes
 *   b64 dec   each line of stdin is base64; prints the hex of its bytes,
 *             or "bad N" (N: the offset of the first wrong character) */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run.h"

int main(int argc, char **argv)
{
	int enc = argc == 2 && !strcmp(argv[1], "enc");
	if (argc != 2 || (!enc && strcmp(argv[1], "dec"))) {
		fprintf(stderr, "usage: b64 enc|dec < lines\n");
		return 2;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		if (n && line[n - 1] == '\n')
			line[--n] = 0;
		unsigned char *bytes = malloc((size_t)n + 1);
		char *text = malloc((size_t)n * 2 + 8);
		if (!bytes || !text)
			return 1;
		if (enc) {
			size_t k = 0;
			for (ssize_t i = 0; i + 1 < n; i += 2) {
				unsigned v;
				sscanf(line + i, "%2x", &v);
				bytes[k++] = (unsigned char)v;
			}
			text[rf__b64_encode(bytes, k, text)] = 0;
			puts(text);
		} else {
			size_t bad;
			long got = rf__b64_decode(line, (size_t)n, bytes, &bad);
			if (got < 0)
				printf("bad %zu\n", bad);
			else {
				for (long i = 0; i < got; i++)
					printf("%02x", bytes[i]);
				putchar('\n');
			}
		}
		free(bytes);
		free(text);
	}
	free(line);
	return 0;
}
