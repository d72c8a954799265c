/*
 * rt_hist.h — log-linear latency histogram in fixed memory (HdrHistogram-like).
 *
 * The whole histogram is one flat struct of fixed-width integers with no pointers,
 * so it can live in the shared-memory segment (shm/shm_hists.h) and be read by
 * another process (`alluse-shm hist`) while its owner records into it.
 *
 * Buckets (3 significant digits, relative error < 1/1024 ≈ 0.1 %):
 *   v < 2048                       one bucket per value (exact), index = v
 *   2^k <= v < 2^(k+1), k = 11..35 1024 buckets of width 2^(k-10),
 *                                  index = (k-10)*1024 + (v >> (k-10))
 *   v >= 2^36 (≈ 68.7 s in ns)     counted in the top bucket and in `overflow`;
 *                                  `max` and `sum` keep the true value
 * 2048 + 25 * 1024 = 27 648 buckets.
 *
 * Concurrency contract: ONE writer (the owner) calls rt_hist_record / _reset /
 * _merge into it; any number of readers, in any process, may call
 * rt_hist_snapshot / _percentile / _summarize concurrently. Every field is an
 * aligned 64-bit word written with a relaxed single-writer store (rt/rt_atomic.h),
 * so a reader never sees a torn word, but it may see a record half-applied (the
 * bucket bumped, `count` not yet): readers compute percentiles from the bucket
 * totals, not from `count`, so the result is always self-consistent. No locked
 * read-modify-write is ever used.
 *
 * Layout (all fields u64 unless marked; owner writes everything after init):
 *
 *   byte 0       8       16      24      32       40      44      48            64
 *        +-------+-------+-------+-------+--------+-------+-------+-------------+
 *        | count | min   | max   | sum   |overflow|subbits|maxbits| reserved[2] |
 *        +-------+-------+-------+-------+--------+-------+-------+-------------+
 *   64   | counts[0] counts[1] ... counts[27647]        (27 648 × 8 = 221 184 B) |
 *   221248 +----------------------------------------------------------------------+
 *
 *   count     values recorded (unit: samples)
 *   min, max  smallest / largest value recorded (ns, or whatever unit the owner
 *             records); min = UINT64_MAX and max = 0 while empty
 *   sum       sum of the values (same unit; wraps after 2^64, i.e. 584 years of ns)
 *   overflow  values >= RT_HIST_RANGE (counted in the top bucket)
 *   subbits   u32 = RT_HIST_SUB_BITS, maxbits u32 = RT_HIST_RANGE_BITS: written by
 *             rt_hist_init so a reader can check it agrees on the bucket layout
 *
 * Storage: the caller owns it (shared segment, static, or aligned_alloc(64, ...));
 * the struct is 64-byte aligned and about 216 KiB, too big for a thread's stack
 * in general. Nothing here allocates.
 */
#ifndef RT_HIST_H
#define RT_HIST_H

#include "rt/rt_atomic.h"

#include <stddef.h>
#include <stdint.h>

#define RT_HIST_SUB_BITS 11u /* 2048 exact values */
#define RT_HIST_SUB_COUNT (1u << RT_HIST_SUB_BITS) /* 2048 */
#define RT_HIST_HALF_BITS (RT_HIST_SUB_BITS - 1u) /* 1024 buckets per octave */
#define RT_HIST_HALF_COUNT (1u << RT_HIST_HALF_BITS) /* 1024 */
#define RT_HIST_RANGE_BITS 36u /* tracked up to 2^36 - 1 */
#define RT_HIST_RANGE (UINT64_C(1) << RT_HIST_RANGE_BITS)
#define RT_HIST_MAX_TRACKABLE (RT_HIST_RANGE - 1u)
#define RT_HIST_BUCKETS                                                                            \
	(RT_HIST_SUB_COUNT + (RT_HIST_RANGE_BITS - RT_HIST_SUB_BITS) * RT_HIST_HALF_COUNT)

struct rt_hist {
	_Alignas(64) uint64_t count;
	uint64_t min;
	uint64_t max;
	uint64_t sum;
	uint64_t overflow;
	uint32_t sub_bits;
	uint32_t range_bits;
	uint64_t reserved[2];
	uint64_t counts[RT_HIST_BUCKETS];
};
_Static_assert(RT_HIST_BUCKETS == 27648, "bucket count drawn in the layout comment");
_Static_assert(offsetof(struct rt_hist, count) == 0, "rt_hist.count at 0");
_Static_assert(offsetof(struct rt_hist, min) == 8, "rt_hist.min at 8");
_Static_assert(offsetof(struct rt_hist, max) == 16, "rt_hist.max at 16");
_Static_assert(offsetof(struct rt_hist, sum) == 24, "rt_hist.sum at 24");
_Static_assert(offsetof(struct rt_hist, overflow) == 32, "rt_hist.overflow at 32");
_Static_assert(offsetof(struct rt_hist, sub_bits) == 40, "rt_hist.sub_bits at 40");
_Static_assert(offsetof(struct rt_hist, range_bits) == 44, "rt_hist.range_bits at 44");
_Static_assert(offsetof(struct rt_hist, counts) == 64, "rt_hist.counts at 64");
_Static_assert(sizeof(struct rt_hist) == 64 + 8 * 27648, "rt_hist is 221 248 bytes");
_Static_assert(sizeof(struct rt_hist) % 64 == 0, "rt_hist is whole cache lines");
_Static_assert(_Alignof(struct rt_hist) == 64, "rt_hist is cache-line aligned");

/* What the benchmarks and the inspector print. Values in the recorded unit;
 * all zero for an empty histogram. */
struct rt_hist_summary {
	uint64_t count;
	uint64_t min;
	uint64_t max;
	uint64_t p50;
	uint64_t p90;
	uint64_t p99;
	uint64_t p999;
	uint64_t p9999;
	double mean;
};

/* Empty histogram; stamps the layout words. Not concurrent-safe: call before the
 * histogram is published to readers (shm_hists publishes it afterwards). */
void rt_hist_init(struct rt_hist *h);

/* Owner only: back to empty with relaxed stores (readers may keep reading). */
void rt_hist_reset(struct rt_hist *h);

/* Owner of dst only: add every value recorded in src to dst, as if recorded there.
 * src may be live (read with relaxed loads) or a snapshot. */
void rt_hist_merge(struct rt_hist *dst, const struct rt_hist *src);

/* Any reader: copy src into private dst with relaxed loads (word by word; the copy
 * may catch a record half-applied, see the contract above). */
void rt_hist_snapshot(struct rt_hist *dst, const struct rt_hist *src);

/* Value at percentile pct (0..100) as HdrHistogram computes it: the highest value
 * equivalent to the bucket holding the ceil(pct/100 × n)-th smallest value (at least
 * the first), clamped to [min, max]. pct <= 0 gives min, pct >= 100 gives max.
 * Values past RT_HIST_MAX_TRACKABLE read back as at most RT_HIST_MAX_TRACKABLE
 * (only max is exact). 0 for an empty histogram. */
uint64_t rt_hist_percentile(const struct rt_hist *h, double pct);

/* count, min, max, mean and p50/p90/p99/p99.9/p99.99 in one pass over the buckets. */
void rt_hist_summarize(const struct rt_hist *h, struct rt_hist_summary *s);

/* Bucket index of value v (values past the range map to the top bucket). */
static inline uint32_t rt_hist_index(uint64_t v)
{
	if (v < RT_HIST_SUB_COUNT)
		return (uint32_t)v;
	if (v > RT_HIST_MAX_TRACKABLE)
		return RT_HIST_BUCKETS - 1u;
	uint32_t shift = (uint32_t)(63 - __builtin_clzll(v)) - RT_HIST_HALF_BITS;
	return shift * RT_HIST_HALF_COUNT + (uint32_t)(v >> shift);
}

/* Smallest and largest value that land in bucket i. */
static inline uint64_t rt_hist_bucket_low(uint32_t i)
{
	if (i < RT_HIST_SUB_COUNT)
		return i;
	uint32_t shift = (i >> RT_HIST_HALF_BITS) - 1u;
	return (uint64_t)(i - shift * RT_HIST_HALF_COUNT) << shift;
}

static inline uint64_t rt_hist_bucket_high(uint32_t i)
{
	if (i < RT_HIST_SUB_COUNT)
		return i;
	uint32_t shift = (i >> RT_HIST_HALF_BITS) - 1u;
	return rt_hist_bucket_low(i) + (UINT64_C(1) << shift) - 1u;
}

/* Hot path, owner only: record one value. Relaxed loads and stores of
 * single-writer words (plain MOVs on x86-64), no locked instruction, no call. */
static inline void rt_hist_record(struct rt_hist *h, uint64_t v)
{
	rt_counter_add(&h->counts[rt_hist_index(v)], 1);
	if (v > RT_HIST_MAX_TRACKABLE)
		rt_counter_add(&h->overflow, 1);
	if (v < rt_load_rlx_u64(&h->min))
		rt_store_rlx_u64(&h->min, v);
	if (v > rt_load_rlx_u64(&h->max))
		rt_store_rlx_u64(&h->max, v);
	rt_counter_add(&h->sum, v);
	rt_counter_add(&h->count, 1);
}

#endif
