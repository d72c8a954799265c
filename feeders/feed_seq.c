#include "feeders/feed_seq.h"

#include <stddef.h>
#include <string.h>

#define W ((uint64_t)FEED_SEQ_WINDOW)
#define NWORDS (FEED_SEQ_WINDOW / 64u)

_Static_assert((FEED_SEQ_WINDOW & (FEED_SEQ_WINDOW - 1)) == 0 && FEED_SEQ_WINDOW >= 64,
	       "window is a power of two of whole words");
_Static_assert(sizeof(struct feed_seq_stats) == FEED_SEQ_STATS_N * sizeof(uint64_t),
	       "stats are FEED_SEQ_STATS_N plain u64 counters");

/*
 * The bitmap is a ring indexed by q % W. Invariant: for q in [next - W, next) the
 * bit says whether q was received. Advancing next from a to b overwrites the bits of
 * [a - W, b - W), which slide out of the window, with the state of [a, b). After a
 * reset every bit is 1, so what precedes the first sequence of a session reads as
 * "already seen" (a late join is not a loss).
 */
static void set_range(uint64_t *w, uint64_t a, uint64_t b, int val)
{
	if (b - a >= W) {
		memset(w, val ? 0xff : 0, NWORDS * sizeof(*w));
		return;
	}
	while (a < b) {
		uint64_t bit = a & (W - 1);
		uint64_t off = bit & 63;
		uint64_t n = 64 - off;
		if (n > b - a)
			n = b - a;
		uint64_t mask = (n == 64 ? ~0ull : ((1ull << n) - 1)) << off;
		if (val)
			w[bit >> 6] |= mask;
		else
			w[bit >> 6] &= ~mask;
		a += n;
	}
}

static inline int test_bit(const uint64_t *w, uint64_t q)
{
	uint64_t bit = q & (W - 1);
	return (int)((w[bit >> 6] >> (bit & 63)) & 1);
}

static inline void mark(uint64_t *w, uint64_t q)
{
	uint64_t bit = q & (W - 1);
	w[bit >> 6] |= 1ull << (bit & 63);
}

/* Lowest sequence number the window still knows about. */
static inline uint64_t window_lo(const struct feed_seq *t)
{
	return t->next > W ? t->next - W : 0;
}

void feed_seq_init(struct feed_seq *t)
{
	memset(t, 0, sizeof(*t));
	t->late_from = UINT64_MAX;
}

static void reset(struct feed_seq *t, const char *session, uint64_t next)
{
	memcpy(t->session, session, FEED_WIRE_SESSION_LEN);
	t->has_session = 1;
	t->next = next;
	t->end_seq = 0;
	t->late_from = UINT64_MAX;
	memset(t->seen, 0xff, sizeof(t->seen));
}

/* 0: the packet belongs to the (possibly new) current session; -1: drop it. */
static int check_session(struct feed_seq *t, const char *session, uint64_t first)
{
	if (t->has_session && memcmp(session, t->session, FEED_WIRE_SESSION_LEN) == 0)
		return 0;
	if (t->has_prev && memcmp(session, t->prev_session, FEED_WIRE_SESSION_LEN) == 0) {
		t->st.stale_session_packets++;
		return -1;
	}
	if (t->has_session) {
		memcpy(t->prev_session, t->session, FEED_WIRE_SESSION_LEN);
		t->has_prev = 1;
		t->st.session_changes++;
	}
	reset(t, session, first);
	return 0;
}

/* Move next forward to `to`, marking [next, to) as missing. */
static void open_gap(struct feed_seq *t, uint64_t to)
{
	uint64_t n = to - t->next;
	t->st.gap_events++;
	/* saturate: one garbage sequence near 2^64 must not wrap the counter */
	t->st.gap_msgs = t->st.gap_msgs > UINT64_MAX - n ? UINT64_MAX : t->st.gap_msgs + n;
	set_range(t->seen, t->next, to, 0);
	t->next = to;
}

static int verdict(struct feed_seq_verdict *v, uint8_t action, uint64_t skip, uint64_t end)
{
	v->action = action;
	v->skip = (uint32_t)skip;
	v->end = (uint32_t)end;
	return action;
}

static int control_packet(struct feed_seq *t, uint8_t pkt, uint64_t seq, struct feed_seq_verdict *v)
{
	if (pkt == FEED_WIRE_PKT_HEARTBEAT)
		t->st.heartbeats++;
	else if (!t->end_seq)
		t->st.end_of_session++;
	/* Both announce the next sequence number: anything before it that never came is
	 * a gap. After the end, nothing further can be missing. */
	uint64_t to = seq;
	if (t->end_seq && to > t->end_seq)
		to = t->end_seq;
	if (to > t->next)
		open_gap(t, to);
	if (pkt == FEED_WIRE_PKT_END && !t->end_seq)
		t->end_seq = seq > t->next ? seq : t->next;
	return verdict(v, FEED_SEQ_DROP, 0, 0);
}

int feed_seq_packet(struct feed_seq *t, const char *session, uint8_t pkt, uint64_t seq,
		    uint32_t count, struct feed_seq_verdict *v)
{
	int data = pkt == FEED_WIRE_PKT_DATA;
	t->late_from = UINT64_MAX; /* feed_seq_take is valid only right after a LATE verdict */
	if (seq == 0 || (pkt != FEED_WIRE_PKT_HEARTBEAT && pkt != FEED_WIRE_PKT_END && !data) ||
	    (data && (count == 0 || count > FEED_WIRE_COUNT_MAX || seq > UINT64_MAX - count))) {
		t->st.invalid_packets++;
		return verdict(v, FEED_SEQ_DROP, 0, 0);
	}
	if (check_session(t, session, seq) < 0)
		return verdict(v, FEED_SEQ_DROP, 0, 0);
	if (!data)
		return control_packet(t, pkt, seq, v);

	t->st.packets++;
	uint64_t hi = seq + count;
	uint64_t end = count;
	if (t->end_seq && hi > t->end_seq) {
		uint64_t keep = seq < t->end_seq ? t->end_seq - seq : 0;
		t->st.after_end_msgs += count - keep;
		end = keep;
		hi = seq + keep;
		if (keep == 0)
			return verdict(v, FEED_SEQ_DROP, 0, 0);
	}

	if (seq >= t->next) {
		if (seq > t->next)
			open_gap(t, seq);
		set_range(t->seen, seq, hi, 1);
		t->st.msgs_new += hi - seq;
		t->next = hi;
		return verdict(v, FEED_SEQ_DELIVER, 0, end);
	}

	/* Starts below next: walk the leading messages that are known or too old. */
	uint64_t lo = window_lo(t);
	uint64_t old_top = hi < t->next ? hi : t->next;
	uint64_t q = seq;
	for (; q < old_top; q++) {
		if (q < lo)
			t->st.too_old_msgs++;
		else if (test_bit(t->seen, q))
			t->st.dup_msgs++;
		else
			break;
	}
	uint64_t skip = q - seq;
	if (q == hi) {
		t->st.dup_packets++;
		return verdict(v, FEED_SEQ_DROP, 0, 0);
	}
	uint64_t old_next = t->next;
	if (hi > old_next) {
		set_range(t->seen, old_next, hi, 1);
		t->st.msgs_new += hi - old_next;
		t->next = hi;
	}
	if (q >= old_next) {
		t->st.overlap_packets++;
		return verdict(v, FEED_SEQ_DELIVER, skip, end);
	}
	/* q is missing: per-message decisions from here on. */
	t->st.reorder_packets++;
	t->late_from = old_next;
	return verdict(v, FEED_SEQ_DELIVER_LATE, skip, end);
}

bool feed_seq_take(struct feed_seq *t, uint64_t seq)
{
	if (seq >= t->late_from && seq < t->next)
		return true; /* beyond the old next: marked and counted by feed_seq_packet */
	if (seq >= t->next || seq < window_lo(t)) {
		t->st.too_old_msgs += seq < t->next;
		return false;
	}
	if (test_bit(t->seen, seq)) {
		t->st.dup_msgs++;
		return false;
	}
	mark(t->seen, seq);
	t->st.reordered_msgs++;
	t->st.msgs_new++;
	return true;
}

static const struct {
	const char *name;
	size_t off;
} stat_table[FEED_SEQ_STATS_N] = {
#define S(f)                                                                                       \
	{                                                                                          \
		"seq." #f, offsetof(struct feed_seq_stats, f)                                      \
	}
	S(packets),
	S(heartbeats),
	S(msgs_new),
	S(gap_events),
	S(gap_msgs),
	S(dup_packets),
	S(dup_msgs),
	S(overlap_packets),
	S(reorder_packets),
	S(reordered_msgs),
	S(too_old_msgs),
	S(session_changes),
	S(stale_session_packets),
	S(end_of_session),
	S(after_end_msgs),
	S(invalid_packets),
#undef S
};

const char *feed_seq_stat_name(unsigned int i)
{
	return i < FEED_SEQ_STATS_N ? stat_table[i].name : NULL;
}

uint64_t feed_seq_stat_value(const struct feed_seq_stats *st, unsigned int i)
{
	uint64_t v = 0;
	if (i < FEED_SEQ_STATS_N)
		memcpy(&v, (const char *)st + stat_table[i].off, sizeof(v));
	return v;
}
