/*
 * umach_peer.c: umach's own rows.  setup starts a private umachd (the
 * kernel process, which boots its own umach-netnamed) on a socket in a
 * fresh temporary directory, points $UMACH_SOCKET at it and re-attaches the
 * driver to it; the forked server attaches at its first call.  teardown, or
 * abort on Ctrl-C, ends umachd by its own pid and removes the directory,
 * as peer_dbus.c does with dbus-daemon.
 *
 * The server allocates a port and checks it in with the name server; the
 * client looks it up.  A call is msg_rpc with msg_local_port =
 * thread_reply(); the server answers with msg_send to the received
 * header's msg_remote_port.  A one-way message is a plain msg_send; the
 * port's queue (8 messages) is the flow control.  A message longer than
 * one inline message (MSG_SIZE_MAX, 8192 bytes with the header) goes as a
 * run of chunks of CHUNK_BYTES; the receiver reassembles them into its own
 * buffer.  Both sides build the 40-byte header in place, in the bytes just
 * before the chunk (driver.h's headroom, or the previous chunk, saved and
 * put back), so no chunk is copied more than msg_send/msg_receive do.
 *
 * The "umach, traced" row is the same with a monitor tracing every event
 * (protocol.md §11): a drain process connects as `umach trace` would,
 * asks for events and throws them away, so the row prices the trace hooks,
 * the event records and their socket writes against the untraced row.
 *
 * The "umach-stubs" row (RTT only) is the same msg_rpc made through the
 * code umig generates from bench/bench.defs: the client calls the stub
 * bench_rpc(); the server receives the request, hands the driver its 64
 * bytes (at the generated layout's offset, checked by size) and, at reply
 * time, runs the generated demux bench_server(), whose do_bench_rpc copies
 * the driver's reply into the generated reply.  The row prices the stubs'
 * descriptor building and checking against the raw "umach" row.
 *
 * Placement: umachd inherits the driver's affinity at setup (unpinned).  In
 * @same-cpu it is pinned to the CPU both sides run on (CPU 0), so all three
 * processes share it; in @split-cpus it stays unpinned, free to run on
 * either side's CPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <mach.h>
#include <mach_init.h>
#include <sched.h>
#include <servers/netname.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <umach/abi.h>
#include <umach/lpc.h>

#include "bench.h"
#include "benchServer.h"
#include "driver.h"

#ifndef UMACH_BUILD_DIR
#define UMACH_BUILD_DIR "build"
#endif

#define SERVICE_NAME "umach-bench"
#define KERNEL_START_MS 5000
#define LOOKUP_MS 10000
#define KERNEL_STOP_MS 2000

/* The header in front of every chunk: Mach header, one long-form byte
 * descriptor (the short form counts at most 4,095 items). */
struct umsg_head {
	msg_header_t h;
	msg_type_long_t t;
};
#define HEAD_BYTES sizeof(struct umsg_head)
#define CHUNK_BYTES (MSG_SIZE_MAX - HEAD_BYTES)

_Static_assert(HEAD_BYTES <= BENCH_HEADROOM_BYTES, "header fits headroom");
_Static_assert(HEAD_BYTES % 8 == 0, "chunks stay 8-byte aligned");

struct umach_ctx {
	/* Written by setup, read by abort from a signal handler. */
	pid_t kernel_pid;
	pid_t drain_pid;    /* the traced row's monitor, or 0 */
	char dir[64], sock[96], log[96];
	/* Per process, after attach. */
	port_t port;        /* server: receive right; client: send right */
	port_t reply_port;  /* server: where to answer the last request */
	/* The LPC row (docs/lpc.md): its server, connection and request. */
	struct umach_lpc_server *lpc_srv;
	struct umach_lpc_conn *lpc;
	struct umach_lpc_msg lpc_msg;
	union {             /* calls and replies, whole */
		struct umsg_head head;
		char bytes[MSG_SIZE_MAX];
	} msg;
};

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
	                      .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void head_init(struct umsg_head *m, port_t dest, port_t reply,
                      size_t n)
{
	memset(m, 0, sizeof *m);
	m->h.msg_simple = TRUE;
	m->h.msg_size = (msg_size_t)(HEAD_BYTES + n);
	m->h.msg_type = MSG_TYPE_NORMAL;
	m->h.msg_remote_port = dest;
	m->h.msg_local_port = reply;
	m->t.msg_type_header.msg_type_inline = TRUE;
	m->t.msg_type_header.msg_type_longform = TRUE;
	m->t.msg_type_long_name = MSG_TYPE_BYTE;
	m->t.msg_type_long_size = 8;
	m->t.msg_type_long_number = (unsigned)n;
}

/* ---- the private kernel ---- */

/* Async-signal-safe: by pid, then the files it made, then the dir. */
static void umach_abort(void *ctx)
{
	struct umach_ctx *c = ctx;
	const char *const files[] = { c->sock, c->log, NULL };
	char none[1] = "";

	bench_daemon_abort(&c->drain_pid, none, files);
	bench_daemon_abort(&c->kernel_pid, c->dir, files);
}

/*
 * The traced row's monitor: connect, ask for every event, read and drop
 * them until the kernel goes away.  Runs in a child of the driver.
 */
static void drain_events(const char *sock, pid_t parent)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct umach_hello h = {.magic = UMACH_ABI_MAGIC,
	                        .version = UMACH_ABI_VERSION,
	                        .flags = UMACH_HELLO_MONITOR};
	struct umach_mon_req q = {.magic = UMACH_ABI_MAGIC,
	                          .op = UMACH_MON_TRACE, .arg = 1};
	union {
		struct umach_welcome wl;
		char rec[UMACH_MON_PACKET_MAX];
	} u;
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
	snprintf(h.name, sizeof h.name, "bench-trace");
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0 ||
	    send(s, &h, sizeof h, 0) != sizeof h ||
	    recv(s, &u.wl, sizeof u.wl, 0) != sizeof u.wl ||
	    u.wl.status != 0 || send(s, &q, sizeof q, 0) != sizeof q)
		_exit(1);
	while (recv(s, u.rec, sizeof u.rec, 0) > 0)
		;
	_exit(0);
}

/* The kernel's child side: dies with the driver, logs to the temp dir. */
static void kernel_exec(const struct umach_ctx *c, pid_t parent, int cpu)
{
	sigset_t none;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The driver forks us with its signals blocked and SIGPIPE ignored;
	 * both would survive exec. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (getppid() != parent)
		_exit(127);
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof set, &set);
	}
	int log = open(c->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (log >= 0)
		dup2(log, 2);
	execl(UMACH_BUILD_DIR "/umachd", "umachd", "--foreground", "--socket",
	      c->sock, (char *)NULL);
	_exit(127);
}

static int kernel_accepts(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 0;
	int ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
	close(s);
	return ok;
}

static enum bench_status kernel_start(struct umach_ctx *c, int cpu)
{
	pid_t parent = getpid();
	c->kernel_pid = fork();
	if (c->kernel_pid == 0)
		kernel_exec(c, parent, cpu);
	if (c->kernel_pid < 0) {
		bench_error("fork: %s", strerror(errno));
		c->kernel_pid = 0;
		return BENCH_ERR;
	}
	for (int ms = 0; ms < KERNEL_START_MS; ms++) {
		if (waitpid(c->kernel_pid, NULL, WNOHANG) == c->kernel_pid) {
			c->kernel_pid = 0;
			break;
		}
		if (kernel_accepts(c->sock))
			return BENCH_OK;
		sleep_ms(1);
	}
	char why[1024] = "";
	int fd = open(c->log, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, why, sizeof why - 1);
		why[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	bench_error("umachd (%s/umachd) did not start; its log: %s",
	            UMACH_BUILD_DIR, why[0] ? why : "(empty)");
	return BENCH_ERR;
}

static enum bench_status umach_setup(const struct bench_peer *self,
                                     const struct bench_job *job,
                                     void **out_ctx)
{
	struct umach_ctx *c = calloc(1, sizeof *c);
	if (!c)
		return BENCH_ERR;
	bench_note("umach: each measurement starts its own umachd; it is "
	           "pinned to CPU 0 with both sides @same-cpu, unpinned "
	           "otherwise (also @split-cpus).");
	snprintf(c->dir, sizeof c->dir, "/tmp/umach-bench-XXXXXX");
	if (!mkdtemp(c->dir)) {
		bench_error("mkdtemp: %s", strerror(errno));
		free(c);
		return BENCH_ERR;
	}
	snprintf(c->sock, sizeof c->sock, "%s/kernel.sock", c->dir);
	snprintf(c->log, sizeof c->log, "%s/umachd.log", c->dir);
	setenv("UMACH_SOCKET", c->sock, 1);
	setenv("UMACH_NETNAMED", UMACH_BUILD_DIR "/umach-netnamed", 1);
	int cpu = job->client_cpu >= 0 && job->client_cpu == job->server_cpu
	                  ? job->client_cpu
	                  : -1;
	enum bench_status st = kernel_start(c, cpu);
	/* libumach attached (or failed to) before main; this process is the
	 * client: attach it to this measurement's kernel.  The server, forked
	 * later, attaches at its first call. */
	if (st == BENCH_OK && umach_task_reattach() != KERN_SUCCESS) {
		bench_error("cannot attach to %s", c->sock);
		st = BENCH_ERR;
	}
	if (st == BENCH_OK && strcmp(self->slug, "umach-traced") == 0) {
		pid_t parent = getpid();
		c->drain_pid = fork();
		if (c->drain_pid == 0)
			drain_events(c->sock, parent);
		if (c->drain_pid < 0) {
			bench_error("fork: %s", strerror(errno));
			c->drain_pid = 0;
			st = BENCH_ERR;
		}
		sleep_ms(50);	/* let it connect and ask for events */
	}
	if (st != BENCH_OK) {
		umach_abort(c);
		free(c);
		return BENCH_ERR;
	}
	*out_ctx = c;
	return BENCH_OK;
}

static void umach_teardown(void *ctx)
{
	struct umach_ctx *c = ctx;
	if (c->kernel_pid > 0) {
		kill(c->kernel_pid, SIGTERM);
		for (int ms = 0; ms < KERNEL_STOP_MS; ms++) {
			if (waitpid(c->kernel_pid, NULL, WNOHANG) ==
			    c->kernel_pid) {
				c->kernel_pid = 0;
				break;
			}
			sleep_ms(1);
		}
	}
	umach_abort(c); /* SIGKILL if it did not stop; removes the files */
	free(c);
}

/* ---- the two sides ---- */

static enum bench_status umach_attach(void *ctx, enum bench_side side)
{
	struct umach_ctx *c = ctx;
	kern_return_t r;
	if (side == BENCH_SERVER) {
		r = port_allocate(task_self(), &c->port);
		if (r != KERN_SUCCESS) {
			bench_error("server: port_allocate: %s",
			            mach_error_string(r));
			return BENCH_ERR;
		}
		/* The name server boots with the kernel: retry until it is. */
		for (int ms = 0; ms < LOOKUP_MS; ms++) {
			r = netname_check_in(name_server_port, SERVICE_NAME,
			                     PORT_NULL, c->port);
			if (r == KERN_SUCCESS)
				return BENCH_OK;
			sleep_ms(1);
		}
		bench_error("server: netname_check_in: %s",
		            mach_error_string(r));
		return BENCH_ERR;
	}
	for (int ms = 0; ms < LOOKUP_MS; ms++) {
		r = netname_look_up(name_server_port, "", SERVICE_NAME,
		                    &c->port);
		if (r == KERN_SUCCESS) {
			thread_reply(); /* its slot and reply port, off the clock */
			return BENCH_OK;
		}
		sleep_ms(1);
	}
	bench_error("client: netname_look_up: %s", mach_error_string(r));
	return BENCH_ERR;
}

/* Send buf[0..len) as chunks of at most CHUNK_BYTES, each with its header
 * built in the HEAD_BYTES before it (saved and put back). */
static enum bench_status chunks_send(port_t dest, const void *buf,
                                     size_t len)
{
	char *p = (char *)buf; /* driver.h: may change bytes, put them back */
	for (size_t off = 0; off < len; off += CHUNK_BYTES) {
		size_t n = len - off < CHUNK_BYTES ? len - off : CHUNK_BYTES;
		struct umsg_head *m = (struct umsg_head *)(p + off - HEAD_BYTES);
		struct umsg_head saved;
		memcpy(&saved, m, sizeof saved);
		head_init(m, dest, PORT_NULL, n);
		msg_return_t r = msg_send(&m->h, MSG_OPTION_NONE, 0);
		memcpy(m, &saved, sizeof saved);
		if (r != SEND_SUCCESS) {
			bench_error("msg_send: %s", mach_error_string(r));
			return BENCH_ERR;
		}
	}
	return BENCH_OK;
}

static enum bench_status umach_send(void *ctx, const void *buf, size_t len)
{
	return chunks_send(((struct umach_ctx *)ctx)->port, buf, len);
}

static enum bench_status umach_call(void *ctx, const void *req, size_t req_len,
                                    void *rep, size_t rep_len)
{
	struct umach_ctx *c = ctx;
	/* All but the last chunk are plain sends; the last is the msg_rpc. */
	size_t last = req_len > CHUNK_BYTES
	                      ? (req_len - 1) / CHUNK_BYTES * CHUNK_BYTES
	                      : 0;
	if (rep_len > CHUNK_BYTES) {
		bench_error("reply of %zu bytes: over one message", rep_len);
		return BENCH_ERR;
	}
	if (last && chunks_send(c->port, req, last) != BENCH_OK)
		return BENCH_ERR;
	head_init(&c->msg.head, c->port, thread_reply(), req_len - last);
	memcpy(c->msg.bytes + HEAD_BYTES, (const char *)req + last,
	       req_len - last);
	msg_return_t r = msg_rpc(&c->msg.head.h, MSG_OPTION_NONE,
	                         sizeof c->msg, 0, 0);
	if (r != RPC_SUCCESS) {
		bench_error("msg_rpc: %s", mach_error_string(r));
		return BENCH_ERR;
	}
	if (c->msg.head.h.msg_size != HEAD_BYTES + rep_len) {
		bench_error("reply of %u bytes, expected %zu",
		            c->msg.head.h.msg_size, HEAD_BYTES + rep_len);
		return BENCH_ERR;
	}
	memcpy(rep, c->msg.bytes + HEAD_BYTES, rep_len);
	return BENCH_OK;
}

/* Receive len bytes as chunks straight into buf, each message landing
 * with its header in the HEAD_BYTES before its chunk (saved, put back). */
static enum bench_status umach_recv(void *ctx, void *buf, size_t len)
{
	struct umach_ctx *c = ctx;
	char *p = buf;
	for (size_t off = 0; off < len; off += CHUNK_BYTES) {
		size_t n = len - off < CHUNK_BYTES ? len - off : CHUNK_BYTES;
		struct umsg_head *m = (struct umsg_head *)(p + off - HEAD_BYTES);
		struct umsg_head saved;
		memcpy(&saved, m, sizeof saved);
		m->h.msg_size = (msg_size_t)(HEAD_BYTES + n);
		m->h.msg_local_port = c->port;
		msg_return_t r = msg_receive(&m->h, MSG_OPTION_NONE, 0);
		msg_size_t got = m->h.msg_size;
		c->reply_port = m->h.msg_remote_port;
		memcpy(m, &saved, sizeof saved);
		if (r != RCV_SUCCESS) {
			bench_error("msg_receive: %s", mach_error_string(r));
			return BENCH_ERR;
		}
		if (got != HEAD_BYTES + n) {
			bench_error("message of %u bytes, expected %zu", got,
			            HEAD_BYTES + n);
			return BENCH_ERR;
		}
	}
	return BENCH_OK;
}

static enum bench_status umach_reply(void *ctx, const void *buf, size_t len)
{
	struct umach_ctx *c = ctx;
	if (c->reply_port == PORT_NULL || len > CHUNK_BYTES) {
		bench_error("no reply port, or a reply over one message");
		return BENCH_ERR;
	}
	head_init(&c->msg.head, c->reply_port, PORT_NULL, len);
	memcpy(c->msg.bytes + HEAD_BYTES, buf, len);
	msg_return_t r = msg_send(&c->msg.head.h, MSG_OPTION_NONE, 0);
	if (r != SEND_SUCCESS) {
		bench_error("reply msg_send: %s", mach_error_string(r));
		return BENCH_ERR;
	}
	return BENCH_OK;
}

/*
 * The out-of-line row: a message is one header whose one item points at
 * the payload (msg_type_inline FALSE).  The kernel copies none of it; the
 * sending library copies the driver's buffer once into a sealed memfd
 * (it is not vm_allocate memory, protocol.md §13), the receiver maps the
 * memfd and copies it into the driver's buffer, as the driver requires.
 */
struct umsg_ool {
	msg_header_t h;
	msg_type_long_t t;
	const void *data;
};

static enum bench_status ool_put(struct umach_ctx *c, const void *buf,
				 size_t len, port_t reply)
{
	struct umsg_ool m;

	memset(&m, 0, sizeof m);
	m.h.msg_simple = FALSE;
	m.h.msg_size = sizeof m;
	m.h.msg_type = MSG_TYPE_NORMAL;
	m.h.msg_remote_port = c->port;
	m.h.msg_local_port = reply;
	m.t.msg_type_header.msg_type_inline = FALSE;
	m.t.msg_type_header.msg_type_longform = TRUE;
	m.t.msg_type_long_name = MSG_TYPE_BYTE;
	m.t.msg_type_long_size = 8;
	m.t.msg_type_long_number = (unsigned)len;
	m.data = buf;
	msg_return_t r = msg_send(&m.h, MSG_OPTION_NONE, 0);
	if (r != SEND_SUCCESS) {
		bench_error("msg_send (out of line): %s", mach_error_string(r));
		return BENCH_ERR;
	}
	return BENCH_OK;
}

static enum bench_status ool_recv(void *ctx, void *buf, size_t len)
{
	struct umach_ctx *c = ctx;
	struct umsg_ool m;

	if (len < BENCH_BIG_BYTES)
		return umach_recv(ctx, buf, len);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = c->port;
	msg_return_t r = msg_receive(&m.h, MSG_OPTION_NONE, 0);
	if (r != RCV_SUCCESS) {
		bench_error("msg_receive (out of line): %s (%u bytes)",
		            mach_error_string(r), m.h.msg_size);
		return BENCH_ERR;
	}
	if (m.t.msg_type_header.msg_type_inline ||
	    m.t.msg_type_long_number != len || m.data == NULL) {
		bench_error("not %zu bytes out of line", len);
		return BENCH_ERR;
	}
	memcpy(buf, m.data, len);
	vm_deallocate(task_self(), (vm_address_t)m.data, len);
	c->reply_port = m.h.msg_remote_port;
	return BENCH_OK;
}

static enum bench_status ool_send(void *ctx, const void *buf, size_t len)
{
	struct umach_ctx *c = ctx;

	if (len < BENCH_BIG_BYTES)	/* the driver's small messages */
		return chunks_send(c->port, buf, len);
	return ool_put(c, buf, len, PORT_NULL);
}

/* A 1 MiB request out of line, then the small reply inline. */
static enum bench_status ool_call(void *ctx, const void *req, size_t req_len,
				  void *rep, size_t rep_len)
{
	struct umach_ctx *c = ctx;

	if (req_len < BENCH_BIG_BYTES)
		return umach_call(ctx, req, req_len, rep, rep_len);
	if (ool_put(c, req, req_len, thread_reply()) != BENCH_OK)
		return BENCH_ERR;
	c->msg.head.h.msg_size = sizeof c->msg;
	c->msg.head.h.msg_local_port = thread_reply();
	msg_return_t r = msg_receive(&c->msg.head.h, MSG_OPTION_NONE, 0);
	if (r != RCV_SUCCESS || c->msg.head.h.msg_size != HEAD_BYTES + rep_len) {
		bench_error("reply: %s", mach_error_string(r));
		return BENCH_ERR;
	}
	memcpy(rep, c->msg.bytes + HEAD_BYTES, rep_len);
	return BENCH_OK;
}

static void umach_detach(void *ctx, enum bench_side side)
{
	(void)ctx;
	(void)side; /* the process's rights go with its kernel at teardown */
}

/* ---- the umach-stubs row: through umig's generated code ---- */

/* The request as the generated stub lays it out: header, a short
 * (MSG_TYPE_CHAR, 8, 64) descriptor, the 64 bytes. */
#define STUB_REQ_BYTES (sizeof(msg_header_t) + sizeof(msg_type_t) + \
                        BENCH_SMALL_BYTES)

static const char *stub_reply_src; /* server: the driver's reply bytes */

kern_return_t do_bench_rpc(port_t server, char *req, char *rep)
{
	(void)server;
	(void)req;
	memcpy(rep, stub_reply_src, BENCH_SMALL_BYTES);
	return KERN_SUCCESS;
}

static enum bench_status stub_call(void *ctx, const void *req, size_t req_len,
                                   void *rep, size_t rep_len)
{
	struct umach_ctx *c = ctx;
	if (req_len != BENCH_SMALL_BYTES || rep_len != BENCH_SMALL_BYTES) {
		bench_error("umach-stubs: only %u-byte calls", BENCH_SMALL_BYTES);
		return BENCH_ERR;
	}
	kern_return_t r = bench_rpc(c->port, (char *)req, rep);
	if (r != KERN_SUCCESS) {
		bench_error("bench_rpc: %s", mach_error_string(r));
		return BENCH_ERR;
	}
	return BENCH_OK;
}

static enum bench_status stub_recv(void *ctx, void *buf, size_t len)
{
	struct umach_ctx *c = ctx;
	c->msg.head.h.msg_size = sizeof c->msg;
	c->msg.head.h.msg_local_port = c->port;
	msg_return_t r = msg_receive(&c->msg.head.h, MSG_OPTION_NONE, 0);
	if (r != RCV_SUCCESS) {
		bench_error("msg_receive: %s", mach_error_string(r));
		return BENCH_ERR;
	}
	if (len != BENCH_SMALL_BYTES ||
	    c->msg.head.h.msg_size != STUB_REQ_BYTES) {
		bench_error("umach-stubs: request of %u bytes, expected %zu",
		            c->msg.head.h.msg_size, STUB_REQ_BYTES);
		return BENCH_ERR;
	}
	memcpy(buf, c->msg.bytes + STUB_REQ_BYTES - BENCH_SMALL_BYTES, len);
	return BENCH_OK;
}

static enum bench_status stub_reply(void *ctx, const void *buf, size_t len)
{
	struct umach_ctx *c = ctx;
	static union {
		msg_header_t h;
		death_pill_t pill;
		char bytes[bench_REPLY_SIZE_MAX];
	} out;
	if (len != BENCH_SMALL_BYTES) {
		bench_error("umach-stubs: only %u-byte replies",
		            BENCH_SMALL_BYTES);
		return BENCH_ERR;
	}
	stub_reply_src = buf;
	if (!bench_server(&c->msg.head.h, &out.h) ||
	    out.pill.RetCode != KERN_SUCCESS) {
		bench_error("bench_server: %s",
		            mach_error_string(out.pill.RetCode));
		return BENCH_ERR;
	}
	msg_return_t r = msg_send(&out.h, MSG_OPTION_NONE, 0);
	if (r != SEND_SUCCESS) {
		bench_error("reply msg_send: %s", mach_error_string(r));

/* ---- the LPC row: the same round trip over an LPC connection ---- */

static enum bench_status lpc_attach(void *ctx, enum bench_side side)
{
	struct umach_ctx *c = ctx;
	kern_return_t r = KERN_FAILURE;
	for (int ms = 0; ms < LOOKUP_MS; ms++) {
		r = side == BENCH_SERVER
		            ? umach_lpc_server_create(SERVICE_NAME, &c->lpc_srv)
		            : umach_lpc_connect(SERVICE_NAME, NULL, 0, &c->lpc);
		if (r == KERN_SUCCESS) {
			if (side == BENCH_CLIENT)
				thread_reply(); /* off the clock */
			return BENCH_OK;
		}
		sleep_ms(1);
	}
	bench_error("lpc %s: %s", side == BENCH_SERVER ? "server" : "connect",
	            mach_error_string(r));
	return BENCH_ERR;
}

static enum bench_status lpc_call(void *ctx, const void *req, size_t req_len,
                                  void *rep, size_t rep_len)
{
	struct umach_ctx *c = ctx;
	struct umach_lpc_buf b;
	kern_return_t r = umach_lpc_call(c->lpc, req, req_len, &b);
	if (r != KERN_SUCCESS) {
		bench_error("umach_lpc_call: %s", mach_error_string(r));
		return BENCH_ERR;
	}
	enum bench_status st = BENCH_OK;
	if (b.len != rep_len) {
		bench_error("reply of %zu bytes, expected %zu", b.len, rep_len);
		st = BENCH_ERR;
	} else {
		memcpy(rep, b.data, rep_len);
	}
	umach_lpc_buf_release(&b);
	return st;
}

/* Serve connects and closes until a request arrives; keep it in ctx. */
static enum bench_status lpc_recv(void *ctx, void *buf, size_t len)
{
	struct umach_ctx *c = ctx;
	struct umach_lpc_msg *m = &c->lpc_msg;
	struct umach_lpc_conn *conn;
	for (;;) {
		kern_return_t r = umach_lpc_receive(c->lpc_srv, m, -1);
		if (r != KERN_SUCCESS) {
			bench_error("umach_lpc_receive: %s",
			            mach_error_string(r));
			return BENCH_ERR;
		}
		if (m->kind == UMACH_LPC_CONNECT)
			umach_lpc_accept(c->lpc_srv, m, &conn);
		else if (m->kind == UMACH_LPC_CLOSED)
			umach_lpc_close(m->conn);
		else
			break;
	}
	if (m->buf.len != len) {
		bench_error("request of %zu bytes, expected %zu", m->buf.len,
		            len);
		umach_lpc_reply(m, KERN_FAILURE, NULL, 0);
		return BENCH_ERR;
	}
	memcpy(buf, m->buf.data, len);
	return BENCH_OK;
}

static enum bench_status lpc_reply(void *ctx, const void *buf, size_t len)
{
	struct umach_ctx *c = ctx;
	kern_return_t r = umach_lpc_reply(&c->lpc_msg, KERN_SUCCESS, buf, len);
	if (r != SEND_SUCCESS) {
		bench_error("umach_lpc_reply: %s", mach_error_string(r));
		return BENCH_ERR;
	}
	return BENCH_OK;
}

static const struct bench_peer umach_stubs_peer = {
	.slug = "umach-stubs",
	.label = "umach msg_rpc through umig-generated stubs",
	.tests = BENCH_TEST_BIT(BENCH_TEST_RTT),
	.setup = umach_setup, .attach = umach_attach, .send = umach_send,
	.call = stub_call, .recv = stub_recv, .reply = stub_reply,
	.detach = umach_detach, .teardown = umach_teardown,
	.abort = umach_abort,
};

static const struct bench_peer umach_rpc_peer = {
	.slug = "umach", .label = "umach msg_rpc; 1 MiB inline as 8 KiB msgs",
	.tests = BENCH_TESTS_ALL,
	.setup = umach_setup, .attach = umach_attach, .send = umach_send,
	.call = umach_call, .recv = umach_recv, .reply = umach_reply,
	.detach = umach_detach, .teardown = umach_teardown,
	.abort = umach_abort,
};

static const struct bench_peer umach_traced_peer = {
	.slug = "umach-traced", .label = "umach msg_rpc, traced by a monitor",
	.tests = BENCH_TEST_BIT(BENCH_TEST_RTT) |
	         BENCH_TEST_BIT(BENCH_TEST_ONEWAY),
	.setup = umach_setup, .attach = umach_attach, .send = umach_send,
	.call = umach_call, .recv = umach_recv, .reply = umach_reply,
	.detach = umach_detach, .teardown = umach_teardown,
	.abort = umach_abort,
};

static const struct bench_peer umach_ool_peer = {
	.slug = "umach-ool", .label = "umach 1 MiB out of line (memfd)",
	.tests = BENCH_TEST_BIT(BENCH_TEST_BW),
	.setup = umach_setup, .attach = umach_attach, .send = ool_send,
	.call = ool_call, .recv = ool_recv, .reply = umach_reply,
	.detach = umach_detach, .teardown = umach_teardown,
	.abort = umach_abort,
};

static const struct bench_peer umach_lpc_peer = {
	.slug = "umach-lpc",
	.label = "umach LPC call (umach/lpc.h); > 256 B via a section",
	.tests = BENCH_TEST_BIT(BENCH_TEST_RTT),
	.setup = umach_setup, .attach = lpc_attach, .call = lpc_call,
	.recv = lpc_recv, .reply = lpc_reply, .detach = umach_detach,
	.teardown = umach_teardown, .abort = umach_abort,
};

const struct bench_peer *const bench_umach_peers[] = {
	&umach_rpc_peer, &umach_traced_peer, &umach_ool_peer, &umach_stubs_peer,
	&umach_lpc_peer, NULL};
