/*
 * tally_server -- add up the numbers clients send.
 *
 * A server written as a Mach 2.5 program of 1989 would be: K&R C, its own
 * declarations of the C library, plain globals.  It checks its port in
 * with the name server as "tally", then answers every TALLY_ADD message
 * with the running total, until a TALLY_QUIT arrives.
 *
 * usage: tally_server [-v]
 */
#include <mach.h>
#include <servers/netname.h>
#include "tally.h"

extern char *malloc();
extern int printf();
extern int strcmp();
extern int exit();

int	verbose;
int	count;
long	total;
char	*progname;
port_t	server_port;
struct tally_msg *msg;

reply(m)
	struct tally_msg *m;
{
	kern_return_t kr;

	/* After msg_receive, msg_remote_port names the client's reply port. */
	m->head.msg_local_port = PORT_NULL;
	m->head.msg_id = TALLY_REPLY;
	m->value = total;
	kr = msg_send(&m->head, MSG_OPTION_NONE, 0);
	if (kr != SEND_SUCCESS)
		mach_error("tally_server: msg_send", kr);
}

main(argc, argv)
	int argc;
	char **argv;
{
	kern_return_t kr;

	progname = argv[0];
	if (argc > 1 && strcmp(argv[1], "-v") == 0)
		verbose = 1;
	kr = port_allocate(task_self(), &server_port);
	if (kr != KERN_SUCCESS) {
		mach_error("port_allocate", kr);
		exit(1);
	}
	kr = netname_check_in(name_server_port, TALLY_NAME, PORT_NULL,
			      server_port);
	if (kr != NETNAME_SUCCESS) {
		mach_error("netname_check_in", kr);
		exit(1);
	}
	msg = (struct tally_msg *) malloc(sizeof (struct tally_msg));
	for (;;) {
		msg->head.msg_size = sizeof (struct tally_msg);
		msg->head.msg_local_port = server_port;
		kr = msg_receive(&msg->head, MSG_OPTION_NONE, 0);
		if (kr != RCV_SUCCESS) {
			mach_error("msg_receive", kr);
			exit(1);
		}
		if (msg->head.msg_id == TALLY_QUIT)
			break;
		if (msg->head.msg_id != TALLY_ADD ||
		    msg->type.msg_type_name != MSG_TYPE_INTEGER_32)
			continue;
		total += msg->value;
		count++;
		if (verbose)
			printf("%s: +%d = %ld\n", progname, msg->value, total);
		reply(msg);
	}
	netname_check_out(name_server_port, TALLY_NAME, PORT_NULL);
	printf("tally_server: %d requests, total %ld\n", count, total);
	exit(0);
}
