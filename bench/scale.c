/*
 * scale.c: `make bench-scale`, how umachd's costs grow with the work
 * (issue #6 item 2, docs/PERFORMANCE.md "Scale").  Four sections, each on
 * private umachds (a socket in a fresh temporary directory, as
 * umach_peer.c does), every task a forked process:
 *   - N clients doing msg_rpc against one server: aggregate rate and p99;
 *   - S ports allocated in one task: ns per port_allocate and port_type,
 *     and umachd's memory per port;
 *   - T idle attached tasks: umachd's memory per task, channel excluded;
 *   - umachd's CPU with 10 idle tasks.
 * Memory comes from /proc/PID/smaps: the mappings named /memfd:... are the
 * task channels (and out-of-line regions), counted apart.  Every kernel
 * and child dies by its pid at the end, on failure and on Ctrl-C.
 * scale_mem.c has the ports, tasks and idle sections; scale_main.c prints
 * the report.
 */
#include <errno.h>
#include <fcntl.h>
#include <mach.h>
#include <mach_init.h>
#include <servers/netname.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scale.h"

#ifndef UMACH_BUILD_DIR
#define UMACH_BUILD_DIR "build"
#endif

#define SERVICE_NAME "umach-scale"
#define KERNEL_START_MS 5000
#define KERNEL_STOP_MS 2000
#define LOOKUP_MS 10000
#define RPC_TIMEOUT_MS 10000	/* a lost message fails the call */
#define RPC_MAGIC 0x5343414c45525043ull	/* "SCALERPC" */
#define REP_MAGIC 0x5343414c45524550ull	/* "SCALEREP" */
#define SAMPLES_MAX (1u << 20)	/* RTT samples kept per measurement */

/* One private kernel; file scope because the signal handler ends it. */
static struct {
	pid_t pid;
	char dir[64], sock[96], log[96];
} kern;
static pid_t kids[SCALE_KIDS_MAX];
static volatile int nkids;

double scale_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
	                      .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- children and kernels, ended by pid ---- */

/* Async-signal-safe: kill and reap every child, then the kernel. */
static void kids_kill(void)
{
	for (int i = nkids - 1; i >= 0; i--) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	nkids = 0;
}

static void kernel_abort(void)
{
	const char *const files[] = {kern.sock, kern.log, NULL};
	bench_daemon_abort(&kern.pid, kern.dir, files);
}

static void on_signal(int sig)
{
	kids_kill();
	kernel_abort();
	signal(sig, SIG_DFL);
	raise(sig);
}

void scale_cleanup(void)
{
	kids_kill();
	kernel_abort();
}

void scale_signals_init(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigfillset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Fork a child that dies with us; fn never returns.  The pid, or -1. */
pid_t scale_kid_start(void (*fn)(void *), void *arg)
{
	sigset_t all, old;
	pid_t parent = getpid();
	if (nkids == SCALE_KIDS_MAX)
		return -1;
	/* Signals stay blocked until the pid is recorded, so Ctrl-C cannot
	 * leave a child behind. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		fn(arg);
		_exit(0);
	}
	if (pid > 0)
		kids[nkids++] = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		bench_error("fork: %s", strerror(errno));
	return pid;
}

/* Reap the children from kids[base] on; 0 if all exited with status 0. */
int scale_kids_wait(int base)
{
	int bad = 0;
	while (nkids > base) {
		int st;
		pid_t pid = kids[nkids - 1];
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			bad = 1;
		nkids--;
	}
	return bad ? -1 : 0;
}

static void kernel_exec(void *arg)
{
	(void)arg;
	int log = open(kern.log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (log >= 0)
		dup2(log, 2);
	execl(UMACH_BUILD_DIR "/umachd", "umachd", "--foreground", "--socket",
	      kern.sock, (char *)NULL);
	_exit(127);
}

static int kernel_accepts(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%s", kern.sock);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 0;
	int ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
	close(s);
	return ok;
}

/* Start a private umachd; tasks forked afterwards attach to it.  Its pid
 * is not in kids[]: it is ended last, by kernel_stop or kernel_abort. */
int scale_kernel_start(void)
{
	snprintf(kern.dir, sizeof kern.dir, "/tmp/umach-scale-XXXXXX");
	if (!mkdtemp(kern.dir)) {
		bench_error("mkdtemp: %s", strerror(errno));
		kern.dir[0] = '\0';
		return -1;
	}
	snprintf(kern.sock, sizeof kern.sock, "%s/kernel.sock", kern.dir);
	snprintf(kern.log, sizeof kern.log, "%s/umachd.log", kern.dir);
	setenv("UMACH_SOCKET", kern.sock, 1);
	setenv("UMACH_NETNAMED", UMACH_BUILD_DIR "/umach-netnamed", 1);
	pid_t pid = scale_kid_start(kernel_exec, NULL);
	if (pid < 0) {
		kernel_abort();
		return -1;
	}
	/* Move it from kids[] to kern.pid, with signals blocked. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	nkids--;
	kern.pid = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (int ms = 0; ms < KERNEL_START_MS; ms++) {
		if (waitpid(kern.pid, NULL, WNOHANG) == kern.pid) {
			kern.pid = 0;
			break;
		}
		if (kernel_accepts())
			return 0;
		sleep_ms(1);
	}
	bench_error("umachd (%s/umachd) did not start; see %s",
	            UMACH_BUILD_DIR, kern.log);
	kernel_abort();
	return -1;
}

pid_t scale_kernel_pid(void) { return kern.pid; }

/* SIGTERM, then SIGKILL after KERNEL_STOP_MS; removes its files. */
void scale_kernel_stop(void)
{
	if (kern.pid > 0) {
		kill(kern.pid, SIGTERM);
		for (int ms = 0; ms < KERNEL_STOP_MS; ms++) {
			if (waitpid(kern.pid, NULL, WNOHANG) == kern.pid) {
				kern.pid = 0;
				break;
			}
			sleep_ms(1);
		}
	}
	kernel_abort();
}

/* ---- /proc ---- */

int scale_kmem_read(pid_t pid, struct scale_kmem *m)
{
	char path[64], line[512];
	int memfd = 0;
	snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
	FILE *f = fopen(path, "r");
	*m = (struct scale_kmem){0};
	if (!f) {
		bench_error("%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi, kib;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			memfd = strstr(line, "/memfd:") != NULL;
			continue;
		}
		if (sscanf(line, "Rss: %lu kB", &kib) == 1) {
			m->rss_kib += kib;
			if (memfd)
				m->memfd_rss_kib += kib;
		} else if (sscanf(line, "Pss: %lu kB", &kib) == 1) {
			m->pss_kib += kib;
			if (memfd)
				m->memfd_pss_kib += kib;
		}
	}
	fclose(f);
	return 0;
}

double scale_cpu_s(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1.0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1.0;
	buf[n] = '\0';
	/* Fields after the command, which may hold spaces: state is 3rd,
	 * utime the 14th and stime the 15th. */
	char *p = strrchr(buf, ')');
	unsigned long ut, st;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
	                        "%*u %lu %lu", &ut, &st) != 2)
		return -1.0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double scale_run_s(pid_t pid)
{
	char path[64];
	unsigned long long ns;
	snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1.0;
	int ok = fscanf(f, "%llu", &ns) == 1;
	fclose(f);
	return ok ? (double)ns / 1e9 : -1.0;
}

double scale_ctxsw(pid_t pid)
{
	char path[64], line[128];
	double n = -1.0;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f)) {
		unsigned long long v;
		if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1)
			n = (double)v;
	}
	if (f)
		fclose(f);
	return n;
}

/* ---- pipes between the driver and its children ---- */

int scale_put_byte(int fd, char c)
{
	return bench_write_full(fd, &c, 1) == BENCH_OK ? 0 : -1;
}

/* Read n bytes within SCALE_WAIT_MS; 0, or -1 after a message. */
int scale_get_bytes(int fd, void *buf, size_t n)
{
	char *p = buf;
	double end = scale_now() + SCALE_WAIT_MS / 1000.0;
	while (n > 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int left_ms = (int)((end - scale_now()) * 1000);
		int r = left_ms > 0 ? poll(&pfd, 1, left_ms) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		ssize_t got = r > 0 ? read(fd, p, n) : -1;
		if (got < 0 && r > 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			bench_error("a child %s", r == 0 ? "did not answer in "
			            "time" : "failed (see above)");
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

/* ---- section 1: N clients, one server ---- */

struct rpc_msg {
	msg_header_t h;
	msg_type_long_t t;
	uint64_t magic, epoch, client, seq;
	char pad[64 - 32];	/* 64 bytes of data each way */
};

/* Shared with the children (MAP_SHARED before fork). */
struct rpc_shared {
	volatile int stop;
	uint64_t epoch;
	uint32_t nclients, cap;	/* samples per client */
	uint64_t counts[SCALE_CLIENTS_MAX];
	float samples_us[];	/* nclients * cap */
};

struct rpc_ctx {
	struct rpc_shared *sh;
	int ready_w, go_r, go_w;	/* pipes to the driver */
	uint32_t client;
};

static void rpc_head(struct rpc_msg *m, port_t dest, port_t reply)
{
	memset(m, 0, sizeof *m);
	m->h.msg_simple = TRUE;
	m->h.msg_size = sizeof *m;
	m->h.msg_type = MSG_TYPE_NORMAL;
	m->h.msg_remote_port = dest;
	m->h.msg_local_port = reply;
	m->t.msg_type_header.msg_type_inline = TRUE;
	m->t.msg_type_header.msg_type_longform = TRUE;
	m->t.msg_type_long_name = MSG_TYPE_BYTE;
	m->t.msg_type_long_size = 8;
	m->t.msg_type_long_number = 64;
}

/* The server checks every request's stamp: each client's sequence
 * numbers must arrive in order, without a gap, in each epoch. */
static void rpc_server(void *arg)
{
	struct rpc_ctx *c = arg;
	uint64_t expect[SCALE_CLIENTS_MAX] = {0}, epoch = 0;
	struct rpc_msg m;
	port_t port;
	kern_return_t r = port_allocate(task_self(), &port);
	for (int ms = 0; r == KERN_SUCCESS && ms < LOOKUP_MS; ms++) {
		r = netname_check_in(name_server_port, SERVICE_NAME,
		                     PORT_NULL, port);
		if (r == KERN_SUCCESS)
			break;
		sleep_ms(1);
	}
	if (r != KERN_SUCCESS || scale_put_byte(c->ready_w, 'r') < 0) {
		bench_error("server: %s", mach_error_string(r));
		_exit(1);
	}
	for (;;) {
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = port;
		msg_return_t mr = msg_receive(&m.h, MSG_OPTION_NONE, 0);
		if (mr != RCV_SUCCESS || m.h.msg_size != sizeof m ||
		    m.magic != RPC_MAGIC || m.client >= SCALE_CLIENTS_MAX) {
			bench_error("server: bad request (%s, %u bytes)",
			            mach_error_string(mr), m.h.msg_size);
			_exit(1);
		}
		if (m.epoch != epoch) {
			memset(expect, 0, sizeof expect);
			epoch = m.epoch;
		}
		if (m.seq != expect[m.client]) {
			bench_error("server: client %llu message %llu lost "
			            "or out of order (got %llu)",
			            (unsigned long long)m.client,
			            (unsigned long long)expect[m.client],
			            (unsigned long long)m.seq);
			_exit(1);
		}
		expect[m.client]++;
		port_t to = m.h.msg_remote_port;
		uint64_t client = m.client, seq = m.seq;
		rpc_head(&m, to, PORT_NULL);
		m.magic = REP_MAGIC;
		m.epoch = epoch;
		m.client = client;
		m.seq = seq;
		mr = msg_send(&m.h, SEND_TIMEOUT, RPC_TIMEOUT_MS);
		if (mr != SEND_SUCCESS) {
			bench_error("server: reply: %s", mach_error_string(mr));
			_exit(1);
		}
	}
}

/* One call with its stamp checked; 0 or -1 after a message. */
static int rpc_call(port_t port, port_t reply, const struct rpc_ctx *c,
                    uint64_t seq)
{
	struct rpc_msg m;
	rpc_head(&m, port, reply);
	m.magic = RPC_MAGIC;
	m.epoch = c->sh->epoch;
	m.client = c->client;
	m.seq = seq;
	msg_return_t r = msg_rpc(&m.h, SEND_TIMEOUT | RCV_TIMEOUT, sizeof m,
	                         RPC_TIMEOUT_MS, RPC_TIMEOUT_MS);
	if (r != RPC_SUCCESS) {
		bench_error("client %u: call %llu: %s", c->client,
		            (unsigned long long)seq, mach_error_string(r));
		return -1;
	}
	if (m.h.msg_size != sizeof m || m.magic != REP_MAGIC ||
	    m.epoch != c->sh->epoch || m.client != c->client || m.seq != seq) {
		bench_error("client %u: reply to call %llu lost or wrong "
		            "(got client %llu seq %llu)", c->client,
		            (unsigned long long)seq,
		            (unsigned long long)m.client,
		            (unsigned long long)m.seq);
		return -1;
	}
	return 0;
}

static void rpc_client(void *arg)
{
	struct rpc_ctx *c = arg;
	port_t port = PORT_NULL;
	kern_return_t r = KERN_FAILURE;
	char go;
	close(c->go_w);	/* or the go pipe never reaches EOF */
	for (int ms = 0; ms < LOOKUP_MS; ms++) {
		r = netname_look_up(name_server_port, "", SERVICE_NAME, &port);
		if (r == KERN_SUCCESS)
			break;
		sleep_ms(1);
	}
	if (r != KERN_SUCCESS) {
		bench_error("client: netname_look_up: %s",
		            mach_error_string(r));
		_exit(1);
	}
	port_t reply = thread_reply();
	uint64_t seq = 0;
	for (; seq < SCALE_RPC_WARM; seq++)
		if (rpc_call(port, reply, c, seq) < 0)
			_exit(1);
	if (scale_put_byte(c->ready_w, 'r') < 0 || read(c->go_r, &go, 1) != 0)
		_exit(1);	/* the driver closes the go pipe: EOF is go */
	float *mine = c->sh->samples_us + (size_t)c->client * c->sh->cap;
	uint64_t n = 0;
	while (!c->sh->stop) {
		double t0 = scale_now();
		if (rpc_call(port, reply, c, seq++) < 0)
			_exit(1);
		if (c->sh->stop)
			break;	/* ended after the clock stopped */
		if (n < c->sh->cap)
			mine[n] = (float)((scale_now() - t0) * 1e6);
		n++;
	}
	c->sh->counts[c->client] = n;
	_exit(0);
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* What one RPC measurement gives. */
struct rpc_fig {
	double rate, p99_us;
	double kcpu_us;		/* umachd's run time per call */
	double ksleeps;		/* umachd's voluntary switches per call */
};

/* The rate and p99 of a finished run from the clients' counts and
 * samples (which it sorts in place); the number of calls counted. */
static uint64_t rpc_collect(struct rpc_shared *sh, uint32_t n, double secs,
                            struct rpc_fig *out)
{
	uint64_t total = 0;
	size_t kept = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t got = sh->counts[i];
		total += got;
		got = got < sh->cap ? got : sh->cap;
		memmove(sh->samples_us + kept,
		        sh->samples_us + (size_t)i * sh->cap,
		        got * sizeof(float));
		kept += got;
	}
	qsort(sh->samples_us, kept, sizeof(float), cmp_float);
	out->rate = (double)total / secs;
	out->p99_us = kept ? sh->samples_us[(size_t)(0.99 * (kept - 1))] : 0.0;
	return total;
}

/* Fork n clients, let them run for duration_s together, reap them. */
static int rpc_run(struct rpc_ctx *c, uint32_t n, double duration_s,
                   struct rpc_fig *out)
{
	int ready[2], go[2];
	char buf[SCALE_CLIENTS_MAX];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(go, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	c->sh->stop = 0;
	c->sh->epoch++;
	c->sh->nclients = n;
	c->sh->cap = SAMPLES_MAX / n;
	memset(c->sh->counts, 0, sizeof c->sh->counts);
	c->ready_w = ready[1];
	c->go_r = go[0];
	c->go_w = go[1];
	int ok = 1;
	for (uint32_t i = 0; i < n && ok; i++) {
		c->client = i;
		ok = scale_kid_start(rpc_client, c) > 0;
	}
	close(ready[1]);
	close(go[0]);
	ok = ok && scale_get_bytes(ready[0], buf, n) == 0;
	pid_t k = scale_kernel_pid();
	double k0 = scale_run_s(k), s0 = scale_ctxsw(k);
	double t0 = scale_now();
	close(go[1]);	/* go */
	if (ok)
		sleep_ms((long)(duration_s * 1000));
	c->sh->stop = 1;
	double t1 = scale_now();
	double k1 = scale_run_s(k), s1 = scale_ctxsw(k);
	close(ready[0]);
	if (scale_kids_wait(1) < 0 || !ok)
		return -1;
	uint64_t total = rpc_collect(c->sh, n, t1 - t0, out);
	/* The clients' last calls after "stop" are in k1 but not in total:
	 * at most n calls, well under 1 % of a run. */
	out->kcpu_us = total ? (k1 - k0) * 1e6 / (double)total : 0.0;
	out->ksleeps = total ? (s1 - s0) / (double)total : 0.0;
	return 0;
}

int scale_rpc(const struct scale_opts *o, struct scale_results *res)
{
	static const uint32_t sizes[SCALE_NCLIENTS] = SCALE_CLIENT_SIZES;
	size_t bytes = sizeof(struct rpc_shared) + SAMPLES_MAX * sizeof(float);
	struct rpc_ctx c = {0};
	int ready[2], rc = -1;
	char r;
	c.sh = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c.sh == MAP_FAILED || scale_kernel_start() < 0)
		goto out_unmap;
	if (pipe2(ready, O_CLOEXEC) < 0)
		goto out_stop;
	c.ready_w = ready[1];
	pid_t server = scale_kid_start(rpc_server, &c);
	close(ready[1]);
	if (server < 0 || scale_get_bytes(ready[0], &r, 1) < 0)
		goto out_close;
	/* The server is kids[0]; rpc_run reaps only the clients after it. */
	for (int round = 0; round < o->rounds; round++) {
		for (int i = 0; i < SCALE_NCLIENTS; i++) {
			struct rpc_fig fig;
			scale_progress("rpc: round %d, %u client%s", round + 1,
			               sizes[i], sizes[i] > 1 ? "s" : "");
			int st = rpc_run(&c, sizes[i], o->rpc_s, &fig);
			if (st < 0 || waitpid(server, NULL, WNOHANG) != 0)
				goto out_close;
			res->rpc_rate[i][round] = fig.rate;
			res->rpc_p99_us[i][round] = fig.p99_us;
			res->rpc_kcpu_us[i][round] = fig.kcpu_us;
			res->rpc_ksleeps[i][round] = fig.ksleeps;
		}
	}
	rc = 0;
out_close:
	close(ready[0]);
out_stop:
	kids_kill();
	scale_kernel_stop();
out_unmap:
	if (c.sh != MAP_FAILED)
		munmap(c.sh, bytes);
	if (rc < 0)
		bench_error("rpc section failed");
	return rc;
}
