/*
 * peer_posixmq.c: POSIX message queues, one per direction.  setup opens
 * both and unlinks their names at once; the descriptors, inherited by the
 * forked server, keep the queues alive, so nothing outlives the run even on
 * Ctrl-C.  A 1 MiB message cannot fit under the hard RLIMIT_MSGQUEUE of
 * 800 KiB, so it goes as 64 KiB pieces with a queue depth of 8 (peers.md
 * note a); fs.mqueue.msgsize_max and msg_max are raised for the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"

#define PIECE_BYTES (64 << 10)
#define PIECE_DEPTH 8
#define SMALL_DEPTH 256
#define SMALL_DEPTH_DEFAULT 10   /* fs.mqueue.msg_max's default */

struct pmq_ctx {
	mqd_t req, rep;        /* client -> server, server -> client */
	size_t piece_bytes;    /* the request queue's mq_msgsize */
	char *bounce;          /* for a last piece shorter than piece_bytes */
};

/* Open a fresh queue and unlink its name: the descriptor is the queue. */
static mqd_t queue_open(const char *tag, long depth, long msgsize)
{
	char name[64];
	struct mq_attr attr = {.mq_maxmsg = depth, .mq_msgsize = msgsize};
	snprintf(name, sizeof name, "/umach-bench-%d-%s", (int)getpid(), tag);
	mq_unlink(name);
	mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600,
	                  &attr);
	if (q == (mqd_t)-1)
		bench_error("mq_open %s (depth %ld, %ld B): %s", name, depth,
		            msgsize, strerror(errno));
	else
		mq_unlink(name);
	return q;
}

/* Queue shape for this job, raising the sysctls when allowed. */
static void queue_shape(const struct bench_job *job, long *out_depth,
                        long *out_piece)
{
	if (job->request_bytes <= BENCH_SMALL_BYTES) {
		*out_piece = (long)job->request_bytes;
		*out_depth = SMALL_DEPTH;
		if (bench_sysctl_raise("fs/mqueue/msg_max", SMALL_DEPTH))
			*out_depth = SMALL_DEPTH_DEFAULT;
		return;
	}
	*out_depth = PIECE_DEPTH;
	*out_piece = PIECE_BYTES;
	if (bench_sysctl_raise("fs/mqueue/msgsize_max", PIECE_BYTES)) {
		*out_piece = 8192;
		bench_note("POSIX mq: fs.mqueue.msgsize_max could not be "
		           "raised, so 1 MiB went as 8 KiB pieces.");
	}
}

static enum bench_status pmq_setup(const struct bench_peer *self,
                                  const struct bench_job *job, void **out_ctx)
{
	long depth, piece;
	struct pmq_ctx *c = calloc(1, sizeof *c);
	(void)self;
	if (!c)
		return BENCH_ERR;
	queue_shape(job, &depth, &piece);
	c->piece_bytes = (size_t)piece;
	c->bounce = malloc(c->piece_bytes);
	if (!c->bounce)
		goto fail_free;
	c->req = queue_open("req", depth, piece);
	if (c->req == (mqd_t)-1)
		goto fail_free;
	c->rep = queue_open("rep", SMALL_DEPTH_DEFAULT, (long)job->reply_bytes);
	if (c->rep == (mqd_t)-1)
		goto fail_close;
	*out_ctx = c;
	return BENCH_OK;
fail_close:
	mq_close(c->req);
fail_free:
	free(c->bounce);
	free(c);
	return BENCH_ERR;
}

static enum bench_status pmq_attach(void *ctx, enum bench_side side)
{
	(void)ctx;
	(void)side;
	return BENCH_OK;
}

static enum bench_status pieces_send(mqd_t q, size_t piece, const char *buf,
                                     size_t len)
{
	for (size_t off = 0; off < len;) {
		size_t chunk = len - off < piece ? len - off : piece;
		if (mq_send(q, buf + off, chunk, 0) < 0) {
			if (errno == EINTR)
				continue;
			bench_error("mq_send: %s", strerror(errno));
			return BENCH_ERR;
		}
		off += chunk;
	}
	return BENCH_OK;
}

/* mq_receive wants room for a whole mq_msgsize, so a short last piece
 * lands in the bounce buffer first. */
static enum bench_status pieces_recv(mqd_t q, size_t piece, char *bounce,
                                     char *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		size_t chunk = len - off < piece ? len - off : piece;
		char *dst = len - off >= piece ? buf + off : bounce;
		ssize_t n = mq_receive(q, dst, piece, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)chunk) {
			bench_error("mq_receive: %s", n < 0 ? strerror(errno)
			                              : "wrong piece size");
			return BENCH_ERR;
		}
		if (dst == bounce)
			memcpy(buf + off, bounce, chunk);
		off += chunk;
	}
	return BENCH_OK;
}

static enum bench_status pmq_send_req(void *ctx, const void *buf, size_t len)
{
	struct pmq_ctx *c = ctx;
	return pieces_send(c->req, c->piece_bytes, buf, len);
}

static enum bench_status pmq_call(void *ctx, const void *req, size_t req_len,
                                 void *rep, size_t rep_len)
{
	struct pmq_ctx *c = ctx;
	if (pieces_send(c->req, c->piece_bytes, req, req_len) != BENCH_OK)
		return BENCH_ERR;
	return pieces_recv(c->rep, rep_len, c->bounce, rep, rep_len);
}

static enum bench_status pmq_recv_req(void *ctx, void *buf, size_t len)
{
	struct pmq_ctx *c = ctx;
	return pieces_recv(c->req, c->piece_bytes, c->bounce, buf, len);
}

static enum bench_status pmq_reply(void *ctx, const void *buf, size_t len)
{
	struct pmq_ctx *c = ctx;
	return pieces_send(c->rep, len, buf, len);
}

static void pmq_detach(void *ctx, enum bench_side side)
{
	(void)ctx;
	(void)side;
}

static void pmq_teardown(void *ctx)
{
	struct pmq_ctx *c = ctx;
	mq_close(c->req);
	mq_close(c->rep);
	free(c->bounce);
	free(c);
}

const struct bench_peer bench_peer_posix_mq = {
	.slug = "posix-mq", .label = "POSIX mq",
	.tests = BENCH_TESTS_ALL,
	.setup = pmq_setup, .attach = pmq_attach, .send = pmq_send_req,
	.call = pmq_call, .recv = pmq_recv_req, .reply = pmq_reply,
	.detach = pmq_detach, .teardown = pmq_teardown,
};
