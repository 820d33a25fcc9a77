/*
 * Where the kernel's socket lives, for umachd, libumach and the tools alike:
 * $UMACH_SOCKET, else $XDG_RUNTIME_DIR/umach/kernel.sock, else
 * /tmp/umach-$UID/kernel.sock (docs/protocol.md §1).
 */
#ifndef UMACH_PATH_H
#define UMACH_PATH_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define UMACH_SOCKET_PATH_MAX 108	/* sun_path */

/*
 * Write the socket path into buf.  Returns 0, or -1 if it does not fit in
 * a Unix socket address (the caller says so and stops).
 */
static inline int umach_socket_path(char *buf, size_t len)
{
	const char *env = getenv("UMACH_SOCKET");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (env != NULL && env[0] != '\0')
		n = snprintf(buf, len, "%s", env);
	else if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, len, "%s/umach/kernel.sock", xdg);
	else
		n = snprintf(buf, len, "/tmp/umach-%u/kernel.sock",
			     (unsigned)getuid());
	if (n < 0 || (size_t)n >= len || (size_t)n >= UMACH_SOCKET_PATH_MAX)
		return -1;
	return 0;
}

#endif
