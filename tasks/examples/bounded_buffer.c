/*
 * The bounded buffer of the textbook, on a Mach mailbox: the producer
 * sends N items to a port whose queue holds 8 messages; the consumer takes
 * one every 20 ms.  From the 9th item on the producer blocks in msg_send
 * until the consumer makes room: `umach up bounded_buffer.scn --trace`
 * shows each block and wake-up.
 *
 *	bounded_buffer consumer N
 *	bounded_buffer producer N
 */
#include "ex.h"

static void consumer(int n)
{
	port_t box = ex_serve("buffer");
	struct ex_msg m;
	kern_return_t r;

	for (int i = 0; i < n; i++) {
		usleep(20000);			/* slower than the producer */
		if ((r = ex_receive(&m, box, MSG_OPTION_NONE, 0)) != RCV_SUCCESS)
			ex_die("consumer: msg_receive", r);
		if (m.value != i) {
			fprintf(stderr, "consumer: item %d arrived as %d\n", i, m.value);
			exit(1);
		}
	}
	printf("consumer: took %d items in order\n", n);
}

static void producer(int n)
{
	port_t box = ex_look_up("buffer");
	struct ex_msg m;
	kern_return_t r;

	for (int i = 0; i < n; i++) {
		ex_init(&m, box, PORT_NULL, 1, i);
		if ((r = msg_send(&m.h, MSG_OPTION_NONE, 0)) != SEND_SUCCESS)
			ex_die("producer: msg_send", r);
	}
	printf("producer: sent %d items; the mailbox held 8, so it waited\n", n);
}

int main(int argc, char **argv)
{
	int n = argc == 3 ? atoi(argv[2]) : 0;

	if (n <= 0 || (strcmp(argv[1], "consumer") && strcmp(argv[1], "producer"))) {
		fprintf(stderr, "usage: bounded_buffer consumer|producer N\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argv[1][0] == 'c')
		consumer(n);
	else
		producer(n);
	return 0;
}
