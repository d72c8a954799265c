/*
 * core_calendar.h — civil dates, weekdays, calendar-day DTE and America/New_York
 * local time from UTC nanoseconds.
 *
 * Dates are int32 YYYYMMDD (20260308) in the proleptic Gregorian calendar; "days" are
 * days since 1970-01-01 (negative before). The time zone is computed from the US
 * daylight-saving rule, never read from /usr/share/zoneinfo, so every host and every
 * replay gives the same answer:
 *   2007 and later: EDT (UTC−4) from the second Sunday of March 02:00 EST (07:00 UTC)
 *                   to the first Sunday of November 02:00 EDT (06:00 UTC);
 *   1987–2006:      first Sunday of April → last Sunday of October, same hours;
 *   before 1987:    -ERANGE (the older rules are not implemented).
 * EST is UTC−5 the rest of the year. Pure functions: no I/O, no clock, no state.
 * Market holidays and sessions are not here (they need a configured holiday list).
 */
#ifndef CORE_CALENDAR_H
#define CORE_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

#define CORE_CALENDAR_NS_PER_SEC 1000000000ll
#define CORE_CALENDAR_SEC_PER_DAY 86400
#define CORE_CALENDAR_NY_FIRST_YEAR 1987

/* struct tm's numbering: 0 = Sunday … 6 = Saturday. */
enum core_calendar_weekday {
	CORE_SUNDAY = 0,
	CORE_MONDAY,
	CORE_TUESDAY,
	CORE_WEDNESDAY,
	CORE_THURSDAY,
	CORE_FRIDAY,
	CORE_SATURDAY
};

/* New York wall-clock time of one instant. */
struct core_calendar_local {
	int32_t date; /* YYYYMMDD, local */
	int32_t sec_of_day; /* seconds since local midnight, 0..86399 (09:45:00 = 35100) */
	int32_t nsec; /* nanoseconds within the second, 0..999999999 */
	int32_t utc_offset; /* seconds east of UTC: −14400 (EDT) or −18000 (EST) */
	bool dst; /* EDT */
	uint8_t weekday; /* enum core_calendar_weekday of `date` */
};

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). No
 * validation: month 1..12 and day 1..31 are the caller's promise; any int32 year works. */
int64_t core_calendar_days_from_civil(int32_t year, uint32_t month, uint32_t day);

/* The inverse, exact for every day from year −5 877 641 to 5 881 580. */
void core_calendar_civil_from_days(int64_t days, int32_t *year, uint32_t *month, uint32_t *day);

/* true when yyyymmdd names a real day of years 1..9999 (leap years included). */
bool core_calendar_date_valid(int32_t yyyymmdd);

/* YYYYMMDD -> days since 1970-01-01. Returns 0 or -EINVAL (not a valid date). */
int core_calendar_date_to_days(int32_t yyyymmdd, int64_t *days);

/* days since 1970-01-01 -> YYYYMMDD. Returns 0 or -ERANGE (outside years 1..9999). */
int core_calendar_days_to_date(int64_t days, int32_t *yyyymmdd);

/* Weekday of a valid date (enum core_calendar_weekday), or -EINVAL. */
int core_calendar_weekday(int32_t yyyymmdd);

/* Calendar days from `from` to `to` (RULES §1 DTE: trade date -> expiry; negative when
 * `to` is earlier). Returns 0 or -EINVAL (either date invalid). */
int core_calendar_dte(int32_t from, int32_t to, int32_t *days);

/* The UTC instants (ns since the epoch) at which New York switches to EDT (`start`)
 * and back to EST (`end`) in `year`. Returns 0 or -ERANGE (year < 1987 or > 2261). */
int core_calendar_ny_dst_bounds(int32_t year, int64_t *start_ns, int64_t *end_ns);

/* New York local time of a UTC instant (ns since 1970-01-01T00:00:00Z, no leap
 * seconds). Returns 0 or -ERANGE (before 1987). */
int core_calendar_ny_from_utc_ns(int64_t utc_ns, struct core_calendar_local *out);

/* The New York date (YYYYMMDD) of a UTC instant, or 0 before 1987. */
int32_t core_calendar_ny_date(int64_t utc_ns);

/*
 * UTC instant of a New York wall-clock time (a valid date and sec_of_day 0..86399).
 * The spring-forward gap (02:00:00–02:59:59 on the March switch day) does not exist:
 * -ENOENT. The repeated fall-back hour (01:00:00–01:59:59 on the November switch day)
 * resolves to its first, EDT, occurrence. Market hours are never in either.
 * Returns 0, -EINVAL (bad date or time), -ENOENT or -ERANGE (before 1987).
 */
int core_calendar_ny_to_utc_ns(int32_t date, int32_t sec_of_day, int64_t *utc_ns);

#endif
