/*
 * Mach 2.5 <mach_init.h>: the special ports a task starts with, cached by
 * mach_init() (which libumach runs before main, and again at the first
 * call of a forked child).  thread_reply() is per thread, so it is a
 * function here rather than a cached global.
 */
#ifndef _MACH_INIT_H_
#define _MACH_INIT_H_
#include <mach/mach_types.h>

extern port_t task_self_;
extern port_t task_notify_;
extern port_t name_server_port;
extern port_t environment_port;
extern port_t service_port;

/* Calls, so that a task attaches at its first use of them too. */
port_t umach_task_self(void);
port_t umach_task_notify(void);
#define task_self()   umach_task_self()
#define task_notify() umach_task_notify()

/* The registered ports read the same way: a forked child that reads
 * name_server_port before any call gets its own task's port, not
 * PORT_NULL.  They stay lvalues, as the era's programs may assign them. */
port_t *umach_name_server_port_at(void);
port_t *umach_environment_port_at(void);
port_t *umach_service_port_at(void);
#define name_server_port (*umach_name_server_port_at())
#define environment_port (*umach_environment_port_at())
#define service_port     (*umach_service_port_at())

port_t thread_reply(void);
port_t thread_self(void);
int mach_init(void);
int umach_task_reattach(void);

#define NAME_SERVER_SLOT 0
#define ENVIRONMENT_SLOT 1
#define SERVICE_SLOT     2

extern vm_size_t vm_page_size;
#endif
