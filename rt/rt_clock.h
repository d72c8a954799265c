/*
 * rt_clock.h — monotonic nanosecond clock, optionally TSC-calibrated.
 *
 * rt_clock_now_ns() reads CLOCK_MONOTONIC through the vDSO (no syscall on x86-64
 * Linux). rt_tsc_* read the invariant TSC directly for benchmarks that want fewer
 * nanoseconds of overhead; calibrate once at start-up (cold, sleeps ~20 ms).
 * Monotonic time is comparable across processes on the same host.
 */
#ifndef RT_CLOCK_H
#define RT_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t rt_clock_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Wall clock (CLOCK_REALTIME) in ns since the Unix epoch. */
static inline uint64_t rt_clock_wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t rt_tsc_read(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return rt_clock_now_ns();
#endif
}

struct rt_tsc {
	double ns_per_tick; /* 1.0 when no TSC is used */
	uint64_t tsc0;
	uint64_t ns0;
};

/* Measure the TSC frequency against CLOCK_MONOTONIC over ~ms milliseconds.
 * Returns 0, or -ENOTSUP when the CPU has no invariant TSC (then ticks are ns). */
int rt_tsc_calibrate(struct rt_tsc *tsc, unsigned ms);

static inline uint64_t rt_tsc_to_ns(const struct rt_tsc *tsc, uint64_t ticks)
{
	return (uint64_t)((double)ticks * tsc->ns_per_tick);
}

/* Sleep for ns nanoseconds (cold path; nanosleep, restarts on EINTR). */
void rt_clock_sleep_ns(uint64_t ns);

#endif
