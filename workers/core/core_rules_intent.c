#include "workers/core/core_rules_intent.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

const char *core_rules_side_name(enum core_rules_side side)
{
	switch (side) {
	case CORE_SIDE_SELL_TO_OPEN:
		return "sell_to_open";
	case CORE_SIDE_BUY_TO_CLOSE:
		return "buy_to_close";
	case CORE_SIDE_BUY_TO_OPEN:
		return "buy_to_open";
	case CORE_SIDE_SELL_TO_CLOSE:
		return "sell_to_close";
	}
	return "?";
}

const char *core_rules_intent_kind_name(enum core_rules_intent_kind kind)
{
	switch (kind) {
	case CORE_INTENT_ENTRY:
		return "entry";
	case CORE_INTENT_ROLL:
		return "roll";
	case CORE_INTENT_HEDGE:
		return "hedge";
	case CORE_INTENT_STOP_LOSS:
		return "stop_loss";
	case CORE_INTENT_CLOSE:
		return "close";
	}
	return "?";
}

bool core_rules_intent_kind_reduces_risk(enum core_rules_intent_kind kind)
{
	return kind == CORE_INTENT_HEDGE || kind == CORE_INTENT_STOP_LOSS ||
	       kind == CORE_INTENT_CLOSE;
}

int64_t core_rules_mid(int64_t bid, int64_t ask)
{
	if (bid <= 0 || ask < bid)
		return 0;
	/* bid/2 + ask/2 cannot overflow; the two low bits restore the exact sum */
	int64_t lo = (bid & 1) + (ask & 1);
	return bid / 2 + ask / 2 + (lo + 1) / 2;
}

const char *core_rules_money_str(int64_t v, char *buf, size_t len)
{
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	snprintf(buf, len, "%s%" PRIu64 ".%08" PRIu64, v < 0 ? "-" : "", a / (uint64_t)PRICE_SCALE,
		 a % (uint64_t)PRICE_SCALE);
	return buf;
}

int core_rules_intent_format(const struct core_rules_intent *in, char *buf, size_t len)
{
	if (!in || (!buf && len) || in->nlegs < 1 || in->nlegs > 2)
		return -EINVAL;
	char a[32], b[32];
	size_t n = 0;
	int w = snprintf(buf, len, "%s acct=%u %s %.*s x%d", core_rules_intent_kind_name(in->kind),
			 in->account, core_rules_acct_name(in->acct_type),
			 (int)CORE_RULES_SYMBOL_MAX, in->symbol, in->contracts);
	if (w < 0)
		return -EINVAL;
	n += (size_t)w;
	for (uint32_t i = 0; i < in->nlegs; i++) {
		const struct core_rules_leg *l = &in->leg[i];
		w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, " [%s %c %s %d @%s]",
			     core_rules_side_name(l->side), (char)l->right,
			     core_rules_money_str(l->strike, a, sizeof(a)), l->expiry,
			     core_rules_money_str(l->limit, b, sizeof(b)));
		if (w < 0)
			return -EINVAL;
		n += (size_t)w;
	}
	w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, " net=%s",
		     core_rules_money_str(in->net, a, sizeof(a)));
	if (w < 0)
		return -EINVAL;
	n += (size_t)w;
	if (in->kind == CORE_INTENT_ENTRY)
		w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, " delta=%.6f dte=%d",
			     in->delta, in->dte);
	else
		w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, " pos=%u level=%d",
			     in->pos_id, in->level);
	if (w < 0)
		return -EINVAL;
	n += (size_t)w;
	return (int)n;
}
