#include "workers/core/core_rules_cfg.h"
#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_state.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define HMS(h, m, s) ((h)*3600 + (m)*60 + (s))
#define BIT(d) (1u << (d))

static void set_rule(struct core_rules_entry_rule *r, enum core_right right, double dmin,
		     double dmax, int32_t dte_min, int32_t dte_max, unsigned weekday,
		     const char *const *syms, unsigned n)
{
	r->right = right;
	r->delta_min = dmin;
	r->delta_max = dmax;
	r->dte_min = dte_min;
	r->dte_max = dte_max;
	r->weekdays = BIT(weekday);
	r->window_start_s = HMS(9, 45, 0);
	r->window_end_s = HMS(11, 0, 0);
	r->nsymbols = n;
	for (unsigned i = 0; i < n; i++)
		strncpy(r->symbols[i], syms[i], CORE_RULES_SYMBOL_MAX - 1);
}

void core_rules_cfg_defaults(struct core_rules_cfg *cfg)
{
	static const char *const gen[] = {"AAPL", "MSFT", "AMZN", "GOOG", "SPY", "QQQ", "IWM"};
	static const char *const rev[] = {"NVDA", "TSLA"};
	static const char *const com[] = {"AAPL", "MSFT", "AMZN", "GOOGL", "NVDA", "TSLA", "META"};
	memset(cfg, 0, sizeof(*cfg));
	set_rule(&cfg->rule[CORE_RULE_GEN_CSP], CORE_RIGHT_PUT, 0.40, 0.45, 0, 1, CORE_THURSDAY,
		 gen, 7);
	set_rule(&cfg->rule[CORE_RULE_REV_CSP], CORE_RIGHT_PUT, 0.30, 0.35, 3, 5, CORE_WEDNESDAY,
		 rev, 2);
	set_rule(&cfg->rule[CORE_RULE_COM_CC], CORE_RIGHT_CALL, 0.20, 0.25, 5, 5, CORE_MONDAY, com,
		 7);
	/* A Mini trades "half Gen-style, half Com-style": its halves start as copies. */
	cfg->rule[CORE_RULE_MINI_CSP] = cfg->rule[CORE_RULE_GEN_CSP];
	cfg->rule[CORE_RULE_MINI_CC] = cfg->rule[CORE_RULE_COM_CC];

	cfg->deploy_min_bp = 9500;
	cfg->deploy_target_bp = 9750;
	cfg->deploy_max_bp = 10000;
	cfg->symbol_cap_bp = 2500;
	cfg->mini_csp_bp = 5000;

	cfg->split_gen_bp = 4000;
	cfg->split_rev_bp = 3000;
	cfg->split_com_bp = 3000;
	cfg->gen_fork_step = CORE_RULES_USD(100000);
	cfg->mini_capital = CORE_RULES_USD(100000);
	cfg->rev_fork_step = CORE_RULES_USD(500000);
	cfg->rev_fork_capital = CORE_RULES_USD(500000);
	cfg->mini_merge_years = 3;
	cfg->mini_merge_multiple_bp = 30000;
	cfg->mini_merge_balance = CORE_RULES_USD(500000);

	cfg->rate = 0.04;
	cfg->div_yield = 0.0;

	cfg->roll_dte_max = 14;
	cfg->roll_min_credit = PRICE_SCALE / 100; /* $0.01 */
	cfg->hedge_atr_mult = 100;

	cfg->entry_states = BIT(CORE_SYS_SCANNING) | BIT(CORE_SYS_ANALYZING) |
			    BIT(CORE_SYS_ORDERING) | BIT(CORE_SYS_MONITORING);
	cfg->atr_time_s = 9 * 3600 + 30 * 60; /* 09:30:00 New York, the open */
	cfg->after_close_s = 60;
	cfg->initial_capital = CORE_RULES_USD(1000000);
}

const char *core_rules_rule_name(enum core_rules_rule_id id)
{
	static const char *const names[CORE_RULE_COUNT] = {"gen_csp", "rev_csp", "com_cc",
							   "mini_csp", "mini_cc"};
	return (unsigned)id < CORE_RULE_COUNT ? names[id] : "?";
}

const char *core_rules_acct_name(enum core_rules_acct acct)
{
	static const char *const names[CORE_ACCT_COUNT] = {"gen", "rev", "com", "mini"};
	return (unsigned)acct < CORE_ACCT_COUNT ? names[acct] : "?";
}

static bool symbol_ok(const char *s)
{
	size_t n = strnlen(s, CORE_RULES_SYMBOL_MAX);
	if (n == 0 || n >= CORE_RULES_SYMBOL_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'))
			return false;
	}
	return true;
}

static bool frac_ok(double d)
{
	return isfinite(d) && d >= 0.0 && d <= 1.0;
}

static const char *const day_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
					 "Thursday", "Friday", "Saturday"};

static int check_rule(const struct core_rules_entry_rule *r, enum core_rules_rule_id id,
		      struct rt_err *err)
{
	const char *n = core_rules_rule_name(id);
	bool csp = id == CORE_RULE_GEN_CSP || id == CORE_RULE_REV_CSP || id == CORE_RULE_MINI_CSP;
	enum core_right want = csp ? CORE_RIGHT_PUT : CORE_RIGHT_CALL;
	if (r->right != want)
		return rt_err_set(err, -EINVAL, "rules.%s.right: must be %s (%s)", n,
				  csp ? "put" : "call",
				  csp ? "cash-secured puts" : "covered calls");
	if (!frac_ok(r->delta_min))
		return rt_err_set(err, -EINVAL, "rules.%s.delta_min: %g is not in 0..1", n,
				  r->delta_min);
	if (!frac_ok(r->delta_max))
		return rt_err_set(err, -EINVAL, "rules.%s.delta_max: %g is not in 0..1", n,
				  r->delta_max);
	if (r->delta_min > r->delta_max)
		return rt_err_set(err, -EINVAL,
				  "rules.%s.delta_min: %g is above delta_max %g (allowed: "
				  "delta_min <= delta_max)",
				  n, r->delta_min, r->delta_max);
	if (r->dte_min < 0 || r->dte_min > CORE_RULES_DTE_MAX)
		return rt_err_set(err, -EINVAL, "rules.%s.dte_min: %d is not in 0..%d", n,
				  r->dte_min, CORE_RULES_DTE_MAX);
	if (r->dte_max < 0 || r->dte_max > CORE_RULES_DTE_MAX)
		return rt_err_set(err, -EINVAL, "rules.%s.dte_max: %d is not in 0..%d", n,
				  r->dte_max, CORE_RULES_DTE_MAX);
	if (r->dte_min > r->dte_max)
		return rt_err_set(err, -EINVAL,
				  "rules.%s.dte_min: %d is above dte_max %d (allowed: dte_min <= "
				  "dte_max)",
				  n, r->dte_min, r->dte_max);
	if (r->weekdays == 0)
		return rt_err_set(err, -EINVAL,
				  "rules.%s.weekdays: empty (allowed: one or more "
				  "of Monday..Friday)",
				  n);
	for (unsigned d = 0; d < 32; d++) {
		if ((r->weekdays & BIT(d)) && (d == CORE_SUNDAY || d >= CORE_SATURDAY))
			return rt_err_set(err, -EINVAL,
					  "rules.%s.weekdays: %s has no NYSE session (allowed: "
					  "Monday..Friday)",
					  n, d < 7 ? day_names[d] : "bit above Saturday");
	}
	if (r->window_start_s < 0 || r->window_start_s >= CORE_CALENDAR_SEC_PER_DAY)
		return rt_err_set(err, -EINVAL, "rules.%s.window_start: %d s is not in 0..86399", n,
				  r->window_start_s);
	if (r->window_end_s <= r->window_start_s || r->window_end_s > CORE_CALENDAR_SEC_PER_DAY)
		return rt_err_set(err, -EINVAL,
				  "rules.%s.window_end: %02d:%02d:%02d is not after window_start "
				  "%02d:%02d:%02d (allowed: start < end <= 24:00:00)",
				  n, r->window_end_s / 3600, r->window_end_s / 60 % 60,
				  r->window_end_s % 60, r->window_start_s / 3600,
				  r->window_start_s / 60 % 60, r->window_start_s % 60);
	if (r->nsymbols == 0 || r->nsymbols > CORE_RULES_SYMBOLS_MAX)
		return rt_err_set(err, -EINVAL, "rules.%s.symbols: %u symbols (allowed: 1..%u)", n,
				  r->nsymbols, CORE_RULES_SYMBOLS_MAX);
	for (uint32_t i = 0; i < r->nsymbols; i++) {
		if (!symbol_ok(r->symbols[i]))
			return rt_err_set(err, -EINVAL,
					  "rules.%s.symbols[%u]: '%.*s' is not a ticker (allowed: "
					  "1..15 of [A-Z0-9.])",
					  n, i, (int)CORE_RULES_SYMBOL_MAX, r->symbols[i]);
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(r->symbols[i], r->symbols[j]) == 0)
				return rt_err_set(err, -EINVAL,
						  "rules.%s.symbols[%u]: '%s' repeats symbols[%u]",
						  n, i, r->symbols[i], j);
	}
	return 0;
}

static int check_bp(uint32_t v, uint32_t lo, uint32_t hi, const char *key, struct rt_err *err)
{
	if (v < lo || v > hi)
		return rt_err_set(err, -EINVAL, "%s: %u bp is not in %u..%u bp", key, v, lo, hi);
	return 0;
}

static int check_money(int64_t v, int64_t lo, int64_t hi, const char *key, struct rt_err *err)
{
	if (v < lo || v > hi)
		return rt_err_set(err, -EINVAL, "%s: %lld is not in %lld..%lld (10^-8 USD)", key,
				  (long long)v, (long long)lo, (long long)hi);
	return 0;
}

int core_rules_cfg_check(const struct core_rules_cfg *cfg, struct rt_err *err)
{
	int rc;
	if (!cfg)
		return rt_err_set(err, -EINVAL, "rules: no configuration");
	for (int i = 0; i < CORE_RULE_COUNT; i++)
		if ((rc = check_rule(&cfg->rule[i], (enum core_rules_rule_id)i, err)))
			return rc;

	if ((rc = check_bp(cfg->deploy_max_bp, 1, CORE_RULES_BP, "sizing.deploy_max", err)) ||
	    (rc = check_bp(cfg->deploy_min_bp, 0, CORE_RULES_BP, "sizing.deploy_min", err)))
		return rc;
	if (cfg->deploy_min_bp > cfg->deploy_max_bp)
		return rt_err_set(err, -EINVAL,
				  "sizing.deploy_min: %u bp is above deploy_max %u bp (allowed: "
				  "min <= max)",
				  cfg->deploy_min_bp, cfg->deploy_max_bp);
	if (cfg->deploy_target_bp < cfg->deploy_min_bp ||
	    cfg->deploy_target_bp > cfg->deploy_max_bp)
		return rt_err_set(err, -EINVAL,
				  "sizing.deploy_target: %u bp is outside deploy_min..deploy_max "
				  "(%u..%u bp)",
				  cfg->deploy_target_bp, cfg->deploy_min_bp, cfg->deploy_max_bp);
	if ((rc = check_bp(cfg->symbol_cap_bp, 1, CORE_RULES_BP, "sizing.symbol_cap", err)) ||
	    (rc = check_bp(cfg->mini_csp_bp, 0, CORE_RULES_BP, "sizing.mini_csp", err)) ||
	    (rc = check_bp(cfg->split_gen_bp, 0, CORE_RULES_BP, "accounts.split_gen", err)) ||
	    (rc = check_bp(cfg->split_rev_bp, 0, CORE_RULES_BP, "accounts.split_rev", err)) ||
	    (rc = check_bp(cfg->split_com_bp, 0, CORE_RULES_BP, "accounts.split_com", err)))
		return rc;
	if (cfg->split_gen_bp + cfg->split_rev_bp + cfg->split_com_bp != CORE_RULES_BP)
		return rt_err_set(err, -EINVAL,
				  "accounts.split_gen/split_rev/split_com: %u + %u + %u bp is not "
				  "10000 bp (100 %%)",
				  cfg->split_gen_bp, cfg->split_rev_bp, cfg->split_com_bp);

	if ((rc = check_money(cfg->gen_fork_step, 1, CORE_RULES_MONEY_MAX, "accounts.gen_fork_step",
			      err)) ||
	    (rc = check_money(cfg->mini_capital, 1, cfg->gen_fork_step, "accounts.mini_capital",
			      err)) ||
	    (rc = check_money(cfg->rev_fork_step, 1, CORE_RULES_MONEY_MAX, "accounts.rev_fork_step",
			      err)) ||
	    (rc = check_money(cfg->rev_fork_capital, 1, cfg->rev_fork_step,
			      "accounts.rev_fork_capital", err)))
		return rc;
	if (cfg->mini_merge_years < 1 || cfg->mini_merge_years > 100)
		return rt_err_set(err, -EINVAL, "accounts.mini_merge_years: %u is not in 1..100",
				  cfg->mini_merge_years);
	if ((rc = check_bp(cfg->mini_merge_multiple_bp, CORE_RULES_BP + 1, 1000000,
			   "accounts.mini_merge_multiple", err)) ||
	    (rc = check_money(cfg->mini_merge_balance, cfg->mini_capital + 1, CORE_RULES_MONEY_MAX,
			      "accounts.mini_merge_balance", err)))
		return rc;

	if (!isfinite(cfg->rate) || cfg->rate < -1.0 || cfg->rate > 1.0)
		return rt_err_set(err, -EINVAL, "scanner.rate: %g is not in -1..1", cfg->rate);
	if (!isfinite(cfg->div_yield) || cfg->div_yield < -1.0 || cfg->div_yield > 1.0)
		return rt_err_set(err, -EINVAL, "scanner.div_yield: %g is not in -1..1",
				  cfg->div_yield);

	if (cfg->roll_dte_max < 1 || cfg->roll_dte_max > CORE_RULES_DTE_MAX)
		return rt_err_set(err, -EINVAL, "protocol.roll_dte_max: %d is not in 1..%d",
				  cfg->roll_dte_max, CORE_RULES_DTE_MAX);
	if ((rc = check_money(cfg->roll_min_credit, 0, CORE_RULES_MONEY_MAX,
			      "protocol.roll_min_credit", err)))
		return rc;
	if (cfg->hedge_atr_mult < 1 || cfg->hedge_atr_mult > 100000)
		return rt_err_set(err, -EINVAL,
				  "protocol.hedge_atr: %u hundredths of ATR is not in 1..100000",
				  cfg->hedge_atr_mult);

	uint32_t forbidden =
		BIT(CORE_SYS_SAFE) | BIT(CORE_SYS_EMERGENCY) | BIT(CORE_SYS_MAINTENANCE);
	if (cfg->entry_states & ~((1u << CORE_SYS_COUNT) - 1))
		return rt_err_set(err, -EINVAL, "gate.entry_states: 0x%x names no state",
				  cfg->entry_states);
	if (cfg->entry_states & forbidden) {
		unsigned s = (unsigned)__builtin_ctz(cfg->entry_states & forbidden);
		return rt_err_set(err, -EINVAL,
				  "gate.entry_states: %s never opens a position (RULES §8)",
				  core_rules_sys_name((enum core_rules_sys)s));
	}
	if (cfg->atr_time_s < 0 || cfg->atr_time_s > 86399)
		return rt_err_set(err, -EINVAL,
				  "schedule.atr_time: %d s is not a time of day (allowed: 00:00:00 "
				  "..23:59:59 New York)",
				  cfg->atr_time_s);
	if (cfg->after_close_s < 0 || cfg->after_close_s > 7200)
		return rt_err_set(err, -EINVAL,
				  "schedule.after_close: %d s is not in 0..7200 (two hours)",
				  cfg->after_close_s);
	if ((rc = check_money(cfg->initial_capital, 1, CORE_RULES_MONEY_MAX,
			      "accounts.initial_capital", err)))
		return rc;
	return 0;
}

int core_rules_cfg_check_known(const struct core_rules_cfg *cfg,
			       const char (*known)[CORE_RULES_SYMBOL_MAX], size_t n,
			       struct rt_err *err)
{
	for (int r = 0; r < CORE_RULE_COUNT; r++) {
		const struct core_rules_entry_rule *rule = &cfg->rule[r];
		for (uint32_t i = 0; i < rule->nsymbols && i < CORE_RULES_SYMBOLS_MAX; i++) {
			bool found = false;
			for (size_t k = 0; k < n && !found; k++)
				found = strncmp(rule->symbols[i], known[k],
						CORE_RULES_SYMBOL_MAX) == 0;
			if (!found)
				return rt_err_set(err, -EINVAL,
						  "rules.%s.symbols[%u]: '%s' is not a configured "
						  "instrument",
						  core_rules_rule_name((enum core_rules_rule_id)r),
						  i, rule->symbols[i]);
		}
	}
	return 0;
}

const struct core_rules_entry_rule *core_rules_cfg_rule(const struct core_rules_cfg *cfg,
							enum core_rules_acct acct,
							enum core_right right)
{
	bool put = right == CORE_RIGHT_PUT, call = right == CORE_RIGHT_CALL;
	switch (acct) {
	case CORE_ACCT_GEN:
		return put ? &cfg->rule[CORE_RULE_GEN_CSP] : NULL;
	case CORE_ACCT_REV:
		return put ? &cfg->rule[CORE_RULE_REV_CSP] : NULL;
	case CORE_ACCT_COM:
		return call ? &cfg->rule[CORE_RULE_COM_CC] : NULL;
	case CORE_ACCT_MINI:
		return put    ? &cfg->rule[CORE_RULE_MINI_CSP]
		       : call ? &cfg->rule[CORE_RULE_MINI_CC]
			      : NULL;
	}
	return NULL;
}

enum core_rules_acct core_rules_rule_acct(enum core_rules_rule_id id)
{
	switch (id) {
	case CORE_RULE_GEN_CSP:
		return CORE_ACCT_GEN;
	case CORE_RULE_REV_CSP:
		return CORE_ACCT_REV;
	case CORE_RULE_COM_CC:
		return CORE_ACCT_COM;
	case CORE_RULE_MINI_CSP:
	case CORE_RULE_MINI_CC:
	default:
		return CORE_ACCT_MINI;
	}
}

int core_rules_cfg_rule_id(const struct core_rules_cfg *cfg,
			   const struct core_rules_entry_rule *rule)
{
	for (int i = 0; i < CORE_RULE_COUNT; i++)
		if (rule == &cfg->rule[i])
			return i;
	return -1;
}

int core_rules_cfg_symbol_index(const struct core_rules_entry_rule *rule, const char *symbol)
{
	for (uint32_t i = 0; i < rule->nsymbols && i < CORE_RULES_SYMBOLS_MAX; i++)
		if (strncmp(rule->symbols[i], symbol, CORE_RULES_SYMBOL_MAX) == 0)
			return (int)i;
	return -1;
}

int64_t core_rules_money_bp(int64_t money, uint32_t bp)
{
	return (int64_t)((__int128)money * bp / CORE_RULES_BP);
}
