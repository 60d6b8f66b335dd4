/* SPDX-License-Identifier: MIT */
/* blockfind.c - prototype of the block finder of a two-stage gzip decoder
 * (see the study for issue 14): find, by bit offset, where the dynamic
 * Huffman blocks of an ordinary gzip member start, without decoding from
 * the start, and check the finds against zlib.
 *
 * Not built by default:
 *   cc -O2 -Wall -o blockfind tests/proto/blockfind.c -lz
 *   gzip -6 -c LOG > LOG.gz && ./blockfind LOG.gz
 *
 * The truth: zlib inflates the member once with Z_BLOCK and records the
 * bit offset of every block start.  The finder tests every bit offset:
 * BTYPE 2 with BFINAL 0, HLIT <= 29, HDIST <= 29, a complete code-length
 * code, code lengths that fit HLIT + HDIST and make valid literal/length
 * and distance codes with an end-of-block code (zlib's own rules).  Each
 * candidate is then tried with zlib: raw inflate primed with the leading
 * bits and a window of zeros, one block; a candidate that decodes its whole
 * block is "confirmed".  Prints the counts and the finder's speed. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static const unsigned char *buf;
static size_t buf_len;

/* `count` (<= 57) bits at bit offset `pos`, LSB first; zeros past the end */
static inline uint64_t bits(uint64_t pos, unsigned count)
{
	size_t at = (size_t)(pos >> 3);
	uint64_t w = 0;
	if (at + 8 <= buf_len) {
		memcpy(&w, buf + at, 8);
	} else {
		for (size_t i = 0; at + i < buf_len && i < 8; i++)
			w |= (uint64_t)buf[at + i] << (8 * i);
	}
	return (w >> (pos & 7)) & ((1ull << count) - 1);
}

/* zlib's rule: over-subscribed is bad; incomplete is bad unless the code
 * has a single code of length 1 (or none at all, for `may_be_empty`). */
static int valid_code(const unsigned char *len, int n, int may_be_empty)
{
	int count[16] = {0}, max = 0;
	for (int i = 0; i < n; i++) {
		count[len[i]]++;
		if (len[i] > max)
			max = len[i];
	}
	if (max == 0)
		return may_be_empty;
	int left = 1;
	for (int l = 1; l < 16; l++) {
		left <<= 1;
		left -= count[l];
		if (left < 0)
			return 0;
	}
	return left == 0 || (max == 1 && count[1] == 1);
}

static const unsigned char order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

/* Is there a plausible dynamic block header at bit `pos`? */
static int candidate(uint64_t pos)
{
	uint64_t h = bits(pos, 17);
	if ((h & 7) != 4) /* BFINAL 0, BTYPE 2 */
		return 0;
	unsigned hlit = (h >> 3) & 31, hdist = (h >> 8) & 31, hclen = (unsigned)(h >> 13) + 4;
	if (hlit > 29 || hdist > 29)
		return 0;
	pos += 17;
	/* all 19 precode lengths fit one 57-bit load: check that they make a
	 * complete code (Kraft sum exactly 1, in units of 2^-7) before the
	 * rest, which few offsets reach */
	uint64_t pw = bits(pos, 57);
	if (hclen < 19)
		pw &= (1ull << (3 * hclen)) - 1;
	unsigned kraft = 0;
	for (uint64_t w = pw; w; w >>= 3)
		if (w & 7)
			kraft += 128u >> (w & 7);
	if (kraft != 128)
		return 0; /* the code-length code must be complete */
	unsigned char pre[19] = {0};
	for (unsigned i = 0; i < hclen; i++)
		pre[order[i]] = (unsigned char)((pw >> (3 * i)) & 7);
	pos += 3 * hclen;
	int count[8] = {0};
	for (int i = 0; i < 19; i++)
		count[pre[i]]++;
	/* canonical decode table for the precode: 7-bit index, reversed */
	unsigned short next[8] = {0};
	unsigned code = 0;
	count[0] = 0;
	for (int l = 1; l < 8; l++) {
		code = (code + (unsigned)count[l - 1]) << 1;
		next[l] = (unsigned short)code;
	}
	unsigned char sym_of[128], len_of[128];
	memset(len_of, 0, sizeof len_of);
	for (int s = 0; s < 19; s++) {
		int l = pre[s];
		if (!l)
			continue;
		unsigned c = next[l]++, r = 0;
		for (int i = 0; i < l; i++)
			r |= ((c >> i) & 1) << (l - 1 - i);
		for (unsigned fill = r; fill < 128; fill += 1u << l) {
			sym_of[fill] = (unsigned char)s;
			len_of[fill] = (unsigned char)l;
		}
	}
	unsigned n = hlit + 257 + hdist + 1;
	unsigned char lens[320];
	for (unsigned i = 0; i < n;) {
		unsigned w = (unsigned)bits(pos, 7);
		unsigned s = sym_of[w], l = len_of[w];
		pos += l;
		if (s < 16) {
			lens[i++] = (unsigned char)s;
			continue;
		}
		unsigned rep, val = 0;
		if (s == 16) {
			if (i == 0)
				return 0;
			val = lens[i - 1];
			rep = 3 + (unsigned)bits(pos, 2), pos += 2;
		} else if (s == 17) {
			rep = 3 + (unsigned)bits(pos, 3), pos += 3;
		} else {
			rep = 11 + (unsigned)bits(pos, 7), pos += 7;
		}
		if (rep > n - i)
			return 0;
		while (rep--)
			lens[i++] = (unsigned char)val;
	}
	if (lens[256] == 0)
		return 0;
	return valid_code(lens, (int)hlit + 257, 0) && valid_code(lens + hlit + 257, (int)hdist + 1, 1);
}

/* Does zlib decode one whole block from bit `pos` (window: zeros)? */
static int confirm(uint64_t pos)
{
	static unsigned char out[1 << 16], window[32768];
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, -15) != Z_OK)
		return 0;
	inflateSetDictionary(&z, window, sizeof window);
	size_t at = (size_t)(pos >> 3);
	unsigned skip = (unsigned)(pos & 7);
	int ok = 0;
	if (skip) {
		inflatePrime(&z, 8 - (int)skip, buf[at] >> skip);
		at++;
	}
	z.next_in = (unsigned char *)buf + at;
	z.avail_in = (uInt)(buf_len - at > (1u << 30) ? (1u << 30) : buf_len - at);
	int started = 0;
	for (;;) {
		z.next_out = out;
		z.avail_out = sizeof out;
		int rc = inflate(&z, Z_BLOCK);
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			break;
		if (z.data_type & 128) {
			/* stopped at a block boundary: the first is where we
			 * started (before the header), the next is success */
			if (started) {
				ok = 1;
				break;
			}
		}
		started = 1;
		if (rc == Z_BUF_ERROR && z.avail_in == 0)
			break;
	}
	inflateEnd(&z);
	return ok;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: blockfind FILE.gz\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < 18) {
		perror(argv[1]);
		return 2;
	}
	const unsigned char *file = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (file == MAP_FAILED || file[0] != 0x1f || file[1] != 0x8b || file[2] != 8) {
		fprintf(stderr, "%s: not gzip\n", argv[1]);
		return 2;
	}
	size_t h = 10;
	unsigned flg = file[3];
	if (flg & 4)
		h += 2 + (file[h] | file[h + 1] << 8);
	if (flg & 8)
		h += strlen((const char *)file + h) + 1;
	if (flg & 16)
		h += strlen((const char *)file + h) + 1;
	if (flg & 2)
		h += 2;
	buf = file + h;
	buf_len = (size_t)st.st_size - h - 8;

	/* the truth, from zlib */
	size_t cap = 1 << 16, nb = 0;
	uint64_t *starts = malloc(cap * sizeof *starts);
	unsigned char *types = malloc(cap);
	static unsigned char out[1 << 18];
	z_stream z;
	memset(&z, 0, sizeof z);
	inflateInit2(&z, -15);
	z.next_in = (unsigned char *)buf;
	z.avail_in = (uInt)buf_len;
	double t0 = now();
	for (;;) {
		z.next_out = out;
		z.avail_out = sizeof out;
		int rc = inflate(&z, Z_BLOCK);
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			fprintf(stderr, "zlib: %s\n", z.msg ? z.msg : "error");
			return 1;
		}
		if ((z.data_type & 128) && !(z.data_type & 64)) {
			uint64_t pos = (uint64_t)z.total_in * 8 - (z.data_type & 7);
			if (nb == cap) {
				cap *= 2;
				starts = realloc(starts, cap * sizeof *starts);
				types = realloc(types, cap);
			}
			starts[nb] = pos;
			types[nb++] = (unsigned char)(bits(pos, 3) >> 1);
		}
	}
	double t_zlib = now() - t0;
	/* Z_BLOCK reports no boundary before the first block */
	if (nb == cap) {
		starts = realloc(starts, (cap + 1) * sizeof *starts);
		types = realloc(types, cap + 1);
	}
	memmove(starts + 1, starts, nb * sizeof *starts);
	memmove(types + 1, types, nb);
	starts[0] = 0;
	types[0] = (unsigned char)(bits(0, 3) >> 1);
	nb++;
	inflateEnd(&z);
	/* Z_BLOCK may stop twice at one boundary; keep unique */
	size_t u = 0;
	for (size_t i = 0; i < nb; i++)
		if (!u || starts[i] != starts[u - 1])
			starts[u] = starts[i], types[u++] = types[i];
	nb = u;
	size_t dyn = 0, dyn_notfinal = 0;
	for (size_t i = 0; i < nb; i++) {
		dyn += types[i] == 2;
		dyn_notfinal += types[i] == 2 && !(bits(starts[i], 1));
	}

	/* the finder over every bit offset */
	uint64_t total = (uint64_t)buf_len * 8;
	size_t found = 0, fcap = 1 << 16;
	uint64_t *cand = malloc(fcap * sizeof *cand);
	t0 = now();
	for (uint64_t pos = 0; pos < total; pos++) {
		if (candidate(pos)) {
			if (found == fcap)
				cand = realloc(cand, (fcap *= 2) * sizeof *cand);
			cand[found++] = pos;
		}
	}
	double t_find = now() - t0;

	size_t hits = 0, confirmed = 0, false_confirmed = 0, j = 0;
	t0 = now();
	for (size_t i = 0; i < found; i++) {
		while (j < nb && starts[j] < cand[i])
			j++;
		int real = j < nb && starts[j] == cand[i];
		hits += real;
		int ok = confirm(cand[i]);
		confirmed += ok;
		false_confirmed += ok && !real;
		if (!real)
			printf("false candidate at bit %llu%s\n", (unsigned long long)cand[i],
			       ok ? ", decoded a whole block" : "");
	}
	double t_confirm = now() - t0;
	printf("compressed %zu bytes, %zu blocks (%zu dynamic, %zu of them not final)\n", buf_len, nb, dyn,
	       dyn_notfinal);
	printf("finder: %zu candidates, %zu real (missed %zu), %zu false; %.1f MB/s of compressed input\n",
	       found, hits, dyn_notfinal - hits, found - hits, buf_len / t_find / 1e6);
	printf("zlib trial decode: %zu confirmed, %zu of them false; %.3f s for all candidates\n", confirmed,
	       false_confirmed, t_confirm);
	printf("truth pass (zlib stopping at each block, not a decoding benchmark): %.3f s\n", t_zlib);
	return hits == dyn_notfinal && false_confirmed == 0 ? 0 : 1;
}
