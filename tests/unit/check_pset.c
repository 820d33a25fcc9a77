/*
 * Port sets (kernel/pset.c, msgq.c, sys_port.c; reference 1.9, 1.11):
 * port_set_allocate, _deallocate, _add, _remove and _status with each of
 * their errors, receiving on a set (the member's name in msg_local_port,
 * round robin between members), RCV_INVALID_PORT on a member,
 * RCV_PORT_CHANGE, the default set (PORT_ENABLED, port_enable and
 * port_disable), and what port death and task death do to sets.
 *
 * Task a holds ports p1 and p2 (all rights) and set s; task b holds send
 * rights b1 and b2 to them.
 */
#include <check.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mach/notify.h>
#include "kt.h"

static struct ktask *a, *b;
static int32_t p1, p2, s, b1, b2;

static int set_allocate(struct ktask *t, int32_t *out)
{
	return kt_mig(t, 2080, NULL, 0, out, 1);
}

static int set_deallocate(struct ktask *t, int32_t set)
{
	struct kt_arg arg[] = { { MSG_TYPE_PORT_NAME, set } };

	return kt_mig(t, 2081, arg, 1, NULL, 0);
}

static int set_add(struct ktask *t, int32_t set, int32_t port)
{
	struct kt_arg arg[] = { { MSG_TYPE_PORT_NAME, set },
				{ MSG_TYPE_PORT_NAME, port } };

	return kt_mig(t, 2082, arg, 2, NULL, 0);
}

static int set_remove(struct ktask *t, int32_t port)
{
	struct kt_arg arg[] = { { MSG_TYPE_PORT_NAME, port } };

	return kt_mig(t, 2083, arg, 1, NULL, 0);
}

static int port_enable(struct ktask *t, int32_t port)
{
	struct kt_arg arg[] = { { MSG_TYPE_PORT_NAME, port } };

	return kt_mig(t, 2002, arg, 1, NULL, 0);
}

static int port_disable(struct ktask *t, int32_t port)
{
	struct kt_arg arg[] = { { MSG_TYPE_PORT_NAME, port } };

	return kt_mig(t, 2003, arg, 1, NULL, 0);
}

/* The set a's port `name` is in, as port_status reports it. */
static int32_t status_set(struct ktask *t, int32_t name)
{
	int32_t out[5];

	ck_assert_int_eq(kt_port_status(t, name, out), KERN_SUCCESS);
	return out[0];
}

/*
 * port_set_status on t's set: returns RetCode; on success *count is the
 * array's length and names[] its contents, read from the memfd the kernel
 * passes on the task's socket (a socketpair here).
 */
static int set_status(struct ktask *t, int32_t set, int32_t *names,
		      uint32_t *count)
{
	int sv[2];
	struct kt_msg m;
	int32_t ret;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	t->w_sock.fd = sv[0];
	kt_msg_init(&m, t->self_name, kt_reply_port(t), 2084);
	uint32_t d = kt_desc(MSG_TYPE_PORT_NAME, 32, 1, KT_INLINE);
	kt_msg_raw(&m, &d, 4);
	m.len += 4;
	kt_msg_raw(&m, &set, 4);
	m.len += 4;
	ck_assert_int_eq(kt_rpc(t, KT_MIG_SLOT, &m, RCV_TIMEOUT, UMACH_MSG_BUF,
				0), RPC_SUCCESS);
	t->w_sock.fd = -1;
	close(sv[0]);
	const uint8_t *body = kt_buf(t, KT_MIG_SLOT) + sizeof(msg_header_t);
	memcpy(&ret, body + sizeof(msg_type_t), 4);
	if (ret == KERN_SUCCESS) {
		msg_type_long_t lt;
		memcpy(&lt, body + 16, sizeof lt);
		ck_assert_uint_eq(lt.msg_type_long_name, MSG_TYPE_PORT_NAME);
		ck_assert(!lt.msg_type_header.msg_type_inline);
		*count = lt.msg_type_long_number;
	}
	if (ret == KERN_SUCCESS && *count > 0) {
		struct umach_ool_note note;
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { &note, sizeof note };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof cbuf };
		int fd;
		ck_assert_int_eq(recvmsg(sv[1], &mh, 0), sizeof note);
		ck_assert_uint_eq(note.count, 1);
		memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof fd);
		ck_assert_int_eq(pread(fd, names, *count * 4, 0),
				 (ssize_t)(*count * 4));
		close(fd);
	}
	close(sv[1]);
	return ret;
}

static void setup(void)
{
	kt_setup();
	a = kt_task("a");
	b = kt_task("b");
	kt_reply_port(a);
	kt_reply_port(b);
	ck_assert_int_eq(kt_port_allocate(a, &p1), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_allocate(a, &p2), KERN_SUCCESS);
	ck_assert_int_eq(set_allocate(a, &s), KERN_SUCCESS);
	b1 = kt_give_send(a, p1, b);
	b2 = kt_give_send(a, p2, b);
}

/* Put p1 and p2 into s. */
static void both_in_s(void)
{
	ck_assert_int_eq(set_add(a, s, p1), KERN_SUCCESS);
	ck_assert_int_eq(set_add(a, s, p2), KERN_SUCCESS);
}

/* Receive on `name` at once; returns the status. */
static int rcv(int32_t name)
{
	return kt_receive(a, 0, name, UMACH_MSG_BUF, RCV_TIMEOUT, 0);
}

static int32_t local_port(void)
{
	return kt_hdr(a, 0)->msg_local_port;
}

/* ---- port_set_allocate ---- */

START_TEST(test_pset_allocate_gives_a_fresh_name_of_type_set)
{
	int32_t type, s2;

	ck_assert_int_gt(s, 0);
	ck_assert_int_ne(s, p1);
	ck_assert_int_ne(s, p2);
	ck_assert_int_eq(kt_port_type(a, s, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_SET);
	ck_assert_int_eq(set_allocate(a, &s2), KERN_SUCCESS);
	ck_assert_int_ne(s2, s);
	/* a port made after the sets does not take their names */
	int32_t p3;
	ck_assert_int_eq(kt_port_allocate(a, &p3), KERN_SUCCESS);
	ck_assert_int_ne(p3, s);
	ck_assert_int_ne(p3, s2);
}
END_TEST

START_TEST(test_pset_allocate_without_memory_returns_resource_shortage)
{
	uint32_t count = a->space.count;
	int32_t s2 = 77;

	umach__fail_after(2);	/* request and reply made, the set not */
	ck_assert_int_eq(set_allocate(a, &s2), KERN_RESOURCE_SHORTAGE);
	ck_assert_uint_eq(a->space.count, count);
	ck_assert_uint_eq(a->space.sets.len, 1);
}
END_TEST

START_TEST(test_pset_allocate_at_the_name_limit_returns_resource_shortage)
{
	uint32_t count = a->space.count;
	int32_t s2;

	a->space.count = KERN_NAMES_PER_TASK;
	ck_assert_int_eq(set_allocate(a, &s2), KERN_RESOURCE_SHORTAGE);
	ck_assert_uint_eq(a->space.sets.len, 1);
	a->space.count = count;
}
END_TEST

/* ---- receiving on a set ---- */

START_TEST(test_pset_receive_on_a_set_gets_messages_of_both_members_with_their_names)
{
	both_in_s();
	ck_assert_int_eq(kt_send_int(b, 0, b1, 11, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_send_int(b, 0, b2, 22, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(rcv(s), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 0), 11);
	ck_assert_int_eq(local_port(), p1);
	ck_assert_int_eq(rcv(s), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 0), 22);
	ck_assert_int_eq(local_port(), p2);
	ck_assert_int_eq(rcv(s), RCV_TIMED_OUT);
}
END_TEST

START_TEST(test_pset_members_with_mail_are_served_in_turn)
{
	both_in_s();
	for (int32_t i = 0; i < 5; i++)
		ck_assert_int_eq(kt_send_int(b, 0, b1, 100 + i, 0, 0),
				 SEND_SUCCESS);
	for (int32_t i = 0; i < 5; i++)
		ck_assert_int_eq(kt_send_int(b, 0, b2, 200 + i, 0, 0),
				 SEND_SUCCESS);
	/* p1 was ready first, but p2 never waits more than one turn */
	for (int32_t i = 0; i < 5; i++) {
		ck_assert_int_eq(rcv(s), RCV_SUCCESS);
		ck_assert_int_eq(local_port(), p1);
		ck_assert_int_eq(kt_rcv_int(a, 0), 100 + i);
		ck_assert_int_eq(rcv(s), RCV_SUCCESS);
		ck_assert_int_eq(local_port(), p2);
		ck_assert_int_eq(kt_rcv_int(a, 0), 200 + i);
	}
	ck_assert_int_eq(rcv(s), RCV_TIMED_OUT);
}
END_TEST

START_TEST(test_pset_a_busy_member_does_not_starve_a_quiet_one)
{
	both_in_s();
	for (int32_t i = 0; i < 8; i++)
		ck_assert_int_eq(kt_send_int(b, 0, b1, i, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(rcv(s), RCV_SUCCESS);
	ck_assert_int_eq(local_port(), p1);
	/* p2 gets one message while p1 still has seven */
	ck_assert_int_eq(kt_send_int(b, 0, b2, 99, 0, 0), SEND_SUCCESS);
	int seen = 0;
	for (int i = 0; i < 2 && !seen; i++) {
		ck_assert_int_eq(rcv(s), RCV_SUCCESS);
		seen = local_port() == p2;
	}
	ck_assert(seen);
	ck_assert_uint_eq(kt_queued(a, p2), 0);
}
END_TEST

START_TEST(test_pset_a_receive_blocked_on_a_set_gets_the_next_member_message)
{
	both_in_s();
	ck_assert_int_eq(kt_receive(a, 0, s, UMACH_MSG_BUF, 0, 0), KT_BLOCKED);
	ck_assert_int_eq(kt_receive(a, 1, s, UMACH_MSG_BUF, 0, 0), KT_BLOCKED);
	ck_assert_int_eq(kt_send_int(b, 0, b2, 5, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_status(a, 0), RCV_SUCCESS);
	ck_assert_int_eq(kt_hdr(a, 0)->msg_local_port, p2);
	ck_assert_int_eq(kt_rcv_int(a, 0), 5);
	ck_assert_int_eq(kt_status(a, 1), KT_BLOCKED);
	ck_assert_int_eq(kt_send_int(b, 0, b1, 6, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_status(a, 1), RCV_SUCCESS);
	ck_assert_int_eq(kt_hdr(a, 1)->msg_local_port, p1);
}
END_TEST

START_TEST(test_pset_receive_on_an_empty_set_is_legal_and_times_out)
{
	ck_assert_int_eq(rcv(s), RCV_TIMED_OUT);
	ck_assert_int_eq(kt_receive(a, 0, s, UMACH_MSG_BUF, RCV_TIMEOUT, 20),
			 KT_BLOCKED);
	kt_expire_all();
	ck_assert_int_eq(kt_status(a, 0), RCV_TIMED_OUT);
	ck_assert_ptr_null(pset_lookup(&a->space, s)->receivers.head);
	ck_assert_uint_eq(kern.heap_len, 0);
}
END_TEST

START_TEST(test_pset_a_member_added_with_mail_serves_a_blocked_set_receiver)
{
	ck_assert_int_eq(kt_send_int(b, 0, b1, 3, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(a, 0, s, UMACH_MSG_BUF, 0, 0), KT_BLOCKED);
	ck_assert_int_eq(set_add(a, s, p1), KERN_SUCCESS);
	ck_assert_int_eq(kt_status(a, 0), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 0), 3);
	ck_assert_int_eq(kt_hdr(a, 0)->msg_local_port, p1);
}
END_TEST

START_TEST(test_pset_receive_too_large_on_a_set_keeps_the_message_at_the_head)
{
	both_in_s();
	ck_assert_int_eq(kt_send_int(b, 0, b1, 1, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_send_int(b, 0, b2, 2, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(a, 0, s, sizeof(msg_header_t), RCV_TIMEOUT,
				    0), RCV_TOO_LARGE);
	ck_assert_int_eq(rcv(s), RCV_SUCCESS);
	ck_assert_int_eq(local_port(), p1);
	ck_assert_int_eq(kt_rcv_int(a, 0), 1);
}
END_TEST

START_TEST(test_pset_kernel_messages_to_a_member_reach_the_set)
{
	int32_t bs;

	/* b waits on a set holding its notify port; a's p1 dies */
	ck_assert_int_eq(set_allocate(b, &bs), KERN_SUCCESS);
	ck_assert_int_eq(set_add(b, bs, b->notify_name), KERN_SUCCESS);
	ck_assert_int_eq(kt_receive(b, 0, bs, UMACH_MSG_BUF, 0, 0), KT_BLOCKED);
	ck_assert_int_eq(kt_port_deallocate(a, p1), KERN_SUCCESS);
	ck_assert_int_eq(kt_status(b, 0), RCV_SUCCESS);
	ck_assert_int_eq(kt_hdr(b, 0)->msg_id, NOTIFY_PORT_DELETED);
	ck_assert_int_eq(kt_hdr(b, 0)->msg_local_port, b->notify_name);
}
END_TEST

/* ---- receive errors ---- */

START_TEST(test_pset_receive_directly_on_a_member_returns_invalid_port)
{
	ck_assert_int_eq(set_add(a, s, p1), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(b, 0, b1, 1, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(a, 0, p1, UMACH_MSG_BUF, 0, 0),
			 RCV_INVALID_PORT);
	ck_assert_uint_eq(kt_queued(a, p1), 1);
	ck_assert_int_eq(port_enable(a, p2), KERN_SUCCESS);
	ck_assert_int_eq(kt_receive(a, 0, p2, UMACH_MSG_BUF, 0, 0),
			 RCV_INVALID_PORT);
}
END_TEST

START_TEST(test_pset_a_port_moved_into_a_set_during_a_receive_returns_port_change)
{
	ck_assert_int_eq(kt_receive(a, 0, p1, UMACH_MSG_BUF, 0, 0), KT_BLOCKED);
	ck_assert_int_eq(kt_receive(a, 1, p2, UMACH_MSG_BUF, RCV_TIMEOUT, 50),
			 KT_BLOCKED);
	ck_assert_int_eq(set_add(a, s, p1), KERN_SUCCESS);
	ck_assert_int_eq(kt_status(a, 0), RCV_PORT_CHANGE);
	ck_assert_int_eq(port_enable(a, p2), KERN_SUCCESS);
	ck_assert_int_eq(kt_status(a, 1), RCV_PORT_CHANGE);
	ck_assert_uint_eq(kern.heap_len, 0);
	/* the message that follows waits for a receive on the set */
	ck_assert_int_eq(kt_send_int(b, 0, b1, 4, 0, 0), SEND_SUCCESS);
	ck_assert_uint_eq(kt_queued(a, p1), 1);
}
END_TEST

START_TEST(test_pset_a_set_deallocated_during_a_receive_returns_invalid_port)
{
	both_in_s();
	ck_assert_int_eq(kt_receive(a, 0, s, UMACH_MSG_BUF, 0, 0), KT_BLOCKED);
	ck_assert_int_eq(kt_receive(a, 1, s, UMACH_MSG_BUF, RCV_TIMEOUT, 50),
			 KT_BLOCKED);
	ck_assert_int_eq(set_deallocate(a, s), KERN_SUCCESS);
	ck_assert_int_eq(kt_status(a, 0), RCV_INVALID_PORT);
	ck_assert_int_eq(kt_status(a, 1), RCV_INVALID_PORT);
	ck_assert_uint_eq(kern.heap_len, 0);
}
END_TEST

START_TEST(test_pset_receive_on_a_deallocated_set_returns_invalid_port)
{
	ck_assert_int_eq(set_deallocate(a, s), KERN_SUCCESS);
	ck_assert_int_eq(rcv(s), RCV_INVALID_PORT);
}
END_TEST

/* ---- port_set_deallocate ---- */

START_TEST(test_pset_deallocate_frees_the_members_with_their_messages)
{
	int32_t type;

	both_in_s();
	ck_assert_int_eq(kt_send_int(b, 0, b1, 8, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(set_deallocate(a, s), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_type(a, s, &type), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(status_set(a, p1), PORT_NULL);
	ck_assert_int_eq(status_set(a, p2), PORT_NULL);
	ck_assert_int_eq(rcv(p1), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 0), 8);
	ck_assert_uint_eq(a->space.sets.len, 0);
}
END_TEST

START_TEST(test_pset_deallocate_of_a_name_that_is_no_set_returns_invalid_argument)
{
	ck_assert_int_eq(set_deallocate(a, 4242), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_deallocate(a, p1), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_deallocate(a, PORT_NULL), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_deallocate(a, PORT_ENABLED_NAME),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_deallocate(b, s), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_deallocate(a, s), KERN_SUCCESS);
	ck_assert_int_eq(set_deallocate(a, s), KERN_INVALID_ARGUMENT);
}
END_TEST

/* ---- port_set_add ---- */

START_TEST(test_pset_add_reports_the_set_in_port_status)
{
	ck_assert_int_eq(status_set(a, p1), PORT_NULL);
	ck_assert_int_eq(set_add(a, s, p1), KERN_SUCCESS);
	ck_assert_int_eq(status_set(a, p1), s);
	ck_assert_int_eq(status_set(a, p2), PORT_NULL);
	/* a sender sees no set: the first three are the receiver's */
	ck_assert_int_eq(status_set(b, b1), PORT_NULL);
}
END_TEST

START_TEST(test_pset_add_moves_a_port_and_its_messages_from_its_old_set)
{
	int32_t s2;

	ck_assert_int_eq(set_allocate(a, &s2), KERN_SUCCESS);
	ck_assert_int_eq(set_add(a, s, p1), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(b, 0, b1, 1, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_send_int(b, 0, b1, 2, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(set_add(a, s2, p1), KERN_SUCCESS);
	ck_assert_int_eq(status_set(a, p1), s2);
	ck_assert_int_eq(rcv(s), RCV_TIMED_OUT);
	ck_assert_int_eq(rcv(s2), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 0), 1);
	ck_assert_int_eq(rcv(s2), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 0), 2);
	ck_assert_uint_eq(pset_lookup(&a->space, s)->nmembers, 0);
}
END_TEST

START_TEST(test_pset_add_to_the_set_it_is_in_returns_already_in_set)
{
	ck_assert_int_eq(set_add(a, s, p1), KERN_SUCCESS);
	ck_assert_int_eq(set_add(a, s, p1), KERN_ALREADY_IN_SET);
	ck_assert_uint_eq(pset_lookup(&a->space, s)->nmembers, 1);
}
END_TEST

START_TEST(test_pset_add_without_a_receive_right_returns_not_receiver)
{
	int32_t bs;

	ck_assert_int_eq(set_allocate(b, &bs), KERN_SUCCESS);
	ck_assert_int_eq(set_add(b, bs, b1), KERN_NOT_RECEIVER);
	ck_assert_int_eq(set_add(b, bs, b->self_name), KERN_NOT_RECEIVER);
}
END_TEST

START_TEST(test_pset_add_with_a_bad_set_or_port_returns_invalid_argument)
{
	int32_t s2;

	ck_assert_int_eq(set_allocate(a, &s2), KERN_SUCCESS);
	ck_assert_int_eq(set_add(a, 4242, p1), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_add(a, p2, p1), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_add(a, PORT_NULL, p1), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_add(a, s, 4242), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_add(a, s, s2), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_add(a, s, PORT_NULL), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_add(b, s, b1), KERN_INVALID_ARGUMENT);
	ck_assert_uint_eq(pset_lookup(&a->space, s)->nmembers, 0);
}
END_TEST

/* ---- port_set_remove ---- */

START_TEST(test_pset_remove_makes_the_port_receivable_again)
{
	both_in_s();
	ck_assert_int_eq(kt_send_int(b, 0, b1, 1, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(set_remove(a, p1), KERN_SUCCESS);
	ck_assert_int_eq(status_set(a, p1), PORT_NULL);
	ck_assert_int_eq(rcv(s), RCV_TIMED_OUT);
	ck_assert_int_eq(rcv(p1), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 0), 1);
	ck_assert_uint_eq(pset_lookup(&a->space, s)->nmembers, 1);
}
END_TEST

START_TEST(test_pset_remove_of_a_port_in_no_set_returns_not_in_set)
{
	ck_assert_int_eq(set_remove(a, p1), KERN_NOT_IN_SET);
	ck_assert_int_eq(set_add(a, s, p1), KERN_SUCCESS);
	ck_assert_int_eq(set_remove(a, p1), KERN_SUCCESS);
	ck_assert_int_eq(set_remove(a, p1), KERN_NOT_IN_SET);
}
END_TEST

START_TEST(test_pset_remove_errors_for_bad_names_and_send_rights)
{
	ck_assert_int_eq(set_remove(a, 4242), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_remove(a, s), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_remove(a, PORT_NULL), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_remove(b, b1), KERN_NOT_RECEIVER);
}
END_TEST

/* ---- port_set_status ---- */

START_TEST(test_pset_status_lists_the_members_out_of_line)
{
	int32_t names[4] = { 0 };
	uint32_t n = 99;

	ck_assert_int_eq(set_status(a, s, names, &n), KERN_SUCCESS);
	ck_assert_uint_eq(n, 0);
	both_in_s();
	ck_assert_int_eq(set_status(a, s, names, &n), KERN_SUCCESS);
	ck_assert_uint_eq(n, 2);
	ck_assert((names[0] == p1 && names[1] == p2) ||
		  (names[0] == p2 && names[1] == p1));
	ck_assert_int_eq(port_enable(a, p2), KERN_SUCCESS);
	ck_assert_int_eq(set_status(a, PORT_ENABLED_NAME, names, &n),
			 KERN_SUCCESS);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(names[0], p2);
}
END_TEST

START_TEST(test_pset_status_of_a_name_that_is_no_set_returns_invalid_argument)
{
	int32_t names[1];
	uint32_t n;

	ck_assert_int_eq(set_status(a, 4242, names, &n), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_status(a, p1, names, &n), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_status(b, s, names, &n), KERN_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_pset_status_without_memory_returns_resource_shortage)
{
	int32_t names[2];
	uint32_t n;

	both_in_s();
	umach__fail_after(2);	/* request and reply made, the array not */
	ck_assert_int_eq(set_status(a, s, names, &n), KERN_RESOURCE_SHORTAGE);
}
END_TEST

/* ---- the default set ---- */

START_TEST(test_pset_port_enabled_receives_from_enabled_ports_only)
{
	ck_assert_int_eq(rcv(PORT_ENABLED_NAME), RCV_TIMED_OUT);
	ck_assert_int_eq(port_enable(a, p2), KERN_SUCCESS);
	ck_assert_int_eq(status_set(a, p2), PORT_ENABLED_NAME);
	ck_assert_int_eq(kt_send_int(b, 0, b1, 1, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_send_int(b, 0, b2, 2, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(rcv(PORT_ENABLED_NAME), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 0), 2);
	ck_assert_int_eq(local_port(), p2);
	ck_assert_int_eq(rcv(PORT_ENABLED_NAME), RCV_TIMED_OUT);
	ck_assert_int_eq(rcv(p1), RCV_SUCCESS);
}
END_TEST

START_TEST(test_pset_a_receive_blocked_on_port_enabled_gets_an_enabled_message)
{
	ck_assert_int_eq(port_enable(a, p1), KERN_SUCCESS);
	ck_assert_int_eq(kt_receive(a, 0, PORT_ENABLED_NAME, UMACH_MSG_BUF, 0,
				    0), KT_BLOCKED);
	ck_assert_int_eq(kt_send_int(b, 0, b1, 7, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_status(a, 0), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 0), 7);
	ck_assert_int_eq(kt_hdr(a, 0)->msg_local_port, p1);
}
END_TEST

START_TEST(test_pset_port_disable_takes_a_port_out_of_the_default_set)
{
	ck_assert_int_eq(port_enable(a, p1), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(b, 0, b1, 1, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(port_disable(a, p1), KERN_SUCCESS);
	ck_assert_int_eq(status_set(a, p1), PORT_NULL);
	ck_assert_int_eq(rcv(PORT_ENABLED_NAME), RCV_TIMED_OUT);
	ck_assert_int_eq(rcv(p1), RCV_SUCCESS);
}
END_TEST

START_TEST(test_pset_port_enable_moves_a_port_out_of_its_set)
{
	ck_assert_int_eq(set_add(a, s, p1), KERN_SUCCESS);
	ck_assert_int_eq(port_enable(a, p1), KERN_SUCCESS);
	ck_assert_int_eq(status_set(a, p1), PORT_ENABLED_NAME);
	ck_assert_uint_eq(pset_lookup(&a->space, s)->nmembers, 0);
	/* and port_set_add moves it back out of the default set */
	ck_assert_int_eq(set_add(a, s, p1), KERN_SUCCESS);
	ck_assert_uint_eq(a->space.enabled.nmembers, 0);
	/* port_set_add with PORT_ENABLED is port_enable */
	ck_assert_int_eq(set_add(a, PORT_ENABLED_NAME, p2), KERN_SUCCESS);
	ck_assert_int_eq(status_set(a, p2), PORT_ENABLED_NAME);
	ck_assert_int_eq(port_enable(a, p2), KERN_ALREADY_IN_SET);
}
END_TEST

START_TEST(test_pset_port_enable_errors)
{
	ck_assert_int_eq(port_enable(a, 4242), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(port_enable(a, s), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(port_enable(b, b1), KERN_NOT_RECEIVER);
	ck_assert_int_eq(port_enable(a, p1), KERN_SUCCESS);
	ck_assert_int_eq(port_enable(a, p1), KERN_ALREADY_IN_SET);
}
END_TEST

START_TEST(test_pset_port_disable_errors)
{
	ck_assert_int_eq(port_disable(a, 4242), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(port_disable(b, b1), KERN_NOT_RECEIVER);
	ck_assert_int_eq(port_disable(a, p1), KERN_NOT_IN_SET);
	/* a member of another set is not in the default set */
	ck_assert_int_eq(set_add(a, s, p1), KERN_SUCCESS);
	ck_assert_int_eq(port_disable(a, p1), KERN_NOT_IN_SET);
	ck_assert_int_eq(status_set(a, p1), s);
}
END_TEST

/* ---- sets are not ports ---- */

START_TEST(test_pset_a_set_name_is_no_port_for_the_port_calls)
{
	int32_t out[5];

	ck_assert_int_eq(kt_send_int(a, 0, s, 1, 0, 0), SEND_INVALID_PORT);
	ck_assert_int_eq(kt_port_deallocate(a, s), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(kt_port_status(a, s, out), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(kt_port_set_backlog(a, s, 3), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(kt_port_type(a, PORT_ENABLED_NAME, &out[0]),
			 KERN_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_pset_a_port_item_naming_a_set_returns_invalid_port)
{
	struct kt_msg m;

	kt_msg_init(&m, p1, PORT_NULL, 1);
	kt_msg_ports(&m, MSG_TYPE_PORT, &s, 1, 0);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_PORT);
	kt_msg_init(&m, p1, s, 1);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_PORT);
	ck_assert_uint_eq(kt_queued(a, p1), 0);
}
END_TEST

START_TEST(test_pset_rename_moves_a_set_name_and_keeps_names_unique)
{
	int32_t type;

	ck_assert_int_eq(kt_port_rename(a, s, p1), KERN_NAME_EXISTS);
	ck_assert_int_eq(kt_port_rename(a, p1, s), KERN_NAME_EXISTS);
	ck_assert_int_eq(kt_port_rename(a, s, -1), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_add(a, s, p1), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_rename(a, s, 900), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_type(a, 900, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_SET);
	ck_assert_int_eq(kt_port_type(a, s, &type), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(status_set(a, p1), 900);
	ck_assert_int_eq(kt_send_int(b, 0, b1, 1, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(rcv(900), RCV_SUCCESS);
}
END_TEST

START_TEST(test_pset_set_calls_with_the_wrong_arguments_return_mig_bad_arguments)
{
	struct kt_arg one[] = { { MSG_TYPE_PORT_NAME, s } };
	struct kt_arg bad[] = { { MSG_TYPE_INTEGER_32, s },
				{ MSG_TYPE_PORT_NAME, p1 } };

	ck_assert_int_eq(kt_mig(a, 2080, one, 1, NULL, 0), MIG_BAD_ARGUMENTS);
	ck_assert_int_eq(kt_mig(a, 2082, one, 1, NULL, 0), MIG_BAD_ARGUMENTS);
	ck_assert_int_eq(kt_mig(a, 2082, bad, 2, NULL, 0), MIG_BAD_ARGUMENTS);
	ck_assert_int_eq(kt_mig(a, 2081, bad, 1, NULL, 0), MIG_BAD_ARGUMENTS);
	ck_assert_int_eq(kt_mig(a, 2083, bad, 1, NULL, 0), MIG_BAD_ARGUMENTS);
	ck_assert_int_eq(kt_mig(a, 2084, bad, 1, NULL, 0), MIG_BAD_ARGUMENTS);
	ck_assert_int_eq(kt_mig(a, 2002, bad, 1, NULL, 0), MIG_BAD_ARGUMENTS);
	ck_assert_int_eq(kt_mig(a, 2003, bad, 1, NULL, 0), MIG_BAD_ARGUMENTS);
	ck_assert_uint_eq(pset_lookup(&a->space, s)->nmembers, 0);
}
END_TEST

START_TEST(test_pset_msg_rpc_with_port_default_receives_from_the_default_set)
{
	struct kt_msg m;

	ck_assert_int_eq(port_enable(a, p1), KERN_SUCCESS);
	/* the send half has no reply port; the receive half is PORT_DEFAULT */
	kt_msg_init(&m, p1, PORT_ENABLED_NAME, 5);
	kt_msg_int(&m, 42);
	ck_assert_int_eq(kt_rpc(a, 0, &m, RCV_TIMEOUT, UMACH_MSG_BUF, 0),
			 RPC_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 0), 42);
	ck_assert_int_eq(local_port(), p1);
	ck_assert_int_eq(kt_hdr(a, 0)->msg_remote_port, PORT_NULL);
}
END_TEST

START_TEST(test_pset_an_interrupted_set_receive_returns_interrupted)
{
	ck_assert_int_eq(kt_receive(a, 0, s, UMACH_MSG_BUF, RCV_INTERRUPT, 0),
			 KT_BLOCKED);
	kt_cancel(a, 0);
	ck_assert_int_eq(kt_status(a, 0), RCV_INTERRUPTED);
	ck_assert_ptr_null(pset_lookup(&a->space, s)->receivers.head);
}
END_TEST

/* ---- death ---- */

START_TEST(test_pset_a_dying_port_leaves_its_set)
{
	both_in_s();
	ck_assert_int_eq(kt_send_int(b, 0, b1, 1, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_send_int(b, 0, b2, 2, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_port_deallocate(a, p1), KERN_SUCCESS);
	ck_assert_uint_eq(pset_lookup(&a->space, s)->nmembers, 1);
	ck_assert_int_eq(rcv(s), RCV_SUCCESS);
	ck_assert_int_eq(local_port(), p2);
	ck_assert_int_eq(rcv(s), RCV_TIMED_OUT);
}
END_TEST

START_TEST(test_pset_a_set_receiver_outlives_its_last_member)
{
	ck_assert_int_eq(set_add(a, s, p1), KERN_SUCCESS);
	ck_assert_int_eq(kt_receive(a, 0, s, UMACH_MSG_BUF, 0, 0), KT_BLOCKED);
	ck_assert_int_eq(kt_port_deallocate(a, p1), KERN_SUCCESS);
	ck_assert_int_eq(kt_status(a, 0), KT_BLOCKED);
	ck_assert_int_eq(set_add(a, s, p2), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(b, 0, b2, 3, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_status(a, 0), RCV_SUCCESS);
}
END_TEST

/* Give b the receive right to a's p1 (a keeps ownership), as a
 * receive-right transfer would; returns b's name for it. */
static int32_t receive_right_to_b(void)
{
	struct entry *e = space_lookup(&a->space, p1);

	ck_assert_int_eq(set_remove(a, p1), KERN_NOT_IN_SET);
	e->type = PORT_TYPE_OWN;
	ck_assert_int_eq(space_reserve(&b->space, 1), KERN_SUCCESS);
	struct entry *eb = space_insert(&b->space, e->port, PORT_TYPE_RECEIVE,
					NULL);
	e->port->receiver = &b->space;
	return eb->name;
}

START_TEST(test_pset_a_receive_right_that_reverts_to_the_owner_arrives_restricted)
{
	int32_t bs, name;
	int32_t bp = receive_right_to_b();

	ck_assert_int_eq(set_allocate(b, &bs), KERN_SUCCESS);
	ck_assert_int_eq(set_add(b, bs, bp), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(b, 0, bp, 6, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_port_deallocate(b, bp), KERN_SUCCESS);
	ck_assert_uint_eq(pset_lookup(&b->space, bs)->nmembers, 0);
	ck_assert_int_eq(kt_notification(a, &name), NOTIFY_RECEIVE_RIGHTS);
	ck_assert_int_eq(status_set(a, p1), PORT_NULL);
	ck_assert_int_eq(rcv(p1), RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 0), 6);
}
END_TEST

START_TEST(test_pset_a_receiver_task_death_takes_the_port_out_of_its_set)
{
	int32_t name;
	int32_t bp = receive_right_to_b();

	ck_assert_int_eq(port_enable(b, bp), KERN_SUCCESS);
	ck_assert_int_eq(kt_receive(b, 0, PORT_ENABLED_NAME, UMACH_MSG_BUF, 0,
				    0), KT_BLOCKED);
	ktask_destroy(&kern, b);
	ck_assert_int_eq(kt_notification(a, &name), NOTIFY_RECEIVE_RIGHTS);
	ck_assert_ptr_null(space_lookup(&a->space, p1)->port->pset);
	ck_assert_int_eq(status_set(a, p1), PORT_NULL);
}
END_TEST

START_TEST(test_pset_a_dying_task_frees_its_sets_and_their_waiters)
{
	int32_t s2, note;

	both_in_s();
	ck_assert_int_eq(set_allocate(a, &s2), KERN_SUCCESS);
	ck_assert_int_eq(port_enable(a, a->notify_name), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(b, 0, b1, 1, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(a, 0, s2, UMACH_MSG_BUF, RCV_TIMEOUT, 50),
			 KT_BLOCKED);
	ck_assert_int_eq(kt_receive(a, 1, PORT_ENABLED_NAME, UMACH_MSG_BUF, 0,
				    0), KT_BLOCKED);
	ktask_destroy(&kern, a);
	ck_assert_uint_eq(kern.heap_len, 0);
	ck_assert_int_eq(kt_notification(b, &note), NOTIFY_PORT_DELETED);
	/* kt_teardown checks that nothing is left; ASan that nothing leaked */
}
END_TEST

static TCase *tcase(const char *name, void (*fn)(void))
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, fn, kt_teardown);
	return tc;
}

static Suite *pset_suite(void)
{
	Suite *su = suite_create("pset");
	TCase *tc = tcase("textbook", setup);

	tcase_add_test(tc, test_pset_allocate_gives_a_fresh_name_of_type_set);
	tcase_add_test(tc, test_pset_allocate_without_memory_returns_resource_shortage);
	tcase_add_test(tc, test_pset_allocate_at_the_name_limit_returns_resource_shortage);
	tcase_add_test(tc, test_pset_receive_on_a_set_gets_messages_of_both_members_with_their_names);
	tcase_add_test(tc, test_pset_members_with_mail_are_served_in_turn);
	tcase_add_test(tc, test_pset_a_busy_member_does_not_starve_a_quiet_one);
	tcase_add_test(tc, test_pset_a_receive_blocked_on_a_set_gets_the_next_member_message);
	tcase_add_test(tc, test_pset_receive_on_an_empty_set_is_legal_and_times_out);
	tcase_add_test(tc, test_pset_a_member_added_with_mail_serves_a_blocked_set_receiver);
	tcase_add_test(tc, test_pset_receive_too_large_on_a_set_keeps_the_message_at_the_head);
	tcase_add_test(tc, test_pset_kernel_messages_to_a_member_reach_the_set);
	tcase_add_test(tc, test_pset_receive_directly_on_a_member_returns_invalid_port);
	tcase_add_test(tc, test_pset_a_port_moved_into_a_set_during_a_receive_returns_port_change);
	tcase_add_test(tc, test_pset_a_set_deallocated_during_a_receive_returns_invalid_port);
	tcase_add_test(tc, test_pset_receive_on_a_deallocated_set_returns_invalid_port);
	tcase_add_test(tc, test_pset_deallocate_frees_the_members_with_their_messages);
	tcase_add_test(tc, test_pset_deallocate_of_a_name_that_is_no_set_returns_invalid_argument);
	tcase_add_test(tc, test_pset_add_reports_the_set_in_port_status);
	tcase_add_test(tc, test_pset_add_moves_a_port_and_its_messages_from_its_old_set);
	tcase_add_test(tc, test_pset_add_to_the_set_it_is_in_returns_already_in_set);
	tcase_add_test(tc, test_pset_add_without_a_receive_right_returns_not_receiver);
	tcase_add_test(tc, test_pset_add_with_a_bad_set_or_port_returns_invalid_argument);
	tcase_add_test(tc, test_pset_remove_makes_the_port_receivable_again);
	tcase_add_test(tc, test_pset_remove_of_a_port_in_no_set_returns_not_in_set);
	tcase_add_test(tc, test_pset_remove_errors_for_bad_names_and_send_rights);
	tcase_add_test(tc, test_pset_status_lists_the_members_out_of_line);
	tcase_add_test(tc, test_pset_status_of_a_name_that_is_no_set_returns_invalid_argument);
	tcase_add_test(tc, test_pset_status_without_memory_returns_resource_shortage);
	tcase_add_test(tc, test_pset_port_enabled_receives_from_enabled_ports_only);
	tcase_add_test(tc, test_pset_a_receive_blocked_on_port_enabled_gets_an_enabled_message);
	tcase_add_test(tc, test_pset_port_disable_takes_a_port_out_of_the_default_set);
	tcase_add_test(tc, test_pset_port_enable_moves_a_port_out_of_its_set);
	tcase_add_test(tc, test_pset_port_enable_errors);
	tcase_add_test(tc, test_pset_port_disable_errors);
	tcase_add_test(tc, test_pset_a_set_name_is_no_port_for_the_port_calls);
	tcase_add_test(tc, test_pset_a_port_item_naming_a_set_returns_invalid_port);
	tcase_add_test(tc, test_pset_rename_moves_a_set_name_and_keeps_names_unique);
	tcase_add_test(tc, test_pset_set_calls_with_the_wrong_arguments_return_mig_bad_arguments);
	tcase_add_test(tc, test_pset_msg_rpc_with_port_default_receives_from_the_default_set);
	tcase_add_test(tc, test_pset_an_interrupted_set_receive_returns_interrupted);
	tcase_add_test(tc, test_pset_a_dying_port_leaves_its_set);
	tcase_add_test(tc, test_pset_a_receive_right_that_reverts_to_the_owner_arrives_restricted);
	tcase_add_test(tc, test_pset_a_receiver_task_death_takes_the_port_out_of_its_set);
	tcase_add_test(tc, test_pset_a_set_receiver_outlives_its_last_member);
	tcase_add_test(tc, test_pset_a_dying_task_frees_its_sets_and_their_waiters);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	SRunner *sr = srunner_create(pset_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
