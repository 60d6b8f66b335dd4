/* SPDX-License-Identifier: MIT */
/* check_codec.c - detection and the five decoders.
 *
 * The oracles are the real tools: inputs are compressed here by gzip,
 * zstd, xz, bzip2 and lz4 (and by Python's zlib for BGZF and the crafted
 * headers), and what the decoders make is compared with the plain text or
 * with the tools' own decompression (gzip -dc, ...).  A format whose tool
 * or library is missing is skipped, and its refusal checked instead. */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "helpers.h"
#include "codec.h"

static char dir[] = "/tmp/check_codec.XXXXXX";

struct fmt {
	enum rf_codec c;
	const char *tool; /* compresses stdin to stdout; with -d decompresses */
	const char *ext;
};

static const struct fmt fmts[] = {
	{RF_CODEC_GZIP, "gzip -c", "gz"},
	{RF_CODEC_ZSTD, "zstd -q -c", "zst"},
	{RF_CODEC_XZ, "xz -c", "xz"},
	{RF_CODEC_BZIP2, "bzip2 -c", "bz2"},
	{RF_CODEC_LZ4, "lz4 -q -c", "lz4"},
};
#define NFMT (sizeof fmts / sizeof fmts[0])

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

static char *path_of(const char *name)
{
	static char p[8][512];
	static int turn;
	char *s = p[turn++ % 8];
	snprintf(s, 512, "%s/%s", dir, name);
	return s;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc((size_t)n + 1);
	ck_assert(b != NULL);
	ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	ck_assert(f != NULL);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

static int have_tool(const char *cmd)
{
	char word[64];
	sscanf(cmd, "%63s", word);
	return sh("command -v %s >/dev/null 2>&1", word) == 0;
}

/* Log-like text: lines of words from a small vocabulary and numbers, so it
 * compresses like logs do (not random bytes). */
static void make_text(const char *name, size_t size, uint64_t seed)
{
	static const char *words[] = {"GET", "POST", "/index.html", "HTTP/1.1", "200", "404", "-",
				      "Mozilla/5.0", "curl/8.0", "error", "user", "session"};
	char *b = malloc(size);
	size_t n = 0;
	uint64_t st = seed;
	while (n < size) {
		uint64_t r = test_rand(&st);
		int k = (int)(r % 20);
		int m;
		if (k < 12)
			m = snprintf(b + n, size - n, "%s ", words[k]);
		else if (k < 18)
			m = snprintf(b + n, size - n, "%u ", (unsigned)(r >> 40));
		else
			m = snprintf(b + n, size - n, "\n");
		if (m < 0 || (size_t)m >= size - n)
			break;
		n += (size_t)m;
	}
	spit(path_of(name), b, n);
	free(b);
}

struct result {
	int rc;
	char *out;
	size_t len;
	char error[200];
	uint64_t offset;
	uint64_t in_total;
};

/* Decode data[0..n) in pieces of `piece` bytes into a scratch buffer of
 * `room` bytes, reused each call (so a decoder that kept pointers into
 * earlier output would go wrong), appending what comes out. */
static struct result decode(enum rf_codec c, const unsigned char *data, size_t n, size_t piece, size_t room)
{
	struct result res = {0};
	struct rf_decoder *d;
	ck_assert_int_eq(rf__decoder_new(&d, c), 0);
	char *scratch = malloc(room);
	size_t cap = 1 << 20, pos = 0;
	res.out = malloc(cap);
	for (;;) {
		size_t give = n - pos < piece ? n - pos : piece;
		int at_end = pos + give == n;
		size_t used, made;
		int r;
		if (!at_end && pos % 3 == 0) {
			/* drain first with no input, as a reader does before it waits */
			r = rf__decoder_run(d, NULL, 0, &used, scratch, room, &made, 0);
			if (used || made > room)
				ck_abort_msg("drain took %zu, made %zu", used, made);
			while (res.len + made > cap)
				res.out = realloc(res.out, cap *= 2);
			memcpy(res.out + res.len, scratch, made);
			res.len += made;
			if (r != RF_DEC_OK) {
				if (r != RF_DEC_BAD)
					ck_abort_msg("the end without at_end");
				res.rc = r;
				break;
			}
		}
		r = rf__decoder_run(d, data + pos, give, &used, scratch, room, &made, at_end);
		/* (no ck_assert per call: each one is a write to Check's pipe) */
		if (used > give || made > room)
			ck_abort_msg("took %zu of %zu, made %zu in %zu", used, give, made, room);
		if (r == RF_DEC_OK && !used && !made && (give || at_end))
			ck_abort_msg("no progress at %zu", pos);
		pos += used;
		while (res.len + made > cap)
			res.out = realloc(res.out, cap *= 2);
		memcpy(res.out + res.len, scratch, made);
		res.len += made;
		if (r != RF_DEC_OK) {
			res.rc = r;
			break;
		}
	}
	if (res.rc == RF_DEC_BAD) {
		snprintf(res.error, sizeof res.error, "%s", rf__decoder_error(d));
		res.offset = rf__decoder_error_offset(d);
	} else {
		ck_assert_uint_eq(pos, n);
	}
	ck_assert_uint_eq(rf__decoder_in_total(d), pos);
	ck_assert_uint_eq(rf__decoder_out_total(d), res.len);
	res.in_total = pos;
	free(scratch);
	rf__decoder_free(d);
	return res;
}

static int usable(const struct fmt *f)
{
	if (!rf__codec_library(f->c)) {
		struct rf_decoder *d = (struct rf_decoder *)1;
		ck_assert_int_eq(rf__decoder_new(&d, f->c), -ENOTSUP);
		ck_assert_ptr_null(d);
		return 0;
	}
	return have_tool(f->tool);
}

/* compress name into name.ext with the format's tool */
static void compress(const struct fmt *f, const char *name, const char *flags)
{
	ck_assert_int_eq(sh("%s %s < %s > %s.%s", f->tool, flags, path_of(name), path_of(name), f->ext), 0);
}

/* A generated text `name` (prefix-ext) of `size` bytes compressed in f's
 * format as `zname`: its compressed bytes (zlen of them), and the plain
 * text when plain is not NULL. */
static unsigned char *sample(const struct fmt *f, const char *prefix, size_t size, uint64_t seed, char name[32],
			     char zname[40], size_t *zlen, unsigned char **plain, size_t *plen)
{
	snprintf(name, 32, "%s-%s", prefix, f->ext);
	snprintf(zname, 40, "%s.%s", name, f->ext);
	make_text(name, size, seed);
	compress(f, name, "");
	if (plain)
		*plain = slurp(path_of(name), plen);
	return slurp(path_of(zname), zlen);
}

/* ---- round trips over every shape ------------------------------------- */

START_TEST(roundtrip)
{
	const struct fmt *f = &fmts[_i];
	if (!usable(f))
		return;
	/* a big text for the big steps, a small one for the byte-wise ones */
	char big[32], small[32], name[64];
	snprintf(big, sizeof big, "big-%s", f->ext);
	snprintf(small, sizeof small, "small-%s", f->ext);
	make_text(big, 3 << 20, 1 + _i);
	make_text(small, 150000, 100 + _i);
	compress(f, big, "");
	compress(f, small, "");
	static const size_t pieces[] = {1, 7, 1 << 20}, rooms[] = {1, 13, 1 << 20};
	for (int p = 0; p < 3; p++)
		for (int o = 0; o < 3; o++) {
			const char *which = pieces[p] < 1000 || rooms[o] < 1000 ? small : big;
			size_t plen, zlen;
			unsigned char *plain = slurp(path_of(which), &plen);
			snprintf(name, sizeof name, "%s.%s", which, f->ext);
			unsigned char *z = slurp(path_of(name), &zlen);
			ck_assert_int_eq(rf__codec_detect(z, zlen, 0), (int)f->c);
			struct result r = decode(f->c, z, zlen, pieces[p], rooms[o]);
			ck_assert_msg(r.rc == RF_DEC_END, "%s piece %zu room %zu: %s at %llu", f->ext, pieces[p],
				      rooms[o], r.error, (unsigned long long)r.offset);
			ck_assert_uint_eq(r.len, plen);
			ck_assert_msg(memcmp(r.out, plain, plen) == 0, "%s: output differs", f->ext);
			free(r.out);
			free(plain);
			free(z);
		}
}
END_TEST

/* ---- several members / frames / streams, an empty one among them -------- */

START_TEST(multi)
{
	const struct fmt *f = &fmts[_i];
	if (!usable(f))
		return;
	char a[32], b[32], e[32];
	snprintf(a, sizeof a, "ma-%s", f->ext);
	snprintf(b, sizeof b, "mb-%s", f->ext);
	snprintf(e, sizeof e, "me-%s", f->ext);
	make_text(a, 200000, 7);
	make_text(b, 100001, 8);
	/* a record crossing the boundary: the first part has no newline at its end */
	ck_assert_int_eq(sh("printf 'no newline' >> %s && : > %s", path_of(a), path_of(e)), 0);
	compress(f, a, "");
	compress(f, b, "");
	compress(f, e, "");
	/* zstd and lz4: a skippable frame between the others */
	ck_assert_int_eq(sh("printf 'P*M\\030\\005\\000\\000\\000hello' > %s", path_of("skip")), 0);
	int skip = f->c == RF_CODEC_ZSTD || f->c == RF_CODEC_LZ4;
	ck_assert_int_eq(sh("cat %s.%s %s.%s %s %s.%s %s.%s > %s.%s", path_of(a), f->ext, path_of(e), f->ext,
			    skip ? path_of("skip") : "", path_of(b), f->ext, path_of(e), f->ext, path_of("multi"),
			    f->ext),
			 0);
	/* the oracle: the tool's own decompression of the whole file */
	ck_assert_int_eq(sh("%s -d < %s.%s > %s", f->tool, path_of("multi"), f->ext, path_of("multi.want")), 0);
	char name[64];
	snprintf(name, sizeof name, "multi.%s", f->ext);
	size_t zlen, wlen;
	unsigned char *z = slurp(path_of(name), &zlen), *want = slurp(path_of("multi.want"), &wlen);
	size_t alen, blen;
	unsigned char *pa = slurp(path_of(a), &alen), *pb = slurp(path_of(b), &blen);
	ck_assert_uint_eq(wlen, alen + blen);
	ck_assert(memcmp(want, pa, alen) == 0 && memcmp(want + alen, pb, blen) == 0);
	free(pa);
	free(pb);
	static const size_t pieces[] = {1, 7, 1 << 20}, rooms[] = {13, 1 << 20};
	for (int p = 0; p < 3; p++)
		for (int o = 0; o < 2; o++) {
			struct result r = decode(f->c, z, zlen, pieces[p], rooms[o]);
			ck_assert_msg(r.rc == RF_DEC_END, "%s: %s", f->ext, r.error);
			ck_assert_uint_eq(r.len, wlen);
			ck_assert(memcmp(r.out, want, wlen) == 0);
			free(r.out);
		}
	free(z);
	free(want);
}
END_TEST

/* BGZF, written by Python's zlib: blocks of at most 64 KiB, each a gzip
 * member with the BC extra field, and the empty end-of-file block. */
static const char bgzf_py[] =
	"import sys, zlib, struct\n"
	"data = open(sys.argv[1], 'rb').read()\n"
	"out = open(sys.argv[2], 'wb')\n"
	"def block(chunk):\n"
	"    c = zlib.compressobj(6, zlib.DEFLATED, -15)\n"
	"    body = c.compress(chunk) + c.flush()\n"
	"    bsize = 18 + len(body) + 8 - 1\n"
	"    hdr = bytes([31, 139, 8, 4, 0, 0, 0, 0, 0, 255]) + struct.pack('<HBBHH', 6, 66, 67, 2, bsize)\n"
	"    out.write(hdr + body + struct.pack('<II', zlib.crc32(chunk), len(chunk)))\n"
	"for i in range(0, len(data), 65280):\n"
	"    block(data[i:i + 65280])\n"
	"block(b'')\n";

START_TEST(bgzf)
{
	if (!usable(&fmts[0]) || sh("command -v python3 >/dev/null") != 0)
		return;
	make_text("bgzf", 1 << 20, 9);
	spit(path_of("bgzf.py"), bgzf_py, strlen(bgzf_py));
	ck_assert_int_eq(sh("python3 %s %s %s", path_of("bgzf.py"), path_of("bgzf"), path_of("bgzf.gz")), 0);
	ck_assert_int_eq(sh("gzip -dc < %s | cmp -s - %s", path_of("bgzf.gz"), path_of("bgzf")), 0);
	size_t zlen, plen;
	unsigned char *z = slurp(path_of("bgzf.gz"), &zlen), *plain = slurp(path_of("bgzf"), &plen);
	ck_assert_int_eq(rf__codec_detect(z, zlen, 1), RF_CODEC_GZIP);
	static const size_t pieces[] = {7, 100000, 1 << 20};
	for (int p = 0; p < 3; p++) {
		struct result r = decode(RF_CODEC_GZIP, z, zlen, pieces[p], 65536);
		ck_assert_msg(r.rc == RF_DEC_END, "piece %zu: %s at %llu after %zu", pieces[p], r.error,
			      (unsigned long long)r.offset, r.len);
		ck_assert_uint_eq(r.len, plen);
		ck_assert(memcmp(r.out, plain, plen) == 0);
		free(r.out);
	}
	free(z);
	free(plain);
}
END_TEST

/* pzstd: a skippable frame before every frame, one at the very start */
START_TEST(pzstd)
{
	if (!usable(&fmts[1]) || !have_tool("pzstd"))
		return;
	make_text("pz", 3 << 20, 10);
	ck_assert_int_eq(sh("pzstd -q -p 2 -c < %s > %s", path_of("pz"), path_of("pz.zst")), 0);
	size_t zlen, plen;
	unsigned char *z = slurp(path_of("pz.zst"), &zlen), *plain = slurp(path_of("pz"), &plen);
	ck_assert_int_eq(z[0], 0x50); /* it does start with one */
	ck_assert_int_eq(rf__codec_detect(z, 16, 0), RF_CODEC_ZSTD);
	static const size_t pieces[] = {7, 1 << 20};
	for (int p = 0; p < 2; p++) {
		struct result r = decode(RF_CODEC_ZSTD, z, zlen, pieces[p], 65536);
		ck_assert_msg(r.rc == RF_DEC_END, "%s", r.error);
		ck_assert_uint_eq(r.len, plen);
		ck_assert(memcmp(r.out, plain, plen) == 0);
		free(r.out);
	}
	free(z);
	free(plain);
}
END_TEST

/* ---- detection --------------------------------------------------------- */

START_TEST(detection)
{
	static const struct {
		const char *bytes;
		size_t len;
		int want_more, want_end; /* at_end 0, at_end 1 */
	} t[] = {
		{"\x1f\x8b\x08\0\0", 5, RF_CODEC_GZIP, RF_CODEC_GZIP},
		{"\x1f\x8b\x08", 3, RF_CODEC_GZIP, RF_CODEC_GZIP},
		{"\x1f\x8b", 2, -1, RF_CODEC_NONE},
		{"\x1f", 1, -1, RF_CODEC_NONE},
		{"\x1f\x8b\x07", 3, RF_CODEC_NONE, RF_CODEC_NONE},
		{"", 0, -1, RF_CODEC_NONE},
		{"\x28\xb5\x2f\xfd", 4, RF_CODEC_ZSTD, RF_CODEC_ZSTD},
		{"\x28\xb5\x2f", 3, -1, RF_CODEC_NONE},
		{"(b", 2, RF_CODEC_NONE, RF_CODEC_NONE},
		{"(", 1, -1, RF_CODEC_NONE},
		{"\xfd" "7zXZ\0\0", 7, RF_CODEC_XZ, RF_CODEC_XZ},
		{"\xfd" "7zXZ", 5, -1, RF_CODEC_NONE},
		{"\xfd" "7zXY\0", 6, RF_CODEC_NONE, RF_CODEC_NONE},
		{"BZh91AY&SY", 10, RF_CODEC_BZIP2, RF_CODEC_BZIP2},
		{"BZh1\x17\x72\x45\x38\x50\x90", 10, RF_CODEC_BZIP2, RF_CODEC_BZIP2},
		{"BZh91AY&S", 9, -1, RF_CODEC_NONE},
		{"BZh9", 4, -1, RF_CODEC_NONE},
		{"BZh", 3, -1, RF_CODEC_NONE},
		{"BZh0", 4, RF_CODEC_NONE, RF_CODEC_NONE},
		{"BZhello world\n", 14, RF_CODEC_NONE, RF_CODEC_NONE},
		{"BZh9 is a text", 14, RF_CODEC_NONE, RF_CODEC_NONE},
		{"BZh91AY&SX", 10, RF_CODEC_NONE, RF_CODEC_NONE},
		{"\x04\x22\x4d\x18", 4, RF_CODEC_LZ4, RF_CODEC_LZ4},
		{"\x04\x22\x4d", 3, -1, RF_CODEC_NONE},
		{"\x02\x21\x4c\x18", 4, RF_CODEC_NONE, RF_CODEC_NONE}, /* legacy lz4: not read */
		/* a skippable frame first: the frame after it decides */
		{"\x50\x2a\x4d\x18", 4, -1, RF_CODEC_NONE},
		{"\x50\x2a\x4d\x18\x04\0\0\0\x7d\x06\0\0\x28\xb5\x2f\xfd", 16, RF_CODEC_ZSTD, RF_CODEC_ZSTD},
		{"\x5f\x2a\x4d\x18\x04\0\0\0\x7d\x06\0\0\x28\xb5", 14, -1, RF_CODEC_NONE},
		{"\x5f\x2a\x4d\x18\0\0\0\0\x04\x22\x4d\x18", 12, RF_CODEC_LZ4, RF_CODEC_LZ4},
		{"\x50\x2a\x4d\x18\x05\0\0\0\x7d\x06\0\0\0\x28\xb5\x2f", 16, RF_CODEC_NONE, RF_CODEC_NONE},
		{"\x50\x2a\x4d\x18\0\0\0\0GET / HTTP", 18, RF_CODEC_NONE, RF_CODEC_NONE},
		{"\x50\x2a\x4d\x18\0\0\0\0\x50\x2a\x4d\x18\0\0\0\0", 16, RF_CODEC_NONE, RF_CODEC_NONE},
		/* nested: what follows the second lies past the bytes that decide */
		{"\x50\x2a\x4d\x18\x04\0\0\0\xed\x16\0\0\x50\x2a\x4d\x18\x04\0\0\0\xed\x16\0\0\x04\x22\x4d\x18",
		 28, RF_CODEC_NONE, RF_CODEC_NONE},
		{"\x50\x2a\x4d\x19", 4, RF_CODEC_NONE, RF_CODEC_NONE},
		{"P*M", 3, -1, RF_CODEC_NONE},
		{"P*Mx", 4, RF_CODEC_NONE, RF_CODEC_NONE},
		{"GET / HTTP/1.1\n", 15, RF_CODEC_NONE, RF_CODEC_NONE},
		{"127.0.0.1 - -", 13, RF_CODEC_NONE, RF_CODEC_NONE},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const unsigned char *p = (const unsigned char *)t[i].bytes;
		ck_assert_msg(rf__codec_detect(p, t[i].len, 0) == t[i].want_more, "case %zu (more)", i);
		ck_assert_msg(rf__codec_detect(p, t[i].len, 1) == t[i].want_end, "case %zu (end)", i);
	}
	/* every prefix of every real magic: -1 until complete, NONE at the end */
	for (size_t k = 0; k < NFMT; k++) {
		const struct fmt *f = &fmts[k];
		if (!have_tool(f->tool))
			continue;
		ck_assert_int_eq(sh("echo hi | %s > %s", f->tool, path_of("d")), 0);
		size_t n;
		unsigned char *z = slurp(path_of("d"), &n);
		size_t full = f->c == RF_CODEC_BZIP2 ? 10 : f->c == RF_CODEC_XZ ? 6 : f->c == RF_CODEC_GZIP ? 3 : 4;
		for (size_t m = 0; m < full; m++) {
			ck_assert_int_eq(rf__codec_detect(z, m, 0), -1);
			ck_assert_int_eq(rf__codec_detect(z, m, 1), RF_CODEC_NONE);
		}
		ck_assert_int_eq(rf__codec_detect(z, full, 0), (int)f->c);
		ck_assert_int_eq(rf__codec_detect(z, n, 1), (int)f->c);
		free(z);
	}
	for (int c = 0; c < RF_CODEC_COUNT; c++) {
		ck_assert_ptr_nonnull(rf__codec_name((enum rf_codec)c));
		if (c != RF_CODEC_NONE)
			ck_assert_ptr_nonnull(rf__codec_package((enum rf_codec)c));
	}
	ck_assert_str_eq(rf__codec_name(RF_CODEC_BZIP2), "bzip2");
}
END_TEST

/* ---- damage ---------------------------------------------------------------- */

START_TEST(truncated)
{
	const struct fmt *f = &fmts[_i];
	if (!usable(f))
		return;
	char name[32], zname[40];
	size_t zlen;
	unsigned char *z = sample(f, "tr", 300000, 11, name, zname, &zlen, NULL, NULL);
	size_t cuts[] = {1, 5, zlen / 5, zlen / 2, zlen * 4 / 5, zlen - 5, zlen - 1};
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		static const size_t pieces[] = {7, 1 << 20};
		for (int p = 0; p < 2; p++) {
			struct result r = decode(f->c, z, cuts[i], pieces[p], 4096);
			ck_assert_msg(r.rc == RF_DEC_BAD, "%s cut at %zu of %zu: not refused", f->ext, cuts[i], zlen);
			ck_assert_msg(r.offset <= cuts[i], "%s: offset %llu past %zu", f->ext,
				      (unsigned long long)r.offset, cuts[i]);
			ck_assert(r.error[0]);
			free(r.out);
		}
	}
	/* the tool agrees that a cut file is bad */
	ck_assert_int_ne(sh("head -c %zu %s | %s -d > /dev/null 2>&1", zlen / 2, path_of(zname), f->tool), 0);
	free(z);
}
END_TEST

START_TEST(flipped)
{
	const struct fmt *f = &fmts[_i];
	if (!usable(f))
		return;
	char name[32], zname[40];
	size_t zlen, plen;
	unsigned char *plain, *z = sample(f, "fl", 100000, 12, name, zname, &zlen, &plain, &plen);
	uint64_t st = 5;
	for (int k = 0; k < 60; k++) {
		unsigned char *c = malloc(zlen);
		memcpy(c, z, zlen);
		size_t at = test_rand(&st) % zlen;
		c[at] ^= (unsigned char)(1 + test_rand(&st) % 255);
		struct result r = decode(f->c, c, zlen, k % 2 ? 7 : 65536, k % 3 ? 4096 : 13);
		/* refused, or at worst different output; never a crash, and
		 * never the same output as accepted with a broken checksum */
		if (r.rc == RF_DEC_BAD)
			ck_assert(r.offset <= zlen);
		free(r.out);
		free(c);
	}
	free(z);
	free(plain);
}
END_TEST

/* a wrong checksum, the data itself intact */
START_TEST(bad_checksum)
{
	const struct fmt *f = &fmts[_i];
	if (!usable(f) || f->c == RF_CODEC_XZ)
		return; /* its check is before the index: see flipped_check */
	/* zstd writes its checksum by default, lz4 its content checksum */
	char name[32], zname[40];
	size_t zlen;
	unsigned char *z = sample(f, "ck", 50000, 13, name, zname, &zlen, NULL, NULL);
	/* gzip: CRC32 then ISIZE at the end; zstd, lz4: the checksum is last;
	 * bzip2: the stream's CRC, not byte-aligned, ends in the last byte's
	 * top bits (0 to 7 bits of padding below them) */
	size_t at = f->c == RF_CODEC_GZIP ? zlen - 8 : zlen - 1;
	z[at] ^= f->c == RF_CODEC_BZIP2 ? 0x80 : 0x55;
	spit(path_of("ck.bad"), z, zlen);
	ck_assert_int_ne(sh("%s -d < %s > /dev/null 2>&1", f->tool, path_of("ck.bad")), 0);
	struct result r = decode(f->c, z, zlen, 1 << 20, 1 << 20);
	ck_assert_int_eq(r.rc, RF_DEC_BAD);
	ck_assert_msg(strstr(r.error, "CRC") || strstr(r.error, "checksum"), "%s: %s", f->ext, r.error);
	ck_assert_uint_eq(r.offset, 0); /* the member/frame's start */
	free(r.out);
	if (f->c == RF_CODEC_GZIP) {
		/* the length (ISIZE) wrong, the CRC right */
		z[at] ^= 0x55;
		z[zlen - 1] ^= 1;
		spit(path_of("ck.bad"), z, zlen);
		ck_assert_int_ne(sh("gzip -dc < %s > /dev/null 2>&1", path_of("ck.bad")), 0);
		r = decode(f->c, z, zlen, 7, 1 << 20);
		ck_assert_int_eq(r.rc, RF_DEC_BAD);
		ck_assert_msg(strstr(r.error, "length") != NULL, "%s", r.error);
		free(r.out);
	}
	free(z);
}
END_TEST

/* xz's check and bzip2's CRC: the stored CRC32 of an xz block (xz
 * --check=crc32, the 4 bytes before the index) */
START_TEST(flipped_check)
{
	if (!usable(&fmts[2]))
		return;
	make_text("xzck", 50000, 14);
	ck_assert_int_eq(sh("xz -c --check=crc32 < %s > %s", path_of("xzck"), path_of("xzck.xz")), 0);
	size_t zlen;
	unsigned char *z = slurp(path_of("xzck.xz"), &zlen);
	/* the stream footer is 12 bytes; before it the index (multiple of 4) -
	 * find the check by searching for the CRC32 the tool stored */
	ck_assert_int_eq(sh("python3 -c \"import sys,zlib,struct;d=open(sys.argv[1],'rb').read();"
			    "c=struct.pack('<I',zlib.crc32(open(sys.argv[2],'rb').read()));i=d.rindex(c);"
			    "d=d[:i]+bytes([d[i]^1])+d[i+1:];open(sys.argv[3],'wb').write(d)\" %s %s %s",
			    path_of("xzck.xz"), path_of("xzck"), path_of("xzck.bad")),
			 0);
	free(z);
	z = slurp(path_of("xzck.bad"), &zlen);
	ck_assert_int_ne(sh("xz -dc < %s > /dev/null 2>&1", path_of("xzck.bad")), 0);
	struct result r = decode(RF_CODEC_XZ, z, zlen, 1 << 20, 1 << 20);
	ck_assert_int_eq(r.rc, RF_DEC_BAD);
	ck_assert(r.offset <= zlen);
	free(r.out);
	free(z);
}
END_TEST

START_TEST(trailing)
{
	const struct fmt *f = &fmts[_i];
	if (!usable(f))
		return;
	char name[32], zname[40];
	size_t zlen, plen;
	unsigned char *plain, *z = sample(f, "tg", 20000, 15, name, zname, &zlen, &plain, &plen);
	unsigned char *g = malloc(2 * zlen + 64);
	memcpy(g, z, zlen);
	memcpy(g + zlen, "garbage after it\n", 17);
	spit(path_of("tg.bad"), g, zlen + 17);
	/* the tools: gzip exits 2 (a warning), zstd, xz, lz4 1, bzip2 0 or 2 */
	sh("%s -d < %s > /dev/null 2>&1", f->tool, path_of("tg.bad"));
	static const size_t pieces[] = {1, 7, 1 << 20};
	/* garbage too short for a library to look at: 1 to 5 bytes */
	for (size_t k = 1; k <= 5; k++) {
		struct result r = decode(f->c, g, zlen + k, k, 65536);
		ck_assert_msg(r.rc == RF_DEC_BAD, "%s: %zu bytes of garbage accepted", f->ext, k);
		ck_assert_msg(strstr(r.error, "trailing garbage") != NULL, "%s, %zu bytes: %s", f->ext, k, r.error);
		ck_assert_uint_eq(r.offset, zlen);
		ck_assert_uint_eq(r.len, plen);
		free(r.out);
	}
	for (int p = 0; p < 3; p++) {
		struct result r = decode(f->c, g, zlen + 17, pieces[p], 65536);
		ck_assert_msg(r.rc == RF_DEC_BAD, "%s: trailing garbage accepted", f->ext);
		/* everything before it came out */
		ck_assert_uint_eq(r.len, plen);
		ck_assert(memcmp(r.out, plain, plen) == 0);
		ck_assert_uint_eq(r.offset, zlen);
		ck_assert_msg(strstr(r.error, "trailing garbage") != NULL, "%s: %s", f->ext, r.error);
		free(r.out);
	}
	if (f->c == RF_CODEC_XZ) {
		/* stream padding: zero bytes in fours, between streams and
		 * after the last (xz -d reads them); 3 zeros are not padding */
		memset(g + zlen, 0, 8);
		memcpy(g + zlen + 8, z, zlen);
		spit(path_of("tg.pad"), g, 2 * zlen + 8);
		ck_assert_int_eq(sh("xz -dc < %s > /dev/null 2>&1", path_of("tg.pad")), 0);
		struct result r = decode(f->c, g, 2 * zlen + 8, 7, 65536);
		ck_assert_msg(r.rc == RF_DEC_END, "%s", r.error);
		ck_assert_uint_eq(r.len, 2 * plen);
		ck_assert(memcmp(r.out + plen, plain, plen) == 0);
		free(r.out);
		spit(path_of("tg.pad"), g, zlen + 3);
		ck_assert_int_ne(sh("xz -dc < %s > /dev/null 2>&1", path_of("tg.pad")), 0);
		r = decode(f->c, g, zlen + 3, 1 << 20, 65536);
		ck_assert_int_eq(r.rc, RF_DEC_BAD);
		ck_assert_uint_eq(r.len, plen);
		free(r.out);
	}
	if (f->c == RF_CODEC_GZIP) {
		/* zero bytes after the last member: gzip -d ignores them and
		 * exits 0, and so do we */
		memset(g + zlen, 0, 64);
		spit(path_of("tg.zeros"), g, zlen + 64);
		ck_assert_int_eq(sh("gzip -dc < %s | cmp -s - %s", path_of("tg.zeros"), path_of(name)), 0);
		for (int p = 0; p < 3; p++) {
			struct result r = decode(f->c, g, zlen + 64, pieces[p], 65536);
			ck_assert_msg(r.rc == RF_DEC_END, "%s", r.error);
			ck_assert_uint_eq(r.len, plen);
			free(r.out);
		}
		/* zeros, then garbage: bad */
		g[zlen + 40] = 'x';
		struct result r = decode(f->c, g, zlen + 64, 7, 65536);
		ck_assert_int_eq(r.rc, RF_DEC_BAD);
		ck_assert_uint_eq(r.offset, zlen + 40);
		free(r.out);
	}
	free(g);
	free(z);
	free(plain);
}
END_TEST

/* a zstd frame asking for a 2 GiB window: refused before any allocation */
START_TEST(zstd_window)
{
	if (!rf__codec_library(RF_CODEC_ZSTD))
		return;
	/* magic, frame header descriptor 0 (no single segment, no sizes), then
	 * the window descriptor: exponent 31 - 10 = 21, in the top 5 bits */
	static const unsigned char hdr[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0x01, 0x00, 0x00};
	struct result r = decode(RF_CODEC_ZSTD, hdr, sizeof hdr, 1 << 20, 1 << 20);
	ck_assert_int_eq(r.rc, RF_DEC_BAD);
	ck_assert_msg(strstr(r.error, "window too large") != NULL, "%s", r.error);
	ck_assert_uint_eq(r.offset, 0);
	free(r.out);
	/* the tool's own: --long=31 through a pipe (size unknown) */
	if (!have_tool("zstd"))
		return;
	make_text("zw", 100000, 16);
	ck_assert_int_eq(sh("cat %s | zstd -q -c --long=31 > %s", path_of("zw"), path_of("zw.zst")), 0);
	ck_assert_int_ne(sh("zstd -q -dc < %s > /dev/null 2>&1", path_of("zw.zst")), 0);
	size_t zlen;
	unsigned char *z = slurp(path_of("zw.zst"), &zlen);
	r = decode(RF_CODEC_ZSTD, z, zlen, 7, 1 << 20);
	ck_assert_int_eq(r.rc, RF_DEC_BAD);
	ck_assert_msg(strstr(r.error, "window too large") != NULL, "%s", r.error);
	free(r.out);
	free(z);
}
END_TEST

/* an xz block whose filter is unknown: xz --delta's filter id changed to
 * one liblzma does not know, the block header's CRC32 made right again */
START_TEST(xz_filter)
{
	if (!usable(&fmts[2]) || sh("command -v python3 >/dev/null") != 0)
		return;
	make_text("xf", 20000, 17);
	ck_assert_int_eq(sh("xz -c --delta=dist=1 --lzma2 < %s > %s", path_of("xf"), path_of("xf.xz")), 0);
	ck_assert_int_eq(sh("python3 -c \"import sys,zlib,struct;d=bytearray(open(sys.argv[1],'rb').read());"
			    "n=(d[12]+1)*4;h=d[12:12+n];i=h.index(b'\\x03\\x01',2);h[i]=0x7e;"
			    "h[n-4:n]=struct.pack('<I',zlib.crc32(bytes(h[:n-4])));d[12:12+n]=h;"
			    "open(sys.argv[2],'wb').write(d)\" %s %s",
			    path_of("xf.xz"), path_of("xf.bad")),
			 0);
	ck_assert_int_ne(sh("xz -dc < %s > /dev/null 2>&1", path_of("xf.bad")), 0);
	size_t zlen;
	unsigned char *z = slurp(path_of("xf.bad"), &zlen);
	struct result r = decode(RF_CODEC_XZ, z, zlen, 1 << 20, 1 << 20);
	ck_assert_int_eq(r.rc, RF_DEC_BAD);
	ck_assert_msg(strstr(r.error, "unsupported") != NULL, "%s", r.error);
	ck_assert(r.offset <= zlen);
	free(r.out);
	free(z);
}
END_TEST

/* 100 MB of zeros, compressed to a few hundred KB: decoded in 1 MiB steps
 * with no growth of memory beyond the decoder's own bounded state */
START_TEST(bomb)
{
	const struct fmt *f = &fmts[_i];
	if (!usable(f))
		return;
	char zname[40];
	snprintf(zname, sizeof zname, "bomb.%s", f->ext);
	ck_assert_int_eq(sh("head -c 100000000 /dev/zero | %s > %s", f->tool, path_of(zname)), 0);
	size_t zlen;
	unsigned char *z = slurp(path_of(zname), &zlen);
	ck_assert(zlen < 1000000);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	long before = ru.ru_maxrss;
	struct rf_decoder *d;
	ck_assert_int_eq(rf__decoder_new(&d, f->c), 0);
	size_t room = 1 << 20, pos = 0, total = 0, calls = 0;
	char *out = malloc(room);
	int r;
	do {
		size_t used, made, give = zlen - pos < 65536 ? zlen - pos : 65536;
		r = rf__decoder_run(d, z + pos, give, &used, out, room, &made, pos + give == zlen);
		if (made > room)
			ck_abort_msg("made %zu in %zu", made, room);
		for (size_t i = 0; i < made; i += 4096)
			if (out[i])
				ck_abort_msg("not a zero at %zu", total + i);
		pos += used;
		total += made;
		calls++;
	} while (r == RF_DEC_OK);
	ck_assert_int_eq(r, RF_DEC_END);
	ck_assert_uint_eq(total, 100000000);
	ck_assert(calls >= 95);
	getrusage(RUSAGE_SELF, &ru);
	ck_assert_msg(ru.ru_maxrss - before < 64 * 1024, "grew by %ld KB", ru.ru_maxrss - before);
	rf__decoder_free(d);
	free(out);
	free(z);
}
END_TEST

/* a format whose library is not built in is refused by name */
START_TEST(refused)
{
	for (size_t k = 0; k < NFMT; k++) {
		struct rf_decoder *d = NULL;
		int r = rf__decoder_new(&d, fmts[k].c);
		if (rf__codec_library(fmts[k].c)) {
			ck_assert_int_eq(r, 0);
			rf__decoder_free(d);
		} else {
			ck_assert_int_eq(r, -ENOTSUP);
		}
	}
	struct rf_decoder *d = NULL;
	ck_assert_int_eq(rf__decoder_new(&d, RF_CODEC_NONE), -ENOTSUP);
#ifdef HAVE_ISAL
	ck_assert_str_eq(rf__codec_library(RF_CODEC_GZIP), "ISA-L igzip");
#elif defined HAVE_ZLIB
	ck_assert_str_eq(rf__codec_library(RF_CODEC_GZIP), "zlib");
#else
	ck_assert_ptr_null(rf__codec_library(RF_CODEC_GZIP));
#endif
#ifndef HAVE_ZSTD
	ck_assert_ptr_null(rf__codec_library(RF_CODEC_ZSTD));
#endif
}
END_TEST

static Suite *codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("codec");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, detection);
	tcase_add_test(tc, refused);
	tcase_add_loop_test(tc, roundtrip, 0, NFMT);
	tcase_add_loop_test(tc, multi, 0, NFMT);
	tcase_add_test(tc, bgzf);
	tcase_add_test(tc, pzstd);
	tcase_add_loop_test(tc, truncated, 0, NFMT);
	tcase_add_loop_test(tc, flipped, 0, NFMT);
	tcase_add_loop_test(tc, bad_checksum, 0, NFMT);
	tcase_add_test(tc, flipped_check);
	tcase_add_loop_test(tc, trailing, 0, NFMT);
	tcase_add_test(tc, zstd_window);
	tcase_add_test(tc, xz_filter);
	tcase_add_loop_test(tc, bomb, 0, 2); /* gzip and zstd */
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return TEST_HARD_ERROR;
	}
	int rc = run_suite(codec_suite());
	sh("rm -rf %s", dir);
	return rc;
}
