/*
 * Kernel notifications (reference 1.12): messages of the notification_t
 * shape, MSG_TYPE_EMERGENCY, no reply port, queued whatever the backlog
 * (SEND_ALWAYS).  The simple ones carry one MSG_TYPE_PORT_NAME item and go
 * to a task's notify port; NOTIFY_PORT_DESTROYED goes to a port's backup
 * port and carries the receive and ownership rights (MSG_TYPE_PORT_ALL).
 */
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "fail.h"

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
/* A notification_t kmsg with id, the item (type_name) and name. */
static struct kmsg *notify_alloc(struct kernel *k, int id, uint32_t type_name,
				 int32_t name)
{
	struct kmsg *m = kmsg_alloc(k, sizeof(notification_t));
	notification_t n;

	if (m == NULL)
		return NULL;
	memset(&n, 0, sizeof n);
	uint32_t desc = notify_desc(type_name, 32);
	memcpy(&n.notify_type, &desc, sizeof desc);
	n.notify_port = name;
	memcpy(m->body, (uint8_t *)&n + sizeof(msg_header_t),
	       sizeof n - sizeof(msg_header_t));
	m->hdr.msg_simple = type_name == MSG_TYPE_PORT_NAME;
	m->hdr.msg_size = sizeof n;
	m->hdr.msg_type = MSG_TYPE_EMERGENCY;
	m->hdr.msg_id = id;
	m->simple = m->hdr.msg_simple;
	return m;
}

void notify_send(struct kernel *k, struct ktask *t, int id, int32_t name)
{
	struct port *np = t->notify;

	if (t->dying || np == NULL || np->dead)
		return;
	struct kmsg *m = notify_alloc(k, id, MSG_TYPE_PORT_NAME, name);
	if (m == NULL)
		return;
	m->dest = np;
	port_get(np);
	KSTAT(k, t, notifications, 1);
	TRACE(k, notify, t, id, name);
	msgq_send_always(k, m);
}

/*
 * p has lost its receiver and its owner: if it has a live backup port
 * (port_set_backup), send the backup NOTIFY_PORT_DESTROYED carrying p's
 * receive and ownership rights, so that p lives on.  The backup is used
 * once (p's backup is cleared).  Returns 0 if p went to the backup; -1 if
 * it has none, the backup is dead or a kernel port, the message could
 * never be received (the backup's receive right travels to p), or memory
 * ran out: then the caller destroys p.
 */
int notify_port_destroyed(struct kernel *k, struct port *p)
{
	struct port *b = p->backup;
	struct kmsg *m = NULL;

	if (b == NULL)
		return -1;
	p->backup = NULL;
	if (b->dead || port_is_kobject(b) || port_carried_to(b, p) ||
	    (m = notify_alloc(k, NOTIFY_PORT_DESTROYED, MSG_TYPE_PORT_ALL,
			      PORT_NULL)) == NULL ||
	    (m->items = umach__calloc(1, sizeof *m->items)) == NULL) {
		if (m != NULL)
			kmsg_destroy(k, m);
		port_put(k, b);
		return -1;
	}
	m->dest = b;			/* p's reference moves to m */
	m->nitems = 1;
	m->items[0].offset = offsetof(notification_t, notify_port) -
			     sizeof(msg_header_t);
	m->items[0].name_type = MSG_TYPE_PORT_ALL;
	m->items[0].rights = RIGHT_RECEIVE | RIGHT_OWN;
	m->items[0].port = p;
	port_get(p);
	p->transit |= RIGHT_RECEIVE | RIGHT_OWN;
	p->carrier_r = p->carrier_o = m;
	KSTAT(k, b->receiver ? b->receiver->task : NULL, notifications, 1);
	msgq_send_always(k, m);
	return 0;
}
