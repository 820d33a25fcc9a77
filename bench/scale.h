/*
 * scale.h: what the parts of `make bench-scale` share (scale.c: kernels,
 * children, /proc and the RPC section; scale_mem.c: ports, tasks, idle
 * CPU; scale_main.c: options and the report).  See docs/PERFORMANCE.md.
 */
#ifndef BENCH_SCALE_H
#define BENCH_SCALE_H

#include <stdint.h>
#include <sys/types.h>

#include "driver.h"

#define SCALE_ROUNDS_MAX 9
#define SCALE_KIDS_MAX 300	/* children alive at once */
#define SCALE_WAIT_MS 60000	/* a child that says nothing this long failed */
#define SCALE_RPC_WARM 100	/* untimed calls per client */

#define SCALE_NCLIENTS 6
#define SCALE_CLIENT_SIZES {1, 2, 4, 8, 16, 64}
#define SCALE_CLIENTS_MAX 64
#define SCALE_NPORTS 4
#define SCALE_PORT_SIZES {1000, 10000, 100000, 1000000}
#define SCALE_NTASKS 3
#define SCALE_TASK_SIZES {16, 64, 256}
#define SCALE_IDLE_TASKS 10

struct scale_opts {
	int rounds;
	double rpc_s;		/* each RPC measurement runs this long */
	uint32_t lookups;	/* port_type calls per port measurement */
	double idle_s;		/* the idle-CPU window */
	uint32_t max_ports;	/* sizes above this are left out (quick) */
};

/* Every figure, per size and round. */
struct scale_results {
	double rpc_rate[SCALE_NCLIENTS][SCALE_ROUNDS_MAX];
	double rpc_p99_us[SCALE_NCLIENTS][SCALE_ROUNDS_MAX];
	double rpc_kcpu_us[SCALE_NCLIENTS][SCALE_ROUNDS_MAX];	/* per call */
	double rpc_ksleeps[SCALE_NCLIENTS][SCALE_ROUNDS_MAX];	/* per call */
	double alloc_ns[SCALE_NPORTS][SCALE_ROUNDS_MAX];
	double lookup_ns[SCALE_NPORTS][SCALE_ROUNDS_MAX];
	double port_rss_b[SCALE_NPORTS][SCALE_ROUNDS_MAX];
	double port_pss_b[SCALE_NPORTS][SCALE_ROUNDS_MAX];
	double task_rss_b[SCALE_NTASKS][SCALE_ROUNDS_MAX];
	double task_pss_b[SCALE_NTASKS][SCALE_ROUNDS_MAX];
	double task_chan_b[SCALE_NTASKS][SCALE_ROUNDS_MAX];
	double idle_cpu_pct[SCALE_ROUNDS_MAX];	/* utime + stime */
	double idle_run_pct[SCALE_ROUNDS_MAX];	/* schedstat */
};

/* umachd's memory from /proc/PID/smaps, in KiB; memfd_* are the part in
 * mappings of memfds (the task channels, out-of-line regions). */
struct scale_kmem {
	unsigned long rss_kib, pss_kib, memfd_rss_kib, memfd_pss_kib;
};

/* scale.c */
double scale_now(void);
/* Ctrl-C, SIGTERM, SIGHUP: kill every child and the kernel, then die. */
void scale_signals_init(void);
/* Kill and reap every child and the kernel; idempotent. */
void scale_cleanup(void);
/* Fork a child that runs fn(arg) and exits (0 if fn returns) and dies
 * with the driver.  Its pid, or -1 after a message. */
pid_t scale_kid_start(void (*fn)(void *), void *arg);
/* Reap children from the base-th started on; 0 if all exited with 0. */
int scale_kids_wait(int base);
/* Start a private umachd and point $UMACH_SOCKET at it: 0, or -1 after a
 * message.  One at a time; scale_kernel_stop ends it. */
int scale_kernel_start(void);
pid_t scale_kernel_pid(void);
void scale_kernel_stop(void);
/* 0, or -1 after a message. */
int scale_kmem_read(pid_t pid, struct scale_kmem *out);
/* utime + stime of pid in seconds (clock ticks), or -1. */
double scale_cpu_s(pid_t pid);
/* Time pid's main thread ran on a CPU, in seconds, from
 * /proc/PID/schedstat (ns resolution; umachd has one thread), or -1. */
double scale_run_s(pid_t pid);
/* Times pid's main thread gave up the CPU to wait (voluntary context
 * switches, /proc/PID/status), or -1. */
double scale_ctxsw(pid_t pid);
int scale_put_byte(int fd, char c);
int scale_get_bytes(int fd, void *buf, size_t n);
/* The sections: each fills its part of res; 0, or -1 after a message. */
int scale_rpc(const struct scale_opts *o, struct scale_results *res);

/* scale_mem.c */
int scale_ports(const struct scale_opts *o, struct scale_results *res);
int scale_tasks(const struct scale_opts *o, struct scale_results *res);
int scale_idle(const struct scale_opts *o, struct scale_results *res);

/* scale_main.c */
/* A progress line on stderr, with the time since the start. */
void scale_progress(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif
