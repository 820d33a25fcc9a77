/* CMU's <servers/emdefs.h>: the environment manager's types and codes,
 * which umach keeps in <servers/env_mgr.h>. */
#ifndef _SERVERS_EMDEFS_H_
#define _SERVERS_EMDEFS_H_
#include <servers/env_mgr.h>
#endif
