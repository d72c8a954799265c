/*
 * bench_e2e.c — `alluse-bench e2e`: the feeder and a protocol worker as real
 * processes over a real segment, each pinned to one of the two CPUs and
 * busy-spinning. Method and labels: docs/bench.md ("alluse-bench e2e").
 *
 * Set-up (not timed): the parent creates the segment from the default configuration
 * (shm_instance_plan: one worker, a 65 536-slot event ring, plus one scratch region
 * for c2c), puts 500 synthetic underlyings U000..U499 in the directory with their
 * ATR (2 % of the price) in the ATR table, puts the clock in replay mode at T0 and
 * publishes it. The feeder publishes one quote per underlying through feed_core; the
 * worker (proto_engine, the code alluse-worker runs) adds 10 000 positions with
 * proto_engine_apply, 20 per underlying, their strikes placed so that the cadence
 * evaluation puts them at levels 0-2 (even underlyings, "group A") or 0-3 (odd ones,
 * "group B"), their add times spread over one 300 s cadence, and runs the cadence
 * over 600 s of replay time so that their next evaluations are spread as in a
 * steady state. The feeder drains the event ring throughout and checks that set-up
 * produced exactly the expected level changes.
 *
 * Then the feeder drives phases through a control word the worker polls in its loop
 * (one load per iteration, a line nobody writes while a phase runs), in rounds:
 *   c2c       the two processes ping-pong two cache-line words (bench_util);
 *   c2c-sparse the same round trip, one every 200 us like q2e (the baseline for its
 *             tails: sampled the same way, it meets the host's interruptions as often);
 *   q2e       at a steady rate, a quote moves the probe underlying (U001) across the
 *             level-3 threshold of its probe put (level 2): timed from the feeder's
 *             stamp just before feed_core_on_msg (the event's feed_recv_ns) to the
 *             worker's event publish stamp (publish_ns). Between samples the feeder
 *             puts the price back, waits until the worker has read that quote, and
 *             replaces the probe (posctl REMOVE + ADD) by a fresh level-2 one;
 *   nocross   flat out, quotes on group-A underlyings whose prices stay strictly
 *             between their trips: the worker's busy time / quotes;
 * and finally
 *   cadence   the replay clock advances in real time, no quotes: the worker calls
 *             proto_engine_cadence in its loop; the time of the calls that evaluated
 *             something, over the wall time.
 * The replay clock follows real time from T1 = T0 + 601 s in every phase.
 */
#include "bench/bench_report.h"
#include "bench/bench_util.h"

#include "feeders/feed_core.h"
#include "rt/rt_atomic.h"
#include "rt/rt_clock.h"
#include "rt/rt_config.h"
#include "rt/rt_cpu.h"
#include "shm/shm_atr.h"
#include "shm/shm_clock.h"
#include "shm/shm_instance.h"
#include "shm/shm_instr.h"
#include "shm/shm_msg.h"
#include "shm/shm_pos.h"
#include "shm/shm_price.h"
#include "shm/shm_ring.h"
#include "workers/engine/proto_engine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NAME "e2e"
#define NUNDER 500u
#define PER_UNDER 20u
#define NPOS (NUNDER * PER_UNDER)
#define PROBE_UNDER 1u /* group B (odd) */
#define PROBE_J 2u /* its third position: a put at level 2 */
#define PROBE_ID0 1000000u /* pos_id of the first replacement probe */
#define NS 1000000000ull
#define T0_NS 1795444200000000000ull /* 2026-11-23 14:30 UTC */
#define SETUP_SPAN_NS (300ull * NS) /* add times spread over one level-0 cadence */
#define SWEEP_NS (600ull * NS) /* cadence run over this much replay time at set-up */
#define SWEEP_STEP_NS (10ull * 1000000ull)
#define T1_NS (T0_NS + SWEEP_NS + NS) /* replay time when the phases start */
#define Q2E_PERIOD_NS 200000ull /* one crossing quote every 200 us */
#define Q2E_WARM_QUOTES 4u /* non-crossing quotes of the probe underlying between samples */
#define LATE_NS 1000u /* a crossing quote sent later than this behind schedule is late */
#define WAIT_NS (2ull * NS) /* longest wait for an expected event */

enum phase {
	PH_SETUP,
	PH_C2C,
	PH_SPARSE,
	PH_Q2E,
	PH_NOCROSS,
	PH_NCFILL, /* the worker holds while the feeder fills its ring */
	PH_NCDRAIN, /* the worker drains the filled ring */
	PH_CADENCE,
	PH_STOP,
	PH_N
};
static const char *const PHASE_NAMES[PH_N] = {"setup",   "c2c",      "c2c-sparse", "q2e", "nocross",
					      "nc-fill", "nc-drain", "cadence",    "stop"};

/* Control block: an anonymous MAP_SHARED mapping inherited by the children. Each word
 * written while the other process spins on something sits on its own line. */
struct ctl {
	uint32_t phase; /* feeder: (sequence << 8) | enum phase (release) */
	uint8_t pad0[124];
	uint32_t ack; /* worker: the phase word it has entered (release) */
	uint8_t pad1[124];
	uint32_t prices_ready; /* feeder: every underlying has a quote on the board */
	uint8_t pad2[124];
	uint32_t worker_ready; /* worker: positions added, cadence swept */
	uint8_t pad3[124];
	/* phase parameters, written by the feeder before it publishes the phase word */
	uint64_t c2c_total; /* round trips of this c2c round (warm-up included) */
	/* results */
	uint64_t levels[4]; /* worker: positions per level after set-up */
	uint64_t setup_events; /* feeder: level events seen during set-up */
	uint64_t setup_evals; /* worker: cadence evaluations of the set-up sweep */
	uint64_t nc_busy, nc_quotes, nc_calls; /* worker, nocross: TSC ticks, quotes, calls */
	uint64_t nc_other; /* worker, nocross: busy calls that handled no quote */
	uint64_t nc_sent, nc_drops; /* feeder, nocross */
	uint64_t ncd_busy, ncd_quotes, ncd_calls; /* worker, nc-drain: TSC ticks, quotes, calls */
	uint64_t ncd_sent; /* feeder, nc-fill */
	uint64_t cad_busy, cad_evals, cad_calls, cad_polls; /* worker, cadence phase */
	uint64_t cad_wall_ns;
	uint64_t q2e_late, q2e_late_max; /* feeder: crossing quotes sent late, worst ns */
	uint64_t stray_events; /* feeder: level events nobody asked for during the phases */
	uint64_t engine_q2e; /* worker: samples in its own quote-to-event histogram */
	struct bench_side side[2][PH_N]; /* [0] feeder (CPU A), [1] worker (CPU B) */
	double steal_ms[PH_N];
	int steal_known[PH_N];
	struct rt_hist h_c2c; /* feeder: one-way ns */
	struct rt_hist h_sparse; /* feeder: round trips, one per Q2E_PERIOD_NS, ns */
	struct rt_hist h_q2e; /* feeder: publish_ns - feed_recv_ns of the probe events, plus
	                       * the lateness of a quote sent late */
	struct rt_hist h_q2e_raw; /* the same without the lateness (stamp to publish only) */
	struct rt_hist h_nc; /* worker: ns per quote of each busy do_work call */
	struct rt_hist h_nc_engine; /* worker: its own "quote-no-crossing" histogram */
	struct rt_hist h_ncd; /* worker, nc-drain: ns per quote of each busy do_work call */
	struct rt_hist h_stage[3]; /* feeder, from the probe events: recv -> board write,
	                            * board write -> worker read, worker read -> publish */
};

static struct {
	struct rt_tsc tsc;
	char instance[32];
	char seg_path[96];
	struct rt_config cfg;
	const struct bench_opts *o;
	struct ctl *ctl;
	uint32_t rounds;
	uint64_t c2c_warm, c2c_n, q2e_n, nc_n;
	uint64_t cadence_ns;
} G;

/* ---- the workload: underlyings and positions, a pure function of the index ------- */

static int64_t under_price(uint32_t u)
{
	/* $20.00 .. $499.63, a multiple of 10^6 (price × 10^8): every offset below is exact */
	return (int64_t)(2000 + (u * 3700u) % 48000u) * 1000000;
}

static int64_t under_atr(uint32_t u)
{
	return under_price(u) / 50; /* 2 % of the price */
}

/* "U000".."U499" into out (at least 12 bytes: a posctl underlying) */
static void under_symbol(uint32_t u, char *out)
{
	snprintf(out, 12, "U%03u", u % 1000u);
}

struct posdef {
	uint32_t under;
	uint8_t right;
	uint8_t level; /* the level the set-up cadence gives it */
	int64_t strike;
};

/* Position i: underlying i / 20. Group A (even underlyings) cycles levels 0, 1, 2,
 * group B (odd) 0, 1, 2, 3; puts and calls alternate per cycle. A put at level L has
 * its strike L + 0.5 ATR above the price (so level L+1 trips 0.5 ATR below it), a
 * call mirrored: every trip is 0.5 ATR away. The probe put sits at 2.9 ATR: its
 * level-3 threshold is 0.1 ATR below the price, nothing else's is nearer than 0.5. */
static void pos_layout(uint32_t i, struct posdef *d)
{
	uint32_t u = i / PER_UNDER, j = i % PER_UNDER;
	uint32_t nl = u % 2 ? 4 : 3;
	int64_t p = under_price(u), a = under_atr(u);
	d->under = u;
	d->level = (uint8_t)(j % nl);
	d->right = (j / nl) % 2 ? 'C' : 'P';
	int64_t off = a * (2 * d->level + 1) / 2;
	if (u == PROBE_UNDER && j == PROBE_J)
		off = a * 29 / 10;
	d->strike = d->right == 'P' ? p + off : p - off;
}

static void posctl_of(uint32_t pos_id, const struct posdef *d, struct shm_posctl *c)
{
	memset(c, 0, sizeof(*c));
	c->op = SHM_POSCTL_ADD;
	c->pos_id = pos_id;
	under_symbol(d->under, c->underlying);
	c->expiry = 20261218;
	c->strike = d->strike;
	c->contracts = 1;
	c->right = d->right;
	snprintf(c->account, sizeof(c->account), "BENCH");
}

/* ---- the feeder (CPU A) ------------------------------------------------------------- */

struct feeder {
	struct shm_segment seg;
	struct feed_core f;
	struct shm_ring events, posctl;
	uint64_t *c2c_out, *c2c_in;
	uint64_t c2c_next;
	uint64_t mono_base;
	uint32_t word; /* current phase word */
	struct bench_usage usage;
	int64_t steal0[2];
	struct feed_wire_msg q[NUNDER]; /* one prepared quote per underlying */
	uint32_t id[NUNDER];
};

static uint64_t *c2c_word(struct shm_segment *seg, int dir)
{
	uint8_t *r = shm_segment_region(seg, shm_segment_find_name(seg, "bench.c2c"));
	/* two words in the scratch region's slot area, 128 bytes apart (pad by writer) */
	return (uint64_t *)(r + SHM_RING_HDR_SIZE + (size_t)dir * 128);
}

static uint64_t virt_now(const struct feeder *fd)
{
	return T1_NS + (rt_clock_now_ns() - fd->mono_base);
}

/* Quote underlying u at mid `price` with a 0.02 % spread (mid exactly `price`),
 * stamped recv_ns; the replay clock is set to `vt` first, as alluse-feed does. */
static enum feed_reject quote(struct feeder *fd, uint32_t u, int64_t price, uint64_t vt,
			      uint64_t recv_ns)
{
	struct feed_wire_msg *m = &fd->q[u];
	int64_t h = under_price(u) / 10000;
	m->quote.bid = price - h;
	m->quote.ask = price + h;
	m->quote.last = price;
	m->quote.exch_ts_ns = vt;
	feed_core_set_time(&fd->f, vt);
	return feed_core_on_msg(&fd->f, m, 0, recv_ns ? recv_ns : rt_clock_now_ns());
}

/* Next event from the worker's ring, or 0. A fault fails the run. */
static int next_event(struct feeder *fd, struct shm_event *ev)
{
	/* an event is two slots pushed with one publish: both or none are visible */
	if (shm_ring_pop_batch_spsc(&fd->events, ev, 2) != 2)
		return 0;
	return 1;
}

static int check_event(const struct shm_event *ev)
{
	if (ev->kind == SHM_EV_FAULT)
		return bench_fail("fault event: position %u, cause %s", ev->pos_id,
				  shm_event_cause_name(ev->cause));
	return 0;
}

/* Drain events nobody waits for (counted: there should be none after set-up). */
static int drain_stray(struct feeder *fd)
{
	struct shm_event ev;
	while (next_event(fd, &ev)) {
		if (check_event(&ev))
			return 1;
		G.ctl->stray_events++;
	}
	return 0;
}

/* Wait for the level event of pos_id to `to`; other events are strays. */
static int wait_event(struct feeder *fd, uint32_t pos_id, uint8_t to, struct shm_event *out)
{
	uint64_t deadline = rt_clock_now_ns() + WAIT_NS;
	for (;;) {
		if (next_event(fd, out)) {
			if (check_event(out))
				return 1;
			if (out->pos_id == pos_id && out->to == to)
				return 0;
			G.ctl->stray_events++;
			continue;
		}
		if (rt_clock_now_ns() > deadline)
			return bench_fail("no event for position %u to level %u after %llu ms",
					  pos_id, to, (unsigned long long)(WAIT_NS / 1000000));
		rt_cpu_relax();
	}
}

/* Until the worker has read every quote published so far. */
static int wait_quotes_read(struct feeder *fd)
{
	struct shm_ring *r = &fd->f.rings[0];
	uint64_t deadline = rt_clock_now_ns() + WAIT_NS;
	while (rt_load_acq_u64(&r->hdr->read_pos) != r->pos) {
		if (rt_clock_now_ns() > deadline)
			return bench_fail("the worker did not read its quotes within %llu ms",
					  (unsigned long long)(WAIT_NS / 1000000));
		rt_cpu_relax();
	}
	return 0;
}

static int push_posctl(struct feeder *fd, const struct shm_posctl *c)
{
	uint64_t deadline = rt_clock_now_ns() + WAIT_NS;
	while (shm_ring_push_spsc(&fd->posctl, c) != 0) {
		if (rt_clock_now_ns() > deadline)
			return bench_fail("position-command ring full for %llu ms",
					  (unsigned long long)(WAIT_NS / 1000000));
		rt_cpu_relax();
	}
	return 0;
}

/* Publish phase `ph` and wait until the worker has entered it; account the phase
 * that ends (this process's usage, steal on both CPUs). */
static int enter_phase(struct feeder *fd, enum phase ph)
{
	struct ctl *c = G.ctl;
	uint32_t prev = fd->word & 0xff;
	bench_usage_end(&fd->usage, &c->side[0][prev]);
	int64_t st1[2] = {bench_steal_ticks(G.o->cpus[0]), bench_steal_ticks(G.o->cpus[1])};
	double s = bench_steal_ms(fd->steal0, st1);
	if (s >= 0) {
		c->steal_ms[prev] += s;
		c->steal_known[prev] = 1;
	}
	fd->steal0[0] = st1[0];
	fd->steal0[1] = st1[1];
	fd->word = ((((fd->word >> 8) + 1) & 0xffffffu) << 8) | (uint32_t)ph;
	/* release: the phase parameters above are visible with the word */
	rt_store_rel_u32(&c->phase, fd->word);
	uint64_t deadline = rt_clock_now_ns() + WAIT_NS;
	while (rt_load_acq_u32(&c->ack) != fd->word) {
		if (drain_stray(fd))
			return 1;
		if (rt_clock_now_ns() > deadline)
			return bench_fail("the worker did not enter phase %s", PHASE_NAMES[ph]);
		rt_cpu_relax();
	}
	bench_usage_begin(&fd->usage);
	return 0;
}

static int feeder_setup(struct feeder *fd)
{
	struct rt_err err = {0};
	struct feed_core_cfg fc = {
		.validate =
			{
				.max_age_ns = (uint64_t)G.cfg.feeder.max_age_ms * 1000000ull,
				.jump_atr_k100 = (uint32_t)(G.cfg.feeder.jump_atr_k * 100.0 + 0.5),
				.jump_confirm = G.cfg.feeder.jump_confirm,
			},
		.auto_define = 0,
		.clock_mode = SHM_CLOCK_REPLAY,
	};
	if (shm_segment_attach(&fd->seg, G.instance, 1000, &err) != 0)
		return bench_fail("attach: %s", err.msg);
	if (feed_core_attach(&fd->f, &fd->seg, &fc, &err) != 0)
		return bench_fail("feed_core_attach: %s", err.msg);
	const struct shm_dir_entry *e =
		shm_segment_find(&fd->seg, SHM_KIND_RING, SHM_ROLE_EVENTS, 0);
	const struct shm_dir_entry *p =
		shm_segment_find(&fd->seg, SHM_KIND_RING, SHM_ROLE_POSCTL, 0);
	if (!e || !p)
		return bench_fail("segment has no events.0 / posctl.0 ring");
	shm_ring_consumer_attach(&fd->events, shm_segment_region(&fd->seg, e));
	shm_ring_producer_attach(&fd->posctl, shm_segment_region(&fd->seg, p));
	fd->c2c_out = c2c_word(&fd->seg, 0);
	fd->c2c_in = c2c_word(&fd->seg, 1);
	fd->c2c_next = 1;
	for (uint32_t u = 0; u < NUNDER; u++) {
		struct feed_wire_msg *m = &fd->q[u];
		memset(m, 0, sizeof(*m));
		m->type = FEED_WIRE_MSG_QUOTE;
		under_symbol(u, m->symbol);
		m->quote.bid_size = 100;
		m->quote.ask_size = 100;
		m->quote.last_size = 1;
		m->quote.venue = 1;
		if (quote(fd, u, under_price(u), T0_NS, 0) != FEED_REJECT_OK)
			return bench_fail("the first quote of %s was rejected", m->symbol);
	}
	rt_store_rel_u32(&G.ctl->prices_ready, 1);

	/* set-up: one level event per position whose level is not 0 */
	uint64_t want = 0;
	for (uint32_t i = 0; i < NPOS; i++) {
		struct posdef d;
		pos_layout(i, &d);
		want += d.level > 0;
	}
	struct shm_event ev;
	uint64_t deadline = rt_clock_now_ns() + 60 * NS;
	while (!rt_load_acq_u32(&G.ctl->worker_ready) || G.ctl->setup_events < want) {
		if (next_event(fd, &ev)) {
			if (check_event(&ev))
				return 1;
			G.ctl->setup_events++;
			continue;
		}
		if (rt_clock_now_ns() > deadline)
			return bench_fail("set-up: %llu of %llu level events after 60 s",
					  (unsigned long long)G.ctl->setup_events,
					  (unsigned long long)want);
		rt_cpu_relax();
	}
	if (drain_stray(fd))
		return 1;
	if (G.ctl->stray_events)
		return bench_fail("set-up: %llu level events more than the %llu expected",
				  (unsigned long long)G.ctl->stray_events,
				  (unsigned long long)want);
	fd->mono_base = rt_clock_now_ns();
	feed_core_set_time(&fd->f, virt_now(fd));
	return 0;
}

static int feeder_c2c(struct feeder *fd)
{
	G.ctl->c2c_total = G.c2c_warm + G.c2c_n;
	if (enter_phase(fd, PH_C2C))
		return 1;
	fd->c2c_next = bench_c2c_ping(fd->c2c_out, fd->c2c_in, fd->c2c_next, G.c2c_warm, G.c2c_n,
				      &G.ctl->h_c2c, &G.tsc);
	return 0;
}

/* One c2c round trip (not halved) per Q2E_PERIOD_NS, as many as quote-to-event
 * samples, with the same late-send correction: the raw cache-line path sampled the
 * way quote-to-event is, so it meets the platform's interruptions as often. */
static int feeder_sparse(struct feeder *fd)
{
	struct ctl *c = G.ctl;
	c->c2c_total = G.q2e_n;
	if (enter_phase(fd, PH_SPARSE))
		return 1;
	uint64_t start = rt_clock_now_ns() + 100000;
	for (uint64_t k = 0; k < G.q2e_n; k++, fd->c2c_next++) {
		uint64_t due = start + k * Q2E_PERIOD_NS, now;
		while ((now = rt_clock_now_ns()) < due)
			rt_cpu_relax();
		uint64_t late = now - due;
		uint64_t t0 = rt_tsc_read();
		rt_store_rel_u64(fd->c2c_out, fd->c2c_next);
		while (rt_load_acq_u64(fd->c2c_in) != fd->c2c_next)
			rt_cpu_relax();
		uint64_t t1 = rt_tsc_read();
		rt_hist_record(&c->h_sparse,
			       rt_tsc_to_ns(&G.tsc, t1 - t0) + (late > LATE_NS ? late : 0));
	}
	return 0;
}

static int feeder_q2e(struct feeder *fd, uint32_t *probe_id)
{
	struct ctl *c = G.ctl;
	const uint32_t u = PROBE_UNDER;
	const int64_t p = under_price(u), cross = p - under_atr(u) / 5;
	struct posdef d;
	pos_layout(u * PER_UNDER + PROBE_J, &d);
	if (enter_phase(fd, PH_Q2E))
		return 1;
	uint64_t start = rt_clock_now_ns() + 100000;
	for (uint64_t k = 0; k < G.q2e_n; k++) {
		uint64_t due = start + k * Q2E_PERIOD_NS, now;
		while ((now = rt_clock_now_ns()) < due)
			rt_cpu_relax();
		/* the crossing quote: stamped just before feed_core_on_msg */
		uint64_t vt = virt_now(fd);
		feed_core_set_time(&fd->f, vt);
		uint64_t recv = rt_clock_now_ns();
		if (quote(fd, u, cross, vt, recv) != FEED_REJECT_OK)
			return bench_fail("crossing quote rejected");
		struct shm_event ev;
		if (wait_event(fd, *probe_id, 3, &ev))
			return 1;
		if (ev.feed_recv_ns != recv || ev.cause != SHM_CAUSE_CROSSING)
			return bench_fail("probe event carries recv %llu (sent %llu), cause %s",
					  (unsigned long long)ev.feed_recv_ns,
					  (unsigned long long)recv, shm_event_cause_name(ev.cause));
		/* no coordinated omission: a quote sent late is timed from when it was due */
		uint64_t late = recv - due;
		if (late > LATE_NS) {
			c->q2e_late++;
			if (late > c->q2e_late_max)
				c->q2e_late_max = late;
		} else {
			late = 0;
		}
		rt_hist_record(&c->h_q2e, ev.publish_ns - ev.feed_recv_ns + late);
		rt_hist_record(&c->h_q2e_raw, ev.publish_ns - ev.feed_recv_ns);
		rt_hist_record(&c->h_stage[0], ev.board_write_ns - ev.feed_recv_ns);
		rt_hist_record(&c->h_stage[1], ev.worker_read_ns - ev.board_write_ns);
		rt_hist_record(&c->h_stage[2], ev.publish_ns - ev.worker_read_ns);
		/* reset: price back, read by the worker; then a fresh level-2 probe */
		if (quote(fd, u, p, virt_now(fd), 0) != FEED_REJECT_OK || wait_quotes_read(fd))
			return bench_fail("restoring the probe's price");
		struct shm_posctl cmd = {.op = SHM_POSCTL_REMOVE, .pos_id = *probe_id};
		if (push_posctl(fd, &cmd))
			return 1;
		*probe_id = *probe_id < PROBE_ID0 ? PROBE_ID0 : *probe_id + 1;
		posctl_of(*probe_id, &d, &cmd);
		if (push_posctl(fd, &cmd) || wait_event(fd, *probe_id, 2, &ev))
			return 1;
		/* the underlying trades on: a few quotes that cross nothing bring the
		 * worker's data for it back into cache after the replacement (which scans
		 * the whole positions table), as its normal quote flow would */
		for (uint32_t w = 0; w < Q2E_WARM_QUOTES; w++)
			if (quote(fd, u, p, virt_now(fd), 0) != FEED_REJECT_OK)
				return bench_fail("warming quote rejected");
		if (wait_quotes_read(fd))
			return 1;
	}
	return 0;
}

/* Quote k of the no-crossing stream: group A, round robin; the mid wanders within
 * ±0.3 ATR, its trips are at ±0.5 ATR. */
static int nocross_quote(struct feeder *fd, uint64_t k, uint64_t vt)
{
	uint32_t u = (uint32_t)(k % (NUNDER / 2)) * 2;
	int64_t step = under_atr(u) / 10;
	int64_t price = under_price(u) + (int64_t)((k / (NUNDER / 2)) % 7 - 3) * step;
	if (quote(fd, u, price, vt, 0) != FEED_REJECT_OK)
		return bench_fail("no-crossing quote %llu rejected", (unsigned long long)k);
	return 0;
}

static int feeder_nocross(struct feeder *fd)
{
	struct ctl *c = G.ctl;
	uint64_t drops0 = rt_load_rlx_u64(fd->f.c_drops[0]);
	if (enter_phase(fd, PH_NOCROSS))
		return 1;
	uint64_t vt = virt_now(fd);
	for (uint64_t k = 0; k < G.nc_n; k++) {
		/* the replay clock is read from real time every 64 quotes */
		if ((k & 63) == 0)
			vt = virt_now(fd);
		if (nocross_quote(fd, k, vt))
			return 1;
		if ((k & 4095) == 0 && drain_stray(fd))
			return 1;
	}
	c->nc_sent += G.nc_n;
	c->nc_drops += rt_load_rlx_u64(fd->f.c_drops[0]) - drops0;
	return wait_quotes_read(fd);
}

/* The same stream, but queued first: the worker holds while its ring fills to 3/4,
 * then drains it. Its busy time per quote is then what a quote costs the worker, not
 * the cache-line transfer each quote pays when the worker keeps pace (a floor of one
 * c2c one-way per quote in the paced phase). */
static int feeder_nocross_drain(struct feeder *fd)
{
	struct ctl *c = G.ctl;
	if (enter_phase(fd, PH_NCFILL))
		return 1;
	uint64_t n = (uint64_t)G.cfg.shm.quote_ring_capacity * 3 / 4;
	uint64_t drops0 = rt_load_rlx_u64(fd->f.c_drops[0]);
	uint64_t vt = virt_now(fd);
	for (uint64_t k = 0; k < n; k++)
		if (nocross_quote(fd, k, vt))
			return 1;
	if (rt_load_rlx_u64(fd->f.c_drops[0]) != drops0)
		return bench_fail("the held ring dropped quotes: raise shm.quote_ring_capacity");
	c->ncd_sent += n;
	if (enter_phase(fd, PH_NCDRAIN))
		return 1;
	return wait_quotes_read(fd);
}

static int feeder_cadence(struct feeder *fd)
{
	if (enter_phase(fd, PH_CADENCE))
		return 1;
	uint64_t end = rt_clock_now_ns() + G.cadence_ns, next = 0, now;
	while ((now = rt_clock_now_ns()) < end) {
		/* the replay clock advances in real time, 10 us steps */
		if (now >= next) {
			feed_core_set_time(&fd->f, virt_now(fd));
			next = now + 10000;
			if (drain_stray(fd))
				return 1;
		}
		rt_cpu_relax();
	}
	return 0;
}

static int role_feeder(void *arg)
{
	(void)arg;
	static struct feeder fd;
	if (feeder_setup(&fd))
		return 1;
	bench_usage_begin(&fd.usage);
	fd.steal0[0] = bench_steal_ticks(G.o->cpus[0]);
	fd.steal0[1] = bench_steal_ticks(G.o->cpus[1]);
	uint32_t probe_id = PROBE_UNDER * PER_UNDER + PROBE_J + 1;
	int rc = 0;
	for (uint32_t r = 0; r < G.rounds && !rc; r++) {
		rc = feeder_c2c(&fd) || feeder_sparse(&fd) || feeder_q2e(&fd, &probe_id) ||
		     feeder_nocross(&fd) || feeder_nocross_drain(&fd);
		fputc('.', stderr);
	}
	if (!rc)
		rc = feeder_cadence(&fd) || enter_phase(&fd, PH_STOP);
	feed_core_detach(&fd.f);
	shm_segment_detach(&fd.seg);
	return rc;
}

/* ---- the worker (CPU B) ----------------------------------------------------------------- */

static int worker_setup(struct proto_engine *e, struct shm_segment *seg)
{
	struct rt_err err = {0};
	/* as alluse-worker configures a spinning worker */
	struct proto_cfg pc = {.worker = 0, .heartbeat_idle_turns = 1024};
	for (int k = 0; k < 3; k++) {
		pc.mult100[k] = (uint32_t)(G.cfg.protocol.level_atr[k] * 100.0 + 0.5);
		pc.cadence_ns[k] = (uint64_t)G.cfg.protocol.cadence_s[k] * NS;
	}
	if (shm_segment_attach(seg, G.instance, 1000, &err) != 0)
		return bench_fail("attach: %s", err.msg);
	if (proto_engine_attach(e, seg, &pc, &err) != 0)
		return bench_fail("proto_engine_attach: %s", err.msg);
	uint64_t deadline = rt_clock_now_ns() + 60 * NS;
	while (!rt_load_acq_u32(&G.ctl->prices_ready)) {
		if (rt_clock_now_ns() > deadline)
			return bench_fail("no prices from the feeder after 60 s");
		rt_clock_sleep_ns(100000);
	}
	while (proto_engine_do_work(e)) /* the first quotes: no positions yet */
		;
	for (uint32_t i = 0; i < NPOS; i++) {
		struct posdef d;
		struct shm_posctl cmd;
		pos_layout(i, &d);
		posctl_of(i + 1, &d, &cmd);
		e->now = T0_NS + (uint64_t)i * (SETUP_SPAN_NS / NPOS);
		int rc = proto_engine_apply(e, &cmd);
		if (rc)
			return bench_fail("adding position %u: %s", i + 1, strerror(-rc));
	}
	uint64_t evals0 = rt_load_rlx_u64(e->c_evals_cadence);
	for (uint64_t t = T0_NS; t <= T0_NS + SWEEP_NS; t += SWEEP_STEP_NS)
		proto_engine_cadence(e, t);
	G.ctl->setup_evals = rt_load_rlx_u64(e->c_evals_cadence) - evals0;
	for (uint32_t i = 0; i < NPOS; i++) {
		struct posdef d;
		pos_layout(i, &d);
		int32_t slot = proto_engine_find(e, i + 1);
		if (slot < 0)
			return bench_fail("position %u is missing", i + 1);
		uint8_t lvl = e->pt.p[slot].level;
		if (lvl != d.level)
			return bench_fail("position %u is at level %u, its layout says %u", i + 1,
					  lvl, d.level);
		G.ctl->levels[lvl]++;
	}
	rt_store_rel_u32(&G.ctl->worker_ready, 1);
	return 0;
}

static int role_worker(void *arg)
{
	(void)arg;
	static struct proto_engine e;
	struct shm_segment seg;
	if (worker_setup(&e, &seg))
		return 1;
	struct ctl *c = G.ctl;
	uint64_t *c2c_in = c2c_word(&seg, 0), *c2c_out = c2c_word(&seg, 1), c2c_next = 1;
	uint32_t word = 0, ph = PH_SETUP;
	uint64_t cad_t0 = 0;
	struct bench_usage usage;
	bench_usage_begin(&usage);
	for (;;) {
		uint32_t w = rt_load_acq_u32(&c->phase);
		if (w != word) {
			/* close the phase that ends */
			bench_usage_end(&usage, &c->side[1][ph]);
			if (ph == PH_NOCROSS)
				rt_hist_merge(&c->h_nc_engine, e.h_quote_cost);
			if (ph == PH_Q2E)
				c->engine_q2e += rt_load_rlx_u64(&e.h_quote_to_event->count);
			if (ph == PH_CADENCE)
				c->cad_wall_ns += rt_clock_now_ns() - cad_t0;
			word = w;
			ph = w & 0xff;
			/* the engine's own histograms, per phase (this process owns them) */
			if (ph == PH_NOCROSS)
				rt_hist_reset(e.h_quote_cost);
			if (ph == PH_Q2E)
				rt_hist_reset(e.h_quote_to_event);
			if (ph == PH_CADENCE)
				cad_t0 = rt_clock_now_ns();
			bench_usage_begin(&usage);
			/* release: the results above are visible with the acknowledgement */
			rt_store_rel_u32(&c->ack, w);
			if (ph == PH_STOP)
				break;
			if (ph == PH_C2C || ph == PH_SPARSE)
				c2c_next = bench_c2c_pong(c2c_in, c2c_out, c2c_next, c->c2c_total);
		}
		switch (ph) {
		case PH_Q2E:
			proto_engine_do_work(&e);
			break;
		case PH_NOCROSS: {
			uint64_t q0 = rt_load_rlx_u64(e.c_quotes);
			uint64_t t0 = rt_tsc_read();
			uint32_t n = proto_engine_do_work(&e);
			uint64_t t1 = rt_tsc_read();
			if (!n)
				break;
			uint64_t dq = rt_load_rlx_u64(e.c_quotes) - q0;
			c->nc_busy += t1 - t0;
			if (!dq) {
				c->nc_other++;
				break;
			}
			c->nc_quotes += dq;
			c->nc_calls++;
			rt_hist_record(&c->h_nc, (uint64_t)((double)(t1 - t0) * G.tsc.ns_per_tick /
								    (double)dq +
							    0.5));
			break;
		}
		case PH_NCDRAIN: {
			uint64_t q0 = rt_load_rlx_u64(e.c_quotes);
			uint64_t t0 = rt_tsc_read();
			uint32_t n = proto_engine_do_work(&e);
			uint64_t t1 = rt_tsc_read();
			uint64_t dq = rt_load_rlx_u64(e.c_quotes) - q0;
			if (!n || !dq)
				break;
			c->ncd_busy += t1 - t0;
			c->ncd_quotes += dq;
			c->ncd_calls++;
			rt_hist_record(&c->h_ncd, (uint64_t)((double)(t1 - t0) * G.tsc.ns_per_tick /
								     (double)dq +
							     0.5));
			break;
		}
		case PH_CADENCE: {
			/* the cadence part of do_work, timed alone (no quotes or commands flow) */
			e.now = shm_clock_now(e.clock);
			uint64_t t0 = rt_tsc_read();
			uint32_t n = proto_engine_cadence(&e, e.now);
			uint64_t t1 = rt_tsc_read();
			c->cad_polls++;
			if (n) {
				c->cad_busy += t1 - t0;
				c->cad_evals += n;
				c->cad_calls++;
			}
			break;
		}
		default:
			rt_cpu_relax();
			break;
		}
	}
	proto_engine_detach(&e);
	shm_segment_detach(&seg);
	return 0;
}

/* ---- the parent ----------------------------------------------------------------------------- */

static int make_segment(struct shm_segment *seg, struct rt_err *err)
{
	static struct shm_plan plan;
	int rc = shm_instance_plan(&plan, &G.cfg, err);
	if (!rc)
		rc = shm_plan_add(&plan, SHM_KIND_RING, SHM_ROLE_SCRATCH, 0, "bench.c2c", 8, err);
	if (rc)
		return rc;
	struct shm_create_opts opts = {.mode = 0600};
	rc = shm_segment_create(seg, G.instance, &plan, &opts, err);
	if (rc)
		return rc;
	snprintf(G.seg_path, sizeof(G.seg_path), "%s", seg->path);
	bench_cleanup_add(G.seg_path);
	struct shm_instr_dir dir;
	struct shm_atr atr;
	shm_instr_attach(&dir, shm_segment_region(seg, shm_segment_find_name(seg, "instruments")));
	shm_atr_attach(&atr, shm_segment_region(seg, shm_segment_find_name(seg, "atr")));
	for (uint32_t u = 0; u < NUNDER; u++) {
		char sym[16];
		struct shm_instr in;
		uint32_t id;
		under_symbol(u, sym);
		rc = shm_instr_make_stock(&in, sym);
		if (!rc)
			rc = shm_instr_add(&dir, &in, &id, err);
		if (rc)
			return rt_err_wrap(err, "adding %s", sym);
		shm_atr_set(&atr, id, under_atr(u), 0, 20261120, rt_clock_wall_ns());
	}
	struct shm_clock *clk = shm_segment_region(seg, shm_segment_find_name(seg, "clock"));
	shm_clock_set_mode(clk, SHM_CLOCK_REPLAY);
	shm_clock_advance(clk, T0_NS);
	shm_segment_publish(seg);
	return 0;
}

static const char *fmt_note(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static const char *fmt_note(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return buf;
}

static void set_disturbance(struct bench_row *row, const struct ctl *c, enum phase ph)
{
	row->spin = 1;
	row->preempted = c->side[0][ph].nivcsw + c->side[1][ph].nivcsw;
	row->steal_ms = c->steal_known[ph] ? c->steal_ms[ph] : -1;
	double a = bench_side_share(&c->side[0][ph]), b = bench_side_share(&c->side[1][ph]);
	row->cpu_share = a < b ? a : b;
}

int bench_e2e_run(const struct bench_opts *o)
{
	int skip = bench_require("e2e", "the feeder and the worker", o, &G.tsc);
	if (skip)
		return skip;
	G.o = o;
	struct rt_err err = {0};
	if (bench_config("e2e", &G.cfg, G.instance, sizeof(G.instance)))
		return 1;
	G.cfg.workers.count = 1;
	G.cfg.workers.ncpus = 0;
	G.cfg.shm.event_ring_capacity = 65536; /* set-up's ~7 000 events fit undrained */

	int quick = o->quick;
	G.rounds = quick ? 2 : 5;
	uint64_t lat_total = o->samples ? o->samples : quick ? 100000 : 1000000;
	G.c2c_n = lat_total / G.rounds;
	G.c2c_warm = quick ? 5000 : 20000;
	G.q2e_n = (quick ? 5000 : 50000) / G.rounds;
	G.nc_n = (quick ? 2000000 : 20000000) / G.rounds;
	G.cadence_ns = (quick ? 3 : 10) * NS;

	G.ctl = mmap(NULL, sizeof(struct ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (G.ctl == MAP_FAILED) {
		fprintf(stderr, "alluse-bench e2e: map the control block: %s\n", strerror(errno));
		return 1;
	}
	struct ctl *c = G.ctl;
	memset(c, 0, offsetof(struct ctl, h_c2c));
	rt_hist_init(&c->h_c2c);
	rt_hist_init(&c->h_sparse);
	rt_hist_init(&c->h_q2e);
	rt_hist_init(&c->h_q2e_raw);
	rt_hist_init(&c->h_nc);
	rt_hist_init(&c->h_ncd);
	rt_hist_init(&c->h_nc_engine);
	for (int k = 0; k < 3; k++)
		rt_hist_init(&c->h_stage[k]);
	int failed = 0;
	struct shm_segment seg;
	memset(&seg, 0, sizeof(seg));
	if (make_segment(&seg, &err) != 0) {
		fprintf(stderr, "alluse-bench e2e: segment %s: %s\n", G.instance, err.msg);
		failed = 1;
		goto out;
	}
	fprintf(stderr,
		"alluse-bench e2e: feeder cpu %d, worker cpu %d, TSC %.3f GHz, segment %s, %u "
		"underlyings, %u positions; %u rounds of c2c (%llu), quote-to-event (%llu), "
		"no-crossing (%llu quotes), then %llu s of cadence\n ",
		o->cpus[0], o->cpus[1], 1.0 / G.tsc.ns_per_tick, seg.path, NUNDER, NPOS, G.rounds,
		(unsigned long long)G.c2c_n, (unsigned long long)G.q2e_n,
		(unsigned long long)G.nc_n, (unsigned long long)(G.cadence_ns / NS));
	uint64_t w0 = rt_clock_now_ns();
	struct bench_proc procs[2] = {
		{"feeder", o->cpus[0], role_feeder, NULL},
		{"worker", o->cpus[1], role_worker, NULL},
	};
	unsigned watchdog =
		(unsigned)(90 + G.rounds * (2 * G.q2e_n * Q2E_PERIOD_NS + G.nc_n * 2000) / NS +
			   G.cadence_ns / NS);
	failed = bench_procs_run(NAME, "run", procs, 2, watchdog);
	if (!failed)
		fprintf(stderr, " %.1f s\n", (double)(rt_clock_now_ns() - w0) * 1e-9);
out:
	bench_segment_remove("e2e", &seg, G.instance, G.seg_path);
	if (failed) {
		fprintf(stderr, "alluse-bench e2e: failed; no results written\n");
		munmap(c, sizeof(*c));
		return 1;
	}

	static struct bench_report rep;
	static char notes[5][200];
	bench_report_init(&rep, "e2e", "c2c", o->cpus, "spin");
	rep.host.tsc_step_ns = bench_tsc_step_ns(&G.tsc);
	struct bench_row *r;
	if ((r = bench_report_add_latency(&rep, "c2c", &c->h_c2c))) {
		set_disturbance(r, c, PH_C2C);
		r->note = "feeder <-> worker processes, one-way = round trip / 2";
	}
	if ((r = bench_report_add_latency(&rep, "c2c-sparse-rtt", &c->h_sparse))) {
		set_disturbance(r, c, PH_SPARSE);
		r->note =
			fmt_note(notes[3], sizeof(notes[3]),
				 "c2c round trip (not halved), 1 per %llu us like quote-to-event: "
				 "its baseline for tails",
				 (unsigned long long)(Q2E_PERIOD_NS / 1000));
	}
	if ((r = bench_report_add_latency(&rep, "quote-to-event", &c->h_q2e))) {
		set_disturbance(r, c, PH_Q2E);
		r->note = fmt_note(
			notes[0], sizeof(notes[0]),
			"level 2->3, 1 per %llu us; feed_recv_ns -> publish_ns; %llu late "
			"sends; engine hist %llu",
			(unsigned long long)(Q2E_PERIOD_NS / 1000), (unsigned long long)c->q2e_late,
			(unsigned long long)c->engine_q2e);
	}
	double nc_mean =
		c->nc_quotes ? (double)c->nc_busy * G.tsc.ns_per_tick / (double)c->nc_quotes : 0;
	struct rt_hist_summary es;
	rt_hist_summarize(&c->h_nc_engine, &es);
	if ((r = bench_report_add_latency(&rep, "quote-no-crossing", &c->h_nc))) {
		set_disturbance(r, c, PH_NOCROSS);
		r->samples = c->nc_quotes;
		r->mean_ns = nc_mean;
		r->note = fmt_note(notes[1], sizeof(notes[1]),
				   "ns/quote: mean = busy/quotes, %%iles per do_work call (%.2f "
				   "quotes/call); engine hist p50 %llu p99 %llu; %llu drops",
				   c->nc_calls ? (double)c->nc_quotes / (double)c->nc_calls : 0,
				   (unsigned long long)es.p50, (unsigned long long)es.p99,
				   (unsigned long long)c->nc_drops);
	}
	double ncd_mean =
		c->ncd_quotes ? (double)c->ncd_busy * G.tsc.ns_per_tick / (double)c->ncd_quotes : 0;
	if ((r = bench_report_add_latency(&rep, "quote-no-crossing-drain", &c->h_ncd))) {
		set_disturbance(r, c, PH_NCDRAIN);
		r->samples = c->ncd_quotes;
		r->mean_ns = ncd_mean;
		r->note = fmt_note(notes[4], sizeof(notes[4]),
				   "ns/quote: mean = busy/quotes over a ring pre-filled with %llu "
				   "quotes per round, %%iles per do_work call (%.1f quotes/call)",
				   (unsigned long long)(c->ncd_sent / (G.rounds ? G.rounds : 1)),
				   c->ncd_calls ? (double)c->ncd_quotes / (double)c->ncd_calls : 0);
	}
	double cad_busy_ns = (double)c->cad_busy * G.tsc.ns_per_tick;
	double cad_pct = c->cad_wall_ns ? 100.0 * cad_busy_ns / (double)c->cad_wall_ns : 0;
	if ((r = bench_report_add_rate(&rep, "cadence-10k", c->cad_evals,
				       (double)c->cad_wall_ns * 1e-9, NULL))) {
		set_disturbance(r, c, PH_CADENCE);
		r->note =
			fmt_note(notes[2], sizeof(notes[2]),
				 "evaluations/s; %.4f %% of a core (%.2f ms busy in %.1f s), %.0f "
				 "ns/evaluation, %llu polls",
				 cad_pct, cad_busy_ns * 1e-6, (double)c->cad_wall_ns * 1e-9,
				 c->cad_evals ? cad_busy_ns / (double)c->cad_evals : 0,
				 (unsigned long long)c->cad_polls);
	}
	const struct bench_row *c2c = bench_report_find(&rep, "c2c");
	const struct bench_row *q2e = bench_report_find(&rep, "quote-to-event");
	const struct bench_row *nc = bench_report_find(&rep, "quote-no-crossing");
	const struct bench_row *cad = bench_report_find(&rep, "cadence-10k");
	if (c2c && q2e && c2c->p50_ns) {
		double b = (double)c2c->p50_ns;
		bench_report_check(&rep, "quote-to-event p50 <= 4x c2c one-way p50",
				   (double)q2e->p50_ns / b, 4, 0, 0, q2e, c2c);
		bench_report_check(&rep, "quote-to-event p99 <= 8x c2c one-way p50",
				   (double)q2e->p99_ns / b, 8, 0, 0, q2e, c2c);
		bench_report_check(&rep, "quote-to-event p99.9 <= 20x c2c one-way p50",
				   (double)q2e->p999_ns / b, 20, 0, 0, q2e, c2c);
	}
	const struct bench_row *ncd = bench_report_find(&rep, "quote-no-crossing-drain");
	if (ncd)
		bench_report_check(&rep,
				   "quote-no-crossing <= 50 ns/quote (worker busy / quotes, "
				   "queued: quote-no-crossing-drain)",
				   ncd_mean, 50, 0, 0, ncd, NULL);
	if (nc)
		bench_report_check(&rep,
				   "quote-no-crossing paced <= 50 ns/quote (one quote per poll: "
				   "floor = one c2c transfer)",
				   nc_mean, 50, 0, 0, nc, NULL);
	if (cad)
		bench_report_check(&rep, "cadence-10k < 1 % of a core", cad_pct, 1.0, 0, 0, cad,
				   NULL);
	bench_report_print(&rep, stdout);
	printf("set-up: %llu positions at levels 0/1/2/3 = %llu/%llu/%llu/%llu, %llu level events, "
	       "%llu cadence evaluations over %llu s of replay time; %llu stray events during "
	       "the phases\n",
	       (unsigned long long)NPOS, (unsigned long long)c->levels[0],
	       (unsigned long long)c->levels[1], (unsigned long long)c->levels[2],
	       (unsigned long long)c->levels[3], (unsigned long long)c->setup_events,
	       (unsigned long long)c->setup_evals, (unsigned long long)(SWEEP_NS / NS),
	       (unsigned long long)c->stray_events);
	struct rt_hist_summary raw, st[3];
	rt_hist_summarize(&c->h_q2e_raw, &raw);
	printf("quote-to-event without the late-send correction (stamp -> publish only): p50 %llu "
	       "p99 %llu p99.9 %llu max %llu ns; %llu sends late by > %u ns, worst %.1f us\n",
	       (unsigned long long)raw.p50, (unsigned long long)raw.p99,
	       (unsigned long long)raw.p999, (unsigned long long)raw.max,
	       (unsigned long long)c->q2e_late, LATE_NS, (double)c->q2e_late_max * 1e-3);
	for (int k = 0; k < 3; k++)
		rt_hist_summarize(&c->h_stage[k], &st[k]);
	printf("quote-to-event stages from the event stamps, p50 / p99 ns: feed_recv -> "
	       "board_write %llu / %llu, board_write -> worker_read %llu / %llu, worker_read -> "
	       "publish %llu / %llu\n",
	       (unsigned long long)st[0].p50, (unsigned long long)st[0].p99,
	       (unsigned long long)st[1].p50, (unsigned long long)st[1].p99,
	       (unsigned long long)st[2].p50, (unsigned long long)st[2].p99);
	if (c2c && q2e)
		printf("quote-to-event vs c2c like for like: p99 %.2fx c2c p99, p99.9 %.2fx c2c "
		       "p99.9\n",
		       (double)q2e->p99_ns / (double)(c2c->p99_ns ? c2c->p99_ns : 1),
		       (double)q2e->p999_ns / (double)(c2c->p999_ns ? c2c->p999_ns : 1));
	const struct bench_row *sp = bench_report_find(&rep, "c2c-sparse-rtt");
	if (sp && q2e)
		printf("quote-to-event vs c2c-sparse-rtt (same sampling, same run): p50 %.2fx, p99 "
		       "%.2fx, p99.9 %.2fx\n",
		       (double)q2e->p50_ns / (double)(sp->p50_ns ? sp->p50_ns : 1),
		       (double)q2e->p99_ns / (double)(sp->p99_ns ? sp->p99_ns : 1),
		       (double)q2e->p999_ns / (double)(sp->p999_ns ? sp->p999_ns : 1));
	int rc = 0;
	if (o->json_path) {
		rc = bench_report_write_json(&rep, o->json_path, &err);
		if (rc)
			fprintf(stderr, "alluse-bench e2e: --json: %s\n", err.msg);
		else
			printf("\nJSON written to %s\n", o->json_path);
	}
	munmap(c, sizeof(*c));
	return rc ? 1 : 0;
}
