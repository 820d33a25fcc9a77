/*
 * Client stubs for the calls on a task's kernel port (reference 1.11),
 * port sets and the default set included:
 * each is a MIG request with the real id, sent with msg_rpc to the task
 * port on the thread's reply port, and its reply is checked in MIG's order
 * (id, then size and types, then RetCode).  They are written by hand until
 * umig generates them from a mach.defs (TODO(#4)).
 */
#include <string.h>

#include "internal.h"

#define MAX_ARGS 6

/* One int-sized argument: a descriptor and its value (LP64 rule B). */
struct karg {
	msg_type_t t;
	int32_t    v;
};

struct kmsg_buf {
	msg_header_t head;
	struct karg  arg[MAX_ARGS];
};

static msg_type_t desc(unsigned int type_name)
{
	msg_type_t t;

	memset(&t, 0, sizeof t);
	t.msg_type_name = type_name;
	t.msg_type_size = 32;
	t.msg_type_number = 1;
	t.msg_type_inline = 1;
	return t;
}

static int desc_is(const msg_type_t *t, unsigned int type_name)
{
	msg_type_t want = desc(type_name);

	return memcmp(t, &want, sizeof want) == 0;
}

/* Any of n types is MSG_TYPE_PORT: the message carries a right. */
static int has_port(const unsigned int *types, int n)
{
	for (int i = 0; i < n; i++)
		if (types[i] == MSG_TYPE_PORT)
			return 1;
	return 0;
}

/* Check a reply of nout results; returns its RetCode or a MIG error. */
static kern_return_t check_reply(const struct kmsg_buf *m, int id,
				 const unsigned int *out_types, int nout)
{
	if (m->head.msg_id != id + 100)
		return MIG_REPLY_MISMATCH;
	uint32_t full = sizeof(msg_header_t) + sizeof(struct karg) * (1 + nout);
	uint32_t pill = sizeof(msg_header_t) + sizeof(struct karg);
	if (!desc_is(&m->arg[0].t, MSG_TYPE_INTEGER_32))
		return MIG_TYPE_ERROR;
	if (m->head.msg_size == pill && m->arg[0].v != KERN_SUCCESS)
		return m->arg[0].v;
	if (m->head.msg_size != full ||
	    (m->head.msg_simple == 0) != has_port(out_types, nout))
		return MIG_TYPE_ERROR;
	if (m->arg[0].v != KERN_SUCCESS)
		return m->arg[0].v;
	for (int i = 0; i < nout; i++)
		if (!desc_is(&m->arg[1 + i].t, out_types[i]))
			return MIG_TYPE_ERROR;
	return KERN_SUCCESS;
}

/*
 * Call routine `id` on kernel port `task` with nin int-sized arguments and
 * nout int-sized results.  Returns KERN_SUCCESS with out[] filled, the
 * kernel's KERN_* code, a MIG_* code, or the msg_rpc error.
 */
static kern_return_t kcall(task_t task, int id, const unsigned int *in_types,
			   const int32_t *in, int nin,
			   const unsigned int *out_types, int32_t *out, int nout)
{
	struct kmsg_buf m;

	memset(&m, 0, sizeof m);
	for (int i = 0; i < nin; i++) {
		m.arg[i].t = desc(in_types[i]);
		m.arg[i].v = in[i];
	}
	m.head.msg_simple = !has_port(in_types, nin);
	m.head.msg_size = sizeof(msg_header_t) + sizeof(struct karg) * nin;
	m.head.msg_type = MSG_TYPE_NORMAL | MSG_TYPE_RPC;
	m.head.msg_remote_port = task;
	m.head.msg_local_port = mig_get_reply_port();
	m.head.msg_id = id;
	msg_return_t r = msg_rpc(&m.head, MSG_OPTION_NONE, sizeof m, 0, 0);
	if (r == RCV_INVALID_PORT)
		mig_dealloc_reply_port();
	if (r != RPC_SUCCESS)
		return r;
	kern_return_t kr = check_reply(&m, id, out_types, nout);
	for (int i = 0; kr == KERN_SUCCESS && i < nout; i++)
		out[i] = m.arg[1 + i].v;
	return kr;
}

#define NAME MSG_TYPE_PORT_NAME
#define INT  MSG_TYPE_INTEGER_32
#define BOOL MSG_TYPE_BOOLEAN

kern_return_t port_allocate(task_t task, port_name_t *name)
{
	static const unsigned int ot[] = { NAME };
	int32_t out[1];
	kern_return_t r = kcall(task, 2076, NULL, NULL, 0, ot, out, 1);

	if (r == KERN_SUCCESS)
		*name = out[0];
	return r;
}

kern_return_t port_deallocate(task_t task, port_name_t name)
{
	static const unsigned int it[] = { NAME };

	return kcall(task, 2077, it, &name, 1, NULL, NULL, 0);
}

kern_return_t port_set_backlog(task_t task, port_name_t name, int backlog)
{
	static const unsigned int it[] = { NAME, INT };
	int32_t in[] = { name, backlog };

	return kcall(task, 2078, it, in, 2, NULL, NULL, 0);
}

kern_return_t port_status(task_t task, port_name_t name,
			  port_set_name_t *enabled, int *num_msgs,
			  int *backlog, boolean_t *ownership,
			  boolean_t *receive_rights)
{
	static const unsigned int it[] = { NAME };
	static const unsigned int ot[] = { NAME, INT, INT, BOOL, BOOL };
	int32_t out[5];
	kern_return_t r = kcall(task, 2079, it, &name, 1, ot, out, 5);

	if (r != KERN_SUCCESS)
		return r;
	*enabled = out[0];
	*num_msgs = out[1];
	*backlog = out[2];
	*ownership = out[3];
	*receive_rights = out[4];
	return r;
}

kern_return_t port_type(task_t task, port_name_t name, port_type_t *ptype)
{
	static const unsigned int it[] = { NAME };
	static const unsigned int ot[] = { INT };
	int32_t out[1];
	kern_return_t r = kcall(task, 2074, it, &name, 1, ot, out, 1);

	if (r == KERN_SUCCESS)
		*ptype = out[0];
	return r;
}

kern_return_t port_rename(task_t task, port_name_t old_name,
			  port_name_t new_name)
{
	static const unsigned int it[] = { NAME, NAME };
	int32_t in[] = { old_name, new_name };

	return kcall(task, 2075, it, in, 2, NULL, NULL, 0);
}

/*
 * port_set_backup: when primary would be destroyed, its receive and
 * ownership rights go to backup in NOTIFY_PORT_DESTROYED (reference 1.11).
 * backup PORT_NULL clears it; *previous gets a send right to the old one.
 */
kern_return_t port_set_backup(task_t task, port_name_t primary,
			      port_t backup, port_t *previous)
{
	static const unsigned int it[] = { NAME, MSG_TYPE_PORT };
	static const unsigned int ot[] = { MSG_TYPE_PORT };
	int32_t in[] = { primary, backup };
	int32_t out[1];
	kern_return_t r = kcall(task, 2098, it, in, 2, ot, out, 1);

	if (r == KERN_SUCCESS)
		*previous = out[0];
	return r;
}

/*
 * port_names: every name in task's space and its type, as two out-of-line
 * arrays that the caller gives back with vm_deallocate.
 */
kern_return_t port_names(task_t task, port_name_array_t *names,
			 unsigned int *namesCnt, port_type_array_t *types,
			 unsigned int *typesCnt)
{
	struct {
		msg_header_t    Head;
		msg_type_t      RetCodeType;
		kern_return_t   RetCode;
		msg_type_long_t namesType;
		port_name_t    *names;
		msg_type_long_t typesType;
		port_type_t    *types;
	} m;

	memset(&m, 0, sizeof m);
	m.Head.msg_simple = TRUE;
	m.Head.msg_size = sizeof(msg_header_t);
	m.Head.msg_type = MSG_TYPE_NORMAL | MSG_TYPE_RPC;
	m.Head.msg_remote_port = task;
	m.Head.msg_local_port = mig_get_reply_port();
	m.Head.msg_id = 2073;
	msg_return_t r = msg_rpc(&m.Head, MSG_OPTION_NONE, sizeof m, 0, 0);
	if (r == RCV_INVALID_PORT)
		mig_dealloc_reply_port();
	if (r != RPC_SUCCESS)
		return r;
	if (m.Head.msg_id != 2073 + 100)
		return MIG_REPLY_MISMATCH;
	if (!desc_is(&m.RetCodeType, MSG_TYPE_INTEGER_32))
		return MIG_TYPE_ERROR;
	if (m.RetCode != KERN_SUCCESS)
		return m.RetCode;
	if (m.Head.msg_size != sizeof m || m.Head.msg_simple ||
	    !m.namesType.msg_type_header.msg_type_longform ||
	    m.namesType.msg_type_header.msg_type_inline ||
	    m.namesType.msg_type_long_name != MSG_TYPE_PORT_NAME ||
	    m.typesType.msg_type_header.msg_type_inline ||
	    m.typesType.msg_type_long_number != m.namesType.msg_type_long_number)
		return MIG_TYPE_ERROR;
	*names = m.names;
	*namesCnt = m.namesType.msg_type_long_number;
	*types = m.types;
	*typesCnt = m.typesType.msg_type_long_number;
	return KERN_SUCCESS;
}

/* ---- port sets (reference 1.9, 1.11) ---- */

kern_return_t port_set_allocate(task_t task, port_set_name_t *set_name)
{
	static const unsigned int ot[] = { NAME };
	int32_t out[1];
	kern_return_t r = kcall(task, 2080, NULL, NULL, 0, ot, out, 1);

	if (r == KERN_SUCCESS)
		*set_name = out[0];
	return r;
}

kern_return_t port_set_deallocate(task_t task, port_set_name_t set_name)
{
	static const unsigned int it[] = { NAME };

	return kcall(task, 2081, it, &set_name, 1, NULL, NULL, 0);
}

kern_return_t port_set_add(task_t task, port_set_name_t set_name,
			   port_name_t port_name)
{
	static const unsigned int it[] = { NAME, NAME };
	int32_t in[] = { set_name, port_name };

	return kcall(task, 2082, it, in, 2, NULL, NULL, 0);
}

kern_return_t port_set_remove(task_t task, port_name_t port_name)
{
	static const unsigned int it[] = { NAME };

	return kcall(task, 2083, it, &port_name, 1, NULL, NULL, 0);
}

/* Mach 2.0's xxx_port_enable: into the default set (PORT_ENABLED). */
kern_return_t port_enable(task_t task, port_name_t port_name)
{
	static const unsigned int it[] = { NAME };

	return kcall(task, 2002, it, &port_name, 1, NULL, NULL, 0);
}

kern_return_t port_disable(task_t task, port_name_t port_name)
{
	static const unsigned int it[] = { NAME };

	return kcall(task, 2003, it, &port_name, 1, NULL, NULL, 0);
}

/*
 * port_set_status: the names of set_name's members as an out-of-line
 * array that the caller gives back with vm_deallocate (none when the set
 * is empty: *members is then 0 and *membersCnt 0).
 */
kern_return_t port_set_status(task_t task, port_set_name_t set_name,
			      port_name_array_t *members,
			      unsigned int *membersCnt)
{
	union {
		struct {
			msg_header_t    Head;
			struct karg     set;
		} req;
		struct {
			msg_header_t    Head;
			msg_type_t      RetCodeType;
			kern_return_t   RetCode;
			msg_type_long_t membersType;
			port_name_t    *members;
		} rep;
	} u;

	memset(&u, 0, sizeof u);
	u.req.set.t = desc(NAME);
	u.req.set.v = set_name;
	u.req.Head.msg_simple = TRUE;
	u.req.Head.msg_size = sizeof u.req;
	u.req.Head.msg_type = MSG_TYPE_NORMAL | MSG_TYPE_RPC;
	u.req.Head.msg_remote_port = task;
	u.req.Head.msg_local_port = mig_get_reply_port();
	u.req.Head.msg_id = 2084;
	msg_return_t r = msg_rpc(&u.req.Head, MSG_OPTION_NONE, sizeof u.rep,
				 0, 0);
	if (r == RCV_INVALID_PORT)
		mig_dealloc_reply_port();
	if (r != RPC_SUCCESS)
		return r;
	if (u.rep.Head.msg_id != 2084 + 100)
		return MIG_REPLY_MISMATCH;
	if (!desc_is(&u.rep.RetCodeType, MSG_TYPE_INTEGER_32))
		return MIG_TYPE_ERROR;
	if (u.rep.RetCode != KERN_SUCCESS)
		return u.rep.RetCode;
	if (u.rep.Head.msg_size != sizeof u.rep ||
	    !u.rep.membersType.msg_type_header.msg_type_longform ||
	    u.rep.membersType.msg_type_header.msg_type_inline ||
	    u.rep.membersType.msg_type_long_name != MSG_TYPE_PORT_NAME)
		return MIG_TYPE_ERROR;
	*members = u.rep.members;
	*membersCnt = u.rep.membersType.msg_type_long_number;
	return KERN_SUCCESS;
}
