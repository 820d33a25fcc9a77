/*
 * LPC: local procedure call over connection ports, as Windows XP has it
 * (docs/lpc.md).  A server creates a named connection port; a client
 * connects to it with optional connect data; the server accepts or refuses.
 * An accepted connection is a private pair of communication ports, one
 * received by each end.  Calls of up to UMACH_LPC_INLINE_MAX bytes are
 * copied through the port's queue; larger ones travel in a section object
 * (<umach/section.h>) that both ends map, and the message carries only the
 * section and (offset, length).  While a client waits in a call, the
 * server may call it back on the same connection.  A client that closes
 * the connection or dies reaches the server as a UMACH_LPC_CLOSED message.
 *
 * Return codes are Mach's: KERN_INVALID_ARGUMENT for a NULL or closed
 * handle, a name or data too long; KERN_NO_ACCESS when the server refused
 * the connection; SEND_INVALID_PORT when the other end is gone; the name
 * server's NETNAME_NOT_CHECKED_IN when no server has the name; others from
 * the calls below them.  One thread uses a connection at a time.
 */
#ifndef UMACH_LPC_H
#define UMACH_LPC_H

#include <stddef.h>
#include <mach.h>
#include <umach/abi.h>

#define UMACH_LPC_INLINE_MAX 256u	/* bytes copied through the queue */
#define UMACH_LPC_MAX_BYTES  UMACH_SECTION_MAX_BYTES	/* one message */
#define UMACH_LPC_NAME_MAX   80u	/* connection port name, with NUL */

struct umach_lpc_server;		/* a connection port and its clients */
struct umach_lpc_conn;			/* one end of a connection */

enum umach_lpc_kind {
	UMACH_LPC_CONNECT = 1,		/* a client asks: accept or refuse */
	UMACH_LPC_REQUEST,		/* a call on conn: reply to it */
	UMACH_LPC_CLOSED		/* conn's client closed it or died */
};

/* Data of a received message.  data stays valid until the message is
 * replied to or released; it points into a mapped section if len is
 * over UMACH_LPC_INLINE_MAX. */
struct umach_lpc_buf {
	const void  *data;
	size_t       len;
	/* private to lpc.c */
	vm_address_t map;
	vm_size_t    map_size;
	uint8_t      inl[UMACH_LPC_INLINE_MAX];
};

/* What umach_lpc_receive returns to a server. */
struct umach_lpc_msg {
	enum umach_lpc_kind    kind;
	struct umach_lpc_conn *conn;	/* REQUEST, CLOSED */
	struct umach_lpc_buf   buf;	/* CONNECT (connect data), REQUEST */
	port_t                 reply;	/* private: where the answer goes */
};

/* A client's handler for the server's callbacks: answers req with
 * *out_rep (*out_len bytes, owned by the handler, read before the handler
 * is called again).  Returns KERN_SUCCESS or an error sent back instead. */
typedef kern_return_t (*umach_lpc_handler_t)(void *ctx,
					     const struct umach_lpc_buf *req,
					     const void **out_rep,
					     size_t *out_len);

/*
 * Server: a connection port checked in with the name server as name.
 * Returns KERN_SUCCESS with *out set, KERN_INVALID_ARGUMENT (name empty
 * or too long), the name server's error (NETNAME_NOT_YOURS if taken), or
 * KERN_RESOURCE_SHORTAGE.  The server also receives the task's
 * notifications (task_notify()), to learn of its clients' deaths.
 */
kern_return_t umach_lpc_server_create(const char *name,
				      struct umach_lpc_server **out);
/* Check the name out, close every connection and free s. */
void umach_lpc_server_destroy(struct umach_lpc_server *s);

/*
 * Wait up to timeout_ms (< 0: forever) for a connection request, a
 * request or a closed connection.  Returns KERN_SUCCESS with *m filled,
 * RCV_TIMED_OUT, or a receive error.  Malformed messages are dropped.
 * A CONNECT must be answered with umach_lpc_accept or _refuse, a REQUEST
 * with umach_lpc_reply, a CLOSED with umach_lpc_close(m->conn).
 */
kern_return_t umach_lpc_receive(struct umach_lpc_server *s,
				struct umach_lpc_msg *m, int timeout_ms);
kern_return_t umach_lpc_accept(struct umach_lpc_server *s,
			       struct umach_lpc_msg *m,
			       struct umach_lpc_conn **out);
kern_return_t umach_lpc_refuse(struct umach_lpc_server *s,
			       struct umach_lpc_msg *m);
/* Answer request m with len bytes (or an error status, then no data),
 * and release m. */
kern_return_t umach_lpc_reply(struct umach_lpc_msg *m, kern_return_t status,
			      const void *data, size_t len);

/*
 * Client: connect to the server checked in as name, sending len bytes
 * (at most UMACH_LPC_INLINE_MAX) of connect data.  Blocks until the
 * server answers or goes away.  Returns KERN_SUCCESS with *out set,
 * KERN_NO_ACCESS if refused, SEND_INVALID_PORT if the server went away,
 * NETNAME_NOT_CHECKED_IN, or KERN_INVALID_ARGUMENT.
 */
kern_return_t umach_lpc_connect(const char *name, const void *data,
				size_t len, struct umach_lpc_conn **out);
void umach_lpc_set_handler(struct umach_lpc_conn *c, umach_lpc_handler_t fn,
			   void *ctx);

/*
 * Call the other end: send len bytes and wait for the reply in *rep
 * (release it with umach_lpc_buf_release).  A client serves the server's
 * callbacks meanwhile; a server calls back only while its client is in a
 * call.  Returns KERN_SUCCESS, the status the other end replied with,
 * KERN_INVALID_ARGUMENT (NULL or closed conn, len over
 * UMACH_LPC_MAX_BYTES), SEND_INVALID_PORT if the other end is gone, or
 * MIG_TYPE_ERROR for a malformed reply.
 */
kern_return_t umach_lpc_call(struct umach_lpc_conn *c, const void *data,
			     size_t len, struct umach_lpc_buf *rep);
void umach_lpc_buf_release(struct umach_lpc_buf *b);

/* Close this end of c and free it.  The other end learns of it (a server
 * as UMACH_LPC_CLOSED, a client as SEND_INVALID_PORT on its next call). */
void umach_lpc_close(struct umach_lpc_conn *c);

/*
 * MIG over LPC, for the stubs `umig -lpc` generates (docs/umig.md): a
 * connection named by a handle that stands where a port would, so that
 * MIG's user stubs run unchanged with msg_rpc and msg_send replaced by the
 * two below; and a server loop that feeds each request to a MIG demux.
 * Only simple messages (no rights, no out-of-line data) travel this way.
 */
kern_return_t umach_lpc_handle_connect(const char *name, port_t *out_handle);
void umach_lpc_handle_close(port_t handle);
/* msg_rpc to a handle: the request travels as an LPC call, the reply's
 * bytes come back into h.  Options and timeouts are ignored.  Returns
 * RPC_SUCCESS, SEND_INVALID_PORT (not a handle, a message with rights or
 * out-of-line data, the server gone), SEND_MSG_TOO_SMALL/LARGE,
 * RCV_TOO_LARGE (reply over rcv_size), or the server's refusal. */
msg_return_t umach_lpc_msg_rpc(msg_header_t *h, msg_option_t option,
			       msg_size_t rcv_size, msg_timeout_t send_timeout,
			       msg_timeout_t rcv_timeout);
/* msg_send to a handle (a MIG simpleroutine): an LPC call whose empty
 * answer says the server has taken it.  Returns as umach_lpc_msg_rpc. */
msg_return_t umach_lpc_msg_send(msg_header_t *h, msg_option_t option,
				msg_timeout_t timeout);
/* Serve connection port name with a MIG demux: accept every connection,
 * answer every request, until nconns connections have ended (0: never).
 * Returns KERN_SUCCESS then, or the error that stopped it. */
kern_return_t umach_lpc_serve(const char *name,
			      boolean_t (*demux)(msg_header_t *, msg_header_t *),
			      unsigned int nconns);

#endif
