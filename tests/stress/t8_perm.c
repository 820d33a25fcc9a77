/*
 * T8, permissions (reference reliability.md, T8).  Needs root, to make
 * processes of another uid with setpriv (util-linux), as the reference
 * asks (an unshared user namespace would show the kernel uid 0).
 *
 * 1. Another uid cannot attach: a process of uid 65534 tries
 *    UMACH_STRESS_T8_ATTACHES (100) attaches through the kernel's private
 *    directory (refused by the file system), then as many again with the
 *    directory and socket opened up to everyone (refused by the kernel's
 *    SO_PEERCRED check).  Control: the kernel's own uid is accepted.
 * 2. The kernel is not dumpable: with the kernel running as uid 65534, a
 *    process of that same uid cannot list or open /proc/<kernel>/fd,
 *    map_files or maps, 100 tries each.  Control: it can read a dumpable
 *    process of its uid.
 * 3. Forged and stale names: task B sends to every name from -1024 to
 *    65536 and to UMACH_STRESS_T8_RANDOM (100000) random values that it
 *    does not hold, including every name task A holds: all must be
 *    SEND_INVALID_PORT and A must receive nothing.  Then
 *    UMACH_STRESS_T8_STALE (100000) allocate/deallocate cycles: the old
 *    name never reaches a port again and is never handed out again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mach.h>
#include <servers/netname.h>
#include <umach/abi.h>
#include "stress.h"

#define NOBODY "65534"

/* ---- child modes, run under setpriv as uid 65534 ---- */

enum { ATT_FS, ATT_KERNEL, ATT_ACCEPTED };

/* One attach attempt by hand (protocol.md §1): how it ended. */
static int try_attach(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct umach_hello h = { .magic = UMACH_ABI_MAGIC,
				 .version = UMACH_ABI_VERSION };
	struct umach_welcome wl;
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { .iov_base = &wl, .iov_len = sizeof wl };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct timeval tv = { .tv_sec = 2 };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(s);
		return ATT_FS;
	}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	snprintf(h.name, sizeof h.name, "t8-intruder");
	send(s, &h, sizeof h, MSG_NOSIGNAL);
	ssize_t n = recvmsg(s, &mh, MSG_CMSG_CLOEXEC);
	int got = n == (ssize_t)sizeof wl && wl.status == KERN_SUCCESS &&
		  CMSG_FIRSTHDR(&mh) != NULL;
	if (got) {
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		int fds[2];
		memcpy(fds, CMSG_DATA(c), sizeof fds);
		close(fds[0]);
		close(fds[1]);
	}
	close(s);
	return got ? ATT_ACCEPTED : ATT_KERNEL;
}

static int mode_attach(const char *sock, int n)
{
	int count[3] = { 0 };

	for (int i = 0; i < n; i++)
		count[try_attach(sock)]++;
	printf("%d %d %d\n", count[ATT_FS], count[ATT_KERNEL],
	       count[ATT_ACCEPTED]);
	return 0;
}

/* Ways into another process's memfds through /proc; returns successes. */
static int proc_tries(pid_t pid)
{
	char p[64];
	int ok = 0;
	DIR *d;

	snprintf(p, sizeof p, "/proc/%d/fd", (int)pid);
	if ((d = opendir(p)) != NULL) {
		ok++;
		closedir(d);
	}
	for (int fd = 0; fd < 64; fd++) {
		snprintf(p, sizeof p, "/proc/%d/fd/%d", (int)pid, fd);
		int f = open(p, O_RDONLY | O_CLOEXEC);
		if (f >= 0) {
			ok++;
			close(f);
		}
	}
	snprintf(p, sizeof p, "/proc/%d/map_files", (int)pid);
	if ((d = opendir(p)) != NULL) {
		ok++;
		closedir(d);
	}
	snprintf(p, sizeof p, "/proc/%d/maps", (int)pid);
	int f = open(p, O_RDONLY | O_CLOEXEC);
	char buf[64];
	if (f >= 0) {
		ok += read(f, buf, sizeof buf) > 0;
		close(f);
	}
	return ok;
}

static int mode_proc(pid_t kpid, pid_t control, int n)
{
	int opened = 0, control_ok = proc_tries(control) > 0;

	for (int i = 0; i < n; i++)
		opened += proc_tries(kpid);
	printf("%d %d\n", opened, control_ok);
	return 0;
}

/* Run this program again as uid 65534 with args; returns its stdout. */
static int as_nobody(char *out, size_t len, char *const args[])
{
	static char self[512];
	int pfd[2];

	if (self[0] == '\0' &&
	    readlink("/proc/self/exe", self, sizeof self - 1) <= 0)
		return -1;
	if (pipe(pfd) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		char *argv[16] = { "setpriv", "--reuid=" NOBODY,
				   "--regid=" NOBODY, "--clear-groups",
				   self };
		for (int i = 0; args[i] != NULL && i < 10; i++)
			argv[5 + i] = args[i];
		execvp("setpriv", argv);
		_exit(127);
	}
	close(pfd[1]);
	ssize_t n = read(pfd[0], out, len - 1);
	close(pfd[0]);
	out[n > 0 ? n : 0] = '\0';
	return st_wait(pid, 60000);
}

/* ---- part 1: attaches from another uid ---- */

struct figures {
	int att_fs, att_kernel, att_accepted, att_tries, control_accepted;
	int fds_changed;		/* bits: 1 fds, 2-8 a kernel exit */
	int proc_opened, proc_tries, proc_control;
	long forged, forged_bad, reached_a, a_names;
	long stale, stale_bad, reused;
};

static void part_attach(struct figures *f, long n)
{
	struct st_kernel k;
	char out[128], num[16], *args[] = { "--attach", NULL, num, NULL };
	int a, b, c;

	st_kernel_start(&k, NULL);
	usleep(200000);			/* the name server attaches first */
	int fds = st_fds(k.pid), maps = st_memfd_maps(k.pid);
	args[1] = k.sock;
	snprintf(num, sizeof num, "%ld", n);
	for (int round = 0; round < 2; round++) {
		if (round == 1) {	/* open the door: the kernel must refuse */
			chmod(k.dir, 0755);
			chmod(k.sock, 0666);
		}
		if (as_nobody(out, sizeof out, args) == 0 &&
		    sscanf(out, "%d %d %d", &a, &b, &c) == 3) {
			f->att_fs += a;
			f->att_kernel += b;
			f->att_accepted += c;
		} else {
			f->att_accepted += (int)n;	/* could not tell */
		}
		f->att_tries += (int)n;
	}
	if (!st_settle(k.pid, fds, maps, 2000))
		f->fds_changed |= 1;
	/* Control: the kernel's own uid gets in (so the test can fail). */
	f->control_accepted = try_attach(k.sock) == ATT_ACCEPTED;
	if (st_kernel_stop(&k) != 0)
		f->fds_changed |= 2;
}

/* ---- part 2: /proc of a non-dumpable kernel, same uid ---- */

static void part_proc(struct figures *f, long n)
{
	struct st_kernel k;
	char out[128], kp[16], cp[16], num[16];
	char *args[] = { "--proc", kp, cp, num, NULL };
	int opened, control;

	st_kernel_start(&k, "--reuid=" NOBODY);
	pid_t ctl = fork();
	if (ctl == 0) {
		execlp("setpriv", "setpriv", "--reuid=" NOBODY, "--regid=" NOBODY,
		       "--clear-groups", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	usleep(100000);
	snprintf(kp, sizeof kp, "%d", (int)k.pid);
	snprintf(cp, sizeof cp, "%d", (int)ctl);
	snprintf(num, sizeof num, "%ld", n);
	if (as_nobody(out, sizeof out, args) == 0 &&
	    sscanf(out, "%d %d", &opened, &control) == 2) {
		f->proc_opened = opened;
		f->proc_control = control;
	} else {
		f->proc_opened = -1;
	}
	f->proc_tries = (int)n * 67;
	kill(ctl, SIGKILL);
	st_wait(ctl, 2000);
	if (st_kernel_stop(&k) != 0)
		f->fds_changed |= 4;
}

/* ---- part 3: forged and stale names ---- */

struct ledger {
	_Atomic int  stop, ready;
	_Atomic long received;
	int32_t      names[8];		/* every name task A holds */
};

static struct ledger *L;

struct msg {
	msg_header_t h;
	msg_type_t   t;
	int32_t      v[2];
};

static void msg_init(struct msg *m, port_t dest)
{
	memset(m, 0, sizeof *m);
	m->h.msg_simple = TRUE;
	m->h.msg_size = sizeof *m;
	m->h.msg_remote_port = dest;
	m->t.msg_type_name = MSG_TYPE_INTEGER_32;
	m->t.msg_type_size = 32;
	m->t.msg_type_number = 2;
	m->t.msg_type_inline = TRUE;
}

static int task_a(void *arg)
{
	struct msg m;
	port_t p;

	(void)arg;
	if (umach_task_reattach() != KERN_SUCCESS ||
	    port_allocate(task_self(), &p) != KERN_SUCCESS)
		return 10;
	int32_t names[8] = { task_self(), task_notify(), p, thread_reply(),
			     name_server_port, thread_self() };
	memcpy(L->names, names, sizeof names);
	L->ready = 1;
	while (!L->stop) {
		m.h.msg_size = sizeof m;
		m.h.msg_local_port = p;
		if (msg_receive(&m.h, RCV_TIMEOUT, 20) == RCV_SUCCESS)
			L->received++;
	}
	return 0;
}

/* Send to a name B does not hold; anything but SEND_INVALID_PORT is bad. */
static void forge(struct figures *f, int32_t name)
{
	port_type_t type;
	struct msg m;

	if (port_type(task_self(), name, &type) == KERN_SUCCESS)
		return;			/* B's own name: not a forgery */
	msg_init(&m, name);
	f->forged++;
	if (msg_send(&m.h, SEND_TIMEOUT, 0) != SEND_INVALID_PORT)
		f->forged_bad++;
}

static void stale_cycles(struct figures *f, long n)
{
	port_t p, last = PORT_NULL;
	struct msg m;

	for (long i = 0; i < n; i++) {
		if (port_allocate(task_self(), &p) != KERN_SUCCESS) {
			f->stale_bad++;
			continue;
		}
		if (p == last)
			f->reused++;
		last = p;
		port_deallocate(task_self(), p);
		msg_init(&m, p);
		f->stale++;
		if (msg_send(&m.h, SEND_TIMEOUT, 0) != SEND_INVALID_PORT)
			f->stale_bad++;
	}
}

static void part_names(struct figures *f, long nrandom, long nstale)
{
	struct st_kernel k;

	L = st_shared(sizeof *L);
	st_kernel_start(&k, NULL);
	pid_t a = st_spawn(task_a, NULL);
	for (int i = 0; i < 5000 && !L->ready; i++)
		usleep(1000);
	if (umach_task_reattach() != KERN_SUCCESS) {
		f->forged_bad++;
		return;
	}
	for (int i = 0; i < 8; i++)
		if (L->names[i] != PORT_NULL) {
			f->a_names++;
			forge(f, L->names[i]);
		}
	for (int32_t name = -1024; name <= 65536; name++)
		forge(f, name);
	for (long i = 0; i < nrandom; i++)
		forge(f, (int32_t)(st_rand(0xffffffffu) ^ st_rand(2) << 31));
	stale_cycles(f, nstale);
	usleep(100000);
	f->reached_a = L->received;
	L->stop = 1;
	st_wait(a, 5000);
	if (st_kernel_stop(&k) != 0)
		f->fds_changed |= 8;
}

int main(int argc, char **argv)
{
	struct figures f = { 0 };

	if (argc == 4 && strcmp(argv[1], "--attach") == 0)
		return mode_attach(argv[2], atoi(argv[3]));
	if (argc == 5 && strcmp(argv[1], "--proc") == 0)
		return mode_proc(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	setvbuf(stdout, NULL, _IOLBF, 0);	/* lines survive a sanitizer exit */
	long n = st_param("T8_ATTACHES", 100);
	long nrandom = st_param("T8_RANDOM", 100000);
	long nstale = st_param("T8_STALE", 100000);
	printf("t8: %ld attaches per round, %ld random names, %ld stale "
	       "cycles\n", n, nrandom, nstale);
	uint64_t t0 = st_now_us();
	if (geteuid() != 0) {
		printf("T8 permissions: SKIPPED: needs root for setpriv "
		       "--reuid; forged and stale names only\n");
	} else {
		part_attach(&f, n);
		part_proc(&f, n);
	}
	part_names(&f, nrandom, nstale);
	int root = geteuid() == 0;
	if (f.fds_changed)
		fprintf(stderr, "t8: fds/exit flags %#x\n", f.fds_changed);
	int ok = f.att_accepted == 0 && f.fds_changed == 0 &&
		 f.forged_bad == 0 && f.reached_a == 0 && f.stale_bad == 0 &&
		 f.reused == 0 && (!root || (f.control_accepted &&
		 f.proc_opened == 0 && f.proc_control));
	printf("T8 permissions: %s: in %.0f s; other-uid attaches refused "
	       "%d/%d (%d by the directory, %d by the kernel), own uid "
	       "accepted %s; kernel fds back to baseline and clean exits %s; "
	       "/proc/<kernel> opened by "
	       "the same uid %d of %d tries (control readable %s); forged "
	       "names %ld (%ld of task A's), accepted %ld, reached A %ld; stale "
	       "names %ld, accepted %ld, reused %ld\n", ok ? "PASS" : "FAIL",
	       (double)(st_now_us() - t0) / 1e6, f.att_tries - f.att_accepted,
	       f.att_tries, f.att_fs, f.att_kernel,
	       f.control_accepted ? "yes" : "no",
	       f.fds_changed ? "NO" : "yes", f.proc_opened, f.proc_tries,
	       f.proc_control ? "yes" : "no", f.forged, f.a_names,
	       f.forged_bad, f.reached_a, f.stale, f.stale_bad, f.reused);
	return ok ? 0 : 1;
}
