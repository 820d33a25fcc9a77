/*
 * What the concept examples share: a one-integer message, a look-up that
 * waits for the name to be checked in, and dying with the Mach error.
 * Each example is a program of its own; the scenario files (*.scn) start
 * them together with `umach up`.
 */
#ifndef UMACH_EXAMPLES_EX_H
#define UMACH_EXAMPLES_EX_H

#include <mach.h>
#include <mach_error.h>
#include <servers/netname.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A message carrying one integer. */
struct ex_msg {
	msg_header_t h;
	msg_type_t   t;
	int          value;
};

static inline void ex_die(const char *what, kern_return_t r)
{
	mach_error((char *)what, r);
	exit(1);
}

static inline void ex_init(struct ex_msg *m, port_t dest, port_t reply,
			   int id, int value)
{
	memset(m, 0, sizeof *m);
	m->h.msg_simple = TRUE;
	m->h.msg_size = sizeof *m;
	m->h.msg_remote_port = dest;
	m->h.msg_local_port = reply;
	m->h.msg_id = id;
	m->t.msg_type_name = MSG_TYPE_INTEGER_32;
	m->t.msg_type_size = 32;
	m->t.msg_type_number = 1;
	m->t.msg_type_inline = TRUE;
	m->value = value;
}

static inline kern_return_t ex_receive(struct ex_msg *m, port_t from,
				       msg_option_t opt, int timeout)
{
	m->h.msg_size = sizeof *m;
	m->h.msg_local_port = from;
	return msg_receive(&m->h, opt, timeout);
}

/* A new port checked in under name. */
static inline port_t ex_serve(const char *name)
{
	port_t p;
	kern_return_t r;

	if ((r = port_allocate(task_self(), &p)) != KERN_SUCCESS)
		ex_die("port_allocate", r);
	if ((r = netname_check_in(name_server_port, (char *)name, PORT_NULL, p)))
		ex_die("netname_check_in", r);
	return p;
}

/* The port checked in under name, waiting up to 5 s for it to appear. */
static inline port_t ex_look_up(const char *name)
{
	port_t p;

	for (int i = 0; i < 500; i++) {
		if (netname_look_up(name_server_port, "", (char *)name, &p) ==
		    NETNAME_SUCCESS)
			return p;
		usleep(10000);
	}
	fprintf(stderr, "%s: nobody checked in\n", name);
	exit(1);
}

#endif
