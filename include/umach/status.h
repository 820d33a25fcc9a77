/*
 * The one list of Mach return codes: name, value and text.  It generates
 * the constants in <mach/kern_return.h>, <mach/message.h> and
 * <mach/mig_errors.h>, and the table behind mach_error_string().
 * No system header is included, so that K&R programs can include it.
 */
#ifndef UMACH_STATUS_H
#define UMACH_STATUS_H

#define UMACH_KERN_STATUS_MAP(X) \
	X(KERN_SUCCESS,             0, "(os/kern) successful") \
	X(KERN_INVALID_ADDRESS,     1, "(os/kern) invalid address") \
	X(KERN_PROTECTION_FAILURE,  2, "(os/kern) protection failure") \
	X(KERN_NO_SPACE,            3, "(os/kern) no space available") \
	X(KERN_INVALID_ARGUMENT,    4, "(os/kern) invalid argument") \
	X(KERN_FAILURE,             5, "(os/kern) failure") \
	X(KERN_RESOURCE_SHORTAGE,   6, "(os/kern) resource shortage") \
	X(KERN_NOT_RECEIVER,        7, "(os/kern) not receiver") \
	X(KERN_NO_ACCESS,           8, "(os/kern) no access") \
	X(KERN_MEMORY_FAILURE,      9, "(os/kern) memory failure") \
	X(KERN_MEMORY_ERROR,       10, "(os/kern) memory error") \
	X(KERN_ALREADY_IN_SET,     11, "(os/kern) already in set") \
	X(KERN_NOT_IN_SET,         12, "(os/kern) not in set") \
	X(KERN_NAME_EXISTS,        13, "(os/kern) name exists")

#define UMACH_SEND_STATUS_MAP(X) \
	X(SEND_INVALID_MEMORY,   -101, "(ipc/send) invalid memory") \
	X(SEND_INVALID_PORT,     -102, "(ipc/send) invalid port") \
	X(SEND_TIMED_OUT,        -103, "(ipc/send) timed out") \
	X(SEND_WILL_NOTIFY,      -105, "(ipc/send) will notify") \
	X(SEND_NOTIFY_IN_PROGRESS, -106, "(ipc/send) notify in progress") \
	X(SEND_KERNEL_REFUSED,   -107, "(ipc/send) kernel refused message") \
	X(SEND_INTERRUPTED,      -108, "(ipc/send) send interrupted") \
	X(SEND_MSG_TOO_LARGE,    -109, "(ipc/send) message too large") \
	X(SEND_MSG_TOO_SMALL,    -110, "(ipc/send) message too small")

#define UMACH_RCV_STATUS_MAP(X) \
	X(RCV_INVALID_MEMORY,    -201, "(ipc/rcv) invalid memory") \
	X(RCV_INVALID_PORT,      -202, "(ipc/rcv) invalid port") \
	X(RCV_TIMED_OUT,         -203, "(ipc/rcv) timed out") \
	X(RCV_TOO_LARGE,         -204, "(ipc/rcv) message too large") \
	X(RCV_NOT_ENOUGH_MEMORY, -205, "(ipc/rcv) out of memory") \
	X(RCV_ONLY_SENDER,       -206, "(ipc/rcv) only sender remaining") \
	X(RCV_INTERRUPTED,       -207, "(ipc/rcv) receive interrupted") \
	X(RCV_PORT_CHANGE,       -208, "(ipc/rcv) port moved into a set")

#define UMACH_MIG_STATUS_MAP(X) \
	X(MIG_TYPE_ERROR,        -300, "(ipc/mig) type check failure") \
	X(MIG_REPLY_MISMATCH,    -301, "(ipc/mig) wrong reply message ID") \
	X(MIG_REMOTE_ERROR,      -302, "(ipc/mig) server detected error") \
	X(MIG_BAD_ID,            -303, "(ipc/mig) bad request message ID") \
	X(MIG_BAD_ARGUMENTS,     -304, "(ipc/mig) server found wrong arguments") \
	X(MIG_NO_REPLY,          -305, "(ipc/mig) no reply should be sent") \
	X(MIG_EXCEPTION,         -306, "(ipc/mig) server raised exception") \
	X(MIG_ARRAY_TOO_LARGE,   -307, "(ipc/mig) user specified array too large")

#define UMACH_STATUS_MAP(X) \
	UMACH_KERN_STATUS_MAP(X) UMACH_SEND_STATUS_MAP(X) \
	UMACH_RCV_STATUS_MAP(X) UMACH_MIG_STATUS_MAP(X)

#define UMACH__STATUS_ENUM(name, value, text) name = (value),

#endif /* UMACH_STATUS_H */
