/*
 * The concept examples (tasks/examples) run with `umach up --json`, each
 * checked for the events its concept is about; and umach up itself:
 * standing knobs, Ctrl-C, and its errors.  Each scenario runs on the
 * harness's kernel, which umach up finds through UMACH_SOCKET.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include "harness.h"

#define B UMACH_BUILD_DIR
#define OUT_MAX (1 << 20)

static char *out;

static void setup(void)
{
	harness_start("textbook");
	out = malloc(OUT_MAX);
	ck_assert_ptr_nonnull(out);
}

static void teardown(void)
{
	free(out);
	harness_stop();
}

/* Run a shell command; its exit status, and its stdout in out. */
static int run(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0, got;

	ck_assert_ptr_nonnull(f);
	while (n + 1 < OUT_MAX && (got = fread(out + n, 1, OUT_MAX - 1 - n, f)) > 0)
		n += got;
	out[n] = '\0';
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Run a scenario with the JSON trace; the trace and up's lines in out. */
static int up(const char *scn)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, B "/umach up --json %s 2>&1 >/dev/null", scn);
	return run(cmd);
}

/* How many trace lines hold every one of the strings (NULL-terminated). */
static int count(const char *first, ...)
{
	int n = 0;

	for (char *line = out; line != NULL && *line; ) {
		char *end = strchr(line, '\n');
		if (end != NULL)
			*end = '\0';
		int all = strstr(line, first) != NULL;
		va_list ap;
		va_start(ap, first);
		for (const char *s; all && (s = va_arg(ap, const char *)) != NULL; )
			all = strstr(line, s) != NULL;
		va_end(ap);
		n += all;
		if (end != NULL)
			*end = '\n';
		line = end ? end + 1 : NULL;
	}
	return n;
}

#define EV(e)   "\"event\":\"" e "\""
#define TASK(t) "\"name\":\"" t "\"},\"peer\""
#define PEER(t) "\"name\":\"" t "\"},\"port\""

START_TEST(test_bounded_buffer_producer_blocks_on_the_9th_item)
{
	ck_assert_int_eq(up("tasks/examples/bounded_buffer.scn"), 0);
	ck_assert_int_eq(count(EV("send"), TASK("producer"), PEER("consumer"),
			       "\"msg_id\":1,", NULL), 12);
	ck_assert_int_eq(count(EV("receive"), TASK("consumer"), "\"msg_id\":1,",
			       NULL), 12);
	/* items 9 to 12 each found the queue full, and each got in later */
	int blocks = count(EV("block"), TASK("producer"), "\"state\":\"send\"", NULL);
	ck_assert_int_ge(blocks, 1);
	ck_assert_int_le(blocks, 4);
	ck_assert_int_eq(count(EV("wake"), TASK("producer"), "\"state\":\"send\"",
			       NULL), blocks);
	/* the first block comes after exactly 8 sends */
	char *b = strstr(out, EV("block"));
	while (b != NULL && (strstr(b, TASK("producer")) > strchr(b, '\n') ||
			     strstr(b, "\"state\":\"send\"") > strchr(b, '\n')))
		b = strstr(b + 1, EV("block"));
	ck_assert_ptr_nonnull(b);
	*b = '\0';
	int before = count(EV("send"), TASK("producer"), "\"msg_id\":1,", NULL);
	ck_assert_msg(before == 8, "%d sends before the first block:\n%s",
		      before, out);
}
END_TEST

START_TEST(test_fullbox_shows_the_four_behaviours)
{
	ck_assert_int_eq(up("tasks/examples/fullbox.scn"), 0);
	/* wait: blocks, then gets in */
	ck_assert_int_ge(count(EV("block"), TASK("wait"), "\"state\":\"send\"",
			       NULL), 1);
	ck_assert_int_eq(count(EV("send-fail"), TASK("wait"), NULL), 0);
	/* timeout: blocks, times out, fails */
	ck_assert_int_eq(count(EV("timeout"), TASK("timeout"), NULL), 1);
	ck_assert_int_eq(count(EV("send-fail"), TASK("timeout"),
			       "SEND_TIMED_OUT", NULL), 1);
	/* now: fails without blocking */
	ck_assert_int_eq(count(EV("send-fail"), TASK("now"), "SEND_TIMED_OUT",
			       NULL), 1);
	ck_assert_int_eq(count(EV("block"), TASK("now"), "\"state\":\"send\"",
			       NULL), 0);
	/* notify: taken over the limit, then NOTIFY_MSG_ACCEPTED */
	ck_assert_int_eq(count(EV("send"), TASK("notify"), "SEND_WILL_NOTIFY",
			       NULL), 1);
	ck_assert_int_eq(count(EV("notify"), PEER("notify"),
			       "NOTIFY_MSG_ACCEPTED", NULL), 1);
}
END_TEST

START_TEST(test_deadport_client_is_notified)
{
	ck_assert_int_eq(up("tasks/examples/deadport.scn"), 0);
	ck_assert_int_eq(count(EV("exit"), TASK("server"), NULL), 1);
	ck_assert_int_ge(count(EV("notify"), PEER("client"),
			       "NOTIFY_PORT_DELETED", NULL), 1);
	ck_assert_int_eq(count(EV("send-fail"), TASK("client"),
			       "SEND_INVALID_PORT", NULL), 1);
	/* the notification comes after the server's exit */
	char *exit_ev = strstr(out, EV("exit"));
	char *note = strstr(out, "NOTIFY_PORT_DELETED");
	ck_assert_ptr_nonnull(exit_ev);
	ck_assert_ptr_nonnull(note);
	ck_assert(exit_ev < note);
}
END_TEST

START_TEST(test_portpipe_writer_blocks_when_the_pipe_is_full)
{
	ck_assert_int_eq(up("tasks/examples/portpipe.scn"), 0);
	/* 20 chunks and the end, all received */
	ck_assert_int_eq(count(EV("send"), TASK("writer"), PEER("reader"), NULL), 21);
	ck_assert_int_eq(count(EV("receive"), TASK("reader"), PEER("writer"), NULL), 21);
	ck_assert_int_ge(count(EV("block"), TASK("writer"), "\"state\":\"send\"",
			       NULL), 1);
}
END_TEST

START_TEST(test_mailslot_takes_every_writers_datagrams)
{
	ck_assert_int_eq(up("tasks/examples/mailslot.scn"), 0);
	ck_assert_int_eq(count(EV("receive"), TASK("reader"), "\"msg_id\":7,",
			       NULL), 9);
	ck_assert_int_eq(count(EV("receive"), TASK("reader"), PEER("ann"), NULL), 3);
	ck_assert_int_eq(count(EV("receive"), TASK("reader"), PEER("bob"), NULL), 3);
	ck_assert_int_eq(count(EV("receive"), TASK("reader"), PEER("cy"), NULL), 3);
}
END_TEST

START_TEST(test_rights_receive_right_moves_and_comes_home)
{
	ck_assert_int_eq(up("tasks/examples/rights.scn"), 0);
	/* the keeper gets the receive right in a message */
	ck_assert_int_eq(count(EV("right"), TASK("keeper"), PEER("owner"),
			       "\"moved_rights\":\"receive\"", NULL), 1);
	/* it dies; the right reverts to the owner, who kept ownership */
	ck_assert_int_eq(count(EV("notify"), PEER("owner"),
			       "NOTIFY_RECEIVE_RIGHTS", NULL), 1);
	/* the owner deallocates it: the sender hears the port died */
	ck_assert_int_ge(count(EV("notify"), PEER("sender"),
			       "NOTIFY_PORT_DELETED", NULL), 1);
	/* request 1 went to the keeper, request 2 to the owner */
	ck_assert_int_eq(count(EV("receive"), TASK("keeper"), "\"msg_id\":2,",
			       NULL), 1);
	ck_assert_int_eq(count(EV("receive"), TASK("owner"), "\"msg_id\":2,",
			       NULL), 1);
}
END_TEST

START_TEST(test_portset_server_receives_from_both_members)
{
	ck_assert_int_eq(up("tasks/examples/portset.scn"), 0);
	ck_assert_int_eq(count(EV("receive"), TASK("server"), PEER("a"),
			       "\"msg_id\":3,", NULL), 3);
	ck_assert_int_eq(count(EV("receive"), TASK("server"), PEER("b"),
			       "\"msg_id\":3,", NULL), 3);
}
END_TEST

START_TEST(test_bigcopy_moves_the_out_of_line_megabyte_without_copying)
{
	ck_assert_int_eq(up("tasks/examples/bigcopy.scn"), 0);
	/* inline: 132 chunks, each copied by the kernel */
	ck_assert_int_eq(count(EV("send"), TASK("sender"), "\"msg_id\":10,",
			       "\"moved\":0,", NULL), 132);
	/* out of line: one message, 1 MiB moved, only its 48 bytes copied */
	ck_assert_int_eq(count(EV("send"), TASK("sender"), "\"msg_id\":20,",
			       "\"ool\":1,", "\"copied\":48,",
			       "\"moved\":1048576,", NULL), 1);
}
END_TEST

START_TEST(test_echo_rpc_through_generated_stubs)
{
	ck_assert_int_eq(up("tasks/examples/echo_rpc.scn"), 0);
	/* three echo requests (5300) answered (5400), then a note (5301) */
	ck_assert_int_eq(count(EV("send"), TASK("client"), PEER("server"),
			       "\"msg_id\":5300,", NULL), 3);
	ck_assert_int_eq(count(EV("send"), TASK("server"), PEER("client"),
			       "\"msg_id\":5400,", NULL), 3);
	ck_assert_int_eq(count(EV("receive"), TASK("server"),
			       "\"msg_id\":5301,", NULL), 1);
}
END_TEST

START_TEST(test_lpc_clients_call_through_the_queue_and_a_section)
{
	ck_assert_int_eq(up("tasks/examples/lpc.scn"), 0);
	/* each client: a refused and an accepted connect (id 3900), then
	 * three requests (3903); the server calls each back once */
	ck_assert_int_eq(count(EV("send"), TASK("ann"), "\"msg_id\":3900,",
			       NULL), 2);
	ck_assert_int_eq(count(EV("send"), TASK("bob"), "\"msg_id\":3903,",
			       NULL), 3);
	ck_assert_int_eq(count(EV("send"), TASK("server"), PEER("ann"),
			       "\"msg_id\":3903,", NULL), 1);
	ck_assert_int_eq(count(EV("send"), TASK("server"), "\"msg_id\":3902,",
			       NULL), 2);
}
END_TEST

static void scenario(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_up_standing_kill_knob_by_task_name)
{
	char path[64];

	snprintf(path, sizeof path, "/tmp/umach-scn-%d.scn", (int)getpid());
	scenario(path,
		 "task reader mailslot reader 3\n"
		 "task ann mailslot writer ann 3   # dies at her first message\n"
		 "task bob mailslot writer bob 3\n"
		 "knob kill ann 1\n");
	ck_assert_int_eq(up(path), 0);
	ck_assert_ptr_nonnull(strstr(out, "ann ended by signal 9 (the kill knob)"));
	ck_assert_int_eq(count(EV("knob"), TASK("ann"), "\"knob\":\"kill\"", NULL), 1);
	ck_assert_int_eq(count(EV("receive"), TASK("reader"), PEER("bob"), NULL), 3);
	ck_assert_int_eq(count(EV("receive"), TASK("reader"), PEER("ann"), NULL), 0);
	unlink(path);
}
END_TEST

START_TEST(test_up_stops_every_task_on_ctrl_c)
{
	char path[64], cmd[256];

	snprintf(path, sizeof path, "/tmp/umach-scn-%d.scn", (int)getpid());
	scenario(path, "task server deadport server 60000\n"
		       "task client deadport client\n");
	snprintf(cmd, sizeof cmd, B "/umach up %s 2>&1 & p=$!; sleep 0.5; "
		 "kill -INT $p; wait $p", path);
	ck_assert_int_eq(run(cmd), 0);
	ck_assert_ptr_nonnull(strstr(out, "stopping 2 tasks"));
	ck_assert_ptr_nonnull(strstr(out, "server ended by signal 15 (stopped)"));
	ck_assert_int_eq(run("pgrep -f 'deadport server 6000[0]' >/dev/null"), 1);
	unlink(path);
}
END_TEST

START_TEST(test_up_errors_name_the_file_and_line)
{
	char path[64], cmd[256];
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "task a /bin/true\nfrobnicate\n", ":2: error: unknown directive" },
		{ "task a\n", ":1: error: task needs a NAME and a PROGRAM" },
		{ "task a /bin/true\ntask a /bin/true\n", ":2: error: a task 'a' is already" },
		{ "task a/b /bin/true\n", ":1: error: 'a/b' is not a task name" },
		{ "knob kill a 3\n", ":1: error: no task 'a' declared above" },
		{ "task a /bin/true\nknob delay a 70000\n", "bad value" },
		{ "task a /bin/true\nknob seed a 1\n", "no knob 'seed' for a task" },
		{ "profile plan9\ntask a /bin/true\n", ":1: error: profile takes" },
		{ "task a \"/bin/true\n", ":1: error: unterminated quote" },
		{ "# nothing\n", "error: no task declared" },
	};

	snprintf(path, sizeof path, "/tmp/umach-scn-%d.scn", (int)getpid());
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		scenario(path, bad[i].text);
		snprintf(cmd, sizeof cmd, B "/umach up %s 2>&1", path);
		ck_assert_int_eq(run(cmd), 1);
		ck_assert_msg(strstr(out, bad[i].msg) != NULL, "case %zu: %s", i, out);
	}
	unlink(path);
	ck_assert_int_eq(run(B "/umach up 2>&1"), 2);
	ck_assert_int_eq(run(B "/umach up /nonexistent.scn 2>&1"), 1);
	ck_assert_ptr_nonnull(strstr(out, "cannot read /nonexistent.scn"));
	/* a task that fails makes up fail, and it says which */
	scenario(path, "task bad /bin/false\ntask good /bin/true\n");
	snprintf(cmd, sizeof cmd, B "/umach up %s 2>&1", path);
	ck_assert_int_eq(run(cmd), 1);
	ck_assert_ptr_nonnull(strstr(out, "bad exited with status 1"));
	unlink(path);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("examples");
	TCase *tc = tcase_create("examples");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bounded_buffer_producer_blocks_on_the_9th_item);
	tcase_add_test(tc, test_fullbox_shows_the_four_behaviours);
	tcase_add_test(tc, test_deadport_client_is_notified);
	tcase_add_test(tc, test_lpc_clients_call_through_the_queue_and_a_section);
	tcase_add_test(tc, test_portpipe_writer_blocks_when_the_pipe_is_full);
	tcase_add_test(tc, test_mailslot_takes_every_writers_datagrams);
	tcase_add_test(tc, test_rights_receive_right_moves_and_comes_home);
	tcase_add_test(tc, test_portset_server_receives_from_both_members);
	tcase_add_test(tc, test_bigcopy_moves_the_out_of_line_megabyte_without_copying);
	tcase_add_test(tc, test_echo_rpc_through_generated_stubs);
	tcase_add_test(tc, test_up_standing_kill_knob_by_task_name);
	tcase_add_test(tc, test_up_stops_every_task_on_ctrl_c);
	tcase_add_test(tc, test_up_errors_name_the_file_and_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(suite());
}
