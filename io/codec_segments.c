/* codec_segments.c - cut points between independently decodable units of
 * a compressed file, found from the headers alone (nothing is decoded).
 *
 * Every length read from the data is checked against what is left before
 * it is used, so damaged or hostile input only stops the cutting early. */
#include "config.h"
#include <errno.h>
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
		if (type == 3)
			return 0; /* reserved block type */
		if (type == 2 && size > ZSTD_BLOCK_MAX)
			return 0;
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

/* ---- the cutting ---- */

int rf__codec_segments(int codec, const unsigned char *p, size_t n, size_t target, uint64_t *cuts,
		       int max_cuts)
{
	if (!cuts || max_cuts < 1 || (!p && n))
		return -EINVAL;
	cuts[0] = 0;
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
	if (target == 0)
		target = 1;
	int count = 1;
	size_t pos = 0, last = 0;
	while (pos < n && count < max_cuts) {
		size_t len = unit(p + pos, n - pos);
		if (len == 0)
			break; /* damage or another layout: the rest is one segment */
		pos += len;
		/* cut here when the segment is big enough and what follows is
		 * more than a crumb (a BGZF end-of-file block, a skippable
		 * frame): the last segment may then be small, never tiny */
		if (pos < n && pos - last >= target && n - pos >= target / 2) {
			cuts[count++] = pos;
			last = pos;
		}
	}
	return count;
}
