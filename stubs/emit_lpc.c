/*
 * emit_lpc.c: `umig -lpc` and `-lpcheader`, LPC stubs (docs/umig.md, "LPC
 * stubs"; docs/lpc.md).  The LPC user file is the ordinary user file with
 * msg_rpc and msg_send turned into libumach's LPC transport and every stub
 * renamed <subsystem>_lpc_<routine>, so the marshalling is emit_user.c's,
 * unchanged; to it are added <subsystem>_lpc_connect (once per server),
 * <subsystem>_lpc_close and <subsystem>_lpc_serve (a server loop that
 * accepts connections and feeds requests to the interface's demux, linked
 * weakly so that clients need not link the server file).
 */
#include "emit.h"

#include <string.h>

/* The subsystem's name, or NULL after reporting that LPC needs one. */
static const char *lpc_subsystem(struct umig_diag *d,
				 const struct umig_spec *spec)
{
	if (spec->subsystem != NULL)
		return spec->subsystem;
	umig_error(d, spec->end_pos, "-lpc needs a subsystem declaration");
	return NULL;
}

/* #define each user stub's name as its LPC name (undo: undefine). */
static void renames(FILE *f, const struct umig_spec *spec, bool undo)
{
	for (const struct umig_routine *r = spec->routines; r; r = r->next) {
		if (r->kind == UMIG_R_SKIP)
			continue;
		if (undo)
			fprintf(f, "#undef %s\n", r->user_name);
		else
			fprintf(f, "#define %s %s_lpc_%s\n", r->user_name,
				spec->subsystem, r->name);
	}
}

static void lpc_prototypes(FILE *f, const struct umig_spec *spec,
			   const char *demux)
{
	const char *s = spec->subsystem;

	fprintf(f, "/* Connect to the %s server checked in as name; *out_handle "
		"then stands\n * where the stubs take the server's port.  "
		"Returns as umach_lpc_connect. */\n"
		"kern_return_t %s_lpc_connect(const char *name, "
		"port_t *out_handle);\n"
		"void %s_lpc_close(port_t handle);\n"
		"/* Serve name with %s until nconns connections have ended (0: "
		"never). */\n"
		"kern_return_t %s_lpc_serve(const char *name, "
		"unsigned int nconns);\n\n", s, s, s, demux, s);
	renames(f, spec, false);
	for (const struct umig_routine *r = spec->routines; r; r = r->next) {
		if (r->kind == UMIG_R_SKIP)
			continue;
		emit_prototype(f, spec, r, SIDE_USER);
		fputs(";\n", f);
	}
	renames(f, spec, true);
}

/* Writes the LPC header of spec to f: the LPC calls' prototypes. */
bool emit_lpc_header(struct umig_diag *d, const struct umig_spec *spec,
		     FILE *f)
{
	char buf[256];
	const char *s = lpc_subsystem(d, spec);

	if (s == NULL || !emit_supported(d, spec))
		return false;
	emit_banner(f, spec, "LPC stubs' header");
	fprintf(f, "#ifndef _%s_lpc_h\n#define _%s_lpc_h\n\n"
		"#include <mach.h>\n#include <umach/lpc.h>\n", s, s);
	emit_imports(f, spec, UMIG_IMPORT_USER);
	fputs("\n", f);
	lpc_prototypes(f, spec, emit_demux_name(spec, buf, sizeof buf));
	fputs("\n#endif\n", f);
	return fflush(f) == 0 && !ferror(f);
}

/* Writes the LPC user file of spec to f. */
bool emit_lpc(struct umig_diag *d, const struct umig_spec *spec, FILE *f)
{
	char buf[256];
	const char *s = lpc_subsystem(d, spec);

	if (s == NULL)
		return false;
	const char *demux = emit_demux_name(spec, buf, sizeof buf);
	fputs("/* LPC stubs: the user stubs below, over <umach/lpc.h>. */\n"
	      "#include <mach.h>\n#include <umach/lpc.h>\n"
	      "#define msg_rpc umach_lpc_msg_rpc\n"
	      "#define msg_send umach_lpc_msg_send\n", f);
	renames(f, spec, false);
	fputs("\n", f);
	if (!emit_user(d, spec, f))
		return false;
	fprintf(f, "\nkern_return_t %s_lpc_connect(const char *name, "
		"port_t *out_handle)\n{\n"
		"\treturn umach_lpc_handle_connect(name, out_handle);\n}\n\n"
		"void %s_lpc_close(port_t handle)\n{\n"
		"\tumach_lpc_handle_close(handle);\n}\n\n"
		"extern boolean_t %s(msg_header_t *, msg_header_t *) "
		"__attribute__((weak));\n\n"
		"kern_return_t %s_lpc_serve(const char *name, "
		"unsigned int nconns)\n{\n"
		"\treturn umach_lpc_serve(name, %s, nconns);\n}\n",
		s, s, demux, s, demux);
	return fflush(f) == 0 && !ferror(f);
}
