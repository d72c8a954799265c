/*
 * core_rules_chain.h — an option chain: quotes of listed contracts, and a parser for
 * chain snapshots in CSV (the files of shared/data/market and broker exports).
 *
 * CSV: the first non-blank line is the header; columns are found by name
 * (case-insensitive, blanks around ignored), unknown columns are ignored:
 *   symbol      symbol | ticker | underlying                       required
 *   expiry      expiration | expiry | expirationdate (YYYY-MM-DD)   required
 *   right       right | contracttype | type | putcall (call/put/C/P) required
 *   strike      strike                                              required, > 0
 *   bid, ask    bid | ask                                           empty = no quote
 *   iv          impliedvolatility | iv (per √year, 0.20 = 20 %)     empty = unknown
 *   delta       delta (-1..1)                                       empty = unknown
 *   spot        spot | spot_price | underlyingprice                 empty = unknown
 * Rows end in LF or CRLF; a UTF-8 BOM and blank lines are skipped; no quoting.
 * Prices go from their decimal text straight to int64 × 10^8 (core_bars_parse_fixed,
 * halves away from zero beyond 8 decimals), never through a double; iv and delta are
 * model numbers (double). The first failure is the error, named by file, line and
 * column (1-based, bytes) and the column's name:
 *   "QQQ.csv:17:22: column 'strike': 'abc' is not a number"
 *
 * Pure: parses the text it is handed (the caller reads the file). Cold path.
 */
#ifndef CORE_RULES_CHAIN_H
#define CORE_RULES_CHAIN_H

#include "rt/rt_err.h"
#include "workers/core/core_rules_cfg.h"

#include <stddef.h>
#include <stdint.h>

struct core_rules_quote {
	char symbol[CORE_RULES_SYMBOL_MAX]; /* underlying */
	enum core_right right;
	int64_t strike; /* × 10^8, > 0 */
	int32_t expiry; /* YYYYMMDD */
	int64_t bid; /* × 10^8, 0 = none */
	int64_t ask; /* × 10^8, 0 = none */
	double iv; /* implied volatility, NaN = unknown */
	double delta; /* signed delta, NaN = unknown (then computed from iv) */
	int64_t spot; /* underlying price × 10^8, 0 = unknown */
	uint32_t line; /* source line when parsed, else 0 */
};

/*
 * Parse CSV text (len bytes, need not be NUL-terminated) into out[0..cap); `name`
 * labels the messages. out may be NULL with cap 0: count only. Returns the number of
 * quotes (>= 1), or -ENODATA (no header or no rows), -EINVAL (a required column
 * missing or repeated), -EBADMSG (a bad row), -ENOSPC (more rows than cap),
 * -EOVERFLOW (more than INT32_MAX rows). err (may be NULL) says where and why.
 */
int core_rules_chain_parse(const char *name, const char *text, size_t len,
			   struct core_rules_quote *out, size_t cap, struct rt_err *err);

/* Index of the quote of exactly this contract, or -ENOENT. */
int core_rules_chain_find(const struct core_rules_quote *chain, size_t n, const char *symbol,
			  enum core_right right, int64_t strike, int32_t expiry);

#endif
