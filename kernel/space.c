/*
 * Name spaces: each task's private map from small integer names to rights
 * (reference 1.1, 1.17 item 1).  One port has at most one name in a space;
 * names are never 0 or -1 and are handed out upward from 1, so a stale name
 * is not reused until the counter wraps.  Inserting can be made infallible
 * by space_reserve() first.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "fail.h"

static uint64_t name_key(int32_t name)
{
	return (uint64_t)(uint32_t)name;
}

static uint64_t port_key(const struct port *p)
{
	return (uint64_t)(uintptr_t)p;
}

int space_init(struct space *s, struct ktask *t)
{
	s->task = t;
	hmap_init(&s->by_name);
	hmap_init(&s->by_port);
	s->count = 0;
	s->next_name = 1;
	hmap_init(&s->sets);
	memset(&s->enabled, 0, sizeof s->enabled);
	s->enabled.space = s;
	s->enabled.name = PORT_ENABLED_NAME;
	return 0;
}

/* The caller has emptied the space (every entry and set removed). */
void space_fini(struct space *s)
{
	hmap_fini(&s->by_name);
	hmap_fini(&s->by_port);
	hmap_fini(&s->sets);
}

/* The entry for name, or NULL.  No side effects. */
struct entry *space_lookup(struct space *s, int32_t name)
{
	if (name == 0 || name == -1)
		return NULL;
	return hmap_get(&s->by_name, name_key(name));
}

/* This space's entry for port p, or NULL. */
struct entry *space_lookup_port(struct space *s, struct port *p)
{
	return hmap_get(&s->by_port, port_key(p));
}

/*
 * Make room for n more entries.  Returns KERN_SUCCESS, KERN_NO_SPACE at
 * the per-task limit, or KERN_RESOURCE_SHORTAGE when memory ran out.
 */
int space_reserve(struct space *s, uint32_t n)
{
	if ((uint64_t)s->count + n > KERN_NAMES_PER_TASK)
		return KERN_NO_SPACE;
	if (hmap_reserve(&s->by_name, n) != 0 ||
	    hmap_reserve(&s->by_port, n) != 0)
		return KERN_RESOURCE_SHORTAGE;
	return KERN_SUCCESS;
}

static int32_t next_free_name(struct space *s)
{
	for (;;) {
		int32_t name = s->next_name;
		/* wrap from INT32_MAX to 1 without signed overflow */
		s->next_name = name == INT32_MAX ? 1 : name + 1;
		if (name > 0 && hmap_get(&s->by_name, name_key(name)) == NULL &&
		    hmap_get(&s->sets, name_key(name)) == NULL)
			return name;
	}
}

/*
 * Give space s the rights `type` to p.  If s already names p, the rights
 * are merged into that entry and prealloc is freed; otherwise prealloc (or
 * a new entry when prealloc is NULL) gets a fresh name and takes a
 * reference on p.  The caller has reserved room with space_reserve().
 * Returns the entry, or NULL only when prealloc is NULL and memory ran out.
 */
struct entry *space_insert(struct space *s, struct port *p, uint32_t type,
			   struct entry *prealloc)
{
	struct entry *e = space_lookup_port(s, p);

	if (e != NULL) {
		e->type |= type;
		free(prealloc);
		return e;
	}
	e = prealloc ? prealloc : umach__malloc(sizeof *e);
	if (e == NULL)
		return NULL;
	e->space = s;
	e->port = p;
	e->name = next_free_name(s);
	e->type = type;
	e->accept_pending = 0;
	e->pprev = NULL;
	e->pnext = p->holders;
	if (p->holders)
		p->holders->pprev = e;
	p->holders = e;
	port_get(p);
	hmap_put(&s->by_name, name_key(e->name), e);
	hmap_put(&s->by_port, port_key(p), e);
	s->count++;
	return e;
}

/*
 * Take e out of its space and its port's holder list, drop its reference on
 * the port and free it.  It does not touch the port's receiver or owner:
 * port_drop_rights() decides what losing those rights means.
 */
void space_remove(struct space *s, struct entry *e)
{
	struct port *p = e->port;

	hmap_del(&s->by_name, name_key(e->name));
	hmap_del(&s->by_port, port_key(p));
	if (e->pprev)
		e->pprev->pnext = e->pnext;
	else
		p->holders = e->pnext;
	if (e->pnext)
		e->pnext->pprev = e->pprev;
	s->count--;
	free(e);
	port_put(s->task->k, p);
}

/*
 * Rename e to new_name.  Returns KERN_SUCCESS, KERN_NAME_EXISTS if the
 * name is taken, or KERN_INVALID_ARGUMENT for 0 and -1.
 */
int space_rename(struct space *s, struct entry *e, int32_t new_name)
{
	if (new_name == 0 || new_name == -1)
		return KERN_INVALID_ARGUMENT;
	if (new_name == e->name)
		return KERN_SUCCESS;
	if (space_lookup(s, new_name) != NULL ||
	    space_lookup_set(s, new_name) != NULL)
		return KERN_NAME_EXISTS;
	hmap_del(&s->by_name, name_key(e->name));
	e->name = new_name;
	hmap_put(&s->by_name, name_key(new_name), e);	/* same count: no growth */
	return KERN_SUCCESS;
}

/*
 * Port sets share the space's names (reference 1.2) but live in their own
 * map, so that space_lookup() never returns one: every call that wants a
 * port treats a set name as an invalid name without having to check.
 */

/* The set named `name` (not the default set), or NULL.  No side effects. */
struct pset *space_lookup_set(struct space *s, int32_t name)
{
	if (name == 0 || name == -1)
		return NULL;
	return hmap_get(&s->sets, name_key(name));
}

/*
 * Give set a fresh name in s.  Returns KERN_SUCCESS with set->name set,
 * KERN_NO_SPACE at the per-task name limit, or KERN_RESOURCE_SHORTAGE;
 * nothing changes on failure.
 */
int space_insert_set(struct space *s, struct pset *set)
{
	if ((uint64_t)s->count + 1 > KERN_NAMES_PER_TASK)
		return KERN_NO_SPACE;
	if (hmap_reserve(&s->sets, 1) != 0)
		return KERN_RESOURCE_SHORTAGE;
	set->space = s;
	set->name = next_free_name(s);
	hmap_put(&s->sets, name_key(set->name), set);
	s->count++;
	return KERN_SUCCESS;
}

/* Take set's name out of s.  The caller frees the set. */
void space_remove_set(struct space *s, struct pset *set)
{
	hmap_del(&s->sets, name_key(set->name));
	s->count--;
}

/* space_rename() for a set: KERN_SUCCESS, KERN_NAME_EXISTS or
 * KERN_INVALID_ARGUMENT (0 and -1). */
int space_rename_set(struct space *s, struct pset *set, int32_t new_name)
{
	if (new_name == 0 || new_name == -1)
		return KERN_INVALID_ARGUMENT;
	if (new_name == set->name)
		return KERN_SUCCESS;
	if (space_lookup(s, new_name) != NULL ||
	    space_lookup_set(s, new_name) != NULL)
		return KERN_NAME_EXISTS;
	hmap_del(&s->sets, name_key(set->name));
	set->name = new_name;
	hmap_put(&s->sets, name_key(new_name), set);	/* same count */
	return KERN_SUCCESS;
}
