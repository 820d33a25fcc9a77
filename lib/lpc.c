/*
 * LPC connection ports (<umach/lpc.h>, docs/lpc.md), built in the library
 * on ports, right transfer and section objects; the kernel knows nothing
 * of LPC.  Every message is one `struct wire`: (status, offset, length),
 * a section send right (PORT_NULL when the data is inline) and up to
 * UMACH_LPC_INLINE_MAX inline bytes.  A connection is the client's port C
 * (it receives replies and callbacks) and the server's port S (in the
 * server's port set, it receives requests), plus the server's private
 * port R on which its callbacks' replies arrive.  Everything received is
 * checked before it is used: the other end is another, untrusted task.
 */
#include <stdlib.h>
#include <string.h>

#include <mach/notify.h>
#include <servers/netname.h>
#include <umach/lpc.h>
#include <umach/section.h>
#include "internal.h"

/* Message ids (docs/lpc.md), outside Mach's and §14's. */
#define ID_CONNECT 3900
#define ID_ACCEPT  3901
#define ID_REFUSE  3902
#define ID_REQUEST 3903
#define ID_REPLY   3904

#define POLL_MS 100			/* how often a waiter checks its peer */
#define MAP_TIMEOUT_MS 1000		/* a "section" that is none */

struct wire {
	msg_header_t h;
	msg_type_t   t_word;		/* INTEGER_32 x 3 */
	int32_t      status, offset, length;
	msg_type_t   t_sec;		/* PORT x 1 */
	port_t       sec;
	msg_type_t   t_data;		/* BYTE x n, n <= UMACH_LPC_INLINE_MAX */
	uint8_t      data[UMACH_LPC_INLINE_MAX];
};

union rx {
	struct wire    w;
	notification_t n;
};

struct umach_lpc_conn {
	port_t peer;			/* send: the other end's port */
	port_t rx;			/* receive: replies (client: also callbacks) */
	port_t own;			/* server: S, in its set; client: PORT_NULL */
	port_t cb_reply;		/* client: R, learnt from a callback */
	int    closed;			/* server: its client is gone */
	struct umach_lpc_server *srv;	/* server end, else NULL */
	struct umach_lpc_conn   *next;
	umach_lpc_handler_t      fn;
	void                    *ctx;
};

struct umach_lpc_server {
	char                   name[UMACH_LPC_NAME_MAX];
	port_t                 listen;	/* the connection port */
	port_t                 sig;	/* its name's signature: ours alone */
	port_set_name_t        set;	/* listen, every S, task_notify() */
	struct umach_lpc_conn *conns;
};

static msg_type_t desc(unsigned int name, unsigned int size, unsigned int n)
{
	msg_type_t t;

	memset(&t, 0, sizeof t);
	t.msg_type_name = name;
	t.msg_type_size = size;
	t.msg_type_number = n;
	t.msg_type_inline = TRUE;
	return t;
}

static int desc_ok(const msg_type_t *t, unsigned int name, unsigned int size)
{
	return t->msg_type_name == name && t->msg_type_size == size &&
	       t->msg_type_inline && !t->msg_type_longform;
}

/*
 * Send id to dest with len bytes of data: inline, or in a new section
 * whose send right the message moves.  Returns the send's status.
 */
static kern_return_t send_wire(int id, port_t dest, port_t reply,
			       int32_t status, const void *data, size_t len)
{
	struct wire w;
	size_t n = len <= UMACH_LPC_INLINE_MAX ? len : 0;
	port_t sec = PORT_NULL;

	memset(&w, 0, sizeof w);
	if (len > UMACH_LPC_INLINE_MAX) {
		vm_address_t a;
		vm_size_t size;
		kern_return_t r = umach_section_create(task_self(), len, &sec);
		if (r != KERN_SUCCESS)
			return r;
		if ((r = umach_section_map(sec, &a, &size)) != KERN_SUCCESS) {
			port_deallocate(task_self(), sec);
			return r;
		}
		memcpy((void *)a, data, len);
		vm_deallocate(task_self(), a, size);
	} else if (n > 0) {
		memcpy(w.data, data, n);
	}
	w.t_word = desc(MSG_TYPE_INTEGER_32, 32, 3);
	w.status = status;
	w.offset = 0;
	w.length = (int32_t)len;
	w.t_sec = desc(MSG_TYPE_PORT, 32, 1);
	w.t_sec.msg_type_deallocate = sec != PORT_NULL;	/* the right moves */
	w.sec = sec;
	w.t_data = desc(MSG_TYPE_BYTE, 8, (unsigned int)n);
	w.h.msg_simple = FALSE;
	w.h.msg_size = (msg_size_t)((offsetof(struct wire, data) + n + 7) & ~7u);
	w.h.msg_type = MSG_TYPE_NORMAL;
	w.h.msg_remote_port = dest;
	w.h.msg_local_port = reply;
	w.h.msg_id = id;
	msg_return_t r = msg_send(&w.h, MSG_OPTION_NONE, 0);
	if (r != SEND_SUCCESS && sec != PORT_NULL)
		port_deallocate(task_self(), sec);
	return r;
}

/*
 * Check received w and make b its data: the inline bytes, copied, or the
 * section it names, mapped (its right is then let go).  Returns 0, or -1
 * if w is malformed.
 */
static int take_wire(const struct wire *w, struct umach_lpc_buf *b)
{
	size_t base = offsetof(struct wire, data);
	size_t n = w->t_data.msg_type_number;

	memset(b, 0, offsetof(struct umach_lpc_buf, inl));
	if (w->h.msg_size < base || w->h.msg_size > sizeof *w ||
	    w->h.msg_simple || !desc_ok(&w->t_word, MSG_TYPE_INTEGER_32, 32) ||
	    w->t_word.msg_type_number != 3 ||
	    !desc_ok(&w->t_sec, MSG_TYPE_PORT, 32) ||
	    w->t_sec.msg_type_number != 1 ||
	    !desc_ok(&w->t_data, MSG_TYPE_BYTE, 8) ||
	    n > UMACH_LPC_INLINE_MAX || base + n > w->h.msg_size ||
	    w->offset < 0 || w->length < 0)
		return -1;
	if (w->sec == PORT_NULL) {
		if ((size_t)w->length != n || w->offset != 0)
			return -1;
		memcpy(b->inl, w->data, n);
		b->data = b->inl;
		b->len = n;
		return 0;
	}
	/* Only a right that maps is a section, ours alone now (senders move
	 * theirs): anything else may be a name we use, so it is left alone,
	 * and a port that never answers costs at most the map's timeout. */
	if (n != 0 || umach__section_map(w->sec, &b->map, &b->map_size,
					 MAP_TIMEOUT_MS) != KERN_SUCCESS)
		return -1;
	port_deallocate(task_self(), w->sec);	/* the mapping stays */
	if ((uint64_t)w->offset + (uint64_t)w->length > b->map_size) {
		umach_lpc_buf_release(b);
		return -1;
	}
	b->data = (const uint8_t *)b->map + w->offset;
	b->len = (size_t)w->length;
	return 0;
}

void umach_lpc_buf_release(struct umach_lpc_buf *b)
{
	if (b->map != 0)
		vm_deallocate(task_self(), b->map, b->map_size);
	b->map = 0;
	b->map_size = 0;
	b->data = NULL;
	b->len = 0;
}

/*
 * Receive on rx, checking every POLL_MS that peer still exists: a dead
 * port's name leaves the space (protocol.md §8), and nothing would ever
 * arrive.  Returns RCV_SUCCESS, SEND_INVALID_PORT (peer gone) or the
 * receive's error.
 */
static kern_return_t wait_on(port_t rx, port_t peer, struct wire *w)
{
	for (;;) {
		port_type_t type;
		memset(&w->h, 0, sizeof w->h);
		w->h.msg_size = sizeof *w;
		w->h.msg_local_port = rx;
		msg_return_t r = msg_receive(&w->h, RCV_TIMEOUT, POLL_MS);
		if (r != RCV_TIMED_OUT)
			return r;
		if (port_type(task_self(), peer, &type) != KERN_SUCCESS)
			return SEND_INVALID_PORT;
	}
}

/* ---- the server ---- */

kern_return_t umach_lpc_server_create(const char *name,
				      struct umach_lpc_server **out)
{
	struct umach_lpc_server *s;
	kern_return_t r;

	if (name == NULL || name[0] == '\0' ||
	    strlen(name) >= UMACH_LPC_NAME_MAX)
		return KERN_INVALID_ARGUMENT;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return KERN_RESOURCE_SHORTAGE;
	strcpy(s->name, name);
	if ((r = port_allocate(task_self(), &s->listen)) != KERN_SUCCESS)
		goto fail_free;
	if ((r = port_allocate(task_self(), &s->sig)) != KERN_SUCCESS)
		goto fail_listen;
	if ((r = port_set_allocate(task_self(), &s->set)) != KERN_SUCCESS)
		goto fail_sig;
	if ((r = port_set_add(task_self(), s->set, s->listen)) != KERN_SUCCESS ||
	    (r = port_set_add(task_self(), s->set, task_notify())) !=
	    KERN_SUCCESS ||
	    (r = netname_check_in(name_server_port, s->name, s->sig,
				  s->listen)) != KERN_SUCCESS)
		goto fail_set;
	*out = s;
	return KERN_SUCCESS;
fail_set:
	port_set_remove(task_self(), task_notify());
	port_set_deallocate(task_self(), s->set);
fail_sig:
	port_deallocate(task_self(), s->sig);
fail_listen:
	port_deallocate(task_self(), s->listen);
fail_free:
	free(s);
	return r;
}

void umach_lpc_server_destroy(struct umach_lpc_server *s)
{
	if (s == NULL)
		return;
	netname_check_out(name_server_port, s->name, s->sig);
	while (s->conns != NULL)
		umach_lpc_close(s->conns);
	port_set_remove(task_self(), task_notify());
	port_deallocate(task_self(), s->listen);
	port_set_deallocate(task_self(), s->set);
	port_deallocate(task_self(), s->sig);
	free(s);
}

static struct umach_lpc_conn *conn_by(struct umach_lpc_server *s,
				      port_t own, port_t peer)
{
	for (struct umach_lpc_conn *c = s->conns; c != NULL; c = c->next)
		if ((own != PORT_NULL && c->own == own) ||
		    (peer != PORT_NULL && c->peer == peer && !c->closed))
			return c;
	return NULL;
}

/*
 * Make a received message m: 1 if it is one, 0 if it is to be dropped (a
 * notification of no interest, anything malformed).
 */
static int classify(struct umach_lpc_server *s, union rx *u,
		    struct umach_lpc_msg *m)
{
	port_t local = u->w.h.msg_local_port;

	memset(m, 0, offsetof(struct umach_lpc_msg, buf));
	m->reply = u->w.h.msg_remote_port;
	if (local == task_notify()) {
		if (u->w.h.msg_id != NOTIFY_PORT_DELETED ||
		    u->w.h.msg_size < sizeof u->n ||
		    (m->conn = conn_by(s, PORT_NULL, u->n.notify_port)) == NULL)
			return 0;
		m->conn->closed = 1;	/* its client's port is gone */
		m->kind = UMACH_LPC_CLOSED;
		m->reply = PORT_NULL;
		return 1;
	}
	if (local == s->listen) {
		if (u->w.h.msg_id != ID_CONNECT || m->reply == PORT_NULL ||
		    take_wire(&u->w, &m->buf) != 0)
			return 0;
		if (m->buf.map != 0) {	/* connect data is inline only */
			umach_lpc_buf_release(&m->buf);
			return 0;
		}
		m->kind = UMACH_LPC_CONNECT;
		return 1;
	}
	if ((m->conn = conn_by(s, local, PORT_NULL)) == NULL ||
	    u->w.h.msg_id != ID_REQUEST || m->reply == PORT_NULL)
		return 0;
	if (take_wire(&u->w, &m->buf) != 0) {
		send_wire(ID_REPLY, m->reply, PORT_NULL, MIG_TYPE_ERROR, NULL, 0);
		return 0;
	}
	m->kind = UMACH_LPC_REQUEST;
	return 1;
}

kern_return_t umach_lpc_receive(struct umach_lpc_server *s,
				struct umach_lpc_msg *m, int timeout_ms)
{
	union rx u;

	if (s == NULL || m == NULL)
		return KERN_INVALID_ARGUMENT;
	for (;;) {
		memset(&u.w.h, 0, sizeof u.w.h);
		u.w.h.msg_size = sizeof u;
		u.w.h.msg_local_port = s->set;
		msg_return_t r = msg_receive(&u.w.h,
					     timeout_ms < 0 ? MSG_OPTION_NONE :
					     RCV_TIMEOUT,
					     timeout_ms < 0 ? 0 : timeout_ms);
		if (r != RCV_SUCCESS)
			return r;
		if (classify(s, &u, m))
			return KERN_SUCCESS;
	}
}

kern_return_t umach_lpc_accept(struct umach_lpc_server *s,
			       struct umach_lpc_msg *m,
			       struct umach_lpc_conn **out)
{
	struct umach_lpc_conn *c;
	kern_return_t r;

	if (s == NULL || m == NULL || m->kind != UMACH_LPC_CONNECT)
		return KERN_INVALID_ARGUMENT;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return KERN_RESOURCE_SHORTAGE;
	if ((r = port_allocate(task_self(), &c->own)) != KERN_SUCCESS)
		goto fail_free;
	if ((r = port_allocate(task_self(), &c->rx)) != KERN_SUCCESS)
		goto fail_own;
	if ((r = port_set_add(task_self(), s->set, c->own)) != KERN_SUCCESS)
		goto fail_rx;
	/* The answer's reply port gives the client its send right to S. */
	if ((r = send_wire(ID_ACCEPT, m->reply, c->own, KERN_SUCCESS, NULL,
			   0)) != SEND_SUCCESS)
		goto fail_rx;
	c->peer = m->reply;
	c->srv = s;
	c->next = s->conns;
	s->conns = c;
	m->kind = 0;
	*out = c;
	return KERN_SUCCESS;
fail_rx:
	port_deallocate(task_self(), c->rx);
fail_own:
	port_deallocate(task_self(), c->own);
fail_free:
	free(c);
	return r;
}

kern_return_t umach_lpc_refuse(struct umach_lpc_server *s,
			       struct umach_lpc_msg *m)
{
	if (s == NULL || m == NULL || m->kind != UMACH_LPC_CONNECT)
		return KERN_INVALID_ARGUMENT;
	kern_return_t r = send_wire(ID_REFUSE, m->reply, PORT_NULL,
				    KERN_NO_ACCESS, NULL, 0);
	if (conn_by(s, PORT_NULL, m->reply) == NULL)
		port_deallocate(task_self(), m->reply);
	m->kind = 0;
	return r;
}

kern_return_t umach_lpc_reply(struct umach_lpc_msg *m, kern_return_t status,
			      const void *data, size_t len)
{
	if (m == NULL || m->kind != UMACH_LPC_REQUEST ||
	    len > UMACH_LPC_MAX_BYTES || (data == NULL && len > 0))
		return KERN_INVALID_ARGUMENT;
	if (status != KERN_SUCCESS)
		len = 0;
	kern_return_t r = send_wire(ID_REPLY, m->reply, PORT_NULL, status,
				    data, len);
	umach_lpc_buf_release(&m->buf);
	m->kind = 0;
	return r;
}

/* ---- both ends ---- */

kern_return_t umach_lpc_connect(const char *name, const void *data,
				size_t len, struct umach_lpc_conn **out)
{
	struct umach_lpc_conn *c;
	port_t listen;
	struct wire w;
	kern_return_t r;

	if (name == NULL || strlen(name) >= UMACH_LPC_NAME_MAX ||
	    len > UMACH_LPC_INLINE_MAX || (data == NULL && len > 0) ||
	    out == NULL)
		return KERN_INVALID_ARGUMENT;
	char nm[UMACH_LPC_NAME_MAX];
	strcpy(nm, name);
	if ((r = netname_look_up(name_server_port, "", nm, &listen)) !=
	    KERN_SUCCESS)
		return r;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return KERN_RESOURCE_SHORTAGE;
	if ((r = port_allocate(task_self(), &c->rx)) != KERN_SUCCESS)
		goto fail_free;
	if ((r = send_wire(ID_CONNECT, listen, c->rx, 0, data, len)) !=
	    SEND_SUCCESS)
		goto fail_rx;
	for (;;) {
		if ((r = wait_on(c->rx, listen, &w)) != RCV_SUCCESS)
			goto fail_rx;
		if (w.h.msg_id == ID_ACCEPT && w.h.msg_remote_port != PORT_NULL)
			break;
		if (w.h.msg_id == ID_REFUSE) {
			r = KERN_NO_ACCESS;
			goto fail_rx;
		}
	}
	c->peer = w.h.msg_remote_port;
	port_deallocate(task_self(), listen);
	*out = c;
	return KERN_SUCCESS;
fail_rx:
	port_deallocate(task_self(), c->rx);
fail_free:
	free(c);
	port_deallocate(task_self(), listen);
	return r;
}

void umach_lpc_set_handler(struct umach_lpc_conn *c, umach_lpc_handler_t fn,
			   void *ctx)
{
	if (c == NULL)
		return;
	c->fn = fn;
	c->ctx = ctx;
}

/* A client serves the server's callback w, sent while it waits. */
static void serve_callback(struct umach_lpc_conn *c, struct wire *w)
{
	struct umach_lpc_buf req;
	const void *rep = NULL;
	size_t len = 0;
	port_t reply = w->h.msg_remote_port;
	kern_return_t status = KERN_FAILURE;

	if (reply == PORT_NULL)
		return;
	c->cb_reply = reply;
	if (take_wire(w, &req) != 0) {
		status = MIG_TYPE_ERROR;
	} else {
		if (c->fn != NULL)
			status = c->fn(c->ctx, &req, &rep, &len);
		if (status != KERN_SUCCESS || len > UMACH_LPC_MAX_BYTES ||
		    (rep == NULL && len > 0)) {
			status = status != KERN_SUCCESS ? status : KERN_FAILURE;
			len = 0;
		}
	}
	send_wire(ID_REPLY, reply, PORT_NULL, status, rep, len);
	umach_lpc_buf_release(&req);
}

kern_return_t umach_lpc_call(struct umach_lpc_conn *c, const void *data,
			     size_t len, struct umach_lpc_buf *rep)
{
	struct wire w;
	kern_return_t r;

	if (c == NULL || rep == NULL || len > UMACH_LPC_MAX_BYTES ||
	    (data == NULL && len > 0))
		return KERN_INVALID_ARGUMENT;
	memset(rep, 0, offsetof(struct umach_lpc_buf, inl));
	if (c->closed)
		return SEND_INVALID_PORT;
	if ((r = send_wire(ID_REQUEST, c->peer, c->rx, 0, data, len)) !=
	    SEND_SUCCESS)
		return r;
	for (;;) {
		if ((r = wait_on(c->rx, c->peer, &w)) != RCV_SUCCESS)
			return r;
		if (w.h.msg_id == ID_REQUEST && c->srv == NULL) {
			serve_callback(c, &w);
			continue;
		}
		if (w.h.msg_id != ID_REPLY)
			continue;	/* nothing of ours: dropped */
		if (take_wire(&w, rep) != 0)
			return MIG_TYPE_ERROR;
		if (w.status != KERN_SUCCESS) {
			umach_lpc_buf_release(rep);
			return w.status;
		}
		return KERN_SUCCESS;
	}
}

void umach_lpc_close(struct umach_lpc_conn *c)
{
	if (c == NULL)
		return;
	if (c->srv != NULL) {
		struct umach_lpc_conn **pp = &c->srv->conns;
		while (*pp != c)
			pp = &(*pp)->next;
		*pp = c->next;
		port_deallocate(task_self(), c->own);
	}
	/* The client's rx is C: destroying it tells the server.  The
	 * server's own S going tells the client at its next call. */
	port_deallocate(task_self(), c->rx);
	if (c->peer != PORT_NULL)
		port_deallocate(task_self(), c->peer);
	if (c->cb_reply != PORT_NULL)
		port_deallocate(task_self(), c->cb_reply);
	free(c);
}
