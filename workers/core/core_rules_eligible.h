/*
 * core_rules_eligible.h — may this account sell this contract now? (RULES §1)
 *
 * One function, one answer: CORE_WHY_OK, or the first rule that fails, checked in this
 * order (the enum core_rules_why order):
 *   1. account type known                          BAD_ACCOUNT
 *   2. the account sells this right (Gen/Rev puts,  WRONG_RIGHT
 *      Com calls, Mini either: puts under its CSP
 *      rule, calls under its CC rule)
 *   3. symbol in the rule's list                    SYMBOL_NOT_PERMITTED
 *   4. New York weekday is an entry day             NOT_ENTRY_DAY
 *   5. the date is in the maintained NYSE calendar  CALENDAR_UNKNOWN
 *   6. NYSE is open that day                        HOLIDAY
 *   7. time in [window_start, window_end), clipped  BEFORE_WINDOW / AFTER_WINDOW
 *      to the day's session (an early close ends
 *      the window at 13:00 at the latest)
 *   8. contract well formed                         BAD_CONTRACT
 *   9. DTE = calendar days from the New York date   EXPIRED / DTE_BELOW / DTE_ABOVE
 *      of `now` to expiry, in [dte_min, dte_max]
 *  10. |delta| in [delta_min, delta_max]            DELTA_UNKNOWN / DELTA_BELOW / DELTA_ABOVE
 * Both bands are inclusive at both ends; the window is half-open: 09:45:00.000000000
 * is in, 10:59:59.999999999 is in, 11:00:00 is out. `now` is UTC nanoseconds; the New
 * York wall clock comes from core_calendar (daylight saving from the US rule).
 *
 * Pure: the caller passes the time. The verdict text carries the numbers:
 *   "delta_above: |delta| 0.460000 above 0.4..0.45"
 */
#ifndef CORE_RULES_ELIGIBLE_H
#define CORE_RULES_ELIGIBLE_H

#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_cfg.h"
#include "workers/core/core_rules_nyse.h"
#include "workers/core/core_rules_why.h"

#include <stdint.h>

struct core_rules_contract {
	enum core_right right;
	int64_t strike; /* × 10^8, > 0 */
	int32_t expiry; /* YYYYMMDD */
	double delta; /* signed or absolute (|delta| is compared); NaN = unknown */
};

/* When and where the entry clock stands: filled by core_rules_entry_time. */
struct core_rules_entry_clock {
	/* New York wall clock of `now` */
	struct core_calendar_local local;
	/* that day's NYSE session (valid once the calendar check has passed) */
	struct core_nyse_day session;
	/* the effective window, clipped to the session */
	int32_t window_start_s;
	int32_t window_end_s;
};

/*
 * Eligibility of one contract (see the top of this file). symbol is NUL-terminated.
 * v (may be NULL) gets the reason with its numbers. Returns the reason;
 * CORE_WHY_BAD_ARGUMENT for NULL cfg/symbol/contract or a time before 1987.
 */
enum core_rules_why core_rules_eligible(const struct core_rules_cfg *cfg, enum core_rules_acct acct,
					const char *symbol, const struct core_rules_contract *c,
					int64_t now_ns, struct core_rules_verdict *v);

/*
 * Checks 4-7 alone (day, calendar, holiday, window) for one rule: the part of
 * eligibility every contract of a scan shares. clk (may be NULL) gets the clock.
 */
enum core_rules_why core_rules_entry_time(const struct core_rules_entry_rule *rule, int64_t now_ns,
					  struct core_rules_entry_clock *clk,
					  struct core_rules_verdict *v);

/*
 * Checks 8-10 alone for one rule, with the trade date already known (YYYYMMDD, New
 * York). dte (may be NULL) gets the contract's DTE when the expiry is a date.
 */
enum core_rules_why core_rules_eligible_contract(const struct core_rules_entry_rule *rule,
						 int32_t trade_date,
						 const struct core_rules_contract *c, int32_t *dte,
						 struct core_rules_verdict *v);

#endif
