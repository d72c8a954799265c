#include "workers/core/core_rules_state.h"
#include "shm/shm_layout.h" /* enum shm_state: only to pin the numbering */
#include "workers/core/core_rules_accounts.h"

#include <errno.h>
#include <stddef.h>

_Static_assert((int)CORE_SYS_SAFE == (int)SHM_STATE_SAFE, "SAFE numbering");
_Static_assert((int)CORE_SYS_SCANNING == (int)SHM_STATE_SCANNING, "SCANNING numbering");
_Static_assert((int)CORE_SYS_ANALYZING == (int)SHM_STATE_ANALYZING, "ANALYZING numbering");
_Static_assert((int)CORE_SYS_ORDERING == (int)SHM_STATE_ORDERING, "ORDERING numbering");
_Static_assert((int)CORE_SYS_MONITORING == (int)SHM_STATE_MONITORING, "MONITORING numbering");
_Static_assert((int)CORE_SYS_CLOSING == (int)SHM_STATE_CLOSING, "CLOSING numbering");
_Static_assert((int)CORE_SYS_RECONCILING == (int)SHM_STATE_RECONCILING, "RECONCILING numbering");
_Static_assert((int)CORE_SYS_EMERGENCY == (int)SHM_STATE_EMERGENCY, "EMERGENCY numbering");
_Static_assert((int)CORE_SYS_MAINTENANCE == (int)SHM_STATE_MAINTENANCE, "MAINTENANCE numbering");
_Static_assert((int)CORE_SYS_AUDIT == (int)SHM_STATE_AUDIT, "AUDIT numbering");
_Static_assert(CORE_SYS_COUNT == (int)SHM_STATE_AUDIT + 1, "ten states");

#define B(s) (1u << (s))

/* The normal cycle (cause FLOW): flow[from] is the set of allowed targets. */
static const uint32_t flow[CORE_SYS_COUNT] = {
	[CORE_SYS_SAFE] = B(CORE_SYS_SCANNING),
	[CORE_SYS_SCANNING] = B(CORE_SYS_ANALYZING) | B(CORE_SYS_MONITORING) | B(CORE_SYS_SAFE),
	[CORE_SYS_ANALYZING] = B(CORE_SYS_ORDERING) | B(CORE_SYS_MONITORING) | B(CORE_SYS_SAFE),
	[CORE_SYS_ORDERING] = B(CORE_SYS_MONITORING) | B(CORE_SYS_SAFE),
	[CORE_SYS_MONITORING] = B(CORE_SYS_CLOSING) | B(CORE_SYS_SCANNING) | B(CORE_SYS_SAFE),
	[CORE_SYS_CLOSING] = B(CORE_SYS_RECONCILING) | B(CORE_SYS_SAFE),
	[CORE_SYS_RECONCILING] = B(CORE_SYS_SAFE) | B(CORE_SYS_SCANNING),
	[CORE_SYS_EMERGENCY] = 0,
	[CORE_SYS_MAINTENANCE] = 0,
	[CORE_SYS_AUDIT] = 0,
};

/* Operator commands: operator[from] is the set of allowed targets. */
static const uint32_t operator_to[CORE_SYS_COUNT] = {
	[CORE_SYS_SAFE] = B(CORE_SYS_SAFE) | B(CORE_SYS_SCANNING) | B(CORE_SYS_MAINTENANCE) |
			  B(CORE_SYS_AUDIT),
	[CORE_SYS_SCANNING] = B(CORE_SYS_SAFE) | B(CORE_SYS_MAINTENANCE) | B(CORE_SYS_AUDIT),
	[CORE_SYS_ANALYZING] = B(CORE_SYS_SAFE) | B(CORE_SYS_MAINTENANCE) | B(CORE_SYS_AUDIT),
	[CORE_SYS_ORDERING] = B(CORE_SYS_SAFE) | B(CORE_SYS_MAINTENANCE) | B(CORE_SYS_AUDIT),
	[CORE_SYS_MONITORING] = B(CORE_SYS_SAFE) | B(CORE_SYS_MAINTENANCE) | B(CORE_SYS_AUDIT),
	[CORE_SYS_CLOSING] = B(CORE_SYS_SAFE) | B(CORE_SYS_MAINTENANCE) | B(CORE_SYS_AUDIT),
	[CORE_SYS_RECONCILING] = B(CORE_SYS_SAFE) | B(CORE_SYS_MAINTENANCE) | B(CORE_SYS_AUDIT),
	[CORE_SYS_EMERGENCY] = B(CORE_SYS_SAFE) | B(CORE_SYS_EMERGENCY),
	[CORE_SYS_MAINTENANCE] = B(CORE_SYS_SAFE) | B(CORE_SYS_MAINTENANCE) | B(CORE_SYS_AUDIT),
	[CORE_SYS_AUDIT] = B(CORE_SYS_SAFE) | B(CORE_SYS_MAINTENANCE) | B(CORE_SYS_AUDIT),
};

const char *core_rules_sys_name(enum core_rules_sys s)
{
	static const char *const names[CORE_SYS_COUNT] = {
		"SAFE",    "SCANNING",    "ANALYZING", "ORDERING",    "MONITORING",
		"CLOSING", "RECONCILING", "EMERGENCY", "MAINTENANCE", "AUDIT"};
	return (unsigned)s < CORE_SYS_COUNT ? names[s] : "?";
}

const char *core_rules_cause_name(enum core_rules_cause c)
{
	switch (c) {
	case CORE_CAUSE_FLOW:
		return "flow";
	case CORE_CAUSE_FAULT:
		return "fault";
	case CORE_CAUSE_LEVEL3:
		return "level3";
	case CORE_CAUSE_EMERGENCY:
		return "emergency";
	case CORE_CAUSE_OPERATOR:
		return "operator";
	}
	return "?";
}

void core_rules_sm_init(struct core_rules_sm *sm, int64_t now_ns)
{
	sm->state = CORE_SYS_SAFE;
	sm->prev = CORE_SYS_SAFE;
	sm->l3_latch = false;
	sm->since_ns = now_ns;
	sm->changes = 0;
}

bool core_rules_sm_allowed(enum core_rules_sys from, enum core_rules_sys to,
			   enum core_rules_cause cause)
{
	if ((unsigned)from >= CORE_SYS_COUNT || (unsigned)to >= CORE_SYS_COUNT)
		return false;
	switch (cause) {
	case CORE_CAUSE_FLOW:
		return (flow[from] & B(to)) != 0;
	case CORE_CAUSE_FAULT:
	case CORE_CAUSE_LEVEL3:
		return to == CORE_SYS_SAFE;
	case CORE_CAUSE_EMERGENCY:
		return to == CORE_SYS_EMERGENCY;
	case CORE_CAUSE_OPERATOR:
		return (operator_to[from] & B(to)) != 0;
	}
	return false;
}

static int result(struct core_rules_sm_result *res, bool ok, enum core_rules_sys from,
		  enum core_rules_sys to, enum core_rules_why why, enum core_rules_cause cause,
		  enum core_rules_sys asked)
{
	if (res) {
		res->ok = ok;
		res->from = from;
		res->to = to;
		core_rules_verdict_set(&res->v, why, "%s -> %s by %s%s%s",
				       core_rules_sys_name(from), core_rules_sys_name(asked),
				       core_rules_cause_name(cause), why == CORE_WHY_OK ? "" : ": ",
				       why == CORE_WHY_OK ? "" : core_rules_why_text(why));
	}
	return ok ? 0 : -EPERM;
}

static void enter(struct core_rules_sm *sm, enum core_rules_sys to, int64_t now_ns)
{
	sm->prev = sm->state;
	sm->state = to;
	sm->since_ns = now_ns;
	sm->changes++;
}

int core_rules_sm_transition(struct core_rules_sm *sm, enum core_rules_sys to,
			     enum core_rules_cause cause, bool confirm, int64_t now_ns,
			     struct core_rules_sm_result *res)
{
	if (!sm || (unsigned)sm->state >= CORE_SYS_COUNT || (unsigned)to >= CORE_SYS_COUNT ||
	    cause < CORE_CAUSE_FLOW || cause > CORE_CAUSE_OPERATOR)
		return -EINVAL;
	enum core_rules_sys from = sm->state;

	switch (cause) {
	case CORE_CAUSE_FAULT:
	case CORE_CAUSE_LEVEL3:
		if (to != CORE_SYS_SAFE)
			return result(res, false, from, from, CORE_WHY_TRANSITION_NOT_ALLOWED,
				      cause, to);
		/* a fault is never refused: the latch is set even when the state stays */
		if (cause == CORE_CAUSE_LEVEL3)
			sm->l3_latch = true;
		if (from == CORE_SYS_EMERGENCY)
			return result(res, true, from, from, CORE_WHY_STAYS_IN_EMERGENCY, cause,
				      to);
		break;
	case CORE_CAUSE_EMERGENCY:
		if (to != CORE_SYS_EMERGENCY)
			return result(res, false, from, from, CORE_WHY_TRANSITION_NOT_ALLOWED,
				      cause, to);
		break;
	case CORE_CAUSE_FLOW:
		if (from == CORE_SYS_EMERGENCY || from == CORE_SYS_MAINTENANCE ||
		    from == CORE_SYS_AUDIT || to == CORE_SYS_EMERGENCY ||
		    to == CORE_SYS_MAINTENANCE || to == CORE_SYS_AUDIT)
			return result(res, false, from, from, CORE_WHY_OPERATOR_ONLY, cause, to);
		if (to == from)
			return result(res, true, from, from, CORE_WHY_ALREADY, cause, to);
		if (!(flow[from] & B(to)))
			return result(res, false, from, from, CORE_WHY_TRANSITION_NOT_ALLOWED,
				      cause, to);
		if (from == CORE_SYS_SAFE && sm->l3_latch)
			return result(res, false, from, from, CORE_WHY_RESET_NEEDS_CONFIRM, cause,
				      to);
		break;
	case CORE_CAUSE_OPERATOR:
		if (!(operator_to[from] & B(to)))
			return result(res, false, from, from, CORE_WHY_TRANSITION_NOT_ALLOWED,
				      cause, to);
		if (from == CORE_SYS_EMERGENCY && to != CORE_SYS_EMERGENCY && !confirm)
			return result(res, false, from, from, CORE_WHY_RESET_NEEDS_CONFIRM, cause,
				      to);
		if (from == CORE_SYS_SAFE && to == CORE_SYS_SCANNING && sm->l3_latch && !confirm)
			return result(res, false, from, from, CORE_WHY_RESET_NEEDS_CONFIRM, cause,
				      to);
		if (from == CORE_SYS_SAFE && confirm &&
		    (to == CORE_SYS_SAFE || to == CORE_SYS_SCANNING))
			sm->l3_latch = false; /* the explicit operator reset */
		break;
	}
	if (to == from)
		return result(res, true, from, from, CORE_WHY_ALREADY, cause, to);
	enter(sm, to, now_ns);
	return result(res, true, from, to, CORE_WHY_OK, cause, to);
}

int core_rules_sm_resume(struct core_rules_sm *sm, bool risk_ok, int64_t now_ns,
			 struct core_rules_sm_result *res)
{
	if (!sm || (unsigned)sm->state >= CORE_SYS_COUNT)
		return -EINVAL;
	enum core_rules_sys from = sm->state;
	if (from == CORE_SYS_EMERGENCY || from == CORE_SYS_MAINTENANCE || from == CORE_SYS_AUDIT) {
		result(res, true, from, from, CORE_WHY_OPERATOR_ONLY, CORE_CAUSE_FLOW, from);
		return 0;
	}
	if (from != CORE_SYS_SAFE)
		enter(sm, CORE_SYS_SAFE, now_ns);
	if (risk_ok && !sm->l3_latch) {
		enter(sm, CORE_SYS_SCANNING, now_ns);
		result(res, true, from, CORE_SYS_SCANNING, CORE_WHY_OK, CORE_CAUSE_FLOW,
		       CORE_SYS_SCANNING);
		return 0;
	}
	result(res, true, from, CORE_SYS_SAFE,
	       sm->l3_latch ? CORE_WHY_RESET_NEEDS_CONFIRM : CORE_WHY_STATE_BLOCKS_ENTRY,
	       CORE_CAUSE_FLOW, CORE_SYS_SCANNING);
	if (res && !risk_ok && !sm->l3_latch)
		core_rules_verdict_set(&res->v, CORE_WHY_STATE_BLOCKS_ENTRY,
				       "%s -> SAFE: resume risk check failed",
				       core_rules_sys_name(from));
	return 0;
}

enum core_rules_why core_rules_gate(const struct core_rules_cfg *cfg, enum core_rules_sys state,
				    const struct core_rules_account *acct,
				    enum core_rules_intent_kind kind, struct core_rules_verdict *v)
{
	if (core_rules_intent_kind_reduces_risk(kind))
		return core_rules_verdict_set(v, CORE_WHY_OK, "%s reduces risk: always passes",
					      core_rules_intent_kind_name(kind));
	if (kind != CORE_INTENT_ENTRY && kind != CORE_INTENT_ROLL)
		return core_rules_verdict_set(v, CORE_WHY_BAD_ARGUMENT, "intent kind %d",
					      (int)kind);
	if (!cfg || (unsigned)state >= CORE_SYS_COUNT || !(cfg->entry_states & B(state)))
		return core_rules_verdict_set(
			v, CORE_WHY_STATE_BLOCKS_ENTRY, "%s: no %s in state %s",
			core_rules_why_text(CORE_WHY_STATE_BLOCKS_ENTRY),
			core_rules_intent_kind_name(kind), core_rules_sys_name(state));
	if (acct && acct->closed)
		return core_rules_verdict_set(v, CORE_WHY_ACCOUNT_CLOSED, "account %u closed on %d",
					      acct->id, acct->closed_date);
	if (acct && acct->frozen && kind == CORE_INTENT_ENTRY)
		return core_rules_verdict_set(v, CORE_WHY_ACCOUNT_FROZEN,
					      "account %u entries frozen by level 2", acct->id);
	return core_rules_verdict_set(v, CORE_WHY_OK, "%s passes in %s",
				      core_rules_intent_kind_name(kind),
				      core_rules_sys_name(state));
}
