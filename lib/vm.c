/*
 * vm_allocate and vm_deallocate for the task itself.  Memory is the
 * process's own: out-of-line regions arrive as private mappings and are
 * given back with vm_deallocate.  Another task's memory cannot be reached
 * (KERN_INVALID_ARGUMENT).  TODO(#3): memfd-backed regions, so that a
 * vm_allocate'd buffer can be sent out of line without a copy.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

static vm_size_t round_page(vm_size_t n)
{
	vm_size_t pg = (vm_size_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) & ~(pg - 1);
}

kern_return_t vm_allocate(vm_task_t task, vm_address_t *address,
			  vm_size_t size, boolean_t anywhere)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;

	if (task != task_self() || address == NULL || size == 0)
		return KERN_INVALID_ARGUMENT;
	if (!anywhere)
		flags |= MAP_FIXED_NOREPLACE;
	void *hint = anywhere ? NULL : (void *)*address;
	void *p = mmap(hint, round_page(size), PROT_READ | PROT_WRITE, flags,
		       -1, 0);
	if (p == MAP_FAILED)
		return anywhere ? KERN_RESOURCE_SHORTAGE : KERN_NO_SPACE;
	*address = (vm_address_t)p;
	return KERN_SUCCESS;
}

kern_return_t vm_deallocate(vm_task_t task, vm_address_t address,
			    vm_size_t size)
{
	if (task != task_self())
		return KERN_INVALID_ARGUMENT;
	if (size == 0)
		return KERN_SUCCESS;
	if (munmap((void *)address, round_page(size)) != 0)
		return KERN_INVALID_ADDRESS;
	return KERN_SUCCESS;
}
