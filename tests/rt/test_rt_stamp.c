/* The worker's TSC stamps: CLOCK_MONOTONIC ns, within a bracket of clock_gettime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_stamp.h"

#include <stdio.h>

#define MS 1000000ull
#define TOL_NS 2000ull /* nominal ±15 ns; generous for sanitizer builds on a busy VM */

static void test_stamps_are_clock_gettime_until_a_rate_is_known(void **state)
{
	(void)state;
	struct rt_stamp s;
	rt_stamp_init(&s);
	assert_int_equal(s.mult, 0);
	uint64_t a = rt_clock_now_ns();
	uint64_t t = rt_stamp_now(&s);
	uint64_t b = rt_clock_now_ns();
	assert_true(a <= t && t <= b);
}

static void test_stamps_follow_clock_monotonic_once_the_rate_is_known(void **state)
{
	(void)state;
	struct rt_stamp s;
	rt_stamp_init(&s);
	uint64_t end = rt_clock_now_ns() + 400 * MS;
	while (rt_clock_now_ns() < end) {
		rt_clock_sleep_ns(2 * MS);
		rt_stamp_sync(&s);
	}
#if defined(__x86_64__) || defined(__i386__)
	if (!s.off) /* the kernel's clocksource is the TSC */
		assert_true(s.mult > 0);
#endif
	uint64_t worst = 0, prev = 0;
	for (int i = 0; i < 2000; i++) {
		if (i % 100 == 0)
			rt_stamp_sync(&s);
		uint64_t a = rt_clock_now_ns();
		uint64_t t = rt_stamp_now(&s);
		uint64_t b = rt_clock_now_ns();
		uint64_t off = t < a ? a - t : t > b ? t - b : 0;
		if (off > worst)
			worst = off;
		if (i % 100) /* between two syncs, stamps never go back */
			assert_true(t >= prev);
		prev = t;
	}
	if (worst > TOL_NS)
		fail_msg("a stamp was %llu ns outside its clock_gettime bracket",
			 (unsigned long long)worst);
}

static void test_a_stale_pair_is_not_extrapolated(void **state)
{
	(void)state;
	struct rt_stamp s;
	rt_stamp_init(&s);
	uint64_t end = rt_clock_now_ns() + 300 * MS;
	while (rt_clock_now_ns() < end) {
		rt_clock_sleep_ns(5 * MS);
		rt_stamp_sync(&s);
	}
	rt_clock_sleep_ns(20 * MS); /* older than 10 ms: clock_gettime itself */
	uint64_t a = rt_clock_now_ns();
	uint64_t t = rt_stamp_now(&s);
	uint64_t b = rt_clock_now_ns();
	assert_true(a <= t && t <= b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stamps_are_clock_gettime_until_a_rate_is_known),
		cmocka_unit_test(test_stamps_follow_clock_monotonic_once_the_rate_is_known),
		cmocka_unit_test(test_a_stale_pair_is_not_extrapolated),
	};
	return cmocka_run_group_tests_name("rt_stamp", tests, NULL, NULL);
}
