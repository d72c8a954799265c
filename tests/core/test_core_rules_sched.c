/* The rules process's day: OPEN at 09:30, each rule's scan inside its window on its
 * entry days, CLOSE after the close; once per New York date; daylight saving, holidays
 * and early closes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_sched.h"

#include <string.h>

static struct core_rules_cfg g_cfg;

static int group_setup(void **state)
{
	(void)state;
	core_rules_cfg_defaults(&g_cfg);
	return 0;
}

static int64_t ny(int32_t date, int h, int m, int s)
{
	int64_t t;
	assert_int_equal(core_calendar_ny_to_utc_ns(date, h * 3600 + m * 60 + s, &t), 0);
	return t;
}

static uint32_t due_at(const struct core_rules_sched *s, int64_t t, int32_t want_date)
{
	int32_t date;
	uint32_t due = core_rules_sched_due(&g_cfg, s, t, &date);
	assert_int_equal(date, want_date);
	return due;
}

#define GEN CORE_JOB_SCAN(CORE_RULE_GEN_CSP)
#define MINI_CSP CORE_JOB_SCAN(CORE_RULE_MINI_CSP)
#define REV CORE_JOB_SCAN(CORE_RULE_REV_CSP)
#define COM CORE_JOB_SCAN(CORE_RULE_COM_CC)
#define MINI_CC CORE_JOB_SCAN(CORE_RULE_MINI_CC)

/* One row: a New York wall-clock time and the jobs due when nothing has run today. */
struct row {
	int32_t date;
	int h, m, s;
	uint32_t due;
};

static void test_each_job_at_its_boundary(void **state)
{
	(void)state;
	static const struct row rows[] = {
		/* Thursday 2026-01-15 (EST): Gen and the Mini's CSP half */
		{20260115, 9, 29, 59, 0},
		{20260115, 9, 30, 0, CORE_JOB_OPEN},
		{20260115, 9, 44, 59, CORE_JOB_OPEN},
		{20260115, 9, 45, 0, CORE_JOB_OPEN | GEN | MINI_CSP},
		{20260115, 10, 59, 59, CORE_JOB_OPEN | GEN | MINI_CSP},
		{20260115, 11, 0, 0, CORE_JOB_OPEN},
		{20260115, 16, 0, 59, CORE_JOB_OPEN},
		{20260115, 16, 1, 0, CORE_JOB_OPEN | CORE_JOB_CLOSE},
		{20260115, 23, 59, 59, CORE_JOB_OPEN | CORE_JOB_CLOSE},
		/* Wednesday: Rev; Monday: Com and the Mini's CC half */
		{20260114, 10, 0, 0, CORE_JOB_OPEN | REV},
		{20260112, 10, 0, 0, CORE_JOB_OPEN | COM | MINI_CC},
		/* Tuesday and Friday: no entry day */
		{20260113, 10, 0, 0, CORE_JOB_OPEN},
		{20260116, 10, 0, 0, CORE_JOB_OPEN},
		/* weekend: nothing */
		{20260117, 10, 0, 0, 0},
		{20260118, 16, 30, 0, 0},
		/* the DST change weeks: 2026-03-08 (EDT from Sunday), 2026-11-01 (EST) */
		{20260305, 9, 45, 0, CORE_JOB_OPEN | GEN | MINI_CSP},
		{20260312, 9, 44, 59, CORE_JOB_OPEN},
		{20260312, 9, 45, 0, CORE_JOB_OPEN | GEN | MINI_CSP},
		{20261029, 10, 59, 59, CORE_JOB_OPEN | GEN | MINI_CSP},
		{20261105, 9, 45, 0, CORE_JOB_OPEN | GEN | MINI_CSP},
		{20261105, 11, 0, 0, CORE_JOB_OPEN},
		/* Thanksgiving Thursday 2026-11-26: closed, no Gen scan, no job at all */
		{20261126, 10, 0, 0, 0},
		{20261126, 17, 0, 0, 0},
		/* the day after: early close at 13:00, CLOSE from 13:01 */
		{20261127, 13, 0, 59, CORE_JOB_OPEN},
		{20261127, 13, 1, 0, CORE_JOB_OPEN | CORE_JOB_CLOSE},
		/* Christmas Eve 2026 is a Thursday with an early close: the window ends at 11:00
		 * anyway, before 13:00 */
		{20261224, 10, 59, 59, CORE_JOB_OPEN | GEN | MINI_CSP},
		{20261224, 13, 1, 0, CORE_JOB_OPEN | CORE_JOB_CLOSE},
		/* outside the maintained calendar: nothing */
		{20310102, 10, 0, 0, 0},
	};
	struct core_rules_sched s;
	core_rules_sched_init(&s);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		uint32_t due = due_at(&s, ny(r->date, r->h, r->m, r->s), r->date);
		if (due != r->due)
			fail_msg("row %zu: %d %02d:%02d:%02d due 0x%x, want 0x%x", i, r->date, r->h,
				 r->m, r->s, due, r->due);
	}
}

static void test_a_job_runs_once_per_day(void **state)
{
	(void)state;
	struct core_rules_sched s;
	core_rules_sched_init(&s);
	int64_t t = ny(20260115, 9, 50, 0);
	uint32_t due = due_at(&s, t, 20260115);
	assert_int_equal(due, CORE_JOB_OPEN | GEN | MINI_CSP);
	core_rules_sched_mark(&s, CORE_JOB_OPEN | GEN, 20260115);
	/* MINI_CSP not marked: still due */
	assert_int_equal(due_at(&s, t + 1000000000ll, 20260115), MINI_CSP);
	core_rules_sched_mark(&s, MINI_CSP, 20260115);
	assert_int_equal(due_at(&s, ny(20260115, 10, 30, 0), 20260115), 0);
	core_rules_sched_mark(&s, CORE_JOB_CLOSE, 20260115);
	assert_int_equal(due_at(&s, ny(20260115, 20, 0, 0), 20260115), 0);
	/* the next trading day: OPEN again; next Thursday: GEN again */
	assert_int_equal(due_at(&s, ny(20260116, 9, 30, 0), 20260116), CORE_JOB_OPEN);
	assert_int_equal(due_at(&s, ny(20260122, 9, 45, 0), 20260122),
			 CORE_JOB_OPEN | GEN | MINI_CSP);
}

static void test_a_restart_late_in_the_day_catches_up_only_what_is_still_valid(void **state)
{
	(void)state;
	struct core_rules_sched s;
	core_rules_sched_init(&s);
	/* started at 11:30 on a Thursday: OPEN now (ATR is needed), the Gen window is gone */
	assert_int_equal(due_at(&s, ny(20260115, 11, 30, 0), 20260115), CORE_JOB_OPEN);
	/* yesterday's CLOSE is never run a day late */
	core_rules_sched_mark(&s, CORE_JOB_OPEN, 20260115);
	assert_int_equal(due_at(&s, ny(20260116, 9, 0, 0), 20260116), 0);
}

static void test_configured_times_move_the_jobs(void **state)
{
	(void)state;
	struct core_rules_cfg saved = g_cfg;
	g_cfg.atr_time_s = 9 * 3600; /* 09:00 */
	g_cfg.after_close_s = 0;
	g_cfg.rule[CORE_RULE_GEN_CSP].window_start_s = 10 * 3600;
	struct core_rules_sched s;
	core_rules_sched_init(&s);
	assert_int_equal(due_at(&s, ny(20260115, 9, 0, 0), 20260115), CORE_JOB_OPEN);
	assert_int_equal(due_at(&s, ny(20260115, 9, 59, 59), 20260115), CORE_JOB_OPEN | MINI_CSP);
	assert_int_equal(due_at(&s, ny(20260115, 10, 0, 0), 20260115),
			 CORE_JOB_OPEN | GEN | MINI_CSP);
	assert_int_equal(due_at(&s, ny(20260115, 16, 0, 0), 20260115),
			 CORE_JOB_OPEN | CORE_JOB_CLOSE);
	g_cfg = saved;
}

static void test_bad_arguments_and_names(void **state)
{
	(void)state;
	struct core_rules_sched s;
	core_rules_sched_init(&s);
	int32_t date = 7;
	assert_int_equal(core_rules_sched_due(NULL, &s, ny(20260115, 10, 0, 0), &date), 0);
	assert_int_equal(date, 0);
	assert_int_equal(core_rules_sched_due(&g_cfg, &s, 0, &date), 0); /* 1970 */
	assert_int_equal(date, 0);
	assert_string_equal(core_rules_job_name(CORE_JOB_OPEN), "open");
	assert_string_equal(core_rules_job_name(GEN), "scan");
	assert_string_equal(core_rules_job_name(CORE_JOB_CLOSE), "close");
	assert_string_equal(core_rules_job_name(GEN | REV), "?");
	assert_string_equal(core_rules_job_name(0), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_job_at_its_boundary),
		cmocka_unit_test(test_a_job_runs_once_per_day),
		cmocka_unit_test(
			test_a_restart_late_in_the_day_catches_up_only_what_is_still_valid),
		cmocka_unit_test(test_configured_times_move_the_jobs),
		cmocka_unit_test(test_bad_arguments_and_names),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
