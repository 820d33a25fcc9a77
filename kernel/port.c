/*
 * Ports: allocation, references, what losing a right means, and death
 * (reference 1.1, 1.11 port_deallocate, 1.12).  A port lives while it has a
 * receiver or an owner; when both are gone it is destroyed: its senders get
 * NOTIFY_PORT_DELETED, blocked callers wake with an error and its queued
 * messages are destroyed (rights they carry are released, port_settle).
 * Receive and ownership rights travel in messages (kmsg.c); while they do,
 * the port records them as in transit.  The memory goes with the last
 * reference.
 */
#include <stdlib.h>

#include "kernel.h"
#include "fail.h"

/* A new port with one reference (its "alive" reference, dropped by
 * port_destroy), no rights held by anyone, or NULL if memory ran out. */
struct port *port_alloc(struct kernel *k)
{
	struct port *p = umach__calloc(1, sizeof *p);

	if (p == NULL)
		return NULL;
	p->refs = 1;
	p->id = ++k->next_port_id;
	p->backlog = k->backlog_default;
	k->nports++;
	return p;
}

void port_get(struct port *p)
{
	p->refs++;
}

/* p is served by the kernel: a live task's, thread's or section's port. */
int port_is_kobject(const struct port *p)
{
	return p->kobject != NULL || p->section != NULL;
}

/*
 * Drop a reference.  A section's port holds no rights of its own, so when
 * only its alive reference is left no right to it exists anywhere (a space,
 * a message): the section dies (protocol.md §14).
 */
void port_put(struct kernel *k, struct port *p)
{
	if (--p->refs > 0) {
		if (p->refs == 1 && p->section != NULL)
			section_release(k, p);
		return;
	}
	k->nports--;
	free(p);
}

/*
 * port_allocate(): a new port in space s with all three rights.  Returns
 * KERN_SUCCESS with *out_name set, or KERN_RESOURCE_SHORTAGE (per-task name
 * limit or memory); nothing changes on failure.
 */
int port_allocate_in(struct kernel *k, struct space *s, int32_t *out_name)
{
	if (space_reserve(s, 1) != KERN_SUCCESS)
		return KERN_RESOURCE_SHORTAGE;
	struct port *p = port_alloc(k);
	if (p == NULL)
		return KERN_RESOURCE_SHORTAGE;
	struct entry *e = space_insert(s, p, PORT_TYPE_RECEIVE_OWN, NULL);
	if (e == NULL) {
		port_put(k, p);
		return KERN_RESOURCE_SHORTAGE;
	}
	p->receiver = s;
	p->owner = s;
	*out_name = e->name;
	return KERN_SUCCESS;
}

static void give_right(struct kernel *k, struct port *p, struct space *to,
		       uint32_t right, int notify_id)
{
	struct entry *e = space_lookup_port(to, p);

	/* The partner right's holder always has an entry: rights imply send. */
	e->type |= right;
	if (right == RIGHT_RECEIVE)
		p->receiver = to;
	else
		p->owner = to;
	notify_send(k, to->task, notify_id, e->name);
}

/* Right `right` of p is held by a space or carried by a kmsg. */
static int right_live(const struct port *p, uint32_t right)
{
	const struct space *holder =
		right == RIGHT_RECEIVE ? p->receiver : p->owner;

	return holder != NULL || (p->transit & right) != 0;
}

/*
 * A receive or ownership right of p has just left its holder (a space or
 * a kmsg) without arriving anywhere.  Decide what that means (reference
 * 1.10, 1.11 port_deallocate): with both rights gone the port goes to its
 * backup port or dies; a lost right goes to the partner right's holder
 * with its notification, or, when the partner is itself in transit, waits
 * in the kernel (orphan) and arrives together with it.
 */
static void port_settle(struct kernel *k, struct port *p)
{
	int r = right_live(p, RIGHT_RECEIVE), o = right_live(p, RIGHT_OWN);

	if (p->dead)
		return;
	if (!r && !o) {
		p->orphan = 0;
		if (notify_port_destroyed(k, p) != 0)
			port_destroy(k, p);
		return;
	}
	if (!r && !(p->orphan & RIGHT_RECEIVE)) {
		if (p->owner != NULL)
			give_right(k, p, p->owner, RIGHT_RECEIVE,
				   NOTIFY_RECEIVE_RIGHTS);
		else
			p->orphan |= RIGHT_RECEIVE;
	}
	if (!o && !(p->orphan & RIGHT_OWN)) {
		if (p->receiver != NULL)
			give_right(k, p, p->receiver, RIGHT_OWN,
				   NOTIFY_OWNERSHIP_RIGHTS);
		else
			p->orphan |= RIGHT_OWN;
	}
	/* An orphan whose partner travels in a message queued on this very
	 * port would wait for ever: nobody can receive that message.  The
	 * port dies instead, and its queue, carrier included, with it. */
	if (((p->orphan & RIGHT_RECEIVE) && p->carrier_o != NULL &&
	     p->carrier_o->dest == p) ||
	    ((p->orphan & RIGHT_OWN) && p->carrier_r != NULL &&
	     p->carrier_r->dest == p)) {
		p->orphan = 0;
		port_destroy(k, p);
	}
}

/*
 * Entry e leaves its space (port_deallocate, or its task died).  Losing the
 * receive right hands it to the owner, losing ownership hands it to the
 * receiver (each with its notification); losing both destroys the port
 * (or sends it to its backup port).  Never fails and never allocates
 * beyond notifications, which are dropped if memory runs out.
 */
void port_drop_rights(struct kernel *k, struct entry *e)
{
	struct port *p = e->port;
	struct space *s = e->space;
	uint32_t type = e->type;

	port_get(p);
	space_remove(s, e);
	if (type & RIGHT_RECEIVE) {
		pset_remove_port(k, p);
		p->receiver = NULL;
		msgq_fail_receivers(k, p, s);
	}
	if (type & RIGHT_OWN)
		p->owner = NULL;
	if (type & (RIGHT_RECEIVE | RIGHT_OWN))
		port_settle(k, p);
	port_put(k, p);
}

/*
 * Copy-in: entry e gives `rights` (RIGHT_RECEIVE and/or RIGHT_OWN, which
 * it holds) to kmsg m, which carries them until copy-out or destruction.
 * e keeps its other rights; its threads blocked receiving on the port
 * fail with RCV_INVALID_PORT.  Cannot fail.
 */
void port_move_out(struct kernel *k, struct entry *e, uint32_t rights,
		   struct kmsg *m)
{
	struct port *p = e->port;

	e->type &= ~rights;
	p->transit |= rights;
	if (rights & RIGHT_RECEIVE) {
		p->receiver = NULL;
		p->carrier_r = m;
		msgq_fail_receivers(k, p, e->space);
	}
	if (rights & RIGHT_OWN) {
		p->owner = NULL;
		p->carrier_o = m;
	}
}

/*
 * Copy-out: the rights kmsg m carried for e's port arrive in e's space.
 * A partner right orphaned while they travelled arrives with them.
 * Returns the rights gained that way (the caller sends their
 * notification: NOTIFY_RECEIVE_RIGHTS or NOTIFY_OWNERSHIP_RIGHTS).
 */
uint32_t port_move_in(struct kernel *k, struct entry *e, uint32_t rights,
		      struct kmsg *m)
{
	struct port *p = e->port;
	uint32_t extra = 0;

	(void)k;
	(void)m;
	p->transit &= ~rights;
	if (rights & RIGHT_RECEIVE) {
		p->carrier_r = NULL;
		if (p->orphan & RIGHT_OWN)
			extra |= RIGHT_OWN;
	}
	if (rights & RIGHT_OWN) {
		p->carrier_o = NULL;
		if (p->orphan & RIGHT_RECEIVE)
			extra |= RIGHT_RECEIVE;
	}
	p->orphan &= ~extra;
	rights |= extra;
	e->type |= rights;
	if (rights & RIGHT_RECEIVE)
		p->receiver = e->space;
	if (rights & RIGHT_OWN)
		p->owner = e->space;
	return extra;
}

/*
 * Kmsg m is destroyed while it carries `rights` of p: they are lost, with
 * what that means (port_settle): a receive right reverts to the owner, an
 * ownership right to the receiver, both lost kill the port.
 */
void port_transit_lost(struct kernel *k, struct port *p, uint32_t rights,
		       struct kmsg *m)
{
	(void)m;
	p->transit &= ~rights;
	if (rights & RIGHT_RECEIVE)
		p->carrier_r = NULL;
	if (rights & RIGHT_OWN)
		p->carrier_o = NULL;
	port_settle(k, p);
}

/*
 * Would a message sent to dest end up, through receive rights in transit,
 * on a queue that only p's receiver can read?  (dest is p, or dest's
 * receive right travels in a message to p, and so on.)  Such a message
 * carrying p's receive right could never be received.  No side effects.
 */
int port_carried_to(const struct port *dest, const struct port *p)
{
	for (uint32_t n = 0; dest != NULL; n++) {
		if (dest == p || n > KERN_TASKS_MAX * 1024u)
			return 1;
		if (dest->receiver != NULL)
			return 0;
		const struct kmsg *c = dest->carrier_r;
		if (c == NULL && (dest->orphan & RIGHT_RECEIVE))
			c = dest->carrier_o;
		if (c == NULL)
			return 0;
		dest = c->dest;
	}
	return 0;
}

/* The PORT_TYPE_* a task is shown: the NeXT profile has no ownership. */
uint32_t port_type_shown(const struct kernel *k, uint32_t type)
{
	return k->profile == UMACH_PROFILE_NEXT ? type & ~RIGHT_OWN : type;
}

static void fail_waiters(struct kernel *k, struct waitq *q, int32_t status)
{
	while (q->head != NULL)
		act_abort(k, q->head, status);
}

/*
 * Destroy p: every holder loses its right and, unless it is dying, gets
 * NOTIFY_PORT_DELETED with its name for p; blocked senders and receivers
 * fail with SEND_INVALID_PORT and RCV_INVALID_PORT; queued messages are
 * destroyed.  Drops the port's alive reference.
 */
void port_destroy(struct kernel *k, struct port *p)
{
	if (p->dead)
		return;
	TRACE(k, port, UMACH_EV_PORT_DEATH, p);
	p->dead = 1;
	pset_remove_port(k, p);
	p->receiver = NULL;
	p->owner = NULL;
	port_get(p);
	while (p->holders != NULL) {
		struct entry *e = p->holders;
		struct ktask *t = e->space->task;
		int32_t name = e->name;

		space_remove(e->space, e);
		if (!t->dying)
			notify_send(k, t, NOTIFY_PORT_DELETED, name);
	}
	fail_waiters(k, &p->senders, SEND_INVALID_PORT);
	fail_waiters(k, &p->receivers, RCV_INVALID_PORT);
	while (p->qhead != NULL) {
		struct kmsg *m = p->qhead;
		p->qhead = m->next;
		p->count--;
		kmsg_destroy(k, m);
	}
	p->qtail = NULL;
	p->kobject = NULL;	/* its task keeps its own reference */
	if (p->backup != NULL) {
		port_put(k, p->backup);
		p->backup = NULL;
	}
	port_put(k, p);
	port_put(k, p);		/* the alive reference */
}
