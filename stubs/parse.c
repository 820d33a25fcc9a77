/*
 * parse.c: umig's second stage.  A recursive-descent parser over the token
 * array from lex.c that builds the struct umig_spec syntax tree: types as
 * written (names still unresolved), routines with their arguments and the
 * prefixes in force where each was declared.  It writes no output and does
 * no semantic checks beyond the grammar; check.c resolves names and sizes.
 * On a syntax error it reports "file:line:col: error: ..." and skips to the
 * end of the statement, so one run reports every broken statement.
 */
#include "umig.h"

#include <string.h>

struct parser {
	struct umig_arena *a;
	struct umig_diag *d;
	const struct token *v;
	size_t n, i;
	struct umig_spec *spec;
	int seq;                        // next declaration number
	const char *server_prefix, *user_prefix;
	const char *waittime, *msgtype, *error_proc;
	struct umig_type **type_tail;
	struct umig_routine **routine_tail;
	struct umig_import **import_tail;
};

static const struct token *cur(const struct parser *p)
{
	return &p->v[p->i];
}

static const struct token *advance(struct parser *p)
{
	const struct token *t = &p->v[p->i];

	if (t->kind != TOK_EOF)
		p->i++;
	return t;
}

static bool is_punct(const struct parser *p, char c)
{
	return cur(p)->kind == TOK_PUNCT && cur(p)->punct == c;
}

static bool is_kw(const struct parser *p, enum kw kw)
{
	return cur(p)->kind == TOK_KEYWORD && cur(p)->kw == kw;
}

static bool syntax_error(struct parser *p, const char *expected)
{
	const struct token *t = cur(p);

	if (t->kind == TOK_EOF)
		umig_error(p->d, t->pos, "expected %s, found end of input", expected);
	else
		umig_error(p->d, t->pos, "expected %s, found '%s'", expected, t->text);
	return false;
}

static bool expect_punct(struct parser *p, char c, const char *expected)
{
	if (!is_punct(p, c))
		return syntax_error(p, expected);
	advance(p);
	return true;
}

static bool accept_punct(struct parser *p, char c)
{
	if (!is_punct(p, c))
		return false;
	advance(p);
	return true;
}

/* An identifier; out is set to its arena text. */
static bool expect_ident(struct parser *p, const char *expected, const char **out)
{
	if (cur(p)->kind != TOK_IDENT)
		return syntax_error(p, expected);
	*out = advance(p)->text;
	return true;
}

/* ---- Integer expressions: + - * / and parentheses over decimals ---- */

static bool parse_expr(struct parser *p, uint64_t *out);

static bool parse_factor(struct parser *p, uint64_t *out)
{
	if (cur(p)->kind == TOK_NUMBER) {
		*out = advance(p)->value;
		return true;
	}
	if (accept_punct(p, '(')) {
		if (!parse_expr(p, out))
			return false;
		return expect_punct(p, ')', "')'");
	}
	return syntax_error(p, "a number");
}

/* Combines l op r; false (with an error at pos) on overflow or x/0. */
static bool fold(struct parser *p, struct umig_pos pos, char op, uint64_t *l,
		 uint64_t r)
{
	const uint64_t max = 0xffffffffu;
	uint64_t v = 0;
	bool bad = false;

	switch (op) {
	case '+': v = *l + r; break;
	case '-': bad = r > *l; v = *l - r; break;
	case '*': bad = r != 0 && *l > max / r; v = *l * r; break;
	case '/':
		if (r == 0) {
			umig_error(p->d, pos, "division by zero in expression");
			return false;
		}
		v = *l / r;
		break;
	}
	if (bad || v > max || *l > max || r > max) {
		umig_error(p->d, pos, "expression out of range (0 to 4294967295)");
		return false;
	}
	*l = v;
	return true;
}

static bool parse_term(struct parser *p, uint64_t *out)
{
	if (!parse_factor(p, out))
		return false;
	while (is_punct(p, '*') || is_punct(p, '/')) {
		const struct token *op = advance(p);
		uint64_t r;
		if (!parse_factor(p, &r) || !fold(p, op->pos, op->punct, out, r))
			return false;
	}
	return true;
}

static bool parse_expr(struct parser *p, uint64_t *out)
{
	if (!parse_term(p, out))
		return false;
	while (is_punct(p, '+') || is_punct(p, '-')) {
		const struct token *op = advance(p);
		uint64_t r;
		if (!parse_term(p, &r) || !fold(p, op->pos, op->punct, out, r))
			return false;
	}
	if (*out > 0xffffffffu) {
		umig_error(p->d, cur(p)->pos, "expression out of range (0 to 4294967295)");
		return false;
	}
	return true;
}

/* ---- Message type names ---- */

#define M2 false
#define M3 true
static const struct umig_ipc ipc_names[] = {
	{ "MSG_TYPE_UNSTRUCTURED", 0, 0, UMIG_IPC_DATA, M2 },
	{ "MSG_TYPE_BIT", 0, 1, UMIG_IPC_DATA, M2 },
	{ "MSG_TYPE_BOOLEAN", 0, 32, UMIG_IPC_DATA, M2 },
	{ "MSG_TYPE_INTEGER_16", 1, 16, UMIG_IPC_DATA, M2 },
	{ "MSG_TYPE_INTEGER_32", 2, 32, UMIG_IPC_DATA, M2 },
	{ "MSG_TYPE_PORT_OWNERSHIP", 3, 32, UMIG_IPC_PORT_OWNERSHIP, M2 },
	{ "MSG_TYPE_PORT_RECEIVE", 4, 32, UMIG_IPC_PORT_RECEIVE, M2 },
	{ "MSG_TYPE_PORT_ALL", 5, 32, UMIG_IPC_PORT_ALL, M2 },
	{ "MSG_TYPE_PORT", 6, 32, UMIG_IPC_PORT_SEND, M2 },
	{ "MSG_TYPE_CHAR", 8, 8, UMIG_IPC_DATA, M2 },
	{ "MSG_TYPE_BYTE", 9, 8, UMIG_IPC_DATA, M2 },
	{ "MSG_TYPE_INTEGER_8", 9, 8, UMIG_IPC_DATA, M2 },
	{ "MSG_TYPE_INTERNAL_MEMORY", 9, 8, UMIG_IPC_DATA, M2 },
	{ "MSG_TYPE_REAL", 10, 0, UMIG_IPC_DATA, M2 },
	{ "MSG_TYPE_STRING", 12, 0, UMIG_IPC_STRING, M2 },
	{ "MSG_TYPE_STRING_C", 12, 0, UMIG_IPC_STRING, M2 },
	{ "MSG_TYPE_PORT_NAME", 15, 32, UMIG_IPC_PORT_NAME, M2 },
	{ "MSG_TYPE_INTEGER_64", 16, 64, UMIG_IPC_DATA, M2 },
	{ "MSG_TYPE_POLYMORPHIC", 0xffffffffu, 32, UMIG_IPC_POLYMORPHIC, M2 },
	{ "MACH_MSG_TYPE_UNSTRUCTURED", 0, 0, UMIG_IPC_DATA, M3 },
	{ "MACH_MSG_TYPE_BIT", 0, 1, UMIG_IPC_DATA, M3 },
	{ "MACH_MSG_TYPE_BOOLEAN", 0, 32, UMIG_IPC_DATA, M3 },
	{ "MACH_MSG_TYPE_INTEGER_16", 1, 16, UMIG_IPC_DATA, M3 },
	{ "MACH_MSG_TYPE_INTEGER_32", 2, 32, UMIG_IPC_DATA, M3 },
	{ "MACH_MSG_TYPE_CHAR", 8, 8, UMIG_IPC_DATA, M3 },
	{ "MACH_MSG_TYPE_BYTE", 9, 8, UMIG_IPC_DATA, M3 },
	{ "MACH_MSG_TYPE_INTEGER_8", 9, 8, UMIG_IPC_DATA, M3 },
	{ "MACH_MSG_TYPE_REAL", 10, 0, UMIG_IPC_DATA, M3 },
	{ "MACH_MSG_TYPE_INTEGER_64", 11, 64, UMIG_IPC_DATA, M3 },
	{ "MACH_MSG_TYPE_STRING", 12, 0, UMIG_IPC_STRING, M3 },
	{ "MACH_MSG_TYPE_STRING_C", 12, 0, UMIG_IPC_STRING, M3 },
	{ "MACH_MSG_TYPE_PORT_NAME", 15, 32, UMIG_IPC_PORT_NAME, M3 },
	{ "MACH_MSG_TYPE_MOVE_RECEIVE", 16, 32, UMIG_IPC_PORT_RECEIVE, M3 },
	{ "MACH_MSG_TYPE_MOVE_SEND", 17, 32, UMIG_IPC_PORT_SEND, M3 },
	{ "MACH_MSG_TYPE_MOVE_SEND_ONCE", 18, 32, UMIG_IPC_PORT_SEND_ONCE, M3 },
	{ "MACH_MSG_TYPE_COPY_SEND", 19, 32, UMIG_IPC_PORT_SEND, M3 },
	{ "MACH_MSG_TYPE_MAKE_SEND", 20, 32, UMIG_IPC_PORT_SEND, M3 },
	{ "MACH_MSG_TYPE_MAKE_SEND_ONCE", 21, 32, UMIG_IPC_PORT_SEND_ONCE, M3 },
	{ "MACH_MSG_TYPE_PORT_RECEIVE", 16, 32, UMIG_IPC_PORT_RECEIVE, M3 },
	{ "MACH_MSG_TYPE_PORT_SEND", 17, 32, UMIG_IPC_PORT_SEND, M3 },
	{ "MACH_MSG_TYPE_PORT_SEND_ONCE", 18, 32, UMIG_IPC_PORT_SEND_ONCE, M3 },
	{ "MACH_MSG_TYPE_POLYMORPHIC", 0xffffffffu, 32, UMIG_IPC_POLYMORPHIC, M3 },
};

static const struct umig_ipc *ipc_lookup(const char *name)
{
	for (size_t k = 0; k < sizeof(ipc_names) / sizeof(ipc_names[0]); k++) {
		if (strcmp(ipc_names[k].sym, name) == 0)
			return &ipc_names[k];
	}
	return NULL;
}

/*
 * A bare number names a message type by value.  Values 0-15 use the
 * Mach 2.5 meaning (umach's dialect) and 16-21 the Mach 3 port names.
 */
static struct umig_ipc ipc_number(uint64_t v)
{
	struct umig_ipc r = { NULL, (uint32_t)v, 0, UMIG_IPC_DATA, false };

	for (size_t k = 0; k < sizeof(ipc_names) / sizeof(ipc_names[0]); k++) {
		const struct umig_ipc *e = &ipc_names[k];
		if (e->value == v && (v < 16 ? !e->mach3 : e->mach3)) {
			r = *e;
			r.sym = NULL;
			return r;
		}
	}
	return r;
}

static bool starts_ipc_name(const struct parser *p)
{
	const struct token *t = cur(p);

	return t->kind == TOK_NUMBER || (t->kind == TOK_KEYWORD &&
		t->kw == KW_POLYMORPHIC) || (t->kind == TOK_IDENT &&
		ipc_lookup(t->text) != NULL);
}

static bool parse_prim_ipc(struct parser *p, struct umig_ipc *out)
{
	const struct token *t = cur(p);

	if (t->kind == TOK_NUMBER) {
		if (t->value > 0xffffffffu) {
			umig_error(p->d, t->pos, "message type number out of range");
			return false;
		}
		*out = ipc_number(advance(p)->value);
		return true;
	}
	if (t->kind == TOK_KEYWORD && t->kw == KW_POLYMORPHIC) {
		advance(p);
		*out = *ipc_lookup("MACH_MSG_TYPE_POLYMORPHIC");
		out->sym = "polymorphic";
		return true;
	}
	if (t->kind == TOK_IDENT && ipc_lookup(t->text) != NULL) {
		*out = *ipc_lookup(advance(p)->text);
		return true;
	}
	return syntax_error(p, "a message type name");
}

/* IPCType: name, or "in | out" (what the sender gives | what arrives). */
static bool parse_ipc_type(struct parser *p, struct umig_type *t)
{
	if (!parse_prim_ipc(p, &t->in_ipc))
		return false;
	if (accept_punct(p, '|'))
		return parse_prim_ipc(p, &t->out_ipc);
	return true;
}

/* ---- Flags: dealloc, dealloc[], notdealloc, servercopy, ... ---- */

struct flags {
	enum umig_dealloc dealloc;
	bool dealloc_given, servercopy, countinout, islong, isnotlong;
};

static bool parse_flag(struct parser *p, struct flags *f)
{
	const struct token *t = cur(p);

	if (t->kind != TOK_KEYWORD)
		return syntax_error(p, "a flag (dealloc, notdealloc, servercopy, "
				    "countinout, islong, isnotlong)");
	switch (t->kw) {
	case KW_DEALLOC: f->dealloc = UMIG_DEALLOC_YES; break;
	case KW_NOTDEALLOC: f->dealloc = UMIG_DEALLOC_NOT; break;
	case KW_SERVERCOPY: f->servercopy = true; break;
	case KW_COUNTINOUT: f->countinout = true; break;
	case KW_ISLONG: f->islong = true; break;
	case KW_ISNOTLONG: f->isnotlong = true; break;
	default:
		return syntax_error(p, "a flag (dealloc, notdealloc, servercopy, "
				    "countinout, islong, isnotlong)");
	}
	advance(p);
	if (t->kw == KW_DEALLOC || t->kw == KW_NOTDEALLOC)
		f->dealloc_given = true;
	if (accept_punct(p, '[')) {
		if (t->kw != KW_DEALLOC) {
			umig_error(p->d, t->pos, "only dealloc may be variable ('[]')");
			return false;
		}
		f->dealloc = UMIG_DEALLOC_VAR;
		return expect_punct(p, ']', "']' after 'dealloc['");
	}
	return true;
}

/* ---- Type specifications ---- */

static struct umig_type *new_type(struct parser *p, enum umig_type_kind kind,
				  struct umig_pos pos)
{
	struct umig_type *t = umig_alloc(p->a, sizeof(*t));

	t->kind = kind;
	t->pos = pos;
	t->seq = p->seq++;
	return t;
}

static struct umig_type *parse_type_spec(struct parser *p, int depth);

/* (IPCType, bits [, flags]) */
static struct umig_type *parse_basic_tuple(struct parser *p)
{
	struct umig_type *t = new_type(p, UMIG_T_BASIC, cur(p)->pos);
	struct flags f = { 0 };
	uint64_t bits;

	advance(p);
	if (!parse_ipc_type(p, t) || !expect_punct(p, ',', "',' and a size in bits") ||
	    !parse_expr(p, &bits))
		return NULL;
	t->has_bits = true;
	t->count = bits;
	while (accept_punct(p, ',')) {
		if (!parse_flag(p, &f))
			return NULL;
	}
	t->dealloc = f.dealloc;
	t->islong = f.islong;
	t->isnotlong = f.isnotlong;
	t->servercopy = f.servercopy;
	return expect_punct(p, ')', "')'") ? t : NULL;
}

/* "[ ]", "[ * ]", "[ * : n ]" or "[ n ]" after array or c_string. */
static bool parse_bounds(struct parser *p, struct umig_type *t, bool allow_open)
{
	if (!expect_punct(p, '[', "'['"))
		return false;
	if (accept_punct(p, '*')) {
		t->bounded = true;
		if (accept_punct(p, ':')) {
			t->has_max = true;
			if (!parse_expr(p, &t->count))
				return false;
		} else if (!allow_open) {
			return syntax_error(p, "':' and a maximum length");
		}
	} else if (!is_punct(p, ']')) {
		t->has_max = true;
		if (!parse_expr(p, &t->count))
			return false;
	} else if (!allow_open) {
		return syntax_error(p, "a length");
	}
	return expect_punct(p, ']', "']'");
}

static struct umig_type *parse_array(struct parser *p, int depth, bool ool)
{
	struct umig_type *t = new_type(p, UMIG_T_ARRAY, cur(p)->pos);

	advance(p);
	t->ool = ool;
	if (!parse_bounds(p, t, true))
		return NULL;
	if (!is_kw(p, KW_OF)) {
		syntax_error(p, "'of'");
		return NULL;
	}
	advance(p);
	t->elem = parse_type_spec(p, depth + 1);
	return t->elem ? t : NULL;
}

static struct umig_type *parse_struct(struct parser *p, int depth)
{
	struct umig_type *t = new_type(p, UMIG_T_STRUCT_OF, cur(p)->pos);
	struct umig_field **tail = &t->fields;

	advance(p);
	if (is_punct(p, '[')) {
		advance(p);
		t->has_max = true;
		if (!parse_expr(p, &t->count) || !expect_punct(p, ']', "']'"))
			return NULL;
		if (!is_kw(p, KW_OF)) {
			syntax_error(p, "'of'");
			return NULL;
		}
		advance(p);
		t->elem = parse_type_spec(p, depth + 1);
		return t->elem ? t : NULL;
	}
	t->kind = UMIG_T_STRUCT_FIELDS;
	if (!expect_punct(p, '{', "'[' or '{' after 'struct'"))
		return NULL;
	while (!accept_punct(p, '}')) {
		struct umig_field *f = umig_alloc(p->a, sizeof(*f));
		f->pos = cur(p)->pos;
		f->type = new_type(p, UMIG_T_REF, cur(p)->pos);
		if (!expect_ident(p, "a field type or '}'", &f->type->ref) ||
		    !expect_ident(p, "a field name", &f->name) ||
		    !expect_punct(p, ';', "';' after the field"))
			return NULL;
		*tail = f;
		tail = &f->next;
	}
	return t;
}

/*
 * TypeSpec: a name, a message type, (name, bits), [^]array, struct,
 * c_string.  depth bounds nesting so hostile input cannot exhaust the stack.
 */
static struct umig_type *parse_type_spec(struct parser *p, int depth)
{
	const struct token *t = cur(p);
	struct umig_type *r;

	if (depth > 32) {
		umig_error(p->d, t->pos, "type nested too deeply");
		return NULL;
	}
	if (starts_ipc_name(p)) {
		r = new_type(p, UMIG_T_BASIC, t->pos);
		return parse_ipc_type(p, r) ? r : NULL;
	}
	if (t->kind == TOK_IDENT) {
		r = new_type(p, UMIG_T_REF, t->pos);
		r->ref = advance(p)->text;
		return r;
	}
	if (is_punct(p, '('))
		return parse_basic_tuple(p);
	if (is_punct(p, '^')) {
		advance(p);
		if (!is_kw(p, KW_ARRAY)) {
			syntax_error(p, "'array' after '^'");
			return NULL;
		}
		return parse_array(p, depth, true);
	}
	if (is_kw(p, KW_ARRAY))
		return parse_array(p, depth, false);
	if (is_kw(p, KW_STRUCT))
		return parse_struct(p, depth);
	if (is_kw(p, KW_C_STRING)) {
		r = new_type(p, UMIG_T_CSTRING, t->pos);
		advance(p);
		return parse_bounds(p, r, false) ? r : NULL;
	}
	syntax_error(p, "a type");
	return NULL;
}

/* "func(argtype)" after intran:/outtran:/destructor:. */
static bool parse_trans_call(struct parser *p, struct umig_trans *tr, bool want_type)
{
	tr->pos = cur(p)->pos;
	if (want_type && !expect_ident(p, "a C type", &tr->type))
		return false;
	if (!expect_ident(p, "a function name", &tr->func))
		return false;
	if (!expect_punct(p, '(', "'('") ||
	    !expect_ident(p, "a C type", &tr->arg_type))
		return false;
	return expect_punct(p, ')', "')'");
}

/* Zero or more "ctype: x", "intran: T f(U)", ... after a type. */
static bool parse_type_options(struct parser *p, struct umig_type *t)
{
	while (cur(p)->kind == TOK_KEYWORD) {
		enum kw kw = cur(p)->kw;
		bool ok = true;
		if (kw != KW_CTYPE && kw != KW_CUSERTYPE && kw != KW_CSERVERTYPE &&
		    kw != KW_INTRAN && kw != KW_OUTTRAN && kw != KW_DESTRUCTOR &&
		    kw != KW_INTRANPAYLOAD)
			break;
		advance(p);
		if (!expect_punct(p, ':', "':'"))
			return false;
		switch (kw) {
		case KW_CTYPE: ok = expect_ident(p, "a C type", &t->ctype); break;
		case KW_CUSERTYPE: ok = expect_ident(p, "a C type", &t->cusertype); break;
		case KW_CSERVERTYPE: ok = expect_ident(p, "a C type", &t->cservertype); break;
		case KW_INTRAN: ok = parse_trans_call(p, &t->intran, true); break;
		case KW_OUTTRAN: ok = parse_trans_call(p, &t->outtran, true); break;
		case KW_DESTRUCTOR: ok = parse_trans_call(p, &t->destructor, false); break;
		default:
			t->payload.pos = cur(p)->pos;
			ok = expect_ident(p, "a C type", &t->payload.type) &&
			     expect_ident(p, "a function name", &t->payload.func);
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* NamedTypeSpec: name = TypeSpec options; appended to spec->types. */
static struct umig_type *parse_named_type(struct parser *p)
{
	const char *name = NULL;
	struct umig_type *t;

	if (!expect_ident(p, "a type name", &name) ||
	    !expect_punct(p, '=', "'='"))
		return NULL;
	t = parse_type_spec(p, 0);
	if (t == NULL || !parse_type_options(p, t))
		return NULL;
	t->name = name;
	*p->type_tail = t;
	p->type_tail = &t->next;
	return t;
}

/* ---- Routines ---- */

static bool arg_direction(enum kw kw, enum umig_arg_kind *out)
{
	static const struct { enum kw kw; enum umig_arg_kind kind; } map[] = {
		{ KW_IN, UMIG_ARG_IN }, { KW_OUT, UMIG_ARG_OUT },
		{ KW_INOUT, UMIG_ARG_INOUT },
		{ KW_REQUESTPORT, UMIG_ARG_REQUESTPORT },
		{ KW_REPLYPORT, UMIG_ARG_REPLYPORT },
		{ KW_SREPLYPORT, UMIG_ARG_SREPLYPORT },
		{ KW_UREPLYPORT, UMIG_ARG_UREPLYPORT },
		{ KW_WAITTIME, UMIG_ARG_WAITTIME },
		{ KW_MSGOPTION, UMIG_ARG_MSGOPTION },
		{ KW_MSGSEQNO, UMIG_ARG_MSGSEQNO },
	};

	for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
		if (map[k].kw == kw) {
			*out = map[k].kind;
			return true;
		}
	}
	return false;
}

/* Argument: [direction] name : type [, flag]... */
static struct umig_arg *parse_arg(struct parser *p)
{
	struct umig_arg *arg = umig_alloc(p->a, sizeof(*arg));
	struct flags f = { 0 };

	arg->pos = cur(p)->pos;
	if (cur(p)->kind == TOK_KEYWORD && arg_direction(cur(p)->kw, &arg->kind)) {
		arg->kind_given = true;
		advance(p);
	}
	if (!expect_ident(p, "an argument name", &arg->name) ||
	    !expect_punct(p, ':', "':' after the argument name"))
		return NULL;
	if (cur(p)->kind == TOK_IDENT && p->v[p->i + 1].kind == TOK_PUNCT &&
	    p->v[p->i + 1].punct == '=') {
		arg->type = parse_named_type(p);
	} else {
		arg->type = parse_type_spec(p, 0);
		if (arg->type != NULL && !parse_type_options(p, arg->type))
			return NULL;
	}
	if (arg->type == NULL)
		return NULL;
	while (accept_punct(p, ',')) {
		if (!parse_flag(p, &f))
			return NULL;
	}
	arg->dealloc = f.dealloc;
	arg->dealloc_given = f.dealloc_given;
	arg->servercopy = f.servercopy;
	arg->countinout = f.countinout;
	arg->islong = f.islong;
	arg->isnotlong = f.isnotlong;
	return arg;
}

static const char *prefixed(struct parser *p, const char *prefix, const char *name)
{
	size_t lp = strlen(prefix), ln = strlen(name);
	char *s = umig_alloc(p->a, lp + ln + 1);

	memcpy(s, prefix, lp);
	memcpy(s + lp, name, ln);
	return s;
}

static struct umig_routine *new_routine(struct parser *p,
					enum umig_routine_kind kind,
					struct umig_pos pos)
{
	struct umig_routine *r = umig_alloc(p->a, sizeof(*r));

	r->kind = kind;
	r->pos = pos;
	r->seq = p->seq++;
	r->index = p->spec->nroutines++;
	*p->routine_tail = r;
	p->routine_tail = &r->next;
	return r;
}

static bool parse_routine(struct parser *p, enum umig_routine_kind kind)
{
	struct umig_routine *r;
	struct umig_arg **tail;
	const char *name = NULL;

	advance(p);
	if (!expect_ident(p, "a routine name", &name))
		return false;
	r = new_routine(p, kind, p->v[p->i - 1].pos);
	r->name = name;
	r->user_name = prefixed(p, p->user_prefix, name);
	r->server_name = prefixed(p, p->server_prefix, name);
	r->waittime = p->waittime;
	r->msgtype = p->msgtype;
	r->error_proc = p->error_proc;
	tail = &r->args;
	if (!expect_punct(p, '(', "'(' after the routine name"))
		return false;
	while (!is_punct(p, ')')) {
		struct umig_arg *arg = parse_arg(p);
		if (arg == NULL)
			return false;
		*tail = arg;
		tail = &arg->next;
		r->nargs++;
		if (!accept_punct(p, ';') && !is_punct(p, ')'))
			return syntax_error(p, "';' or ')' after the argument");
	}
	advance(p);
	if (kind == UMIG_R_FUNCTION) {
		if (!expect_punct(p, ':', "':' and a return type after 'function'"))
			return false;
		struct umig_type *ret = new_type(p, UMIG_T_REF, cur(p)->pos);
		if (!expect_ident(p, "a return type", &ret->ref))
			return false;
		r->ret = ret;
	}
	return expect_punct(p, ';', "';' after the routine");
}

/* ---- Statements ---- */

static bool parse_subsystem(struct parser *p)
{
	struct umig_spec *s = p->spec;
	struct umig_pos kwpos = advance(p)->pos;
	const char *name = NULL;
	unsigned flags = 0;
	uint64_t base;

	for (;;) {
		if (is_kw(p, KW_KERNELUSER))
			flags |= UMIG_SUB_KERNEL_USER;
		else if (is_kw(p, KW_KERNELSERVER))
			flags |= UMIG_SUB_KERNEL_SERVER;
		else
			break;
		advance(p);
	}
	if (!expect_ident(p, "a subsystem name", &name) || !parse_expr(p, &base))
		return false;
	if (s->subsystem != NULL) {
		umig_error(p->d, kwpos, "subsystem already declared at line %d",
			   s->sub_pos.line);
		return expect_punct(p, ';', "';'");
	}
	s->subsystem = name;
	s->base = (uint32_t)base;
	s->sub_flags = flags;
	s->sub_pos = kwpos;
	return expect_punct(p, ';', "';' after the subsystem base");
}

static bool parse_import(struct parser *p, enum kw kw)
{
	struct umig_import *im = umig_alloc(p->a, sizeof(*im));

	advance(p);
	if (cur(p)->kind != TOK_FILENAME)
		return syntax_error(p, "a file name in <> or \"\"");
	im->kind = kw == KW_IMPORT ? UMIG_IMPORT_BOTH :
		   kw == KW_UIMPORT ? UMIG_IMPORT_USER : UMIG_IMPORT_SERVER;
	im->file = advance(p)->text;
	*p->import_tail = im;
	p->import_tail = &im->next;
	return expect_punct(p, ';', "';' after the file name");
}

/* serverprefix/userprefix/serverdemux/error/waittime/msgtype: word ; */
static bool parse_word_stmt(struct parser *p, const char **slot, bool number_ok)
{
	advance(p);
	if (cur(p)->kind == TOK_IDENT ||
	    (number_ok && cur(p)->kind == TOK_NUMBER))
		*slot = advance(p)->text;
	else
		return syntax_error(p, number_ok ? "a name or a number" : "a name");
	return expect_punct(p, ';', "';'");
}

static bool parse_stmt(struct parser *p)
{
	const struct token *t = cur(p);

	if (accept_punct(p, ';'))
		return true;
	if (t->kind != TOK_KEYWORD)
		return syntax_error(p, "a statement (subsystem, routine, type, ...)");
	switch (t->kw) {
	case KW_SUBSYSTEM: return parse_subsystem(p);
	case KW_ROUTINE: return parse_routine(p, UMIG_R_ROUTINE);
	case KW_SIMPLEROUTINE: return parse_routine(p, UMIG_R_SIMPLEROUTINE);
	case KW_PROCEDURE: return parse_routine(p, UMIG_R_PROCEDURE);
	case KW_SIMPLEPROCEDURE: return parse_routine(p, UMIG_R_SIMPLEPROCEDURE);
	case KW_FUNCTION: return parse_routine(p, UMIG_R_FUNCTION);
	case KW_CAMELOTROUTINE: return parse_routine(p, UMIG_R_CAMELOTROUTINE);
	case KW_SKIP:
		new_routine(p, UMIG_R_SKIP, advance(p)->pos);
		return expect_punct(p, ';', "';' after 'skip'");
	case KW_TYPE:
		advance(p);
		return parse_named_type(p) != NULL &&
		       expect_punct(p, ';', "';' after the type");
	case KW_IMPORT: case KW_UIMPORT: case KW_SIMPORT:
		return parse_import(p, t->kw);
	case KW_SERVERPREFIX: return parse_word_stmt(p, &p->server_prefix, false);
	case KW_USERPREFIX: return parse_word_stmt(p, &p->user_prefix, false);
	case KW_SERVERDEMUX: return parse_word_stmt(p, &p->spec->server_demux, false);
	case KW_ERROR: return parse_word_stmt(p, &p->error_proc, false);
	case KW_WAITTIME: return parse_word_stmt(p, &p->waittime, true);
	case KW_MSGTYPE: return parse_word_stmt(p, &p->msgtype, true);
	case KW_NOWAITTIME:
		advance(p);
		p->waittime = NULL;
		return expect_punct(p, ';', "';' after 'nowaittime'");
	case KW_RCSID:
		advance(p);
		if (cur(p)->kind != TOK_STRING)
			return syntax_error(p, "a string after 'rcsid'");
		p->spec->rcsid = advance(p)->text;
		return expect_punct(p, ';', "';'");
	default:
		umig_error(p->d, t->pos, "'%s' cannot start a statement", t->text);
		return false;
	}
}

static bool starts_stmt(const struct token *t)
{
	if (t->kind != TOK_KEYWORD)
		return false;
	switch (t->kw) {
	case KW_SUBSYSTEM: case KW_ROUTINE: case KW_SIMPLEROUTINE:
	case KW_PROCEDURE: case KW_SIMPLEPROCEDURE: case KW_FUNCTION:
	case KW_CAMELOTROUTINE: case KW_SKIP: case KW_TYPE: case KW_IMPORT:
	case KW_UIMPORT: case KW_SIMPORT: case KW_SERVERPREFIX:
	case KW_USERPREFIX: case KW_SERVERDEMUX: case KW_RCSID:
		return true;
	default:
		return false;
	}
}

/*
 * After a syntax error: rescan from the statement's first token and stop
 * after its ';' (outside parentheses) or before the next statement keyword,
 * always ending past the point of the error.
 */
static void sync_stmt(struct parser *p, size_t start, size_t err)
{
	int depth = 0;
	size_t j = start;

	for (; p->v[j].kind != TOK_EOF; j++) {
		const struct token *t = &p->v[j];
		if (j > start && j >= err && starts_stmt(t))
			break;
		if (t->kind != TOK_PUNCT)
			continue;
		if (t->punct == '(')
			depth++;
		else if (t->punct == ')' && depth > 0)
			depth--;
		else if (t->punct == ';' && depth == 0 && j >= err) {
			j++;
			break;
		}
	}
	if (j <= start)
		j = start + 1;
	p->i = j;
}

/*
 * Parses the whole token list into *out (zeroed here; its memory comes
 * from a).  Returns the number of syntax errors reported through d; out
 * is complete enough for check_run() even after errors.  Never blocks and
 * writes no output.
 */
int parse_run(struct umig_arena *a, struct umig_diag *d,
	      const struct token_list *toks, struct umig_spec *out)
{
	struct parser p = { .a = a, .d = d, .v = toks->v, .n = toks->n,
			    .spec = out, .server_prefix = "", .user_prefix = "" };
	int before = d->errors;

	memset(out, 0, sizeof(*out));
	out->arena = a;
	p.type_tail = &out->types;
	p.routine_tail = &out->routines;
	p.import_tail = &out->imports;
	while (cur(&p)->kind != TOK_EOF) {
		size_t start = p.i;
		if (!parse_stmt(&p))
			sync_stmt(&p, start, p.i);
	}
	out->end_pos = cur(&p)->pos;
	return d->errors - before;
}
