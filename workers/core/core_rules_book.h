/*
 * core_rules_book.h — the positions of every account: options (short puts, covered
 * calls, long hedges) and shares, with the cash moves of fills, expiries and
 * assignments, and the per-symbol exposure sizing needs.
 *
 * Cash (struct core_rules_account.available, money × 10^8):
 *   sell a put           + premium × 100 × n − strike × 100 × n   (collateral reserved)
 *   sell a call          + premium × 100 × n                      (covered by shares)
 *   buy an option        − premium × 100 × n
 *   buy to close         − price × 100 × n (a put also releases its collateral)
 *   sell to close        + price × 100 × n
 * Expiry and assignment (Decision, docs/rules.md):
 *   short option expires out of the money  -> leaves the book; a put releases its
 *                                             collateral to available
 *   short put assigned (settle < strike)    -> 100 × n shares at the strike in the same
 *                                             account; the collateral pays for them
 *                                             (available unchanged); the shares are then
 *                                             available to covered calls
 *   short call called away (settle > strike)-> 100 × n shares leave (average cost), the
 *                                             strike × 100 × n comes in as cash
 *   long option in the money at expiry      -> settled for its intrinsic value in cash
 *   at the money (settle == strike)         -> not exercised: expires
 * The broker's assignment notice is authoritative (core_rules_book_assign, early
 * assignment included); core_rules_book_expire applies the rule above from the
 * settlement prices when the broker gives none (paper trading, replay).
 *
 * A short call must be covered: opening one needs 100 × n shares of the symbol in the
 * same account not already covering another short call (-EPERM otherwise). Never a
 * naked call.
 *
 * Fixed capacity, caller-owned; positions keep their order (removal shifts), so a
 * replay walks them identically. Pure: dates and prices come in as arguments.
 */
#ifndef CORE_RULES_BOOK_H
#define CORE_RULES_BOOK_H

#include "workers/core/core_rules_accounts.h"
#include "workers/core/core_rules_cfg.h"

#include <stddef.h>
#include <stdint.h>

#define CORE_RULES_BOOK_MAX 1024u
#define CORE_RULES_CONTRACT_SHARES 100

enum core_rules_pos_kind {
	CORE_POS_OPTION = 1,
	CORE_POS_SHARES = 2,
};

struct core_rules_pos {
	uint32_t id; /* 1.., unique in the book, never reused */
	uint32_t account; /* account id */
	enum core_rules_pos_kind kind;
	char symbol[CORE_RULES_SYMBOL_MAX];
	enum core_right right; /* option: put or call; shares: 0 */
	int64_t strike; /* option: × 10^8; shares: 0 */
	int32_t expiry; /* option: YYYYMMDD; shares: 0 */
	int32_t qty; /* option: contracts, < 0 short, > 0 long; shares: > 0 */
	int64_t price; /* option: premium per share at open, × 10^8; shares: 0 */
	int64_t cost; /* shares: total cost basis, money; option: 0 */
	int32_t opened; /* YYYYMMDD */
};

struct core_rules_book {
	uint32_t n; /* pos[0..n) */
	uint32_t next_id; /* last id handed out */
	struct core_rules_pos pos[CORE_RULES_BOOK_MAX];
};

struct core_rules_exposure {
	int64_t put_collateral; /* short puts: Σ strike × 100 × contracts, money */
	int64_t call_notional; /* short calls: Σ strike × 100 × contracts, money */
	int32_t calls_short; /* short call contracts */
	int32_t shares; /* shares held */
	int64_t shares_cost; /* their cost basis, money */
	int32_t shares_free; /* shares − 100 × calls_short (>= 0): what a new call may cover */
};

enum core_rules_book_event_kind {
	CORE_BOOK_EXPIRED = 1, /* left the book worthless */
	CORE_BOOK_ASSIGNED = 2, /* short put -> shares */
	CORE_BOOK_CALLED_AWAY = 3, /* short call -> shares delivered */
	CORE_BOOK_EXERCISED = 4, /* long option -> intrinsic value in cash */
};

struct core_rules_book_event {
	enum core_rules_book_event_kind kind;
	uint32_t pos_id;
	uint32_t account;
	char symbol[CORE_RULES_SYMBOL_MAX];
	enum core_right right;
	int64_t strike;
	int32_t expiry;
	int32_t contracts; /* contracts affected (> 0) */
	int32_t shares_delta; /* + assigned, − called away, 0 otherwise */
	int64_t cash_delta; /* change of the account's available cash, money */
	int64_t settle; /* underlying settlement price used (× 10^8), 0 for a broker notice */
	int32_t date;
};

/* A settlement (closing) price of an underlying for core_rules_book_expire. */
struct core_rules_settle {
	char symbol[CORE_RULES_SYMBOL_MAX];
	int64_t price; /* × 10^8, > 0 */
};

void core_rules_book_init(struct core_rules_book *b);

/*
 * Record an option fill: qty < 0 sold to open, qty > 0 bought to open, at `price` per
 * share (premium, >= 0). Moves acct->available (top of this file). id (may be NULL)
 * gets the new position's id. Returns 0, -EINVAL (bad argument: strike <= 0, bad date,
 * qty 0 or beyond ±CORE_RULES_CONTRACTS_MAX, a notional above CORE_RULES_MONEY_MAX),
 * -EPERM (a short call not covered by free shares: never a naked call) or -ENOSPC
 * (book full).
 */
int core_rules_book_open(struct core_rules_book *b, struct core_rules_account *acct,
			 const char *symbol, enum core_right right, int64_t strike, int32_t expiry,
			 int32_t qty, int64_t price, int32_t date, uint32_t *id);

/*
 * Shares deposited into an account (a transfer in, not a trade: no cash moves);
 * they join the account's shares of that symbol. Returns 0, -EINVAL, -ENOSPC.
 */
int core_rules_book_add_shares(struct core_rules_book *b, uint32_t account, const char *symbol,
			       int32_t shares, int64_t cost_per_share, int32_t date);

/*
 * Close `contracts` (1..|qty|) of option position id at `price` per share: buy to
 * close a short, sell to close a long. Moves acct->available. The position leaves the
 * book when nothing remains. Returns 0, -ENOENT (no such option position in acct),
 * -EINVAL.
 */
int core_rules_book_close(struct core_rules_book *b, struct core_rules_account *acct, uint32_t id,
			  int32_t contracts, int64_t price);

/*
 * Settle every option with expiry <= date against the settlement prices (rule at the
 * top of this file), in book order, writing one event each into ev[0..cap).
 * Returns the number of events, -ENOENT (an expiring option's symbol has no price, or
 * its account is unknown: nothing done), -ENOSPC (more than cap events: nothing done),
 * -EINVAL (bad argument, or an in-the-money covered call whose shares are gone).
 * An exercised position leaves the book before its shares need a slot, so settling
 * never runs out of room.
 */
int core_rules_book_expire(struct core_rules_book *b, struct core_rules_accounts *accts,
			   int32_t date, const struct core_rules_settle *px, size_t npx,
			   struct core_rules_book_event *ev, size_t cap);

/*
 * The broker's assignment notice: `contracts` of short option id were exercised
 * against the account on `date` (early, or at expiry). A put becomes shares at the
 * strike, a call delivers shares for the strike. ev (may be NULL) gets the event.
 * Returns 0, -ENOENT (no such short option), -EINVAL, -ENOSPC (no slot for the shares).
 */
int core_rules_book_assign(struct core_rules_book *b, struct core_rules_accounts *accts,
			   uint32_t id, int32_t contracts, int32_t date,
			   struct core_rules_book_event *ev);

/* Exposure of one account to one symbol. */
void core_rules_book_exposure(const struct core_rules_book *b, uint32_t account, const char *symbol,
			      struct core_rules_exposure *out);

/* Collateral of every short put of an account (money). */
int64_t core_rules_book_put_collateral(const struct core_rules_book *b, uint32_t account);

/* The position with this id, or NULL. */
const struct core_rules_pos *core_rules_book_find(const struct core_rules_book *b, uint32_t id);

/* Every position of account `from` now belongs to `to` (a Mini merging into its Com-Acc);
 * shares join `to`'s shares of the same symbol. Returns the number moved. */
uint32_t core_rules_book_transfer(struct core_rules_book *b, uint32_t from, uint32_t to);

/* "expired", "assigned", "called_away", "exercised"; "?" out of range. */
const char *core_rules_book_event_name(enum core_rules_book_event_kind kind);

#endif
