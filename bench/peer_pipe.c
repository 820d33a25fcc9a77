/*
 * peer_pipe.c: anonymous pipes, one per direction, created by setup and
 * inherited by the forked server.  Two rows: the pipe at its default
 * capacity (64 KiB), and, for the 1 MiB test only, a request pipe grown to
 * 1 MiB with F_SETPIPE_SZ, as in peers.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"

struct pipe_ctx {
	int req[2];     /* client writes [1], server reads [0] */
	int rep[2];     /* server writes [1], client reads [0] */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static enum bench_status pipe_setup(const struct bench_peer *self,
                                    const struct bench_job *job,
                                    void **out_ctx)
{
	const int *capacity_bytes = self->variant;
	struct pipe_ctx *c = malloc(sizeof *c);
	(void)job;
	if (!c)
		return BENCH_ERR;
	if (pipe2(c->req, O_CLOEXEC) < 0)
		goto fail_free;
	if (pipe2(c->rep, O_CLOEXEC) < 0)
		goto fail_close_req;
	if (*capacity_bytes > 0 &&
	    fcntl(c->req[1], F_SETPIPE_SZ, *capacity_bytes) < 0)
		goto fail_close_rep;
	*out_ctx = c;
	return BENCH_OK;
fail_close_rep:
	bench_error("F_SETPIPE_SZ %d: %s", *capacity_bytes, strerror(errno));
	close_fd(&c->rep[0]);
	close_fd(&c->rep[1]);
fail_close_req:
	close_fd(&c->req[0]);
	close_fd(&c->req[1]);
fail_free:
	bench_error("pipe setup failed: %s", strerror(errno));
	free(c);
	return BENCH_ERR;
}

static enum bench_status pipe_attach(void *ctx, enum bench_side side)
{
	struct pipe_ctx *c = ctx;
	if (side == BENCH_CLIENT) {
		close_fd(&c->req[0]);
		close_fd(&c->rep[1]);
	} else {
		close_fd(&c->req[1]);
		close_fd(&c->rep[0]);
	}
	return BENCH_OK;
}

static enum bench_status pipe_send(void *ctx, const void *buf, size_t len)
{
	return bench_write_full(((struct pipe_ctx *)ctx)->req[1], buf, len);
}

static enum bench_status pipe_call(void *ctx, const void *req, size_t req_len,
                                   void *rep, size_t rep_len)
{
	struct pipe_ctx *c = ctx;
	if (bench_write_full(c->req[1], req, req_len) != BENCH_OK)
		return BENCH_ERR;
	return bench_read_full(c->rep[0], rep, rep_len);
}

static enum bench_status pipe_recv(void *ctx, void *buf, size_t len)
{
	return bench_read_full(((struct pipe_ctx *)ctx)->req[0], buf, len);
}

static enum bench_status pipe_reply(void *ctx, const void *buf, size_t len)
{
	return bench_write_full(((struct pipe_ctx *)ctx)->rep[1], buf, len);
}

static void pipe_detach(void *ctx, enum bench_side side)
{
	struct pipe_ctx *c = ctx;
	(void)side;
	close_fd(&c->req[0]);
	close_fd(&c->req[1]);
	close_fd(&c->rep[0]);
	close_fd(&c->rep[1]);
}

static void pipe_teardown(void *ctx)
{
	pipe_detach(ctx, BENCH_CLIENT);
	free(ctx);
}

static const int default_capacity = 0;
static const int big_capacity = 1 << 20;

const struct bench_peer bench_peer_pipe = {
	.slug = "pipe", .label = "pipe (anonymous, one per direction)",
	.tests = BENCH_TESTS_ALL, .variant = &default_capacity,
	.setup = pipe_setup, .attach = pipe_attach, .send = pipe_send,
	.call = pipe_call, .recv = pipe_recv, .reply = pipe_reply,
	.detach = pipe_detach, .teardown = pipe_teardown,
};

const struct bench_peer bench_peer_pipe_1m = {
	.slug = "pipe-1m", .label = "pipe, F_SETPIPE_SZ 1 MiB",
	.tests = BENCH_TEST_BIT(BENCH_TEST_BW), .variant = &big_capacity,
	.setup = pipe_setup, .attach = pipe_attach, .send = pipe_send,
	.call = pipe_call, .recv = pipe_recv, .reply = pipe_reply,
	.detach = pipe_detach, .teardown = pipe_teardown,
};
