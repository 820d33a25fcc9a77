/*
 * T7, quotas (reference reliability.md, T7), against a real kernel: each
 * limit a task can reach from outside is driven to the limit and one
 * past it, and the call past it must get exactly the documented status
 * (docs/protocol.md §7, docs/SECURITY.md):
 *   tasks per uid (256)      the attach's welcome says KERN_RESOURCE_SHORTAGE
 *   half-open attaches (64)  the next connection is closed with no welcome
 *   threads in calls (64)    a 65th thread's call: SEND_INVALID_PORT /
 *                            RCV_INVALID_PORT
 *   message size (8192)      SEND_MSG_TOO_LARGE
 *   rights per message (1024) SEND_MSG_TOO_LARGE
 *   backlog (1..16)          port_set_backlog(17): KERN_INVALID_ARGUMENT;
 *                            a send past a full queue: SEND_TIMED_OUT
 * With an abuser at the task, half-open and queue limits at once, a
 * bystander's RPCs to the kernel must all succeed; their p99 is printed
 * beside the baseline's (gated at 2x only with UMACH_STRESS_T7_GATE=1,
 * since the shared machine's noise dwarfs it).  Afterwards everything
 * is released and the kernel's fds return to the baseline.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <mach.h>
#include <umach/abi.h>
#include "stress.h"

#define PER_UID 256
#define HELLO   64
#define SLOTS   64

static int bad;				/* checks that failed */

static void expect(int got, int want, const char *what)
{
	if (got != want) {
		bad++;
		fprintf(stderr, "t7: %s: got %d, want %d\n", what, got, want);
	}
}

/* ---- tasks per uid ---- */

static int socks[PER_UID + 8], nsocks;

static int attach_status(const char *sock)
{
	struct umach_welcome wl;
	int fds[2];

	wl.status = 12345;
	int s = st_raw_attach(sock, &wl, fds);
	if (s < 0)
		return wl.status;
	close(fds[0]);
	close(fds[1]);
	socks[nsocks++] = s;
	return KERN_SUCCESS;
}

/* Fill the uid's task quota; returns the status of the attach past it. */
static int fill_tasks(const char *sock, int *attached)
{
	int st;

	while ((st = attach_status(sock)) == KERN_SUCCESS &&
	       nsocks < PER_UID + 4)
		;
	*attached = nsocks;
	return st;
}

/* ---- half-open attaches ---- */

static int half[HELLO + 4];

static int connect_only(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(s);
		return -1;
	}
	return s;
}

/* 1 if the kernel closed connection s without a welcome within 2 s. */
static int closed_unwelcomed(int s)
{
	struct timeval tv = { .tv_sec = 2 };
	char b[64];

	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ssize_t n = recv(s, b, sizeof b, 0);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* ---- threads in calls ---- */

static _Atomic int blocked;

static void *block_in_receive(void *arg)
{
	struct {
		msg_header_t h;
		char b[64];
	} m;
	port_t p = (port_t)(intptr_t)arg;

	blocked++;
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	msg_receive(&m.h, RCV_TIMEOUT, 1500);
	return NULL;
}

static void *one_thread_too_many(void *arg)
{
	msg_header_t h = { .msg_simple = TRUE, .msg_size = sizeof h,
			   .msg_remote_port = (port_t)(intptr_t)arg };

	expect(msg_send(&h, SEND_TIMEOUT, 0), SEND_INVALID_PORT,
	       "65th thread's msg_send");
	h.msg_local_port = (port_t)(intptr_t)arg;
	expect(msg_receive(&h, RCV_TIMEOUT, 0), RCV_INVALID_PORT,
	       "65th thread's msg_receive");
	return NULL;
}

static void slots(port_t p)
{
	pthread_t t[SLOTS];

	/* This thread holds one slot; 63 more block, and one more is out. */
	for (int i = 0; i < SLOTS - 1; i++)
		pthread_create(&t[i], NULL, block_in_receive, (void *)(intptr_t)p);
	while (blocked < SLOTS - 1)
		usleep(1000);
	usleep(200000);
	pthread_create(&t[SLOTS - 1], NULL, one_thread_too_many,
		       (void *)(intptr_t)p);
	for (int i = 0; i < SLOTS; i++)
		pthread_join(t[i], NULL);
}

/* ---- messages ---- */

static struct {
	msg_header_t h;
	msg_type_t   t;
	int32_t      names[1100];
} big;

static int send_items(port_t dest, uint32_t n)
{
	memset(&big, 0, sizeof big);
	big.h.msg_simple = FALSE;
	big.h.msg_size = (msg_size_t)(sizeof big.h + sizeof big.t + 4 * n);
	big.h.msg_remote_port = dest;
	big.t.msg_type_name = MSG_TYPE_PORT;
	big.t.msg_type_size = 32;
	big.t.msg_type_number = n;
	big.t.msg_type_inline = TRUE;
	return msg_send(&big.h, SEND_TIMEOUT, 0);
}

static int send_size(port_t dest, uint32_t size)
{
	static union {
		msg_header_t h;
		uint8_t b[UMACH_MSG_BUF + 8];
	} m;

	memset(&m, 0, sizeof m);
	m.h.msg_simple = TRUE;
	m.h.msg_size = size;
	m.h.msg_remote_port = dest;
	return msg_send(&m.h, SEND_TIMEOUT, 0);
}

static void drain(port_t p)
{
	static union {
		msg_header_t h;
		uint8_t b[UMACH_MSG_BUF];
	} m;

	do {
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = p;
	} while (msg_receive(&m.h, RCV_TIMEOUT, 0) == RCV_SUCCESS);
}

static void messages(port_t p)
{
	expect(send_size(p, UMACH_MSG_BUF), SEND_SUCCESS, "8192-byte message");
	expect(send_size(p, UMACH_MSG_BUF + 1), SEND_MSG_TOO_LARGE,
	       "8193-byte message");
	drain(p);
	expect(send_items(p, 1024), SEND_SUCCESS, "1024 rights");
	expect(send_items(p, 1025), SEND_MSG_TOO_LARGE, "1025 rights");
	drain(p);
	expect(port_set_backlog(task_self(), p, 17), KERN_INVALID_ARGUMENT,
	       "backlog 17");
	expect(port_set_backlog(task_self(), p, 16), KERN_SUCCESS, "backlog 16");
	for (int i = 0; i < 16; i++)
		expect(send_size(p, 24), SEND_SUCCESS, "send into the backlog");
	expect(send_size(p, 24), SEND_TIMED_OUT, "17th send on a full queue");
}

/* ---- the bystander ---- */

static uint64_t rpc_p99(uint32_t n, uint32_t *fails)
{
	uint64_t *lat = calloc(n, sizeof *lat);
	port_type_t type;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t t0 = st_now_us();
		*fails += port_type(task_self(), task_notify(), &type) !=
			  KERN_SUCCESS;
		lat[i] = st_now_us() - t0;
	}
	uint64_t p99 = st_percentile(lat, n, 99);
	free(lat);
	return p99;
}

int main(void)
{
	struct st_kernel k;
	uint32_t n = (uint32_t)st_param("T7_RPCS", 2000), fails = 0;
	port_t p;
	int attached = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* lines survive a sanitizer exit */
	st_kernel_start(&k, NULL);
	if (umach_task_reattach() != KERN_SUCCESS ||
	    port_allocate(task_self(), &p) != KERN_SUCCESS)
		return fprintf(stderr, "t7: cannot attach\n"), 1;
	usleep(100000);
	int fds = st_fds(k.pid), maps = st_memfd_maps(k.pid);
	uint64_t base = rpc_p99(n, &fails);

	/* The abuser at every quota it can reach at once. */
	int st = fill_tasks(k.sock, &attached);
	expect(st, KERN_RESOURCE_SHORTAGE, "attach past the per-uid limit");
	/* the kernel's own services (name server, environment manager) do
	 * not count against the uid; the bystander (us) does */
	expect(attached, PER_UID - 1, "raw tasks beside us");
	for (int i = 0; i < HELLO; i++)
		half[i] = connect_only(k.sock);
	usleep(100000);
	int extra = connect_only(k.sock);
	expect(extra >= 0 && closed_unwelcomed(extra), 1,
	       "connection past the half-open limit closed");
	if (extra >= 0)
		close(extra);
	uint64_t abused = rpc_p99(n, &fails);

	/* Past each limit of one task, while the abuse goes on. */
	messages(p);
	port_t q;
	expect(port_allocate(task_self(), &q), KERN_SUCCESS, "an empty port");
	slots(q);

	/* Release: the limits are live, and everything comes back. */
	close(socks[--nsocks]);
	usleep(100000);
	for (int i = 0; i < HELLO; i++)
		if (half[i] >= 0)
			close(half[i]);
	usleep(100000);
	expect(attach_status(k.sock), KERN_SUCCESS, "attach after one left");
	while (nsocks > 0)
		close(socks[--nsocks]);
	drain(p);
	int settled = st_settle(k.pid, fds, maps, 3000);
	expect(settled, 1, "kernel fds and maps back to the baseline");
	int kexit = st_kernel_stop(&k);
	expect(kexit, 0, "kernel exit status");
	int gate = st_param("T7_GATE", 0) != 0;
	int slow = abused > 2 * base;
	int ok = bad == 0 && fails == 0 && (!gate || !slow);
	printf("T7 quotas: %s: tasks per uid %d + bystander (services apart), "
	       "the next refused (%s); half-open %d, the next closed; 65th "
	       "thread's calls refused; 8193-byte message and 1025 rights "
	       "SEND_MSG_TOO_LARGE; backlog 17 KERN_INVALID_ARGUMENT, 17th "
	       "send SEND_TIMED_OUT; %d checks failed; bystander %u RPCs x2, "
	       "%u failed, p99 %.2f ms alone vs %.2f ms beside the abuser "
	       "(%.1fx; 2x bar %s); kernel fds back to baseline %s, exit %d\n",
	       ok ? "PASS" : "FAIL", attached,
	       st == KERN_RESOURCE_SHORTAGE ? "KERN_RESOURCE_SHORTAGE" : "WRONG",
	       HELLO, bad, n, fails, base / 1e3, abused / 1e3,
	       base ? (double)abused / (double)base : 0,
	       gate ? "gated" : "not gated", settled ? "yes" : "NO", kexit);
	return ok ? 0 : 1;
}
