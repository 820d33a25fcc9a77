/*
 * Ports: allocation, references, what losing a right means, and death
 * (reference 1.1, 1.11 port_deallocate, 1.12).  A port lives while it has a
 * receiver or an owner; when both are gone it is destroyed: its senders get
 * NOTIFY_PORT_DELETED, blocked callers wake with an error and its queued
 * messages are destroyed.  The memory goes with the last reference.
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

void port_put(struct kernel *k, struct port *p)
{
	if (--p->refs > 0)
		return;
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

/*
 * Entry e leaves its space (port_deallocate, or its task died).  Losing the
 * receive right hands it to the owner, losing ownership hands it to the
 * receiver (each with its notification); losing both destroys the port.
 * Never fails and never allocates beyond notifications, which are dropped
 * if memory runs out.
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
	if (!p->dead && (type & (RIGHT_RECEIVE | RIGHT_OWN))) {
		if (p->receiver == NULL && p->owner == NULL)
			port_destroy(k, p);
		else if (p->receiver == NULL)
			give_right(k, p, p->owner, RIGHT_RECEIVE,
				   NOTIFY_RECEIVE_RIGHTS);
		else if (p->owner == NULL)
			give_right(k, p, p->receiver, RIGHT_OWN,
				   NOTIFY_OWNERSHIP_RIGHTS);
	}
	port_put(k, p);
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
	port_put(k, p);
	port_put(k, p);		/* the alive reference */
}
