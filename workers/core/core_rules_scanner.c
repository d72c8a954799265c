#include "workers/core/core_rules_scanner.h"
#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_eligible.h"
#include "workers/core/core_rules_nyse.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Years (ACT/365) from now to the expiry day's NYSE close (16:00 or 13:00 New York;
 * 16:00 outside the maintained calendar). -EDOM after the close, -EINVAL bad expiry. */
static int years_to_close(int32_t expiry, int64_t now_ns, double *t)
{
	struct core_nyse_day day;
	int32_t close_s = CORE_NYSE_CLOSE_S;
	if (core_rules_nyse_day(expiry, &day) == 0 && day.close_s > 0)
		close_s = day.close_s;
	int64_t close_ns;
	if (core_calendar_ny_to_utc_ns(expiry, close_s, &close_ns))
		return -EINVAL;
	if (now_ns > close_ns)
		return -EDOM;
	*t = (double)(close_ns - now_ns) / (double)CORE_RULES_YEAR_NS;
	return 0;
}

/* The Black-Scholes input of a quote at now_ns with volatility vol. */
static int bs_input(const struct core_rules_cfg *cfg, const struct core_rules_quote *q,
		    int64_t now_ns, double vol, struct core_bs_input *in)
{
	double t;
	int rc = years_to_close(q->expiry, now_ns, &t);
	if (rc)
		return rc;
	*in = (struct core_bs_input){
		.right = q->right,
		.spot = price_to_double(q->spot),
		.strike = price_to_double(q->strike),
		.t = t,
		.rate = cfg->rate,
		.div = cfg->div_yield,
		.vol = vol,
	};
	return 0;
}

int core_rules_quote_delta(const struct core_rules_cfg *cfg, const struct core_rules_quote *q,
			   int64_t now_ns, double *delta)
{
	if (!cfg || !q || !delta)
		return -EINVAL;
	if (isfinite(q->delta)) {
		*delta = q->delta;
		return 0;
	}
	if (!isfinite(q->iv) || q->iv < 0 || q->spot <= 0 || q->strike <= 0)
		return -ENODATA;
	struct core_bs_input in;
	int rc = bs_input(cfg, q, now_ns, q->iv, &in);
	if (rc)
		return rc;
	double d = core_bs_delta(&in);
	if (!isfinite(d))
		return -EINVAL;
	*delta = d;
	return 0;
}

int core_rules_quote_iv(const struct core_rules_cfg *cfg, const struct core_rules_quote *q,
			int64_t now_ns, double *iv)
{
	if (!cfg || !q || !iv)
		return -EINVAL;
	int64_t mid = core_rules_mid(q->bid, q->ask);
	if (q->spot <= 0 || q->strike <= 0 || mid <= 0)
		return -ENODATA;
	struct core_bs_input in;
	int rc = bs_input(cfg, q, now_ns, 0.3, &in); /* 0.3: the search's first guess */
	if (rc)
		return rc;
	return core_bs_implied_vol(&in, price_to_double(mid), iv, NULL);
}

struct cand {
	int32_t idx;
	double delta; /* |delta| */
	int64_t dist; /* | |delta| − midpoint | in millionths */
	int32_t dte;
	int64_t mid;
};

/* true when a is a better pick than b (the tie-break of the header, steps a-e) */
static bool better(const struct cand *a, const struct cand *b, const struct core_rules_quote *ch)
{
	if (a->dist != b->dist)
		return a->dist < b->dist;
	if (a->dte != b->dte)
		return a->dte < b->dte;
	if (a->mid != b->mid)
		return a->mid > b->mid;
	int64_t ka = ch[a->idx].strike, kb = ch[b->idx].strike;
	if (ka != kb)
		return ch[a->idx].right == CORE_RIGHT_PUT ? ka < kb : ka > kb;
	return a->idx < b->idx;
}

static void scan_symbol(const struct core_rules_cfg *cfg, const struct core_rules_scan_input *in,
			const struct core_rules_entry_rule *rule, int32_t trade_date,
			int64_t *deployed, struct core_rules_scan_row *row)
{
	double mid_band = (rule->delta_min + rule->delta_max) / 2.0;
	struct cand best = {.idx = -1};
	for (size_t i = 0; i < in->n; i++) {
		const struct core_rules_quote *q = &in->chain[i];
		if (q->right != rule->right ||
		    strncmp(q->symbol, row->symbol, CORE_RULES_SYMBOL_MAX) != 0)
			continue;
		row->quotes++;
		struct core_rules_contract c = {
			.right = q->right, .strike = q->strike, .expiry = q->expiry, .delta = NAN};
		int32_t dte;
		/* the cheap checks first: a contract out of the DTE band needs no delta */
		enum core_rules_why w =
			core_rules_eligible_contract(rule, trade_date, &c, &dte, NULL);
		if (w != CORE_WHY_DELTA_UNKNOWN)
			continue;
		if (core_rules_quote_delta(cfg, q, in->now_ns, &c.delta))
			continue;
		if (core_rules_eligible_contract(rule, trade_date, &c, &dte, NULL) != CORE_WHY_OK)
			continue;
		row->in_band++;
		int64_t mid = core_rules_mid(q->bid, q->ask);
		if (mid <= 0)
			continue;
		row->two_sided++;
		struct cand k = {
			.idx = (int32_t)i,
			.delta = fabs(c.delta),
			.dist = llround(fabs(fabs(c.delta) - mid_band) * 1e6),
			.dte = dte,
			.mid = mid,
		};
		if (best.idx < 0 || better(&k, &best, in->chain))
			best = k;
	}
	if (best.idx < 0) {
		if (row->in_band > 0)
			core_rules_verdict_set(&row->v, CORE_WHY_NO_QUOTE,
					       "%u of %u quotes in the bands, none two-sided",
					       row->in_band, row->quotes);
		else
			core_rules_verdict_set(&row->v, CORE_WHY_NO_CANDIDATE,
					       "%u quotes, none with DTE %d..%d and |delta| %g..%g",
					       row->quotes, rule->dte_min, rule->dte_max,
					       rule->delta_min, rule->delta_max);
		return;
	}
	const struct core_rules_quote *q = &in->chain[best.idx];
	row->pick = best.idx;
	row->delta = best.delta;
	row->dte = best.dte;

	struct core_rules_exposure e = {0};
	int64_t put_collateral = 0;
	if (in->book) {
		core_rules_book_exposure(in->book, in->acct->id, row->symbol, &e);
		put_collateral = core_rules_book_put_collateral(in->book, in->acct->id);
	}
	struct core_rules_size_input si = {
		.acct = in->acct->type,
		.right = rule->right,
		.strike = q->strike,
		.capital = in->acct->balance,
		.available = in->acct->available,
		.deployed = *deployed,
		.symbol_used = rule->right == CORE_RIGHT_PUT ? e.put_collateral + e.shares_cost
							     : e.call_notional,
		.put_collateral = put_collateral,
		.shares_free = e.shares_free,
	};
	if (core_rules_size(cfg, &si, &row->size, &row->v) || row->size.contracts == 0)
		return;
	*deployed += row->size.collateral;

	struct core_rules_intent *it = &row->intent;
	it->kind = CORE_INTENT_ENTRY;
	it->account = in->acct->id;
	it->acct_type = in->acct->type;
	memcpy(it->symbol, row->symbol, sizeof(it->symbol));
	it->contracts = row->size.contracts;
	it->nlegs = 1;
	it->leg[0] = (struct core_rules_leg){
		.right = q->right,
		.side = CORE_SIDE_SELL_TO_OPEN,
		.strike = q->strike,
		.expiry = q->expiry,
		.limit = best.mid,
		.bid = q->bid,
		.ask = q->ask,
	};
	it->net = best.mid;
	it->delta = best.delta;
	it->dte = best.dte;
	it->decided_ns = in->now_ns;
	char a[32], b[32];
	core_rules_verdict_set(&row->v, CORE_WHY_OK, "%d x %c %s exp %d |delta| %.6f DTE %d @%s",
			       it->contracts, (char)q->right,
			       core_rules_money_str(q->strike, a, sizeof(a)), q->expiry, best.delta,
			       best.dte, core_rules_money_str(best.mid, b, sizeof(b)));
}

int core_rules_scan(const struct core_rules_cfg *cfg, const struct core_rules_scan_input *in,
		    struct core_rules_scan_row *rows, size_t cap)
{
	if (!cfg || !in || !in->acct || (!in->chain && in->n) || (!rows && cap) ||
	    (unsigned)in->acct->type >= CORE_ACCT_COUNT)
		return -EINVAL;
	struct core_calendar_local probe;
	if (core_calendar_ny_from_utc_ns(in->now_ns, &probe))
		return -EINVAL;
	enum core_rules_rule_id ids[2];
	size_t nrules = 0;
	for (int r = 0; r < CORE_RULE_COUNT; r++) /* a Mini: its CSP half, then its CC half */
		if (core_rules_rule_acct((enum core_rules_rule_id)r) == in->acct->type &&
		    nrules < 2)
			ids[nrules++] = (enum core_rules_rule_id)r;
	size_t total = 0;
	for (size_t r = 0; r < nrules; r++)
		total += cfg->rule[ids[r]].nsymbols;
	if (total > cap)
		return -ENOSPC;

	struct core_rules_verdict gate;
	enum core_rules_why g = core_rules_gate(cfg, in->state, in->acct, CORE_INTENT_ENTRY, &gate);
	int64_t deployed = 0;
	size_t k = 0;
	for (size_t r = 0; r < nrules; r++) {
		const struct core_rules_entry_rule *rule = &cfg->rule[ids[r]];
		struct core_rules_entry_clock clk;
		struct core_rules_verdict tv;
		enum core_rules_why t =
			g == CORE_WHY_OK ? core_rules_entry_time(rule, in->now_ns, &clk, &tv) : g;
		for (uint32_t s = 0; s < rule->nsymbols; s++) {
			struct core_rules_scan_row *row = &rows[k++];
			memset(row, 0, sizeof(*row));
			row->rule = ids[r];
			row->pick = -1;
			memcpy(row->symbol, rule->symbols[s], CORE_RULES_SYMBOL_MAX);
			row->symbol[CORE_RULES_SYMBOL_MAX - 1] = '\0';
			if (g != CORE_WHY_OK) {
				row->v = gate;
				continue;
			}
			if (t != CORE_WHY_OK) {
				row->v = tv;
				continue;
			}
			scan_symbol(cfg, in, rule, clk.local.date, &deployed, row);
		}
	}
	return (int)k;
}
