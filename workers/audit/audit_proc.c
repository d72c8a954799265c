#include "workers/audit/audit_proc.h"

#include "rt/rt_atomic.h"
#include "rt/rt_clock.h"
#include "rt/rt_log.h"
#include "shm/shm_audit.h"
#include "shm/shm_counters.h"
#include "workers/audit/audit_pg.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RINGS 300u
#define RING_BUDGET 1024u
#define FULL_CHECK_NS 100000000ull /* look at the rings' full counts every 100 ms */
#define IDLE_MIN_NS 20000ull

enum ctr {
	C_APPENDED,
	C_DURABLE,
	C_COMMITS,
	C_BYTES,
	C_TORN,
	C_CORRUPT,
	C_FAILED,
	C_RINGS,
	C_RECORDS,
	C_BAD,
	C_GAPS,
	C_FULL,
	C_PG_CONNECTED,
	C_PG_SHIPPED,
	C_PG_BACKLOG,
	C_PG_ERRORS,
	C_PG_ROWS,
	C_STARTS,
	C_COUNT
};
static const char *const CTR_LABEL[C_COUNT] = {
	"journal.appended_seq",
	"journal.durable_seq",
	"journal.commits",
	"journal.bytes",
	"journal.torn_cut",
	"journal.corrupt",
	"journal.failed",
	"rings.count",
	"rings.records",
	"rings.bad",
	"rings.gaps",
	"rings.full",
	"pg.connected",
	"pg.shipped_seq",
	"pg.backlog",
	"pg.errors",
	"pg.rows",
	"audit.starts",
};

struct ring {
	struct shm_audit_consumer c;
	char name[SHM_REGION_NAME_MAX];
	uint64_t last_seq; /* last src_seq journaled (0: unknown) */
	uint64_t *full_seen; /* ring full_count already reported (a counter: survives us) */
	uint64_t full_local;
	int bad_run; /* the previous decode failed (report a run once) */
};

struct audit_proc {
	struct audit_cfg cfg;
	struct shm_segment *seg;
	struct audit_journal *j;
	struct audit_pg *pg;
	struct ring *rings;
	uint32_t nrings;
	struct ring *by_src[SHM_AUDIT_SRC_MAX + 1];
	uint64_t *ctr[C_COUNT];
	struct shm_counters counters;
	int have_counters;
	uint64_t local_ctr[C_COUNT];
	uint64_t records;
	uint64_t next_full_check;
	uint64_t idle_ns;
	short pg_revents;
	struct shm_audit_msg msg;
};

void audit_cfg_defaults(struct audit_cfg *c, const char *instance)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->instance, sizeof(c->instance), "%s", instance ? instance : "dev");
	snprintf(c->journal_dir, sizeof(c->journal_dir), "var/audit/%s", c->instance);
	c->rotate_bytes = AUDIT_ROTATE_DEFAULT;
	c->commit_ms = AUDIT_COMMIT_MS_DEFAULT;
	c->commit_records = AUDIT_COMMIT_RECORDS_DEFAULT;
	c->idle_max_us = 1000;
	c->pg_batch_rows = AUDIT_PG_BATCH_DEFAULT;
	c->pg_retry_max_ms = AUDIT_PG_RETRY_MAX_MS;
	c->drain_ms = 2000;
}

static inline void cset(struct audit_proc *p, enum ctr c, uint64_t v)
{
	rt_store_rlx_u64(p->ctr[c], v);
}

static inline void cadd(struct audit_proc *p, enum ctr c, uint64_t n)
{
	rt_counter_add(p->ctr[c], n);
}

static void attach_counters(struct audit_proc *p)
{
	const struct shm_dir_entry *e =
		shm_segment_find_kind_name(p->seg, SHM_KIND_COUNTERS, "audit");
	struct shm_counters cs;
	int have = 0;
	if (e && shm_counters_check(shm_segment_region(p->seg, e), e->size, NULL) == 0) {
		shm_counters_attach(&cs, shm_segment_region(p->seg, e));
		have = 1;
		p->counters = cs;
		p->have_counters = 1;
	}
	for (int i = 0; i < C_COUNT; i++) {
		p->ctr[i] = have ? shm_counters_get_or_add(&cs, CTR_LABEL[i]) : NULL;
		if (!p->ctr[i])
			p->ctr[i] = &p->local_ctr[i];
	}
	if (!have)
		rt_log_warn("no 'audit' counters region: counters stay in process memory",
			    "instance=%s", p->cfg.instance);
}

/* One of the audit process's own records (journal mechanics; outside the digest). */
static int own_fault(struct audit_proc *p, uint32_t code, uint32_t arg, uint64_t value,
		     const char *text)
{
	struct shm_audit_fault f;
	memset(&f, 0, sizeof(f));
	f.code = code;
	f.arg = arg;
	f.value = value;
	snprintf(f.text, sizeof(f.text), "%s", text ? text : "");
	struct audit_journal_stats st;
	audit_journal_stats(p->j, &st);
	struct audit_rec_in in = {
		.source = SHM_AUDIT_SRC_AUDIT,
		.kind = SHM_AUDIT_FAULT,
		.src_seq = st.appended_seq + 1,
		.event_ns = rt_clock_wall_ns(),
		.recv_ns = rt_clock_now_ns(),
		.plen = sizeof(f),
		.payload = &f,
	};
	int rc = audit_journal_append(p->j, &in, NULL);
	if (rc == -ENOBUFS) {
		/* rare: make room by committing what is buffered, then retry once */
		struct rt_err e = {0};
		if (audit_journal_flush(p->j, &e) == 0)
			rc = audit_journal_append(p->j, &in, NULL);
	}
	return rc;
}

static void on_durable(void *arg, uint32_t source, uint64_t pos)
{
	struct audit_proc *p = arg;
	struct ring *r = source <= SHM_AUDIT_SRC_MAX ? p->by_src[source] : NULL;
	if (r)
		shm_audit_consumer_commit(&r->c, pos);
}

static int find_rings(struct audit_proc *p, struct rt_err *err)
{
	const struct shm_segment *seg = p->seg;
	uint32_t n = seg->hdr->region_count;
	p->rings = calloc(MAX_RINGS, sizeof(*p->rings));
	if (!p->rings)
		return rt_err_set(err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		const struct shm_dir_entry *e = &seg->dir[i];
		if (e->kind != SHM_KIND_RING || e->role != SHM_ROLE_AUDIT)
			continue;
		size_t pl = strlen(SHM_AUDIT_RING_NAME_PREFIX);
		int src = strncmp(e->name, SHM_AUDIT_RING_NAME_PREFIX, pl)
				  ? -EINVAL
				  : shm_audit_source_id(e->name + pl);
		if (src < 0 || src == SHM_AUDIT_SRC_AUDIT)
			return rt_err_set(err, -EINVAL,
					  "audit ring '%s': the name must be audit.<owner> with a "
					  "known owner",
					  e->name);
		if (p->by_src[src])
			return rt_err_set(err, -EINVAL, "two audit rings for source '%s'",
					  e->name + pl);
		if (p->nrings == MAX_RINGS)
			return rt_err_set(err, -ENOSPC, "more than %u audit rings", MAX_RINGS);
		void *region = shm_segment_region(seg, e);
		int rc = shm_ring_check(region, e->size, err);
		if (rc)
			return rt_err_wrap(err, "audit ring '%s'", e->name);
		struct ring *r = &p->rings[p->nrings++];
		shm_audit_consumer_attach(&r->c, region, (uint32_t)src);
		snprintf(r->name, sizeof(r->name), "%s", e->name);
		/* refusals while no audit process ran are reported once, by the next one */
		char label[SHM_COUNTER_LABEL_MAX];
		snprintf(label, sizeof(label), "reported_full.%s", e->name);
		r->full_seen =
			p->have_counters ? shm_counters_get_or_add(&p->counters, label) : NULL;
		if (!r->full_seen) {
			r->full_local = rt_load_rlx_u64(&r->c.ring.hdr->full_count);
			r->full_seen = &r->full_local;
		}
		p->by_src[src] = r;
	}
	cset(p, C_RINGS, p->nrings);
	return 0;
}

/* Records journaled after the durable position the previous audit process published
 * (it died before publishing their ring positions): skip them in the rings. */
static int skip_journaled(struct audit_proc *p, struct rt_err *err)
{
	struct audit_journal_stats st;
	audit_journal_stats(p->j, &st);
	uint64_t starts = rt_load_rlx_u64(p->ctr[C_STARTS]);
	uint64_t from = rt_load_rlx_u64(p->ctr[C_DURABLE]);
	if (starts == 0) {
		/* first audit process on this segment: everything journaled so far came
		 * from earlier segments, whose ring positions mean nothing here */
		cset(p, C_DURABLE, st.durable_seq);
		cadd(p, C_STARTS, 1);
		return 0;
	}
	uint64_t skipped = 0;
	if (from < st.durable_seq) {
		struct audit_jreader *r;
		int rc = audit_jreader_open(&r, p->cfg.journal_dir, err);
		if (rc)
			return rc;
		rc = audit_jreader_seek(r, from + 1, err);
		while (rc == 0) {
			struct audit_rec_view v;
			int n = audit_jreader_next(r, &v, NULL, err);
			if (n < 0) {
				rc = n;
				break;
			}
			if (n == 0)
				break;
			struct ring *rg =
				v.h.source <= SHM_AUDIT_SRC_MAX ? p->by_src[v.h.source] : NULL;
			if (!rg || !v.h.src_pos)
				continue;
			shm_audit_consumer_skip_to(&rg->c, v.h.src_pos);
			rg->last_seq = v.h.src_seq;
			skipped++;
		}
		audit_jreader_close(r);
		if (rc && rc != -ENOENT)
			return rt_err_wrap(err, "re-reading the journal after %llu",
					   (unsigned long long)from);
		/* those records are durable (the journal was synced when opened) */
		for (uint32_t i = 0; i < p->nrings; i++)
			shm_audit_consumer_commit(&p->rings[i].c, p->rings[i].c.ring.pos);
	}
	cset(p, C_DURABLE, st.durable_seq);
	cadd(p, C_STARTS, 1);
	if (skipped)
		rt_log_info("records already journaled skipped in the rings",
			    "records=%llu after_seq=%llu", (unsigned long long)skipped,
			    (unsigned long long)from);
	return 0;
}

int audit_proc_open(struct audit_proc **out, struct shm_segment *seg, const struct audit_cfg *cfg,
		    struct rt_err *err)
{
	*out = NULL;
	struct audit_proc *p = calloc(1, sizeof(*p));
	if (!p)
		return rt_err_set(err, -ENOMEM, "out of memory");
	p->cfg = *cfg;
	p->seg = seg;
	p->idle_ns = IDLE_MIN_NS;
	attach_counters(p);
	int rc = find_rings(p, err);
	if (rc)
		goto fail;
	struct audit_journal_cfg jc = {
		.dir = cfg->journal_dir,
		.instance = cfg->instance,
		.rotate_bytes = cfg->rotate_bytes,
		.commit_ms = cfg->commit_ms,
		.commit_records = cfg->commit_records,
		.io_hook = cfg->io_hook,
		.io_hook_arg = cfg->io_hook_arg,
		.on_durable = on_durable,
		.durable_arg = p,
	};
	struct audit_journal_report rep;
	rc = audit_journal_open(&p->j, &jc, &rep, err);
	if (rc)
		goto fail;
	rc = skip_journaled(p, err);
	if (rc)
		goto fail;
	rt_log_info("journal open", "dir=%s files=%u last_seq=%llu rings=%u", cfg->journal_dir,
		    rep.files, (unsigned long long)rep.last_jseq, p->nrings);
	if (rep.header_removed) {
		rt_log_warn(
			"journal: removed a file with an incomplete header (crash during rotation)",
			"file=%s", rep.removed_file);
		own_fault(p, AUDIT_FAULT_FILE_REMOVED, 0, 0, rep.removed_file);
	}
	if (rep.corrupt) {
		rt_log_error(
			"journal: invalid record before valid ones (kept; run alluse-audit verify)",
			"seq=%llu file=%s offset=%llu why=\"%s\"",
			(unsigned long long)rep.corrupt_jseq, rep.corrupt_file,
			(unsigned long long)rep.corrupt_off, rep.corrupt_why);
		own_fault(p, AUDIT_FAULT_CORRUPT, (uint32_t)rep.corrupt_off, rep.corrupt_jseq,
			  rep.corrupt_file);
		cadd(p, C_CORRUPT, 1);
	}
	if (rep.torn_cut) {
		rt_log_warn("journal: torn last record cut",
			    "file=%s offset=%llu bytes=%llu seq=%llu why=\"%s\"", rep.torn_file,
			    (unsigned long long)rep.torn_off, (unsigned long long)rep.torn_bytes,
			    (unsigned long long)rep.torn_jseq, rep.torn_why);
		own_fault(p, AUDIT_FAULT_TORN_CUT, (uint32_t)rep.torn_bytes, rep.torn_off,
			  rep.torn_file);
		cadd(p, C_TORN, 1);
	}
	if (cfg->pg_dsn[0]) {
		struct audit_pg_cfg pc = {
			.dsn = cfg->pg_dsn,
			.instance = cfg->instance,
			.journal_dir = cfg->journal_dir,
			.batch_rows = cfg->pg_batch_rows,
			.retry_max_ms = cfg->pg_retry_max_ms,
		};
		rc = audit_pg_open(&p->pg, &pc, err);
		if (rc)
			goto fail;
	}
	*out = p;
	return 0;
fail:
	audit_proc_close(p);
	return rc;
}

static int drain_ring(struct audit_proc *p, struct ring *r, uint64_t now, int *full)
{
	int n = 0;
	struct shm_audit_msg *m = &p->msg;
	while (n < (int)RING_BUDGET) {
		uint64_t before = r->c.ring.pos;
		struct rt_err e = {0};
		int rc = shm_audit_consumer_next(&r->c, m, &e);
		if (rc == -EAGAIN)
			break;
		if (rc == -EBADMSG) {
			cadd(p, C_BAD, 1);
			if (!r->bad_run) {
				rt_log_error("audit ring holds an invalid record",
					     "ring=%s reason=\"%s\"", r->name, e.msg);
				if (own_fault(p, AUDIT_FAULT_RING_BAD, r->c.source, before,
					      r->name) == -ENOBUFS) {
					r->c.ring.pos = before;
					*full = 1;
					break;
				}
			}
			r->bad_run = 1;
			n++;
			continue;
		}
		r->bad_run = 0;
		struct audit_rec_in in = {
			.source = r->c.source,
			.kind = m->kind,
			.src_seq = m->src_seq,
			.event_ns = m->event_ns,
			.recv_ns = now,
			.emit_ns = m->emit_ns,
			.src_pos = m->pos_end,
			.nlat = m->nlat,
			.lat = m->lat,
			.plen = m->len,
			.payload = m->payload,
		};
		rc = audit_journal_append(p->j, &in, NULL);
		if (rc == -ENOBUFS) {
			r->c.ring.pos = before; /* not taken: read it again after the commit */
			*full = 1;
			break;
		}
		if (rc)
			return rc;
		if (r->last_seq && m->src_seq != r->last_seq + 1) {
			cadd(p, C_GAPS, 1);
			rt_log_error("audit ring sequence gap", "ring=%s expected=%llu got=%llu",
				     r->name, (unsigned long long)(r->last_seq + 1),
				     (unsigned long long)m->src_seq);
			own_fault(p, AUDIT_FAULT_RING_GAP, r->c.source, m->src_seq, r->name);
		}
		r->last_seq = m->src_seq;
		n++;
	}
	if (n)
		cadd(p, C_RECORDS, (uint64_t)n);
	p->records += (uint64_t)n;
	return n;
}

static void check_full(struct audit_proc *p)
{
	for (uint32_t i = 0; i < p->nrings; i++) {
		struct ring *r = &p->rings[i];
		uint64_t f = rt_load_rlx_u64(&r->c.ring.hdr->full_count);
		uint64_t seen = rt_load_rlx_u64(r->full_seen);
		if (f <= seen)
			continue;
		if (own_fault(p, AUDIT_FAULT_RING_FULL, r->c.source, f - seen, r->name) != 0)
			continue; /* try again next time */
		rt_store_rlx_u64(r->full_seen, f);
		cadd(p, C_FULL, f - seen);
		rt_log_error("audit ring was full: its producer refused records and must go SAFE",
			     "ring=%s refused=%llu", r->name, (unsigned long long)(f - seen));
	}
}

static void publish(struct audit_proc *p)
{
	struct audit_journal_stats st;
	audit_journal_stats(p->j, &st);
	cset(p, C_APPENDED, st.appended_seq);
	cset(p, C_DURABLE, st.durable_seq);
	cset(p, C_COMMITS, st.commits);
	cset(p, C_BYTES, st.bytes);
	if (p->pg) {
		struct audit_pg_stats ps;
		audit_pg_stats(p->pg, &ps);
		cset(p, C_PG_CONNECTED, (uint64_t)ps.connected);
		cset(p, C_PG_SHIPPED, ps.shipped_seq);
		cset(p, C_PG_BACKLOG,
		     st.durable_seq > ps.shipped_seq ? st.durable_seq - ps.shipped_seq : 0);
		cset(p, C_PG_ERRORS, ps.errors);
		cset(p, C_PG_ROWS, ps.rows);
	}
}

int audit_proc_do_work(struct audit_proc *p, struct rt_err *err)
{
	uint64_t now = rt_clock_now_ns();
	int work = 0, full = 0;
	for (uint32_t i = 0; i < p->nrings && !full; i++) {
		int n = drain_ring(p, &p->rings[i], now, &full);
		if (n < 0)
			break;
		work += n;
	}
	if (now >= p->next_full_check) {
		p->next_full_check = now + FULL_CHECK_NS;
		check_full(p);
	}
	int rc = audit_journal_poll(p->j, now, err);
	if (rc < 0) {
		cset(p, C_FAILED, 1);
		return rc;
	}
	work += rc;
	if (p->pg) {
		struct audit_journal_stats st;
		audit_journal_stats(p->j, &st);
		work += audit_pg_step(p->pg, now, st.durable_seq, p->pg_revents);
		p->pg_revents = 0;
	}
	publish(p);
	return work;
}

void audit_proc_idle(struct audit_proc *p, int work)
{
	if (work > 0) {
		p->idle_ns = IDLE_MIN_NS;
		return;
	}
	uint64_t now = rt_clock_now_ns();
	uint64_t until = now + p->idle_ns;
	uint64_t d = audit_journal_deadline(p->j);
	if (d < until)
		until = d;
	struct pollfd fds[2] = {{.fd = audit_journal_fd(p->j), .events = POLLIN}, {.fd = -1}};
	int nfds = 1;
	if (p->pg) {
		struct audit_journal_stats st;
		audit_journal_stats(p->j, &st);
		d = audit_pg_deadline(p->pg, st.durable_seq);
		if (d < until)
			until = d;
		short ev = 0;
		int fd = audit_pg_fd(p->pg, &ev);
		if (fd >= 0) {
			fds[1].fd = fd;
			fds[1].events = ev;
			nfds = 2;
		}
	}
	p->idle_ns *= 2;
	if (p->idle_ns > (uint64_t)p->cfg.idle_max_us * 1000ull)
		p->idle_ns = (uint64_t)p->cfg.idle_max_us * 1000ull;
	if (p->idle_ns < IDLE_MIN_NS)
		p->idle_ns = IDLE_MIN_NS;
	if (until <= now)
		return;
	uint64_t wait = until - now;
	struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000ull),
			      .tv_nsec = (long)(wait % 1000000000ull)};
	if (ppoll(fds, (nfds_t)nfds, &ts, NULL) > 0 && nfds == 2)
		p->pg_revents = fds[1].revents;
}

int audit_proc_run(struct audit_proc *p, int (*stop)(void), struct rt_err *err)
{
	while (!stop()) {
		int w = audit_proc_do_work(p, err);
		if (w < 0)
			return w;
		audit_proc_idle(p, w);
	}
	/* stop: journal what the rings hold now, make it durable, then ship a while */
	for (int i = 0; i < 64; i++) {
		int w = audit_proc_do_work(p, err);
		if (w < 0)
			return w;
		if (w == 0)
			break;
	}
	int rc = audit_journal_flush(p->j, err);
	if (rc) {
		cset(p, C_FAILED, 1);
		return rc;
	}
	rc = audit_proc_do_work(p, err); /* publish ring positions and counters */
	if (rc < 0)
		return rc;
	if (p->pg) {
		uint64_t end = rt_clock_now_ns() + (uint64_t)p->cfg.drain_ms * 1000000ull;
		for (;;) {
			struct audit_journal_stats st;
			struct audit_pg_stats ps;
			audit_journal_stats(p->j, &st);
			audit_pg_stats(p->pg, &ps);
			if (ps.shipped_seq >= st.durable_seq || rt_clock_now_ns() >= end)
				break;
			int w = audit_proc_do_work(p, err);
			if (w < 0)
				return w;
			audit_proc_idle(p, w);
		}
	}
	publish(p);
	return 0;
}

void audit_proc_stats(const struct audit_proc *p, struct audit_proc_stats *st)
{
	memset(st, 0, sizeof(*st));
	struct audit_journal_stats js;
	audit_journal_stats(p->j, &js);
	st->rings = p->nrings;
	st->records = p->records;
	st->appended_seq = js.appended_seq;
	st->durable_seq = js.durable_seq;
	if (p->pg) {
		struct audit_pg_stats ps;
		audit_pg_stats(p->pg, &ps);
		st->pg_shipped_seq = ps.shipped_seq;
		st->pg_connected = ps.connected;
	}
}

void audit_proc_close(struct audit_proc *p)
{
	if (!p)
		return;
	audit_pg_close(p->pg);
	audit_journal_close(p->j);
	free(p->rings);
	free(p);
}
