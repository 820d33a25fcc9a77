/*
 * C threads (<cthreads.h>) against a real umachd: fork, join, detach,
 * exit, names and data; mutexes and conditions, static and allocated;
 * a reply port per cthread; cthread_exit from main waiting for the
 * others; and 8 cthreads making 100,000 port calls on one task's name
 * space at once, with every name checked as they go.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <mach/cthreads.h>
#include "harness.h"

#define THREADS   8
#define ITERS     3125		/* 8 x 3125 x 4 calls = 100,000 */
#define RING      4		/* ports each thread holds at once */

static void setup(void) { harness_start("textbook"); }
static void teardown(void) { harness_stop(); }

START_TEST(test_zero_bytes_are_the_pthread_initializers)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	static const char zero[sizeof(pthread_cond_t)];

	/* lib/cthread_sync.c relies on this for MUTEX_INITIALIZER. */
	ck_assert_int_eq(memcmp(&m, zero, sizeof m), 0);
	ck_assert_int_eq(memcmp(&c, zero, sizeof c), 0);
}
END_TEST

static any_t add_one(any_t arg)
{
	return (any_t)((intptr_t)arg + 1);
}

START_TEST(test_fork_join_returns_the_result)
{
	cthread_t t[4];

	for (intptr_t i = 0; i < 4; i++) {
		t[i] = cthread_fork(add_one, (any_t)(i * 10));
		ck_assert_ptr_ne(t[i], NO_CTHREAD);
	}
	for (intptr_t i = 0; i < 4; i++)
		ck_assert_int_eq((intptr_t)cthread_join(t[i]), i * 10 + 1);
	ck_assert_ptr_eq(cthread_fork(NULL, 0), NO_CTHREAD);
	ck_assert_ptr_eq(cthread_join(NO_CTHREAD), NULL);
	ck_assert_ptr_eq(cthread_join(cthread_self()), NULL);	/* self */
}
END_TEST

static any_t exit_early(any_t arg)
{
	cthread_exit(arg);
	return (any_t)1;	/* not reached */
}

START_TEST(test_cthread_exit_in_a_thread_gives_join_its_result)
{
	cthread_t t = cthread_fork(exit_early, (any_t)42);

	ck_assert_int_eq((intptr_t)cthread_join(t), 42);
}
END_TEST

static any_t own_name_and_data(any_t arg)
{
	cthread_t me = cthread_self();

	cthread_set_name(me, "worker");
	cthread_set_data(me, arg);
	return strcmp(cthread_name(me), "worker") == 0 &&
	       cthread_data(cthread_self()) == arg ? (any_t)1 : (any_t)0;
}

START_TEST(test_name_and_data_belong_to_each_thread)
{
	int x;
	cthread_t t = cthread_fork(own_name_and_data, &x);

	ck_assert_ptr_eq(cthread_join(t), (any_t)1);
	ck_assert_str_eq(cthread_name(cthread_self()), "main");
	ck_assert_str_eq(cthread_name(NO_CTHREAD), "?");
	ck_assert_ptr_eq(cthread_data(cthread_self()), NULL);
	ck_assert_ptr_eq(cthread_data(NO_CTHREAD), NULL);
	cthread_set_name(cthread_self(), "main");
	ck_assert_str_eq(cthread_name(cthread_self()), "main");
	ck_assert_ptr_eq(cthread_self(), cthread_self());
}
END_TEST

static struct mutex gate = MUTEX_INITIALIZER;	/* never initialised */

static any_t wait_for_gate(any_t arg)
{
	mutex_lock(&gate);
	*(int *)arg = 1;
	mutex_unlock(&gate);
	return 0;
}

START_TEST(test_detached_threads_run_and_are_counted_until_they_end)
{
	int ran[3] = { 0 };

	cthread_init();
	cthread_init();		/* harmless twice */
	ck_assert_int_eq(cthread_count(), 1);
	mutex_lock(&gate);
	ck_assert_int_eq(gate.lock, 1);
	for (int i = 0; i < 3; i++)
		cthread_detach(cthread_fork(wait_for_gate, &ran[i]));
	ck_assert_int_eq(cthread_count(), 4);
	mutex_unlock(&gate);
	for (int i = 0; i < 500 && cthread_count() > 1; i++)
		usleep(10000);
	ck_assert_int_eq(cthread_count(), 1);
	ck_assert(ran[0] && ran[1] && ran[2]);
	cthread_detach(cthread_self());		/* ignored */
	cthread_detach(NO_CTHREAD);
}
END_TEST

/* Try m from another thread; give it back if taken. */
static any_t try_gate(any_t arg)
{
	mutex_t m = arg;
	int took = mutex_try_lock(m);

	if (took)
		mutex_unlock(m);
	return (any_t)(intptr_t)took;
}

START_TEST(test_try_lock_fails_while_held_and_clear_leaves_it_usable)
{
	mutex_t m = mutex_alloc();

	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(mutex_name(m), "?");
	mutex_set_name(m, "m");
	ck_assert_str_eq(mutex_name(m), "m");
	ck_assert_int_eq(mutex_try_lock(m), TRUE);
	ck_assert_int_eq((intptr_t)cthread_join(cthread_fork(try_gate, m)), FALSE);
	mutex_clear(m);			/* held: left alone */
	ck_assert_int_eq((intptr_t)cthread_join(cthread_fork(try_gate, m)), FALSE);
	ck_assert_int_eq(m->lock, 1);
	mutex_unlock(m);
	mutex_clear(m);
	(mutex_lock)(m);
	mutex_unlock(m);
	ck_assert_int_eq((intptr_t)cthread_join(cthread_fork(try_gate, m)), TRUE);
	ck_assert_int_eq(m->lock, 0);
	mutex_init(m);
	mutex_wait_lock(m);
	mutex_unlock(m);
	mutex_free(m);
	mutex_free(NULL);
}
END_TEST

/* A queue of one slot, with a condition each way. */
struct box {
	struct mutex     lock;
	struct condition full, empty;
	int              has, value, sum;
};

static any_t consume(any_t arg)
{
	struct box *b = arg;

	for (int i = 0; i < 1000; i++) {
		mutex_lock(&b->lock);
		while (!b->has)
			condition_wait(&b->full, &b->lock);
		b->sum += b->value;
		b->has = 0;
		condition_signal(&b->empty);
		mutex_unlock(&b->lock);
	}
	return 0;
}

START_TEST(test_conditions_hand_1000_values_between_threads)
{
	static struct box b = { MUTEX_INITIALIZER, CONDITION_INITIALIZER,
				CONDITION_INITIALIZER, 0, 0, 0 };
	cthread_t t = cthread_fork(consume, &b);

	for (int i = 1; i <= 1000; i++) {
		mutex_lock(&b.lock);
		while (b.has)
			condition_wait(&b.empty, &b.lock);
		b.value = i;
		b.has = 1;
		cond_signal(&b.full);
		mutex_unlock(&b.lock);
	}
	cthread_join(t);
	ck_assert_int_eq(b.sum, 1000 * 1001 / 2);
	condition_clear(&b.full);
	condition_broadcast(&b.full);
	cond_broadcast(&b.full);
}
END_TEST

static any_t broadcast_waiter(any_t arg)
{
	struct box *b = arg;

	mutex_lock(&b->lock);
	while (!b->has)
		condition_wait(&b->full, &b->lock);
	b->sum++;
	mutex_unlock(&b->lock);
	return 0;
}

START_TEST(test_broadcast_wakes_every_waiter_of_an_allocated_condition)
{
	struct box b;
	condition_t c = condition_alloc();
	cthread_t t[3];

	ck_assert_ptr_nonnull(c);
	memset(&b, 0, sizeof b);
	mutex_init(&b.lock);
	condition_init(&b.full);
	condition_set_name(&b.full, "full");
	ck_assert_str_eq(condition_name(&b.full), "full");
	ck_assert_str_eq(condition_name(c), "?");
	for (int i = 0; i < 3; i++)
		t[i] = cthread_fork(broadcast_waiter, &b);
	usleep(50000);
	mutex_lock(&b.lock);
	b.has = 1;
	condition_broadcast(&b.full);
	mutex_unlock(&b.lock);
	for (int i = 0; i < 3; i++)
		cthread_join(t[i]);
	ck_assert_int_eq(b.sum, 3);
	condition_signal(c);
	condition_free(c);
	condition_free(NULL);
	mutex_clear(&b.lock);
	condition_clear(&b.full);
}
END_TEST

START_TEST(test_spin_locks_exclude)
{
	int l = 0;

	ck_assert(spin_try_lock(&l));
	ck_assert(!spin_try_lock(&l));
	spin_unlock(&l);
	spin_lock(&l);
	ck_assert_int_eq(l, 1);
	spin_unlock(&l);
	ck_assert_int_eq(l, 0);
}
END_TEST

static any_t reply_port_of(any_t arg)
{
	(void)arg;
	return (any_t)(intptr_t)thread_reply();
}

START_TEST(test_each_cthread_has_its_own_reply_port)
{
	cthread_t t[4];
	port_t p[5];

	p[4] = thread_reply();
	for (int i = 0; i < 4; i++)
		t[i] = cthread_fork(reply_port_of, 0);
	for (int i = 0; i < 4; i++)
		p[i] = (port_t)(intptr_t)cthread_join(t[i]);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_ne(p[i], PORT_NULL);
		for (int j = 0; j < i; j++)
			ck_assert_int_ne(p[i], p[j]);
	}
}
END_TEST

static int exit_pipe[2];

static any_t late_writer(any_t arg)
{
	usleep(200000);
	if (write(exit_pipe[1], "x", 1) != 1)
		abort();
	return arg;
}

/* main() of a task whose main thread leaves with cthread_exit. */
static int main_exits_first(void *arg)
{
	(void)arg;
	cthread_detach(cthread_fork(late_writer, 0));
	cthread_fork(late_writer, 0);		/* never joined */
	cthread_exit((any_t)7);
	return 99;				/* not reached */
}

START_TEST(test_cthread_exit_from_main_waits_for_the_other_threads)
{
	char buf[4];

	ck_assert_int_eq(pipe(exit_pipe), 0);
	pid_t pid = harness_spawn(main_exits_first, NULL);
	close(exit_pipe[1]);
	ck_assert_int_eq(harness_wait(pid, 10000), 7);
	ck_assert_int_eq(read(exit_pipe[0], buf, sizeof buf), 2);
	close(exit_pipe[0]);
}
END_TEST

static struct mutex start_lock = MUTEX_INITIALIZER;
static struct condition start_cond = CONDITION_INITIALIZER;
static int started, go;

/* Wait until every thread is here, then make a first call at once. */
static any_t first_call_together(any_t arg)
{
	port_t p;
	struct msg64 m;

	mutex_lock(&start_lock);
	started++;
	condition_broadcast(&start_cond);
	while (!go)
		condition_wait(&start_cond, &start_lock);
	mutex_unlock(&start_lock);
	if (port_allocate(task_self(), &p) != KERN_SUCCESS)
		return (any_t)1;
	msg64_init(&m, p, PORT_NULL, (int)(intptr_t)arg);
	if (msg_send(&m.h, SEND_TIMEOUT, 0) != SEND_SUCCESS)
		return (any_t)2;
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	if (msg_receive(&m.h, RCV_TIMEOUT, 1000) != RCV_SUCCESS ||
	    m.h.msg_id != (int)(intptr_t)arg)
		return (any_t)3;
	return (any_t)(intptr_t)(task_self() == PORT_NULL ? 4 : 0);
}

/* A forked child is a new task at its first call: 8 cthreads make it. */
static int child_with_threads(void *arg)
{
	cthread_t t[THREADS];
	int bad = 0;

	(void)arg;
	for (int i = 0; i < THREADS; i++)
		t[i] = cthread_fork(first_call_together, (any_t)(intptr_t)(i + 1));
	mutex_lock(&start_lock);
	while (started < THREADS)
		condition_wait(&start_cond, &start_lock);
	go = 1;
	condition_broadcast(&start_cond);
	mutex_unlock(&start_lock);
	for (int i = 0; i < THREADS; i++)
		bad |= (int)(intptr_t)cthread_join(t[i]);
	return bad;
}

START_TEST(test_8_cthreads_of_a_forked_child_attach_it_together)
{
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(harness_wait(harness_spawn(child_with_threads,
							    NULL), 10000), 0);
}
END_TEST

static struct mutex hold_lock = MUTEX_INITIALIZER;

/* Runs until the parent lets go of hold_lock. */
static any_t held_back(any_t arg)
{
	mutex_lock(&hold_lock);
	mutex_unlock(&hold_lock);
	return arg;
}

/*
 * In the child: only the forking thread exists, and it is main.  A child
 * forked from the main thread leaves with cthread_exit, which must wait
 * for nobody of the parent's.  (A child forked from another thread
 * returns instead: exit() there would run LeakSanitizer without the
 * parent's main stack, and report what only that stack pointed to.)
 */
static int child_after_fork(void *from_a_cthread)
{
	if (cthread_count() != 1 || strcmp(cthread_name(cthread_self()), "main"))
		return 1;
	if (cthread_join(cthread_fork(add_one, (any_t)1)) != (any_t)2)
		return 2;
	if (from_a_cthread)
		return 5;
	cthread_exit((any_t)5);
	return 3;
}

static any_t fork_from_a_cthread(any_t arg)
{
	cthread_set_name(cthread_self(), "forker");
	return (any_t)(intptr_t)harness_wait(harness_spawn(child_after_fork,
							   arg), 10000);
}

START_TEST(test_a_forked_child_has_one_cthread_its_main)
{
	mutex_lock(&hold_lock);
	cthread_t busy = cthread_fork(held_back, (any_t)9);
	cthread_t forker = cthread_fork(fork_from_a_cthread, (any_t)1);

	ck_assert_int_eq((intptr_t)cthread_join(forker), 5);
	ck_assert_int_eq(cthread_count(), 2);
	/* From the main thread too, while busy still runs here. */
	ck_assert_int_eq(harness_wait(harness_spawn(child_after_fork, NULL),
				      10000), 5);
	mutex_unlock(&hold_lock);
	ck_assert_int_eq((intptr_t)cthread_join(busy), 9);
	ck_assert_int_eq(cthread_count(), 1);
}
END_TEST

/*
 * The stress test's shared state: which names are held right now, and
 * what each thread did.  A name held twice, a failed call, or a message
 * that comes back wrong is counted as an error.
 */
struct held {
	struct mutex lock;
	port_t       name[THREADS * RING];
	int          n;
};

struct worker {
	struct held *held;
	int          id;
	long         allocs, deallocs, sends, receives, errors;
};

static int held_put(struct held *h, port_t p)
{
	int ok = 1;

	mutex_lock(&h->lock);
	for (int i = 0; i < h->n; i++)
		ok &= h->name[i] != p;
	if (ok && h->n < THREADS * RING)
		h->name[h->n++] = p;
	mutex_unlock(&h->lock);
	return ok;
}

static void held_drop(struct held *h, port_t p)
{
	mutex_lock(&h->lock);
	for (int i = 0; i < h->n; i++)
		if (h->name[i] == p)
			h->name[i] = h->name[--h->n];
	mutex_unlock(&h->lock);
}

static void drop_oldest(struct worker *w, port_t *ring, int slot)
{
	held_drop(w->held, ring[slot]);
	w->errors += port_deallocate(task_self(), ring[slot]) != KERN_SUCCESS;
	w->deallocs++;
}

/* Send one message to p and take it back; both must succeed at once. */
static void send_and_take(struct worker *w, port_t p, int id)
{
	struct msg64 m;

	msg64_init(&m, p, PORT_NULL, id);
	m.data[0] = (char)id;
	w->errors += msg_send(&m.h, SEND_TIMEOUT, 0) != SEND_SUCCESS;
	w->sends++;
	memset(&m, 0, sizeof m);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	w->errors += msg_receive(&m.h, RCV_TIMEOUT, 1000) != RCV_SUCCESS;
	w->errors += m.h.msg_id != id || m.h.msg_local_port != p ||
		     m.data[0] != (char)id;
	w->receives++;
}

static any_t churn(any_t arg)
{
	struct worker *w = arg;
	port_t ring[RING];

	for (int i = 0; i < ITERS; i++) {
		int slot = i % RING;
		if (i >= RING)
			drop_oldest(w, ring, slot);
		w->errors += port_allocate(task_self(), &ring[slot]) != KERN_SUCCESS;
		w->allocs++;
		w->errors += !held_put(w->held, ring[slot]);
		send_and_take(w, ring[slot], w->id * 100000 + i);
	}
	for (int slot = 0; slot < RING; slot++)
		drop_oldest(w, ring, slot);
	return 0;
}

static unsigned int count_names(void)
{
	port_name_array_t names;
	port_type_array_t types;
	unsigned int n = 0, nt;

	ck_assert_int_eq(port_names(task_self(), &names, &n, &types, &nt),
			 KERN_SUCCESS);
	vm_deallocate(task_self(), (vm_address_t)names, n * sizeof *names);
	vm_deallocate(task_self(), (vm_address_t)types, nt * sizeof *types);
	return n;
}

START_TEST(test_8_threads_100000_port_calls_keep_names_consistent)
{
	static struct held h = { MUTEX_INITIALIZER, { 0 }, 0 };
	struct worker w[THREADS];
	cthread_t t[THREADS];
	long calls = 0;

	unsigned int before = count_names();
	memset(w, 0, sizeof w);
	for (int i = 0; i < THREADS; i++) {
		w[i].held = &h;
		w[i].id = i + 1;
		t[i] = cthread_fork(churn, &w[i]);
		ck_assert_ptr_ne(t[i], NO_CTHREAD);
	}
	for (int i = 0; i < THREADS; i++) {
		cthread_join(t[i]);
		ck_assert_int_eq(w[i].errors, 0);
		ck_assert_int_eq(w[i].allocs, ITERS);
		ck_assert_int_eq(w[i].deallocs, ITERS);
		ck_assert_int_eq(w[i].sends, w[i].receives);
		calls += w[i].allocs + w[i].deallocs + w[i].sends + w[i].receives;
	}
	ck_assert_int_eq(calls, 100000);
	ck_assert_int_eq(h.n, 0);
	/* Every port and every thread's reply port is gone again. */
	ck_assert_uint_eq(count_names(), before);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cthreads");
	TCase *tc = tcase_create("cthreads");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_zero_bytes_are_the_pthread_initializers);
	tcase_add_test(tc, test_fork_join_returns_the_result);
	tcase_add_test(tc, test_cthread_exit_in_a_thread_gives_join_its_result);
	tcase_add_test(tc, test_name_and_data_belong_to_each_thread);
	tcase_add_test(tc, test_detached_threads_run_and_are_counted_until_they_end);
	tcase_add_test(tc, test_try_lock_fails_while_held_and_clear_leaves_it_usable);
	tcase_add_test(tc, test_conditions_hand_1000_values_between_threads);
	tcase_add_test(tc, test_broadcast_wakes_every_waiter_of_an_allocated_condition);
	tcase_add_test(tc, test_spin_locks_exclude);
	tcase_add_test(tc, test_each_cthread_has_its_own_reply_port);
	tcase_add_test(tc, test_cthread_exit_from_main_waits_for_the_other_threads);
	tcase_add_test(tc, test_8_cthreads_of_a_forked_child_attach_it_together);
	tcase_add_test(tc, test_a_forked_child_has_one_cthread_its_main);
	tcase_add_test(tc, test_8_threads_100000_port_calls_keep_names_consistent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(suite());
}
