/*
 * Port queues: the send path of reference 1.8 (backlog, the four
 * full-queue behaviours, SEND_NOTIFY's one cached message per task and
 * port) and the receive path of 1.9 (RCV_TOO_LARGE keeps the message,
 * hand-off to a waiting receiver, receive from a port set or the default
 * set).  Messages are FIFO per port; a set serves its members round robin
 * (pset.c).
 */
#include <signal.h>
#include <stdlib.h>

#include "kernel.h"

void waitq_remove(struct waitq *q, struct act *a)
{
	if (a->wprev)
		a->wprev->wnext = a->wnext;
	else
		q->head = a->wnext;
	if (a->wnext)
		a->wnext->wprev = a->wprev;
	else
		q->tail = a->wprev;
	a->wnext = a->wprev = NULL;
}

/*
 * Queue m on p, sent by task `from` (NULL: the kernel), and count it.
 * Kernel notifications are traced as UMACH_EV_NOTIFY by notify_send.
 */
static void enqueue(struct kernel *k, struct ktask *from, struct port *p,
		    struct kmsg *m)
{
	KSTAT(k, from, msgs_sent, 1);
	KSTAT(k, from, bytes, m->hdr.msg_size);
	p->msgs++;
	p->bytes += m->hdr.msg_size;
	if (from != NULL || m->hdr.msg_type != MSG_TYPE_EMERGENCY)
		TRACE(k, msg, UMACH_EV_SEND, from, m, p, m->accept_notify ?
		      SEND_WILL_NOTIFY : SEND_SUCCESS);
	m->next = NULL;
	if (p->qtail)
		p->qtail->next = m;
	else
		p->qhead = m;
	p->qtail = m;
	p->count++;
	pset_queue_changed(p);
}

static int receive_from(struct kernel *k, struct act *a, struct port *p);
static int receive_from_set(struct kernel *k, struct act *a,
			    struct pset *set);

/*
 * Satisfy as many receivers blocked on set as it has ready members.  Each
 * pass removes one receiver, so this ends.  No-op when nobody waits.
 */
void msgq_deliver_set(struct kernel *k, struct pset *set)
{
	while (set->ready != NULL && set->receivers.head != NULL) {
		struct act *a = set->receivers.head;
		act_unblock(k, a);
		receive_from_set(k, a, set);
	}
}

/* Satisfy as many blocked receivers of p (or of its set) as there are
 * messages for. */
static void deliver(struct kernel *k, struct port *p)
{
	if (p->pset != NULL) {
		msgq_deliver_set(k, p->pset);
		return;
	}
	while (p->qhead != NULL && p->receivers.head != NULL) {
		struct act *a = p->receivers.head;
		act_unblock(k, a);
		/* the receiver waits on the port, whatever its name is now */
		receive_from(k, a, p);
	}
}

/* Tell the sender of an over-limit message that it has been taken. */
static void notify_accepted(struct kernel *k, struct kmsg *m, struct port *p)
{
	struct ktask *t = ktask_by_id(k, m->sender_id);
	struct entry *e = t ? space_lookup_port(&t->space, p) : NULL;

	if (e == NULL || !e->accept_pending)
		return;
	e->accept_pending = 0;
	notify_send(k, t, NOTIFY_MSG_ACCEPTED, e->name);
}

/*
 * Take the first message off p.  Wakes one blocked sender (a message's
 * worth of room) and sends NOTIFY_MSG_ACCEPTED if the message was accepted
 * over the limit.  Returns the message, owned by the caller, or NULL.
 */
struct kmsg *msgq_dequeue(struct kernel *k, struct port *p)
{
	struct kmsg *m = p->qhead;

	if (m == NULL)
		return NULL;
	p->qhead = m->next;
	if (p->qhead == NULL)
		p->qtail = NULL;
	p->count--;
	m->next = NULL;
	pset_queue_changed(p);
	if (m->accept_notify)
		notify_accepted(k, m, p);
	msgq_wake_senders(k, p, 1);
	return m;
}

/*
 * Queue a kernel-made message (a reply or a notification) whatever the
 * backlog (SEND_ALWAYS).  If its destination is gone it is destroyed.
 */
void msgq_send_always(struct kernel *k, struct kmsg *m)
{
	struct port *p = m->dest;

	if (p == NULL || p->dead || port_is_kobject(p)) {
		kmsg_destroy(k, m);
		return;
	}
	enqueue(k, NULL, p, m);
	deliver(k, p);
}

/* Full queue, nothing left to wait: cache it (SEND_NOTIFY) or fail. */
static int send_full_now(struct kernel *k, struct act *a, struct kmsg *m)
{
	struct port *p = m->dest;

	if (a->option & SEND_NOTIFY) {
		struct entry *e = space_lookup_port(&a->task->space, p);
		if (e != NULL && e->accept_pending) {
			kmsg_destroy(k, m);
			return SEND_NOTIFY_IN_PROGRESS;
		}
		if (e != NULL)
			e->accept_pending = 1;
		m->accept_notify = e != NULL;
		enqueue(k, a->task, p, m);
		deliver(k, p);
		return SEND_WILL_NOTIFY;
	}
	kmsg_destroy(k, m);
	return SEND_TIMED_OUT;
}

/* A port's knob, or else the one on its receiver's task. */
static uint32_t knob_delay(const struct port *p)
{
	return p->delay_ms ? p->delay_ms :
	       p->receiver ? p->receiver->task->rx_delay_ms : 0;
}

static uint32_t knob_full_pct(const struct port *p)
{
	return p->full_pct ? p->full_pct :
	       p->receiver ? p->receiver->task->rx_full_pct : 0;
}

/*
 * The knobs that act before a send (protocol.md §11): kill the task at
 * its Nth message (the message is lost with it), or hold the message for
 * the port's delay first.  Returns 1 if m was taken: the call then waits,
 * for the timer or for the task's death.
 */
static int knob_held(struct kernel *k, struct act *a, struct port *p,
		     struct kmsg *m)
{
	struct ktask *t = a->task;

	if (a->delayed) {		/* its delay is over: send it now */
		a->delayed = 0;
		return 0;
	}
	t->sends++;
	if (t->kill_at != 0 && t->sends >= t->kill_at) {
		t->kill_at = 0;
		TRACE(k, knob, UMACH_KNOB_KILL_AT, t, p, t->sends);
		kill(t->pid, SIGKILL);
		kmsg_destroy(k, m);
		return 1;
	}
	uint32_t delay = knob_delay(p);
	if (delay == 0)
		return 0;
	TRACE(k, knob, UMACH_KNOB_DELAY_MS, t, p, delay);
	a->pending = m;
	act_block(k, a, p, ACT_DELAY, delay, 1);
	return 1;
}

/* The queue-full knob: does this send find p full although it is not? */
static int knob_full(struct kernel *k, struct act *a, struct port *p)
{
	uint32_t pct = knob_full_pct(p);

	if (pct == 0 || (pct < 100 && kernel_random(k) % 100 >= pct))
		return 0;
	TRACE(k, knob, UMACH_KNOB_QUEUE_FULL, a->task, p, pct);
	return 1;
}

/*
 * Send m for activation a.  Consumes m in every case.  Returns
 * SEND_SUCCESS (queued, handed to a receiver or served by the kernel),
 * SEND_WILL_NOTIFY, an error (SEND_INVALID_PORT, SEND_TIMED_OUT,
 * SEND_NOTIFY_IN_PROGRESS), or MSGQ_BLOCKED: a now waits on the port's
 * full queue with m pending, and will be completed later.
 */
int msgq_send(struct kernel *k, struct act *a, struct kmsg *m)
{
	struct port *p = m->dest;

	if (port_is_kobject(p)) {
		TRACE(k, msg, UMACH_EV_SEND, a->task, m, p, SEND_SUCCESS);
		return kobject_dispatch(k, m);
	}
	if (p->dead) {
		kmsg_destroy(k, m);
		return SEND_INVALID_PORT;
	}
	if (knob_held(k, a, p, m))
		return MSGQ_BLOCKED;
	if (p->count < p->backlog && p->senders.head == NULL &&
	    !knob_full(k, a, p)) {
		enqueue(k, a->task, p, m);
		deliver(k, p);
		return SEND_SUCCESS;
	}
	/* Reference 1.8: without SEND_TIMEOUT the wait is forever, unless
	 * SEND_NOTIFY asks to cache at once; with it, n ms then the same. */
	int timed = (a->option & SEND_TIMEOUT) != 0;
	if ((!timed && (a->option & SEND_NOTIFY)) ||
	    (timed && a->send_timeout_ms == 0))
		return send_full_now(k, a, m);
	a->pending = m;
	act_block(k, a, p, ACT_SEND_WAIT, a->send_timeout_ms, timed);
	return MSGQ_BLOCKED;
}

/* A blocked sender's timer ran out: the "timeout is now 0" pass of 1.8. */
int msgq_send_expired(struct kernel *k, struct act *a)
{
	struct kmsg *m = a->pending;

	a->pending = NULL;
	return send_full_now(k, a, m);
}

/*
 * Room appeared on p: let up to n blocked senders queue their message
 * (reference 1.8 step 5, MACH_IPC_WWA).  Each completes its call (or goes
 * on to its receive half, for msg_rpc).
 */
void msgq_wake_senders(struct kernel *k, struct port *p, uint32_t n)
{
	while (n-- > 0 && p->senders.head != NULL && p->count < p->backlog &&
	       knob_full_pct(p) < 100) {
		struct act *a = p->senders.head;
		struct kmsg *m = a->pending;

		act_unblock(k, a);
		a->pending = NULL;
		enqueue(k, a->task, p, m);
		sys_send_done(k, a, SEND_SUCCESS);
		deliver(k, p);
	}
}

/*
 * What a->rcv_name names for a receive (reference 1.9): a set (a set name,
 * or PORT_ENABLED for the task's default set) in *out_set, or a port the
 * task holds the receive right to and that is in no set.  Anything else,
 * a set member included, is RCV_INVALID_PORT.
 */
static struct port *receive_port(struct act *a, struct pset **out_set,
				 int32_t *status)
{
	struct space *s = &a->task->space;
	struct entry *e = space_lookup(s, a->rcv_name);

	*status = RCV_SUCCESS;
	*out_set = e == NULL ? pset_lookup(s, a->rcv_name) : NULL;
	if (*out_set != NULL)
		return NULL;
	if (e == NULL || !(e->type & RIGHT_RECEIVE) || e->port->dead ||
	    e->port->pset != NULL) {
		*status = RCV_INVALID_PORT;
		return NULL;
	}
	return e->port;
}

/*
 * Hand p's first message to a, which is receiving on p, and complete a:
 * with RCV_SUCCESS, or RCV_TOO_LARGE (the message stays queued, except in
 * the NeXT profile without RCV_LARGE) or RCV_NOT_ENOUGH_MEMORY.
 */
static int receive_from(struct kernel *k, struct act *a, struct port *p)
{
	struct umach_slot *slot = &a->task->chan->slot[a->slot];
	struct kmsg *m = p->qhead;
	uint32_t cap = a->rcv_size < UMACH_MSG_BUF ? a->rcv_size : UMACH_MSG_BUF;
	struct kcopyout c;
	int r = kmsg_copyout_prepare(m, &a->task->space, cap, &c);

	if (r == RCV_SUCCESS && m->nool > 0 && kmsg_send_ool(m, a) != 0) {
		kmsg_copyout_cancel(&c);
		r = RCV_NOT_ENOUGH_MEMORY;
	}
	if (r != RCV_SUCCESS) {
		TRACE(k, msg, UMACH_EV_RECEIVE, a->task, m, p, r);
		if (r == RCV_TOO_LARGE) {
			a->out_size = m->hdr.msg_size;
			if (k->profile == UMACH_PROFILE_NEXT &&
			    !(a->option & RCV_LARGE))
				kmsg_destroy(k, msgq_dequeue(k, p));
		}
		act_complete(k, a, r);
		return r;
	}
	msgq_dequeue(k, p);
	a->out_size = m->hdr.msg_size;
	a->out_ool = m->nool;
	TRACE(k, msg, UMACH_EV_RECEIVE, a->task, m, p, RCV_SUCCESS);
	kmsg_copyout_finish(k, m, &a->task->space, slot->buf, &c);
	KSTAT(k, a->task, msgs_received, 1);
	act_complete(k, a, RCV_SUCCESS);
	return RCV_SUCCESS;
}

/*
 * Space s lost its receive right to p while it still holds the port
 * (reverted or given away): its threads blocked on p fail with
 * RCV_INVALID_PORT, as they would on a name they no longer hold.
 */
void msgq_fail_receivers(struct kernel *k, struct port *p, struct space *s)
{
	struct act *a = p->receivers.head;

	while (a != NULL) {
		struct act *next = a->wnext;
		if (&a->task->space == s)
			act_abort(k, a, RCV_INVALID_PORT);
		a = next;
	}
}

/*
 * Receive for a from set, whose first ready member has a message: that
 * message, as receive_from() gives it (msg_local_port is the member's
 * name).  On success the member goes to the back of the ready list, so
 * that every member with mail is served in turn.
 */
static int receive_from_set(struct kernel *k, struct act *a,
			    struct pset *set)
{
	struct port *p = set->ready;
	int r = receive_from(k, a, p);

	if (r == RCV_SUCCESS)
		pset_rotate(p);
	return r;
}

/*
 * The receive half for activation a (msg_receive, or msg_rpc after its
 * send): take a message from a->rcv_name, a port or a set, or block.
 * Receiving from an empty set is legal and blocks.  Always completes a or
 * leaves it blocked; never fails silently.
 */
int msgq_receive(struct kernel *k, struct act *a)
{
	int32_t st;
	struct pset *set;
	struct port *p = receive_port(a, &set, &st);

	if (p == NULL && set == NULL) {
		TRACE(k, msg, UMACH_EV_RECEIVE, a->task, NULL, NULL, st);
		act_complete(k, a, st);
		return st;
	}
	if (set != NULL && set->ready != NULL)
		return receive_from_set(k, a, set);
	if (p != NULL && p->qhead != NULL)
		return receive_from(k, a, p);
	int timed = (a->option & RCV_TIMEOUT) != 0;
	if (timed && a->rcv_timeout_ms == 0) {
		act_complete(k, a, RCV_TIMED_OUT);
		return RCV_TIMED_OUT;
	}
	if (set != NULL)
		act_block_set(k, a, set, a->rcv_timeout_ms, timed);
	else
		act_block(k, a, p, ACT_RCV_WAIT, a->rcv_timeout_ms, timed);
	return MSGQ_BLOCKED;
}
