/*
 * vm_allocate and vm_deallocate for the task itself.  vm_allocate'd memory
 * is a shared mapping of a memfd of its own, so that it can be sent out of
 * line without a copy (docs/protocol.md §13): umach__vm_take() seals the
 * memfd and turns the sender's mapping private (copy on write), so what
 * the receiver sees can no longer change.  Out-of-line regions that
 * arrive are private mappings and are given back with vm_deallocate.
 * Another task's memory cannot be reached (KERN_INVALID_ARGUMENT).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* A memfd-backed region vm_allocate made and nobody has sent yet. */
struct vm_region {
	uintptr_t addr;
	size_t    size;
	int       fd;
};

static pthread_mutex_t vm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vm_region *regions;	/* guarded by vm_lock */
static size_t nregions, cap_regions;
static pthread_once_t vm_once = PTHREAD_ONCE_INIT;

static vm_size_t round_page(vm_size_t n)
{
	vm_size_t pg = (vm_size_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) & ~(pg - 1);
}

static void forget(size_t i)
{
	close(regions[i].fd);
	regions[i] = regions[--nregions];
}

/*
 * Before fork: every region becomes private memory (same contents), so
 * that parent and child do not share it; they are no longer memfd-backed.
 */
static void before_fork(void)
{
	pthread_mutex_lock(&vm_lock);
	while (nregions > 0) {
		struct vm_region *r = &regions[nregions - 1];
		mmap((void *)r->addr, r->size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_FIXED, r->fd, 0);
		forget(nregions - 1);
	}
}

static void after_fork(void)
{
	pthread_mutex_unlock(&vm_lock);
}

static void vm_init(void)
{
	pthread_atfork(before_fork, after_fork, after_fork);
}

static int remember(uintptr_t addr, size_t size, int fd)
{
	if (nregions == cap_regions) {
		size_t cap = cap_regions ? 2 * cap_regions : 16;
		struct vm_region *r = realloc(regions, cap * sizeof *r);
		if (r == NULL)
			return -1;
		regions = r;
		cap_regions = cap;
	}
	regions[nregions++] = (struct vm_region){ addr, size, fd };
	return 0;
}

kern_return_t vm_allocate(vm_task_t task, vm_address_t *address,
			  vm_size_t size, boolean_t anywhere)
{
	int flags = MAP_SHARED;

	if (task != task_self() || address == NULL || size == 0)
		return KERN_INVALID_ARGUMENT;
	pthread_once(&vm_once, vm_init);
	vm_size_t len = round_page(size);
	int fd = memfd_create("umach-vm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return KERN_RESOURCE_SHORTAGE;
	if (ftruncate(fd, (off_t)len) != 0) {
		close(fd);
		return KERN_RESOURCE_SHORTAGE;
	}
	if (!anywhere)
		flags |= MAP_FIXED_NOREPLACE;
	void *hint = anywhere ? NULL : (void *)*address;
	void *p = mmap(hint, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return anywhere ? KERN_RESOURCE_SHORTAGE : KERN_NO_SPACE;
	}
	pthread_mutex_lock(&vm_lock);
	int r = remember((uintptr_t)p, len, fd);
	pthread_mutex_unlock(&vm_lock);
	if (r != 0) {
		munmap(p, len);
		close(fd);
		return KERN_RESOURCE_SHORTAGE;
	}
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
	uintptr_t lo = address, hi = address + round_page(size);
	pthread_mutex_lock(&vm_lock);
	/* a region partly given back is no longer sent without a copy */
	for (size_t i = 0; i < nregions;)
		if (regions[i].addr < hi && lo < regions[i].addr + regions[i].size)
			forget(i);
		else
			i++;
	int r = munmap((void *)address, round_page(size));
	pthread_mutex_unlock(&vm_lock);
	return r == 0 ? KERN_SUCCESS : KERN_INVALID_ADDRESS;
}

/*
 * If [addr, addr + size_bytes) starts a region vm_allocate made, seal its
 * memfd against writes, turn this task's mapping of it private (copy on
 * write: later writes are the sender's own) and hand the memfd to the
 * caller, who owns it.  Returns the fd, or -1 if the range is not such a
 * region (the caller copies it into a memfd of its own instead).
 */
int umach__vm_take(uintptr_t addr, uint64_t size_bytes)
{
	int fd = -1;

	pthread_mutex_lock(&vm_lock);
	for (size_t i = 0; i < nregions; i++) {
		struct vm_region *r = &regions[i];
		if (r->addr != addr || size_bytes > r->size)
			continue;
		if (mmap((void *)r->addr, r->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_FIXED, r->fd, 0) == MAP_FAILED)
			break;
		/* private now: the memfd no longer follows this mapping, so
		 * it leaves the table whether or not the seal takes */
		if (fcntl(r->fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK |
			  F_SEAL_GROW | F_SEAL_SEAL) == 0) {
			fd = r->fd;
			regions[i] = regions[--nregions];
		} else {
			forget(i);
		}
		break;
	}
	pthread_mutex_unlock(&vm_lock);
	return fd;
}
