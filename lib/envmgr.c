/*
 * Client stubs of the env_mgr subsystem (<servers/env_mgr.h>): each builds
 * the MIG request of tasks/envmgr/env_mgr.defs, calls msg_rpc on the
 * thread's reply port and checks the reply in MIG's order.  The list calls
 * return their arrays in vm_allocate'd memory, as Mach's out-of-line
 * arrays were, so the caller gives them back with vm_deallocate.  Written
 * by hand until umig generates them (TODO(#4)).
 *
 * Every call blocks until the manager answers and returns ENV_SUCCESS or
 * one of the server's codes (ENV_VAR_NOT_FOUND, ENV_WRONG_VAR_TYPE,
 * ENV_PORT_NULL, ENV_PORT_TABLE_FULL, KERN_INVALID_ARGUMENT for a name or
 * value too long for its array), a MIG_* code for a malformed reply, or
 * the msg_rpc error (SEND_INVALID_PORT: no such port or right).  Out
 * arguments are written only on success; the list calls'
 * arrays are NULL when the count is 0.
 */
#include <string.h>

#include <umach/env_mgr_msg.h>
#include <umach/msg_desc.h>
#include "internal.h"

/*
 * MIG copies a string argument into its fixed-size field; one that does
 * not fit arrives without its NUL and the server refuses it.
 */
static void put_str(msg_type_long_t *t, char *dst, const char *src,
		    size_t size, unsigned int bits)
{
	*t = umach_msg_type_long(MSG_TYPE_STRING, bits);
	memset(dst, 0, size);
	if (src != NULL)
		strncpy(dst, src, size);
}

static void head(msg_header_t *h, port_t server, uint32_t size, int id,
		 int simple)
{
	h->msg_simple = simple;
	h->msg_size = size;
	h->msg_type = MSG_TYPE_NORMAL | MSG_TYPE_RPC;
	h->msg_remote_port = server;
	h->msg_local_port = mig_get_reply_port();
	h->msg_id = id;
}

/* msg_rpc, then the reply checks common to every routine. */
static kern_return_t rpc(msg_header_t *h, uint32_t rcv_size, int id)
{
	struct env_rc_reply *r = (struct env_rc_reply *)h;
	msg_return_t mr = msg_rpc(h, MSG_OPTION_NONE, rcv_size, 0, 0);

	if (mr == RCV_INVALID_PORT)
		mig_dealloc_reply_port();
	if (mr != RPC_SUCCESS)
		return mr;
	if (h->msg_id != id + 100)
		return MIG_REPLY_MISMATCH;
	if (h->msg_size < sizeof *r ||
	    !umach_msg_type_is(r->RetCodeType, MSG_TYPE_INTEGER_32, 32))
		return MIG_TYPE_ERROR;
	return r->RetCode;
}

/* A routine whose request is one name and whose reply is its RetCode. */
static kern_return_t name_call(port_t port, char *env_name, int id)
{
	union {
		struct env_name_req req;
		struct env_rc_reply rep;
	} m;

	memset(&m, 0, sizeof m);
	head(&m.req.Head, port, sizeof m.req, id, TRUE);
	put_str(&m.req.env_nameType, m.req.env_name, env_name,
		sizeof m.req.env_name, ENV_NAME_BITS);
	kern_return_t r = rpc(&m.req.Head, sizeof m, id);
	if (r == KERN_SUCCESS && m.rep.Head.msg_size != sizeof m.rep)
		return MIG_TYPE_ERROR;
	return r;
}

kern_return_t env_set_string(port_t port, char *env_name, char *env_val)
{
	union {
		struct env_set_string_req req;
		struct env_rc_reply rep;
	} m;

	memset(&m, 0, sizeof m);
	head(&m.req.Head, port, sizeof m.req, ENV_SET_STRING, TRUE);
	put_str(&m.req.env_nameType, m.req.env_name, env_name,
		sizeof m.req.env_name, ENV_NAME_BITS);
	put_str(&m.req.env_valType, m.req.env_val, env_val,
		sizeof m.req.env_val, ENV_VAL_BITS);
	kern_return_t r = rpc(&m.req.Head, sizeof m, ENV_SET_STRING);
	if (r == KERN_SUCCESS && m.rep.Head.msg_size != sizeof m.rep)
		return MIG_TYPE_ERROR;
	return r;
}

kern_return_t env_get_string(port_t port, char *env_name, char *env_val)
{
	union {
		struct env_name_req req;
		struct env_get_string_reply rep;
	} m;

	memset(&m, 0, sizeof m);
	head(&m.req.Head, port, sizeof m.req, ENV_GET_STRING, TRUE);
	put_str(&m.req.env_nameType, m.req.env_name, env_name,
		sizeof m.req.env_name, ENV_NAME_BITS);
	kern_return_t r = rpc(&m.req.Head, sizeof m, ENV_GET_STRING);
	if (r != KERN_SUCCESS)
		return r;
	if (m.rep.Head.msg_size != sizeof m.rep ||
	    !umach_msg_type_long_is(m.rep.env_valType, MSG_TYPE_STRING,
				    ENV_VAL_BITS))
		return MIG_TYPE_ERROR;
	memcpy(env_val, m.rep.env_val, sizeof(env_str_val_t));
	env_val[sizeof(env_str_val_t) - 1] = '\0';
	return KERN_SUCCESS;
}

kern_return_t env_del_string(port_t port, char *env_name)
{
	return name_call(port, env_name, ENV_DEL_STRING);
}

kern_return_t env_set_port(port_t port, char *env_name, port_t env_val)
{
	union {
		struct env_set_port_req req;
		struct env_rc_reply rep;
	} m;

	memset(&m, 0, sizeof m);
	head(&m.req.Head, port, sizeof m.req, ENV_SET_PORT, FALSE);
	put_str(&m.req.env_nameType, m.req.env_name, env_name,
		sizeof m.req.env_name, ENV_NAME_BITS);
	m.req.env_valType = umach_msg_type(MSG_TYPE_PORT, 32);
	m.req.env_val = env_val;
	kern_return_t r = rpc(&m.req.Head, sizeof m, ENV_SET_PORT);
	if (r == KERN_SUCCESS && m.rep.Head.msg_size != sizeof m.rep)
		return MIG_TYPE_ERROR;
	return r;
}

kern_return_t env_get_port(port_t port, char *env_name, port_t *env_val)
{
	union {
		struct env_name_req req;
		struct env_get_port_reply rep;
	} m;

	memset(&m, 0, sizeof m);
	head(&m.req.Head, port, sizeof m.req, ENV_GET_PORT, TRUE);
	put_str(&m.req.env_nameType, m.req.env_name, env_name,
		sizeof m.req.env_name, ENV_NAME_BITS);
	kern_return_t r = rpc(&m.req.Head, sizeof m, ENV_GET_PORT);
	if (r != KERN_SUCCESS)
		return r;
	if (m.rep.Head.msg_size != sizeof m.rep ||
	    !umach_msg_type_is(m.rep.env_valType, MSG_TYPE_PORT, 32))
		return MIG_TYPE_ERROR;
	*env_val = m.rep.env_val;
	return KERN_SUCCESS;
}

kern_return_t env_del_port(port_t port, char *env_name)
{
	return name_call(port, env_name, ENV_DEL_PORT);
}

/* Copy count elements of size bytes into fresh vm_allocate'd memory. */
static kern_return_t copy_out(const void *src, size_t size,
			      unsigned int count, void **out)
{
	vm_address_t a;

	*out = NULL;
	if (count == 0)
		return KERN_SUCCESS;
	if (vm_allocate(task_self(), &a, size * count, TRUE) != KERN_SUCCESS)
		return KERN_RESOURCE_SHORTAGE;
	memcpy((void *)a, src, size * count);
	*out = (void *)a;
	return KERN_SUCCESS;
}

/*
 * The list calls: after RetCode, count names and count values inline
 * (env_mgr_msg.h).  Checks the layout against the reply's size, then
 * copies both arrays out.
 */
static kern_return_t list(port_t port, int id, void **names,
			  unsigned int *namesCnt, void **vals,
			  unsigned int *valsCnt)
{
	union {
		msg_header_t h;
		struct env_list_reply rep;
		char raw[MSG_SIZE_MAX];
	} m;
	int ports = id == ENV_LIST_PORTS;
	size_t vsize = ports ? sizeof(port_t) : sizeof(env_str_val_t);

	memset(&m.rep, 0, sizeof m.rep);
	head(&m.h, port, sizeof m.h, id, TRUE);
	kern_return_t r = rpc(&m.h, sizeof m, id);
	if (r != KERN_SUCCESS)
		return r;
	uint32_t n = m.rep.env_namesType.msg_type_long_number;
	size_t at = sizeof m.rep + n * sizeof(env_name_t);
	size_t vdesc = ports ? sizeof(msg_type_t) : sizeof(msg_type_long_t);
	if (!m.rep.env_namesType.msg_type_header.msg_type_longform ||
	    m.rep.env_namesType.msg_type_long_name != MSG_TYPE_STRING ||
	    n > (ports ? ENV_PORTS_MAX : ENV_STRINGS_MAX) ||
	    m.h.msg_size < at + vdesc + n * vsize || m.h.msg_simple != !ports)
		return MIG_TYPE_ERROR;
	r = copy_out(m.raw + sizeof m.rep, sizeof(env_name_t), n, names);
	if (r == KERN_SUCCESS)
		r = copy_out(m.raw + at + vdesc, vsize, n, vals);
	if (r != KERN_SUCCESS) {
		if (*names != NULL)
			vm_deallocate(task_self(), (vm_address_t)*names,
				      n * sizeof(env_name_t));
		return r;
	}
	*namesCnt = *valsCnt = n;
	return KERN_SUCCESS;
}

kern_return_t env_list_strings(port_t port, env_name_list *env_names,
			       unsigned int *env_namesCnt,
			       env_str_list *env_string_vals,
			       unsigned int *env_string_valsCnt)
{
	return list(port, ENV_LIST_STRINGS, (void **)env_names, env_namesCnt,
		    (void **)env_string_vals, env_string_valsCnt);
}

kern_return_t env_list_ports(port_t port, env_name_list *env_names,
			     unsigned int *env_namesCnt,
			     port_array_t *env_port_vals,
			     unsigned int *env_port_valsCnt)
{
	return list(port, ENV_LIST_PORTS, (void **)env_names, env_namesCnt,
		    (void **)env_port_vals, env_port_valsCnt);
}

/*
 * The set-list calls: count names and count values inline, in one request
 * (env_mgr_msg.h).  MIG_ARRAY_TOO_LARGE if a count passes the manager's
 * limit (ENV_STRINGS_MAX, ENV_PORTS_MAX), as for a bounded MIG array.
 */
static kern_return_t set_list(port_t port, int id, const void *names,
			      unsigned int namesCnt, const void *vals,
			      unsigned int valsCnt)
{
	union {
		msg_header_t h;
		struct env_rc_reply rep;
		uint64_t align;
		char raw[MSG_SIZE_MAX];
	} m;
	int ports = id == ENV_SET_PTLIST;
	unsigned int max = ports ? ENV_PORTS_MAX : ENV_STRINGS_MAX;
	size_t vsize = ports ? sizeof(port_t) : sizeof(env_str_val_t);

	if (namesCnt > max || valsCnt > max)
		return MIG_ARRAY_TOO_LARGE;
	memset(&m, 0, sizeof m);
	size_t at = sizeof m.h;
	msg_type_long_t t = umach_msg_type_long(MSG_TYPE_STRING, ENV_NAME_BITS);
	t.msg_type_long_number = namesCnt;
	memcpy(m.raw + at, &t, sizeof t);
	at += sizeof t;
	if (namesCnt > 0)
		memcpy(m.raw + at, names, namesCnt * sizeof(env_name_t));
	at += namesCnt * sizeof(env_name_t);
	if (ports) {
		msg_type_t pt = umach_msg_type(MSG_TYPE_PORT, 32);
		pt.msg_type_number = valsCnt;
		memcpy(m.raw + at, &pt, sizeof pt);
		at += sizeof pt;
	} else {
		t = umach_msg_type_long(MSG_TYPE_STRING, ENV_VAL_BITS);
		t.msg_type_long_number = valsCnt;
		memcpy(m.raw + at, &t, sizeof t);
		at += sizeof t;
	}
	if (valsCnt > 0)
		memcpy(m.raw + at, vals, valsCnt * vsize);
	at = (at + valsCnt * vsize + 7) & ~(size_t)7;
	head(&m.h, port, (uint32_t)at, id, !ports);
	kern_return_t r = rpc(&m.h, sizeof m, id);
	if (r == KERN_SUCCESS && m.rep.Head.msg_size != sizeof m.rep)
		return MIG_TYPE_ERROR;
	return r;
}

kern_return_t env_set_stlist(port_t port, env_name_list env_names,
			     unsigned int env_namesCnt,
			     env_str_list env_string_vals,
			     unsigned int env_string_valsCnt)
{
	return set_list(port, ENV_SET_STLIST, env_names, env_namesCnt,
			env_string_vals, env_string_valsCnt);
}

kern_return_t env_set_ptlist(port_t port, env_name_list env_names,
			     unsigned int env_namesCnt,
			     port_array_t env_port_vals,
			     unsigned int env_port_valsCnt)
{
	return set_list(port, ENV_SET_PTLIST, env_names, env_namesCnt,
			env_port_vals, env_port_valsCnt);
}
