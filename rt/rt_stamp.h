/*
 * rt_stamp.h — cheap stage stamps from the TSC, in the time base every process stamps
 * in: CLOCK_MONOTONIC ns (the protocol worker's worker-read and publish stamps; any
 * hot path that must stamp without a clock_gettime).
 *
 * clock_gettime(CLOCK_MONOTONIC) costs ~31 ns on the project's VMs (the vDSO's ordered
 * TSC read), a plain RDTSC ~13 ns; the worker takes a stamp on the quote-to-event path
 * before it may publish. The mapping: ns = ns0 + (tsc - tsc0) × rate, where
 * (tsc0, ns0) is a (warm) clock_gettime call bracketed by two TSC reads (tsc0 = the middle;
 * a bracket 4× wider than the narrowest seen was interrupted and is not used), taken
 * by rt_stamp_sync off the hot path (the worker calls it where it writes its
 * heartbeat), and the rate is measured against CLOCK_MONOTONIC itself over the last
 * 0.25-2.5 s, so it follows the kernel's (NTP) rate. Error against clock_gettime:
 * half the bracket (~15 ns here) plus rate error × age of the pair (≤ 1 ns). Until a
 * rate is known (0.25 s after init), without a TSC, or when the pair is older than
 * 10 ms (the worker slept), or when the kernel's clocksource is not the TSC (it
 * trusts it invariant and synchronized across CPUs only then), a stamp is
 * clock_gettime itself.
 *
 * Single-threaded: one struct per worker, not shared.
 */
#ifndef RT_STAMP_H
#define RT_STAMP_H

#include "rt/rt_clock.h"

#include <stdint.h>

struct rt_stamp {
	uint64_t tsc0, ns0; /* the last sync pair */
	uint64_t mult; /* ns per tick, 32.32 fixed point; 0 = not known yet */
	uint64_t max_ticks; /* beyond this from tsc0, stamps fall back to clock_gettime */
	uint64_t rtsc, rns; /* where the rate is measured from */
	uint64_t bracket; /* the narrowest TSC bracket of a clock_gettime seen, ticks */
	int off; /* the kernel's clocksource is not the TSC: always clock_gettime */
};

/* Start with clock_gettime stamps; syncs learn the rate (cold: reads the kernel's
 * clocksource name from sysfs). */
void rt_stamp_init(struct rt_stamp *s);

/* Take a fresh pair (two clock_gettime, ~90 ns); update the rate. Returns the
 * CLOCK_MONOTONIC ns it read. */
uint64_t rt_stamp_sync(struct rt_stamp *s);

/* Hot path: now, CLOCK_MONOTONIC ns. No syscall, no ordering fence. */
static inline uint64_t rt_stamp_now(const struct rt_stamp *s)
{
	uint64_t d = rt_tsc_read() - s->tsc0;
	if (s->mult == 0 || d > s->max_ticks)
		return rt_clock_now_ns();
	return s->ns0 + ((d * s->mult) >> 32);
}

#endif
