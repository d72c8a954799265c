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
 *    threshold of its puts) and trip_high (the lowest of its calls); a quote at or
 *    beyond either is evaluated at once (escalation only) — one comparison per quote
 *    otherwise. An escalation restarts the position's cadence from that moment.
 * The price of an underlying is its quote's mid ((bid + ask) / 2) when both sides are
 * present, else the last trade.
 *
 * Single-threaded; no allocation on the hot path (the per-underlying position lists
 * grow only when positions are added).
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

#include <stdint.h>

struct proto_cfg {
	uint32_t worker;
	uint32_t mult100[3]; /* level k+1 trips at strike ∓ mult100[k]/100 × ATR */
	uint64_t cadence_ns[3]; /* levels 0, 1, 2; level 3 re-evaluates on every quote and
				 * at cadence_ns[2] without quotes */
	uint32_t quote_batch; /* quotes popped per do_work (default 64) */
};

struct proto_ul {
	uint32_t instr_id;
	uint32_t npos;
	uint32_t cap;
	uint8_t has_l3; /* a position wants every quote: level 3, or thresholds unknown */
	uint32_t *pos; /* slots in the positions table */
	int64_t trip_low; /* a quote <= this escalates a put; INT64_MIN: none */
	int64_t trip_high; /* a quote >= this escalates a call; INT64_MAX: none */
	int64_t price; /* last price seen (0 = none yet) */
	uint64_t last_qseq;
};

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
	struct proto_ul *uls;
	uint32_t nuls, ul_cap;
	struct proto_timer *heap;
	uint32_t nheap, heap_cap;
	uint32_t free_hint;
	uint64_t event_seq;
	uint64_t now; /* shared clock, read once per do_work */
	uint64_t iter;
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

/* Slot of pos_id, or -1. */
int32_t proto_engine_find(const struct proto_engine *e, uint32_t pos_id);

#endif
