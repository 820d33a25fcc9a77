/*
 * Messages in the kernel: copy-in (copy once, then validate, then translate
 * names into ports), copy-out (ports into the receiver's names, header
 * swap) and destruction (reference 1.3, 1.4, 1.9, 1.10).  The body walker
 * follows LP64 rule B (docs/protocol.md §6): a descriptor starts on an
 * 8-byte boundary, is sizeof(msg_type_t) (8) or sizeof(msg_type_long_t)
 * (16) bytes long, and its data follows it directly.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kernel.h"
#include "fail.h"

#define DESC_ALIGN ((uint32_t)_Alignof(msg_type_t))
#define HDR_SIZE   ((uint32_t)sizeof(msg_header_t))

/* One decoded descriptor. */
struct item {
	uint32_t name, size_bits, number, inl, dealloc;
	uint32_t data_off;		/* in body */
	uint64_t data_len;		/* inline bytes, or pointer size */
};

static uint32_t align_up(uint32_t v, uint32_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/*
 * Decode the item at *pos of body[0..len).  Returns 1 with *it filled and
 * *pos advanced, 0 at the end of the body, or SEND_MSG_TOO_SMALL if the
 * item runs past the end.
 */
static int next_item(const uint8_t *body, uint32_t len, uint32_t *pos,
		     struct item *it)
{
	uint32_t at = align_up(*pos, DESC_ALIGN);

	if (at >= len)
		return 0;
	if (len - at < sizeof(msg_type_t))
		return SEND_MSG_TOO_SMALL;
	uint32_t w = rd32(body + at);
	uint32_t dlen = sizeof(msg_type_t);
	it->name = w & 0xff;
	it->size_bits = (w >> 8) & 0xff;
	it->number = (w >> 16) & 0xfff;
	it->inl = (w >> 28) & 1;
	it->dealloc = (w >> 30) & 1;
	if ((w >> 29) & 1) {		/* longform */
		dlen = sizeof(msg_type_long_t);
		if (len - at < dlen)
			return SEND_MSG_TOO_SMALL;
		const uint8_t *l = body + at + sizeof(msg_type_t);
		it->name = (uint32_t)l[0] | (uint32_t)l[1] << 8;
		it->size_bits = (uint32_t)l[2] | (uint32_t)l[3] << 8;
		it->number = rd32(l + 4);
	}
	it->data_off = at + dlen;
	it->data_len = it->inl ?
		((uint64_t)it->number * it->size_bits + 7) / 8 : sizeof(void *);
	if (it->data_len > len - it->data_off)
		return SEND_MSG_TOO_SMALL;
	*pos = it->data_off + (uint32_t)it->data_len;
	return 1;
}

struct kmsg *kmsg_alloc(struct kernel *k, uint32_t size)
{
	struct kmsg *m = umach__malloc(sizeof *m + (size - HDR_SIZE));

	if (m == NULL)
		return NULL;
	memset(m, 0, sizeof *m);
	m->hdr.msg_size = size;
	k->nkmsgs++;
	return m;
}

/*
 * Release everything m holds: its port references and the kmsg itself.
 * Send rights carried by m vanish with it; receive and ownership rights
 * are lost, which reverts them to their partner's holder or destroys
 * their port (port_transit_lost).
 */
void kmsg_destroy(struct kernel *k, struct kmsg *m)
{
	for (uint32_t i = 0; i < m->nool; i++)
		close(m->ool[i].fd);
	k->ool_in_flight -= m->bytes_moved;
	for (uint32_t i = 0; i < m->nitems; i++) {
		struct kitem *it = &m->items[i];
		if (it->port != NULL && it->rights != 0)
			port_transit_lost(k, it->port, it->rights, m);
		if (it->port != NULL)
			port_put(k, it->port);
	}
	free(m->items);
	if (m->dest != NULL)
		port_put(k, m->dest);
	if (m->reply != NULL)
		port_put(k, m->reply);
	free(m);
	k->nkmsgs--;
}

/* What a copy-in needs while it checks a body (pass 1). */
struct check {
	struct kernel *k;
	struct space  *s;
	struct port   *dest;
	uint32_t       nitems;
	uint32_t       nool;		/* out-of-line items */
	uint64_t       ool_bytes;
	struct {
		uint32_t off;		/* of the pointer in body */
		uint64_t bytes;
	} ool[UMACH_OOL_MAX];
	uint32_t       nclaims;
	struct claim {			/* rights earlier items took */
		struct entry *e;
		uint32_t      type;		/* RIGHT_* bits */
	} *claim;			/* made at the first claim; owned */
};

/*
 * The receive and ownership rights an item of type type_name moves
 * (reference 1.10, 1.14), or UINT32_MAX if the profile has no such type.
 */
static uint32_t moved_rights(const struct kernel *k, uint32_t type_name)
{
	int next = k->profile == UMACH_PROFILE_NEXT;

	switch (type_name) {
	case MSG_TYPE_PORT_RECEIVE:
		return next ? RIGHT_RECEIVE | RIGHT_OWN : RIGHT_RECEIVE;
	case MSG_TYPE_PORT_OWNERSHIP:
		return next ? UINT32_MAX : RIGHT_OWN;
	case MSG_TYPE_PORT_ALL:
		return RIGHT_RECEIVE | RIGHT_OWN;
	default:
		return 0;
	}
}

/* The rights earlier items took from e (a new zero slot), or NULL if
 * memory ran out. */
static uint32_t *claimed(struct check *c, struct entry *e)
{
	if (c->claim == NULL) {
		c->claim = umach__malloc(KERN_ITEMS_PER_MSG * sizeof *c->claim);
		if (c->claim == NULL)
			return NULL;
	}
	for (uint32_t i = 0; i < c->nclaims; i++)
		if (c->claim[i].e == e)
			return &c->claim[i].type;
	c->claim[c->nclaims].e = e;
	c->claim[c->nclaims].type = 0;
	return &c->claim[c->nclaims++].type;
}

/*
 * Check one element of a port item: the sender must hold what the item
 * moves, counting what earlier items of the message took (reference 1.10),
 * and a deallocate bit is refused if the sender would keep a receive or
 * ownership right.  A receive right may not travel to a queue only it
 * could read (port_carried_to).  No side effects but the claim table.
 */
static int check_port_name(struct check *c, int32_t name, uint32_t moved,
			   uint32_t dealloc)
{
	struct entry *e = space_lookup(c->s, name);

	if (name == PORT_NULL)
		return SEND_SUCCESS;
	if (e == NULL)
		return SEND_INVALID_PORT;
	if (moved == 0 && !dealloc)
		return SEND_SUCCESS;	/* a send right: any right will do */
	uint32_t *taken = claimed(c, e);
	if (taken == NULL)
		return SEND_KERNEL_REFUSED;
	uint32_t held = e->type & ~*taken;
	if (held == 0 || (held & moved) != moved)
		return SEND_INVALID_PORT;
	if (dealloc && (held & ~moved & (RIGHT_RECEIVE | RIGHT_OWN)))
		return SEND_INVALID_PORT;
	if ((moved & RIGHT_RECEIVE) && port_carried_to(c->dest, e->port))
		return SEND_INVALID_PORT;
	*taken |= moved | (dealloc ? RIGHT_SEND : 0);
	return SEND_SUCCESS;
}

/* Check one port item's names against the sender's space; count them. */
static int check_port_item(struct check *c, const uint8_t *body,
			   const struct item *it)
{
	uint32_t moved = moved_rights(c->k, it->name);

	if (it->size_bits != 32 || moved == UINT32_MAX)
		return SEND_INVALID_PORT;
	if (c->nitems + it->number > KERN_ITEMS_PER_MSG)
		return SEND_MSG_TOO_LARGE;
	for (uint32_t j = 0; j < it->number; j++) {
		int32_t name = (int32_t)rd32(body + it->data_off + 4 * j);
		int r = check_port_name(c, name, moved, it->dealloc);
		if (r != SEND_SUCCESS)
			return r;
	}
	c->nitems += it->number;
	return SEND_SUCCESS;
}

/*
 * An out-of-line item: its data travels as a memfd the task passed
 * (ool.c).  Out-of-line port arrays are not supported.
 */
static int check_ool_item(struct check *c, const struct item *it)
{
	uint64_t bytes = ((uint64_t)it->number * it->size_bits + 7) / 8;

	if (MSG_TYPE_PORT_ANY(it->name))
		return SEND_INVALID_MEMORY;
	if (c->nool == UMACH_OOL_MAX || bytes > KERN_OOL_REGION_MAX)
		return SEND_MSG_TOO_LARGE;
	c->ool[c->nool].off = it->data_off;
	c->ool[c->nool++].bytes = bytes;
	c->ool_bytes += bytes;
	return SEND_SUCCESS;
}

/* Pass 1 of copy-in: validate every item, with no side effects. */
static int check_items(struct check *c, const uint8_t *body, uint32_t len)
{
	struct item it;
	uint32_t pos = 0;
	int r;

	c->nitems = 0;
	c->nclaims = 0;
	c->claim = NULL;
	c->nool = 0;
	c->ool_bytes = 0;
	while ((r = next_item(body, len, &pos, &it)) == 1) {
		if (!it.inl) {
			r = check_ool_item(c, &it);
			if (r != SEND_SUCCESS)
				return r;
		} else if (MSG_TYPE_PORT_ANY(it.name)) {
			r = check_port_item(c, body, &it);
			if (r != SEND_SUCCESS)
				return r;
		}
	}
	return r;
}

/*
 * Pass 2 of copy-in: take a reference on every named port, then move the
 * rights the items move into m and drop deallocated send rights.  The
 * references come first, so that an entry a deallocate removes is not
 * needed later.  Cannot fail.
 */
static void take_items(struct kernel *k, struct kmsg *m, struct space *s,
		       uint32_t len)
{
	struct item it;
	uint32_t pos = 0, n = 0;

	while (next_item(m->body, len, &pos, &it) == 1) {
		if (!MSG_TYPE_PORT_ANY(it.name))
			continue;
		for (uint32_t j = 0; j < it.number; j++, n++) {
			uint32_t off = it.data_off + 4 * j;
			struct entry *e = space_lookup(s,
					(int32_t)rd32(m->body + off));
			m->items[n].offset = off;
			m->items[n].name_type = it.name;
			m->items[n].port = e ? e->port : NULL;
			if (e != NULL)
				port_get(e->port);
		}
	}
	pos = n = 0;
	while (next_item(m->body, len, &pos, &it) == 1) {
		if (!MSG_TYPE_PORT_ANY(it.name))
			continue;
		uint32_t moved = moved_rights(k, it.name);
		for (uint32_t j = 0; j < it.number; j++, n++) {
			struct port *p = m->items[n].port;
			if (p == NULL || (moved == 0 && !it.dealloc))
				continue;
			struct entry *e = space_lookup_port(s, p);
			m->items[n].rights = moved;
			if (moved != 0)
				port_move_out(k, e, moved, m);
			if (it.dealloc)
				port_drop_rights(k, e);
		}
	}
}

/*
 * The note a's task sent for this call must describe exactly the
 * message's non-empty out-of-line items, in order, each with a sealed
 * memfd large enough (protocol.md §13).  Returns SEND_SUCCESS,
 * SEND_INVALID_MEMORY, or SEND_KERNEL_REFUSED past the bytes-in-flight
 * limit.  Changes nothing but what the socket held.
 */
static int check_note(struct kernel *k, struct act *a, const struct check *c)
{
	const struct umach_ool_note *n = &a->in_note;
	uint32_t j = 0;

	if (c->ool_bytes == 0)
		return SEND_SUCCESS;
	if (k->ool_in_flight + c->ool_bytes > KERN_OOL_BYTES_MAX)
		return SEND_KERNEL_REFUSED;
	if (ool_read_notes(k, a->task) != 0 || !a->in_valid ||
	    n->seq != a->seq)
		return SEND_INVALID_MEMORY;
	for (uint32_t i = 0; i < c->nool; i++) {
		if (c->ool[i].bytes == 0)
			continue;
		if (j == n->count ||
		    n->region[j].offset != HDR_SIZE + c->ool[i].off ||
		    n->region[j].size_bytes != c->ool[i].bytes ||
		    ool_check_fd(a->in_fds[j], c->ool[i].bytes) != 0)
			return SEND_INVALID_MEMORY;
		j++;
	}
	return j == n->count ? SEND_SUCCESS : SEND_INVALID_MEMORY;
}

/* Pass 2 for out-of-line items: the memfds move from a's note into m. */
static void take_ool(struct kernel *k, struct kmsg *m, struct act *a,
		     const struct check *c)
{
	uint32_t j = 0;

	for (uint32_t i = 0; i < c->nool; i++) {
		memset(m->body + c->ool[i].off, 0, sizeof(void *));
		if (c->ool[i].bytes == 0)
			continue;
		m->ool[m->nool].offset = c->ool[i].off;
		m->ool[m->nool].fd = a->in_fds[j];
		m->ool[m->nool].flags = 0;	/* a task never sends a section */
		m->ool[m->nool++].size_bytes = c->ool[i].bytes;
		a->in_fds[j++] = -1;
	}
	m->bytes_moved = c->ool_bytes;
	k->ool_in_flight += c->ool_bytes;
	KSTAT(k, a->task, bytes_moved, c->ool_bytes);
}

/* Pass 2 of copy-in, after everything checked: cannot fail. */
static void take_all(struct kernel *k, struct kmsg *m, struct act *a,
		     const struct check *c, struct entry *reply)
{
	struct ktask *t = a->task;

	/* references first: a deallocate item may remove the entries */
	m->dest = c->dest;
	port_get(m->dest);
	if (reply != NULL) {
		m->reply = reply->port;
		port_get(m->reply);
	}
	m->nitems = c->nitems;
	m->simple = m->hdr.msg_simple ? 1 : c->nitems == 0 && c->nool == 0;
	m->sender_id = t->id;
	if (c->nool > 0)
		take_ool(k, m, a, c);
	if (c->nitems > 0)
		take_items(k, m, &t->space, m->hdr.msg_size - HDR_SIZE);
}

static int check_body(struct check *c, const uint8_t *body, uint32_t len)
{
	int r = check_items(c, body, len);

	free(c->claim);
	c->claim = NULL;
	return r;
}

static int lookup_header(struct space *s, const msg_header_t *h,
			 uint32_t flags, struct entry **dest,
			 struct entry **reply)
{
	*dest = space_lookup(s, h->msg_remote_port);
	if (*dest == NULL || (*dest)->port->dead)
		return SEND_INVALID_PORT;
	*reply = NULL;
	if (h->msg_local_port == PORT_NULL ||
	    ((flags & KMSG_RPC) && h->msg_local_port == -1))
		return SEND_SUCCESS;
	*reply = space_lookup(s, h->msg_local_port);
	if (*reply == NULL)
		return SEND_INVALID_PORT;
	return SEND_SUCCESS;
}

/*
 * Copy a message of `size` bytes (at most UMACH_MSG_BUF) from the shared
 * buf of a's task, validate it and translate its rights; out-of-line
 * items take the memfds of a's note (protocol.md §13).  With KMSG_RPC in
 * flags, a reply port of PORT_DEFAULT (-1) means none (msg_rpc).  Returns SEND_SUCCESS
 * with *out a new kmsg that owns references to every port it names, or
 * SEND_MSG_TOO_SMALL, SEND_MSG_TOO_LARGE, SEND_INVALID_MEMORY (a bad
 * out-of-line note), SEND_INVALID_PORT or SEND_KERNEL_REFUSED (no memory,
 * or the out-of-line bytes in flight at their limit) with nothing
 * changed: a transfer is all or nothing.  On success the receive and
 * ownership rights the items move (reference 1.10) belong to the kmsg,
 * and deallocated send rights are gone from the sender's space.
 */
int kmsg_copyin(struct kernel *k, struct act *a, const uint8_t *buf,
		uint32_t size, uint32_t flags, struct kmsg **out)
{
	struct ktask *t = a->task;
	msg_header_t h;
	struct entry *dest, *reply;
	struct check c;
	int r;

	if (size < HDR_SIZE)
		return SEND_MSG_TOO_SMALL;
	memcpy(&h, buf, HDR_SIZE);		/* the one read of the header */
	if (h.msg_size < HDR_SIZE)
		return SEND_MSG_TOO_SMALL;
	if (h.msg_size > MSG_SIZE_MAX)
		return SEND_MSG_TOO_LARGE;
	if (h.msg_size > size)
		return SEND_INVALID_MEMORY;
	struct kmsg *m = kmsg_alloc(k, h.msg_size);
	if (m == NULL)
		return SEND_KERNEL_REFUSED;
	m->hdr = h;
	uint32_t len = h.msg_size - HDR_SIZE;
	memcpy(m->body, buf + HDR_SIZE, len);	/* the one read of the body */
	KSTAT(k, t, bytes_copied, h.msg_size);
	m->bytes_copied = h.msg_size;
	c.nitems = c.nool = 0;
	r = lookup_header(&t->space, &h, flags, &dest, &reply);
	if (r == SEND_SUCCESS)
		c.dest = dest->port;
	if (r == SEND_SUCCESS && !h.msg_simple) {
		c.k = k;
		c.s = &t->space;
		r = check_body(&c, m->body, len);
		if (r == SEND_SUCCESS)
			r = check_note(k, a, &c);
	}
	if (r == SEND_SUCCESS && c.nitems > 0) {
		m->items = umach__calloc(c.nitems, sizeof *m->items);
		if (m->items == NULL)
			r = SEND_KERNEL_REFUSED;
	}
	if (r != SEND_SUCCESS) {
		kmsg_destroy(k, m);
		return r;
	}
	take_all(k, m, a, &c, reply);
	*out = m;
	return SEND_SUCCESS;
}

static int32_t give_send(struct space *s, struct port *p,
			 struct kcopyout *c)
{
	if (p == NULL || p->dead)
		return PORT_NULL;
	struct entry *e = space_insert(s, p, PORT_TYPE_SEND, c->pre[--c->npre]);
	return e->name;
}

/*
 * Get ready to copy m out into space s: reserve names and entries for
 * every right m carries.  Returns RCV_SUCCESS, RCV_TOO_LARGE if m is larger
 * than cap, or RCV_NOT_ENOUGH_MEMORY if s cannot take the new names; on
 * failure nothing changed.  After success the caller must call
 * kmsg_copyout_finish().
 */
int kmsg_copyout_prepare(struct kmsg *m, struct space *s, uint32_t cap,
			 struct kcopyout *c)
{
	uint32_t need = m->nitems + (m->reply != NULL);

	c->npre = 0;
	if (m->hdr.msg_size > cap)
		return RCV_TOO_LARGE;
	if (space_reserve(s, need) != KERN_SUCCESS)
		return RCV_NOT_ENOUGH_MEMORY;
	for (; c->npre < need; c->npre++) {
		c->pre[c->npre] = umach__malloc(sizeof(struct entry));
		if (c->pre[c->npre] == NULL)
			break;
	}
	if (c->npre < need) {
		while (c->npre > 0)
			free(c->pre[--c->npre]);
		return RCV_NOT_ENOUGH_MEMORY;
	}
	return RCV_SUCCESS;
}

/* Give back what kmsg_copyout_prepare reserved, when the copy-out is off. */
void kmsg_copyout_cancel(struct kcopyout *c)
{
	while (c->npre > 0)
		free(c->pre[--c->npre]);
}

/*
 * A sealed memfd holding size_bytes of data: what an out-of-line region
 * travels as (reliability rule 8: it arrives immutable).  Returns the fd,
 * or -1.
 */
int kmsg_ool_memfd(const void *data, uint64_t size_bytes)
{
	int fd = memfd_create("umach-ool", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (write(fd, data, size_bytes) != (ssize_t)size_bytes ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW |
		  F_SEAL_SEAL) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Send the note for m's out-of-line regions, with their memfds, on the
 * socket of a's task, ahead of the answer to a's receive (protocol.md §9).
 * Returns 0, or -1 if it could not be sent (no socket, or the task does
 * not read it); the message is then not delivered.
 */
int kmsg_send_ool(const struct kmsg *m, const struct act *a)
{
	struct umach_ool_note note = { .magic = UMACH_ABI_MAGIC,
		.slot = a->slot, .seq = a->seq, .count = m->nool };
	char cbuf[CMSG_SPACE(sizeof(int) * UMACH_OOL_MAX)];
	struct iovec iov = { .iov_base = &note, .iov_len = sizeof note };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = CMSG_SPACE(sizeof(int) * m->nool) };

	memset(cbuf, 0, sizeof cbuf);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * m->nool);
	for (uint32_t i = 0; i < m->nool; i++) {
		note.region[i].offset = HDR_SIZE + m->ool[i].offset;
		note.region[i].size_bytes = m->ool[i].size_bytes;
		note.region[i].flags = m->ool[i].flags;
		memcpy(CMSG_DATA(c) + i * sizeof(int), &m->ool[i].fd, sizeof(int));
	}
	if (a->task->w_sock.fd < 0)
		return -1;
	return sendmsg(a->task->w_sock.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) ==
	       (ssize_t)sizeof note ? 0 : -1;
}

/*
 * Item it arrives in space s: a send right (PORT_NULL if its port died on
 * the way), or the receive and ownership rights it carries, with any
 * partner right orphaned meanwhile.  Returns the name; *extra = the
 * rights gained that way, owed a notification.
 */
static int32_t give_item(struct kernel *k, struct space *s, struct kitem *it,
			 struct kcopyout *c, uint32_t *extra)
{
	*extra = 0;
	if (it->rights == 0)
		return give_send(s, it->port, c);
	struct entry *e = space_insert(s, it->port, RIGHT_SEND,
				       c->pre[--c->npre]);
	*extra = port_move_in(k, e, it->rights, NULL);
	it->rights = 0;			/* delivered: no longer the kmsg's */
	return e->name;
}

/*
 * Copy m out into buf for space s: translate the reply port and every port
 * item into names in s (creating send rights; receive and ownership rights
 * move in), swap the header ports and write the message.  A right that
 * arrived together with its orphaned partner gets the partner's
 * notification (reference 1.10).  Cannot fail; destroys m.
 */
void kmsg_copyout_finish(struct kernel *k, struct kmsg *m, struct space *s,
			 uint8_t *buf, struct kcopyout *c)
{
	msg_header_t h = m->hdr;
	struct entry *local = space_lookup_port(s, m->dest);

	h.msg_simple = m->simple;
	h.msg_local_port = local ? local->name : PORT_NULL;
	h.msg_remote_port = give_send(s, m->reply, c);
	memcpy(buf, &h, HDR_SIZE);
	memcpy(buf + HDR_SIZE, m->body, m->hdr.msg_size - HDR_SIZE);
	for (uint32_t i = 0; i < m->nitems; i++) {
		struct kitem *it = &m->items[i];
		uint32_t moved = it->rights;
		it->out_name = give_item(k, s, it, c, &it->gained);
		memcpy(buf + HDR_SIZE + it->offset, &it->out_name, 4);
		if ((moved | it->gained) != 0)
			TRACE(k, right, s->task, m, it, moved | it->gained);
	}
	while (c->npre > 0)
		free(c->pre[--c->npre]);
	for (uint32_t i = 0; i < m->nitems; i++) {
		const struct kitem *it = &m->items[i];
		if (it->gained & RIGHT_RECEIVE)
			notify_send(k, s->task, NOTIFY_RECEIVE_RIGHTS,
				    it->out_name);
		if (it->gained & RIGHT_OWN)
			notify_send(k, s->task, NOTIFY_OWNERSHIP_RIGHTS,
				    it->out_name);
	}
	KSTAT(k, s->task, bytes_copied, m->hdr.msg_size);
	m->bytes_copied += m->hdr.msg_size;
	kmsg_destroy(k, m);
}
