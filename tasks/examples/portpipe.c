/*
 * A pipe built from a port, half-duplex like the textbook's pipe: bytes go
 * one way only, in order, in messages of up to 1 KiB, and an empty message
 * is the end of the stream.  The port's queue is the pipe's buffer (8
 * messages); a writer faster than the reader blocks, as on a full pipe.
 *
 *	portpipe writer TEXT N   (writes TEXT N times, then the end)
 *	portpipe reader          (copies the stream to stdout)
 */
#include <stddef.h>

#include "ex.h"

#define CHUNK 1024

struct chunk {
	msg_header_t h;
	msg_type_t   t;
	char         data[CHUNK];
};

static void send_bytes(port_t pipe, const char *p, size_t n)
{
	struct chunk m;
	kern_return_t r;

	memset(&m, 0, offsetof(struct chunk, data));
	m.h.msg_simple = TRUE;
	m.h.msg_size = (msg_size_t)(offsetof(struct chunk, data) + n);
	m.h.msg_remote_port = pipe;
	m.h.msg_id = 1;
	m.t.msg_type_name = MSG_TYPE_CHAR;
	m.t.msg_type_size = 8;
	m.t.msg_type_number = (unsigned)n;
	m.t.msg_type_inline = TRUE;
	memcpy(m.data, p, n);
	if ((r = msg_send(&m.h, MSG_OPTION_NONE, 0)) != SEND_SUCCESS)
		ex_die("writer: msg_send", r);
}

static void writer(const char *text, int times)
{
	port_t pipe = ex_look_up("pipe");
	size_t len = strlen(text);

	for (int i = 0; i < times; i++)
		for (size_t off = 0; off < len; off += CHUNK)
			send_bytes(pipe, text + off, len - off < CHUNK ? len - off : CHUNK);
	send_bytes(pipe, "", 0);		/* the end */
}

static void reader(void)
{
	port_t pipe = ex_serve("pipe");
	struct chunk m;
	kern_return_t r;
	size_t total = 0;

	for (;;) {
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = pipe;
		if ((r = msg_receive(&m.h, MSG_OPTION_NONE, 0)) != RCV_SUCCESS)
			ex_die("reader: msg_receive", r);
		if (m.t.msg_type_name != MSG_TYPE_CHAR ||
		    m.t.msg_type_number > CHUNK)
			ex_die("reader: not a chunk", KERN_INVALID_ARGUMENT);
		if (m.t.msg_type_number == 0)
			break;
		fwrite(m.data, 1, m.t.msg_type_number, stdout);
		total += m.t.msg_type_number;
		usleep(5000);			/* a slow reader: the pipe fills */
	}
	printf("\nreader: end of stream after %zu bytes\n", total);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "writer") == 0 && atoi(argv[3]) > 0)
		writer(argv[2], atoi(argv[3]));
	else if (argc == 2 && strcmp(argv[1], "reader") == 0)
		reader();
	else {
		fprintf(stderr, "usage: portpipe writer TEXT N | reader\n");
		return 2;
	}
	return 0;
}
