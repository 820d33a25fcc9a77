/*
 * The message paths (kernel/kmsg.c, msgq.c, sys_msg.c; reference 1.3-1.10):
 * send and receive through channel slots, the header swap, FIFO order,
 * backlogs, the four full-queue behaviours of 1.8, receive timeouts and
 * RCV_TOO_LARGE per profile, every send and receive error, interrupts,
 * port items, msg_simple, msg_rpc, and out-of-memory on both halves.
 *
 * Two tasks: b holds port bp (all rights), a holds a send right to it (ap).
 */
#include <check.h>
#include <string.h>

#include <mach/notify.h>
#include "kt.h"

static struct ktask *a, *b;
static int32_t bp, ap;

static void two_tasks(void)
{
	a = kt_task("a");
	b = kt_task("b");
	ck_assert_int_eq(kt_port_allocate(b, &bp), KERN_SUCCESS);
	ap = kt_give_send(b, bp, a);
}

static void setup(void)
{
	kt_setup();
	two_tasks();
}

static void setup_mach25(void)
{
	kt_setup_mach25();
	two_tasks();
}

static void setup_next(void)
{
	kt_setup_next();
	two_tasks();
}

/* Fill bp to its backlog with ints 1..n from a's slot 1. */
static void fill(uint32_t n)
{
	for (uint32_t i = 1; i <= n; i++)
		ck_assert_int_eq(kt_send_int(a, 1, ap, (int32_t)i, SEND_TIMEOUT, 0),
				 SEND_SUCCESS);
	ck_assert_uint_eq(kt_queued(b, bp), n);
}

static int rcv(uint32_t slot)
{
	return kt_receive(b, slot, bp, UMACH_MSG_BUF, RCV_TIMEOUT, 0);
}

/* ---- the happy path ---- */

START_TEST(test_msgq_receive_gets_the_body_and_the_swapped_header)
{
	int32_t ar;
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &ar), KERN_SUCCESS);
	kt_msg_init(&m, ap, ar, 77);
	kt_msg_hdr(&m)->msg_type = MSG_TYPE_EMERGENCY;
	kt_msg_int(&m, 1234);
	ck_assert_int_eq(kt_send(a, 0, &m, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	ck_assert_uint_eq(kt_queued(b, bp), 1);
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	msg_header_t *h = kt_hdr(b, 0);
	ck_assert_uint_eq(b->chan->slot[0].msg_size, m.len);
	ck_assert_uint_eq(h->msg_size, m.len);
	ck_assert_int_eq(h->msg_id, 77);
	ck_assert_int_eq(h->msg_type, MSG_TYPE_EMERGENCY);
	ck_assert_uint_eq(h->msg_simple, 1);
	ck_assert_int_eq(h->msg_local_port, bp);
	struct entry *e = space_lookup(&b->space, h->msg_remote_port);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->type, PORT_TYPE_SEND);
	ck_assert_ptr_eq(e->port, space_lookup(&a->space, ar)->port);
	ck_assert_int_eq(kt_rcv_int(b, 0), 1234);
	ck_assert_uint_eq(kt_queued(b, bp), 0);
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

START_TEST(test_msgq_a_reply_port_already_held_keeps_its_name)
{
	int32_t ar;
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &ar), KERN_SUCCESS);
	for (int i = 0; i < 2; i++) {
		kt_msg_init(&m, ap, ar, 1);
		ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_SUCCESS);
	}
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	int32_t first = kt_hdr(b, 0)->msg_remote_port;
	uint32_t count = b->space.count;
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	ck_assert_int_eq(kt_hdr(b, 0)->msg_remote_port, first);
	ck_assert_uint_eq(b->space.count, count);
}
END_TEST

START_TEST(test_msgq_messages_are_received_in_fifo_order)
{
	fill(6);
	for (int32_t i = 1; i <= 6; i++) {
		ck_assert_int_eq(rcv(0), RCV_SUCCESS);
		ck_assert_int_eq(kt_rcv_int(b, 0), i);
	}
	ck_assert_int_eq(rcv(0), RCV_TIMED_OUT);
}
END_TEST

START_TEST(test_msgq_a_blocked_receive_is_handed_the_next_message)
{
	ck_assert_int_eq(kt_receive(b, 0, bp, UMACH_MSG_BUF, 0, 0), KT_BLOCKED);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 99, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_status(b, 0), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(b, 0), 99);
	ck_assert_uint_eq(kt_queued(b, bp), 0);
}
END_TEST

START_TEST(test_msgq_a_message_of_msg_size_max_goes_through)
{
	struct kt_msg m;

	kt_msg_init(&m, ap, PORT_NULL, 1);
	m.len = MSG_SIZE_MAX;
	m.b[MSG_SIZE_MAX - 1] = 0x5a;	/* an unstructured tail */
	kt_msg_hdr(&m)->msg_simple = 1;
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	ck_assert_uint_eq(b->chan->slot[0].msg_size, MSG_SIZE_MAX);
	ck_assert_uint_eq(kt_buf(b, 0)[MSG_SIZE_MAX - 1], 0x5a);
}
END_TEST

/* ---- backlog and the full queue (reference 1.8) ---- */

START_TEST(test_msgq_textbook_backlog_is_8)
{
	fill(8);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 9, SEND_TIMEOUT, 0),
			 SEND_TIMED_OUT);
	ck_assert_uint_eq(kt_queued(b, bp), 8);
}
END_TEST

START_TEST(test_msgq_mach25_backlog_is_5)
{
	fill(5);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 6, SEND_TIMEOUT, 0),
			 SEND_TIMED_OUT);
	ck_assert_uint_eq(kt_queued(b, bp), 5);
}
END_TEST

START_TEST(test_msgq_send_when_full_with_no_option_blocks_until_a_receive)
{
	fill(8);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 9, MSG_OPTION_NONE, 0),
			 KT_BLOCKED);
	kt_expire_all();		/* no timeout: still waiting */
	ck_assert_int_eq(kt_status(a, 0), KT_BLOCKED);
	ck_assert_uint_eq(kt_queued(b, bp), 8);
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(b, 0), 1);
	ck_assert_int_eq(kt_status(a, 0), SEND_SUCCESS);
	ck_assert_uint_eq(kt_queued(b, bp), 8);
	for (int32_t i = 2; i <= 9; i++) {
		ck_assert_int_eq(rcv(0), RCV_SUCCESS);
		ck_assert_int_eq(kt_rcv_int(b, 0), i);
	}
}
END_TEST

START_TEST(test_msgq_a_new_send_does_not_pass_a_blocked_sender)
{
	fill(8);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 9, 0, 0), KT_BLOCKED);
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);	/* 9 takes the room */
	ck_assert_int_eq(kt_send_int(a, 2, ap, 10, SEND_TIMEOUT, 0),
			 SEND_TIMED_OUT);
}
END_TEST

START_TEST(test_msgq_send_when_full_with_timeout_n_returns_timed_out_on_expiry)
{
	fill(8);
	uint64_t nk = kern.nkmsgs;
	ck_assert_int_eq(kt_send_int(a, 0, ap, 9, SEND_TIMEOUT, 50), KT_BLOCKED);
	ck_assert_uint_eq(kern.heap_len, 1);
	timers_expire(&kern, kernel_now_ns());	/* not yet due */
	ck_assert_int_eq(kt_status(a, 0), KT_BLOCKED);
	kt_expire_all();
	ck_assert_int_eq(kt_status(a, 0), SEND_TIMED_OUT);
	ck_assert_uint_eq(kt_queued(b, bp), 8);
	ck_assert_uint_eq(kern.nkmsgs, nk);
	ck_assert_uint_eq(kern.heap_len, 0);
}
END_TEST

START_TEST(test_msgq_send_with_timeout_n_that_gets_room_succeeds_and_drops_its_timer)
{
	fill(8);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 9, SEND_TIMEOUT, 10000),
			 KT_BLOCKED);
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	ck_assert_int_eq(kt_status(a, 0), SEND_SUCCESS);
	ck_assert_uint_eq(kern.heap_len, 0);
}
END_TEST

START_TEST(test_msgq_send_when_full_with_timeout_0_returns_timed_out)
{
	fill(8);
	uint64_t nk = kern.nkmsgs;
	ck_assert_int_eq(kt_send_int(a, 0, ap, 9, SEND_TIMEOUT, 0),
			 SEND_TIMED_OUT);
	ck_assert_uint_eq(kern.nkmsgs, nk);
	ck_assert_uint_eq(kern.heap_len, 0);
}
END_TEST

START_TEST(test_msgq_send_notify_when_full_returns_will_notify_then_in_progress)
{
	fill(8);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 9, SEND_NOTIFY, 0),
			 SEND_WILL_NOTIFY);
	ck_assert_uint_eq(kt_queued(b, bp), 9);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 10, SEND_NOTIFY, 0),
			 SEND_NOTIFY_IN_PROGRESS);
	ck_assert_uint_eq(kt_queued(b, bp), 9);
	ck_assert_uint_eq(kern.nkmsgs, 9);
	/* Another task has its own cached message (per task and port). */
	struct ktask *c = kt_task("c");
	int32_t cp = kt_give_send(b, bp, c);
	ck_assert_int_eq(kt_send_int(c, 0, cp, 11, SEND_NOTIFY, 0),
			 SEND_WILL_NOTIFY);
}
END_TEST

START_TEST(test_msgq_an_accepted_message_sends_msg_accepted_in_notification_format)
{
	fill(8);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 9, SEND_NOTIFY, 0),
			 SEND_WILL_NOTIFY);
	for (int32_t i = 1; i <= 8; i++) {
		ck_assert_int_eq(rcv(0), RCV_SUCCESS);
		ck_assert_int_eq(kt_notification(a, NULL), KT_BLOCKED);
	}
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(b, 0), 9);
	ck_assert_int_eq(kt_receive(a, 0, a->notify_name, UMACH_MSG_BUF,
				    RCV_TIMEOUT, 0), RCV_SUCCESS);
	const uint8_t *buf = kt_buf(a, 0);
	const notification_t *n = (const void *)buf;
	uint32_t w[2];
	memcpy(w, buf, 4);
	ck_assert_uint_eq(w[0], 1u << 24);		/* msg_simple TRUE */
	ck_assert_uint_eq(a->chan->slot[0].msg_size, 40);
	ck_assert_uint_eq(n->notify_header.msg_size, 40);
	ck_assert_int_eq(n->notify_header.msg_type, MSG_TYPE_EMERGENCY);
	ck_assert_int_eq(n->notify_header.msg_id, 0102);	/* 66 */
	ck_assert_int_eq(n->notify_header.msg_local_port, a->notify_name);
	ck_assert_int_eq(n->notify_header.msg_remote_port, PORT_NULL);
	memcpy(w, buf + 24, 8);
	ck_assert_uint_eq(w[0], MSG_TYPE_PORT_NAME | 32u << 8 | 1u << 16 |
			  1u << 28);
	ck_assert_uint_eq(w[1], 0);
	ck_assert_int_eq(n->notify_port, ap);
	/* The entry is free again: the next SEND_NOTIFY may cache. */
	fill(8);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 10, SEND_NOTIFY, 0),
			 SEND_WILL_NOTIFY);
}
END_TEST

START_TEST(test_msgq_send_notify_with_room_succeeds_and_never_notifies)
{
	ck_assert_int_eq(kt_send_int(a, 0, ap, 1, SEND_NOTIFY, 0),
			 SEND_SUCCESS);
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	ck_assert_int_eq(kt_notification(a, NULL), KT_BLOCKED);
}
END_TEST

START_TEST(test_msgq_send_timeout_and_notify_waits_then_caches)
{
	fill(8);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 9, SEND_TIMEOUT | SEND_NOTIFY,
				     100), KT_BLOCKED);
	ck_assert_uint_eq(kt_queued(b, bp), 8);
	kt_expire_all();
	ck_assert_int_eq(kt_status(a, 0), SEND_WILL_NOTIFY);
	ck_assert_uint_eq(kt_queued(b, bp), 9);
	ck_assert_uint_eq(space_lookup(&a->space, ap)->accept_pending, 1);
}
END_TEST

START_TEST(test_msgq_a_cached_message_to_a_dying_port_yields_port_deleted)
{
	int32_t name;

	fill(8);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 9, SEND_NOTIFY, 0),
			 SEND_WILL_NOTIFY);
	ck_assert_int_eq(kt_port_deallocate(b, bp), KERN_SUCCESS);
	ck_assert_int_eq(kt_notification(a, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, ap);
	ck_assert_int_eq(kt_notification(a, NULL), KT_BLOCKED);
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

/* ---- receive ---- */

START_TEST(test_msgq_receive_with_timeout_0_on_empty_returns_timed_out)
{
	ck_assert_int_eq(rcv(0), RCV_TIMED_OUT);
	ck_assert_uint_eq(kern.heap_len, 0);
}
END_TEST

START_TEST(test_msgq_receive_with_timeout_n_returns_timed_out_on_expiry)
{
	ck_assert_int_eq(kt_receive(b, 0, bp, UMACH_MSG_BUF, RCV_TIMEOUT, 20),
			 KT_BLOCKED);
	kt_expire_all();
	ck_assert_int_eq(kt_status(b, 0), RCV_TIMED_OUT);
	ck_assert_ptr_null(space_lookup(&b->space, bp)->port->receivers.head);
}
END_TEST

START_TEST(test_msgq_receive_with_no_option_waits_past_any_timer)
{
	ck_assert_int_eq(kt_receive(b, 0, bp, UMACH_MSG_BUF, 0, 0), KT_BLOCKED);
	kt_expire_all();
	ck_assert_int_eq(kt_status(b, 0), KT_BLOCKED);
}
END_TEST

START_TEST(test_msgq_receive_too_large_leaves_the_message_and_reports_its_size)
{
	ck_assert_int_eq(kt_send_int(a, 0, ap, 5, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(b, 0, bp, 39, RCV_TIMEOUT, 0),
			 RCV_TOO_LARGE);
	ck_assert_uint_eq(b->chan->slot[0].msg_size, 40);
	ck_assert_uint_eq(kt_queued(b, bp), 1);
	ck_assert_int_eq(kt_receive(b, 0, bp, 40, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(b, 0), 5);
}
END_TEST

START_TEST(test_msgq_receive_too_large_in_next_profile_destroys_the_message)
{
	ck_assert_int_eq(kt_send_int(a, 0, ap, 5, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(b, 0, bp, 39, RCV_TIMEOUT, 0),
			 RCV_TOO_LARGE);
	ck_assert_uint_eq(b->chan->slot[0].msg_size, 40);
	ck_assert_uint_eq(kt_queued(b, bp), 0);
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

START_TEST(test_msgq_receive_too_large_in_next_profile_with_rcv_large_keeps_it)
{
	ck_assert_int_eq(kt_send_int(a, 0, ap, 5, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(b, 0, bp, 24, RCV_TIMEOUT | RCV_LARGE, 0),
			 RCV_TOO_LARGE);
	ck_assert_uint_eq(b->chan->slot[0].msg_size, 40);
	ck_assert_uint_eq(kt_queued(b, bp), 1);
}
END_TEST

START_TEST(test_msgq_receive_too_large_in_mach25_profile_keeps_the_message)
{
	ck_assert_int_eq(kt_send_int(a, 0, ap, 5, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(b, 0, bp, 39, RCV_TIMEOUT, 0),
			 RCV_TOO_LARGE);
	ck_assert_uint_eq(kt_queued(b, bp), 1);
}
END_TEST

START_TEST(test_msgq_receive_on_port_null_returns_invalid_port)
{
	ck_assert_int_eq(kt_receive(b, 0, PORT_NULL, UMACH_MSG_BUF, 0, 0),
			 RCV_INVALID_PORT);
}
END_TEST

START_TEST(test_msgq_receive_without_a_receive_right_returns_invalid_port)
{
	ck_assert_int_eq(kt_send_int(b, 0, bp, 1, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(a, 0, ap, UMACH_MSG_BUF, 0, 0),
			 RCV_INVALID_PORT);
	ck_assert_int_eq(kt_receive(a, 0, 4242, UMACH_MSG_BUF, 0, 0),
			 RCV_INVALID_PORT);
	ck_assert_int_eq(kt_receive(a, 0, a->self_name, UMACH_MSG_BUF, 0, 0),
			 RCV_INVALID_PORT);
	ck_assert_uint_eq(kt_queued(b, bp), 1);
}
END_TEST

START_TEST(test_msgq_receive_on_a_port_destroyed_while_waiting_returns_invalid_port)
{
	ck_assert_int_eq(kt_receive(b, 0, bp, UMACH_MSG_BUF, 0, 0), KT_BLOCKED);
	ck_assert_int_eq(kt_port_deallocate(b, bp), KERN_SUCCESS);
	ck_assert_int_eq(kt_status(b, 0), RCV_INVALID_PORT);
}
END_TEST

/* ---- send errors ---- */

START_TEST(test_msgq_send_shorter_than_a_header_returns_msg_too_small)
{
	struct kt_msg m;

	kt_msg_init(&m, ap, PORT_NULL, 1);
	ck_assert_int_eq(kt_send_sized(a, 0, &m, 20, 24), SEND_MSG_TOO_SMALL);
	ck_assert_int_eq(kt_send_sized(a, 0, &m, 0, 24), SEND_MSG_TOO_SMALL);
	/* send_size (what the task says it wrote) below a header, too */
	ck_assert_int_eq(kt_send_sized(a, 0, &m, 24, 10), SEND_MSG_TOO_SMALL);
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

START_TEST(test_msgq_send_with_an_item_past_the_end_returns_msg_too_small)
{
	struct kt_msg m;

	kt_msg_init(&m, ap, PORT_NULL, 1);
	kt_msg_hdr(&m)->msg_simple = 0;
	kt_msg_int(&m, 7);
	/* data cut short, descriptor cut short */
	ck_assert_int_eq(kt_send_sized(a, 0, &m, 24 + 8 + 2, m.len),
			 SEND_MSG_TOO_SMALL);
	ck_assert_int_eq(kt_send_sized(a, 0, &m, 24 + 4, m.len),
			 SEND_MSG_TOO_SMALL);
	/* a longform descriptor cut short */
	uint32_t lf = kt_desc(0, 0, 0, KT_INLINE | KT_LONGFORM);
	kt_msg_init(&m, ap, PORT_NULL, 1);
	kt_msg_hdr(&m)->msg_simple = 0;
	kt_msg_raw(&m, &lf, 4);
	ck_assert_int_eq(kt_send_sized(a, 0, &m, 24 + 12, 24 + 12),
			 SEND_MSG_TOO_SMALL);
	/* a longform item whose number runs past the end */
	uint8_t longitem[16] = { 0 };
	memcpy(longitem, &lf, 4);
	longitem[8] = MSG_TYPE_INTEGER_32;
	longitem[10] = 32;
	longitem[12] = 100;			/* 100 ints, none there */
	kt_msg_init(&m, ap, PORT_NULL, 1);
	kt_msg_hdr(&m)->msg_simple = 0;
	kt_msg_raw(&m, longitem, 16);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_MSG_TOO_SMALL);
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

START_TEST(test_msgq_send_longer_than_msg_size_max_returns_msg_too_large)
{
	struct kt_msg m;

	kt_msg_init(&m, ap, PORT_NULL, 1);
	ck_assert_int_eq(kt_send_sized(a, 0, &m, MSG_SIZE_MAX + 1, UMACH_MSG_BUF),
			 SEND_MSG_TOO_LARGE);
	ck_assert_int_eq(kt_send_sized(a, 0, &m, 0xffffffffu, UMACH_MSG_BUF),
			 SEND_MSG_TOO_LARGE);
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

START_TEST(test_msgq_send_of_more_port_names_than_the_item_limit_returns_msg_too_large)
{
	static int32_t nulls[KERN_ITEMS_PER_MSG + 1];
	struct kt_msg m;

	kt_msg_init(&m, ap, PORT_NULL, 1);
	kt_msg_ports(&m, MSG_TYPE_PORT, nulls, KERN_ITEMS_PER_MSG + 1, 0);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_MSG_TOO_LARGE);
	kt_msg_init(&m, ap, PORT_NULL, 1);
	kt_msg_ports(&m, MSG_TYPE_PORT, nulls, KERN_ITEMS_PER_MSG, 0);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
}
END_TEST

START_TEST(test_msgq_send_to_a_bad_destination_returns_invalid_port)
{
	ck_assert_int_eq(kt_send_int(a, 0, PORT_NULL, 1, 0, 0),
			 SEND_INVALID_PORT);
	ck_assert_int_eq(kt_send_int(a, 0, 4242, 1, 0, 0), SEND_INVALID_PORT);
	ck_assert_int_eq(kt_send_int(a, 0, -1, 1, 0, 0), SEND_INVALID_PORT);
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

START_TEST(test_msgq_send_with_a_bad_reply_port_returns_invalid_port)
{
	struct kt_msg m;

	kt_msg_init(&m, ap, 4242, 1);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_PORT);
	/* PORT_DEFAULT means "none" only for msg_rpc */
	kt_msg_init(&m, ap, -1, 1);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_PORT);
	ck_assert_uint_eq(kt_queued(b, bp), 0);
}
END_TEST

START_TEST(test_msgq_send_of_a_port_item_naming_an_unknown_name_returns_invalid_port)
{
	int32_t names[2] = { a->notify_name, 4242 };
	struct kt_msg m;

	kt_msg_init(&m, ap, PORT_NULL, 1);
	kt_msg_ports(&m, MSG_TYPE_PORT, names, 2, 0);
	uint32_t refs = space_lookup(&a->space, a->notify_name)->port->refs;
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_PORT);
	ck_assert_uint_eq(space_lookup(&a->space, a->notify_name)->port->refs,
			  refs);
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

START_TEST(test_msgq_send_of_a_port_item_not_32_bits_returns_invalid_port)
{
	uint32_t item[4] = { kt_desc(MSG_TYPE_PORT, 16, 1, KT_INLINE), 0,
			     (uint32_t)a->notify_name, 0 };
	struct kt_msg m;

	kt_msg_init(&m, ap, PORT_NULL, 1);
	kt_msg_hdr(&m)->msg_simple = 0;
	kt_msg_raw(&m, item, sizeof item);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_PORT);
}
END_TEST

START_TEST(test_msgq_send_deallocating_a_receive_right_holder_s_port_returns_invalid_port)
{
	int32_t names[1] = { a->notify_name };
	struct kt_msg m;

	kt_msg_init(&m, ap, PORT_NULL, 1);
	kt_msg_ports(&m, MSG_TYPE_PORT, names, 1, KT_DEALLOC);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_PORT);
	ck_assert_ptr_nonnull(space_lookup(&a->space, a->notify_name));
}
END_TEST

START_TEST(test_msgq_send_of_an_out_of_line_item_without_its_note_returns_invalid_memory)
{
	uint32_t item[4] = { kt_desc(MSG_TYPE_INTEGER_32, 32, 4, 0), 0, 0, 0 };
	struct kt_msg m;

	kt_msg_init(&m, ap, PORT_NULL, 1);
	kt_msg_hdr(&m)->msg_simple = 0;
	kt_msg_raw(&m, item, sizeof item);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_MEMORY);
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

START_TEST(test_msgq_send_with_msg_size_past_send_size_returns_invalid_memory)
{
	struct kt_msg m;

	kt_msg_init(&m, ap, PORT_NULL, 1);
	kt_msg_int(&m, 1);
	ck_assert_int_eq(kt_send_sized(a, 0, &m, m.len, m.len - 1),
			 SEND_INVALID_MEMORY);
	/* send_size beyond the buffer is clamped to it */
	ck_assert_int_eq(kt_send_sized(a, 0, &m, m.len, 0xffffffffu),
			 SEND_SUCCESS);
}
END_TEST

START_TEST(test_msgq_an_unknown_call_number_returns_invalid_argument)
{
	struct kt_req r = { .call = UMACH_CALL_MAX + 1 };

	ck_assert_int_eq(kt_post(a, 0, &r), KERN_INVALID_ARGUMENT);
	r.call = UMACH_CALL_NONE;
	ck_assert_int_eq(kt_post(a, 0, &r), KERN_INVALID_ARGUMENT);
}
END_TEST

/* ---- port death and interrupts ---- */

START_TEST(test_msgq_a_blocked_sender_gets_invalid_port_when_the_port_dies)
{
	int32_t name;

	fill(8);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 9, 0, 0), KT_BLOCKED);
	ck_assert_int_eq(kt_port_deallocate(b, bp), KERN_SUCCESS);
	ck_assert_int_eq(kt_status(a, 0), SEND_INVALID_PORT);
	ck_assert_int_eq(kt_notification(a, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, ap);
	ck_assert_ptr_null(space_lookup(&a->space, ap));
	ck_assert_uint_eq(kern.nkmsgs, 0);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 10, 0, 0), SEND_INVALID_PORT);
}
END_TEST

START_TEST(test_msgq_send_interrupt_returns_interrupted_on_cancel)
{
	fill(8);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 9, SEND_INTERRUPT, 0),
			 KT_BLOCKED);
	kt_cancel(a, 0);
	ck_assert_int_eq(kt_status(a, 0), SEND_INTERRUPTED);
	ck_assert_uint_eq(kern.nkmsgs, 8);
	ck_assert_ptr_null(space_lookup(&b->space, bp)->port->senders.head);
}
END_TEST

START_TEST(test_msgq_cancel_without_send_interrupt_lets_the_send_go_on)
{
	fill(8);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 9, 0, 0), KT_BLOCKED);
	kt_cancel(a, 0);
	ck_assert_int_eq(kt_status(a, 0), KT_BLOCKED);
	ck_assert_uint_eq(atomic_load(&a->chan->slot[0].cancel), 0);
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	ck_assert_int_eq(kt_status(a, 0), SEND_SUCCESS);
}
END_TEST

START_TEST(test_msgq_receive_interrupt_returns_interrupted_on_cancel)
{
	ck_assert_int_eq(kt_receive(b, 0, bp, UMACH_MSG_BUF, RCV_INTERRUPT, 0),
			 KT_BLOCKED);
	kt_cancel(b, 0);
	ck_assert_int_eq(kt_status(b, 0), RCV_INTERRUPTED);
	ck_assert_ptr_null(space_lookup(&b->space, bp)->port->receivers.head);
	/* the next message waits in the queue for a later receive */
	ck_assert_int_eq(kt_send_int(a, 0, ap, 1, 0, 0), SEND_SUCCESS);
	ck_assert_uint_eq(kt_queued(b, bp), 1);
}
END_TEST

START_TEST(test_msgq_cancel_without_rcv_interrupt_lets_the_receive_go_on)
{
	ck_assert_int_eq(kt_receive(b, 0, bp, UMACH_MSG_BUF, 0, 0), KT_BLOCKED);
	kt_cancel(b, 0);
	ck_assert_int_eq(kt_status(b, 0), KT_BLOCKED);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 3, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_status(b, 0), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(b, 0), 3);
}
END_TEST

START_TEST(test_msgq_a_sender_task_dying_while_blocked_frees_its_message)
{
	fill(8);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 9, SEND_TIMEOUT, 1000),
			 KT_BLOCKED);
	ktask_destroy(&kern, a);
	ck_assert_uint_eq(kern.nkmsgs, 8);
	ck_assert_uint_eq(kern.heap_len, 0);
	ck_assert_ptr_null(space_lookup(&b->space, bp)->port->senders.head);
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
}
END_TEST

/* ---- port items and msg_simple ---- */

START_TEST(test_msgq_a_port_item_gives_the_receiver_a_send_right)
{
	int32_t ax, names[3];
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &ax), KERN_SUCCESS);
	names[0] = ax, names[1] = PORT_NULL, names[2] = ax;
	kt_msg_init(&m, ap, PORT_NULL, 1);
	kt_msg_int(&m, 5);
	kt_msg_ports(&m, MSG_TYPE_PORT, names, 3, 0);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	ck_assert_uint_eq(kt_hdr(b, 0)->msg_simple, 0);
	int32_t got[3];
	memcpy(got, kt_buf(b, 0) + 24 + 16 + 8, sizeof got);
	struct entry *e = space_lookup(&b->space, got[0]);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->type, PORT_TYPE_SEND);
	ck_assert_ptr_eq(e->port, space_lookup(&a->space, ax)->port);
	ck_assert_int_eq(got[1], PORT_NULL);
	ck_assert_int_eq(got[2], got[0]);
	ck_assert_uint_eq(space_lookup(&a->space, ax)->type,
			  PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(kt_rcv_int(b, 0), 5);
}
END_TEST

START_TEST(test_msgq_a_port_item_with_deallocate_removes_the_sender_s_right)
{
	int32_t bx, names[1];
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(b, &bx), KERN_SUCCESS);
	names[0] = kt_give_send(b, bx, a);
	kt_msg_init(&m, ap, PORT_NULL, 1);
	kt_msg_ports(&m, MSG_TYPE_PORT, names, 1, KT_DEALLOC);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_SUCCESS);
	ck_assert_ptr_null(space_lookup(&a->space, names[0]));
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	int32_t got;
	memcpy(&got, kt_buf(b, 0) + 24 + 8, 4);
	ck_assert_int_eq(got, bx);	/* b's own name for its port */
	ck_assert_uint_eq(space_lookup(&b->space, bx)->type,
			  PORT_TYPE_RECEIVE_OWN);
}
END_TEST

START_TEST(test_msgq_msg_simple_is_recomputed_when_the_body_carries_no_ports)
{
	struct kt_msg m;

	kt_msg_init(&m, ap, PORT_NULL, 1);
	kt_msg_int(&m, 1);
	kt_msg_hdr(&m)->msg_simple = 0;
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	ck_assert_uint_eq(kt_hdr(b, 0)->msg_simple, 1);
}
END_TEST

START_TEST(test_msgq_a_simple_message_s_port_names_pass_as_plain_ints)
{
	int32_t names[1] = { 4242 };
	struct kt_msg m;

	kt_msg_init(&m, ap, PORT_NULL, 1);
	kt_msg_ports(&m, MSG_TYPE_PORT, names, 1, 0);
	kt_msg_hdr(&m)->msg_simple = 1;	/* the kernel does not scan it */
	uint32_t count = b->space.count;
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	int32_t got;
	memcpy(&got, kt_buf(b, 0) + 24 + 8, 4);
	ck_assert_int_eq(got, 4242);
	ck_assert_uint_eq(kt_hdr(b, 0)->msg_simple, 1);
	ck_assert_uint_eq(b->space.count, count);
}
END_TEST

START_TEST(test_msgq_queued_port_items_are_released_when_the_port_dies)
{
	int32_t ax, names[1];
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &ax), KERN_SUCCESS);
	names[0] = ax;
	struct port *px = space_lookup(&a->space, ax)->port;
	uint32_t refs = px->refs;
	kt_msg_init(&m, ap, ax, 1);
	kt_msg_ports(&m, MSG_TYPE_PORT, names, 1, 0);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_SUCCESS);
	ck_assert_uint_eq(px->refs, refs + 2);
	ck_assert_int_eq(kt_port_deallocate(b, bp), KERN_SUCCESS);
	ck_assert_uint_eq(px->refs, refs);
	ck_assert_int_eq(kt_notification(a, NULL), NOTIFY_PORT_DELETED);
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

/* ---- msg_rpc ---- */

START_TEST(test_msgq_rpc_sends_then_receives_the_reply_on_the_reply_port)
{
	int32_t ar;
	struct kt_msg m;

	ck_assert_int_eq(kt_trap(a, 0, UMACH_CALL_THREAD_REPLY, &ar),
			 KERN_SUCCESS);
	kt_msg_init(&m, ap, ar, 500);
	kt_msg_int(&m, 21);
	ck_assert_int_eq(kt_rpc(a, 0, &m, 0, UMACH_MSG_BUF, 0), KT_BLOCKED);
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(b, 0), 21);
	int32_t reply_to = kt_hdr(b, 0)->msg_remote_port;
	kt_msg_init(&m, reply_to, PORT_NULL, 600);
	kt_msg_int(&m, 42);
	ck_assert_int_eq(kt_send(b, 1, &m, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_status(a, 0), RPC_SUCCESS);
	ck_assert_int_eq(kt_hdr(a, 0)->msg_id, 600);
	ck_assert_int_eq(kt_hdr(a, 0)->msg_local_port, ar);
	ck_assert_int_eq(kt_hdr(a, 0)->msg_remote_port, PORT_NULL);
	ck_assert_int_eq(kt_rcv_int(a, 0), 42);
}
END_TEST

START_TEST(test_msgq_rpc_blocked_on_a_full_queue_goes_on_to_its_receive_half)
{
	int32_t ar;
	struct kt_msg m;

	ck_assert_int_eq(kt_trap(a, 0, UMACH_CALL_THREAD_REPLY, &ar),
			 KERN_SUCCESS);
	fill(8);
	kt_msg_init(&m, ap, ar, 500);
	kt_msg_int(&m, 9);
	ck_assert_int_eq(kt_rpc(a, 0, &m, 0, UMACH_MSG_BUF, 0), KT_BLOCKED);
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);		/* room: send half done */
	ck_assert_int_eq(kt_status(a, 0), KT_BLOCKED);	/* now receiving */
	ck_assert_ptr_eq(space_lookup(&a->space, ar)->port->receivers.head,
			 &a->act[0]);
	kt_msg_init(&m, kt_give_send(a, ar, b), PORT_NULL, 600);
	kt_msg_int(&m, 10);
	ck_assert_int_eq(kt_send(b, 1, &m, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_status(a, 0), RPC_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 0), 10);
}
END_TEST

START_TEST(test_msgq_rpc_with_timeout_and_notify_caches_then_receives)
{
	int32_t ar;
	struct kt_msg m;

	ck_assert_int_eq(kt_trap(a, 0, UMACH_CALL_THREAD_REPLY, &ar),
			 KERN_SUCCESS);
	fill(8);
	kt_msg_init(&m, ap, ar, 500);
	ck_assert_int_eq(kt_rpc(a, 0, &m, SEND_TIMEOUT | SEND_NOTIFY,
				UMACH_MSG_BUF, 0), KT_BLOCKED);
	ck_assert_uint_eq(kt_queued(b, bp), 9);	/* cached at once (0 ms) */
	ck_assert_ptr_eq(space_lookup(&a->space, ar)->port->receivers.head,
			 &a->act[0]);
}
END_TEST

START_TEST(test_msgq_rpc_with_a_send_error_ends_the_call)
{
	int32_t ar;
	struct kt_msg m;

	ck_assert_int_eq(kt_trap(a, 0, UMACH_CALL_THREAD_REPLY, &ar),
			 KERN_SUCCESS);
	kt_msg_init(&m, 4242, ar, 500);
	ck_assert_int_eq(kt_rpc(a, 0, &m, 0, UMACH_MSG_BUF, 0),
			 SEND_INVALID_PORT);
	fill(8);
	kt_msg_init(&m, ap, ar, 500);
	ck_assert_int_eq(kt_rpc(a, 0, &m, SEND_TIMEOUT, UMACH_MSG_BUF, 0),
			 SEND_TIMED_OUT);
}
END_TEST

START_TEST(test_msgq_rpc_receive_half_reports_rcv_errors)
{
	int32_t ar;
	struct kt_msg m;

	ck_assert_int_eq(kt_trap(a, 0, UMACH_CALL_THREAD_REPLY, &ar),
			 KERN_SUCCESS);
	kt_msg_init(&m, ap, ar, 500);
	ck_assert_int_eq(kt_rpc(a, 0, &m, RCV_TIMEOUT, UMACH_MSG_BUF, 0),
			 RCV_TIMED_OUT);
	ck_assert_uint_eq(kt_queued(b, bp), 1);	/* the request went */
	/* A reply too large for rcv_size: RCV_TOO_LARGE, reply kept. */
	kt_msg_init(&m, ap, ar, 500);
	ck_assert_int_eq(kt_rpc(a, 0, &m, 0, 24, 0), KT_BLOCKED);
	kt_msg_init(&m, kt_give_send(a, ar, b), PORT_NULL, 600);
	kt_msg_int(&m, 1);
	ck_assert_int_eq(kt_send(b, 1, &m, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_status(a, 0), RCV_TOO_LARGE);
	ck_assert_uint_eq(a->chan->slot[0].msg_size, 40);
	ck_assert_uint_eq(kt_queued(a, ar), 1);
}
END_TEST

START_TEST(test_msgq_rpc_with_port_default_sends_without_a_reply_port)
{
	struct kt_msg m;

	kt_msg_init(&m, ap, -1, 500);
	int st = kt_rpc(a, 0, &m, RCV_TIMEOUT, UMACH_MSG_BUF, 0);
	/* The receive half is on the default set (TODO(#3) in the kernel);
	 * here only the send half is pinned: it went out. */
	ck_assert(!msg_return_send(st));
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	ck_assert_int_eq(kt_hdr(b, 0)->msg_remote_port, PORT_NULL);
	ck_assert_int_eq(kt_hdr(b, 0)->msg_id, 500);
}
END_TEST

/* ---- out of memory ---- */

START_TEST(test_msgq_send_without_memory_for_the_kmsg_returns_kernel_refused)
{
	umach__fail_after(0);
	ck_assert_int_eq(kt_send_int(a, 0, ap, 1, 0, 0), SEND_KERNEL_REFUSED);
	ck_assert_uint_eq(kern.nkmsgs, 0);
	ck_assert_uint_eq(kt_queued(b, bp), 0);
}
END_TEST

START_TEST(test_msgq_send_without_memory_for_items_returns_kernel_refused)
{
	int32_t ax, names[1];
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &ax), KERN_SUCCESS);
	names[0] = ax;
	struct port *px = space_lookup(&a->space, ax)->port;
	uint32_t refs = px->refs;
	kt_msg_init(&m, ap, PORT_NULL, 1);
	kt_msg_ports(&m, MSG_TYPE_PORT, names, 1, 0);
	umach__fail_after(1);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_KERNEL_REFUSED);
	ck_assert_uint_eq(px->refs, refs);
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

START_TEST(test_msgq_receive_without_memory_returns_not_enough_memory_and_keeps_it)
{
	int32_t ar;
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &ar), KERN_SUCCESS);
	kt_msg_init(&m, ap, ar, 1);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_SUCCESS);
	uint32_t count = b->space.count;
	umach__fail_after(0);
	ck_assert_int_eq(rcv(0), RCV_NOT_ENOUGH_MEMORY);
	ck_assert_uint_eq(kt_queued(b, bp), 1);
	ck_assert_uint_eq(b->space.count, count);
	ck_assert_int_eq(rcv(0), RCV_SUCCESS);
	ck_assert_uint_eq(b->space.count, count + 1);
}
END_TEST

START_TEST(test_msgq_a_waiting_receiver_without_memory_leaves_the_message_queued)
{
	int32_t ar;
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &ar), KERN_SUCCESS);
	ck_assert_int_eq(kt_receive(b, 0, bp, UMACH_MSG_BUF, 0, 0), KT_BLOCKED);
	kt_msg_init(&m, ap, ar, 1);
	umach__fail_after(1);		/* the kmsg is made, the entry is not */
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_status(b, 0), RCV_NOT_ENOUGH_MEMORY);
	ck_assert_uint_eq(kt_queued(b, bp), 1);
}
END_TEST

/*
 * T9-lite: make allocation n fail, for n = 0, 1, ... until a run goes
 * through without a failure, over a send of a message with a reply port
 * and a port item and its receive.  Each outcome must be success or the
 * documented out-of-memory status, and after a clean retry the kernel
 * holds exactly what it held before.
 */
START_TEST(test_msgq_every_allocation_failure_in_send_and_receive_is_reported)
{
	int32_t ar, ax;

	ck_assert_int_eq(kt_port_allocate(a, &ar), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_allocate(a, &ax), KERN_SUCCESS);
	uint64_t nports = kern.nports, nkmsgs = kern.nkmsgs;
	uint32_t acount = a->space.count, bcount = b->space.count;
	int clean = 0;

	for (long n = 0; n < 50 && !clean; n++) {
		struct kt_msg m;
		int32_t names[1] = { ax };
		kt_msg_init(&m, ap, ar, 1);
		kt_msg_ports(&m, MSG_TYPE_PORT, names, 1, 0);
		umach__fail_after(n);
		int s = kt_send(a, 0, &m, 0, 0);
		int r = s == SEND_SUCCESS ? rcv(0) : RCV_TIMED_OUT;
		clean = s == SEND_SUCCESS && r == RCV_SUCCESS;
		umach__fail_after(-1);
		ck_assert_msg(s == SEND_SUCCESS || s == SEND_KERNEL_REFUSED,
			      "fail at %ld: send %d", n, s);
		ck_assert_msg(r == RCV_SUCCESS || r == RCV_NOT_ENOUGH_MEMORY ||
			      (s != SEND_SUCCESS && r == RCV_TIMED_OUT),
			      "fail at %ld: receive %d", n, r);
		ck_assert_uint_eq(kt_queued(b, bp), r == RCV_NOT_ENOUGH_MEMORY);
		if (r == RCV_NOT_ENOUGH_MEMORY)
			ck_assert_int_eq(rcv(0), RCV_SUCCESS);
		if (s == SEND_SUCCESS) {
			/* b now names ar and ax; give them back */
			int32_t got;
			memcpy(&got, kt_buf(b, 0) + 24 + 8, 4);
			ck_assert_int_eq(kt_port_deallocate(b, got),
					 KERN_SUCCESS);
			ck_assert_int_eq(kt_port_deallocate(b,
					 kt_hdr(b, 0)->msg_remote_port),
					 KERN_SUCCESS);
		}
		ck_assert_uint_eq(kern.nports, nports);
		ck_assert_uint_eq(kern.nkmsgs, nkmsgs);
		ck_assert_uint_eq(a->space.count, acount);
		ck_assert_uint_eq(b->space.count, bcount);
	}
	ck_assert_msg(clean, "never ran without a failure");
}
END_TEST

static TCase *tcase(const char *name, void (*fn)(void))
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, fn, kt_teardown);
	return tc;
}

START_TEST(test_msgq_blocked_receive_follows_its_port_across_a_rename)
{
	struct ktask *a = kt_task("a");
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_receive(a, 0, p, UMACH_MSG_BUF, 0, 0), KT_BLOCKED);
	ck_assert_int_eq(kt_port_rename(a, p, 700), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(a, 1, 700, 5, 0, 0), SEND_SUCCESS);
	ck_assert(kt_done(a, 0));
	ck_assert_int_eq(kt_status(a, 0), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 0), 5);
	ck_assert_int_eq(kt_hdr(a, 0)->msg_local_port, 700);
	ck_assert_uint_eq(kt_queued(a, 700), 0);
}
END_TEST

static Suite *msgq_suite(void)
{
	Suite *s = suite_create("msgq");
	TCase *tc = tcase("textbook", setup);

	tcase_add_test(tc, test_msgq_receive_gets_the_body_and_the_swapped_header);
	tcase_add_test(tc, test_msgq_a_reply_port_already_held_keeps_its_name);
	tcase_add_test(tc, test_msgq_messages_are_received_in_fifo_order);
	tcase_add_test(tc, test_msgq_a_blocked_receive_is_handed_the_next_message);
	tcase_add_test(tc, test_msgq_a_message_of_msg_size_max_goes_through);
	tcase_add_test(tc, test_msgq_textbook_backlog_is_8);
	tcase_add_test(tc, test_msgq_send_when_full_with_no_option_blocks_until_a_receive);
	tcase_add_test(tc, test_msgq_a_new_send_does_not_pass_a_blocked_sender);
	tcase_add_test(tc, test_msgq_send_when_full_with_timeout_n_returns_timed_out_on_expiry);
	tcase_add_test(tc, test_msgq_send_with_timeout_n_that_gets_room_succeeds_and_drops_its_timer);
	tcase_add_test(tc, test_msgq_send_when_full_with_timeout_0_returns_timed_out);
	tcase_add_test(tc, test_msgq_send_notify_when_full_returns_will_notify_then_in_progress);
	tcase_add_test(tc, test_msgq_an_accepted_message_sends_msg_accepted_in_notification_format);
	tcase_add_test(tc, test_msgq_send_notify_with_room_succeeds_and_never_notifies);
	tcase_add_test(tc, test_msgq_send_timeout_and_notify_waits_then_caches);
	tcase_add_test(tc, test_msgq_a_cached_message_to_a_dying_port_yields_port_deleted);
	tcase_add_test(tc, test_msgq_receive_with_timeout_0_on_empty_returns_timed_out);
	tcase_add_test(tc, test_msgq_receive_with_timeout_n_returns_timed_out_on_expiry);
	tcase_add_test(tc, test_msgq_receive_with_no_option_waits_past_any_timer);
	tcase_add_test(tc, test_msgq_receive_too_large_leaves_the_message_and_reports_its_size);
	tcase_add_test(tc, test_msgq_receive_on_port_null_returns_invalid_port);
	tcase_add_test(tc, test_msgq_receive_without_a_receive_right_returns_invalid_port);
	tcase_add_test(tc, test_msgq_receive_on_a_port_destroyed_while_waiting_returns_invalid_port);
	tcase_add_test(tc, test_msgq_send_shorter_than_a_header_returns_msg_too_small);
	tcase_add_test(tc, test_msgq_send_with_an_item_past_the_end_returns_msg_too_small);
	tcase_add_test(tc, test_msgq_send_longer_than_msg_size_max_returns_msg_too_large);
	tcase_add_test(tc, test_msgq_send_of_more_port_names_than_the_item_limit_returns_msg_too_large);
	tcase_add_test(tc, test_msgq_send_to_a_bad_destination_returns_invalid_port);
	tcase_add_test(tc, test_msgq_send_with_a_bad_reply_port_returns_invalid_port);
	tcase_add_test(tc, test_msgq_send_of_a_port_item_naming_an_unknown_name_returns_invalid_port);
	tcase_add_test(tc, test_msgq_send_of_a_port_item_not_32_bits_returns_invalid_port);
	tcase_add_test(tc, test_msgq_send_deallocating_a_receive_right_holder_s_port_returns_invalid_port);
	tcase_add_test(tc, test_msgq_send_of_an_out_of_line_item_without_its_note_returns_invalid_memory);
	tcase_add_test(tc, test_msgq_send_with_msg_size_past_send_size_returns_invalid_memory);
	tcase_add_test(tc, test_msgq_an_unknown_call_number_returns_invalid_argument);
	tcase_add_test(tc, test_msgq_a_blocked_sender_gets_invalid_port_when_the_port_dies);
	tcase_add_test(tc, test_msgq_send_interrupt_returns_interrupted_on_cancel);
	tcase_add_test(tc, test_msgq_cancel_without_send_interrupt_lets_the_send_go_on);
	tcase_add_test(tc, test_msgq_receive_interrupt_returns_interrupted_on_cancel);
	tcase_add_test(tc, test_msgq_cancel_without_rcv_interrupt_lets_the_receive_go_on);
	tcase_add_test(tc, test_msgq_a_sender_task_dying_while_blocked_frees_its_message);
	tcase_add_test(tc, test_msgq_a_port_item_gives_the_receiver_a_send_right);
	tcase_add_test(tc, test_msgq_a_port_item_with_deallocate_removes_the_sender_s_right);
	tcase_add_test(tc, test_msgq_msg_simple_is_recomputed_when_the_body_carries_no_ports);
	tcase_add_test(tc, test_msgq_a_simple_message_s_port_names_pass_as_plain_ints);
	tcase_add_test(tc, test_msgq_queued_port_items_are_released_when_the_port_dies);
	tcase_add_test(tc, test_msgq_rpc_sends_then_receives_the_reply_on_the_reply_port);
	tcase_add_test(tc, test_msgq_rpc_blocked_on_a_full_queue_goes_on_to_its_receive_half);
	tcase_add_test(tc, test_msgq_rpc_with_timeout_and_notify_caches_then_receives);
	tcase_add_test(tc, test_msgq_rpc_with_a_send_error_ends_the_call);
	tcase_add_test(tc, test_msgq_rpc_receive_half_reports_rcv_errors);
	tcase_add_test(tc, test_msgq_rpc_with_port_default_sends_without_a_reply_port);
	tcase_add_test(tc, test_msgq_send_without_memory_for_the_kmsg_returns_kernel_refused);
	tcase_add_test(tc, test_msgq_send_without_memory_for_items_returns_kernel_refused);
	tcase_add_test(tc, test_msgq_receive_without_memory_returns_not_enough_memory_and_keeps_it);
	tcase_add_test(tc, test_msgq_a_waiting_receiver_without_memory_leaves_the_message_queued);
	tcase_add_test(tc, test_msgq_every_allocation_failure_in_send_and_receive_is_reported);
	suite_add_tcase(s, tc);

	tc = tcase("mach25", setup_mach25);
	tcase_add_test(tc, test_msgq_mach25_backlog_is_5);
	tcase_add_test(tc, test_msgq_receive_too_large_in_mach25_profile_keeps_the_message);
	suite_add_tcase(s, tc);

	tc = tcase("next", setup_next);
	tcase_add_test(tc, test_msgq_receive_too_large_in_next_profile_destroys_the_message);
	tcase_add_test(tc, test_msgq_receive_too_large_in_next_profile_with_rcv_large_keeps_it);
	tcase_add_test(tc, test_msgq_blocked_receive_follows_its_port_across_a_rename);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(msgq_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
