/*
 * umig.h: the data shared by umig's stages (lex -> parse -> check -> emit).
 * The lexer turns text into a token array; the parser turns tokens into a
 * struct umig_spec; the checker resolves type names and fills the layout
 * fields marked "check:" below.  Emitters read only a checked umig_spec and
 * never see tokens.  All memory of one run lives in one struct umig_arena.
 */
#ifndef UMIG_H
#define UMIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- Memory and diagnostics (lex.c) ---- */

struct umig_arena {
	struct umig_chunk *head;        // chunks, newest first
};

struct umig_pos {
	const char *file;               // arena string; "<input>" if unknown
	int line, col;                  // 1-based, in the original file
};

struct umig_diag {
	FILE *out;                      // where messages go (stderr in main)
	int errors;                     // errors reported so far
};

void *umig_alloc(struct umig_arena *a, size_t size_bytes);
char *umig_strndup(struct umig_arena *a, const char *s, size_t len);
void umig_arena_fini(struct umig_arena *a);
void umig_error(struct umig_diag *d, struct umig_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- Tokens (lex.c) ---- */

enum tok_kind {
	TOK_EOF, TOK_IDENT, TOK_KEYWORD, TOK_NUMBER, TOK_STRING,
	TOK_FILENAME,                   // <x.h> or "x.h" after an import keyword
	TOK_PUNCT,                      // one of : ; , + - * / ( ) = ^ ~ < > [ ] | { }
};

enum kw {
	KW_NONE,
	KW_ROUTINE, KW_SIMPLEROUTINE, KW_PROCEDURE, KW_SIMPLEPROCEDURE,
	KW_FUNCTION, KW_CAMELOTROUTINE, KW_SUBSYSTEM, KW_KERNELSERVER,
	KW_KERNELUSER, KW_SKIP, KW_TYPE, KW_STRUCT, KW_ARRAY, KW_OF,
	KW_C_STRING, KW_IN, KW_OUT, KW_INOUT, KW_REQUESTPORT, KW_REPLYPORT,
	KW_SREPLYPORT, KW_UREPLYPORT, KW_MSGOPTION, KW_MSGSEQNO, KW_WAITTIME,
	KW_NOWAITTIME, KW_MSGTYPE, KW_ERROR, KW_SERVERPREFIX, KW_USERPREFIX,
	KW_SERVERDEMUX, KW_RCSID, KW_IMPORT, KW_UIMPORT, KW_SIMPORT,
	KW_CTYPE, KW_CUSERTYPE, KW_CSERVERTYPE, KW_INTRAN, KW_INTRANPAYLOAD,
	KW_OUTTRAN, KW_DESTRUCTOR, KW_POLYMORPHIC, KW_ISLONG, KW_ISNOTLONG,
	KW_DEALLOC, KW_NOTDEALLOC, KW_SERVERCOPY, KW_COUNTINOUT, KW_RETCODE,
	KW_COUNT_
};

struct token {
	enum tok_kind kind;
	enum kw kw;                     // TOK_KEYWORD only
	char punct;                     // TOK_PUNCT only
	uint64_t value;                 // TOK_NUMBER only
	const char *text;               // arena copy of the spelling
	struct umig_pos pos;
};

struct token_list {
	struct token *v;                // arena array, last one is TOK_EOF
	size_t n;
};

/* ---- The interface description (parse.c fills, check.c completes) ---- */

/* What a message type name means, independent of the Mach 2.5 / Mach 3
 * numbering, so that emitters can pick descriptors and C presentation. */
enum umig_ipc_class {
	UMIG_IPC_NONE,                  // not given (composite types)
	UMIG_IPC_DATA,                  // integers, chars, booleans, reals
	UMIG_IPC_STRING,                // MSG_TYPE_STRING(_C)
	UMIG_IPC_PORT_NAME,             // a name, no right moves
	UMIG_IPC_PORT_SEND,             // a send right (copy, make, move)
	UMIG_IPC_PORT_SEND_ONCE,
	UMIG_IPC_PORT_RECEIVE,
	UMIG_IPC_PORT_OWNERSHIP,        // Mach 2.5 only
	UMIG_IPC_PORT_ALL,              // Mach 2.5 only
	UMIG_IPC_POLYMORPHIC,           // chosen at run time
};

struct umig_ipc {
	const char *sym;                // e.g. "MACH_MSG_TYPE_COPY_SEND", NULL = number
	uint32_t value;                 // msgt_name; 0xffffffff = polymorphic
	uint32_t default_bits;          // size implied by the name; 0 = none
	enum umig_ipc_class cls;
	bool mach3;                     // MACH_MSG_TYPE_* spelling (vs MSG_TYPE_*)
};

enum umig_type_kind {
	UMIG_T_REF,                     // a name of an earlier type
	UMIG_T_BASIC,                   // IPC name(s), maybe (name, bits[, flags])
	UMIG_T_ARRAY,                   // [^]array[...] of elem
	UMIG_T_STRUCT_OF,               // struct[n] of elem
	UMIG_T_STRUCT_FIELDS,           // struct { T a; U b; }
	UMIG_T_CSTRING,                 // c_string[n] / c_string[*:n]
};

enum umig_dealloc { UMIG_DEALLOC_NOT, UMIG_DEALLOC_YES, UMIG_DEALLOC_VAR };

struct umig_trans {                     // intran:/outtran:/destructor:/intranpayload:
	const char *type;               // translated C type (NULL if absent)
	const char *func;               // function name
	const char *arg_type;           // argument C type (NULL for payload/destructor)
	struct umig_pos pos;
};

struct umig_field {                     // one field of struct { ... }
	const char *name;
	struct umig_type *type;
	struct umig_pos pos;
	struct umig_field *next;
};

struct umig_type {
	/* parse: syntax as written */
	enum umig_type_kind kind;
	const char *name;               // declared name, NULL when anonymous
	const char *ref;                // UMIG_T_REF: name referred to
	struct umig_pos pos;            // of the name (or of the spec)
	int seq;                        // declaration order; refs see only earlier
	struct umig_ipc in_ipc, out_ipc;  // BASIC: sender's and receiver's name
	bool has_bits;                  // BASIC: (name, bits) form
	bool ool;                       // ARRAY: ^ given
	bool bounded;                   // ARRAY/CSTRING: has * (variable size)
	bool has_max;                   // ARRAY/STRUCT_OF/CSTRING: a number given
	uint64_t count;                 // that number (elements or chars)
	struct umig_type *elem;         // ARRAY/STRUCT_OF element, REF target after check
	struct umig_field *fields;      // STRUCT_FIELDS
	const char *ctype, *cusertype, *cservertype;
	struct umig_trans intran, outtran, destructor, payload;
	enum umig_dealloc dealloc;      // from (name, bits, dealloc) or flags
	bool servercopy;
	bool islong, isnotlong;
	struct umig_type *next;         // spec->types list, in order

	/* check: resolved layout (all kinds, REF copies its target) */
	bool resolved;
	struct umig_ipc r_in, r_out;    // element IPC names after resolution
	uint32_t elem_bits;             // bits of one wire element
	uint64_t number;                // fixed count, or maximum if variable
	bool variable;                  // count travels with the data
	bool indefinite;                // array[] / array[*]: inline or OOL at run time
	bool is_ool;                    // always out-of-line (^)
	bool is_string;                 // C string semantics (NUL-terminated)
	bool is_struct;                 // flattened record (struct[n] or {...})
	const char *c_user, *c_server;  // C type names for each side
};

enum umig_arg_kind {
	UMIG_ARG_IN, UMIG_ARG_OUT, UMIG_ARG_INOUT, UMIG_ARG_REQUESTPORT,
	UMIG_ARG_REPLYPORT, UMIG_ARG_SREPLYPORT, UMIG_ARG_UREPLYPORT,
	UMIG_ARG_WAITTIME, UMIG_ARG_MSGOPTION, UMIG_ARG_MSGSEQNO,
};

struct umig_arg {
	enum umig_arg_kind kind;
	bool kind_given;                // false: "in" by default (or request port)
	const char *name;
	struct umig_pos pos;
	struct umig_type *type;         // parse: REF or inline type; check: resolved
	enum umig_dealloc dealloc;      // per-argument flag overrides the type's
	bool dealloc_given;
	bool servercopy, countinout, islong, isnotlong;
	struct umig_arg *next;
};

enum umig_routine_kind {
	UMIG_R_ROUTINE, UMIG_R_SIMPLEROUTINE, UMIG_R_PROCEDURE,
	UMIG_R_SIMPLEPROCEDURE, UMIG_R_FUNCTION, UMIG_R_CAMELOTROUTINE,
	UMIG_R_SKIP,
};

struct umig_routine {
	enum umig_routine_kind kind;
	const char *name;               // NULL for skip
	struct umig_pos pos;
	int seq;
	uint32_t index;                 // position, counting skips
	uint32_t request_id;            // base + index (set by check)
	uint32_t reply_id;              // request_id + 100, even for one-way
	const char *user_name;          // userprefix + name, prefix at that point
	const char *server_name;        // serverprefix + name
	const char *waittime;           // waittime in force, NULL = none
	const char *msgtype;            // msgtype in force, NULL = default
	const char *error_proc;         // error in force, NULL = default
	struct umig_arg *args;          // in order; first is the request port
	size_t nargs;
	struct umig_type *ret;          // function's return type, else NULL
	struct umig_routine *next;
};

enum umig_import_kind { UMIG_IMPORT_BOTH, UMIG_IMPORT_USER, UMIG_IMPORT_SERVER };

struct umig_import {
	enum umig_import_kind kind;
	const char *file;               // as written, with <> or ""
	struct umig_import *next;
};

#define UMIG_SUB_KERNEL_USER   0x1
#define UMIG_SUB_KERNEL_SERVER 0x2

struct umig_spec {
	const char *subsystem;          // NULL if none was declared
	uint32_t base;
	unsigned sub_flags;             // UMIG_SUB_*
	struct umig_pos sub_pos, end_pos;
	const char *server_demux;       // NULL = <subsystem>_server
	const char *rcsid;
	struct umig_import *imports;
	struct umig_type *types;        // declared and inline types, in order
	struct umig_routine *routines;  // routines and skips, in order
	uint32_t nroutines;             // slots, counting skips
	struct umig_arena *arena;       // owns everything above
};

/* ---- Stage entry points ---- */
int lex_run(struct umig_arena *a, struct umig_diag *d, const char *buf,
	    size_t len, const char *file, struct token_list *out);
const char *lex_kw_name(enum kw kw);
int parse_run(struct umig_arena *a, struct umig_diag *d,
	      const struct token_list *toks, struct umig_spec *out);
int check_run(struct umig_diag *d, struct umig_spec *spec);
int check_source(struct umig_arena *a, struct umig_diag *d, const char *buf,
		 size_t len, const char *file, struct umig_spec *out);
bool emit_list(const struct umig_spec *spec, FILE *out);

#endif
