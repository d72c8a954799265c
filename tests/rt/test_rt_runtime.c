/* rt runtime pieces: error context, log lines, idle strategies, clocks, CPU pinning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_clock.h"
#include "rt/rt_cpu.h"
#include "rt/rt_err.h"
#include "rt/rt_fs.h"
#include "rt/rt_idle.h"
#include "rt/rt_log.h"
#include "rt/rt_signal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_err_keeps_first_cause_and_prepends_context(void **state)
{
	(void)state;
	struct rt_err err = {0};
	assert_int_equal(rt_err_set(&err, -EPROTO, "layout version %d, this build reads %d", 3, 4),
			 -EPROTO);
	assert_int_equal(rt_err_wrap(&err, "shm %s", "alluse.dev"), -EPROTO);
	assert_int_equal(rt_err_wrap(&err, "attaching worker %d", 2), -EPROTO);
	assert_string_equal(
		err.msg,
		"attaching worker 2: shm alluse.dev: layout version 3, this build reads 4");
	rt_err_clear(&err);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(rt_err_set(NULL, -EINVAL, "x"), -EINVAL); /* NULL-safe */
}

static void test_err_wrap_truncates_inner_detail_not_context(void **state)
{
	(void)state;
	struct rt_err err = {0};
	char big[2000];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	rt_err_set(&err, -EIO, "%s", big);
	rt_err_wrap(&err, "outer context");
	assert_int_equal(strncmp(err.msg, "outer context: zzz", 18), 0);
	assert_true(strlen(err.msg) < RT_ERR_MSG_MAX);
}

static void test_log_writes_one_key_value_line(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	rt_log_init("tester", RT_LOG_INFO);
	rt_log_set_fd(fds[1]);
	rt_log_debug("hidden", NULL);
	rt_log_warn("ring full", "ring=%s drops=%d", "quotes.0", 3);
	rt_log_set_fd(2);
	close(fds[1]);
	char buf[512] = {0};
	ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "level=warn proc=tester"));
	assert_non_null(strstr(buf, "msg=\"ring full\" ring=quotes.0 drops=3\n"));
	assert_null(strstr(buf, "hidden"));
	assert_int_equal(strncmp(buf, "ts=", 3), 0);
	assert_int_equal(strchr(buf, '\n') - buf, n - 1); /* exactly one line */
}

static void test_idle_backoff_sleeps_after_spins_and_resets_on_work(void **state)
{
	(void)state;
	struct rt_idle idle;
	rt_idle_init(&idle, RT_IDLE_BACKOFF);
	uint64_t t0 = rt_clock_now_ns();
	for (int i = 0; i < 120; i++)
		rt_idle(&idle, 0);
	assert_true(idle.sleep_ns > idle.min_sleep_ns); /* reached the sleeping phase */
	rt_idle(&idle, 1);
	assert_int_equal(idle.n, 0);
	assert_int_equal(idle.sleep_ns, idle.min_sleep_ns);
	for (int i = 0; i < 200; i++)
		rt_idle(&idle, 0);
	assert_int_equal(idle.sleep_ns, idle.max_sleep_ns); /* capped */
	assert_true(rt_clock_now_ns() > t0);
	assert_int_equal(rt_idle_parse("spin"), RT_IDLE_SPIN);
	assert_int_equal(rt_idle_parse("block"), RT_IDLE_BLOCK);
	assert_int_equal(rt_idle_parse("spinn"), -1);
	assert_string_equal(rt_idle_name(RT_IDLE_BACKOFF), "backoff");
}

static void test_clock_is_monotonic_and_tsc_calibrates(void **state)
{
	(void)state;
	uint64_t a = rt_clock_now_ns();
	rt_clock_sleep_ns(2000000);
	uint64_t b = rt_clock_now_ns();
	assert_true(b - a >= 2000000);
	struct rt_tsc tsc;
	int rc = rt_tsc_calibrate(&tsc, 20);
	if (rc == -ENOTSUP) {
		assert_true(tsc.ns_per_tick == 1.0);
		return;
	}
	assert_int_equal(rc, 0);
	uint64_t t0 = rt_tsc_read(), n0 = rt_clock_now_ns();
	rt_clock_sleep_ns(10000000);
	uint64_t t1 = rt_tsc_read(), n1 = rt_clock_now_ns();
	double ns = (double)rt_tsc_to_ns(&tsc, t1 - t0);
	double ref = (double)(n1 - n0);
	assert_true(ns > ref * 0.95 && ns < ref * 1.05);
}

static void test_cpu_pin_accepts_cpu0_and_names_a_bad_cpu(void **state)
{
	(void)state;
	struct rt_err err = {0};
	assert_int_equal(rt_cpu_pin(0, &err), 0);
	assert_int_equal(rt_cpu_pin(-3, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "cpu -3"));
	assert_int_equal(rt_cpu_pin(1000, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "pin to cpu 1000"));
	assert_int_equal(rt_cpu_sched_fifo(120, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "1..99"));
	/* refusals of FIFO/mlock are warnings: rt_cpu_apply still succeeds */
	assert_int_equal(rt_cpu_apply(-1, 0, 0, &err), 0);
	assert_true(rt_cpu_count() >= 1);
}

static void test_signal_sets_the_stop_flag(void **state)
{
	(void)state;
	assert_int_equal(rt_signal_install(), 0);
	rt_signal_reset();
	assert_int_equal(rt_signal_stop_requested(), 0);
	raise(SIGTERM);
	assert_int_equal(rt_signal_stop_requested(), SIGTERM);
	rt_signal_reset();
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

static void test_rmtree_removes_a_tree_but_not_what_its_links_point_to(void **state)
{
	(void)state;
	char base[64], outside[96], p[160];
	snprintf(base, sizeof(base), "/tmp/alluse-rmtree.XXXXXX");
	assert_non_null(mkdtemp(base));
	snprintf(outside, sizeof(outside), "%s.keep", base);
	touch(outside);
	snprintf(p, sizeof(p), "%s/a", base);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/a/b", base);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/a/b/file", base);
	touch(p);
	snprintf(p, sizeof(p), "%s/a/link", base);
	assert_int_equal(symlink(outside, p), 0);
	assert_int_equal(rt_rmtree(base), 0);
	struct stat st;
	assert_int_not_equal(lstat(base, &st), 0);
	assert_int_equal(stat(outside, &st), 0); /* the link's target is kept */
	unlink(outside);
	assert_int_equal(rt_rmtree(base), 0); /* gone already: nothing to do */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_keeps_first_cause_and_prepends_context),
		cmocka_unit_test(test_err_wrap_truncates_inner_detail_not_context),
		cmocka_unit_test(test_log_writes_one_key_value_line),
		cmocka_unit_test(test_idle_backoff_sleeps_after_spins_and_resets_on_work),
		cmocka_unit_test(test_clock_is_monotonic_and_tsc_calibrates),
		cmocka_unit_test(test_cpu_pin_accepts_cpu0_and_names_a_bad_cpu),
		cmocka_unit_test(test_signal_sets_the_stop_flag),
		cmocka_unit_test(test_rmtree_removes_a_tree_but_not_what_its_links_point_to),
	};
	return cmocka_run_group_tests_name("rt_runtime", tests, NULL, NULL);
}
