/*
 * emit.h: what umig's code emitters (emit_header.c, emit_user.c,
 * emit_server.c) share, implemented in emit_common.c: the wire model of
 * one message item (descriptor + data, LP64 rule B, docs/protocol.md §6),
 * the C presentation of arguments (MIG's Cnt, Poly, Dealloc and SCopy
 * parameters) and the run-time helpers pasted into every generated .c.
 * Emitters read only a checked struct umig_spec (STYLE, Generator).
 */
#ifndef UMIG_EMIT_H
#define UMIG_EMIT_H

#include "umig.h"

#define EMIT_POLY UINT32_MAX           // wire name chosen at run time

enum emit_side { SIDE_USER, SIDE_SERVER };

/* How an argument appears in C: a value (scalars, structs, ports), an
 * array or string used through a pointer, or out-of-line memory. */
enum emit_shape { SHAPE_VALUE, SHAPE_ARRAY, SHAPE_OOL };

/* One item of a message: what its descriptor says and how big its data is. */
struct witem {
	const struct umig_arg *arg;     // NULL for RetCode
	bool count_only;                // CountInOut: the caller's capacity
	uint32_t name_in, name_out;     // Mach 2.5 msgt_name sent / expected
	uint32_t bits;                  // msgt_size
	uint64_t number;                // fixed count, or maximum if variable
	bool variable;                  // number travels with the data
	bool ool, longform, cstring, port, dealloc;
	enum emit_shape shape;
};

#define EMIT_ITEMS_MAX 64

struct wmsg {
	struct witem v[EMIT_ITEMS_MAX];
	size_t n;
	uint64_t max_size;              // bytes, header included, rounded to 8
	bool complex;                   // carries ports or out-of-line data
};

/* Fills m with the request (reply == false) or reply items of r.  Returns
 * false after reporting through d what the emitters cannot generate. */
bool emit_items(struct umig_diag *d, const struct umig_routine *r,
		bool reply, struct wmsg *m);
void emit_item(const struct umig_arg *a, struct witem *w);
bool emit_supported(struct umig_diag *d, const struct umig_spec *spec);

bool emit_is_oneway(const struct umig_routine *r);
enum emit_shape emit_shape_of(const struct umig_type *t);
uint32_t emit_mult(const struct umig_type *t);
bool emit_user_sees(const struct umig_arg *a);
bool emit_server_sees(const struct umig_arg *a);
bool emit_is_out(const struct umig_arg *a);
bool emit_is_in(const struct umig_arg *a);
bool emit_has_cnt(const struct umig_arg *a);
bool emit_is_poly(const struct umig_arg *a);
const struct umig_arg *emit_find(const struct umig_routine *r,
				 enum umig_arg_kind kind);
const char *emit_ctype(const struct umig_arg *a, enum emit_side side);
const char *emit_elem_ctype(const struct umig_type *t, enum emit_side side);
const char *emit_type_name(uint32_t name);

/* "kern_return_t name(params)" for one side, without ';' or body. */
void emit_prototype(FILE *f, const struct umig_spec *spec,
		    const struct umig_routine *r, enum emit_side side);
void emit_banner(FILE *f, const struct umig_spec *spec, const char *what);
void emit_imports(FILE *f, const struct umig_spec *spec,
		  enum umig_import_kind side);
void emit_runtime(FILE *f);
void emit_descriptor(FILE *f, const struct witem *w, const char *var,
		     bool sending);
void emit_size_asserts(FILE *f, const struct wmsg *m, enum emit_side side);
const char *emit_demux_name(const struct umig_spec *spec, char *buf,
			    size_t len);

/* What emit_put needs besides the item: C expressions, NULL if unused. */
struct emit_put_args {
	const char *cursor;             // a struct umig_cursor variable
	const char *data;               // pointer to the data (OOL: to the pointer)
	const char *bytes;              // fixed inline byte count
	const char *cnt;                // C element count of a variable array
	const char *poly;               // run-time type name
	const char *dealloc;            // run-time deallocate flag
};

void emit_put(FILE *f, const struct witem *w, const char *var,
	      const struct emit_put_args *p);
void emit_take(FILE *f, const struct witem *w, const char *var,
	       const char *cur, const char *it, const char *fail);
void emit_bytes(const struct witem *w, char *buf, size_t len);

bool emit_header(struct umig_diag *d, const struct umig_spec *spec, FILE *f);
bool emit_sheader(struct umig_diag *d, const struct umig_spec *spec, FILE *f);
/* emit_lpc.c: -lpc (LPC user stubs) and -lpcheader (their prototypes). */
bool emit_lpc(struct umig_diag *d, const struct umig_spec *spec, FILE *f);
bool emit_lpc_header(struct umig_diag *d, const struct umig_spec *spec,
		     FILE *f);
bool emit_user(struct umig_diag *d, const struct umig_spec *spec, FILE *f);
bool emit_server(struct umig_diag *d, const struct umig_spec *spec, FILE *f);

#endif
