/*
 * Port sets (reference 1.9, 1.11): a task receives from several of its
 * ports at once by naming a set, or PORT_ENABLED for its default set
 * (port_enable/port_disable).  A port is in at most one set, always one of
 * its receiver's; it leaves the set when its receive right leaves the task
 * (pset_remove_port, called by port.c and by receive-right transfer).
 *
 * Messages stay on their port's queue.  The set keeps a list of the
 * members that have messages ("ready"); a receive on the set takes the
 * first message of the first ready member and, if that member still has
 * mail, moves it to the end of the list.  So a receive costs O(1) however
 * many members the set has, and no member starves: with n members ready,
 * each gets a turn within n receives.
 */
#include <stdlib.h>

#include "kernel.h"
#include "fail.h"

/* The set named `name` in s (PORT_ENABLED: the default set), or NULL. */
struct pset *pset_lookup(struct space *s, int32_t name)
{
	if (name == PORT_ENABLED_NAME)
		return &s->enabled;
	return space_lookup_set(s, name);
}

/*
 * port_set_allocate(): a new, empty set in s.  Returns KERN_SUCCESS with
 * *out_name set, or KERN_RESOURCE_SHORTAGE (per-task name limit or
 * memory, as port_allocate); nothing changes on failure.
 */
int pset_allocate(struct space *s, int32_t *out_name)
{
	struct pset *set = umach__calloc(1, sizeof *set);
	int r;

	if (set == NULL)
		return KERN_RESOURCE_SHORTAGE;
	r = space_insert_set(s, set);
	if (r != KERN_SUCCESS) {
		free(set);
		return KERN_RESOURCE_SHORTAGE;
	}
	*out_name = set->name;
	return KERN_SUCCESS;
}

static void ready_unlink(struct pset *set, struct port *p)
{
	if (p->rprev)
		p->rprev->rnext = p->rnext;
	else
		set->ready = p->rnext;
	if (p->rnext)
		p->rnext->rprev = p->rprev;
	else
		set->ready_tail = p->rprev;
	p->rnext = p->rprev = NULL;
	p->rlinked = 0;
}

static void ready_append(struct pset *set, struct port *p)
{
	p->rnext = NULL;
	p->rprev = set->ready_tail;
	if (set->ready_tail)
		set->ready_tail->rnext = p;
	else
		set->ready = p;
	set->ready_tail = p;
	p->rlinked = 1;
}

/*
 * p's queue went from empty to not empty or back (msgq.c calls this after
 * every enqueue and dequeue): keep its place on its set's ready list.
 * O(1); does nothing for a port in no set.
 */
void pset_queue_changed(struct port *p)
{
	if (p->pset == NULL)
		return;
	if (p->qhead != NULL && !p->rlinked)
		ready_append(p->pset, p);
	else if (p->qhead == NULL && p->rlinked)
		ready_unlink(p->pset, p);
}

/* A receive on p's set took one of p's messages: if p still has mail it
 * goes to the back of the ready list, behind the members that wait. */
void pset_rotate(struct port *p)
{
	struct pset *set = p->pset;

	if (set == NULL || !p->rlinked || set->ready_tail == p)
		return;
	ready_unlink(set, p);
	ready_append(set, p);
}

/*
 * Take p out of its set, if it is in one; its messages stay on p.  Never
 * fails, never blocks.  Whoever takes p's receive right away from its task
 * (port_drop_rights, port_destroy, receive-right transfer) calls this
 * first: a set only ever holds its own task's ports.
 */
void pset_remove_port(struct kernel *k, struct port *p)
{
	struct pset *set = p->pset;

	(void)k;
	if (set == NULL)
		return;
	if (p->rlinked)
		ready_unlink(set, p);
	if (p->sprev)
		p->sprev->snext = p->snext;
	else
		set->members = p->snext;
	if (p->snext)
		p->snext->sprev = p->sprev;
	p->snext = p->sprev = NULL;
	p->pset = NULL;
	set->nmembers--;
}

/*
 * port_set_add(): put p, whose receive right set's task holds, into set,
 * out of any set it was in; its queued messages come along.  Threads
 * blocked receiving on p itself fail with RCV_PORT_CHANGE (reference 1.9);
 * threads blocked on set get p's messages.  Never fails.
 */
void pset_add_port(struct kernel *k, struct pset *set, struct port *p)
{
	pset_remove_port(k, p);
	while (p->receivers.head != NULL)
		act_abort(k, p->receivers.head, RCV_PORT_CHANGE);
	p->pset = set;
	p->sprev = NULL;
	p->snext = set->members;
	if (set->members)
		set->members->sprev = p;
	set->members = p;
	set->nmembers++;
	pset_queue_changed(p);
	msgq_deliver_set(k, set);
}

/*
 * port_set_deallocate(): every member leaves set, threads blocked on it
 * fail with RCV_INVALID_PORT, and a named set loses its name and is
 * freed.  The default set is only emptied: it lives as long as its space.
 */
void pset_destroy(struct kernel *k, struct pset *set)
{
	while (set->members != NULL)
		pset_remove_port(k, set->members);
	while (set->receivers.head != NULL)
		act_abort(k, set->receivers.head, RCV_INVALID_PORT);
	if (set == &set->space->enabled)
		return;
	space_remove_set(set->space, set);
	free(set);
}

/* s's task is going away: destroy its sets and empty its default set. */
void pset_space_fini(struct kernel *k, struct space *s)
{
	while (s->sets.len > 0) {
		for (uint32_t i = 0; i < s->sets.cap;) {
			struct pset *set = s->sets.slots[i].val;
			if (set == NULL)
				i++;
			else		/* a backward shift may refill slot i */
				pset_destroy(k, set);
		}
	}
	pset_destroy(k, &s->enabled);
}
