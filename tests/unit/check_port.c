/*
 * The port calls (kernel/sys_port.c, port.c; reference 1.11, 1.12) as MIG
 * messages on a task's kernel port: port_allocate, port_deallocate,
 * port_set_backlog, port_status, port_type and port_rename with each of
 * their errors, MIG_BAD_ID and MIG_BAD_ARGUMENTS, the reply format (id +
 * 100), port death and its NOTIFY_PORT_DELETED, task death, the reversion
 * of receive and ownership rights, and the thread traps.
 */
#include <check.h>
#include <string.h>

#include <mach/notify.h>
#include "kt.h"

#define ARG ((uint32_t)(sizeof(msg_type_t) + 8))

static struct ktask *a, *b;

static void setup(void)
{
	kt_setup();
	a = kt_task("a");
	b = kt_task("b");
	kt_reply_port(a);
	kt_reply_port(b);
}

static void setup_mach25(void)
{
	kt_setup_mach25();
	a = kt_task("a");
	kt_reply_port(a);
}

/* A hand-made request: header, then n (descriptor, value) pairs. */
static void request(struct kt_msg *m, struct ktask *t, int32_t id,
		    const uint32_t *desc, const int32_t *val, uint32_t n)
{
	kt_msg_init(m, t->self_name, kt_reply_port(t), id);
	for (uint32_t i = 0; i < n; i++) {
		kt_msg_raw(m, &desc[i], 4);
		kt_msg_raw(m, &val[i], 4);
		m->len += 4;
	}
}

/* Send m as msg_rpc; return the reply's RetCode (checking id + 100). */
static int32_t rpc_retcode(struct ktask *t, struct kt_msg *m)
{
	int32_t id = kt_msg_hdr(m)->msg_id, ret;

	ck_assert_int_eq(kt_rpc(t, KT_MIG_SLOT, m, RCV_TIMEOUT, UMACH_MSG_BUF,
				0), RPC_SUCCESS);
	ck_assert_int_eq(kt_hdr(t, KT_MIG_SLOT)->msg_id, id + 100);
	memcpy(&ret, kt_buf(t, KT_MIG_SLOT) + 24 + sizeof(msg_type_t), 4);
	return ret;
}

static uint32_t name_desc(void)
{
	return kt_desc(MSG_TYPE_PORT_NAME, 32, 1, KT_INLINE);
}

/* ---- port_allocate ---- */

START_TEST(test_port_allocate_gives_all_three_rights)
{
	int32_t name, type;
	uint64_t nports = kern.nports;

	ck_assert_int_eq(kt_port_allocate(a, &name), KERN_SUCCESS);
	ck_assert_int_gt(name, 0);
	ck_assert_uint_eq(kern.nports, nports + 1);
	ck_assert_int_eq(kt_port_type(a, name, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE_OWN);
	struct port *p = space_lookup(&a->space, name)->port;
	ck_assert_ptr_eq(p->receiver, &a->space);
	ck_assert_ptr_eq(p->owner, &a->space);
}
END_TEST

START_TEST(test_port_allocate_reply_is_2176_with_retcode_and_a_port_name)
{
	int32_t name;
	uint32_t w;

	ck_assert_int_eq(kt_port_allocate(a, &name), KERN_SUCCESS);
	const uint8_t *buf = kt_buf(a, KT_MIG_SLOT);
	msg_header_t *h = kt_hdr(a, KT_MIG_SLOT);
	ck_assert_int_eq(h->msg_id, 2176);
	ck_assert_uint_eq(h->msg_size, 24 + 2 * ARG);
	ck_assert_int_eq(h->msg_remote_port, PORT_NULL);
	ck_assert_uint_eq(h->msg_simple, 1);
	memcpy(&w, buf + 24, 4);
	ck_assert_uint_eq(w, kt_desc(MSG_TYPE_INTEGER_32, 32, 1, KT_INLINE));
	memcpy(&w, buf + 24 + ARG, 4);
	ck_assert_uint_eq(w, name_desc());
}
END_TEST

START_TEST(test_port_allocate_twice_gives_two_names)
{
	int32_t n1, n2;

	ck_assert_int_eq(kt_port_allocate(a, &n1), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_allocate(a, &n2), KERN_SUCCESS);
	ck_assert_int_ne(n1, n2);
	ck_assert_ptr_ne(space_lookup(&a->space, n1)->port,
			 space_lookup(&a->space, n2)->port);
}
END_TEST

START_TEST(test_port_allocate_without_memory_returns_resource_shortage)
{
	int32_t name = 99;
	uint64_t nports = kern.nports;
	uint32_t count = a->space.count;

	kt_reply_port(a);
	umach__fail_after(2);	/* request and reply made, the port not */
	ck_assert_int_eq(kt_port_allocate(a, &name), KERN_RESOURCE_SHORTAGE);
	umach__fail_after(3);	/* the port is made, its entry not */
	ck_assert_int_eq(kt_port_allocate(a, &name), KERN_RESOURCE_SHORTAGE);
	ck_assert_uint_eq(kern.nports, nports);
	ck_assert_uint_eq(a->space.count, count);
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

/*
 * Every allocation of a port_allocate made to fail in turn: the call either
 * succeeds, or fails cleanly (no reply memory: SEND_KERNEL_REFUSED and
 * nothing done; else KERN_RESOURCE_SHORTAGE) with no port and no name left.
 */
START_TEST(test_port_allocate_allocation_failure_sweep_leaves_nothing)
{
	int32_t reply = kt_reply_port(a);

	for (long n = 0; n < 8; n++) {
		uint64_t nports = kern.nports;
		uint32_t count = a->space.count;
		struct kt_msg m;

		kt_msg_init(&m, a->self_name, reply, 2076);
		umach__fail_after(n);
		int r = kt_rpc(a, KT_MIG_SLOT, &m, RCV_TIMEOUT, UMACH_MSG_BUF, 0);
		umach__fail_after(-1);
		if (r == SEND_KERNEL_REFUSED) {
			ck_assert_uint_eq(kern.nports, nports);
			ck_assert_uint_eq(a->space.count, count);
			continue;
		}
		ck_assert_int_eq(r, RPC_SUCCESS);
		const uint8_t *body = kt_buf(a, KT_MIG_SLOT) + sizeof(msg_header_t);
		int32_t ret;
		memcpy(&ret, body + sizeof(msg_type_t), 4);
		if (ret == KERN_SUCCESS) {
			ck_assert_uint_eq(kern.nports, nports + 1);
			ck_assert_uint_eq(a->space.count, count + 1);
		} else {
			ck_assert_int_eq(ret, KERN_RESOURCE_SHORTAGE);
			ck_assert_uint_eq(kern.nports, nports);
			ck_assert_uint_eq(a->space.count, count);
		}
	}
}
END_TEST

/* ---- port_deallocate ---- */

START_TEST(test_port_deallocate_of_an_unknown_name_returns_invalid_argument)
{
	ck_assert_int_eq(kt_port_deallocate(a, 4242), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(kt_port_deallocate(a, PORT_NULL), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(kt_port_deallocate(a, -1), KERN_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_port_deallocate_of_a_send_right_only_removes_the_name)
{
	int32_t bp, type;

	ck_assert_int_eq(kt_port_allocate(b, &bp), KERN_SUCCESS);
	int32_t ap = kt_give_send(b, bp, a);
	uint64_t nports = kern.nports;
	ck_assert_int_eq(kt_port_deallocate(a, ap), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_type(a, ap, &type), KERN_INVALID_ARGUMENT);
	ck_assert_uint_eq(kern.nports, nports);
	ck_assert_int_eq(kt_port_type(b, bp, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(kt_notification(a, NULL), KT_BLOCKED);
	ck_assert_int_eq(kt_notification(b, NULL), KT_BLOCKED);
}
END_TEST

START_TEST(test_port_deallocate_of_the_last_receiver_notifies_every_sender)
{
	int32_t bp, name;
	struct ktask *c = kt_task("c");

	ck_assert_int_eq(kt_port_allocate(b, &bp), KERN_SUCCESS);
	int32_t ap = kt_give_send(b, bp, a);
	int32_t cp = kt_give_send(b, bp, c);
	uint64_t nports = kern.nports;
	ck_assert_int_eq(kt_send_int(a, 0, ap, 1, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_send_int(c, 0, cp, 2, 0, 0), SEND_SUCCESS);
	ck_assert_uint_eq(kern.nkmsgs, 2);
	ck_assert_int_eq(kt_port_deallocate(b, bp), KERN_SUCCESS);
	ck_assert_uint_eq(kern.nports, nports - 1);
	ck_assert_int_eq(kt_notification(a, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, ap);
	ck_assert_int_eq(kt_notification(c, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, cp);
	ck_assert_int_eq(kt_notification(a, NULL), KT_BLOCKED);
	ck_assert_int_eq(kt_notification(b, NULL), KT_BLOCKED);
	ck_assert_ptr_null(space_lookup(&a->space, ap));
	ck_assert_ptr_null(space_lookup(&c->space, cp));
	ck_assert_uint_eq(kern.nkmsgs, 0);	/* the queued two went too */
}
END_TEST

START_TEST(test_port_deallocate_without_a_reply_port_still_acts)
{
	int32_t name, type;
	uint32_t d = name_desc();
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &name), KERN_SUCCESS);
	request(&m, a, 2077, &d, &name, 1);
	kt_msg_hdr(&m)->msg_local_port = PORT_NULL;
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_port_type(a, name, &type), KERN_INVALID_ARGUMENT);
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

START_TEST(test_port_deallocate_of_the_notify_port_silences_notifications)
{
	int32_t bp;

	ck_assert_int_eq(kt_port_allocate(b, &bp), KERN_SUCCESS);
	kt_give_send(b, bp, a);
	ck_assert_int_eq(kt_port_deallocate(a, a->notify_name), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_deallocate(b, bp), KERN_SUCCESS);
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

/* ---- port_set_backlog ---- */

START_TEST(test_port_set_backlog_by_a_send_right_holder_returns_not_receiver)
{
	int32_t bp;

	ck_assert_int_eq(kt_port_allocate(b, &bp), KERN_SUCCESS);
	int32_t ap = kt_give_send(b, bp, a);
	ck_assert_int_eq(kt_port_set_backlog(a, ap, 3), KERN_NOT_RECEIVER);
	ck_assert_uint_eq(space_lookup(&b->space, bp)->port->backlog, 8);
	ck_assert_int_eq(kt_port_set_backlog(a, a->self_name, 3),
			 KERN_NOT_RECEIVER);
}
END_TEST

START_TEST(test_port_set_backlog_outside_1_to_16_returns_invalid_argument)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_set_backlog(a, p, 0), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(kt_port_set_backlog(a, p, 17), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(kt_port_set_backlog(a, p, -1), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(kt_port_set_backlog(a, 4242, 3), KERN_INVALID_ARGUMENT);
	ck_assert_uint_eq(space_lookup(&a->space, p)->port->backlog, 8);
	ck_assert_int_eq(kt_port_set_backlog(a, p, 16), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_set_backlog(a, p, 1), KERN_SUCCESS);
	ck_assert_uint_eq(space_lookup(&a->space, p)->port->backlog, 1);
}
END_TEST

START_TEST(test_port_set_backlog_limits_the_queue)
{
	int32_t bp;

	ck_assert_int_eq(kt_port_allocate(b, &bp), KERN_SUCCESS);
	int32_t ap = kt_give_send(b, bp, a);
	ck_assert_int_eq(kt_port_set_backlog(b, bp, 2), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 1, SEND_TIMEOUT, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 2, SEND_TIMEOUT, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 3, SEND_TIMEOUT, 0),
			 SEND_TIMED_OUT);
}
END_TEST

START_TEST(test_port_set_backlog_raising_the_limit_wakes_that_many_senders)
{
	int32_t bp;

	ck_assert_int_eq(kt_port_allocate(b, &bp), KERN_SUCCESS);
	int32_t ap = kt_give_send(b, bp, a);
	ck_assert_int_eq(kt_port_set_backlog(b, bp, 1), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 1, 0, 0), SEND_SUCCESS);
	for (uint32_t i = 1; i <= 3; i++)
		ck_assert_int_eq(kt_send_int(a, i, ap, (int32_t)i + 1, 0, 0),
				 KT_BLOCKED);
	ck_assert_int_eq(kt_port_set_backlog(b, bp, 2), KERN_SUCCESS);
	ck_assert_int_eq(kt_status(a, 1), SEND_SUCCESS);
	ck_assert_int_eq(kt_status(a, 2), KT_BLOCKED);
	ck_assert_int_eq(kt_port_set_backlog(b, bp, 4), KERN_SUCCESS);
	ck_assert_int_eq(kt_status(a, 2), SEND_SUCCESS);
	ck_assert_int_eq(kt_status(a, 3), SEND_SUCCESS);
	ck_assert_uint_eq(kt_queued(b, bp), 4);
}
END_TEST

START_TEST(test_port_set_backlog_max_is_16_in_the_mach25_profile)
{
	int32_t p, st[5];

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_status(a, p, st), KERN_SUCCESS);
	ck_assert_int_eq(st[2], 5);
	ck_assert_int_eq(kt_port_set_backlog(a, p, 16), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_set_backlog(a, p, 17), KERN_INVALID_ARGUMENT);
}
END_TEST

/* ---- port_status, port_type, port_rename ---- */

START_TEST(test_port_status_reports_queue_backlog_and_rights)
{
	int32_t bp, st[5];

	ck_assert_int_eq(kt_port_allocate(b, &bp), KERN_SUCCESS);
	int32_t ap = kt_give_send(b, bp, a);
	ck_assert_int_eq(kt_port_set_backlog(b, bp, 4), KERN_SUCCESS);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(kt_send_int(a, 0, ap, i, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_port_status(b, bp, st), KERN_SUCCESS);
	ck_assert_int_eq(st[0], PORT_NULL);	/* enabled: in no set */
	ck_assert_int_eq(st[1], 3);
	ck_assert_int_eq(st[2], 4);
	ck_assert_int_eq(st[3], 1);
	ck_assert_int_eq(st[4], 1);
	/* for a send-only holder only the rights are meaningful */
	ck_assert_int_eq(kt_port_status(a, ap, st), KERN_SUCCESS);
	ck_assert_int_eq(st[3], 0);
	ck_assert_int_eq(st[4], 0);
	ck_assert_int_eq(kt_port_status(a, 4242, st), KERN_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_port_type_names_each_kind_of_right)
{
	int32_t p, type;

	ck_assert_int_eq(kt_port_allocate(b, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_type(b, p, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(kt_port_type(a, kt_give_send(b, p, a), &type),
			 KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_SEND);
	ck_assert_int_eq(kt_port_type(a, a->self_name, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_SEND);
	ck_assert_int_eq(kt_port_type(a, 4242, &type), KERN_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_port_rename_moves_the_right_to_the_new_name)
{
	int32_t p, type;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_rename(a, p, 500), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_type(a, p, &type), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(kt_port_type(a, 500, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(kt_send_int(a, 0, 500, 7, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(a, 0, 500, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	ck_assert_int_eq(kt_hdr(a, 0)->msg_local_port, 500);
}
END_TEST

START_TEST(test_port_rename_to_a_taken_name_returns_name_exists)
{
	int32_t p, type;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_rename(a, p, a->self_name), KERN_NAME_EXISTS);
	ck_assert_int_eq(kt_port_type(a, p, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE_OWN);
}
END_TEST

START_TEST(test_port_rename_to_0_or_minus_1_or_from_unknown_returns_invalid_argument)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_rename(a, p, PORT_NULL), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(kt_port_rename(a, p, -1), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(kt_port_rename(a, 4242, 600), KERN_INVALID_ARGUMENT);
}
END_TEST

/* ---- MIG checking ---- */

START_TEST(test_port_an_unknown_routine_id_returns_mig_bad_id)
{
	struct kt_msg m;

	request(&m, a, 2999, NULL, NULL, 0);
	ck_assert_int_eq(rpc_retcode(a, &m), MIG_BAD_ID);
	ck_assert_uint_eq(kt_hdr(a, KT_MIG_SLOT)->msg_size,
			  sizeof(death_pill_t));
	request(&m, a, 2099, NULL, NULL, 0);	/* just past port_set_backup */
	ck_assert_int_eq(rpc_retcode(a, &m), MIG_BAD_ID);
	request(&m, a, -5, NULL, NULL, 0);
	ck_assert_int_eq(rpc_retcode(a, &m), MIG_BAD_ID);
}
END_TEST

START_TEST(test_port_a_request_of_the_wrong_size_returns_mig_bad_arguments)
{
	uint32_t d[2] = { name_desc(), name_desc() };
	int32_t v[2] = { 0, 0 };
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &v[0]), KERN_SUCCESS);
	request(&m, a, 2077, d, v, 0);		/* port_deallocate, no name */
	ck_assert_int_eq(rpc_retcode(a, &m), MIG_BAD_ARGUMENTS);
	ck_assert_uint_eq(kt_hdr(a, KT_MIG_SLOT)->msg_size,
			  sizeof(death_pill_t));
	request(&m, a, 2077, d, v, 2);		/* one name too many */
	ck_assert_int_eq(rpc_retcode(a, &m), MIG_BAD_ARGUMENTS);
	request(&m, a, 2076, d, v, 1);		/* port_allocate takes none */
	ck_assert_int_eq(rpc_retcode(a, &m), MIG_BAD_ARGUMENTS);
	request(&m, a, 2077, d, v, 1);
	m.len -= 4;				/* value, no padding */
	ck_assert_int_eq(rpc_retcode(a, &m), MIG_BAD_ARGUMENTS);
	ck_assert_ptr_nonnull(space_lookup(&a->space, v[0]));
}
END_TEST

START_TEST(test_port_a_wrong_type_descriptor_returns_mig_bad_arguments)
{
	int32_t v[2];
	uint32_t d[2];
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &v[0]), KERN_SUCCESS);
	d[0] = kt_desc(MSG_TYPE_INTEGER_32, 32, 1, KT_INLINE);
	request(&m, a, 2077, d, v, 1);
	ck_assert_int_eq(rpc_retcode(a, &m), MIG_BAD_ARGUMENTS);
	d[0] = kt_desc(MSG_TYPE_PORT_NAME, 16, 1, KT_INLINE);
	request(&m, a, 2077, d, v, 1);
	ck_assert_int_eq(rpc_retcode(a, &m), MIG_BAD_ARGUMENTS);
	d[0] = kt_desc(MSG_TYPE_PORT_NAME, 32, 2, KT_INLINE);
	request(&m, a, 2077, d, v, 1);
	ck_assert_int_eq(rpc_retcode(a, &m), MIG_BAD_ARGUMENTS);
	/* port_set_backlog's second argument is an INTEGER_32 */
	d[0] = name_desc();
	d[1] = name_desc();
	v[1] = 3;
	request(&m, a, 2078, d, v, 2);
	ck_assert_int_eq(rpc_retcode(a, &m), MIG_BAD_ARGUMENTS);
	ck_assert_uint_eq(space_lookup(&a->space, v[0])->port->backlog, 8);
	ck_assert_ptr_nonnull(space_lookup(&a->space, v[0]));
}
END_TEST

START_TEST(test_port_a_request_carrying_rights_returns_mig_bad_arguments)
{
	int32_t p;
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	request(&m, a, 2077, NULL, NULL, 0);
	kt_msg_ports(&m, MSG_TYPE_PORT, &p, 1, 0);	/* right size, complex */
	m.len += 4;
	ck_assert_int_eq(rpc_retcode(a, &m), MIG_BAD_ARGUMENTS);
	ck_assert_ptr_nonnull(space_lookup(&a->space, p));
}
END_TEST

START_TEST(test_port_kernel_replies_ignore_the_reply_port_s_backlog)
{
	int32_t r, type = 0;
	uint32_t d = name_desc();
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &r), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_set_backlog(a, r, 1), KERN_SUCCESS);
	for (int i = 0; i < 5; i++) {
		request(&m, a, 2074, &d, &r, 1);
		kt_msg_hdr(&m)->msg_local_port = r;
		ck_assert_int_eq(kt_send(a, 0, &m, SEND_TIMEOUT, 0),
				 SEND_SUCCESS);
	}
	ck_assert_uint_eq(kt_queued(a, r), 5);
	ck_assert_int_eq(kt_receive(a, 0, r, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	memcpy(&type, kt_buf(a, 0) + 24 + ARG + 8, 4);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE_OWN);
}
END_TEST

/* ---- task death and right reversion ---- */

START_TEST(test_port_receiver_task_death_notifies_senders_and_wakes_blocked_ones)
{
	int32_t bp, name;

	ck_assert_int_eq(kt_port_allocate(b, &bp), KERN_SUCCESS);
	int32_t ap = kt_give_send(b, bp, a);
	ck_assert_int_eq(kt_port_set_backlog(b, bp, 1), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 1, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_send_int(a, 1, ap, 2, 0, 0), KT_BLOCKED);
	ktask_destroy(&kern, b);
	ck_assert_int_eq(kt_status(a, 1), SEND_INVALID_PORT);
	ck_assert_int_eq(kt_notification(a, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, ap);
	ck_assert_ptr_null(space_lookup(&a->space, ap));
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

START_TEST(test_port_sender_task_death_leaves_the_receiver_alone)
{
	int32_t bp;

	ck_assert_int_eq(kt_port_allocate(b, &bp), KERN_SUCCESS);
	int32_t ap = kt_give_send(b, bp, a);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 1, 0, 0), SEND_SUCCESS);
	ktask_destroy(&kern, a);
	ck_assert_int_eq(kt_notification(b, NULL), KT_BLOCKED);
	ck_assert_ptr_eq(space_lookup(&b->space, bp)->port->holders,
			 space_lookup(&b->space, bp));
	ck_assert_int_eq(kt_receive(b, 0, bp, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(b, 0), 1);
}
END_TEST

/* Split a's port `name`: a keeps ownership, b gets the receive right
 * (what a MSG_TYPE_PORT_RECEIVE item would do).  Returns b's name. */
static int32_t split_rights(int32_t name)
{
	struct entry *e = space_lookup(&a->space, name);
	struct port *p = e->port;

	e->type = PORT_TYPE_OWN;
	ck_assert_int_eq(space_reserve(&b->space, 1), KERN_SUCCESS);
	struct entry *eb = space_insert(&b->space, p, PORT_TYPE_RECEIVE, NULL);
	p->receiver = &b->space;
	return eb->name;
}

START_TEST(test_port_a_lost_receive_right_reverts_to_the_owner)
{
	int32_t p, bname, name, type;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	bname = split_rights(p);
	ck_assert_int_eq(kt_send_int(a, 0, p, 9, 0, 0), SEND_SUCCESS);
	uint64_t nports = kern.nports;
	ck_assert_int_eq(kt_port_deallocate(b, bname), KERN_SUCCESS);
	ck_assert_uint_eq(kern.nports, nports);
	ck_assert_int_eq(kt_notification(a, &name), NOTIFY_RECEIVE_RIGHTS);
	ck_assert_int_eq(name, p);
	ck_assert_int_eq(kt_port_type(a, p, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE_OWN);
	/* the queued message travelled with the right */
	ck_assert_int_eq(kt_receive(a, 0, p, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 0), 9);
}
END_TEST

START_TEST(test_port_a_receive_blocked_on_a_right_given_up_fails_at_once)
{
	int32_t p, bname, name;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	bname = split_rights(p);
	ck_assert_int_eq(kt_receive(b, 1, bname, UMACH_MSG_BUF, 0, 0), KT_BLOCKED);
	ck_assert_int_eq(kt_port_deallocate(b, bname), KERN_SUCCESS);
	ck_assert(kt_done(b, 1));
	ck_assert_int_eq(kt_status(b, 1), RCV_INVALID_PORT);
	ck_assert_int_eq(kt_notification(a, &name), NOTIFY_RECEIVE_RIGHTS);
	/* a message sent now waits for the new receiver */
	ck_assert_int_eq(kt_send_int(a, 0, p, 4, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(a, 0, p, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 0), 4);
}
END_TEST

START_TEST(test_port_lost_ownership_reverts_to_the_receiver)
{
	int32_t p, bname, name, type;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	bname = split_rights(p);
	ck_assert_int_eq(kt_port_deallocate(a, p), KERN_SUCCESS);
	ck_assert_int_eq(kt_notification(b, &name), NOTIFY_OWNERSHIP_RIGHTS);
	ck_assert_int_eq(name, bname);
	ck_assert_int_eq(kt_port_type(b, bname, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(kt_notification(a, NULL), KT_BLOCKED);
}
END_TEST

START_TEST(test_port_a_receiver_task_death_reverts_its_receive_right_to_the_owner)
{
	int32_t p, name, type;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	split_rights(p);
	ktask_destroy(&kern, b);
	ck_assert_int_eq(kt_notification(a, &name), NOTIFY_RECEIVE_RIGHTS);
	ck_assert_int_eq(name, p);
	ck_assert_int_eq(kt_port_type(a, p, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE_OWN);
}
END_TEST

/* ---- thread traps ---- */

START_TEST(test_port_thread_reply_returns_the_same_port_until_it_is_given_up)
{
	int32_t r1, r2, r3, type;

	ck_assert_int_eq(kt_trap(a, 0, UMACH_CALL_THREAD_REPLY, &r1),
			 KERN_SUCCESS);
	ck_assert_int_eq(kt_trap(a, 0, UMACH_CALL_THREAD_REPLY, &r2),
			 KERN_SUCCESS);
	ck_assert_int_eq(r1, r2);
	ck_assert_int_eq(kt_port_type(a, r1, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(kt_port_deallocate(a, r1), KERN_SUCCESS);
	ck_assert_int_eq(kt_trap(a, 0, UMACH_CALL_THREAD_REPLY, &r3),
			 KERN_SUCCESS);
	ck_assert_int_ne(r3, r1);
	uint64_t nports = kern.nports;
	ck_assert_int_eq(kt_trap(a, 0, UMACH_CALL_SLOT_RELEASE, NULL),
			 KERN_SUCCESS);
	ck_assert_uint_eq(kern.nports, nports - 1);
	ck_assert_int_eq(kt_port_type(a, r3, &type), KERN_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_port_thread_self_is_a_send_right_to_a_kernel_port)
{
	int32_t t1, t2, type;
	struct kt_msg m;

	ck_assert_int_eq(kt_trap(a, 0, UMACH_CALL_THREAD_SELF, &t1),
			 KERN_SUCCESS);
	ck_assert_int_eq(kt_trap(a, 0, UMACH_CALL_THREAD_SELF, &t2),
			 KERN_SUCCESS);
	ck_assert_int_eq(t1, t2);
	ck_assert_int_eq(kt_port_type(a, t1, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_SEND);
	ck_assert_int_eq(kt_receive(a, 1, t1, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_INVALID_PORT);
	/* no thread routines yet: any request is answered MIG_BAD_ID */
	request(&m, a, 2076, NULL, NULL, 0);
	kt_msg_hdr(&m)->msg_remote_port = t1;
	ck_assert_int_eq(rpc_retcode(a, &m), MIG_BAD_ID);
}
END_TEST

static TCase *tcase(const char *name, void (*fn)(void))
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, fn, kt_teardown);
	return tc;
}

static Suite *port_suite(void)
{
	Suite *s = suite_create("port");
	TCase *tc = tcase("textbook", setup);

	tcase_add_test(tc, test_port_allocate_gives_all_three_rights);
	tcase_add_test(tc, test_port_allocate_reply_is_2176_with_retcode_and_a_port_name);
	tcase_add_test(tc, test_port_allocate_twice_gives_two_names);
	tcase_add_test(tc, test_port_allocate_without_memory_returns_resource_shortage);
	tcase_add_test(tc, test_port_allocate_allocation_failure_sweep_leaves_nothing);
	tcase_add_test(tc, test_port_deallocate_of_an_unknown_name_returns_invalid_argument);
	tcase_add_test(tc, test_port_deallocate_of_a_send_right_only_removes_the_name);
	tcase_add_test(tc, test_port_deallocate_of_the_last_receiver_notifies_every_sender);
	tcase_add_test(tc, test_port_deallocate_without_a_reply_port_still_acts);
	tcase_add_test(tc, test_port_deallocate_of_the_notify_port_silences_notifications);
	tcase_add_test(tc, test_port_set_backlog_by_a_send_right_holder_returns_not_receiver);
	tcase_add_test(tc, test_port_set_backlog_outside_1_to_16_returns_invalid_argument);
	tcase_add_test(tc, test_port_set_backlog_limits_the_queue);
	tcase_add_test(tc, test_port_set_backlog_raising_the_limit_wakes_that_many_senders);
	tcase_add_test(tc, test_port_status_reports_queue_backlog_and_rights);
	tcase_add_test(tc, test_port_type_names_each_kind_of_right);
	tcase_add_test(tc, test_port_rename_moves_the_right_to_the_new_name);
	tcase_add_test(tc, test_port_rename_to_a_taken_name_returns_name_exists);
	tcase_add_test(tc, test_port_rename_to_0_or_minus_1_or_from_unknown_returns_invalid_argument);
	tcase_add_test(tc, test_port_an_unknown_routine_id_returns_mig_bad_id);
	tcase_add_test(tc, test_port_a_request_of_the_wrong_size_returns_mig_bad_arguments);
	tcase_add_test(tc, test_port_a_wrong_type_descriptor_returns_mig_bad_arguments);
	tcase_add_test(tc, test_port_a_request_carrying_rights_returns_mig_bad_arguments);
	tcase_add_test(tc, test_port_kernel_replies_ignore_the_reply_port_s_backlog);
	tcase_add_test(tc, test_port_receiver_task_death_notifies_senders_and_wakes_blocked_ones);
	tcase_add_test(tc, test_port_sender_task_death_leaves_the_receiver_alone);
	tcase_add_test(tc, test_port_a_lost_receive_right_reverts_to_the_owner);
	tcase_add_test(tc, test_port_lost_ownership_reverts_to_the_receiver);
	tcase_add_test(tc, test_port_a_receive_blocked_on_a_right_given_up_fails_at_once);
	tcase_add_test(tc, test_port_a_receiver_task_death_reverts_its_receive_right_to_the_owner);
	tcase_add_test(tc, test_port_thread_reply_returns_the_same_port_until_it_is_given_up);
	tcase_add_test(tc, test_port_thread_self_is_a_send_right_to_a_kernel_port);
	suite_add_tcase(s, tc);

	tc = tcase("mach25", setup_mach25);
	tcase_add_test(tc, test_port_set_backlog_max_is_16_in_the_mach25_profile);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(port_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
