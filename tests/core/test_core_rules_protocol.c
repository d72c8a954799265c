/* Protocol actions (RULES §4): roll candidates, roll, hedge, freeze, stop-loss, SAFE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_protocol.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define USD(x) CORE_RULES_USD(x)
#define PX(x) price_from_double(x)
#define THU 20260416
#define FRI 20260417
#define MON 20260420
#define P CORE_RIGHT_PUT
#define C CORE_RIGHT_CALL

static struct core_rules_cfg cfg;
static int market_missing;
static struct core_rules_accounts accts;
static struct core_rules_book book;
static struct core_rules_sm sm;

static int64_t ny(int32_t date, int h, int m, int s)
{
	int64_t t;
	assert_int_equal(core_calendar_ny_to_utc_ns(date, h * 3600 + m * 60 + s, &t), 0);
	return t;
}

static struct core_rules_quote quote(const char *sym, enum core_right right, double strike,
				     int32_t expiry, double bid, double ask)
{
	struct core_rules_quote q = {.right = right,
				     .strike = PX(strike),
				     .expiry = expiry,
				     .bid = PX(bid),
				     .ask = PX(ask),
				     .iv = NAN,
				     .delta = NAN};
	snprintf(q.symbol, sizeof(q.symbol), "%s", sym);
	return q;
}

/* A short of 2 QQQ 600 puts expiring Thursday, and the chain around it. */
static struct core_rules_quote chain[16];
static size_t nchain;
static uint32_t short_put;

static int setup(void **state)
{
	(void)state;
	core_rules_cfg_defaults(&cfg);
	core_rules_accounts_init(&accts);
	core_rules_book_init(&book);
	core_rules_sm_init(&sm, 0);
	sm.state = CORE_SYS_MONITORING;
	assert_int_equal(core_rules_accounts_open(&cfg, &accts, USD(1000000), 20260105, 0, NULL),
			 0);
	assert_int_equal(core_rules_book_open(&book, core_rules_accounts_find(&accts, 1), "QQQ", P,
					      USD(600), THU, -2, PX(1.5), THU, &short_put),
			 0);
	nchain = 0;
	chain[nchain++] = quote("QQQ", P, 600, THU, 1.00, 1.10); /* the short: mid 1.05 */
	chain[nchain++] = quote("QQQ", P, 595, THU, 0.50, 0.60);
	chain[nchain++] = quote("QQQ", P, 592, THU, 0.35, 0.40);
	chain[nchain++] = quote("QQQ", P, 590, THU, 0.20, 0.25);
	chain[nchain++] = quote("QQQ", P, 605, FRI, 3.00, 3.10); /* not beyond the short */
	chain[nchain++] = quote("QQQ", P, 600, FRI, 2.00, 2.10); /* credit 1.00 */
	chain[nchain++] = quote("QQQ", P, 595, FRI, 1.40, 1.50); /* credit 0.40 */
	chain[nchain++] = quote("QQQ", P, 590, FRI, 1.05, 1.10); /* mid 1.075: credit 0.025 */
	chain[nchain++] = quote("QQQ", P, 585, FRI, 0.90, 1.00); /* a debit */
	chain[nchain++] = quote("QQQ", P, 580, MON, 2.00, 2.10); /* a later expiry: not next */
	chain[nchain++] = quote("QQQ", C, 600, FRI, 9.00, 9.10); /* another right */
	chain[nchain++] = quote("SPY", P, 590, FRI, 5.00, 5.10); /* another symbol */
	return 0;
}

static void test_protocol_level1_precomputes_roll_candidates_furthest_first(void **state)
{
	setup(state);
	struct core_rules_level_event ev = {short_put, 1, 0, USD(597), USD(4)};
	struct core_rules_protocol_out out;
	assert_int_equal(core_rules_protocol_on_level(&cfg, &ev, &book, &accts, &sm, chain, nchain,
						      ny(THU, 12, 0, 0), &out),
			 0);
	assert_int_equal(out.nrolls, 3);
	assert_int_equal(out.roll[0].strike, USD(590));
	assert_int_equal(out.roll[0].expiry, FRI);
	assert_int_equal(out.roll[0].close_mid, PX(1.05));
	assert_int_equal(out.roll[0].open_mid, PX(1.075));
	assert_int_equal(out.roll[0].credit, PX(0.025));
	assert_int_equal(out.roll[1].strike, USD(595));
	assert_int_equal(out.roll[1].credit, PX(0.40));
	assert_int_equal(out.roll[2].strike, USD(600));
	assert_int_equal(out.roll[2].credit, PX(1.00));
	assert_int_equal(out.nintents, 0);
	assert_false(out.froze);
	assert_false(accts.acct[0].frozen);
	assert_int_equal(sm.state, CORE_SYS_MONITORING);
	assert_string_equal(out.v.text, "ok: 3 candidates on 20260417");
	/* a smaller buffer keeps the best */
	struct core_rules_roll two[2];
	assert_int_equal(core_rules_roll_candidates(&cfg, core_rules_book_find(&book, short_put),
						    chain, nchain, ny(THU, 12, 0, 0), two, 2, NULL),
			 2);
	assert_int_equal(two[0].strike, USD(590));
	assert_int_equal(two[1].strike, USD(595));
}

static void test_protocol_level2_rolls_and_freezes_the_account(void **state)
{
	setup(state);
	struct core_rules_level_event ev = {short_put, 2, 1, USD(592), USD(4)};
	struct core_rules_protocol_out out;
	assert_int_equal(core_rules_protocol_on_level(&cfg, &ev, &book, &accts, &sm, chain, nchain,
						      ny(THU, 13, 0, 0), &out),
			 0);
	assert_true(out.froze);
	assert_true(accts.acct[0].frozen);
	assert_int_equal(out.nintents, 1);
	const struct core_rules_intent *it = &out.intent[0];
	assert_int_equal(it->kind, CORE_INTENT_ROLL);
	assert_int_equal(it->contracts, 2);
	assert_int_equal(it->pos_id, short_put);
	assert_int_equal(it->level, 2);
	char line[256];
	core_rules_intent_format(it, line, sizeof(line));
	assert_string_equal(line, "roll acct=1 gen QQQ x2 [buy_to_close P 600.00000000 20260416 "
				  "@1.05000000] [sell_to_open P 590.00000000 20260417 @1.07500000] "
				  "net=0.02500000 pos=1 level=2");
	/* the freeze stops the account's entries, the system keeps running */
	assert_int_equal(core_rules_gate(&cfg, sm.state, &accts.acct[0], CORE_INTENT_ENTRY, NULL),
			 CORE_WHY_ACCOUNT_FROZEN);
	assert_int_equal(core_rules_gate(&cfg, sm.state, &accts.acct[1], CORE_INTENT_ENTRY, NULL),
			 CORE_WHY_OK);
}

/*
 * Hedge, one ATR beyond the price: price 598, ATR 5 -> target 593; the highest listed
 * put at or below 593 on the first expiry at or after the short's (Thursday) is 592,
 * mid (0.35 + 0.40) / 2 = 0.375.
 */
static void test_protocol_level2_hedges_when_the_roll_cannot_go(void **state)
{
	setup(state);
	sm.state = CORE_SYS_SAFE; /* entries (and so rolls) are closed: the hedge goes */
	struct core_rules_level_event ev = {short_put, 2, 1, USD(598), USD(5)};
	struct core_rules_protocol_out out;
	assert_int_equal(core_rules_protocol_on_level(&cfg, &ev, &book, &accts, &sm, chain, nchain,
						      ny(THU, 13, 0, 0), &out),
			 0);
	assert_int_equal(out.nrolls, 3);
	assert_int_equal(out.nintents, 1);
	const struct core_rules_intent *it = &out.intent[0];
	assert_int_equal(it->kind, CORE_INTENT_HEDGE);
	assert_int_equal(it->leg[0].side, CORE_SIDE_BUY_TO_OPEN);
	assert_int_equal(it->leg[0].right, P);
	assert_int_equal(it->leg[0].strike, USD(592));
	assert_int_equal(it->leg[0].expiry, THU);
	assert_int_equal(it->leg[0].limit, PX(0.375));
	assert_int_equal(it->contracts, 2);
	assert_int_equal(it->net, -PX(0.375));
	assert_true(out.froze);
	assert_int_equal(core_rules_gate(&cfg, sm.state, &accts.acct[0], it->kind, NULL),
			 CORE_WHY_OK);
	/* no candidate at all (every roll a debit): the hedge too */
	setup(state);
	cfg.roll_min_credit = USD(5);
	assert_int_equal(core_rules_protocol_on_level(&cfg, &ev, &book, &accts, &sm, chain, nchain,
						      ny(THU, 13, 0, 0), &out),
			 0);
	assert_int_equal(out.nrolls, 0);
	assert_int_equal(out.intent[0].kind, CORE_INTENT_HEDGE);
	assert_non_null(strstr(out.v.text, "no_roll_credit"));
	/* the router reports the roll failed: the caller asks for the hedge alone */
	struct core_rules_intent h;
	struct core_rules_verdict v;
	const struct core_rules_pos *pos = core_rules_book_find(&book, short_put);
	assert_int_equal(core_rules_hedge_intent(&cfg, pos, &accts.acct[0], chain, nchain, USD(598),
						 USD(5), 2, 1, &h, &v),
			 0);
	assert_int_equal(h.leg[0].strike, USD(592));
	/* no strike that far out: the nearest listed (590 for a 575 target) */
	assert_int_equal(core_rules_hedge_intent(&cfg, pos, &accts.acct[0], chain, nchain, USD(580),
						 USD(5), 2, 1, &h, &v),
			 0);
	assert_int_equal(h.leg[0].strike, USD(590));
	assert_non_null(strstr(v.text, "nearest listed"));
	/* nothing quoted: no hedge, and the reason */
	assert_int_equal(core_rules_hedge_intent(&cfg, pos, &accts.acct[0], chain + 10, 2, USD(598),
						 USD(5), 2, 1, &h, &v),
			 -ENOENT);
	assert_int_equal(v.why, CORE_WHY_NO_HEDGE_CONTRACT);
}

static void test_protocol_hedge_of_a_short_call_goes_above(void **state)
{
	setup(state);
	struct core_rules_account *com = core_rules_accounts_find(&accts, 3);
	core_rules_book_add_shares(&book, 3, "AAPL", 200, USD(180), 20260101);
	uint32_t id;
	assert_int_equal(core_rules_book_open(&book, com, "AAPL", C, USD(210), FRI, -2, USD(1),
					      20260413, &id),
			 0);
	struct core_rules_quote q[] = {
		quote("AAPL", C, 210, FRI, 2.00, 2.10), quote("AAPL", C, 215, FRI, 1.00, 1.10),
		quote("AAPL", C, 220, FRI, 0.50, 0.60), quote("AAPL", C, 225, FRI, 0.20, 0.30),
		quote("AAPL", C, 225, MON, 0.60, 0.70), quote("AAPL", C, 215, MON, 2.40, 2.50),
		quote("AAPL", C, 205, MON, 5.00, 5.10),
	};
	/* price 214, ATR 6 -> target 220: the lowest call at or above 220 -> 220 */
	struct core_rules_intent h;
	const struct core_rules_pos *pos = core_rules_book_find(&book, id);
	assert_int_equal(
		core_rules_hedge_intent(&cfg, pos, com, q, 7, USD(214), USD(6), 2, 1, &h, NULL), 0);
	assert_int_equal(h.leg[0].strike, USD(220));
	assert_int_equal(h.leg[0].right, C);
	/* rolls of a call go up and out: Monday 215 (credit 2.45 − 2.05) and 225 (debit) */
	struct core_rules_roll r[4];
	assert_int_equal(core_rules_roll_candidates(&cfg, pos, q, 7, ny(THU, 12, 0, 0), r, 4, NULL),
			 1);
	assert_int_equal(r[0].strike, USD(215));
	assert_int_equal(r[0].expiry, MON);
	assert_int_equal(r[0].credit, PX(0.40));
}

static void test_protocol_level3_stops_out_and_sends_the_system_to_safe(void **state)
{
	setup(state);
	struct core_rules_level_event ev = {short_put, 3, 2, USD(585), USD(5)};
	struct core_rules_protocol_out out;
	assert_int_equal(core_rules_protocol_on_level(&cfg, &ev, &book, &accts, &sm, chain, nchain,
						      ny(THU, 14, 0, 0), &out),
			 0);
	assert_int_equal(out.nintents, 1);
	const struct core_rules_intent *it = &out.intent[0];
	assert_int_equal(it->kind, CORE_INTENT_STOP_LOSS);
	assert_int_equal(it->leg[0].side, CORE_SIDE_BUY_TO_CLOSE);
	assert_int_equal(it->leg[0].strike, USD(600));
	assert_int_equal(it->leg[0].limit, PX(1.05));
	assert_int_equal(it->contracts, 2);
	assert_true(out.to_safe);
	assert_true(out.sm.ok);
	assert_int_equal(sm.state, CORE_SYS_SAFE);
	assert_true(sm.l3_latch);
	assert_true(accts.acct[0].frozen);
	/* the stop-loss still leaves in SAFE; nothing new opens until a confirmed reset */
	assert_int_equal(core_rules_gate(&cfg, sm.state, &accts.acct[0], it->kind, NULL),
			 CORE_WHY_OK);
	assert_int_equal(core_rules_gate(&cfg, sm.state, &accts.acct[1], CORE_INTENT_ENTRY, NULL),
			 CORE_WHY_STATE_BLOCKS_ENTRY);
	assert_int_equal(
		core_rules_sm_transition(&sm, CORE_SYS_SCANNING, CORE_CAUSE_FLOW, false, 1, NULL),
		-EPERM);
	/* without a quote the stop still goes out, priced by the router (limit 0) */
	struct core_rules_intent s;
	assert_int_equal(core_rules_stop_intent(core_rules_book_find(&book, short_put),
						&accts.acct[0], NULL, 0, 3, 1, &s),
			 0);
	assert_int_equal(s.leg[0].limit, 0);
}

static void test_protocol_level0_does_nothing(void **state)
{
	setup(state);
	struct core_rules_level_event ev = {short_put, 0, 1, USD(605), USD(5)};
	struct core_rules_protocol_out out;
	assert_int_equal(core_rules_protocol_on_level(&cfg, &ev, &book, &accts, &sm, chain, nchain,
						      ny(THU, 14, 0, 0), &out),
			 0);
	assert_int_equal(out.nintents, 0);
	assert_int_equal(out.nrolls, 0);
	assert_false(out.froze);
	ev.level = 4;
	assert_int_equal(
		core_rules_protocol_on_level(&cfg, &ev, &book, &accts, &sm, chain, nchain, 1, &out),
		-EINVAL);
	ev.level = 1;
	ev.pos_id = 99;
	assert_int_equal(
		core_rules_protocol_on_level(&cfg, &ev, &book, &accts, &sm, chain, nchain, 1, &out),
		-ENOENT);
}

static void test_protocol_roll_reasons(void **state)
{
	setup(state);
	const struct core_rules_pos *pos = core_rules_book_find(&book, short_put);
	struct core_rules_roll r[4];
	struct core_rules_verdict v;
	/* no quote for the short itself */
	assert_int_equal(core_rules_roll_candidates(&cfg, pos, chain + 1, nchain - 1,
						    ny(THU, 12, 0, 0), r, 4, &v),
			 0);
	assert_int_equal(v.why, CORE_WHY_NO_QUOTE);
	/* the next expiry beyond the roll horizon */
	cfg.roll_dte_max = 0;
	assert_int_equal(
		core_rules_roll_candidates(&cfg, pos, chain, nchain, ny(THU, 12, 0, 0), r, 4, &v),
		0);
	assert_int_equal(v.why, CORE_WHY_NO_NEXT_EXPIRY);
	cfg.roll_dte_max = 14;
	/* not a short option */
	struct core_rules_pos longp = *pos;
	longp.qty = 2;
	assert_int_equal(core_rules_roll_candidates(&cfg, &longp, chain, nchain, ny(THU, 12, 0, 0),
						    r, 4, &v),
			 0);
	assert_int_equal(v.why, CORE_WHY_NOT_SHORT_OPTION);
	/* an expiry on an exchange holiday is not eligible: Good Friday 2026-04-03 */
	struct core_rules_pos gf = *pos;
	gf.expiry = 20260402;
	struct core_rules_quote h[] = {
		quote("QQQ", P, 600, 20260402, 1.00, 1.10),
		quote("QQQ", P, 600, 20260403, 3.00, 3.10),
		quote("QQQ", P, 600, 20260406, 2.00, 2.10),
	};
	assert_int_equal(
		core_rules_roll_candidates(&cfg, &gf, h, 3, ny(20260402, 12, 0, 0), r, 4, &v), 1);
	assert_int_equal(r[0].expiry, 20260406);
}

/*
 * The real snapshot: a short QQQ 610 put expiring 2026-04-13 (bid 0.42, ask 0.43: mid
 * 0.425) at noon. The next expiry is 2026-04-14; puts at or below 610 with a mid at
 * least 0.435 are 602 (0.47/0.48) .. 610 (1.63/1.65); 601 (0.39/0.40) is a debit.
 * Nine candidates, the furthest, 602, for 0.475 − 0.425 = 0.05.
 */
static void test_protocol_roll_candidates_on_the_real_qqq_chain(void **state)
{
	setup(state);
	const char *env = getenv("ALLUSE_MARKET_DATA");
	char path[PATH_MAX + 64];
	struct stat st;
	if (stat("../shared/data/market", &st) == 0)
		snprintf(path, sizeof(path),
			 "../shared/data/market/QQQ_option_chain_2026-04-13.csv");
	else if (env)
		snprintf(path, sizeof(path), "%s/QQQ_option_chain_2026-04-13.csv", env);
	else
		path[0] = '\0';
	FILE *f = path[0] ? fopen(path, "rb") : NULL;
	if (!f) {
		market_missing = 1;
		skip();
	}
	static char text[1 << 20];
	size_t len = fread(text, 1, sizeof(text), f);
	fclose(f);
	static struct core_rules_quote q[9000];
	int n = core_rules_chain_parse(path, text, len, q, 9000, NULL);
	assert_int_equal(n, 8192);
	uint32_t id;
	assert_int_equal(core_rules_book_open(&book, core_rules_accounts_find(&accts, 1), "QQQ", P,
					      USD(610), 20260413, -3, PX(0.5), 20260413, &id),
			 0);
	struct core_rules_roll r[CORE_RULES_ROLL_MAX];
	int k = core_rules_roll_candidates(&cfg, core_rules_book_find(&book, id), q, (size_t)n,
					   ny(20260413, 12, 0, 0), r, CORE_RULES_ROLL_MAX, NULL);
	assert_int_equal(k, 9);
	assert_int_equal(r[0].strike, USD(602));
	assert_int_equal(r[0].expiry, 20260414);
	assert_int_equal(r[0].credit, PX(0.05));
	assert_int_equal(r[8].strike, USD(610));
	assert_int_equal(r[8].credit, PX(1.64 - 0.425));
	assert_int_equal(q[r[0].close_idx].strike, USD(610));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protocol_level1_precomputes_roll_candidates_furthest_first),
		cmocka_unit_test(test_protocol_level2_rolls_and_freezes_the_account),
		cmocka_unit_test(test_protocol_level2_hedges_when_the_roll_cannot_go),
		cmocka_unit_test(test_protocol_hedge_of_a_short_call_goes_above),
		cmocka_unit_test(test_protocol_level3_stops_out_and_sends_the_system_to_safe),
		cmocka_unit_test(test_protocol_level0_does_nothing),
		cmocka_unit_test(test_protocol_roll_reasons),
		cmocka_unit_test(test_protocol_roll_candidates_on_the_real_qqq_chain),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (market_missing && failed == 0) {
		printf("test_core_rules_protocol: no market data in ../shared/data/market or "
		       "$ALLUSE_MARKET_DATA: the real-chain test skipped\n");
		return 77;
	}
	return failed;
}
