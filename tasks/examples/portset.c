/*
 * A server on a port set (reference 1.9): it checks in two ports, "alpha"
 * and "beta", puts both in one set and receives on the set; each message
 * says in msg_local_port which member it came to.  Members with messages
 * are served in turn, so a busy client cannot starve a quiet one.
 *
 *	portset server N     (serves N requests)
 *	portset client NAME K  (sends K requests to NAME)
 */
#include "ex.h"

static void server(int n)
{
	port_t alpha = ex_serve("alpha"), beta = ex_serve("beta"), set;
	struct ex_msg m;
	kern_return_t r;
	int seen[2] = { 0, 0 };

	if ((r = port_set_allocate(task_self(), &set)) != KERN_SUCCESS ||
	    (r = port_set_add(task_self(), set, alpha)) != KERN_SUCCESS ||
	    (r = port_set_add(task_self(), set, beta)) != KERN_SUCCESS)
		ex_die("server: setting up the set", r);
	for (int i = 0; i < n; i++) {
		if ((r = ex_receive(&m, set, RCV_TIMEOUT, 5000)) != RCV_SUCCESS)
			ex_die("server: msg_receive on the set", r);
		int a = m.h.msg_local_port == alpha;
		seen[!a]++;
		printf("server: request %d came to %s (name %d)\n", m.value,
		       a ? "alpha" : "beta", m.h.msg_local_port);
	}
	printf("server: %d to alpha, %d to beta, all on one receive\n",
	       seen[0], seen[1]);
}

static void client(const char *name, int k)
{
	port_t p = ex_look_up(name);
	struct ex_msg m;
	kern_return_t r;

	for (int i = 0; i < k; i++) {
		ex_init(&m, p, PORT_NULL, 3, i);
		if ((r = msg_send(&m.h, MSG_OPTION_NONE, 0)) != SEND_SUCCESS)
			ex_die("client: msg_send", r);
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 3 && strcmp(argv[1], "server") == 0 && atoi(argv[2]) > 0)
		server(atoi(argv[2]));
	else if (argc == 4 && strcmp(argv[1], "client") == 0 && atoi(argv[3]) > 0)
		client(argv[2], atoi(argv[3]));
	else {
		fprintf(stderr, "usage: portset server N | client NAME K\n");
		return 2;
	}
	return 0;
}
