/* rt_config: the rules' numbers (struct core_rules_cfg) — every new value type, its
 * boundaries and errors; every cross-key rule reported with file:line:key; the
 * embedded defaults equal core_rules_cfg_defaults; dump -> load round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_config.h"
#include "tests/support/test_config.h"
#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USD(d) CORE_RULES_USD(d)

#define expect_error test_expect_config_error

static void load_ok(struct rt_config *c, const char *yaml)
{
	struct rt_err err = {0};
	int ret = rt_config_load_string(c, yaml, strlen(yaml), "t.yaml", &err);
	if (ret) {
		print_error("load failed (%d): %s\nfor:\n%s\n", ret, err.msg, yaml);
		fail();
	}
}

/* One key's value on top of the defaults. */
static struct rt_config *with(const char *yaml)
{
	static struct rt_config c;
	rt_config_defaults(&c);
	load_ok(&c, yaml);
	return &c;
}

static void test_defaults_equal_core_rules_cfg_defaults(void **state)
{
	(void)state;
	struct core_rules_cfg want;
	struct rt_config c;
	struct rt_err err = {0};
	core_rules_cfg_defaults(&want);
	rt_config_defaults(&c);
	assert_memory_equal(&c.rules, &want, sizeof(want));
	/* the embedded config/alluse.yaml names every rules key with RULES.md's value */
	memset(&c.rules, 0, sizeof(c.rules));
	c.rules.rule[0].right = CORE_RIGHT_CALL; /* wrong everywhere: the file must set it */
	for (int i = 1; i < CORE_RULE_COUNT; i++)
		c.rules.rule[i].right = (enum core_right)0;
	assert_int_equal(rt_config_load_default(&c, &err), 0);
	assert_memory_equal(&c.rules, &want, sizeof(want));
	assert_int_equal(core_rules_cfg_check(&c.rules, &err), 0);
}

static void test_money_is_exact_decimal_usd(void **state)
{
	(void)state;
	assert_int_equal(with("accounts:\n  gen_fork_step: 250000\n")->rules.gen_fork_step,
			 USD(250000));
	assert_int_equal(with("accounts:\n  rev_fork_step: 500000.00\n")->rules.rev_fork_step,
			 USD(500000));
	assert_int_equal(with("protocol:\n  roll_min_credit: 0.01\n")->rules.roll_min_credit,
			 PRICE_SCALE / 100);
	assert_int_equal(with("protocol:\n  roll_min_credit: 0.00000001\n")->rules.roll_min_credit,
			 1);
	assert_int_equal(with("protocol:\n  roll_min_credit: 0\n")->rules.roll_min_credit, 0);
	assert_int_equal(
		with("protocol:\n  roll_min_credit: \"12345.6789\"\n")->rules.roll_min_credit,
		1234567890000);
	/* 0.1 + 0.2 style values stay exact: 0.30000000 is 30000000 units */
	assert_int_equal(with("protocol:\n  roll_min_credit: 0.30000000\n")->rules.roll_min_credit,
			 30000000);
	/* the largest amount, $10 billion */
	assert_int_equal(with("protocol:\n  roll_min_credit: 10000000000\n")->rules.roll_min_credit,
			 CORE_RULES_MONEY_MAX);
}

static void test_money_errors(void **state)
{
	(void)state;
	expect_error("protocol:\n  roll_min_credit: 0.000000001\n",
		     "t.yaml:2: key 'protocol.roll_min_credit': 0.000000001 has more than 8 "
		     "decimals (allowed: an amount in USD in 0..10000000000 with at most 8 "
		     "decimals",
		     NULL);
	expect_error("protocol:\n  roll_min_credit: -0.01\n",
		     "t.yaml:2: key 'protocol.roll_min_credit': -0.01 is negative", NULL);
	expect_error("protocol:\n  roll_min_credit: 10000000000.00000001\n",
		     "t.yaml:2:", "10000000000.00000001 is too large", NULL);
	expect_error("accounts:\n  gen_fork_step: 99999999999999999999999\n",
		     "t.yaml:2:", "'accounts.gen_fork_step': 99999999999999999999999 is too large",
		     "0.00000001..10000000000", NULL);
	expect_error("accounts:\n  gen_fork_step: -99999999999999999999999\n",
		     "t.yaml:2:", "-99999999999999999999999 is negative", NULL);
	expect_error("accounts:\n  gen_fork_step: 0\n",
		     "t.yaml:2: key 'accounts.gen_fork_step': 0 is too small", NULL);
	static const char *const not_decimal[] = {"1e5",  "1,000", ".5",    "5.",  "007",
						  "$100", "0x10",  "1 000", "nan", "inf"};
	for (size_t i = 0; i < sizeof(not_decimal) / sizeof(not_decimal[0]); i++) {
		char y[96], w[96];
		snprintf(y, sizeof(y), "accounts:\n  mini_capital: \"%s\"\n", not_decimal[i]);
		snprintf(w, sizeof(w), "'%s' is not a decimal number", not_decimal[i]);
		expect_error(y, "t.yaml:2: key 'accounts.mini_capital'", w, NULL);
	}
	expect_error("accounts:\n  mini_capital:\n",
		     "t.yaml:2: key 'accounts.mini_capital': no value", NULL);
	expect_error("accounts:\n  mini_capital: [1]\n",
		     "t.yaml:2: key 'accounts.mini_capital': expected a single value, found a list",
		     NULL);
}

static void test_fractions_are_basis_points(void **state)
{
	(void)state;
	assert_int_equal(with("sizing:\n  deploy_target: 0.975\n")->rules.deploy_target_bp, 9750);
	assert_int_equal(with("sizing:\n  deploy_target: 97.5%\n")->rules.deploy_target_bp, 9750);
	assert_int_equal(with("sizing:\n  deploy_max: 100%\n")->rules.deploy_max_bp, 10000);
	assert_int_equal(with("sizing:\n  deploy_max: 1\n")->rules.deploy_max_bp, 10000);
	assert_int_equal(with("sizing:\n  symbol_cap: 0.0001\n")->rules.symbol_cap_bp, 1);
	assert_int_equal(with("sizing:\n  mini_csp: 0\n")->rules.mini_csp_bp, 0);
	assert_int_equal(with("sizing:\n  mini_csp: 0.01%\n")->rules.mini_csp_bp, 1);
	assert_int_equal(
		with("accounts:\n  mini_merge_multiple: 3.5\n")->rules.mini_merge_multiple_bp,
		35000);
	assert_int_equal(
		with("accounts:\n  mini_merge_multiple: 100\n")->rules.mini_merge_multiple_bp,
		1000000);
	assert_int_equal(with("protocol:\n  hedge_atr: 1.25\n")->rules.hedge_atr_mult, 125);
	assert_int_equal(with("protocol:\n  hedge_atr: 1000\n")->rules.hedge_atr_mult, 100000);
}

static void test_fraction_errors(void **state)
{
	(void)state;
	expect_error("sizing:\n  deploy_target: 0.97505\n",
		     "t.yaml:2: key 'sizing.deploy_target': 0.97505 has more than 4 decimals "
		     "(allowed: a fraction in 0..1 with at most 4 decimals (e.g. 0.975), or a "
		     "percentage with at most 2 decimals (97.5%)",
		     NULL);
	expect_error("sizing:\n  deploy_target: 97.505%\n",
		     "t.yaml:2:", "97.505% has more than 2 decimals", NULL);
	expect_error("sizing:\n  deploy_max: 1.0001\n", "t.yaml:2:", "1.0001 is too large", NULL);
	expect_error("sizing:\n  deploy_max: 100.01%\n", "t.yaml:2:", "is too large", NULL);
	expect_error("sizing:\n  mini_csp: -0.1\n", "t.yaml:2:", "-0.1 is negative", NULL);
	expect_error("sizing:\n  symbol_cap: 0\n",
		     "t.yaml:2: key 'sizing.symbol_cap': 0 is too small (allowed: a fraction in "
		     "0.0001..1",
		     NULL);
	expect_error("sizing:\n  symbol_cap: quarter\n",
		     "t.yaml:2:", "'quarter' is not a decimal number", NULL);
	expect_error("sizing:\n  symbol_cap: 25 %\n", "t.yaml:2:", "is not a decimal number", NULL);
	expect_error("sizing:\n  symbol_cap: \"%\"\n", "t.yaml:2:", "is not a decimal number",
		     NULL);
	expect_error("accounts:\n  mini_merge_multiple: 1\n",
		     "t.yaml:2: key 'accounts.mini_merge_multiple': 1 is too small (allowed: a "
		     "multiple of a Mini's initial capital in 1.0001..100",
		     NULL);
	expect_error("accounts:\n  mini_merge_multiple: 300%\n",
		     "t.yaml:2:", "is not a decimal number",
		     NULL); /* a multiple is not a percentage */
	expect_error("protocol:\n  hedge_atr: 0.001\n",
		     "t.yaml:2: key 'protocol.hedge_atr': 0.001 has more than 2 decimals", NULL);
	expect_error("protocol:\n  hedge_atr: 0\n", "t.yaml:2:", "0 is too small",
		     "a multiple of ATR(5) in 0.01..1000", NULL);
}

static void test_times_of_day(void **state)
{
	(void)state;
	const struct core_rules_entry_rule *g = &with("rules:\n  gen_csp:\n    window_start: "
						      "\"09:45\"\n")
							 ->rules.rule[CORE_RULE_GEN_CSP];
	assert_int_equal(g->window_start_s, 35100);
	g = &with("rules:\n  gen_csp:\n    window_start: 9:30:15\n")->rules.rule[0];
	assert_int_equal(g->window_start_s, 9 * 3600 + 30 * 60 + 15);
	g = &with("rules:\n  gen_csp:\n    window_end: \"24:00:00\"\n")->rules.rule[0];
	assert_int_equal(g->window_end_s, 86400);
	g = &with("rules:\n  gen_csp:\n    window_start: \"00:00\"\n")->rules.rule[0];
	assert_int_equal(g->window_start_s, 0);
	expect_error("rules:\n  gen_csp:\n    window_start: \"24:00\"\n",
		     "t.yaml:3: key 'rules.gen_csp.window_start': 24:00 is out of range "
		     "(allowed: a New York time of day HH:MM or HH:MM:SS in 00:00:00..23:59:59",
		     NULL);
	static const char *const bad[] = {"24:01",      "09:60",  "9:45:60", "0945",
					  "09:45:00.5", "-1:00",  "09:5",    "109:00",
					  "9h45",       "09:45:", "12"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char y[96], w[96];
		snprintf(y, sizeof(y), "rules:\n  com_cc:\n    window_end: \"%s\"\n", bad[i]);
		snprintf(w, sizeof(w), "'%s' is not a time of day", bad[i]);
		expect_error(y, "t.yaml:3: key 'rules.com_cc.window_end'", w, "HH:MM", NULL);
	}
}

static void test_schedule_and_initial_capital(void **state)
{
	(void)state;
	const struct rt_config *c = with("schedule:\n  atr_time: \"09:00\"\n  after_close: 0\n"
					 "accounts:\n  initial_capital: 250000.50\n");
	assert_int_equal(c->rules.atr_time_s, 9 * 3600);
	assert_int_equal(c->rules.after_close_s, 0);
	assert_int_equal(c->rules.initial_capital, 25000050000000ll);
	expect_error("schedule:\n  atr_time: \"24:00\"\n",
		     "t.yaml:2: key 'schedule.atr_time': 24:00 is out of range", NULL);
	expect_error("schedule:\n  after_close: 7201\n", "t.yaml:2: key 'schedule.after_close'",
		     "7201", "0..7200", NULL);
	expect_error("accounts:\n  initial_capital: 0\n",
		     "t.yaml:2: key 'accounts.initial_capital'", NULL);
	expect_error("accounts:\n  initial_capital: 100.123456789\n",
		     "t.yaml:2: key 'accounts.initial_capital'", "decimals", NULL);
}

static void test_weekdays(void **state)
{
	(void)state;
	assert_int_equal(
		with("rules:\n  gen_csp:\n    weekdays: [mon, THU]\n")->rules.rule[0].weekdays,
		1u << CORE_MONDAY | 1u << CORE_THURSDAY);
	assert_int_equal(
		with("rules:\n  rev_csp:\n    weekdays:\n      - Monday\n      - tue\n      - "
		     "Wednesday\n      - thursday\n      - FRI\n")
			->rules.rule[CORE_RULE_REV_CSP]
			.weekdays,
		0x3eu);
	expect_error("rules:\n  gen_csp:\n    weekdays: [mon, sat]\n",
		     "t.yaml:3: key 'rules.gen_csp.weekdays' entry 2: 'sat': Saturday has no "
		     "NYSE session (allowed: a list of 1..5 different days from mon, tue, wed, "
		     "thu, fri",
		     NULL);
	expect_error("rules:\n  gen_csp:\n    weekdays:\n      - mon\n      - Sunday\n",
		     "t.yaml:5:", "Sunday has no NYSE session", NULL);
	expect_error("rules:\n  gen_csp:\n    weekdays: [thurs]\n",
		     "t.yaml:3: key 'rules.gen_csp.weekdays' entry 1: 'thurs' is not a day of "
		     "the week",
		     NULL);
	expect_error("rules:\n  gen_csp:\n    weekdays: [mon, monday]\n",
		     "entry 2: 'monday' is already entry 1", NULL);
	expect_error("rules:\n  gen_csp:\n    weekdays: []\n",
		     "t.yaml:3: key 'rules.gen_csp.weekdays': empty list", NULL);
	expect_error("rules:\n  gen_csp:\n    weekdays: thu\n",
		     "t.yaml:3: key 'rules.gen_csp.weekdays': expected a list, found a single "
		     "value",
		     NULL);
	expect_error("rules:\n  gen_csp:\n    weekdays:\n", "t.yaml:3:", "expected a list", NULL);
	expect_error("rules:\n  gen_csp:\n    weekdays: [[mon]]\n",
		     "t.yaml:3:", "entry 1: expected a day, found a list", NULL);
}

static void test_entry_states(void **state)
{
	(void)state;
	assert_int_equal(with("gate:\n  entry_states: [scanning, Audit]\n")->rules.entry_states,
			 1u << CORE_SYS_SCANNING | 1u << CORE_SYS_AUDIT);
	assert_int_equal(with("gate:\n  entry_states: []\n")->rules.entry_states, 0);
	expect_error("gate:\n  entry_states: [SCAN]\n",
		     "t.yaml:2: key 'gate.entry_states' entry 1: 'SCAN' is not a system state "
		     "(allowed: a list of different states from SCANNING, ANALYZING, ORDERING, "
		     "MONITORING, CLOSING, RECONCILING, AUDIT",
		     NULL);
	expect_error("gate:\n  entry_states: [ORDERING, ordering]\n",
		     "entry 2: 'ordering' is already entry 1", NULL);
	/* SAFE is a state, but core_rules_cfg_check refuses it: the line of that entry */
	expect_error("gate:\n  entry_states:\n    - SCANNING\n    - MONITORING\n    - safe\n",
		     "t.yaml:5: key 'gate.entry_states': SAFE never opens a position", NULL);
	expect_error("gate:\n  entry_states: [EMERGENCY]\n",
		     "t.yaml:2: key 'gate.entry_states': EMERGENCY never opens", NULL);
	expect_error("gate:\n  entry_states: [scanning, maintenance]\n",
		     "t.yaml:2:", "MAINTENANCE never opens", NULL);
}

static void test_right_is_fixed_by_the_rule(void **state)
{
	(void)state;
	load_ok(with("log_level: info\n"), "rules:\n  gen_csp: {right: put}\n  com_cc: {right: "
					   "CALL}\n");
	expect_error("rules:\n  gen_csp:\n    right: call\n",
		     "t.yaml:3: key 'rules.gen_csp.right': 'call' is not this rule's right "
		     "(allowed: put (fixed by the rule))",
		     NULL);
	expect_error("rules:\n  mini_cc:\n    right: P\n",
		     "t.yaml:3:", "allowed: call (fixed by the rule)", NULL);
	expect_error("rules:\n  gen_cc:\n    right: call\n", "t.yaml:2: unknown key 'rules.gen_cc'",
		     "gen_csp, rev_csp, com_cc, mini_csp, mini_cc", NULL);
}

static void test_other_rule_fields_and_ranges(void **state)
{
	(void)state;
	const struct rt_config *c =
		with("rules:\n  com_cc:\n    delta_min: 0.15\n    delta_max: 0.3\n    dte_min: 4\n"
		     "    dte_max: 7\n    symbols: [META, SPY]\nscanner:\n  rate: 0.05\n"
		     "  div_yield: -0.01\nprotocol:\n  roll_dte_max: 21\naccounts:\n"
		     "  mini_merge_years: 5\n");
	const struct core_rules_entry_rule *r = &c->rules.rule[CORE_RULE_COM_CC];
	assert_true(r->delta_min == 0.15 && r->delta_max == 0.3);
	assert_int_equal(r->dte_min, 4);
	assert_int_equal(r->dte_max, 7);
	assert_int_equal(r->nsymbols, 2);
	assert_string_equal(r->symbols[1], "SPY");
	assert_string_equal(r->symbols[2], "");
	assert_true(c->rules.rate == 0.05 && c->rules.div_yield == -0.01);
	assert_int_equal(c->rules.roll_dte_max, 21);
	assert_int_equal(c->rules.mini_merge_years, 5);
	/* the other rules keep their values */
	assert_int_equal(c->rules.rule[CORE_RULE_MINI_CC].dte_min, 5);
	expect_error("rules:\n  gen_csp:\n    delta_max: 1.5\n",
		     "t.yaml:3: key 'rules.gen_csp.delta_max': 1.5 is out of range (allowed: "
		     "number in 0..1",
		     NULL);
	expect_error("rules:\n  gen_csp:\n    dte_max: 3651\n", "t.yaml:3:", "0..3650", NULL);
	expect_error("protocol:\n  roll_dte_max: 0\n", "t.yaml:2:", "1..3650", NULL);
	expect_error("scanner:\n  rate: 1.01\n", "t.yaml:2: key 'scanner.rate'", "-1..1", NULL);
	expect_error("accounts:\n  mini_merge_years: 101\n", "t.yaml:2:", "1..100", NULL);
	expect_error("rules:\n  gen_csp:\n    symbols: [AAPL, aapl]\n",
		     "t.yaml:3:", "entry 2: 'aapl' contains 'a'", NULL);
	expect_error("rules:\n  gen_csp:\n    symbols: [AAPL, MSFT, AAPL]\n",
		     "t.yaml:3:", "entry 3: 'AAPL' is already entry 1", NULL);
	expect_error("rules:\n  gen_csp:\n    symbols: []\n",
		     "t.yaml:3: key 'rules.gen_csp.symbols': 0 symbols (allowed: 1..16)", NULL);
	expect_error("rules:\n  gen_csp:\n    symbols: [A, B, C, D, E, F, G, H, I, J, K, L, M, "
		     "N, O, P, Q]\n",
		     "t.yaml:3: key 'rules.gen_csp.symbols': 17 entries", NULL);
}

static void test_cross_key_rules_name_file_line_and_key(void **state)
{
	(void)state;
	/* delta_min > delta_max: the line of the key the core names ... */
	expect_error("log_level: info\nrules:\n  gen_csp:\n    delta_min: 0.46\n",
		     "t.yaml:4: key 'rules.gen_csp.delta_min': 0.46 is above delta_max 0.45 "
		     "(allowed: delta_min <= delta_max)",
		     NULL);
	/* ... or, when this file did not set it, of the other key it names */
	expect_error("rules:\n  rev_csp:\n    dte_max: 2\n",
		     "t.yaml:3: key 'rules.rev_csp.dte_min': 3 is above dte_max 2", NULL);
	expect_error("rules:\n  mini_cc:\n    delta_max: 0.1\n",
		     "t.yaml:3: key 'rules.mini_cc.delta_min': 0.2 is above delta_max 0.1", NULL);
	/* window start >= end */
	expect_error("rules:\n  com_cc:\n    window_start: \"11:00\"\n",
		     "t.yaml:3: key 'rules.com_cc.window_end': 11:00:00 is not after "
		     "window_start 11:00:00 (allowed: start < end <= 24:00:00)",
		     NULL);
	expect_error(
		"rules:\n  com_cc:\n    window_start: \"10:00\"\n    window_end: \"09:59:59\"\n",
		"t.yaml:4: key 'rules.com_cc.window_end': 09:59:59 is not after", NULL);
	/* the split does not sum to 100 % */
	expect_error("accounts:\n  split_gen: 0.4\n  split_com: 0.2\n",
		     "t.yaml:3: key 'accounts.split_com': split_gen 0.4 + split_rev 0.3 + "
		     "split_com 0.2 = 0.9 (allowed: three fractions summing to exactly 1",
		     NULL);
	expect_error("accounts:\n  split_rev: 35%\n",
		     "t.yaml:2: key 'accounts.split_rev':", "= 1.05", NULL);
	/* deploy min > target, target > max */
	expect_error("sizing:\n  deploy_min: 0.98\n",
		     "t.yaml:2: key 'sizing.deploy_min': deploy_min 0.98 <= deploy_target 0.975 "
		     "<= deploy_max 1 does not hold",
		     NULL);
	expect_error("sizing:\n  deploy_max: 0.97\n",
		     "t.yaml:2: key 'sizing.deploy_max': deploy_min 0.95 <= deploy_target 0.975 "
		     "<= deploy_max 0.97 does not hold",
		     NULL);
	expect_error("sizing:\n  deploy_target: 0.9\n", "t.yaml:2: key 'sizing.deploy_target'",
		     NULL);
	/* fork funding above its step, merge balance not above a Mini's funding */
	expect_error("accounts:\n  mini_capital: 100000.01\n",
		     "t.yaml:2: key 'accounts.mini_capital': mini_capital 100000.01 is above "
		     "gen_fork_step 100000",
		     NULL);
	expect_error("accounts:\n  rev_fork_step: 400000\n",
		     "t.yaml:2: key 'accounts.rev_fork_step': rev_fork_capital 500000 is above "
		     "rev_fork_step 400000",
		     NULL);
	expect_error("accounts:\n  mini_capital: 50000\n  mini_merge_balance: 50000\n",
		     "t.yaml:3: key 'accounts.mini_merge_balance': mini_merge_balance 50000 is "
		     "not above mini_capital 50000",
		     NULL);
	/* a symbol that is not a configured instrument: the line of that entry */
	expect_error("rules:\n  rev_csp:\n    symbols:\n      - NVDA\n      - ZZZ\n",
		     "t.yaml:5: key 'rules.rev_csp.symbols' entry 2: 'ZZZ' is not a configured "
		     "instrument (allowed: one of the instruments: AAPL MSFT",
		     NULL);
	/* instruments that drop a rule's symbol: the line of instruments */
	expect_error("log_level: warn\ninstruments: [AAPL, MSFT, AMZN, GOOG, GOOGL, META, TSLA, "
		     "SPY, QQQ, IWM]\n",
		     "t.yaml:2: key 'instruments': 'NVDA' is missing, but rules.rev_csp.symbols "
		     "entry 1 trades it",
		     NULL);
}

static void test_core_error_on_a_key_not_in_this_file_has_no_line(void **state)
{
	(void)state;
	struct rt_config c, before;
	struct rt_err err = {0};
	rt_config_defaults(&c);
	c.rules.rule[CORE_RULE_GEN_CSP].delta_min = 0.5; /* set by an earlier layer */
	before = c;
	const char *y = "log_level: warn\nrules:\n  rev_csp:\n    dte_max: 6\n";
	assert_int_equal(rt_config_load_string(&c, y, strlen(y), "o.yaml", &err), -EINVAL);
	assert_string_equal(err.msg, "o.yaml: key 'rules.gen_csp.delta_min': 0.5 is above "
				     "delta_max 0.45 (allowed: delta_min <= delta_max)");
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_overlay_of_rules_keys_is_all_or_nothing(void **state)
{
	(void)state;
	expect_error("sizing:\n  deploy_target: 0.96\naccounts:\n  gen_fork_step: 200000\n"
		     "rules:\n  gen_csp:\n    weekdays: [mon]\n    window_end: \"25:00\"\n",
		     "t.yaml:8:", NULL);
	/* an overlay changes only what it names, within a rule too */
	struct rt_config *c = with("rules:\n  gen_csp:\n    delta_max: 0.5\n");
	struct core_rules_cfg want;
	core_rules_cfg_defaults(&want);
	want.rule[CORE_RULE_GEN_CSP].delta_max = 0.5;
	assert_memory_equal(&c->rules, &want, sizeof(want));
}

static void dump_load_same(const struct rt_config *c, const char *const *must)
{
	struct rt_config back;
	struct rt_err err = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(rt_config_dump(c, f), 0);
	fclose(f);
	for (; must && *must; must++)
		if (!strstr(buf, *must)) {
			print_error("dump lacks \"%s\":\n%s\n", *must, buf);
			fail();
		}
	rt_config_defaults(&back);
	memset(&back.rules, 0, sizeof(back.rules)); /* every field must come from the dump */
	int ret = rt_config_load_string(&back, buf, len, "dump", &err);
	if (ret)
		print_error("%s\n%s\n", err.msg, buf);
	assert_int_equal(ret, 0);
	assert_int_equal(memcmp(&back, c, sizeof(*c)), 0);
	free(buf);
}

static void test_dump_prints_the_syntax_it_reads_and_loads_back(void **state)
{
	(void)state;
	struct rt_config c;
	rt_config_defaults(&c);
	static const char *const defaults[] = {
		"\nrules:\n  gen_csp:\n    right: put\n    delta_min: 0.4\n    delta_max: 0.45\n",
		"    weekdays: [thu]\n    window_start: \"09:45:00\"\n    window_end: "
		"\"11:00:00\"\n",
		"    symbols:\n      - AAPL\n",
		"\nsizing:\n  deploy_min: 0.95\n  deploy_target: 0.975\n  deploy_max: 1\n",
		"  gen_fork_step: 100000\n",
		"  mini_merge_multiple: 3\n",
		"  roll_dte_max: 14\n  roll_min_credit: 0.01\n  hedge_atr: 1\n",
		"\ngate:\n  entry_states: [SCANNING, ANALYZING, ORDERING, MONITORING]\n",
		NULL};
	dump_load_same(&c, defaults);
	/* odd but valid values at the edges of every type */
	load_ok(&c, "rules:\n  rev_csp:\n    weekdays: [fri, mon, wed]\n"
		    "    window_start: \"00:00:01\"\n    window_end: \"24:00\"\n"
		    "    delta_min: 0.1234567890123\n    delta_max: 1\n"
		    "sizing:\n  deploy_min: 0\n  deploy_target: 0.0001\n  mini_csp: 33.33%\n"
		    "accounts:\n  gen_fork_step: 10000000000\n  mini_capital: 0.00000001\n"
		    "  mini_merge_balance: 12345.67890123\n  mini_merge_multiple: 1.0001\n"
		    "protocol:\n  roll_min_credit: 0\n  hedge_atr: 0.01\n"
		    "scanner:\n  rate: -0.25\n  div_yield: 0.0123\n"
		    "gate:\n  entry_states: []\n");
	static const char *const odd[] = {"    weekdays: [mon, wed, fri]\n",
					  "    window_start: \"00:00:01\"\n",
					  "    window_end: \"24:00:00\"\n",
					  "  mini_csp: 0.3333\n",
					  "  mini_capital: 0.00000001\n",
					  "  mini_merge_balance: 12345.67890123\n",
					  "  mini_merge_multiple: 1.0001\n",
					  "  hedge_atr: 0.01\n",
					  "  entry_states: []\n",
					  NULL};
	dump_load_same(&c, odd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_equal_core_rules_cfg_defaults),
		cmocka_unit_test(test_money_is_exact_decimal_usd),
		cmocka_unit_test(test_money_errors),
		cmocka_unit_test(test_fractions_are_basis_points),
		cmocka_unit_test(test_fraction_errors),
		cmocka_unit_test(test_times_of_day),
		cmocka_unit_test(test_schedule_and_initial_capital),
		cmocka_unit_test(test_weekdays),
		cmocka_unit_test(test_entry_states),
		cmocka_unit_test(test_right_is_fixed_by_the_rule),
		cmocka_unit_test(test_other_rule_fields_and_ranges),
		cmocka_unit_test(test_cross_key_rules_name_file_line_and_key),
		cmocka_unit_test(test_core_error_on_a_key_not_in_this_file_has_no_line),
		cmocka_unit_test(test_overlay_of_rules_keys_is_all_or_nothing),
		cmocka_unit_test(test_dump_prints_the_syntax_it_reads_and_loads_back),
	};
	return cmocka_run_group_tests_name("rt_config_rules", tests, NULL, NULL);
}
