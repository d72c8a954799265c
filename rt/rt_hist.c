#include "rt/rt_hist.h"

#include <string.h>

void rt_hist_init(struct rt_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
	h->sub_bits = RT_HIST_SUB_BITS;
	h->range_bits = RT_HIST_RANGE_BITS;
}

void rt_hist_reset(struct rt_hist *h)
{
	/* relaxed stores, not memset: a reader in another process may be copying */
	for (uint32_t i = 0; i < RT_HIST_BUCKETS; i++)
		if (rt_load_rlx_u64(&h->counts[i]))
			rt_store_rlx_u64(&h->counts[i], 0);
	rt_store_rlx_u64(&h->count, 0);
	rt_store_rlx_u64(&h->min, UINT64_MAX);
	rt_store_rlx_u64(&h->max, 0);
	rt_store_rlx_u64(&h->sum, 0);
	rt_store_rlx_u64(&h->overflow, 0);
}

void rt_hist_snapshot(struct rt_hist *dst, const struct rt_hist *src)
{
	for (uint32_t i = 0; i < RT_HIST_BUCKETS; i++)
		rt_store_rlx_u64(&dst->counts[i], rt_load_rlx_u64(&src->counts[i]));
	rt_store_rlx_u64(&dst->count, rt_load_rlx_u64(&src->count));
	rt_store_rlx_u64(&dst->min, rt_load_rlx_u64(&src->min));
	rt_store_rlx_u64(&dst->max, rt_load_rlx_u64(&src->max));
	rt_store_rlx_u64(&dst->sum, rt_load_rlx_u64(&src->sum));
	rt_store_rlx_u64(&dst->overflow, rt_load_rlx_u64(&src->overflow));
	rt_store_rlx_u32(&dst->sub_bits, rt_load_rlx_u32(&src->sub_bits));
	rt_store_rlx_u32(&dst->range_bits, rt_load_rlx_u32(&src->range_bits));
	dst->reserved[0] = 0;
	dst->reserved[1] = 0;
}

void rt_hist_merge(struct rt_hist *dst, const struct rt_hist *src)
{
	uint64_t total = 0;
	for (uint32_t i = 0; i < RT_HIST_BUCKETS; i++) {
		uint64_t c = rt_load_rlx_u64(&src->counts[i]);
		if (c) {
			rt_counter_add(&dst->counts[i], c);
			total += c;
		}
	}
	if (!total)
		return;
	/* count from the buckets we actually added, so dst stays self-consistent even
	 * if src was caught mid-record */
	rt_counter_add(&dst->count, total);
	rt_counter_add(&dst->sum, rt_load_rlx_u64(&src->sum));
	rt_counter_add(&dst->overflow, rt_load_rlx_u64(&src->overflow));
	uint64_t mn = rt_load_rlx_u64(&src->min);
	uint64_t mx = rt_load_rlx_u64(&src->max);
	if (mn < rt_load_rlx_u64(&dst->min))
		rt_store_rlx_u64(&dst->min, mn);
	if (mx > rt_load_rlx_u64(&dst->max))
		rt_store_rlx_u64(&dst->max, mx);
}

/*
 * Nearest-rank percentiles in one walk: pct[] ascending, out[k] = highest value
 * equivalent to the bucket of the rank-th smallest value, rank = ceil(pct/100 × n)
 * (at least 1), clamped to [min, max]. n is the bucket total, not `count`, so a
 * reader that caught a record half-applied still gets a consistent answer.
 */
static void percentiles(const struct rt_hist *h, const double *pct, uint64_t *out, size_t n,
			uint64_t *total_out)
{
	uint64_t total = 0;
	uint32_t first = RT_HIST_BUCKETS, last = 0;
	for (uint32_t i = 0; i < RT_HIST_BUCKETS; i++) {
		uint64_t c = rt_load_rlx_u64(&h->counts[i]);
		if (c) {
			total += c;
			if (first == RT_HIST_BUCKETS)
				first = i;
			last = i;
		}
	}
	if (total_out)
		*total_out = total;
	if (!total) {
		memset(out, 0, n * sizeof(*out));
		return;
	}
	uint64_t mn = rt_load_rlx_u64(&h->min);
	uint64_t mx = rt_load_rlx_u64(&h->max);
	if (mn > mx) {
		/* caught the first record before min/max were stored: use the buckets */
		mn = rt_hist_bucket_low(first);
		mx = rt_hist_bucket_high(last);
	}

	uint64_t cum = 0;
	uint32_t i = 0;
	for (size_t k = 0; k < n; k++) {
		double p = pct[k];
		if (!(p > 0)) { /* also NaN */
			out[k] = mn;
			continue;
		}
		if (p >= 100) {
			out[k] = mx;
			continue;
		}
		double r = p / 100.0 * (double)total;
		uint64_t rank = (uint64_t)r;
		/* ceil, forgiving the last-bit error of p/100 × n (99.9 % of 1000 is 999) */
		if ((double)rank < r - r * 1e-12)
			rank++;
		if (rank < 1)
			rank = 1;
		if (rank > total)
			rank = total;
		while (cum < rank && i < RT_HIST_BUCKETS)
			cum += rt_load_rlx_u64(&h->counts[i++]);
		/* the bucket that took cum to rank is i - 1; a count that grew since the
		 * first walk can only make cum reach rank earlier, never run us off the end */
		uint64_t v = rt_hist_bucket_high(i ? i - 1 : 0);
		if (v > mx)
			v = mx;
		if (v < mn)
			v = mn;
		out[k] = v;
	}
}

uint64_t rt_hist_percentile(const struct rt_hist *h, double pct)
{
	uint64_t v;
	percentiles(h, &pct, &v, 1, NULL);
	return v;
}

void rt_hist_summarize(const struct rt_hist *h, struct rt_hist_summary *s)
{
	static const double pct[] = {0.0, 100.0, 50.0, 90.0, 99.0, 99.9, 99.99};
	uint64_t v[7];
	uint64_t total;
	percentiles(h, pct, v, 7, &total);
	s->count = total;
	s->min = v[0];
	s->max = v[1];
	s->p50 = v[2];
	s->p90 = v[3];
	s->p99 = v[4];
	s->p999 = v[5];
	s->p9999 = v[6];
	s->mean = total ? (double)rt_load_rlx_u64(&h->sum) / (double)total : 0.0;
}
