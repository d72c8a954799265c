/*
 * core_rules_accounts.h — ALL-USE accounts: the 40/30/30 split, Gen-Acc forks into
 * Mini ALL-USE accounts, Rev-Acc forks into new ALL-USE accounts, Minis merge back
 * (RULES §1, §6), with the fork history kept in the same fixed-size struct.
 *
 * An ALL-USE account is a family of three accounts (Gen, Rev, Com) sharing a family
 * id; a Mini belongs to its parent Gen-Acc's family, so "its parent's Com-Acc" is the
 * Com-Acc of that family. Ids are 1, 2, ... in creation order and never reused;
 * accounts are never removed (a merged Mini stays, closed, for the history).
 *
 * Money is int64 × 10^8 USD (core_rules_cfg.h). Per account:
 *   balance    capital (equity) — the caller updates it after the close from the
 *              broker's net liquidation; fork and merge thresholds read it
 *   available  cash free to deploy (not reserved as put collateral) — moved exactly by
 *              forks, merges and core_rules_book's fills, expiries and assignments
 *
 * Forks (core_rules_accounts_forks), for a Gen-Acc (step, funding = gen_fork_step,
 * mini_capital) and a Rev-Acc (rev_fork_step, rev_fork_capital):
 *   gross    = balance + forked_out − base          (growth, counting what was forked out)
 *   eligible = floor(gross / step)                  (0 when gross <= 0)
 *   due      = eligible − forks                     (forks already made count against it)
 * Each fork deducts its funding from the parent's balance and available. Because
 * forked_out is added back, deducting the funding does not by itself change the next
 * count: Gen up $250K -> two Minis at once, Gen back at base + $50K; another $50K of
 * growth -> the third. A due fork the parent's available cash cannot fund is deferred
 * (counted in the report, made on a later check), never funded on credit.
 *
 * Merges (core_rules_accounts_merges): a Mini merges into its family's Com-Acc on the
 * first check where any of these holds (reasons are a bit set, all that hold):
 *   AGE       date >= created + mini_merge_years (a 29 February anniversary is 1 March)
 *   MULTIPLE  balance >= initial × mini_merge_multiple_bp / 10000
 *   BALANCE   balance >= mini_merge_balance
 * Its balance, available cash and (with a book) its positions move to the Com-Acc; the
 * Mini is closed. The parent Gen-Acc's fork count is not reduced.
 *
 * All-or-nothing: a call that would overflow the account table or the fork history
 * changes nothing and returns -ENOSPC. Pure: dates come in as arguments.
 */
#ifndef CORE_RULES_ACCOUNTS_H
#define CORE_RULES_ACCOUNTS_H

#include "rt/rt_err.h"
#include "workers/core/core_rules_cfg.h"

#include <stdbool.h>
#include <stdint.h>

#define CORE_RULES_ACCOUNTS_MAX 64u
#define CORE_RULES_FORKS_MAX 256u

enum core_rules_fork_kind {
	CORE_FORK_MINI = 1, /* Gen-Acc -> new Mini ALL-USE */
	CORE_FORK_ALLUSE = 2, /* Rev-Acc -> new ALL-USE account (three accounts) */
	CORE_FORK_MERGE = 3, /* Mini -> its family's Com-Acc */
};

/* Merge reasons (struct core_rules_fork.merge_why, core_rules_accounts_merge_due). */
#define CORE_MERGE_AGE 1u
#define CORE_MERGE_MULTIPLE 2u
#define CORE_MERGE_BALANCE 4u

struct core_rules_account {
	uint32_t id; /* 1.., creation order, never reused */
	enum core_rules_acct type;
	uint32_t family; /* ALL-USE account it belongs to (1..); a Mini: its parent's */
	uint32_t parent; /* Mini: its Gen-Acc; a forked family: the Rev-Acc; 0: opened */
	int32_t created; /* YYYYMMDD */
	int64_t initial; /* capital at creation, money */
	int64_t base; /* fork thresholds count from it (= initial), money */
	int64_t balance; /* capital (equity), money; updated by the caller */
	int64_t available; /* cash free to deploy, money */
	int64_t forked_out; /* funding given to forks so far, money */
	uint32_t forks; /* forks made (Minis or ALL-USE accounts) */
	bool frozen; /* level 2: no new entries (core_rules_gate) */
	int64_t frozen_ns; /* when frozen (UTC ns), 0 when not */
	bool closed; /* merged away */
	int32_t closed_date; /* YYYYMMDD, 0 while open */
};

struct core_rules_fork {
	enum core_rules_fork_kind kind;
	int32_t date; /* YYYYMMDD of the check that made it */
	uint32_t from; /* Gen-Acc or Rev-Acc that forked; the Mini that merged */
	uint32_t to; /* the new Mini; the new family's Gen-Acc; the Com-Acc merged into */
	int64_t amount; /* money moved */
	uint32_t ordinal; /* fork: the parent's fork count after it (1..); merge: 0 */
	uint32_t merge_why; /* merge: CORE_MERGE_* bits; fork: 0 */
	int64_t from_balance; /* balance of `from` after the move */
};

struct core_rules_accounts {
	uint32_t count; /* acct[0..count) in id order (acct[i].id == i + 1) */
	uint32_t families; /* ALL-USE accounts opened (family ids 1..families) */
	struct core_rules_account acct[CORE_RULES_ACCOUNTS_MAX];
	uint32_t nforks; /* fork[0..nforks): the history, oldest first */
	struct core_rules_fork fork[CORE_RULES_FORKS_MAX];
};

/* What one fork or merge check did besides the records it appended. */
struct core_rules_accounts_report {
	uint32_t made; /* forks (or merges) made by this call */
	uint32_t deferred; /* forks due but not fundable from available cash */
};

/* Empty: no accounts, no history. */
void core_rules_accounts_init(struct core_rules_accounts *a);

/*
 * Open a new ALL-USE account of `capital` on `date`: Gen = floor(capital × split_gen),
 * Rev = floor(capital × split_rev), Com = the rest (the three sum to capital exactly).
 * parent is 0 for an operator-opened account (a Rev-Acc fork passes itself).
 * ids (may be NULL) gets the three ids, Gen, Rev, Com. Returns 0, -EINVAL (capital not
 * in 1..CORE_RULES_MONEY_MAX, bad date) or -ENOSPC (fewer than three free slots).
 */
int core_rules_accounts_open(const struct core_rules_cfg *cfg, struct core_rules_accounts *a,
			     int64_t capital, int32_t date, uint32_t parent, uint32_t ids[3]);

/* The account with this id, or NULL. */
struct core_rules_account *core_rules_accounts_find(struct core_rules_accounts *a, uint32_t id);

/* Id of the Com-Acc of a family, or 0. */
uint32_t core_rules_accounts_com_of(const struct core_rules_accounts *a, uint32_t family);

/* Forks due for one account now (gross/step − forks, >= 0), funding ignored; 0 for a
 * Com-Acc, a Mini or a closed account. */
uint32_t core_rules_accounts_fork_due(const struct core_rules_cfg *cfg,
				      const struct core_rules_account *acct);

/*
 * Make every due, fundable fork of every open Gen-Acc and Rev-Acc (in id order,
 * accounts created by this call are not examined), appending one record each.
 * Returns the number made (>= 0; rep->made too), -EINVAL (bad date) or -ENOSPC
 * (nothing done: the table or the history would overflow). rep may be NULL.
 */
int core_rules_accounts_forks(const struct core_rules_cfg *cfg, struct core_rules_accounts *a,
			      int32_t date, struct core_rules_accounts_report *rep);

/* CORE_MERGE_* bits that hold for a Mini on date; 0 for anything else. */
uint32_t core_rules_accounts_merge_due(const struct core_rules_cfg *cfg,
				       const struct core_rules_account *acct, int32_t date);

struct core_rules_book;

/*
 * Merge every Mini that is due (see the top of this file). With a book (may be NULL),
 * the Mini's positions move to the Com-Acc too (core_rules_book_transfer). Returns the
 * number merged, -EINVAL, -ENOENT (a due Mini's family has no open Com-Acc: nothing
 * done) or -ENOSPC (nothing done).
 */
int core_rules_accounts_merges(const struct core_rules_cfg *cfg, struct core_rules_accounts *a,
			       struct core_rules_book *book, int32_t date,
			       struct core_rules_accounts_report *rep);

/* Freeze (level 2) or unfreeze an account's entries. Returns 0 or -ENOENT. */
int core_rules_accounts_freeze(struct core_rules_accounts *a, uint32_t id, bool frozen,
			       int64_t now_ns);

/* "mini", "alluse", "merge"; "?" out of range. */
const char *core_rules_fork_kind_name(enum core_rules_fork_kind kind);

#endif
