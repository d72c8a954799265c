/*
 * bench_report.h — what every alluse-bench subcommand shares: its options, the
 * list of benchmarks, and the report (the stdout table and the JSON document of
 * docs/bench.md and /work/shared/BENCH.md).
 *
 * A report is caller-owned storage holding fixed arrays (no allocation): rows in the
 * order they were measured, then checks (a target and whether this run met it).
 * Latency rows carry percentiles in ns and ratio_p50 against the report's baseline
 * row (the same run's `c2c`); throughput rows carry per_s and, optionally, a ratio
 * against another row named by ratio_vs.
 */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include "rt/rt_err.h"
#include "rt/rt_hist.h"

#include <stdint.h>
#include <stdio.h>

#define BENCH_LABEL_MAX 40
#define BENCH_MAX_ROWS 32
#define BENCH_MAX_CHECKS 16
#define BENCH_CHECK_TEXT_MAX 96
#define BENCH_MAX_ROUNDS 16

/* Options common to every benchmark (parsed by bench_main.c). */
struct bench_opts {
	const char *json_path; /* NULL: no JSON document */
	int cpus[2]; /* the two CPUs the measuring processes are pinned to */
	uint64_t samples; /* latency samples per spin row (0: the bench's default) */
	int quick; /* smoke-test sizes */
};

/*
 * The benchmarks, one line each: X(name, summary). Each is implemented by
 * `int bench_<name>_run(const struct bench_opts *)` in bench/bench_<name>.c, which
 * returns a process exit code (0 ok, 1 failure, 77 cannot run on this machine).
 * Adding a benchmark is adding its line here; `alluse-bench all` runs them in order.
 */
#define BENCH_LIST(X)                                                                              \
	X(ring, "cross-process SPSC ring vs c2c, ck_ring, pipe, socket, eventfd")                  \
	X(feed, "quotes from each feed source into the board and the workers' rings")              \
	X(e2e, "feeder -> pinned worker over a real segment: quote to event, cadence")             \
	X(audit, "audit journal append, PostgreSQL COPY shipping vs per-row INSERT")

#define BENCH_DECLARE_(name, summary) int bench_##name##_run(const struct bench_opts *opts);
BENCH_LIST(BENCH_DECLARE_)

struct bench_host {
	char cpu[128]; /* "model name" from /proc/cpuinfo */
	int cpus_used[2];
	const char *idle; /* "spin" or "block" */
	double tsc_step_ns; /* smallest step the timestamp counter advances by (0: unknown) */
};

struct bench_row {
	char label[BENCH_LABEL_MAX];
	uint64_t samples;
	int latency; /* 1: the *_ns fields and ratio_p50 apply */
	uint64_t p50_ns, p99_ns, p999_ns, p9999_ns, max_ns;
	double mean_ns;
	int throughput; /* 1: per_s applies */
	double per_s;
	char ratio_vs[BENCH_LABEL_MAX]; /* throughput: compared with that row ("" none) */
	double ratio; /* set: the ratio to show (e.g. a median of per-round ratios);
	               * 0: per_s / per_s of ratio_vs */
	uint32_t nrounds; /* throughput measured in rounds: the rate of each */
	double round_per_s[BENCH_MAX_ROUNDS];
	const char *note; /* short remark printed after the row, or NULL */
	/* disturbance while it ran: involuntary context switches of the measuring
	 * processes, and hypervisor steal time on their CPUs (-1: not measured) */
	int64_t preempted;
	double steal_ms;
	double cpu_share; /* the lower of the two sides' CPU time / wall time (-1: unknown) */
	int spin; /* busy-spin row: cpu_share well below 1 means it was disturbed */
};

/* A busy-spin row whose processes held their CPUs less than this was disturbed. */
#define BENCH_MIN_CPU_SHARE 0.97

struct bench_check {
	char what[BENCH_CHECK_TEXT_MAX]; /* "ring p50 <= 1.5x c2c p50" */
	double value; /* measured ratio or rate */
	double limit; /* the target it is compared with */
	int higher_is_better; /* 1: met when value >= limit */
	int stretch; /* 1: a stretch goal, not a requirement */
	int disturbed; /* 1: computed from a disturbed row */
};

struct bench_report {
	const char *bench; /* "ring" */
	const char *baseline; /* label of the ratio_p50 baseline row, "c2c" */
	struct bench_host host;
	uint64_t wall_ns; /* when the run started (ns since the epoch) */
	uint32_t nrows, nchecks;
	struct bench_row rows[BENCH_MAX_ROWS];
	struct bench_check checks[BENCH_MAX_CHECKS];
};

/* Start an empty report; reads the CPU model from /proc/cpuinfo ("unknown" if absent). */
void bench_report_init(struct bench_report *r, const char *bench, const char *baseline,
		       const int cpus[2], const char *idle);

/* Append a latency row from a histogram of one-way ns. NULL when the table is full. */
struct bench_row *bench_report_add_latency(struct bench_report *r, const char *label,
					   const struct rt_hist *h);
/* Append a throughput row: `count` items in `secs` seconds. NULL when full. */
struct bench_row *bench_report_add_rate(struct bench_report *r, const char *label, uint64_t count,
					double secs, const char *ratio_vs);

/* The row with that label, or NULL. */
const struct bench_row *bench_report_find(const struct bench_report *r, const char *label);
/* p50 of label over p50 of the baseline (0 when either is missing). */
double bench_report_ratio_p50(const struct bench_report *r, const char *label);
/* The row's ratio if set, else per_s of label over per_s of other (0 when either is
 * missing). */
double bench_report_ratio_rate(const struct bench_report *r, const char *label, const char *other);

/* Is this a busy-spin row whose processes did not hold their CPUs (see cpu_share)? */
int bench_row_disturbed(const struct bench_row *row);

/* Record a target computed from rows a and b (b may be NULL); it is marked disturbed
 * when either row was. Returns whether value meets it. */
int bench_report_check(struct bench_report *r, const char *what, double value, double limit,
		       int higher_is_better, int stretch, const struct bench_row *a,
		       const struct bench_row *b);

/* The human-readable table, then the checks. */
void bench_report_print(const struct bench_report *r, FILE *out);

/* Write the JSON document to path (atomically: a temporary file renamed over it).
 * 0 or a negative errno with the reason in err. */
int bench_report_write_json(const struct bench_report *r, const char *path, struct rt_err *err);

#endif
