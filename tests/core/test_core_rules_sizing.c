/* Sizing (RULES §2): examples worked by hand, in exact integer money. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "workers/core/core_rules_sizing.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define USD(x) CORE_RULES_USD(x)
#define CENTS(x) ((int64_t)(x) * (PRICE_SCALE / 100))

static struct core_rules_cfg cfg;

static int setup(void **state)
{
	(void)state;
	core_rules_cfg_defaults(&cfg);
	return 0;
}

struct expect {
	int32_t contracts;
	enum core_rules_why why;
	int32_t by_capital, by_symbol, by_shares;
};

struct example {
	const char *what;
	struct core_rules_size_input in;
	struct expect out;
};

#define PUT CORE_RIGHT_PUT
#define CALL CORE_RIGHT_CALL
#define GEN CORE_ACCT_GEN
#define REV CORE_ACCT_REV
#define COM CORE_ACCT_COM
#define MINI CORE_ACCT_MINI
#define OK CORE_WHY_OK

/*
 * Each row worked by hand (target 97.5 %, cap 25 %, Mini CSP half 50 %). Inputs:
 * {account, right, strike, capital, available, deployed, symbol_used, put_collateral,
 * shares_free}; expected: {contracts, why, by_capital, by_symbol, by_shares}.
 */
/* clang-format off */
static const struct example examples[] = {
	/* per = 610 × 100 = 61,000; budget = 400,000 × 0.975 = 390,000 -> 6 (366,000);
	 * room = 400,000 × 0.25 = 100,000 -> 1 (61,000); min(6, 1) = 1 */
	{"gen 610 put, cap binds",
	 {GEN, PUT, USD(610), USD(400000), USD(400000), 0, 0, 0, 0}, {1, OK, 6, 1, -1}},
	/* per = 95.50 × 100 = 9,550; budget 390,000 -> 40 (382,000; 41 would be 391,550);
	 * room 100,000 -> 10 (95,500); min = 10 */
	{"gen 95.50 put",
	 {GEN, PUT, CENTS(9550), USD(400000), USD(400000), 0, 0, 0, 0}, {10, OK, 40, 10, -1}},
	/* the same after earlier picks of the scan committed 385,000:
	 * deployable = 390,000 − 385,000 = 5,000 < 9,550 -> 0 */
	{"gen budget spent by earlier symbols",
	 {GEN, PUT, CENTS(9550), USD(400000), USD(400000), USD(385000), 0, 0, 0},
	 {0, CORE_WHY_NO_CAPITAL, 0, 10, -1}},
	/* the symbol already holds 95,000 of puts: room = 100,000 − 95,000 = 5,000 -> 0 */
	{"gen symbol cap already used",
	 {GEN, PUT, CENTS(9550), USD(400000), USD(400000), 0, USD(95000), 0, 0},
	 {0, CORE_WHY_SYMBOL_CAP_FULL, 40, 0, -1}},
	/* capital 400,000 but only 100,000 available: budget 97,500 -> 10 (95,500);
	 * room 100,000 -> 10; min = 10 (both limits equal) */
	{"gen little cash left",
	 {GEN, PUT, CENTS(9550), USD(400000), USD(100000), 0, 0, 0, 0}, {10, OK, 10, 10, -1}},
	/* Rev: per = 180 × 100 = 18,000; budget 300,000 × 0.975 = 292,500 -> 16 (288,000);
	 * room 75,000 -> 4 (72,000); min = 4 */
	{"rev 180 put",
	 {REV, PUT, USD(180), USD(300000), USD(300000), 0, 0, 0, 0}, {4, OK, 16, 4, -1}},
	/* Mini CSP half: budget = 70,000 × 0.975 = 68,250, capped by the half
	 * 100,000 × 0.5 − 30,000 of puts already = 20,000; per = 45 × 100 = 4,500 -> 4
	 * (18,000); room 25,000 -> 5; min = 4 */
	{"mini csp half",
	 {MINI, PUT, USD(45), USD(100000), USD(70000), 0, 0, USD(30000), 0}, {4, OK, 4, 5, -1}},
	/* Com covered calls: 750 free shares -> 7; per = 200 × 100 = 20,000;
	 * room = 300,000 × 0.25 = 75,000 -> 3 (60,000); min = 3 (cap binds) */
	{"com calls, cap binds",
	 {COM, CALL, USD(200), USD(300000), 0, 0, 0, 0, 750}, {3, OK, -1, 3, 7}},
	/* 250 shares -> 2; per 15,000, room 75,000 -> 5; min = 2 (shares bind); no cash used */
	{"com calls, shares bind",
	 {COM, CALL, USD(150), USD(300000), 0, 0, 0, 0, 250}, {2, OK, -1, 5, 2}},
	/* 99 shares cover no contract: never a naked call */
	{"com 99 shares",
	 {COM, CALL, USD(150), USD(300000), USD(300000), 0, 0, 0, 99},
	 {0, CORE_WHY_NO_SHARES, -1, 5, 0}},
	/* 60,000 of calls already on the symbol: room 15,000 < 20,000 */
	{"com symbol cap used by calls",
	 {COM, CALL, USD(200), USD(300000), 0, 0, USD(60000), 0, 1000},
	 {0, CORE_WHY_SYMBOL_CAP_FULL, -1, 0, 10}},
	/* negative available (margin) counts as 0 */
	{"gen negative cash",
	 {GEN, PUT, USD(10), USD(400000), -USD(5000), 0, 0, 0, 0},
	 {0, CORE_WHY_NO_CAPITAL, 0, 100, -1}},
};
/* clang-format on */

static void test_sizing_examples_worked_by_hand(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		const struct example *e = &examples[i];
		struct core_rules_size out;
		struct core_rules_verdict v;
		assert_int_equal(core_rules_size(&cfg, &e->in, &out, &v), 0);
		if (out.contracts != e->out.contracts || out.why != e->out.why)
			print_error("%s: got %d (%s), want %d (%s)\n", e->what, out.contracts,
				    v.text, e->out.contracts, core_rules_why_name(e->out.why));
		assert_int_equal(out.contracts, e->out.contracts);
		assert_int_equal(out.why, e->out.why);
		assert_int_equal(v.why, e->out.why);
		assert_int_equal(out.by_capital, e->out.by_capital);
		assert_int_equal(out.by_symbol, e->out.by_symbol);
		assert_int_equal(out.by_shares, e->out.by_shares);
		assert_int_equal(out.per_contract, e->in.strike * 100);
		if (e->in.right == CORE_RIGHT_PUT)
			assert_int_equal(out.collateral, out.per_contract * out.contracts);
		else
			assert_int_equal(out.collateral, 0);
	}
}

static void test_sizing_verdict_shows_the_arithmetic(void **state)
{
	(void)state;
	struct core_rules_size out;
	struct core_rules_verdict v;
	core_rules_size(&cfg, &examples[0].in, &out, &v);
	assert_string_equal(v.text, "ok: 1 puts: min(deployable 390000.00000000, room "
				    "100000.00000000) / 61000.00000000");
	core_rules_size(&cfg, &examples[2].in, &out, &v);
	assert_string_equal(v.text,
			    "no_capital: deployable 5000.00000000 < 9550.00000000 per contract");
	assert_int_equal(out.deployable, USD(5000));
	assert_int_equal(out.symbol_room, USD(100000));
}

static void test_sizing_money_is_exact_to_the_unit(void **state)
{
	(void)state;
	/* 123,456.78 × 0.975 = 120,370.3605 exactly: 12,345,678,000,000 × 9750 / 10000 */
	assert_int_equal(core_rules_money_bp(12345678000000ll, 9750), 12037036050000ll);
	/* floor, never rounded up: 1 unit × 97.5 % = 0.975 -> 0 */
	assert_int_equal(core_rules_money_bp(1, 9750), 0);
	/* the product needs 128 bits; the result does not */
	assert_int_equal(core_rules_money_bp(CORE_RULES_MONEY_MAX, 10000), CORE_RULES_MONEY_MAX);
	assert_int_equal(core_rules_money_bp(CORE_RULES_MONEY_MAX, 9750), 975000000000000000ll);
	/* one contract of strike 100 needs a budget of 10,000 = 10^12 units:
	 * floor(available × 9750 / 10000) >= 10^12  <=>  available >= ceil(10^16 / 9750)
	 * = 1,025,641,025,642 units ($10,256.41025642); one unit less buys nothing */
	struct core_rules_size_input in = {
		CORE_ACCT_GEN, PUT, USD(100), USD(1000000), 1025641025642ll, 0, 0, 0, 0};
	struct core_rules_size out;
	core_rules_size(&cfg, &in, &out, NULL);
	assert_int_equal(out.contracts, 1);
	assert_int_equal(out.deployable, 1000000000000ll);
	in.available = 1025641025641ll;
	core_rules_size(&cfg, &in, &out, NULL);
	assert_int_equal(out.contracts, 0);
	assert_int_equal(out.deployable, 999999999999ll);
	assert_int_equal(out.why, CORE_WHY_NO_CAPITAL);
}

static void test_sizing_target_and_cap_come_from_the_configuration(void **state)
{
	(void)state;
	struct core_rules_cfg c2 = cfg;
	c2.deploy_target_bp = 9500;
	c2.symbol_cap_bp = 10000;
	/* budget = 400,000 × 0.95 = 380,000; per 61,000 -> 6; room 400,000 -> 6 */
	struct core_rules_size_input in = {
		CORE_ACCT_GEN, PUT, USD(610), USD(400000), USD(400000), 0, 0, 0, 0};
	struct core_rules_size out;
	core_rules_size(&c2, &in, &out, NULL);
	assert_int_equal(out.contracts, 6);
	assert_int_equal(out.deployable, USD(380000));
}

static void test_sizing_rejects_bad_input(void **state)
{
	(void)state;
	struct core_rules_size out;
	struct core_rules_size_input in = {CORE_ACCT_GEN, PUT, 0, USD(1), USD(1), 0, 0, 0, 0};
	assert_int_equal(core_rules_size(&cfg, &in, &out, NULL), -EINVAL);
	assert_int_equal(out.why, CORE_WHY_BAD_ARGUMENT);
	assert_int_equal(out.contracts, 0);
	in.strike = USD(1);
	in.deployed = -1;
	assert_int_equal(core_rules_size(&cfg, &in, &out, NULL), -EINVAL);
	in.deployed = 0;
	in.right = (enum core_right)'X';
	assert_int_equal(core_rules_size(&cfg, &in, &out, NULL), -EINVAL);
	in.right = PUT;
	in.acct = (enum core_rules_acct)9;
	assert_int_equal(core_rules_size(&cfg, &in, &out, NULL), -EINVAL);
	in.acct = CORE_ACCT_COM;
	in.shares_free = -100;
	assert_int_equal(core_rules_size(&cfg, &in, &out, NULL), -EINVAL);
	assert_int_equal(core_rules_size(&cfg, NULL, &out, NULL), -EINVAL);
	assert_int_equal(core_rules_size(&cfg, &in, NULL, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizing_examples_worked_by_hand),
		cmocka_unit_test(test_sizing_verdict_shows_the_arithmetic),
		cmocka_unit_test(test_sizing_money_is_exact_to_the_unit),
		cmocka_unit_test(test_sizing_target_and_cap_come_from_the_configuration),
		cmocka_unit_test(test_sizing_rejects_bad_input),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
