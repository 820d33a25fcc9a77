/*
 * support.c: the small services the driver offers peers (driver.h): error
 * messages tagged with the running row, notes for the report, full-length
 * fd transfers, and sysctls raised for the run and restored at its end.
 * The restore path runs from signal handlers too, so it keeps its state in
 * fixed arrays filled in advance and uses only open/write/close.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define SYSCTL_MAX 8

static const char *current_slug = "driver";

/* Sysctls changed by bench_sysctl_raise, restored in reverse order. */
static struct {
	char path[96];
	char original[32];
} sysctl_saved[SYSCTL_MAX];
static volatile int sysctl_count;

static char notes[BENCH_MAX_NOTES][200];
static int note_count;

void bench_set_current(const char *slug) { current_slug = slug; }

void bench_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "bench: %s: ", current_slug);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void bench_note(const char *fmt, ...)
{
	char text[sizeof notes[0]];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	for (int i = 0; i < note_count; i++)
		if (strcmp(notes[i], text) == 0)
			return;
	if (note_count < BENCH_MAX_NOTES)
		memcpy(notes[note_count++], text, sizeof text);
}

int bench_note_count(void) { return note_count; }
const char *bench_note_get(int i) { return notes[i]; }

enum bench_status bench_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			bench_error("write: %s", n < 0 ? strerror(errno) : "0");
			return BENCH_ERR;
		}
		p += n;
		len -= (size_t)n;
	}
	return BENCH_OK;
}

enum bench_status bench_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			bench_error("read: %s", n < 0 ? strerror(errno)
			                        : "end of file (peer gone)");
			return BENCH_ERR;
		}
		p += n;
		len -= (size_t)n;
	}
	return BENCH_OK;
}

static int sysctl_read(const char *path, char *out, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, out, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

/* Async-signal-safe: used by bench_sysctl_restore. */
static int sysctl_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

enum bench_status bench_sysctl_raise(const char *name, long min_value)
{
	char path[96], now[32], want[32];
	snprintf(path, sizeof path, "/proc/sys/%s", name);
	if (sysctl_read(path, now, sizeof now) < 0)
		return BENCH_ERR;
	if (strtol(now, NULL, 10) >= min_value)
		return BENCH_OK;
	if (sysctl_count == SYSCTL_MAX)
		return BENCH_ERR;
	/* Record before writing, so that a signal between the two restores. */
	int i = sysctl_count;
	snprintf(sysctl_saved[i].path, sizeof sysctl_saved[i].path, "%s", path);
	snprintf(sysctl_saved[i].original, sizeof sysctl_saved[i].original,
	         "%s", now);
	sysctl_count = i + 1;
	snprintf(want, sizeof want, "%ld", min_value);
	if (sysctl_write(path, want) < 0) {
		sysctl_count = i;
		return BENCH_ERR;
	}
	return BENCH_OK;
}

void bench_sysctl_restore(void)
{
	while (sysctl_count > 0) {
		int i = --sysctl_count;
		sysctl_write(sysctl_saved[i].path, sysctl_saved[i].original);
	}
}

static double rusage_s(int who)
{
	struct rusage ru;
	if (getrusage(who, &ru) < 0)
		return 0.0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void bench_cpu_snapshot(struct bench_cpu *out)
{
	unsigned long long v[8] = {0};
	struct timespec ts;
	double tick = (double)sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	*out = (struct bench_cpu){0};
	/* cpu  user nice system idle iowait irq softirq steal */
	if (f && fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
	                &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
	                &v[7]) == 8) {
		out->busy_s = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / tick;
		out->steal_s = (double)v[7] / tick;
	}
	if (f)
		fclose(f);
	out->ours_s = rusage_s(RUSAGE_SELF) + rusage_s(RUSAGE_CHILDREN);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	out->wall_s = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Async-signal-safe cleanup of a helper daemon: kill it by its own pid and
 * reap it, then remove the files it made and its directory.  *pid and
 * dir[0] are cleared, so a second call does nothing.
 */
void bench_daemon_abort(pid_t *pid, char *dir, const char *const *files)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
		*pid = 0;
	}
	if (dir[0]) {
		for (; *files != NULL; files++)
			unlink(*files);
		rmdir(dir);
		dir[0] = '\0';
	}
}
