/*
 * umach-netnamed: the name server, a task that umachd starts at boot and
 * whose port every task finds in name_server_port.  It maps names of up to
 * 79 characters to send rights (tasks/netname/netname.defs).  A name dies
 * with its port: the kernel's NOTIFY_PORT_DELETED on our notify port
 * removes it.  Look-ups for other hosts go to umach-netd.  One thread
 * serves requests through netname_server(), the demux umig generates from
 * netname.defs; another serves notifications;
 * a mutex guards the table.  Replies never block us: a client whose reply
 * port is full loses its reply.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mach.h>
#include <servers/netname.h>
#include "netnameServer.h"
#include "netdfwd.h"

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

/*
 * Another host's name: ask umach-netd, if one has checked in under
 * "umach-netd" (docs/netd.md), with netdfwd.defs's stub (netname_look_up
 * with a 10 s time-out and a fresh reply port, so that a netd that dies
 * mid-call cannot hang us).  The lock is let go meanwhile.  Called with
 * the lock held, and returns with it held.  The proxy's send right stays
 * in our space (one name per proxy, as netd reuses them).
 */
static kern_return_t remote_look_up(char *host, char *port_name,
				    port_t *port_id)
{
	struct name *n = find("umach-netd");
	kern_return_t r;
	port_t reply;

	if (n == NULL)
		return NETNAME_NO_SUCH_HOST;
	port_t netd = n->port;
	if (port_allocate(task_self(), &reply) != KERN_SUCCESS)
		return KERN_RESOURCE_SHORTAGE;
	pthread_mutex_unlock(&lock);
	r = netdfwd_look_up(netd, reply, host, port_name, port_id);
	port_deallocate(task_self(), reply);
	pthread_mutex_lock(&lock);
	if (r == SEND_INVALID_PORT || r == RCV_INVALID_PORT ||
	    r == SEND_TIMED_OUT || r == RCV_TIMED_OUT)
		r = NETNAME_NO_SUCH_HOST;	/* netd died or is stuck */
	return r;
}

/*
 * The server routines of netname.defs, called by the umig-generated demux
 * netname_server() with the lock held.  MIG's rule: on success a routine
 * owns the rights the request brought; on failure the demux frees them,
 * except those umig_keep_right() claims.
 */
kern_return_t _netname_check_in(port_t server_port, char *port_name,
				port_t signature, port_t port_id)
{
	(void)server_port;
	if (port_id == PORT_NULL)
		return NETNAME_INVALID_PORT;
	struct name *n = find(port_name);
	if (n != NULL && n->signature != signature)
		return NETNAME_NOT_YOURS;
	for (int i = 0; n == NULL && i < NAMES_MAX; i++)
		if (names[i].port == PORT_NULL)
			n = &names[i];
	if (n == NULL)
		return KERN_RESOURCE_SHORTAGE;
	port_t old = n->port;
	memcpy(n->key, port_name, sizeof n->key);
	n->port = port_id;
	n->signature = signature;
	if (old != port_id)
		release(old);
	return KERN_SUCCESS;
}

kern_return_t _netname_look_up(port_t server_port, char *host_name,
			       char *port_name, port_t *port_id)
{
	(void)server_port;
	if (!local_host(host_name))
		return remote_look_up(host_name, port_name, port_id);
	struct name *n = find(port_name);
	if (n == NULL)
		return NETNAME_NOT_CHECKED_IN;
	*port_id = n->port;
	return KERN_SUCCESS;
}

kern_return_t _netname_check_out(port_t server_port, char *port_name,
				 port_t signature)
{
	(void)server_port;
	struct name *n = find(port_name);
	if (n == NULL)
		return NETNAME_NOT_CHECKED_IN;
	if (n->signature != signature)
		return NETNAME_NOT_YOURS;
	port_t p = n->port;
	memset(n, 0, sizeof *n);
	release(p);
	release(signature);	/* the one we were given is the same name */
	return KERN_SUCCESS;
}

kern_return_t _netname_version(port_t server_port, char *version)
{
	(void)server_port;
	snprintf(version, sizeof(netname_name_t), "umach netname 1");
	return KERN_SUCCESS;
}

/* Rights the table still needs survive a failed request (Mach 2.5 keeps
 * one right per name, so the request's right is the table's). */
int umig_keep_right(port_t name)
{
	return name == service || name == task_notify() || in_use(name);
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

/* The receive and reply buffers: 8-byte aligned, as the demux needs. */
union msg_buf {
	msg_header_t h;
	death_pill_t pill;
	char raw[MSG_SIZE_MAX];
};

/*
 * Drop every name whose port has died: its NOTIFY_PORT_DELETED may still
 * be on its way, but the kernel has already taken the name away.
 */
static void purge_dead(void)
{
	port_type_t type;

	for (int i = 0; i < NAMES_MAX; i++)
		if (names[i].port != PORT_NULL &&
		    port_type(task_self(), names[i].port, &type) != KERN_SUCCESS)
			memset(&names[i], 0, sizeof names[i]);
}

/*
 * Serve request *in and send the reply, if it has a reply port.  A
 * look_up reply fails SEND_INVALID_PORT if the named port died just now:
 * forget the dead names and answer again, so that the client gets
 * NETNAME_NOT_CHECKED_IN rather than no reply.
 */
static void answer(union msg_buf *in, union msg_buf *out)
{
	for (int tries = 0; tries < 2; tries++) {
		pthread_mutex_lock(&lock);
		if (tries > 0)
			purge_dead();
		netname_server(&in->h, &out->h);
		pthread_mutex_unlock(&lock);
		if (out->pill.RetCode == MIG_NO_REPLY ||
		    out->h.msg_remote_port == PORT_NULL)
			return;
		if (msg_send(&out->h, SEND_TIMEOUT, 0) != SEND_INVALID_PORT ||
		    out->h.msg_simple)
			return;
	}
}

int main(void)
{
	static union msg_buf in, out;
	pthread_t t;

	_Static_assert(sizeof out >= netname_REPLY_SIZE_MAX, "reply buffer");
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
		answer(&in, &out);
	}
}
