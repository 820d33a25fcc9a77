/*
 * Right transfer between real tasks (reference 1.10, 1.11): a receive
 * right given to another task comes back to its owner when that task
 * dies, and the senders hear of the port's death when the owner lets it
 * go; port_set_backup through libumach; and the NeXT profile, which has
 * no ownership rights.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <check.h>
#include <servers/netname.h>
#include "harness.h"

static void setup(void) { harness_start("textbook"); }
static void setup_next(void) { harness_start("next"); }
static void teardown(void) { harness_stop(); }

/* A message carrying one port right. */
struct port_msg {
	msg_header_t h;
	msg_type_t   t;
	port_t       p;
};

static void port_msg_init(struct port_msg *m, port_t dest, unsigned int type,
			  port_t p)
{
	memset(m, 0, sizeof *m);
	m->h.msg_simple = FALSE;
	m->h.msg_size = sizeof *m;
	m->h.msg_type = MSG_TYPE_NORMAL;
	m->h.msg_remote_port = dest;
	m->h.msg_id = 42;
	m->t.msg_type_name = type;
	m->t.msg_type_size = 32;
	m->t.msg_type_number = 1;
	m->t.msg_type_inline = TRUE;
	m->p = p;
}

/* Receive one notification on task_notify(); returns its id. */
static int notification(port_t *out_name, int timeout_ms)
{
	notification_t n;

	memset(&n, 0, sizeof n);
	n.notify_header.msg_size = sizeof n;
	n.notify_header.msg_local_port = task_notify();
	if (msg_receive(&n.notify_header, RCV_TIMEOUT, timeout_ms) !=
	    RCV_SUCCESS)
		return -1;
	*out_name = n.notify_port;
	return n.notify_header.msg_id;
}

/* C: a sender of "shared"; says it is ready, then waits for its death. */
static int sender(void *arg)
{
	port_t p = harness_lookup("shared"), name;
	struct msg64 m;

	(void)arg;
	if (p == PORT_NULL)
		return 10;
	msg64_init(&m, p, PORT_NULL, 1);
	if (msg_send(&m.h, MSG_OPTION_NONE, 0) != SEND_SUCCESS)
		return 11;
	if (notification(&name, 10000) != NOTIFY_PORT_DELETED)
		return 12;
	return name == p ? 0 : 13;
}

/* B: takes one receive right on "b-inbox", checks it and exits. */
static int taker(void *arg)
{
	port_t inbox, type;
	struct port_msg m;

	(void)arg;
	if (port_allocate(task_self(), &inbox) != KERN_SUCCESS ||
	    netname_check_in(name_server_port, "b-inbox", PORT_NULL,
			     inbox) != 0)
		return 10;
	memset(&m, 0, sizeof m);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = inbox;
	if (msg_receive(&m.h, RCV_TIMEOUT, 10000) != RCV_SUCCESS)
		return 11;
	if (m.h.msg_simple || m.t.msg_type_name != MSG_TYPE_PORT_RECEIVE ||
	    port_type(task_self(), m.p, &type) != KERN_SUCCESS ||
	    type != PORT_TYPE_RECEIVE)
		return 12;
	/* the message C queued came with the right */
	struct msg64 q;
	q.h.msg_size = sizeof q;
	q.h.msg_local_port = m.p;
	if (msg_receive(&q.h, RCV_TIMEOUT, 0) != RCV_SUCCESS)
		return 13;
	/* wait for A's word, then die: that gives the right back */
	q.h.msg_size = sizeof q;
	q.h.msg_local_port = inbox;
	if (msg_receive(&q.h, RCV_TIMEOUT, 10000) != RCV_SUCCESS)
		return 14;
	return 0;
}

START_TEST(test_receive_right_returns_to_the_owner_when_its_receiver_dies)
{
	port_t p, name, b_inbox;
	int type;
	struct port_msg m;

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(netname_check_in(name_server_port, "shared",
					  PORT_NULL, p), 0);
	pid_t c = harness_spawn(sender, NULL);
	/* wait until C's message is queued: C holds its send right */
	int num = 0, backlog, set;
	boolean_t own, rcv;
	for (int i = 0; i < 500 && num == 0; i++) {
		ck_assert_int_eq(port_status(task_self(), p, &set, &num,
					     &backlog, &own, &rcv),
				 KERN_SUCCESS);
		if (num == 0)
			usleep(10000);
	}
	ck_assert_int_eq(num, 1);
	pid_t b = harness_spawn(taker, NULL);
	b_inbox = harness_lookup("b-inbox");
	ck_assert_int_ne(b_inbox, PORT_NULL);
	port_msg_init(&m, b_inbox, MSG_TYPE_PORT_RECEIVE, p);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	ck_assert_int_eq(port_type(task_self(), p, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_OWN);
	struct msg64 go;
	msg64_init(&go, b_inbox, PORT_NULL, 3);
	ck_assert_int_eq(msg_send(&go.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	ck_assert_int_eq(harness_wait(b, 10000), 0);
	/* b-inbox died with B; then the receive right came home */
	int id;
	do {
		id = notification(&name, 5000);
	} while (id == NOTIFY_PORT_DELETED && name == b_inbox);
	ck_assert_int_eq(id, NOTIFY_RECEIVE_RIGHTS);
	ck_assert_int_eq(name, p);
	ck_assert_int_eq(port_type(task_self(), p, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE_OWN);
	ck_assert_int_eq(port_deallocate(task_self(), p), KERN_SUCCESS);
	ck_assert_int_eq(harness_wait(c, 10000), 0);
}
END_TEST

START_TEST(test_port_set_backup_hands_a_dying_port_to_its_backup)
{
	port_t p, bk, prev = 99, type;
	struct port_msg m;

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(port_allocate(task_self(), &bk), KERN_SUCCESS);
	ck_assert_int_eq(port_set_backup(task_self(), p, bk, &prev),
			 KERN_SUCCESS);
	ck_assert_int_eq(prev, PORT_NULL);
	ck_assert_int_eq(port_set_backup(task_self(), p, bk, &prev),
			 KERN_SUCCESS);
	ck_assert_int_eq(prev, bk);
	ck_assert_int_eq(port_set_backup(task_self(), 4242, bk, &prev),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(port_set_backup(task_self(), name_server_port, bk,
					 &prev), KERN_NOT_RECEIVER);
	ck_assert_int_eq(port_deallocate(task_self(), p), KERN_SUCCESS);
	memset(&m, 0, sizeof m);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = bk;
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 2000), RCV_SUCCESS);
	ck_assert_int_eq(m.h.msg_id, NOTIFY_PORT_DESTROYED);
	ck_assert_uint_eq(m.h.msg_size, sizeof(notification_t));
	ck_assert_int_eq(m.h.msg_simple, FALSE);
	ck_assert_int_eq(m.t.msg_type_name, MSG_TYPE_PORT_ALL);
	ck_assert_int_eq(port_type(task_self(), m.p, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE_OWN);
}
END_TEST

START_TEST(test_next_profile_has_no_ownership_rights)
{
	port_t p, q;
	int type, set, num, backlog;
	boolean_t own, rcv;
	struct port_msg m;

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(port_allocate(task_self(), &q), KERN_SUCCESS);
	ck_assert_int_eq(port_type(task_self(), p, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE);
	ck_assert_int_eq(port_status(task_self(), p, &set, &num, &backlog,
				     &own, &rcv), KERN_SUCCESS);
	ck_assert_int_eq(own, FALSE);
	ck_assert_int_eq(rcv, TRUE);
	port_msg_init(&m, q, MSG_TYPE_PORT_OWNERSHIP, p);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_INVALID_PORT);
	/* MSG_TYPE_PORT_RECEIVE moves everything, as MSG_TYPE_PORT_ALL */
	port_msg_init(&m, q, MSG_TYPE_PORT_RECEIVE, p);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	ck_assert_int_eq(port_type(task_self(), p, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_SEND);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = q;
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 2000), RCV_SUCCESS);
	ck_assert_int_eq(m.p, p);		/* same port, same name */
	ck_assert_int_eq(port_type(task_self(), p, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_RECEIVE);
}
END_TEST

/* ---- out-of-line memory (protocol.md §13) ---- */

#define OOL_BYTES (1u << 20)

struct ool_msg {
	msg_header_t    h;
	msg_type_long_t t;
	uint8_t        *data;
};

static void ool_msg_init(struct ool_msg *m, port_t dest, void *data,
			 unsigned int bytes, int dealloc)
{
	memset(m, 0, sizeof *m);
	m->h.msg_simple = FALSE;
	m->h.msg_size = sizeof *m;
	m->h.msg_remote_port = dest;
	m->h.msg_id = 77;
	m->t.msg_type_header.msg_type_longform = TRUE;
	m->t.msg_type_header.msg_type_inline = FALSE;
	m->t.msg_type_header.msg_type_deallocate = dealloc;
	m->t.msg_type_long_name = MSG_TYPE_BYTE;
	m->t.msg_type_long_size = 8;
	m->t.msg_type_long_number = bytes;
	m->data = data;
}

static uint8_t pattern(uint32_t i)
{
	return (uint8_t)(i * 7u + (i >> 12) + 3u);
}

/* Receives "ool-rx": one 1 MiB region, then a "go"; checks every byte. */
static int ool_receiver(void *arg)
{
	port_t p;
	struct ool_msg m;
	struct msg64 go;

	(void)arg;
	if (port_allocate(task_self(), &p) != KERN_SUCCESS ||
	    netname_check_in(name_server_port, "ool-rx", PORT_NULL, p) != 0)
		return 10;
	for (int round = 0; round < 2; round++) {
		memset(&m, 0, sizeof m);
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = p;
		if (msg_receive(&m.h, RCV_TIMEOUT, 10000) != RCV_SUCCESS)
			return 11;
		if (m.h.msg_simple || m.h.msg_size != sizeof m ||
		    m.t.msg_type_long_number != OOL_BYTES ||
		    m.t.msg_type_header.msg_type_inline || m.data == NULL)
			return 12;
		go.h.msg_size = sizeof go;
		go.h.msg_local_port = p;
		/* the sender has written over its buffer before this */
		if (msg_receive(&go.h, RCV_TIMEOUT, 10000) != RCV_SUCCESS)
			return 13;
		for (uint32_t i = 0; i < OOL_BYTES; i++)
			if (m.data[i] != pattern(i))
				return 14;
		m.data[0] ^= 1;		/* fresh memory of its own: writable */
		if (vm_deallocate(task_self(), (vm_address_t)m.data,
				  OOL_BYTES) != KERN_SUCCESS)
			return 15;
	}
	return 0;
}

/* Send buf out of line to rx, scribble over it, then say go. */
static void send_then_scribble(port_t rx, uint8_t *buf, int dealloc)
{
	struct ool_msg m;
	struct msg64 go;

	for (uint32_t i = 0; i < OOL_BYTES; i++)
		buf[i] = pattern(i);
	ool_msg_init(&m, rx, buf, OOL_BYTES, dealloc);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	if (!dealloc)
		memset(buf, 0xee, OOL_BYTES);
	msg64_init(&go, rx, PORT_NULL, 2);
	ck_assert_int_eq(msg_send(&go.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
}

/* This process's /proc/self/maps line for addr, or "" if none. */
static void maps_line(vm_address_t addr, char *out, size_t n)
{
	char line[512], start[32];
	FILE *f = fopen("/proc/self/maps", "r");

	out[0] = '\0';
	snprintf(start, sizeof start, "%lx-", (unsigned long)addr);
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, start, strlen(start)) == 0)
			snprintf(out, n, "%s", line);
	if (f != NULL)
		fclose(f);
}

START_TEST(test_ool_1_mib_arrives_exactly_and_later_writes_stay_home)
{
	vm_address_t a;
	unsigned char vec[4];

	pid_t pid = harness_spawn(ool_receiver, NULL);
	port_t rx = harness_lookup("ool-rx");
	ck_assert_int_ne(rx, PORT_NULL);
	/* vm_allocate'd memory moves without a copy */
	char line[512];
	ck_assert_int_eq(vm_allocate(task_self(), &a, OOL_BYTES, TRUE),
			 KERN_SUCCESS);
	maps_line(a, line, sizeof line);
	ck_assert_ptr_nonnull(strstr(line, "rw-s"));
	ck_assert_ptr_nonnull(strstr(line, "/memfd:umach-vm"));
	send_then_scribble(rx, (uint8_t *)a, 0);
	ck_assert_uint_eq(((uint8_t *)a)[OOL_BYTES - 1], 0xee);
	/* the sent memfd, sealed, is now this task's private copy-on-write
	 * view: the pages moved, nobody copied them */
	maps_line(a, line, sizeof line);
	ck_assert_ptr_nonnull(strstr(line, "rw-p"));
	ck_assert_ptr_nonnull(strstr(line, "/memfd:umach-vm"));
	/* malloc'd memory is copied into a memfd by the library */
	uint8_t *heap = malloc(OOL_BYTES);
	ck_assert_ptr_nonnull(heap);
	send_then_scribble(rx, heap, 0);
	free(heap);
	ck_assert_int_eq(harness_wait(pid, 20000), 0);
	ck_assert_int_eq(vm_deallocate(task_self(), a, OOL_BYTES),
			 KERN_SUCCESS);
	ck_assert_int_eq(mincore((void *)a, 4096, vec), -1);
	ck_assert_int_eq(errno, ENOMEM);
}
END_TEST

START_TEST(test_ool_deallocate_bit_takes_the_senders_region)
{
	vm_address_t a;
	unsigned char vec[4];

	pid_t pid = harness_spawn(ool_receiver, NULL);
	port_t rx = harness_lookup("ool-rx");
	ck_assert_int_ne(rx, PORT_NULL);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(vm_allocate(task_self(), &a, OOL_BYTES, TRUE),
				 KERN_SUCCESS);
		send_then_scribble(rx, (uint8_t *)a, 1);
		ck_assert_int_eq(mincore((void *)a, 4096, vec), -1);
		ck_assert_int_eq(errno, ENOMEM);
	}
	ck_assert_int_eq(harness_wait(pid, 20000), 0);
}
END_TEST

/* A forked child writes all over the region it inherited. */
static int scribbler(void *arg)
{
	memset(arg, 0x55, 4096);
	return ((uint8_t *)arg)[0] == 0x55 ? 0 : 1;
}

START_TEST(test_ool_vm_allocate_memory_is_not_shared_with_a_forked_child)
{
	vm_address_t a;
	char line[512];

	ck_assert_int_eq(vm_allocate(task_self(), &a, 4096, TRUE),
			 KERN_SUCCESS);
	memset((void *)a, 0x11, 4096);
	pid_t pid = harness_spawn(scribbler, (void *)a);
	ck_assert_int_eq(harness_wait(pid, 10000), 0);
	ck_assert_uint_eq(((uint8_t *)a)[0], 0x11);
	ck_assert_uint_eq(((uint8_t *)a)[4095], 0x11);
	maps_line(a, line, sizeof line);
	ck_assert_ptr_null(strstr(line, "rw-s"));
	ck_assert_int_eq(vm_deallocate(task_self(), a, 4096), KERN_SUCCESS);
}
END_TEST

START_TEST(test_ool_unreadable_memory_is_send_invalid_memory)
{
	struct ool_msg m;
	port_t p;

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	void *gone = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	ck_assert_ptr_ne(gone, MAP_FAILED);
	munmap(gone, 4096);
	ool_msg_init(&m, p, gone, 4096, 0);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0),
			 SEND_INVALID_MEMORY);
	/* an empty region needs no memory at all and arrives as NULL */
	ool_msg_init(&m, p, gone, 0, 0);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 2000), RCV_SUCCESS);
	ck_assert_ptr_null(m.data);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rights");
	TCase *tc = tcase_create("textbook");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_receive_right_returns_to_the_owner_when_its_receiver_dies);
	tcase_add_test(tc, test_port_set_backup_hands_a_dying_port_to_its_backup);
	tcase_add_test(tc, test_ool_1_mib_arrives_exactly_and_later_writes_stay_home);
	tcase_add_test(tc, test_ool_deallocate_bit_takes_the_senders_region);
	tcase_add_test(tc, test_ool_unreadable_memory_is_send_invalid_memory);
	tcase_add_test(tc, test_ool_vm_allocate_memory_is_not_shared_with_a_forked_child);
	suite_add_tcase(s, tc);
	tc = tcase_create("next");
	tcase_add_checked_fixture(tc, setup_next, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_next_profile_has_no_ownership_rights);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(suite());
}
