/*
 * report.c: turns the rows' per-run figures into the Markdown table of
 * docs/PERFORMANCE.md -- every cell "median [min–max]" over the runs, RTT
 * p99 pooled over all runs, ratio columns against the pipe (and D-Bus for
 * RTT) at the same placement -- and writes each row's raw RTT samples to
 * <dir>/rtt-<placement>-<slug>.dat for bench/rtt.gp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Linear interpolation between the order statistics around q*(n-1). */
double bench_sorted_quantile(const double *sorted, size_t n, double q)
{
	if (n == 0)
		return 0.0;
	double pos = q * (double)(n - 1);
	size_t lo = (size_t)pos;
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + (pos - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

static void sort_copy(double *dst, const double *src, size_t n)
{
	memcpy(dst, src, n * sizeof *dst);
	qsort(dst, n, sizeof *dst, cmp_double);
}

void bench_rtt_run_done(struct bench_row *row, const double *samples_us)
{
	size_t n = row->rtt_per_run;
	double *sorted = malloc(n * sizeof *sorted);
	int r = row->rtt_median_us.runs;
	if (!sorted || r >= BENCH_MAX_ROUNDS) {
		free(sorted);
		return;
	}
	sort_copy(sorted, samples_us, n);
	row->rtt_median_us.run[r] = bench_sorted_quantile(sorted, n, 0.5);
	row->rtt_p99_us.run[r] = bench_sorted_quantile(sorted, n, 0.99);
	row->rtt_median_us.runs = row->rtt_p99_us.runs = r + 1;
	free(sorted);
}

struct spread {
	double median, min, max;
	int ok;
};

static struct spread cell_spread(const struct bench_cell *c)
{
	double v[BENCH_MAX_ROUNDS];
	struct spread s = {0};
	if (c->runs == 0)
		return s;
	sort_copy(v, c->run, (size_t)c->runs);
	s.median = bench_sorted_quantile(v, (size_t)c->runs, 0.5);
	s.min = v[0];
	s.max = v[c->runs - 1];
	s.ok = 1;
	return s;
}

enum unit { UNIT_US, UNIT_RATE, UNIT_MIB };

static void fmt_value(char *out, size_t size, double v, enum unit unit)
{
	if (unit == UNIT_RATE && v >= 1e6)
		snprintf(out, size, "%.2f M", v / 1e6);
	else if (unit == UNIT_RATE && v >= 1e3)
		snprintf(out, size, "%.0f k", v / 1e3);
	else if (unit == UNIT_MIB || v >= 1000)
		snprintf(out, size, "%.0f", v);
	else if (v >= 10)
		snprintf(out, size, "%.1f", v);
	else
		snprintf(out, size, "%.2f", v);
}

/* "median [min–max]", or "–" when not measured. */
static void fmt_cell(char *out, size_t size, const struct bench_cell *c,
                     enum unit unit)
{
	char a[32], b[32], m[32];
	struct spread s = cell_spread(c);
	if (!s.ok) {
		snprintf(out, size, "–");
		return;
	}
	fmt_value(m, sizeof m, s.median, unit);
	fmt_value(a, sizeof a, s.min, unit);
	fmt_value(b, sizeof b, s.max, unit);
	snprintf(out, size, "%s [%s–%s]", m, a, b);
}

/* The pooled p99 with the per-run p99s' range. */
static void fmt_p99(char *out, size_t size, const struct bench_row *row)
{
	size_t n = row->rtt_per_run * (size_t)row->rtt_p99_us.runs;
	struct spread s = cell_spread(&row->rtt_p99_us);
	double *sorted = n ? malloc(n * sizeof *sorted) : NULL;
	char a[32], b[32], m[32];
	if (!s.ok || !sorted) {
		free(sorted);
		snprintf(out, size, "–");
		return;
	}
	sort_copy(sorted, row->rtt_pool_us, n);
	fmt_value(m, sizeof m, bench_sorted_quantile(sorted, n, 0.99), UNIT_US);
	fmt_value(a, sizeof a, s.min, UNIT_US);
	fmt_value(b, sizeof b, s.max, UNIT_US);
	snprintf(out, size, "%s [%s–%s]", m, a, b);
	free(sorted);
}

/* The row of peer `slug` at the same placement as `row`, or NULL. */
static const struct bench_row *reference(const struct bench_row *rows,
                                         int nrows, const char *slug,
                                         const struct bench_row *row)
{
	for (int i = 0; i < nrows; i++)
		if (rows[i].place == row->place &&
		    strcmp(rows[i].peer->slug, slug) == 0)
			return &rows[i];
	return NULL;
}

/* Medians' ratio row ÷ ref, or "–" when either is missing. */
static void fmt_ratio(char *out, size_t size, const struct bench_cell *row,
                      const struct bench_cell *ref)
{
	struct spread a = cell_spread(row), b = {0};
	if (ref)
		b = cell_spread(ref);
	if (!a.ok || !b.ok || b.median <= 0)
		snprintf(out, size, "–");
	else
		snprintf(out, size, "%.2f", a.median / b.median);
}

static void write_row(FILE *out, const struct bench_row *rows, int nrows,
                      const struct bench_row *row)
{
	const struct bench_row *pipe = reference(rows, nrows, "pipe", row);
	const struct bench_row *dbus = reference(rows, nrows, "dbus", row);
	char rtt[128], p99[128], ow[128], bw[128];
	char r1[16], r2[16], r3[16], r4[16];
	fmt_cell(rtt, sizeof rtt, &row->rtt_median_us, UNIT_US);
	fmt_p99(p99, sizeof p99, row);
	fmt_cell(ow, sizeof ow, &row->oneway_msg_per_s, UNIT_RATE);
	fmt_cell(bw, sizeof bw, &row->bw_mib_per_s, UNIT_MIB);
	fmt_ratio(r1, sizeof r1, &row->rtt_median_us,
	          pipe ? &pipe->rtt_median_us : NULL);
	fmt_ratio(r2, sizeof r2, &row->rtt_median_us,
	          dbus ? &dbus->rtt_median_us : NULL);
	fmt_ratio(r3, sizeof r3, &row->oneway_msg_per_s,
	          pipe ? &pipe->oneway_msg_per_s : NULL);
	fmt_ratio(r4, sizeof r4, &row->bw_mib_per_s,
	          pipe ? &pipe->bw_mib_per_s : NULL);
	fprintf(out, "| %s%s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
	        row->name, row->skipped ? " (skipped)" : "", rtt, r1, r2, p99,
	        ow, r3, bw, r4);
}

static void write_header(FILE *out, const struct bench_meta *m)
{
	fprintf(out, "# IPC peers measured by `make bench`\n\n");
	fprintf(out, "- **Date:** %s; **commit:** %s; whole run %.0f s.\n",
	        m->date, m->commit, m->seconds);
	fprintf(out, "- **Noise:** other processes used %.0f %% of the "
	        "machine's CPU time during the run, and the host stole %.1f %%."
	        "\n", m->others_pct, m->steal_pct);
	fprintf(out, "- **Machine:** %ld CPUs, %s, kernel %s; "
	        "clock_gettime %.1f ns, trivial system call (getppid) %.0f ns."
	        "\n", m->cpus, m->cpu, m->kernel, m->clock_ns, m->syscall_ns);
	fprintf(out, "- **Per run:** RTT %lu warm-up + %lu timed round trips of"
	        " 64 B + 64 B; one-way %lu + %lu messages of 64 B; bandwidth"
	        " %lu + %lu messages of 1 MiB.\n", m->rtt_warm, m->rtt_n,
	        m->oneway_warm, m->oneway_n, m->bw_warm, m->bw_n);
	fprintf(out, "- **%d interleaved rounds.** Each cell is the median "
	        "[min–max] of the %d runs. RTT p99 is pooled over all %lu"
	        " round trips; its [min–max] is that of the per-run p99s.\n",
	        m->rounds, m->rounds, m->rtt_n * (unsigned long)m->rounds);
	fprintf(out, "- **Ratios** divide medians by the pipe's (and, for RTT,"
	        " D-Bus's) at the same placement: for RTT above 1 is slower,"
	        " for rates above 1 is faster.\n\n");
}

void bench_report_write(FILE *out, const struct bench_row *rows, int nrows,
                        const struct bench_meta *meta)
{
	write_header(out, meta);
	fprintf(out, "| Peer | RTT median (µs) | ÷ pipe | ÷ D-Bus "
	        "| RTT p99 (µs), pooled | One-way 64 B (msg/s) | × pipe "
	        "| 1 MiB messages (MiB/s) | × pipe |\n");
	fprintf(out, "|---|---|---|---|---|---|---|---|---|\n");
	for (int i = 0; i < nrows; i++)
		write_row(out, rows, nrows, &rows[i]);
	if (bench_note_count() > 0)
		fprintf(out, "\nNotes:\n");
	for (int i = 0; i < bench_note_count(); i++)
		fprintf(out, "- %s\n", bench_note_get(i));
}

int bench_report_write_dat(const char *dir, const struct bench_row *rows,
                           int nrows)
{
	char path[512];
	for (int i = 0; i < nrows; i++) {
		const struct bench_row *row = &rows[i];
		size_t n = row->rtt_per_run * (size_t)row->rtt_median_us.runs;
		if (n == 0)
			continue;
		snprintf(path, sizeof path, "%s/rtt-%s.dat", dir, row->slug);
		FILE *f = fopen(path, "w");
		if (!f) {
			perror(path);
			return -1;
		}
		fprintf(f, "# %s\n# run rtt_us\n", row->name);
		for (size_t k = 0; k < n; k++)
			fprintf(f, "%zu %.3f\n", k / row->rtt_per_run + 1,
			        row->rtt_pool_us[k]);
		if (fclose(f) != 0)
			return -1;
	}
	return 0;
}
