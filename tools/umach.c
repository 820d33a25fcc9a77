/*
 * umach: the command-line tool.  `umach run` runs a program as a task,
 * starting a private kernel when none serves the socket (as D-Bus
 * autolaunch does) and stopping it afterwards; `umach kernel` starts,
 * stops and reports on a background kernel.  Errors say what to do; exit
 * codes are 0 ok, 1 error, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <umach/path.h>

static const char usage[] =
	"usage: umach run [--profile textbook|mach25|next] PROGRAM [ARGS...]\n"
	"       umach kernel start [--profile P] | stop | status\n"
	"       umach --help\n"
	"\n"
	"  run      run PROGRAM as a task; if no kernel serves the socket, start a\n"
	"           private one for it and stop it when PROGRAM ends.  Exits with\n"
	"           PROGRAM's status.\n"
	"  kernel   start a background kernel (returns once it serves), stop it\n"
	"           (and remove its socket), or say whether one serves.\n"
	"\n"
	"The socket is $UMACH_SOCKET, else $XDG_RUNTIME_DIR/umach/kernel.sock,\n"
	"else /tmp/umach-$UID/kernel.sock.  See umach(1).\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "umach: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

/* umachd beside this binary, or $UMACH_KERNEL. */
static int kernel_binary(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n;

	if (getenv("UMACH_KERNEL") != NULL)
		return snprintf(buf, len, "%s", getenv("UMACH_KERNEL")) < (int)len ? 0 : -1;
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	return snprintf(buf, len, "%s/umachd", dirname(self)) < (int)len ? 0 : -1;
}

/* Connect to the kernel at path; returns its pid, or -1 if none serves. */
static pid_t kernel_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t len = sizeof cred;
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	pid_t pid = -1;

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		pid = cred.pid;
	if (s >= 0)
		close(s);
	return pid;
}

static int valid_profile(const char *p)
{
	return strcmp(p, "textbook") == 0 || strcmp(p, "mach25") == 0 ||
	       strcmp(p, "next") == 0;
}

/*
 * Start umachd on path with profile; with foreground it stays our child
 * (its stderr goes to log_fd).  Returns its pid once it serves, or -1.
 */
static pid_t start_kernel(const char *path, const char *profile,
			  int foreground, int log_fd)
{
	char kpath[PATH_MAX];

	if (kernel_binary(kpath, sizeof kpath) != 0 || access(kpath, X_OK) != 0) {
		fprintf(stderr, "umach: cannot find the kernel (umachd) beside umach; "
			"set UMACH_KERNEL to its path\n");
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);		/* Ctrl-C is for the program, not the kernel */
		if (log_fd >= 0)
			dup2(log_fd, 2);
		execl(kpath, "umachd", "--socket", path, "--profile", profile,
		      foreground ? "--foreground" : (char *)NULL, (char *)NULL);
		fprintf(stderr, "umach: cannot run %s: %s\n", kpath, strerror(errno));
		_exit(127);
	}
	if (!foreground) {
		int st;
		waitpid(pid, &st, 0);	/* umachd returns once it serves */
		return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? kernel_at(path) : -1;
	}
	for (int i = 0; i < 1000; i++) {
		pid_t k = kernel_at(path);
		if (k > 0)
			return k;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(2000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static int wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void stop_private(pid_t k, const char *dir, const char *log)
{
	kill(k, SIGTERM);
	wait_child(k);
	unlink(log);
	rmdir(dir);
}

static void show_log(const char *log)
{
	char buf[4096];
	int fd = open(log, O_RDONLY);
	ssize_t n;

	while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
		fwrite(buf, 1, (size_t)n, stderr);
	if (fd >= 0)
		close(fd);
}

/* Run argv as a task on a private kernel; returns the exit status. */
static int run_private(char **argv, const char *profile)
{
	char dir[] = "/tmp/umach-run-XXXXXX", sock[128], log[128];

	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "umach: cannot make a directory in /tmp: %s\n",
			strerror(errno));
		return 1;
	}
	snprintf(sock, sizeof sock, "%s/kernel.sock", dir);
	snprintf(log, sizeof log, "%s/kernel.log", dir);
	int log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	pid_t k = start_kernel(sock, profile, 1, log_fd);
	if (k < 0) {
		show_log(log);
		fprintf(stderr, "umach: the private kernel did not start\n");
		unlink(log);
		rmdir(dir);
		return 1;
	}
	setenv("UMACH_SOCKET", sock, 1);
	pid_t p = fork();
	if (p == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "umach: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	signal(SIGINT, SIG_IGN);	/* the program decides; then we clean up */
	int rc = p < 0 ? 1 : wait_child(p);
	if (getenv("UMACH_VERBOSE") != NULL)
		show_log(log);
	close(log_fd);
	stop_private(k, dir, log);
	return rc;
}

static int cmd_run(int argc, char **argv)
{
	const char *profile = NULL;
	char path[UMACH_SOCKET_PATH_MAX];
	int i = 1;

	if (i < argc && strcmp(argv[i], "--profile") == 0) {
		if (i + 1 >= argc || !valid_profile(argv[i + 1]))
			return usage_error("--profile takes textbook, mach25 or next (got '%s')",
					   i + 1 < argc ? argv[i + 1] : "");
		profile = argv[i + 1];
		i += 2;
	}
	if (i >= argc)
		return usage_error("run needs a PROGRAM%s", "");
	if (umach_socket_path(path, sizeof path) != 0) {
		fprintf(stderr, "umach: socket path too long; set UMACH_SOCKET\n");
		return 1;
	}
	if (kernel_at(path) > 0) {
		if (profile != NULL)
			fprintf(stderr, "umach: using the kernel already serving %s; "
				"--profile applies only to a private kernel\n", path);
		execvp(argv[i], argv + i);
		fprintf(stderr, "umach: cannot run %s: %s\n", argv[i], strerror(errno));
		return 127;
	}
	return run_private(argv + i, profile ? profile : "textbook");
}

static int kernel_stop(const char *path)
{
	pid_t k = kernel_at(path);
	struct stat st;

	if (k <= 0) {
		fprintf(stderr, "umach: no kernel serves %s\n", path);
		return 1;
	}
	kill(k, SIGTERM);
	for (int i = 0; i < 500 && stat(path, &st) == 0; i++)
		usleep(10000);
	if (stat(path, &st) == 0) {
		fprintf(stderr, "umach: the kernel (pid %d) did not stop in 5 s\n", (int)k);
		return 1;
	}
	printf("stopped the kernel (pid %d) serving %s\n", (int)k, path);
	return 0;
}

static int cmd_kernel(int argc, char **argv)
{
	char path[UMACH_SOCKET_PATH_MAX];
	const char *profile = "textbook";

	if (argc < 2)
		return usage_error("kernel needs start, stop or status%s", "");
	if (umach_socket_path(path, sizeof path) != 0) {
		fprintf(stderr, "umach: socket path too long; set UMACH_SOCKET\n");
		return 1;
	}
	if (argc == 4 && strcmp(argv[1], "start") == 0 &&
	    strcmp(argv[2], "--profile") == 0 && valid_profile(argv[3]))
		profile = argv[3];
	else if (argc != 2)
		return usage_error("unexpected arguments after 'kernel %s'", argv[1]);
	if (strcmp(argv[1], "status") == 0) {
		pid_t k = kernel_at(path);
		if (k <= 0) {
			printf("no kernel serves %s\n", path);
			return 1;
		}
		printf("a kernel (pid %d) serves %s\n", (int)k, path);
		return 0;
	}
	if (strcmp(argv[1], "stop") == 0)
		return kernel_stop(path);
	if (strcmp(argv[1], "start") != 0)
		return usage_error("unknown kernel command '%s'", argv[1]);
	if (kernel_at(path) > 0) {
		fprintf(stderr, "umach: a kernel already serves %s\n", path);
		return 1;
	}
	pid_t k = start_kernel(path, profile, 0, -1);
	if (k <= 0)
		return 1;
	printf("a kernel (pid %d) serves %s\n", (int)k, path);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("no command given%s", "");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "kernel") == 0)
		return cmd_kernel(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", argv[1]);
}
