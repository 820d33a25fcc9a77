/*
 * Mach 2.5 C threads (<cthreads.h>, also <mach/cthreads.h>), carried over
 * POSIX threads by libumach (lib/cthreads.c).  The names, types and macros
 * are the era's; struct mutex and struct condition are complete types, so
 * programs embed them, and MUTEX_INITIALIZER / CONDITION_INITIALIZER work
 * for static ones.  No system header is included, so K&R programs that
 * declare libc themselves still compile.  cthread_init() exists, but every
 * call works without it.  Each cthread has its own thread_reply() port;
 * at most 64 live threads of a task can make Mach calls (UMACH_SLOTS).
 * cthread_exit() from main waits for the other cthreads, then exits with
 * the result as status; unlike the era's crt0, returning from main does
 * not wait.  In a forked child the forking thread is the only cthread,
 * named "main".
 */
#ifndef _CTHREADS_
#define _CTHREADS_ 1
#include <mach.h>

typedef void *any_t;

#ifndef MACRO_BEGIN
#define MACRO_BEGIN do {
#define MACRO_END   } while (0)
#endif

/* Spin locks on a plain int: 0 is free. */
void spin_lock(int *p);
void spin_unlock(int *p);
int spin_try_lock(int *p);

/*
 * Mutexes.  `lock` is 1 while the mutex is held (the holder writes it);
 * `name` is the program's.  The rest is libumach's: a pthread mutex, for
 * which all-zero bytes are the initial state.
 */
typedef struct mutex {
	int        lock;
	char      *name;
	long long  umach_impl[8];
} *mutex_t;

#define MUTEX_INITIALIZER     { 0, 0, { 0 } }
#define mutex_set_name(m, x)  ((m)->name = (x))
#define mutex_name(m)         ((m)->name != 0 ? (m)->name : "?")

mutex_t mutex_alloc(void);		/* NULL if out of memory */
void mutex_init(mutex_t m);
void mutex_clear(mutex_t m);
void mutex_free(mutex_t m);
int mutex_try_lock(mutex_t m);		/* TRUE if it took the lock */
void mutex_wait_lock(mutex_t m);	/* blocks until it has the lock */
void mutex_lock(mutex_t m);
void mutex_unlock(mutex_t m);

#define mutex_lock(m) \
	MACRO_BEGIN if (!mutex_try_lock(m)) mutex_wait_lock(m); MACRO_END

/* Condition variables, used with a mutex as in the era. */
typedef struct condition {
	int        lock;		/* unused; kept for the era's layout */
	char      *name;
	long long  umach_impl[8];
} *condition_t;

#define CONDITION_INITIALIZER     { 0, 0, { 0 } }
#define condition_set_name(c, x)  ((c)->name = (x))
#define condition_name(c)         ((c)->name != 0 ? (c)->name : "?")

condition_t condition_alloc(void);	/* NULL if out of memory */
void condition_init(condition_t c);
void condition_clear(condition_t c);
void condition_free(condition_t c);
void condition_signal(condition_t c);
void condition_broadcast(condition_t c);
void condition_wait(condition_t c, mutex_t m);
void cond_signal(condition_t c);
void cond_broadcast(condition_t c);

/* Threads.  A cthread_t is libumach's; programs only pass it around. */
typedef any_t (*cthread_fn_t)(any_t arg);
typedef struct cthread *cthread_t;

#define NO_CTHREAD ((cthread_t)0)

void cthread_init(void);
cthread_t cthread_fork(cthread_fn_t func, any_t arg);
void cthread_detach(cthread_t t);
any_t cthread_join(cthread_t t);
void cthread_yield(void);
void cthread_exit(any_t result);
cthread_t cthread_self(void);
void cthread_set_name(cthread_t t, char *name);
char *cthread_name(cthread_t t);
void cthread_set_data(cthread_t t, any_t data);
any_t cthread_data(cthread_t t);
int cthread_count(void);

#endif
