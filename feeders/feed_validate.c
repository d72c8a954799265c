#include "feeders/feed_validate.h"

static inline int present(int64_t p)
{
	return p != FEED_PRICE_ABSENT;
}

int64_t feed_quote_mark(const struct feed_quote_in *q)
{
	if (present(q->bid) && present(q->ask))
		/* floor((bid + ask) / 2) without the overflow of the sum */
		return (q->bid & q->ask) + ((q->bid ^ q->ask) >> 1);
	if (present(q->last))
		return q->last;
	if (present(q->bid))
		return q->bid;
	return q->ask;
}

/* |a - b| for a, b >= 0: cannot overflow. */
static inline uint64_t dist(int64_t a, int64_t b)
{
	return a > b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
}

enum feed_reject feed_validate_quote(const struct feed_validate_cfg *cfg,
				     struct feed_instr_state *st, const struct feed_quote_in *q,
				     uint64_t now_wall_ns)
{
	if (!st)
		return FEED_REJECT_UNKNOWN_INSTRUMENT;
	if (q->nonfinite)
		return FEED_REJECT_NONFINITE;
	int hb = present(q->bid), ha = present(q->ask), hl = present(q->last);
	if (!hb && !ha && !hl)
		return FEED_REJECT_EMPTY;
	if ((ha && q->ask <= 0) || (hl && q->last <= 0) ||
	    (hb && (q->bid < 0 || (q->bid == 0 && !cfg->allow_zero_bid))))
		return FEED_REJECT_NONPOSITIVE;
	if (hb && ha && q->bid > q->ask)
		return FEED_REJECT_CROSSED;
	if (cfg->max_age_ns && now_wall_ns > q->exch_ts_ns &&
	    now_wall_ns - q->exch_ts_ns > cfg->max_age_ns)
		return FEED_REJECT_STALE;
	if (q->src_seq && st->src_seq && q->src_seq <= st->src_seq)
		return FEED_REJECT_SEQ_BACKWARDS;

	/* Every price present is now >= 0, so the mark is too. */
	int64_t mark = feed_quote_mark(q);
	if (cfg->jump_atr_k100 && st->atr > 0 && (st->flags & FEED_ST_HAS_MARK)) {
		/* diff × 100 > k100 × atr, exact: both sides fit 128 bits */
		unsigned __int128 lhs = (unsigned __int128)dist(mark, st->mark) * 100u;
		unsigned __int128 rhs = (unsigned __int128)cfg->jump_atr_k100 * (uint64_t)st->atr;
		if (lhs > rhs) {
			if (!cfg->jump_confirm || st->jump_streak < cfg->jump_confirm) {
				if (st->jump_streak < UINT32_MAX)
					st->jump_streak++;
				return FEED_REJECT_JUMP;
			}
			/* confirmed: the market really moved; re-anchor below */
		}
	}

	if (hb) {
		st->bid = q->bid;
		st->flags |= FEED_ST_HAS_BID;
	}
	if (ha) {
		st->ask = q->ask;
		st->flags |= FEED_ST_HAS_ASK;
	}
	if (hl) {
		st->last = q->last;
		st->flags |= FEED_ST_HAS_LAST;
	}
	st->mark = mark;
	st->flags |= FEED_ST_HAS_MARK;
	if (q->src_seq)
		st->src_seq = q->src_seq;
	st->exch_ts_ns = q->exch_ts_ns;
	st->jump_streak = 0;
	return FEED_REJECT_OK;
}

void feed_instr_state_reset_seq(struct feed_instr_state *st, size_t n)
{
	for (size_t i = 0; i < n; i++)
		st[i].src_seq = 0;
}

static const char *const reject_names[FEED_REJECT__COUNT] = {
	[FEED_REJECT_OK] = "accepted",
	[FEED_REJECT_UNKNOWN_INSTRUMENT] = "reject.unknown_instrument",
	[FEED_REJECT_MALFORMED] = "reject.malformed",
	[FEED_REJECT_NONFINITE] = "reject.nonfinite",
	[FEED_REJECT_EMPTY] = "reject.empty",
	[FEED_REJECT_NONPOSITIVE] = "reject.nonpositive",
	[FEED_REJECT_CROSSED] = "reject.crossed",
	[FEED_REJECT_STALE] = "reject.stale",
	[FEED_REJECT_SEQ_BACKWARDS] = "reject.seq_backwards",
	[FEED_REJECT_JUMP] = "reject.jump",
};

const char *feed_reject_name(unsigned int r)
{
	if (r >= FEED_REJECT__COUNT)
		return "reject.unknown";
	return reject_names[r];
}
