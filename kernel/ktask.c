/*
 * Tasks in the kernel: creation (channel memfd, space, kernel port and
 * notify port; reference 1.17 item 6), servicing the slots a task posted,
 * and destruction, which takes every right away in the xnu order (receive
 * rights first) so that the right notifications go out (reference 1.1).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel.h"
#include "fail.h"

static int channel_create(struct ktask *t, int *out_fd)
{
	size_t bytes = sizeof(struct umach_channel);
	int fd = memfd_create("umach-channel", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)bytes) != 0)
		goto fail_close;
	/* A task must not be able to shrink the region under us (A4). */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
		goto fail_close;
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail_close;
	t->chan = p;
	atomic_store(&t->chan->need_wakeup, 1);
	*out_fd = fd;
	return 0;
fail_close:
	close(fd);
	return -1;
}

static int special_ports(struct kernel *k, struct ktask *t)
{
	struct entry *e;

	if (space_reserve(&t->space, 2) != KERN_SUCCESS)
		return -1;
	t->kport = port_alloc(k);
	if (t->kport == NULL)
		return -1;
	t->kport->kobject = t;
	t->kport->kotype = KOBJ_TASK;
	e = space_insert(&t->space, t->kport, PORT_TYPE_SEND, NULL);
	if (e == NULL)
		return -1;
	t->self_name = e->name;
	if (port_allocate_in(k, &t->space, &t->notify_name) != KERN_SUCCESS)
		return -1;
	t->notify = space_lookup(&t->space, t->notify_name)->port;
	port_get(t->notify);
	return 0;
}

static uint32_t tasks_of_uid(struct kernel *k, uid_t uid)
{
	uint32_t n = 0;

	for (struct ktask *t = k->tasks; t != NULL; t = t->next)
		n += t->uid == uid && !t->boot_service;
	return n;
}

/*
 * A new task with its channel (mapped here; its memfd is returned in
 * t->memfd for the caller to pass on and close), its kernel port, its
 * notify port and the boot services in its registered ports.  Returns NULL
 * if a resource ran out, or if the kernel already has KERN_TASKS_MAX tasks
 * or uid already has KERN_TASKS_PER_UID (reliability C7); nothing is left
 * behind.
 */
struct ktask *ktask_create(struct kernel *k, pid_t pid, uid_t uid,
			   const char *name)
{
	if (k->ntasks >= KERN_TASKS_MAX ||
	    tasks_of_uid(k, uid) >= KERN_TASKS_PER_UID)
		return NULL;
	struct ktask *t = umach__calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	t->k = k;
	t->boot_service = k->boot_role != BOOT_NONE;
	t->id = ++k->next_task_id;
	t->pid = pid;
	t->uid = uid;
	snprintf(t->name, sizeof t->name, "%s", name ? name : "");
	t->memfd = t->w_sock.fd = t->w_bell.fd = t->w_pid.fd = -1;
	for (uint32_t i = 0; i < UMACH_SLOTS; i++) {
		t->act[i].task = t;
		t->act[i].slot = i;
		t->act[i].heap_idx = -1;
	}
	space_init(&t->space, t);
	t->next = k->tasks;
	if (k->tasks)
		k->tasks->prev = t;
	k->tasks = t;
	k->ntasks++;
	if (channel_create(t, &t->memfd) != 0 || special_ports(k, t) != 0) {
		ktask_destroy(k, t);
		return NULL;
	}
	task_ports_init(k, t, NULL);
	return t;
}

struct ktask *ktask_by_id(struct kernel *k, uint64_t id)
{
	for (struct ktask *t = k->tasks; t != NULL; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

/*
 * Remove every entry of s; with receive_only, only those holding a receive
 * right.  Removing one entry can remove others (a port dies), so the walk
 * re-reads each slot and repeats until a pass removes nothing.
 */
static void drop_entries(struct kernel *k, struct space *s, int receive_only)
{
	int again = 1;

	while (again) {
		again = 0;
		for (uint32_t i = 0; i < s->by_name.cap; i++) {
			struct entry *e = s->by_name.slots[i].val;
			if (e == NULL || (receive_only && !(e->type & RIGHT_RECEIVE)))
				continue;
			port_drop_rights(k, e);
			again = 1;
			i--;		/* a backward shift may fill slot i */
		}
	}
}

/*
 * Take task t out of the kernel: abort its calls, drop every right (with
 * the notifications that owes others), destroy its kernel port, unmap its
 * channel and close its descriptors.  Never fails, never allocates except
 * for notifications.
 */
void ktask_destroy(struct kernel *k, struct ktask *t)
{
	if (t->w_sock.fd >= 0)		/* it had attached */
		TRACE(k, task, UMACH_EV_EXIT, t);
	t->dying = 1;
	for (uint32_t i = 0; i < UMACH_SLOTS; i++) {
		act_abort(k, &t->act[i], KERN_FAILURE);
		act_release_ports(k, &t->act[i]);
		ool_drop_note(&t->act[i]);
	}
	pset_space_fini(k, &t->space);
	drop_entries(k, &t->space, 1);
	drop_entries(k, &t->space, 0);
	space_fini(&t->space);
	task_ports_release(k, t);
	if (t->kport != NULL) {
		port_destroy(k, t->kport);
		t->kport = NULL;
	}
	if (t->notify != NULL)
		port_put(k, t->notify);
	kernel_forget_task(k, t);
	if (t->chan != NULL)
		munmap(t->chan, sizeof(struct umach_channel));
	if (t->memfd >= 0)
		close(t->memfd);
	if (t->prev)
		t->prev->next = t->next;
	else
		k->tasks = t->next;
	if (t->next)
		t->next->prev = t->prev;
	k->ntasks--;
	free(t);
}

/* Copy a new request out of slot i into its activation and run it. */
static void start_call(struct kernel *k, struct act *a, struct umach_slot *s,
		       uint32_t seq)
{
	struct {
		uint32_t call;
		int32_t  option;
		uint32_t send_size, rcv_size, send_timeout_ms, rcv_timeout_ms;
		int32_t  rcv_name;
	} req;

	memcpy(&req, &s->call, sizeof req);	/* the one read of the request */
	a->seq = seq;
	a->call = req.call;
	a->option = req.option;
	a->rcv_size = req.rcv_size;
	a->send_timeout_ms = req.send_timeout_ms;
	a->rcv_timeout_ms = req.rcv_timeout_ms;
	a->rcv_name = req.rcv_name;
	atomic_store(&s->cancel, 0);
	syscall_dispatch(k, a);
}

/* A blocked call whose thread asked to be interrupted (reference 1.5). */
static void interrupt_call(struct kernel *k, struct act *a)
{
	if ((a->state == ACT_SEND_WAIT || a->state == ACT_DELAY) &&
	    (a->option & SEND_INTERRUPT))
		act_abort(k, a, SEND_INTERRUPTED);
	else if (a->state == ACT_RCV_WAIT && (a->option & RCV_INTERRUPT))
		act_abort(k, a, RCV_INTERRUPTED);
}

/*
 * Serve the slots task t flagged in its pending word, at most
 * KERN_CALLS_PER_PASS of them; the rest go back into pending for the next
 * pass, so that a task flooding its channel gets no more of a pass than a
 * few calls while every other active task waits (reliability A5, the
 * dispatch budget).  A slot whose req_seq moved while the kernel was idle
 * for it carries a new call; a flag on a busy slot can only be an
 * interrupt request.  Everything else is a hint and ignored.  Returns how
 * many slots were served.
 */
int ktask_service(struct kernel *k, struct ktask *t)
{
	uint64_t bits = atomic_exchange(&t->chan->pending, 0);
	int n = 0;

	while (bits != 0) {
		if (n == KERN_CALLS_PER_PASS) {
			atomic_fetch_or(&t->chan->pending, bits);
			break;
		}
		uint32_t i = (uint32_t)__builtin_ctzll(bits);
		struct umach_slot *s = &t->chan->slot[i];
		struct act *a = &t->act[i];
		uint32_t seq = atomic_load_explicit(&s->req_seq,
						    memory_order_acquire);

		bits &= bits - 1;
		n++;
		if (a->call != UMACH_CALL_NONE) {
			if (atomic_exchange(&s->cancel, 0))
				interrupt_call(k, a);
		} else if (seq != a->seq) {
			start_call(k, a, s, seq);
		}
	}
	return n;
}
