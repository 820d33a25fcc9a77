/*
 * 1 MiB inline, in chunks, against 1 MiB out of line (reference 1.4; the
 * textbook's point that Mach avoids the double copy by moving large data
 * instead of copying it).  Inline, the megabyte goes as 129 messages of up
 * to 8 KiB, and the kernel copies every byte in and out.  Out of line, it
 * goes as one message whose data is memory from vm_allocate: the kernel
 * passes the pages on as a sealed memfd and copies none of them.  The
 * trace shows "copied" and "moved" per message; `umach stat` the totals.
 *
 *	bigcopy receiver | sender
 */
#include <time.h>

#include "ex.h"

#define MIB   (1u << 20)
#define CHUNK 8000u

struct chunk {
	msg_header_t    h;
	msg_type_long_t t;
	char            data[CHUNK];
};

struct ool {
	msg_header_t    h;
	msg_type_long_t t;
	void           *data;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void desc(msg_type_long_t *t, int inl, unsigned n)
{
	memset(t, 0, sizeof *t);
	t->msg_type_header.msg_type_inline = inl;
	t->msg_type_header.msg_type_longform = TRUE;
	t->msg_type_long_name = MSG_TYPE_BYTE;
	t->msg_type_long_size = 8;
	t->msg_type_long_number = n;
}

static unsigned sum(const unsigned char *p, size_t n)
{
	unsigned s = 0;

	for (size_t i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

static void sender(void)
{
	port_t to = ex_look_up("bigcopy");
	static struct chunk c;
	struct ool o;
	vm_address_t buf;
	kern_return_t r;

	if ((r = vm_allocate(task_self(), &buf, MIB, TRUE)) != KERN_SUCCESS)
		ex_die("vm_allocate", r);
	for (size_t i = 0; i < MIB; i++)
		((unsigned char *)buf)[i] = (unsigned char)(i * 7);
	unsigned s = sum((void *)buf, MIB);
	double t0 = now_ms();
	for (size_t off = 0; off < MIB; off += CHUNK) {
		unsigned n = MIB - off < CHUNK ? MIB - off : CHUNK;
		memset(&c.h, 0, sizeof c.h);
		c.h.msg_simple = TRUE;
		c.h.msg_size = (msg_size_t)(sizeof c.h + sizeof c.t + n);
		c.h.msg_remote_port = to;
		c.h.msg_id = 10;
		desc(&c.t, TRUE, n);
		memcpy(c.data, (char *)buf + off, n);
		if ((r = msg_send(&c.h, MSG_OPTION_NONE, 0)) != SEND_SUCCESS)
			ex_die("sender: inline chunk", r);
	}
	printf("sender: 1 MiB inline as %u messages in %.1f ms\n",
	       (MIB + CHUNK - 1) / CHUNK, now_ms() - t0);
	t0 = now_ms();
	memset(&o, 0, sizeof o);
	o.h.msg_simple = FALSE;
	o.h.msg_size = sizeof o;
	o.h.msg_remote_port = to;
	o.h.msg_id = 20;
	desc(&o.t, FALSE, MIB);
	o.data = (void *)buf;
	if ((r = msg_send(&o.h, MSG_OPTION_NONE, 0)) != SEND_SUCCESS)
		ex_die("sender: out of line", r);
	printf("sender: 1 MiB out of line as 1 message in %.1f ms "
	       "(checksum %08x)\n", now_ms() - t0, s);
}

static void receiver(void)
{
	port_t p = ex_serve("bigcopy");
	static unsigned char got[MIB];
	static struct chunk c;
	struct ool o;
	size_t have = 0;
	kern_return_t r;

	while (have < MIB) {
		c.h.msg_size = sizeof c;
		c.h.msg_local_port = p;
		if ((r = msg_receive(&c.h, RCV_TIMEOUT, 5000)) != RCV_SUCCESS)
			ex_die("receiver: chunk", r);
		unsigned n = c.t.msg_type_long_number;
		if (n > CHUNK || n > MIB - have)
			ex_die("receiver: a chunk too long", KERN_INVALID_ARGUMENT);
		memcpy(got + have, c.data, n);
		have += n;
	}
	printf("receiver: 1 MiB inline, checksum %08x\n", sum(got, MIB));
	o.h.msg_size = sizeof o;
	o.h.msg_local_port = p;
	if ((r = msg_receive(&o.h, RCV_TIMEOUT, 5000)) != RCV_SUCCESS)
		ex_die("receiver: out of line", r);
	if (o.t.msg_type_header.msg_type_inline || o.t.msg_type_long_number != MIB)
		ex_die("receiver: not 1 MiB out of line", KERN_INVALID_ARGUMENT);
	printf("receiver: 1 MiB out of line, checksum %08x\n", sum(o.data, MIB));
	vm_deallocate(task_self(), (vm_address_t)o.data, MIB);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 2 && strcmp(argv[1], "sender") == 0)
		sender();
	else if (argc == 2 && strcmp(argv[1], "receiver") == 0)
		receiver();
	else {
		fprintf(stderr, "usage: bigcopy receiver|sender\n");
		return 2;
	}
	return 0;
}
