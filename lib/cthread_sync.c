/*
 * C threads' mutexes, conditions and spin locks (<cthreads.h>).  A struct
 * mutex or struct condition holds a pthread object in umach_impl; all-zero
 * bytes are glibc's PTHREAD_*_INITIALIZER (checked by check_cthreads), so
 * static structs set with MUTEX_INITIALIZER or left zero need no init.
 * mutex->lock mirrors "held" for programs that look at it, written only by
 * the holder.  Unlike the era's spin-lock mutexes, a mutex is unlocked by
 * the thread that holds it (pthreads' rule).  mutex_clear and
 * condition_clear leave the object usable, as the era's no-op mutex_clear
 * did.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include <cthreads.h>

static pthread_mutex_t *pm(mutex_t m)
{
	return (pthread_mutex_t *)(void *)m->umach_impl;
}

static pthread_cond_t *pc(condition_t c)
{
	return (pthread_cond_t *)(void *)c->umach_impl;
}

/* A new unlocked mutex with no name, or NULL if out of memory. */
mutex_t mutex_alloc(void)
{
	mutex_t m = calloc(1, sizeof *m);

	if (m != NULL)
		pthread_mutex_init(pm(m), NULL);
	return m;
}

/* Make m an unlocked mutex; its name is kept. */
void mutex_init(mutex_t m)
{
	m->lock = 0;
	pthread_mutex_init(pm(m), NULL);
}

/* Release what m holds; m stays usable.  A held mutex is left alone. */
void mutex_clear(mutex_t m)
{
	if (pthread_mutex_trylock(pm(m)) != 0)
		return;
	pthread_mutex_unlock(pm(m));
	pthread_mutex_destroy(pm(m));
	pthread_mutex_init(pm(m), NULL);
}

/* Free a mutex from mutex_alloc; NULL is ignored. */
void mutex_free(mutex_t m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(pm(m));
	free(m);
}

/* Take m if it is free.  Returns TRUE if the caller now holds it. */
int mutex_try_lock(mutex_t m)
{
	if (pthread_mutex_trylock(pm(m)) != 0)
		return FALSE;
	m->lock = 1;
	return TRUE;
}

/* Take m, blocking until it is free. */
void mutex_wait_lock(mutex_t m)
{
	pthread_mutex_lock(pm(m));
	m->lock = 1;
}

/* The function behind the mutex_lock() macro, for (mutex_lock)(m). */
void (mutex_lock)(mutex_t m)
{
	mutex_wait_lock(m);
}

/* Release m, which the caller holds. */
void mutex_unlock(mutex_t m)
{
	m->lock = 0;
	pthread_mutex_unlock(pm(m));
}

/* A new condition with no name, or NULL if out of memory. */
condition_t condition_alloc(void)
{
	condition_t c = calloc(1, sizeof *c);

	if (c != NULL)
		pthread_cond_init(pc(c), NULL);
	return c;
}

void condition_init(condition_t c)
{
	c->lock = 0;
	pthread_cond_init(pc(c), NULL);
}

/* Wake every waiter and release what c holds; c stays usable. */
void condition_clear(condition_t c)
{
	pthread_cond_broadcast(pc(c));
	if (pthread_cond_destroy(pc(c)) == 0)
		pthread_cond_init(pc(c), NULL);
}

/* Free a condition from condition_alloc; NULL is ignored. */
void condition_free(condition_t c)
{
	if (c == NULL)
		return;
	pthread_cond_broadcast(pc(c));
	pthread_cond_destroy(pc(c));
	free(c);
}

/* Wake one thread waiting on c, if any. */
void condition_signal(condition_t c)
{
	pthread_cond_signal(pc(c));
}

/* Wake every thread waiting on c. */
void condition_broadcast(condition_t c)
{
	pthread_cond_broadcast(pc(c));
}

void cond_signal(condition_t c)
{
	condition_signal(c);
}

void cond_broadcast(condition_t c)
{
	condition_broadcast(c);
}

/*
 * Release m, which the caller holds, and wait for a signal on c; m is held
 * again on return.  Blocks.  As in the era, a wake-up may be spurious:
 * callers test their predicate in a loop.
 */
void condition_wait(condition_t c, mutex_t m)
{
	m->lock = 0;
	pthread_cond_wait(pc(c), pm(m));
	m->lock = 1;
}

/* Spin locks: an int that is 0 when free. */
int spin_try_lock(int *p)
{
	return __atomic_exchange_n(p, 1, __ATOMIC_ACQUIRE) == 0;
}

void spin_lock(int *p)
{
	while (!spin_try_lock(p))
		while (__atomic_load_n(p, __ATOMIC_RELAXED) != 0)
			sched_yield();
}

void spin_unlock(int *p)
{
	__atomic_store_n(p, 0, __ATOMIC_RELEASE);
}
