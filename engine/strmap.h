/* strmap.h - a byte-string to index map (open addressing), the core of
 * group-by and distinct.  Keys are copied into one growing key store;
 * indexes are dense, in insertion order. */
#ifndef RF_STRMAP_H
#define RF_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct rf_strmap {
	uint32_t *slots;      /* index + 1, 0 = empty */
	size_t cap;           /* power of two */
	size_t count;
	uint64_t *hash;       /* per index */
	uint64_t *key_off;    /* per index: offset into keys */
	uint32_t *key_len;
	size_t index_cap;
	char *keys;
	size_t keys_len, keys_cap;
};

uint64_t rf__hash_bytes(const void *p, size_t n);
void rf__strmap_init(struct rf_strmap *m);
void rf__strmap_free(struct rf_strmap *m);
/* Index of the key, inserting it if new (*added set to 1).  -ENOMEM on
 * failure, or the index (>= 0). */
int64_t rf__strmap_put(struct rf_strmap *m, const char *key, size_t len, uint64_t h, int *added);
static inline const char *rf__strmap_key(const struct rf_strmap *m, size_t i, size_t *len)
{
	*len = m->key_len[i];
	/* only empty keys so far: no key storage yet */
	return m->keys ? m->keys + m->key_off[i] : "";
}
/* Bytes of memory held. */
size_t rf__strmap_bytes(const struct rf_strmap *m);

#endif
