/*
 * peer_sysvmq.c: System V message queues, one per direction, private
 * (IPC_PRIVATE) and removed by teardown, or by abort on Ctrl-C.  For the
 * run, kernel.msgmax is raised to 1 MiB and kernel.msgmnb to 8 MiB so that
 * one msgsnd carries one 1 MiB message (peers.md note a); without the
 * permission, messages go as msgmax-sized pieces and the report says so.
 * The mtype word goes into the driver's headroom in front of the payload,
 * so no extra copy is made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>

#include "driver.h"

#define WANT_MSGMAX (1L << 20)
#define WANT_MSGMNB (8L << 20)

struct sysv_ctx {
	int req_id, rep_id;    /* client -> server, server -> client; -1 none */
	size_t piece_bytes;    /* the most one msgsnd carries */
};

_Static_assert(BENCH_HEADROOM_BYTES >= sizeof(long), "room for mtype");

static size_t sysctl_now(const char *path)
{
	long value = 8192;
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &value) != 1)
			value = 8192;
		fclose(f);
	}
	return (size_t)value;
}

static enum bench_status sysv_setup(const struct bench_peer *self,
                                    const struct bench_job *job,
                                    void **out_ctx)
{
	struct sysv_ctx *c = malloc(sizeof *c);
	(void)self;
	if (!c)
		return BENCH_ERR;
	if (bench_sysctl_raise("kernel/msgmax", WANT_MSGMAX) ||
	    bench_sysctl_raise("kernel/msgmnb", WANT_MSGMNB))
		bench_note("SysV mq: kernel.msgmax/msgmnb could not be raised; "
		           "1 MiB went as %zu B pieces.",
		           sysctl_now("/proc/sys/kernel/msgmax"));
	c->piece_bytes = sysctl_now("/proc/sys/kernel/msgmax");
	if (c->piece_bytes > job->request_bytes)
		c->piece_bytes = job->request_bytes;
	c->req_id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	c->rep_id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (c->req_id < 0 || c->rep_id < 0) {
		bench_error("msgget: %s", strerror(errno));
		if (c->req_id >= 0)
			msgctl(c->req_id, IPC_RMID, NULL);
		free(c);
		return BENCH_ERR;
	}
	*out_ctx = c;
	return BENCH_OK;
}

static enum bench_status sysv_attach(void *ctx, enum bench_side side)
{
	(void)ctx;
	(void)side;
	return BENCH_OK;
}

/* Each piece borrows the sizeof(long) bytes in front of it for mtype: the
 * headroom for the first, the previous piece's tail (put back) after. */
static enum bench_status pieces_send(int id, size_t piece, const void *buf,
                                     size_t len)
{
	char *p = (char *)buf;
	for (size_t off = 0; off < len;) {
		size_t chunk = len - off < piece ? len - off : piece;
		char saved[sizeof(long)];
		long mtype = 1;
		char *hdr = p + off - sizeof mtype;
		memcpy(saved, hdr, sizeof saved);
		memcpy(hdr, &mtype, sizeof mtype);
		int rc = msgsnd(id, hdr, chunk, 0);
		int err = errno;
		memcpy(hdr, saved, sizeof saved);
		if (rc < 0 && err == EINTR)
			continue;
		if (rc < 0) {
			bench_error("msgsnd: %s", strerror(err));
			return BENCH_ERR;
		}
		off += chunk;
	}
	return BENCH_OK;
}

static enum bench_status pieces_recv(int id, size_t piece, void *buf,
                                     size_t len)
{
	char *p = buf;
	for (size_t off = 0; off < len;) {
		size_t chunk = len - off < piece ? len - off : piece;
		char saved[sizeof(long)];
		char *hdr = p + off - sizeof(long);
		memcpy(saved, hdr, sizeof saved);
		ssize_t n = msgrcv(id, hdr, chunk, 0, 0);
		int err = errno;
		memcpy(hdr, saved, sizeof saved);
		if (n < 0 && err == EINTR)
			continue;
		if (n != (ssize_t)chunk) {
			bench_error("msgrcv: %s", n < 0 ? strerror(err)
			                                : "wrong piece size");
			return BENCH_ERR;
		}
		off += chunk;
	}
	return BENCH_OK;
}

static enum bench_status sysv_send(void *ctx, const void *buf, size_t len)
{
	struct sysv_ctx *c = ctx;
	return pieces_send(c->req_id, c->piece_bytes, buf, len);
}

static enum bench_status sysv_call(void *ctx, const void *req, size_t req_len,
                                   void *rep, size_t rep_len)
{
	struct sysv_ctx *c = ctx;
	if (pieces_send(c->req_id, c->piece_bytes, req, req_len) != BENCH_OK)
		return BENCH_ERR;
	return pieces_recv(c->rep_id, rep_len, rep, rep_len);
}

static enum bench_status sysv_recv(void *ctx, void *buf, size_t len)
{
	struct sysv_ctx *c = ctx;
	return pieces_recv(c->req_id, c->piece_bytes, buf, len);
}

static enum bench_status sysv_reply(void *ctx, const void *buf, size_t len)
{
	struct sysv_ctx *c = ctx;
	return pieces_send(c->rep_id, len, buf, len);
}

static void sysv_detach(void *ctx, enum bench_side side)
{
	(void)ctx;
	(void)side;
}

/* Async-signal-safe: msgctl is a plain system call. */
static void sysv_abort(void *ctx)
{
	struct sysv_ctx *c = ctx;
	if (c->req_id >= 0)
		msgctl(c->req_id, IPC_RMID, NULL);
	if (c->rep_id >= 0)
		msgctl(c->rep_id, IPC_RMID, NULL);
	c->req_id = c->rep_id = -1;
}

static void sysv_teardown(void *ctx)
{
	sysv_abort(ctx);
	free(ctx);
}

const struct bench_peer bench_peer_sysv_mq = {
	.slug = "sysv-mq", .label = "System V msg queue",
	.tests = BENCH_TESTS_ALL,
	.setup = sysv_setup, .attach = sysv_attach, .send = sysv_send,
	.call = sysv_call, .recv = sysv_recv, .reply = sysv_reply,
	.detach = sysv_detach, .teardown = sysv_teardown, .abort = sysv_abort,
};
