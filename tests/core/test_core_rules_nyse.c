/* NYSE calendar: holidays and early closes 2024-2030 against the published lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "workers/core/core_rules_nyse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define H CORE_NYSE_HOLIDAY
#define E CORE_NYSE_EARLY_CLOSE

struct special {
	int32_t date;
	enum core_nyse_kind kind;
};

/*
 * Every weekday closure and 13:00 early close of a year, written out by hand from the
 * NYSE's published holiday calendar (2024-2027) and from NYSE Rule 7.2 for the years
 * not yet published (2028-2030). The code derives them by rule: these lists are the
 * independent check.
 */
/* clang-format off */
static const struct special y2024[] = {
	{20240101, H}, {20240115, H}, {20240219, H}, {20240329, H}, {20240527, H},
	{20240619, H}, {20240703, E}, {20240704, H}, {20240902, H}, {20241128, H},
	{20241129, E}, {20241224, E}, {20241225, H},
};
/* 2025-01-09: national day of mourning for President Carter (the exception table) */
static const struct special y2025[] = {
	{20250101, H}, {20250109, H}, {20250120, H}, {20250217, H}, {20250418, H},
	{20250526, H}, {20250619, H}, {20250703, E}, {20250704, H}, {20250901, H},
	{20251127, H}, {20251128, E}, {20251224, E}, {20251225, H},
};
/* 4 July is a Saturday: observed Friday 3 July, and no early close on the 2nd */
static const struct special y2026[] = {
	{20260101, H}, {20260119, H}, {20260216, H}, {20260403, H}, {20260525, H},
	{20260619, H}, {20260703, H}, {20260907, H}, {20261126, H}, {20261127, E},
	{20261224, E}, {20261225, H},
};
/* Juneteenth and Christmas on Saturdays (-> Fridays 18 June, 24 December),
 * Independence Day on a Sunday (-> Monday 5 July): no July or December early close */
static const struct special y2027[] = {
	{20270101, H}, {20270118, H}, {20270215, H}, {20270326, H}, {20270531, H},
	{20270618, H}, {20270705, H}, {20270906, H}, {20271125, H}, {20271126, E},
	{20271224, H},
};
/* 1 January 2028 is a Saturday: no New Year holiday (31 December 2027 trades);
 * 24 December is a Sunday: no early close */
static const struct special y2028[] = {
	{20280117, H}, {20280221, H}, {20280414, H}, {20280529, H}, {20280619, H},
	{20280703, E}, {20280704, H}, {20280904, H}, {20281123, H}, {20281124, E},
	{20281225, H},
};
static const struct special y2029[] = {
	{20290101, H}, {20290115, H}, {20290219, H}, {20290330, H}, {20290528, H},
	{20290619, H}, {20290703, E}, {20290704, H}, {20290903, H}, {20291122, H},
	{20291123, E}, {20291224, E}, {20291225, H},
};
static const struct special y2030[] = {
	{20300101, H}, {20300121, H}, {20300218, H}, {20300419, H}, {20300527, H},
	{20300619, H}, {20300703, E}, {20300704, H}, {20300902, H}, {20301128, H},
	{20301129, E}, {20301224, E}, {20301225, H},
};
/* clang-format on */

static void check_year(int32_t year, const struct special *want, size_t n)
{
	struct core_nyse_day got[CORE_NYSE_YEAR_MAX];
	int k = core_rules_nyse_year(year, got, CORE_NYSE_YEAR_MAX);
	for (int i = 0; i < k && (size_t)i < n; i++) {
		if (got[i].date != want[i].date || got[i].kind != want[i].kind)
			print_error("%d: #%d got %d kind %d (%s), want %d kind %d\n", year, i,
				    got[i].date, got[i].kind, got[i].name, want[i].date,
				    want[i].kind);
		assert_int_equal(got[i].date, want[i].date);
		assert_int_equal(got[i].kind, want[i].kind);
		assert_non_null(got[i].name);
		if (got[i].kind == H) {
			assert_int_equal(got[i].open_s, 0);
			assert_int_equal(got[i].close_s, 0);
			assert_false(core_rules_nyse_is_trading_day(got[i].date));
		} else {
			assert_int_equal(got[i].open_s, CORE_NYSE_OPEN_S);
			assert_int_equal(got[i].close_s, CORE_NYSE_EARLY_CLOSE_S);
			assert_true(core_rules_nyse_is_trading_day(got[i].date));
		}
	}
	assert_int_equal(k, (int)n);
}

#define YEAR_TEST(year)                                                                            \
	static void test_nyse_##year##_matches_the_published_calendar(void **state)                \
	{                                                                                          \
		(void)state;                                                                       \
		check_year(year, y##year, sizeof(y##year) / sizeof(y##year[0]));                   \
	}
YEAR_TEST(2024)
YEAR_TEST(2025)
YEAR_TEST(2026)
YEAR_TEST(2027)
YEAR_TEST(2028)
YEAR_TEST(2029)
YEAR_TEST(2030)

static void test_nyse_ordinary_days_and_weekends(void **state)
{
	(void)state;
	struct core_nyse_day d;
	assert_int_equal(core_rules_nyse_day(20260416, &d), 0); /* a Thursday */
	assert_int_equal(d.kind, CORE_NYSE_OPEN);
	assert_int_equal(d.open_s, 9 * 3600 + 1800);
	assert_int_equal(d.close_s, 16 * 3600);
	assert_null(d.name);
	assert_int_equal(core_rules_nyse_day(20260418, &d), 0); /* Saturday */
	assert_int_equal(d.kind, CORE_NYSE_WEEKEND);
	assert_false(core_rules_nyse_is_trading_day(20260418));
	assert_int_equal(core_rules_nyse_day(20260704, &d), 0); /* Saturday, observed on the 3rd */
	assert_int_equal(d.kind, CORE_NYSE_WEEKEND);
	assert_int_equal(core_rules_nyse_day(20261126, &d), 0);
	assert_string_equal(d.name, "Thanksgiving Day");
	assert_int_equal(core_rules_nyse_day(20261224, &d), 0);
	assert_int_equal(d.kind, CORE_NYSE_EARLY_CLOSE);
	assert_int_equal(d.close_s, 13 * 3600);
	/* 31 December 2027 trades although 1 January 2028 is a Saturday */
	assert_true(core_rules_nyse_is_trading_day(20271231));
	/* 2 July 2026 is a full day: 3 July is the observed holiday, not an early close */
	assert_int_equal(core_rules_nyse_day(20260702, &d), 0);
	assert_int_equal(d.kind, CORE_NYSE_OPEN);
}

static void test_nyse_outside_the_maintained_years_is_refused(void **state)
{
	(void)state;
	struct core_nyse_day d = {.date = 7};
	assert_int_equal(core_rules_nyse_day(20231229, &d), -ERANGE);
	assert_int_equal(core_rules_nyse_day(20310102, &d), -ERANGE);
	assert_int_equal(d.date, 7); /* untouched */
	assert_int_equal(core_rules_nyse_day(20260230, &d), -EINVAL);
	assert_false(core_rules_nyse_is_trading_day(20310102));
	struct core_nyse_day y[CORE_NYSE_YEAR_MAX];
	assert_int_equal(core_rules_nyse_year(2023, y, CORE_NYSE_YEAR_MAX), -ERANGE);
	assert_int_equal(core_rules_nyse_year(2031, y, CORE_NYSE_YEAR_MAX), -ERANGE);
	assert_int_equal(core_rules_nyse_year(2026, y, 3), -ENOSPC);
	int32_t next;
	assert_int_equal(core_rules_nyse_next_trading_day(20301231, &next), -ERANGE);
}

static void test_nyse_next_and_previous_trading_days_skip_closures(void **state)
{
	(void)state;
	int32_t d;
	assert_int_equal(core_rules_nyse_next_trading_day(20260402, &d), 0); /* Good Friday */
	assert_int_equal(d, 20260406);
	assert_int_equal(core_rules_nyse_prev_trading_day(20260406, &d), 0);
	assert_int_equal(d, 20260402);
	assert_int_equal(core_rules_nyse_next_trading_day(20250108, &d), 0); /* Carter */
	assert_int_equal(d, 20250110);
	assert_int_equal(core_rules_nyse_next_trading_day(20261125, &d), 0); /* Thanksgiving */
	assert_int_equal(d, 20261127);
	assert_int_equal(core_rules_nyse_next_trading_day(20271223, &d), 0); /* 24th observed */
	assert_int_equal(d, 20271227);
	assert_int_equal(core_rules_nyse_next_trading_day(20260230, &d), -EINVAL);
}

static void test_nyse_every_day_of_the_maintained_years_has_one_answer(void **state)
{
	(void)state;
	/* sessions: 252 ± 2 trading days a year, no session on a weekend */
	for (int32_t y = CORE_NYSE_FIRST_YEAR; y <= CORE_NYSE_LAST_YEAR; y++) {
		int trading = 0;
		for (int32_t m = 1; m <= 12; m++) {
			for (int32_t dd = 1; dd <= 31; dd++) {
				int32_t date = y * 10000 + m * 100 + dd;
				struct core_nyse_day d;
				int rc = core_rules_nyse_day(date, &d);
				if (rc == -EINVAL)
					continue;
				assert_int_equal(rc, 0);
				trading += core_rules_nyse_is_trading_day(date);
			}
		}
		assert_in_range(trading, 248, 254);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nyse_2024_matches_the_published_calendar),
		cmocka_unit_test(test_nyse_2025_matches_the_published_calendar),
		cmocka_unit_test(test_nyse_2026_matches_the_published_calendar),
		cmocka_unit_test(test_nyse_2027_matches_the_published_calendar),
		cmocka_unit_test(test_nyse_2028_matches_the_published_calendar),
		cmocka_unit_test(test_nyse_2029_matches_the_published_calendar),
		cmocka_unit_test(test_nyse_2030_matches_the_published_calendar),
		cmocka_unit_test(test_nyse_ordinary_days_and_weekends),
		cmocka_unit_test(test_nyse_outside_the_maintained_years_is_refused),
		cmocka_unit_test(test_nyse_next_and_previous_trading_days_skip_closures),
		cmocka_unit_test(test_nyse_every_day_of_the_maintained_years_has_one_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
