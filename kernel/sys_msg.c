/*
 * msg_send, msg_receive and msg_rpc (reference 1.5), plus the thread calls
 * that a slot carries directly.  msg_rpc is a send half followed, if the
 * send went through, by a receive half on the header's reply port.
 */
#include "kernel.h"

static uint32_t send_bytes(struct act *a)
{
	uint32_t n = a->task->chan->slot[a->slot].send_size;

	return n < UMACH_MSG_BUF ? n : UMACH_MSG_BUF;
}

/*
 * The send half of a's call ended with status (or MSGQ_BLOCKED: still
 * waiting).  msg_send completes; msg_rpc goes on to receive if the message
 * went out, and ends otherwise.
 */
void sys_send_done(struct kernel *k, struct act *a, int32_t status)
{
	if (status == MSGQ_BLOCKED)
		return;
	if (status != SEND_SUCCESS && status != SEND_WILL_NOTIFY)
		TRACE(k, msg, UMACH_EV_SEND_FAIL, a->task, NULL, NULL, status);
	if (a->call == UMACH_CALL_MSG_RPC &&
	    (status == SEND_SUCCESS || status == SEND_WILL_NOTIFY)) {
		msgq_receive(k, a);
		return;
	}
	act_complete(k, a, status);
}

static void send_half(struct kernel *k, struct act *a)
{
	struct kmsg *m;
	uint32_t flags = a->call == UMACH_CALL_MSG_RPC ? KMSG_RPC : 0;
	int r = kmsg_copyin(k, a, a->task->chan->slot[a->slot].buf,
			    send_bytes(a), flags, &m);

	ool_drop_note(a);		/* used by the copy-in, or not for it */

	if (r != SEND_SUCCESS) {
		TRACE(k, msg, UMACH_EV_SEND_FAIL, a->task, NULL, NULL, r);
		act_complete(k, a, r);
		return;
	}
	/* msg_rpc receives on the reply port as the kernel copied it;
	 * PORT_DEFAULT there means the default set (the man page). */
	a->rcv_name = m->hdr.msg_local_port;
	sys_send_done(k, a, msgq_send(k, a, m));
}

void sys_msg_send(struct kernel *k, struct act *a)
{
	send_half(k, a);
}

void sys_msg_rpc(struct kernel *k, struct act *a)
{
	send_half(k, a);
}

void sys_msg_receive(struct kernel *k, struct act *a)
{
	msgq_receive(k, a);
}
