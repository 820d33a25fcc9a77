/*
 * umach-envmgrd: the environment manager, a task that umachd starts at
 * boot and whose port every task finds in environment_port (registered
 * slot 1).  It keeps one environment of named strings and named send
 * rights (tasks/envmgr/env_mgr.defs, <servers/env_mgr.h>).  Names compare
 * without regard to case, as CMU's did, and one name is either a string or
 * a port.  A named port dies with its port: the kernel's
 * NOTIFY_PORT_DELETED on our notify port removes it.  One thread serves
 * requests, another notifications; a mutex guards the tables.  Replies
 * never block us: a client whose reply port is full loses its reply.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <mach.h>
#include <umach/env_mgr_msg.h>
#include <umach/msg_desc.h>

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

/* A name or value must end within its array (at most size - 1 chars). */
static int terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static kern_return_t set_string(struct env_set_string_req *q)
{
	if (!terminated(q->env_name, sizeof q->env_name) ||
	    !terminated(q->env_val, sizeof q->env_val) ||
	    q->env_name[0] == '\0')
		return KERN_INVALID_ARGUMENT;
	if (find_port(q->env_name) != NULL)
		return ENV_WRONG_VAR_TYPE;
	struct str_var *v = find_str(q->env_name);
	for (int i = 0; v == NULL && i < ENV_STRINGS_MAX; i++)
		if (strs[i].name[0] == '\0')
			v = &strs[i];
	if (v == NULL)
		return ENV_PORT_TABLE_FULL;	/* CMU: "environment is full" */
	memcpy(v->name, q->env_name, sizeof v->name);
	memcpy(v->val, q->env_val, sizeof v->val);
	return ENV_SUCCESS;
}

static kern_return_t set_port(struct env_set_port_req *q)
{
	if (!terminated(q->env_name, sizeof q->env_name) ||
	    q->env_name[0] == '\0')
		return KERN_INVALID_ARGUMENT;
	if (q->env_val == PORT_NULL)
		return ENV_PORT_NULL;
	if (find_str(q->env_name) != NULL)
		return ENV_WRONG_VAR_TYPE;
	struct port_var *v = find_port(q->env_name);
	for (int i = 0; v == NULL && i < ENV_PORTS_MAX; i++)
		if (ports[i].port == PORT_NULL)
			v = &ports[i];
	if (v == NULL)
		return ENV_PORT_TABLE_FULL;
	port_t old = v->port;
	memcpy(v->name, q->env_name, sizeof v->name);
	v->port = q->env_val;
	if (old != q->env_val)
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

static kern_return_t del(struct env_name_req *q, int want_port)
{
	struct str_var *s;
	struct port_var *p;
	kern_return_t r = find(q->env_name, want_port, &s, &p);

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

/* A request's inline array descriptor at b + at: its element count, or
 * -1 if it is not (type_name, bits) inline, longform or not as asked. */
static int32_t array_count(const uint8_t *b, uint32_t at, uint32_t type_name,
			   uint32_t bits, int longform)
{
	msg_type_long_t t;

	memcpy(&t, b + at, longform ? sizeof t : sizeof(msg_type_t));
	if (!t.msg_type_header.msg_type_inline ||
	    t.msg_type_header.msg_type_longform != (unsigned int)longform)
		return -1;
	if (!longform)
		return t.msg_type_header.msg_type_name == type_name &&
		       t.msg_type_header.msg_type_size == bits ?
		       (int32_t)t.msg_type_header.msg_type_number : -1;
	return t.msg_type_long_name == type_name &&
	       t.msg_type_long_size == bits ?
	       (int32_t)t.msg_type_long_number : -1;
}

/* Give back the send rights of ports[from..n) that no name kept. */
static void release_from(const uint8_t *vals, uint32_t from, uint32_t n)
{
	for (uint32_t j = from; j < n; j++) {
		port_t p;
		memcpy(&p, vals + 4 * j, sizeof p);
		release(p);
	}
}

/*
 * env_set_stlist / env_set_ptlist: n names, then n values, inline
 * (env_mgr_msg.h).  Sets them in order and stops at the first error, as
 * CMU's did; the names set before it stay set.
 */
static kern_return_t set_list(const uint8_t *b, uint32_t size, int want_port)
{
	uint32_t at = sizeof(msg_header_t), vbits = ENV_VAL_BITS;
	uint32_t vdesc = want_port ? sizeof(msg_type_t) : sizeof(msg_type_long_t);
	uint32_t vsize = want_port ? sizeof(port_t) : sizeof(env_str_val_t);
	int32_t n = -1, nv = -1, max = want_port ? ENV_PORTS_MAX :
				     ENV_STRINGS_MAX;

	if (size >= at + sizeof(msg_type_long_t))
		n = array_count(b, at, MSG_TYPE_STRING, ENV_NAME_BITS, 1);
	uint32_t vat = at + sizeof(msg_type_long_t) +
		       (uint32_t)(n < 0 ? 0 : n) * sizeof(env_name_t);
	if (n >= 0 && n <= max && size >= vat + vdesc)
		nv = array_count(b, vat, want_port ? MSG_TYPE_PORT :
				 MSG_TYPE_STRING, want_port ? 32 : vbits,
				 !want_port);
	if (nv < 0 || nv > max ||
	    size != ((vat + vdesc + (uint32_t)nv * vsize + 7) & ~7u))
		return MIG_BAD_ARGUMENTS;
	const uint8_t *names = b + at + sizeof(msg_type_long_t);
	const uint8_t *vals = b + vat + vdesc;
	if (nv != n) {
		if (want_port)
			release_from(vals, 0, (uint32_t)nv);
		return KERN_INVALID_ARGUMENT;
	}
	for (int32_t j = 0; j < n; j++) {
		kern_return_t r;
		if (want_port) {
			struct env_set_port_req q;
			memcpy(q.env_name, names + j * sizeof(env_name_t),
			       sizeof q.env_name);
			memcpy(&q.env_val, vals + 4 * j, sizeof q.env_val);
			r = set_port(&q);
		} else {
			struct env_set_string_req q;
			memcpy(q.env_name, names + j * sizeof(env_name_t),
			       sizeof q.env_name);
			memcpy(q.env_val, vals + j * vsize, sizeof q.env_val);
			r = set_string(&q);
		}
		if (r != ENV_SUCCESS) {
			if (want_port)
				release_from(vals, (uint32_t)j, (uint32_t)n);
			return r;
		}
	}
	return ENV_SUCCESS;
}

union msgs {
	msg_header_t h;
	struct env_name_req nq;
	struct env_set_string_req ss;
	struct env_set_port_req sp;
	struct env_rc_reply rc;
	struct env_get_string_reply gs;
	struct env_get_port_reply gp;
	struct env_list_reply lr;
	char raw[MSG_SIZE_MAX];
};

static int name_ok(const union msgs *i, uint32_t size)
{
	return i->h.msg_size == size &&
	       umach_msg_type_long_is(i->nq.env_nameType, MSG_TYPE_STRING,
				      ENV_NAME_BITS);
}

/* A name to look up: KERN_INVALID_ARGUMENT if it overruns its array. */
static kern_return_t name_arg(const union msgs *i)
{
	return terminated(i->nq.env_name, sizeof i->nq.env_name) ?
	       ENV_SUCCESS : KERN_INVALID_ARGUMENT;
}

/* Append a longform descriptor of count elements of bits each at *at. */
static void put_array(union msgs *o, uint32_t *at, uint32_t type_name,
		      uint32_t bits, uint32_t count)
{
	msg_type_long_t t = umach_msg_type_long(type_name, bits);

	t.msg_type_long_number = count;
	memcpy(o->raw + *at, &t, sizeof t);
	*at += sizeof t;
}

/* The list replies: names, then values, inline (env_mgr_msg.h). */
static uint32_t list(union msgs *o, int want_port)
{
	uint32_t n = 0, at = sizeof o->lr;
	int max = want_port ? ENV_PORTS_MAX : ENV_STRINGS_MAX;

	for (int i = 0; i < max; i++)
		n += want_port ? ports[i].port != PORT_NULL :
				 strs[i].name[0] != '\0';
	o->lr.env_namesType = umach_msg_type_long(MSG_TYPE_STRING,
						  ENV_NAME_BITS);
	o->lr.env_namesType.msg_type_long_number = n;
	for (int i = 0; i < max; i++)
		if (want_port ? ports[i].port != PORT_NULL : strs[i].name[0]) {
			memcpy(o->raw + at, want_port ? ports[i].name :
			       strs[i].name, sizeof(env_name_t));
			at += sizeof(env_name_t);
		}
	if (want_port) {
		msg_type_t t = umach_msg_type(MSG_TYPE_PORT, 32);
		t.msg_type_number = n;
		memcpy(o->raw + at, &t, sizeof t);
		at += sizeof t;
	} else {
		put_array(o, &at, MSG_TYPE_STRING, ENV_VAL_BITS, n);
	}
	for (int i = 0; i < max; i++) {
		if (want_port && ports[i].port != PORT_NULL) {
			memcpy(o->raw + at, &ports[i].port, sizeof(port_t));
			at += sizeof(port_t);
		} else if (!want_port && strs[i].name[0]) {
			memcpy(o->raw + at, strs[i].val, sizeof(env_str_val_t));
			at += sizeof(env_str_val_t);
		}
	}
	o->h.msg_simple = !want_port;
	return (at + 7) & ~7u;
}

static kern_return_t get_string(union msgs *i, union msgs *o, uint32_t *size)
{
	struct str_var *s;
	struct port_var *p;
	kern_return_t r = find(i->nq.env_name, 0, &s, &p);

	if (r == ENV_SUCCESS) {
		o->gs.env_valType = umach_msg_type_long(MSG_TYPE_STRING,
							ENV_VAL_BITS);
		memcpy(o->gs.env_val, s->val, sizeof o->gs.env_val);
		*size = sizeof o->gs;
	}
	return r;
}

static kern_return_t get_port(union msgs *i, union msgs *o, uint32_t *size)
{
	struct str_var *s;
	struct port_var *p;
	kern_return_t r = find(i->nq.env_name, 1, &s, &p);

	if (r == ENV_SUCCESS) {
		o->gp.env_valType = umach_msg_type(MSG_TYPE_PORT, 32);
		o->gp.env_val = p->port;
		o->h.msg_simple = FALSE;
		*size = sizeof o->gp;
	}
	return r;
}

/* Decode, check as a MIG server would, act; fill the reply in *o. */
static void serve(union msgs *i, union msgs *o)
{
	kern_return_t r = MIG_BAD_ARGUMENTS;
	uint32_t size = sizeof(struct env_rc_reply);
	port_t given = PORT_NULL;

	o->rc.RetCodeType = umach_msg_type(MSG_TYPE_INTEGER_32, 32);
	o->h.msg_simple = TRUE;
	switch (i->h.msg_id) {
	case ENV_SET_STRING:
		if (name_ok(i, sizeof i->ss) &&
		    umach_msg_type_long_is(i->ss.env_valType, MSG_TYPE_STRING,
					   ENV_VAL_BITS))
			r = set_string(&i->ss);
		break;
	case ENV_SET_PORT:
		given = i->sp.env_val;
		if (name_ok(i, sizeof i->sp) &&
		    umach_msg_type_is(i->sp.env_valType, MSG_TYPE_PORT, 32))
			r = set_port(&i->sp);
		if (r == ENV_SUCCESS)
			given = PORT_NULL;	/* the table owns it */
		break;
	case ENV_GET_STRING:
	case ENV_GET_PORT:
		if (!name_ok(i, sizeof i->nq) ||
		    (r = name_arg(i)) != ENV_SUCCESS)
			break;
		if (i->h.msg_id == ENV_GET_PORT)
			r = get_port(i, o, &size);
		else
			r = get_string(i, o, &size);
		break;
	case ENV_DEL_STRING:
	case ENV_DEL_PORT:
		if (name_ok(i, sizeof i->nq) &&
		    (r = name_arg(i)) == ENV_SUCCESS)
			r = del(&i->nq, i->h.msg_id == ENV_DEL_PORT);
		break;
	case ENV_SET_STLIST:
	case ENV_SET_PTLIST:
		r = set_list((const uint8_t *)i->raw, i->h.msg_size,
			     i->h.msg_id == ENV_SET_PTLIST);
		break;
	case ENV_LIST_STRINGS:
	case ENV_LIST_PORTS:
		if (i->h.msg_size == sizeof(msg_header_t)) {
			size = list(o, i->h.msg_id == ENV_LIST_PORTS);
			r = ENV_SUCCESS;
		}
		break;
	default:
		r = MIG_BAD_ID;
	}
	/* MIG's rule: rights in a failed request are the runtime's to free. */
	release(given);
	if (r != ENV_SUCCESS) {
		size = sizeof(struct env_rc_reply);
		o->h.msg_simple = TRUE;
	}
	o->rc.RetCode = r;
	o->h.msg_size = size;
}

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

/* Serve request *in and send the reply, if it has a reply port. */
static void answer(union msgs *in, union msgs *out)
{
	port_t reply = in->h.msg_remote_port;
	int id = in->h.msg_id;

	for (int tries = 0; tries < 2; tries++) {
		memset(&out->h, 0, sizeof out->h);
		pthread_mutex_lock(&lock);
		serve(in, out);
		pthread_mutex_unlock(&lock);
		out->h.msg_type = MSG_TYPE_NORMAL;
		out->h.msg_remote_port = reply;
		out->h.msg_local_port = PORT_NULL;
		/* any id a task chose, INT_MAX too: wrap, never overflow */
		out->h.msg_id = (int)((unsigned)id + 100u);
		if (reply == PORT_NULL)
			return;
		/* A reply carrying a named port fails SEND_INVALID_PORT if that
		 * port died just now: forget it and answer again (get_port and
		 * list_ports change nothing, so serving twice is safe). */
		if (msg_send(&out->h, SEND_TIMEOUT, 0) != SEND_INVALID_PORT ||
		    out->h.msg_simple)
			return;
		pthread_mutex_lock(&lock);
		purge_dead();
		pthread_mutex_unlock(&lock);
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
