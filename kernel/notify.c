/*
 * Kernel notifications (reference 1.12): simple messages of the
 * notification_t shape, MSG_TYPE_EMERGENCY, no reply port, carrying one
 * MSG_TYPE_PORT_NAME item, queued on the task's notify port whatever its
 * backlog (SEND_ALWAYS).
 */
#include <string.h>

#include "kernel.h"

/* The descriptor word of a (name, bits, 1, inline) item. */
uint32_t notify_desc(uint32_t type_name, uint32_t bits)
{
	return type_name | bits << 8 | 1u << 16 | 1u << 28;
}

/*
 * Send notification `id` about `name` to task t's notify port.  Dropped,
 * never blocking, if t is dying, has no live notify port, or memory ran
 * out.
 */
void notify_send(struct kernel *k, struct ktask *t, int id, int32_t name)
{
	struct port *np = t->notify;

	if (t->dying || np == NULL || np->dead)
		return;
	struct kmsg *m = kmsg_alloc(k, sizeof(notification_t));
	if (m == NULL)
		return;
	notification_t n;
	memset(&n, 0, sizeof n);
	uint32_t desc = notify_desc(MSG_TYPE_PORT_NAME, 32);
	memcpy(&n.notify_type, &desc, sizeof desc);
	n.notify_port = name;
	memcpy(m->body, (uint8_t *)&n + sizeof(msg_header_t),
	       sizeof n - sizeof(msg_header_t));
	m->hdr.msg_simple = 1;
	m->hdr.msg_size = sizeof n;
	m->hdr.msg_type = MSG_TYPE_EMERGENCY;
	m->hdr.msg_id = id;
	m->simple = 1;
	m->dest = np;
	port_get(np);
	KSTAT(k, t, notifications, 1);
	TRACE(k, notify, t, id, name);
	msgq_send_always(k, m);
}
