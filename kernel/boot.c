/*
 * Services the kernel starts at boot (DESIGN: services are tasks): the
 * name server and the environment manager.  Each runs as an ordinary
 * task, attached over a socketpair that the kernel made, so that no other
 * process can pose as it.  Its service port's receive right is in its own
 * space; every task created afterwards has a send right to it in its
 * registered ports (reference 1.11: slot 0 name_server_port, slot 1
 * environment_port).
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

/* A service binary: $env if set, else bin beside umachd. */
static int service_path(const char *env_name, const char *bin, char *buf,
			size_t len)
{
	const char *env = getenv(env_name);
	char self[PATH_MAX];
	ssize_t n;

	if (env != NULL)
		return snprintf(buf, len, "%s", env) < (int)len ? 0 : -1;
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	return snprintf(buf, len, "%s/%s", dirname(self), bin) < (int)len ?
	       0 : -1;
}

static pid_t spawn(const char *path, const char *bin, int fd)
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
		execl(path, bin, (char *)NULL);
	}
	fprintf(stderr, "umachd: cannot run %s: %s\n", path, strerror(errno));
	_exit(127);
}

/*
 * Start one service as a task in boot role `role`.  On failure the kernel
 * serves on without it (its registered slot stays PORT_NULL) and says so.
 */
static void boot_one(struct kernel *k, uint32_t role, const char *env_name,
		     const char *bin)
{
	char path[PATH_MAX];
	int sv[2];

	if (service_path(env_name, bin, path, sizeof path) != 0 ||
	    access(path, X_OK) != 0) {
		klog("no %s (%s not found)", bin, getenv(env_name) ?
		     getenv(env_name) : "not beside umachd");
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		klog("no %s: socketpair: %s", bin, strerror(errno));
		return;
	}
	pid_t pid = spawn(path, bin, sv[1]);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		klog("no %s: fork: %s", bin, strerror(errno));
		return;
	}
	k->boot_role = role;
	if (loop_attach_fd(k, sv[0], pid) == NULL)
		klog("no %s: could not attach it", bin);
	k->boot_role = BOOT_NONE;
}

/*
 * Start the boot services: the name server (slot 0, $UMACH_NETNAMED) and
 * then the environment manager (slot 1, $UMACH_ENVMGRD), so that the
 * environment manager's own registered ports include the name server.
 */
void boot_services(struct kernel *k)
{
	boot_one(k, BOOT_NAME_SERVER, "UMACH_NETNAMED", "umach-netnamed");
	boot_one(k, BOOT_ENV_MGR, "UMACH_ENVMGRD", "umach-envmgrd");
}
