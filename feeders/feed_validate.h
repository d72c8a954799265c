/*
 * feed_validate.h — the checks a decoded quote passes before it reaches the board.
 *
 * The feeder keeps one struct feed_instr_state per instrument in a flat array
 * indexed by instrument id (zero-initialised = nothing known yet), and calls
 * feed_validate_quote() for every quote of a known instrument. Accepting updates the
 * state; a rejection leaves it untouched (except jump_streak, see JUMP below).
 *
 * Checks, in this order (the first failing one is the reason; docs/feed-wire.md):
 *   UNKNOWN_INSTRUMENT  st == NULL (the feeder found no directory entry)
 *   NONFINITE           q->nonfinite (a text source said nan / inf)
 *   EMPTY               bid, ask and last all absent
 *   NONPOSITIVE         ask <= 0 or last <= 0 (when present); bid < 0, or bid == 0
 *                       unless cfg->allow_zero_bid (far out-of-the-money options)
 *   CROSSED             bid > ask, both present (bid == ask, locked, passes)
 *   STALE               max_age_ns != 0 and now - exch_ts > max_age_ns (age exactly
 *                       max_age passes; a timestamp in the future passes)
 *   SEQ_BACKWARDS       src_seq != 0, a previous accepted src_seq != 0, and
 *                       src_seq <= it (equal is a replayed message: applied once)
 *   JUMP                |mark - last good mark| × 100 > jump_atr_k100 × atr, where
 *                       mark = mid if bid and ask present, else last, else the one
 *                       side present; skipped while atr == 0 (unknown), with no
 *                       previous mark, or when jump_atr_k100 == 0. Exactly k × ATR
 *                       passes. After jump_confirm consecutive JUMP rejections the
 *                       next out-of-band quote is accepted as the new level (a real
 *                       gap must not freeze an instrument); 0 = never.
 * MALFORMED is never returned here: the feeder counts decoder refusals under it.
 *
 * Prices are int64 × 10^8 (shm/shm_price.h), FEED_PRICE_ABSENT = absent. Pure
 * function of its arguments: no allocation, syscall, clock read or logging.
 */
#ifndef FEED_VALIDATE_H
#define FEED_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#define FEED_PRICE_ABSENT INT64_MIN

enum feed_reject {
	FEED_REJECT_OK = 0,
	FEED_REJECT_UNKNOWN_INSTRUMENT,
	FEED_REJECT_MALFORMED,
	FEED_REJECT_NONFINITE,
	FEED_REJECT_EMPTY,
	FEED_REJECT_NONPOSITIVE,
	FEED_REJECT_CROSSED,
	FEED_REJECT_STALE,
	FEED_REJECT_SEQ_BACKWARDS,
	FEED_REJECT_JUMP,
	FEED_REJECT__COUNT
};

struct feed_validate_cfg {
	uint64_t max_age_ns; /* stale when older than this; 0 disables */
	uint32_t jump_atr_k100; /* k × 100 (250 = 2.5 ATR); 0 disables the jump check */
	uint32_t jump_confirm; /* accept after this many consecutive JUMPs; 0 = never */
	uint8_t allow_zero_bid; /* 1: bid 0 is a price (options); 0: bid must be > 0 */
};

/* flags of struct feed_instr_state */
#define FEED_ST_HAS_BID 0x1u
#define FEED_ST_HAS_ASK 0x2u
#define FEED_ST_HAS_LAST 0x4u
#define FEED_ST_HAS_MARK 0x8u

/* Per-instrument validation state, owned by the feeder (process-local). Zero = new. */
struct feed_instr_state {
	int64_t bid; /* last good bid (price × 10^8), valid if FEED_ST_HAS_BID */
	int64_t ask; /* last good ask, FEED_ST_HAS_ASK */
	int64_t last; /* last good trade price, FEED_ST_HAS_LAST */
	int64_t mark; /* reference price of the last accepted quote, FEED_ST_HAS_MARK */
	int64_t atr; /* price × 10^8, 0 = unknown; the feeder copies it from the ATR table */
	uint64_t src_seq; /* last accepted source sequence, 0 = none */
	uint64_t exch_ts_ns; /* exchange time of the last accepted quote */
	uint32_t jump_streak; /* consecutive JUMP rejections since the last acceptance */
	uint32_t flags; /* FEED_ST_HAS_* */
};
_Static_assert(sizeof(struct feed_instr_state) == 64, "one cache line per instrument");

/* A quote to validate, from any source. */
struct feed_quote_in {
	int64_t bid; /* price × 10^8, FEED_PRICE_ABSENT = absent */
	int64_t ask;
	int64_t last;
	uint64_t src_seq; /* source sequence (wire message sequence, replay line); 0 = none */
	uint64_t exch_ts_ns; /* ns since the Unix epoch */
	uint8_t nonfinite; /* 1: a price was nan/inf in the source text */
};

/* Validate q against st and cfg at wall time now_wall_ns (replay: the quote clock).
 * FEED_REJECT_OK: accepted, st updated (present prices, mark, src_seq, exch_ts,
 * jump_streak = 0). Anything else: the reason; st untouched but for jump_streak. */
enum feed_reject feed_validate_quote(const struct feed_validate_cfg *cfg,
				     struct feed_instr_state *st, const struct feed_quote_in *q,
				     uint64_t now_wall_ns);

/* Mark (reference price) of q as the jump check sees it: mid if both sides, else
 * last, else the side present; FEED_PRICE_ABSENT if none. q must not be crossed. */
int64_t feed_quote_mark(const struct feed_quote_in *q);

/* Forget the source sequence of n states: call on a feed session change, whose
 * sequence numbers restart (otherwise every quote would be SEQ_BACKWARDS). */
void feed_instr_state_reset_seq(struct feed_instr_state *st, size_t n);

/* Counter label: "reject.crossed", "reject.jump", ...; "accepted" for OK,
 * "reject.unknown" out of range. */
const char *feed_reject_name(unsigned int r);

#endif
