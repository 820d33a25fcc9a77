/* Mach 2.5 <mach/port.h>: port names, sets and right types (reference 1.2). */
#ifndef _MACH_PORT_H_
#define _MACH_PORT_H_
#include <mach/boolean.h>

typedef int port_name_t;
typedef port_name_t port_set_name_t;
typedef port_name_t port_t;
typedef port_t port_rcv_t, port_own_t, port_all_t;	/* documentation */
typedef port_name_t *port_name_array_t;
typedef port_t *port_array_t;
typedef int port_type_t;
typedef port_type_t *port_type_array_t;

#define PORT_NULL ((port_t) 0)

/* The task's default set; libumach sets it to -1, which the kernel reads
 * as "the task's enabled ports". */
extern port_set_name_t PORT_ENABLED;
#define PORT_DEFAULT PORT_ENABLED

#define PORT_TYPE_NONE        0
#define PORT_TYPE_SEND        1
#define PORT_TYPE_RECEIVE     3	/* send and receive */
#define PORT_TYPE_OWN         5	/* send and ownership */
#define PORT_TYPE_RECEIVE_OWN 7	/* all three */
#define PORT_TYPE_SET         9
#define PORT_TYPE_LAST        10
#endif
