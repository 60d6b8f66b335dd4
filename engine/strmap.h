/* SPDX-License-Identifier: MIT */
/* strmap.h - a byte-string to index map (open addressing), the core of
 * group-by and distinct.  Keys are copied into one growing key store;
 * indexes are dense, in insertion order.
 *
 * Memory per key: one 8-byte location (offset and length packed), the key
 * bytes, and a slot of 8 bytes (the top 32 bits of the hash and the index)
 * at a load of at most 3/4.  The slot's hash bits both place the key and
 * rule out nearly every other key without touching the key store, and the
 * table grows without reading a key. */
#ifndef RF_STRMAP_H
#define RF_STRMAP_H

#include <stddef.h>
#include <stdint.h>

/* A key's location: offset << 24 | length.  A length of RF_STRMAP_LONG or
 * more is stored as a u64 in front of the bytes, the field saying LONG. */
#define RF_STRMAP_LONG 0xffffffu

struct rf_strmap {
	uint64_t *slots;      /* hash >> 32 << 32 | index + 1; 0 = empty */
	size_t cap;           /* power of two, or 0 */
	unsigned bits;        /* log2(cap) */
	size_t count;
	uint64_t *loc;        /* per index: where its key is */
	size_t index_cap;
	char *keys;
	size_t keys_len, keys_cap;
};

uint64_t rf__hash_bytes(const void *p, size_t n);
void rf__strmap_init(struct rf_strmap *m);
void rf__strmap_free(struct rf_strmap *m);
/* Index of the key, inserting it if new (*added set to 1).  h must be
 * rf__hash_bytes(key, len).  -ENOMEM or -E2BIG on failure, or the index
 * (>= 0). */
int64_t rf__strmap_put(struct rf_strmap *m, const char *key, size_t len, uint64_t h, int *added);
/* Index of the key, or -1 when it is not there.  Only reads the map:
 * threads may look keys up at once in a map nobody changes any more. */
int64_t rf__strmap_find(const struct rf_strmap *m, const char *key, size_t len, uint64_t h);
/* A batch of finds in a map larger than the cache overlaps its misses in
 * steps: prefetch each key's home slot; then (the slot loaded by now)
 * rf__strmap_hint gives the index the slot names when its hash bits match,
 * and starts loading that key's location; the caller may prefetch the key
 * (rf__strmap_key) and its own data of that index before the finds. */
static inline size_t rf__strmap_home(const struct rf_strmap *m, uint64_t h)
{
	return (size_t)((uint32_t)(h >> 32) >> (32 - m->bits));
}
static inline void rf__strmap_prefetch(const struct rf_strmap *m, uint64_t h)
{
	if (m->cap)
		__builtin_prefetch(&m->slots[rf__strmap_home(m, h)]);
}
static inline int64_t rf__strmap_hint(const struct rf_strmap *m, uint64_t h)
{
	if (!m->cap)
		return -1;
	uint64_t s = m->slots[rf__strmap_home(m, h)];
	if (!s || (uint32_t)(s >> 32) != (uint32_t)(h >> 32))
		return -1;
	__builtin_prefetch(&m->loc[(uint32_t)s - 1]);
	return (int64_t)((uint32_t)s - 1);
}
static inline const char *rf__strmap_key(const struct rf_strmap *m, size_t i, size_t *len)
{
	uint64_t l = m->loc[i] & RF_STRMAP_LONG, off = m->loc[i] >> 24;
	if (!m->keys) { /* only empty keys so far: no key storage yet */
		*len = 0;
		return "";
	}
	if (l == RF_STRMAP_LONG) {
		uint64_t n;
		__builtin_memcpy(&n, m->keys + off, 8);
		*len = (size_t)n;
		return m->keys + off + 8;
	}
	*len = (size_t)l;
	return m->keys + off;
}
/* No keys any more, the memory kept for the next ones. */
void rf__strmap_clear(struct rf_strmap *m);
/* Drop the hash index: the keys stay readable (rf__strmap_key), but no
 * key can be added or found any more.  For a result that is final. */
void rf__strmap_drop_index(struct rf_strmap *m);
/* Bytes of memory in use (the index, the key locations, the keys). */
size_t rf__strmap_bytes(const struct rf_strmap *m);

#endif
