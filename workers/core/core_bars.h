/*
 * core_bars.h — daily bars and their CSV loader (the Yahoo-style files of
 * shared/data/market: `Date,Open,High,Low,Close,Volume`, or with `Adj Close`).
 *
 * Columns are found by header name (case-insensitive, surrounding blanks ignored):
 * Date, Open, High, Low, Close are required, Volume is optional (0 when absent), any
 * other column (Adj Close, Dividends, …) is ignored. The header is the first non-blank
 * line. Rows end in LF or CRLF; a UTF-8 BOM and blank lines are skipped; fields are
 * trimmed of blanks; no quoting (Yahoo writes none).
 *
 * Prices are parsed from their decimal text straight into int64 × 10^8 (PRICE_SCALE,
 * shm/shm_price.h), never through a double: more than 8 decimals are rounded to
 * nearest, halves away from zero ("19.779285430908203" -> 1977928543). Exponents
 * ("1.5e2") are accepted. Volume must be a whole number >= 0.
 *
 * Every row is checked: Date is YYYY-MM-DD and a real day, dates strictly increase,
 * prices are numbers, finite and > 0, high >= low (after rounding). Open and close are
 * not required to lie in [low, high]: adjusted data disagrees in the last digits. The
 * first failure is the error, named by file, line (1-based, physical lines), column
 * and value:
 *   "AAPL.csv:17: column 'High': 'abc' is not a number"
 *
 * The parse is pure; core_bars_load* read the file they are handed and nothing else.
 * Cold path: allocation allowed.
 */
#ifndef CORE_BARS_H
#define CORE_BARS_H

#include "rt/rt_err.h"

#include <stddef.h>
#include <stdint.h>

struct core_bar {
	int32_t date; /* YYYYMMDD */
	int64_t open; /* price × 10^8 */
	int64_t high; /* price × 10^8, >= low */
	int64_t low; /* price × 10^8, > 0 */
	int64_t close; /* price × 10^8 */
	int64_t volume; /* shares, >= 0 */
};

/*
 * Parse CSV text (`len` bytes, need not be NUL-terminated) into out[0..cap).
 * `name` labels the messages (the file name). out may be NULL when cap is 0: the text
 * is then only validated and counted.
 * Returns the number of bars (>= 1), or:
 *   -ENODATA  empty text, or a header with no rows
 *   -EINVAL   a header without a required column, or with one twice
 *   -EBADMSG  a bad row (field count, date, number, order, high < low)
 *   -ENOSPC   more rows than cap (the count that fits is not written anywhere;
 *             call with cap 0 first to size the array)
 *   -EOVERFLOW more than INT32_MAX rows
 * err (may be NULL) carries "name:line: column 'X': ..." on failure.
 */
int core_bars_parse(const char *name, const char *text, size_t len, struct core_bar *out,
		    size_t cap, struct rt_err *err);

/*
 * Read and parse the file at `path` into a caller-provided array. Same returns as
 * core_bars_parse, plus the errno of open/read (-ENOENT, -EACCES, ...) and -EFBIG
 * (file above 1 GiB). Messages start with `path`.
 */
int core_bars_load_into(const char *path, struct core_bar *out, size_t cap, struct rt_err *err);

/*
 * Read and parse the file at `path` into an array this module allocates. On success
 * *bars (free with core_bars_free) holds *count >= 1 bars and 0 is returned; on failure
 * *bars is NULL, *count 0 and the return is as core_bars_load_into, or -ENOMEM.
 */
int core_bars_load(const char *path, struct core_bar **bars, size_t *count, struct rt_err *err);

/* Free an array from core_bars_load. NULL is fine. */
void core_bars_free(struct core_bar *bars);

/*
 * Parse one decimal number into int64 × 10^scale_digits (0..18), rounding half away
 * from zero beyond that many decimals. Accepts [+-]digits[.digits][(e|E)[+-]digits].
 * Returns 0, -EINVAL (not a number), -EDOM (nan/inf) or -ERANGE (does not fit int64).
 * Shared with every other text parser of prices (config, chains).
 */
int core_bars_parse_fixed(const char *s, size_t len, unsigned scale_digits, int64_t *out);

#endif
