/*
 * The network name service as CMU had it (<servers/netname.h>): map names
 * to send rights.  Every task's name_server_port (slot 0) is a send right
 * to the name server that umachd starts at boot.  netname_look_up accepts
 * "", "*" and this machine's host name for "here".
 */
#ifndef _SERVERS_NETNAME_H_
#define _SERVERS_NETNAME_H_
#include <mach/port.h>
#include <mach/kern_return.h>

#define NETNAME_SUCCESS        (0)
#define NETNAME_PENDING        (-1)
#define NETNAME_NOT_YOURS      (1000)
#define NAME_NOT_YOURS         (1000)
#define NETNAME_NOT_CHECKED_IN (1001)
#define NAME_NOT_CHECKED_IN    (1001)
#define NETNAME_NO_SUCH_HOST   (1002)
#define NETNAME_HOST_NOT_FOUND (1003)
#define NETNAME_INVALID_PORT   (1004)

typedef char netname_name_t[80];

/* MIG subsystem netname, base 1040 (tasks/netname/netname.defs). */
kern_return_t netname_check_in(port_t server_port, char *port_name,
			       port_t signature, port_t port_id);
kern_return_t netname_look_up(port_t server_port, char *host_name,
			      char *port_name, port_t *port_id);
kern_return_t netname_check_out(port_t server_port, char *port_name,
				port_t signature);
kern_return_t netname_version(port_t server_port, char *version);
#endif
