/* C types of tests/stubs/rt.defs, imported by its generated code. */
#ifndef RT_TYPES_H
#define RT_TYPES_H
#include <mach.h>

typedef char rt_name_t[80];
typedef struct { int x, y; } rt_point_t;
typedef int rt_fixed_t[4];
typedef int *rt_var_t;
typedef port_t *rt_ports_t;
typedef char *rt_ool_t;
typedef struct rt_obj *rt_obj_t;        /* intran/outtran/destructor */

rt_obj_t rt_obj_in(int v);
int rt_obj_out(rt_obj_t o);
void rt_obj_free(rt_obj_t o);
#endif
