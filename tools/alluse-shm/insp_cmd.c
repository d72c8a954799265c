#include "tools/alluse-shm/insp_cmd.h"

#include "rt/rt_atomic.h"
#include "rt/rt_hist.h"
#include "shm/shm_board.h"
#include "shm/shm_clock.h"
#include "shm/shm_counters.h"
#include "shm/shm_hists.h"
#include "shm/shm_instr.h"
#include "shm/shm_pos.h"
#include "shm/shm_ring.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define LCOL(title, key)                                                                           \
	{                                                                                          \
		title, key, 0, 0                                                                   \
	} /* text, left-aligned */
#define RCOL(title, key)                                                                           \
	{                                                                                          \
		title, key, 1, 0                                                                   \
	} /* number, right-aligned */
#define JCOL(title, key)                                                                           \
	{                                                                                          \
		title, key, 0, 1                                                                   \
	} /* JSON only */

/* The shm_* attach helpers take a writable region pointer because writers use them
 * too; the views only ever read through the handles they fill. */
static void *region_of(const struct insp_ctx *c, const struct shm_dir_entry *e)
{
	return shm_segment_region(c->seg, e);
}

static const struct shm_dir_entry *first_of_kind(const struct insp_ctx *c, uint32_t kind)
{
	for (uint32_t i = 0; i < c->seg->hdr->region_count; i++)
		if (c->seg->dir[i].kind == kind)
			return &c->seg->dir[i];
	return NULL;
}

/* {"command":..,"path":..,"instance":..,"now_wall_ns":.., then the view's members */
static void doc_begin(const struct insp_ctx *c, struct insp_json *j, struct insp_buf *out,
		      const char *command)
{
	char inst[SHM_INSTANCE_MAX];
	insp_copy_str(inst, sizeof(inst), c->seg->hdr->instance, SHM_INSTANCE_MAX);
	insp_json_begin(j, out);
	insp_json_str(j, "command", command);
	insp_json_str(j, "path", c->seg->path);
	insp_json_str(j, "instance", inst);
	insp_json_u64(j, "now_wall_ns", c->now_wall_ns);
}

static void doc_table(struct insp_json *j, const char *key, const struct insp_table *t)
{
	insp_json_key(j, key);
	insp_table_json(t, j->b);
}

/* ---- info ----------------------------------------------------------------------- */

static void render_info(const struct insp_ctx *c, struct insp_buf *out)
{
	const struct shm_header *h = c->seg->hdr;
	char inst[SHM_INSTANCE_MAX], created[INSP_FMT_MAX], dur[INSP_FMT_MAX];
	insp_copy_str(inst, sizeof(inst), h->instance, SHM_INSTANCE_MAX);
	insp_fmt_utc(created, h->created_wall_ns);
	int alive = shm_owner_alive(h->creator_pid, h->creator_start_ticks);
	/* system_state and the heartbeat are written by the supervisor after ready */
	uint32_t state = rt_load_rlx_u32(&h->system_state);
	uint64_t hb = rt_load_rlx_u64(&h->supervisor_heartbeat_ns);
	int hb_known = hb != 0 && hb <= c->now_ns; /* a copy from another boot: unknown */
	uint64_t hb_age = hb_known ? c->now_ns - hb : 0;
	uint32_t ready = rt_load_acq_u32(&h->ready);

	if (c->json) {
		struct insp_json j;
		doc_begin(c, &j, out, "info");
		insp_json_u64(&j, "layout_version", h->layout_version);
		insp_json_u64(&j, "size", h->total_size);
		insp_json_u64(&j, "creator_pid", h->creator_pid);
		insp_json_bool(&j, "creator_alive", alive);
		insp_json_str(&j, "created", created);
		insp_json_u64(&j, "created_wall_ns", h->created_wall_ns);
		insp_json_u64(&j, "flags", h->flags);
		insp_json_arr(&j, "flag_names");
		if (h->flags & SHM_FLAG_HUGE_PAGES)
			insp_json_str(&j, NULL, "huge-pages");
		if (h->flags & SHM_FLAG_MLOCKED)
			insp_json_str(&j, NULL, "mlocked");
		insp_json_close(&j, 0);
		insp_json_u64(&j, "page_size", h->page_size);
		insp_json_u64(&j, "region_count", h->region_count);
		insp_json_u64(&j, "system_state", state);
		insp_json_u64(&j, "heartbeat_ns", hb);
		if (hb_known)
			insp_json_u64(&j, "heartbeat_age_ns", hb_age);
		else
			insp_json_null(&j, "heartbeat_age_ns");
		insp_json_bool(&j, "ready", ready == SHM_READY);
		insp_json_close(&j, 1);
		insp_buf_puts(out, "\n");
		return;
	}

	uint64_t age_created =
		c->now_wall_ns > h->created_wall_ns ? c->now_wall_ns - h->created_wall_ns : 0;
	insp_fmt_duration(dur, age_created);
	insp_buf_printf(out, "instance        %s\n", inst);
	insp_buf_printf(out, "path            %s\n", c->seg->path);
	insp_buf_printf(out, "layout version  %u\n", h->layout_version);
	insp_buf_printf(out, "size            %" PRIu64 " bytes (%.1f MiB)\n", h->total_size,
			(double)h->total_size / (1024.0 * 1024.0));
	insp_buf_printf(out, "creator pid     %u (%s)\n", h->creator_pid, alive ? "alive" : "gone");
	insp_buf_printf(out, "created         %s (%s ago)\n", created, dur);
	char names[32] = "";
	if (h->flags & SHM_FLAG_HUGE_PAGES)
		strcat(names, "huge-pages");
	if (h->flags & SHM_FLAG_MLOCKED)
		strcat(names, names[0] ? ",mlocked" : "mlocked");
	insp_buf_printf(out, "flags           0x%x (%s)\n", h->flags, names[0] ? names : "none");
	insp_buf_printf(out, "page size       %u\n", h->page_size);
	insp_buf_printf(out, "regions         %u\n", h->region_count);
	insp_buf_printf(out, "system state    %u\n", state);
	if (hb == 0) {
		insp_buf_puts(out, "heartbeat       never\n");
	} else if (!hb_known) {
		insp_buf_printf(out,
				"heartbeat       %" PRIu64 " ns (monotonic, from another boot?)\n",
				hb);
	} else {
		insp_fmt_duration(dur, hb_age);
		insp_buf_printf(out, "heartbeat       %s ago\n", dur);
	}
	insp_buf_printf(out, "ready           %s\n", ready == SHM_READY ? "yes" : "no");
}

/* ---- regions -------------------------------------------------------------------- */

static const struct insp_col REGION_COLS[] = {
	RCOL("#", "n"),       LCOL("NAME", "name"),   LCOL("KIND", "kind"),
	LCOL("ROLE", "role"), RCOL("INDEX", "index"), RCOL("OFFSET", "offset"),
	RCOL("SIZE", "size"),
};

static void render_regions(const struct insp_ctx *c, struct insp_buf *out)
{
	struct insp_table t;
	insp_table_init(&t, REGION_COLS, ARRAY_LEN(REGION_COLS));
	for (uint32_t i = 0; i < c->seg->hdr->region_count; i++) {
		const struct shm_dir_entry *e = &c->seg->dir[i];
		insp_cell_u64(&t, i);
		insp_cell_str(&t, e->name); /* validated NUL-terminated on attach */
		insp_cell_str(&t, shm_kind_name(e->kind));
		if (e->role == SHM_ROLE_NONE)
			insp_cell_null(&t);
		else
			insp_cell_str(&t, shm_role_name(e->role));
		insp_cell_u64(&t, e->index);
		insp_cell_u64(&t, e->offset);
		insp_cell_u64(&t, e->size);
	}
	if (c->json) {
		struct insp_json j;
		doc_begin(c, &j, out, "regions");
		doc_table(&j, "regions", &t);
		insp_json_close(&j, 1);
		insp_buf_puts(out, "\n");
	} else {
		insp_table_print(&t, out, 0);
	}
	out->oom |= t.oom;
	insp_table_fini(&t);
}

/* ---- rings ---------------------------------------------------------------------- */

static const struct insp_col RING_COLS[] = {
	LCOL("NAME", "name"),         LCOL("ROLE", "role"),        RCOL("INDEX", "index"),
	RCOL("CAPACITY", "capacity"), RCOL("PUSHED", "write_pos"), RCOL("POPPED", "read_pos"),
	RCOL("DEPTH", "depth"),       RCOL("FULL", "full_count"),  RCOL("HIGH", "high_water"),
	RCOL("BATCHES", "batches"),
};

static void render_rings(const struct insp_ctx *c, struct insp_buf *out)
{
	struct insp_table t;
	insp_table_init(&t, RING_COLS, ARRAY_LEN(RING_COLS));
	for (uint32_t i = 0; i < c->seg->hdr->region_count; i++) {
		const struct shm_dir_entry *e = &c->seg->dir[i];
		if (e->kind != SHM_KIND_RING)
			continue;
		struct shm_ring_stats st;
		shm_ring_stats_read(region_of(c, e), &st);
		insp_cell_str(&t, e->name);
		if (e->role == SHM_ROLE_NONE)
			insp_cell_null(&t);
		else
			insp_cell_str(&t, shm_role_name(e->role));
		insp_cell_u64(&t, e->index);
		insp_cell_u64(&t, st.capacity);
		insp_cell_u64(&t, st.write_pos);
		insp_cell_u64(&t, st.read_pos);
		insp_cell_u64(&t, st.depth);
		insp_cell_u64(&t, st.full_count);
		insp_cell_u64(&t, st.high_water);
		insp_cell_u64(&t, st.batches);
	}
	if (c->json) {
		struct insp_json j;
		doc_begin(c, &j, out, "rings");
		doc_table(&j, "rings", &t);
		insp_json_close(&j, 1);
		insp_buf_puts(out, "\n");
	} else {
		insp_table_print(&t, out, 0);
	}
	out->oom |= t.oom;
	insp_table_fini(&t);
}

/* ---- instruments ---------------------------------------------------------------- */

/* Symbol of instrument id, or "#id" when the directory does not (yet) hold it. */
static void symbol_of(const struct shm_instr_dir *d, uint32_t id, char *out, size_t n)
{
	const struct shm_instr *in = d ? shm_instr_get(d, id) : NULL;
	if (in && id < d->capacity)
		insp_copy_str(out, n, in->symbol, SHM_INSTR_SYMBOL_MAX);
	else
		snprintf(out, n, "#%u", id);
}

static int attach_instr(const struct insp_ctx *c, struct shm_instr_dir *d)
{
	const struct shm_dir_entry *e = first_of_kind(c, SHM_KIND_INSTRUMENTS);
	if (!e)
		return 0;
	shm_instr_attach(d, region_of(c, e));
	return 1;
}

static const struct insp_col INSTR_COLS[] = {
	RCOL("ID", "id"),         LCOL("SYMBOL", "symbol"),
	LCOL("KIND", "kind"),     LCOL("UNDERLYING", "underlying"),
	LCOL("EXPIRY", "expiry"), LCOL("RIGHT", "right"),
	RCOL("STRIKE", "strike"),
};

static void render_instruments(const struct insp_ctx *c, struct insp_buf *out)
{
	struct shm_instr_dir d;
	int have = attach_instr(c, &d);
	uint32_t count = have ? shm_instr_count(&d) : 0;
	if (have && count > d.capacity)
		count = d.capacity;
	struct insp_table t;
	insp_table_init(&t, INSTR_COLS, ARRAY_LEN(INSTR_COLS));
	for (uint32_t id = 0; id < count; id++) {
		const struct shm_instr *in = &d.entries[id];
		char s[SHM_INSTR_SYMBOL_MAX + 1];
		insp_cell_u64(&t, id);
		insp_copy_str(s, sizeof(s), in->symbol, SHM_INSTR_SYMBOL_MAX);
		insp_cell_str(&t, s);
		insp_cell_str(&t, shm_instr_kind_name(in->kind));
		insp_copy_str(s, sizeof(s), in->underlying, SHM_INSTR_UNDERLYING_MAX);
		insp_cell_str(&t, s);
		if (in->expiry) {
			snprintf(s, sizeof(s), "%04u-%02u-%02u", in->expiry / 10000 % 10000,
				 in->expiry / 100 % 100, in->expiry % 100);
			insp_cell_str(&t, s);
		} else {
			insp_cell_null(&t);
		}
		if (in->right == 'C' || in->right == 'P') {
			s[0] = (char)in->right;
			s[1] = '\0';
			insp_cell_str(&t, s);
		} else {
			insp_cell_null(&t);
		}
		if (in->kind == SHM_INSTR_OPTION)
			insp_cell_price(&t, in->strike);
		else
			insp_cell_null(&t);
	}
	if (c->json) {
		struct insp_json j;
		doc_begin(c, &j, out, "instruments");
		insp_json_u64(&j, "capacity", have ? d.capacity : 0);
		insp_json_u64(&j, "count", count);
		doc_table(&j, "instruments", &t);
		insp_json_close(&j, 1);
		insp_buf_puts(out, "\n");
	} else if (!have) {
		insp_buf_puts(out, "no instrument directory in this segment\n");
	} else {
		insp_table_print(&t, out, 0);
		insp_buf_printf(out, "%u of %u instruments\n", count, d.capacity);
	}
	out->oom |= t.oom;
	insp_table_fini(&t);
}

/* ---- board ---------------------------------------------------------------------- */

static const struct insp_col BOARD_COLS[] = {
	RCOL("ID", "id"),           LCOL("SYMBOL", "symbol"),     RCOL("BID", "bid"),
	RCOL("ASK", "ask"),         RCOL("LAST", "last"),         RCOL("BID_SZ", "bid_size"),
	RCOL("ASK_SZ", "ask_size"), RCOL("LAST_SZ", "last_size"), RCOL("QSEQ", "quote_seq"),
	RCOL("AGE", "age_ns"),      JCOL("BUSY", "busy"),
};

static void render_board(const struct insp_ctx *c, struct insp_buf *out)
{
	const struct shm_dir_entry *be = first_of_kind(c, SHM_KIND_BOARD);
	struct shm_instr_dir d;
	int have_instr = attach_instr(c, &d);
	struct insp_table t;
	insp_table_init(&t, BOARD_COLS, ARRAY_LEN(BOARD_COLS));
	uint64_t retries = 0;
	uint32_t written = 0, busy = 0, capacity = 0;
	if (be) {
		struct shm_board b;
		shm_board_attach(&b, region_of(c, be));
		capacity = b.capacity;
		for (uint32_t id = 0; id < b.capacity; id++) {
			struct shm_quote q = {0};
			uint32_t r = 0;
			int rc = shm_board_read(&b, id, &q, &r);
			retries += r;
			if (rc == -ENOENT || rc == -ERANGE)
				continue;
			char sym[SHM_INSTR_SYMBOL_MAX + 8], age[INSP_FMT_MAX], age_js[24];
			symbol_of(have_instr ? &d : NULL, id, sym, sizeof(sym));
			insp_cell_u64(&t, id);
			insp_cell_str(&t, sym);
			if (rc == -EAGAIN) { /* the writer held it through every retry */
				busy++;
				insp_cell(&t, "busy", "null");
				for (int k = 0; k < 7; k++)
					insp_cell_null(&t);
				insp_cell(&t, "busy", "true");
				continue;
			}
			written++;
			insp_cell_price(&t, q.bid);
			insp_cell_price(&t, q.ask);
			insp_cell_price(&t, q.last);
			insp_cell_u64(&t, q.bid_size);
			insp_cell_u64(&t, q.ask_size);
			insp_cell_u64(&t, q.last_size);
			insp_cell_u64(&t, q.quote_seq);
			if (q.write_ts_ns != 0 && q.write_ts_ns <= c->now_ns) {
				insp_fmt_duration(age, c->now_ns - q.write_ts_ns);
				snprintf(age_js, sizeof(age_js), "%" PRIu64,
					 c->now_ns - q.write_ts_ns);
				insp_cell(&t, age, age_js);
			} else {
				insp_cell_null(&t); /* never stamped, or a copy from another boot */
			}
			insp_cell(&t, "-", "false");
		}
	}
	if (c->json) {
		struct insp_json j;
		doc_begin(c, &j, out, "board");
		if (be)
			insp_json_str(&j, "region", be->name);
		else
			insp_json_null(&j, "region");
		insp_json_u64(&j, "capacity", capacity);
		insp_json_u64(&j, "written", written);
		insp_json_u64(&j, "busy", busy);
		insp_json_u64(&j, "retries", retries);
		doc_table(&j, "quotes", &t);
		insp_json_close(&j, 1);
		insp_buf_puts(out, "\n");
	} else if (!be) {
		insp_buf_puts(out, "no board region in this segment\n");
	} else {
		insp_table_print(&t, out, 0);
		insp_buf_printf(out,
				"%u of %u slots written, %u busy, %" PRIu64 " seqlock retries\n",
				written + busy, capacity, busy, retries);
	}
	out->oom |= t.oom;
	insp_table_fini(&t);
}

/* ---- counters ------------------------------------------------------------------- */

static const struct insp_col COUNTER_COLS[] = {
	LCOL("OWNER", "owner"),
	LCOL("LABEL", "label"),
	RCOL("VALUE", "value"),
};

static void render_counters(const struct insp_ctx *c, struct insp_buf *out)
{
	struct insp_table t;
	insp_table_init(&t, COUNTER_COLS, ARRAY_LEN(COUNTER_COLS));
	for (uint32_t i = 0; i < c->seg->hdr->region_count; i++) {
		const struct shm_dir_entry *e = &c->seg->dir[i];
		if (e->kind != SHM_KIND_COUNTERS)
			continue;
		struct shm_counters cs;
		shm_counters_attach(&cs, region_of(c, e));
		uint32_t n = shm_counters_count(&cs);
		if (n > cs.capacity)
			n = cs.capacity;
		for (uint32_t k = 0; k < n; k++) {
			char label[SHM_COUNTER_LABEL_MAX + 1];
			insp_copy_str(label, sizeof(label), cs.c[k].label, SHM_COUNTER_LABEL_MAX);
			insp_cell_str(&t, e->name);
			insp_cell_str(&t, label);
			insp_cell_u64(&t, rt_load_rlx_u64(&cs.c[k].value));
		}
	}
	if (c->json) {
		struct insp_json j;
		doc_begin(c, &j, out, "counters");
		doc_table(&j, "counters", &t);
		insp_json_close(&j, 1);
		insp_buf_puts(out, "\n");
	} else {
		insp_table_print(&t, out, 0);
	}
	out->oom |= t.oom;
	insp_table_fini(&t);
}

/* ---- hist ----------------------------------------------------------------------- */

static const struct insp_col HIST_COLS[] = {
	LCOL("OWNER", "owner"), LCOL("LABEL", "label"), RCOL("COUNT", "count"),
	RCOL("MIN", "min"),     RCOL("P50", "p50"),     RCOL("P90", "p90"),
	RCOL("P99", "p99"),     RCOL("P99.9", "p999"),  RCOL("P99.99", "p9999"),
	RCOL("MAX", "max"),     RCOL("MEAN", "mean"),
};

static void render_hist(const struct insp_ctx *c, struct insp_buf *out)
{
	struct insp_table t;
	insp_table_init(&t, HIST_COLS, ARRAY_LEN(HIST_COLS));
	struct insp_buf notes = {0};
	/* a private copy: summarizing a live histogram would mix two moments */
	struct rt_hist *snap = aligned_alloc(_Alignof(struct rt_hist), sizeof(struct rt_hist));
	if (!snap) {
		out->oom = 1;
		insp_table_fini(&t);
		return;
	}
	for (uint32_t i = 0; i < c->seg->hdr->region_count; i++) {
		const struct shm_dir_entry *e = &c->seg->dir[i];
		if (e->kind != SHM_KIND_HISTS)
			continue;
		struct shm_hists hs;
		shm_hists_attach(&hs, region_of(c, e));
		uint32_t n = shm_hists_count(&hs);
		if (n > hs.capacity)
			n = hs.capacity;
		for (uint32_t k = 0; k < n; k++) {
			char label[SHM_HIST_LABEL_MAX + 1];
			insp_copy_str(label, sizeof(label), hs.slots[k].label, SHM_HIST_LABEL_MAX);
			rt_hist_snapshot(snap, &hs.slots[k].h);
			insp_cell_str(&t, e->name);
			insp_cell_str(&t, label);
			if (snap->sub_bits != RT_HIST_SUB_BITS ||
			    snap->range_bits != RT_HIST_RANGE_BITS) {
				insp_cell_null(&t);
				for (int m = 0; m < 8; m++)
					insp_cell_null(&t);
				insp_buf_printf(&notes,
						"%s/%s: bucket layout %u/%u bits, this build reads "
						"%u/%u: not summarized",
						e->name, label, snap->sub_bits, snap->range_bits,
						RT_HIST_SUB_BITS, RT_HIST_RANGE_BITS);
				insp_buf_puts(&notes, "\n");
				continue;
			}
			struct rt_hist_summary s;
			rt_hist_summarize(snap, &s);
			insp_cell_u64(&t, s.count);
			if (s.count == 0) {
				for (int m = 0; m < 8; m++)
					insp_cell_null(&t);
				continue;
			}
			uint64_t v[7] = {s.min, s.p50, s.p90, s.p99, s.p999, s.p9999, s.max};
			for (int m = 0; m < 7; m++)
				insp_cell_u64(&t, v[m]);
			char mean[32];
			snprintf(mean, sizeof(mean), "%.1f", s.mean);
			insp_cell(&t, mean, mean);
		}
	}
	free(snap);
	if (c->json) {
		struct insp_json j;
		doc_begin(c, &j, out, "hist");
		insp_json_str(&j, "unit", "ns");
		doc_table(&j, "hists", &t);
		insp_json_arr(&j, "warnings");
		for (char *line = notes.p, *nl; line && (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			insp_json_str(&j, NULL, line);
		}
		insp_json_close(&j, 0);
		insp_json_close(&j, 1);
		insp_buf_puts(out, "\n");
	} else {
		insp_buf_puts(out, "latency histograms, values in ns\n");
		insp_table_print(&t, out, 0);
		if (notes.len)
			insp_buf_put(out, notes.p, notes.len);
	}
	out->oom |= t.oom | notes.oom;
	insp_buf_fini(&notes);
	insp_table_fini(&t);
}

/* ---- positions ------------------------------------------------------------------ */

static const struct insp_col POS_COLS[] = {
	RCOL("WORKER", "worker"),
	RCOL("ID", "pos_id"),
	LCOL("ACCOUNT", "account"),
	LCOL("UNDERLYING", "underlying"),
	LCOL("RIGHT", "right"),
	RCOL("STRIKE", "strike"),
	LCOL("EXPIRY", "expiry"),
	RCOL("QTY", "contracts"),
	RCOL("LEVEL", "level"),
	RCOL("PRICE", "last_price"),
	RCOL("ATR", "atr"),
	RCOL("L1", "thr1"),
	RCOL("L2", "thr2"),
	RCOL("L3", "thr3"),
	RCOL("NEXT_EVAL", "next_eval_in_ns"),
	JCOL("EVALS", "evals"),
};

static void render_positions(const struct insp_ctx *c, struct insp_buf *out)
{
	struct shm_instr_dir d;
	int have_instr = attach_instr(c, &d);
	const struct shm_dir_entry *ce = first_of_kind(c, SHM_KIND_CLOCK);
	const struct shm_clock *clk = ce ? region_of(c, ce) : NULL;
	uint64_t now = clk ? shm_clock_now(clk) : c->now_wall_ns;
	struct insp_table t;
	insp_table_init(&t, POS_COLS, ARRAY_LEN(POS_COLS));
	uint32_t active = 0, by_level[4] = {0};
	for (uint32_t i = 0; i < c->seg->hdr->region_count; i++) {
		const struct shm_dir_entry *e = &c->seg->dir[i];
		if (e->kind != SHM_KIND_POSITIONS)
			continue;
		struct shm_pos_table pt;
		shm_pos_attach(&pt, region_of(c, e));
		uint32_t high = rt_load_acq_u32(&pt.hdr->high);
		if (high > pt.capacity)
			high = pt.capacity;
		for (uint32_t k = 0; k < high; k++) {
			struct shm_pos p;
			shm_pos_read(&pt, k, &p);
			if (p.state != SHM_POS_ACTIVE)
				continue;
			active++;
			by_level[p.level & 3]++;
			char s[SHM_INSTR_SYMBOL_MAX + 1];
			insp_cell_u64(&t, e->index);
			insp_cell_u64(&t, p.pos_id);
			insp_copy_str(s, sizeof(s), p.account, SHM_POS_ACCOUNT_MAX);
			insp_cell_str(&t, s);
			symbol_of(have_instr ? &d : NULL, p.under_id, s, sizeof(s));
			insp_cell_str(&t, s);
			s[0] = (char)p.right;
			s[1] = '\0';
			insp_cell_str(&t, s);
			insp_cell_price(&t, p.strike);
			snprintf(s, sizeof(s), "%04u-%02u-%02u", p.expiry / 10000 % 10000,
				 p.expiry / 100 % 100, p.expiry % 100);
			insp_cell_str(&t, s);
			insp_cell_u64(&t, p.contracts);
			insp_cell_u64(&t, p.level);
			if (p.last_price > 0)
				insp_cell_price(&t, p.last_price);
			else
				insp_cell_null(&t);
			if (p.atr > 0) {
				insp_cell_price(&t, p.atr);
				for (int l = 0; l < 3; l++)
					insp_cell_price(&t, p.thr[l]);
			} else {
				for (int l = 0; l < 4; l++)
					insp_cell_null(&t);
			}
			if (p.next_eval_ns > now) {
				char dur[INSP_FMT_MAX];
				insp_fmt_duration(dur, p.next_eval_ns - now);
				char js[32];
				snprintf(js, sizeof(js), "%" PRIu64, p.next_eval_ns - now);
				insp_cell(&t, dur, js);
			} else {
				insp_cell(&t, "due", "0");
			}
			insp_cell_u64(&t, p.evals);
		}
	}
	if (c->json) {
		struct insp_json j;
		doc_begin(c, &j, out, "positions");
		insp_json_u64(&j, "active", active);
		insp_json_u64(&j, "clock_ns", now);
		doc_table(&j, "positions", &t);
		insp_json_close(&j, 1);
		insp_buf_puts(out, "\n");
	} else {
		insp_table_print(&t, out, 0);
		insp_buf_printf(out, "%u positions: %u at level 0, %u at 1, %u at 2, %u at 3\n",
				active, by_level[0], by_level[1], by_level[2], by_level[3]);
	}
	out->oom |= t.oom;
	insp_table_fini(&t);
}

/* ---- dispatch ------------------------------------------------------------------- */

static const struct insp_cmd CMDS[] = {
	{"info", render_info},   {"regions", render_regions},         {"rings", render_rings},
	{"board", render_board}, {"instruments", render_instruments}, {"counters", render_counters},
	{"hist", render_hist},   {"positions", render_positions},
};

const struct insp_cmd *insp_cmd_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(CMDS); i++)
		if (strcmp(CMDS[i].name, name) == 0)
			return &CMDS[i];
	return NULL;
}
