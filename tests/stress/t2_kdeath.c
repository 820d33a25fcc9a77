/*
 * T2, kernel death (reference reliability.md, T2).  Each of
 * UMACH_STRESS_T2_TRIALS trials (200) puts four tasks in blocking calls
 * (a receive with no timeout, a receive with a 60 s timeout, a send on a
 * full queue, and an RPC to a server that never answers), kills the
 * kernel with SIGKILL and times how long each call takes to return, and
 * with what.  Then a new kernel is started on the same socket and a fresh
 * task must attach and allocate a port within 1 s.
 *
 * Pass bar: every blocked call returns an error (none hangs past the 10 s
 * guard), p99 <= 100 ms and max <= 1 s; every restart accepts a task
 * within 1 s; the last kernel exits cleanly.  One figures line.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mach.h>
#include <servers/netname.h>
#include "stress.h"

#define KINDS 4

struct shared {
	_Atomic int      ready[KINDS];
	_Atomic uint64_t done_us[KINDS];	/* when the call returned */
	_Atomic int      status[KINDS];
	_Atomic int      attached;
};

static struct shared *S;

struct msg {
	msg_header_t h;
	msg_type_t   t;
	int32_t      v[2];
};

static void msg_init(struct msg *m, port_t dest, port_t reply)
{
	memset(m, 0, sizeof *m);
	m->h.msg_simple = TRUE;
	m->h.msg_size = sizeof *m;
	m->h.msg_type = MSG_TYPE_NORMAL;
	m->h.msg_remote_port = dest;
	m->h.msg_local_port = reply;
	m->h.msg_id = 7;
	m->t.msg_type_name = MSG_TYPE_INTEGER_32;
	m->t.msg_type_size = 32;
	m->t.msg_type_number = 2;
	m->t.msg_type_inline = TRUE;
}

static void returned(int kind, int status)
{
	S->status[kind] = status;
	S->done_us[kind] = st_now_us();
}

/* Kind 0 (silent server, receive with no timeout) and 1 (60 s timeout).
 * Kind 0 takes the RPC of kind 3 first and never answers it. */
static int receiver(void *arg)
{
	int kind = (int)(intptr_t)arg;
	struct msg m;
	port_t p;

	if (umach_task_reattach() != KERN_SUCCESS ||
	    port_allocate(task_self(), &p) != KERN_SUCCESS)
		return 10;
	if (kind == 0) {
		if (netname_check_in(name_server_port, "silent", PORT_NULL, p) !=
		    NETNAME_SUCCESS)
			return 11;
		S->ready[kind] = 1;
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = p;
		if (msg_receive(&m.h, MSG_OPTION_NONE, 0) != RCV_SUCCESS)
			return 12;
	}
	S->ready[kind] = 2;
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	returned(kind, msg_receive(&m.h, kind == 1 ? RCV_TIMEOUT : 0, 60000));
	return 0;
}

/* Kind 2: fill a backlog-1 port of its own, then send once more. */
static int sender(void *arg)
{
	struct msg m;
	port_t p;

	(void)arg;
	if (umach_task_reattach() != KERN_SUCCESS ||
	    port_allocate(task_self(), &p) != KERN_SUCCESS ||
	    port_set_backlog(task_self(), p, 1) != KERN_SUCCESS)
		return 10;
	msg_init(&m, p, PORT_NULL);
	if (msg_send(&m.h, SEND_TIMEOUT, 0) != SEND_SUCCESS)
		return 11;
	S->ready[2] = 2;
	returned(2, msg_send(&m.h, MSG_OPTION_NONE, 0));
	return 0;
}

/* Kind 3: an RPC to "silent", which takes it and never answers. */
static int rpc_client(void *arg)
{
	struct msg m;
	port_t s = PORT_NULL;

	(void)arg;
	if (umach_task_reattach() != KERN_SUCCESS)
		return 10;
	for (int i = 0; i < 2000 && s == PORT_NULL; i++)
		if (netname_look_up(name_server_port, "", "silent", &s) !=
		    NETNAME_SUCCESS)
			usleep(1000);
	msg_init(&m, s, thread_reply());
	S->ready[3] = 2;
	returned(3, msg_rpc(&m.h, MSG_OPTION_NONE, sizeof m, 0, 0));
	return 0;
}

static int fresh_task(void *arg)
{
	port_t p;

	(void)arg;
	if (umach_task_reattach() != KERN_SUCCESS ||
	    port_allocate(task_self(), &p) != KERN_SUCCESS)
		return 10;
	S->attached = 1;
	return 0;
}

struct figures {
	uint32_t trials, calls, errors, successes, hangs, setup_fail;
	uint32_t restart_slow, restart_fail;
	uint64_t *lat_us, restart_max_us;
};

static int all_blocked(void)
{
	for (int i = 0; i < KINDS; i++)
		if (S->ready[i] != 2)
			return 0;
	return 1;
}

/* Time from exec to a fresh task's first port_allocate. */
static void restart(struct figures *f, struct st_kernel *k)
{
	uint64_t t0 = st_now_us();

	S->attached = 0;
	st_kernel_restart(k);
	pid_t c = st_spawn(fresh_task, NULL);
	int rc = st_wait(c, 5000);
	uint64_t us = st_now_us() - t0;
	if (rc != 0 || !S->attached)
		f->restart_fail++;
	else if (us > 1000000)
		f->restart_slow++;
	if (us > f->restart_max_us)
		f->restart_max_us = us;
}

static void trial(struct figures *f, struct st_kernel *k)
{
	static int (*const fn[KINDS])(void *) = { receiver, receiver, sender,
						  rpc_client };
	pid_t pids[KINDS];

	memset(S, 0, sizeof *S);
	for (int i = 0; i < KINDS; i++)
		pids[i] = st_spawn(fn[i], (void *)(intptr_t)i);
	for (int t = 0; t < 5000 && !all_blocked(); t++)
		usleep(1000);
	usleep(30000);			/* let the last one block */
	uint64_t t0 = st_now_us();
	kill(k->pid, SIGKILL);
	st_wait(k->pid, 5000);
	for (int i = 0; i < KINDS; i++) {
		int rc = st_wait(pids[i], 10000);
		if (S->ready[i] != 2 || rc != 0) {
			rc < 0 ? f->hangs++ : f->setup_fail++;
			continue;
		}
		uint64_t done = S->done_us[i];
		f->lat_us[f->calls++] = done > t0 ? done - t0 : 0;
		S->status[i] == 0 ? f->successes++ : f->errors++;
	}
	restart(f, k);
	f->trials++;
}

int main(void)
{
	long trials = st_param("T2_TRIALS", 200);
	struct st_kernel k;
	struct figures f = { 0 };

	setvbuf(stdout, NULL, _IOLBF, 0);	/* lines survive a sanitizer exit */
	S = st_shared(sizeof *S);
	f.lat_us = calloc((size_t)trials * KINDS + 1, sizeof *f.lat_us);
	st_kernel_start(&k, NULL);
	printf("t2: %ld trials, %d blocked calls each\n", trials, KINDS);
	uint64_t t_start = st_now_us();
	while ((long)f.trials < trials)
		trial(&f, &k);
	int kexit = st_kernel_stop(&k);
	uint64_t p50 = st_percentile(f.lat_us, f.calls, 50);
	uint64_t p99 = st_percentile(f.lat_us, f.calls, 99);
	uint64_t max = st_percentile(f.lat_us, f.calls, 100);
	int ok = f.hangs == 0 && f.setup_fail == 0 && f.successes == 0 &&
		 f.calls == f.trials * KINDS && p99 <= 100000 &&
		 max <= 1000000 && f.restart_fail == 0 && f.restart_slow == 0 &&
		 kexit == 0;
	printf("T2 kernel death: %s: %u trials in %.0f s; blocked calls %u, "
	       "errors %u, successes %u, hangs %u, setup failures %u; return "
	       "after kill p50 %.1f ms p99 %.1f ms max %.1f ms; restarts "
	       "accepting a task within 1 s %u/%u (max %.0f ms); last kernel "
	       "exit %d\n", ok ? "PASS" : "FAIL", f.trials,
	       (double)(st_now_us() - t_start) / 1e6, f.calls, f.errors,
	       f.successes, f.hangs, f.setup_fail, p50 / 1e3, p99 / 1e3,
	       max / 1e3, f.trials - f.restart_fail - f.restart_slow, f.trials,
	       f.restart_max_us / 1e3, kexit);
	free(f.lat_us);
	return ok ? 0 : 1;
}
