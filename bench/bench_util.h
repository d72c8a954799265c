/*
 * bench_util.h — helpers shared by the alluse-bench subcommands (bench_ring.c,
 * bench_feed.c, bench_e2e.c): the raw cache-line ping-pong (`c2c`, the physical
 * limit every latency row is compared with), disturbance accounting (CPU share,
 * involuntary context switches, hypervisor steal), the TSC resolution, and a
 * process runner that forks pinned children with the safety rules of docs/bench.md
 * (die with the parent, a watchdog each, partners killed when one fails, scratch
 * files removed on SIGINT/SIGTERM/SIGHUP/SIGQUIT).
 *
 * Cold-path helpers except the c2c loops, which are the measurement itself.
 * Nothing here allocates.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include "bench/bench_report.h"
#include "rt/rt_clock.h"
#include "rt/rt_hist.h"

#include <stdint.h>
#include <time.h>

/* ---- c2c: raw cache-line ping-pong -------------------------------------------------- */

/* One-way ns of a round trip of `ticks` TSC ticks, rounded. */
static inline uint64_t bench_one_way_ns(const struct rt_tsc *tsc, uint64_t ticks)
{
	return (uint64_t)((double)ticks * tsc->ns_per_tick * 0.5 + 0.5);
}

/*
 * Side A of c2c: `out` and `in` are two u64 words on different cache lines (128 bytes
 * apart: pad by writer), one per direction. A release-stores v, B acquire-spins until
 * it sees v and release-stores v back. Values run from `first` for warm + n round
 * trips (B must be told the same first and warm + n); the n measured ones go into h as
 * one-way ns (round trip / 2, timed with the TSC). Returns the next unused value, so
 * two processes can run several c2c rounds over the same words.
 */
uint64_t bench_c2c_ping(uint64_t *out, const uint64_t *in, uint64_t first, uint64_t warm,
			uint64_t n, struct rt_hist *h, const struct rt_tsc *tsc);
/* Side B: echo `total` values from `first`. Returns the next unused value. */
uint64_t bench_c2c_pong(const uint64_t *in, uint64_t *out, uint64_t first, uint64_t total);

/* Start barrier of two processes: publish `mine` (release: everything this side set
 * up is visible), then spin until the other side's word is set. The two words must
 * sit on different cache lines. */
void bench_barrier(uint32_t *mine, const uint32_t *theirs);

/* ---- disturbance ------------------------------------------------------------------------ */

/* Hypervisor steal time of one CPU so far, in clock ticks (/proc/stat field 8); -1. */
int64_t bench_steal_ticks(int cpu);
/* ms of steal on two CPUs between two readings of each (-1 when either is unknown). */
double bench_steal_ms(const int64_t before[2], const int64_t after[2]);

/* What one process used over a window: summed into by bench_usage_end. */
struct bench_side {
	int64_t nivcsw; /* involuntary context switches */
	uint64_t cpu_ns; /* CPU time (user + system) */
	uint64_t wall_ns;
};

struct bench_usage {
	struct timespec cpu0;
	uint64_t wall0;
	long nivcsw0;
};

void bench_usage_begin(struct bench_usage *u);
/* Add the window since bench_usage_begin to *acc. */
void bench_usage_end(const struct bench_usage *u, struct bench_side *acc);
/* cpu_ns / wall_ns (0 when nothing was recorded). */
double bench_side_share(const struct bench_side *s);

/* The smallest step the TSC advances by, in ns: the resolution of every TSC-timed
 * latency sample (on EPYC guests ~24 ticks = 10 ns). 0 when unknown. */
double bench_tsc_step_ns(const struct rt_tsc *tsc);

/* ---- processes ------------------------------------------------------------------------- */

/* One child process of a measurement. */
struct bench_proc {
	const char *role; /* "feeder", "consumer", ... (messages) */
	int cpu; /* pinned to it; -1 = not pinned */
	int (*fn)(void *arg); /* the role: returns the child's exit code (0 ok) */
	void *arg;
};

/*
 * Fork every proc: each dies with the parent (PR_SET_PDEATHSIG), gets the default
 * signal dispositions back, arms alarm(watchdog_s), pins itself and runs fn. Wait for
 * all of them. The first that fails (exit status, signal, watchdog) is reported on
 * stderr as "alluse-bench BENCH: WHAT: ROLE: reason" and the others are killed.
 * Returns 0 when every child exited 0, else 1. A child's own message (bench_fail)
 * is printed by the child before it exits.
 */
int bench_procs_run(const char *bench, const char *what, struct bench_proc *procs, int n,
		    unsigned watchdog_s);

/* In a child of bench_procs_run: print "alluse-bench BENCH: WHAT: ROLE: <message>" on
 * stderr and return 1 (the exit code to return from fn). */
/* The two-pinned-CPU, invariant-TSC precondition of a busy-spin bench: 0 (tsc
 * calibrated), or 77 after saying on stderr why `bench` is skipped (`need` names
 * what the two CPUs are for). */
/* The embedded default configuration with instance "bench-<bench>-<pid>" (also
 * copied to instance[0..n)), as the bench's segment takes it. 0, or 1 after saying on
 * stderr why it cannot load. */
struct rt_config;
int bench_config(const char *bench, struct rt_config *cfg, char *instance, size_t n);

int bench_require(const char *bench, const char *need, const struct bench_opts *o,
		  struct rt_tsc *tsc);

int bench_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Remove `path` if the parent dies of SIGINT/SIGTERM/SIGHUP/SIGQUIT (then re-raise).
 * Up to 4 paths; bench_cleanup_forget removes one from the list (not the file). */
void bench_cleanup_add(const char *path);
void bench_cleanup_forget(const char *path);

/* The end of a bench's segment: detach, unlink (a failure said on stderr as
 * "alluse-bench BENCH: remove PATH: why"), forget it for the cleanup, and empty
 * seg_path (nothing to do when it is empty already). */
struct shm_segment;
void bench_segment_remove(const char *bench, struct shm_segment *seg, const char *instance,
			  char *seg_path);

#endif
