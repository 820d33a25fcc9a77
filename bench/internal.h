/*
 * internal.h: what driver.c, report.c and support.c share and peers do not
 * see: the per-row results, the report writers and the driver-side half of
 * support.c (who is running, sysctl restore, notes).
 */
#ifndef BENCH_INTERNAL_H
#define BENCH_INTERNAL_H

#include <stdio.h>

#include "driver.h"

#define BENCH_MAX_ROUNDS 9
#define BENCH_MAX_NOTES 16

enum bench_place { BENCH_UNPINNED, BENCH_SAME_CPU, BENCH_SPLIT_CPUS };

/* One figure measured once per round. */
struct bench_cell {
	double run[BENCH_MAX_ROUNDS];
	int runs;
};

/* One row of the table: a peer at one placement.  Written by driver.c while
 * measuring, read by report.c afterwards. */
struct bench_row {
	const struct bench_peer *peer;
	enum bench_place place;
	unsigned tests;               /* BENCH_TEST_BIT()s measured here */
	char name[128];               /* label plus placement suffix */
	char slug[64];                /* slug plus placement, for file names */
	struct bench_cell rtt_median_us, rtt_p99_us;
	struct bench_cell oneway_msg_per_s, bw_mib_per_s;
	double *rtt_pool_us;          /* every run's samples, run after run */
	size_t rtt_per_run;           /* samples per run in rtt_pool_us */
	int skipped;                  /* setup said BENCH_SKIP */
};

/* What the report's header says about the run. */
struct bench_meta {
	char date[32], commit[64], cpu[96], kernel[72];
	long cpus;
	int rounds;
	unsigned long rtt_warm, rtt_n, oneway_warm, oneway_n, bw_warm, bw_n;
	double seconds;               /* wall time of the whole run */
	double clock_ns, syscall_ns;  /* clock_gettime, getppid: ns per call */
	double others_pct, steal_pct; /* CPU used by other processes, stolen
	                               * by the host: % of all CPUs' time */
};

/* driver.c */
/* Prepare signal handling; call once, first. */
void bench_driver_init(void);
/* Run one measurement of `test` for `row`: warm_n untimed messages then n
 * timed ones, and store its figure in the row.  Blocks for its duration.
 * BENCH_SKIP if the peer's setup skipped; BENCH_ERR after a message. */
enum bench_status bench_measure(struct bench_row *row, enum bench_test test,
                                uint64_t warm_n, uint64_t n);
/* End whatever is still running and restore sysctls; idempotent. */
void bench_driver_fini(void);

/* report.c */
/* The q-quantile (0..1) of n ascending values, interpolated; 0 if n = 0. */
double bench_sorted_quantile(const double *sorted, size_t n, double q);
/* Record one run's median and p99 from its row->rtt_per_run samples
 * (which stay in place, unsorted, in row->rtt_pool_us).  Out of memory or
 * rounds: the run is dropped from the cells, silently. */
void bench_rtt_run_done(struct bench_row *row, const double *samples_us);
/* Write the header, the table and the notes as Markdown to out. */
void bench_report_write(FILE *out, const struct bench_row *rows, int nrows,
                        const struct bench_meta *meta);
/* Write <dir>/rtt-<row slug>.dat for every row with RTT samples; the
 * directory must exist.  0, or -1 after perror on the first failure. */
int bench_report_write_dat(const char *dir, const struct bench_row *rows,
                           int nrows);

/* support.c */
/* CPU time so far: all CPUs busy, stolen by the host, and used by this
 * process and its reaped children; seconds.  For the report's noise line. */
struct bench_cpu {
	double busy_s, steal_s, ours_s, wall_s;
};
void bench_cpu_snapshot(struct bench_cpu *out);
/* Name the row bench_error() prefixes; slug must outlive its use. */
void bench_set_current(const char *slug);
/* Put back every sysctl bench_sysctl_raise changed, newest first; safe to
 * call twice and from a signal handler. */
void bench_sysctl_restore(void);
/* The notes bench_note() collected, 0 <= i < bench_note_count(). */
int bench_note_count(void);
const char *bench_note_get(int i);

#endif
