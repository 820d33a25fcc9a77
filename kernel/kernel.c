/*
 * The kernel context: one struct kernel holds all of umachd's state
 * (STYLE State), made by kernel_init and taken apart by kernel_fini, so
 * that unit tests can run many kernels in one process.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mach/mach_param.h>
#include "kernel.h"
#include "fail.h"

/*
 * Set up k for `profile` (UMACH_PROFILE_*), with no tasks and no fds open.
 * Returns KERN_SUCCESS, KERN_INVALID_ARGUMENT for an unknown profile, or
 * KERN_RESOURCE_SHORTAGE.
 */
int kernel_init(struct kernel *k, uint32_t profile)
{
	memset(k, 0, sizeof *k);
	k->epfd = -1;
	k->w_listen.fd = k->w_signal.fd = -1;
	k->profile = profile;
	k->backlog_max = PORT_BACKLOG_MAX;
	switch (profile) {
	case UMACH_PROFILE_TEXTBOOK:
		k->backlog_default = 8;
		break;
	case UMACH_PROFILE_MACH25:
	case UMACH_PROFILE_NEXT:
		k->backlog_default = PORT_BACKLOG_DEFAULT;
		break;
	default:
		return KERN_INVALID_ARGUMENT;
	}
	/* Every activation of every task may wait on a timer at once. */
	k->heap_cap = KERN_TASKS_MAX * UMACH_SLOTS;
	k->heap = umach__calloc(k->heap_cap, sizeof *k->heap);
	if (k->heap == NULL)
		return KERN_RESOURCE_SHORTAGE;
	k->spin_us = 50;
	return KERN_SUCCESS;
}

/* Destroy every task, then free k's own memory.  k may be re-initialised. */
void kernel_fini(struct kernel *k)
{
	while (k->tasks != NULL)
		ktask_destroy(k, k->tasks);
	if (k->name_port != NULL)
		port_put(k, k->name_port);
	k->name_port = NULL;
	if (k->env_port != NULL)
		port_put(k, k->env_port);
	k->env_port = NULL;
	free(k->heap);
	k->heap = NULL;
}

uint64_t kernel_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One line on stderr, prefixed "umachd: ". */
void klog(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "umachd: %s\n", line);
}
