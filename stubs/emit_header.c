/*
 * emit_header.c: the two headers umig writes.  -header gives the client's
 * view: one prototype per routine with MIG's names (userprefix, the Cnt,
 * Poly and Dealloc parameters), behind an include guard, after the
 * interface's import and uimport lines.  -sheader gives the server's view:
 * the server routines' prototypes (serverprefix, Cnt, Poly, SCopy), the
 * routine table, the demux and the inline <subsystem>_server_routine
 * lookup for servers that multiplex several subsystems.
 */
#include "emit.h"

static bool max_sizes(struct umig_diag *d, const struct umig_spec *spec,
		      uint64_t *req, uint64_t *rep)
{
	struct wmsg m;

	*req = *rep = 40;               // sizeof(death_pill_t) under LP64
	for (const struct umig_routine *r = spec->routines; r; r = r->next) {
		if (r->kind == UMIG_R_SKIP)
			continue;
		if (!emit_items(d, r, false, &m))
			return false;
		*req = m.max_size > *req ? m.max_size : *req;
		if (!emit_items(d, r, true, &m))
			return false;
		*rep = m.max_size > *rep ? m.max_size : *rep;
	}
	return true;
}

/*
 * Writes the user header of spec to f.  Returns false if the interface
 * uses something the emitters cannot generate (reported through d) or a
 * write failed; f stays the caller's.
 */
bool emit_header(struct umig_diag *d, const struct umig_spec *spec, FILE *f)
{
	if (!emit_supported(d, spec))
		return false;
	emit_banner(f, spec, "user header");
	fprintf(f, "#ifndef _%s_user_\n#define _%s_user_\n\n", spec->subsystem,
		spec->subsystem);
	fputs("#include <mach.h>\n", f);
	emit_imports(f, spec, UMIG_IMPORT_USER);
	for (const struct umig_routine *r = spec->routines; r; r = r->next) {
		if (r->kind == UMIG_R_SKIP)
			continue;
		fprintf(f, "\n/* %s %s: id %u */\n",
			emit_is_oneway(r) ? "SimpleRoutine" : "Routine", r->name,
			r->request_id);
		emit_prototype(f, spec, r, SIDE_USER);
		fputs(";\n", f);
	}
	fprintf(f, "\n#endif /* _%s_user_ */\n", spec->subsystem);
	return fflush(f) == 0 && !ferror(f);
}

/*
 * Writes the server header of spec to f: prototypes the server must
 * implement, the size macros its buffers need, the routine table and the
 * demux.  Returns false as emit_header does.
 */
bool emit_sheader(struct umig_diag *d, const struct umig_spec *spec, FILE *f)
{
	const char *s = spec->subsystem;
	char buf[256];
	const char *demux = emit_demux_name(spec, buf, sizeof buf);
	uint64_t req, rep;

	if (!emit_supported(d, spec) || !max_sizes(d, spec, &req, &rep))
		return false;
	emit_banner(f, spec, "server header");
	fprintf(f, "#ifndef _%s_server_\n#define _%s_server_\n\n", s, s);
	fputs("#include <mach.h>\n", f);
	emit_imports(f, spec, UMIG_IMPORT_SERVER);
	fprintf(f, "\n/* Buffers for %s() must be 8-byte aligned and hold this "
		"much. */\n#define %s_REQUEST_SIZE_MAX %llu\n"
		"#define %s_REPLY_SIZE_MAX %llu\n", demux, s,
		(unsigned long long)req, s, (unsigned long long)rep);
	for (const struct umig_routine *r = spec->routines; r; r = r->next) {
		if (r->kind == UMIG_R_SKIP)
			continue;
		fprintf(f, "\n/* %s %s: id %u */\n",
			emit_is_oneway(r) ? "SimpleRoutine" : "Routine", r->name,
			r->request_id);
		emit_prototype(f, spec, r, SIDE_SERVER);
		fputs(";\n", f);
	}
	fprintf(f, "\nextern mig_routine_t %s_server_routines[%u];\n"
		"boolean_t %s(msg_header_t *InHeadP, msg_header_t *OutHeadP);\n\n",
		s, spec->nroutines, demux);
	fprintf(f, "/* The handler of a request of this subsystem, or 0. */\n"
		"static inline mig_routine_t %s_server_routine(const msg_header_t "
		"*InHeadP)\n{\n\tint id = InHeadP->msg_id - %u;\n\n"
		"\tif (id < 0 || id >= %u)\n\t\treturn 0;\n"
		"\treturn %s_server_routines[id];\n}\n", s, spec->base,
		spec->nroutines, s);
	fprintf(f, "\n#endif /* _%s_server_ */\n", s);
	return fflush(f) == 0 && !ferror(f);
}
