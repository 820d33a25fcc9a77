/*
 * Common code of the stress drivers (stress.h).  The kernel binary comes
 * from the build tree the tier was built in (UMACH_BUILD_DIR), so running
 * the tier from build-asan/ stresses the sanitized kernel.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <umach/abi.h>
#include <mach/kern_return.h>
#include "stress.h"

uint64_t st_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

long st_param(const char *name, long def)
{
	char var[96];

	snprintf(var, sizeof var, "UMACH_STRESS_%s", name);
	const char *v = getenv(var);
	return v != NULL && *v != '\0' ? strtol(v, NULL, 10) : def;
}

int st_can_connect(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int ok;

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	ok = connect(s, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(s);
	return ok;
}

static pid_t exec_kernel(struct st_kernel *k, const char *setpriv_args)
{
	char kpath[256], npath[256];
	pid_t pid;

	snprintf(kpath, sizeof kpath, "%s/umachd", UMACH_BUILD_DIR);
	snprintf(npath, sizeof npath, "%s/umach-netnamed", UMACH_BUILD_DIR);
	setenv("UMACH_SOCKET", k->sock, 1);
	setenv("UMACH_NETNAMED", npath, 1);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		/* If the driver dies (its timeout), the kernel goes too. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int log = open(k->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (getenv("UMACH_TEST_VERBOSE") == NULL)
			dup2(log, 2);
		if (setpriv_args != NULL)
			execlp("setpriv", "setpriv", setpriv_args, "--regid=65534",
			       "--clear-groups", kpath, "--foreground", "--socket",
			       k->sock, (char *)NULL);
		else
			execl(kpath, "umachd", "--foreground", "--socket", k->sock,
			      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 1000 && !st_can_connect(k->sock); i++)
		usleep(2000);
	if (!st_can_connect(k->sock)) {
		fprintf(stderr, "stress: umachd did not start on %s\n", k->sock);
		kill(pid, SIGKILL);
		exit(1);
	}
	return pid;
}

void st_kernel_start(struct st_kernel *k, const char *setpriv_args)
{
	snprintf(k->dir, sizeof k->dir, "/tmp/umach-stress-XXXXXX");
	if (mkdtemp(k->dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(k->sock, sizeof k->sock, "%s/k.sock", k->dir);
	snprintf(k->log, sizeof k->log, "%s/kernel.log", k->dir);
	if (setpriv_args != NULL) {
		/* The kernel's user must own its directory (it makes the
		 * socket there); others still cannot enter it. */
		if (chown(k->dir, 65534, 65534) != 0)
			perror("chown");
	}
	k->pid = exec_kernel(k, setpriv_args);
}

void st_kernel_restart(struct st_kernel *k)
{
	unlink(k->sock);
	k->pid = exec_kernel(k, NULL);
}

int st_kernel_alive(const struct st_kernel *k)
{
	return k->pid > 0 && kill(k->pid, 0) == 0 &&
	       waitpid(k->pid, NULL, WNOHANG) == 0;
}

static void show_log(const struct st_kernel *k)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(k->log, "r");

	while (f != NULL && (n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, stderr);
	if (f != NULL)
		fclose(f);
}

int st_kernel_stop(struct st_kernel *k)
{
	int status = 0;

	if (k->pid > 0) {
		kill(k->pid, SIGTERM);
		status = st_wait(k->pid, 10000);
	}
	k->pid = -1;
	if (status != 0 || getenv("UMACH_STRESS_SHOW_LOG") != NULL)
		show_log(k);
	unlink(k->sock);
	unlink(k->log);
	rmdir(k->dir);
	return status;
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

int st_fds(pid_t pid)
{
	char p[64];

	snprintf(p, sizeof p, "/proc/%d/fd", (int)pid);
	return count_dir(p);
}

int st_memfd_maps(pid_t pid)
{
	char p[64], line[512];
	int n = 0;

	snprintf(p, sizeof p, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(p, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		n += strstr(line, "/memfd:") != NULL;
	fclose(f);
	return n;
}

int st_settle(pid_t pid, int fds, int maps, int timeout_ms)
{
	uint64_t end = st_now_us() + (uint64_t)timeout_ms * 1000;

	for (;;) {
		if (st_fds(pid) == fds && st_memfd_maps(pid) == maps)
			return 1;
		if (st_now_us() > end) {
			fprintf(stderr, "stress: kernel %d has %d fds (baseline %d) "
				"and %d memfd maps (baseline %d)\n", (int)pid,
				st_fds(pid), fds, st_memfd_maps(pid), maps);
			return 0;
		}
		usleep(2000);
	}
}

pid_t st_spawn(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

int st_wait(pid_t pid, int timeout_ms)
{
	uint64_t end = st_now_us() + (uint64_t)timeout_ms * 1000;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0 && errno != EINTR)
			return -1;
		if (st_now_us() > end)
			break;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t st_percentile(uint64_t *v, uint32_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cmp_u64);
	uint32_t i = (uint32_t)(p / 100.0 * n);
	return v[i < n ? i : n - 1];
}

void *st_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

uint32_t st_rand(uint32_t n)
{
	static uint64_t s;
	static pid_t owner;

	if (owner != getpid()) {
		owner = getpid();
		s = st_now_us() ^ ((uint64_t)owner << 32) ^ 0x9e3779b97f4a7c15ull;
	}
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return n ? (uint32_t)(s % n) : 0;
}

int st_raw_attach(const char *sock, struct umach_welcome *wl, int fds[2])
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct umach_hello h = { .magic = UMACH_ABI_MAGIC,
				 .version = UMACH_ABI_VERSION };
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { .iov_base = wl, .iov_len = sizeof *wl };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	snprintf(h.name, sizeof h.name, "stress-raw");
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    send(s, &h, sizeof h, MSG_NOSIGNAL) != (ssize_t)sizeof h ||
	    recvmsg(s, &mh, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof *wl ||
	    wl->status != KERN_SUCCESS || CMSG_FIRSTHDR(&mh) == NULL) {
		if (s >= 0)
			close(s);
		return -1;
	}
	memcpy(fds, CMSG_DATA(CMSG_FIRSTHDR(&mh)), 2 * sizeof(int));
	return s;
}

long st_rss_kb(pid_t pid)
{
	char p[64], line[256];
	long kb = -1;

	snprintf(p, sizeof p, "/proc/%d/status", (int)pid);
	FILE *f = fopen(p, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}
