/* Mach 2.5 <mach/mig_errors.h>: the MIG_* codes and death_pill_t. */
#ifndef _MACH_MIG_ERRORS_H_
#define _MACH_MIG_ERRORS_H_
#include <mach/message.h>
enum { UMACH_MIG_STATUS_MAP(UMACH__STATUS_ENUM) };
typedef struct {
	msg_header_t  Head;
	msg_type_t    RetCodeType;
	kern_return_t RetCode;
} death_pill_t;

/* A generated server routine (umig -server): decodes InHeadP, calls the
 * implementation and fills the reply in OutHeadP. */
typedef void (*mig_routine_t)(msg_header_t *InHeadP, msg_header_t *OutHeadP);
#endif
