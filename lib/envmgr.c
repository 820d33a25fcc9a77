/*
 * The env_mgr subsystem's calls of <servers/env_mgr.h>, as CMU had them,
 * over the client stubs that umig generates from
 * tasks/envmgr/env_mgr.defs (umach_gen_*, build/gen/env_mgr/).  The
 * generated stubs do the marshalling and MIG's reply checks; this layer
 * keeps CMU's presentation:
 * - a name or value that does not fit its array (with its NUL) is refused
 *   with KERN_INVALID_ARGUMENT, as CMU's manager refused one that arrived
 *   without its NUL, where a generated stub would cut it short;
 * - the list calls return their arrays in vm_allocate'd memory, as Mach's
 *   out-of-line arrays were, so the caller gives them back with
 *   vm_deallocate; the arrays are NULL when the count is 0.
 *
 * Every call blocks until the manager answers and returns ENV_SUCCESS or
 * one of the server's codes (ENV_VAR_NOT_FOUND, ENV_WRONG_VAR_TYPE,
 * ENV_PORT_NULL, ENV_PORT_TABLE_FULL, KERN_INVALID_ARGUMENT), a MIG_*
 * code (MIG_ARRAY_TOO_LARGE for a list over the manager's limit, others
 * for a malformed reply), or the msg_rpc error (SEND_INVALID_PORT: no such
 * port or right).  Out arguments are written only on success.
 */
#include <string.h>

#include <servers/env_mgr.h>
#include "env_mgr.h"
#include "internal.h"

static int fits(const char *s, size_t size)
{
	return s == NULL || strnlen(s, size) < size;
}

kern_return_t env_set_string(port_t port, char *env_name, char *env_val)
{
	if (!fits(env_name, env_name_size) || !fits(env_val, env_val_size))
		return KERN_INVALID_ARGUMENT;
	return umach_gen_env_set_string(port, env_name, env_val);
}

kern_return_t env_get_string(port_t port, char *env_name, char *env_val)
{
	env_str_val_t v;

	if (!fits(env_name, env_name_size))
		return KERN_INVALID_ARGUMENT;
	kern_return_t r = umach_gen_env_get_string(port, env_name, v);
	if (r == KERN_SUCCESS)
		memcpy(env_val, v, sizeof v);
	return r;
}

kern_return_t env_del_string(port_t port, char *env_name)
{
	if (!fits(env_name, env_name_size))
		return KERN_INVALID_ARGUMENT;
	return umach_gen_env_del_string(port, env_name);
}

kern_return_t env_set_port(port_t port, char *env_name, port_t env_val)
{
	if (!fits(env_name, env_name_size))
		return KERN_INVALID_ARGUMENT;
	return umach_gen_env_set_port(port, env_name, env_val);
}

kern_return_t env_get_port(port_t port, char *env_name, port_t *env_val)
{
	if (!fits(env_name, env_name_size))
		return KERN_INVALID_ARGUMENT;
	return umach_gen_env_get_port(port, env_name, env_val);
}

kern_return_t env_del_port(port_t port, char *env_name)
{
	if (!fits(env_name, env_name_size))
		return KERN_INVALID_ARGUMENT;
	return umach_gen_env_del_port(port, env_name);
}

/* Copy count elements of size bytes into fresh vm_allocate'd memory. */
static kern_return_t copy_out(const void *src, size_t size,
			      unsigned int count, void **out)
{
	vm_address_t a;

	*out = NULL;
	if (count == 0)
		return KERN_SUCCESS;
	if (vm_allocate(task_self(), &a, size * count, TRUE) != KERN_SUCCESS)
		return KERN_RESOURCE_SHORTAGE;
	memcpy((void *)a, src, size * count);
	*out = (void *)a;
	return KERN_SUCCESS;
}

/* The list calls: the generated stub fills buffers of the manager's
 * limits, which are then copied out.  The names and values come in pairs,
 * so both counts are the same. */
static kern_return_t give(const void *names, unsigned int n,
			  const void *vals, size_t vsize, unsigned int nv,
			  void **names_out, unsigned int *namesCnt,
			  void **vals_out, unsigned int *valsCnt)
{
	void *a, *b;
	kern_return_t r = copy_out(names, sizeof(env_name_t), n, &a);

	if (r != KERN_SUCCESS)
		return r;
	r = copy_out(vals, vsize, nv, &b);
	if (r != KERN_SUCCESS) {
		if (a != NULL)
			vm_deallocate(task_self(), (vm_address_t)a,
				      n * sizeof(env_name_t));
		return r;
	}
	*names_out = a;
	*namesCnt = n;
	*vals_out = b;
	*valsCnt = nv;
	return KERN_SUCCESS;
}

kern_return_t env_list_strings(port_t port, env_name_list *env_names,
			       unsigned int *env_namesCnt,
			       env_str_list *env_string_vals,
			       unsigned int *env_string_valsCnt)
{
	env_name_t names[ENV_STRINGS_MAX];
	env_str_val_t vals[ENV_STRINGS_MAX];
	unsigned int n = ENV_STRINGS_MAX, nv = ENV_STRINGS_MAX;
	kern_return_t r = umach_gen_env_list_strings(port, names, &n, vals, &nv);

	if (r != KERN_SUCCESS)
		return r;
	return give(names, n, vals, sizeof(env_str_val_t), nv,
		    (void **)env_names, env_namesCnt, (void **)env_string_vals,
		    env_string_valsCnt);
}

kern_return_t env_list_ports(port_t port, env_name_list *env_names,
			     unsigned int *env_namesCnt,
			     port_array_t *env_port_vals,
			     unsigned int *env_port_valsCnt)
{
	env_name_t names[ENV_PORTS_MAX];
	port_t vals[ENV_PORTS_MAX];
	unsigned int n = ENV_PORTS_MAX, nv = ENV_PORTS_MAX;
	kern_return_t r = umach_gen_env_list_ports(port, names, &n, vals, &nv);

	if (r != KERN_SUCCESS)
		return r;
	return give(names, n, vals, sizeof(port_t), nv, (void **)env_names,
		    env_namesCnt, (void **)env_port_vals, env_port_valsCnt);
}

/* The set-list calls: every name must fit; the generated stub refuses a
 * count over the manager's limit with MIG_ARRAY_TOO_LARGE. */
static int all_fit(const env_name_t *names, unsigned int n, unsigned int max)
{
	for (unsigned int i = 0; i < n && n <= max; i++)
		if (!fits(names[i], env_name_size))
			return 0;
	return 1;
}

kern_return_t env_set_stlist(port_t port, env_name_list env_names,
			     unsigned int env_namesCnt,
			     env_str_list env_string_vals,
			     unsigned int env_string_valsCnt)
{
	if (!all_fit(env_names, env_namesCnt, ENV_STRINGS_MAX))
		return KERN_INVALID_ARGUMENT;
	for (unsigned int i = 0; i < env_string_valsCnt &&
	     env_string_valsCnt <= ENV_STRINGS_MAX; i++)
		if (!fits(env_string_vals[i], env_val_size))
			return KERN_INVALID_ARGUMENT;
	return umach_gen_env_set_stlist(port, env_names, env_namesCnt,
					env_string_vals, env_string_valsCnt);
}

kern_return_t env_set_ptlist(port_t port, env_name_list env_names,
			     unsigned int env_namesCnt,
			     port_array_t env_port_vals,
			     unsigned int env_port_valsCnt)
{
	if (!all_fit(env_names, env_namesCnt, ENV_PORTS_MAX))
		return KERN_INVALID_ARGUMENT;
	return umach_gen_env_set_ptlist(port, env_names, env_namesCnt,
					env_port_vals, env_port_valsCnt);
}
