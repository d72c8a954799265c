#include "workers/core/core_rules_nyse.h"
#include "workers/core/core_calendar.h"

#include <errno.h>

/*
 * Closures and early closes no rule predicts, maintained by hand from NYSE notices.
 * A row overrides whatever the rules say about that date.
 */
static const struct exception_row {
	int32_t date;
	enum core_nyse_kind kind;
	const char *name;
} exceptions[] = {
	{20250109, CORE_NYSE_HOLIDAY, "National Day of Mourning (President Carter)"},
};

static int32_t ymd(int32_t y, int32_t m, int32_t d)
{
	return y * 10000 + m * 100 + d;
}

static int wday(int32_t y, int32_t m, int32_t d)
{
	return core_calendar_weekday(ymd(y, m, d));
}

/* Day of month of the n-th (1-based) weekday wd in month m. */
static int32_t nth_weekday(int32_t y, int32_t m, int wd, int n)
{
	int first = wday(y, m, 1);
	return 1 + (wd - first + 7) % 7 + 7 * (n - 1);
}

static int32_t last_weekday(int32_t y, int32_t m, int wd, int32_t days_in_month)
{
	int last = wday(y, m, days_in_month);
	return days_in_month - (last - wd + 7) % 7;
}

/* Saturday -> the Friday before, Sunday -> the Monday after (as YYYYMMDD). */
static int32_t observed(int32_t y, int32_t m, int32_t d)
{
	int64_t days;
	core_calendar_date_to_days(ymd(y, m, d), &days);
	int w = wday(y, m, d);
	if (w == CORE_SATURDAY)
		days -= 1;
	else if (w == CORE_SUNDAY)
		days += 1;
	int32_t out;
	core_calendar_days_to_date(days, &out);
	return out;
}

/* Western Easter Sunday: the anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
static int32_t easter(int32_t y)
{
	int32_t a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
	int32_t f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
	int32_t i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
	int32_t m = (a + 11 * h + 22 * l) / 451;
	int32_t month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
	return ymd(y, month, day);
}

static int32_t add_days(int32_t date, int n)
{
	int64_t days;
	core_calendar_date_to_days(date, &days);
	int32_t out;
	core_calendar_days_to_date(days + n, &out);
	return out;
}

struct rule_day {
	int32_t date;
	enum core_nyse_kind kind;
	const char *name;
};

/* The rule-derived special days of a year, in date order; returns the count. */
static int derive_year(int32_t y, struct rule_day *out)
{
	int n = 0;
	int ny = wday(y, 1, 1);
	if (ny != CORE_SATURDAY)
		out[n++] =
			(struct rule_day){observed(y, 1, 1), CORE_NYSE_HOLIDAY, "New Year's Day"};
	out[n++] = (struct rule_day){ymd(y, 1, nth_weekday(y, 1, CORE_MONDAY, 3)),
				     CORE_NYSE_HOLIDAY, "Martin Luther King Jr. Day"};
	out[n++] = (struct rule_day){ymd(y, 2, nth_weekday(y, 2, CORE_MONDAY, 3)),
				     CORE_NYSE_HOLIDAY, "Washington's Birthday"};
	out[n++] = (struct rule_day){add_days(easter(y), -2), CORE_NYSE_HOLIDAY, "Good Friday"};
	out[n++] = (struct rule_day){ymd(y, 5, last_weekday(y, 5, CORE_MONDAY, 31)),
				     CORE_NYSE_HOLIDAY, "Memorial Day"};
	if (y >= 2022)
		out[n++] = (struct rule_day){observed(y, 6, 19), CORE_NYSE_HOLIDAY,
					     "Juneteenth National Independence Day"};
	int j3 = wday(y, 7, 3);
	if (j3 >= CORE_MONDAY && j3 <= CORE_THURSDAY)
		out[n++] = (struct rule_day){ymd(y, 7, 3), CORE_NYSE_EARLY_CLOSE,
					     "Day before Independence Day"};
	out[n++] = (struct rule_day){observed(y, 7, 4), CORE_NYSE_HOLIDAY, "Independence Day"};
	out[n++] = (struct rule_day){ymd(y, 9, nth_weekday(y, 9, CORE_MONDAY, 1)),
				     CORE_NYSE_HOLIDAY, "Labor Day"};
	int32_t tg = ymd(y, 11, nth_weekday(y, 11, CORE_THURSDAY, 4));
	out[n++] = (struct rule_day){tg, CORE_NYSE_HOLIDAY, "Thanksgiving Day"};
	out[n++] =
		(struct rule_day){add_days(tg, 1), CORE_NYSE_EARLY_CLOSE, "Day after Thanksgiving"};
	int c24 = wday(y, 12, 24);
	if (c24 >= CORE_MONDAY && c24 <= CORE_THURSDAY)
		out[n++] =
			(struct rule_day){ymd(y, 12, 24), CORE_NYSE_EARLY_CLOSE, "Christmas Eve"};
	out[n++] = (struct rule_day){observed(y, 12, 25), CORE_NYSE_HOLIDAY, "Christmas Day"};
	return n;
}

static bool maintained(int32_t y)
{
	return y >= CORE_NYSE_FIRST_YEAR && y <= CORE_NYSE_LAST_YEAR;
}

static void fill(struct core_nyse_day *out, int32_t date, enum core_nyse_kind kind,
		 const char *name)
{
	out->date = date;
	out->kind = kind;
	out->name = name;
	out->open_s =
		kind == CORE_NYSE_OPEN || kind == CORE_NYSE_EARLY_CLOSE ? CORE_NYSE_OPEN_S : 0;
	out->close_s = kind == CORE_NYSE_OPEN          ? CORE_NYSE_CLOSE_S
		       : kind == CORE_NYSE_EARLY_CLOSE ? CORE_NYSE_EARLY_CLOSE_S
						       : 0;
}

int core_rules_nyse_day(int32_t date, struct core_nyse_day *out)
{
	if (!core_calendar_date_valid(date))
		return -EINVAL;
	int32_t y = date / 10000;
	if (!maintained(y))
		return -ERANGE;
	for (size_t i = 0; i < sizeof(exceptions) / sizeof(exceptions[0]); i++) {
		if (exceptions[i].date == date) {
			fill(out, date, exceptions[i].kind, exceptions[i].name);
			return 0;
		}
	}
	int w = core_calendar_weekday(date);
	if (w == CORE_SATURDAY || w == CORE_SUNDAY) {
		fill(out, date, CORE_NYSE_WEEKEND, NULL);
		return 0;
	}
	struct rule_day days[CORE_NYSE_YEAR_MAX];
	int n = derive_year(y, days);
	for (int i = 0; i < n; i++) {
		if (days[i].date == date) {
			fill(out, date, days[i].kind, days[i].name);
			return 0;
		}
	}
	fill(out, date, CORE_NYSE_OPEN, NULL);
	return 0;
}

bool core_rules_nyse_is_trading_day(int32_t date)
{
	struct core_nyse_day d;
	return core_rules_nyse_day(date, &d) == 0 &&
	       (d.kind == CORE_NYSE_OPEN || d.kind == CORE_NYSE_EARLY_CLOSE);
}

int core_rules_nyse_year(int32_t year, struct core_nyse_day *out, size_t cap)
{
	if (!maintained(year))
		return -ERANGE;
	int64_t first, last;
	core_calendar_date_to_days(ymd(year, 1, 1), &first);
	core_calendar_date_to_days(ymd(year, 12, 31), &last);
	size_t n = 0;
	for (int64_t z = first; z <= last; z++) {
		int32_t date;
		struct core_nyse_day d;
		core_calendar_days_to_date(z, &date);
		core_rules_nyse_day(date, &d);
		if (d.kind != CORE_NYSE_HOLIDAY && d.kind != CORE_NYSE_EARLY_CLOSE)
			continue;
		if (n >= cap)
			return -ENOSPC;
		out[n++] = d;
	}
	return (int)n;
}

static int step_trading_day(int32_t date, int dir, int32_t *res)
{
	if (!core_calendar_date_valid(date))
		return -EINVAL;
	for (int i = 1; i <= 15; i++) {
		int32_t d = add_days(date, dir * i);
		struct core_nyse_day s;
		int rc = core_rules_nyse_day(d, &s);
		if (rc)
			return rc;
		if (s.kind == CORE_NYSE_OPEN || s.kind == CORE_NYSE_EARLY_CLOSE) {
			*res = d;
			return 0;
		}
	}
	return -ERANGE; /* unreachable: no 15-day closure in the rules */
}

int core_rules_nyse_next_trading_day(int32_t date, int32_t *next)
{
	return step_trading_day(date, 1, next);
}

int core_rules_nyse_prev_trading_day(int32_t date, int32_t *prev)
{
	return step_trading_day(date, -1, prev);
}
