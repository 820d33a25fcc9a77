/*
 * fuzz_kmsg.c: libFuzzer harness for the kernel's message validator and
 * right translation (T4 target 1).  The input is the bytes a task leaves
 * in its slot: kmsg_copyin() copies, validates and translates them for
 * task 0 or 1 of a fresh two-task kernel (fuzz_kernel.h); an accepted
 * message is copied out into the other task (kmsg_copyout_prepare and
 * _finish, or _cancel).  Checked on every input: a refused message
 * changes nothing (kmsgs, ports, the sender's names), an accepted one
 * comes out the size it went in, and nothing outlives the kernel.
 *
 * Input: byte 0 flags (bit 0 KMSG_RPC, bit 1 sender, bit 2 a receive
 * buffer one byte too small), bytes 1-2 the send size (little endian,
 * capped at UMACH_MSG_BUF), then the slot buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_kernel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_kmsg: %s\n", what);
		abort();
	}
}

static void copy_out(struct fk *f, struct kmsg *m, struct ktask *to,
		     uint32_t short_buf)
{
	static struct kcopyout c;	/* large; not carried between inputs */
	static uint8_t out[UMACH_MSG_BUF];
	uint32_t msg_size = m->hdr.msg_size;
	uint32_t cap = short_buf ? msg_size - 1 : UMACH_MSG_BUF;
	int r = kmsg_copyout_prepare(m, &to->space, cap, &c);

	if (r != RCV_SUCCESS) {
		check(r == RCV_TOO_LARGE || r == RCV_NOT_ENOUGH_MEMORY,
		      "copyout_prepare: unexpected status");
		check(!short_buf || r == RCV_TOO_LARGE,
		      "copyout_prepare: short buffer not RCV_TOO_LARGE");
		kmsg_copyout_cancel(&c);
		kmsg_destroy(&f->k, m);
		return;
	}
	check(!short_buf, "copyout_prepare: accepted a short buffer");
	kmsg_copyout_finish(&f->k, m, &to->space, out, &c);
	msg_header_t h;
	memcpy(&h, out, sizeof h);
	check(h.msg_size == msg_size, "copied-out size differs");
}

/* Notifications waiting on the two tasks' notify ports. */
static uint64_t queued_notes(const struct fk *f)
{
	uint64_t n = 0;

	for (int i = 0; i < 2; i++)
		if (f->t[i]->notify != NULL)
			n += f->t[i]->notify->count;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[UMACH_MSG_BUF];
	struct fk f;
	struct kmsg *m = NULL;

	if (size < 3)
		return 0;
	uint32_t flags = data[0];
	uint32_t send = (uint32_t)data[1] | (uint32_t)data[2] << 8;
	size_t n = size - 3 < sizeof buf ? size - 3 : sizeof buf;
	memset(buf, 0, sizeof buf);
	memcpy(buf, data + 3, n);
	if (send > UMACH_MSG_BUF)
		send = UMACH_MSG_BUF;

	fk_setup(&f, UMACH_PROFILE_TEXTBOOK);
	struct ktask *from = f.t[(flags >> 1) & 1], *to = f.t[!((flags >> 1) & 1)];
	uint64_t ports = f.k.nports, kmsgs = f.k.nkmsgs;
	uint32_t names = from->space.count;
	int r = kmsg_copyin(&f.k, &from->act[0], buf, send, flags & 1 ? KMSG_RPC : 0, &m);
	if (r != SEND_SUCCESS) {
		check(r == SEND_MSG_TOO_SMALL || r == SEND_MSG_TOO_LARGE ||
		      r == SEND_INVALID_MEMORY || r == SEND_INVALID_PORT ||
		      r == SEND_KERNEL_REFUSED, "copyin: unexpected status");
		check(f.k.nkmsgs == kmsgs && f.k.nports == ports &&
		      from->space.count == names, "refused copyin changed state");
	} else {
		check(f.k.nkmsgs == kmsgs + 1, "copyin: no kmsg counted");
		uint64_t notes = queued_notes(&f);
		copy_out(&f, m, to, (flags >> 2) & 1);
		/* Rights the message carried may have settled (a receive
		 * right reverting to its owner, reference 1.11): the kmsgs
		 * left are exactly the notifications that owes. */
		check(f.k.nkmsgs == kmsgs + (queued_notes(&f) - notes),
		      "copy-out left a kmsg");
	}
	fk_teardown(&f);
	return 0;
}
