#include "rt/rt_stamp.h"

#include <stdio.h>
#include <string.h>

#define RATE_MIN_NS 250000000ull /* a rate measured over less is too coarse */
#define RATE_MAX_NS 2500000000ull /* re-base the rate after this: follow the kernel's */
#define MAX_AGE_NS 10000000ull /* an older pair is not extrapolated (1 ns of error at most) */

/* The kernel keeps CLOCK_MONOTONIC on the TSC only when it trusts it (invariant and
 * synchronized across CPUs): otherwise the mapping is not used. */
static int kernel_uses_tsc(void)
{
	char buf[16] = {0};
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (!f)
		return 0;
	int ok = fgets(buf, sizeof(buf), f) && strcmp(buf, "tsc\n") == 0;
	fclose(f);
	return ok;
}

void rt_stamp_init(struct rt_stamp *s)
{
	memset(s, 0, sizeof(*s));
	s->off = !kernel_uses_tsc();
	rt_stamp_sync(s);
}

uint64_t rt_stamp_sync(struct rt_stamp *s)
{
#if defined(__x86_64__) || defined(__i386__)
	if (s->off)
		return rt_clock_now_ns();
	/* a first call brings the vDSO's code and data into cache: after a sleep the
	 * bracket of a cold call is 10-30x wider */
	(void)rt_clock_now_ns();
	uint64_t a = rt_tsc_read();
	uint64_t n = rt_clock_now_ns();
	uint64_t b = rt_tsc_read();
	/* a bracket wider than 4x the narrowest seen was interrupted: keep the old pair */
	if (b < a || (s->bracket && b - a > 4 * s->bracket))
		return n;
	if (!s->bracket || b - a < s->bracket)
		s->bracket = b - a;
	uint64_t t = a + (b - a) / 2; /* where in [a, b] the vDSO read the TSC: unknown */
	if (!s->rns) {
		s->rtsc = t;
		s->rns = n;
	} else if (n > s->rns + RATE_MIN_NS && t > s->rtsc) {
		uint64_t dn = n - s->rns, dt = t - s->rtsc;
		if (dn < (1ull << 32)) { /* dn << 32 cannot overflow */
			s->mult = (dn << 32) / dt;
			s->max_ticks = s->mult ? (MAX_AGE_NS << 32) / s->mult : 0;
		}
		if (dn > RATE_MAX_NS) {
			s->rtsc = t;
			s->rns = n;
		}
	}
	s->tsc0 = t;
	s->ns0 = n;
	return n;
#else
	(void)s; /* rt_tsc_read is clock_gettime: mult stays 0, stamps are clock_gettime */
	return rt_clock_now_ns();
#endif
}
