/*
 * core_rules_sched.h — the rules process's day (RULES §1, §3, §6, §8): which job is
 * due at a given instant, on New York wall-clock time and the NYSE calendar.
 *
 *   job          due on a trading day when New York time is ...        once per day
 *   OPEN         >= cfg->atr_time_s (09:30:00): ATR(5) of every        sched.open_date
 *                instrument (RULES §3) and the day's start (SAFE ->
 *                SCANNING when the risk check passes, RULES §8)
 *   SCAN(r)      inside rule r's entry window on one of its entry      sched.scan_date[r]
 *                days (core_rules_entry_time: [09:45:00, 11:00:00),
 *                clipped to an early close), for each rule r of
 *                enum core_rules_rule_id
 *   CLOSE        >= the day's close (16:00:00, 13:00:00 on an early    sched.close_date
 *                close) + cfg->after_close_s: expiries and
 *                assignments, then forks and merges (RULES §6)
 *
 * A job is due at most once per New York date: core_rules_sched_due reports it until
 * core_rules_sched_mark records the date. A job whose time has passed is still due
 * later the same day (OPEN after a restart at 10:10 runs at 10:10), but never a day
 * late: the date is today's. A scan after its window has closed is not due (entering
 * late would break RULES §1). Weekends, holidays and dates outside the maintained
 * calendar have no jobs. Jobs due at the same instant run in the order OPEN, SCAN
 * (rule order), CLOSE.
 *
 * Pure: the time (UTC ns) is an argument; the state is a plain struct the caller keeps
 * (and snapshots, so a restart does not repeat a day's job).
 */
#ifndef CORE_RULES_SCHED_H
#define CORE_RULES_SCHED_H

#include "workers/core/core_rules_cfg.h"

#include <stdint.h>

#define CORE_JOB_OPEN 0x1u
#define CORE_JOB_SCAN(r) (0x2u << (r)) /* r: enum core_rules_rule_id */
#define CORE_JOB_SCAN_ALL (((1u << CORE_RULE_COUNT) - 1) << 1)
#define CORE_JOB_CLOSE (0x2u << CORE_RULE_COUNT)

struct core_rules_sched {
	int32_t open_date; /* YYYYMMDD of the last OPEN run, 0 = never */
	int32_t scan_date[CORE_RULE_COUNT]; /* per rule */
	int32_t close_date;
};

/* Nothing run yet. */
void core_rules_sched_init(struct core_rules_sched *s);

/*
 * The jobs due at now_ns (a bit set of CORE_JOB_*; 0 = none) and *date, the New York
 * date they belong to. Returns the bit set, or 0 with *date = 0 before 1987 or on a
 * NULL argument.
 */
uint32_t core_rules_sched_due(const struct core_rules_cfg *cfg, const struct core_rules_sched *s,
			      int64_t now_ns, int32_t *date);

/* Record that `jobs` ran for `date`. */
void core_rules_sched_mark(struct core_rules_sched *s, uint32_t jobs, int32_t date);

/* "open", "scan", "close" for one bit; "?" otherwise. */
const char *core_rules_job_name(uint32_t job);

#endif
