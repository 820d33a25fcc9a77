/*
 * The kernel's own MIG server: messages sent to a task's kernel port
 * (reference 1.11).  Each request is checked the way a MIG server checks
 * it (exact size, simple, every type descriptor) and answered on its reply
 * port with id + 100: RetCode, then the out-arguments on success, or just
 * the death_pill_t shape on failure.  Decode everything, then act.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mach/mig_errors.h>
#include "kernel.h"
#include "fail.h"

#define HDR ((uint32_t)sizeof(msg_header_t))
#define ARG ((uint32_t)(sizeof(msg_type_t) + 8))	/* descriptor + int, padded */
#define OUT_MAX 8

/* A cursor over a request's arguments or a reply's results. */
struct mig {
	const uint8_t *in;
	uint32_t       in_len, in_pos;
	int            bad;		/* an argument did not type-check */
	int32_t        out[OUT_MAX];
	uint32_t       out_type[OUT_MAX];
	uint32_t       nout;
	const struct kmsg *m;		/* the request (its port items) */
	struct port   *out_port;	/* a MSG_TYPE_PORT result; ref held */
	uint32_t       out_port_idx;	/* its index in out[] */
	uint32_t       has_out_port;
	struct {				/* out-of-line results */
		uint32_t type_name, count;
		int      fd;			/* -1 for an empty array */
		uint32_t shared;		/* a section's memfd (§14) */
	} ool[2];
	uint32_t       nool;
};

#define OOL_ARG ((uint32_t)(sizeof(msg_type_long_t) + sizeof(void *)))

/* The next int-sized argument, which must be (type_name, 32, 1, inline). */
static int32_t arg(struct mig *c, uint32_t type_name)
{
	uint32_t w;
	int32_t v;

	if (c->in_len - c->in_pos < ARG) {
		c->bad = 1;
		return 0;
	}
	memcpy(&w, c->in + c->in_pos, 4);
	memcpy(&v, c->in + c->in_pos + sizeof(msg_type_t), 4);
	c->in_pos += ARG;
	if (w != notify_desc(type_name, 32))
		c->bad = 1;
	return v;
}

static void result(struct mig *c, uint32_t type_name, int32_t v)
{
	c->out_type[c->nout] = type_name;
	c->out[c->nout++] = v;
}

static struct entry *lookup(struct ktask *t, int32_t name)
{
	return space_lookup(&t->space, name);
}

static int k_port_allocate(struct kernel *k, struct ktask *t, struct mig *c)
{
	int32_t name = 0;
	int r = port_allocate_in(k, &t->space, &name);

	result(c, MSG_TYPE_PORT_NAME, name);
	return r;
}

static int k_port_deallocate(struct kernel *k, struct ktask *t, struct mig *c)
{
	struct entry *e = lookup(t, arg(c, MSG_TYPE_PORT_NAME));

	if (c->bad)
		return MIG_BAD_ARGUMENTS;
	if (e == NULL)
		return KERN_INVALID_ARGUMENT;
	port_drop_rights(k, e);
	return KERN_SUCCESS;
}

static int k_port_set_backlog(struct kernel *k, struct ktask *t, struct mig *c)
{
	struct entry *e = lookup(t, arg(c, MSG_TYPE_PORT_NAME));
	int32_t backlog = arg(c, MSG_TYPE_INTEGER_32);

	if (c->bad)
		return MIG_BAD_ARGUMENTS;
	if (e == NULL)
		return KERN_INVALID_ARGUMENT;
	if (!(e->type & RIGHT_RECEIVE))
		return KERN_NOT_RECEIVER;
	if (backlog < 1 || (uint32_t)backlog > k->backlog_max)
		return KERN_INVALID_ARGUMENT;
	uint32_t old = e->port->backlog;
	e->port->backlog = (uint32_t)backlog;
	if ((uint32_t)backlog > old)
		msgq_wake_senders(k, e->port, (uint32_t)backlog - old);
	return KERN_SUCCESS;
}

static int k_port_status(struct kernel *k, struct ktask *t, struct mig *c)
{
	struct entry *e = lookup(t, arg(c, MSG_TYPE_PORT_NAME));

	if (c->bad)
		return MIG_BAD_ARGUMENTS;
	if (e == NULL)
		return KERN_INVALID_ARGUMENT;
	int rcv = (e->type & RIGHT_RECEIVE) != 0;
	struct pset *set = rcv ? e->port->pset : NULL;
	/* A default-set member reports PORT_ENABLED, the name it is received
	 * by (docs/protocol.md §10). */
	result(c, MSG_TYPE_PORT_NAME, set ? set->name : PORT_NULL);
	result(c, MSG_TYPE_INTEGER_32, rcv ? (int32_t)e->port->count : 0);
	result(c, MSG_TYPE_INTEGER_32, rcv ? (int32_t)e->port->backlog : 0);
	result(c, MSG_TYPE_BOOLEAN,
	       (port_type_shown(k, e->type) & RIGHT_OWN) != 0);
	result(c, MSG_TYPE_BOOLEAN, rcv);
	return KERN_SUCCESS;
}

static int k_port_type(struct kernel *k, struct ktask *t, struct mig *c)
{
	int32_t name = arg(c, MSG_TYPE_PORT_NAME);
	struct entry *e = lookup(t, name);

	if (c->bad)
		return MIG_BAD_ARGUMENTS;
	if (e == NULL && space_lookup_set(&t->space, name) != NULL) {
		result(c, MSG_TYPE_INTEGER_32, PORT_TYPE_SET);
		return KERN_SUCCESS;
	}
	if (e == NULL)
		return KERN_INVALID_ARGUMENT;
	result(c, MSG_TYPE_INTEGER_32, (int32_t)port_type_shown(k, e->type));
	return KERN_SUCCESS;
}

static int k_port_rename(struct kernel *k, struct ktask *t, struct mig *c)
{
	int32_t old_name = arg(c, MSG_TYPE_PORT_NAME);
	int32_t new_name = arg(c, MSG_TYPE_PORT_NAME);
	struct entry *e = lookup(t, old_name);
	struct pset *set = space_lookup_set(&t->space, old_name);

	(void)k;
	if (c->bad)
		return MIG_BAD_ARGUMENTS;
	if (set != NULL)
		return space_rename_set(&t->space, set, new_name);
	if (e == NULL)
		return KERN_INVALID_ARGUMENT;
	return space_rename(&t->space, e, new_name);
}

/* A send right to p (or PORT_NULL) as a result; takes p's reference. */
static void result_port(struct mig *c, struct port *p)
{
	c->out_port = p;
	c->out_port_idx = c->nout;
	c->has_out_port = 1;
	result(c, MSG_TYPE_PORT, PORT_NULL);
}

static void drop_out_port(struct kernel *k, struct mig *c)
{
	if (c->out_port != NULL)
		port_put(k, c->out_port);
	c->out_port = NULL;
	c->has_out_port = 0;
}

/*
 * port_set_backup(task, primary, backup, &previous) (reference 1.11):
 * when primary would be destroyed, its receive and ownership rights go to
 * backup in NOTIFY_PORT_DESTROYED instead.  The backup arrives as a send
 * right (MSG_TYPE_PORT item; PORT_NULL clears it); the old one comes back
 * as a send right.  Needs the receive right to primary.
 */
static int k_port_set_backup(struct kernel *k, struct ktask *t, struct mig *c)
{
	struct entry *e = lookup(t, arg(c, MSG_TYPE_PORT_NAME));

	(void)arg(c, MSG_TYPE_PORT);
	if (c->bad || c->m->nitems != 1)
		return MIG_BAD_ARGUMENTS;
	if (e == NULL)
		return KERN_INVALID_ARGUMENT;
	if (!(e->type & RIGHT_RECEIVE))
		return KERN_NOT_RECEIVER;
	struct port *p = e->port, *b = c->m->items[0].port;
	if (b != NULL)
		port_get(b);
	result_port(c, p->backup);	/* the old backup's reference */
	p->backup = b;
	(void)k;
	return KERN_SUCCESS;
}

/* An out-of-line array of count 32-bit values as a result. */
static int result_array(struct kernel *k, struct mig *c, uint32_t type_name,
			const int32_t *v, uint32_t count)
{
	int fd = count ? kmsg_ool_memfd(v, (uint64_t)count * 4) : -1;

	if (count && fd < 0)
		return KERN_RESOURCE_SHORTAGE;
	/* the kernel wrote these bytes itself: a copy, counted as one */
	KSTAT(k, (struct ktask *)NULL, bytes_copied, (uint64_t)count * 4);
	KSTAT(k, (struct ktask *)NULL, ool_bytes_copied, (uint64_t)count * 4);
	c->ool[c->nool].type_name = type_name;
	c->ool[c->nool].count = count;
	c->ool[c->nool].shared = 0;
	c->ool[c->nool++].fd = fd;
	return KERN_SUCCESS;
}

static void drop_arrays(struct mig *c)
{
	for (uint32_t i = 0; i < c->nool; i++)
		if (c->ool[i].fd >= 0)
			close(c->ool[i].fd);
	c->nool = 0;
}

/* port_names: every name of the task and its type, as two OOL arrays. */
static int k_port_names(struct kernel *k, struct ktask *t, struct mig *c)
{
	struct space *s = &t->space;
	int32_t *names = malloc((s->count + 1) * sizeof *names);
	int32_t *types = malloc((s->count + 1) * sizeof *types);
	uint32_t n = 0;
	int r = KERN_RESOURCE_SHORTAGE;

	if (names != NULL && types != NULL) {
		for (uint32_t i = 0; i < s->by_name.cap; i++) {
			struct entry *e = s->by_name.slots[i].val;
			if (e == NULL)
				continue;
			names[n] = e->name;
			types[n++] = (int32_t)port_type_shown(k, e->type);
		}
		for (uint32_t i = 0; i < s->sets.cap; i++) {
			struct pset *set = s->sets.slots[i].val;
			if (set == NULL)
				continue;
			names[n] = set->name;
			types[n++] = PORT_TYPE_SET;
		}
		r = result_array(k, c, MSG_TYPE_PORT_NAME, names, n);
		if (r == KERN_SUCCESS)
			r = result_array(k, c, MSG_TYPE_INTEGER_32, types, n);
		if (r != KERN_SUCCESS)
			drop_arrays(c);
	}
	free(names);
	free(types);
	return r;
}

/* ---- port sets (pset.c; reference 1.9, 1.11) ---- */

static int k_port_set_allocate(struct kernel *k, struct ktask *t,
			       struct mig *c)
{
	int32_t name = 0;
	int r = pset_allocate(&t->space, &name);

	(void)k;
	result(c, MSG_TYPE_PORT_NAME, name);
	return r;
}

static int k_port_set_deallocate(struct kernel *k, struct ktask *t,
				 struct mig *c)
{
	struct pset *set = space_lookup_set(&t->space,
					    arg(c, MSG_TYPE_PORT_NAME));

	if (c->bad)
		return MIG_BAD_ARGUMENTS;
	if (set == NULL)
		return KERN_INVALID_ARGUMENT;	/* the default set included */
	pset_destroy(k, set);
	return KERN_SUCCESS;
}

/* The receive right `name` names in t, checked for a set call. */
static int member_port(struct ktask *t, int32_t name, struct port **out)
{
	struct entry *e = lookup(t, name);

	if (e == NULL)
		return KERN_INVALID_ARGUMENT;
	if (!(e->type & RIGHT_RECEIVE))
		return KERN_NOT_RECEIVER;
	*out = e->port;
	return KERN_SUCCESS;
}

/* Put port into set (PORT_ENABLED: the default set), moving it out of
 * any other; KERN_ALREADY_IN_SET if it is in that set already. */
static int set_add(struct kernel *k, struct ktask *t, int32_t set_name,
		   int32_t port_name)
{
	struct pset *set = pset_lookup(&t->space, set_name);
	struct port *p = NULL;
	int r;

	if (set == NULL)
		return KERN_INVALID_ARGUMENT;
	if ((r = member_port(t, port_name, &p)) != KERN_SUCCESS)
		return r;
	if (p->pset == set)
		return KERN_ALREADY_IN_SET;
	pset_add_port(k, set, p);
	return KERN_SUCCESS;
}

static int k_port_set_add(struct kernel *k, struct ktask *t, struct mig *c)
{
	int32_t set_name = arg(c, MSG_TYPE_PORT_NAME);
	int32_t port_name = arg(c, MSG_TYPE_PORT_NAME);

	if (c->bad)
		return MIG_BAD_ARGUMENTS;
	return set_add(k, t, set_name, port_name);
}

static int k_port_set_remove(struct kernel *k, struct ktask *t,
			     struct mig *c)
{
	int32_t port_name = arg(c, MSG_TYPE_PORT_NAME);
	struct port *p = NULL;
	int r;

	if (c->bad)
		return MIG_BAD_ARGUMENTS;
	if ((r = member_port(t, port_name, &p)) != KERN_SUCCESS)
		return r;
	if (p->pset == NULL)
		return KERN_NOT_IN_SET;
	pset_remove_port(k, p);
	return KERN_SUCCESS;
}

/* port_set_status: the members' names as one out-of-line array. */
static int k_port_set_status(struct kernel *k, struct ktask *t,
			     struct mig *c)
{
	struct pset *set = pset_lookup(&t->space, arg(c, MSG_TYPE_PORT_NAME));
	uint32_t n = 0;

	(void)k;
	if (c->bad)
		return MIG_BAD_ARGUMENTS;
	if (set == NULL)
		return KERN_INVALID_ARGUMENT;
	int32_t *names = umach__malloc((set->nmembers + 1) * sizeof *names);
	if (names == NULL)
		return KERN_RESOURCE_SHORTAGE;
	for (struct port *p = set->members; p != NULL; p = p->snext)
		names[n++] = space_lookup_port(&t->space, p)->name;
	int r = result_array(k, c, MSG_TYPE_PORT_NAME, names, n);
	free(names);
	return r;
}

/* port_enable (Mach 2.0 xxx_port_enable): port_set_add to PORT_ENABLED. */
static int k_port_enable(struct kernel *k, struct ktask *t, struct mig *c)
{
	int32_t port_name = arg(c, MSG_TYPE_PORT_NAME);

	if (c->bad)
		return MIG_BAD_ARGUMENTS;
	return set_add(k, t, PORT_ENABLED_NAME, port_name);
}

/* port_disable: out of the default set; KERN_NOT_IN_SET if not in it
 * (a member of another set stays there). */
static int k_port_disable(struct kernel *k, struct ktask *t, struct mig *c)
{
	int32_t port_name = arg(c, MSG_TYPE_PORT_NAME);
	struct port *p = NULL;
	int r;

	if (c->bad)
		return MIG_BAD_ARGUMENTS;
	if ((r = member_port(t, port_name, &p)) != KERN_SUCCESS)
		return r;
	if (p->pset != &t->space.enabled)
		return KERN_NOT_IN_SET;
	pset_remove_port(k, p);
	return KERN_SUCCESS;
}

/* umach_section_create (protocol.md §14): a new section; its port as a
 * send right in the reply. */
static int k_section_create(struct kernel *k, struct ktask *t, struct mig *c)
{
	int32_t size_bytes = arg(c, MSG_TYPE_INTEGER_32);
	struct port *p = NULL;

	(void)t;
	if (c->bad)
		return MIG_BAD_ARGUMENTS;
	if (size_bytes <= 0)
		return KERN_INVALID_ARGUMENT;
	int r = section_create(k, (uint64_t)size_bytes, &p);
	if (r == KERN_SUCCESS)
		result_port(c, p);
	return r;
}

/* umach_section_map (protocol.md §14): the section's memfd as one
 * out-of-line region flagged shared, which libumach maps MAP_SHARED. */
static int k_section_map(struct kernel *k, struct ktask *t, struct mig *c)
{
	uint64_t size = 0;
	int fd = -1;

	(void)k;
	(void)t;
	int r = section_map_fd(c->m->dest, &fd, &size);
	if (r != KERN_SUCCESS)
		return r;
	c->ool[c->nool].type_name = MSG_TYPE_INTEGER_32;
	c->ool[c->nool].count = (uint32_t)(size / 4);
	c->ool[c->nool].shared = 1;
	c->ool[c->nool++].fd = fd;
	return KERN_SUCCESS;
}

struct kcall {
	int32_t  id;
	uint32_t nargs;
	uint32_t nports;		/* MSG_TYPE_PORT arguments (complex) */
	int    (*fn)(struct kernel *k, struct ktask *t, struct mig *c);
	uint32_t out_port;		/* returns a MSG_TYPE_PORT */
};

/* The task kernel port's routines, by MIG id (subsystem mach, 2000). */
static const struct kcall task_calls[] = {
	{ 2002, 1, 0, k_port_enable, 0 },	/* xxx_port_enable */
	{ 2003, 1, 0, k_port_disable, 0 },	/* xxx_port_disable */
	{ 2073, 0, 0, k_port_names, 0 },
	{ 2074, 1, 0, k_port_type, 0 },
	{ 2075, 2, 0, k_port_rename, 0 },
	{ 2076, 0, 0, k_port_allocate, 0 },
	{ 2077, 1, 0, k_port_deallocate, 0 },
	{ 2078, 2, 0, k_port_set_backlog, 0 },
	{ 2079, 1, 0, k_port_status, 0 },
	{ 2080, 0, 0, k_port_set_allocate, 0 },
	{ 2081, 1, 0, k_port_set_deallocate, 0 },
	{ 2082, 2, 0, k_port_set_add, 0 },
	{ 2083, 1, 0, k_port_set_remove, 0 },
	{ 2084, 1, 0, k_port_set_status, 0 },
	{ 2098, 2, 1, k_port_set_backup, 1 },
	{ UMACH_SECTION_CREATE_ID, 1, 0, k_section_create, 1 },
};

/* A section port's routines (protocol.md §14). */
static const struct kcall section_calls[] = {
	{ UMACH_SECTION_MAP_ID, 0, 0, k_section_map, 0 },
};

static const struct kcall *find_call(const struct port *p, int32_t id)
{
	const struct kcall *calls = task_calls;
	size_t n = sizeof task_calls / sizeof task_calls[0];

	if (p->kotype == KOBJ_SECTION) {
		calls = section_calls;
		n = sizeof section_calls / sizeof section_calls[0];
	} else if (p->kotype != KOBJ_TASK) {
		return NULL;		/* TODO(#3): thread port routines */
	}
	for (size_t i = 0; i < n; i++)
		if (calls[i].id == id)
			return &calls[i];
	return NULL;
}

#define REPLY_MAX (HDR + ARG * (1 + OUT_MAX) + OOL_ARG * 2)

/* Lay out c's out-of-line results at body offset `at`, moving their fds. */
static uint32_t fill_arrays(struct kmsg *rm, struct mig *c, uint32_t at)
{
	for (uint32_t i = 0; i < c->nool; i++, at += OOL_ARG) {
		msg_type_long_t d;
		memset(&d, 0, sizeof d);
		d.msg_type_header.msg_type_longform = 1;
		d.msg_type_long_name = (unsigned short)c->ool[i].type_name;
		d.msg_type_long_size = 32;
		d.msg_type_long_number = c->ool[i].count;
		memcpy(rm->body + at, &d, sizeof d);
		if (c->ool[i].fd < 0)
			continue;
		rm->ool[rm->nool].offset = at + sizeof d;
		rm->ool[rm->nool].fd = c->ool[i].fd;
		rm->ool[rm->nool].flags = c->ool[i].shared ? UMACH_OOL_SHARED : 0;
		rm->ool[rm->nool++].size_bytes = (uint64_t)c->ool[i].count * 4;
	}
	c->nool = 0;
	return at;
}

/* Fill rm, allocated at REPLY_MAX, as the reply to m with r and c's results. */
static void fill_reply(struct kmsg *rm, const struct kmsg *m, int r,
		       struct mig *c)
{
	uint32_t n = r == KERN_SUCCESS ? c->nout : 0;

	memset(rm->body, 0, REPLY_MAX - HDR);
	for (uint32_t i = 0; i <= n; i++) {
		uint32_t w = notify_desc(i ? c->out_type[i - 1] :
					 MSG_TYPE_INTEGER_32, 32);
		int32_t v = i ? c->out[i - 1] : r;
		memcpy(rm->body + ARG * i, &w, 4);
		memcpy(rm->body + ARG * i + sizeof(msg_type_t), &v, 4);
	}
	uint32_t size = HDR + ARG * (1 + n);
	if (r == KERN_SUCCESS)
		size = HDR + fill_arrays(rm, c, ARG * (1 + n));
	drop_arrays(c);
	if (r == KERN_SUCCESS && c->has_out_port) {
		/* rm->items was made for it by kobject_dispatch */
		rm->items[0].offset = ARG * (1 + c->out_port_idx) +
				      sizeof(msg_type_t);
		rm->items[0].name_type = MSG_TYPE_PORT;
		rm->items[0].port = c->out_port;
		rm->nitems = 1;
		c->out_port = NULL;
		c->has_out_port = 0;
	}
	rm->hdr.msg_simple = rm->nool == 0 && rm->nitems == 0;
	rm->hdr.msg_size = size;
	rm->hdr.msg_type = MSG_TYPE_NORMAL;
	/* Any id a task chose, INT_MAX too: wrap, never overflow (UB). */
	rm->hdr.msg_id = (int32_t)((uint32_t)m->hdr.msg_id + 100u);
	rm->simple = rm->hdr.msg_simple;
}

/* The request has the shape call expects: size, and simple or not. */
static int request_fits(const struct kcall *call, const struct kmsg *m)
{
	if (m->hdr.msg_size != HDR + ARG * call->nargs)
		return 0;
	return call->nports ? !m->simple && m->nitems == call->nports :
			      m->simple;
}

/*
 * Serve request m, sent to a kernel port, and queue the reply on its
 * reply port (SEND_ALWAYS).  Consumes m.  An unknown id gets MIG_BAD_ID,
 * a malformed request MIG_BAD_ARGUMENTS; with no reply port the call is
 * still made and its answer dropped.  Returns SEND_SUCCESS, or
 * SEND_KERNEL_REFUSED if there is no memory for the reply: then nothing
 * was done, so a caller never waits for a reply that cannot come.
 */
int kobject_dispatch(struct kernel *k, struct kmsg *m)
{
	const struct kcall *call = find_call(m->dest, m->hdr.msg_id);
	struct mig c = { .in = m->body, .in_len = m->hdr.msg_size - HDR,
			 .m = m };
	struct kmsg *rm = NULL;
	int r = task_dispatch(k, m);		/* sys_task.c's routines */

	if (r != TASK_NOT_MINE)
		return r;
	if (m->reply != NULL && (rm = kmsg_alloc(k, REPLY_MAX)) == NULL) {
		kmsg_destroy(k, m);
		return SEND_KERNEL_REFUSED;
	}
	if (rm != NULL && call != NULL && call->out_port &&
	    (rm->items = umach__calloc(1, sizeof *rm->items)) == NULL) {
		kmsg_destroy(k, rm);
		kmsg_destroy(k, m);
		return SEND_KERNEL_REFUSED;
	}
	if (call == NULL)
		r = MIG_BAD_ID;
	else if (!request_fits(call, m))
		r = MIG_BAD_ARGUMENTS;
	else
		r = call->fn(k, m->dest->kobject, &c);
	if (rm == NULL)
		drop_arrays(&c);
	if (rm == NULL || r != KERN_SUCCESS)
		drop_out_port(k, &c);
	if (rm != NULL) {
		fill_reply(rm, m, r, &c);
		rm->dest = m->reply;	/* the request's reference */
		m->reply = NULL;
		msgq_send_always(k, rm);
	}
	kmsg_destroy(k, m);
	return SEND_SUCCESS;
}
