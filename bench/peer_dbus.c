/*
 * peer_dbus.c: D-Bus method calls through a private dbus-daemon, never the
 * system or session bus.  setup writes a config listening on a socket in a
 * fresh temporary directory, starts the daemon (unpinned: the driver pins
 * only after setup) and reads its address; teardown, or abort on Ctrl-C,
 * kills it by its own pid and removes the directory.  The server owns the
 * name org.umach.Bench and answers Call(ay) -> ay.  One-way messages are
 * Sink(ay) calls flagged NO_REPLY_EXPECTED, with a Sync() round trip every
 * 1,024 messages or 8 MiB, because the daemon rejects messages for a
 * receiver whose queue is over its limit (peers.md note b).
 */
#include <dbus/dbus.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver.h"

#define BUS_NAME "org.umach.Bench"
#define BUS_PATH "/org/umach/Bench"
#define SYNC_EVERY_MSGS 1024u
#define SYNC_EVERY_BYTES (8u << 20)
#define CALL_TIMEOUT_MS 30000
#define DAEMON_START_MS 5000

struct dbus_ctx {
	/* Written by setup, read by abort from a signal handler. */
	pid_t daemon_pid;
	char dir[64], conf[96], sock[96], log[96];
	char address[256];
	/* Per process, after attach. */
	DBusConnection *conn;
	DBusMessage *pending;       /* server: the Call recv returned */
	unsigned unsynced_msgs;     /* client: Sinks since the last Sync */
	size_t unsynced_bytes;
};

/* receive_sender="*" matters: without it the daemon rejects every reply
 * (peers.md, "What did not work"). */
static const char config_fmt[] =
	"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus "
	"Configuration 1.0//EN\"\n"
	" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	"<busconfig>\n"
	"  <type>umach-bench</type>\n"
	"  <listen>unix:path=%s</listen>\n"
	"  <auth>EXTERNAL</auth>\n"
	"  <policy context=\"default\">\n"
	"    <allow own=\"*\"/>\n"
	"    <allow send_destination=\"*\"/>\n"
	"    <allow receive_sender=\"*\"/>\n"
	"  </policy>\n"
	"</busconfig>\n";

static enum bench_status config_write(struct dbus_ctx *c)
{
	snprintf(c->dir, sizeof c->dir, "/tmp/umach-bench-dbus-XXXXXX");
	if (!mkdtemp(c->dir)) {
		bench_error("mkdtemp: %s", strerror(errno));
		return BENCH_ERR;
	}
	snprintf(c->conf, sizeof c->conf, "%s/bus.conf", c->dir);
	snprintf(c->sock, sizeof c->sock, "%s/bus", c->dir);
	snprintf(c->log, sizeof c->log, "%s/daemon.log", c->dir);
	FILE *f = fopen(c->conf, "w");
	if (!f) {
		bench_error("%s: %s", c->conf, strerror(errno));
		return BENCH_ERR;
	}
	fprintf(f, config_fmt, c->sock);
	return fclose(f) == 0 ? BENCH_OK : BENCH_ERR;
}

/* The daemon's child side: dies with the driver, logs to the temp dir. */
static void daemon_exec(const struct dbus_ctx *c, int addr_fd, pid_t parent)
{
	char conf_arg[128], addr_arg[32];
	sigset_t none;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The driver forks us with its signals blocked and SIGPIPE ignored;
	 * both would survive exec. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (getppid() != parent)
		_exit(127);
	int log = open(c->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (log >= 0)
		dup2(log, 2);
	snprintf(conf_arg, sizeof conf_arg, "--config-file=%s", c->conf);
	snprintf(addr_arg, sizeof addr_arg, "--print-address=%d", addr_fd);
	execlp("dbus-daemon", "dbus-daemon", "--nofork", "--nopidfile",
	       "--nosyslog",
	       conf_arg, addr_arg, (char *)NULL);
	_exit(127);
}

/* The daemon prints its address once it listens: wait for that line. */
static enum bench_status address_read(struct dbus_ctx *c, int fd)
{
	size_t used = 0;
	while (used + 1 < sizeof c->address) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, DAEMON_START_MS) <= 0)
			break;
		size_t room = sizeof c->address - 1 - used;
		ssize_t n = read(fd, c->address + used, room);
		if (n <= 0)
			break;
		used += (size_t)n;
		c->address[used] = '\0';
		char *nl = strchr(c->address, '\n');
		if (nl) {
			*nl = '\0';
			return BENCH_OK;
		}
	}
	bench_error("dbus-daemon did not start; see its log in %s", c->log);
	return BENCH_ERR;
}

static enum bench_status daemon_start(struct dbus_ctx *c)
{
	int addr[2];
	pid_t parent = getpid();
	if (pipe(addr) < 0)
		return BENCH_ERR;
	c->daemon_pid = fork();
	if (c->daemon_pid == 0) {
		close(addr[0]);
		daemon_exec(c, addr[1], parent);
	}
	close(addr[1]);
	enum bench_status st = BENCH_ERR;
	if (c->daemon_pid > 0)
		st = address_read(c, addr[0]);
	close(addr[0]);
	return st;
}

/* Async-signal-safe: by pid, then the files it made, then the dir. */
static void dbus_abort(void *ctx)
{
	struct dbus_ctx *c = ctx;
	const char *const files[] = { c->sock, c->conf, c->log, NULL };

	bench_daemon_abort(&c->daemon_pid, c->dir, files);
}

static enum bench_status dbus_setup(const struct bench_peer *self,
                                    const struct bench_job *job,
                                    void **out_ctx)
{
	struct dbus_ctx *c = calloc(1, sizeof *c);
	(void)self;
	(void)job;
	if (!c)
		return BENCH_ERR;
	enum bench_status st = config_write(c);
	if (st == BENCH_OK)
		st = daemon_start(c);
	if (st != BENCH_OK) {
		dbus_abort(c);
		free(c);
		return BENCH_SKIP;
	}
	*out_ctx = c;
	return BENCH_OK;
}

static enum bench_status dbus_attach(void *ctx, enum bench_side side)
{
	struct dbus_ctx *c = ctx;
	DBusError err;
	dbus_error_init(&err);
	c->conn = dbus_connection_open_private(c->address, &err);
	if (c->conn && !dbus_bus_register(c->conn, &err)) {
		dbus_connection_close(c->conn);
		dbus_connection_unref(c->conn);
		c->conn = NULL;
	}
	if (c->conn) {
		dbus_connection_set_exit_on_disconnect(c->conn, FALSE);
		if (side == BENCH_CLIENT)
			return BENCH_OK;
		if (dbus_bus_request_name(c->conn, BUS_NAME,
		                          DBUS_NAME_FLAG_DO_NOT_QUEUE, &err) ==
		    DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER)
			return BENCH_OK;
	}
	bench_error("%s: %s", side == BENCH_CLIENT ? "client" : "server",
	            dbus_error_is_set(&err) ? err.message : "cannot connect");
	dbus_error_free(&err);
	return BENCH_ERR;
}

static DBusMessage *call_new(const char *method, const void *buf,
                             size_t len)
{
	DBusMessage *m = dbus_message_new_method_call(BUS_NAME, BUS_PATH,
	                                              BUS_NAME, method);
	int n = (int)len;
	if (m && buf && !dbus_message_append_args(m, DBUS_TYPE_ARRAY,
	                                          DBUS_TYPE_BYTE, &buf, n,
	                                          DBUS_TYPE_INVALID)) {
		dbus_message_unref(m);
		m = NULL;
	}
	return m;
}

/* Copy the single ay argument of m into buf; it must be len bytes. */
static enum bench_status bytes_get(DBusMessage *m, void *buf, size_t len)
{
	DBusError err;
	const void *data = NULL;
	int n = 0;
	dbus_error_init(&err);
	if (!dbus_message_get_args(m, &err, DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE,
	                           &data, &n, DBUS_TYPE_INVALID)) {
		bench_error("bad message: %s", err.message);
		dbus_error_free(&err);
		return BENCH_ERR;
	}
	if ((size_t)n != len) {
		bench_error("message of %d bytes, expected %zu", n, len);
		return BENCH_ERR;
	}
	memcpy(buf, data, len);
	return BENCH_OK;
}

/* Send m (which this consumes) and block for its reply; rep may be NULL. */
static enum bench_status call_block(struct dbus_ctx *c, DBusMessage *m,
                                    void *rep, size_t rep_len)
{
	DBusError err;
	dbus_error_init(&err);
	if (!m) {
		bench_error("out of memory");
		return BENCH_ERR;
	}
	DBusMessage *r = dbus_connection_send_with_reply_and_block(
		c->conn, m, CALL_TIMEOUT_MS, &err);
	dbus_message_unref(m);
	if (!r) {
		bench_error("call: %s", err.message);
		dbus_error_free(&err);
		return BENCH_ERR;
	}
	enum bench_status st = rep ? bytes_get(r, rep, rep_len) : BENCH_OK;
	dbus_message_unref(r);
	c->unsynced_msgs = 0;
	c->unsynced_bytes = 0;
	return st;
}

static enum bench_status dbus_send(void *ctx, const void *buf, size_t len)
{
	struct dbus_ctx *c = ctx;
	DBusMessage *m = call_new("Sink", buf, len);
	if (!m)
		return BENCH_ERR;
	dbus_message_set_no_reply(m, TRUE);
	dbus_bool_t ok = dbus_connection_send(c->conn, m, NULL);
	dbus_message_unref(m);
	if (!ok)
		return BENCH_ERR;
	c->unsynced_msgs++;
	c->unsynced_bytes += len;
	if (c->unsynced_msgs < SYNC_EVERY_MSGS &&
	    c->unsynced_bytes < SYNC_EVERY_BYTES)
		return BENCH_OK;
	return call_block(c, call_new("Sync", NULL, 0), NULL, 0);
}

static enum bench_status dbus_call(void *ctx, const void *req, size_t req_len,
                                   void *rep, size_t rep_len)
{
	struct dbus_ctx *c = ctx;
	return call_block(c, call_new("Call", req, req_len), rep, rep_len);
}

/* Server: the next method call; signals (NameAcquired) are dropped. */
static DBusMessage *next_call(struct dbus_ctx *c)
{
	for (;;) {
		DBusMessage *m = dbus_connection_pop_message(c->conn);
		if (!m) {
			if (!dbus_connection_read_write(c->conn, -1))
				return NULL;
			continue;
		}
		if (dbus_message_get_type(m) == DBUS_MESSAGE_TYPE_METHOD_CALL)
			return m;
		dbus_message_unref(m);
	}
}

static enum bench_status reply_send(struct dbus_ctx *c, DBusMessage *call,
                                    const void *buf, size_t len)
{
	DBusMessage *r = dbus_message_new_method_return(call);
	dbus_bool_t ok = r != NULL;
	if (ok && buf)
		ok = dbus_message_append_args(r, DBUS_TYPE_ARRAY,
		                              DBUS_TYPE_BYTE, &buf, (int)len,
		                              DBUS_TYPE_INVALID);
	if (ok)
		ok = dbus_connection_send(c->conn, r, NULL);
	if (r)
		dbus_message_unref(r);
	dbus_connection_flush(c->conn);
	return ok ? BENCH_OK : BENCH_ERR;
}

static enum bench_status dbus_recv(void *ctx, void *buf, size_t len)
{
	struct dbus_ctx *c = ctx;
	for (;;) {
		DBusMessage *m = next_call(c);
		if (!m) {
			bench_error("server: disconnected from the bus");
			return BENCH_ERR;
		}
		if (dbus_message_is_method_call(m, BUS_NAME, "Sync")) {
			enum bench_status st = reply_send(c, m, NULL, 0);
			dbus_message_unref(m);
			if (st != BENCH_OK)
				return st;
			continue;
		}
		enum bench_status st = bytes_get(m, buf, len);
		if (st == BENCH_OK && dbus_message_is_method_call(m, BUS_NAME,
		                                                  "Call")) {
			c->pending = m;
			return BENCH_OK;
		}
		dbus_message_unref(m);
		return st;
	}
}

static enum bench_status dbus_reply(void *ctx, const void *buf, size_t len)
{
	struct dbus_ctx *c = ctx;
	if (!c->pending) {
		bench_error("server: reply without a pending Call");
		return BENCH_ERR;
	}
	enum bench_status st = reply_send(c, c->pending, buf, len);
	dbus_message_unref(c->pending);
	c->pending = NULL;
	return st;
}

static void dbus_detach(void *ctx, enum bench_side side)
{
	struct dbus_ctx *c = ctx;
	(void)side;
	if (c->pending)
		dbus_message_unref(c->pending);
	c->pending = NULL;
	if (c->conn) {
		dbus_connection_flush(c->conn);
		dbus_connection_close(c->conn);
		dbus_connection_unref(c->conn);
	}
	c->conn = NULL;
}

static void dbus_teardown(void *ctx)
{
	dbus_abort(ctx);
	free(ctx);
}

const struct bench_peer bench_peer_dbus = {
	.slug = "dbus", .label = "D-Bus method call via dbus-daemon",
	.tests = BENCH_TESTS_ALL,
	.setup = dbus_setup, .attach = dbus_attach, .send = dbus_send,
	.call = dbus_call, .recv = dbus_recv, .reply = dbus_reply,
	.detach = dbus_detach, .teardown = dbus_teardown, .abort = dbus_abort,
};
