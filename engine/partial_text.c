/* SPDX-License-Identifier: MIT */
/* partial_text.c - partial states as lines of text (issue 20), for the
 * engines that carry lines between a mapper and a reducer: Hadoop
 * Streaming (which cuts each line at its first tab into a key and a value
 * and sorts by the key) and Spark's RDD.pipe (lines in, lines out).
 *
 * One partial state, envelope and all, is one line:
 *
 *   RFPART64 <tab> base64 of the binary partial (RFC 4648, with padding,
 *   no line breaks) <newline>
 *
 * The constant first field puts every partial under one key, so one
 * reducer gets them all.  A reader takes a whole input as text or as
 * binary, never a mix of the two in one input. */
#include "config.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run.h"
#include "strmap.h"

#define TEXT_KEY "RFPART64\t"
#define TEXT_KEY_LEN 9

/* partial.c's envelope (run.h), as far as a line is checked here: the
 * magic, the state's length and the header's checksum.  A partial of
 * another version is passed on unchecked: merging refuses it with its own
 * message. */
#define ENV_MAGIC RF_ENVELOPE_MAGIC
#define ENV_SIZE RF_ENVELOPE_SIZE

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The base64 of in[0 .. n) into out (4 * ceil(n / 3) characters, padded
 * with '='), no terminator; the count of characters written. */
size_t rf__b64_encode(const void *in, size_t n, char *out)
{
	const uint8_t *p = in;
	char *o = out;
	for (; n >= 3; p += 3, n -= 3) {
		uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = alphabet[v >> 6 & 63];
		*o++ = alphabet[v & 63];
	}
	if (n) {
		uint32_t v = (uint32_t)p[0] << 16 | (n == 2 ? (uint32_t)p[1] << 8 : 0);
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[v >> 12 & 63];
		*o++ = n == 2 ? alphabet[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	return (size_t)(o - out);
}

/* The value of a base64 character, or -1. */
static int sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* The bytes of the base64 in[0 .. n) into out (room for 3 * n / 4): their
 * count, or -EBADMSG with *bad the offset of the first character that is
 * wrong (n when the length is not a multiple of 4).  Strict as RFC 4648
 * section 3.3 puts it: the alphabet only, '=' only as the padding of the
 * last group; the bits a padded group leaves over are ignored, as most
 * decoders (Python's among them) ignore them. */
long rf__b64_decode(const char *in, size_t n, void *out, size_t *bad)
{
	uint8_t *o = out;
	if (n % 4) {
		*bad = n;
		return -EBADMSG;
	}
	for (size_t i = 0; i < n; i += 4) {
		const unsigned char *g = (const unsigned char *)in + i;
		/* padding: "xy==" or "xyz=", in the last group only */
		int pad = i + 4 == n ? (g[3] == '=') + (g[3] == '=' && g[2] == '=') : 0;
		uint32_t v = 0;
		for (int k = 0; k < 4 - pad; k++) {
			int s = sextet(g[k]);
			if (s < 0) {
				*bad = i + (size_t)k;
				return -EBADMSG;
			}
			v |= (uint32_t)s << (18 - 6 * k);
		}
		*o++ = (uint8_t)(v >> 16);
		if (pad < 2)
			*o++ = (uint8_t)(v >> 8);
		if (pad < 1)
			*o++ = (uint8_t)v;
	}
	return (long)(o - (uint8_t *)out);
}

/* One partial, a[0 .. an) then b[0 .. bn) (its envelope, its state), as
 * one text line into w. */
int rf__partial_text_put(struct rf_writer *w, const char *a, size_t an, const char *b, size_t bn)
{
	size_t total = an + bn, cap = TEXT_KEY_LEN + (total + 2) / 3 * 4 + 1;
	char *line = malloc(cap);
	if (!line)
		return -ENOMEM;
	memcpy(line, TEXT_KEY, TEXT_KEY_LEN);
	size_t o = TEXT_KEY_LEN, k = an % 3;
	/* whole groups of a, then the group that spans the two (padded if b
	 * ends in it), then the rest of b */
	o += rf__b64_encode(a, an - k, line + o);
	if (k) {
		uint8_t g[3];
		size_t m = bn < 3 - k ? bn : 3 - k;
		memcpy(g, a + an - k, k);
		memcpy(g + k, b, m);
		o += rf__b64_encode(g, k + m, line + o);
		b += m;
		bn -= m;
	}
	o += rf__b64_encode(b, bn, line + o);
	line[o++] = '\n';
	int r = rf__writer_put(w, line, o);
	free(line);
	return r;
}

/* The next line of p[0 .. end): *eol where it ends (a '\r' before its
 * '\n' left out), the return where the next begins. */
static const char *next_line(const char *p, const char *end, const char **eol)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *e = nl ? nl : end;
	if (e > p && e[-1] == '\r')
		e--;
	*eol = e;
	return nl ? nl + 1 : end;
}

/* Why the bytes of line `no` do not make one whole partial, or NULL. */
static const char *check_partial(const uint8_t *d, size_t n, char *why, size_t whylen, size_t no)
{
	if (n < 8 || memcmp(d, ENV_MAGIC, 6) != 0) {
		snprintf(why, whylen, "line %zu: its base64 does not decode to a ringflow partial state (no RFPART "
			 "header)", no);
		return why;
	}
	if (memcmp(d + 6, ENV_MAGIC + 6, 2) != 0)
		return NULL;
	uint64_t blen, sum;
	if (n < ENV_SIZE) {
		snprintf(why, whylen, "line %zu: cut short: %zu bytes, less than a partial's header", no, n);
		return why;
	}
	memcpy(&blen, d + RF_ENVELOPE_LEN_AT, 8);
	memcpy(&sum, d + RF_ENVELOPE_SUM_AT, 8);
	if (sum != rf__hash_bytes(d, RF_ENVELOPE_SUM_AT)) {
		snprintf(why, whylen, "line %zu: damaged: its partial's header checksum does not match", no);
		return why;
	}
	if (blen != n - ENV_SIZE) {
		snprintf(why, whylen, "line %zu: %s: its partial state has %zu bytes of its %llu", no,
			 blen > n - ENV_SIZE ? "cut short" : "bytes after the partial state", n - ENV_SIZE,
			 (unsigned long long)blen);
		return why;
	}
	return NULL;
}

/* Whether [p, e) is a line of text: no control byte but the tab.  An input
 * is taken as text when its first line that is not blank begins "RFPART"
 * but not a binary partial's "RFPART" and a 0 byte, or is text: so that a
 * line that is not a text partial (a key mangled, a log given by mistake)
 * is named, where the binary reader could only say that the input has no
 * RFPART header, or misread the digits of RFPART64 as a version. */
static int text_line(const char *p, const char *e)
{
	for (; p < e; p++)
		if (((unsigned char)*p < ' ' && *p != '\t') || *p == 127)
			return 0;
	return 1;
}

int rf__partial_untext(const char *buf, size_t len, char **out, size_t *out_len, char *why, size_t whylen)
{
	const char *p = buf, *end = buf + len, *eol = buf;
	/* blank lines (empty, or a lone '\r') before the first partial */
	for (const char *next; p < end; p = next) {
		next = next_line(p, end, &eol);
		if (eol != p)
			break;
	}
	size_t rest = (size_t)(end - p);
	if (p == end || (rest >= 7 && !memcmp(p, "RFPART", 7)) ||
	    !((rest >= 6 && !memcmp(p, "RFPART", 6)) || text_line(p, eol)))
		return 0;
	uint8_t *o = malloc(len / 4 * 3 + 3);
	if (!o)
		return -ENOMEM;
	size_t n = 0, no = 0;
	for (p = buf; p < end;) {
		const char *line = p;
		p = next_line(p, end, &eol);
		no++;
		if (eol == line)
			continue;
		size_t ll = (size_t)(eol - line), bad;
		if (ll < TEXT_KEY_LEN || memcmp(line, TEXT_KEY, TEXT_KEY_LEN) != 0) {
			snprintf(why, whylen, "line %zu: not a ringflow partial state: a text one begins with RFPART64 "
				 "and a tab (and one input is all text partials or all binary ones)", no);
			goto bad;
		}
		long got = rf__b64_decode(line + TEXT_KEY_LEN, ll - TEXT_KEY_LEN, o + n, &bad);
		if (got < 0 && bad == ll - TEXT_KEY_LEN) {
			snprintf(why, whylen, "line %zu: cut short or damaged: %zu base64 characters, not a multiple "
				 "of 4", no, ll - TEXT_KEY_LEN);
			goto bad;
		}
		if (got < 0) {
			unsigned char c = (unsigned char)line[TEXT_KEY_LEN + bad];
			char shown[16];
			if (c > ' ' && c < 127)
				snprintf(shown, sizeof shown, "'%c'", c);
			else
				snprintf(shown, sizeof shown, "byte %u", c);
			snprintf(why, whylen, "line %zu: damaged: %s at column %zu is not base64%s", no, shown,
				 TEXT_KEY_LEN + bad + 1, c == '=' ? " there (padding ends the line)" : "");
			goto bad;
		}
		if (check_partial(o + n, (size_t)got, why, whylen, no))
			goto bad;
		n += (size_t)got;
	}
	*out = (char *)o;
	*out_len = n;
	return 1;
bad:
	free(o);
	return -EBADMSG;
}
