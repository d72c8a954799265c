#include "workers/core/core_atr.h"

#include <errno.h>

/*
 * Bounds keep every product in int64 without a wider type: prices and ATRs are at most
 * 10^15, a sum of CORE_ATR_PERIOD_MAX true ranges at most 10^18, and a×b/d is split as
 * (a/d)·b + (a%d)·b/d with b <= 10^6.
 */

/* a·b/d for a >= 0, 0 < b <= CORE_ATR_BP_MAX, d > 0; halves up when round, else floor. */
static int64_t mul_div(int64_t a, int64_t b, int64_t d, bool round)
{
	int64_t q = a / d, r = a % d;
	return q * b + (r * b + (round ? d / 2 : 0)) / d;
}

static bool price_ok(int64_t p)
{
	return p > 0 && p <= CORE_ATR_PRICE_MAX;
}

static bool bar_ok(const struct core_bar *b)
{
	return price_ok(b->high) && price_ok(b->low) && price_ok(b->close) && b->high >= b->low;
}

int64_t core_atr_true_range(const struct core_bar *prev, const struct core_bar *cur)
{
	int64_t tr = cur->high - cur->low;
	if (!prev)
		return tr;
	int64_t up = cur->high - prev->close, down = cur->low - prev->close;
	up = up < 0 ? -up : up;
	down = down < 0 ? -down : down;
	if (up > tr)
		tr = up;
	if (down > tr)
		tr = down;
	return tr;
}

/* ATR(n) ending at bars[end−1]; NULL or the reason it is not valid. */
static const char *atr_window(const struct core_bar *bars, size_t end, uint32_t n, int64_t *atr)
{
	if (end < n)
		return "fewer bars than the ATR period";
	size_t first = end - n;
	/* the close before the window feeds the first true range */
	size_t from = first > 0 ? first - 1 : 0;
	for (size_t i = from; i < end; i++) {
		if (!bar_ok(&bars[i]))
			return "a bar of the ATR window is out of range";
		if (i > from && bars[i].date <= bars[i - 1].date)
			return "dates of the ATR window do not increase";
	}
	int64_t sum = 0;
	for (size_t i = first; i < end; i++)
		sum += core_atr_true_range(i > 0 ? &bars[i - 1] : NULL, &bars[i]);
	*atr = (sum + n / 2) / n;
	if (*atr <= 0)
		return "ATR is zero (flat bars)";
	return NULL;
}

int core_atr_resolve(const struct core_atr_input *in, struct core_atr_result *out)
{
	uint32_t n = in->period ? in->period : CORE_ATR_PERIOD;
	uint32_t prev_bp = in->prev_mult_bp ? in->prev_mult_bp : CORE_ATR_PREV_MULT_BP;
	uint32_t pct_bp = in->price_pct_bp ? in->price_pct_bp : CORE_ATR_PRICE_PCT_BP;
	*out = (struct core_atr_result){.status = CORE_ATR_UNKNOWN};
	if (n > CORE_ATR_PERIOD_MAX || prev_bp > CORE_ATR_BP_MAX || pct_bp > CORE_ATR_BP_MAX ||
	    (!in->bars && in->count > 0)) {
		out->why = "invalid ATR configuration";
		return -EINVAL;
	}

	int64_t atr;
	const char *why = in->bars ? atr_window(in->bars, in->count, n, &atr)
				   : "fewer bars than the ATR period";
	if (!why) {
		out->status = CORE_ATR_OK;
		out->atr = atr;
		out->date = in->bars[in->count - 1].date;
		return 0;
	}
	out->why = why;
	if (price_ok(in->prev_atr)) {
		atr = mul_div(in->prev_atr, prev_bp, 10000, true);
		if (atr > 0) {
			out->status = CORE_ATR_FALLBACK_PREV;
			out->atr = atr;
			return 0;
		}
	}
	if (price_ok(in->price)) {
		atr = mul_div(in->price, pct_bp, 10000, true);
		if (atr > 0) {
			out->status = CORE_ATR_FALLBACK_PCT;
			out->atr = atr;
			return 0;
		}
	}
	return 0;
}

int core_atr_series(const struct core_bar *bars, size_t count, uint32_t period,
		    struct core_atr_point *out, struct rt_err *err)
{
	uint32_t n = period ? period : CORE_ATR_PERIOD;
	if (n > CORE_ATR_PERIOD_MAX)
		return rt_err_set(err, -EINVAL, "atr: period %u above %d", n, CORE_ATR_PERIOD_MAX);
	for (size_t i = 0; i < count; i++) {
		const struct core_bar *b = &bars[i];
		if (!bar_ok(b))
			return rt_err_set(
				err, -EINVAL,
				"atr: bar %zu (%d): high %lld / low %lld / close %lld out "
				"of range",
				i, b->date, (long long)b->high, (long long)b->low,
				(long long)b->close);
		if (i > 0 && b->date <= bars[i - 1].date)
			return rt_err_set(err, -EINVAL,
					  "atr: bar %zu (%d) is not after bar %zu (%d)", i, b->date,
					  i - 1, bars[i - 1].date);
	}
	/* running sum of the last n true ranges: exact, so no drift over long series */
	int64_t sum = 0;
	for (size_t i = 0; i < count; i++) {
		int64_t tr = core_atr_true_range(i > 0 ? &bars[i - 1] : NULL, &bars[i]);
		sum += tr;
		if (i >= n)
			sum -= out[i - n].tr;
		out[i] = (struct core_atr_point){.date = bars[i].date, .tr = tr};
		if (i + 1 >= n) {
			out[i].valid = true;
			out[i].atr = (sum + n / 2) / n;
		}
	}
	return 0;
}

static bool level_args_ok(enum core_right right, int64_t strike, int64_t atr,
			  const uint32_t mult[CORE_LEVEL_COUNT])
{
	if (right != CORE_RIGHT_PUT && right != CORE_RIGHT_CALL)
		return false;
	if (!price_ok(strike) || !price_ok(atr))
		return false;
	for (int i = 0; i < CORE_LEVEL_COUNT; i++) {
		if (mult[i] < 1 || mult[i] > CORE_LEVEL_MULT_MAX)
			return false;
		if (i > 0 && mult[i] <= mult[i - 1])
			return false;
	}
	return true;
}

int core_level_thresholds(enum core_right right, int64_t strike, int64_t atr,
			  const uint32_t mult[CORE_LEVEL_COUNT], int64_t out[CORE_LEVEL_COUNT])
{
	if (!level_args_ok(right, strike, atr, mult))
		return -EINVAL;
	for (int i = 0; i < CORE_LEVEL_COUNT; i++) {
		/* truncated toward the strike: never trips later than the exact threshold */
		int64_t off = mul_div(atr, mult[i], CORE_LEVEL_MULT_SCALE, false);
		out[i] = right == CORE_RIGHT_PUT ? strike - off : strike + off;
	}
	return 0;
}

int core_level_for_price(enum core_right right, int64_t strike, int64_t atr,
			 const uint32_t mult[CORE_LEVEL_COUNT], int64_t price)
{
	int64_t thr[CORE_LEVEL_COUNT];
	if (price <= 0 || core_level_thresholds(right, strike, atr, mult, thr))
		return -EINVAL;
	return core_level_of(right, thr, price);
}
