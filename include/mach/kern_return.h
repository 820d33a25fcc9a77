/* Mach 2.5 <mach/kern_return.h>: kern_return_t and the KERN_* codes. */
#ifndef _MACH_KERN_RETURN_H_
#define _MACH_KERN_RETURN_H_
#include <umach/status.h>
typedef int kern_return_t;
enum { UMACH_KERN_STATUS_MAP(UMACH__STATUS_ENUM) };
#endif
