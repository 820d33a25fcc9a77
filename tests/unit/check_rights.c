/*
 * Right transfer in messages (reference 1.10): one test per row of the
 * transfer table, all-or-nothing copy-in, rights in transit whose partner
 * right dies, kmsgs destroyed with rights inside, the reversion chains of
 * 1.11, backup ports and NOTIFY_PORT_DESTROYED, the exact format of every
 * notification (1.12), where the NeXT profile differs (1.14), and
 * out-of-line memory a task sends as memfds (docs/protocol.md §13), with
 * the kernel's copy counters.
 */
#include <check.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <dirent.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mach/notify.h>
#include "kt.h"

#define ITEM_NAME_OFF (sizeof(msg_header_t) + sizeof(msg_type_t))

static struct ktask *a, *b, *c;
static int32_t inbox;		/* b's port; a and c hold send rights */
static int32_t a_inbox, c_inbox;

static void common(void)
{
	a = kt_task("a");
	b = kt_task("b");
	c = kt_task("c");
	kt_reply_port(a);
	kt_reply_port(b);
	kt_reply_port(c);
	ck_assert_int_eq(kt_port_allocate(b, &inbox), KERN_SUCCESS);
	a_inbox = kt_give_send(b, inbox, a);
	c_inbox = kt_give_send(b, inbox, c);
}

static void setup(void)
{
	kt_setup();
	common();
}

static void setup_next(void)
{
	kt_setup_next();
	common();
}

/* Send one item of type type_name naming `name` from t to dest. */
static int xfer(struct ktask *t, int32_t dest, uint32_t type_name,
		int32_t name, uint32_t flags)
{
	struct kt_msg m;

	kt_msg_init(&m, dest, PORT_NULL, 500);
	kt_msg_ports(&m, type_name, &name, 1, flags);
	return kt_send(t, 0, &m, SEND_TIMEOUT, 0);
}

/* b receives one message on its inbox; returns the item's name. */
static int32_t arrive(void)
{
	int32_t name;

	ck_assert_int_eq(kt_receive(b, 0, inbox, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	memcpy(&name, kt_buf(b, 0) + ITEM_NAME_OFF, 4);
	return name;
}

/* t's PORT_TYPE_* for name, or -1 if t has no such name. */
static int32_t type_of(struct ktask *t, int32_t name)
{
	int32_t type;

	if (kt_port_type(t, name, &type) != KERN_SUCCESS)
		return -1;
	return type;
}

static struct port *port_of(struct ktask *t, int32_t name)
{
	struct entry *e = space_lookup(&t->space, name);

	ck_assert_ptr_nonnull(e);
	return e->port;
}

/* Every notification queued for t, in any order: does one match? */
static int has_note(struct ktask *t, int id, int32_t name)
{
	int32_t n;
	int found = 0, got;

	while ((got = kt_notification(t, &n)) != KT_BLOCKED)
		if (got == id && n == name)
			found++;
	return found == 1;
}

/* ---- the transfer table, row by row ---- */

START_TEST(test_rights_port_gives_a_send_right_and_the_sender_keeps_all)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT, p, 0), SEND_SUCCESS);
	int32_t q = arrive();
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(type_of(b, q), PORT_TYPE_SEND);
	ck_assert_ptr_eq(port_of(b, q), port_of(a, p));
	ck_assert_uint_eq(kt_hdr(b, 0)->msg_simple, 0);
}
END_TEST

START_TEST(test_rights_port_with_deallocate_takes_the_senders_send_right)
{
	int32_t p, cp;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	cp = kt_give_send(a, p, c);
	ck_assert_int_eq(xfer(c, c_inbox, MSG_TYPE_PORT, cp, KT_DEALLOC),
			 SEND_SUCCESS);
	ck_assert_int_eq(type_of(c, cp), -1);
	int32_t q = arrive();
	ck_assert_int_eq(type_of(b, q), PORT_TYPE_SEND);
	ck_assert_ptr_eq(port_of(b, q), port_of(a, p));
}
END_TEST

START_TEST(test_rights_port_with_deallocate_is_refused_for_a_receiver)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT, p, KT_DEALLOC),
			 SEND_INVALID_PORT);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE_OWN);
	ck_assert_uint_eq(kt_queued(b, inbox), 0);
}
END_TEST

START_TEST(test_rights_receive_from_receive_own_leaves_ownership)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	struct port *pp = port_of(a, p);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_RECEIVE, p, 0),
			 SEND_SUCCESS);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_OWN);
	ck_assert_ptr_null(pp->receiver);
	ck_assert_uint_eq(pp->transit, RIGHT_RECEIVE);
	int32_t q = arrive();
	ck_assert_int_eq(type_of(b, q), PORT_TYPE_RECEIVE);
	ck_assert_ptr_eq(pp->receiver, &b->space);
	ck_assert_ptr_eq(pp->owner, &a->space);
	ck_assert_uint_eq(pp->transit, 0);
}
END_TEST

START_TEST(test_rights_receive_from_receive_only_leaves_a_send_right)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_OWNERSHIP, p, 0),
			 SEND_SUCCESS);
	int32_t q = arrive();			/* b owns, a receives */
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_RECEIVE, p, 0),
			 SEND_SUCCESS);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_SEND);
	ck_assert_int_eq(arrive(), q);		/* same port, same name */
	ck_assert_int_eq(type_of(b, q), PORT_TYPE_RECEIVE_OWN);
}
END_TEST

START_TEST(test_rights_receive_without_the_receive_right_is_invalid_port)
{
	int32_t p, cp;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	cp = kt_give_send(a, p, c);
	ck_assert_int_eq(xfer(c, c_inbox, MSG_TYPE_PORT_RECEIVE, cp, 0),
			 SEND_INVALID_PORT);
	ck_assert_int_eq(xfer(c, c_inbox, MSG_TYPE_PORT_RECEIVE, 4242, 0),
			 SEND_INVALID_PORT);
	ck_assert_int_eq(type_of(c, cp), PORT_TYPE_SEND);
	ck_assert_uint_eq(kt_queued(b, inbox), 0);
}
END_TEST

START_TEST(test_rights_ownership_from_receive_own_leaves_the_receive_right)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_OWNERSHIP, p, 0),
			 SEND_SUCCESS);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE);
	int32_t q = arrive();
	ck_assert_int_eq(type_of(b, q), PORT_TYPE_OWN);
	ck_assert_ptr_eq(port_of(a, p)->owner, &b->space);
}
END_TEST

START_TEST(test_rights_ownership_from_own_only_leaves_a_send_right)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_RECEIVE, p, 0),
			 SEND_SUCCESS);
	int32_t q = arrive();
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_OWNERSHIP, p, 0),
			 SEND_SUCCESS);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_SEND);
	ck_assert_int_eq(arrive(), q);
	ck_assert_int_eq(type_of(b, q), PORT_TYPE_RECEIVE_OWN);
}
END_TEST

START_TEST(test_rights_ownership_without_ownership_is_invalid_port)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_OWNERSHIP, p, 0),
			 SEND_SUCCESS);
	(void)arrive();
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_OWNERSHIP, p, 0),
			 SEND_INVALID_PORT);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(test_rights_all_moves_both_and_leaves_a_send_right)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_ALL, p, 0),
			 SEND_SUCCESS);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_SEND);
	int32_t q = arrive();
	ck_assert_int_eq(type_of(b, q), PORT_TYPE_RECEIVE_OWN);
	/* the new receiver can receive on it, the old one can only send */
	ck_assert_int_eq(kt_send_int(a, 1, p, 5, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(a, 2, p, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_INVALID_PORT);
	ck_assert_int_eq(kt_receive(b, 2, q, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(b, 2), 5);
}
END_TEST

START_TEST(test_rights_all_with_deallocate_leaves_the_sender_nothing)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_ALL, p, KT_DEALLOC),
			 SEND_SUCCESS);
	ck_assert_int_eq(type_of(a, p), -1);
	ck_assert_int_eq(type_of(b, arrive()), PORT_TYPE_RECEIVE_OWN);
}
END_TEST

START_TEST(test_rights_all_needs_both_rights)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_OWNERSHIP, p, 0),
			 SEND_SUCCESS);
	(void)arrive();
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_ALL, p, 0),
			 SEND_INVALID_PORT);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE);
}
END_TEST

START_TEST(test_rights_receive_with_deallocate_is_refused_if_ownership_stays)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_RECEIVE, p, KT_DEALLOC),
			 SEND_INVALID_PORT);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE_OWN);
}
END_TEST

START_TEST(test_rights_header_local_port_gives_a_send_right_as_remote_port)
{
	int32_t p;
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	kt_msg_init(&m, a_inbox, p, 7);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(b, 0, inbox, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	msg_header_t *h = kt_hdr(b, 0);
	ck_assert_int_eq(h->msg_local_port, inbox);
	ck_assert_int_eq(type_of(b, h->msg_remote_port), PORT_TYPE_SEND);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(type_of(a, a_inbox), PORT_TYPE_SEND);
}
END_TEST

START_TEST(test_rights_a_message_may_deallocate_its_own_destination_right)
{
	ck_assert_int_eq(xfer(c, c_inbox, MSG_TYPE_PORT, c_inbox, KT_DEALLOC),
			 SEND_SUCCESS);
	ck_assert_int_eq(type_of(c, c_inbox), -1);
	ck_assert_int_eq(arrive(), inbox);	/* b's own name for it */
	ck_assert_int_eq(kt_send_int(c, 1, c_inbox, 1, 0, 0),
			 SEND_INVALID_PORT);
}
END_TEST

/* ---- all or nothing ---- */

START_TEST(test_rights_one_bad_item_moves_no_right)
{
	int32_t p, q, bad = 999;
	struct kt_msg m;
	uint64_t nkmsgs = kern.nkmsgs;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_allocate(a, &q), KERN_SUCCESS);
	int32_t cq = kt_give_send(a, q, c);
	kt_msg_init(&m, a_inbox, PORT_NULL, 1);
	kt_msg_ports(&m, MSG_TYPE_PORT_ALL, &p, 1, 0);
	kt_msg_ports(&m, MSG_TYPE_PORT, &q, 1, 0);
	kt_msg_ports(&m, MSG_TYPE_PORT_RECEIVE, &bad, 1, 0);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_PORT);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE_OWN);
	ck_assert_uint_eq(port_of(a, p)->transit, 0);
	ck_assert_uint_eq(kern.nkmsgs, nkmsgs);
	ck_assert_uint_eq(kt_queued(b, inbox), 0);
	/* a deallocate item before the bad one is not done either */
	kt_msg_init(&m, c_inbox, PORT_NULL, 1);
	kt_msg_ports(&m, MSG_TYPE_PORT, &cq, 1, KT_DEALLOC);
	kt_msg_ports(&m, MSG_TYPE_PORT_OWNERSHIP, &cq, 1, 0);
	ck_assert_int_eq(kt_send(c, 0, &m, 0, 0), SEND_INVALID_PORT);
	ck_assert_int_eq(type_of(c, cq), PORT_TYPE_SEND);
}
END_TEST

START_TEST(test_rights_the_same_receive_right_twice_is_invalid_port)
{
	int32_t p2[2];
	struct kt_msg m;

	ck_assert_int_eq(kt_port_allocate(a, &p2[0]), KERN_SUCCESS);
	p2[1] = p2[0];
	kt_msg_init(&m, a_inbox, PORT_NULL, 1);
	kt_msg_ports(&m, MSG_TYPE_PORT_RECEIVE, p2, 2, 0);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_PORT);
	ck_assert_int_eq(type_of(a, p2[0]), PORT_TYPE_RECEIVE_OWN);
	/* receive in one item and ownership in another is both rights */
	kt_msg_init(&m, a_inbox, PORT_NULL, 1);
	kt_msg_ports(&m, MSG_TYPE_PORT_RECEIVE, p2, 1, 0);
	kt_msg_ports(&m, MSG_TYPE_PORT_OWNERSHIP, p2, 1, 0);
	kt_msg_ports(&m, MSG_TYPE_PORT, p2, 1, 0);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(type_of(a, p2[0]), PORT_TYPE_SEND);
	int32_t q = arrive();
	ck_assert_int_eq(type_of(b, q), PORT_TYPE_RECEIVE_OWN);
}
END_TEST

START_TEST(test_rights_a_receive_right_cannot_travel_to_its_own_queue)
{
	int32_t p, q;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, p, MSG_TYPE_PORT_RECEIVE, p, 0),
			 SEND_INVALID_PORT);
	ck_assert_int_eq(xfer(a, p, MSG_TYPE_PORT_ALL, p, 0),
			 SEND_INVALID_PORT);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE_OWN);
	/* nor around a loop: q's receive right waits on p, p's goes to q */
	ck_assert_int_eq(kt_port_allocate(a, &q), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, p, MSG_TYPE_PORT_RECEIVE, q, 0), SEND_SUCCESS);
	ck_assert_int_eq(xfer(a, q, MSG_TYPE_PORT_RECEIVE, p, 0),
			 SEND_INVALID_PORT);
	/* ownership may travel to its own queue: it can still be received */
	ck_assert_int_eq(xfer(a, p, MSG_TYPE_PORT_OWNERSHIP, p, 0),
			 SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(a, 1, p, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	ck_assert_int_eq(kt_receive(a, 1, p, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(type_of(a, q), PORT_TYPE_RECEIVE_OWN);
}
END_TEST

/* Found by fuzz_syscall: ownership queued on its own port, then the
 * receiver dies.  The receive right would wait for an ownership that
 * nobody can ever receive; the port dies with its queue instead. */
START_TEST(test_rights_ownership_queued_on_its_own_port_dies_with_the_receiver)
{
	int32_t p, name;
	uint64_t ports = kern.nports;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	name = kt_give_send(a, p, c);
	ck_assert_int_eq(xfer(a, p, MSG_TYPE_PORT_OWNERSHIP, p, 0), SEND_SUCCESS);
	ktask_destroy(&kern, a);
	a = NULL;
	ck_assert(has_note(c, NOTIFY_PORT_DELETED, name));
	/* p, and a's kernel, notify and reply ports: all gone */
	ck_assert_uint_eq(kern.nports, ports - 3);
}
END_TEST

START_TEST(test_rights_a_port_item_of_size_16_is_invalid_port)
{
	struct kt_msg m;
	uint32_t d = kt_desc(MSG_TYPE_PORT_ALL, 16, 1, KT_INLINE);
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	kt_msg_init(&m, a_inbox, PORT_NULL, 1);
	kt_msg_hdr(&m)->msg_simple = 0;
	kt_msg_raw(&m, &d, 4);
	m.len += 4;
	kt_msg_raw(&m, &p, 4);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_PORT);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE_OWN);
}
END_TEST

START_TEST(test_rights_a_simple_message_moves_nothing)
{
	struct kt_msg m;
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	kt_msg_init(&m, a_inbox, PORT_NULL, 1);
	kt_msg_ports(&m, MSG_TYPE_PORT_ALL, &p, 1, 0);
	kt_msg_hdr(&m)->msg_simple = 1;		/* "don't look inside" */
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(arrive(), p);		/* a plain int */
}
END_TEST

/* ---- in transit ---- */

START_TEST(test_rights_queued_messages_travel_with_the_receive_right)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	int32_t cp = kt_give_send(a, p, c);
	ck_assert_int_eq(kt_send_int(c, 1, cp, 1, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_send_int(c, 1, cp, 2, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_ALL, p, 0),
			 SEND_SUCCESS);
	/* sent while the right travels: queued all the same */
	ck_assert_int_eq(kt_send_int(c, 1, cp, 3, 0, 0), SEND_SUCCESS);
	int32_t q = arrive();
	for (int32_t v = 1; v <= 3; v++) {
		ck_assert_int_eq(kt_receive(b, 1, q, UMACH_MSG_BUF,
					    RCV_TIMEOUT, 0), RCV_SUCCESS);
		ck_assert_int_eq(kt_rcv_int(b, 1), v);
	}
}
END_TEST

START_TEST(test_rights_a_receive_blocked_on_a_right_sent_away_fails)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_receive(a, 3, p, UMACH_MSG_BUF, 0, 0), KT_BLOCKED);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_RECEIVE, p, 0),
			 SEND_SUCCESS);
	ck_assert(kt_done(a, 3));
	ck_assert_int_eq(kt_status(a, 3), RCV_INVALID_PORT);
}
END_TEST

START_TEST(test_rights_owner_gone_while_receive_travels_gives_both_on_arrival)
{
	int32_t p, name;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	struct port *pp = port_of(a, p);
	int32_t cp = kt_give_send(a, p, c);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_RECEIVE, p, 0),
			 SEND_SUCCESS);
	ck_assert_int_eq(kt_port_deallocate(a, p), KERN_SUCCESS);
	ck_assert(!pp->dead);
	ck_assert_uint_eq(pp->orphan, RIGHT_OWN);
	ck_assert_int_eq(kt_notification(c, &name), KT_BLOCKED);
	int32_t q = arrive();
	ck_assert_int_eq(type_of(b, q), PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(kt_notification(b, &name), NOTIFY_OWNERSHIP_RIGHTS);
	ck_assert_int_eq(name, q);
	ck_assert_uint_eq(pp->orphan, 0);
	(void)cp;
}
END_TEST

START_TEST(test_rights_receiver_dies_while_ownership_travels_gives_both)
{
	int32_t p, name;

	ck_assert_int_eq(kt_port_allocate(c, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(c, 1, p, 77, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(xfer(c, c_inbox, MSG_TYPE_PORT_OWNERSHIP, p, 0),
			 SEND_SUCCESS);
	ktask_destroy(&kern, c);
	int32_t q = arrive();
	ck_assert_int_eq(type_of(b, q), PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(kt_notification(b, &name), NOTIFY_RECEIVE_RIGHTS);
	ck_assert_int_eq(name, q);
	ck_assert_int_eq(kt_receive(b, 1, q, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(b, 1), 77);
}
END_TEST

START_TEST(test_rights_a_destroyed_message_returns_its_receive_right_to_the_owner)
{
	int32_t p, name;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(a, 1, p, 8, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_RECEIVE, p, 0),
			 SEND_SUCCESS);
	/* b gives up its inbox: the queued message is destroyed */
	ck_assert_int_eq(kt_port_deallocate(b, inbox), KERN_SUCCESS);
	ck_assert_int_eq(kt_notification(a, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, a_inbox);
	ck_assert_int_eq(kt_notification(a, &name), NOTIFY_RECEIVE_RIGHTS);
	ck_assert_int_eq(name, p);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(kt_receive(a, 1, p, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(a, 1), 8);
}
END_TEST

START_TEST(test_rights_a_destroyed_message_with_both_rights_kills_the_port)
{
	int32_t p, name;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	int32_t cp = kt_give_send(a, p, c);
	uint64_t nports = kern.nports;
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_ALL, p, KT_DEALLOC),
			 SEND_SUCCESS);
	ck_assert_int_eq(kt_port_deallocate(b, inbox), KERN_SUCCESS);
	ck_assert_int_eq(kt_notification(c, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(kt_notification(c, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, cp);
	ck_assert_int_eq(type_of(c, cp), -1);
	ck_assert_uint_eq(kern.nports, nports - 2);
}
END_TEST

START_TEST(test_rights_a_send_that_times_out_releases_its_rights)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_set_backlog(b, inbox, 1), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(c, 1, c_inbox, 1, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_RECEIVE, p, 0),
			 SEND_TIMED_OUT);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE_OWN);
	ck_assert_ptr_eq(port_of(a, p)->receiver, &a->space);
	/* the receive right went out and came back: its owner is told */
	int32_t name;
	ck_assert_int_eq(kt_notification(a, &name), NOTIFY_RECEIVE_RIGHTS);
	ck_assert_int_eq(name, p);
}
END_TEST

START_TEST(test_rights_a_blocked_send_that_expires_returns_the_right)
{
	int32_t p, name;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_set_backlog(b, inbox, 1), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(c, 1, c_inbox, 1, 0, 0), SEND_SUCCESS);
	struct kt_msg m;
	kt_msg_init(&m, a_inbox, PORT_NULL, 500);
	kt_msg_ports(&m, MSG_TYPE_PORT_RECEIVE, &p, 1, 0);
	ck_assert_int_eq(kt_send(a, 0, &m, SEND_TIMEOUT, 50), KT_BLOCKED);
	ck_assert_uint_eq(port_of(a, p)->transit, RIGHT_RECEIVE);
	kt_expire_all();
	ck_assert_int_eq(kt_status(a, 0), SEND_TIMED_OUT);
	ck_assert_int_eq(kt_notification(a, &name), NOTIFY_RECEIVE_RIGHTS);
	ck_assert_int_eq(name, p);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE_OWN);
}
END_TEST

START_TEST(test_rights_a_blocked_sender_that_dies_loses_what_it_carried)
{
	int32_t p, name;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	int32_t cp = kt_give_send(a, p, c);
	ck_assert_int_eq(kt_port_set_backlog(b, inbox, 1), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(c, 1, c_inbox, 1, 0, 0), SEND_SUCCESS);
	struct kt_msg m;
	kt_msg_init(&m, a_inbox, PORT_NULL, 500);
	kt_msg_ports(&m, MSG_TYPE_PORT_ALL, &p, 1, 0);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), KT_BLOCKED);
	ktask_destroy(&kern, a);
	ck_assert_int_eq(kt_notification(c, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, cp);
	ck_assert_uint_eq(kt_queued(b, inbox), 1);
}
END_TEST

START_TEST(test_rights_rcv_too_large_keeps_the_message_and_its_rights)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_ALL, p, 0),
			 SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(b, 0, inbox, 24, RCV_TIMEOUT, 0),
			 RCV_TOO_LARGE);
	ck_assert_uint_eq(port_of(a, p)->transit, RIGHT_RECEIVE | RIGHT_OWN);
	ck_assert_int_eq(type_of(b, arrive()), PORT_TYPE_RECEIVE_OWN);
}
END_TEST

START_TEST(test_rights_no_memory_at_receive_keeps_the_rights_in_transit)
{
	int32_t p;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_ALL, p, 0),
			 SEND_SUCCESS);
	umach__fail_after(0);
	ck_assert_int_eq(kt_receive(b, 0, inbox, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_NOT_ENOUGH_MEMORY);
	umach__fail_after(-1);
	ck_assert_uint_eq(kt_queued(b, inbox), 1);
	ck_assert_int_eq(type_of(b, arrive()), PORT_TYPE_RECEIVE_OWN);
}
END_TEST

START_TEST(test_rights_kernel_teardown_with_rights_in_transit_leaks_nothing)
{
	int32_t p, q;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_allocate(a, &q), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_ALL, p, KT_DEALLOC),
			 SEND_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_RECEIVE, q, 0),
			 SEND_SUCCESS);
	/* kt_teardown checks that no port and no kmsg is left */
}
END_TEST

/* ---- reversion chains (reference 1.11) ---- */

START_TEST(test_rights_chain_receive_given_receiver_dies_owner_deallocates)
{
	int32_t p, name;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	int32_t cp = kt_give_send(a, p, c);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_RECEIVE, p, 0),
			 SEND_SUCCESS);
	(void)arrive();
	ktask_destroy(&kern, b);
	/* b's inbox died too; the order of the two depends on b's table */
	ck_assert_int_eq(a->notify->count, 2);
	ck_assert(has_note(a, NOTIFY_RECEIVE_RIGHTS, p));
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(kt_port_deallocate(a, p), KERN_SUCCESS);
	ck_assert_int_eq(kt_notification(c, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, c_inbox);
	ck_assert_int_eq(kt_notification(c, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, cp);
	ck_assert_int_eq(kt_notification(c, &name), KT_BLOCKED);
}
END_TEST

START_TEST(test_rights_chain_ownership_given_receiver_dies_then_owner_dies)
{
	int32_t p, name;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	int32_t cp = kt_give_send(a, p, c);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_OWNERSHIP, p, 0),
			 SEND_SUCCESS);
	int32_t q = arrive();
	ktask_destroy(&kern, a);
	ck_assert_int_eq(kt_notification(b, &name), NOTIFY_RECEIVE_RIGHTS);
	ck_assert_int_eq(name, q);
	ck_assert_int_eq(type_of(b, q), PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(kt_notification(c, &name), KT_BLOCKED);
	ktask_destroy(&kern, b);
	ck_assert_int_eq(c->notify->count, 2);
	ck_assert(has_note(c, NOTIFY_PORT_DELETED, cp));
	ck_assert_int_eq(type_of(c, cp), -1);
}
END_TEST

START_TEST(test_rights_chain_receive_given_owner_dies_then_receiver_deallocates)
{
	int32_t p, name;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	int32_t cp = kt_give_send(a, p, c);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_RECEIVE, p, 0),
			 SEND_SUCCESS);
	int32_t q = arrive();
	ktask_destroy(&kern, a);
	ck_assert_int_eq(kt_notification(b, &name), NOTIFY_OWNERSHIP_RIGHTS);
	ck_assert_int_eq(name, q);
	ck_assert_int_eq(kt_port_deallocate(b, q), KERN_SUCCESS);
	ck_assert_int_eq(kt_notification(c, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, cp);
}
END_TEST

/* ---- backup ports ---- */

/* port_set_backup as a MIG request: (PORT_NAME primary, PORT backup). */
static int set_backup(struct ktask *t, int32_t primary, int32_t backup,
		      int32_t *out_previous)
{
	struct kt_msg m;
	uint32_t d1 = kt_desc(MSG_TYPE_PORT_NAME, 32, 1, KT_INLINE);
	const uint32_t arg = sizeof(msg_type_t) + 8;
	int32_t ret;

	kt_msg_init(&m, t->self_name, kt_reply_port(t), 2098);
	kt_msg_raw(&m, &d1, 4);
	m.len += 4;
	kt_msg_raw(&m, &primary, 4);
	m.len += 4;
	kt_msg_ports(&m, MSG_TYPE_PORT, &backup, 1, 0);
	m.len += 4;
	ck_assert_int_eq(kt_rpc(t, KT_MIG_SLOT, &m, RCV_TIMEOUT, UMACH_MSG_BUF,
				0), RPC_SUCCESS);
	msg_header_t *h = kt_hdr(t, KT_MIG_SLOT);
	const uint8_t *body = kt_buf(t, KT_MIG_SLOT) + sizeof(msg_header_t);
	ck_assert_int_eq(h->msg_id, 2198);
	memcpy(&ret, body + sizeof(msg_type_t), 4);
	if (ret != KERN_SUCCESS) {
		ck_assert_uint_eq(h->msg_size, sizeof(msg_header_t) + arg);
		return ret;
	}
	uint32_t w;
	ck_assert_uint_eq(h->msg_size, sizeof(msg_header_t) + 2 * arg);
	ck_assert_uint_eq(h->msg_simple, 0);
	memcpy(&w, body + arg, 4);
	ck_assert_uint_eq(w, kt_desc(MSG_TYPE_PORT, 32, 1, KT_INLINE));
	memcpy(out_previous, body + arg + sizeof(msg_type_t), 4);
	return ret;
}

START_TEST(test_rights_backup_receives_the_port_in_notify_port_destroyed)
{
	int32_t p, bk, prev, name;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	int32_t cp = kt_give_send(a, p, c);
	ck_assert_int_eq(kt_port_allocate(b, &bk), KERN_SUCCESS);
	int32_t a_bk2 = kt_give_send(b, bk, a);
	ck_assert_int_eq(set_backup(a, p, a_bk2, &prev), KERN_SUCCESS);
	ck_assert_int_eq(prev, PORT_NULL);
	ck_assert_int_eq(kt_send_int(c, 1, cp, 31, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_port_deallocate(a, p), KERN_SUCCESS);
	/* the port lives on: its senders are not told anything */
	ck_assert_int_eq(kt_notification(c, &name), KT_BLOCKED);
	ck_assert_int_eq(kt_receive(b, 2, bk, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	const notification_t *n = (const void *)kt_buf(b, 2);
	uint32_t w;
	memcpy(&w, &n->notify_type, 4);
	ck_assert_int_eq(n->notify_header.msg_id, NOTIFY_PORT_DESTROYED);
	ck_assert_uint_eq(n->notify_header.msg_size, sizeof(notification_t));
	ck_assert_uint_eq(n->notify_header.msg_simple, 0);
	ck_assert_int_eq(n->notify_header.msg_type, MSG_TYPE_EMERGENCY);
	ck_assert_int_eq(n->notify_header.msg_local_port, bk);
	ck_assert_int_eq(n->notify_header.msg_remote_port, PORT_NULL);
	ck_assert_uint_eq(w, kt_desc(MSG_TYPE_PORT_ALL, 32, 1, KT_INLINE));
	int32_t q = n->notify_port;
	ck_assert_int_eq(type_of(b, q), PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(kt_receive(b, 1, q, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	ck_assert_int_eq(kt_rcv_int(b, 1), 31);
	/* the backup is used once: now the port dies */
	ck_assert_int_eq(kt_port_deallocate(b, q), KERN_SUCCESS);
	ck_assert_int_eq(kt_notification(c, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, cp);
}
END_TEST

START_TEST(test_rights_port_set_backup_swaps_and_returns_the_previous_backup)
{
	int32_t p, prev, b1, b2;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_allocate(a, &b1), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_allocate(a, &b2), KERN_SUCCESS);
	ck_assert_int_eq(set_backup(a, p, b1, &prev), KERN_SUCCESS);
	ck_assert_int_eq(prev, PORT_NULL);
	ck_assert_int_eq(set_backup(a, p, b2, &prev), KERN_SUCCESS);
	ck_assert_int_eq(prev, b1);		/* same port, same name */
	ck_assert_int_eq(set_backup(a, p, PORT_NULL, &prev), KERN_SUCCESS);
	ck_assert_int_eq(prev, b2);
	ck_assert_ptr_null(port_of(a, p)->backup);
	/* no backup now: the port dies */
	uint64_t nports = kern.nports;
	ck_assert_int_eq(kt_port_deallocate(a, p), KERN_SUCCESS);
	ck_assert_uint_eq(kern.nports, nports - 1);
}
END_TEST

START_TEST(test_rights_port_set_backup_errors)
{
	int32_t p, prev, bk;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_allocate(a, &bk), KERN_SUCCESS);
	ck_assert_int_eq(set_backup(a, 4242, bk, &prev),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(set_backup(a, a_inbox, bk, &prev), KERN_NOT_RECEIVER);
	ck_assert_int_eq(set_backup(a, p, PORT_NULL, &prev), KERN_SUCCESS);
	/* a backup name the caller does not hold fails the send itself */
	struct kt_msg m;
	int32_t bad = 4243;
	kt_msg_init(&m, a->self_name, kt_reply_port(a), 2098);
	kt_msg_ports(&m, MSG_TYPE_PORT, &bad, 1, 0);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_PORT);
	/* the backup as a plain name (a simple request) is refused */
	struct kt_arg args[] = { { MSG_TYPE_PORT_NAME, p },
				 { MSG_TYPE_PORT, bk } };
	ck_assert_int_eq(kt_mig(a, 2098, args, 2, NULL, 0),
			 MIG_BAD_ARGUMENTS);
	ck_assert_ptr_null(port_of(a, p)->backup);
}
END_TEST

START_TEST(test_rights_a_dead_backup_or_the_port_itself_means_destruction)
{
	int32_t p, q, bk, prev, name;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_allocate(a, &bk), KERN_SUCCESS);
	int32_t cp = kt_give_send(a, p, c);
	ck_assert_int_eq(set_backup(a, p, bk, &prev), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_deallocate(a, bk), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_deallocate(a, p), KERN_SUCCESS);
	ck_assert_int_eq(kt_notification(c, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, cp);
	ck_assert_int_eq(kt_port_allocate(a, &q), KERN_SUCCESS);
	int32_t cq = kt_give_send(a, q, c);
	ck_assert_int_eq(set_backup(a, q, q, &prev), KERN_SUCCESS);
	ck_assert_int_eq(kt_port_deallocate(a, q), KERN_SUCCESS);
	ck_assert_int_eq(kt_notification(c, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, cq);
}
END_TEST

/* ---- notification formats (reference 1.12) ---- */

/* Receive t's next notification and check every field of the simple
 * format; returns its msg_id and *out_name its notify_port. */
static int simple_notification(struct ktask *t, int32_t *out_name)
{
	ck_assert_int_eq(kt_receive(t, 4, t->notify_name, UMACH_MSG_BUF,
				    RCV_TIMEOUT, 0), RCV_SUCCESS);
	const notification_t *n = (const void *)kt_buf(t, 4);
	uint32_t w;
	memcpy(&w, &n->notify_type, 4);
	ck_assert_uint_eq(sizeof(notification_t), 40);	/* LP64 rule B */
	ck_assert_uint_eq(offsetof(notification_t, notify_port), 32);
	ck_assert_uint_eq(n->notify_header.msg_size, sizeof(notification_t));
	ck_assert_uint_eq(n->notify_header.msg_simple, 1);
	ck_assert_int_eq(n->notify_header.msg_type, MSG_TYPE_EMERGENCY);
	ck_assert_int_eq(n->notify_header.msg_local_port, t->notify_name);
	ck_assert_int_eq(n->notify_header.msg_remote_port, PORT_NULL);
	ck_assert_uint_eq(w, kt_desc(MSG_TYPE_PORT_NAME, 32, 1, KT_INLINE));
	ck_assert_uint_eq(w, 0x1001200fu);
	*out_name = n->notify_port;
	return n->notify_header.msg_id;
}

START_TEST(test_rights_every_simple_notification_has_the_reference_format)
{
	int32_t p, q, name;

	ck_assert_int_eq(NOTIFY_PORT_DELETED, 65);
	ck_assert_int_eq(NOTIFY_MSG_ACCEPTED, 66);
	ck_assert_int_eq(NOTIFY_OWNERSHIP_RIGHTS, 67);
	ck_assert_int_eq(NOTIFY_RECEIVE_RIGHTS, 68);
	ck_assert_int_eq(NOTIFY_PORT_DESTROYED, 69);
	/* ownership rights */
	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_RECEIVE, p, 0),
			 SEND_SUCCESS);
	q = arrive();
	ck_assert_int_eq(kt_port_deallocate(a, p), KERN_SUCCESS);
	ck_assert_int_eq(simple_notification(b, &name), NOTIFY_OWNERSHIP_RIGHTS);
	ck_assert_int_eq(name, q);
	/* receive rights */
	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_RECEIVE, p, 0),
			 SEND_SUCCESS);
	q = arrive();
	ck_assert_int_eq(kt_port_deallocate(b, q), KERN_SUCCESS);
	ck_assert_int_eq(simple_notification(a, &name), NOTIFY_RECEIVE_RIGHTS);
	ck_assert_int_eq(name, p);
	/* port deleted */
	int32_t cp = kt_give_send(a, p, c);
	ck_assert_int_eq(kt_port_deallocate(a, p), KERN_SUCCESS);
	ck_assert_int_eq(simple_notification(c, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, cp);
	/* message accepted */
	ck_assert_int_eq(kt_port_set_backlog(b, inbox, 1), KERN_SUCCESS);
	ck_assert_int_eq(kt_send_int(c, 1, c_inbox, 1, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_send_int(c, 1, c_inbox, 2, SEND_NOTIFY, 0),
			 SEND_WILL_NOTIFY);
	ck_assert_int_eq(kt_receive(b, 1, inbox, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	ck_assert_int_eq(kt_receive(b, 1, inbox, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	ck_assert_int_eq(simple_notification(c, &name), NOTIFY_MSG_ACCEPTED);
	ck_assert_int_eq(name, c_inbox);
}
END_TEST

/* ---- profiles ---- */

START_TEST(test_rights_textbook_receive_item_moves_only_the_receive_right)
{
	int32_t p, st[5];

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_RECEIVE, p, 0),
			 SEND_SUCCESS);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_OWN);
	ck_assert_int_eq(kt_port_status(a, p, st), KERN_SUCCESS);
	ck_assert_int_eq(st[3], 1);		/* ownership */
	ck_assert_int_eq(st[4], 0);		/* receive rights */
}
END_TEST

START_TEST(test_rights_next_has_no_ownership_and_receive_moves_everything)
{
	int32_t p, st[5];

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_RECEIVE);
	ck_assert_int_eq(kt_port_status(a, p, st), KERN_SUCCESS);
	ck_assert_int_eq(st[3], 0);
	ck_assert_int_eq(st[4], 1);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_OWNERSHIP, p, 0),
			 SEND_INVALID_PORT);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_RECEIVE, p, 0),
			 SEND_SUCCESS);
	ck_assert_int_eq(type_of(a, p), PORT_TYPE_SEND);
	int32_t q = arrive();
	ck_assert_int_eq(type_of(b, q), PORT_TYPE_RECEIVE);
	ck_assert_ptr_eq(port_of(b, q)->owner, &b->space);
	/* the receiver goes: no reversion, the port dies */
	int32_t name;
	ck_assert_int_eq(kt_port_deallocate(b, q), KERN_SUCCESS);
	ck_assert_int_eq(kt_notification(a, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, p);
}
END_TEST

START_TEST(test_rights_next_rcv_too_large_destroys_the_message_and_its_rights)
{
	int32_t p, name;

	ck_assert_int_eq(kt_port_allocate(a, &p), KERN_SUCCESS);
	ck_assert_int_eq(xfer(a, a_inbox, MSG_TYPE_PORT_ALL, p, 0),
			 SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(b, 0, inbox, 24, RCV_TIMEOUT | RCV_LARGE,
				    0), RCV_TOO_LARGE);
	ck_assert_uint_eq(kt_queued(b, inbox), 1);	/* RCV_LARGE keeps it */
	ck_assert_int_eq(kt_receive(b, 0, inbox, 24, RCV_TIMEOUT, 0),
			 RCV_TOO_LARGE);
	ck_assert_uint_eq(kt_queued(b, inbox), 0);
	ck_assert_int_eq(kt_notification(a, &name), NOTIFY_PORT_DELETED);
	ck_assert_int_eq(name, p);
	ck_assert_int_eq(type_of(a, p), -1);
}
END_TEST

/* ---- out-of-line memory sent by a task (protocol.md §13) ---- */

#define OOL_SIZE (1u << 20)
#define OOL_PTR_OFF 40u		/* header 24, longform descriptor 16 */

static int sock_a[2], sock_b[2];	/* [0]: the kernel's end */

static void setup_ool(void)
{
	setup();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sock_a), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sock_b), 0);
	a->w_sock.fd = sock_a[0];	/* closed with the task */
	b->w_sock.fd = sock_b[0];
}

static void teardown_ool(void)
{
	kt_teardown();
	ck_assert_uint_eq(kern.ool_in_flight, 0);
	close(sock_a[1]);
	close(sock_b[1]);
}

/* A memfd of size bytes holding pattern bytes, with these seals. */
static int ool_memfd(uint32_t size, int seals)
{
	int fd = memfd_create("t", MFD_ALLOW_SEALING);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, size), 0);
	uint8_t *p = mmap(NULL, size, PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	for (uint32_t i = 0; i < size; i++)
		p[i] = (uint8_t)(i * 13u + 1u);
	munmap(p, size);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

#define SEALED (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

/* The task's note for slot 0's next call: n regions, one fd each. */
static void ool_note(uint32_t seq_delta, const uint32_t *off,
		     const uint64_t *size, const int *fds, uint32_t n)
{
	struct umach_ool_note note = { .magic = UMACH_ABI_MAGIC, .slot = 0,
		.seq = atomic_load(&a->chan->slot[0].req_seq) + seq_delta,
		.count = n };
	char cbuf[CMSG_SPACE(sizeof(int) * UMACH_OOL_MAX)];
	struct iovec iov = { .iov_base = &note, .iov_len = sizeof note };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	for (uint32_t i = 0; i < n; i++) {
		note.region[i].offset = off[i];
		note.region[i].size_bytes = size[i];
	}
	if (n > 0) {
		memset(cbuf, 0, sizeof cbuf);	/* the padding, for valgrind */
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	ck_assert_int_eq(sendmsg(sock_a[1], &mh, 0), (ssize_t)sizeof note);
}

/* A message to b's inbox with one out-of-line (BYTE, 8, n) item. */
static void ool_msg(struct kt_msg *m, uint32_t type_name, uint32_t n)
{
	msg_type_long_t d;
	uint64_t ptr = 0x1234000;

	memset(&d, 0, sizeof d);
	d.msg_type_header.msg_type_longform = 1;
	d.msg_type_long_name = (unsigned short)type_name;
	d.msg_type_long_size = type_name == MSG_TYPE_BYTE ? 8 : 32;
	d.msg_type_long_number = n;
	kt_msg_init(m, a_inbox, PORT_NULL, 3);
	kt_msg_hdr(m)->msg_simple = 0;
	kt_msg_raw(m, &d, sizeof d);
	kt_msg_raw(m, &ptr, sizeof ptr);
}

/* Open descriptors of this process (the kernel under test is in it). */
static int nfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* Send one region described by (off, size) with fd: the send's status. */
static int ool_send_one(uint32_t off, uint64_t size, int fd)
{
	struct kt_msg m;

	ool_msg(&m, MSG_TYPE_BYTE, OOL_SIZE);
	ool_note(1, &off, &size, &fd, 1);
	close(fd);
	return kt_send(a, 0, &m, 0, 0);
}

START_TEST(test_ool_a_region_moves_as_a_memfd_and_no_payload_byte_is_copied)
{
	struct umach_counters before = kern.stats;
	int fd = ool_memfd(OOL_SIZE, SEALED);

	ck_assert_int_eq(ool_send_one(OOL_PTR_OFF, OOL_SIZE, fd), SEND_SUCCESS);
	struct kmsg *km = port_of(b, inbox)->qhead;
	ck_assert_ptr_nonnull(km);
	ck_assert_uint_eq(km->nool, 1);
	ck_assert_uint_eq(km->bytes_moved, OOL_SIZE);
	ck_assert_uint_eq(km->bytes_copied, OOL_PTR_OFF + 8);
	ck_assert_uint_eq(kern.ool_in_flight, OOL_SIZE);
	ck_assert_uint_eq(kern.stats.bytes_moved - before.bytes_moved, OOL_SIZE);
	ck_assert_uint_eq(kern.stats.ool_bytes_copied, before.ool_bytes_copied);
	ck_assert_uint_eq(kern.stats.bytes_copied - before.bytes_copied,
			  OOL_PTR_OFF + 8);
	ck_assert_int_eq(a->act[0].in_valid, 0);

	/* b receives: the kernel passes the memfd on, still uncopied */
	ck_assert_int_eq(kt_receive(b, 0, inbox, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	ck_assert_uint_eq(b->chan->slot[0].ool_count, 1);
	ck_assert_uint_eq(kt_hdr(b, 0)->msg_simple, 0);
	uint64_t ptr;
	memcpy(&ptr, kt_buf(b, 0) + OOL_PTR_OFF, 8);
	ck_assert_uint_eq(ptr, 0);		/* the sender's address is gone */
	struct umach_ool_note note;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &note, .iov_len = sizeof note };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	ck_assert_int_eq(recvmsg(sock_b[1], &mh, 0), (ssize_t)sizeof note);
	ck_assert_uint_eq(note.count, 1);
	ck_assert_uint_eq(note.region[0].offset, OOL_PTR_OFF);
	ck_assert_uint_eq(note.region[0].size_bytes, OOL_SIZE);
	int rfd;
	memcpy(&rfd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof rfd);
	const uint8_t *p = mmap(NULL, OOL_SIZE, PROT_READ, MAP_PRIVATE, rfd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	for (uint32_t i = 0; i < OOL_SIZE; i += 4093)
		ck_assert_uint_eq(p[i], (uint8_t)(i * 13u + 1u));
	munmap((void *)p, OOL_SIZE);
	close(rfd);
	ck_assert_uint_eq(kern.ool_in_flight, 0);
	ck_assert_uint_eq(kern.stats.ool_bytes_copied, before.ool_bytes_copied);
	ck_assert_uint_eq(kern.stats.bytes_copied - before.bytes_copied,
			  2 * (OOL_PTR_OFF + 8));
}
END_TEST

START_TEST(test_ool_a_note_that_does_not_match_is_send_invalid_memory)
{
	struct kt_msg m;
	uint32_t off = OOL_PTR_OFF;
	uint64_t size = OOL_SIZE;
	int fd, fds0 = nfds();

	/* no note at all */
	ool_msg(&m, MSG_TYPE_BYTE, OOL_SIZE);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_MEMORY);
	/* a note for another call */
	fd = ool_memfd(OOL_SIZE, SEALED);
	ool_note(2, &off, &size, &fd, 1);
	close(fd);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_MEMORY);
	/* wrong offset, wrong size */
	ck_assert_int_eq(ool_send_one(OOL_PTR_OFF + 8, OOL_SIZE,
				      ool_memfd(OOL_SIZE, SEALED)),
			 SEND_INVALID_MEMORY);
	ck_assert_int_eq(ool_send_one(OOL_PTR_OFF, OOL_SIZE - 1,
				      ool_memfd(OOL_SIZE, SEALED)),
			 SEND_INVALID_MEMORY);
	/* a region count that does not match */
	ool_msg(&m, MSG_TYPE_BYTE, OOL_SIZE);
	ool_note(1, NULL, NULL, NULL, 0);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_MEMORY);
	ck_assert_uint_eq(kt_queued(b, inbox), 0);
	ck_assert_uint_eq(kern.nkmsgs, 0);
	ck_assert_int_eq(nfds(), fds0);		/* every memfd was closed */
}
END_TEST

START_TEST(test_ool_a_writable_small_or_non_memfd_region_is_refused)
{
	int pipefd[2], fds0 = nfds();

	ck_assert_int_eq(ool_send_one(OOL_PTR_OFF, OOL_SIZE,
				      ool_memfd(OOL_SIZE, F_SEAL_SHRINK |
						F_SEAL_GROW)),
			 SEND_INVALID_MEMORY);
	ck_assert_int_eq(ool_send_one(OOL_PTR_OFF, OOL_SIZE,
				      ool_memfd(OOL_SIZE / 2, SEALED)),
			 SEND_INVALID_MEMORY);
	ck_assert_int_eq(pipe(pipefd), 0);
	close(pipefd[1]);
	ck_assert_int_eq(ool_send_one(OOL_PTR_OFF, OOL_SIZE, pipefd[0]),
			 SEND_INVALID_MEMORY);
	int f = open("/proc/self/exe", O_RDONLY);
	ck_assert_int_ge(f, 0);
	ck_assert_int_eq(ool_send_one(OOL_PTR_OFF, 1, f), SEND_INVALID_MEMORY);
	ck_assert_uint_eq(kern.nkmsgs, 0);
	ck_assert_int_eq(nfds(), fds0);
}
END_TEST

START_TEST(test_ool_limits_items_bytes_in_flight_and_port_arrays)
{
	struct kt_msg m;
	msg_type_long_t d;
	uint64_t ptr = 0;

	/* 17 out-of-line items */
	memset(&d, 0, sizeof d);
	d.msg_type_header.msg_type_longform = 1;
	d.msg_type_long_name = MSG_TYPE_BYTE;
	d.msg_type_long_size = 8;
	kt_msg_init(&m, a_inbox, PORT_NULL, 3);
	kt_msg_hdr(&m)->msg_simple = 0;
	for (int i = 0; i < 17; i++) {
		kt_msg_raw(&m, &d, sizeof d);
		kt_msg_raw(&m, &ptr, sizeof ptr);
	}
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_MSG_TOO_LARGE);
	/* 16 empty ones need no note and arrive as NULL */
	m.len -= sizeof d + sizeof ptr;
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_SUCCESS);
	ck_assert_int_eq(kt_receive(b, 0, inbox, UMACH_MSG_BUF, RCV_TIMEOUT, 0),
			 RCV_SUCCESS);
	ck_assert_uint_eq(b->chan->slot[0].ool_count, 0);
	/* one region over 1 GiB */
	ool_msg(&m, MSG_TYPE_BYTE, 0);
	msg_type_long_t *dp = (void *)(kt_msg_hdr(&m) + 1);
	dp->msg_type_long_size = 16;
	dp->msg_type_long_number = (1u << 29) + 1;
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_MSG_TOO_LARGE);
	/* out-of-line port arrays are not supported */
	ool_msg(&m, MSG_TYPE_PORT, 1);
	ck_assert_int_eq(kt_send(a, 0, &m, 0, 0), SEND_INVALID_MEMORY);
	/* the bytes in flight are bounded */
	kern.ool_in_flight = KERN_OOL_BYTES_MAX - OOL_SIZE + 1;
	int r = ool_send_one(OOL_PTR_OFF, OOL_SIZE,
			     ool_memfd(OOL_SIZE, SEALED));
	kern.ool_in_flight = 0;
	ck_assert_int_eq(r, SEND_KERNEL_REFUSED);
	ck_assert_uint_eq(kern.nkmsgs, 0);
}
END_TEST

START_TEST(test_ool_a_destroyed_message_gives_its_bytes_back)
{
	ck_assert_int_eq(ool_send_one(OOL_PTR_OFF, OOL_SIZE,
				      ool_memfd(OOL_SIZE, SEALED)),
			 SEND_SUCCESS);
	ck_assert_uint_eq(kern.ool_in_flight, OOL_SIZE);
	ck_assert_int_eq(kt_port_deallocate(b, inbox), KERN_SUCCESS);
	ck_assert_uint_eq(kern.ool_in_flight, 0);
}
END_TEST

START_TEST(test_ool_garbage_on_the_socket_is_reported)
{
	ck_assert_int_eq(ool_read_notes(&kern, a), 0);
	ck_assert_int_eq(write(sock_a[1], "junk", 4), 4);
	ck_assert_int_eq(ool_read_notes(&kern, a), -1);
}
END_TEST

static TCase *tcase(const char *name, void (*fn)(void))
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, fn, kt_teardown);
	return tc;
}

static Suite *rights_suite(void)
{
	Suite *s = suite_create("rights");
	TCase *tc = tcase("table", setup);

	tcase_add_test(tc, test_rights_port_gives_a_send_right_and_the_sender_keeps_all);
	tcase_add_test(tc, test_rights_port_with_deallocate_takes_the_senders_send_right);
	tcase_add_test(tc, test_rights_port_with_deallocate_is_refused_for_a_receiver);
	tcase_add_test(tc, test_rights_receive_from_receive_own_leaves_ownership);
	tcase_add_test(tc, test_rights_receive_from_receive_only_leaves_a_send_right);
	tcase_add_test(tc, test_rights_receive_without_the_receive_right_is_invalid_port);
	tcase_add_test(tc, test_rights_ownership_from_receive_own_leaves_the_receive_right);
	tcase_add_test(tc, test_rights_ownership_from_own_only_leaves_a_send_right);
	tcase_add_test(tc, test_rights_ownership_without_ownership_is_invalid_port);
	tcase_add_test(tc, test_rights_all_moves_both_and_leaves_a_send_right);
	tcase_add_test(tc, test_rights_all_with_deallocate_leaves_the_sender_nothing);
	tcase_add_test(tc, test_rights_all_needs_both_rights);
	tcase_add_test(tc, test_rights_receive_with_deallocate_is_refused_if_ownership_stays);
	tcase_add_test(tc, test_rights_header_local_port_gives_a_send_right_as_remote_port);
	tcase_add_test(tc, test_rights_a_message_may_deallocate_its_own_destination_right);
	suite_add_tcase(s, tc);

	tc = tcase("copyin", setup);
	tcase_add_test(tc, test_rights_one_bad_item_moves_no_right);
	tcase_add_test(tc, test_rights_the_same_receive_right_twice_is_invalid_port);
	tcase_add_test(tc, test_rights_a_receive_right_cannot_travel_to_its_own_queue);
	tcase_add_test(tc, test_rights_ownership_queued_on_its_own_port_dies_with_the_receiver);
	tcase_add_test(tc, test_rights_a_port_item_of_size_16_is_invalid_port);
	tcase_add_test(tc, test_rights_a_simple_message_moves_nothing);
	suite_add_tcase(s, tc);

	tc = tcase("transit", setup);
	tcase_add_test(tc, test_rights_queued_messages_travel_with_the_receive_right);
	tcase_add_test(tc, test_rights_a_receive_blocked_on_a_right_sent_away_fails);
	tcase_add_test(tc, test_rights_owner_gone_while_receive_travels_gives_both_on_arrival);
	tcase_add_test(tc, test_rights_receiver_dies_while_ownership_travels_gives_both);
	tcase_add_test(tc, test_rights_a_destroyed_message_returns_its_receive_right_to_the_owner);
	tcase_add_test(tc, test_rights_a_destroyed_message_with_both_rights_kills_the_port);
	tcase_add_test(tc, test_rights_a_send_that_times_out_releases_its_rights);
	tcase_add_test(tc, test_rights_a_blocked_send_that_expires_returns_the_right);
	tcase_add_test(tc, test_rights_a_blocked_sender_that_dies_loses_what_it_carried);
	tcase_add_test(tc, test_rights_rcv_too_large_keeps_the_message_and_its_rights);
	tcase_add_test(tc, test_rights_no_memory_at_receive_keeps_the_rights_in_transit);
	tcase_add_test(tc, test_rights_kernel_teardown_with_rights_in_transit_leaks_nothing);
	suite_add_tcase(s, tc);

	tc = tcase("chains", setup);
	tcase_add_test(tc, test_rights_chain_receive_given_receiver_dies_owner_deallocates);
	tcase_add_test(tc, test_rights_chain_ownership_given_receiver_dies_then_owner_dies);
	tcase_add_test(tc, test_rights_chain_receive_given_owner_dies_then_receiver_deallocates);
	suite_add_tcase(s, tc);

	tc = tcase("backup", setup);
	tcase_add_test(tc, test_rights_backup_receives_the_port_in_notify_port_destroyed);
	tcase_add_test(tc, test_rights_port_set_backup_swaps_and_returns_the_previous_backup);
	tcase_add_test(tc, test_rights_port_set_backup_errors);
	tcase_add_test(tc, test_rights_a_dead_backup_or_the_port_itself_means_destruction);
	tcase_add_test(tc, test_rights_every_simple_notification_has_the_reference_format);
	suite_add_tcase(s, tc);

	tc = tcase_create("ool");
	tcase_add_checked_fixture(tc, setup_ool, teardown_ool);
	tcase_add_test(tc, test_ool_a_region_moves_as_a_memfd_and_no_payload_byte_is_copied);
	tcase_add_test(tc, test_ool_a_note_that_does_not_match_is_send_invalid_memory);
	tcase_add_test(tc, test_ool_a_writable_small_or_non_memfd_region_is_refused);
	tcase_add_test(tc, test_ool_limits_items_bytes_in_flight_and_port_arrays);
	tcase_add_test(tc, test_ool_a_destroyed_message_gives_its_bytes_back);
	tcase_add_test(tc, test_ool_garbage_on_the_socket_is_reported);
	suite_add_tcase(s, tc);

	tc = tcase("textbook", setup);
	tcase_add_test(tc, test_rights_textbook_receive_item_moves_only_the_receive_right);
	suite_add_tcase(s, tc);

	tc = tcase("next", setup_next);
	tcase_add_test(tc, test_rights_next_has_no_ownership_and_receive_moves_everything);
	tcase_add_test(tc, test_rights_next_rcv_too_large_destroys_the_message_and_its_rights);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rights_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
