#include "workers/core/core_calendar.h"

#include <errno.h>

#define EST_OFFSET (-5 * 3600)
#define EDT_OFFSET (-4 * 3600)
#define LAST_YEAR 2261 /* int64 nanoseconds end on 2262-04-11 */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Hinnant, "chrono-Compatible Low-Level Date Algorithms": a year starts in March so
 * that the leap day is the last day of the (shifted) year. */
int64_t core_calendar_days_from_civil(int32_t year, uint32_t month, uint32_t day)
{
	int64_t y = (int64_t)year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (int64_t)(month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void core_calendar_civil_from_days(int64_t days, int32_t *year, uint32_t *month, uint32_t *day)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	uint32_t m = (uint32_t)(mp < 10 ? mp + 3 : mp - 9);
	*day = (uint32_t)(doy - (153 * mp + 2) / 5 + 1);
	*month = m;
	*year = (int32_t)(yoe + era * 400 + (m <= 2));
}

static bool is_leap(int32_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static uint32_t month_days(int32_t y, uint32_t m)
{
	static const uint8_t len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

bool core_calendar_date_valid(int32_t yyyymmdd)
{
	int32_t y = yyyymmdd / 10000;
	uint32_t m = (uint32_t)(yyyymmdd / 100 % 100);
	uint32_t d = (uint32_t)(yyyymmdd % 100);
	if (yyyymmdd <= 0 || y < 1 || y > 9999 || m < 1 || m > 12)
		return false;
	return d >= 1 && d <= month_days(y, m);
}

int core_calendar_date_to_days(int32_t yyyymmdd, int64_t *days)
{
	if (!core_calendar_date_valid(yyyymmdd))
		return -EINVAL;
	*days = core_calendar_days_from_civil(yyyymmdd / 10000, (uint32_t)(yyyymmdd / 100 % 100),
					      (uint32_t)(yyyymmdd % 100));
	return 0;
}

int core_calendar_days_to_date(int64_t days, int32_t *yyyymmdd)
{
	/* 0001-01-01 .. 9999-12-31 */
	if (days < -719162 || days > 2932896)
		return -ERANGE;
	int32_t y;
	uint32_t m, d;
	core_calendar_civil_from_days(days, &y, &m, &d);
	*yyyymmdd = y * 10000 + (int32_t)(m * 100 + d);
	return 0;
}

static int weekday_of_days(int64_t days)
{
	/* 1970-01-01 was a Thursday */
	int64_t w = (days + CORE_THURSDAY) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

int core_calendar_weekday(int32_t yyyymmdd)
{
	int64_t days;
	if (core_calendar_date_to_days(yyyymmdd, &days))
		return -EINVAL;
	return weekday_of_days(days);
}

int core_calendar_dte(int32_t from, int32_t to, int32_t *days)
{
	int64_t a, b;
	if (core_calendar_date_to_days(from, &a) || core_calendar_date_to_days(to, &b))
		return -EINVAL;
	*days = (int32_t)(b - a);
	return 0;
}

/* Day number of the n-th (1-based) Sunday of a month, or of its last one (n == 0). */
static int64_t sunday_of(int32_t year, uint32_t month, int n)
{
	if (n == 0) {
		uint32_t last = month_days(year, month);
		int64_t d = core_calendar_days_from_civil(year, month, last);
		return d - weekday_of_days(d);
	}
	int64_t first = core_calendar_days_from_civil(year, month, 1);
	return first + (7 - weekday_of_days(first)) % 7 + 7 * (n - 1);
}

/* DST start / end in UTC seconds: 02:00 local standard time is 07:00 UTC, 02:00 local
 * daylight time is 06:00 UTC. */
static int dst_bounds_sec(int32_t year, int64_t *start, int64_t *end)
{
	if (year < CORE_CALENDAR_NY_FIRST_YEAR || year > LAST_YEAR + 1)
		return -ERANGE;
	int64_t s, e;
	if (year >= 2007) {
		s = sunday_of(year, 3, 2);
		e = sunday_of(year, 11, 1);
	} else {
		s = sunday_of(year, 4, 1);
		e = sunday_of(year, 10, 0);
	}
	*start = s * CORE_CALENDAR_SEC_PER_DAY + 2 * 3600 - EST_OFFSET;
	*end = e * CORE_CALENDAR_SEC_PER_DAY + 2 * 3600 - EDT_OFFSET;
	return 0;
}

int core_calendar_ny_dst_bounds(int32_t year, int64_t *start_ns, int64_t *end_ns)
{
	int64_t s, e;
	if (year > LAST_YEAR || dst_bounds_sec(year, &s, &e))
		return -ERANGE;
	*start_ns = s * CORE_CALENDAR_NS_PER_SEC;
	*end_ns = e * CORE_CALENDAR_NS_PER_SEC;
	return 0;
}

static bool is_dst(int64_t utc_sec, int32_t year)
{
	int64_t s, e;
	if (dst_bounds_sec(year, &s, &e))
		return false;
	return utc_sec >= s && utc_sec < e;
}

int core_calendar_ny_from_utc_ns(int64_t utc_ns, struct core_calendar_local *out)
{
	int64_t sec = floor_div(utc_ns, CORE_CALENDAR_NS_PER_SEC);
	int32_t y;
	uint32_t m, d;
	/* DST never spans a new year, so the UTC year picks the right rule */
	core_calendar_civil_from_days(floor_div(sec, CORE_CALENDAR_SEC_PER_DAY), &y, &m, &d);
	if (y < CORE_CALENDAR_NY_FIRST_YEAR)
		return -ERANGE;
	bool dst = is_dst(sec, y);
	int32_t off = dst ? EDT_OFFSET : EST_OFFSET;
	int64_t local = sec + off;
	int64_t days = floor_div(local, CORE_CALENDAR_SEC_PER_DAY);
	core_calendar_civil_from_days(days, &y, &m, &d);
	out->date = y * 10000 + (int32_t)(m * 100 + d);
	out->sec_of_day = (int32_t)(local - days * CORE_CALENDAR_SEC_PER_DAY);
	out->nsec = (int32_t)(utc_ns - sec * CORE_CALENDAR_NS_PER_SEC);
	out->utc_offset = off;
	out->dst = dst;
	out->weekday = (uint8_t)weekday_of_days(days);
	return 0;
}

int core_calendar_ny_to_utc_ns(int32_t date, int32_t sec_of_day, int64_t *utc_ns)
{
	int64_t days;
	if (core_calendar_date_to_days(date, &days) || sec_of_day < 0 ||
	    sec_of_day >= CORE_CALENDAR_SEC_PER_DAY)
		return -EINVAL;
	int32_t year = date / 10000;
	if (year < CORE_CALENDAR_NY_FIRST_YEAR || year > LAST_YEAR)
		return -ERANGE;
	int64_t local = days * CORE_CALENDAR_SEC_PER_DAY + sec_of_day;
	/* Try daylight time first, so the repeated November hour resolves to EDT; a wall
	 * time that neither offset maps back onto is in the March gap. */
	int64_t utc = local - EDT_OFFSET;
	if (!is_dst(utc, year)) {
		utc = local - EST_OFFSET;
		if (is_dst(utc, year))
			return -ENOENT;
	}
	*utc_ns = utc * CORE_CALENDAR_NS_PER_SEC;
	return 0;
}

int32_t core_calendar_ny_date(int64_t utc_ns)
{
	struct core_calendar_local lt;
	return core_calendar_ny_from_utc_ns(utc_ns, &lt) == 0 ? lt.date : 0;
}
