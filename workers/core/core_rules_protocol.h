/*
 * core_rules_protocol.h — what the rules do when a short option changes protocol level
 * (RULES §4): roll candidates, roll, hedge, freeze, stop-loss, SAFE.
 *
 *   level 0   nothing (de-escalation is logged by the caller; a freeze stays until
 *             core_rules_accounts_freeze(.., false) — operator or the rules process
 *             when the account has no position at level >= 2)
 *   level 1   roll candidates, computed ahead (core_rules_roll_candidates)
 *   level 2   the account's entries are frozen; the best roll candidate becomes a ROLL
 *             intent (buy to close + sell to open) when the gate lets a roll out; with no
 *             candidate, or a gate that refuses the roll, a HEDGE intent instead.
 *             When the router reports that the roll failed, the caller asks for the
 *             hedge with core_rules_hedge_intent.
 *   level 3   a STOP_LOSS intent (buy to close the whole position) and the system to
 *             SAFE by cause LEVEL3 (the latch: leaving needs a confirmed operator reset);
 *             the account is frozen too.
 *
 * Roll (Decision, RULES §4): same symbol and right; the next eligible expiry = the
 * earliest expiry in the chain after the short's that is an NYSE trading day at most
 * cfg->roll_dte_max calendar days after the trade date; a strike at or beyond the
 * current one (put: <=, call: >=); a net credit = mid(new) − mid(short) >=
 * cfg->roll_min_credit per share. Candidates are ordered furthest strike first (the
 * most protection that still pays a credit): the first is the one rolled to.
 *
 * Hedge (Decision): buy the same right on the same symbol, strike one ATR (cfg->
 * hedge_atr_mult hundredths) beyond the current price: put at or below price − m·ATR
 * (the highest such strike), call at or above price + m·ATR (the lowest such); when no
 * listed strike is that far, the listed strike nearest to the target. Expiry: the
 * first in the chain at or after the short's with an ask. Same quantity. Limit: mid,
 * or the ask when there is no bid.
 *
 * Limits are mids (RULES §5). Pure: the time is an argument; the book and chain are
 * read; only out, the accounts' freeze flags and the state machine are written.
 */
#ifndef CORE_RULES_PROTOCOL_H
#define CORE_RULES_PROTOCOL_H

#include "workers/core/core_rules_accounts.h"
#include "workers/core/core_rules_book.h"
#include "workers/core/core_rules_chain.h"
#include "workers/core/core_rules_intent.h"
#include "workers/core/core_rules_state.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CORE_RULES_ROLL_MAX 32u

struct core_rules_roll {
	int32_t close_idx; /* chain index of the short's own quote */
	int32_t open_idx; /* chain index of the contract to sell */
	int64_t strike; /* new strike × 10^8 */
	int32_t expiry; /* new expiry YYYYMMDD */
	int64_t close_mid; /* buy back at, per share × 10^8 */
	int64_t open_mid; /* sell at, per share × 10^8 */
	int64_t credit; /* open_mid − close_mid, per share × 10^8 */
};

struct core_rules_level_event {
	uint32_t pos_id; /* the short option (core_rules_book id) */
	int32_t level; /* new level 0..3 */
	int32_t prev_level; /* level before */
	int64_t price; /* the underlying's price that caused it, × 10^8 */
	int64_t atr; /* ATR(5) of the underlying, × 10^8 */
};

struct core_rules_protocol_out {
	int32_t level;
	uint32_t nrolls; /* level 1, 2: candidates, best first */
	struct core_rules_roll roll[CORE_RULES_ROLL_MAX];
	uint32_t nintents; /* level 2: ROLL or HEDGE; level 3: STOP_LOSS */
	struct core_rules_intent intent[2];
	bool froze; /* level >= 2: this event froze the account (not frozen before) */
	bool to_safe; /* level 3: the system went (or stays) SAFE */
	struct core_rules_sm_result sm; /* level 3: the transition */
	struct core_rules_verdict v; /* what was done, or why not */
};

/*
 * Roll candidates of a short option position (see the top), best first, into
 * out[0..cap) (more are dropped). Returns the count (0 with v saying why:
 * NOT_SHORT_OPTION, NO_QUOTE for the short itself, NO_NEXT_EXPIRY, NO_ROLL_CREDIT) or
 * -EINVAL. v may be NULL.
 */
int core_rules_roll_candidates(const struct core_rules_cfg *cfg, const struct core_rules_pos *pos,
			       const struct core_rules_quote *chain, size_t n, int64_t now_ns,
			       struct core_rules_roll *out, size_t cap,
			       struct core_rules_verdict *v);

/* The ROLL intent of a position to candidate r. Returns 0 or -EINVAL. */
int core_rules_roll_intent(const struct core_rules_pos *pos, const struct core_rules_account *acct,
			   const struct core_rules_quote *chain, const struct core_rules_roll *r,
			   int32_t level, int64_t now_ns, struct core_rules_intent *out);

/*
 * The HEDGE intent of a short option position at underlying `price` with `atr` (both
 * × 10^8, > 0). Returns 0, -ENOENT (no protective option quoted: v says why) or -EINVAL.
 */
int core_rules_hedge_intent(const struct core_rules_cfg *cfg, const struct core_rules_pos *pos,
			    const struct core_rules_account *acct,
			    const struct core_rules_quote *chain, size_t n, int64_t price,
			    int64_t atr, int32_t level, int64_t now_ns,
			    struct core_rules_intent *out, struct core_rules_verdict *v);

/* The STOP_LOSS intent: buy to close the whole short at mid (0 without a quote). */
int core_rules_stop_intent(const struct core_rules_pos *pos, const struct core_rules_account *acct,
			   const struct core_rules_quote *chain, size_t n, int32_t level,
			   int64_t now_ns, struct core_rules_intent *out);

/*
 * Everything a level event calls for (see the top). Writes out (zeroed first), the
 * account's freeze flag (level >= 2) and, at level 3, the state machine. Returns 0,
 * -ENOENT (no such position or account) or -EINVAL (level out of 0..3, not a short
 * option, NULL arguments).
 */
int core_rules_protocol_on_level(const struct core_rules_cfg *cfg,
				 const struct core_rules_level_event *ev,
				 const struct core_rules_book *book,
				 struct core_rules_accounts *accts, struct core_rules_sm *sm,
				 const struct core_rules_quote *chain, size_t n, int64_t now_ns,
				 struct core_rules_protocol_out *out);

#endif
