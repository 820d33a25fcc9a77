/*
 * Client stubs of the netname subsystem (<servers/netname.h>): each builds
 * the MIG request of tasks/netname/netname.defs, calls msg_rpc on the
 * thread's reply port and checks the reply in MIG's order.  Written by
 * hand until umig generates them (TODO(#4)).
 */
#include <string.h>

#include <umach/netname_msg.h>
#include "internal.h"

static void put_name(msg_type_long_t *t, netname_name_t dst, const char *src)
{
	*t = umach_msg_type_long(MSG_TYPE_STRING, 640);
	memset(dst, 0, sizeof(netname_name_t));
	if (src != NULL)
		strncpy(dst, src, sizeof(netname_name_t) - 1);
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
	struct netname_rc_reply *r = (struct netname_rc_reply *)h;
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

kern_return_t netname_check_in(port_t server_port, char *port_name,
			       port_t signature, port_t port_id)
{
	union {
		struct netname_check_in_req req;
		struct netname_rc_reply rep;
	} m;

	memset(&m, 0, sizeof m);
	head(&m.req.Head, server_port, sizeof m.req, NETNAME_CHECK_IN, FALSE);
	put_name(&m.req.port_nameType, m.req.port_name, port_name);
	m.req.signatureType = umach_msg_type(MSG_TYPE_PORT, 32);
	m.req.signature = signature;
	m.req.port_idType = umach_msg_type(MSG_TYPE_PORT, 32);
	m.req.port_id = port_id;
	kern_return_t r = rpc(&m.req.Head, sizeof m, NETNAME_CHECK_IN);
	if (r == KERN_SUCCESS && m.rep.Head.msg_size != sizeof m.rep)
		return MIG_TYPE_ERROR;
	return r;
}

kern_return_t netname_look_up(port_t server_port, char *host_name,
			      char *port_name, port_t *port_id)
{
	union {
		struct netname_look_up_req req;
		struct netname_look_up_reply rep;
	} m;

	memset(&m, 0, sizeof m);
	head(&m.req.Head, server_port, sizeof m.req, NETNAME_LOOK_UP, TRUE);
	put_name(&m.req.host_nameType, m.req.host_name, host_name);
	put_name(&m.req.port_nameType, m.req.port_name, port_name);
	kern_return_t r = rpc(&m.req.Head, sizeof m, NETNAME_LOOK_UP);
	if (r != KERN_SUCCESS)
		return r;
	if (m.rep.Head.msg_size != sizeof m.rep ||
	    !umach_msg_type_is(m.rep.port_idType, MSG_TYPE_PORT, 32))
		return MIG_TYPE_ERROR;
	*port_id = m.rep.port_id;
	return KERN_SUCCESS;
}

kern_return_t netname_check_out(port_t server_port, char *port_name,
				port_t signature)
{
	union {
		struct netname_check_out_req req;
		struct netname_rc_reply rep;
	} m;

	memset(&m, 0, sizeof m);
	head(&m.req.Head, server_port, sizeof m.req, NETNAME_CHECK_OUT, FALSE);
	put_name(&m.req.port_nameType, m.req.port_name, port_name);
	m.req.signatureType = umach_msg_type(MSG_TYPE_PORT, 32);
	m.req.signature = signature;
	return rpc(&m.req.Head, sizeof m, NETNAME_CHECK_OUT);
}

kern_return_t netname_version(port_t server_port, char *version)
{
	union {
		msg_header_t req;
		struct netname_version_reply rep;
	} m;

	memset(&m, 0, sizeof m);
	head(&m.req, server_port, sizeof m.req, NETNAME_VERSION, TRUE);
	kern_return_t r = rpc(&m.req, sizeof m, NETNAME_VERSION);
	if (r != KERN_SUCCESS)
		return r;
	if (m.rep.Head.msg_size != sizeof m.rep ||
	    !umach_msg_type_long_is(m.rep.versionType, MSG_TYPE_STRING, 640))
		return MIG_TYPE_ERROR;
	memcpy(version, m.rep.version, sizeof(netname_name_t));
	version[sizeof(netname_name_t) - 1] = '\0';
	return KERN_SUCCESS;
}
