/*
 * Client stubs for a task's registered and special ports (reference 1.11):
 * mach_ports_register (2033), mach_ports_lookup (2034),
 * task_get_special_port (2058) and task_set_special_port (2059), MIG
 * requests on the task's kernel port checked in MIG's order (id, then
 * size and types, then RetCode).  The port arrays travel inline in the
 * message (docs/protocol.md §8); mach_ports_lookup still hands its caller
 * vm_allocate'd memory, as Mach's out-of-line array was, so programs that
 * vm_deallocate it work unchanged.  Written by hand until umig generates
 * them from a mach.defs (TODO(#4)).
 */
#include <string.h>

#include <mach/task_special_ports.h>
#include <umach/msg_desc.h>
#include "internal.h"

#define REG_MAX TASK_PORT_REGISTER_MAX
#define WIRE_MAX 16		/* ports a register request can carry */

struct ret {
	msg_type_t    RetCodeType;
	kern_return_t RetCode;
};

static void head(msg_header_t *h, task_t task, uint32_t size, int id,
		 int simple)
{
	h->msg_simple = simple;
	h->msg_size = size;
	h->msg_type = MSG_TYPE_NORMAL | MSG_TYPE_RPC;
	h->msg_remote_port = task;
	h->msg_local_port = mig_get_reply_port();
	h->msg_id = id;
}

/* msg_rpc, then the checks every reply gets: id, then RetCode's type. */
static kern_return_t rpc(msg_header_t *h, uint32_t rcv_size, int id)
{
	struct ret *r = (struct ret *)(h + 1);
	msg_return_t mr = msg_rpc(h, MSG_OPTION_NONE, rcv_size, 0, 0);

	if (mr == RCV_INVALID_PORT)
		mig_dealloc_reply_port();
	if (mr != RPC_SUCCESS)
		return mr;
	if (h->msg_id != id + 100)
		return MIG_REPLY_MISMATCH;
	if (h->msg_size < sizeof *h + sizeof *r ||
	    !umach_msg_type_is(r->RetCodeType, MSG_TYPE_INTEGER_32, 32))
		return MIG_TYPE_ERROR;
	return r->RetCode;
}

/*
 * Register count send rights as task's registered ports: slot i gets
 * ports[i] and the slots from count on become PORT_NULL.  Returns
 * KERN_SUCCESS; KERN_INVALID_ARGUMENT if count > TASK_PORT_REGISTER_MAX;
 * MIG_ARRAY_TOO_LARGE if count is too large to send at all; or the
 * msg_rpc error (SEND_INVALID_PORT for a name task does not hold).
 */
kern_return_t mach_ports_register(task_t task, port_array_t ports,
				  unsigned int count)
{
	union {
		struct {
			msg_header_t Head;
			msg_type_t   portsType;
			port_t       ports[WIRE_MAX];
		} req;
		struct {
			msg_header_t Head;
			struct ret   r;
		} rep;
	} m;

	if (count > WIRE_MAX)
		return MIG_ARRAY_TOO_LARGE;
	memset(&m, 0, sizeof m);
	head(&m.req.Head, task, sizeof m.req.Head + sizeof(msg_type_t) +
	     count * sizeof(port_t), 2033, FALSE);
	m.req.portsType = umach_msg_type(MSG_TYPE_PORT, 32);
	m.req.portsType.msg_type_number = count;
	if (count > 0)
		memcpy(m.req.ports, ports, count * sizeof(port_t));
	kern_return_t r = rpc(&m.req.Head, sizeof m, 2033);
	if (r == KERN_SUCCESS && m.rep.Head.msg_size != sizeof m.rep)
		return MIG_TYPE_ERROR;
	return r;
}

/*
 * Send rights to task's TASK_PORT_REGISTER_MAX registered ports (PORT_NULL
 * for an empty slot), in memory the caller gives back with vm_deallocate.
 * Returns KERN_SUCCESS, KERN_RESOURCE_SHORTAGE if that memory cannot be
 * had, a MIG_* code for a malformed reply, or the msg_rpc error.
 */
kern_return_t mach_ports_lookup(task_t task, port_array_t *ports,
				unsigned int *count)
{
	struct {
		msg_header_t Head;
		struct ret   r;
		msg_type_t   portsType;
		port_t       ports[REG_MAX];
	} m;
	vm_address_t a;

	memset(&m, 0, sizeof m);
	head(&m.Head, task, sizeof m.Head, 2034, TRUE);
	kern_return_t r = rpc(&m.Head, sizeof m, 2034);
	if (r != KERN_SUCCESS)
		return r;
	msg_type_t want = umach_msg_type(MSG_TYPE_PORT, 32);
	want.msg_type_number = REG_MAX;
	if (m.Head.msg_size != sizeof m || m.Head.msg_simple ||
	    memcmp(&m.portsType, &want, sizeof want) != 0)
		return MIG_TYPE_ERROR;
	if (vm_allocate(task_self(), &a, sizeof m.ports, TRUE) != KERN_SUCCESS)
		return KERN_RESOURCE_SHORTAGE;
	memcpy((void *)a, m.ports, sizeof m.ports);
	*ports = (port_array_t)a;
	*count = REG_MAX;
	return KERN_SUCCESS;
}

/*
 * A send right to special port `which` of task (TASK_KERNEL_PORT,
 * TASK_NOTIFY_PORT, TASK_EXCEPTION_PORT, TASK_BOOTSTRAP_PORT), PORT_NULL if
 * none is set.  Returns KERN_SUCCESS, KERN_INVALID_ARGUMENT for another
 * selector, a MIG_* code, or the msg_rpc error.
 */
kern_return_t task_get_special_port(task_t task, int which, port_t *port)
{
	union {
		struct {
			msg_header_t Head;
			msg_type_t   whichType;
			int          which;
		} req;
		struct {
			msg_header_t Head;
			struct ret   r;
			msg_type_t   portType;
			port_t       port;
		} rep;
	} m;

	memset(&m, 0, sizeof m);
	head(&m.req.Head, task, sizeof m.req, 2058, TRUE);
	m.req.whichType = umach_msg_type(MSG_TYPE_INTEGER_32, 32);
	m.req.which = which;
	kern_return_t r = rpc(&m.req.Head, sizeof m, 2058);
	if (r != KERN_SUCCESS)
		return r;
	if (m.rep.Head.msg_size != sizeof m.rep ||
	    !umach_msg_type_is(m.rep.portType, MSG_TYPE_PORT, 32))
		return MIG_TYPE_ERROR;
	*port = m.rep.port;
	return KERN_SUCCESS;
}

/*
 * Make port (a right the caller holds, or PORT_NULL) task's special port
 * `which`: TASK_NOTIFY_PORT, TASK_EXCEPTION_PORT or TASK_BOOTSTRAP_PORT.
 * Returns KERN_SUCCESS; KERN_INVALID_ARGUMENT for another selector
 * (TASK_KERNEL_PORT cannot be replaced); SEND_INVALID_PORT if the caller
 * holds no right named port; a MIG_* code.  Setting this task's notify
 * port also updates what task_notify() returns.
 */
kern_return_t task_set_special_port(task_t task, int which, port_t port)
{
	union {
		struct {
			msg_header_t Head;
			msg_type_t   whichType;
			int          which;
			msg_type_t   portType;
			port_t       port;
		} req;
		struct {
			msg_header_t Head;
			struct ret   r;
		} rep;
	} m;

	memset(&m, 0, sizeof m);
	head(&m.req.Head, task, sizeof m.req, 2059, FALSE);
	m.req.whichType = umach_msg_type(MSG_TYPE_INTEGER_32, 32);
	m.req.which = which;
	m.req.portType = umach_msg_type(MSG_TYPE_PORT, 32);
	m.req.port = port;
	kern_return_t r = rpc(&m.req.Head, sizeof m, 2059);
	if (r != KERN_SUCCESS)
		return r;
	if (m.rep.Head.msg_size != sizeof m.rep)
		return MIG_TYPE_ERROR;
	if (which == TASK_NOTIFY_PORT && task == task_self_)
		task_notify_ = port;
	return KERN_SUCCESS;
}
