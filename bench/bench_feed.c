/*
 * bench_feed.c — `alluse-bench feed`: how fast quotes get from each source of the
 * feed process into the quote board and the workers' rings, through the real publish
 * path (feeders/feed_core). Method and labels: docs/bench.md ("alluse-bench feed").
 *
 * Process model: the parent creates a real instance segment (shm_instance_plan from
 * the embedded default configuration: 2 workers, 65 536-slot quote rings; the 11
 * configured underlyings and the synthetic source's option chains put in the
 * directory before it is published), under the name bench-feed-<pid>. Every round
 * forks two processes pinned to the two CPUs (bench_procs_run):
 *  - synthetic / replay: the feeder (the source + feed_core, flat out) on CPU A and a
 *    consumer on CPU B that drains both quote rings and checks every message's
 *    per-instrument sequence (a drop must be announced by SHM_QMSG_GAP);
 *  - udp-*: a sender on CPU A and the receiving feeder (feed_udp + feed_core,
 *    busy-polling) on CPU B. The ring consumer runs inside the sender process on CPU A
 *    (between sends), so nothing else competes for the feeder's CPU; in the latency
 *    rows it is also what reads the publish stamps.
 *    In the *-drain rows (diagnostic) the sender first queues a whole round in the
 *    receiver's socket (SO_RCVBUF 512 MiB) and only then does the feeder start
 *    polling: its receive path and feed_core alone, without the sender's CPU in the
 *    figure.
 * The rows compared with each other (io_uring vs recvmmsg) run interleaved, round by
 * round with a rotating order, and their ratio is the median of per-round ratios.
 */
#include "bench/bench_report.h"
#include "bench/bench_util.h"

#include "feeders/feed_core.h"
#include "feeders/feed_replay.h"
#include "feeders/feed_synth.h"
#include "feeders/feed_udp.h"
#include "feeders/feed_wire.h"
#include "rt/rt_atomic.h"
#include "rt/rt_clock.h"
#include "rt/rt_config.h"
#include "rt/rt_cpu.h"
#include "shm/shm_clock.h"
#include "shm/shm_instance.h"
#include "shm/shm_instr.h"
#include "shm/shm_msg.h"
#include "shm/shm_ring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NAME "feed"
#define SENDER_POOL 256u /* distinct packets the UDP sender cycles through */
#define UDP_LAT_RATE 20000u /* imposed rate of the latency rows, quotes (= packets) per s */
#define RX_IDLE_END_NS 50000000ull /* receiver: sender done and nothing for 50 ms = end */
#define DRAIN_BATCH 64u
#define DRAIN_RCVBUF (512u << 20) /* drain rows: the socket holds a whole round */

enum row_id {
	ROW_SYNTH,
	ROW_SYNTH_PRE,
	ROW_REPLAY,
	ROW_URING_TPUT,
	ROW_MMSG_TPUT,
	ROW_URING_LAT,
	ROW_MMSG_LAT,
	ROW_URING_DRAIN,
	ROW_MMSG_DRAIN,
	ROW_COUNT
};

enum kind { K_SYNTH, K_SYNTH_PRE, K_REPLAY, K_UDP_TPUT, K_UDP_LAT, K_UDP_DRAIN };

/* One row, accumulated over its rounds. */
struct row {
	const char *label;
	enum kind kind;
	int mode; /* UDP rows: enum feed_udp_mode */
	const char *ratio_vs;
	uint64_t count; /* quotes (throughput) measured */
	double secs;
	uint32_t nrounds;
	double round_per_s[BENCH_MAX_ROUNDS];
	struct rt_hist *hist; /* latency rows */
	struct bench_side side[2];
	double steal_ms;
	int steal_known;
	/* bookkeeping over every round, warm-up included */
	uint64_t in, published, drops, rejected, received, lost, sent;
	double send_secs;
	uint64_t packets, enobufs, rearms, truncated;
	uint64_t late, late_max;
	char note[240];
};

/* Control block: an anonymous MAP_SHARED mapping inherited by the children. Words
 * written by different processes during a round sit on different lines. */
struct ctl {
	uint32_t ready_a; /* the process on CPU A is at its barrier */
	uint8_t pad0[124];
	uint32_t ready_b; /* the process on CPU B */
	uint8_t pad1[124];
	uint32_t done; /* producer/sender finished; `sent` is final (release) */
	uint32_t port; /* receiving feeder: the UDP port it bound (before its barrier) */
	uint64_t sent; /* quotes sent (UDP) or offered to feed_core (synthetic, replay) */
	uint8_t pad2[112];
	uint32_t rx_done; /* receiving feeder finished (release) */
	uint8_t pad3[124];
	/* results, written by the measuring child at its end */
	uint64_t count, t0, t1; /* feeder: quotes in the timed window, TSC at its ends */
	uint64_t in, published, drops, rejected; /* feeder: deltas of its counters */
	uint64_t lost; /* UDP: messages the sequence tracker found missing */
	uint64_t received; /* consumer: messages popped from the rings */
	uint64_t send_t0, send_t1; /* sender: TSC around the sends */
	uint64_t late, late_max; /* latency rows: sends more than 1 us behind schedule, worst */
	struct feed_udp_stats udp;
	struct bench_side side[2]; /* [0] the process on CPU A, [1] on CPU B */
	struct rt_hist hist; /* latency rows: publish stamp - intended send time, ns */
};

static struct {
	struct rt_tsc tsc;
	char instance[32];
	char seg_path[96];
	char csv_path[256];
	struct rt_config cfg;
	struct feed_synth_cfg scfg;
	struct feed_core_cfg fcfg;
	const struct bench_opts *o;
	struct ctl *ctl;
	const struct row *row; /* the round being run */
	uint64_t warm, n; /* this round: warm-up quotes, then measured quotes / samples */
	uint32_t round;
	uint32_t noptions;
} G;

static double secs_of(uint64_t t0, uint64_t t1)
{
	return (double)(t1 - t0) * G.tsc.ns_per_tick * 1e-9;
}

/* ---- the feeder side (feed_core over the real segment) ---------------------------- */

struct feeder {
	struct shm_segment seg;
	struct feed_core f;
	uint64_t in0, pub0, drop0, rej0;
};

static uint64_t sum_drops(const struct feed_core *f)
{
	uint64_t s = 0;
	for (uint32_t w = 0; w < f->nworkers; w++)
		s += rt_load_rlx_u64(f->c_drops[w]);
	return s;
}

static uint64_t sum_rejects(const struct feed_core *f)
{
	uint64_t s = 0;
	for (unsigned i = 1; i < FEED_REJECT__COUNT; i++)
		s += rt_load_rlx_u64(f->c_reject[i]);
	return s;
}

static int feeder_open(struct feeder *fd, const struct feed_core_cfg *cfg)
{
	struct rt_err err = {0};
	if (shm_segment_attach(&fd->seg, G.instance, 1000, &err) != 0)
		return bench_fail("attach: %s", err.msg);
	if (feed_core_attach(&fd->f, &fd->seg, cfg, &err) != 0)
		return bench_fail("feed_core_attach: %s", err.msg);
	fd->in0 = rt_load_rlx_u64(fd->f.c_in);
	fd->pub0 = rt_load_rlx_u64(fd->f.c_published);
	fd->drop0 = sum_drops(&fd->f);
	fd->rej0 = sum_rejects(&fd->f);
	return 0;
}

static void feeder_results(struct feeder *fd)
{
	struct ctl *c = G.ctl;
	c->in = rt_load_rlx_u64(fd->f.c_in) - fd->in0;
	c->published = rt_load_rlx_u64(fd->f.c_published) - fd->pub0;
	c->drops = sum_drops(&fd->f) - fd->drop0;
	c->rejected = sum_rejects(&fd->f) - fd->rej0;
	feed_core_sync_counters(&fd->f);
	feed_core_detach(&fd->f);
	shm_segment_detach(&fd->seg);
}

/* ---- the ring consumer ------------------------------------------------------------- */

struct drain {
	struct shm_segment seg;
	struct shm_ring rings[FEED_MAX_WORKERS];
	uint32_t nrings;
	uint32_t cap; /* instrument ids */
	uint64_t *last; /* per instrument: last quote_seq seen this round (0 none) */
	uint64_t received;
	struct rt_hist *h; /* latency rows: record write_ts - exch_ts */
	uint64_t record_from; /* ... of messages whose exch_ts (intended send) is >= this */
	int bad;
	char why[200];
};

static int drain_open(struct drain *d)
{
	struct rt_err err = {0};
	memset(d, 0, sizeof(*d));
	if (shm_segment_attach(&d->seg, G.instance, 1000, &err) != 0)
		return bench_fail("attach: %s", err.msg);
	for (uint32_t w = 0; w < FEED_MAX_WORKERS; w++) {
		const struct shm_dir_entry *e =
			shm_segment_find(&d->seg, SHM_KIND_RING, SHM_ROLE_QUOTES, w);
		if (!e)
			break;
		shm_ring_consumer_attach(&d->rings[w], shm_segment_region(&d->seg, e));
		d->nrings = w + 1;
	}
	d->cap = G.cfg.shm.max_instruments;
	d->last = calloc(d->cap, sizeof(*d->last));
	if (!d->nrings || !d->last)
		return bench_fail("no quote rings, or out of memory");
	return 0;
}

static void drain_close(struct drain *d)
{
	free(d->last);
	d->last = NULL;
	shm_segment_detach(&d->seg);
}

/* Pop what the rings hold; check each message's per-instrument sequence (consecutive,
 * or a jump announced by SHM_QMSG_GAP after a drop). Returns messages popped. */
static uint32_t drain_rings(struct drain *d)
{
	static struct shm_quote_msg buf[DRAIN_BATCH];
	uint32_t total = 0;
	for (uint32_t w = 0; w < d->nrings; w++) {
		uint32_t k = shm_ring_pop_batch_spsc(&d->rings[w], buf, DRAIN_BATCH);
		for (uint32_t j = 0; j < k; j++) {
			const struct shm_quote_msg *m = &buf[j];
			if (m->instr_id >= d->cap) {
				d->bad = 1;
				snprintf(d->why, sizeof(d->why), "message with instrument id %u",
					 m->instr_id);
				continue;
			}
			uint64_t prev = d->last[m->instr_id];
			if (prev && m->quote_seq != prev + 1 &&
			    !((m->flags & SHM_QMSG_GAP) && m->quote_seq > prev + 1) && !d->bad) {
				d->bad = 1;
				snprintf(d->why, sizeof(d->why),
					 "instrument %u: quote_seq %llu after %llu without a gap "
					 "flag",
					 m->instr_id, (unsigned long long)m->quote_seq,
					 (unsigned long long)prev);
			}
			d->last[m->instr_id] = m->quote_seq;
			if (d->h && m->exch_ts_ns >= d->record_from) {
				if (m->write_ts_ns < m->exch_ts_ns && !d->bad) {
					d->bad = 1;
					snprintf(d->why, sizeof(d->why),
						 "publish stamp %llu before the send stamp %llu",
						 (unsigned long long)m->write_ts_ns,
						 (unsigned long long)m->exch_ts_ns);
				}
				rt_hist_record(d->h, m->write_ts_ns - m->exch_ts_ns);
			}
		}
		total += k;
	}
	d->received += total;
	return total;
}

/* Until `flag` is set (acquire) and the rings are then found empty. */
static void drain_until(struct drain *d, const uint32_t *flag)
{
	for (;;) {
		if (drain_rings(d))
			continue;
		if (rt_load_acq_u32(flag)) {
			while (drain_rings(d))
				;
			return;
		}
		rt_cpu_relax();
	}
}

static int role_consumer(void *arg)
{
	(void)arg;
	static struct drain d;
	if (drain_open(&d))
		return 1;
	struct bench_usage u;
	bench_barrier(&G.ctl->ready_b, &G.ctl->ready_a);
	bench_usage_begin(&u);
	drain_until(&d, &G.ctl->done);
	bench_usage_end(&u, &G.ctl->side[1]);
	G.ctl->received = d.received;
	drain_close(&d);
	if (d.bad)
		return bench_fail("%s", d.why);
	return 0;
}

/* ---- synthetic and replay feeders (CPU A) ------------------------------------------- */

static struct feed_synth *synth_new(void)
{
	struct rt_err err = {0};
	static struct feed_synth s;
	if (feed_synth_init(&s, &G.scfg, &err) != 0) {
		bench_fail("synthetic source: %s", err.msg);
		return NULL;
	}
	return &s;
}

#define SYNTH_BATCH 64u /* as alluse-feed's run_synthetic */

/* As alluse-feed's run_synthetic at speed 0: event time drives the clock; events
 * (definitions included) go to feed_core_on_events in batches of SYNTH_BATCH, one
 * clock read each, instrument ids cached by source key. The warm-up ends on a batch
 * boundary. */
static int role_synth_feeder(void *arg)
{
	(void)arg;
	static struct feeder fd;
	static struct feed_event evs[SYNTH_BATCH];
	struct feed_synth *s = synth_new();
	if (!s || feeder_open(&fd, &G.fcfg))
		return 1;
	if (feed_core_set_source_keys(&fd.f, feed_synth_keys(s)) != 0)
		return bench_fail("out of memory for %u source keys", feed_synth_keys(s));
	struct bench_usage u;
	uint64_t q = 0, total = G.warm + G.n, t0 = 0;
	bench_barrier(&G.ctl->ready_a, &G.ctl->ready_b);
	bench_usage_begin(&u);
	while (q < total) {
		uint32_t nb = 0;
		int warm_end = 0;
		while (nb < SYNTH_BATCH && q < total && !warm_end) {
			feed_synth_next(s, &evs[nb]);
			if (evs[nb++].msg.type == FEED_WIRE_MSG_QUOTE && ++q == G.warm)
				warm_end = 1;
		}
		feed_core_on_events(&fd.f, evs, nb);
		if (warm_end)
			t0 = rt_tsc_read();
	}
	uint64_t t1 = rt_tsc_read();
	G.ctl->count = G.n;
	G.ctl->t0 = t0;
	G.ctl->t1 = t1;
	G.ctl->sent = q;
	feeder_results(&fd);
	/* release: the results above are visible to the consumer and the parent */
	rt_store_rel_u32(&G.ctl->done, 1);
	bench_usage_end(&u, &G.ctl->side[0]);
	return 0;
}

#define PRE_POOL 262144u /* pre-generated synthetic quotes, cycled */

/* Diagnostic: the same synthetic events generated before the barrier, so that only
 * feed_core (and the clock it advances) is timed; the pool of quotes is cycled. */
static int role_synth_pre_feeder(void *arg)
{
	(void)arg;
	static struct feeder fd;
	struct feed_synth *s = synth_new();
	uint32_t ndefs = s ? s->noptions : 0, npool = ndefs + PRE_POOL;
	struct feed_event *pool = s ? malloc((size_t)npool * sizeof(*pool)) : NULL;
	if (!pool)
		return s ? bench_fail("out of memory for %u events", npool) : 1;
	for (uint32_t i = 0; i < npool; i++)
		feed_synth_next(s, &pool[i]); /* definitions first, then quotes */
	if (feeder_open(&fd, &G.fcfg))
		return 1;
	if (feed_core_set_source_keys(&fd.f, feed_synth_keys(s)) != 0)
		return bench_fail("out of memory for %u source keys", feed_synth_keys(s));
	struct bench_usage u;
	uint64_t total = G.warm + G.n, t0 = 0;
	bench_barrier(&G.ctl->ready_a, &G.ctl->ready_b);
	bench_usage_begin(&u);
	feed_core_on_events(&fd.f, pool, ndefs);
	for (uint64_t q = 0; q < total;) {
		/* batches as in role_synth_feeder, never across the pool's end or the
		 * warm-up's */
		uint64_t off = q % PRE_POOL, left = total - q;
		uint64_t nb = PRE_POOL - off < SYNTH_BATCH ? PRE_POOL - off : SYNTH_BATCH;
		if (nb > left)
			nb = left;
		if (q < G.warm && nb > G.warm - q)
			nb = G.warm - q;
		feed_core_on_events(&fd.f, &pool[ndefs + off], (uint32_t)nb);
		q += nb;
		if (q == G.warm)
			t0 = rt_tsc_read();
	}
	uint64_t t1 = rt_tsc_read();
	G.ctl->count = G.n;
	G.ctl->t0 = t0;
	G.ctl->t1 = t1;
	G.ctl->sent = total;
	feeder_results(&fd);
	rt_store_rel_u32(&G.ctl->done, 1);
	bench_usage_end(&u, &G.ctl->side[0]);
	free(pool);
	return 0;
}

/* As alluse-feed's run_replay of a CSV at speed 0 (line number = source sequence). */
static int role_replay_feeder(void *arg)
{
	(void)arg;
	static struct feeder fd;
	static struct feed_replay r;
	struct rt_err err = {0};
	if (feed_replay_open(&r, G.csv_path, &err) != 0)
		return bench_fail("%s", err.msg);
	if (feeder_open(&fd, &G.fcfg))
		return 1;
	struct bench_usage u;
	struct feed_event ev;
	uint64_t q = 0, bad = 0, t0 = 0;
	bench_barrier(&G.ctl->ready_a, &G.ctl->ready_b);
	bench_usage_begin(&u);
	if (G.warm == 0)
		t0 = rt_tsc_read();
	for (;;) {
		int rc = feed_replay_next(&r, &ev, &err);
		if (rc == 0)
			break;
		if (rc < 0) {
			bad++;
			continue;
		}
		feed_core_set_time(&fd.f, ev.ts_ns);
		ev.msg.seq = r.line;
		feed_core_on_msg(&fd.f, &ev.msg, ev.nonfinite, rt_clock_now_ns());
		if (++q == G.warm)
			t0 = rt_tsc_read();
	}
	uint64_t t1 = rt_tsc_read();
	feed_replay_close(&r);
	G.ctl->count = q > G.warm ? q - G.warm : 0;
	G.ctl->t0 = t0;
	G.ctl->t1 = t1;
	G.ctl->sent = q;
	feeder_results(&fd);
	rt_store_rel_u32(&G.ctl->done, 1);
	bench_usage_end(&u, &G.ctl->side[0]);
	if (bad)
		return bench_fail("%llu bad lines in %s", (unsigned long long)bad, G.csv_path);
	return 0;
}

/* ---- UDP: the receiving feeder (CPU B) ----------------------------------------------- */

struct rx_ctx {
	struct feed_core *f;
	uint64_t last_wall_ns, last_recv_ns;
	uint64_t quotes;
};

/* alluse-feed's on_udp_packet: one wall-clock read per receive batch, then the packet
 * through the decoder, the sequence tracker and feed_core. */
static void on_packet(void *arg, const uint8_t *pkt, uint32_t len, uint64_t recv_ns)
{
	struct rx_ctx *c = arg;
	if (recv_ns != c->last_recv_ns) {
		c->last_recv_ns = recv_ns;
		c->last_wall_ns = rt_clock_wall_ns();
	}
	feed_core_set_time(c->f, c->last_wall_ns);
	c->quotes += feed_core_on_packet(c->f, pkt, len, recv_ns);
}

static int role_udp_receiver(void *arg)
{
	(void)arg;
	static struct feeder fd;
	static struct feed_udp udp;
	struct rt_err err = {0};
	/* exch_ts_ns carries the sender's monotonic send stamp, not wall time: the
	 * staleness check (one compare) is off in these rows */
	struct feed_core_cfg fc = G.fcfg;
	fc.clock_mode = SHM_CLOCK_LIVE;
	fc.validate.max_age_ns = 0;
	if (feeder_open(&fd, &fc))
		return 1;
	struct feed_udp_cfg uc;
	feed_udp_cfg_defaults(&uc);
	snprintf(uc.bind_addr, sizeof(uc.bind_addr), "127.0.0.1");
	uc.mode = G.row->mode;
	int drain = G.row->kind == K_UDP_DRAIN;
	if (drain)
		uc.rcvbuf = DRAIN_RCVBUF;
	if (feed_udp_open(&udp, &uc, &err) != 0)
		return bench_fail("%s", err.msg);
	G.ctl->port = feed_udp_port(&udp);
	struct rx_ctx ctx = {.f = &fd.f, .last_wall_ns = rt_clock_wall_ns()};
	uint64_t t0 = 0, t_last = 0, from = 0, at_last = 0, sent = 0;
	uint64_t idle_ticks = (uint64_t)((double)RX_IDLE_END_NS / G.tsc.ns_per_tick);
	int sender_done = 0, rc = 0;
	struct bench_usage u;
	bench_barrier(&G.ctl->ready_b, &G.ctl->ready_a);
	bench_usage_begin(&u);
	if (drain) {
		/* the whole round queues in the socket first; then the clock runs from the
		 * first poll to the last packet: the receive path alone, no sender */
		while (!rt_load_acq_u32(&G.ctl->done))
			rt_cpu_relax();
		sender_done = 1;
		sent = rt_load_rlx_u64(&G.ctl->sent);
		t0 = t_last = rt_tsc_read();
	}
	for (;;) {
		int k = feed_udp_poll(&udp, on_packet, &ctx, 0);
		if (k < 0) {
			rc = bench_fail("feed_udp_poll: %s", strerror(-k));
			break;
		}
		if (k > 0) {
			t_last = rt_tsc_read();
			at_last = ctx.quotes;
			if (!t0 && ctx.quotes >= G.warm) {
				t0 = t_last;
				from = ctx.quotes;
			}
			if (sender_done && ctx.quotes >= sent)
				break;
			continue;
		}
		if (!sender_done && rt_load_acq_u32(&G.ctl->done)) {
			sender_done = 1;
			sent = rt_load_rlx_u64(&G.ctl->sent);
			if (ctx.quotes >= sent)
				break;
		}
		/* datagrams lost in the socket never come: stop when the sender is done
		 * and nothing arrived for a while (the window ends at the last packet) */
		if (sender_done && rt_tsc_read() - t_last > idle_ticks)
			break;
	}
	bench_usage_end(&u, &G.ctl->side[1]);
	G.ctl->count = at_last - from;
	G.ctl->t0 = t0;
	G.ctl->t1 = t_last;
	G.ctl->lost = fd.f.seq.st.gap_msgs;
	G.ctl->udp = udp.stats;
	feed_udp_close(&udp);
	feeder_results(&fd);
	/* release: results visible before the sender stops draining */
	rt_store_rel_u32(&G.ctl->rx_done, 1);
	return rc;
}

/* ---- UDP: the sender and ring consumer (CPU A) ------------------------------------------ */

struct pkt {
	uint8_t buf[FEED_WIRE_MAX_PACKET];
	uint32_t len;
	uint32_t nq; /* quotes in it */
	uint16_t ts_off[64]; /* offset of each quote's exch_ts_ns */
};

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* SENDER_POOL packets of the synthetic stream's quotes: full ones (as a flat-out
 * sender packs them) or one quote each (latency rows, one packet per quote). */
static int build_pool(struct pkt *pool, int one_per_packet)
{
	struct feed_synth *s = synth_new();
	if (!s)
		return 1;
	struct feed_event ev;
	for (uint32_t i = 0; i < SENDER_POOL; i++) {
		struct pkt *p = &pool[i];
		struct feed_wire_enc enc;
		feed_wire_enc_init(&enc, p->buf, sizeof(p->buf), "BENCH", 1);
		p->nq = 0;
		for (;;) {
			do
				feed_synth_next(s, &ev);
			while (ev.msg.type != FEED_WIRE_MSG_QUOTE);
			int rc = feed_wire_enc_quote(&enc, &ev.msg);
			if (rc == -ENOSPC)
				break; /* this quote is lost to the pool: harmless */
			if (rc)
				return bench_fail("encoding %s: %s", ev.msg.symbol, strerror(-rc));
			/* exch_ts_ns is the last field of a quote block */
			p->ts_off[p->nq++] = (uint16_t)(enc.len - 8);
			if (one_per_packet || p->nq == 64)
				break;
		}
		p->len = (uint32_t)feed_wire_enc_finish(&enc);
	}
	return 0;
}

static int role_udp_sender(void *arg)
{
	(void)arg;
	static struct drain d;
	static struct pkt pool[SENDER_POOL];
	struct feed_udp_sender tx;
	struct rt_err err = {0};
	int lat = G.row->kind == K_UDP_LAT;
	if (drain_open(&d) || build_pool(pool, lat))
		return 1;
	struct bench_usage u;
	bench_barrier(&G.ctl->ready_a, &G.ctl->ready_b);
	bench_usage_begin(&u);
	if (feed_udp_sender_open(&tx, "127.0.0.1", (uint16_t)G.ctl->port, NULL, 0, &err) != 0)
		return bench_fail("%s", err.msg);
	uint64_t seq = 1, sent = 0, total = G.warm + G.n, t0 = rt_tsc_read();
	uint32_t next = 0;
	int rc = 0;
	if (!lat) {
		/* flat out: FEED_UDP_SEND_BATCH full packets per sendmmsg, the rings drained
		 * between calls */
		const uint8_t *ptr[FEED_UDP_SEND_BATCH];
		uint32_t len[FEED_UDP_SEND_BATCH];
		while (sent < total) {
			uint64_t now = rt_clock_now_ns();
			uint32_t nb = 0;
			for (; nb < FEED_UDP_SEND_BATCH && sent < total; nb++) {
				struct pkt *p = &pool[next];
				next = (next + 1) % SENDER_POOL;
				put_be64(p->buf + FEED_WIRE_SESSION_LEN, seq);
				for (uint32_t j = 0; j < p->nq; j++)
					put_be64(p->buf + p->ts_off[j], now);
				seq += p->nq;
				sent += p->nq;
				ptr[nb] = p->buf;
				len[nb] = p->len;
			}
			int k = feed_udp_send_batch(&tx, ptr, len, nb);
			if (k < 0) {
				rc = bench_fail("sendmmsg: %s", strerror(-k));
				break;
			}
			while (drain_rings(&d))
				;
		}
	} else {
		/* imposed rate, one quote per packet; packet k is due at start + k / rate and
		 * carries that intended time: a late send shows up as latency, never hides
		 * it (no coordinated omission). The rings are drained while waiting. */
		uint64_t period = 1000000000ull / UDP_LAT_RATE;
		uint64_t start = rt_clock_now_ns() + 1000000;
		d.h = &G.ctl->hist;
		d.record_from = start + G.warm * period;
		for (uint64_t k = 0; k < total; k++) {
			uint64_t due = start + k * period;
			while (rt_clock_now_ns() < due)
				if (!drain_rings(&d))
					rt_cpu_relax();
			struct pkt *p = &pool[next];
			uint64_t lateness = rt_clock_now_ns() - due;
			if (lateness > 1000)
				G.ctl->late++;
			if (lateness > G.ctl->late_max)
				G.ctl->late_max = lateness;
			next = (next + 1) % SENDER_POOL;
			put_be64(p->buf + FEED_WIRE_SESSION_LEN, seq);
			put_be64(p->buf + p->ts_off[0], due);
			seq++;
			sent++;
			const uint8_t *ptr = p->buf;
			int r = feed_udp_send_batch(&tx, &ptr, &p->len, 1);
			if (r < 0) {
				rc = bench_fail("sendmmsg: %s", strerror(-r));
				break;
			}
		}
	}
	G.ctl->send_t0 = t0;
	G.ctl->send_t1 = rt_tsc_read();
	G.ctl->sent = sent;
	/* release: `sent` is final */
	rt_store_rel_u32(&G.ctl->done, 1);
	drain_until(&d, &G.ctl->rx_done);
	bench_usage_end(&u, &G.ctl->side[0]);
	G.ctl->received = d.received;
	feed_udp_sender_close(&tx);
	drain_close(&d);
	if (!rc && d.bad)
		rc = bench_fail("%s", d.why);
	return rc;
}

/* ---- the parent: segment, replay file, rounds --------------------------------------- */

static int make_segment(struct shm_segment *seg, struct rt_err *err)
{
	static struct shm_plan plan;
	int rc = shm_instance_plan(&plan, &G.cfg, err);
	if (rc)
		return rc;
	struct shm_create_opts opts = {.mode = 0600};
	rc = shm_segment_create(seg, G.instance, &plan, &opts, err);
	if (rc)
		return rc;
	snprintf(G.seg_path, sizeof(G.seg_path), "%s", seg->path);
	bench_cleanup_add(G.seg_path);
	rc = shm_instance_populate(seg, &G.cfg, err);
	if (rc)
		return rc;
	/* the synthetic chains, as the feeder would define them from 'D' messages: every
	 * row starts from the same directory whatever ran before it */
	struct feed_synth *s = malloc(sizeof(*s));
	if (!s)
		return rt_err_set(err, -ENOMEM, "synthetic source");
	rc = feed_synth_init(s, &G.scfg, err);
	struct shm_instr_dir dir;
	shm_instr_attach(&dir, shm_segment_region(seg, shm_segment_find_name(seg, "instruments")));
	for (uint32_t i = 0; !rc && i < s->noptions; i++) {
		const struct feed_synth_option *op = &s->opt[i];
		struct shm_instr in;
		rc = shm_instr_make_option(&in, G.scfg.u[op->under].symbol, op->expiry,
					   (char)op->right, op->strike);
		if (!rc)
			rc = shm_instr_add(&dir, &in, NULL, err);
		if (rc == -EEXIST)
			rc = 0;
	}
	G.noptions = s->noptions;
	free(s);
	if (rc)
		return rt_err_wrap(err, "defining the synthetic option chains");
	struct shm_clock *clk = shm_segment_region(seg, shm_segment_find_name(seg, "clock"));
	shm_clock_set_mode(clk, SHM_CLOCK_REPLAY);
	shm_segment_publish(seg);
	return 0;
}

/* The replay file: the synthetic stream's quotes as CSV (docs/replay-format.md). */
static int make_csv(uint64_t quotes, struct rt_err *err)
{
	FILE *f = fopen(G.csv_path, "w");
	if (!f)
		return rt_err_set(err, -errno, "create %s: %s", G.csv_path, strerror(errno));
	bench_cleanup_add(G.csv_path);
	static char iobuf[1 << 20];
	setvbuf(f, iobuf, _IOFBF, sizeof(iobuf));
	struct feed_synth *s = malloc(sizeof(*s));
	int rc = s ? feed_synth_init(s, &G.scfg, err) : rt_err_set(err, -ENOMEM, "synthetic");
	if (!rc)
		rc = feed_replay_write_csv_header(f);
	struct feed_event ev;
	for (uint64_t q = 0; !rc && q < quotes;) {
		feed_synth_next(s, &ev);
		if (ev.msg.type != FEED_WIRE_MSG_QUOTE)
			continue;
		rc = feed_replay_write_csv(f, &ev);
		q++;
	}
	free(s);
	if (fclose(f) != 0 && !rc)
		rc = -EIO;
	if (rc && !err->code)
		rt_err_set(err, rc, "write %s: %s", G.csv_path, strerror(-rc));
	return rc;
}

/* Run one round of row r. 0, or 1 (reason printed). */
static int run_round(struct row *r, uint32_t round, uint64_t warm, uint64_t n)
{
	struct ctl *c = G.ctl;
	memset(c, 0, offsetof(struct ctl, hist));
	if (r->hist)
		rt_hist_init(&c->hist);
	G.row = r;
	G.warm = warm;
	G.n = n;
	G.round = round;
	struct bench_proc procs[2];
	switch (r->kind) {
	case K_SYNTH:
	case K_SYNTH_PRE:
	case K_REPLAY:
		procs[0] = (struct bench_proc){"feeder", G.o->cpus[0],
					       r->kind == K_SYNTH       ? role_synth_feeder
					       : r->kind == K_SYNTH_PRE ? role_synth_pre_feeder
									: role_replay_feeder,
					       NULL};
		procs[1] = (struct bench_proc){"consumer", G.o->cpus[1], role_consumer, NULL};
		break;
	default:
		procs[0] = (struct bench_proc){"sender", G.o->cpus[0], role_udp_sender, NULL};
		procs[1] = (struct bench_proc){"receiving feeder", G.o->cpus[1], role_udp_receiver,
					       NULL};
		break;
	}
	int64_t st0[2] = {bench_steal_ticks(G.o->cpus[0]), bench_steal_ticks(G.o->cpus[1])};
	unsigned watchdog = (unsigned)(30 + (warm + n) / 200000);
	if (bench_procs_run(NAME, r->label, procs, 2, watchdog) != 0)
		return 1;
	int64_t st1[2] = {bench_steal_ticks(G.o->cpus[0]), bench_steal_ticks(G.o->cpus[1])};
	double steal = bench_steal_ms(st0, st1);
	if (steal >= 0) {
		r->steal_ms += steal;
		r->steal_known = 1;
	}
	for (int s = 0; s < 2; s++) {
		r->side[s].nivcsw += c->side[s].nivcsw;
		r->side[s].cpu_ns += c->side[s].cpu_ns;
		r->side[s].wall_ns += c->side[s].wall_ns;
	}
	r->in += c->in;
	r->published += c->published;
	r->drops += c->drops;
	r->rejected += c->rejected;
	r->received += c->received;
	r->lost += c->lost;
	r->sent += c->sent;
	r->packets += c->udp.packets;
	r->enobufs += c->udp.enobufs;
	r->rearms += c->udp.rearms;
	r->truncated += c->udp.truncated;
	r->late += c->late;
	if (c->late_max > r->late_max)
		r->late_max = c->late_max;
	if (c->send_t1 > c->send_t0)
		r->send_secs += secs_of(c->send_t0, c->send_t1);
	/* honest accounting: every published message was either popped or dropped */
	if (c->received != c->published - c->drops) {
		fprintf(stderr,
			"\nalluse-bench feed: %s: %llu published - %llu dropped, but the consumer "
			"popped %llu\n",
			r->label, (unsigned long long)c->published, (unsigned long long)c->drops,
			(unsigned long long)c->received);
		return 1;
	}
	if (r->hist) {
		rt_hist_merge(r->hist, &c->hist);
	} else {
		double secs = c->t1 > c->t0 ? secs_of(c->t0, c->t1) : 0;
		if (!c->t0 || secs <= 0) {
			fprintf(stderr, "\nalluse-bench feed: %s: no timed window (%llu quotes)\n",
				r->label, (unsigned long long)c->count);
			return 1;
		}
		r->count += c->count;
		r->secs += secs;
		if (round < BENCH_MAX_ROUNDS) {
			r->round_per_s[round] = (double)c->count / secs;
			if (round + 1 > r->nrounds)
				r->nrounds = round + 1;
		}
	}
	return 0;
}

/* Median over rounds of r's rate / its ratio_vs partner's rate in the same round. */
static double paired_ratio(const struct row *r, const struct row *vs)
{
	double q[BENCH_MAX_ROUNDS];
	uint32_t n = 0;
	for (uint32_t k = 0; k < r->nrounds && k < vs->nrounds; k++)
		if (vs->round_per_s[k] > 0)
			q[n++] = r->round_per_s[k] / vs->round_per_s[k];
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && q[j - 1] > q[j]; j--) {
			double t = q[j];
			q[j] = q[j - 1];
			q[j - 1] = t;
		}
	if (!n)
		return 0;
	return n % 2 ? q[n / 2] : (q[n / 2 - 1] + q[n / 2]) / 2;
}

static void progress_start(const char *what, uint32_t rounds)
{
	fprintf(stderr, "  %s: %u round%s ", what, rounds, rounds > 1 ? "s" : "");
}

int bench_feed_run(const struct bench_opts *o)
{
	int skip = bench_require("feed", "the two pinned processes", o, &G.tsc);
	if (skip)
		return skip;
	memset(&G.cfg, 0, sizeof(G.cfg));
	G.o = o;
	struct rt_err err = {0};
	if (bench_config("feed", &G.cfg, G.instance, sizeof(G.instance)))
		return 1;
	const char *tmp = getenv("TMPDIR");
	snprintf(G.csv_path, sizeof(G.csv_path), "%s/alluse-bench-feed-%d.csv",
		 tmp && *tmp ? tmp : "/tmp", (int)getpid());
	/* the source alluse-feed runs on the default configuration */
	feed_synth_cfg_defaults(&G.scfg);
	G.scfg.seed = G.cfg.feeder.synthetic_seed;
	G.scfg.dt_ns = (uint64_t)G.cfg.feeder.synthetic_dt_us * 1000;
	G.scfg.strikes_per_side = G.cfg.feeder.synthetic_strikes_per_side;
	G.scfg.expiries = G.cfg.feeder.synthetic_expiries;
	G.scfg.options_per_tick = G.cfg.feeder.synthetic_options_per_tick;
	if (feed_synth_cfg_add_default_universe(&G.scfg, &err) != 0) {
		fprintf(stderr, "alluse-bench feed: %s\n", err.msg);
		return 1;
	}
	G.fcfg = (struct feed_core_cfg){
		.validate =
			{
				.max_age_ns = (uint64_t)G.cfg.feeder.max_age_ms * 1000000ull,
				.jump_atr_k100 = (uint32_t)(G.cfg.feeder.jump_atr_k * 100.0 + 0.5),
				.jump_confirm = G.cfg.feeder.jump_confirm,
			},
		.auto_define = G.cfg.feeder.auto_define_options,
		.clock_mode = SHM_CLOCK_REPLAY,
	};

	int quick = o->quick;
	uint32_t tput_rounds = quick ? 2 : 5, udp_rounds = quick ? 2 : 5;
	uint64_t synth_n = quick ? 1000000 : 4000000, synth_warm = quick ? 100000 : 400000;
	uint64_t replay_n = quick ? 500000 : 2000000, replay_warm = quick ? 50000 : 200000;
	uint64_t udp_n = quick ? 1000000 : 4000000, udp_warm = udp_n / 10;
	uint64_t drain_n = quick ? 200000 : 600000; /* ~30 k packets queued at once */
	uint64_t lat_total = o->samples ? o->samples : quick ? 20000 : 200000;
	uint64_t lat_n = lat_total / udp_rounds, lat_warm = quick ? 2000 : 5000;
	if (lat_n < 1)
		lat_n = 1;

	static struct row rows[ROW_COUNT] = {
		[ROW_SYNTH] = {.label = "synthetic-throughput", .kind = K_SYNTH},
		[ROW_SYNTH_PRE] = {.label = "synthetic-pregenerated-throughput",
				   .kind = K_SYNTH_PRE,
				   .ratio_vs = "synthetic-throughput"},
		[ROW_REPLAY] = {.label = "replay-throughput", .kind = K_REPLAY},
		[ROW_URING_TPUT] = {.label = "udp-uring-throughput",
				    .kind = K_UDP_TPUT,
				    .mode = FEED_UDP_URING_MULTISHOT,
				    .ratio_vs = "udp-recvmmsg-throughput"},
		[ROW_MMSG_TPUT] = {.label = "udp-recvmmsg-throughput",
				   .kind = K_UDP_TPUT,
				   .mode = FEED_UDP_RECVMMSG},
		[ROW_URING_LAT] = {.label = "udp-uring-latency",
				   .kind = K_UDP_LAT,
				   .mode = FEED_UDP_URING_MULTISHOT},
		[ROW_MMSG_LAT] = {.label = "udp-recvmmsg-latency",
				  .kind = K_UDP_LAT,
				  .mode = FEED_UDP_RECVMMSG},
		[ROW_URING_DRAIN] = {.label = "udp-uring-drain-throughput",
				     .kind = K_UDP_DRAIN,
				     .mode = FEED_UDP_URING_MULTISHOT,
				     .ratio_vs = "udp-recvmmsg-drain-throughput"},
		[ROW_MMSG_DRAIN] = {.label = "udp-recvmmsg-drain-throughput",
				    .kind = K_UDP_DRAIN,
				    .mode = FEED_UDP_RECVMMSG},
	};
	int failed = 0;
	G.ctl = mmap(NULL, sizeof(struct ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (G.ctl == MAP_FAILED) {
		fprintf(stderr, "alluse-bench feed: map the control block: %s\n", strerror(errno));
		return 1;
	}
	for (int i = ROW_URING_LAT; i <= ROW_MMSG_LAT; i++) {
		rows[i].hist = mmap(NULL, sizeof(struct rt_hist), PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (rows[i].hist == MAP_FAILED) {
			rows[i].hist = NULL;
			failed = 1;
		} else {
			rt_hist_init(rows[i].hist);
		}
	}
	struct shm_segment seg;
	memset(&seg, 0, sizeof(seg));
	int rc = failed ? rt_err_set(&err, -ENOMEM, "histograms") : make_segment(&seg, &err);
	if (rc) {
		fprintf(stderr, "alluse-bench feed: segment %s: %s\n", G.instance, err.msg);
		failed = 1;
		goto out;
	}
	fprintf(stderr,
		"alluse-bench feed: cpus %d,%d, TSC %.3f GHz, segment %s (%u quote rings of %u), "
		"%u underlyings + %u options\n",
		o->cpus[0], o->cpus[1], 1.0 / G.tsc.ns_per_tick, seg.path, G.cfg.workers.count,
		G.cfg.shm.quote_ring_capacity, G.scfg.nunderlyings, G.noptions);

	/* synthetic, live generator and pre-generated, interleaved */
	uint64_t w0 = rt_clock_now_ns();
	fprintf(stderr, "  %s %s: %u rounds ", rows[ROW_SYNTH].label, rows[ROW_SYNTH_PRE].label,
		tput_rounds);
	const char *only = getenv("ALLUSE_BENCH_FEED_ONLY"); /* docs/bench.md */
#define WANT(g) (!only || strstr(only, g))
	for (uint32_t r = 0; r < tput_rounds && !failed && WANT("synth"); r++) {
		for (int j = 0; j < 2 && !failed; j++)
			failed = run_round(&rows[ROW_SYNTH + (j + (int)r) % 2], r, synth_warm,
					   synth_n);
		fputc('.', stderr);
	}
	if (failed)
		goto out;
	fprintf(stderr, " %.1f s\n", (double)(rt_clock_now_ns() - w0) * 1e-9);

	/* replay: write the file first (not timed), then read it back each round */
	w0 = rt_clock_now_ns();
	if (make_csv(replay_warm + replay_n, &err) != 0) {
		fprintf(stderr, "alluse-bench feed: replay file: %s\n", err.msg);
		failed = 1;
		goto out;
	}
	fprintf(stderr, "  replay file %s: %llu quotes written in %.1f s\n", G.csv_path,
		(unsigned long long)(replay_warm + replay_n),
		(double)(rt_clock_now_ns() - w0) * 1e-9);
	w0 = rt_clock_now_ns();
	progress_start(rows[ROW_REPLAY].label, tput_rounds);
	for (uint32_t r = 0; r < tput_rounds && !failed && WANT("replay"); r++) {
		failed = run_round(&rows[ROW_REPLAY], r, replay_warm, replay_n);
		fputc('.', stderr);
	}
	if (failed)
		goto out;
	fprintf(stderr, " %.1f s\n", (double)(rt_clock_now_ns() - w0) * 1e-9);
	unlink(G.csv_path);
	bench_cleanup_forget(G.csv_path);

	/* UDP: io_uring and recvmmsg interleaved, rotating which goes first */
	static const int pairs[3][2] = {{ROW_URING_TPUT, ROW_MMSG_TPUT},
					{ROW_URING_LAT, ROW_MMSG_LAT},
					{ROW_URING_DRAIN, ROW_MMSG_DRAIN}};
	static const char *const groups[3] = {"tput", "lat", "drain"};
	for (int p = 0; p < 3 && !failed; p++) {
		if (!WANT(groups[p]))
			continue;
		w0 = rt_clock_now_ns();
		fprintf(stderr, "  %s %s: %u rounds ", rows[pairs[p][0]].label,
			rows[pairs[p][1]].label, udp_rounds);
		for (uint32_t r = 0; r < udp_rounds && !failed; r++) {
			for (int j = 0; j < 2 && !failed; j++) {
				struct row *row = &rows[pairs[p][(j + r) % 2]];
				if (row->kind == K_UDP_TPUT)
					failed = run_round(row, r, udp_warm, udp_n);
				else if (row->kind == K_UDP_DRAIN)
					failed = run_round(row, r, 0, drain_n);
				else
					failed = run_round(row, r, lat_warm, lat_n);
			}
			fputc('.', stderr);
		}
		if (!failed)
			fprintf(stderr, " %.1f s\n", (double)(rt_clock_now_ns() - w0) * 1e-9);
	}

out:
	bench_segment_remove("feed", &seg, G.instance, G.seg_path);
	unlink(G.csv_path);
	bench_cleanup_forget(G.csv_path);
	if (failed) {
		fprintf(stderr, "alluse-bench feed: failed; no results written\n");
		return 1;
	}

	static struct bench_report rep;
	bench_report_init(&rep, "feed", "udp-recvmmsg-latency", o->cpus, "spin");
	rep.host.tsc_step_ns = bench_tsc_step_ns(&G.tsc);
	for (int i = 0; i < ROW_COUNT; i++) {
		struct row *r = &rows[i];
		struct bench_row *br = r->hist ? bench_report_add_latency(&rep, r->label, r->hist)
					       : bench_report_add_rate(&rep, r->label, r->count,
								       r->secs, r->ratio_vs);
		if (!br)
			continue;
		if (!r->hist) {
			br->nrounds = r->nrounds;
			memcpy(br->round_per_s, r->round_per_s, sizeof(br->round_per_s));
			if (r->ratio_vs)
				for (int j = 0; j < ROW_COUNT; j++)
					if (!strcmp(rows[j].label, r->ratio_vs))
						br->ratio = paired_ratio(r, &rows[j]);
		}
		br->spin = 1;
		br->preempted = r->side[0].nivcsw + r->side[1].nivcsw;
		br->steal_ms = r->steal_known ? r->steal_ms : -1;
		double s0 = bench_side_share(&r->side[0]), s1 = bench_side_share(&r->side[1]);
		br->cpu_share = s0 < s1 ? s0 : s1;
		switch (r->kind) {
		case K_SYNTH:
		case K_SYNTH_PRE:
		case K_REPLAY:
			snprintf(r->note, sizeof(r->note),
				 "%sfeeder cpu %d -> consumer cpu %d; %llu in, %llu rejected, %llu "
				 "dropped (ring full)",
				 r->kind == K_SYNTH_PRE ? "diagnostic, generator not timed; " : "",
				 o->cpus[0], o->cpus[1], (unsigned long long)r->in,
				 (unsigned long long)r->rejected, (unsigned long long)r->drops);
			break;
		case K_UDP_TPUT:
			/* no datagram lost: the feeder kept up and the figure is the sender's */
			snprintf(r->note, sizeof(r->note),
				 "sender+consumer cpu %d -> feeder cpu %d; sent %.2f M/s; %llu of "
				 "%llu "
				 "lost in the socket (%s); %llu ring drops",
				 o->cpus[0], o->cpus[1],
				 r->send_secs > 0 ? (double)r->sent / r->send_secs / 1e6 : 0,
				 (unsigned long long)r->lost, (unsigned long long)r->sent,
				 r->lost ? "feeder saturated" : "sender-bound",
				 (unsigned long long)r->drops);
			break;
		case K_UDP_DRAIN:
			snprintf(r->note, sizeof(r->note),
				 "diagnostic, receiver alone: %llu quotes queued in the socket "
				 "first, then drained by the feeder on cpu %d; %llu lost in the "
				 "socket; %llu ring drops",
				 (unsigned long long)r->sent, o->cpus[1],
				 (unsigned long long)r->lost, (unsigned long long)r->drops);
			break;
		case K_UDP_LAT:
			snprintf(r->note, sizeof(r->note),
				 "%u quotes/s, 1 per packet; sender+consumer cpu %d -> feeder cpu "
				 "%d; "
				 "%llu lost; %llu sends > 1 us late (worst %.2f ms)",
				 UDP_LAT_RATE, o->cpus[0], o->cpus[1], (unsigned long long)r->lost,
				 (unsigned long long)r->late, (double)r->late_max * 1e-6);
			break;
		}
		br->note = r->note;
	}
	const struct bench_row *syn = bench_report_find(&rep, "synthetic-throughput");
	const struct bench_row *ut = bench_report_find(&rep, "udp-uring-throughput");
	const struct bench_row *mt = bench_report_find(&rep, "udp-recvmmsg-throughput");
	const struct bench_row *ul = bench_report_find(&rep, "udp-uring-latency");
	const struct bench_row *ml = bench_report_find(&rep, "udp-recvmmsg-latency");
	if (syn)
		bench_report_check(&rep, "synthetic-throughput >= 5 M quotes/s", syn->per_s, 5e6, 1,
				   0, syn, NULL);
	if (ut && mt)
		bench_report_check(&rep, "udp throughput: uring / recvmmsg >= 1.0",
				   bench_report_ratio_rate(&rep, ut->label, mt->label), 1.0, 1, 0,
				   ut, mt);
	if (ul && ml && ul->p50_ns)
		bench_report_check(&rep, "udp latency p50: recvmmsg / uring >= 1.0",
				   (double)ml->p50_ns / (double)ul->p50_ns, 1.0, 1, 0, ul, ml);
	bench_report_print(&rep, stdout);
	printf("latency rows: intended send time (the stamp carried in exch_ts_ns) -> "
	       "feed_core's board-write stamp (write_ts_ns), ns, one-way\n");
	if (o->json_path) {
		rc = bench_report_write_json(&rep, o->json_path, &err);
		if (rc) {
			fprintf(stderr, "alluse-bench feed: --json: %s\n", err.msg);
			return 1;
		}
		printf("\nJSON written to %s\n", o->json_path);
	}
	return 0;
}
