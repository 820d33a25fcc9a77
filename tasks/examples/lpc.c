/*
 * LPC, the Windows XP model (<umach/lpc.h>, docs/lpc.md): a server with a
 * named connection port accepts clients that present the right connect
 * data; each client makes a small call (copied through the queue), a
 * 1 MiB call (through a section both ends map) and a call during which
 * the server calls it back.  The server reports each client's end (its
 * close) and stops after N of them.
 *
 *	lpc server N      (serve until N connections have ended)
 *	lpc client NAME
 */
#include <umach/lpc.h>
#include "ex.h"

#define BIG (1024u * 1024u)

static void serve_one(struct umach_lpc_msg *m)
{
	const char *d = m->buf.data;
	char out[96];

	if (m->buf.len == BIG) {		/* sum the bytes */
		unsigned long sum = 0;
		for (size_t i = 0; i < m->buf.len; i++)
			sum += (unsigned char)d[i];
		int n = snprintf(out, sizeof out, "sum %lu", sum);
		umach_lpc_reply(m, KERN_SUCCESS, out, (size_t)n);
		return;
	}
	if (m->buf.len == 8 && memcmp(d, "callback", 8) == 0) {
		struct umach_lpc_buf who;
		kern_return_t r = umach_lpc_call(m->conn, "who?", 4, &who);
		int n = r == KERN_SUCCESS ?
			snprintf(out, sizeof out, "you said %.*s",
				 (int)who.len, (const char *)who.data) :
			snprintf(out, sizeof out, "callback: %s",
				 mach_error_string(r));
		if (r == KERN_SUCCESS)
			umach_lpc_buf_release(&who);
		umach_lpc_reply(m, KERN_SUCCESS, out, (size_t)n);
		return;
	}
	umach_lpc_reply(m, KERN_SUCCESS, d, m->buf.len);	/* echo */
}

static int server(int clients)
{
	struct umach_lpc_server *s;
	struct umach_lpc_conn *c;
	struct umach_lpc_msg m;
	kern_return_t r;

	if ((r = umach_lpc_server_create("lpc-demo", &s)) != KERN_SUCCESS)
		ex_die("server: umach_lpc_server_create", r);
	while (clients > 0) {
		if ((r = umach_lpc_receive(s, &m, 10000)) != KERN_SUCCESS)
			ex_die("server: umach_lpc_receive", r);
		if (m.kind == UMACH_LPC_CONNECT) {
			int ok = m.buf.len == 6 && memcmp(m.buf.data, "hello!", 6) == 0;
			printf("server: connect request, %s\n",
			       ok ? "accepted" : "refused");
			if (ok)
				umach_lpc_accept(s, &m, &c);
			else
				umach_lpc_refuse(s, &m);
		} else if (m.kind == UMACH_LPC_CLOSED) {
			printf("server: a connection ended\n");
			umach_lpc_close(m.conn);
			clients--;
		} else {
			serve_one(&m);
		}
	}
	umach_lpc_server_destroy(s);
	return 0;
}

static kern_return_t answer(void *ctx, const struct umach_lpc_buf *req,
			    const void **out, size_t *out_len)
{
	(void)req;
	*out = ctx;
	*out_len = strlen(ctx);
	return KERN_SUCCESS;
}

static void call(struct umach_lpc_conn *c, const char *who, const void *d,
		 size_t n)
{
	struct umach_lpc_buf rep;
	kern_return_t r = umach_lpc_call(c, d, n, &rep);

	if (r != KERN_SUCCESS)
		ex_die("client: umach_lpc_call", r);
	printf("%s: %zu bytes -> \"%.*s\"\n", who, n, (int)rep.len,
	       (const char *)rep.data);
	umach_lpc_buf_release(&rep);
}

static int client(const char *who)
{
	struct umach_lpc_conn *c;
	kern_return_t r;

	ex_look_up("lpc-demo");			/* wait for the server */
	r = umach_lpc_connect("lpc-demo", "wrong", 5, &c);
	printf("%s: with the wrong connect data: %s\n", who,
	       mach_error_string(r));
	if ((r = umach_lpc_connect("lpc-demo", "hello!", 6, &c)) != KERN_SUCCESS)
		ex_die("client: umach_lpc_connect", r);
	umach_lpc_set_handler(c, answer, (void *)who);
	call(c, who, "ping", 4);
	char *big = malloc(BIG);
	if (big == NULL)
		ex_die("client: malloc", KERN_RESOURCE_SHORTAGE);
	memset(big, 1, BIG);
	call(c, who, big, BIG);
	free(big);
	call(c, who, "callback", 8);
	umach_lpc_close(c);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 3 && strcmp(argv[1], "server") == 0)
		return server(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "client") == 0)
		return client(argv[2]);
	fprintf(stderr, "usage: lpc server N | client NAME\n");
	return 2;
}
