/*
 * Mach 2.5 <mach_extra.h>: the Mach 2.0 names for the default set
 * (reference 1.2, 1.11).  A restricted port is one not in the task's
 * default set; a new or received receive right starts restricted.
 */
#ifndef _MACH_EXTRA_H_
#define _MACH_EXTRA_H_
#include <mach.h>

#ifndef PORT_DEFAULT
#define PORT_DEFAULT PORT_ENABLED
#endif
#define port_unrestrict(task, port) port_enable((task), (port))
#define port_restrict(task, port)   port_disable((task), (port))

#endif
