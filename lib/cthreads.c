/*
 * Mach 2.5 C threads over POSIX threads (<cthreads.h>).  A cthread is a
 * pthread with a small record: its function, argument, result, name and
 * data.  Records of forked threads are freed by cthread_join, or when a
 * detached thread ends; the main thread's record is static, and a pthread
 * that was not made by cthread_fork gets one at its first cthread_self().
 * Mutexes and conditions keep a pthread object inside the program's own
 * struct, so a zeroed struct (MUTEX_INITIALIZER) is ready to use and no
 * cthread_init() is needed.  Each thread has its own umach slot and so its
 * own thread_reply() port (thread.c); the kernel serializes the calls of
 * all slots on the task's name space.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cthreads.h>

_Static_assert(sizeof(((struct mutex *)0)->umach_impl) >=
	       sizeof(pthread_mutex_t), "struct mutex: room for a mutex");
_Static_assert(sizeof(((struct condition *)0)->umach_impl) >=
	       sizeof(pthread_cond_t), "struct condition: room for one");
_Static_assert(_Alignof(long long) >= _Alignof(pthread_mutex_t) &&
	       _Alignof(long long) >= _Alignof(pthread_cond_t),
	       "umach_impl is aligned for pthread objects");

#define CT_DETACHED 1u	/* nobody will join: the thread frees it */
#define CT_DONE     2u	/* the thread has finished */

struct cthread {
	struct cthread *next, *prev;	/* on ct_all; ct_lock held to use */
	pthread_t    thread;
	cthread_fn_t func;
	any_t        arg;
	any_t        result;
	any_t        data;	/* the thread's cthread_data */
	char        *name;	/* the program's, not copied */
	int          forked;	/* by cthread_fork; set before it runs */
	unsigned     flags;	/* CT_*; ct_lock held to use */
};

static pthread_mutex_t ct_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ct_gone = PTHREAD_COND_INITIALIZER; /* ct_running fell */
static int ct_running;		/* forked cthreads not yet finished */
/* Every forked record not yet freed, so that an unjoined thread's record
 * is still reachable (the era let programs never join). */
static struct cthread ct_all = { .next = &ct_all, .prev = &ct_all };
static struct cthread ct_main = { .name = "main" };
static __thread struct cthread *ct_me;
static pthread_key_t ct_key;	/* its destructor marks a thread finished */
static pthread_once_t ct_once = PTHREAD_ONCE_INIT;

/* Take t off ct_all; ct_lock held. */
static void ct_unlink_locked(struct cthread *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
}

static void ct_finish(void *arg)
{
	struct cthread *t = arg;
	unsigned flags;

	pthread_mutex_lock(&ct_lock);
	t->flags |= CT_DONE;
	flags = t->flags;
	if (t->forked) {
		ct_running--;
		pthread_cond_broadcast(&ct_gone);
		if (flags & CT_DETACHED)
			ct_unlink_locked(t);
	}
	pthread_mutex_unlock(&ct_lock);
	if (flags & CT_DETACHED)
		free(t);
}

/* The list is consistent at fork: no thread is changing it. */
static void ct_before_fork(void)
{
	pthread_mutex_lock(&ct_lock);
}

static void ct_after_fork_parent(void)
{
	pthread_mutex_unlock(&ct_lock);
}

/*
 * A forked child has only the thread that forked, and it is the child's
 * main thread (as in the era): the other records describe threads that
 * do not exist here and are freed.
 */
static void ct_after_fork_child(void)
{
	struct cthread *t, *next;

	for (t = ct_all.next; t != &ct_all; t = next) {
		next = t->next;
		if (t != ct_me)
			free(t);
	}
	ct_all.next = ct_all.prev = &ct_all;
	if (ct_me != NULL) {
		ct_me->forked = 0;	/* now the main thread: never freed */
		ct_me->name = "main";
	}
	ct_running = 0;
	pthread_mutex_init(&ct_lock, NULL);
	pthread_cond_init(&ct_gone, NULL);
}

static void ct_setup(void)
{
	if (pthread_key_create(&ct_key, ct_finish) != 0)
		abort();	/* only running out of keys can fail */
	pthread_atfork(ct_before_fork, ct_after_fork_parent,
		       ct_after_fork_child);
}

static int is_main_thread(void)
{
	return gettid() == getpid();
}

/* Nothing to do: every call sets itself up.  Kept for programs of the era. */
void cthread_init(void)
{
	pthread_once(&ct_once, ct_setup);
}

static void *ct_start(void *arg)
{
	struct cthread *t = arg;

	ct_me = t;
	pthread_setspecific(ct_key, t);
	t->result = t->func(t->arg);
	return t->result;
}

/*
 * Start func(arg) in a new thread.  Returns its cthread, to be joined or
 * detached once; NO_CTHREAD if no thread could be made (out of memory or
 * threads), and then nothing was started.
 */
cthread_t cthread_fork(cthread_fn_t func, any_t arg)
{
	struct cthread *t = calloc(1, sizeof *t);

	cthread_init();
	if (t == NULL || func == NULL)
		return free(t), NO_CTHREAD;
	t->func = func;
	t->arg = arg;
	t->forked = 1;
	pthread_mutex_lock(&ct_lock);
	ct_running++;
	t->next = ct_all.next;
	t->prev = &ct_all;
	ct_all.next->prev = t;
	ct_all.next = t;
	pthread_mutex_unlock(&ct_lock);
	if (pthread_create(&t->thread, NULL, ct_start, t) != 0) {
		pthread_mutex_lock(&ct_lock);
		ct_running--;
		ct_unlink_locked(t);
		pthread_mutex_unlock(&ct_lock);
		free(t);
		return NO_CTHREAD;
	}
	return t;
}

/* Only a thread made by cthread_fork can be joined or detached. */
static int is_forked(cthread_t t)
{
	return t != NO_CTHREAD && t->forked && t != ct_me;
}

/*
 * Let t run on alone: its record is freed when it ends.  t must not be
 * joined or detached again.  The main thread and self are ignored.
 */
void cthread_detach(cthread_t t)
{
	unsigned flags;

	if (!is_forked(t))
		return;
	pthread_detach(t->thread);
	pthread_mutex_lock(&ct_lock);
	t->flags |= CT_DETACHED;
	flags = t->flags;
	if (flags & CT_DONE)
		ct_unlink_locked(t);
	pthread_mutex_unlock(&ct_lock);
	if (flags & CT_DONE)
		free(t);
}

/*
 * Wait for t to end, free it and return its result (what its function
 * returned or it gave cthread_exit).  Blocks.  Joining the main thread,
 * oneself or NO_CTHREAD returns 0 at once.
 */
any_t cthread_join(cthread_t t)
{
	void *result = 0;

	if (!is_forked(t) || pthread_join(t->thread, &result) != 0)
		return 0;
	pthread_mutex_lock(&ct_lock);
	ct_unlink_locked(t);
	pthread_mutex_unlock(&ct_lock);
	free(t);
	return result;
}

/*
 * End the calling thread with result.  From the main thread, wait until
 * every forked cthread has ended, then exit the program with status
 * (int)result, as the era's C threads did.  Does not return.
 */
void cthread_exit(any_t result)
{
	if (is_main_thread()) {
		cthread_init();
		pthread_mutex_lock(&ct_lock);
		while (ct_running > 0)
			pthread_cond_wait(&ct_gone, &ct_lock);
		pthread_mutex_unlock(&ct_lock);
		exit((int)(intptr_t)result);
	}
	if (ct_me != NULL)
		ct_me->result = result;
	pthread_exit(result);
}

void cthread_yield(void)
{
	sched_yield();
}

/*
 * The calling thread's cthread.  A pthread that cthread_fork did not make
 * gets a record now (freed when it ends); NO_CTHREAD if out of memory.
 */
cthread_t cthread_self(void)
{
	if (ct_me != NULL)
		return ct_me;
	cthread_init();
	if (is_main_thread())
		return ct_me = &ct_main;
	struct cthread *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NO_CTHREAD;
	t->thread = pthread_self();
	t->flags = CT_DETACHED;
	pthread_setspecific(ct_key, t);
	return ct_me = t;
}

/* The name is the caller's string and is not copied, as in the era. */
void cthread_set_name(cthread_t t, char *name)
{
	if (t != NO_CTHREAD)
		t->name = name;
}

/* t's name, or "?" if it has none. */
char *cthread_name(cthread_t t)
{
	return t != NO_CTHREAD && t->name != NULL ? t->name : "?";
}

void cthread_set_data(cthread_t t, any_t data)
{
	if (t != NO_CTHREAD)
		t->data = data;
}

any_t cthread_data(cthread_t t)
{
	return t != NO_CTHREAD ? t->data : 0;
}

/* The cthreads now running: the main thread and every unfinished fork. */
int cthread_count(void)
{
	int n;

	pthread_mutex_lock(&ct_lock);
	n = ct_running + 1;
	pthread_mutex_unlock(&ct_lock);
	return n;
}
