#include "workers/core/core_bs.h"

#include <errno.h>
#include <math.h>

#define INV_SQRT_2PI 0.39894228040143267794
#define INV_SQRT_2 0.70710678118654752440

/* Everything the formulas share, computed once per evaluation. */
struct bs_terms {
	double dq, dr; /* e^{−qT}, e^{−rT} */
	double sd; /* σ√T */
	double lnfk; /* ln(F/K) */
	double nd1, nd2; /* N(d1), N(d2) */
	double nmd1, nmd2; /* N(−d1), N(−d2): computed directly, not as 1 − N(d) */
	double pd1; /* φ(d1) */
};

int core_bs_check(const struct core_bs_input *in, struct rt_err *err)
{
	if (in->right != CORE_RIGHT_CALL && in->right != CORE_RIGHT_PUT)
		return rt_err_set(err, -EINVAL, "black-scholes: right %d is neither call nor put",
				  (int)in->right);
	if (!isfinite(in->spot) || !(in->spot > 0))
		return rt_err_set(err, -EINVAL, "black-scholes: spot %g is not a positive number",
				  in->spot);
	if (!isfinite(in->strike) || !(in->strike > 0))
		return rt_err_set(err, -EINVAL, "black-scholes: strike %g is not a positive number",
				  in->strike);
	if (!isfinite(in->t) || !(in->t >= 0))
		return rt_err_set(err, -EINVAL,
				  "black-scholes: time %g is not a number of years >= 0", in->t);
	if (!isfinite(in->vol) || !(in->vol >= 0))
		return rt_err_set(err, -EINVAL, "black-scholes: volatility %g is not a number >= 0",
				  in->vol);
	if (!isfinite(in->rate) || !isfinite(in->div))
		return rt_err_set(err, -EINVAL,
				  "black-scholes: rate %g / dividend yield %g not finite", in->rate,
				  in->div);
	return 0;
}

double core_bs_norm_cdf(double x)
{
	/* erfc keeps full relative precision in the lower tail, where 1 + erf(x) cancels. */
	return 0.5 * erfc(-x * INV_SQRT_2);
}

double core_bs_norm_pdf(double x)
{
	return INV_SQRT_2PI * exp(-0.5 * x * x);
}

/*
 * σ√T == 0 is the only degenerate case: for any σ√T > 0, however small, d1 is a finite
 * number or ±inf (ln(F/K) ≠ 0) and erfc/exp give the right limits. At σ√T == 0 the CDFs
 * are the step function of ln(F/K), ½ at the money, and φ(d1) is 0.
 */
static void bs_terms(const struct core_bs_input *in, double vol, struct bs_terms *b)
{
	b->dq = exp(-in->div * in->t);
	b->dr = exp(-in->rate * in->t);
	b->sd = vol * sqrt(in->t);
	b->lnfk = log(in->spot / in->strike) + (in->rate - in->div) * in->t;
	if (b->sd > 0) {
		double d1 = b->lnfk / b->sd + 0.5 * b->sd;
		double d2 = d1 - b->sd;
		b->nd1 = core_bs_norm_cdf(d1);
		b->nd2 = core_bs_norm_cdf(d2);
		b->nmd1 = core_bs_norm_cdf(-d1);
		b->nmd2 = core_bs_norm_cdf(-d2);
		b->pd1 = core_bs_norm_pdf(d1);
		return;
	}
	double step = b->lnfk > 0 ? 1.0 : b->lnfk < 0 ? 0.0 : 0.5;
	b->nd1 = b->nd2 = step;
	b->nmd1 = b->nmd2 = 1.0 - step;
	b->pd1 = 0;
}

static double bs_value(const struct core_bs_input *in, const struct bs_terms *b)
{
	double v;
	if (b->sd > 0) {
		if (in->right == CORE_RIGHT_CALL)
			v = in->spot * b->dq * b->nd1 - in->strike * b->dr * b->nd2;
		else
			v = in->strike * b->dr * b->nmd2 - in->spot * b->dq * b->nmd1;
	} else {
		/* the discounted intrinsic value of the forward, exactly */
		if (in->right == CORE_RIGHT_CALL)
			v = in->spot * b->dq - in->strike * b->dr;
		else
			v = in->strike * b->dr - in->spot * b->dq;
	}
	/* rounding can push a worthless deep out-of-the-money value a few ulps below 0 */
	return v > 0 ? v : 0;
}

static double bs_vega(const struct core_bs_input *in, const struct bs_terms *b)
{
	if (b->sd > 0)
		return in->spot * b->dq * b->pd1 * sqrt(in->t);
	return b->lnfk == 0 ? in->spot * b->dq * sqrt(in->t) * INV_SQRT_2PI : 0;
}

double core_bs_price(const struct core_bs_input *in)
{
	if (core_bs_check(in, NULL))
		return NAN;
	struct bs_terms b;
	bs_terms(in, in->vol, &b);
	return bs_value(in, &b);
}

double core_bs_delta(const struct core_bs_input *in)
{
	if (core_bs_check(in, NULL))
		return NAN;
	struct bs_terms b;
	bs_terms(in, in->vol, &b);
	return in->right == CORE_RIGHT_CALL ? b.dq * b.nd1 : -b.dq * b.nmd1;
}

int core_bs_greeks(const struct core_bs_input *in, struct core_bs_greeks *out, struct rt_err *err)
{
	int rc = core_bs_check(in, err);
	if (rc)
		return rc;
	struct bs_terms b;
	bs_terms(in, in->vol, &b);
	double s = in->spot, k = in->strike, t = in->t;
	double sq = s * b.dq, kr = k * b.dr;
	/* −S·e^{−qT}·φ(d1)·σ/(2√T): zero when φ(d1) is (σ√T == 0 included) */
	double decay = b.pd1 > 0 ? -sq * b.pd1 * in->vol / (2.0 * sqrt(t)) : 0;

	out->price = bs_value(in, &b);
	out->gamma = b.sd > 0 ? b.dq * b.pd1 / (s * b.sd) : 0;
	out->vega = bs_vega(in, &b);
	if (in->right == CORE_RIGHT_CALL) {
		out->delta = b.dq * b.nd1;
		out->theta = decay - in->rate * kr * b.nd2 + in->div * sq * b.nd1;
		out->rho = k * t * b.dr * b.nd2;
	} else {
		out->delta = -b.dq * b.nmd1;
		out->theta = decay + in->rate * kr * b.nmd2 - in->div * sq * b.nmd1;
		out->rho = -k * t * b.dr * b.nmd2;
	}
	out->theta_day = out->theta / 365.0;
	return 0;
}

int core_bs_implied_vol(const struct core_bs_input *in, double price, double *vol,
			struct rt_err *err)
{
	int rc = core_bs_check(in, err);
	if (rc)
		return rt_err_wrap(err, "implied volatility");
	if (!isfinite(price))
		return rt_err_set(err, -EINVAL, "implied volatility: price %g is not finite",
				  price);

	struct core_bs_input x = *in;
	double sq = in->spot * exp(-in->div * in->t);
	double kr = in->strike * exp(-in->rate * in->t);
	double scale = sq + kr;
	double lower, upper;
	if (in->right == CORE_RIGHT_CALL) {
		lower = sq > kr ? sq - kr : 0;
		upper = sq;
	} else {
		lower = kr > sq ? kr - sq : 0;
		upper = kr;
	}
	double at_lower = 1e-14 * scale;
	if (price < lower - at_lower || price >= upper)
		return rt_err_set(
			err, -EDOM,
			"implied volatility: %s price %.10g outside the no-arbitrage bounds "
			"(%.10g, %.10g) for S %g K %g T %g",
			in->right == CORE_RIGHT_CALL ? "call" : "put", price, lower, upper,
			in->spot, in->strike, in->t);
	if (price <= lower + at_lower) {
		*vol = 0;
		return 0;
	}
	if (in->t == 0)
		return rt_err_set(err, -EDOM,
				  "implied volatility: price %.10g has time value %.3g at expiry",
				  price, price - lower);

	/* f(σ) = value(σ) − price rises with σ from lower − price < 0: one root, which
	 * [lo, hi] always brackets. */
	double lo = 0, hi = CORE_BS_IV_MAX;
	struct bs_terms b;
	bs_terms(&x, hi, &b);
	if (bs_value(&x, &b) < price)
		return rt_err_set(err, -ERANGE,
				  "implied volatility: price %.10g needs a volatility above %g "
				  "(S %g K %g T %g)",
				  price, CORE_BS_IV_MAX, in->spot, in->strike, in->t);

	double sigma = in->vol;
	if (!(sigma > 0)) {
		double lnfk = log(in->spot / in->strike) + (in->rate - in->div) * in->t;
		sigma = sqrt(2.0 * fabs(lnfk) / in->t);
		if (!(sigma >= 0.1))
			sigma = 0.1;
	}
	if (!(sigma < hi))
		sigma = 0.5 * (lo + hi);
	double ftol = 1e-14 * price;
	double last_f = INFINITY;
	for (int i = 0; i < CORE_BS_IV_MAX_ITER; i++) {
		bs_terms(&x, sigma, &b);
		double f = bs_value(&x, &b) - price;
		if (fabs(f) <= ftol) {
			*vol = sigma;
			return 0;
		}
		if (f < 0)
			lo = sigma;
		else
			hi = sigma;
		if (hi - lo <= CORE_BS_IV_TOL) {
			*vol = 0.5 * (lo + hi);
			return 0;
		}
		double v = bs_vega(&x, &b);
		double next = v > 0 ? sigma - f / v : NAN;
		/* Newton inside the bracket and making progress; otherwise bisect. Halving |f|
		 * at least every other step bounds the worst case near the flat wings. */
		if (next > lo && next < hi && fabs(f) < 0.5 * last_f) {
			if (fabs(next - sigma) <= CORE_BS_IV_TOL) {
				*vol = next;
				return 0;
			}
		} else {
			next = 0.5 * (lo + hi);
		}
		last_f = fabs(f);
		sigma = next;
	}
	return rt_err_set(err, -ERANGE,
			  "implied volatility: no convergence in %d steps for price %.10g "
			  "(bracket [%.15g, %.15g])",
			  CORE_BS_IV_MAX_ITER, price, lo, hi);
}
