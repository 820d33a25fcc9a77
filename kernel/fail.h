/*
 * Allocation in the kernel goes through these wrappers so that tests can
 * make the Nth allocation fail (umach__fail_after, STYLE Tests) and check
 * that every unwind path leaves the kernel unchanged and leak-free.
 */
#ifndef UMACH_FAIL_H
#define UMACH_FAIL_H

#include <stddef.h>

/* Make the allocation after n more succeed fail; n < 0 turns it off. */
void umach__fail_after(long n);
void *umach__malloc(size_t size);
void *umach__calloc(size_t n, size_t size);
void *umach__realloc(void *p, size_t size);

#endif
