/*
 * feed_synth.h — the deterministic synthetic source.
 *
 * Each underlying follows geometric Brownian motion (core_rng_gbm_step) from a
 * seeded xoshiro256** generator; its quote has a realistic spread around the mid.
 * Each underlying carries an option chain (puts and calls, strikes around the start
 * price, weekly expiries) priced with Black-Scholes (workers/core/core_bs) from the
 * configured volatility, so chains carry realistic prices and deltas.
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

struct feed_synth {
	struct feed_synth_cfg cfg;
	uint64_t rng[4];
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

/* Build the chains. The struct is large (~400 KiB): allocate it, do not put it on
 * the stack. -EINVAL / -ENOSPC with a message naming the setting. */
int feed_synth_init(struct feed_synth *s, const struct feed_synth_cfg *cfg, struct rt_err *err);

/* The next event (never ends). */
void feed_synth_next(struct feed_synth *s, struct feed_event *ev);

#endif
