/*
 * Type descriptors for hand-written stubs: the kernel-port calls in
 * libumach (lib/task.c), until umig generates them too.
 */
#ifndef UMACH_MSG_DESC_H
#define UMACH_MSG_DESC_H
#include <mach/message.h>

/* A (name, bits, 1, inline) descriptor, as a MIG static type. */
static inline msg_type_t umach_msg_type(unsigned int name, unsigned int bits)
{
	msg_type_t t = { 0 };

	t.msg_type_name = name;
	t.msg_type_size = bits;
	t.msg_type_number = 1;
	t.msg_type_inline = 1;
	return t;
}

/* MIG's longform descriptor, used for types wider than 255 bits. */
static inline msg_type_long_t umach_msg_type_long(unsigned int name,
						  unsigned int bits)
{
	msg_type_long_t t = { { 0 }, 0, 0, 0 };

	t.msg_type_header.msg_type_inline = 1;
	t.msg_type_header.msg_type_longform = 1;
	t.msg_type_long_name = (unsigned short)name;
	t.msg_type_long_size = (unsigned short)bits;
	t.msg_type_long_number = 1;
	return t;
}

static inline int umach_msg_type_long_is(msg_type_long_t t, unsigned int name,
					 unsigned int bits)
{
	return t.msg_type_header.msg_type_longform &&
	       t.msg_type_header.msg_type_inline &&
	       t.msg_type_long_name == name && t.msg_type_long_size == bits &&
	       t.msg_type_long_number == 1;
}

static inline int umach_msg_type_is(msg_type_t t, unsigned int name,
				    unsigned int bits)
{
	return t.msg_type_name == name && t.msg_type_size == bits &&
	       t.msg_type_number == 1 && t.msg_type_inline &&
	       !t.msg_type_longform;
}
#endif
