/* Mach <mach/mig_support.h>: what MIG-generated stubs call at run time. */
#ifndef _MACH_MIG_SUPPORT_H_
#define _MACH_MIG_SUPPORT_H_
#include <mach/port.h>
port_t mig_get_reply_port(void);
void mig_dealloc_reply_port(void);
#endif
