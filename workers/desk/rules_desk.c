#include "workers/desk/rules_desk.h"

#include "rt/rt_atomic.h"
#include "rt/rt_log.h"
#include "shm/shm_atr.h"
#include "shm/shm_audit.h"
#include "shm/shm_board.h"
#include "shm/shm_counters.h"
#include "shm/shm_instr.h"
#include "shm/shm_price.h"
#include "workers/audit/audit_crc32c.h"
#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_nyse.h"
#include "workers/core/core_rules_protocol.h"
#include "workers/core/core_rules_scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SNAP_MAGIC "ALUDESK1"
#define SNAP_VERSION 2u /* 2: no copy of the levels */
#define CHAIN_MAX 65536u

struct snap_head {
	char magic[8];
	uint32_t version;
	uint32_t size; /* payload bytes: sizeof(struct rules_desk_state) */
	uint32_t crc; /* CRC32C of the payload */
	uint32_t pad;
};

struct rules_desk {
	const struct core_rules_cfg *cfg;
	struct rules_desk_ops ops;
	struct shm_audit_producer *audit;
	struct shm_instr_dir dir;
	struct shm_board board;
	struct shm_atr atr;
	int have_atr;
	struct shm_pos_table pt[64]; /* the workers' positions tables (levels) */
	uint32_t npt;
	char snapshot[512];
	struct rules_desk_state st;
	struct core_rules_quote *chain;
	/* the "desk" counters region (inspector: alluse-shm counters) */
	struct shm_counters cs;
	int have_cs;
	uint64_t n_intents, n_fills, n_jobs;
};

/* ---- names ------------------------------------------------------------------ */

void rules_desk_account_name(const struct core_rules_account *a, char *buf, size_t n)
{
	snprintf(buf, n, "%s%u", core_rules_acct_name(a->type), a->id);
}

static const char *acct_name(struct rules_desk *d, uint32_t id, char *buf, size_t n)
{
	struct core_rules_account *a = core_rules_accounts_find(&d->st.accts, id);
	if (a)
		rules_desk_account_name(a, buf, n);
	else
		snprintf(buf, n, "acct%u", id);
	return buf;
}

static void occ(const char *sym, enum core_right right, int64_t strike, int32_t expiry, char *buf,
		size_t n)
{
	struct shm_instr in;
	if (shm_instr_make_option(&in, sym, (uint32_t)expiry, (char)right, strike) == 0)
		snprintf(buf, n, "%s", in.symbol);
	else
		snprintf(buf, n, "%s %d %c %.2f", sym, expiry, (char)right,
			 price_to_double(strike));
}

/* ---- counters ----------------------------------------------------------------- */

static void put(struct rules_desk *d, const char *label, uint64_t v)
{
	rt_store_rlx_u64(shm_counters_word(&d->cs, label), v);
}

/* Money as signed cents in a u64 word (two's complement: the inspector's JSON shows
 * the bits; docs/rules-process.md). */
static uint64_t cents(int64_t money)
{
	return (uint64_t)(money / (PRICE_SCALE / 100));
}

/* The desk's state for the inspector (single writer: this process). */
static void publish(struct rules_desk *d)
{
	if (!d->have_cs)
		return;
	uint32_t shorts = 0;
	for (uint32_t i = 0; i < d->st.book.n; i++)
		shorts += d->st.book.pos[i].kind == CORE_POS_OPTION && d->st.book.pos[i].qty < 0;
	put(d, "accounts", d->st.accts.count);
	put(d, "positions", d->st.book.n);
	put(d, "positions.short_options", shorts);
	put(d, "forks", d->st.accts.nforks);
	put(d, "intents", d->n_intents);
	put(d, "fills.paper", d->n_fills);
	put(d, "jobs", d->n_jobs);
	for (uint32_t a = 0; a < d->st.accts.count; a++) {
		const struct core_rules_account *acct = &d->st.accts.acct[a];
		char an[16], label[SHM_COUNTER_LABEL_MAX];
		rules_desk_account_name(acct, an, sizeof(an));
		snprintf(label, sizeof(label), "%s.balance_cents", an);
		put(d, label, cents(acct->balance));
		snprintf(label, sizeof(label), "%s.available_cents", an);
		put(d, label, cents(acct->available));
		snprintf(label, sizeof(label), "%s.flags", an);
		put(d, label, (uint64_t)acct->frozen | (uint64_t)acct->closed << 1);
	}
}

/* ---- snapshot ----------------------------------------------------------------- */

static int snap_save(struct rules_desk *d)
{
	publish(d);
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->snapshot);
	struct snap_head h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, SNAP_MAGIC, 8);
	h.version = SNAP_VERSION;
	h.size = (uint32_t)sizeof(d->st);
	h.crc = audit_crc32c(0, &d->st, sizeof(d->st));
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	if (write(fd, &h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    write(fd, &d->st, sizeof(d->st)) != (ssize_t)sizeof(d->st) || fsync(fd) != 0) {
		close(fd);
		goto fail;
	}
	close(fd);
	if (rename(tmp, d->snapshot) != 0)
		goto fail;
	return 0;
fail:;
	int e = errno;
	rt_log_error("desk snapshot not written", "path=%s reason=\"%s\"", d->snapshot,
		     strerror(e));
	return -e;
}

static int snap_load(struct rules_desk *d, struct rt_err *err)
{
	int fd = open(d->snapshot, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT
				       : rt_err_set(err, -errno, "desk snapshot '%s': %s",
						    d->snapshot, strerror(errno));
	struct snap_head h;
	ssize_t n = read(fd, &h, sizeof(h));
	int rc = 0;
	if (n != (ssize_t)sizeof(h) || memcmp(h.magic, SNAP_MAGIC, 8) != 0)
		rc = rt_err_set(err, -EBADMSG,
				"desk snapshot '%s': not a desk snapshot (no %s header)",
				d->snapshot, SNAP_MAGIC);
	else if (h.version != SNAP_VERSION || h.size != sizeof(d->st))
		rc = rt_err_set(err, -EPROTO,
				"desk snapshot '%s': version %u with %u bytes; this build reads "
				"version %u with %zu bytes",
				d->snapshot, h.version, h.size, SNAP_VERSION, sizeof(d->st));
	else if ((n = read(fd, &d->st, sizeof(d->st))) != (ssize_t)sizeof(d->st))
		rc = rt_err_set(err, -EBADMSG, "desk snapshot '%s': truncated (%zd of %zu bytes)",
				d->snapshot, n < 0 ? 0 : n, sizeof(d->st));
	else if (audit_crc32c(0, &d->st, sizeof(d->st)) != h.crc)
		rc = rt_err_set(err, -EBADMSG, "desk snapshot '%s': CRC32C mismatch (corrupted)",
				d->snapshot);
	else if (read(fd, &h, 1) != 0)
		rc = rt_err_set(err, -EBADMSG, "desk snapshot '%s': bytes after the state",
				d->snapshot);
	close(fd);
	if (rc == 0 &&
	    (d->st.accts.count > CORE_RULES_ACCOUNTS_MAX ||
	     d->st.accts.nforks > CORE_RULES_FORKS_MAX || d->st.book.n > CORE_RULES_BOOK_MAX))
		rc = rt_err_set(err, -EBADMSG, "desk snapshot '%s': counts out of range",
				d->snapshot);
	return rc;
}

/* ---- the chain from the board -------------------------------------------------- */

static int64_t board_mid(struct rules_desk *d, uint32_t id, int64_t *bid, int64_t *ask)
{
	struct shm_quote q;
	*bid = *ask = 0;
	if (shm_board_read(&d->board, id, &q, NULL) != 0)
		return 0;
	*bid = q.bid;
	*ask = q.ask;
	if (q.bid > 0 && q.ask >= q.bid)
		return core_rules_mid(q.bid, q.ask);
	return q.last > 0 ? q.last : 0;
}

static int64_t spot_of(struct rules_desk *d, const char *sym)
{
	uint32_t id = shm_instr_find(&d->dir, sym);
	int64_t b, a;
	return id == SHM_INSTR_NONE ? 0 : board_mid(d, id, &b, &a);
}

/* Index of `under` in syms[0..nsyms), or -1. */
static int symbol_index(const char *under, const char (*syms)[CORE_RULES_SYMBOL_MAX],
			uint32_t nsyms)
{
	for (uint32_t i = 0; i < nsyms; i++)
		if (strcmp(under, syms[i]) == 0)
			return (int)i;
	return -1;
}

/* Every option of the given underlyings on the board, with iv from its mid. */
static size_t build_chain(struct rules_desk *d, const char (*syms)[CORE_RULES_SYMBOL_MAX],
			  uint32_t nsyms, int64_t now_ns)
{
	size_t n = 0;
	uint32_t count = shm_instr_count(&d->dir);
	int64_t spot[CORE_RULES_SYMBOLS_MAX];
	for (uint32_t i = 0; i < nsyms && i < CORE_RULES_SYMBOLS_MAX; i++)
		spot[i] = spot_of(d, syms[i]);
	for (uint32_t id = 0; id < count && n < CHAIN_MAX; id++) {
		const struct shm_instr *in = shm_instr_get(&d->dir, id);
		int k = in && in->kind == SHM_INSTR_OPTION
				? symbol_index(in->underlying, syms, nsyms)
				: -1;
		if (k < 0)
			continue;
		struct core_rules_quote *q = &d->chain[n];
		memset(q, 0, sizeof(*q));
		snprintf(q->symbol, sizeof(q->symbol), "%s", in->underlying);
		q->right = in->right == 'P' ? CORE_RIGHT_PUT : CORE_RIGHT_CALL;
		q->strike = in->strike;
		q->expiry = (int32_t)in->expiry;
		board_mid(d, id, &q->bid, &q->ask);
		q->delta = NAN;
		q->iv = NAN;
		q->spot = spot[k];
		double iv;
		if (core_rules_quote_iv(d->cfg, q, now_ns, &iv) == 0)
			q->iv = iv;
		n++;
	}
	return n;
}

/* ---- intents and paper fills ------------------------------------------------- */

static uint64_t intent_id(int32_t date, const struct core_rules_intent *it, uint32_t n,
			  uint32_t leg)
{
	return (uint64_t)date * 10000000000ull + (uint64_t)it->kind * 1000000000ull +
	       (uint64_t)(it->account % 1000) * 1000000ull + (uint64_t)(n % 100000) * 10ull + leg;
}

/* Returns 0, or -EAGAIN when the audit ring refused a record (then nothing may be
 * executed: an order whose decision is not recorded never leaves, RULES §9). */
static int audit_intent(struct rules_desk *d, const struct core_rules_intent *it, uint64_t id0,
			const char *why, int64_t now_ns)
{
	char line[256];
	core_rules_intent_format(it, line, sizeof(line));
	rt_log_info("order intent", "id=%llu %s why=\"%s\"", (unsigned long long)id0, line, why);
	if (!d->audit)
		return 0;
	for (uint32_t l = 0; l < it->nlegs && l < 2; l++) {
		const struct core_rules_leg *g = &it->leg[l];
		struct shm_audit_intent a;
		memset(&a, 0, sizeof(a));
		a.intent_id = id0 + l;
		acct_name(d, it->account, a.account, sizeof(a.account));
		a.qty = (uint32_t)it->contracts;
		a.limit = g->limit;
		occ(it->symbol, g->right, g->strike, g->expiry, a.symbol, sizeof(a.symbol));
		a.side = g->side == CORE_SIDE_SELL_TO_OPEN || g->side == CORE_SIDE_SELL_TO_CLOSE
				 ? 'S'
				 : 'B';
		a.effect = g->side == CORE_SIDE_SELL_TO_OPEN || g->side == CORE_SIDE_BUY_TO_OPEN
				   ? 'O'
				   : 'C';
		snprintf(a.reason, sizeof(a.reason), "%s L%d: %s",
			 core_rules_intent_kind_name(it->kind), it->level, why);
		if (shm_audit_emit(d->audit, SHM_AUDIT_ORDER_INTENT, (uint64_t)now_ns, &a,
				   sizeof(a)) != 0) {
			rt_log_error("order intent not audited: audit ring full; not executed",
				     "id=%llu", (unsigned long long)a.intent_id);
			return -EAGAIN;
		}
	}
	return 0;
}

static void audit_fill(struct rules_desk *d, const struct core_rules_intent *it, uint32_t l,
		       uint64_t id, int64_t now_ns)
{
	if (!d->audit)
		return;
	const struct core_rules_leg *g = &it->leg[l];
	struct shm_audit_fill f;
	memset(&f, 0, sizeof(f));
	f.order_id = id;
	f.intent_id = id;
	f.qty = (uint32_t)it->contracts;
	f.side =
		g->side == CORE_SIDE_SELL_TO_OPEN || g->side == CORE_SIDE_SELL_TO_CLOSE ? 'S' : 'B';
	f.price = g->limit;
	occ(it->symbol, g->right, g->strike, g->expiry, f.symbol, sizeof(f.symbol));
	acct_name(d, it->account, f.account, sizeof(f.account));
	snprintf(f.fill_ref, sizeof(f.fill_ref), "paper");
	shm_audit_emit(d->audit, SHM_AUDIT_FILL, (uint64_t)now_ns, &f, sizeof(f));
}

static void send_pos(struct rules_desk *d, const struct core_rules_pos *p, uint32_t op)
{
	if (p->kind != CORE_POS_OPTION || p->qty >= 0)
		return; /* the workers watch short options */
	struct shm_posctl c;
	memset(&c, 0, sizeof(c));
	c.op = op;
	c.pos_id = RULES_DESK_POS_BASE + p->id;
	if (strlen(p->symbol) >= sizeof(c.underlying)) {
		rt_log_error("position not sent: underlying longer than a worker's 11 characters",
			     "pos_id=%u symbol=%s", c.pos_id, p->symbol);
		return;
	}
	snprintf(c.underlying, sizeof(c.underlying), "%.11s", p->symbol);
	c.expiry = (uint32_t)p->expiry;
	c.strike = p->strike;
	c.contracts = (uint32_t)-p->qty;
	c.right = (uint8_t)p->right;
	acct_name(d, p->account, c.account, sizeof(c.account));
	if (d->ops.send_pos && d->ops.send_pos(d->ops.ctx, &c) != 0)
		rt_log_error("position command not sent", "pos_id=%u op=%u", c.pos_id, op);
}

/* Open the leg at its limit in the book; the new short goes to the workers. */
static int fill_open(struct rules_desk *d, const struct core_rules_intent *it, uint32_t l,
		     int32_t date)
{
	const struct core_rules_leg *g = &it->leg[l];
	struct core_rules_account *a = core_rules_accounts_find(&d->st.accts, it->account);
	int32_t qty = g->side == CORE_SIDE_SELL_TO_OPEN ? -it->contracts : it->contracts;
	uint32_t id;
	int rc = core_rules_book_open(&d->st.book, a, it->symbol, g->right, g->strike, g->expiry,
				      qty, g->limit, date, &id);
	if (rc == 0)
		send_pos(d, core_rules_book_find(&d->st.book, id), SHM_POSCTL_ADD);
	return rc;
}

static int fill_close(struct rules_desk *d, const struct core_rules_intent *it, uint32_t l)
{
	const struct core_rules_pos *p = core_rules_book_find(&d->st.book, it->pos_id);
	if (!p)
		return -ENOENT;
	struct core_rules_pos was = *p;
	struct core_rules_account *a = core_rules_accounts_find(&d->st.accts, it->account);
	int rc = core_rules_book_close(&d->st.book, a, it->pos_id, it->contracts, it->leg[l].limit);
	if (rc == 0 && !core_rules_book_find(&d->st.book, it->pos_id))
		send_pos(d, &was, SHM_POSCTL_REMOVE);
	return rc;
}

/* Audit an intent, then fill it on paper leg by leg. */
static void execute(struct rules_desk *d, const struct core_rules_intent *it, uint32_t n,
		    const char *why, int64_t now_ns)
{
	int32_t date = core_calendar_ny_date(now_ns);
	uint64_t id0 = intent_id(date, it, n, 0);
	if (audit_intent(d, it, id0, why, now_ns) != 0) {
		if (d->ops.fault)
			d->ops.fault(d->ops.ctx, "audit ring full: an order intent could not be "
						 "recorded");
		return;
	}
	d->n_intents++;
	for (uint32_t l = 0; l < it->nlegs && l < 2; l++) {
		const struct core_rules_leg *g = &it->leg[l];
		if (g->limit <= 0) {
			rt_log_warn("paper fill skipped: no quote to fill at", "id=%llu leg=%u",
				    (unsigned long long)(id0 + l), l);
			return;
		}
		int rc = g->side == CORE_SIDE_SELL_TO_OPEN || g->side == CORE_SIDE_BUY_TO_OPEN
				 ? fill_open(d, it, l, date)
				 : fill_close(d, it, l);
		if (rc != 0) {
			rt_log_error("paper fill refused by the book", "id=%llu leg=%u rc=%d",
				     (unsigned long long)(id0 + l), l, rc);
			return;
		}
		audit_fill(d, it, l, id0 + l, now_ns);
		d->n_fills++;
	}
}

/* ---- jobs ----------------------------------------------------------------------- */

static enum core_rules_sys state_of(struct rules_desk *d)
{
	return d->ops.state ? d->ops.state(d->ops.ctx) : CORE_SYS_SAFE;
}

static void go(struct rules_desk *d, enum core_rules_sys to, const char *why)
{
	if (d->ops.transition && state_of(d) != to)
		d->ops.transition(d->ops.ctx, to, why);
}

/* RULES §8 risk check: every underlying the desk is short has an ATR (from the bars or
 * a fallback) and a price, so every level is decidable. */
static int risk_ok(struct rules_desk *d, char *why, size_t n)
{
	for (uint32_t i = 0; i < d->st.book.n; i++) {
		const struct core_rules_pos *p = &d->st.book.pos[i];
		if (p->kind != CORE_POS_OPTION || p->qty >= 0)
			continue;
		uint32_t id = shm_instr_find(&d->dir, p->symbol);
		if (id == SHM_INSTR_NONE || (d->have_atr && shm_atr_get(&d->atr, id) <= 0)) {
			snprintf(why, n, "no ATR for %s (position %u)", p->symbol, p->id);
			return 0;
		}
		if (spot_of(d, p->symbol) <= 0) {
			snprintf(why, n, "no price for %s (position %u)", p->symbol, p->id);
			return 0;
		}
	}
	return 1;
}

static int start_day(struct rules_desk *d, const char *what)
{
	if (state_of(d) != CORE_SYS_SAFE)
		return 0;
	char why[96];
	if (!risk_ok(d, why, sizeof(why))) {
		rt_log_warn("stays SAFE: risk check failed", "at=\"%s\" why=\"%s\"", what, why);
		return -EAGAIN;
	}
	go(d, CORE_SYS_SCANNING, what);
	return state_of(d) == CORE_SYS_SCANNING ? 0 : -EPERM;
}

static void job_open(struct rules_desk *d)
{
	if (d->ops.atr_job)
		d->ops.atr_job(d->ops.ctx);
	start_day(d, "day open: risk check passed");
}

int rules_desk_resume(struct rules_desk *d, int64_t now_ns)
{
	struct core_calendar_local lt;
	struct core_nyse_day day;
	if (core_calendar_ny_from_utc_ns(now_ns, &lt) != 0 ||
	    core_rules_nyse_day(lt.date, &day) != 0 || day.close_s == 0 ||
	    lt.sec_of_day < d->cfg->atr_time_s || lt.sec_of_day >= day.close_s)
		return 0; /* outside the session: the next OPEN starts the day */
	return start_day(d, "resume: risk check passed");
}

static void job_scan(struct rules_desk *d, enum core_rules_rule_id r, int64_t now_ns)
{
	const struct core_rules_entry_rule *rule = &d->cfg->rule[r];
	enum core_rules_acct type = core_rules_rule_acct(r);
	uint32_t open = 0;
	for (uint32_t a = 0; a < d->st.accts.count; a++)
		open += !d->st.accts.acct[a].closed && d->st.accts.acct[a].type == type;
	if (!open) {
		rt_log_info("scan skipped: no open account trades this rule", "rule=%s",
			    core_rules_rule_name(r));
		return;
	}
	enum core_rules_sys s = state_of(d);
	if (s == CORE_SYS_MONITORING)
		go(d, CORE_SYS_SCANNING, "entry window");
	if (state_of(d) == CORE_SYS_SCANNING)
		go(d, CORE_SYS_ANALYZING, core_rules_rule_name(r));
	size_t nq = build_chain(d, (const char(*)[CORE_RULES_SYMBOL_MAX])rule->symbols,
				rule->nsymbols, now_ns);
	static struct core_rules_intent picks[CORE_RULES_ACCOUNTS_MAX * CORE_RULES_SYMBOLS_MAX];
	uint32_t npicks = 0, nrows = 0;
	uint32_t pick_n[CORE_RULES_ACCOUNTS_MAX * CORE_RULES_SYMBOLS_MAX];
	for (uint32_t a = 0; a < d->st.accts.count; a++) {
		const struct core_rules_account *acct = &d->st.accts.acct[a];
		if (acct->closed || acct->type != type)
			continue;
		struct core_rules_scan_row rows[CORE_RULES_SCAN_ROWS_MAX];
		struct core_rules_scan_input in = {state_of(d), acct, &d->st.book,
						   d->chain,    nq,   now_ns};
		int n = core_rules_scan(d->cfg, &in, rows, CORE_RULES_SCAN_ROWS_MAX);
		char an[16];
		rules_desk_account_name(acct, an, sizeof(an));
		if (n < 0)
			rt_log_error("scan failed", "account=%s rule=%s rc=%d", an,
				     core_rules_rule_name(r), n);
		for (int i = 0; i < n; i++) {
			if (rows[i].rule != r)
				continue;
			nrows++;
			rt_log_info("scan",
				    "account=%s rule=%s symbol=%s quotes=%u in_band=%u "
				    "two_sided=%u verdict=\"%s\"",
				    an, core_rules_rule_name(r), rows[i].symbol, rows[i].quotes,
				    rows[i].in_band, rows[i].two_sided, rows[i].v.text);
			if (rows[i].v.why == CORE_WHY_OK) {
				pick_n[npicks] =
					(uint32_t)r * 100u +
					(uint32_t)core_rules_cfg_symbol_index(rule, rows[i].symbol);
				picks[npicks++] = rows[i].intent;
			}
		}
	}
	if (npicks && state_of(d) == CORE_SYS_ANALYZING)
		go(d, CORE_SYS_ORDERING, "entry intents");
	for (uint32_t i = 0; i < npicks; i++) {
		/* the gate once more, at the moment the intent leaves */
		struct core_rules_verdict v;
		const struct core_rules_account *acct =
			core_rules_accounts_find(&d->st.accts, picks[i].account);
		if (core_rules_gate(d->cfg, state_of(d), acct, picks[i].kind, &v) != CORE_WHY_OK) {
			rt_log_warn("entry intent held by the gate", "reason=\"%s\"", v.text);
			continue;
		}
		/* the decision's inputs travel with it: the band it met */
		char why[64];
		snprintf(why, sizeof(why), "%s |d|=%.4f dte=%d", core_rules_rule_name(r),
			 picks[i].delta, picks[i].dte);
		execute(d, &picks[i], pick_n[i], why, now_ns);
	}
	s = state_of(d);
	if (s == CORE_SYS_ANALYZING || s == CORE_SYS_ORDERING)
		go(d, CORE_SYS_MONITORING, "entries done");
	rt_log_info("scan done", "rule=%s chain=%zu rows=%u intents=%u state=%s",
		    core_rules_rule_name(r), nq, nrows, npicks, core_rules_sys_name(state_of(d)));
}

/* Equity of every account at the board's marks: cash, put collateral, shares at the
 * underlying's price, options at their mid (the open premium when unquoted). */
static void mark_balances(struct rules_desk *d)
{
	for (uint32_t a = 0; a < d->st.accts.count; a++) {
		struct core_rules_account *acct = &d->st.accts.acct[a];
		if (acct->closed)
			continue;
		int64_t eq = acct->available;
		for (uint32_t i = 0; i < d->st.book.n; i++) {
			const struct core_rules_pos *p = &d->st.book.pos[i];
			if (p->account != acct->id)
				continue;
			if (p->kind == CORE_POS_SHARES) {
				int64_t px = spot_of(d, p->symbol);
				eq += px > 0 ? px * p->qty : p->cost;
				continue;
			}
			if (p->qty < 0 && p->right == CORE_RIGHT_PUT)
				eq += p->strike * CORE_RULES_CONTRACT_SHARES * -p->qty;
			struct shm_instr in;
			int64_t mark = p->price, b, k;
			if (shm_instr_make_option(&in, p->symbol, (uint32_t)p->expiry,
						  (char)p->right, p->strike) == 0) {
				uint32_t id = shm_instr_find(&d->dir, in.symbol);
				int64_t m = id == SHM_INSTR_NONE ? 0 : board_mid(d, id, &b, &k);
				if (m > 0)
					mark = m;
			}
			eq += mark * CORE_RULES_CONTRACT_SHARES * p->qty;
		}
		acct->balance = eq;
	}
}

static void audit_fork(struct rules_desk *d, uint32_t kind, const struct core_rules_fork *f,
		       int64_t now_ns)
{
	char from[16], to[16];
	acct_name(d, f->from, from, sizeof(from));
	acct_name(d, f->to, to, sizeof(to));
	rt_log_info(kind == SHM_AUDIT_FORK ? "account fork" : "account merge",
		    "kind=%s from=%s to=%s amount=%.2f ordinal=%u why=0x%x",
		    core_rules_fork_kind_name(f->kind), from, to, price_to_double(f->amount),
		    f->ordinal, f->merge_why);
	if (!d->audit)
		return;
	struct shm_audit_fork a;
	memset(&a, 0, sizeof(a));
	snprintf(a.from, sizeof(a.from), "%.11s", from);
	snprintf(a.to, sizeof(a.to), "%.11s", to);
	a.amount = f->amount;
	if (kind == SHM_AUDIT_FORK)
		snprintf(a.reason, sizeof(a.reason), "%s fork #%u",
			 core_rules_fork_kind_name(f->kind), f->ordinal);
	else
		snprintf(a.reason, sizeof(a.reason), "merge:%s%s%s",
			 f->merge_why & CORE_MERGE_AGE ? " age" : "",
			 f->merge_why & CORE_MERGE_MULTIPLE ? " multiple" : "",
			 f->merge_why & CORE_MERGE_BALANCE ? " balance" : "");
	shm_audit_emit(d->audit, kind, (uint64_t)now_ns, &a, sizeof(a));
}

static void maybe_unfreeze(struct rules_desk *d, uint32_t account, int64_t now_ns);

static void job_close(struct rules_desk *d, int32_t date, int64_t now_ns)
{
	enum core_rules_sys s = state_of(d);
	int flow = s != CORE_SYS_SAFE && s != CORE_SYS_EMERGENCY && s != CORE_SYS_MAINTENANCE &&
		   s != CORE_SYS_AUDIT;
	if (flow) {
		if (s != CORE_SYS_MONITORING && s != CORE_SYS_CLOSING)
			go(d, CORE_SYS_MONITORING, "after the close");
		go(d, CORE_SYS_CLOSING, "the close");
		go(d, CORE_SYS_RECONCILING, "expiries, forks, merges");
	}
	/* settlement prices: the board's last price of each underlying with an expiry */
	static struct core_rules_settle px[CORE_RULES_BOOK_MAX];
	size_t npx = 0;
	for (uint32_t i = 0; i < d->st.book.n; i++) {
		const struct core_rules_pos *p = &d->st.book.pos[i];
		if (p->kind != CORE_POS_OPTION || p->expiry > date)
			continue;
		int have = 0;
		for (size_t k = 0; k < npx && !have; k++)
			have = strcmp(px[k].symbol, p->symbol) == 0;
		if (have)
			continue;
		snprintf(px[npx].symbol, sizeof(px[npx].symbol), "%s", p->symbol);
		px[npx].price = spot_of(d, p->symbol);
		if (px[npx].price > 0)
			npx++;
		else
			rt_log_error("no settlement price; its expiries wait", "symbol=%s",
				     p->symbol);
	}
	static struct core_rules_pos before[CORE_RULES_BOOK_MAX];
	uint32_t nbefore = d->st.book.n;
	memcpy(before, d->st.book.pos, nbefore * sizeof(before[0]));
	static struct core_rules_book_event ev[CORE_RULES_BOOK_MAX];
	int ne = core_rules_book_expire(&d->st.book, &d->st.accts, date, px, npx, ev,
					CORE_RULES_BOOK_MAX);
	if (ne < 0)
		rt_log_error("expiries not settled", "date=%d rc=%d", date, ne);
	for (int i = 0; i < ne; i++) {
		char an[16], sym[32];
		acct_name(d, ev[i].account, an, sizeof(an));
		occ(ev[i].symbol, ev[i].right, ev[i].strike, ev[i].expiry, sym, sizeof(sym));
		rt_log_info("expiry",
			    "event=%s pos=%u account=%s contract=%s contracts=%d "
			    "shares=%+d cash=%+.2f settle=%.4f",
			    core_rules_book_event_name(ev[i].kind), ev[i].pos_id, an, sym,
			    ev[i].contracts, ev[i].shares_delta, price_to_double(ev[i].cash_delta),
			    price_to_double(ev[i].settle));
		for (uint32_t k = 0; k < nbefore; k++)
			if (before[k].id == ev[i].pos_id &&
			    !core_rules_book_find(&d->st.book, ev[i].pos_id))
				send_pos(d, &before[k], SHM_POSCTL_REMOVE);
		if (!d->audit)
			continue;
		struct shm_audit_order o;
		memset(&o, 0, sizeof(o));
		o.order_id = ev[i].pos_id;
		o.event = SHM_AUDIT_ORD_EXPIRED;
		o.qty = (uint32_t)ev[i].contracts;
		o.price = ev[i].settle;
		snprintf(o.broker_ref, sizeof(o.broker_ref), "%s", sym);
		snprintf(o.reason, sizeof(o.reason), "%s %s shares%+d cash%+.2f",
			 core_rules_book_event_name(ev[i].kind), an, ev[i].shares_delta,
			 price_to_double(ev[i].cash_delta));
		shm_audit_emit(d->audit, SHM_AUDIT_ORDER_EVENT, (uint64_t)now_ns, &o, sizeof(o));
	}
	mark_balances(d);
	uint32_t f0 = d->st.accts.nforks;
	struct core_rules_accounts_report rep;
	int rc = core_rules_accounts_forks(d->cfg, &d->st.accts, date, &rep);
	if (rc < 0)
		rt_log_error("fork check failed", "rc=%d", rc);
	else if (rep.deferred)
		rt_log_warn("forks deferred: not enough available cash", "deferred=%u",
			    rep.deferred);
	rc = core_rules_accounts_merges(d->cfg, &d->st.accts, &d->st.book, date, &rep);
	if (rc < 0)
		rt_log_error("merge check failed", "rc=%d", rc);
	for (uint32_t i = f0; i < d->st.accts.nforks; i++)
		audit_fork(d,
			   d->st.accts.fork[i].kind == CORE_FORK_MERGE ? SHM_AUDIT_MERGE
								       : SHM_AUDIT_FORK,
			   &d->st.accts.fork[i], now_ns);
	/* a freeze lasts while one of the account's positions is at level 2 or above */
	for (uint32_t a = 0; a < d->st.accts.count; a++)
		maybe_unfreeze(d, d->st.accts.acct[a].id, now_ns);
	if (flow)
		go(d, CORE_SYS_SAFE, "day done");
	for (uint32_t a = 0; a < d->st.accts.count; a++) {
		const struct core_rules_account *acct = &d->st.accts.acct[a];
		char an[16];
		rules_desk_account_name(acct, an, sizeof(an));
		rt_log_info("account",
			    "name=%s balance=%.2f available=%.2f forks=%u frozen=%d "
			    "closed=%d",
			    an, price_to_double(acct->balance), price_to_double(acct->available),
			    acct->forks, acct->frozen, acct->closed);
	}
}

uint32_t rules_desk_tick(struct rules_desk *d, int64_t now_ns)
{
	int32_t date;
	uint32_t due = core_rules_sched_due(d->cfg, &d->st.sched, now_ns, &date);
	if (!due)
		return 0;
	if (due & CORE_JOB_OPEN) {
		rt_log_info("job", "name=open date=%d", date);
		job_open(d);
	}
	for (int r = 0; r < CORE_RULE_COUNT; r++)
		if (due & CORE_JOB_SCAN(r)) {
			rt_log_info("job", "name=scan rule=%s date=%d",
				    core_rules_rule_name((enum core_rules_rule_id)r), date);
			job_scan(d, (enum core_rules_rule_id)r, now_ns);
		}
	if (due & CORE_JOB_CLOSE) {
		rt_log_info("job", "name=close date=%d", date);
		job_close(d, date, now_ns);
	}
	core_rules_sched_mark(&d->st.sched, due, date);
	d->n_jobs += (uint32_t)__builtin_popcount(due);
	snap_save(d);
	return due;
}

/* ---- level events ---------------------------------------------------------------- */

/* Whether one of the account's short options is at level 2 or above: the workers'
 * positions tables hold each level (stored before its event is published), so the
 * desk keeps no copy. Cold path. */
static int account_at_level2(struct rules_desk *d, uint32_t account)
{
	for (uint32_t w = 0; w < d->npt; w++) {
		uint32_t high = rt_load_acq_u32(&d->pt[w].hdr->high);
		for (uint32_t i = 0; i < high && i < d->pt[w].capacity; i++) {
			struct shm_pos p;
			shm_pos_read(&d->pt[w], i, &p);
			if (p.state != SHM_POS_ACTIVE || p.pos_id <= RULES_DESK_POS_BASE ||
			    p.level < 2)
				continue;
			const struct core_rules_pos *bp =
				core_rules_book_find(&d->st.book, p.pos_id - RULES_DESK_POS_BASE);
			if (bp && bp->account == account)
				return 1;
		}
	}
	return 0;
}

static void maybe_unfreeze(struct rules_desk *d, uint32_t account, int64_t now_ns)
{
	struct core_rules_account *a = core_rules_accounts_find(&d->st.accts, account);
	if (!a || !a->frozen || account_at_level2(d, account))
		return;
	core_rules_accounts_freeze(&d->st.accts, account, false, now_ns);
	char an[16];
	rules_desk_account_name(a, an, sizeof(an));
	rt_log_info("account unfrozen: no position at level 2 or above", "account=%s", an);
}

int rules_desk_on_level(struct rules_desk *d, uint32_t pos_id, int32_t from, int32_t to,
			int64_t price, int64_t atr, int64_t now_ns)
{
	if (pos_id <= RULES_DESK_POS_BASE)
		return 0;
	uint32_t id = pos_id - RULES_DESK_POS_BASE;
	const struct core_rules_pos *p = core_rules_book_find(&d->st.book, id);
	if (!p) {
		rt_log_warn("level event for a position the book no longer has", "pos_id=%u",
			    pos_id);
		return 0;
	}
	uint32_t account = p->account;
	char sym[1][CORE_RULES_SYMBOL_MAX];
	memcpy(sym[0], p->symbol, CORE_RULES_SYMBOL_MAX);
	size_t nq = build_chain(d, (const char(*)[CORE_RULES_SYMBOL_MAX])sym, 1, now_ns);
	struct core_rules_level_event ev = {
		.pos_id = id, .level = to, .prev_level = from, .price = price, .atr = atr};
	/* the state machine is the rules process's: level 3's SAFE is applied there (the
	 * worker's event asks for it); the core works on a copy */
	struct core_rules_sm sm;
	core_rules_sm_init(&sm, now_ns);
	sm.state = state_of(d);
	static struct core_rules_protocol_out out;
	int rc = core_rules_protocol_on_level(d->cfg, &ev, &d->st.book, &d->st.accts, &sm, d->chain,
					      nq, now_ns, &out);
	char an[16];
	acct_name(d, account, an, sizeof(an));
	if (rc != 0) {
		rt_log_error("protocol action failed", "pos_id=%u level=%d rc=%d", pos_id, to, rc);
		snap_save(d);
		return 1;
	}
	rt_log(to > from ? RT_LOG_WARN : RT_LOG_INFO, "protocol action",
	       "pos_id=%u account=%s level=%d->%d rolls=%u intents=%u froze=%d verdict=\"%s\"",
	       pos_id, an, from, to, out.nrolls, out.nintents, out.froze, out.v.text);
	for (uint32_t i = 0; i < out.nintents; i++)
		execute(d, &out.intent[i], id, out.v.text, now_ns);
	if (to < 2)
		maybe_unfreeze(d, account, now_ns);
	snap_save(d);
	return 1;
}

/* ---- open / close ------------------------------------------------------------------ */

const struct rules_desk_state *rules_desk_state(const struct rules_desk *d)
{
	return &d->st;
}

struct rules_desk *rules_desk_open(const struct core_rules_cfg *cfg, struct shm_segment *seg,
				   const struct rules_desk_ops *ops,
				   struct shm_audit_producer *audit, const char *snapshot,
				   int64_t now_ns, struct rt_err *err)
{
	const struct shm_dir_entry *be = shm_segment_find_kind_name(seg, SHM_KIND_BOARD, "board");
	const struct shm_dir_entry *ie =
		shm_segment_find_kind_name(seg, SHM_KIND_INSTRUMENTS, "instruments");
	if (!be || !ie) {
		rt_err_set(err, -ENOENT, "segment has no board or instrument directory");
		return NULL;
	}
	if (strlen(snapshot) >= sizeof(((struct rules_desk *)0)->snapshot)) {
		rt_err_set(err, -ENAMETOOLONG, "desk snapshot path too long: '%s'", snapshot);
		return NULL;
	}
	struct rules_desk *d = calloc(1, sizeof(*d));
	if (d)
		d->chain = calloc(CHAIN_MAX, sizeof(*d->chain));
	if (!d || !d->chain) {
		rules_desk_close(d);
		rt_err_set(err, -ENOMEM, "desk: out of memory");
		return NULL;
	}
	d->cfg = cfg;
	d->ops = *ops;
	d->audit = audit;
	shm_board_attach(&d->board, shm_segment_region(seg, be));
	shm_instr_attach(&d->dir, shm_segment_region(seg, ie));
	const struct shm_dir_entry *ce = shm_segment_find_kind_name(seg, SHM_KIND_COUNTERS, "desk");
	if (ce) {
		shm_counters_attach(&d->cs, shm_segment_region(seg, ce));
		d->have_cs = 1;
	}
	for (d->npt = 0; d->npt < 64; d->npt++) {
		const struct shm_dir_entry *pe =
			shm_segment_find(seg, SHM_KIND_POSITIONS, SHM_ROLE_NONE, d->npt);
		if (!pe)
			break;
		shm_pos_attach(&d->pt[d->npt], shm_segment_region(seg, pe));
	}
	const struct shm_dir_entry *ae = shm_segment_find_kind_name(seg, SHM_KIND_ATR, "atr");
	if (ae) {
		shm_atr_attach(&d->atr, shm_segment_region(seg, ae));
		d->have_atr = 1;
	}
	snprintf(d->snapshot, sizeof(d->snapshot), "%s", snapshot);
	int rc = snap_load(d, err);
	if (rc == -ENOENT) {
		memset(&d->st, 0, sizeof(d->st));
		core_rules_sched_init(&d->st.sched);
		core_rules_accounts_init(&d->st.accts);
		core_rules_book_init(&d->st.book);
		int32_t date = core_calendar_ny_date(now_ns);
		uint32_t ids[3];
		rc = core_rules_accounts_open(cfg, &d->st.accts, cfg->initial_capital, date, 0,
					      ids);
		if (rc != 0) {
			rt_err_set(err, rc, "cannot open the first account of %.2f on %d",
				   price_to_double(cfg->initial_capital), date);
		} else {
			rt_log_info("desk: first ALL-USE account opened",
				    "capital=%.2f date=%d snapshot=%s",
				    price_to_double(cfg->initial_capital), date, snapshot);
			rc = snap_save(d);
			if (rc)
				rt_err_set(err, rc, "desk snapshot '%s' cannot be written: %s",
					   snapshot, strerror(-rc));
		}
	} else if (rc == 0) {
		rt_log_info("desk: snapshot loaded", "path=%s accounts=%u positions=%u", snapshot,
			    d->st.accts.count, d->st.book.n);
		for (uint32_t i = 0; i < d->st.book.n; i++)
			send_pos(d, &d->st.book.pos[i], SHM_POSCTL_ADD);
		publish(d);
	}
	if (rc != 0) {
		rules_desk_close(d);
		return NULL;
	}
	return d;
}

void rules_desk_close(struct rules_desk *d)
{
	if (!d)
		return;
	free(d->chain);
	free(d);
}
