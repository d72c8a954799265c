/* Black-Scholes-Merton: textbook values, parity, greeks, implied volatility, edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "workers/core/core_bs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static struct core_bs_input opt(enum core_right right, double s, double k, double t, double r,
				double q, double vol)
{
	struct core_bs_input in = {
		.right = right, .spot = s, .strike = k, .t = t, .rate = r, .div = q, .vol = vol};
	return in;
}

static void assert_near(double got, double want, double tol, const char *what)
{
	if (!(fabs(got - want) <= tol)) {
		print_error("%s: got %.15g, want %.15g (tolerance %g)\n", what, got, want, tol);
		fail();
	}
}

/* Hull, Options, Futures and Other Derivatives, "Black-Scholes-Merton" chapter example:
 * S 42, K 40, r 10 %, σ 20 %, six months: c = 4.76, p = 0.81. */
static void test_bs_matches_hull_call_and_put_example(void **state)
{
	(void)state;
	struct core_bs_input c = opt(CORE_RIGHT_CALL, 42, 40, 0.5, 0.10, 0, 0.20);
	struct core_bs_input p = opt(CORE_RIGHT_PUT, 42, 40, 0.5, 0.10, 0, 0.20);
	assert_near(core_bs_price(&c), 4.76, 0.005, "call");
	assert_near(core_bs_price(&p), 0.81, 0.005, "put");
	/* more digits, from the closed form evaluated independently (mpmath, 30 digits) */
	assert_near(core_bs_price(&c), 4.759422392871533, 1e-12, "call digits");
	assert_near(core_bs_price(&p), 0.808599372900094, 1e-12, "put digits");
}

/* Hull, "Options on stock indices" example: index 930, K 900, r 8 %, q 3 %, σ 20 %,
 * two months: c = 51.83. */
static void test_bs_matches_hull_index_call_with_dividend_yield(void **state)
{
	(void)state;
	struct core_bs_input c = opt(CORE_RIGHT_CALL, 930, 900, 2.0 / 12, 0.08, 0.03, 0.20);
	assert_near(core_bs_price(&c), 51.83, 0.005, "index call");
}

/* Hull, "The Greek letters" running example: 100,000-share call, S 49, K 50, r 5 %,
 * σ 20 %, 20 weeks. Per option: price 2.40, delta 0.522, gamma 0.066, vega 12.1,
 * theta −4.31 per year (−0.0118 per calendar day), rho 8.91. */
static void test_bs_matches_hull_greeks_example(void **state)
{
	(void)state;
	struct core_bs_input c = opt(CORE_RIGHT_CALL, 49, 50, 20.0 / 52, 0.05, 0, 0.20);
	struct core_bs_greeks g;
	assert_int_equal(core_bs_greeks(&c, &g, NULL), 0);
	assert_near(g.price, 2.40, 0.005, "price");
	assert_near(g.delta, 0.522, 0.0005, "delta");
	assert_near(g.gamma, 0.066, 0.0005, "gamma");
	assert_near(g.vega, 12.1, 0.05, "vega");
	assert_near(g.theta, -4.31, 0.005, "theta per year");
	assert_near(g.theta_day, -0.0118, 0.00005, "theta per day");
	assert_near(g.rho, 8.91, 0.005, "rho");
	assert_near(core_bs_delta(&c), g.delta, 0, "core_bs_delta agrees");
}

/* Hull, index put with a dividend yield: index 305, K 300, q 3 %, r 8 %, σ 25 %,
 * four months: theta −18.15 per year (−0.0497 per calendar day), vega 66.44,
 * rho −42.57 (Hull truncates; the closed form gives 66.448 and −42.579). */
static void test_bs_matches_hull_index_put_greeks(void **state)
{
	(void)state;
	struct core_bs_input p = opt(CORE_RIGHT_PUT, 305, 300, 4.0 / 12, 0.08, 0.03, 0.25);
	struct core_bs_greeks g;
	assert_int_equal(core_bs_greeks(&p, &g, NULL), 0);
	assert_near(g.theta, -18.15, 0.005, "theta per year");
	assert_near(g.theta_day, -0.0497, 0.00005, "theta per day");
	assert_near(g.vega, 66.44, 0.01, "vega");
	assert_near(g.rho, -42.57, 0.01, "rho");
}

/* Reference values from mpmath at 50 digits. */
static void test_bs_norm_cdf_is_accurate_in_both_tails(void **state)
{
	(void)state;
	assert_near(core_bs_norm_cdf(0), 0.5, 0, "N(0)");
	assert_near(core_bs_norm_cdf(1.96), 0.97500210485177956586, 1e-15, "N(1.96)");
	assert_near(core_bs_norm_cdf(-1), 0.15865525393145705141, 1e-15, "N(-1)");
	assert_near(core_bs_norm_cdf(-3), 0.00134989803163009452665, 1e-17, "N(-3)");
	double t = core_bs_norm_cdf(-10);
	assert_near(t / 7.61985302416052606597e-24, 1.0, 1e-12, "N(-10) relative");
	assert_near(core_bs_norm_cdf(2.5) + core_bs_norm_cdf(-2.5), 1.0, 1e-15, "symmetry");
	assert_near(core_bs_norm_pdf(0), 0.398942280401432678, 1e-16, "phi(0)");
}

static const double grid_s[] = {40, 95, 100, 105, 250};
static const double grid_k[] = {50, 80, 100, 120, 300};
static const double grid_t[] = {1.0 / 365, 7.0 / 365, 0.25, 1, 3};
static const double grid_vol[] = {0.05, 0.2, 0.6, 1.5};
static const double grid_rq[][2] = {{0, 0}, {0.05, 0}, {0.05, 0.02}, {-0.005, 0.04}};
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void test_bs_put_call_parity_holds_across_a_grid(void **state)
{
	(void)state;
	int n = 0;
	for (size_t a = 0; a < N_OF(grid_s); a++)
		for (size_t b = 0; b < N_OF(grid_k); b++)
			for (size_t c = 0; c < N_OF(grid_t); c++)
				for (size_t d = 0; d < N_OF(grid_vol); d++)
					for (size_t e = 0; e < N_OF(grid_rq); e++) {
						double s = grid_s[a], k = grid_k[b], t = grid_t[c];
						double r = grid_rq[e][0], q = grid_rq[e][1];
						struct core_bs_input ci = opt(CORE_RIGHT_CALL, s, k,
									      t, r, q, grid_vol[d]);
						struct core_bs_input pi = ci;
						pi.right = CORE_RIGHT_PUT;
						double lhs =
							core_bs_price(&ci) - core_bs_price(&pi);
						double rhs = s * exp(-q * t) - k * exp(-r * t);
						assert_near(lhs, rhs, 1e-12 * (s + k), "parity");
						n++;
					}
	assert_int_equal(n, 5 * 5 * 5 * 4 * 4);
}

/* Every greek against a central difference of the price (theta as −∂V/∂T). */
static void test_bs_greeks_match_finite_differences(void **state)
{
	(void)state;
	enum core_right rights[] = {CORE_RIGHT_CALL, CORE_RIGHT_PUT};
	int n = 0;
	for (size_t ri = 0; ri < 2; ri++)
		for (size_t b = 0; b < N_OF(grid_k); b++)
			for (size_t c = 1; c < N_OF(grid_t); c++)
				for (size_t d = 0; d < N_OF(grid_vol); d++)
					for (size_t e = 0; e < N_OF(grid_rq); e++) {
						struct core_bs_input in = opt(
							rights[ri], 100, grid_k[b], grid_t[c],
							grid_rq[e][0], grid_rq[e][1], grid_vol[d]);
						struct core_bs_greeks g;
						assert_int_equal(core_bs_greeks(&in, &g, NULL), 0);
						struct core_bs_input u = in, w = in;
						double h = 1e-4 * in.spot;
						u.spot += h;
						w.spot -= h;
						double p0 = core_bs_price(&in);
						assert_near(g.price, p0, 0, "price");
						assert_near(
							g.delta,
							(core_bs_price(&u) - core_bs_price(&w)) /
								(2 * h),
							1e-6 + 1e-4 * fabs(g.delta), "delta");
						assert_near(
							g.gamma,
							(core_bs_delta(&u) - core_bs_delta(&w)) /
								(2 * h),
							1e-6 + 1e-4 * fabs(g.gamma), "gamma");
						u = in;
						w = in;
						u.vol += 1e-5;
						w.vol -= 1e-5;
						assert_near(
							g.vega,
							(core_bs_price(&u) - core_bs_price(&w)) /
								2e-5,
							1e-6 + 1e-5 * fabs(g.vega), "vega");
						u = in;
						w = in;
						double ht = 1e-6 * in.t;
						u.t += ht;
						w.t -= ht;
						assert_near(
							g.theta,
							-(core_bs_price(&u) - core_bs_price(&w)) /
								(2 * ht),
							1e-6 + 1e-5 * fabs(g.theta), "theta");
						assert_near(g.theta_day, g.theta / 365, 1e-15,
							    "theta/day");
						u = in;
						w = in;
						u.rate += 1e-6;
						w.rate -= 1e-6;
						assert_near(
							g.rho,
							(core_bs_price(&u) - core_bs_price(&w)) /
								2e-6,
							1e-6 + 1e-5 * fabs(g.rho), "rho");
						n++;
					}
	assert_int_equal(n, 2 * 5 * 4 * 4 * 4);
}

static void test_bs_expiry_pays_intrinsic_with_step_delta(void **state)
{
	(void)state;
	struct core_bs_greeks g;
	struct core_bs_input c = opt(CORE_RIGHT_CALL, 105, 100, 0, 0.05, 0.01, 0.3);
	assert_int_equal(core_bs_greeks(&c, &g, NULL), 0);
	assert_near(g.price, 5, 1e-12, "ITM call value");
	assert_near(g.delta, 1, 0, "ITM call delta");
	assert_near(g.gamma, 0, 0, "gamma");
	assert_near(g.vega, 0, 0, "vega");
	assert_near(g.rho, 0, 0, "rho at T = 0");

	c.spot = 95;
	assert_near(core_bs_price(&c), 0, 0, "OTM call value");
	assert_near(core_bs_delta(&c), 0, 0, "OTM call delta");
	struct core_bs_input p = opt(CORE_RIGHT_PUT, 95, 100, 0, 0.05, 0, 0.3);
	assert_near(core_bs_price(&p), 5, 1e-12, "ITM put value");
	assert_near(core_bs_delta(&p), -1, 0, "ITM put delta");
	p.spot = 105;
	assert_near(core_bs_price(&p), 0, 0, "OTM put value");
	assert_near(core_bs_delta(&p), 0, 0, "OTM put delta");
	/* at the money at expiry: the limit of N(d1), ½ */
	p.spot = 100;
	c.spot = 100;
	assert_near(core_bs_delta(&p), -0.5, 0, "ATM put delta");
	assert_near(core_bs_delta(&c), 0.5, 0, "ATM call delta");
	assert_near(core_bs_price(&c), 0, 0, "ATM value");

	/* one second before expiry the general formula is continuous with T == 0 */
	c = opt(CORE_RIGHT_CALL, 105, 100, 1.0 / (365 * 86400.0), 0.05, 0, 0.3);
	assert_near(core_bs_price(&c), 5, 1e-6, "ITM call 1 s before");
	assert_near(core_bs_delta(&c), 1, 1e-12, "ITM delta 1 s before");
}

static void test_bs_zero_vol_is_the_discounted_forward_intrinsic(void **state)
{
	(void)state;
	double s = 100, k = 102, t = 1, r = 0.05, q = 0.01;
	struct core_bs_input c = opt(CORE_RIGHT_CALL, s, k, t, r, q, 0);
	double want = s * exp(-q * t) - k * exp(-r * t); /* F = 104.08 > K */
	assert_near(core_bs_price(&c), want, 1e-12, "call at σ = 0");
	assert_near(core_bs_delta(&c), exp(-q * t), 1e-15, "delta e^{-qT}");
	struct core_bs_input p = c;
	p.right = CORE_RIGHT_PUT;
	assert_near(core_bs_price(&p), 0, 0, "put at σ = 0");
	assert_near(core_bs_delta(&p), 0, 0, "put delta at σ = 0");
	struct core_bs_greeks g0, g1;
	assert_int_equal(core_bs_greeks(&c, &g0, NULL), 0);
	c.vol = 1e-9;
	assert_int_equal(core_bs_greeks(&c, &g1, NULL), 0);
	assert_near(g1.price, g0.price, 1e-12, "continuous in σ: price");
	assert_near(g1.theta, g0.theta, 1e-9, "continuous in σ: theta");
	assert_near(g1.rho, g0.rho, 1e-9, "continuous in σ: rho");
	assert_near(g0.theta, q * s * exp(-q * t) - r * k * exp(-r * t), 1e-12, "theta at σ = 0");

	/* at the forward, vega keeps its σ → 0 limit S·e^{−qT}·√T·φ(0) */
	struct core_bs_input atf = opt(CORE_RIGHT_PUT, 100, 100, 0.5, 0, 0, 0);
	assert_int_equal(core_bs_greeks(&atf, &g0, NULL), 0);
	atf.vol = 1e-10;
	assert_int_equal(core_bs_greeks(&atf, &g1, NULL), 0);
	assert_near(g0.vega, g1.vega, 1e-9, "vega limit at the forward");
}

static void test_bs_deep_in_and_out_of_the_money(void **state)
{
	(void)state;
	struct core_bs_input c = opt(CORE_RIGHT_CALL, 100, 1000, 0.1, 0.03, 0, 0.2);
	double v = core_bs_price(&c);
	assert_true(v >= 0 && v < 1e-100);
	assert_near(core_bs_delta(&c), 0, 1e-100, "deep OTM call delta");
	struct core_bs_input p = opt(CORE_RIGHT_PUT, 100, 1000, 0.1, 0.03, 0.02, 0.2);
	struct core_bs_greeks g;
	assert_int_equal(core_bs_greeks(&p, &g, NULL), 0);
	assert_near(g.price, 1000 * exp(-0.003) - 100 * exp(-0.002), 1e-9, "deep ITM put");
	assert_near(g.delta, -exp(-0.002), 1e-15, "deep ITM put delta");
	assert_near(g.gamma, 0, 1e-100, "deep ITM gamma");
	/* deep OTM put at a huge vol still obeys its bounds */
	struct core_bs_input q = opt(CORE_RIGHT_PUT, 100, 1, 5, 0.05, 0, 3);
	v = core_bs_price(&q);
	assert_true(v >= 0 && v <= exp(-0.25));
}

static void test_bs_check_rejects_bad_inputs(void **state)
{
	(void)state;
	struct rt_err err = {0};
	struct core_bs_greeks g;
	struct core_bs_input in = opt(CORE_RIGHT_CALL, 100, 100, 1, 0.05, 0, 0.2);
	assert_int_equal(core_bs_check(&in, &err), 0);
	in.spot = 0;
	assert_true(isnan(core_bs_price(&in)));
	assert_int_equal(core_bs_greeks(&in, &g, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "spot 0"));
	in.spot = 100;
	in.t = -1;
	assert_int_equal(core_bs_check(&in, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "time -1"));
	in.t = 1;
	in.vol = NAN;
	assert_true(isnan(core_bs_delta(&in)));
	in.vol = 0.2;
	in.rate = INFINITY;
	assert_int_equal(core_bs_check(&in, &err), -EINVAL);
	in.rate = 0;
	in.right = (enum core_right)'X';
	assert_int_equal(core_bs_check(&in, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "neither call nor put"));
}

static void test_bs_implied_vol_round_trips_across_a_grid(void **state)
{
	(void)state;
	static const double ks[] = {50, 70, 90, 100, 110, 130, 160};
	static const double ts[] = {1.0 / 365, 5.0 / 365, 30.0 / 365, 0.5, 2};
	static const double vols[] = {0.03, 0.1, 0.25, 0.5, 1.0, 2.5};
	enum core_right rights[] = {CORE_RIGHT_CALL, CORE_RIGHT_PUT};
	int exact = 0, flat = 0;
	for (size_t ri = 0; ri < 2; ri++)
		for (size_t a = 0; a < N_OF(ks); a++)
			for (size_t b = 0; b < N_OF(ts); b++)
				for (size_t c = 0; c < N_OF(vols); c++) {
					struct core_bs_input in = opt(rights[ri], 100, ks[a], ts[b],
								      0.04, 0.01, vols[c]);
					struct core_bs_greeks g;
					assert_int_equal(core_bs_greeks(&in, &g, NULL), 0);
					struct core_bs_input guess = in;
					guess.vol = 0;
					double iv = -1;
					struct rt_err err = {0};
					int rc = core_bs_implied_vol(&guess, g.price, &iv, &err);
					/* A price with no time value left in double precision
					 * (deep ITM / OTM, short-dated) carries no volatility: those
					 * come back as σ = 0 at the bound, which is fine. */
					double lower =
						fmax(0, (in.right == CORE_RIGHT_CALL ? 1 : -1) *
								(100 * exp(-0.01 * in.t) -
								 ks[a] * exp(-0.04 * in.t)));
					if (g.price - lower <= 1e-12 * 200) {
						assert_int_equal(rc, 0);
						flat++;
						continue;
					}
					if (rc != 0)
						print_error("%c K %g T %g vol %g: %s\n", rights[ri],
							    ks[a], ts[b], vols[c], err.msg);
					assert_int_equal(rc, 0);
					struct core_bs_input back = in;
					back.vol = iv;
					/* vol recovered where the price carries it, price always */
					if (g.vega > 1e-3)
						assert_near(iv, vols[c], 1e-9, "implied vol");
					else if (g.vega > 1e-6)
						assert_near(iv, vols[c], 1e-6, "implied vol");
					assert_near(core_bs_price(&back), g.price, 1e-10,
						    "repriced");
					exact++;
				}
	print_message("implied vol: %d recovered, %d without time value\n", exact, flat);
	assert_int_equal(exact + flat, 2 * 7 * 5 * 6);
	assert_true(exact >= 280);
}

static void test_bs_implied_vol_uses_a_warm_start(void **state)
{
	(void)state;
	struct core_bs_input in = opt(CORE_RIGHT_PUT, 612.84, 600, 3.0 / 365, 0.043, 0.006, 0.18);
	double price = core_bs_price(&in);
	double iv = 0;
	in.vol = 0.17;
	assert_int_equal(core_bs_implied_vol(&in, price, &iv, NULL), 0);
	assert_near(iv, 0.18, 1e-10, "warm start");
	in.vol = 0;
	assert_int_equal(core_bs_implied_vol(&in, price, &iv, NULL), 0);
	assert_near(iv, 0.18, 1e-10, "cold start");
}

static void test_bs_implied_vol_rejects_prices_outside_the_bounds(void **state)
{
	(void)state;
	struct rt_err err = {0};
	double iv = 42;
	/* call: (max(S e^{-qT} − K e^{-rT}, 0), S e^{-qT}) */
	struct core_bs_input c = opt(CORE_RIGHT_CALL, 100, 90, 1, 0.05, 0, 0);
	double lower = 100 - 90 * exp(-0.05);
	assert_int_equal(core_bs_implied_vol(&c, lower - 0.01, &iv, &err), -EDOM);
	assert_non_null(strstr(err.msg, "no-arbitrage bounds"));
	assert_int_equal(core_bs_implied_vol(&c, 100, &iv, &err), -EDOM);
	assert_int_equal(core_bs_implied_vol(&c, 150, &iv, &err), -EDOM);
	assert_int_equal(core_bs_implied_vol(&c, -1, &iv, &err), -EDOM);
	assert_near(iv, 42, 0, "untouched on error");
	/* exactly at the lower bound: σ = 0 */
	assert_int_equal(core_bs_implied_vol(&c, lower, &iv, &err), 0);
	assert_near(iv, 0, 0, "at the bound");
	/* put: (max(K e^{-rT} − S e^{-qT}, 0), K e^{-rT}) */
	struct core_bs_input p = opt(CORE_RIGHT_PUT, 100, 120, 0.5, 0.05, 0.02, 0);
	double plo = 120 * exp(-0.025) - 100 * exp(-0.01);
	assert_int_equal(core_bs_implied_vol(&p, plo - 1e-6, &iv, &err), -EDOM);
	assert_int_equal(core_bs_implied_vol(&p, 120 * exp(-0.025), &iv, &err), -EDOM);
	/* at expiry only the intrinsic value is a price */
	struct core_bs_input e = opt(CORE_RIGHT_PUT, 95, 100, 0, 0.05, 0, 0);
	assert_int_equal(core_bs_implied_vol(&e, 5, &iv, &err), 0);
	assert_near(iv, 0, 0, "at expiry");
	assert_int_equal(core_bs_implied_vol(&e, 5.5, &iv, &err), -EDOM);
	assert_non_null(strstr(err.msg, "at expiry"));
	/* bad input and non-finite prices */
	assert_int_equal(core_bs_implied_vol(&e, NAN, &iv, &err), -EINVAL);
	e.strike = -1;
	assert_int_equal(core_bs_implied_vol(&e, 5, &iv, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "implied volatility: black-scholes: strike -1"));
}

static void test_bs_implied_vol_reports_range_when_no_vol_is_large_enough(void **state)
{
	(void)state;
	struct rt_err err = {0};
	double iv = 0;
	/* one minute to expiry, at the money, half the spot as premium: inside the bounds
	 * but only a volatility far above CORE_BS_IV_MAX reaches it */
	struct core_bs_input c = opt(CORE_RIGHT_CALL, 100, 100, 1.0 / (365 * 24 * 60), 0, 0, 0);
	assert_int_equal(core_bs_implied_vol(&c, 50, &iv, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "needs a volatility above 100"));
	/* and a large but reachable one converges */
	c.t = 1;
	c.vol = 5;
	double p = core_bs_price(&c);
	c.vol = 0;
	assert_int_equal(core_bs_implied_vol(&c, p, &iv, &err), 0);
	assert_near(iv, 5, 1e-6, "σ = 500 %");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bs_matches_hull_call_and_put_example),
		cmocka_unit_test(test_bs_matches_hull_index_call_with_dividend_yield),
		cmocka_unit_test(test_bs_matches_hull_greeks_example),
		cmocka_unit_test(test_bs_matches_hull_index_put_greeks),
		cmocka_unit_test(test_bs_norm_cdf_is_accurate_in_both_tails),
		cmocka_unit_test(test_bs_put_call_parity_holds_across_a_grid),
		cmocka_unit_test(test_bs_greeks_match_finite_differences),
		cmocka_unit_test(test_bs_expiry_pays_intrinsic_with_step_delta),
		cmocka_unit_test(test_bs_zero_vol_is_the_discounted_forward_intrinsic),
		cmocka_unit_test(test_bs_deep_in_and_out_of_the_money),
		cmocka_unit_test(test_bs_check_rejects_bad_inputs),
		cmocka_unit_test(test_bs_implied_vol_round_trips_across_a_grid),
		cmocka_unit_test(test_bs_implied_vol_uses_a_warm_start),
		cmocka_unit_test(test_bs_implied_vol_rejects_prices_outside_the_bounds),
		cmocka_unit_test(test_bs_implied_vol_reports_range_when_no_vol_is_large_enough),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
