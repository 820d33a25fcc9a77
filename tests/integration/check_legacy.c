/*
 * Programs of the era, unchanged (issue #3 item 9): the public headers
 * pull in no system header, libumach exports nothing unprefixed beyond the
 * Mach API, the K&R programs in tests/legacy/ build with umach-cc --legacy
 * and run against a live kernel, a signal does not break a blocked call
 * unless it asked to be interrupted, a receive writes only the message's
 * size, and umach run adds nothing to a program's stdout.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include "harness.h"

#define B UMACH_BUILD_DIR

static char dir[64];		/* this test's scratch directory */

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/umach-legacy-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	harness_start("textbook");
}

static void teardown(void)
{
	char cmd[128];

	harness_stop();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}


/*
 * Headers that programs of the era never include: abi.h is the kernel's
 * channel layout, path.h the socket-path rule the tools share, umig_rt.h
 * the helpers of umig-generated code, lpc.h and section.h umach's own
 * LPC and section APIs (C99 programs, like the examples).
 */
static int is_internal_header(const char *h)
{
	static const char *const own[] = { "umach/abi.h", "umach/path.h",
		"umach/umig_rt.h", "umach/lpc.h", "umach/section.h" };

	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
		if (strcmp(h, own[i]) == 0)
			return 1;
	return 0;
}

/* Every line of `cc -H` for header h names a file under include/. */
static void check_includes_of(const char *h, const char *incdir)
{
	char cmd[512], line[512];

	snprintf(cmd, sizeof cmd, "echo '#include <%s>' | " B "/umach-cc "
		 "--legacy -E -H -o /dev/null -x c - 2>&1", h);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f) != NULL) {
		char *path = line + strspn(line, ". ");
		if ((line[0] != '.' && line[0] != '/') ||
		    strstr(path, "stdc-predef.h") != NULL)
			continue;	/* the compiler's own predefines */
		ck_assert_msg(strncmp(path, incdir, strlen(incdir)) == 0,
			      "<%s> pulls in %s", h, path);
	}
	ck_assert_int_eq(pclose(f), 0);
}

START_TEST(test_public_headers_include_no_system_header)
{
	char incdir[PATH_MAX], h[256];
	int n = 0;

	ck_assert_ptr_nonnull(realpath("include", incdir));
	strcat(incdir, "/");
	FILE *f = popen("cd include && find . -name '*.h' | "
			"sed 's|^\\./||' | sort", "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(h, sizeof h, f) != NULL) {
		h[strcspn(h, "\n")] = '\0';
		if (is_internal_header(h))
			continue;
		check_includes_of(h, incdir);
		n++;
	}
	pclose(f);
	ck_assert_int_ge(n, 15);	/* mach.h, mach/, cthreads.h, ... */
}
END_TEST

START_TEST(test_k_and_r_declarations_of_libc_compile_with_every_header)
{
	char src[128], cmd[512];

	snprintf(src, sizeof src, "%s/decls.c", dir);
	FILE *f = fopen(src, "w");
	ck_assert_ptr_nonnull(f);
	fputs("#include <mach.h>\n#include <cthreads.h>\n#include <mach/cthreads.h>\n"
	      "#include <servers/netname.h>\n#include <mach/notify.h>\n"
	      "#include <mach/mig_errors.h>\n#include <msg_type.h>\n"
	      "char *malloc(); char *calloc(); char *realloc(); int free();\n"
	      "char *strcpy(); char *index(); char *getenv(); long time();\n"
	      "char *sprintf(); int exit(); int abort(); long lseek();\n"
	      "int errno; int optind; char *optarg;\n"
	      "main() { return 0; }\n", f);
	fclose(f);
	snprintf(cmd, sizeof cmd, B "/umach-cc --legacy -c -o %s/decls.o %s",
		 dir, src);
	ck_assert_int_eq(harness_sh(cmd, NULL, 0), 0);
}
END_TEST

/* The Mach API names libumach may export unprefixed (reference 1.x,
 * <cthreads.h>, <servers/netname.h>, <servers/env_mgr.h>). */
static const char *const mach_api[] = {
	"msg_send", "msg_receive", "msg_rpc",
	"port_allocate", "port_deallocate", "port_enable", "port_disable",
	"port_restrict", "port_unrestrict", "port_names", "port_type",
	"port_rename", "port_status", "port_set_backlog", "port_set_backup",
	"port_set_allocate", "port_set_deallocate", "port_set_add",
	"port_set_remove", "port_set_status", "port_messages",
	"port_insert_send", "port_insert_receive", "port_extract_send",
	"port_extract_receive", "PORT_ENABLED",
	"task_self_", "task_notify_", "thread_reply_", "task_self",
	"task_notify", "thread_self", "thread_reply", "task_create",
	"task_terminate", "task_suspend", "task_resume", "task_threads",
	"task_get_special_port", "task_set_special_port",
	"mach_ports_register", "mach_ports_lookup",
	"name_server_port", "environment_port", "service_port",
	"vm_allocate", "vm_deallocate", "vm_page_size",
	"mach_init", "mach_error", "mach_error_string", "mach_error_type",
	"mig_get_reply_port", "mig_dealloc_reply_port", "mig_init",
	"netname_check_in", "netname_look_up", "netname_check_out",
	"netname_version",
	"env_set_string", "env_get_string", "env_del_string", "env_set_port",
	"env_get_port", "env_del_port", "env_list_strings", "env_list_ports",
	"env_set_stlist", "env_set_ptlist",
	"cthread_init", "cthread_fork", "cthread_detach", "cthread_join",
	"cthread_exit", "cthread_yield", "cthread_self", "cthread_set_name",
	"cthread_name", "cthread_set_data", "cthread_data", "cthread_count",
	"mutex_alloc", "mutex_init", "mutex_clear", "mutex_free",
	"mutex_try_lock", "mutex_wait_lock", "mutex_lock", "mutex_unlock",
	"condition_alloc", "condition_init", "condition_clear",
	"condition_free", "condition_signal", "condition_broadcast",
	"condition_wait", "cond_signal", "cond_broadcast",
	"spin_lock", "spin_unlock", "spin_try_lock",
};

static int is_allowed_symbol(const char *s)
{
	if (s[0] == '_' || strchr(s, '.') != NULL)
		return 1;	/* reserved to the implementation */
	if (strncmp(s, "umach_", 6) == 0)
		return 1;
	for (size_t i = 0; i < sizeof mach_api / sizeof mach_api[0]; i++)
		if (strcmp(s, mach_api[i]) == 0)
			return 1;
	return 0;
}

/* Check every defined global of `nm` on lib; returns how many. */
static int audit_symbols(const char *nm_flags, const char *lib)
{
	char cmd[256], line[512], sym[256];
	int n = 0;

	snprintf(cmd, sizeof cmd, "nm %s --defined-only %s", nm_flags, lib);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f) != NULL) {
		char type;
		if (sscanf(line, "%*s %c %255s", &type, sym) != 2)
			continue;	/* "file.o:" headers and blank lines */
		ck_assert_msg(is_allowed_symbol(sym),
			      "%s exports %s, which is neither Mach API nor umach_",
			      lib, sym);
		n++;
	}
	ck_assert_int_eq(pclose(f), 0);
	return n;
}

START_TEST(test_libumach_exports_only_mach_names_and_umach_prefixed_ones)
{
	ck_assert_int_ge(audit_symbols("-g", B "/libumach.a"), 40);
	ck_assert_int_ge(audit_symbols("-D", B "/libumach.so"), 40);
	/* The check itself tells a stray name apart. */
	ck_assert(!is_allowed_symbol("conn"));
	ck_assert(!is_allowed_symbol("slot_reset"));
	ck_assert(is_allowed_symbol("umach__slot"));
	ck_assert(is_allowed_symbol("msg_send"));
}
END_TEST

/* Build tests/legacy/name.c into dir with umach-cc --legacy. */
static void build_legacy(const char *name)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, B "/umach-cc --legacy -o %s/%s tests/legacy/%s.c",
		 dir, name, name);
	ck_assert_msg(harness_sh(cmd, NULL, 0) == 0, "cannot build %s", name);
}

START_TEST(test_legacy_server_and_client_meet_through_the_name_server)
{
	char cmd[512], out[512];

	build_legacy("tally_server");
	build_legacy("tally_client");
	snprintf(cmd, sizeof cmd, "%s/tally_server > %s/server.out & "
		 "%s/tally_client 100 && %s/tally_client 10 quit; st=$?; wait; "
		 "cat %s/server.out; exit $st", dir, dir, dir, dir, dir);
	ck_assert_int_eq(harness_sh(cmd, out, sizeof out), 0);
	ck_assert_str_eq(out, "tally_client: 100 replies, total 5050\n"
			 "tally_client: 10 replies, total 5105\n"
			 "tally_server: 110 requests, total 5105\n");
}
END_TEST

START_TEST(test_legacy_cthreads_program_calls_from_8_threads)
{
	char cmd[512], out[512];

	build_legacy("tally_server");
	build_legacy("tally_client");
	build_legacy("tally_threads");
	snprintf(cmd, sizeof cmd, "%s/tally_server > %s/server.out & "
		 "%s/tally_threads 8 50 && %s/tally_client 0 quit >/dev/null; "
		 "st=$?; wait; cat %s/server.out; exit $st", dir, dir, dir, dir, dir);
	ck_assert_int_eq(harness_sh(cmd, out, sizeof out), 0);
	ck_assert_str_eq(out, "tally_threads: 8 threads, 400 replies, 0 failures\n"
			 "tally_server: 400 requests, total 10200\n");
}
END_TEST

/* A receive writes the message and nothing past its size. */
START_TEST(test_receive_writes_only_the_messages_size)
{
	port_t p;
	struct msg64 m;
	unsigned char buf[1024];

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	msg64_init(&m, p, PORT_NULL, 5);
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	memset(buf, 0xa5, sizeof buf);
	msg_header_t *h = (msg_header_t *)buf;
	h->msg_size = sizeof buf;
	h->msg_local_port = p;
	ck_assert_int_eq(msg_receive(h, RCV_TIMEOUT, 1000), RCV_SUCCESS);
	ck_assert_uint_eq(h->msg_size, sizeof m);
	ck_assert_int_eq(h->msg_id, 5);
	for (size_t i = sizeof m; i < sizeof buf; i++)
		ck_assert_msg(buf[i] == 0xa5, "byte %zu written", i);

	/* Too small a buffer: only msg_size changes, and the message stays. */
	ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	memset(buf, 0xa5, sizeof buf);
	h->msg_size = sizeof(msg_header_t);
	h->msg_local_port = p;
	ck_assert_int_eq(msg_receive(h, RCV_TIMEOUT, 1000), RCV_TOO_LARGE);
	ck_assert_uint_eq(h->msg_size, sizeof m);
	for (size_t i = sizeof(msg_header_t); i < sizeof buf; i++)
		ck_assert_msg(buf[i] == 0xa5, "byte %zu written", i);
	h->msg_size = sizeof buf;
	h->msg_local_port = p;
	ck_assert_int_eq(msg_receive(h, RCV_TIMEOUT, 1000), RCV_SUCCESS);
}
END_TEST

/* The reply half of msg_rpc writes only the reply's size too. */
static void *answer_short(void *arg)
{
	port_t p = *(port_t *)arg;
	msg_header_t h;

	memset(&h, 0, sizeof h);
	h.msg_size = sizeof h;
	h.msg_local_port = p;
	if (msg_receive(&h, RCV_TIMEOUT, 5000) == RCV_SUCCESS) {
		h.msg_local_port = PORT_NULL;
		h.msg_size = sizeof h;	/* a header-only reply */
		h.msg_id = 77;
		msg_send(&h, MSG_OPTION_NONE, 0);
	}
	return NULL;
}

START_TEST(test_rpc_writes_only_the_replys_size)
{
	port_t p;
	pthread_t t;
	unsigned char buf[512];
	msg_header_t *h = (msg_header_t *)buf;

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	pthread_create(&t, NULL, answer_short, &p);
	memset(buf, 0xa5, sizeof buf);
	memset(h, 0, sizeof *h);
	h->msg_simple = TRUE;
	h->msg_size = sizeof *h;
	h->msg_remote_port = p;
	h->msg_local_port = thread_reply();
	ck_assert_int_eq(msg_rpc(h, MSG_OPTION_NONE, sizeof buf, 0, 0),
			 RPC_SUCCESS);
	pthread_join(t, NULL);
	ck_assert_int_eq(h->msg_id, 77);
	ck_assert_uint_eq(h->msg_size, sizeof *h);
	for (size_t i = sizeof *h; i < sizeof buf; i++)
		ck_assert_msg(buf[i] == 0xa5, "byte %zu written", i);
}
END_TEST

/*
 * Signals during a blocked call (reference 1.5).  The main thread blocks;
 * a helper with every signal masked completes the call at 900 ms; an
 * interval timer (SIGALRM) or the helper (SIGUSR1) signals the main
 * thread at 250 ms, with SA_RESTART off or on.
 */
enum { CALL_RECEIVE, CALL_SEND, CALL_RPC };

struct sigcase {
	int call, sig, sa_flags, option, want;
};

static const struct sigcase sigcases[] = {
	{ CALL_RECEIVE, SIGALRM, 0,          MSG_OPTION_NONE, RCV_SUCCESS },
	{ CALL_RECEIVE, SIGALRM, SA_RESTART, MSG_OPTION_NONE, RCV_SUCCESS },
	{ CALL_RECEIVE, SIGUSR1, 0,          MSG_OPTION_NONE, RCV_SUCCESS },
	{ CALL_RECEIVE, SIGUSR1, SA_RESTART, MSG_OPTION_NONE, RCV_SUCCESS },
	{ CALL_RECEIVE, SIGALRM, 0,          RCV_INTERRUPT,   RCV_INTERRUPTED },
	{ CALL_RECEIVE, SIGALRM, SA_RESTART, RCV_INTERRUPT,   RCV_INTERRUPTED },
	{ CALL_RECEIVE, SIGUSR1, SA_RESTART, RCV_INTERRUPT,   RCV_INTERRUPTED },
	{ CALL_SEND,    SIGALRM, 0,          MSG_OPTION_NONE, SEND_SUCCESS },
	{ CALL_SEND,    SIGALRM, SA_RESTART, MSG_OPTION_NONE, SEND_SUCCESS },
	{ CALL_SEND,    SIGALRM, SA_RESTART, SEND_INTERRUPT,  SEND_INTERRUPTED },
	{ CALL_RPC,     SIGALRM, 0,          MSG_OPTION_NONE, RPC_SUCCESS },
	{ CALL_RPC,     SIGUSR1, SA_RESTART, MSG_OPTION_NONE, RPC_SUCCESS },
	{ CALL_RPC,     SIGALRM, SA_RESTART, RCV_INTERRUPT,   RCV_INTERRUPTED },
};

static volatile sig_atomic_t handled;
static _Atomic int helper_acted;	/* the helper completes the call now */
static void on_signal(int sig) { (void)sig; handled++; }

struct helper {
	const struct sigcase *c;
	pthread_t main_thread;
	port_t    port;		/* the port the main thread uses */
};

/* Take one message from h->port within timeout_ms; returns its id or -1. */
static int take(port_t port, int timeout_ms)
{
	struct msg64 m;

	memset(&m, 0, sizeof m);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = port;
	if (msg_receive(&m.h, RCV_TIMEOUT, timeout_ms) != RCV_SUCCESS)
		return -1;
	if (m.h.msg_remote_port != PORT_NULL) {		/* an RPC: answer */
		m.h.msg_local_port = PORT_NULL;
		m.h.msg_id = 300;
		msg_send(&m.h, MSG_OPTION_NONE, 0);
	}
	return m.h.msg_id;
}

static void *helper(void *arg)
{
	struct helper *h = arg;
	sigset_t all;
	struct msg64 m;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	usleep(250000);
	if (h->c->sig == SIGUSR1)
		pthread_kill(h->main_thread, SIGUSR1);
	usleep(650000);
	helper_acted = 1;
	if (h->c->call == CALL_RECEIVE) {
		msg64_init(&m, h->port, PORT_NULL, 200);
		msg_send(&m.h, MSG_OPTION_NONE, 0);
	} else if (h->c->call == CALL_SEND) {
		take(h->port, 1000);		/* makes room */
	} else {
		take(h->port, 1000);		/* answers the RPC */
	}
	return NULL;
}

/* The blocked call itself, in the main thread. */
static int blocked_call(const struct sigcase *c, port_t port, int *id)
{
	struct msg64 m;
	int r;

	if (c->call == CALL_RECEIVE) {
		memset(&m, 0, sizeof m);
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = port;
		r = msg_receive(&m.h, c->option, 0);
	} else if (c->call == CALL_SEND) {
		msg64_init(&m, port, PORT_NULL, 200);
		r = msg_send(&m.h, c->option, 0);
	} else {
		msg64_init(&m, port, thread_reply(), 100);
		r = msg_rpc(&m.h, c->option, sizeof m, 0, 0);
	}
	*id = m.h.msg_id;
	return r;
}

START_TEST(test_signal_during_a_blocked_call_goes_on_unless_asked)
{
	const struct sigcase *c = &sigcases[_i];
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = c->sa_flags };
	struct itimerval it = { .it_value = { 0, 250000 } };
	struct helper h = { .c = c, .main_thread = pthread_self() };
	struct msg64 m;
	pthread_t t;
	int id;

	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(c->sig, &sa, NULL), 0);
	ck_assert_int_eq(port_allocate(task_self(), &h.port), KERN_SUCCESS);
	msg64_init(&m, h.port, PORT_NULL, 1);
	for (int i = 0; c->call == CALL_SEND && i < 8; i++)	/* fill it */
		ck_assert_int_eq(msg_send(&m.h, SEND_TIMEOUT, 0), SEND_SUCCESS);
	thread_reply();			/* made before the clock starts */
	handled = 0;
	helper_acted = 0;
	pthread_create(&t, NULL, helper, &h);
	if (c->sig == SIGALRM)
		ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	int r = blocked_call(c, h.port, &id);
	int acted = helper_acted;
	ck_assert_int_eq(handled, 1);
	ck_assert_int_eq(r, c->want);
	if (r == RCV_SUCCESS && c->call == CALL_RECEIVE)
		ck_assert_int_eq(id, 200);	/* the helper's message */
	if (r == RPC_SUCCESS && c->call == CALL_RPC)
		ck_assert_int_eq(id, 300);	/* the helper's answer */
	/* Interrupted at the signal, or went on until the helper acted. */
	ck_assert_int_eq(acted, r != RCV_INTERRUPTED && r != SEND_INTERRUPTED);
	if (c->call == CALL_RPC && r != RPC_SUCCESS)
		take(thread_reply(), 2000);	/* the late answer */
	pthread_join(t, NULL);
}
END_TEST

struct quiet {
	pthread_t main_thread;
	port_t    port;
};

/* Signal main with SIGUSR1 and SIGUSR2 at 250 ms, send to it at 900 ms. */
static void *ignored_then_send(void *arg)
{
	struct quiet *q = arg;
	sigset_t all;
	struct msg64 m;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	usleep(250000);
	pthread_kill(q->main_thread, SIGUSR1);
	pthread_kill(q->main_thread, SIGUSR2);
	usleep(650000);
	msg64_init(&m, q->port, PORT_NULL, 200);
	msg_send(&m.h, MSG_OPTION_NONE, 0);
	return NULL;
}

/* An ignored signal, and one the program blocks, interrupt nothing. */
START_TEST(test_ignored_and_blocked_signals_do_not_interrupt)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct quiet q = { .main_thread = pthread_self() };
	sigset_t usr2;
	struct msg64 m;
	pthread_t t;

	signal(SIGUSR1, SIG_IGN);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &usr2, NULL);
	ck_assert_int_eq(port_allocate(task_self(), &q.port), KERN_SUCCESS);
	handled = 0;
	pthread_create(&t, NULL, ignored_then_send, &q);
	memset(&m, 0, sizeof m);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = q.port;
	ck_assert_int_eq(msg_receive(&m.h, RCV_INTERRUPT, 0), RCV_SUCCESS);
	ck_assert_int_eq(m.h.msg_id, 200);
	ck_assert_int_eq(handled, 0);
	pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);	/* now it runs */
	ck_assert_int_eq(handled, 1);
	pthread_join(t, NULL);
}
END_TEST

/* A task blocked in an interruptible receive forever. */
static int receive_interruptibly(void *arg)
{
	port_t p;
	struct msg64 m;

	(void)arg;
	signal(SIGTERM, SIG_DFL);	/* Check's handler would kill the test */
	if (port_allocate(task_self(), &p) != KERN_SUCCESS)
		return 1;
	memset(&m, 0, sizeof m);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	msg_receive(&m.h, RCV_INTERRUPT, 0);
	return 2;
}

/* A signal whose default action ends the task still ends it at once. */
START_TEST(test_a_default_action_signal_ends_a_task_in_an_interruptible_call)
{
	pid_t pid = harness_spawn(receive_interruptibly, NULL);

	usleep(300000);
	kill(pid, SIGTERM);
	ck_assert_int_eq(harness_wait(pid, 2000), 128 + SIGTERM);
}
END_TEST

/* An interruptible wait blocks signals and looks for them between sleeps
 * (docs/protocol.md §5); a dead kernel still ends it within 1 s, as
 * check_death asks of the other calls. */
START_TEST(test_kernel_death_ends_an_interruptible_receive_within_1s)
{
	port_t p;
	struct msg64 m;

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	pid_t killer = fork();
	if (killer == 0) {
		usleep(100000);
		kill(harness_kernel_pid(), SIGKILL);
		_exit(0);
	}
	memset(&m, 0, sizeof m);
	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	uint64_t t0 = harness_now_ms();
	ck_assert_int_eq(msg_receive(&m.h, RCV_INTERRUPT, 0), RCV_INVALID_PORT);
	ck_assert_uint_lt(harness_now_ms() - t0, 1100);
	harness_wait(killer, 5000);
	harness_kill_kernel();
}
END_TEST

/* umach run boots a private kernel and name server, and says nothing. */
START_TEST(test_umach_run_adds_nothing_to_a_legacy_programs_stdout)
{
	char cmd[1024], out[512], sock[128];

	build_legacy("tally_server");
	build_legacy("tally_client");
	harness_stop();			/* no kernel: umach run starts one */
	snprintf(sock, sizeof sock, "%s/private.sock", dir);
	setenv("UMACH_SOCKET", sock, 1);
	unsetenv("UMACH_NETNAMED");
	snprintf(cmd, sizeof cmd, B "/umach run sh -c '%s/tally_server >%s/s.out & "
		 "%s/tally_client 3 quit; wait' 2>/dev/null", dir, dir, dir);
	ck_assert_int_eq(harness_sh(cmd, out, sizeof out), 0);
	ck_assert_str_eq(out, "tally_client: 3 replies, total 6\n");
	snprintf(cmd, sizeof cmd, "cat %s/s.out", dir);
	ck_assert_int_eq(harness_sh(cmd, out, sizeof out), 0);
	ck_assert_str_eq(out, "tally_server: 3 requests, total 6\n");
	harness_start("textbook");	/* for teardown */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("legacy");
	TCase *tc = tcase_create("legacy");
	int ncases = (int)(sizeof sigcases / sizeof sigcases[0]);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_public_headers_include_no_system_header);
	tcase_add_test(tc, test_k_and_r_declarations_of_libc_compile_with_every_header);
	tcase_add_test(tc, test_libumach_exports_only_mach_names_and_umach_prefixed_ones);
	tcase_add_test(tc, test_legacy_server_and_client_meet_through_the_name_server);
	tcase_add_test(tc, test_legacy_cthreads_program_calls_from_8_threads);
	tcase_add_test(tc, test_receive_writes_only_the_messages_size);
	tcase_add_test(tc, test_rpc_writes_only_the_replys_size);
	tcase_add_loop_test(tc, test_signal_during_a_blocked_call_goes_on_unless_asked,
			    0, ncases);
	tcase_add_test(tc, test_ignored_and_blocked_signals_do_not_interrupt);
	tcase_add_test(tc, test_a_default_action_signal_ends_a_task_in_an_interruptible_call);
	tcase_add_test(tc, test_kernel_death_ends_an_interruptible_receive_within_1s);
	tcase_add_test(tc, test_umach_run_adds_nothing_to_a_legacy_programs_stdout);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(suite());
}
