/*
 * core_rules_intent.h — an order intent: what the rules core decided to trade, before
 * the router turns it into broker orders (pre-trade checks, slippage cap, client ids).
 *
 * One intent is one decision on one account and symbol, with one or two legs of the
 * same quantity:
 *   ENTRY      [0] sell to open (scanner: a CSP or a covered call)
 *   ROLL       [0] buy to close the short, [1] sell to open the new one (level 2)
 *   HEDGE      [0] buy to open a protective option (level 2, when the roll fails)
 *   STOP_LOSS  [0] buy to close the short (level 3)
 *   CLOSE      [0] buy to close / sell to close (operator, end of life)
 * Limits are the leg's mid, (bid + ask) / 2 in 10^-8 USD per share, halves up
 * (RULES §5: limit orders at mid; the router applies the 5 % cap). A limit of 0 means
 * no quote was available: the router prices the leg from its own quote.
 * Risk-reducing intents (HEDGE, STOP_LOSS, CLOSE) pass every gate (core_rules_gate).
 *
 * Plain process memory. Pure helpers, no I/O.
 */
#ifndef CORE_RULES_INTENT_H
#define CORE_RULES_INTENT_H

#include "workers/core/core_bs.h"
#include "workers/core/core_rules_cfg.h"
#include "workers/core/core_rules_why.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum core_rules_side {
	CORE_SIDE_SELL_TO_OPEN = 1,
	CORE_SIDE_BUY_TO_CLOSE = 2,
	CORE_SIDE_BUY_TO_OPEN = 3,
	CORE_SIDE_SELL_TO_CLOSE = 4,
};

enum core_rules_intent_kind {
	CORE_INTENT_ENTRY = 1,
	CORE_INTENT_ROLL = 2,
	CORE_INTENT_HEDGE = 3,
	CORE_INTENT_STOP_LOSS = 4,
	CORE_INTENT_CLOSE = 5,
};

struct core_rules_leg {
	enum core_right right;
	enum core_rules_side side;
	int64_t strike; /* × 10^8 */
	int32_t expiry; /* YYYYMMDD */
	int64_t limit; /* per share × 10^8: mid; 0 = no quote, the router prices it */
	int64_t bid; /* the quote the limit came from (× 10^8, 0 = none) */
	int64_t ask;
};

struct core_rules_intent {
	enum core_rules_intent_kind kind;
	uint32_t account; /* account id (core_rules_accounts) */
	enum core_rules_acct acct_type;
	char symbol[CORE_RULES_SYMBOL_MAX];
	int32_t contracts; /* > 0, every leg; 100 shares each */
	uint32_t nlegs; /* 1 or 2 */
	struct core_rules_leg leg[2];
	int64_t net; /* per share × 10^8 at the limits: > 0 credit, < 0 debit */
	uint32_t pos_id; /* the position acted on (roll, hedge, stop, close); 0 = entry */
	int32_t level; /* protocol level that caused it; 0 = entry */
	double delta; /* entry: |delta| of the contract sold; else 0 */
	int32_t dte; /* entry: DTE of the contract sold; else 0 */
	int64_t decided_ns; /* the `now` of the decision (UTC ns) */
};

/* "sell_to_open", ... ; "?" out of range. */
const char *core_rules_side_name(enum core_rules_side side);

/* "entry", "roll", "hedge", "stop_loss", "close"; "?" out of range. */
const char *core_rules_intent_kind_name(enum core_rules_intent_kind kind);

/* HEDGE, STOP_LOSS and CLOSE reduce risk and always pass the gate. */
bool core_rules_intent_kind_reduces_risk(enum core_rules_intent_kind kind);

/* (bid + ask) / 2, halves up; 0 unless bid > 0 and ask >= bid. */
int64_t core_rules_mid(int64_t bid, int64_t ask);

/*
 * One line for the audit trail and the tests, e.g.
 *   "entry acct=3 gen QQQ x5 [sell_to_open P 610.00000000 20260414 @1.64000000] net=1.64000000"
 * Deterministic (integers printed exactly, delta with %.6f). Returns the length
 * snprintf would write (>= len means truncated), or -EINVAL.
 */
int core_rules_intent_format(const struct core_rules_intent *in, char *buf, size_t len);

/* Money/price × 10^8 as "[-]D.DDDDDDDD" into buf (>= 24 bytes). Returns buf. */
const char *core_rules_money_str(int64_t v, char *buf, size_t len);

#endif
