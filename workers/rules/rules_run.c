/*
 * alluse-rules run — the rules process: owner of the system state machine (the
 * header's system_state word), the ATR table, the positions sent to the workers,
 * and the consumer of the workers' events and of the operator's commands.
 */
#include "workers/rules/rules_run.h"

#include "rt/rt_atomic.h"
#include "rt/rt_clock.h"
#include "rt/rt_config.h"
#include "rt/rt_idle.h"
#include "rt/rt_log.h"
#include "rt/rt_signal.h"
#include "shm/shm_audit.h"
#include "shm/shm_clock.h"
#include "shm/shm_counters.h"
#include "shm/shm_pos.h"
#include "shm/shm_ring.h"
#include "shm/shm_segment.h"
#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_state.h"
#include "workers/desk/rules_desk.h"
#include "workers/rules/rules_proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

_Static_assert((int)CORE_SYS_SAFE == (int)SHM_STATE_SAFE &&
		       (int)CORE_SYS_AUDIT == (int)SHM_STATE_AUDIT,
	       "the core's states are the segment's numbers");

struct rules_ctx {
	struct shm_segment seg;
	struct core_rules_sm sm;
	struct shm_ring ctl;
	struct shm_audit_producer audit;
	int have_audit;
	uint64_t audit_fault;
	struct shm_clock *clock;
	struct rules_proto *rp;
	struct rules_desk *desk;
	int want_resume;
	uint64_t resume_deadline_ns, next_resume_ns;
	int32_t atr_date; /* New York date of the start's ATR job until an OPEN uses it */
	uint64_t *c_state, *c_latch, *c_last_seq, *c_last_result, *c_last_why, *c_commands,
		*c_heartbeat, *c_transitions;
};

/* Decision time: the shared clock (replay time in a replay), the wall clock while a
 * replay has not published its first quote. */
static uint64_t decision_ns(const struct rules_ctx *r)
{
	uint64_t t = shm_clock_now(r->clock);
	return t ? t : rt_clock_wall_ns();
}

static void publish_state(struct rules_ctx *r)
{
	/* single writer of the header's system_state: this process */
	rt_store_rel_u32(&r->seg.hdr->system_state, (uint32_t)r->sm.state);
	rt_store_rlx_u64(r->c_state, (uint64_t)r->sm.state);
	rt_store_rlx_u64(r->c_latch, r->sm.l3_latch);
}

static int transition(struct rules_ctx *r, enum core_rules_sys to, enum core_rules_cause cause,
		      int confirm, const char *who, const char *why,
		      struct core_rules_sm_result *res)
{
	int rc = core_rules_sm_transition(&r->sm, to, cause, confirm != 0, (int64_t)decision_ns(r),
					  res);
	if (rc == 0) {
		if (res->from != res->to)
			rt_counter_add(r->c_transitions, 1);
		if (r->have_audit && res->from != res->to) {
			struct shm_audit_state st = {.from = res->from, .to = res->to};
			snprintf(st.reason, sizeof(st.reason), "%s: %s",
				 core_rules_cause_name(cause), why);
			shm_audit_emit(&r->audit, SHM_AUDIT_STATE, decision_ns(r), &st, sizeof(st));
		}
		rt_log(res->to == CORE_SYS_SAFE && res->from != CORE_SYS_SAFE ? RT_LOG_ERROR
									      : RT_LOG_INFO,
		       "system state",
		       "from=%s to=%s cause=%s by=\"%s\" why=\"%s\" latch=%d verdict=\"%s\"",
		       core_rules_sys_name(res->from), core_rules_sys_name(res->to),
		       core_rules_cause_name(cause), who, why, r->sm.l3_latch, res->v.text);
	} else {
		rt_log_warn("state change refused",
			    "from=%s to=%s cause=%s by=\"%s\" reason=\"%s\"",
			    core_rules_sys_name(r->sm.state), core_rules_sys_name(to),
			    core_rules_cause_name(cause), who, res->v.text);
	}
	publish_state(r);
	return rc;
}

/* ---- the desk's view of this process ---- */

static enum core_rules_sys desk_state(void *ctx)
{
	return ((struct rules_ctx *)ctx)->sm.state;
}

static int desk_transition(void *ctx, enum core_rules_sys to, const char *why)
{
	struct core_rules_sm_result res;
	return transition(ctx, to, CORE_CAUSE_FLOW, 0, "rules", why, &res);
}

static int desk_send_pos(void *ctx, const struct shm_posctl *cmd)
{
	return rules_proto_send_pos(((struct rules_ctx *)ctx)->rp, cmd);
}

/* The day's ATR job. The process also runs it at its start (the workers need an ATR
 * before any OPEN, on a weekend too), so an OPEN of the same New York day — the same
 * computation on the same bars — is not run again; another day's is. */
static void desk_atr_job(void *ctx)
{
	struct rules_ctx *r = ctx;
	if (r->atr_date && core_calendar_ny_date((int64_t)decision_ns(r)) == r->atr_date) {
		r->atr_date = 0;
		return;
	}
	rules_proto_atr_job(r->rp);
}

static void desk_fault(void *ctx, const char *why)
{
	struct rules_ctx *r = ctx;
	struct core_rules_sm_result res;
	r->want_resume = 0;
	transition(r, CORE_SYS_SAFE, CORE_CAUSE_FAULT, 0, "rules", why, &res);
}

static void on_level(void *ctx, const struct shm_event *ev, uint32_t worker)
{
	struct rules_ctx *r = ctx;
	(void)worker;
	if (r->desk)
		rules_desk_on_level(r->desk, ev->pos_id, ev->from, ev->to, ev->price, ev->atr,
				    ev->event_time_ns ? (int64_t)ev->event_time_ns
						      : (int64_t)decision_ns(r));
}

/* The desk opens on the first valid shared-clock time (a replay's clock is 0 until
 * the first quote). Returns 0 when open (or not yet due), -1 on a fatal error. */
static int desk_open(struct rules_ctx *r, const struct rt_config *cfg, const char *snapshot,
		     uint64_t now)
{
	if (r->desk || now < 567993600ull * 1000000000ull) /* 1988-01-01 */
		return 0;
	struct rules_desk_ops ops = {.ctx = r,
				     .state = desk_state,
				     .transition = desk_transition,
				     .send_pos = desk_send_pos,
				     .atr_job = desk_atr_job,
				     .fault = desk_fault};
	struct rt_err err = {0};
	r->desk = rules_desk_open(&cfg->rules, &r->seg, &ops, r->have_audit ? &r->audit : NULL,
				  snapshot, (int64_t)now, &err);
	if (!r->desk) {
		rt_log_error("desk cannot start", "reason=\"%s\"", err.msg);
		return -1;
	}
	r->want_resume = 1;
	r->resume_deadline_ns = rt_clock_now_ns() + 60ull * 1000000000ull;
	return 0;
}

static void apply_ctl(struct rules_ctx *r, const struct shm_ctl_cmd *c)
{
	char who[64];
	char user[33];
	memcpy(user, c->user, 32);
	user[32] = '\0';
	snprintf(who, sizeof(who), "%s uid=%u pid=%u", user, c->uid, c->pid);
	struct core_rules_sm_result res;
	memset(&res, 0, sizeof(res));
	int rc;
	switch (c->op) {
	case SHM_CTL_SAFE:
		rc = transition(r, CORE_SYS_SAFE, CORE_CAUSE_OPERATOR, c->confirm, who,
				"alluse-ctl safe", &res);
		break;
	case SHM_CTL_RESET:
		if (!c->confirm) {
			rc = -EPERM;
			snprintf(res.v.text, sizeof(res.v.text), "reset needs --confirm");
			rt_log_warn("state change refused",
				    "by=\"%s\" reason=\"reset needs --confirm\"", who);
			break;
		}
		rc = transition(r, CORE_SYS_SAFE, CORE_CAUSE_OPERATOR, 1, who, "alluse-ctl reset",
				&res);
		break;
	case SHM_CTL_MAINTENANCE:
		rc = transition(r, CORE_SYS_MAINTENANCE, CORE_CAUSE_OPERATOR, c->confirm, who,
				"alluse-ctl maintenance", &res);
		break;
	case SHM_CTL_AUDIT:
		rc = transition(r, CORE_SYS_AUDIT, CORE_CAUSE_OPERATOR, c->confirm, who,
				"alluse-ctl audit", &res);
		break;
	case SHM_CTL_RESUME:
		if (r->sm.state != CORE_SYS_SAFE)
			transition(r, CORE_SYS_SAFE, CORE_CAUSE_OPERATOR, c->confirm, who,
				   "alluse-ctl resume: through SAFE", &res);
		rc = transition(r, CORE_SYS_SCANNING, CORE_CAUSE_OPERATOR, c->confirm, who,
				"alluse-ctl resume", &res);
		break;
	case SHM_CTL_EMERGENCY:
		rc = transition(r, CORE_SYS_EMERGENCY, CORE_CAUSE_EMERGENCY, c->confirm, who,
				"alluse-ctl emergency", &res);
		break;
	default:
		rc = -EINVAL;
		rt_log_warn("unknown operator command", "op=%u by=\"%s\"", c->op, who);
		break;
	}
	rt_counter_add(r->c_commands, 1);
	if (r->have_audit) {
		char text[256];
		snprintf(text, sizeof(text), "op=%u confirm=%u by=%s result=%s", c->op, c->confirm,
			 who, rc < 0 ? res.v.text : "ok");
		shm_audit_emit_text(&r->audit, SHM_AUDIT_COMMAND, decision_ns(r), text);
	}
	rt_store_rlx_u64(r->c_last_result, (uint64_t)(rc < 0 ? -rc : 0));
	rt_store_rlx_u64(r->c_last_why, (uint64_t)res.v.why);
	/* release: the result words are visible before the sequence that announces them */
	__atomic_store_n(r->c_last_seq, c->seq, __ATOMIC_RELEASE);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: alluse-rules run [-e ENV] [-c FILE] [-n INSTANCE]\n");
}

int rules_run(int argc, char **argv)
{
	const char *config = NULL, *instance = NULL, *env = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc)
			config = argv[++i];
		else if ((!strcmp(argv[i], "-e") || !strcmp(argv[i], "--env")) && i + 1 < argc)
			env = argv[++i];
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			instance = argv[++i];
		else {
			fprintf(stderr, "alluse-rules run: unknown or incomplete argument '%s'\n",
				argv[i]);
			usage(stderr);
			return 2;
		}
	}
	static struct rt_config cfg;
	struct rt_err err = {0};
	if (rt_config_load_cli_env(&cfg, env, config, instance, &err)) {
		fprintf(stderr, "alluse-rules: %s\n", err.msg);
		return 2;
	}
	rt_log_init("rules", cfg.log_level);
	rt_signal_install();
	static struct rules_ctx r;
	if (shm_segment_attach(&r.seg, cfg.instance, 5000, &err) != 0) {
		rt_log_error("cannot attach", "instance=%s reason=\"%s\"", cfg.instance, err.msg);
		return 1;
	}
	const struct shm_dir_entry *ce = shm_segment_find(&r.seg, SHM_KIND_RING, SHM_ROLE_CTL, 0);
	const struct shm_dir_entry *re =
		shm_segment_find_kind_name(&r.seg, SHM_KIND_COUNTERS, "rules");
	const struct shm_dir_entry *ke =
		shm_segment_find_kind_name(&r.seg, SHM_KIND_CLOCK, "clock");
	if (!ce || !re || !ke) {
		rt_log_error("segment has no ctl ring, rules counters or clock", NULL);
		return 1;
	}
	r.clock = shm_segment_region(&r.seg, ke);
	shm_ring_consumer_attach(&r.ctl, shm_segment_region(&r.seg, ce));
	struct shm_counters cs;
	shm_counters_attach(&cs, shm_segment_region(&r.seg, re));
#define CNT(var, label) r.var = shm_counters_word(&cs, label)
	CNT(c_state, "state");
	CNT(c_latch, "level3.latch");
	CNT(c_last_seq, "ctl.last_seq");
	CNT(c_last_result, "ctl.last_result");
	CNT(c_last_why, "ctl.last_why");
	CNT(c_commands, "ctl.commands");
	CNT(c_heartbeat, "heartbeat.ns");
	CNT(c_transitions, "state.transitions");
	/* RULES §8: SAFE at start; a restart resumes the latch it had published */
	core_rules_sm_init(&r.sm, (int64_t)decision_ns(&r));
	r.sm.l3_latch = rt_load_rlx_u64(r.c_latch) != 0;
	uint32_t was = rt_load_acq_u32(&r.seg.hdr->system_state);
	if (was == SHM_STATE_EMERGENCY || was == SHM_STATE_MAINTENANCE || was == SHM_STATE_AUDIT)
		r.sm.state = (enum core_rules_sys)was; /* only an operator leaves these */
	publish_state(&r);

	struct rules_proto *rp = rules_proto_open(&r.seg, &cfg);
	if (!rp)
		return 1;
	r.rp = rp;
	rules_proto_set_level_hook(rp, on_level, &r);
	char snapshot[RT_CONFIG_PATH_MAX + RT_CONFIG_INSTANCE_MAX + 16];
	snprintf(snapshot, sizeof(snapshot), "%s/%s/desk.snap", cfg.audit.dir, cfg.instance);
	if (shm_audit_producer_attach(&r.audit, &r.seg, "rules", &r.audit_fault, &err) == 0) {
		r.have_audit = 1;
		rules_proto_set_audit(rp, &r.audit);
	} else {
		rt_log_warn("no audit ring for the rules process", "reason=\"%s\"", err.msg);
	}
	rules_proto_atr_job(rp);
	r.atr_date = core_calendar_ny_date((int64_t)decision_ns(&r));
	rt_log_info("rules running", "instance=%s state=%s latch=%d", cfg.instance,
		    core_rules_sys_name(r.sm.state), r.sm.l3_latch);
	struct rt_idle idle;
	rt_idle_init(&idle, RT_IDLE_BLOCK);
	int rc = 0;
	while (!rt_signal_stop_requested()) {
		uint64_t now = rt_clock_now_ns();
		uint64_t clk = shm_clock_now(r.clock);
		if (desk_open(&r, &cfg, snapshot, clk) != 0) {
			rc = 1;
			break;
		}
		uint32_t work = rules_proto_tick(rp, now);
		int level3;
		const char *why;
		if (rules_proto_take_safe(rp, &level3, &why)) {
			struct core_rules_sm_result res;
			r.want_resume = 0; /* a fault today: only the next OPEN or an operator */
			transition(&r, CORE_SYS_SAFE, level3 ? CORE_CAUSE_LEVEL3 : CORE_CAUSE_FAULT,
				   0, "rules", why, &res);
		}
		if (r.desk) {
			if (r.want_resume && now >= r.next_resume_ns) {
				int rr = rules_desk_resume(r.desk, (int64_t)clk);
				r.next_resume_ns = now + 1000000000ull;
				if (rr != -EAGAIN || now > r.resume_deadline_ns)
					r.want_resume = 0;
			}
			work += rules_desk_tick(r.desk, (int64_t)clk) != 0;
		}
		const struct shm_ctl_cmd *c;
		while ((c = shm_ring_peek_spsc(&r.ctl)) != NULL) {
			apply_ctl(&r, c);
			shm_ring_release_spsc(&r.ctl, 1);
			work++;
		}
		rt_store_rlx_u64(r.c_heartbeat, now);
		rt_idle(&idle, work);
	}
	rules_proto_tick(rp, rt_clock_now_ns()); /* the last events */
	rules_desk_close(r.desk);
	rules_proto_close(rp);
	shm_segment_detach(&r.seg);
	rt_log_info("rules stopped", NULL);
	return rc;
}
