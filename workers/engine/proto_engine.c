#include "workers/engine/proto_engine.h"

#include "rt/rt_clock.h"
#include "shm/shm_counters.h"
#include "shm/shm_hists.h"
#include "workers/core/core_atr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_PRICE_RETRY_NS 1000000000ull /* no price yet: look again in 1 s */

static void *find_region(struct shm_segment *seg, uint32_t kind, uint32_t role, uint32_t idx,
			 const char *what, struct rt_err *err)
{
	const struct shm_dir_entry *e = shm_segment_find(seg, kind, role, idx);
	if (!e) {
		rt_err_set(err, -ENOENT, "segment has no %s region for worker %u", what, idx);
		return NULL;
	}
	return shm_segment_region(seg, e);
}

/* ---- timers: a binary min-heap with lazy deletion ------------------------------- */

static int heap_push(struct proto_engine *e, uint64_t due, uint32_t slot)
{
	if (e->nheap == e->heap_cap) {
		uint32_t nc = e->heap_cap ? e->heap_cap * 2 : 1024;
		struct proto_timer *nh = realloc(e->heap, nc * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		e->heap = nh;
		e->heap_cap = nc;
	}
	uint32_t i = e->nheap++;
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (e->heap[parent].due <= due)
			break;
		e->heap[i] = e->heap[parent];
		i = parent;
	}
	e->heap[i].due = due;
	e->heap[i].slot = slot;
	return 0;
}

static struct proto_timer heap_pop(struct proto_engine *e)
{
	struct proto_timer top = e->heap[0];
	struct proto_timer last = e->heap[--e->nheap];
	uint32_t i = 0;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= e->nheap)
			break;
		if (c + 1 < e->nheap && e->heap[c + 1].due < e->heap[c].due)
			c++;
		if (last.due <= e->heap[c].due)
			break;
		e->heap[i] = e->heap[c];
		i = c;
	}
	if (e->nheap)
		e->heap[i] = last;
	return top;
}

static void schedule(struct proto_engine *e, struct shm_pos *p, uint32_t slot, uint64_t due)
{
	p->next_eval_ns = due;
	heap_push(e, due, slot);
}

static uint64_t cadence(const struct proto_engine *e, uint8_t level)
{
	return e->cfg.cadence_ns[level < 3 ? level : 2];
}

/* ---- underlyings ---------------------------------------------------------------- */

/* Does a come before b in a run of trips? Puts: the highest trip first; calls: the
 * lowest; ties by slot, so the order (and so the order of events) is a function of
 * the state alone. */
static int trip_before(const struct proto_trip *a, const struct proto_trip *b, int desc)
{
	if (a->trip != b->trip)
		return desc ? a->trip > b->trip : a->trip < b->trip;
	return a->slot < b->slot;
}

/* In-place sort of one run, no allocation (qsort may allocate): insertion sort for a
 * few, heapsort (O(n log n)) for many. */
static void trips_sort(struct proto_trip *t, uint32_t n, int desc)
{
	if (n <= 16) { /* the usual few positions per underlying: insertion sort */
		for (uint32_t i = 1; i < n; i++) {
			struct proto_trip x = t[i];
			uint32_t j = i;
			for (; j > 0 && trip_before(&x, &t[j - 1], desc); j--)
				t[j] = t[j - 1];
			t[j] = x;
		}
		return;
	}
	/* build: sift down every internal node; then move the root to the end n - 1 times */
	uint32_t start = n / 2, end = n;
	for (;;) {
		uint32_t root;
		if (start > 0) {
			root = --start;
		} else {
			if (--end == 0)
				return;
			struct proto_trip x = t[end];
			t[end] = t[0];
			t[0] = x;
			root = 0;
		}
		/* sift down: a max-heap of "comes last" */
		for (;;) {
			uint32_t c = 2 * root + 1;
			if (c >= end)
				break;
			if (c + 1 < end && trip_before(&t[c], &t[c + 1], desc))
				c++;
			if (!trip_before(&t[root], &t[c], desc))
				break;
			struct proto_trip x = t[root];
			t[root] = t[c];
			t[c] = x;
			root = c;
		}
	}
}

/* Rebuild u's trip runs and guard from its positions (after any change of a level,
 * a threshold or the position list). */
static void recompute_trips(struct proto_engine *e, struct proto_ul *u)
{
	uint32_t np = 0, nc = 0, watch = 0;
	int64_t atr = 0;
	int mixed = 0;
	for (uint32_t i = 0; i < u->npos; i++) {
		const struct shm_pos *p = &e->pt.p[u->pos[i]];
		/* level 3 is watched in real time; a position whose thresholds are not known
		 * yet (just added, or ATR unknown) is evaluated on the next quote too */
		if (p->atr <= 0) {
			watch = 1;
			mixed = 1;
			continue;
		}
		if (!atr)
			atr = p->atr;
		else if (p->atr != atr)
			mixed = 1;
		if (p->level >= 3)
			watch = 1;
		else if (p->right == 'P')
			np++;
		else
			nc++;
	}
	struct proto_trip *t = u->trips;
	uint32_t ip = 0, ic = np, i3 = np + nc;
	for (uint32_t i = 0; i < u->npos; i++) {
		uint32_t slot = u->pos[i];
		const struct shm_pos *p = &e->pt.p[slot];
		struct proto_trip x = {.trip = 0, .slot = slot, .pad = 0};
		if (p->atr <= 0 || p->level >= 3) {
			t[i3++] = x;
			continue;
		}
		x.trip = p->thr[p->level];
		t[p->right == 'P' ? ip++ : ic++] = x;
	}
	trips_sort(t, np, 1);
	trips_sort(t + np, nc, 0);
	u->nput = np;
	u->ncall = nc;
	u->atr = mixed ? 0 : atr;
	u->guard_low = watch ? INT64_MAX : np ? t[0].trip : INT64_MIN;
	u->guard_high = nc ? t[np].trip : INT64_MAX;
}

static struct proto_ul *ul_for(struct proto_engine *e, uint32_t instr_id, int create)
{
	if (instr_id >= e->dir.capacity)
		return NULL;
	int32_t k = e->ul_of[instr_id];
	if (k >= 0)
		return &e->uls[k];
	if (!create)
		return NULL;
	if (e->nuls == e->ul_cap) {
		/* aligned: each underlying on its own cache line (realloc would not keep it) */
		uint32_t nc = e->ul_cap ? e->ul_cap * 2 : 64;
		struct proto_ul *nu = aligned_alloc(64, nc * sizeof(*nu));
		if (!nu)
			return NULL;
		if (e->nuls)
			memcpy(nu, e->uls, e->nuls * sizeof(*nu));
		free(e->uls);
		e->uls = nu;
		e->ul_cap = nc;
	}
	struct proto_ul *u = &e->uls[e->nuls];
	memset(u, 0, sizeof(*u));
	u->instr_id = instr_id;
	u->guard_low = INT64_MIN;
	u->guard_high = INT64_MAX;
	e->ul_of[instr_id] = (int32_t)e->nuls++;
	return u;
}

static int ul_add_pos(struct proto_engine *e, struct proto_ul *u, uint32_t slot)
{
	if (u->npos == u->cap) {
		uint32_t nc = u->cap ? u->cap * 2 : 8;
		uint32_t *np = realloc(u->pos, nc * sizeof(*np));
		if (!np)
			return -ENOMEM;
		u->pos = np;
		struct proto_trip *nt = realloc(u->trips, nc * sizeof(*nt));
		if (!nt)
			return -ENOMEM;
		u->trips = nt;
		u->cap = nc;
	}
	if (u->cap > e->scratch_cap) {
		/* a crossing quote defers up to npos slots: never grow on the hot path */
		uint32_t *ns = realloc(e->scratch, u->cap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		e->scratch = ns;
		e->scratch_cap = u->cap;
	}
	u->pos[u->npos++] = slot;
	return 0;
}

static void ul_remove_pos(struct proto_ul *u, uint32_t slot)
{
	for (uint32_t i = 0; i < u->npos; i++)
		if (u->pos[i] == slot) {
			u->pos[i] = u->pos[--u->npos];
			return;
		}
}

/* ---- events --------------------------------------------------------------------- */

/* b -> a in ns, 0 if a stamp from another clock reading came out earlier (a TSC stamp
 * is within ~15 ns of clock_gettime, not exactly it) */
static uint64_t since(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static void publish(struct proto_engine *e, struct shm_event *ev)
{
	ev->event_seq = ++e->event_seq;
	ev->worker = (uint8_t)e->cfg.worker;
	ev->event_time_ns = e->now;
	ev->publish_ns = rt_stamp_now(&e->stamp);
	if (shm_ring_push_n_spsc(&e->events, ev, 2) != 0) {
		/* never a silent drop: the fault flag tells the supervisor to go SAFE */
		rt_counter_add(e->c_event_full, 1);
		rt_store_rlx_u64(e->c_fault_flag, SHM_CAUSE_RING_FULL);
		e->event_seq--;
		return;
	}
	if (ev->kind == SHM_EV_FAULT)
		rt_counter_add(e->c_faults, 1);
	else
		rt_counter_add(e->c_levels, 1);
}

static void fill_event(struct shm_event *ev, const struct shm_pos *p, uint16_t kind, uint8_t from,
		       uint8_t to, int64_t price, uint8_t cause)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->from = from;
	ev->to = to;
	ev->pos_id = p->pos_id;
	ev->price = price;
	ev->atr = p->atr;
	memcpy(ev->thr, p->thr, sizeof(ev->thr));
	ev->under_id = p->under_id;
	ev->option_id = p->option_id;
	ev->strike = p->strike;
	ev->right = p->right;
	ev->cause = cause;
}

/* ---- evaluation ----------------------------------------------------------------- */

/* Returns 1 when the position's trips may have changed (level or thresholds). On a
 * level change the event is published before the bookkeeping of the evaluation
 * (histograms, cadence, counters): only the level itself is stored first, so a
 * consumer that reads the positions table after the event sees the new level. */
static int evaluate(struct proto_engine *e, uint32_t slot, int64_t price, uint8_t cause,
		    const struct shm_quote_msg *q, uint64_t read_ns)
{
	struct shm_pos *p = &e->pt.p[slot];
	int changed = 0;
	int64_t atr = shm_atr_get(&e->atr, p->under_id);
	if (atr != p->atr) {
		p->atr = atr;
		if (atr > 0) {
			int64_t thr[3];
			core_level_thresholds((enum core_right)p->right, p->strike, atr,
					      e->cfg.mult100, thr);
			memcpy(p->thr, thr, sizeof(thr));
		} else {
			memset(p->thr, 0, sizeof(p->thr));
		}
		changed = 1;
	}
	if (atr <= 0) {
		p->last_eval_ns = e->now;
		p->evals++;
		/* the level is undecidable: a fault (RULES §9), raised once until known */
		if (!(p->flags & SHM_POS_FLAG_ATR_FAULT)) {
			p->flags |= SHM_POS_FLAG_ATR_FAULT;
			struct shm_event ev;
			fill_event(&ev, p, SHM_EV_FAULT, p->level, p->level, price,
				   SHM_CAUSE_ATR_UNKNOWN);
			publish(e, &ev);
		}
		if (cause == SHM_CAUSE_CADENCE)
			schedule(e, p, slot, e->now + cadence(e, p->level));
		return changed;
	}
	uint8_t lvl = (uint8_t)core_level_of((enum core_right)p->right, p->thr, price);
	uint8_t to;
	if (cause == SHM_CAUSE_CADENCE)
		to = p->level == 3 ? 3 : lvl; /* routine: may de-escalate, never out of 3 */
	else
		to = lvl > p->level ? lvl : p->level; /* between ticks: escalation only */
	if (to != p->level) {
		struct shm_event ev;
		fill_event(&ev, p, SHM_EV_LEVEL, p->level, to, price, cause);
		if (q) {
			ev.quote_seq = q->quote_seq;
			ev.feed_recv_ns = q->recv_ts_ns;
			ev.board_write_ns = q->write_ts_ns;
			ev.worker_read_ns = read_ns;
		}
		p->level = to;
		publish(e, &ev);
		/* the event is out: bookkeeping */
		p->level_since_ns = e->now;
		changed = 1;
		if (q) {
			rt_hist_record(e->h_quote_to_event, since(ev.publish_ns, q->recv_ts_ns));
			rt_hist_record(e->h_read_to_publish, since(ev.publish_ns, read_ns));
		}
		if (to > rt_load_rlx_u64(e->c_max_level))
			rt_store_rlx_u64(e->c_max_level, to);
		schedule(e, p, slot, e->now + cadence(e, to));
	} else if (cause == SHM_CAUSE_CADENCE) {
		schedule(e, p, slot, e->now + cadence(e, p->level));
	}
	p->flags &= (uint8_t)~SHM_POS_FLAG_ATR_FAULT;
	p->last_price = price;
	p->last_eval_ns = e->now;
	p->evals++;
	return changed;
}

static int64_t quote_price(int64_t bid, int64_t ask, int64_t last)
{
	if (bid != INT64_MIN && ask != INT64_MIN && bid > 0 && ask > 0)
		return bid + (ask - bid) / 2;
	return last != INT64_MIN && last > 0 ? last : 0;
}

/* A quote u's positions' thresholds may not all be known for (an ATR changed or is
 * unknown): scan them all. First pass, in list order: evaluate at once every position
 * whose ATR differs or whose next threshold the price reaches; the others are not
 * touched. Second pass: the level-3 positions' real-time evaluation. */
static int crossing_scan(struct proto_engine *e, struct proto_ul *u, int64_t atr, int64_t price,
			 const struct shm_quote_msg *m, uint64_t read_ns, uint32_t *nevals)
{
	uint32_t nl3 = 0;
	int changed = 0;
	for (uint32_t i = 0; i < u->npos; i++) {
		uint32_t slot = u->pos[i];
		const struct shm_pos *p = &e->pt.p[slot];
		if (p->atr == atr && atr > 0) {
			if (p->level >= 3) {
				e->scratch[nl3++] = slot; /* scratch_cap >= u->cap */
				continue;
			}
			int64_t t = p->thr[p->level];
			if (p->right == 'P' ? price > t : price < t)
				continue; /* its next threshold is not reached: no escalation */
		}
		(*nevals)++;
		changed |= evaluate(e, slot, price,
				    p->level == 3 ? SHM_CAUSE_REALTIME : SHM_CAUSE_CROSSING, m,
				    read_ns);
	}
	for (uint32_t i = 0; i < nl3; i++)
		changed |= evaluate(e, e->scratch[i], price, SHM_CAUSE_REALTIME, m, read_ns);
	*nevals += nl3;
	return changed;
}

/* A quote at or beyond u's guard. The positions it escalates are a prefix of the put
 * run (trips descending) and of the call run (ascending): those are evaluated, and
 * their events published, first; then the level-3 positions' real-time evaluation,
 * which cannot change a level. Nothing else is touched. Thresholds are monotonic in
 * the level (rt_config checks level1 < level2 < level3), so a price that does not
 * reach a position's next threshold cannot escalate it. */
static void on_crossing(struct proto_engine *e, struct proto_ul *u, int64_t price,
			const struct shm_quote_msg *m, uint64_t read_ns)
{
	rt_counter_add(e->c_crossings, 1);
	int64_t atr = shm_atr_get(&e->atr, u->instr_id);
	uint32_t n = 0;
	int changed;
	if (atr != u->atr || atr <= 0) {
		changed = crossing_scan(e, u, atr, price, m, read_ns, &n);
	} else {
		const struct proto_trip *t = u->trips;
		uint32_t np = u->nput, end = u->nput + u->ncall, i;
		changed = 0;
		for (i = 0; i < np && price <= t[i].trip; i++, n++)
			changed |= evaluate(e, t[i].slot, price, SHM_CAUSE_CROSSING, m, read_ns);
		for (i = np; i < end && price >= t[i].trip; i++, n++)
			changed |= evaluate(e, t[i].slot, price, SHM_CAUSE_CROSSING, m, read_ns);
		for (i = end; i < u->npos; i++, n++)
			changed |= evaluate(e, t[i].slot, price, SHM_CAUSE_REALTIME, m, read_ns);
	}
	rt_counter_add(e->c_evals_quote, n);
	if (changed)
		recompute_trips(e, u);
}

void proto_engine_on_quote(struct proto_engine *e, const struct shm_quote_msg *m, uint64_t read_ns)
{
	rt_counter_add(e->c_quotes, 1);
	uint32_t id = m->instr_id;
	int32_t k = id < e->dir.capacity ? e->ul_of[id] : -1;
	if (k < 0) {
		rt_counter_add(e->c_quotes_nopos, 1);
		return;
	}
	struct proto_ul *u = &e->uls[k];
	if (u->last_qseq && m->quote_seq != u->last_qseq + 1)
		rt_counter_add(e->c_gaps, 1);
	u->last_qseq = m->quote_seq;
	int64_t price = quote_price(m->bid, m->ask, m->last);
	if (price <= 0)
		return;
	u->price = price;
	/* the escalation guard: one comparison per side (a watched underlying's guard_low
	 * lets every quote through) */
	if (price > u->guard_low && price < u->guard_high) {
		rt_hist_record(e->h_board_to_read, since(read_ns, m->write_ts_ns));
		/* the cost histogram samples one quote in 64: a clock read per quote would
		 * cost as much as the comparison it measures */
		if ((rt_load_rlx_u64(e->c_quotes) & 63) == 0)
			rt_hist_record(e->h_quote_cost, since(rt_stamp_now(&e->stamp), read_ns));
		return;
	}
	on_crossing(e, u, price, m, read_ns);
	rt_hist_record(e->h_board_to_read, since(read_ns, m->write_ts_ns));
}

static int64_t board_price(struct proto_engine *e, struct proto_ul *u)
{
	struct shm_quote q;
	if (shm_board_read(&e->board, u->instr_id, &q, NULL) == 0) {
		int64_t p = quote_price(q.bid, q.ask, q.last);
		if (p > 0)
			u->price = p;
	}
	return u->price;
}

uint32_t proto_engine_cadence(struct proto_engine *e, uint64_t now)
{
	uint32_t n = 0;
	e->now = now;
	while (e->nheap && e->heap[0].due <= now) {
		struct proto_timer t = heap_pop(e);
		struct shm_pos *p = &e->pt.p[t.slot];
		if (p->state != SHM_POS_ACTIVE || p->next_eval_ns != t.due)
			continue; /* removed, or rescheduled since: a stale timer */
		struct proto_ul *u = ul_for(e, p->under_id, 0);
		if (!u)
			continue;
		int64_t price = board_price(e, u);
		if (price <= 0) {
			schedule(e, p, t.slot, now + NO_PRICE_RETRY_NS);
			continue;
		}
		rt_counter_add(e->c_evals_cadence, 1);
		if (evaluate(e, t.slot, price, SHM_CAUSE_CADENCE, NULL, 0))
			recompute_trips(e, u);
		n++;
	}
	return n;
}

/* ---- pos_id index ----------------------------------------------------------------- */

/* Sized once at attach to twice the positions table's capacity (a power of two), so
 * it is at most half full and a probe sequence always ends on an empty entry. */
static int idx_init(struct proto_engine *e)
{
	uint64_t n = 16;
	while (n < 2ull * e->pt.capacity)
		n <<= 1;
	e->idx_ids = calloc(n, sizeof(*e->idx_ids));
	e->idx_slot1 = calloc(n, sizeof(*e->idx_slot1));
	if (!e->idx_ids || !e->idx_slot1)
		return -ENOMEM;
	e->idx_mask = (uint32_t)(n - 1);
	return 0;
}

static uint32_t idx_home(const struct proto_engine *e, uint32_t id)
{
	uint32_t h = id * 0x9e3779b1u; /* Fibonacci hashing: the high bits are mixed best */
	return (h ^ (h >> 16)) & e->idx_mask;
}

static uint32_t idx_at(const struct proto_engine *e, uint32_t id)
{
	uint32_t i = idx_home(e, id);
	while (e->idx_slot1[i] && e->idx_ids[i] != id)
		i = (i + 1) & e->idx_mask;
	return i; /* its entry, or the empty entry that ends its probe sequence */
}

static int idx_put(struct proto_engine *e, uint32_t id, uint32_t slot)
{
	uint32_t i = idx_at(e, id);
	e->idx_ids[i] = id;
	e->idx_slot1[i] = slot + 1;
	return 0;
}

static void idx_del(struct proto_engine *e, uint32_t id)
{
	uint32_t m = e->idx_mask, i = idx_at(e, id);
	if (!e->idx_slot1[i])
		return;
	/* backward-shift deletion (no tombstones): pull back every later entry of the run
	 * whose home is not cyclically in (i, j], so no probe sequence is cut short */
	for (uint32_t j = (i + 1) & m; e->idx_slot1[j]; j = (j + 1) & m) {
		uint32_t h = idx_home(e, e->idx_ids[j]);
		if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
			continue;
		e->idx_ids[i] = e->idx_ids[j];
		e->idx_slot1[i] = e->idx_slot1[j];
		i = j;
	}
	e->idx_slot1[i] = 0;
}

/* ---- positions ------------------------------------------------------------------ */

int32_t proto_engine_find(const struct proto_engine *e, uint32_t pos_id)
{
	if (!e->idx_slot1)
		return -1;
	uint32_t s1 = e->idx_slot1[idx_at(e, pos_id)];
	return s1 ? (int32_t)(s1 - 1) : -1;
}

int proto_engine_apply(struct proto_engine *e, const struct shm_posctl *cmd)
{
	int32_t have = proto_engine_find(e, cmd->pos_id);
	if (cmd->op == SHM_POSCTL_REMOVE) {
		if (have < 0)
			return 0;
		struct shm_pos *p = &e->pt.p[have];
		struct proto_ul *u = ul_for(e, p->under_id, 0);
		rt_store_rlx_u32(&p->state, SHM_POS_FREE);
		idx_del(e, cmd->pos_id);
		if (u) {
			ul_remove_pos(u, (uint32_t)have);
			recompute_trips(e, u);
		}
		if ((uint32_t)have < e->free_hint)
			e->free_hint = (uint32_t)have;
		rt_counter_add(e->c_positions, (uint64_t)-1);
		return 0;
	}
	if (cmd->op != SHM_POSCTL_ADD || (cmd->right != 'P' && cmd->right != 'C') ||
	    cmd->strike <= 0 || cmd->contracts == 0 || !memchr(cmd->underlying, 0, 12))
		return -EINVAL;
	if (have >= 0)
		return 0;
	uint32_t under = shm_instr_find(&e->dir, cmd->underlying);
	if (under == SHM_INSTR_NONE)
		return -ENOENT;
	uint32_t high = rt_load_rlx_u32(&e->pt.hdr->high);
	uint32_t slot = e->free_hint;
	while (slot < high && e->pt.p[slot].state != SHM_POS_FREE)
		slot++;
	if (slot >= e->pt.capacity)
		return -ENOSPC;
	struct proto_ul *u = ul_for(e, under, 1);
	if (!u || ul_add_pos(e, u, slot))
		return -ENOMEM;
	e->free_hint = slot + 1;
	struct shm_pos *p = &e->pt.p[slot];
	memset(p, 0, sizeof(*p));
	p->pos_id = cmd->pos_id;
	p->under_id = under;
	struct shm_instr opt;
	p->option_id = shm_instr_make_option(&opt, cmd->underlying, cmd->expiry, (char)cmd->right,
					     cmd->strike) == 0
			       ? shm_instr_find(&e->dir, opt.symbol)
			       : SHM_INSTR_NONE;
	p->strike = cmd->strike;
	p->expiry = cmd->expiry;
	p->contracts = cmd->contracts;
	p->right = cmd->right;
	memcpy(p->account, cmd->account, sizeof(p->account));
	p->account[sizeof(p->account) - 1] = '\0';
	p->level_since_ns = e->now;
	p->next_eval_ns = e->now; /* evaluated on the next cadence pass */
	rt_store_rlx_u32(&p->state, SHM_POS_ACTIVE);
	idx_put(e, p->pos_id, slot);
	if (slot >= high)
		rt_store_rel_u32(&e->pt.hdr->high, slot + 1);
	heap_push(e, p->next_eval_ns, slot);
	recompute_trips(e, u);
	rt_counter_add(e->c_positions, 1);
	return 0;
}

int proto_engine_attach(struct proto_engine *e, struct shm_segment *seg,
			const struct proto_cfg *cfg, struct rt_err *err)
{
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	if (!e->cfg.quote_batch)
		e->cfg.quote_batch = 64;
	uint32_t w = cfg->worker;
	void *r;
	const struct shm_dir_entry *de;
	if (!(de = shm_segment_find_kind_name(seg, SHM_KIND_BOARD, "board")))
		return rt_err_set(err, -ENOENT, "segment has no board");
	shm_board_attach(&e->board, shm_segment_region(seg, de));
	if (!(de = shm_segment_find_kind_name(seg, SHM_KIND_INSTRUMENTS, "instruments")))
		return rt_err_set(err, -ENOENT, "segment has no instrument directory");
	shm_instr_attach(&e->dir, shm_segment_region(seg, de));
	if (!(de = shm_segment_find_kind_name(seg, SHM_KIND_ATR, "atr")))
		return rt_err_set(err, -ENOENT, "segment has no ATR table");
	shm_atr_attach(&e->atr, shm_segment_region(seg, de));
	if (!(de = shm_segment_find_kind_name(seg, SHM_KIND_CLOCK, "clock")))
		return rt_err_set(err, -ENOENT, "segment has no clock");
	e->clock = shm_segment_region(seg, de);
	if (!(r = find_region(seg, SHM_KIND_POSITIONS, SHM_ROLE_NONE, w, "positions", err)))
		return err->code;
	shm_pos_attach(&e->pt, r);
	if (!(r = find_region(seg, SHM_KIND_RING, SHM_ROLE_QUOTES, w, "quote ring", err)))
		return err->code;
	shm_ring_consumer_attach(&e->quotes, r);
	if (!(r = find_region(seg, SHM_KIND_RING, SHM_ROLE_POSCTL, w, "position-command ring",
			      err)))
		return err->code;
	shm_ring_consumer_attach(&e->posctl, r);
	if (!(r = find_region(seg, SHM_KIND_RING, SHM_ROLE_EVENTS, w, "event ring", err)))
		return err->code;
	shm_ring_producer_attach(&e->events, r);
	char name[32];
	snprintf(name, sizeof(name), "worker.%u", w);
	if (!(de = shm_segment_find_kind_name(seg, SHM_KIND_COUNTERS, name)))
		return rt_err_set(err, -ENOENT, "segment has no counters '%s'", name);
	struct shm_counters cs;
	shm_counters_attach(&cs, shm_segment_region(seg, de));
	if (!(de = shm_segment_find_kind_name(seg, SHM_KIND_HISTS, name)))
		return rt_err_set(err, -ENOENT, "segment has no histograms '%s'", name);
	struct shm_hists hs;
	shm_hists_attach(&hs, shm_segment_region(seg, de));

	e->c_quotes = shm_counters_word(&cs, "quotes");
	e->c_quotes_nopos = shm_counters_word(&cs, "quotes.no_position");
	e->c_gaps = shm_counters_word(&cs, "quotes.gaps");
	e->c_crossings = shm_counters_word(&cs, "quotes.crossings");
	e->c_evals_quote = shm_counters_word(&cs, "evals.quote");
	e->c_evals_cadence = shm_counters_word(&cs, "evals.cadence");
	e->c_levels = shm_counters_word(&cs, "events.level");
	e->c_faults = shm_counters_word(&cs, "events.fault");
	e->c_event_full = shm_counters_word(&cs, "events.ring_full");
	e->c_fault_flag = shm_counters_word(&cs, "fault");
	e->c_positions = shm_counters_word(&cs, "positions");
	e->c_posctl_applied = shm_counters_word(&cs, "posctl.applied");
	e->c_posctl_rejected = shm_counters_word(&cs, "posctl.rejected");
	e->c_heartbeat = shm_counters_word(&cs, "heartbeat.ns");
	e->c_max_level = shm_counters_word(&cs, "level.max");
	e->h_quote_to_event = shm_hists_get_or_add(&hs, "quote-to-event");
	e->h_board_to_read = shm_hists_get_or_add(&hs, "board-write-to-read");
	e->h_read_to_publish = shm_hists_get_or_add(&hs, "read-to-event");
	e->h_quote_cost = shm_hists_get_or_add(&hs, "quote-no-crossing");
	if (!e->h_quote_to_event || !e->h_board_to_read || !e->h_read_to_publish ||
	    !e->h_quote_cost)
		return rt_err_set(err, -ENOSPC, "histogram region '%s' is full", name);

	e->ul_of = malloc(e->dir.capacity * sizeof(*e->ul_of));
	if (!e->ul_of)
		return rt_err_set(err, -ENOMEM, "worker index of %u instruments", e->dir.capacity);
	memset(e->ul_of, 0xff, e->dir.capacity * sizeof(*e->ul_of));
	if (idx_init(e)) {
		proto_engine_detach(e);
		return rt_err_set(err, -ENOMEM, "worker index of %u positions", e->pt.capacity);
	}

	rt_stamp_init(&e->stamp);
	/* resume: every active position, its level and its next evaluation */
	e->now = shm_clock_now(e->clock);
	uint32_t high = rt_load_acq_u32(&e->pt.hdr->high);
	uint64_t active = 0;
	for (uint32_t i = 0; i < high; i++) {
		struct shm_pos *p = &e->pt.p[i];
		if (p->state != SHM_POS_ACTIVE)
			continue;
		struct proto_ul *u = ul_for(e, p->under_id, 1);
		if (!u || ul_add_pos(e, u, i) || heap_push(e, p->next_eval_ns, i) ||
		    idx_put(e, p->pos_id, i)) {
			proto_engine_detach(e);
			return rt_err_set(err, -ENOMEM, "rebuilding worker %u's index", w);
		}
		active++;
	}
	for (uint32_t k = 0; k < e->nuls; k++)
		recompute_trips(e, &e->uls[k]);
	rt_store_rlx_u64(e->c_positions, active);
	/* event numbering continues after a restart */
	struct shm_ring_stats st;
	shm_ring_stats_read(e->events.hdr, &st);
	e->event_seq = st.write_pos / 2;
	return 0;
}

void proto_engine_detach(struct proto_engine *e)
{
	if (!e)
		return;
	for (uint32_t k = 0; k < e->nuls; k++) {
		free(e->uls[k].pos);
		free(e->uls[k].trips);
	}
	free(e->uls);
	free(e->heap);
	free(e->ul_of);
	free(e->scratch);
	free(e->idx_ids);
	free(e->idx_slot1);
	e->uls = NULL;
	e->heap = NULL;
	e->ul_of = NULL;
	e->scratch = NULL;
	e->idx_ids = e->idx_slot1 = NULL;
	e->scratch_cap = 0;
	e->nuls = e->nheap = 0;
}

/* The replay clock's time, never backwards. */
static void replay_clock(struct proto_engine *e)
{
	uint64_t t = rt_load_acq_u64(&e->clock->now_ns);
	if (t > e->now)
		e->now = t;
	e->clock_turns = 0;
}

uint32_t proto_engine_do_work(struct proto_engine *e)
{
	uint32_t work = 0;
	/* Time. Live: the wall clock (vDSO, no shared line). Replay: the feeder moves the
	 * shared clock to each quote's time as it publishes it, so a quote's own time is
	 * that clock (taken from the message below), and the clock's line, which the
	 * feeder writes next to every quote, is read only every 64 polls and before a
	 * position command: reading it on every poll put one more cross-core transfer in
	 * front of every quote. Cadence waits at most those 64 polls (well under 10 us). */
	int replay = rt_load_rlx_u32(&e->clock->mode) != SHM_CLOCK_LIVE;
	if (!replay)
		e->now = rt_clock_wall_ns();
	else if (++e->clock_turns >= 64)
		replay_clock(e);
	const struct shm_posctl *cmd;
	if (replay && shm_ring_peek_spsc(&e->posctl))
		replay_clock(e);
	for (int i = 0; i < 32 && (cmd = shm_ring_peek_spsc(&e->posctl)) != NULL; i++) {
		if (proto_engine_apply(e, cmd) == 0)
			rt_counter_add(e->c_posctl_applied, 1);
		else
			rt_counter_add(e->c_posctl_rejected, 1);
		shm_ring_release_spsc(&e->posctl, 1);
		work++;
	}
	/* the quote batch: every slot the producer has published (up to the batch) is
	 * prefetched before anything else, so their cache-line transfers from the
	 * feeder's core overlap each other and the stamp; one release for the batch */
	uint32_t n = 0;
	uint64_t avail = shm_ring_avail_(&e->quotes, e->cfg.quote_batch);
	if (avail) {
		uint32_t batch = avail < e->cfg.quote_batch ? (uint32_t)avail : e->cfg.quote_batch;
		for (uint32_t i = 0; i < batch; i++)
			__builtin_prefetch(shm_ring_slot_(&e->quotes, e->quotes.pos + i));
		uint64_t read_ns = rt_stamp_now(&e->stamp); /* one stamp: taken together */
		for (; n < batch; n++) {
			const struct shm_quote_msg *m =
				(const struct shm_quote_msg *)shm_ring_slot_(&e->quotes,
									     e->quotes.pos + n);
			if (replay && m->exch_ts_ns > e->now)
				e->now = m->exch_ts_ns;
			proto_engine_on_quote(e, m, read_ns);
		}
		shm_ring_release_spsc(&e->quotes, n);
	}
	work += n;
	if (e->now) /* a replay clock reads 0 until the first event */
		work += proto_engine_cadence(e, e->now);
	/* heartbeat: every 256 turns, and on idle turns every heartbeat_idle_turns */
	if ((++e->iter & 255) == 0 ||
	    (work == 0 && ++e->idle_turns >= e->cfg.heartbeat_idle_turns)) {
		e->idle_turns = 0;
		/* the stamp mapping is re-anchored here, off the quote path */
		rt_store_rlx_u64(e->c_heartbeat, rt_stamp_sync(&e->stamp));
	}
	return work;
}
