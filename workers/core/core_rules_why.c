#include "workers/core/core_rules_why.h"

#include <stdarg.h>
#include <stdio.h>

struct why_row {
	const char *name;
	const char *text;
};

/* Indexed by the enum; the _Static_assert below keeps the two in step. */
static const struct why_row rows[] = {
	[CORE_WHY_OK] = {"ok", "ok"},
	[CORE_WHY_BAD_ARGUMENT] = {"bad_argument", "invalid argument"},
	[CORE_WHY_BAD_ACCOUNT] = {"bad_account", "unknown account type"},
	[CORE_WHY_WRONG_RIGHT] = {"wrong_right", "the account does not sell this right"},
	[CORE_WHY_SYMBOL_NOT_PERMITTED] = {"symbol_not_permitted", "symbol not permitted"},
	[CORE_WHY_NOT_ENTRY_DAY] = {"not_entry_day", "not an entry day"},
	[CORE_WHY_CALENDAR_UNKNOWN] = {"calendar_unknown", "date outside the NYSE calendar"},
	[CORE_WHY_HOLIDAY] = {"holiday", "NYSE holiday"},
	[CORE_WHY_BEFORE_WINDOW] = {"before_window", "before the entry window"},
	[CORE_WHY_AFTER_WINDOW] = {"after_window", "after the entry window"},
	[CORE_WHY_BAD_CONTRACT] = {"bad_contract", "invalid contract"},
	[CORE_WHY_EXPIRED] = {"expired", "expiry before the trade date"},
	[CORE_WHY_DTE_BELOW] = {"dte_below", "DTE below the band"},
	[CORE_WHY_DTE_ABOVE] = {"dte_above", "DTE above the band"},
	[CORE_WHY_DELTA_UNKNOWN] = {"delta_unknown", "delta unknown"},
	[CORE_WHY_DELTA_BELOW] = {"delta_below", "|delta| below the band"},
	[CORE_WHY_DELTA_ABOVE] = {"delta_above", "|delta| above the band"},
	[CORE_WHY_NO_CAPITAL] = {"no_capital", "deployable capital below one contract"},
	[CORE_WHY_SYMBOL_CAP_FULL] = {"symbol_cap_full", "per-symbol cap reached"},
	[CORE_WHY_NO_SHARES] = {"no_shares", "fewer than 100 uncovered shares"},
	[CORE_WHY_NO_QUOTE] = {"no_quote", "no two-sided quote"},
	[CORE_WHY_NO_CANDIDATE] = {"no_candidate", "no contract in the bands"},
	[CORE_WHY_STATE_BLOCKS_ENTRY] = {"state_blocks_entry", "system state opens no position"},
	[CORE_WHY_ACCOUNT_FROZEN] = {"account_frozen", "account entries frozen"},
	[CORE_WHY_ACCOUNT_CLOSED] = {"account_closed", "account closed"},
	[CORE_WHY_TRANSITION_NOT_ALLOWED] = {"transition_not_allowed", "transition not allowed"},
	[CORE_WHY_OPERATOR_ONLY] = {"operator_only", "only an operator command may do this"},
	[CORE_WHY_RESET_NEEDS_CONFIRM] = {"reset_needs_confirm",
					  "operator reset needs the confirm flag"},
	[CORE_WHY_ALREADY] = {"already", "already in that state"},
	[CORE_WHY_STAYS_IN_EMERGENCY] = {"stays_in_emergency", "stays in EMERGENCY"},
	[CORE_WHY_NOT_SHORT_OPTION] = {"not_short_option", "not a short option"},
	[CORE_WHY_NO_NEXT_EXPIRY] = {"no_next_expiry", "no later expiry to roll to"},
	[CORE_WHY_NO_ROLL_CREDIT] = {"no_roll_credit", "no roll for a net credit"},
	[CORE_WHY_NO_HEDGE_CONTRACT] = {"no_hedge_contract", "no protective option quoted"},
};
_Static_assert(sizeof(rows) / sizeof(rows[0]) == CORE_WHY_COUNT, "one row per reason");

const char *core_rules_why_name(enum core_rules_why why)
{
	if ((unsigned)why >= CORE_WHY_COUNT)
		return "unknown";
	return rows[why].name;
}

const char *core_rules_why_text(enum core_rules_why why)
{
	if ((unsigned)why >= CORE_WHY_COUNT)
		return "unknown reason";
	return rows[why].text;
}

enum core_rules_why core_rules_verdict_set(struct core_rules_verdict *v, enum core_rules_why why,
					   const char *fmt, ...)
{
	if (!v)
		return why;
	v->why = why;
	int n = snprintf(v->text, sizeof(v->text), "%s: ", core_rules_why_name(why));
	if (n < 0 || (size_t)n >= sizeof(v->text))
		return why;
	if (!fmt) {
		snprintf(v->text + n, sizeof(v->text) - (size_t)n, "%s", core_rules_why_text(why));
		return why;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->text + n, sizeof(v->text) - (size_t)n, fmt, ap);
	va_end(ap);
	return why;
}
