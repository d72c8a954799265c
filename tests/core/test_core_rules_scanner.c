/* The entry scanner: the real QQQ chain, the tie-break, sizing across symbols, the gate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_scanner.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define USD(x) CORE_RULES_USD(x)
#define PX(x) price_from_double(x)

static char market[PATH_MAX];
static int market_missing;
static struct core_rules_quote *qqq; /* the real chain, 8192 quotes */
static int nqqq;

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* <repo>/../shared/data/market from the repository root, else $ALLUSE_MARKET_DATA */
static void load_qqq(void)
{
	const char *env = getenv("ALLUSE_MARKET_DATA");
	if (is_dir("../shared/data/market"))
		snprintf(market, sizeof(market), "../shared/data/market");
	else if (env && is_dir(env))
		snprintf(market, sizeof(market), "%s", env);
	else {
		market_missing = 1;
		return;
	}
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/QQQ_option_chain_2026-04-13.csv", market);
	FILE *f = fopen(path, "rb");
	if (!f) {
		market_missing = 1;
		return;
	}
	static char text[1 << 20];
	size_t len = fread(text, 1, sizeof(text), f);
	fclose(f);
	struct rt_err err = {0};
	nqqq = core_rules_chain_parse(path, text, len, NULL, 0, &err);
	if (nqqq <= 0) {
		fprintf(stderr, "%s\n", err.msg);
		market_missing = 1;
		return;
	}
	qqq = calloc((size_t)nqqq, sizeof(*qqq));
	core_rules_chain_parse(path, text, len, qqq, (size_t)nqqq, &err);
}

static int64_t ny(int32_t date, int h, int m, int s)
{
	int64_t t;
	assert_int_equal(core_calendar_ny_to_utc_ns(date, h * 3600 + m * 60 + s, &t), 0);
	return t;
}

static struct core_rules_quote quote(const char *sym, enum core_right right, double strike,
				     int32_t expiry, double bid, double ask, double delta)
{
	struct core_rules_quote q = {.right = right,
				     .strike = PX(strike),
				     .expiry = expiry,
				     .bid = PX(bid),
				     .ask = PX(ask),
				     .iv = NAN,
				     .delta = delta};
	snprintf(q.symbol, sizeof(q.symbol), "%s", sym);
	return q;
}

static struct core_rules_cfg cfg;

static int scan(const struct core_rules_cfg *c, enum core_rules_sys st,
		const struct core_rules_account *a, const struct core_rules_book *b,
		const struct core_rules_quote *chain, size_t n, int64_t now,
		struct core_rules_scan_row *rows)
{
	struct core_rules_scan_input in = {st, a, b, chain, n, now};
	return core_rules_scan(c, &in, rows, CORE_RULES_SCAN_ROWS_MAX);
}

static const struct core_rules_account gen_1m = {
	.id = 1, .type = CORE_ACCT_GEN, .balance = USD(1000000), .available = USD(1000000)};

/*
 * Gen-Acc on the real snapshot (Monday 2026-04-13 10:00 EDT; Monday added to Gen's
 * entry days for the test). Reference computed independently in Python (math.erf):
 * among 0-1 DTE puts only 2026-04-14 612 has |delta| in 0.40..0.45:
 *   S 612.8400268554688, K 612, iv 0.15174188110351564, r 0.04, q 0,
 *   T = (2026-04-14 16:00 EDT − 2026-04-13 10:00 EDT) / 365 d = 30 h / 8760 h,
 *   |delta| = N(−d1) = 0.43080256485422574
 * Mid (2.34 + 2.35) / 2 = 2.345. Size: per contract 61,200; budget 1,000,000 × 0.975
 * = 975,000 -> 15; room 1,000,000 × 0.25 = 250,000 -> 4 (244,800); 4 contracts.
 */
static void test_scanner_picks_the_gen_put_on_the_real_qqq_chain(void **state)
{
	(void)state;
	if (market_missing)
		skip();
	struct core_rules_cfg c = cfg;
	c.rule[CORE_RULE_GEN_CSP].weekdays |= 1u << CORE_MONDAY;
	struct core_rules_scan_row rows[CORE_RULES_SCAN_ROWS_MAX];
	int n = scan(&c, CORE_SYS_ANALYZING, &gen_1m, NULL, qqq, (size_t)nqqq,
		     ny(20260413, 10, 0, 0), rows);
	assert_int_equal(n, 7);
	const struct core_rules_scan_row *r = &rows[5];
	assert_string_equal(r->symbol, "QQQ");
	if (r->v.why != CORE_WHY_OK)
		print_error("%s\n", r->v.text);
	assert_int_equal(r->v.why, CORE_WHY_OK);
	assert_int_equal(r->in_band, 1);
	assert_int_equal(qqq[r->pick].line, 407);
	assert_true(fabs(r->delta - 0.43080256485422574) < 1e-9);
	assert_int_equal(r->dte, 1);
	assert_int_equal(r->size.contracts, 4);
	assert_int_equal(r->size.by_capital, 15);
	assert_int_equal(r->size.by_symbol, 4);
	const struct core_rules_intent *it = &r->intent;
	assert_int_equal(it->kind, CORE_INTENT_ENTRY);
	assert_int_equal(it->account, 1);
	assert_int_equal(it->nlegs, 1);
	assert_int_equal(it->leg[0].side, CORE_SIDE_SELL_TO_OPEN);
	assert_int_equal(it->leg[0].right, CORE_RIGHT_PUT);
	assert_int_equal(it->leg[0].strike, USD(612));
	assert_int_equal(it->leg[0].expiry, 20260414);
	assert_int_equal(it->leg[0].limit, 234500000);
	char line[256];
	core_rules_intent_format(it, line, sizeof(line));
	assert_string_equal(line, "entry acct=1 gen QQQ x4 [sell_to_open P 612.00000000 20260414 "
				  "@2.34500000] net=2.34500000 delta=0.430803 dte=1");
	for (int i = 0; i < 7; i++) {
		if (i == 5)
			continue;
		assert_int_equal(rows[i].v.why, CORE_WHY_NO_CANDIDATE);
		assert_int_equal(rows[i].quotes, 0);
		assert_int_equal(rows[i].pick, -1);
	}
}

/*
 * The same chain under other bands (Python reference as above):
 *   calls 0.20..0.25, DTE 4..5: 2026-04-17 620 (0.248239) and 621 (0.215347); 621 is
 *   closer to the midpoint 0.225: mid (1.35 + 1.38) / 2 = 1.365;
 *   puts 0.30..0.35, DTE 3..5: 04-16 608 (0.317806), 04-17 607 (0.315792), 04-17 608
 *   (0.342650); 04-16 608 is closest to 0.325: mid (2.75 + 2.78) / 2 = 2.765.
 */
static void test_scanner_real_chain_under_com_and_rev_style_bands(void **state)
{
	(void)state;
	if (market_missing)
		skip();
	struct core_rules_cfg c = cfg;
	struct core_rules_entry_rule *com = &c.rule[CORE_RULE_COM_CC];
	com->dte_min = 4;
	com->nsymbols = 1;
	strcpy(com->symbols[0], "QQQ");
	/* 1,000 shares: 10 calls; cap 3,000,000 × 0.25 = 750,000 / 62,100 = 12 -> 10 */
	static struct core_rules_book book;
	core_rules_book_init(&book);
	assert_int_equal(core_rules_book_add_shares(&book, 3, "QQQ", 1000, USD(600), 20260101), 0);
	struct core_rules_account a = {.id = 3, .type = CORE_ACCT_COM, .balance = USD(3000000)};
	struct core_rules_scan_row rows[CORE_RULES_SCAN_ROWS_MAX];
	assert_int_equal(scan(&c, CORE_SYS_ANALYZING, &a, &book, qqq, (size_t)nqqq,
			      ny(20260413, 10, 0, 0), rows),
			 1);
	assert_int_equal(rows[0].v.why, CORE_WHY_OK);
	assert_int_equal(rows[0].in_band, 2);
	assert_int_equal(rows[0].intent.leg[0].strike, USD(621));
	assert_int_equal(rows[0].intent.leg[0].expiry, 20260417);
	assert_int_equal(rows[0].intent.leg[0].limit, 136500000);
	assert_true(fabs(rows[0].delta - 0.21534679116379252) < 1e-9);
	assert_int_equal(rows[0].intent.contracts, 10);
	assert_int_equal(rows[0].size.by_shares, 10);
	assert_int_equal(rows[0].size.by_symbol, 12);

	struct core_rules_entry_rule *rev = &c.rule[CORE_RULE_REV_CSP];
	rev->weekdays = 1u << CORE_MONDAY;
	rev->nsymbols = 1;
	strcpy(rev->symbols[0], "QQQ");
	a = (struct core_rules_account){
		.id = 2, .type = CORE_ACCT_REV, .balance = USD(300000), .available = USD(300000)};
	assert_int_equal(scan(&c, CORE_SYS_ANALYZING, &a, NULL, qqq, (size_t)nqqq,
			      ny(20260413, 10, 0, 0), rows),
			 1);
	assert_int_equal(rows[0].v.why, CORE_WHY_OK);
	assert_int_equal(rows[0].in_band, 3);
	assert_int_equal(rows[0].intent.leg[0].strike, USD(608));
	assert_int_equal(rows[0].intent.leg[0].expiry, 20260416);
	assert_int_equal(rows[0].intent.leg[0].limit, 276500000);
	assert_int_equal(rows[0].dte, 3);
	assert_int_equal(rows[0].intent.contracts, 1); /* room 75,000 / 60,800 */
}

static void test_scanner_default_rules_on_the_real_chain_find_nothing_on_monday(void **state)
{
	(void)state;
	if (market_missing)
		skip();
	struct core_rules_scan_row rows[CORE_RULES_SCAN_ROWS_MAX];
	assert_int_equal(scan(&cfg, CORE_SYS_ANALYZING, &gen_1m, NULL, qqq, (size_t)nqqq,
			      ny(20260413, 10, 0, 0), rows),
			 7);
	for (int i = 0; i < 7; i++) {
		assert_int_equal(rows[i].v.why, CORE_WHY_NOT_ENTRY_DAY);
		assert_string_equal(rows[i].v.text, "not_entry_day: 20260413 is a Monday");
	}
}

/* Thursday 2026-04-16 10:00 EDT: Gen-Acc, band 0.40..0.45, midpoint 0.425. */
#define THU 20260416
#define FRI 20260417

static const struct core_rules_scan_row *qqq_row(struct core_rules_scan_row *rows,
						 const struct core_rules_quote *chain, size_t n)
{
	assert_int_equal(
		scan(&cfg, CORE_SYS_ANALYZING, &gen_1m, NULL, chain, n, ny(THU, 10, 0, 0), rows),
		7);
	return &rows[5];
}

static void test_scanner_tie_break_closest_delta_then_dte_then_premium_then_strike(void **state)
{
	(void)state;
	struct core_rules_scan_row rows[CORE_RULES_SCAN_ROWS_MAX];
	const struct core_rules_scan_row *r;
	/* a. |delta| closest to the midpoint */
	struct core_rules_quote a[] = {
		quote("QQQ", CORE_RIGHT_PUT, 600, FRI, 1.00, 1.10, -0.44),
		quote("QQQ", CORE_RIGHT_PUT, 601, FRI, 1.00, 1.10, -0.425),
		quote("QQQ", CORE_RIGHT_PUT, 602, FRI, 1.00, 1.10, -0.41),
	};
	r = qqq_row(rows, a, 3);
	assert_int_equal(r->pick, 1);
	assert_int_equal(r->in_band, 3);
	/* b. equally close (0.42 and 0.43 are both 0.005 away): the shorter DTE */
	struct core_rules_quote b[] = {
		quote("QQQ", CORE_RIGHT_PUT, 600, FRI, 9.00, 9.10, -0.42),
		quote("QQQ", CORE_RIGHT_PUT, 601, THU, 1.00, 1.10, -0.43),
	};
	r = qqq_row(rows, b, 2);
	assert_int_equal(r->pick, 1);
	assert_int_equal(r->dte, 0);
	/* c. same distance and DTE: the higher premium (mid) */
	struct core_rules_quote c[] = {
		quote("QQQ", CORE_RIGHT_PUT, 600, FRI, 1.00, 1.10, -0.42),
		quote("QQQ", CORE_RIGHT_PUT, 601, FRI, 1.20, 1.30, -0.43),
		quote("QQQ", CORE_RIGHT_PUT, 602, FRI, 1.10, 1.20, -0.42),
	};
	r = qqq_row(rows, c, 3);
	assert_int_equal(r->pick, 1);
	assert_int_equal(r->intent.leg[0].limit, PX(1.25));
	/* d. same premium too: the lowest put strike (furthest out of the money) */
	struct core_rules_quote d[] = {
		quote("QQQ", CORE_RIGHT_PUT, 602, FRI, 1.00, 1.10, -0.42),
		quote("QQQ", CORE_RIGHT_PUT, 600, FRI, 1.00, 1.10, -0.43),
		quote("QQQ", CORE_RIGHT_PUT, 601, FRI, 1.00, 1.10, -0.42),
	};
	r = qqq_row(rows, d, 3);
	assert_int_equal(r->pick, 1);
	/* e. the very same contract twice: the first */
	struct core_rules_quote e[] = {
		quote("QQQ", CORE_RIGHT_PUT, 600, FRI, 1.00, 1.10, -0.42),
		quote("QQQ", CORE_RIGHT_PUT, 600, FRI, 1.00, 1.10, -0.42),
	};
	r = qqq_row(rows, e, 2);
	assert_int_equal(r->pick, 0);
	/* for calls the highest strike wins step d (Com-Acc, Monday 2026-04-13) */
	static struct core_rules_book book;
	core_rules_book_init(&book);
	core_rules_book_add_shares(&book, 3, "AAPL", 500, USD(150), 20260101);
	struct core_rules_account com = {.id = 3, .type = CORE_ACCT_COM, .balance = USD(1000000)};
	struct core_rules_quote f[] = {
		quote("AAPL", CORE_RIGHT_CALL, 210, 20260418, 1.00, 1.10, 0.22),
		quote("AAPL", CORE_RIGHT_CALL, 215, 20260418, 1.00, 1.10, 0.23),
		quote("AAPL", CORE_RIGHT_CALL, 212.5, 20260418, 1.00, 1.10, 0.22),
	};
	assert_int_equal(
		scan(&cfg, CORE_SYS_ANALYZING, &com, &book, f, 3, ny(20260413, 10, 0, 0), rows), 7);
	assert_int_equal(rows[0].v.why, CORE_WHY_OK);
	assert_int_equal(rows[0].pick, 1);
	assert_int_equal(rows[0].intent.contracts, 5);
}

static void test_scanner_reasons_when_nothing_is_picked(void **state)
{
	(void)state;
	struct core_rules_scan_row rows[CORE_RULES_SCAN_ROWS_MAX];
	struct core_rules_quote a[] = {
		quote("QQQ", CORE_RIGHT_PUT, 600, FRI, 0, 1.10, -0.42), /* no bid */
		quote("QQQ", CORE_RIGHT_PUT, 590, FRI, 1.00, 1.10, -0.30), /* delta out */
		quote("QQQ", CORE_RIGHT_PUT, 600, 20260420, 1.0, 1.1, -0.42), /* DTE 4 */
		quote("QQQ", CORE_RIGHT_CALL, 600, FRI, 1.00, 1.10, 0.42), /* a call */
	};
	const struct core_rules_scan_row *r = qqq_row(rows, a, 4);
	assert_int_equal(r->v.why, CORE_WHY_NO_QUOTE);
	assert_int_equal(r->quotes, 3);
	assert_int_equal(r->in_band, 1);
	assert_int_equal(r->two_sided, 0);
	r = qqq_row(rows, a + 1, 2);
	assert_int_equal(r->v.why, CORE_WHY_NO_CANDIDATE);
	assert_string_equal(r->v.text, "no_candidate: 2 quotes, none with DTE 0..1 and |delta| "
				       "0.4..0.45");
	/* an iv without a spot gives no delta */
	struct core_rules_quote b = quote("QQQ", CORE_RIGHT_PUT, 600, FRI, 1.0, 1.1, NAN);
	b.iv = 0.2;
	r = qqq_row(rows, &b, 1);
	assert_int_equal(r->v.why, CORE_WHY_NO_CANDIDATE);
}

static void test_scanner_gate_and_window_apply_to_every_row(void **state)
{
	(void)state;
	struct core_rules_quote a[] = {quote("QQQ", CORE_RIGHT_PUT, 600, FRI, 1.0, 1.1, -0.42)};
	struct core_rules_scan_row rows[CORE_RULES_SCAN_ROWS_MAX];
	static const enum core_rules_sys closed[] = {CORE_SYS_SAFE, CORE_SYS_EMERGENCY,
						     CORE_SYS_MAINTENANCE};
	for (size_t s = 0; s < 3; s++) {
		assert_int_equal(
			scan(&cfg, closed[s], &gen_1m, NULL, a, 1, ny(THU, 10, 0, 0), rows), 7);
		for (int i = 0; i < 7; i++)
			assert_int_equal(rows[i].v.why, CORE_WHY_STATE_BLOCKS_ENTRY);
	}
	struct core_rules_account frozen = gen_1m;
	frozen.frozen = true;
	scan(&cfg, CORE_SYS_ANALYZING, &frozen, NULL, a, 1, ny(THU, 10, 0, 0), rows);
	assert_int_equal(rows[5].v.why, CORE_WHY_ACCOUNT_FROZEN);
	scan(&cfg, CORE_SYS_ANALYZING, &gen_1m, NULL, a, 1, ny(THU, 11, 0, 0), rows);
	for (int i = 0; i < 7; i++)
		assert_int_equal(rows[i].v.why, CORE_WHY_AFTER_WINDOW);
	scan(&cfg, CORE_SYS_ANALYZING, &gen_1m, NULL, a, 1, ny(20261126, 10, 0, 0), rows);
	assert_int_equal(rows[5].v.why, CORE_WHY_HOLIDAY); /* Thanksgiving Thursday */
	assert_int_equal(
		scan(&cfg, CORE_SYS_ANALYZING, &gen_1m, NULL, a, 1, ny(THU, 10, 0, 0), rows) > 0,
		1);
	struct core_rules_scan_input in = {CORE_SYS_ANALYZING, &gen_1m, NULL, a, 1,
					   ny(THU, 10, 0, 0)};
	assert_int_equal(core_rules_scan(&cfg, &in, rows, 6), -ENOSPC);
	in.acct = NULL;
	assert_int_equal(core_rules_scan(&cfg, &in, rows, 7), -EINVAL);
}

/*
 * Seven symbols, each with one $100 put in band; Gen capital = available = 100,000:
 * budget 97,500, room 25,000 per symbol, 10,000 per contract:
 *   AAPL 2 (20,000)  MSFT 2 (40,000)  AMZN 2 (60,000)  GOOG 2 (80,000)
 *   SPY  deployable 17,500 -> 1 (90,000)   QQQ 7,500 -> 0   IWM 7,500 -> 0
 */
static void test_scanner_spends_the_budget_in_configuration_order(void **state)
{
	(void)state;
	const char *syms[] = {"IWM", "QQQ", "SPY", "GOOG", "AMZN", "MSFT", "AAPL"};
	struct core_rules_quote a[7];
	for (int i = 0; i < 7; i++)
		a[i] = quote(syms[i], CORE_RIGHT_PUT, 100, FRI, 1.0, 1.1, -0.42);
	struct core_rules_account g = {
		.id = 1, .type = CORE_ACCT_GEN, .balance = USD(100000), .available = USD(100000)};
	struct core_rules_scan_row rows[CORE_RULES_SCAN_ROWS_MAX];
	assert_int_equal(scan(&cfg, CORE_SYS_ANALYZING, &g, NULL, a, 7, ny(THU, 10, 0, 0), rows),
			 7);
	static const int32_t want[7] = {2, 2, 2, 2, 1, 0, 0};
	for (int i = 0; i < 7; i++) {
		assert_int_equal(rows[i].size.contracts, want[i]);
		assert_int_equal(rows[i].v.why, want[i] ? CORE_WHY_OK : CORE_WHY_NO_CAPITAL);
	}
	assert_int_equal(rows[4].size.deployable, USD(17500));
	assert_int_equal(rows[5].size.deployable, USD(7500));
	/* existing exposure counts: 20,000 of AAPL puts leave room for 0 more */
	static struct core_rules_book book;
	core_rules_book_init(&book);
	core_rules_book_open(&book, &g, "AAPL", CORE_RIGHT_PUT, USD(200), 20260424, -1, USD(1),
			     20260409, NULL);
	scan(&cfg, CORE_SYS_ANALYZING, &g, &book, a, 7, ny(THU, 10, 0, 0), rows);
	assert_int_equal(rows[0].v.why, CORE_WHY_SYMBOL_CAP_FULL);
}

/* A Mini on Thursday: its CSP half sizes against half its capital; its CC half rows
 * say "not an entry day". */
static void test_scanner_mini_trades_half_gen_style_half_com_style(void **state)
{
	(void)state;
	struct core_rules_quote a[] = {
		quote("AAPL", CORE_RIGHT_PUT, 50, FRI, 0.5, 0.6, -0.42),
		quote("MSFT", CORE_RIGHT_PUT, 50, FRI, 0.5, 0.6, -0.42),
		quote("AMZN", CORE_RIGHT_PUT, 50, FRI, 0.5, 0.6, -0.42),
	};
	struct core_rules_account m = {
		.id = 4, .type = CORE_ACCT_MINI, .balance = USD(100000), .available = USD(100000)};
	struct core_rules_scan_row rows[CORE_RULES_SCAN_ROWS_MAX];
	/* half = 50,000 < budget 97,500; room 25,000; 5,000 per contract:
	 * AAPL 5 (25,000), MSFT 5 (50,000), AMZN 0 */
	assert_int_equal(scan(&cfg, CORE_SYS_ANALYZING, &m, NULL, a, 3, ny(THU, 10, 0, 0), rows),
			 14);
	assert_int_equal(rows[0].rule, CORE_RULE_MINI_CSP);
	assert_int_equal(rows[0].intent.contracts, 5);
	assert_int_equal(rows[0].intent.acct_type, CORE_ACCT_MINI);
	assert_int_equal(rows[1].intent.contracts, 5);
	assert_int_equal(rows[2].v.why, CORE_WHY_NO_CAPITAL);
	for (int i = 7; i < 14; i++) {
		assert_int_equal(rows[i].rule, CORE_RULE_MINI_CC);
		assert_int_equal(rows[i].v.why, CORE_WHY_NOT_ENTRY_DAY);
	}
}

static void test_scanner_delta_from_iv_uses_time_to_the_expiry_close(void **state)
{
	(void)state;
	struct core_rules_quote q = quote("QQQ", CORE_RIGHT_PUT, 612, 20260414, 2.34, 2.35, NAN);
	q.iv = 0.15174188110351564;
	q.spot = 61284002687ll;
	double d;
	int64_t now = ny(20260413, 10, 0, 0);
	assert_int_equal(core_rules_quote_delta(&cfg, &q, now, &d), 0);
	struct core_bs_input in = {CORE_RIGHT_PUT,     612.84002687, 612, 30.0 / 8760.0, 0.04, 0.0,
				   0.15174188110351564};
	assert_true(fabs(d - core_bs_delta(&in)) < 1e-12);
	/* an early-close expiry (Thursday 2026-12-24) ends at 13:00: 3 h from 10:00 */
	q.expiry = 20261224;
	assert_int_equal(core_rules_quote_delta(&cfg, &q, ny(20261224, 10, 0, 0), &d), 0);
	in.t = 3.0 / 8760.0;
	assert_true(fabs(d - core_bs_delta(&in)) < 1e-12);
	assert_int_equal(core_rules_quote_delta(&cfg, &q, ny(20261224, 13, 0, 1), &d), -EDOM);
	q.iv = NAN;
	assert_int_equal(core_rules_quote_delta(&cfg, &q, now, &d), -ENODATA);
	q.delta = -0.3;
	assert_int_equal(core_rules_quote_delta(&cfg, &q, now, &d), 0); /* its own */
	assert_true(d == -0.3);
}

static void test_scanner_iv_from_the_mid_inverts_black_scholes(void **state)
{
	(void)state;
	/* a put priced at σ = 0.22 with 30 hours to the close; quoted ±1 cent around it */
	int64_t now = ny(20260413, 10, 0, 0);
	struct core_bs_input in = {CORE_RIGHT_PUT, 612.84, 610, 30.0 / 8760.0, 0.04, 0.0, 0.22};
	double px = core_bs_price(&in);
	int64_t mid = (int64_t)llround(px * 100) * (PRICE_SCALE / 100);
	struct core_rules_quote q = quote("QQQ", CORE_RIGHT_PUT, 610, 20260414, 0, 0, NAN);
	q.bid = mid - PRICE_SCALE / 100;
	q.ask = mid + PRICE_SCALE / 100;
	q.spot = 61284000000ll;
	double iv;
	assert_int_equal(core_rules_quote_iv(&cfg, &q, now, &iv), 0);
	assert_true(fabs(iv - 0.22) < 2e-3); /* the mid is rounded to the cent */
	/* and the delta from that iv is Black-Scholes' delta at 0.22 within 1e-3 */
	q.iv = iv;
	double d;
	assert_int_equal(core_rules_quote_delta(&cfg, &q, now, &d), 0);
	assert_true(fabs(d - core_bs_delta(&in)) < 1e-3);
	/* no spot, a one-sided quote, after the close, a mid below intrinsic value */
	q.spot = 0;
	assert_int_equal(core_rules_quote_iv(&cfg, &q, now, &iv), -ENODATA);
	q.spot = 61284000000ll;
	q.bid = 0;
	assert_int_equal(core_rules_quote_iv(&cfg, &q, now, &iv), -ENODATA);
	q.bid = mid - PRICE_SCALE / 100;
	assert_int_equal(core_rules_quote_iv(&cfg, &q, ny(20260414, 16, 0, 1), &iv), -EDOM);
	q.spot = 50000000000ll; /* spot 500: the 610 put is worth at least 110 */
	assert_int_equal(core_rules_quote_iv(&cfg, &q, now, &iv), -EDOM);
	assert_int_equal(core_rules_quote_iv(NULL, &q, now, &iv), -EINVAL);
}

static void test_scanner_same_inputs_same_rows_byte_for_byte(void **state)
{
	(void)state;
	if (market_missing)
		skip();
	struct core_rules_cfg c = cfg;
	c.rule[CORE_RULE_GEN_CSP].weekdays |= 1u << CORE_MONDAY;
	static struct core_rules_scan_row r1[CORE_RULES_SCAN_ROWS_MAX],
		r2[CORE_RULES_SCAN_ROWS_MAX];
	memset(r1, 0x11, sizeof(r1));
	memset(r2, 0x22, sizeof(r2));
	int n1 = scan(&c, CORE_SYS_ANALYZING, &gen_1m, NULL, qqq, (size_t)nqqq,
		      ny(20260413, 10, 30, 0), r1);
	int n2 = scan(&c, CORE_SYS_ANALYZING, &gen_1m, NULL, qqq, (size_t)nqqq,
		      ny(20260413, 10, 30, 0), r2);
	assert_int_equal(n1, n2);
	assert_memory_equal(r1, r2, (size_t)n1 * sizeof(r1[0]));
}

static int group_setup(void **state)
{
	(void)state;
	core_rules_cfg_defaults(&cfg);
	load_qqq();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(qqq);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scanner_picks_the_gen_put_on_the_real_qqq_chain),
		cmocka_unit_test(test_scanner_real_chain_under_com_and_rev_style_bands),
		cmocka_unit_test(
			test_scanner_default_rules_on_the_real_chain_find_nothing_on_monday),
		cmocka_unit_test(
			test_scanner_tie_break_closest_delta_then_dte_then_premium_then_strike),
		cmocka_unit_test(test_scanner_reasons_when_nothing_is_picked),
		cmocka_unit_test(test_scanner_gate_and_window_apply_to_every_row),
		cmocka_unit_test(test_scanner_spends_the_budget_in_configuration_order),
		cmocka_unit_test(test_scanner_mini_trades_half_gen_style_half_com_style),
		cmocka_unit_test(test_scanner_delta_from_iv_uses_time_to_the_expiry_close),
		cmocka_unit_test(test_scanner_iv_from_the_mid_inverts_black_scholes),
		cmocka_unit_test(test_scanner_same_inputs_same_rows_byte_for_byte),
	};
	int failed = cmocka_run_group_tests(tests, group_setup, group_teardown);
	if (market_missing && failed == 0) {
		printf("test_core_rules_scanner: no market data in ../shared/data/market or "
		       "$ALLUSE_MARKET_DATA: real-chain tests skipped\n");
		return 77;
	}
	return failed;
}
