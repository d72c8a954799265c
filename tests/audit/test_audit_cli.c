/* alluse-audit's reading commands on a journal holding one record of every kind:
 * show (filters by kind, source, event time and sequence; text and JSON), tail,
 * digest, verify (exit 0, then exit 1 naming a flipped record), and usage errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_fs.h"
#include "rt/rt_clock.h"
#include "shm/shm_audit.h"
#include "tests/support/test_util.h"
#include "workers/audit/audit_journal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[64];
#define T0 1767364200000000000ull /* 2026-01-02T14:30:00Z */

static void add(struct audit_journal *j, uint32_t source, uint64_t seq, uint32_t kind, uint64_t t,
		const void *pl, uint32_t len)
{
	uint64_t lat[4] = {10, 20, 30, 40};
	struct audit_rec_in in = {.source = source,
				  .kind = kind,
				  .src_seq = seq,
				  .event_ns = t,
				  .recv_ns = rt_clock_now_ns(),
				  .emit_ns = 1,
				  .src_pos = seq,
				  .nlat = kind == SHM_AUDIT_LEVEL ? 4 : 0,
				  .lat = lat,
				  .plen = len,
				  .payload = pl};
	assert_int_equal(audit_journal_append(j, &in, NULL), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof(g_dir), "/tmp/alluse-tcli.XXXXXX");
	if (!mkdtemp(g_dir))
		return -1;
	struct audit_journal *j;
	struct audit_journal_cfg c = {.dir = g_dir, .instance = "cli"};
	if (audit_journal_open(&j, &c, NULL, NULL))
		return -1;
	uint32_t w = SHM_AUDIT_SRC_WORKER + 2;
	struct shm_audit_level l = {.pos_id = 7,
				    .from = 0,
				    .to = 1,
				    .cause = SHM_CAUSE_CROSSING,
				    .right = 'P',
				    .price = 61284000000,
				    .atr = 500000000,
				    .strike = 60000000000,
				    .quote_seq = 99};
	add(j, w, 1, SHM_AUDIT_LEVEL, T0, &l, sizeof(l));
	struct shm_audit_state s = {.from = SHM_STATE_SCANNING, .to = SHM_STATE_SAFE};
	snprintf(s.reason, sizeof(s.reason), "stale feed");
	add(j, SHM_AUDIT_SRC_RULES, 1, SHM_AUDIT_STATE, T0 + 1000000000, &s, sizeof(s));
	struct shm_audit_intent in = {
		.intent_id = 5, .qty = 2, .limit = 123000000, .side = 'S', .effect = 'O'};
	snprintf(in.account, sizeof(in.account), "GEN");
	snprintf(in.symbol, sizeof(in.symbol), "AAPL  261218P00150000");
	add(j, SHM_AUDIT_SRC_RULES, 2, SHM_AUDIT_ORDER_INTENT, T0 + 2000000000, &in, sizeof(in));
	struct shm_audit_order o = {
		.intent_id = 5, .order_id = 9, .event = SHM_AUDIT_ORD_ACKED, .qty = 2};
	add(j, SHM_AUDIT_SRC_ROUTER, 1, SHM_AUDIT_ORDER_EVENT, T0 + 3000000000, &o, sizeof(o));
	struct shm_audit_fill f = {.order_id = 9, .qty = 2, .side = 'S', .price = 122000000};
	add(j, SHM_AUDIT_SRC_ROUTER, 2, SHM_AUDIT_FILL, T0 + 4000000000, &f, sizeof(f));
	struct shm_audit_fork fk = {.amount = 5000000000000};
	snprintf(fk.from, sizeof(fk.from), "GEN");
	snprintf(fk.to, sizeof(fk.to), "GEN-2");
	add(j, SHM_AUDIT_SRC_RULES, 3, SHM_AUDIT_FORK, T0 + 5000000000, &fk, sizeof(fk));
	add(j, SHM_AUDIT_SRC_RULES, 4, SHM_AUDIT_MERGE, T0 + 6000000000, &fk, sizeof(fk));
	add(j, SHM_AUDIT_SRC_SUPERVISOR, 1, SHM_AUDIT_CONFIG, T0 + 7000000000,
	    "protocol.level_atr: 1 -> 1.5", 28);
	add(j, SHM_AUDIT_SRC_CTL, 1, SHM_AUDIT_COMMAND, T0 + 8000000000, "pause \"all\"", 11);
	struct shm_audit_fault ft = {.code = 3, .value = 42};
	snprintf(ft.text, sizeof(ft.text), "event ring full");
	add(j, w, 2, SHM_AUDIT_FAULT, T0 + 9000000000, &ft, sizeof(ft));
	struct rt_err err = {0};
	int rc = audit_journal_flush(j, &err);
	audit_journal_close(j);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	rt_rmtree(g_dir);
	return 0;
}

static struct run_result run(const char *a1, const char *a2, const char *a3, const char *a4,
			     const char *a5, const char *a6)
{
	const char *argv[] = {
		test_bin("alluse-audit"), a1, "--journal", g_dir, a2, a3, a4, a5, a6, NULL};
	struct run_result r;
	assert_int_equal(run_capture(argv, 20000, &r), 0);
	return r;
}

static int lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_show_prints_every_kind_decoded(void **state)
{
	(void)state;
	struct run_result r = run("show", NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(lines(r.out), 10);
	assert_non_null(strstr(
		r.out, "1 2026-01-02T14:30:00.000000000Z worker.2#1 level pos_id=7 from=0 to=1 "
		       "cause=\"crossing\""));
	assert_non_null(strstr(r.out, "price=612.84000000"));
	assert_non_null(
		strstr(r.out, "rules#1 state from=\"SCANNING\" to=\"SAFE\" reason=\"stale feed\""));
	assert_non_null(strstr(r.out, "symbol=\"AAPL  261218P00150000\""));
	assert_non_null(strstr(r.out, "event=\"acked\""));
	assert_non_null(strstr(r.out, "fill order_id=9"));
	assert_non_null(strstr(r.out, "fork from=\"GEN\" to=\"GEN-2\" amount=50000.00000000"));
	assert_non_null(strstr(r.out, "config text=\"protocol.level_atr: 1 -> 1.5\""));
	assert_non_null(strstr(r.out, "command text=\"pause \\\"all\\\"\""));
	assert_non_null(strstr(r.out, "fault code=3"));
	run_result_free(&r);
}

static void test_show_filters_by_kind_source_time_and_sequence(void **state)
{
	(void)state;
	struct run_result r = run("show", "--kind", "fill", NULL, NULL, NULL);
	assert_int_equal(lines(r.out), 1);
	assert_non_null(strstr(r.out, "router#2 fill"));
	run_result_free(&r);
	r = run("show", "--source", "rules", NULL, NULL, NULL);
	assert_int_equal(lines(r.out), 4);
	run_result_free(&r);
	r = run("show", "--since", "2026-01-02T14:30:03Z", "--until", "2026-01-02T14:30:05.5Z",
		NULL);
	assert_int_equal(lines(r.out), 3); /* order, fill, fork */
	run_result_free(&r);
	r = run("show", "--from", "8", "--to", "9", NULL);
	assert_int_equal(lines(r.out), 2);
	assert_true(strncmp(r.out, "8 ", 2) == 0);
	run_result_free(&r);
	r = run("show", "--source", "worker.2", "--kind", "fault", NULL);
	assert_int_equal(lines(r.out), 1);
	run_result_free(&r);
}

static void test_show_json_is_one_object_per_record(void **state)
{
	(void)state;
	struct run_result r = run("show", "--json", "--kind", "level", NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(lines(r.out), 1);
	assert_non_null(
		strstr(r.out, "{\"seq\":1,\"source\":\"worker.2\",\"src_seq\":1,\"kind\":\"level\","
			      "\"event_ns\":1767364200000000000,"));
	assert_non_null(strstr(r.out, "\"lat_ns\":[10,20,30,40]"));
	assert_non_null(strstr(r.out, "\"payload\":{\"pos_id\":7,\"from\":0,\"to\":1,"));
	assert_non_null(strstr(r.out, "\"price\":61284000000"));
	run_result_free(&r);
	r = run("show", "--json", "--kind", "command", NULL, NULL);
	assert_non_null(strstr(r.out, "\"text\":\"pause \\\"all\\\"\""));
	run_result_free(&r);
}

static void test_tail_prints_the_last_records(void **state)
{
	(void)state;
	struct run_result r = run("tail", "--count", "3", NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(lines(r.out), 3);
	assert_true(strncmp(r.out, "8 ", 2) == 0);
	run_result_free(&r);
}

static void test_digest_and_verify(void **state)
{
	(void)state;
	struct run_result r = run("digest", NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(strlen(r.out), 64 + strlen("  decisions=10 sources=5\n"));
	assert_non_null(strstr(r.out, "decisions=10 sources=5"));
	run_result_free(&r);
	r = run("verify", NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "10 records in 1 files (sequences 1..10, instance 'cli')"));
	run_result_free(&r);
	/* flip one byte of record 4's payload */
	char p[128];
	snprintf(p, sizeof(p), "%s/j-00000000000000000001.aj", g_dir);
	int fd = open(p, O_RDWR);
	uint64_t off = 128;
	for (int i = 1; i < 4; i++) {
		uint32_t len;
		assert_int_equal(pread(fd, &len, 4, (off_t)off), 4);
		off += len;
	}
	uint8_t b;
	assert_int_equal(pread(fd, &b, 1, (off_t)off + 100), 1);
	b ^= 1;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off + 100), 1);
	close(fd);
	r = run("verify", NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 1);
	char want[160];
	snprintf(want, sizeof(want),
		 "BAD: record 4 (file %s/j-00000000000000000001.aj, offset %llu)", g_dir,
		 (unsigned long long)off);
	assert_non_null(strstr(r.out, want));
	run_result_free(&r);
}

static void test_usage_errors_exit_2(void **state)
{
	(void)state;
	struct run_result r = run("show", "--kind", "bogus", NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--kind 'bogus'"));
	run_result_free(&r);
	r = run("frobnicate", NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	run_result_free(&r);
	r = run("show", "--since", "yesterday", NULL, NULL, NULL);
	assert_int_equal(r.status, 2);
	run_result_free(&r);
}

int main(void)
{
	if (access(test_bin("alluse-audit"), X_OK) != 0) {
		printf("skip: %s is not built\n", test_bin("alluse-audit"));
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_show_prints_every_kind_decoded),
		cmocka_unit_test(test_show_filters_by_kind_source_time_and_sequence),
		cmocka_unit_test(test_show_json_is_one_object_per_record),
		cmocka_unit_test(test_tail_prints_the_last_records),
		cmocka_unit_test(test_usage_errors_exit_2),
		cmocka_unit_test(test_digest_and_verify),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
