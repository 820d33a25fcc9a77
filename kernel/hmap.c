/*
 * The hash map behind name spaces (hmap.h).  The load factor stays at or
 * below 1/2 so that probes are short; hmap_reserve() grows the table ahead
 * of inserts, so that a step which "cannot fail" (STYLE Errors 3) can insert
 * without allocating.
 */
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "fail.h"

static uint32_t hash64(uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (uint32_t)key;
}

void hmap_init(struct hmap *m)
{
	m->slots = NULL;
	m->cap = 0;
	m->len = 0;
}

void hmap_fini(struct hmap *m)
{
	free(m->slots);
	hmap_init(m);
}

void *hmap_get(const struct hmap *m, uint64_t key)
{
	if (m->cap == 0)
		return NULL;
	for (uint32_t i = hash64(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].key == key)
			return m->slots[i].val;
		if (m->slots[i].key == 0)
			return NULL;
	}
}

static void put_raw(struct hslot *slots, uint32_t cap, uint64_t key, void *val)
{
	uint32_t i = hash64(key) & (cap - 1);

	while (slots[i].key != 0 && slots[i].key != key)
		i = (i + 1) & (cap - 1);
	slots[i].key = key;
	slots[i].val = val;
}

/*
 * Make room for `extra` more keys.  Returns 0, or -1 if memory ran out; the
 * map is unchanged then.
 */
int hmap_reserve(struct hmap *m, uint32_t extra)
{
	uint64_t need = (uint64_t)m->len + extra;
	uint32_t cap = m->cap ? m->cap : 8;

	while ((uint64_t)cap < need * 2)
		cap *= 2;
	if (cap == m->cap)
		return 0;
	struct hslot *slots = umach__calloc(cap, sizeof *slots);
	if (slots == NULL)
		return -1;
	for (uint32_t i = 0; i < m->cap; i++)
		if (m->slots[i].key != 0)
			put_raw(slots, cap, m->slots[i].key, m->slots[i].val);
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

/* Insert or replace.  The caller has reserved room; this cannot fail. */
void hmap_put(struct hmap *m, uint64_t key, void *val)
{
	if (hmap_get(m, key) == NULL)
		m->len++;
	put_raw(m->slots, m->cap, key, val);
}

/* Remove key; returns its value or NULL.  Never allocates. */
void *hmap_del(struct hmap *m, uint64_t key)
{
	if (m->cap == 0)
		return NULL;
	uint32_t mask = m->cap - 1, i = hash64(key) & mask;

	while (m->slots[i].key != key) {
		if (m->slots[i].key == 0)
			return NULL;
		i = (i + 1) & mask;
	}
	void *val = m->slots[i].val;
	/* Backward shift: pull later members of the cluster into the hole. */
	for (uint32_t j = (i + 1) & mask; m->slots[j].key != 0; j = (j + 1) & mask) {
		uint32_t home = hash64(m->slots[j].key) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].key = 0;
	m->slots[i].val = NULL;
	m->len--;
	return val;
}
