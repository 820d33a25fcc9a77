/*
 * scale_mem.c: the sections of `make bench-scale` that grow state rather
 * than traffic: S ports in one task (the time per port_allocate and per
 * port_type, and umachd's memory per port), T idle tasks (umachd's memory
 * per task) and umachd's CPU while 10 tasks sit idle.  Every measurement
 * has a kernel of its own, so that memory freed by an earlier one cannot
 * hide the growth.  Memory figures leave out the memfd mappings (the
 * channels); scale.c reads them from /proc/PID/smaps.
 */
#include <errno.h>
#include <fcntl.h>
#include <mach.h>
#include <mach_init.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scale.h"

#define SETTLE_MS 300	/* let the kernel finish attaches before reading */

struct porter {
	int cmd_r, cmd_w;	/* driver -> porter */
	int ans_r, ans_w;	/* porter -> driver */
	uint32_t nports, lookups;
};

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
	                      .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Memory of the kernel outside its memfd mappings, in bytes. */
static double kmem_private(const struct scale_kmem *m, int pss)
{
	return 1024.0 * (pss ? (double)m->pss_kib - (double)m->memfd_pss_kib
	                     : (double)m->rss_kib - (double)m->memfd_rss_kib);
}

static int porter_wait(const struct porter *p, char want)
{
	char c;
	if (read(p->cmd_r, &c, 1) != 1 || c != want)
		_exit(1);
	return 0;
}

static void porter_answer(const struct porter *p, double ns)
{
	if (bench_write_full(p->ans_w, &ns, sizeof ns) != BENCH_OK)
		_exit(1);
}

/* The task that holds the ports: allocate, answer, look up, answer. */
static void porter_main(void *arg)
{
	struct porter *p = arg;
	close(p->cmd_w);
	close(p->ans_r);
	int32_t *names = malloc(p->nports * sizeof *names);
	if (!names || mach_init() != KERN_SUCCESS)
		_exit(1);
	porter_answer(p, 0.0);	/* attached: the "before" point */
	porter_wait(p, 'a');
	double t0 = scale_now();
	for (uint32_t i = 0; i < p->nports; i++) {
		kern_return_t r = port_allocate(task_self(), &names[i]);
		if (r != KERN_SUCCESS) {
			bench_error("port_allocate #%u: %s", i,
			            mach_error_string(r));
			_exit(1);
		}
	}
	porter_answer(p, (scale_now() - t0) * 1e9 / p->nports);
	porter_wait(p, 'l');
	uint64_t x = 0x9e3779b97f4a7c15ull;	/* xorshift64 */
	t0 = scale_now();
	for (uint32_t i = 0; i < p->lookups; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		port_type_t type;
		int32_t name = names[x % p->nports];
		kern_return_t r = port_type(task_self(), name, &type);
		if (r != KERN_SUCCESS || type != PORT_TYPE_RECEIVE_OWN) {
			bench_error("port_type(%d): %s, type %d", name,
			            mach_error_string(r), type);
			_exit(1);
		}
	}
	porter_answer(p, (scale_now() - t0) * 1e9 / p->lookups);
	porter_wait(p, 'q');
	_exit(0);
}

static int pipes_open(struct porter *p)
{
	int a[2], b[2];
	if (pipe2(a, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(b, O_CLOEXEC) < 0) {
		close(a[0]);
		close(a[1]);
		return -1;
	}
	p->cmd_r = a[0];
	p->cmd_w = a[1];
	p->ans_r = b[0];
	p->ans_w = b[1];
	return 0;
}

static void pipes_close(struct porter *p)
{
	int fds[] = {p->cmd_r, p->cmd_w, p->ans_r, p->ans_w};
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* One measurement of nports ports; the figures go to res at [i][round]. */
static int ports_once(struct porter *p, int i, int round,
                      struct scale_results *res)
{
	struct scale_kmem before, after;
	double ns;
	pid_t k = scale_kernel_pid();
	if (scale_kid_start(porter_main, p) < 0)
		return -1;
	/* The porter's ends: closed here, so that its death is an EOF. */
	close(p->cmd_r);
	close(p->ans_w);
	p->cmd_r = p->ans_w = -1;
	if (scale_get_bytes(p->ans_r, &ns, sizeof ns) < 0 ||
	    scale_kmem_read(k, &before) < 0 || scale_put_byte(p->cmd_w, 'a') < 0 ||
	    scale_get_bytes(p->ans_r, &res->alloc_ns[i][round], sizeof ns) < 0 ||
	    scale_kmem_read(k, &after) < 0 || scale_put_byte(p->cmd_w, 'l') < 0 ||
	    scale_get_bytes(p->ans_r, &res->lookup_ns[i][round], sizeof ns) < 0 ||
	    scale_put_byte(p->cmd_w, 'q') < 0)
		return -1;
	res->port_rss_b[i][round] =
	        (kmem_private(&after, 0) - kmem_private(&before, 0)) / p->nports;
	res->port_pss_b[i][round] =
	        (kmem_private(&after, 1) - kmem_private(&before, 1)) / p->nports;
	return scale_kids_wait(0);
}

int scale_ports(const struct scale_opts *o, struct scale_results *res)
{
	static const uint32_t sizes[SCALE_NPORTS] = SCALE_PORT_SIZES;
	for (int round = 0; round < o->rounds; round++) {
		for (int i = 0; i < SCALE_NPORTS; i++) {
			struct porter p = {.nports = sizes[i],
			                   .lookups = o->lookups};
			if (sizes[i] > o->max_ports)
				continue;
			scale_progress("ports: round %d, %u ports", round + 1,
			               sizes[i]);
			if (scale_kernel_start() < 0)
				return -1;
			int st = pipes_open(&p);
			if (st == 0) {
				st = ports_once(&p, i, round, res);
				pipes_close(&p);
			}
			scale_cleanup();
			if (st < 0) {
				bench_error("ports section failed");
				return -1;
			}
		}
	}
	return 0;
}

/* ---- idle tasks ---- */

/* An idle task: attached, holding one port, blocked receiving on it. */
static void idle_main(void *arg)
{
	int ready_w = *(int *)arg;
	port_t port;
	msg_header_t h;
	if (port_allocate(task_self(), &port) != KERN_SUCCESS ||
	    scale_put_byte(ready_w, 'r') < 0)
		_exit(1);
	h.msg_size = sizeof h;
	h.msg_local_port = port;
	msg_receive(&h, MSG_OPTION_NONE, 0);
	_exit(1);	/* nothing is ever sent to it */
}

/* Start n idle tasks on the running kernel; 0 once all are attached. */
static int idle_start(uint32_t n)
{
	int ready[2], rc = 0;
	char buf[SCALE_KIDS_MAX];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -1;
	for (uint32_t i = 0; i < n && rc == 0; i++)
		rc = scale_kid_start(idle_main, &ready[1]) < 0 ? -1 : 0;
	close(ready[1]);
	if (rc == 0)
		rc = scale_get_bytes(ready[0], buf, n);
	close(ready[0]);
	return rc;
}

int scale_tasks(const struct scale_opts *o, struct scale_results *res)
{
	static const uint32_t sizes[SCALE_NTASKS] = SCALE_TASK_SIZES;
	for (int round = 0; round < o->rounds; round++) {
		for (int i = 0; i < SCALE_NTASKS; i++) {
			struct scale_kmem b, a;
			uint32_t n = sizes[i];
			scale_progress("tasks: round %d, %u idle tasks",
			               round + 1, n);
			if (scale_kernel_start() < 0)
				return -1;
			sleep_ms(SETTLE_MS);	/* the name server boots */
			pid_t k = scale_kernel_pid();
			int st = scale_kmem_read(k, &b);
			if (st == 0 && (st = idle_start(n)) == 0) {
				sleep_ms(SETTLE_MS);
				st = scale_kmem_read(k, &a);
			}
			scale_cleanup();
			if (st < 0) {
				bench_error("tasks section failed");
				return -1;
			}
			res->task_rss_b[i][round] =
			        (kmem_private(&a, 0) - kmem_private(&b, 0)) / n;
			res->task_pss_b[i][round] =
			        (kmem_private(&a, 1) - kmem_private(&b, 1)) / n;
			res->task_chan_b[i][round] =
			        1024.0 * ((double)a.memfd_rss_kib -
			                  (double)b.memfd_rss_kib) / n;
		}
	}
	return 0;
}

int scale_idle(const struct scale_opts *o, struct scale_results *res)
{
	for (int round = 0; round < o->rounds; round++) {
		scale_progress("idle: round %d, %d idle tasks for %.3g s",
		               round + 1, SCALE_IDLE_TASKS, o->idle_s);
		if (scale_kernel_start() < 0)
			return -1;
		pid_t k = scale_kernel_pid();
		int st = idle_start(SCALE_IDLE_TASKS);
		double c0 = 0, c1 = 0, r0 = 0, r1 = 0, t0 = 0, t1 = 0;
		if (st == 0) {
			sleep_ms(1000);	/* past the kernel's spin */
			c0 = scale_cpu_s(k);
			r0 = scale_run_s(k);
			t0 = scale_now();
			sleep_ms((long)(o->idle_s * 1000));
			c1 = scale_cpu_s(k);
			r1 = scale_run_s(k);
			t1 = scale_now();
		}
		scale_cleanup();
		if (st < 0 || c0 < 0 || c1 < 0 || r0 < 0 || r1 < 0) {
			bench_error("idle section failed");
			return -1;
		}
		res->idle_cpu_pct[round] = 100.0 * (c1 - c0) / (t1 - t0);
		res->idle_run_pct[round] = 100.0 * (r1 - r0) / (t1 - t0);
	}
	return 0;
}
