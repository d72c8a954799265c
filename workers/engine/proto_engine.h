/*
 * proto_engine.h — the protocol engine of one worker (RULES §3-4): its shard of short
 * options, their levels 0-3, cadences and escalation guards, over the segment.
 *
 * Inputs: the worker's quote ring (quotes.<i>), its position-command ring
 * (posctl.<i>), the board, the ATR table and the shared clock. Outputs: its positions
 * table (positions.<i>, the durable state a restarted worker resumes from), its event
 * ring (events.<i>: one 128-byte struct shm_event per level change or fault), its
 * counters and stage histograms (worker.<i>).
 *
 * Evaluation, per position (put: trips at or below a threshold; call: at or above):
 *  - thresholds thr[k] = strike ∓ mult[k]/100 × ATR(underlying), recomputed when the
 *    ATR table changes; ATR unknown (0) → a fault event (once, until it is known);
 *  - routine: every cadence[level] ns of the shared clock (300 s, 60 s, 30 s; a
 *    level-3 position also on every quote of its underlying); a routine evaluation may
 *    lower the level (de-escalation), except out of level 3, which only an operator
 *    clears (stop-loss exit, SAFE);
 *  - escalation guard: each underlying keeps trip_low (the highest next-level
 *    threshold of its puts) and trip_high (the lowest of its calls); a quote strictly
 *    between them touches nothing but the underlying's own cache line (one comparison
 *    per side). A quote at or beyond either evaluates at once (escalation only) the
 *    positions whose next threshold it reaches, plus any whose ATR changed or is
 *    unknown; it publishes their events first and only then does the real-time
 *    bookkeeping of the underlying's level-3 positions. Positions it does not reach
 *    are not touched. An escalation restarts the position's cadence from that moment.
 * The price of an underlying is its quote's mid ((bid + ask) / 2) when both sides are
 * present, else the last trade.
 *
 * Single-threaded; no allocation on the hot path (the per-underlying position lists,
 * the scratch list and the pos_id index grow only when positions are added).
 */
#ifndef PROTO_ENGINE_H
#define PROTO_ENGINE_H

#include "rt/rt_err.h"
#include "rt/rt_hist.h"
#include "shm/shm_atr.h"
#include "shm/shm_board.h"
#include "shm/shm_clock.h"
#include "shm/shm_instr.h"
#include "shm/shm_msg.h"
#include "shm/shm_pos.h"
#include "shm/shm_ring.h"
#include "shm/shm_segment.h"
#include "rt/rt_stamp.h"

#include <stddef.h>
#include <stdint.h>

struct proto_cfg {
	uint32_t worker;
	uint32_t mult100[3]; /* level k+1 trips at strike ∓ mult100[k]/100 × ATR */
	uint64_t cadence_ns[3]; /* levels 0, 1, 2; level 3 re-evaluates on every quote and
				 * at cadence_ns[2] without quotes */
	uint32_t quote_batch; /* quotes popped per do_work (default 64) */
	uint32_t heartbeat_idle_turns; /* idle do_work turns per heartbeat write (0 = 1: every
					* idle turn; a busy-spinning loop sets more, a clock
					* read per empty poll delays the next quote) */
};

/* A position armed to escalate on a quote: its next threshold and its slot. */
struct proto_trip {
	int64_t trip;
	uint32_t slot;
	uint32_t pad;
};

/* Per underlying with positions on this worker, two cache lines. The first holds
 * everything a quote reads or writes when it crosses nothing (the guard, the gap
 * check, the last price) and what a crossing quote needs to find the positions it
 * escalates; the second is cold (list maintenance).
 *
 * trips[] (capacity cap) holds, rebuilt by every change of a level or a threshold:
 * [0, nput) the puts below level 3, next threshold descending; [nput, nput + ncall)
 * the calls below level 3, ascending; [nput + ncall, npos) the level-3 positions
 * (threshold unused). So the positions a price escalates are a prefix of each run. */
struct proto_ul {
	/* line 1: hot */
	int64_t guard_low; /* a quote <= this is looked at: the highest put trip, INT64_MAX
			    * when the underlying is watched on every quote (level 3, or a
			    * threshold not known yet), INT64_MIN when there is no put */
	int64_t guard_high; /* a quote >= this is looked at: the lowest call trip */
	uint64_t last_qseq;
	int64_t price; /* last price seen (0 = none yet) */
	int64_t atr; /* the ATR every position's thresholds were computed with; 0 when they
		      * differ or one is unknown (then a crossing quote scans them all) */
	struct proto_trip *trips;
	uint32_t nput, ncall, npos;
	uint32_t instr_id;
	/* line 2: cold */
	uint32_t *pos; /* slots in the positions table, in the order they were added */
	uint32_t cap; /* of pos and trips */
	uint8_t pad[52];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct proto_ul) == 128, "one underlying, two cache lines");
_Static_assert(offsetof(struct proto_ul, pos) == 64, "the hot fields fill the first line");

struct proto_timer {
	uint64_t due;
	uint32_t slot;
	uint32_t pad;
};

struct proto_engine {
	struct proto_cfg cfg;
	struct shm_board board;
	struct shm_instr_dir dir;
	struct shm_atr atr;
	struct shm_clock *clock;
	struct shm_pos_table pt;
	struct shm_ring quotes, posctl, events;
	int32_t *ul_of; /* per instrument id: index into uls, -1 = no position here */
	struct proto_ul *uls; /* 64-byte aligned */
	uint32_t nuls, ul_cap;
	uint32_t *scratch; /* level-3 slots deferred by a crossing quote (>= any ul's cap) */
	uint32_t scratch_cap;
	/* pos_id -> slot: open addressing, linear probing, backward-shift deletion;
	 * ids[i] is meaningful where slot1[i] (slot + 1) is not 0 */
	uint32_t *idx_ids, *idx_slot1;
	uint32_t idx_mask;
	struct proto_timer *heap;
	uint32_t nheap, heap_cap;
	uint32_t free_hint;
	uint64_t event_seq;
	uint64_t now; /* shared clock, read once per do_work */
	uint64_t iter, idle_turns;
	uint32_t clock_turns; /* replay clock: polls since its line was last read */
	struct rt_stamp stamp; /* worker-read and publish stamps (CLOCK_MONOTONIC ns) */
	/* counters (worker.<i>) */
	uint64_t *c_quotes, *c_quotes_nopos, *c_gaps, *c_crossings, *c_evals_quote,
		*c_evals_cadence, *c_levels, *c_faults, *c_event_full, *c_fault_flag, *c_positions,
		*c_posctl_applied, *c_posctl_rejected, *c_heartbeat, *c_max_level;
	/* stage histograms, ns */
	struct rt_hist *h_quote_to_event; /* feeder receive -> event published */
	struct rt_hist *h_board_to_read; /* board write -> worker read */
	struct rt_hist *h_read_to_publish; /* worker read -> event published */
	struct rt_hist *h_quote_cost; /* worker read -> done, quotes that crossed nothing */
};

/* Attach worker cfg->worker's regions; rebuild the indices and timers from its
 * positions table (a restart resumes every level and next evaluation time). */
int proto_engine_attach(struct proto_engine *e, struct shm_segment *seg,
			const struct proto_cfg *cfg, struct rt_err *err);
void proto_engine_detach(struct proto_engine *e);

/* One turn of the agent loop: position commands, a batch of quotes, due cadences,
 * heartbeat. Returns how much it did (0 = idle). */
uint32_t proto_engine_do_work(struct proto_engine *e);

/* Apply one position command (idempotent: adding a known pos_id or removing an
 * unknown one changes nothing). 0, -ENOSPC (table full), -ENOENT (underlying not in
 * the directory), -EINVAL (bad fields). */
int proto_engine_apply(struct proto_engine *e, const struct shm_posctl *cmd);

/* The hot path for one quote message (read_ns: when the worker took it). */
void proto_engine_on_quote(struct proto_engine *e, const struct shm_quote_msg *m, uint64_t read_ns);

/* Evaluate every position whose cadence is due at `now`. Returns evaluations. */
uint32_t proto_engine_cadence(struct proto_engine *e, uint64_t now);

/* Slot of the active position pos_id, or -1. O(1): a hash index kept by
 * proto_engine_apply and rebuilt by proto_engine_attach. */
int32_t proto_engine_find(const struct proto_engine *e, uint32_t pos_id);

#endif
