/*
 * umachd: the user-space kernel process.  Parses the command line, claims
 * the socket (refusing if a live kernel already serves it, removing a
 * stale one), optionally detaches, and runs the event loop until SIGTERM,
 * SIGINT or SIGHUP; then it destroys every task and removes its socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umach/path.h>
#include "kernel.h"

static const char usage[] =
	"usage: umachd [--socket PATH] [--profile textbook|mach25|next] [--foreground]\n"
	"\n"
	"The umach kernel: owns every port, right and queued message, and serves\n"
	"tasks that attach over its Unix socket.\n"
	"\n"
	"  --socket PATH    listen here (default: $UMACH_SOCKET, else\n"
	"                   $XDG_RUNTIME_DIR/umach/kernel.sock, else\n"
	"                   /tmp/umach-$UID/kernel.sock)\n"
	"  --profile NAME   textbook (default: backlog 8), mach25 (backlog 5),\n"
	"                   next (NeXT: RCV_TOO_LARGE destroys unless RCV_LARGE)\n"
	"  --foreground     stay attached to the terminal (default: detach once\n"
	"                   serving)\n"
	"  --help           this text\n"
	"\n"
	"SIGTERM, SIGINT or SIGHUP stop it cleanly.  Logs go to stderr.\n";

struct opts {
	char     path[UMACH_SOCKET_PATH_MAX];
	uint32_t profile;
	int      foreground;
};

static int parse_profile(const char *s, uint32_t *out)
{
	if (strcmp(s, "textbook") == 0)
		*out = UMACH_PROFILE_TEXTBOOK;
	else if (strcmp(s, "mach25") == 0)
		*out = UMACH_PROFILE_MACH25;
	else if (strcmp(s, "next") == 0)
		*out = UMACH_PROFILE_NEXT;
	else
		return -1;
	return 0;
}

/* Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "profile", required_argument, NULL, 'p' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, have_path = 0;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		} else if (c == 's') {
			if (strlen(optarg) >= sizeof o->path) {
				fprintf(stderr, "umachd: socket path too long (max %zu bytes)\n",
					sizeof o->path - 1);
				return 2;
			}
			snprintf(o->path, sizeof o->path, "%s", optarg);
			have_path = 1;
		} else if (c == 'p') {
			if (parse_profile(optarg, &o->profile) != 0) {
				fprintf(stderr, "umachd: unknown profile '%s' (textbook, mach25 or next)\n",
					optarg);
				return 2;
			}
		} else if (c == 'f') {
			o->foreground = 1;
		} else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "umachd: unexpected argument '%s'\n%s", argv[optind], usage);
		return 2;
	}
	if (!have_path && umach_socket_path(o->path, sizeof o->path) != 0) {
		fprintf(stderr, "umachd: socket path too long; set UMACH_SOCKET\n");
		return 2;
	}
	return -1;
}

/* Make the socket's directory (0700) if missing; refuse a live kernel. */
static int claim_path(const char *path)
{
	char dir[UMACH_SOCKET_PATH_MAX];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(dir, sizeof dir, "%s", path);
	char *d = dirname(dir);
	if (mkdir(d, 0700) != 0 && errno != EEXIST) {
		klog("cannot make %s: %s", d, strerror(errno));
		return -1;
	}
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		close(fd);
		klog("a kernel is already serving %s", path);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	if (unlink(path) != 0 && errno != ENOENT) {
		klog("cannot remove stale %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Detach: the parent returns only once the child serves (or failed). */
static int detach(int *ready_fd)
{
	int p[2];

	if (pipe(p) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		char c = 1;
		close(p[1]);
		ssize_t n = read(p[0], &c, 1);
		_exit(n == 1 && c == 0 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	/* A daemon must not hold its caller's stdin and stdout open (a
	 * pipe would never see EOF); its log stays on stderr. */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		close(null);
	}
	*ready_fd = p[1];
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .profile = UMACH_PROFILE_TEXTBOOK };
	struct kernel k;
	int ready_fd = -1, rc = parse_args(argc, argv, &o);

	if (rc >= 0)
		return rc;
	/* Same-uid tasks must not reach our memfds through /proc (E2). */
	prctl(PR_SET_DUMPABLE, 0);
	if (kernel_init(&k, o.profile) != KERN_SUCCESS) {
		klog("out of memory");
		return 1;
	}
	if (getenv("UMACH_KERNEL_SPIN_US"))
		k.spin_us = (uint32_t)strtoul(getenv("UMACH_KERNEL_SPIN_US"), NULL, 10);
	if (!o.foreground && detach(&ready_fd) != 0) {
		klog("cannot detach: %s", strerror(errno));
		return 1;
	}
	if (claim_path(o.path) != 0 || loop_listen(&k, o.path) != 0) {
		loop_close(&k);
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);	/* boot services reap themselves */
	boot_services(&k);
	klog("serving %s (pid %d)", o.path, (int)getpid());
	if (ready_fd >= 0) {
		char c = 0;
		if (write(ready_fd, &c, 1) != 1)
			klog("lost the parent before it heard we serve");
		close(ready_fd);
	}
	loop_run(&k);
	kernel_fini(&k);
	loop_close(&k);
	unlink(o.path);
	klog("stopped");
	return 0;
}
