/* Eligibility (RULES §1): every boundary of every rule, DST weeks, holidays on entry days. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_eligible.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define NS CORE_CALENDAR_NS_PER_SEC
#define P(x) ((int64_t)(x)*PRICE_SCALE)

static struct core_rules_cfg cfg;

static int setup(void **state)
{
	(void)state;
	core_rules_cfg_defaults(&cfg);
	return 0;
}

/* New York wall clock -> UTC ns */
static int64_t ny(int32_t date, int h, int m, int s)
{
	int64_t t;
	assert_int_equal(core_calendar_ny_to_utc_ns(date, h * 3600 + m * 60 + s, &t), 0);
	return t;
}

/* UTC wall clock -> UTC ns */
static int64_t utc(int32_t date, int h, int m, int s)
{
	int64_t d;
	assert_int_equal(core_calendar_date_to_days(date, &d), 0);
	return (d * 86400 + h * 3600 + m * 60 + s) * NS;
}

static int32_t plus_days(int32_t date, int n)
{
	int64_t d;
	int32_t out;
	assert_int_equal(core_calendar_date_to_days(date, &d), 0);
	assert_int_equal(core_calendar_days_to_date(d + n, &out), 0);
	return out;
}

struct row {
	enum core_rules_acct acct;
	const char *symbol;
	enum core_right right;
	int dte; /* expiry = trade date + dte */
	double delta;
	int32_t date; /* New York trade date */
	int h, m, s;
	enum core_rules_why want;
};

static void run_rows(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		struct core_rules_contract c = {.right = r->right,
						.strike = P(100),
						.expiry = plus_days(r->date, r->dte),
						.delta = r->delta};
		struct core_rules_verdict v;
		enum core_rules_why got = core_rules_eligible(&cfg, r->acct, r->symbol, &c,
							      ny(r->date, r->h, r->m, r->s), &v);
		if (got != r->want)
			print_error("row %zu: %s %s %c %d %02d:%02d:%02d dte %d delta %g: got %s, "
				    "want %s (%s)\n",
				    i, core_rules_acct_name(r->acct), r->symbol, (char)r->right,
				    r->date, r->h, r->m, r->s, r->dte, r->delta,
				    core_rules_why_name(got), core_rules_why_name(r->want), v.text);
		assert_int_equal(got, r->want);
		assert_int_equal(v.why, got);
		assert_non_null(strstr(v.text, core_rules_why_name(got)));
	}
}

#define PUT CORE_RIGHT_PUT
#define CALL CORE_RIGHT_CALL
#define GEN CORE_ACCT_GEN
#define REV CORE_ACCT_REV
#define COM CORE_ACCT_COM
#define MINI CORE_ACCT_MINI

static void test_eligible_delta_bands_are_inclusive_at_both_ends(void **state)
{
	(void)state;
	/* Gen Thu 2026-04-16, Rev Wed 2026-04-15, Com Mon 2026-04-13, all at 10:00 EDT */
	static const struct row rows[] = {
		{GEN, "QQQ", PUT, 1, -0.40, 20260416, 10, 0, 0, CORE_WHY_OK},
		{GEN, "QQQ", PUT, 1, -0.45, 20260416, 10, 0, 0, CORE_WHY_OK},
		{GEN, "QQQ", PUT, 1, 0.40, 20260416, 10, 0, 0, CORE_WHY_OK}, /* |delta| */
		{GEN, "QQQ", PUT, 1, 0.45, 20260416, 10, 0, 0, CORE_WHY_OK},
		{GEN, "QQQ", PUT, 1, -0.3999999, 20260416, 10, 0, 0, CORE_WHY_DELTA_BELOW},
		{GEN, "QQQ", PUT, 1, -0.4500001, 20260416, 10, 0, 0, CORE_WHY_DELTA_ABOVE},
		{GEN, "QQQ", PUT, 1, NAN, 20260416, 10, 0, 0, CORE_WHY_DELTA_UNKNOWN},
		{GEN, "QQQ", PUT, 1, -1.5, 20260416, 10, 0, 0, CORE_WHY_BAD_CONTRACT},
		{REV, "NVDA", PUT, 5, -0.30, 20260415, 10, 0, 0, CORE_WHY_OK},
		{REV, "NVDA", PUT, 5, -0.35, 20260415, 10, 0, 0, CORE_WHY_OK},
		{REV, "TSLA", PUT, 5, -0.2999999, 20260415, 10, 0, 0, CORE_WHY_DELTA_BELOW},
		{REV, "TSLA", PUT, 5, -0.3500001, 20260415, 10, 0, 0, CORE_WHY_DELTA_ABOVE},
		{COM, "AAPL", CALL, 5, 0.20, 20260413, 10, 0, 0, CORE_WHY_OK},
		{COM, "AAPL", CALL, 5, 0.25, 20260413, 10, 0, 0, CORE_WHY_OK},
		{COM, "META", CALL, 5, 0.1999999, 20260413, 10, 0, 0, CORE_WHY_DELTA_BELOW},
		{COM, "META", CALL, 5, 0.2500001, 20260413, 10, 0, 0, CORE_WHY_DELTA_ABOVE},
	};
	run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_eligible_dte_bands_are_inclusive_calendar_days(void **state)
{
	(void)state;
	static const struct row rows[] = {
		{GEN, "SPY", PUT, -1, -0.42, 20260416, 10, 0, 0, CORE_WHY_EXPIRED},
		{GEN, "SPY", PUT, 0, -0.42, 20260416, 10, 0, 0, CORE_WHY_OK}, /* 0DTE */
		{GEN, "SPY", PUT, 1, -0.42, 20260416, 10, 0, 0, CORE_WHY_OK},
		{GEN, "SPY", PUT, 2, -0.42, 20260416, 10, 0, 0, CORE_WHY_DTE_ABOVE},
		{REV, "NVDA", PUT, 2, -0.32, 20260415, 10, 0, 0, CORE_WHY_DTE_BELOW}, /* Friday */
		{REV, "NVDA", PUT, 3, -0.32, 20260415, 10, 0, 0, CORE_WHY_OK},
		{REV, "NVDA", PUT, 5, -0.32, 20260415, 10, 0, 0, CORE_WHY_OK},
		{REV, "NVDA", PUT, 6, -0.32, 20260415, 10, 0, 0, CORE_WHY_DTE_ABOVE},
		{COM, "MSFT", CALL, 4, 0.22, 20260413, 10, 0, 0, CORE_WHY_DTE_BELOW}, /* Friday */
		{COM, "MSFT", CALL, 5, 0.22, 20260413, 10, 0, 0, CORE_WHY_OK},
		{COM, "MSFT", CALL, 6, 0.22, 20260413, 10, 0, 0, CORE_WHY_DTE_ABOVE},
	};
	run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

/* 09:44:59 / 09:45:00 / 10:59:59 / 11:00:00 on every entry day of four weeks: the EST
 * week before daylight saving starts (8 March 2026), the EDT week it starts, the EDT
 * week before it ends (1 November 2026) and the EST week it ends. */
static void test_eligible_window_edges_in_est_and_edt_and_the_2026_dst_weeks(void **state)
{
	(void)state;
	static const struct {
		enum core_rules_acct acct;
		const char *symbol;
		enum core_right right;
		int dte;
		double delta;
		int32_t date;
	} days[] = {
		{COM, "AAPL", CALL, 5, 0.22, 20260302}, {REV, "NVDA", PUT, 5, -0.32, 20260304},
		{GEN, "QQQ", PUT, 1, -0.42, 20260305},  {COM, "AAPL", CALL, 5, 0.22, 20260309},
		{REV, "NVDA", PUT, 5, -0.32, 20260311}, {GEN, "QQQ", PUT, 1, -0.42, 20260312},
		{COM, "AAPL", CALL, 5, 0.22, 20261026}, {REV, "NVDA", PUT, 5, -0.32, 20261028},
		{GEN, "QQQ", PUT, 1, -0.42, 20261029},  {COM, "AAPL", CALL, 5, 0.22, 20261102},
		{REV, "NVDA", PUT, 5, -0.32, 20261104}, {GEN, "QQQ", PUT, 1, -0.42, 20261105},
	};
	static const struct {
		int h, m, s;
		enum core_rules_why want;
	} times[] = {
		{9, 44, 59, CORE_WHY_BEFORE_WINDOW},
		{9, 45, 0, CORE_WHY_OK},
		{10, 59, 59, CORE_WHY_OK},
		{11, 0, 0, CORE_WHY_AFTER_WINDOW},
	};
	for (size_t d = 0; d < sizeof(days) / sizeof(days[0]); d++) {
		for (size_t t = 0; t < sizeof(times) / sizeof(times[0]); t++) {
			struct row r = {days[d].acct,  days[d].symbol, days[d].right, days[d].dte,
					days[d].delta, days[d].date,   times[t].h,    times[t].m,
					times[t].s,    times[t].want};
			run_rows(&r, 1);
		}
	}
}

static void test_eligible_window_is_half_open_to_the_nanosecond(void **state)
{
	(void)state;
	struct core_rules_contract c = {PUT, P(600), 20260417, -0.42};
	int64_t t0945 = ny(20260416, 9, 45, 0), t1100 = ny(20260416, 11, 0, 0);
	assert_int_equal(core_rules_eligible(&cfg, GEN, "QQQ", &c, t0945 - 1, NULL),
			 CORE_WHY_BEFORE_WINDOW);
	assert_int_equal(core_rules_eligible(&cfg, GEN, "QQQ", &c, t0945, NULL), CORE_WHY_OK);
	assert_int_equal(core_rules_eligible(&cfg, GEN, "QQQ", &c, t1100 - 1, NULL), CORE_WHY_OK);
	assert_int_equal(core_rules_eligible(&cfg, GEN, "QQQ", &c, t1100, NULL),
			 CORE_WHY_AFTER_WINDOW);
}

/* The same UTC instants fall on different sides of the window in EST and EDT. */
static void test_eligible_same_utc_time_differs_across_the_dst_switch(void **state)
{
	(void)state;
	struct core_rules_contract est = {PUT, P(600), 20260306, -0.42}; /* Thu 5 March, EST */
	struct core_rules_contract edt = {PUT, P(600), 20260313, -0.42}; /* Thu 12 March, EDT */
	struct core_rules_verdict v;
	/* 13:50 UTC: 08:50 EST (before) / 09:50 EDT (in) */
	assert_int_equal(core_rules_eligible(&cfg, GEN, "QQQ", &est, utc(20260305, 13, 50, 0), &v),
			 CORE_WHY_BEFORE_WINDOW);
	assert_non_null(strstr(v.text, "08:50:00 EST"));
	assert_int_equal(core_rules_eligible(&cfg, GEN, "QQQ", &edt, utc(20260312, 13, 50, 0), &v),
			 CORE_WHY_OK);
	assert_int_equal(core_rules_entry_time(&cfg.rule[CORE_RULE_GEN_CSP],
					       utc(20260312, 13, 50, 0), NULL, &v),
			 CORE_WHY_OK);
	assert_string_equal(v.text, "ok: 09:50:00 EDT in the window [09:45:00, 11:00:00)");
	/* 15:50 UTC: 10:50 EST (in) / 11:50 EDT (after) */
	assert_int_equal(
		core_rules_eligible(&cfg, GEN, "QQQ", &est, utc(20260305, 15, 50, 0), NULL),
		CORE_WHY_OK);
	assert_int_equal(
		core_rules_eligible(&cfg, GEN, "QQQ", &edt, utc(20260312, 15, 50, 0), NULL),
		CORE_WHY_AFTER_WINDOW);
	/* 14:45 UTC opens the window in EST, 13:45 UTC in EDT */
	assert_int_equal(
		core_rules_eligible(&cfg, GEN, "QQQ", &est, utc(20260305, 14, 45, 0), NULL),
		CORE_WHY_OK);
	assert_int_equal(
		core_rules_eligible(&cfg, GEN, "QQQ", &edt, utc(20260312, 13, 45, 0), NULL),
		CORE_WHY_OK);
	assert_int_equal(
		core_rules_eligible(&cfg, GEN, "QQQ", &edt, utc(20260312, 13, 44, 59), NULL),
		CORE_WHY_BEFORE_WINDOW);
}

static void test_eligible_holiday_on_an_entry_day_is_not_eligible(void **state)
{
	(void)state;
	static const struct row rows[] = {
		{GEN, "QQQ", PUT, 1, -0.42, 20261126, 10, 0, 0,
		 CORE_WHY_HOLIDAY}, /* Thanksgiving */
		{GEN, "QQQ", PUT, 1, -0.42, 20261119, 10, 0, 0, CORE_WHY_OK}, /* week before */
		{GEN, "QQQ", PUT, 1, -0.42, 20250109, 10, 0, 0, CORE_WHY_HOLIDAY}, /* Carter */
		{GEN, "QQQ", PUT, 1, -0.42, 20260101, 10, 0, 0, CORE_WHY_HOLIDAY}, /* New Year */
		{GEN, "IWM", PUT, 1, -0.42, 20250619, 10, 0, 0, CORE_WHY_HOLIDAY}, /* Juneteenth */
		{REV, "NVDA", PUT, 5, -0.32, 20241225, 10, 0, 0, CORE_WHY_HOLIDAY}, /* Christmas */
		{REV, "NVDA", PUT, 5, -0.32, 20240619, 10, 0, 0, CORE_WHY_HOLIDAY},
		{COM, "AAPL", CALL, 5, 0.22, 20260119, 10, 0, 0, CORE_WHY_HOLIDAY}, /* MLK */
		{COM, "AAPL", CALL, 5, 0.22, 20260907, 10, 0, 0, CORE_WHY_HOLIDAY}, /* Labor Day */
		{MINI, "QQQ", PUT, 1, -0.42, 20261126, 10, 0, 0, CORE_WHY_HOLIDAY},
		/* an early-close day keeps the 09:45-11:00 window whole */
		{GEN, "QQQ", PUT, 1, -0.42, 20261224, 10, 59, 59, CORE_WHY_OK},
		/* a holiday that is not an entry day reads as "not an entry day" */
		{GEN, "QQQ", PUT, 0, -0.42, 20260403, 10, 0, 0, CORE_WHY_NOT_ENTRY_DAY},
		/* outside the maintained calendar: fail safe */
		{GEN, "QQQ", PUT, 1, -0.42, 20310109, 10, 0, 0, CORE_WHY_CALENDAR_UNKNOWN},
		{GEN, "QQQ", PUT, 1, -0.42, 20231228, 10, 0, 0, CORE_WHY_CALENDAR_UNKNOWN},
	};
	run_rows(rows, sizeof(rows) / sizeof(rows[0]));
	struct core_rules_contract c = {PUT, P(600), 20261127, -0.42};
	struct core_rules_verdict v;
	core_rules_eligible(&cfg, GEN, "QQQ", &c, ny(20261126, 10, 0, 0), &v);
	assert_non_null(strstr(v.text, "Thanksgiving"));
}

static void test_eligible_window_is_clipped_by_an_early_close(void **state)
{
	(void)state;
	struct core_rules_cfg c2 = cfg;
	c2.rule[CORE_RULE_GEN_CSP].window_start_s = 12 * 3600;
	c2.rule[CORE_RULE_GEN_CSP].window_end_s = 15 * 3600;
	assert_int_equal(core_rules_cfg_check(&c2, NULL), 0);
	struct core_rules_contract c = {PUT, P(600), 20261224, -0.42};
	struct core_rules_verdict v;
	/* Thursday 24 December 2026 closes at 13:00 */
	assert_int_equal(core_rules_eligible(&c2, GEN, "QQQ", &c, ny(20261224, 12, 59, 59), NULL),
			 CORE_WHY_OK);
	assert_int_equal(core_rules_eligible(&c2, GEN, "QQQ", &c, ny(20261224, 13, 0, 0), &v),
			 CORE_WHY_AFTER_WINDOW);
	assert_non_null(strstr(v.text, "early close"));
	/* an ordinary Thursday keeps the configured end */
	c.expiry = 20261217;
	assert_int_equal(core_rules_eligible(&c2, GEN, "QQQ", &c, ny(20261217, 14, 59, 59), NULL),
			 CORE_WHY_OK);
	/* a window opening before the bell starts at 09:30 */
	c2.rule[CORE_RULE_GEN_CSP].window_start_s = 9 * 3600;
	assert_int_equal(core_rules_eligible(&c2, GEN, "QQQ", &c, ny(20261217, 9, 29, 59), NULL),
			 CORE_WHY_BEFORE_WINDOW);
	assert_int_equal(core_rules_eligible(&c2, GEN, "QQQ", &c, ny(20261217, 9, 30, 0), NULL),
			 CORE_WHY_OK);
}

static void test_eligible_account_symbol_weekday_and_right(void **state)
{
	(void)state;
	static const struct row rows[] = {
		{GEN, "QQQ", PUT, 0, -0.42, 20260415, 10, 0, 0, CORE_WHY_NOT_ENTRY_DAY}, /* Wed */
		{GEN, "QQQ", PUT, 0, -0.42, 20260418, 10, 0, 0, CORE_WHY_NOT_ENTRY_DAY}, /* Sat */
		{REV, "NVDA", PUT, 5, -0.32, 20260413, 10, 0, 0, CORE_WHY_NOT_ENTRY_DAY},
		{COM, "AAPL", CALL, 5, 0.22, 20260416, 10, 0, 0, CORE_WHY_NOT_ENTRY_DAY},
		{GEN, "GOOGL", PUT, 1, -0.42, 20260416, 10, 0, 0, CORE_WHY_SYMBOL_NOT_PERMITTED},
		{GEN, "GOOG", PUT, 1, -0.42, 20260416, 10, 0, 0, CORE_WHY_OK},
		{COM, "GOOG", CALL, 5, 0.22, 20260413, 10, 0, 0, CORE_WHY_SYMBOL_NOT_PERMITTED},
		{COM, "GOOGL", CALL, 5, 0.22, 20260413, 10, 0, 0, CORE_WHY_OK},
		{REV, "QQQ", PUT, 5, -0.32, 20260415, 10, 0, 0, CORE_WHY_SYMBOL_NOT_PERMITTED},
		{GEN, "QQQ", CALL, 1, 0.42, 20260416, 10, 0, 0, CORE_WHY_WRONG_RIGHT},
		{REV, "NVDA", CALL, 5, 0.32, 20260415, 10, 0, 0, CORE_WHY_WRONG_RIGHT},
		{COM, "AAPL", PUT, 5, -0.22, 20260413, 10, 0, 0, CORE_WHY_WRONG_RIGHT},
		/* a Mini: puts under its Gen-style half, calls under its Com-style half */
		{MINI, "QQQ", PUT, 1, -0.42, 20260416, 10, 0, 0, CORE_WHY_OK},
		{MINI, "AAPL", CALL, 5, 0.22, 20260413, 10, 0, 0, CORE_WHY_OK},
		{MINI, "QQQ", PUT, 1, -0.42, 20260413, 10, 0, 0, CORE_WHY_NOT_ENTRY_DAY},
		{MINI, "QQQ", CALL, 5, 0.22, 20260413, 10, 0, 0, CORE_WHY_SYMBOL_NOT_PERMITTED},
		{MINI, "AAPL", CALL, 5, 0.30, 20260413, 10, 0, 0, CORE_WHY_DELTA_ABOVE},
		{(enum core_rules_acct)7, "QQQ", PUT, 1, -0.42, 20260416, 10, 0, 0,
		 CORE_WHY_BAD_ACCOUNT},
	};
	run_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_eligible_verdict_text_carries_the_numbers(void **state)
{
	(void)state;
	struct core_rules_contract c = {PUT, P(600), 20260417, -0.46};
	struct core_rules_verdict v;
	assert_int_equal(core_rules_eligible(&cfg, GEN, "QQQ", &c, ny(20260416, 10, 0, 0), &v),
			 CORE_WHY_DELTA_ABOVE);
	assert_string_equal(v.text, "delta_above: |delta| 0.460000 above 0.4..0.45");
	c.delta = -0.42;
	c.expiry = 20260420;
	core_rules_eligible(&cfg, GEN, "QQQ", &c, ny(20260416, 10, 0, 0), &v);
	assert_string_equal(v.text, "dte_above: DTE 4 above 0..1");
	core_rules_eligible(&cfg, GEN, "QQQ", &c, ny(20260416, 11, 0, 0), &v);
	assert_string_equal(
		v.text, "after_window: 11:00:00 EDT at or after the window [09:45:00, 11:00:00)");
	assert_int_equal(core_rules_eligible(NULL, GEN, "QQQ", &c, 0, &v), CORE_WHY_BAD_ARGUMENT);
	assert_int_equal(core_rules_eligible(&cfg, GEN, "QQQ", &c, 0, &v), CORE_WHY_BAD_ARGUMENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eligible_delta_bands_are_inclusive_at_both_ends),
		cmocka_unit_test(test_eligible_dte_bands_are_inclusive_calendar_days),
		cmocka_unit_test(test_eligible_window_edges_in_est_and_edt_and_the_2026_dst_weeks),
		cmocka_unit_test(test_eligible_window_is_half_open_to_the_nanosecond),
		cmocka_unit_test(test_eligible_same_utc_time_differs_across_the_dst_switch),
		cmocka_unit_test(test_eligible_holiday_on_an_entry_day_is_not_eligible),
		cmocka_unit_test(test_eligible_window_is_clipped_by_an_early_close),
		cmocka_unit_test(test_eligible_account_symbol_weekday_and_right),
		cmocka_unit_test(test_eligible_verdict_text_carries_the_numbers),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
