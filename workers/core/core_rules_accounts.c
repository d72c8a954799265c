#include "workers/core/core_rules_accounts.h"
#include "workers/core/core_calendar.h"
#include "workers/core/core_rules_book.h"

#include <errno.h>
#include <string.h>

void core_rules_accounts_init(struct core_rules_accounts *a)
{
	memset(a, 0, sizeof(*a));
}

const char *core_rules_fork_kind_name(enum core_rules_fork_kind kind)
{
	switch (kind) {
	case CORE_FORK_MINI:
		return "mini";
	case CORE_FORK_ALLUSE:
		return "alluse";
	case CORE_FORK_MERGE:
		return "merge";
	}
	return "?";
}

struct core_rules_account *core_rules_accounts_find(struct core_rules_accounts *a, uint32_t id)
{
	if (!a || id == 0 || id > a->count || id > CORE_RULES_ACCOUNTS_MAX)
		return NULL;
	return &a->acct[id - 1];
}

uint32_t core_rules_accounts_com_of(const struct core_rules_accounts *a, uint32_t family)
{
	for (uint32_t i = 0; i < a->count; i++)
		if (a->acct[i].type == CORE_ACCT_COM && a->acct[i].family == family &&
		    !a->acct[i].closed)
			return a->acct[i].id;
	return 0;
}

static struct core_rules_account *add(struct core_rules_accounts *a, enum core_rules_acct type,
				      uint32_t family, uint32_t parent, int32_t date, int64_t cap)
{
	struct core_rules_account *x = &a->acct[a->count];
	memset(x, 0, sizeof(*x));
	x->id = ++a->count;
	x->type = type;
	x->family = family;
	x->parent = parent;
	x->created = date;
	x->initial = x->base = x->balance = x->available = cap;
	return x;
}

int core_rules_accounts_open(const struct core_rules_cfg *cfg, struct core_rules_accounts *a,
			     int64_t capital, int32_t date, uint32_t parent, uint32_t ids[3])
{
	if (!cfg || !a || capital <= 0 || capital > CORE_RULES_MONEY_MAX ||
	    !core_calendar_date_valid(date))
		return -EINVAL;
	if (a->count + 3 > CORE_RULES_ACCOUNTS_MAX)
		return -ENOSPC;
	int64_t gen = core_rules_money_bp(capital, cfg->split_gen_bp);
	int64_t rev = core_rules_money_bp(capital, cfg->split_rev_bp);
	int64_t com = capital - gen - rev; /* the rounding remainder: the sum is exact */
	uint32_t fam = ++a->families;
	uint32_t g = add(a, CORE_ACCT_GEN, fam, parent, date, gen)->id;
	uint32_t r = add(a, CORE_ACCT_REV, fam, parent, date, rev)->id;
	uint32_t c = add(a, CORE_ACCT_COM, fam, parent, date, com)->id;
	if (ids) {
		ids[0] = g;
		ids[1] = r;
		ids[2] = c;
	}
	return 0;
}

static bool forks_kind(const struct core_rules_cfg *cfg, const struct core_rules_account *x,
		       int64_t *step, int64_t *fund)
{
	if (x->closed)
		return false;
	if (x->type == CORE_ACCT_GEN) {
		*step = cfg->gen_fork_step;
		*fund = cfg->mini_capital;
		return true;
	}
	if (x->type == CORE_ACCT_REV) {
		*step = cfg->rev_fork_step;
		*fund = cfg->rev_fork_capital;
		return true;
	}
	return false;
}

uint32_t core_rules_accounts_fork_due(const struct core_rules_cfg *cfg,
				      const struct core_rules_account *x)
{
	int64_t step, fund;
	if (!cfg || !x || !forks_kind(cfg, x, &step, &fund) || step <= 0)
		return 0;
	int64_t gross = x->balance + x->forked_out - x->base;
	if (gross <= 0)
		return 0;
	int64_t eligible = gross / step;
	return eligible > (int64_t)x->forks ? (uint32_t)(eligible - x->forks) : 0;
}

/* Forks an account can make now: due, capped by what its available cash funds. */
static uint32_t fundable(const struct core_rules_cfg *cfg, const struct core_rules_account *x,
			 uint32_t *deferred)
{
	int64_t step, fund;
	uint32_t due = core_rules_accounts_fork_due(cfg, x);
	*deferred = 0;
	if (due == 0 || !forks_kind(cfg, x, &step, &fund) || fund <= 0)
		return 0;
	int64_t can = x->available > 0 ? x->available / fund : 0;
	uint32_t n = (int64_t)due < can ? due : (uint32_t)can;
	*deferred = due - n;
	return n;
}

int core_rules_accounts_forks(const struct core_rules_cfg *cfg, struct core_rules_accounts *a,
			      int32_t date, struct core_rules_accounts_report *rep)
{
	if (!cfg || !a || !core_calendar_date_valid(date))
		return -EINVAL;
	/* plan first, so that a full table changes nothing */
	uint32_t n = a->count, slots = 0, records = 0, deferred = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t d, k = fundable(cfg, &a->acct[i], &d);
		deferred += d;
		records += k;
		slots += k * (a->acct[i].type == CORE_ACCT_REV ? 3u : 1u);
	}
	if (a->count + slots > CORE_RULES_ACCOUNTS_MAX ||
	    a->nforks + records > CORE_RULES_FORKS_MAX)
		return -ENOSPC;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t d, k = fundable(cfg, &a->acct[i], &d);
		for (uint32_t j = 0; j < k; j++) {
			struct core_rules_account *x = &a->acct[i];
			int64_t step = 0, fund = 0;
			forks_kind(cfg, x, &step, &fund);
			uint32_t to;
			if (x->type == CORE_ACCT_GEN) {
				to = add(a, CORE_ACCT_MINI, x->family, x->id, date, fund)->id;
			} else {
				uint32_t ids[3];
				core_rules_accounts_open(cfg, a, fund, date, x->id, ids);
				to = ids[0];
			}
			x = &a->acct[i]; /* add() wrote into the same array: re-take the pointer */
			x->balance -= fund;
			x->available -= fund;
			x->forked_out += fund;
			x->forks++;
			a->fork[a->nforks++] = (struct core_rules_fork){
				.kind = x->type == CORE_ACCT_GEN ? CORE_FORK_MINI
								 : CORE_FORK_ALLUSE,
				.date = date,
				.from = x->id,
				.to = to,
				.amount = fund,
				.ordinal = x->forks,
				.merge_why = 0,
				.from_balance = x->balance,
			};
		}
	}
	if (rep) {
		rep->made = records;
		rep->deferred = deferred;
	}
	return (int)records;
}

/* created + years, as YYYYMMDD; 29 February of a non-leap year becomes 1 March. */
static int32_t anniversary(int32_t created, uint32_t years)
{
	int32_t d = created + (int32_t)years * 10000;
	if (!core_calendar_date_valid(d))
		d = (d / 10000) * 10000 + 301;
	return d;
}

uint32_t core_rules_accounts_merge_due(const struct core_rules_cfg *cfg,
				       const struct core_rules_account *x, int32_t date)
{
	if (!cfg || !x || x->type != CORE_ACCT_MINI || x->closed)
		return 0;
	uint32_t why = 0;
	if (date >= anniversary(x->created, cfg->mini_merge_years))
		why |= CORE_MERGE_AGE;
	if ((__int128)x->balance * CORE_RULES_BP >=
	    (__int128)x->initial * cfg->mini_merge_multiple_bp)
		why |= CORE_MERGE_MULTIPLE;
	if (x->balance >= cfg->mini_merge_balance)
		why |= CORE_MERGE_BALANCE;
	return why;
}

int core_rules_accounts_merges(const struct core_rules_cfg *cfg, struct core_rules_accounts *a,
			       struct core_rules_book *book, int32_t date,
			       struct core_rules_accounts_report *rep)
{
	if (!cfg || !a || !core_calendar_date_valid(date))
		return -EINVAL;
	uint32_t due = 0;
	for (uint32_t i = 0; i < a->count; i++) {
		if (!core_rules_accounts_merge_due(cfg, &a->acct[i], date))
			continue;
		if (!core_rules_accounts_com_of(a, a->acct[i].family))
			return -ENOENT;
		due++;
	}
	if (a->nforks + due > CORE_RULES_FORKS_MAX)
		return -ENOSPC;
	uint32_t made = 0;
	for (uint32_t i = 0; i < a->count; i++) {
		struct core_rules_account *m = &a->acct[i];
		uint32_t why = core_rules_accounts_merge_due(cfg, m, date);
		if (!why)
			continue;
		struct core_rules_account *com =
			core_rules_accounts_find(a, core_rules_accounts_com_of(a, m->family));
		int64_t amount = m->balance;
		com->balance += m->balance;
		com->available += m->available;
		m->balance = 0;
		m->available = 0;
		m->closed = true;
		m->closed_date = date;
		m->frozen = false;
		if (book)
			core_rules_book_transfer(book, m->id, com->id);
		a->fork[a->nforks++] = (struct core_rules_fork){
			.kind = CORE_FORK_MERGE,
			.date = date,
			.from = m->id,
			.to = com->id,
			.amount = amount,
			.ordinal = 0,
			.merge_why = why,
			.from_balance = 0,
		};
		made++;
	}
	if (rep) {
		rep->made = made;
		rep->deferred = 0;
	}
	return (int)made;
}

int core_rules_accounts_freeze(struct core_rules_accounts *a, uint32_t id, bool frozen,
			       int64_t now_ns)
{
	struct core_rules_account *x = core_rules_accounts_find(a, id);
	if (!x)
		return -ENOENT;
	x->frozen = frozen;
	x->frozen_ns = frozen ? now_ns : 0;
	return 0;
}
