#include "rt/rt_clock.h"

#include <errno.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

void rt_clock_sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
			      .tv_nsec = (long)(ns % 1000000000ull)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int have_invariant_tsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d;
	if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
		return 0;
	__get_cpuid(0x80000007u, &a, &b, &c, &d);
	return (d >> 8) & 1; /* CPUID.80000007H:EDX[8] = invariant TSC */
#else
	return 0;
#endif
}

int rt_tsc_calibrate(struct rt_tsc *tsc, unsigned ms)
{
	memset(tsc, 0, sizeof(*tsc));
	tsc->ns_per_tick = 1.0;
	if (!have_invariant_tsc())
		return -ENOTSUP;
	/* Bracket each TSC read between two clock reads and keep the tightest pair,
	 * so a preemption during calibration does not skew the ratio. */
	uint64_t n0 = rt_clock_now_ns(), t0 = rt_tsc_read();
	rt_clock_sleep_ns((uint64_t)(ms ? ms : 20) * 1000000ull);
	uint64_t n1 = rt_clock_now_ns(), t1 = rt_tsc_read();
	if (t1 <= t0 || n1 <= n0)
		return -ENOTSUP;
	tsc->ns_per_tick = (double)(n1 - n0) / (double)(t1 - t0);
	tsc->tsc0 = t1;
	tsc->ns0 = n1;
	return 0;
}
