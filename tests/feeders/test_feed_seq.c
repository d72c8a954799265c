/* Sequence tracking: in order, gaps, duplicates, partial overlap, late packets that
 * fill holes, the window edge, session changes, heartbeats, end of session, and an
 * A/B-line property test where every message must come out exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "feeders/feed_seq.h"

#include <stdlib.h>
#include <string.h>

#define S1 "SESSION001"
#define S2 "SESSION002"

/* What the feeder does with a verdict: returns how many messages were delivered and
 * records which sequence numbers (in order) into out[] when given. */
static uint32_t run(struct feed_seq *t, const char *session, uint64_t seq, uint32_t count,
		    uint64_t *out, struct feed_seq_verdict *vout)
{
	struct feed_seq_verdict v;
	int a = feed_seq_packet(t, session, FEED_WIRE_PKT_DATA, seq, count, &v);
	assert_int_equal(a, v.action);
	assert_true(v.skip <= v.end && v.end <= count);
	uint32_t n = 0;
	if (a != FEED_SEQ_DROP) {
		for (uint32_t i = v.skip; i < v.end; i++) {
			if (a == FEED_SEQ_DELIVER_LATE && !feed_seq_take(t, seq + i))
				continue;
			if (out)
				out[n] = seq + i;
			n++;
		}
	}
	if (vout)
		*vout = v;
	return n;
}

static int control(struct feed_seq *t, const char *session, uint8_t pkt, uint64_t seq)
{
	struct feed_seq_verdict v;
	int a = feed_seq_packet(t, session, pkt, seq, 0, &v);
	assert_int_equal(a, FEED_SEQ_DROP);
	return a;
}

static void test_seq_in_order_packets_deliver_everything_and_count_nothing_else(void **state)
{
	(void)state;
	struct feed_seq t;
	feed_seq_init(&t);
	struct feed_seq_verdict v;
	assert_int_equal(run(&t, S1, 1, 3, NULL, &v), 3);
	assert_int_equal(v.action, FEED_SEQ_DELIVER);
	assert_int_equal(v.skip, 0);
	assert_int_equal(v.end, 3);
	assert_int_equal(run(&t, S1, 4, 1, NULL, NULL), 1);
	assert_int_equal(run(&t, S1, 5, 10, NULL, NULL), 10);
	assert_int_equal(t.next, 15);
	assert_int_equal(t.st.packets, 3);
	assert_int_equal(t.st.msgs_new, 14);
	assert_int_equal(t.st.gap_events + t.st.gap_msgs + t.st.dup_packets + t.st.dup_msgs +
				 t.st.overlap_packets + t.st.reorder_packets + t.st.reordered_msgs +
				 t.st.too_old_msgs + t.st.session_changes,
			 0);
}

static void test_seq_first_packet_adopts_the_session_mid_stream_without_a_gap(void **state)
{
	(void)state;
	struct feed_seq t;
	feed_seq_init(&t);
	assert_int_equal(run(&t, S1, 5000, 2, NULL, NULL), 2);
	assert_int_equal(t.st.gap_events, 0);
	assert_int_equal(t.st.session_changes, 0);
	/* what came before the join is "already seen", not a hole to fill */
	assert_int_equal(run(&t, S1, 4990, 5, NULL, NULL), 0);
	assert_int_equal(t.st.dup_packets, 1);
	assert_int_equal(t.st.reordered_msgs, 0);
}

static void test_seq_gap_is_counted_and_the_packet_delivered(void **state)
{
	(void)state;
	struct feed_seq t;
	feed_seq_init(&t);
	run(&t, S1, 1, 5, NULL, NULL);
	struct feed_seq_verdict v;
	assert_int_equal(run(&t, S1, 9, 2, NULL, &v), 2); /* 6, 7, 8 missing */
	assert_int_equal(v.action, FEED_SEQ_DELIVER);
	assert_int_equal(t.st.gap_events, 1);
	assert_int_equal(t.st.gap_msgs, 3);
	assert_int_equal(t.next, 11);
	run(&t, S1, 20, 1, NULL, NULL); /* 11..19 */
	assert_int_equal(t.st.gap_events, 2);
	assert_int_equal(t.st.gap_msgs, 12);
}

static void test_seq_duplicate_packet_is_dropped_and_counted(void **state)
{
	(void)state;
	struct feed_seq t;
	feed_seq_init(&t);
	run(&t, S1, 1, 5, NULL, NULL);
	run(&t, S1, 6, 5, NULL, NULL);
	struct feed_seq_verdict v;
	assert_int_equal(run(&t, S1, 6, 5, NULL, &v), 0);
	assert_int_equal(v.action, FEED_SEQ_DROP);
	assert_int_equal(run(&t, S1, 2, 3, NULL, NULL), 0); /* inside an older packet */
	assert_int_equal(t.st.dup_packets, 2);
	assert_int_equal(t.st.dup_msgs, 8);
	assert_int_equal(t.st.msgs_new, 10);
	assert_int_equal(t.next, 11);
}

static void test_seq_partial_overlap_delivers_only_the_new_tail(void **state)
{
	(void)state;
	struct feed_seq t;
	feed_seq_init(&t);
	run(&t, S1, 1, 10, NULL, NULL);
	uint64_t got[16];
	struct feed_seq_verdict v;
	assert_int_equal(run(&t, S1, 8, 6, got, &v), 3); /* 8, 9, 10 seen; 11..13 new */
	assert_int_equal(v.action, FEED_SEQ_DELIVER);
	assert_int_equal(v.skip, 3);
	assert_int_equal(got[0], 11);
	assert_int_equal(got[2], 13);
	assert_int_equal(t.st.overlap_packets, 1);
	assert_int_equal(t.st.dup_msgs, 3);
	assert_int_equal(t.st.gap_events, 0);
	assert_int_equal(t.next, 14);
}

static void test_seq_late_packet_filling_a_hole_is_delivered_as_reordered(void **state)
{
	(void)state;
	struct feed_seq t;
	feed_seq_init(&t);
	run(&t, S1, 1, 3, NULL, NULL);
	run(&t, S1, 7, 3, NULL, NULL); /* 4, 5, 6 missing */
	uint64_t got[8];
	struct feed_seq_verdict v;
	assert_int_equal(run(&t, S1, 4, 3, got, &v), 3);
	assert_int_equal(v.action, FEED_SEQ_DELIVER_LATE);
	assert_int_equal(got[0], 4);
	assert_int_equal(got[2], 6);
	assert_int_equal(t.st.reorder_packets, 1);
	assert_int_equal(t.st.reordered_msgs, 3);
	assert_int_equal(t.st.gap_msgs, 3);
	assert_int_equal(t.next, 10);
	/* the same late packet again is now a plain duplicate */
	assert_int_equal(run(&t, S1, 4, 3, NULL, &v), 0);
	assert_int_equal(v.action, FEED_SEQ_DROP);
	assert_int_equal(t.st.dup_packets, 1);
	assert_int_equal(t.st.msgs_new, 9);
}

static void test_seq_late_packet_mixing_seen_and_missing_delivers_exactly_the_missing(void **state)
{
	(void)state;
	struct feed_seq t;
	feed_seq_init(&t);
	run(&t, S1, 1, 2, NULL, NULL);
	run(&t, S1, 4, 2, NULL, NULL); /* 3 missing */
	run(&t, S1, 7, 2, NULL, NULL); /* 6 missing */
	uint64_t got[8];
	struct feed_seq_verdict v;
	assert_int_equal(run(&t, S1, 2, 6, got, &v), 2); /* 2..7: 3 and 6 are new */
	assert_int_equal(v.action, FEED_SEQ_DELIVER_LATE);
	assert_int_equal(v.skip, 1);
	assert_int_equal(got[0], 3);
	assert_int_equal(got[1], 6);
	assert_int_equal(t.st.reordered_msgs, 2);
	assert_int_equal(t.st.dup_msgs, 4); /* 2 (skipped), 4, 5, 7 */
	assert_int_equal(t.next, 9);
}

static void test_seq_late_packet_reaching_beyond_next_delivers_holes_and_the_tail(void **state)
{
	(void)state;
	struct feed_seq t;
	feed_seq_init(&t);
	run(&t, S1, 1, 5, NULL, NULL);
	run(&t, S1, 7, 3, NULL, NULL); /* 6 missing, next 10 */
	uint64_t got[16];
	struct feed_seq_verdict v;
	assert_int_equal(run(&t, S1, 5, 10, got, &v), 6); /* 5..14 */
	assert_int_equal(v.action, FEED_SEQ_DELIVER_LATE);
	assert_int_equal(v.skip, 1);
	assert_int_equal(got[0], 6);
	assert_int_equal(got[1], 10);
	assert_int_equal(got[5], 14);
	assert_int_equal(t.st.reordered_msgs, 1);
	assert_int_equal(t.st.msgs_new, 8 + 1 + 5);
	assert_int_equal(t.next, 15);
	assert_int_equal(run(&t, S1, 15, 1, NULL, NULL), 1);
	assert_int_equal(t.st.gap_events, 1);
}

static void test_seq_window_edge_separates_late_from_too_old(void **state)
{
	(void)state;
	struct feed_seq t;
	feed_seq_init(&t);
	run(&t, S1, 1, 1, NULL, NULL);
	run(&t, S1, 3, 1, NULL, NULL); /* 2 missing */
	run(&t, S1, 4, FEED_SEQ_WINDOW - 2, NULL, NULL);
	assert_int_equal(t.next, FEED_SEQ_WINDOW + 2); /* window [2, W+2): 2 still known */
	struct feed_seq_verdict v;
	assert_int_equal(run(&t, S1, 2, 1, NULL, &v), 1);
	assert_int_equal(v.action, FEED_SEQ_DELIVER_LATE);
	assert_int_equal(t.st.reordered_msgs, 1);

	feed_seq_init(&t);
	run(&t, S1, 1, 1, NULL, NULL);
	run(&t, S1, 3, 1, NULL, NULL);
	run(&t, S1, 4, FEED_SEQ_WINDOW - 1, NULL, NULL);
	assert_int_equal(t.next, FEED_SEQ_WINDOW + 3); /* window [3, W+3): 2 slid out */
	assert_int_equal(run(&t, S1, 2, 1, NULL, &v), 0);
	assert_int_equal(v.action, FEED_SEQ_DROP);
	assert_int_equal(t.st.too_old_msgs, 1);
	assert_int_equal(t.st.reordered_msgs, 0);
	/* a gap wider than the window: holes beyond reach are simply too old later */
	run(&t, S1, t.next + 3 * FEED_SEQ_WINDOW, 1, NULL, NULL);
	assert_int_equal(t.st.gap_msgs, 1 + 3 * FEED_SEQ_WINDOW);
	assert_int_equal(run(&t, S1, t.next - 2, 1, NULL, &v), 1);
	assert_int_equal(v.action, FEED_SEQ_DELIVER_LATE);
	assert_int_equal(run(&t, S1, t.next - FEED_SEQ_WINDOW - 1, 1, NULL, NULL), 0);
	assert_int_equal(t.st.too_old_msgs, 2);
}

static void test_seq_new_session_name_resets_and_counts_a_change(void **state)
{
	(void)state;
	struct feed_seq t;
	feed_seq_init(&t);
	run(&t, S1, 1, 1000, NULL, NULL);
	struct feed_seq_verdict v;
	assert_int_equal(run(&t, S2, 1, 5, NULL, &v), 5);
	assert_int_equal(v.action, FEED_SEQ_DELIVER);
	assert_int_equal(t.st.session_changes, 1);
	assert_int_equal(t.st.gap_events, 0);
	assert_int_equal(t.st.dup_packets, 0);
	assert_int_equal(t.next, 6);
	assert_memory_equal(t.session, S2, FEED_WIRE_SESSION_LEN);
	/* a straggler of the old session does not flip back */
	assert_int_equal(run(&t, S1, 1001, 3, NULL, &v), 0);
	assert_int_equal(v.action, FEED_SEQ_DROP);
	assert_int_equal(t.st.stale_session_packets, 1);
	assert_int_equal(t.st.session_changes, 1);
	assert_int_equal(run(&t, S2, 6, 1, NULL, NULL), 1);
	/* a third session is a change again, counted */
	assert_int_equal(run(&t, "SESSION003", 40, 1, NULL, NULL), 1);
	assert_int_equal(t.st.session_changes, 2);
	assert_int_equal(t.st.gap_events, 0);
}

static void test_seq_heartbeat_beyond_next_reveals_a_gap(void **state)
{
	(void)state;
	struct feed_seq t;
	feed_seq_init(&t);
	run(&t, S1, 1, 5, NULL, NULL);
	control(&t, S1, FEED_WIRE_PKT_HEARTBEAT, 6); /* in step */
	assert_int_equal(t.st.gap_events, 0);
	control(&t, S1, FEED_WIRE_PKT_HEARTBEAT, 4); /* old heartbeat: nothing */
	assert_int_equal(t.next, 6);
	control(&t, S1, FEED_WIRE_PKT_HEARTBEAT, 9); /* 6, 7, 8 were lost */
	assert_int_equal(t.st.heartbeats, 3);
	assert_int_equal(t.st.gap_events, 1);
	assert_int_equal(t.st.gap_msgs, 3);
	assert_int_equal(t.next, 9);
	struct feed_seq_verdict v;
	assert_int_equal(run(&t, S1, 6, 3, NULL, &v), 3); /* they arrive late after all */
	assert_int_equal(v.action, FEED_SEQ_DELIVER_LATE);
	assert_int_equal(t.st.reordered_msgs, 3);
	/* a heartbeat may be the first packet of a session */
	feed_seq_init(&t);
	control(&t, S1, FEED_WIRE_PKT_HEARTBEAT, 77);
	assert_int_equal(t.next, 77);
	assert_int_equal(run(&t, S1, 77, 1, NULL, NULL), 1);
	assert_int_equal(t.st.gap_events, 0);
}

static void test_seq_end_of_session_drops_what_follows_and_keeps_late_fills(void **state)
{
	(void)state;
	struct feed_seq t;
	feed_seq_init(&t);
	run(&t, S1, 1, 5, NULL, NULL);
	run(&t, S1, 8, 3, NULL, NULL); /* 6, 7 missing; next 11 */
	control(&t, S1, FEED_WIRE_PKT_END, 13); /* 11, 12 were lost too */
	assert_int_equal(t.st.end_of_session, 1);
	assert_int_equal(t.st.gap_events, 2);
	assert_int_equal(t.st.gap_msgs, 4);
	assert_int_equal(t.end_seq, 13);
	control(&t, S1, FEED_WIRE_PKT_END, 13); /* repeated: counted once */
	assert_int_equal(t.st.end_of_session, 1);
	struct feed_seq_verdict v;
	assert_int_equal(run(&t, S1, 6, 2, NULL, &v), 2); /* late fill before the end */
	assert_int_equal(v.action, FEED_SEQ_DELIVER_LATE);
	assert_int_equal(run(&t, S1, 12, 3, NULL, &v), 1); /* 12 fills; 13, 14 do not exist */
	assert_int_equal(v.end, 1);
	assert_int_equal(t.st.after_end_msgs, 2);
	assert_int_equal(run(&t, S1, 13, 2, NULL, &v), 0);
	assert_int_equal(v.action, FEED_SEQ_DROP);
	assert_int_equal(t.st.after_end_msgs, 4);
	control(&t, S1, FEED_WIRE_PKT_HEARTBEAT, 50); /* no gap past the end */
	assert_int_equal(t.st.gap_events, 2);
	/* the next session starts cleanly */
	assert_int_equal(run(&t, S2, 1, 2, NULL, NULL), 2);
	assert_int_equal(t.st.session_changes, 1);
	assert_int_equal(t.end_seq, 0);
}

static void test_seq_invalid_packets_are_dropped_and_counted(void **state)
{
	(void)state;
	struct feed_seq t;
	feed_seq_init(&t);
	struct feed_seq_verdict v;
	assert_int_equal(feed_seq_packet(&t, S1, FEED_WIRE_PKT_DATA, 0, 1, &v), FEED_SEQ_DROP);
	assert_int_equal(feed_seq_packet(&t, S1, FEED_WIRE_PKT_DATA, 1, 0, &v), FEED_SEQ_DROP);
	assert_int_equal(feed_seq_packet(&t, S1, FEED_WIRE_PKT_DATA, UINT64_MAX, 1, &v),
			 FEED_SEQ_DROP);
	assert_int_equal(feed_seq_packet(&t, S1, FEED_WIRE_PKT_DATA, 1, 0x10000, &v),
			 FEED_SEQ_DROP);
	assert_int_equal(feed_seq_packet(&t, S1, 9, 1, 1, &v), FEED_SEQ_DROP);
	assert_int_equal(feed_seq_packet(&t, S1, FEED_WIRE_PKT_HEARTBEAT, 0, 0, &v), FEED_SEQ_DROP);
	assert_int_equal(t.st.invalid_packets, 6);
	assert_int_equal(t.has_session, 0);
	assert_int_equal(run(&t, S1, UINT64_MAX - 1, 1, NULL, NULL), 1);
}

static void test_seq_gap_counter_saturates_instead_of_wrapping(void **state)
{
	(void)state;
	struct feed_seq t;
	feed_seq_init(&t);
	run(&t, S1, 1, 1, NULL, NULL);
	run(&t, S1, 10, 1, NULL, NULL);
	assert_int_equal(t.st.gap_msgs, 8);
	control(&t, S1, FEED_WIRE_PKT_HEARTBEAT, UINT64_MAX); /* a garbage sequence */
	assert_true(t.st.gap_msgs == UINT64_MAX - 11 + 8);
	run(&t, S2, 1, 1, NULL, NULL);
	control(&t, S2, FEED_WIRE_PKT_END, UINT64_MAX);
	assert_true(t.st.gap_msgs == UINT64_MAX);
	assert_int_equal(t.st.gap_events, 3);
}

static void test_seq_stat_labels_name_every_counter_in_order(void **state)
{
	(void)state;
	struct feed_seq_stats st;
	uint64_t *w = (uint64_t *)&st;
	for (unsigned i = 0; i < FEED_SEQ_STATS_N; i++)
		w[i] = 1000 + i;
	assert_int_equal(feed_seq_stat_value(&st, 4), st.gap_msgs);
	assert_string_equal(feed_seq_stat_name(4), "seq.gap_msgs");
	assert_string_equal(feed_seq_stat_name(0), "seq.packets");
	assert_string_equal(feed_seq_stat_name(FEED_SEQ_STATS_N - 1), "seq.invalid_packets");
	for (unsigned i = 0; i < FEED_SEQ_STATS_N; i++) {
		assert_int_equal(feed_seq_stat_value(&st, i), 1000 + i);
		assert_true(strncmp(feed_seq_stat_name(i), "seq.", 4) == 0);
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(feed_seq_stat_name(i), feed_seq_stat_name(j));
	}
	assert_null(feed_seq_stat_name(FEED_SEQ_STATS_N));
	assert_int_equal(feed_seq_stat_value(&st, FEED_SEQ_STATS_N), 0);
}

/* A and B lines carry the same packets; each copy is lost with some probability and
 * arrivals are locally shuffled. Every message that arrived on either line must be
 * delivered exactly once, and the counters must add up. */
static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct pkt {
	uint64_t seq;
	uint32_t count;
	uint64_t key;
};

static int by_key(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

static void test_seq_ab_lines_with_loss_and_reorder_deliver_each_message_once(void **state)
{
	(void)state;
	enum { MSGS = 30000, MAXPKT = 4000 };
	static struct pkt sent[MAXPKT], arrivals[2 * MAXPKT];
	static uint8_t arrived[MSGS + 2], delivered[MSGS + 2];
	static uint64_t got[64];
	memset(arrived, 0, sizeof(arrived));
	memset(delivered, 0, sizeof(delivered));
	size_t np = 0, na = 0;
	for (uint64_t s = 1; s <= MSGS;) {
		uint32_t c = 1 + (uint32_t)(rnd() % 30);
		if (s + c > MSGS + 1)
			c = (uint32_t)(MSGS + 1 - s);
		sent[np++] = (struct pkt){s, c, 0};
		s += c;
	}
	for (size_t i = 0; i < np; i++)
		for (int line = 0; line < 2; line++)
			if (i == np - 1 || rnd() % 100 >= 15)
				arrivals[na++] = sent[i];
	/* displacement of at most 40 places: sort by position + a random delay */
	for (size_t i = 0; i < na; i++)
		arrivals[i].key = i + rnd() % 40;
	qsort(arrivals, na, sizeof(arrivals[0]), by_key);
	struct feed_seq t;
	feed_seq_init(&t);
	uint64_t total = 0;
	for (size_t i = 0; i < na; i++) {
		for (uint32_t k = 0; k < arrivals[i].count; k++)
			arrived[arrivals[i].seq + k] = 1;
		uint32_t n = run(&t, S1, arrivals[i].seq, arrivals[i].count, got, NULL);
		for (uint32_t k = 0; k < n; k++) {
			assert_true(got[k] >= 1 && got[k] <= MSGS);
			assert_int_equal(delivered[got[k]], 0);
			delivered[got[k]] = 1;
		}
		total += n;
	}
	uint64_t never = 0;
	for (uint64_t s = 1; s <= MSGS; s++) {
		assert_int_equal(delivered[s], arrived[s]);
		never += !arrived[s];
	}
	assert_int_equal(t.st.msgs_new, total);
	assert_int_equal(t.st.gap_msgs - t.st.reordered_msgs, never);
	assert_int_equal(t.st.too_old_msgs, 0);
	assert_int_equal(t.next, MSGS + 1);
	assert_true(t.st.reordered_msgs > 0 && t.st.dup_packets > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_seq_in_order_packets_deliver_everything_and_count_nothing_else),
		cmocka_unit_test(test_seq_first_packet_adopts_the_session_mid_stream_without_a_gap),
		cmocka_unit_test(test_seq_gap_is_counted_and_the_packet_delivered),
		cmocka_unit_test(test_seq_duplicate_packet_is_dropped_and_counted),
		cmocka_unit_test(test_seq_partial_overlap_delivers_only_the_new_tail),
		cmocka_unit_test(test_seq_late_packet_filling_a_hole_is_delivered_as_reordered),
		cmocka_unit_test(
			test_seq_late_packet_mixing_seen_and_missing_delivers_exactly_the_missing),
		cmocka_unit_test(
			test_seq_late_packet_reaching_beyond_next_delivers_holes_and_the_tail),
		cmocka_unit_test(test_seq_window_edge_separates_late_from_too_old),
		cmocka_unit_test(test_seq_new_session_name_resets_and_counts_a_change),
		cmocka_unit_test(test_seq_heartbeat_beyond_next_reveals_a_gap),
		cmocka_unit_test(test_seq_end_of_session_drops_what_follows_and_keeps_late_fills),
		cmocka_unit_test(test_seq_invalid_packets_are_dropped_and_counted),
		cmocka_unit_test(test_seq_gap_counter_saturates_instead_of_wrapping),
		cmocka_unit_test(test_seq_stat_labels_name_every_counter_in_order),
		cmocka_unit_test(test_seq_ab_lines_with_loss_and_reorder_deliver_each_message_once),
	};
	return cmocka_run_group_tests_name("feed_seq", tests, NULL, NULL);
}
