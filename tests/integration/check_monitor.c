/*
 * Seeing inside the kernel (issue #5): the monitor protocol spoken raw,
 * and the umach tool's ps, ports, stat, trace and knob subcommands
 * against a known state, including their error paths and exit codes.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <servers/netname.h>
#include <umach/abi.h>
#include <umach/path.h>
#include "harness.h"

#define B UMACH_BUILD_DIR

static void setup(void) { harness_start("textbook"); }
static void teardown(void) { harness_stop(); }


static port_t new_port(void)
{
	port_t p;

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	return p;
}

/* ---- the protocol, raw ---- */

static int raw_connect(uint32_t flags)
{
	char path[UMACH_SOCKET_PATH_MAX];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct umach_hello h = { .magic = UMACH_ABI_MAGIC,
				 .version = UMACH_ABI_VERSION, .flags = flags };
	struct umach_welcome wl;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 5 };

	ck_assert_int_eq(umach_socket_path(path, sizeof path), 0);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ck_assert_int_eq(send(fd, &h, sizeof h, 0), sizeof h);
	ck_assert_int_eq(recv(fd, &wl, sizeof wl, 0), sizeof wl);
	if (wl.status != KERN_SUCCESS) {
		close(fd);
		return -(int)wl.status;
	}
	return fd;
}

static void req(int fd, uint32_t op, uint64_t arg)
{
	struct umach_mon_req q = { .magic = UMACH_ABI_MAGIC, .op = op, .arg = arg };

	ck_assert_int_eq(send(fd, &q, sizeof q, 0), sizeof q);
}

/* The next record, from packets of several; fails the test on a timeout
 * or a malformed packet. */
static ssize_t rec(int fd, void *buf)
{
	static uint8_t pkt[UMACH_MON_PACKET_MAX];
	static size_t len, off;
	uint32_t type, size;

	if (off >= len) {
		ssize_t n = recv(fd, pkt, sizeof pkt, 0);
		ck_assert_int_gt(n, 0);
		len = (size_t)n;
		off = 0;
	}
	ck_assert_uint_ge(len - off, 4);
	memcpy(&type, pkt + off, 4);
	size = umach_rec_size(type);
	ck_assert_uint_gt(size, 0);
	ck_assert_uint_ge(len - off, size);
	memcpy(buf, pkt + off, size);
	off += size;
	return size;
}

static int32_t end_of(int fd, uint32_t op)
{
	uint8_t buf[UMACH_REC_MAX];

	for (;;) {
		ssize_t n = rec(fd, buf);
		struct umach_rec_end *e = (void *)buf;
		if (n == sizeof *e && e->type == UMACH_REC_END && e->op == op)
			return e->status;
	}
}

/* The next event of kind ev, skipping others. */
static struct umach_rec_event next_event(int fd, uint32_t ev)
{
	union {
		uint8_t raw[UMACH_REC_MAX];
		struct umach_rec_event e;
	} u;

	for (;;) {
		ssize_t n = rec(fd, u.raw);
		if (n == sizeof u.e && u.e.type == UMACH_REC_EVENT && u.e.ev == ev)
			return u.e;
	}
}

START_TEST(test_trace_events_name_the_sender_port_and_message)
{
	int fd = raw_connect(UMACH_HELLO_MONITOR);
	port_t p = new_port();
	struct msg64 m;

	ck_assert_int_ge(fd, 0);
	req(fd, UMACH_MON_TRACE, 1);
	ck_assert_int_eq(end_of(fd, UMACH_MON_TRACE), KERN_SUCCESS);
	msg64_init(&m, p, PORT_NULL, 4242);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	struct umach_rec_event e = next_event(fd, UMACH_EV_SEND);
	while (e.msg_id != 4242)
		e = next_event(fd, UMACH_EV_SEND);
	ck_assert_int_eq(e.pid, getpid());
	ck_assert_int_eq(e.peer_pid, getpid());	/* it receives on p */
	ck_assert_int_eq(e.name, p);
	ck_assert_uint_eq(e.size, sizeof m);
	ck_assert_int_eq(e.status, SEND_SUCCESS);
	uint64_t port = e.port;
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	ck_assert_int_eq(msg_receive(&m.h, MSG_OPTION_NONE, 0), RCV_SUCCESS);
	e = next_event(fd, UMACH_EV_RECEIVE);	/* ours: other tasks' too */
	while (e.pid != getpid())
		e = next_event(fd, UMACH_EV_RECEIVE);
	ck_assert_int_eq(e.msg_id, 4242);
	ck_assert_uint_eq(e.port, port);
	/* a receive that times out is a block, then a timeout */
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 20), RCV_TIMED_OUT);
	e = next_event(fd, UMACH_EV_BLOCK);
	while (e.pid != getpid())
		e = next_event(fd, UMACH_EV_BLOCK);
	ck_assert_uint_eq(e.state, UMACH_TS_RECEIVE);
	ck_assert_uint_eq(e.port, port);
	e = next_event(fd, UMACH_EV_TIMEOUT);
	while (e.pid != getpid())
		e = next_event(fd, UMACH_EV_TIMEOUT);
	ck_assert_uint_eq(e.port, port);
	/* deallocating the port: its death, traced */
	ck_assert_int_eq(port_deallocate(task_self(), p), KERN_SUCCESS);
	e = next_event(fd, UMACH_EV_PORT_DEATH);
	while (e.port != port)
		e = next_event(fd, UMACH_EV_PORT_DEATH);
	close(fd);
}
END_TEST

START_TEST(test_monitor_requests_are_validated)
{
	int fd = raw_connect(UMACH_HELLO_MONITOR);
	struct umach_mon_req q = { .magic = UMACH_ABI_MAGIC, .op = 99 };
	uint8_t buf[UMACH_REC_MAX];

	/* an unknown operation, a bad trace argument, a port of no task */
	ck_assert_int_eq(send(fd, &q, sizeof q, 0), sizeof q);
	ck_assert_int_eq(end_of(fd, 99), KERN_INVALID_ARGUMENT);
	req(fd, UMACH_MON_TRACE, 7);
	ck_assert_int_eq(end_of(fd, UMACH_MON_TRACE), KERN_INVALID_ARGUMENT);
	req(fd, UMACH_MON_PORTS, 999999);
	ck_assert_int_eq(end_of(fd, UMACH_MON_PORTS), KERN_INVALID_ARGUMENT);
	q = (struct umach_mon_req){ .magic = UMACH_ABI_MAGIC, .op = UMACH_MON_KNOB,
		.knob = UMACH_KNOB_DELAY_MS, .arg = 999999, .value = 1 };
	ck_assert_int_eq(send(fd, &q, sizeof q, 0), sizeof q);
	ck_assert_int_eq(end_of(fd, UMACH_MON_KNOB), KERN_INVALID_ARGUMENT);
	q.knob = 77;
	ck_assert_int_eq(send(fd, &q, sizeof q, 0), sizeof q);
	ck_assert_int_eq(end_of(fd, UMACH_MON_KNOB), KERN_INVALID_ARGUMENT);
	/* junk (wrong size) ends the connection, and the kernel serves on */
	ck_assert_int_eq(send(fd, "junk", 4, 0), 4);
	ck_assert_int_eq(recv(fd, buf, sizeof buf, 0), 0);
	close(fd);
	/* unknown hello flags, and a forked monitor, are refused */
	ck_assert_int_eq(raw_connect(4), -KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(raw_connect(UMACH_HELLO_MONITOR | UMACH_HELLO_FORKED),
			 -KERN_INVALID_ARGUMENT);
	port_t p = new_port();
	ck_assert_int_eq(port_deallocate(task_self(), p), KERN_SUCCESS);
}
END_TEST

START_TEST(test_tasks_snapshot_counts_this_tasks_rights)
{
	int fd = raw_connect(UMACH_HELLO_MONITOR);
	union {
		uint8_t raw[UMACH_REC_MAX];
		uint32_t type;
		struct umach_rec_task t;
	} u;
	int found = 0;

	new_port();
	req(fd, UMACH_MON_TASKS, 0);
	for (;;) {
		rec(fd, u.raw);
		if (u.type == UMACH_REC_END)
			break;
		if (u.type == UMACH_REC_TASK && u.t.pid == getpid()) {
			found = 1;
			/* kernel port, notify port, name server, the new port */
			ck_assert_uint_ge(u.t.rights, 4);
		}
	}
	ck_assert(found);
	close(fd);
}
END_TEST

/* ---- the tool ---- */

static int blocked_receiver(void *arg)
{
	port_t p;
	struct msg64 m;

	(void)arg;
	if (port_allocate(task_self(), &p) != KERN_SUCCESS)
		return 10;
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	return msg_receive(&m.h, RCV_TIMEOUT, 10000) == RCV_TIMED_OUT ? 0 : 11;
}

START_TEST(test_ps_and_ports_show_a_task_blocked_in_receive)
{
	char out[16384], cmd[256], want[64];
	pid_t c = harness_spawn(blocked_receiver, NULL);
	char *line = NULL;

	snprintf(want, sizeof want, "%7d  ", (int)c);
	for (int i = 0; i < 200 && line == NULL; i++) {
		ck_assert_int_eq(harness_sh(B "/umach ps", out, sizeof out), 0);
		line = strstr(out, want);
		if (line != NULL && strchr(line, '\n') != NULL)
			*strchr(line, '\n') = '\0';	/* its line only */
		if (line != NULL && strstr(line, "blocked in msg_receive") == NULL)
			line = NULL;
		if (line == NULL)
			usleep(10000);
	}
	ck_assert_msg(line != NULL, "no blocked line for %d in:\n%s", (int)c, out);
	ck_assert_ptr_nonnull(strstr(out, "PID"));
	ck_assert_ptr_nonnull(strstr(line, "(receive) on port #"));
	ck_assert_ptr_nonnull(strstr(line, "ms left"));
	/* ports: its port has all three rights and one blocked receiver */
	snprintf(cmd, sizeof cmd, B "/umach ports %d", (int)c);
	ck_assert_int_eq(harness_sh(cmd, out, sizeof out), 0);
	line = strstr(out, "send+receive+own");
	ck_assert_ptr_nonnull(line);
	while (line != NULL && strstr(line, "s0/r1") == NULL)
		line = strstr(line + 1, "send+receive+own");
	ck_assert_msg(line != NULL, "no port with a blocked receiver:\n%s", out);
	ck_assert_ptr_nonnull(strstr(out, "kernel-port"));
	ck_assert_ptr_nonnull(strstr(out, "notify"));
	kill(c, SIGKILL);
	harness_wait(c, 2000);
}
END_TEST

START_TEST(test_stat_counts_messages_per_task_and_in_total)
{
	char out[16384], want[32];
	port_t p = new_port();
	struct msg64 m;
	unsigned long long sent = 0;

	for (int i = 0; i < 5; i++) {
		msg64_init(&m, p, PORT_NULL, i);
		ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	}
	ck_assert_int_eq(harness_sh(B "/umach stat", out, sizeof out), 0);
	ck_assert_ptr_nonnull(strstr(out, "(total)"));
	snprintf(want, sizeof want, "(%d) ", (int)getpid());
	const char *line = strstr(out, want);
	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(sscanf(line + strlen(want), "%llu", &sent), 1);
	ck_assert_uint_ge(sent, 5);
	/* the per-port table lists p with its 5 messages, 5 queued */
	snprintf(want, sizeof want, ":%d ", (int)p);
	line = strstr(out, "PORT (receiver:name)");
	ck_assert_ptr_nonnull(line);
	line = strstr(line, want);
	ck_assert_ptr_nonnull(line);
	unsigned long long msgs, bytes;
	unsigned queued;
	ck_assert_int_eq(sscanf(line + strlen(want), "%llu %llu %u", &msgs,
				&bytes, &queued), 3);
	ck_assert_uint_eq(msgs, 5);
	ck_assert_uint_eq(bytes, 5 * sizeof m);
	ck_assert_uint_eq(queued, 5);
}
END_TEST

START_TEST(test_run_trace_json_and_msc_show_the_rpcs)
{
	char out[65536], cmd[512], msc[128];

	snprintf(msc, sizeof msc, "/tmp/umach-msc-%d.msc", (int)getpid());
	snprintf(cmd, sizeof cmd, B "/umach run --trace --json --id 1 --msc %s "
		 B "/examples/demo 2 2>&1 >/dev/null", msc);
	ck_assert_int_eq(harness_sh(cmd, out, sizeof out), 0);
	/* 3 + 2 requests of id 1, each sent and received */
	int sends = 0, receives = 0;
	for (const char *l = out; (l = strstr(l, "{\"seq\":")) != NULL; l++) {
		ck_assert_ptr_nonnull(strstr(l, "\"msg_id\":1,"));
		sends += strncmp(strstr(l, "\"event\":"), "\"event\":\"send\"", 14) == 0;
		receives += strncmp(strstr(l, "\"event\":"), "\"event\":\"receive\"", 17) == 0;
	}
	ck_assert_int_eq(sends, 5);
	ck_assert_int_eq(receives, 5);
	ck_assert_ptr_nonnull(strstr(out, "wrote the sequence chart"));
	FILE *f = fopen(msc, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(out, 1, sizeof out - 1, f);
	fclose(f);
	out[n] = '\0';
	ck_assert_ptr_nonnull(strstr(out, "msc {"));
	ck_assert_ptr_nonnull(strstr(out, "label=\"id 1, 40 B"));
	if (system("command -v mscgen >/dev/null 2>&1") == 0) {
		snprintf(cmd, sizeof cmd, "mscgen -T svg -i %s -o %s.svg", msc, msc);
		ck_assert_int_eq(harness_sh(cmd, NULL, 0), 0);
		snprintf(cmd, sizeof cmd, "%s.svg", msc);
		ck_assert_int_eq(access(cmd, R_OK), 0);
		unlink(cmd);
	}
	unlink(msc);
}
END_TEST

static void knob(const char *what, int port, const char *val, int rc)
{
	char cmd[256];

	snprintf(cmd, sizeof cmd, B "/umach knob %s %d:%d %s", what,
		 (int)getpid(), port, val);
	ck_assert_int_eq(harness_sh(cmd, NULL, 0), rc);
}

START_TEST(test_knob_queue_full_and_delay)
{
	port_t p = new_port();
	struct msg64 m;

	knob("full", p, "100", 0);
	msg64_init(&m, p, PORT_NULL, 1);
	ck_assert_int_eq(msg_send(&m.h, SEND_TIMEOUT, 0), SEND_TIMED_OUT);
	knob("full", p, "0", 0);
	ck_assert_int_eq(msg_send(&m.h, SEND_TIMEOUT, 0), SEND_SUCCESS);
	/* the delay knob holds each message at least that long */
	knob("delay", p, "150", 0);
	uint64_t t0 = harness_now_ms();
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	ck_assert_uint_ge(harness_now_ms() - t0, 150);
	knob("delay", p, "0", 0);
	/* out of range values are usage errors */
	knob("full", p, "101", 2);
	knob("delay", p, "60001", 2);
	knob("delay", 9999, "5", 1);		/* no such name in this task */
}
END_TEST

static int go_fd, ready_fd;

static int sender(void *arg)
{
	struct msg64 m;
	char c;

	(void)arg;
	port_t sink = harness_lookup("sink");
	if (sink == PORT_NULL || write(ready_fd, "r", 1) != 1 ||
	    read(go_fd, &c, 1) != 1)
		return 10;
	for (int i = 1; i <= 10; i++) {
		msg64_init(&m, sink, PORT_NULL, i);
		if (msg_send(&m.h, MSG_OPTION_NONE, 0) != SEND_SUCCESS)
			return 11;
	}
	return 0;
}

START_TEST(test_knob_kill_at_the_third_message)
{
	port_t p = new_port();
	int go[2], ready[2];
	char cmd[256], c;
	struct msg64 m;

	ck_assert_int_eq(port_set_backlog(task_self(), p, 16), KERN_SUCCESS);
	ck_assert_int_eq(netname_check_in(name_server_port, "sink", PORT_NULL, p), 0);
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(ready), 0);
	go_fd = go[0];
	ready_fd = ready[1];
	pid_t child = harness_spawn(sender, NULL);
	/* once it has looked the name up, kill it at its 3rd message */
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	snprintf(cmd, sizeof cmd, B "/umach knob kill %d 3", (int)child);
	ck_assert_int_eq(harness_sh(cmd, NULL, 0), 0);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	ck_assert_int_eq(harness_wait(child, 5000), 128 + SIGKILL);
	for (int i = 1; i <= 2; i++) {
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = p;
		ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 2000), RCV_SUCCESS);
		ck_assert_int_eq(m.h.msg_id, i);
	}
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 50), RCV_TIMED_OUT);
	for (int i = 0; i < 2; i++) {
		close(go[i]);
		close(ready[i]);
	}
}
END_TEST

START_TEST(test_tool_errors_say_what_to_do)
{
	char out[4096];

	ck_assert_int_eq(harness_sh(B "/umach ps extra 2>&1", out, sizeof out), 2);
	ck_assert_int_eq(harness_sh(B "/umach ports nosuchtask 2>&1", out, sizeof out), 1);
	ck_assert_ptr_nonnull(strstr(out, "no task 'nosuchtask'"));
	ck_assert_int_eq(harness_sh(B "/umach knob bogus a b 2>&1", out, sizeof out), 2);
	ck_assert_int_eq(harness_sh(B "/umach knob delay '#99999999' 5 2>&1", out,
			     sizeof out), 1);
	ck_assert_ptr_nonnull(strstr(out, "refused"));
	ck_assert_int_eq(harness_sh(B "/umach knob delay nocolon 5 2>&1", out,
			     sizeof out), 1);
	ck_assert_int_eq(harness_sh(B "/umach trace --port x 2>&1", out, sizeof out), 2);
	ck_assert_int_eq(harness_sh(B "/umach trace --bogus 2>&1", out, sizeof out), 2);
	ck_assert_int_eq(harness_sh(B "/umach ps --help", out, sizeof out), 0);
	ck_assert_ptr_nonnull(strstr(out, "umach ps"));
	ck_assert_int_eq(harness_sh("UMACH_SOCKET=/nonexistent/k.sock " B "/umach stat 2>&1",
			     out, sizeof out), 1);
	ck_assert_ptr_nonnull(strstr(out, "no kernel serves"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("monitor");
	TCase *tc = tcase_create("monitor");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_trace_events_name_the_sender_port_and_message);
	tcase_add_test(tc, test_monitor_requests_are_validated);
	tcase_add_test(tc, test_tasks_snapshot_counts_this_tasks_rights);
	tcase_add_test(tc, test_ps_and_ports_show_a_task_blocked_in_receive);
	tcase_add_test(tc, test_stat_counts_messages_per_task_and_in_total);
	tcase_add_test(tc, test_run_trace_json_and_msc_show_the_rpcs);
	tcase_add_test(tc, test_knob_queue_full_and_delay);
	tcase_add_test(tc, test_knob_kill_at_the_third_message);
	tcase_add_test(tc, test_tool_errors_say_what_to_do);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(suite());
}
