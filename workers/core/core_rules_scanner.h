/*
 * core_rules_scanner.h — the entry scanner: option chain -> eligible contracts -> one
 * pick per symbol -> sizing -> order intents (RULES §1, §2, §5).
 *
 * For each rule of the account (Gen, Rev, Com: one; Mini: its CSP half, then its CC
 * half) and each of the rule's symbols, in configuration order:
 *   1. gate: the system state allows entries, the account is neither frozen nor closed
 *      (core_rules_gate); the day, calendar and window (core_rules_entry_time);
 *   2. candidates: quotes of that symbol and right whose DTE and |delta| are in the
 *      rule's bands (core_rules_eligible_contract) and that are two-sided (bid > 0,
 *      ask >= bid). A quote without a delta gets one from Black-Scholes
 *      (core_rules_quote_delta);
 *   3. the pick, by this tie-break, each step only among the ties of the one before:
 *        a. |delta| closest to the band's midpoint (distances compared in millionths:
 *           equal to 6 decimals is a tie)
 *        b. the shortest DTE
 *        c. the highest premium (mid)
 *        d. the strike furthest from the money: the lowest put, the highest call
 *        e. the first in the chain
 *   4. sizing (core_rules_size) against the account's capital, its available cash at
 *      the start of the scan less what earlier picks of this scan committed, and the
 *      symbol's exposure in the book; 0 contracts ends the row with the sizing reason;
 *   5. the intent: ENTRY, sell to open `contracts` at limit = mid.
 * Every symbol yields one row, with its intent or the reason there is none. The same
 * inputs give the same rows, byte for byte.
 *
 * Pure: the time is an argument, the chain and book are read, nothing is written but
 * the rows.
 */
#ifndef CORE_RULES_SCANNER_H
#define CORE_RULES_SCANNER_H

#include "workers/core/core_rules_accounts.h"
#include "workers/core/core_rules_book.h"
#include "workers/core/core_rules_chain.h"
#include "workers/core/core_rules_intent.h"
#include "workers/core/core_rules_sizing.h"
#include "workers/core/core_rules_state.h"

#include <stddef.h>
#include <stdint.h>

#define CORE_RULES_SCAN_ROWS_MAX (2 * CORE_RULES_SYMBOLS_MAX) /* a Mini's two rules */
#define CORE_RULES_YEAR_NS (365ll * 86400 * 1000000000ll) /* ACT/365 */

struct core_rules_scan_input {
	enum core_rules_sys state; /* system state, for the gate */
	const struct core_rules_account *acct; /* the account scanned */
	const struct core_rules_book *book; /* positions (exposure, shares); NULL = none */
	const struct core_rules_quote *chain; /* quotes, any symbols, any order */
	size_t n;
	int64_t now_ns; /* UTC ns */
};

struct core_rules_scan_row {
	enum core_rules_rule_id rule;
	char symbol[CORE_RULES_SYMBOL_MAX];
	struct core_rules_verdict v; /* OK: intent is valid; otherwise why not */
	int32_t pick; /* chain index of the pick, -1 none */
	uint32_t quotes; /* quotes of this symbol and right */
	uint32_t in_band; /* of them, in both bands */
	uint32_t two_sided; /* of those, with bid > 0 and ask >= bid */
	double delta; /* |delta| of the pick */
	int32_t dte; /* DTE of the pick */
	struct core_rules_size size;
	struct core_rules_intent intent; /* valid when v.why == CORE_WHY_OK */
};

/*
 * Delta of a quote: its own when finite, else Black-Scholes from its iv and spot with
 * cfg->rate and cfg->div_yield, over T = (the expiry day's NYSE close, 16:00 or 13:00
 * New York, 16:00 outside the maintained calendar) − now, in years of 365 days.
 * Returns 0 and *delta (signed), -ENODATA (no delta and no iv or spot), -EDOM (now is
 * after the expiry's close), -EINVAL.
 */
int core_rules_quote_delta(const struct core_rules_cfg *cfg, const struct core_rules_quote *q,
			   int64_t now_ns, double *delta);

/*
 * Implied volatility of a quote from its mid (core_rules_mid), its spot and the same T
 * as core_rules_quote_delta, with cfg->rate and cfg->div_yield: for chains that come
 * without greeks (the quote board). Returns 0 and *iv, -ENODATA (no spot, strike or
 * two-sided mid), -EDOM (after the expiry's close, or a mid outside Black-Scholes'
 * bounds), -ERANGE (no convergence), -EINVAL.
 */
int core_rules_quote_iv(const struct core_rules_cfg *cfg, const struct core_rules_quote *q,
			int64_t now_ns, double *iv);

/*
 * Scan (see the top of this file). rows[0..cap) gets one row per (rule, symbol).
 * Returns the number of rows, -EINVAL (NULL cfg/in/acct, chain NULL with n > 0, a
 * time before 1987) or -ENOSPC (cap below the account's symbol count; nothing written).
 */
int core_rules_scan(const struct core_rules_cfg *cfg, const struct core_rules_scan_input *in,
		    struct core_rules_scan_row *rows, size_t cap);

#endif
