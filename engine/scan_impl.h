/* SPDX-License-Identifier: MIT */
/* scan_impl.h - the structural scan every level shares (see scan.h).
 *
 * Included by each scan_LEVEL.c after it defines:
 *   SCAN_TARGET      the target attribute of its functions (may be empty)
 *   scan_classify(p, m)   one whole 64-byte block into struct scan_masks
 *   scan_prefix_xor(x)    bit i = XOR of bits 0..i of x
 *   scan_eq2(p, a, b, ma, mb)  masks of the bytes equal to a and to b in one
 *                         whole 64-byte block
 * and, with SCAN_HAVE_TAIL, scan_classify_tail(p, left, m) for a last block
 * of left < 64 bytes, the bytes past them classified as blanks (without it
 * the tail is copied into a block of blanks).
 * and gets scan_json_index, its rf_json_index_fn.  Everything here is plain
 * 64-bit arithmetic on those masks.
 */
#include <string.h>

#ifndef RF_SCAN_IMPL_ONCE
#define RF_SCAN_IMPL_ONCE

struct scan_masks {
	uint64_t quote, bs, op, ws, ctrl;
};

/* Bit i set where byte i is escaped: it follows an odd-length run of
 * backslashes.  *carry is 1 when the previous block ended on an escape
 * starter (its first byte is escaped).  The run lengths come from the
 * carries of one addition: a run starting on an odd bit is added to itself
 * from its start, so the carry out of its end lands on the byte after it
 * exactly when the run is odd; runs starting on even bits are found with
 * the flipped mask.  (simdjson's find_escaped_branchless.) */
static inline uint64_t scan_escaped(uint64_t bs, uint64_t *carry)
{
	const uint64_t even = 0x5555555555555555ULL;
	bs &= ~*carry; /* an escaped backslash starts nothing */
	uint64_t follows = bs << 1 | *carry;
	uint64_t odd_starts = bs & ~even & ~follows;
	uint64_t even_runs;
	*carry = __builtin_add_overflow(odd_starts, bs, &even_runs);
	return (even ^ (even_runs << 1)) & follows;
}

/* The generic prefix XOR, for levels without a carry-less multiply. */
static inline uint64_t scan_prefix_xor_shifts(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

/* What carries from one block to the next. */
struct scan_carry {
	uint64_t escaped;   /* 1: the next block's first byte is escaped */
	uint64_t in_string; /* all ones: the next block starts inside a string */
	uint64_t other;     /* 1: a run of other bytes goes on */
	uint64_t bad, bs;   /* seen so far: control bytes in strings, backslashes */
};

#endif

/* One block's tokens, written at tok + *nt as offsets base + bit. */
SCAN_TARGET static inline void scan_block(const struct scan_masks *m, struct scan_carry *c, uint32_t base, uint32_t *tok,
					  size_t *nt)
{
	uint64_t esc = m->bs | c->escaped ? scan_escaped(m->bs, &c->escaped) : 0;
	uint64_t quote = m->quote & ~esc;
	uint64_t in = scan_prefix_xor(quote) ^ c->in_string;
	c->in_string = (uint64_t)((int64_t)in >> 63);
	c->bad |= m->ctrl & in;
	c->bs |= m->bs;
	uint64_t other = ~(m->op | m->ws | m->quote) & ~in;
	uint64_t starts = other & ~(other << 1 | c->other);
	c->other = other >> 63;
	/* a string's opening quote only: its closing one is the last byte
	 * before the next token that is not blank */
	uint64_t t = (m->op & ~in) | (quote & in) | starts;
	/* eight offsets written whether there are that many or not (the
	 * array has room for it), so that the loop's length rarely depends
	 * on the data and the branch is rarely mispredicted */
	uint32_t *o = tok + *nt;
	size_t cnt = (size_t)__builtin_popcountll(t);
#pragma GCC unroll 8
	for (int j = 0; j < 8; j++) {
		o[j] = base + (uint32_t)__builtin_ctzll(t | 1ULL << 63);
		t &= t - 1;
	}
	for (size_t j = 8; j < cnt; j++) {
		o[j] = base + (uint32_t)__builtin_ctzll(t);
		t &= t - 1;
	}
	*nt += cnt;
}

SCAN_TARGET static size_t scan_json_index(const char *p, size_t n, uint32_t *tok, unsigned *flags)
{
	struct scan_carry c = { 0, 0, 0, 0, 0 };
	struct scan_masks m;
	size_t nt = 0, i = 0;
	for (; n - i >= 64; i += 64) {
		scan_classify(p + i, &m);
		scan_block(&m, &c, (uint32_t)i, tok, &nt);
	}
	if (i < n) {
#ifdef SCAN_HAVE_TAIL
		scan_classify_tail(p + i, n - i, &m);
#else
		/* the last bytes, padded with blanks: they make no token and
		 * change no string */
		char pad[64];
		memset(pad, ' ', sizeof pad);
		memcpy(pad, p + i, n - i);
		scan_classify(pad, &m);
#endif
		scan_block(&m, &c, (uint32_t)i, tok, &nt);
	}
	*flags = (c.bs ? RF_SCAN_BACKSLASH : 0) | (c.bad || c.in_string ? RF_SCAN_BAD : 0);
	return nt;
}

/* The offsets of every byte equal to sep in p[0..n), into out[] (room for
 * RF_SCAN_TOKENS(n)); *quoted is set when a quote is among the bytes.
 * The csv and tsv parsers take a record's fields from it at once when it
 * holds no quote. */
SCAN_TARGET static size_t scan_sep_index(const char *p, size_t n, char sep, uint32_t *out, int *quoted)
{
	uint64_t ms, mq, q = 0;
	size_t nt = 0, i = 0;
	char pad[64];
	for (; i < n; i += 64) {
		const char *b = p + i;
		if (n - i < 64) {
			memset(pad, 0, sizeof pad); /* neither a separator nor a quote */
			memcpy(pad, b, n - i);
			b = pad;
		}
		scan_eq2(b, sep, '"', &ms, &mq);
		q |= mq;
		uint32_t *o = out + nt;
		size_t cnt = (size_t)__builtin_popcountll(ms);
#pragma GCC unroll 8
		for (int j = 0; j < 8; j++) {
			o[j] = (uint32_t)i + (uint32_t)__builtin_ctzll(ms | 1ULL << 63);
			ms &= ms - 1;
		}
		for (size_t j = 8; j < cnt; j++) {
			o[j] = (uint32_t)i + (uint32_t)__builtin_ctzll(ms);
			ms &= ms - 1;
		}
		nt += cnt;
	}
	*quoted = q != 0;
	return nt;
}
