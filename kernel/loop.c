/*
 * umachd's event loop: accept and attach tasks over the Unix socket, notice
 * their death (hang-up or pidfd), and serve their channels.  While there is
 * work the kernel polls the channels of active tasks and spins briefly
 * (yielding, so that a peer on this CPU runs); then it raises need_wakeup
 * in each channel and sleeps in epoll until a doorbell, a death, a new task
 * or a timer (protocol.md §5: io_uring's SQPOLL NEED_WAKEUP).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <mach_init.h>
#include <poll.h>
#include "kernel.h"
#include "fail.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#define HELLO_MAX 64		/* attaches that have not said hello yet */
#define HELLO_TIMEOUT_MS 3000	/* and how long one may take to (C7) */

/*
 * A connection that has not said hello yet.  They are kept in the order
 * they came, which is also the order of their deadlines, so that the
 * oldest is always first (reliability C7: a handshake that stalls is
 * dropped, CVE-2014-3639).
 */
struct hello {
	struct watch  w;		/* first: the epoll data points here */
	uint64_t      deadline_ns;
	struct hello *next, *prev;
};

static void hello_unlink(struct kernel *k, struct hello *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else
		k->hellos = h->next;
	if (h->next)
		h->next->prev = h->prev;
	else
		k->hellos_tail = h->prev;
	k->nhello--;
}

/* Drop a connection that never said hello; returns nothing to it. */
static void hello_drop(struct kernel *k, struct hello *h)
{
	hello_unlink(k, h);
	loop_watch_close(k, &h->w);
	free(h);
}

/* Drop every connection whose handshake is overdue at now_ns. */
static void hellos_expire(struct kernel *k, uint64_t now_ns)
{
	while (k->hellos != NULL && k->hellos->deadline_ns <= now_ns) {
		klog("dropped a connection that said no hello in %d ms",
		     HELLO_TIMEOUT_MS);
		hello_drop(k, k->hellos);
	}
}

/* Milliseconds until the next deadline: a timer's or a handshake's. */
static int next_timeout_ms(struct kernel *k, uint64_t now_ns)
{
	int ms = timers_next_ms(k, now_ns);

	if (k->hellos != NULL) {
		uint64_t d = k->hellos->deadline_ns;
		int h = d <= now_ns ? 0 : (int)((d - now_ns + 999999) / 1000000);
		if (ms < 0 || h < ms)
			ms = h;
	}
	return ms;
}

int loop_watch_add(struct kernel *k, struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(k->epfd, EPOLL_CTL_ADD, w->fd, &ev);
}

void loop_watch_close(struct kernel *k, struct watch *w)
{
	if (w->fd < 0)
		return;
	if (k->epfd >= 0)
		epoll_ctl(k->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	close(w->fd);
	w->fd = -1;
}

/* Called by ktask_destroy: drop t from the active list and close its fds. */
void kernel_forget_task(struct kernel *k, struct ktask *t)
{
	for (struct ktask **pp = &k->active; *pp != NULL; pp = &(*pp)->anext)
		if (*pp == t) {
			*pp = t->anext;
			break;
		}
	t->active = 0;
	loop_watch_close(k, &t->w_sock);
	loop_watch_close(k, &t->w_bell);
	loop_watch_close(k, &t->w_pid);
}

/*
 * Open the listening socket at path and the signal fd.  Returns 0, or -1
 * with a log line saying why.
 */
int loop_listen(struct kernel *k, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	sigset_t set;

	k->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (k->epfd < 0)
		return klog("epoll: %s", strerror(errno)), -1;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return klog("socket: %s", strerror(errno)), -1;
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (r != 0 || listen(fd, 128) != 0) {
		klog("cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	k->w_listen = (struct watch){ .kind = W_LISTEN, .fd = fd };
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	k->w_signal = (struct watch){ .kind = W_SIGNAL,
		.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK) };
	if (k->w_signal.fd < 0 || loop_watch_add(k, &k->w_listen, EPOLLIN) != 0 ||
	    loop_watch_add(k, &k->w_signal, EPOLLIN) != 0)
		return klog("epoll setup: %s", strerror(errno)), -1;
	return 0;
}

/* Close what loop_listen opened; the socket file is the caller's. */
void loop_close(struct kernel *k)
{
	monitor_close_all(k);
	while (k->hellos != NULL)
		hello_drop(k, k->hellos);
	loop_watch_close(k, &k->w_listen);
	loop_watch_close(k, &k->w_signal);
	if (k->epfd >= 0)
		close(k->epfd);
	k->epfd = -1;
}

static void accept_one(struct kernel *k)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	int fd = accept4(k->w_listen.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	/* Refuse other users before allocating anything (E1). */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    cred.uid != geteuid() || k->nhello >= HELLO_MAX) {
		klog("refused an attach (uid %d)", (int)cred.uid);
		close(fd);
		return;
	}
	struct hello *h = umach__malloc(sizeof *h);
	if (h == NULL) {
		close(fd);
		return;
	}
	*h = (struct hello){ .w = { .kind = W_HELLO, .fd = fd },
		.deadline_ns = kernel_now_ns() +
			       (uint64_t)HELLO_TIMEOUT_MS * 1000000u,
		.prev = k->hellos_tail };
	if (loop_watch_add(k, &h->w, EPOLLIN | EPOLLRDHUP) != 0) {
		close(fd);
		free(h);
		return;
	}
	if (k->hellos_tail)
		k->hellos_tail->next = h;
	else
		k->hellos = h;
	k->hellos_tail = h;
	k->nhello++;
}

static int send_welcome(int fd, const struct umach_welcome *wl, int fds[2])
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { .iov_base = (void *)wl, .iov_len = sizeof *wl };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fds != NULL) {
		memset(cbuf, 0, sizeof cbuf);
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof cbuf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(2 * sizeof(int));
		memcpy(CMSG_DATA(c), fds, 2 * sizeof(int));
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) ==
	       (ssize_t)sizeof *wl ? 0 : -1;
}

static int peer_pidfd(int sock, pid_t pid)
{
	int fd;
	socklen_t len = sizeof fd;

	if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &fd, &len) == 0)
		return fd;
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void welcome_fill(struct kernel *k, struct ktask *t,
			 struct umach_welcome *wl)
{
	wl->status = KERN_SUCCESS;
	wl->channel_bytes = sizeof(struct umach_channel);
	wl->task_self = t->self_name;
	wl->task_notify = t->notify_name;
	wl->task_id = t->id;
	/* mach_init()'s mach_ports_lookup, done here (reference 1.11). */
	wl->name_server = task_port_send(t, t->registered[NAME_SERVER_SLOT]);
	wl->environment = task_port_send(t, t->registered[ENVIRONMENT_SLOT]);
	wl->service = task_port_send(t, t->registered[SERVICE_SLOT]);
	wl->profile = k->profile;
	wl->backlog_default = k->backlog_default;
	wl->backlog_max = k->backlog_max;
}

/*
 * A boot service attaching (boot.c): its service port, with the receive
 * right in its own space, becomes the kernel's name_port or env_port and
 * its registered slot, so that every task made afterwards inherits a send
 * right to it.  Returns KERN_SUCCESS or KERN_RESOURCE_SHORTAGE.
 */
static int boot_service_port(struct kernel *k, struct ktask *t)
{
	struct port **kp = k->boot_role == BOOT_NAME_SERVER ? &k->name_port :
			   &k->env_port;
	uint32_t slot = k->boot_role == BOOT_NAME_SERVER ? 0 : 1;
	int32_t name;

	if (port_allocate_in(k, &t->space, &name) != KERN_SUCCESS)
		return KERN_RESOURCE_SHORTAGE;
	*kp = space_lookup(&t->space, name)->port;
	port_get(*kp);
	if (t->registered[slot] != NULL)
		port_put(k, t->registered[slot]);
	t->registered[slot] = *kp;
	port_get(*kp);
	return KERN_SUCCESS;
}

/* Make the task for a connected socket; fd becomes the task's socket. */
static struct ktask *attach(struct kernel *k, int fd, pid_t pid,
			    const char *name, const struct ktask *parent)
{
	struct ucred cred;
	socklen_t len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return NULL;
	struct ktask *t = ktask_create(k, pid, cred.uid, name);
	if (t == NULL)
		return NULL;
	if (parent != NULL) {
		task_ports_release(k, t);
		task_ports_init(k, t, parent);
	}
	if (k->boot_role != BOOT_NONE &&
	    boot_service_port(k, t) != KERN_SUCCESS) {
		ktask_destroy(k, t);
		return NULL;
	}
	t->w_bell = (struct watch){ .kind = W_DOORBELL, .task = t,
		.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
	t->w_pid = (struct watch){ .kind = W_PIDFD, .task = t,
		.fd = peer_pidfd(fd, pid) };
	struct umach_welcome wl = { .magic = UMACH_ABI_MAGIC,
				    .version = UMACH_ABI_VERSION };
	welcome_fill(k, t, &wl);
	int fds[2] = { t->memfd, t->w_bell.fd };
	if (t->w_bell.fd < 0 || loop_watch_add(k, &t->w_bell, EPOLLIN) != 0 ||
	    (t->w_pid.fd >= 0 && loop_watch_add(k, &t->w_pid, EPOLLIN) != 0) ||
	    send_welcome(fd, &wl, fds) != 0) {
		ktask_destroy(k, t);
		return NULL;
	}
	close(t->memfd);
	t->memfd = -1;
	t->w_sock = (struct watch){ .kind = W_SOCK, .task = t, .fd = fd };
	if (loop_watch_add(k, &t->w_sock, EPOLLIN | EPOLLRDHUP) != 0) {
		t->w_sock.fd = -1;
		ktask_destroy(k, t);
		return NULL;
	}
	TRACE(k, task, UMACH_EV_ATTACH, t);
	monitor_task_attached(k, t);
	return t;
}

/*
 * Attach the process pid over fd, a socket the kernel made itself (a boot
 * service): no hello is awaited.  Returns the task, or NULL with fd closed.
 */
struct ktask *loop_attach_fd(struct kernel *k, int fd, pid_t pid)
{
	const char *name = k->boot_role == BOOT_NAME_SERVER ?
			   "umach-netnamed" : "umach-envmgrd";
	struct ktask *t = attach(k, fd, pid, name, NULL);

	if (t == NULL)
		close(fd);
	return t;
}

/* The parent pid of process pid, from /proc/PID/stat, or -1. */
static pid_t parent_pid(pid_t pid)
{
	char path[64], buf[512];
	int ppid = -1;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ppid": comm may hold spaces and parentheses. */
	char *rp = strrchr(buf, ')');
	if (rp == NULL || sscanf(rp + 1, " %*c %d", &ppid) != 1)
		return -1;
	return (pid_t)ppid;
}

/*
 * A hello that claims to come from a fork of task parent_id (docs/
 * protocol.md §1): believe it only if the connecting process's parent, by
 * /proc, is that task's process, with the same uid, and the connecting
 * process still lives (so its pid was not reused meanwhile).  Returns
 * KERN_SUCCESS with *out the parent (NULL if that task is gone: the child
 * becomes a task without a parent; so does one whose parent's process has
 * exited), or KERN_NO_ACCESS.
 */
static int check_parent(struct kernel *k, int fd, const struct ucred *cred,
			uint64_t parent_id, struct ktask **out)
{
	struct ktask *p = ktask_by_id(k, parent_id);
	struct pollfd pp = { .fd = p ? p->w_pid.fd : -1, .events = POLLIN };

	*out = NULL;
	/* A parent whose process has exited is gone, even if the kernel has
	 * not yet destroyed its task: its child was reparented. */
	if (p == NULL || p->dying || (pp.fd >= 0 && poll(&pp, 1, 0) > 0))
		return KERN_SUCCESS;
	if (p->uid != cred->uid || p->pid <= 0)
		return KERN_NO_ACCESS;
	int pfd = peer_pidfd(fd, cred->pid);
	pid_t ppid = parent_pid(cred->pid);
	struct pollfd pl = { .fd = pfd, .events = POLLIN };
	int gone = pfd < 0 || poll(&pl, 1, 0) != 0;
	if (pfd >= 0)
		close(pfd);
	if (gone || ppid != p->pid)
		return KERN_NO_ACCESS;
	*out = p;
	return KERN_SUCCESS;
}

/* Read and check a hello; returns KERN_SUCCESS or the status to refuse. */
static int read_hello(struct kernel *k, int fd, struct umach_hello *h,
		      struct ucred *cred, struct ktask **parent)
{
	ssize_t n = recv(fd, h, sizeof *h, MSG_DONTWAIT);
	socklen_t len = sizeof *cred;

	*parent = NULL;
	if (n != (ssize_t)sizeof *h || h->magic != UMACH_ABI_MAGIC ||
	    h->version != UMACH_ABI_VERSION ||
	    (h->flags & ~(UMACH_HELLO_FORKED | UMACH_HELLO_MONITOR)) != 0 ||
	    h->flags == (UMACH_HELLO_FORKED | UMACH_HELLO_MONITOR))
		return KERN_INVALID_ARGUMENT;
	h->name[sizeof h->name - 1] = '\0';
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) != 0)
		return KERN_FAILURE;
	if (h->flags & UMACH_HELLO_FORKED)
		return check_parent(k, fd, cred, h->parent_task, parent);
	return KERN_SUCCESS;
}

/* A connection said hello (or hung up): attach it or turn it away. */
static void hello(struct kernel *k, struct watch *w)
{
	struct umach_hello h;
	struct ucred cred;
	struct ktask *parent;
	int fd = w->fd;
	char peek;

	if (recv(fd, &peek, 1, MSG_DONTWAIT | MSG_PEEK) < 0 &&
	    (errno == EAGAIN || errno == EINTR))
		return;
	epoll_ctl(k->epfd, EPOLL_CTL_DEL, fd, NULL);
	hello_unlink(k, (struct hello *)w);
	free(w);
	struct umach_welcome wl = { .magic = UMACH_ABI_MAGIC,
				    .version = UMACH_ABI_VERSION };
	wl.status = read_hello(k, fd, &h, &cred, &parent);
	if (wl.status == KERN_SUCCESS && (h.flags & UMACH_HELLO_MONITOR)) {
		monitor_attach(k, fd);
		return;
	}
	if (wl.status == KERN_SUCCESS &&
	    attach(k, fd, cred.pid, h.name, parent) == NULL)
		wl.status = KERN_RESOURCE_SHORTAGE;
	if (wl.status != KERN_SUCCESS) {
		send_welcome(fd, &wl, NULL);	/* best effort: say why */
		close(fd);
	}
}

/*
 * Poll t's channel from now on instead of waiting for its doorbell: the
 * kernel does this when t rings, and when it answers one of t's calls,
 * since a task that just got an answer is likely to post again soon.
 */
void task_activate(struct kernel *k, struct ktask *t)
{
	if (t->active || t->dying)
		return;
	t->active = 1;
	t->anext = k->active;
	k->active = t;
	atomic_store(&t->chan->need_wakeup, 0);
}

static void ring(struct kernel *k, struct ktask *t)
{
	uint64_t v;

	while (read(t->w_bell.fd, &v, sizeof v) > 0)
		;
	task_activate(k, t);
}

static void signalled(struct kernel *k)
{
	struct signalfd_siginfo si;

	while (read(k->w_signal.fd, &si, sizeof si) == (ssize_t)sizeof si)
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT ||
		    si.ssi_signo == SIGHUP)
			k->stopping = 1;
}

/*
 * Wait up to timeout_ms for fd events and handle them.  Tasks that died
 * are destroyed after the batch, so that later events in it never point
 * at a freed task.
 */
static void poll_events(struct kernel *k, int timeout_ms)
{
	struct epoll_event ev[64];
	struct ktask *dead[64];
	int nd = 0;
	int n = epoll_wait(k->epfd, ev, 64, timeout_ms);

	for (int i = 0; i < n; i++) {
		struct watch *w = ev[i].data.ptr;
		struct ktask *t = w->task;
		if (w->kind == W_LISTEN)
			accept_one(k);
		else if (w->kind == W_SIGNAL)
			signalled(k);
		else if (w->kind == W_HELLO)
			hello(k, w);
		else if (w->kind == W_MONITOR)
			monitor_event(k, (struct monitor *)w, ev[i].events);
		else if (t->dying)
			continue;
		else if (w->kind == W_DOORBELL)
			ring(k, t);
		else if (w->kind == W_SOCK &&
			 !(ev[i].events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) &&
			 ool_read_notes(k, t) == 0)
			continue;	/* out-of-line notes (protocol.md §10) */
		else {
			/* Hang-up, pid exit, or bytes a task must not send. */
			t->dying = 1;
			dead[nd++] = t;
		}
	}
	for (int i = 0; i < nd; i++)
		ktask_destroy(k, dead[i]);
}

static int service_active(struct kernel *k)
{
	int n = 0;

	for (struct ktask *t = k->active; t != NULL; t = t->anext)
		n += ktask_service(k, t);
	return n;
}

/*
 * Before sleeping, ask every active task to ring (need_wakeup = 1), then
 * look once more: a task that posted before seeing the flag is found here
 * (both sides use seq_cst, protocol.md §5).  Returns 1 if work turned up,
 * and the tasks stay active; 0 if the kernel may sleep.
 */
static int prepare_sleep(struct kernel *k)
{
	struct ktask *t;
	int found = 0;

	for (t = k->active; t != NULL; t = t->anext)
		atomic_store(&t->chan->need_wakeup, 1);
	for (t = k->active; t != NULL; t = t->anext)
		if (atomic_load(&t->chan->pending) != 0)
			found = 1;
	if (found) {
		for (t = k->active; t != NULL; t = t->anext)
			atomic_store(&t->chan->need_wakeup, 0);
		return 1;
	}
	for (t = k->active; t != NULL; t = t->anext)
		t->active = 0;
	k->active = NULL;
	return 0;
}

/*
 * Serve until SIGTERM, SIGINT or SIGHUP.  Returns 0.  loop_listen() must
 * have succeeded.
 */
int loop_run(struct kernel *k)
{
	uint64_t last_work = kernel_now_ns(), spin_ns = k->spin_us * 1000u;
	uint32_t iter = 0;

	while (!k->stopping) {
		int n = service_active(k);
		uint64_t now = kernel_now_ns();

		if (k->mon_dirty)
			monitor_flush_all(k);
		timers_expire(k, now);
		hellos_expire(k, now);
		if (n > 0 || now - last_work < spin_ns) {
			if (n > 0) {
				last_work = now;
				if ((++iter & 31) == 0)
					poll_events(k, 0);
			} else {
				sched_yield();
				poll_events(k, 0);
			}
			continue;
		}
		if (prepare_sleep(k))
			continue;
		poll_events(k, next_timeout_ms(k, now));
		last_work = kernel_now_ns();
	}
	return 0;
}
