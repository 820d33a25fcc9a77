/*
 * The integration harness (harness.h).  The kernel runs from the build
 * tree (UMACH_BUILD_DIR), so `make check-asan` tests the sanitized one.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <servers/netname.h>
#include "harness.h"

static pid_t kernel_pid = -1;
static char dir[64];
static char sock[96];
static char klog[96];

/* Copy the kernel's log to stderr, so a failing test shows it. */
static void show_log(void)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(klog, "r");

	while (f != NULL && (n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, stderr);
	if (f != NULL)
		fclose(f);
}

uint64_t harness_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int can_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int ok;

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	ok = connect(s, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(s);
	return ok;
}

void harness_start(const char *profile)
{
	char kpath[256], npath[256], epath[256];

	snprintf(dir, sizeof dir, "/tmp/umach-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof sock, "%s/k.sock", dir);
	snprintf(klog, sizeof klog, "%s/kernel.log", dir);
	snprintf(kpath, sizeof kpath, "%s/umachd", UMACH_BUILD_DIR);
	snprintf(npath, sizeof npath, "%s/umach-netnamed", UMACH_BUILD_DIR);
	snprintf(epath, sizeof epath, "%s/umach-envmgrd", UMACH_BUILD_DIR);
	setenv("UMACH_SOCKET", sock, 1);
	setenv("UMACH_NETNAMED", npath, 1);
	setenv("UMACH_ENVMGRD", epath, 1);
	kernel_pid = fork();
	ck_assert_int_ge(kernel_pid, 0);
	if (kernel_pid == 0) {
		/* If Check kills the test (a timeout), the kernel goes too. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int log = open(klog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (getenv("UMACH_TEST_VERBOSE") == NULL)
			dup2(log, 2);
		execl(kpath, "umachd", "--foreground", "--profile", profile,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 400 && !can_connect(); i++)
		usleep(5000);
	ck_assert_msg(can_connect(), "umachd did not start on %s", sock);
	ck_assert_int_eq(umach_task_reattach(), KERN_SUCCESS);
	/* The name server attaches at boot; wait until it answers. */
	netname_name_t v;
	ck_assert_int_eq(netname_version(name_server_port, v), KERN_SUCCESS);
}

pid_t harness_kernel_pid(void)
{
	return kernel_pid;
}

void harness_kill_kernel(void)
{
	if (kernel_pid > 0) {
		kill(kernel_pid, SIGKILL);
		harness_wait(kernel_pid, 5000);
	}
	kernel_pid = -1;
}

/*
 * Stop the kernel with SIGTERM.  It must exit 0: a sanitizer report or a
 * leak found at exit (LeakSanitizer) makes it exit otherwise, and fails
 * the test with the kernel's log.
 */
void harness_stop(void)
{
	int status = 0;

	if (kernel_pid > 0) {
		kill(kernel_pid, SIGTERM);
		status = harness_wait(kernel_pid, 5000);
		if (status < 0)
			harness_kill_kernel();
	}
	kernel_pid = -1;
	if (status != 0)
		show_log();
	unlink(sock);
	unlink(klog);
	rmdir(dir);
	ck_assert_msg(status == 0, "umachd exited with %d", status);
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n - 2;
}

int harness_fds(pid_t pid)
{
	char p[64];

	snprintf(p, sizeof p, "/proc/%d/fd", (int)pid);
	return count_dir(p);
}

static int count_maps(pid_t pid, const char *only)
{
	char p[64], line[512];
	int n = 0;

	snprintf(p, sizeof p, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(p, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		n += only == NULL || strstr(line, only) != NULL;
	fclose(f);
	return n;
}

/*
 * Under AddressSanitizer the allocator maps arenas as it likes, so only the
 * shared-memory mappings (the channels) can be compared with a baseline.
 */
int harness_maps(pid_t pid)
{
#ifdef __SANITIZE_ADDRESS__
	return count_maps(pid, "/memfd:");
#else
	return count_maps(pid, NULL);
#endif
}

int harness_memfd_maps(pid_t pid)
{
	return count_maps(pid, "/memfd:");
}

pid_t harness_spawn(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

int harness_wait(pid_t pid, int timeout_ms)
{
	int st;

	for (int waited = 0; waited <= timeout_ms; waited += 2) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) :
			       128 + WTERMSIG(st);
		if (r < 0 && errno != EINTR)
			return -1;
		usleep(2000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

port_t harness_lookup(const char *name)
{
	port_t p = PORT_NULL;

	for (int i = 0; i < 400; i++) {
		if (netname_look_up(name_server_port, "", (char *)name, &p) ==
		    NETNAME_SUCCESS)
			return p;
		usleep(5000);
	}
	return PORT_NULL;
}

void msg64_init(struct msg64 *m, port_t dest, port_t reply, int id)
{
	memset(m, 0, sizeof *m);
	m->h.msg_simple = TRUE;
	m->h.msg_size = sizeof *m;
	m->h.msg_type = MSG_TYPE_NORMAL;
	m->h.msg_remote_port = dest;
	m->h.msg_local_port = reply;
	m->h.msg_id = id;
	m->t.msg_type_name = MSG_TYPE_BYTE;
	m->t.msg_type_size = 8;
	m->t.msg_type_number = sizeof m->data;
	m->t.msg_type_inline = TRUE;
}

int harness_run(Suite *s)
{
	SRunner *sr = srunner_create(s);

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

int harness_sh(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;

	ck_assert_ptr_nonnull(f);
	while (out != NULL && n + 1 < len && fgets(out + n, (int)(len - n), f))
		n = strlen(out);
	if (out != NULL)
		out[n] = '\0';
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}
