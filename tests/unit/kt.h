/*
 * Kernel unit-test helpers: a fresh struct kernel per test (the fixture
 * ends by checking that no port or kmsg outlived kernel_fini), and calls
 * posted on a task's channel the way libumach posts them, served by
 * ktask_service() without a socket.  A call that blocks stays incomplete
 * until another call or timers_expire() ends it.
 */
#ifndef UMACH_TESTS_KT_H
#define UMACH_TESTS_KT_H

#include <stdbool.h>
#include <stdint.h>

#include <mach/message.h>
#include <mach/mig_errors.h>
#include "kernel.h"
#include "fail.h"

/* The kernel under test; kt_setup*() make it, kt_teardown() checks it. */
extern struct kernel kern;

void kt_setup(void);			/* UMACH_PROFILE_TEXTBOOK */
void kt_setup_mach25(void);
void kt_setup_next(void);
void kt_teardown(void);			/* kernel_fini, then "kernel is empty" */

struct ktask *kt_task(const char *name);

/* Not a Mach code: the call has not completed (it blocks). */
#define KT_BLOCKED 1

/* ---- calls on a slot ---- */

struct kt_req {
	uint32_t call;
	int32_t  option;
	uint32_t send_size, rcv_size;
	uint32_t send_timeout_ms, rcv_timeout_ms;
	int32_t  rcv_name;
};

/* Post r on slot i of t (buf untouched) and let the kernel serve it.
 * Returns the status, or KT_BLOCKED if the call did not complete. */
int kt_post(struct ktask *t, uint32_t i, const struct kt_req *r);
bool kt_done(struct ktask *t, uint32_t i);
/* The status of slot i's last call, or KT_BLOCKED while it waits. */
int kt_status(struct ktask *t, uint32_t i);
/* Ask the kernel to interrupt slot i's blocked call (the cancel word). */
void kt_cancel(struct ktask *t, uint32_t i);
/* Fire every timer, as if a long time had passed. */
void kt_expire_all(void);
uint8_t *kt_buf(struct ktask *t, uint32_t i);
msg_header_t *kt_hdr(struct ktask *t, uint32_t i);

/* ---- building messages ---- */

struct kt_msg {
	uint32_t len;
	uint8_t  b[UMACH_MSG_BUF] __attribute__((aligned(8)));
};

uint32_t kt_desc(uint32_t name, uint32_t bits, uint32_t number,
		 uint32_t flags);
#define KT_INLINE   (1u << 28)
#define KT_LONGFORM (1u << 29)
#define KT_DEALLOC  (1u << 30)

/* A header: msg_simple 1, msg_size set by kt_send from len. */
void kt_msg_init(struct kt_msg *m, int32_t dest, int32_t reply, int32_t id);
/* One (INTEGER_32, 32, 1, inline) item. */
void kt_msg_int(struct kt_msg *m, int32_t v);
/* One item of n 32-bit names of type type_name; clears msg_simple. */
void kt_msg_ports(struct kt_msg *m, uint32_t type_name, const int32_t *names,
		  uint32_t n, uint32_t flags);
/* Raw bytes at the next 8-byte boundary (a hand-made descriptor). */
void kt_msg_raw(struct kt_msg *m, const void *p, uint32_t n);
msg_header_t *kt_msg_hdr(struct kt_msg *m);

/* ---- the message calls ---- */

/* msg_send of m (msg_size = send_size = m->len) on slot i. */
int kt_send(struct ktask *t, uint32_t i, struct kt_msg *m, int32_t option,
	    uint32_t timeout_ms);
/* Send the raw buffer with explicit msg_size and send_size. */
int kt_send_sized(struct ktask *t, uint32_t i, struct kt_msg *m,
		  uint32_t msg_size, uint32_t send_size);
/* A simple message with one int, no reply port. */
int kt_send_int(struct ktask *t, uint32_t i, int32_t dest, int32_t v,
		int32_t option, uint32_t timeout_ms);
int kt_receive(struct ktask *t, uint32_t i, int32_t name, uint32_t rcv_size,
	       int32_t option, uint32_t timeout_ms);
int kt_rpc(struct ktask *t, uint32_t i, struct kt_msg *m, int32_t option,
	   uint32_t rcv_size, uint32_t rcv_timeout_ms);
/* The int of a kt_send_int message received on slot i. */
int32_t kt_rcv_int(struct ktask *t, uint32_t i);
/* A trap-like call (THREAD_SELF, THREAD_REPLY, ...): status, *out = value. */
int kt_trap(struct ktask *t, uint32_t i, uint32_t call, int32_t *out_value);

/* ---- port calls: MIG RPCs to t->self_name ---- */

#define KT_MIG_SLOT 63u		/* the slot port calls use */

struct kt_arg {
	uint32_t type_name;
	int32_t  value;
};

/* Request id with args; returns RetCode, checks the reply is id + 100 and
 * copies up to max_out results into out. */
int kt_mig(struct ktask *t, int32_t id, const struct kt_arg *args,
	   uint32_t nargs, int32_t *out, uint32_t max_out);
int kt_port_allocate(struct ktask *t, int32_t *out_name);
int kt_port_deallocate(struct ktask *t, int32_t name);
int kt_port_set_backlog(struct ktask *t, int32_t name, int32_t backlog);
int kt_port_type(struct ktask *t, int32_t name, int32_t *out_type);
int kt_port_rename(struct ktask *t, int32_t old_name, int32_t new_name);
/* out[5]: enabled, num_msgs, backlog, ownership, receive_rights */
int kt_port_status(struct ktask *t, int32_t name, int32_t out[5]);
/* The reply port port calls use (made on first use). */
int32_t kt_reply_port(struct ktask *t);

/* Give task to a send right to from's port `name`; returns to's name. */
int32_t kt_give_send(struct ktask *from, int32_t name, struct ktask *to);
/* Receive one notification on t's notify port; returns its msg_id and
 * sets *out_name to notify_port, or KT_BLOCKED if none is queued. */
int kt_notification(struct ktask *t, int32_t *out_name);
/* Messages queued on the port t names `name`. */
uint32_t kt_queued(struct ktask *t, int32_t name);

#endif
