/*
 * Section objects (docs/protocol.md §14) between real tasks: one shared,
 * writable region seen by every mapping in every task, sizes bounded per
 * section and kernel-wide, the section alive while any right to it exists
 * (in a space or in a message) and gone with the last one, and every
 * error the calls document.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <servers/netname.h>
#include <umach/abi.h>
#include <umach/section.h>
#include "harness.h"

#define MIB (1024u * 1024u)

static void setup(void) { harness_start("textbook"); }
static void teardown(void) { harness_stop(); }

/* A message carrying one send right. */
struct port_msg {
	msg_header_t h;
	msg_type_t   t;
	port_t       p;
};

static void port_msg_init(struct port_msg *m, port_t dest, port_t p)
{
	memset(m, 0, sizeof *m);
	m->h.msg_size = sizeof *m;
	m->h.msg_type = MSG_TYPE_NORMAL;
	m->h.msg_remote_port = dest;
	m->h.msg_id = 7;
	m->t.msg_type_name = MSG_TYPE_PORT;
	m->t.msg_type_size = 32;
	m->t.msg_type_number = 1;
	m->t.msg_type_inline = TRUE;
	m->p = p;
}

static int is_shared_mapping(vm_address_t addr)
{
	char line[512], start[32];
	FILE *f = fopen("/proc/self/maps", "r");
	int shared = 0;

	snprintf(start, sizeof start, "%lx-", (unsigned long)addr);
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, start, strlen(start)) == 0)
			shared = strstr(line, "rw-s") != NULL &&
				 strstr(line, "/memfd:umach-section") != NULL;
	if (f != NULL)
		fclose(f);
	return shared;
}

START_TEST(test_two_mappings_share_one_region_rounded_to_pages)
{
	port_t s;
	vm_address_t a, b;
	vm_size_t na, nb;

	ck_assert_int_eq(umach_section_create(task_self(), 5000, &s),
			 KERN_SUCCESS);
	ck_assert_int_eq(umach_section_map(s, &a, &na), KERN_SUCCESS);
	ck_assert_int_eq(umach_section_map(s, &b, &nb), KERN_SUCCESS);
	ck_assert_uint_eq(na, 8192);
	ck_assert_uint_eq(nb, 8192);
	ck_assert_uint_ne(a, b);
	ck_assert(is_shared_mapping(a));
	ck_assert_uint_eq(((uint8_t *)a)[4999], 0);	/* zero-filled */
	memset((void *)a, 0x5a, 8192);
	ck_assert_uint_eq(((uint8_t *)b)[0], 0x5a);
	ck_assert_uint_eq(((uint8_t *)b)[8191], 0x5a);
	((uint8_t *)b)[100] = 1;
	ck_assert_uint_eq(((uint8_t *)a)[100], 1);
	ck_assert_int_eq(vm_deallocate(task_self(), a, na), KERN_SUCCESS);
	ck_assert_int_eq(vm_deallocate(task_self(), b, nb), KERN_SUCCESS);
	ck_assert_int_eq(port_deallocate(task_self(), s), KERN_SUCCESS);
}
END_TEST

static uint8_t pattern(uint32_t i) { return (uint8_t)(i * 7 + 3); }

/* Receive a section right, check the parent's pattern, write its own
 * (inverted) and answer on the message's reply port. */
static int section_peer(void *arg)
{
	struct port_msg m;
	port_t rx;
	vm_address_t a;
	vm_size_t n;

	(void)arg;
	if (port_allocate(task_self(), &rx) != KERN_SUCCESS ||
	    netname_check_in(name_server_port, "sec-rx", PORT_NULL, rx) != 0)
		return 10;
	memset(&m, 0, sizeof m);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = rx;
	if (msg_receive(&m.h, RCV_TIMEOUT, 10000) != RCV_SUCCESS)
		return 11;
	port_t reply = m.h.msg_remote_port;
	if (umach_section_map(m.p, &a, &n) != KERN_SUCCESS || n != MIB)
		return 12;
	for (uint32_t i = 0; i < MIB; i++)
		if (((uint8_t *)a)[i] != pattern(i))
			return 13;
	for (uint32_t i = 0; i < MIB; i++)
		((uint8_t *)a)[i] = (uint8_t)(0xffu - pattern(i));
	struct msg64 done;
	msg64_init(&done, reply, PORT_NULL, 8);
	if (msg_send(&done.h, MSG_OPTION_NONE, 0) != SEND_SUCCESS)
		return 14;
	return 0;
}

START_TEST(test_a_section_sent_to_another_task_is_shared_both_ways)
{
	port_t s, me;
	vm_address_t a;
	vm_size_t n;
	struct port_msg m;
	struct msg64 done;

	pid_t pid = harness_spawn(section_peer, NULL);
	port_t rx = harness_lookup("sec-rx");
	ck_assert_int_ne(rx, PORT_NULL);
	ck_assert_int_eq(umach_section_create(task_self(), MIB, &s),
			 KERN_SUCCESS);
	ck_assert_int_eq(umach_section_map(s, &a, &n), KERN_SUCCESS);
	for (uint32_t i = 0; i < MIB; i++)
		((uint8_t *)a)[i] = pattern(i);
	ck_assert_int_eq(port_allocate(task_self(), &me), KERN_SUCCESS);
	port_msg_init(&m, rx, s);
	m.h.msg_simple = FALSE;
	m.h.msg_local_port = me;
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	memset(&done, 0, sizeof done);
	done.h.msg_size = sizeof done;
	done.h.msg_local_port = me;
	ck_assert_int_eq(msg_receive(&done.h, RCV_TIMEOUT, 10000), RCV_SUCCESS);
	for (uint32_t i = 0; i < MIB; i++) {
		uint8_t want = (uint8_t)(0xffu - pattern(i));
		if (((uint8_t *)a)[i] != want)
			ck_abort_msg("byte %u not written by the peer", i);
	}
	ck_assert_int_eq(harness_wait(pid, 10000), 0);
	ck_assert_int_eq(vm_deallocate(task_self(), a, n), KERN_SUCCESS);
}
END_TEST

START_TEST(test_sizes_are_bounded_per_section_and_in_total)
{
	port_t s[4], t;

	ck_assert_int_eq(umach_section_create(task_self(), 0, &t),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(umach_section_create(task_self(),
			 UMACH_SECTION_MAX_BYTES + 1, &t), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(umach_section_create(task_self(), (vm_size_t)1 << 40,
			 &t), KERN_INVALID_ARGUMENT);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(umach_section_create(task_self(),
				 UMACH_SECTION_MAX_BYTES, &s[i]), KERN_SUCCESS);
	ck_assert_int_eq(umach_section_create(task_self(), 1, &t),
			 KERN_RESOURCE_SHORTAGE);
	/* the section dies with its last right, and its bytes no longer count */
	ck_assert_int_eq(port_deallocate(task_self(), s[0]), KERN_SUCCESS);
	ck_assert_int_eq(umach_section_create(task_self(), 1, &t),
			 KERN_SUCCESS);
	ck_assert_int_eq(umach_section_create(task_self(),
			 UMACH_SECTION_MAX_BYTES, &s[0]), KERN_RESOURCE_SHORTAGE);
}
END_TEST

/* Take the whole kernel-wide budget, then exit. */
static int hog(void *arg)
{
	port_t s;

	(void)arg;
	for (int i = 0; i < 4; i++)
		if (umach_section_create(task_self(), UMACH_SECTION_MAX_BYTES,
					 &s) != KERN_SUCCESS)
			return 10 + i;
	if (umach_section_create(task_self(), 1, &s) != KERN_RESOURCE_SHORTAGE)
		return 20;
	return 0;
}

START_TEST(test_a_dead_tasks_sections_die_with_it)
{
	port_t s;

	ck_assert_int_eq(harness_wait(harness_spawn(hog, NULL), 10000), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(umach_section_create(task_self(),
				 UMACH_SECTION_MAX_BYTES, &s), KERN_SUCCESS);
}
END_TEST

START_TEST(test_a_right_in_a_queued_message_keeps_the_section_alive)
{
	port_t s, p;
	vm_address_t a;
	vm_size_t n;
	struct port_msg m;

	ck_assert_int_eq(umach_section_create(task_self(), 4096, &s),
			 KERN_SUCCESS);
	ck_assert_int_eq(umach_section_map(s, &a, &n), KERN_SUCCESS);
	((uint8_t *)a)[10] = 42;
	ck_assert_int_eq(vm_deallocate(task_self(), a, n), KERN_SUCCESS);
	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	port_msg_init(&m, p, s);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	ck_assert_int_eq(port_deallocate(task_self(), s), KERN_SUCCESS);
	ck_assert_int_eq(umach_section_map(s, &a, &n), SEND_INVALID_PORT);
	memset(&m, 0, sizeof m);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 2000), RCV_SUCCESS);
	ck_assert_int_eq(umach_section_map(m.p, &a, &n), KERN_SUCCESS);
	ck_assert_uint_eq(((uint8_t *)a)[10], 42);
	/* a mapping outlives the section's last right */
	ck_assert_int_eq(port_deallocate(task_self(), m.p), KERN_SUCCESS);
	((uint8_t *)a)[11] = 43;
	ck_assert_uint_eq(((uint8_t *)a)[10] + ((uint8_t *)a)[11], 85);
	ck_assert_int_eq(vm_deallocate(task_self(), a, n), KERN_SUCCESS);
}
END_TEST

START_TEST(test_calls_on_the_wrong_port_are_refused)
{
	port_t s, t;
	vm_address_t a;
	vm_size_t n;

	ck_assert_int_eq(umach_section_create(PORT_NULL, 4096, &s),
			 SEND_INVALID_PORT);
	ck_assert_int_eq(umach_section_map(PORT_NULL, &a, &n),
			 SEND_INVALID_PORT);
	ck_assert_int_eq(umach_section_create(task_self(), 4096, &s),
			 KERN_SUCCESS);
	/* a section answers only map, a task's kernel port not map */
	ck_assert_int_eq(umach_section_create(s, 4096, &t), MIG_BAD_ID);
	ck_assert_int_eq(umach_section_map(task_self(), &a, &n), MIG_BAD_ID);
}
END_TEST

/* A request of the right id but the wrong shape. */
static kern_return_t raw_call(port_t port, int id, msg_size_t size)
{
	struct {
		msg_header_t h;
		msg_type_t   t;
		int32_t      v[3];
	} m;

	memset(&m, 0, sizeof m);
	m.h.msg_simple = TRUE;
	m.h.msg_size = size;
	m.h.msg_type = MSG_TYPE_NORMAL | MSG_TYPE_RPC;
	m.h.msg_remote_port = port;
	m.h.msg_local_port = mig_get_reply_port();
	m.h.msg_id = id;
	m.t.msg_type_name = MSG_TYPE_BOOLEAN;	/* not INTEGER_32 */
	m.t.msg_type_size = 32;
	m.t.msg_type_number = 1;
	m.t.msg_type_inline = TRUE;
	if (msg_rpc(&m.h, MSG_OPTION_NONE, sizeof m, 0, 0) != RPC_SUCCESS)
		return -1;
	if (m.h.msg_id != id + 100)
		return -2;
	return m.v[0];
}

START_TEST(test_malformed_requests_are_mig_bad_arguments)
{
	port_t s;
	msg_size_t hdr = sizeof(msg_header_t), arg = hdr + 12;

	ck_assert_int_eq(raw_call(task_self(), UMACH_SECTION_CREATE_ID, hdr),
			 MIG_BAD_ARGUMENTS);
	ck_assert_int_eq(raw_call(task_self(), UMACH_SECTION_CREATE_ID, arg),
			 MIG_BAD_ARGUMENTS);
	ck_assert_int_eq(umach_section_create(task_self(), 4096, &s),
			 KERN_SUCCESS);
	ck_assert_int_eq(raw_call(s, UMACH_SECTION_MAP_ID, arg),
			 MIG_BAD_ARGUMENTS);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("section");
	TCase *tc = tcase_create("section");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_two_mappings_share_one_region_rounded_to_pages);
	tcase_add_test(tc, test_a_section_sent_to_another_task_is_shared_both_ways);
	tcase_add_test(tc, test_sizes_are_bounded_per_section_and_in_total);
	tcase_add_test(tc, test_a_dead_tasks_sections_die_with_it);
	tcase_add_test(tc, test_a_right_in_a_queued_message_keeps_the_section_alive);
	tcase_add_test(tc, test_calls_on_the_wrong_port_are_refused);
	tcase_add_test(tc, test_malformed_requests_are_mig_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(suite());
}
