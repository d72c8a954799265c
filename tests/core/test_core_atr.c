/* True range, ATR(5) on real bars, fallbacks, protocol-level thresholds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/support/test_util.h"
#include "workers/core/core_atr.h"
#include "workers/core/core_bars.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define P(x) ((int64_t)(x)*100000000ll) /* whole dollars -> × 10^8 */

static const uint32_t mult123[CORE_LEVEL_COUNT] = {100, 200, 300};

static char market[PATH_MAX + 64];
static int market_missing;

static void find_market(void)
{
	const char *dir = test_market_dir();
	if (dir)
		snprintf(market, sizeof(market), "%s", dir);
	market_missing = dir == NULL;
}

static struct core_bar *load_market(const char *file, size_t *count)
{
	char path[PATH_MAX + 128];
	snprintf(path, sizeof(path), "%s/%s", market, file);
	struct core_bar *bars;
	struct rt_err err = {0};
	if (core_bars_load(path, &bars, count, &err) != 0) {
		print_error("%s\n", err.msg);
		fail();
	}
	return bars;
}

static struct core_bar bar(int32_t date, double o, double h, double l, double c)
{
	struct core_bar b = {.date = date,
			     .open = (int64_t)(o * 1e8 + 0.5),
			     .high = (int64_t)(h * 1e8 + 0.5),
			     .low = (int64_t)(l * 1e8 + 0.5),
			     .close = (int64_t)(c * 1e8 + 0.5),
			     .volume = 1000};
	return b;
}

static void test_atr_true_range_takes_the_largest_of_three(void **state)
{
	(void)state;
	struct core_bar prev = bar(20240102, 100, 101, 99, 100);
	/* inside bar: H − L */
	struct core_bar in = bar(20240103, 100, 100.5, 99.5, 100.2);
	assert_int_equal(core_atr_true_range(&prev, &in), P(1));
	/* gap up: |H − prevC| */
	struct core_bar up = bar(20240103, 104, 105, 103, 104);
	assert_int_equal(core_atr_true_range(&prev, &up), P(5));
	/* gap down: |L − prevC| */
	struct core_bar down = bar(20240103, 97, 97.5, 96, 97);
	assert_int_equal(core_atr_true_range(&prev, &down), P(4));
	/* the first bar has no previous close */
	assert_int_equal(core_atr_true_range(NULL, &up), P(2));
	/* a doji on the previous close */
	struct core_bar flat = bar(20240103, 100, 100, 100, 100);
	assert_int_equal(core_atr_true_range(&prev, &flat), 0);
	/* exact in the last unit */
	struct core_bar a = {.date = 1, .high = 300000001, .low = 299999999, .close = 300000000};
	struct core_bar b = {.date = 2, .high = 300000004, .low = 300000003, .close = 300000003};
	assert_int_equal(core_atr_true_range(&a, &b), 4);
}

/* Six bars, TRs 2, 5, 1, 4, 3, 6 (by hand): ATR(5) of the last five is 19/5 = 3.8 —
 * Wilder's smoothing would give (4·3 + 6)/5 = 3.6 from the first five's 3. */
static void test_atr_is_the_simple_mean_of_the_last_five(void **state)
{
	(void)state;
	struct core_bar b[6] = {
		bar(20240102, 100, 101, 99, 100), /* TR 2 (first bar: H − L) */
		bar(20240103, 104, 105, 103, 104), /* |105 − 100| = 5 */
		bar(20240104, 104, 104.5, 103.5, 104), /* 1 */
		bar(20240105, 101, 101, 100, 100.5), /* |100 − 104| = 4 */
		bar(20240108, 101, 103.5, 101, 103), /* |103.5 − 100.5| = 3 */
		bar(20240109, 97, 98, 97, 97.5), /* |97 − 103| = 6 */
	};
	struct core_atr_point pts[6];
	assert_int_equal(core_atr_series(b, 6, 0, pts, NULL), 0);
	int64_t want_tr[6] = {P(2), P(5), P(1), P(4), P(3), P(6)};
	for (int i = 0; i < 6; i++) {
		assert_int_equal(pts[i].tr, want_tr[i]);
		assert_int_equal(pts[i].date, b[i].date);
		assert_int_equal(pts[i].valid, i >= 4);
	}
	assert_int_equal(pts[3].atr, 0);
	assert_int_equal(pts[4].atr, P(3));
	assert_int_equal(pts[5].atr, 380000000);

	struct core_atr_input in = {.bars = b, .count = 6};
	struct core_atr_result r;
	assert_int_equal(core_atr_resolve(&in, &r), 0);
	assert_int_equal(r.status, CORE_ATR_OK);
	assert_int_equal(r.atr, 380000000);
	assert_int_equal(r.date, 20240109);
	assert_null(r.why);
	/* five bars: the window starts at the first bar, whose TR is H − L */
	in.count = 5;
	assert_int_equal(core_atr_resolve(&in, &r), 0);
	assert_int_equal(r.atr, P(3));
	/* the window of bars 1..5 uses bar 0's close for bar 1's TR */
	in.bars = b + 1;
	assert_int_equal(core_atr_resolve(&in, &r), 0);
	assert_int_equal(r.atr, (P(2) + P(1) + P(4) + P(3) + P(6) + 2) / 5);
}

/* The one division rounds to nearest; with an even period a half rounds up. */
static void test_atr_rounds_the_mean_to_nearest(void **state)
{
	(void)state;
	struct core_bar b[5];
	for (int i = 0; i < 5; i++)
		b[i] = (struct core_bar){
			.date = 20240101 + i, .high = P(10), .low = P(10) - 2, .close = P(10) - 1};
	struct core_atr_point pts[5];
	/* TRs 2, 2, 2, 2 and then 4: 12 / 5 = 2.4 -> 2; then 5: 13 / 5 = 2.6 -> 3 */
	b[4].low = P(10) - 4;
	assert_int_equal(core_atr_series(b, 5, 5, pts, NULL), 0);
	assert_int_equal(pts[4].atr, 2);
	b[4].low = P(10) - 5;
	assert_int_equal(core_atr_series(b, 5, 5, pts, NULL), 0);
	assert_int_equal(pts[4].atr, 3);
	/* period 4: bars 1..4 give 2 + 2 + 2 + 4 = 10 -> 2.5 -> 3 (a half rounds up);
	 * bars 0..3 give 8 -> 2 */
	b[4].low = P(10) - 4;
	assert_int_equal(core_atr_series(b, 5, 4, pts, NULL), 0);
	assert_int_equal(pts[4].atr, 3);
	assert_int_equal(pts[3].atr, 2);
}

/*
 * Expected values from tests/core/ref_atr.py (Decimal parsing, integer TR/ATR), run on
 * shared/data/market. Regenerate after changing its DATES with:
 *     python3 tests/core/ref_atr.py > /tmp/ref.txt   # paste the rows below
 * Columns: file, row index (0 = first bar), date, TR, ATR(5) (−1: not available yet).
 */
static const struct {
	const char *file;
	int index;
	int32_t date;
	int64_t tr, atr;
} ref[] = {
	{"AAPL_2013-2023.csv", 0, 20130102, 47749901ll, -1ll},
	{"AAPL_2013-2023.csv", 4, 20130108, 37999916ll, 45035667ll},
	{"AAPL_2013-2023.csv", 360, 20140609, 53249931ll, 36235733ll},
	{"AAPL_2013-2023.csv", 1812, 20200316, 949250031ll, 654200058ll},
	{"AAPL_2013-2023.csv", 1929, 20200831, 619249725ll, 333650055ll},
	{"AAPL_2013-2023.csv", 2767, 20231229, 266999817ll, 201800232ll},
	{"SPY_2015-2026_adj.csv", 4, 20150108, 318014929ll, 287287747ll},
	{"SPY_2015-2026_adj.csv", 778, 20180205, 1100892675ll, 478105974ll},
	{"SPY_2015-2026_adj.csv", 1308, 20200316, 2913220627ll, 2088655817ll},
	{"SPY_2015-2026_adj.csv", 1874, 20220613, 1557344558ll, 991790341ll},
	{"SPY_2015-2026_adj.csv", 2834, 20260413, 969499429ll, 939579987ll},
	{"SPY_2015-2026_adj.csv", 2924, 20260820, 701000977ll, 508399658ll},
	{"TSLA_2013-2023.csv", 4, 20130108, 9266686ll, 6146655ll},
	{"TSLA_2013-2023.csv", 1929, 20200831, 2000999451ll, 1050439758ll},
	{"TSLA_2013-2023.csv", 2019, 20210108, 2281665039ll, 1525399475ll},
	{"TSLA_2013-2023.csv", 2429, 20220825, 1135998536ll, 1003932495ll},
	{"TSLA_2013-2023.csv", 2767, 20231229, 776000976ll, 783800659ll},
};

static void test_atr_matches_the_independent_reference_on_real_bars(void **state)
{
	(void)state;
	if (market_missing)
		skip();
	const char *loaded = NULL;
	struct core_bar *bars = NULL;
	struct core_atr_point *pts = NULL;
	size_t n = 0;
	for (size_t k = 0; k < sizeof(ref) / sizeof(ref[0]); k++) {
		if (!loaded || strcmp(loaded, ref[k].file) != 0) {
			core_bars_free(bars);
			free(pts);
			bars = load_market(ref[k].file, &n);
			pts = calloc(n, sizeof(*pts));
			assert_non_null(pts);
			assert_int_equal(core_atr_series(bars, n, 0, pts, NULL), 0);
			loaded = ref[k].file;
		}
		size_t i = (size_t)ref[k].index;
		assert_true(i < n);
		assert_int_equal(pts[i].date, ref[k].date);
		assert_int_equal(pts[i].tr, ref[k].tr);
		assert_int_equal(pts[i].valid, ref[k].atr >= 0);
		assert_int_equal(pts[i].atr, ref[k].atr >= 0 ? ref[k].atr : 0);
		/* the 09:30 job's view: the bars up to and including that date */
		struct core_atr_input in = {.bars = bars, .count = i + 1};
		struct core_atr_result r;
		assert_int_equal(core_atr_resolve(&in, &r), 0);
		if (ref[k].atr >= 0) {
			assert_int_equal(r.status, CORE_ATR_OK);
			assert_int_equal(r.atr, ref[k].atr);
			assert_int_equal(r.date, ref[k].date);
		} else {
			assert_int_equal(r.status, CORE_ATR_UNKNOWN);
		}
	}
	core_bars_free(bars);
	free(pts);
}

/* The running sum of the series agrees with a from-scratch window everywhere. */
static void test_atr_series_equals_resolve_on_every_day(void **state)
{
	(void)state;
	if (market_missing)
		skip();
	size_t n;
	struct core_bar *bars = load_market("SPY_2015-2026_adj.csv", &n);
	struct core_atr_point *pts = calloc(n, sizeof(*pts));
	assert_non_null(pts);
	assert_int_equal(core_atr_series(bars, n, 5, pts, NULL), 0);
	for (size_t i = 4; i < n; i++) {
		struct core_atr_input in = {.bars = bars, .count = i + 1};
		struct core_atr_result r;
		assert_int_equal(core_atr_resolve(&in, &r), 0);
		assert_int_equal(r.status, CORE_ATR_OK);
		assert_int_equal(r.atr, pts[i].atr);
	}
	core_bars_free(bars);
	free(pts);
}

static void test_atr_falls_back_in_order(void **state)
{
	(void)state;
	struct core_bar b[3] = {bar(20240102, 100, 101, 99, 100), bar(20240103, 100, 102, 99, 101),
				bar(20240104, 101, 103, 100, 102)};
	struct core_atr_result r;
	/* 1. too few bars, a last valid ATR: × 1.1, rounded to nearest */
	struct core_atr_input in = {.bars = b, .count = 3, .prev_atr = 300000001, .price = P(102)};
	assert_int_equal(core_atr_resolve(&in, &r), 0);
	assert_int_equal(r.status, CORE_ATR_FALLBACK_PREV);
	assert_int_equal(r.atr, 330000001); /* 330000001.1 */
	assert_int_equal(r.date, 0);
	assert_string_equal(r.why, "fewer bars than the ATR period");
	in.prev_atr = 5; /* 5.5 -> 6: halves up */
	assert_int_equal(core_atr_resolve(&in, &r), 0);
	assert_int_equal(r.atr, 6);
	/* 2. no previous ATR: 2 % of the current price */
	in.prev_atr = 0;
	in.price = 19252999878; /* AAPL's last close; 2 % = 385059997.56 */
	assert_int_equal(core_atr_resolve(&in, &r), 0);
	assert_int_equal(r.status, CORE_ATR_FALLBACK_PCT);
	assert_int_equal(r.atr, 385059998);
	/* 3. neither: unknown, the caller's fault path */
	in.price = 0;
	assert_int_equal(core_atr_resolve(&in, &r), 0);
	assert_int_equal(r.status, CORE_ATR_UNKNOWN);
	assert_int_equal(r.atr, 0);
	assert_non_null(r.why);
	/* no bars at all */
	struct core_atr_input none = {.price = P(50)};
	assert_int_equal(core_atr_resolve(&none, &r), 0);
	assert_int_equal(r.status, CORE_ATR_FALLBACK_PCT);
	assert_int_equal(r.atr, P(1));
	/* configured factors instead of 1.1 and 2 % */
	struct core_atr_input cfg = {.prev_atr = P(2), .prev_mult_bp = 12500};
	assert_int_equal(core_atr_resolve(&cfg, &r), 0);
	assert_int_equal(r.atr, P(2) * 5 / 4);
	cfg = (struct core_atr_input){.price = P(200), .price_pct_bp = 150};
	assert_int_equal(core_atr_resolve(&cfg, &r), 0);
	assert_int_equal(r.atr, P(3));
	/* a bad configuration is an error, and unknown */
	cfg.period = CORE_ATR_PERIOD_MAX + 1;
	assert_int_equal(core_atr_resolve(&cfg, &r), -EINVAL);
	assert_int_equal(r.status, CORE_ATR_UNKNOWN);
}

static void test_atr_bad_or_flat_windows_are_not_valid(void **state)
{
	(void)state;
	struct core_bar b[6];
	for (int i = 0; i < 6; i++)
		b[i] = bar(20240102 + i, 100, 101 + i, 99, 100);
	struct core_atr_input in = {.bars = b, .count = 6, .prev_atr = P(2)};
	struct core_atr_result r;
	assert_int_equal(core_atr_resolve(&in, &r), 0);
	assert_int_equal(r.status, CORE_ATR_OK);
	/* high < low inside the window */
	b[3].high = b[3].low - 1;
	assert_int_equal(core_atr_resolve(&in, &r), 0);
	assert_int_equal(r.status, CORE_ATR_FALLBACK_PREV);
	assert_string_equal(r.why, "a bar of the ATR window is out of range");
	b[3].high = P(104);
	/* a bad close just before the window also poisons its first TR */
	b[0].close = 0;
	assert_int_equal(core_atr_resolve(&in, &r), 0);
	assert_int_equal(r.status, CORE_ATR_FALLBACK_PREV);
	b[0].close = P(100);
	/* …but not a bad bar older than that */
	struct core_bar c[7];
	c[0] = bar(20231229, 1, 1, 1, 1);
	c[0].low = -5;
	memcpy(c + 1, b, sizeof(b));
	in.bars = c;
	in.count = 7;
	assert_int_equal(core_atr_resolve(&in, &r), 0);
	assert_int_equal(r.status, CORE_ATR_OK);
	in.bars = b;
	in.count = 6;
	/* dates out of order */
	b[5].date = b[4].date;
	assert_int_equal(core_atr_resolve(&in, &r), 0);
	assert_string_equal(r.why, "dates of the ATR window do not increase");
	/* five flat bars at the same price: ATR 0 is no protocol */
	for (int i = 0; i < 6; i++)
		b[i] = bar(20240102 + i, 50, 50, 50, 50);
	assert_int_equal(core_atr_resolve(&in, &r), 0);
	assert_int_equal(r.status, CORE_ATR_FALLBACK_PREV);
	assert_string_equal(r.why, "ATR is zero (flat bars)");
}

static void test_atr_series_names_the_bad_bar(void **state)
{
	(void)state;
	struct core_bar b[3] = {bar(20240102, 100, 101, 99, 100), bar(20240103, 100, 98, 99, 99),
				bar(20240104, 101, 103, 100, 102)};
	struct core_atr_point pts[3];
	struct rt_err err = {0};
	assert_int_equal(core_atr_series(b, 3, 5, pts, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "bar 1 (20240103)"));
	b[1].high = P(101);
	b[2].date = 20240103;
	assert_int_equal(core_atr_series(b, 3, 5, pts, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "bar 2 (20240103) is not after bar 1"));
	assert_int_equal(core_atr_series(b, 3, CORE_ATR_PERIOD_MAX + 1, pts, &err), -EINVAL);
	assert_int_equal(core_atr_series(b, 0, 5, pts, &err), 0);
}

static void test_level_thresholds_of_a_put_and_a_call(void **state)
{
	(void)state;
	int64_t t[CORE_LEVEL_COUNT];
	int64_t k = P(100), atr = 250000000; /* 2.50 */
	assert_int_equal(core_level_thresholds(CORE_RIGHT_PUT, k, atr, mult123, t), 0);
	assert_int_equal(t[0], 9750000000);
	assert_int_equal(t[1], 9500000000);
	assert_int_equal(t[2], 9250000000);
	assert_int_equal(core_level_thresholds(CORE_RIGHT_CALL, k, atr, mult123, t), 0);
	assert_int_equal(t[0], 10250000000);
	assert_int_equal(t[1], 10500000000);
	assert_int_equal(t[2], 10750000000);
	/* configured multipliers: 0.5, 1.25, 4 ATR */
	const uint32_t m[CORE_LEVEL_COUNT] = {50, 125, 400};
	assert_int_equal(core_level_thresholds(CORE_RIGHT_PUT, k, atr, m, t), 0);
	assert_int_equal(t[0], k - 125000000);
	assert_int_equal(t[1], k - 312500000);
	assert_int_equal(t[2], k - P(10));
	/* a put threshold may fall below zero: that level cannot trip */
	assert_int_equal(core_level_thresholds(CORE_RIGHT_PUT, P(5), P(2), mult123, t), 0);
	assert_int_equal(t[2], -P(1));
	assert_int_equal(core_level_for_price(CORE_RIGHT_PUT, P(5), P(2), mult123, 1), 2);
}

static void test_level_trips_exactly_at_the_threshold_not_a_tick_before(void **state)
{
	(void)state;
	int64_t k = 19000000000, atr = 201800232; /* AAPL: K 190, ATR(5) on 2023-12-29 */
	int64_t t[CORE_LEVEL_COUNT];
	assert_int_equal(core_level_thresholds(CORE_RIGHT_PUT, k, atr, mult123, t), 0);
	for (int i = 0; i < CORE_LEVEL_COUNT; i++) {
		assert_int_equal(t[i], k - (i + 1) * atr);
		/* <= trips: at the threshold, level i + 1; one 10^-8 above, level i */
		assert_int_equal(core_level_for_price(CORE_RIGHT_PUT, k, atr, mult123, t[i]),
				 i + 1);
		assert_int_equal(core_level_for_price(CORE_RIGHT_PUT, k, atr, mult123, t[i] + 1),
				 i);
		assert_int_equal(core_level_of(CORE_RIGHT_PUT, t, t[i]), i + 1);
		assert_int_equal(core_level_of(CORE_RIGHT_PUT, t, t[i] + 1), i);
	}
	assert_int_equal(core_level_for_price(CORE_RIGHT_PUT, k, atr, mult123, k), 0);
	assert_int_equal(core_level_for_price(CORE_RIGHT_PUT, k, atr, mult123, 1), 3);
	assert_int_equal(core_level_thresholds(CORE_RIGHT_CALL, k, atr, mult123, t), 0);
	for (int i = 0; i < CORE_LEVEL_COUNT; i++) {
		assert_int_equal(t[i], k + (i + 1) * atr);
		assert_int_equal(core_level_for_price(CORE_RIGHT_CALL, k, atr, mult123, t[i]),
				 i + 1);
		assert_int_equal(core_level_for_price(CORE_RIGHT_CALL, k, atr, mult123, t[i] - 1),
				 i);
	}
	assert_int_equal(core_level_for_price(CORE_RIGHT_CALL, k, atr, mult123, k), 0);
	assert_int_equal(core_level_for_price(CORE_RIGHT_CALL, k, atr, mult123, P(1000)), 3);
}

/* A put at K and price K − d is at the same level as a call at K and price K + d. */
static void test_level_put_and_call_are_mirror_images(void **state)
{
	(void)state;
	static const int64_t atrs[] = {1, 3, 201800232, 333333333, P(7)};
	static const uint32_t ms[][CORE_LEVEL_COUNT] = {{100, 200, 300}, {75, 150, 333}};
	int64_t k = P(150);
	for (size_t a = 0; a < sizeof(atrs) / sizeof(atrs[0]); a++)
		for (size_t m = 0; m < 2; m++) {
			int64_t tp[CORE_LEVEL_COUNT], tc[CORE_LEVEL_COUNT];
			assert_int_equal(
				core_level_thresholds(CORE_RIGHT_PUT, k, atrs[a], ms[m], tp), 0);
			assert_int_equal(
				core_level_thresholds(CORE_RIGHT_CALL, k, atrs[a], ms[m], tc), 0);
			for (int i = 0; i < CORE_LEVEL_COUNT; i++) {
				assert_int_equal(k - tp[i], tc[i] - k);
				for (int64_t e = -2; e <= 2; e++) {
					int64_t d = k - tp[i] + e;
					assert_int_equal(core_level_of(CORE_RIGHT_PUT, tp, k - d),
							 core_level_of(CORE_RIGHT_CALL, tc, k + d));
				}
			}
		}
}

/* 1.5 × 3.33333333 = 4.999999995: the offset is truncated to 4.99999999, so the put
 * threshold sits a half-unit nearer the strike than exact — it trips no later. */
static void test_level_offsets_truncate_toward_the_strike(void **state)
{
	(void)state;
	const uint32_t m[CORE_LEVEL_COUNT] = {150, 250, 350};
	int64_t t[CORE_LEVEL_COUNT];
	int64_t k = P(100), atr = 333333333;
	assert_int_equal(core_level_thresholds(CORE_RIGHT_PUT, k, atr, m, t), 0);
	assert_int_equal(t[0], k - 499999999);
	assert_int_equal(t[1], k - 833333332); /* 8.333333325 */
	assert_int_equal(t[2], k - 1166666665); /* 11.666666655 */
	assert_int_equal(core_level_thresholds(CORE_RIGHT_CALL, k, atr, m, t), 0);
	assert_int_equal(t[0], k + 499999999);
	/* the largest inputs do not overflow */
	const uint32_t big[CORE_LEVEL_COUNT] = {1, 2, CORE_LEVEL_MULT_MAX};
	assert_int_equal(core_level_thresholds(CORE_RIGHT_CALL, CORE_ATR_PRICE_MAX,
					       CORE_ATR_PRICE_MAX, big, t),
			 0);
	assert_int_equal(t[2], CORE_ATR_PRICE_MAX + CORE_ATR_PRICE_MAX * 1000);
}

static void test_level_rejects_bad_arguments(void **state)
{
	(void)state;
	int64_t t[CORE_LEVEL_COUNT] = {7, 7, 7};
	const uint32_t flat[CORE_LEVEL_COUNT] = {100, 100, 300};
	const uint32_t zero[CORE_LEVEL_COUNT] = {0, 200, 300};
	const uint32_t huge[CORE_LEVEL_COUNT] = {100, 200, CORE_LEVEL_MULT_MAX + 1};
	assert_int_equal(core_level_thresholds((enum core_right)'X', P(1), P(1), mult123, t),
			 -EINVAL);
	assert_int_equal(core_level_thresholds(CORE_RIGHT_PUT, 0, P(1), mult123, t), -EINVAL);
	assert_int_equal(core_level_thresholds(CORE_RIGHT_PUT, P(1), 0, mult123, t), -EINVAL);
	assert_int_equal(core_level_thresholds(CORE_RIGHT_PUT, P(1), -5, mult123, t), -EINVAL);
	assert_int_equal(
		core_level_thresholds(CORE_RIGHT_PUT, CORE_ATR_PRICE_MAX + 1, P(1), mult123, t),
		-EINVAL);
	assert_int_equal(core_level_thresholds(CORE_RIGHT_PUT, P(1), P(1), flat, t), -EINVAL);
	assert_int_equal(core_level_thresholds(CORE_RIGHT_PUT, P(1), P(1), zero, t), -EINVAL);
	assert_int_equal(core_level_thresholds(CORE_RIGHT_PUT, P(1), P(1), huge, t), -EINVAL);
	assert_int_equal(t[0], 7);
	assert_int_equal(core_level_for_price(CORE_RIGHT_CALL, P(1), P(1), mult123, 0), -EINVAL);
	assert_int_equal(core_level_for_price(CORE_RIGHT_CALL, P(1), 0, mult123, P(1)), -EINVAL);
}

int main(void)
{
	find_market();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_atr_true_range_takes_the_largest_of_three),
		cmocka_unit_test(test_atr_is_the_simple_mean_of_the_last_five),
		cmocka_unit_test(test_atr_rounds_the_mean_to_nearest),
		cmocka_unit_test(test_atr_matches_the_independent_reference_on_real_bars),
		cmocka_unit_test(test_atr_series_equals_resolve_on_every_day),
		cmocka_unit_test(test_atr_falls_back_in_order),
		cmocka_unit_test(test_atr_bad_or_flat_windows_are_not_valid),
		cmocka_unit_test(test_atr_series_names_the_bad_bar),
		cmocka_unit_test(test_level_thresholds_of_a_put_and_a_call),
		cmocka_unit_test(test_level_trips_exactly_at_the_threshold_not_a_tick_before),
		cmocka_unit_test(test_level_put_and_call_are_mirror_images),
		cmocka_unit_test(test_level_offsets_truncate_toward_the_strike),
		cmocka_unit_test(test_level_rejects_bad_arguments),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (market_missing && failed == 0) {
		printf("test_core_atr: no market data in ../shared/data/market (from the "
		       "repository "
		       "root) or $ALLUSE_MARKET_DATA: real-bar tests skipped\n");
		return 77;
	}
	return failed;
}
