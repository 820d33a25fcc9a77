/*
 * Port sets through libumach against a real umachd: a server receiving on
 * one set from two client processes (each member's name reported on
 * receive), port_set_status's out-of-line array, the default set with
 * PORT_DEFAULT, and the set errors a program sees.  (tests/unit/check_pset
 * covers every code path inside the kernel.)
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <mach_extra.h>
#include <servers/netname.h>
#include "harness.h"

#define PER_CLIENT 200

static void setup(void) { harness_start("textbook"); }
static void teardown(void) { harness_stop(); }

static port_t new_port(void)
{
	port_t p;

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	return p;
}

/* A client process: PER_CLIENT RPCs to the port checked in as arg, each
 * carrying a tag (the name's first letter) and a sequence number; each
 * answer must carry the number + 1. */
static int client(void *arg)
{
	const char *name = arg;
	port_t p = harness_lookup(name);
	struct msg64 m;

	if (p == PORT_NULL)
		return 10;
	for (int i = 0; i < PER_CLIENT; i++) {
		msg64_init(&m, p, thread_reply(), 1);
		m.data[0] = name[0];
		memcpy(m.data + 4, &i, sizeof i);
		if (msg_rpc(&m.h, MSG_OPTION_NONE, sizeof m, 0, 0) != RPC_SUCCESS)
			return 11;
		int got;
		memcpy(&got, m.data + 4, sizeof got);
		if (m.h.msg_id != 101 || got != i + 1)
			return 12;
	}
	return 0;
}

START_TEST(test_a_server_receives_on_one_set_from_two_client_processes)
{
	port_t pa = new_port(), pb = new_port(), s;
	int seen_a = 0, seen_b = 0, next_a = 0, next_b = 0;
	struct msg64 m;

	ck_assert_int_eq(port_set_allocate(task_self(), &s), KERN_SUCCESS);
	ck_assert_int_eq(port_set_add(task_self(), s, pa), KERN_SUCCESS);
	ck_assert_int_eq(port_set_add(task_self(), s, pb), KERN_SUCCESS);
	ck_assert_int_eq(netname_check_in(name_server_port, "a-client",
					  PORT_NULL, pa), 0);
	ck_assert_int_eq(netname_check_in(name_server_port, "b-client",
					  PORT_NULL, pb), 0);
	pid_t ca = harness_spawn(client, "a-client");
	pid_t cb = harness_spawn(client, "b-client");
	ck_assert_int_gt(ca, 0);
	ck_assert_int_gt(cb, 0);
	for (int n = 0; n < 2 * PER_CLIENT; n++) {
		memset(&m, 0, sizeof m);
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = s;
		ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 10000),
				 RCV_SUCCESS);
		int i;
		memcpy(&i, m.data + 4, sizeof i);
		/* the member it came in on, and in order per member */
		if (m.data[0] == 'a') {
			ck_assert_int_eq(m.h.msg_local_port, pa);
			ck_assert_int_eq(i, next_a++);
			seen_a++;
		} else {
			ck_assert_int_eq(m.data[0], 'b');
			ck_assert_int_eq(m.h.msg_local_port, pb);
			ck_assert_int_eq(i, next_b++);
			seen_b++;
		}
		i++;
		memcpy(m.data + 4, &i, sizeof i);
		m.h.msg_local_port = PORT_NULL;
		m.h.msg_id += 100;
		ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0),
				 SEND_SUCCESS);
	}
	ck_assert_int_eq(seen_a, PER_CLIENT);
	ck_assert_int_eq(seen_b, PER_CLIENT);
	ck_assert_int_eq(harness_wait(ca, 10000), 0);
	ck_assert_int_eq(harness_wait(cb, 10000), 0);
}
END_TEST

START_TEST(test_port_set_status_and_port_names_show_sets)
{
	port_t p1 = new_port(), p2 = new_port(), s;
	port_name_array_t members;
	unsigned int n;

	ck_assert_int_eq(port_set_allocate(task_self(), &s), KERN_SUCCESS);
	ck_assert_int_eq(port_set_status(task_self(), s, &members, &n),
			 KERN_SUCCESS);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(port_set_add(task_self(), s, p1), KERN_SUCCESS);
	ck_assert_int_eq(port_set_add(task_self(), s, p2), KERN_SUCCESS);
	ck_assert_int_eq(port_set_status(task_self(), s, &members, &n),
			 KERN_SUCCESS);
	ck_assert_uint_eq(n, 2);
	ck_assert((members[0] == p1 && members[1] == p2) ||
		  (members[0] == p2 && members[1] == p1));
	ck_assert_int_eq(vm_deallocate(task_self(), (vm_address_t)members,
				       n * sizeof *members), KERN_SUCCESS);
	ck_assert_int_eq(port_set_status(task_self(), p1, &members, &n),
			 KERN_INVALID_ARGUMENT);
	/* port_names lists the set among the rights, as PORT_TYPE_SET */
	port_name_array_t names;
	port_type_array_t types;
	unsigned int nn, nt;
	int found = 0;
	ck_assert_int_eq(port_names(task_self(), &names, &nn, &types, &nt),
			 KERN_SUCCESS);
	for (unsigned int i = 0; i < nn; i++)
		if (names[i] == s)
			found = types[i] == PORT_TYPE_SET;
	ck_assert(found);
	vm_deallocate(task_self(), (vm_address_t)names, nn * sizeof *names);
	vm_deallocate(task_self(), (vm_address_t)types, nt * sizeof *types);
}
END_TEST

START_TEST(test_set_calls_return_their_mach_codes_through_the_library)
{
	port_t p = new_port(), s, s2;
	port_set_name_t enabled;
	int num, backlog;
	boolean_t own, rcv;
	port_type_t type;

	ck_assert_int_eq(port_set_allocate(task_self(), &s), KERN_SUCCESS);
	ck_assert_int_eq(port_set_allocate(task_self(), &s2), KERN_SUCCESS);
	ck_assert_int_eq(port_type(task_self(), s, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_SET);
	ck_assert_int_eq(port_set_remove(task_self(), p), KERN_NOT_IN_SET);
	ck_assert_int_eq(port_set_add(task_self(), s, p), KERN_SUCCESS);
	ck_assert_int_eq(port_set_add(task_self(), s, p), KERN_ALREADY_IN_SET);
	ck_assert_int_eq(port_set_add(task_self(), p, p), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(port_set_add(task_self(), s, task_self()),
			 KERN_NOT_RECEIVER);
	ck_assert_int_eq(port_status(task_self(), p, &enabled, &num, &backlog,
				     &own, &rcv), KERN_SUCCESS);
	ck_assert_int_eq(enabled, s);
	/* receiving on a member is refused; the set gets the message */
	struct msg64 m;
	msg64_init(&m, p, PORT_NULL, 5);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 0), RCV_INVALID_PORT);
	ck_assert_int_eq(port_set_add(task_self(), s2, p), KERN_SUCCESS);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = s2;
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 0), RCV_SUCCESS);
	ck_assert_int_eq(m.h.msg_local_port, p);
	ck_assert_int_eq(port_set_remove(task_self(), p), KERN_SUCCESS);
	ck_assert_int_eq(port_set_deallocate(task_self(), s), KERN_SUCCESS);
	ck_assert_int_eq(port_set_deallocate(task_self(), s),
			 KERN_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_port_default_receives_from_unrestricted_ports)
{
	port_t p = new_port(), q = new_port();
	port_set_name_t enabled;
	int num, backlog;
	boolean_t own, rcv;
	struct msg64 m;

	ck_assert_int_eq(port_unrestrict(task_self(), p), KERN_SUCCESS);
	ck_assert_int_eq(port_enable(task_self(), p), KERN_ALREADY_IN_SET);
	ck_assert_int_eq(port_status(task_self(), p, &enabled, &num, &backlog,
				     &own, &rcv), KERN_SUCCESS);
	ck_assert_int_eq(enabled, PORT_ENABLED);
	msg64_init(&m, q, PORT_NULL, 1);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	msg64_init(&m, p, PORT_NULL, 2);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = PORT_DEFAULT;
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 0), RCV_SUCCESS);
	ck_assert_int_eq(m.h.msg_id, 2);
	ck_assert_int_eq(m.h.msg_local_port, p);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = PORT_DEFAULT;
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 0), RCV_TIMED_OUT);
	ck_assert_int_eq(port_restrict(task_self(), p), KERN_SUCCESS);
	ck_assert_int_eq(port_disable(task_self(), p), KERN_NOT_IN_SET);
}
END_TEST

struct waiter {
	port_set_name_t set;
	msg_return_t    r;
};

static void *wait_on_set(void *arg)
{
	struct waiter *w = arg;
	struct msg64 m;

	memset(&m, 0, sizeof m);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = w->set;
	w->r = msg_receive(&m.h, MSG_OPTION_NONE, 0);
	return NULL;
}

START_TEST(test_deallocating_a_set_fails_a_thread_receiving_on_it)
{
	struct waiter w = { .r = 12345 };
	pthread_t th;

	ck_assert_int_eq(port_set_allocate(task_self(), &w.set), KERN_SUCCESS);
	ck_assert_int_eq(pthread_create(&th, NULL, wait_on_set, &w), 0);
	usleep(100000);		/* let it block (either order ends the same) */
	ck_assert_int_eq(port_set_deallocate(task_self(), w.set), KERN_SUCCESS);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(w.r, RCV_INVALID_PORT);
}
END_TEST

static Suite *pset_suite(void)
{
	Suite *s = suite_create("pset");
	TCase *tc = tcase_create("textbook");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_a_server_receives_on_one_set_from_two_client_processes);
	tcase_add_test(tc, test_port_set_status_and_port_names_show_sets);
	tcase_add_test(tc, test_set_calls_return_their_mach_codes_through_the_library);
	tcase_add_test(tc, test_port_default_receives_from_unrestricted_ports);
	tcase_add_test(tc, test_deallocating_a_set_fails_a_thread_receiving_on_it);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(pset_suite());
}
