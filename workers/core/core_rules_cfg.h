/*
 * core_rules_cfg.h — every number of the ALL-USE rules (RULES.md §1, §2, §4, §6, §8) in
 * one plain struct, its defaults and its cross-field validation.
 *
 * The rules core never holds a number of its own: every core_rules_* function takes a
 * `const struct core_rules_cfg *`. core_rules_cfg_defaults() gives RULES.md's values;
 * the configuration loader binds each field to a YAML key (docs/rules.md proposes one
 * per field, e.g. rule[CORE_RULE_GEN_CSP].delta_min -> rules.gen_csp.delta_min,
 * deploy_target_bp -> sizing.deploy_target; core_rules_cfg_check's messages use those
 * keys) and calls core_rules_cfg_check() on the result, refusing to start on an error.
 *
 * Units, everywhere in core_rules_*:
 *   money and prices   int64 in units of 10^-8 USD (PRICE_SCALE, shm/shm_price.h):
 *                      the same unit as every price in the segment. $100,000 is 10^13;
 *                      CORE_RULES_MONEY_MAX ($10 billion) keeps every product exact.
 *   fractions          uint32 basis points, 10000 = 100 % (97.5 % = 9750).
 *   |delta|            double in [0, 1] (a model number, not money): compared exactly,
 *                      bands inclusive at both ends.
 *   DTE                int32 calendar days from the New York trade date to expiry.
 *   times of day       int32 seconds since New York midnight (09:45:00 = 35100).
 *   dates              int32 YYYYMMDD.
 *
 * Plain process memory, not shared: enum and bool are fine. No I/O, no clock, no state.
 */
#ifndef CORE_RULES_CFG_H
#define CORE_RULES_CFG_H

#include "rt/rt_err.h"
#include "shm/shm_price.h"
#include "workers/core/core_bs.h" /* enum core_right */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CORE_RULES_SYMBOL_MAX 16u /* bytes with the NUL: 1..15 characters [A-Z0-9.] */
#define CORE_RULES_SYMBOLS_MAX 16u /* symbols per rule */
#define CORE_RULES_BP 10000u /* basis points in 100 % */
#define CORE_RULES_DTE_MAX 3650 /* ten years */
#define CORE_RULES_MONEY_MAX (10000000000ll * PRICE_SCALE) /* $10 billion × 10^8 */
#define CORE_RULES_USD(d) ((int64_t)(d)*PRICE_SCALE) /* whole dollars -> money */

/* Account types (RULES §1, §6). */
enum core_rules_acct {
	CORE_ACCT_GEN = 0, /* Gen-Acc: cash-secured puts */
	CORE_ACCT_REV = 1, /* Rev-Acc: cash-secured puts */
	CORE_ACCT_COM = 2, /* Com-Acc: covered calls */
	CORE_ACCT_MINI = 3 /* Mini ALL-USE: half Gen-style CSP, half Com-style CC */
};
#define CORE_ACCT_COUNT 4

/* Entry rules. A Mini has two: its CSP half and its CC half. */
enum core_rules_rule_id {
	CORE_RULE_GEN_CSP = 0,
	CORE_RULE_REV_CSP = 1,
	CORE_RULE_COM_CC = 2,
	CORE_RULE_MINI_CSP = 3,
	CORE_RULE_MINI_CC = 4,
};
#define CORE_RULE_COUNT 5

struct core_rules_entry_rule {
	/* CORE_RIGHT_PUT: sells cash-secured puts; CORE_RIGHT_CALL: covered calls */
	enum core_right right;
	/* |delta| band, inclusive at both ends; 0 <= delta_min <= delta_max <= 1 */
	double delta_min;
	double delta_max;
	/* DTE band, calendar days, inclusive; 0 <= dte_min <= dte_max <= CORE_RULES_DTE_MAX */
	int32_t dte_min;
	int32_t dte_max;
	/* entry days: bit d = weekday d (0 = Sunday, 4 = Thursday); Monday..Friday only,
	 * at least one */
	uint32_t weekdays;
	/* entry window, New York seconds of day, [start, end): 0 <= start < end <= 86400;
	 * clipped to the day's NYSE session (an early close ends it at 13:00) */
	int32_t window_start_s;
	int32_t window_end_s;
	/* permitted underlyings, 1..CORE_RULES_SYMBOLS_MAX of [A-Z0-9.]{1,15}, no
	 * duplicates; scanned and sized in this order */
	uint32_t nsymbols;
	char symbols[CORE_RULES_SYMBOLS_MAX][CORE_RULES_SYMBOL_MAX];
};

struct core_rules_cfg {
	/* §1 eligibility, one rule per enum core_rules_rule_id */
	struct core_rules_entry_rule rule[CORE_RULE_COUNT];

	/* §2 sizing. Deploy target, bp of available cash: deploy_min_bp <= deploy_target_bp
	 * <= deploy_max_bp <= 10000 (9500, 9750, 10000) */
	uint32_t deploy_min_bp;
	uint32_t deploy_target_bp;
	uint32_t deploy_max_bp;
	/* most of an account's capital on one symbol, bp; 1..10000 (2500) */
	uint32_t symbol_cap_bp;
	/* share of a Mini's capital for its CSP half, bp; 0..10000 (5000); the CC half is
	 * bounded by the shares it holds */
	uint32_t mini_csp_bp;

	/* §1, §6 accounts. Split of a new ALL-USE account, bp, summing to 10000
	 * (4000, 3000, 3000) */
	uint32_t split_gen_bp;
	uint32_t split_rev_bp;
	uint32_t split_com_bp;
	/* Gen-Acc forks a Mini per full step above its base, money;
	 * 1..CORE_RULES_MONEY_MAX ($100,000) */
	int64_t gen_fork_step;
	/* each Mini's funding, deducted from the Gen-Acc, money; 1..gen_fork_step ($100,000) */
	int64_t mini_capital;
	/* Rev-Acc forks a new ALL-USE account per full step above its base, money;
	 * 1..CORE_RULES_MONEY_MAX ($500,000) */
	int64_t rev_fork_step;
	/* the new account's funding, deducted from the Rev-Acc, money; 1..rev_fork_step
	 * ($500,000) */
	int64_t rev_fork_capital;
	/* a Mini merges into its family's Com-Acc at this age, years; 1..100 (3) */
	uint32_t mini_merge_years;
	/* ... or at this multiple of its initial capital, bp; 10001..1000000 (30000 = 3×) */
	uint32_t mini_merge_multiple_bp;
	/* ... or at this balance, money; mini_capital+1..CORE_RULES_MONEY_MAX ($500,000) */
	int64_t mini_merge_balance;

	/* scanner: Black-Scholes delta when the chain has none. Risk-free rate and dividend
	 * yield, continuously compounded, per year; -1..1 (0.04, 0.0) */
	double rate;
	double div_yield;

	/* §4 protocol actions. A roll's new expiry at most this many calendar days after
	 * the trade date; 1..CORE_RULES_DTE_MAX (14) */
	int32_t roll_dte_max;
	/* least net credit of a roll, per share, money; 0..CORE_RULES_MONEY_MAX ($0.01) */
	int64_t roll_min_credit;
	/* hedge strike this far beyond the price, hundredths of an ATR; 1..100000
	 * (100 = 1·ATR) */
	uint32_t hedge_atr_mult;

	/* §8 gate: states in which an entry (or a roll) may be sent, bit s = enum
	 * core_rules_sys s; SAFE, EMERGENCY and MAINTENANCE are refused by the check
	 * (SCANNING | ANALYZING | ORDERING | MONITORING) */
	uint32_t entry_states;

	/* schedule (core_rules_sched). The daily ATR job and the day's open, New York
	 * seconds of day; 0..86399 (09:30:00 = 34200) */
	int32_t atr_time_s;
	/* the after-close job (expiries, assignment, forks, merges) runs this many seconds
	 * after the day's NYSE close (16:00, or 13:00 on an early close); 0..7200 (60) */
	int32_t after_close_s;
	/* capital of the first ALL-USE account, opened when the rules process starts with
	 * no snapshot, money; 1..CORE_RULES_MONEY_MAX ($1,000,000) */
	int64_t initial_capital;
};

/* RULES.md's defaults (zeroes the struct first: equal settings compare equal). */
void core_rules_cfg_defaults(struct core_rules_cfg *cfg);

/*
 * Check every field's range and the cross-field rules: delta_min <= delta_max,
 * dte_min <= dte_max, window start < end, a rule's right matches its strategy
 * (GEN/REV/MINI_CSP puts, COM/MINI_CC calls), weekdays Monday..Friday, symbols well
 * formed and not repeated, deploy min <= target <= max <= 100 %, fractions in 0..100 %,
 * the split summing to 100 %, fork funding not above its step, merge balance above a
 * Mini's funding, entry_states without SAFE, EMERGENCY, MAINTENANCE.
 * Returns 0 or -EINVAL; err names the field ("rules.gen_csp.delta_min: 0.46 is above
 * delta_max 0.45") and what is allowed. The first error found is reported.
 */
int core_rules_cfg_check(const struct core_rules_cfg *cfg, struct rt_err *err);

/*
 * Check that every symbol of every rule is one of `known` (n tickers, e.g. the
 * configured instruments). Returns 0 or -EINVAL naming the rule and the symbol.
 */
int core_rules_cfg_check_known(const struct core_rules_cfg *cfg,
			       const char (*known)[CORE_RULES_SYMBOL_MAX], size_t n,
			       struct rt_err *err);

/* The rule an account trades a right under: Gen/Rev puts, Com calls, Mini either
 * (puts: MINI_CSP, calls: MINI_CC). NULL when the account does not sell that right
 * or the type is unknown. */
const struct core_rules_entry_rule *core_rules_cfg_rule(const struct core_rules_cfg *cfg,
							enum core_rules_acct acct,
							enum core_right right);

/* Index of symbol in the rule's list, or -1. */
int core_rules_cfg_symbol_index(const struct core_rules_entry_rule *rule, const char *symbol);

/* "gen_csp", "rev_csp", "com_cc", "mini_csp", "mini_cc"; "?" out of range. */
const char *core_rules_rule_name(enum core_rules_rule_id id);

/* "gen", "rev", "com", "mini"; "?" out of range. */
const char *core_rules_acct_name(enum core_rules_acct acct);

/* The account type that trades under a rule (a Mini under both of its halves). */
enum core_rules_acct core_rules_rule_acct(enum core_rules_rule_id id);

/* Which rule id `rule` is within cfg (pointer arithmetic), or -1. */
int core_rules_cfg_rule_id(const struct core_rules_cfg *cfg,
			   const struct core_rules_entry_rule *rule);

/*
 * floor(money × bp / 10000) for money >= 0 (callers clamp negatives to 0), exact for
 * money <= CORE_RULES_MONEY_MAX and
 * bp <= 10000 (a 128-bit intermediate; the result is <= money). Shared by sizing and
 * the account split.
 */
int64_t core_rules_money_bp(int64_t money, uint32_t bp);

#endif
