/* The system state machine (RULES §8) and the gate: allowed and refused transitions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "shm/shm_layout.h"
#include "workers/core/core_rules_accounts.h"
#include "workers/core/core_rules_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define S(x) CORE_SYS_##x
#define FLOW CORE_CAUSE_FLOW
#define FAULT CORE_CAUSE_FAULT
#define L3 CORE_CAUSE_LEVEL3
#define EMERG CORE_CAUSE_EMERGENCY
#define OPER CORE_CAUSE_OPERATOR

static void test_state_numbers_and_names_match_the_segment(void **state)
{
	(void)state;
	for (uint32_t s = 0; s < CORE_SYS_COUNT; s++)
		assert_string_equal(core_rules_sys_name((enum core_rules_sys)s), shm_state_name(s));
	assert_int_equal(CORE_SYS_SAFE, 0);
	assert_int_equal(CORE_SYS_AUDIT, 9);
	assert_string_equal(core_rules_sys_name((enum core_rules_sys)10), "?");
	struct core_rules_sm sm;
	core_rules_sm_init(&sm, 123);
	assert_int_equal(sm.state, CORE_SYS_SAFE); /* SAFE is the default at start */
	assert_false(sm.l3_latch);
	assert_int_equal(sm.since_ns, 123);
}

struct step {
	enum core_rules_sys from;
	bool latch;
	enum core_rules_sys to;
	enum core_rules_cause cause;
	bool confirm;
	int rc; /* 0 or -EPERM */
	enum core_rules_why why;
	enum core_rules_sys after;
	bool latch_after;
};

static const struct step steps[] = {
	/* the normal cycle */
	{S(SAFE), false, S(SCANNING), FLOW, false, 0, CORE_WHY_OK, S(SCANNING), false},
	{S(SCANNING), false, S(ANALYZING), FLOW, false, 0, CORE_WHY_OK, S(ANALYZING), false},
	{S(ANALYZING), false, S(ORDERING), FLOW, false, 0, CORE_WHY_OK, S(ORDERING), false},
	{S(ORDERING), false, S(MONITORING), FLOW, false, 0, CORE_WHY_OK, S(MONITORING), false},
	{S(MONITORING), false, S(CLOSING), FLOW, false, 0, CORE_WHY_OK, S(CLOSING), false},
	{S(CLOSING), false, S(RECONCILING), FLOW, false, 0, CORE_WHY_OK, S(RECONCILING), false},
	{S(RECONCILING), false, S(SAFE), FLOW, false, 0, CORE_WHY_OK, S(SAFE), false},
	/* shortcuts of the table */
	{S(SCANNING), false, S(MONITORING), FLOW, false, 0, CORE_WHY_OK, S(MONITORING), false},
	{S(ANALYZING), false, S(MONITORING), FLOW, false, 0, CORE_WHY_OK, S(MONITORING), false},
	{S(MONITORING), false, S(SCANNING), FLOW, false, 0, CORE_WHY_OK, S(SCANNING), false},
	{S(RECONCILING), false, S(SCANNING), FLOW, false, 0, CORE_WHY_OK, S(SCANNING), false},
	{S(ORDERING), false, S(SAFE), FLOW, false, 0, CORE_WHY_OK, S(SAFE), false},
	/* refused by the table */
	{S(SAFE), false, S(ORDERING), FLOW, false, -EPERM, CORE_WHY_TRANSITION_NOT_ALLOWED, S(SAFE),
	 false},
	{S(SCANNING), false, S(ORDERING), FLOW, false, -EPERM, CORE_WHY_TRANSITION_NOT_ALLOWED,
	 S(SCANNING), false},
	{S(MONITORING), false, S(ANALYZING), FLOW, false, -EPERM, CORE_WHY_TRANSITION_NOT_ALLOWED,
	 S(MONITORING), false},
	{S(CLOSING), false, S(MONITORING), FLOW, false, -EPERM, CORE_WHY_TRANSITION_NOT_ALLOWED,
	 S(CLOSING), false},
	/* MAINTENANCE and AUDIT: only by operator command, in and out */
	{S(SAFE), false, S(MAINTENANCE), FLOW, false, -EPERM, CORE_WHY_OPERATOR_ONLY, S(SAFE),
	 false},
	{S(MONITORING), false, S(AUDIT), FLOW, false, -EPERM, CORE_WHY_OPERATOR_ONLY, S(MONITORING),
	 false},
	{S(MAINTENANCE), false, S(SAFE), FLOW, false, -EPERM, CORE_WHY_OPERATOR_ONLY,
	 S(MAINTENANCE), false},
	{S(AUDIT), false, S(SCANNING), FLOW, false, -EPERM, CORE_WHY_OPERATOR_ONLY, S(AUDIT),
	 false},
	{S(MONITORING), false, S(MAINTENANCE), OPER, false, 0, CORE_WHY_OK, S(MAINTENANCE), false},
	{S(SAFE), false, S(AUDIT), OPER, false, 0, CORE_WHY_OK, S(AUDIT), false},
	{S(AUDIT), false, S(MAINTENANCE), OPER, false, 0, CORE_WHY_OK, S(MAINTENANCE), false},
	{S(MAINTENANCE), false, S(SAFE), OPER, false, 0, CORE_WHY_OK, S(SAFE), false},
	{S(MAINTENANCE), false, S(SCANNING), OPER, false, -EPERM, CORE_WHY_TRANSITION_NOT_ALLOWED,
	 S(MAINTENANCE), false},
	{S(SCANNING), false, S(ORDERING), OPER, false, -EPERM, CORE_WHY_TRANSITION_NOT_ALLOWED,
	 S(SCANNING), false},
	/* EMERGENCY: from anywhere by its cause, never by the flow, left by a confirmed
	 * operator command to SAFE */
	{S(ORDERING), false, S(EMERGENCY), FLOW, false, -EPERM, CORE_WHY_OPERATOR_ONLY, S(ORDERING),
	 false},
	{S(EMERGENCY), false, S(SAFE), FLOW, false, -EPERM, CORE_WHY_OPERATOR_ONLY, S(EMERGENCY),
	 false},
	{S(EMERGENCY), false, S(SAFE), OPER, false, -EPERM, CORE_WHY_RESET_NEEDS_CONFIRM,
	 S(EMERGENCY), false},
	{S(EMERGENCY), false, S(SAFE), OPER, true, 0, CORE_WHY_OK, S(SAFE), false},
	{S(EMERGENCY), false, S(MAINTENANCE), OPER, true, -EPERM, CORE_WHY_TRANSITION_NOT_ALLOWED,
	 S(EMERGENCY), false},
	{S(EMERGENCY), false, S(SCANNING), EMERG, false, -EPERM, CORE_WHY_TRANSITION_NOT_ALLOWED,
	 S(EMERGENCY), false},
	/* faults: SAFE from anywhere; EMERGENCY stays */
	{S(ORDERING), false, S(SAFE), FAULT, false, 0, CORE_WHY_OK, S(SAFE), false},
	{S(SAFE), false, S(SAFE), FAULT, false, 0, CORE_WHY_ALREADY, S(SAFE), false},
	{S(EMERGENCY), false, S(SAFE), FAULT, false, 0, CORE_WHY_STAYS_IN_EMERGENCY, S(EMERGENCY),
	 false},
	{S(MAINTENANCE), false, S(SAFE), FAULT, false, 0, CORE_WHY_OK, S(SAFE), false},
	{S(SCANNING), false, S(MONITORING), FAULT, false, -EPERM, CORE_WHY_TRANSITION_NOT_ALLOWED,
	 S(SCANNING), false},
	/* level 3: SAFE and the latch */
	{S(MONITORING), false, S(SAFE), L3, false, 0, CORE_WHY_OK, S(SAFE), true},
	{S(SAFE), false, S(SAFE), L3, false, 0, CORE_WHY_ALREADY, S(SAFE), true},
	{S(EMERGENCY), false, S(SAFE), L3, false, 0, CORE_WHY_STAYS_IN_EMERGENCY, S(EMERGENCY),
	 true},
	/* leaving a level-3 SAFE: an explicit operator reset with confirm */
	{S(SAFE), true, S(SCANNING), FLOW, false, -EPERM, CORE_WHY_RESET_NEEDS_CONFIRM, S(SAFE),
	 true},
	{S(SAFE), true, S(SCANNING), OPER, false, -EPERM, CORE_WHY_RESET_NEEDS_CONFIRM, S(SAFE),
	 true},
	{S(SAFE), true, S(SCANNING), OPER, true, 0, CORE_WHY_OK, S(SCANNING), false},
	{S(SAFE), true, S(SAFE), OPER, true, 0, CORE_WHY_ALREADY, S(SAFE), false}, /* "reset" */
	{S(SAFE), true, S(MAINTENANCE), OPER, true, 0, CORE_WHY_OK, S(MAINTENANCE), true},
	{S(MAINTENANCE), true, S(SAFE), OPER, false, 0, CORE_WHY_OK, S(SAFE), true},
	{S(SAFE), false, S(SCANNING), OPER, false, 0, CORE_WHY_OK, S(SCANNING), false},
};

static void test_state_transitions_allowed_and_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct step *t = &steps[i];
		struct core_rules_sm sm = {.state = t->from, .prev = t->from, .l3_latch = t->latch};
		struct core_rules_sm_result res;
		int rc = core_rules_sm_transition(&sm, t->to, t->cause, t->confirm,
						  1000 + (int64_t)i, &res);
		if (rc != t->rc || res.v.why != t->why || sm.state != t->after ||
		    sm.l3_latch != t->latch_after)
			print_error("step %zu: %s -> %s by %s: rc %d, %s, now %s latch %d\n", i,
				    core_rules_sys_name(t->from), core_rules_sys_name(t->to),
				    core_rules_cause_name(t->cause), rc, res.v.text,
				    core_rules_sys_name(sm.state), sm.l3_latch);
		assert_int_equal(rc, t->rc);
		assert_int_equal(res.ok, rc == 0);
		assert_int_equal(res.v.why, t->why);
		assert_int_equal(res.from, t->from);
		assert_int_equal(res.to, t->after);
		assert_int_equal(sm.state, t->after);
		assert_int_equal(sm.l3_latch, t->latch_after);
		if (t->after != t->from) {
			assert_int_equal(sm.prev, t->from);
			assert_int_equal(sm.since_ns, 1000 + (int64_t)i);
			assert_int_equal(sm.changes, 1);
		} else {
			assert_int_equal(sm.changes, 0);
		}
	}
}

static void test_state_emergency_is_reachable_from_every_state(void **state)
{
	(void)state;
	for (int s = 0; s < CORE_SYS_COUNT; s++) {
		struct core_rules_sm sm = {.state = (enum core_rules_sys)s};
		assert_int_equal(core_rules_sm_transition(&sm, S(EMERGENCY), EMERG, false, 1, NULL),
				 0);
		assert_int_equal(sm.state, S(EMERGENCY));
		assert_true(core_rules_sm_allowed((enum core_rules_sys)s, S(EMERGENCY), EMERG));
		/* and SAFE after a fault from every state but EMERGENCY */
		struct core_rules_sm f = {.state = (enum core_rules_sys)s};
		assert_int_equal(core_rules_sm_transition(&f, S(SAFE), FAULT, false, 1, NULL), 0);
		assert_int_equal(f.state, s == S(EMERGENCY) ? S(EMERGENCY) : S(SAFE));
	}
}

static void test_state_maintenance_and_audit_only_by_operator(void **state)
{
	(void)state;
	for (int s = 0; s < CORE_SYS_COUNT; s++) {
		for (int c = FLOW; c <= OPER; c++) {
			for (int to = S(MAINTENANCE); to <= S(AUDIT); to++) {
				bool ok = core_rules_sm_allowed((enum core_rules_sys)s,
								(enum core_rules_sys)to,
								(enum core_rules_cause)c);
				assert_int_equal(ok, c == OPER && s != S(EMERGENCY));
			}
		}
	}
}

static void test_state_level3_then_reset_walkthrough(void **state)
{
	(void)state;
	struct core_rules_sm sm;
	struct core_rules_sm_result r;
	core_rules_sm_init(&sm, 0);
	assert_int_equal(core_rules_sm_transition(&sm, S(SCANNING), FLOW, false, 1, &r), 0);
	assert_int_equal(core_rules_sm_transition(&sm, S(ANALYZING), FLOW, false, 2, &r), 0);
	assert_int_equal(core_rules_sm_transition(&sm, S(ORDERING), FLOW, false, 3, &r), 0);
	assert_int_equal(core_rules_sm_transition(&sm, S(MONITORING), FLOW, false, 4, &r), 0);
	assert_int_equal(core_rules_sm_transition(&sm, S(SAFE), L3, false, 5, &r), 0);
	assert_string_equal(r.v.text, "ok: MONITORING -> SAFE by level3");
	assert_int_equal(core_rules_sm_transition(&sm, S(SCANNING), FLOW, false, 6, &r), -EPERM);
	assert_string_equal(r.v.text, "reset_needs_confirm: SAFE -> SCANNING by flow: operator "
				      "reset needs the confirm flag");
	/* the process restarts: the latch survives in the snapshot */
	assert_int_equal(core_rules_sm_resume(&sm, true, 7, &r), 0);
	assert_int_equal(sm.state, S(SAFE));
	assert_int_equal(r.v.why, CORE_WHY_RESET_NEEDS_CONFIRM);
	assert_int_equal(core_rules_sm_transition(&sm, S(SCANNING), OPER, true, 8, &r), 0);
	assert_int_equal(sm.state, S(SCANNING));
	assert_false(sm.l3_latch);
	assert_int_equal(sm.changes, 6);
	assert_int_equal(core_rules_sm_transition(&sm, (enum core_rules_sys)10, FLOW, false, 9, &r),
			 -EINVAL);
	assert_int_equal(
		core_rules_sm_transition(&sm, S(SAFE), (enum core_rules_cause)0, false, 9, &r),
		-EINVAL);
	assert_int_equal(core_rules_sm_transition(NULL, S(SAFE), FAULT, false, 9, &r), -EINVAL);
}

static void test_state_resume_goes_scanning_only_when_the_risk_check_passes(void **state)
{
	(void)state;
	struct core_rules_sm sm = {.state = S(ORDERING)};
	struct core_rules_sm_result r;
	assert_int_equal(core_rules_sm_resume(&sm, true, 1, &r), 0);
	assert_int_equal(sm.state, S(SCANNING));
	sm = (struct core_rules_sm){.state = S(MONITORING)};
	assert_int_equal(core_rules_sm_resume(&sm, false, 1, &r), 0);
	assert_int_equal(sm.state, S(SAFE));
	assert_non_null(strstr(r.v.text, "risk check failed"));
	for (int s = S(EMERGENCY); s <= S(AUDIT); s++) {
		sm = (struct core_rules_sm){.state = (enum core_rules_sys)s};
		assert_int_equal(core_rules_sm_resume(&sm, true, 1, &r), 0);
		assert_int_equal(sm.state, s); /* only an operator leaves these */
	}
}

static void test_gate_blocks_entries_where_the_rules_say(void **state)
{
	(void)state;
	struct core_rules_cfg cfg;
	core_rules_cfg_defaults(&cfg);
	struct core_rules_account acct = {.id = 4, .type = CORE_ACCT_GEN};
	for (int s = 0; s < CORE_SYS_COUNT; s++) {
		bool open = s == S(SCANNING) || s == S(ANALYZING) || s == S(ORDERING) ||
			    s == S(MONITORING);
		struct core_rules_verdict v;
		enum core_rules_why w =
			core_rules_gate(&cfg, (enum core_rules_sys)s, &acct, CORE_INTENT_ENTRY, &v);
		assert_int_equal(w, open ? CORE_WHY_OK : CORE_WHY_STATE_BLOCKS_ENTRY);
		assert_int_equal(core_rules_gate(&cfg, (enum core_rules_sys)s, &acct,
						 CORE_INTENT_ROLL, NULL),
				 open ? CORE_WHY_OK : CORE_WHY_STATE_BLOCKS_ENTRY);
		/* risk-reducing intents pass in every state, frozen or not */
		acct.frozen = true;
		assert_int_equal(core_rules_gate(&cfg, (enum core_rules_sys)s, &acct,
						 CORE_INTENT_STOP_LOSS, NULL),
				 CORE_WHY_OK);
		assert_int_equal(core_rules_gate(&cfg, (enum core_rules_sys)s, &acct,
						 CORE_INTENT_HEDGE, NULL),
				 CORE_WHY_OK);
		assert_int_equal(core_rules_gate(&cfg, (enum core_rules_sys)s, &acct,
						 CORE_INTENT_CLOSE, NULL),
				 CORE_WHY_OK);
		acct.frozen = false;
	}
	struct core_rules_verdict v;
	acct.frozen = true;
	assert_int_equal(core_rules_gate(&cfg, S(ORDERING), &acct, CORE_INTENT_ENTRY, &v),
			 CORE_WHY_ACCOUNT_FROZEN);
	assert_string_equal(v.text, "account_frozen: account 4 entries frozen by level 2");
	/* the roll is level 2's own action: a frozen account may still roll */
	assert_int_equal(core_rules_gate(&cfg, S(MONITORING), &acct, CORE_INTENT_ROLL, NULL),
			 CORE_WHY_OK);
	acct.frozen = false;
	acct.closed = true;
	assert_int_equal(core_rules_gate(&cfg, S(ORDERING), &acct, CORE_INTENT_ENTRY, NULL),
			 CORE_WHY_ACCOUNT_CLOSED);
	assert_int_equal(core_rules_gate(&cfg, S(ORDERING), NULL, CORE_INTENT_ENTRY, NULL),
			 CORE_WHY_OK);
	assert_int_equal(core_rules_gate(&cfg, S(SAFE), NULL, CORE_INTENT_ENTRY, &v),
			 CORE_WHY_STATE_BLOCKS_ENTRY);
	assert_string_equal(v.text, "state_blocks_entry: system state opens no position: no "
				    "entry in state SAFE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_numbers_and_names_match_the_segment),
		cmocka_unit_test(test_state_transitions_allowed_and_refused),
		cmocka_unit_test(test_state_emergency_is_reachable_from_every_state),
		cmocka_unit_test(test_state_maintenance_and_audit_only_by_operator),
		cmocka_unit_test(test_state_level3_then_reset_walkthrough),
		cmocka_unit_test(test_state_resume_goes_scanning_only_when_the_risk_check_passes),
		cmocka_unit_test(test_gate_blocks_entries_where_the_rules_say),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
