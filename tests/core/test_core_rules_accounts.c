/* Accounts (RULES §1, §6): the split, forks crossing thresholds, every merge condition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "workers/core/core_rules_accounts.h"
#include "workers/core/core_rules_book.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define USD(x) CORE_RULES_USD(x)

static struct core_rules_cfg cfg;
static struct core_rules_accounts a;

static int setup(void **state)
{
	(void)state;
	core_rules_cfg_defaults(&cfg);
	core_rules_accounts_init(&a);
	return 0;
}

/* one ALL-USE account of $1,000,000: ids 1 Gen, 2 Rev, 3 Com */
static void open_million(void)
{
	uint32_t ids[3];
	assert_int_equal(core_rules_accounts_open(&cfg, &a, USD(1000000), 20260105, 0, ids), 0);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 2);
	assert_int_equal(ids[2], 3);
}

static void set_balance(uint32_t id, int64_t balance, int64_t available)
{
	struct core_rules_account *x = core_rules_accounts_find(&a, id);
	x->balance = balance;
	x->available = available;
}

static void test_accounts_open_splits_40_30_30(void **state)
{
	setup(state);
	open_million();
	const struct core_rules_account *g = &a.acct[0], *r = &a.acct[1], *c = &a.acct[2];
	assert_int_equal(g->type, CORE_ACCT_GEN);
	assert_int_equal(r->type, CORE_ACCT_REV);
	assert_int_equal(c->type, CORE_ACCT_COM);
	assert_int_equal(g->balance, USD(400000));
	assert_int_equal(r->balance, USD(300000));
	assert_int_equal(c->balance, USD(300000));
	assert_int_equal(g->available, USD(400000));
	assert_int_equal(g->base, USD(400000));
	assert_int_equal(g->family, 1);
	assert_int_equal(c->family, 1);
	assert_int_equal(g->parent, 0);
	assert_int_equal(g->created, 20260105);
	assert_int_equal(core_rules_accounts_com_of(&a, 1), 3);
	/* 7 units: Gen floor(2.8) = 2, Rev floor(2.1) = 2, Com the rest = 3: the sum is exact */
	uint32_t ids[3];
	assert_int_equal(core_rules_accounts_open(&cfg, &a, 7, 20260105, 0, ids), 0);
	assert_int_equal(a.acct[3].balance, 2);
	assert_int_equal(a.acct[4].balance, 2);
	assert_int_equal(a.acct[5].balance, 3);
	assert_int_equal(a.acct[5].family, 2);
	assert_int_equal(core_rules_accounts_open(&cfg, &a, 0, 20260105, 0, ids), -EINVAL);
	assert_int_equal(core_rules_accounts_open(&cfg, &a, 1, 20260230, 0, ids), -EINVAL);
	assert_null(core_rules_accounts_find(&a, 0));
	assert_null(core_rules_accounts_find(&a, 7));
}

static void test_accounts_gen_up_250k_forks_two_minis_at_once(void **state)
{
	setup(state);
	open_million();
	/* Gen base 400,000, now 650,000: gross 250,000 -> floor(250,000 / 100,000) = 2 */
	set_balance(1, USD(650000), USD(650000));
	assert_int_equal(core_rules_accounts_fork_due(&cfg, &a.acct[0]), 2);
	struct core_rules_accounts_report rep;
	assert_int_equal(core_rules_accounts_forks(&cfg, &a, 20260416, &rep), 2);
	assert_int_equal(rep.made, 2);
	assert_int_equal(rep.deferred, 0);
	const struct core_rules_account *g = &a.acct[0];
	assert_int_equal(g->balance, USD(450000)); /* 650,000 − 2 × 100,000 */
	assert_int_equal(g->available, USD(450000));
	assert_int_equal(g->forked_out, USD(200000));
	assert_int_equal(g->forks, 2);
	assert_int_equal(a.count, 5);
	for (uint32_t i = 3; i < 5; i++) {
		const struct core_rules_account *m = &a.acct[i];
		assert_int_equal(m->type, CORE_ACCT_MINI);
		assert_int_equal(m->parent, 1);
		assert_int_equal(m->family, 1);
		assert_int_equal(m->initial, USD(100000));
		assert_int_equal(m->balance, USD(100000));
		assert_int_equal(m->available, USD(100000));
		assert_int_equal(m->created, 20260416);
	}
	/* the history, oldest first */
	assert_int_equal(a.nforks, 2);
	assert_int_equal(a.fork[0].kind, CORE_FORK_MINI);
	assert_int_equal(a.fork[0].from, 1);
	assert_int_equal(a.fork[0].to, 4);
	assert_int_equal(a.fork[0].ordinal, 1);
	assert_int_equal(a.fork[0].amount, USD(100000));
	assert_int_equal(a.fork[0].from_balance, USD(550000));
	assert_int_equal(a.fork[1].to, 5);
	assert_int_equal(a.fork[1].ordinal, 2);
	assert_int_equal(a.fork[1].from_balance, USD(450000));
	assert_int_equal(a.fork[1].date, 20260416);
	/* forks already made count against the eligible number: nothing more today */
	assert_int_equal(core_rules_accounts_forks(&cfg, &a, 20260416, &rep), 0);
	/* 450,000 + 200,000 − 400,000 = 250,000: still 2 eligible, 2 made */
	set_balance(1, USD(499999) + 99999999, USD(499999) + 99999999);
	assert_int_equal(core_rules_accounts_forks(&cfg, &a, 20260417, &rep), 0);
	/* one cent more: 500,000 + 200,000 − 400,000 = 300,000 -> 3 eligible, the third */
	set_balance(1, USD(500000), USD(500000));
	assert_int_equal(core_rules_accounts_forks(&cfg, &a, 20260417, &rep), 1);
	assert_int_equal(a.acct[0].balance, USD(400000));
	assert_int_equal(a.acct[0].forks, 3);
	assert_int_equal(a.fork[2].ordinal, 3);
	/* a loss does not undo forks: at 350,000 the gross 250,000 allows 2 < 3 made */
	set_balance(1, USD(350000), USD(350000));
	assert_int_equal(core_rules_accounts_fork_due(&cfg, &a.acct[0]), 0);
}

static void test_accounts_fork_waits_for_cash(void **state)
{
	setup(state);
	open_million();
	/* 250,000 up but 100,000 of the 650,000 is put collateral: 150,000 available funds
	 * one Mini now; the second is deferred */
	set_balance(1, USD(650000), USD(150000));
	struct core_rules_accounts_report rep;
	assert_int_equal(core_rules_accounts_forks(&cfg, &a, 20260416, &rep), 1);
	assert_int_equal(rep.deferred, 1);
	assert_int_equal(a.acct[0].available, USD(50000));
	assert_int_equal(a.acct[0].balance, USD(550000));
	/* the collateral comes back: the deferred fork is made */
	set_balance(1, USD(550000), USD(150000));
	assert_int_equal(core_rules_accounts_forks(&cfg, &a, 20260417, &rep), 1);
	assert_int_equal(rep.deferred, 0);
	assert_int_equal(a.acct[0].forks, 2);
}

static void test_accounts_rev_up_one_million_forks_two_alluse_accounts(void **state)
{
	setup(state);
	open_million();
	/* Rev base 300,000, now 1,300,000: gross 1,000,000 -> 2 × 500,000 */
	set_balance(2, USD(1300000), USD(1300000));
	assert_int_equal(core_rules_accounts_forks(&cfg, &a, 20260415, NULL), 2);
	assert_int_equal(a.acct[1].balance, USD(300000));
	assert_int_equal(a.acct[1].forks, 2);
	assert_int_equal(a.count, 9);
	assert_int_equal(a.families, 3);
	/* each new account: 500,000 split 200,000 / 150,000 / 150,000, parent the Rev-Acc */
	for (uint32_t f = 0; f < 2; f++) {
		const struct core_rules_account *x = &a.acct[3 + 3 * f];
		assert_int_equal(x[0].type, CORE_ACCT_GEN);
		assert_int_equal(x[0].balance, USD(200000));
		assert_int_equal(x[1].type, CORE_ACCT_REV);
		assert_int_equal(x[1].balance, USD(150000));
		assert_int_equal(x[2].type, CORE_ACCT_COM);
		assert_int_equal(x[2].balance, USD(150000));
		assert_int_equal(x[0].family, 2 + f);
		assert_int_equal(x[0].parent, 2);
		assert_int_equal(a.fork[f].kind, CORE_FORK_ALLUSE);
		assert_int_equal(a.fork[f].from, 2);
		assert_int_equal(a.fork[f].to, x[0].id);
		assert_int_equal(a.fork[f].amount, USD(500000));
	}
	/* Com-Acc and Minis never fork */
	set_balance(3, USD(5000000), USD(5000000));
	assert_int_equal(core_rules_accounts_fork_due(&cfg, &a.acct[2]), 0);
	assert_int_equal(core_rules_accounts_forks(&cfg, &a, 20260416, NULL), 0);
}

static void test_accounts_full_table_changes_nothing(void **state)
{
	setup(state);
	/* 21 families = 63 accounts; a Rev fork needs 3 more slots */
	for (int i = 0; i < 21; i++)
		assert_int_equal(
			core_rules_accounts_open(&cfg, &a, USD(1000000), 20260105, 0, NULL), 0);
	assert_int_equal(core_rules_accounts_open(&cfg, &a, USD(1), 20260105, 0, NULL), -ENOSPC);
	set_balance(1, USD(500000), USD(500000)); /* a Mini is due too: 1 slot */
	set_balance(2, USD(800000), USD(800000));
	static struct core_rules_accounts before;
	before = a;
	assert_int_equal(core_rules_accounts_forks(&cfg, &a, 20260416, NULL), -ENOSPC);
	assert_memory_equal(&a, &before, sizeof(a));
}

/* A Mini forked on 2026-04-16 (id 4). */
static struct core_rules_account *one_mini(void)
{
	open_million();
	set_balance(1, USD(500000), USD(500000));
	assert_int_equal(core_rules_accounts_forks(&cfg, &a, 20260416, NULL), 1);
	return core_rules_accounts_find(&a, 4);
}

static void test_accounts_mini_merges_at_three_years(void **state)
{
	setup(state);
	struct core_rules_account *m = one_mini();
	assert_int_equal(core_rules_accounts_merge_due(&cfg, m, 20290415), 0);
	assert_int_equal(core_rules_accounts_merges(&cfg, &a, NULL, 20290415, NULL), 0);
	assert_int_equal(core_rules_accounts_merge_due(&cfg, m, 20290416), CORE_MERGE_AGE);
	m->balance = USD(180000);
	m->available = USD(170000);
	assert_int_equal(core_rules_accounts_merges(&cfg, &a, NULL, 20290416, NULL), 1);
	const struct core_rules_account *com = core_rules_accounts_find(&a, 3);
	assert_int_equal(com->balance, USD(300000) + USD(180000));
	assert_int_equal(com->available, USD(300000) + USD(170000));
	assert_true(m->closed);
	assert_int_equal(m->closed_date, 20290416);
	assert_int_equal(m->balance, 0);
	const struct core_rules_fork *f = &a.fork[a.nforks - 1];
	assert_int_equal(f->kind, CORE_FORK_MERGE);
	assert_int_equal(f->from, 4);
	assert_int_equal(f->to, 3);
	assert_int_equal(f->amount, USD(180000));
	assert_int_equal(f->merge_why, CORE_MERGE_AGE);
	/* once merged, never again; the Gen-Acc's fork count stays */
	assert_int_equal(core_rules_accounts_merges(&cfg, &a, NULL, 20300101, NULL), 0);
	assert_int_equal(a.acct[0].forks, 1);
}

static void test_accounts_mini_merges_at_three_times_its_capital(void **state)
{
	setup(state);
	struct core_rules_account *m = one_mini();
	m->balance = USD(300000) - 1; /* one unit short of 3 × 100,000 */
	assert_int_equal(core_rules_accounts_merge_due(&cfg, m, 20270101), 0);
	m->balance = USD(300000);
	assert_int_equal(core_rules_accounts_merge_due(&cfg, m, 20270101), CORE_MERGE_MULTIPLE);
	assert_int_equal(core_rules_accounts_merges(&cfg, &a, NULL, 20270101, NULL), 1);
	assert_int_equal(a.fork[a.nforks - 1].merge_why, CORE_MERGE_MULTIPLE);
}

static void test_accounts_mini_merges_at_500k(void **state)
{
	setup(state);
	/* with a 6× multiple, $500K comes first */
	cfg.mini_merge_multiple_bp = 60000;
	struct core_rules_account *m = one_mini();
	m->balance = USD(500000) - 1;
	assert_int_equal(core_rules_accounts_merge_due(&cfg, m, 20270101), 0);
	m->balance = USD(500000);
	assert_int_equal(core_rules_accounts_merge_due(&cfg, m, 20270101), CORE_MERGE_BALANCE);
	/* with the default 3×, both hold: every reason is recorded */
	cfg.mini_merge_multiple_bp = 30000;
	assert_int_equal(core_rules_accounts_merge_due(&cfg, m, 20290416),
			 CORE_MERGE_AGE | CORE_MERGE_MULTIPLE | CORE_MERGE_BALANCE);
	assert_int_equal(core_rules_accounts_merges(&cfg, &a, NULL, 20290416, NULL), 1);
	assert_int_equal(a.fork[a.nforks - 1].merge_why,
			 CORE_MERGE_AGE | CORE_MERGE_MULTIPLE | CORE_MERGE_BALANCE);
}

static void test_accounts_leap_day_mini_comes_of_age_on_1_march(void **state)
{
	setup(state);
	struct core_rules_account m = {.id = 9,
				       .type = CORE_ACCT_MINI,
				       .created = 20280229,
				       .initial = USD(100000),
				       .balance = USD(100000)};
	assert_int_equal(core_rules_accounts_merge_due(&cfg, &m, 20310228), 0);
	assert_int_equal(core_rules_accounts_merge_due(&cfg, &m, 20310301), CORE_MERGE_AGE);
	m.type = CORE_ACCT_GEN;
	assert_int_equal(core_rules_accounts_merge_due(&cfg, &m, 20310301), 0);
}

static void test_accounts_merge_moves_the_minis_positions(void **state)
{
	setup(state);
	struct core_rules_account *m = one_mini();
	static struct core_rules_book book;
	core_rules_book_init(&book);
	assert_int_equal(core_rules_book_add_shares(&book, 4, "AAPL", 200, USD(150), 20260420), 0);
	assert_int_equal(core_rules_book_add_shares(&book, 3, "AAPL", 100, USD(140), 20260420), 0);
	assert_int_equal(core_rules_book_open(&book, m, "QQQ", CORE_RIGHT_PUT, USD(500), 20260424,
					      -1, USD(2), 20260423, NULL),
			 0);
	m->balance = USD(300000);
	assert_int_equal(core_rules_accounts_merges(&cfg, &a, &book, 20270101, NULL), 1);
	struct core_rules_exposure e;
	core_rules_book_exposure(&book, 3, "AAPL", &e);
	assert_int_equal(e.shares, 300); /* joined the Com-Acc's AAPL */
	assert_int_equal(e.shares_cost, USD(150) * 200 + USD(140) * 100);
	core_rules_book_exposure(&book, 3, "QQQ", &e);
	assert_int_equal(e.put_collateral, USD(50000));
	core_rules_book_exposure(&book, 4, "AAPL", &e);
	assert_int_equal(e.shares, 0);
	assert_int_equal(book.n, 2);
}

static void test_accounts_freeze_and_unfreeze(void **state)
{
	setup(state);
	open_million();
	assert_int_equal(core_rules_accounts_freeze(&a, 2, true, 77), 0);
	assert_true(a.acct[1].frozen);
	assert_int_equal(a.acct[1].frozen_ns, 77);
	assert_int_equal(core_rules_accounts_freeze(&a, 2, false, 78), 0);
	assert_false(a.acct[1].frozen);
	assert_int_equal(core_rules_accounts_freeze(&a, 99, true, 1), -ENOENT);
	assert_string_equal(core_rules_fork_kind_name(CORE_FORK_MERGE), "merge");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accounts_open_splits_40_30_30),
		cmocka_unit_test(test_accounts_gen_up_250k_forks_two_minis_at_once),
		cmocka_unit_test(test_accounts_fork_waits_for_cash),
		cmocka_unit_test(test_accounts_rev_up_one_million_forks_two_alluse_accounts),
		cmocka_unit_test(test_accounts_full_table_changes_nothing),
		cmocka_unit_test(test_accounts_mini_merges_at_three_years),
		cmocka_unit_test(test_accounts_mini_merges_at_three_times_its_capital),
		cmocka_unit_test(test_accounts_mini_merges_at_500k),
		cmocka_unit_test(test_accounts_leap_day_mini_comes_of_age_on_1_march),
		cmocka_unit_test(test_accounts_merge_moves_the_minis_positions),
		cmocka_unit_test(test_accounts_freeze_and_unfreeze),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
