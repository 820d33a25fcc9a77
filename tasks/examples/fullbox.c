/*
 * The four things a sender can do when a mailbox is full (reference 1.8),
 * side by side.  The owner makes four mailboxes of 8 messages and does not
 * read them for 300 ms; four senders each fill one and then send a 9th:
 *
 *	wait     no option: blocks until the owner takes a message
 *	timeout  SEND_TIMEOUT, 100 ms: gives up with SEND_TIMED_OUT
 *	now      SEND_TIMEOUT, 0 ms: SEND_TIMED_OUT at once
 *	notify   SEND_NOTIFY: the kernel takes the message anyway
 *	         (SEND_WILL_NOTIFY) and sends NOTIFY_MSG_ACCEPTED when it
 *	         leaves the queue
 *
 *	fullbox owner | wait | timeout | now | notify
 */
#include <time.h>

#include "ex.h"

static const char *const modes[4] = { "wait", "timeout", "now", "notify" };

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void owner(void)
{
	port_t box[4];
	char name[32];
	struct ex_msg m;
	kern_return_t r;

	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "box-%s", modes[i]);
		box[i] = ex_serve(name);
	}
	usleep(300000);				/* let them fill up */
	for (int i = 0; i < 4; i++) {
		int n = 0;
		while (ex_receive(&m, box[i], RCV_TIMEOUT, 200) == RCV_SUCCESS)
			n++;
		printf("owner: box-%s had %d messages\n", modes[i], n);
	}
	/* stay until the senders are done, so that no box dies early */
	r = ex_receive(&m, box[0], RCV_TIMEOUT, 500);
	(void)r;
}

static void sender(int mode)
{
	char name[32];
	struct ex_msg m;
	kern_return_t r;
	static const msg_option_t opt[4] = { MSG_OPTION_NONE, SEND_TIMEOUT,
					     SEND_TIMEOUT, SEND_NOTIFY };
	static const int tmo[4] = { 0, 100, 0, 0 };

	snprintf(name, sizeof name, "box-%s", modes[mode]);
	port_t box = ex_look_up(name);
	for (int i = 0; i < 8; i++) {
		ex_init(&m, box, PORT_NULL, 10 + mode, i);
		if ((r = msg_send(&m.h, MSG_OPTION_NONE, 0)) != SEND_SUCCESS)
			ex_die("msg_send", r);
	}
	ex_init(&m, box, PORT_NULL, 10 + mode, 8);
	double t0 = now_ms();
	r = msg_send(&m.h, opt[mode], tmo[mode]);
	printf("%-7s: the 9th message: %s after %.0f ms\n", modes[mode],
	       mach_error_string(r), now_ms() - t0);
	if (mode == 3 && r == SEND_WILL_NOTIFY) {
		notification_t n;
		n.notify_header.msg_size = sizeof n;
		n.notify_header.msg_local_port = task_notify();
		r = msg_receive(&n.notify_header, RCV_TIMEOUT, 2000);
		if (r != RCV_SUCCESS)
			ex_die("notify: waiting for NOTIFY_MSG_ACCEPTED", r);
		printf("notify : then the notify port got %s\n",
		       n.notify_header.msg_id == NOTIFY_MSG_ACCEPTED ?
		       "NOTIFY_MSG_ACCEPTED" : "something else");
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 2 && strcmp(argv[1], "owner") == 0) {
		owner();
		return 0;
	}
	for (int i = 0; argc == 2 && i < 4; i++)
		if (strcmp(argv[1], modes[i]) == 0) {
			sender(i);
			return 0;
		}
	fprintf(stderr, "usage: fullbox owner|wait|timeout|now|notify\n");
	return 2;
}
