/*
 * An echo RPC service through umig-generated stubs.  echo.defs is compiled
 * by umig at build time: the client calls echo() like a local function
 * (echoUser.c marshals the arguments and calls msg_rpc), and the server's
 * loop hands each request to echo_server(), the generated demux, which
 * calls do_echo() and do_note() below and builds the reply.
 *
 *	echo_rpc server N         (serves N requests, then exits)
 *	echo_rpc client TEXT...   (one call per word, then a note)
 */
#include <ctype.h>

#include "ex.h"
#include "echo.h"
#include "echoServer.h"

static int calls;

kern_return_t do_echo(port_t server, char *text, char *shout, int *n)
{
	size_t i;

	(void)server;
	for (i = 0; text[i] != '\0' && i < 127; i++)
		shout[i] = (char)toupper((unsigned char)text[i]);
	shout[i] = '\0';
	*n = ++calls;
	return KERN_SUCCESS;
}

kern_return_t do_note(port_t server, char *text)
{
	(void)server;
	printf("server: note: %s\n", text);
	return KERN_SUCCESS;
}

static void server(int n)
{
	port_t p = ex_serve("echo");
	union {
		msg_header_t h;
		char buf[echo_REQUEST_SIZE_MAX];
	} in;
	union {
		msg_header_t h;
		death_pill_t pill;
		char buf[echo_REPLY_SIZE_MAX];
	} out;
	kern_return_t r;

	for (int i = 0; i < n; i++) {
		in.h.msg_size = sizeof in;
		in.h.msg_local_port = p;
		if ((r = msg_receive(&in.h, RCV_TIMEOUT, 5000)) != RCV_SUCCESS)
			ex_die("server: msg_receive", r);
		echo_server(&in.h, &out.h);
		if (out.pill.RetCode != MIG_NO_REPLY &&
		    out.h.msg_remote_port != PORT_NULL)
			msg_send(&out.h, SEND_TIMEOUT, 1000);
	}
}

static void client(int argc, char **argv)
{
	port_t p = ex_look_up("echo");
	char shout[128];
	int n;
	kern_return_t r;

	for (int i = 0; i < argc; i++) {
		if ((r = echo(p, argv[i], shout, &n)) != KERN_SUCCESS)
			ex_die("client: echo", r);
		printf("client: echo(\"%s\") = \"%s\" (call %d)\n", argv[i], shout, n);
	}
	if ((r = note(p, "goodbye")) != KERN_SUCCESS)
		ex_die("client: note", r);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 3 && strcmp(argv[1], "server") == 0 && atoi(argv[2]) > 0)
		server(atoi(argv[2]));
	else if (argc >= 3 && strcmp(argv[1], "client") == 0)
		client(argc - 2, argv + 2);
	else {
		fprintf(stderr, "usage: echo_rpc server N | client TEXT...\n");
		return 2;
	}
	return 0;
}
