/*
 * Out-of-line regions arriving with a received message (docs/protocol.md
 * §9): the kernel sends a note with the regions' memfds on the task's
 * socket before it answers the receive.  Each region is mapped privately
 * (copy on write: fresh memory of the receiver's, no copy made) and its
 * address written into the message.  Threads share the socket, so a note
 * read for another slot is kept for it.
 */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

struct held {
	int                   valid;
	struct umach_ool_note note;
	int                   fds[UMACH_OOL_MAX];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct held held[UMACH_SLOTS];

static void close_all(int *fds, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		close(fds[i]);
}

/* Read one note from the socket into h.  Returns 0, or -1. */
static int read_note(struct held *h)
{
	char cbuf[CMSG_SPACE(sizeof(int) * UMACH_OOL_MAX)];
	struct iovec iov = { .iov_base = &h->note, .iov_len = sizeof h->note };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	ssize_t n = recvmsg(umach__conn.sock, &mh, MSG_CMSG_CLOEXEC);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	uint32_t nfd = 0;

	if (c != NULL && c->cmsg_type == SCM_RIGHTS)
		nfd = (uint32_t)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
	if (nfd > UMACH_OOL_MAX)
		nfd = 0;
	memcpy(h->fds, nfd ? CMSG_DATA(c) : (void *)h->fds, nfd * sizeof(int));
	if (n != (ssize_t)sizeof h->note || h->note.magic != UMACH_ABI_MAGIC ||
	    h->note.count != nfd || h->note.slot >= UMACH_SLOTS) {
		close_all(h->fds, nfd);
		return -1;
	}
	return 0;
}

/* The note for (slot, seq), from the held ones or the socket. */
static int find_note(uint32_t slot, uint32_t seq, struct held *out)
{
	struct held h;

	pthread_mutex_lock(&lock);
	while (!(held[slot].valid && held[slot].note.seq == seq)) {
		if (read_note(&h) != 0) {
			pthread_mutex_unlock(&lock);
			return -1;
		}
		struct held *dst = &held[h.note.slot];
		if (dst->valid)		/* a stale note: its call is over */
			close_all(dst->fds, dst->note.count);
		*dst = h;
		dst->valid = 1;
	}
	*out = held[slot];
	held[slot].valid = 0;
	pthread_mutex_unlock(&lock);
	return 0;
}

/*
 * Map the out-of-line regions of the message just received in slot s and
 * write their addresses into it.  Returns 0, or -1 if the note could not
 * be had (the addresses are then NULL).
 */
int umach__ool_receive(struct umach_slot *s)
{
	uint32_t slot = (uint32_t)(s - umach__conn.chan->slot);
	struct held h;

	if (find_note(slot, atomic_load(&s->done_seq), &h) != 0)
		return -1;
	for (uint32_t i = 0; i < h.note.count; i++) {
		struct umach_ool_region *r = &h.note.region[i];
		/* A section (§14) is shared with every task that maps it. */
		int share = r->flags & UMACH_OOL_SHARED ? MAP_SHARED : MAP_PRIVATE;
		void *p = mmap(NULL, r->size_bytes, PROT_READ | PROT_WRITE,
			       share, h.fds[i], 0);
		close(h.fds[i]);
		if (p == MAP_FAILED)
			p = NULL;
		if (r->offset <= s->msg_size - sizeof p &&
		    r->offset + sizeof p <= UMACH_MSG_BUF)
			memcpy(s->buf + r->offset, &p, sizeof p);
		else if (p != NULL)
			munmap(p, r->size_bytes);
	}
	return 0;
}

/* ---- sending (docs/protocol.md §13) ---- */

#define DESC_ALIGN ((uint32_t)_Alignof(msg_type_t))

/* One decoded descriptor, the kernel's way (protocol.md §6). */
struct item {
	uint32_t name, data;		/* data: offset in body */
	int      inl, dealloc;
	uint64_t bytes;
};

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * The next item of body[0..len) at *pos.  Returns 1 with *it filled, or 0
 * at the end or at a malformed item (the kernel refuses that itself).
 */
static int next_item(const uint8_t *body, uint32_t len, uint32_t *pos,
		     struct item *it)
{
	uint32_t at = (*pos + DESC_ALIGN - 1) & ~(DESC_ALIGN - 1);

	if (at >= len || len - at < sizeof(msg_type_t))
		return 0;
	uint32_t w = rd32(body + at), dlen = sizeof(msg_type_t);
	uint32_t size = (w >> 8) & 0xff;
	uint64_t number = (w >> 16) & 0xfff;
	it->name = w & 0xff;
	if ((w >> 29) & 1) {
		dlen = sizeof(msg_type_long_t);
		if (len - at < dlen)
			return 0;
		const uint8_t *l = body + at + sizeof(msg_type_t);
		it->name = rd32(l) & 0xffff;
		size = rd32(l) >> 16;
		number = rd32(l + 4);
	}
	it->inl = (w >> 28) & 1;
	it->dealloc = (w >> 30) & 1;
	it->bytes = (number * size + 7) / 8;
	it->data = at + dlen;
	uint64_t dl = it->inl ? it->bytes : sizeof(void *);
	if (dl > len - it->data)
		return 0;
	*pos = it->data + (uint32_t)dl;
	return 1;
}

/* A sealed memfd holding a copy of [p, p + n).  Returns it, or -1. */
static int copy_to_memfd(const void *p, uint64_t n)
{
	int fd = memfd_create("umach-ool", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	const uint8_t *b = p;

	if (fd < 0)
		return -1;
	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		b += w;
		n -= (uint64_t)w;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW |
		  F_SEAL_SEAL) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send note with its n memfds on the kernel socket, then close them. */
static void send_note(struct umach_ool_note *note, int *fds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * UMACH_OOL_MAX)];
	struct iovec iov = { .iov_base = note, .iov_len = sizeof *note };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = CMSG_SPACE(sizeof(int) *
							  note->count) };

	memset(cbuf, 0, sizeof cbuf);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * note->count);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * note->count);
	/* if this fails the kernel finds no note: SEND_INVALID_MEMORY */
	(void)sendmsg(umach__conn.sock, &mh, MSG_NOSIGNAL);
	close_all(fds, note->count);
}

/*
 * Before the send in slot s (message already in buf): pass each non-empty
 * out-of-line region to the kernel as a sealed memfd, in one note for the
 * call about to be posted.  A region vm_allocate made moves without a
 * copy (umach__vm_take); other memory is copied into a memfd here.
 * Regions with the deallocate bit are listed in *d for umach__ool_sent().
 * Returns 0, or SEND_INVALID_MEMORY if a region cannot be read.
 */
int umach__ool_send(struct umach_slot *s, struct umach__dealloc *d)
{
	const msg_header_t *h = (const void *)s->buf;
	const uint8_t *body = s->buf + sizeof *h;
	uint32_t pos = 0;
	struct umach_ool_note note = { .magic = UMACH_ABI_MAGIC,
		.slot = (uint32_t)(s - umach__conn.chan->slot),
		.seq = atomic_load(&s->req_seq) + 1 };
	int fds[UMACH_OOL_MAX];
	struct item it;

	d->n = 0;
	if (h->msg_simple || s->send_size <= sizeof *h ||
	    h->msg_size != s->send_size)
		return 0;
	uint32_t len = s->send_size - sizeof *h;
	while (note.count < UMACH_OOL_MAX &&
	       next_item(body, len, &pos, &it) == 1) {
		if (it.inl || it.bytes == 0 || MSG_TYPE_PORT_ANY(it.name))
			continue;
		uintptr_t p;
		memcpy(&p, body + it.data, sizeof p);
		int fd = umach__vm_take(p, it.bytes);
		if (fd < 0)
			fd = copy_to_memfd((const void *)p, it.bytes);
		if (fd < 0) {
			close_all(fds, note.count);
			return SEND_INVALID_MEMORY;
		}
		fds[note.count] = fd;
		note.region[note.count].offset = sizeof *h + it.data;
		note.region[note.count++].size_bytes = it.bytes;
		if (it.dealloc) {
			d->addr[d->n] = p;
			d->size[d->n++] = it.bytes;
		}
	}
	if (note.count > 0)
		send_note(&note, fds);
	return 0;
}

/* The send went out: give back the regions sent with deallocate. */
void umach__ool_sent(const struct umach__dealloc *d)
{
	for (uint32_t i = 0; i < d->n; i++)
		vm_deallocate(task_self(), d->addr[i], d->size[i]);
}
