/*
 * What the umach tool's subcommands share (umach.c, show.c, trace.c,
 * up.c).  Exit codes: 0 ok, 1 error, 2 usage.
 */
#ifndef UMACH_TOOLS_TOOL_H
#define UMACH_TOOLS_TOOL_H

#include <stdio.h>
#include <sys/types.h>
#include <umach/path.h>

#include "mon.h"

int tool_usage(const char *fmt, const char *arg);
const struct umach_rec_task *tool_task(const struct mon_tasks *ts,
				       const char *spec);
int tool_knob(int fd, const char *what, const char *target, const char *val);
uint32_t tool_knob_id(const char *what);
int tool_knob_value(uint32_t knob, const char *text, uint64_t *v);

/* A private kernel for one run (umach run, umach up). */
struct private_kernel {
	char  dir[80], sock[96], log[96];
	int   log_fd;
	pid_t pid;
};
int tool_private_start(struct private_kernel *pk, const char *profile);
void tool_private_stop(struct private_kernel *pk);
pid_t tool_kernel_at(const char *path);
int tool_valid_profile(const char *p);
int tool_wait_child(pid_t pid);

int cmd_up(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_ports(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_knob(int argc, char **argv);
int cmd_trace(int argc, char **argv);

/* How to show a trace: umach trace, and umach run --trace. */
struct trace_opts {
	int         json;
	const char *msc;		/* write a sequence chart here, or NULL */
	const char *task;		/* filter: pid or name, or NULL */
	uint64_t    port;		/* filter: port id, or 0 */
	int         have_id;
	int32_t     id;		/* filter: msg_id */
	long        count;		/* stop after this many shown; 0 = no limit */
	FILE       *out;
};
int trace_parse_opt(struct trace_opts *o, int argc, char **argv, int *i);
struct trace_log;
struct trace_log *trace_begin(int fd, const struct trace_opts *o);
int trace_step(struct trace_log *l, int timeout_ms);
int trace_end(struct trace_log *l, int drain);

#endif
