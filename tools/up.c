/*
 * umach up FILE: start a scenario, several tasks from a small declarative
 * file, on the kernel that serves the socket or on a private one, with
 * the scenario's knobs set before any task runs.  Ctrl-C stops them all:
 * SIGTERM, then SIGKILL after 2 s.  The file format is in umach(1):
 *
 *	# comment
 *	profile textbook|mach25|next
 *	seed N
 *	task NAME PROGRAM [ARG...]
 *	knob delay|full|kill NAME VALUE
 *
 * A PROGRAM without a slash is looked up in the examples directory beside
 * umach (build/examples in the tree), then in $PATH.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define UP_TASKS_MAX 64
#define UP_ARGS_MAX  64
#define UP_KNOBS_MAX 32
#define UP_LINE_MAX  4096

struct up_task {
	char   name[UMACH_NAME_MAX];
	char  *argv[UP_ARGS_MAX + 1];	/* owned */
	pid_t  pid;			/* 0 before start, -1 when reaped */
	int    status;			/* exit status, or 128 + signal */
	int    kill_knob;		/* a kill knob names it */
};

struct up_knob {
	char     name[UMACH_NAME_MAX];
	uint32_t knob;
	uint64_t value;
};

struct scenario {
	const char     *file;
	char            profile[16];
	int             have_seed;
	uint64_t        seed;
	struct up_task  t[UP_TASKS_MAX];
	int             nt;
	struct up_knob  k[UP_KNOBS_MAX];
	int             nk;
};

static int bad(const struct scenario *sc, int line, const char *fmt,
	       const char *arg)
{
	fprintf(stderr, "%s:%d: error: ", sc->file, line);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return -1;
}

/*
 * Split line into words: whitespace separates them, "..." quotes one (with
 * \" and \\ inside), # outside quotes starts a comment.  Returns the count,
 * or -1 after a message.
 */
static int split(const struct scenario *sc, int ln, char *line, char **w,
		 int max)
{
	int n = 0;
	char *r = line, *out;

	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (*r == '\0' || *r == '#' || *r == '\n')
			return n;
		if (n == max)
			return bad(sc, ln, "more than %s words on a line", "64");
		w[n++] = out = r;
		if (*r == '"') {
			r++;
			while (*r != '"') {
				if (*r == '\0' || *r == '\n')
					return bad(sc, ln, "unterminated quote%s", "");
				if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
					r++;
				*out++ = *r++;
			}
			r++;
		} else {
			while (*r && *r != ' ' && *r != '\t' && *r != '\n' &&
			       *r != '#')
				*out++ = *r++;
		}
		char c = *r;		/* read before the NUL may cover it */
		*out = '\0';
		if (c == '#' || c == '\0' || c == '\n')
			return n;
		if (c != ' ' && c != '\t')
			return bad(sc, ln, "text right after a closing quote%s", "");
		r++;
	}
}

static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= UMACH_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
		      *s == '.'))
			return 0;
	return 1;
}

static struct up_task *task_named(struct scenario *sc, const char *name)
{
	for (int i = 0; i < sc->nt; i++)
		if (strcmp(sc->t[i].name, name) == 0)
			return &sc->t[i];
	return NULL;
}

static int parse_line(struct scenario *sc, int ln, char *line)
{
	char *w[UP_ARGS_MAX + 3];
	int n = split(sc, ln, line, w, UP_ARGS_MAX + 2);

	if (n <= 0)
		return n;
	if (strcmp(w[0], "profile") == 0) {
		if (n != 2 || !tool_valid_profile(w[1]))
			return bad(sc, ln, "profile takes textbook, mach25 or next%s", "");
		snprintf(sc->profile, sizeof sc->profile, "%s", w[1]);
	} else if (strcmp(w[0], "seed") == 0) {
		if (n != 2 || tool_knob_value(UMACH_KNOB_SEED, w[1], &sc->seed))
			return bad(sc, ln, "seed takes one number%s", "");
		sc->have_seed = 1;
	} else if (strcmp(w[0], "task") == 0) {
		if (n < 3)
			return bad(sc, ln, "task needs a NAME and a PROGRAM%s", "");
		if (!valid_name(w[1]))
			return bad(sc, ln, "'%s' is not a task name (1-31 of "
				   "A-Z a-z 0-9 _ - .)", w[1]);
		if (task_named(sc, w[1]) != NULL)
			return bad(sc, ln, "a task '%s' is already declared", w[1]);
		if (sc->nt == UP_TASKS_MAX)
			return bad(sc, ln, "more than %s tasks", "64");
		struct up_task *t = &sc->t[sc->nt++];
		snprintf(t->name, sizeof t->name, "%s", w[1]);
		for (int i = 2; i < n; i++)
			if ((t->argv[i - 2] = strdup(w[i])) == NULL)
				return bad(sc, ln, "out of memory%s", "");
	} else if (strcmp(w[0], "knob") == 0) {
		if (n != 4)
			return bad(sc, ln, "knob takes delay|full|kill, a task NAME "
				   "and a VALUE%s", "");
		uint32_t knob = tool_knob_id(w[1]);
		if (knob == 0 || knob == UMACH_KNOB_SEED)
			return bad(sc, ln, "no knob '%s' for a task (delay, full, kill)",
				   w[1]);
		struct up_task *t = task_named(sc, w[2]);
		if (t == NULL)
			return bad(sc, ln, "no task '%s' declared above", w[2]);
		if (sc->nk == UP_KNOBS_MAX)
			return bad(sc, ln, "more than %s knobs", "32");
		struct up_knob *k = &sc->k[sc->nk++];
		snprintf(k->name, sizeof k->name, "%s", w[2]);
		k->knob = knob;
		if (tool_knob_value(knob, w[3], &k->value) != 0)
			return bad(sc, ln, "bad value for knob %s", w[1]);
		t->kill_knob |= knob == UMACH_KNOB_KILL_AT && k->value != 0;
	} else {
		return bad(sc, ln, "unknown directive '%s' (profile, seed, task, "
			   "knob)", w[0]);
	}
	return 0;
}

static int parse(struct scenario *sc, const char *file)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f = fopen(file, "r");
	int ln = 0, rc = 0;

	sc->file = file;
	if (f == NULL) {
		fprintf(stderr, "umach: cannot read %s: %s\n", file, strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		ln++;
		if (n > UP_LINE_MAX)
			rc = bad(sc, ln, "line longer than %s bytes", "4096");
		else if (strlen(line) != (size_t)n)
			rc = bad(sc, ln, "a NUL byte%s", "");
		else
			rc = parse_line(sc, ln, line);
	}
	if (rc == 0 && ferror(f))
		rc = bad(sc, ln, "read error%s", "");
	if (rc == 0 && sc->nt == 0)
		rc = bad(sc, ln, "no task declared%s", "");
	free(line);
	fclose(f);
	return rc;
}

static void scenario_free(struct scenario *sc)
{
	for (int i = 0; i < sc->nt; i++)
		for (char **a = sc->t[i].argv; *a != NULL; a++)
			free(*a);
}

static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
}

/* $PATH with the examples directory beside this binary in front. */
static void examples_first_in_path(void)
{
	char self[PATH_MAX], *path = getenv("PATH"), *np;
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	if (n <= 0)
		return;
	self[n] = '\0';
	if (asprintf(&np, "%s/examples:%s", dirname(self),
		     path ? path : "/usr/bin:/bin") < 0)
		return;
	setenv("PATH", np, 1);
	free(np);
}

static pid_t start_task(struct up_task *t)
{
	pid_t p = fork();

	if (p != 0)
		return p;
	setpgid(0, 0);		/* Ctrl-C is for umach up, which stops us */
	setenv("UMACH_TASK_NAME", t->name, 1);
	examples_first_in_path();
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	execvp(t->argv[0], t->argv);
	fprintf(stderr, "umach up: cannot run %s for task %s: %s\n", t->argv[0],
		t->name, strerror(errno));
	_exit(127);
}

/* Reap what has ended; returns how many tasks still run. */
static int reap(struct scenario *sc)
{
	int running = 0, st;

	for (int i = 0; i < sc->nt; i++) {
		struct up_task *t = &sc->t[i];
		if (t->pid <= 0)
			continue;
		if (waitpid(t->pid, &st, WNOHANG) == t->pid) {
			t->status = WIFEXITED(st) ? WEXITSTATUS(st) :
				    128 + WTERMSIG(st);
			t->pid = -1;
		} else {
			running++;
		}
	}
	return running;
}

static void signal_all(struct scenario *sc, int sig)
{
	for (int i = 0; i < sc->nt; i++)
		if (sc->t[i].pid > 0)
			kill(sc->t[i].pid, sig);
}

/* SIGTERM every task still running, SIGKILL what is left after 2 s. */
static void stop_all(struct scenario *sc)
{
	signal_all(sc, SIGTERM);
	for (int i = 0; i < 200 && reap(sc) > 0; i++)
		usleep(10000);
	if (reap(sc) > 0) {
		signal_all(sc, SIGKILL);
		while (reap(sc) > 0)
			usleep(10000);
	}
}

static void progress(int fd, struct scenario *sc, int running, time_t t0)
{
	union mon_rec r;
	uint64_t msgs = 0;

	if (mon_request(fd, UMACH_MON_STATS, 0, 0, 0) != 0)
		return;
	while (mon_read(fd, &r, 1000) == 1 && r.type != UMACH_REC_END)
		if (r.type == UMACH_REC_STATS && r.stats.task == 0)
			msgs = r.stats.c.msgs_sent;
	fprintf(stderr, "\rumach up: %d of %d tasks running, %llu messages, "
		"%lld s (Ctrl-C stops)  ", running, sc->nt,
		(unsigned long long)msgs, (long long)(time(NULL) - t0));
}

static int set_knobs(int fd, const struct scenario *sc)
{
	int32_t status;

	if (sc->have_seed && (mon_knob(fd, UMACH_KNOB_SEED, 0, 0, NULL,
				       sc->seed, &status) != 0 || status != 0))
		return -1;
	for (int i = 0; i < sc->nk; i++)
		if (mon_knob(fd, sc->k[i].knob, UMACH_KT_NAME, 0, sc->k[i].name,
			     sc->k[i].value, &status) != 0 || status != 0) {
			fprintf(stderr, "umach up: the kernel refused knob on %s "
				"(%s)\n", sc->k[i].name, mon_status_name(status));
			return -1;
		}
	return 0;
}

/* Run sc on the kernel at sock; returns the exit status. */
static int run_scenario(struct scenario *sc, const char *sock,
			const struct trace_opts *o)
{
	struct trace_log *l = NULL;
	struct sigaction sa = { .sa_handler = on_stop };
	int fd = mon_connect(sock, 0), rc = 0;
	time_t t0 = time(NULL), shown = t0;

	if (fd < 0)
		return 1;
	if (set_knobs(fd, sc) != 0 || (o != NULL && (l = trace_begin(fd, o)) == NULL)) {
		close(fd);
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (int i = 0; i < sc->nt; i++) {
		sc->t[i].pid = start_task(&sc->t[i]);
		if (sc->t[i].pid < 0) {
			fprintf(stderr, "umach up: cannot fork: %s\n", strerror(errno));
			stop_asked = 1;
			break;
		}
		fprintf(stderr, "umach up: started %s (pid %d)\n", sc->t[i].name,
			(int)sc->t[i].pid);
	}
	int running, tty = isatty(2) && l == NULL;
	while ((running = reap(sc)) > 0 && !stop_asked) {
		if (l != NULL) {
			if (trace_step(l, 50) < 0) {
				fprintf(stderr, "umach up: the kernel went away\n");
				break;
			}
		} else {
			usleep(50000);
		}
		if (tty && time(NULL) - shown >= 1) {
			shown = time(NULL);
			progress(fd, sc, running, t0);
		}
	}
	if (tty && shown != t0)
		fputc('\n', stderr);
	if (running > 0) {
		fprintf(stderr, "umach up: stopping %d task%s\n", running,
			running == 1 ? "" : "s");
		stop_all(sc);
	}
	if (l != NULL && trace_end(l, 1) != 0)
		rc = 1;
	for (int i = 0; i < sc->nt; i++) {
		const struct up_task *t = &sc->t[i];
		if (t->pid == 0)
			continue;
		int knob_kill = t->kill_knob && t->status == 128 + SIGKILL;
		int stopped = stop_asked && (t->status == 128 + SIGTERM ||
					     t->status == 128 + SIGKILL);
		if (t->status >= 128)
			fprintf(stderr, "umach up: %s ended by signal %d%s\n",
				t->name, t->status - 128, knob_kill ?
				" (the kill knob)" : stopped ? " (stopped)" : "");
		else
			fprintf(stderr, "umach up: %s exited with status %d\n",
				t->name, t->status);
		if (t->status != 0 && !knob_kill && !stopped)
			rc = 1;
	}
	close(fd);
	return rc;
}

int cmd_up(int argc, char **argv)
{
	struct scenario *sc = calloc(1, sizeof *sc);
	struct trace_opts o = { .out = stderr };
	char path[UMACH_SOCKET_PATH_MAX];
	int i = 1, trace = 0, r, rc;

	if (sc == NULL)
		return 1;
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--trace") == 0) {
			trace = 1;
			i++;
		} else if ((r = trace_parse_opt(&o, argc, argv, &i)) == 1) {
			trace = 1;
		} else {
			free(sc);
			return r == 2 ? 2 : tool_usage("unknown up option '%s'", argv[i]);
		}
	}
	if (i + 1 != argc) {
		free(sc);
		return tool_usage("up needs one scenario FILE%s", "");
	}
	if (parse(sc, argv[i]) != 0 || mon_socket(path, sizeof path) != 0) {
		scenario_free(sc);
		free(sc);
		return 1;
	}
	if (tool_kernel_at(path) > 0) {
		if (sc->profile[0])
			fprintf(stderr, "umach up: using the kernel already serving "
				"%s; 'profile' applies only to a private kernel\n", path);
		rc = run_scenario(sc, path, trace ? &o : NULL);
	} else {
		struct private_kernel pk;
		rc = tool_private_start(&pk, sc->profile[0] ? sc->profile :
					"textbook");
		if (rc == 0) {
			rc = run_scenario(sc, pk.sock, trace ? &o : NULL);
			tool_private_stop(&pk);
		}
	}
	scenario_free(sc);
	free(sc);
	return rc;
}
