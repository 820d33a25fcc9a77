/*
 * umach-netd across two kernels on one machine (docs/netd.md): kernel A
 * (this test process is its task, harness.c) and kernel B, each with its
 * own netd on 127.0.0.1.  A server on B checks in "echo"; the test calls
 * it through the umig stubs of necho.defs after one look-up with B's host
 * name.  The same tests run again with each kernel and netd in its own
 * network namespace, joined by a veth pair (root and ip(8) needed; else
 * that case is skipped with a message).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <check.h>
#include <mach.h>
#include <servers/netname.h>
#include "harness.h"
#include "necho.h"
#include "nechoServer.h"
#include "netd.h"

struct side {
	char   sock[128], log[128];
	char   ns[32];			/* network namespace, "" = ours */
	char   addr[16];
	pid_t  kernel, netd;
	int    port;
};

static struct side a, b;
static char dir[64], secret_a[128], secret_b[128];
static pid_t server = -1;

static int port_base(void)
{
	return 20000 + (getpid() % 10000) * 4;
}

static void write_secret(const char *path, const char *text, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	fchmod(fd, (mode_t)mode);
	close(fd);
}

/* Move this process into network namespace ns ("" = stay). */
static int enter_ns(const char *ns)
{
	char path[64];

	if (ns[0] == '\0')
		return 0;
	snprintf(path, sizeof path, "/run/netns/%s", ns);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = fd >= 0 ? setns(fd, CLONE_NEWNET) : -1;
	if (fd >= 0)
		close(fd);
	return r;
}

static pid_t run_in(const char *ns, const char *sock, const char *log,
		  char *const argv[])
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (enter_ns(ns) != 0)
			_exit(126);
		setenv("UMACH_SOCKET", sock, 1);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (getenv("UMACH_TEST_VERBOSE") == NULL)
			dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Run argv with UMACH_SOCKET=sock and stderr to log; returns its pid. */
static pid_t run_on(const char *sock, const char *log, char *const argv[])
{
	return run_in("", sock, log, argv);
}

static pid_t start_netd(struct side *me, const char *name,
			const struct side *peer, const char *peer_name,
			const char *secret)
{
	char listen[64], peerarg[128], *argv[12];
	int n = 0;

	snprintf(listen, sizeof listen, "%s:%d", me->addr, me->port);
	snprintf(peerarg, sizeof peerarg, "%s=%s:%d", peer_name, peer->addr,
		 peer->port);
	argv[n++] = UMACH_BUILD_DIR "/umach-netd";
	argv[n++] = "--name";
	argv[n++] = (char *)name;
	argv[n++] = "--listen";
	argv[n++] = listen;
	argv[n++] = "--peer";
	argv[n++] = peerarg;
	argv[n++] = "--secret";
	argv[n++] = (char *)secret;
	argv[n] = NULL;
	return run_in(me->ns, me->sock, me->log, argv);
}

/* Does a kernel accept connections on sock? */
static int serves(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int ok;

	if (strlen(sock) >= sizeof sa.sun_path)
		return 0;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

static void start_kernel_b(void)
{
	char *argv[] = { UMACH_BUILD_DIR "/umachd", "--foreground", NULL };

	b.kernel = run_in(b.ns, b.sock, b.log, argv);
	for (int i = 0; i < 400 && !serves(b.sock); i++)
		usleep(5000);
	ck_assert_msg(serves(b.sock), "kernel B did not start");
}

/* Two kernels and their netds, with these secrets (same = they trust). */
static void two_hosts(const char *sa, const char *sb)
{
	snprintf(dir, sizeof dir, "/tmp/umach-netd-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	if (a.addr[0] == '\0')
		snprintf(a.addr, sizeof a.addr, "127.0.0.1");
	if (b.addr[0] == '\0')
		snprintf(b.addr, sizeof b.addr, "127.0.0.1");
	/* Kernel A, and this task of it, live in A's namespace. */
	ck_assert_int_eq(enter_ns(a.ns), 0);
	harness_start("textbook");
	snprintf(a.sock, sizeof a.sock, "%s", getenv("UMACH_SOCKET"));
	snprintf(a.log, sizeof a.log, "%s/a.log", dir);
	snprintf(b.sock, sizeof b.sock, "%s/b.sock", dir);
	snprintf(b.log, sizeof b.log, "%s/b.log", dir);
	snprintf(secret_a, sizeof secret_a, "%s/a.secret", dir);
	snprintf(secret_b, sizeof secret_b, "%s/b.secret", dir);
	write_secret(secret_a, sa, 0600);
	write_secret(secret_b, sb, 0600);
	a.port = port_base();
	b.port = port_base() + 1;
	start_kernel_b();
	a.netd = start_netd(&a, "hostA", &b, "hostB", secret_a);
	b.netd = start_netd(&b, "hostB", &a, "hostA", secret_b);
}

static void trusted_hosts(void)
{
	two_hosts("0123456789abcdef-shared", "0123456789abcdef-shared");
}

static void show(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	while (f != NULL && (n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, stderr);
	if (f != NULL)
		fclose(f);
}

static void stop(pid_t *pid, int sig)
{
	if (*pid > 0) {
		kill(*pid, sig);
		if (harness_wait(*pid, 3000) < 0)
			harness_wait(*pid, 1000);
	}
	*pid = -1;
}

static void teardown(void)
{
	if (getenv("UMACH_TEST_VERBOSE") != NULL) {
		show(a.log);
		show(b.log);
	}
	stop(&server, SIGKILL);
	stop(&a.netd, SIGKILL);
	stop(&b.netd, SIGKILL);
	stop(&b.kernel, SIGTERM);
	unlink(a.log);
	unlink(b.log);
	unlink(b.sock);
	unlink(secret_a);
	unlink(secret_b);
	rmdir(dir);
	harness_stop();
}

/* ---- the echo server, a task of kernel B ---- */

kern_return_t srv_echo(port_t server_port, char *s, char *r)
{
	(void)server_port;
	snprintf(r, 80, "%.78s!", s);
	return KERN_SUCCESS;
}

kern_return_t srv_poke(port_t server_port, port_t p, int n)
{
	struct msg64 m;

	(void)server_port;
	msg64_init(&m, p, PORT_NULL, n);
	snprintf(m.data, sizeof m.data, "poked %d", n);
	return msg_send(&m.h, SEND_TIMEOUT, 2000);
}

kern_return_t srv_sum(port_t server_port, necho_ool_t data,
		      unsigned int dataCnt, int *total)
{
	(void)server_port;
	*total = 0;
	for (unsigned int i = 0; i < dataCnt; i++)
		*total += (unsigned char)data[i];
	vm_deallocate(task_self(), (vm_address_t)data, dataCnt);
	return KERN_SUCCESS;
}

kern_return_t srv_nap(port_t server_port, int ms)
{
	(void)server_port;
	usleep((useconds_t)ms * 1000);
	return KERN_SUCCESS;
}

kern_return_t srv_fill(port_t server_port, int n, necho_ool_t *data,
		       unsigned int *dataCnt)
{
	static char buf[1 << 20];

	(void)server_port;
	if (n < 0 || n > (int)sizeof buf)
		return KERN_INVALID_ARGUMENT;
	for (int i = 0; i < n; i++)
		buf[i] = (char)(i * 7);
	*data = buf;
	*dataCnt = (unsigned int)n;
	return KERN_SUCCESS;
}

static void serve_echo(void)
{
	union { msg_header_t h; char raw[MSG_SIZE_MAX]; } in, out;
	port_t p;

	setenv("UMACH_SOCKET", b.sock, 1);
	if (umach_task_reattach() != KERN_SUCCESS ||
	    port_allocate(task_self(), &p) != KERN_SUCCESS ||
	    netname_check_in(name_server_port, "echo", p, p) != KERN_SUCCESS)
		_exit(1);
	for (;;) {
		in.h.msg_size = sizeof in;
		in.h.msg_local_port = p;
		if (msg_receive(&in.h, MSG_OPTION_NONE, 0) != RCV_SUCCESS)
			_exit(0);
		necho_server(&in.h, &out.h);
		if (out.h.msg_remote_port != PORT_NULL)
			msg_send(&out.h, SEND_TIMEOUT, 1000);
	}
}

static void start_server(void)
{
	server = fork();
	ck_assert_int_ge(server, 0);
	if (server == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (enter_ns(b.ns) != 0)
			_exit(126);
		serve_echo();
	}
}

/* Look name up on host, retrying for up to 5 s while netds start. */
static kern_return_t look_up(const char *host, const char *name, port_t *p)
{
	kern_return_t r = KERN_FAILURE;
	uint64_t until = harness_now_ms() + 5000;

	while (harness_now_ms() < until) {
		r = netname_look_up(name_server_port, (char *)host,
				    (char *)name, p);
		if (r == KERN_SUCCESS)
			break;
		usleep(20000);
	}
	return r;
}

static port_t echo_port(void)
{
	port_t s = PORT_NULL;

	start_server();
	ck_assert_int_eq(look_up("hostB", "echo", &s), KERN_SUCCESS);
	ck_assert_int_ne(s, PORT_NULL);
	return s;
}

/* ---- the tests ---- */

START_TEST(test_netd_echo_through_umig_stubs_on_the_other_kernel)
{
	necho_name_t out = "";
	port_t s = echo_port();

	ck_assert_int_eq(necho_echo(s, "hello", out), KERN_SUCCESS);
	ck_assert_str_eq(out, "hello!");
	for (int i = 0; i < 100; i++)	/* the same proxy, call after call */
		ck_assert_int_eq(necho_echo(s, "again", out), KERN_SUCCESS);
	ck_assert_str_eq(out, "again!");
}
END_TEST

START_TEST(test_netd_port_right_sent_across_is_used_from_there)
{
	port_t s = echo_port(), mine;
	struct msg64 m;

	ck_assert_int_eq(port_allocate(task_self(), &mine), KERN_SUCCESS);
	ck_assert_int_eq(necho_poke(s, mine, 42), KERN_SUCCESS);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = mine;
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 2000), RCV_SUCCESS);
	ck_assert_int_eq(m.h.msg_id, 42);
	ck_assert_str_eq(m.data, "poked 42");
}
END_TEST

START_TEST(test_netd_out_of_line_data_crosses_both_ways)
{
	port_t s = echo_port();
	size_t n = 256 * 1024;
	char *buf = malloc(n), *back = NULL;
	int total = 0, want = 0;
	unsigned int cnt = 0;

	for (size_t i = 0; i < n; i++) {
		buf[i] = (char)(i * 13);
		want += (unsigned char)buf[i];
	}
	ck_assert_int_eq(necho_sum(s, buf, (unsigned int)n, &total),
			 KERN_SUCCESS);
	ck_assert_int_eq(total, want);
	ck_assert_int_eq(necho_fill(s, 100000, &back, &cnt), KERN_SUCCESS);
	ck_assert_uint_eq(cnt, 100000);
	for (int i = 0; i < 100000; i++)
		ck_assert_int_eq(back[i], (char)(i * 7));
	vm_deallocate(task_self(), (vm_address_t)back, cnt);
	free(buf);
}
END_TEST

START_TEST(test_netd_remote_kernel_killed_mid_call_fails_within_2s)
{
	port_t s = echo_port();
	struct msg64 m;

	pid_t killer = fork();
	ck_assert_int_ge(killer, 0);
	if (killer == 0) {
		usleep(300 * 1000);
		kill(b.kernel, SIGKILL);
		_exit(0);
	}
	uint64_t t0 = harness_now_ms();
	kern_return_t r = necho_nap(s, 10000);
	uint64_t took = harness_now_ms() - t0;
	harness_wait(killer, 2000);
	ck_assert_int_eq(r, SEND_INVALID_PORT);
	ck_assert_uint_lt(took, 300 + 2000);
	/* The proxy is gone: a later send fails, and so does a look-up. */
	msg_return_t sr = SEND_SUCCESS;
	for (int i = 0; i < 100 && sr != SEND_INVALID_PORT; i++) {
		msg64_init(&m, s, PORT_NULL, 1);
		sr = msg_send(&m.h, SEND_TIMEOUT, 0);
		usleep(10000);
	}
	ck_assert_int_eq(sr, SEND_INVALID_PORT);
	harness_wait(b.kernel, 2000);
	b.kernel = -1;
}
END_TEST

START_TEST(test_netd_remote_port_death_is_notify_port_deleted)
{
	port_t s = echo_port();
	notification_t n;

	stop(&server, SIGKILL);
	uint64_t until = harness_now_ms() + 2000;
	for (;;) {
		n.notify_header.msg_size = sizeof n;
		n.notify_header.msg_local_port = task_notify();
		ck_assert_int_eq(msg_receive(&n.notify_header, RCV_TIMEOUT,
					     2000), RCV_SUCCESS);
		if (n.notify_header.msg_id == NOTIFY_PORT_DELETED &&
		    n.notify_port == s)
			break;
		ck_assert_uint_lt(harness_now_ms(), until);
	}
	necho_name_t out;
	ck_assert_int_eq(necho_echo(s, "x", out), SEND_INVALID_PORT);
}
END_TEST

START_TEST(test_netd_look_up_errors)
{
	port_t s = echo_port(), p = PORT_NULL;

	(void)s;
	ck_assert_int_eq(netname_look_up(name_server_port, "hostC", "echo",
					 &p), NETNAME_NO_SUCH_HOST);
	ck_assert_int_eq(netname_look_up(name_server_port, "hostB", "nothing",
					 &p), NETNAME_NOT_CHECKED_IN);
	/* netd serves only look-ups. */
	ck_assert_int_eq(look_up("", "umach-netd", &p), KERN_SUCCESS);
	ck_assert_int_eq(netname_check_in(p, "x", p, p), KERN_FAILURE);
	netname_name_t v;
	ck_assert_int_eq(netname_version(p, v), KERN_SUCCESS);
	ck_assert_str_eq(v, "umach netd 1");
}
END_TEST

START_TEST(test_netd_wrong_secret_gives_no_such_host)
{
	port_t p = PORT_NULL;

	start_server();
	/* Wait for A's netd and for B's to listen, so that the refusal is
	 * the handshake's and not a closed port's; then ask. */
	ck_assert_int_eq(look_up("", "umach-netd", &p), KERN_SUCCESS);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_port = htons((uint16_t)b.port);
	inet_pton(AF_INET, b.addr, &sa.sin_addr);
	int fd = -1, r = -1;
	for (int i = 0; i < 250 && r != 0; i++, usleep(20000)) {
		if (fd >= 0)
			close(fd);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	}
	ck_assert_int_eq(r, 0);
	close(fd);
	ck_assert_int_eq(netname_look_up(name_server_port, "hostB", "echo",
					 &p), NETNAME_NO_SUCH_HOST);
}
END_TEST

START_TEST(test_netd_malformed_frame_closes_only_that_link)
{
	port_t s = echo_port();
	struct sockaddr_in sa = { .sin_family = AF_INET };
	static const char junk[] = "\x00\x00\x00\x04\x09\x01\x00\x00junk";
	char c;
	necho_name_t out;

	sa.sin_port = htons((uint16_t)b.port);
	inet_pton(AF_INET, b.addr, &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(write(fd, junk, sizeof junk - 1), sizeof junk - 1);
	/* netd sends its HELLO, then hangs up on the bad version. */
	struct timeval tv = { 3, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ssize_t got;
	while ((got = read(fd, &c, 1)) > 0)
		;
	/* EOF, or a reset if our junk was still unread: not a time-out. */
	ck_assert_msg(got == 0 || errno == ECONNRESET, "read: %s",
		      strerror(errno));
	close(fd);
	ck_assert_int_eq(necho_echo(s, "still", out), KERN_SUCCESS);
	ck_assert_str_eq(out, "still!");
}
END_TEST

/* A receive right does not cross hosts: the caller gets a death pill. */
START_TEST(test_netd_receive_right_is_refused_with_send_invalid_port)
{
	port_t s = echo_port(), mine;
	struct {
		msg_header_t h;
		msg_type_t   t;
		port_t       p;
		char         pad[4];
		union { death_pill_t d; char raw[256]; } u;
	} m;

	ck_assert_int_eq(port_allocate(task_self(), &mine), KERN_SUCCESS);
	memset(&m, 0, sizeof m);
	m.h.msg_size = offsetof(__typeof__(m), pad) + 4;
	m.h.msg_remote_port = s;
	m.h.msg_local_port = thread_reply();
	m.h.msg_id = 3300;
	m.t.msg_type_name = MSG_TYPE_PORT_RECEIVE;
	m.t.msg_type_size = 32;
	m.t.msg_type_number = 1;
	m.t.msg_type_inline = 1;
	m.p = mine;
	ck_assert_int_eq(msg_rpc(&m.h, RCV_TIMEOUT, sizeof m, 0, 2000),
			 RPC_SUCCESS);
	death_pill_t *d = (death_pill_t *)&m;
	ck_assert_int_eq(d->Head.msg_id, 3400);
	ck_assert_int_eq(d->RetCode, SEND_INVALID_PORT);
}
END_TEST

/* ---- an authenticated peer that sends bad frames (wire.c's own code
 * does our side of the handshake, with this netd state) ---- */

struct netd netd;

/* Connect to B's netd as "mallory" with the shared secret. */
static int peer_connect(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[NETD_NAME_MAX];
	static const char secret[] = "0123456789abcdef-shared";

	snprintf(netd.name, sizeof netd.name, "mallory");
	memcpy(netd.secret, secret, sizeof secret - 1);
	netd.secret_len = sizeof secret - 1;
	sa.sin_port = htons((uint16_t)b.port);
	inet_pton(AF_INET, b.addr, &sa.sin_addr);
	int fd = -1, r = -1;
	for (int i = 0; i < 250 && r != 0; i++) {	/* netd B starting */
		if (fd >= 0) {
			close(fd);
			usleep(20000);
		}
		fd = socket(AF_INET, SOCK_STREAM, 0);
		r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(netd_handshake(fd, "hostB", host), 0);
	return fd;
}

static struct netd_link *link_of(int fd)
{
	static struct netd_link l;

	pthread_mutex_init(&l.wlock, NULL);
	l.fd = fd;
	return &l;
}

/* A MSG frame: fixed part, then body, then extra bytes. */
static int send_msg(int fd, uint32_t dest, uint32_t reply, uint32_t blen,
		    const void *body, size_t len)
{
	uint8_t f[24] = { 0 };

	netd_put32(f, dest);
	netd_put32(f + 4, reply);
	netd_put32(f + 8, 3300);
	netd_put32(f + 20, blen);
	return netd_frame_send(link_of(fd), NETD_MSG, f, sizeof f, body, len);
}

static void expect_closed(int fd)
{
	char c;
	struct timeval tv = { 3, 0 };
	ssize_t got;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	while ((got = read(fd, &c, 1)) > 0)
		;
	ck_assert_msg(got == 0 || errno == ECONNRESET, "read: %s",
		      strerror(errno));
	close(fd);
}

START_TEST(test_netd_bad_frames_from_an_authenticated_peer_end_its_link)
{
	port_t s = echo_port();
	necho_name_t out;
	/* A port item of type RECEIVE, and an OOL byte item of 16 bytes. */
	uint32_t rcv[4] = { 0x10012004, 0, 5, 0 };
	uint32_t ool[4] = { 0x00100809, 0, 0, 0 };
	uint8_t wrong_len[4];
	int fd;

	netd_put32(wrong_len, 15);
	fd = peer_connect();		/* shorter than the fixed part */
	netd_frame_send(link_of(fd), NETD_MSG, "x", 1, NULL, 0);
	expect_closed(fd);
	fd = peer_connect();		/* body longer than the frame */
	send_msg(fd, 1, 0, 64, rcv, 8);
	expect_closed(fd);
	fd = peer_connect();		/* a receive right */
	send_msg(fd, 1, 0, sizeof rcv, rcv, sizeof rcv);
	expect_closed(fd);
	fd = peer_connect();		/* OOL length unlike its descriptor */
	uint8_t both[sizeof ool + 4 + 15];
	memcpy(both, ool, sizeof ool);
	memcpy(both + sizeof ool, wrong_len, 4);
	send_msg(fd, 1, 0, sizeof ool, both, sizeof both);
	expect_closed(fd);
	fd = peer_connect();		/* a look-up name without its NUL */
	uint8_t look[84];
	memset(look, 'a', sizeof look);
	netd_frame_send(link_of(fd), NETD_LOOKUP, look, sizeof look, NULL, 0);
	expect_closed(fd);
	fd = peer_connect();		/* a HELLO after the handshake */
	netd_frame_send(link_of(fd), NETD_HELLO, look, 80, NULL, 0);
	expect_closed(fd);
	fd = peer_connect();		/* a length over NETD_FRAME_MAX */
	uint8_t big[8] = { 0xff, 0xff, 0xff, 0xff, NETD_WIRE_VERSION, NETD_MSG };
	ck_assert_int_eq(write(fd, big, sizeof big), sizeof big);
	expect_closed(fd);
	/* The real link was never disturbed. */
	ck_assert_int_eq(necho_echo(s, "fine", out), KERN_SUCCESS);
	ck_assert_str_eq(out, "fine!");
}
END_TEST

START_TEST(test_netd_message_for_an_unknown_id_is_refused_to_the_peer)
{
	int fd, type;
	uint32_t len;
	uint8_t *p;

	start_server();
	fd = peer_connect();
	send_msg(fd, 4242, 7, 0, NULL, 0);
	p = netd_frame_recv(fd, &type, &len);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(type, NETD_DEAD);
	ck_assert_uint_eq(len, 4);
	ck_assert_uint_eq(netd_get32(p), 4242);
	free(p);
	p = netd_frame_recv(fd, &type, &len);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(type, NETD_FAIL);
	ck_assert_uint_eq(netd_get32(p), 7);
	ck_assert_int_eq((int)netd_get32(p + 4), 3300);
	free(p);
	/* A look-up is answered with an export id. */
	uint8_t look[84] = { 0, 0, 0, 9 };
	strcpy((char *)look + 4, "echo");
	for (int i = 0; i < 100; i++) {
		netd_frame_send(link_of(fd), NETD_LOOKUP, look, sizeof look,
				NULL, 0);
		p = netd_frame_recv(fd, &type, &len);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(type, NETD_LOOKUP_REPLY);
		ck_assert_uint_eq(netd_get32(p), 9);
		if (netd_get32(p + 4) == KERN_SUCCESS)
			break;
		free(p);
		p = NULL;
		usleep(20000);	/* the server is still checking in */
	}
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_ne(netd_get32(p + 8), 0);
	free(p);
	close(fd);
}
END_TEST

START_TEST(test_netd_lost_link_is_notify_port_deleted_on_proxies)
{
	port_t s = echo_port();
	notification_t n;

	stop(&b.netd, SIGKILL);
	uint64_t until = harness_now_ms() + 2000;
	do {
		n.notify_header.msg_size = sizeof n;
		n.notify_header.msg_local_port = task_notify();
		ck_assert_int_eq(msg_receive(&n.notify_header, RCV_TIMEOUT,
					     2000), RCV_SUCCESS);
		ck_assert_uint_lt(harness_now_ms(), until);
	} while (n.notify_header.msg_id != NOTIFY_PORT_DELETED ||
		 n.notify_port != s);
	necho_name_t out;
	ck_assert_int_eq(necho_echo(s, "x", out), SEND_INVALID_PORT);
}
END_TEST

/* A "peer" that accepts and then says nothing costs a look-up 2 s. */
START_TEST(test_netd_silent_peer_gives_no_such_host_without_hanging)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	port_t p;
	int one = 1;

	ck_assert_int_eq(look_up("", "umach-netd", &p), KERN_SUCCESS);
	stop(&b.netd, SIGKILL);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	sa.sin_port = htons((uint16_t)b.port);
	inet_pton(AF_INET, b.addr, &sa.sin_addr);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(ls, 4), 0);
	uint64_t t0 = harness_now_ms();
	ck_assert_int_eq(netname_look_up(name_server_port, "hostB", "echo",
					 &p), NETNAME_NO_SUCH_HOST);
	uint64_t took = harness_now_ms() - t0;
	ck_assert_uint_lt(took, 4000);	/* the 2 s handshake time-out, and slack */
	close(ls);
}
END_TEST

/* netd killed while it holds a look-up: netnamed's forward times out
 * (10 s, netdfwd.defs) and the name server goes on serving. */
START_TEST(test_netd_killed_mid_look_up_does_not_hang_the_name_server)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	port_t p;
	int one = 1;

	ck_assert_int_eq(look_up("", "umach-netd", &p), KERN_SUCCESS);
	stop(&b.netd, SIGKILL);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	sa.sin_port = htons((uint16_t)b.port);
	inet_pton(AF_INET, b.addr, &sa.sin_addr);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(ls, 4), 0);
	pid_t killer = fork();
	ck_assert_int_ge(killer, 0);
	if (killer == 0) {
		usleep(500 * 1000);	/* netd A is in the silent handshake */
		kill(a.netd, SIGKILL);
		_exit(0);
	}
	uint64_t t0 = harness_now_ms();
	ck_assert_int_eq(netname_look_up(name_server_port, "hostB", "echo",
					 &p), NETNAME_NO_SUCH_HOST);
	ck_assert_uint_lt(harness_now_ms() - t0, 15000);
	harness_wait(killer, 2000);
	stop(&a.netd, SIGKILL);
	ck_assert_int_eq(netname_look_up(name_server_port, "", "nothing", &p),
			 NETNAME_NOT_CHECKED_IN);
	close(ls);
}
END_TEST

static void wrong_secret_hosts(void)
{
	two_hosts("0123456789abcdef-shared", "0123456789abcdef-other!");
}

/* umach-netd refuses bad arguments: usage 2, errors 1. */
START_TEST(test_netd_refuses_bad_arguments)
{
	char path[160];
	static const char *bad[][6] = {
		{ "--listen", "127.0.0.1:0" },
		{ "--peer", "nohostport" },
		{ "--listen", "nowhere:1" },
	};

	snprintf(dir, sizeof dir, "/tmp/umach-netd-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/open.secret", dir);
	write_secret(path, "0123456789abcdef-shared", 0644);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *argv[] = { UMACH_BUILD_DIR "/umach-netd",
				 (char *)bad[i][0], (char *)bad[i][1], NULL };
		pid_t pid = run_on("/nonexistent", "/dev/null", argv);
		ck_assert_int_eq(harness_wait(pid, 2000), 2);
	}
	char *tool[] = { UMACH_BUILD_DIR "/umach", "netd", NULL };
	ck_assert_int_eq(harness_wait(run_on("/nonexistent", "/dev/null", tool),
				      2000), 2);
	char *weak[] = { UMACH_BUILD_DIR "/umach-netd", "--secret", path, NULL };
	ck_assert_int_eq(harness_wait(run_on("/nonexistent", "/dev/null", weak),
				      2000), 1);
	write_secret(path, "short", 0600);
	ck_assert_int_eq(harness_wait(run_on("/nonexistent", "/dev/null", weak),
				      2000), 1);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* ---- the same across network namespaces ---- */

static int sh(const char *fmt, const char *x, const char *y)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, fmt, x, y, x, y);
	return system(cmd);
}

/*
 * Namespaces umnA<pid> and umnB<pid>, joined by a veth pair with
 * 10.77.0.1 and 10.77.0.2; then the two hosts as on loopback.
 */
static void netns_hosts(void)
{
	char ida[16], idb[16];

	snprintf(a.ns, sizeof a.ns, "umnA%d", getpid());
	snprintf(b.ns, sizeof b.ns, "umnB%d", getpid());
	snprintf(ida, sizeof ida, "uva%d", getpid());
	snprintf(idb, sizeof idb, "uvb%d", getpid());
	snprintf(a.addr, sizeof a.addr, "10.77.0.1");
	snprintf(b.addr, sizeof b.addr, "10.77.0.2");
	ck_assert_int_eq(sh("ip netns add %s && ip netns add %s", a.ns, b.ns), 0);
	ck_assert_int_eq(sh("ip link add %s type veth peer name %s", ida, idb), 0);
	ck_assert_int_eq(sh("ip link set %s netns %s", ida, a.ns), 0);
	ck_assert_int_eq(sh("ip link set %s netns %s", idb, b.ns), 0);
	ck_assert_int_eq(sh("ip -n %2$s addr add 10.77.0.1/24 dev %1$s && "
			    "ip -n %2$s link set %1$s up && "
			    "ip -n %2$s link set lo up", ida, a.ns), 0);
	ck_assert_int_eq(sh("ip -n %2$s addr add 10.77.0.2/24 dev %1$s && "
			    "ip -n %2$s link set %1$s up && "
			    "ip -n %2$s link set lo up", idb, b.ns), 0);
	trusted_hosts();
}

static void netns_teardown(void)
{
	teardown();
	sh("ip netns del %s; ip netns del %s", a.ns, b.ns);
}

/* Why the namespace case cannot run here, or NULL if it can. */
static const char *netns_unavailable(void)
{
	if (geteuid() != 0)
		return "not root";
	if (system("ip -V >/dev/null 2>&1") != 0)
		return "ip (iproute2) is missing";
	return NULL;
}

static Suite *netd_suite(void)
{
	Suite *s = suite_create("netd");
	TCase *tc = tcase_create("loopback");
	TCase *bad = tcase_create("wrong secret");
	TCase *args = tcase_create("arguments");

	tcase_add_checked_fixture(tc, trusted_hosts, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_netd_echo_through_umig_stubs_on_the_other_kernel);
	tcase_add_test(tc, test_netd_port_right_sent_across_is_used_from_there);
	tcase_add_test(tc, test_netd_out_of_line_data_crosses_both_ways);
	tcase_add_test(tc, test_netd_remote_kernel_killed_mid_call_fails_within_2s);
	tcase_add_test(tc, test_netd_remote_port_death_is_notify_port_deleted);
	tcase_add_test(tc, test_netd_look_up_errors);
	tcase_add_test(tc, test_netd_malformed_frame_closes_only_that_link);
	tcase_add_test(tc, test_netd_receive_right_is_refused_with_send_invalid_port);
	tcase_add_test(tc, test_netd_bad_frames_from_an_authenticated_peer_end_its_link);
	tcase_add_test(tc, test_netd_message_for_an_unknown_id_is_refused_to_the_peer);
	tcase_add_test(tc, test_netd_lost_link_is_notify_port_deleted_on_proxies);
	tcase_add_test(tc, test_netd_silent_peer_gives_no_such_host_without_hanging);
	tcase_add_test(tc, test_netd_killed_mid_look_up_does_not_hang_the_name_server);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(bad, wrong_secret_hosts, teardown);
	tcase_set_timeout(bad, 30);
	tcase_add_test(bad, test_netd_wrong_secret_gives_no_such_host);
	suite_add_tcase(s, bad);
	tcase_add_test(args, test_netd_refuses_bad_arguments);
	suite_add_tcase(s, args);
	const char *why = netns_unavailable();
	if (why != NULL) {
		printf("check_netd: network-namespace tests skipped: %s\n", why);
		return s;
	}
	TCase *ns = tcase_create("netns");
	tcase_add_checked_fixture(ns, netns_hosts, netns_teardown);
	tcase_set_timeout(ns, 30);
	tcase_add_test(ns, test_netd_echo_through_umig_stubs_on_the_other_kernel);
	tcase_add_test(ns, test_netd_port_right_sent_across_is_used_from_there);
	tcase_add_test(ns, test_netd_out_of_line_data_crosses_both_ways);
	tcase_add_test(ns, test_netd_remote_kernel_killed_mid_call_fails_within_2s);
	suite_add_tcase(s, ns);
	return s;
}

int main(void)
{
	return harness_run(netd_suite());
}
