/* SPDX-License-Identifier: MIT */
/* strmap.c - open-addressing byte-string map. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "strmap.h"

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

uint64_t rf__hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0x100000001b3ULL);
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x87c37b91114253d5ULL;
		h = (h << 31) | (h >> 33);
		s += 8;
		n -= 8;
	}
	uint64_t w = 0;
	if (n)
		memcpy(&w, s, n);
	h = (h ^ w) * 0x4cf5ad432745937fULL;
	return mix(h);
}

void rf__strmap_init(struct rf_strmap *m)
{
	memset(m, 0, sizeof *m);
}

void rf__strmap_free(struct rf_strmap *m)
{
	free(m->slots);
	free(m->loc);
	free(m->keys);
	memset(m, 0, sizeof *m);
}

void rf__strmap_clear(struct rf_strmap *m)
{
	if (m->slots)
		memset(m->slots, 0, m->cap * sizeof *m->slots);
	m->count = 0;
	m->keys_len = 0;
}

void rf__strmap_drop_index(struct rf_strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = 0;
	m->bits = 0;
}

/* The first slot to try: the top bits of the 32 hash bits a slot keeps. */
static inline size_t home(uint32_t tag, unsigned bits)
{
	return (size_t)(tag >> (32 - bits));
}

static int grow_slots(struct rf_strmap *m)
{
	unsigned bits = m->cap ? m->bits + 1 : 4;
	if (bits > 32)
		return -E2BIG;
	size_t cap = (size_t)1 << bits;
	uint64_t *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return -ENOMEM;
	/* placed again from the hash bits in the slots: no key is read */
	for (size_t i = 0; i < m->cap; i++) {
		uint64_t s = m->slots[i];
		if (!s)
			continue;
		size_t pos = home((uint32_t)(s >> 32), bits);
		while (slots[pos])
			pos = (pos + 1) & (cap - 1);
		slots[pos] = s;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	m->bits = bits;
	return 0;
}

static int key_equal(const struct rf_strmap *m, size_t i, const char *key, size_t len)
{
	size_t l;
	const char *k = rf__strmap_key(m, i, &l);
	return l == len && (len == 0 || memcmp(k, key, len) == 0);
}

int64_t rf__strmap_find(const struct rf_strmap *m, const char *key, size_t len, uint64_t h)
{
	uint32_t tag = (uint32_t)(h >> 32);
	if (!m->cap)
		return -1;
	size_t pos = home(tag, m->bits);
	uint64_t s;
	while ((s = m->slots[pos])) {
		if ((uint32_t)(s >> 32) == tag && key_equal(m, (uint32_t)s - 1, key, len))
			return (int64_t)((uint32_t)s - 1);
		pos = (pos + 1) & (m->cap - 1);
	}
	return -1;
}

int64_t rf__strmap_put(struct rf_strmap *m, const char *key, size_t len, uint64_t h, int *added)
{
	*added = 0;
	uint32_t tag = (uint32_t)(h >> 32);
	int64_t found = rf__strmap_find(m, key, len, h);
	if (found >= 0)
		return found;
	if (!m->cap && m->count)
		return -EINVAL; /* the index was dropped */
	if (m->count >= UINT32_MAX - 1)
		return -E2BIG;
	/* keep the load at most 3/4: short probe runs */
	if ((m->count + 1) * 4 > m->cap * 3) {
		int r = grow_slots(m);
		if (r < 0)
			return r;
	}
	if (m->count == m->index_cap) {
		size_t cap = m->index_cap ? m->index_cap * 2 : 8;
		uint64_t *loc = realloc(m->loc, cap * sizeof *loc);
		if (!loc)
			return -ENOMEM;
		m->loc = loc;
		m->index_cap = cap;
	}
	size_t need = len >= RF_STRMAP_LONG ? len + 8 : len;
	if (m->keys_len + need > ((uint64_t)1 << 40))
		return -E2BIG;
	if (m->keys_len + need > m->keys_cap || !m->keys) {
		size_t cap = m->keys_cap ? m->keys_cap * 2 : 256;
		while (cap < m->keys_len + need)
			cap *= 2;
		char *k = realloc(m->keys, cap);
		if (!k)
			return -ENOMEM;
		m->keys = k;
		m->keys_cap = cap;
	}
	size_t i = m->count++;
	uint64_t off = m->keys_len;
	if (len >= RF_STRMAP_LONG) {
		uint64_t n = len;
		memcpy(m->keys + off, &n, 8);
		memcpy(m->keys + off + 8, key, len);
		m->loc[i] = off << 24 | RF_STRMAP_LONG;
	} else {
		if (len)
			memcpy(m->keys + off, key, len);
		m->loc[i] = off << 24 | len;
	}
	m->keys_len += need;
	size_t pos = home(tag, m->bits);
	while (m->slots[pos])
		pos = (pos + 1) & (m->cap - 1);
	m->slots[pos] = (uint64_t)tag << 32 | ((uint64_t)i + 1);
	*added = 1;
	return (int64_t)i;
}

size_t rf__strmap_bytes(const struct rf_strmap *m)
{
	/* in use: room reserved past the end is never touched, so never resident */
	return m->cap * sizeof *m->slots + m->count * sizeof *m->loc + m->keys_len;
}
