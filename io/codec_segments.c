/* SPDX-License-Identifier: MIT */
/* codec_segments.c - cut points between independently decodable units of
 * a compressed file, found from the headers alone (nothing is decoded).
 *
 * Every length read from the data is checked against what is left before
 * it is used, so damaged or hostile input only stops the cutting early. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "codec.h"
#include "codec_segments.h"

static uint32_t le16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le24(const unsigned char *p)
{
	return le16(p) | (uint32_t)p[2] << 16;
}

static uint32_t le32(const unsigned char *p)
{
	return le24(p) | (uint32_t)p[3] << 24;
}

/* zstd and lz4 share the skippable frame: magic 0x184D2A50..5F, a 4-byte
 * size, then that many bytes. */
static size_t skippable_size(const unsigned char *p, size_t n)
{
	if (n < 8 || (le32(p) & 0xFFFFFFF0u) != 0x184D2A50u)
		return 0;
	size_t len = le32(p + 4);
	return len <= n - 8 ? 8 + len : 0;
}

/* ---- zstd (RFC 8878, section 3.1.1) ---- */

#define ZSTD_MAGIC 0xFD2FB528u
#define ZSTD_BLOCK_MAX (128u * 1024)

size_t rf__zstd_frame_size(const unsigned char *p, size_t n)
{
	if (n >= 4 && (le32(p) & 0xFFFFFFF0u) == 0x184D2A50u)
		return skippable_size(p, n);
	if (n < 6 || le32(p) != ZSTD_MAGIC)
		return 0;
	unsigned fhd = p[4];
	if (fhd & 0x08) /* the reserved bit must be 0 */
		return 0;
	unsigned fcs_flag = fhd >> 6, single = (fhd >> 5) & 1, checksum = (fhd >> 2) & 1;
	static const unsigned did_len[4] = {0, 1, 2, 4};
	static const unsigned fcs_len[4] = {0, 2, 4, 8};
	size_t head = 5 + (single ? 0 : 1) + did_len[fhd & 3] +
		      (fcs_flag == 0 && single ? 1 : fcs_len[fcs_flag]);
	if (head > n)
		return 0;
	size_t pos = head;
	for (;;) {
		if (n - pos < 3)
			return 0;
		uint32_t bh = le24(p + pos);
		unsigned last = bh & 1, type = (bh >> 1) & 3;
		size_t size = bh >> 3;
		pos += 3;
		if (type == 3 || size > ZSTD_BLOCK_MAX)
			return 0; /* reserved type; no block (content or RLE run) is larger */
		size_t body = type == 1 ? 1 : size; /* RLE: one byte repeated */
		if (body > n - pos)
			return 0;
		pos += body;
		if (last)
			break;
	}
	if (checksum) {
		if (n - pos < 4)
			return 0;
		pos += 4;
	}
	return pos;
}

/* ---- BGZF gzip members (SAM/BAM specification, section 4.1) ---- */

size_t rf__bgzf_member_size(const unsigned char *p, size_t n)
{
	/* ID1 ID2 CM FLG(FEXTRA only) MTIME(4) XFL OS XLEN(2) */
	if (n < 12 || p[0] != 0x1f || p[1] != 0x8b || p[2] != 8 || p[3] != 4)
		return 0;
	size_t xlen = le16(p + 10);
	if (xlen > n - 12)
		return 0;
	size_t bsize = 0;
	int found = 0;
	for (size_t i = 12, end = 12 + xlen; i < end;) {
		if (end - i < 4)
			return 0;
		size_t slen = le16(p + i + 2);
		if (slen > end - i - 4)
			return 0;
		if (p[i] == 'B' && p[i + 1] == 'C') {
			if (slen != 2 || found)
				return 0;
			bsize = (size_t)le16(p + i + 4) + 1;
			found = 1;
		}
		i += 4 + slen;
	}
	/* header, at least an empty deflate block, CRC32 and ISIZE */
	if (!found || bsize < 12 + xlen + 2 + 8 || bsize > n)
		return 0;
	/* a BGZF block holds at most 64 KiB of data */
	if (le32(p + bsize - 4) > 65536)
		return 0;
	return bsize;
}

/* ---- lz4 frame format (lz4_Frame_format.md) ---- */

#define LZ4_MAGIC 0x184D2204u

size_t rf__lz4_frame_size(const unsigned char *p, size_t n)
{
	if (n >= 4 && (le32(p) & 0xFFFFFFF0u) == 0x184D2A50u)
		return skippable_size(p, n);
	if (n < 7 || le32(p) != LZ4_MAGIC)
		return 0;
	unsigned flg = p[4], bd = p[5];
	/* version 01, reserved bits 0; BD: only the block maximum size bits */
	if ((flg >> 6) != 1 || (flg & 0x02) || (bd & 0x8F))
		return 0;
	unsigned bmax_id = (bd >> 4) & 7;
	if (bmax_id < 4)
		return 0;
	size_t bmax = (size_t)1 << (8 + 2 * bmax_id); /* 64 KiB .. 4 MiB */
	int block_sum = (flg >> 4) & 1, content_sum = (flg >> 2) & 1;
	size_t head = 4 + 2 + ((flg & 0x08) ? 8 : 0) + ((flg & 0x01) ? 4 : 0) + 1;
	if (head > n)
		return 0;
	size_t pos = head;
	for (;;) {
		if (n - pos < 4)
			return 0;
		uint32_t word = le32(p + pos);
		pos += 4;
		if (word == 0)
			break; /* the end mark */
		size_t size = word & 0x7FFFFFFFu;
		if (size == 0 || size > bmax)
			return 0;
		size += block_sum ? 4 : 0;
		if (size > n - pos)
			return 0;
		pos += size;
	}
	if (content_sum) {
		if (n - pos < 4)
			return 0;
		pos += 4;
	}
	return pos;
}

/* ---- xz streams (xz-file-format-1.x.txt) ----
 *
 * A stream's size is only in its footer and index, so streams are found
 * from the end backwards: skip stream padding (zero words), check the
 * footer (magic, flags, CRC32), the index it points to (indicator, records,
 * padding, CRC32), and the header that the index's block sizes lead back
 * to (magic, same flags, CRC32).  The blocks inside one stream are not
 * separable without wrapping them, so a stream is the unit. */

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
	}
	return ~c;
}

/* a multibyte integer of the index: 7 bits a byte, at most 9 bytes */
static int xz_varint(const unsigned char *p, size_t n, size_t *pos, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < 9; i++) {
		if (*pos >= n)
			return -1;
		unsigned b = p[(*pos)++];
		*v |= (uint64_t)(b & 0x7F) << (7 * i);
		if (!(b & 0x80))
			return (b == 0 && i > 0) ? -1 : 0;
	}
	return -1;
}

static const unsigned char xz_magic[6] = {0xFD, '7', 'z', 'X', 'Z', 0};

/* The start of the stream whose footer ends at p[end], or -1. */
static int64_t xz_stream_start(const unsigned char *p, size_t end)
{
	if (end < 24)
		return -1;
	const unsigned char *f = p + end - 12;
	if (f[10] != 'Y' || f[11] != 'Z' || f[8] != 0 || (f[9] & 0xF0) || crc32_of(f + 4, 6) != le32(f))
		return -1;
	uint64_t index_size = ((uint64_t)le32(f + 4) + 1) * 4;
	if (index_size > end - 24)
		return -1;
	size_t ix = end - 12 - (size_t)index_size, ilen = (size_t)index_size - 4;
	const unsigned char *q = p + ix;
	if (q[0] != 0 || crc32_of(q, ilen) != le32(q + ilen))
		return -1;
	size_t pos = 1;
	uint64_t records, blocks = 0;
	if (xz_varint(q, ilen, &pos, &records) != 0)
		return -1;
	for (uint64_t r = 0; r < records; r++) {
		uint64_t unpadded, size;
		if (xz_varint(q, ilen, &pos, &unpadded) != 0 || xz_varint(q, ilen, &pos, &size) != 0)
			return -1;
		if (unpadded < 5 || unpadded > end)
			return -1; /* a block header and at least one byte */
		blocks += (unpadded + 3) & ~(uint64_t)3;
		if (blocks > end)
			return -1;
	}
	while (pos < ilen)
		if (q[pos++] != 0)
			return -1;
	if (pos % 4 || blocks + 12 > ix)
		return -1;
	size_t start = ix - (size_t)blocks - 12;
	const unsigned char *h = p + start;
	if (memcmp(h, xz_magic, 6) != 0 || h[6] != f[8] || h[7] != f[9] || crc32_of(h + 6, 2) != le32(h + 8))
		return -1;
	return (int64_t)start;
}

/* Every verified stream start, ascending, in a new array (*out), or 0
 * streams when the end is not a stream's; -ENOMEM. */
static int xz_starts(const unsigned char *p, size_t n, uint64_t **out, size_t *count)
{
	size_t cap = 16, k = 0, end = n;
	uint64_t *v = malloc(cap * sizeof *v);
	if (!v)
		return -ENOMEM;
	while (end > 0) {
		while (end >= 4 && le32(p + end - 4) == 0)
			end -= 4; /* stream padding */
		int64_t start = xz_stream_start(p, end);
		if (start < 0)
			break; /* what is before the streams found is one segment */
		if (k == cap) {
			uint64_t *w = realloc(v, 2 * cap * sizeof *v);
			if (!w) {
				free(v);
				return -ENOMEM;
			}
			v = w, cap *= 2;
		}
		v[k++] = (uint64_t)start;
		end = (size_t)start;
	}
	for (size_t i = 0; i < k / 2; i++) {
		uint64_t t = v[i];
		v[i] = v[k - 1 - i], v[k - 1 - i] = t;
	}
	*out = v;
	*count = k;
	return 0;
}

/* ---- the cutting ---- */

/* Cut at unit start b when the segment is big enough and what follows is
 * more than a crumb (a BGZF end-of-file block, a skippable frame): the
 * last segment may then be small, never tiny. */
static int cut_here(uint64_t b, uint64_t last, size_t n, size_t target)
{
	return b > 0 && b < n && b - last >= target && n - b >= target / 2;
}

int rf__codec_segments(int codec, const unsigned char *p, size_t n, size_t target, uint64_t *cuts,
		       int max_cuts)
{
	if (!cuts || max_cuts < 1 || (!p && n))
		return -EINVAL;
	cuts[0] = 0;
	if (target == 0)
		target = 1;
	int count = 1;
	if (codec == RF_CODEC_XZ) {
		uint64_t *starts;
		size_t k;
		int rc = xz_starts(p, n, &starts, &k);
		if (rc < 0)
			return rc;
		for (size_t i = 0; i < k && count < max_cuts; i++)
			if (cut_here(starts[i], cuts[count - 1], n, target))
				cuts[count++] = starts[i];
		free(starts);
		return count;
	}
	size_t (*unit)(const unsigned char *, size_t);
	switch (codec) {
	case RF_CODEC_ZSTD:
		unit = rf__zstd_frame_size;
		break;
	case RF_CODEC_GZIP:
		unit = rf__bgzf_member_size;
		break;
	case RF_CODEC_LZ4:
		unit = rf__lz4_frame_size;
		break;
	default:
		return 1;
	}
	size_t pos = 0;
	while (pos < n && count < max_cuts) {
		size_t len = unit(p + pos, n - pos);
		if (len == 0)
			break; /* damage or another layout: the rest is one segment */
		pos += len;
		if (cut_here(pos, cuts[count - 1], n, target))
			cuts[count++] = pos;
	}
	return count;
}
