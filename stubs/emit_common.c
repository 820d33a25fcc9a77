/*
 * emit_common.c: what the header, user and server emitters share.  It
 * turns a checked routine into the items of its request and reply (the
 * Mach 2.5 descriptor each one carries and the bytes it takes under LP64
 * rule B, docs/protocol.md §6), gives MIG's C presentation of every
 * argument (its Cnt, Poly, Dealloc and SCopy companions, in MIG's order
 * "arg poly count dealloc scopy"), and writes the banner, the imports and
 * the include of the run-time helpers (<umach/umig_rt.h>).  Nothing here
 * depends on the time or the input's path, so output is reproducible.
 */
#include "emit.h"

#include <string.h>

static const struct umig_type *root_of(const struct umig_type *t)
{
	while (t->kind == UMIG_T_REF && t->elem != NULL)
		t = t->elem;
	return t;
}

/* Wire elements per C element of an array (struct elements: several). */
uint32_t emit_mult(const struct umig_type *t)
{
	const struct umig_type *r = root_of(t);

	if (t->is_string || r->kind != UMIG_T_ARRAY || r->elem == NULL ||
	    r->elem->number == 0 || r->elem->is_string)
		return 1;
	return (uint32_t)r->elem->number;
}

bool emit_is_oneway(const struct umig_routine *r)
{
	return r->kind == UMIG_R_SIMPLEROUTINE ||
	       r->kind == UMIG_R_SIMPLEPROCEDURE;
}

bool emit_is_in(const struct umig_arg *a)
{
	return a->kind == UMIG_ARG_IN || a->kind == UMIG_ARG_INOUT;
}

bool emit_is_out(const struct umig_arg *a)
{
	return a->kind == UMIG_ARG_OUT || a->kind == UMIG_ARG_INOUT;
}

bool emit_user_sees(const struct umig_arg *a)
{
	return a->kind != UMIG_ARG_SREPLYPORT && a->kind != UMIG_ARG_MSGSEQNO;
}

bool emit_server_sees(const struct umig_arg *a)
{
	return a->kind != UMIG_ARG_UREPLYPORT && a->kind != UMIG_ARG_WAITTIME &&
	       a->kind != UMIG_ARG_MSGOPTION;
}

bool emit_is_poly(const struct umig_arg *a)
{
	return a->type->r_in.cls == UMIG_IPC_POLYMORPHIC ||
	       a->type->r_out.cls == UMIG_IPC_POLYMORPHIC;
}

/* Variable arrays have a count parameter; C strings do not (MIG). */
bool emit_has_cnt(const struct umig_arg *a)
{
	const struct umig_type *t = a->type;

	return (emit_is_in(a) || emit_is_out(a)) && t->variable && !t->is_string;
}

const struct umig_arg *emit_find(const struct umig_routine *r,
				 enum umig_arg_kind kind)
{
	for (const struct umig_arg *a = r->args; a != NULL; a = a->next)
		if (a->kind == kind)
			return a;
	return NULL;
}

/* Arrays (even of one element) and strings are used through pointers;
 * scalars, ports and structs are values. */
enum emit_shape emit_shape_of(const struct umig_type *t)
{
	if (t->is_ool || t->indefinite)
		return SHAPE_OOL;
	if (t->is_string || t->variable || root_of(t)->kind == UMIG_T_ARRAY)
		return SHAPE_ARRAY;
	return SHAPE_VALUE;
}

const char *emit_ctype(const struct umig_arg *a, enum emit_side side)
{
	const struct umig_type *t = a->type;
	const char *c = side == SIDE_USER ? t->c_user : t->c_server;

	if (emit_shape_of(t) != SHAPE_VALUE)
		;                               // arrays are never translated
	else if (side == SIDE_SERVER && t->intran.func != NULL &&
		 (emit_is_in(a) || a->kind == UMIG_ARG_REQUESTPORT))
		c = t->intran.type;
	else if (side == SIDE_SERVER && a->kind == UMIG_ARG_OUT &&
		 t->outtran.func != NULL)
		c = t->outtran.arg_type;        // outtran: wire f(server)
	return c != NULL ? c : "int";
}

/* The C type of one element of an array (char for strings). */
const char *emit_elem_ctype(const struct umig_type *t, enum emit_side side)
{
	const struct umig_type *r = root_of(t), *e;
	const char *c;

	if (t->is_string)
		return "char";
	if (r->kind != UMIG_T_ARRAY || r->elem == NULL)
		return side == SIDE_USER ? t->c_user : t->c_server;
	e = r->elem;
	c = side == SIDE_USER ? e->c_user : e->c_server;
	if (c != NULL)
		return c;
	switch (e->elem_bits * e->number) {
	case 8: return "char";
	case 16: return "short";
	case 64: return "long long";
	default: return "int";
	}
}

/* The Mach 2.5 msgt_name for a Mach 2.5 or Mach 3 type name. */
static uint32_t wire_name(struct umig_ipc ipc)
{
	switch (ipc.cls) {
	case UMIG_IPC_POLYMORPHIC: return EMIT_POLY;
	case UMIG_IPC_PORT_NAME: return 15;
	case UMIG_IPC_PORT_SEND:
	case UMIG_IPC_PORT_SEND_ONCE: return 6;    // Mach 2.5 has no send-once
	case UMIG_IPC_PORT_RECEIVE: return 4;
	case UMIG_IPC_PORT_OWNERSHIP: return 3;
	case UMIG_IPC_PORT_ALL: return 5;
	default: return ipc.value;
	}
}

const char *emit_type_name(uint32_t name)
{
	static const char *const names[] = {
		"MSG_TYPE_BOOLEAN", "MSG_TYPE_INTEGER_16", "MSG_TYPE_INTEGER_32",
		"MSG_TYPE_PORT_OWNERSHIP", "MSG_TYPE_PORT_RECEIVE",
		"MSG_TYPE_PORT_ALL", "MSG_TYPE_PORT", NULL, "MSG_TYPE_CHAR",
		"MSG_TYPE_INTEGER_8", "MSG_TYPE_REAL", NULL, "MSG_TYPE_STRING",
		NULL, NULL, "MSG_TYPE_PORT_NAME",
	};

	return name < 16 ? names[name] : NULL;
}

static bool is_right(uint32_t name)
{
	return name == EMIT_POLY || (name >= 3 && name <= 6);
}

/* A Mach 3 move disposition, or dealloc, sets the deallocate bit. */
static bool dealloc_bit(const struct umig_arg *a)
{
	const struct umig_type *t = a->type;

	if (t->r_in.mach3 && (t->r_in.value == 17 || t->r_in.value == 18))
		return true;
	if (a->dealloc_given)
		return a->dealloc == UMIG_DEALLOC_YES;
	return t->dealloc == UMIG_DEALLOC_YES;
}

void emit_item(const struct umig_arg *a, struct witem *w)
{
	const struct umig_type *t = a->type;

	memset(w, 0, sizeof *w);
	w->arg = a;
	w->name_in = wire_name(t->r_in);
	w->name_out = wire_name(t->r_out);
	w->shape = emit_shape_of(t);
	w->bits = t->elem_bits;
	w->number = t->number;
	w->variable = t->variable;
	w->ool = w->shape == SHAPE_OOL;
	w->port = is_right(w->name_in) || is_right(w->name_out);
	w->dealloc = dealloc_bit(a);
	if (t->is_string && root_of(t)->kind == UMIG_T_CSTRING) {
		w->cstring = true;
	} else if (t->is_string) {
		w->bits = (uint32_t)(t->number * 8);  // one element, as MIG 2.5
		w->number = 1;
	}
	w->longform = w->bits > 255 || w->number > 4095 ||
		      (w->variable && w->number == 0) || a->islong || t->islong;
	if ((a->isnotlong || t->isnotlong) && w->bits <= 255 &&
	    w->number <= 4095 && w->number != 0)
		w->longform = false;
}

static uint64_t item_bytes(const struct witem *w)
{
	uint64_t data = w->ool ? 8 : (w->number * w->bits + 7) / 8;

	return (w->longform ? 16 : 8) + ((data + 7) & ~(uint64_t)7);
}

static bool add_item(struct umig_diag *d, const struct umig_routine *r,
		     struct wmsg *m, const struct witem *w)
{
	if (m->n == EMIT_ITEMS_MAX) {
		umig_error(d, r->pos, "'%s' has more than %d message items",
			   r->name, EMIT_ITEMS_MAX);
		return false;
	}
	m->v[m->n++] = *w;
	m->max_size += item_bytes(w);
	m->complex = m->complex || w->port || w->ool;
	return true;
}

/* The RetCode of every reply: (MSG_TYPE_INTEGER_32, 32). */
static void retcode_item(struct witem *w)
{
	memset(w, 0, sizeof *w);
	w->name_in = w->name_out = 2;
	w->bits = 32;
	w->number = 1;
}

bool emit_items(struct umig_diag *d, const struct umig_routine *r,
		bool reply, struct wmsg *m)
{
	struct witem w;

	memset(m, 0, sizeof *m);
	m->max_size = 24;               // msg_header_t
	if (reply) {
		retcode_item(&w);
		add_item(d, r, m, &w);
	}
	for (const struct umig_arg *a = r->args; a != NULL; a = a->next) {
		if (reply ? !emit_is_out(a) : !emit_is_in(a)) {
			if (reply || !a->countinout)
				continue;
			/* CountInOut: the caller's capacity travels in the request. */
			retcode_item(&w);
			w.arg = a;
			w.count_only = true;
		} else {
			emit_item(a, &w);
		}
		if (!add_item(d, r, m, &w))
			return false;
	}
	return true;
}

/*
 * Whether t declares intran:/outtran: itself.  An array inherits them
 * from its element type in the checker; like GNU MIG, the emitters apply
 * translations to single values only and ignore the inherited ones
 * (gnumach-dev's KERNEL_SERVER arrays of vm_offset_t).
 */
static bool own_translation(const struct umig_type *t)
{
	const struct umig_type *r = root_of(t);
	const struct umig_type *e = r->kind == UMIG_T_ARRAY ? r->elem : NULL;

	if (t->intran.func == NULL && t->outtran.func == NULL)
		return false;
	return e == NULL || e->intran.func != t->intran.func ||
	       e->outtran.func != t->outtran.func;
}

/* Rejects what the emitters do not generate; the checker allowed it. */
bool emit_supported(struct umig_diag *d, const struct umig_spec *spec)
{
	int before = d->errors;

	for (const struct umig_routine *r = spec->routines; r; r = r->next) {
		if (r->kind == UMIG_R_FUNCTION)
			umig_error(d, r->pos, "function '%s': umig generates "
				   "no code for functions; use a routine with "
				   "an out argument", r->name);
		for (const struct umig_arg *a = r->args; a; a = a->next) {
			const struct umig_type *t = a->type;
			if (t->payload.func != NULL)
				umig_error(d, a->pos, "'%s': intranpayload: is "
					   "not supported by the code generators",
					   a->name);
			if (own_translation(t) && emit_shape_of(t) != SHAPE_VALUE)
				umig_error(d, a->pos, "'%s': intran:/outtran: "
					   "need a single value, not an array",
					   a->name);
		}
	}
	return d->errors == before;
}

/* One parameter after the first: ", type name". */
static void param(FILE *f, const char *type, const char *ptr,
		  const char *name, const char *suffix)
{
	fprintf(f, ",\n\t%s %s%s%s", type, ptr, name, suffix);
}

static void emit_arg_params(FILE *f, const struct umig_arg *a,
			    enum emit_side side)
{
	const char *ct = emit_ctype(a, side);
	enum emit_shape s = emit_shape_of(a->type);
	bool out = emit_is_out(a);
	bool special = !emit_is_in(a) && !out;

	/* Arrays and strings as pointers to their elements, as CMU's headers
	 * declare them (char *, not netname_name_t: -Warray-parameter). */
	if (s == SHAPE_ARRAY && !special)
		param(f, emit_elem_ctype(a->type, side), "*", a->name, "");
	else if (special || !out)
		param(f, ct, "", a->name, "");
	else
		param(f, ct, "*", a->name, "");
	if (emit_is_poly(a) && (side == SIDE_SERVER || !special))
		param(f, "unsigned int", out ? "*" : "", a->name, "Poly");
	if (emit_has_cnt(a))
		param(f, "unsigned int", out ? "*" : "", a->name, "Cnt");
	if (side == SIDE_USER && !out && a->dealloc_given &&
	    a->dealloc == UMIG_DEALLOC_VAR)
		param(f, "boolean_t", "", a->name, "Dealloc");
	if (side == SIDE_SERVER && a->servercopy)
		param(f, "boolean_t", "", a->name, "SCopy");
}

void emit_prototype(FILE *f, const struct umig_spec *spec,
		    const struct umig_routine *r, enum emit_side side)
{
	const struct umig_arg *first = r->args;

	(void)spec;
	fprintf(f, "kern_return_t %s(\n\t%s %s",
		side == SIDE_USER ? r->user_name : r->server_name,
		emit_ctype(first, side), first->name);
	for (const struct umig_arg *a = first->next; a != NULL; a = a->next) {
		if (side == SIDE_USER ? emit_user_sees(a) : emit_server_sees(a))
			emit_arg_params(f, a, side);
	}
	fputs(")", f);
}

void emit_banner(FILE *f, const struct umig_spec *spec, const char *what)
{
	/* The file's base name only: output must not depend on the cwd. */
	const char *file = spec->sub_pos.file, *slash = strrchr(file, '/');

	fprintf(f, "/* Generated by umig from %s (%s). Do not edit. */\n",
		slash != NULL ? slash + 1 : file, what);
	if (spec->rcsid != NULL)
		fprintf(f, "/* rcsid: %s */\n", spec->rcsid);
}

void emit_imports(FILE *f, const struct umig_spec *spec,
		  enum umig_import_kind side)
{
	for (const struct umig_import *i = spec->imports; i; i = i->next)
		if (i->kind == UMIG_IMPORT_BOTH || i->kind == side)
			fprintf(f, "#include %s\n", i->file);
}

const char *emit_demux_name(const struct umig_spec *spec, char *buf,
			    size_t len)
{
	if (spec->server_demux != NULL)
		return spec->server_demux;
	snprintf(buf, len, "%s_server", spec->subsystem);
	return buf;
}

/* A static descriptor: what this side sends, or (receiving) what it expects. */
void emit_descriptor(FILE *f, const struct witem *w, const char *var,
		     bool sending)
{
	uint32_t name = sending ? w->name_in : w->name_out;
	const char *sym = emit_type_name(name == EMIT_POLY ? 0 : name);
	char num[16];

	snprintf(num, sizeof num, "%u", name == EMIT_POLY ? 0 : name);
	if (sym == NULL)
		sym = num;
	if (!sending) {
		fprintf(f, "\tstatic const struct umig_want %s = { %s, %u, %llu, "
			"%s%s%s%s0 };\n", var, sym, w->bits,
			(unsigned long long)w->number,
			w->variable ? "UMIG_VAR | " : "",
			w->ool ? "UMIG_OOL | " : "",
			w->longform ? "UMIG_LONG | " : "",
			name == EMIT_POLY ? "UMIG_POLY | " : "");
	} else if (w->longform) {
		fprintf(f, "\tstatic const msg_type_long_t %s = {\n"
			"\t\t.msg_type_header = { .msg_type_inline = %s,\n"
			"\t\t\t.msg_type_longform = TRUE, .msg_type_deallocate = %s },\n"
			"\t\t.msg_type_long_name = %s, .msg_type_long_size = %u,\n"
			"\t\t.msg_type_long_number = %llu };\n", var,
			w->ool ? "FALSE" : "TRUE", w->dealloc ? "TRUE" : "FALSE",
			sym, w->bits, (unsigned long long)w->number);
	} else {
		fprintf(f, "\tstatic const msg_type_t %s = {\n"
			"\t\t.msg_type_name = %s, .msg_type_size = %u,\n"
			"\t\t.msg_type_number = %llu, .msg_type_inline = %s,\n"
			"\t\t.msg_type_longform = FALSE, .msg_type_deallocate = %s };\n",
			var, sym, w->bits, (unsigned long long)w->number,
			w->ool ? "FALSE" : "TRUE", w->dealloc ? "TRUE" : "FALSE");
	}
}

/* The C types must have the sizes the descriptors promise. */
void emit_size_asserts(FILE *f, const struct wmsg *m, enum emit_side side)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct witem *w = &m->v[i];
		const struct umig_arg *a = w->arg;
		const struct umig_type *t;
		if (a == NULL || w->count_only || w->cstring)
			continue;
		t = a->type;
		if (w->shape == SHAPE_OOL)
			fprintf(f, "\t_Static_assert(sizeof(%s) == sizeof(void *), "
				"\"%s: out-of-line data travels as a pointer\");\n",
				side == SIDE_USER ? t->c_user : t->c_server, a->name);
		else if (w->variable)
			fprintf(f, "\t_Static_assert(sizeof(%s) * 8 == %llu, "
				"\"%s: element size\");\n", emit_elem_ctype(t, side),
				(unsigned long long)w->bits * emit_mult(t),
				a->name);
		else
			fprintf(f, "\t_Static_assert(sizeof(%s) == %llu, "
				"\"%s: C type and message type differ in size\");\n",
				side == SIDE_USER ? t->c_user : t->c_server,
				(unsigned long long)((w->number * w->bits + 7) / 8),
				a->name);
	}
}

/* The run-time helpers: one header for every generated .c (static
 * inline there, so interfaces linked together never clash). */
void emit_runtime(FILE *f)
{
	fputs("#include <umach/umig_rt.h>\n\n", f);
}

static const char *num_field(const struct witem *w)
{
	return w->longform ? "msg_type_long_number" : "msg_type_number";
}

/*
 * Writes the code that appends item w, whose static descriptor is var,
 * through the cursor and expressions in p (struct emit_put_args).
 */
void emit_put(FILE *f, const struct witem *w, const char *var,
	      const struct emit_put_args *p)
{
	const struct umig_type *t = w->arg != NULL ? w->arg->type : NULL;
	uint32_t mult = t != NULL ? emit_mult(t) : 1;
	const char *dt = w->longform ? "msg_type_long_t" : "msg_type_t";

	if (w->cstring && w->variable) {
		fprintf(f, "\t{\n\t\t%s umig_t = %s;\n\t\tsize_t umig_n = strnlen(%s, %llu) + 1;\n\n"
			"\t\tumig_t.%s = (unsigned int)umig_n;\n"
			"\t\tumig_put_string(&%s, &umig_t, sizeof umig_t, %s, umig_n);\n\t}\n",
			dt, var, p->data, (unsigned long long)w->number - 1,
			num_field(w), p->cursor, p->data);
	} else if (t != NULL && t->is_string) {
		fprintf(f, "\tumig_put_string(&%s, &%s, sizeof %s, %s, %llu);\n",
			p->cursor, var, var, p->data,
			(unsigned long long)(w->number * w->bits / 8));
	} else if (p->cnt == NULL && p->poly == NULL && p->dealloc == NULL) {
		fprintf(f, "\tumig_put(&%s, &%s, sizeof %s, %s, %s);\n", p->cursor,
			var, var, p->data, w->ool ? "sizeof(void *)" : p->bytes);
	} else {
		fprintf(f, "\t{\n\t\t%s umig_t = %s;\n\n", dt, var);
		if (p->cnt != NULL)
			fprintf(f, "\t\tumig_t.%s = %s * %u;\n", num_field(w), p->cnt, mult);
		if (p->poly != NULL)
			fprintf(f, "\t\tumig_t.%s = umig_poly(%s);\n", w->longform ?
				"msg_type_long_name" : "msg_type_name", p->poly);
		if (p->dealloc != NULL)
			fprintf(f, "\t\tumig_t.%s = %s ? 1 : 0;\n", w->longform ?
				"msg_type_header.msg_type_deallocate" :
				"msg_type_deallocate", p->dealloc);
		if (w->ool)
			fprintf(f, "\t\tumig_put(&%s, &umig_t, sizeof umig_t, %s, "
				"sizeof(void *));\n\t}\n", p->cursor, p->data);
		else if (p->cnt != NULL)
			fprintf(f, "\t\tumig_put(&%s, &umig_t, sizeof umig_t, %s, "
				"((size_t)%s * %llu + 7) / 8);\n\t}\n", p->cursor,
				p->data, p->cnt, (unsigned long long)mult * w->bits);
		else
			fprintf(f, "\t\tumig_put(&%s, &umig_t, sizeof umig_t, %s, %s);\n\t}\n",
				p->cursor, p->data, p->bytes);
	}
}

/*
 * Reads item w into the struct umig_item it through cursor cur and checks
 * it: "if (!ok) fail;" where fail is a statement.  Strings are
 * NUL-terminated in place.
 */
void emit_take(FILE *f, const struct witem *w, const char *var,
	       const char *cur, const char *it, const char *fail)
{
	const struct umig_type *t = w->arg != NULL ? w->arg->type : NULL;
	uint32_t mult = t != NULL ? emit_mult(t) : 1;

	fprintf(f, "\tif (!umig_take(&%s, &%s, &%s))\n\t\t%s\n", cur, var, it,
		fail);
	if (w->variable && mult > 1)
		fprintf(f, "\tif (%s.number %% %u != 0)\n\t\t%s\n", it, mult, fail);
	if (w->cstring && w->variable)
		fprintf(f, "\tif (%s.number == 0)\n\t\t%s\n"
			"\t%s.data[%s.number - 1] = '\\0';\n", it, fail, it, it);
	else if (t != NULL && t->is_string)
		fprintf(f, "\t%s.data[%llu] = '\\0';\n", it,
			(unsigned long long)(w->number * w->bits / 8 - 1));
}

/* The byte count of fixed inline data, as a C constant. */
void emit_bytes(const struct witem *w, char *buf, size_t len)
{
	snprintf(buf, len, "%llu", (unsigned long long)((w->number * w->bits + 7) / 8));
}
