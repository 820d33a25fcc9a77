/*
 * Death: a task killed with kill -9 (blocked in msg_receive, or in the
 * middle of msg_rpc) loses every right, its peers get NOTIFY_PORT_DELETED,
 * and the kernel's fds and mappings return to their baseline; a kernel
 * killed with kill -9 makes blocked calls fail promptly; SIGTERM stops it
 * cleanly.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <check.h>
#include <servers/netname.h>
#include "harness.h"

static void setup(void) { harness_start("textbook"); }
static void teardown(void) { harness_stop(); }

/* Check in a port as "victim", then block in msg_receive on it forever. */
static int receiver(void *arg)
{
	port_t p;
	struct msg64 m;

	(void)arg;
	if (port_allocate(task_self(), &p) != KERN_SUCCESS ||
	    netname_check_in(name_server_port, "victim", PORT_NULL, p) != 0)
		return 10;
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	msg_receive(&m.h, MSG_OPTION_NONE, 0);
	return 11;
}

/* Check in a port, take one request, never answer it. */
static int silent_server(void *arg)
{
	port_t p;
	struct msg64 m;

	(void)arg;
	if (port_allocate(task_self(), &p) != KERN_SUCCESS ||
	    netname_check_in(name_server_port, "silent", PORT_NULL, p) != 0)
		return 10;
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	msg_receive(&m.h, MSG_OPTION_NONE, 0);
	pause();
	return 11;
}

/* Make an RPC to "silent" and wait for the answer that never comes. */
static int rpc_client(void *arg)
{
	struct msg64 m;
	port_t s = harness_lookup("silent");

	(void)arg;
	msg64_init(&m, s, thread_reply(), 1);
	msg_rpc(&m.h, MSG_OPTION_NONE, sizeof m, 0, 0);
	return 11;
}

static void expect_port_deleted(port_t name)
{
	notification_t n;

	n.notify_header.msg_size = sizeof n;
	n.notify_header.msg_local_port = task_notify();
	ck_assert_int_eq(msg_receive(&n.notify_header, RCV_TIMEOUT, 2000),
			 RCV_SUCCESS);
	ck_assert_int_eq(n.notify_header.msg_id, NOTIFY_PORT_DELETED);
	ck_assert_int_eq(n.notify_port, name);
}

static void wait_baseline(pid_t k, int fds, int maps)
{
	for (int i = 0; i < 200; i++) {
		if (harness_fds(k) == fds && harness_maps(k) == maps)
			return;
		usleep(10000);
	}
	ck_assert_int_eq(harness_fds(k), fds);
	ck_assert_int_eq(harness_maps(k), maps);
}

START_TEST(test_kill_9_in_receive_notifies_senders_and_frees_everything)
{
	pid_t k = harness_kernel_pid();
	int fds = harness_fds(k), maps = harness_maps(k);
	pid_t victim = harness_spawn(receiver, NULL);
	port_t p = harness_lookup("victim");
	struct msg64 m;

	ck_assert_int_ne(p, PORT_NULL);
	usleep(50000);
	ck_assert_int_gt(harness_fds(k), fds);
	ck_assert_int_gt(harness_memfd_maps(k), 0);
	kill(victim, SIGKILL);
	ck_assert_int_eq(harness_wait(victim, 5000), 128 + SIGKILL);
	expect_port_deleted(p);
	msg64_init(&m, p, PORT_NULL, 1);
	ck_assert_int_eq(msg_send(&m.h, SEND_TIMEOUT, 0), SEND_INVALID_PORT);
	wait_baseline(k, fds, maps);
	/* The name died with its port. */
	port_t again;
	ck_assert_int_eq(netname_look_up(name_server_port, "", "victim", &again),
			 NETNAME_NOT_CHECKED_IN);
}
END_TEST

START_TEST(test_kill_9_in_the_middle_of_rpc_frees_everything)
{
	pid_t k = harness_kernel_pid();
	int fds = harness_fds(k), maps = harness_maps(k);
	pid_t srv = harness_spawn(silent_server, NULL);
	port_t s = harness_lookup("silent");
	pid_t cli = harness_spawn(rpc_client, NULL);

	ck_assert_int_ne(s, PORT_NULL);
	usleep(100000);
	kill(cli, SIGKILL);
	ck_assert_int_eq(harness_wait(cli, 5000), 128 + SIGKILL);
	kill(srv, SIGKILL);
	ck_assert_int_eq(harness_wait(srv, 5000), 128 + SIGKILL);
	expect_port_deleted(s);
	wait_baseline(k, fds, maps);
}
END_TEST

START_TEST(test_kernel_killed_makes_blocked_receive_fail_within_1s)
{
	port_t p;
	struct msg64 m;

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	pid_t killer = fork();
	if (killer == 0) {
		usleep(100000);
		kill(harness_kernel_pid(), SIGKILL);
		_exit(0);
	}
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	uint64_t t0 = harness_now_ms();
	ck_assert_int_eq(msg_receive(&m.h, MSG_OPTION_NONE, 0), RCV_INVALID_PORT);
	/* killed at t0 + 100 ms; the promise is an error within 1 s of that */
	ck_assert_uint_lt(harness_now_ms() - t0, 1100);
	harness_wait(killer, 5000);
	harness_kill_kernel();
	/* Later calls fail at once. */
	msg64_init(&m, p, PORT_NULL, 1);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_INVALID_PORT);
}
END_TEST

START_TEST(test_sigterm_stops_kernel_and_removes_its_socket)
{
	const char *sock = getenv("UMACH_SOCKET");
	struct stat st;

	ck_assert_int_eq(stat(sock, &st), 0);
	kill(harness_kernel_pid(), SIGTERM);
	ck_assert_int_eq(harness_wait(harness_kernel_pid(), 5000), 0);
	ck_assert_int_ne(stat(sock, &st), 0);
	harness_kill_kernel();
}
END_TEST

static int connect_silently(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", getenv("UMACH_SOCKET"));
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

/* A connection that never says hello is dropped after 3 s (reliability
 * C7), so that 64 of them cannot lock tasks out for good. */
START_TEST(test_stalled_handshakes_are_dropped_and_attaches_work_again)
{
	int fd[64];
	char c;
	struct timeval tv = { .tv_sec = 10 };
	uint64_t t0 = harness_now_ms();

	for (int i = 0; i < 64; i++)
		fd[i] = connect_silently();
	setsockopt(fd[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ck_assert_int_eq(recv(fd[0], &c, 1, 0), 0);	/* the kernel hung up */
	uint64_t took = harness_now_ms() - t0;
	ck_assert_uint_ge(took, 2900);
	ck_assert_uint_le(took, 9000);
	for (int i = 0; i < 64; i++)
		close(fd[i]);
	/* a task attaches again */
	ck_assert_int_eq(system(UMACH_BUILD_DIR "/umach run true"), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("death");
	TCase *tc = tcase_create("death");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_kill_9_in_receive_notifies_senders_and_frees_everything);
	tcase_add_test(tc, test_kill_9_in_the_middle_of_rpc_frees_everything);
	tcase_add_test(tc, test_kernel_killed_makes_blocked_receive_fail_within_1s);
	tcase_add_test(tc, test_sigterm_stops_kernel_and_removes_its_socket);
	tcase_add_test(tc, test_stalled_handshakes_are_dropped_and_attaches_work_again);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(suite());
}
