/*
 * peer_socket.c: Unix-domain socket pairs, SOCK_STREAM and SOCK_SEQPACKET,
 * one socketpair() per measurement inherited by the forked server.  A
 * stream moves bytes, so requests are read back to their full length; a
 * seqpacket moves records, one per send.  For the 1 MiB test SEQPACKET asks
 * for a 4 MiB send buffer (SO_SNDBUFFORCE) so that one record fits, as in
 * peers.md; without the privilege it falls back to pieces and says so.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "driver.h"

#define SEQPACKET_SNDBUF_BYTES (4 << 20)

struct sock_ctx {
	int fd[2];            /* [0] the client's end, [1] the server's */
	int type;             /* SOCK_STREAM or SOCK_SEQPACKET */
	size_t piece_bytes;   /* SEQPACKET: largest record sent */
	int me;               /* index of this process's end after attach */
};

/* The largest record the send buffer takes: the kernel refuses a record
 * bigger than the buffer minus its own overhead, so keep a margin. */
static size_t seqpacket_grow(int fd, size_t want_bytes)
{
	int size = SEQPACKET_SNDBUF_BYTES;
	socklen_t len = sizeof size;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) == 0)
		return want_bytes;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &len);
	size_t piece = ((size_t)size / 2) & ~(size_t)4095;
	if (piece >= want_bytes)
		return want_bytes;
	bench_note("Unix SOCK_SEQPACKET: no SO_SNDBUFFORCE, so 1 MiB messages "
	           "went as %zu KiB records.", piece / 1024);
	return piece;
}

static enum bench_status sock_setup(const struct bench_peer *self,
                                    const struct bench_job *job,
                                    void **out_ctx)
{
	struct sock_ctx *c = calloc(1, sizeof *c);
	if (!c)
		return BENCH_ERR;
	c->type = *(const int *)self->variant;
	if (socketpair(AF_UNIX, c->type | SOCK_CLOEXEC, 0, c->fd) < 0) {
		bench_error("socketpair: %s", strerror(errno));
		free(c);
		return BENCH_ERR;
	}
	c->piece_bytes = job->request_bytes;
	if (c->type == SOCK_SEQPACKET && job->request_bytes > BENCH_SMALL_BYTES)
		c->piece_bytes = seqpacket_grow(c->fd[0], job->request_bytes);
	*out_ctx = c;
	return BENCH_OK;
}

static enum bench_status sock_attach(void *ctx, enum bench_side side)
{
	struct sock_ctx *c = ctx;
	c->me = side == BENCH_CLIENT ? 0 : 1;
	close(c->fd[1 - c->me]);
	c->fd[1 - c->me] = -1;
	return BENCH_OK;
}

/* SEQPACKET: len bytes as records of at most piece_bytes. */
static enum bench_status records_send(struct sock_ctx *c, const char *buf,
                                      size_t len)
{
	for (size_t off = 0; off < len;) {
		size_t chunk = len - off < c->piece_bytes ? len - off
		                                          : c->piece_bytes;
		ssize_t n = send(c->fd[c->me], buf + off, chunk, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)chunk) {
			bench_error("send: %s",
			            n < 0 ? strerror(errno) : "short");
			return BENCH_ERR;
		}
		off += chunk;
	}
	return BENCH_OK;
}

static enum bench_status records_recv(struct sock_ctx *c, char *buf,
                                      size_t len)
{
	for (size_t off = 0; off < len;) {
		size_t chunk = len - off < c->piece_bytes ? len - off
		                                          : c->piece_bytes;
		ssize_t n = recv(c->fd[c->me], buf + off, chunk, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)chunk) {
			bench_error("recv: %s", n < 0  ? strerror(errno)
			                        : n == 0 ? "peer gone"
			                                 : "wrong record size");
			return BENCH_ERR;
		}
		off += chunk;
	}
	return BENCH_OK;
}

static enum bench_status sock_send(void *ctx, const void *buf, size_t len)
{
	struct sock_ctx *c = ctx;
	if (c->type == SOCK_SEQPACKET)
		return records_send(c, buf, len);
	return bench_write_full(c->fd[c->me], buf, len);
}

static enum bench_status sock_recv(void *ctx, void *buf, size_t len)
{
	struct sock_ctx *c = ctx;
	if (c->type == SOCK_SEQPACKET)
		return records_recv(c, buf, len);
	return bench_read_full(c->fd[c->me], buf, len);
}

static enum bench_status sock_call(void *ctx, const void *req, size_t req_len,
                                   void *rep, size_t rep_len)
{
	if (sock_send(ctx, req, req_len) != BENCH_OK)
		return BENCH_ERR;
	return sock_recv(ctx, rep, rep_len);
}

static void sock_detach(void *ctx, enum bench_side side)
{
	struct sock_ctx *c = ctx;
	(void)side;
	for (int i = 0; i < 2; i++) {
		if (c->fd[i] >= 0)
			close(c->fd[i]);
		c->fd[i] = -1;
	}
}

static void sock_teardown(void *ctx)
{
	sock_detach(ctx, BENCH_CLIENT);
	free(ctx);
}

static const int stream_type = SOCK_STREAM;
static const int seqpacket_type = SOCK_SEQPACKET;

const struct bench_peer bench_peer_unix_stream = {
	.slug = "unix-stream", .label = "Unix socket, SOCK_STREAM",
	.tests = BENCH_TESTS_ALL, .variant = &stream_type,
	.setup = sock_setup, .attach = sock_attach, .send = sock_send,
	.call = sock_call, .recv = sock_recv, .reply = sock_send,
	.detach = sock_detach, .teardown = sock_teardown,
};

const struct bench_peer bench_peer_unix_seqpacket = {
	.slug = "unix-seqpacket", .label = "Unix socket, SOCK_SEQPACKET",
	.tests = BENCH_TESTS_ALL, .variant = &seqpacket_type,
	.setup = sock_setup, .attach = sock_attach, .send = sock_send,
	.call = sock_call, .recv = sock_recv, .reply = sock_send,
	.detach = sock_detach, .teardown = sock_teardown,
};
