/*
 * Out-of-line regions a task sends (docs/protocol.md §13).  Before it posts
 * a send whose message has out-of-line items, the task sends one note on
 * its socket: the slot and req_seq of the call, and per region the offset
 * of its pointer in buf and its size, with one sealed memfd per region as
 * SCM_RIGHTS.  The kernel keeps the latest note of each slot in the slot's
 * activation until copy-in takes its memfds (they then belong to the kmsg
 * and reach the receiver without the kernel touching a byte) or the call
 * ends.  Everything in a note is checked against the message as copied.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel.h"

/* The seals a region must carry: nobody can change it any more. */
#define OOL_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

static void close_fds(const int *fds, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Forget a's note, closing the memfds nobody took. */
void ool_drop_note(struct act *a)
{
	if (!a->in_valid)
		return;
	close_fds(a->in_fds, a->in_note.count);
	a->in_valid = 0;
}

/*
 * Read one note from t's socket.  Returns 1 if one was stored in its
 * slot's activation, 0 if none is waiting, -1 if the task sent something
 * that is not a well-formed note (the caller ends the task).
 */
static int read_one(struct ktask *t)
{
	struct umach_ool_note note;
	int fds[UMACH_OOL_MAX];
	char cbuf[CMSG_SPACE(sizeof(int) * UMACH_OOL_MAX)];
	struct iovec iov = { .iov_base = &note, .iov_len = sizeof note };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	ssize_t n = recvmsg(t->w_sock.fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	uint32_t nfd = 0;

	if (n < 0)
		return 0;		/* EAGAIN, or a hang-up epoll reports */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL;
	     c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		uint32_t k = (uint32_t)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (uint32_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
			if (nfd < UMACH_OOL_MAX)
				fds[nfd++] = fd;
			else
				close(fd);
		}
	}
	if (n == 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    n != (ssize_t)sizeof note || note.magic != UMACH_ABI_MAGIC ||
	    note.slot >= UMACH_SLOTS || note.count != nfd) {
		close_fds(fds, nfd);
		return n == 0 ? 0 : -1;
	}
	struct act *a = &t->act[note.slot];
	ool_drop_note(a);		/* a stale one: its call is over */
	a->in_note = note;
	memcpy(a->in_fds, fds, nfd * sizeof(int));
	a->in_valid = 1;
	return 1;
}

/*
 * Read every note waiting on t's socket into its activations.  Returns 0,
 * or -1 if t sent garbage (it must be ended).  Never blocks.
 */
int ool_read_notes(struct kernel *k, struct ktask *t)
{
	int r;

	(void)k;
	if (t->w_sock.fd < 0)
		return 0;
	while ((r = read_one(t)) == 1)
		;
	return r;
}

/*
 * fd is a memfd sealed against writing, shrinking and growing, holding at
 * least size_bytes.  Returns 0, or -1.  No side effects.
 */
int ool_check_fd(int fd, uint64_t size_bytes)
{
	char path[64], target[PATH_MAX];
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals < 0 || (seals & OOL_SEALS) != OOL_SEALS)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < size_bytes)
		return -1;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	return strncmp(target, "/memfd:", 7) == 0 ? 0 : -1;
}
