/*
 * Mach 2.5 <mach.h>: everything a task program needs.  It includes no
 * system header, so K&R programs that declare libc functions themselves
 * (char *malloc();) compile against it.  Linking with libumach attaches the
 * program to the kernel before main (mach_init()).
 */
#ifndef _MACH_H_
#define _MACH_H_
#include <mach/boolean.h>
#include <mach/kern_return.h>
#include <mach/port.h>
#include <mach/mach_types.h>
#include <mach/message.h>
#include <mach/notify.h>
#include <mach/mach_param.h>
#include <mach/mig_errors.h>
#include <mach/mig_support.h>
#include <mach/mach_interface.h>
#include <mach/task_special_ports.h>
#include <msg_type.h>
#include <mach_init.h>
#include <mach_error.h>

#endif
