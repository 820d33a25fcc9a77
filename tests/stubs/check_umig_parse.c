/*
 * check_umig_parse.c: unit tests of umig's front end, stage by stage: the
 * lexer (keywords, comments, numbers, strings, line markers), the parser
 * (each construct), the checker (each error message with its line:col) and
 * the -list writer.  They call the stages directly on strings; the command
 * line and the gnumach-dev corpus are tested in check_umig_corpus.c.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "umig.h"

static struct umig_arena arena;
static struct umig_diag diag;
static char *msgs;                      // diagnostics of the last run
static size_t msgs_len;

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
	msgs = NULL;
	umig_arena_fini(&arena);
}

/* Diagnostics printed so far, as one string. */
static const char *messages(void)
{
	fflush(diag.out);
	return msgs ? msgs : "";
}

static struct token_list lex(const char *src)
{
	struct token_list toks;

	lex_run(&arena, &diag, src, strlen(src), "t.defs", &toks);
	return toks;
}

/* Lex + parse only. */
static struct umig_spec parse(const char *src)
{
	struct token_list toks = lex(src);
	struct umig_spec spec;

	parse_run(&arena, &diag, &toks, &spec);
	return spec;
}

/* Lex + parse + check. */
static struct umig_spec front(const char *src)
{
	struct umig_spec spec;

	check_source(&arena, &diag, src, strlen(src), "t.defs", &spec);
	return spec;
}

static const struct umig_type *type_named(const struct umig_spec *s, const char *n)
{
	for (const struct umig_type *t = s->types; t != NULL; t = t->next) {
		if (t->name != NULL && strcmp(t->name, n) == 0)
			return t;
	}
	return NULL;
}

static const struct umig_routine *routine_named(const struct umig_spec *s,
						const char *n)
{
	for (const struct umig_routine *r = s->routines; r != NULL; r = r->next) {
		if (r->name != NULL && strcmp(r->name, n) == 0)
			return r;
	}
	return NULL;
}

#define PORT "type port_t = MACH_MSG_TYPE_COPY_SEND;\n"
#define HEAD "subsystem t 100;\n" PORT

/* Asserts that the diagnostics contain the exact text want. */
#define ck_assert_reported(want) \
	ck_assert_msg(strstr(messages(), (want)) != NULL, \
		      "expected \"%s\" in:\n%s", (want), messages())

/* ---- Lexer ---- */

START_TEST(test_lex_keywords_match_without_regard_to_case)
{
	struct token_list t = lex("RoUtInE ServerPrefix countInOut SKIP");

	ck_assert_int_eq(t.n, 5);
	ck_assert_int_eq(t.v[0].kind, TOK_KEYWORD);
	ck_assert_int_eq(t.v[0].kw, KW_ROUTINE);
	ck_assert_int_eq(t.v[1].kw, KW_SERVERPREFIX);
	ck_assert_int_eq(t.v[2].kw, KW_COUNTINOUT);
	ck_assert_int_eq(t.v[3].kw, KW_SKIP);
	ck_assert_str_eq(t.v[1].text, "ServerPrefix");
	ck_assert_int_eq(t.v[4].kind, TOK_EOF);
}
END_TEST

START_TEST(test_lex_identifiers_that_contain_keywords_stay_identifiers)
{
	struct token_list t = lex("error_offset in_x Type2");

	ck_assert_int_eq(t.v[0].kind, TOK_IDENT);
	ck_assert_str_eq(t.v[0].text, "error_offset");
	ck_assert_int_eq(t.v[1].kind, TOK_IDENT);
	ck_assert_int_eq(t.v[2].kind, TOK_IDENT);
}
END_TEST

START_TEST(test_lex_skips_block_and_line_comments_and_counts_lines)
{
	struct token_list t = lex("a /* x\n y */ b // c d\n  e");

	ck_assert_int_eq(t.n, 4);
	ck_assert_str_eq(t.v[1].text, "b");
	ck_assert_int_eq(t.v[1].pos.line, 2);
	ck_assert_int_eq(t.v[1].pos.col, 7);
	ck_assert_str_eq(t.v[2].text, "e");
	ck_assert_int_eq(t.v[2].pos.line, 3);
	ck_assert_int_eq(t.v[2].pos.col, 3);
	ck_assert_int_eq(diag.errors, 0);
}
END_TEST

START_TEST(test_lex_reads_decimal_numbers)
{
	struct token_list t = lex("0 42 4294967296");

	ck_assert_int_eq(t.v[0].kind, TOK_NUMBER);
	ck_assert_uint_eq(t.v[1].value, 42);
	ck_assert_uint_eq(t.v[2].value, 4294967296ull);
}
END_TEST

START_TEST(test_lex_number_too_large_is_an_error)
{
	lex("x 99999999999999999999999");
	ck_assert_int_eq(diag.errors, 1);
	ck_assert_reported("t.defs:1:3: error: number is too large");
}
END_TEST

START_TEST(test_lex_hex_number_is_an_error)
{
	lex("0x10");
	ck_assert_reported("t.defs:1:2: error: invalid suffix on number");
}
END_TEST

START_TEST(test_lex_string_and_import_file_names)
{
	struct token_list t = lex("rcsid \"a b\"; import <m/x.h>; uimport \"y.h\"; a < b");

	ck_assert_int_eq(t.v[1].kind, TOK_STRING);
	ck_assert_str_eq(t.v[1].text, "\"a b\"");
	ck_assert_int_eq(t.v[4].kind, TOK_FILENAME);
	ck_assert_str_eq(t.v[4].text, "<m/x.h>");
	ck_assert_int_eq(t.v[7].kind, TOK_FILENAME);
	ck_assert_str_eq(t.v[7].text, "\"y.h\"");
	ck_assert_int_eq(t.v[10].kind, TOK_PUNCT);
	ck_assert_int_eq(t.v[10].punct, '<');
}
END_TEST

START_TEST(test_lex_unterminated_string_is_an_error)
{
	lex("rcsid \"abc\n");
	ck_assert_reported("t.defs:1:7: error: unterminated string");
}
END_TEST

START_TEST(test_lex_line_marker_sets_file_and_line)
{
	struct token_list t = lex("a\n# 10 \"foo.defs\" 1\n   b\n#line 3 \"z.defs\"\nc");

	ck_assert_str_eq(t.v[0].pos.file, "t.defs");
	ck_assert_str_eq(t.v[1].pos.file, "foo.defs");
	ck_assert_int_eq(t.v[1].pos.line, 10);
	ck_assert_int_eq(t.v[1].pos.col, 4);
	ck_assert_str_eq(t.v[2].pos.file, "z.defs");
	ck_assert_int_eq(t.v[2].pos.line, 3);
	ck_assert_int_eq(diag.errors, 0);
}
END_TEST

START_TEST(test_lex_line_numbers_stop_at_int_max)
{
	struct token_list t = lex("# 2147483647 \"f.defs\"\na\nb\n");

	ck_assert_int_eq(t.v[0].pos.line, 2147483647);
	ck_assert_int_eq(t.v[1].pos.line, 2147483647);
}
END_TEST

START_TEST(test_lex_unterminated_comment_is_reported_where_it_starts)
{
	lex("a\n  /* never closed\n");
	ck_assert_reported("t.defs:2:3: error: unterminated comment");
}
END_TEST

START_TEST(test_lex_stray_character_is_reported_with_column)
{
	struct token_list t = lex("a $ b");

	ck_assert_reported("t.defs:1:3: error: stray '$' in input");
	ck_assert_int_eq(t.n, 3);
}
END_TEST

START_TEST(test_lex_unknown_directive_is_an_error)
{
	lex("#define X 1\n");
	ck_assert_reported("t.defs:1:1: error: unexpected preprocessor directive");
}
END_TEST

START_TEST(test_lex_punctuation_is_one_token_each)
{
	struct token_list t = lex(":;,+-*/()=^~[]|{}");

	ck_assert_int_eq(t.n, 18);
	ck_assert_int_eq(t.v[11].punct, '~');
	ck_assert_int_eq(diag.errors, 0);
}
END_TEST

/* ---- Parser ---- */

START_TEST(test_parse_subsystem_reads_modifiers_name_and_base)
{
	struct umig_spec s = parse("Subsystem KernelUser KernelServer foo 10*10+5;");

	ck_assert_str_eq(s.subsystem, "foo");
	ck_assert_uint_eq(s.base, 105);
	ck_assert_uint_eq(s.sub_flags, UMIG_SUB_KERNEL_USER | UMIG_SUB_KERNEL_SERVER);
}
END_TEST

START_TEST(test_parse_second_subsystem_is_an_error)
{
	parse("subsystem a 1;\nsubsystem b 2;");
	ck_assert_reported("t.defs:2:1: error: subsystem already declared at line 1");
}
END_TEST

START_TEST(test_parse_skip_advances_routine_index)
{
	struct umig_spec s = front(HEAD "skip; skip;\nroutine r(p : port_t);\nskip;");

	ck_assert_int_eq(diag.errors, 0);
	ck_assert_uint_eq(routine_named(&s, "r")->index, 2);
	ck_assert_uint_eq(routine_named(&s, "r")->request_id, 102);
	ck_assert_uint_eq(routine_named(&s, "r")->reply_id, 202);
	ck_assert_uint_eq(s.nroutines, 4);
}
END_TEST

START_TEST(test_parse_routine_arguments_keep_direction_and_order)
{
	struct umig_spec s = parse("routine r(p : port_t; in a : int; out b : int;"
				   " inout c : int; sreplyport d : port_t;"
				   " msgseqno e : int; waittime f : int;"
				   " msgoption g : int; ureplyport h : port_t;"
				   " replyport i : port_t; requestport j : port_t);");
	const struct umig_routine *r = s.routines;
	enum umig_arg_kind want[] = {
		UMIG_ARG_IN, UMIG_ARG_IN, UMIG_ARG_OUT, UMIG_ARG_INOUT,
		UMIG_ARG_SREPLYPORT, UMIG_ARG_MSGSEQNO, UMIG_ARG_WAITTIME,
		UMIG_ARG_MSGOPTION, UMIG_ARG_UREPLYPORT, UMIG_ARG_REPLYPORT,
		UMIG_ARG_REQUESTPORT,
	};
	const struct umig_arg *a = r->args;

	ck_assert_int_eq(diag.errors, 0);
	ck_assert_uint_eq(r->nargs, 11);
	ck_assert(!a->kind_given);
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++, a = a->next)
		ck_assert_int_eq(a->kind, want[k]);
	ck_assert_str_eq(r->args->next->next->name, "b");
}
END_TEST

START_TEST(test_parse_routine_kinds_include_the_old_ones)
{
	struct umig_spec s = parse("simpleroutine a(p : x); procedure b(p : x);"
				   " simpleprocedure c(p : x); camelotroutine d(p : x);"
				   " function e(p : x) : int;");
	const struct umig_routine *r = s.routines;

	ck_assert_int_eq(r->kind, UMIG_R_SIMPLEROUTINE);
	ck_assert_int_eq(r->next->kind, UMIG_R_PROCEDURE);
	ck_assert_int_eq(r->next->next->kind, UMIG_R_SIMPLEPROCEDURE);
	ck_assert_int_eq(r->next->next->next->kind, UMIG_R_CAMELOTROUTINE);
	ck_assert_str_eq(r->next->next->next->next->ret->ref, "int");
	ck_assert_int_eq(diag.errors, 0);
}
END_TEST

START_TEST(test_parse_type_tuple_reads_name_bits_and_dealloc)
{
	struct umig_spec s = parse("type t = (MSG_TYPE_STRING, 640, dealloc);");
	const struct umig_type *t = s.types;

	ck_assert_int_eq(t->kind, UMIG_T_BASIC);
	ck_assert_str_eq(t->in_ipc.sym, "MSG_TYPE_STRING");
	ck_assert(t->has_bits);
	ck_assert_uint_eq(t->count, 640);
	ck_assert_int_eq(t->dealloc, UMIG_DEALLOC_YES);
}
END_TEST

START_TEST(test_parse_message_type_names_come_in_both_dialects_and_numbers)
{
	struct umig_spec s = parse("type a = MSG_TYPE_PORT; type b = MACH_MSG_TYPE_MAKE_SEND;"
				   " type c = 2; type d = (19, 32);");

	ck_assert_uint_eq(type_named(&s, "a")->in_ipc.value, 6);
	ck_assert(!type_named(&s, "a")->in_ipc.mach3);
	ck_assert_int_eq(type_named(&s, "a")->in_ipc.cls, UMIG_IPC_PORT_SEND);
	ck_assert_uint_eq(type_named(&s, "b")->in_ipc.value, 20);
	ck_assert(type_named(&s, "b")->in_ipc.mach3);
	ck_assert_uint_eq(type_named(&s, "c")->in_ipc.value, 2);
	ck_assert_int_eq(type_named(&s, "c")->in_ipc.cls, UMIG_IPC_DATA);
	ck_assert_int_eq(type_named(&s, "d")->in_ipc.cls, UMIG_IPC_PORT_SEND);
}
END_TEST

START_TEST(test_parse_polymorphic_pair_keeps_sent_and_received_names)
{
	struct umig_spec s = parse("type r = MACH_MSG_TYPE_MAKE_SEND_ONCE | polymorphic;"
				   " type q = polymorphic|MACH_MSG_TYPE_PORT_SEND_ONCE;");

	ck_assert_uint_eq(type_named(&s, "r")->in_ipc.value, 21);
	ck_assert_int_eq(type_named(&s, "r")->out_ipc.cls, UMIG_IPC_POLYMORPHIC);
	ck_assert_int_eq(type_named(&s, "q")->in_ipc.cls, UMIG_IPC_POLYMORPHIC);
	ck_assert_uint_eq(type_named(&s, "q")->out_ipc.value, 18);
}
END_TEST

START_TEST(test_parse_array_forms_set_bounds_and_out_of_line)
{
	struct umig_spec s = parse("type a = array[] of int; type b = array[*] of int;"
				   " type c = array[*:1024] of int; type d = array[8] of int;"
				   " type e = ^array[] of MACH_MSG_TYPE_BYTE;");
	const struct umig_type *c = type_named(&s, "c"), *d = type_named(&s, "d");

	ck_assert(!type_named(&s, "a")->has_max && !type_named(&s, "a")->bounded);
	ck_assert(!type_named(&s, "b")->has_max && type_named(&s, "b")->bounded);
	ck_assert(c->bounded && c->has_max && c->count == 1024);
	ck_assert(!d->bounded && d->has_max && d->count == 8);
	ck_assert(type_named(&s, "e")->ool);
	ck_assert_str_eq(c->elem->ref, "int");
	ck_assert_int_eq(diag.errors, 0);
}
END_TEST

START_TEST(test_parse_c_string_forms)
{
	struct umig_spec s = parse("type a = c_string[64]; type b = c_string[*:32];");

	ck_assert_int_eq(type_named(&s, "a")->kind, UMIG_T_CSTRING);
	ck_assert(!type_named(&s, "a")->bounded);
	ck_assert(type_named(&s, "b")->bounded);
	ck_assert_uint_eq(type_named(&s, "b")->count, 32);
}
END_TEST

START_TEST(test_parse_struct_of_and_struct_with_fields)
{
	struct umig_spec s = parse("type a = struct[13] of int;"
				   " type b = struct { int x; short y; };");
	const struct umig_type *b = type_named(&s, "b");

	ck_assert_int_eq(type_named(&s, "a")->kind, UMIG_T_STRUCT_OF);
	ck_assert_uint_eq(type_named(&s, "a")->count, 13);
	ck_assert_int_eq(b->kind, UMIG_T_STRUCT_FIELDS);
	ck_assert_str_eq(b->fields->name, "x");
	ck_assert_str_eq(b->fields->next->type->ref, "short");
}
END_TEST

START_TEST(test_parse_type_options_are_all_kept)
{
	struct umig_spec s = parse("type t = mach_port_t ctype: task_t cusertype: u_t"
				   " cservertype: s_t intran: task_t conv(mach_port_t)"
				   " outtran: mach_port_t back(task_t)"
				   " destructor: drop(task_t)"
				   " intranpayload: task_t from_payload;");
	const struct umig_type *t = s.types;

	ck_assert_int_eq(diag.errors, 0);
	ck_assert_str_eq(t->ctype, "task_t");
	ck_assert_str_eq(t->cusertype, "u_t");
	ck_assert_str_eq(t->cservertype, "s_t");
	ck_assert_str_eq(t->intran.func, "conv");
	ck_assert_str_eq(t->intran.arg_type, "mach_port_t");
	ck_assert_str_eq(t->outtran.type, "mach_port_t");
	ck_assert_str_eq(t->destructor.func, "drop");
	ck_assert_str_eq(t->payload.func, "from_payload");
}
END_TEST

START_TEST(test_parse_argument_flags)
{
	struct umig_spec s = parse("routine r(p : x; a : y, Dealloc[]; b : y, NotDealloc;"
				   " c : y, serverCopy; out d : y, CountInOut, Dealloc);");
	const struct umig_arg *a = s.routines->args->next;

	ck_assert_int_eq(a->dealloc, UMIG_DEALLOC_VAR);
	ck_assert_int_eq(a->next->dealloc, UMIG_DEALLOC_NOT);
	ck_assert(a->next->dealloc_given);
	ck_assert(a->next->next->servercopy);
	ck_assert(a->next->next->next->countinout);
	ck_assert_int_eq(a->next->next->next->dealloc, UMIG_DEALLOC_YES);
}
END_TEST

START_TEST(test_parse_inline_named_argument_type_is_declared)
{
	struct umig_spec s = front("subsystem t 1;\nroutine r(p : pt = MACH_MSG_TYPE_COPY_SEND"
				   " ctype: mach_port_t; q : pt);");

	ck_assert_int_eq(diag.errors, 0);
	ck_assert_str_eq(type_named(&s, "pt")->ctype, "mach_port_t");
	ck_assert_str_eq(s.routines->args->next->type->c_user, "mach_port_t");
}
END_TEST

START_TEST(test_parse_prefixes_apply_to_later_routines_only)
{
	struct umig_spec s = parse("routine a(p : x); serverprefix do_; userprefix u_;"
				   " routine b(p : x); waittime 500; msgtype 4; error err;"
				   " routine c(p : x);");
	const struct umig_routine *a = s.routines, *b = a->next, *c = b->next;

	ck_assert_str_eq(a->server_name, "a");
	ck_assert_str_eq(b->server_name, "do_b");
	ck_assert_str_eq(b->user_name, "u_b");
	ck_assert_ptr_null(b->waittime);
	ck_assert_str_eq(c->waittime, "500");
	ck_assert_str_eq(c->msgtype, "4");
	ck_assert_str_eq(c->error_proc, "err");
}
END_TEST

START_TEST(test_parse_imports_rcsid_and_demux_are_recorded)
{
	struct umig_spec s = parse("import <a.h>; uimport \"b.h\"; simport <c.h>;"
				   " rcsid \"$Id$\"; serverdemux my_server;");

	ck_assert_int_eq(s.imports->kind, UMIG_IMPORT_BOTH);
	ck_assert_str_eq(s.imports->file, "<a.h>");
	ck_assert_int_eq(s.imports->next->kind, UMIG_IMPORT_USER);
	ck_assert_int_eq(s.imports->next->next->kind, UMIG_IMPORT_SERVER);
	ck_assert_str_eq(s.rcsid, "\"$Id$\"");
	ck_assert_str_eq(s.server_demux, "my_server");
}
END_TEST

START_TEST(test_parse_syntax_errors_report_line_col_and_continue)
{
	struct umig_spec s = parse("routine a(p : x out q : y);\ntype t = ;\n"
				   "routine b(p : x);");

	ck_assert_int_eq(diag.errors, 2);
	ck_assert_reported("t.defs:1:17: error: expected ';' or ')' after the argument, found 'out'");
	ck_assert_reported("t.defs:2:10: error: expected a type, found ';'");
	ck_assert_ptr_nonnull(routine_named(&s, "b"));
}
END_TEST

START_TEST(test_parse_keyword_that_cannot_start_a_statement_is_an_error)
{
	parse("subsystem s 1;\nout x;");
	ck_assert_reported("t.defs:2:1: error: 'out' cannot start a statement");
}
END_TEST

START_TEST(test_parse_identifier_at_top_level_is_an_error)
{
	parse("hello;");
	ck_assert_reported("t.defs:1:1: error: expected a statement (subsystem, routine, type, ...), found 'hello'");
}
END_TEST

START_TEST(test_parse_division_by_zero_is_an_error)
{
	parse("subsystem s 10/(5-5);");
	ck_assert_reported("t.defs:1:15: error: division by zero");
}
END_TEST

START_TEST(test_parse_missing_semicolon_at_end_is_reported)
{
	parse("subsystem s 1");
	ck_assert_reported("t.defs:1:14: error: expected ';' after the subsystem base, found end of input");
}
END_TEST

START_TEST(test_parse_function_without_return_type_is_reported_once)
{
	front(HEAD "function f(p : port_t) : ;");
	ck_assert_int_eq(diag.errors, 1);
	ck_assert_reported("t.defs:3:26: error: expected a return type, found ';'");
}
END_TEST

/* ---- Checker ---- */

START_TEST(test_check_undefined_type_is_reported_at_its_use)
{
	front(HEAD "routine r(p : port_t;\n  a : nope_t);");
	ck_assert_int_eq(diag.errors, 1);
	ck_assert_reported("t.defs:4:7: error: undefined type 'nope_t'");
}
END_TEST

START_TEST(test_check_type_used_before_its_declaration_is_undefined)
{
	front("subsystem t 1;\ntype a = b;\ntype b = int;");
	ck_assert_reported("t.defs:2:10: error: undefined type 'b'");
}
END_TEST

START_TEST(test_check_duplicate_routine_names_are_reported)
{
	front(HEAD "routine r(p : port_t);\nroutine r(p : port_t);");
	ck_assert_reported("t.defs:4:9: error: routine 'r' already defined at line 3");
}
END_TEST

START_TEST(test_check_missing_subsystem_is_reported)
{
	front(PORT "routine r(p : port_t);\n");
	ck_assert_int_eq(diag.errors, 1);
	ck_assert_reported("t.defs:3:1: error: no subsystem declared");
}
END_TEST

START_TEST(test_check_zero_array_bound_is_an_error)
{
	front(HEAD "type a = array[*:0] of int;\ntype b = struct[0] of int;");
	ck_assert_reported("t.defs:3:10: error: array bound must be positive");
	ck_assert_reported("t.defs:4:10: error: struct bound must be positive");
}
END_TEST

START_TEST(test_check_huge_inline_array_is_an_error)
{
	front(HEAD "type a = array[*:1000000] of int;\ntype b = ^array[*:1000000] of int;");
	ck_assert_int_eq(diag.errors, 1);
	ck_assert_reported("t.defs:3:10: error: inline data of 4000000 bytes exceeds");
}
END_TEST

START_TEST(test_check_variable_array_of_variable_arrays_is_an_error)
{
	front(HEAD "type a = array[] of array[] of int;");
	ck_assert_reported("t.defs:3:10: error: element type of array must have a fixed size");
}
END_TEST

START_TEST(test_check_requestport_not_first_is_an_error)
{
	front(HEAD "routine r(a : port_t;\n requestport p : port_t);");
	ck_assert_reported("t.defs:4:2: error: requestport 'p' must be the first argument of 'r'");
}
END_TEST

START_TEST(test_check_first_argument_out_is_an_error)
{
	front(HEAD "routine r(out p : port_t);");
	ck_assert_reported("t.defs:3:11: error: first argument 'p' of 'r' must be the request port");
}
END_TEST

START_TEST(test_check_request_port_must_be_a_port)
{
	front(HEAD "routine r(p : int);");
	ck_assert_reported("t.defs:3:11: error: request port 'p' must have a port type");
}
END_TEST

START_TEST(test_check_routine_without_arguments_is_an_error)
{
	front(HEAD "routine r();");
	ck_assert_reported("t.defs:3:9: error: 'r' has no arguments");
}
END_TEST

START_TEST(test_check_simpleroutine_with_out_argument_is_an_error)
{
	front(HEAD "simpleroutine r(p : port_t; out x : int);");
	ck_assert_reported("t.defs:3:29: error: simpleroutine 'r' cannot have out argument 'x'");
}
END_TEST

START_TEST(test_check_countinout_needs_a_variable_array)
{
	front(HEAD "routine r(p : port_t; out x : int, CountInOut);");
	ck_assert_reported("t.defs:3:23: error: CountInOut on 'x' needs an out argument of variable-size array type");
}
END_TEST

START_TEST(test_check_dealloc_on_inline_scalar_is_an_error)
{
	front(HEAD "routine r(p : port_t; x : int, dealloc);");
	ck_assert_reported("t.defs:3:23: error: dealloc on 'x' needs out-of-line data or a port right");
}
END_TEST

START_TEST(test_check_servercopy_on_out_argument_is_an_error)
{
	front(HEAD "type b = ^array[] of char;\nroutine r(p : port_t; out x : b, servercopy);");
	ck_assert_reported("t.defs:4:23: error: servercopy on 'x' needs an in argument");
}
END_TEST

START_TEST(test_check_two_reply_ports_are_an_error)
{
	front(HEAD "routine r(p : port_t; replyport a : port_t;\n sreplyport b : port_t);");
	ck_assert_reported("t.defs:4:2: error: 'r' has more than one reply port argument");
}
END_TEST

START_TEST(test_check_duplicate_argument_names_are_an_error)
{
	front(HEAD "routine r(p : port_t; x : int; x : int);");
	ck_assert_reported("t.defs:3:32: error: duplicate argument 'x' in 'r'");
}
END_TEST

START_TEST(test_check_string_type_without_size_is_an_error)
{
	front(HEAD "type s = MACH_MSG_TYPE_STRING;");
	ck_assert_reported("t.defs:3:10: error: message type MACH_MSG_TYPE_STRING needs a size");
}
END_TEST

START_TEST(test_check_port_of_wrong_size_is_an_error)
{
	front(HEAD "type q = (MACH_MSG_TYPE_COPY_SEND, 16);");
	ck_assert_reported("t.defs:3:10: error: port types must be 32 bits, not 16");
}
END_TEST

START_TEST(test_check_message_id_out_of_range_is_an_error)
{
	front("subsystem t 2147483600;\n" PORT "routine r(p : port_t);");
	ck_assert_reported("t.defs:3:9: error: message id 2147483600 is out of range");
}
END_TEST

START_TEST(test_check_keeps_going_and_reports_every_error)
{
	front(PORT "type a = nope;\nroutine r(p : port_t; x : int; x : int);\n"
	      "routine r(p : port_t);");
	ck_assert_int_eq(diag.errors, 4);
}
END_TEST

START_TEST(test_check_resolves_layout_of_arrays_structs_and_strings)
{
	struct umig_spec s = front(HEAD "type v = array[*:1024] of int;\n"
				   "type o = ^array[] of MACH_MSG_TYPE_BYTE;\n"
				   "type st = struct { int64 a; int b; };\n"
				   "type n = (MACH_MSG_TYPE_STRING_C, 8*128);\n"
				   "type cs = c_string[*:64];\n");
	const struct umig_type *v = type_named(&s, "v"), *o = type_named(&s, "o");
	const struct umig_type *st = type_named(&s, "st"), *n = type_named(&s, "n");

	ck_assert_int_eq(diag.errors, 0);
	ck_assert(v->variable && !v->indefinite && !v->is_ool);
	ck_assert_uint_eq(v->number, 1024);
	ck_assert_uint_eq(v->elem_bits, 32);
	ck_assert(o->variable && o->indefinite && o->is_ool);
	ck_assert_uint_eq(o->elem_bits, 8);
	ck_assert(st->is_struct);
	ck_assert_uint_eq(st->number, 3);       // 96 bits = 3 words
	ck_assert(n->is_string && n->number == 128 && n->elem_bits == 8);
	ck_assert(type_named(&s, "cs")->is_string && type_named(&s, "cs")->variable);
}
END_TEST

START_TEST(test_check_port_names_change_in_transit)
{
	struct umig_spec s = front(HEAD "type m = MACH_MSG_TYPE_MAKE_SEND_ONCE;\n");

	ck_assert_uint_eq(type_named(&s, "port_t")->r_out.value, 17);
	ck_assert_str_eq(type_named(&s, "m")->r_out.sym, "MACH_MSG_TYPE_PORT_SEND_ONCE");
}
END_TEST

START_TEST(test_check_c_types_follow_ctype_and_names)
{
	struct umig_spec s = front(HEAD "type nat = int;\ntype task = port_t ctype: mach_port_t;\n"
				   "type sp = int cusertype: u_t cservertype: s_t;\n"
				   "routine r(p : task; a : nat; b : sp);");
	const struct umig_arg *a = s.routines->args;

	ck_assert_int_eq(diag.errors, 0);
	ck_assert_str_eq(a->type->c_user, "mach_port_t");
	ck_assert_str_eq(a->next->type->c_user, "nat");
	ck_assert_str_eq(a->next->next->type->c_user, "u_t");
	ck_assert_str_eq(a->next->next->type->c_server, "s_t");
	ck_assert_int_eq(a->kind, UMIG_ARG_REQUESTPORT);
}
END_TEST

/* ---- -list writer ---- */

static char *list_of(const struct umig_spec *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert(emit_list(s, f));
	fclose(f);
	return buf;
}

START_TEST(test_list_prints_one_line_per_routine_counting_skips)
{
	struct umig_spec s = front("subsystem mach 2000;\n" PORT "skip;\n"
				   "routine vm_allocate(p : port_t);\nskip;\n"
				   "simpleroutine ping(p : port_t);");
	char *out = list_of(&s);

	ck_assert_str_eq(out, "mach vm_allocate 1 2001 2101\nmach ping 3 2003 2103\n");
	free(out);
}
END_TEST

START_TEST(test_list_of_subsystem_without_routines_is_empty)
{
	struct umig_spec s = front("subsystem e 1; skip;");
	char *out = list_of(&s);

	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

static Suite *umig_parse_suite(void)
{
	Suite *s = suite_create("umig_parse");
	TCase *lx = tcase_create("lex"), *ps = tcase_create("parse");
	TCase *ck = tcase_create("check"), *ls = tcase_create("list");
	TCase *all[] = { lx, ps, ck, ls };

	for (size_t k = 0; k < 4; k++) {
		tcase_add_checked_fixture(all[k], setup, teardown);
		suite_add_tcase(s, all[k]);
	}
	tcase_add_test(lx, test_lex_keywords_match_without_regard_to_case);
	tcase_add_test(lx, test_lex_identifiers_that_contain_keywords_stay_identifiers);
	tcase_add_test(lx, test_lex_skips_block_and_line_comments_and_counts_lines);
	tcase_add_test(lx, test_lex_reads_decimal_numbers);
	tcase_add_test(lx, test_lex_number_too_large_is_an_error);
	tcase_add_test(lx, test_lex_hex_number_is_an_error);
	tcase_add_test(lx, test_lex_string_and_import_file_names);
	tcase_add_test(lx, test_lex_unterminated_string_is_an_error);
	tcase_add_test(lx, test_lex_line_marker_sets_file_and_line);
	tcase_add_test(lx, test_lex_line_numbers_stop_at_int_max);
	tcase_add_test(lx, test_lex_unterminated_comment_is_reported_where_it_starts);
	tcase_add_test(lx, test_lex_stray_character_is_reported_with_column);
	tcase_add_test(lx, test_lex_unknown_directive_is_an_error);
	tcase_add_test(lx, test_lex_punctuation_is_one_token_each);
	tcase_add_test(ps, test_parse_subsystem_reads_modifiers_name_and_base);
	tcase_add_test(ps, test_parse_second_subsystem_is_an_error);
	tcase_add_test(ps, test_parse_skip_advances_routine_index);
	tcase_add_test(ps, test_parse_routine_arguments_keep_direction_and_order);
	tcase_add_test(ps, test_parse_routine_kinds_include_the_old_ones);
	tcase_add_test(ps, test_parse_type_tuple_reads_name_bits_and_dealloc);
	tcase_add_test(ps, test_parse_message_type_names_come_in_both_dialects_and_numbers);
	tcase_add_test(ps, test_parse_polymorphic_pair_keeps_sent_and_received_names);
	tcase_add_test(ps, test_parse_array_forms_set_bounds_and_out_of_line);
	tcase_add_test(ps, test_parse_c_string_forms);
	tcase_add_test(ps, test_parse_struct_of_and_struct_with_fields);
	tcase_add_test(ps, test_parse_type_options_are_all_kept);
	tcase_add_test(ps, test_parse_argument_flags);
	tcase_add_test(ps, test_parse_inline_named_argument_type_is_declared);
	tcase_add_test(ps, test_parse_prefixes_apply_to_later_routines_only);
	tcase_add_test(ps, test_parse_imports_rcsid_and_demux_are_recorded);
	tcase_add_test(ps, test_parse_syntax_errors_report_line_col_and_continue);
	tcase_add_test(ps, test_parse_keyword_that_cannot_start_a_statement_is_an_error);
	tcase_add_test(ps, test_parse_identifier_at_top_level_is_an_error);
	tcase_add_test(ps, test_parse_division_by_zero_is_an_error);
	tcase_add_test(ps, test_parse_missing_semicolon_at_end_is_reported);
	tcase_add_test(ps, test_parse_function_without_return_type_is_reported_once);
	tcase_add_test(ck, test_check_undefined_type_is_reported_at_its_use);
	tcase_add_test(ck, test_check_type_used_before_its_declaration_is_undefined);
	tcase_add_test(ck, test_check_duplicate_routine_names_are_reported);
	tcase_add_test(ck, test_check_missing_subsystem_is_reported);
	tcase_add_test(ck, test_check_zero_array_bound_is_an_error);
	tcase_add_test(ck, test_check_huge_inline_array_is_an_error);
	tcase_add_test(ck, test_check_variable_array_of_variable_arrays_is_an_error);
	tcase_add_test(ck, test_check_requestport_not_first_is_an_error);
	tcase_add_test(ck, test_check_first_argument_out_is_an_error);
	tcase_add_test(ck, test_check_request_port_must_be_a_port);
	tcase_add_test(ck, test_check_routine_without_arguments_is_an_error);
	tcase_add_test(ck, test_check_simpleroutine_with_out_argument_is_an_error);
	tcase_add_test(ck, test_check_countinout_needs_a_variable_array);
	tcase_add_test(ck, test_check_dealloc_on_inline_scalar_is_an_error);
	tcase_add_test(ck, test_check_servercopy_on_out_argument_is_an_error);
	tcase_add_test(ck, test_check_two_reply_ports_are_an_error);
	tcase_add_test(ck, test_check_duplicate_argument_names_are_an_error);
	tcase_add_test(ck, test_check_string_type_without_size_is_an_error);
	tcase_add_test(ck, test_check_port_of_wrong_size_is_an_error);
	tcase_add_test(ck, test_check_message_id_out_of_range_is_an_error);
	tcase_add_test(ck, test_check_keeps_going_and_reports_every_error);
	tcase_add_test(ck, test_check_resolves_layout_of_arrays_structs_and_strings);
	tcase_add_test(ck, test_check_port_names_change_in_transit);
	tcase_add_test(ck, test_check_c_types_follow_ctype_and_names);
	tcase_add_test(ls, test_list_prints_one_line_per_routine_counting_skips);
	tcase_add_test(ls, test_list_of_subsystem_without_routines_is_empty);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(umig_parse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
