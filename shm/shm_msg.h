/*
 * shm_msg.h — the 64-byte records that travel on the rings.
 *
 * Quote message (feeder -> the worker that owns the instrument), one ring slot:
 *    0 instr_id u32      dense id (instrument directory)
 *    4 flags u32         SHM_QMSG_GAP: quotes of this instrument were dropped
 *                        before this one (ring full); the board has the latest
 *    8 quote_seq u64     per-instrument sequence assigned by the feeder (1, 2, ...)
 *   16 bid i64 (price × 10^8)   24 ask i64   32 last i64
 *   40 exch_ts_ns u64    exchange / replay-file time, ns since the Unix epoch:
 *                        the shared clock in replay
 *   48 recv_ts_ns u64    feeder receive, monotonic ns (CLOCK_MONOTONIC)
 *   56 write_ts_ns u64   board write / publish, monotonic ns
 * Sizes are not carried: the board slot has them.
 *
 * The stamps are read once per batch, never after the event they describe:
 *  - UDP: recv_ts_ns once per receive batch (every datagram reaped together),
 *    write_ts_ns once per packet, before its first board write;
 *  - synthetic source (feed_core_on_events): one read per batch of
 *    up to 64 events serves as both (recv_ts_ns == write_ts_ns): every event of the
 *    batch existed by then, every write of the batch happens at or after it;
 *  - single messages (feed_core_on_msg / feed_core_publish: CSV replay, tests):
 *    write_ts_ns per quote.
 * So recv_ts_ns is at or after the moment the feeder had the quote (read once the
 * batch is in hand) and write_ts_ns at or before its board write (read before the
 * batch's first write, at most one batch's publishing early); recv <= write always.
 * A batch's messages become visible to the worker together (one write_pos store per
 * batch and worker, feeders/feed_core.h).
 */
#ifndef SHM_MSG_H
#define SHM_MSG_H

#include <stddef.h>
#include <stdint.h>

#define SHM_QMSG_GAP 0x1u

struct shm_quote_msg {
	uint32_t instr_id;
	uint32_t flags;
	uint64_t quote_seq;
	int64_t bid;
	int64_t ask;
	int64_t last;
	uint64_t exch_ts_ns;
	uint64_t recv_ts_ns;
	uint64_t write_ts_ns;
};
_Static_assert(sizeof(struct shm_quote_msg) == 64, "quote message is one 64-byte slot");
_Static_assert(offsetof(struct shm_quote_msg, exch_ts_ns) == 40, "exch_ts_ns at 40");

#endif
