/*
 * Activations: a slot's call as the kernel sees it.  Completing one writes
 * the answer into the slot and wakes the thread only if it sleeps
 * (protocol.md §5); blocking one puts it on a port's wait queue and, with a
 * timeout, on the timer heap (a binary min-heap on CLOCK_MONOTONIC
 * deadlines, reliability rule 10).
 */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <unistd.h>

#include "kernel.h"

static void futex_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/*
 * Answer a's call with status (and a->out_size, a->out_value) and make the
 * activation idle.  Wakes the thread if it sleeps.  Never blocks.
 */
void act_complete(struct kernel *k, struct act *a, int32_t status)
{
	struct umach_slot *slot = &a->task->chan->slot[a->slot];

	slot->status = status;
	slot->msg_size = a->out_size;
	slot->value = a->out_value;
	slot->ool_count = a->out_ool;
	atomic_store_explicit(&slot->done_seq, a->seq, memory_order_release);
	a->state = ACT_IDLE;
	a->call = UMACH_CALL_NONE;
	task_activate(k, a->task);
	if (atomic_exchange(&slot->sleeping, 0) != 0) {
		futex_wake(&slot->sleeping);
		KSTAT(k, a->task, wakeups, 1);
	}
}

/* ---- timer heap ---- */

static void heap_swap(struct kernel *k, uint32_t i, uint32_t j)
{
	struct act *t = k->heap[i];

	k->heap[i] = k->heap[j];
	k->heap[j] = t;
	k->heap[i]->heap_idx = (int32_t)i;
	k->heap[j]->heap_idx = (int32_t)j;
}

static void heap_fix(struct kernel *k, uint32_t i)
{
	while (i > 0 && k->heap[(i - 1) / 2]->deadline_ns > k->heap[i]->deadline_ns) {
		heap_swap(k, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < k->heap_len && k->heap[l]->deadline_ns < k->heap[m]->deadline_ns)
			m = l;
		if (r < k->heap_len && k->heap[r]->deadline_ns < k->heap[m]->deadline_ns)
			m = r;
		if (m == i)
			return;
		heap_swap(k, i, m);
		i = m;
	}
}

static void heap_remove(struct kernel *k, struct act *a)
{
	uint32_t i = (uint32_t)a->heap_idx;

	a->heap_idx = -1;
	k->heap_len--;
	if (i == k->heap_len)
		return;
	k->heap[i] = k->heap[k->heap_len];
	k->heap[i]->heap_idx = (int32_t)i;
	heap_fix(k, i);
}

static struct waitq *waitq_of(struct port *p, enum act_state st)
{
	return st == ACT_SEND_WAIT ? &p->senders :
	       st == ACT_RCV_WAIT ? &p->receivers : NULL;
}

/* Put a on q (NULL for none: ACT_DELAY) and, if timed, the timer heap. */
static void wait_on(struct kernel *k, struct act *a, struct waitq *q,
		    uint32_t timeout_ms, int timed)
{
	a->wnext = NULL;
	if (q != NULL) {
		a->wprev = q->tail;
		if (q->tail)
			q->tail->wnext = a;
		else
			q->head = a;
		q->tail = a;
		KSTAT(k, a->task, blocks, 1);
		TRACE(k, act, UMACH_EV_BLOCK, a, 0);
	}
	if (!timed)
		return;
	a->deadline_ns = kernel_now_ns() + (uint64_t)timeout_ms * 1000000u;
	a->heap_idx = (int32_t)k->heap_len;
	k->heap[k->heap_len++] = a;
	heap_fix(k, (uint32_t)a->heap_idx);
}

/*
 * Block a on port p (its senders or receivers queue; ACT_DELAY, a send
 * held by the delay knob, waits on no queue).  With `timed`, it also waits
 * at most timeout_ms.  The heap has room for every activation
 * (kernel_init sized it), so this cannot fail.
 */
void act_block(struct kernel *k, struct act *a, struct port *p,
	       enum act_state st, uint32_t timeout_ms, int timed)
{
	a->state = st;
	a->wport = p;
	port_get(p);
	wait_on(k, a, waitq_of(p, st), timeout_ms, timed);
}

/*
 * Block a in receive on port set `set`, as act_block does for a port.
 * The set holds no reference: pset_destroy() wakes its waiters before it
 * frees the set.  Cannot fail.
 */
void act_block_set(struct kernel *k, struct act *a, struct pset *set,
		   uint32_t timeout_ms, int timed)
{
	a->state = ACT_RCV_WAIT;
	a->wset = set;
	wait_on(k, a, &set->receivers, timeout_ms, timed);
}

/* Take a off its wait queue and the timer heap; it stays mid-call. */
void act_unblock(struct kernel *k, struct act *a)
{
	struct port *p = a->wport;

	if (a->wset == NULL && p == NULL)
		return;
	if (a->state != ACT_DELAY)
		TRACE(k, act, UMACH_EV_WAKE, a, 0);
	if (a->wset != NULL)
		waitq_remove(&a->wset->receivers, a);
	else if (a->state != ACT_DELAY)
		waitq_remove(waitq_of(p, a->state), a);
	if (a->heap_idx >= 0)
		heap_remove(k, a);
	a->wport = NULL;
	a->wset = NULL;
	if (p != NULL)
		port_put(k, p);
}

/*
 * End a's call early with status: it is unblocked and its pending message
 * destroyed.  If its task is dying the slot is left alone.
 */
void act_abort(struct kernel *k, struct act *a, int32_t status)
{
	act_unblock(k, a);
	a->delayed = 0;
	if (a->pending != NULL) {
		kmsg_destroy(k, a->pending);
		a->pending = NULL;
	}
	if (a->task->dying) {
		a->state = ACT_IDLE;
		a->call = UMACH_CALL_NONE;
		return;
	}
	a->out_size = 0;
	a->out_ool = 0;
	act_complete(k, a, status);
}

/* Fire every timer due by now_ns (reference 1.8's "timeout is now 0"). */
void timers_expire(struct kernel *k, uint64_t now_ns)
{
	while (k->heap_len > 0 && k->heap[0]->deadline_ns <= now_ns) {
		struct act *a = k->heap[0];
		enum act_state st = a->state;

		if (st == ACT_DELAY) {		/* held long enough: send it */
			struct kmsg *m = a->pending;
			act_unblock(k, a);
			a->pending = NULL;
			a->delayed = 1;
			sys_send_done(k, a, msgq_send(k, a, m));
			continue;
		}
		TRACE(k, act, UMACH_EV_TIMEOUT, a, 0);
		act_unblock(k, a);
		KSTAT(k, a->task, timeouts, 1);
		if (st == ACT_SEND_WAIT)
			sys_send_done(k, a, msgq_send_expired(k, a));
		else
			act_complete(k, a, RCV_TIMED_OUT);
	}
}

/* Milliseconds until the next timer (rounded up), or -1 if none. */
int timers_next_ms(struct kernel *k, uint64_t now_ns)
{
	if (k->heap_len == 0)
		return -1;
	uint64_t d = k->heap[0]->deadline_ns;
	if (d <= now_ns)
		return 0;
	uint64_t ms = (d - now_ns + 999999u) / 1000000u;
	return ms > 60000 ? 60000 : (int)ms;
}
