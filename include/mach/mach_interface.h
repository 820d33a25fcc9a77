/*
 * The calls on a task's kernel port (reference 1.11), as MIG would declare
 * them.  Each is a message with the real MIG id to task_self(); the reply
 * id is the request id + 100.
 */
#ifndef _MACH_INTERFACE_H_
#define _MACH_INTERFACE_H_
#include <mach/mach_types.h>
#include <mach/message.h>

#define UMACH_MIG_MACH_BASE 2000

kern_return_t port_names(task_t task, port_name_array_t *names,
			 unsigned int *namesCnt, port_type_array_t *types,
			 unsigned int *typesCnt);
kern_return_t port_type(task_t task, port_name_t name, port_type_t *ptype);
kern_return_t port_rename(task_t task, port_name_t old_name,
			  port_name_t new_name);
kern_return_t port_allocate(task_t task, port_name_t *name);
kern_return_t port_deallocate(task_t task, port_name_t name);
kern_return_t port_set_backlog(task_t task, port_name_t name, int backlog);
kern_return_t port_status(task_t task, port_name_t name,
			  port_set_name_t *enabled, int *num_msgs,
			  int *backlog, boolean_t *ownership,
			  boolean_t *receive_rights);
kern_return_t port_set_allocate(task_t task, port_set_name_t *set_name);
kern_return_t port_set_deallocate(task_t task, port_set_name_t set_name);
kern_return_t port_set_add(task_t task, port_set_name_t set_name,
			   port_name_t port_name);
kern_return_t port_set_remove(task_t task, port_name_t port_name);
kern_return_t port_set_status(task_t task, port_set_name_t set_name,
			      port_name_array_t *members,
			      unsigned int *membersCnt);
/* Mach 2.0's default set, received from as PORT_ENABLED (<mach_extra.h>
 * names them port_unrestrict and port_restrict). */
kern_return_t port_enable(task_t task, port_name_t port_name);
kern_return_t port_disable(task_t task, port_name_t port_name);
kern_return_t mach_ports_register(task_t task, port_array_t ports,
				  unsigned int count);
kern_return_t mach_ports_lookup(task_t task, port_array_t *ports,
				unsigned int *count);
kern_return_t task_get_special_port(task_t task, int which, port_t *port);
kern_return_t task_set_special_port(task_t task, int which, port_t port);
kern_return_t port_set_backup(task_t task, port_name_t primary,
			      port_t backup, port_t *previous);
kern_return_t vm_allocate(vm_task_t task, vm_address_t *address,
			  vm_size_t size, boolean_t anywhere);
kern_return_t vm_deallocate(vm_task_t task, vm_address_t address,
			    vm_size_t size);
#endif
