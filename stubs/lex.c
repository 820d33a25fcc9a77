/*
 * lex.c: umig's first stage.  Turns preprocessed .defs text into an array of
 * tokens, each tagged with its original file:line:col taken from the
 * "# 12 "file.defs"" markers that cpp leaves behind.  Keywords are matched
 * without regard to case, as MIG does; numbers are decimal.  Comments are
 * skipped too, so input that never went through cpp still lexes.
 * Also home of the run's arena and of the error printer used by all stages.
 */
#include "umig.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- Arena ---- */

struct umig_chunk {
	struct umig_chunk *next;
	max_align_t data[];
};

/*
 * Returns zeroed memory of size_bytes that lives until umig_arena_fini(a).
 * Never returns NULL: running out of memory aborts the process, since
 * umig is a short-lived command-line program.
 */
void *umig_alloc(struct umig_arena *a, size_t size_bytes)
{
	struct umig_chunk *c = calloc(1, sizeof(*c) + size_bytes);

	if (c == NULL) {
		fputs("umig: out of memory\n", stderr);
		abort();
	}
	c->next = a->head;
	a->head = c;
	return c->data;
}

/* Returns an arena copy of the first len bytes of s, NUL-terminated. */
char *umig_strndup(struct umig_arena *a, const char *s, size_t len)
{
	char *p = umig_alloc(a, len + 1);

	memcpy(p, s, len);
	return p;
}

/* Frees everything allocated from a; a is empty and reusable afterwards. */
void umig_arena_fini(struct umig_arena *a)
{
	while (a->head != NULL) {
		struct umig_chunk *c = a->head;
		a->head = c->next;
		free(c);
	}
}

/*
 * Prints "file:line:col: error: msg" to d->out and counts the error.
 * Never fails; the caller decides when to stop.
 */
void umig_error(struct umig_diag *d, struct umig_pos pos, const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	if (d->out == NULL)
		return;
	fprintf(d->out, "%s:%d:%d: error: ", pos.file ? pos.file : "<input>",
		pos.line, pos.col);
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
}

/* ---- Keywords ---- */

static const char *const kw_names[KW_COUNT_] = {
	[KW_ROUTINE] = "routine", [KW_SIMPLEROUTINE] = "simpleroutine",
	[KW_PROCEDURE] = "procedure", [KW_SIMPLEPROCEDURE] = "simpleprocedure",
	[KW_FUNCTION] = "function", [KW_CAMELOTROUTINE] = "camelotroutine",
	[KW_SUBSYSTEM] = "subsystem", [KW_KERNELSERVER] = "kernelserver",
	[KW_KERNELUSER] = "kerneluser", [KW_SKIP] = "skip",
	[KW_TYPE] = "type", [KW_STRUCT] = "struct", [KW_ARRAY] = "array",
	[KW_OF] = "of", [KW_C_STRING] = "c_string", [KW_IN] = "in",
	[KW_OUT] = "out", [KW_INOUT] = "inout",
	[KW_REQUESTPORT] = "requestport", [KW_REPLYPORT] = "replyport",
	[KW_SREPLYPORT] = "sreplyport", [KW_UREPLYPORT] = "ureplyport",
	[KW_MSGOPTION] = "msgoption", [KW_MSGSEQNO] = "msgseqno",
	[KW_WAITTIME] = "waittime", [KW_NOWAITTIME] = "nowaittime",
	[KW_MSGTYPE] = "msgtype", [KW_ERROR] = "error",
	[KW_SERVERPREFIX] = "serverprefix", [KW_USERPREFIX] = "userprefix",
	[KW_SERVERDEMUX] = "serverdemux", [KW_RCSID] = "rcsid",
	[KW_IMPORT] = "import", [KW_UIMPORT] = "uimport",
	[KW_SIMPORT] = "simport", [KW_CTYPE] = "ctype",
	[KW_CUSERTYPE] = "cusertype", [KW_CSERVERTYPE] = "cservertype",
	[KW_INTRAN] = "intran", [KW_INTRANPAYLOAD] = "intranpayload",
	[KW_OUTTRAN] = "outtran", [KW_DESTRUCTOR] = "destructor",
	[KW_POLYMORPHIC] = "polymorphic", [KW_ISLONG] = "islong",
	[KW_ISNOTLONG] = "isnotlong", [KW_DEALLOC] = "dealloc",
	[KW_NOTDEALLOC] = "notdealloc", [KW_SERVERCOPY] = "servercopy",
	[KW_COUNTINOUT] = "countinout", [KW_RETCODE] = "retcode",
};

/* Returns the lower-case spelling of kw, or "?" for KW_NONE. */
const char *lex_kw_name(enum kw kw)
{
	if (kw <= KW_NONE || kw >= KW_COUNT_)
		return "?";
	return kw_names[kw];
}

static enum kw kw_lookup(const char *s, size_t len)
{
	for (int k = KW_NONE + 1; k < KW_COUNT_; k++) {
		if (strlen(kw_names[k]) == len && strncasecmp(kw_names[k], s, len) == 0)
			return (enum kw)k;
	}
	return KW_NONE;
}

/* ---- Scanner ---- */

struct lexer {
	struct umig_arena *a;
	struct umig_diag *d;
	const char *buf;
	size_t len, i;
	const char *file;               // current original file name
	int line;                       // line in that file
	size_t line_start;              // offset of the current line
	struct token *v;                // growing token array (malloc)
	size_t n, cap;
	enum kw last_kw;                // for <file> after import keywords
};

static struct umig_pos lex_pos(const struct lexer *lx, size_t at)
{
	struct umig_pos p = { lx->file, lx->line, (int)(at - lx->line_start) + 1 };

	return p;
}

static int peekc(const struct lexer *lx, size_t ahead)
{
	size_t j = lx->i + ahead;

	return j < lx->len ? (unsigned char)lx->buf[j] : -1;
}

static void newline(struct lexer *lx)
{
	lx->i++;
	if (lx->line < INT_MAX)         // a marker may claim a huge line number
		lx->line++;
	lx->line_start = lx->i;
}

static void push(struct lexer *lx, const struct token *t)
{
	if (lx->n == lx->cap) {
		size_t cap = lx->cap ? lx->cap * 2 : 256;
		struct token *v = realloc(lx->v, cap * sizeof(*v));
		if (v == NULL) {
			fputs("umig: out of memory\n", stderr);
			abort();
		}
		lx->v = v;
		lx->cap = cap;
	}
	lx->v[lx->n++] = *t;
}

static bool at_line_start(const struct lexer *lx)
{
	for (size_t j = lx->line_start; j < lx->i; j++) {
		if (lx->buf[j] != ' ' && lx->buf[j] != '\t')
			return false;
	}
	return true;
}

/* Reads a decimal number at *j (bounded by end); false on overflow. */
static bool read_decimal(const char *s, size_t end, size_t *j, uint64_t *out)
{
	uint64_t v = 0;
	bool ok = true;

	while (*j < end && isdigit((unsigned char)s[*j])) {
		unsigned dgt = (unsigned)(s[*j] - '0');
		if (v > (UINT64_MAX - dgt) / 10)
			ok = false;
		else
			v = v * 10 + dgt;
		(*j)++;
	}
	*out = v;
	return ok;
}

/*
 * Handles one "#..." line: "# N "file" flags", "#line N "file"" move the
 * position; #pragma and #ident are ignored; anything else is an error,
 * because only cpp's own output is expected here.
 */
static void lex_directive(struct lexer *lx)
{
	size_t start = lx->i, end = lx->i, j = lx->i + 1;
	struct umig_pos pos = lex_pos(lx, start);
	uint64_t num = 0;

	while (end < lx->len && lx->buf[end] != '\n')
		end++;
	while (j < end && (lx->buf[j] == ' ' || lx->buf[j] == '\t'))
		j++;
	if (end - j >= 4 && strncmp(lx->buf + j, "line", 4) == 0) {
		j += 4;
		while (j < end && (lx->buf[j] == ' ' || lx->buf[j] == '\t'))
			j++;
	}
	if (j < end && isdigit((unsigned char)lx->buf[j])) {
		if (!read_decimal(lx->buf, end, &j, &num) || num > 0x7fffffff)
			umig_error(lx->d, pos, "line number in line marker is too large");
		while (j < end && (lx->buf[j] == ' ' || lx->buf[j] == '\t'))
			j++;
		if (j < end && lx->buf[j] == '"') {
			size_t q = ++j;
			while (q < end && lx->buf[q] != '"')
				q++;
			lx->file = umig_strndup(lx->a, lx->buf + j, q - j);
		}
		lx->i = end;
		/* The marker names the line that follows it. */
		lx->line = (int)(num & 0x7fffffff) - 1;
		return;
	}
	if (!(end - j >= 6 && strncmp(lx->buf + j, "pragma", 6) == 0) &&
	    !(end - j >= 5 && strncmp(lx->buf + j, "ident", 5) == 0))
		umig_error(lx->d, pos, "unexpected preprocessor directive "
			   "(umig runs cpp itself; was the input preprocessed?)");
	lx->i = end;
}

/* Skips blanks, newlines, comments and line markers. */
static void skip_space(struct lexer *lx)
{
	while (lx->i < lx->len) {
		int c = peekc(lx, 0);
		if (c == '\n') {
			newline(lx);
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
			   c == '\v') {
			lx->i++;
		} else if (c == '#' && at_line_start(lx)) {
			lex_directive(lx);
		} else if (c == '/' && peekc(lx, 1) == '/') {
			while (lx->i < lx->len && lx->buf[lx->i] != '\n')
				lx->i++;
		} else if (c == '/' && peekc(lx, 1) == '*') {
			struct umig_pos pos = lex_pos(lx, lx->i);
			lx->i += 2;
			while (lx->i < lx->len &&
			       !(peekc(lx, 0) == '*' && peekc(lx, 1) == '/')) {
				if (lx->buf[lx->i] == '\n')
					newline(lx);
				else
					lx->i++;
			}
			if (lx->i >= lx->len) {
				umig_error(lx->d, pos, "unterminated comment");
				return;
			}
			lx->i += 2;
		} else {
			return;
		}
	}
}

/* Scans a "..." string or, after an import keyword, a <...> file name. */
static void lex_quoted(struct lexer *lx, struct token *t, char close)
{
	size_t start = lx->i++;

	while (lx->i < lx->len && lx->buf[lx->i] != close &&
	       lx->buf[lx->i] != '\n') {
		if (close == '"' && lx->buf[lx->i] == '\\' && lx->i + 1 < lx->len &&
		    lx->buf[lx->i + 1] != '\n')
			lx->i++;
		lx->i++;
	}
	if (lx->i >= lx->len || lx->buf[lx->i] != close) {
		umig_error(lx->d, t->pos, close == '"' ? "unterminated string"
			   : "unterminated file name (missing '>')");
		t->text = umig_strndup(lx->a, lx->buf + start, lx->i - start);
		return;
	}
	lx->i++;
	t->text = umig_strndup(lx->a, lx->buf + start, lx->i - start);
}

static void lex_word(struct lexer *lx, struct token *t)
{
	size_t start = lx->i;

	while (lx->i < lx->len && (isalnum((unsigned char)lx->buf[lx->i]) ||
				   lx->buf[lx->i] == '_'))
		lx->i++;
	t->text = umig_strndup(lx->a, lx->buf + start, lx->i - start);
	t->kw = kw_lookup(t->text, lx->i - start);
	t->kind = t->kw == KW_NONE ? TOK_IDENT : TOK_KEYWORD;
}

static void lex_number(struct lexer *lx, struct token *t)
{
	size_t start = lx->i;

	t->kind = TOK_NUMBER;
	if (!read_decimal(lx->buf, lx->len, &lx->i, &t->value))
		umig_error(lx->d, t->pos, "number is too large");
	t->text = umig_strndup(lx->a, lx->buf + start, lx->i - start);
	if (lx->i < lx->len && (isalpha((unsigned char)lx->buf[lx->i]) ||
				lx->buf[lx->i] == '_'))
		umig_error(lx->d, lex_pos(lx, lx->i),
			   "invalid suffix on number (numbers are decimal)");
}

static bool lex_is_token_start(const struct lexer *lx, int c)
{
	if (isalnum(c) || c == '_' || c == '"')
		return true;
	if (c == '<' && lx->last_kw != KW_NONE)
		return true;
	return c > 0 && strchr(":;,+-*/()=^~<>[]|{}", c) != NULL;
}

/* Scans one token at lx->i (after skip_space); returns false at the end. */
static bool lex_one(struct lexer *lx, struct token *t)
{
	int c;

	memset(t, 0, sizeof(*t));
	skip_space(lx);
	t->pos = lex_pos(lx, lx->i);
	if (lx->i >= lx->len)
		return false;
	c = peekc(lx, 0);
	while (!lex_is_token_start(lx, c)) {
		if (isprint(c))
			umig_error(lx->d, t->pos, "stray '%c' in input", c);
		else
			umig_error(lx->d, t->pos, "stray byte 0x%02x in input", c);
		lx->i++;
		skip_space(lx);
		t->pos = lex_pos(lx, lx->i);
		if (lx->i >= lx->len)
			return false;
		c = peekc(lx, 0);
	}
	if (isalpha(c) || c == '_') {
		lex_word(lx, t);
	} else if (isdigit(c)) {
		lex_number(lx, t);
	} else if (c == '"') {
		t->kind = lx->last_kw != KW_NONE ? TOK_FILENAME : TOK_STRING;
		lex_quoted(lx, t, '"');
	} else if (c == '<' && lx->last_kw != KW_NONE) {
		t->kind = TOK_FILENAME;
		lex_quoted(lx, t, '>');
	} else {
		t->kind = TOK_PUNCT;
		t->punct = (char)c;
		t->text = umig_strndup(lx->a, lx->buf + lx->i, 1);
		lx->i++;
	}
	lx->last_kw = (t->kind == TOK_KEYWORD && (t->kw == KW_IMPORT ||
		       t->kw == KW_UIMPORT || t->kw == KW_SIMPORT)) ? t->kw : KW_NONE;
	return true;
}

/*
 * Splits buf[0..len) into tokens.  file names the input until a line
 * marker says otherwise.  On return out->v holds an arena array ending in
 * TOK_EOF (also after errors, so the parser can still run).  Returns the
 * number of errors reported through d; does not block.
 */
int lex_run(struct umig_arena *a, struct umig_diag *d, const char *buf,
	    size_t len, const char *file, struct token_list *out)
{
	struct lexer lx = { .a = a, .d = d, .buf = buf, .len = len,
			    .file = umig_strndup(a, file, strlen(file)), .line = 1 };
	int before = d->errors;
	struct token t;

	while (lex_one(&lx, &t))
		push(&lx, &t);
	t.kind = TOK_EOF;
	t.text = "end of input";
	push(&lx, &t);
	out->n = lx.n;
	out->v = umig_alloc(a, lx.n * sizeof(*out->v));
	memcpy(out->v, lx.v, lx.n * sizeof(*out->v));
	free(lx.v);
	return d->errors - before;
}
