/*
 * Trace events (protocol.md §11): what `umach trace` shows.  Every hook in
 * the kernel is a TRACE() macro that costs one test of k->ntracers when no
 * monitor is tracing; only then are these functions called.  An event
 * names its actor and the other task by id, pid and name, so that a tool
 * that joins late still knows who is who.
 */
#include <string.h>

#include "kernel.h"

static void who(const struct ktask *t, uint64_t *id, int32_t *pid,
		char name[UMACH_NAME_MAX])
{
	if (t == NULL) {
		*id = 0;
		*pid = 0;
		memcpy(name, "kernel", sizeof "kernel");
		return;
	}
	*id = t->id;
	*pid = t->pid;
	memcpy(name, t->name, UMACH_NAME_MAX);
}

static void event_init(struct umach_rec_event *e, uint32_t ev,
		       const struct ktask *actor, const struct ktask *peer)
{
	memset(e, 0, sizeof *e);
	e->type = UMACH_REC_EVENT;
	e->ev = ev;
	e->time_ns = kernel_now_ns();
	who(actor, &e->task, &e->pid, e->task_name);
	who(peer, &e->peer, &e->peer_pid, e->peer_name);
}

static void emit(struct kernel *k, struct umach_rec_event *e)
{
	e->seq = ++k->ev_seq;
	for (struct monitor *mon = k->monitors; mon != NULL; mon = mon->next)
		if (mon->tracing)
			monitor_push(k, mon, e, sizeof *e, 1);
}

static struct ktask *receiver_of(const struct port *p)
{
	return p != NULL && p->receiver != NULL ? p->receiver->task : NULL;
}

/*
 * A message event.  For a send, the actor is the sender and the peer the
 * port's receiver; for a receive, the actor is the receiver and the peer
 * the sender.  p is the port the message went to (or came from).
 */
void trace_msg_(struct kernel *k, uint32_t ev, struct ktask *actor,
		const struct kmsg *m, const struct port *p, int32_t status)
{
	struct umach_rec_event e;
	struct ktask *peer = NULL;

	if (ev == UMACH_EV_RECEIVE && m != NULL)
		peer = m->sender_id ? ktask_by_id(k, m->sender_id) : NULL;
	else
		peer = receiver_of(p);
	event_init(&e, ev, actor, peer);
	if (ev == UMACH_EV_RECEIVE && m != NULL && m->sender_id != 0 &&
	    peer == NULL) {
		e.peer = m->sender_id;	/* gone since; keep its id */
		memcpy(e.peer_name, "(gone)", sizeof "(gone)");
	}
	e.status = status;
	if (p != NULL) {
		e.port = p->id;
		const struct entry *en = actor ?
			space_lookup_port(&actor->space, (struct port *)p) : NULL;
		e.name = en ? en->name : 0;
	}
	if (m != NULL) {
		e.msg_id = m->hdr.msg_id;
		e.size = m->hdr.msg_size;
		e.ports = m->nitems + (m->reply != NULL);
		e.ool = m->nool;
		e.copied = m->bytes_copied;
		e.moved = m->bytes_moved;
	}
	emit(k, &e);
}

/* A thread blocked, went on, or timed out. */
void trace_act_(struct kernel *k, uint32_t ev, const struct act *a,
		int32_t status)
{
	struct umach_rec_event e;
	const struct port *p = a->wport;

	event_init(&e, ev, a->task, receiver_of(p));
	e.status = status;
	e.state = a->state == ACT_RCV_WAIT ? UMACH_TS_RECEIVE : UMACH_TS_SEND;
	if (p != NULL) {
		e.port = p->id;
		const struct entry *en = space_lookup_port(&a->task->space,
							   (struct port *)p);
		e.name = en ? en->name : 0;
	} else if (a->wset != NULL) {	/* port 0: a port set */
		e.name = a->wset->name;
	}
	if (a->pending != NULL) {
		e.msg_id = a->pending->hdr.msg_id;
		e.size = a->pending->hdr.msg_size;
	}
	emit(k, &e);
}

/* The kernel sent notification id about `name` to task t. */
void trace_notify_(struct kernel *k, struct ktask *t, int id, int32_t name)
{
	struct umach_rec_event e;

	event_init(&e, UMACH_EV_NOTIFY, NULL, t);
	e.msg_id = id;
	e.name = name;
	e.port = t->notify ? t->notify->id : 0;
	emit(k, &e);
}

/* Receive or ownership rights (RIGHT_* bits, orphans included) that
 * message m moved to task `to`, which names the port it->out_name. */
void trace_right_(struct kernel *k, struct ktask *to, const struct kmsg *m,
		  const struct kitem *it, uint32_t rights)
{
	struct umach_rec_event e;

	event_init(&e, UMACH_EV_RIGHT, to,
		   m->sender_id ? ktask_by_id(k, m->sender_id) : NULL);
	if (m->sender_id != 0 && e.peer == 0)
		e.peer = m->sender_id;		/* gone since */
	e.port = it->port ? it->port->id : 0;
	e.name = it->out_name;
	e.msg_id = m->hdr.msg_id;
	e.rights = rights;
	emit(k, &e);
}

void trace_port_(struct kernel *k, uint32_t ev, const struct port *p)
{
	struct umach_rec_event e;

	event_init(&e, ev, NULL, NULL);
	e.port = p->id;
	emit(k, &e);
}

void trace_task_(struct kernel *k, uint32_t ev, const struct ktask *t)
{
	struct umach_rec_event e;

	event_init(&e, ev, t, NULL);
	emit(k, &e);
}

/* A knob acted: it delayed, filled or killed. */
void trace_knob_(struct kernel *k, uint32_t knob, const struct ktask *t,
		 const struct port *p, uint64_t value)
{
	struct umach_rec_event e;

	event_init(&e, UMACH_EV_KNOB, t, receiver_of(p));
	e.msg_id = (int32_t)knob;
	e.port = p ? p->id : 0;
	e.copied = value;
	emit(k, &e);
}
