/* Civil dates, weekdays, DTE and America/New_York time from the US DST rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "workers/core/core_calendar.h"

#include <errno.h>
#include <stdio.h>

#define NS CORE_CALENDAR_NS_PER_SEC

static void test_calendar_days_match_known_dates(void **state)
{
	(void)state;
	/* from Python's datetime.date arithmetic */
	assert_int_equal(core_calendar_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(core_calendar_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(core_calendar_days_from_civil(2026, 3, 8), 20520);
	assert_int_equal(core_calendar_days_from_civil(1969, 12, 31), -1);
	int64_t d;
	assert_int_equal(core_calendar_date_to_days(99991231, &d), 0);
	assert_int_equal(d, 2932896);
	assert_int_equal(core_calendar_date_to_days(10101, &d), 0);
	assert_int_equal(d, -719162);
	int32_t date;
	assert_int_equal(core_calendar_days_to_date(20520, &date), 0);
	assert_int_equal(date, 20260308);
	assert_int_equal(core_calendar_days_to_date(-719163, &date), -ERANGE);
	assert_int_equal(core_calendar_days_to_date(2932897, &date), -ERANGE);
}

static void test_calendar_civil_round_trips_every_day_of_years_1_to_9999(void **state)
{
	(void)state;
	int32_t py = 0;
	uint32_t pm = 12, pd = 31;
	for (int64_t z = -719162; z <= 2932896; z++) {
		int32_t y;
		uint32_t m, d;
		core_calendar_civil_from_days(z, &y, &m, &d);
		assert_int_equal(core_calendar_days_from_civil(y, m, d), z);
		/* consecutive days are consecutive civil dates */
		if (d != 1)
			assert_true(y == py && m == pm && d == pd + 1);
		else
			assert_true((m == pm + 1 && y == py) ||
				    (m == 1 && pm == 12 && y == py + 1));
		assert_true(core_calendar_date_valid(y * 10000 + (int32_t)(m * 100 + d)));
		py = y;
		pm = m;
		pd = d;
	}
}

static void test_calendar_validates_dates(void **state)
{
	(void)state;
	assert_true(core_calendar_date_valid(20240229));
	assert_true(core_calendar_date_valid(20000229));
	assert_false(core_calendar_date_valid(20230229));
	assert_false(core_calendar_date_valid(19000229));
	assert_false(core_calendar_date_valid(20261301));
	assert_false(core_calendar_date_valid(20260001));
	assert_false(core_calendar_date_valid(20260431));
	assert_false(core_calendar_date_valid(20260100));
	assert_false(core_calendar_date_valid(0));
	assert_false(core_calendar_date_valid(-20260101));
	int64_t d;
	assert_int_equal(core_calendar_date_to_days(20230229, &d), -EINVAL);
}

static void test_calendar_weekdays_of_known_dates(void **state)
{
	(void)state;
	assert_int_equal(core_calendar_weekday(19700101), CORE_THURSDAY);
	assert_int_equal(core_calendar_weekday(20000101), CORE_SATURDAY);
	assert_int_equal(core_calendar_weekday(20130102), CORE_WEDNESDAY); /* first AAPL bar */
	assert_int_equal(core_calendar_weekday(20231229), CORE_FRIDAY); /* last AAPL bar */
	assert_int_equal(core_calendar_weekday(20260308), CORE_SUNDAY);
	assert_int_equal(core_calendar_weekday(20260413), CORE_MONDAY); /* QQQ chain date */
	assert_int_equal(core_calendar_weekday(20241225), CORE_WEDNESDAY);
	assert_int_equal(core_calendar_weekday(19691231), CORE_WEDNESDAY);
	assert_int_equal(core_calendar_weekday(10101), CORE_MONDAY);
	assert_int_equal(core_calendar_weekday(20260230), -EINVAL);
}

static void test_calendar_dte_counts_calendar_days(void **state)
{
	(void)state;
	int32_t n;
	assert_int_equal(core_calendar_dte(20260105, 20260109, &n), 0); /* Mon -> Fri */
	assert_int_equal(n, 4);
	assert_int_equal(core_calendar_dte(20260108, 20260108, &n), 0); /* 0DTE */
	assert_int_equal(n, 0);
	assert_int_equal(core_calendar_dte(20240228, 20240301, &n), 0); /* leap day */
	assert_int_equal(n, 2);
	assert_int_equal(core_calendar_dte(20231229, 20240119, &n), 0);
	assert_int_equal(n, 21);
	assert_int_equal(core_calendar_dte(20260109, 20260105, &n), 0);
	assert_int_equal(n, -4);
	assert_int_equal(core_calendar_dte(20260109, 20261305, &n), -EINVAL);
}

static void check_local(int64_t utc_sec, int32_t date, int32_t hh, int32_t mm, int32_t ss,
			int32_t offset)
{
	struct core_calendar_local l;
	assert_int_equal(core_calendar_ny_from_utc_ns(utc_sec * NS, &l), 0);
	assert_int_equal(l.date, date);
	assert_int_equal(l.sec_of_day, hh * 3600 + mm * 60 + ss);
	assert_int_equal(l.utc_offset, offset);
	assert_int_equal(l.dst, offset == -14400);
	assert_int_equal(l.weekday, core_calendar_weekday(date));
}

static int64_t utc(int32_t date, int32_t hh, int32_t mm, int32_t ss)
{
	int64_t d;
	assert_int_equal(core_calendar_date_to_days(date, &d), 0);
	return d * 86400 + hh * 3600 + mm * 60 + ss;
}

static void test_calendar_ny_switches_at_the_2024_2025_2026_instants(void **state)
{
	(void)state;
	static const struct {
		int year;
		int32_t spring, fall;
	} sw[] = {
		{2024, 20240310, 20241103}, {2025, 20250309, 20251102}, {2026, 20260308, 20261101}};
	for (size_t i = 0; i < 3; i++) {
		/* spring: 07:00 UTC is 03:00 EDT, one second earlier is 01:59:59 EST */
		check_local(utc(sw[i].spring, 7, 0, 0), sw[i].spring, 3, 0, 0, -14400);
		check_local(utc(sw[i].spring, 6, 59, 59), sw[i].spring, 1, 59, 59, -18000);
		/* fall: 06:00 UTC is 01:00 EST, one second earlier is 01:59:59 EDT */
		check_local(utc(sw[i].fall, 6, 0, 0), sw[i].fall, 1, 0, 0, -18000);
		check_local(utc(sw[i].fall, 5, 59, 59), sw[i].fall, 1, 59, 59, -14400);
		int64_t s, e;
		assert_int_equal(core_calendar_ny_dst_bounds(sw[i].year, &s, &e), 0);
		assert_true(s == utc(sw[i].spring, 7, 0, 0) * NS);
		assert_true(e == utc(sw[i].fall, 6, 0, 0) * NS);
	}
	/* the nanosecond before the switch is still standard time */
	struct core_calendar_local l;
	assert_int_equal(core_calendar_ny_from_utc_ns(utc(20260308, 7, 0, 0) * NS - 1, &l), 0);
	assert_false(l.dst);
	assert_int_equal(l.sec_of_day, 1 * 3600 + 59 * 60 + 59);
	assert_int_equal(l.nsec, 999999999);
}

/* Expected values from Python's zoneinfo (the tz database), seeded random instants:
 *   datetime.fromtimestamp(t, timezone.utc).astimezone(ZoneInfo('America/New_York')) */
static void test_calendar_ny_matches_the_tz_database(void **state)
{
	(void)state;
	static const struct {
		int64_t t;
		int32_t date, sod, offset, weekday;
	} tz[] = {
		{1231883164ll, 20090113, 60364, -18000, 2},
		{860403739ll, 19970407, 18139, -14400, 1},
		{1384334599ll, 20131113, 15799, -18000, 3},
		{1934328744ll, 20310418, 77544, -14400, 5},
		{640151912ll, 19900414, 86312, -14400, 6},
		{692013337ll, 19911206, 17737, -18000, 5},
		{1687255445ll, 20230620, 21845, -14400, 2},
		{738600328ll, 19930528, 38728, -14400, 5},
		{1321768572ll, 20111120, 3372, -18000, 0},
		{1787985326ll, 20260829, 9326, -14400, 6},
		{1710053999ll, 20240310, 7199, -18000, 0},
		{1710054000ll, 20240310, 10800, -14400, 0},
		{1730613599ll, 20241103, 7199, -14400, 0},
		{1730613600ll, 20241103, 3600, -18000, 0},
	};
	for (size_t i = 0; i < sizeof(tz) / sizeof(tz[0]); i++) {
		struct core_calendar_local l;
		assert_int_equal(core_calendar_ny_from_utc_ns(tz[i].t * NS + 123, &l), 0);
		assert_int_equal(l.date, tz[i].date);
		assert_int_equal(l.sec_of_day, tz[i].sod);
		assert_int_equal(l.utc_offset, tz[i].offset);
		assert_int_equal(l.weekday, tz[i].weekday);
		assert_int_equal(l.nsec, 123);
	}
}

static void test_calendar_ny_uses_the_1987_2006_rule_before_2007(void **state)
{
	(void)state;
	/* 2006: first Sunday of April (Apr 2) -> last Sunday of October (Oct 29) */
	check_local(utc(20060402, 7, 0, 0), 20060402, 3, 0, 0, -14400);
	check_local(utc(20060402, 6, 59, 59), 20060402, 1, 59, 59, -18000);
	check_local(utc(20061029, 6, 0, 0), 20061029, 1, 0, 0, -18000);
	check_local(utc(20061029, 5, 59, 59), 20061029, 1, 59, 59, -14400);
	/* March 2006 was still standard time; 2007 already daylight time */
	check_local(utc(20060315, 15, 0, 0), 20060315, 10, 0, 0, -18000);
	check_local(utc(20070315, 15, 0, 0), 20070315, 11, 0, 0, -14400);
	struct core_calendar_local l;
	assert_int_equal(core_calendar_ny_from_utc_ns(utc(19861231, 12, 0, 0) * NS, &l), -ERANGE);
	assert_int_equal(core_calendar_ny_from_utc_ns(-1, &l), -ERANGE);
	/* the first UTC second of 1987 is still 1986 in New York */
	check_local(utc(19870101, 0, 0, 0), 19861231, 19, 0, 0, -18000);
	int64_t s, e;
	assert_int_equal(core_calendar_ny_dst_bounds(1986, &s, &e), -ERANGE);
	assert_int_equal(core_calendar_ny_dst_bounds(2262, &s, &e), -ERANGE);
}

static void test_calendar_ny_local_to_utc(void **state)
{
	(void)state;
	int64_t ns;
	/* the 09:30 ATR job: 14:30 UTC in winter, 13:30 UTC in summer */
	assert_int_equal(core_calendar_ny_to_utc_ns(20260115, 34200, &ns), 0);
	assert_true(ns == utc(20260115, 14, 30, 0) * NS);
	assert_int_equal(core_calendar_ny_to_utc_ns(20260309, 34200, &ns), 0);
	assert_true(ns == utc(20260309, 13, 30, 0) * NS);
	/* 02:30 on the spring-forward day does not exist */
	assert_int_equal(core_calendar_ny_to_utc_ns(20260308, 2 * 3600 + 1800, &ns), -ENOENT);
	assert_int_equal(core_calendar_ny_to_utc_ns(20260308, 2 * 3600, &ns), -ENOENT);
	assert_int_equal(core_calendar_ny_to_utc_ns(20260308, 3 * 3600, &ns), 0);
	assert_true(ns == utc(20260308, 7, 0, 0) * NS);
	/* 01:30 on the fall-back day happens twice: the first (EDT) one */
	assert_int_equal(core_calendar_ny_to_utc_ns(20261101, 5400, &ns), 0);
	assert_true(ns == utc(20261101, 5, 30, 0) * NS);
	assert_int_equal(core_calendar_ny_to_utc_ns(20261101, 2 * 3600, &ns), 0);
	assert_true(ns == utc(20261101, 7, 0, 0) * NS);
	assert_int_equal(core_calendar_ny_to_utc_ns(20261301, 0, &ns), -EINVAL);
	assert_int_equal(core_calendar_ny_to_utc_ns(20260101, 86400, &ns), -EINVAL);
	assert_int_equal(core_calendar_ny_to_utc_ns(19860601, 0, &ns), -ERANGE);
}

/* Every quarter hour of 2024-2026 maps to local time and back, except the second
 * pass through the repeated November hour. */
static void test_calendar_ny_date_is_the_new_york_day(void **state)
{
	(void)state;
	/* 2026-01-16 04:59:59 UTC is still the 15th in New York (EST), 05:00:00 the 16th;
	 * in summer (EDT) the day changes at 04:00 UTC */
	int64_t s = 1000000000ll;
	int64_t jan16 = core_calendar_days_from_civil(2026, 1, 16) * 86400 * s;
	assert_int_equal(core_calendar_ny_date(jan16 + (5 * 3600 - 1) * s), 20260115);
	assert_int_equal(core_calendar_ny_date(jan16 + 5 * 3600 * s), 20260116);
	int64_t jul16 = core_calendar_days_from_civil(2026, 7, 16) * 86400 * s;
	assert_int_equal(core_calendar_ny_date(jul16 + (4 * 3600 - 1) * s), 20260715);
	assert_int_equal(core_calendar_ny_date(jul16 + 4 * 3600 * s), 20260716);
	assert_int_equal(core_calendar_ny_date(0), 0); /* before 1987 */
}

static void test_calendar_ny_round_trips_every_quarter_hour(void **state)
{
	(void)state;
	int repeated = 0;
	for (int64_t t = utc(20240101, 0, 0, 0); t < utc(20270101, 0, 0, 0); t += 900) {
		struct core_calendar_local l;
		assert_int_equal(core_calendar_ny_from_utc_ns(t * NS, &l), 0);
		int64_t back;
		assert_int_equal(core_calendar_ny_to_utc_ns(l.date, l.sec_of_day, &back), 0);
		if (back != t * NS) {
			assert_false(l.dst);
			assert_true(back == (t - 3600) * NS);
			repeated++;
		}
	}
	assert_int_equal(repeated, 3 * 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calendar_days_match_known_dates),
		cmocka_unit_test(test_calendar_civil_round_trips_every_day_of_years_1_to_9999),
		cmocka_unit_test(test_calendar_validates_dates),
		cmocka_unit_test(test_calendar_weekdays_of_known_dates),
		cmocka_unit_test(test_calendar_dte_counts_calendar_days),
		cmocka_unit_test(test_calendar_ny_switches_at_the_2024_2025_2026_instants),
		cmocka_unit_test(test_calendar_ny_matches_the_tz_database),
		cmocka_unit_test(test_calendar_ny_uses_the_1987_2006_rule_before_2007),
		cmocka_unit_test(test_calendar_ny_local_to_utc),
		cmocka_unit_test(test_calendar_ny_date_is_the_new_york_day),
		cmocka_unit_test(test_calendar_ny_round_trips_every_quarter_hour),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
