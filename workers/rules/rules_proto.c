#include "workers/rules/rules_proto.h"

#include "feeders/feed_core.h"
#include "rt/rt_atomic.h"
#include "rt/rt_clock.h"
#include "rt/rt_log.h"
#include "shm/shm_atr.h"
#include "shm/shm_audit.h"
#include "shm/shm_board.h"
#include "shm/shm_counters.h"
#include "shm/shm_instr.h"
#include "shm/shm_pos.h"
#include "shm/shm_price.h"
#include "shm/shm_ring.h"
#include "workers/core/core_atr.h"
#include "workers/core/core_bars.h"
#include "workers/engine/positions_file.h"
#include "workers/desk/rules_desk.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_POSITIONS 65536

struct rules_proto {
	const struct rt_config *cfg;
	struct shm_segment *seg;
	struct shm_atr atr;
	struct shm_board board;
	struct shm_instr_dir dir;
	uint32_t nworkers;
	struct shm_ring posctl[64];
	struct shm_ring events[64];
	uint64_t *worker_fault[64];
	uint8_t atr_from_bars[65536 / 8];
	/* the positions as last loaded, to send only the difference on a change */
	struct shm_posctl *cur;
	int ncur;
	struct timespec mtime;
	off_t msize;
	int have_file;
	uint64_t next_check_ns;
	uint64_t *c_levels, *c_faults, *c_safe, *c_pos_loaded, *c_pos_errors, *c_max_level;
	struct shm_audit_producer *audit;
	int safe_pending, safe_level3;
	char safe_why[160];
	uint64_t seen_fault[64];
	void (*level_hook)(void *ctx, const struct shm_event *ev, uint32_t worker);
	void *level_ctx;
};

static void *region(struct shm_segment *seg, uint32_t kind, const char *name)
{
	const struct shm_dir_entry *e = shm_segment_find_kind_name(seg, kind, name);
	return e ? shm_segment_region(seg, e) : NULL;
}

struct rules_proto *rules_proto_open(struct shm_segment *seg, const struct rt_config *cfg)
{
	struct rules_proto *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return NULL;
	sp->cfg = cfg;
	sp->seg = seg;
	sp->cur = calloc(MAX_POSITIONS, sizeof(*sp->cur));
	void *a = region(seg, SHM_KIND_ATR, "atr"), *b = region(seg, SHM_KIND_BOARD, "board"),
	     *d = region(seg, SHM_KIND_INSTRUMENTS, "instruments"),
	     *c = region(seg, SHM_KIND_COUNTERS, "rules");
	if (!sp->cur || !a || !b || !d || !c) {
		rt_log_error("supervisor cannot attach the protocol regions", NULL);
		rules_proto_close(sp);
		return NULL;
	}
	shm_atr_attach(&sp->atr, a);
	shm_board_attach(&sp->board, b);
	shm_instr_attach(&sp->dir, d);
	struct shm_counters cs;
	shm_counters_attach(&cs, c);
	static uint64_t sink; /* a worker without counters: no fault to read */
#define CNT(var, label) sp->var = shm_counters_word(&cs, label)
	CNT(c_levels, "events.level");
	CNT(c_faults, "events.fault");
	CNT(c_safe, "safe.entered");
	CNT(c_pos_loaded, "positions.loaded");
	CNT(c_pos_errors, "positions.file_errors");
	CNT(c_max_level, "level.max");
	for (uint32_t w = 0; w < 64; w++) {
		const struct shm_dir_entry *pe =
			shm_segment_find(seg, SHM_KIND_RING, SHM_ROLE_POSCTL, w);
		const struct shm_dir_entry *ee =
			shm_segment_find(seg, SHM_KIND_RING, SHM_ROLE_EVENTS, w);
		if (!pe || !ee)
			break;
		shm_ring_producer_attach(&sp->posctl[w], shm_segment_region(seg, pe));
		shm_ring_consumer_attach(&sp->events[w], shm_segment_region(seg, ee));
		char name[32];
		snprintf(name, sizeof(name), "worker.%u", w);
		struct shm_counters wc;
		void *wr = region(seg, SHM_KIND_COUNTERS, name);
		sp->worker_fault[w] = &sink;
		if (wr) {
			shm_counters_attach(&wc, wr);
			sp->worker_fault[w] = shm_counters_word(&wc, "fault");
		}
		sp->nworkers = w + 1;
	}
	return sp;
}

void rules_proto_close(struct rules_proto *sp)
{
	if (!sp)
		return;
	free(sp->cur);
	free(sp);
}

static int bars_file(const char *dir, const char *sym, char *out, size_t n)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	size_t sl = strlen(sym);
	struct dirent *de;
	int rc = -ENOENT;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, sym, sl) && de->d_name[sl] == '_' &&
		    strlen(de->d_name) > 4 &&
		    !strcmp(de->d_name + strlen(de->d_name) - 4, ".csv")) {
			snprintf(out, n, "%s/%s", dir, de->d_name);
			rc = 0;
			break;
		}
	}
	closedir(d);
	return rc;
}

void rules_proto_atr_job(struct rules_proto *sp)
{
	const char *dir = sp->cfg->protocol.bars_dir;
	if (!dir[0]) {
		rt_log_warn("no daily bars configured; ATR comes from the 2% fallback",
			    "key=protocol.bars_dir");
		return;
	}
	for (uint32_t i = 0; i < sp->cfg->ninstruments; i++) {
		const char *sym = sp->cfg->instruments[i];
		uint32_t id = shm_instr_find(&sp->dir, sym);
		if (id == SHM_INSTR_NONE)
			continue;
		char path[600];
		if (bars_file(dir, sym, path, sizeof(path)) != 0) {
			rt_log_warn(
				"no daily bars for an instrument; ATR waits for the 2% fallback",
				"symbol=%s dir=%s", sym, dir);
			continue;
		}
		struct core_bar *bars;
		size_t n;
		struct rt_err err = {0};
		if (core_bars_load(path, &bars, &n, &err) != 0) {
			rt_log_error("daily bars unreadable", "symbol=%s reason=\"%s\"", sym,
				     err.msg);
			continue;
		}
		struct core_atr_input in = {.bars = bars, .count = n};
		struct core_atr_result r;
		core_atr_resolve(&in, &r);
		core_bars_free(bars);
		if (r.status == CORE_ATR_OK && id < sizeof(sp->atr_from_bars) * 8) {
			shm_atr_set(&sp->atr, id, r.atr, (uint32_t)r.status, (uint32_t)r.date,
				    rt_clock_wall_ns());
			sp->atr_from_bars[id / 8] |= (uint8_t)(1u << (id % 8));
			rt_log_info("ATR(5)", "symbol=%s atr=%.4f date=%d file=%s", sym,
				    price_to_double(r.atr), r.date, path);
		} else {
			rt_log_warn("ATR(5) not computable from the bars", "symbol=%s why=\"%s\"",
				    sym, r.why ? r.why : "?");
		}
	}
}

/* RULES §3 fallback for instruments the bars did not cover: 2 % of the current price. */
static void atr_fallbacks(struct rules_proto *sp)
{
	for (uint32_t i = 0; i < sp->cfg->ninstruments; i++) {
		uint32_t id = shm_instr_find(&sp->dir, sp->cfg->instruments[i]);
		if (id == SHM_INSTR_NONE || id >= sizeof(sp->atr_from_bars) * 8 ||
		    (sp->atr_from_bars[id / 8] & (1u << (id % 8))) || shm_atr_get(&sp->atr, id) > 0)
			continue;
		struct shm_quote q;
		if (shm_board_read(&sp->board, id, &q, NULL) != 0)
			continue;
		int64_t price = q.bid > 0 && q.ask > 0 ? q.bid + (q.ask - q.bid) / 2 : q.last;
		struct core_atr_input in = {.price = price};
		struct core_atr_result r;
		core_atr_resolve(&in, &r);
		if (r.status == CORE_ATR_FALLBACK_PCT) {
			shm_atr_set(&sp->atr, id, r.atr, (uint32_t)r.status, 0, rt_clock_wall_ns());
			rt_log_warn("ATR from the 2% fallback", "symbol=%s atr=%.4f price=%.4f",
				    sp->cfg->instruments[i], price_to_double(r.atr),
				    price_to_double(price));
		}
	}
}

void rules_proto_set_level_hook(struct rules_proto *sp,
				void (*fn)(void *ctx, const struct shm_event *ev, uint32_t worker),
				void *ctx)
{
	sp->level_hook = fn;
	sp->level_ctx = ctx;
}

int rules_proto_send_pos(struct rules_proto *sp, const struct shm_posctl *c)
{
	uint32_t w = feed_route_worker(c->underlying, sp->nworkers);
	for (int tries = 0; tries < 1000; tries++) {
		if (shm_ring_push_spsc(&sp->posctl[w], c) == 0)
			return 0;
		rt_clock_sleep_ns(1000000); /* a worker busy applying: wait a little */
	}
	rt_log_error("position command ring full; command not sent", "worker=%u pos_id=%u", w,
		     c->pos_id);
	return -EAGAIN;
}

static void load_positions(struct rules_proto *sp)
{
	const char *path = sp->cfg->protocol.positions_file;
	struct stat st;
	if (stat(path, &st) != 0) {
		if (sp->have_file || sp->next_check_ns == 0)
			rt_log_warn("positions file not found; watching none", "path=%s", path);
		sp->have_file = 0;
		return;
	}
	if (sp->have_file && st.st_mtim.tv_sec == sp->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == sp->mtime.tv_nsec && st.st_size == sp->msize)
		return;
	sp->have_file = 1;
	sp->mtime = st.st_mtim;
	sp->msize = st.st_size;
	static struct shm_posctl next[MAX_POSITIONS];
	struct rt_err err = {0};
	int n = posfile_load(path, next, MAX_POSITIONS, &err);
	for (int i = 0; n >= 0 && i < n; i++)
		if (next[i].pos_id >= RULES_DESK_POS_BASE) {
			n = rt_err_set(&err, -ERANGE,
				       "%s: position %u: ids from %u up belong to the rules "
				       "process's own positions (allowed: 1..%u)",
				       path, next[i].pos_id, RULES_DESK_POS_BASE,
				       RULES_DESK_POS_BASE - 1);
		} else if (shm_instr_find(&sp->dir, next[i].underlying) == SHM_INSTR_NONE) {
			n = rt_err_set(&err, -ENOENT,
				       "%s: position %u: underlying '%s' is not in the configured "
				       "instruments",
				       path, next[i].pos_id, next[i].underlying);
		}
	if (n < 0) {
		rt_counter_add(sp->c_pos_errors, 1);
		rt_log_error("positions file refused; keeping the current positions",
			     "reason=\"%s\"", err.msg);
		return;
	}
	/* removed or changed: remove; new or changed: add */
	uint32_t added = 0, removed = 0;
	for (int i = 0; i < sp->ncur; i++) {
		int keep = 0;
		for (int j = 0; j < n && !keep; j++)
			keep = !memcmp(&sp->cur[i], &next[j], sizeof(next[j]));
		if (!keep) {
			struct shm_posctl rm = sp->cur[i];
			rm.op = SHM_POSCTL_REMOVE;
			removed += rules_proto_send_pos(sp, &rm) == 0;
		}
	}
	for (int j = 0; j < n; j++) {
		int had = 0;
		for (int i = 0; i < sp->ncur && !had; i++)
			had = !memcmp(&sp->cur[i], &next[j], sizeof(next[j]));
		if (!had)
			added += rules_proto_send_pos(sp, &next[j]) == 0;
	}
	memcpy(sp->cur, next, (size_t)n * sizeof(next[0]));
	sp->ncur = n;
	rt_store_rlx_u64(sp->c_pos_loaded, (uint64_t)n);
	rt_log_info("positions loaded", "path=%s positions=%d added=%u removed=%u", path, n, added,
		    removed);
}

/* Record that the system must go SAFE; the rules loop applies it to the state machine
 * (rules_proto_take_safe), which is the only writer of the header's system state. */
static void go_safe(struct rules_proto *sp, const char *why, uint32_t worker, uint32_t pos_id,
		    int level3)
{
	if (!sp->safe_pending || level3) {
		snprintf(sp->safe_why, sizeof(sp->safe_why), "%s (worker %u, position %u)", why,
			 worker, pos_id);
		sp->safe_level3 |= level3;
	}
	sp->safe_pending = 1;
	rt_counter_add(sp->c_safe, 1);
	rt_log_error("system must go SAFE", "why=\"%s\" worker=%u pos_id=%u", why, worker, pos_id);
}

void rules_proto_set_audit(struct rules_proto *sp, struct shm_audit_producer *audit)
{
	sp->audit = audit;
}

static void audit_event(struct rules_proto *sp, const struct shm_event *ev, uint32_t w);

int rules_proto_take_safe(struct rules_proto *sp, int *level3, const char **why)
{
	if (!sp->safe_pending)
		return 0;
	sp->safe_pending = 0;
	*level3 = sp->safe_level3;
	*why = sp->safe_why;
	sp->safe_level3 = 0;
	return 1;
}

uint32_t rules_proto_tick(struct rules_proto *sp, uint64_t now_ns)
{
	if (now_ns >= sp->next_check_ns) {
		load_positions(sp);
		atr_fallbacks(sp);
		sp->next_check_ns = now_ns + 1000000000ull;
	}
	uint32_t n = 0;
	for (uint32_t w = 0; w < sp->nworkers; w++) {
		uint64_t fault = rt_load_rlx_u64(sp->worker_fault[w]);
		if (fault && !sp->seen_fault[w]) {
			sp->seen_fault[w] = fault;
			go_safe(sp, "event ring full: a level change could not be published", w, 0,
				0);
		}
		struct shm_event ev;
		while (n < 4096 && shm_ring_pop_batch_spsc(&sp->events[w], &ev, 2) == 2) {
			n++;
			audit_event(sp, &ev, w);
			const char *sym = "?";
			const struct shm_instr *in = shm_instr_get(&sp->dir, ev.under_id);
			if (in)
				sym = in->symbol;
			if (ev.kind == SHM_EV_FAULT) {
				rt_counter_add(sp->c_faults, 1);
				rt_log_error("protocol fault",
					     "worker=%u pos_id=%u symbol=%s cause=%s", w, ev.pos_id,
					     sym, shm_event_cause_name(ev.cause));
				go_safe(sp, shm_event_cause_name(ev.cause), w, ev.pos_id, 0);
				continue;
			}
			rt_counter_add(sp->c_levels, 1);
			if (ev.to > rt_load_rlx_u64(sp->c_max_level))
				rt_store_rlx_u64(sp->c_max_level, ev.to);
			rt_log(ev.to > ev.from ? RT_LOG_WARN : RT_LOG_INFO, "protocol level",
			       "worker=%u pos_id=%u symbol=%s right=%c strike=%.2f from=%u to=%u "
			       "price=%.4f atr=%.4f thr=%.4f/%.4f/%.4f cause=%s seq=%" PRIu64,
			       w, ev.pos_id, sym, ev.right, price_to_double(ev.strike), ev.from,
			       ev.to, price_to_double(ev.price), price_to_double(ev.atr),
			       price_to_double(ev.thr[0]), price_to_double(ev.thr[1]),
			       price_to_double(ev.thr[2]), shm_event_cause_name(ev.cause),
			       ev.event_seq);
			if (sp->level_hook)
				sp->level_hook(sp->level_ctx, &ev, w);
			if (ev.to == 3)
				go_safe(sp,
					"level 3 (preservation): stop-loss exit, operator reset "
					"needed",
					w, ev.pos_id, 1);
		}
	}
	return n;
}

static void audit_event(struct rules_proto *sp, const struct shm_event *ev, uint32_t w)
{
	if (!sp->audit)
		return;
	int rc;
	if (ev->kind == SHM_EV_FAULT) {
		struct shm_audit_fault f;
		memset(&f, 0, sizeof(f));
		snprintf((char *)&f, sizeof(f), "worker %u position %u: %s", w, ev->pos_id,
			 shm_event_cause_name(ev->cause));
		rc = shm_audit_emit(sp->audit, SHM_AUDIT_FAULT, ev->event_time_ns, &f, sizeof(f));
	} else {
		rc = shm_audit_emit_level(sp->audit, ev);
	}
	if (rc == -EAGAIN)
		go_safe(sp, "audit ring full: a decision could not be recorded", w, ev->pos_id, 0);
}
