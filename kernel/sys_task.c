/*
 * A task's registered ports and special ports (reference 1.11, 1.17 item
 * 6): the kernel keeps, per task, TASK_PORT_REGISTER_MAX registered send
 * rights (slot 0 the name server, 1 the environment manager, 2 the
 * service port, 3 spare) and the bootstrap and exception send rights, as
 * port references outside the task's space.  A forked child inherits
 * exactly these.  This file also serves the four MIG routines on a task's
 * kernel port that read and change them: mach_ports_register (2033),
 * mach_ports_lookup (2034), task_get_special_port (2058) and
 * task_set_special_port (2059).  Their port arrays travel inline
 * (docs/protocol.md §8).  Decode everything, then act.
 */
#include <stdlib.h>
#include <string.h>

#include <mach/mig_errors.h>
#include <mach/task_special_ports.h>
#include "kernel.h"
#include "fail.h"

#define HDR  ((uint32_t)sizeof(msg_header_t))
#define DESC ((uint32_t)sizeof(msg_type_t))	/* 8 bytes (LP64 rule B) */
#define ARG  (DESC + 8)				/* descriptor + int, padded */
#define NREG TASK_PORT_REGISTER_MAX

#define ID_PORTS_REGISTER 2033
#define ID_PORTS_LOOKUP   2034
#define ID_GET_SPECIAL    2058
#define ID_SET_SPECIAL    2059

static struct port *hold(struct port *p)
{
	if (p != NULL && !p->dead) {
		port_get(p);
		return p;
	}
	return NULL;
}

static void swap(struct kernel *k, struct port **slot, struct port *p)
{
	struct port *old = *slot;

	*slot = p;
	if (old != NULL)
		port_put(k, old);
}

/*
 * Give new task t its registered, bootstrap and exception ports: a copy of
 * parent's when t was forked from it, else the boot services (name server
 * in slot 0, environment manager in slot 1).  Never fails.
 */
void task_ports_init(struct kernel *k, struct ktask *t,
		     const struct ktask *parent)
{
	if (parent == NULL) {
		t->registered[0] = hold(k->name_port);
		t->registered[1] = hold(k->env_port);
		return;
	}
	for (uint32_t i = 0; i < NREG; i++)
		t->registered[i] = hold(parent->registered[i]);
	t->bootstrap = hold(parent->bootstrap);
	t->exception = hold(parent->exception);
}

/* Drop every reference task_ports_init and the calls below took. */
void task_ports_release(struct kernel *k, struct ktask *t)
{
	for (uint32_t i = 0; i < NREG; i++)
		swap(k, &t->registered[i], NULL);
	swap(k, &t->bootstrap, NULL);
	swap(k, &t->exception, NULL);
}

/*
 * A send right to p in t's space (the existing name if t holds any right
 * to p).  Returns the name, or PORT_NULL if p is NULL or dead or t's space
 * is full.
 */
int32_t task_port_send(struct ktask *t, struct port *p)
{
	struct entry *e;

	if (p == NULL || p->dead)
		return PORT_NULL;
	e = space_lookup_port(&t->space, p);
	if (e != NULL)
		return e->name;
	if (space_reserve(&t->space, 1) != KERN_SUCCESS)
		return PORT_NULL;
	e = space_insert(&t->space, p, PORT_TYPE_SEND, NULL);
	return e ? e->name : PORT_NULL;
}

/* A decoded request: what the routine needs, and what the reply carries. */
struct treq {
	int32_t      which;		/* special port selector */
	uint32_t     nports;		/* ports in the request */
	struct port *out[NREG];		/* reply's port items (references) */
	uint32_t     nout;		/* 0: RetCode only */
};

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* The descriptor word of an inline (type_name, 32, number) item. */
static uint32_t desc(uint32_t type_name, uint32_t number)
{
	return type_name | 32u << 8 | number << 16 | 1u << 28;
}

/*
 * Check that m's body at `at` is a port item of n names that copy-in
 * translated (so m->items[first..first+n) are its ports, in order).
 */
static int port_item_ok(const struct kmsg *m, uint32_t at, uint32_t n,
			uint32_t first)
{
	if (m->nitems != first + n)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (m->items[first + i].offset != at + DESC + 4 * i ||
		    m->items[first + i].name_type != MSG_TYPE_PORT)
			return 0;
	return 1;
}

/* mach_ports_register: slots [0, n) from the request, the rest PORT_NULL. */
static int ports_register(struct kernel *k, struct ktask *t, struct kmsg *m)
{
	uint32_t len = m->hdr.msg_size - HDR;

	if (len < DESC)
		return MIG_BAD_ARGUMENTS;
	uint32_t w = rd32(m->body);
	uint32_t n = (w >> 16) & 0xfff;
	if (w != desc(MSG_TYPE_PORT, n) || len != DESC + 4 * n ||
	    !port_item_ok(m, 0, n, 0))
		return MIG_BAD_ARGUMENTS;
	if (n > NREG)
		return KERN_INVALID_ARGUMENT;
	for (uint32_t i = 0; i < NREG; i++) {
		struct port *p = i < n ? m->items[i].port : NULL;
		if (i < n)
			m->items[i].port = NULL;	/* its reference moves */
		if (p != NULL && p->dead) {
			port_put(k, p);
			p = NULL;
		}
		swap(k, &t->registered[i], p);
	}
	return KERN_SUCCESS;
}

static int ports_lookup(struct ktask *t, struct kmsg *m, struct treq *q)
{
	if (m->hdr.msg_size != HDR)
		return MIG_BAD_ARGUMENTS;
	for (uint32_t i = 0; i < NREG; i++)
		q->out[i] = hold(t->registered[i]);
	q->nout = NREG;
	return KERN_SUCCESS;
}

static struct port **special(struct ktask *t, int32_t which)
{
	switch (which) {
	case TASK_NOTIFY_PORT:    return &t->notify;
	case TASK_EXCEPTION_PORT: return &t->exception;
	case TASK_BOOTSTRAP_PORT: return &t->bootstrap;
	default:                  return NULL;
	}
}

/* The (INTEGER_32) selector argument that starts both special calls. */
static int which_arg(const struct kmsg *m, int32_t *which)
{
	if (m->hdr.msg_size - HDR < ARG ||
	    rd32(m->body) != desc(MSG_TYPE_INTEGER_32, 1))
		return 0;
	*which = (int32_t)rd32(m->body + DESC);
	return 1;
}

static int get_special(struct ktask *t, struct kmsg *m, struct treq *q)
{
	int32_t which;

	if (m->hdr.msg_size != HDR + ARG || !which_arg(m, &which) ||
	    m->nitems != 0)
		return MIG_BAD_ARGUMENTS;
	if (which == TASK_KERNEL_PORT)
		q->out[0] = hold(t->kport);
	else if (special(t, which) != NULL)
		q->out[0] = hold(*special(t, which));
	else
		return KERN_INVALID_ARGUMENT;
	q->nout = 1;
	return KERN_SUCCESS;
}

/*
 * task_set_special_port: notify, exception or bootstrap.  The kernel port
 * cannot be replaced here (KERN_INVALID_ARGUMENT; docs/protocol.md §8).
 */
static int set_special(struct kernel *k, struct ktask *t, struct kmsg *m)
{
	int32_t which;

	if (m->hdr.msg_size != HDR + 2 * ARG || !which_arg(m, &which) ||
	    rd32(m->body + ARG) != desc(MSG_TYPE_PORT, 1) ||
	    !port_item_ok(m, ARG, 1, 0))
		return MIG_BAD_ARGUMENTS;
	struct port **slot = special(t, which);
	if (slot == NULL)
		return KERN_INVALID_ARGUMENT;
	struct port *p = m->items[0].port;
	m->items[0].port = NULL;		/* its reference moves */
	if (p != NULL && p->dead) {
		port_put(k, p);
		p = NULL;
	}
	swap(k, slot, p);
	return KERN_SUCCESS;
}

/* Size of a reply with RetCode and, on success, q's port items. */
static uint32_t reply_size(const struct treq *q, int r)
{
	if (r != KERN_SUCCESS || q->nout == 0)
		return HDR + ARG;
	if (q->nout == 1)
		return HDR + 2 * ARG;
	return HDR + ARG + DESC + 4 * q->nout;
}

/* Build the reply to m in rm: RetCode, then q's ports as one port item. */
static void fill_reply(struct kmsg *rm, const struct kmsg *m, int r,
		       struct treq *q, struct kitem *items)
{
	uint32_t size = reply_size(q, r), w = desc(MSG_TYPE_INTEGER_32, 1);
	uint32_t n = r == KERN_SUCCESS ? q->nout : 0;

	memset(rm->body, 0, size - HDR);
	memcpy(rm->body, &w, 4);
	memcpy(rm->body + DESC, &r, 4);
	if (n > 0) {
		w = desc(MSG_TYPE_PORT, n);
		memcpy(rm->body + ARG, &w, 4);
	}
	for (uint32_t i = 0; i < n; i++) {
		items[i].offset = ARG + DESC + 4 * i;
		items[i].name_type = MSG_TYPE_PORT;
		items[i].port = q->out[i];
		q->out[i] = NULL;
	}
	rm->items = n ? items : NULL;
	rm->nitems = n;
	rm->simple = n == 0;
	rm->hdr.msg_simple = n == 0;
	rm->hdr.msg_size = size;
	rm->hdr.msg_type = MSG_TYPE_NORMAL;
	rm->hdr.msg_id = (int32_t)((uint32_t)m->hdr.msg_id + 100u);
}

static int run(struct kernel *k, struct ktask *t, struct kmsg *m,
	       struct treq *q)
{
	switch (m->hdr.msg_id) {
	case ID_PORTS_REGISTER: return ports_register(k, t, m);
	case ID_PORTS_LOOKUP:   return ports_lookup(t, m, q);
	case ID_GET_SPECIAL:    return get_special(t, m, q);
	default:                return set_special(k, t, m);
	}
}

/*
 * Serve m if it is one of this file's routines on a task port: run it and
 * queue the reply on m's reply port (SEND_ALWAYS).  Consumes m and returns
 * SEND_SUCCESS, or SEND_KERNEL_REFUSED with nothing done if there is no
 * memory for the reply.  Returns TASK_NOT_MINE, with m untouched, if m is
 * not one of ours.
 */
int task_dispatch(struct kernel *k, struct kmsg *m)
{
	int32_t id = m->hdr.msg_id;
	struct treq q = { 0 };
	struct kmsg *rm = NULL;
	struct kitem *items = NULL;

	if (m->dest->kotype != KOBJ_TASK ||
	    (id != ID_PORTS_REGISTER && id != ID_PORTS_LOOKUP &&
	     id != ID_GET_SPECIAL && id != ID_SET_SPECIAL))
		return TASK_NOT_MINE;
	if (m->reply != NULL) {
		rm = kmsg_alloc(k, HDR + ARG + DESC + 4 * NREG);
		items = umach__calloc(NREG, sizeof *items);
		if (rm == NULL || items == NULL) {
			free(items);
			if (rm != NULL)
				kmsg_destroy(k, rm);
			kmsg_destroy(k, m);
			return SEND_KERNEL_REFUSED;
		}
	}
	int r = run(k, m->dest->kobject, m, &q);
	if (rm != NULL) {
		fill_reply(rm, m, r, &q, items);
		if (rm->items == NULL)
			free(items);
		rm->dest = m->reply;		/* the request's reference */
		m->reply = NULL;
		msgq_send_always(k, rm);
	}
	for (uint32_t i = 0; i < NREG; i++)
		if (q.out[i] != NULL)
			port_put(k, q.out[i]);
	kmsg_destroy(k, m);
	return SEND_SUCCESS;
}
