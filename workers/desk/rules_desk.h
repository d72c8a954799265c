/*
 * rules_desk.h — the trading desk of the rules process: the accounts, the position
 * book and the day's schedule (core_rules_sched), run on the shared clock.
 *
 *   OPEN   (09:30 ET)   the ATR job; the day starts: SAFE -> SCANNING when the risk
 *                       check passes (every underlying the book is short has an ATR)
 *   SCAN   (window)     the quote board becomes a chain (options of the rule's symbols,
 *                       iv from each mid, delta from the iv), core_rules_scan for every
 *                       open account of the rule, each row logged; each pick is an
 *                       ENTRY intent: audited (SHM_AUDIT_ORDER_INTENT), then paper-filled
 *                       at its limit (SHM_AUDIT_FILL, the book, a position command to the
 *                       owning worker). SCANNING -> ANALYZING -> ORDERING -> MONITORING.
 *   CLOSE  (close + 1m) expiries and assignments against the board's last prices,
 *                       balances marked, forks then merges (SHM_AUDIT_FORK / _MERGE);
 *                       MONITORING -> CLOSING -> RECONCILING -> SAFE.
 *   level events        for the desk's own positions: core_rules_protocol_on_level —
 *                       roll candidates (1), ROLL or HEDGE intent and the account frozen
 *                       (2), STOP_LOSS intent (3); each intent audited and paper-filled;
 *                       an account is unfrozen when none of its positions is at level 2
 *                       or above any more.
 *
 * Paper fills: there is no order router yet (IBKR comes in a later issue), so every
 * intent that passes the gate is filled at its limit (the mid) at once, and the fill
 * is audited with fill_ref "paper". An intent without a limit (no quote) is audited
 * and not filled.
 *
 * Position ids: the desk's positions reach the workers as RULES_DESK_POS_BASE + the
 * book id; the positions file keeps ids below it.
 *
 * Intent ids are a pure function of the decision — YYYYMMDD × 10^10 + kind × 10^9 +
 * account × 10^6 + n (entry: rule × 100 + symbol index; protocol: book position id) —
 * so the same decision recomputed after a crash carries the same id.
 *
 * Snapshot: after every job and every action the desk writes its state (schedule,
 * accounts, book, levels) to `snapshot` (temp file, fsync, rename). A start loads it,
 * re-sends every short option to the workers (adding an id twice is a no-op) and
 * resumes the schedule where it was. A snapshot that is unreadable, truncated, fails
 * its CRC32C or comes from another build's layout refuses the start (nothing is
 * overwritten): the operator decides.
 */
#ifndef RULES_DESK_H
#define RULES_DESK_H

#include "rt/rt_err.h"
#include "shm/shm_pos.h"
#include "shm/shm_segment.h"
#include "workers/core/core_rules_accounts.h"
#include "workers/core/core_rules_book.h"
#include "workers/core/core_rules_cfg.h"
#include "workers/core/core_rules_sched.h"
#include "workers/core/core_rules_state.h"

#include <stdint.h>

#define RULES_DESK_POS_BASE 2000000000u

struct shm_audit_producer;

/* What the desk asks of the rules process around it. */
struct rules_desk_ops {
	void *ctx;
	/* the current system state */
	enum core_rules_sys (*state)(void *ctx);
	/* a state change by the rules (FLOW); returns 0 or -EPERM (refused, logged) */
	int (*transition)(void *ctx, enum core_rules_sys to, const char *why);
	/* a position command for the worker that owns the underlying; 0 or -errno */
	int (*send_pos)(void *ctx, const struct shm_posctl *cmd);
	/* the daily ATR job */
	void (*atr_job)(void *ctx);
	/* a fault the desk cannot decide on (RULES §9): the system must go SAFE */
	void (*fault)(void *ctx, const char *why);
};

struct rules_desk_state {
	struct core_rules_sched sched;
	struct core_rules_accounts accts;
	struct core_rules_book book;
};

struct rules_desk;

/*
 * Open the desk: attach to the segment's instruments and board, load `snapshot` (or,
 * when the file does not exist, open one ALL-USE account of cfg->initial_capital on the
 * New York date of now_ns and write the first snapshot). audit may be NULL. Returns
 * NULL with err set (a bad snapshot, a segment without a board, no memory).
 */
struct rules_desk *rules_desk_open(const struct core_rules_cfg *cfg, struct shm_segment *seg,
				   const struct rules_desk_ops *ops,
				   struct shm_audit_producer *audit, const char *snapshot,
				   int64_t now_ns, struct rt_err *err);
void rules_desk_close(struct rules_desk *d);

/* Run every job due at now_ns (shared clock, UTC ns). Returns the jobs run (CORE_JOB_*). */
uint32_t rules_desk_tick(struct rules_desk *d, int64_t now_ns);

/*
 * Resume after an interruption (RULES §8), once the snapshot is loaded: inside today's
 * session (from the OPEN time to the close) a SAFE system goes SCANNING when the risk
 * check passes. Returns 0 (done, or nothing to do outside the session), -EAGAIN (the
 * risk check failed: stays SAFE, try again later) or -EPERM (the state machine
 * refused, e.g. the level-3 latch: an operator reset is needed).
 */
int rules_desk_resume(struct rules_desk *d, int64_t now_ns);

/* A level event of a worker (shm_event, SHM_EV_LEVEL) at now_ns: the protocol actions
 * for the desk's own positions; other ids are ignored (returns 0). Returns 1 when
 * acted on. */
int rules_desk_on_level(struct rules_desk *d, uint32_t pos_id, int32_t from, int32_t to,
			int64_t price, int64_t atr, int64_t now_ns);

/* The state, read-only (tests, status). */
const struct rules_desk_state *rules_desk_state(const struct rules_desk *d);

/* Account name as the workers and the audit trail show it: "gen1", "mini4". */
void rules_desk_account_name(const struct core_rules_account *a, char *buf, size_t n);

#endif
