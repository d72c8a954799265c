#include "workers/core/core_rules_eligible.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static const char *const day_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
					 "Thursday", "Friday", "Saturday"};

static void hms(int32_t s, char buf[16])
{
	buf[0] = (char)('0' + s / 36000 % 10);
	buf[1] = (char)('0' + s / 3600 % 10);
	buf[2] = ':';
	buf[3] = (char)('0' + s / 600 % 6);
	buf[4] = (char)('0' + s / 60 % 10);
	buf[5] = ':';
	buf[6] = (char)('0' + s % 60 / 10);
	buf[7] = (char)('0' + s % 10);
	buf[8] = '\0';
}

enum core_rules_why core_rules_entry_time(const struct core_rules_entry_rule *rule, int64_t now_ns,
					  struct core_rules_entry_clock *clk,
					  struct core_rules_verdict *v)
{
	struct core_rules_entry_clock tmp;
	if (!clk)
		clk = &tmp;
	memset(clk, 0, sizeof(*clk));
	if (!rule || core_calendar_ny_from_utc_ns(now_ns, &clk->local))
		return core_rules_verdict_set(v, CORE_WHY_BAD_ARGUMENT, "time %lld ns before 1987",
					      (long long)now_ns);
	const struct core_calendar_local *l = &clk->local;
	if (!(rule->weekdays & (1u << l->weekday)))
		return core_rules_verdict_set(v, CORE_WHY_NOT_ENTRY_DAY, "%d is a %s", l->date,
					      day_names[l->weekday % 7]);
	int rc = core_rules_nyse_day(l->date, &clk->session);
	if (rc)
		return core_rules_verdict_set(v, CORE_WHY_CALENDAR_UNKNOWN,
					      "%d is outside the NYSE calendar %d..%d", l->date,
					      CORE_NYSE_FIRST_YEAR, CORE_NYSE_LAST_YEAR);
	if (clk->session.kind != CORE_NYSE_OPEN && clk->session.kind != CORE_NYSE_EARLY_CLOSE)
		return core_rules_verdict_set(v, CORE_WHY_HOLIDAY, "%d %s: NYSE closed", l->date,
					      clk->session.name ? clk->session.name : "weekend");
	int32_t start = rule->window_start_s, end = rule->window_end_s;
	if (start < clk->session.open_s)
		start = clk->session.open_s;
	if (end > clk->session.close_s)
		end = clk->session.close_s;
	clk->window_start_s = start;
	clk->window_end_s = end;
	char now[16], a[16], b[16];
	hms(l->sec_of_day, now);
	hms(start, a);
	hms(end < start ? start : end, b);
	if (l->sec_of_day < start)
		return core_rules_verdict_set(v, CORE_WHY_BEFORE_WINDOW,
					      "%s %s before the window [%s, %s)", now,
					      l->dst ? "EDT" : "EST", a, b);
	if (l->sec_of_day >= end)
		return core_rules_verdict_set(
			v, CORE_WHY_AFTER_WINDOW, "%s %s at or after the window [%s, %s)%s", now,
			l->dst ? "EDT" : "EST", a, b,
			clk->session.kind == CORE_NYSE_EARLY_CLOSE ? " (early close)" : "");
	return core_rules_verdict_set(v, CORE_WHY_OK, "%s %s in the window [%s, %s)", now,
				      l->dst ? "EDT" : "EST", a, b);
}

enum core_rules_why core_rules_eligible_contract(const struct core_rules_entry_rule *rule,
						 int32_t trade_date,
						 const struct core_rules_contract *c, int32_t *dte,
						 struct core_rules_verdict *v)
{
	int32_t days;
	if (!rule || !c)
		return core_rules_verdict_set(v, CORE_WHY_BAD_ARGUMENT, NULL);
	if (c->right != rule->right)
		return core_rules_verdict_set(v, CORE_WHY_WRONG_RIGHT, "the rule sells %s",
					      rule->right == CORE_RIGHT_CALL ? "calls" : "puts");
	if (c->strike <= 0 || core_calendar_dte(trade_date, c->expiry, &days))
		return core_rules_verdict_set(v, CORE_WHY_BAD_CONTRACT, "strike %lld, expiry %d",
					      (long long)c->strike, c->expiry);
	if (dte)
		*dte = days;
	if (days < 0)
		return core_rules_verdict_set(v, CORE_WHY_EXPIRED, "expiry %d before %d", c->expiry,
					      trade_date);
	if (days < rule->dte_min)
		return core_rules_verdict_set(v, CORE_WHY_DTE_BELOW, "DTE %d below %d..%d", days,
					      rule->dte_min, rule->dte_max);
	if (days > rule->dte_max)
		return core_rules_verdict_set(v, CORE_WHY_DTE_ABOVE, "DTE %d above %d..%d", days,
					      rule->dte_min, rule->dte_max);
	if (isnan(c->delta))
		return core_rules_verdict_set(v, CORE_WHY_DELTA_UNKNOWN, NULL);
	double d = fabs(c->delta);
	if (!(d <= 1.0))
		return core_rules_verdict_set(v, CORE_WHY_BAD_CONTRACT, "|delta| %g above 1", d);
	if (d < rule->delta_min)
		return core_rules_verdict_set(v, CORE_WHY_DELTA_BELOW, "|delta| %.6f below %g..%g",
					      d, rule->delta_min, rule->delta_max);
	if (d > rule->delta_max)
		return core_rules_verdict_set(v, CORE_WHY_DELTA_ABOVE, "|delta| %.6f above %g..%g",
					      d, rule->delta_min, rule->delta_max);
	return core_rules_verdict_set(v, CORE_WHY_OK, "DTE %d, |delta| %.6f", days, d);
}

enum core_rules_why core_rules_eligible(const struct core_rules_cfg *cfg, enum core_rules_acct acct,
					const char *symbol, const struct core_rules_contract *c,
					int64_t now_ns, struct core_rules_verdict *v)
{
	if (!cfg || !symbol || !c)
		return core_rules_verdict_set(v, CORE_WHY_BAD_ARGUMENT, NULL);
	if ((unsigned)acct >= CORE_ACCT_COUNT)
		return core_rules_verdict_set(v, CORE_WHY_BAD_ACCOUNT, "account type %d",
					      (int)acct);
	const struct core_rules_entry_rule *rule = core_rules_cfg_rule(cfg, acct, c->right);
	if (!rule)
		return core_rules_verdict_set(v, CORE_WHY_WRONG_RIGHT, "%s does not sell %s",
					      core_rules_acct_name(acct),
					      c->right == CORE_RIGHT_CALL ? "calls" : "puts");
	const char *rn =
		core_rules_rule_name((enum core_rules_rule_id)core_rules_cfg_rule_id(cfg, rule));
	if (core_rules_cfg_symbol_index(rule, symbol) < 0)
		return core_rules_verdict_set(v, CORE_WHY_SYMBOL_NOT_PERMITTED, "%.15s not in %s",
					      symbol, rn);
	struct core_rules_entry_clock clk;
	enum core_rules_why why = core_rules_entry_time(rule, now_ns, &clk, v);
	if (why != CORE_WHY_OK)
		return why;
	return core_rules_eligible_contract(rule, clk.local.date, c, NULL, v);
}
