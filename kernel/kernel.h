/*
 * Kernel-private definitions for umachd: the kernel context, tasks, name
 * spaces, ports, messages in flight (kmsg) and activations (a slot's call
 * in progress).  Nothing here is shared with tasks; the channel layout is in
 * <umach/abi.h>.  All state hangs off one struct kernel, passed explicitly,
 * so that unit tests can make a fresh kernel for each test.
 *
 * Ownership in one paragraph: a task owns its space; a space owns its
 * entries; an entry holds one reference on its port; a kmsg holds one
 * reference on each port it names (destination, reply, items) until it is
 * copied out or destroyed; a port is freed when its last reference goes.
 */
#ifndef UMACH_KERNEL_H
#define UMACH_KERNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include <mach/message.h>
#include <mach/mach_param.h>
#include <mach/notify.h>
#include <umach/abi.h>
#include "hmap.h"

/* Documented limits (docs/protocol.md §7). */
#define KERN_NAMES_PER_TASK   (1u << 21)	/* rights + sets per task */
#define KERN_TASKS_MAX        1024u
#define KERN_TASKS_PER_UID    256u		/* tasks of one user at once */
#define KERN_ITEMS_PER_MSG    1024u		/* port rights in one message */
#define KERN_CALLS_PER_PASS   4			/* slots served per task per pass */

/* What libumach's PORT_ENABLED holds: the name of a task's default set. */
#define PORT_ENABLED_NAME     (-1)
#define KERN_OOL_REGION_MAX   (1ull << 30)	/* bytes in one OOL region */
#define KERN_OOL_BYTES_MAX    (1ull << 32)	/* OOL bytes queued, in all */

/* Kernel objects: ports whose receiver is the kernel itself. */
#define KOBJ_NONE   0u
#define KOBJ_TASK   1u
#define KOBJ_THREAD 2u
#define KOBJ_SECTION 3u

/* Entry right bits: the PORT_TYPE_* values are sums of these. */
#define RIGHT_SEND    1u
#define RIGHT_RECEIVE 2u
#define RIGHT_OWN     4u

struct kernel;
struct ktask;
struct port;
struct section;
struct act;

/* A list of activations blocked on a port (senders or receivers), FIFO. */
struct waitq {
	struct act *head, *tail;
};

/*
 * A port set (reference 1.9, 1.11; pset.c): ports of one task received
 * from as one.  Its members keep their own queues; the set keeps the list
 * of members that have messages, so that a receive is O(1) and fair.
 * Only pset.c and msgq.c touch these fields.
 */
struct pset {
	struct space *space;		/* the task that holds the set */
	int32_t       name;		/* or PORT_ENABLED (-1): the default set */
	uint32_t      nmembers;
	struct port  *members;		/* via port->snext/sprev */
	struct port  *ready, *ready_tail; /* members with mail, round robin */
	struct waitq  receivers;	/* blocked in receive on the set */
};

/* One name in one task's space: which port, which rights. */
struct entry {
	struct space *space;		/* owner of this entry */
	struct port  *port;		/* one reference held */
	int32_t       name;
	uint32_t      type;		/* PORT_TYPE_*: send, receive, own bits */
	uint32_t      accept_pending;	/* a SEND_NOTIFY message is queued */
	struct entry *pnext, *pprev;	/* the port's holders */
};

/* A task's name space: name -> entry and port -> entry. */
struct space {
	struct ktask *task;
	struct hmap   by_name;
	struct hmap   by_port;
	uint32_t      count;
	int32_t       next_name;	/* names are handed out upward from 1 */
	struct hmap   sets;		/* name -> struct pset (pset.c) */
	struct pset   enabled;		/* the default set, PORT_ENABLED */
};

struct port {
	uint32_t      refs;
	uint32_t      dead;		/* receive and ownership both gone */
	uint64_t      id;		/* kernel-wide, for traces */
	struct space *receiver;		/* NULL: none, or the kernel (kobject) */
	struct space *owner;
	struct ktask *kobject;		/* a kernel object's task, or NULL */
	uint32_t      kotype;		/* KOBJ_TASK, _THREAD or _SECTION */
	struct section *section;	/* KOBJ_SECTION: owned (section.c) */
	uint32_t      koslot;		/* KOBJ_THREAD: the thread's slot */
	uint32_t      backlog;
	uint32_t      count;		/* messages queued */
	struct kmsg  *qhead, *qtail;
	struct waitq  senders;		/* blocked on a full queue */
	struct waitq  receivers;	/* blocked in receive */
	struct entry *holders;		/* every entry naming this port */
	uint64_t      msgs, bytes;	/* sent to it, ever (umach stat) */
	uint32_t      delay_ms;		/* knob: hold each message this long */
	uint32_t      full_pct;		/* knob: % of sends that find it full */
	/* pset.c and msgq.c: set membership; a set is its receiver's */
	struct pset  *pset;		/* the set it is in, or NULL */
	struct port  *snext, *sprev;	/* pset's members */
	struct port  *rnext, *rprev;	/* pset's ready list */
	uint32_t      rlinked;		/* on pset's ready list */
	/* Receive and ownership rights not held by a space (reference 1.10):
	 * in transit (carried by a kmsg item, carrier_* says which kmsg), or
	 * orphaned (its partner is in transit; the right arrives with it). */
	uint32_t      transit;		/* RIGHT_RECEIVE, RIGHT_OWN bits */
	uint32_t      orphan;		/* RIGHT_RECEIVE, RIGHT_OWN bits */
	struct kmsg  *carrier_r;	/* kmsg carrying the receive right */
	struct kmsg  *carrier_o;	/* kmsg carrying ownership */
	struct port  *backup;		/* port_set_backup; reference held */
};

/* A port item inside a kmsg body: where the name goes, and which port. */
struct kitem {
	uint32_t     offset;		/* of the 4-byte name in body */
	uint32_t     name_type;		/* MSG_TYPE_PORT, ... */
	uint32_t     rights;		/* RIGHT_RECEIVE, RIGHT_OWN moved */
	uint32_t     gained;		/* copy-out: orphans that came along */
	int32_t      out_name;		/* copy-out: the receiver's name */
	struct port *port;		/* NULL for PORT_NULL */
};

/* An out-of-line region of a message: a sealed memfd. */
struct kool {
	uint32_t offset;		/* of the 8-byte pointer in body */
	int      fd;			/* owned */
	uint64_t size_bytes;
	uint32_t flags;			/* UMACH_OOL_SHARED: a section's */
};

/* A message in the kernel: copied in, validated, rights translated. */
struct kmsg {
	struct kmsg  *next;
	msg_header_t  hdr;		/* private copy; ports below */
	struct port  *dest;		/* reference held */
	struct port  *reply;		/* reference held, or NULL */
	uint32_t      nitems;
	struct kitem *items;		/* owned */
	uint64_t      sender_id;	/* task id, 0 for the kernel */
	uint32_t      accept_notify;	/* SEND_NOTIFY accepted it over limit */
	uint32_t      simple;		/* recomputed msg_simple */
	uint32_t      nool;
	struct kool   ool[UMACH_OOL_MAX];
	uint64_t      bytes_copied;	/* by the kernel: inline, kernel arrays */
	uint64_t      bytes_moved;	/* OOL bytes passed as memfds, uncopied */
	uint8_t       body[];		/* hdr.msg_size - sizeof hdr bytes */
};

/* ACT_DELAY: a send held by the delay knob, on no wait queue. */
enum act_state { ACT_IDLE, ACT_SEND_WAIT, ACT_RCV_WAIT, ACT_DELAY };

/* One slot's call in progress: the kernel's private copy of the request. */
struct act {
	struct ktask   *task;
	uint32_t        slot;
	uint32_t        seq;		/* req_seq being served */
	enum act_state  state;
	uint32_t        call;
	int32_t         option;
	uint32_t        rcv_size;
	uint32_t        send_timeout_ms;
	uint32_t        rcv_timeout_ms;
	int32_t         rcv_name;	/* receive half: port or set name */
	struct kmsg    *pending;	/* blocked or delayed send: the message */
	uint32_t        delayed;	/* pending has served its delay */
	struct port    *wport;		/* port waited on */
	struct pset    *wset;		/* or set waited on (receive only) */
	struct act     *wnext, *wprev;	/* in wport's waitq */
	uint64_t        deadline_ns;	/* 0 = none */
	int32_t         heap_idx;	/* in the timer heap, or -1 */
	struct port    *thread_port;	/* thread_self(), or NULL */
	struct port    *reply_port;	/* thread_reply(), or NULL */
	uint32_t        out_size;	/* reply: msg_size */
	int32_t         out_value;	/* reply: value */
	uint32_t        out_ool;	/* reply: ool_count */
	uint32_t        in_valid;	/* in_note/in_fds hold a task's note */
	struct umach_ool_note in_note;	/* OOL regions of the next send */
	int             in_fds[UMACH_OOL_MAX];	/* owned while in_valid */
};

enum watch_kind { W_LISTEN, W_SIGNAL, W_HELLO, W_SOCK, W_DOORBELL, W_PIDFD,
		  W_MONITOR };

/* What an epoll event points at. */
struct watch {
	enum watch_kind kind;
	int             fd;
	struct ktask   *task;		/* W_SOCK, W_DOORBELL, W_PIDFD */
};

struct ktask {
	struct kernel  *k;
	struct ktask   *next, *prev;	/* all tasks */
	struct ktask   *anext;		/* active list (need_wakeup == 0) */
	uint32_t        active;
	uint32_t        dying;
	uint32_t        boot_service;	/* started by the kernel: no uid quota */
	uint64_t        id;
	pid_t           pid;
	uid_t           uid;
	char            name[UMACH_NAME_MAX];
	struct watch    w_sock, w_bell, w_pid;
	int             memfd;		/* until passed to the task, or -1 */
	struct umach_channel *chan;	/* kernel's mapping; task-writable */
	struct space    space;
	struct port    *kport;		/* task_self(): kobject = this task */
	struct port    *notify;		/* where notifications go */
	int32_t         self_name, notify_name;
	struct umach_counters stats;	/* this task's share of k->stats */
	uint64_t        sends;		/* messages it sent, for the kill knob */
	uint64_t        kill_at;	/* knob: SIGKILL at this send; 0 = off */
	uint32_t        rx_delay_ms;	/* knobs on every port it receives on */
	uint32_t        rx_full_pct;
	/* sys_task.c: send rights the kernel keeps for the task (one
	 * reference each, or NULL); inherited by a forked child. */
	struct port    *registered[TASK_PORT_REGISTER_MAX];
	struct port    *bootstrap, *exception;
	struct act      act[UMACH_SLOTS];
};

/*
 * A monitor connection (the umach tool, protocol.md §11): its requests
 * in, its records out through a queue that the loop flushes.  Records are
 * stored back to back; each one's size follows from its type.
 */
struct monitor {
	struct watch    w;		/* first: the epoll data points here */
	struct monitor *next;
	uint32_t        tracing;
	uint32_t        want_out;	/* EPOLLOUT is armed */
	uint8_t        *out;
	size_t          out_len, out_off, out_cap;
	uint64_t        lost;		/* events dropped, not yet reported */
};

#define KNOBS_STANDING_MAX 32u

struct kernel {
	int           epfd;
	struct watch  w_listen, w_signal;
	char         *sock_path;		/* owned; NULL in unit tests */
	uint32_t      profile;
	uint32_t      backlog_default, backlog_max;
	struct ktask *tasks;
	uint32_t      ntasks;
	struct ktask *active;
	uint64_t      next_task_id, next_port_id;
	uint64_t      nports;			/* live ports, for leak checks */
	uint64_t      nkmsgs;			/* live kmsgs, for leak checks */
	uint64_t      ool_in_flight;		/* bytes_moved of live kmsgs */
	uint64_t      section_bytes;		/* sizes of live sections */
	struct act  **heap;			/* timer min-heap by deadline */
	uint32_t      heap_len, heap_cap;
	uint32_t      spin_us;			/* spin this long after work */
	uint32_t      nhello;			/* attaches awaiting hello */
	struct hello *hellos, *hellos_tail;	/* loop.c: oldest first */
	uint32_t      boot_role;		/* BOOT_*: who attaches now */
	struct port  *name_port;		/* the name server's, or NULL */
	struct port  *env_port;			/* the environment manager's */
	int           stopping;
	struct umach_counters stats;		/* totals over the kernel's life */
	struct monitor *monitors;
	uint32_t      nmonitors, ntracers;	/* tracing: any event costs */
	uint32_t      mon_dirty;		/* records wait to be flushed */
	uint64_t      ev_seq;			/* events made, ever */
	uint64_t      rng;			/* xorshift state: the seed knob */
	struct standing {			/* knobs for tasks by name */
		char     name[UMACH_NAME_MAX];
		uint32_t knob;
		uint64_t value;
	} standing[KNOBS_STANDING_MAX];
	uint32_t      nstanding;
};

/* Count n of counter f for the kernel and for task t (which may be NULL). */
#define KSTAT(k, t, f, n) do {					\
		(k)->stats.f += (n);					\
		if ((t) != NULL)					\
			(t)->stats.f += (n);				\
	} while (0)

/* kernel.c */
int kernel_init(struct kernel *k, uint32_t profile);
void kernel_fini(struct kernel *k);
uint64_t kernel_now_ns(void);
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* space.c */
int space_init(struct space *s, struct ktask *t);
void space_fini(struct space *s);
struct entry *space_lookup(struct space *s, int32_t name);
struct entry *space_lookup_port(struct space *s, struct port *p);
int space_reserve(struct space *s, uint32_t n);
struct entry *space_insert(struct space *s, struct port *p, uint32_t type,
			   struct entry *prealloc);
void space_remove(struct space *s, struct entry *e);
int space_rename(struct space *s, struct entry *e, int32_t new_name);
struct pset *space_lookup_set(struct space *s, int32_t name);
int space_insert_set(struct space *s, struct pset *set);
void space_remove_set(struct space *s, struct pset *set);
int space_rename_set(struct space *s, struct pset *set, int32_t new_name);

/* pset.c: port sets and the default set (reference 1.9, 1.11) */
struct pset *pset_lookup(struct space *s, int32_t name);
int pset_allocate(struct space *s, int32_t *out_name);
void pset_destroy(struct kernel *k, struct pset *set);
void pset_add_port(struct kernel *k, struct pset *set, struct port *p);
void pset_remove_port(struct kernel *k, struct port *p);
void pset_queue_changed(struct port *p);
void pset_rotate(struct port *p);
void pset_space_fini(struct kernel *k, struct space *s);

/* section.c */
int section_create(struct kernel *k, uint64_t size_bytes, struct port **out);
int section_map_fd(const struct port *p, int *out_fd, uint64_t *out_size);
void section_release(struct kernel *k, struct port *p);

/* port.c */
struct port *port_alloc(struct kernel *k);
void port_get(struct port *p);
int port_is_kobject(const struct port *p);
void port_put(struct kernel *k, struct port *p);
int port_allocate_in(struct kernel *k, struct space *s, int32_t *out_name);
void port_drop_rights(struct kernel *k, struct entry *e);
void port_destroy(struct kernel *k, struct port *p);
void port_move_out(struct kernel *k, struct entry *e, uint32_t rights,
		   struct kmsg *m);
uint32_t port_move_in(struct kernel *k, struct entry *e, uint32_t rights,
		      struct kmsg *m);
void port_transit_lost(struct kernel *k, struct port *p, uint32_t rights,
		       struct kmsg *m);
int port_carried_to(const struct port *dest, const struct port *p);
uint32_t port_type_shown(const struct kernel *k, uint32_t type);

/* kmsg.c */
#define KMSG_RPC 1u		/* kmsg_copyin flag: reply port -1 = none */
int kmsg_copyin(struct kernel *k, struct act *a, const uint8_t *buf,
		uint32_t size, uint32_t flags, struct kmsg **out);
/* Preallocated entries for one copy-out (kmsg_copyout_prepare). */
struct kcopyout {
	uint32_t      npre;
	struct entry *pre[KERN_ITEMS_PER_MSG + 1];
};
int kmsg_copyout_prepare(struct kmsg *m, struct space *s, uint32_t cap,
			 struct kcopyout *c);
void kmsg_copyout_cancel(struct kcopyout *c);
int kmsg_send_ool(const struct kmsg *m, const struct act *a);
int kmsg_ool_memfd(const void *data, uint64_t size_bytes);
void kmsg_copyout_finish(struct kernel *k, struct kmsg *m, struct space *s,
			 uint8_t *buf, struct kcopyout *c);
void kmsg_destroy(struct kernel *k, struct kmsg *m);
struct kmsg *kmsg_alloc(struct kernel *k, uint32_t size);

/* ool.c: out-of-line regions a task sends (protocol.md §10) */
int ool_read_notes(struct kernel *k, struct ktask *t);
void ool_drop_note(struct act *a);
int ool_check_fd(int fd, uint64_t size_bytes);

/* msgq.c: the send and receive paths of reference 1.8 and 1.9 */
#define MSGQ_BLOCKED 1		/* not a Mach code: the call now waits */
int msgq_send(struct kernel *k, struct act *a, struct kmsg *m);
int msgq_send_expired(struct kernel *k, struct act *a);
void msgq_send_always(struct kernel *k, struct kmsg *m);
int msgq_receive(struct kernel *k, struct act *a);
struct kmsg *msgq_dequeue(struct kernel *k, struct port *p);
void msgq_wake_senders(struct kernel *k, struct port *p, uint32_t n);
void msgq_fail_receivers(struct kernel *k, struct port *p, struct space *s);
void msgq_deliver_set(struct kernel *k, struct pset *set);
void waitq_remove(struct waitq *q, struct act *a);

/* notify.c */
void notify_send(struct kernel *k, struct ktask *t, int id, int32_t name);
int notify_port_destroyed(struct kernel *k, struct port *p);
uint32_t notify_desc(uint32_t type_name, uint32_t bits);

/* act.c: completing, blocking and timing out calls */
void act_complete(struct kernel *k, struct act *a, int32_t status);
void act_block(struct kernel *k, struct act *a, struct port *p,
	       enum act_state st, uint32_t timeout_ms, int timed);
void act_block_set(struct kernel *k, struct act *a, struct pset *set,
		   uint32_t timeout_ms, int timed);
void act_unblock(struct kernel *k, struct act *a);
void act_abort(struct kernel *k, struct act *a, int32_t status);
void timers_expire(struct kernel *k, uint64_t now_ns);
int timers_next_ms(struct kernel *k, uint64_t now_ns);

/* syscall.c and sys_*.c */
void syscall_dispatch(struct kernel *k, struct act *a);
void sys_msg_send(struct kernel *k, struct act *a);
void sys_send_done(struct kernel *k, struct act *a, int32_t status);
void sys_msg_receive(struct kernel *k, struct act *a);
void sys_msg_rpc(struct kernel *k, struct act *a);
void sys_thread_self(struct kernel *k, struct act *a);
void sys_thread_reply(struct kernel *k, struct act *a);
void sys_slot_release(struct kernel *k, struct act *a);
void act_release_ports(struct kernel *k, struct act *a);
int kobject_dispatch(struct kernel *k, struct kmsg *m);

/* sys_task.c: registered and special ports (reference 1.11, 1.17) */
void task_ports_init(struct kernel *k, struct ktask *t,
		     const struct ktask *parent);
void task_ports_release(struct kernel *k, struct ktask *t);
int32_t task_port_send(struct ktask *t, struct port *p);
#define TASK_NOT_MINE 1		/* not a Mach code: task_dispatch passes */
int task_dispatch(struct kernel *k, struct kmsg *m);

/* ktask.c */
struct ktask *ktask_create(struct kernel *k, pid_t pid, uid_t uid,
			   const char *name);
void ktask_destroy(struct kernel *k, struct ktask *t);
struct ktask *ktask_by_id(struct kernel *k, uint64_t id);
int ktask_service(struct kernel *k, struct ktask *t);

/* boot.c */
#define BOOT_NONE        0u
#define BOOT_NAME_SERVER 1u
#define BOOT_ENV_MGR     2u
void boot_services(struct kernel *k);

/* trace.c: events for tracing monitors; each costs one test when none. */
void trace_msg_(struct kernel *k, uint32_t ev, struct ktask *actor,
		const struct kmsg *m, const struct port *p, int32_t status);
void trace_act_(struct kernel *k, uint32_t ev, const struct act *a,
		int32_t status);
void trace_notify_(struct kernel *k, struct ktask *t, int id, int32_t name);
void trace_right_(struct kernel *k, struct ktask *to, const struct kmsg *m,
		  const struct kitem *it, uint32_t rights);
void trace_port_(struct kernel *k, uint32_t ev, const struct port *p);
void trace_task_(struct kernel *k, uint32_t ev, const struct ktask *t);
void trace_knob_(struct kernel *k, uint32_t knob, const struct ktask *t,
		 const struct port *p, uint64_t value);
#define TRACE(k, fn, ...) do {						\
		if ((k)->ntracers != 0)					\
			trace_##fn##_((k), __VA_ARGS__);		\
	} while (0)

/* monitor.c */
#define MONITORS_MAX 16u
void monitor_attach(struct kernel *k, int fd);
void monitor_event(struct kernel *k, struct monitor *mon, uint32_t events);
void monitor_push(struct kernel *k, struct monitor *mon, const void *rec,
		  uint32_t len, int is_event);
void monitor_flush_all(struct kernel *k);
void monitor_close_all(struct kernel *k);
uint32_t kernel_random(struct kernel *k);
void monitor_task_attached(struct kernel *k, struct ktask *t);

/* loop.c */
struct ktask *loop_attach_fd(struct kernel *k, int fd, pid_t pid);
int loop_listen(struct kernel *k, const char *path);
void loop_close(struct kernel *k);
int loop_watch_add(struct kernel *k, struct watch *w, uint32_t events);
void loop_watch_close(struct kernel *k, struct watch *w);
void kernel_forget_task(struct kernel *k, struct ktask *t);
void task_activate(struct kernel *k, struct ktask *t);
int loop_run(struct kernel *k);

#endif /* UMACH_KERNEL_H */
