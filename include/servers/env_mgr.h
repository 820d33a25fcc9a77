/*
 * The environment manager as Mach 2.5 had it (<servers/env_mgr.h>, CMU's
 * emdefs.h and env_mgr.defs): named strings and named send rights that
 * tasks set and get.  Every task's environment_port (registered slot 1) is
 * a send right to the one environment of umach-envmgrd, which umachd
 * starts at boot; a forked child inherits it, so a port that a parent
 * publishes with env_set_port is there for its children.  Names compare
 * without regard to case.  Limits (docs/protocol.md §7): ENV_STRINGS_MAX
 * strings and ENV_PORTS_MAX ports; a name is at most 79 characters and a
 * string value at most 255.
 */
#ifndef _SERVERS_ENV_MGR_H_
#define _SERVERS_ENV_MGR_H_
#include <mach/port.h>
#include <mach/kern_return.h>

#define env_name_size (80)
#define env_val_size  (256)

#define ENV_STRINGS_MAX 20	/* a list of them fits one inline reply */
#define ENV_PORTS_MAX   64

/* err_server | err_sub(1), the codes of CMU's emdefs.h. */
#define SERV_ENV_MOD        (0x08004000)
#define ENV_SUCCESS         (KERN_SUCCESS)
#define ENV_VAR_NOT_FOUND   (SERV_ENV_MOD | 0)
#define ENV_WRONG_VAR_TYPE  (SERV_ENV_MOD | 1)
#define ENV_UNKNOWN_PORT    (SERV_ENV_MOD | 2)
#define ENV_READ_ONLY       (SERV_ENV_MOD | 3)
#define ENV_NO_MORE_CONN    (SERV_ENV_MOD | 4)
#define ENV_PORT_TABLE_FULL (SERV_ENV_MOD | 5)
#define ENV_PORT_NULL       (SERV_ENV_MOD | 6)

typedef char env_name_t[env_name_size];
typedef char env_str_val_t[env_val_size];
typedef env_name_t *env_name_list;	/* variable-sized arrays */
typedef env_str_val_t *env_str_list;

/* MIG subsystem env_mgr (tasks/envmgr/env_mgr.defs). */
kern_return_t env_set_string(port_t port, char *env_name, char *env_val);
kern_return_t env_get_string(port_t port, char *env_name, char *env_val);
kern_return_t env_del_string(port_t port, char *env_name);
kern_return_t env_set_port(port_t port, char *env_name, port_t env_val);
kern_return_t env_get_port(port_t port, char *env_name, port_t *env_val);
kern_return_t env_del_port(port_t port, char *env_name);
kern_return_t env_list_strings(port_t port, env_name_list *env_names,
			       unsigned int *env_namesCnt,
			       env_str_list *env_string_vals,
			       unsigned int *env_string_valsCnt);
kern_return_t env_list_ports(port_t port, env_name_list *env_names,
			     unsigned int *env_namesCnt,
			     port_array_t *env_port_vals,
			     unsigned int *env_port_valsCnt);
kern_return_t env_set_stlist(port_t port, env_name_list env_names,
			     unsigned int env_namesCnt,
			     env_str_list env_string_vals,
			     unsigned int env_string_valsCnt);
kern_return_t env_set_ptlist(port_t port, env_name_list env_names,
			     unsigned int env_namesCnt,
			     port_array_t env_port_vals,
			     unsigned int env_port_valsCnt);
#endif
