/*
 * core_atr.h — true range, ATR(5) with its fallbacks (RULES §3) and the protocol-level
 * thresholds (RULES §4), all in fixed point: int64 price × 10^8 (PRICE_SCALE,
 * shm/shm_price.h), exact integer arithmetic, no floating point.
 *
 *   TR_i  = max(H_i − L_i, |H_i − C_{i−1}|, |L_i − C_{i−1}|);  the first bar of an
 *           array has no previous close: TR_0 = H_0 − L_0
 *   ATR_n = (TR_{i−n+1} + … + TR_i) / n   (simple mean, not Wilder), n = 5 by default
 *
 * The sum is exact; the one division rounds to nearest, halves up (for n = 5 a half
 * cannot occur). Fallbacks, in order (core_atr_resolve):
 *   1. OK            ATR(n) of the last n bars
 *   2. FALLBACK_PREV last valid ATR × 1.1 (rounded to nearest, halves up)
 *   3. FALLBACK_PCT  2 % of the current price (rounded to nearest, halves up)
 *   4. UNKNOWN       the level of every position on the symbol is undecidable: the
 *                    caller treats that as a fault (RULES §9: SAFE)
 * ATR(n) is not valid when there are fewer than n bars, when a bar of the window (or
 * the close before it) is out of range — price <= 0 or > CORE_ATR_PRICE_MAX, high <
 * low, dates not increasing — or when it is 0 (n flat bars: a threshold at the strike
 * is no protocol).
 *
 * Levels (core_level_*): multipliers are fixed point in hundredths of an ATR
 * (CORE_LEVEL_MULT_SCALE = 100: {100, 200, 300} is 1·ATR, 2·ATR, 3·ATR); threshold i is
 *   put:  K − ⌊m_i·ATR / 100⌋        call: K + ⌊m_i·ATR / 100⌋
 * The offset is truncated toward the strike, so a threshold is never further from the
 * strike than the exact one: a level trips no later than exact arithmetic would
 * (fail-safe). Trips are inclusive: a put is at level i when price <= threshold i, a
 * call when price >= threshold i; the tick before the threshold does not trip.
 *
 * Pure functions: no I/O, no clock, no allocation. Configuration (period, fallback
 * factors, multipliers) is passed in; 0 in an input field means the RULES default.
 */
#ifndef CORE_ATR_H
#define CORE_ATR_H

#include "rt/rt_err.h"
#include "workers/core/core_bars.h"
#include "workers/core/core_bs.h" /* enum core_right */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CORE_ATR_PERIOD 5 /* RULES §3: ATR(5) */
#define CORE_ATR_PERIOD_MAX 1000
#define CORE_ATR_PREV_MULT_BP 11000u /* fallback 1: last valid ATR × 1.1 (basis points) */
#define CORE_ATR_PRICE_PCT_BP 200u /* fallback 2: 2 % of the current price (bp) */
#define CORE_ATR_BP_MAX 1000000u /* factors up to 100× */
#define CORE_ATR_PRICE_MAX 1000000000000000ll /* $10 000 000 × 10^8: sums of 1000 fit */

#define CORE_LEVEL_COUNT 3
#define CORE_LEVEL_MULT_SCALE 100u /* multipliers in hundredths of an ATR */
#define CORE_LEVEL_MULT_MAX 100000u /* 1000·ATR */

enum core_atr_status {
	CORE_ATR_OK = 0,
	CORE_ATR_FALLBACK_PREV,
	CORE_ATR_FALLBACK_PCT,
	CORE_ATR_UNKNOWN,
};

struct core_atr_input {
	const struct core_bar *bars; /* daily bars, oldest first, the last one the most recent
					completed session (09:30 ET job: yesterday's) */
	size_t count;
	int64_t prev_atr; /* last valid ATR (× 10^8) the caller kept, <= 0: none.
					Keep a result's atr only when its status is CORE_ATR_OK,
					so fallbacks do not compound. */
	int64_t price; /* current price of the underlying (× 10^8), <= 0: none */
	uint32_t period; /* 0: CORE_ATR_PERIOD */
	uint32_t prev_mult_bp; /* 0: CORE_ATR_PREV_MULT_BP */
	uint32_t price_pct_bp; /* 0: CORE_ATR_PRICE_PCT_BP */
};

struct core_atr_result {
	enum core_atr_status status;
	int64_t atr; /* × 10^8; > 0 unless UNKNOWN, then 0 */
	int32_t date; /* OK: date of the newest bar used; otherwise 0 */
	const char *why; /* OK: NULL; otherwise why ATR(n) was not valid (static text) */
};

/* One bar's true range (× 10^8, >= 0 for a bar with high >= low). prev NULL: H − L. */
int64_t core_atr_true_range(const struct core_bar *prev, const struct core_bar *cur);

/*
 * ATR with its fallbacks (see the top of this file). Always fills *out, UNKNOWN
 * included. Returns 0, or -EINVAL when the configuration is out of range (period >
 * CORE_ATR_PERIOD_MAX, a factor above CORE_ATR_BP_MAX, bars NULL with count > 0):
 * then *out is UNKNOWN too. An UNKNOWN result is not an error of this function.
 */
int core_atr_resolve(const struct core_atr_input *in, struct core_atr_result *out);

struct core_atr_point {
	int32_t date;
	bool valid; /* ATR available: at least `period` true ranges so far */
	int64_t tr; /* true range (× 10^8) */
	int64_t atr; /* ATR(period) ending at this bar (× 10^8), 0 when !valid */
};

/*
 * TR and ATR(period) for every bar (for `alluse-rules atr --bars FILE`): out[i] gets
 * bars[i]'s date, TR and the ATR of bars[i−period+1 .. i], valid from i = period − 1.
 * period 0 means CORE_ATR_PERIOD. Returns 0, or -EINVAL (period above the maximum, or
 * a bar out of range / dates not increasing: err names the row and the date).
 */
int core_atr_series(const struct core_bar *bars, size_t count, uint32_t period,
		    struct core_atr_point *out, struct rt_err *err);

/*
 * Thresholds of levels 1..CORE_LEVEL_COUNT into out[0..2] (see the top of this file).
 * right is CORE_RIGHT_PUT or CORE_RIGHT_CALL; strike and atr in (0, CORE_ATR_PRICE_MAX];
 * mult strictly increasing in [1, CORE_LEVEL_MULT_MAX]. A put threshold may be <= 0
 * (such a level cannot trip). Returns 0 or -EINVAL (out untouched).
 */
int core_level_thresholds(enum core_right right, int64_t strike, int64_t atr,
			  const uint32_t mult[CORE_LEVEL_COUNT], int64_t out[CORE_LEVEL_COUNT]);

/*
 * Level 0..CORE_LEVEL_COUNT of a short option at `price` (× 10^8, > 0): the number of
 * thresholds it has tripped. Returns the level, or -EINVAL as core_level_thresholds
 * (or price <= 0). Cold convenience; the hot path precomputes thresholds once per
 * ATR and calls core_level_of.
 */
int core_level_for_price(enum core_right right, int64_t strike, int64_t atr,
			 const uint32_t mult[CORE_LEVEL_COUNT], int64_t price);

/* Hot path: level of `price` against thresholds from core_level_thresholds. Branch
 * per level, no validation. */
static inline int core_level_of(enum core_right right, const int64_t thr[CORE_LEVEL_COUNT],
				int64_t price)
{
	int level = 0;
	if (right == CORE_RIGHT_PUT) {
		for (int i = 0; i < CORE_LEVEL_COUNT; i++)
			level += price <= thr[i];
	} else {
		for (int i = 0; i < CORE_LEVEL_COUNT; i++)
			level += price >= thr[i];
	}
	return level;
}

#endif
