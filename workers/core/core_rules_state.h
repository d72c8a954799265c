/*
 * core_rules_state.h — the system state machine of RULES §8 and the gate every intent
 * passes before it may leave.
 *
 * States use the numbers of enum shm_state (shm/shm_layout.h): the rules process copies
 * sm.state into the segment header as is (checked by _Static_assert in the .c).
 *
 * Transitions are requested with a cause; each returns ok or refused with a reason
 * (the state is unchanged on a refusal):
 *
 *   cause      target        allowed from
 *   FLOW       the table     SAFE -> SCANNING (not while the level-3 latch is set)
 *                            SCANNING -> ANALYZING | MONITORING | SAFE
 *                            ANALYZING -> ORDERING | MONITORING | SAFE
 *                            ORDERING -> MONITORING | SAFE
 *                            MONITORING -> CLOSING | SCANNING | SAFE
 *                            CLOSING -> RECONCILING | SAFE
 *                            RECONCILING -> SAFE | SCANNING
 *                            never from or into EMERGENCY, MAINTENANCE, AUDIT
 *   FAULT      SAFE          any state; in EMERGENCY it stays there (ok, STAYS_IN_EMERGENCY)
 *   LEVEL3     SAFE          as FAULT, and sets the level-3 latch (also in EMERGENCY)
 *   EMERGENCY  EMERGENCY     any state
 *   OPERATOR   SAFE          any state; out of EMERGENCY only with confirm
 *              MAINTENANCE,  any state but EMERGENCY
 *              AUDIT
 *              SCANNING      from SAFE only (resume); with the latch set only with confirm
 *   A confirmed OPERATOR transition out of SAFE (or SAFE -> SAFE: "reset") clears the latch.
 *   Same state as target: ok with CORE_WHY_ALREADY (LEVEL3 still sets the latch).
 *
 * Pure: the caller passes the time; nothing here reads a clock.
 */
#ifndef CORE_RULES_STATE_H
#define CORE_RULES_STATE_H

#include "workers/core/core_rules_intent.h"
#include "workers/core/core_rules_why.h"

#include <stdbool.h>
#include <stdint.h>

enum core_rules_sys {
	CORE_SYS_SAFE = 0,
	CORE_SYS_SCANNING = 1,
	CORE_SYS_ANALYZING = 2,
	CORE_SYS_ORDERING = 3,
	CORE_SYS_MONITORING = 4,
	CORE_SYS_CLOSING = 5,
	CORE_SYS_RECONCILING = 6,
	CORE_SYS_EMERGENCY = 7,
	CORE_SYS_MAINTENANCE = 8,
	CORE_SYS_AUDIT = 9,
};
#define CORE_SYS_COUNT 10

enum core_rules_cause {
	CORE_CAUSE_FLOW = 1, /* the normal cycle, decided by the rules process */
	CORE_CAUSE_FAULT = 2, /* an unhandled error or an undecidable input (RULES §9) */
	CORE_CAUSE_LEVEL3 = 3, /* a level-3 protocol event */
	CORE_CAUSE_EMERGENCY = 4, /* an emergency condition */
	CORE_CAUSE_OPERATOR = 5, /* alluse-ctl */
};

struct core_rules_sm {
	enum core_rules_sys state;
	enum core_rules_sys prev; /* state before the last accepted change */
	bool l3_latch; /* a level-3 event happened: leaving SAFE needs a confirmed reset */
	int64_t since_ns; /* when `state` was entered (UTC ns, from the caller) */
	uint64_t changes; /* accepted transitions that changed the state */
};

struct core_rules_sm_result {
	bool ok;
	enum core_rules_sys from;
	enum core_rules_sys to; /* the state after the call */
	struct core_rules_verdict v; /* OK, ALREADY, STAYS_IN_EMERGENCY or why refused */
};

/* SAFE, latch clear, since now_ns (RULES §8: SAFE is the default at start). */
void core_rules_sm_init(struct core_rules_sm *sm, int64_t now_ns);

/*
 * Request a transition (see the table at the top). Returns 0 when accepted (res->ok,
 * the state may be unchanged: ALREADY / STAYS_IN_EMERGENCY), -EPERM when refused
 * (state unchanged, res->v says why), -EINVAL for a bad argument (state or cause out
 * of range, NULL sm). res may be NULL. `confirm` matters to OPERATOR only.
 */
int core_rules_sm_transition(struct core_rules_sm *sm, enum core_rules_sys to,
			     enum core_rules_cause cause, bool confirm, int64_t now_ns,
			     struct core_rules_sm_result *res);

/*
 * Resume after an interruption (RULES §8), on the state loaded from the snapshot:
 * EMERGENCY, MAINTENANCE and AUDIT are kept (only an operator leaves them); any other
 * state becomes SAFE, then SCANNING when risk_ok and the latch is clear.
 * Returns 0 (res says where it ended) or -EINVAL.
 */
int core_rules_sm_resume(struct core_rules_sm *sm, bool risk_ok, int64_t now_ns,
			 struct core_rules_sm_result *res);

/* Whether the table allows from -> to for cause, ignoring the latch and confirm. */
bool core_rules_sm_allowed(enum core_rules_sys from, enum core_rules_sys to,
			   enum core_rules_cause cause);

/* "SAFE", "SCANNING", ...; "?" out of range. */
const char *core_rules_sys_name(enum core_rules_sys s);

/* "flow", "fault", "level3", "emergency", "operator"; "?" out of range. */
const char *core_rules_cause_name(enum core_rules_cause c);

struct core_rules_account;

/*
 * The gate: may an intent of this kind leave now?
 *   risk-reducing (HEDGE, STOP_LOSS, CLOSE): always CORE_WHY_OK;
 *   ENTRY: the state must be in cfg->entry_states (never SAFE, EMERGENCY, MAINTENANCE),
 *          and the account (when given) neither frozen nor closed;
 *   ROLL:  it opens a new short, so the state must allow entries; a frozen account may
 *          still roll (the freeze of level 2 stops new entries, the roll is level 2's
 *          own action); a closed account may not.
 * acct may be NULL (no account checks). v may be NULL.
 */
enum core_rules_why core_rules_gate(const struct core_rules_cfg *cfg, enum core_rules_sys state,
				    const struct core_rules_account *acct,
				    enum core_rules_intent_kind kind, struct core_rules_verdict *v);

#endif
