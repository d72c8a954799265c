/* The book: fills, expiry, assignment, call-away, never a naked call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "workers/core/core_rules_book.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define USD(x) CORE_RULES_USD(x)
#define CENTS(x) ((int64_t)(x) * (PRICE_SCALE / 100))
#define PUT CORE_RIGHT_PUT
#define CALL CORE_RIGHT_CALL

static struct core_rules_cfg cfg;
static struct core_rules_accounts accts;
static struct core_rules_book book;

/* one ALL-USE account of $1,000,000: Gen 1 (400,000), Rev 2, Com 3 (300,000) */
static int setup(void **state)
{
	(void)state;
	core_rules_cfg_defaults(&cfg);
	core_rules_accounts_init(&accts);
	core_rules_book_init(&book);
	assert_int_equal(core_rules_accounts_open(&cfg, &accts, USD(1000000), 20260105, 0, NULL),
			 0);
	return 0;
}

static struct core_rules_account *acct(uint32_t id)
{
	return core_rules_accounts_find(&accts, id);
}

static void test_book_sold_put_reserves_collateral_and_expires_worthless(void **state)
{
	setup(state);
	uint32_t id;
	/* sell 2 QQQ 600 puts at 1.50: + 2 × 150 = 300 premium, − 2 × 60,000 collateral */
	assert_int_equal(core_rules_book_open(&book, acct(1), "QQQ", PUT, USD(600), 20260417, -2,
					      CENTS(150), 20260416, &id),
			 0);
	assert_int_equal(acct(1)->available, USD(400000) + USD(300) - USD(120000));
	struct core_rules_exposure e;
	core_rules_book_exposure(&book, 1, "QQQ", &e);
	assert_int_equal(e.put_collateral, USD(120000));
	assert_int_equal(core_rules_book_put_collateral(&book, 1), USD(120000));
	/* settles at 601 > 600: out of the money, leaves the book, collateral back */
	struct core_rules_settle px[] = {{"QQQ", USD(601)}};
	struct core_rules_book_event ev[4];
	assert_int_equal(core_rules_book_expire(&book, &accts, 20260417, px, 1, ev, 4), 1);
	assert_int_equal(ev[0].kind, CORE_BOOK_EXPIRED);
	assert_int_equal(ev[0].pos_id, id);
	assert_int_equal(ev[0].contracts, 2);
	assert_int_equal(ev[0].cash_delta, USD(120000));
	assert_int_equal(book.n, 0);
	assert_int_equal(acct(1)->available, USD(400000) + USD(300));
}

static void test_book_assigned_put_becomes_shares_then_covered_calls(void **state)
{
	setup(state);
	uint32_t id;
	assert_int_equal(core_rules_book_open(&book, acct(1), "AAPL", PUT, USD(200), 20260417, -3,
					      USD(2), 20260416, &id),
			 0);
	int64_t cash = acct(1)->available; /* 400,000 + 600 − 60,000 */
	assert_int_equal(cash, USD(340600));
	/* a call cannot be sold yet: no shares, never a naked call */
	assert_int_equal(core_rules_book_open(&book, acct(1), "AAPL", CALL, USD(210), 20260424, -1,
					      USD(1), 20260420, NULL),
			 -EPERM);
	/* settles at 195 < 200: assigned, 300 shares at 200 paid by the collateral */
	struct core_rules_settle px[] = {{"MSFT", USD(400)}, {"AAPL", USD(195)}};
	struct core_rules_book_event ev[4];
	assert_int_equal(core_rules_book_expire(&book, &accts, 20260417, px, 2, ev, 4), 1);
	assert_int_equal(ev[0].kind, CORE_BOOK_ASSIGNED);
	assert_int_equal(ev[0].shares_delta, 300);
	assert_int_equal(ev[0].cash_delta, 0);
	assert_int_equal(ev[0].settle, USD(195));
	assert_int_equal(acct(1)->available, cash);
	struct core_rules_exposure e;
	core_rules_book_exposure(&book, 1, "AAPL", &e);
	assert_int_equal(e.shares, 300);
	assert_int_equal(e.shares_cost, USD(60000));
	assert_int_equal(e.put_collateral, 0);
	assert_int_equal(e.shares_free, 300);
	/* now covered calls: 3 contracts fit, a 4th would be naked */
	assert_int_equal(core_rules_book_open(&book, acct(1), "AAPL", CALL, USD(210), 20260424, -2,
					      USD(1), 20260420, NULL),
			 0);
	core_rules_book_exposure(&book, 1, "AAPL", &e);
	assert_int_equal(e.shares_free, 100);
	assert_int_equal(e.call_notional, USD(42000));
	assert_int_equal(core_rules_book_open(&book, acct(1), "AAPL", CALL, USD(215), 20260424, -2,
					      USD(1), 20260420, NULL),
			 -EPERM);
	assert_int_equal(core_rules_book_open(&book, acct(1), "AAPL", CALL, USD(215), 20260424, -1,
					      USD(1), 20260420, NULL),
			 0);
	/* shares in another account cover nothing here */
	assert_int_equal(core_rules_book_open(&book, acct(3), "AAPL", CALL, USD(215), 20260424, -1,
					      USD(1), 20260420, NULL),
			 -EPERM);
}

static void test_book_called_away_call_removes_the_shares(void **state)
{
	setup(state);
	assert_int_equal(core_rules_book_add_shares(&book, 3, "MSFT", 500, USD(400), 20260105), 0);
	int64_t cash = acct(3)->available;
	uint32_t c1, c2;
	assert_int_equal(core_rules_book_open(&book, acct(3), "MSFT", CALL, USD(420), 20260417, -3,
					      USD(3), 20260413, &c1),
			 0);
	assert_int_equal(core_rules_book_open(&book, acct(3), "MSFT", CALL, USD(440), 20260417, -2,
					      USD(1), 20260413, &c2),
			 0);
	assert_int_equal(acct(3)->available, cash + USD(900) + USD(200));
	/* settles at 430: the 420s are called away, the 440s expire */
	struct core_rules_settle px[] = {{"MSFT", USD(430)}};
	struct core_rules_book_event ev[4];
	assert_int_equal(core_rules_book_expire(&book, &accts, 20260417, px, 1, ev, 4), 2);
	assert_int_equal(ev[0].kind, CORE_BOOK_CALLED_AWAY);
	assert_int_equal(ev[0].pos_id, c1);
	assert_int_equal(ev[0].shares_delta, -300);
	assert_int_equal(ev[0].cash_delta, USD(126000)); /* 3 × 100 × 420 */
	assert_int_equal(ev[1].kind, CORE_BOOK_EXPIRED);
	assert_int_equal(ev[1].pos_id, c2);
	assert_int_equal(ev[1].cash_delta, 0);
	struct core_rules_exposure e;
	core_rules_book_exposure(&book, 3, "MSFT", &e);
	assert_int_equal(e.shares, 200);
	assert_int_equal(e.shares_cost, USD(80000)); /* average cost: 200 × 400 */
	assert_int_equal(e.calls_short, 0);
	assert_int_equal(acct(3)->available, cash + USD(1100) + USD(126000));
	/* all the rest called away early (broker notice): the shares position leaves */
	uint32_t c3;
	assert_int_equal(core_rules_book_open(&book, acct(3), "MSFT", CALL, USD(425), 20260424, -2,
					      USD(2), 20260420, &c3),
			 0);
	struct core_rules_book_event one;
	assert_int_equal(core_rules_book_assign(&book, &accts, c3, 2, 20260421, &one), 0);
	assert_int_equal(one.kind, CORE_BOOK_CALLED_AWAY);
	assert_int_equal(one.settle, 0);
	assert_int_equal(book.n, 0);
}

static void test_book_at_the_money_is_not_exercised(void **state)
{
	setup(state);
	assert_int_equal(core_rules_book_open(&book, acct(1), "SPY", PUT, USD(500), 20260417, -1,
					      USD(1), 20260416, NULL),
			 0);
	struct core_rules_settle px[] = {{"SPY", USD(500)}};
	struct core_rules_book_event ev[1];
	assert_int_equal(core_rules_book_expire(&book, &accts, 20260417, px, 1, ev, 1), 1);
	assert_int_equal(ev[0].kind, CORE_BOOK_EXPIRED);
}

static void test_book_long_hedge_in_the_money_settles_for_cash(void **state)
{
	setup(state);
	uint32_t id;
	assert_int_equal(core_rules_book_open(&book, acct(1), "QQQ", PUT, USD(580), 20260417, 2,
					      CENTS(80), 20260416, &id),
			 0);
	int64_t cash = acct(1)->available;
	assert_int_equal(cash, USD(400000) - USD(160));
	struct core_rules_settle px[] = {{"QQQ", USD(570)}};
	struct core_rules_book_event ev[1];
	assert_int_equal(core_rules_book_expire(&book, &accts, 20260417, px, 1, ev, 1), 1);
	assert_int_equal(ev[0].kind, CORE_BOOK_EXERCISED);
	assert_int_equal(ev[0].cash_delta, USD(2000)); /* (580 − 570) × 100 × 2 */
	assert_int_equal(acct(1)->available, cash + USD(2000));
}

static void test_book_expiry_is_all_or_nothing(void **state)
{
	setup(state);
	assert_int_equal(core_rules_book_open(&book, acct(1), "QQQ", PUT, USD(600), 20260417, -1,
					      USD(1), 20260416, NULL),
			 0);
	assert_int_equal(core_rules_book_open(&book, acct(1), "SPY", PUT, USD(500), 20260417, -1,
					      USD(1), 20260416, NULL),
			 0);
	assert_int_equal(core_rules_book_open(&book, acct(1), "IWM", PUT, USD(200), 20260424, -1,
					      USD(1), 20260416, NULL),
			 0);
	static struct core_rules_book before;
	before = book;
	struct core_rules_settle px[] = {{"QQQ", USD(590)}}; /* no SPY price */
	struct core_rules_book_event ev[4];
	assert_int_equal(core_rules_book_expire(&book, &accts, 20260417, px, 1, ev, 4), -ENOENT);
	assert_memory_equal(&book, &before, sizeof(book));
	struct core_rules_settle both[] = {{"QQQ", USD(590)}, {"SPY", USD(510)}};
	assert_int_equal(core_rules_book_expire(&book, &accts, 20260417, both, 2, ev, 1), -ENOSPC);
	assert_memory_equal(&book, &before, sizeof(book));
	assert_int_equal(core_rules_book_expire(&book, &accts, 20260417, both, 2, ev, 4), 2);
	assert_int_equal(ev[0].kind, CORE_BOOK_ASSIGNED);
	assert_int_equal(ev[1].kind, CORE_BOOK_EXPIRED);
	/* the IWM put (a week later) and the new QQQ shares remain */
	assert_int_equal(book.n, 2);
	assert_int_equal(book.pos[0].kind, CORE_POS_OPTION);
	assert_int_equal(book.pos[1].kind, CORE_POS_SHARES);
}

static void test_book_close_buys_back_part_of_a_short(void **state)
{
	setup(state);
	uint32_t id;
	assert_int_equal(core_rules_book_open(&book, acct(2), "NVDA", PUT, USD(180), 20260420, -4,
					      USD(3), 20260415, &id),
			 0);
	int64_t cash = acct(2)->available;
	/* buy back 1 at 5.00: − 500, + 18,000 collateral */
	assert_int_equal(core_rules_book_close(&book, acct(2), id, 1, USD(5)), 0);
	assert_int_equal(acct(2)->available, cash - USD(500) + USD(18000));
	assert_int_equal(core_rules_book_find(&book, id)->qty, -3);
	assert_int_equal(core_rules_book_close(&book, acct(2), id, 4, USD(5)), -EINVAL);
	assert_int_equal(core_rules_book_close(&book, acct(1), id, 1, USD(5)), -ENOENT);
	assert_int_equal(core_rules_book_close(&book, acct(2), id, 3, USD(5)), 0);
	assert_null(core_rules_book_find(&book, id));
	/* early assignment of part of a put */
	assert_int_equal(core_rules_book_open(&book, acct(2), "TSLA", PUT, USD(250), 20260420, -3,
					      USD(3), 20260415, &id),
			 0);
	struct core_rules_book_event ev;
	assert_int_equal(core_rules_book_assign(&book, &accts, id, 1, 20260416, &ev), 0);
	assert_int_equal(ev.kind, CORE_BOOK_ASSIGNED);
	assert_int_equal(ev.shares_delta, 100);
	assert_int_equal(core_rules_book_find(&book, id)->qty, -2);
	assert_int_equal(core_rules_book_assign(&book, &accts, id, 3, 20260416, &ev), -EINVAL);
	assert_int_equal(core_rules_book_assign(&book, &accts, 999, 1, 20260416, &ev), -ENOENT);
	assert_string_equal(core_rules_book_event_name(CORE_BOOK_CALLED_AWAY), "called_away");
}

static void test_book_rejects_bad_fills(void **state)
{
	setup(state);
	assert_int_equal(core_rules_book_open(&book, acct(1), "QQQ", PUT, 0, 20260417, -1, 0,
					      20260416, NULL),
			 -EINVAL);
	assert_int_equal(core_rules_book_open(&book, acct(1), "QQQ", PUT, USD(1), 20260417, 0, 0,
					      20260416, NULL),
			 -EINVAL);
	assert_int_equal(core_rules_book_open(&book, acct(1), "", PUT, USD(1), 20260417, -1, 0,
					      20260416, NULL),
			 -EINVAL);
	assert_int_equal(core_rules_book_open(&book, acct(1), "QQQ", PUT, USD(1), 20260431, -1, 0,
					      20260416, NULL),
			 -EINVAL);
	assert_int_equal(core_rules_book_add_shares(&book, 1, "QQQ", 0, USD(1), 20260416), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_book_sold_put_reserves_collateral_and_expires_worthless),
		cmocka_unit_test(test_book_assigned_put_becomes_shares_then_covered_calls),
		cmocka_unit_test(test_book_called_away_call_removes_the_shares),
		cmocka_unit_test(test_book_at_the_money_is_not_exercised),
		cmocka_unit_test(test_book_long_hedge_in_the_money_settles_for_cash),
		cmocka_unit_test(test_book_expiry_is_all_or_nothing),
		cmocka_unit_test(test_book_close_buys_back_part_of_a_short),
		cmocka_unit_test(test_book_rejects_bad_fills),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
