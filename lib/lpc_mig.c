/*
 * MIG over LPC (<umach/lpc.h>, docs/umig.md "LPC stubs"): what `umig -lpc`
 * stubs call.  A client's connections are kept in a small table and named
 * by handles that stand where MIG's stubs expect a port; a request message
 * travels whole as the data of one LPC call and the reply message comes
 * back as its answer.  The server side feeds each request to the
 * interface's demux.  Rights and out-of-line data cannot travel as bytes,
 * so only simple messages are carried.
 */
#include <pthread.h>
#include <string.h>

#include <umach/lpc.h>
#include "internal.h"

#define HANDLES 64
#define HANDLE_BASE 0x4c500000		/* "LP": far above real names */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct umach_lpc_conn *conns[HANDLES];	/* guarded by lock */

union msgbuf {
	msg_header_t h;
	uint64_t     align;
	uint8_t      b[MSG_SIZE_MAX];
};

kern_return_t umach_lpc_handle_connect(const char *name, port_t *out_handle)
{
	struct umach_lpc_conn *c;
	kern_return_t r;

	if (out_handle == NULL)
		return KERN_INVALID_ARGUMENT;
	if ((r = umach_lpc_connect(name, NULL, 0, &c)) != KERN_SUCCESS)
		return r;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < HANDLES; i++) {
		if (conns[i] == NULL) {
			conns[i] = c;
			pthread_mutex_unlock(&lock);
			*out_handle = HANDLE_BASE + i;
			return KERN_SUCCESS;
		}
	}
	pthread_mutex_unlock(&lock);
	umach_lpc_close(c);
	return KERN_RESOURCE_SHORTAGE;
}

/* The connection of handle h, or NULL.  One thread uses it at a time. */
static struct umach_lpc_conn *conn_of(port_t h)
{
	struct umach_lpc_conn *c = NULL;

	if (h < HANDLE_BASE || h >= HANDLE_BASE + HANDLES)
		return NULL;
	pthread_mutex_lock(&lock);
	c = conns[h - HANDLE_BASE];
	pthread_mutex_unlock(&lock);
	return c;
}

void umach_lpc_handle_close(port_t handle)
{
	struct umach_lpc_conn *c = NULL;

	if (handle >= HANDLE_BASE && handle < HANDLE_BASE + HANDLES) {
		pthread_mutex_lock(&lock);
		c = conns[handle - HANDLE_BASE];
		conns[handle - HANDLE_BASE] = NULL;
		pthread_mutex_unlock(&lock);
	}
	umach_lpc_close(c);
}

/* Send h whole as one call; the answer in *rep.  Returns a msg_return_t. */
static msg_return_t call(msg_header_t *h, struct umach_lpc_buf *rep)
{
	struct umach_lpc_conn *c = conn_of(h->msg_remote_port);

	if (c == NULL || !h->msg_simple)
		return SEND_INVALID_PORT;
	if (h->msg_size < sizeof *h)
		return SEND_MSG_TOO_SMALL;
	if (h->msg_size > MSG_SIZE_MAX)
		return SEND_MSG_TOO_LARGE;
	return umach_lpc_call(c, h, h->msg_size, rep);
}

msg_return_t umach_lpc_msg_rpc(msg_header_t *h, msg_option_t option,
			       msg_size_t rcv_size, msg_timeout_t send_timeout,
			       msg_timeout_t rcv_timeout)
{
	struct umach_lpc_buf rep;
	port_t local = h->msg_local_port;
	msg_return_t r;

	(void)option;
	(void)send_timeout;
	(void)rcv_timeout;
	if ((r = call(h, &rep)) != KERN_SUCCESS)
		return r;
	r = RPC_SUCCESS;
	if (rep.len < sizeof *h)
		r = MIG_TYPE_ERROR;
	else if (rep.len > rcv_size)
		r = RCV_TOO_LARGE;
	if (r == RPC_SUCCESS) {
		memcpy(h, rep.data, rep.len);
		h->msg_size = (msg_size_t)rep.len;
		h->msg_simple = TRUE;
		h->msg_local_port = local;	/* as a receive would say */
		h->msg_remote_port = PORT_NULL;
	}
	umach_lpc_buf_release(&rep);
	return r;
}

msg_return_t umach_lpc_msg_send(msg_header_t *h, msg_option_t option,
				msg_timeout_t timeout)
{
	struct umach_lpc_buf rep;
	msg_return_t r;

	(void)option;
	(void)timeout;
	if ((r = call(h, &rep)) != KERN_SUCCESS)
		return r;
	umach_lpc_buf_release(&rep);
	return SEND_SUCCESS;
}

/* Answer request m through demux: its reply message, or nothing for a
 * one-way routine, or an error status for what is not a message. */
static void serve_request(struct umach_lpc_msg *m,
			  boolean_t (*demux)(msg_header_t *, msg_header_t *),
			  union msgbuf *in, union msgbuf *out)
{
	if (m->buf.len < sizeof in->h || m->buf.len > sizeof *in) {
		umach_lpc_reply(m, MIG_TYPE_ERROR, NULL, 0);
		return;
	}
	memcpy(in->b, m->buf.data, m->buf.len);
	if (!in->h.msg_simple || in->h.msg_size != m->buf.len) {
		umach_lpc_reply(m, MIG_TYPE_ERROR, NULL, 0);
		return;
	}
	in->h.msg_local_port = PORT_NULL;
	in->h.msg_remote_port = PORT_NULL;
	memset(&out->h, 0, sizeof out->h);
	(void)demux(&in->h, &out->h);	/* FALSE still fills MIG_BAD_ID */
	size_t n = out->h.msg_size;
	struct { msg_header_t h; msg_type_t t; kern_return_t ret; } *pill =
		(void *)out->b;
	if (n < sizeof *pill || n > sizeof *out || pill->ret == MIG_NO_REPLY)
		n = 0;			/* one-way: an empty answer */
	umach_lpc_reply(m, KERN_SUCCESS, out->b, n);
}

kern_return_t umach_lpc_serve(const char *name,
			      boolean_t (*demux)(msg_header_t *, msg_header_t *),
			      unsigned int nconns)
{
	static __thread union msgbuf in, out;
	struct umach_lpc_server *s;
	struct umach_lpc_conn *c;
	struct umach_lpc_msg m;
	unsigned int ended = 0;
	kern_return_t r;

	if (demux == NULL)
		return KERN_INVALID_ARGUMENT;
	if ((r = umach_lpc_server_create(name, &s)) != KERN_SUCCESS)
		return r;
	while (nconns == 0 || ended < nconns) {
		if ((r = umach_lpc_receive(s, &m, -1)) != KERN_SUCCESS)
			break;
		if (m.kind == UMACH_LPC_CONNECT) {
			umach_lpc_accept(s, &m, &c);
		} else if (m.kind == UMACH_LPC_CLOSED) {
			umach_lpc_close(m.conn);
			ended++;
		} else {
			serve_request(&m, demux, &in, &out);
		}
	}
	umach_lpc_server_destroy(s);
	return r;
}
