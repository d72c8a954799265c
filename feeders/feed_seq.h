/*
 * feed_seq.h — per-session sequence tracking of the UDP feed (MoldUDP64 spirit).
 *
 * One tracker per feed line (or per A/B pair: feeding both lines of an arbitrated
 * pair into one tracker de-duplicates them). For every packet the feeder opened with
 * feed_wire_packet_open it asks feed_seq_packet() which messages are new:
 *
 *   expected  next = one past the highest sequence number received
 *   in order  first == next                 deliver all
 *   gap       first >  next                 deliver all; gap_events += 1,
 *                                           gap_msgs += first - next (now "missing")
 *   overlap   first <  next < first + count, no message missing in [first, next)
 *                                           skip next - first, deliver the rest
 *   duplicate first + count <= next, nothing missing in it        drop
 *   late      some message of it is marked missing: deliver exactly the missing ones
 *             (reordered_msgs counts them) plus any beyond next
 *   too old   below next - FEED_SEQ_WINDOW: state unknown, dropped as too_old_msgs
 *
 * A window bitmap of the last FEED_SEQ_WINDOW sequence numbers (below next) tells
 * "missing and now arrived" from "already seen". A packet with a session name other
 * than the current one resets the tracker (session_changes += 1, except for the very
 * first session) with next = its first sequence, so joining a session late is not a
 * gap; packets of the session before that are dropped (stale_session_packets).
 * Heartbeats announce the next sequence number: a heartbeat beyond next opens a gap.
 * End of session fixes its last sequence number; data beyond it is dropped.
 *
 * Single-threaded, allocation-free, no syscalls: hot path. The caller owns the
 * struct (init with feed_seq_init; no fini needed) and copies `st` into its
 * shared-memory counters.
 */
#ifndef FEED_SEQ_H
#define FEED_SEQ_H

#include "feeders/feed_wire.h"

#include <stdbool.h>
#include <stdint.h>

#define FEED_SEQ_WINDOW 4096u /* sequence numbers remembered below next; power of two */

/* Every counter only grows. Labels: feed_seq_stat_name(i) ("seq.gap_events", ...). */
struct feed_seq_stats {
	uint64_t packets; /* data packets offered (any verdict) */
	uint64_t heartbeats; /* heartbeat packets */
	uint64_t msgs_new; /* messages told to deliver (includes reordered) */
	uint64_t gap_events; /* forward jumps of the expected sequence */
	uint64_t gap_msgs; /* messages found missing by those jumps (saturates) */
	uint64_t dup_packets; /* data packets with nothing new */
	uint64_t dup_msgs; /* messages dropped as already received */
	uint64_t overlap_packets; /* packets partly old, partly beyond next */
	uint64_t reorder_packets; /* late packets holding at least one missing message */
	uint64_t reordered_msgs; /* missing messages that arrived late (delivered) */
	uint64_t too_old_msgs; /* messages below the window, dropped */
	uint64_t session_changes; /* a new session name replaced the current one */
	uint64_t stale_session_packets; /* packets of the previous session, dropped */
	uint64_t end_of_session; /* end-of-session packets (the first per session) */
	uint64_t after_end_msgs; /* messages at or beyond the end of session, dropped */
	uint64_t invalid_packets; /* sequence 0, count 0 or overflowing: dropped */
};
#define FEED_SEQ_STATS_N 16u

enum feed_seq_action {
	FEED_SEQ_DROP = 0, /* nothing to deliver (duplicate, heartbeat, end, ...) */
	FEED_SEQ_DELIVER = 1, /* deliver messages with index in [skip, end): all new */
	/* late packet: a message with index in [skip, end) is new iff
	 * feed_seq_take(t, its sequence) returns true (call it once per such message,
	 * in order, before the next feed_seq_packet) */
	FEED_SEQ_DELIVER_LATE = 2,
};

struct feed_seq_verdict {
	uint32_t skip; /* leading messages (indices) to drop: already seen */
	uint32_t end; /* index one past the last message to consider (<= count) */
	uint8_t action; /* enum feed_seq_action */
};

struct feed_seq {
	struct feed_seq_stats st;
	uint64_t next; /* expected next sequence number; 0 = no session yet */
	uint64_t end_seq; /* end of session announced: first sequence not to exist; 0 = open */
	uint64_t late_from; /* during a LATE verdict: sequences >= this were new (beyond next) */
	char session[FEED_WIRE_SESSION_LEN];
	char prev_session[FEED_WIRE_SESSION_LEN];
	uint8_t has_session;
	uint8_t has_prev;
	uint64_t seen[FEED_SEQ_WINDOW / 64]; /* bit q % WINDOW: q received, q in [next-W, next) */
};

/* Zero the tracker: no session, all counters 0. */
void feed_seq_init(struct feed_seq *t);

/* Account one packet and say what to deliver. session: FEED_WIRE_SESSION_LEN raw bytes
 * (feed_wire_iter.session); pkt: enum feed_wire_pkt; seq: the header's sequence;
 * count: messages (ignored unless DATA). Returns the action (= v->action).
 * Never fails: what it cannot use it drops and counts (invalid_packets). */
int feed_seq_packet(struct feed_seq *t, const char *session, uint8_t pkt, uint64_t seq,
		    uint32_t count, struct feed_seq_verdict *v);

/* For FEED_SEQ_DELIVER_LATE only: true when message `seq` is new (it was missing, or
 * it lies beyond the previous next); marks it received and counts it. False for one
 * already received or too old (counted as dup_msgs / too_old_msgs). */
bool feed_seq_take(struct feed_seq *t, uint64_t seq);

/* Convenience for the feeder: feed_seq_packet on an opened packet. */
static inline int feed_seq_packet_iter(struct feed_seq *t, const struct feed_wire_iter *it,
				       struct feed_seq_verdict *v)
{
	return feed_seq_packet(t, it->session, it->pkt, it->seq, it->count, v);
}

/* Counter i (0 .. FEED_SEQ_STATS_N-1) of `st`, in struct order, and its label
 * ("seq.packets", "seq.gap_msgs", ...); label NULL and value 0 past the end. */
const char *feed_seq_stat_name(unsigned int i);
uint64_t feed_seq_stat_value(const struct feed_seq_stats *st, unsigned int i);

#endif
