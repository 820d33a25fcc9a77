/*
 * Monitor connections (protocol.md §11): the umach tool's view into the
 * kernel.  A monitor asks for snapshots of tasks, ports and counters,
 * streams trace events, and turns the simulation knobs.  It never blocks
 * the kernel: records go into a per-monitor queue that the loop flushes
 * when the socket has room, many records to a packet.  Snapshots may
 * queue up to MON_OUT_MAX bytes; trace events stop queueing at
 * MON_EVENTS_MAX and are counted as lost, and the monitor is told how
 * many with a UMACH_EV_LOST event.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kernel.h"
#include "fail.h"

#define MON_OUT_MAX    (256u << 20)	/* queued bytes, snapshots included */
#define MON_EVENTS_MAX (8u << 20)	/* queued bytes past which events drop */

/* xorshift64*: the kernel's only source of choices (the seed knob). */
uint32_t kernel_random(struct kernel *k)
{
	uint64_t x = k->rng ? k->rng : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	k->rng = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

static void arm_out(struct kernel *k, struct monitor *mon, uint32_t on)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP |
				  (on ? EPOLLOUT : 0), .data.ptr = &mon->w };

	if (mon->want_out == on)
		return;
	mon->want_out = on;
	epoll_ctl(k->epfd, EPOLL_CTL_MOD, mon->w.fd, &ev);
}

static int reserve(struct monitor *mon, size_t more)
{
	if (mon->out_off > 0 && mon->out_off == mon->out_len)
		mon->out_off = mon->out_len = 0;
	if (mon->out_len + more <= mon->out_cap)
		return 0;
	if (mon->out_off > 0) {			/* compact first */
		memmove(mon->out, mon->out + mon->out_off,
			mon->out_len - mon->out_off);
		mon->out_len -= mon->out_off;
		mon->out_off = 0;
		if (mon->out_len + more <= mon->out_cap)
			return 0;
	}
	size_t cap = mon->out_cap ? mon->out_cap : 65536;
	while (cap < mon->out_len + more)
		cap *= 2;
	uint8_t *n = umach__realloc(mon->out, cap);
	if (n == NULL)
		return -1;
	mon->out = n;
	mon->out_cap = cap;
	return 0;
}

static int append(struct monitor *mon, const void *rec, uint32_t len)
{
	if (reserve(mon, len) != 0)
		return -1;
	memcpy(mon->out + mon->out_len, rec, len);
	mon->out_len += len;
	return 0;
}

/*
 * Queue one record for mon.  An event is dropped (and counted) when the
 * monitor is too far behind; a snapshot record only when MON_OUT_MAX is
 * reached, which the request's END then reports.
 */
void monitor_push(struct kernel *k, struct monitor *mon, const void *rec,
		  uint32_t len, int is_event)
{
	size_t queued = mon->out_len - mon->out_off;

	if (is_event && (queued >= MON_EVENTS_MAX || mon->w.fd < 0)) {
		mon->lost++;
		return;
	}
	if (is_event && mon->lost > 0) {
		struct umach_rec_event e = { .type = UMACH_REC_EVENT,
			.ev = UMACH_EV_LOST, .time_ns = kernel_now_ns(),
			.size = mon->lost > UINT32_MAX ? UINT32_MAX :
				(uint32_t)mon->lost };
		if (append(mon, &e, sizeof e) != 0)
			return;
		mon->lost = 0;
	}
	if (queued + len > MON_OUT_MAX || append(mon, rec, len) != 0) {
		if (is_event)
			mon->lost++;
		return;
	}
	k->mon_dirty = 1;
}

static void monitor_close(struct kernel *k, struct monitor *mon)
{
	for (struct monitor **pp = &k->monitors; *pp != NULL; pp = &(*pp)->next)
		if (*pp == mon) {
			*pp = mon->next;
			break;
		}
	if (mon->tracing)
		k->ntracers--;
	k->nmonitors--;
	loop_watch_close(k, &mon->w);
	free(mon->out);
	free(mon);
}

/* Send what mon has queued until the socket is full.  -1: it is gone. */
static int flush(struct kernel *k, struct monitor *mon)
{
	while (mon->out_off < mon->out_len) {
		size_t len = 0;		/* whole records, up to a packet */
		while (mon->out_off + len < mon->out_len) {
			uint32_t type;
			memcpy(&type, mon->out + mon->out_off + len, 4);
			size_t sz = umach_rec_size(type);
			if (len + sz > UMACH_MON_PACKET_MAX)
				break;
			len += sz;
		}
		ssize_t n = send(mon->w.fd, mon->out + mon->out_off, len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			arm_out(k, mon, 1);
			return 0;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)len)
			return -1;
		mon->out_off += len;
	}
	mon->out_off = mon->out_len = 0;
	arm_out(k, mon, 0);
	return 0;
}

void monitor_flush_all(struct kernel *k)
{
	struct monitor *mon = k->monitors;

	k->mon_dirty = 0;
	while (mon != NULL) {
		struct monitor *next = mon->next;
		if (flush(k, mon) != 0)
			monitor_close(k, mon);
		mon = next;
	}
}

void monitor_close_all(struct kernel *k)
{
	while (k->monitors != NULL)
		monitor_close(k, k->monitors);
}

/* A connection that said hello as a monitor.  Takes fd. */
void monitor_attach(struct kernel *k, int fd)
{
	struct umach_welcome wl = { .magic = UMACH_ABI_MAGIC,
		.version = UMACH_ABI_VERSION, .status = KERN_SUCCESS,
		.profile = k->profile, .backlog_default = k->backlog_default,
		.backlog_max = k->backlog_max };
	struct monitor *mon = NULL;

	if (k->nmonitors >= MONITORS_MAX ||
	    (mon = umach__calloc(1, sizeof *mon)) == NULL)
		wl.status = KERN_RESOURCE_SHORTAGE;
	if (send(fd, &wl, sizeof wl, MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    (ssize_t)sizeof wl || mon == NULL) {
		free(mon);
		close(fd);
		return;
	}
	mon->w = (struct watch){ .kind = W_MONITOR, .fd = fd };
	if (loop_watch_add(k, &mon->w, EPOLLIN | EPOLLRDHUP) != 0) {
		close(fd);
		free(mon);
		return;
	}
	mon->next = k->monitors;
	k->monitors = mon;
	k->nmonitors++;
}

/* ---- snapshots ---- */

static uint32_t queued_on(const struct ktask *t)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->space.by_name.cap; i++) {
		const struct entry *e = t->space.by_name.slots[i].val;
		if (e != NULL && (e->type & RIGHT_RECEIVE))
			n += e->port->count;
	}
	return n;
}

static uint32_t thread_state(const struct act *a)
{
	return a->state == ACT_SEND_WAIT || a->state == ACT_DELAY ?
	       UMACH_TS_SEND : a->state == ACT_RCV_WAIT ? UMACH_TS_RECEIVE :
	       UMACH_TS_RUNNING;
}

static uint32_t snap_tasks(struct kernel *k, struct monitor *mon)
{
	uint32_t n = 0;
	uint64_t now = kernel_now_ns();

	for (struct ktask *t = k->tasks; t != NULL; t = t->next) {
		struct umach_rec_task r = { .type = UMACH_REC_TASK,
			.pid = t->pid, .id = t->id, .rights = t->space.count,
			.queued = queued_on(t) };
		memcpy(r.name, t->name, sizeof r.name);
		for (uint32_t i = 0; i < UMACH_SLOTS; i++)
			if (t->act[i].call != UMACH_CALL_NONE) {
				r.threads++;
				r.blocked += t->act[i].state != ACT_IDLE;
			}
		monitor_push(k, mon, &r, sizeof r, 0);
		n++;
		for (uint32_t i = 0; i < UMACH_SLOTS; i++) {
			const struct act *a = &t->act[i];
			if (a->call == UMACH_CALL_NONE)
				continue;
			struct umach_rec_thread th = { .type = UMACH_REC_THREAD,
				.slot = i, .task = t->id, .call = a->call,
				.state = thread_state(a) };
			if (a->wport != NULL) {
				const struct entry *e = space_lookup_port(
					&t->space, a->wport);
				th.port = a->wport->id;
				th.name = e ? e->name : 0;
			} else if (a->wset != NULL) {	/* port 0: a set */
				th.name = a->wset->name;
			}
			if (a->heap_idx >= 0 && a->deadline_ns > now)
				th.timeout_ms = (uint32_t)((a->deadline_ns - now +
							    999999) / 1000000);
			monitor_push(k, mon, &th, sizeof th, 0);
			n++;
		}
	}
	return n;
}

static uint32_t count_waiters(const struct waitq *q)
{
	uint32_t n = 0;

	for (const struct act *a = q->head; a != NULL; a = a->wnext)
		n++;
	return n;
}

static void port_record(const struct ktask *t, const struct entry *e,
			struct umach_rec_port *r)
{
	const struct port *p = e->port;

	memset(r, 0, sizeof *r);
	r->type = UMACH_REC_PORT;
	r->name = e->name;
	r->task = t->id;
	r->port = p->id;
	r->rights = e->type;
	r->flags = (p->dead ? UMACH_PF_DEAD : 0) |
		   (port_is_kobject(p) ? UMACH_PF_KOBJECT : 0) |
		   (p == t->notify ? UMACH_PF_NOTIFY : 0) |
		   (p->full_pct ? UMACH_PF_QUEUE_FULL : 0);
	r->receiver = p->receiver ? p->receiver->task->id : 0;
	r->owner = p->owner ? p->owner->task->id : 0;
	r->queued = p->count;
	r->backlog = p->backlog;
	r->senders_blocked = count_waiters(&p->senders);
	r->receivers_blocked = count_waiters(&p->receivers);
	for (const struct entry *h = p->holders; h != NULL; h = h->pnext)
		r->holders++;
	r->delay_ms = p->delay_ms;
	r->msgs = p->msgs;
	r->bytes = p->bytes;
}

static uint32_t snap_ports(struct kernel *k, struct monitor *mon,
			   uint64_t task, int32_t *status)
{
	uint32_t n = 0;
	int found = 0;

	for (struct ktask *t = k->tasks; t != NULL; t = t->next) {
		if (task != 0 && t->id != task)
			continue;
		found = 1;
		for (uint32_t i = 0; i < t->space.by_name.cap; i++) {
			const struct entry *e = t->space.by_name.slots[i].val;
			struct umach_rec_port r;
			if (e == NULL)
				continue;
			port_record(t, e, &r);
			monitor_push(k, mon, &r, sizeof r, 0);
			n++;
		}
	}
	*status = found || task == 0 ? KERN_SUCCESS : KERN_INVALID_ARGUMENT;
	return n;
}

static uint32_t snap_stats(struct kernel *k, struct monitor *mon)
{
	struct umach_rec_stats r = { .type = UMACH_REC_STATS, .c = k->stats };
	uint32_t n = 1;

	monitor_push(k, mon, &r, sizeof r, 0);
	for (struct ktask *t = k->tasks; t != NULL; t = t->next, n++) {
		memset(&r, 0, sizeof r);
		r.type = UMACH_REC_STATS;
		r.pid = t->pid;
		r.task = t->id;
		memcpy(r.name, t->name, sizeof r.name);
		r.c = t->stats;
		monitor_push(k, mon, &r, sizeof r, 0);
	}
	return n;
}

/* ---- knobs ---- */

static struct port *port_by_id(struct kernel *k, uint64_t id)
{
	for (struct ktask *t = k->tasks; t != NULL; t = t->next)
		for (uint32_t i = 0; i < t->space.by_name.cap; i++) {
			struct entry *e = t->space.by_name.slots[i].val;
			if (e != NULL && e->port->id == id && !e->port->dead)
				return e->port;
		}
	return NULL;
}

static int knob_value_ok(uint32_t knob, uint64_t v)
{
	switch (knob) {
	case UMACH_KNOB_DELAY_MS:	return v <= 60000;
	case UMACH_KNOB_QUEUE_FULL:	return v <= 100;
	case UMACH_KNOB_KILL_AT:	return v <= UINT32_MAX;
	case UMACH_KNOB_SEED:		return 1;
	}
	return 0;
}

/* Let in every sender blocked on a port t receives on (queue-full off). */
static void wake_all_senders(struct kernel *k, struct ktask *t)
{
	for (uint32_t i = 0; i < t->space.by_name.cap; i++) {
		struct entry *e = t->space.by_name.slots[i].val;
		if (e != NULL && (e->type & RIGHT_RECEIVE))
			msgq_wake_senders(k, e->port, UINT32_MAX);
	}
}

static void knob_task(struct kernel *k, struct ktask *t, uint32_t knob,
		      uint64_t v)
{
	if (knob == UMACH_KNOB_DELAY_MS) {
		t->rx_delay_ms = (uint32_t)v;
	} else if (knob == UMACH_KNOB_QUEUE_FULL) {
		t->rx_full_pct = (uint32_t)v;
		if (v == 0)
			wake_all_senders(k, t);
	} else if (knob == UMACH_KNOB_KILL_AT) {
		t->kill_at = v == 0 ? 0 : t->sends + v;
	}
}

/* A task attached: the standing knobs for its name apply to it. */
void monitor_task_attached(struct kernel *k, struct ktask *t)
{
	for (uint32_t i = 0; i < k->nstanding; i++)
		if (strcmp(k->standing[i].name, t->name) == 0)
			knob_task(k, t, k->standing[i].knob, k->standing[i].value);
}

/* Record (or, with value 0, drop) a standing knob for tasks called name. */
static int32_t knob_standing(struct kernel *k, const char *name,
			     uint32_t knob, uint64_t value)
{
	uint32_t i;

	for (i = 0; i < k->nstanding; i++)
		if (k->standing[i].knob == knob &&
		    strcmp(k->standing[i].name, name) == 0)
			break;
	if (i == k->nstanding && value != 0) {
		if (k->nstanding == KNOBS_STANDING_MAX)
			return KERN_RESOURCE_SHORTAGE;
		k->nstanding++;
	}
	if (value == 0 && i < k->nstanding)
		k->standing[i] = k->standing[--k->nstanding];
	else if (value != 0) {
		memcpy(k->standing[i].name, name, UMACH_NAME_MAX);
		k->standing[i].knob = knob;
		k->standing[i].value = value;
	}
	for (struct ktask *t = k->tasks; t != NULL; t = t->next)
		if (strcmp(t->name, name) == 0)
			knob_task(k, t, knob, value);
	return KERN_SUCCESS;
}

/* q is the kernel's own copy of the request. */
static int32_t set_knob(struct kernel *k, struct umach_mon_req *q)
{
	struct port *p;
	struct ktask *t;

	if (!knob_value_ok(q->knob, q->value))
		return KERN_INVALID_ARGUMENT;
	if (q->knob == UMACH_KNOB_SEED) {
		k->rng = q->value;
		return KERN_SUCCESS;
	}
	switch (q->target) {
	case UMACH_KT_PORT:
		if (q->knob == UMACH_KNOB_KILL_AT ||
		    (p = port_by_id(k, q->arg)) == NULL)
			return KERN_INVALID_ARGUMENT;
		if (q->knob == UMACH_KNOB_DELAY_MS) {
			p->delay_ms = (uint32_t)q->value;
		} else {
			p->full_pct = (uint32_t)q->value;
			if (p->full_pct == 0)	/* let the waiting in */
				msgq_wake_senders(k, p, UINT32_MAX);
		}
		return KERN_SUCCESS;
	case UMACH_KT_TASK:
		if ((t = ktask_by_id(k, q->arg)) == NULL)
			return KERN_INVALID_ARGUMENT;
		knob_task(k, t, q->knob, q->value);
		return KERN_SUCCESS;
	case UMACH_KT_NAME:
		if (memchr(q->name, '\0', sizeof q->name) == NULL ||
		    q->name[0] == '\0')
			return KERN_INVALID_ARGUMENT;
		return knob_standing(k, q->name, q->knob, q->value);
	}
	return KERN_INVALID_ARGUMENT;
}

static void request(struct kernel *k, struct monitor *mon,
		    struct umach_mon_req *q)
{
	struct umach_rec_end end = { .type = UMACH_REC_END, .op = q->op,
				     .status = KERN_SUCCESS };

	switch (q->op) {
	case UMACH_MON_TASKS:
		end.count = snap_tasks(k, mon);
		break;
	case UMACH_MON_PORTS:
		end.count = snap_ports(k, mon, q->arg, &end.status);
		break;
	case UMACH_MON_STATS:
		end.count = snap_stats(k, mon);
		break;
	case UMACH_MON_TRACE:
		if (q->arg > 1) {
			end.status = KERN_INVALID_ARGUMENT;
			break;
		}
		if (q->arg && !mon->tracing)
			k->ntracers++;
		else if (!q->arg && mon->tracing)
			k->ntracers--;
		mon->tracing = (uint32_t)q->arg;
		break;
	case UMACH_MON_SYNC:
		break;
	case UMACH_MON_KNOB:
		end.status = set_knob(k, q);
		break;
	default:
		end.status = KERN_INVALID_ARGUMENT;
	}
	if (mon->out_len - mon->out_off > MON_OUT_MAX)
		end.status = KERN_RESOURCE_SHORTAGE;
	/* END always gets through, even past the cap. */
	if (append(mon, &end, sizeof end) == 0)
		k->mon_dirty = 1;
}

/* Requests, room to write, or hang-up on a monitor's socket. */
void monitor_event(struct kernel *k, struct monitor *mon, uint32_t events)
{
	struct umach_mon_req q;

	if (events & EPOLLIN) {
		for (;;) {
			ssize_t n = recv(mon->w.fd, &q, sizeof q, MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n != (ssize_t)sizeof q || q.magic != UMACH_ABI_MAGIC) {
				monitor_close(k, mon);	/* hang-up or junk */
				return;
			}
			request(k, mon, &q);
		}
	} else if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
		monitor_close(k, mon);
		return;
	}
	if (flush(k, mon) != 0)
		monitor_close(k, mon);
}
