/*
 * core_rules_nyse.h — the NYSE trading calendar: full holidays and 13:00 early closes,
 * maintained for CORE_NYSE_FIRST_YEAR..CORE_NYSE_LAST_YEAR (2024–2030).
 *
 * Holidays are derived from NYSE Rule 7.2's rules, one function per holiday:
 *   New Year's Day          1 January; Sunday -> Monday 2 January; Saturday -> none
 *                           (the Friday before ends the year: NYSE does not close it)
 *   Martin Luther King Jr.  third Monday of January
 *   Washington's Birthday   third Monday of February
 *   Good Friday             two days before Western Easter (anonymous Gregorian computus)
 *   Memorial Day            last Monday of May
 *   Juneteenth              19 June, from 2022; Saturday -> Friday, Sunday -> Monday
 *   Independence Day        4 July;            Saturday -> Friday, Sunday -> Monday
 *   Labor Day               first Monday of September
 *   Thanksgiving Day        fourth Thursday of November
 *   Christmas Day           25 December;       Saturday -> Friday, Sunday -> Monday
 * Early closes at 13:00 New York time:
 *   3 July when it falls Monday..Thursday (the day before Independence Day; a Friday
 *   3 July is the observed holiday itself), the Friday after Thanksgiving, and 24
 *   December when it falls Monday..Thursday (a Friday 24 December is the observed
 *   Christmas).
 * The exception table in the .c holds closures no rule predicts (2025-01-09, national
 * day of mourning for President Carter); extend it, and CORE_NYSE_LAST_YEAR, when NYSE
 * publishes a change. Outside the maintained years every query is -ERANGE: the caller
 * treats the day as not eligible (fail safe), never as an ordinary day.
 *
 * Regular session 09:30–16:00 New York time. Pure: static tables, no I/O.
 */
#ifndef CORE_RULES_NYSE_H
#define CORE_RULES_NYSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CORE_NYSE_FIRST_YEAR 2024
#define CORE_NYSE_LAST_YEAR 2030
#define CORE_NYSE_OPEN_S (9 * 3600 + 30 * 60) /* 09:30:00 */
#define CORE_NYSE_CLOSE_S (16 * 3600) /* 16:00:00 */
#define CORE_NYSE_EARLY_CLOSE_S (13 * 3600) /* 13:00:00 */
#define CORE_NYSE_YEAR_MAX 16 /* holidays + early closes of one year, bound */

enum core_nyse_kind {
	CORE_NYSE_OPEN = 0, /* regular session */
	CORE_NYSE_EARLY_CLOSE = 1, /* open, closes at 13:00 */
	CORE_NYSE_HOLIDAY = 2, /* a weekday the exchange is closed */
	CORE_NYSE_WEEKEND = 3,
};

struct core_nyse_day {
	int32_t date; /* YYYYMMDD */
	enum core_nyse_kind kind;
	int32_t open_s; /* New York seconds of day; 0 when closed */
	int32_t close_s; /* 16:00 or 13:00; 0 when closed */
	/* the holiday or early close ("Thanksgiving Day", "Day after Thanksgiving");
	 * NULL on an ordinary day or a weekend */
	const char *name;
};

/* The session of one date. Returns 0, -EINVAL (not a date) or -ERANGE (outside the
 * maintained years; *out untouched). */
int core_rules_nyse_day(int32_t date, struct core_nyse_day *out);

/* true on a day with a session (regular or early close); false when closed, outside
 * the maintained years or not a date. */
bool core_rules_nyse_is_trading_day(int32_t date);

/*
 * Every holiday (weekday closure) and early close of `year`, in date order, into
 * out[0..cap). Returns the count, -ERANGE (year not maintained) or -ENOSPC.
 */
int core_rules_nyse_year(int32_t year, struct core_nyse_day *out, size_t cap);

/* The first trading day strictly after / before `date`. Returns 0, -EINVAL or -ERANGE
 * (the search left the maintained years). */
int core_rules_nyse_next_trading_day(int32_t date, int32_t *next);
int core_rules_nyse_prev_trading_day(int32_t date, int32_t *prev);

#endif
