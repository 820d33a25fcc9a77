/* Mach 2.5 <mach/notify.h>: kernel notifications (reference 1.12). */
#ifndef _MACH_NOTIFY_H_
#define _MACH_NOTIFY_H_
#include <mach/message.h>

#define NOTIFY_FIRST            0100
#define NOTIFY_PORT_DELETED     (NOTIFY_FIRST + 001)
#define NOTIFY_MSG_ACCEPTED     (NOTIFY_FIRST + 002)
#define NOTIFY_OWNERSHIP_RIGHTS (NOTIFY_FIRST + 003)
#define NOTIFY_RECEIVE_RIGHTS   (NOTIFY_FIRST + 004)
#define NOTIFY_PORT_DESTROYED   (NOTIFY_FIRST + 005)
#define NOTIFY_LAST             (NOTIFY_FIRST + 015)

typedef struct {
	msg_header_t notify_header;
	msg_type_t   notify_type;
	port_t       notify_port;
} notification_t;
#endif
