/*
 * T1, kill -9 chaos under load (reference reliability.md, T1).  A private
 * kernel runs UMACH_STRESS_WORKERS tasks (8): a sink that takes one-way
 * streams, servers that answer RPCs, and clients that make RPCs, send
 * numbered one-way messages to the sink (some carrying a send right to
 * their own port) and check names in and out.  Each of
 * UMACH_STRESS_T1_TRIALS trials (1000) waits 0-50 ms, kills a random task
 * with SIGKILL, respawns it and lets the system settle.  The driver is a
 * task too: it holds a send right to every worker's port, so each kill
 * owes it exactly one NOTIFY_PORT_DELETED.
 *
 * Pass bar: the kernel never dies and exits cleanly; its fds and memfd
 * mappings are back at the baseline after every trial; every
 * notification owed arrives exactly once, p99 <= 50 ms; the sink sees no
 * gap and no duplicate in any stream, and at the end every surviving
 * client's last message reached it.  One figures line at the end.
 */
#include <signal.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mach.h>
#include <servers/netname.h>
#include "stress.h"

#define MAXW 32
#define ROLE_SINK   0
#define ROLE_SERVER 1
#define ROLE_CLIENT 2
#define ID_ONEWAY 4000
#define ID_RPC    4001

struct wslot {
	_Atomic int      pid;
	_Atomic int      ready;		/* checked in; the driver may look up */
	_Atomic uint32_t last_sent;	/* client: last one-way seq sent */
	_Atomic int      sink_pid;	/* sink: the stream it holds for us */
	_Atomic uint32_t sink_last;	/* sink: last seq it received from us */
};

struct ledger {
	_Atomic int      stop;		/* 1: clients stop; 2: everyone stops */
	uint32_t         nworkers;
	struct wslot     w[MAXW];
	_Atomic uint64_t rpc_ok, rpc_timeout, rpc_stale, rpc_bad;
	_Atomic uint64_t ow_sent, ow_recv, ow_lost, ow_dup, ow_bad;
	_Atomic uint64_t rights_sent, names_checked_in;
};

static struct ledger *L;

struct ow_msg {
	msg_header_t h;
	msg_type_t   t;
	int32_t      v[4];		/* worker, pid, seq, sum */
	msg_type_t   pt;
	port_t       port;
	int32_t      pad;
};

static int32_t sum4(int32_t w, int32_t pid, int32_t seq)
{
	return (int32_t)((uint32_t)w * 2654435761u ^ (uint32_t)pid * 40503u ^
			 (uint32_t)seq * 2246822519u);
}

static int role_of(uint32_t i)
{
	return i == 0 ? ROLE_SINK : i <= 2 ? ROLE_SERVER : ROLE_CLIENT;
}

static void fill(struct ow_msg *m, port_t dest, port_t reply, int id,
		 uint32_t w, uint32_t seq)
{
	memset(m, 0, sizeof *m);
	m->h.msg_simple = TRUE;
	m->h.msg_size = offsetof(struct ow_msg, pt);
	m->h.msg_type = MSG_TYPE_NORMAL;
	m->h.msg_remote_port = dest;
	m->h.msg_local_port = reply;
	m->h.msg_id = id;
	m->t.msg_type_name = MSG_TYPE_INTEGER_32;
	m->t.msg_type_size = 32;
	m->t.msg_type_number = 4;
	m->t.msg_type_inline = TRUE;
	m->v[0] = (int32_t)w;
	m->v[1] = getpid();
	m->v[2] = (int32_t)seq;
	m->v[3] = sum4(m->v[0], m->v[1], m->v[2]);
}

static int sum_ok(const struct ow_msg *m)
{
	return m->v[3] == sum4(m->v[0], m->v[1], m->v[2]);
}

static void drain_notify(void)
{
	notification_t n;

	for (int i = 0; i < 64; i++) {
		n.notify_header.msg_size = sizeof n;
		n.notify_header.msg_local_port = task_notify();
		if (msg_receive(&n.notify_header, RCV_TIMEOUT, 0) != RCV_SUCCESS)
			return;
	}
}

static port_t lookup(const char *name, int tries)
{
	port_t p = PORT_NULL;

	for (int i = 0; i < tries; i++) {
		if (netname_look_up(name_server_port, "", (char *)name, &p) ==
		    NETNAME_SUCCESS)
			return p;
		usleep(2000);
	}
	return PORT_NULL;
}

/* ---- the sink: per-sender streams, checked for gaps and duplicates ---- */

static void sink_take(const struct ow_msg *m)
{
	if (!sum_ok(m) || m->v[0] < 0 || (uint32_t)m->v[0] >= L->nworkers) {
		L->ow_bad++;
		return;
	}
	struct wslot *w = &L->w[m->v[0]];
	uint32_t seq = (uint32_t)m->v[2];
	L->ow_recv++;
	if (w->sink_pid != m->v[1]) {		/* a new stream for this sink */
		w->sink_pid = m->v[1];
	} else if (seq <= w->sink_last) {
		L->ow_dup++;
		return;
	} else if (seq != w->sink_last + 1) {
		L->ow_lost += seq - w->sink_last - 1;
	}
	w->sink_last = seq;
	if (m->h.msg_simple == FALSE && m->port != PORT_NULL)
		port_deallocate(task_self(), m->port);
}

static void serve(port_t p, uint32_t self, int sink)
{
	struct ow_msg m;

	(void)self;
	while (L->stop < 2) {
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = p;
		if (msg_receive(&m.h, RCV_TIMEOUT, 50) != RCV_SUCCESS) {
			drain_notify();
			continue;
		}
		if (sink && m.h.msg_id == ID_ONEWAY) {
			sink_take(&m);
		} else if (!sink && m.h.msg_id == ID_RPC) {
			port_t reply = m.h.msg_remote_port;
			if (!sum_ok(&m))
				L->rpc_bad++;
			m.h.msg_remote_port = reply;
			m.h.msg_local_port = PORT_NULL;
			m.h.msg_id = ID_RPC + 100;
			m.h.msg_size = offsetof(struct ow_msg, pt);
			m.h.msg_simple = TRUE;
			msg_send(&m.h, SEND_TIMEOUT, 100);
		}
	}
}

/* ---- clients ---- */

/*
 * The client's RPCs get a reply port of their own.  With thread_reply(),
 * which the netname stubs use too, clients were left blocked for good in
 * netname calls (docs/SECURITY.md, open findings).
 */
static port_t rpc_reply;

static void client_rpc(uint32_t self, uint32_t *rseq)
{
	char name[16];
	struct ow_msg m;

	snprintf(name, sizeof name, "w%u", 1 + st_rand(2));
	port_t s = lookup(name, 1);
	if (s == PORT_NULL)
		return;
	uint32_t seq = ++*rseq;
	if (rpc_reply == PORT_NULL)
		port_allocate(task_self(), &rpc_reply);
	fill(&m, s, rpc_reply, ID_RPC, self, seq);
	int r = msg_rpc(&m.h, SEND_TIMEOUT | RCV_TIMEOUT, sizeof m, 200, 1000);
	while (r == RCV_SUCCESS && m.v[2] != (int32_t)seq) {
		L->rpc_stale++;			/* a reply to an RPC that timed out */
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = rpc_reply;
		r = msg_receive(&m.h, RCV_TIMEOUT, 1000);
	}
	if (r == RCV_SUCCESS)
		sum_ok(&m) && m.h.msg_id == ID_RPC + 100 ? L->rpc_ok++ :
							   L->rpc_bad++;
	else
		L->rpc_timeout++;
}

/* Send one numbered one-way message to the sink, retrying while the sink
 * is full or being replaced; every 8th carries our port as a send right. */
static void client_oneway(uint32_t self, port_t own, port_t *sink)
{
	struct ow_msg m;
	uint32_t seq = L->w[self].last_sent + 1;

	for (int tries = 0; tries < 200 && L->stop == 0; tries++) {
		if (*sink == PORT_NULL && (*sink = lookup("w0", 1)) == PORT_NULL) {
			usleep(2000);
			continue;
		}
		fill(&m, *sink, PORT_NULL, ID_ONEWAY, self, seq);
		if (seq % 8 == 0) {
			m.h.msg_simple = FALSE;
			m.h.msg_size = sizeof m;
			m.pt = m.t;
			m.pt.msg_type_name = MSG_TYPE_PORT;
			m.pt.msg_type_number = 1;
			m.port = own;
		}
		int r = msg_send(&m.h, SEND_TIMEOUT, 20);
		if (r == SEND_SUCCESS) {
			L->w[self].last_sent = seq;
			L->ow_sent++;
			L->rights_sent += seq % 8 == 0;
			return;
		}
		if (r != SEND_TIMED_OUT)
			*sink = PORT_NULL;	/* the sink died: find the new one */
	}
}

/* Names: check a scratch name in and out again. */
static void client_names(uint32_t self, port_t own, uint32_t k)
{
	char name[32];

	snprintf(name, sizeof name, "tmp%u-%u", self, k % 4);
	if (netname_check_in(name_server_port, name, PORT_NULL, own) ==
	    NETNAME_SUCCESS) {
		L->names_checked_in++;
		netname_check_out(name_server_port, name, PORT_NULL);
	}
}

/*
 * The hook for the load still to come (issue #3): moving receive and
 * ownership rights, and out-of-line data of 4 KiB to 1 MiB, once tasks
 * can send them.  Add them here; the ledger checks stay as they are.
 */
static void client_more_load(uint32_t self, port_t own)
{
	(void)self;
	(void)own;
	/* TODO(#3): send receive/ownership rights and OOL regions. */
}

static void client(uint32_t self, port_t own)
{
	port_t sink = PORT_NULL;
	uint32_t rseq = 0;

	for (uint32_t k = 0; L->stop == 0; k++) {
		uint32_t what = st_rand(8);
		if (what < 3)
			client_rpc(self, &rseq);
		else if (what < 7)
			client_oneway(self, own, &sink);
		else
			client_names(self, own, k);
		client_more_load(self, own);
		if ((k & 15) == 0)
			drain_notify();
	}
}

static int worker(void *arg)
{
	uint32_t self = (uint32_t)(uintptr_t)arg;
	char name[16];
	port_t p;

	if (umach_task_reattach() != KERN_SUCCESS ||
	    port_allocate(task_self(), &p) != KERN_SUCCESS)
		return 10;
	snprintf(name, sizeof name, "w%u", self);
	/* The name of a killed predecessor goes when the name server hears
	 * of its death; until then check_in is refused. */
	int r = -1;
	for (int i = 0; i < 1000 && r != NETNAME_SUCCESS; i++)
		if ((r = netname_check_in(name_server_port, name, PORT_NULL,
					  p)) != NETNAME_SUCCESS)
			usleep(2000);
	if (r != NETNAME_SUCCESS)
		return 11;
	if (role_of(self) == ROLE_SINK)		/* a new sink: new streams */
		for (uint32_t i = 0; i < L->nworkers; i++)
			L->w[i].sink_pid = 0;
	L->w[self].last_sent = 0;
	L->w[self].pid = getpid();
	L->w[self].ready = 1;
	if (role_of(self) == ROLE_CLIENT)
		client(self, p);
	else
		serve(p, self, role_of(self) == ROLE_SINK);
	return 0;
}

/* ---- the driver ---- */

struct figures {
	uint32_t trials, fd_mismatch, owed, delivered, missing, unexpected;
	uint32_t final_delivered, respawn_fail, kernel_dead;
	uint64_t *lat_us;
};

static pid_t start_worker(uint32_t i, port_t *name)
{
	L->w[i].ready = 0;
	pid_t pid = st_spawn(worker, (void *)(uintptr_t)i);
	char n[16];

	snprintf(n, sizeof n, "w%u", i);
	for (int t = 0; t < 2000 && !L->w[i].ready; t++)
		usleep(1000);
	*name = L->w[i].ready ? lookup(n, 500) : PORT_NULL;
	return pid;
}

/* Wait for the NOTIFY_PORT_DELETED owed for `name`, up to 1 s. */
static void await_deleted(struct figures *f, port_t name, uint64_t t0)
{
	notification_t n;
	uint64_t end = t0 + 1000000;

	f->owed++;
	while (st_now_us() < end) {
		n.notify_header.msg_size = sizeof n;
		n.notify_header.msg_local_port = task_notify();
		if (msg_receive(&n.notify_header, RCV_TIMEOUT, 100) != RCV_SUCCESS)
			continue;
		if (n.notify_header.msg_id == NOTIFY_PORT_DELETED &&
		    n.notify_port == name) {
			f->lat_us[f->delivered++] = st_now_us() - t0;
			return;
		}
		f->unexpected++;
		fprintf(stderr, "t1: unexpected notification %d for name %d "
			"(awaiting %d)\n", n.notify_header.msg_id, n.notify_port,
			name);
	}
	f->missing++;
}

/*
 * After the workers have exited, each of their ports owes one last
 * NOTIFY_PORT_DELETED; anything else still queued was owed to nobody.
 */
static void drain_final(struct figures *f, const port_t *names)
{
	notification_t n;
	uint32_t seen[MAXW] = { 0 };

	for (;;) {
		n.notify_header.msg_size = sizeof n;
		n.notify_header.msg_local_port = task_notify();
		if (msg_receive(&n.notify_header, RCV_TIMEOUT, 300) != RCV_SUCCESS)
			break;
		uint32_t i = 0;
		while (i < L->nworkers && names[i] != n.notify_port)
			i++;
		if (n.notify_header.msg_id == NOTIFY_PORT_DELETED &&
		    i < L->nworkers && seen[i]++ == 0)
			continue;
		f->unexpected++;
	}
	for (uint32_t i = 0; i < L->nworkers; i++) {
		if (names[i] == PORT_NULL)
			continue;
		f->owed++;
		seen[i] ? f->final_delivered++ : f->missing++;
	}
}

static void trial(struct figures *f, struct st_kernel *k, pid_t *pids,
		  port_t *names, int fds, int maps)
{
	uint32_t i = st_rand(L->nworkers);

	usleep(st_rand(50001));
	uint64_t t0 = st_now_us();
	kill(pids[i], SIGKILL);
	st_wait(pids[i], 5000);
	if (names[i] != PORT_NULL)
		await_deleted(f, names[i], t0);
	pids[i] = start_worker(i, &names[i]);
	if (names[i] == PORT_NULL)
		f->respawn_fail++;
	if (!st_settle(k->pid, fds, maps, 1000)) {
		f->fd_mismatch++;
		fprintf(stderr, "t1: trial %u: kernel fds %d (baseline %d), "
			"memfd maps %d (baseline %d)\n", f->trials,
			st_fds(k->pid), fds, st_memfd_maps(k->pid), maps);
	}
	if (!st_kernel_alive(k))
		f->kernel_dead++;
	f->trials++;
}

/*
 * Stop the clients, let the sink drain, and check each stream's tail.
 * A client that has not stopped 5 s after being told is stuck in a call
 * (so far always a name-server RPC, which has no timeout): counted apart.
 */
static uint32_t finish(pid_t *pids, uint32_t *stuck)
{
	uint32_t tail_bad = 0;
	int rc;

	L->stop = 1;
	for (uint32_t i = 3; i < L->nworkers; i++)
		if ((rc = st_wait(pids[i], 5000)) != 0) {
			fprintf(stderr, "t1: client %u ended with %d\n", i, rc);
			++*stuck;		/* a client that did not stop */
		}
	for (int t = 0; t < 2000; t++) {
		int behind = 0;
		for (uint32_t i = 3; i < L->nworkers; i++)
			behind |= L->w[i].sink_pid == L->w[i].pid &&
				  L->w[i].sink_last != L->w[i].last_sent;
		if (!behind)
			break;
		usleep(1000);
	}
	for (uint32_t i = 3; i < L->nworkers; i++)
		if (L->w[i].sink_pid == L->w[i].pid &&
		    L->w[i].sink_last != L->w[i].last_sent) {
			fprintf(stderr, "t1: client %u sent up to %u, the sink "
				"got up to %u\n", i, L->w[i].last_sent,
				L->w[i].sink_last);
			tail_bad++;
		}
	L->stop = 2;
	for (uint32_t i = 0; i < 3; i++)
		st_wait(pids[i], 5000);
	return tail_bad;
}

int main(void)
{
	long trials = st_param("T1_TRIALS", 1000);
	long nw = st_param("WORKERS", 8);
	struct st_kernel k;
	struct figures f = { 0 };
	pid_t pids[MAXW];
	port_t names[MAXW];

	setvbuf(stdout, NULL, _IOLBF, 0);	/* lines survive a sanitizer exit */
	if (nw < 4 || nw > MAXW)
		nw = 8;
	L = st_shared(sizeof *L);
	L->nworkers = (uint32_t)nw;
	f.lat_us = calloc((size_t)trials + 1, sizeof *f.lat_us);
	st_kernel_start(&k, NULL);
	if (umach_task_reattach() != KERN_SUCCESS)
		return fprintf(stderr, "t1: cannot attach\n"), 1;
	for (uint32_t i = 0; i < L->nworkers; i++)
		pids[i] = start_worker(i, &names[i]);
	usleep(200000);
	int fds = st_fds(k.pid), maps = st_memfd_maps(k.pid);
	printf("t1: %ld trials, %ld workers, kernel baseline %d fds, %d memfd maps\n",
	       trials, nw, fds, maps);
	uint64_t t_start = st_now_us();
	while ((long)f.trials < trials && !f.kernel_dead)
		trial(&f, &k, pids, names, fds, maps);
	usleep(1000000);		/* a last stretch without kills */
	uint32_t stuck = 0, tail_bad = finish(pids, &stuck);
	drain_final(&f, names);
	int kexit = st_kernel_stop(&k);
	double secs = (double)(st_now_us() - t_start) / 1e6;
	uint64_t p50 = st_percentile(f.lat_us, f.delivered, 50);
	uint64_t p99 = st_percentile(f.lat_us, f.delivered, 99);
	uint64_t max = st_percentile(f.lat_us, f.delivered, 100);
	int ok = f.kernel_dead == 0 && kexit == 0 && f.fd_mismatch == 0 &&
		 f.missing == 0 && f.unexpected == 0 && p99 <= 50000 &&
		 L->ow_lost == 0 && L->ow_dup == 0 && L->ow_bad == 0 &&
		 L->rpc_bad == 0 && tail_bad == 0 && stuck == 0 &&
		 f.respawn_fail == 0;
	printf("T1 kill-9 chaos: %s: %u trials in %.0f s, %ld workers; kernel "
	       "crashes %u, exit %d; fd/map mismatches %u; PORT_DELETED owed %u "
	       "delivered %u+%u missing %u unexpected %u, latency p50 %.1f ms p99 "
	       "%.1f ms max %.1f ms; one-way sent %lu received %lu lost %lu dup "
	       "%lu bad %lu, tails short %u, clients stuck at stop %u; rights sent %lu; RPC ok %lu "
	       "timed out %lu stale %lu bad %lu; names checked in %lu; "
	       "respawn failures %u\n",
	       ok ? "PASS" : "FAIL", f.trials, secs, nw, f.kernel_dead, kexit,
	       f.fd_mismatch, f.owed, f.delivered, f.final_delivered,
	       f.missing, f.unexpected,
	       p50 / 1e3, p99 / 1e3, max / 1e3, (unsigned long)L->ow_sent,
	       (unsigned long)L->ow_recv, (unsigned long)L->ow_lost,
	       (unsigned long)L->ow_dup, (unsigned long)L->ow_bad, tail_bad, stuck,
	       (unsigned long)L->rights_sent, (unsigned long)L->rpc_ok,
	       (unsigned long)L->rpc_timeout, (unsigned long)L->rpc_stale,
	       (unsigned long)L->rpc_bad, (unsigned long)L->names_checked_in,
	       f.respawn_fail);
	free(f.lat_us);
	return ok ? 0 : 1;
}
