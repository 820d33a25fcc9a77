/*
 * The run-time helpers of umig-generated code (docs/umig.md): a cursor
 * over one message, typed items put and taken under LP64 rule B
 * (docs/protocol.md §6), and MIG's rule for freeing what a message
 * carries.  Every generated .c includes this header; the helpers are
 * static inline, so interfaces linked together never clash.  Not for task
 * programs: include the generated header instead.
 */
#ifndef UMACH_UMIG_RT_H
#define UMACH_UMIG_RT_H

#include <stddef.h>
#include <string.h>
#include <mach.h>

/* Where the next item goes (or is read): offsets into one message. */
struct umig_cursor {
	unsigned char *base;
	size_t size, pos;
};

/* What a receiver expects of one item. */
struct umig_want {
	unsigned int name, size;
	unsigned long long number;       /* exact, or maximum with UMIG_VAR */
	unsigned int flags;
};
#define UMIG_VAR  1u
#define UMIG_OOL  2u
#define UMIG_LONG 4u
#define UMIG_POLY 8u

struct umig_item {
	unsigned int name, size, number, inl, longform;
	unsigned char *data;
};

/* LP64 rule B: every descriptor starts 8-byte aligned (protocol.md 6). */
static inline void umig_pad(struct umig_cursor *c)
{
	while (c->pos % 8 != 0)
		c->base[c->pos++] = 0;
}

static inline void umig_put(struct umig_cursor *c, const void *type,
			    size_t type_size, const void *data, size_t bytes)
{
	umig_pad(c);
	memcpy(c->base + c->pos, type, type_size);
	c->pos += type_size;
	if (bytes != 0)
		memcpy(c->base + c->pos, data, bytes);
	c->pos += bytes;
}

/* A string in exactly bytes bytes, NUL-terminated and zero-filled. */
static inline void umig_put_string(struct umig_cursor *c, const void *type,
				   size_t type_size, const char *s, size_t bytes)
{
	size_t n = s != NULL ? strnlen(s, bytes - 1) : 0;

	umig_put(c, type, type_size, s, n);
	memset(c->base + c->pos, 0, bytes - n);
	c->pos += bytes - n;
}

/* Ends a message being built: zeroes its tail padding, gives its size. */
static inline msg_size_t umig_size(struct umig_cursor *c)
{
	umig_pad(c);
	return (msg_size_t)c->pos;
}

/* Decodes the next item; 0 if it would run past the message. */
static inline int umig_get(struct umig_cursor *c, struct umig_item *it)
{
	size_t at = (c->pos + 7) & ~(size_t)7, dlen = sizeof(msg_type_t), n;
	msg_type_t t;
	msg_type_long_t l;

	if (at > c->size || c->size - at < sizeof t)
		return 0;
	memcpy(&t, c->base + at, sizeof t);
	it->name = t.msg_type_name;
	it->size = t.msg_type_size;
	it->number = t.msg_type_number;
	it->inl = t.msg_type_inline;
	it->longform = t.msg_type_longform;
	if (it->longform) {
		if (c->size - at < sizeof l)
			return 0;
		memcpy(&l, c->base + at, sizeof l);
		it->name = l.msg_type_long_name;
		it->size = l.msg_type_long_size;
		it->number = l.msg_type_long_number;
		dlen = sizeof l;
	}
	n = it->inl ? ((size_t)it->number * it->size + 7) / 8 : sizeof(void *);
	if (c->size - at - dlen < n)
		return 0;
	it->data = c->base + at + dlen;
	c->pos = at + dlen + n;
	return 1;
}

/* The next item, if it is what w describes. */
static inline int umig_take(struct umig_cursor *c, const struct umig_want *w,
			    struct umig_item *it)
{
	if (!umig_get(c, it))
		return 0;
	if (!(w->flags & UMIG_POLY) && it->name != w->name)
		return 0;
	if (it->size != w->size || it->longform != !!(w->flags & UMIG_LONG) ||
	    it->inl != !(w->flags & UMIG_OOL))
		return 0;
	if (w->flags & UMIG_VAR)
		return w->number == 0 || it->number <= w->number;
	return it->number == w->number;
}

/* The message ends with the last item (plus rule B padding). */
static inline int umig_at_end(const struct umig_cursor *c)
{
	return c->pos <= c->size && ((c->pos + 7) & ~(size_t)7) >= c->size;
}

/* A program may define this to keep rights it also holds for other
 * reasons (Mach 2.5 counts no references): nonzero keeps name. */
extern int umig_keep_right(port_t name) __attribute__((weak));

/* Gives back a right that arrived in a message we will not keep.  A
 * name that is more than a send right (our own port, sent back to us)
 * is left alone, and so is one umig_keep_right() claims. */
static inline void umig_release(port_t name, unsigned int how)
{
	port_type_t type;

	if (name == PORT_NULL || (umig_keep_right && umig_keep_right(name)))
		return;
	if (how == MSG_TYPE_PORT &&
	    (port_type(task_self(), name, &type) != KERN_SUCCESS ||
	     type != PORT_TYPE_SEND))
		return;
	port_deallocate(task_self(), name);
}

/* Frees every right and out-of-line region a received message carries,
 * once: MIG's rule when the message is not consumed. */
static inline void umig_destroy(msg_header_t *h)
{
	struct umig_cursor c = { (unsigned char *)h, h->msg_size,
				  sizeof(msg_header_t) };
	struct umig_item it;

	if (h->msg_simple)
		return;
	while (umig_get(&c, &it)) {
		if (!it.inl) {
			vm_address_t addr;
			memcpy(&addr, it.data, sizeof addr);
			if (addr != 0)
				vm_deallocate(task_self(), addr,
					      ((vm_size_t)it.number * it.size + 7) / 8);
		} else if (MSG_TYPE_PORT_ANY(it.name) && it.size == 32) {
			for (unsigned int i = 0; i < it.number; i++) {
				port_t p;
				memcpy(&p, it.data + 4 * i, sizeof p);
				umig_release(p, it.name);
			}
		}
	}
	h->msg_simple = TRUE;
}

/* A polymorphic name as the caller gave it; Mach 3 dispositions are
 * mapped to their Mach 2.5 equivalents. */
static inline unsigned int umig_poly(unsigned int name)
{
	switch (name) {
	case 16: return MSG_TYPE_PORT_RECEIVE;     /* MOVE_RECEIVE */
	case 17: case 18: case 19: case 20: case 21:
		return MSG_TYPE_PORT;              /* the send dispositions */
	default: return name;
	}
}

#endif /* UMACH_UMIG_RT_H */
