/*
 * msg_send, msg_receive and msg_rpc (reference 1.5): copy the message into
 * this thread's slot, post the call, copy the answer back.  Only the
 * message's actual size is written into the caller's buffer.  If the
 * kernel dies, a send returns SEND_INVALID_PORT and a receive or an RPC
 * RCV_INVALID_PORT (docs/protocol.md §8): every port died with it.
 */
#include <string.h>

#include "internal.h"

static uint32_t send_copy(struct umach_slot *s, const msg_header_t *h)
{
	uint32_t n = h->msg_size;

	if (n < sizeof *h)
		n = sizeof *h;		/* the kernel reports TOO_SMALL */
	if (n > UMACH_MSG_BUF)
		n = sizeof *h;		/* the kernel reports TOO_LARGE */
	memcpy(s->buf, h, n);
	return n;
}

static void copy_back(struct umach_slot *s, msg_header_t *h, uint32_t cap,
		      int32_t r)
{
	uint32_t n = s->msg_size;

	if (r == RCV_TOO_LARGE) {
		h->msg_size = n;	/* the size needed; the message stays */
		return;
	}
	if (r != RCV_SUCCESS || n > cap || n > UMACH_MSG_BUF)
		return;
	if (s->ool_count > 0)
		umach__ool_receive(s);
	memcpy(h, s->buf, n);
}

/* The message went out: the call did not end with a send error. */
static int sent(int32_t r)
{
	return r == SEND_WILL_NOTIFY || !msg_return_send(r);
}

msg_return_t msg_send(msg_header_t *header, msg_option_t option,
		      msg_timeout_t timeout)
{
	struct umach_slot *s = umach__slot();

	if (header == NULL)
		return SEND_INVALID_MEMORY;
	if (s == NULL)
		return SEND_INVALID_PORT;
	s->send_size = send_copy(s, header);
	struct umach__dealloc d;
	int32_t r = umach__ool_send(s, &d);
	if (r != 0)
		return r;
	s->call = UMACH_CALL_MSG_SEND;
	s->option = option;
	s->send_timeout_ms = timeout;
	r = umach__call(s, option, SEND_INVALID_PORT);
	if (sent(r))
		umach__ool_sent(&d);
	return r;
}

msg_return_t msg_receive(msg_header_t *header, msg_option_t option,
			 msg_timeout_t timeout)
{
	struct umach_slot *s = umach__slot();

	if (header == NULL)
		return RCV_INVALID_MEMORY;
	if (s == NULL)
		return RCV_INVALID_PORT;
	uint32_t cap = header->msg_size;
	s->call = UMACH_CALL_MSG_RECEIVE;
	s->option = option;
	s->rcv_size = cap;
	s->rcv_timeout_ms = timeout;
	s->rcv_name = header->msg_local_port;
	int32_t r = umach__call(s, option, RCV_INVALID_PORT);
	copy_back(s, header, cap, r);
	return r;
}

msg_return_t msg_rpc(msg_header_t *header, msg_option_t option,
		     msg_size_t rcv_size, msg_timeout_t send_timeout,
		     msg_timeout_t rcv_timeout)
{
	struct umach_slot *s = umach__slot();

	if (header == NULL)
		return SEND_INVALID_MEMORY;
	if (s == NULL)
		return SEND_INVALID_PORT;
	s->send_size = send_copy(s, header);
	struct umach__dealloc d;
	int32_t r = umach__ool_send(s, &d);
	if (r != 0)
		return r;
	s->call = UMACH_CALL_MSG_RPC;
	s->option = option;
	s->rcv_size = rcv_size;
	s->send_timeout_ms = send_timeout;
	s->rcv_timeout_ms = rcv_timeout;
	r = umach__call(s, option, RCV_INVALID_PORT);
	if (sent(r))
		umach__ool_sent(&d);
	copy_back(s, header, rcv_size, r);
	return r;
}
