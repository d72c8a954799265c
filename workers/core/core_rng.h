/*
 * core_rng.h — a deterministic, seedable random source for simulation (synthetic
 * feeds, Monte Carlo tests): xoshiro256** (Blackman & Vigna, 2018) seeded through
 * splitmix64, uniform doubles, standard normals and a geometric-Brownian-motion step.
 *
 * The same seed gives the same sequence on every run and host: integer state only,
 * uniforms from the top 53 bits, normals by Marsaglia's polar method, which needs
 * only sqrt (correctly rounded) and log (glibc's, identical for one libm build).
 * Not cryptographic. A struct core_rng is caller-owned and single-threaded; give each
 * thread or stream its own seed.
 */
#ifndef CORE_RNG_H
#define CORE_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct core_rng {
	uint64_t s[4]; /* xoshiro256** state, never all zero */
	double spare; /* the polar method's second normal */
	bool have_spare;
};

/* splitmix64: advance *x and return the next output (Vigna's seeding generator). */
uint64_t core_rng_splitmix64(uint64_t *x);

/* Seed: the four state words are four splitmix64 outputs from `seed` (any value,
 * 0 included), as the xoshiro authors recommend. Clears the spare normal. */
void core_rng_seed(struct core_rng *rng, uint64_t seed);

/* Next 64 random bits. */
uint64_t core_rng_next(struct core_rng *rng);

/* Uniform in [0, 1): (next >> 11) · 2^−53, every multiple of 2^−53 equally likely. */
double core_rng_uniform(struct core_rng *rng);

/* Standard normal N(0, 1), Marsaglia polar method: pairs are generated and the second
 * is kept for the next call (part of the state, so copies of a struct core_rng stay
 * in step). */
double core_rng_normal(struct core_rng *rng);

/* One GBM step from s over dt years with drift mu, volatility sigma and a standard
 * normal z: s · exp((mu − sigma²/2)·dt + sigma·√dt·z). Pure; dt >= 0. */
double core_rng_gbm_apply(double s, double mu, double sigma, double dt, double z);

/* core_rng_gbm_apply with z = core_rng_normal(rng). */
double core_rng_gbm_step(struct core_rng *rng, double s, double mu, double sigma, double dt);

#endif
