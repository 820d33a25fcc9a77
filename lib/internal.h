/*
 * libumach's private declarations.  Non-static internals are umach__*
 * (libuv's uv__), so that nothing libumach exports clashes with the
 * unprefixed globals of programs of the era (-fcommon).
 */
#ifndef UMACH_LIB_INTERNAL_H
#define UMACH_LIB_INTERNAL_H

#include <stdint.h>
#include <mach.h>
#include <umach/abi.h>

/* What this process knows of its attachment (attach.c). */
struct umach__conn {
	int                   sock;		/* the kernel socket, or -1 */
	int                   bell;		/* doorbell eventfd, or -1 */
	struct umach_channel *chan;		/* mapped channel, or NULL */
	int                   dead;		/* the kernel went away */
	uint32_t              gen;		/* bumped at every attach */
	struct umach_welcome  welcome;
};
extern struct umach__conn umach__conn;

/* attach.c: attach if not yet attached.  Returns 0, or -1 (said why once). */
int umach__ensure(void);

/* region.c: this thread's slot, claiming one on first use; NULL if the
 * task is not attached or all UMACH_SLOTS are taken. */
struct umach_slot *umach__slot(void);
void umach__slot_reset(void);

/*
 * Post the call whose request fields the caller filled in s, and wait for
 * the kernel's answer.  Returns the kernel's status, or dead_status if
 * the kernel died.  A signal interrupts the call only if `option` asks for
 * it (SEND_INTERRUPT or RCV_INTERRUPT; reference 1.5).
 */
int32_t umach__call(struct umach_slot *s, int32_t option, int32_t dead_status);

/* ool.c: map the out-of-line regions of the message in s. */
int umach__ool_receive(struct umach_slot *s);

/* section.c: umach_section_map with a timeout (lpc.c). */
kern_return_t umach__section_map(port_t section, vm_address_t *out_addr,
				 vm_size_t *out_size, int timeout_ms);

/* ool.c: out-of-line regions of a send (protocol.md §10). */
struct umach__dealloc {			/* regions sent with deallocate */
	uint32_t     n;
	vm_address_t addr[UMACH_OOL_MAX];
	vm_size_t    size[UMACH_OOL_MAX];
};
int umach__ool_send(struct umach_slot *s, struct umach__dealloc *d);
void umach__ool_sent(const struct umach__dealloc *d);

/* vm.c: the memfd of a vm_allocate'd region starting at addr, sealed,
 * the caller's mapping made private; or -1. */
int umach__vm_take(uintptr_t addr, uint64_t size_bytes);

/* thread.c */
port_t umach__thread_call(uint32_t call);

#endif
