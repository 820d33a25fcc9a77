/*
 * fuzz_syscall.c: libFuzzer harness for the kernel's call path as a
 * hostile task drives it (T4 target 1, with state): the input is a run
 * of slot writes that two tasks of a fresh kernel (fuzz_kernel.h) post
 * the way libumach does (request fields, buf, req_seq, pending bit) and
 * ktask_service() serves: sends, receives and RPCs between them, MIG
 * calls to their kernel ports, unknown calls, cancels, busy slots, expired
 * timers.  Byte 0 with its top bit set makes allocation number
 * (byte 0 & 0x7f) fail (T9's method), so unwind paths are fuzzed too.
 * The teardown aborts on any port, kmsg, task or timer left behind.
 *
 * A record: byte 0 task (bit 0), cancel (bit 1), expire timers (bit 2);
 * byte 1 slot; byte 2 call; byte 3 rcv_name (signed); bytes 4-7 option;
 * 8-9 send_size; 10-11 rcv_size; 12 send timeout ms; 13 receive timeout
 * ms; 14-15 how many of the following bytes go into buf.
 */
#include <string.h>

#include "fuzz_kernel.h"
#include "fail.h"

#define REC 16u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rd16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

/* Post one record; returns the bytes it used. */
static size_t post(struct fk *f, const uint8_t *p, size_t left)
{
	struct ktask *t = f->t[p[0] & 1];
	struct umach_slot *s = &t->chan->slot[p[1] % UMACH_SLOTS];
	size_t n = rd16(p + 14);

	if (n > left - REC)
		n = left - REC;
	if (n > UMACH_MSG_BUF)
		n = UMACH_MSG_BUF;
	s->call = p[2];
	s->rcv_name = (int8_t)p[3];
	memcpy(&s->option, p + 4, 4);
	s->send_size = rd16(p + 8);
	s->rcv_size = rd16(p + 10);
	s->send_timeout_ms = p[12];
	s->rcv_timeout_ms = p[13];
	memcpy(s->buf, p + REC, n);
	if (p[0] & 2)
		atomic_store(&s->cancel, 1);
	else
		atomic_fetch_add(&s->req_seq, 1);
	atomic_fetch_or(&t->chan->pending, 1ull << (p[1] % UMACH_SLOTS));
	ktask_service(&f->k, t);
	if (p[0] & 4)
		timers_expire(&f->k, kernel_now_ns() + 3600ull * 1000000000u);
	return REC + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fk f;

	if (size < 1)
		return 0;
	fk_setup(&f, data[0] & 0x40 ? UMACH_PROFILE_MACH25 :
		     UMACH_PROFILE_TEXTBOOK);
	if (data[0] & 0x80)
		umach__fail_after(data[0] & 0x3f);
	for (size_t at = 1; size - at >= REC;)
		at += post(&f, data + at, size - at);
	fk_teardown(&f);
	return 0;
}
