/*
 * core_rules_why.h — why a rule said no: the reason codes every core_rules_* module
 * returns, with a stable token for the audit trail and a sentence for people.
 *
 * A decision of the rules core is an enum core_rules_why (CORE_WHY_OK = yes) plus,
 * where the caller wants it, a struct core_rules_verdict whose text carries the
 * numbers that decided it:
 *   "delta_above: |delta| 0.460000 above 0.4..0.45"
 * Tokens (core_rules_why_name) never change once released: the audit journal and the
 * tools match on them. Pure: static tables and snprintf, no I/O, no state.
 */
#ifndef CORE_RULES_WHY_H
#define CORE_RULES_WHY_H

#include <stdbool.h>

enum core_rules_why {
	CORE_WHY_OK = 0,
	CORE_WHY_BAD_ARGUMENT, /* NULL pointer, value out of range: a caller bug */

	/* eligibility (core_rules_eligible), in the order it checks */
	CORE_WHY_BAD_ACCOUNT, /* account type not one of Gen, Rev, Com, Mini */
	CORE_WHY_WRONG_RIGHT, /* Gen/Rev sell puts, Com sells calls */
	CORE_WHY_SYMBOL_NOT_PERMITTED, /* symbol not in the rule's list */
	CORE_WHY_NOT_ENTRY_DAY, /* New York weekday is not an entry day */
	CORE_WHY_CALENDAR_UNKNOWN, /* date outside the maintained NYSE calendar */
	CORE_WHY_HOLIDAY, /* NYSE closed on an entry day */
	CORE_WHY_BEFORE_WINDOW, /* before the entry window opens */
	CORE_WHY_AFTER_WINDOW, /* at or after the window's end (or the close) */
	CORE_WHY_BAD_CONTRACT, /* strike <= 0, expiry not a date, |delta| > 1 */
	CORE_WHY_EXPIRED, /* expiry before the trade date */
	CORE_WHY_DTE_BELOW,
	CORE_WHY_DTE_ABOVE,
	CORE_WHY_DELTA_UNKNOWN, /* no delta and none computable (no iv or spot) */
	CORE_WHY_DELTA_BELOW,
	CORE_WHY_DELTA_ABOVE,

	/* sizing (core_rules_size): 0 contracts is a normal outcome */
	CORE_WHY_NO_CAPITAL, /* deployable capital below one contract */
	CORE_WHY_SYMBOL_CAP_FULL, /* per-symbol cap leaves room for less than one contract */
	CORE_WHY_NO_SHARES, /* covered call: fewer than 100 uncovered shares */

	/* scanner */
	CORE_WHY_NO_QUOTE, /* no two-sided quote (bid > 0, ask >= bid) */
	CORE_WHY_NO_CANDIDATE, /* nothing in the chain passes the bands */

	/* gate (core_rules_gate) */
	CORE_WHY_STATE_BLOCKS_ENTRY, /* system state opens no position */
	CORE_WHY_ACCOUNT_FROZEN, /* level 2 froze the account's entries */
	CORE_WHY_ACCOUNT_CLOSED, /* a Mini merged away */

	/* state machine (core_rules_state) */
	CORE_WHY_TRANSITION_NOT_ALLOWED, /* not in the transition table */
	CORE_WHY_OPERATOR_ONLY, /* MAINTENANCE, AUDIT, leaving EMERGENCY: operator command */
	CORE_WHY_RESET_NEEDS_CONFIRM, /* leaving a level-3 SAFE (or EMERGENCY) needs confirm */
	CORE_WHY_ALREADY, /* already in the target state: nothing changed */
	CORE_WHY_STAYS_IN_EMERGENCY, /* a fault while in EMERGENCY: it stays there */

	/* protocol actions (core_rules_protocol) */
	CORE_WHY_NOT_SHORT_OPTION, /* levels apply to short options only */
	CORE_WHY_NO_NEXT_EXPIRY, /* no later expiry in the chain within the roll horizon */
	CORE_WHY_NO_ROLL_CREDIT, /* no strike at or beyond the current one for a credit */
	CORE_WHY_NO_HEDGE_CONTRACT, /* no protective option with an ask in the chain */

	CORE_WHY_COUNT
};

/* Longest verdict text, with the NUL. */
#define CORE_RULES_VERDICT_MAX 160

struct core_rules_verdict {
	enum core_rules_why why;
	char text[CORE_RULES_VERDICT_MAX]; /* "<token>: <detail with numbers>" */
};

/* Stable lower-case token ("delta_above"); "unknown" for a value out of range. */
const char *core_rules_why_name(enum core_rules_why why);

/* One sentence ("|delta| above the band"); "unknown reason" out of range. */
const char *core_rules_why_text(enum core_rules_why why);

/*
 * Fill v (may be NULL) with why and "<token>: <printf detail>" (or "<token>: <text>"
 * when fmt is NULL). Returns why, so a check can `return core_rules_verdict_set(...)`.
 */
enum core_rules_why core_rules_verdict_set(struct core_rules_verdict *v, enum core_rules_why why,
					   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
