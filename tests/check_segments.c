/* SPDX-License-Identifier: MIT */
/* check_segments.c - cut points of compressed files (io/codec_segments.c).
 *
 * The files are made by the format's own tools (zstd, pzstd, lz4, xz,
 * gzip, bzip2) one piece at a time, and BGZF by a Python writer, so the
 * member/frame boundaries are known from the pieces' sizes, independently of
 * the walker.  Every segment is then decoded on its own by the CLI tool and
 * the outputs, joined, must be the original.  Truncated, corrupted and
 * random inputs must give sane cuts and no crash. */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "helpers.h"
#include "codec.h"
#include "codec_segments.h"

#define MAXB 4096

static char dir[64];

static void make_dir(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/rf-seg-XXXXXX", base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int have(const char *tool)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

static unsigned char *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	struct stat st;
	ck_assert_int_eq(fstat(fileno(f), &st), 0);
	unsigned char *p = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fread(p, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	*n = (size_t)st.st_size;
	return p;
}

static void run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		ck_abort_msg("'%s' failed (%d)", cmd, rc);
}

/* Piece contents of several kinds: text lines, random bytes (stored or
 * raw blocks), one repeated byte (RLE blocks), nothing. */
static size_t make_piece(unsigned char *p, size_t len, int kind, uint64_t *seed)
{
	for (size_t i = 0; i < len; i++) {
		if (kind == 0) {
			uint64_t r = test_rand(seed);
			int k = snprintf((char *)p + i, len - i + 1 > 40 ? 40 : len - i + 1,
					 "%llu GET /x/%u 200\n", (unsigned long long)(r % 100000000),
					 (unsigned)(r >> 40) % 500);
			i += (size_t)k - 1;
		} else if (kind == 1) {
			p[i] = (unsigned char)test_rand(seed);
		} else {
			p[i] = 'z';
		}
	}
	return kind == 3 ? 0 : len;
}

/* A compressed file built piece by piece. */
struct built {
	unsigned char *z, *plain;
	size_t zn, pn;
	uint64_t bounds[MAXB]; /* unit starts, the first 0 */
	int nb;
};

static void built_free(struct built *b)
{
	free(b->z);
	free(b->plain);
}

static void append(unsigned char **buf, size_t *n, const void *p, size_t len)
{
	*buf = realloc(*buf, *n + len + 1);
	ck_assert_ptr_nonnull(*buf);
	if (len)
		memcpy(*buf + *n, p, len);
	*n += len;
}

/* Compress p[0..n) with `cmd` (reading the file named by %s) and append it
 * as one unit. */
static void add_piece(struct built *b, const char *cmd, const unsigned char *p, size_t n)
{
	char in[128], out[128];
	snprintf(in, sizeof in, "%s/piece", dir);
	snprintf(out, sizeof out, "%s/piece.z", dir);
	write_file(in, p, n);
	char full[512];
	snprintf(full, sizeof full, cmd, in);
	run("%s > '%s'", full, out);
	size_t zn;
	unsigned char *z = read_file(out, &zn);
	ck_assert_int_lt(b->nb, MAXB);
	b->bounds[b->nb++] = b->zn;
	append(&b->z, &b->zn, z, zn);
	append(&b->plain, &b->pn, p, n);
	free(z);
}

/* A skippable frame (zstd and lz4 share it) with `len` bytes of payload. */
static void add_skippable(struct built *b, unsigned nibble, size_t len)
{
	unsigned char h[8] = {(unsigned char)(0x50 | nibble), 0x2A, 0x4D, 0x18, (unsigned char)len,
			      (unsigned char)(len >> 8), (unsigned char)(len >> 16), (unsigned char)(len >> 24)};
	b->bounds[b->nb++] = b->zn;
	append(&b->z, &b->zn, h, 8);
	unsigned char *pad = calloc(1, len + 1);
	memset(pad, 0x28, len); /* looks like a zstd magic's first byte */
	append(&b->z, &b->zn, pad, len);
	free(pad);
}

/* cuts[0..k) must be 0, strictly rising, below n and each one of bounds */
static void check_sane(const uint64_t *cuts, int k, int max, size_t n, const uint64_t *bounds, int nb)
{
	ck_assert_int_ge(k, 1);
	ck_assert_int_le(k, max);
	ck_assert_uint_eq(cuts[0], 0);
	for (int i = 1; i < k; i++) {
		ck_assert_uint_gt(cuts[i], cuts[i - 1]);
		ck_assert_uint_lt(cuts[i], n);
		if (bounds) {
			int found = 0;
			for (int j = 0; j < nb && !found; j++)
				found = bounds[j] == cuts[i];
			ck_assert_msg(found, "cut %llu is no unit start", (unsigned long long)cuts[i]);
		}
	}
}

/* Decode each segment alone with `tool` and compare the joined output. */
static void check_decodes(const struct built *b, const uint64_t *cuts, int k, const char *tool)
{
	char seg[128], out[128];
	snprintf(seg, sizeof seg, "%s/seg", dir);
	snprintf(out, sizeof out, "%s/out", dir);
	run(": > '%s'", out);
	for (int i = 0; i < k; i++) {
		size_t end = i + 1 < k ? cuts[i + 1] : b->zn;
		write_file(seg, b->z + cuts[i], end - cuts[i]);
		run("%s < '%s' >> '%s'", tool, seg, out);
	}
	size_t n;
	unsigned char *got = read_file(out, &n);
	ck_assert_uint_eq(n, b->pn);
	ck_assert(n == 0 || memcmp(got, b->plain, n) == 0);
	free(got);
}

/* Every unit start cut with target 1; with larger targets each segment
 * but the last is at least target, cut at the first boundary that makes
 * it so (unless what would follow is under target/2). */
static void check_layout(const struct built *b, int codec, const char *tool)
{
	static uint64_t cuts[MAXB];
	int k = rf__codec_segments(codec, b->z, b->zn, 1, cuts, MAXB);
	ck_assert_int_eq(k, b->nb);
	for (int i = 0; i < k; i++)
		ck_assert_uint_eq(cuts[i], b->bounds[i]);
	check_decodes(b, cuts, k, tool);

	size_t targets[] = {b->zn / 7, b->zn / 3, b->zn / 2, b->zn, b->zn * 2, 100};
	for (size_t t = 0; t < sizeof targets / sizeof *targets; t++) {
		size_t target = targets[t] ? targets[t] : 1;
		k = rf__codec_segments(codec, b->z, b->zn, target, cuts, MAXB);
		check_sane(cuts, k, MAXB, b->zn, b->bounds, b->nb);
		uint64_t want[MAXB], last = 0;
		int wk = 1;
		want[0] = 0;
		for (int j = 1; j < b->nb; j++)
			if (b->bounds[j] - last >= target && b->zn - b->bounds[j] >= target / 2)
				want[wk++] = last = b->bounds[j];
		ck_assert_int_eq(k, wk);
		for (int j = 0; j < k; j++)
			ck_assert_uint_eq(cuts[j], want[j]);
		if (t == 1)
			check_decodes(b, cuts, k, tool);
	}
	/* max_cuts bounds the count; the last segment takes the rest */
	k = rf__codec_segments(codec, b->z, b->zn, 1, cuts, 2);
	ck_assert_int_eq(k, b->nb < 2 ? b->nb : 2);
	if (k == 2)
		check_decodes(b, cuts, k, tool);
}

/* Truncations keep only true boundaries; corruption and garbage only need
 * sane cuts (a corrupt size may lead anywhere) and no crash. */
static void check_damage(const struct built *b, int codec)
{
	int backward = codec == RF_CODEC_XZ; /* walks from the end */
	static uint64_t cuts[MAXB];
	size_t step = b->zn / 3000 + 1;
	for (size_t len = 0; len <= b->zn; len += step) {
		/* an exact copy, so that a read past the end shows under valgrind */
		unsigned char *prefix = len ? malloc(len) : NULL;
		if (len)
			memcpy(prefix, b->z, len);
		int k = rf__codec_segments(codec, prefix, len, 1, cuts, MAXB);
		free(prefix);
		check_sane(cuts, k, MAXB, len, b->bounds, b->nb);
		/* the unit ending exactly at the cut point is whole, and is
		 * the only one that may be missing from the cuts */
		for (int j = 1; !backward && j < b->nb && b->bounds[j] < len; j++)
			if (j + 1 < b->nb && b->bounds[j + 1] <= len)
				ck_assert_uint_eq(cuts[j], b->bounds[j]);
	}
	unsigned char *copy = malloc(b->zn);
	ck_assert_ptr_nonnull(copy);
	uint64_t seed = 14;
	for (int trial = 0; trial < 2000; trial++) {
		memcpy(copy, b->z, b->zn);
		int flips = 1 + (int)(test_rand(&seed) % 4);
		for (int f = 0; f < flips; f++) {
			size_t at = test_rand(&seed) % b->zn;
			/* mostly near unit starts, where the headers are */
			if (trial % 2) {
				int j = (int)(test_rand(&seed) % (uint64_t)b->nb);
				at = (b->bounds[j] + test_rand(&seed) % 24) % b->zn;
			}
			copy[at] ^= (unsigned char)(1 + test_rand(&seed) % 255);
		}
		int k = rf__codec_segments(codec, copy, b->zn, 1 + test_rand(&seed) % 3000, cuts, MAXB);
		check_sane(cuts, k, MAXB, b->zn, NULL, 0);
	}
	for (int trial = 0; trial < 500; trial++) {
		size_t len = 1 + test_rand(&seed) % 4000;
		unsigned char *g = malloc(len);
		memcpy(g, b->z, len < 16 ? len : 16); /* a real magic, then noise */
		for (size_t i = 16; i < len; i++)
			g[i] = (unsigned char)test_rand(&seed);
		int k = rf__codec_segments(codec, g, len, 1, cuts, MAXB);
		check_sane(cuts, k, MAXB, len, NULL, 0);
		free(g);
	}
	free(copy);
}

static unsigned char piece[600000];

START_TEST(test_zstd_frames)
{
	if (!have("zstd"))
		return;
	struct built b = {0};
	uint64_t seed = 1;
	static const char *cmds[] = {
		"zstd -q -c -1 < '%s'",                  /* no content size (stdin) */
		"zstd -q -c -19 --no-check '%s'",        /* content size, no checksum */
		"zstd -q -c -3 '%s'",                    /* content size and checksum */
		"zstd -q -c --single-thread --long=24 < '%s'",
	};
	for (int i = 0; i < 14; i++) {
		int kind = i % 4;
		size_t len = kind == 3 ? 0 : 1000 + (size_t)(test_rand(&seed) % (i == 5 ? 400000 : 60000));
		if (kind == 2 && i > 8)
			len += 300000; /* RLE blocks come after a frame's first */
		make_piece(piece, len, kind, &seed);
		add_piece(&b, cmds[i % 4], piece, kind == 3 ? 0 : len);
		if (i == 6 || i == 13)
			add_skippable(&b, (unsigned)i & 15, i == 6 ? 0 : 37);
	}
	check_layout(&b, RF_CODEC_ZSTD, "zstd -q -dc");
	check_damage(&b, RF_CODEC_ZSTD);
	built_free(&b);
}
END_TEST

/* pzstd writes a skippable frame before each frame; a big input gives
 * several frames: the cuts must be some of them, and decode. */
START_TEST(test_pzstd)
{
	if (!have("pzstd"))
		return;
	struct built b = {0};
	uint64_t seed = 2;
	size_t len = make_piece(piece, sizeof piece - 1, 0, &seed);
	uint64_t cuts[64];
	/* pzstd cuts its input every few MiB: 12 MB gives several frames;
	 * no independent boundaries here, the decoding is the oracle */
	char path[128];
	snprintf(path, sizeof path, "%s/big", dir);
	FILE *f = fopen(path, "wb");
	for (int i = 0; i < 20; i++)
		fwrite(piece, 1, len, f);
	fclose(f);
	run("pzstd -q -p 2 -1 -c < '%s' > '%s.zst'", path, path);
	char zpath[140];
	snprintf(zpath, sizeof zpath, "%s.zst", path);
	b.z = read_file(zpath, &b.zn);
	b.plain = read_file(path, &b.pn);
	int k = rf__codec_segments(RF_CODEC_ZSTD, b.z, b.zn, 1, cuts, 64);
	check_sane(cuts, k, 64, b.zn, NULL, 0);
	ck_assert_int_gt(k, 1);
	check_decodes(&b, cuts, k, "zstd -q -dc");
	built_free(&b);
}
END_TEST

/* The BGZF writer: blocks of random sizes, optionally another subfield
 * beside BC, stored blocks, the EOF block; it prints every member start. */
static const char bgzf_py[] =
	"import zlib, struct, sys, random\n"
	"data = open(sys.argv[1], 'rb').read()\n"
	"out = open(sys.argv[2], 'wb')\n"
	"random.seed(int(sys.argv[3])); extra = int(sys.argv[4]); level = int(sys.argv[5])\n"
	"off = 0\n"
	"def member(chunk):\n"
	"    global off\n"
	"    c = zlib.compressobj(level, zlib.DEFLATED, -15)\n"
	"    d = c.compress(chunk) + c.flush()\n"
	"    sub = b''\n"
	"    if extra: sub += b'XY' + struct.pack('<H', 3) + b'BC\\x02'\n"
	"    xlen = len(sub) + 6\n"
	"    bsize = 12 + xlen + len(d) + 8\n"
	"    assert bsize <= 65536\n"
	"    sub += b'BC' + struct.pack('<HH', 2, bsize - 1)\n"
	"    m = b'\\x1f\\x8b\\x08\\x04' + struct.pack('<I', 0) + b'\\x00\\xff' + struct.pack('<H', xlen) + sub + d\n"
	"    m += struct.pack('<II', zlib.crc32(chunk), len(chunk))\n"
	"    print(off); off += len(m); out.write(m)\n"
	"pos = 0\n"
	"while pos < len(data):\n"
	"    k = random.choice([1, 100, 5000, 65280, random.randint(1, 65280)])\n"
	"    member(data[pos:pos + k]); pos += k\n"
	"member(b'')\n";

static void build_bgzf(struct built *b, const unsigned char *p, size_t n, int seed, int extra, int level)
{
	char py[128], in[128], out[128], list[128];
	snprintf(py, sizeof py, "%s/bgzf.py", dir);
	snprintf(in, sizeof in, "%s/plain", dir);
	snprintf(out, sizeof out, "%s/x.bgz", dir);
	snprintf(list, sizeof list, "%s/starts", dir);
	write_file(py, bgzf_py, strlen(bgzf_py));
	write_file(in, p, n);
	run("python3 '%s' '%s' '%s' %d %d %d > '%s'", py, in, out, seed, extra, level, list);
	b->z = read_file(out, &b->zn);
	b->plain = malloc(n + 1);
	memcpy(b->plain, p, n);
	b->pn = n;
	FILE *f = fopen(list, "r");
	unsigned long long v;
	b->nb = 0;
	while (fscanf(f, "%llu", &v) == 1 && b->nb < MAXB)
		b->bounds[b->nb++] = v;
	fclose(f);
}

START_TEST(test_bgzf)
{
	if (!have("python3") || !have("gzip"))
		return;
	uint64_t seed = 3;
	size_t len = make_piece(piece, 400000, 0, &seed);
	make_piece(piece + 300000, 50000, 1, &seed); /* incompressible stretch */
	for (int v = 0; v < 3; v++) {
		struct built b = {0};
		build_bgzf(&b, piece, len, v, v == 1, v == 2 ? 0 : 6);
		ck_assert_int_gt(b.nb, 5);
		check_layout(&b, RF_CODEC_GZIP, "gzip -dc");
		if (v == 0)
			check_damage(&b, RF_CODEC_GZIP);
		built_free(&b);
	}
}
END_TEST

/* BGZF members, then an ordinary gzip member: cutting stops before it,
 * and the segments still decode. */
START_TEST(test_bgzf_then_plain_gzip)
{
	if (!have("python3") || !have("gzip"))
		return;
	uint64_t seed = 4;
	size_t len = make_piece(piece, 300000, 0, &seed);
	struct built b = {0};
	build_bgzf(&b, piece, len, 7, 0, 6);
	int nbgzf = b.nb;
	uint64_t plain_at = b.zn;
	add_piece(&b, "gzip -c < '%s'", piece, 100000);
	/* more BGZF after it would be fine to decode but must not be cut at */
	struct built tail = {0};
	build_bgzf(&tail, piece, 200000, 8, 0, 6);
	append(&b.z, &b.zn, tail.z, tail.zn);
	append(&b.plain, &b.pn, tail.plain, tail.pn);
	built_free(&tail);
	static uint64_t cuts[MAXB];
	int k = rf__codec_segments(RF_CODEC_GZIP, b.z, b.zn, 1, cuts, MAXB);
	/* every BGZF member start, and the plain member's start (the
	 * BGZF member before it is whole); nothing after */
	ck_assert_int_eq(k, nbgzf + 1);
	for (int i = 0; i < nbgzf; i++)
		ck_assert_uint_eq(cuts[i], b.bounds[i]);
	ck_assert_uint_eq(cuts[nbgzf], plain_at);
	check_decodes(&b, cuts, k, "gzip -dc");
	built_free(&b);
}
END_TEST

START_TEST(test_lz4_frames)
{
	if (!have("lz4"))
		return;
	struct built b = {0};
	uint64_t seed = 5;
	static const char *cmds[] = {
		"lz4 -q -c < '%s'",
		"lz4 -q -c -BD -B4 < '%s'",                     /* linked 64 KiB blocks */
		"lz4 -q -c -BX --no-frame-crc -B5 < '%s'",      /* block checksums */
		"lz4 -q -c --content-size -9 -B7 '%s'",         /* content size */
		"lz4 -q -c -BX -B4 --content-size '%s'",
	};
	for (int i = 0; i < 15; i++) {
		int kind = i % 4;
		size_t len = kind == 3 ? 0 : 1000 + (size_t)(test_rand(&seed) % (i % 5 == 1 ? 300000 : 80000));
		make_piece(piece, len, kind, &seed);
		add_piece(&b, cmds[i % 5], piece, kind == 3 ? 0 : len);
		if (i == 4)
			add_skippable(&b, 0xA, 11);
	}
	check_layout(&b, RF_CODEC_LZ4, "lz4 -q -dc");
	check_damage(&b, RF_CODEC_LZ4);
	built_free(&b);
}
END_TEST

/* xz streams: every check type, stream padding between and after them
 * (it stays with the stream before), an empty stream, several blocks in
 * one stream (not cut). */
START_TEST(test_xz_streams)
{
	if (!have("xz"))
		return;
	struct built b = {0};
	uint64_t seed = 9;
	static const char *cmds[] = {
		"xz -q -c -1 < '%s'",
		"xz -q -c --check=crc32 -0 < '%s'",
		"xz -q -c --check=sha256 -T2 --block-size=20000 < '%s'",
		"xz -q -c --check=none -2 < '%s'",
	};
	static const unsigned char zeros[12] = {0};
	for (int i = 0; i < 12; i++) {
		int kind = i % 4;
		size_t len = kind == 3 ? 0 : 500 + (size_t)(test_rand(&seed) % 60000);
		make_piece(piece, len, kind, &seed);
		add_piece(&b, cmds[i % 4], piece, kind == 3 ? 0 : len);
		if (i % 3 == 1)
			append(&b.z, &b.zn, zeros, 4 * (size_t)(1 + i % 3)); /* stream padding */
	}
	append(&b.z, &b.zn, zeros, 8);
	check_layout(&b, RF_CODEC_XZ, "xz -q -dc");
	check_damage(&b, RF_CODEC_XZ);
	built_free(&b);
}
END_TEST

/* Files that must not be cut: one unit, or units whose size is unknown. */
START_TEST(test_uncuttable)
{
	uint64_t seed = 6, cuts[16];
	size_t len = make_piece(piece, 500000, 0, &seed);
	struct {
		const char *tool, *cmd;
		int codec, twice;
	} c[] = {
		{"gzip", "gzip -c < '%s'", RF_CODEC_GZIP, 0},
		{"gzip", "gzip -c < '%s'", RF_CODEC_GZIP, 1},   /* ordinary members */
		{"pigz", "pigz -q -p 2 -c < '%s'", RF_CODEC_GZIP, 0},
		{"zstd", "zstd -q -c -T2 < '%s'", RF_CODEC_ZSTD, 0},
		{"zstd", "zstd -q -c -B100000 < '%s'", RF_CODEC_ZSTD, 0},
		{"lz4", "lz4 -q -c < '%s'", RF_CODEC_LZ4, 0},
		{"lz4", "lz4 -q -c -l < '%s'", RF_CODEC_LZ4, 1}, /* legacy format */
		{"xz", "xz -q -c < '%s'", RF_CODEC_XZ, 0},
		{"xz", "xz -q -c -T2 --block-size=100000 < '%s'", RF_CODEC_XZ, 0}, /* blocks, one stream */
		{"bzip2", "bzip2 -q -c < '%s'", RF_CODEC_BZIP2, 1},
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		if (!have(c[i].tool))
			continue;
		struct built b = {0};
		add_piece(&b, c[i].cmd, piece, len);
		if (c[i].twice)
			add_piece(&b, c[i].cmd, piece, len / 2);
		int k = rf__codec_segments(c[i].codec, b.z, b.zn, 1, cuts, 16);
		ck_assert_msg(k == 1, "%s: %d cuts", c[i].cmd, k);
		ck_assert_uint_eq(cuts[0], 0);
		/* plain bytes under any codec */
		k = rf__codec_segments(c[i].codec, b.plain, b.pn, 1, cuts, 16);
		ck_assert_int_eq(k, 1);
		built_free(&b);
	}
	ck_assert_int_eq(rf__codec_segments(RF_CODEC_NONE, piece, len, 1, cuts, 16), 1);
	ck_assert_int_eq(rf__codec_segments(RF_CODEC_ZSTD, NULL, 0, 1, cuts, 16), 1);
	ck_assert_int_eq(rf__codec_segments(RF_CODEC_ZSTD, piece, len, 0, cuts, 16), 1);
	ck_assert_int_eq(rf__codec_segments(99, piece, len, 1, cuts, 16), 1);
	ck_assert_int_eq(rf__codec_segments(RF_CODEC_ZSTD, piece, len, 1, NULL, 16), -EINVAL);
	ck_assert_int_eq(rf__codec_segments(RF_CODEC_ZSTD, piece, len, 1, cuts, 0), -EINVAL);
	ck_assert_int_eq(rf__codec_segments(RF_CODEC_ZSTD, NULL, 5, 1, cuts, 16), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("segments");
	TCase *t = tcase_create("formats");
	tcase_add_checked_fixture(t, make_dir, remove_dir);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, test_zstd_frames);
	tcase_add_test(t, test_pzstd);
	tcase_add_test(t, test_bgzf);
	tcase_add_test(t, test_bgzf_then_plain_gzip);
	tcase_add_test(t, test_lz4_frames);
	tcase_add_test(t, test_xz_streams);
	tcase_add_test(t, test_uncuttable);
	suite_add_tcase(s, t);
	return run_suite(s);
}
