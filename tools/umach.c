/*
 * umach: the command-line tool.  `umach run` runs a program as a task,
 * starting a private kernel when none serves the socket (as D-Bus
 * autolaunch does) and stopping it afterwards; `umach kernel` starts,
 * stops and reports on a background kernel.  ps, ports, stat, knob
 * (show.c) and trace (trace.c) look inside a running kernel through the
 * monitor protocol.  Errors say what to do; exit codes are 0 ok, 1 error,
 * 2 usage.
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

#include "tool.h"

static const char usage[] =
	"usage: umach run [--profile textbook|mach25|next] [--trace [TRACE-OPTS]]\n"
	"                 PROGRAM [ARGS...]\n"
	"       umach kernel start [--profile P] | stop | status\n"
	"       umach up [--trace [TRACE-OPTS]] FILE\n"
	"       umach ps\n"
	"       umach ports [TASK]\n"
	"       umach stat\n"
	"       umach trace [--json] [--msc FILE] [--task TASK] [--port ID] [--id N]\n"
	"                   [--count N]\n"
	"       umach knob delay PORT|TASK MS | full PORT|TASK PCT | kill TASK N | seed N\n"
	"       umach netd [--name NAME] [--listen ADDR:PORT]\n"
	"                  [--peer HOST=ADDR:PORT ...] --secret FILE\n"
	"       umach --help\n"
	"\n"
	"  run      run PROGRAM as a task; if no kernel serves the socket, start a\n"
	"           private one for it and stop it when PROGRAM ends.  Exits with\n"
	"           PROGRAM's status.  --trace shows the run's events on stderr\n"
	"           (with --json, --msc FILE and the filters of trace).\n"
	"  kernel   start a background kernel (returns once it serves), stop it\n"
	"           (and remove its socket), or say whether one serves.\n"
	"  up       start the scenario in FILE: its tasks (task NAME PROGRAM ARGS),\n"
	"           profile, seed and knobs (knob delay|full|kill NAME VALUE); on a\n"
	"           private kernel unless one serves.  Ctrl-C stops every task.\n"
	"  ps       list tasks: pid, name, rights, queued messages, and what each\n"
	"           thread in a call is blocked on.\n"
	"  ports    list each task's port names and rights (or one TASK's), as\n"
	"           lsmp does: who receives and owns each port, its queue and\n"
	"           backlog, and who is blocked on it.\n"
	"  stat     counters per task, in total and per port: messages, bytes,\n"
	"           bytes copied and moved, blocks, wake-ups, notifications,\n"
	"           timeouts.\n"
	"  trace    show every event live until Ctrl-C: messages, blocks,\n"
	"           wake-ups, notifications, deaths.  --json prints one object per\n"
	"           line; --msc FILE writes a chart for mscgen(1) at the end.\n"
	"  knob     simulation knobs: delay each message to PORT by MS ms; make\n"
	"           PCT % of sends to PORT find it full; SIGKILL TASK at its Nth\n"
	"           message from now; seed the kernel's random choices.  Given a\n"
	"           TASK, delay and full act on every port it receives on.\n"
	"  netd     run the network message server, umach-netd(8), on the\n"
	"           running kernel: look-ups for HOST reach HOST's netd.\n"
	"\n"
	"A TASK is a pid or a task name; a PORT is #ID or TASK:NAME (umach ports).\n"
	"The socket is $UMACH_SOCKET, else $XDG_RUNTIME_DIR/umach/kernel.sock,\n"
	"else /tmp/umach-$UID/kernel.sock.  See umach(1).\n";

int tool_usage(const char *fmt, const char *arg)
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
pid_t tool_kernel_at(const char *path)
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

int tool_valid_profile(const char *p)
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
		return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? tool_kernel_at(path) : -1;
	}
	for (int i = 0; i < 1000; i++) {
		pid_t k = tool_kernel_at(path);
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

int tool_wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
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

/*
 * Start a private kernel in a fresh directory under /tmp and point
 * UMACH_SOCKET at it.  Returns 0, or 1 after saying why.
 */
int tool_private_start(struct private_kernel *pk, const char *profile)
{
	const char *tmp = getenv("TMPDIR");

	/* $TMPDIR if the socket path still fits a Unix address, else /tmp */
	if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > 60)
		tmp = "/tmp";
	snprintf(pk->dir, sizeof pk->dir, "%s/umach-run-XXXXXX", tmp);
	if (mkdtemp(pk->dir) == NULL) {
		fprintf(stderr, "umach: cannot make a directory in /tmp: %s\n",
			strerror(errno));
		return 1;
	}
	snprintf(pk->sock, sizeof pk->sock, "%s/kernel.sock", pk->dir);
	snprintf(pk->log, sizeof pk->log, "%s/kernel.log", pk->dir);
	pk->log_fd = open(pk->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	pk->pid = start_kernel(pk->sock, profile, 1, pk->log_fd);
	if (pk->pid < 0) {
		show_log(pk->log);
		fprintf(stderr, "umach: the private kernel did not start\n");
		if (pk->log_fd >= 0)
			close(pk->log_fd);
		unlink(pk->log);
		rmdir(pk->dir);
		return 1;
	}
	setenv("UMACH_SOCKET", pk->sock, 1);
	return 0;
}

/* Stop it and remove its directory (its log goes to stderr if verbose). */
void tool_private_stop(struct private_kernel *pk)
{
	kill(pk->pid, SIGTERM);
	tool_wait_child(pk->pid);
	if (getenv("UMACH_VERBOSE") != NULL)
		show_log(pk->log);
	if (pk->log_fd >= 0)
		close(pk->log_fd);
	unlink(pk->log);
	rmdir(pk->dir);
}

/*
 * Run argv as a task on the kernel at sock, tracing it with o if o is not
 * NULL; returns its exit status.  The trace goes to stderr, so that the
 * program's stdout is its own.
 */
static int run_program(char **argv, const char *sock,
		       const struct trace_opts *o)
{
	struct trace_log *l = NULL;
	int fd = -1;

	if (o != NULL) {
		if ((fd = mon_connect(sock, 0)) < 0 ||
		    (l = trace_begin(fd, o)) == NULL) {
			if (fd >= 0)
				close(fd);
			return 1;
		}
	}
	pid_t p = fork();
	if (p == 0) {
		if (fd >= 0)
			close(fd);
		execvp(argv[0], argv);
		fprintf(stderr, "umach: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	signal(SIGINT, SIG_IGN);	/* the program decides; then we clean up */
	int rc = 1, st;
	if (p < 0)
		fprintf(stderr, "umach: cannot fork: %s\n", strerror(errno));
	while (p > 0 && l != NULL) {	/* show events until it ends */
		pid_t w = waitpid(p, &st, WNOHANG);
		if (w == p) {
			rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			p = 0;
			break;
		}
		if (trace_step(l, 20) < 0) {
			fprintf(stderr, "umach: the kernel went away\n");
			trace_end(l, 0);
			l = NULL;
		}
	}
	if (p > 0)
		rc = tool_wait_child(p);
	if (l != NULL && trace_end(l, 1) != 0 && rc == 0)
		rc = 1;
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Run argv as a task on a private kernel; returns the exit status. */
static int run_private(char **argv, const char *profile,
		       const struct trace_opts *o)
{
	struct private_kernel pk;

	if (tool_private_start(&pk, profile) != 0)
		return 1;
	int rc = run_program(argv, pk.sock, o);
	tool_private_stop(&pk);
	return rc;
}

static int cmd_run(int argc, char **argv)
{
	const char *profile = NULL;
	char path[UMACH_SOCKET_PATH_MAX];
	struct trace_opts o = { .out = stderr };
	int i = 1, trace = 0, r;

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--profile") == 0) {
			if (i + 1 >= argc || !tool_valid_profile(argv[i + 1]))
				return tool_usage("--profile takes textbook, mach25 or "
						  "next (got '%s')",
						  i + 1 < argc ? argv[i + 1] : "");
			profile = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "--trace") == 0) {
			trace = 1;
			i++;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if ((r = trace_parse_opt(&o, argc, argv, &i)) != 1) {
			return r == 2 ? 2 : tool_usage("unknown run option '%s'",
						       argv[i]);
		} else {
			trace = 1;
		}
	}
	if (i >= argc)
		return tool_usage("run needs a PROGRAM%s", "");
	if (umach_socket_path(path, sizeof path) != 0) {
		fprintf(stderr, "umach: socket path too long; set UMACH_SOCKET\n");
		return 1;
	}
	if (tool_kernel_at(path) > 0) {
		if (profile != NULL)
			fprintf(stderr, "umach: using the kernel already serving %s; "
				"--profile applies only to a private kernel\n", path);
		if (trace)
			return run_program(argv + i, path, &o);
		execvp(argv[i], argv + i);
		fprintf(stderr, "umach: cannot run %s: %s\n", argv[i], strerror(errno));
		return 127;
	}
	return run_private(argv + i, profile ? profile : "textbook",
			   trace ? &o : NULL);
}

static int kernel_stop(const char *path)
{
	pid_t k = tool_kernel_at(path);
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
		return tool_usage("kernel needs start, stop or status%s", "");
	if (umach_socket_path(path, sizeof path) != 0) {
		fprintf(stderr, "umach: socket path too long; set UMACH_SOCKET\n");
		return 1;
	}
	if (argc == 4 && strcmp(argv[1], "start") == 0 &&
	    strcmp(argv[2], "--profile") == 0 && tool_valid_profile(argv[3]))
		profile = argv[3];
	else if (argc != 2)
		return tool_usage("unexpected arguments after 'kernel %s'", argv[1]);
	if (strcmp(argv[1], "status") == 0) {
		pid_t k = tool_kernel_at(path);
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
		return tool_usage("unknown kernel command '%s'", argv[1]);
	if (tool_kernel_at(path) > 0) {
		fprintf(stderr, "umach: a kernel already serves %s\n", path);
		return 1;
	}
	pid_t k = start_kernel(path, profile, 0, -1);
	if (k <= 0)
		return 1;
	printf("a kernel (pid %d) serves %s\n", (int)k, path);
	return 0;
}

/* umach netd ARGS: become umach-netd (beside this binary) with ARGS. */
static int cmd_netd(int argc, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n <= 0)
		return 1;
	self[n] = '\0';
	snprintf(path, sizeof path, "%s/umach-netd", dirname(self));
	argv[0] = "umach-netd";
	(void)argc;
	execv(path, argv);
	fprintf(stderr, "umach: cannot run %s: %s\n", path, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return tool_usage("no command given%s", "");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "kernel") == 0)
		return cmd_kernel(argc - 1, argv + 1);
	if (strcmp(argv[1], "netd") == 0)
		return cmd_netd(argc - 1, argv + 1);
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = { { "ps", cmd_ps }, { "ports", cmd_ports },
		     { "stat", cmd_stat }, { "trace", cmd_trace },
		     { "knob", cmd_knob }, { "up", cmd_up } };
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			if (argc > 2 && (strcmp(argv[2], "--help") == 0 ||
					 strcmp(argv[2], "-h") == 0)) {
				fputs(usage, stdout);
				return 0;
			}
			return cmds[i].fn(argc - 1, argv + 1);
		}
	return tool_usage("unknown command '%s'", argv[1]);
}
