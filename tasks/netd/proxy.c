/*
 * Proxies and exports (docs/netd.md "Proxies").  A proxy is a port whose
 * receive right netd holds and whose messages go to one export of one
 * peer; an export is a send right netd holds on a peer's behalf, known to
 * the peer by a 32-bit id.  netd_forward() turns a message received on a
 * proxy into a NETD_MSG frame; netd_deliver() turns a frame back into a
 * message: port names become ids and ids become proxies; out-of-line
 * regions travel as bytes and arrive as fresh memory.  Every field of a
 * frame is checked before it is used; a bad frame ends its link.
 */
#include <stdlib.h>
#include <string.h>

#include <mach.h>
#include <mach/mig_errors.h>
#include <umach/msg_desc.h>
#include <servers/netname.h>
#include <sys/socket.h>
#include "netd.h"

#define HDR_BYTES 24			/* msg_header_t on the wire */
#define MSG_FIXED 24			/* dest, reply, id, type, simple, len */
#define OOL_MAX   16			/* UMACH_OOL_MAX, docs/protocol.md §7 */

/* One item of a body, as the walk of docs/protocol.md §6 finds it. */
struct item {
	unsigned name, size, inl;
	uint32_t number;
	uint8_t *data;			/* into the body */
	uint64_t bytes;			/* inline data, or the OOL region */
};

typedef int (*item_fn)(void *ctx, struct item *it);

/* Walk body[0..len) (offsets from the header, which is 24 bytes, so that
 * 8-byte alignment is the same); call fn for each item.  Returns 0, or -1
 * if an item runs past the end or fn refuses it. */
static int walk(uint8_t *body, size_t len, item_fn fn, void *ctx)
{
	size_t off = 0;

	for (;;) {
		off = (off + 7) & ~(size_t)7;
		if (off >= len)
			return 0;
		if (len - off < 8)
			return -1;
		uint32_t w;
		memcpy(&w, body + off, 4);
		struct item it = { w & 0xff, (w >> 8) & 0xff, (w >> 28) & 1,
				   (w >> 16) & 0xfff, NULL, 0 };
		size_t d = 8;
		if (w >> 29 & 1) {
			uint16_t s[2];
			if (len - off < 16)
				return -1;
			memcpy(s, body + off + 8, 4);
			memcpy(&it.number, body + off + 12, 4);
			it.name = s[0];
			it.size = s[1];
			d = 16;
		}
		uint64_t bytes = ((uint64_t)it.number * it.size + 7) / 8;
		uint64_t dlen = it.inl ? bytes : 8;
		if (dlen > len - off - d)
			return -1;
		it.data = body + off + d;
		it.bytes = bytes;
		if (fn(ctx, &it) != 0)
			return -1;
		off += d + (size_t)dlen;
	}
}

static int is_port_type(unsigned name)
{
	return name >= MSG_TYPE_PORT_OWNERSHIP && name <= MSG_TYPE_PORT;
}

/* ---- tables (netd.lock held) ---- */

static struct netd_proxy *proxy_by_port(port_t p)
{
	for (int i = 0; i < NETD_PORTS_MAX; i++)
		if (netd.proxies[i].port == p && p != PORT_NULL)
			return &netd.proxies[i];
	return NULL;
}

static struct netd_export *export_by_id(struct netd_link *l, uint32_t id)
{
	for (int i = 0; i < NETD_PORTS_MAX; i++)
		if (netd.exports[i].id == id && id != 0 &&
		    netd.exports[i].link == l)
			return &netd.exports[i];
	return NULL;
}

/* Is name still needed by a proxy, an export or our own ports? */
static int needed(port_t name)
{
	if (name == netd.service || name == netd.set || name == task_notify() ||
	    proxy_by_port(name) != NULL)
		return 1;
	for (int i = 0; i < NETD_PORTS_MAX; i++)
		if (netd.exports[i].id != 0 && netd.exports[i].port == name)
			return 1;
	return 0;
}

static void release(port_t name)
{
	if (name != PORT_NULL && !needed(name))
		port_deallocate(task_self(), name);
}

/*
 * The id under which link l knows our send right port, made if new.
 * Returns 0 if the table is full (the caller then fails the message).
 * netd.lock held.
 */
uint32_t netd_export(struct netd_link *l, port_t port)
{
	struct netd_export *free_slot = NULL;

	for (int i = 0; i < NETD_PORTS_MAX; i++) {
		struct netd_export *e = &netd.exports[i];
		if (e->id != 0 && e->link == l && e->port == port)
			return e->id;
		if (e->id == 0 && free_slot == NULL)
			free_slot = e;
	}
	if (free_slot == NULL)
		return 0;
	if (++netd.next_id == 0)
		netd.next_id = 1;
	free_slot->id = netd.next_id;
	free_slot->link = l;
	free_slot->port = port;
	return free_slot->id;
}

/*
 * Our proxy for the peer's export id on link l, made if new (a fresh port
 * in the proxy set).  Returns PORT_NULL for id 0, or if no port can be
 * made.  netd.lock held.
 */
port_t netd_proxy_get(struct netd_link *l, uint32_t id)
{
	struct netd_proxy *free_slot = NULL;
	port_t p;

	if (id == 0)
		return PORT_NULL;
	for (int i = 0; i < NETD_PORTS_MAX; i++) {
		struct netd_proxy *x = &netd.proxies[i];
		if (x->port != PORT_NULL && x->link == l && x->remote_id == id)
			return x->port;
		if (x->port == PORT_NULL && free_slot == NULL)
			free_slot = x;
	}
	if (free_slot == NULL || port_allocate(task_self(), &p) != KERN_SUCCESS)
		return PORT_NULL;
	if (port_set_add(task_self(), netd.set, p) != KERN_SUCCESS) {
		port_deallocate(task_self(), p);
		return PORT_NULL;
	}
	free_slot->port = p;
	free_slot->link = l;
	free_slot->remote_id = id;
	return p;
}

static void drop_export(struct netd_export *e, int tell)
{
	port_t p = e->port;
	struct netd_link *l = e->link;
	uint8_t b[4];

	netd_put32(b, e->id);
	memset(e, 0, sizeof *e);
	if (tell && l->up)
		netd_frame_send(l, NETD_DEAD, b, 4, NULL, 0);
	release(p);
}

/* Destroy proxy x: its senders get NOTIFY_PORT_DELETED, later sends
 * SEND_INVALID_PORT; peers we exported it to hear NETD_DEAD. */
static void drop_proxy(struct netd_proxy *x)
{
	port_t p = x->port;

	memset(x, 0, sizeof *x);
	for (int i = 0; i < NETD_PORTS_MAX; i++)
		if (netd.exports[i].id != 0 && netd.exports[i].port == p)
			drop_export(&netd.exports[i], 1);
	port_deallocate(task_self(), p);
}

/* Answer a call that will get no reply as a MIG server would: a death
 * pill with code.  Never blocks. */
static void pill(port_t reply, int msg_id, kern_return_t code)
{
	death_pill_t d;

	memset(&d, 0, sizeof d);
	d.Head.msg_simple = TRUE;
	d.Head.msg_size = sizeof d;
	d.Head.msg_type = MSG_TYPE_NORMAL;
	d.Head.msg_remote_port = reply;
	d.Head.msg_id = msg_id + 100;
	d.RetCodeType = umach_msg_type(MSG_TYPE_INTEGER_32, 32);
	d.RetCode = code;
	msg_send(&d.Head, SEND_TIMEOUT, 0);
}

static void pending_add(struct netd_link *l, port_t reply, int msg_id)
{
	static unsigned next;
	for (int i = 0; i < NETD_PENDING_MAX; i++) {
		struct netd_pending *q = &netd.pending[i];
		if (q->link == l && q->reply == reply) {
			q->msg_id = msg_id;
			return;
		}
	}
	for (int i = 0; i < NETD_PENDING_MAX; i++)
		if (netd.pending[i].link == NULL) {
			netd.pending[i] = (struct netd_pending){ l, reply, msg_id };
			return;
		}
	/* Full: the oldest guess loses its death pill, nothing else. */
	netd.pending[next++ % NETD_PENDING_MAX] =
		(struct netd_pending){ l, reply, msg_id };
}

static void pending_clear(struct netd_link *l, port_t reply)
{
	for (int i = 0; i < NETD_PENDING_MAX; i++)
		if (netd.pending[i].link == l && netd.pending[i].reply == reply)
			memset(&netd.pending[i], 0, sizeof netd.pending[i]);
}

/* ---- forwarding: a message received on a proxy ---- */

struct fwd {
	struct netd_link *l;
	int nool;
	void *ool[OOL_MAX];
	uint32_t ool_bytes[OOL_MAX];
	uint64_t total;
};

static int fwd_item(void *ctx, struct item *it)
{
	struct fwd *f = ctx;

	if (is_port_type(it->name)) {
		/* Only send rights cross (docs/netd.md "Limits"). */
		if (it->name != MSG_TYPE_PORT || !it->inl || it->size != 32)
			return -1;
		for (uint32_t i = 0; i < it->number; i++) {
			port_t n;
			memcpy(&n, it->data + 4 * i, 4);
			uint32_t id = n == PORT_NULL ? 0 : netd_export(f->l, n);
			if (n != PORT_NULL && id == 0)
				return -1;
			memcpy(it->data + 4 * i, &id, 4);
		}
		return 0;
	}
	if (it->inl)
		return 0;
	/* f->total, the frame so far, never passes NETD_FRAME_MAX. */
	if (f->nool == OOL_MAX || it->bytes + 4 > NETD_FRAME_MAX - f->total)
		return -1;
	memcpy(&f->ool[f->nool], it->data, sizeof(void *));
	memset(it->data, 0, 8);
	if (f->ool[f->nool] == NULL && it->bytes != 0)
		return -1;
	f->ool_bytes[f->nool++] = (uint32_t)it->bytes;
	f->total += it->bytes + 4;
	return 0;
}

/* Send the MSG frame; 0, or -1 if it could not go. */
static int send_msg_frame(struct netd_link *l, uint8_t *fixed,
			  uint8_t *body, size_t blen, struct fwd *f)
{
	size_t n = blen;
	for (int i = 0; i < f->nool; i++)
		n += 4 + f->ool_bytes[i];
	uint8_t *buf = malloc(n ? n : 1);
	if (buf == NULL)
		return -1;
	memcpy(buf, body, blen);
	size_t off = blen;
	for (int i = 0; i < f->nool; i++) {
		netd_put32(buf + off, f->ool_bytes[i]);
		memcpy(buf + off + 4, f->ool[i], f->ool_bytes[i]);
		off += 4 + f->ool_bytes[i];
	}
	int rc = netd_frame_send(l, NETD_MSG, fixed, MSG_FIXED, buf, n);
	free(buf);
	return rc;
}

/*
 * Forward m, just received on one of our proxies, to the proxy's peer.
 * The rights it brought become exports; its out-of-line regions are read
 * and given back.  A message that cannot go (a receive right in it, a
 * full table, a lost link) is dropped, and its sender, if it waits for a
 * reply, gets SEND_INVALID_PORT as a MIG death pill.
 */
void netd_forward(msg_header_t *m)
{
	struct fwd f = { .total = MSG_FIXED + m->msg_size };
	uint8_t fixed[MSG_FIXED];
	size_t blen = m->msg_size - HDR_BYTES;
	uint8_t *body = (uint8_t *)m + HDR_BYTES;
	port_t reply = m->msg_remote_port;

	pthread_mutex_lock(&netd.lock);
	struct netd_proxy *x = proxy_by_port(m->msg_local_port);
	int ok = x != NULL && x->link->up;
	if (ok) {
		f.l = x->link;
		uint32_t rid = reply == PORT_NULL ? 0 : netd_export(f.l, reply);
		ok = (reply == PORT_NULL || rid != 0) &&
		     (m->msg_simple || walk(body, blen, fwd_item, &f) == 0);
		netd_put32(fixed, x->remote_id);
		netd_put32(fixed + 4, rid);
		netd_put32(fixed + 8, (uint32_t)m->msg_id);
		netd_put32(fixed + 12, (uint32_t)m->msg_type);
		netd_put32(fixed + 16, m->msg_simple ? 1 : 0);
		netd_put32(fixed + 20, (uint32_t)blen);
		if (ok && reply != PORT_NULL)
			pending_add(f.l, reply, m->msg_id);
	}
	pthread_mutex_unlock(&netd.lock);
	if (ok && send_msg_frame(f.l, fixed, body, blen, &f) != 0) {
		pthread_mutex_lock(&netd.lock);
		pending_clear(f.l, reply);	/* no second pill at link loss */
		pthread_mutex_unlock(&netd.lock);
		ok = 0;
	}
	if (!ok && reply != PORT_NULL)
		pill(reply, m->msg_id, SEND_INVALID_PORT);
	for (int i = 0; i < f.nool; i++)
		if (f.ool[i] != NULL)
			vm_deallocate(task_self(), (vm_address_t)f.ool[i],
				      f.ool_bytes[i]);
	if (!ok) {
		pthread_mutex_lock(&netd.lock);
		release(reply);
		pthread_mutex_unlock(&netd.lock);
	}
}

/* ---- delivery: a NETD_MSG frame from a peer ---- */

struct dlv {
	struct netd_link *l;
	const uint8_t *ool;		/* the regions after the body */
	uint32_t ool_left;
	int nool;
	void *mem[OOL_MAX];
};

static int dlv_item(void *ctx, struct item *it)
{
	struct dlv *d = ctx;

	if (is_port_type(it->name)) {
		if (it->name != MSG_TYPE_PORT || !it->inl || it->size != 32)
			return -1;
		for (uint32_t i = 0; i < it->number; i++) {
			uint32_t id;
			memcpy(&id, it->data + 4 * i, 4);
			port_t p = netd_proxy_get(d->l, id);
			if (id != 0 && p == PORT_NULL)
				return -1;
			memcpy(it->data + 4 * i, &p, 4);
		}
		return 0;
	}
	if (it->inl)
		return 0;
	if (d->nool == OOL_MAX || d->ool_left < 4)
		return -1;
	uint32_t n = netd_get32(d->ool);
	if (n != it->bytes || n > d->ool_left - 4)
		return -1;
	void *mem = NULL;
	if (n > 0 && (mem = malloc(n)) == NULL)
		return -1;
	memcpy(mem, d->ool + 4, n);
	d->mem[d->nool++] = mem;
	memcpy(it->data, &mem, sizeof mem);
	d->ool += 4 + n;
	d->ool_left -= 4 + n;
	return 0;
}

/* The peer's frame could not be delivered: tell it so that its caller,
 * if any, gets a death pill. */
static void refuse(struct netd_link *l, uint32_t reply_id, int msg_id)
{
	uint8_t b[8];

	if (reply_id == 0)
		return;
	netd_put32(b, reply_id);
	netd_put32(b + 4, (uint32_t)msg_id);
	netd_frame_send(l, NETD_FAIL, b, sizeof b, NULL, 0);
}

/* Build the message of frame p into m; 0, or -1 if the frame is bad. */
static int build(struct netd_link *l, const uint8_t *p, uint32_t len,
		 msg_header_t *m, struct dlv *d, port_t *dest)
{
	uint32_t blen = netd_get32(p + 20);

	if (blen > MSG_SIZE_MAX - HDR_BYTES || blen > len - MSG_FIXED ||
	    netd_get32(p + 16) > 1)
		return -1;
	memset(m, 0, HDR_BYTES);
	m->msg_simple = netd_get32(p + 16) ? TRUE : FALSE;
	m->msg_size = HDR_BYTES + blen;
	m->msg_type = (int)netd_get32(p + 12) == MSG_TYPE_EMERGENCY ?
		      MSG_TYPE_EMERGENCY : MSG_TYPE_NORMAL;
	m->msg_id = (int)netd_get32(p + 8);
	memcpy((uint8_t *)m + HDR_BYTES, p + MSG_FIXED, blen);
	d->l = l;
	d->ool = p + MSG_FIXED + blen;
	d->ool_left = len - MSG_FIXED - blen;
	struct netd_export *e = export_by_id(l, netd_get32(p));
	*dest = e != NULL ? e->port : PORT_NULL;
	m->msg_remote_port = *dest;
	uint32_t rid = netd_get32(p + 4);
	m->msg_local_port = netd_proxy_get(l, rid);
	if (rid != 0 && m->msg_local_port == PORT_NULL)
		return -1;
	if (!m->msg_simple &&
	    walk((uint8_t *)m + HDR_BYTES, blen, dlv_item, d) != 0)
		return -1;
	return d->ool_left == 0 ? 0 : -1;
}

/*
 * Deliver the NETD_MSG frame p (len bytes) from link l to the export it
 * names.  A malformed frame ends the link (shutdown; the reader then
 * tears it down).  A message for a dead export, or that the port will
 * not take within NETD_TIMEOUT_MS, is refused back to the peer.
 */
void netd_deliver(struct netd_link *l, const uint8_t *p, uint32_t len)
{
	union msg_buf { msg_header_t h; char raw[MSG_SIZE_MAX]; } *buf;
	struct dlv d = { 0 };
	port_t dest = PORT_NULL;

	if (len < MSG_FIXED || (buf = malloc(sizeof *buf)) == NULL) {
		shutdown(l->fd, SHUT_RDWR);
		return;
	}
	uint32_t dest_id = netd_get32(p), reply_id = netd_get32(p + 4);
	int msg_id = (int)netd_get32(p + 8);
	pthread_mutex_lock(&netd.lock);
	int bad = build(l, p, len, &buf->h, &d, &dest);
	if (!bad && dest != PORT_NULL)
		pending_clear(l, dest);	/* a reply has come */
	pthread_mutex_unlock(&netd.lock);
	if (bad) {
		shutdown(l->fd, SHUT_RDWR);
	} else if (dest == PORT_NULL) {
		uint8_t b[4];
		netd_put32(b, dest_id);
		netd_frame_send(l, NETD_DEAD, b, 4, NULL, 0);
		refuse(l, reply_id, msg_id);
	} else if (msg_send(&buf->h, SEND_TIMEOUT, NETD_TIMEOUT_MS) !=
		   SEND_SUCCESS) {
		refuse(l, reply_id, msg_id);
	}
	for (int i = 0; i < d.nool; i++)
		free(d.mem[i]);
	free(buf);
}

/* The peer says its export id is gone: destroy our proxy for it. */
void netd_dead(struct netd_link *l, uint32_t id)
{
	pthread_mutex_lock(&netd.lock);
	for (int i = 0; i < NETD_PORTS_MAX; i++)
		if (netd.proxies[i].port != PORT_NULL &&
		    netd.proxies[i].link == l && netd.proxies[i].remote_id == id)
			drop_proxy(&netd.proxies[i]);
	pthread_mutex_unlock(&netd.lock);
}

/* The peer could not deliver a message whose reply port we exported as
 * reply_id: give the caller its death pill. */
void netd_fail(struct netd_link *l, uint32_t reply_id, int msg_id)
{
	pthread_mutex_lock(&netd.lock);
	struct netd_export *e = export_by_id(l, reply_id);
	if (e != NULL) {
		pending_clear(l, e->port);
		pill(e->port, msg_id, SEND_INVALID_PORT);
	}
	pthread_mutex_unlock(&netd.lock);
}

/* NOTIFY_PORT_DELETED for name: exports of it die, and pending calls. */
void netd_port_deleted(port_t name)
{
	pthread_mutex_lock(&netd.lock);
	for (int i = 0; i < NETD_PENDING_MAX; i++)
		if (netd.pending[i].link != NULL && netd.pending[i].reply == name)
			memset(&netd.pending[i], 0, sizeof netd.pending[i]);
	for (int i = 0; i < NETD_PORTS_MAX; i++)
		if (netd.exports[i].id != 0 && netd.exports[i].port == name)
			drop_export(&netd.exports[i], 1);
	pthread_mutex_unlock(&netd.lock);
}

/*
 * Link l is gone (its reader saw EOF, an error or a bad frame).  Every
 * caller waiting on it gets SEND_INVALID_PORT, every proxy of it is
 * destroyed (NOTIFY_PORT_DELETED to its holders) and every export to it
 * is released.  netd.lock not held; l->up already 0.
 */
void netd_link_lost(struct netd_link *l)
{
	pthread_mutex_lock(&netd.lock);
	for (int i = 0; i < NETD_PENDING_MAX; i++) {
		struct netd_pending *q = &netd.pending[i];
		if (q->link == l) {
			pill(q->reply, q->msg_id, SEND_INVALID_PORT);
			memset(q, 0, sizeof *q);
		}
	}
	for (int i = 0; i < NETD_PORTS_MAX; i++)
		if (netd.proxies[i].port != PORT_NULL && netd.proxies[i].link == l)
			drop_proxy(&netd.proxies[i]);
	for (int i = 0; i < NETD_PORTS_MAX; i++)
		if (netd.exports[i].id != 0 && netd.exports[i].link == l)
			drop_export(&netd.exports[i], 0);
	for (int i = 0; i < NETD_LOOKUPS_MAX; i++)
		if (netd.lookups[i].seq != 0 && netd.lookups[i].link == l) {
			netd.lookups[i].done = 1;
			netd.lookups[i].status = NETNAME_NO_SUCH_HOST;
		}
	pthread_cond_broadcast(&netd.cond);
	pthread_mutex_unlock(&netd.lock);
}

/* Does netd still need its right called name?  Takes netd.lock. */
int netd_needed(port_t name)
{
	pthread_mutex_lock(&netd.lock);
	int r = needed(name);
	pthread_mutex_unlock(&netd.lock);
	return r;
}
