/*
 * main.c: the umig command.  Parses a mig-style command line into a
 * struct umig_options, runs the C preprocessor over the .defs file
 * ($CPP, default "cc -E -x c -undef -ansi", with the -D/-I/-U flags), feeds
 * its output to lex -> parse -> check, and writes the requested outputs only
 * when there were no errors.  Exit status: 0 ok, 1 errors, 2 usage.
 * Code generation (-user/-server/-header/-sheader) is not implemented yet.
 */
#include "umig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define UMIG_DEFAULT_CPP "cc -E -x c -undef -ansi"

enum { OUT_USER, OUT_SERVER, OUT_HEADER, OUT_SHEADER, OUT_LIST, OUT_COUNT };

static const char *const out_flags[OUT_COUNT] = {
	"-user", "-server", "-header", "-sheader", "-list",
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
	      "checks it.\n"
	      "-list writes one line per routine: subsystem name index "
	      "request-id reply-id.\n"
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

/* Writes the -list table; false after printing why it could not. */
static bool write_list(const struct umig_spec *spec, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	bool ok;

	if (f == NULL) {
		fprintf(stderr, "umig: cannot write %s: %s\n", path, strerror(errno));
		return false;
	}
	ok = emit_list(spec, f);
	if (f != stdout && fclose(f) != 0)
		ok = false;
	if (!ok) {
		fprintf(stderr, "umig: cannot write %s: %s\n", path, strerror(errno));
		if (f != stdout)
			remove(path);
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
	} else if (o->out[OUT_LIST] != NULL && !write_list(&spec, o->out[OUT_LIST])) {
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
	} else if (rc == 0 && (o.out[OUT_USER] || o.out[OUT_SERVER] ||
			       o.out[OUT_HEADER] || o.out[OUT_SHEADER])) {
		fputs("umig: code generation is not implemented yet "
		      "(-user, -server, -header, -sheader); only -list works\n",
		      stderr);
		rc = 1;
	} else if (rc == 0) {
		rc = run(&o);
	}
	free(o.cpp_args);
	return rc;
}
