/* SPDX-License-Identifier: MIT */
/* simd.c - needle preparation and the helpers every kernel shares. */
#include "config.h"
#include <errno.h>
#include <string.h>
#include "simd.h"

/* How common a byte is in log text, 0 (rare) to 255 (everywhere).  Only the
 * order matters: it picks which needle bytes the vector filter tests. */
static unsigned char byte_commonness(unsigned char c)
{
	if (c == ' ')
		return 255;
	if (strchr("etaoinsrhl", c) && c)
		return 230;
	if (c >= 'a' && c <= 'z')
		return 170;
	if (c >= '0' && c <= '2')
		return 220;
	if (c >= '3' && c <= '9')
		return 190;
	if (c && strchr("/.-:\"=,[]", c))
		return 210;
	if (c && strchr("GETPHO", c))
		return 150;
	if (c >= 'A' && c <= 'Z')
		return 110;
	if (c == '\t' || c == '_' || c == '(' || c == ')' || c == ';' || c == '+')
		return 120;
	return 40;
}

void rf__needle_init(struct rf_needle *nd, const char *bytes, size_t len)
{
	nd->bytes = bytes;
	nd->len = len;
	nd->i1 = nd->i2 = 0;
	if (len == 0) {
		nd->b1 = nd->b2 = 0;
		return;
	}
	size_t best = 0;
	for (size_t i = 1; i < len; i++)
		if (byte_commonness((unsigned char)bytes[i]) <
		    byte_commonness((unsigned char)bytes[best]))
			best = i;
	size_t second = best;
	for (size_t i = 0; i < len; i++) {
		if (i == best)
			continue;
		if (second == best ||
		    byte_commonness((unsigned char)bytes[i]) <
			    byte_commonness((unsigned char)bytes[second]))
			second = i;
	}
	/* keep i1 <= i2 so the vector loops load in address order */
	nd->i1 = best < second ? best : second;
	nd->i2 = best < second ? second : best;
	nd->b1 = (unsigned char)bytes[nd->i1];
	nd->b2 = (unsigned char)bytes[nd->i2];
}

const char *rf__find_literal_scalar(const char *p, size_t n, const struct rf_needle *nd)
{
	size_t len = nd->len;
	if (len == 0)
		return p;
	if (n < len)
		return NULL;
	const unsigned char *h = (const unsigned char *)p;
	for (size_t i = 0; i + len <= n; i++) {
		if (h[i + nd->i1] == nd->b1 && h[i + nd->i2] == nd->b2 &&
		    memcmp(h + i, nd->bytes, len) == 0)
			return p + i;
	}
	return NULL;
}

size_t rf__split_blank_tail(const char *p, size_t n, uint32_t base, size_t nf, size_t first, size_t want,
			    struct rf_field *out, uint64_t prev_blank, int open)
{
	/* n < 64 here: one partial block, with the bytes past the end blank */
	rf__split_block(rf__blank_mask_tail(p, n), base, (size_t)base + n, &prev_blank, &open, &nf, first, want, out);
	return nf;
}
