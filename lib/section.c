/*
 * Client stubs for section objects (docs/protocol.md §14, <umach/section.h>):
 * umach_section_create asks the task's kernel port for a new section and
 * gets its port as a send right; umach_section_map asks the section's port
 * and gets its memfd as one out-of-line region that ool.c maps MAP_SHARED
 * because the kernel flags it so.  Replies are checked in MIG's order.
 */
#include <stdint.h>
#include <string.h>

#include <umach/section.h>
#include "internal.h"

struct karg {
	msg_type_t t;
	int32_t    v;
};

static msg_type_t desc(unsigned int type_name)
{
	msg_type_t t;

	memset(&t, 0, sizeof t);
	t.msg_type_name = type_name;
	t.msg_type_size = 32;
	t.msg_type_number = 1;
	t.msg_type_inline = 1;
	return t;
}

static int desc_is(const msg_type_t *t, unsigned int type_name)
{
	msg_type_t want = desc(type_name);

	return memcmp(t, &want, sizeof want) == 0;
}

/* Send m (its size already set) to port as request id; check the id and
 * the RetCode of the reply, which may be up to reply_size bytes.  With
 * timeout_ms > 0 neither half waits longer than that. */
static kern_return_t call(msg_header_t *h, port_t port, int id,
			  msg_size_t reply_size, int timeout_ms)
{
	msg_option_t opt = timeout_ms > 0 ? SEND_TIMEOUT | RCV_TIMEOUT :
					    MSG_OPTION_NONE;

	struct karg *ret = (struct karg *)(h + 1);

	h->msg_type = MSG_TYPE_NORMAL | MSG_TYPE_RPC;
	h->msg_remote_port = port;
	h->msg_local_port = mig_get_reply_port();
	h->msg_id = id;
	msg_return_t r = msg_rpc(h, opt, reply_size, timeout_ms, timeout_ms);
	if (r == RCV_INVALID_PORT)
		mig_dealloc_reply_port();
	if (r != RPC_SUCCESS)
		return r;
	if (h->msg_id != id + 100)
		return MIG_REPLY_MISMATCH;
	if (h->msg_size < sizeof *h + sizeof *ret ||
	    !desc_is(&ret->t, MSG_TYPE_INTEGER_32))
		return MIG_TYPE_ERROR;
	return ret->v;
}

kern_return_t umach_section_create(task_t task, vm_size_t size_bytes,
				   port_t *out_section)
{
	struct {
		msg_header_t Head;
		struct karg  a[2];
	} m;

	memset(&m, 0, sizeof m);
	/* Anything over the limit is refused by the kernel as too big. */
	m.a[0].t = desc(MSG_TYPE_INTEGER_32);
	m.a[0].v = size_bytes > INT32_MAX ? INT32_MAX : (int32_t)size_bytes;
	m.Head.msg_simple = TRUE;
	m.Head.msg_size = sizeof m.Head + sizeof m.a[0];
	kern_return_t r = call(&m.Head, task, UMACH_SECTION_CREATE_ID,
			       sizeof m, 0);
	if (r != KERN_SUCCESS)
		return r;
	if (m.Head.msg_size != sizeof m || m.Head.msg_simple ||
	    !desc_is(&m.a[1].t, MSG_TYPE_PORT))
		return MIG_TYPE_ERROR;
	*out_section = m.a[1].v;
	return KERN_SUCCESS;
}

kern_return_t umach_section_map(port_t section, vm_address_t *out_addr,
				vm_size_t *out_size)
{
	return umach__section_map(section, out_addr, out_size, 0);
}

/*
 * umach_section_map, waiting at most timeout_ms (if > 0) for each half:
 * for a right from another task that may not be a section at all (lpc.c).
 * Returns as umach_section_map, or SEND_TIMED_OUT, RCV_TIMED_OUT.
 */
kern_return_t umach__section_map(port_t section, vm_address_t *out_addr,
				 vm_size_t *out_size, int timeout_ms)
{
	struct {
		msg_header_t    Head;
		struct karg     ret;
		msg_type_long_t memType;
		void           *mem;
	} m;

	memset(&m, 0, sizeof m);
	m.Head.msg_simple = TRUE;
	m.Head.msg_size = sizeof m.Head;
	kern_return_t r = call(&m.Head, section, UMACH_SECTION_MAP_ID,
			       sizeof m, timeout_ms);
	if (r != KERN_SUCCESS)
		return r;
	if (m.Head.msg_size != sizeof m || m.Head.msg_simple ||
	    !m.memType.msg_type_header.msg_type_longform ||
	    m.memType.msg_type_header.msg_type_inline ||
	    m.memType.msg_type_long_name != MSG_TYPE_INTEGER_32 ||
	    m.memType.msg_type_long_size != 32 || m.mem == NULL) {
		if (m.mem != NULL)
			vm_deallocate(task_self(), (vm_address_t)m.mem,
				      (vm_size_t)m.memType.msg_type_long_number * 4);
		return m.mem == NULL ? RCV_NOT_ENOUGH_MEMORY : MIG_TYPE_ERROR;
	}
	*out_addr = (vm_address_t)m.mem;
	*out_size = (vm_size_t)m.memType.msg_type_long_number * 4;
	return KERN_SUCCESS;
}
