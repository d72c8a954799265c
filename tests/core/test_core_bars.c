/* Daily-bar CSV loader: exact fixed-point parsing, every error with file:line:column,
 * and the real AAPL file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_fs.h"
#include "tests/support/test_util.h"
#include "workers/core/core_bars.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[PATH_MAX - 64];
static char market[PATH_MAX + 64];
static int market_missing;

static void find_market(void)
{
	const char *dir = test_market_dir();
	if (dir)
		snprintf(market, sizeof(market), "%s", dir);
	market_missing = dir == NULL;
}

static int make_tmpdir(void **state)
{
	(void)state;
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_core_bars.XXXXXX", base && *base ? base : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	return rt_rmtree(tmpdir) == 0 ? 0 : -1;
}

/* Write `text` to <tmpdir>/<name>, return the path (static buffer). */
static const char *write_file(const char *name, const char *text)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	return path;
}

#define HDR "Date,Open,High,Low,Close,Volume\n"
#define ROW1                                                                                       \
	"2013-01-02,19.779285430908203,19.821428298950195,19.343929290771484,19.608213424682617,"  \
	"560518000\n"
#define ROW2                                                                                       \
	"2013-01-03,19.567142486572266,19.631071090698242,19.321428298950195,19.360713958740234,"  \
	"352965200\n"

/* Load `text` as a file named `name`; expect `rc` and a message ending in `want`
 * (after the temp-dir prefix). */
static void expect_error(const char *name, const char *text, int rc, const char *want)
{
	const char *path = write_file(name, text);
	struct core_bar *bars = (struct core_bar *)1;
	size_t n = 99;
	struct rt_err err = {0};
	int got = core_bars_load(path, &bars, &n, &err);
	if (got != rc || !strstr(err.msg, want)) {
		print_error("%s: rc %d (want %d), message '%s' (want '%s')\n", name, got, rc,
			    err.msg, want);
		fail();
	}
	assert_null(bars);
	assert_int_equal(n, 0);
	/* the message leads with the path it was handed */
	assert_memory_equal(err.msg, path, strlen(path));
}

static void test_bars_parse_fixed_is_exact_and_rounds_half_away_from_zero(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int rc;
		int64_t v;
	} c[] = {
		{"19.779285430908203", 0, 1977928543},
		{"19.608213424682617", 0, 1960821342},
		{"1", 0, 100000000},
		{"+1.5", 0, 150000000},
		{"-1.5", 0, -150000000},
		{".5", 0, 50000000},
		{"5.", 0, 500000000},
		{"0.000000005", 0, 1}, /* a half: away from zero */
		{"-0.000000005", 0, -1}, /* likewise */
		{"0.00000000499999999999", 0, 0},
		{"0.00000001499999", 0, 1},
		{"0.123456789012345678901234567890", 0, 12345679},
		{"1.5e2", 0, 15000000000},
		{"1E-8", 0, 1},
		{"2.5e-9", 0, 0},
		{"1e-100000000", 0, 0},
		{"0e999999999", 0, 0},
		{"-0", 0, 0},
		{"00012.50", 0, 1250000000},
		{"92233720368.54775807", 0, INT64_MAX},
		{"92233720368.54775808", -ERANGE, 0},
		{"92233720368.547758075", -ERANGE, 0}, /* rounds up past the top */
		{"1e11", -ERANGE, 0},
		{"1e999999", -ERANGE, 0},
		{"nan", -EDOM, 0},
		{"-inf", -EDOM, 0},
		{"Infinity", -EDOM, 0},
		{"NaN", -EDOM, 0},
		{"", -EINVAL, 0},
		{"-", -EINVAL, 0},
		{".", -EINVAL, 0},
		{"abc", -EINVAL, 0},
		{"1e", -EINVAL, 0},
		{"1e+", -EINVAL, 0},
		{"0x10", -EINVAL, 0},
		{"1.2.3", -EINVAL, 0},
		{" 1", -EINVAL, 0},
		{"1,5", -EINVAL, 0},
		{"null", -EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int64_t v = 0;
		int rc = core_bars_parse_fixed(c[i].s, strlen(c[i].s), 8, &v);
		if (rc != c[i].rc || (rc == 0 && v != c[i].v)) {
			print_error("'%s': rc %d value %lld, want rc %d value %lld\n", c[i].s, rc,
				    (long long)v, c[i].rc, (long long)c[i].v);
			fail();
		}
	}
	int64_t v;
	assert_int_equal(core_bars_parse_fixed("560518000", 9, 0, &v), 0);
	assert_int_equal(v, 560518000);
	assert_int_equal(core_bars_parse_fixed("2.5", 3, 0, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(core_bars_parse_fixed("1", 1, 19, &v), -EINVAL);
	/* length-bounded: the rest of the buffer is not read */
	assert_int_equal(core_bars_parse_fixed("12.5,99", 4, 8, &v), 0);
	assert_int_equal(v, 1250000000);
}

static void test_bars_reads_a_small_file(void **state)
{
	(void)state;
	const char *path = write_file("AAPL.csv", HDR ROW1 ROW2);
	struct core_bar *b;
	size_t n;
	struct rt_err err = {0};
	assert_int_equal(core_bars_load(path, &b, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(b[0].date, 20130102);
	assert_int_equal(b[0].open, 1977928543);
	assert_int_equal(b[0].high, 1982142830);
	assert_int_equal(b[0].low, 1934392929);
	assert_int_equal(b[0].close, 1960821342);
	assert_int_equal(b[0].volume, 560518000);
	assert_int_equal(b[1].date, 20130103);
	assert_int_equal(b[1].close, 1936071396);
	core_bars_free(b);
	core_bars_free(NULL);
}

/* Columns by name in any order and case, Adj Close ignored, Volume optional, CRLF,
 * a BOM, blank lines, blanks around fields and no final newline. */
static void test_bars_finds_columns_by_name(void **state)
{
	(void)state;
	const char *path = write_file(
		"SPY.csv", "\xEF\xBB\xBF"
			   "\r\n"
			   "close , Adj Close,date,LOW,High,Open\r\n"
			   "140.937500,93.857681,2000-02-01,138.531250,141.687500,139.750000\r\n"
			   "\r\n"
			   " 141.062500 ,93.940895,2000-02-02,140.375000,142.250000,141.281250");
	struct core_bar out[4];
	struct rt_err err = {0};
	int n = core_bars_load_into(path, out, 4, &err);
	if (n < 0)
		print_error("%s\n", err.msg);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].date, 20000201);
	assert_int_equal(out[0].close, 14093750000);
	assert_int_equal(out[0].low, 13853125000);
	assert_int_equal(out[0].high, 14168750000);
	assert_int_equal(out[0].open, 13975000000);
	assert_int_equal(out[0].volume, 0);
	assert_int_equal(out[1].close, 14106250000);
	/* a caller array one short, and a counting pass */
	assert_int_equal(core_bars_load_into(path, out, 1, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "SPY.csv:5: more than 1 rows fit"));
	assert_int_equal(core_bars_load_into(path, NULL, 0, &err), 2);
}

static void test_bars_reports_a_bad_number_with_file_line_and_column(void **state)
{
	(void)state;
	expect_error("AAPL.csv", HDR ROW1 "2013-01-03,19.56,abc,19.32,19.36,352965200\n", -EBADMSG,
		     "/AAPL.csv:3: column 'High': 'abc' is not a number");
	expect_error("AAPL.csv", HDR ROW1 "2013-01-03,19.56,19.63,19.32,,352965200\n", -EBADMSG,
		     "AAPL.csv:3: column 'Close': '' is not a number");
	expect_error("AAPL.csv", HDR "2013-01-02,nan,19.8,19.3,19.6,1\n", -EBADMSG,
		     "AAPL.csv:2: column 'Open': 'nan' is not finite");
	expect_error("AAPL.csv", HDR "2013-01-02,19.7,inf,19.3,19.6,1\n", -EBADMSG,
		     "AAPL.csv:2: column 'High': 'inf' is not finite");
	expect_error("AAPL.csv", HDR "2013-01-02,19.7,19.8,1e30,19.6,1\n", -EBADMSG,
		     "AAPL.csv:2: column 'Low': '1e30' is out of range");
	expect_error("AAPL.csv", HDR "2013-01-02,19.7,19.8,0,19.6,1\n", -EBADMSG,
		     "AAPL.csv:2: column 'Low': '0' is not a positive price");
	expect_error("AAPL.csv", HDR "2013-01-02,-19.7,19.8,19.3,19.6,1\n", -EBADMSG,
		     "AAPL.csv:2: column 'Open': '-19.7' is not a positive price");
	expect_error("AAPL.csv", HDR "2013-01-02,19.7,19.8,19.3,19.6,12.5\n", -EBADMSG,
		     "AAPL.csv:2: column 'Volume': '12.5' is not a whole number >= 0");
	expect_error("AAPL.csv", HDR "2013-01-02,19.7,19.8,19.3,19.6,-1\n", -EBADMSG,
		     "AAPL.csv:2: column 'Volume': '-1' is not a whole number >= 0");
	expect_error("AAPL.csv", HDR "2013-01-02,19.7,19.8,19.3,19.6,null\n", -EBADMSG,
		     "AAPL.csv:2: column 'Volume': 'null' is not a number");
}

static void test_bars_reports_bad_dates_and_their_order(void **state)
{
	(void)state;
	expect_error("d.csv", HDR "2013-13-01,1,2,1,1,1\n", -EBADMSG,
		     "d.csv:2: column 'Date': '2013-13-01' is not a YYYY-MM-DD date");
	expect_error("d.csv", HDR "2013-02-29,1,2,1,1,1\n", -EBADMSG,
		     "d.csv:2: column 'Date': '2013-02-29' is not a YYYY-MM-DD date");
	expect_error("d.csv", HDR "2013/01/02,1,2,1,1,1\n", -EBADMSG,
		     "'2013/01/02' is not a YYYY-MM-DD date");
	expect_error("d.csv", HDR "20130102,1,2,1,1,1\n", -EBADMSG,
		     "'20130102' is not a YYYY-MM-DD date");
	expect_error("d.csv", HDR ROW2 ROW1, -EBADMSG,
		     "d.csv:3: column 'Date': 2013-01-02 is not after 2013-01-03 (line 2)");
	expect_error("d.csv", HDR ROW1 "\n" ROW1, -EBADMSG,
		     "d.csv:4: column 'Date': 2013-01-02 is not after 2013-01-02 (line 2)");
}

static void test_bars_reports_high_below_low(void **state)
{
	(void)state;
	expect_error("h.csv", HDR ROW1 "2013-01-03,19.5,19.3,19.4,19.35,1\n", -EBADMSG,
		     "h.csv:3: column 'High': '19.3' is below low '19.4'");
	/* equal after rounding to 10^-8 is fine */
	const char *path = write_file("h2.csv", HDR "2013-01-03,19.5,19.400000001,19.4,19.4,1\n");
	struct core_bar b[1];
	assert_int_equal(core_bars_load_into(path, b, 1, NULL), 1);
	assert_int_equal(b[0].high, b[0].low);
}

static void test_bars_reports_header_and_shape_problems(void **state)
{
	(void)state;
	expect_error("e.csv", "", -ENODATA, "e.csv: empty file");
	expect_error("e.csv", "\n \r\n\t\n", -ENODATA, "e.csv: empty file");
	expect_error("e.csv", HDR, -ENODATA, "e.csv: no rows after the header");
	expect_error("e.csv", HDR "\n\n", -ENODATA, "e.csv: no rows after the header");
	expect_error("m.csv", "Date,Open,High,Close,Volume\n2013-01-02,1,2,1,1\n", -EINVAL,
		     "m.csv:1: no 'Low' column in the header 'Date,Open,High,Close,Volume'");
	expect_error("m.csv", "Open,High,Low,Close\n1,2,1,1\n", -EINVAL, "no 'Date' column");
	expect_error("m.csv", "Date,Open,High,Low,Close,close\n", -EINVAL,
		     "m.csv:1: column 'close' appears twice (columns 5 and 6)");
	expect_error("f.csv", HDR ROW1 "2013-01-03,19.5,19.6,19.4\n", -EBADMSG,
		     "f.csv:3: 4 fields, the header has 6");
	expect_error("f.csv", HDR "2013-01-03,19.5,19.6,19.4,19.5,1,7\n", -EBADMSG,
		     "f.csv:2: 7 fields, the header has 6");
	/* a header after blank lines keeps its physical line number */
	expect_error("b.csv", "\n\nDate,Open,High,Low,Close\n2013-01-02,1,x,1,1\n", -EBADMSG,
		     "b.csv:4: column 'High': 'x' is not a number");

	struct rt_err err = {0};
	struct core_bar *bars;
	size_t n;
	char missing[PATH_MAX];
	snprintf(missing, sizeof(missing), "%s/nope.csv", tmpdir);
	assert_int_equal(core_bars_load(missing, &bars, &n, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "nope.csv: cannot open: No such file or directory"));
	assert_int_equal(core_bars_load(tmpdir, &bars, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
}

/* The in-memory parse needs no file and no NUL terminator. */
static void test_bars_parses_text_in_memory(void **state)
{
	(void)state;
	const char text[] = HDR ROW1 ROW2 "garbage after the length";
	struct core_bar b[2];
	struct rt_err err = {0};
	size_t len = strlen(HDR ROW1 ROW2);
	assert_int_equal(core_bars_parse("mem", text, len, b, 2, &err), 2);
	assert_int_equal(core_bars_parse("mem", text, len - 1, NULL, 0, &err), 2);
	assert_int_equal(core_bars_parse("mem", text, strlen(text), NULL, 0, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "mem:4: 1 fields, the header has 6"));
}

static void test_bars_loads_the_real_aapl_file(void **state)
{
	(void)state;
	if (market_missing)
		skip();
	char path[PATH_MAX + 128];
	snprintf(path, sizeof(path), "%s/AAPL_2013-2023.csv", market);
	struct core_bar *b;
	size_t n;
	struct rt_err err = {0};
	if (core_bars_load(path, &b, &n, &err) != 0)
		print_error("%s\n", err.msg);
	assert_int_equal(n, 2768);
	/* 2013-01-02,19.779285430908203,19.821428298950195,19.343929290771484,
	 *            19.608213424682617,560518000 */
	assert_int_equal(b[0].date, 20130102);
	assert_int_equal(b[0].open, 1977928543);
	assert_int_equal(b[0].high, 1982142830);
	assert_int_equal(b[0].low, 1934392929);
	assert_int_equal(b[0].close, 1960821342);
	assert_int_equal(b[0].volume, 560518000);
	/* 2023-12-29,193.89999389648438,194.39999389648438,191.72999572753906,
	 *            192.52999877929688,42628800 */
	assert_int_equal(b[n - 1].date, 20231229);
	assert_int_equal(b[n - 1].open, 19389999390);
	assert_int_equal(b[n - 1].high, 19439999390);
	assert_int_equal(b[n - 1].low, 19172999573);
	assert_int_equal(b[n - 1].close, 19252999878);
	assert_int_equal(b[n - 1].volume, 42628800);
	/* the caller-provided variant gives the same bars */
	struct core_bar *mine = malloc(n * sizeof(*mine));
	assert_non_null(mine);
	assert_int_equal(core_bars_load_into(path, mine, n, &err), 2768);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(mine[i].date, b[i].date);
		assert_int_equal(mine[i].open, b[i].open);
		assert_int_equal(mine[i].high, b[i].high);
		assert_int_equal(mine[i].low, b[i].low);
		assert_int_equal(mine[i].close, b[i].close);
		assert_int_equal(mine[i].volume, b[i].volume);
	}
	assert_int_equal(core_bars_load_into(path, mine, n - 1, &err), -ENOSPC);
	free(mine);
	core_bars_free(b);

	/* the 2000-2012 SPY file carries Adj Close: Close is the raw close */
	snprintf(path, sizeof(path), "%s/SPY_2000-2012_raw.csv", market);
	assert_int_equal(core_bars_load(path, &b, &n, &err), 0);
	assert_int_equal(n, 3174);
	assert_int_equal(b[0].close, 14093750000);
	assert_int_equal(b[n - 1].date, 20120911);
	core_bars_free(b);
}

int main(void)
{
	find_market();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bars_parse_fixed_is_exact_and_rounds_half_away_from_zero),
		cmocka_unit_test(test_bars_reads_a_small_file),
		cmocka_unit_test(test_bars_finds_columns_by_name),
		cmocka_unit_test(test_bars_reports_a_bad_number_with_file_line_and_column),
		cmocka_unit_test(test_bars_reports_bad_dates_and_their_order),
		cmocka_unit_test(test_bars_reports_high_below_low),
		cmocka_unit_test(test_bars_reports_header_and_shape_problems),
		cmocka_unit_test(test_bars_parses_text_in_memory),
		cmocka_unit_test(test_bars_loads_the_real_aapl_file),
	};
	int failed = cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
	if (market_missing && failed == 0) {
		printf("test_core_bars: no market data in ../shared/data/market (from the "
		       "repository "
		       "root) or $ALLUSE_MARKET_DATA: real-file test skipped\n");
		return 77;
	}
	return failed;
}
