/*
 * The message primitives through libumach against a real umachd: RPCs
 * between processes, the full-queue behaviours and timeouts in real time,
 * signals during blocking calls, and every msg_* return code that needs a
 * live kernel to provoke.  (tests/unit covers the same semantics inside
 * the kernel, including out-of-memory paths.)
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <servers/netname.h>
#include "harness.h"

#define RPCS 100000

static void setup(void) { harness_start("textbook"); }
static void teardown(void) { harness_stop(); }

static port_t new_port(void)
{
	port_t p;

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	return p;
}

/* An echo server: answers each request with data[i] + 1, until id 999. */
static int echo_server(void *arg)
{
	port_t p;
	struct msg64 m;

	(void)arg;
	if (port_allocate(task_self(), &p) != KERN_SUCCESS ||
	    netname_check_in(name_server_port, "echo", PORT_NULL, p) != 0)
		return 10;
	for (;;) {
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = p;
		if (msg_receive(&m.h, MSG_OPTION_NONE, 0) != RCV_SUCCESS)
			return 11;
		if (m.h.msg_id == 999)
			return 0;
		for (size_t i = 0; i < sizeof m.data; i++)
			m.data[i]++;
		m.h.msg_local_port = PORT_NULL;
		m.h.msg_id += 100;
		if (msg_send(&m.h, MSG_OPTION_NONE, 0) != SEND_SUCCESS)
			return 12;
	}
}

START_TEST(test_rpc_100000_round_trips_between_processes_keep_contents)
{
	pid_t srv = harness_spawn(echo_server, NULL);
	port_t echo = harness_lookup("echo");
	struct msg64 m;

	ck_assert_int_ne(echo, PORT_NULL);
	for (int i = 0; i < RPCS; i++) {
		msg64_init(&m, echo, thread_reply(), 7);
		for (size_t j = 0; j < sizeof m.data; j++)
			m.data[j] = (char)(i + j);
		ck_assert_int_eq(msg_rpc(&m.h, MSG_OPTION_NONE, sizeof m, 0, 0),
				 RPC_SUCCESS);
		ck_assert_int_eq(m.h.msg_id, 107);
		ck_assert_uint_eq(m.h.msg_size, sizeof m);
		for (size_t j = 0; j < sizeof m.data; j++)
			ck_assert_int_eq(m.data[j], (char)(i + j + 1));
	}
	msg64_init(&m, echo, PORT_NULL, 999);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	ck_assert_int_eq(harness_wait(srv, 10000), 0);
}
END_TEST

START_TEST(test_receive_swaps_header_ports_and_gives_reply_send_right)
{
	port_t p = new_port(), r = new_port();
	struct msg64 m;
	port_type_t type;

	msg64_init(&m, p, r, 1);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	memset(&m, 0, sizeof m);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	ck_assert_int_eq(msg_receive(&m.h, MSG_OPTION_NONE, 0), RCV_SUCCESS);
	ck_assert_int_eq(m.h.msg_local_port, p);
	ck_assert_int_eq(m.h.msg_remote_port, r);	/* same task: same name */
	ck_assert_int_eq(port_type(task_self(), r, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE_OWN);
}
END_TEST

START_TEST(test_full_queue_send_timeout_0_returns_timed_out_at_once)
{
	port_t p = new_port();
	struct msg64 m;
	int sent = 0;

	msg64_init(&m, p, PORT_NULL, 1);
	while (msg_send(&m.h, SEND_TIMEOUT, 0) == SEND_SUCCESS)
		sent++;
	ck_assert_int_eq(sent, 8);	/* the textbook's default backlog */
	ck_assert_int_eq(msg_send(&m.h, SEND_TIMEOUT, 0), SEND_TIMED_OUT);
}
END_TEST

START_TEST(test_full_queue_send_timeout_n_waits_at_least_n_ms)
{
	port_t p = new_port();
	struct msg64 m;

	msg64_init(&m, p, PORT_NULL, 1);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(msg_send(&m.h, SEND_TIMEOUT, 0), SEND_SUCCESS);
	uint64_t t0 = harness_now_ms();
	ck_assert_int_eq(msg_send(&m.h, SEND_TIMEOUT, 100), SEND_TIMED_OUT);
	ck_assert_uint_ge(harness_now_ms() - t0, 100);
}
END_TEST

static port_t shared_port;

static int drain_one_later(void *arg)
{
	struct msg64 m;

	(void)arg;
	usleep(100000);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = shared_port;
	return msg_receive(&m.h, MSG_OPTION_NONE, 0) == RCV_SUCCESS ? 0 : 1;
}

static void *drain_thread(void *arg)
{
	return (void *)(intptr_t)drain_one_later(arg);
}

START_TEST(test_full_queue_plain_send_blocks_until_a_message_is_taken)
{
	port_t p = shared_port = new_port();
	struct msg64 m;
	pthread_t t;

	msg64_init(&m, p, PORT_NULL, 1);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	pthread_create(&t, NULL, drain_thread, NULL);
	uint64_t t0 = harness_now_ms();
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	ck_assert_uint_ge(harness_now_ms() - t0, 90);
	pthread_join(t, NULL);
}
END_TEST

START_TEST(test_send_notify_caches_one_then_reports_in_progress_then_accepted)
{
	port_t p = new_port();
	struct msg64 m;
	notification_t n;

	msg64_init(&m, p, PORT_NULL, 1);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(msg_send(&m.h, SEND_NOTIFY, 0), SEND_SUCCESS);
	ck_assert_int_eq(msg_send(&m.h, SEND_NOTIFY, 0), SEND_WILL_NOTIFY);
	ck_assert_int_eq(msg_send(&m.h, SEND_NOTIFY, 0), SEND_NOTIFY_IN_PROGRESS);
	for (int i = 0; i < 9; i++) {
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = p;
		ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 0), RCV_SUCCESS);
	}
	n.notify_header.msg_size = sizeof n;
	n.notify_header.msg_local_port = task_notify();
	ck_assert_int_eq(msg_receive(&n.notify_header, RCV_TIMEOUT, 1000),
			 RCV_SUCCESS);
	ck_assert_int_eq(n.notify_header.msg_id, NOTIFY_MSG_ACCEPTED);
	ck_assert_int_eq(n.notify_header.msg_type, MSG_TYPE_EMERGENCY);
	ck_assert_int_eq(n.notify_header.msg_simple, TRUE);
	ck_assert_int_eq(n.notify_type.msg_type_name, MSG_TYPE_PORT_NAME);
	ck_assert_int_eq(n.notify_port, p);
}
END_TEST

START_TEST(test_receive_timeout_0_on_empty_port_returns_timed_out)
{
	struct msg64 m;

	m.h.msg_size = sizeof m;
	m.h.msg_local_port = new_port();
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 0), RCV_TIMED_OUT);
	uint64_t t0 = harness_now_ms();
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 50), RCV_TIMED_OUT);
	ck_assert_uint_ge(harness_now_ms() - t0, 50);
}
END_TEST

START_TEST(test_receive_too_large_reports_size_and_keeps_message)
{
	port_t p = new_port();
	struct msg64 m;

	msg64_init(&m, p, PORT_NULL, 5);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	m.h.msg_size = sizeof(msg_header_t);
	m.h.msg_local_port = p;
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 0), RCV_TOO_LARGE);
	ck_assert_uint_eq(m.h.msg_size, sizeof m);
	m.h.msg_local_port = p;
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 0), RCV_SUCCESS);
	ck_assert_int_eq(m.h.msg_id, 5);
}
END_TEST

START_TEST(test_send_size_limits_and_bad_ports_are_refused)
{
	port_t p = new_port();
	static char big[MSG_SIZE_MAX + 64];
	msg_header_t *h = (msg_header_t *)big;
	struct msg64 m;

	msg64_init(&m, p, PORT_NULL, 1);
	m.h.msg_size = sizeof(msg_header_t) - 4;
	ck_assert_int_eq(msg_send(&m.h, SEND_TIMEOUT, 0), SEND_MSG_TOO_SMALL);
	m.h.msg_size = sizeof(msg_header_t) + 12;	/* item runs past the end */
	m.h.msg_simple = FALSE;
	ck_assert_int_eq(msg_send(&m.h, SEND_TIMEOUT, 0), SEND_MSG_TOO_SMALL);
	*h = m.h;
	h->msg_size = MSG_SIZE_MAX + 4;
	ck_assert_int_eq(msg_send(h, SEND_TIMEOUT, 0), SEND_MSG_TOO_LARGE);
	msg64_init(&m, 12345, PORT_NULL, 1);
	ck_assert_int_eq(msg_send(&m.h, SEND_TIMEOUT, 0), SEND_INVALID_PORT);
	msg64_init(&m, p, 12345, 1);
	ck_assert_int_eq(msg_send(&m.h, SEND_TIMEOUT, 0), SEND_INVALID_PORT);
	ck_assert_int_eq(msg_send(NULL, 0, 0), SEND_INVALID_MEMORY);
	ck_assert_int_eq(msg_receive(NULL, 0, 0), RCV_INVALID_MEMORY);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = PORT_NULL;
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 0), RCV_INVALID_PORT);
}
END_TEST

static void on_signal(int sig) { (void)sig; }

struct blocked {
	pthread_t thread;
	int       option;
	int       is_send;
	port_t    port;
	_Atomic int result;
};

static void *block_in_call(void *arg)
{
	struct blocked *b = arg;
	struct msg64 m;

	msg64_init(&m, b->port, PORT_NULL, 1);
	if (b->is_send) {
		b->result = msg_send(&m.h, b->option, 0);
	} else {
		m.h.msg_local_port = b->port;
		b->result = msg_receive(&m.h, b->option, 0);
	}
	return NULL;
}

/* Block a thread in a call, signal it (no SA_RESTART), see what it says. */
static int signal_blocked_call(int is_send, int option)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct blocked b = { .option = option, .is_send = is_send };
	struct msg64 m;

	sigaction(SIGUSR1, &sa, NULL);
	b.port = new_port();
	msg64_init(&m, b.port, PORT_NULL, 1);
	for (int i = 0; is_send && i < 8; i++)
		ck_assert_int_eq(msg_send(&m.h, SEND_TIMEOUT, 0), SEND_SUCCESS);
	b.result = 12345;
	pthread_create(&b.thread, NULL, block_in_call, &b);
	usleep(300000);		/* long enough to be asleep, even under valgrind */
	pthread_kill(b.thread, SIGUSR1);
	/* An interrupt the call asked for may take a while to act on a loaded
	 * machine: wait for it up to 5 s.  Without one, 300 ms shows that the
	 * call went on. */
	int wait_ms = option & (SEND_INTERRUPT | RCV_INTERRUPT) ? 5000 : 300;
	for (int ms = 0; ms < wait_ms && b.result == 12345; ms += 10)
		usleep(10000);
	if (b.result == 12345) {	/* still blocked: let it finish */
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = b.port;
		if (is_send)
			msg_receive(&m.h, MSG_OPTION_NONE, 0);
		else
			msg_send(&m.h, MSG_OPTION_NONE, 0);
	}
	pthread_join(b.thread, NULL);
	return b.result;
}

START_TEST(test_signal_interrupts_send_only_with_send_interrupt)
{
	ck_assert_int_eq(signal_blocked_call(1, SEND_INTERRUPT), SEND_INTERRUPTED);
	ck_assert_int_eq(signal_blocked_call(1, MSG_OPTION_NONE), SEND_SUCCESS);
}
END_TEST

START_TEST(test_signal_interrupts_receive_only_with_rcv_interrupt)
{
	ck_assert_int_eq(signal_blocked_call(0, RCV_INTERRUPT), RCV_INTERRUPTED);
	ck_assert_int_eq(signal_blocked_call(0, MSG_OPTION_NONE), RCV_SUCCESS);
}
END_TEST

static void *reply_port_of_thread(void *arg)
{
	*(port_t *)arg = thread_reply();
	return NULL;
}

START_TEST(test_each_thread_has_its_own_reply_port)
{
	port_t mine = thread_reply(), other = PORT_NULL;
	pthread_t t;
	port_type_t type;

	pthread_create(&t, NULL, reply_port_of_thread, &other);
	pthread_join(t, NULL);
	ck_assert_int_ne(mine, PORT_NULL);
	ck_assert_int_ne(other, PORT_NULL);
	ck_assert_int_ne(mine, other);
	ck_assert_int_eq(thread_reply(), mine);
	ck_assert_int_eq(port_type(task_self(), mine, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_ne(thread_self(), PORT_NULL);
}
END_TEST

START_TEST(test_mach_error_string_names_every_code)
{
	static const int codes[] = {
		KERN_SUCCESS, KERN_INVALID_ADDRESS, KERN_NAME_EXISTS,
		SEND_INVALID_MEMORY, SEND_MSG_TOO_SMALL, SEND_WILL_NOTIFY,
		RCV_INVALID_MEMORY, RCV_PORT_CHANGE, MIG_TYPE_ERROR,
		MIG_ARRAY_TOO_LARGE,
	};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		ck_assert_msg(strstr(mach_error_string(codes[i]), "unknown") == NULL,
			      "code %d has no text", codes[i]);
	ck_assert_str_eq(mach_error_string(SEND_TIMED_OUT), "(ipc/send) timed out");
	ck_assert_ptr_nonnull(strstr(mach_error_string(-12345), "unknown"));
}
END_TEST

START_TEST(test_mach25_profile_has_backlog_5)
{
	port_t p;
	port_set_name_t set;
	int n, backlog;
	boolean_t own, rcv;

	harness_stop();
	harness_start("mach25");
	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(port_status(task_self(), p, &set, &n, &backlog, &own,
				     &rcv), KERN_SUCCESS);
	ck_assert_int_eq(backlog, 5);
	ck_assert_int_eq(port_set_backlog(task_self(), p, PORT_BACKLOG_MAX),
			 KERN_SUCCESS);
}
END_TEST

START_TEST(test_port_names_lists_every_name_with_its_type_out_of_line)
{
	port_t p = new_port();
	port_name_array_t names;
	port_type_array_t types;
	unsigned int n, nt;
	int seen_p = 0, seen_self = 0;

	ck_assert_int_eq(port_names(task_self(), &names, &n, &types, &nt),
			 KERN_SUCCESS);
	ck_assert_uint_eq(n, nt);
	ck_assert_uint_ge(n, 4);	/* self, notify, name server, p, ... */
	for (unsigned int i = 0; i < n; i++) {
		if (names[i] == p) {
			seen_p = 1;
			ck_assert_int_eq(types[i], PORT_TYPE_RECEIVE_OWN);
		}
		if (names[i] == task_self()) {
			seen_self = 1;
			ck_assert_int_eq(types[i], PORT_TYPE_SEND);
		}
	}
	ck_assert(seen_p && seen_self);
	/* The arrays are the task's own memory: writable, and given back. */
	names[0] = 0;
	ck_assert_int_eq(vm_deallocate(task_self(), (vm_address_t)names,
				       n * sizeof *names), KERN_SUCCESS);
	ck_assert_int_eq(vm_deallocate(task_self(), (vm_address_t)types,
				       n * sizeof *types), KERN_SUCCESS);
}
END_TEST

START_TEST(test_vm_allocate_gives_zeroed_memory_of_this_task_only)
{
	vm_address_t a = 0;

	ck_assert_int_eq(vm_allocate(task_self(), &a, 10000, TRUE), KERN_SUCCESS);
	ck_assert_int_eq(((char *)a)[9999], 0);
	((char *)a)[9999] = 7;
	ck_assert_int_eq(vm_deallocate(task_self(), a, 10000), KERN_SUCCESS);
	ck_assert_int_eq(vm_allocate(task_notify(), &a, 10, TRUE),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(vm_allocate(task_self(), &a, 0, TRUE),
			 KERN_INVALID_ARGUMENT);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("msg");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_rpc_100000_round_trips_between_processes_keep_contents);
	tcase_add_test(tc, test_receive_swaps_header_ports_and_gives_reply_send_right);
	tcase_add_test(tc, test_full_queue_send_timeout_0_returns_timed_out_at_once);
	tcase_add_test(tc, test_full_queue_send_timeout_n_waits_at_least_n_ms);
	tcase_add_test(tc, test_full_queue_plain_send_blocks_until_a_message_is_taken);
	tcase_add_test(tc, test_send_notify_caches_one_then_reports_in_progress_then_accepted);
	tcase_add_test(tc, test_receive_timeout_0_on_empty_port_returns_timed_out);
	tcase_add_test(tc, test_receive_too_large_reports_size_and_keeps_message);
	tcase_add_test(tc, test_send_size_limits_and_bad_ports_are_refused);
	tcase_add_test(tc, test_signal_interrupts_send_only_with_send_interrupt);
	tcase_add_test(tc, test_signal_interrupts_receive_only_with_rcv_interrupt);
	tcase_add_test(tc, test_each_thread_has_its_own_reply_port);
	tcase_add_test(tc, test_mach_error_string_names_every_code);
	tcase_add_test(tc, test_mach25_profile_has_backlog_5);
	tcase_add_test(tc, test_port_names_lists_every_name_with_its_type_out_of_line);
	tcase_add_test(tc, test_vm_allocate_gives_zeroed_memory_of_this_task_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(suite());
}
