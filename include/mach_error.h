/* Mach 2.5 <mach_error.h>: print and name a return code. */
#ifndef _MACH_ERROR_H_
#define _MACH_ERROR_H_
#include <mach/kern_return.h>
typedef kern_return_t mach_error_t;
char *mach_error_string(mach_error_t error_value);
void mach_error(char *str, mach_error_t error_value);
#endif
