/*
 * Section objects (docs/protocol.md §14): shared memory that every task
 * holding a send right to the section's port may map writable, unlike
 * out-of-line data, which arrives as a private copy.  A section is an
 * unsealed memfd the kernel owns, behind a kernel object port (KOBJ_SECTION)
 * that has no receiver and no owner.  Its size is bounded per section and
 * counted kernel-wide; it dies with the last right to its port (port_put).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel.h"
#include "fail.h"

struct section {
	int      fd;			/* the memfd; owned */
	uint64_t size_bytes;		/* page-rounded */
};

static uint64_t round_page(uint64_t n)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) & ~(pg - 1);
}

/*
 * A new section of size_bytes (rounded up to pages), zero-filled, and its
 * port with one extra reference for the caller, who must turn it into a
 * right or port_put it (which destroys the section).  Returns
 * KERN_SUCCESS, KERN_INVALID_ARGUMENT (0, or more than
 * UMACH_SECTION_MAX_BYTES), or KERN_RESOURCE_SHORTAGE (the kernel-wide
 * UMACH_SECTION_TOTAL_BYTES would be passed, or no memory, no memfd);
 * nothing changes on failure.  Never blocks.
 */
int section_create(struct kernel *k, uint64_t size_bytes, struct port **out)
{
	if (size_bytes == 0 || size_bytes > UMACH_SECTION_MAX_BYTES)
		return KERN_INVALID_ARGUMENT;
	uint64_t size = round_page(size_bytes);
	if (k->section_bytes + size > UMACH_SECTION_TOTAL_BYTES)
		return KERN_RESOURCE_SHORTAGE;
	struct section *s = umach__calloc(1, sizeof *s);
	if (s == NULL)
		return KERN_RESOURCE_SHORTAGE;
	s->size_bytes = size;
	s->fd = memfd_create("umach-section", MFD_CLOEXEC);
	if (s->fd < 0)
		goto fail_free;
	if (ftruncate(s->fd, (off_t)size) != 0)
		goto fail_close;
	struct port *p = port_alloc(k);
	if (p == NULL)
		goto fail_close;
	p->kotype = KOBJ_SECTION;
	p->section = s;
	port_get(p);			/* the caller's */
	k->section_bytes += size;
	*out = p;
	return KERN_SUCCESS;
fail_close:
	close(s->fd);
fail_free:
	free(s);
	return KERN_RESOURCE_SHORTAGE;
}

/*
 * A new fd (close-on-exec, the caller's) for section port p's memfd, and
 * the section's size.  Returns KERN_SUCCESS, KERN_INVALID_ARGUMENT if p is
 * not a live section, or KERN_RESOURCE_SHORTAGE if no fd is left.
 */
int section_map_fd(const struct port *p, int *out_fd, uint64_t *out_size)
{
	if (p->section == NULL)
		return KERN_INVALID_ARGUMENT;
	int fd = fcntl(p->section->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return KERN_RESOURCE_SHORTAGE;
	*out_fd = fd;
	*out_size = p->section->size_bytes;
	return KERN_SUCCESS;
}

/*
 * No right to section port p is left (only its alive reference): free the
 * section and the port.  Tasks that mapped it keep their mappings, which
 * hold the memory until they unmap it; it no longer counts here.
 */
void section_release(struct kernel *k, struct port *p)
{
	struct section *s = p->section;

	p->section = NULL;
	p->dead = 1;
	k->section_bytes -= s->size_bytes;
	close(s->fd);
	free(s);
	port_put(k, p);			/* the alive reference: p is freed */
}
