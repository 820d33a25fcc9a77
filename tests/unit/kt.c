/*
 * Kernel unit-test helpers (kt.h): the per-test kernel and its empty check,
 * posting calls on a task's channel slots as libumach does (fill the
 * request, bump req_seq, set the pending bit) and serving them with
 * ktask_service(), message building in the LP64 rule-B layout
 * (docs/protocol.md §6), and the port calls as MIG messages laid out the
 * way kernel/sys_port.c decodes them.
 */
#include <check.h>
#include <string.h>
#include <unistd.h>

#include <mach/notify.h>
#include "kt.h"

#define KT_NOTE_SLOT 62u	/* the slot kt_notification receives on */

struct kernel kern;

static void setup_profile(uint32_t profile)
{
	umach__fail_after(-1);
	ck_assert_int_eq(kernel_init(&kern, profile), KERN_SUCCESS);
}

void kt_setup(void)
{
	setup_profile(UMACH_PROFILE_TEXTBOOK);
}

void kt_setup_mach25(void)
{
	setup_profile(UMACH_PROFILE_MACH25);
}

void kt_setup_next(void)
{
	setup_profile(UMACH_PROFILE_NEXT);
}

void kt_teardown(void)
{
	umach__fail_after(-1);
	kernel_fini(&kern);
	ck_assert_uint_eq(kern.ntasks, 0);
	ck_assert_uint_eq(kern.nports, 0);
	ck_assert_uint_eq(kern.nkmsgs, 0);
	ck_assert_uint_eq(kern.heap_len, 0);
}

struct ktask *kt_task(const char *name)
{
	struct ktask *t = ktask_create(&kern, getpid(), getuid(), name);

	ck_assert_ptr_nonnull(t);
	return t;
}

/* ---- calls on a slot ---- */

bool kt_done(struct ktask *t, uint32_t i)
{
	struct umach_slot *s = &t->chan->slot[i];

	return atomic_load(&s->done_seq) == atomic_load(&s->req_seq);
}

int kt_status(struct ktask *t, uint32_t i)
{
	return kt_done(t, i) ? t->chan->slot[i].status : KT_BLOCKED;
}

int kt_post(struct ktask *t, uint32_t i, const struct kt_req *r)
{
	struct umach_slot *s = &t->chan->slot[i];

	ck_assert_msg(kt_done(t, i), "slot %u is still in a call", i);
	s->call = r->call;
	s->option = r->option;
	s->send_size = r->send_size;
	s->rcv_size = r->rcv_size;
	s->send_timeout_ms = r->send_timeout_ms;
	s->rcv_timeout_ms = r->rcv_timeout_ms;
	s->rcv_name = r->rcv_name;
	s->status = 12345;	/* so that a missing answer shows */
	atomic_fetch_add(&s->req_seq, 1);
	atomic_fetch_or(&t->chan->pending, 1ull << i);
	ktask_service(&kern, t);
	return kt_status(t, i);
}

void kt_cancel(struct ktask *t, uint32_t i)
{
	atomic_store(&t->chan->slot[i].cancel, 1);
	atomic_fetch_or(&t->chan->pending, 1ull << i);
	ktask_service(&kern, t);
}

void kt_expire_all(void)
{
	timers_expire(&kern, kernel_now_ns() + 3600ull * 1000000000u);
}

uint8_t *kt_buf(struct ktask *t, uint32_t i)
{
	return t->chan->slot[i].buf;
}

msg_header_t *kt_hdr(struct ktask *t, uint32_t i)
{
	return (msg_header_t *)(void *)t->chan->slot[i].buf;
}

/* ---- building messages ---- */

uint32_t kt_desc(uint32_t name, uint32_t bits, uint32_t number,
		 uint32_t flags)
{
	return name | bits << 8 | number << 16 | flags;
}

msg_header_t *kt_msg_hdr(struct kt_msg *m)
{
	return (msg_header_t *)(void *)m->b;
}

void kt_msg_init(struct kt_msg *m, int32_t dest, int32_t reply, int32_t id)
{
	msg_header_t *h = kt_msg_hdr(m);

	memset(m->b, 0, sizeof m->b);
	h->msg_simple = 1;
	h->msg_type = MSG_TYPE_NORMAL;
	h->msg_remote_port = dest;
	h->msg_local_port = reply;
	h->msg_id = id;
	m->len = sizeof(msg_header_t);
}

static uint32_t align8(uint32_t v)
{
	return (v + 7) & ~7u;
}

void kt_msg_raw(struct kt_msg *m, const void *p, uint32_t n)
{
	m->len = align8(m->len);
	ck_assert_uint_le(m->len + n, sizeof m->b);
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

void kt_msg_int(struct kt_msg *m, int32_t v)
{
	uint32_t item[2] = { kt_desc(MSG_TYPE_INTEGER_32, 32, 1, KT_INLINE),
			     (uint32_t)v };

	m->len = align8(m->len);
	memcpy(m->b + m->len, &item[0], 4);
	memcpy(m->b + m->len + sizeof(msg_type_t), &item[1], 4);
	m->len += sizeof(msg_type_t) + 8;	/* value and padding */
}

void kt_msg_ports(struct kt_msg *m, uint32_t type_name, const int32_t *names,
		  uint32_t n, uint32_t flags)
{
	uint32_t d = kt_desc(type_name, 32, n, KT_INLINE | flags);

	m->len = align8(m->len);
	ck_assert_uint_le(m->len + sizeof(msg_type_t) + 4 * n, sizeof m->b);
	memcpy(m->b + m->len, &d, 4);
	memcpy(m->b + m->len + sizeof(msg_type_t), names, 4 * n);
	m->len += sizeof(msg_type_t) + 4 * n;
	kt_msg_hdr(m)->msg_simple = 0;
}

/* ---- the message calls ---- */

int kt_send_sized(struct ktask *t, uint32_t i, struct kt_msg *m,
		  uint32_t msg_size, uint32_t send_size)
{
	struct kt_req r = { .call = UMACH_CALL_MSG_SEND,
			    .send_size = send_size };

	kt_msg_hdr(m)->msg_size = msg_size;
	memcpy(kt_buf(t, i), m->b, sizeof m->b);
	return kt_post(t, i, &r);
}

int kt_send(struct ktask *t, uint32_t i, struct kt_msg *m, int32_t option,
	    uint32_t timeout_ms)
{
	struct kt_req r = { .call = UMACH_CALL_MSG_SEND, .option = option,
			    .send_size = m->len,
			    .send_timeout_ms = timeout_ms };

	kt_msg_hdr(m)->msg_size = m->len;
	memcpy(kt_buf(t, i), m->b, m->len);
	return kt_post(t, i, &r);
}

int kt_send_int(struct ktask *t, uint32_t i, int32_t dest, int32_t v,
		int32_t option, uint32_t timeout_ms)
{
	struct kt_msg m;

	kt_msg_init(&m, dest, PORT_NULL, 1000);
	kt_msg_int(&m, v);
	return kt_send(t, i, &m, option, timeout_ms);
}

int kt_receive(struct ktask *t, uint32_t i, int32_t name, uint32_t rcv_size,
	       int32_t option, uint32_t timeout_ms)
{
	struct kt_req r = { .call = UMACH_CALL_MSG_RECEIVE, .option = option,
			    .rcv_size = rcv_size, .rcv_timeout_ms = timeout_ms,
			    .rcv_name = name };

	return kt_post(t, i, &r);
}

int kt_rpc(struct ktask *t, uint32_t i, struct kt_msg *m, int32_t option,
	   uint32_t rcv_size, uint32_t rcv_timeout_ms)
{
	struct kt_req r = { .call = UMACH_CALL_MSG_RPC, .option = option,
			    .send_size = m->len, .rcv_size = rcv_size,
			    .rcv_timeout_ms = rcv_timeout_ms };

	kt_msg_hdr(m)->msg_size = m->len;
	memcpy(kt_buf(t, i), m->b, m->len);
	return kt_post(t, i, &r);
}

int32_t kt_rcv_int(struct ktask *t, uint32_t i)
{
	int32_t v;

	memcpy(&v, kt_buf(t, i) + sizeof(msg_header_t) + sizeof(msg_type_t),
	       4);
	return v;
}

int kt_trap(struct ktask *t, uint32_t i, uint32_t call, int32_t *out_value)
{
	struct kt_req r = { .call = call };
	int st = kt_post(t, i, &r);

	if (out_value != NULL)
		*out_value = t->chan->slot[i].value;
	return st;
}

/* ---- port calls ---- */

int32_t kt_reply_port(struct ktask *t)
{
	int32_t name;

	ck_assert_int_eq(kt_trap(t, KT_MIG_SLOT, UMACH_CALL_THREAD_REPLY,
				 &name), KERN_SUCCESS);
	return name;
}

int kt_mig(struct ktask *t, int32_t id, const struct kt_arg *args,
	   uint32_t nargs, int32_t *out, uint32_t max_out)
{
	const uint32_t arg = sizeof(msg_type_t) + 8;
	struct kt_msg m;

	kt_msg_init(&m, t->self_name, kt_reply_port(t), id);
	kt_msg_hdr(&m)->msg_type = MSG_TYPE_NORMAL | 0x100;	/* RPC */
	for (uint32_t i = 0; i < nargs; i++) {
		uint32_t d = kt_desc(args[i].type_name, 32, 1, KT_INLINE);
		kt_msg_raw(&m, &d, 4);
		m.len = align8(m.len);
		memcpy(m.b + m.len, &args[i].value, 4);
		m.len += 8;
	}
	ck_assert_int_eq(kt_rpc(t, KT_MIG_SLOT, &m, RCV_TIMEOUT,
				UMACH_MSG_BUF, 0), RPC_SUCCESS);
	msg_header_t *h = kt_hdr(t, KT_MIG_SLOT);
	ck_assert_int_eq(h->msg_id, id + 100);
	ck_assert_uint_ge(h->msg_size, sizeof(death_pill_t));
	ck_assert_uint_eq((h->msg_size - sizeof(msg_header_t)) % arg, 0);
	const uint8_t *body = kt_buf(t, KT_MIG_SLOT) + sizeof(msg_header_t);
	int32_t ret;
	memcpy(&ret, body + sizeof(msg_type_t), 4);
	uint32_t nout = (h->msg_size - sizeof(msg_header_t)) / arg - 1;
	for (uint32_t i = 0; i < nout && i < max_out; i++)
		memcpy(&out[i], body + arg * (i + 1) + sizeof(msg_type_t), 4);
	return ret;
}

int kt_port_allocate(struct ktask *t, int32_t *out_name)
{
	return kt_mig(t, 2076, NULL, 0, out_name, 1);
}

int kt_port_deallocate(struct ktask *t, int32_t name)
{
	struct kt_arg a[] = { { MSG_TYPE_PORT_NAME, name } };

	return kt_mig(t, 2077, a, 1, NULL, 0);
}

int kt_port_set_backlog(struct ktask *t, int32_t name, int32_t backlog)
{
	struct kt_arg a[] = { { MSG_TYPE_PORT_NAME, name },
			      { MSG_TYPE_INTEGER_32, backlog } };

	return kt_mig(t, 2078, a, 2, NULL, 0);
}

int kt_port_status(struct ktask *t, int32_t name, int32_t out[5])
{
	struct kt_arg a[] = { { MSG_TYPE_PORT_NAME, name } };

	return kt_mig(t, 2079, a, 1, out, 5);
}

int kt_port_type(struct ktask *t, int32_t name, int32_t *out_type)
{
	struct kt_arg a[] = { { MSG_TYPE_PORT_NAME, name } };

	return kt_mig(t, 2074, a, 1, out_type, 1);
}

int kt_port_rename(struct ktask *t, int32_t old_name, int32_t new_name)
{
	struct kt_arg a[] = { { MSG_TYPE_PORT_NAME, old_name },
			      { MSG_TYPE_PORT_NAME, new_name } };

	return kt_mig(t, 2075, a, 2, NULL, 0);
}

/* ---- state ---- */

int32_t kt_give_send(struct ktask *from, int32_t name, struct ktask *to)
{
	struct entry *e = space_lookup(&from->space, name);

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(space_reserve(&to->space, 1), KERN_SUCCESS);
	struct entry *ne = space_insert(&to->space, e->port, PORT_TYPE_SEND,
					NULL);
	ck_assert_ptr_nonnull(ne);
	return ne->name;
}

int kt_notification(struct ktask *t, int32_t *out_name)
{
	int st = kt_receive(t, KT_NOTE_SLOT, t->notify_name, UMACH_MSG_BUF,
			    RCV_TIMEOUT, 0);

	if (st == RCV_TIMED_OUT)
		return KT_BLOCKED;
	ck_assert_int_eq(st, RCV_SUCCESS);
	const notification_t *n = (const void *)kt_buf(t, KT_NOTE_SLOT);
	ck_assert_uint_eq(n->notify_header.msg_size, sizeof(notification_t));
	if (out_name != NULL)
		*out_name = n->notify_port;
	return n->notify_header.msg_id;
}

uint32_t kt_queued(struct ktask *t, int32_t name)
{
	struct entry *e = space_lookup(&t->space, name);

	ck_assert_ptr_nonnull(e);
	return e->port->count;
}
