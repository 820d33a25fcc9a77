/*
 * The thread calls a slot carries directly (reference 1.5's traps):
 * thread_self(), thread_reply() and the release of a slot when its thread
 * ends.  Each slot is one thread; its thread port and reply port live in
 * the activation until the slot is released or the task dies.
 */
#include "kernel.h"

/* The task's name for p, giving it a send right if it has none. */
static int name_for(struct space *s, struct port *p, int32_t *out_name)
{
	struct entry *e = space_lookup_port(s, p);

	if (e == NULL) {
		if (space_reserve(s, 1) != KERN_SUCCESS)
			return KERN_RESOURCE_SHORTAGE;
		e = space_insert(s, p, PORT_TYPE_SEND, NULL);
		if (e == NULL)
			return KERN_RESOURCE_SHORTAGE;
	}
	*out_name = e->name;
	return KERN_SUCCESS;
}

void sys_thread_self(struct kernel *k, struct act *a)
{
	if (a->thread_port == NULL) {
		struct port *p = port_alloc(k);
		if (p == NULL) {
			act_complete(k, a, KERN_RESOURCE_SHORTAGE);
			return;
		}
		p->kobject = a->task;
		p->kotype = KOBJ_THREAD;
		p->koslot = a->slot;
		a->thread_port = p;		/* its alive reference */
	}
	act_complete(k, a, name_for(&a->task->space, a->thread_port,
				    &a->out_value));
}

/*
 * thread_reply(): the thread's reply port, with receive and ownership.
 * A new one is made if the task gave the old one away or deallocated it.
 */
void sys_thread_reply(struct kernel *k, struct act *a)
{
	struct space *s = &a->task->space;
	struct port *p = a->reply_port;
	struct entry *e = p ? space_lookup_port(s, p) : NULL;

	if (e != NULL && (e->type & RIGHT_RECEIVE)) {
		a->out_value = e->name;
		act_complete(k, a, KERN_SUCCESS);
		return;
	}
	int r = port_allocate_in(k, s, &a->out_value);
	if (r == KERN_SUCCESS) {
		if (p != NULL)
			port_put(k, p);
		a->reply_port = space_lookup(s, a->out_value)->port;
		port_get(a->reply_port);
	}
	act_complete(k, a, r);
}

/*
 * Forget the thread ports of activation a: its thread port dies and its
 * reply port, if the task still holds it, is deallocated.
 */
void act_release_ports(struct kernel *k, struct act *a)
{
	if (a->thread_port != NULL) {
		port_destroy(k, a->thread_port);
		a->thread_port = NULL;
	}
	if (a->reply_port != NULL) {
		struct entry *e = space_lookup_port(&a->task->space,
						    a->reply_port);
		if (e != NULL && !a->task->dying)
			port_drop_rights(k, e);
		port_put(k, a->reply_port);
		a->reply_port = NULL;
	}
}

void sys_slot_release(struct kernel *k, struct act *a)
{
	act_release_ports(k, a);
	act_complete(k, a, KERN_SUCCESS);
}
