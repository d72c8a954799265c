/*
 * The rules process's desk over a real segment: an option chain on the quote board,
 * the day's schedule on New York time (OPEN, the Gen-Acc scan inside its window, the
 * close), entry intents audited and paper-filled into the book and to the workers,
 * protocol actions on level events (freeze, roll or hedge, stop-loss), expiry, forks
 * after the close, the snapshot across a restart and a corrupted snapshot refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_config.h"
#include "shm/shm_atr.h"
#include "shm/shm_audit.h"
#include "shm/shm_board.h"
#include "shm/shm_counters.h"
#include "shm/shm_instance.h"
#include "shm/shm_instr.h"
#include "shm/shm_pos.h"
#include "shm/shm_price.h"
#include "tests/support/test_util.h"
#include "workers/audit/audit_crc32c.h"
#include "workers/core/core_bs.h"
#include "workers/core/core_calendar.h"
#include "workers/desk/rules_desk.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define P(x) ((int64_t)llround((x) * (double)PRICE_SCALE))

static struct rt_config g_cfg;
static struct core_rules_cfg g_rules;
static struct shm_segment g_seg;
static struct shm_board g_board;
static struct shm_instr_dir g_dir;
static struct shm_audit_producer g_audit;
static struct shm_audit_consumer g_cons;
static char g_snap[256];

/* the process around the desk: a state machine, the commands to the workers */
static struct core_rules_sm g_sm;
static struct shm_posctl g_sent[64];
static uint32_t g_nsent;
static uint32_t g_atr_jobs;
static int64_t g_now;

static enum core_rules_sys st(void *ctx)
{
	(void)ctx;
	return g_sm.state;
}

static int tr(void *ctx, enum core_rules_sys to, const char *why)
{
	(void)ctx;
	(void)why;
	return core_rules_sm_transition(&g_sm, to, CORE_CAUSE_FLOW, false, g_now, NULL);
}

static int send(void *ctx, const struct shm_posctl *c)
{
	(void)ctx;
	assert_true(g_nsent < 64);
	g_sent[g_nsent++] = *c;
	return 0;
}

static struct shm_atr g_atr;
static int g_atr_on; /* whether the ATR job finds bars for QQQ */

static void atr_job(void *ctx)
{
	(void)ctx;
	g_atr_jobs++;
	if (g_atr_on)
		shm_atr_set(&g_atr, shm_instr_find(&g_dir, "QQQ"), PRICE_SCALE * 5, 0, 20260114, 1);
}

static uint32_t g_faults;
static char g_fault_why[128];

static void fault(void *ctx, const char *why)
{
	(void)ctx;
	g_faults++;
	snprintf(g_fault_why, sizeof(g_fault_why), "%s", why);
	core_rules_sm_transition(&g_sm, CORE_SYS_SAFE, CORE_CAUSE_FAULT, false, g_now, NULL);
}

static const struct rules_desk_ops g_ops = {NULL, st, tr, send, atr_job, fault};

static int64_t ny(int32_t date, int h, int m)
{
	int64_t t;
	assert_int_equal(core_calendar_ny_to_utc_ns(date, h * 3600 + m * 60, &t), 0);
	return t;
}

static void board_set(uint32_t id, int64_t bid, int64_t ask)
{
	static uint64_t seq[4096];
	struct shm_quote q = {.bid = bid, .ask = ask, .last = bid / 2 + ask / 2};
	q.quote_seq = ++seq[id];
	shm_board_write(&g_board, id, &q);
}

static void spot(const char *sym, double px)
{
	uint32_t id = shm_instr_find(&g_dir, sym);
	assert_int_not_equal(id, SHM_INSTR_NONE);
	board_set(id, P(px), P(px));
}

/* QQQ options priced by Black-Scholes at σ = 0.20 from spot 600 at `now`, quoted
 * mid ± $0.05, strikes 580..620, the given expiries. */
static void chain(const int32_t *expiries, size_t nexp, int64_t now)
{
	for (size_t e = 0; e < nexp; e++) {
		int64_t close_ns;
		assert_int_equal(core_calendar_ny_to_utc_ns(expiries[e], 16 * 3600, &close_ns), 0);
		for (int k = 580; k <= 620; k++)
			for (int r = 0; r < 2; r++) {
				struct shm_instr in;
				char right = r ? 'C' : 'P';
				assert_int_equal(shm_instr_make_option(&in, "QQQ",
								       (uint32_t)expiries[e], right,
								       P(k)),
						 0);
				uint32_t id;
				struct rt_err err = {0};
				assert_int_equal(shm_instr_add(&g_dir, &in, &id, &err), 0);
				struct core_bs_input bs = {r ? CORE_RIGHT_CALL : CORE_RIGHT_PUT,
							   600.0,
							   k,
							   (double)(close_ns - now) / 1e9 /
								   86400.0 / 365.0,
							   0.04,
							   0.0,
							   0.20};
				double px = core_bs_price(&bs);
				int64_t mid = P(round(px * 100) / 100);
				if (mid < P(0.10))
					mid = P(0.10);
				board_set(id, mid - P(0.05), mid + P(0.05));
			}
	}
}

static int setup(void **state)
{
	(void)state;
	rt_config_defaults(&g_cfg);
	snprintf(g_cfg.instance, sizeof(g_cfg.instance), "%s", test_instance_name("desk"));
	g_cfg.workers.count = 1;
	g_cfg.shm.max_instruments = 512;
	struct rt_err err = {0};
	assert_int_equal(shm_instance_create(&g_seg, &g_cfg, 0, &err), 0);
	shm_board_attach(&g_board,
			 shm_segment_region(&g_seg, shm_segment_find_kind_name(
							    &g_seg, SHM_KIND_BOARD, "board")));
	shm_instr_attach(&g_dir, shm_segment_region(&g_seg, shm_segment_find_kind_name(
								    &g_seg, SHM_KIND_INSTRUMENTS,
								    "instruments")));
	shm_atr_attach(&g_atr, shm_segment_region(&g_seg, shm_segment_find_kind_name(
								  &g_seg, SHM_KIND_ATR, "atr")));
	g_atr_on = 0;
	assert_int_equal(shm_audit_producer_attach(&g_audit, &g_seg, "rules", NULL, &err), 0);
	const struct shm_dir_entry *ae = shm_segment_find_name(&g_seg, "audit.rules");
	assert_non_null(ae);
	shm_audit_consumer_attach(&g_cons, shm_segment_region(&g_seg, ae), SHM_AUDIT_SRC_RULES);
	core_rules_cfg_defaults(&g_rules);
	snprintf(g_snap, sizeof(g_snap), "/tmp/%s.snap", g_cfg.instance);
	unlink(g_snap);
	core_rules_sm_init(&g_sm, 0);
	g_nsent = 0;
	g_atr_jobs = 0;
	g_faults = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	shm_segment_detach(&g_seg);
	shm_segment_unlink(g_cfg.instance, NULL);
	unlink(g_snap);
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", g_snap);
	unlink(tmp);
	return 0;
}

/* The next audit record, which must be of `kind`. */
static void next_audit(uint32_t kind, void *payload, size_t len)
{
	static struct shm_audit_msg m;
	struct rt_err err = {0};
	assert_int_equal(shm_audit_consumer_next(&g_cons, &m, &err), 0);
	if (m.kind != kind)
		fail_msg("audit record of kind %s, want %s", shm_audit_kind_name(m.kind),
			 shm_audit_kind_name(kind));
	assert_true(m.len >= len);
	memcpy(payload, m.payload, len);
	shm_audit_consumer_commit(&g_cons, m.pos_end);
}

static void no_more_audit(void)
{
	static struct shm_audit_msg m;
	assert_int_equal(shm_audit_consumer_next(&g_cons, &m, NULL), -EAGAIN);
}

/* Thursday 2026-01-15: the Gen-Acc day. */
#define THU 20260115
#define FRI 20260116

static uint64_t desk_counter(const char *label)
{
	struct shm_counters cs;
	shm_counters_attach(&cs,
			    shm_segment_region(&g_seg, shm_segment_find_kind_name(
							       &g_seg, SHM_KIND_COUNTERS, "desk")));
	for (uint32_t i = 0; i < shm_counters_count(&cs); i++)
		if (!strcmp(shm_counters_at(&cs, i)->label, label))
			return shm_counters_at(&cs, i)->value;
	fail_msg("no desk counter '%s'", label);
	return 0;
}

static struct rules_desk *open_desk(int64_t now)
{
	struct rt_err err = {0};
	g_now = now;
	struct rules_desk *d =
		rules_desk_open(&g_rules, &g_seg, &g_ops, &g_audit, g_snap, now, &err);
	if (!d)
		fail_msg("desk: %s", err.msg);
	return d;
}

/* Open, scan on Thursday: one QQQ put picked in the band, sized by the 25 % cap,
 * audited, paper-filled, sent to the workers; the state machine walks the day. */
static struct rules_desk *thursday_entry(void)
{
	static const int32_t exp[] = {THU, FRI, 20260122};
	int64_t t0 = ny(THU, 9, 0);
	chain(exp, 3, ny(THU, 9, 45));
	spot("QQQ", 600.0);
	struct rules_desk *d = open_desk(t0);
	const struct rules_desk_state *s = rules_desk_state(d);
	assert_int_equal(s->accts.count, 3); /* Gen, Rev, Com of $1,000,000 */
	assert_int_equal(s->accts.acct[0].available, P(400000));
	assert_int_equal(rules_desk_tick(d, t0), 0);
	assert_int_equal(g_sm.state, CORE_SYS_SAFE);
	g_now = ny(THU, 9, 30);
	assert_int_equal(rules_desk_tick(d, g_now), CORE_JOB_OPEN);
	assert_int_equal(g_atr_jobs, 1);
	assert_int_equal(g_sm.state, CORE_SYS_SCANNING);
	g_now = ny(THU, 9, 45);
	assert_int_equal(rules_desk_tick(d, g_now),
			 CORE_JOB_SCAN(CORE_RULE_GEN_CSP) | CORE_JOB_SCAN(CORE_RULE_MINI_CSP));
	assert_int_equal(g_sm.state, CORE_SYS_MONITORING);
	/* once a day */
	assert_int_equal(rules_desk_tick(d, ny(THU, 10, 0)), 0);

	struct shm_audit_intent in;
	next_audit(SHM_AUDIT_ORDER_INTENT, &in, sizeof(in));
	assert_string_equal(in.account, "gen1");
	assert_int_equal(in.side, 'S');
	assert_int_equal(in.effect, 'O');
	assert_int_equal(in.intent_id / 10000000000ull, THU);
	assert_memory_equal(in.symbol, "QQQ", 3);
	/* 25 % of $400,000 = $100,000 per symbol: one contract of a ~$590 strike */
	assert_int_equal(in.qty, 1);
	assert_non_null(strstr(in.reason, "entry L0: gen_csp |d|=0.4"));
	assert_non_null(strstr(in.reason, " dte="));
	struct shm_audit_fill f;
	next_audit(SHM_AUDIT_FILL, &f, sizeof(f));
	assert_int_equal(f.intent_id, in.intent_id);
	assert_int_equal(f.price, in.limit);
	assert_string_equal(f.fill_ref, "paper");
	no_more_audit(); /* the other Gen symbols have no options on the board */

	assert_int_equal(s->book.n, 1);
	const struct core_rules_pos *p = &s->book.pos[0];
	assert_int_equal(p->qty, -1);
	assert_int_equal(p->right, CORE_RIGHT_PUT);
	assert_int_equal(p->price, in.limit);
	assert_true(p->expiry == THU || p->expiry == FRI);
	/* the pick's |delta| is in Gen-Acc's band, from the iv of its mid */
	assert_int_equal(g_nsent, 1);
	assert_int_equal(g_sent[0].op, SHM_POSCTL_ADD);
	assert_int_equal(g_sent[0].pos_id, RULES_DESK_POS_BASE + p->id);
	assert_int_equal(g_sent[0].strike, p->strike);
	assert_int_equal(g_sent[0].contracts, 1);
	assert_int_equal(g_sent[0].right, 'P');
	assert_string_equal(g_sent[0].account, "gen1");
	/* cash: the collateral is reserved, the premium received */
	assert_int_equal(s->accts.acct[0].available, P(400000) - p->strike * 100 + p->price * 100);
	/* the inspector's view: the desk counters */
	assert_int_equal(desk_counter("accounts"), 3);
	assert_int_equal(desk_counter("positions.short_options"), 1);
	assert_int_equal(desk_counter("intents"), 1);
	assert_int_equal(desk_counter("fills.paper"), 1);
	assert_int_equal(desk_counter("gen1.available_cents"),
			 (uint64_t)(s->accts.acct[0].available / 1000000));
	assert_int_equal(desk_counter("rev2.available_cents"), 30000000ull);
	assert_int_equal(desk_counter("gen1.flags"), 0);
	return d;
}

static void test_thursday_scan_picks_sizes_audits_and_fills_one_put(void **state)
{
	(void)state;
	struct rules_desk *d = thursday_entry();
	rules_desk_close(d);
}

static void test_level_2_freezes_and_rolls_or_hedges_level_3_stops_out(void **state)
{
	(void)state;
	struct rules_desk *d = thursday_entry();
	const struct rules_desk_state *s = rules_desk_state(d);
	uint32_t id = s->book.pos[0].id;
	int64_t strike = s->book.pos[0].strike;
	g_nsent = 0;
	/* a position the desk does not own: ignored */
	assert_int_equal(rules_desk_on_level(d, 7, 0, 2, P(500), P(5), ny(THU, 10, 30)), 0);
	/* level 2: the account freezes, a ROLL (or HEDGE) intent goes out */
	assert_int_equal(rules_desk_on_level(d, RULES_DESK_POS_BASE + id, 1, 2, strike - P(10),
					     P(5), ny(THU, 10, 30)),
			 1);
	assert_true(s->accts.acct[0].frozen);
	/* the roll: two legs, buy to close the short, sell to open further out for a
	 * credit, each audited and paper-filled; the workers swap the positions */
	struct shm_audit_intent in, in2;
	next_audit(SHM_AUDIT_ORDER_INTENT, &in, sizeof(in));
	next_audit(SHM_AUDIT_ORDER_INTENT, &in2, sizeof(in2));
	assert_non_null(strstr(in.reason, "roll L2"));
	assert_int_equal(in.side, 'B');
	assert_int_equal(in.effect, 'C');
	assert_int_equal(in2.side, 'S');
	assert_int_equal(in2.effect, 'O');
	assert_int_equal(in2.intent_id, in.intent_id + 1);
	assert_true(in2.limit > in.limit); /* a net credit */
	assert_null(core_rules_book_find(&s->book, id));
	assert_int_equal(g_nsent, 2);
	assert_int_equal(g_sent[0].op, SHM_POSCTL_REMOVE);
	assert_int_equal(g_sent[0].pos_id, RULES_DESK_POS_BASE + id);
	assert_int_equal(g_sent[1].op, SHM_POSCTL_ADD);
	assert_true(g_sent[1].strike <= strike); /* at or beyond the current strike */
	/* back to level 0: unfrozen */
	while (shm_audit_consumer_next(&g_cons, &(struct shm_audit_msg){0}, NULL) == 0)
		;
	const struct core_rules_pos *p = NULL;
	for (uint32_t i = 0; i < s->book.n; i++)
		if (s->book.pos[i].kind == CORE_POS_OPTION && s->book.pos[i].qty < 0)
			p = &s->book.pos[i];
	assert_non_null(p);
	uint32_t short_id = p->id;
	/* the freeze follows the levels in the workers' positions table: while worker 0
	 * shows the account's short at level 2, the account stays frozen */
	struct shm_pos_table pt;
	shm_pos_attach(&pt, shm_segment_region(&g_seg, shm_segment_find(&g_seg, SHM_KIND_POSITIONS,
									SHM_ROLE_NONE, 0)));
	pt.p[0].state = SHM_POS_ACTIVE;
	pt.p[0].pos_id = RULES_DESK_POS_BASE + short_id;
	pt.p[0].level = 2;
	__atomic_store_n(&pt.hdr->high, 1, __ATOMIC_RELEASE);
	assert_int_equal(rules_desk_on_level(d, RULES_DESK_POS_BASE + short_id, 1, 1, P(600), P(5),
					     ny(THU, 10, 35)),
			 1);
	assert_true(s->accts.acct[0].frozen);
	pt.p[0].level = 0; /* as the worker stores it before its event */
	assert_int_equal(rules_desk_on_level(d, RULES_DESK_POS_BASE + short_id, 2, 0, P(600), P(5),
					     ny(THU, 10, 40)),
			 1);
	assert_false(s->accts.acct[0].frozen);
	/* level 3: STOP_LOSS, bought back at mid, the workers told to drop it */
	g_nsent = 0;
	shm_audit_consumer_skip_to(&g_cons, rt_load_acq_u64(&g_cons.ring.hdr->write_pos));
	assert_int_equal(rules_desk_on_level(d, RULES_DESK_POS_BASE + short_id, 0, 3, P(500), P(5),
					     ny(THU, 10, 50)),
			 1);
	next_audit(SHM_AUDIT_ORDER_INTENT, &in, sizeof(in));
	assert_non_null(strstr(in.reason, "stop_loss L3"));
	assert_int_equal(in.side, 'B');
	assert_int_equal(in.effect, 'C');
	struct shm_audit_fill f;
	next_audit(SHM_AUDIT_FILL, &f, sizeof(f));
	assert_int_equal(f.side, 'B');
	assert_null(core_rules_book_find(&s->book, short_id));
	assert_int_equal(g_nsent, 1);
	assert_int_equal(g_sent[0].op, SHM_POSCTL_REMOVE);
	assert_int_equal(g_sent[0].pos_id, RULES_DESK_POS_BASE + short_id);
	rules_desk_close(d);
}

static void test_close_settles_the_expiry_and_the_day_ends_safe(void **state)
{
	(void)state;
	struct rules_desk *d = thursday_entry();
	const struct rules_desk_state *s = rules_desk_state(d);
	const struct core_rules_pos p = s->book.pos[0];
	while (shm_audit_consumer_next(&g_cons, &(struct shm_audit_msg){0}, NULL) == 0)
		;
	g_nsent = 0;
	/* the underlying closes above the strike: the put expires worthless */
	spot("QQQ", 610.0);
	int32_t day = p.expiry;
	if (day == FRI) { /* Thursday's close first: nothing expires, the day ends SAFE */
		g_now = ny(THU, 16, 1);
		assert_int_equal(rules_desk_tick(d, g_now), CORE_JOB_CLOSE);
		assert_int_equal(g_sm.state, CORE_SYS_SAFE);
		assert_int_equal(s->book.n, 1);
		/* Friday's open: no ATR for the QQQ short yet, the risk check keeps SAFE */
		g_now = ny(FRI, 9, 30);
		assert_int_equal(rules_desk_tick(d, g_now), CORE_JOB_OPEN);
		assert_int_equal(g_atr_jobs, 2);
		assert_int_equal(g_sm.state, CORE_SYS_SAFE);
		assert_int_equal(rules_desk_resume(d, ny(FRI, 9, 31)), -EAGAIN);
		/* the ATR arrives: resuming passes */
		g_atr_on = 1;
		atr_job(NULL);
		assert_int_equal(rules_desk_resume(d, ny(FRI, 9, 32)), 0);
		assert_int_equal(g_sm.state, CORE_SYS_SCANNING);
		/* outside the session nothing is resumed */
		tr(NULL, CORE_SYS_SAFE, "test");
		assert_int_equal(rules_desk_resume(d, ny(FRI, 16, 0)), 0);
		assert_int_equal(g_sm.state, CORE_SYS_SAFE);
		tr(NULL, CORE_SYS_SCANNING, "test");
	}
	g_now = ny(day, 16, 1);
	assert_int_equal(rules_desk_tick(d, g_now), CORE_JOB_CLOSE);
	assert_int_equal(g_sm.state, CORE_SYS_SAFE);
	assert_int_equal(s->book.n, 0);
	struct shm_audit_order o;
	next_audit(SHM_AUDIT_ORDER_EVENT, &o, sizeof(o));
	assert_int_equal(o.event, SHM_AUDIT_ORD_EXPIRED);
	assert_non_null(strstr(o.reason, "expired gen1"));
	assert_int_equal(o.price, P(610.0));
	assert_int_equal(g_nsent, 1);
	assert_int_equal(g_sent[0].op, SHM_POSCTL_REMOVE);
	/* collateral released: available = $400,000 + the premium kept */
	assert_int_equal(s->accts.acct[0].available, P(400000) + p.price * 100);
	assert_int_equal(s->accts.acct[0].balance, P(400000) + p.price * 100);
	rules_desk_close(d);
}

static void test_an_intent_the_audit_ring_refuses_is_not_executed(void **state)
{
	(void)state;
	static const int32_t exp[] = {THU, FRI};
	chain(exp, 2, ny(THU, 9, 45));
	spot("QQQ", 600.0);
	struct rules_desk *d = open_desk(ny(THU, 9, 0));
	g_now = ny(THU, 9, 30);
	assert_int_equal(rules_desk_tick(d, g_now), CORE_JOB_OPEN);
	/* the audit process is gone: its ring fills up */
	struct shm_audit_fault f = {.code = 1};
	while (shm_audit_emit(&g_audit, SHM_AUDIT_FAULT, 1, &f, sizeof(f)) == 0)
		;
	g_now = ny(THU, 9, 45);
	rules_desk_tick(d, g_now);
	const struct rules_desk_state *s = rules_desk_state(d);
	assert_int_equal(s->book.n, 0); /* not filled */
	assert_int_equal(g_nsent, 0); /* nothing sent to the workers */
	assert_int_equal(g_faults, 1);
	assert_non_null(strstr(g_fault_why, "audit ring full"));
	assert_int_equal(g_sm.state, CORE_SYS_SAFE);
	assert_int_equal(s->accts.acct[0].available, P(400000));
	rules_desk_close(d);
}

/* Rewrite the snapshot through fn (header and payload), fixing the CRC when asked. */
static void edit_snapshot(void (*fn)(struct rules_desk_state *), int fix_crc, size_t cut)
{
	FILE *f = fopen(g_snap, "r+b");
	assert_non_null(f);
	uint8_t head[24];
	static struct rules_desk_state st;
	assert_int_equal(fread(head, 1, sizeof(head), f), sizeof(head));
	assert_int_equal(fread(&st, 1, sizeof(st), f), sizeof(st));
	if (fn)
		fn(&st);
	if (fix_crc) {
		uint32_t crc = audit_crc32c(0, &st, sizeof(st));
		memcpy(head + 16, &crc, 4);
	}
	rewind(f);
	assert_int_equal(fwrite(head, 1, sizeof(head), f), sizeof(head));
	assert_int_equal(fwrite(&st, 1, sizeof(st), f), sizeof(st));
	fclose(f);
	if (cut)
		assert_int_equal(truncate(g_snap, (off_t)cut), 0);
}

static void grow_gen(struct rules_desk_state *st)
{
	/* Gen-Acc up $250,000 over its $400,000 base: two Minis are due */
	st->accts.acct[0].available += P(250000);
}

static void flip_a_byte(struct rules_desk_state *st)
{
	st->book.pos[0].strike ^= 1;
}

static void test_a_restart_resumes_from_the_snapshot_and_forks_after_the_close(void **state)
{
	(void)state;
	struct rules_desk *d = thursday_entry();
	static struct rules_desk_state before;
	before = *rules_desk_state(d);
	rules_desk_close(d);
	/* restart: same state, the short re-sent to the workers, the day not redone */
	g_nsent = 0;
	d = open_desk(ny(THU, 10, 5));
	assert_memory_equal(rules_desk_state(d), &before, sizeof(before));
	assert_int_equal(g_nsent, 1);
	assert_int_equal(g_sent[0].op, SHM_POSCTL_ADD);
	assert_int_equal(rules_desk_tick(d, ny(THU, 10, 6)), 0);
	rules_desk_close(d);
	/* the Gen-Acc grew: the close forks two Minis of $100,000, audited */
	edit_snapshot(grow_gen, 1, 0);
	d = open_desk(ny(THU, 12, 0));
	while (shm_audit_consumer_next(&g_cons, &(struct shm_audit_msg){0}, NULL) == 0)
		;
	spot("QQQ", 610.0);
	g_now = ny(THU, 16, 1);
	assert_int_equal(rules_desk_tick(d, g_now), CORE_JOB_CLOSE);
	const struct rules_desk_state *s = rules_desk_state(d);
	assert_int_equal(s->accts.count, 5);
	assert_int_equal(s->accts.acct[3].type, CORE_ACCT_MINI);
	assert_int_equal(s->accts.acct[4].type, CORE_ACCT_MINI);
	struct shm_audit_fork fk;
	for (int i = 0; i < 2; i++) {
		next_audit(SHM_AUDIT_FORK, &fk, sizeof(fk));
		assert_string_equal(fk.from, "gen1");
		assert_string_equal(fk.to, i ? "mini5" : "mini4");
		assert_int_equal(fk.amount, P(100000));
		assert_non_null(strstr(fk.reason, "mini fork #"));
	}
	rules_desk_close(d);
}

static void test_a_bad_snapshot_refuses_the_start_and_is_kept(void **state)
{
	(void)state;
	struct {
		void (*fn)(struct rules_desk_state *);
		int fix;
		size_t trunc;
		const char *msg;
	} bad[] = {
		{flip_a_byte, 0, 0, "CRC32C mismatch"},
		{NULL, 1, 100, "truncated"},
		{NULL, 1, 3, "not a desk snapshot"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unlink(g_snap);
		rules_desk_close(open_desk(ny(THU, 9, 0))); /* a fresh, good snapshot */
		edit_snapshot(bad[i].fn, bad[i].fix, bad[i].trunc);
		struct stat st0, st1;
		assert_int_equal(stat(g_snap, &st0), 0);
		struct rt_err err = {0};
		assert_null(rules_desk_open(&g_rules, &g_seg, &g_ops, &g_audit, g_snap,
					    ny(THU, 10, 5), &err));
		if (!strstr(err.msg, bad[i].msg) || !strstr(err.msg, g_snap))
			fail_msg("#%zu: '%s', want '%s' and the path", i, err.msg, bad[i].msg);
		assert_int_equal(stat(g_snap, &st1), 0);
		assert_int_equal(st0.st_size, st1.st_size); /* kept for the operator */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_thursday_scan_picks_sizes_audits_and_fills_one_put, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_level_2_freezes_and_rolls_or_hedges_level_3_stops_out, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_an_intent_the_audit_ring_refuses_is_not_executed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_settles_the_expiry_and_the_day_ends_safe,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_restart_resumes_from_the_snapshot_and_forks_after_the_close, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_a_bad_snapshot_refuses_the_start_and_is_kept,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
