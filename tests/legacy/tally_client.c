/*
 * tally_client -- send the numbers 1..n to the tally server.
 *
 * The client half of tally_server, in the same 1989 style.  It looks the
 * server up by name, allocates a reply port of its own, and for each
 * number sends a request and waits for the answer with msg_send and
 * msg_receive, as programs did before msg_rpc was common.
 *
 * usage: tally_client n [quit]
 */
#include <mach.h>
#include <servers/netname.h>
#include "tally.h"

extern char *malloc();
extern int atoi();
extern int printf();
extern int strcmp();
extern unsigned sleep();
extern int usleep();
extern int exit();

int	count;
long	total;
port_t	server;
port_t	reply_port;
struct tally_msg *msg;

port_t
find_server(name)
	char *name;
{
	port_t p;
	int tries;

	for (tries = 0; tries < 200; tries++) {
		if (netname_look_up(name_server_port, "", name, &p) ==
		    NETNAME_SUCCESS)
			return p;
		usleep(10000);
	}
	return PORT_NULL;
}

setup_msg(m, id, value)
	struct tally_msg *m;
	int id, value;
{
	m->head.msg_simple = TRUE;
	m->head.msg_size = sizeof (struct tally_msg);
	m->head.msg_type = MSG_TYPE_NORMAL;
	m->head.msg_remote_port = server;
	m->head.msg_local_port = reply_port;
	m->head.msg_id = id;
	m->type.msg_type_name = MSG_TYPE_INTEGER_32;
	m->type.msg_type_size = 32;
	m->type.msg_type_number = 1;
	m->type.msg_type_inline = TRUE;
	m->type.msg_type_longform = FALSE;
	m->type.msg_type_deallocate = FALSE;
	m->value = value;
}

main(argc, argv)
	int argc;
	char **argv;
{
	kern_return_t kr;
	int i, n;

	n = argc > 1 ? atoi(argv[1]) : 10;
	if ((server = find_server(TALLY_NAME)) == PORT_NULL) {
		printf("tally_client: no server\n");
		exit(1);
	}
	if ((kr = port_allocate(task_self(), &reply_port)) != KERN_SUCCESS) {
		mach_error("port_allocate", kr);
		exit(1);
	}
	msg = (struct tally_msg *) malloc(sizeof (struct tally_msg));
	for (i = 1; i <= n; i++) {
		setup_msg(msg, TALLY_ADD, i);
		if ((kr = msg_send(&msg->head, MSG_OPTION_NONE, 0)) !=
		    SEND_SUCCESS) {
			mach_error("msg_send", kr);
			exit(1);
		}
		msg->head.msg_size = sizeof (struct tally_msg);
		msg->head.msg_local_port = reply_port;
		if ((kr = msg_receive(&msg->head, MSG_OPTION_NONE, 0)) !=
		    RCV_SUCCESS) {
			mach_error("msg_receive", kr);
			exit(1);
		}
		if (msg->head.msg_id != TALLY_REPLY)
			exit(2);
		total = msg->value;
		count++;
	}
	printf("tally_client: %d replies, total %ld\n", count, total);
	if (argc > 2 && strcmp(argv[2], "quit") == 0) {
		setup_msg(msg, TALLY_QUIT, 0);
		msg->head.msg_local_port = PORT_NULL;
		msg_send(&msg->head, MSG_OPTION_NONE, 0);
	}
	exit(0);
}
