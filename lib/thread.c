/*
 * Per-thread ports: thread_self() and thread_reply(), each a direct call in
 * the thread's slot, cached per thread.  MIG stubs get their reply port
 * from mig_get_reply_port(), which is thread_reply().
 */
#include "internal.h"

static __thread port_t reply_port = PORT_NULL;
static __thread uint32_t reply_gen;	/* the attachment it belongs to */

port_t umach__thread_call(uint32_t call)
{
	struct umach_slot *s = umach__slot();

	if (s == NULL)
		return PORT_NULL;
	s->call = call;
	s->option = 0;
	return umach__call(s, 0, -1) == KERN_SUCCESS ? s->value : PORT_NULL;
}

port_t thread_self(void)
{
	return umach__thread_call(UMACH_CALL_THREAD_SELF);
}

/* The thread's reply port (receive, ownership and send), made on first use. */
port_t thread_reply(void)
{
	if (reply_port == PORT_NULL || reply_gen != umach__conn.gen ||
	    umach__conn.chan == NULL) {
		reply_port = umach__thread_call(UMACH_CALL_THREAD_REPLY);
		reply_gen = umach__conn.gen;
	}
	return reply_port;
}

port_t mig_get_reply_port(void)
{
	return thread_reply();
}

/* After RCV_INVALID_PORT the reply port is suspect: ask for it again. */
void mig_dealloc_reply_port(void)
{
	reply_port = PORT_NULL;
}
