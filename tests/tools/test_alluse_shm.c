/* alluse-shm, the read-only inspector: runs build/bin/alluse-shm (or $BUILD/bin)
 * against segments built here in a known state, and against corrupt copies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_clock.h"
#include "rt/rt_hist.h"
#include "shm/shm_board.h"
#include "shm/shm_counters.h"
#include "shm/shm_hists.h"
#include "shm/shm_instr.h"
#include "shm/shm_price.h"
#include "shm/shm_ring.h"
#include "shm/shm_segment.h"
#include "tests/support/test_util.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define P(x) price_from_double(x) /* rounds to the nearest 10^-8 */

static const struct shm_create_opts OPTS = {.mode = 0600};

/* ---- the fixture segment -------------------------------------------------------- */

struct fixture {
	char inst[32];
	struct shm_segment seg;
};

static struct fixture g_fx; /* built once for the read-only views */

/*
 * Regions: instruments(16) board(16) quotes.0 ring(64) events.0 ring(16)
 * feeder counters(8) worker.0 hists(4).
 * Instruments: 0 AAPL, 1 SPY, 2 SPY 2026-12-18 C 650, 3 QQQ (no quote), 4 IWM.
 * Quotes: AAPL 229.50/229.51, SPY 612.84/612.85 last 612.84 seq 42, option 0.05/0.10.
 * quotes.0: 10 pushed, 3 popped. Counters: quotes.in 12345, drops.full 7.
 * Hists: quote-to-event 1..1000 ns, empty (nothing recorded).
 */
static void build_segment(const char *inst, struct shm_segment *seg, int publish)
{
	static struct shm_plan plan;
	struct rt_err err = {0};
	memset(&plan, 0, sizeof(plan));
	assert_int_equal(shm_plan_add(&plan, SHM_KIND_INSTRUMENTS, SHM_ROLE_NONE, 0, "instruments",
				      16, &err),
			 0);
	assert_int_equal(shm_plan_add(&plan, SHM_KIND_BOARD, SHM_ROLE_NONE, 0, "board", 16, &err),
			 0);
	assert_int_equal(
		shm_plan_add(&plan, SHM_KIND_RING, SHM_ROLE_QUOTES, 0, "quotes.0", 64, &err), 0);
	assert_int_equal(
		shm_plan_add(&plan, SHM_KIND_RING, SHM_ROLE_EVENTS, 0, "events.0", 16, &err), 0);
	assert_int_equal(
		shm_plan_add(&plan, SHM_KIND_COUNTERS, SHM_ROLE_NONE, 0, "feeder", 8, &err), 0);
	assert_int_equal(shm_plan_add(&plan, SHM_KIND_HISTS, SHM_ROLE_NONE, 0, "worker.0", 4, &err),
			 0);
	int rc = shm_segment_create(seg, inst, &plan, &OPTS, &err);
	if (rc)
		fail_msg("create %s: %s", inst, err.msg);

	struct shm_instr_dir d;
	shm_instr_attach(&d, shm_segment_region(seg, shm_segment_find_name(seg, "instruments")));
	struct shm_instr in;
	uint32_t id;
	assert_int_equal(shm_instr_make_stock(&in, "AAPL"), 0);
	assert_int_equal(shm_instr_add(&d, &in, &id, &err), 0);
	assert_int_equal(shm_instr_make_stock(&in, "SPY"), 0);
	assert_int_equal(shm_instr_add(&d, &in, &id, &err), 0);
	assert_int_equal(shm_instr_make_option(&in, "SPY", 20261218, 'C', P(650)), 0);
	assert_int_equal(shm_instr_add(&d, &in, &id, &err), 0);
	assert_int_equal(shm_instr_make_stock(&in, "QQQ"), 0);
	assert_int_equal(shm_instr_add(&d, &in, &id, &err), 0);
	assert_int_equal(shm_instr_make_stock(&in, "IWM"), 0);
	assert_int_equal(shm_instr_add(&d, &in, &id, &err), 0);

	struct shm_board b;
	shm_board_attach(&b, shm_segment_region(seg, shm_segment_find_name(seg, "board")));
	uint64_t now = rt_clock_now_ns();
	struct shm_quote q = {0};
	q.instr_id = 0, q.bid = P(229.50), q.ask = P(229.51), q.last = P(229.50);
	q.bid_size = 3, q.ask_size = 4, q.last_size = 1, q.quote_seq = 7, q.write_ts_ns = now;
	shm_board_write(&b, 0, &q);
	q.instr_id = 1, q.bid = 61284000000, q.ask = P(612.85), q.last = P(612.84);
	q.bid_size = 100, q.ask_size = 200, q.last_size = 5, q.quote_seq = 42;
	shm_board_write(&b, 1, &q);
	q.instr_id = 2, q.bid = P(0.05), q.ask = P(0.10), q.last = 0;
	q.bid_size = 10, q.ask_size = 20, q.last_size = 0, q.quote_seq = 1;
	shm_board_write(&b, 2, &q);
	q.instr_id = 4, q.bid = P(220.01), q.ask = P(220.02), q.last = P(220.01), q.quote_seq = 3;
	shm_board_write(&b, 4, &q);

	struct shm_ring prod, cons;
	void *ring = shm_segment_region(seg, shm_segment_find_name(seg, "quotes.0"));
	shm_ring_producer_attach(&prod, ring);
	shm_ring_consumer_attach(&cons, ring);
	uint8_t msg[SHM_RING_SLOT] = {0};
	for (int i = 0; i < 10; i++)
		assert_int_equal(shm_ring_push_spsc(&prod, msg), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(shm_ring_pop_spsc(&cons, msg), 0);

	struct shm_counters cs;
	shm_counters_attach(&cs, shm_segment_region(seg, shm_segment_find_name(seg, "feeder")));
	rt_counter_add(shm_counters_get_or_add(&cs, "quotes.in"), 12345);
	rt_counter_add(shm_counters_get_or_add(&cs, "drops.full"), 7);

	struct shm_hists hs;
	shm_hists_attach(&hs, shm_segment_region(seg, shm_segment_find_name(seg, "worker.0")));
	struct rt_hist *h = shm_hists_get_or_add(&hs, "quote-to-event");
	assert_non_null(h);
	for (uint64_t v = 1; v <= 1000; v++)
		rt_hist_record(h, v);
	assert_non_null(shm_hists_get_or_add(&hs, "empty"));

	if (publish)
		shm_segment_publish(seg);
}

static int setup(void **state)
{
	(void)state;
	snprintf(g_fx.inst, sizeof(g_fx.inst), "%s", test_instance_name("insp"));
	build_segment(g_fx.inst, &g_fx.seg, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	shm_segment_detach(&g_fx.seg);
	shm_segment_unlink(g_fx.inst, NULL);
	return 0;
}

/* ---- running the inspector ------------------------------------------------------ */

/* Run alluse-shm with the NULL-terminated arguments; timeout 5 s. */
static struct run_result run_shm(const char *first, ...)
{
	const char *argv[32];
	int n = 0;
	argv[n++] = test_bin("alluse-shm");
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a && n < 31; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	struct run_result r;
	assert_int_equal(run_capture(argv, 5000, &r), 0);
	return r;
}

static void expect_ok(const struct run_result *r)
{
	if (r->status != 0)
		fail_msg("exit %d, stderr: %s", r->status, r->err);
}

static void expect_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected \"%s\" in:\n%s", needle, hay);
}

/* The whitespace-separated fields of the first line whose field `col` is `value`;
 * fills tok[] (pointers into a static copy) and returns how many. */
static int row_where(const char *out, int col, const char *value, char **tok, int max)
{
	static char line[4096];
	for (const char *p = out; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		int n = 0;
		for (char *t = strtok(line, " "); t && n < max; t = strtok(NULL, " "))
			tok[n++] = t;
		if (n > col && strcmp(tok[col], value) == 0)
			return n;
		p = nl ? nl + 1 : p + len;
	}
	fail_msg("no row with field %d = '%s' in:\n%s", col, value, out);
	return 0;
}

/* ---- a strict JSON checker (RFC 8259 grammar, no extensions) -------------------- */

static const char *js_value(const char *p, int depth);

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		p++;
	}
	return p + 1;
}

static const char *js_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

static const char *js_value(const char *p, int depth)
{
	if (depth > 32)
		return NULL;
	p = js_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		int obj = *p == '{';
		p = js_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = js_string(js_ws(p));
				if (!p)
					return NULL;
				p = js_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = js_value(p, depth + 1);
			if (!p)
				return NULL;
			p = js_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return js_string(p);
	if (strncmp(p, "true", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	if (strncmp(p, "null", 4) == 0)
		return p + 4;
	return js_number(p);
}

/* One JSON document on one line, starting with '{'. */
static void expect_json_doc(const char *s)
{
	if (s[0] != '{')
		fail_msg("JSON output does not start with '{': %s", s);
	const char *end = js_value(s, 0);
	if (!end || strcmp(end, "\n") != 0)
		fail_msg("not one valid JSON document followed by a newline: %s", s);
}

/* ---- the views ------------------------------------------------------------------ */

static void test_info_shows_header_owner_and_times(void **state)
{
	(void)state;
	char pid[64];
	struct run_result r = run_shm("-n", g_fx.inst, "info", NULL);
	expect_ok(&r);
	expect_has(r.out, g_fx.inst);
	expect_has(r.out, "layout version  1\n");
	snprintf(pid, sizeof(pid), "creator pid     %d (alive)\n", (int)getpid());
	expect_has(r.out, pid);
	snprintf(pid, sizeof(pid), "size            %" PRIu64 " bytes", g_fx.seg.size);
	expect_has(r.out, pid);
	expect_has(r.out, "regions         6\n");
	expect_has(r.out, "heartbeat       never\n");
	expect_has(r.out, "Z ("); /* created: ISO-8601 UTC */
	run_result_free(&r);

	r = run_shm("-n", g_fx.inst, "info", "--json", NULL);
	expect_ok(&r);
	expect_json_doc(r.out);
	expect_has(r.out, "\"command\":\"info\"");
	expect_has(r.out, "\"layout_version\":1,");
	snprintf(pid, sizeof(pid), "\"creator_pid\":%d,\"creator_alive\":true", (int)getpid());
	expect_has(r.out, pid);
	expect_has(r.out, "\"heartbeat_age_ns\":null");
	expect_has(r.out, "\"region_count\":6,");
	run_result_free(&r);
}

static void test_regions_lists_the_directory(void **state)
{
	(void)state;
	char *tok[16];
	struct run_result r = run_shm("-n", g_fx.inst, "regions", NULL);
	expect_ok(&r);
	int n = row_where(r.out, 1, "quotes.0", tok, 16);
	assert_int_equal(n, 7);
	assert_string_equal(tok[0], "2");
	assert_string_equal(tok[2], "ring");
	assert_string_equal(tok[3], "quotes");
	char off[32];
	snprintf(off, sizeof(off), "%" PRIu64, g_fx.seg.dir[2].offset);
	assert_string_equal(tok[5], off);
	assert_string_equal(tok[6], "4736"); /* 640-byte header + 64 slots × 64 B */
	row_where(r.out, 1, "worker.0", tok, 16);
	assert_string_equal(tok[2], "hists");
	run_result_free(&r);

	r = run_shm("-n", g_fx.inst, "regions", "--json", NULL);
	expect_ok(&r);
	expect_json_doc(r.out);
	expect_has(r.out, "{\"n\":2,\"name\":\"quotes.0\",\"kind\":\"ring\",\"role\":\"quotes\","
			  "\"index\":0,");
	expect_has(r.out, "\"name\":\"feeder\",\"kind\":\"counters\",\"role\":null");
	run_result_free(&r);
}

static void test_rings_show_pushed_popped_and_depth(void **state)
{
	(void)state;
	char *tok[16];
	struct run_result r = run_shm("-n", g_fx.inst, "rings", NULL);
	expect_ok(&r);
	expect_has(r.out, "CAPACITY");
	int n = row_where(r.out, 0, "quotes.0", tok, 16);
	assert_int_equal(n, 10);
	const char *want[] = {"quotes.0", "quotes", "0", "64", "10", "3", "7", "0", "10", "0"};
	for (int i = 0; i < 10; i++)
		assert_string_equal(tok[i], want[i]);
	row_where(r.out, 0, "events.0", tok, 16);
	assert_string_equal(tok[3], "16");
	assert_string_equal(tok[6], "0");
	run_result_free(&r);

	r = run_shm("-n", g_fx.inst, "rings", "--json", NULL);
	expect_ok(&r);
	expect_json_doc(r.out);
	expect_has(r.out, "{\"name\":\"quotes.0\",\"role\":\"quotes\",\"index\":0,\"capacity\":64,"
			  "\"write_pos\":10,\"read_pos\":3,\"depth\":7,\"full_count\":0,"
			  "\"high_water\":10,\"batches\":0}");
	run_result_free(&r);
}

static void test_board_prints_exact_decimal_prices_and_age(void **state)
{
	(void)state;
	char *tok[32];
	struct run_result r = run_shm("-n", g_fx.inst, "board", NULL);
	expect_ok(&r);
	int n = row_where(r.out, 1, "SPY", tok, 32);
	assert_true(n >= 10);
	const char *want[] = {"1", "SPY", "612.84", "612.85", "612.84", "100", "200", "5", "42"};
	for (int i = 0; i < 9; i++)
		assert_string_equal(tok[i], want[i]);
	row_where(r.out, 1, "AAPL", tok, 32);
	assert_string_equal(tok[2], "229.50");
	assert_string_equal(tok[3], "229.51");
	expect_has(r.out, "0.05");
	expect_has(r.out, "0.10");
	assert_null(strstr(r.out, "QQQ")); /* never written: not listed */
	assert_null(strstr(r.out, " busy ")); /* no row is busy */
	expect_has(r.out, "4 of 16 slots written, 0 busy, 0 seqlock retries\n");
	run_result_free(&r);

	r = run_shm("-n", g_fx.inst, "board", "--json", NULL);
	expect_ok(&r);
	expect_json_doc(r.out);
	expect_has(r.out,
		   "\"region\":\"board\",\"capacity\":16,\"written\":4,\"busy\":0,\"retries\":0,");
	expect_has(
		r.out,
		"{\"id\":1,\"symbol\":\"SPY\",\"bid\":612.84,\"ask\":612.85,\"last\":612.84,"
		"\"bid_size\":100,\"ask_size\":200,\"last_size\":5,\"quote_seq\":42,\"age_ns\":");
	expect_has(r.out,
		   "\"symbol\":\"SPY   261218C00650000\",\"bid\":0.05,\"ask\":0.10,\"last\":0.00,");
	expect_has(r.out, "\"busy\":false}");
	run_result_free(&r);
}

static void test_board_shows_a_slot_held_by_its_writer_as_busy(void **state)
{
	(void)state;
	struct shm_segment seg;
	char inst[32];
	snprintf(inst, sizeof(inst), "%s", test_instance_name("busy"));
	build_segment(inst, &seg, 1);
	/* a writer stopped mid-write: the seqlock word stays odd */
	struct shm_board b;
	shm_board_attach(&b, shm_segment_region(&seg, shm_segment_find_name(&seg, "board")));
	b.slots[4].seq += 1;
	b.slots[4].bid = -123456789; /* the half-written payload must not be shown */

	char *tok[32];
	struct run_result r = run_shm("-n", inst, "board", NULL);
	expect_ok(&r);
	row_where(r.out, 1, "IWM", tok, 32);
	assert_string_equal(tok[2], "busy");
	assert_null(strstr(r.out, "1.23456789"));
	expect_has(r.out, "4 of 16 slots written, 1 busy, 64 seqlock retries\n");
	run_result_free(&r);

	r = run_shm("-n", inst, "board", "--json", NULL);
	expect_ok(&r);
	expect_json_doc(r.out);
	expect_has(r.out, "{\"id\":4,\"symbol\":\"IWM\",\"bid\":null,");
	expect_has(r.out, "\"busy\":true}");
	expect_has(r.out, "\"busy\":1,\"retries\":64,");
	run_result_free(&r);
	shm_segment_detach(&seg);
	shm_segment_unlink(inst, NULL);
}

static void test_instruments_list_option_fields(void **state)
{
	(void)state;
	char *tok[16];
	struct run_result r = run_shm("-n", g_fx.inst, "instruments", NULL);
	expect_ok(&r);
	expect_has(r.out, "SPY   261218C00650000  option  SPY");
	int n = row_where(r.out, 0, "2", tok, 16);
	/* 2 SPY 261218C00650000 option SPY 2026-12-18 C 650.00 */
	assert_int_equal(n, 8);
	assert_string_equal(tok[5], "2026-12-18");
	assert_string_equal(tok[6], "C");
	assert_string_equal(tok[7], "650.00");
	row_where(r.out, 1, "AAPL", tok, 16);
	assert_string_equal(tok[2], "stock");
	assert_string_equal(tok[4], "-");
	expect_has(r.out, "5 of 16 instruments\n");
	run_result_free(&r);

	r = run_shm("-n", g_fx.inst, "instruments", "--json", NULL);
	expect_ok(&r);
	expect_json_doc(r.out);
	expect_has(r.out, "\"capacity\":16,\"count\":5,");
	expect_has(r.out, "{\"id\":2,\"symbol\":\"SPY   261218C00650000\",\"kind\":\"option\","
			  "\"underlying\":\"SPY\",\"expiry\":\"2026-12-18\",\"right\":\"C\","
			  "\"strike\":650.00}");
	expect_has(r.out,
		   "{\"id\":0,\"symbol\":\"AAPL\",\"kind\":\"stock\",\"underlying\":\"AAPL\","
		   "\"expiry\":null,\"right\":null,\"strike\":null}");
	run_result_free(&r);
}

static void test_counters_show_owner_label_and_value(void **state)
{
	(void)state;
	char *tok[16];
	struct run_result r = run_shm("-n", g_fx.inst, "counters", NULL);
	expect_ok(&r);
	row_where(r.out, 1, "quotes.in", tok, 16);
	assert_string_equal(tok[0], "feeder");
	assert_string_equal(tok[2], "12345");
	row_where(r.out, 1, "drops.full", tok, 16);
	assert_string_equal(tok[2], "7");
	run_result_free(&r);

	r = run_shm("-n", g_fx.inst, "counters", "--json", NULL);
	expect_ok(&r);
	expect_json_doc(r.out);
	expect_has(r.out, "{\"owner\":\"feeder\",\"label\":\"quotes.in\",\"value\":12345}");
	expect_has(r.out, "{\"owner\":\"feeder\",\"label\":\"drops.full\",\"value\":7}");
	run_result_free(&r);
}

static void test_hist_shows_count_and_percentiles_in_ns(void **state)
{
	(void)state;
	char *tok[16];
	struct run_result r = run_shm("-n", g_fx.inst, "hist", NULL);
	expect_ok(&r);
	expect_has(r.out, "P99.99");
	int n = row_where(r.out, 1, "quote-to-event", tok, 16);
	assert_int_equal(n, 11);
	/* values below 2048 are exact: nearest-rank over 1..1000 */
	const char *want[] = {"worker.0", "quote-to-event", "1000", "1", "500", "900", "990",
			      "999",      "1000",           "1000"};
	for (int i = 0; i < 10; i++)
		assert_string_equal(tok[i], want[i]);
	assert_string_equal(tok[10], "500.5");
	row_where(r.out, 1, "empty", tok, 16);
	assert_string_equal(tok[2], "0");
	assert_string_equal(tok[4], "-");
	run_result_free(&r);

	r = run_shm("-n", g_fx.inst, "hist", "--json", NULL);
	expect_ok(&r);
	expect_json_doc(r.out);
	expect_has(r.out, "\"unit\":\"ns\"");
	expect_has(r.out,
		   "{\"owner\":\"worker.0\",\"label\":\"quote-to-event\",\"count\":1000,\"min\":1,"
		   "\"p50\":500,\"p90\":900,\"p99\":990,\"p999\":999,\"p9999\":1000,"
		   "\"max\":1000,\"mean\":500.5}");
	expect_has(r.out, "\"label\":\"empty\",\"count\":0,\"min\":null,");
	run_result_free(&r);
}

static void test_instance_defaults_to_alluse_instance_env(void **state)
{
	(void)state;
	setenv("ALLUSE_INSTANCE", g_fx.inst, 1);
	struct run_result r = run_shm("info", NULL);
	unsetenv("ALLUSE_INSTANCE");
	expect_ok(&r);
	expect_has(r.out, g_fx.inst);
	run_result_free(&r);
}

static void test_file_option_reads_a_copy_of_the_segment(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "/tmp/alluse-insp-%d-copy.seg", (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, g_fx.seg.base, g_fx.seg.size), (ssize_t)g_fx.seg.size);
	close(fd);
	struct run_result r = run_shm("-f", path, "board", NULL);
	expect_ok(&r);
	expect_has(r.out, "612.84");
	run_result_free(&r);
	unlink(path);
}

/* ---- failures ------------------------------------------------------------------- */

static void test_missing_instance_exits_1_and_says_how_to_start_it(void **state)
{
	(void)state;
	const char *inst = test_instance_name("none");
	struct run_result r = run_shm("-n", inst, "info", NULL);
	assert_int_equal(r.status, 1);
	expect_has(r.err, "alluse-shm: no segment for instance '");
	expect_has(r.err, inst);
	expect_has(r.err, "alluse run -n ");
	assert_int_equal(r.out_len, 0);
	run_result_free(&r);
}

/* A private copy of the fixture segment's bytes at path, for corrupting. */
static void copy_fixture(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, g_fx.seg.base, g_fx.seg.size), (ssize_t)g_fx.seg.size);
	close(fd);
}

static void patch(const char *path, uint64_t off, const void *bytes, size_t n)
{
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, n, (off_t)off), (ssize_t)n);
	close(fd);
}

/* Run `-f path info` on a corrupt file: exit 1 and stderr is exactly
 * "alluse-shm: <path>: <reason>\n". */
static void expect_rejected(const char *path, const char *reason)
{
	char want[1024];
	snprintf(want, sizeof(want), "alluse-shm: %s: %s\n", path, reason);
	struct run_result r = run_shm("-f", path, "info", NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, want);
	assert_int_equal(r.out_len, 0);
	run_result_free(&r);
	r = run_shm("-f", path, "board", "--json", NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, want);
	run_result_free(&r);
}

static void test_garbage_file_is_rejected_for_its_magic(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "/tmp/alluse-insp-%d-garbage.seg", (int)getpid());
	uint8_t junk[8192];
	memset(junk, 0xab, sizeof(junk));
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	expect_rejected(path, "wrong magic 0xabababababababab (expected 0x01004553554c4c41): "
			      "not an alluse segment");
	unlink(path);
}

static void test_truncated_copy_is_rejected_with_both_sizes(void **state)
{
	(void)state;
	char path[128], reason[256];
	snprintf(path, sizeof(path), "/tmp/alluse-insp-%d-trunc.seg", (int)getpid());
	copy_fixture(path);
	assert_int_equal(truncate(path, (off_t)(g_fx.seg.size - 4096)), 0);
	snprintf(reason, sizeof(reason),
		 "header says %" PRIu64 " bytes but the file has %" PRIu64 " (truncated)",
		 g_fx.seg.size, g_fx.seg.size - 4096);
	expect_rejected(path, reason);
	/* shorter than the header itself */
	assert_int_equal(truncate(path, 100), 0);
	expect_rejected(path, "truncated to 100 bytes, smaller than the 256-byte header");
	unlink(path);
}

static void test_layout_version_mismatch_is_rejected(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "/tmp/alluse-insp-%d-version.seg", (int)getpid());
	copy_fixture(path);
	uint32_t v = 2;
	patch(path, offsetof(struct shm_header, layout_version), &v, sizeof(v));
	expect_rejected(path, "layout version 2, but this build reads 1");
	unlink(path);
}

static void test_directory_entry_out_of_bounds_is_rejected(void **state)
{
	(void)state;
	char path[128], reason[256];
	snprintf(path, sizeof(path), "/tmp/alluse-insp-%d-dir.seg", (int)getpid());
	copy_fixture(path);
	uint64_t off = g_fx.seg.size; /* 128-aligned, one past the end */
	patch(path,
	      SHM_HEADER_SIZE + 2 * SHM_DIR_ENTRY_SIZE + offsetof(struct shm_dir_entry, offset),
	      &off, sizeof(off));
	snprintf(reason, sizeof(reason),
		 "region 2 'quotes.0' out of bounds (offset %" PRIu64 " size 4736, segment %" PRIu64
		 " bytes)",
		 off, g_fx.seg.size);
	expect_rejected(path, reason);
	unlink(path);
}

static void test_ring_read_ahead_of_write_is_rejected(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "/tmp/alluse-insp-%d-ring.seg", (int)getpid());
	copy_fixture(path);
	uint64_t rd = 15;
	patch(path, g_fx.seg.dir[2].offset + offsetof(struct shm_ring_hdr, read_pos), &rd,
	      sizeof(rd));
	expect_rejected(
		path,
		"region 2 'quotes.0' (ring): ring read position 15 is ahead of write position 10");
	unlink(path);
}

static void test_unpublished_segment_times_out_waiting_for_ready(void **state)
{
	(void)state;
	struct shm_segment seg;
	char inst[32];
	snprintf(inst, sizeof(inst), "%s", test_instance_name("unready"));
	build_segment(inst, &seg, 0);
	struct run_result r = run_shm("-n", inst, "info", NULL);
	assert_int_equal(r.status, 1);
	expect_has(r.err, "not ready after 200 ms");
	run_result_free(&r);
	shm_segment_detach(&seg);
	shm_segment_unlink(inst, NULL);
}

static void test_bad_usage_prints_usage_and_exits_2(void **state)
{
	(void)state;
	const char *cases[][6] = {
		{"-n", "x", "frobnicate", NULL},
		{"-n", "x", "--bogus", "info", NULL},
		{"info", "--watch", "0", NULL},
		{"info", "--watch", "-1", NULL},
		{"info", "--watch", "abc", NULL},
		{"info", "--watch", NULL},
		{"-n", "a", "-f", "/tmp/x", "info", NULL},
		{"-n", "bad/name", "info", NULL},
		{"info", "rings", NULL},
		{"remove", "--watch", "1", NULL},
		{NULL},
	};
	const char *expect[] = {
		"unknown command 'frobnicate'",
		"unknown option '--bogus'",
		"--watch: '0'",
		"--watch: '-1'",
		"--watch: 'abc'",
		"--watch needs",
		"-n and -f are exclusive",
		"character '/' not allowed",
		"one command at a time",
		"--watch does not apply to remove",
		"no command given",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run_result r = run_shm(cases[i][0], cases[i][1], cases[i][2], cases[i][3],
					      cases[i][4], NULL);
		if (r.status != 2 || !strstr(r.err, expect[i]) ||
		    !strstr(r.err, "usage: alluse-shm"))
			fail_msg("case %zu: exit %d, stderr: %s", i, r.status, r.err);
		run_result_free(&r);
	}
	struct run_result r = run_shm("--help", NULL);
	expect_ok(&r);
	expect_has(r.out, "usage: alluse-shm");
	run_result_free(&r);
}

/* ---- remove --------------------------------------------------------------------- */

static int file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* A segment created by a child process that exits without unlinking it. */
static void orphan_segment(const char *inst)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct shm_plan plan;
		struct shm_segment seg;
		memset(&plan, 0, sizeof(plan));
		if (shm_plan_add(&plan, SHM_KIND_RING, SHM_ROLE_SCRATCH, 0, "scratch", 16, NULL) ||
		    shm_segment_create(&seg, inst, &plan, &OPTS, NULL))
			_exit(1);
		shm_segment_publish(&seg);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_remove_refuses_while_the_owner_is_alive(void **state)
{
	(void)state;
	struct run_result r = run_shm("-n", g_fx.inst, "remove", NULL);
	assert_int_equal(r.status, 1);
	char want[128];
	snprintf(want, sizeof(want), "owner pid %d is alive", (int)getpid());
	expect_has(r.err, want);
	run_result_free(&r);
	r = run_shm("-n", g_fx.inst, "remove", "--force", NULL); /* --force does not override */
	assert_int_equal(r.status, 1);
	run_result_free(&r);
	assert_true(file_exists(g_fx.seg.path));
}

static void test_remove_deletes_a_dead_owners_segment(void **state)
{
	(void)state;
	char inst[32], path[96];
	snprintf(inst, sizeof(inst), "%s", test_instance_name("dead"));
	snprintf(path, sizeof(path), "/dev/shm/alluse.%s", inst);
	orphan_segment(inst);
	struct run_result r = run_shm("-n", inst, "info", NULL);
	expect_ok(&r);
	expect_has(r.out, "(gone)");
	run_result_free(&r);
	r = run_shm("-n", inst, "remove", "--json", NULL);
	expect_ok(&r);
	expect_json_doc(r.out);
	expect_has(r.out, "\"removed\":true");
	expect_has(r.out, "\"invalid\":null");
	run_result_free(&r);
	assert_false(file_exists(path));
	r = run_shm("-n", inst, "remove", NULL);
	assert_int_equal(r.status, 1);
	expect_has(r.err, "no such segment");
	run_result_free(&r);
}

static void test_remove_deletes_a_dead_owners_segment_that_fails_validation(void **state)
{
	(void)state;
	char inst[32], path[96];
	snprintf(inst, sizeof(inst), "%s", test_instance_name("deadbad"));
	snprintf(path, sizeof(path), "/dev/shm/alluse.%s", inst);
	orphan_segment(inst);
	assert_int_equal(truncate(path, 1000), 0);
	struct run_result r = run_shm("-n", inst, "info", NULL);
	assert_int_equal(r.status, 1);
	expect_has(r.err, "(truncated)");
	run_result_free(&r);
	r = run_shm("-n", inst, "remove", NULL);
	expect_ok(&r);
	expect_has(r.out, "removed /dev/shm/alluse.");
	expect_has(r.out, "which is gone; it did not validate: header says");
	run_result_free(&r);
	assert_false(file_exists(path));
}

static void test_remove_needs_force_for_a_file_that_is_not_a_segment(void **state)
{
	(void)state;
	char inst[32], path[96];
	snprintf(inst, sizeof(inst), "%s", test_instance_name("foreign"));
	snprintf(path, sizeof(path), "/dev/shm/alluse.%s", inst);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a segment\n", 14), 14);
	close(fd);
	struct run_result r = run_shm("-n", inst, "remove", NULL);
	assert_int_equal(r.status, 1);
	expect_has(r.err, "truncated to 14 bytes");
	expect_has(r.err, "--force");
	run_result_free(&r);
	assert_true(file_exists(path));
	r = run_shm("-n", inst, "remove", "--force", NULL);
	expect_ok(&r);
	expect_has(r.out, "removed");
	run_result_free(&r);
	assert_false(file_exists(path));
}

/* ---- watch ---------------------------------------------------------------------- */

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void test_watch_refreshes_in_place_until_killed(void **state)
{
	(void)state;
	const char *argv[] = {
		test_bin("alluse-shm"), "-n", g_fx.inst, "rings", "--watch", "0.2", NULL};
	struct run_result r;
	assert_int_equal(run_capture(argv, 1000, &r), 0);
	assert_int_equal(r.status, 128 + 9); /* still refreshing when killed */
	size_t frames = count_of(r.out, "\033[H\033[2J");
	if (frames < 2)
		fail_msg("%zu refreshes in 1 s: %s", frames, r.out);
	assert_true(count_of(r.out, "quotes.0") >= frames);
	run_result_free(&r);
}

static void test_watch_json_prints_one_document_per_line(void **state)
{
	(void)state;
	const char *argv[] = {test_bin("alluse-shm"),
			      "-n",
			      g_fx.inst,
			      "counters",
			      "--json",
			      "--watch",
			      "0.2",
			      NULL};
	struct run_result r;
	assert_int_equal(run_capture(argv, 1000, &r), 0);
	assert_int_equal(r.status, 128 + 9);
	assert_null(strstr(r.out, "\033"));
	size_t lines = 0;
	for (char *line = r.out, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		char save = nl[1];
		nl[1] = '\0';
		expect_json_doc(line);
		expect_has(line, "\"value\":12345");
		nl[1] = save;
		lines++;
	}
	assert_true(lines >= 2);
	run_result_free(&r);
}

static uint64_t fnv1a(const uint8_t *p, uint64_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (uint64_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static void test_inspector_never_writes_the_segment(void **state)
{
	(void)state;
	struct stat before, after;
	assert_int_equal(stat(g_fx.seg.path, &before), 0);
	uint64_t sum = fnv1a(g_fx.seg.base, g_fx.seg.size);
	const char *cmds[] = {"info",        "regions",  "rings", "board",
			      "instruments", "counters", "hist"};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const char *argv[] = {
			test_bin("alluse-shm"), "-n", g_fx.inst, cmds[i], "--watch", "0.05", NULL};
		struct run_result r;
		assert_int_equal(run_capture(argv, 250, &r), 0);
		assert_int_equal(r.status, 128 + 9);
		run_result_free(&r);
	}
	assert_int_equal(stat(g_fx.seg.path, &after), 0);
	assert_int_equal(fnv1a(g_fx.seg.base, g_fx.seg.size), sum);
	assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	assert_int_equal(after.st_size, before.st_size);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_shows_header_owner_and_times),
		cmocka_unit_test(test_regions_lists_the_directory),
		cmocka_unit_test(test_rings_show_pushed_popped_and_depth),
		cmocka_unit_test(test_board_prints_exact_decimal_prices_and_age),
		cmocka_unit_test(test_board_shows_a_slot_held_by_its_writer_as_busy),
		cmocka_unit_test(test_instruments_list_option_fields),
		cmocka_unit_test(test_counters_show_owner_label_and_value),
		cmocka_unit_test(test_hist_shows_count_and_percentiles_in_ns),
		cmocka_unit_test(test_instance_defaults_to_alluse_instance_env),
		cmocka_unit_test(test_file_option_reads_a_copy_of_the_segment),
		cmocka_unit_test(test_missing_instance_exits_1_and_says_how_to_start_it),
		cmocka_unit_test(test_garbage_file_is_rejected_for_its_magic),
		cmocka_unit_test(test_truncated_copy_is_rejected_with_both_sizes),
		cmocka_unit_test(test_layout_version_mismatch_is_rejected),
		cmocka_unit_test(test_directory_entry_out_of_bounds_is_rejected),
		cmocka_unit_test(test_ring_read_ahead_of_write_is_rejected),
		cmocka_unit_test(test_unpublished_segment_times_out_waiting_for_ready),
		cmocka_unit_test(test_bad_usage_prints_usage_and_exits_2),
		cmocka_unit_test(test_remove_refuses_while_the_owner_is_alive),
		cmocka_unit_test(test_remove_deletes_a_dead_owners_segment),
		cmocka_unit_test(test_remove_deletes_a_dead_owners_segment_that_fails_validation),
		cmocka_unit_test(test_remove_needs_force_for_a_file_that_is_not_a_segment),
		cmocka_unit_test(test_watch_refreshes_in_place_until_killed),
		cmocka_unit_test(test_watch_json_prints_one_document_per_line),
		cmocka_unit_test(test_inspector_never_writes_the_segment),
	};
	if (access(test_bin("alluse-shm"), X_OK) != 0) {
		printf("skipped: %s not built (make %s)\n", test_bin("alluse-shm"),
		       test_bin("alluse-shm"));
		return 77;
	}
	return cmocka_run_group_tests_name("alluse_shm", tests, setup, teardown);
}
