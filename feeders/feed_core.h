/*
 * feed_core.h — the feeder's publish path: the single writer of the quote board,
 * of every worker's quote ring, of the shared clock and of the feeder's counters.
 *
 * A source hands it decoded messages (feed_core_on_event) or raw wire packets
 * (feed_core_on_packet); for each quote it
 *   1. finds the instrument id (the directory; an unknown OCC option symbol defines
 *      itself when auto_define is on), else rejects it as unknown;
 *   2. validates it (feeders/feed_validate.h) against that instrument's last good
 *      quote, the ATR table and the clock; a rejection is counted per reason;
 *   3. writes the board slot under its seqlock, with the next per-instrument
 *      sequence number and the receive / board-write stamps (one clock read per
 *      batch: per call of feed_core_on_events, per packet of feed_core_on_packet;
 *      feed_core_publish / feed_core_on_msg read it per quote);
 *   4. pushes a 64-byte struct shm_quote_msg to the ring of the worker that owns the
 *      instrument. A full ring drops the message and counts the drop for that
 *      worker; the next message of that instrument carries SHM_QMSG_GAP, and its
 *      sequence shows the gap (the board already holds the latest).
 *
 * Sharding (stable, documented in docs/feeder.md): an instrument belongs to worker
 * FNV-1a(underlying symbol) mod workers, so an underlying and all its options land
 * on the same worker, and the mapping depends on nothing but the symbol and the
 * worker count.
 *
 * Nothing here allocates, locks, logs or makes a syscall after feed_core_attach (and
 * feed_core_set_source_keys), except clock reads (vDSO).
 */
#ifndef FEED_CORE_H
#define FEED_CORE_H

#include "feeders/feed_event.h"
#include "feeders/feed_seq.h"
#include "feeders/feed_validate.h"
#include "feeders/feed_wire.h"
#include "rt/rt_err.h"
#include "rt/rt_hist.h"
#include "shm/shm_atr.h"
#include "shm/shm_board.h"
#include "shm/shm_clock.h"
#include "shm/shm_counters.h"
#include "shm/shm_instr.h"
#include "shm/shm_ring.h"
#include "shm/shm_segment.h"

#include <stdint.h>

#define FEED_MAX_WORKERS 64u
#define FEED_STAGE_MAX 64u /* messages staged per worker before a batch push */

struct feed_core_cfg {
	struct feed_validate_cfg validate;
	int auto_define; /* unknown OCC option symbols define themselves */
	uint32_t clock_mode; /* SHM_CLOCK_LIVE or SHM_CLOCK_REPLAY */
};

struct feed_core {
	struct feed_core_cfg cfg;
	/* cfg.validate as stocks ([0]) and options ([1], a bid of 0 is a price) take it */
	struct feed_validate_cfg vcfg[2];
	struct shm_board board;
	struct shm_instr_dir dir;
	struct shm_atr atr;
	struct shm_clock *clock;
	uint32_t nworkers;
	struct shm_ring rings[FEED_MAX_WORKERS];
	/* per instrument id, process-local, sized to the directory capacity */
	struct feed_instr_state *st;
	uint64_t *qseq;
	uint8_t *route;
	uint8_t *gap;
	uint8_t *is_opt; /* 1: an option (a zero bid is a price) */
	/* batches (feed_core_on_events, feed_core_on_packet): each worker's messages are
	 * staged and pushed with one write_pos store at the end of the batch */
	struct shm_quote_msg *stage; /* nworkers × FEED_STAGE_MAX */
	uint32_t nstage[FEED_MAX_WORKERS];
	int batching;
	uint32_t known; /* ids whose route is set (<= directory count) */
	/* source key -> instrument id (feed_core_set_source_keys), SHM_INSTR_NONE unknown */
	uint32_t *key_id;
	uint32_t nkeys;
	/* the sequence tracker of the UDP / recorded-packet path */
	struct feed_seq seq;
	uint64_t now_wall_ns; /* the clock: wall time live, event time in replay */
	struct shm_counters counters; /* the "feeder" counters region (sources add their own) */
	/* counters (shared memory, this process writes them) */
	uint64_t *c_in, *c_published, *c_defs, *c_def_errors, *c_malformed_pkts;
	uint64_t *c_reject[FEED_REJECT__COUNT];
	uint64_t *c_drops[FEED_MAX_WORKERS];
	uint64_t *c_wire[FEED_WIRE_E__COUNT];
	uint64_t *c_seq[FEED_SEQ_STATS_N];
	uint64_t seq_base[FEED_SEQ_STATS_N]; /* counter values found at attach */
	struct rt_hist *h_publish; /* receive -> ring publish, ns */
};

/* Stable owner of an underlying: FNV-1a(symbol) % nworkers. */
uint32_t feed_route_worker(const char *underlying, uint32_t nworkers);

/* Attach to the segment's board, directory, ATR table, clock, quote rings
 * (quotes.0 .. quotes.N-1), the "feeder" counters and histograms. Allocates the
 * per-instrument arrays (cold path). Resumes after a restart: per-instrument
 * sequences and last good prices come back from the board. */
int feed_core_attach(struct feed_core *f, struct shm_segment *seg, const struct feed_core_cfg *cfg,
		     struct rt_err *err);
void feed_core_detach(struct feed_core *f);

/* Let the source name its instruments by dense key (struct feed_event.src_key <
 * nkeys): feed_core_on_events caches key -> id at the first definition or lookup and
 * skips the symbol lookup afterwards. The source promises that a key always names
 * the same symbol. Allocates (cold); replaces an earlier cache. 0 or -ENOMEM. */
int feed_core_set_source_keys(struct feed_core *f, uint32_t nkeys);

/* Define an instrument at run time (new strikes). 0 (or already known), -ENOSPC,
 * -EINVAL; counted as defs / def_errors. */
int feed_core_define(struct feed_core *f, const struct feed_wire_msg *def, uint32_t *id_out);

/* Advance the clock (replay/synthetic: event time; live: wall time). */
static inline void feed_core_set_time(struct feed_core *f, uint64_t now_wall_ns)
{
	/* quotes of one event time share a clock update: the clock's line is read by
	 * every worker, so an unchanged time is not written again */
	if (now_wall_ns == f->now_wall_ns)
		return;
	f->now_wall_ns = now_wall_ns;
	if (f->cfg.clock_mode == SHM_CLOCK_REPLAY)
		shm_clock_advance(f->clock, now_wall_ns);
}

/* Publish one quote for a known id. Returns FEED_REJECT_OK or the reason. */
enum feed_reject feed_core_publish(struct feed_core *f, uint32_t id,
				   const struct feed_wire_quote *q, uint64_t src_seq,
				   uint8_t nonfinite, uint64_t recv_ns);

/* One decoded message (quote or definition) from a source. */
enum feed_reject feed_core_on_msg(struct feed_core *f, const struct feed_wire_msg *m,
				  uint8_t nonfinite, uint64_t recv_ns);

/* A batch of source events (quotes and definitions), in order, each validated at
 * its own ts_ns (as after feed_core_set_time); the shared clock (replay mode) is
 * advanced once, to the last event's time, after the batch's messages are in the
 * rings. One clock read serves the whole batch as both the
 * receive and the board-write stamp (recv_ts_ns == write_ts_ns): every event of the
 * batch existed by then and every write of the batch happened at or after it (the
 * caller keeps batches short, e.g. 64 events, so the stamp is at most that many
 * publishes early). Keys of ev[i].src_key use the cache of
 * feed_core_set_source_keys. Returns the messages accepted. */
uint32_t feed_core_on_events(struct feed_core *f, const struct feed_event *ev, uint32_t n);

/* One raw wire packet (UDP or a recording): decode, sequence-check, publish every
 * new message, all with the board-write stamp read once at the start of the packet.
 * Returns the messages delivered. */
uint32_t feed_core_on_packet(struct feed_core *f, const uint8_t *pkt, uint32_t len,
			     uint64_t recv_ns);

/* Copy the sequence tracker's statistics into the shared counters (call now and then). */
void feed_core_sync_counters(struct feed_core *f);

#endif
