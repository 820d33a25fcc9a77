/*
 * LPC (<umach/lpc.h>, docs/lpc.md) between real tasks: a scripted server in
 * a child process and clients in the test process (or in a child that
 * dies).  Connect, refuse, calls inline and through a 1 MiB section with
 * checked contents, a callback, a client's close and death as seen by the
 * server, a server that closes or goes away, and the argument errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <servers/netname.h>
#include <umach/lpc.h>
#include "harness.h"

#define NAME "lpc-test"
#define MIB (1024u * 1024u)

static void setup(void) { harness_start("textbook"); }
static void teardown(void) { harness_stop(); }

static uint8_t pattern(uint32_t i) { return (uint8_t)(i * 13 + 5); }

/* The server's answer to one request, by its first byte. */
static void serve(struct umach_lpc_msg *m, int closed, int *quit)
{
	const uint8_t *d = m->buf.data;
	size_t n = m->buf.len;
	char out[64];

	switch (n ? d[0] : 0) {
	case 'e':			/* echo */
		umach_lpc_reply(m, KERN_SUCCESS, d, n);
		return;
	case 'x': {			/* check a big pattern, answer it inverted */
		uint8_t *rep = malloc(n);
		kern_return_t st = rep != NULL ? KERN_SUCCESS : KERN_FAILURE;
		for (size_t i = 1; rep != NULL && i < n; i++) {
			if (d[i] != pattern((uint32_t)i))
				st = KERN_FAILURE;
			rep[i] = (uint8_t)(0xffu - d[i]);
		}
		if (rep != NULL)
			rep[0] = 'x';
		umach_lpc_reply(m, st, rep, n);
		free(rep);
		return;
	}
	case 'c': {			/* call the client back, answer with it */
		struct umach_lpc_buf cb;
		kern_return_t r = umach_lpc_call(m->conn, "ping", 4, &cb);
		int k = snprintf(out, sizeof out, "called:%d:%.*s", r,
				 r == KERN_SUCCESS ? (int)cb.len : 0,
				 r == KERN_SUCCESS ? (const char *)cb.data : "");
		if (r == KERN_SUCCESS)
			umach_lpc_buf_release(&cb);
		umach_lpc_reply(m, KERN_SUCCESS, out, (size_t)k);
		return;
	}
	case 'k':			/* close the connection, no answer */
		umach_lpc_buf_release(&m->buf);
		umach_lpc_close(m->conn);
		return;
	case 'n':			/* how many connections ended */
		snprintf(out, sizeof out, "%d", closed);
		umach_lpc_reply(m, KERN_SUCCESS, out, strlen(out));
		return;
	case 'q':			/* answer, then go away */
		*quit = 1;
		umach_lpc_reply(m, KERN_SUCCESS, "bye", 3);
		return;
	default:			/* an error status of our choosing */
		umach_lpc_reply(m, KERN_NOT_RECEIVER, NULL, 0);
	}
}

static int server_main(void *arg)
{
	struct umach_lpc_server *s;
	struct umach_lpc_msg m;
	struct umach_lpc_conn *c;
	int closed = 0, quit = 0;

	(void)arg;
	if (umach_lpc_server_create(NAME, &s) != KERN_SUCCESS)
		return 10;
	while (!quit) {
		if (umach_lpc_receive(s, &m, 20000) != KERN_SUCCESS)
			return 11;
		if (m.kind == UMACH_LPC_CONNECT) {
			if (m.buf.len == 2 && memcmp(m.buf.data, "no", 2) == 0)
				umach_lpc_refuse(s, &m);
			else if (umach_lpc_accept(s, &m, &c) != KERN_SUCCESS)
				return 12;
		} else if (m.kind == UMACH_LPC_CLOSED) {
			closed++;
			umach_lpc_close(m.conn);
		} else {
			serve(&m, closed, &quit);
		}
	}
	umach_lpc_server_destroy(s);
	return 0;
}

static pid_t start_server(void)
{
	pid_t pid = harness_spawn(server_main, NULL);
	port_t p = harness_lookup(NAME);

	ck_assert_int_ne(p, PORT_NULL);
	port_deallocate(task_self(), p);
	return pid;
}

static struct umach_lpc_conn *connect_ok(void)
{
	struct umach_lpc_conn *c = NULL;

	ck_assert_int_eq(umach_lpc_connect(NAME, "hi", 2, &c), KERN_SUCCESS);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* Make call data of a string and check the reply is want. */
static void call_expect(struct umach_lpc_conn *c, const char *req,
			const char *want)
{
	struct umach_lpc_buf rep;

	ck_assert_int_eq(umach_lpc_call(c, req, strlen(req), &rep),
			 KERN_SUCCESS);
	ck_assert_uint_eq(rep.len, strlen(want));
	ck_assert(memcmp(rep.data, want, rep.len) == 0);
	umach_lpc_buf_release(&rep);
}

static void quit_server(struct umach_lpc_conn *c, pid_t pid)
{
	call_expect(c, "q", "bye");
	umach_lpc_close(c);
	ck_assert_int_eq(harness_wait(pid, 10000), 0);
}

/* Ask the server until it has seen n connections end (or 5 s pass). */
static void wait_closed(struct umach_lpc_conn *c, int n)
{
	char want[16];
	struct umach_lpc_buf rep;
	uint64_t end = harness_now_ms() + 5000;

	snprintf(want, sizeof want, "%d", n);
	for (;;) {
		ck_assert_int_eq(umach_lpc_call(c, "n", 1, &rep), KERN_SUCCESS);
		int ok = rep.len == strlen(want) &&
			 memcmp(rep.data, want, rep.len) == 0;
		umach_lpc_buf_release(&rep);
		if (ok)
			return;
		ck_assert_msg(harness_now_ms() < end, "server saw no close");
		usleep(20000);
	}
}

START_TEST(test_connect_and_a_call_of_256_bytes_inline)
{
	pid_t pid = start_server();
	struct umach_lpc_conn *c = connect_ok();
	char req[UMACH_LPC_INLINE_MAX];
	struct umach_lpc_buf rep;

	memset(req, 'e', sizeof req);
	for (size_t i = 1; i < sizeof req; i++)
		req[i] = (char)('a' + i % 26);
	ck_assert_int_eq(umach_lpc_call(c, req, sizeof req, &rep),
			 KERN_SUCCESS);
	ck_assert_uint_eq(rep.len, sizeof req);
	ck_assert(memcmp(rep.data, req, sizeof req) == 0);
	ck_assert_uint_eq(rep.map, 0);	/* copied through the queue */
	umach_lpc_buf_release(&rep);
	/* many calls over one connection */
	for (int i = 0; i < 50; i++)
		call_expect(c, "echo", "echo");
	quit_server(c, pid);
}
END_TEST

START_TEST(test_the_server_can_refuse)
{
	pid_t pid = start_server();
	struct umach_lpc_conn *c = NULL;

	ck_assert_int_eq(umach_lpc_connect(NAME, "no", 2, &c), KERN_NO_ACCESS);
	ck_assert_ptr_null(c);
	quit_server(connect_ok(), pid);
}
END_TEST

START_TEST(test_a_1_mib_call_goes_through_a_section)
{
	pid_t pid = start_server();
	struct umach_lpc_conn *c = connect_ok();
	struct umach_lpc_buf rep;
	uint8_t *req = malloc(MIB);

	ck_assert_ptr_nonnull(req);
	for (uint32_t i = 0; i < MIB; i++)
		req[i] = pattern(i);
	req[0] = 'x';
	ck_assert_int_eq(umach_lpc_call(c, req, MIB, &rep), KERN_SUCCESS);
	ck_assert_uint_eq(rep.len, MIB);
	ck_assert_uint_ne(rep.map, 0);	/* a mapped section, not a copy */
	const uint8_t *d = rep.data;
	for (uint32_t i = 1; i < MIB; i++) {
		uint8_t want = (uint8_t)(0xffu - pattern(i));
		if (d[i] != want)
			ck_abort_msg("reply byte %u", i);
	}
	umach_lpc_buf_release(&rep);
	/* a corrupted byte is seen by the server */
	req[MIB / 2] ^= 1;
	ck_assert_int_eq(umach_lpc_call(c, req, MIB, &rep), KERN_FAILURE);
	free(req);
	quit_server(c, pid);
}
END_TEST

static kern_return_t pong(void *ctx, const struct umach_lpc_buf *req,
			  const void **out, size_t *out_len)
{
	int *calls = ctx;

	if (req->len != 4 || memcmp(req->data, "ping", 4) != 0)
		return KERN_FAILURE;
	(*calls)++;
	*out = "pong";
	*out_len = 4;
	return KERN_SUCCESS;
}

START_TEST(test_the_server_calls_the_client_back)
{
	pid_t pid = start_server();
	struct umach_lpc_conn *c = connect_ok();
	int calls = 0;

	/* without a handler the callback fails, the call does not */
	call_expect(c, "c", "called:5:");
	umach_lpc_set_handler(c, pong, &calls);
	call_expect(c, "c", "called:0:pong");
	ck_assert_int_eq(calls, 1);
	quit_server(c, pid);
}
END_TEST

static int dying_client(void *arg)
{
	struct umach_lpc_conn *c;

	(void)arg;
	kern_return_t r = umach_lpc_connect(NAME, NULL, 0, &c);
	if (r != KERN_SUCCESS) {
		fprintf(stderr, "dying_client: %d\n", r);
		return 10;
	}
	_exit(0);			/* no close: death says it */
}

START_TEST(test_a_clients_close_and_death_reach_the_server)
{
	pid_t pid = start_server();
	struct umach_lpc_conn *c = connect_ok();
	struct umach_lpc_conn *d = connect_ok();

	call_expect(c, "e1", "e1");
	umach_lpc_close(d);
	wait_closed(c, 1);
	ck_assert_int_eq(harness_wait(harness_spawn(dying_client, NULL),
				      10000), 0);
	wait_closed(c, 2);
	quit_server(c, pid);
}
END_TEST

START_TEST(test_a_server_that_closes_or_goes_away_is_send_invalid_port)
{
	pid_t pid = start_server();
	struct umach_lpc_conn *c = connect_ok();
	struct umach_lpc_conn *d = connect_ok();
	struct umach_lpc_buf rep;

	/* the server closes d while d waits for an answer */
	ck_assert_int_eq(umach_lpc_call(d, "k", 1, &rep), SEND_INVALID_PORT);
	ck_assert_int_eq(umach_lpc_call(d, "e", 1, &rep), SEND_INVALID_PORT);
	umach_lpc_close(d);
	/* an error status comes back as the call's return */
	ck_assert_int_eq(umach_lpc_call(c, "?", 1, &rep), KERN_NOT_RECEIVER);
	call_expect(c, "q", "bye");
	ck_assert_int_eq(harness_wait(pid, 10000), 0);
	ck_assert_int_eq(umach_lpc_call(c, "e", 1, &rep), SEND_INVALID_PORT);
	umach_lpc_close(c);
	ck_assert_int_eq(umach_lpc_connect(NAME, NULL, 0, &d),
			 NETNAME_NOT_CHECKED_IN);
}
END_TEST

START_TEST(test_bad_arguments_are_refused)
{
	pid_t pid = start_server();
	struct umach_lpc_conn *c = connect_ok(), *d = NULL;
	struct umach_lpc_server *s = NULL;
	struct umach_lpc_buf rep;
	char big[UMACH_LPC_INLINE_MAX + 1], name[UMACH_LPC_NAME_MAX + 1];

	memset(big, 'e', sizeof big);
	memset(name, 'n', sizeof name);
	name[sizeof name - 1] = '\0';
	ck_assert_int_eq(umach_lpc_call(NULL, "e", 1, &rep),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(umach_lpc_call(c, NULL, 1, &rep),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(umach_lpc_call(c, big, UMACH_LPC_MAX_BYTES + 1, &rep),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(umach_lpc_connect(NAME, big, sizeof big, &d),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(umach_lpc_connect(name, NULL, 0, &d),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(umach_lpc_connect("no-such-lpc", NULL, 0, &d),
			 NETNAME_NOT_CHECKED_IN);
	ck_assert_int_eq(umach_lpc_server_create("", &s), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(umach_lpc_server_create(name, &s),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(umach_lpc_server_create(NAME, &s), NETNAME_NOT_YOURS);
	ck_assert_int_eq(umach_lpc_receive(NULL, NULL, 0), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(umach_lpc_accept(NULL, NULL, &d), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(umach_lpc_reply(NULL, 0, NULL, 0), KERN_INVALID_ARGUMENT);
	/* the connection still works: an inline 256 and a 257-byte section */
	ck_assert_int_eq(umach_lpc_call(c, big, sizeof big, &rep), KERN_SUCCESS);
	ck_assert_uint_eq(rep.len, sizeof big);
	ck_assert(memcmp(rep.data, big, sizeof big) == 0);
	umach_lpc_buf_release(&rep);
	quit_server(c, pid);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("lpc");
	TCase *tc = tcase_create("lpc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_connect_and_a_call_of_256_bytes_inline);
	tcase_add_test(tc, test_the_server_can_refuse);
	tcase_add_test(tc, test_a_1_mib_call_goes_through_a_section);
	tcase_add_test(tc, test_the_server_calls_the_client_back);
	tcase_add_test(tc, test_a_clients_close_and_death_reach_the_server);
	tcase_add_test(tc, test_a_server_that_closes_or_goes_away_is_send_invalid_port);
	tcase_add_test(tc, test_bad_arguments_are_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(suite());
}
