/* C types of tests/integration/necho.defs, imported by its stubs. */
#ifndef NECHO_TYPES_H
#define NECHO_TYPES_H
#include <mach.h>

typedef char necho_name_t[80];
typedef char *necho_ool_t;
#endif
