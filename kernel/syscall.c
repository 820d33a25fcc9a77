/*
 * The call table: one handler per UMACH_CALL_* (xv6 syscall.c).  The
 * request fields were copied out of the slot into the activation by
 * ktask_service() before this runs, so handlers read only private memory
 * (plus the message bytes, which kmsg_copyin copies once).
 */
#include "kernel.h"

typedef void (*sys_fn)(struct kernel *k, struct act *a);

static const sys_fn calls[UMACH_CALL_MAX + 1] = {
	[UMACH_CALL_MSG_SEND]     = sys_msg_send,
	[UMACH_CALL_MSG_RECEIVE]  = sys_msg_receive,
	[UMACH_CALL_MSG_RPC]      = sys_msg_rpc,
	[UMACH_CALL_THREAD_SELF]  = sys_thread_self,
	[UMACH_CALL_THREAD_REPLY] = sys_thread_reply,
	[UMACH_CALL_SLOT_RELEASE] = sys_slot_release,
};

/* Run a's call.  An unknown call number is answered KERN_INVALID_ARGUMENT. */
void syscall_dispatch(struct kernel *k, struct act *a)
{
	a->out_size = 0;
	a->out_value = 0;
	a->out_ool = 0;
	if (a->call > UMACH_CALL_MAX || calls[a->call] == NULL) {
		act_complete(k, a, KERN_INVALID_ARGUMENT);
		return;
	}
	calls[a->call](k, a);
}
