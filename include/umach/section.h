/*
 * Section objects: shared memory between tasks (docs/protocol.md §14).
 * A section is a kernel object named by a port.  Every task holding a
 * send right to it may map it, writable and shared: what one task writes,
 * every other mapping sees (out-of-line data, by contrast, arrives as a
 * private copy).  Send the right in a message like any other.  The section
 * dies with the last right to it; mappings made before stay valid until
 * unmapped.  Calling these on a port that is not a kernel object makes an
 * ordinary MIG request that waits for whoever receives on that port.
 */
#ifndef UMACH_SECTION_H
#define UMACH_SECTION_H

#include <mach.h>

/*
 * A new zero-filled section of size_bytes, rounded up to whole pages, in
 * *out_section (a send right in the caller's space).  Returns KERN_SUCCESS,
 * KERN_INVALID_ARGUMENT (0, or over UMACH_SECTION_MAX_BYTES = 64 MiB),
 * KERN_RESOURCE_SHORTAGE (the kernel's UMACH_SECTION_TOTAL_BYTES = 256 MiB
 * of live sections would be passed, or the kernel is out of memory),
 * SEND_INVALID_PORT if task is not a valid port, or another msg_rpc error.
 * Blocks for one kernel round trip.
 */
kern_return_t umach_section_create(task_t task, vm_size_t size_bytes,
				   port_t *out_section);

/*
 * Map section, writable and shared, at *out_addr for *out_size bytes (the
 * section's page-rounded size).  Map it as often as you like; unmap with
 * vm_deallocate(task_self(), addr, size).  Returns KERN_SUCCESS,
 * MIG_BAD_ID if section is a kernel port but not a section (a task's),
 * RCV_NOT_ENOUGH_MEMORY if the mapping could not be delivered,
 * KERN_RESOURCE_SHORTAGE (no fd or memory), SEND_INVALID_PORT, or another
 * msg_rpc error.  Blocks for one kernel round trip.
 */
kern_return_t umach_section_map(port_t section, vm_address_t *out_addr,
				vm_size_t *out_size);

#endif
