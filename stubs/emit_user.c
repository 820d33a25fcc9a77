/*
 * emit_user.c: the -user file, one client stub per routine.  A stub
 * marshals its in-arguments behind static type descriptors (LP64 rule B,
 * docs/protocol.md §6), sends the request with msg_rpc (msg_send for a
 * simpleroutine) on the thread's reply port unless the interface names
 * one, and checks the reply in MIG's order: reply id (MIG_REPLY_MISMATCH),
 * RetCode descriptor (MIG_TYPE_ERROR), RetCode, each out descriptor and the
 * size (MIG_TYPE_ERROR), then copies the outs (MIG_ARRAY_TOO_LARGE when a
 * CountInOut buffer is short).  A reply it rejects is destroyed, so the
 * rights and memory in it are not leaked.
 */
#include "emit.h"

#include <string.h>

static void descriptors(FILE *f, const struct wmsg *req, const struct wmsg *rep)
{
	char var[128];

	for (size_t i = 0; i < req->n; i++) {
		const struct witem *w = &req->v[i];
		snprintf(var, sizeof var, "%s%sType", w->arg->name,
			 w->count_only ? "Cnt" : "");
		emit_descriptor(f, w, var, true);
	}
	for (size_t i = 0; rep != NULL && i < rep->n; i++) {
		const struct witem *w = &rep->v[i];
		snprintf(var, sizeof var, "%sCheck",
			 w->arg != NULL ? w->arg->name : "RetCode");
		emit_descriptor(f, w, var, false);
	}
}

/* One in-argument into the request. */
static void put_arg(FILE *f, const struct witem *w)
{
	const struct umig_arg *a = w->arg;
	bool byref = emit_is_out(a);    // inout: the caller passed a pointer
	char var[128], data[160], cnt[160], poly[160], dealloc[160], bytes[32];
	struct emit_put_args p = { "umig_c", data, bytes, NULL, NULL, NULL };

	emit_bytes(w, bytes, sizeof bytes);
	if (w->count_only) {
		fprintf(f, "\t{\n\t\tunsigned int umig_n = *%sCnt;\n\n"
			"\t\tumig_put(&umig_c, &%sCntType, sizeof %sCntType, "
			"&umig_n,\n\t\t\t sizeof umig_n);\n\t}\n", a->name, a->name, a->name);
		return;
	}
	snprintf(var, sizeof var, "%sType", a->name);
	if (w->shape == SHAPE_ARRAY || (byref && w->shape != SHAPE_ARRAY))
		snprintf(data, sizeof data, "%s", a->name);
	else
		snprintf(data, sizeof data, "&%s", a->name);
	if (emit_has_cnt(a)) {
		snprintf(cnt, sizeof cnt, "%s%sCnt", byref ? "*" : "", a->name);
		p.cnt = cnt;
		if (w->shape == SHAPE_ARRAY)
			fprintf(f, "\tif (%s > %llu)\n\t\treturn MIG_ARRAY_TOO_LARGE;\n",
				cnt, (unsigned long long)(w->number / emit_mult(a->type)));
	}
	if (emit_is_poly(a)) {
		snprintf(poly, sizeof poly, "%s%sPoly", byref ? "*" : "", a->name);
		p.poly = poly;
	}
	if (a->dealloc_given && a->dealloc == UMIG_DEALLOC_VAR && !byref) {
		snprintf(dealloc, sizeof dealloc, "%sDealloc", a->name);
		p.dealloc = dealloc;
	}
	emit_put(f, w, var, &p);
}

/* The header, then the send (one-way) or the RPC and its failure paths. */
static void send_part(FILE *f, const struct umig_routine *r,
		      const struct wmsg *req)
{
	const struct umig_arg *rp = emit_find(r, UMIG_ARG_REPLYPORT);
	const struct umig_arg *wt = emit_find(r, UMIG_ARG_WAITTIME);
	const struct umig_arg *mo = emit_find(r, UMIG_ARG_MSGOPTION);
	const char *wait = wt != NULL ? wt->name : r->waittime;
	bool oneway = emit_is_oneway(r);
	char opts[256];

	if (rp == NULL)
		rp = emit_find(r, UMIG_ARG_UREPLYPORT);
	snprintf(opts, sizeof opts, "%s%s%s%s", wait != NULL ? (oneway ?
		 "SEND_TIMEOUT" : "SEND_TIMEOUT | RCV_TIMEOUT") : "MSG_OPTION_NONE",
		 mo != NULL ? " | (" : "", mo != NULL ? mo->name : "",
		 mo != NULL ? ")" : "");
	fprintf(f, "\tMess.Head.msg_unused = 0;\n\tMess.Head.msg_simple = %s;\n"
		"\tMess.Head.msg_size = umig_size(&umig_c);\n",
		req->complex ? "FALSE" : "TRUE");
	fprintf(f, "\tMess.Head.msg_type = %s%s;\n", r->msgtype != NULL ?
		r->msgtype : "MSG_TYPE_NORMAL", oneway ? "" : " | MSG_TYPE_RPC");
	fprintf(f, "\tMess.Head.msg_remote_port = %s;\n", r->args->name);
	fprintf(f, "\tMess.Head.msg_local_port = %s;\n", rp != NULL ? rp->name :
		oneway ? "PORT_NULL" : "mig_get_reply_port()");
	fprintf(f, "\tMess.Head.msg_id = %u;\n", r->request_id);
	if (oneway) {
		fprintf(f, "\treturn msg_send(&Mess.Head, %s, %s);\n", opts,
			wait != NULL ? wait : "0");
		return;
	}
	fprintf(f, "\tumig_mr = msg_rpc(&Mess.Head, %s, sizeof Mess, %s, %s);\n"
		"\tif (umig_mr != RPC_SUCCESS) {\n", opts, wait ? wait : "0",
		wait ? wait : "0");
	if (rp == NULL)
		fputs("\t\tif (umig_mr == RCV_INVALID_PORT)\n"
		      "\t\t\tmig_dealloc_reply_port();\n", f);
	fprintf(f, "\t\treturn umig_mr;\n\t}\n"
		"\tif (Mess.Head.msg_id != %u) {\n\t\tumig_destroy(&Mess.Head);\n"
		"\t\treturn MIG_REPLY_MISMATCH;\n\t}\n", r->reply_id);
}

/* One out-argument from the checked reply into the caller's variables. */
static void copy_out(FILE *f, const struct witem *w)
{
	const struct umig_arg *a = w->arg;
	const char *n = a->name;
	uint32_t mult = emit_mult(a->type);
	char bytes[32];

	emit_bytes(w, bytes, sizeof bytes);
	if (emit_is_poly(a))
		fprintf(f, "\t*%sPoly = umig_it_%s.name;\n", n, n);
	if (w->ool) {
		fprintf(f, "\tmemcpy(%s, umig_it_%s.data, sizeof(void *));\n", n, n);
	} else if (w->cstring && w->variable) {
		fprintf(f, "\tmemcpy(%s, umig_it_%s.data, umig_it_%s.number);\n",
			n, n, n);
	} else if (a->countinout) {
		fprintf(f, "\tif (umig_it_%s.number / %u > *%sCnt) {\n"
			"\t\tmemcpy(%s, umig_it_%s.data, ((size_t)*%sCnt * %llu + 7) / 8);\n"
			"\t\tumig_too_large = 1;\n\t} else {\n"
			"\t\tmemcpy(%s, umig_it_%s.data, ((size_t)umig_it_%s.number * %u"
			" + 7) / 8);\n\t}\n", n, mult, n, n, n, n,
			(unsigned long long)mult * w->bits, n, n, n, w->bits);
	} else if (w->variable) {
		fprintf(f, "\tmemcpy(%s, umig_it_%s.data, ((size_t)umig_it_%s.number"
			" * %u + 7) / 8);\n", n, n, n, w->bits);
	} else {
		fprintf(f, "\tmemcpy(%s, umig_it_%s.data, %s);\n", n, n, bytes);
	}
	if (emit_has_cnt(a))
		fprintf(f, "\t*%sCnt = umig_it_%s.number / %u;\n", n, n, mult);
}

static void reply_part(FILE *f, const struct wmsg *rep)
{
	bool too_large = false, strict = false;

	/* Rights in a simple message were never translated by the kernel. */
	for (size_t i = 1; i < rep->n; i++)
		strict = strict || rep->v[i].ool ||
			 (rep->v[i].port && rep->v[i].name_out != EMIT_POLY);

	fputs("\tumig_c.size = Mess.Head.msg_size;\n"
	      "\tumig_c.pos = sizeof(msg_header_t);\n"
	      "\tif (umig_c.size > sizeof Mess ||\n"
	      "\t    !umig_take(&umig_c, &RetCodeCheck, &umig_it))\n"
	      "\t\tgoto type_error;\n"
	      "\tmemcpy(&umig_rc, umig_it.data, sizeof umig_rc);\n"
	      "\tif (umig_rc != KERN_SUCCESS) {\n"
	      "\t\tumig_destroy(&Mess.Head);\n\t\treturn umig_rc;\n\t}\n", f);
	if (strict)
		fputs("\tif (Mess.Head.msg_simple)\n\t\tgoto type_error;\n", f);
	for (size_t i = 1; i < rep->n; i++) {
		char var[128], it[128];
		snprintf(var, sizeof var, "%sCheck", rep->v[i].arg->name);
		snprintf(it, sizeof it, "umig_it_%s", rep->v[i].arg->name);
		emit_take(f, &rep->v[i], var, "umig_c", it, "goto type_error;");
		too_large = too_large || rep->v[i].arg->countinout;
	}
	fputs("\tif (!umig_at_end(&umig_c))\n\t\tgoto type_error;\n", f);
	for (size_t i = 1; i < rep->n; i++)
		copy_out(f, &rep->v[i]);
	fprintf(f, "\treturn %s;\n\ntype_error:\n\tumig_destroy(&Mess.Head);\n"
		"\treturn MIG_TYPE_ERROR;\n", too_large ?
		"umig_too_large ? MIG_ARRAY_TOO_LARGE : KERN_SUCCESS" :
		"KERN_SUCCESS");
}

static bool emit_stub(struct umig_diag *d, const struct umig_spec *spec,
		      const struct umig_routine *r, FILE *f)
{
	struct wmsg req, rep;
	bool oneway = emit_is_oneway(r);
	uint64_t size;

	if (!emit_items(d, r, false, &req) || !emit_items(d, r, true, &rep))
		return false;
	size = req.max_size > rep.max_size ? req.max_size : rep.max_size;
	fprintf(f, "\n/* %s %s: request %u, reply %u */\n", oneway ?
		"SimpleRoutine" : "Routine", r->name, r->request_id, r->reply_id);
	emit_prototype(f, spec, r, SIDE_USER);
	fputs("\n{\n", f);
	descriptors(f, &req, oneway ? NULL : &rep);
	emit_size_asserts(f, &req, SIDE_USER);
	if (!oneway)
		emit_size_asserts(f, &rep, SIDE_USER);
	fprintf(f, "\tunion {\n\t\tmsg_header_t Head;\n\t\tdeath_pill_t Pill;\n"
		"\t\tunsigned char Buf[%llu];\n\t} Mess;\n"
		"\tstruct umig_cursor umig_c = { Mess.Buf, sizeof Mess, "
		"sizeof(msg_header_t) };\n", (unsigned long long)size);
	if (!oneway) {
		fputs("\tstruct umig_item umig_it;\n\tmsg_return_t umig_mr;\n"
		      "\tkern_return_t umig_rc;\n", f);
		for (size_t i = 1; i < rep.n; i++)
			fprintf(f, "\tstruct umig_item umig_it_%s;\n",
				rep.v[i].arg->name);
		for (size_t i = 1; i < rep.n; i++)
			if (rep.v[i].arg->countinout) {
				fputs("\tint umig_too_large = 0;\n", f);
				break;
			}
	}
	fputs("\n", f);
	for (size_t i = 0; i < req.n; i++)
		put_arg(f, &req.v[i]);
	send_part(f, r, &req);
	if (!oneway)
		reply_part(f, &rep);
	fputs("}\n", f);
	return true;
}

/*
 * Writes the user file of spec to f: the run-time helpers, then one stub
 * per routine.  Returns false if the interface uses something the emitters
 * cannot generate (reported through d) or a write failed.
 */
bool emit_user(struct umig_diag *d, const struct umig_spec *spec, FILE *f)
{
	if (!emit_supported(d, spec))
		return false;
	emit_banner(f, spec, "user stubs");
	fputs("#include <stddef.h>\n#include <string.h>\n#include <mach.h>\n", f);
	emit_imports(f, spec, UMIG_IMPORT_USER);
	fputs("\n", f);
	emit_runtime(f);
	for (const struct umig_routine *r = spec->routines; r; r = r->next) {
		if (r->kind != UMIG_R_SKIP && !emit_stub(d, spec, r, f))
			return false;
	}
	return fflush(f) == 0 && !ferror(f);
}
