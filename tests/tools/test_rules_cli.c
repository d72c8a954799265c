/* alluse-rules atr / bs: the operator's checks of the numbers the system acts on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/support/test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_bs_prints_hulls_textbook_call_and_put(void **state)
{
	(void)state;
	const char *call[] = {test_bin("alluse-rules"),
			      "bs",
			      "--spot",
			      "42",
			      "--strike",
			      "40",
			      "--rate",
			      "0.10",
			      "--div",
			      "0",
			      "--vol",
			      "0.20",
			      "--years",
			      "0.5",
			      "--right",
			      "C",
			      NULL};
	struct run_result r;
	assert_int_equal(run_capture(call, 5000, &r), 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "price      4.7594")); /* Hull: 4.76 */
	run_result_free(&r);
	const char *put[] = {test_bin("alluse-rules"),
			     "bs",
			     "--spot",
			     "42",
			     "--strike",
			     "40",
			     "--rate",
			     "0.10",
			     "--div",
			     "0",
			     "--vol",
			     "0.20",
			     "--years",
			     "0.5",
			     "--right",
			     "put",
			     "--json",
			     NULL};
	assert_int_equal(run_capture(put, 5000, &r), 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"right\":\"P\",\"price\":0.8085")); /* Hull: 0.81 */
	run_result_free(&r);
}

static void test_bs_names_a_missing_or_bad_argument(void **state)
{
	(void)state;
	const char *miss[] = {test_bin("alluse-rules"), "bs", "--spot", "42", NULL};
	struct run_result r;
	assert_int_equal(run_capture(miss, 5000, &r), 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--strike is required"));
	run_result_free(&r);
	const char *bad[] = {test_bin("alluse-rules"), "bs", "--spot", "abc", NULL};
	assert_int_equal(run_capture(bad, 5000, &r), 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--spot 'abc' is not a number"));
	run_result_free(&r);
	const char *neg[] = {test_bin("alluse-rules"),
			     "bs",
			     "--spot",
			     "-1",
			     "--strike",
			     "40",
			     "--rate",
			     "0.1",
			     "--div",
			     "0",
			     "--vol",
			     "0.2",
			     "--years",
			     "1",
			     "--right",
			     "C",
			     NULL};
	assert_int_equal(run_capture(neg, 5000, &r), 0);
	assert_int_equal(r.status, 1);
	assert_true(r.err_len > 0);
	run_result_free(&r);
}

static void test_atr_prints_tr_and_atr5_per_date(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "/tmp/alluse-bars-%d.csv", (int)getpid());
	FILE *f = fopen(path, "w");
	/* true ranges 2, 3 (|H - prevC| = 3), 1, 4, 5, 6: ATR(5) of the first five = 3.0,
	 * then (3 + 1 + 4 + 5 + 6) / 5 = 3.8 */
	fprintf(f, "Date,Open,High,Low,Close,Volume\n"
		   "2026-01-05,10,11,9,10,1\n"
		   "2026-01-06,12,13,11,12,1\n"
		   "2026-01-07,12,12.5,11.5,12,1\n"
		   "2026-01-08,12,14,10,12,1\n"
		   "2026-01-09,12,15,10,12,1\n"
		   "2026-01-12,12,18,12,12,1\n");
	fclose(f);
	const char *argv[] = {test_bin("alluse-rules"), "atr", "--bars", path, NULL};
	struct run_result r;
	assert_int_equal(run_capture(argv, 5000, &r), 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "date,tr,atr\n2026-01-05,2.00000000,\n"));
	assert_non_null(strstr(r.out, "2026-01-06,3.00000000,\n"));
	assert_non_null(strstr(r.out, "2026-01-09,5.00000000,3.00000000\n"));
	assert_non_null(strstr(r.out, "2026-01-12,6.00000000,3.80000000\n"));
	run_result_free(&r);
	f = fopen(path, "w");
	fprintf(f, "Date,Open,High,Low,Close,Volume\n2026-01-05,10,abc,9,10,1\n");
	fclose(f);
	assert_int_equal(run_capture(argv, 5000, &r), 0);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, ":2: column 'High'"));
	run_result_free(&r);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bs_prints_hulls_textbook_call_and_put),
		cmocka_unit_test(test_bs_names_a_missing_or_bad_argument),
		cmocka_unit_test(test_atr_prints_tr_and_atr5_per_date),
	};
	return cmocka_run_group_tests_name("rules_cli", tests, NULL, NULL);
}
