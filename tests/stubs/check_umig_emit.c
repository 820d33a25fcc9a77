/*
 * check_umig_emit.c: unit tests of umig's code emitters (stubs/emit_*.c),
 * called directly on small interfaces: what each construct turns into
 * (descriptors, options, reply port, presentation) and what the emitters
 * refuse.  Whole files are compared in check_umig_golden.c and run in
 * check_stubs_rt.c.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

static struct umig_arena arena;
static struct umig_diag diag;
static char *msgs, *out;
static size_t msgs_len, out_len;

static void setup(void)
{
	memset(&arena, 0, sizeof(arena));
	diag.errors = 0;
	diag.out = open_memstream(&msgs, &msgs_len);
}

static void teardown(void)
{
	fclose(diag.out);
	free(msgs);
	free(out);
	msgs = out = NULL;
	umig_arena_fini(&arena);
}

typedef bool (*emitter_t)(struct umig_diag *, const struct umig_spec *, FILE *);

/* Checks src, runs one emitter on it; returns its result, text in out. */
static bool emit(emitter_t e, const char *src)
{
	struct umig_spec spec;
	int before = diag.errors;
	FILE *f;
	bool ok;

	check_source(&arena, &diag, src, strlen(src), "t.defs", &spec);
	ck_assert_int_eq(diag.errors, before);      // the front end accepts it
	free(out);
	out = NULL;
	f = open_memstream(&out, &out_len);
	ok = e(&diag, &spec, f);
	fclose(f);
	return ok;
}

static const char *messages(void)
{
	fflush(diag.out);
	return msgs ? msgs : "";
}

/* Whether out holds text, with runs of blanks and newlines as one space. */
static bool has(const char *text)
{
	char *flat = malloc(out_len + 1), *d = flat;
	bool found;

	for (const char *s = out; *s != '\0'; s++) {
		if (strchr(" \t\n", *s) != NULL) {
			if (d == flat || d[-1] != ' ')
				*d++ = ' ';
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
	found = strstr(flat, text) != NULL;
	free(flat);
	return found;
}

#define HEAD "subsystem t 100; type int = MSG_TYPE_INTEGER_32; " \
	     "type port_t = MSG_TYPE_PORT; "

START_TEST(test_emit_one_element_array_is_presented_as_a_pointer)
{
	ck_assert(emit(emit_header, HEAD "type one_t = array[1] of int; "
		       "routine r(p : port_t; a : one_t; out b : one_t);"));
	ck_assert(has("kern_return_t r( port_t p, int *a, int *b);"));
}
END_TEST

START_TEST(test_emit_wide_string_uses_a_longform_descriptor)
{
	ck_assert(emit(emit_user, HEAD "type s_t = (MSG_TYPE_STRING, 640) "
		       "ctype: char80; routine r(p : port_t; s : s_t);"));
	ck_assert(has("static const msg_type_long_t sType"));
	ck_assert(has(".msg_type_long_name = MSG_TYPE_STRING, "
		      ".msg_type_long_size = 640"));
	ck_assert(has("umig_put_string(&umig_c, &sType, sizeof sType, s, 80);"));
}
END_TEST

START_TEST(test_emit_array_of_strings_has_string_elements_and_a_count)
{
	const char *src = HEAD "type s_t = (MSG_TYPE_STRING, 640); "
		"type l_t = array[*:64] of s_t; "
		"routine r(p : port_t; a : l_t; out b : l_t);";

	ck_assert(emit(emit_header, src));
	ck_assert(has("kern_return_t r( port_t p, s_t *a, unsigned int aCnt, "
		      "s_t *b, unsigned int *bCnt);"));
	ck_assert(emit(emit_user, src));
	ck_assert(has(".msg_type_long_name = MSG_TYPE_STRING, "
		      ".msg_type_long_size = 640"));
	ck_assert(has("bCheck = { MSG_TYPE_STRING, 640, 64, UMIG_VAR | UMIG_LONG"));
	ck_assert(has("*bCnt = umig_it_b.number / 1;"));
	ck_assert(!has("umig_put_string(&umig_c, &aType"));
}
END_TEST

START_TEST(test_emit_simpleroutine_sends_without_a_reply_port)
{
	ck_assert(emit(emit_user, HEAD "simpleroutine r(p : port_t; a : int);"));
	ck_assert(has("Mess.Head.msg_local_port = PORT_NULL;"));
	ck_assert(has("Mess.Head.msg_type = MSG_TYPE_NORMAL;"));
	ck_assert(has("return msg_send(&Mess.Head, MSG_OPTION_NONE, 0);"));
	ck_assert(!has("msg_rpc"));
}
END_TEST

START_TEST(test_emit_routine_uses_the_threads_reply_port_and_msg_rpc)
{
	ck_assert(emit(emit_user, HEAD "routine r(p : port_t; out a : int);"));
	ck_assert(has("Mess.Head.msg_local_port = mig_get_reply_port();"));
	ck_assert(has("Mess.Head.msg_type = MSG_TYPE_NORMAL | MSG_TYPE_RPC;"));
	ck_assert(has("umig_mr = msg_rpc(&Mess.Head, MSG_OPTION_NONE, "
		      "sizeof Mess, 0, 0);"));
	ck_assert(has("mig_dealloc_reply_port();"));
	ck_assert(has("if (Mess.Head.msg_id != 200) {"));
	ck_assert(has("return MIG_REPLY_MISMATCH;"));
}
END_TEST

START_TEST(test_emit_replyport_argument_replaces_the_threads)
{
	ck_assert(emit(emit_user, HEAD "routine r(p : port_t; replyport rp : "
		       "port_t; out a : int);"));
	ck_assert(has("Mess.Head.msg_local_port = rp;"));
	ck_assert(!has("mig_dealloc_reply_port"));
}
END_TEST

START_TEST(test_emit_waittime_statement_sets_both_timeouts)
{
	ck_assert(emit(emit_user, HEAD "waittime 500; msgtype 1; "
		       "routine r(p : port_t; out a : int);"));
	ck_assert(has("msg_rpc(&Mess.Head, SEND_TIMEOUT | RCV_TIMEOUT, "
		      "sizeof Mess, 500, 500);"));
	ck_assert(has("Mess.Head.msg_type = 1 | MSG_TYPE_RPC;"));
}
END_TEST

START_TEST(test_emit_move_send_sets_the_deallocate_bit)
{
	ck_assert(emit(emit_user, HEAD "type m_t = MACH_MSG_TYPE_MOVE_SEND "
		       "ctype: port_t; type c_t = MACH_MSG_TYPE_COPY_SEND ctype: "
		       "port_t; routine r(p : port_t; m : m_t; c : c_t);"));
	ck_assert(has("mType = { .msg_type_name = MSG_TYPE_PORT, "
		      ".msg_type_size = 32, .msg_type_number = 1, "
		      ".msg_type_inline = TRUE, .msg_type_longform = FALSE, "
		      ".msg_type_deallocate = TRUE };"));
	ck_assert(has("cType = { .msg_type_name = MSG_TYPE_PORT, "
		      ".msg_type_size = 32, .msg_type_number = 1, "
		      ".msg_type_inline = TRUE, .msg_type_longform = FALSE, "
		      ".msg_type_deallocate = FALSE };"));
	ck_assert(has("Mess.Head.msg_simple = FALSE;"));
}
END_TEST

START_TEST(test_emit_receive_rights_travel_as_mach25_names)
{
	ck_assert(emit(emit_server, HEAD "type r_t = MACH_MSG_TYPE_MOVE_RECEIVE "
		       "ctype: port_t; type o_t = MSG_TYPE_PORT_OWNERSHIP ctype: "
		       "port_t; routine r(p : port_t; a : r_t; b : o_t);"));
	ck_assert(has("aCheck = { MSG_TYPE_PORT_RECEIVE, 32, 1, 0 };"));
	ck_assert(has("bCheck = { MSG_TYPE_PORT_OWNERSHIP, 32, 1, 0 };"));
	ck_assert(has("if (InHeadP->msg_simple) goto bad_args;"));
}
END_TEST

START_TEST(test_emit_server_table_has_zero_for_skips_and_serverdemux_names)
{
	ck_assert(emit(emit_server, HEAD "serverdemux my_demux; "
		       "routine a(p : port_t); skip; routine b(p : port_t);"));
	ck_assert(has("mig_routine_t t_server_routines[3] = { _Xa, 0, _Xb, };"));
	ck_assert(has("boolean_t my_demux(msg_header_t *InHeadP, "
		      "msg_header_t *OutHeadP)"));
	ck_assert(has("OutP->RetCode = MIG_BAD_ID; return FALSE;"));
	ck_assert(has("OutP->RetCode = MIG_BAD_ARGUMENTS;"));
}
END_TEST

START_TEST(test_emit_server_frees_the_request_unless_the_routine_succeeded)
{
	ck_assert(emit(emit_server, HEAD "routine r(p : port_t; q : port_t);"));
	ck_assert(has("if (umig_rc != KERN_SUCCESS) { if (umig_rc != "
		      "MIG_NO_REPLY) umig_destroy(InHeadP);"));
	ck_assert(has("bad_args: umig_destroy(InHeadP);"));
}
END_TEST

START_TEST(test_emit_refuses_functions_and_payloads_with_positions)
{
	ck_assert(!emit(emit_user, HEAD "function f(p : port_t) : int;"));
	ck_assert_ptr_nonnull(strstr(messages(), "t.defs:1:88: error: function "
				     "'f': umig generates no code for functions"));
	ck_assert(!emit(emit_server, HEAD "type o_t = MSG_TYPE_PORT "
			"intranpayload: o_t f; routine r(p : port_t; o : o_t);"));
	ck_assert_ptr_nonnull(strstr(messages(), "'o': intranpayload: is not "
				     "supported"));
	ck_assert(!emit(emit_server, HEAD "type a_t = array[2] of int "
			"intran: x_t f(a_t); routine r(p : port_t; a : a_t);"));
	ck_assert_ptr_nonnull(strstr(messages(), "'a': intran:/outtran: need "
				     "a single value"));
}
END_TEST

START_TEST(test_emit_cusertype_and_cservertype_pick_each_sides_c_type)
{
	const char *src = HEAD "type x_t = MSG_TYPE_INTEGER_32 cusertype: u_t "
			  "cservertype: s_t; routine r(p : port_t; a : x_t);";

	ck_assert(emit(emit_header, src));
	ck_assert(has("kern_return_t r( port_t p, u_t a);"));
	ck_assert(emit(emit_sheader, src));
	ck_assert(has("kern_return_t r( port_t p, s_t a);"));
}
END_TEST

START_TEST(test_emit_request_port_is_translated_and_array_inherits_no_intran)
{
	ck_assert(emit(emit_server, "subsystem t 100; type int = "
		       "MSG_TYPE_INTEGER_32; type task_t = MSG_TYPE_PORT ctype: "
		       "port_t intran: task_p to_task(port_t) destructor: "
		       "task_free(task_p); type v_t = MSG_TYPE_INTEGER_32 "
		       "intran: long from_user(int); type a_t = array[*:4] of "
		       "v_t; routine r(t : task_t; a : a_t);"));
	ck_assert(has("kern_return_t r( task_p t, v_t *a, unsigned int aCnt);"));
	ck_assert(has("t = to_task(InHeadP->msg_local_port);"));
	ck_assert(has("umig_rc = r(t, (v_t *)(void *)umig_it_a.data, aCnt);"));
	ck_assert(has("task_free(t);"));
	ck_assert(!has("from_user"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("umig_emit");
	TCase *tc = tcase_create("emit");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_emit_one_element_array_is_presented_as_a_pointer);
	tcase_add_test(tc, test_emit_wide_string_uses_a_longform_descriptor);
	tcase_add_test(tc, test_emit_array_of_strings_has_string_elements_and_a_count);
	tcase_add_test(tc, test_emit_simpleroutine_sends_without_a_reply_port);
	tcase_add_test(tc, test_emit_routine_uses_the_threads_reply_port_and_msg_rpc);
	tcase_add_test(tc, test_emit_replyport_argument_replaces_the_threads);
	tcase_add_test(tc, test_emit_waittime_statement_sets_both_timeouts);
	tcase_add_test(tc, test_emit_move_send_sets_the_deallocate_bit);
	tcase_add_test(tc, test_emit_receive_rights_travel_as_mach25_names);
	tcase_add_test(tc, test_emit_server_table_has_zero_for_skips_and_serverdemux_names);
	tcase_add_test(tc, test_emit_server_frees_the_request_unless_the_routine_succeeded);
	tcase_add_test(tc, test_emit_refuses_functions_and_payloads_with_positions);
	tcase_add_test(tc, test_emit_cusertype_and_cservertype_pick_each_sides_c_type);
	tcase_add_test(tc, test_emit_request_port_is_translated_and_array_inherits_no_intran);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
