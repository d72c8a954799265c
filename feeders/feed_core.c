#include "feeders/feed_core.h"

#include "feeders/feed_replay.h"
#include "rt/rt_clock.h"
#include "shm/shm_hists.h"
#include "shm/shm_msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t feed_route_worker(const char *underlying, uint32_t nworkers)
{
	uint32_t h = 2166136261u;
	for (const char *p = underlying; *p; p++) {
		h ^= (uint8_t)*p;
		h *= 16777619u;
	}
	return nworkers ? h % nworkers : 0;
}

static void *region(struct shm_segment *seg, const char *name, uint32_t kind, struct rt_err *err)
{
	const struct shm_dir_entry *e = shm_segment_find_kind_name(seg, kind, name);
	if (!e) {
		rt_err_set(err, -ENOENT, "segment has no %s region '%s'", shm_kind_name(kind),
			   name);
		return NULL;
	}
	return shm_segment_region(seg, e);
}

/* Route every id the directory has that we have not seen yet (ids are append-only). */
static void learn_routes(struct feed_core *f)
{
	uint32_t n = shm_instr_count(&f->dir);
	for (uint32_t id = f->known; id < n; id++) {
		const struct shm_instr *in = shm_instr_get(&f->dir, id);
		f->route[id] = (uint8_t)feed_route_worker(
			in->underlying[0] ? in->underlying : in->symbol, f->nworkers);
		f->is_opt[id] = in->kind == SHM_INSTR_OPTION;
	}
	f->known = n;
}

int feed_core_attach(struct feed_core *f, struct shm_segment *seg, const struct feed_core_cfg *cfg,
		     struct rt_err *err)
{
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	f->vcfg[0] = f->vcfg[1] = cfg->validate;
	f->vcfg[1].allow_zero_bid = 1;
	void *r;
	if (!(r = region(seg, "board", SHM_KIND_BOARD, err)))
		return err->code;
	shm_board_attach(&f->board, r);
	if (!(r = region(seg, "instruments", SHM_KIND_INSTRUMENTS, err)))
		return err->code;
	shm_instr_attach(&f->dir, r);
	if (!(r = region(seg, "atr", SHM_KIND_ATR, err)))
		return err->code;
	shm_atr_attach(&f->atr, r);
	if (!(f->clock = region(seg, "clock", SHM_KIND_CLOCK, err)))
		return err->code;
	for (uint32_t w = 0; w < FEED_MAX_WORKERS; w++) {
		const struct shm_dir_entry *e =
			shm_segment_find(seg, SHM_KIND_RING, SHM_ROLE_QUOTES, w);
		if (!e)
			break;
		shm_ring_producer_attach(&f->rings[w], shm_segment_region(seg, e));
		f->nworkers = w + 1;
	}
	if (f->nworkers == 0)
		return rt_err_set(err, -ENOENT, "segment has no quote rings (quotes.0 ...)");
	struct shm_counters cs;
	if (!(r = region(seg, "feeder", SHM_KIND_COUNTERS, err)))
		return err->code;
	shm_counters_attach(&cs, r);
	f->counters = cs;
	struct shm_hists hs;
	if (!(r = region(seg, "feeder", SHM_KIND_HISTS, err)))
		return err->code;
	shm_hists_attach(&hs, r);
	f->h_publish = shm_hists_get_or_add(&hs, "feed.recv-to-publish");

	uint32_t cap = f->dir.capacity;
	f->st = calloc(cap, sizeof(*f->st));
	f->qseq = calloc(cap, sizeof(*f->qseq));
	f->route = calloc(cap, 1);
	f->gap = calloc(cap, 1);
	f->is_opt = calloc(cap, 1);
	f->stage = aligned_alloc(64, (size_t)f->nworkers * FEED_STAGE_MAX * sizeof(*f->stage));
	if (!f->st || !f->qseq || !f->route || !f->gap || !f->is_opt || !f->stage) {
		feed_core_detach(f);
		return rt_err_set(err, -ENOMEM, "feeder state for %u instruments", cap);
	}
	f->c_in = shm_counters_word(&cs, "quotes.in");
	f->c_published = shm_counters_word(&cs, "quotes.published");
	f->c_defs = shm_counters_word(&cs, "defs.added");
	f->c_def_errors = shm_counters_word(&cs, "defs.rejected");
	f->c_malformed_pkts = shm_counters_word(&cs, "packets.malformed");
	char label[SHM_COUNTER_LABEL_MAX];
	for (unsigned i = 1; i < FEED_REJECT__COUNT; i++) {
		f->c_reject[i] = shm_counters_word(&cs, feed_reject_name(i));
	}
	for (uint32_t w = 0; w < f->nworkers; w++) {
		snprintf(label, sizeof(label), "drops.worker.%u", w);
		f->c_drops[w] = shm_counters_word(&cs, label);
	}
	for (unsigned i = 1; i < FEED_WIRE_E__COUNT; i++) {
		snprintf(label, sizeof(label), "wire.%s", feed_wire_error_name(i));
		f->c_wire[i] = shm_counters_word(&cs, label);
	}
	for (unsigned i = 0; i < FEED_SEQ_STATS_N; i++) {
		f->c_seq[i] = shm_counters_word(&cs, feed_seq_stat_name(i));
		f->seq_base[i] = rt_load_rlx_u64(f->c_seq[i]); /* a restart keeps counting */
	}
	feed_seq_init(&f->seq);
	shm_clock_set_mode(f->clock, cfg->clock_mode);
	f->now_wall_ns = cfg->clock_mode == SHM_CLOCK_LIVE ? rt_clock_wall_ns()
							   : rt_load_acq_u64(&f->clock->now_ns);

	/* resume: sequences and last good prices from the board */
	learn_routes(f);
	for (uint32_t id = 0; id < f->known; id++) {
		struct shm_quote q;
		int rc = shm_board_read(&f->board, id, &q, NULL);
		if (rc == -EAGAIN) {
			/* we died writing this slot: its prices may be torn, but its sequence
			 * word is ours and only ever grows; continue after it */
			f->qseq[id] =
				rt_load_rlx_u64((const uint64_t *)&f->board.slots[id].quote_seq);
			continue;
		}
		if (rc != 0)
			continue;
		f->qseq[id] = q.quote_seq;
		struct feed_instr_state *st = &f->st[id];
		st->bid = q.bid;
		st->ask = q.ask;
		st->last = q.last;
		st->exch_ts_ns = q.exch_ts_ns;
		st->flags = (q.bid != INT64_MIN ? FEED_ST_HAS_BID : 0) |
			    (q.ask != INT64_MIN ? FEED_ST_HAS_ASK : 0) |
			    (q.last != INT64_MIN ? FEED_ST_HAS_LAST : 0);
	}
	return 0;
}

void feed_core_detach(struct feed_core *f)
{
	if (!f)
		return;
	free(f->st);
	free(f->qseq);
	free(f->route);
	free(f->gap);
	free(f->is_opt);
	free(f->stage);
	free(f->key_id);
	f->st = NULL;
	f->qseq = NULL;
	f->route = NULL;
	f->gap = NULL;
	f->is_opt = NULL;
	f->stage = NULL;
	f->key_id = NULL;
	f->nkeys = 0;
}

int feed_core_set_source_keys(struct feed_core *f, uint32_t nkeys)
{
	uint32_t *k = NULL;
	if (nkeys) {
		k = malloc((size_t)nkeys * sizeof(*k));
		if (!k)
			return -ENOMEM;
		for (uint32_t i = 0; i < nkeys; i++)
			k[i] = SHM_INSTR_NONE;
	}
	free(f->key_id);
	f->key_id = k;
	f->nkeys = nkeys;
	return 0;
}

int feed_core_define(struct feed_core *f, const struct feed_wire_msg *def, uint32_t *id_out)
{
	struct shm_instr in;
	int rc;
	if (def->def.kind == FEED_WIRE_OPTION)
		rc = shm_instr_make_option(&in, def->def.underlying, def->def.expiry,
					   (char)def->def.right, def->def.strike);
	else
		rc = shm_instr_make_stock(&in, def->symbol);
	if (rc == 0 && strcmp(in.symbol, def->symbol) != 0)
		rc = -EINVAL; /* the symbol must be the canonical one for its fields */
	if (rc == 0) {
		if (def->def.kind == FEED_WIRE_INDEX)
			in.kind = SHM_INSTR_INDEX;
		rc = shm_instr_add(&f->dir, &in, id_out, NULL);
	}
	if (rc == -EEXIST)
		return 0;
	if (rc) {
		rt_counter_add(f->c_def_errors, 1);
		return rc;
	}
	rt_counter_add(f->c_defs, 1);
	learn_routes(f);
	return 0;
}

/* Push worker w's staged messages with one write_pos store. The ring takes a prefix
 * of them; the rest are dropped (and a later batch of fewer would not be, so the
 * order of one instrument's messages is kept): their instruments' next messages
 * carry SHM_QMSG_GAP. */
static void flush_worker(struct feed_core *f, uint32_t w)
{
	uint32_t n = f->nstage[w];
	if (!n)
		return;
	const struct shm_quote_msg *m = &f->stage[w * FEED_STAGE_MAX];
	uint32_t k = shm_ring_push_batch_spsc(&f->rings[w], m, n);
	if (k < n) {
		for (uint32_t i = k; i < n; i++)
			f->gap[m[i].instr_id] = 1;
		rt_counter_add(f->c_drops[w], n - k);
	}
	f->nstage[w] = 0;
}

static void flush_all(struct feed_core *f)
{
	for (uint32_t w = 0; w < f->nworkers; w++)
		flush_worker(f, w);
	f->batching = 0;
}

static enum feed_reject publish(struct feed_core *f, uint32_t id, const struct feed_wire_quote *q,
				uint64_t src_seq, uint8_t nonfinite, uint64_t recv_ns,
				uint64_t write_ns)
{
	rt_counter_add(f->c_in, 1);
	if (id >= f->known) {
		learn_routes(f);
		if (id >= f->known) {
			rt_counter_add(f->c_reject[FEED_REJECT_UNKNOWN_INSTRUMENT], 1);
			return FEED_REJECT_UNKNOWN_INSTRUMENT;
		}
	}
	struct feed_instr_state *st = &f->st[id];
	st->atr = shm_atr_get(&f->atr, id);
	struct feed_quote_in in = {
		.bid = q->bid,
		.ask = q->ask,
		.last = q->last,
		.src_seq = src_seq,
		.exch_ts_ns = q->exch_ts_ns,
		.nonfinite = nonfinite,
	};
	enum feed_reject r =
		feed_validate_quote(&f->vcfg[f->is_opt[id] != 0], st, &in, f->now_wall_ns);
	if (r != FEED_REJECT_OK) {
		rt_counter_add(f->c_reject[r], 1);
		return r;
	}
	uint64_t seq = ++f->qseq[id];
	struct shm_quote bq;
	bq.seq = 0;
	bq.instr_id = id;
	bq.flags = 0;
	bq.bid = q->bid;
	bq.ask = q->ask;
	/* a quote without a trade keeps the last trade price on the board */
	bq.last = q->last != INT64_MIN ? q->last
				       : (st->flags & FEED_ST_HAS_LAST ? st->last : INT64_MIN);
	bq.bid_size = q->bid_size;
	bq.ask_size = q->ask_size;
	bq.last_size = q->last_size;
	bq.venue = q->venue;
	bq.exch_ts_ns = q->exch_ts_ns;
	bq.recv_ts_ns = recv_ns;
	bq.write_ts_ns = write_ns;
	bq.quote_seq = seq;
	memset(bq.reserved, 0, sizeof(bq.reserved));
	shm_board_write(&f->board, id, &bq);

	struct shm_quote_msg m = {
		.instr_id = id,
		.flags = f->gap[id] ? SHM_QMSG_GAP : 0,
		.quote_seq = seq,
		.bid = q->bid,
		.ask = q->ask,
		.last = q->last,
		.exch_ts_ns = q->exch_ts_ns,
		.recv_ts_ns = recv_ns,
		.write_ts_ns = bq.write_ts_ns,
	};
	uint32_t w = f->route[id];
	if (f->batching) {
		/* provisionally delivered; flush marks the gap if the ring refuses it */
		f->gap[id] = 0;
		f->stage[w * FEED_STAGE_MAX + f->nstage[w]] = m;
		if (++f->nstage[w] == FEED_STAGE_MAX)
			flush_worker(f, w);
	} else if (shm_ring_push_spsc(&f->rings[w], &m) == 0) {
		f->gap[id] = 0;
	} else {
		f->gap[id] = 1;
		rt_counter_add(f->c_drops[w], 1);
	}
	rt_counter_add(f->c_published, 1);
	rt_hist_record(f->h_publish, bq.write_ts_ns - recv_ns);
	return FEED_REJECT_OK;
}

enum feed_reject feed_core_publish(struct feed_core *f, uint32_t id,
				   const struct feed_wire_quote *q, uint64_t src_seq,
				   uint8_t nonfinite, uint64_t recv_ns)
{
	return publish(f, id, q, src_seq, nonfinite, recv_ns, rt_clock_now_ns());
}

/* The instrument id of a message: the source's key cache when it has the key, else
 * the directory (an unknown OCC symbol defines itself when auto_define is on). */
static uint32_t find_id(struct feed_core *f, const struct feed_wire_msg *m, uint32_t key)
{
	uint32_t *slot = key < f->nkeys ? &f->key_id[key] : NULL;
	if (slot && *slot != SHM_INSTR_NONE)
		return *slot;
	uint32_t id = shm_instr_find(&f->dir, m->symbol);
	if (id == SHM_INSTR_NONE && f->cfg.auto_define) {
		struct feed_wire_msg def;
		if (feed_occ_parse(m->symbol, &def) == 0 && feed_core_define(f, &def, &id) == 0)
			id = shm_instr_find(&f->dir, m->symbol);
	}
	if (slot)
		*slot = id; /* ids are append-only: a found id stays that symbol's */
	return id;
}

static enum feed_reject on_msg(struct feed_core *f, const struct feed_wire_msg *m,
			       uint8_t nonfinite, uint64_t recv_ns, uint64_t write_ns, uint32_t key)
{
	if (m->type == FEED_WIRE_MSG_DEF) {
		uint32_t id = SHM_INSTR_NONE;
		if (feed_core_define(f, m, &id) != 0)
			return FEED_REJECT_MALFORMED;
		if (key < f->nkeys && id != SHM_INSTR_NONE)
			f->key_id[key] = id;
		return FEED_REJECT_OK;
	}
	uint32_t id = find_id(f, m, key);
	if (id == SHM_INSTR_NONE) {
		rt_counter_add(f->c_in, 1);
		rt_counter_add(f->c_reject[FEED_REJECT_UNKNOWN_INSTRUMENT], 1);
		return FEED_REJECT_UNKNOWN_INSTRUMENT;
	}
	return publish(f, id, &m->quote, m->seq, nonfinite, recv_ns, write_ns);
}

enum feed_reject feed_core_on_msg(struct feed_core *f, const struct feed_wire_msg *m,
				  uint8_t nonfinite, uint64_t recv_ns)
{
	return on_msg(f, m, nonfinite, recv_ns, rt_clock_now_ns(), FEED_SRC_KEY_NONE);
}

/* Events ahead of the one being published whose lines are fetched meanwhile. */
#define PREFETCH_AHEAD 4u

/* The publish path of one quote touches lines scattered over the segment (its
 * validation state, board slot and ATR entry, the next ring slot): with the id known
 * from the key cache they are requested a few events early, for writing where we
 * write, so their misses overlap instead of queueing one after another. */
static inline void prefetch_event(const struct feed_core *f, const struct feed_event *e)
{
	if (e->src_key >= f->nkeys)
		return;
	uint32_t id = f->key_id[e->src_key];
	if (id >= f->known)
		return;
	__builtin_prefetch(&f->st[id], 1, 3);
	const uint8_t *slot = (const uint8_t *)&f->board.slots[id];
	__builtin_prefetch(slot, 1, 3);
	__builtin_prefetch(slot + 64, 1, 3);
	__builtin_prefetch(&f->atr.e[id], 0, 3);
	uint32_t w = f->route[id];
	const struct shm_ring *r = &f->rings[w];
	__builtin_prefetch(shm_ring_slot_(r, r->pos + f->nstage[w] + PREFETCH_AHEAD), 1, 3);
}

uint32_t feed_core_on_events(struct feed_core *f, const struct feed_event *ev, uint32_t n)
{
	/* One clock read for the batch: every event exists (was received) by now, and
	 * every board write below happens after it. */
	uint64_t now = rt_clock_now_ns();
	uint32_t ok = 0;
	uint64_t t0 = f->now_wall_ns;
	f->batching = 1;
	for (uint32_t i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			prefetch_event(f, &ev[i + PREFETCH_AHEAD]);
		/* validation follows each event's time; the shared clock is published
		 * once, below */
		f->now_wall_ns = ev[i].ts_ns;
		ok += on_msg(f, &ev[i].msg, ev[i].nonfinite, now, now, ev[i].src_key) ==
		      FEED_REJECT_OK;
	}
	flush_all(f);
	/* The shared clock moves after the batch's messages are in the rings (its
	 * release store publishes them, as feed_core_set_time's does per quote), so a
	 * worker never sees the clock ahead of a quote it has not been sent. */
	if (n && f->now_wall_ns != t0 && f->cfg.clock_mode == SHM_CLOCK_REPLAY)
		shm_clock_advance(f->clock, f->now_wall_ns);
	return ok;
}

uint32_t feed_core_on_packet(struct feed_core *f, const uint8_t *pkt, uint32_t len,
			     uint64_t recv_ns)
{
	struct feed_wire_iter it;
	if (feed_wire_packet_open(&it, pkt, len) != 0) {
		rt_counter_add(f->c_malformed_pkts, 1);
		if (it.error && it.error < FEED_WIRE_E__COUNT)
			rt_counter_add(f->c_wire[it.error], 1);
		return 0;
	}
	struct feed_seq_verdict v;
	uint64_t sessions = f->seq.st.session_changes;
	int action = feed_seq_packet_iter(&f->seq, &it, &v); /* = v.action */
	if (f->seq.st.session_changes != sessions) /* a new session numbers from 1 again */
		feed_instr_state_reset_seq(f->st, f->known);
	if (action == FEED_SEQ_DROP)
		return 0;
	uint32_t delivered = 0;
	struct feed_wire_msg m;
	/* one board-write stamp per packet, read before its first write */
	uint64_t write_ns = rt_clock_now_ns();
	f->batching = 1;
	for (uint32_t i = 0; i < v.end; i++) {
		int rc = feed_wire_next(&it, &m);
		if (rc == 0)
			break;
		if (i < v.skip)
			continue;
		if (v.action == FEED_SEQ_DELIVER_LATE && !feed_seq_take(&f->seq, it.seq + i))
			continue;
		if (rc < 0) {
			rt_counter_add(f->c_in, 1);
			rt_counter_add(f->c_reject[FEED_REJECT_MALFORMED], 1);
			if (it.error && it.error < FEED_WIRE_E__COUNT)
				rt_counter_add(f->c_wire[it.error], 1);
			continue;
		}
		on_msg(f, &m, 0, recv_ns, write_ns, FEED_SRC_KEY_NONE);
		delivered++;
	}
	flush_all(f);
	return delivered;
}

void feed_core_sync_counters(struct feed_core *f)
{
	for (unsigned i = 0; i < FEED_SEQ_STATS_N; i++)
		rt_store_rlx_u64(f->c_seq[i], f->seq_base[i] + feed_seq_stat_value(&f->seq.st, i));
}
