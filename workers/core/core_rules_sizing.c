#include "workers/core/core_rules_sizing.h"
#include "workers/core/core_rules_intent.h" /* core_rules_money_str */

#include <errno.h>
#include <string.h>

static int64_t pos(int64_t x)
{
	return x > 0 ? x : 0;
}

static int32_t count(int64_t money, int64_t per)
{
	int64_t n = money / per;
	return n > CORE_RULES_CONTRACTS_MAX ? CORE_RULES_CONTRACTS_MAX : (int32_t)n;
}

static bool money_ok(int64_t m)
{
	return m >= -CORE_RULES_MONEY_MAX && m <= CORE_RULES_MONEY_MAX;
}

/* The per-symbol cap leaves room for less than one contract. */
static enum core_rules_why cap_full(struct core_rules_verdict *v, int64_t room, int64_t per)
{
	char a[32], b[32];
	return core_rules_verdict_set(v, CORE_WHY_SYMBOL_CAP_FULL, "room %s < %s per contract",
				      core_rules_money_str(room, a, sizeof(a)),
				      core_rules_money_str(per, b, sizeof(b)));
}

int core_rules_size(const struct core_rules_cfg *cfg, const struct core_rules_size_input *in,
		    struct core_rules_size *out, struct core_rules_verdict *v)
{
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->why = CORE_WHY_BAD_ARGUMENT;
	if (!cfg || !in || (unsigned)in->acct >= CORE_ACCT_COUNT ||
	    (in->right != CORE_RIGHT_PUT && in->right != CORE_RIGHT_CALL) || in->strike <= 0 ||
	    in->strike > CORE_RULES_MONEY_MAX / 100 || !money_ok(in->capital) ||
	    !money_ok(in->available) || in->deployed < 0 || !money_ok(in->deployed) ||
	    in->symbol_used < 0 || !money_ok(in->symbol_used) || in->put_collateral < 0 ||
	    !money_ok(in->put_collateral) || in->shares_free < 0) {
		core_rules_verdict_set(v, CORE_WHY_BAD_ARGUMENT, "sizing input out of range");
		return -EINVAL;
	}
	char a[32], b[32], c[32];
	int64_t per = in->strike * 100;
	out->per_contract = per;
	int64_t room =
		pos(core_rules_money_bp(pos(in->capital), cfg->symbol_cap_bp) - in->symbol_used);
	out->symbol_room = room;
	out->by_symbol = count(room, per);

	if (in->right == CORE_RIGHT_CALL) {
		out->by_capital = -1;
		out->by_shares = in->shares_free / 100;
		out->contracts = out->by_shares < out->by_symbol ? out->by_shares : out->by_symbol;
		if (out->contracts > 0)
			out->why = core_rules_verdict_set(
				v, CORE_WHY_OK, "%d calls: min(%d shares / 100, room %s / %s)",
				out->contracts, in->shares_free,
				core_rules_money_str(room, a, sizeof(a)),
				core_rules_money_str(per, b, sizeof(b)));
		else if (out->by_shares == 0)
			out->why = core_rules_verdict_set(v, CORE_WHY_NO_SHARES,
							  "%d uncovered shares", in->shares_free);
		else
			out->why = cap_full(v, room, per);
		return 0;
	}

	int64_t budget = core_rules_money_bp(pos(in->available), cfg->deploy_target_bp);
	if (in->acct == CORE_ACCT_MINI) {
		int64_t half = pos(core_rules_money_bp(pos(in->capital), cfg->mini_csp_bp) -
				   in->put_collateral);
		if (half < budget)
			budget = half;
	}
	int64_t deployable = pos(budget - in->deployed);
	out->deployable = deployable;
	out->by_capital = count(deployable, per);
	out->by_shares = -1;
	out->contracts = out->by_capital < out->by_symbol ? out->by_capital : out->by_symbol;
	out->collateral = (int64_t)out->contracts * per;
	if (out->contracts > 0)
		out->why = core_rules_verdict_set(
			v, CORE_WHY_OK, "%d puts: min(deployable %s, room %s) / %s", out->contracts,
			core_rules_money_str(deployable, a, sizeof(a)),
			core_rules_money_str(room, b, sizeof(b)),
			core_rules_money_str(per, c, sizeof(c)));
	else if (out->by_capital == 0)
		out->why = core_rules_verdict_set(v, CORE_WHY_NO_CAPITAL,
						  "deployable %s < %s per contract",
						  core_rules_money_str(deployable, a, sizeof(a)),
						  core_rules_money_str(per, b, sizeof(b)));
	else
		out->why = cap_full(v, room, per);
	return 0;
}
