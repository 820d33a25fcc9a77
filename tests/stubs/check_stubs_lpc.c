/*
 * One .defs (tests/stubs/lpcd.defs), two transports: the same demux serves
 * MIG's RPC stubs over a port and `umig -lpc` stubs over an LPC connection
 * (docs/umig.md, "LPC stubs"), and both give the same answers, a one-way
 * routine and a message over 256 bytes (through a section) included.
 */
#include <ctype.h>
#include <signal.h>
#include <string.h>

#include <check.h>
#include <servers/netname.h>
#include "harness.h"
#include "lpcd.h"
#include "lpcd_lpc.h"
#include "lpcdServer.h"

static int bumped;

kern_return_t srv_add(port_t server, int a, int b, int *sum)
{
	(void)server;
	*sum = a + b;
	return KERN_SUCCESS;
}

kern_return_t srv_bump(port_t server, int n)
{
	(void)server;
	bumped += n;
	return KERN_SUCCESS;
}

kern_return_t srv_total(port_t server, int *t)
{
	(void)server;
	*t = bumped;
	return KERN_SUCCESS;
}

kern_return_t srv_shout(port_t server, char *in, char *out)
{
	(void)server;
	size_t i;
	for (i = 0; i + 1 < sizeof(lpcd_text_t) && in[i]; i++)
		out[i] = (char)toupper((unsigned char)in[i]);
	out[i] = '\0';
	return KERN_SUCCESS;
}

/* The RPC server: a port checked in as "lpcd-rpc", MIG's demux. */
static int serve_rpc(void *arg)
{
	static union { msg_header_t h; death_pill_t d; char raw[MSG_SIZE_MAX]; }
		in, out;
	port_t p;

	(void)arg;
	if (port_allocate(task_self(), &p) != KERN_SUCCESS ||
	    netname_check_in(name_server_port, "lpcd-rpc", PORT_NULL, p) != 0)
		return 10;
	for (;;) {
		in.h.msg_size = sizeof in;
		in.h.msg_local_port = p;
		if (msg_receive(&in.h, RCV_TIMEOUT, 20000) != RCV_SUCCESS)
			return 11;
		lpcd_server(&in.h, &out.h);
		if (out.d.RetCode != MIG_NO_REPLY &&
		    out.h.msg_remote_port != PORT_NULL)
			msg_send(&out.h, MSG_OPTION_NONE, 0);
	}
}

/* The LPC server: the generated loop, until its one client has gone. */
static int serve_lpc(void *arg)
{
	(void)arg;
	return lpcd_lpc_serve("lpcd-lpc", 1) == KERN_SUCCESS ? 0 : 12;
}

static void setup(void) { harness_start("textbook"); }
static void teardown(void) { harness_stop(); }

START_TEST(test_the_same_defs_works_as_rpc_and_as_lpc)
{
	pid_t rpc = harness_spawn(serve_rpc, NULL);
	pid_t lpc = harness_spawn(serve_lpc, NULL);
	port_t p = harness_lookup("lpcd-rpc"), h = PORT_NULL;
	port_t l = harness_lookup("lpcd-lpc");
	lpcd_text_t in, out_rpc, out_lpc;
	int a = 0, b = 0;

	ck_assert_int_ne(p, PORT_NULL);
	ck_assert_int_ne(l, PORT_NULL);
	ck_assert_int_eq(lpcd_lpc_connect("lpcd-lpc", &h), KERN_SUCCESS);
	for (int i = 0; i < 100; i++) {
		ck_assert_int_eq(lpcd_add(p, i, 7, &a), KERN_SUCCESS);
		ck_assert_int_eq(lpcd_lpc_add(h, i, 7, &b), KERN_SUCCESS);
		ck_assert_int_eq(a, i + 7);
		ck_assert_int_eq(b, a);
	}
	ck_assert_int_eq(lpcd_bump(p, 3), KERN_SUCCESS);
	ck_assert_int_eq(lpcd_lpc_bump(h, 3), KERN_SUCCESS);
	ck_assert_int_eq(lpcd_lpc_bump(h, 4), KERN_SUCCESS);
	ck_assert_int_eq(lpcd_total(p, &a), KERN_SUCCESS);
	ck_assert_int_eq(lpcd_lpc_total(h, &b), KERN_SUCCESS);
	ck_assert_int_eq(a, 3);
	ck_assert_int_eq(b, 7);
	/* a request of more than 256 bytes goes through a section */
	memset(in, 'q', sizeof in);
	in[sizeof in - 1] = '\0';
	ck_assert_int_eq(lpcd_shout(p, in, out_rpc), KERN_SUCCESS);
	ck_assert_int_eq(lpcd_lpc_shout(h, in, out_lpc), KERN_SUCCESS);
	ck_assert_uint_eq(strlen(out_lpc), sizeof in - 1);
	ck_assert_str_eq(out_lpc, out_rpc);
	ck_assert_int_eq(out_lpc[0], 'Q');
	/* a port is no handle, a closed handle is none any more */
	ck_assert_int_eq(lpcd_lpc_add(p, 1, 2, &b), SEND_INVALID_PORT);
	lpcd_lpc_close(h);
	ck_assert_int_eq(lpcd_lpc_add(h, 1, 2, &b), SEND_INVALID_PORT);
	ck_assert_int_eq(harness_wait(lpc, 10000), 0);
	ck_assert_int_eq(lpcd_lpc_connect("lpcd-lpc", &h),
			 NETNAME_NOT_CHECKED_IN);
	kill(rpc, SIGKILL);
	harness_wait(rpc, 10000);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("stubs_lpc");
	TCase *tc = tcase_create("stubs_lpc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_the_same_defs_works_as_rpc_and_as_lpc);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(suite());
}
