/*
 * Port-deleted notifications (reference 1.12): a server checks a port in;
 * a client looks it up and waits on its notify port.  When the server
 * exits, its port dies with it, and every task that held a send right to
 * it gets NOTIFY_PORT_DELETED with its own name for the port.  A send to
 * that name then fails with SEND_INVALID_PORT.
 *
 *	deadport server MS     (exits after MS milliseconds)
 *	deadport client
 */
#include "ex.h"

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 3 && strcmp(argv[1], "server") == 0) {
		ex_serve("doomed");
		usleep((useconds_t)atoi(argv[2]) * 1000);
		printf("server: exiting; my port dies with me\n");
		return 0;
	}
	if (argc != 2 || strcmp(argv[1], "client") != 0) {
		fprintf(stderr, "usage: deadport server MS | client\n");
		return 2;
	}
	port_t p = ex_look_up("doomed");
	notification_t n;
	n.notify_header.msg_size = sizeof n;
	n.notify_header.msg_local_port = task_notify();
	kern_return_t r = msg_receive(&n.notify_header, RCV_TIMEOUT, 5000);
	if (r != RCV_SUCCESS)
		ex_die("client: waiting on the notify port", r);
	printf("client: notification %#o (%s) for port %d, which I named %d\n",
	       n.notify_header.msg_id, n.notify_header.msg_id ==
	       NOTIFY_PORT_DELETED ? "NOTIFY_PORT_DELETED" : "?", n.notify_port, p);
	struct ex_msg m;
	ex_init(&m, p, PORT_NULL, 1, 0);
	printf("client: a send to it now: %s\n",
	       mach_error_string(msg_send(&m.h, SEND_TIMEOUT, 0)));
	return n.notify_header.msg_id == NOTIFY_PORT_DELETED ? 0 : 1;
}
