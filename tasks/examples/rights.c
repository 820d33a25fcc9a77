/*
 * Receive-right transfer and reversion (reference 1.10, 1.11).  The owner
 * makes a port, checks it in as "work" and gives its receive right to the
 * keeper in a message (MSG_TYPE_PORT_RECEIVE), keeping ownership.  The
 * keeper serves one request on it and exits without giving it back: the
 * receive right returns to the owner with NOTIFY_RECEIVE_RIGHTS, and the
 * owner serves the next request itself.  When the owner deallocates the
 * port, both rights are gone and the sender gets NOTIFY_PORT_DELETED.
 *
 *	rights owner | keeper | sender
 */
#include "ex.h"

struct give {
	msg_header_t h;
	msg_type_t   t;
	port_t       right;
};

static int wait_notify(int id, int32_t *name)
{
	notification_t n;

	for (;;) {
		n.notify_header.msg_size = sizeof n;
		n.notify_header.msg_local_port = task_notify();
		kern_return_t r = msg_receive(&n.notify_header, RCV_TIMEOUT, 5000);
		if (r != RCV_SUCCESS)
			ex_die("waiting on the notify port", r);
		if (n.notify_header.msg_id == id) {
			*name = n.notify_port;
			return 0;
		}
	}
}

static void keeper(void)
{
	port_t k = ex_serve("keeper");
	struct give g;
	struct ex_msg m;
	kern_return_t r;

	g.h.msg_size = sizeof g;
	g.h.msg_local_port = k;
	if ((r = msg_receive(&g.h, MSG_OPTION_NONE, 0)) != RCV_SUCCESS)
		ex_die("keeper: msg_receive", r);
	printf("keeper: got the receive right to the work port, as name %d\n",
	       g.right);
	if ((r = ex_receive(&m, g.right, RCV_TIMEOUT, 5000)) != RCV_SUCCESS)
		ex_die("keeper: msg_receive on the work port", r);
	printf("keeper: served request %d; exiting without giving it back\n",
	       m.value);
}

static void owner(void)
{
	port_t work, keep;
	struct give g = { 0 };
	struct ex_msg m;
	kern_return_t r;
	int32_t name;

	work = ex_serve("work");
	keep = ex_look_up("keeper");
	g.h.msg_simple = FALSE;
	g.h.msg_size = sizeof g;
	g.h.msg_remote_port = keep;
	g.h.msg_id = 1;
	g.t.msg_type_name = MSG_TYPE_PORT_RECEIVE;
	g.t.msg_type_size = 32;
	g.t.msg_type_number = 1;
	g.t.msg_type_inline = TRUE;
	g.right = work;
	if ((r = msg_send(&g.h, MSG_OPTION_NONE, 0)) != SEND_SUCCESS)
		ex_die("owner: sending the receive right", r);
	printf("owner: gave the receive right of port %d away, kept ownership\n",
	       work);
	wait_notify(NOTIFY_RECEIVE_RIGHTS, &name);
	printf("owner: NOTIFY_RECEIVE_RIGHTS for %d: the keeper died, the right "
	       "came home\n", name);
	if ((r = ex_receive(&m, work, RCV_TIMEOUT, 5000)) != RCV_SUCCESS)
		ex_die("owner: msg_receive on the work port", r);
	printf("owner: served request %d myself; deallocating the port\n",
	       m.value);
	port_deallocate(task_self(), work);
}

static void sender(void)
{
	port_t work = ex_look_up("work");
	struct ex_msg m;
	kern_return_t r;
	int32_t name;

	for (int i = 1; i <= 2; i++) {
		usleep(300000);		/* first the keeper has it, then the owner */
		ex_init(&m, work, PORT_NULL, 2, i);
		if ((r = msg_send(&m.h, MSG_OPTION_NONE, 0)) != SEND_SUCCESS)
			ex_die("sender: msg_send", r);
		printf("sender: sent request %d\n", i);
	}
	wait_notify(NOTIFY_PORT_DELETED, &name);
	printf("sender: NOTIFY_PORT_DELETED for %d: the port is gone\n", name);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 2 && strcmp(argv[1], "owner") == 0)
		owner();
	else if (argc == 2 && strcmp(argv[1], "keeper") == 0)
		keeper();
	else if (argc == 2 && strcmp(argv[1], "sender") == 0)
		sender();
	else {
		fprintf(stderr, "usage: rights owner|keeper|sender\n");
		return 2;
	}
	return 0;
}
