/*
 * scale_main.c: the driver of `make bench-scale`: options, the order of
 * the sections, the noise line, and the Markdown report (median [min–max]
 * of the rounds, with a column of ratios between sizes and the issue #6
 * bars).  The report goes to stdout and to --out; progress to stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "scale.h"

static double t_start;

void scale_progress(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "bench-scale: %6.1f s: ", scale_now() - t_start);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median, min and max of n figures (n odd or even; n > 0). */
struct mmm {
	double med, min, max;
};

static struct mmm mmm_of(const double *v, int n)
{
	double s[SCALE_ROUNDS_MAX];
	memcpy(s, v, (size_t)n * sizeof *s);
	qsort(s, (size_t)n, sizeof *s, cmp_double);
	double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return (struct mmm){med, s[0], s[n - 1]};
}

/* Three significant digits, k/M suffixes for big numbers. */
static const char *num(char *buf, size_t size, double v)
{
	if (v >= 1e6)
		snprintf(buf, size, "%.3g M", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, size, "%.0f k", v / 1e3);
	else if (v >= 100 || v <= -100)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.3g", v);
	return buf;
}

static void cell(FILE *f, const double *v, int n)
{
	char a[32], b[32], c[32];
	struct mmm m = mmm_of(v, n);
	fprintf(f, " %s [%s–%s] |", num(a, sizeof a, m.med),
	        num(b, sizeof b, m.min), num(c, sizeof c, m.max));
}

static double med(const double *v, int n) { return mmm_of(v, n).med; }

static void header(FILE *f, const char *commit, double secs,
                   const struct bench_cpu *c0, const struct bench_cpu *c1,
                   const double load[2])
{
	char date[32], cpu[96] = "unknown", line[256];
	time_t now = time(NULL);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
	FILE *ci = fopen("/proc/cpuinfo", "r");
	while (ci && fgets(line, sizeof line, ci))
		if (sscanf(line, "model name : %95[^\n]", cpu) == 1)
			break;
	if (ci)
		fclose(ci);
	double wall = (c1->wall_s - c0->wall_s) * (double)ncpu;
	double others = (c1->busy_s - c0->busy_s) - (c1->ours_s - c0->ours_s);
	fprintf(f, "# umach scale\n\n");
	fprintf(f, "- **Date:** %s; **commit:** %s; whole run %.0f s.\n",
	        date, commit, secs);
	fprintf(f, "- **Machine:** %ld CPUs, %s.\n", ncpu, cpu);
	fprintf(f, "- **Load:** 1-minute load average %.2f at the start, "
	        "%.2f at the end; other processes used %.0f %% of the "
	        "machine's CPU time during the run.\n", load[0], load[1],
	        wall > 0 ? 100.0 * (others > 0 ? others : 0) / wall : 0.0);
	fprintf(f, "- Each cell is the median [min–max] of the rounds; "
	        "every measurement has its own umachd.\n\n");
}

static void rpc_table(FILE *f, const struct scale_results *r, int n,
                      double rpc_s)
{
	static const uint32_t sizes[] = SCALE_CLIENT_SIZES;
	double base = med(r->rpc_rate[0], n), pbase = med(r->rpc_p99_us[0], n);
	fprintf(f, "## msg_rpc, N client tasks against one server\n\n"
	        "64 B each way, every reply's stamp checked; %.1f s per "
	        "measurement. p99 pools every round trip of a run.\n\n"
	        "umachd's CPU time per call (schedstat; its spinning counts) "
	        "and how often it went to sleep (voluntary context switches) "
	        "per 1,000 calls show where the kernel's time goes.\n\n"
	        "| clients | aggregate RPC/s | ÷ 1 client | RPC/s per client "
	        "| p99 (µs) | ÷ 1 client | umachd µs CPU/call "
	        "| umachd sleeps/1k calls |\n"
	        "|---|---|---|---|---|---|---|---|\n", rpc_s);
	for (int i = 0; i < SCALE_NCLIENTS; i++) {
		double per[SCALE_ROUNDS_MAX];
		for (int k = 0; k < n; k++)
			per[k] = r->rpc_rate[i][k] / sizes[i];
		fprintf(f, "| %u |", sizes[i]);
		cell(f, r->rpc_rate[i], n);
		fprintf(f, " %.2f |", med(r->rpc_rate[i], n) / base);
		cell(f, per, n);
		cell(f, r->rpc_p99_us[i], n);
		fprintf(f, " %.2f |", med(r->rpc_p99_us[i], n) / pbase);
		cell(f, r->rpc_kcpu_us[i], n);
		double sl[SCALE_ROUNDS_MAX];
		for (int k = 0; k < n; k++)
			sl[k] = r->rpc_ksleeps[i][k] * 1000;
		cell(f, sl, n);
		fputc('\n', f);
	}
	fputc('\n', f);
}

static void port_table(FILE *f, const struct scale_results *r, int n,
                       const struct scale_opts *o)
{
	static const uint32_t sizes[] = SCALE_PORT_SIZES;
	const double *a0 = r->alloc_ns[0], *l0 = r->lookup_ns[0];
	const double *m0 = r->port_rss_b[0];
	fprintf(f, "## S ports in one task\n\n"
	        "ns per `port_allocate` (S calls) and per `port_type` on a "
	        "random one of them (%u calls); umachd's memory growth per "
	        "port (smaps Rss and Pss, memfd mappings left out). Ratios "
	        "divide by the 1,000-port row.\n\n"
	        "| ports | ns/port_allocate | ÷ 1,000 | ns/port_type | ÷ 1,000 "
	        "| B/port (Rss) | ÷ 1,000 | B/port (Pss) |\n"
	        "|---|---|---|---|---|---|---|---|\n", o->lookups);
	for (int i = 0; i < SCALE_NPORTS && sizes[i] <= o->max_ports; i++) {
		fprintf(f, "| %u |", sizes[i]);
		cell(f, r->alloc_ns[i], n);
		fprintf(f, " %.2f |", med(r->alloc_ns[i], n) / med(a0, n));
		cell(f, r->lookup_ns[i], n);
		fprintf(f, " %.2f |", med(r->lookup_ns[i], n) / med(l0, n));
		cell(f, r->port_rss_b[i], n);
		fprintf(f, " %.2f |", med(r->port_rss_b[i], n) / med(m0, n));
		cell(f, r->port_pss_b[i], n);
		fputc('\n', f);
	}
	fputc('\n', f);
}

static void task_table(FILE *f, const struct scale_results *r, int n)
{
	static const uint32_t sizes[] = SCALE_TASK_SIZES;
	fprintf(f, "## T idle attached tasks\n\n"
	        "Each task holds one port and blocks in `msg_receive`. "
	        "umachd's memory growth per task: Rss and Pss outside the "
	        "memfd mappings (the channels), and the channel pages umachd "
	        "has touched (Rss of its `/memfd:umach-channel` mappings), "
	        "apart. Ratios divide by the 16-task row.\n\n"
	        "| tasks | KiB/task (Rss, no channel) | ÷ 16 | KiB/task (Pss, no "
	        "channel) | channel KiB/task (Rss) |\n"
	        "|---|---|---|---|---|\n");
	for (int i = 0; i < SCALE_NTASKS; i++) {
		double rss[SCALE_ROUNDS_MAX], pss[SCALE_ROUNDS_MAX];
		double ch[SCALE_ROUNDS_MAX];
		for (int k = 0; k < n; k++) {
			rss[k] = r->task_rss_b[i][k] / 1024;
			pss[k] = r->task_pss_b[i][k] / 1024;
			ch[k] = r->task_chan_b[i][k] / 1024;
		}
		fprintf(f, "| %u |", sizes[i]);
		cell(f, rss, n);
		fprintf(f, " %.2f |", med(r->task_rss_b[i], n) /
		                      med(r->task_rss_b[0], n));
		cell(f, pss, n);
		cell(f, ch, n);
		fputc('\n', f);
	}
	fputc('\n', f);
}

static void bars(FILE *f, const struct scale_results *r, int n,
                 const struct scale_opts *o)
{
	double rpc = med(r->rpc_rate[SCALE_NCLIENTS - 1], n) /
	             med(r->rpc_rate[0], n);
	int pi = SCALE_NPORTS - 1;
	while (pi > 0 && ((const uint32_t[])SCALE_PORT_SIZES)[pi] > o->max_ports)
		pi--;
	double port = med(r->port_rss_b[pi], n);
	double task = med(r->task_rss_b[SCALE_NTASKS - 1], n) / 1024;
	double cpu = med(r->idle_cpu_pct, n);
	fprintf(f, "## Against the bars of issue #6\n\n"
	        "| figure | bar | measured | met |\n|---|---|---|---|\n");
	fprintf(f, "| 64 clients, aggregate | ≥ 0.8× 1 client | %.2f× | %s |\n",
	        rpc, rpc >= 0.8 ? "yes" : "no");
	fprintf(f, "| memory per port (largest S, Rss) | ≤ 256 B | %.0f B "
	        "| %s |\n", port, port <= 256 ? "yes" : "no");
	fprintf(f, "| memory per idle task (256, no channel) | ≤ 128 KiB "
	        "| %.1f KiB | %s |\n", task, task <= 128 ? "yes" : "no");
	fprintf(f, "| umachd CPU, %d idle tasks, %.3g s: utime+stime "
	        "(%% of one CPU) | < 1 %% |", SCALE_IDLE_TASKS, o->idle_s);
	cell(f, r->idle_cpu_pct, n);
	fprintf(f, " %s |\n", cpu < 1 ? "yes" : "no");
	fprintf(f, "| the same from /proc/PID/schedstat (ns resolution) "
	        "| < 1 %% |");
	cell(f, r->idle_run_pct, n);
	fprintf(f, " %s |\n", med(r->idle_run_pct, n) < 1 ? "yes" : "no");
}

/* One line of the growth summary: a cost per unit at the smallest and
 * the largest size.  Within 0.5-2x over the whole range is read as flat,
 * O(1) per unit; anything else is reported as growing, for a reader. */
static void growth(FILE *f, const char *what, const char *unit,
                   double lo_size, double hi_size, double lo, double hi)
{
	double ratio = lo > 0 ? hi / lo : 0;
	fprintf(f, "| %s | %.0f → %.0f %s (%.0f×) | %.2f× | %s |\n", what,
	        lo_size, hi_size, unit, hi_size / lo_size, ratio,
	        ratio >= 0.5 && ratio <= 2 ? "flat: O(1) per unit"
	                                   : "not flat: see the table");
}

static void growth_table(FILE *f, const struct scale_results *r, int n,
                         const struct scale_opts *o)
{
	static const uint32_t cs[] = SCALE_CLIENT_SIZES;
	static const uint32_t ps[] = SCALE_PORT_SIZES;
	static const uint32_t ts[] = SCALE_TASK_SIZES;
	int c = SCALE_NCLIENTS - 1, p = SCALE_NPORTS - 1, t = SCALE_NTASKS - 1;
	while (p > 0 && ps[p] > o->max_ports)
		p--;
	fprintf(f, "## Growth, largest size ÷ smallest\n\n"
	        "| cost | sizes | cost ratio | reading |\n"
	        "|---|---|---|---|\n");
	growth(f, "aggregate RPC/s (per server)", "clients", cs[0], cs[c],
	       med(r->rpc_rate[0], n), med(r->rpc_rate[c], n));
	growth(f, "ns per port_allocate", "ports", ps[0], ps[p],
	       med(r->alloc_ns[0], n), med(r->alloc_ns[p], n));
	growth(f, "ns per port_type", "ports", ps[0], ps[p],
	       med(r->lookup_ns[0], n), med(r->lookup_ns[p], n));
	growth(f, "bytes per port", "ports", ps[0], ps[p],
	       med(r->port_rss_b[0], n), med(r->port_rss_b[p], n));
	growth(f, "bytes per idle task", "tasks", ts[0], ts[t],
	       med(r->task_rss_b[0], n), med(r->task_rss_b[t], n));
	fputc('\n', f);
}

static void report(FILE *f, const struct scale_results *r,
                   const struct scale_opts *o)
{
	rpc_table(f, r, o->rounds, o->rpc_s);
	port_table(f, r, o->rounds, o);
	task_table(f, r, o->rounds);
	growth_table(f, r, o->rounds, o);
	bars(f, r, o->rounds, o);
}

static double env_num(const char *name, double dflt, double lo, double hi)
{
	const char *e = getenv(name);
	char *end;
	if (!e || !*e)
		return dflt;
	double v = strtod(e, &end);
	if (*end || v < lo || v > hi) {
		fprintf(stderr, "bench-scale: %s=%s: not a number in "
		        "[%g, %g]\n", name, e, lo, hi);
		exit(2);
	}
	return v;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: scale [--quick] [--out FILE] [--commit ID]\n"
	        "  env: SCALE_ROUNDS (3), SCALE_RPC_S (1), SCALE_LOOKUPS "
	        "(100000), SCALE_IDLE_S (10)\n");
}

/*
 * libumach attaches every process that links it before main, to the
 * default kernel if one runs there (another engineer's, say).  The driver
 * must not be a task of a kernel it did not start, so it runs itself again
 * with $UMACH_SOCKET pointing nowhere; its children attach to the private
 * kernels at their first call.
 */
#define NO_KERNEL "/nonexistent/umach-bench-scale-driver"

static void leave_default_kernel(char **argv)
{
	const char *e = getenv("UMACH_SOCKET");
	if (e && strcmp(e, NO_KERNEL) == 0)
		return;
	setenv("UMACH_SOCKET", NO_KERNEL, 1);
	execv("/proc/self/exe", argv);
	perror("bench-scale: re-exec");
	exit(1);
}

static void load_avg(double *out)
{
	FILE *f = fopen("/proc/loadavg", "r");
	*out = 0;
	if (f) {
		if (fscanf(f, "%lf", out) != 1)
			*out = 0;
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	struct scale_opts o = {3, 1.0, 100000, 10.0, 1000000};
	const char *out = NULL, *commit = "unknown";
	int quick = 0;
	leave_default_kernel(argv);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = 1;
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strncmp(argv[i], "--commit=", 9) == 0)
			commit = argv[i] + 9;
		else if (strcmp(argv[i], "--commit") == 0 && i + 1 < argc)
			commit = argv[++i];
		else {
			usage(strcmp(argv[i], "--help") ? stderr : stdout);
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	if (quick)
		o = (struct scale_opts){1, 0.2, 10000, 1.0, 100000};
	o.rounds = (int)env_num("SCALE_ROUNDS", o.rounds, 1, SCALE_ROUNDS_MAX);
	o.rpc_s = env_num("SCALE_RPC_S", o.rpc_s, 0.05, 60);
	o.lookups = (uint32_t)env_num("SCALE_LOOKUPS", o.lookups, 1, 1e7);
	o.idle_s = env_num("SCALE_IDLE_S", o.idle_s, 0.1, 600);

	static struct scale_results res;
	struct bench_cpu c0, c1;
	double load[2];
	scale_signals_init();
	t_start = scale_now();
	load_avg(&load[0]);
	bench_cpu_snapshot(&c0);
	int st = scale_rpc(&o, &res);
	if (st == 0)
		st = scale_ports(&o, &res);
	if (st == 0)
		st = scale_tasks(&o, &res);
	if (st == 0)
		st = scale_idle(&o, &res);
	scale_cleanup();
	if (st < 0) {
		fprintf(stderr, "bench-scale: failed; no report written\n");
		return 1;
	}
	bench_cpu_snapshot(&c1);
	load_avg(&load[1]);
	header(stdout, commit, scale_now() - t_start, &c0, &c1, load);
	report(stdout, &res, &o);
	FILE *f = out ? fopen(out, "w") : NULL;
	if (out && !f) {
		perror(out);
		return 1;
	}
	if (f) {
		header(f, commit, scale_now() - t_start, &c0, &c1, load);
		report(f, &res, &o);
		fclose(f);
		fprintf(stderr, "bench-scale: wrote %s\n", out);
	}
	return 0;
}
