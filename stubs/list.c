/*
 * list.c: the -list writer, umig's smallest emitter.  It reads only a
 * checked struct umig_spec and prints the message id table, one line per
 * routine: "subsystem name index request-id reply-id".  Skips take an
 * index but print nothing.  One-way routines (simpleroutine) print the
 * reply id they would have (request id + 100), where GNU MIG prints 0, so
 * that tools can reserve it (docs/umig.md).
 */
#include "umig.h"

/*
 * Writes the id table of spec to out.  Returns false if a write failed
 * (errno is set by stdio); out stays open and owned by the caller.
 */
bool emit_list(const struct umig_spec *spec, FILE *out)
{
	for (const struct umig_routine *r = spec->routines; r != NULL; r = r->next) {
		if (r->kind == UMIG_R_SKIP)
			continue;
		if (fprintf(out, "%s %s %u %u %u\n", spec->subsystem, r->name,
			    r->index, r->request_id, r->reply_id) < 0)
			return false;
	}
	return fflush(out) == 0 && !ferror(out);
}
