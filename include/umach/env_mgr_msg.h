/*
 * The messages of the env_mgr subsystem (tasks/envmgr/env_mgr.defs) as
 * MIG lays them out under LP64 rule B: an env_name_t is a longform
 * (MSG_TYPE_STRING, 640) item of 80 bytes, an env_str_val_t one of 2048
 * bits (256 bytes).  The list replies carry their arrays inline, a
 * longform descriptor whose number is the count followed by the elements.
 * Shared by libumach's client stubs and umach-envmgrd until umig generates
 * both (TODO(#4)).
 */
#ifndef UMACH_ENV_MGR_MSG_H
#define UMACH_ENV_MGR_MSG_H
#include <mach/message.h>
#include <servers/env_mgr.h>

#define ENV_MGR_BASE         5000
#define ENV_SET_STRING       (ENV_MGR_BASE + 0)
#define ENV_GET_STRING       (ENV_MGR_BASE + 1)
#define ENV_DEL_STRING       (ENV_MGR_BASE + 2)
#define ENV_SET_PORT         (ENV_MGR_BASE + 3)
#define ENV_GET_PORT         (ENV_MGR_BASE + 4)
#define ENV_DEL_PORT         (ENV_MGR_BASE + 5)
#define ENV_LIST_STRINGS     (ENV_MGR_BASE + 6)
#define ENV_LIST_PORTS       (ENV_MGR_BASE + 7)
#define ENV_SET_STLIST       (ENV_MGR_BASE + 8)
#define ENV_SET_PTLIST       (ENV_MGR_BASE + 9)

#define ENV_NAME_BITS (env_name_size * 8)
#define ENV_VAL_BITS  (env_val_size * 8)

/* env_get_string, env_del_string, env_get_port, env_del_port. */
struct env_name_req {
	msg_header_t    Head;
	msg_type_long_t env_nameType;
	env_name_t      env_name;
};

struct env_set_string_req {
	msg_header_t    Head;
	msg_type_long_t env_nameType;
	env_name_t      env_name;
	msg_type_long_t env_valType;
	env_str_val_t   env_val;
};

struct env_set_port_req {
	msg_header_t    Head;
	msg_type_long_t env_nameType;
	env_name_t      env_name;
	msg_type_t      env_valType;
	port_t          env_val;
};

struct env_rc_reply {
	msg_header_t  Head;
	msg_type_t    RetCodeType;
	kern_return_t RetCode;
};

struct env_get_string_reply {
	msg_header_t    Head;
	msg_type_t      RetCodeType;
	kern_return_t   RetCode;
	msg_type_long_t env_valType;
	env_str_val_t   env_val;
};

struct env_get_port_reply {
	msg_header_t  Head;
	msg_type_t    RetCodeType;
	kern_return_t RetCode;
	msg_type_t    env_valType;
	port_t        env_val;
};

/*
 * The set-list requests carry, after the header, the same two arrays as
 * the list replies below (names, then values), with no RetCode.
 *
 * The list replies: after RetCode, a longform STRING descriptor with the
 * count and count names, then a descriptor with the count and the values
 * (strings: longform STRING of 2048 bits; ports: MSG_TYPE_PORT, 32 bits).
 */
struct env_list_reply {
	msg_header_t    Head;
	msg_type_t      RetCodeType;
	kern_return_t   RetCode;
	msg_type_long_t env_namesType;
	/* env_name_t env_names[count]; then the values' descriptor and data */
};
#endif
