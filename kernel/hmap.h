/*
 * An open-addressing hash map from a nonzero 64-bit key to a pointer, with
 * linear probing and backward-shift deletion.  A space uses two of them:
 * name -> entry and port -> entry.  Key 0 marks an empty slot.
 */
#ifndef UMACH_HMAP_H
#define UMACH_HMAP_H

#include <stdint.h>

struct hslot {
	uint64_t key;
	void    *val;
};

struct hmap {
	struct hslot *slots;
	uint32_t      cap;		/* a power of two, or 0 */
	uint32_t      len;
};

void hmap_init(struct hmap *m);
void hmap_fini(struct hmap *m);
void *hmap_get(const struct hmap *m, uint64_t key);
int hmap_reserve(struct hmap *m, uint32_t extra);
void hmap_put(struct hmap *m, uint64_t key, void *val);
void *hmap_del(struct hmap *m, uint64_t key);

#endif
