#include "feeders/feed_synth.h"

#include "shm/shm_instr.h"
#include "shm/shm_price.h"
#include "workers/core/core_bs.h"
#include "workers/core/core_calendar.h"
#include "workers/core/core_rng.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define NS_PER_DAY 86400000000000ull
#define YEAR_NS (365.0 * 86400e9)

void feed_synth_cfg_defaults(struct feed_synth_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = 1;
	/* 2026-11-23 (a Monday) 14:30 UTC = 09:30 New York (EST) */
	int64_t days = core_calendar_days_from_civil(2026, 11, 23);
	cfg->start_ns = (uint64_t)days * NS_PER_DAY + (14ull * 3600 + 30 * 60) * 1000000000ull;
	cfg->dt_ns = 1000000;
	cfg->rate = 0.04;
	cfg->drift = 0.0;
	cfg->spread_bp = 2;
	cfg->strikes_per_side = 10;
	cfg->strike_step_bp = 100;
	cfg->expiries = 3;
	cfg->options_per_tick = 1;
}

int feed_synth_cfg_add(struct feed_synth_cfg *cfg, const char *symbol, int64_t start_price,
		       double vol, struct rt_err *err)
{
	if (cfg->nunderlyings >= FEED_SYNTH_MAX_UNDERLYINGS)
		return rt_err_set(err, -ENOSPC, "synthetic: at most %u underlyings",
				  FEED_SYNTH_MAX_UNDERLYINGS);
	struct shm_instr probe;
	if (shm_instr_make_stock(&probe, symbol) != 0 || strlen(symbol) > 6)
		return rt_err_set(err, -EINVAL,
				  "synthetic: '%s' is not a ticker of 1..6 characters [A-Z0-9.]",
				  symbol);
	if (start_price <= 0)
		return rt_err_set(err, -EINVAL, "synthetic: %s start price must be > 0", symbol);
	if (!(vol > 0.0 && vol < 5.0))
		return rt_err_set(err, -EINVAL, "synthetic: %s volatility %g not in (0, 5)", symbol,
				  vol);
	struct feed_synth_underlying *u = &cfg->u[cfg->nunderlyings++];
	snprintf(u->symbol, sizeof(u->symbol), "%s", symbol);
	u->start_price = start_price;
	u->vol = vol;
	return 0;
}

int feed_synth_cfg_add_default_universe(struct feed_synth_cfg *cfg, struct rt_err *err)
{
	/* closes of 2023-12-29 (2013-2023 files) and 2026-08-20 (ETF files) in
	 * ../shared/data/market, with round 1-year volatilities */
	static const struct {
		const char *sym;
		int64_t cents;
		double vol;
	} u[] = {
		{"AAPL", 19253, 0.22}, {"MSFT", 37604, 0.24},  {"AMZN", 15194, 0.33},
		{"GOOG", 14093, 0.30}, {"GOOGL", 13969, 0.30}, {"META", 35396, 0.36},
		{"NVDA", 49522, 0.50}, {"TSLA", 24848, 0.55},  {"SPY", 76260, 0.15},
		{"QQQ", 71093, 0.19},  {"IWM", 29767, 0.22},
	};
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		int rc = feed_synth_cfg_add(cfg, u[i].sym, u[i].cents * (PRICE_SCALE / 100),
					    u[i].vol, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* Listed-strike spacing for a price: $0.50 under $25, $1 under $200, $5 above. */
static int64_t strike_grid(double price)
{
	if (price < 25)
		return PRICE_SCALE / 2;
	if (price < 200)
		return PRICE_SCALE;
	return 5 * PRICE_SCALE;
}

static int64_t round_to(int64_t v, int64_t step)
{
	int64_t r = (v + step / 2) / step * step;
	return r > 0 ? r : step;
}

int feed_synth_init(struct feed_synth *s, const struct feed_synth_cfg *cfg, struct rt_err *err)
{
	memset(s, 0, offsetof(struct feed_synth, opt));
	s->cfg = *cfg;
	if (cfg->nunderlyings == 0)
		return rt_err_set(err, -EINVAL, "synthetic: no underlyings configured");
	if (cfg->dt_ns == 0)
		return rt_err_set(err, -EINVAL, "synthetic: dt_ns must be > 0");
	if (cfg->strike_step_bp == 0 || cfg->strike_step_bp > 5000)
		return rt_err_set(err, -EINVAL, "synthetic: strike_step_bp %u not in 1..5000",
				  cfg->strike_step_bp);
	struct core_rng rng;
	core_rng_seed(&rng, cfg->seed);
	memcpy(s->rng, rng.s, sizeof(s->rng));
	s->have_spare = 0;
	s->spare = 0;
	/* each underlying moves once every nunderlyings steps */
	s->dt_years = (double)cfg->dt_ns * cfg->nunderlyings / YEAR_NS;

	/* expiries: the next `expiries` Fridays on or after the start date */
	int64_t d0 = (int64_t)(cfg->start_ns / NS_PER_DAY);
	uint32_t exp[16];
	uint32_t nexp = cfg->expiries > 16 ? 16 : cfg->expiries;
	int64_t d = d0;
	for (uint32_t e = 0; e < nexp; d++) {
		int32_t ymd;
		core_calendar_days_to_date(d, &ymd);
		if (core_calendar_weekday(ymd) == 5)
			exp[e++] = (uint32_t)ymd;
	}

	uint32_t n = 0;
	for (uint32_t i = 0; i < cfg->nunderlyings; i++) {
		const struct feed_synth_underlying *u = &cfg->u[i];
		s->price[i] = price_to_double(u->start_price);
		memset(s->usym[i], 0, sizeof(s->usym[i]));
		memcpy(s->usym[i], u->symbol, strnlen(u->symbol, sizeof(u->symbol) - 1));
		s->opt_first[i] = n;
		int64_t grid = strike_grid(s->price[i]);
		int64_t step =
			round_to(u->start_price / 10000 * (int64_t)cfg->strike_step_bp, grid);
		int64_t atm = round_to(u->start_price, grid);
		for (uint32_t e = 0; e < nexp; e++) {
			for (int64_t k = -(int64_t)cfg->strikes_per_side;
			     k <= (int64_t)cfg->strikes_per_side; k++) {
				int64_t strike = atm + k * step;
				if (strike <= 0)
					continue;
				for (int r = 0; r < 2; r++) {
					if (n >= FEED_SYNTH_MAX_OPTIONS)
						return rt_err_set(
							err, -ENOSPC,
							"synthetic: chains need more than %u "
							"options; "
							"lower strikes_per_side or expiries",
							FEED_SYNTH_MAX_OPTIONS);
					struct feed_synth_option *o = &s->opt[n];
					struct shm_instr in;
					char right = r ? 'C' : 'P';
					if (shm_instr_make_option(&in, u->symbol, exp[e], right,
								  strike))
						return rt_err_set(
							err, -EINVAL,
							"synthetic: cannot name option %s %u %c",
							u->symbol, exp[e], right);
					o->under = (uint16_t)i;
					o->right = (uint8_t)right;
					o->expiry = exp[e];
					o->strike = strike;
					memcpy(o->symbol, in.symbol, sizeof(o->symbol));
					int64_t exp_days;
					core_calendar_date_to_days((int32_t)exp[e], &exp_days);
					s->opt_exp_ns[n] = exp_days * (int64_t)NS_PER_DAY +
							   21 * 3600 * 1000000000ll;
					struct feed_synth_px *px = &s->px[n];
					memset(px, 0, sizeof(*px));
					px->strike = price_to_double(strike);
					px->right = (uint8_t)right;
					n++;
				}
			}
		}
		s->opt_count[i] = n - s->opt_first[i];
	}
	s->noptions = n;
	return 0;
}

static double years_to_expiry(const struct feed_synth *s, uint32_t k, uint64_t ts_ns)
{
	double t = (double)(s->opt_exp_ns[k] - (int64_t)ts_ns) * (1.0 / YEAR_NS);
	return t > 0 ? t : 0; /* floor at 0 once expired: intrinsic value */
}

double feed_synth_exact_price(const struct feed_synth *s, uint32_t k, double spot, uint64_t ts_ns)
{
	const struct feed_synth_px *p = &s->px[k];
	struct core_bs_input in = {
		.right = (enum core_right)p->right,
		.spot = spot,
		.strike = p->strike,
		.t = years_to_expiry(s, k, ts_ns),
		.rate = s->cfg.rate,
		.div = 0,
		.vol = s->cfg.u[s->opt[k].under].vol,
	};
	double px = core_bs_price(&in);
	return isfinite(px) && px > 0 ? px : 0;
}

/* Option k's mid: the second-order expansion around its last exact evaluation, or a
 * fresh exact one when the policy in feed_synth.h says so. Deterministic: the refresh
 * decisions depend only on the stream. */
static double option_price(struct feed_synth *s, uint32_t k, double spot, uint64_t ts_ns)
{
	struct feed_synth_px *p = &s->px[k];
	double t = years_to_expiry(s, k, ts_ns);
	double ds = spot - p->s0, el = p->t0 - t;
	if (p->s0 > 0 && t >= FEED_SYNTH_EXACT_T && fabs(ds) <= FEED_SYNTH_REFRESH_BAND * p->s0 &&
	    el * FEED_SYNTH_REFRESH_TDIV <= p->t0 && p->quotes < FEED_SYNTH_REFRESH_QUOTES) {
		p->quotes++;
		double v = p->v0 + ds * (p->delta + 0.5 * p->gamma * ds) + p->theta * el;
		return v > 0 ? v : 0;
	}
	struct core_bs_input in = {
		.right = (enum core_right)p->right,
		.spot = spot,
		.strike = p->strike,
		.t = t,
		.rate = s->cfg.rate,
		.div = 0,
		.vol = s->cfg.u[s->opt[k].under].vol,
	};
	struct core_bs_greeks g;
	s->refreshes++;
	if (core_bs_greeks(&in, &g, NULL) != 0 || !isfinite(g.price) || g.price < 0) {
		p->s0 = 0; /* not cached: priced exactly next time too */
		return 0;
	}
	p->s0 = spot;
	p->t0 = t;
	p->v0 = g.price;
	p->delta = g.delta;
	p->gamma = g.gamma;
	p->theta = g.theta;
	p->quotes = 0;
	return g.price;
}

static void quote_from_mid(struct feed_wire_msg *m, double mid, double half_spread, uint64_t ts,
			   uint32_t size)
{
	int64_t bid = price_from_double(mid - half_spread);
	int64_t ask = price_from_double(mid + half_spread);
	if (bid < 0)
		bid = 0;
	if (ask <= bid)
		ask = bid + PRICE_SCALE / 100;
	m->quote.bid = bid;
	m->quote.ask = ask;
	m->quote.last = price_from_double(mid);
	if (m->quote.last <= 0)
		m->quote.last = ask;
	m->quote.bid_size = size;
	m->quote.ask_size = size + 3;
	m->quote.last_size = 1;
	m->quote.venue = 1;
	m->quote.flags = 0;
	m->quote.exch_ts_ns = ts;
}

void feed_synth_next(struct feed_synth *s, struct feed_event *ev)
{
	const struct feed_synth_cfg *c = &s->cfg;
	uint64_t ts = c->start_ns + s->step * c->dt_ns;
	/* no stale bytes: events compare and hash byte for byte. A copy of a zero event,
	 * not memset: gcc makes this size of memset a `rep stos`, which costs more than
	 * the rest of a quote */
	static const struct feed_event zero;
	memcpy(ev, &zero, sizeof(*ev));
	ev->ts_ns = ts;
	ev->nonfinite = 0;
	struct feed_wire_msg *m = &ev->msg;
	m->seq = 0;

	if (s->ndefs_sent < s->noptions) {
		ev->src_key = c->nunderlyings + s->ndefs_sent;
		const struct feed_synth_option *o = &s->opt[s->ndefs_sent++];
		m->type = FEED_WIRE_MSG_DEF;
		memcpy(m->symbol, o->symbol, sizeof(m->symbol));
		memset(&m->def, 0, sizeof(m->def));
		snprintf(m->def.underlying, sizeof(m->def.underlying), "%s", c->u[o->under].symbol);
		m->def.kind = FEED_WIRE_OPTION;
		m->def.expiry = o->expiry;
		m->def.right = o->right;
		m->def.strike = o->strike;
		return;
	}
	m->type = FEED_WIRE_MSG_QUOTE;
	if (s->pending_opts > 0) {
		/* an option of the underlying that just moved (next_under - 1) */
		uint32_t ui = (s->next_under ? s->next_under : c->nunderlyings) - 1;
		s->pending_opts--;
		uint32_t k = s->opt_first[ui] + s->opt_next[ui];
		if (++s->opt_next[ui] == s->opt_count[ui])
			s->opt_next[ui] = 0;
		const struct feed_synth_option *o = &s->opt[k];
		double px = option_price(s, k, s->price[ui], ts);
		/* options: wider spreads, min $0.01 each side, ~3 % of the price */
		double half = px * 0.015;
		if (half < 0.01)
			half = 0.01;
		memcpy(m->symbol, o->symbol, sizeof(m->symbol));
		ev->src_key = c->nunderlyings + k;
		quote_from_mid(m, px, half, ts, 10);
		if (s->pending_opts == 0)
			s->step++;
		return;
	}
	uint32_t ui = s->next_under;
	if (++s->next_under == c->nunderlyings)
		s->next_under = 0;
	struct core_rng rng;
	memcpy(rng.s, s->rng, sizeof(rng.s));
	rng.have_spare = s->have_spare != 0;
	rng.spare = s->spare;
	s->price[ui] = core_rng_gbm_step(&rng, s->price[ui], c->drift, c->u[ui].vol, s->dt_years);
	memcpy(s->rng, rng.s, sizeof(s->rng));
	s->have_spare = rng.have_spare;
	s->spare = rng.spare;
	double mid = s->price[ui];
	memcpy(m->symbol, s->usym[ui], sizeof(m->symbol));
	ev->src_key = ui;
	quote_from_mid(m, mid, mid * (double)c->spread_bp / 20000.0, ts, 100);
	s->pending_opts = s->opt_count[ui] ? c->options_per_tick : 0;
	if (s->pending_opts == 0)
		s->step++;
}
