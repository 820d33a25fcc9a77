/*
 * Allocation failure injection for the kernel (fail.h).  The countdown is
 * the only file-scope mutable state in kernel/: it belongs to the test
 * harness, not to any kernel, and is off (-1) in umachd.
 */
#include <stdlib.h>

#include "fail.h"

static long fail_countdown = -1;

void umach__fail_after(long n)
{
	fail_countdown = n;
}

static int should_fail(void)
{
	if (fail_countdown < 0)
		return 0;
	if (fail_countdown == 0) {
		fail_countdown = -1;
		return 1;
	}
	fail_countdown--;
	return 0;
}

void *umach__malloc(size_t size)
{
	return should_fail() ? NULL : malloc(size);
}

void *umach__calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : calloc(n, size);
}

void *umach__realloc(void *p, size_t size)
{
	return should_fail() ? NULL : realloc(p, size);
}
