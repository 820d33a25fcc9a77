/*
 * main.c: the command line of build/bench/peers.  It reads the options and
 * the BENCH_* environment knobs, builds the rows (each peer at each
 * placement), runs the interleaved rounds through driver.c -- round 1 runs
 * every row, then round 2, ... -- and writes the Markdown table and the raw
 * RTT samples through report.c.  Exit 0 ok, 1 a measurement failed or a row
 * was skipped, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define MAX_ROWS 64

/* The lists of peer lists; see driver.h "HOW TO ADD A PEER". */
static const struct bench_peer *const *const bench_peer_sets[] = {
	bench_os_peers,
#ifdef BENCH_HAVE_UMACH
	bench_umach_peers,
#endif
	NULL,
};

static const char *const test_names[] = {"rtt", "oneway", "bw", NULL};
static const char *const place_names[] = {"unpinned", "same", "split", NULL};
static const char *const place_suffix[] = {"", " @same-cpu", " @split-cpus"};

struct options {
	unsigned long warm[3], n[3];  /* indexed by enum bench_test */
	int rounds;
	unsigned tests;               /* BENCH_TEST_BIT()s */
	unsigned places;              /* 1u << enum bench_place; 0 = default */
	const char *peers;            /* comma list of slugs; NULL = all */
	const char *out_md, *dat_dir, *commit;
};

static void usage(FILE *f)
{
	fprintf(f,
	"usage: peers [--quick] [--rounds N] [--peers SLUG,...]\n"
	"             [--tests rtt,oneway,bw] [--place unpinned,same,split]\n"
	"             [--out FILE.md] [--dat-dir DIR] [--commit ID] [--list]\n"
	"Default: every peer unpinned for all tests, plus @same-cpu and\n"
	"@split-cpus for RTT; --place runs the chosen tests at exactly the\n"
	"chosen placements.  Counts: BENCH_RTT_N, BENCH_ONEWAY_N, BENCH_BW_N\n"
	"(measured messages per run), BENCH_ROUNDS.\n");
}

/* "a,b" -> bit mask over names[]; -1 on an unknown name. */
static int parse_list(const char *arg, const char *const names[],
                      unsigned *out_mask)
{
	char copy[256], *save = NULL;
	snprintf(copy, sizeof copy, "%s", arg);
	*out_mask = 0;
	for (char *t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		int i = 0;
		while (names[i] && strcmp(names[i], t) != 0)
			i++;
		if (!names[i]) {
			fprintf(stderr, "bench: unknown name '%s'\n", t);
			return -1;
		}
		*out_mask |= 1u << i;
	}
	return *out_mask ? 0 : -1;
}

static void options_defaults(struct options *o, int quick)
{
	static const unsigned long full_warm[3] = {1000, 2000, 16};
	static const unsigned long full_n[3] = {10000, 200000, 256};
	static const unsigned long quick_warm[3] = {100, 1000, 4};
	static const unsigned long quick_n[3] = {1000, 20000, 32};
	static const char *const env[3] = {"BENCH_RTT_N", "BENCH_ONEWAY_N",
	                                   "BENCH_BW_N"};
	for (int t = 0; t < 3; t++) {
		o->warm[t] = quick ? quick_warm[t] : full_warm[t];
		o->n[t] = quick ? quick_n[t] : full_n[t];
		const char *v = getenv(env[t]);
		if (v && strtoul(v, NULL, 10) > 0)
			o->n[t] = strtoul(v, NULL, 10);
	}
	const char *r = getenv("BENCH_ROUNDS");
	if (r && atoi(r) > 0 && atoi(r) <= BENCH_MAX_ROUNDS)
		o->rounds = atoi(r);
}

static void list_peers(void)
{
	for (int s = 0; bench_peer_sets[s]; s++)
		for (int i = 0; bench_peer_sets[s][i]; i++)
			printf("%-16s %s\n", bench_peer_sets[s][i]->slug,
			       bench_peer_sets[s][i]->label);
}

/* Returns 0 to run, or the exit code (0 after --list, 2 on usage). */
static int options_parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"quick", 0, 0, 'q'},  {"rounds", 1, 0, 'r'},
		{"peers", 1, 0, 'p'},  {"tests", 1, 0, 't'},
		{"place", 1, 0, 'P'},  {"out", 1, 0, 'o'},
		{"dat-dir", 1, 0, 'd'}, {"commit", 1, 0, 'c'},
		{"list", 0, 0, 'l'},   {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
	int c, quick = 0, rounds = -1, bad = 0;  /* -1: not given */
	*o = (struct options){.tests = BENCH_TESTS_ALL,
	                      .out_md = "bench/results/latest.md",
	                      .dat_dir = "build/bench", .commit = "unknown"};
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'q': quick = 1; break;
		case 'r': rounds = atoi(optarg); break;
		case 'p': o->peers = optarg; break;
		case 't': bad |= parse_list(optarg, test_names, &o->tests);
			  break;
		case 'P': bad |= parse_list(optarg, place_names, &o->places);
			  break;
		case 'o': o->out_md = optarg; break;
		case 'd': o->dat_dir = optarg; break;
		case 'c': o->commit = optarg; break;
		case 'l': list_peers(); return -1;
		case 'h': usage(stdout); return -1;
		default: bad = 1;
		}
	}
	o->rounds = 3;
	options_defaults(o, quick);
	if (rounds != -1)
		o->rounds = rounds;
	if (bad || optind != argc || o->rounds < 1 ||
	    o->rounds > BENCH_MAX_ROUNDS) {
		usage(stderr);
		return 2;
	}
	return 0;
}

static int slug_selected(const char *list, const char *slug)
{
	if (!list)
		return 1;
	size_t len = strlen(slug);
	for (const char *p = list; (p = strstr(p, slug)) != NULL; p += len)
		if ((p == list || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return 1;
	return 0;
}

/* Tests a row runs at a placement: by default pinned rows do RTT only. */
static unsigned place_tests(const struct options *o, enum bench_place place)
{
	if (o->places)
		return (o->places & (1u << place)) ? o->tests : 0;
	if (place == BENCH_UNPINNED)
		return o->tests;
	return o->tests & BENCH_TEST_BIT(BENCH_TEST_RTT);
}

static int row_add(struct bench_row *rows, int nrows,
                   const struct bench_peer *peer, enum bench_place place,
                   unsigned tests, const struct options *o)
{
	struct bench_row *row = &rows[nrows];
	*row = (struct bench_row){.peer = peer, .place = place, .tests = tests};
	snprintf(row->name, sizeof row->name, "%s%s", peer->label,
	         place_suffix[place]);
	snprintf(row->slug, sizeof row->slug, "%s-%s", place_names[place],
	         peer->slug);
	if (tests & BENCH_TEST_BIT(BENCH_TEST_RTT)) {
		size_t n = (size_t)o->rounds * o->n[BENCH_TEST_RTT];
		row->rtt_pool_us = calloc(n, sizeof(double));
		if (!row->rtt_pool_us)
			return -1;
	}
	return 0;
}

/* Add every selected peer that can run some of `want` at `place`. */
static int rows_add_place(const struct options *o, struct bench_row *rows,
                          int nrows, enum bench_place place, unsigned want)
{
	for (int s = 0; bench_peer_sets[s]; s++) {
		for (int i = 0; bench_peer_sets[s][i]; i++) {
			const struct bench_peer *p = bench_peer_sets[s][i];
			unsigned tests = want & p->tests;
			if (!tests || !slug_selected(o->peers, p->slug))
				continue;
			if (nrows == MAX_ROWS ||
			    row_add(rows, nrows, p, place, tests, o) < 0)
				return -1;
			nrows++;
		}
	}
	return nrows;
}

/* Rows grouped by placement, so each ratio compares within one group. */
static int rows_build(const struct options *o, struct bench_row *rows)
{
	int nrows = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	for (int place = BENCH_UNPINNED; place <= BENCH_SPLIT_CPUS; place++) {
		unsigned want = place_tests(o, (enum bench_place)place);
		if (!want)
			continue;
		if (place == BENCH_SPLIT_CPUS && cpus < 2) {
			bench_note("@split-cpus rows skipped: only one CPU.");
			continue;
		}
		nrows = rows_add_place(o, rows, nrows, (enum bench_place)place,
		                       want);
		if (nrows < 0)
			return -1;
	}
	return nrows;
}

static void progress(const struct bench_row *row, int test, int round)
{
	const struct bench_cell *c[] = {&row->rtt_median_us,
	                                &row->oneway_msg_per_s,
	                                &row->bw_mib_per_s};
	static const char *const unit[] = {"us median", "msg/s", "MiB/s"};
	fprintf(stderr, "round %d  %-40s %-6s %12.2f %s\n", round + 1,
	        row->name, test_names[test], c[test]->run[c[test]->runs - 1],
	        unit[test]);
}

/* One round of one row: each of its tests once. */
static enum bench_status run_row(const struct options *o,
                                 struct bench_row *row, int round)
{
	for (int t = 0; t < 3 && !row->skipped; t++) {
		if (!(row->tests & BENCH_TEST_BIT(t)))
			continue;
		enum bench_status st = bench_measure(row, (enum bench_test)t,
		                                     o->warm[t], o->n[t]);
		if (st == BENCH_SKIP) {
			row->skipped = 1;
			bench_note("%s: skipped (see the run's messages).",
			           row->name);
		} else if (st != BENCH_OK) {
			fprintf(stderr, "bench: %s %s failed in round %d\n",
			        row->name, test_names[t], round + 1);
			return BENCH_ERR;
		} else {
			progress(row, t, round);
		}
	}
	return BENCH_OK;
}

/* Round r runs every row's tests once.  Stops at the first failure. */
static enum bench_status run_rounds(const struct options *o,
                                    struct bench_row *rows, int nrows)
{
	for (int r = 0; r < o->rounds; r++)
		for (int i = 0; i < nrows; i++)
			if (run_row(o, &rows[i], r) != BENCH_OK)
				return BENCH_ERR;
	return BENCH_OK;
}

static void cpu_model(char *out, size_t size)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");
	snprintf(out, size, "unknown CPU");
	while (f && fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) == 0 && colon) {
			snprintf(out, size, "%s", colon + 2);
			out[strcspn(out, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
}

/* ns per clock_gettime (what = 0) or getppid system call (what = 1):
 * the best of 3 runs of 200,000, to compare machines with peers.md. */
static double ns_per_call(int what)
{
	struct timespec ts, t0, t1;
	double best = 1e9;
	for (int run = 0; run < 3; run++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int i = 0; i < 200000; i++) {
			if (what)
				syscall(SYS_getppid);
			else
				clock_gettime(CLOCK_MONOTONIC, &ts);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 +
		            (double)(t1.tv_nsec - t0.tv_nsec);
		if (ns / 200000 < best)
			best = ns / 200000;
	}
	return best;
}

static void meta_fill(struct bench_meta *m, const struct options *o,
                      const struct bench_cpu *a, const struct bench_cpu *b)
{
	double seconds = b->wall_s - a->wall_s;
	double capacity_s = seconds * (double)sysconf(_SC_NPROCESSORS_ONLN);
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	*m = (struct bench_meta){.rounds = o->rounds, .seconds = seconds,
	                         .cpus = sysconf(_SC_NPROCESSORS_ONLN)};
	strftime(m->date, sizeof m->date, "%Y-%m-%d %H:%M UTC", &tm);
	snprintf(m->commit, sizeof m->commit, "%s", o->commit);
	cpu_model(m->cpu, sizeof m->cpu);
	snprintf(m->kernel, sizeof m->kernel, "unknown");
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof m->kernel, "%s", u.release);
	m->rtt_warm = o->warm[0], m->rtt_n = o->n[0];
	m->oneway_warm = o->warm[1], m->oneway_n = o->n[1];
	m->bw_warm = o->warm[2], m->bw_n = o->n[2];
	double others_s = (b->busy_s - a->busy_s) - (b->ours_s - a->ours_s);
	m->others_pct = others_s > 0 ? 100.0 * others_s / capacity_s : 0.0;
	m->steal_pct = 100.0 * (b->steal_s - a->steal_s) / capacity_s;
	m->clock_ns = ns_per_call(0);
	m->syscall_ns = ns_per_call(1);
}

/* mkdir -p for the directory part of path. */
static void make_parent_dirs(const char *path)
{
	char copy[512];
	snprintf(copy, sizeof copy, "%s", path);
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(copy, 0755);
		*p = '/';
	}
}

static int write_outputs(const struct options *o, const struct bench_row *rows,
                         int nrows, const struct bench_meta *meta)
{
	make_parent_dirs(o->out_md);
	FILE *f = fopen(o->out_md, "w");
	if (!f) {
		fprintf(stderr, "bench: %s: %s\n", o->out_md, strerror(errno));
		return -1;
	}
	bench_report_write(f, rows, nrows, meta);
	if (fclose(f) != 0)
		return -1;
	bench_report_write(stdout, rows, nrows, meta);
	char dat[512];
	snprintf(dat, sizeof dat, "%s/", o->dat_dir);
	make_parent_dirs(dat);
	return bench_report_write_dat(o->dat_dir, rows, nrows);
}

int main(int argc, char **argv)
{
	static struct bench_row rows[MAX_ROWS];
	struct options o;
	struct bench_meta meta;
	struct bench_cpu cpu0, cpu1;
	int rc = options_parse(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	int nrows = rows_build(&o, rows);
	if (nrows <= 0) {
		fprintf(stderr, "bench: %s\n", nrows < 0 ? "out of memory or "
		        "too many rows" : "no rows selected (see --list)");
		return nrows < 0 ? 1 : 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	bench_driver_init();
	bench_cpu_snapshot(&cpu0);
	enum bench_status st = run_rounds(&o, rows, nrows);
	bench_driver_fini();
	if (st != BENCH_OK)
		return 1;
	bench_cpu_snapshot(&cpu1);
	meta_fill(&meta, &o, &cpu0, &cpu1);
	if (write_outputs(&o, rows, nrows, &meta) < 0)
		return 1;
	for (int i = 0; i < nrows; i++)
		if (rows[i].skipped)
			return 1;
	return 0;
}
