/*
 * The task's side of the channel (docs/protocol.md §4-5): the only code in
 * libumach that does pointer arithmetic on the shared region.  Each thread
 * claims one slot; a call writes the request, bumps req_seq, sets the
 * slot's pending bit and rings the doorbell only if the kernel asked for
 * it.  The answer is awaited by a bounded spin, then a futex sleep in
 * slices, so that a dead kernel is noticed within UMACH_DEAD_CHECK_MS.  A
 * call that a signal may interrupt waits with signals blocked and looks
 * for them between slices (docs/protocol.md §5).
 */
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define UMACH_DEAD_CHECK_MS 20
#define UMACH_INTERRUPT_CHECK_MS 10	/* signals looked for while blocked */

static _Atomic uint64_t slots_used;	/* bit i: slot i has a thread */
static pthread_key_t slot_key;
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;
static __thread int my_slot = -1;
static _Atomic int have_key;

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#else
#define cpu_relax() atomic_signal_fence(memory_order_seq_cst)
#endif

/* How long a waiting thread spins before it sleeps (UMACH_SPIN_US). */
static uint64_t spin_ns(void)
{
	static _Atomic int64_t cached = -1;
	int64_t v = atomic_load(&cached);

	if (v < 0) {
		const char *e = getenv("UMACH_SPIN_US");
		v = e ? strtoll(e, NULL, 10) * 1000 : 20000;
		atomic_store(&cached, v);
	}
	return (uint64_t)v;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A thread that ends gives its slot back; the kernel drops its ports. */
static void slot_release(void *arg)
{
	int i = (int)(intptr_t)arg - 1;
	struct umach_channel *c = umach__conn.chan;

	if (i < 0 || c == NULL || umach__conn.dead)
		return;
	c->slot[i].call = UMACH_CALL_SLOT_RELEASE;
	umach__call(&c->slot[i], 0, 0);
	atomic_fetch_and(&slots_used, ~(1ull << i));
}

static void make_key(void)
{
	if (pthread_key_create(&slot_key, slot_release) == 0)
		atomic_store(&have_key, 1);
}

struct umach_slot *umach__slot(void)
{
	if (my_slot >= 0)
		return umach__conn.chan ? &umach__conn.chan->slot[my_slot] : NULL;
	if (umach__ensure() != 0)
		return NULL;
	pthread_once(&slot_once, make_key);
	uint64_t used = atomic_load(&slots_used);
	for (;;) {
		if (~used == 0)
			return NULL;
		int i = __builtin_ctzll(~used);
		if (atomic_compare_exchange_weak(&slots_used, &used,
						 used | 1ull << i)) {
			my_slot = i;
			if (atomic_load(&have_key))
				pthread_setspecific(slot_key,
						    (void *)(intptr_t)(i + 1));
			return &umach__conn.chan->slot[i];
		}
	}
}

/* After fork or a new attach: no thread holds a slot any more. */
void umach__slot_reset(void)
{
	atomic_store(&slots_used, 0);
	my_slot = -1;
	if (atomic_load(&have_key))
		pthread_setspecific(slot_key, NULL);
}

static int kernel_gone(void)
{
	struct pollfd p = { .fd = umach__conn.sock, .events = POLLRDHUP };

	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR)))
		umach__conn.dead = 1;
	return umach__conn.dead;
}

static void ring(struct umach_slot *s)
{
	struct umach_channel *c = umach__conn.chan;
	uint64_t one = 1;

	atomic_fetch_or(&c->pending, 1ull << (s - c->slot));
	if (atomic_load(&c->need_wakeup) &&
	    write(umach__conn.bell, &one, sizeof one) < 0)
		(void)0;	/* a full eventfd has already rung */
}

static int done(struct umach_slot *s, uint32_t seq)
{
	return atomic_load_explicit(&s->done_seq, memory_order_acquire) == seq;
}

static int sleep_once(struct umach_slot *s, uint32_t seq, long slice_ms)
{
	struct timespec ts = { 0, slice_ms * 1000000L };

	atomic_store(&s->sleeping, 1);
	if (done(s, seq))
		return 0;
	if (syscall(SYS_futex, (uint32_t *)&s->sleeping, FUTEX_WAIT, 1, &ts,
		    NULL, 0) != 0)
		return errno;
	return 0;
}

/* Post the call in s; returns the sequence number its answer will carry. */
static uint32_t post(struct umach_slot *s)
{
	uint32_t seq = atomic_load(&s->req_seq) + 1;

	atomic_store(&s->sleeping, 0);
	atomic_store(&s->cancel, 0);
	atomic_store_explicit(&s->req_seq, seq, memory_order_release);
	ring(s);
	return seq;
}

/* Wait for a call no signal may interrupt: a handler just runs. */
static int32_t wait_plain(struct umach_slot *s, uint32_t seq,
			  int32_t dead_status)
{
	uint64_t until = now_ns() + spin_ns();

	for (unsigned i = 0; !done(s, seq); i++) {
		if (i < 64) {
			cpu_relax();
			continue;
		}
		if (now_ns() < until) {
			sched_yield();
			continue;
		}
		if (sleep_once(s, seq, UMACH_DEAD_CHECK_MS) == ETIMEDOUT &&
		    kernel_gone())
			return dead_status;
	}
	return s->status;
}

/*
 * What is pending among the signals the program left unblocked (in old):
 * SIG_NONE, SIG_HANDLED (one has a handler, which will run when they are
 * unblocked) or SIG_DEFAULT (only default or ignored actions).
 */
enum { SIG_NONE, SIG_HANDLED, SIG_DEFAULT };

static int pending_signals(const sigset_t *old)
{
	sigset_t p;
	struct sigaction sa;
	int kind = SIG_NONE;

	if (sigpending(&p) != 0)
		return SIG_NONE;
	for (int sig = 1; sig < NSIG; sig++) {
		if (sigismember(&p, sig) != 1 || sigismember(old, sig) == 1)
			continue;
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
		    sa.sa_handler != SIG_IGN)
			return SIG_HANDLED;
		kind = SIG_DEFAULT;
	}
	return kind;
}

/*
 * Wait for a call with SEND_INTERRUPT or RCV_INTERRUPT.  The caller
 * blocked every signal before posting (old is the program's mask), so a
 * signal cannot slip by while the thread is between two sleeps: it stays
 * pending, and is looked for every UMACH_INTERRUPT_CHECK_MS.  One with a
 * handler asks the kernel to end the call (docs/protocol.md §5) and lets
 * the handlers run; one with a default action is let through at once.
 */
static int32_t wait_interruptible(struct umach_slot *s, uint32_t seq,
				  const sigset_t *old, int32_t dead_status)
{
	sigset_t all;
	int asked = 0;

	sigfillset(&all);
	while (!done(s, seq)) {
		int err = sleep_once(s, seq, asked ? UMACH_DEAD_CHECK_MS
						   : UMACH_INTERRUPT_CHECK_MS);
		if (err == ETIMEDOUT && kernel_gone())
			return dead_status;
		if (asked)
			continue;
		int kind = pending_signals(old);
		if (kind == SIG_HANDLED) {
			/* Ask first: a handler may longjmp out of this call. */
			asked = 1;
			atomic_store(&s->cancel, 1);
			ring(s);
		}
		if (kind != SIG_NONE)
			pthread_sigmask(SIG_SETMASK, old, NULL);
		if (kind == SIG_DEFAULT)
			pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	return s->status;
}

int32_t umach__call(struct umach_slot *s, int32_t option, int32_t dead_status)
{
	sigset_t all, old;
	int32_t r;

	if (umach__conn.dead)
		return dead_status;
	if (!(option & (SEND_INTERRUPT | RCV_INTERRUPT)))
		return wait_plain(s, post(s), dead_status);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = wait_interruptible(s, post(s), &old, dead_status);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}
