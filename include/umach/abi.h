/*
 * The kernel<->task channel: the one definition of the shared-memory
 * protocol between umachd (kernel/) and every task (lib/).  Both sides
 * include this file and nothing else defines a shared offset, size, call
 * number or limit.  docs/protocol.md explains it; tests/unit/check_abi.c
 * pins every size and offset.
 *
 * Fields are fixed width.  Every field names its writer: "task", "kernel",
 * or "both" (then it is _Atomic and lock-free).  The kernel copies what a
 * task wrote before it looks at it (protocol.md §3), so nothing here is
 * trusted by the kernel.
 */
#ifndef UMACH_ABI_H
#define UMACH_ABI_H

#include <stdint.h>
#include <stddef.h>
#include <stdatomic.h>

#define UMACH_ABI_MAGIC   0x48434d55u	/* "UMCH" in memory order */
#define UMACH_ABI_VERSION 2u

/* Limits of one channel (protocol.md §2). */
#define UMACH_SLOTS        64u		/* threads of a task in a call at once */
#define UMACH_MSG_BUF      8192u	/* = MSG_SIZE_MAX: one inline message */
#define UMACH_NAME_MAX     32u		/* task name, with its NUL */

/* Calls a slot can carry (protocol.md §4).  Everything else is a message. */
#define UMACH_CALL_NONE         0u
#define UMACH_CALL_MSG_SEND     1u
#define UMACH_CALL_MSG_RECEIVE  2u
#define UMACH_CALL_MSG_RPC      3u
#define UMACH_CALL_THREAD_SELF  4u	/* value = name of the thread's port */
#define UMACH_CALL_THREAD_REPLY 5u	/* value = name of its reply port */
#define UMACH_CALL_SLOT_RELEASE 6u	/* a thread leaves: drop its ports */
#define UMACH_CALL_MAX          6u

/*
 * Attach (protocol.md §1): over the kernel's SOCK_SEQPACKET socket the task
 * sends a hello; the kernel answers with a welcome and, on success, the
 * channel memfd and a doorbell eventfd as SCM_RIGHTS, in that order.
 */
struct umach_hello {			/* writer: task */
	uint32_t magic;
	uint32_t version;
	uint32_t flags;			/* 0 */
	uint32_t pad0;			/* 0 */
	char     name[UMACH_NAME_MAX];	/* NUL-terminated; may be empty */
};
_Static_assert(sizeof(struct umach_hello) == 48, "abi: hello size");

struct umach_welcome {			/* writer: kernel */
	uint32_t magic;
	uint32_t version;
	int32_t  status;		/* KERN_SUCCESS, or why it refused */
	uint32_t channel_bytes;		/* size of the memfd to map */
	int32_t  task_self;		/* names in the new task's space */
	int32_t  task_notify;
	int32_t  name_server;		/* PORT_NULL until a name server runs */
	int32_t  environment;
	int32_t  service;
	uint32_t profile;		/* UMACH_PROFILE_* */
	uint32_t backlog_default;
	uint32_t backlog_max;
};
_Static_assert(sizeof(struct umach_welcome) == 48, "abi: welcome size");

#define UMACH_PROFILE_TEXTBOOK 0u
#define UMACH_PROFILE_MACH25   1u
#define UMACH_PROFILE_NEXT     2u

/*
 * One slot: one call of one thread.  The task fills the request fields and
 * buf, bumps req_seq, sets its bit in the channel's pending word and rings
 * the doorbell if need_wakeup is set.  The kernel answers in the reply
 * fields and buf, stores done_seq = req_seq, and wakes the thread with
 * FUTEX_WAKE on sleeping if it had set it (protocol.md §5).
 */
struct umach_slot {
	/* both */
	_Atomic uint32_t req_seq;	/* task: bumps to post a call */
	_Atomic uint32_t done_seq;	/* kernel: = req_seq when answered */
	_Atomic uint32_t sleeping;	/* task: 1 before FUTEX_WAIT; kernel: 0 */
	_Atomic uint32_t cancel;	/* task: 1 = interrupt the blocked call */
	/* task: the request */
	uint32_t call;			/* UMACH_CALL_* */
	int32_t  option;		/* msg_option_t */
	uint32_t send_size;		/* bytes of buf to send */
	uint32_t rcv_size;		/* receive capacity of the caller */
	uint32_t send_timeout_ms;
	uint32_t rcv_timeout_ms;
	int32_t  rcv_name;		/* port or set to receive from (receive) */
	uint32_t pad0;
	/* kernel: the reply */
	int32_t  status;		/* msg_return_t */
	uint32_t msg_size;		/* bytes received in buf, or size needed */
	int32_t  value;			/* result of a trap-like call */
	uint32_t ool_count;		/* regions sent on the socket (§9) */
	/* task before the call, kernel after it */
	uint8_t  buf[UMACH_MSG_BUF];
};
_Static_assert(offsetof(struct umach_slot, call) == 16, "abi: slot call");
_Static_assert(offsetof(struct umach_slot, status) == 48, "abi: slot status");
_Static_assert(offsetof(struct umach_slot, buf) == 64, "abi: slot buf");
_Static_assert(sizeof(struct umach_slot) == 64 + UMACH_MSG_BUF, "abi: slot");

/*
 * Out-of-line regions (protocol.md §9, §10).  Before it answers a receive
 * whose message carries out-of-line data, the kernel sends one note on the
 * task's socket with the regions' memfds as SCM_RIGHTS, in order; the
 * slot's ool_count says how many.  The task maps each memfd privately and
 * writes its address at `offset` in buf.  In the other direction, before
 * it posts a send with out-of-line data, the task sends a note of the same
 * layout for that call (seq = the req_seq it will post), which the kernel
 * checks against the message.
 */
#define UMACH_OOL_MAX 16u		/* out-of-line items in one message */

struct umach_ool_region {		/* writer: kernel (§9) or task (§10) */
	uint32_t offset;		/* of the 8-byte pointer in buf */
	uint32_t pad0;
	uint64_t size_bytes;
};

struct umach_ool_note {			/* writer: kernel (§9) or task (§10) */
	uint32_t magic;			/* UMACH_ABI_MAGIC */
	uint32_t slot;
	uint32_t seq;			/* the req_seq it answers */
	uint32_t count;
	struct umach_ool_region region[UMACH_OOL_MAX];
};
_Static_assert(sizeof(struct umach_ool_region) == 16, "abi: ool region");
_Static_assert(sizeof(struct umach_ool_note) == 16 + 16 * UMACH_OOL_MAX,
	       "abi: ool note");

/* The channel: a header, then UMACH_SLOTS slots. */
struct umach_channel {
	_Atomic uint64_t pending;	/* task: bit i = slot i has news */
	_Atomic uint32_t need_wakeup;	/* kernel: 1 = ring the doorbell */
	uint32_t pad0;
	uint8_t  pad1[48];		/* keep the slots on their own lines */
	struct umach_slot slot[UMACH_SLOTS];
};
_Static_assert(offsetof(struct umach_channel, slot) == 64, "abi: channel");
_Static_assert(sizeof(struct umach_channel) ==
	       64 + UMACH_SLOTS * sizeof(struct umach_slot), "abi: channel size");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2,
	       "abi: shared atomics must be lock-free");

#endif /* UMACH_ABI_H */
