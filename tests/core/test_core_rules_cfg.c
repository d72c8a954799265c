/* The rules configuration: RULES.md's defaults and every cross-field check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_cfg.h"
#include "workers/core/core_rules_state.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define USD(x) CORE_RULES_USD(x)
#define HMS(h, m, s) ((h)*3600 + (m)*60 + (s))

static void check_rule(const struct core_rules_entry_rule *r, enum core_right right, double dmin,
		       double dmax, int dte_min, int dte_max, int weekday, const char *syms)
{
	assert_int_equal(r->right, right);
	assert_true(r->delta_min == dmin);
	assert_true(r->delta_max == dmax);
	assert_int_equal(r->dte_min, dte_min);
	assert_int_equal(r->dte_max, dte_max);
	assert_int_equal(r->weekdays, 1u << weekday);
	assert_int_equal(r->window_start_s, HMS(9, 45, 0));
	assert_int_equal(r->window_end_s, HMS(11, 0, 0));
	char joined[256] = "";
	for (uint32_t i = 0; i < r->nsymbols; i++) {
		if (i)
			strcat(joined, " ");
		strcat(joined, r->symbols[i]);
	}
	assert_string_equal(joined, syms);
}

static void test_cfg_defaults_are_the_rules_numbers(void **state)
{
	(void)state;
	struct core_rules_cfg c;
	core_rules_cfg_defaults(&c);
	check_rule(&c.rule[CORE_RULE_GEN_CSP], CORE_RIGHT_PUT, 0.40, 0.45, 0, 1, CORE_THURSDAY,
		   "AAPL MSFT AMZN GOOG SPY QQQ IWM");
	check_rule(&c.rule[CORE_RULE_REV_CSP], CORE_RIGHT_PUT, 0.30, 0.35, 3, 5, CORE_WEDNESDAY,
		   "NVDA TSLA");
	check_rule(&c.rule[CORE_RULE_COM_CC], CORE_RIGHT_CALL, 0.20, 0.25, 5, 5, CORE_MONDAY,
		   "AAPL MSFT AMZN GOOGL NVDA TSLA META");
	check_rule(&c.rule[CORE_RULE_MINI_CSP], CORE_RIGHT_PUT, 0.40, 0.45, 0, 1, CORE_THURSDAY,
		   "AAPL MSFT AMZN GOOG SPY QQQ IWM");
	check_rule(&c.rule[CORE_RULE_MINI_CC], CORE_RIGHT_CALL, 0.20, 0.25, 5, 5, CORE_MONDAY,
		   "AAPL MSFT AMZN GOOGL NVDA TSLA META");
	assert_int_equal(c.deploy_min_bp, 9500);
	assert_int_equal(c.deploy_target_bp, 9750);
	assert_int_equal(c.deploy_max_bp, 10000);
	assert_int_equal(c.symbol_cap_bp, 2500);
	assert_int_equal(c.mini_csp_bp, 5000);
	assert_int_equal(c.split_gen_bp, 4000);
	assert_int_equal(c.split_rev_bp, 3000);
	assert_int_equal(c.split_com_bp, 3000);
	assert_int_equal(c.gen_fork_step, USD(100000));
	assert_int_equal(c.mini_capital, USD(100000));
	assert_int_equal(c.rev_fork_step, USD(500000));
	assert_int_equal(c.rev_fork_capital, USD(500000));
	assert_int_equal(c.mini_merge_years, 3);
	assert_int_equal(c.mini_merge_multiple_bp, 30000);
	assert_int_equal(c.mini_merge_balance, USD(500000));
	assert_int_equal(c.hedge_atr_mult, 100);
	assert_int_equal(c.atr_time_s, 34200);
	assert_int_equal(c.after_close_s, 60);
	assert_int_equal(c.initial_capital, USD(1000000));
	assert_int_equal(c.entry_states, (1u << CORE_SYS_SCANNING) | (1u << CORE_SYS_ANALYZING) |
						 (1u << CORE_SYS_ORDERING) |
						 (1u << CORE_SYS_MONITORING));
	struct rt_err err = {0};
	assert_int_equal(core_rules_cfg_check(&c, &err), 0);
	/* defaults zero the struct first: equal settings compare equal */
	struct core_rules_cfg d;
	memset(&d, 0xa5, sizeof(d));
	core_rules_cfg_defaults(&d);
	assert_memory_equal(&c, &d, sizeof(c));
}

struct bad {
	void (*mutate)(struct core_rules_cfg *c);
	const char *msg; /* a piece of the message */
};

/* clang-format off */
#define GEN (&c->rule[CORE_RULE_GEN_CSP])
static void m_delta_min_above_max(struct core_rules_cfg *c) { GEN->delta_min = 0.46; }
static void m_delta_max_above_1(struct core_rules_cfg *c) { GEN->delta_max = 1.5; }
static void m_delta_nan(struct core_rules_cfg *c) { GEN->delta_min = NAN; }
static void m_dte_min_above_max(struct core_rules_cfg *c) { GEN->dte_min = 2; }
static void m_dte_negative(struct core_rules_cfg *c) { GEN->dte_min = -1; }
static void m_window_reversed(struct core_rules_cfg *c) { GEN->window_end_s = HMS(9, 45, 0); }
static void m_window_past_midnight(struct core_rules_cfg *c) { GEN->window_end_s = 86401; }
static void m_weekday_saturday(struct core_rules_cfg *c) { GEN->weekdays |= 1u << CORE_SATURDAY; }
static void m_weekday_none(struct core_rules_cfg *c) { GEN->weekdays = 0; }
static void m_symbol_lower(struct core_rules_cfg *c) { strcpy(GEN->symbols[1], "msft"); }
static void m_symbol_repeat(struct core_rules_cfg *c) { strcpy(GEN->symbols[2], "AAPL"); }
static void m_no_symbols(struct core_rules_cfg *c) { GEN->nsymbols = 0; }
static void m_com_sells_puts(struct core_rules_cfg *c) { c->rule[CORE_RULE_COM_CC].right = CORE_RIGHT_PUT; }
static void m_target_below_min(struct core_rules_cfg *c) { c->deploy_target_bp = 9000; }
static void m_min_above_max(struct core_rules_cfg *c) { c->deploy_min_bp = 9900, c->deploy_max_bp = 9800; }
static void m_max_above_100(struct core_rules_cfg *c) { c->deploy_max_bp = 10001; }
static void m_cap_zero(struct core_rules_cfg *c) { c->symbol_cap_bp = 0; }
static void m_split_sum(struct core_rules_cfg *c) { c->split_com_bp = 3100; }
static void m_mini_above_step(struct core_rules_cfg *c) { c->mini_capital = USD(100001); }
static void m_rev_capital_zero(struct core_rules_cfg *c) { c->rev_fork_capital = 0; }
static void m_merge_multiple_1x(struct core_rules_cfg *c) { c->mini_merge_multiple_bp = 10000; }
static void m_merge_balance_low(struct core_rules_cfg *c) { c->mini_merge_balance = USD(100000); }
static void m_merge_years(struct core_rules_cfg *c) { c->mini_merge_years = 0; }
static void m_rate(struct core_rules_cfg *c) { c->rate = INFINITY; }
static void m_roll_dte(struct core_rules_cfg *c) { c->roll_dte_max = 0; }
static void m_hedge(struct core_rules_cfg *c) { c->hedge_atr_mult = 0; }
static void m_entry_in_safe(struct core_rules_cfg *c) { c->entry_states |= 1u << CORE_SYS_SAFE; }
static void m_entry_in_maint(struct core_rules_cfg *c) { c->entry_states |= 1u << CORE_SYS_MAINTENANCE; }
static void m_entry_unknown(struct core_rules_cfg *c) { c->entry_states |= 1u << 20; }
static void m_atr_time(struct core_rules_cfg *c) { c->atr_time_s = 86400; }
static void m_after_close(struct core_rules_cfg *c) { c->after_close_s = 7201; }
static void m_capital(struct core_rules_cfg *c) { c->initial_capital = 0; }
#undef GEN
/* clang-format on */

static const struct bad bads[] = {
	{m_delta_min_above_max, "rules.gen_csp.delta_min: 0.46 is above delta_max 0.45"},
	{m_delta_max_above_1, "rules.gen_csp.delta_max: 1.5 is not in 0..1"},
	{m_delta_nan, "rules.gen_csp.delta_min: nan"},
	{m_dte_min_above_max, "rules.gen_csp.dte_min: 2 is above dte_max 1"},
	{m_dte_negative, "rules.gen_csp.dte_min: -1 is not in 0..3650"},
	{m_window_reversed, "window_end: 09:45:00 is not after window_start 09:45:00"},
	{m_window_past_midnight, "rules.gen_csp.window_end"},
	{m_weekday_saturday, "rules.gen_csp.weekdays: Saturday has no NYSE session"},
	{m_weekday_none, "rules.gen_csp.weekdays: empty"},
	{m_symbol_lower, "rules.gen_csp.symbols[1]: 'msft' is not a ticker"},
	{m_symbol_repeat, "rules.gen_csp.symbols[2]: 'AAPL' repeats symbols[0]"},
	{m_no_symbols, "rules.gen_csp.symbols: 0 symbols"},
	{m_com_sells_puts, "rules.com_cc.right: must be call"},
	{m_target_below_min, "sizing.deploy_target: 9000 bp is outside"},
	{m_min_above_max, "sizing.deploy_min: 9900 bp is above deploy_max 9800 bp"},
	{m_max_above_100, "sizing.deploy_max: 10001 bp is not in 1..10000 bp"},
	{m_cap_zero, "sizing.symbol_cap: 0 bp"},
	{m_split_sum, "4000 + 3000 + 3100 bp is not 10000 bp"},
	{m_mini_above_step, "accounts.mini_capital"},
	{m_rev_capital_zero, "accounts.rev_fork_capital"},
	{m_merge_multiple_1x, "accounts.mini_merge_multiple: 10000 bp"},
	{m_merge_balance_low, "accounts.mini_merge_balance"},
	{m_merge_years, "accounts.mini_merge_years: 0"},
	{m_rate, "scanner.rate"},
	{m_roll_dte, "protocol.roll_dte_max: 0"},
	{m_hedge, "protocol.hedge_atr"},
	{m_entry_in_safe, "gate.entry_states: SAFE never opens a position"},
	{m_entry_in_maint, "gate.entry_states: MAINTENANCE never opens a position"},
	{m_entry_unknown, "gate.entry_states: 0x"},
	{m_atr_time, "schedule.atr_time: 86400 s is not a time of day"},
	{m_after_close, "schedule.after_close: 7201 s is not in 0..7200"},
	{m_capital, "accounts.initial_capital: 0 is not in 1.."},
};

static void test_cfg_check_names_the_field_and_what_is_allowed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct core_rules_cfg c;
		core_rules_cfg_defaults(&c);
		bads[i].mutate(&c);
		struct rt_err err = {0};
		int rc = core_rules_cfg_check(&c, &err);
		if (rc != -EINVAL || !strstr(err.msg, bads[i].msg))
			print_error("#%zu: rc %d, message '%s', want '%s'\n", i, rc, err.msg,
				    bads[i].msg);
		assert_int_equal(rc, -EINVAL);
		assert_non_null(strstr(err.msg, bads[i].msg));
	}
	assert_int_equal(core_rules_cfg_check(NULL, NULL), -EINVAL);
}

static void test_cfg_boundary_values_are_accepted(void **state)
{
	(void)state;
	struct core_rules_cfg c;
	core_rules_cfg_defaults(&c);
	c.rule[CORE_RULE_GEN_CSP].delta_min = c.rule[CORE_RULE_GEN_CSP].delta_max = 0.45;
	c.rule[CORE_RULE_GEN_CSP].window_end_s = c.rule[CORE_RULE_GEN_CSP].window_start_s + 1;
	c.rule[CORE_RULE_REV_CSP].weekdays = 0x3e; /* Monday..Friday */
	c.deploy_min_bp = c.deploy_target_bp = c.deploy_max_bp = 10000;
	c.symbol_cap_bp = 10000;
	c.mini_capital = c.gen_fork_step;
	c.mini_merge_balance = c.mini_capital + 1;
	c.roll_min_credit = 0;
	c.entry_states = 0;
	c.atr_time_s = 86399;
	c.after_close_s = 7200;
	c.initial_capital = 1;
	assert_int_equal(core_rules_cfg_check(&c, NULL), 0);
}

static void test_cfg_symbols_must_be_configured_instruments(void **state)
{
	(void)state;
	struct core_rules_cfg c;
	core_rules_cfg_defaults(&c);
	static const char known[][CORE_RULES_SYMBOL_MAX] = {"AAPL",  "MSFT", "AMZN", "GOOG",
							    "GOOGL", "META", "NVDA", "TSLA",
							    "SPY",   "QQQ",  "IWM"};
	struct rt_err err = {0};
	assert_int_equal(core_rules_cfg_check_known(&c, known, 11, &err), 0);
	assert_int_equal(core_rules_cfg_check_known(&c, known, 10, &err), -EINVAL); /* no IWM */
	assert_string_equal(err.msg, "rules.gen_csp.symbols[6]: 'IWM' is not a configured "
				     "instrument");
}

static void test_cfg_rule_of_each_account_and_right(void **state)
{
	(void)state;
	struct core_rules_cfg c;
	core_rules_cfg_defaults(&c);
	/* and the inverse: the account type of each rule */
	assert_int_equal(core_rules_rule_acct(CORE_RULE_GEN_CSP), CORE_ACCT_GEN);
	assert_int_equal(core_rules_rule_acct(CORE_RULE_REV_CSP), CORE_ACCT_REV);
	assert_int_equal(core_rules_rule_acct(CORE_RULE_COM_CC), CORE_ACCT_COM);
	assert_int_equal(core_rules_rule_acct(CORE_RULE_MINI_CSP), CORE_ACCT_MINI);
	assert_int_equal(core_rules_rule_acct(CORE_RULE_MINI_CC), CORE_ACCT_MINI);
	assert_ptr_equal(core_rules_cfg_rule(&c, CORE_ACCT_GEN, CORE_RIGHT_PUT),
			 &c.rule[CORE_RULE_GEN_CSP]);
	assert_null(core_rules_cfg_rule(&c, CORE_ACCT_GEN, CORE_RIGHT_CALL));
	assert_ptr_equal(core_rules_cfg_rule(&c, CORE_ACCT_REV, CORE_RIGHT_PUT),
			 &c.rule[CORE_RULE_REV_CSP]);
	assert_null(core_rules_cfg_rule(&c, CORE_ACCT_REV, CORE_RIGHT_CALL));
	assert_ptr_equal(core_rules_cfg_rule(&c, CORE_ACCT_COM, CORE_RIGHT_CALL),
			 &c.rule[CORE_RULE_COM_CC]);
	assert_null(core_rules_cfg_rule(&c, CORE_ACCT_COM, CORE_RIGHT_PUT));
	assert_ptr_equal(core_rules_cfg_rule(&c, CORE_ACCT_MINI, CORE_RIGHT_PUT),
			 &c.rule[CORE_RULE_MINI_CSP]);
	assert_ptr_equal(core_rules_cfg_rule(&c, CORE_ACCT_MINI, CORE_RIGHT_CALL),
			 &c.rule[CORE_RULE_MINI_CC]);
	assert_null(core_rules_cfg_rule(&c, (enum core_rules_acct)4, CORE_RIGHT_PUT));
	assert_int_equal(core_rules_cfg_symbol_index(&c.rule[CORE_RULE_GEN_CSP], "QQQ"), 5);
	assert_int_equal(core_rules_cfg_symbol_index(&c.rule[CORE_RULE_GEN_CSP], "GOOGL"), -1);
	assert_string_equal(core_rules_rule_name(CORE_RULE_MINI_CC), "mini_cc");
	assert_string_equal(core_rules_acct_name(CORE_ACCT_MINI), "mini");
	assert_string_equal(core_rules_acct_name((enum core_rules_acct)4), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_defaults_are_the_rules_numbers),
		cmocka_unit_test(test_cfg_check_names_the_field_and_what_is_allowed),
		cmocka_unit_test(test_cfg_boundary_values_are_accepted),
		cmocka_unit_test(test_cfg_symbols_must_be_configured_instruments),
		cmocka_unit_test(test_cfg_rule_of_each_account_and_right),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
