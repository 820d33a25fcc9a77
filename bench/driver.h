/*
 * driver.h: the contract between the benchmark driver (driver.c) and the
 * peers it measures (one peer_*.c per IPC mechanism).  The driver owns the
 * method of docs/PERFORMANCE.md: it forks the server, pins, times, stamps and
 * checks every message, and reports.  A peer only moves bytes: it opens its
 * mechanism, and sends, receives and answers messages when told to.
 *
 * HOW TO ADD A PEER (this is how umach's rows plug in):
 *  1. Write one file, e.g. bench/umach_peer.c, that defines one
 *     `const struct bench_peer` per table row (a unique slug, a label, the
 *     tests it can run, every hook; abort may be NULL if setup starts no
 *     process and creates no name) and a NULL-terminated list of them:
 *       const struct bench_peer *const bench_umach_peers[] =
 *               { &umach_rpc_peer, NULL };
 *     A broker (umachd, like dbus-daemon in peer_dbus.c) is started by
 *     setup, before the driver pins anything, and ended by pid in teardown
 *     and abort.
 *  2. For umach nothing else is needed: bench.mk compiles
 *     bench/umach_peer.c with -DBENCH_HAVE_UMACH and links libumach as soon
 *     as the file exists, and main.c's bench_peer_sets[] already includes
 *     bench_umach_peers under that macro.  Any other list of rows is
 *     declared below and added to bench_peer_sets[] the same way.
 * Nothing else changes: rounds, placements, stamps, the table, the ratio
 * columns, the .dat files and the plot pick the new rows up by themselves.
 */
#ifndef BENCH_DRIVER_H
#define BENCH_DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum bench_status {
	BENCH_OK = 0,
	BENCH_ERR = 1,  /* the mechanism failed: the whole run fails */
	BENCH_SKIP = 2, /* setup only: the machine lacks something; skip row */
};

enum bench_test { BENCH_TEST_RTT, BENCH_TEST_ONEWAY, BENCH_TEST_BW };
#define BENCH_TEST_BIT(t) (1u << (t))
#define BENCH_TESTS_ALL 7u

enum bench_side { BENCH_CLIENT, BENCH_SERVER };

#define BENCH_SMALL_BYTES 64u         /* RTT and one-way messages, replies */
#define BENCH_BIG_BYTES (1u << 20)    /* the bandwidth test's messages */
/* Every message buffer the driver hands a peer has this many writable
 * scratch bytes *before* it, so a peer whose API wants a header in front of
 * the payload (SysV's mtype) need not copy the payload once more.  A peer
 * may also change bytes inside a buffer it was given to send if it puts
 * them back before returning (to send a message in pieces). */
#define BENCH_HEADROOM_BYTES 64u

/* What one measurement asks of a peer.  The client sends `messages`
 * requests of `request_bytes`; the server answers some of them (the driver
 * decides which) with replies of `reply_bytes`. */
struct bench_job {
	enum bench_test test;
	size_t request_bytes;
	size_t reply_bytes;
	uint64_t messages;      /* warm-up included */
	/* Where the driver pins the two sides for this measurement, or -1
	 * when unpinned; lets setup place a daemon it starts (umachd). */
	int client_cpu, server_cpu;
};

/*
 * One row of the table.  Every hook returns BENCH_OK or BENCH_ERR (setup
 * may also return BENCH_SKIP), and prints its own reason with bench_error()
 * before failing.  Order for one measurement:
 *   parent: setup -> fork -> attach(CLIENT) -> send/call ... -> detach(CLIENT)
 *   child:           attach(SERVER) -> recv/reply ... -> detach(SERVER)
 *   parent: waitpid(child) -> teardown
 * setup runs unpinned and before the fork, so pipes and queues it creates
 * are inherited and any daemon it starts stays unpinned.
 */
struct bench_peer {
	const char *slug;     /* short name: --peers, file names, the plot */
	const char *label;    /* the row's name in the table */
	unsigned tests;       /* BENCH_TEST_BIT()s of the tests it can run */
	const void *variant;  /* peer-private: one file, several rows */

	/* Parent, once per measurement.  Allocates *out_ctx (teardown frees
	 * it), creates the channel, starts any daemon.  May block briefly. */
	enum bench_status (*setup)(const struct bench_peer *self,
	                           const struct bench_job *job, void **out_ctx);
	/* In each process after the fork: close the other side's ends, connect.
	 * The server is "ready" when attach returns; only then does the client
	 * send.  */
	enum bench_status (*attach)(void *ctx, enum bench_side side);
	/* Client: send one request that gets no reply; may block when full. */
	enum bench_status (*send)(void *ctx, const void *buf, size_t len);
	/* Client: send one request and block for its reply of rep_len bytes. */
	enum bench_status (*call)(void *ctx, const void *req, size_t req_len,
	                          void *rep, size_t rep_len);
	/* Server: block for the next request, exactly len bytes, into buf. */
	enum bench_status (*recv)(void *ctx, void *buf, size_t len);
	/* Server: answer the request recv returned last. */
	enum bench_status (*reply)(void *ctx, const void *buf, size_t len);
	/* In each process, after its loop, success or not. */
	void (*detach)(void *ctx, enum bench_side side);
	/* Parent, after the server was reaped: stop daemons, remove names,
	 * free the context. */
	void (*teardown)(void *ctx);
	/* Called from a signal handler (Ctrl-C, watchdog) instead of teardown:
	 * must be async-signal-safe (kill by pid, waitpid, unlink, close; no
	 * malloc/free/stdio).  NULL if there is nothing outside the process. */
	void (*abort)(void *ctx);
};

/* The built-in rows (peers.c); NULL-terminated. */
extern const struct bench_peer *const bench_os_peers[];
#ifdef BENCH_HAVE_UMACH
extern const struct bench_peer *const bench_umach_peers[];
#endif

/* Services the driver offers peers (support.c). */

/* Print "bench: <slug>: <message>" to stderr; for failures. */
void bench_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Add a note printed under the table (deduplicated); e.g. a fallback. */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Make /proc/sys/<path> at least min_value for the rest of the run; the
 * original value is restored when the driver exits, also on Ctrl-C.
 * Returns BENCH_OK, or BENCH_ERR (no message) if it cannot be raised. */
enum bench_status bench_sysctl_raise(const char *path, long min_value);
/* Write or read exactly len bytes on a blocking fd, retrying on EINTR and
 * short transfers.  BENCH_ERR with a message on error or end of file. */
enum bench_status bench_write_full(int fd, const void *buf, size_t len);
enum bench_status bench_read_full(int fd, void *buf, size_t len);
/* Async-signal-safe cleanup of a helper daemon (a peer's abort hook):
 * SIGKILL *pid and reap it, then unlink each of the NULL-terminated files
 * and rmdir dir.  Clears *pid and dir[0], so a second call does nothing. */
void bench_daemon_abort(pid_t *pid, char *dir, const char *const *files);

#endif
