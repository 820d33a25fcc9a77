/*
 * Attaching a task to the kernel (docs/protocol.md §1): connect to the
 * kernel's socket, say hello, receive the welcome with the channel memfd
 * and the doorbell eventfd, map the channel.  mach_init() runs as a
 * constructor, so a program that links libumach is a task before main;
 * if no kernel is there yet it is tried again at the first call.  A forked
 * child drops its parent's channel and attaches as a task of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <umach/path.h>
#include "internal.h"

struct umach__conn umach__conn = { .sock = -1, .bell = -1 };

/* The variables behind <mach_init.h>'s macros of the same names. */
#undef name_server_port
#undef environment_port
#undef service_port

port_t task_self_ = PORT_NULL;
port_t task_notify_ = PORT_NULL;
port_t name_server_port = PORT_NULL;
port_t environment_port = PORT_NULL;
port_t service_port = PORT_NULL;
port_set_name_t PORT_ENABLED = -1;
vm_size_t vm_page_size = 4096;

static pthread_mutex_t attach_lock = PTHREAD_MUTEX_INITIALIZER;
static int said_why;
/* The task this process was forked from, until it attaches (0: none). */
static uint64_t fork_parent;

static void say_why(const char *path, const char *why)
{
	if (said_why++)
		return;
	fprintf(stderr, "umach: cannot attach to the kernel at %s: %s\n"
		"umach: start one with 'umach kernel start', or run the program "
		"with 'umach run'\n", path, why);
}

/* The name the kernel shows for this task: $UMACH_TASK_NAME (umach up
 * sets it), else the program's name. */
static const char *task_name(void)
{
	extern char *program_invocation_short_name;
	const char *env = getenv("UMACH_TASK_NAME");

	return env != NULL && env[0] != '\0' ? env : program_invocation_short_name;
}

/* Receive the welcome and its two fds.  Returns 0 or an errno value. */
static int recv_welcome(int sock, struct umach_welcome *wl, int fds[2])
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { .iov_base = wl, .iov_len = sizeof *wl };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	ssize_t n;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof *wl || wl->magic != UMACH_ABI_MAGIC)
		return EPROTO;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (c == NULL || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(2 * sizeof(int)))
		return wl->status == KERN_SUCCESS ? EPROTO : ECONNREFUSED;
	memcpy(fds, CMSG_DATA(c), 2 * sizeof(int));
	return 0;
}

static int connect_kernel(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof sa) == 0)
		return s;
	int e = errno;
	if (s >= 0)
		close(s);
	errno = e;
	return -1;
}

static void adopt(const struct umach_welcome *wl)
{
	task_self_ = wl->task_self;
	task_notify_ = wl->task_notify;
	name_server_port = wl->name_server;
	environment_port = wl->environment;
	service_port = wl->service;
	vm_page_size = (vm_size_t)sysconf(_SC_PAGESIZE);
}

static int booted = -1;

/*
 * A service the kernel starts itself (the name server) inherits its end of
 * a socketpair in $UMACH_KERNEL_FD and is welcomed without a hello.
 */
static int boot_fd(void)
{
	const char *e = getenv("UMACH_KERNEL_FD");

	if (e == NULL)
		return -1;
	booted = atoi(e);
	unsetenv("UMACH_KERNEL_FD");
	fcntl(booted, F_SETFD, FD_CLOEXEC);
	return booted;
}

/* Attach with attach_lock held.  Returns 0 or -1 after saying why. */
static int attach_locked(void)
{
	char path[UMACH_SOCKET_PATH_MAX];
	struct umach_hello h = { .magic = UMACH_ABI_MAGIC,
				 .version = UMACH_ABI_VERSION };
	struct umach_welcome wl;
	int fds[2], err;

	if (umach_socket_path(path, sizeof path) != 0)
		return say_why("$UMACH_SOCKET", "path too long"), -1;
	int s = boot_fd();
	if (s < 0 && (s = connect_kernel(path)) < 0)
		return say_why(path, strerror(errno)), -1;
	snprintf(h.name, sizeof h.name, "%s", task_name());
	if (fork_parent != 0) {
		h.flags = UMACH_HELLO_FORKED;
		h.parent_task = fork_parent;
	}
	if (s != booted && send(s, &h, sizeof h, MSG_NOSIGNAL) != (ssize_t)sizeof h)
		err = errno;
	else
		err = recv_welcome(s, &wl, fds);
	if (err != 0) {
		close(s);
		return say_why(path, strerror(err)), -1;
	}
	void *p = mmap(NULL, wl.channel_bytes, PROT_READ | PROT_WRITE,
		       MAP_SHARED, fds[0], 0);
	close(fds[0]);
	if (p == MAP_FAILED || wl.channel_bytes != sizeof(struct umach_channel)) {
		close(fds[1]);
		close(s);
		return say_why(path, "cannot map the channel"), -1;
	}
	static uint32_t gen;
	umach__conn.sock = s;
	umach__conn.bell = fds[1];
	umach__conn.welcome = wl;
	umach__conn.gen = ++gen;
	adopt(&wl);
	fork_parent = 0;
	/* Published last: umach__ensure's unlocked check reads chan alone, so
	 * a thread that sees it must also see everything above. */
	__atomic_store_n(&umach__conn.chan, p, __ATOMIC_RELEASE);
	return 0;
}

int umach__ensure(void)
{
	if (__atomic_load_n(&umach__conn.chan, __ATOMIC_ACQUIRE) != NULL)
		return 0;
	if (umach__conn.dead)
		return -1;
	pthread_mutex_lock(&attach_lock);
	int r = umach__conn.chan != NULL ? 0 : attach_locked();
	pthread_mutex_unlock(&attach_lock);
	return r;
}

static void drop_attachment(void)
{
	if (umach__conn.chan != NULL)
		munmap(umach__conn.chan, sizeof(struct umach_channel));
	if (umach__conn.sock >= 0)
		close(umach__conn.sock);
	if (umach__conn.bell >= 0)
		close(umach__conn.bell);
	umach__conn = (struct umach__conn){ .sock = -1, .bell = -1 };
	task_self_ = task_notify_ = PORT_NULL;
	name_server_port = environment_port = service_port = PORT_NULL;
	umach__slot_reset();
	said_why = 0;
}

/*
 * A forked child must not use its parent's channel.  It becomes a task of
 * its own at its first call, the child task of its parent's (reference
 * 1.17 item 6): the kernel gives it fresh kernel, notify and reply ports,
 * and only its parent's registered ports and bootstrap and exception send
 * rights.
 */
static void after_fork_child(void)
{
	pthread_mutex_init(&attach_lock, NULL);
	fork_parent = umach__conn.chan != NULL ?
		      umach__conn.welcome.task_id : 0;
	drop_attachment();
}

/* mach_init() in an attached task: read the registered ports again. */
static void refresh_registered(void)
{
	port_array_t ports;
	unsigned int count;

	if (mach_ports_lookup(task_self_, &ports, &count) != KERN_SUCCESS)
		return;
	name_server_port = count > NAME_SERVER_SLOT ? ports[NAME_SERVER_SLOT] :
			   PORT_NULL;
	environment_port = count > ENVIRONMENT_SLOT ? ports[ENVIRONMENT_SLOT] :
			   PORT_NULL;
	service_port = count > SERVICE_SLOT ? ports[SERVICE_SLOT] : PORT_NULL;
	vm_deallocate(task_self_, (vm_address_t)ports, count * sizeof *ports);
}

/*
 * Attach this process to the kernel, if it is not attached, and cache its
 * special ports in task_self_, task_notify_ and the registered-port
 * globals (name_server_port, environment_port, service_port).  Called
 * again in an attached task, it reads the registered ports afresh with
 * mach_ports_lookup (the new names are send rights the task now holds).
 * Returns KERN_SUCCESS, or KERN_FAILURE if no kernel could be reached (a
 * line on stderr says why and what to do).
 */
int mach_init(void)
{
	if (umach__conn.chan != NULL) {
		refresh_registered();
		return KERN_SUCCESS;
	}
	return umach__ensure() == 0 ? KERN_SUCCESS : KERN_FAILURE;
}

/*
 * Leave the current kernel, if attached, and attach again as a new task,
 * reading $UMACH_SOCKET afresh.  Every right of the old task is lost.
 * Only for a process with one thread in umach calls (tests, tools).
 * Returns KERN_SUCCESS or KERN_FAILURE.
 */
int umach_task_reattach(void)
{
	pthread_mutex_lock(&attach_lock);
	drop_attachment();
	fork_parent = 0;
	pthread_mutex_unlock(&attach_lock);
	return mach_init();
}

port_t umach_task_self(void)
{
	umach__ensure();
	return task_self_;
}

port_t umach_task_notify(void)
{
	umach__ensure();
	return task_notify_;
}

port_t *umach_name_server_port_at(void)
{
	umach__ensure();
	return &name_server_port;
}

port_t *umach_environment_port_at(void)
{
	umach__ensure();
	return &environment_port;
}

port_t *umach_service_port_at(void)
{
	umach__ensure();
	return &service_port;
}

__attribute__((constructor)) static void umach__ctor(void)
{
	pthread_atfork(NULL, NULL, after_fork_child);
	said_why = 1;		/* quiet: the first call will say why */
	mach_init();
	said_why = 0;
}
