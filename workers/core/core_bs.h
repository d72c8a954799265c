/*
 * core_bs.h — Black-Scholes-Merton for European options on an underlying with a
 * continuous dividend yield: price, greeks and implied volatility.
 *
 * Model math in double: money enters and leaves at the edges (price_to_double /
 * price_from_double in shm/shm_price.h). Pure functions: no I/O, no clock, no state,
 * thread-safe. The formulas, units and edge cases are written out in docs/core.md.
 *
 *   F  = S·e^{(r−q)T}                        forward
 *   d1 = (ln(S/K) + (r − q + σ²/2)T) / (σ√T),  d2 = d1 − σ√T
 *   call = S·e^{−qT}·N(d1) − K·e^{−rT}·N(d2)
 *   put  = K·e^{−rT}·N(−d2) − S·e^{−qT}·N(−d1)
 *
 * Units: S and K in currency, T in years (ACT/365 is the caller's choice: DTE / 365),
 * r and q continuously compounded per year, σ per √year (0.20 = 20 %).
 */
#ifndef CORE_BS_H
#define CORE_BS_H

#include "rt/rt_err.h"

/* Option right. The values are the bytes shm_instr uses for `right` ('C', 'P'), so a
 * shared-memory right converts with a cast. Used by every core module that needs a
 * right (core_atr's protocol levels too). */
enum core_right { CORE_RIGHT_CALL = 'C', CORE_RIGHT_PUT = 'P' };

/* Implied-volatility search limits. */
#define CORE_BS_IV_MAX 100.0 /* σ above 10 000 % is reported as -ERANGE */
#define CORE_BS_IV_MAX_ITER 100 /* Newton + bisection steps, bisection alone needs ~50 */
#define CORE_BS_IV_TOL 1e-12 /* absolute tolerance on σ */

struct core_bs_input {
	enum core_right right;
	double spot; /* S > 0 */
	double strike; /* K > 0 */
	double t; /* years to expiry, >= 0 (0 = expiring now: intrinsic value) */
	double rate; /* r, continuously compounded, per year (may be negative) */
	double div; /* q, continuous dividend yield, per year (may be negative) */
	double vol; /* σ >= 0 (0 = deterministic forward); core_bs_implied_vol: start guess */
};

struct core_bs_greeks {
	double price;
	double delta; /* ∂V/∂S: call in [0, e^{−qT}], put in [−e^{−qT}, 0] */
	double gamma; /* ∂²V/∂S² */
	double vega; /* ∂V/∂σ per 1.00 of σ (divide by 100 for one vol point) */
	double theta; /* −∂V/∂T per year: the value change as one year passes */
	double theta_day; /* theta / 365: per calendar day */
	double rho; /* ∂V/∂r per 1.00 of r (divide by 100 for one percentage point) */
};

/*
 * Check an input: right is CORE_RIGHT_CALL or CORE_RIGHT_PUT; spot, strike finite
 * and > 0; t, vol finite and >= 0; rate, div finite. Returns 0 or -EINVAL with the
 * offending field in err (err may be NULL).
 */
int core_bs_check(const struct core_bs_input *in, struct rt_err *err);

/*
 * Standard normal CDF N(x) = erfc(−x/√2)/2: relative error ~1e-15 in both tails
 * (no 1 − N cancellation). core_bs_norm_pdf is φ(x).
 */
double core_bs_norm_cdf(double x);
double core_bs_norm_pdf(double x);

/*
 * Option value. Returns NaN when core_bs_check() fails.
 * Degenerate cases, continuous with the general formula from the right:
 *   σ√T == 0 (T == 0 or σ == 0): e^{−rT}·max(F − K, 0) for a call,
 *   e^{−rT}·max(K − F, 0) for a put; at T == 0 that is the intrinsic value.
 */
double core_bs_price(const struct core_bs_input *in);

/*
 * Delta alone (the scanner's hot question). NaN when core_bs_check() fails.
 * σ√T == 0: call e^{−qT}·1[F > K], put −e^{−qT}·1[F < K], and ±e^{−qT}/2 at F == K
 * (the limit of N(d1) as σ√T → 0 with F == K); at T == 0 that is 0 / ±1 (±½ at the money).
 */
double core_bs_delta(const struct core_bs_input *in);

/*
 * Price and every greek at once. Returns 0, or -EINVAL (out untouched) when
 * core_bs_check() fails.
 * σ√T == 0: delta as core_bs_delta; gamma = 0 (a Dirac at the strike, not representable);
 * vega = S·e^{−qT}·√T·φ(0) at F == K, else 0; theta and rho are the general formulas
 * with N(d) → the step function and without the σ-decay term (it diverges at the money
 * as T → 0), e.g. an in-the-money call at T == 0 has theta q·S − r·K and rho 0.
 */
int core_bs_greeks(const struct core_bs_input *in, struct core_bs_greeks *out, struct rt_err *err);

/*
 * Implied volatility: the σ >= 0 for which core_bs_price(in with vol = σ) == price.
 * in->vol, when finite and > 0, is the starting guess (a warm start from the last
 * quote); otherwise the guess is √(2·|ln(F/K)|/T), floored at 0.1.
 * Safeguarded Newton: every step keeps a bracket [lo, hi] around the root and falls
 * back to bisection when Newton leaves it or vega vanishes. Converged when the
 * bracket or the Newton step is below CORE_BS_IV_TOL, or the price error is below
 * 1e-14 of the price.
 * No-arbitrage bounds (call: (max(S·e^{−qT} − K·e^{−rT}, 0), S·e^{−qT});
 *                    put:  (max(K·e^{−rT} − S·e^{−qT}, 0), K·e^{−rT})):
 *   price at the lower bound (within 1e-14 of the scale S·e^{−qT} + K·e^{−rT})
 *   -> *vol = 0, returns 0;
 *   price below the lower bound or at / above the upper bound -> -EDOM;
 *   at T == 0 only the intrinsic value is attainable: any other price -> -EDOM.
 * Returns 0 and *vol; -EINVAL (bad input or non-finite price); -EDOM (outside the
 * bounds); -ERANGE (σ above CORE_BS_IV_MAX or CORE_BS_IV_MAX_ITER steps without
 * convergence). err (may be NULL) says which and with what numbers. *vol is written
 * only on success.
 */
int core_bs_implied_vol(const struct core_bs_input *in, double price, double *vol,
			struct rt_err *err);

#endif
