#include "workers/core/core_rules_sched.h"

#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_eligible.h"
#include "workers/core/core_rules_nyse.h"

#include <string.h>

void core_rules_sched_init(struct core_rules_sched *s)
{
	memset(s, 0, sizeof(*s));
}

uint32_t core_rules_sched_due(const struct core_rules_cfg *cfg, const struct core_rules_sched *s,
			      int64_t now_ns, int32_t *date)
{
	struct core_calendar_local lt;
	struct core_nyse_day day;
	*date = 0;
	if (!cfg || !s || core_calendar_ny_from_utc_ns(now_ns, &lt) != 0)
		return 0;
	*date = lt.date;
	if (core_rules_nyse_day(lt.date, &day) != 0 || day.close_s == 0)
		return 0; /* weekend, holiday, or a year nobody checked */
	uint32_t due = 0;
	if (lt.sec_of_day >= cfg->atr_time_s && s->open_date != lt.date)
		due |= CORE_JOB_OPEN;
	for (int r = 0; r < CORE_RULE_COUNT; r++)
		if (s->scan_date[r] != lt.date &&
		    core_rules_entry_time(&cfg->rule[r], now_ns, NULL, NULL) == CORE_WHY_OK)
			due |= CORE_JOB_SCAN(r);
	if (lt.sec_of_day >= day.close_s + cfg->after_close_s && s->close_date != lt.date)
		due |= CORE_JOB_CLOSE;
	return due;
}

void core_rules_sched_mark(struct core_rules_sched *s, uint32_t jobs, int32_t date)
{
	if (jobs & CORE_JOB_OPEN)
		s->open_date = date;
	for (int r = 0; r < CORE_RULE_COUNT; r++)
		if (jobs & CORE_JOB_SCAN(r))
			s->scan_date[r] = date;
	if (jobs & CORE_JOB_CLOSE)
		s->close_date = date;
}

const char *core_rules_job_name(uint32_t job)
{
	if (job == CORE_JOB_OPEN)
		return "open";
	if (job == CORE_JOB_CLOSE)
		return "close";
	if (job && (job & CORE_JOB_SCAN_ALL) == job && !(job & (job - 1)))
		return "scan";
	return "?";
}
