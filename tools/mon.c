/*
 * The monitor client (protocol.md §11): connect as a monitor, send
 * requests, read records.  Everything the kernel sends is checked for its
 * size and type before use; the tool trusts the kernel no more than it
 * must.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <mach/notify.h>
#include <umach/path.h>
#include <umach/status.h>

#include "mon.h"

/* The packet being read: the kernel packs several records into one. */
static struct {
	int      fd;
	size_t   len, off;
	uint8_t  buf[UMACH_MON_PACKET_MAX];
} pkt = { .fd = -1 };

int mon_socket(char *path, size_t len)
{
	if (umach_socket_path(path, len) != 0) {
		fprintf(stderr, "umach: socket path too long; set UMACH_SOCKET\n");
		return -1;
	}
	return 0;
}

/*
 * Connect to the kernel at path as a monitor.  Returns the socket, or -1
 * after saying why (unless quiet).
 */
int mon_connect(const char *path, int quiet)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct umach_hello h = { .magic = UMACH_ABI_MAGIC,
		.version = UMACH_ABI_VERSION, .flags = UMACH_HELLO_MONITOR };
	struct umach_welcome wl;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	snprintf(h.name, sizeof h.name, "umach");
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		if (!quiet)
			fprintf(stderr, "umach: no kernel serves %s; start one with "
				"'umach kernel start' or set UMACH_SOCKET\n", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (send(fd, &h, sizeof h, MSG_NOSIGNAL) != (ssize_t)sizeof h ||
	    recv(fd, &wl, sizeof wl, 0) != (ssize_t)sizeof wl ||
	    wl.magic != UMACH_ABI_MAGIC || wl.version != UMACH_ABI_VERSION ||
	    wl.status != 0) {
		if (!quiet)
			fprintf(stderr, "umach: the kernel at %s refused the monitor "
				"(a different umach version, or too many monitors)\n",
				path);
		close(fd);
		return -1;
	}
	tv.tv_sec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	pkt.fd = -1;		/* nothing left over from an earlier socket */
	return fd;
}

int mon_request(int fd, uint32_t op, uint64_t arg, uint32_t knob,
		uint64_t value)
{
	struct umach_mon_req q = { .magic = UMACH_ABI_MAGIC, .op = op,
				   .arg = arg, .knob = knob, .value = value };

	return send(fd, &q, sizeof q, MSG_NOSIGNAL) == (ssize_t)sizeof q ? 0 : -1;
}

/* Set a knob and wait for the kernel's answer.  0, or -1 if it is gone. */
int mon_knob(int fd, uint32_t knob, uint32_t target, uint64_t arg,
	     const char *name, uint64_t value, int32_t *status)
{
	struct umach_mon_req q = { .magic = UMACH_ABI_MAGIC,
		.op = UMACH_MON_KNOB, .arg = arg, .knob = knob,
		.target = target, .value = value };

	if (name != NULL)
		snprintf(q.name, sizeof q.name, "%s", name);
	if (send(fd, &q, sizeof q, MSG_NOSIGNAL) != (ssize_t)sizeof q)
		return -1;
	return mon_wait_end(fd, UMACH_MON_KNOB, status);
}

/*
 * Read one record, waiting up to timeout_ms (-1: forever).  Returns 1, 0
 * on timeout, or -1 if the kernel went away or sent something malformed.
 * A signal ends the wait with 0.
 */
int mon_read(int fd, union mon_rec *r, int timeout_ms)
{
	if (pkt.fd != fd || pkt.off >= pkt.len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, timeout_ms);
		if (n <= 0)
			return n < 0 && errno != EINTR ? -1 : 0;
		ssize_t got = recv(fd, pkt.buf, sizeof pkt.buf, 0);
		if (got <= 0)
			return -1;
		pkt.fd = fd;
		pkt.len = (size_t)got;
		pkt.off = 0;
	}
	uint32_t type, size;
	if (pkt.len - pkt.off < sizeof type)
		return -1;
	memcpy(&type, pkt.buf + pkt.off, sizeof type);
	size = umach_rec_size(type);
	if (size == 0 || pkt.len - pkt.off < size)
		return -1;
	memcpy(r, pkt.buf + pkt.off, size);
	pkt.off += size;
	if (r->type == UMACH_REC_TASK) {
		r->task.name[UMACH_NAME_MAX - 1] = '\0';
	} else if (r->type == UMACH_REC_STATS) {
		r->stats.name[UMACH_NAME_MAX - 1] = '\0';
	} else if (r->type == UMACH_REC_EVENT) {
		r->event.task_name[UMACH_NAME_MAX - 1] = '\0';
		r->event.peer_name[UMACH_NAME_MAX - 1] = '\0';
	}
	return 1;
}

/* Read records until the END for op; others are dropped.  0 or -1. */
int mon_wait_end(int fd, uint32_t op, int32_t *status)
{
	union mon_rec r;

	for (;;) {
		if (mon_read(fd, &r, 5000) != 1)
			return -1;
		if (r.type == UMACH_REC_END && r.end.op == op) {
			*status = r.end.status;
			return 0;
		}
	}
}

/* Snapshot the kernel's tasks (and their threads in a call).  0 or -1. */
int mon_get_tasks(int fd, struct mon_tasks *ts)
{
	union mon_rec r;

	memset(ts, 0, sizeof *ts);
	if (mon_request(fd, UMACH_MON_TASKS, 0, 0, 0) != 0)
		return -1;
	for (;;) {
		if (mon_read(fd, &r, 5000) != 1)
			return -1;
		if (r.type == UMACH_REC_END && r.end.op == UMACH_MON_TASKS)
			return r.end.status == 0 ? 0 : -1;
		if (r.type == UMACH_REC_TASK) {
			void *v = realloc(ts->v, (ts->n + 1) * sizeof *ts->v);
			if (v == NULL)
				return -1;
			ts->v = v;
			ts->v[ts->n++] = r.task;
		} else if (r.type == UMACH_REC_THREAD) {
			void *v = realloc(ts->th, (ts->nth + 1) * sizeof *ts->th);
			if (v == NULL)
				return -1;
			ts->th = v;
			ts->th[ts->nth++] = r.thread;
		}
	}
}

void mon_tasks_free(struct mon_tasks *ts)
{
	free(ts->v);
	free(ts->th);
	memset(ts, 0, sizeof *ts);
}

/*
 * The task a user named: a pid (all digits) or a task name.  NULL if none
 * matches; *ambiguous set if a name matches more than one task.
 */
const struct umach_rec_task *mon_find_task(const struct mon_tasks *ts,
					   const char *spec, int *ambiguous)
{
	const struct umach_rec_task *hit = NULL;
	char *end;
	long pid = strtol(spec, &end, 10);
	int numeric = spec[0] != '\0' && *end == '\0';

	*ambiguous = 0;
	for (size_t i = 0; i < ts->n; i++) {
		if (numeric ? ts->v[i].pid == pid :
		    strcmp(ts->v[i].name, spec) == 0) {
			if (hit != NULL)
				*ambiguous = 1;
			hit = &ts->v[i];
		}
	}
	return hit;
}

const char *mon_task_name(const struct mon_tasks *ts, uint64_t id)
{
	if (id == 0)
		return "kernel";
	for (size_t i = 0; i < ts->n; i++)
		if (ts->v[i].id == id)
			return ts->v[i].name[0] ? ts->v[i].name : "?";
	return "(gone)";
}

const char *mon_status_name(int32_t status)
{
#define NAME(n, v, s) case v: return #n;
	switch (status) {
	UMACH_STATUS_MAP(NAME)
	}
#undef NAME
	return "?";
}

const char *mon_notify_name(int32_t id)
{
	switch (id) {
	case NOTIFY_PORT_DELETED:	return "PORT_DELETED";
	case NOTIFY_MSG_ACCEPTED:	return "MSG_ACCEPTED";
	case NOTIFY_OWNERSHIP_RIGHTS:	return "OWNERSHIP_RIGHTS";
	case NOTIFY_RECEIVE_RIGHTS:	return "RECEIVE_RIGHTS";
	case NOTIFY_PORT_DESTROYED:	return "PORT_DESTROYED";
	}
	return "?";
}

const char *mon_call_name(uint32_t call)
{
	static const char *const names[] = { "none", "msg_send", "msg_receive",
		"msg_rpc", "thread_self", "thread_reply", "slot_release" };

	return call <= UMACH_CALL_MAX ? names[call] : "?";
}
