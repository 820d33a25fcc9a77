/* Mach 2.5 <mach/mach_param.h>: the real constants (reference 1.13).  The
 * textbook profile's default backlog of 8 is applied by the kernel; the
 * names keep the values CMU shipped. */
#ifndef _MACH_MACH_PARAM_H_
#define _MACH_MACH_PARAM_H_
#define PORT_BACKLOG_DEFAULT   5
#define PORT_BACKLOG_MAX       16
#define TASK_PORT_REGISTER_MAX 4
#endif
