/*
 * umach ps, ports, stat and knob: snapshots of the kernel's state, as
 * lsmp shows a Mach task's ports, and the simulation knobs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mon.h"
#include "tool.h"

/* "blocked in msg_receive on port #7 (name 3)" and the like. */
static void thread_text(const struct umach_rec_thread *th, char *buf,
			size_t len)
{
	char tmo[48] = "";

	if (th->timeout_ms)
		snprintf(tmo, sizeof tmo, ", %u ms left", th->timeout_ms);
	if (th->state == UMACH_TS_RUNNING)
		snprintf(buf, len, "in %s", mon_call_name(th->call));
	else if (th->port == 0)
		snprintf(buf, len, "blocked in %s (receive) on port set (name %d%s)",
			 mon_call_name(th->call), th->name, tmo);
	else
		snprintf(buf, len, "blocked in %s (%s) on port #%llu (name %d%s)",
			 mon_call_name(th->call),
			 th->state == UMACH_TS_SEND ? "send, queue full" : "receive",
			 (unsigned long long)th->port, th->name, tmo);
}

int cmd_ps(int argc, char **argv)
{
	struct mon_tasks ts;
	char path[UMACH_SOCKET_PATH_MAX], st[160];
	int fd;

	if (argc > 1)
		return tool_usage("ps takes no arguments (got '%s')", argv[1]);
	if (mon_socket(path, sizeof path) != 0 || (fd = mon_connect(path, 0)) < 0)
		return 1;
	if (mon_get_tasks(fd, &ts) != 0) {
		fprintf(stderr, "umach: the kernel did not answer\n");
		close(fd);
		return 1;
	}
	printf("%7s  %-20s %6s %6s  %s\n", "PID", "TASK", "RIGHTS", "QUEUED",
	       "STATE");
	for (size_t i = 0; i < ts.n; i++) {
		const struct umach_rec_task *t = &ts.v[i];
		int shown = 0;
		for (size_t j = 0; j < ts.nth; j++) {
			if (ts.th[j].task != t->id)
				continue;
			thread_text(&ts.th[j], st, sizeof st);
			if (shown++ == 0)
				printf("%7d  %-20s %6u %6u  %s\n", t->pid,
				       t->name[0] ? t->name : "-", t->rights,
				       t->queued, st);
			else
				printf("%7s  %-20s %6s %6s  %s\n", "", "", "", "",
				       st);
		}
		if (shown == 0)
			printf("%7d  %-20s %6u %6u  %s\n", t->pid,
			       t->name[0] ? t->name : "-", t->rights, t->queued,
			       "running");
	}
	mon_tasks_free(&ts);
	close(fd);
	return 0;
}

static const char *rights_text(uint32_t r)
{
	static const char *const names[8] = { "-", "send", "receive",
		"send+receive", "own", "send+own", "receive+own",
		"send+receive+own" };

	return names[r & 7];
}

/* "server(1234)" for a task id; "-" for none. */
static const char *holder(const struct mon_tasks *ts, uint64_t id,
			  char *buf, size_t len, int kobject)
{
	if (id == 0)
		return kobject ? "kernel" : "-";
	for (size_t i = 0; i < ts->n; i++)
		if (ts->v[i].id == id) {
			snprintf(buf, len, "%s(%d)", ts->v[i].name[0] ?
				 ts->v[i].name : "?", ts->v[i].pid);
			return buf;
		}
	return "(gone)";
}

/* Read PORT records until END; calls fn on each.  0, or 1 after a message. */
static int each_port(int fd, uint64_t task,
		     void (*fn)(const struct umach_rec_port *, void *), void *arg)
{
	union mon_rec r;

	if (mon_request(fd, UMACH_MON_PORTS, task, 0, 0) != 0)
		return 1;
	for (;;) {
		if (mon_read(fd, &r, 5000) != 1) {
			fprintf(stderr, "umach: the kernel did not answer\n");
			return 1;
		}
		if (r.type == UMACH_REC_PORT)
			fn(&r.port, arg);
		else if (r.type == UMACH_REC_END && r.end.op == UMACH_MON_PORTS) {
			if (r.end.status != 0)
				fprintf(stderr, "umach: the kernel could not list "
					"the ports (%s)\n",
					mon_status_name(r.end.status));
			return r.end.status != 0;
		}
	}
}

struct ports_ctx {
	const struct mon_tasks *ts;
	uint64_t task;
};

static void print_port(const struct umach_rec_port *p, void *arg)
{
	struct ports_ctx *c = arg;
	char rb[64], ob[64], fl[64] = "";

	if (p->task != c->task) {
		const struct umach_rec_task *t = NULL;
		for (size_t i = 0; i < c->ts->n; i++)
			if (c->ts->v[i].id == p->task)
				t = &c->ts->v[i];
		printf("%s%s(%d):\n", c->task ? "\n" : "", t ? t->name : "?",
		       t ? t->pid : 0);
		printf("  %6s  %-17s %7s  %-20s %-20s %5s %7s %7s %4s  %s\n",
		       "NAME", "RIGHTS", "PORT", "RECEIVER", "OWNER", "QUEUE",
		       "BACKLOG", "BLOCKED", "HOLD", "NOTES");
		c->task = p->task;
	}
	if (p->flags & UMACH_PF_KOBJECT)
		strcat(fl, "kernel-port ");
	if (p->flags & UMACH_PF_NOTIFY)
		strcat(fl, "notify ");
	if (p->flags & UMACH_PF_DEAD)
		strcat(fl, "dead ");
	if (p->flags & UMACH_PF_QUEUE_FULL)
		strcat(fl, "knob:full ");
	if (p->delay_ms)
		snprintf(fl + strlen(fl), sizeof fl - strlen(fl),
			 "knob:delay=%ums", p->delay_ms);
	char blocked[24];
	snprintf(blocked, sizeof blocked, "s%u/r%u", p->senders_blocked,
		 p->receivers_blocked);
	printf("  %6d  %-17s %7llu  %-20s %-20s %5u %7u %7s %4u  %s\n",
	       p->name, rights_text(p->rights), (unsigned long long)p->port,
	       holder(c->ts, p->receiver, rb, sizeof rb,
		      (p->flags & UMACH_PF_KOBJECT) != 0),
	       holder(c->ts, p->owner, ob, sizeof ob, 0),
	       p->queued, p->backlog, blocked, p->holders, fl);
}

/* The task a user named, with the error said; NULL if none. */
const struct umach_rec_task *tool_task(const struct mon_tasks *ts,
				       const char *spec)
{
	int ambiguous;
	const struct umach_rec_task *t = mon_find_task(ts, spec, &ambiguous);

	if (t == NULL)
		fprintf(stderr, "umach: no task '%s' (see 'umach ps')\n", spec);
	else if (ambiguous) {
		fprintf(stderr, "umach: more than one task is called '%s'; "
			"name it by pid (see 'umach ps')\n", spec);
		return NULL;
	}
	return t;
}

int cmd_ports(int argc, char **argv)
{
	struct mon_tasks ts;
	struct ports_ctx c = { .ts = &ts };
	char path[UMACH_SOCKET_PATH_MAX];
	uint64_t task = 0;
	int fd, rc = 1;

	if (argc > 2)
		return tool_usage("ports takes at most one TASK (got '%s')", argv[2]);
	if (mon_socket(path, sizeof path) != 0 || (fd = mon_connect(path, 0)) < 0)
		return 1;
	if (mon_get_tasks(fd, &ts) != 0) {
		fprintf(stderr, "umach: the kernel did not answer\n");
		close(fd);
		return 1;
	}
	if (argc == 2) {
		const struct umach_rec_task *t = tool_task(&ts, argv[1]);
		if (t == NULL)
			goto out;
		task = t->id;
	}
	rc = each_port(fd, task, print_port, &c);
out:
	mon_tasks_free(&ts);
	close(fd);
	return rc;
}

static void print_counters(const char *who, const struct umach_counters *c)
{
	printf("%-24s %9llu %9llu %11llu %11llu %9llu %7llu %7llu %7llu %7llu\n",
	       who, (unsigned long long)c->msgs_sent,
	       (unsigned long long)c->msgs_received,
	       (unsigned long long)c->bytes,
	       (unsigned long long)c->bytes_copied,
	       (unsigned long long)c->bytes_moved,
	       (unsigned long long)c->blocks, (unsigned long long)c->wakeups,
	       (unsigned long long)c->notifications,
	       (unsigned long long)c->timeouts);
}

static void print_port_stat(const struct umach_rec_port *p, void *arg)
{
	const struct mon_tasks *ts = arg;
	char who[64], rb[48];

	if (!(p->rights & 2) || p->msgs == 0)	/* each port once: its receiver */
		return;
	snprintf(who, sizeof who, "#%llu %s:%d", (unsigned long long)p->port,
		 holder(ts, p->task, rb, sizeof rb, 0), p->name);
	printf("%-32s %9llu %11llu %7u\n", who, (unsigned long long)p->msgs,
	       (unsigned long long)p->bytes, p->queued);
}

int cmd_stat(int argc, char **argv)
{
	struct mon_tasks ts;
	char path[UMACH_SOCKET_PATH_MAX], who[64];
	union mon_rec r;
	int fd;

	if (argc > 1)
		return tool_usage("stat takes no arguments (got '%s')", argv[1]);
	if (mon_socket(path, sizeof path) != 0 || (fd = mon_connect(path, 0)) < 0)
		return 1;
	if (mon_get_tasks(fd, &ts) != 0 ||
	    mon_request(fd, UMACH_MON_STATS, 0, 0, 0) != 0) {
		fprintf(stderr, "umach: the kernel did not answer\n");
		close(fd);
		return 1;
	}
	printf("%-24s %9s %9s %11s %11s %9s %7s %7s %7s %7s\n", "TASK", "SENT",
	       "RECEIVED", "BYTES", "COPIED", "MOVED", "BLOCKS", "WAKEUPS",
	       "NOTIFY", "TIMEOUT");
	for (;;) {
		if (mon_read(fd, &r, 5000) != 1) {
			fprintf(stderr, "umach: the kernel did not answer\n");
			mon_tasks_free(&ts);
			close(fd);
			return 1;
		}
		if (r.type == UMACH_REC_END)
			break;
		if (r.type != UMACH_REC_STATS)
			continue;
		if (r.stats.task == 0)
			snprintf(who, sizeof who, "(total)");
		else
			snprintf(who, sizeof who, "%s(%d)", r.stats.name[0] ?
				 r.stats.name : "?", r.stats.pid);
		print_counters(who, &r.stats.c);
	}
	printf("\n%-32s %9s %11s %7s\n", "PORT (receiver:name)", "MSGS", "BYTES",
	       "QUEUED");
	int rc = each_port(fd, 0, print_port_stat, &ts);
	mon_tasks_free(&ts);
	close(fd);
	return rc;
}

/* A port as the user names it: "#ID", or "TASK:NAME" (the task's name). */
static int port_id(int fd, const struct mon_tasks *ts, const char *spec,
		   uint64_t *id)
{
	char task[64], *end;
	const char *colon = strrchr(spec, ':');

	if (spec[0] == '#') {
		*id = strtoull(spec + 1, &end, 10);
		if (spec[1] != '\0' && *end == '\0' && *id != 0)
			return 0;
	} else if (colon != NULL && (size_t)(colon - spec) < sizeof task) {
		memcpy(task, spec, (size_t)(colon - spec));
		task[colon - spec] = '\0';
		long name = strtol(colon + 1, &end, 10);
		const struct umach_rec_task *t = tool_task(ts, task);
		if (t == NULL)
			return -1;
		if (colon[1] == '\0' || *end != '\0') {
			fprintf(stderr, "umach: '%s' is not a port name\n", colon + 1);
			return -1;
		}
		/* look the name up in the task's ports */
		union mon_rec r;
		*id = 0;
		if (mon_request(fd, UMACH_MON_PORTS, t->id, 0, 0) != 0)
			return -1;
		while (mon_read(fd, &r, 5000) == 1 && r.type != UMACH_REC_END)
			if (r.type == UMACH_REC_PORT && r.port.name == name)
				*id = r.port.port;
		if (*id != 0)
			return 0;
		fprintf(stderr, "umach: task '%s' has no port named %ld (see "
			"'umach ports %s')\n", task, name, task);
		return -1;
	}
	fprintf(stderr, "umach: name a port as #ID or TASK:NAME (see 'umach "
		"ports'), not '%s'\n", spec);
	return -1;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	*v = strtoull(s, &end, 10);
	return *end == '\0' && *v <= max ? 0 : -1;
}

/* The knob a user named, or 0 after saying so. */
uint32_t tool_knob_id(const char *what)
{
	if (strcmp(what, "delay") == 0)
		return UMACH_KNOB_DELAY_MS;
	if (strcmp(what, "full") == 0)
		return UMACH_KNOB_QUEUE_FULL;
	if (strcmp(what, "kill") == 0)
		return UMACH_KNOB_KILL_AT;
	if (strcmp(what, "seed") == 0)
		return UMACH_KNOB_SEED;
	fprintf(stderr, "umach: no knob '%s' (delay, full, kill, seed)\n", what);
	return 0;
}

/* A knob's value from text, in its range; -1 after saying so. */
int tool_knob_value(uint32_t knob, const char *text, uint64_t *v)
{
	uint64_t max = knob == UMACH_KNOB_DELAY_MS ? 60000 :
		       knob == UMACH_KNOB_QUEUE_FULL ? 100 :
		       knob == UMACH_KNOB_KILL_AT ? UINT32_MAX : UINT64_MAX;

	if (parse_u64(text, max, v) == 0)
		return 0;
	fprintf(stderr, "umach: bad value '%s': %s takes 0 to %llu%s\n", text,
		knob == UMACH_KNOB_DELAY_MS ? "delay" :
		knob == UMACH_KNOB_QUEUE_FULL ? "full" :
		knob == UMACH_KNOB_KILL_AT ? "kill" : "seed",
		(unsigned long long)max,
		knob == UMACH_KNOB_DELAY_MS ? " ms" :
		knob == UMACH_KNOB_QUEUE_FULL ? " %" : "");
	return -1;
}

/*
 * Set one knob on a running kernel: on a port (#ID or TASK:NAME), on a
 * task (pid or name: delay and full then act on every port it receives
 * on), or the seed.  Returns 0, 1 (error) or 2 (usage), having said why.
 */
int tool_knob(int fd, const char *what, const char *target, const char *val)
{
	struct mon_tasks ts;
	uint64_t arg = 0, v;
	uint32_t knob = tool_knob_id(what), kt = UMACH_KT_PORT;
	int32_t status;
	int rc = 1;

	if (knob == 0)
		return 2;
	if (tool_knob_value(knob, knob == UMACH_KNOB_SEED ? target : val, &v))
		return 2;
	if (mon_get_tasks(fd, &ts) != 0) {
		fprintf(stderr, "umach: the kernel did not answer\n");
		return 1;
	}
	if (knob == UMACH_KNOB_SEED) {
		/* no target */
	} else if (target[0] == '#' || strchr(target, ':') != NULL) {
		if (knob == UMACH_KNOB_KILL_AT) {
			fprintf(stderr, "umach: kill takes a TASK, not a port\n");
			goto out;
		}
		if (port_id(fd, &ts, target, &arg) != 0)
			goto out;
	} else {
		const struct umach_rec_task *t = tool_task(&ts, target);
		if (t == NULL)
			goto out;
		arg = t->id;
		kt = UMACH_KT_TASK;
	}
	if (mon_knob(fd, knob, kt, arg, NULL, v, &status) != 0) {
		fprintf(stderr, "umach: the kernel did not answer\n");
		goto out;
	}
	if (status != 0)
		fprintf(stderr, "umach: the kernel refused knob %s on %s (%s)\n",
			what, target, mon_status_name(status));
	rc = status != 0;
out:
	mon_tasks_free(&ts);
	return rc;
}

int cmd_knob(int argc, char **argv)
{
	char path[UMACH_SOCKET_PATH_MAX];
	int fd;

	if (argc < 2)
		return tool_usage("knob needs delay, full, kill or seed%s", "");
	int seed = strcmp(argv[1], "seed") == 0;
	if (argc != (seed ? 3 : 4))
		return tool_usage("usage: umach knob delay PORT|TASK MS | "
				  "full PORT|TASK PCT | kill TASK N | seed N%s", "");
	if (mon_socket(path, sizeof path) != 0 || (fd = mon_connect(path, 0)) < 0)
		return 1;
	int rc = tool_knob(fd, argv[1], argv[2], seed ? NULL : argv[3]);
	close(fd);
	return rc;
}
