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
 * Rights carried by m vanish with it (send rights need nothing more).
 */
void kmsg_destroy(struct kernel *k, struct kmsg *m)
{
	for (uint32_t i = 0; i < m->nool; i++)
		close(m->ool[i].fd);
	for (uint32_t i = 0; i < m->nitems; i++)
		if (m->items[i].port != NULL)
			port_put(k, m->items[i].port);
	free(m->items);
	if (m->dest != NULL)
		port_put(k, m->dest);
	if (m->reply != NULL)
		port_put(k, m->reply);
	free(m);
	k->nkmsgs--;
}

/* Check one port item's names against the sender's space; count them. */
static int check_port_item(struct space *s, const uint8_t *body,
			   const struct item *it, uint32_t *nitems)
{
	if (it->size_bits != 32)
		return SEND_INVALID_PORT;
	if (it->name != MSG_TYPE_PORT)
		return SEND_INVALID_PORT;	/* TODO(#3): receive/ownership moves */
	for (uint32_t j = 0; j < it->number; j++) {
		int32_t name = (int32_t)rd32(body + it->data_off + 4 * j);
		struct entry *e = space_lookup(s, name);
		if (name == 0)
			continue;
		if (e == NULL)
			return SEND_INVALID_PORT;
		/* deallocate is refused for receive and ownership holders */
		if (it->dealloc && e->type != PORT_TYPE_SEND)
			return SEND_INVALID_PORT;
	}
	*nitems += it->number;
	return SEND_SUCCESS;
}

/* Pass 1 of copy-in: validate every item, with no side effects. */
static int check_body(struct space *s, const uint8_t *body, uint32_t len,
		      uint32_t *nitems)
{
	struct item it;
	uint32_t pos = 0;
	int r;

	*nitems = 0;
	while ((r = next_item(body, len, &pos, &it)) == 1) {
		if (!it.inl)
			return SEND_INVALID_MEMORY;	/* TODO(#3): out-of-line */
		if (MSG_TYPE_PORT_ANY(it.name)) {
			r = check_port_item(s, body, &it, nitems);
			if (r != SEND_SUCCESS)
				return r;
		}
		if (*nitems > KERN_ITEMS_PER_MSG)
			return SEND_MSG_TOO_LARGE;
	}
	return r;
}

/* Pass 2 of copy-in: take a reference on every named port. Cannot fail. */
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
			if (e == NULL)
				continue;
			port_get(e->port);
			if (it.dealloc)
				port_drop_rights(k, e);
		}
	}
	(void)k;
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
 * Copy a message of `size` bytes (at most UMACH_MSG_BUF) from task t's
 * shared buf, validate it and translate its rights.  With KMSG_RPC in
 * flags, a reply port of PORT_DEFAULT (-1) means none (msg_rpc).  Returns SEND_SUCCESS
 * with *out a new kmsg that owns references to every port it names, or
 * SEND_MSG_TOO_SMALL, SEND_MSG_TOO_LARGE, SEND_INVALID_MEMORY,
 * SEND_INVALID_PORT or SEND_KERNEL_REFUSED (no memory) with nothing
 * changed.  The sender's rights change only for deallocate items.
 */
int kmsg_copyin(struct kernel *k, struct ktask *t, const uint8_t *buf,
		uint32_t size, uint32_t flags, struct kmsg **out)
{
	msg_header_t h;
	struct entry *dest, *reply;
	uint32_t nitems = 0;
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
	r = lookup_header(&t->space, &h, flags, &dest, &reply);
	if (r == SEND_SUCCESS && !h.msg_simple)
		r = check_body(&t->space, m->body, len, &nitems);
	if (r == SEND_SUCCESS && nitems > 0) {
		m->items = umach__calloc(nitems, sizeof *m->items);
		if (m->items == NULL)
			r = SEND_KERNEL_REFUSED;
	}
	if (r != SEND_SUCCESS) {
		kmsg_destroy(k, m);
		return r;
	}
	m->dest = dest->port;
	port_get(m->dest);
	if (reply != NULL) {
		m->reply = reply->port;
		port_get(m->reply);
	}
	m->nitems = nitems;
	m->simple = h.msg_simple ? 1 : nitems == 0;
	m->sender_id = t->id;
	if (nitems > 0)
		take_items(k, m, &t->space, len);
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
	char cbuf[CMSG_SPACE(sizeof(int) * 2)];
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
		memcpy(CMSG_DATA(c) + i * sizeof(int), &m->ool[i].fd, sizeof(int));
	}
	if (a->task->w_sock.fd < 0)
		return -1;
	return sendmsg(a->task->w_sock.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) ==
	       (ssize_t)sizeof note ? 0 : -1;
}

/*
 * Copy m out into buf for space s: translate the reply port and every port
 * item into names in s (creating send rights), swap the header ports and
 * write the message.  Cannot fail; destroys m.
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
		int32_t name = give_send(s, m->items[i].port, c);
		memcpy(buf + HDR_SIZE + m->items[i].offset, &name, 4);
	}
	while (c->npre > 0)
		free(c->pre[--c->npre]);
	KSTAT(k, s->task, bytes_copied, m->hdr.msg_size);
	kmsg_destroy(k, m);
}
