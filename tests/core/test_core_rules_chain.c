/* Option-chain CSV: columns by name, exact prices, errors that name file:line:column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "workers/core/core_rules_chain.h"
#include "workers/core/core_rules_intent.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char market[PATH_MAX];
static int market_missing;

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* <repo>/../shared/data/market (the working directory is the repository root under
 * `make test`), else $ALLUSE_MARKET_DATA; otherwise the real-chain test skips. */
static void find_market(void)
{
	if (is_dir("../shared/data/market")) {
		snprintf(market, sizeof(market), "../shared/data/market");
		return;
	}
	const char *env = getenv("ALLUSE_MARKET_DATA");
	if (env && is_dir(env)) {
		snprintf(market, sizeof(market), "%s", env);
		return;
	}
	market_missing = 1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int parse(const char *text, struct core_rules_quote *q, size_t cap, struct rt_err *err)
{
	return core_rules_chain_parse("t.csv", text, strlen(text), q, cap, err);
}

static void test_chain_parses_columns_by_name_with_exact_prices(void **state)
{
	(void)state;
	const char *text =
		"\xEF\xBB\xBF"
		"Ticker , Expiration,contractType,strike,bid,ask,volume,impliedVolatility,"
		"spot_price\r\n"
		"\r\n"
		"QQQ,2026-04-14,put,612.0,2.34,2.35,16860.0,0.15174188110351564,"
		"612.8400268554688\r\n"
		"QQQ,2026-04-13,call,629.0,,0.01,3.0,,612.84\n"
		"SPY,2026-04-17,P,500.123456789,0,1e-2,,0.2,\n";
	struct core_rules_quote q[4];
	struct rt_err err = {0};
	assert_int_equal(parse(text, q, 4, &err), 3);
	assert_string_equal(q[0].symbol, "QQQ");
	assert_int_equal(q[0].right, CORE_RIGHT_PUT);
	assert_int_equal(q[0].expiry, 20260414);
	assert_int_equal(q[0].strike, 61200000000ll);
	assert_int_equal(q[0].bid, 234000000);
	assert_int_equal(q[0].ask, 235000000);
	assert_true(q[0].iv == 0.15174188110351564);
	assert_true(isnan(q[0].delta));
	assert_int_equal(q[0].spot, 61284002686ll); /* 612.84002685|54688 -> ...686 */
	assert_int_equal(q[0].line, 3);
	assert_int_equal(q[1].right, CORE_RIGHT_CALL);
	assert_int_equal(q[1].bid, 0); /* empty: no bid */
	assert_true(isnan(q[1].iv));
	assert_int_equal(q[1].line, 4);
	assert_int_equal(q[2].strike, 50012345679ll); /* halves away from zero at 10^-8 */
	assert_int_equal(q[2].ask, 1000000);
	assert_int_equal(q[2].spot, 0);
	/* count only */
	assert_int_equal(core_rules_chain_parse("t.csv", text, strlen(text), NULL, 0, NULL), 3);
	assert_int_equal(parse(text, q, 2, &err), -ENOSPC);
	assert_int_equal(
		core_rules_chain_find(q, 3, "QQQ", CORE_RIGHT_CALL, 62900000000ll, 20260413), 1);
	assert_int_equal(
		core_rules_chain_find(q, 3, "QQQ", CORE_RIGHT_PUT, 62900000000ll, 20260413),
		-ENOENT);
}

static void test_chain_errors_name_file_line_and_column(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		const char *msg;
	} bad[] = {
		{"symbol,expiry,right,strike\nQQQ,2026-04-14,put,abc\n", -EBADMSG,
		 "t.csv:2:20: column 'strike': 'abc' is not a number"},
		{"symbol,expiry,right,strike\nQQQ,2026-04-14,put,1\nQQQ,2026-02-30,put,1\n",
		 -EBADMSG, "t.csv:3:5: column 'expiry': '2026-02-30' is not a date (YYYY-MM-DD)"},
		{"symbol,expiry,right,strike\nQQQ,2026-04-14,straddle,1\n", -EBADMSG,
		 "t.csv:2:16: column 'right': 'straddle' is not call or put"},
		{"symbol,expiry,right,strike\nqqq,2026-04-14,put,1\n", -EBADMSG,
		 "t.csv:2:1: column 'symbol': 'qqq' is not a ticker"},
		{"symbol,expiry,right,strike\nQQQ,2026-04-14,put,0\n", -EBADMSG,
		 "t.csv:2:20: column 'strike': '0' is not a positive price"},
		{"symbol,expiry,right,strike,bid\nQQQ,2026-04-14,put,1,-0.5\n", -EBADMSG,
		 "t.csv:2:22: column 'bid': '-0.5' is not a price >= 0"},
		{"symbol,expiry,right,strike,delta\nQQQ,2026-04-14,put,1,-1.2\n", -EBADMSG,
		 "column 'delta': '-1.2' is not a delta in -1..1"},
		{"symbol,expiry,right,strike,iv\nQQQ,2026-04-14,put,1,x\n", -EBADMSG,
		 "t.csv:2:22: column 'iv': 'x' is not a volatility"},
		{"symbol,expiry,right,strike,bid\nQQQ,2026-04-14,put\n", -EBADMSG,
		 "t.csv:2:19: column 'strike': '' is missing (row too short)"},
		{"symbol,expiry,right\nQQQ,2026-04-14,put\n", -EINVAL,
		 "t.csv:1: no 'strike' column in the header"},
		{"symbol,ticker,expiry,right,strike\n", -EINVAL,
		 "t.csv:1:8: column 'symbol' appears twice ('ticker')"},
		{"symbol,expiry,right,strike\n", -ENODATA, "t.csv: a header and no rows"},
		{"\n\n", -ENODATA, "t.csv: empty (no header)"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct core_rules_quote q[4];
		struct rt_err err = {0};
		int rc = parse(bad[i].text, q, 4, &err);
		if (rc != bad[i].rc || !strstr(err.msg, bad[i].msg))
			print_error("#%zu: rc %d '%s', want %d '%s'\n", i, rc, err.msg, bad[i].rc,
				    bad[i].msg);
		assert_int_equal(rc, bad[i].rc);
		assert_non_null(strstr(err.msg, bad[i].msg));
	}
}

static void test_chain_mid_rounds_halves_up_and_needs_two_sides(void **state)
{
	(void)state;
	assert_int_equal(core_rules_mid(234000000, 235000000), 234500000);
	assert_int_equal(core_rules_mid(1, 2), 2); /* 1.5 units -> 2 */
	assert_int_equal(core_rules_mid(3, 4), 4);
	assert_int_equal(core_rules_mid(2, 4), 3);
	assert_int_equal(core_rules_mid(0, 1000000), 0); /* no bid */
	assert_int_equal(core_rules_mid(2000000, 1000000), 0); /* crossed */
	assert_int_equal(core_rules_mid(INT64_MAX - 1, INT64_MAX), INT64_MAX);
}

static void test_chain_reads_the_real_qqq_snapshot(void **state)
{
	(void)state;
	if (market_missing)
		skip();
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/QQQ_option_chain_2026-04-13.csv", market);
	size_t len = 0;
	char *text = slurp(path, &len);
	assert_non_null(text);
	struct rt_err err = {0};
	int n = core_rules_chain_parse(path, text, len, NULL, 0, &err);
	if (n < 0)
		print_error("%s\n", err.msg);
	assert_int_equal(n, 8192);
	struct core_rules_quote *q = calloc((size_t)n, sizeof(*q));
	assert_int_equal(core_rules_chain_parse(path, text, len, q, (size_t)n, &err), n);
	/* line 407: QQQ,2026-04-14,put,612.0,2.34,2.35,... */
	int i = core_rules_chain_find(q, (size_t)n, "QQQ", CORE_RIGHT_PUT, 61200000000ll, 20260414);
	assert_true(i >= 0);
	assert_int_equal(q[i].line, 407);
	assert_int_equal(q[i].bid, 234000000);
	int missing_bid = 0;
	for (int k = 0; k < n; k++)
		missing_bid += q[k].bid == 0;
	assert_true(missing_bid > 0);
	free(q);
	free(text);
}

int main(void)
{
	find_market();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_parses_columns_by_name_with_exact_prices),
		cmocka_unit_test(test_chain_errors_name_file_line_and_column),
		cmocka_unit_test(test_chain_mid_rounds_halves_up_and_needs_two_sides),
		cmocka_unit_test(test_chain_reads_the_real_qqq_snapshot),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (market_missing && failed == 0) {
		printf("test_core_rules_chain: no market data in ../shared/data/market or "
		       "$ALLUSE_MARKET_DATA: the real-chain test skipped\n");
		return 77;
	}
	return failed;
}
