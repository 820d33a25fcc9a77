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
#define UMACH_ABI_VERSION 4u

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
	uint32_t flags;			/* UMACH_HELLO_* */
	uint32_t pad0;			/* 0 */
	char     name[UMACH_NAME_MAX];	/* NUL-terminated; may be empty */
	uint64_t parent_task;		/* UMACH_HELLO_FORKED: parent's task_id */
};
_Static_assert(sizeof(struct umach_hello) == 56, "abi: hello size");
_Static_assert(offsetof(struct umach_hello, parent_task) == 48,
	       "abi: hello parent_task");

/* The process was forked from task parent_task and asks to be its child
 * task; the kernel checks the claim (protocol.md §1). */
#define UMACH_HELLO_FORKED 1u

/* A monitor (the umach tool), not a task (protocol.md §11). */
#define UMACH_HELLO_MONITOR 2u

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
	uint64_t task_id;		/* this task, for a forked child's hello */
};
_Static_assert(sizeof(struct umach_welcome) == 56, "abi: welcome size");
_Static_assert(offsetof(struct umach_welcome, task_id) == 48,
	       "abi: welcome task_id");

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
 * Out-of-line regions (protocol.md §9, §13).  Before it answers a receive
 * whose message carries out-of-line data, the kernel sends one note on the
 * task's socket with the regions' memfds as SCM_RIGHTS, in order; the
 * slot's ool_count says how many.  The task maps each memfd privately and
 * writes its address at `offset` in buf.  In the other direction, before
 * it posts a send with out-of-line data, the task sends a note of the same
 * layout for that call (seq = the req_seq it will post), which the kernel
 * checks against the message.
 */
#define UMACH_OOL_MAX 16u		/* out-of-line items in one message */
#define UMACH_OOL_SHARED 1u		/* a section: map it MAP_SHARED (§14) */

/* Section objects (docs/protocol.md §14): MIG ids outside Mach's ranges,
 * and the limits on their sizes. */
#define UMACH_SECTION_CREATE_ID 3800	/* to a task's kernel port */
#define UMACH_SECTION_MAP_ID    3801	/* to a section port */
#define UMACH_SECTION_MAX_BYTES   (64ull << 20)	/* one section */
#define UMACH_SECTION_TOTAL_BYTES (256ull << 20)	/* all, kernel-wide */

struct umach_ool_region {		/* writer: kernel (§9) or task (§13) */
	uint32_t offset;		/* of the 8-byte pointer in buf */
	uint32_t flags;			/* UMACH_OOL_SHARED, from the kernel only */
	uint64_t size_bytes;
};

struct umach_ool_note {			/* writer: kernel (§9) or task (§13) */
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

/*
 * The monitor protocol (protocol.md §11): how the umach tool sees inside
 * the kernel.  A monitor connects like a task but says UMACH_HELLO_MONITOR
 * in its hello; the welcome comes without fds, and the connection then
 * carries requests from the tool, one per packet, and records from the
 * kernel, packed: a packet holds one or more whole records (at most
 * UMACH_MON_PACKET_MAX bytes), each starting with its type, whose size
 * umach_rec_size() gives.  A monitor holds no rights and cannot change what tasks see,
 * except through the simulation knobs (UMACH_MON_KNOB).
 */
#define UMACH_MON_TASKS   1u	/* snapshot: a TASK record per task, THREADs */
#define UMACH_MON_PORTS   2u	/* snapshot: PORT records of task `arg` (0: all) */
#define UMACH_MON_STATS   3u	/* snapshot: STATS records, totals first */
#define UMACH_MON_TRACE   4u	/* arg 1: stream EVENT records from now; 0: stop */
#define UMACH_MON_SYNC    5u	/* answered by END once everything before it is */
#define UMACH_MON_KNOB    6u	/* set knob `knob` on `arg` to `value` */
#define UMACH_MON_REQ_MAX 6u

/*
 * Simulation knobs (UMACH_MON_KNOB).  `target` says what arg names: a port
 * id, a task id, or nothing, with `name` then naming every task of that
 * name, now and as they attach (a standing knob, for scenarios).  On a
 * task, delay and queue-full act on every port it receives on.
 */
#define UMACH_KNOB_DELAY_MS   1u	/* hold each message value ms (0-60000) */
#define UMACH_KNOB_QUEUE_FULL 2u	/* value % of sends find it full (0-100) */
#define UMACH_KNOB_KILL_AT    3u	/* task: SIGKILL at its value-th send */
#define UMACH_KNOB_SEED       4u	/* seed the kernel's choices */
#define UMACH_KNOB_MAX        4u

#define UMACH_KT_PORT 0u		/* arg is a port id */
#define UMACH_KT_TASK 1u		/* arg is a task id */
#define UMACH_KT_NAME 2u		/* name[] names tasks, now and later */

struct umach_mon_req {			/* writer: tool */
	uint32_t magic;			/* UMACH_ABI_MAGIC */
	uint32_t op;			/* UMACH_MON_* */
	uint64_t arg;
	uint32_t knob;
	uint32_t target;		/* UMACH_KT_* */
	uint64_t value;
	char     name[UMACH_NAME_MAX];	/* UMACH_KT_NAME; NUL-terminated */
};
_Static_assert(sizeof(struct umach_mon_req) == 64, "abi: monitor request");

/* Records from the kernel: each starts with its type. */
#define UMACH_REC_END    1u	/* answers a request; status says how it went */
#define UMACH_REC_TASK   2u
#define UMACH_REC_THREAD 3u
#define UMACH_REC_PORT   4u
#define UMACH_REC_STATS  5u
#define UMACH_REC_EVENT  6u

struct umach_rec_end {
	uint32_t type;
	int32_t  status;		/* KERN_SUCCESS or why the request failed */
	uint32_t op;			/* the request answered */
	uint32_t count;			/* records sent for it */
};

struct umach_rec_task {
	uint32_t type;
	int32_t  pid;
	uint64_t id;
	char     name[UMACH_NAME_MAX];
	uint32_t rights;		/* names in its space */
	uint32_t queued;		/* messages queued on ports it receives on */
	uint32_t threads;		/* slots in a call now */
	uint32_t blocked;		/* of them, blocked */
};

/* A thread of a task in a call (UMACH_MON_TASKS, after its TASK). */
#define UMACH_TS_RUNNING   0u	/* in the kernel, or being answered */
#define UMACH_TS_SEND      1u	/* blocked on a full queue */
#define UMACH_TS_RECEIVE   2u	/* blocked waiting for a message */
struct umach_rec_thread {
	uint32_t type;
	uint32_t slot;
	uint64_t task;
	uint32_t call;			/* UMACH_CALL_* */
	uint32_t state;			/* UMACH_TS_* */
	uint64_t port;			/* port id waited on; 0: a port set */
	int32_t  name;			/* the task's name for it (or the set's) */
	uint32_t timeout_ms;		/* left, or 0 = none */
};

struct umach_rec_port {
	uint32_t type;
	int32_t  name;			/* in task */
	uint64_t task;
	uint64_t port;			/* kernel-wide id */
	uint32_t rights;		/* PORT_TYPE_* bits the task holds */
	uint32_t flags;			/* UMACH_PF_* */
	uint64_t receiver;		/* task ids; 0 = none (or the kernel) */
	uint64_t owner;
	uint32_t queued, backlog;
	uint32_t senders_blocked, receivers_blocked;
	uint32_t holders;		/* names for it in all spaces */
	uint32_t delay_ms;		/* knob */
	uint64_t msgs, bytes;		/* sent to it, ever */
};
#define UMACH_PF_DEAD       1u
#define UMACH_PF_KOBJECT    2u	/* a task's or thread's kernel port */
#define UMACH_PF_NOTIFY     4u	/* the task's notify port */
#define UMACH_PF_QUEUE_FULL 8u	/* knob */

struct umach_counters {
	uint64_t msgs_sent, msgs_received, bytes;
	uint64_t bytes_copied;		/* every byte the kernel copied */
	uint64_t ool_bytes_copied;	/* of which out-of-line payload */
	uint64_t bytes_moved;		/* out-of-line payload not copied */
	uint64_t blocks, wakeups, notifications, timeouts;
};

struct umach_rec_stats {
	uint32_t type;
	int32_t  pid;			/* 0 for the totals */
	uint64_t task;			/* 0 for the totals */
	char     name[UMACH_NAME_MAX];
	struct umach_counters c;
};

/* Events streamed to a tracing monitor. */
#define UMACH_EV_SEND      1u	/* a message was queued or handed over */
#define UMACH_EV_SEND_FAIL 2u	/* a send ended with an error (status) */
#define UMACH_EV_RECEIVE   3u	/* a message was received */
#define UMACH_EV_BLOCK     4u	/* a thread blocked (state: UMACH_TS_*) */
#define UMACH_EV_WAKE      5u	/* a blocked thread went on (status) */
#define UMACH_EV_TIMEOUT   6u	/* a blocked thread's timer ran out */
#define UMACH_EV_NOTIFY    7u	/* the kernel sent a notification (msg_id) */
#define UMACH_EV_RIGHT     8u	/* a message moved receive/ownership
				   rights (2: receive, 4: ownership) to task */
#define UMACH_EV_PORT_DEATH 9u
#define UMACH_EV_ATTACH    10u	/* a task attached */
#define UMACH_EV_EXIT      11u	/* a task went away */
#define UMACH_EV_LOST      12u	/* size = events the monitor missed */
#define UMACH_EV_KNOB      13u	/* a knob acted (msg_id = UMACH_KNOB_*) */
#define UMACH_EV_MAX       13u

struct umach_rec_event {
	uint32_t type;
	uint32_t ev;			/* UMACH_EV_* */
	uint64_t time_ns;		/* CLOCK_MONOTONIC */
	uint64_t task, peer;		/* actor and other task ids, or 0 */
	int32_t  pid, peer_pid;
	uint64_t port;			/* port id, or 0 */
	int32_t  name;			/* the actor's name for the port */
	int32_t  status;
	int32_t  msg_id;
	uint32_t size;			/* message bytes */
	uint32_t ports, ool;		/* rights and out-of-line items carried */
	uint32_t state, rights;
	uint64_t copied, moved;		/* payload bytes copied / moved */
	uint64_t seq;			/* event number since the kernel began */
	char     task_name[UMACH_NAME_MAX];
	char     peer_name[UMACH_NAME_MAX];
};
_Static_assert(sizeof(struct umach_rec_event) == 168, "abi: event record");

/* The largest record, and the largest packet of records. */
#define UMACH_REC_MAX 256u
#define UMACH_MON_PACKET_MAX 65536u

/* The size of a record of this type, or 0 for no such type. */
static inline uint32_t umach_rec_size(uint32_t type)
{
	switch (type) {
	case UMACH_REC_END:	return sizeof(struct umach_rec_end);
	case UMACH_REC_TASK:	return sizeof(struct umach_rec_task);
	case UMACH_REC_THREAD:	return sizeof(struct umach_rec_thread);
	case UMACH_REC_PORT:	return sizeof(struct umach_rec_port);
	case UMACH_REC_STATS:	return sizeof(struct umach_rec_stats);
	case UMACH_REC_EVENT:	return sizeof(struct umach_rec_event);
	}
	return 0;
}

#endif /* UMACH_ABI_H */
