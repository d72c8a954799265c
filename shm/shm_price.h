/*
 * shm_price.h — fixed-point prices and money in shared memory.
 *
 * Prices are signed 64-bit integers in units of 10^-8 (PRICE_SCALE = 100,000,000):
 * $612.84 is 61,284,000,000. Range ±92 billion dollars, exact for every US option
 * and equity tick. Binary floating point never lives in the segment.
 */
#ifndef SHM_PRICE_H
#define SHM_PRICE_H

#include <stdint.h>

#define PRICE_SCALE 100000000ll

/* Cold-path conversions (parsing, display). price_from_double rounds to nearest;
 * callers check isfinite() first. */
static inline int64_t price_from_double(double d)
{
	double s = d * (double)PRICE_SCALE;
	return (int64_t)(s < 0 ? s - 0.5 : s + 0.5);
}

static inline double price_to_double(int64_t p)
{
	return (double)p / (double)PRICE_SCALE;
}

#endif
