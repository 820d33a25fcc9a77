/*
 * The integration harness: a real umachd on a private socket for each
 * test, tasks in forked processes, and /proc readings of the kernel's fds
 * and mappings.  Every wait has a timeout; teardown always reaps the
 * kernel and removes its directory.
 */
#ifndef UMACH_HARNESS_H
#define UMACH_HARNESS_H

#include <sys/types.h>
#include <check.h>
#include <mach.h>

/* A 64-byte inline payload message. */
struct msg64 {
	msg_header_t h;
	msg_type_t   t;
	char         data[64];
};

/* Start umachd with profile ("textbook", "mach25", "next") and make this
 * process a task of it. */
void harness_start(const char *profile);
void harness_stop(void);
pid_t harness_kernel_pid(void);
void harness_kill_kernel(void);

/* Open fds, mapping lines (only the memfd ones under ASan) and memfd
 * mapping lines of process pid, from /proc. */
int harness_fds(pid_t pid);
int harness_maps(pid_t pid);
int harness_memfd_maps(pid_t pid);

/* Run fn(arg) as a task in a child process; it exits with fn's result. */
pid_t harness_spawn(int (*fn)(void *), void *arg);
/* Wait for pid; returns its exit status, 128+signal, or -1 on timeout
 * (the child is then killed). */
int harness_wait(pid_t pid, int timeout_ms);

/* netname_look_up, retried for up to 2 s while the name is not in. */
port_t harness_lookup(const char *name);

/* Run every test of suite s; returns the exit status for main. */
int harness_run(Suite *s);

void msg64_init(struct msg64 *m, port_t dest, port_t reply, int id);
uint64_t harness_now_ms(void);

/* Run a shell command; its exit status (128 if it did not exit), and the
 * first len - 1 bytes of its stdout in out (out may be NULL). */
int harness_sh(const char *cmd, char *out, size_t len);

#endif
