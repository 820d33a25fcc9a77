/* Mach 2.5 <mach/mach_types.h>: task, thread and VM types. */
#ifndef _MACH_MACH_TYPES_H_
#define _MACH_MACH_TYPES_H_
#include <mach/boolean.h>
#include <mach/kern_return.h>
#include <mach/port.h>

typedef port_t task_t, thread_t, vm_task_t;
typedef task_t *task_array_t;
typedef thread_t *thread_array_t;
/* Pointer-sized on every data model, as vm_offset_t must hold an address. */
typedef unsigned long vm_offset_t, vm_address_t, vm_size_t;
typedef char *pointer_t;
#endif
