/*
 * check.c: umig's third stage.  Walks the syntax tree from parse.c in
 * declaration order, resolves every type name to the latest earlier
 * declaration, computes wire layout (element size, count, inline or
 * out-of-line, fixed or variable) and C type names, assigns message ids,
 * and reports semantic errors: undefined types, duplicate routines, no
 * subsystem, bad array bounds, misplaced request ports and so on.  It keeps
 * going after an error so one run lists them all.  The checked umig_spec is
 * what the emitters (list.c and later emit_*.c) read.
 */
#include "umig.h"

#include <string.h>

/* Inline data above this size must be declared out-of-line (^array). */
#define UMIG_INLINE_MAX_BYTES 65536u

struct checker {
	struct umig_diag *d;
	struct umig_spec *spec;
	struct umig_type *builtins;     // char, short, int, ... (GNU MIG's set)
};

static struct umig_pos builtin_pos = { "<builtin>", 0, 0 };

static void add_builtin(struct checker *c, const char *name, const char *sym,
			uint32_t value, uint32_t bits)
{
	struct umig_type *t = umig_alloc(c->spec->arena, sizeof(*t));

	t->kind = UMIG_T_BASIC;
	t->name = name;
	t->pos = builtin_pos;
	t->seq = -1;
	t->in_ipc = (struct umig_ipc){ sym, value, bits, UMIG_IPC_DATA, true };
	t->r_in = t->r_out = t->in_ipc;
	t->elem_bits = bits;
	t->number = 1;
	t->c_user = t->c_server = name;
	t->resolved = true;
	t->next = c->builtins;
	c->builtins = t;
}

static const struct umig_type *find_in(const struct umig_type *list,
				       const char *name, int before_seq)
{
	const struct umig_type *best = NULL;

	for (; list != NULL; list = list->next) {
		if (list->name != NULL && list->seq < before_seq &&
		    strcmp(list->name, name) == 0 &&
		    (best == NULL || list->seq > best->seq))
			best = list;
	}
	return best;
}

static bool is_port(enum umig_ipc_class cls)
{
	return cls >= UMIG_IPC_PORT_SEND && cls <= UMIG_IPC_POLYMORPHIC;
}

/* The name a receiver sees for a right sent as in (Mach 3 renames). */
static struct umig_ipc in_transit(struct umig_ipc in)
{
	struct umig_ipc out = in;

	if (!in.mach3)
		return out;
	if (in.value == 19 || in.value == 20) {          // COPY_SEND, MAKE_SEND
		out.value = 17;
		out.sym = "MACH_MSG_TYPE_PORT_SEND";
	} else if (in.value == 21) {                     // MAKE_SEND_ONCE
		out.value = 18;
		out.sym = "MACH_MSG_TYPE_PORT_SEND_ONCE";
	}
	return out;
}

static void resolve(struct checker *c, struct umig_type *t);

static void inherit(struct umig_type *t, const struct umig_type *from)
{
	t->r_in = from->r_in;
	t->r_out = from->r_out;
	t->elem_bits = from->elem_bits;
	t->number = from->number;
	t->variable = from->variable;
	t->indefinite = from->indefinite;
	t->is_ool = from->is_ool;
	t->is_string = from->is_string;
	t->is_struct = from->is_struct;
	if (t->dealloc == UMIG_DEALLOC_NOT)
		t->dealloc = from->dealloc;
	t->servercopy = t->servercopy || from->servercopy;
	if (t->intran.func == NULL)
		t->intran = from->intran;
	if (t->outtran.func == NULL)
		t->outtran = from->outtran;
	if (t->destructor.func == NULL)
		t->destructor = from->destructor;
	if (t->payload.func == NULL)
		t->payload = from->payload;
}

static void resolve_ref(struct checker *c, struct umig_type *t)
{
	const struct umig_type *to;

	if (t->ref == NULL)
		return;                 // a syntax error was reported already
	to = find_in(c->spec->types, t->ref, t->seq);
	if (to == NULL)
		to = find_in(c->builtins, t->ref, t->seq);
	if (to == NULL) {
		umig_error(c->d, t->pos, "undefined type '%s'", t->ref);
		return;
	}
	resolve(c, (struct umig_type *)to);
	t->elem = (struct umig_type *)to;
	inherit(t, to);
}

static void resolve_basic(struct checker *c, struct umig_type *t)
{
	t->r_in = t->in_ipc;
	t->r_out = t->out_ipc.cls != UMIG_IPC_NONE ? t->out_ipc
						   : in_transit(t->in_ipc);
	t->elem_bits = t->has_bits ? (uint32_t)t->count : t->in_ipc.default_bits;
	t->number = 1;
	if (t->elem_bits == 0) {
		umig_error(c->d, t->pos, "message type %s needs a size: write "
			   "(%s, bits)", t->in_ipc.sym ? t->in_ipc.sym : "number",
			   t->in_ipc.sym ? t->in_ipc.sym : "n");
		return;
	}
	if (t->in_ipc.cls == UMIG_IPC_STRING) {
		if (t->elem_bits % 8 != 0) {
			umig_error(c->d, t->pos, "string size %u is not a whole "
				   "number of bytes", t->elem_bits);
			return;
		}
		t->is_string = true;
		t->number = t->elem_bits / 8;
		t->elem_bits = 8;
	}
	if (is_port(t->r_in.cls) && t->elem_bits != 32)
		umig_error(c->d, t->pos, "port types must be 32 bits, not %u",
			   t->elem_bits);
}

static bool check_bytes(struct checker *c, struct umig_type *t)
{
	uint64_t bytes = (t->number * t->elem_bits + 7) / 8;

	if (!t->is_ool && bytes > UMIG_INLINE_MAX_BYTES) {
		umig_error(c->d, t->pos, "inline data of %llu bytes exceeds the "
			   "%u-byte limit; use ^array for out-of-line data",
			   (unsigned long long)bytes, UMIG_INLINE_MAX_BYTES);
		return false;
	}
	return true;
}

/* array and struct[n]: element layout times the count. */
static void resolve_array(struct checker *c, struct umig_type *t)
{
	struct umig_type *e = t->elem;

	resolve(c, e);
	inherit(t, e);
	t->is_struct = t->kind == UMIG_T_STRUCT_OF;
	if (e->variable || e->is_ool) {
		umig_error(c->d, t->pos, "element type of %s must have a fixed "
			   "size and be inline", t->is_struct ? "struct" : "array");
		return;
	}
	if (t->has_max && t->count == 0) {
		umig_error(c->d, t->pos, "%s bound must be positive",
			   t->is_struct ? "struct" : "array");
		return;
	}
	if (e->is_string) {
		// An array of fixed strings: each element is one string of
		// all its bits, as a (MSG_TYPE_STRING, n) type is (MIG 2.5).
		t->is_string = false;
		t->elem_bits = (uint32_t)(e->number * e->elem_bits);
		t->number = t->has_max ? t->count : 0;
	} else {
		t->number = t->has_max ? t->count * e->number : 0;
	}
	t->variable = t->kind == UMIG_T_ARRAY && (t->bounded || !t->has_max);
	t->indefinite = t->kind == UMIG_T_ARRAY && !t->has_max;
	t->is_ool = t->ool;
	check_bytes(c, t);
}

/* struct { ... }: flattened to 32-bit words on the wire, as MIG does. */
static void resolve_fields(struct checker *c, struct umig_type *t)
{
	uint64_t bits = 0;

	for (struct umig_field *f = t->fields; f != NULL; f = f->next) {
		resolve(c, f->type);
		for (struct umig_field *g = t->fields; g != f; g = g->next) {
			if (strcmp(g->name, f->name) == 0)
				umig_error(c->d, f->pos, "duplicate field '%s'", f->name);
		}
		if (f->type->variable || f->type->is_ool)
			umig_error(c->d, f->pos, "struct field '%s' must have a "
				   "fixed size and be inline", f->name);
		bits += f->type->number * f->type->elem_bits;
	}
	if (t->fields == NULL) {
		umig_error(c->d, t->pos, "struct has no fields");
		return;
	}
	t->r_in = t->r_out = (struct umig_ipc){ "MACH_MSG_TYPE_INTEGER_32", 2,
						32, UMIG_IPC_DATA, true };
	t->elem_bits = 32;
	t->number = (bits + 31) / 32;
	t->is_struct = true;
	check_bytes(c, t);
}

static void resolve_cstring(struct checker *c, struct umig_type *t)
{
	t->r_in = t->r_out = (struct umig_ipc){ "MACH_MSG_TYPE_STRING_C", 12, 8,
						UMIG_IPC_STRING, true };
	t->elem_bits = 8;
	t->number = t->count;
	t->variable = t->bounded;
	t->is_string = true;
	if (t->count == 0)
		umig_error(c->d, t->pos, "c_string bound must be positive");
	else
		check_bytes(c, t);
}

/* Fills the "check:" fields of t once; errors are reported once too. */
static void resolve(struct checker *c, struct umig_type *t)
{
	if (t->resolved)
		return;
	t->resolved = true;
	switch (t->kind) {
	case UMIG_T_REF: resolve_ref(c, t); break;
	case UMIG_T_BASIC: resolve_basic(c, t); break;
	case UMIG_T_ARRAY:
	case UMIG_T_STRUCT_OF: resolve_array(c, t); break;
	case UMIG_T_STRUCT_FIELDS: resolve_fields(c, t); break;
	case UMIG_T_CSTRING: resolve_cstring(c, t); break;
	}
	/* A named type is its own C type unless ctype: says otherwise. */
	t->c_user = t->cusertype ? t->cusertype : t->ctype ? t->ctype : t->name;
	t->c_server = t->cservertype ? t->cservertype : t->ctype ? t->ctype : t->name;
	if (t->kind == UMIG_T_REF && t->elem != NULL) {
		if (t->c_user == NULL)
			t->c_user = t->elem->c_user;
		if (t->c_server == NULL)
			t->c_server = t->elem->c_server;
	}
}

/* ---- Routines ---- */

static const char *routine_word(const struct umig_routine *r)
{
	switch (r->kind) {
	case UMIG_R_SIMPLEROUTINE: return "simpleroutine";
	case UMIG_R_PROCEDURE: return "procedure";
	case UMIG_R_SIMPLEPROCEDURE: return "simpleprocedure";
	case UMIG_R_FUNCTION: return "function";
	case UMIG_R_CAMELOTROUTINE: return "camelotroutine";
	default: return "routine";
	}
}

static bool is_oneway(const struct umig_routine *r)
{
	return r->kind == UMIG_R_SIMPLEROUTINE || r->kind == UMIG_R_SIMPLEPROCEDURE;
}

/* The first argument is the request port unless one is named explicitly. */
static void check_request_port(struct checker *c, struct umig_routine *r)
{
	struct umig_arg *first = r->args;

	for (struct umig_arg *a = first->next; a != NULL; a = a->next) {
		if (a->kind == UMIG_ARG_REQUESTPORT)
			umig_error(c->d, a->pos, "requestport '%s' must be the "
				   "first argument of '%s'", a->name, r->name);
	}
	if (!first->kind_given)
		first->kind = UMIG_ARG_REQUESTPORT;
	if (first->kind != UMIG_ARG_REQUESTPORT) {
		umig_error(c->d, first->pos, "first argument '%s' of '%s' must "
			   "be the request port", first->name, r->name);
		return;
	}
	if (first->type->resolved && first->type->elem_bits != 0 &&
	    !is_port(first->type->r_in.cls))
		umig_error(c->d, first->pos, "request port '%s' must have a "
			   "port type", first->name);
}

static bool is_reply_port(enum umig_arg_kind k)
{
	return k == UMIG_ARG_REPLYPORT || k == UMIG_ARG_SREPLYPORT ||
	       k == UMIG_ARG_UREPLYPORT;
}

/* At most one reply port, waittime, msgoption and msgseqno each. */
static void check_special_args(struct checker *c, struct umig_routine *r)
{
	static const char *const what[] = {
		[UMIG_ARG_WAITTIME] = "waittime", [UMIG_ARG_MSGOPTION] = "msgoption",
		[UMIG_ARG_MSGSEQNO] = "msgseqno", [UMIG_ARG_REPLYPORT] = "reply port",
	};
	const struct umig_arg *seen[UMIG_ARG_MSGSEQNO + 1] = { 0 };

	for (struct umig_arg *a = r->args; a != NULL; a = a->next) {
		enum umig_arg_kind k = is_reply_port(a->kind) ? UMIG_ARG_REPLYPORT
							      : a->kind;
		if (k != UMIG_ARG_REPLYPORT && k != UMIG_ARG_WAITTIME &&
		    k != UMIG_ARG_MSGOPTION && k != UMIG_ARG_MSGSEQNO)
			continue;
		if (seen[k] != NULL)
			umig_error(c->d, a->pos, "'%s' has more than one %s "
				   "argument", r->name, what[k]);
		seen[k] = a;
		if (k == UMIG_ARG_REPLYPORT && a->type->elem_bits != 0 &&
		    !is_port(a->type->r_in.cls))
			umig_error(c->d, a->pos, "reply port '%s' must have a "
				   "port type", a->name);
		else if (k != UMIG_ARG_REPLYPORT && a->type->elem_bits != 0 &&
			 (a->type->variable || a->type->number != 1))
			umig_error(c->d, a->pos, "%s argument '%s' must be a "
				   "single scalar", what[k], a->name);
	}
}

static void check_arg_flags(struct checker *c, const struct umig_routine *r,
			    const struct umig_arg *a)
{
	const struct umig_type *t = a->type;
	bool out = a->kind == UMIG_ARG_OUT || a->kind == UMIG_ARG_INOUT;

	if (out && is_oneway(r))
		umig_error(c->d, a->pos, "%s '%s' cannot have out argument '%s' "
			   "(it gets no reply)", routine_word(r), r->name, a->name);
	if (t->elem_bits == 0)
		return;                 // its type already failed
	if (a->countinout && !(out && t->variable))
		umig_error(c->d, a->pos, "CountInOut on '%s' needs an out "
			   "argument of variable-size array type", a->name);
	if (a->dealloc_given && a->dealloc != UMIG_DEALLOC_NOT &&
	    !(t->is_ool || t->indefinite || is_port(t->r_in.cls)))
		umig_error(c->d, a->pos, "dealloc on '%s' needs out-of-line "
			   "data or a port right", a->name);
	if (a->servercopy && (out || !(t->is_ool || t->indefinite)))
		umig_error(c->d, a->pos, "servercopy on '%s' needs an in "
			   "argument that may travel out-of-line", a->name);
}

static void check_args(struct checker *c, struct umig_routine *r)
{
	for (struct umig_arg *a = r->args; a != NULL; a = a->next) {
		for (struct umig_arg *b = r->args; b != a; b = b->next) {
			if (strcmp(a->name, b->name) == 0)
				umig_error(c->d, a->pos, "duplicate argument '%s' "
					   "in '%s'", a->name, r->name);
		}
		if (a->type->kind != UMIG_T_REF && a->type->c_user == NULL)
			umig_error(c->d, a->pos, "argument '%s' needs a type name "
				   "or ctype: to have a C type", a->name);
		check_arg_flags(c, r, a);
	}
}

static void check_routine(struct checker *c, struct umig_routine *r)
{
	uint64_t req = (uint64_t)c->spec->base + r->index;

	r->request_id = (uint32_t)req;
	r->reply_id = (uint32_t)(req + 100);
	if (req + 100 > 0x7fffffff)
		umig_error(c->d, r->pos, "message id %llu is out of range "
			   "(ids are positive 32-bit numbers)",
			   (unsigned long long)req);
	if (r->kind == UMIG_R_SKIP)
		return;
	for (const struct umig_routine *o = c->spec->routines; o != r; o = o->next) {
		if (o->name != NULL && strcmp(o->name, r->name) == 0) {
			umig_error(c->d, r->pos, "routine '%s' already defined "
				   "at line %d", r->name, o->pos.line);
			break;
		}
	}
	if (r->args == NULL) {
		umig_error(c->d, r->pos, "'%s' has no arguments; the first "
			   "argument is the request port", r->name);
		return;
	}
	for (struct umig_arg *a = r->args; a != NULL; a = a->next)
		resolve(c, a->type);
	check_request_port(c, r);
	check_args(c, r);
	check_special_args(c, r);
	if (r->ret != NULL) {
		resolve(c, r->ret);
		if (r->ret->elem_bits != 0 && (r->ret->variable ||
		    r->ret->number != 1 || is_port(r->ret->r_in.cls)))
			umig_error(c->d, r->ret->pos, "function return type must "
				   "be a single scalar");
	}
}

/*
 * Resolves and checks spec in place (see the file comment).  Returns the
 * number of errors reported through d; with 0 the spec is ready for the
 * emitters.  Never blocks; all memory comes from spec->arena.
 */
int check_run(struct umig_diag *d, struct umig_spec *spec)
{
	struct checker c = { .d = d, .spec = spec };
	int before = d->errors;
	struct umig_type *t;
	struct umig_routine *r;

	add_builtin(&c, "char", "MACH_MSG_TYPE_CHAR", 8, 8);
	add_builtin(&c, "short", "MACH_MSG_TYPE_INTEGER_16", 1, 16);
	add_builtin(&c, "int", "MACH_MSG_TYPE_INTEGER_32", 2, 32);
	add_builtin(&c, "int64", "MACH_MSG_TYPE_INTEGER_64", 11, 64);
	add_builtin(&c, "uintptr_t", "MACH_MSG_TYPE_INTEGER_64", 11, 64);
	add_builtin(&c, "intptr_t", "MACH_MSG_TYPE_INTEGER_64", 11, 64);
	if (spec->subsystem == NULL)
		umig_error(d, spec->end_pos, "no subsystem declared "
			   "(expected 'subsystem name base;')");
	/* Types and routines interleave; seq order keeps errors in file order. */
	t = spec->types;
	r = spec->routines;
	while (t != NULL || r != NULL) {
		if (r == NULL || (t != NULL && t->seq < r->seq)) {
			resolve(&c, t);
			t = t->next;
		} else {
			check_routine(&c, r);
			r = r->next;
		}
	}
	return d->errors - before;
}

/*
 * Runs lex, parse and check over buf[0..len) (already preprocessed, or
 * plain .defs text without # directives).  file names the input in
 * messages.  *out is the checked spec, its memory owned by a.  Returns the
 * number of errors; with errors *out must not be emitted.
 */
int check_source(struct umig_arena *a, struct umig_diag *d, const char *buf,
		 size_t len, const char *file, struct umig_spec *out)
{
	struct token_list toks;

	lex_run(a, d, buf, len, file, &toks);
	parse_run(a, d, &toks, out);
	check_run(d, out);
	return d->errors;
}
