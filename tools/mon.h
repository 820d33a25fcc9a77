/*
 * The umach tool's side of the monitor protocol (protocol.md §11), and
 * the helpers its subcommands share: naming tasks, status names.
 */
#ifndef UMACH_TOOLS_MON_H
#define UMACH_TOOLS_MON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <umach/abi.h>

/* One record from the kernel; `type` is the first field of every one. */
union mon_rec {
	uint32_t type;
	struct umach_rec_end end;
	struct umach_rec_task task;
	struct umach_rec_thread thread;
	struct umach_rec_port port;
	struct umach_rec_stats stats;
	struct umach_rec_event event;
	uint8_t raw[UMACH_REC_MAX];
};

/* A snapshot's tasks, to name them by id and find them by pid or name. */
struct mon_tasks {
	struct umach_rec_task *v;
	size_t n;
	struct umach_rec_thread *th;
	size_t nth;
};

int mon_connect(const char *path, int quiet);
int mon_request(int fd, uint32_t op, uint64_t arg, uint32_t knob,
		uint64_t value);
int mon_knob(int fd, uint32_t knob, uint32_t target, uint64_t arg,
	     const char *name, uint64_t value, int32_t *status);
int mon_read(int fd, union mon_rec *r, int timeout_ms);
int mon_wait_end(int fd, uint32_t op, int32_t *status);
int mon_get_tasks(int fd, struct mon_tasks *ts);
void mon_tasks_free(struct mon_tasks *ts);
const struct umach_rec_task *mon_find_task(const struct mon_tasks *ts,
					   const char *spec, int *ambiguous);
const char *mon_task_name(const struct mon_tasks *ts, uint64_t id);
const char *mon_status_name(int32_t status);
const char *mon_notify_name(int32_t id);
const char *mon_call_name(uint32_t call);
int mon_socket(char *path, size_t len);

#endif
