/*
 * umach trace: every event the kernel reports, live, as text or one JSON
 * object per line, filtered by task, port or message id, and optionally
 * written as a message sequence chart for mscgen(1).  `umach run --trace`
 * uses the same code for the run of one program.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

struct trace_log {
	int                      fd;
	struct trace_opts        o;
	uint64_t                 t0;		/* time of the first event */
	long                     shown;
	uint64_t                 lost;
	struct umach_rec_event  *ev;		/* kept for the chart */
	size_t                   nev, cap;
	struct seen {				/* tasks named by events so far */
		uint64_t id;
		int32_t  pid;
		char     name[UMACH_NAME_MAX];
	}                       *seen;
	size_t                   nseen, seencap;
};

static const char *const ev_names[UMACH_EV_MAX + 1] = {
	"?", "send", "send-fail", "receive", "block", "wake", "timeout",
	"notify", "right", "port-death", "attach", "exit", "lost", "knob",
};

static const char *knob_name(int32_t k)
{
	return k == UMACH_KNOB_DELAY_MS ? "delay" : k == UMACH_KNOB_QUEUE_FULL ?
	       "queue-full" : k == UMACH_KNOB_KILL_AT ? "kill" : "?";
}

/* The receive and ownership bits of a RIGHT event, in words. */
static const char *rights_name(uint32_t r)
{
	return (r & 6) == 6 ? "receive and ownership" :
	       (r & 2) ? "receive" : (r & 4) ? "ownership" : "no";
}

static int parse_num(const char *s, long long min, long long max, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 0);
	return s[0] != '\0' && *end == '\0' && errno == 0 && *v >= min &&
	       *v <= max ? 0 : -1;
}

/*
 * Take the trace option at argv[*i], if it is one, advancing *i past it.
 * Returns 1 if taken, 0 if argv[*i] is not a trace option, 2 after a usage
 * message.
 */
int trace_parse_opt(struct trace_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	long long v;
	int has = *i + 1 < argc;

	if (strcmp(a, "--json") == 0) {
		o->json = 1;
		return ++*i, 1;
	}
	if (strcmp(a, "--msc") != 0 && strcmp(a, "--task") != 0 &&
	    strcmp(a, "--port") != 0 && strcmp(a, "--id") != 0 &&
	    strcmp(a, "--count") != 0)
		return 0;
	if (!has)
		return tool_usage("%s needs a value", a);
	const char *val = argv[*i + 1];
	*i += 2;
	if (strcmp(a, "--msc") == 0)
		o->msc = val;
	else if (strcmp(a, "--task") == 0)
		o->task = val;
	else if (strcmp(a, "--port") == 0) {
		if (parse_num(val[0] == '#' ? val + 1 : val, 1, INT64_MAX, &v) != 0)
			return tool_usage("--port takes a port id as 'umach ports' "
					  "shows it (got '%s')", val);
		o->port = (uint64_t)v;
	} else if (strcmp(a, "--id") == 0) {
		if (parse_num(val, INT32_MIN, INT32_MAX, &v) != 0)
			return tool_usage("--id takes a message id (got '%s')", val);
		o->have_id = 1;
		o->id = (int32_t)v;
	} else {
		if (parse_num(val, 1, 1000000000, &v) != 0)
			return tool_usage("--count takes a positive number (got '%s')",
					  val);
		o->count = (long)v;
	}
	return 1;
}

static int task_matches(const char *spec, int32_t pid, const char *name,
			uint64_t id)
{
	char *end;
	long n = strtol(spec, &end, 10);

	if (id == 0)
		return 0;
	return spec[0] != '\0' && *end == '\0' ? n == pid :
	       strcmp(spec, name) == 0;
}

static int wanted(const struct trace_opts *o, const struct umach_rec_event *e)
{
	if (e->ev == UMACH_EV_LOST)
		return 1;
	if (o->task != NULL &&
	    !task_matches(o->task, e->pid, e->task_name, e->task) &&
	    !task_matches(o->task, e->peer_pid, e->peer_name, e->peer))
		return 0;
	if (o->port != 0 && e->port != o->port)
		return 0;
	if (o->have_id && (e->msg_id != o->id || e->ev == UMACH_EV_NOTIFY ||
			   e->ev == UMACH_EV_KNOB))
		return 0;
	return 1;
}

static void who(char *buf, size_t len, uint64_t id, int32_t pid,
		const char *name)
{
	if (id == 0)
		snprintf(buf, len, "kernel");
	else if (pid == 0)		/* it went away before the event */
		snprintf(buf, len, "(task %llu, gone)", (unsigned long long)id);
	else
		snprintf(buf, len, "%s(%d)", name[0] ? name : "?", pid);
}

static void print_text(struct trace_log *l, const struct umach_rec_event *e)
{
	char a[48], b[48], rest[256] = "";
	FILE *f = l->o.out;
	double t = (double)(e->time_ns - l->t0) / 1e9;
	size_t n = 0;

	who(a, sizeof a, e->task, e->pid, e->task_name);
	who(b, sizeof b, e->peer, e->peer_pid, e->peer_name);
#define ADD(...) n += (size_t)snprintf(rest + n, n < sizeof rest ? sizeof rest - n : 0, __VA_ARGS__)
	switch (e->ev) {
	case UMACH_EV_SEND:
		ADD("%s -> %s  port #%llu", a, b, (unsigned long long)e->port);
		if (e->task != 0)
			ADD(" (name %d)", e->name);
		ADD("  id %d  %u B", e->msg_id, e->size);
		if (e->ports)
			ADD("  %u right%s", e->ports, e->ports == 1 ? "" : "s");
		if (e->ool)
			ADD("  %u out-of-line", e->ool);
		ADD("  copied %llu B", (unsigned long long)e->copied);
		if (e->moved)
			ADD("  moved %llu B", (unsigned long long)e->moved);
		if (e->status != 0)
			ADD("  %s", mon_status_name(e->status));
		break;
	case UMACH_EV_RECEIVE:
		if (e->status != 0 && e->port == 0) {
			ADD("%s  %s", a, mon_status_name(e->status));
			break;
		}
		ADD("%s <- %s  port #%llu (name %d)  id %d  %u B", a, b,
		    (unsigned long long)e->port, e->name, e->msg_id, e->size);
		if (e->status != 0)
			ADD("  %s", mon_status_name(e->status));
		break;
	case UMACH_EV_SEND_FAIL:
		ADD("%s  %s", a, mon_status_name(e->status));
		break;
	case UMACH_EV_BLOCK:
	case UMACH_EV_WAKE:
	case UMACH_EV_TIMEOUT:
		ADD("%s  %s port #%llu (name %d)", a,
		    e->state == UMACH_TS_RECEIVE ? "receive on" : "send to full",
		    (unsigned long long)e->port, e->name);
		if (e->state == UMACH_TS_SEND && e->msg_id)
			ADD("  id %d", e->msg_id);
		break;
	case UMACH_EV_NOTIFY:
		ADD("kernel -> %s  NOTIFY_%s name %d", b, mon_notify_name(e->msg_id),
		    e->name);
		break;
	case UMACH_EV_RIGHT:
		ADD("%s <- %s  %s right%s of port #%llu (name %d)  id %d", a, b,
		    rights_name(e->rights), e->rights == 6 ? "s" : "",
		    (unsigned long long)e->port, e->name, e->msg_id);
		break;
	case UMACH_EV_PORT_DEATH:
		ADD("port #%llu", (unsigned long long)e->port);
		break;
	case UMACH_EV_ATTACH:
	case UMACH_EV_EXIT:
		ADD("%s", a);
		break;
	case UMACH_EV_LOST:
		ADD("%u events lost: the tool fell behind the kernel", e->size);
		break;
	case UMACH_EV_KNOB:
		ADD("%s  %s", a, knob_name(e->msg_id));
		if (e->msg_id == UMACH_KNOB_KILL_AT)
			ADD(" at its message %llu", (unsigned long long)e->copied);
		else
			ADD(" port #%llu (%llu%s)", (unsigned long long)e->port,
			    (unsigned long long)e->copied,
			    e->msg_id == UMACH_KNOB_DELAY_MS ? " ms" : "%");
		break;
	default:
		ADD("%s", a);
	}
#undef ADD
	fprintf(f, "%12.6f  %-10s %s\n", t,
		e->ev <= UMACH_EV_MAX ? ev_names[e->ev] : "?", rest);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_task(FILE *f, const char *key, uint64_t id, int32_t pid,
		      const char *name)
{
	fprintf(f, ",\"%s\":{\"id\":%llu,\"pid\":%d,\"name\":", key,
		(unsigned long long)id, pid);
	json_str(f, id ? name : "kernel");
	fputc('}', f);
}

static void print_json(struct trace_log *l, const struct umach_rec_event *e)
{
	FILE *f = l->o.out;

	fprintf(f, "{\"seq\":%llu,\"time_ns\":%llu,\"event\":\"%s\"",
		(unsigned long long)e->seq, (unsigned long long)e->time_ns,
		e->ev <= UMACH_EV_MAX ? ev_names[e->ev] : "?");
	json_task(f, "task", e->task, e->pid, e->task_name);
	json_task(f, "peer", e->peer, e->peer_pid, e->peer_name);
	fprintf(f, ",\"port\":%llu,\"name\":%d,\"msg_id\":%d,\"size\":%u,"
		"\"rights\":%u,\"ool\":%u,\"copied\":%llu,\"moved\":%llu,"
		"\"status\":\"%s\"",
		(unsigned long long)e->port, e->name, e->msg_id, e->size,
		e->ports, e->ool, (unsigned long long)e->copied,
		(unsigned long long)e->moved, mon_status_name(e->status));
	if (e->ev == UMACH_EV_BLOCK || e->ev == UMACH_EV_WAKE ||
	    e->ev == UMACH_EV_TIMEOUT)
		fprintf(f, ",\"state\":\"%s\"",
			e->state == UMACH_TS_RECEIVE ? "receive" : "send");
	if (e->ev == UMACH_EV_NOTIFY)
		fprintf(f, ",\"notify\":\"NOTIFY_%s\"", mon_notify_name(e->msg_id));
	if (e->ev == UMACH_EV_RIGHT)
		fprintf(f, ",\"moved_rights\":\"%s\"", rights_name(e->rights));
	if (e->ev == UMACH_EV_KNOB)
		fprintf(f, ",\"knob\":\"%s\"", knob_name(e->msg_id));
	if (e->ev == UMACH_EV_LOST)
		fprintf(f, ",\"lost\":%u", e->size);
	fputs("}\n", f);
}

static int keep(struct trace_log *l, const struct umach_rec_event *e)
{
	if (l->nev == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		void *v = realloc(l->ev, cap * sizeof *l->ev);
		if (v == NULL)
			return -1;
		l->ev = v;
		l->cap = cap;
	}
	l->ev[l->nev++] = *e;
	return 0;
}

/* Start tracing on monitor fd.  Returns the log, or NULL after a message. */
struct trace_log *trace_begin(int fd, const struct trace_opts *o)
{
	struct trace_log *l = calloc(1, sizeof *l);
	int32_t status;

	if (l == NULL)
		return NULL;
	l->fd = fd;
	l->o = *o;
	if (l->o.out == NULL)
		l->o.out = stdout;
	if (mon_request(fd, UMACH_MON_TRACE, 1, 0, 0) != 0 ||
	    mon_wait_end(fd, UMACH_MON_TRACE, &status) != 0 || status != 0) {
		fprintf(stderr, "umach: the kernel would not trace\n");
		free(l);
		return NULL;
	}
	return l;
}

/*
 * Remember who task id is; or, for a task that was gone by the time of
 * the event (pid 0), recall its pid and name from earlier events.
 */
static void remember(struct trace_log *l, uint64_t id, int32_t *pid,
		     char name[UMACH_NAME_MAX])
{
	size_t i;

	if (id == 0)
		return;
	for (i = 0; i < l->nseen && l->seen[i].id != id; i++)
		;
	if (*pid == 0) {
		if (i < l->nseen) {
			*pid = l->seen[i].pid;
			memcpy(name, l->seen[i].name, UMACH_NAME_MAX);
		}
		return;
	}
	if (i == l->nseen) {
		if (l->nseen == l->seencap) {
			size_t cap = l->seencap ? 2 * l->seencap : 64;
			void *v = realloc(l->seen, cap * sizeof *l->seen);
			if (v == NULL)
				return;
			l->seen = v;
			l->seencap = cap;
		}
		l->nseen++;
	}
	l->seen[i].id = id;
	l->seen[i].pid = *pid;
	memcpy(l->seen[i].name, name, UMACH_NAME_MAX);
}

static int handle(struct trace_log *l, union mon_rec *r)
{
	struct umach_rec_event *e = &r->event;

	if (r->type != UMACH_REC_EVENT)
		return 1;
	remember(l, e->task, &e->pid, e->task_name);
	remember(l, e->peer, &e->peer_pid, e->peer_name);
	if (!wanted(&l->o, e))
		return 1;
	if (l->shown == 0)
		l->t0 = e->time_ns;
	if (l->o.json)
		print_json(l, e);
	else
		print_text(l, e);
	fflush(l->o.out);
	if (l->o.msc != NULL && keep(l, e) != 0) {
		fprintf(stderr, "umach: out of memory for the chart\n");
		l->o.msc = NULL;
	}
	return ++l->shown == l->o.count ? 0 : 1;
}

/*
 * Wait up to timeout_ms for one record and show it.  Returns 1 to go on,
 * 0 when --count is reached, -1 when the kernel went away.
 */
int trace_step(struct trace_log *l, int timeout_ms)
{
	union mon_rec r;
	int n = mon_read(l->fd, &r, timeout_ms);

	if (n <= 0)
		return n;
	return handle(l, &r);
}

/* ---- the sequence chart ---- */

struct actor {
	uint64_t id;
	char     label[48];
};

static size_t actor_index(struct actor *a, size_t *n, uint64_t id,
			  int32_t pid, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (a[i].id == id)
			return i;
	a[*n].id = id;
	who(a[*n].label, sizeof a[*n].label, id, pid, name);
	return (*n)++;
}

static void msc_label(FILE *f, const char *s)
{
	fputs("label=\"", f);
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
			fputc(*s, f);
	fputc('"', f);
}

/* One arc or box per event worth drawing; returns 1 if one was written. */
static int msc_arc(FILE *f, const struct umach_rec_event *e, size_t ai,
		   size_t pi)
{
	char lab[96];

	switch (e->ev) {
	case UMACH_EV_SEND:
		snprintf(lab, sizeof lab, "id %d, %u B%s", e->msg_id, e->size,
			 e->ports ? " +rights" : "");
		fprintf(f, "  a%zu->a%zu [", ai, pi);
		break;
	case UMACH_EV_NOTIFY:
		snprintf(lab, sizeof lab, "NOTIFY_%s", mon_notify_name(e->msg_id));
		fprintf(f, "  a%zu->a%zu [linecolour=\"red\", textcolour=\"red\", ",
			ai, pi);
		break;
	case UMACH_EV_RIGHT:
		snprintf(lab, sizeof lab, "gets %s of #%llu", rights_name(e->rights),
			 (unsigned long long)e->port);
		fprintf(f, "  a%zu note a%zu [", ai, ai);
		break;
	case UMACH_EV_BLOCK:
		snprintf(lab, sizeof lab, "blocked: %s",
			 e->state == UMACH_TS_RECEIVE ? "receive" : "queue full");
		fprintf(f, "  a%zu rbox a%zu [", ai, ai);
		break;
	case UMACH_EV_TIMEOUT:
		snprintf(lab, sizeof lab, "timed out");
		fprintf(f, "  a%zu rbox a%zu [", ai, ai);
		break;
	case UMACH_EV_SEND_FAIL:
		snprintf(lab, sizeof lab, "%s", mon_status_name(e->status));
		fprintf(f, "  a%zu note a%zu [", ai, ai);
		break;
	case UMACH_EV_RECEIVE:
		if (e->status == 0)
			return 0;
		snprintf(lab, sizeof lab, "%s", mon_status_name(e->status));
		fprintf(f, "  a%zu note a%zu [", ai, ai);
		break;
	case UMACH_EV_EXIT:
		snprintf(lab, sizeof lab, "exit");
		fprintf(f, "  a%zu abox a%zu [", ai, ai);
		break;
	case UMACH_EV_KNOB:
		snprintf(lab, sizeof lab, "knob: %s", knob_name(e->msg_id));
		fprintf(f, "  a%zu note a%zu [", ai, ai);
		break;
	default:
		return 0;
	}
	msc_label(f, lab);
	fputs("];\n", f);
	return 1;
}

static int write_msc(const struct trace_log *l)
{
	struct actor *a = calloc(2 * l->nev + 1, sizeof *a);
	size_t na = 0;
	FILE *f;

	if (a == NULL)
		return -1;
	/* The kernel first, then the tasks in order of appearance. */
	actor_index(a, &na, 0, 0, "");
	for (size_t i = 0; i < l->nev; i++) {
		const struct umach_rec_event *e = &l->ev[i];
		if (e->ev == UMACH_EV_SEND || e->ev == UMACH_EV_NOTIFY)
			actor_index(a, &na, e->peer, e->peer_pid, e->peer_name);
		actor_index(a, &na, e->task, e->pid, e->task_name);
	}
	if ((f = fopen(l->o.msc, "w")) == NULL) {
		free(a);
		return -1;
	}
	fputs("# umach trace: render with mscgen -T png -i FILE -o FILE.png\n"
	      "msc {\n  hscale=\"1.6\", wordwraparcs=\"false\";\n  ", f);
	for (size_t i = 0; i < na; i++) {
		fprintf(f, "%sa%zu [", i ? ", " : "", i);
		msc_label(f, a[i].label);
		fputc(']', f);
	}
	fputs(";\n", f);
	for (size_t i = 0; i < l->nev; i++) {
		const struct umach_rec_event *e = &l->ev[i];
		size_t ai = actor_index(a, &na, e->task, e->pid, e->task_name);
		size_t pi = actor_index(a, &na, e->peer, e->peer_pid, e->peer_name);
		msc_arc(f, e, ai, pi);
	}
	fputs("}\n", f);
	free(a);
	return fclose(f) == 0 ? 0 : -1;
}

/*
 * Stop tracing.  With drain, first show every event the kernel made
 * before now (UMACH_MON_SYNC).  Writes the chart if asked.  Returns 0, or
 * 1 if the chart could not be written.
 */
int trace_end(struct trace_log *l, int drain)
{
	union mon_rec r;
	int rc = 0;

	if (drain && mon_request(l->fd, UMACH_MON_SYNC, 0, 0, 0) == 0)
		while (mon_read(l->fd, &r, 5000) == 1 &&
		       !(r.type == UMACH_REC_END && r.end.op == UMACH_MON_SYNC))
			if (handle(l, &r) == 0)
				break;
	if (l->o.msc != NULL) {
		if (write_msc(l) != 0) {
			fprintf(stderr, "umach: cannot write %s\n", l->o.msc);
			rc = 1;
		} else {
			fprintf(stderr, "umach: wrote the sequence chart to %s "
				"(mscgen -T svg -i %s)\n", l->o.msc, l->o.msc);
		}
	}
	free(l->ev);
	free(l->seen);
	free(l);
	return rc;
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

int cmd_trace(int argc, char **argv)
{
	struct trace_opts o = { .out = stdout };
	char path[UMACH_SOCKET_PATH_MAX];
	struct sigaction sa = { .sa_handler = on_sigint };
	int i = 1, r, fd;

	while (i < argc) {
		r = trace_parse_opt(&o, argc, argv, &i);
		if (r == 2)
			return 2;
		if (r == 0)
			return tool_usage("unknown trace option '%s'", argv[i]);
	}
	if (mon_socket(path, sizeof path) != 0 || (fd = mon_connect(path, 0)) < 0)
		return 1;
	struct trace_log *l = trace_begin(fd, &o);
	if (l == NULL) {
		close(fd);
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (isatty(2))
		fprintf(stderr, "umach: tracing the kernel at %s; Ctrl-C stops\n",
			path);
	while (!interrupted && (r = trace_step(l, 1000)) != 0)
		if (r < 0) {
			fprintf(stderr, "umach: the kernel went away\n");
			break;
		}
	int rc = trace_end(l, 0);
	close(fd);
	return rc;
}
