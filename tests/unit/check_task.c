/*
 * Registered and special ports in the kernel (kernel/sys_task.c; reference
 * 1.11, 1.17 item 6): what a new task and a forked child start with, the
 * four routines' replies, MIG_BAD_ARGUMENTS for every malformed request
 * (with nothing changed), a registered port that dies, a call without a
 * reply port, and running out of memory for the reply.
 */
#include <check.h>
#include <string.h>

#include <mach/task_special_ports.h>
#include "kt.h"

#define HDR ((uint32_t)sizeof(msg_header_t))
#define DESC ((uint32_t)sizeof(msg_type_t))
#define ARG (DESC + 8)

static struct ktask *a;

static void setup(void)
{
	kt_setup();
	a = kt_task("a");
	kt_reply_port(a);
}

/* Send m as msg_rpc on a; return the RetCode (checking id + 100). */
static int32_t rpc(struct kt_msg *m)
{
	int32_t id = kt_msg_hdr(m)->msg_id, ret;

	ck_assert_int_eq(kt_rpc(a, KT_MIG_SLOT, m, RCV_TIMEOUT, UMACH_MSG_BUF,
				0), RPC_SUCCESS);
	ck_assert_int_eq(kt_hdr(a, KT_MIG_SLOT)->msg_id, id + 100);
	memcpy(&ret, kt_buf(a, KT_MIG_SLOT) + HDR + DESC, 4);
	return ret;
}

/* The i-th name in the reply's port item (after RetCode). */
static int32_t reply_port(uint32_t i)
{
	int32_t v;

	memcpy(&v, kt_buf(a, KT_MIG_SLOT) + HDR + ARG + DESC + 4 * i, 4);
	return v;
}

static void reg_request(struct kt_msg *m, const int32_t *names, uint32_t n)
{
	kt_msg_init(m, a->self_name, kt_reply_port(a), 2033);
	kt_msg_ports(m, MSG_TYPE_PORT, names, n, 0);
}

static void which_request(struct kt_msg *m, int32_t id, int32_t which)
{
	kt_msg_init(m, a->self_name, kt_reply_port(a), id);
	kt_msg_int(m, which);
}

/* task_set_special_port: the selector, then one port padded to 8 bytes
 * as MIG's sizeof(Request) is. */
static void set_request(struct kt_msg *m, int32_t which, int32_t port)
{
	which_request(m, 2059, which);
	kt_msg_ports(m, MSG_TYPE_PORT, &port, 1, 0);
	m->len += 4;
}

START_TEST(test_task_new_task_has_name_server_in_slot_0_and_nothing_else)
{
	int32_t ns;
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &ns), KERN_SUCCESS);
	kern.name_port = space_lookup(&a->space, ns)->port;
	port_get(kern.name_port);
	struct ktask *c = kt_task("c");
	ck_assert_ptr_eq(c->registered[0], kern.name_port);
	for (int i = 1; i < TASK_PORT_REGISTER_MAX; i++)
		ck_assert_ptr_null(c->registered[i]);
	ck_assert_ptr_null(c->bootstrap);
	ck_assert_ptr_null(c->exception);
	kt_msg_init(&m, a->self_name, kt_reply_port(a), 2034);
	ck_assert_int_eq(rpc(&m), KERN_SUCCESS);	/* a came first: empty */
	ck_assert_uint_eq(kt_hdr(a, KT_MIG_SLOT)->msg_size, HDR + ARG + DESC + 16);
	ck_assert_int_eq(reply_port(0), PORT_NULL);
}
END_TEST

START_TEST(test_task_register_then_lookup_gives_send_rights_in_order)
{
	int32_t p, q, names[2];
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_allocate(a, &q), KERN_SUCCESS);
	names[0] = q;
	names[1] = p;
	reg_request(&m, names, 2);
	ck_assert_int_eq(rpc(&m), KERN_SUCCESS);
	ck_assert_uint_eq(kt_hdr(a, KT_MIG_SLOT)->msg_size, HDR + ARG);
	kt_msg_init(&m, a->self_name, kt_reply_port(a), 2034);
	ck_assert_int_eq(rpc(&m), KERN_SUCCESS);
	ck_assert(!kt_hdr(a, KT_MIG_SLOT)->msg_simple);
	ck_assert_int_eq(reply_port(0), q);
	ck_assert_int_eq(reply_port(1), p);
	ck_assert_int_eq(reply_port(2), PORT_NULL);
	ck_assert_int_eq(reply_port(3), PORT_NULL);
}
END_TEST

START_TEST(test_task_a_registered_port_that_dies_reads_back_as_null)
{
	int32_t p;
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	reg_request(&m, &p, 1);
	ck_assert_int_eq(rpc(&m), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_deallocate(a, p), KERN_SUCCESS);
	kt_msg_init(&m, a->self_name, kt_reply_port(a), 2034);
	ck_assert_int_eq(rpc(&m), KERN_SUCCESS);
	ck_assert_int_eq(reply_port(0), PORT_NULL);
}
END_TEST

START_TEST(test_task_forked_child_gets_copies_of_registered_and_special_ports)
{
	int32_t p, b, names[4] = { 0 };
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_allocate(a, &b), KERN_SUCCESS);
	names[2] = p;
	reg_request(&m, names, 4);
	ck_assert_int_eq(rpc(&m), KERN_SUCCESS);
	set_request(&m, TASK_BOOTSTRAP_PORT, b);
	ck_assert_int_eq(rpc(&m), KERN_SUCCESS);
	struct ktask *c = kt_task("c");
	uint32_t fresh = c->space.count;
	task_ports_release(&kern, c);
	task_ports_init(&kern, c, a);
	ck_assert_ptr_eq(c->registered[2], space_lookup(&a->space, p)->port);
	ck_assert_ptr_null(c->registered[0]);
	ck_assert_ptr_eq(c->bootstrap, space_lookup(&a->space, b)->port);
	ck_assert_ptr_null(c->exception);
	/* Inherited rights are the kernel's until the child asks: none of the
	 * parent's names are in the child's space. */
	ck_assert_uint_eq(c->space.count, fresh);
	ck_assert_ptr_ne(c->kport, a->kport);
	ck_assert_ptr_ne(c->notify, a->notify);
}
END_TEST

START_TEST(test_task_register_more_than_4_is_invalid_argument_and_changes_nothing)
{
	int32_t p, names[5];
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	for (int i = 0; i < 5; i++)
		names[i] = p;
	reg_request(&m, names, 5);
	ck_assert_int_eq(rpc(&m), KERN_INVALID_ARGUMENT);
	for (int i = 0; i < TASK_PORT_REGISTER_MAX; i++)
		ck_assert_ptr_null(a->registered[i]);
}
END_TEST

START_TEST(test_task_malformed_requests_return_mig_bad_arguments)
{
	int32_t p, v[2];
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	/* register: names of the wrong type, or a simple message whose
	 * "ports" the kernel never translated, or trailing bytes */
	kt_msg_init(&m, a->self_name, kt_reply_port(a), 2033);
	kt_msg_ports(&m, MSG_TYPE_PORT_NAME, &p, 1, 0);
	ck_assert_int_eq(rpc(&m), MIG_BAD_ARGUMENTS);
	reg_request(&m, &p, 1);
	kt_msg_hdr(&m)->msg_simple = 1;
	ck_assert_int_eq(rpc(&m), MIG_BAD_ARGUMENTS);
	reg_request(&m, &p, 1);
	kt_msg_int(&m, 7);
	ck_assert_int_eq(rpc(&m), MIG_BAD_ARGUMENTS);
	kt_msg_init(&m, a->self_name, kt_reply_port(a), 2033);
	ck_assert_int_eq(rpc(&m), MIG_BAD_ARGUMENTS);	/* no array at all */
	for (int i = 0; i < TASK_PORT_REGISTER_MAX; i++)
		ck_assert_ptr_null(a->registered[i]);
	/* lookup takes no argument */
	which_request(&m, 2034, 1);
	ck_assert_int_eq(rpc(&m), MIG_BAD_ARGUMENTS);
	/* get: the selector must be an INTEGER_32, and alone */
	kt_msg_init(&m, a->self_name, kt_reply_port(a), 2058);
	kt_msg_ports(&m, MSG_TYPE_PORT, &p, 1, 0);
	ck_assert_int_eq(rpc(&m), MIG_BAD_ARGUMENTS);
	which_request(&m, 2058, TASK_NOTIFY_PORT);
	kt_msg_int(&m, 1);
	ck_assert_int_eq(rpc(&m), MIG_BAD_ARGUMENTS);
	/* set: selector then one port item */
	which_request(&m, 2059, TASK_BOOTSTRAP_PORT);
	ck_assert_int_eq(rpc(&m), MIG_BAD_ARGUMENTS);
	which_request(&m, 2059, TASK_BOOTSTRAP_PORT);
	kt_msg_int(&m, p);
	ck_assert_int_eq(rpc(&m), MIG_BAD_ARGUMENTS);
	v[0] = v[1] = p;
	which_request(&m, 2059, TASK_BOOTSTRAP_PORT);
	kt_msg_ports(&m, MSG_TYPE_PORT, v, 2, 0);
	ck_assert_int_eq(rpc(&m), MIG_BAD_ARGUMENTS);
	which_request(&m, 2059, TASK_BOOTSTRAP_PORT);	/* not padded */
	kt_msg_ports(&m, MSG_TYPE_PORT, &p, 1, 0);
	ck_assert_int_eq(rpc(&m), MIG_BAD_ARGUMENTS);
	set_request(&m, 99, p);
	ck_assert_int_eq(rpc(&m), KERN_INVALID_ARGUMENT);
	ck_assert_ptr_null(a->bootstrap);
}
END_TEST

START_TEST(test_task_special_port_selectors)
{
	int32_t p;
	struct kt_msg m;

	which_request(&m, 2058, TASK_KERNEL_PORT);
	ck_assert_int_eq(rpc(&m), KERN_SUCCESS);
	ck_assert_int_eq(reply_port(0), a->self_name);
	which_request(&m, 2058, TASK_NOTIFY_PORT);
	ck_assert_int_eq(rpc(&m), KERN_SUCCESS);
	ck_assert_int_eq(reply_port(0), a->notify_name);
	which_request(&m, 2058, TASK_EXCEPTION_PORT);
	ck_assert_int_eq(rpc(&m), KERN_SUCCESS);
	ck_assert_int_eq(reply_port(0), PORT_NULL);
	which_request(&m, 2058, 0);
	ck_assert_int_eq(rpc(&m), KERN_INVALID_ARGUMENT);
	ck_assert_uint_eq(kt_hdr(a, KT_MIG_SLOT)->msg_size, sizeof(death_pill_t));
	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	set_request(&m, TASK_KERNEL_PORT, p);
	ck_assert_int_eq(rpc(&m), KERN_INVALID_ARGUMENT);
	ck_assert_ptr_ne(a->kport, space_lookup(&a->space, p)->port);
	set_request(&m, TASK_EXCEPTION_PORT, p);
	ck_assert_int_eq(rpc(&m), KERN_SUCCESS);
	ck_assert_ptr_eq(a->exception, space_lookup(&a->space, p)->port);
}
END_TEST

START_TEST(test_task_set_notify_port_redirects_notifications)
{
	int32_t q, p, dummy;
	struct kt_msg m;
	struct ktask *b = kt_task("b");

	ck_assert_int_eq(kt_port_allocate(a, &q), KERN_SUCCESS);
	set_request(&m, TASK_NOTIFY_PORT, q);
	ck_assert_int_eq(rpc(&m), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_allocate(b, &p), KERN_SUCCESS);
	kt_give_send(b, p, a);
	ck_assert_int_eq(kt_port_deallocate(b, p), KERN_SUCCESS);
	ck_assert_uint_eq(kt_queued(a, q), 1);		/* the new notify port */
	ck_assert_int_eq(kt_notification(a, &dummy), KT_BLOCKED);  /* not the old */
}
END_TEST

START_TEST(test_task_register_without_a_reply_port_still_acts)
{
	int32_t p;
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	kt_msg_init(&m, a->self_name, PORT_NULL, 2033);
	kt_msg_ports(&m, MSG_TYPE_PORT, &p, 1, 0);
	ck_assert_int_eq(kt_send(a, 0, &m, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	ck_assert_ptr_eq(a->registered[0], space_lookup(&a->space, p)->port);
}
END_TEST

START_TEST(test_task_no_memory_for_the_reply_refuses_and_changes_nothing)
{
	int32_t p;
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	for (long n = 2; n <= 3; n++) {
		reg_request(&m, &p, 1);
		umach__fail_after(n);	/* kmsg and items made, then fail */
		ck_assert_int_eq(kt_rpc(a, KT_MIG_SLOT, &m, RCV_TIMEOUT,
					UMACH_MSG_BUF, 0), SEND_KERNEL_REFUSED);
		umach__fail_after(-1);
		ck_assert_ptr_null(a->registered[0]);
		ck_assert_uint_eq(kern.nkmsgs, 0);
	}
}
END_TEST

static Suite *task_suite(void)
{
	Suite *s = suite_create("task");
	TCase *tc = tcase_create("textbook");

	tcase_add_checked_fixture(tc, setup, kt_teardown);
	tcase_add_test(tc, test_task_new_task_has_name_server_in_slot_0_and_nothing_else);
	tcase_add_test(tc, test_task_register_then_lookup_gives_send_rights_in_order);
	tcase_add_test(tc, test_task_a_registered_port_that_dies_reads_back_as_null);
	tcase_add_test(tc, test_task_forked_child_gets_copies_of_registered_and_special_ports);
	tcase_add_test(tc, test_task_register_more_than_4_is_invalid_argument_and_changes_nothing);
	tcase_add_test(tc, test_task_malformed_requests_return_mig_bad_arguments);
	tcase_add_test(tc, test_task_special_port_selectors);
	tcase_add_test(tc, test_task_set_notify_port_redirects_notifications);
	tcase_add_test(tc, test_task_register_without_a_reply_port_still_acts);
	tcase_add_test(tc, test_task_no_memory_for_the_reply_refuses_and_changes_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(task_suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
