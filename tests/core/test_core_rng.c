/* Seeded xoshiro256**: reproducibility, reference outputs, moments, GBM drift. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "workers/core/core_rng.h"

#include <math.h>
#include <stdio.h>

/* splitmix64 from 0 starts 0xe220a8397b1dcdaf (Vigna's published sequence); the
 * xoshiro256** outputs come from an independent Python transcription of the reference
 * C code (64-bit masks), seeded the same way. */
static void test_rng_matches_reference_outputs(void **state)
{
	(void)state;
	uint64_t x = 0;
	assert_true(core_rng_splitmix64(&x) == 0xe220a8397b1dcdafull);
	assert_true(core_rng_splitmix64(&x) == 0x6e789e6aa1b965f4ull);
	assert_true(core_rng_splitmix64(&x) == 0x06c45d188009454full);
	static const struct {
		uint64_t seed;
		uint64_t out[4];
	} ref[] = {
		{0,
		 {0x99ec5f36cb75f2b4ull, 0xbf6e1f784956452aull, 0x1a5f849d4933e6e0ull,
		  0x6aa594f1262d2d2cull}},
		{42,
		 {0x15780b2e0c2ec716ull, 0x6104d9866d113a7eull, 0xae17533239e499a1ull,
		  0xecb8ad4703b360a1ull}},
		{20260308,
		 {0x7dcb084bb8030afaull, 0x78280ce943cb1fa8ull, 0x89808f088852fdc1ull,
		  0x7cf6943e51ca743eull}},
	};
	for (size_t i = 0; i < 3; i++) {
		struct core_rng r;
		core_rng_seed(&r, ref[i].seed);
		for (int k = 0; k < 4; k++)
			assert_true(core_rng_next(&r) == ref[i].out[k]);
	}
}

static void test_rng_same_seed_gives_the_same_sequence(void **state)
{
	(void)state;
	struct core_rng a, b, c;
	core_rng_seed(&a, 7);
	core_rng_seed(&b, 7);
	core_rng_seed(&c, 8);
	int differ = 0;
	for (int i = 0; i < 10000; i++) {
		double na = core_rng_normal(&a), nb = core_rng_normal(&b);
		assert_memory_equal(&na, &nb, sizeof(na));
		double ua = core_rng_uniform(&a), ub = core_rng_uniform(&b);
		assert_memory_equal(&ua, &ub, sizeof(ua));
		differ += core_rng_next(&a) != core_rng_next(&c);
		(void)core_rng_next(&b);
	}
	assert_true(differ > 9990);
	/* a copy (spare normal included) continues identically */
	(void)core_rng_normal(&a);
	struct core_rng copy = a;
	for (int i = 0; i < 100; i++) {
		double x = core_rng_normal(&a), y = core_rng_normal(&copy);
		assert_memory_equal(&x, &y, sizeof(x));
	}
	/* re-seeding restarts the sequence and drops the spare */
	core_rng_seed(&a, 7);
	core_rng_seed(&b, 7);
	(void)core_rng_normal(&b);
	core_rng_seed(&b, 7);
	for (int i = 0; i < 10; i++)
		assert_true(core_rng_next(&a) == core_rng_next(&b));
}

static void test_rng_uniform_stays_in_the_unit_interval(void **state)
{
	(void)state;
	struct core_rng r;
	core_rng_seed(&r, 1);
	double sum = 0, lo = 1, hi = 0;
	const int n = 1000000;
	for (int i = 0; i < n; i++) {
		double u = core_rng_uniform(&r);
		assert_true(u >= 0.0 && u < 1.0);
		sum += u;
		lo = fmin(lo, u);
		hi = fmax(hi, u);
	}
	/* mean 1/2, standard error √(1/12/n) ≈ 2.9e-4: 6 standard errors */
	assert_true(fabs(sum / n - 0.5) < 6 * sqrt(1.0 / 12 / n));
	assert_true(lo < 1e-5 && hi > 1 - 1e-5);
}

static void test_rng_normals_have_unit_moments(void **state)
{
	(void)state;
	struct core_rng r;
	core_rng_seed(&r, 20260308);
	const int n = 1000000;
	double s1 = 0, s2 = 0, s3 = 0, s4 = 0;
	int beyond2 = 0;
	for (int i = 0; i < n; i++) {
		double z = core_rng_normal(&r);
		assert_true(isfinite(z));
		s1 += z;
		s2 += z * z;
		s3 += z * z * z;
		s4 += z * z * z * z;
		beyond2 += fabs(z) > 2;
	}
	double mean = s1 / n, var = s2 / n - mean * mean;
	print_message("normals: mean %.5f var %.5f skew %.5f kurt %.5f P(|z|>2) %.5f\n", mean, var,
		      s3 / n, s4 / n, (double)beyond2 / n);
	/* standard errors: mean 1e-3, variance √(2/n) ≈ 1.4e-3, skew √(15/n) ≈ 3.9e-3,
	 * kurtosis √(96/n) ≈ 9.8e-3; bounds are 5 of them */
	assert_true(fabs(mean) < 5e-3);
	assert_true(fabs(var - 1) < 7e-3);
	assert_true(fabs(s3 / n) < 2e-2);
	assert_true(fabs(s4 / n - 3) < 5e-2);
	/* P(|Z| > 2) = 0.0455003 */
	assert_true(fabs((double)beyond2 / n - 0.0455003) < 5 * sqrt(0.0455 * 0.9545 / n));
}

static void test_rng_gbm_step_is_the_closed_form(void **state)
{
	(void)state;
	/* z = 0: the median path s·e^{(μ − σ²/2)dt} */
	assert_true(fabs(core_rng_gbm_apply(100, 0.05, 0.2, 1, 0) - 100 * exp(0.03)) < 1e-12);
	assert_true(fabs(core_rng_gbm_apply(100, 0.05, 0.2, 0.25, 1.5) -
			 100 * exp(0.03 * 0.25 + 0.2 * 0.5 * 1.5)) < 1e-12);
	assert_true(core_rng_gbm_apply(100, 0.05, 0.2, 0, 3) == 100);
	struct core_rng a, b;
	core_rng_seed(&a, 3);
	core_rng_seed(&b, 3);
	double z = core_rng_normal(&b);
	assert_true(core_rng_gbm_step(&a, 50, 0.1, 0.3, 1.0 / 252) ==
		    core_rng_gbm_apply(50, 0.1, 0.3, 1.0 / 252, z));
}

/* E[S_T] = S_0·e^{μT}: one year of daily steps, 20 000 paths. */
static void test_rng_gbm_mean_drifts_at_mu(void **state)
{
	(void)state;
	struct core_rng r;
	core_rng_seed(&r, 99);
	const int paths = 20000, steps = 252;
	const double s0 = 100, mu = 0.08, sigma = 0.3, dt = 1.0 / steps;
	double sum = 0, sumlog = 0, sumlog2 = 0;
	for (int p = 0; p < paths; p++) {
		double s = s0;
		for (int i = 0; i < steps; i++)
			s = core_rng_gbm_step(&r, s, mu, sigma, dt);
		sum += s;
		double l = log(s / s0);
		sumlog += l;
		sumlog2 += l * l;
	}
	double mean = sum / paths, want = s0 * exp(mu);
	/* sd of S_T = want·√(e^{σ²} − 1) ≈ 33; standard error of the mean ≈ 0.23 */
	double se = want * sqrt(exp(sigma * sigma) - 1) / sqrt(paths);
	print_message("gbm: mean %.3f want %.3f (se %.3f)\n", mean, want, se);
	assert_true(fabs(mean - want) < 5 * se);
	/* log-return ~ N((μ − σ²/2)T, σ²T) */
	double lm = sumlog / paths, lv = sumlog2 / paths - lm * lm;
	assert_true(fabs(lm - (mu - 0.5 * sigma * sigma)) < 5 * sigma / sqrt(paths));
	assert_true(fabs(lv - sigma * sigma) < 5 * sigma * sigma * sqrt(2.0 / paths));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng_matches_reference_outputs),
		cmocka_unit_test(test_rng_same_seed_gives_the_same_sequence),
		cmocka_unit_test(test_rng_uniform_stays_in_the_unit_interval),
		cmocka_unit_test(test_rng_normals_have_unit_moments),
		cmocka_unit_test(test_rng_gbm_step_is_the_closed_form),
		cmocka_unit_test(test_rng_gbm_mean_drifts_at_mu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
