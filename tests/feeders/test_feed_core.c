/* The feeder's publish path over a real segment: board + rings, routing, ring-full
 * drop accounting, validation counters, runtime definitions, replay determinism,
 * the synthetic source, and the alluse-feed process itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "feeders/feed_core.h"
#include "feeders/feed_replay.h"
#include "feeders/feed_synth.h"
#include "rt/rt_clock.h"
#include "rt/rt_config.h"
#include "shm/shm_counters.h"
#include "shm/shm_instance.h"
#include "shm/shm_msg.h"
#include "shm/shm_price.h"
#include "tests/support/test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct rt_config g_cfg;
static struct shm_segment g_seg;

static void make_instance(uint32_t workers, uint32_t ring_cap)
{
	rt_config_defaults(&g_cfg);
	snprintf(g_cfg.instance, sizeof(g_cfg.instance), "%s", test_instance_name("feed"));
	g_cfg.workers.count = workers;
	g_cfg.shm.quote_ring_capacity = ring_cap;
	g_cfg.shm.max_instruments = 256;
	struct rt_err err = {0};
	assert_int_equal(shm_instance_create(&g_seg, &g_cfg, 0, &err), 0);
}

static void drop_instance(void)
{
	shm_segment_detach(&g_seg);
	shm_segment_unlink(g_cfg.instance, NULL);
}

static struct feed_core_cfg core_cfg(void)
{
	struct feed_core_cfg c = {
		.validate = {.max_age_ns = 0, .jump_atr_k100 = 300, .jump_confirm = 0},
		.auto_define = 1,
		.clock_mode = SHM_CLOCK_REPLAY,
	};
	return c;
}

static uint64_t counter_value(const char *owner, const char *label)
{
	struct shm_counters cs;
	shm_counters_attach(
		&cs, shm_segment_region(
			     &g_seg, shm_segment_find_kind_name(&g_seg, SHM_KIND_COUNTERS, owner)));
	for (uint32_t i = 0; i < shm_counters_count(&cs); i++)
		if (!strcmp(shm_counters_at(&cs, i)->label, label))
			return shm_counters_at(&cs, i)->value;
	return UINT64_MAX;
}

static struct feed_wire_msg quote(const char *sym, double bid, double ask, uint64_t ts)
{
	struct feed_wire_msg m;
	memset(&m, 0, sizeof(m));
	m.type = FEED_WIRE_MSG_QUOTE;
	snprintf(m.symbol, sizeof(m.symbol), "%s", sym);
	m.quote.bid = price_from_double(bid);
	m.quote.ask = price_from_double(ask);
	m.quote.last = INT64_MIN;
	m.quote.bid_size = 1;
	m.quote.ask_size = 2;
	m.quote.exch_ts_ns = ts;
	return m;
}

static struct shm_ring consumer(uint32_t w)
{
	struct shm_ring r;
	shm_ring_consumer_attach(&r,
				 shm_segment_region(&g_seg, shm_segment_find(&g_seg, SHM_KIND_RING,
									     SHM_ROLE_QUOTES, w)));
	return r;
}

static void test_route_is_stable_and_keeps_an_underlying_on_one_worker(void **state)
{
	(void)state;
	assert_int_equal(feed_route_worker("AAPL", 1), 0);
	uint32_t w = feed_route_worker("AAPL", 4);
	assert_true(w < 4);
	assert_int_equal(feed_route_worker("AAPL", 4), w); /* a pure function of the symbol */
	/* FNV-1a of "AAPL" pinned so the documented sharding never changes silently */
	assert_int_equal(feed_route_worker("AAPL", 1000003), 1489842955u % 1000003u);
	make_instance(4, 64);
	static struct feed_core f;
	struct rt_err err = {0};
	struct feed_core_cfg cc = core_cfg();
	assert_int_equal(feed_core_attach(&f, &g_seg, &cc, &err), 0);
	struct feed_wire_msg m = quote("AAPL  261127P00180000", 1.0, 1.1, 1000);
	assert_int_equal(feed_core_on_msg(&f, &m, 0, 1), FEED_REJECT_OK);
	uint32_t opt = shm_instr_find(&f.dir, "AAPL  261127P00180000");
	uint32_t und = shm_instr_find(&f.dir, "AAPL");
	assert_int_equal(f.route[opt], f.route[und]);
	assert_int_equal(f.route[und], w);
	feed_core_detach(&f);
	drop_instance();
}

static void test_publish_writes_board_and_owner_ring_with_sequence_and_stamps(void **state)
{
	(void)state;
	make_instance(2, 64);
	static struct feed_core f;
	struct rt_err err = {0};
	struct feed_core_cfg cc = core_cfg();
	assert_int_equal(feed_core_attach(&f, &g_seg, &cc, &err), 0);
	feed_core_set_time(&f, 5000);
	struct feed_wire_msg m = quote("SPY", 612.84, 612.86, 5000);
	m.quote.last = price_from_double(612.85);
	assert_int_equal(feed_core_on_msg(&f, &m, 0, 777), FEED_REJECT_OK);
	uint32_t id = shm_instr_find(&f.dir, "SPY");
	struct shm_quote q;
	assert_int_equal(shm_board_read(&f.board, id, &q, NULL), 0);
	assert_int_equal(q.bid, 61284000000ll);
	assert_int_equal(q.ask, 61286000000ll);
	assert_int_equal(q.last, 61285000000ll);
	assert_int_equal(q.quote_seq, 1);
	assert_int_equal(q.recv_ts_ns, 777);
	assert_true(q.write_ts_ns >= 777);
	assert_int_equal(q.exch_ts_ns, 5000);
	struct shm_ring r = consumer(f.route[id]);
	struct shm_quote_msg msg;
	assert_int_equal(shm_ring_pop_spsc(&r, &msg), 0);
	assert_int_equal(msg.instr_id, id);
	assert_int_equal(msg.quote_seq, 1);
	assert_int_equal(msg.bid, q.bid);
	assert_int_equal(msg.write_ts_ns, q.write_ts_ns);
	assert_int_equal(msg.flags, 0);
	struct shm_ring other = consumer(1 - f.route[id]);
	assert_int_equal(shm_ring_pop_spsc(&other, &msg), -EAGAIN);
	/* the clock followed the event time */
	assert_int_equal(shm_clock_now(f.clock), 5000);
	assert_int_equal(counter_value("feeder", "quotes.published"), 1);
	feed_core_detach(&f);
	drop_instance();
}

static void test_full_ring_drops_counts_and_flags_the_gap(void **state)
{
	(void)state;
	make_instance(1, 64);
	static struct feed_core f;
	struct rt_err err = {0};
	struct feed_core_cfg cc = core_cfg();
	assert_int_equal(feed_core_attach(&f, &g_seg, &cc, &err), 0);
	for (int i = 0; i < 70; i++) {
		struct feed_wire_msg m =
			quote("MSFT", 400 + i * 0.01, 400.02 + i * 0.01, (uint64_t)i + 1);
		assert_int_equal(feed_core_on_msg(&f, &m, 0, 1), FEED_REJECT_OK);
	}
	assert_int_equal(counter_value("feeder", "drops.worker.0"), 6);
	uint32_t id = shm_instr_find(&f.dir, "MSFT");
	struct shm_quote q;
	assert_int_equal(shm_board_read(&f.board, id, &q, NULL), 0);
	assert_int_equal(q.quote_seq, 70); /* the board holds the latest anyway */
	struct shm_ring r = consumer(0);
	struct shm_quote_msg msg;
	for (int i = 0; i < 64; i++) {
		assert_int_equal(shm_ring_pop_spsc(&r, &msg), 0);
		assert_int_equal(msg.quote_seq, (uint64_t)i + 1);
	}
	struct feed_wire_msg m = quote("MSFT", 401, 401.02, 100);
	assert_int_equal(feed_core_on_msg(&f, &m, 0, 1), FEED_REJECT_OK);
	assert_int_equal(shm_ring_pop_spsc(&r, &msg), 0);
	assert_int_equal(msg.quote_seq, 71); /* 65..70 missing: the worker sees the gap */
	assert_int_equal(msg.flags & SHM_QMSG_GAP, SHM_QMSG_GAP);
	m = quote("MSFT", 401.01, 401.03, 101);
	feed_core_on_msg(&f, &m, 0, 1);
	assert_int_equal(shm_ring_pop_spsc(&r, &msg), 0);
	assert_int_equal(msg.flags & SHM_QMSG_GAP, 0);
	feed_core_detach(&f);
	drop_instance();
}

static void test_rejections_are_counted_per_reason(void **state)
{
	(void)state;
	make_instance(1, 64);
	static struct feed_core f;
	struct rt_err err = {0};
	struct feed_core_cfg cc = core_cfg();
	cc.validate.max_age_ns = 1000;
	assert_int_equal(feed_core_attach(&f, &g_seg, &cc, &err), 0);
	feed_core_set_time(&f, 100000);
	struct feed_wire_msg m = quote("AAPL", 190, 189, 100000); /* crossed */
	assert_int_equal(feed_core_on_msg(&f, &m, 0, 1), FEED_REJECT_CROSSED);
	m = quote("AAPL", -1, 190, 100000);
	assert_int_equal(feed_core_on_msg(&f, &m, 0, 1), FEED_REJECT_NONPOSITIVE);
	m = quote("AAPL", 189, 190, 1000); /* 99 µs old, max 1 µs */
	assert_int_equal(feed_core_on_msg(&f, &m, 0, 1), FEED_REJECT_STALE);
	m = quote("NOPE", 1, 2, 100000);
	assert_int_equal(feed_core_on_msg(&f, &m, 0, 1), FEED_REJECT_UNKNOWN_INSTRUMENT);
	m = quote("AAPL", 189, 190, 100000);
	assert_int_equal(feed_core_on_msg(&f, &m, 1, 1), FEED_REJECT_NONFINITE);
	/* jump: ATR 1.00, k = 3 */
	uint32_t id = shm_instr_find(&f.dir, "AAPL");
	shm_atr_set(&f.atr, id, PRICE_SCALE, 0, 20261123, 0);
	m = quote("AAPL", 189, 190, 100000);
	assert_int_equal(feed_core_on_msg(&f, &m, 0, 1), FEED_REJECT_OK);
	m = quote("AAPL", 199, 200, 100000);
	assert_int_equal(feed_core_on_msg(&f, &m, 0, 1), FEED_REJECT_JUMP);
	assert_int_equal(counter_value("feeder", "reject.crossed"), 1);
	assert_int_equal(counter_value("feeder", "reject.nonpositive"), 1);
	assert_int_equal(counter_value("feeder", "reject.stale"), 1);
	assert_int_equal(counter_value("feeder", "reject.unknown_instrument"), 1);
	assert_int_equal(counter_value("feeder", "reject.nonfinite"), 1);
	assert_int_equal(counter_value("feeder", "reject.jump"), 1);
	assert_int_equal(counter_value("feeder", "quotes.published"), 1);
	feed_core_detach(&f);
	drop_instance();
}

static void test_packets_define_new_strikes_and_publish_quotes(void **state)
{
	(void)state;
	make_instance(2, 64);
	static struct feed_core f;
	struct rt_err err = {0};
	struct feed_core_cfg cc = core_cfg();
	cc.auto_define = 0;
	assert_int_equal(feed_core_attach(&f, &g_seg, &cc, &err), 0);
	uint8_t buf[1400];
	struct feed_wire_enc enc;
	assert_int_equal(feed_wire_enc_init(&enc, buf, sizeof(buf), "S1", 1), 0);
	struct feed_wire_msg def;
	assert_int_equal(feed_occ_parse("QQQ   261127C00620000", &def), 0);
	assert_int_equal(feed_wire_enc_def(&enc, &def), 0);
	struct feed_wire_msg q = quote("QQQ   261127C00620000", 3.10, 3.20, 10);
	assert_int_equal(feed_wire_enc_quote(&enc, &q), 0);
	int len = feed_wire_enc_finish(&enc);
	assert_true(len > 0);
	assert_int_equal(feed_core_on_packet(&f, buf, (uint32_t)len, 1), 2);
	uint32_t id = shm_instr_find(&f.dir, "QQQ   261127C00620000");
	assert_int_not_equal(id, SHM_INSTR_NONE);
	const struct shm_instr *in = shm_instr_get(&f.dir, id);
	assert_int_equal(in->kind, SHM_INSTR_OPTION);
	assert_int_equal(in->strike, 620 * PRICE_SCALE);
	assert_int_equal(in->right, 'C');
	struct shm_quote bq;
	assert_int_equal(shm_board_read(&f.board, id, &bq, NULL), 0);
	assert_int_equal(bq.ask, 320000000);
	/* the same packet again is a duplicate: nothing published twice */
	assert_int_equal(feed_core_on_packet(&f, buf, (uint32_t)len, 1), 0);
	assert_int_equal(counter_value("feeder", "quotes.published"), 1);
	/* garbage is counted, not trusted */
	uint8_t junk[7] = {1, 2, 3, 4, 5, 6, 7};
	assert_int_equal(feed_core_on_packet(&f, junk, sizeof(junk), 1), 0);
	assert_int_equal(counter_value("feeder", "packets.malformed"), 1);
	feed_core_sync_counters(&f);
	assert_int_equal(counter_value("feeder", "seq.dup_packets"), 1);
	/* a quote of an unknown symbol with auto-define off */
	q = quote("QQQ   261127C00630000", 1, 2, 11);
	assert_int_equal(feed_core_on_msg(&f, &q, 0, 1), FEED_REJECT_UNKNOWN_INSTRUMENT);
	feed_core_detach(&f);
	drop_instance();
}

/* Replay a CSV file into a fresh instance; return a digest of every deterministic
 * field of the board and of each ring's message sequence. */
static uint64_t replay_digest(const char *path, uint64_t *published)
{
	make_instance(2, 4096);
	static struct feed_core f;
	struct rt_err err = {0};
	struct feed_core_cfg cc = core_cfg();
	assert_int_equal(feed_core_attach(&f, &g_seg, &cc, &err), 0);
	static struct feed_replay r;
	assert_int_equal(feed_replay_open(&r, path, &err), 0);
	struct feed_event ev;
	int rc;
	while ((rc = feed_replay_next(&r, &ev, &err)) != 0) {
		if (rc < 0)
			continue;
		feed_core_set_time(&f, ev.ts_ns);
		ev.msg.seq = r.line;
		feed_core_on_msg(&f, &ev.msg, ev.nonfinite, 42);
	}
	feed_replay_close(&r);
	uint64_t h = 1469598103934665603ull;
#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ull)
	for (uint32_t id = 0; id < shm_instr_count(&f.dir); id++) {
		struct shm_quote q;
		if (shm_board_read(&f.board, id, &q, NULL))
			continue;
		MIX(id), MIX(q.bid), MIX(q.ask), MIX(q.last), MIX(q.quote_seq), MIX(q.exch_ts_ns);
		MIX(q.bid_size);
	}
	for (uint32_t w = 0; w < 2; w++) {
		struct shm_ring c = consumer(w);
		struct shm_quote_msg m;
		while (shm_ring_pop_spsc(&c, &m) == 0) {
			MIX(w), MIX(m.instr_id), MIX(m.quote_seq), MIX(m.bid), MIX(m.ask);
			MIX(m.exch_ts_ns), MIX(m.flags);
		}
	}
	*published = counter_value("feeder", "quotes.published");
	feed_core_detach(&f);
	drop_instance();
	return h;
}

static void test_replay_of_the_same_file_is_deterministic(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "/tmp/alluse-replay-%d.csv", (int)getpid());
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	/* the synthetic source writes a realistic file */
	static struct feed_synth s;
	struct feed_synth_cfg sc;
	struct rt_err err = {0};
	feed_synth_cfg_defaults(&sc);
	sc.strikes_per_side = 2;
	sc.expiries = 1;
	assert_int_equal(feed_synth_cfg_add_default_universe(&sc, &err), 0);
	assert_int_equal(feed_synth_init(&s, &sc, &err), 0);
	feed_replay_write_csv_header(fp);
	fprintf(fp, "# a comment line, then a bad line that is skipped\n");
	fprintf(fp, "1,AAPL,abc,1,1,1,1,1\n");
	struct feed_event ev;
	for (int i = 0; i < 3000; i++) {
		feed_synth_next(&s, &ev);
		feed_replay_write_csv(fp, &ev);
	}
	fclose(fp);
	uint64_t n1, n2;
	uint64_t d1 = replay_digest(path, &n1);
	uint64_t d2 = replay_digest(path, &n2);
	assert_int_equal(d1, d2);
	assert_int_equal(n1, n2);
	assert_true(n1 > 2000); /* most quotes were accepted */
	unlink(path);
}

static void test_synthetic_source_is_seeded_and_prices_chains(void **state)
{
	(void)state;
	static struct feed_synth a, b;
	struct feed_synth_cfg sc;
	struct rt_err err = {0};
	feed_synth_cfg_defaults(&sc);
	assert_int_equal(feed_synth_cfg_add(&sc, "SPY", 600 * PRICE_SCALE, 0.15, &err), 0);
	assert_int_equal(feed_synth_init(&a, &sc, &err), 0);
	assert_int_equal(feed_synth_init(&b, &sc, &err), 0);
	assert_int_equal(a.noptions, (2 * 10 + 1) * 3 * 2);
	struct feed_event ea, eb;
	uint32_t defs = 0, calls = 0;
	for (int i = 0; i < 20000; i++) {
		feed_synth_next(&a, &ea);
		feed_synth_next(&b, &eb);
		assert_memory_equal(&ea, &eb, sizeof(ea));
		if (ea.msg.type == FEED_WIRE_MSG_DEF) {
			defs++;
			continue;
		}
		assert_true(ea.msg.quote.bid <= ea.msg.quote.ask);
		assert_true(ea.msg.quote.ask > 0);
		if (strlen(ea.msg.symbol) == 21) {
			struct feed_wire_msg d;
			assert_int_equal(feed_occ_parse(ea.msg.symbol, &d), 0);
			double k = price_to_double(d.def.strike);
			double px = price_to_double(ea.msg.quote.ask);
			/* a deep in-the-money put is worth about its intrinsic value */
			if (d.def.right == 'P' && k >= 630)
				assert_true(px > k - 610);
			calls += d.def.right == 'C';
		}
	}
	assert_int_equal(defs, a.noptions);
	assert_true(calls > 0);
	/* a different seed gives a different path */
	sc.seed = 2;
	assert_int_equal(feed_synth_init(&b, &sc, &err), 0);
	sc.seed = 1;
	assert_int_equal(feed_synth_init(&a, &sc, &err), 0);
	int differ = 0;
	for (int i = 0; i < 200; i++) {
		feed_synth_next(&a, &ea);
		feed_synth_next(&b, &eb);
		differ |= memcmp(&ea, &eb, sizeof(ea)) != 0;
	}
	assert_true(differ);
	/* bad configurations name the setting */
	struct feed_synth_cfg bad;
	feed_synth_cfg_defaults(&bad);
	assert_int_equal(feed_synth_init(&a, &bad, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no underlyings"));
	assert_int_equal(feed_synth_cfg_add(&bad, "spy", PRICE_SCALE, 0.2, &err), -EINVAL);
	assert_int_equal(feed_synth_cfg_add(&bad, "SPY", PRICE_SCALE, 0, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "volatility"));
}

/* Every option quote of a run against exact Black-Scholes at the same spot and time:
 * the expansion between refreshes stays inside the documented bound. */
static void check_approximation(uint64_t dt_ns, uint32_t per_tick, uint32_t events,
				double *worst_abs, uint64_t *opt_quotes, uint64_t *refreshes)
{
	static struct feed_synth s;
	struct feed_synth_cfg sc;
	struct rt_err err = {0};
	feed_synth_cfg_defaults(&sc);
	sc.dt_ns = dt_ns;
	sc.options_per_tick = per_tick;
	assert_int_equal(feed_synth_cfg_add_default_universe(&sc, &err), 0);
	assert_int_equal(feed_synth_init(&s, &sc, &err), 0);
	struct feed_event ev;
	*worst_abs = 0;
	*opt_quotes = 0;
	for (uint32_t i = 0; i < events; i++) {
		feed_synth_next(&s, &ev);
		if (ev.msg.type != FEED_WIRE_MSG_QUOTE || ev.src_key < sc.nunderlyings)
			continue;
		uint32_t k = ev.src_key - sc.nunderlyings;
		double exact = feed_synth_exact_price(&s, k, s.price[s.opt[k].under], ev.ts_ns);
		/* the mid is carried as `last`, or the ask stands in when it rounds to 0 */
		double mid = ev.msg.quote.last == ev.msg.quote.ask
				     ? 0
				     : price_to_double(ev.msg.quote.last);
		double e = mid > exact ? mid - exact : exact - mid;
		assert_true(e <= FEED_SYNTH_APPROX_ABS + FEED_SYNTH_APPROX_REL * exact + 1e-8);
		if (e > *worst_abs)
			*worst_abs = e;
		++*opt_quotes;
	}
	*refreshes = s.refreshes;
}

static void test_synthetic_option_prices_stay_within_the_approximation_bound(void **state)
{
	(void)state;
	double worst;
	uint64_t q, refreshes;
	/* the default pace: 1 ms steps, almost every quote from the expansion */
	check_approximation(1000000, 1, 400000, &worst, &q, &refreshes);
	assert_true(q > 150000);
	assert_true(refreshes * 10 < q);
	/* 1 s steps: the spot wanders, refreshes follow */
	check_approximation(1000000000ull, 2, 300000, &worst, &q, &refreshes);
	assert_true(refreshes > 1000);
	/* 60 s steps over three weeks: big moves and every expiry crossed */
	check_approximation(60000000000ull, 4, 300000, &worst, &q, &refreshes);
	assert_true(q > 100000);
}

static void test_synthetic_keys_name_one_symbol_each(void **state)
{
	(void)state;
	static struct feed_synth s;
	static char seen[FEED_SYNTH_MAX_UNDERLYINGS + FEED_SYNTH_MAX_OPTIONS][32];
	struct feed_synth_cfg sc;
	struct rt_err err = {0};
	feed_synth_cfg_defaults(&sc);
	assert_int_equal(feed_synth_cfg_add(&sc, "SPY", 600 * PRICE_SCALE, 0.15, &err), 0);
	assert_int_equal(feed_synth_cfg_add(&sc, "IWM", 200 * PRICE_SCALE, 0.2, &err), 0);
	assert_int_equal(feed_synth_init(&s, &sc, &err), 0);
	memset(seen, 0, sizeof(seen));
	struct feed_event ev;
	for (int i = 0; i < 20000; i++) {
		feed_synth_next(&s, &ev);
		assert_true(ev.src_key < feed_synth_keys(&s));
		if (!seen[ev.src_key][0])
			memcpy(seen[ev.src_key], ev.msg.symbol, 32);
		assert_string_equal(seen[ev.src_key], ev.msg.symbol);
		if (ev.src_key < 2)
			assert_string_equal(ev.msg.symbol, ev.src_key ? "IWM" : "SPY");
	}
}

/* The batch path publishes what the per-message path publishes, with one stamp per
 * batch as receive and write time, through the key cache. */
static void test_event_batches_publish_like_single_messages_with_one_stamp(void **state)
{
	(void)state;
	static struct feed_synth sa, sb;
	static struct feed_event ev[64];
	struct feed_synth_cfg sc;
	struct rt_err err = {0};
	feed_synth_cfg_defaults(&sc);
	assert_int_equal(feed_synth_cfg_add(&sc, "SPY", 600 * PRICE_SCALE, 0.15, &err), 0);
	sc.strikes_per_side = 2;
	sc.expiries = 1;
	sc.options_per_tick = 2;
	assert_int_equal(feed_synth_init(&sa, &sc, &err), 0);
	assert_int_equal(feed_synth_init(&sb, &sc, &err), 0);
	uint32_t nev = sa.noptions + 600;

	/* a: one message at a time (feed_core_on_msg) */
	make_instance(2, 1024);
	static struct feed_core f;
	struct feed_core_cfg cc = core_cfg();
	assert_int_equal(feed_core_attach(&f, &g_seg, &cc, &err), 0);
	for (uint32_t i = 0; i < nev; i++) {
		feed_synth_next(&sa, &ev[0]);
		feed_core_set_time(&f, ev[0].ts_ns);
		assert_int_equal(feed_core_on_msg(&f, &ev[0].msg, 0, 1), FEED_REJECT_OK);
	}
	static struct shm_quote board_a[256];
	static int rc_a[256];
	uint32_t quoted = 0;
	for (uint32_t id = 0; id < shm_instr_count(&f.dir); id++) {
		rc_a[id] = shm_board_read(&f.board, id, &board_a[id], NULL);
		quoted += rc_a[id] == 0;
	}
	assert_true(quoted > 10);
	feed_core_detach(&f);
	drop_instance();

	/* b: batches of 64 with the key cache */
	make_instance(2, 1024);
	assert_int_equal(feed_core_attach(&f, &g_seg, &cc, &err), 0);
	assert_int_equal(feed_core_set_source_keys(&f, feed_synth_keys(&sb)), 0);
	uint64_t before = rt_clock_now_ns();
	for (uint32_t done = 0; done < nev;) {
		uint32_t n = nev - done < 64 ? nev - done : 64;
		for (uint32_t i = 0; i < n; i++)
			feed_synth_next(&sb, &ev[i]);
		assert_int_equal(feed_core_on_events(&f, ev, n), n);
		/* the shared clock is at the batch's last event time, set after the push */
		assert_int_equal(shm_clock_now(f.clock), ev[n - 1].ts_ns);
		done += n;
	}
	uint64_t after = rt_clock_now_ns();
	for (uint32_t k = 0; k < feed_synth_keys(&sb); k++)
		assert_int_not_equal(f.key_id[k], SHM_INSTR_NONE); /* every key was learnt */
	for (uint32_t id = 0; id < shm_instr_count(&f.dir); id++) {
		struct shm_quote q;
		assert_int_equal(shm_board_read(&f.board, id, &q, NULL), rc_a[id]);
		if (rc_a[id])
			continue; /* a configured instrument the source does not quote */
		assert_int_equal(q.bid, board_a[id].bid);
		assert_int_equal(q.ask, board_a[id].ask);
		assert_int_equal(q.last, board_a[id].last);
		assert_int_equal(q.quote_seq, board_a[id].quote_seq);
		assert_int_equal(q.recv_ts_ns, q.write_ts_ns); /* one stamp per batch */
		assert_true(q.write_ts_ns >= before && q.write_ts_ns <= after);
	}
	/* the rings hold every quote, in per-instrument order, nothing flagged */
	uint64_t popped = 0;
	static uint64_t last_seq[256];
	memset(last_seq, 0, sizeof(last_seq));
	for (uint32_t w = 0; w < 2; w++) {
		struct shm_ring r = consumer(w);
		struct shm_quote_msg m;
		while (shm_ring_pop_spsc(&r, &m) == 0) {
			assert_int_equal(m.quote_seq, last_seq[m.instr_id] + 1);
			assert_int_equal(m.flags, 0);
			assert_int_equal(m.recv_ts_ns, m.write_ts_ns);
			last_seq[m.instr_id] = m.quote_seq;
			popped++;
		}
	}
	assert_int_equal(popped, nev - sb.noptions);
	assert_int_equal(counter_value("feeder", "quotes.published"), popped);
	feed_core_detach(&f);
	drop_instance();
}

/* A batch the ring cannot take whole: the ring keeps a prefix, the rest is dropped
 * and counted, and each dropped instrument's next message carries the gap flag. */
static void test_event_batch_into_a_full_ring_drops_the_tail_and_flags_gaps(void **state)
{
	(void)state;
	make_instance(1, 64);
	static struct feed_core f;
	static struct feed_event ev[64];
	struct rt_err err = {0};
	struct feed_core_cfg cc = core_cfg();
	assert_int_equal(feed_core_attach(&f, &g_seg, &cc, &err), 0);
	/* 40 quotes: 20 MSFT then 20 AAPL, alternating price steps */
	memset(ev, 0, sizeof(ev));
	for (int i = 0; i < 40; i++) {
		ev[i].src_key = FEED_SRC_KEY_NONE;
		ev[i].ts_ns = (uint64_t)i + 1;
		ev[i].msg = quote(i < 20 ? "MSFT" : "AAPL", 400 + i * 0.01, 400.02 + i * 0.01,
				  (uint64_t)i + 1);
	}
	assert_int_equal(feed_core_on_events(&f, ev, 40), 40);
	/* the second batch meets a ring with 24 free slots: MSFT fits, 16 AAPL do not */
	for (int i = 0; i < 40; i++)
		ev[i].msg.quote.exch_ts_ns = ev[i].ts_ns = (uint64_t)i + 100;
	assert_int_equal(feed_core_on_events(&f, ev, 40), 40);
	assert_int_equal(counter_value("feeder", "drops.worker.0"), 16);
	struct shm_ring r = consumer(0);
	struct shm_quote_msg m;
	for (int i = 0; i < 64; i++)
		assert_int_equal(shm_ring_pop_spsc(&r, &m), 0);
	assert_int_equal(shm_ring_pop_spsc(&r, &m), -EAGAIN);
	ev[0].msg = quote("AAPL", 401, 401.02, 200);
	ev[1].msg = quote("MSFT", 401, 401.02, 200);
	ev[0].ts_ns = ev[1].ts_ns = 200;
	assert_int_equal(feed_core_on_events(&f, ev, 2), 2);
	assert_int_equal(shm_ring_pop_spsc(&r, &m), 0);
	assert_int_equal(m.instr_id, shm_instr_find(&f.dir, "AAPL"));
	assert_int_equal(m.quote_seq, 41); /* 25..40 dropped */
	assert_int_equal(m.flags & SHM_QMSG_GAP, SHM_QMSG_GAP);
	assert_int_equal(shm_ring_pop_spsc(&r, &m), 0);
	assert_int_equal(m.instr_id, shm_instr_find(&f.dir, "MSFT"));
	assert_int_equal(m.quote_seq, 41);
	assert_int_equal(m.flags & SHM_QMSG_GAP, 0);
	feed_core_detach(&f);
	drop_instance();
}

static void test_replay_reader_names_file_line_and_column(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "/tmp/alluse-replay-bad-%d.csv", (int)getpid());
	FILE *fp = fopen(path, "w");
	fprintf(fp, "time,symbol,bid,ask,last,bid_size,ask_size,last_size\n"
		    "2026-11-23T14:30:00.5Z,AAPL,189.5,189.52,,100,200,0\n"
		    "2026-11-23T14:30:01Z,AAPL,nan,189.52,,100,200,0\n"
		    "123,AAPL,1,2,3,4,5\n"
		    "123,AAPL,1,2,3,4,5,-6\n"
		    "2026-13-23T14:30:00Z,AAPL,1,2,3,4,5,6\n");
	fclose(fp);
	static struct feed_replay r;
	struct rt_err err = {0};
	struct feed_event ev;
	assert_int_equal(feed_replay_open(&r, path, &err), 0);
	assert_int_equal(feed_replay_next(&r, &ev, &err), 1);
	assert_int_equal(ev.ts_ns % 1000000000ull, 500000000ull);
	assert_int_equal(ev.msg.quote.bid, 18950000000ll);
	assert_int_equal(ev.msg.quote.last, INT64_MIN);
	assert_int_equal(feed_replay_next(&r, &ev, &err), 1);
	assert_int_equal(ev.nonfinite, 1);
	assert_int_equal(feed_replay_next(&r, &ev, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, ":4: 7 columns, expected 8"));
	assert_int_equal(feed_replay_next(&r, &ev, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, ":5: column 'last_size': '-6'"));
	assert_int_equal(feed_replay_next(&r, &ev, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, ":6: column 'time'"));
	assert_int_equal(feed_replay_next(&r, &ev, &err), 0);
	feed_replay_close(&r);
	fp = fopen(path, "w");
	fprintf(fp, "date,sym\n");
	fclose(fp);
	assert_int_equal(feed_replay_open(&r, path, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, ":1: header is 'date,sym', expected"));
	assert_int_equal(feed_replay_open(&r, "/nonexistent/x.csv", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/x.csv"));
	unlink(path);
}

static void test_feed_process_replays_a_file_into_a_live_segment(void **state)
{
	(void)state;
	make_instance(2, 1024);
	char path[128];
	snprintf(path, sizeof(path), "/tmp/alluse-replay-proc-%d.csv", (int)getpid());
	FILE *fp = fopen(path, "w");
	fprintf(fp, "time,symbol,bid,ask,last,bid_size,ask_size,last_size\n"
		    "1795444200000000000,NVDA,180.10,180.12,180.11,10,20,5\n"
		    "1795444200500000000,NVDA,180.11,180.13,180.12,10,20,5\n"
		    "1795444201000000000,NVDA  261127P00170000,1.10,1.15,,3,4,0\n");
	fclose(fp);
	const char *argv[] = {test_bin("alluse-feed"),
			      "-n",
			      g_cfg.instance,
			      "--source",
			      "replay",
			      "--replay",
			      path,
			      "--speed",
			      "0",
			      "--exit-at-end",
			      NULL};
	struct run_result rr;
	assert_int_equal(run_capture(argv, 10000, &rr), 0);
	if (rr.status != 0)
		print_message("%s\n", rr.err);
	assert_int_equal(rr.status, 0);
	assert_non_null(strstr(rr.err, "replay finished"));
	run_result_free(&rr);
	struct shm_instr_dir dir;
	shm_instr_attach(&dir,
			 shm_segment_region(&g_seg, shm_segment_find_name(&g_seg, "instruments")));
	struct shm_board b;
	shm_board_attach(&b, shm_segment_region(&g_seg, shm_segment_find_name(&g_seg, "board")));
	struct shm_quote q;
	assert_int_equal(shm_board_read(&b, shm_instr_find(&dir, "NVDA"), &q, NULL), 0);
	assert_int_equal(q.quote_seq, 2);
	assert_int_equal(q.bid, 18011000000ll);
	uint32_t opt = shm_instr_find(&dir, "NVDA  261127P00170000");
	assert_int_not_equal(opt, SHM_INSTR_NONE);
	assert_int_equal(shm_board_read(&b, opt, &q, NULL), 0);
	assert_int_equal(q.ask, 115000000);
	struct shm_clock *clk = shm_segment_region(&g_seg, shm_segment_find_name(&g_seg, "clock"));
	assert_int_equal(shm_clock_now(clk),
			 1795444201000000000ull); /* file time drives the clock */
	assert_int_equal(counter_value("feeder", "quotes.published"), 3);
	unlink(path);
	drop_instance();
}

static void test_feed_process_receives_udp_packets_from_feedsend(void **state)
{
	(void)state;
	make_instance(2, 1024);
	char dir[128], cfg[160], csv[160];
	snprintf(dir, sizeof(dir), "/tmp/alluse-udp-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(cfg, sizeof(cfg), "%s/feed.yaml", dir);
	snprintf(csv, sizeof(csv), "%s/q.csv", dir);
	uint16_t port = (uint16_t)(20000 + getpid() % 20000);
	FILE *fp = fopen(cfg, "w");
	fprintf(fp,
		"feeder:\n  source: udp\n  udp_bind: 127.0.0.1\n  udp_port: %u\n  max_age_ms: 0\n",
		port);
	fclose(fp);
	fp = fopen(csv, "w");
	fprintf(fp, "time,symbol,bid,ask,last,bid_size,ask_size,last_size\n"
		    "1795444200000000000,META,353.90,353.95,353.92,10,20,5\n"
		    "1795444200500000000,META,353.91,353.96,353.93,10,20,5\n");
	fclose(fp);
	pid_t feeder = fork();
	if (feeder == 0) {
		execl(test_bin("alluse-feed"), "alluse-feed", "-n", g_cfg.instance, "-c", cfg,
		      (char *)NULL);
		_exit(127);
	}
	struct shm_instr_dir dir_;
	shm_instr_attach(&dir_,
			 shm_segment_region(&g_seg, shm_segment_find_name(&g_seg, "instruments")));
	struct shm_board b;
	shm_board_attach(&b, shm_segment_region(&g_seg, shm_segment_find_name(&g_seg, "board")));
	uint32_t meta = shm_instr_find(&dir_, "META");
	struct shm_quote q;
	int got = 0;
	char to[32];
	snprintf(to, sizeof(to), "127.0.0.1:%u", port);
	for (int attempt = 0; attempt < 50 && !got; attempt++) {
		usleep(100000); /* the feeder binds, then feedsend sends (again) */
		const char *argv[] = {test_bin("alluse-feedsend"),
				      "--to",
				      to,
				      "--replay",
				      csv,
				      "--rate",
				      "0",
				      NULL};
		struct run_result rr;
		assert_int_equal(run_capture(argv, 10000, &rr), 0);
		assert_int_equal(rr.status, 0);
		run_result_free(&rr);
		usleep(100000);
		got = shm_board_read(&b, meta, &q, NULL) == 0 && q.quote_seq >= 2;
	}
	kill(feeder, SIGINT);
	int status;
	waitpid(feeder, &status, 0);
	assert_true(got);
	assert_int_equal(q.bid, 35391000000ll);
	assert_int_equal(q.ask, 35396000000ll);
	assert_true(counter_value("feeder", "quotes.published") >= 2);
	unlink(cfg);
	unlink(csv);
	rmdir(dir);
	drop_instance();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_is_stable_and_keeps_an_underlying_on_one_worker),
		cmocka_unit_test(test_publish_writes_board_and_owner_ring_with_sequence_and_stamps),
		cmocka_unit_test(test_full_ring_drops_counts_and_flags_the_gap),
		cmocka_unit_test(test_rejections_are_counted_per_reason),
		cmocka_unit_test(test_packets_define_new_strikes_and_publish_quotes),
		cmocka_unit_test(test_replay_of_the_same_file_is_deterministic),
		cmocka_unit_test(test_synthetic_source_is_seeded_and_prices_chains),
		cmocka_unit_test(test_synthetic_option_prices_stay_within_the_approximation_bound),
		cmocka_unit_test(test_synthetic_keys_name_one_symbol_each),
		cmocka_unit_test(test_event_batches_publish_like_single_messages_with_one_stamp),
		cmocka_unit_test(test_event_batch_into_a_full_ring_drops_the_tail_and_flags_gaps),
		cmocka_unit_test(test_replay_reader_names_file_line_and_column),
		cmocka_unit_test(test_feed_process_replays_a_file_into_a_live_segment),
		cmocka_unit_test(test_feed_process_receives_udp_packets_from_feedsend),
	};
	return cmocka_run_group_tests_name("feed_core", tests, NULL, NULL);
}
