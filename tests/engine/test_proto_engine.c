/* The protocol engine over a real segment, driven on a replay clock: thresholds at
 * the boundary, put/call symmetry, cadences, escalation between ticks, unknown ATR,
 * runtime add/remove, event-ring-full, restart from the segment, determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_config.h"
#include "shm/shm_counters.h"
#include "shm/shm_instance.h"
#include "shm/shm_price.h"
#include "tests/support/test_util.h"
#include "workers/engine/positions_file.h"
#include "workers/engine/proto_engine.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S 1000000000ull
#define T0 (1795444200ull * S) /* 2026-11-23 14:30 UTC */
#define P(x) ((int64_t)((x) * (double)PRICE_SCALE + ((x) >= 0 ? 0.5 : -0.5)))

static struct rt_config g_cfg;
static struct shm_segment g_seg;
static struct shm_clock *g_clock;
static struct shm_atr g_atr;
static struct shm_instr_dir g_dir;
static struct shm_ring g_events; /* consumer of events.0 */
static struct shm_ring g_quotes; /* producer of quotes.0 (stands in for the feeder) */
static uint64_t g_qseq[64];

static void setup_instance(uint32_t event_cap)
{
	rt_config_defaults(&g_cfg);
	snprintf(g_cfg.instance, sizeof(g_cfg.instance), "%s", test_instance_name("eng"));
	g_cfg.workers.count = 1;
	g_cfg.shm.max_instruments = 64;
	g_cfg.shm.event_ring_capacity = event_cap;
	g_cfg.workers.max_positions = 64;
	struct rt_err err = {0};
	assert_int_equal(shm_instance_create(&g_seg, &g_cfg, 0, &err), 0);
	g_clock = shm_segment_region(&g_seg,
				     shm_segment_find_kind_name(&g_seg, SHM_KIND_CLOCK, "clock"));
	shm_clock_set_mode(g_clock, SHM_CLOCK_REPLAY);
	shm_clock_advance(g_clock, T0);
	shm_atr_attach(&g_atr, shm_segment_region(&g_seg, shm_segment_find_kind_name(
								  &g_seg, SHM_KIND_ATR, "atr")));
	shm_instr_attach(&g_dir, shm_segment_region(&g_seg, shm_segment_find_kind_name(
								    &g_seg, SHM_KIND_INSTRUMENTS,
								    "instruments")));
	shm_ring_consumer_attach(&g_events,
				 shm_segment_region(&g_seg, shm_segment_find(&g_seg, SHM_KIND_RING,
									     SHM_ROLE_EVENTS, 0)));
	shm_ring_producer_attach(&g_quotes,
				 shm_segment_region(&g_seg, shm_segment_find(&g_seg, SHM_KIND_RING,
									     SHM_ROLE_QUOTES, 0)));
	memset(g_qseq, 0, sizeof(g_qseq));
}

static void teardown_instance(void)
{
	shm_segment_detach(&g_seg);
	shm_segment_unlink(g_cfg.instance, NULL);
}

static struct proto_cfg pcfg(void);

/* A fresh instance (event ring of event_cap slots) and an engine attached to it with
 * pcfg(). */
static void start_engine(struct proto_engine *e, uint32_t event_cap);

static struct proto_cfg pcfg(void)
{
	struct proto_cfg c = {
		.worker = 0, .mult100 = {100, 200, 300}, .cadence_ns = {300 * S, 60 * S, 30 * S}};
	return c;
}

/* Attach an engine (a worker starting, or restarting) to the instance with pcfg(). */
static void attach_engine(struct proto_engine *e)
{
	struct rt_err err = {0};
	struct proto_cfg c = pcfg();
	assert_int_equal(proto_engine_attach(e, &g_seg, &c, &err), 0);
}

static void start_engine(struct proto_engine *e, uint32_t event_cap)
{
	setup_instance(event_cap);
	attach_engine(e);
}

static uint32_t id_of(const char *sym)
{
	uint32_t id = shm_instr_find(&g_dir, sym);
	assert_int_not_equal(id, SHM_INSTR_NONE);
	return id;
}

static struct shm_posctl add_cmd(uint32_t pos_id, const char *und, char right, double strike)
{
	struct shm_posctl c;
	memset(&c, 0, sizeof(c));
	c.op = SHM_POSCTL_ADD;
	c.pos_id = pos_id;
	snprintf(c.underlying, sizeof(c.underlying), "%s", und);
	c.right = (uint8_t)right;
	c.strike = P(strike);
	c.expiry = 20261127;
	c.contracts = 1;
	snprintf(c.account, sizeof(c.account), "gen");
	return c;
}

/* A quote message at `price` (bid = ask = price) at clock time t. */
static struct shm_quote_msg qmsg(uint32_t id, int64_t price, uint64_t t)
{
	struct shm_quote_msg m = {.instr_id = id,
				  .quote_seq = ++g_qseq[id],
				  .bid = price,
				  .ask = price,
				  .last = price,
				  .exch_ts_ns = t,
				  .recv_ts_ns = 1,
				  .write_ts_ns = 2};
	return m;
}

static void at(struct proto_engine *e, uint64_t t)
{
	shm_clock_advance(g_clock, t);
	e->now = t;
}

static void quote_at(struct proto_engine *e, uint32_t id, double price, uint64_t t)
{
	at(e, t);
	struct shm_quote_msg m = qmsg(id, P(price), t);
	proto_engine_on_quote(e, &m, 3);
}

static int next_event(struct shm_event *ev)
{
	return shm_ring_pop_batch_spsc(&g_events, ev, 2) == 2;
}

static uint8_t level_of(struct proto_engine *e, uint32_t pos_id)
{
	int32_t s = proto_engine_find(e, pos_id);
	assert_true(s >= 0);
	return e->pt.p[s].level;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_put_trips_at_exact_threshold_and_not_one_tick_above(void **state)
{
	(void)state;
	static struct proto_engine e;
	start_engine(&e, 1024);
	uint32_t aapl = id_of("AAPL");
	shm_atr_set(&g_atr, aapl, P(2.00), 0, 20261120, 0);
	struct shm_posctl a = add_cmd(1, "AAPL", 'P', 190.00);
	e.now = T0;
	assert_int_equal(proto_engine_apply(&e, &a), 0);
	/* first (cadence) evaluation at 200: level 0 */
	quote_at(&e, aapl, 200.00, T0);
	assert_int_equal(proto_engine_cadence(&e, T0), 1);
	assert_int_equal(level_of(&e, 1), 0);
	/* level 1 threshold is 188.00: 188.00000001 does not trip, 188.00 does */
	at(&e, T0 + S);
	struct shm_quote_msg m = qmsg(aapl, P(188.00) + 1, T0 + S);
	proto_engine_on_quote(&e, &m, 3);
	assert_int_equal(level_of(&e, 1), 0);
	m = qmsg(aapl, P(188.00), T0 + 2 * S);
	proto_engine_on_quote(&e, &m, 3);
	assert_int_equal(level_of(&e, 1), 1);
	struct shm_event ev;
	assert_true(next_event(&ev));
	assert_int_equal(ev.kind, SHM_EV_LEVEL);
	assert_int_equal(ev.from, 0);
	assert_int_equal(ev.to, 1);
	assert_int_equal(ev.price, P(188.00));
	assert_int_equal(ev.atr, P(2.00));
	assert_int_equal(ev.thr[0], P(188.00));
	assert_int_equal(ev.thr[1], P(186.00));
	assert_int_equal(ev.thr[2], P(184.00));
	assert_int_equal(ev.cause, SHM_CAUSE_CROSSING);
	assert_int_equal(ev.quote_seq, g_qseq[aapl]);
	assert_int_equal(ev.feed_recv_ns, 1);
	assert_int_equal(ev.board_write_ns, 2);
	assert_int_equal(ev.worker_read_ns, 3);
	assert_true(ev.publish_ns > 0);
	assert_int_equal(ev.event_seq, 1);
	/* straight to level 3 in one quote: one event 1 -> 3 */
	quote_at(&e, aapl, 183.99, T0 + 3 * S);
	assert_int_equal(level_of(&e, 1), 3);
	assert_true(next_event(&ev));
	assert_int_equal(ev.from, 1);
	assert_int_equal(ev.to, 3);
	assert_false(next_event(&ev));
	proto_engine_detach(&e);
	teardown_instance();
}

static void test_call_mirrors_the_put_above_the_strike(void **state)
{
	(void)state;
	static struct proto_engine e;
	start_engine(&e, 1024);
	uint32_t msft = id_of("MSFT");
	shm_atr_set(&g_atr, msft, P(4.00), 0, 20261120, 0);
	e.now = T0;
	struct shm_posctl a = add_cmd(7, "MSFT", 'C', 400.00);
	assert_int_equal(proto_engine_apply(&e, &a), 0);
	quote_at(&e, msft, 390.00, T0);
	proto_engine_cadence(&e, T0);
	assert_int_equal(level_of(&e, 7), 0);
	quote_at(&e, msft, 403.99999999, T0 + S); /* just under strike + 1 ATR */
	assert_int_equal(level_of(&e, 7), 0);
	quote_at(&e, msft, 404.00, T0 + 2 * S);
	assert_int_equal(level_of(&e, 7), 1);
	quote_at(&e, msft, 408.00, T0 + 3 * S);
	assert_int_equal(level_of(&e, 7), 2);
	quote_at(&e, msft, 412.00, T0 + 4 * S);
	assert_int_equal(level_of(&e, 7), 3);
	/* a put at the mirror strike is untouched by a rising market */
	struct shm_posctl p = add_cmd(8, "MSFT", 'P', 380.00);
	assert_int_equal(proto_engine_apply(&e, &p), 0);
	proto_engine_cadence(&e, T0 + 4 * S);
	assert_int_equal(level_of(&e, 8), 0);
	proto_engine_detach(&e);
	teardown_instance();
}

static void test_level1_is_evaluated_exactly_every_60s_never_more_often(void **state)
{
	(void)state;
	static struct proto_engine e;
	start_engine(&e, 1024);
	uint32_t spy = id_of("SPY");
	shm_atr_set(&g_atr, spy, P(5.00), 0, 20261120, 0);
	e.now = T0;
	struct shm_posctl a = add_cmd(3, "SPY", 'P', 700.00);
	assert_int_equal(proto_engine_apply(&e, &a), 0);
	/* the board is where cadence evaluations read the price: write it */
	struct shm_board b;
	shm_board_attach(&b, shm_segment_region(&g_seg, shm_segment_find_kind_name(
								&g_seg, SHM_KIND_BOARD, "board")));
	struct shm_quote bq = {.bid = P(694.0), .ask = P(694.0), .last = P(694.0), .quote_seq = 1};
	shm_board_write(&b, spy, &bq);
	assert_int_equal(proto_engine_cadence(&e, T0), 1); /* 694 <= 695: level 1 */
	assert_int_equal(level_of(&e, 3), 1);
	int32_t slot = proto_engine_find(&e, 3);
	uint64_t evals = e.pt.p[slot].evals;
	/* step the clock second by second for 10 minutes: exactly 10 evaluations, 60 s apart */
	uint64_t last = T0;
	uint32_t n = 0;
	for (uint64_t t = T0 + S; t <= T0 + 600 * S; t += S) {
		shm_clock_advance(g_clock, t);
		uint32_t k = proto_engine_cadence(&e, t);
		if (k) {
			assert_int_equal(k, 1);
			assert_int_equal(t - last, 60 * S);
			last = t;
			n++;
		}
	}
	assert_int_equal(n, 10);
	assert_int_equal(e.pt.p[slot].evals, evals + 10);
	/* back above the threshold: the next cadence tick de-escalates to 0, then 300 s */
	bq.bid = bq.ask = bq.last = P(699.0);
	shm_board_write(&b, spy, &bq);
	assert_int_equal(proto_engine_cadence(&e, T0 + 660 * S), 1);
	assert_int_equal(level_of(&e, 3), 0);
	assert_int_equal(e.pt.p[slot].next_eval_ns, T0 + 960 * S);
	assert_int_equal(proto_engine_cadence(&e, T0 + 959 * S), 0);
	assert_int_equal(proto_engine_cadence(&e, T0 + 960 * S), 1);
	proto_engine_detach(&e);
	teardown_instance();
}

static void test_escalation_between_ticks_is_caught_on_the_crossing_quote(void **state)
{
	(void)state;
	static struct proto_engine e;
	start_engine(&e, 1024);
	uint32_t qqq = id_of("QQQ");
	shm_atr_set(&g_atr, qqq, P(8.00), 0, 20261120, 0);
	e.now = T0;
	struct shm_posctl a = add_cmd(4, "QQQ", 'P', 700.00);
	assert_int_equal(proto_engine_apply(&e, &a), 0);
	quote_at(&e, qqq, 710.00, T0);
	proto_engine_cadence(&e, T0); /* level 0, next tick at T0 + 300 s */
	uint64_t crossings = *e.c_crossings;
	/* quotes above the trip cost one comparison and evaluate nothing */
	for (int i = 1; i <= 100; i++)
		quote_at(&e, qqq, 700.0 - 7.99 + i * 0.01, T0 + (uint64_t)i * S);
	assert_int_equal(*e.c_crossings, crossings);
	assert_int_equal(level_of(&e, 4), 0);
	/* 10 s later, far from the next cadence tick, the crossing escalates at once */
	quote_at(&e, qqq, 683.50, T0 + 110 * S); /* <= 684 (level 2) */
	assert_int_equal(level_of(&e, 4), 2);
	struct shm_event ev;
	assert_true(next_event(&ev));
	assert_int_equal(ev.to, 2);
	assert_int_equal(ev.event_time_ns, T0 + 110 * S);
	/* an escalation restarts the cadence of the new level */
	int32_t slot = proto_engine_find(&e, 4);
	assert_int_equal(e.pt.p[slot].next_eval_ns, T0 + 140 * S);
	/* a recovering quote between ticks never de-escalates */
	quote_at(&e, qqq, 705.0, T0 + 120 * S);
	assert_int_equal(level_of(&e, 4), 2);
	proto_engine_detach(&e);
	teardown_instance();
}

static void test_level3_is_sticky_and_evaluated_on_every_quote(void **state)
{
	(void)state;
	static struct proto_engine e;
	start_engine(&e, 1024);
	uint32_t tsla = id_of("TSLA");
	shm_atr_set(&g_atr, tsla, P(10.00), 0, 20261120, 0);
	e.now = T0;
	struct shm_posctl a = add_cmd(6, "TSLA", 'P', 250.00);
	assert_int_equal(proto_engine_apply(&e, &a), 0);
	quote_at(&e, tsla, 219.0, T0);
	assert_int_equal(level_of(&e, 6), 3);
	int32_t slot = proto_engine_find(&e, 6);
	uint64_t evals = e.pt.p[slot].evals;
	for (int i = 1; i <= 5; i++)
		quote_at(&e, tsla, 260.0, T0 + (uint64_t)i * S);
	assert_int_equal(e.pt.p[slot].evals, evals + 5); /* real time: every quote */
	proto_engine_cadence(&e, T0 + 3600 * S);
	assert_int_equal(level_of(&e, 6), 3); /* only an operator clears level 3 */
	proto_engine_detach(&e);
	teardown_instance();
}

static void test_unknown_atr_raises_one_fault_until_known(void **state)
{
	(void)state;
	static struct proto_engine e;
	start_engine(&e, 1024);
	uint32_t nvda = id_of("NVDA");
	e.now = T0;
	struct shm_posctl a = add_cmd(5, "NVDA", 'P', 180.00);
	assert_int_equal(proto_engine_apply(&e, &a), 0);
	quote_at(&e, nvda, 150.0, T0);
	proto_engine_cadence(&e, T0);
	struct shm_event ev;
	assert_true(next_event(&ev));
	assert_int_equal(ev.kind, SHM_EV_FAULT);
	assert_int_equal(ev.cause, SHM_CAUSE_ATR_UNKNOWN);
	assert_int_equal(ev.pos_id, 5);
	proto_engine_cadence(&e, T0 + 300 * S);
	assert_false(next_event(&ev)); /* raised once */
	assert_int_equal(level_of(&e, 5), 0);
	/* the ATR job fills it in: the next evaluation decides */
	shm_atr_set(&g_atr, nvda, P(4.0), 0, 20261120, 0);
	proto_engine_cadence(&e, T0 + 600 * S);
	assert_int_equal(level_of(&e, 5), 3);
	assert_true(next_event(&ev));
	assert_int_equal(ev.kind, SHM_EV_LEVEL);
	proto_engine_detach(&e);
	teardown_instance();
}

static void test_positions_are_added_and_removed_while_quotes_flow(void **state)
{
	(void)state;
	static struct proto_engine e;
	start_engine(&e, 1024);
	uint32_t aapl = id_of("AAPL");
	shm_atr_set(&g_atr, aapl, P(2.0), 0, 20261120, 0);
	/* commands arrive on the posctl ring, as the supervisor sends them */
	struct shm_ring pc;
	shm_ring_producer_attach(&pc,
				 shm_segment_region(&g_seg, shm_segment_find(&g_seg, SHM_KIND_RING,
									     SHM_ROLE_POSCTL, 0)));
	for (uint32_t i = 1; i <= 20; i++) {
		struct shm_posctl a = add_cmd(i, "AAPL", i % 2 ? 'P' : 'C', 180.0 + i);
		assert_int_equal(shm_ring_push_spsc(&pc, &a), 0);
	}
	struct shm_quote_msg m = qmsg(aapl, P(190.0), T0);
	assert_int_equal(shm_ring_push_spsc(&g_quotes, &m), 0);
	proto_engine_do_work(&e);
	assert_int_equal(*e.c_positions, 20);
	assert_int_equal(*e.c_posctl_applied, 20);
	/* remove half, add one twice (idempotent), remove an unknown id, bad underlying */
	for (uint32_t i = 1; i <= 20; i += 2) {
		struct shm_posctl r = add_cmd(i, "AAPL", 'P', 1);
		r.op = SHM_POSCTL_REMOVE;
		shm_ring_push_spsc(&pc, &r);
	}
	struct shm_posctl dup = add_cmd(2, "AAPL", 'C', 182.0);
	shm_ring_push_spsc(&pc, &dup);
	struct shm_posctl gone = add_cmd(999, "AAPL", 'P', 1);
	gone.op = SHM_POSCTL_REMOVE;
	shm_ring_push_spsc(&pc, &gone);
	struct shm_posctl bad = add_cmd(50, "ZZZZ", 'P', 100.0);
	shm_ring_push_spsc(&pc, &bad);
	proto_engine_do_work(&e);
	assert_int_equal(*e.c_positions, 10);
	assert_int_equal(*e.c_posctl_rejected, 1);
	assert_true(proto_engine_find(&e, 1) < 0);
	assert_true(proto_engine_find(&e, 2) >= 0);
	/* a freed slot is reused */
	struct shm_posctl again = add_cmd(21, "AAPL", 'P', 170.0);
	assert_int_equal(proto_engine_apply(&e, &again), 0);
	assert_true(proto_engine_find(&e, 21) < 20);
	proto_engine_detach(&e);
	teardown_instance();
}

/* Through do_work on a replay clock: a quote is evaluated at its own time (the shared
 * clock's line may still hold an earlier time); cadence sees the clock move within 64
 * polls; time never goes backwards. */
static void test_replay_quotes_carry_their_own_time_and_cadence_follows_the_clock(void **state)
{
	(void)state;
	static struct proto_engine e;
	start_engine(&e, 1024);
	uint32_t aapl = id_of("AAPL");
	shm_atr_set(&g_atr, aapl, P(2.0), 0, 20261120, 0);
	struct shm_posctl a = add_cmd(1, "AAPL", 'P', 180.0);
	assert_int_equal(proto_engine_apply(&e, &a), 0);
	/* the clock line says T0; a level-2 crossing quote stamped T0 + 5 s */
	shm_clock_advance(g_clock, T0);
	for (int i = 0; i < 64; i++)
		proto_engine_do_work(&e);
	struct shm_quote_msg m = qmsg(aapl, P(175.5), T0 + 5 * S);
	assert_int_equal(shm_ring_push_spsc(&g_quotes, &m), 0);
	proto_engine_do_work(&e);
	struct shm_event ev;
	assert_true(next_event(&ev));
	assert_int_equal(ev.to, 2);
	assert_int_equal(ev.event_time_ns, T0 + 5 * S); /* the quote's time */
	/* an older quote does not move time back */
	struct shm_quote_msg old = qmsg(aapl, P(175.4), T0 + 1 * S);
	assert_int_equal(shm_ring_push_spsc(&g_quotes, &old), 0);
	proto_engine_do_work(&e);
	assert_true(e.now == T0 + 5 * S);
	/* level 2 re-evaluates every 30 s: the clock moves to T0 + 36 s with no quote;
	 * within 64 polls the cadence evaluation runs at that time */
	uint64_t evals = rt_load_rlx_u64(e.c_evals_cadence);
	shm_clock_advance(g_clock, T0 + 36 * S);
	for (int i = 0; i < 64; i++)
		proto_engine_do_work(&e);
	assert_int_equal(rt_load_rlx_u64(e.c_evals_cadence), evals + 1);
	assert_true(e.now == T0 + 36 * S);
	proto_engine_detach(&e);
	teardown_instance();
}

static void test_full_event_ring_is_a_fault_not_a_silent_drop(void **state)
{
	(void)state;
	setup_instance(64); /* 32 events */
	static struct proto_engine e;
	struct rt_err err = {0};
	struct proto_cfg c = pcfg();
	assert_int_equal(proto_engine_attach(&e, &g_seg, &c, &err), 0);
	uint32_t spy = id_of("SPY");
	shm_atr_set(&g_atr, spy, P(1.0), 0, 20261120, 0);
	e.now = T0;
	for (uint32_t i = 1; i <= 40; i++) {
		struct shm_posctl a = add_cmd(i, "SPY", 'P', 700.0);
		assert_int_equal(proto_engine_apply(&e, &a), 0);
	}
	quote_at(&e, spy, 699.0, T0); /* 40 positions escalate at once: 40 events */
	assert_int_equal(*e.c_levels, 32);
	assert_int_equal(*e.c_event_full, 8);
	assert_int_equal(*e.c_fault_flag, SHM_CAUSE_RING_FULL);
	proto_engine_detach(&e);
	teardown_instance();
}

static void test_restarted_engine_resumes_levels_and_timers(void **state)
{
	(void)state;
	static struct proto_engine e;
	start_engine(&e, 1024);
	uint32_t iwm = id_of("IWM");
	shm_atr_set(&g_atr, iwm, P(3.0), 0, 20261120, 0);
	e.now = T0;
	struct shm_posctl a = add_cmd(10, "IWM", 'P', 300.0);
	assert_int_equal(proto_engine_apply(&e, &a), 0);
	quote_at(&e, iwm, 296.5, T0); /* level 1 */
	assert_int_equal(level_of(&e, 10), 1);
	int32_t slot = proto_engine_find(&e, 10);
	uint64_t next = e.pt.p[slot].next_eval_ns;
	uint64_t seq = e.event_seq;
	proto_engine_detach(&e); /* the worker dies */
	static struct proto_engine e2;
	attach_engine(&e2);
	assert_int_equal(level_of(&e2, 10), 1);
	assert_int_equal(e2.pt.p[slot].next_eval_ns, next);
	assert_int_equal(e2.event_seq, seq);
	assert_int_equal(*e2.c_positions, 1);
	/* the escalation guard was rebuilt: a level-2 crossing is caught */
	quote_at(&e2, iwm, 293.9, T0 + S);
	assert_int_equal(level_of(&e2, 10), 2);
	proto_engine_detach(&e2);
	teardown_instance();
}

/* Run one scripted replay of quotes and cadences; digest the event sequence. */
static uint64_t scripted_digest(void)
{
	static struct proto_engine e;
	start_engine(&e, 4096);
	const char *syms[] = {"AAPL", "MSFT", "SPY"};
	double base[] = {190, 400, 700};
	for (int k = 0; k < 3; k++)
		shm_atr_set(&g_atr, id_of(syms[k]), P(base[k] / 100), 0, 20261120, 0);
	e.now = T0;
	uint32_t pid = 1;
	for (int k = 0; k < 3; k++)
		for (int j = -3; j <= 3; j++) {
			struct shm_posctl a = add_cmd(pid++, syms[k], j < 0 ? 'P' : 'C',
						      base[k] * (1 + j * 0.01));
			assert_int_equal(proto_engine_apply(&e, &a), 0);
		}
	uint64_t x = 12345;
	double px[3] = {190, 400, 700};
	uint64_t h = 1469598103934665603ull;
	for (uint64_t t = T0; t < T0 + 3600 * S; t += S / 4) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		int k = (int)((x >> 33) % 3);
		px[k] *= 1.0 + ((double)((x >> 40) % 2001) - 1000.0) / 200000.0;
		quote_at(&e, id_of(syms[k]), px[k], t);
		proto_engine_cadence(&e, t);
		struct shm_event ev;
		while (next_event(&ev)) {
			ev.publish_ns = 0; /* latency, not decision */
			const uint8_t *b = (const uint8_t *)&ev;
			for (size_t i = 0; i < sizeof(ev); i++)
				h = (h ^ b[i]) * 1099511628211ull;
		}
	}
	assert_true(e.event_seq > 10);
	proto_engine_detach(&e);
	teardown_instance();
	return h;
}

static void test_same_replay_twice_gives_identical_events(void **state)
{
	(void)state;
	assert_int_equal(scripted_digest(), scripted_digest());
}

/* Reference for the index: the slot of the active position pos_id, by a full scan. */
static int32_t scan_find(const struct proto_engine *e, uint32_t pos_id)
{
	for (uint32_t i = 0; i < e->pt.hdr->high; i++)
		if (e->pt.p[i].state == SHM_POS_ACTIVE && e->pt.p[i].pos_id == pos_id)
			return (int32_t)i;
	return -1;
}

static void test_pos_id_index_agrees_with_a_scan_through_adds_removes_and_restart(void **state)
{
	(void)state;
	static struct proto_engine e;
	start_engine(&e, 1024);
	shm_atr_set(&g_atr, id_of("AAPL"), P(2.0), 0, 20261120, 0);
	e.now = T0;
	/* ids that collide in a 128-entry table (multiples of the table size) and ids
	 * that do not, added and removed in a scrambled order: backward-shift deletion
	 * must never cut a probe sequence short */
	uint32_t ids[48];
	for (uint32_t i = 0; i < 48; i++)
		ids[i] = i % 2 ? (i + 1) * 128u : 7u + i * 7919u;
	uint8_t in[48] = {0};
	uint64_t x = 99;
	for (int step = 0; step < 2000; step++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t k = (uint32_t)((x >> 33) % 48);
		struct shm_posctl a = add_cmd(ids[k], "AAPL", k % 3 ? 'P' : 'C', 150.0 + k);
		if (in[k])
			a.op = SHM_POSCTL_REMOVE;
		assert_int_equal(proto_engine_apply(&e, &a), 0);
		in[k] = !in[k];
		for (uint32_t j = 0; j < 48; j++) {
			int32_t got = proto_engine_find(&e, ids[j]);
			assert_int_equal(got, scan_find(&e, ids[j]));
			assert_int_equal(got >= 0, in[j]);
		}
	}
	assert_int_equal(proto_engine_find(&e, 424242), -1);
	/* a restarted worker rebuilds it from the positions table */
	proto_engine_detach(&e);
	static struct proto_engine e2;
	attach_engine(&e2);
	for (uint32_t j = 0; j < 48; j++)
		assert_int_equal(proto_engine_find(&e2, ids[j]), scan_find(&e2, ids[j]));
	proto_engine_detach(&e2);
	teardown_instance();
}

/* SPY (ATR 2) at 190, evaluated by the cadence: puts 1-4 at levels 0-3 whose next
 * trips are 189.5, 189.0, 189.8 (-), calls 11-14 at levels 0-3, next trips 190.5,
 * 191.0, 190.2 (-). Slots in the order 1, 11, 2, 12, 3, 13, 4, 14. */
static void spread_book(struct proto_engine *e, uint32_t spy)
{
	static const double put_k[4] = {191.5, 193.0, 195.8, 198.0};
	static const double call_k[4] = {188.5, 187.0, 184.2, 182.0};
	shm_atr_set(&g_atr, spy, P(2.0), 0, 20261120, 0);
	e->now = T0;
	for (uint32_t i = 0; i < 4; i++) {
		struct shm_posctl a = add_cmd(1 + i, "SPY", 'P', put_k[i]);
		assert_int_equal(proto_engine_apply(e, &a), 0);
		a = add_cmd(11 + i, "SPY", 'C', call_k[i]);
		assert_int_equal(proto_engine_apply(e, &a), 0);
	}
	quote_at(e, spy, 190.0, T0);
	proto_engine_cadence(e, T0);
	for (uint32_t i = 0; i < 4; i++) {
		assert_int_equal(level_of(e, 1 + i), i);
		assert_int_equal(level_of(e, 11 + i), i);
	}
	struct shm_event ev;
	while (next_event(&ev))
		;
}

static void test_quote_crossing_nothing_changes_no_position(void **state)
{
	(void)state;
	static struct proto_engine e;
	start_engine(&e, 1024);
	uint32_t spy = id_of("SPY");
	spread_book(&e, spy);
	/* without level 3 (watched on every quote), the guard is (189.8, 190.2) */
	struct shm_posctl r = {.op = SHM_POSCTL_REMOVE, .pos_id = 4};
	assert_int_equal(proto_engine_apply(&e, &r), 0);
	r.pos_id = 14;
	assert_int_equal(proto_engine_apply(&e, &r), 0);
	static struct shm_pos before[64];
	memcpy(before, e.pt.p, sizeof(before));
	uint64_t crossings = *e.c_crossings, evals = *e.c_evals_quote, levels = *e.c_levels;
	for (int i = 1; i <= 39; i++)
		quote_at(&e, spy, 189.8 + 0.01 * i, T0 + (uint64_t)i * S);
	/* one tick inside each trip */
	quote_at(&e, spy, 189.80000001, T0 + 40 * S);
	quote_at(&e, spy, 190.19999999, T0 + 41 * S);
	assert_memory_equal(before, e.pt.p, sizeof(before)); /* not one byte changed */
	assert_int_equal(*e.c_crossings, crossings);
	assert_int_equal(*e.c_evals_quote, evals);
	assert_int_equal(*e.c_levels, levels);
	struct shm_event ev;
	assert_false(next_event(&ev));
	/* at a trip the quote is looked at: it escalates put 3 and changes nothing else */
	quote_at(&e, spy, 189.8, T0 + 42 * S);
	assert_int_equal(*e.c_crossings, crossings + 1);
	assert_int_equal(*e.c_evals_quote, evals + 1);
	int32_t s3 = proto_engine_find(&e, 3);
	for (uint32_t i = 0; i < 64; i++)
		if ((int32_t)i != s3)
			assert_memory_equal(&before[i], &e.pt.p[i], sizeof(before[i]));
	assert_int_equal(e.pt.p[s3].level, 3);
	proto_engine_detach(&e);
	teardown_instance();
}

static void test_crossing_quote_evaluates_at_once_only_what_it_reaches(void **state)
{
	(void)state;
	static struct proto_engine e;
	start_engine(&e, 1024);
	uint32_t spy = id_of("SPY");
	spread_book(&e, spy);
	uint64_t ev0[16] = {0};
	for (uint32_t id = 1; id <= 14; id++) {
		int32_t s = proto_engine_find(&e, id);
		ev0[id] = s >= 0 ? e.pt.p[s].evals : 0;
	}
	/* 189.6 reaches put 3's trip (189.8) only: put 3 escalates at once to level 3 */
	quote_at(&e, spy, 189.6, T0 + 10 * S);
	struct shm_event ev;
	assert_true(next_event(&ev));
	assert_int_equal(ev.pos_id, 3);
	assert_int_equal(ev.from, 2);
	assert_int_equal(ev.to, 3);
	assert_int_equal(ev.event_time_ns, T0 + 10 * S);
	assert_false(next_event(&ev));
	/* evaluated: put 3, and the level-3 positions (real time); nothing else */
	for (uint32_t id = 1; id <= 14; id++) {
		int32_t s = proto_engine_find(&e, id);
		if (s < 0)
			continue;
		int want = id == 3 || id == 4 || id == 14;
		assert_int_equal(e.pt.p[s].evals, ev0[id] + (uint64_t)want);
		if (want)
			assert_int_equal(e.pt.p[s].last_price, P(189.6));
		else
			assert_int_equal(e.pt.p[s].last_price, P(190.0));
	}
	/* the escalation restarted its cadence */
	assert_int_equal(e.pt.p[proto_engine_find(&e, 3)].next_eval_ns, T0 + 40 * S);
	/* 189.4 reaches put 1 (189.5) but not put 2 (189.0): put 1 to level 1 */
	quote_at(&e, spy, 189.4, T0 + 11 * S);
	assert_int_equal(level_of(&e, 1), 1);
	assert_int_equal(level_of(&e, 2), 1);
	assert_true(next_event(&ev));
	assert_int_equal(ev.pos_id, 1);
	assert_false(next_event(&ev));
	/* the call side: 191.0 reaches call 11 (190.5) and call 12 (191.0), and call 13
	 * (190.2); the events come in trip order: 13, 11, 12 */
	quote_at(&e, spy, 191.0, T0 + 12 * S);
	assert_int_equal(level_of(&e, 11), 1);
	assert_int_equal(level_of(&e, 12), 2);
	assert_int_equal(level_of(&e, 13), 3);
	uint32_t want[] = {13, 11, 12};
	for (int k = 0; k < 3; k++) {
		assert_true(next_event(&ev));
		assert_int_equal(ev.pos_id, want[k]);
	}
	assert_false(next_event(&ev));
	assert_int_equal(level_of(&e, 2), 1); /* the puts were not touched */
	proto_engine_detach(&e);
	teardown_instance();
}

static void test_atr_change_is_taken_by_the_next_crossing_quote(void **state)
{
	(void)state;
	static struct proto_engine e;
	start_engine(&e, 1024);
	uint32_t qqq = id_of("QQQ");
	shm_atr_set(&g_atr, qqq, P(2.0), 0, 20261120, 0);
	e.now = T0;
	struct shm_posctl a = add_cmd(1, "QQQ", 'P', 500.0);
	assert_int_equal(proto_engine_apply(&e, &a), 0);
	a = add_cmd(2, "QQQ", 'P', 510.0);
	assert_int_equal(proto_engine_apply(&e, &a), 0);
	quote_at(&e, qqq, 505.0, T0);
	proto_engine_cadence(&e, T0); /* put 1 level 0 (trip 498), put 2 level 2 (504, 502) */
	assert_int_equal(level_of(&e, 1), 0);
	assert_int_equal(level_of(&e, 2), 2);
	struct shm_event ev;
	while (next_event(&ev))
		;
	/* the ATR job doubles the ATR: the old trips (498, 504) are stale; a quote at 497
	 * reaches put 1's old trip but not its new one (496); put 2's new level-3 trip
	 * (498) is reached: the thresholds are recomputed before anything is decided */
	shm_atr_set(&g_atr, qqq, P(4.0), 0, 20261121, 0);
	quote_at(&e, qqq, 497.0, T0 + S);
	assert_int_equal(level_of(&e, 1), 0);
	assert_int_equal(level_of(&e, 2), 3);
	int32_t s1 = proto_engine_find(&e, 1);
	assert_int_equal(e.pt.p[s1].atr, P(4.0));
	assert_int_equal(e.pt.p[s1].thr[0], P(496.0));
	assert_true(next_event(&ev));
	assert_int_equal(ev.pos_id, 2);
	assert_int_equal(ev.atr, P(4.0));
	assert_false(next_event(&ev));
	/* and from then on the new trips guard: 496 escalates put 1 */
	quote_at(&e, qqq, 496.0, T0 + 2 * S);
	assert_int_equal(level_of(&e, 1), 1);
	proto_engine_detach(&e);
	teardown_instance();
}

static void test_positions_file_errors_name_line_and_column(void **state)
{
	(void)state;
	struct shm_posctl out[8];
	struct rt_err err = {0};
	const char *ok =
		"# comment\nid,account,underlying,right,strike,expiry,contracts\n"
		"1,gen,AAPL,P,180.00,2026-11-27,5\n\n2, com ,MSFT,C,400.5,2026-12-04,1\r\n";
	assert_int_equal(posfile_parse("p.csv", ok, strlen(ok), out, 8, &err), 2);
	assert_int_equal(out[0].strike, P(180.0));
	assert_int_equal(out[0].expiry, 20261127);
	assert_int_equal(out[0].contracts, 5);
	assert_string_equal(out[1].account, "com");
	assert_int_equal(out[1].right, 'C');
	struct {
		const char *text, *want;
	} bad[] = {
		{"1,gen,AAPL,X,180,2026-11-27,5\n",
		 "p.csv:1: column 'right': 'X' is not valid (allowed: P or C)"},
		{"1,gen,AAPL,P,-1,2026-11-27,5\n", "column 'strike': '-1'"},
		{"1,gen,AAPL,P,1.0001,2026-11-27,5\n", "at most 3 decimals"},
		{"1,gen,AAPL,P,180,2026-02-30,5\n", "column 'expiry': '2026-02-30'"},
		{"1,gen,AAPL,P,180,2026-11-27,0\n", "column 'contracts': '0'"},
		{"0,gen,AAPL,P,180,2026-11-27,1\n", "column 'id': '0'"},
		{"1,GEN,AAPL,P,180,2026-11-27,1\n", "column 'account': 'GEN'"},
		{"1,gen,aapl,P,180,2026-11-27,1\n", "column 'underlying': 'aapl'"},
		{"1,gen,AAPL,P,180,2026-11-27\n", "p.csv:1: fewer than 7 columns"},
		{"1,gen,AAPL,P,180,2026-11-27,1\n1,gen,AAPL,P,181,2026-11-27,1\n",
		 "p.csv:2: column 'id': position 1 is already defined"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = posfile_parse("p.csv", bad[i].text, strlen(bad[i].text), out, 8, &err);
		assert_true(rc < 0);
		if (!strstr(err.msg, bad[i].want))
			fail_msg("case %zu: '%s' does not contain '%s'", i, err.msg, bad[i].want);
	}
	assert_int_equal(posfile_load("/nonexistent/p.csv", out, 8, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/p.csv"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_trips_at_exact_threshold_and_not_one_tick_above),
		cmocka_unit_test(test_call_mirrors_the_put_above_the_strike),
		cmocka_unit_test(test_level1_is_evaluated_exactly_every_60s_never_more_often),
		cmocka_unit_test(test_escalation_between_ticks_is_caught_on_the_crossing_quote),
		cmocka_unit_test(test_level3_is_sticky_and_evaluated_on_every_quote),
		cmocka_unit_test(test_unknown_atr_raises_one_fault_until_known),
		cmocka_unit_test(test_positions_are_added_and_removed_while_quotes_flow),
		cmocka_unit_test(
			test_replay_quotes_carry_their_own_time_and_cadence_follows_the_clock),
		cmocka_unit_test(test_full_event_ring_is_a_fault_not_a_silent_drop),
		cmocka_unit_test(test_restarted_engine_resumes_levels_and_timers),
		cmocka_unit_test(test_same_replay_twice_gives_identical_events),
		cmocka_unit_test(
			test_pos_id_index_agrees_with_a_scan_through_adds_removes_and_restart),
		cmocka_unit_test(test_quote_crossing_nothing_changes_no_position),
		cmocka_unit_test(test_crossing_quote_evaluates_at_once_only_what_it_reaches),
		cmocka_unit_test(test_atr_change_is_taken_by_the_next_crossing_quote),
		cmocka_unit_test(test_positions_file_errors_name_line_and_column),
	};
	return cmocka_run_group_tests_name("proto_engine", tests, NULL, NULL);
}
