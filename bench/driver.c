/*
 * driver.c: `make bench`'s harness.  It runs every row of the peer table
 * (driver.h) through three tests -- RTT of 64 B request/reply, one-way rate
 * of 64 B messages, 1 MiB bandwidth -- in interleaved rounds, with the
 * client in this process and the server in a forked child, and hands the
 * figures to report.c.  Every message is stamped here and checked at the
 * other end, so a peer that loses or reorders one fails the run.  Ctrl-C
 * and the watchdog end the server and every daemon by pid before exiting.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define STAMP_MAGIC 0x756d6163u      /* "umac" */
#define FLAG_REPLY 1u                /* the server must answer this one */
#define FLAG_STOP 2u                 /* the server exits after answering */
#define WATCHDOG_S 60                 /* no progress for this long: hung */
#define WATCHDOG_EVERY 4096u           /* messages between re-arming it */
#define STR_(x) #x
#define STR(x) STR_(x)

/* Touched by the signal handlers: only the parent's copy means anything. */
static pid_t driver_pid;
static volatile pid_t server_pid;
static const struct bench_peer *volatile active_peer;
static void *volatile active_ctx;
static cpu_set_t original_cpus;

static void say(const char *s) { (void)!write(2, s, strlen(s)); }

/* Async-signal-safe: end everything this run started outside itself. */
static void cleanup_now(void)
{
	pid_t pid = server_pid;
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		server_pid = 0;
	}
	const struct bench_peer *peer = active_peer;
	if (peer && peer->abort)
		peer->abort(active_ctx);
	active_peer = NULL;
	bench_sysctl_restore();
}

static void on_signal(int sig)
{
	if (getpid() != driver_pid)
		_exit(1);   /* a child between fork and its own handlers */
	if (sig == SIGALRM)
		say("bench: no progress for " STR(WATCHDOG_S) " s: a message "
		    "was lost or a peer hung; ending the run\n");
	else
		say("bench: interrupted; ending the server and daemons\n");
	cleanup_now();
	if (sig == SIGALRM)
		_exit(1);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

/* A server that fails exits non-zero at once; without this the client
 * would wait for the watchdog.  A clean exit is reaped by measure(). */
static void on_child(int sig)
{
	siginfo_t info = {0};
	int saved = errno;
	(void)sig;
	pid_t pid = server_pid;
	if (getpid() == driver_pid && pid > 0 &&
	    waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    info.si_pid == pid &&
	    (info.si_code != CLD_EXITED || info.si_status != 0)) {
		say("bench: the server process failed; ending the run\n");
		cleanup_now();
		_exit(1);
	}
	errno = saved;
}

static void signals_install(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGALRM};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
}

/* Blocks the handlers while active_* and a peer's outside state disagree. */
static void signals_block(int block)
{
	sigset_t set;
	sigemptyset(&set);
	int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGALRM, SIGCHLD};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

static void signals_default(void)
{
	int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGALRM, SIGCHLD};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], SIG_DFL);
	signals_block(0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A message buffer with BENCH_HEADROOM_BYTES of scratch in front; pages
 * touched so that the first message does not pay for faults. */
static char *buf_alloc(size_t size)
{
	char *base = aligned_alloc(64, BENCH_HEADROOM_BYTES + size);
	if (!base)
		return NULL;
	memset(base, 0xa5, BENCH_HEADROOM_BYTES + size);
	return base + BENCH_HEADROOM_BYTES;
}

static void buf_free(char *buf)
{
	if (buf)
		free(buf - BENCH_HEADROOM_BYTES);
}

/* Stamp: sequence, flags and magic at the head, the sequence again at the
 * tail, so that a message cut short or spliced from two also fails. */
static void stamp_put(char *buf, size_t len, uint64_t seq, uint32_t flags)
{
	uint32_t magic = STAMP_MAGIC;
	memcpy(buf, &seq, 8);
	memcpy(buf + 8, &flags, 4);
	memcpy(buf + 12, &magic, 4);
	memcpy(buf + len - 8, &seq, 8);
}

static enum bench_status stamp_check(const char *buf, size_t len,
                                     uint64_t want_seq, uint32_t *out_flags,
                                     const char *where)
{
	uint64_t head, tail;
	uint32_t magic;
	memcpy(&head, buf, 8);
	memcpy(out_flags, buf + 8, 4);
	memcpy(&magic, buf + 12, 4);
	memcpy(&tail, buf + len - 8, 8);
	if (magic == STAMP_MAGIC && head == want_seq && tail == want_seq)
		return BENCH_OK;
	bench_error("%s: message %llu lost or out of order: got head %llu, "
	            "tail %llu, magic %#x", where, (unsigned long long)want_seq,
	            (unsigned long long)head, (unsigned long long)tail, magic);
	return BENCH_ERR;
}

/* Server: answer what is flagged, until the message flagged STOP. */
static enum bench_status server_loop(const struct bench_peer *peer, void *ctx,
                                     const struct bench_job *job)
{
	char *req = buf_alloc(job->request_bytes);
	char *rep = buf_alloc(job->reply_bytes);
	enum bench_status st = req && rep ? BENCH_OK : BENCH_ERR;
	for (uint64_t seq = 0; st == BENCH_OK; seq++) {
		uint32_t flags = 0;
		st = peer->recv(ctx, req, job->request_bytes);
		if (st == BENCH_OK)
			st = stamp_check(req, job->request_bytes, seq, &flags,
			                 "server");
		if (st != BENCH_OK || !(flags & FLAG_REPLY))
			continue;
		stamp_put(rep, job->reply_bytes, seq, flags);
		st = peer->reply(ctx, rep, job->reply_bytes);
		if (flags & FLAG_STOP)
			break;
	}
	buf_free(req);
	buf_free(rep);
	return st;
}

/* Client, one request: call or send by its flags; check the reply. */
static enum bench_status client_one(const struct bench_peer *peer, void *ctx,
                                    char *req, char *rep,
                                    const struct bench_job *job,
                                    uint64_t seq, uint32_t flags)
{
	uint32_t got_flags;
	stamp_put(req, job->request_bytes, seq, flags);
	if (!(flags & FLAG_REPLY))
		return peer->send(ctx, req, job->request_bytes);
	if (peer->call(ctx, req, job->request_bytes, rep, job->reply_bytes))
		return BENCH_ERR;
	return stamp_check(rep, job->reply_bytes, seq, &got_flags, "client");
}

/* RTT: every request is a call; the ones after warm_n are timed. */
static enum bench_status client_rtt(const struct bench_peer *peer, void *ctx,
                                    const struct bench_job *job,
                                    uint64_t warm_n, double *out_us)
{
	char *req = buf_alloc(job->request_bytes);
	char *rep = buf_alloc(job->reply_bytes);
	enum bench_status st = req && rep ? BENCH_OK : BENCH_ERR;
	for (uint64_t i = 0; st == BENCH_OK && i < job->messages; i++) {
		uint32_t flags = FLAG_REPLY;
		if (i + 1 == job->messages)
			flags |= FLAG_STOP;
		uint64_t t0 = now_ns();
		st = client_one(peer, ctx, req, rep, job, i, flags);
		uint64_t t1 = now_ns();
		if (i >= warm_n)
			out_us[i - warm_n] = (double)(t1 - t0) / 1000.0;
		if (i % WATCHDOG_EVERY == 0)
			alarm(WATCHDOG_S);
	}
	buf_free(req);
	buf_free(rep);
	return st;
}

/* One-way and bandwidth: the clock runs from the server's answer to the
 * last warm-up message to its answer to the last measured one. */
static enum bench_status client_stream(const struct bench_peer *peer,
                                       void *ctx, const struct bench_job *job,
                                       uint64_t warm_n, double *out_s)
{
	char *req = buf_alloc(job->request_bytes);
	char *rep = buf_alloc(job->reply_bytes);
	enum bench_status st = req && rep ? BENCH_OK : BENCH_ERR;
	uint64_t t0 = now_ns();
	for (uint64_t i = 0; st == BENCH_OK && i < job->messages; i++) {
		uint32_t flags = 0;
		if (i + 1 == warm_n)
			flags = FLAG_REPLY;
		if (i + 1 == job->messages)
			flags = FLAG_REPLY | FLAG_STOP;
		st = client_one(peer, ctx, req, rep, job, i, flags);
		if (i + 1 == warm_n)
			t0 = now_ns();
		if (i % WATCHDOG_EVERY == 0)
			alarm(WATCHDOG_S);
	}
	*out_s = (double)(now_ns() - t0) / 1e9;
	buf_free(req);
	buf_free(rep);
	return st;
}

static void pin_self(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) < 0)
		bench_error("sched_setaffinity(%d): %s", cpu, strerror(errno));
}

/* The forked server: its own handlers, pinned, attached, serving.  Tells
 * the parent it is ready by writing one byte on ready_fd. */
static void server_main(const struct bench_peer *peer, void *ctx,
                        const struct bench_job *job, enum bench_place place,
                        int ready_fd)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != driver_pid)
		_exit(1);
	signals_default();
	if (place == BENCH_SAME_CPU)
		pin_self(0);
	else if (place == BENCH_SPLIT_CPUS)
		pin_self(1);
	if (peer->attach(ctx, BENCH_SERVER) != BENCH_OK)
		_exit(1);
	enum bench_status st = BENCH_OK;
	if (bench_write_full(ready_fd, "r", 1) != BENCH_OK)
		st = BENCH_ERR;
	close(ready_fd);
	if (st == BENCH_OK)
		st = server_loop(peer, ctx, job);
	peer->detach(ctx, BENCH_SERVER);
	_exit(st == BENCH_OK ? 0 : 1);
}

struct measurement {
	struct bench_job job;
	uint64_t warm_n;
	double *rtt_us;       /* RTT: job.messages - warm_n samples */
	double seconds;       /* one-way, bandwidth */
};

/* Client side of one measurement, once the server is forked. */
static enum bench_status run_client(const struct bench_peer *peer, void *ctx,
                                    struct measurement *m, int ready_fd)
{
	char byte;
	if (peer->attach(ctx, BENCH_CLIENT) != BENCH_OK)
		return BENCH_ERR;
	enum bench_status st = bench_read_full(ready_fd, &byte, 1);
	alarm(WATCHDOG_S);
	if (st == BENCH_OK && m->job.test == BENCH_TEST_RTT)
		st = client_rtt(peer, ctx, &m->job, m->warm_n, m->rtt_us);
	else if (st == BENCH_OK)
		st = client_stream(peer, ctx, &m->job, m->warm_n, &m->seconds);
	alarm(0);
	peer->detach(ctx, BENCH_CLIENT);
	return st;
}

/* Fork the server, run the client, reap the server.  The server is killed
 * if the client failed; a server that failed fails the measurement. */
static enum bench_status run_pair(const struct bench_peer *peer, void *ctx,
                                  struct measurement *m, enum bench_place place)
{
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0) {
		bench_error("pipe: %s", strerror(errno));
		return BENCH_ERR;
	}
	signals_block(1);
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		server_main(peer, ctx, &m->job, place, ready[1]);
	}
	server_pid = pid;
	signals_block(0);
	close(ready[1]);
	if (pid < 0) {
		bench_error("fork: %s", strerror(errno));
		close(ready[0]);
		return BENCH_ERR;
	}
	enum bench_status st = run_client(peer, ctx, m, ready[0]);
	close(ready[0]);
	int status = 0;
	signals_block(1);
	if (st != BENCH_OK)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	server_pid = 0;
	signals_block(0);
	if (st == BENCH_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		st = BENCH_ERR;
	return st;
}

static void job_init(struct bench_job *job, enum bench_test test,
                     uint64_t messages)
{
	job->test = test;
	job->request_bytes =
		test == BENCH_TEST_BW ? BENCH_BIG_BYTES : BENCH_SMALL_BYTES;
	job->reply_bytes = BENCH_SMALL_BYTES;
	job->messages = messages;
	job->client_cpu = job->server_cpu = -1;
}

/* Store one run's figure in its row. */
static void record(struct bench_row *row, const struct measurement *m,
                   uint64_t n)
{
	struct bench_cell *cell = &row->oneway_msg_per_s;
	double value = (double)n / m->seconds;
	if (m->job.test == BENCH_TEST_RTT) {
		bench_rtt_run_done(row, m->rtt_us);
		return;
	}
	if (m->job.test == BENCH_TEST_BW) {
		cell = &row->bw_mib_per_s;
		value = (double)n * (double)m->job.request_bytes /
		        (1024.0 * 1024.0) / m->seconds;
	}
	if (cell->runs < BENCH_MAX_ROUNDS)
		cell->run[cell->runs++] = value;
}

enum bench_status bench_measure(struct bench_row *row, enum bench_test test,
                                uint64_t warm_n, uint64_t n)
{
	const struct bench_peer *peer = row->peer;
	struct measurement m = {.warm_n = warm_n};
	void *ctx = NULL;
	job_init(&m.job, test, warm_n + n);
	if (row->place != BENCH_UNPINNED) {
		m.job.client_cpu = 0;
		m.job.server_cpu = row->place == BENCH_SAME_CPU ? 0 : 1;
	}
	if (test == BENCH_TEST_RTT) {
		size_t done = (size_t)row->rtt_median_us.runs;
		row->rtt_per_run = n;
		m.rtt_us = row->rtt_pool_us + done * n;
	}
	bench_set_current(row->slug);
	/* Unpinned, so that a daemon started by setup stays unpinned. */
	signals_block(1);
	enum bench_status st = peer->setup(peer, &m.job, &ctx);
	if (st == BENCH_OK) {
		active_ctx = ctx;
		active_peer = peer;
	}
	signals_block(0);
	if (st != BENCH_OK)
		return st;
	if (row->place != BENCH_UNPINNED)
		pin_self(0);
	st = run_pair(peer, ctx, &m, row->place);
	sched_setaffinity(0, sizeof original_cpus, &original_cpus);
	signals_block(1);
	peer->teardown(ctx);
	active_peer = NULL;
	signals_block(0);
	if (st == BENCH_OK)
		record(row, &m, n);
	return st;
}

void bench_driver_init(void)
{
	driver_pid = getpid();
	/* A peer gone mid-write must fail the run with a message and the
	 * cleanup, not kill the driver silently. */
	signal(SIGPIPE, SIG_IGN);
	sched_getaffinity(0, sizeof original_cpus, &original_cpus);
	signals_install();
}

void bench_driver_fini(void)
{
	signals_block(1);
	cleanup_now();
	signals_block(0);
}
