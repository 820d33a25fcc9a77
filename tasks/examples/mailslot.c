/*
 * A mailslot: many writers, one reader, datagrams.  The reader checks in
 * one port; each writer looks it up and sends its datagrams without
 * waiting for an answer.  Each writer's datagrams arrive in the order it
 * sent them; the writers' are interleaved.
 *
 *	mailslot reader N        (reads N datagrams)
 *	mailslot writer NAME K   (sends K datagrams)
 */
#include <stddef.h>

#include "ex.h"

struct gram {
	msg_header_t h;
	msg_type_t   t;
	char         text[64];
};

static void writer(const char *name, int k)
{
	port_t slot = ex_look_up("mailslot");
	struct gram m;
	kern_return_t r;

	for (int i = 0; i < k; i++) {
		memset(&m, 0, sizeof m);
		m.h.msg_simple = TRUE;
		m.h.msg_size = sizeof m;
		m.h.msg_remote_port = slot;
		m.h.msg_id = 7;
		m.t.msg_type_name = MSG_TYPE_STRING;
		m.t.msg_type_size = 8;
		m.t.msg_type_number = sizeof m.text;
		m.t.msg_type_inline = TRUE;
		snprintf(m.text, sizeof m.text, "%s #%d", name, i);
		if ((r = msg_send(&m.h, MSG_OPTION_NONE, 0)) != SEND_SUCCESS)
			ex_die("writer: msg_send", r);
	}
}

static void reader(int n)
{
	port_t slot = ex_serve("mailslot");
	struct gram m;
	kern_return_t r;

	for (int i = 0; i < n; i++) {
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = slot;
		if ((r = msg_receive(&m.h, RCV_TIMEOUT, 5000)) != RCV_SUCCESS)
			ex_die("reader: msg_receive", r);
		m.text[sizeof m.text - 1] = '\0';
		printf("reader: %s\n", m.text);
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 3 && strcmp(argv[1], "reader") == 0 && atoi(argv[2]) > 0)
		reader(atoi(argv[2]));
	else if (argc == 4 && strcmp(argv[1], "writer") == 0 && atoi(argv[3]) > 0)
		writer(argv[2], atoi(argv[3]));
	else {
		fprintf(stderr, "usage: mailslot reader N | writer NAME K\n");
		return 2;
	}
	return 0;
}
