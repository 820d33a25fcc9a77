/*
 * The messages of the netname subsystem (tasks/netname/netname.defs) as
 * MIG lays them out under LP64 rule B.  Shared by libumach's client stubs
 * and umach-netnamed until umig generates both (TODO(#4)).
 */
#ifndef UMACH_NETNAME_MSG_H
#define UMACH_NETNAME_MSG_H
#include <mach/message.h>
#include <servers/netname.h>

#define NETNAME_BASE       1040
#define NETNAME_CHECK_IN   (NETNAME_BASE + 0)
#define NETNAME_LOOK_UP    (NETNAME_BASE + 1)
#define NETNAME_CHECK_OUT  (NETNAME_BASE + 2)
#define NETNAME_VERSION    (NETNAME_BASE + 3)

struct netname_check_in_req {
	msg_header_t   Head;
	msg_type_long_t port_nameType;
	netname_name_t port_name;
	msg_type_t     signatureType;
	port_t         signature;
	msg_type_t     port_idType;
	port_t         port_id;
};

struct netname_look_up_req {
	msg_header_t   Head;
	msg_type_long_t host_nameType;
	netname_name_t host_name;
	msg_type_long_t port_nameType;
	netname_name_t port_name;
};

struct netname_check_out_req {
	msg_header_t   Head;
	msg_type_long_t port_nameType;
	netname_name_t port_name;
	msg_type_t     signatureType;
	port_t         signature;
};

struct netname_rc_reply {
	msg_header_t  Head;
	msg_type_t    RetCodeType;
	kern_return_t RetCode;
};

struct netname_look_up_reply {
	msg_header_t  Head;
	msg_type_t    RetCodeType;
	kern_return_t RetCode;
	msg_type_t    port_idType;
	port_t        port_id;
};

struct netname_version_reply {
	msg_header_t   Head;
	msg_type_t     RetCodeType;
	kern_return_t  RetCode;
	msg_type_long_t versionType;
	netname_name_t version;
};

/* A (name, bits, 1, inline) descriptor, as a MIG static type. */
static inline msg_type_t umach_msg_type(unsigned int name, unsigned int bits)
{
	msg_type_t t = { 0 };

	t.msg_type_name = name;
	t.msg_type_size = bits;
	t.msg_type_number = 1;
	t.msg_type_inline = 1;
	return t;
}

/* MIG's longform descriptor, used for types wider than 255 bits. */
static inline msg_type_long_t umach_msg_type_long(unsigned int name,
						  unsigned int bits)
{
	msg_type_long_t t = { { 0 }, 0, 0, 0 };

	t.msg_type_header.msg_type_inline = 1;
	t.msg_type_header.msg_type_longform = 1;
	t.msg_type_long_name = (unsigned short)name;
	t.msg_type_long_size = (unsigned short)bits;
	t.msg_type_long_number = 1;
	return t;
}

static inline int umach_msg_type_long_is(msg_type_long_t t, unsigned int name,
					 unsigned int bits)
{
	return t.msg_type_header.msg_type_longform &&
	       t.msg_type_header.msg_type_inline &&
	       t.msg_type_long_name == name && t.msg_type_long_size == bits &&
	       t.msg_type_long_number == 1;
}

static inline int umach_msg_type_is(msg_type_t t, unsigned int name,
				    unsigned int bits)
{
	return t.msg_type_name == name && t.msg_type_size == bits &&
	       t.msg_type_number == 1 && t.msg_type_inline &&
	       !t.msg_type_longform;
}
#endif
