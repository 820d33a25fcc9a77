/*
 * Out-of-line regions arriving with a received message (docs/protocol.md
 * §9): the kernel sends a note with the regions' memfds on the task's
 * socket before it answers the receive.  Each region is mapped privately
 * (copy on write: fresh memory of the receiver's, no copy made) and its
 * address written into the message.  Threads share the socket, so a note
 * read for another slot is kept for it.
 */
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
		void *p = mmap(NULL, r->size_bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE, h.fds[i], 0);
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
