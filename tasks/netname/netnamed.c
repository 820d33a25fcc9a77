/*
 * umach-netnamed: the name server, a task that umachd starts at boot and
 * whose port every task finds in name_server_port.  It maps names of up to
 * 79 characters to send rights (tasks/netname/netname.defs).  A name dies
 * with its port: the kernel's NOTIFY_PORT_DELETED on our notify port
 * removes it.  One thread serves requests, another notifications; a mutex
 * guards the table.  Replies never block us: a client whose reply port is
 * full loses its reply.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mach.h>
#include <umach/netname_msg.h>

#define NAMES_MAX 4096		/* documented in docs/protocol.md §7 */

struct name {
	netname_name_t key;
	port_t         port;		/* our send right, PORT_NULL = free */
	port_t         signature;
};

static struct name names[NAMES_MAX];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static port_t service;

static struct name *find(const char *key)
{
	for (int i = 0; i < NAMES_MAX; i++)
		if (names[i].port != PORT_NULL &&
		    strncmp(names[i].key, key, sizeof names[i].key) == 0)
			return &names[i];
	return NULL;
}

static int in_use(port_t p)
{
	for (int i = 0; i < NAMES_MAX; i++)
		if (names[i].port == p || names[i].signature == p)
			return 1;
	return 0;
}

/* Let go of a right we were given, unless a name still needs it. */
static void release(port_t p)
{
	if (p != PORT_NULL && p != service && p != task_notify() && !in_use(p))
		port_deallocate(task_self(), p);
}

static int local_host(const char *host)
{
	char me[256];

	if (host[0] == '\0' || strcmp(host, "*") == 0)
		return 1;
	return gethostname(me, sizeof me) == 0 &&
	       strncmp(me, host, sizeof(netname_name_t)) == 0;
}

static kern_return_t check_in(struct netname_check_in_req *q)
{
	q->port_name[sizeof q->port_name - 1] = '\0';
	if (q->port_id == PORT_NULL)
		return NETNAME_INVALID_PORT;
	struct name *n = find(q->port_name);
	if (n != NULL && n->signature != q->signature)
		return NETNAME_NOT_YOURS;
	for (int i = 0; n == NULL && i < NAMES_MAX; i++)
		if (names[i].port == PORT_NULL)
			n = &names[i];
	if (n == NULL)
		return KERN_RESOURCE_SHORTAGE;
	port_t old = n->port;
	memcpy(n->key, q->port_name, sizeof n->key);
	n->port = q->port_id;
	n->signature = q->signature;
	if (old != q->port_id)
		release(old);
	return KERN_SUCCESS;
}

static kern_return_t look_up(struct netname_look_up_req *q, port_t *out)
{
	q->host_name[sizeof q->host_name - 1] = '\0';
	q->port_name[sizeof q->port_name - 1] = '\0';
	if (!local_host(q->host_name))
		return NETNAME_NO_SUCH_HOST;	/* TODO(#8): netd */
	struct name *n = find(q->port_name);
	if (n == NULL)
		return NETNAME_NOT_CHECKED_IN;
	*out = n->port;
	return KERN_SUCCESS;
}

static kern_return_t check_out(struct netname_check_out_req *q)
{
	q->port_name[sizeof q->port_name - 1] = '\0';
	struct name *n = find(q->port_name);
	if (n == NULL)
		return NETNAME_NOT_CHECKED_IN;
	if (n->signature != q->signature)
		return NETNAME_NOT_YOURS;
	port_t p = n->port, sig = n->signature;
	memset(n, 0, sizeof *n);
	release(p);
	release(sig);
	return KERN_SUCCESS;
}

union msgs {
	msg_header_t h;
	struct netname_check_in_req ci;
	struct netname_look_up_req lu;
	struct netname_check_out_req co;
	struct netname_look_up_reply lur;
	struct netname_version_reply vr;
	char raw[MSG_SIZE_MAX];
};

/* Decode, check as a MIG server would, act; fill the reply in *o. */
static void serve(union msgs *i, union msgs *o)
{
	kern_return_t r = MIG_BAD_ARGUMENTS;
	uint32_t size = sizeof(struct netname_rc_reply);
	port_t given[2] = { PORT_NULL, PORT_NULL };

	o->lur.RetCodeType = umach_msg_type(MSG_TYPE_INTEGER_32, 32);
	o->h.msg_simple = TRUE;
	switch (i->h.msg_id) {
	case NETNAME_CHECK_IN:
		given[0] = i->ci.port_id;
		given[1] = i->ci.signature;
		if (i->h.msg_size == sizeof i->ci &&
		    umach_msg_type_long_is(i->ci.port_nameType, MSG_TYPE_STRING, 640) &&
		    umach_msg_type_is(i->ci.signatureType, MSG_TYPE_PORT, 32) &&
		    umach_msg_type_is(i->ci.port_idType, MSG_TYPE_PORT, 32))
			r = check_in(&i->ci);
		if (r == KERN_SUCCESS)
			given[0] = given[1] = PORT_NULL;   /* the table owns them */
		break;
	case NETNAME_LOOK_UP:
		if (i->h.msg_size == sizeof i->lu &&
		    umach_msg_type_long_is(i->lu.host_nameType, MSG_TYPE_STRING, 640) &&
		    umach_msg_type_long_is(i->lu.port_nameType, MSG_TYPE_STRING, 640))
			r = look_up(&i->lu, &o->lur.port_id);
		if (r == KERN_SUCCESS) {
			o->lur.port_idType = umach_msg_type(MSG_TYPE_PORT, 32);
			o->h.msg_simple = FALSE;
			size = sizeof o->lur;
		}
		break;
	case NETNAME_CHECK_OUT:
		given[1] = i->co.signature;
		if (i->h.msg_size == sizeof i->co &&
		    umach_msg_type_long_is(i->co.port_nameType, MSG_TYPE_STRING, 640) &&
		    umach_msg_type_is(i->co.signatureType, MSG_TYPE_PORT, 32))
			r = check_out(&i->co);
		break;
	case NETNAME_VERSION:
		r = i->h.msg_size == sizeof(msg_header_t) ? KERN_SUCCESS : r;
		if (r == KERN_SUCCESS) {
			o->vr.versionType = umach_msg_type_long(MSG_TYPE_STRING, 640);
			snprintf(o->vr.version, sizeof o->vr.version,
				 "umach netname 1");
			size = sizeof o->vr;
		}
		break;
	default:
		r = MIG_BAD_ID;
	}
	/* MIG's rule: rights in a failed request are the runtime's to free. */
	release(given[0]);
	release(given[1]);
	o->lur.RetCode = r;
	o->h.msg_size = size;
}

static void *notifications(void *arg)
{
	notification_t n;

	(void)arg;
	for (;;) {
		n.notify_header.msg_size = sizeof n;
		n.notify_header.msg_local_port = task_notify();
		if (msg_receive(&n.notify_header, MSG_OPTION_NONE, 0) != RCV_SUCCESS)
			return NULL;
		if (n.notify_header.msg_id != NOTIFY_PORT_DELETED)
			continue;
		pthread_mutex_lock(&lock);
		for (int i = 0; i < NAMES_MAX; i++)
			if (names[i].port == n.notify_port)
				memset(&names[i], 0, sizeof names[i]);
		pthread_mutex_unlock(&lock);
	}
}

int main(void)
{
	static union msgs in, out;
	pthread_t t;

	if (mach_init() != KERN_SUCCESS || name_server_port == PORT_NULL) {
		fprintf(stderr, "umach-netnamed: must be started by umachd\n");
		return 1;
	}
	service = name_server_port;
	pthread_create(&t, NULL, notifications, NULL);
	for (;;) {
		in.h.msg_size = sizeof in;
		in.h.msg_local_port = service;
		msg_return_t r = msg_receive(&in.h, MSG_OPTION_NONE, 0);
		if (r == RCV_INVALID_PORT)
			return 0;	/* the kernel is gone */
		if (r != RCV_SUCCESS)
			continue;
		memset(&out.h, 0, sizeof out.h);
		pthread_mutex_lock(&lock);
		serve(&in, &out);
		pthread_mutex_unlock(&lock);
		out.h.msg_type = MSG_TYPE_NORMAL;
		out.h.msg_remote_port = in.h.msg_remote_port;
		out.h.msg_id = in.h.msg_id + 100;
		if (out.h.msg_remote_port == PORT_NULL ||
		    msg_send(&out.h, SEND_TIMEOUT, 0) != SEND_INVALID_PORT ||
		    out.h.msg_simple)
			continue;
		/* The looked-up port died before its NOTIFY_PORT_DELETED was
		 * read, so the reply cannot carry it: the name died with it. */
		out.lur.RetCode = NETNAME_NOT_CHECKED_IN;
		out.h.msg_simple = TRUE;
		out.h.msg_size = sizeof(struct netname_rc_reply);
		msg_send(&out.h, SEND_TIMEOUT, 0);
	}
}
