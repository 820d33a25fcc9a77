/*
 * Mach 2.5 <mach/message.h>: the message header, typed data descriptors,
 * options, return codes and the three primitives (reference 1.3-1.7).
 *
 * LP64 rule B (docs/protocol.md §6): msg_type_t is 8-byte aligned and 8
 * bytes long, so that a program's own sizeof() arithmetic covers the data
 * that follows a descriptor.  On ILP32 it keeps its 4 bytes.
 */
#ifndef _MACH_MESSAGE_H_
#define _MACH_MESSAGE_H_
#include <mach/boolean.h>
#include <mach/kern_return.h>
#include <mach/port.h>
#include <umach/status.h>

typedef unsigned int msg_size_t;
typedef int msg_option_t;
typedef int msg_return_t;
typedef unsigned int msg_timeout_t;	/* milliseconds */

typedef struct {
	unsigned int msg_unused : 24,
		     msg_simple : 8;
	msg_size_t   msg_size;
	int          msg_type;
	port_t       msg_local_port;
	port_t       msg_remote_port;
	int          msg_id;
} msg_header_t;

#define MSG_SIZE_MAX 8192

#ifndef MSG_TYPE_NORMAL
#define MSG_TYPE_NORMAL    0
#define MSG_TYPE_EMERGENCY 1
#endif

#if defined(__LP64__) || defined(_LP64)
#define UMACH_MSG_TYPE_ALIGN __attribute__((aligned(8)))
#else
#define UMACH_MSG_TYPE_ALIGN
#endif

typedef struct {
	unsigned int msg_type_name : 8,
		     msg_type_size : 8,
		     msg_type_number : 12,
		     msg_type_inline : 1,
		     msg_type_longform : 1,
		     msg_type_deallocate : 1,
		     msg_type_unused : 1;
} UMACH_MSG_TYPE_ALIGN msg_type_t;

typedef struct {
	msg_type_t     msg_type_header;
	unsigned short msg_type_long_name;
	unsigned short msg_type_long_size;
	unsigned int   msg_type_long_number;
} msg_type_long_t;

/* msg_type_name values */
#define MSG_TYPE_UNSTRUCTURED   0
#define MSG_TYPE_BIT            0
#define MSG_TYPE_BOOLEAN        0
#define MSG_TYPE_INTEGER_16     1
#define MSG_TYPE_INTEGER_32     2
#define MSG_TYPE_PORT_OWNERSHIP 3
#define MSG_TYPE_PORT_RECEIVE   4
#define MSG_TYPE_PORT_ALL       5
#define MSG_TYPE_PORT           6
#define MSG_TYPE_CHAR           8
#define MSG_TYPE_BYTE           9
#define MSG_TYPE_INTEGER_8      9
#define MSG_TYPE_REAL           10
#define MSG_TYPE_STRING         12
#define MSG_TYPE_STRING_C       12
#define MSG_TYPE_INTERNAL_MEMORY MSG_TYPE_INTEGER_8
#define MSG_TYPE_PORT_NAME      15
#define MSG_TYPE_LAST           16
#define MSG_TYPE_POLYMORPHIC    ((unsigned int) -1)

#define MSG_TYPE_PORT_ANY(x) \
	((x) >= MSG_TYPE_PORT_OWNERSHIP && (x) <= MSG_TYPE_PORT)

/* Options (reference 1.6) */
#define MSG_OPTION_NONE 0x0000
#define SEND_TIMEOUT    0x0001
#define SEND_NOTIFY     0x0002
#define SEND_INTERRUPT  0x0004
#define SEND_ALWAYS     0x0008	/* kernel-internal */
#define SEND_SWITCH     0x0020	/* accepted, no effect */
#define RCV_TIMEOUT     0x0100
#define RCV_NO_SENDERS  0x0200	/* "not implemented yet" in Mach 2.5 too */
#define RCV_INTERRUPT   0x0400
#define RCV_LARGE       0x1000	/* NeXT profile */

/* Return codes (reference 1.7) */
#define SEND_SUCCESS      0
#define RCV_SUCCESS       0
#define RPC_SUCCESS       0
#define SEND_ERRORS_START (-100)
#define SEND_ERRORS_END   (-111)
#define RCV_ERRORS_START  (-200)
#define RCV_ERRORS_END    (-209)
enum { UMACH_SEND_STATUS_MAP(UMACH__STATUS_ENUM) };
enum { UMACH_RCV_STATUS_MAP(UMACH__STATUS_ENUM) };
#define msg_return_send(x) ((x) < SEND_ERRORS_START && (x) > SEND_ERRORS_END)
#define msg_return_rcv(x)  ((x) < RCV_ERRORS_START && (x) > RCV_ERRORS_END)

msg_return_t msg_send(msg_header_t *header, msg_option_t option,
		      msg_timeout_t timeout);
msg_return_t msg_receive(msg_header_t *header, msg_option_t option,
			 msg_timeout_t timeout);
msg_return_t msg_rpc(msg_header_t *header, msg_option_t option,
		     msg_size_t rcv_size, msg_timeout_t send_timeout,
		     msg_timeout_t rcv_timeout);
#endif
