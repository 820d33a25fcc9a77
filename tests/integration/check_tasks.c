/*
 * Tasks: registered ports (mach_ports_register/lookup), special ports
 * (task_get/set_special_port), fork() making a child task that inherits
 * only the registered ports and the bootstrap and exception rights, the
 * kernel refusing a forged parent claim, netname host names, and the
 * environment manager used from two tasks and from a forked child.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <check.h>
#include <servers/env_mgr.h>
#include <servers/netname.h>
#include <umach/abi.h>
#include "harness.h"

static void setup(void) { harness_start("textbook"); }
static void teardown(void) { harness_stop(); }

static void lookup4(port_t out[4])
{
	port_array_t ports;
	unsigned int count = 0;

	ck_assert_int_eq(mach_ports_lookup(task_self(), &ports, &count),
			 KERN_SUCCESS);
	ck_assert_uint_eq(count, TASK_PORT_REGISTER_MAX);
	memcpy(out, ports, 4 * sizeof *out);
	ck_assert_int_eq(vm_deallocate(task_self(), (vm_address_t)ports,
				       count * sizeof *ports), KERN_SUCCESS);
}

START_TEST(test_lookup_gives_the_boot_services_and_two_empty_slots)
{
	port_t r[4];

	lookup4(r);
	ck_assert_int_ne(r[NAME_SERVER_SLOT], PORT_NULL);
	ck_assert_int_eq(r[NAME_SERVER_SLOT], name_server_port);
	ck_assert_int_ne(r[ENVIRONMENT_SLOT], PORT_NULL);
	ck_assert_int_eq(r[ENVIRONMENT_SLOT], environment_port);
	ck_assert_int_eq(r[SERVICE_SLOT], PORT_NULL);
	ck_assert_int_eq(r[3], PORT_NULL);
}
END_TEST

START_TEST(test_register_then_lookup_returns_the_ports_and_clears_the_rest)
{
	port_t p, q, r[4];

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(port_allocate(task_self(), &q), KERN_SUCCESS);
	port_t four[4] = { name_server_port, PORT_NULL, p, q };
	ck_assert_int_eq(mach_ports_register(task_self(), four, 4), KERN_SUCCESS);
	lookup4(r);
	ck_assert_int_eq(r[0], name_server_port);
	ck_assert_int_eq(r[1], PORT_NULL);
	ck_assert_int_eq(r[2], p);
	ck_assert_int_eq(r[3], q);
	/* Fewer than four: the slots after them become PORT_NULL. */
	ck_assert_int_eq(mach_ports_register(task_self(), four, 1), KERN_SUCCESS);
	lookup4(r);
	ck_assert_int_eq(r[0], name_server_port);
	ck_assert_int_eq(r[2], PORT_NULL);
	ck_assert_int_eq(r[3], PORT_NULL);
	ck_assert_int_eq(mach_ports_register(task_self(), NULL, 0), KERN_SUCCESS);
	lookup4(r);
	ck_assert_int_eq(r[0], PORT_NULL);
}
END_TEST

START_TEST(test_mach_init_again_reads_the_registered_ports_afresh)
{
	port_t p, env = environment_port;

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	port_t three[3] = { PORT_NULL, env, p };
	ck_assert_int_eq(mach_ports_register(task_self(), three, 3), KERN_SUCCESS);
	ck_assert_int_eq(service_port, PORT_NULL);
	ck_assert_int_eq(mach_init(), KERN_SUCCESS);
	ck_assert_int_eq(service_port, p);
	ck_assert_int_eq(environment_port, env);
	ck_assert_int_eq(name_server_port, PORT_NULL);
}
END_TEST

START_TEST(test_register_of_five_ports_is_invalid_argument_and_changes_nothing)
{
	port_t p, r[4];

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	port_t five[5] = { p, p, p, p, p };
	ck_assert_int_eq(mach_ports_register(task_self(), five, 5),
			 KERN_INVALID_ARGUMENT);
	lookup4(r);
	ck_assert_int_eq(r[0], name_server_port);
	ck_assert_int_eq(r[2], PORT_NULL);
	port_t many[17] = { 0 };
	ck_assert_int_eq(mach_ports_register(task_self(), many, 17),
			 MIG_ARRAY_TOO_LARGE);
}
END_TEST

START_TEST(test_register_and_lookup_with_bad_names_fail_send_invalid_port)
{
	port_t bad[1] = { 4242 }, p;
	port_array_t ports;
	unsigned int count;

	ck_assert_int_eq(mach_ports_register(task_self(), bad, 1),
			 SEND_INVALID_PORT);
	ck_assert_int_eq(mach_ports_register(4242, NULL, 0), SEND_INVALID_PORT);
	ck_assert_int_eq(mach_ports_lookup(4242, &ports, &count),
			 SEND_INVALID_PORT);
	ck_assert_int_eq(task_get_special_port(4242, TASK_NOTIFY_PORT, &p),
			 SEND_INVALID_PORT);
}
END_TEST

START_TEST(test_special_ports_kernel_and_notify_are_task_self_and_notify)
{
	port_t p;

	ck_assert_int_eq(task_get_special_port(task_self(), TASK_KERNEL_PORT, &p),
			 KERN_SUCCESS);
	ck_assert_int_eq(p, task_self());
	ck_assert_int_eq(task_get_notify_port(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(p, task_notify());
	ck_assert_int_eq(task_get_bootstrap_port(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(p, PORT_NULL);
	ck_assert_int_eq(task_get_exception_port(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(p, PORT_NULL);
}
END_TEST

START_TEST(test_set_bootstrap_and_exception_then_get_returns_them)
{
	port_t b, x, p;

	ck_assert_int_eq(port_allocate(task_self(), &b), KERN_SUCCESS);
	ck_assert_int_eq(port_allocate(task_self(), &x), KERN_SUCCESS);
	ck_assert_int_eq(task_set_bootstrap_port(task_self(), b), KERN_SUCCESS);
	ck_assert_int_eq(task_set_exception_port(task_self(), x), KERN_SUCCESS);
	ck_assert_int_eq(task_get_bootstrap_port(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(p, b);
	ck_assert_int_eq(task_get_exception_port(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(p, x);
	ck_assert_int_eq(task_set_bootstrap_port(task_self(), PORT_NULL),
			 KERN_SUCCESS);
	ck_assert_int_eq(task_get_bootstrap_port(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(p, PORT_NULL);
}
END_TEST

START_TEST(test_special_port_errors)
{
	port_t p;

	ck_assert_int_eq(task_get_special_port(task_self(), 0, &p),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(task_get_special_port(task_self(), 5, &p),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(task_set_special_port(task_self(), 99, PORT_NULL),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(task_set_special_port(task_self(), TASK_KERNEL_PORT,
					       task_self()),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(task_set_bootstrap_port(task_self(), 4242),
			 SEND_INVALID_PORT);
}
END_TEST

/* Check in a port as "doomed" and wait to be killed. */
static int doomed(void *arg)
{
	port_t p;

	(void)arg;
	if (port_allocate(task_self(), &p) != KERN_SUCCESS ||
	    netname_check_in(name_server_port, "doomed", PORT_NULL, p) != 0)
		return 10;
	pause();
	return 11;
}

START_TEST(test_notifications_go_to_the_notify_port_that_was_set)
{
	port_t q, old = task_notify();
	notification_t n;

	ck_assert_int_eq(port_allocate(task_self(), &q), KERN_SUCCESS);
	ck_assert_int_eq(task_set_notify_port(task_self(), q), KERN_SUCCESS);
	ck_assert_int_eq(task_notify(), q);
	pid_t c = harness_spawn(doomed, NULL);
	port_t d = harness_lookup("doomed");
	ck_assert_int_ne(d, PORT_NULL);
	kill(c, SIGKILL);
	harness_wait(c, 5000);
	n.notify_header.msg_size = sizeof n;
	n.notify_header.msg_local_port = q;
	ck_assert_int_eq(msg_receive(&n.notify_header, RCV_TIMEOUT, 5000),
			 RCV_SUCCESS);
	ck_assert_int_eq(n.notify_header.msg_id, NOTIFY_PORT_DELETED);
	ck_assert_int_eq(n.notify_port, d);
	n.notify_header.msg_size = sizeof n;
	n.notify_header.msg_local_port = old;
	ck_assert_int_eq(msg_receive(&n.notify_header, RCV_TIMEOUT, 0),
			 RCV_TIMED_OUT);
}
END_TEST

/* ---- fork ---- */

struct fork_ports {
	port_t service;		/* registered in SERVICE_SLOT */
	port_t boot, exc;	/* bootstrap and exception ports */
};

/* Send a 64-byte message to p and wait for the answer on a reply port. */
static int call(port_t p, int id)
{
	struct msg64 m;

	msg64_init(&m, p, thread_reply(), id);
	if (msg_rpc(&m.h, MSG_OPTION_NONE, sizeof m, 0, 5000) != RPC_SUCCESS)
		return -1;
	return m.h.msg_id;
}

static int send_one(port_t p, int id)
{
	struct msg64 m;

	msg64_init(&m, p, PORT_NULL, id);
	return msg_send(&m.h, SEND_TIMEOUT, 5000);
}

/*
 * A forked child: mach_init() again, find the parent's service port in
 * its registered ports, make three RPCs to it, send one message each on
 * the inherited bootstrap and exception ports, and show it holds no other
 * right of its parent's.
 */
static int forked_child(void *arg)
{
	const struct fork_ports *fp = arg;
	port_array_t ports;
	unsigned int count, ntypes;
	port_t b, x;

	(void)fp;
	if (mach_init() != KERN_SUCCESS ||
	    mach_ports_lookup(task_self(), &ports, &count) != KERN_SUCCESS ||
	    count != 4 || ports[SERVICE_SLOT] == PORT_NULL)
		return 20;
	if (service_port != ports[SERVICE_SLOT] || ports[3] != PORT_NULL ||
	    name_server_port != ports[NAME_SERVER_SLOT])
		return 21;
	for (int i = 1; i <= 3; i++)
		if (call(service_port, 100 + i) != 200 + i)
			return 22;
	if (task_get_bootstrap_port(task_self(), &b) != KERN_SUCCESS ||
	    task_get_exception_port(task_self(), &x) != KERN_SUCCESS ||
	    send_one(b, 7) != SEND_SUCCESS || send_one(x, 8) != SEND_SUCCESS)
		return 23;
	port_name_array_t names;
	port_type_array_t types;
	if (port_names(task_self(), &names, &count, &types, &ntypes) !=
	    KERN_SUCCESS)
		return 24;
	/* Receive rights: only its own notify and reply ports. */
	for (unsigned int i = 0; i < count; i++)
		if ((types[i] & 2) && names[i] != task_notify() &&
		    names[i] != thread_reply())
			return 25;
	/* Send rights: kernel port, name server, environment, service,
	 * bootstrap, exception, and nothing else of its parent's. */
	if (count > 8)
		return 26;
	return 0;
}

/* Answer n RPCs on p with id + 100. */
static void serve(port_t p, int n)
{
	for (int i = 0; i < n; i++) {
		struct msg64 m;
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = p;
		ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 5000), RCV_SUCCESS);
		port_t reply = m.h.msg_remote_port;
		msg64_init(&m, reply, PORT_NULL, m.h.msg_id + 100);
		ck_assert_int_eq(msg_send(&m.h, MSG_OPTION_NONE, 0), SEND_SUCCESS);
	}
}

static void expect_msg(port_t p, int id)
{
	struct msg64 m;

	m.h.msg_size = sizeof m;
	m.h.msg_local_port = p;
	ck_assert_int_eq(msg_receive(&m.h, RCV_TIMEOUT, 5000), RCV_SUCCESS);
	ck_assert_int_eq(m.h.msg_id, id);
}

START_TEST(test_forked_child_finds_registered_port_and_calls_it)
{
	struct fork_ports fp;
	port_t extra[6];

	ck_assert_int_eq(port_allocate(task_self(), &fp.service), KERN_SUCCESS);
	ck_assert_int_eq(port_allocate(task_self(), &fp.boot), KERN_SUCCESS);
	ck_assert_int_eq(port_allocate(task_self(), &fp.exc), KERN_SUCCESS);
	for (int i = 0; i < 6; i++)	/* rights the child must not get */
		ck_assert_int_eq(port_allocate(task_self(), &extra[i]),
				 KERN_SUCCESS);
	port_t reg[3] = { name_server_port, environment_port, fp.service };
	ck_assert_int_eq(mach_ports_register(task_self(), reg, 3), KERN_SUCCESS);
	ck_assert_int_eq(task_set_bootstrap_port(task_self(), fp.boot),
			 KERN_SUCCESS);
	ck_assert_int_eq(task_set_exception_port(task_self(), fp.exc),
			 KERN_SUCCESS);
	pid_t c = harness_spawn(forked_child, &fp);
	serve(fp.service, 3);
	expect_msg(fp.boot, 7);
	expect_msg(fp.exc, 8);
	ck_assert_int_eq(harness_wait(c, 10000), 0);
}
END_TEST

/* A child of a task with nothing registered: its slots are empty too. */
static int bare_child(void *arg)
{
	port_array_t ports;
	unsigned int count;
	port_t b;

	(void)arg;
	if (mach_init() != KERN_SUCCESS ||
	    mach_ports_lookup(task_self(), &ports, &count) != KERN_SUCCESS)
		return 20;
	for (unsigned int i = 0; i < count; i++)
		if (ports[i] != PORT_NULL)
			return 21;
	if (name_server_port != PORT_NULL ||
	    task_get_bootstrap_port(task_self(), &b) != KERN_SUCCESS ||
	    b != PORT_NULL)
		return 22;
	return 0;
}

START_TEST(test_forked_child_inherits_empty_registered_ports_as_empty)
{
	ck_assert_int_eq(mach_ports_register(task_self(), NULL, 0), KERN_SUCCESS);
	pid_t c = harness_spawn(bare_child, NULL);
	ck_assert_int_eq(harness_wait(c, 10000), 0);
}
END_TEST

/*
 * B, the child of a task A that exits before B's first call: B attaches as
 * a task without a parent (the boot services, not A's registered port)
 * and reports its verdict as the id of a message to "report".
 */
static int orphan(pid_t a_pid)
{
	port_array_t ports;
	unsigned int count;
	int verdict = 0;

	for (int i = 0; i < 1000 && getppid() == a_pid; i++)
		usleep(5000);
	if (getppid() == a_pid || mach_init() != KERN_SUCCESS)
		_exit(30);
	if (mach_ports_lookup(task_self(), &ports, &count) != KERN_SUCCESS)
		verdict = 31;
	else if (ports[SERVICE_SLOT] != PORT_NULL ||
		 ports[NAME_SERVER_SLOT] == PORT_NULL)
		verdict = 32;
	port_t r = harness_lookup("report");
	_exit(r == PORT_NULL || send_one(r, verdict) != SEND_SUCCESS ? 33 : 0);
}

static int short_lived_parent(void *arg)
{
	port_t x;

	(void)arg;
	if (mach_init() != KERN_SUCCESS ||
	    port_allocate(task_self(), &x) != KERN_SUCCESS)
		return 20;
	port_t reg[3] = { name_server_port, environment_port, x };
	if (mach_ports_register(task_self(), reg, 3) != KERN_SUCCESS)
		return 21;
	pid_t me = getpid();
	if (fork() == 0)
		orphan(me);
	return 0;
}

START_TEST(test_child_of_a_parent_that_exited_attaches_without_a_parent)
{
	port_t r;

	ck_assert_int_eq(port_allocate(task_self(), &r), KERN_SUCCESS);
	ck_assert_int_eq(netname_check_in(name_server_port, "report", PORT_NULL, r),
			 NETNAME_SUCCESS);
	pid_t c = harness_spawn(short_lived_parent, NULL);
	ck_assert_int_eq(harness_wait(c, 10000), 0);
	expect_msg(r, 0);
}
END_TEST

/* A forked child whose very first Mach call takes name_server_port as an
 * argument: the name is read before any call attaches the child, so it
 * must attach on that read (found by the LPC work). */
START_TEST(test_forked_childs_first_call_may_use_name_server_port)
{
	port_t r, p;

	ck_assert_int_eq(port_allocate(task_self(), &r), KERN_SUCCESS);
	ck_assert_int_eq(netname_check_in(name_server_port, "first", PORT_NULL, r),
			 NETNAME_SUCCESS);
	pid_t c = fork();
	if (c == 0)
		_exit(netname_look_up(name_server_port, "", "first", &p) ==
		      NETNAME_SUCCESS && p != PORT_NULL ? 0 : 1);
	ck_assert_int_eq(harness_wait(c, 10000), 0);
}
END_TEST

/* Say hello with flags and a parent claim; returns the welcome's status. */
static int raw_hello(uint32_t flags, uint64_t parent)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct umach_hello h = { .magic = UMACH_ABI_MAGIC,
				 .version = UMACH_ABI_VERSION,
				 .flags = flags, .parent_task = parent };
	struct umach_welcome wl;
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", getenv("UMACH_SOCKET"));
	ck_assert_int_eq(connect(s, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(send(s, &h, sizeof h, 0), (ssize_t)sizeof h);
	ck_assert_int_eq(recv(s, &wl, sizeof wl, 0), (ssize_t)sizeof wl);
	close(s);
	return wl.status;
}

START_TEST(test_kernel_refuses_a_parent_claim_it_cannot_verify)
{
	/* Task 1 is the name server: this process is not its child. */
	ck_assert_int_eq(raw_hello(UMACH_HELLO_FORKED, 1), KERN_NO_ACCESS);
	ck_assert_int_eq(raw_hello(0x80, 0), KERN_INVALID_ARGUMENT);
	/* A parent that is gone: the process attaches as a task of its own. */
	ck_assert_int_eq(raw_hello(UMACH_HELLO_FORKED, 999999), KERN_SUCCESS);
	ck_assert_int_eq(raw_hello(0, 0), KERN_SUCCESS);
}
END_TEST

/* ---- netname host names ---- */

START_TEST(test_look_up_takes_empty_star_and_own_host_name_as_here)
{
	port_t p, got;
	char host[256];

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(netname_check_in(name_server_port, "here", PORT_NULL, p),
			 NETNAME_SUCCESS);
	ck_assert_int_eq(gethostname(host, sizeof host), 0);
	host[79] = '\0';
	const char *hosts[] = { "", "*", host };
	for (int i = 0; i < 3; i++) {
		got = PORT_NULL;
		ck_assert_int_eq(netname_look_up(name_server_port, (char *)hosts[i],
						 "here", &got), NETNAME_SUCCESS);
		ck_assert_int_eq(got, p);
	}
	ck_assert_int_eq(netname_look_up(name_server_port, "no-such-host.invalid",
					 "here", &got), NETNAME_NO_SUCH_HOST);
}
END_TEST

/* ---- the environment manager ---- */

START_TEST(test_env_strings_set_get_overwrite_and_delete)
{
	env_str_val_t v;

	ck_assert_int_ne(environment_port, PORT_NULL);
	ck_assert_int_eq(env_set_string(environment_port, "Home", "/u/ada"),
			 ENV_SUCCESS);
	ck_assert_int_eq(env_get_string(environment_port, "HOME", v), ENV_SUCCESS);
	ck_assert_str_eq(v, "/u/ada");
	ck_assert_int_eq(env_set_string(environment_port, "home", "/u/bob"),
			 ENV_SUCCESS);
	ck_assert_int_eq(env_get_string(environment_port, "Home", v), ENV_SUCCESS);
	ck_assert_str_eq(v, "/u/bob");
	ck_assert_int_eq(env_del_string(environment_port, "HoMe"), ENV_SUCCESS);
	ck_assert_int_eq(env_get_string(environment_port, "home", v),
			 ENV_VAR_NOT_FOUND);
	ck_assert_int_eq(env_del_string(environment_port, "home"),
			 ENV_VAR_NOT_FOUND);
}
END_TEST

START_TEST(test_env_ports_set_get_delete_and_error_codes)
{
	port_t p, got;
	env_str_val_t v;

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(env_set_port(environment_port, "svc", p), ENV_SUCCESS);
	ck_assert_int_eq(env_get_port(environment_port, "SVC", &got), ENV_SUCCESS);
	ck_assert_int_eq(got, p);
	ck_assert_int_eq(env_set_string(environment_port, "str", "x"), ENV_SUCCESS);
	/* One name is a string or a port, not both. */
	ck_assert_int_eq(env_get_string(environment_port, "svc", v),
			 ENV_WRONG_VAR_TYPE);
	ck_assert_int_eq(env_get_port(environment_port, "str", &got),
			 ENV_WRONG_VAR_TYPE);
	ck_assert_int_eq(env_del_port(environment_port, "str"), ENV_WRONG_VAR_TYPE);
	ck_assert_int_eq(env_del_string(environment_port, "svc"),
			 ENV_WRONG_VAR_TYPE);
	ck_assert_int_eq(env_set_port(environment_port, "str", p),
			 ENV_WRONG_VAR_TYPE);
	ck_assert_int_eq(env_set_string(environment_port, "svc", "y"),
			 ENV_WRONG_VAR_TYPE);
	ck_assert_int_eq(env_set_port(environment_port, "null", PORT_NULL),
			 ENV_PORT_NULL);
	ck_assert_int_eq(env_set_port(environment_port, "bad", 4242),
			 SEND_INVALID_PORT);
	ck_assert_int_eq(env_get_port(environment_port, "none", &got),
			 ENV_VAR_NOT_FOUND);
	ck_assert_int_eq(env_del_port(environment_port, "svc"), ENV_SUCCESS);
	ck_assert_int_eq(env_get_port(environment_port, "svc", &got),
			 ENV_VAR_NOT_FOUND);
	ck_assert_int_eq(env_del_port(environment_port, "svc"), ENV_VAR_NOT_FOUND);
	/* Our port is still ours after the manager let its right go. */
	ck_assert_int_eq(send_one(p, 1), SEND_SUCCESS);
}
END_TEST

START_TEST(test_env_name_and_value_lengths_at_the_limit_and_one_past)
{
	char name[81], val[257];
	env_str_val_t v;
	port_t p;

	memset(name, 'n', sizeof name);
	memset(val, 'v', sizeof val);
	name[79] = '\0';
	val[255] = '\0';
	ck_assert_int_eq(env_set_string(environment_port, name, val), ENV_SUCCESS);
	ck_assert_int_eq(env_get_string(environment_port, name, v), ENV_SUCCESS);
	ck_assert_str_eq(v, val);
	val[255] = 'v';
	val[256] = '\0';
	ck_assert_int_eq(env_set_string(environment_port, "long", val),
			 KERN_INVALID_ARGUMENT);
	name[79] = 'n';
	name[80] = '\0';
	ck_assert_int_eq(env_set_string(environment_port, name, "x"),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(env_set_port(environment_port, name, p),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(env_get_string(environment_port, name, v),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(env_get_string(environment_port, "long", v),
			 ENV_VAR_NOT_FOUND);
}
END_TEST

START_TEST(test_env_quotas_full_at_limit_plus_one_and_lists_return_all)
{
	char name[16], val[16];
	port_t p[ENV_PORTS_MAX + 1];
	env_name_list names;
	env_str_list vals;
	port_array_t pv;
	unsigned int nn, nv;

	for (int i = 0; i < ENV_STRINGS_MAX; i++) {
		snprintf(name, sizeof name, "s%d", i);
		snprintf(val, sizeof val, "v%d", i);
		ck_assert_int_eq(env_set_string(environment_port, name, val),
				 ENV_SUCCESS);
	}
	ck_assert_int_eq(env_set_string(environment_port, "one-more", "x"),
			 ENV_PORT_TABLE_FULL);
	ck_assert_int_eq(env_set_string(environment_port, "s3", "new"),
			 ENV_SUCCESS);	/* replacing needs no new entry */
	for (int i = 0; i <= ENV_PORTS_MAX; i++) {
		ck_assert_int_eq(port_allocate(task_self(), &p[i]), KERN_SUCCESS);
		snprintf(name, sizeof name, "p%d", i);
		ck_assert_int_eq(env_set_port(environment_port, name, p[i]),
				 i < ENV_PORTS_MAX ? ENV_SUCCESS :
				 ENV_PORT_TABLE_FULL);
	}
	ck_assert_int_eq(env_list_strings(environment_port, &names, &nn, &vals,
					  &nv), ENV_SUCCESS);
	ck_assert_uint_eq(nn, ENV_STRINGS_MAX);
	ck_assert_uint_eq(nv, ENV_STRINGS_MAX);
	int seen = 0;
	for (unsigned int i = 0; i < nn; i++)
		if (strcmp(names[i], "s3") == 0) {
			ck_assert_str_eq(vals[i], "new");
			seen++;
		}
	ck_assert_int_eq(seen, 1);
	vm_deallocate(task_self(), (vm_address_t)names, nn * sizeof *names);
	vm_deallocate(task_self(), (vm_address_t)vals, nv * sizeof *vals);
	ck_assert_int_eq(env_list_ports(environment_port, &names, &nn, &pv, &nv),
			 ENV_SUCCESS);
	ck_assert_uint_eq(nn, ENV_PORTS_MAX);
	ck_assert_uint_eq(nv, ENV_PORTS_MAX);
	for (unsigned int i = 0; i < nn; i++) {
		int k = atoi(names[i] + 1);
		ck_assert_int_eq(pv[i], p[k]);	/* our own names come back */
	}
	vm_deallocate(task_self(), (vm_address_t)names, nn * sizeof *names);
	vm_deallocate(task_self(), (vm_address_t)pv, nv * sizeof *pv);
}
END_TEST

START_TEST(test_env_empty_lists_and_unknown_routine)
{
	env_name_list names;
	env_str_list vals;
	unsigned int nn = 9, nv = 9;
	struct msg64 m;

	ck_assert_int_eq(env_list_strings(environment_port, &names, &nn, &vals,
					  &nv), ENV_SUCCESS);
	ck_assert_uint_eq(nn, 0);
	ck_assert_uint_eq(nv, 0);
	msg64_init(&m, environment_port, thread_reply(), 5099);
	ck_assert_int_eq(msg_rpc(&m.h, MSG_OPTION_NONE, sizeof m, 0, 5000),
			 RPC_SUCCESS);
	ck_assert_int_eq(m.h.msg_id, 5199);
	int rc;
	memcpy(&rc, (char *)&m + sizeof(msg_header_t) + sizeof(msg_type_t), 4);
	ck_assert_int_eq(rc, MIG_BAD_ID);
	/* A known routine whose request is not its layout: the generated
	 * demux answers MIG_BAD_ARGUMENTS, and the manager is still there. */
	msg64_init(&m, environment_port, thread_reply(), 5001);
	ck_assert_int_eq(msg_rpc(&m.h, MSG_OPTION_NONE, sizeof m, 0, 5000),
			 RPC_SUCCESS);
	ck_assert_int_eq(m.h.msg_id, 5101);
	memcpy(&rc, (char *)&m + sizeof(msg_header_t) + sizeof(msg_type_t), 4);
	ck_assert_int_eq(rc, MIG_BAD_ARGUMENTS);
	ck_assert_int_eq(env_list_strings(environment_port, &names, &nn, &vals,
					  &nv), ENV_SUCCESS);
}
END_TEST

START_TEST(test_env_set_stlist_sets_in_order_and_stops_at_the_first_error)
{
	env_name_t names[ENV_STRINGS_MAX + 1];
	env_str_val_t vals[ENV_STRINGS_MAX + 1], v;
	port_t p;

	memset(names, 0, sizeof names);
	memset(vals, 0, sizeof vals);
	strcpy(names[0], "a");
	strcpy(vals[0], "1");
	strcpy(names[1], "b");
	strcpy(vals[1], "2");
	strcpy(names[2], "c");
	strcpy(vals[2], "3");
	ck_assert_int_eq(env_set_stlist(environment_port, names, 3, vals, 3),
			 ENV_SUCCESS);
	ck_assert_int_eq(env_get_string(environment_port, "B", v), ENV_SUCCESS);
	ck_assert_str_eq(v, "2");
	/* "b" is then made a port: setting the list stops there. */
	ck_assert_int_eq(env_del_string(environment_port, "b"), ENV_SUCCESS);
	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(env_set_port(environment_port, "b", p), ENV_SUCCESS);
	strcpy(vals[0], "10");
	strcpy(vals[2], "30");
	ck_assert_int_eq(env_set_stlist(environment_port, names, 3, vals, 3),
			 ENV_WRONG_VAR_TYPE);
	ck_assert_int_eq(env_get_string(environment_port, "a", v), ENV_SUCCESS);
	ck_assert_str_eq(v, "10");
	ck_assert_int_eq(env_get_string(environment_port, "c", v), ENV_SUCCESS);
	ck_assert_str_eq(v, "3");
	ck_assert_int_eq(env_set_stlist(environment_port, names, 2, vals, 3),
			 KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(env_set_stlist(environment_port, names,
					ENV_STRINGS_MAX + 1, vals,
					ENV_STRINGS_MAX + 1), MIG_ARRAY_TOO_LARGE);
	ck_assert_int_eq(env_set_stlist(environment_port, names, 0, vals, 0),
			 ENV_SUCCESS);
}
END_TEST

START_TEST(test_env_set_ptlist_sets_ports_and_refuses_a_null_one)
{
	env_name_t names[3];
	port_t p[3], got;

	memset(names, 0, sizeof names);
	strcpy(names[0], "x");
	strcpy(names[1], "y");
	strcpy(names[2], "z");
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(port_allocate(task_self(), &p[i]), KERN_SUCCESS);
	ck_assert_int_eq(env_set_ptlist(environment_port, names, 2, p, 2),
			 ENV_SUCCESS);
	ck_assert_int_eq(env_get_port(environment_port, "Y", &got), ENV_SUCCESS);
	ck_assert_int_eq(got, p[1]);
	p[1] = PORT_NULL;
	ck_assert_int_eq(env_set_ptlist(environment_port, names + 1, 2, p + 1, 2),
			 ENV_PORT_NULL);
	ck_assert_int_eq(env_get_port(environment_port, "z", &got),
			 ENV_VAR_NOT_FOUND);
	ck_assert_int_eq(env_set_ptlist(environment_port, names, 3, p, 2),
			 KERN_INVALID_ARGUMENT);
	/* Rights the manager did not keep were its own send rights: p[2] is
	 * still ours. */
	ck_assert_int_eq(send_one(p[2], 1), SEND_SUCCESS);
}
END_TEST

/* An unrelated task (re-attached, so not a child) uses "svc" and "greet". */
static int env_stranger(void *arg)
{
	port_t svc;
	env_str_val_t v;

	(void)arg;
	if (umach_task_reattach() != KERN_SUCCESS || environment_port == PORT_NULL)
		return 20;
	if (env_get_string(environment_port, "greet", v) != ENV_SUCCESS ||
	    strcmp(v, "hello") != 0)
		return 21;
	if (env_get_port(environment_port, "svc", &svc) != ENV_SUCCESS)
		return 22;
	for (int i = 1; i <= 3; i++)
		if (call(svc, 100 + i) != 200 + i)
			return 23;
	if (env_set_string(environment_port, "reply", "done") != ENV_SUCCESS)
		return 24;
	return 0;
}

/* A forked child: "svc" is there through its inherited environment_port. */
static int env_child(void *arg)
{
	port_t svc;

	(void)arg;
	if (mach_init() != KERN_SUCCESS || environment_port == PORT_NULL ||
	    env_get_port(environment_port, "svc", &svc) != ENV_SUCCESS)
		return 20;
	for (int i = 1; i <= 3; i++)
		if (call(svc, 100 + i) != 200 + i)
			return 21;
	return 0;
}

START_TEST(test_env_publishes_a_port_to_another_task_and_to_a_forked_child)
{
	port_t p;
	env_str_val_t v;

	ck_assert_int_eq(port_allocate(task_self(), &p), KERN_SUCCESS);
	ck_assert_int_eq(env_set_port(environment_port, "svc", p), ENV_SUCCESS);
	ck_assert_int_eq(env_set_string(environment_port, "greet", "hello"),
			 ENV_SUCCESS);
	pid_t c = harness_spawn(env_stranger, NULL);
	serve(p, 3);
	ck_assert_int_eq(harness_wait(c, 10000), 0);
	ck_assert_int_eq(env_get_string(environment_port, "reply", v), ENV_SUCCESS);
	ck_assert_str_eq(v, "done");
	c = harness_spawn(env_child, NULL);
	serve(p, 3);
	ck_assert_int_eq(harness_wait(c, 10000), 0);
}
END_TEST

/* Publish a port of our own as "ephemeral", then exit: the port dies. */
static int env_publisher(void *arg)
{
	port_t p;

	(void)arg;
	if (port_allocate(task_self(), &p) != KERN_SUCCESS ||
	    env_set_port(environment_port, "ephemeral", p) != ENV_SUCCESS)
		return 20;
	return 0;
}

START_TEST(test_env_name_dies_with_its_port)
{
	port_t got;
	kern_return_t r = ENV_SUCCESS;

	pid_t c = harness_spawn(env_publisher, NULL);
	ck_assert_int_eq(harness_wait(c, 10000), 0);
	/* The manager hears NOTIFY_PORT_DELETED soon after the exit. */
	for (int i = 0; i < 500 && r == ENV_SUCCESS; i++) {
		r = env_get_port(environment_port, "ephemeral", &got);
		if (r == ENV_SUCCESS)
			usleep(10000);
	}
	ck_assert_int_eq(r, ENV_VAR_NOT_FOUND);
}
END_TEST

/* A K&R program of the era: publish a port, fork, the child finds it. */
static const char legacy_src[] =
	"#include <mach.h>\n"
	"#include <servers/env_mgr.h>\n"
	"int fork(); int wait(); int printf(); void exit();\n"
	"struct m { msg_header_t h; msg_type_t t; int v; };\n"
	"static struct m m;\n"
	"main()\n"
	"{\n"
	"\tport_t p, q;\n"
	"\tint pid, st;\n"
	"\n"
	"\tif (port_allocate(task_self(), &p) != KERN_SUCCESS)\n"
	"\t\treturn 1;\n"
	"\tif (env_set_port(environment_port, \"kid_port\", p) != ENV_SUCCESS)\n"
	"\t\treturn 2;\n"
	"\tpid = fork();\n"
	"\tif (pid == 0) {\n"
	"\t\tmach_init();\n"
	"\t\tif (env_get_port(environment_port, \"kid_port\", &q) != ENV_SUCCESS)\n"
	"\t\t\texit(3);\n"
	"\t\tm.h.msg_simple = TRUE;\n"
	"\t\tm.h.msg_size = sizeof m;\n"
	"\t\tm.h.msg_type = MSG_TYPE_NORMAL;\n"
	"\t\tm.h.msg_local_port = PORT_NULL;\n"
	"\t\tm.h.msg_remote_port = q;\n"
	"\t\tm.h.msg_id = 42;\n"
	"\t\tm.t.msg_type_name = MSG_TYPE_INTEGER_32;\n"
	"\t\tm.t.msg_type_size = 32;\n"
	"\t\tm.t.msg_type_number = 1;\n"
	"\t\tm.t.msg_type_inline = TRUE;\n"
	"\t\tm.v = 7;\n"
	"\t\texit(msg_send(&m.h, MSG_OPTION_NONE, 0) == SEND_SUCCESS ? 0 : 4);\n"
	"\t}\n"
	"\tm.h.msg_size = sizeof m;\n"
	"\tm.h.msg_local_port = p;\n"
	"\tif (msg_receive(&m.h, RCV_TIMEOUT, 5000) != RCV_SUCCESS || m.v != 7)\n"
	"\t\treturn 5;\n"
	"\twait(&st);\n"
	"\tprintf(\"%d %d\\n\", m.h.msg_id, st);\n"
	"\treturn st == 0 ? 0 : 6;\n"
	"}\n";

START_TEST(test_env_legacy_program_publishes_a_port_for_its_forked_child)
{
	char dir[] = "/tmp/umach-legacy-XXXXXX", src[64], bin[64], cmd[512];
	char out[64] = "";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(src, sizeof src, "%s/envfork.c", dir);
	snprintf(bin, sizeof bin, "%s/envfork", dir);
	FILE *f = fopen(src, "w");
	ck_assert_ptr_nonnull(f);
	fputs(legacy_src, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, UMACH_BUILD_DIR "/umach-cc --legacy -o %s %s",
		 bin, src);
	ck_assert_int_eq(system(cmd), 0);
	f = popen(bin, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(out, 1, sizeof out - 1, f);
	out[n] = '\0';
	int st = pclose(f);
	unlink(src);
	unlink(bin);
	rmdir(dir);
	ck_assert_int_eq(st, 0);
	ck_assert_str_eq(out, "42 0\n");
}
END_TEST

START_TEST(test_env_mgr_defs_parses_with_its_ids)
{
	char out[1024] = "";
	FILE *f = popen(UMACH_BUILD_DIR "/umig -list - tasks/envmgr/env_mgr.defs",
			"r");

	ck_assert_ptr_nonnull(f);
	size_t n = fread(out, 1, sizeof out - 1, f);
	out[n] = '\0';
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_ptr_nonnull(strstr(out, "env_mgr env_set_string 0 5000 5100\n"));
	ck_assert_ptr_nonnull(strstr(out, "env_mgr env_list_ports 7 5007 5107\n"));
	ck_assert_ptr_nonnull(strstr(out, "env_mgr env_set_ptlist 9 5009 5109\n"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tasks");
	TCase *tc = tcase_create("tasks");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lookup_gives_the_boot_services_and_two_empty_slots);
	tcase_add_test(tc, test_register_then_lookup_returns_the_ports_and_clears_the_rest);
	tcase_add_test(tc, test_mach_init_again_reads_the_registered_ports_afresh);
	tcase_add_test(tc, test_register_of_five_ports_is_invalid_argument_and_changes_nothing);
	tcase_add_test(tc, test_register_and_lookup_with_bad_names_fail_send_invalid_port);
	tcase_add_test(tc, test_special_ports_kernel_and_notify_are_task_self_and_notify);
	tcase_add_test(tc, test_set_bootstrap_and_exception_then_get_returns_them);
	tcase_add_test(tc, test_special_port_errors);
	tcase_add_test(tc, test_notifications_go_to_the_notify_port_that_was_set);
	tcase_add_test(tc, test_forked_child_finds_registered_port_and_calls_it);
	tcase_add_test(tc, test_forked_child_inherits_empty_registered_ports_as_empty);
	tcase_add_test(tc, test_child_of_a_parent_that_exited_attaches_without_a_parent);
	tcase_add_test(tc, test_forked_childs_first_call_may_use_name_server_port);
	tcase_add_test(tc, test_kernel_refuses_a_parent_claim_it_cannot_verify);
	tcase_add_test(tc, test_look_up_takes_empty_star_and_own_host_name_as_here);
	tcase_add_test(tc, test_env_strings_set_get_overwrite_and_delete);
	tcase_add_test(tc, test_env_ports_set_get_delete_and_error_codes);
	tcase_add_test(tc, test_env_name_and_value_lengths_at_the_limit_and_one_past);
	tcase_add_test(tc, test_env_quotas_full_at_limit_plus_one_and_lists_return_all);
	tcase_add_test(tc, test_env_empty_lists_and_unknown_routine);
	tcase_add_test(tc, test_env_set_stlist_sets_in_order_and_stops_at_the_first_error);
	tcase_add_test(tc, test_env_set_ptlist_sets_ports_and_refuses_a_null_one);
	tcase_add_test(tc, test_env_publishes_a_port_to_another_task_and_to_a_forked_child);
	tcase_add_test(tc, test_env_name_dies_with_its_port);
	tcase_add_test(tc, test_env_legacy_program_publishes_a_port_for_its_forked_child);
	tcase_add_test(tc, test_env_mgr_defs_parses_with_its_ids);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(suite());
}
