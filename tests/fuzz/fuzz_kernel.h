/*
 * A small kernel for the kernel fuzz harnesses (fuzz_kmsg.c,
 * fuzz_syscall.c): a fresh struct kernel per input, with two tasks that
 * hold some rights to each other's ports, and a teardown that aborts if
 * any port, kmsg, task or timer outlived the kernel (the leak check of
 * tests/unit/kt.h, without Check, so that libFuzzer sees it as a crash).
 */
#ifndef UMACH_FUZZ_KERNEL_H
#define UMACH_FUZZ_KERNEL_H

#include <stdint.h>

#include "kernel.h"

struct fk {
	struct kernel k;
	struct ktask *t[2];	/* task 0 and task 1 */
	int32_t       rcv[2];	/* t[i]'s port: receive, ownership, send */
	int32_t       snd[2];	/* t[i]'s send right to the other's port */
};

/* Make the kernel and its two tasks; aborts if it cannot. */
void fk_setup(struct fk *f, uint32_t profile);
/* Destroy everything; aborts on a leaked port, kmsg, task or timer. */
void fk_teardown(struct fk *f);

#endif
