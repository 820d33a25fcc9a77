/*
 * The wire, pinned: every size and offset of include/umach/abi.h, the
 * Mach 2.5 structures whose layout tasks and the kernel both depend on
 * (LP64 rule B, docs/protocol.md §6), the bit positions of the header and
 * type descriptor words, and every constant of reference 1.2, 1.4, 1.6,
 * 1.7, 1.12 and 1.13 compared with the reference's value.  Changing the
 * layout means changing this table in the same commit (STYLE abi.h).
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include <mach/message.h>
#include <mach/mig_errors.h>
#include <mach/mach_param.h>
#include <mach/notify.h>
#include <mach/port.h>
#include <msg_type.h>
#include <umach/abi.h>

struct row {
	const char *what;
	long long   got, want;
};

#define SZ(T, n)        { "sizeof " #T, (long long)sizeof(T), n }
#define AL(T, n)        { "_Alignof " #T, (long long)_Alignof(T), n }
#define OFF(T, f, n)    { "offsetof " #T "." #f, (long long)offsetof(T, f), n }
#define VAL(c, n)       { #c, (long long)(c), n }

static const struct row layout[] = {
	SZ(struct umach_hello, 56),
	OFF(struct umach_hello, magic, 0),
	OFF(struct umach_hello, version, 4),
	OFF(struct umach_hello, flags, 8),
	OFF(struct umach_hello, pad0, 12),
	OFF(struct umach_hello, name, 16),
	OFF(struct umach_hello, parent_task, 48),
	SZ(struct umach_welcome, 56),
	OFF(struct umach_welcome, magic, 0),
	OFF(struct umach_welcome, version, 4),
	OFF(struct umach_welcome, status, 8),
	OFF(struct umach_welcome, channel_bytes, 12),
	OFF(struct umach_welcome, task_self, 16),
	OFF(struct umach_welcome, task_notify, 20),
	OFF(struct umach_welcome, name_server, 24),
	OFF(struct umach_welcome, environment, 28),
	OFF(struct umach_welcome, service, 32),
	OFF(struct umach_welcome, profile, 36),
	OFF(struct umach_welcome, backlog_default, 40),
	OFF(struct umach_welcome, backlog_max, 44),
	OFF(struct umach_welcome, task_id, 48),
	SZ(struct umach_slot, 64 + 8192),
	OFF(struct umach_slot, req_seq, 0),
	OFF(struct umach_slot, done_seq, 4),
	OFF(struct umach_slot, sleeping, 8),
	OFF(struct umach_slot, cancel, 12),
	OFF(struct umach_slot, call, 16),
	OFF(struct umach_slot, option, 20),
	OFF(struct umach_slot, send_size, 24),
	OFF(struct umach_slot, rcv_size, 28),
	OFF(struct umach_slot, send_timeout_ms, 32),
	OFF(struct umach_slot, rcv_timeout_ms, 36),
	OFF(struct umach_slot, rcv_name, 40),
	OFF(struct umach_slot, pad0, 44),
	OFF(struct umach_slot, status, 48),
	OFF(struct umach_slot, msg_size, 52),
	OFF(struct umach_slot, value, 56),
	OFF(struct umach_slot, ool_count, 60),
	OFF(struct umach_slot, buf, 64),
	SZ(struct umach_channel, 64 + 64 * (64 + 8192)),
	OFF(struct umach_channel, pending, 0),
	OFF(struct umach_channel, need_wakeup, 8),
	OFF(struct umach_channel, pad0, 12),
	OFF(struct umach_channel, pad1, 16),
	OFF(struct umach_channel, slot, 64),
	SZ(struct umach_ool_region, 16),
	OFF(struct umach_ool_region, offset, 0),
	OFF(struct umach_ool_region, size_bytes, 8),
	SZ(struct umach_ool_note, 16 + 16 * 16),
	OFF(struct umach_ool_note, slot, 4),
	OFF(struct umach_ool_note, seq, 8),
	OFF(struct umach_ool_note, count, 12),
	OFF(struct umach_ool_note, region, 16),
	SZ(msg_header_t, 24),
	OFF(msg_header_t, msg_size, 4),
	OFF(msg_header_t, msg_type, 8),
	OFF(msg_header_t, msg_local_port, 12),
	OFF(msg_header_t, msg_remote_port, 16),
	OFF(msg_header_t, msg_id, 20),
	SZ(msg_type_t, 8),
	AL(msg_type_t, 8),
	SZ(msg_type_long_t, 16),
	OFF(msg_type_long_t, msg_type_long_name, 8),
	OFF(msg_type_long_t, msg_type_long_size, 10),
	OFF(msg_type_long_t, msg_type_long_number, 12),
	/* the monitor protocol (protocol.md §11) */
	SZ(struct umach_mon_req, 64),
	OFF(struct umach_mon_req, target, 20),
	OFF(struct umach_mon_req, name, 32),
	OFF(struct umach_mon_req, op, 4),
	OFF(struct umach_mon_req, arg, 8),
	OFF(struct umach_mon_req, knob, 16),
	OFF(struct umach_mon_req, value, 24),
	SZ(struct umach_rec_end, 16),
	SZ(struct umach_rec_task, 64),
	SZ(struct umach_rec_thread, 40),
	SZ(struct umach_rec_port, 88),
	SZ(struct umach_counters, 80),
	SZ(struct umach_rec_stats, 128),
	SZ(struct umach_rec_event, 168),
	OFF(struct umach_rec_event, time_ns, 8),
	OFF(struct umach_rec_event, port, 40),
	OFF(struct umach_rec_event, msg_id, 56),
	OFF(struct umach_rec_event, copied, 80),
	OFF(struct umach_rec_event, seq, 96),
	OFF(struct umach_rec_event, task_name, 104),
	SZ(notification_t, 40),
	OFF(notification_t, notify_type, 24),
	OFF(notification_t, notify_port, 32),
	SZ(death_pill_t, 40),
	OFF(death_pill_t, RetCodeType, 24),
	OFF(death_pill_t, RetCode, 32),
};

static const struct row constants[] = {
	/* abi.h */
	VAL(UMACH_ABI_MAGIC, 0x48434d55),
	VAL(UMACH_ABI_VERSION, 4),
	VAL(UMACH_HELLO_FORKED, 1),
	VAL(UMACH_HELLO_MONITOR, 2),
	VAL(UMACH_MON_TASKS, 1),
	VAL(UMACH_MON_KNOB, 6),
	VAL(UMACH_REC_EVENT, 6),
	VAL(UMACH_EV_KNOB, 13),
	VAL(UMACH_SLOTS, 64),
	VAL(UMACH_MSG_BUF, 8192),
	VAL(UMACH_OOL_MAX, 16),
	VAL(UMACH_NAME_MAX, 32),
	VAL(UMACH_CALL_NONE, 0),
	VAL(UMACH_CALL_MSG_SEND, 1),
	VAL(UMACH_CALL_MSG_RECEIVE, 2),
	VAL(UMACH_CALL_MSG_RPC, 3),
	VAL(UMACH_CALL_THREAD_SELF, 4),
	VAL(UMACH_CALL_THREAD_REPLY, 5),
	VAL(UMACH_CALL_SLOT_RELEASE, 6),
	VAL(UMACH_CALL_MAX, 6),
	VAL(UMACH_PROFILE_TEXTBOOK, 0),
	VAL(UMACH_PROFILE_MACH25, 1),
	VAL(UMACH_PROFILE_NEXT, 2),
	/* reference 1.2 */
	VAL(PORT_NULL, 0),
	VAL(PORT_TYPE_NONE, 0),
	VAL(PORT_TYPE_SEND, 1),
	VAL(PORT_TYPE_RECEIVE, 3),
	VAL(PORT_TYPE_OWN, 5),
	VAL(PORT_TYPE_RECEIVE_OWN, 7),
	VAL(PORT_TYPE_SET, 9),
	VAL(PORT_TYPE_LAST, 10),
	/* reference 1.3 and 1.4 */
	VAL(MSG_SIZE_MAX, 8192),
	VAL(MSG_TYPE_NORMAL, 0),
	VAL(MSG_TYPE_EMERGENCY, 1),
	VAL(MSG_TYPE_CAMELOT, 1 << 6),
	VAL(MSG_TYPE_ENCRYPTED, 1 << 7),
	VAL(MSG_TYPE_RPC, 1 << 8),
	VAL(MSG_TYPE_UNSTRUCTURED, 0),
	VAL(MSG_TYPE_BIT, 0),
	VAL(MSG_TYPE_BOOLEAN, 0),
	VAL(MSG_TYPE_INTEGER_16, 1),
	VAL(MSG_TYPE_INTEGER_32, 2),
	VAL(MSG_TYPE_PORT_OWNERSHIP, 3),
	VAL(MSG_TYPE_PORT_RECEIVE, 4),
	VAL(MSG_TYPE_PORT_ALL, 5),
	VAL(MSG_TYPE_PORT, 6),
	VAL(MSG_TYPE_CHAR, 8),
	VAL(MSG_TYPE_BYTE, 9),
	VAL(MSG_TYPE_INTEGER_8, 9),
	VAL(MSG_TYPE_REAL, 10),
	VAL(MSG_TYPE_STRING, 12),
	VAL(MSG_TYPE_STRING_C, 12),
	VAL(MSG_TYPE_INTERNAL_MEMORY, 9),
	VAL(MSG_TYPE_PORT_NAME, 15),
	VAL(MSG_TYPE_LAST, 16),
	VAL(MSG_TYPE_POLYMORPHIC, 0xffffffffll),
	/* reference 1.6 */
	VAL(MSG_OPTION_NONE, 0x0000),
	VAL(SEND_TIMEOUT, 0x0001),
	VAL(SEND_NOTIFY, 0x0002),
	VAL(SEND_INTERRUPT, 0x0004),
	VAL(SEND_ALWAYS, 0x0008),
	VAL(SEND_SWITCH, 0x0020),
	VAL(RCV_TIMEOUT, 0x0100),
	VAL(RCV_NO_SENDERS, 0x0200),
	VAL(RCV_INTERRUPT, 0x0400),
	VAL(RCV_LARGE, 0x1000),
	/* reference 1.7 */
	VAL(SEND_SUCCESS, 0),
	VAL(SEND_ERRORS_START, -100),
	VAL(SEND_INVALID_MEMORY, -101),
	VAL(SEND_INVALID_PORT, -102),
	VAL(SEND_TIMED_OUT, -103),
	VAL(SEND_WILL_NOTIFY, -105),
	VAL(SEND_NOTIFY_IN_PROGRESS, -106),
	VAL(SEND_KERNEL_REFUSED, -107),
	VAL(SEND_INTERRUPTED, -108),
	VAL(SEND_MSG_TOO_LARGE, -109),
	VAL(SEND_MSG_TOO_SMALL, -110),
	VAL(SEND_ERRORS_END, -111),
	VAL(RCV_SUCCESS, 0),
	VAL(RCV_ERRORS_START, -200),
	VAL(RCV_INVALID_MEMORY, -201),
	VAL(RCV_INVALID_PORT, -202),
	VAL(RCV_TIMED_OUT, -203),
	VAL(RCV_TOO_LARGE, -204),
	VAL(RCV_NOT_ENOUGH_MEMORY, -205),
	VAL(RCV_ONLY_SENDER, -206),
	VAL(RCV_INTERRUPTED, -207),
	VAL(RCV_PORT_CHANGE, -208),
	VAL(RCV_ERRORS_END, -209),
	VAL(RPC_SUCCESS, 0),
	VAL(MIG_TYPE_ERROR, -300),
	VAL(MIG_REPLY_MISMATCH, -301),
	VAL(MIG_REMOTE_ERROR, -302),
	VAL(MIG_BAD_ID, -303),
	VAL(MIG_BAD_ARGUMENTS, -304),
	VAL(MIG_NO_REPLY, -305),
	VAL(MIG_EXCEPTION, -306),
	VAL(MIG_ARRAY_TOO_LARGE, -307),
	VAL(KERN_SUCCESS, 0),
	VAL(KERN_INVALID_ADDRESS, 1),
	VAL(KERN_PROTECTION_FAILURE, 2),
	VAL(KERN_NO_SPACE, 3),
	VAL(KERN_INVALID_ARGUMENT, 4),
	VAL(KERN_FAILURE, 5),
	VAL(KERN_RESOURCE_SHORTAGE, 6),
	VAL(KERN_NOT_RECEIVER, 7),
	VAL(KERN_NO_ACCESS, 8),
	VAL(KERN_MEMORY_FAILURE, 9),
	VAL(KERN_MEMORY_ERROR, 10),
	VAL(KERN_ALREADY_IN_SET, 11),
	VAL(KERN_NOT_IN_SET, 12),
	VAL(KERN_NAME_EXISTS, 13),
	/* reference 1.12 and 1.13 */
	VAL(NOTIFY_FIRST, 64),
	VAL(NOTIFY_PORT_DELETED, 65),
	VAL(NOTIFY_MSG_ACCEPTED, 66),
	VAL(NOTIFY_OWNERSHIP_RIGHTS, 67),
	VAL(NOTIFY_RECEIVE_RIGHTS, 68),
	VAL(NOTIFY_PORT_DESTROYED, 69),
	VAL(NOTIFY_LAST, 77),
	VAL(PORT_BACKLOG_DEFAULT, 5),
	VAL(PORT_BACKLOG_MAX, 16),
	VAL(TASK_PORT_REGISTER_MAX, 4),
};

#define NROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

START_TEST(test_abi_layout_row_has_its_pinned_value)
{
	const struct row *r = &layout[_i];

	ck_assert_msg(r->got == r->want, "%s is %lld, pinned at %lld",
		      r->what, r->got, r->want);
}
END_TEST

START_TEST(test_abi_constant_has_the_reference_value)
{
	const struct row *r = &constants[_i];

	ck_assert_msg(r->got == r->want, "%s is %lld, reference says %lld",
		      r->what, r->got, r->want);
}
END_TEST

START_TEST(test_abi_msg_type_bits_sit_where_the_kernel_reads_them)
{
	msg_type_t t;
	uint32_t w;

	memset(&t, 0, sizeof t);
	t.msg_type_name = 0xab;
	t.msg_type_size = 0xcd;
	t.msg_type_number = 0xfee;
	t.msg_type_inline = 1;
	memcpy(&w, &t, 4);
	ck_assert_uint_eq(w, 0xab | 0xcd << 8 | 0xfeeu << 16 | 1u << 28);
	memset(&t, 0, sizeof t);
	t.msg_type_longform = 1;
	memcpy(&w, &t, 4);
	ck_assert_uint_eq(w, 1u << 29);
	memset(&t, 0, sizeof t);
	t.msg_type_deallocate = 1;
	memcpy(&w, &t, 4);
	ck_assert_uint_eq(w, 1u << 30);
	memset(&t, 0, sizeof t);
	t.msg_type_unused = 1;
	memcpy(&w, &t, 4);
	ck_assert_uint_eq(w, 1u << 31);
}
END_TEST

START_TEST(test_abi_msg_simple_is_the_top_byte_of_the_first_word)
{
	msg_header_t h;
	uint32_t w;

	memset(&h, 0, sizeof h);
	h.msg_simple = 1;
	memcpy(&w, &h, 4);
	ck_assert_uint_eq(w, 1u << 24);
	h.msg_simple = 0;
	h.msg_unused = 0xffffff;
	memcpy(&w, &h, 4);
	ck_assert_uint_eq(w, 0xffffffu);
}
END_TEST

START_TEST(test_abi_msg_return_send_and_rcv_test_their_ranges)
{
	ck_assert(msg_return_send(SEND_INVALID_MEMORY));
	ck_assert(msg_return_send(SEND_MSG_TOO_SMALL));
	ck_assert(!msg_return_send(SEND_SUCCESS));
	ck_assert(!msg_return_send(RCV_INVALID_PORT));
	ck_assert(msg_return_rcv(RCV_INVALID_MEMORY));
	ck_assert(msg_return_rcv(RCV_PORT_CHANGE));
	ck_assert(!msg_return_rcv(RCV_SUCCESS));
	ck_assert(!msg_return_rcv(SEND_INVALID_PORT));
}
END_TEST

START_TEST(test_abi_msg_port_any_is_3_to_6)
{
	for (int x = 0; x < 20; x++)
		ck_assert_int_eq(MSG_TYPE_PORT_ANY(x), x >= 3 && x <= 6);
}
END_TEST

static Suite *abi_suite(void)
{
	Suite *s = suite_create("abi");
	TCase *tc = tcase_create("layout");

	tcase_add_loop_test(tc, test_abi_layout_row_has_its_pinned_value, 0,
			    NROWS(layout));
	tcase_add_loop_test(tc, test_abi_constant_has_the_reference_value, 0,
			    NROWS(constants));
	tcase_add_test(tc, test_abi_msg_type_bits_sit_where_the_kernel_reads_them);
	tcase_add_test(tc, test_abi_msg_simple_is_the_top_byte_of_the_first_word);
	tcase_add_test(tc, test_abi_msg_return_send_and_rcv_test_their_ranges);
	tcase_add_test(tc, test_abi_msg_port_any_is_3_to_6);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(abi_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
