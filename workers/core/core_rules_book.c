#include "workers/core/core_rules_book.h"
#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_sizing.h" /* CORE_RULES_CONTRACTS_MAX */

#include <errno.h>
#include <string.h>

void core_rules_book_init(struct core_rules_book *b)
{
	memset(b, 0, sizeof(*b));
}

const char *core_rules_book_event_name(enum core_rules_book_event_kind kind)
{
	switch (kind) {
	case CORE_BOOK_EXPIRED:
		return "expired";
	case CORE_BOOK_ASSIGNED:
		return "assigned";
	case CORE_BOOK_CALLED_AWAY:
		return "called_away";
	case CORE_BOOK_EXERCISED:
		return "exercised";
	}
	return "?";
}

/* per-share amount × 100 × contracts, refusing anything above CORE_RULES_MONEY_MAX
 * (a 128-bit product: strikes and quantities are bounded only by that). */
static int notional(int64_t per_share, int64_t contracts, int64_t *out)
{
	__int128 v = (__int128)per_share * CORE_RULES_CONTRACT_SHARES * contracts;
	if (v > CORE_RULES_MONEY_MAX || v < -CORE_RULES_MONEY_MAX)
		return -ERANGE;
	*out = (int64_t)v;
	return 0;
}

static bool same_symbol(const char *a, const char *b)
{
	return strncmp(a, b, CORE_RULES_SYMBOL_MAX) == 0;
}

static bool symbol_ok(const char *s)
{
	size_t n = s ? strnlen(s, CORE_RULES_SYMBOL_MAX) : 0;
	return n > 0 && n < CORE_RULES_SYMBOL_MAX;
}

const struct core_rules_pos *core_rules_book_find(const struct core_rules_book *b, uint32_t id)
{
	for (uint32_t i = 0; i < b->n; i++)
		if (b->pos[i].id == id)
			return &b->pos[i];
	return NULL;
}

static int index_of(const struct core_rules_book *b, uint32_t id)
{
	for (uint32_t i = 0; i < b->n; i++)
		if (b->pos[i].id == id)
			return (int)i;
	return -1;
}

static void remove_at(struct core_rules_book *b, uint32_t i)
{
	memmove(&b->pos[i], &b->pos[i + 1], (b->n - i - 1) * sizeof(b->pos[0]));
	b->n--;
	memset(&b->pos[b->n], 0, sizeof(b->pos[0]));
}

static int shares_index(const struct core_rules_book *b, uint32_t account, const char *symbol)
{
	for (uint32_t i = 0; i < b->n; i++)
		if (b->pos[i].kind == CORE_POS_SHARES && b->pos[i].account == account &&
		    same_symbol(b->pos[i].symbol, symbol))
			return (int)i;
	return -1;
}

void core_rules_book_exposure(const struct core_rules_book *b, uint32_t account, const char *symbol,
			      struct core_rules_exposure *out)
{
	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < b->n; i++) {
		const struct core_rules_pos *p = &b->pos[i];
		if (p->account != account || !same_symbol(p->symbol, symbol))
			continue;
		if (p->kind == CORE_POS_SHARES) {
			out->shares += p->qty;
			out->shares_cost += p->cost;
		} else if (p->qty < 0) {
			int64_t v = 0;
			notional(p->strike, -(int64_t)p->qty, &v);
			if (p->right == CORE_RIGHT_PUT) {
				out->put_collateral += v;
			} else {
				out->call_notional += v;
				out->calls_short += -p->qty;
			}
		}
	}
	int64_t free =
		(int64_t)out->shares - (int64_t)out->calls_short * CORE_RULES_CONTRACT_SHARES;
	out->shares_free = free > 0 ? (int32_t)free : 0;
}

int64_t core_rules_book_put_collateral(const struct core_rules_book *b, uint32_t account)
{
	int64_t sum = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		const struct core_rules_pos *p = &b->pos[i];
		int64_t v = 0;
		if (p->account == account && p->kind == CORE_POS_OPTION && p->qty < 0 &&
		    p->right == CORE_RIGHT_PUT && notional(p->strike, -(int64_t)p->qty, &v) == 0)
			sum += v;
	}
	return sum;
}

int core_rules_book_open(struct core_rules_book *b, struct core_rules_account *acct,
			 const char *symbol, enum core_right right, int64_t strike, int32_t expiry,
			 int32_t qty, int64_t price, int32_t date, uint32_t *id)
{
	if (!b || !acct || !symbol_ok(symbol) || strike <= 0 || qty == 0 || price < 0 ||
	    qty > CORE_RULES_CONTRACTS_MAX || qty < -CORE_RULES_CONTRACTS_MAX ||
	    (right != CORE_RIGHT_PUT && right != CORE_RIGHT_CALL) ||
	    !core_calendar_date_valid(expiry) || !core_calendar_date_valid(date))
		return -EINVAL;
	int64_t n = qty < 0 ? -(int64_t)qty : qty, premium, collateral;
	if (notional(price, n, &premium) || notional(strike, n, &collateral))
		return -EINVAL;
	if (qty < 0 && right == CORE_RIGHT_CALL) {
		struct core_rules_exposure e;
		core_rules_book_exposure(b, acct->id, symbol, &e);
		if ((int64_t)e.shares_free < n * CORE_RULES_CONTRACT_SHARES)
			return -EPERM;
	}
	if (b->n >= CORE_RULES_BOOK_MAX)
		return -ENOSPC;
	struct core_rules_pos *p = &b->pos[b->n++];
	memset(p, 0, sizeof(*p));
	p->id = ++b->next_id;
	p->account = acct->id;
	p->kind = CORE_POS_OPTION;
	memcpy(p->symbol, symbol, strnlen(symbol, CORE_RULES_SYMBOL_MAX - 1));
	p->right = right;
	p->strike = strike;
	p->expiry = expiry;
	p->qty = qty;
	p->price = price;
	p->opened = date;
	if (qty < 0)
		acct->available += premium - (right == CORE_RIGHT_PUT ? collateral : 0);
	else
		acct->available -= premium;
	if (id)
		*id = p->id;
	return 0;
}

int core_rules_book_add_shares(struct core_rules_book *b, uint32_t account, const char *symbol,
			       int32_t shares, int64_t cost_per_share, int32_t date)
{
	if (!b || account == 0 || !symbol_ok(symbol) || shares <= 0 || cost_per_share < 0 ||
	    !core_calendar_date_valid(date))
		return -EINVAL;
	__int128 cost = (__int128)cost_per_share * shares;
	if (cost > CORE_RULES_MONEY_MAX)
		return -EINVAL;
	int i = shares_index(b, account, symbol);
	if (i >= 0) {
		if ((int64_t)b->pos[i].qty + shares > INT32_MAX)
			return -EINVAL;
		b->pos[i].qty += shares;
		b->pos[i].cost += (int64_t)cost;
		return 0;
	}
	if (b->n >= CORE_RULES_BOOK_MAX)
		return -ENOSPC;
	struct core_rules_pos *p = &b->pos[b->n++];
	memset(p, 0, sizeof(*p));
	p->id = ++b->next_id;
	p->account = account;
	p->kind = CORE_POS_SHARES;
	memcpy(p->symbol, symbol, strnlen(symbol, CORE_RULES_SYMBOL_MAX - 1));
	p->qty = shares;
	p->cost = (int64_t)cost;
	p->opened = date;
	return 0;
}

int core_rules_book_close(struct core_rules_book *b, struct core_rules_account *acct, uint32_t id,
			  int32_t contracts, int64_t price)
{
	if (!b || !acct || contracts <= 0 || price < 0)
		return -EINVAL;
	int i = index_of(b, id);
	if (i < 0 || b->pos[i].kind != CORE_POS_OPTION || b->pos[i].account != acct->id)
		return -ENOENT;
	struct core_rules_pos *p = &b->pos[i];
	int32_t held = p->qty < 0 ? -p->qty : p->qty;
	int64_t amount, collateral;
	if (contracts > held || notional(price, contracts, &amount) ||
	    notional(p->strike, contracts, &collateral))
		return -EINVAL;
	if (p->qty < 0) {
		acct->available -= amount;
		if (p->right == CORE_RIGHT_PUT)
			acct->available += collateral;
		p->qty += contracts;
	} else {
		acct->available += amount;
		p->qty -= contracts;
	}
	if (p->qty == 0)
		remove_at(b, (uint32_t)i);
	return 0;
}

static const struct core_rules_settle *settle_of(const struct core_rules_settle *px, size_t n,
						 const char *symbol)
{
	for (size_t i = 0; i < n; i++)
		if (same_symbol(px[i].symbol, symbol) && px[i].price > 0)
			return &px[i];
	return NULL;
}

/* A book event of position p: kind, contracts, cash; the rest zero. */
static void event_of(struct core_rules_book_event *ev, enum core_rules_book_event_kind kind,
		     const struct core_rules_pos *p, int32_t contracts, int64_t cash, int32_t date)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->pos_id = p->id;
	ev->account = p->account;
	memcpy(ev->symbol, p->symbol, sizeof(ev->symbol));
	ev->right = p->right;
	ev->strike = p->strike;
	ev->expiry = p->expiry;
	ev->contracts = contracts;
	ev->cash_delta = cash;
	ev->date = date;
}

/*
 * Exercise `contracts` of the short option at index i against its account: a put buys
 * the shares at the strike (paid by its reserved collateral), a call delivers them for
 * the strike. Checked beforehand by the callers: shares slot, account.
 */
static void exercise_short(struct core_rules_book *b, struct core_rules_account *acct, uint32_t i,
			   int32_t contracts, int32_t date, struct core_rules_book_event *ev)
{
	struct core_rules_pos p = b->pos[i];
	int64_t cash = 0, value = 0;
	notional(p.strike, contracts, &value);
	int32_t shares = contracts * CORE_RULES_CONTRACT_SHARES;
	b->pos[i].qty += contracts;
	if (b->pos[i].qty == 0)
		remove_at(b, i);
	if (p.right == CORE_RIGHT_PUT) {
		/* the collateral held back at the sale pays for the shares: cash unchanged */
		core_rules_book_add_shares(b, acct->id, p.symbol, shares, p.strike, date);
	} else {
		int s = shares_index(b, acct->id, p.symbol);
		struct core_rules_pos *sh = &b->pos[s];
		/* average cost: the delivered shares take their share of the basis */
		int64_t basis = (int64_t)((__int128)sh->cost * shares / sh->qty);
		sh->qty -= shares;
		sh->cost -= basis;
		if (sh->qty == 0)
			remove_at(b, (uint32_t)s);
		cash = value;
		acct->available += cash;
		shares = -shares;
	}
	if (ev) {
		event_of(ev, p.right == CORE_RIGHT_PUT ? CORE_BOOK_ASSIGNED : CORE_BOOK_CALLED_AWAY,
			 &p, contracts, cash, date);
		ev->shares_delta = shares;
	}
}

/* Can `contracts` of the short at index i be exercised? (shares to deliver, a slot for
 * shares to receive) */
static bool exercisable(const struct core_rules_book *b, uint32_t i, int32_t contracts,
			uint32_t *new_slots)
{
	const struct core_rules_pos *p = &b->pos[i];
	int s = shares_index(b, p->account, p->symbol);
	if (p->right == CORE_RIGHT_CALL)
		return s >= 0 && b->pos[s].qty >= contracts * CORE_RULES_CONTRACT_SHARES;
	if (s < 0)
		(*new_slots)++;
	return true;
}

int core_rules_book_assign(struct core_rules_book *b, struct core_rules_accounts *accts,
			   uint32_t id, int32_t contracts, int32_t date,
			   struct core_rules_book_event *ev)
{
	if (!b || !accts || contracts <= 0 || !core_calendar_date_valid(date))
		return -EINVAL;
	int i = index_of(b, id);
	if (i < 0 || b->pos[i].kind != CORE_POS_OPTION || b->pos[i].qty >= 0)
		return -ENOENT;
	if (contracts > -b->pos[i].qty)
		return -EINVAL;
	struct core_rules_account *acct = core_rules_accounts_find(accts, b->pos[i].account);
	if (!acct)
		return -ENOENT;
	uint32_t slots = 0;
	if (!exercisable(b, (uint32_t)i, contracts, &slots))
		return -EINVAL; /* a covered call always has its shares: the book was changed */
	/* the option may leave the book as the shares arrive: one slot is enough */
	if (slots && b->n >= CORE_RULES_BOOK_MAX && -b->pos[i].qty != contracts)
		return -ENOSPC;
	exercise_short(b, acct, (uint32_t)i, contracts, date, ev);
	return 0;
}

int core_rules_book_expire(struct core_rules_book *b, struct core_rules_accounts *accts,
			   int32_t date, const struct core_rules_settle *px, size_t npx,
			   struct core_rules_book_event *ev, size_t cap)
{
	if (!b || !accts || (!px && npx) || (!ev && cap) || !core_calendar_date_valid(date))
		return -EINVAL;
	/* check everything first (all or nothing) and note the ids in ev[].pos_id: settling
	 * one position moves others in the array (removals, shares leaving) */
	size_t k = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		const struct core_rules_pos *p = &b->pos[i];
		if (p->kind != CORE_POS_OPTION || p->expiry > date)
			continue;
		const struct core_rules_settle *st = settle_of(px, npx, p->symbol);
		if (!st || !core_rules_accounts_find(accts, p->account))
			return -ENOENT;
		uint32_t slots = 0;
		if (p->qty < 0 && p->right == CORE_RIGHT_CALL && st->price > p->strike &&
		    !exercisable(b, i, -p->qty, &slots))
			return -EINVAL; /* a covered call lost its shares: the book was altered */
		if (k >= cap)
			return -ENOSPC;
		ev[k++].pos_id = p->id;
	}
	for (size_t j = 0; j < k; j++) {
		int i = index_of(b, ev[j].pos_id);
		struct core_rules_pos p = b->pos[i];
		int64_t s = settle_of(px, npx, p.symbol)->price;
		struct core_rules_account *acct = core_rules_accounts_find(accts, p.account);
		int32_t n = p.qty < 0 ? -p.qty : p.qty;
		bool itm = p.right == CORE_RIGHT_PUT ? s < p.strike : s > p.strike;
		struct core_rules_book_event *e = &ev[j];
		if (p.qty < 0 && itm) {
			/* the whole position is exercised: it leaves the book before the shares
			 * of a put need a slot */
			exercise_short(b, acct, (uint32_t)i, n, date, e);
			e->settle = s;
			continue;
		}
		int64_t cash = 0;
		if (p.qty < 0 && p.right == CORE_RIGHT_PUT)
			notional(p.strike, n, &cash); /* collateral released */
		else if (p.qty > 0 && itm)
			notional(p.right == CORE_RIGHT_PUT ? p.strike - s : s - p.strike, n, &cash);
		acct->available += cash;
		remove_at(b, (uint32_t)i);
		event_of(e, p.qty > 0 && itm ? CORE_BOOK_EXERCISED : CORE_BOOK_EXPIRED, &p, n, cash,
			 date);
		e->settle = s;
	}
	return (int)k;
}

uint32_t core_rules_book_transfer(struct core_rules_book *b, uint32_t from, uint32_t to)
{
	uint32_t moved = 0, i = 0;
	while (i < b->n) {
		struct core_rules_pos *p = &b->pos[i];
		if (p->account != from) {
			i++;
			continue;
		}
		moved++;
		int s = p->kind == CORE_POS_SHARES ? shares_index(b, to, p->symbol) : -1;
		if (s >= 0) {
			b->pos[s].qty += p->qty;
			b->pos[s].cost += p->cost;
			remove_at(b, i);
			continue;
		}
		p->account = to;
		i++;
	}
	return moved;
}
