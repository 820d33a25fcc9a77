/*
 * The stress tier's common driver code (make check-stress): a private
 * umachd per driver, tasks in forked processes, /proc readings of the
 * kernel, trial-count parameters from the environment, percentiles, and
 * the one figures line each test prints last.  Drivers are plain C
 * programs (no Check): each exits 0 if its pass bar was met, 1 if not.
 */
#ifndef UMACH_STRESS_H
#define UMACH_STRESS_H

#include <stdint.h>
#include <sys/types.h>

struct st_kernel {
	pid_t pid;
	char  dir[64];		/* private directory: socket and log */
	char  sock[96];
	char  log[96];
};

/* Start umachd (textbook profile) on a private socket and point
 * $UMACH_SOCKET at it.  With setpriv_args non-NULL (e.g. "--reuid=65534")
 * the kernel runs under setpriv with it, group 65534 and no supplementary
 * groups, and its directory is given to uid 65534.  Exits the driver
 * with a message if the kernel does not come up. */
void st_kernel_start(struct st_kernel *k, const char *setpriv_args);
/* Restart a kernel on the same socket path after it died. */
void st_kernel_restart(struct st_kernel *k);
/* SIGTERM the kernel; returns its exit status (0 = clean, no sanitizer
 * report), 128+signal, or -1 if it had to be killed.  Removes the dir. */
int st_kernel_stop(struct st_kernel *k);
int st_kernel_alive(const struct st_kernel *k);
int st_can_connect(const char *sock);

/* Attach by hand (protocol.md §1) to the kernel at sock, as a hostile
 * task would: returns the task's socket with *wl filled and the channel
 * memfd and doorbell eventfd in fds[0] and fds[1] (caller closes all
 * three), or -1 if the kernel refused or could not be reached. */
struct umach_welcome;
int st_raw_attach(const char *sock, struct umach_welcome *wl, int fds[2]);
/* Resident set of pid in KiB, from /proc/pid/status; -1 if unreadable. */
long st_rss_kb(pid_t pid);

/* Open fds and memfd mapping lines of pid, from /proc; -1 if unreadable. */
int st_fds(pid_t pid);
int st_memfd_maps(pid_t pid);
/* Wait up to timeout_ms until pid has fds fds and maps memfd maps;
 * returns 1 if it got there. */
int st_settle(pid_t pid, int fds, int maps, int timeout_ms);

/* Run fn(arg) in a child process that exits with fn's result. */
pid_t st_spawn(int (*fn)(void *), void *arg);
/* Wait for pid; exit status, 128+signal, or -1 on timeout (then killed). */
int st_wait(pid_t pid, int timeout_ms);

uint64_t st_now_us(void);
/* A parameter: $UMACH_STRESS_<name> if set, else def. */
long st_param(const char *name, long def);
/* The p-th percentile (0..100) of n samples; sorts v. */
uint64_t st_percentile(uint64_t *v, uint32_t n, double p);
/* Memory shared with every child forked after it: size bytes, zeroed. */
void *st_shared(size_t size);
/* A uniform random number in [0, n), from a per-process xorshift. */
uint32_t st_rand(uint32_t n);

#endif
