/*
 * feed_synth.h — the deterministic synthetic source.
 *
 * Each underlying follows geometric Brownian motion (core_rng_gbm_step) from a
 * seeded xoshiro256** generator; its quote has a realistic spread around the mid.
 * Each underlying carries an option chain (puts and calls, strikes around the start
 * price, weekly expiries) priced with Black-Scholes (workers/core/core_bs) from the
 * configured volatility, so chains carry realistic prices and deltas.
 *
 * Repricing is cheap between Black-Scholes refreshes: each option keeps the price,
 * delta, gamma and theta of its last exact evaluation (spot S0, time to expiry T0)
 * and is quoted at the second-order expansion
 *     V ≈ V0 + Δ0·dS + ½·Γ0·dS² + Θ0·dt      (dS = S − S0, dt = years elapsed)
 * until the spot has moved more than FEED_SYNTH_REFRESH_BAND of S0, or more than
 * 1/FEED_SYNTH_REFRESH_TDIV of T0 has elapsed, or it has been quoted
 * FEED_SYNTH_REFRESH_QUOTES times; then (and always within FEED_SYNTH_EXACT_T of
 * expiry, where gamma and theta change fast) it is priced exactly again. The
 * approximation's error against exact Black-Scholes is bounded by
 * FEED_SYNTH_APPROX_ABS + FEED_SYNTH_APPROX_REL × price (tests/feeders: checked over
 * every option quote of long runs, expiry crossings and big moves included), far
 * inside the quoted half spread (1.5 % of the price, at least $0.01).
 *
 * The stream is a pure function of the configuration: the same seed gives the same
 * events, byte for byte, whatever the speed it is consumed at. Event time is virtual:
 * start_ns + step × dt_ns. First come the definitions of every option ('D'), then
 * quotes: per step, one underlying (round robin) moves and is quoted, followed by
 * `options_per_tick` of its options (round robin over its chain), repriced.
 */
#ifndef FEED_SYNTH_H
#define FEED_SYNTH_H

#include "feeders/feed_event.h"
#include "rt/rt_err.h"

#include <stdint.h>

#define FEED_SYNTH_MAX_UNDERLYINGS 64u
#define FEED_SYNTH_MAX_OPTIONS 8192u

/* Black-Scholes refresh policy and the error bound it guarantees (see above). */
#define FEED_SYNTH_REFRESH_BAND 0.001 /* |S − S0| / S0 */
#define FEED_SYNTH_REFRESH_TDIV 256.0 /* elapsed > T0 / 64 */
#define FEED_SYNTH_REFRESH_QUOTES 4096u /* quotes of one option between refreshes */
#define FEED_SYNTH_EXACT_T (1.0 / 365.0) /* years: exact pricing in the last day */
#define FEED_SYNTH_APPROX_ABS 0.0005 /* dollars */
#define FEED_SYNTH_APPROX_REL 0.0005 /* of the exact price */

struct feed_synth_underlying {
	char symbol[16];
	int64_t start_price; /* price × 10^8, > 0 */
	double vol; /* annualised volatility, e.g. 0.30 */
};

struct feed_synth_cfg {
	uint64_t seed;
	uint64_t start_ns; /* virtual time of the first event, ns since epoch */
	uint64_t dt_ns; /* virtual time between steps (per underlying move) */
	double rate; /* risk-free rate (continuous) */
	double drift; /* GBM drift μ */
	uint32_t spread_bp; /* underlying bid/ask spread, basis points of mid */
	uint32_t strikes_per_side; /* strikes below and above the start price */
	uint32_t
		strike_step_bp; /* spacing, basis points of the start price (rounded to $0.50/$1/$5) */
	uint32_t expiries; /* weekly Friday expiries from the start date */
	uint32_t options_per_tick; /* options repriced after each underlying move */
	uint32_t nunderlyings;
	struct feed_synth_underlying u[FEED_SYNTH_MAX_UNDERLYINGS];
};

struct feed_synth_option {
	uint16_t under; /* index into u[] */
	uint8_t right; /* 'P' or 'C' */
	uint32_t expiry; /* YYYYMMDD */
	int64_t strike; /* price × 10^8 */
	char symbol[32]; /* OCC symbol */
};

/* An option's last exact Black-Scholes evaluation (process-local, one line each). */
struct feed_synth_px {
	double s0; /* spot at the refresh, dollars; 0 = never priced */
	double t0; /* years to expiry at the refresh */
	double v0, delta, gamma, theta; /* price, ∂V/∂S, ∂²V/∂S², value change per year */
	double strike; /* dollars */
	uint32_t quotes; /* quotes since the refresh */
	uint8_t right; /* 'P' or 'C' */
	uint8_t pad[3];
};

struct feed_synth {
	struct feed_synth_cfg cfg;
	uint64_t rng[4];
	double spare; /* the polar method's second normal, used by the next move */
	int have_spare;
	uint64_t refreshes; /* exact Black-Scholes evaluations (statistics) */
	double dt_years; /* an underlying's time step: dt_ns × nunderlyings, years */
	char usym[FEED_SYNTH_MAX_UNDERLYINGS][32]; /* symbols, NUL-padded */
	uint64_t step;
	uint32_t next_under;
	uint32_t ndefs_sent;
	uint32_t noptions;
	double price[FEED_SYNTH_MAX_UNDERLYINGS]; /* current mid, dollars */
	uint32_t opt_first
		[FEED_SYNTH_MAX_UNDERLYINGS]; /* chain of underlying i: options [first, first+count) */
	uint32_t opt_count[FEED_SYNTH_MAX_UNDERLYINGS];
	uint32_t opt_next[FEED_SYNTH_MAX_UNDERLYINGS];
	uint32_t pending_opts; /* options still to quote in this step */
	struct feed_synth_option opt[FEED_SYNTH_MAX_OPTIONS];
	int64_t opt_exp_ns[FEED_SYNTH_MAX_OPTIONS]; /* expiry, 16:00 New York ≈ 21:00 UTC */
	struct feed_synth_px px[FEED_SYNTH_MAX_OPTIONS];
};

/* Defaults: seed 1, 2026-11-23 14:30 UTC (09:30 New York), dt 1 ms, r 4 %, spread
 * 2 bp, 10 strikes per side at 1 %, 3 expiries, 1 option per tick, no underlyings. */
void feed_synth_cfg_defaults(struct feed_synth_cfg *cfg);

/* Add an underlying; -ENOSPC when full, -EINVAL for bad price/vol/symbol. */
int feed_synth_cfg_add(struct feed_synth_cfg *cfg, const char *symbol, int64_t start_price,
		       double vol, struct rt_err *err);

/* Add the ALL-USE universe (AAPL MSFT AMZN GOOG GOOGL META NVDA TSLA SPY QQQ IWM)
 * with built-in start prices and volatilities (late-2023 closes, 1-year realised
 * vols), for runs that have no market data at hand. */
int feed_synth_cfg_add_default_universe(struct feed_synth_cfg *cfg, struct rt_err *err);

/* Build the chains. The struct is large (~1 MiB): allocate it, do not put it on
 * the stack. -EINVAL / -ENOSPC with a message naming the setting. */
int feed_synth_init(struct feed_synth *s, const struct feed_synth_cfg *cfg, struct rt_err *err);

/* The next event (never ends). ev->src_key names the instrument for the feeder's
 * id cache (feed_core_set_source_keys): underlying i is key i, option k is key
 * nunderlyings + k, for definitions and quotes alike. */
void feed_synth_next(struct feed_synth *s, struct feed_event *ev);

/* Source keys feed_synth_next uses: nunderlyings + noptions. */
static inline uint32_t feed_synth_keys(const struct feed_synth *s)
{
	return s->cfg.nunderlyings + s->noptions;
}

/* Exact Black-Scholes mid of option k at spot (dollars) and event time ts_ns, as the
 * generator's refresh computes it (tests compare the stream against it). */
double feed_synth_exact_price(const struct feed_synth *s, uint32_t k, double spot, uint64_t ts_ns);

#endif
