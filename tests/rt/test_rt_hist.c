/* rt_hist: bucket layout, percentile precision, clamping, merge, snapshots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_hist.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct rt_hist *hist_new(void)
{
	struct rt_hist *h = aligned_alloc(64, sizeof(*h));
	assert_non_null(h);
	rt_hist_init(h);
	return h;
}

/* The value a nearest-rank percentile must land near: the rank-th smallest. */
static uint64_t rank_of(double pct, uint64_t n)
{
	double r = pct / 100.0 * (double)n;
	uint64_t rank = (uint64_t)r;
	if ((double)rank < r - r * 1e-12)
		rank++;
	return rank < 1 ? 1 : rank;
}

/* got is the highest value equivalent to exact: never below, at most 1/1024 above */
static void assert_within_precision(uint64_t got, uint64_t exact)
{
	if (got < exact || got - exact > exact / 1024) {
		print_error("got %llu, exact %llu\n", (unsigned long long)got,
			    (unsigned long long)exact);
		fail();
	}
}

static void test_hist_init_is_empty_and_stamps_layout(void **state)
{
	(void)state;
	struct rt_hist *h = hist_new();
	assert_int_equal(h->count, 0);
	assert_true(h->min == UINT64_MAX);
	assert_int_equal(h->max, 0);
	assert_int_equal(h->sub_bits, RT_HIST_SUB_BITS);
	assert_int_equal(h->range_bits, RT_HIST_RANGE_BITS);
	assert_int_equal((uintptr_t)h % 64, 0);
	free(h);
}

static void test_hist_buckets_tile_the_range_with_0_1_percent_width(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < RT_HIST_SUB_COUNT; v++) {
		assert_int_equal(rt_hist_index(v), v);
		assert_int_equal(rt_hist_bucket_low((uint32_t)v), v);
		assert_int_equal(rt_hist_bucket_high((uint32_t)v), v);
	}
	for (uint32_t i = RT_HIST_SUB_COUNT; i < RT_HIST_BUCKETS; i++) {
		uint64_t lo = rt_hist_bucket_low(i), hi = rt_hist_bucket_high(i);
		assert_int_equal(lo, rt_hist_bucket_high(i - 1) + 1);
		assert_int_equal(rt_hist_index(lo), i);
		assert_int_equal(rt_hist_index(hi), i);
		assert_true(hi - lo + 1 <= lo / 1024);
	}
	assert_int_equal(rt_hist_bucket_high(RT_HIST_BUCKETS - 1), RT_HIST_MAX_TRACKABLE);
	assert_true(RT_HIST_MAX_TRACKABLE >= (UINT64_C(1) << 36) - 1);
	assert_int_equal(rt_hist_index(UINT64_MAX), RT_HIST_BUCKETS - 1);
}

static void test_hist_small_values_are_exact(void **state)
{
	(void)state;
	struct rt_hist *h = hist_new();
	for (uint64_t v = 0; v < 2048; v++)
		rt_hist_record(h, v);
	for (uint64_t rank = 1; rank <= 2048; rank++) {
		double pct = 100.0 * ((double)rank - 0.5) / 2048.0;
		assert_int_equal(rt_hist_percentile(h, pct), rank - 1);
	}
	assert_int_equal(h->count, 2048);
	assert_int_equal(h->sum, 2047 * 2048 / 2);
	free(h);
}

static void test_hist_percentile_of_uniform_within_0_1_percent(void **state)
{
	(void)state;
	const uint64_t n = 1000000;
	struct rt_hist *h = hist_new();
	for (uint64_t v = 1; v <= n; v++)
		rt_hist_record(h, v);
	static const double pcts[] = {0.001, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 99.999};
	for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++)
		assert_within_precision(rt_hist_percentile(h, pcts[k]), rank_of(pcts[k], n));
	/* 500000 lies in the 256-wide bucket [499968..500223]: its highest value */
	assert_int_equal(rt_hist_percentile(h, 50), 500223);
	free(h);
}

static void test_hist_percentile_of_constant_is_the_constant(void **state)
{
	(void)state;
	struct rt_hist *h = hist_new();
	for (int i = 0; i < 1000; i++)
		rt_hist_record(h, 123456);
	static const double pcts[] = {0, 0.1, 50, 99, 99.99, 100};
	for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++)
		assert_int_equal(rt_hist_percentile(h, pcts[k]), 123456);
	free(h);
}

static void test_hist_percentile_of_bimodal_splits_at_the_mode_boundary(void **state)
{
	(void)state;
	struct rt_hist *h = hist_new();
	for (int i = 0; i < 9000; i++)
		rt_hist_record(h, 1000);
	for (int i = 0; i < 1000; i++)
		rt_hist_record(h, 5000000);
	assert_int_equal(rt_hist_percentile(h, 50), 1000);
	assert_int_equal(rt_hist_percentile(h, 90), 1000);
	assert_int_equal(rt_hist_percentile(h, 90.01), 5000000);
	assert_int_equal(rt_hist_percentile(h, 99.9), 5000000);
	free(h);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_hist_percentile_of_exponential_within_0_1_percent(void **state)
{
	(void)state;
	const size_t n = 200000;
	uint64_t *vals = malloc(n * sizeof(*vals));
	assert_non_null(vals);
	struct rt_hist *h = hist_new();
	uint64_t x = 88172645463325252ull; /* xorshift64: deterministic */
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double u = ((double)(x >> 11) + 0.5) / 9007199254740992.0;
		vals[i] = (uint64_t)(-20000.0 * log(u)) + 100; /* mean 20 µs over a 100 ns floor */
		rt_hist_record(h, vals[i]);
	}
	qsort(vals, n, sizeof(*vals), cmp_u64);
	static const double pcts[] = {1, 10, 50, 90, 99, 99.9, 99.99};
	for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++)
		assert_within_precision(rt_hist_percentile(h, pcts[k]),
					vals[rank_of(pcts[k], n) - 1]);
	assert_int_equal(rt_hist_percentile(h, 0), vals[0]);
	assert_int_equal(rt_hist_percentile(h, 100), vals[n - 1]);
	free(vals);
	free(h);
}

static void test_hist_huge_values_clamp_into_top_bucket_but_max_is_exact(void **state)
{
	(void)state;
	struct rt_hist *h = hist_new();
	const uint64_t huge = UINT64_C(1) << 40;
	rt_hist_record(h, 5);
	rt_hist_record(h, huge);
	rt_hist_record(h, UINT64_MAX / 4);
	assert_int_equal(h->overflow, 2);
	assert_int_equal(h->counts[RT_HIST_BUCKETS - 1], 2);
	assert_int_equal(h->max, UINT64_MAX / 4);
	assert_int_equal(rt_hist_percentile(h, 100), UINT64_MAX / 4);
	assert_int_equal(rt_hist_percentile(h, 50), RT_HIST_MAX_TRACKABLE);
	assert_int_equal(rt_hist_percentile(h, 0), 5);
	assert_int_equal(h->sum, 5 + huge + UINT64_MAX / 4);
	/* the largest trackable value is not an overflow */
	rt_hist_record(h, RT_HIST_MAX_TRACKABLE);
	assert_int_equal(h->overflow, 2);
	free(h);
}

static void test_hist_merge_equals_recording_both(void **state)
{
	(void)state;
	struct rt_hist *a = hist_new(), *b = hist_new(), *both = hist_new();
	for (uint64_t v = 1; v < 100000; v += 7) {
		rt_hist_record(a, v);
		rt_hist_record(both, v);
	}
	for (uint64_t v = 3; v < 50000000; v = v * 3 / 2 + 1) {
		rt_hist_record(b, v);
		rt_hist_record(both, v);
	}
	rt_hist_record(b, UINT64_C(1) << 50);
	rt_hist_record(both, UINT64_C(1) << 50);
	rt_hist_merge(a, b);
	assert_memory_equal(a, both, sizeof(*a));
	free(a);
	free(b);
	free(both);
}

static void test_hist_merge_of_empty_changes_nothing(void **state)
{
	(void)state;
	struct rt_hist *a = hist_new(), *empty = hist_new(), *copy = hist_new();
	rt_hist_record(a, 42);
	rt_hist_snapshot(copy, a);
	rt_hist_merge(a, empty);
	assert_memory_equal(a, copy, sizeof(*a));
	rt_hist_merge(empty, a); /* into empty: min and max come over */
	assert_int_equal(empty->min, 42);
	assert_int_equal(empty->max, 42);
	free(a);
	free(empty);
	free(copy);
}

static void test_hist_empty_reports_zero_everywhere(void **state)
{
	(void)state;
	struct rt_hist *h = hist_new();
	assert_int_equal(rt_hist_percentile(h, 0), 0);
	assert_int_equal(rt_hist_percentile(h, 50), 0);
	assert_int_equal(rt_hist_percentile(h, 100), 0);
	struct rt_hist_summary s;
	memset(&s, 0xff, sizeof(s));
	rt_hist_summarize(h, &s);
	assert_int_equal(s.count, 0);
	assert_int_equal(s.min, 0);
	assert_int_equal(s.max, 0);
	assert_int_equal(s.p50, 0);
	assert_int_equal(s.p9999, 0);
	assert_true(s.mean == 0.0);
	free(h);
}

static void test_hist_p0_is_min_and_p100_is_max_out_of_range_pct_clamps(void **state)
{
	(void)state;
	struct rt_hist *h = hist_new();
	rt_hist_record(h, 700001);
	for (uint64_t v = 5000; v < 6000; v++)
		rt_hist_record(h, v);
	rt_hist_record(h, 3000);
	assert_int_equal(rt_hist_percentile(h, 0), 3000);
	assert_int_equal(rt_hist_percentile(h, -5), 3000);
	assert_int_equal(rt_hist_percentile(h, NAN), 3000);
	assert_int_equal(rt_hist_percentile(h, 100), 700001);
	assert_int_equal(rt_hist_percentile(h, 250), 700001);
	/* any pct above 0 is the first rank's bucket [3000..3001], reported by its top */
	assert_int_equal(rt_hist_percentile(h, 1e-9), 3001);
	/* the last rank's bucket tops out above max: clamped down to max */
	assert_int_equal(rt_hist_percentile(h, 99.99999), 700001);
	free(h);
}

static void test_hist_single_sample_is_every_percentile(void **state)
{
	(void)state;
	struct rt_hist *h = hist_new();
	rt_hist_record(h, 987654321);
	for (double p = 0; p <= 100; p += 12.5)
		assert_int_equal(rt_hist_percentile(h, p), 987654321);
	free(h);
}

static void test_hist_summary_matches_percentiles_and_mean(void **state)
{
	(void)state;
	struct rt_hist *h = hist_new();
	for (uint64_t v = 1; v <= 100000; v++)
		rt_hist_record(h, v);
	struct rt_hist_summary s;
	rt_hist_summarize(h, &s);
	assert_int_equal(s.count, 100000);
	assert_int_equal(s.min, 1);
	assert_int_equal(s.max, 100000);
	assert_int_equal(s.p50, rt_hist_percentile(h, 50));
	assert_int_equal(s.p90, rt_hist_percentile(h, 90));
	assert_int_equal(s.p99, rt_hist_percentile(h, 99));
	assert_int_equal(s.p999, rt_hist_percentile(h, 99.9));
	assert_int_equal(s.p9999, rt_hist_percentile(h, 99.99));
	assert_true(fabs(s.mean - 50000.5) < 1e-6);
	free(h);
}

static void test_hist_snapshot_copies_and_reset_empties(void **state)
{
	(void)state;
	struct rt_hist *h = hist_new(), *snap = hist_new(), *fresh = hist_new();
	for (uint64_t v = 10; v < 1000000; v += 333)
		rt_hist_record(h, v);
	rt_hist_snapshot(snap, h);
	assert_memory_equal(snap, h, sizeof(*h));
	rt_hist_reset(h);
	assert_memory_equal(h, fresh, sizeof(*h));
	rt_hist_record(h, 77);
	assert_int_equal(rt_hist_percentile(h, 50), 77);
	assert_int_equal(rt_hist_percentile(snap, 100), snap->max);
	free(h);
	free(snap);
	free(fresh);
}

/* A live reader in another thread (ThreadSanitizer checks the relaxed protocol):
 * every snapshot it takes is internally ordered and never exceeds what was written. */
struct live {
	struct rt_hist *h;
	uint64_t n;
	int done;
};

static void *writer(void *arg)
{
	struct live *l = arg;
	for (uint64_t v = 1; v <= l->n; v++)
		rt_hist_record(l->h, v);
	__atomic_store_n(&l->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_hist_live_reader_sees_consistent_snapshots(void **state)
{
	(void)state;
	struct live l = {.h = hist_new(), .n = 300000, .done = 0};
	struct rt_hist *snap = hist_new();
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, writer, &l), 0);
	int reads = 0;
	do {
		rt_hist_snapshot(snap, l.h);
		struct rt_hist_summary s;
		rt_hist_summarize(l.h, &s);
		assert_true(s.count <= l.n);
		assert_true(s.p50 <= s.p99 && s.p99 <= s.p9999 && s.p9999 <= s.max);
		assert_true(s.max <= l.n);
		uint64_t p = rt_hist_percentile(snap, 99);
		assert_true(p <= l.n);
		reads++;
	} while (!__atomic_load_n(&l.done, __ATOMIC_ACQUIRE) || reads < 3);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(rt_hist_percentile(l.h, 100), l.n);
	free(l.h);
	free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_init_is_empty_and_stamps_layout),
		cmocka_unit_test(test_hist_buckets_tile_the_range_with_0_1_percent_width),
		cmocka_unit_test(test_hist_small_values_are_exact),
		cmocka_unit_test(test_hist_percentile_of_uniform_within_0_1_percent),
		cmocka_unit_test(test_hist_percentile_of_constant_is_the_constant),
		cmocka_unit_test(test_hist_percentile_of_bimodal_splits_at_the_mode_boundary),
		cmocka_unit_test(test_hist_percentile_of_exponential_within_0_1_percent),
		cmocka_unit_test(test_hist_huge_values_clamp_into_top_bucket_but_max_is_exact),
		cmocka_unit_test(test_hist_merge_equals_recording_both),
		cmocka_unit_test(test_hist_merge_of_empty_changes_nothing),
		cmocka_unit_test(test_hist_empty_reports_zero_everywhere),
		cmocka_unit_test(test_hist_p0_is_min_and_p100_is_max_out_of_range_pct_clamps),
		cmocka_unit_test(test_hist_single_sample_is_every_percentile),
		cmocka_unit_test(test_hist_summary_matches_percentiles_and_mean),
		cmocka_unit_test(test_hist_snapshot_copies_and_reset_empties),
		cmocka_unit_test(test_hist_live_reader_sees_consistent_snapshots),
	};
	return cmocka_run_group_tests_name("rt_hist", tests, NULL, NULL);
}
