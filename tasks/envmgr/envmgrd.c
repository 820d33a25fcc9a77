/*
 * umach-envmgrd: the environment manager, a task that umachd starts at
 * boot and whose port every task finds in environment_port (registered
 * slot 1).  It keeps one environment of named strings and named send
 * rights (tasks/envmgr/env_mgr.defs, <servers/env_mgr.h>).  Names compare
 * without regard to case, as CMU's did, and one name is either a string or
 * a port.  A named port dies with its port: the kernel's
 * NOTIFY_PORT_DELETED on our notify port removes it.  One thread serves
 * requests through env_mgr_server(), the demux umig generates from
 * env_mgr.defs; another serves notifications; a mutex guards the tables.
 * Replies never block us: a client whose reply port is full loses its
 * reply.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <mach.h>
#include <servers/env_mgr.h>
#include "env_mgrServer.h"

struct str_var {
	env_name_t    name;		/* "" = free */
	env_str_val_t val;
};

struct port_var {
	env_name_t name;
	port_t     port;		/* our send right, PORT_NULL = free */
};

static struct str_var strs[ENV_STRINGS_MAX];
static struct port_var ports[ENV_PORTS_MAX];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static port_t service;

static struct str_var *find_str(const char *name)
{
	for (int i = 0; i < ENV_STRINGS_MAX; i++)
		if (strs[i].name[0] != '\0' &&
		    strcasecmp(strs[i].name, name) == 0)
			return &strs[i];
	return NULL;
}

static struct port_var *find_port(const char *name)
{
	for (int i = 0; i < ENV_PORTS_MAX; i++)
		if (ports[i].port != PORT_NULL &&
		    strcasecmp(ports[i].name, name) == 0)
			return &ports[i];
	return NULL;
}

/* Let go of a send right we were given, unless a name still needs it. */
static void release(port_t p)
{
	if (p == PORT_NULL || p == service || p == task_notify() ||
	    p == name_server_port)
		return;
	for (int i = 0; i < ENV_PORTS_MAX; i++)
		if (ports[i].port == p)
			return;
	port_deallocate(task_self(), p);
}

/* A name to set must not be empty (the demux has NUL-terminated it). */
static kern_return_t set_string(const char *name, const char *val)
{
	if (name[0] == '\0')
		return KERN_INVALID_ARGUMENT;
	if (find_port(name) != NULL)
		return ENV_WRONG_VAR_TYPE;
	struct str_var *v = find_str(name);
	for (int i = 0; v == NULL && i < ENV_STRINGS_MAX; i++)
		if (strs[i].name[0] == '\0')
			v = &strs[i];
	if (v == NULL)
		return ENV_PORT_TABLE_FULL;	/* CMU: "environment is full" */
	memset(v, 0, sizeof *v);
	strncpy(v->name, name, sizeof v->name - 1);
	strncpy(v->val, val, sizeof v->val - 1);
	return ENV_SUCCESS;
}

static kern_return_t set_port(const char *name, port_t port)
{
	if (name[0] == '\0')
		return KERN_INVALID_ARGUMENT;
	if (port == PORT_NULL)
		return ENV_PORT_NULL;
	if (find_str(name) != NULL)
		return ENV_WRONG_VAR_TYPE;
	struct port_var *v = find_port(name);
	for (int i = 0; v == NULL && i < ENV_PORTS_MAX; i++)
		if (ports[i].port == PORT_NULL)
			v = &ports[i];
	if (v == NULL)
		return ENV_PORT_TABLE_FULL;
	port_t old = v->port;
	memset(v->name, 0, sizeof v->name);
	strncpy(v->name, name, sizeof v->name - 1);
	v->port = port;
	if (old != port)
		release(old);
	return ENV_SUCCESS;
}

/* Look name up as a string (want_port 0) or a port (1). */
static kern_return_t find(const char *name, int want_port,
			  struct str_var **s, struct port_var **p)
{
	*s = find_str(name);
	*p = find_port(name);
	if (*s == NULL && *p == NULL)
		return ENV_VAR_NOT_FOUND;
	if ((want_port && *p == NULL) || (!want_port && *s == NULL))
		return ENV_WRONG_VAR_TYPE;
	return ENV_SUCCESS;
}

static kern_return_t del(const char *name, int want_port)
{
	struct str_var *s;
	struct port_var *p;
	kern_return_t r = find(name, want_port, &s, &p);

	if (r != ENV_SUCCESS)
		return r;
	if (want_port) {
		port_t old = p->port;
		memset(p, 0, sizeof *p);
		release(old);
	} else {
		memset(s, 0, sizeof *s);
	}
	return ENV_SUCCESS;
}

/*
 * The server routines of env_mgr.defs, called by the umig-generated demux
 * env_mgr_server() with the lock held; it has checked every descriptor and
 * the size, and NUL-terminated the strings.  MIG's rule: on success a
 * routine owns the rights the request brought; on failure the demux frees
 * them, except those umig_keep_right() claims.
 */
kern_return_t do_env_set_string(port_t server, char *env_name, char *env_val)
{
	(void)server;
	return set_string(env_name, env_val);
}

kern_return_t do_env_get_string(port_t server, char *env_name, char *env_val)
{
	struct str_var *s;
	struct port_var *p;
	kern_return_t r = find(env_name, 0, &s, &p);

	(void)server;
	if (r == ENV_SUCCESS)
		memcpy(env_val, s->val, sizeof s->val);
	return r;
}

kern_return_t do_env_del_string(port_t server, char *env_name)
{
	(void)server;
	return del(env_name, 0);
}

kern_return_t do_env_set_port(port_t server, char *env_name, port_t env_val)
{
	(void)server;
	return set_port(env_name, env_val);
}

kern_return_t do_env_get_port(port_t server, char *env_name, port_t *env_val)
{
	struct str_var *s;
	struct port_var *p;
	kern_return_t r = find(env_name, 1, &s, &p);

	(void)server;
	if (r == ENV_SUCCESS)
		*env_val = p->port;
	return r;
}

kern_return_t do_env_del_port(port_t server, char *env_name)
{
	(void)server;
	return del(env_name, 1);
}

kern_return_t do_env_list_strings(port_t server, env_name_t *env_names,
				  unsigned int *env_namesCnt,
				  env_str_val_t *env_string_vals,
				  unsigned int *env_string_valsCnt)
{
	unsigned int n = 0;

	(void)server;
	for (int i = 0; i < ENV_STRINGS_MAX; i++)
		if (strs[i].name[0] != '\0') {
			memcpy(env_names[n], strs[i].name, sizeof(env_name_t));
			memcpy(env_string_vals[n], strs[i].val,
			       sizeof(env_str_val_t));
			n++;
		}
	*env_namesCnt = *env_string_valsCnt = n;
	return ENV_SUCCESS;
}

kern_return_t do_env_list_ports(port_t server, env_name_t *env_names,
				unsigned int *env_namesCnt,
				port_t *env_port_vals,
				unsigned int *env_port_valsCnt)
{
	unsigned int n = 0;

	(void)server;
	for (int i = 0; i < ENV_PORTS_MAX; i++)
		if (ports[i].port != PORT_NULL) {
			memcpy(env_names[n], ports[i].name, sizeof(env_name_t));
			env_port_vals[n++] = ports[i].port;
		}
	*env_namesCnt = *env_port_valsCnt = n;
	return ENV_SUCCESS;
}

/* A name in a list is a whole array element: it must end within it. */
static int terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/*
 * env_set_stlist / env_set_ptlist: sets the pairs in order and stops at
 * the first error, as CMU's did; the names set before it stay set (and
 * umig_keep_right keeps their ports when the demux frees the request's
 * rights).
 */
kern_return_t do_env_set_stlist(port_t server, env_name_t *env_names,
				unsigned int env_namesCnt,
				env_str_val_t *env_string_vals,
				unsigned int env_string_valsCnt)
{
	(void)server;
	if (env_namesCnt != env_string_valsCnt)
		return KERN_INVALID_ARGUMENT;
	for (unsigned int j = 0; j < env_namesCnt; j++) {
		if (!terminated(env_names[j], sizeof(env_name_t)) ||
		    !terminated(env_string_vals[j], sizeof(env_str_val_t)))
			return KERN_INVALID_ARGUMENT;
		kern_return_t r = set_string(env_names[j], env_string_vals[j]);
		if (r != ENV_SUCCESS)
			return r;
	}
	return ENV_SUCCESS;
}

kern_return_t do_env_set_ptlist(port_t server, env_name_t *env_names,
				unsigned int env_namesCnt,
				port_t *env_port_vals,
				unsigned int env_port_valsCnt)
{
	(void)server;
	if (env_namesCnt != env_port_valsCnt)
		return KERN_INVALID_ARGUMENT;
	for (unsigned int j = 0; j < env_namesCnt; j++) {
		if (!terminated(env_names[j], sizeof(env_name_t)))
			return KERN_INVALID_ARGUMENT;
		kern_return_t r = set_port(env_names[j], env_port_vals[j]);
		if (r != ENV_SUCCESS)
			return r;
	}
	return ENV_SUCCESS;
}

/* The demux frees the rights of a failed request: keep those a name (or
 * our own ports) still needs. */
int umig_keep_right(port_t name)
{
	if (name == service || name == task_notify() ||
	    name == name_server_port)
		return 1;
	for (int i = 0; i < ENV_PORTS_MAX; i++)
		if (ports[i].port == name)
			return 1;
	return 0;
}

/* The receive and reply buffers: 8-byte aligned, as the demux needs. */
union msgs {
	msg_header_t h;
	death_pill_t pill;
	char raw[MSG_SIZE_MAX > env_mgr_REPLY_SIZE_MAX ? MSG_SIZE_MAX :
		 env_mgr_REPLY_SIZE_MAX];
};

static void *notifications(void *arg)
{
	notification_t n;

	(void)arg;
	for (;;) {
		n.notify_header.msg_size = sizeof n;
		n.notify_header.msg_local_port = task_notify();
		if (msg_receive(&n.notify_header, MSG_OPTION_NONE, 0) !=
		    RCV_SUCCESS)
			return NULL;
		if (n.notify_header.msg_id != NOTIFY_PORT_DELETED)
			continue;
		pthread_mutex_lock(&lock);
		for (int i = 0; i < ENV_PORTS_MAX; i++)
			if (ports[i].port == n.notify_port)
				memset(&ports[i], 0, sizeof ports[i]);
		pthread_mutex_unlock(&lock);
	}
}

/*
 * Drop every named port that has died: its NOTIFY_PORT_DELETED may still
 * be on its way, but the kernel has already taken the name away.
 */
static void purge_dead(void)
{
	port_type_t type;

	for (int i = 0; i < ENV_PORTS_MAX; i++)
		if (ports[i].port != PORT_NULL &&
		    port_type(task_self(), ports[i].port, &type) !=
		    KERN_SUCCESS)
			memset(&ports[i], 0, sizeof ports[i]);
}

/*
 * Serve request *in and send the reply, if it has a reply port.  A reply
 * carrying a named port fails SEND_INVALID_PORT if that port died just
 * now: forget it and answer again (get_port and list_ports change
 * nothing, so serving twice is safe).
 */
static void answer(union msgs *in, union msgs *out)
{
	for (int tries = 0; tries < 2; tries++) {
		pthread_mutex_lock(&lock);
		if (tries > 0)
			purge_dead();
		env_mgr_server(&in->h, &out->h);
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
	static union msgs in, out;
	pthread_t t;

	if (mach_init() != KERN_SUCCESS || environment_port == PORT_NULL) {
		fprintf(stderr, "umach-envmgrd: must be started by umachd\n");
		return 1;
	}
	service = environment_port;
	pthread_create(&t, NULL, notifications, NULL);
	for (;;) {
		in.h.msg_size = sizeof in;
		in.h.msg_local_port = service;
		msg_return_t r = msg_receive(&in.h, MSG_OPTION_NONE, 0);
		if (r == RCV_INVALID_PORT)
			return 0;	/* the kernel is gone */
		if (r == RCV_SUCCESS)
			answer(&in, &out);
	}
}
