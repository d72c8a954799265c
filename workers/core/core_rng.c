#include "workers/core/core_rng.h"

#include <math.h>

/* Reference code: https://prng.di.unimi.it/xoshiro256starstar.c and splitmix64.c */

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t core_rng_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void core_rng_seed(struct core_rng *rng, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		rng->s[i] = core_rng_splitmix64(&x);
	/* splitmix64 is a bijection of a counter: four consecutive outputs are never all
	 * zero, so the xoshiro state is valid for every seed */
	rng->spare = 0;
	rng->have_spare = false;
}

uint64_t core_rng_next(struct core_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double core_rng_uniform(struct core_rng *rng)
{
	return (double)(core_rng_next(rng) >> 11) * 0x1.0p-53;
}

double core_rng_normal(struct core_rng *rng)
{
	if (rng->have_spare) {
		rng->have_spare = false;
		return rng->spare;
	}
	double u, v, q;
	do {
		u = 2.0 * core_rng_uniform(rng) - 1.0;
		v = 2.0 * core_rng_uniform(rng) - 1.0;
		q = u * u + v * v;
	} while (q >= 1.0 || q == 0.0);
	double f = sqrt(-2.0 * log(q) / q);
	rng->spare = v * f;
	rng->have_spare = true;
	return u * f;
}

double core_rng_gbm_apply(double s, double mu, double sigma, double dt, double z)
{
	return s * exp((mu - 0.5 * sigma * sigma) * dt + sigma * sqrt(dt) * z);
}

double core_rng_gbm_step(struct core_rng *rng, double s, double mu, double sigma, double dt)
{
	return core_rng_gbm_apply(s, mu, sigma, dt, core_rng_normal(rng));
}
