#include "workers/core/core_rules_protocol.h"
#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_nyse.h"

#include <errno.h>
#include <string.h>

static bool is_short_option(const struct core_rules_pos *p)
{
	return p && p->kind == CORE_POS_OPTION && p->qty < 0 &&
	       (p->right == CORE_RIGHT_PUT || p->right == CORE_RIGHT_CALL);
}

static bool same(const struct core_rules_quote *q, const struct core_rules_pos *p)
{
	return q->right == p->right && strncmp(q->symbol, p->symbol, CORE_RULES_SYMBOL_MAX) == 0;
}

/* strike a strictly further out of the money than b, for this right */
static bool further(enum core_right right, int64_t a, int64_t b)
{
	return right == CORE_RIGHT_PUT ? a < b : a > b;
}

/* strike a at or beyond b, seen from a short of this right */
static bool beyond(enum core_right right, int64_t a, int64_t b)
{
	return right == CORE_RIGHT_PUT ? a <= b : a >= b;
}

int core_rules_roll_candidates(const struct core_rules_cfg *cfg, const struct core_rules_pos *pos,
			       const struct core_rules_quote *chain, size_t n, int64_t now_ns,
			       struct core_rules_roll *out, size_t cap,
			       struct core_rules_verdict *v)
{
	if (!cfg || !pos || (!chain && n) || (!out && cap))
		return -EINVAL;
	struct core_calendar_local now;
	if (core_calendar_ny_from_utc_ns(now_ns, &now))
		return -EINVAL;
	if (!is_short_option(pos)) {
		core_rules_verdict_set(v, CORE_WHY_NOT_SHORT_OPTION, "position %u", pos->id);
		return 0;
	}
	int ci = core_rules_chain_find(chain, n, pos->symbol, pos->right, pos->strike, pos->expiry);
	int64_t close_mid = ci >= 0 ? core_rules_mid(chain[ci].bid, chain[ci].ask) : 0;
	if (close_mid <= 0) {
		core_rules_verdict_set(v, CORE_WHY_NO_QUOTE,
				       "no two-sided quote for the short %s %c %d", pos->symbol,
				       (char)pos->right, pos->expiry);
		return 0;
	}
	/* the next eligible expiry */
	int32_t next = 0;
	for (size_t i = 0; i < n; i++) {
		const struct core_rules_quote *q = &chain[i];
		int32_t dte;
		if (!same(q, pos) || q->expiry <= pos->expiry || (next && q->expiry >= next))
			continue;
		if (core_calendar_dte(now.date, q->expiry, &dte) || dte > cfg->roll_dte_max ||
		    !core_rules_nyse_is_trading_day(q->expiry))
			continue;
		next = q->expiry;
	}
	if (!next) {
		core_rules_verdict_set(v, CORE_WHY_NO_NEXT_EXPIRY,
				       "no expiry after %d within %d days of %d", pos->expiry,
				       cfg->roll_dte_max, now.date);
		return 0;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct core_rules_quote *q = &chain[i];
		if (!same(q, pos) || q->expiry != next ||
		    !beyond(pos->right, q->strike, pos->strike))
			continue;
		int64_t mid = core_rules_mid(q->bid, q->ask);
		if (mid <= 0 || mid - close_mid < cfg->roll_min_credit)
			continue;
		struct core_rules_roll r = {
			.close_idx = ci,
			.open_idx = (int32_t)i,
			.strike = q->strike,
			.expiry = q->expiry,
			.close_mid = close_mid,
			.open_mid = mid,
			.credit = mid - close_mid,
		};
		/* keep the best `cap`, furthest strike first, chain order among equals */
		size_t at = k;
		while (at > 0 && further(pos->right, r.strike, out[at - 1].strike))
			at--;
		if (at >= cap)
			continue;
		size_t keep = k < cap ? k : cap - 1;
		memmove(&out[at + 1], &out[at], (keep - at) * sizeof(out[0]));
		out[at] = r;
		if (k < cap)
			k++;
	}
	if (k == 0)
		core_rules_verdict_set(v, CORE_WHY_NO_ROLL_CREDIT,
				       "no strike at or beyond the short's for a credit >= %lld "
				       "(10^-8/share) on %d",
				       (long long)cfg->roll_min_credit, next);
	else
		core_rules_verdict_set(v, CORE_WHY_OK, "%zu candidates on %d", k, next);
	return (int)k;
}

static void base_intent(struct core_rules_intent *out, enum core_rules_intent_kind kind,
			const struct core_rules_pos *pos, const struct core_rules_account *acct,
			int32_t level, int64_t now_ns)
{
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	out->account = pos->account;
	out->acct_type = acct ? acct->type : CORE_ACCT_GEN;
	memcpy(out->symbol, pos->symbol, sizeof(out->symbol));
	out->contracts = pos->qty < 0 ? -pos->qty : pos->qty;
	out->pos_id = pos->id;
	out->level = level;
	out->decided_ns = now_ns;
}

int core_rules_roll_intent(const struct core_rules_pos *pos, const struct core_rules_account *acct,
			   const struct core_rules_quote *chain, const struct core_rules_roll *r,
			   int32_t level, int64_t now_ns, struct core_rules_intent *out)
{
	if (!is_short_option(pos) || !chain || !r || !out || r->close_idx < 0 || r->open_idx < 0)
		return -EINVAL;
	base_intent(out, CORE_INTENT_ROLL, pos, acct, level, now_ns);
	const struct core_rules_quote *c = &chain[r->close_idx], *o = &chain[r->open_idx];
	out->nlegs = 2;
	out->leg[0] = (struct core_rules_leg){pos->right,  CORE_SIDE_BUY_TO_CLOSE, pos->strike,
					      pos->expiry, r->close_mid,           c->bid,
					      c->ask};
	out->leg[1] = (struct core_rules_leg){
		pos->right, CORE_SIDE_SELL_TO_OPEN, r->strike, r->expiry, r->open_mid, o->bid,
		o->ask};
	out->net = r->credit;
	return 0;
}

int core_rules_hedge_intent(const struct core_rules_cfg *cfg, const struct core_rules_pos *pos,
			    const struct core_rules_account *acct,
			    const struct core_rules_quote *chain, size_t n, int64_t price,
			    int64_t atr, int32_t level, int64_t now_ns,
			    struct core_rules_intent *out, struct core_rules_verdict *v)
{
	if (!cfg || !is_short_option(pos) || (!chain && n) || !out || price <= 0 || atr <= 0 ||
	    price > CORE_RULES_MONEY_MAX / 100 || atr > CORE_RULES_MONEY_MAX / 100)
		return -EINVAL;
	int64_t offset = (int64_t)((__int128)atr * cfg->hedge_atr_mult / 100);
	int64_t target = pos->right == CORE_RIGHT_PUT ? price - offset : price + offset;
	int32_t exp = 0;
	for (size_t i = 0; i < n; i++) {
		const struct core_rules_quote *q = &chain[i];
		if (same(q, pos) && q->ask > 0 && q->expiry >= pos->expiry &&
		    (!exp || q->expiry < exp))
			exp = q->expiry;
	}
	if (!exp) {
		core_rules_verdict_set(v, CORE_WHY_NO_HEDGE_CONTRACT,
				       "no %s %c with an ask expiring on or after %d", pos->symbol,
				       (char)pos->right, pos->expiry);
		return -ENOENT;
	}
	int far = -1, near = -1; /* at/beyond the target; nearest to it */
	int64_t near_dist = 0;
	for (size_t i = 0; i < n; i++) {
		const struct core_rules_quote *q = &chain[i];
		if (!same(q, pos) || q->expiry != exp || q->ask <= 0)
			continue;
		/* at or beyond the target, and the closest to it of those */
		if (beyond(pos->right, q->strike, target) &&
		    (far < 0 || further(pos->right, chain[far].strike, q->strike)))
			far = (int)i;
		int64_t d = q->strike > target ? q->strike - target : target - q->strike;
		if (near < 0 || d < near_dist)
			near = (int)i, near_dist = d;
	}
	int pick = far >= 0 ? far : near;
	const struct core_rules_quote *q = &chain[pick];
	base_intent(out, CORE_INTENT_HEDGE, pos, acct, level, now_ns);
	int64_t mid = core_rules_mid(q->bid, q->ask);
	out->nlegs = 1;
	out->leg[0] = (struct core_rules_leg){pos->right, CORE_SIDE_BUY_TO_OPEN,  q->strike,
					      q->expiry,  mid > 0 ? mid : q->ask, q->bid,
					      q->ask};
	out->net = -out->leg[0].limit;
	char a[32], b[32];
	core_rules_verdict_set(v, CORE_WHY_OK, "hedge %c %s exp %d (target %s%s)", (char)pos->right,
			       core_rules_money_str(q->strike, a, sizeof(a)), q->expiry,
			       core_rules_money_str(target, b, sizeof(b)),
			       far >= 0 ? "" : ", nearest listed");
	return 0;
}

int core_rules_stop_intent(const struct core_rules_pos *pos, const struct core_rules_account *acct,
			   const struct core_rules_quote *chain, size_t n, int32_t level,
			   int64_t now_ns, struct core_rules_intent *out)
{
	if (!is_short_option(pos) || (!chain && n) || !out)
		return -EINVAL;
	base_intent(out, CORE_INTENT_STOP_LOSS, pos, acct, level, now_ns);
	int ci = core_rules_chain_find(chain, n, pos->symbol, pos->right, pos->strike, pos->expiry);
	int64_t bid = ci >= 0 ? chain[ci].bid : 0, ask = ci >= 0 ? chain[ci].ask : 0;
	int64_t mid = core_rules_mid(bid, ask);
	out->nlegs = 1;
	out->leg[0] = (struct core_rules_leg){
		pos->right, CORE_SIDE_BUY_TO_CLOSE, pos->strike, pos->expiry, mid, bid, ask};
	out->net = -mid;
	return 0;
}

int core_rules_protocol_on_level(const struct core_rules_cfg *cfg,
				 const struct core_rules_level_event *ev,
				 const struct core_rules_book *book,
				 struct core_rules_accounts *accts, struct core_rules_sm *sm,
				 const struct core_rules_quote *chain, size_t n, int64_t now_ns,
				 struct core_rules_protocol_out *out)
{
	if (!cfg || !ev || !book || !accts || !sm || (!chain && n) || !out || ev->level < 0 ||
	    ev->level > 3)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->level = ev->level;
	const struct core_rules_pos *pos = core_rules_book_find(book, ev->pos_id);
	if (!pos)
		return -ENOENT;
	struct core_rules_account *acct = core_rules_accounts_find(accts, pos->account);
	if (!acct)
		return -ENOENT;
	if (!is_short_option(pos)) {
		core_rules_verdict_set(&out->v, CORE_WHY_NOT_SHORT_OPTION, "position %u", pos->id);
		return -EINVAL;
	}
	if (ev->level == 0) {
		core_rules_verdict_set(&out->v, CORE_WHY_OK, "level 0: no action");
		return 0;
	}
	if (ev->level == 3) {
		core_rules_stop_intent(pos, acct, chain, n, 3, now_ns, &out->intent[0]);
		out->nintents = 1;
		out->froze = !acct->frozen;
		core_rules_accounts_freeze(accts, acct->id, true, now_ns);
		core_rules_sm_transition(sm, CORE_SYS_SAFE, CORE_CAUSE_LEVEL3, false, now_ns,
					 &out->sm);
		out->to_safe = true;
		core_rules_verdict_set(&out->v, CORE_WHY_OK,
				       "level 3: stop-loss of position %u, system %s", pos->id,
				       core_rules_sys_name(sm->state));
		return 0;
	}
	struct core_rules_verdict rv;
	int k = core_rules_roll_candidates(cfg, pos, chain, n, now_ns, out->roll,
					   CORE_RULES_ROLL_MAX, &rv);
	if (k < 0)
		return k;
	out->nrolls = (uint32_t)k;
	if (ev->level == 1) {
		out->v = rv;
		return 0;
	}
	/* level 2 */
	if (!acct->frozen) {
		core_rules_accounts_freeze(accts, acct->id, true, now_ns);
		out->froze = true;
	}
	struct core_rules_verdict gv;
	enum core_rules_why g = core_rules_gate(cfg, sm->state, acct, CORE_INTENT_ROLL, &gv);
	if (k > 0 && g == CORE_WHY_OK) {
		core_rules_roll_intent(pos, acct, chain, &out->roll[0], 2, now_ns, &out->intent[0]);
		out->nintents = 1;
		core_rules_verdict_set(&out->v, CORE_WHY_OK,
				       "level 2: roll position %u, account %u "
				       "frozen",
				       pos->id, acct->id);
		return 0;
	}
	struct core_rules_verdict hv;
	if (core_rules_hedge_intent(cfg, pos, acct, chain, n, ev->price, ev->atr, 2, now_ns,
				    &out->intent[0], &hv) == 0) {
		out->nintents = 1;
		core_rules_verdict_set(&out->v, CORE_WHY_OK, "level 2: no roll (%s), hedge",
				       k > 0 ? gv.text : rv.text);
		return 0;
	}
	out->v = hv;
	return 0;
}
