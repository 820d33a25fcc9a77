/*
 * bench-netd's two ends (bench/netd.sh, docs/PERFORMANCE.md "netd"):
 * `serve ADDR:PORT` checks in "bench-echo" on its kernel and answers each
 * message with its own body, and echoes SIZE-byte blocks on a TCP port;
 * `client HOST ADDR:PORT N SIZE` looks bench-echo up on HOST (through
 * umach-netd) and times N msg_rpc round trips, then N round trips of the
 * same payload over plain TCP between the same two endpoints.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mach.h>
#include <servers/netname.h>

#define PAYLOAD_MAX 4096

struct bmsg {
	msg_header_t h;
	msg_type_t   t;
	char         data[PAYLOAD_MAX];
};

static int sockaddr_of(const char *s, struct sockaddr_in *sa)
{
	char addr[64];
	const char *colon = strrchr(s, ':');

	if (colon == NULL || colon - s >= (long)sizeof addr)
		return -1;
	memcpy(addr, s, (size_t)(colon - s));
	addr[colon - s] = '\0';
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, addr, &sa->sin_addr) == 1 ? 0 : -1;
}

static int full(int fd, char *p, size_t n, int out)
{
	while (n > 0) {
		ssize_t r = out ? write(fd, p, n) : read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void *tcp_echo(void *arg)
{
	struct sockaddr_in sa;
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
	char buf[PAYLOAD_MAX + 4];
	uint32_t n;

	if (sockaddr_of(arg, &sa) != 0)
		return NULL;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s, 4))
		return perror("bench: listen"), NULL;
	for (;;) {
		int c = accept(s, NULL, NULL);
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		while (full(c, (char *)&n, 4, 0) == 0 && n <= PAYLOAD_MAX &&
		       full(c, buf, n, 0) == 0 && full(c, (char *)&n, 4, 1) == 0 &&
		       full(c, buf, n, 1) == 0)
			;
		close(c);
	}
}

static int serve(const char *tcp)
{
	static struct bmsg m;
	port_t p;
	pthread_t t;

	if (mach_init() != KERN_SUCCESS ||
	    port_allocate(task_self(), &p) != KERN_SUCCESS ||
	    netname_check_in(name_server_port, "bench-echo", p, p) != KERN_SUCCESS)
		return 1;
	pthread_create(&t, NULL, tcp_echo, (void *)tcp);
	for (;;) {
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = p;
		if (msg_receive(&m.h, MSG_OPTION_NONE, 0) != RCV_SUCCESS)
			return 0;
		m.h.msg_local_port = PORT_NULL;
		m.h.msg_id += 100;
		msg_send(&m.h, SEND_TIMEOUT, 1000);
	}
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void report(const char *what, double *us, int n, int size)
{
	qsort(us, (size_t)n, sizeof *us, cmp);
	printf("| %s | %d | %d | %.1f | %.1f | %.1f |\n", what, size, n,
	       us[n / 2], us[n * 9 / 10], us[n * 99 / 100]);
}

static int client(const char *host, const char *tcp, int n, int size)
{
	static struct bmsg m;
	double *us = malloc(sizeof *us * (size_t)n);
	port_t s = PORT_NULL, reply = thread_reply();
	struct sockaddr_in sa;
	kern_return_t r = KERN_FAILURE;

	if (mach_init() != KERN_SUCCESS || us == NULL)
		return 1;
	for (int i = 0; i < 250 && r != KERN_SUCCESS; i++, usleep(20000))
		r = netname_look_up(name_server_port, (char *)host,
				    "bench-echo", &s);
	if (r != KERN_SUCCESS)
		return fprintf(stderr, "bench: look-up: %d\n", r), 1;
	for (int i = -100; i < n; i++) {
		memset(&m.h, 0, sizeof m.h);
		m.h.msg_simple = TRUE;
		m.h.msg_size = (msg_size_t)(sizeof m.h + sizeof m.t + (size_t)size);
		m.h.msg_remote_port = s;
		m.h.msg_local_port = reply;
		m.h.msg_id = 7;
		m.t = (msg_type_t){ .msg_type_name = MSG_TYPE_BYTE,
			.msg_type_size = 8, .msg_type_number = (unsigned)size,
			.msg_type_inline = 1 };
		double t0 = now_us();
		if (msg_rpc(&m.h, MSG_OPTION_NONE, sizeof m, 0, 0) != RPC_SUCCESS)
			return fprintf(stderr, "bench: msg_rpc failed\n"), 1;
		if (i >= 0)
			us[i] = now_us() - t0;
	}
	report("msg_rpc through umach-netd", us, n, size);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	char buf[PAYLOAD_MAX];
	uint32_t len = (uint32_t)size;
	if (sockaddr_of(tcp, &sa) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		return perror("bench: connect"), 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	memset(buf, 1, sizeof buf);
	for (int i = -100; i < n; i++) {
		double t0 = now_us();
		if (full(fd, (char *)&len, 4, 1) || full(fd, buf, len, 1) ||
		    full(fd, (char *)&len, 4, 0) || full(fd, buf, len, 0))
			return fprintf(stderr, "bench: tcp failed\n"), 1;
		if (i >= 0)
			us[i] = now_us() - t0;
	}
	report("plain TCP, same endpoints", us, n, size);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2]);
	if (argc == 6 && strcmp(argv[1], "client") == 0) {
		int n = atoi(argv[4]), size = atoi(argv[5]);
		if (n > 0 && size >= 0 && size <= PAYLOAD_MAX)
			return client(argv[2], argv[3], n, size);
	}
	fprintf(stderr, "usage: netd_rtt serve ADDR:PORT | "
		"client HOST ADDR:PORT N SIZE\n");
	return 2;
}
