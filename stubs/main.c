/*
 * main.c: the umig command.  Parses a mig-style command line into a
 * struct umig_options, runs the C preprocessor over the .defs file
 * ($CPP, default "cc -E -x c -undef -ansi", with the -D/-I/-U flags), feeds
 * its output to lex -> parse -> check, and writes the requested outputs only
 * when there were no errors.  Each output is written to a temporary file
 * beside it and renamed into place only when every output succeeded, so a
 * failed run leaves no file behind.  Exit status: 0 ok, 1 errors, 2 usage.
 */
#include "emit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define UMIG_DEFAULT_CPP "cc -E -x c -undef -ansi"

enum { OUT_USER, OUT_SERVER, OUT_HEADER, OUT_SHEADER, OUT_LIST, OUT_LPC,
       OUT_LPCHEADER, OUT_COUNT };

static const char *const out_flags[OUT_COUNT] = {
	"-user", "-server", "-header", "-sheader", "-list", "-lpc",
	"-lpcheader",
};

struct umig_options {
	const char *out[OUT_COUNT];     // output file per kind, NULL = none
	const char *input;              // the .defs file
	const char **cpp_args;          // -D/-I/-U flags, in order (malloc)
	int ncpp;
	bool help;
};

static void usage(FILE *f)
{
	fputs("usage: umig [-Dname[=value]] [-Idir] [-Uname] [-user file] "
	      "[-server file]\n"
	      "            [-header file] [-sheader file] [-list file|-] "
	      "file.defs\n"
	      "Runs $CPP (default \"" UMIG_DEFAULT_CPP "\") on file.defs and "
	      "checks it,\n"
	      "then writes the requested files: -user (client stubs), -server "
	      "(demux),\n-header (client prototypes), -sheader (server "
	      "prototypes); all or none.\n"
	      "-list writes one line per routine: subsystem name index "
	      "request-id reply-id.\n"
	      "-lpc file, -lpcheader file: LPC user stubs and their "
	      "prototypes (docs/umig.md).\n"
	      "Exit status: 0 ok, 1 errors in the input, 2 usage error.\n", f);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("umig: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n", stderr);
	usage(stderr);
	return 2;
}

/* A cpp flag, as "-Dx" or "-D x"; returns 0, or 2 if its value is missing. */
static int take_cpp_flag(struct umig_options *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	if (a[2] != '\0') {
		o->cpp_args[o->ncpp++] = a;
		return 0;
	}
	if (*i + 1 >= argc)
		return usage_error("option '%s' needs a value", a);
	o->cpp_args[o->ncpp++] = a;
	o->cpp_args[o->ncpp++] = argv[++*i];
	return 0;
}

/* Fills o from argv.  Returns 0, or 2 after printing a usage error. */
static int parse_args(int argc, char **argv, struct umig_options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int k;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			o->help = true;
			return 0;
		}
		if (strncmp(a, "-D", 2) == 0 || strncmp(a, "-I", 2) == 0 ||
		    strncmp(a, "-U", 2) == 0) {
			if (take_cpp_flag(o, argc, argv, &i) != 0)
				return 2;
			continue;
		}
		for (k = 0; k < OUT_COUNT && strcmp(a, out_flags[k]) != 0; k++)
			;
		if (k < OUT_COUNT) {
			if (i + 1 >= argc)
				return usage_error("option '%s' needs a file name", a);
			o->out[k] = argv[++i];
		} else if (a[0] == '-' && a[1] != '\0') {
			return usage_error("unknown option '%s'", a);
		} else if (o->input != NULL) {
			return usage_error("more than one input file ('%s')", a);
		} else {
			o->input = a;
		}
	}
	if (o->input == NULL)
		return usage_error("%s", "no input file");
	return 0;
}

/* Appends what fd yields to a malloc buffer; false on read error. */
static bool read_all(int fd, char **buf, size_t *len)
{
	size_t cap = 65536;
	char *p = malloc(cap);

	*len = 0;
	while (p != NULL) {
		ssize_t n;
		if (*len == cap) {
			char *q = realloc(p, cap * 2);
			if (q == NULL)
				break;
			p = q;
			cap *= 2;
		}
		n = read(fd, p + *len, cap - *len);
		if (n == 0) {
			*buf = p;
			return true;
		}
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			*len += (size_t)n;
	}
	free(p);
	return false;
}

/*
 * Runs "$CPP flags... input" through sh so that $CPP may hold several
 * words, and collects its standard output.  Returns true with a malloc
 * buffer in *buf (caller frees) if cpp exited 0.
 */
static bool run_cpp(const struct umig_options *o, char **buf, size_t *len)
{
	const char *cpp = getenv("CPP");
	int fd[2], status;
	bool ok;
	pid_t pid;

	if (cpp == NULL || *cpp == '\0')
		cpp = UMIG_DEFAULT_CPP;
	if (pipe(fd) != 0)
		return false;
	pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return false;
	}
	if (pid == 0) {
		const char **argv = calloc((size_t)o->ncpp + 6, sizeof(*argv));
		char *script = malloc(strlen(cpp) + 8);
		int n = 0;
		if (argv == NULL || script == NULL)
			_exit(127);
		sprintf(script, "%s \"$@\"", cpp);
		argv[n++] = "sh";
		argv[n++] = "-c";
		argv[n++] = script;
		argv[n++] = "sh";
		for (int i = 0; i < o->ncpp; i++)
			argv[n++] = o->cpp_args[i];
		argv[n++] = o->input;
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		execv("/bin/sh", (char *const *)argv);
		_exit(127);
	}
	close(fd[1]);
	ok = read_all(fd[0], buf, len);
	close(fd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ok && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		fprintf(stderr, "umig: preprocessor '%s' failed on %s\n", cpp,
			o->input);
		free(*buf);
		ok = false;
	}
	return ok;
}

static bool list_writer(struct umig_diag *d, const struct umig_spec *spec,
			FILE *f)
{
	(void)d;
	return emit_list(spec, f);
}

typedef bool (*writer_t)(struct umig_diag *, const struct umig_spec *, FILE *);

static const writer_t writers[OUT_COUNT] = {
	emit_user, emit_server, emit_header, emit_sheader, list_writer,
	emit_lpc, emit_lpc_header,
};

/* An output path that exists and is not a regular file (/dev/null, a
 * fifo): it must be written into, never replaced by a rename. */
static bool is_special(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

/* Copies file tmp into the special file path.  False after saying why. */
static bool copy_into(const char *tmp, const char *path)
{
	FILE *in = fopen(tmp, "r"), *out = fopen(path, "w");
	char buf[8192];
	size_t n;
	bool ok = in != NULL && out != NULL;

	while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	if (in != NULL)
		fclose(in);
	if (out != NULL && fclose(out) != 0)
		ok = false;
	return ok;
}

/* Writes output k into a new temporary file beside its path (in /tmp for
 * a special file); its name goes to tmp (malloc).  False after saying
 * why. */
static bool write_temp(const struct umig_options *o, int k,
		       const struct umig_spec *spec, struct umig_diag *d,
		       char **tmp)
{
	const char *path = o->out[k];
	FILE *f;
	int fd;
	bool ok;

	*tmp = malloc(strlen(path) + 16);
	if (*tmp == NULL)
		return false;
	if (is_special(path))
		strcpy(*tmp, "/tmp/umig-XXXXXX");
	else
		sprintf(*tmp, "%s.umig-XXXXXX", path);
	fd = mkstemp(*tmp);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "umig: cannot write %s: %s\n", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(*tmp);
		}
		free(*tmp);
		*tmp = NULL;
		return false;
	}
	fchmod(fd, 0644);
	ok = writers[k](d, spec, f);
	if (fclose(f) != 0)
		ok = false;
	if (!ok && d->errors == 0)
		fprintf(stderr, "umig: cannot write %s: %s\n", path, strerror(errno));
	return ok;
}

/* Writes every requested output, or none: false after printing why. */
static bool write_outputs(const struct umig_options *o,
			  const struct umig_spec *spec, struct umig_diag *d)
{
	char *tmp[OUT_COUNT] = { 0 };
	bool ok = true;

	if (o->out[OUT_LIST] != NULL && strcmp(o->out[OUT_LIST], "-") == 0)
		ok = emit_list(spec, stdout);
	for (int k = 0; ok && k < OUT_COUNT; k++) {
		if (o->out[k] == NULL || (k == OUT_LIST &&
		    strcmp(o->out[k], "-") == 0))
			continue;
		ok = write_temp(o, k, spec, d, &tmp[k]);
	}
	for (int k = 0; k < OUT_COUNT; k++) {
		if (tmp[k] == NULL)
			continue;
		if (ok && is_special(o->out[k])) {
			if (!copy_into(tmp[k], o->out[k])) {
				fprintf(stderr, "umig: cannot write %s: %s\n",
					o->out[k], strerror(errno));
				ok = false;
			}
			unlink(tmp[k]);
		} else if (ok && rename(tmp[k], o->out[k]) != 0) {
			fprintf(stderr, "umig: cannot write %s: %s\n", o->out[k],
				strerror(errno));
			ok = false;
		}
		if (!ok)
			unlink(tmp[k]);
		free(tmp[k]);
	}
	return ok;
}

/* Preprocesses, checks and writes outputs; returns the exit status. */
static int run(const struct umig_options *o)
{
	struct umig_arena arena = { 0 };
	struct umig_diag diag = { stderr, 0 };
	struct umig_spec spec;
	char *text;
	size_t len;
	int rc = 0;

	if (access(o->input, R_OK) != 0) {
		fprintf(stderr, "umig: cannot read %s: %s\n", o->input, strerror(errno));
		return 1;
	}
	if (!run_cpp(o, &text, &len))
		return 1;
	check_source(&arena, &diag, text, len, o->input, &spec);
	free(text);
	if (diag.errors > 0) {
		fprintf(stderr, "umig: %d error%s; no output written\n", diag.errors,
			diag.errors == 1 ? "" : "s");
		rc = 1;
	} else if (!write_outputs(o, &spec, &diag)) {
		if (diag.errors > 0)
			fprintf(stderr, "umig: %d error%s; no output written\n",
				diag.errors, diag.errors == 1 ? "" : "s");
		rc = 1;
	}
	umig_arena_fini(&arena);
	return rc;
}

int main(int argc, char **argv)
{
	struct umig_options o = { 0 };
	int rc;

	o.cpp_args = calloc((size_t)argc + 1, sizeof(*o.cpp_args));
	if (o.cpp_args == NULL)
		return 1;
	rc = parse_args(argc, argv, &o);
	if (rc == 0 && o.help) {
		usage(stdout);
	} else if (rc == 0) {
		rc = run(&o);
	}
	free(o.cpp_args);
	return rc;
}
