/*
 * emit_server.c: the -server file.  For each routine a static
 * _X<routine>(InHeadP, OutHeadP) checks every request item against the
 * descriptor it expects (any difference, or a wrong size, is answered
 * with MIG_BAD_ARGUMENTS), calls <serverprefix><routine> with MIG's
 * presentation, and marshals the outs on success.  Then the routine table
 * <subsystem>_server_routines[] (0 for skips) and the demux
 * <subsystem>_server(), which fills the reply header (id + 100), answers an
 * unknown id with MIG_BAD_ID and dispatches.  MIG's ownership rule: the
 * server routine owns the request's rights and out-of-line memory only if
 * it returns KERN_SUCCESS or MIG_NO_REPLY; otherwise umig_destroy() frees
 * them here, once (also for MIG_BAD_ID and MIG_BAD_ARGUMENTS).
 */
#include "emit.h"

#include <string.h>

static uint64_t c_max(const struct witem *w)
{
	const struct umig_type *t = w->arg->type;

	if (t->is_string)
		return w->number * w->bits / 8;
	return w->number / emit_mult(t);
}

static void descriptors(FILE *f, const struct wmsg *req, const struct wmsg *rep)
{
	char var[128];

	for (size_t i = 0; i < req->n; i++) {
		const struct witem *w = &req->v[i];
		snprintf(var, sizeof var, "%s%sCheck", w->arg->name,
			 w->count_only ? "Cnt" : "");
		emit_descriptor(f, w, var, false);
	}
	for (size_t i = 1; i < rep->n; i++) {
		snprintf(var, sizeof var, "%sType", rep->v[i].arg->name);
		emit_descriptor(f, &rep->v[i], var, true);
	}
}

/* The locals that hold what the server routine gets and gives. */
/* The request port, translated by its type's intran: if it has one. */
static bool port_translated(const struct umig_routine *r)
{
	return r->args->type->intran.func != NULL &&
	       emit_shape_of(r->args->type) == SHAPE_VALUE;
}

static void locals(FILE *f, const struct umig_routine *r, const struct wmsg *req)
{
	if (port_translated(r))
		fprintf(f, "\t%s %s;\n", emit_ctype(r->args, SIDE_SERVER),
			r->args->name);
	for (size_t i = 0; i < req->n; i++)
		fprintf(f, "\tstruct umig_item umig_it_%s%s;\n", req->v[i].arg->name,
			req->v[i].count_only ? "Cnt" : "");
	for (const struct umig_arg *a = r->args->next; a != NULL; a = a->next) {
		struct witem w;
		if (!emit_is_in(a) && !emit_is_out(a))
			continue;
		emit_item(a, &w);
		if (w.shape == SHAPE_ARRAY && emit_is_out(a))
			fprintf(f, "\t%s %s[%llu];\n", emit_elem_ctype(a->type,
				SIDE_SERVER), a->name, (unsigned long long)c_max(&w));
		else if (w.shape != SHAPE_ARRAY)
			fprintf(f, "\t%s %s;\n", emit_ctype(a, SIDE_SERVER), a->name);
		if (emit_is_out(a) && w.shape == SHAPE_VALUE &&
		    a->type->outtran.func != NULL)
			fprintf(f, "\t%s %sWire;\n", a->type->outtran.type ?
				a->type->outtran.type : a->type->c_server, a->name);
		if (emit_is_poly(a))
			fprintf(f, "\tunsigned int %sPoly = %u;\n", a->name,
				w.name_in == EMIT_POLY ? 6 : w.name_in);
		if (emit_has_cnt(a))
			fprintf(f, "\tunsigned int %sCnt = %llu;\n", a->name,
				(unsigned long long)c_max(&w));
	}
}

/* Copies one checked in-item into its local (values, pointers, counts). */
static void unpack_in(FILE *f, const struct witem *w)
{
	const struct umig_arg *a = w->arg;
	const struct umig_type *t = a->type;
	const char *n = a->name;

	if (w->count_only) {
		fprintf(f, "\tmemcpy(&%sCnt, umig_it_%sCnt.data, sizeof %sCnt);\n"
			"\tif (%sCnt > %llu)\n\t\t%sCnt = %llu;\n", n, n, n, n,
			(unsigned long long)c_max(w), n, (unsigned long long)c_max(w));
		return;
	}
	if (emit_is_poly(a))
		fprintf(f, "\t%sPoly = umig_it_%s.name;\n", n, n);
	if (emit_has_cnt(a))
		fprintf(f, "\t%sCnt = umig_it_%s.number / %u;\n", n, n, emit_mult(t));
	if (w->shape == SHAPE_ARRAY && emit_is_out(a))
		fprintf(f, "\tmemcpy(%s, umig_it_%s.data, ((size_t)umig_it_%s.number"
			" * %u + 7) / 8);\n", n, n, n, w->bits);
	else if (w->shape == SHAPE_OOL)
		fprintf(f, "\tmemcpy(&%s, umig_it_%s.data, sizeof(void *));\n", n, n);
	else if (w->shape == SHAPE_VALUE && t->intran.func != NULL)
		fprintf(f, "\t{\n\t\t%s v;\n\n\t\tmemcpy(&v, umig_it_%s.data, "
			"sizeof v);\n\t\t%s = %s(v);\n\t}\n", t->intran.arg_type ?
			t->intran.arg_type : t->c_server, n, n, t->intran.func);
	else if (w->shape == SHAPE_VALUE)
		fprintf(f, "\tmemcpy(&%s, umig_it_%s.data, sizeof %s);\n", n, n, n);
}

/* The argument list of the call to the server routine. */
static void call_args(FILE *f, const struct umig_routine *r)
{
	fputs(port_translated(r) ? r->args->name : "InHeadP->msg_local_port", f);
	for (const struct umig_arg *a = r->args->next; a != NULL; a = a->next) {
		enum emit_shape s = emit_shape_of(a->type);
		bool out = emit_is_out(a);
		const char *n = a->name;
		if (!emit_server_sees(a))
			continue;
		if (a->kind == UMIG_ARG_MSGSEQNO)
			fputs(",\n\t\t0", f);   // Mach 2.5 has no sequence numbers
		else if (!emit_is_in(a) && !out)
			fputs(",\n\t\tInHeadP->msg_remote_port", f);
		else if (s == SHAPE_ARRAY && !out)
			fprintf(f, ",\n\t\t(%s *)(void *)umig_it_%s.data",
				emit_elem_ctype(a->type, SIDE_SERVER), n);
		else
			fprintf(f, ",\n\t\t%s%s", out && s != SHAPE_ARRAY ? "&" : "", n);
		if (emit_is_poly(a) && !emit_is_in(a) && !out)
			fputs(",\n\t\tMSG_TYPE_PORT", f);  // a header port
		else if (emit_is_poly(a))
			fprintf(f, ",\n\t\t%s%sPoly", out ? "&" : "", n);
		if (emit_has_cnt(a))
			fprintf(f, ",\n\t\t%s%sCnt", out ? "&" : "", n);
		if (a->servercopy)
			fprintf(f, ",\n\t\tumig_it_%s.inl ? FALSE : TRUE", n);
	}
}

/* One out-argument into the reply. */
static void put_out(FILE *f, const struct witem *w)
{
	const struct umig_arg *a = w->arg;
	const struct umig_type *t = a->type;
	char var[128], data[160], cnt[160], poly[160], bytes[32];
	struct emit_put_args p = { "umig_out", data, bytes, NULL, NULL, NULL };

	emit_bytes(w, bytes, sizeof bytes);
	snprintf(var, sizeof var, "%sType", a->name);
	if (w->shape == SHAPE_VALUE && t->outtran.func != NULL) {
		fprintf(f, "\t%sWire = %s(%s);\n", a->name, t->outtran.func,
			a->name);
		snprintf(data, sizeof data, "&%sWire", a->name);
	} else {
		snprintf(data, sizeof data, "%s%s", w->shape == SHAPE_ARRAY ?
			 "" : "&", a->name);
	}
	if (emit_has_cnt(a)) {
		snprintf(cnt, sizeof cnt, "%sCnt", a->name);
		p.cnt = cnt;
	}
	if (emit_is_poly(a)) {
		snprintf(poly, sizeof poly, "%sPoly", a->name);
		p.poly = poly;
	}
	emit_put(f, w, var, &p);
}

static void destructors(FILE *f, const struct umig_routine *r)
{
	for (const struct umig_arg *a = r->args; a != NULL; a = a->next)
		if ((emit_is_in(a) || (a == r->args && port_translated(r))) &&
		    a->type->destructor.func != NULL &&
		    emit_shape_of(a->type) == SHAPE_VALUE)
			fprintf(f, "\t%s(%s);\n", a->type->destructor.func, a->name);
}

static void after_call(FILE *f, const struct umig_routine *r,
		       const struct wmsg *rep)
{
	destructors(f, r);
	fputs("\tif (umig_rc != KERN_SUCCESS) {\n"
	      "\t\tif (umig_rc != MIG_NO_REPLY)\n\t\t\tumig_destroy(InHeadP);\n"
	      "\t\tOutP->RetCode = umig_rc;\n\t\treturn;\n\t}\n", f);
	for (size_t i = 1; i < rep->n; i++) {
		const struct witem *w = &rep->v[i];
		/* an unbounded out-of-line array has no maximum */
		if (emit_has_cnt(w->arg) &&
		    !(w->shape == SHAPE_OOL && c_max(w) == 0))
			fprintf(f, "\tif (%sCnt > %llu) {\n\t\tOutP->RetCode = "
				"MIG_ARRAY_TOO_LARGE;\n\t\treturn;\n\t}\n",
				w->arg->name, (unsigned long long)c_max(w));
	}
	for (size_t i = 1; i < rep->n; i++)
		put_out(f, &rep->v[i]);
	fprintf(f, "\tOutHeadP->msg_simple = %s;\n"
		"\tOutHeadP->msg_size = umig_size(&umig_out);\n"
		"\tOutP->RetCode = KERN_SUCCESS;\n\treturn;\n", rep->complex ?
		"FALSE" : "TRUE");
}

static bool strict_complex(const struct wmsg *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].ool || (m->v[i].port && m->v[i].name_out != EMIT_POLY))
			return true;
	return false;
}

static bool emit_x(struct umig_diag *d, const struct umig_spec *spec,
		   const struct umig_routine *r, FILE *f)
{
	struct wmsg req, rep;

	if (!emit_items(d, r, false, &req) || !emit_items(d, r, true, &rep))
		return false;
	fprintf(f, "\n/* %s %s: request %u */\n", emit_is_oneway(r) ?
		"SimpleRoutine" : "Routine", r->name, r->request_id);
	emit_prototype(f, spec, r, SIDE_SERVER);
	fprintf(f, ";\n\nstatic void _X%s(msg_header_t *InHeadP, "
		"msg_header_t *OutHeadP)\n{\n", r->name);
	descriptors(f, &req, &rep);
	emit_size_asserts(f, &req, SIDE_SERVER);
	emit_size_asserts(f, &rep, SIDE_SERVER);
	fputs("\tdeath_pill_t *OutP = (death_pill_t *)(void *)OutHeadP;\n"
	      "\tstruct umig_cursor umig_in = { (unsigned char *)InHeadP,\n"
	      "\t\tInHeadP->msg_size, sizeof(msg_header_t) };\n", f);
	fprintf(f, "\tstruct umig_cursor umig_out = { (unsigned char *)OutHeadP,"
		" %llu,\n\t\toffsetof(death_pill_t, RetCode) + "
		"sizeof(kern_return_t) };\n\tkern_return_t umig_rc;\n",
		(unsigned long long)rep.max_size);
	locals(f, r, &req);
	fputs("\n", f);
	if (strict_complex(&req))
		fputs("\tif (InHeadP->msg_simple)\n\t\tgoto bad_args;\n", f);
	for (size_t i = 0; i < req.n; i++) {
		char var[128], it[128];
		const char *n = req.v[i].arg->name, *c = req.v[i].count_only ?
			"Cnt" : "";
		snprintf(var, sizeof var, "%s%sCheck", n, c);
		snprintf(it, sizeof it, "umig_it_%s%s", n, c);
		emit_take(f, &req.v[i], var, "umig_in", it, "goto bad_args;");
	}
	fputs("\tif (!umig_at_end(&umig_in))\n\t\tgoto bad_args;\n", f);
	for (size_t i = 0; i < req.n; i++)
		unpack_in(f, &req.v[i]);
	if (port_translated(r))
		fprintf(f, "\t%s = %s(InHeadP->msg_local_port);\n", r->args->name,
			r->args->type->intran.func);
	fprintf(f, "\tumig_rc = %s(", r->server_name);
	call_args(f, r);
	fputs(");\n", f);
	after_call(f, r, &rep);
	fputs("\nbad_args:\n\tumig_destroy(InHeadP);\n"
	      "\tOutP->RetCode = MIG_BAD_ARGUMENTS;\n}\n", f);
	return true;
}

static void table_and_demux(FILE *f, const struct umig_spec *spec)
{
	const char *s = spec->subsystem;
	char buf[256];
	const char *demux = emit_demux_name(spec, buf, sizeof buf);

	fprintf(f, "\nmig_routine_t %s_server_routines[%u] = {\n", s,
		spec->nroutines);
	for (const struct umig_routine *r = spec->routines; r; r = r->next)
		fprintf(f, "\t%s%s,\n", r->kind == UMIG_R_SKIP ? "0" : "_X",
			r->kind == UMIG_R_SKIP ? "" : r->name);
	fprintf(f, "};\n\n/*\n * Serves one request of subsystem %s: fills the "
		"reply in OutHeadP\n * (%s_REPLY_SIZE_MAX bytes, 8-byte aligned) "
		"and returns TRUE, or\n * answers MIG_BAD_ID and returns FALSE.  "
		"Send the reply unless its\n * RetCode is MIG_NO_REPLY or it has no "
		"remote port.\n */\n", s, s);
	fprintf(f, "boolean_t %s(msg_header_t *InHeadP, msg_header_t *OutHeadP)\n"
		"{\n\tstatic const msg_type_t RetCodeType = {\n"
		"\t\t.msg_type_name = MSG_TYPE_INTEGER_32, .msg_type_size = 32,\n"
		"\t\t.msg_type_number = 1, .msg_type_inline = TRUE };\n"
		"\tdeath_pill_t *OutP = (death_pill_t *)(void *)OutHeadP;\n"
		"\tunsigned int id = (unsigned int)InHeadP->msg_id - %uu;\n\n"
		"\tmemset(OutP, 0, sizeof *OutP);\n"
		"\tOutHeadP->msg_simple = TRUE;\n"
		"\tOutHeadP->msg_size = sizeof(death_pill_t);\n"
		"\tOutHeadP->msg_type = InHeadP->msg_type & ~MSG_TYPE_RPC;\n"
		"\tOutHeadP->msg_local_port = PORT_NULL;\n"
		"\tOutHeadP->msg_remote_port = InHeadP->msg_remote_port;\n"
		"\tOutHeadP->msg_id = (int)((unsigned int)InHeadP->msg_id + 100u);\n"
		"\tOutP->RetCodeType = RetCodeType;\n"
		"\tif (id >= %uu || %s_server_routines[id] == 0) {\n"
		"\t\tumig_destroy(InHeadP);\n\t\tOutP->RetCode = MIG_BAD_ID;\n"
		"\t\treturn FALSE;\n\t}\n"
		"\t%s_server_routines[id](InHeadP, OutHeadP);\n\treturn TRUE;\n}\n",
		demux, spec->base, spec->nroutines, s, s);
}

/*
 * Writes the server file of spec to f.  Returns false if the interface
 * uses something the emitters cannot generate (reported through d) or a
 * write failed.
 */
bool emit_server(struct umig_diag *d, const struct umig_spec *spec, FILE *f)
{
	if (!emit_supported(d, spec))
		return false;
	emit_banner(f, spec, "server");
	fputs("#include <stddef.h>\n#include <string.h>\n#include <mach.h>\n", f);
	emit_imports(f, spec, UMIG_IMPORT_SERVER);
	fputs("\n", f);
	emit_runtime(f);
	for (const struct umig_routine *r = spec->routines; r; r = r->next) {
		if (r->kind != UMIG_R_SKIP && !emit_x(d, spec, r, f))
			return false;
	}
	table_and_demux(f, spec);
	return fflush(f) == 0 && !ferror(f);
}
