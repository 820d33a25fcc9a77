/*
 * The README's demo: a tour of the Mach 2.5 message core in one program,
 * run with `umach run` on a private kernel.  A forked server checks a port
 * in with the name server; the client finds it, makes RPCs, then fills a
 * mailbox to show the four full-mailbox behaviours of the textbook, and
 * finally sees NOTIFY_PORT_DELETED when the server dies.
 */
#include <mach.h>
#include <servers/netname.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct req {
	msg_header_t h;
	msg_type_t   t;
	int          value;
};

static void fail(const char *what, kern_return_t r)
{
	mach_error((char *)what, r);
	exit(1);
}

static void init(struct req *m, port_t dest, port_t reply, int id, int v)
{
	memset(m, 0, sizeof *m);
	m->h.msg_simple = TRUE;
	m->h.msg_size = sizeof *m;
	m->h.msg_remote_port = dest;
	m->h.msg_local_port = reply;
	m->h.msg_id = id;
	m->t.msg_type_name = MSG_TYPE_INTEGER_32;
	m->t.msg_type_size = 32;
	m->t.msg_type_number = 1;
	m->t.msg_type_inline = TRUE;
	m->value = v;
}

/* The server: squares numbers until it is killed. */
static void server(void)
{
	port_t p;
	struct req m;
	kern_return_t r;

	if ((r = port_allocate(task_self(), &p)) != KERN_SUCCESS)
		fail("server: port_allocate", r);
	if ((r = netname_check_in(name_server_port, "squarer", PORT_NULL, p)))
		fail("server: netname_check_in", r);
	for (;;) {
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = p;
		if ((r = msg_receive(&m.h, MSG_OPTION_NONE, 0)) != RCV_SUCCESS)
			fail("server: msg_receive", r);
		m.value *= m.value;
		m.h.msg_local_port = PORT_NULL;	/* reply to msg_remote_port */
		m.h.msg_id += 100;
		msg_send(&m.h, SEND_TIMEOUT, 0);
	}
}

static port_t look_up(const char *name)
{
	port_t p;

	for (int i = 0; i < 200; i++) {
		if (netname_look_up(name_server_port, "", (char *)name, &p) == 0)
			return p;
		usleep(10000);
	}
	fail("client: netname_look_up", NETNAME_NOT_CHECKED_IN);
	return PORT_NULL;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void rpcs(port_t squarer, int n)
{
	struct req m;

	for (int i = 1; i <= 3; i++) {
		init(&m, squarer, thread_reply(), 1, i * 7);
		msg_rpc(&m.h, MSG_OPTION_NONE, sizeof m, 0, 0);
		printf("  msg_rpc: %d squared is %d (reply id %d)\n", i * 7,
		       m.value, m.h.msg_id);
	}
	double t0 = now_us();
	for (int i = 0; i < n; i++) {
		init(&m, squarer, thread_reply(), 1, i);
		if (msg_rpc(&m.h, MSG_OPTION_NONE, sizeof m, 0, 0) != RPC_SUCCESS ||
		    m.value != i * i)
			fail("client: msg_rpc", KERN_FAILURE);
	}
	printf("  %d more round trips, each checked: %.1f us per msg_rpc\n", n,
	       (now_us() - t0) / n);
}

static void mailbox(void)
{
	port_t box;
	struct req m;
	notification_t note;
	int backlog, n;
	port_set_name_t set;
	boolean_t own, rcv;

	port_allocate(task_self(), &box);
	port_status(task_self(), box, &set, &n, &backlog, &own, &rcv);
	printf("\nA mailbox holds %d messages (the textbook's default).\n", backlog);
	for (int i = 0; i < backlog; i++) {
		init(&m, box, PORT_NULL, 2, i);
		msg_send(&m.h, MSG_OPTION_NONE, 0);
	}
	printf("  it is full; a 9th message with\n");
	init(&m, box, PORT_NULL, 2, 8);
	printf("  SEND_TIMEOUT, 0 ms:   %s\n",
	       mach_error_string(msg_send(&m.h, SEND_TIMEOUT, 0)));
	double t0 = now_us();
	kern_return_t r = msg_send(&m.h, SEND_TIMEOUT, 100);
	printf("  SEND_TIMEOUT, 100 ms: %s after %.0f ms\n", mach_error_string(r),
	       (now_us() - t0) / 1000);
	printf("  SEND_NOTIFY:          %s\n",
	       mach_error_string(msg_send(&m.h, SEND_NOTIFY, 0)));
	printf("  SEND_NOTIFY again:    %s\n",
	       mach_error_string(msg_send(&m.h, SEND_NOTIFY, 0)));
	printf("  no option:            would wait until the receiver takes one\n");
	for (int i = 0; i <= backlog; i++) {
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = box;
		msg_receive(&m.h, MSG_OPTION_NONE, 0);
	}
	note.notify_header.msg_size = sizeof note;
	note.notify_header.msg_local_port = task_notify();
	msg_receive(&note.notify_header, RCV_TIMEOUT, 1000);
	printf("  after the receiver drained it, the notify port got message %#o "
	       "(NOTIFY_MSG_ACCEPTED) for port %d\n", note.notify_header.msg_id,
	       note.notify_port);
}

int main(int argc, char **argv)
{
	int rounds = 10000;
	char *end;

	if (argc > 2 || (argc == 2 && ((rounds = (int)strtol(argv[1], &end, 10)) < 0 ||
				       *end != '\0' || argv[1][0] == '\0'))) {
		fprintf(stderr, "usage: demo [ROUND-TRIPS]   (default 10000)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("umach demo: task_self()=%d task_notify()=%d name_server_port=%d\n",
	       task_self(), task_notify(), name_server_port);
	pid_t pid = fork();
	if (pid == 0)
		server();
	port_t squarer = look_up("squarer");
	printf("\nThe server (pid %d) checked in \"squarer\"; we hold send right %d.\n",
	       (int)pid, squarer);
	rpcs(squarer, rounds);
	mailbox();
	printf("\nKilling the server with SIGKILL...\n");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	notification_t note;
	note.notify_header.msg_size = sizeof note;
	note.notify_header.msg_local_port = task_notify();
	kern_return_t r = msg_receive(&note.notify_header, RCV_TIMEOUT, 2000);
	if (r != RCV_SUCCESS)
		fail("client: waiting for the notification", r);
	printf("  the notify port got message %#o (NOTIFY_PORT_DELETED) for port %d\n",
	       note.notify_header.msg_id, note.notify_port);
	struct req m;
	init(&m, squarer, PORT_NULL, 1, 1);
	printf("  sending to it now: %s\n",
	       mach_error_string(msg_send(&m.h, SEND_TIMEOUT, 0)));
	return 0;
}
