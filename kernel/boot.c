/*
 * Services the kernel starts at boot (DESIGN: services are tasks).  The
 * name server runs as an ordinary task, attached over a socketpair that
 * the kernel made, so that no other process can pose as it.  Its service
 * port's receive right is in its own space; every task created afterwards
 * gets a send right to it as name_server_port (reference 1.11, slot 0).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel.h"

/* The name server binary: $UMACH_NETNAMED, else beside umachd. */
static int netnamed_path(char *buf, size_t len)
{
	const char *env = getenv("UMACH_NETNAMED");
	char self[PATH_MAX];
	ssize_t n;

	if (env != NULL)
		return snprintf(buf, len, "%s", env) < (int)len ? 0 : -1;
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	return snprintf(buf, len, "%s/umach-netnamed", dirname(self)) <
	       (int)len ? 0 : -1;
}

static pid_t spawn(const char *path, int fd)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	char env[32];
	snprintf(env, sizeof env, "%d", fd);
	setenv("UMACH_KERNEL_FD", env, 1);
	/* The child keeps only its end, without close-on-exec. */
	int keep = dup(fd);
	if (keep >= 0 && dup2(keep, fd) == fd) {
		close(keep);
		execl(path, "umach-netnamed", (char *)NULL);
	}
	fprintf(stderr, "umachd: cannot run %s: %s\n", path, strerror(errno));
	_exit(127);
}

/*
 * Start the name server.  On failure the kernel serves on without a name
 * service (name_server_port is PORT_NULL) and says so.
 */
void boot_name_server(struct kernel *k)
{
	char path[PATH_MAX];
	int sv[2];

	if (netnamed_path(path, sizeof path) != 0 || access(path, X_OK) != 0) {
		klog("no name server (%s not found): netname_* will fail",
		     getenv("UMACH_NETNAMED") ? getenv("UMACH_NETNAMED") :
		     "umach-netnamed beside umachd");
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		klog("no name server: socketpair: %s", strerror(errno));
		return;
	}
	pid_t pid = spawn(path, sv[1]);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		klog("no name server: fork: %s", strerror(errno));
		return;
	}
	k->boot_role = BOOT_NAME_SERVER;
	if (loop_attach_fd(k, sv[0], pid) == NULL)
		klog("no name server: could not attach it");
	k->boot_role = BOOT_NONE;
}
