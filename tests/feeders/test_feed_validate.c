/* Quote validation: every reject reason at its exact boundary, the order of the
 * checks, state updates on acceptance and none on rejection, and the jump filter's
 * ATR arithmetic and confirmation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "feeders/feed_validate.h"
#include "shm/shm_price.h"

#include <string.h>

#define PX(d) ((int64_t)(d)*PRICE_SCALE)
#define CENT (PRICE_SCALE / 100)
#define NOW 1776090600000000000ull
#define SEC 1000000000ull

static const struct feed_validate_cfg cfg_default = {
	.max_age_ns = 5 * SEC,
	.jump_atr_k100 = 300, /* 3 ATR */
	.jump_confirm = 0,
	.allow_zero_bid = 1,
};

static struct feed_quote_in quote(int64_t bid, int64_t ask, int64_t last, uint64_t seq)
{
	return (struct feed_quote_in){
		.bid = bid, .ask = ask, .last = last, .src_seq = seq, .exch_ts_ns = NOW - SEC};
}

static enum feed_reject check(const struct feed_validate_cfg *cfg, struct feed_instr_state *st,
			      struct feed_quote_in q)
{
	return feed_validate_quote(cfg, st, &q, NOW);
}

/* Validate and assert that a rejection left the state byte-for-byte untouched. */
static enum feed_reject check_untouched(const struct feed_validate_cfg *cfg,
					struct feed_instr_state *st, struct feed_quote_in q)
{
	struct feed_instr_state before = *st;
	enum feed_reject r = feed_validate_quote(cfg, st, &q, NOW);
	if (r != FEED_REJECT_OK && r != FEED_REJECT_JUMP)
		assert_memory_equal(&before, st, sizeof(before));
	return r;
}

static void test_validate_accepts_a_good_quote_and_records_it(void **state)
{
	(void)state;
	struct feed_instr_state st;
	memset(&st, 0, sizeof(st));
	struct feed_quote_in q = quote(PX(100), PX(100) + 2 * CENT, PX(100) + CENT, 7);
	assert_int_equal(feed_validate_quote(&cfg_default, &st, &q, NOW), FEED_REJECT_OK);
	assert_int_equal(st.bid, PX(100));
	assert_int_equal(st.ask, PX(100) + 2 * CENT);
	assert_int_equal(st.last, PX(100) + CENT);
	assert_int_equal(st.mark, PX(100) + CENT);
	assert_int_equal(st.src_seq, 7);
	assert_int_equal(st.exch_ts_ns, NOW - SEC);
	assert_int_equal(st.flags,
			 FEED_ST_HAS_BID | FEED_ST_HAS_ASK | FEED_ST_HAS_LAST | FEED_ST_HAS_MARK);
	/* a trade-only update keeps the last good bid and ask */
	q = quote(FEED_PRICE_ABSENT, FEED_PRICE_ABSENT, PX(101), 8);
	assert_int_equal(check(&cfg_default, &st, q), FEED_REJECT_OK);
	assert_int_equal(st.bid, PX(100));
	assert_int_equal(st.ask, PX(100) + 2 * CENT);
	assert_int_equal(st.last, PX(101));
	assert_int_equal(st.mark, PX(101));
}

static void test_validate_unknown_instrument_is_a_null_state(void **state)
{
	(void)state;
	struct feed_quote_in q = quote(PX(1), PX(2), PX(1), 1);
	assert_int_equal(feed_validate_quote(&cfg_default, NULL, &q, NOW),
			 FEED_REJECT_UNKNOWN_INSTRUMENT);
}

static void test_validate_rejects_a_nonfinite_price_first(void **state)
{
	(void)state;
	struct feed_instr_state st;
	memset(&st, 0, sizeof(st));
	struct feed_quote_in q = quote(PX(2), PX(1), FEED_PRICE_ABSENT, 1); /* also crossed */
	q.nonfinite = 1;
	assert_int_equal(check_untouched(&cfg_default, &st, q), FEED_REJECT_NONFINITE);
}

static void test_validate_rejects_a_quote_without_any_price(void **state)
{
	(void)state;
	struct feed_instr_state st;
	memset(&st, 0, sizeof(st));
	struct feed_quote_in q = quote(FEED_PRICE_ABSENT, FEED_PRICE_ABSENT, FEED_PRICE_ABSENT, 1);
	assert_int_equal(check_untouched(&cfg_default, &st, q), FEED_REJECT_EMPTY);
}

static void test_validate_rejects_nonpositive_ask_last_and_negative_bid(void **state)
{
	(void)state;
	struct feed_instr_state st;
	memset(&st, 0, sizeof(st));
	const int64_t A = FEED_PRICE_ABSENT;
	assert_int_equal(check_untouched(&cfg_default, &st, quote(A, 0, A, 1)),
			 FEED_REJECT_NONPOSITIVE);
	assert_int_equal(check_untouched(&cfg_default, &st, quote(A, -1, A, 1)),
			 FEED_REJECT_NONPOSITIVE);
	assert_int_equal(check_untouched(&cfg_default, &st, quote(A, A, 0, 1)),
			 FEED_REJECT_NONPOSITIVE);
	assert_int_equal(check_untouched(&cfg_default, &st, quote(-1, PX(1), A, 1)),
			 FEED_REJECT_NONPOSITIVE);
	assert_int_equal(check_untouched(&cfg_default, &st, quote(INT64_MIN + 1, PX(1), A, 1)),
			 FEED_REJECT_NONPOSITIVE);
	/* the smallest positive price is a price */
	assert_int_equal(check(&cfg_default, &st, quote(A, 1, 1, 2)), FEED_REJECT_OK);
}

static void test_validate_zero_bid_is_legal_only_when_configured(void **state)
{
	(void)state;
	struct feed_instr_state st;
	memset(&st, 0, sizeof(st));
	struct feed_validate_cfg stock = cfg_default;
	stock.allow_zero_bid = 0;
	struct feed_quote_in far_otm = quote(0, 5 * CENT, FEED_PRICE_ABSENT, 1);
	assert_int_equal(check_untouched(&stock, &st, far_otm), FEED_REJECT_NONPOSITIVE);
	assert_int_equal(check(&cfg_default, &st, far_otm), FEED_REJECT_OK);
	assert_int_equal(st.bid, 0);
	assert_true(st.flags & FEED_ST_HAS_BID);
	/* zero bid and zero ask: still no offer price */
	assert_int_equal(check_untouched(&cfg_default, &st, quote(0, 0, FEED_PRICE_ABSENT, 2)),
			 FEED_REJECT_NONPOSITIVE);
}

static void test_validate_crossed_is_bid_above_ask_and_locked_passes(void **state)
{
	(void)state;
	struct feed_instr_state st;
	memset(&st, 0, sizeof(st));
	const int64_t A = FEED_PRICE_ABSENT;
	assert_int_equal(check_untouched(&cfg_default, &st, quote(PX(10) + 1, PX(10), A, 1)),
			 FEED_REJECT_CROSSED);
	assert_int_equal(check(&cfg_default, &st, quote(PX(10), PX(10), A, 2)), FEED_REJECT_OK);
	/* one side absent can never be crossed */
	assert_int_equal(check(&cfg_default, &st, quote(PX(11), A, A, 3)), FEED_REJECT_OK);
	assert_int_equal(check(&cfg_default, &st, quote(A, PX(9), A, 4)), FEED_REJECT_OK);
}

static void test_validate_stale_starts_one_nanosecond_past_max_age(void **state)
{
	(void)state;
	struct feed_instr_state st;
	memset(&st, 0, sizeof(st));
	struct feed_quote_in q = quote(PX(10), PX(11), FEED_PRICE_ABSENT, 1);
	q.exch_ts_ns = NOW - 5 * SEC - 1;
	assert_int_equal(check_untouched(&cfg_default, &st, q), FEED_REJECT_STALE);
	q.exch_ts_ns = NOW - 5 * SEC; /* exactly max_age old */
	assert_int_equal(check(&cfg_default, &st, q), FEED_REJECT_OK);
	q.exch_ts_ns = NOW + SEC; /* ahead of our clock: not stale */
	q.src_seq = 2;
	assert_int_equal(check(&cfg_default, &st, q), FEED_REJECT_OK);
	q.exch_ts_ns = 0; /* no timestamp is infinitely old */
	q.src_seq = 3;
	assert_int_equal(check_untouched(&cfg_default, &st, q), FEED_REJECT_STALE);
	struct feed_validate_cfg no_age = cfg_default;
	no_age.max_age_ns = 0;
	assert_int_equal(check(&no_age, &st, q), FEED_REJECT_OK);
}

static void test_validate_sequence_must_move_forward(void **state)
{
	(void)state;
	struct feed_instr_state st;
	memset(&st, 0, sizeof(st));
	const int64_t A = FEED_PRICE_ABSENT;
	assert_int_equal(check(&cfg_default, &st, quote(PX(10), PX(11), A, 100)), FEED_REJECT_OK);
	assert_int_equal(check_untouched(&cfg_default, &st, quote(PX(10), PX(11), A, 99)),
			 FEED_REJECT_SEQ_BACKWARDS);
	assert_int_equal(check_untouched(&cfg_default, &st, quote(PX(10), PX(11), A, 100)),
			 FEED_REJECT_SEQ_BACKWARDS); /* a replayed message */
	assert_int_equal(check(&cfg_default, &st, quote(PX(10), PX(11), A, 101)), FEED_REJECT_OK);
	/* a source without sequence numbers is not judged, and does not reset it */
	assert_int_equal(check(&cfg_default, &st, quote(PX(10), PX(11), A, 0)), FEED_REJECT_OK);
	assert_int_equal(st.src_seq, 101);
	/* a new feed session restarts the numbers */
	feed_instr_state_reset_seq(&st, 1);
	assert_int_equal(check(&cfg_default, &st, quote(PX(10), PX(11), A, 1)), FEED_REJECT_OK);
	assert_int_equal(st.src_seq, 1);
}

static void test_validate_jump_of_exactly_k_atr_passes_one_tick_more_rejects(void **state)
{
	(void)state;
	struct feed_instr_state st;
	memset(&st, 0, sizeof(st));
	const int64_t A = FEED_PRICE_ABSENT;
	st.atr = PX(2); /* 3 ATR = $6 */
	assert_int_equal(check(&cfg_default, &st, quote(A, A, PX(100), 1)), FEED_REJECT_OK);
	assert_int_equal(check_untouched(&cfg_default, &st, quote(A, A, PX(106) + 1, 2)),
			 FEED_REJECT_JUMP);
	assert_int_equal(check_untouched(&cfg_default, &st, quote(A, A, PX(94) - 1, 2)),
			 FEED_REJECT_JUMP);
	assert_int_equal(st.mark, PX(100));
	assert_int_equal(st.src_seq, 1);
	assert_int_equal(check(&cfg_default, &st, quote(A, A, PX(106), 2)), FEED_REJECT_OK);
	assert_int_equal(check(&cfg_default, &st, quote(A, A, PX(100), 3)), FEED_REJECT_OK);
	assert_int_equal(check(&cfg_default, &st, quote(A, A, PX(94), 4)), FEED_REJECT_OK);
	/* the mark of a two-sided quote is its mid: 94 -> mid 100 is exactly 3 ATR */
	assert_int_equal(check(&cfg_default, &st, quote(PX(99), PX(101), A, 5)), FEED_REJECT_OK);
	assert_int_equal(st.mark, PX(100));
	assert_int_equal(check_untouched(&cfg_default, &st, quote(PX(106), PX(106) + 2, A, 6)),
			 FEED_REJECT_JUMP); /* mid 106 + 1e-8 */
}

static void test_validate_jump_threshold_is_exact_for_fractional_k(void **state)
{
	(void)state;
	struct feed_instr_state st;
	memset(&st, 0, sizeof(st));
	const int64_t A = FEED_PRICE_ABSENT;
	struct feed_validate_cfg cfg = cfg_default;
	cfg.jump_atr_k100 = 250; /* 2.5 ATR */
	st.atr = 3 * CENT + 1; /* 2.5 × ATR = 7.5 cents + 2.5e-8: not a whole tick */
	assert_int_equal(check(&cfg, &st, quote(A, A, PX(1), 1)), FEED_REJECT_OK);
	/* 7.5c + 2e-8 is within 7.5c + 2.5e-8; 7.5c + 3e-8 is beyond */
	assert_int_equal(check_untouched(&cfg, &st, quote(A, A, PX(1) + 15 * CENT / 2 + 3, 2)),
			 FEED_REJECT_JUMP);
	assert_int_equal(check(&cfg, &st, quote(A, A, PX(1) + 15 * CENT / 2 + 2, 2)),
			 FEED_REJECT_OK);
	/* extreme prices and ATR do not overflow the comparison */
	memset(&st, 0, sizeof(st));
	st.atr = INT64_MAX;
	cfg.jump_atr_k100 = UINT32_MAX;
	assert_int_equal(check(&cfg, &st, quote(A, A, 1, 1)), FEED_REJECT_OK);
	assert_int_equal(check(&cfg, &st, quote(A, A, INT64_MAX, 2)), FEED_REJECT_OK);
	st.atr = 1;
	cfg.jump_atr_k100 = 1;
	assert_int_equal(check_untouched(&cfg, &st, quote(A, A, 1, 3)), FEED_REJECT_JUMP);
}

static void test_validate_jump_check_is_skipped_while_atr_is_unknown(void **state)
{
	(void)state;
	struct feed_instr_state st;
	memset(&st, 0, sizeof(st));
	const int64_t A = FEED_PRICE_ABSENT;
	assert_int_equal(check(&cfg_default, &st, quote(A, A, PX(100), 1)), FEED_REJECT_OK);
	assert_int_equal(check(&cfg_default, &st, quote(A, A, PX(1000), 2)), FEED_REJECT_OK);
	/* k = 0 disables it too */
	struct feed_validate_cfg off = cfg_default;
	off.jump_atr_k100 = 0;
	st.atr = 1;
	assert_int_equal(check(&off, &st, quote(A, A, PX(1), 3)), FEED_REJECT_OK);
	/* and the very first quote has nothing to jump from */
	memset(&st, 0, sizeof(st));
	st.atr = 1;
	assert_int_equal(check(&cfg_default, &st, quote(A, A, PX(5000), 1)), FEED_REJECT_OK);
}

static void test_validate_confirmed_jump_re_anchors_after_n_rejections(void **state)
{
	(void)state;
	struct feed_instr_state st;
	memset(&st, 0, sizeof(st));
	const int64_t A = FEED_PRICE_ABSENT;
	struct feed_validate_cfg cfg = cfg_default;
	cfg.jump_confirm = 3;
	st.atr = PX(1);
	assert_int_equal(check(&cfg, &st, quote(A, A, PX(100), 1)), FEED_REJECT_OK);
	assert_int_equal(check(&cfg, &st, quote(A, A, PX(80), 2)), FEED_REJECT_JUMP);
	assert_int_equal(check(&cfg, &st, quote(A, A, PX(80), 3)), FEED_REJECT_JUMP);
	assert_int_equal(st.jump_streak, 2);
	assert_int_equal(check(&cfg, &st, quote(A, A, PX(100), 4)), FEED_REJECT_OK); /* a blip */
	assert_int_equal(st.jump_streak, 0);
	for (uint64_t s = 5; s < 8; s++)
		assert_int_equal(check(&cfg, &st, quote(A, A, PX(80), s)), FEED_REJECT_JUMP);
	assert_int_equal(st.jump_streak, 3);
	assert_int_equal(check(&cfg, &st, quote(A, A, PX(79), 8)), FEED_REJECT_OK); /* moved */
	assert_int_equal(st.mark, PX(79));
	assert_int_equal(st.jump_streak, 0);
	assert_int_equal(check(&cfg, &st, quote(A, A, PX(80), 9)), FEED_REJECT_OK);
	/* other rejections neither count nor reset the streak */
	assert_int_equal(check(&cfg, &st, quote(A, A, PX(60), 10)), FEED_REJECT_JUMP);
	assert_int_equal(check(&cfg, &st, quote(PX(61), PX(60), A, 11)), FEED_REJECT_CROSSED);
	assert_int_equal(st.jump_streak, 1);
	/* confirm = 0: a jump is rejected for ever */
	cfg.jump_confirm = 0;
	for (uint64_t s = 12; s < 100; s++)
		assert_int_equal(check(&cfg, &st, quote(A, A, PX(60), s)), FEED_REJECT_JUMP);
}

static void test_validate_checks_run_in_the_documented_order(void **state)
{
	(void)state;
	struct feed_instr_state st;
	memset(&st, 0, sizeof(st));
	const int64_t A = FEED_PRICE_ABSENT;
	st.atr = 1;
	assert_int_equal(check(&cfg_default, &st, quote(PX(10), PX(11), A, 50)), FEED_REJECT_OK);
	/* crossed + non-positive: non-positive first */
	assert_int_equal(check(&cfg_default, &st, quote(PX(1), -5, A, 1)), FEED_REJECT_NONPOSITIVE);
	/* crossed + stale + backwards + jump: crossed */
	struct feed_quote_in q = quote(PX(30), PX(20), A, 1);
	q.exch_ts_ns = 1;
	assert_int_equal(check(&cfg_default, &st, q), FEED_REJECT_CROSSED);
	/* stale + backwards + jump: stale */
	q = quote(PX(20), PX(30), A, 1);
	q.exch_ts_ns = 1;
	assert_int_equal(check(&cfg_default, &st, q), FEED_REJECT_STALE);
	/* backwards + jump: backwards */
	assert_int_equal(check(&cfg_default, &st, quote(PX(20), PX(30), A, 1)),
			 FEED_REJECT_SEQ_BACKWARDS);
	assert_int_equal(check(&cfg_default, &st, quote(PX(20), PX(30), A, 51)), FEED_REJECT_JUMP);
}

static void test_validate_mark_prefers_mid_then_last_then_one_side(void **state)
{
	(void)state;
	const int64_t A = FEED_PRICE_ABSENT;
	struct feed_quote_in q = quote(PX(10), PX(11), PX(50), 1);
	assert_int_equal(feed_quote_mark(&q), PX(10) + 50 * CENT);
	q = quote(1, 2, A, 1);
	assert_int_equal(feed_quote_mark(&q), 1); /* floor */
	q = quote(INT64_MAX - 1, INT64_MAX, A, 1);
	assert_int_equal(feed_quote_mark(&q), INT64_MAX - 1); /* no overflow */
	q = quote(PX(10), A, PX(50), 1);
	assert_int_equal(feed_quote_mark(&q), PX(50));
	q = quote(PX(10), A, A, 1);
	assert_int_equal(feed_quote_mark(&q), PX(10));
	q = quote(A, PX(11), A, 1);
	assert_int_equal(feed_quote_mark(&q), PX(11));
	q = quote(A, A, A, 1);
	assert_true(feed_quote_mark(&q) == FEED_PRICE_ABSENT);
}

static void test_validate_reasons_have_counter_labels(void **state)
{
	(void)state;
	assert_string_equal(feed_reject_name(FEED_REJECT_OK), "accepted");
	assert_string_equal(feed_reject_name(FEED_REJECT_CROSSED), "reject.crossed");
	assert_string_equal(feed_reject_name(FEED_REJECT_JUMP), "reject.jump");
	assert_string_equal(feed_reject_name(FEED_REJECT_MALFORMED), "reject.malformed");
	for (unsigned i = 1; i < FEED_REJECT__COUNT; i++) {
		assert_true(strncmp(feed_reject_name(i), "reject.", 7) == 0);
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(feed_reject_name(i), feed_reject_name(j));
	}
	assert_string_equal(feed_reject_name(FEED_REJECT__COUNT), "reject.unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_accepts_a_good_quote_and_records_it),
		cmocka_unit_test(test_validate_unknown_instrument_is_a_null_state),
		cmocka_unit_test(test_validate_rejects_a_nonfinite_price_first),
		cmocka_unit_test(test_validate_rejects_a_quote_without_any_price),
		cmocka_unit_test(test_validate_rejects_nonpositive_ask_last_and_negative_bid),
		cmocka_unit_test(test_validate_zero_bid_is_legal_only_when_configured),
		cmocka_unit_test(test_validate_crossed_is_bid_above_ask_and_locked_passes),
		cmocka_unit_test(test_validate_stale_starts_one_nanosecond_past_max_age),
		cmocka_unit_test(test_validate_sequence_must_move_forward),
		cmocka_unit_test(test_validate_jump_of_exactly_k_atr_passes_one_tick_more_rejects),
		cmocka_unit_test(test_validate_jump_threshold_is_exact_for_fractional_k),
		cmocka_unit_test(test_validate_jump_check_is_skipped_while_atr_is_unknown),
		cmocka_unit_test(test_validate_confirmed_jump_re_anchors_after_n_rejections),
		cmocka_unit_test(test_validate_checks_run_in_the_documented_order),
		cmocka_unit_test(test_validate_mark_prefers_mid_then_last_then_one_side),
		cmocka_unit_test(test_validate_reasons_have_counter_labels),
	};
	return cmocka_run_group_tests_name("feed_validate", tests, NULL, NULL);
}
