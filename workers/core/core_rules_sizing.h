/*
 * core_rules_sizing.h — how many contracts (RULES §2), in exact integer money.
 *
 * Money is int64 × 10^8 USD; every product and division is exact (floors).
 *
 * Cash-secured put (Gen, Rev, Mini's CSP half):
 *   per_contract = strike × 100                          (the collateral one contract needs)
 *   budget       = floor(available × deploy_target_bp / 10000)
 *   Mini only:   budget = min(budget, floor(capital × mini_csp_bp / 10000) − put_collateral)
 *   deployable   = budget − deployed                     (deployed: earlier picks of this scan)
 *   room         = floor(capital × symbol_cap_bp / 10000) − symbol_used
 *                  (symbol_used: the symbol's put collateral + the cost of its shares)
 *   contracts    = min(floor(deployable / per_contract), floor(room / per_contract))
 * Covered call (Com, Mini's CC half) — never a naked call:
 *   by_shares    = floor(shares_free / 100)   (shares of the symbol in the account that no
 *                                              short call covers yet)
 *   room         = floor(capital × symbol_cap_bp / 10000) − symbol_used
 *                  (symbol_used: the notional, strike × 100 × n, of the symbol's short calls;
 *                   the covering shares are not counted: a covered call adds no exposure,
 *                   and counting them would forbid covering a holding above the cap)
 *   contracts    = min(by_shares, floor(room / per_contract)); no cash budget (the shares
 *                  secure it)
 * Negative intermediate values count as 0. 0 contracts is a normal outcome with a
 * reason: NO_CAPITAL (cash), SYMBOL_CAP_FULL (cap) or NO_SHARES (calls). When both
 * the cash and the cap give 0, the reason is NO_CAPITAL.
 *
 * Pure, no I/O.
 */
#ifndef CORE_RULES_SIZING_H
#define CORE_RULES_SIZING_H

#include "workers/core/core_rules_cfg.h"
#include "workers/core/core_rules_why.h"

#include <stdint.h>

#define CORE_RULES_CONTRACTS_MAX 1000000 /* a size above this is clamped to it */

struct core_rules_size_input {
	enum core_rules_acct acct; /* Gen, Rev, Com or Mini */
	enum core_right right; /* PUT: cash-secured put; CALL: covered call */
	int64_t strike; /* × 10^8, 1..CORE_RULES_MONEY_MAX / 100 */
	int64_t capital; /* the account's capital (balance), money */
	int64_t available; /* its available cash when the scan started, money */
	int64_t deployed; /* collateral committed earlier in this scan, money, >= 0 */
	int64_t symbol_used; /* what the symbol already uses (see the top), money, >= 0 */
	int64_t put_collateral; /* Mini CSP: collateral of all its short puts, money, >= 0 */
	int32_t shares_free; /* covered call: uncovered shares of the symbol, >= 0 */
};

struct core_rules_size {
	int32_t contracts; /* >= 0 */
	enum core_rules_why why; /* OK when contracts > 0 */
	int64_t per_contract; /* strike × 100, money */
	int64_t deployable; /* CSP: cash budget left for this pick (>= 0); CC: 0 */
	int64_t symbol_room; /* per-symbol cap left (>= 0) */
	int32_t by_capital; /* CSP: floor(deployable / per_contract); CC: -1 (no limit) */
	int32_t by_symbol; /* floor(symbol_room / per_contract) */
	int32_t by_shares; /* CC: floor(shares_free / 100); CSP: -1 (no limit) */
	int64_t collateral; /* CSP: contracts × per_contract (reserved); CC: 0 */
};

/*
 * Size one pick (see the top of this file). Fills *out (zeroed first) and v (may be
 * NULL) with the arithmetic: "no_capital: deployable 1200.00000000 < 61000.00000000
 * per contract". Returns 0, or -EINVAL for an argument out of range (then out->why is
 * CORE_WHY_BAD_ARGUMENT and contracts 0).
 */
int core_rules_size(const struct core_rules_cfg *cfg, const struct core_rules_size_input *in,
		    struct core_rules_size *out, struct core_rules_verdict *v);

#endif
