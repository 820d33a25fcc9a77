/* Mach 2.5 <msg_type.h>: the bits of msg_header_t.msg_type. */
#ifndef _MSG_TYPE_H_
#define _MSG_TYPE_H_
#define MSG_TYPE_NORMAL    0
#define MSG_TYPE_EMERGENCY 1
#define MSG_TYPE_CAMELOT   (1 << 6)
#define MSG_TYPE_ENCRYPTED (1 << 7)
#define MSG_TYPE_RPC       (1 << 8)
#endif
