/*
 * Mach 2.5 <mach/task_special_ports.h>: the selectors of
 * task_get_special_port and task_set_special_port (reference 1.11).  They
 * are not port names.
 */
#ifndef _MACH_TASK_SPECIAL_PORTS_H_
#define _MACH_TASK_SPECIAL_PORTS_H_
#define TASK_KERNEL_PORT    1	/* the task's kernel port (task_self()) */
#define TASK_NOTIFY_PORT    2	/* where the kernel sends notifications */
#define TASK_EXCEPTION_PORT 3	/* where exception messages would go */
#define TASK_BOOTSTRAP_PORT 4	/* the task's bootstrap port */

#define task_get_kernel_port(task, port) \
	task_get_special_port((task), TASK_KERNEL_PORT, (port))
#define task_get_notify_port(task, port) \
	task_get_special_port((task), TASK_NOTIFY_PORT, (port))
#define task_set_notify_port(task, port) \
	task_set_special_port((task), TASK_NOTIFY_PORT, (port))
#define task_get_exception_port(task, port) \
	task_get_special_port((task), TASK_EXCEPTION_PORT, (port))
#define task_set_exception_port(task, port) \
	task_set_special_port((task), TASK_EXCEPTION_PORT, (port))
#define task_get_bootstrap_port(task, port) \
	task_get_special_port((task), TASK_BOOTSTRAP_PORT, (port))
#define task_set_bootstrap_port(task, port) \
	task_set_special_port((task), TASK_BOOTSTRAP_PORT, (port))
#endif
