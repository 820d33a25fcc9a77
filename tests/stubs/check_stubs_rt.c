/*
 * Round trips through umig-generated code and a live umachd: the client
 * stubs of tests/stubs/rt.defs (rtUser.c) call a server process that runs
 * the generated demux (rtServer.c) over the srv_* functions below.  One
 * routine per type category, then the forced errors: MIG_BAD_ID,
 * MIG_BAD_ARGUMENTS, MIG_TYPE_ERROR, MIG_REPLY_MISMATCH,
 * MIG_ARRAY_TOO_LARGE and a server that dies in mid-call, out-of-line
 * arrays and receive, ownership and all rights in both directions.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <servers/netname.h>
#include "harness.h"
#include "rt.h"
#include "rtServer.h"

enum mode { GOOD, WRONG_ID, WRONG_TYPE, DIE };

static pid_t srv;
static port_t rt;

/* ---- The server (a child process) ---- */

static int noted_v;

struct rt_obj { int v; };
static struct rt_obj objs[2];

rt_obj_t rt_obj_in(int v) { objs[0].v = v; return &objs[0]; }
int rt_obj_out(rt_obj_t o) { return o->v; }
void rt_obj_free(rt_obj_t o) { o->v = -1; }

kern_return_t srv_add(port_t s, int a, int b, int *sum)
{
	(void)s;
	*sum = a + b;
	return KERN_SUCCESS;
}

kern_return_t srv_negate16(port_t s, short a, short *b)
{
	(void)s;
	*b = (short)-a;
	return KERN_SUCCESS;
}

kern_return_t srv_upcase(port_t s, char *n, char *up)
{
	(void)s;
	for (size_t i = 0; i < sizeof(rt_name_t); i++)
		up[i] = (n[i] >= 'a' && n[i] <= 'z') ? (char)(n[i] - 32) : n[i];
	return KERN_SUCCESS;
}

kern_return_t srv_reverse(port_t s, char *str, int *len, char *rev)
{
	size_t n = strlen(str);

	(void)s;
	for (size_t i = 0; i < n; i++)
		rev[i] = str[n - 1 - i];
	rev[n] = '\0';
	*len = (int)n;
	return KERN_SUCCESS;
}

kern_return_t srv_swap(port_t s, rt_point_t p, rt_point_t *q)
{
	(void)s;
	q->x = p.y;
	q->y = p.x;
	return KERN_SUCCESS;
}

kern_return_t srv_twice(port_t s, int *v, int *w)
{
	(void)s;
	for (int i = 0; i < 4; i++)
		w[i] = 2 * v[i];
	return KERN_SUCCESS;
}

kern_return_t srv_scale(port_t s, int factor, int *values,
			unsigned int *valuesCnt)
{
	(void)s;
	for (unsigned int i = 0; i < *valuesCnt; i++)
		values[i] *= factor;
	if (*valuesCnt < 16)
		values[(*valuesCnt)++] = factor;  // the reply is one longer
	return KERN_SUCCESS;
}

kern_return_t srv_iota(port_t s, int n, int *values, unsigned int *valuesCnt)
{
	(void)s;
	if (n < 0 || n > 16)
		return KERN_INVALID_ARGUMENT;
	for (int i = 0; i < n; i++)
		values[i] = i;
	*valuesCnt = (unsigned int)n;    // may be more than the caller asked
	return KERN_SUCCESS;
}

kern_return_t srv_echo_port(port_t s, port_t p, port_t *same)
{
	(void)s;
	*same = p;
	return KERN_SUCCESS;
}

kern_return_t srv_new_port(port_t s, port_t *p)
{
	(void)s;
	return port_allocate(task_self(), p);
}

kern_return_t srv_keep_ports(port_t s, port_t *ps, unsigned int psCnt, int *n)
{
	(void)s;
	(void)ps;
	*n = (int)psCnt;
	return KERN_SUCCESS;
}

kern_return_t srv_note(port_t s, int v)
{
	(void)s;
	noted_v = v;
	return KERN_SUCCESS;
}

kern_return_t srv_noted(port_t s, int *v)
{
	(void)s;
	*v = noted_v;
	return KERN_SUCCESS;
}

kern_return_t srv_fail(port_t s, port_t p, int code)
{
	(void)s;
	(void)p;
	return code;
}

kern_return_t srv_names(port_t s, int *n)
{
	port_name_array_t names;
	port_type_array_t types;
	unsigned int nn, nt;
	kern_return_t r = port_names(task_self(), &names, &nn, &types, &nt);

	(void)s;
	if (r != KERN_SUCCESS)
		return r;
	vm_deallocate(task_self(), (vm_address_t)names, nn * sizeof *names);
	vm_deallocate(task_self(), (vm_address_t)types, nt * sizeof *types);
	*n = (int)nn;
	return KERN_SUCCESS;
}

kern_return_t srv_timed(port_t s, int v, int *w)
{
	(void)s;
	*w = v + 1;
	return KERN_SUCCESS;
}

kern_return_t srv_whoami(port_t s, port_t reply, int seq, int *same)
{
	(void)s;
	*same = (reply != PORT_NULL) * 10 + seq;
	return KERN_SUCCESS;
}

kern_return_t srv_translate(port_t s, rt_obj_t o, rt_obj_t *back)
{
	(void)s;
	objs[1].v = o->v * 10;
	*back = &objs[1];
	return KERN_SUCCESS;
}

kern_return_t srv_send_poly(port_t s, port_t p, unsigned int pPoly, int *got)
{
	(void)s;
	(void)p;
	*got = (int)pPoly;
	return KERN_SUCCESS;
}

kern_return_t srv_move_send(port_t s, port_t p)
{
	(void)s;
	(void)p;
	return KERN_SUCCESS;
}

kern_return_t srv_ool_sum(port_t s, char *data, unsigned int dataCnt, int *sum)
{
	(void)s;
	*sum = 0;
	for (unsigned int i = 0; i < dataCnt; i++)
		*sum += data[i];
	vm_deallocate(task_self(), (vm_address_t)data, dataCnt);
	return KERN_SUCCESS;
}

kern_return_t srv_ool_iota(port_t s, int n, char **data, unsigned int *dataCnt)
{
	vm_address_t a;
	kern_return_t r = vm_allocate(task_self(), &a, (vm_size_t)n, TRUE);

	(void)s;
	if (r != KERN_SUCCESS)
		return r;
	for (int i = 0; i < n; i++)
		((char *)a)[i] = (char)i;
	*data = (char *)a;
	*dataCnt = (unsigned int)n;
	return KERN_SUCCESS;
}

kern_return_t srv_give_receive(port_t s, port_t r)
{
	(void)s;
	return port_deallocate(task_self(), r);
}

kern_return_t srv_give_all(port_t s, port_t r)
{
	(void)s;
	return port_deallocate(task_self(), r);
}

kern_return_t srv_give_ownership(port_t s, port_t r)
{
	port_type_t type;

	(void)s;
	return port_type(task_self(), r, &type) == KERN_SUCCESS &&
	       (type == PORT_TYPE_OWN || type == PORT_TYPE_RECEIVE_OWN) ?
	       KERN_SUCCESS : KERN_FAILURE;
}

kern_return_t srv_scopy(port_t s, char *data, unsigned int dataCnt,
			boolean_t dataSCopy, int *n)
{
	(void)s;
	*n = (int)dataCnt + (dataSCopy ? 1000 : 0);
	vm_deallocate(task_self(), (vm_address_t)data, dataCnt);
	return KERN_SUCCESS;
}

kern_return_t srv_maybe_dealloc(port_t s, char *data, unsigned int dataCnt)
{
	(void)s;
	vm_deallocate(task_self(), (vm_address_t)data, dataCnt);
	return KERN_SUCCESS;
}

/* Misbehaves as the mode says after the demux filled in a reply. */
static int serve(void *arg)
{
	enum mode mode = (enum mode)(intptr_t)arg;
	static union { msg_header_t h; death_pill_t d; char raw[MSG_SIZE_MAX]; }
		in, out;
	port_t p;

	if (port_allocate(task_self(), &p) != KERN_SUCCESS ||
	    netname_check_in(name_server_port, "rt", PORT_NULL, p) != 0)
		return 10;
	for (;;) {
		in.h.msg_size = sizeof in;
		in.h.msg_local_port = p;
		if (msg_receive(&in.h, MSG_OPTION_NONE, 0) != RCV_SUCCESS)
			return 11;
		if (mode == DIE)
			_exit(0);
		rt_server(&in.h, &out.h);
		if (mode == WRONG_ID)
			out.h.msg_id++;
		if (mode == WRONG_TYPE && out.h.msg_size > sizeof out.d)
			out.raw[sizeof out.d] = MSG_TYPE_CHAR;  // first out item
		if (out.d.RetCode != MIG_NO_REPLY &&
		    out.h.msg_remote_port != PORT_NULL)
			msg_send(&out.h, MSG_OPTION_NONE, 0);
	}
}

/* ---- The client (this process) ---- */

static void start(enum mode mode)
{
	harness_start("textbook");
	srv = harness_spawn(serve, (void *)(intptr_t)mode);
	rt = harness_lookup("rt");
	ck_assert_int_ne(rt, PORT_NULL);
}

static void setup(void) { start(GOOD); }

static void teardown(void)
{
	kill(srv, SIGKILL);
	harness_wait(srv, 5000);
	harness_stop();
}

static port_t new_port(void)
{
	port_t p;

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	return p;
}

START_TEST(test_scalars_round_trip)
{
	int sum = 0;
	short b = 0;

	ck_assert_int_eq(rt_add(rt, 40, 2, &sum), KERN_SUCCESS);
	ck_assert_int_eq(sum, 42);
	ck_assert_int_eq(rt_add(rt, -7, -8, &sum), KERN_SUCCESS);
	ck_assert_int_eq(sum, -15);
	ck_assert_int_eq(rt_negate16(rt, 1234, &b), KERN_SUCCESS);
	ck_assert_int_eq(b, -1234);
}
END_TEST

START_TEST(test_fixed_strings_round_trip_and_are_truncated_to_79)
{
	rt_name_t up;
	char long_name[200];

	ck_assert_int_eq(rt_upcase(rt, "hello, mach", up), KERN_SUCCESS);
	ck_assert_str_eq(up, "HELLO, MACH");
	memset(long_name, 'x', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	ck_assert_int_eq(rt_upcase(rt, long_name, up), KERN_SUCCESS);
	ck_assert_uint_eq(strlen(up), 79);
	ck_assert_int_eq(up[0], 'X');
}
END_TEST

START_TEST(test_variable_c_strings_round_trip)
{
	char rev[64];
	int len = -1;

	ck_assert_int_eq(rt_reverse(rt, "stressed", &len, rev), KERN_SUCCESS);
	ck_assert_int_eq(len, 8);
	ck_assert_str_eq(rev, "desserts");
	ck_assert_int_eq(rt_reverse(rt, "", &len, rev), KERN_SUCCESS);
	ck_assert_int_eq(len, 0);
	ck_assert_str_eq(rev, "");
}
END_TEST

START_TEST(test_structs_round_trip)
{
	rt_point_t p = { 3, -4 }, q = { 0, 0 };

	ck_assert_int_eq(rt_swap(rt, p, &q), KERN_SUCCESS);
	ck_assert_int_eq(q.x, -4);
	ck_assert_int_eq(q.y, 3);
}
END_TEST

START_TEST(test_fixed_arrays_round_trip)
{
	rt_fixed_t v = { 1, 2, 3, -4 }, w = { 0 };

	ck_assert_int_eq(rt_twice(rt, v, w), KERN_SUCCESS);
	ck_assert_int_eq(w[0], 2);
	ck_assert_int_eq(w[3], -8);
}
END_TEST

START_TEST(test_variable_arrays_round_trip_inout)
{
	int values[16] = { 1, 2, 3 };
	unsigned int n = 3;

	ck_assert_int_eq(rt_scale(rt, 5, values, &n), KERN_SUCCESS);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(values[0], 5);
	ck_assert_int_eq(values[2], 15);
	ck_assert_int_eq(values[3], 5);
	n = 0;
	ck_assert_int_eq(rt_scale(rt, 7, values, &n), KERN_SUCCESS);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(values[0], 7);
}
END_TEST

START_TEST(test_variable_array_over_its_bound_is_refused_before_sending)
{
	int values[17] = { 0 };
	unsigned int n = 17;

	ck_assert_int_eq(rt_scale(rt, 2, values, &n), MIG_ARRAY_TOO_LARGE);
}
END_TEST

START_TEST(test_countinout_fills_the_callers_buffer)
{
	int values[16];
	unsigned int n = 16;

	ck_assert_int_eq(rt_iota(rt, 10, values, &n), KERN_SUCCESS);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(values[9], 9);
}
END_TEST

START_TEST(test_countinout_short_buffer_gets_array_too_large)
{
	int values[16] = { 0 };
	unsigned int n = 4;

	values[4] = 99;
	ck_assert_int_eq(rt_iota(rt, 10, values, &n), MIG_ARRAY_TOO_LARGE);
	ck_assert_uint_eq(n, 10);        // the real count
	ck_assert_int_eq(values[3], 3);  // what fits was copied
	ck_assert_int_eq(values[4], 99); // and nothing more
}
END_TEST

START_TEST(test_server_error_code_comes_back)
{
	int values[16];
	unsigned int n = 16;

	ck_assert_int_eq(rt_iota(rt, 17, values, &n), KERN_INVALID_ARGUMENT);
	ck_assert_uint_eq(n, 16);        // untouched
}
END_TEST

START_TEST(test_send_rights_travel_in_and_out)
{
	port_t mine = new_port(), same = PORT_NULL, theirs = PORT_NULL;
	port_type_t type;

	ck_assert_int_eq(rt_echo_port(rt, mine, &same), KERN_SUCCESS);
	ck_assert_int_eq(same, mine);    // our own right comes back to its name
	ck_assert_int_eq(rt_new_port(rt, &theirs), KERN_SUCCESS);
	ck_assert_int_ne(theirs, PORT_NULL);
	ck_assert_int_eq(port_type(task_self(), theirs, &type), KERN_SUCCESS);
	ck_assert_int_eq(type, PORT_TYPE_SEND);
}
END_TEST

START_TEST(test_arrays_of_send_rights_travel)
{
	port_t ps[3] = { new_port(), new_port(), new_port() };
	int n = 0;

	ck_assert_int_eq(rt_keep_ports(rt, ps, 3, &n), KERN_SUCCESS);
	ck_assert_int_eq(n, 3);
}
END_TEST

START_TEST(test_move_send_gives_the_right_away)
{
	port_t theirs = PORT_NULL;
	port_type_t type;

	ck_assert_int_eq(rt_new_port(rt, &theirs), KERN_SUCCESS);
	ck_assert_int_eq(rt_move_send(rt, theirs), KERN_SUCCESS);
	ck_assert_int_ne(port_type(task_self(), theirs, &type), KERN_SUCCESS);
}
END_TEST

START_TEST(test_polymorphic_argument_carries_its_type)
{
	int got = 0;

	ck_assert_int_eq(rt_send_poly(rt, new_port(), MSG_TYPE_PORT, &got),
			 KERN_SUCCESS);
	ck_assert_int_eq(got, MSG_TYPE_PORT);
	/* A Mach 3 disposition (COPY_SEND) travels as its Mach 2.5 name. */
	ck_assert_int_eq(rt_send_poly(rt, new_port(), 19, &got), KERN_SUCCESS);
	ck_assert_int_eq(got, MSG_TYPE_PORT);
}
END_TEST

START_TEST(test_simpleroutine_is_one_way)
{
	int v = 0;

	ck_assert_int_eq(rt_note(rt, 77), SEND_SUCCESS);
	ck_assert_int_eq(rt_noted(rt, &v), KERN_SUCCESS);
	ck_assert_int_eq(v, 77);
}
END_TEST

START_TEST(test_waittime_msgoption_sreplyport_msgseqno)
{
	int w = 0;

	ck_assert_int_eq(rt_timed(rt, 1000, MSG_OPTION_NONE, 41, &w), KERN_SUCCESS);
	ck_assert_int_eq(w, 42);
	ck_assert_int_eq(rt_whoami(rt, &w), KERN_SUCCESS);
	ck_assert_int_eq(w, 10);         // a reply port, sequence number 0
}
END_TEST

START_TEST(test_intran_outtran_destructor_translate_on_the_server)
{
	int back = 0;

	ck_assert_int_eq(rt_translate(rt, 6, &back), KERN_SUCCESS);
	ck_assert_int_eq(back, 60);
}
END_TEST

/* ---- Ownership and forced errors ---- */

static int server_names(void)
{
	int n = -1;

	ck_assert_int_eq(rt_names(rt, &n), KERN_SUCCESS);
	return n;
}

START_TEST(test_failed_routine_has_its_rights_freed_and_success_keeps_them)
{
	int before = server_names();
	port_t same;

	ck_assert_int_eq(rt_fail(rt, new_port(), KERN_FAILURE), KERN_FAILURE);
	ck_assert_int_eq(server_names(), before);
	ck_assert_int_eq(rt_fail(rt, new_port(), KERN_SUCCESS), KERN_SUCCESS);
	ck_assert_int_eq(server_names(), before + 1);
	ck_assert_int_eq(rt_echo_port(rt, new_port(), &same), KERN_SUCCESS);
	ck_assert_int_eq(server_names(), before + 2);
}
END_TEST

/* A hand-made request: header, then one (name, 32) item per word. */
struct raw {
	msg_header_t h;
	struct { msg_type_t t; int v; } item[3];
	char pad[64];
};

static int raw_simple = FALSE;

static int raw_rpc(int id, const unsigned int *names, const int *words,
		   int n, struct raw *m)
{
	memset(m, 0, sizeof *m);
	m->h.msg_simple = raw_simple;
	m->h.msg_size = (msg_size_t)(sizeof m->h + n * sizeof m->item[0]);
	m->h.msg_type = MSG_TYPE_NORMAL | MSG_TYPE_RPC;
	m->h.msg_remote_port = rt;
	m->h.msg_local_port = thread_reply();
	m->h.msg_id = id;
	for (int i = 0; i < n; i++) {
		m->item[i].t.msg_type_name = names[i];
		m->item[i].t.msg_type_size = 32;
		m->item[i].t.msg_type_number = 1;
		m->item[i].t.msg_type_inline = TRUE;
		m->item[i].v = words[i];
	}
	return msg_rpc(&m->h, MSG_OPTION_NONE, sizeof *m, 0, 0);
}

START_TEST(test_unknown_id_gets_mig_bad_id)
{
	struct raw m;
	unsigned int names[1] = { MSG_TYPE_INTEGER_32 };
	int words[1] = { 1 };

	ck_assert_int_eq(raw_rpc(4290, names, words, 1, &m), RPC_SUCCESS);
	ck_assert_int_eq(m.h.msg_id, 4390);
	ck_assert_int_eq(((death_pill_t *)&m)->RetCode, MIG_BAD_ID);
	/* The skipped slot (index 11) is no routine either. */
	ck_assert_int_eq(raw_rpc(4211, names, words, 1, &m), RPC_SUCCESS);
	ck_assert_int_eq(((death_pill_t *)&m)->RetCode, MIG_BAD_ID);
}
END_TEST

START_TEST(test_wrong_arguments_get_mig_bad_arguments_and_rights_freed)
{
	struct raw m;
	unsigned int wrong_type[2] = { MSG_TYPE_INTEGER_16, MSG_TYPE_INTEGER_32 };
	unsigned int three[3] = { MSG_TYPE_PORT, MSG_TYPE_INTEGER_32,
				  MSG_TYPE_INTEGER_32 };
	int words[3] = { 1, 2, 3 };
	int before = server_names();

	/* add(a, b) with a 16-bit type name on a. */
	ck_assert_int_eq(raw_rpc(4200, wrong_type, words, 2, &m), RPC_SUCCESS);
	ck_assert_int_eq(m.h.msg_id, 4300);
	ck_assert_int_eq(((death_pill_t *)&m)->RetCode, MIG_BAD_ARGUMENTS);
	/* add with one item too few. */
	ck_assert_int_eq(raw_rpc(4200, wrong_type + 1, words, 1, &m), RPC_SUCCESS);
	ck_assert_int_eq(((death_pill_t *)&m)->RetCode, MIG_BAD_ARGUMENTS);
	/* fail(p, code) with an extra item: the right in it is freed. */
	words[0] = new_port();
	ck_assert_int_eq(raw_rpc(4214, three, words, 3, &m), RPC_SUCCESS);
	ck_assert_int_eq(((death_pill_t *)&m)->RetCode, MIG_BAD_ARGUMENTS);
	ck_assert_int_eq(server_names(), before);
	/* echo_port(p) in a simple message: the kernel left p untranslated. */
	raw_simple = TRUE;
	ck_assert_int_eq(raw_rpc(4208, three, words, 1, &m), RPC_SUCCESS);
	raw_simple = FALSE;
	ck_assert_int_eq(((death_pill_t *)&m)->RetCode, MIG_BAD_ARGUMENTS);
	ck_assert_int_eq(server_names(), before);
	/* The same request, well formed, succeeds (the test can tell). */
	ck_assert_int_eq(raw_rpc(4208, three, words, 1, &m), RPC_SUCCESS);
	ck_assert_int_eq(((death_pill_t *)&m)->RetCode, KERN_SUCCESS);
}
END_TEST

static void setup_wrong_type(void) { start(WRONG_TYPE); }
static void setup_wrong_id(void) { start(WRONG_ID); }
static void setup_die(void) { start(DIE); }

START_TEST(test_reply_with_wrong_type_gets_mig_type_error)
{
	int sum = 0;

	ck_assert_int_eq(rt_add(rt, 1, 2, &sum), MIG_TYPE_ERROR);
	ck_assert_int_eq(sum, 0);
}
END_TEST

START_TEST(test_reply_with_wrong_id_gets_mig_reply_mismatch)
{
	int sum = 0;

	ck_assert_int_eq(rt_add(rt, 1, 2, &sum), MIG_REPLY_MISMATCH);
	ck_assert_int_eq(sum, 0);
}
END_TEST

START_TEST(test_server_dying_in_mid_call_fails_the_call)
{
	int w = 0;
	uint64_t t0 = harness_now_ms();

	/* The server exits holding the request; the stub's waittime bounds
	 * the wait for a reply that will never come. */
	ck_assert_int_eq(rt_timed(rt, 300, MSG_OPTION_NONE, 1, &w),
			 RCV_TIMED_OUT);
	ck_assert_int_eq(harness_wait(srv, 5000), 0);
	ck_assert_uint_lt(harness_now_ms() - t0, 5000);
	/* Its port died with it: the next call fails at once. */
	ck_assert_int_eq(rt_add(rt, 1, 2, &w), SEND_INVALID_PORT);
}
END_TEST

/* ---- Out-of-line arrays and receive/ownership rights ---- */

START_TEST(test_out_of_line_arrays_round_trip)
{
	char data[10000];
	char *back = NULL;
	unsigned int n = 0;
	int sum = 0;

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (char)(i % 3);
	ck_assert_int_eq(rt_ool_sum(rt, data, sizeof data, &sum), KERN_SUCCESS);
	ck_assert_int_eq(sum, 9999);
	ck_assert_int_eq(rt_ool_iota(rt, 100, &back, &n), KERN_SUCCESS);
	ck_assert_uint_eq(n, 100);
	ck_assert_int_eq(back[99], 99);
	vm_deallocate(task_self(), (vm_address_t)back, n);
}
END_TEST

START_TEST(test_receive_ownership_and_all_rights_travel)
{
	port_t r = new_port(), a = new_port();
	port_type_t type;

	ck_assert_int_eq(rt_give_receive(rt, r), KERN_SUCCESS);
	ck_assert_int_ne(port_type(task_self(), r, &type) == KERN_SUCCESS &&
			 type == PORT_TYPE_RECEIVE, 1);
	ck_assert_int_eq(rt_give_all(rt, a), KERN_SUCCESS);
	ck_assert_int_ne(port_type(task_self(), a, &type), KERN_SUCCESS);
	/* The server checks that it holds ownership of what it got. */
	ck_assert_int_eq(rt_give_ownership(rt, new_port()), KERN_SUCCESS);
}
END_TEST

START_TEST(test_servercopy_and_dealloc_flags_reach_the_message)
{
	vm_address_t a;
	int n = 0;

	ck_assert_int_eq(vm_allocate(task_self(), &a, 4096, TRUE), KERN_SUCCESS);
	ck_assert_int_eq(rt_scopy(rt, (char *)a, 4096, &n), KERN_SUCCESS);
	ck_assert_int_eq(n, 1000 + 4096);    // it came out of line
	ck_assert_int_eq(rt_maybe_dealloc(rt, (char *)a, 4096, TRUE),
			 SEND_SUCCESS);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("stubs_rt");
	TCase *tc = tcase_create("types");
	TCase *err = tcase_create("errors");
	TCase *ty = tcase_create("bad_reply_type");
	TCase *id = tcase_create("bad_reply_id");
	TCase *die = tcase_create("server_dies");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_scalars_round_trip);
	tcase_add_test(tc, test_fixed_strings_round_trip_and_are_truncated_to_79);
	tcase_add_test(tc, test_variable_c_strings_round_trip);
	tcase_add_test(tc, test_structs_round_trip);
	tcase_add_test(tc, test_fixed_arrays_round_trip);
	tcase_add_test(tc, test_variable_arrays_round_trip_inout);
	tcase_add_test(tc, test_variable_array_over_its_bound_is_refused_before_sending);
	tcase_add_test(tc, test_countinout_fills_the_callers_buffer);
	tcase_add_test(tc, test_countinout_short_buffer_gets_array_too_large);
	tcase_add_test(tc, test_server_error_code_comes_back);
	tcase_add_test(tc, test_send_rights_travel_in_and_out);
	tcase_add_test(tc, test_arrays_of_send_rights_travel);
	tcase_add_test(tc, test_move_send_gives_the_right_away);
	tcase_add_test(tc, test_polymorphic_argument_carries_its_type);
	tcase_add_test(tc, test_simpleroutine_is_one_way);
	tcase_add_test(tc, test_waittime_msgoption_sreplyport_msgseqno);
	tcase_add_test(tc, test_intran_outtran_destructor_translate_on_the_server);
	tcase_add_test(tc, test_out_of_line_arrays_round_trip);
	tcase_add_test(tc, test_receive_ownership_and_all_rights_travel);
	tcase_add_test(tc, test_servercopy_and_dealloc_flags_reach_the_message);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(err, setup, teardown);
	tcase_set_timeout(err, 30);
	tcase_add_test(err, test_failed_routine_has_its_rights_freed_and_success_keeps_them);
	tcase_add_test(err, test_unknown_id_gets_mig_bad_id);
	tcase_add_test(err, test_wrong_arguments_get_mig_bad_arguments_and_rights_freed);
	suite_add_tcase(s, err);
	tcase_add_checked_fixture(ty, setup_wrong_type, teardown);
	tcase_add_test(ty, test_reply_with_wrong_type_gets_mig_type_error);
	suite_add_tcase(s, ty);
	tcase_add_checked_fixture(id, setup_wrong_id, teardown);
	tcase_add_test(id, test_reply_with_wrong_id_gets_mig_reply_mismatch);
	suite_add_tcase(s, id);
	tcase_add_checked_fixture(die, setup_die, teardown);
	tcase_set_timeout(die, 30);
	tcase_add_test(die, test_server_dying_in_mid_call_fails_the_call);
	suite_add_tcase(s, die);
	return s;
}

int main(void)
{
	return harness_run(suite());
}
