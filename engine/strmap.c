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
	free(m->hash);
	free(m->key_off);
	free(m->key_len);
	free(m->keys);
	memset(m, 0, sizeof *m);
}

static int grow_slots(struct rf_strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	uint32_t *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->count; i++) {
		size_t pos = m->hash[i] & (cap - 1);
		while (slots[pos])
			pos = (pos + 1) & (cap - 1);
		slots[pos] = (uint32_t)i + 1;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int64_t rf__strmap_put(struct rf_strmap *m, const char *key, size_t len, uint64_t h, int *added)
{
	*added = 0;
	if (m->cap) {
		size_t pos = h & (m->cap - 1);
		uint32_t s;
		while ((s = m->slots[pos])) {
			size_t i = s - 1;
			if (m->hash[i] == h && m->key_len[i] == len &&
			    (len == 0 || memcmp(m->keys + m->key_off[i], key, len) == 0))
				return (int64_t)i;
			pos = (pos + 1) & (m->cap - 1);
		}
	}
	if (m->count >= UINT32_MAX - 1 || len > UINT32_MAX)
		return -E2BIG;
	/* keep the load under 1/2: short probe runs */
	if ((m->count + 1) * 2 > m->cap && grow_slots(m) < 0)
		return -ENOMEM;
	if (m->count == m->index_cap) {
		size_t cap = m->index_cap ? m->index_cap * 2 : 8;
		uint64_t *hh = realloc(m->hash, cap * sizeof *hh);
		if (!hh)
			return -ENOMEM;
		m->hash = hh;
		uint64_t *ko = realloc(m->key_off, cap * sizeof *ko);
		if (!ko)
			return -ENOMEM;
		m->key_off = ko;
		uint32_t *kl = realloc(m->key_len, cap * sizeof *kl);
		if (!kl)
			return -ENOMEM;
		m->key_len = kl;
		m->index_cap = cap;
	}
	if (m->keys_len + len > m->keys_cap) {
		size_t cap = m->keys_cap ? m->keys_cap * 2 : 256;
		while (cap < m->keys_len + len)
			cap *= 2;
		char *k = realloc(m->keys, cap);
		if (!k)
			return -ENOMEM;
		m->keys = k;
		m->keys_cap = cap;
	}
	size_t i = m->count++;
	if (len)
		memcpy(m->keys + m->keys_len, key, len);
	m->key_off[i] = m->keys_len;
	m->key_len[i] = (uint32_t)len;
	m->hash[i] = h;
	m->keys_len += len;
	size_t pos = h & (m->cap - 1);
	while (m->slots[pos])
		pos = (pos + 1) & (m->cap - 1);
	m->slots[pos] = (uint32_t)i + 1;
	*added = 1;
	return (int64_t)i;
}

size_t rf__strmap_bytes(const struct rf_strmap *m)
{
	return m->cap * sizeof *m->slots + m->index_cap * (sizeof *m->hash + sizeof *m->key_off + sizeof *m->key_len) +
	       m->keys_cap;
}
