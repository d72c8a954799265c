#include "workers/core/core_rules_chain.h"
#include "workers/core/core_bars.h" /* core_bars_parse_fixed */
#include "workers/core/core_calendar.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum col {
	COL_SYMBOL,
	COL_EXPIRY,
	COL_RIGHT,
	COL_STRIKE,
	COL_BID,
	COL_ASK,
	COL_IV,
	COL_DELTA,
	COL_SPOT,
	COL_COUNT
};

static const struct {
	const char *name; /* the canonical name used in messages */
	bool required;
	const char *alias[5];
} cols[COL_COUNT] = {
	[COL_SYMBOL] = {"symbol", true, {"symbol", "ticker", "underlying"}},
	[COL_EXPIRY] = {"expiry", true, {"expiration", "expiry", "expirationdate"}},
	[COL_RIGHT] = {"right", true, {"right", "contracttype", "type", "putcall"}},
	[COL_STRIKE] = {"strike", true, {"strike"}},
	[COL_BID] = {"bid", false, {"bid"}},
	[COL_ASK] = {"ask", false, {"ask"}},
	[COL_IV] = {"iv", false, {"impliedvolatility", "iv"}},
	[COL_DELTA] = {"delta", false, {"delta"}},
	[COL_SPOT] = {"spot", false, {"spot", "spot_price", "underlyingprice"}},
};

#define FIELDS_MAX 64

struct field {
	const char *p;
	size_t len;
	size_t col; /* 1-based byte column of the field's first byte */
};

struct parser {
	const char *name;
	const char *text;
	size_t len;
	size_t pos;
	uint32_t line; /* 1-based number of the line being parsed */
	struct rt_err *err;
};

/* Next physical line [*b, *e) without its LF / CRLF; false at the end. */
static bool next_line(struct parser *ps, const char **b, size_t *n)
{
	if (ps->pos >= ps->len)
		return false;
	const char *s = ps->text + ps->pos;
	const char *nl = memchr(s, '\n', ps->len - ps->pos);
	size_t l = nl ? (size_t)(nl - s) : ps->len - ps->pos;
	ps->pos += l + (nl ? 1 : 0);
	ps->line++;
	if (l > 0 && s[l - 1] == '\r')
		l--;
	*b = s;
	*n = l;
	return true;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/* Split on commas and trim blanks; returns the field count or -1 when too many. */
static int split(const char *s, size_t n, struct field *f, size_t line_off)
{
	int k = 0;
	size_t i = 0;
	for (;;) {
		if (k >= FIELDS_MAX)
			return -1;
		size_t start = i;
		while (i < n && s[i] != ',')
			i++;
		size_t a = start, z = i;
		while (a < z && (s[a] == ' ' || s[a] == '\t'))
			a++;
		while (z > a && (s[z - 1] == ' ' || s[z - 1] == '\t'))
			z--;
		f[k].p = s + a;
		f[k].len = z - a;
		f[k].col = line_off + a + 1;
		k++;
		if (i >= n)
			break;
		i++; /* the comma */
	}
	return k;
}

static int bad(struct parser *ps, const struct field *f, enum col c, const char *what)
{
	return rt_err_set(ps->err, -EBADMSG, "%s:%u:%zu: column '%s': '%.*s' %s", ps->name,
			  ps->line, f->col, cols[c].name, (int)(f->len > 40 ? 40 : f->len), f->p,
			  what);
}

static int parse_date(const struct field *f, int32_t *out)
{
	/* YYYY-MM-DD */
	if (f->len != 10 || f->p[4] != '-' || f->p[7] != '-')
		return -1;
	int32_t v = 0;
	for (size_t i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (f->p[i] < '0' || f->p[i] > '9')
			return -1;
		v = v * 10 + (f->p[i] - '0');
	}
	if (!core_calendar_date_valid(v))
		return -1;
	*out = v;
	return 0;
}

static int parse_double(const struct field *f, double *out)
{
	char buf[64];
	if (f->len == 0 || f->len >= sizeof(buf))
		return -1;
	memcpy(buf, f->p, f->len);
	buf[f->len] = '\0';
	char *end;
	double d = strtod(buf, &end);
	if (end != buf + f->len || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

static int parse_row(struct parser *ps, const struct field *f, int nf, const int idx[COL_COUNT],
		     const struct field *eol, struct core_rules_quote *q)
{
	memset(q, 0, sizeof(*q));
	q->iv = NAN;
	q->delta = NAN;
	q->line = ps->line;
	for (int c = 0; c < COL_COUNT; c++) {
		if (idx[c] < 0)
			continue;
		if (idx[c] >= nf)
			return bad(ps, eol, (enum col)c, "is missing (row too short)");
		const struct field *x = &f[idx[c]];
		int64_t v;
		switch ((enum col)c) {
		case COL_SYMBOL:
			if (x->len == 0 || x->len >= CORE_RULES_SYMBOL_MAX)
				return bad(ps, x, COL_SYMBOL, "is not a ticker (1..15 characters)");
			for (size_t i = 0; i < x->len; i++) {
				char ch = x->p[i];
				if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
				      ch == '.'))
					return bad(ps, x, COL_SYMBOL,
						   "is not a ticker ([A-Z0-9.])");
			}
			memcpy(q->symbol, x->p, x->len);
			break;
		case COL_EXPIRY:
			if (parse_date(x, &q->expiry))
				return bad(ps, x, COL_EXPIRY, "is not a date (YYYY-MM-DD)");
			break;
		case COL_RIGHT:
			if ((x->len == 4 && strncasecmp(x->p, "call", 4) == 0) ||
			    (x->len == 1 && (x->p[0] == 'C' || x->p[0] == 'c')))
				q->right = CORE_RIGHT_CALL;
			else if ((x->len == 3 && strncasecmp(x->p, "put", 3) == 0) ||
				 (x->len == 1 && (x->p[0] == 'P' || x->p[0] == 'p')))
				q->right = CORE_RIGHT_PUT;
			else
				return bad(ps, x, COL_RIGHT, "is not call or put");
			break;
		case COL_STRIKE:
		case COL_BID:
		case COL_ASK:
		case COL_SPOT:
			if (x->len == 0) {
				if (c == COL_STRIKE)
					return bad(ps, x, COL_STRIKE, "is empty");
				break;
			}
			if (core_bars_parse_fixed(x->p, x->len, 8, &v))
				return bad(ps, x, (enum col)c, "is not a number");
			if (v < 0 || v > CORE_RULES_MONEY_MAX / 100 || (v == 0 && c == COL_STRIKE))
				return bad(ps, x, (enum col)c,
					   c == COL_STRIKE ? "is not a positive price"
							   : "is not a price >= 0");
			if (c == COL_STRIKE)
				q->strike = v;
			else if (c == COL_BID)
				q->bid = v;
			else if (c == COL_ASK)
				q->ask = v;
			else
				q->spot = v;
			break;
		case COL_IV:
			if (x->len == 0)
				break;
			if (parse_double(x, &q->iv) || q->iv < 0)
				return bad(ps, x, COL_IV, "is not a volatility >= 0");
			break;
		case COL_DELTA:
			if (x->len == 0)
				break;
			if (parse_double(x, &q->delta) || q->delta < -1.0 || q->delta > 1.0)
				return bad(ps, x, COL_DELTA, "is not a delta in -1..1");
			break;
		case COL_COUNT:
			break;
		}
	}
	return 0;
}

int core_rules_chain_parse(const char *name, const char *text, size_t len,
			   struct core_rules_quote *out, size_t cap, struct rt_err *err)
{
	struct parser ps = {.name = name ? name : "chain", .text = text, .len = len, .err = err};
	if (!text && len)
		return rt_err_set(err, -EINVAL, "%s: no text", ps.name);
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		ps.pos = 3;
	const char *s;
	size_t n;
	struct field f[FIELDS_MAX];
	int idx[COL_COUNT];
	for (int c = 0; c < COL_COUNT; c++)
		idx[c] = -1;
	bool header = false;
	while (!header && next_line(&ps, &s, &n)) {
		if (blank(s, n))
			continue;
		header = true;
		int nf = split(s, n, f, 0); /* columns count from the start of the line */
		if (nf < 0)
			return rt_err_set(err, -EINVAL, "%s:%u: more than %d columns", ps.name,
					  ps.line, FIELDS_MAX);
		for (int i = 0; i < nf; i++) {
			for (int c = 0; c < COL_COUNT; c++) {
				for (int a = 0; a < 5 && cols[c].alias[a]; a++) {
					if (strlen(cols[c].alias[a]) != f[i].len ||
					    strncasecmp(cols[c].alias[a], f[i].p, f[i].len) != 0)
						continue;
					if (idx[c] >= 0)
						return rt_err_set(err, -EINVAL,
								  "%s:%u:%zu: column '%s' appears "
								  "twice ('%.*s')",
								  ps.name, ps.line, f[i].col,
								  cols[c].name, (int)f[i].len,
								  f[i].p);
					idx[c] = i;
				}
			}
		}
	}
	if (!header)
		return rt_err_set(err, -ENODATA, "%s: empty (no header)", ps.name);
	for (int c = 0; c < COL_COUNT; c++)
		if (cols[c].required && idx[c] < 0)
			return rt_err_set(err, -EINVAL, "%s:%u: no '%s' column in the header",
					  ps.name, ps.line, cols[c].name);
	size_t rows = 0;
	while (next_line(&ps, &s, &n)) {
		if (blank(s, n))
			continue;
		int nf = split(s, n, f, 0);
		if (nf < 0)
			return rt_err_set(err, -EBADMSG, "%s:%u: more than %d columns", ps.name,
					  ps.line, FIELDS_MAX);
		struct field eol = {.p = "", .len = 0, .col = n + 1};
		struct core_rules_quote q;
		int rc = parse_row(&ps, f, nf, idx, &eol, &q);
		if (rc)
			return rc;
		if (rows >= INT32_MAX)
			return rt_err_set(err, -EOVERFLOW, "%s: more than %d rows", ps.name,
					  INT32_MAX);
		if (out && rows < cap)
			out[rows] = q;
		else if (cap > 0 || out)
			return rt_err_set(err, -ENOSPC, "%s:%u: more than %zu quotes", ps.name,
					  ps.line, cap);
		rows++;
	}
	if (rows == 0)
		return rt_err_set(err, -ENODATA, "%s: a header and no rows", ps.name);
	return (int)rows;
}

int core_rules_chain_find(const struct core_rules_quote *chain, size_t n, const char *symbol,
			  enum core_right right, int64_t strike, int32_t expiry)
{
	for (size_t i = 0; i < n && i < INT32_MAX; i++)
		if (chain[i].right == right && chain[i].strike == strike &&
		    chain[i].expiry == expiry &&
		    strncmp(chain[i].symbol, symbol, CORE_RULES_SYMBOL_MAX) == 0)
			return (int)i;
	return -ENOENT;
}
