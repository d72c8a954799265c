/* PostgreSQL shipping against a real server (tests/support/pg_harness.h): versioned
 * migrations, the append-only table (UPDATE, DELETE and TRUNCATE rejected by the
 * database), batches by binary COPY, idempotent resume from max(jseq), an outage in
 * the middle (backlog, back-off, drain, exact counts), and verify --pg naming a
 * missing or an extra row. Skips (77) when PostgreSQL is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_fs.h"
#include "rt/rt_clock.h"
#include "rt/rt_log.h"
#include "tests/support/pg_harness.h"
#include "workers/audit/audit_journal.h"
#include "workers/audit/audit_pg.h"
#include "workers/audit/audit_verify.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof(g_dir), "/tmp/alluse-tpg.XXXXXX");
	return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rt_rmtree(g_dir);
	return 0;
}

static PGconn *db(void)
{
	PGconn *c;
	struct rt_err err = {0};
	int rc = audit_pg_connect_sync(&c, pg_harness()->dsn, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
	return c;
}

static long long scalar(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fprintf(stderr, "%s: %s\n", sql, PQresultErrorMessage(r));
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	long long v = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

/* Append records [from, from+n) to the journal of `instance` in g_dir. */
static void journal(const char *instance, uint64_t from, uint64_t n)
{
	struct audit_journal *j;
	struct audit_journal_cfg c = {.dir = g_dir, .instance = instance, .rotate_bytes = 1 << 20};
	struct rt_err err = {0};
	assert_int_equal(audit_journal_open(&j, &c, NULL, &err), 0);
	uint8_t pl[128];
	for (uint64_t i = from; i < from + n; i++) {
		for (unsigned k = 0; k < sizeof(pl); k++)
			pl[k] = (uint8_t)(i * 7 + k);
		uint64_t lat[2] = {i, i + 1};
		struct audit_rec_in in = {.source = SHM_AUDIT_SRC_WORKER + (uint32_t)(i % 3),
					  .kind = SHM_AUDIT_LEVEL,
					  .src_seq = i,
					  .event_ns = 1700000000000000000ull + i,
					  .recv_ns = rt_clock_now_ns(),
					  .emit_ns = 5,
					  .src_pos = i,
					  .nlat = (uint32_t)(i % 3),
					  .lat = lat,
					  .plen = (uint32_t)(i % 100),
					  .payload = pl};
		int rc;
		while ((rc = audit_journal_append(j, &in, NULL)) == -ENOBUFS)
			assert_int_equal(audit_journal_flush(j, &err), 0);
		assert_int_equal(rc, 0);
	}
	assert_int_equal(audit_journal_flush(j, &err), 0);
	audit_journal_close(j);
}

static struct audit_pg *shipper(const char *instance, uint32_t batch)
{
	struct audit_pg *s;
	struct audit_pg_cfg c = {.dsn = pg_harness()->dsn,
				 .instance = instance,
				 .journal_dir = g_dir,
				 .batch_rows = batch,
				 .retry_min_ms = 20,
				 .retry_max_ms = 200};
	struct rt_err err = {0};
	assert_int_equal(audit_pg_open(&s, &c, &err), 0);
	return s;
}

/* Drive the shipper (blocking waits, never a spin) until it holds `target` or
 * timeout_ms passes. Returns the shipped sequence. */
static uint64_t ship(struct audit_pg *s, uint64_t durable, uint64_t target, unsigned timeout_ms)
{
	uint64_t end = rt_clock_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	short rev = 0;
	struct audit_pg_stats st;
	for (;;) {
		uint64_t now = rt_clock_now_ns();
		audit_pg_step(s, now, durable, rev);
		rev = 0;
		audit_pg_stats(s, &st);
		if ((target && st.shipped_seq >= target && st.connected) || now >= end)
			return st.shipped_seq;
		short ev = 0;
		int fd = audit_pg_fd(s, &ev);
		uint64_t dl = audit_pg_deadline(s, durable);
		int ms = 20;
		if (dl <= now)
			ms = 0;
		else if (dl - now < 20000000ull)
			ms = (int)((dl - now) / 1000000ull) + 1;
		struct pollfd p = {.fd = fd, .events = ev};
		if (fd >= 0) {
			if (poll(&p, 1, ms) > 0)
				rev = p.revents;
		} else if (ms) {
			rt_clock_sleep_ns((uint64_t)ms * 1000000ull);
		}
	}
}

static void test_migrations_create_the_schema_once_and_match_the_files(void **state)
{
	(void)state;
	PGconn *c = db();
	struct rt_err err = {0};
	int v = -1;
	assert_int_equal(audit_pg_migrate_sync(c, &err), 0);
	unsigned n;
	const struct audit_migration *m = audit_migrations(&n);
	assert_true(n >= 2);
	assert_int_equal(audit_pg_schema_version_sync(c, &v, &err), 0);
	assert_int_equal(v, m[n - 1].version);
	/* again: nothing to do, nothing applied twice */
	assert_int_equal(audit_pg_migrate_sync(c, &err), 0);
	assert_int_equal(scalar(c, "SELECT count(*) FROM schema_version"), n);
	assert_int_equal(scalar(c, "SELECT count(*) FROM audit_kind"), 10);
	PQfinish(c);
	/* the embedded SQL is the repository's, byte for byte */
	for (unsigned i = 0; i < n; i++) {
		char path[128];
		snprintf(path, sizeof(path), "db/migrations/%s.sql", m[i].name);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		static char buf[65536];
		size_t len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = '\0';
		assert_int_equal(m[i].version, (int)(i + 1));
		assert_string_equal(m[i].sql, buf);
	}
}

static void test_audit_table_rejects_update_delete_and_truncate(void **state)
{
	(void)state;
	journal("tappend", 1, 3);
	struct audit_pg *s = shipper("tappend", 100);
	assert_int_equal(ship(s, 3, 3, 20000), 3);
	audit_pg_close(s);
	PGconn *c = db();
	static const char *const BAD[] = {
		"UPDATE audit_record SET kind = 2 WHERE instance = 'tappend'",
		"DELETE FROM audit_record WHERE instance = 'tappend'",
		"TRUNCATE audit_record",
	};
	for (size_t i = 0; i < 3; i++) {
		PGresult *r = PQexec(c, BAD[i]);
		assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
		assert_non_null(strstr(PQresultErrorMessage(r), "append-only"));
		PQclear(r);
	}
	assert_int_equal(scalar(c, "SELECT count(*) FROM audit_record WHERE instance = 'tappend'"),
			 3);
	assert_int_equal(
		scalar(c,
		       "SELECT count(*) FROM audit_record WHERE instance = 'tappend' AND kind = 1"),
		3);
	PQfinish(c);
}

static void test_shipper_sends_batches_and_resumes_without_duplicates(void **state)
{
	(void)state;
	journal("tship", 1, 25000);
	struct audit_pg *s = shipper("tship", 4000);
	assert_int_equal(ship(s, 25000, 25000, 30000), 25000);
	struct audit_pg_stats st;
	audit_pg_stats(s, &st);
	assert_int_equal(st.rows, 25000);
	assert_int_equal(st.batches, 7); /* ceil(25000 / 4000): never a round trip per row */
	assert_int_equal(st.errors, 0);
	audit_pg_close(s);
	/* a new shipper (a restarted audit process) resumes from what PostgreSQL holds */
	journal("tship", 25001, 1000);
	s = shipper("tship", 4000);
	assert_int_equal(ship(s, 26000, 26000, 30000), 26000);
	audit_pg_stats(s, &st);
	assert_int_equal(st.rows, 1000);
	audit_pg_close(s);
	PGconn *c = db();
	assert_int_equal(scalar(c, "SELECT count(*) FROM audit_record WHERE instance = 'tship'"),
			 26000);
	assert_int_equal(
		scalar(c, "SELECT count(DISTINCT jseq) FROM audit_record WHERE instance = 'tship'"),
		26000);
	assert_int_equal(scalar(c, "SELECT max(jseq) FROM audit_record WHERE instance = 'tship'"),
			 26000);
	PQfinish(c);
	struct audit_verify_result res;
	struct rt_err err = {0};
	assert_int_equal(audit_verify(g_dir, pg_harness()->dsn, NULL, &res, &err), 0);
	assert_true(res.pg_ok);
	assert_int_equal(res.pg_rows, 26000);
}

static void test_postgresql_outage_grows_a_backlog_that_drains_exactly(void **state)
{
	(void)state;
	struct rt_err err = {0};
	journal("toutage", 1, 5000);
	struct audit_pg *s = shipper("toutage", 2000);
	assert_int_equal(ship(s, 5000, 5000, 30000), 5000);
	/* the server goes away while more records arrive */
	assert_int_equal(audit_pgctl_stop(pg_harness(), &err), 0);
	journal("toutage", 5001, 5000);
	assert_int_equal(ship(s, 10000, 0, 800), 5000);
	struct audit_pg_stats st;
	audit_pg_stats(s, &st);
	assert_int_equal(st.connected, 0);
	assert_true(st.errors >= 2); /* it kept retrying, with back-off */
	assert_true(st.attempts >= 3);
	assert_true(st.attempts < 40); /* ... and not in a tight loop */
	assert_true(strlen(st.last_error) > 0);
	/* it comes back: the backlog drains, nothing lost, nothing twice */
	assert_int_equal(audit_pgctl_restart(pg_harness(), &err), 0);
	assert_int_equal(ship(s, 10000, 10000, 30000), 10000);
	audit_pg_close(s);
	PGconn *c = db();
	assert_int_equal(scalar(c, "SELECT count(*) FROM audit_record WHERE instance = 'toutage'"),
			 10000);
	PQfinish(c);
	struct audit_verify_result res;
	assert_int_equal(audit_verify(g_dir, pg_harness()->dsn, NULL, &res, &err), 0);
	assert_int_equal(res.pg_rows, 10000);
}

static void test_verify_names_a_missing_and_an_extra_row(void **state)
{
	(void)state;
	struct rt_err err = {0};
	journal("tverify", 1, 100);
	struct audit_pg *s = shipper("tverify", 50);
	assert_int_equal(ship(s, 50, 50, 20000), 50); /* only half is durable to it */
	audit_pg_close(s);
	struct audit_verify_result res;
	char out[4096];
	FILE *f = fmemopen(out, sizeof(out), "w");
	assert_int_equal(audit_verify(g_dir, pg_harness()->dsn, f, &res, &err), 1);
	fclose(f);
	assert_true(res.journal_ok);
	assert_false(res.pg_ok);
	assert_int_equal(res.pg_bad_jseq, 51);
	assert_non_null(strstr(out, "record 51 is missing in postgresql"));
	/* ship the rest, then plant a row the journal never had */
	s = shipper("tverify", 50);
	assert_int_equal(ship(s, 100, 100, 20000), 100);
	audit_pg_close(s);
	assert_int_equal(audit_verify(g_dir, pg_harness()->dsn, NULL, &res, &err), 0);
	PGconn *c = db();
	PGresult *r = PQexec(c, "INSERT INTO audit_record (instance, jseq, source, src_seq, kind, "
				"event_ns, recv_ns, emit_ns, lat, payload, hash, crc) VALUES "
				"('tverify', 101, 2, 1, 1, 0, 0, 0, '', '', "
				"decode(repeat('00', 32), 'hex'), 0)");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	PQfinish(c);
	assert_int_equal(audit_verify(g_dir, pg_harness()->dsn, NULL, &res, &err), 1);
	assert_int_equal(res.pg_bad_jseq, 101);
	assert_non_null(strstr(res.pg_why, "holds record 101, which the journal does not have"));
}

static void test_shipper_refuses_to_ship_over_rows_the_journal_lacks(void **state)
{
	(void)state;
	/* PostgreSQL already holds 100 rows of this instance; this journal has 10 */
	journal("tahead", 1, 100);
	struct audit_pg *s = shipper("tahead", 1000);
	assert_int_equal(ship(s, 100, 100, 20000), 100);
	audit_pg_close(s);
	teardown(NULL);
	setup(NULL);
	journal("tahead", 1, 10);
	s = shipper("tahead", 1000);
	ship(s, 10, 0, 500);
	struct audit_pg_stats st;
	audit_pg_stats(s, &st);
	assert_true(st.hold);
	assert_int_equal(st.rows, 0);
	assert_non_null(strstr(st.last_error, "holds records up to 100"));
	audit_pg_close(s);
}

int main(void)
{
	pg_harness_require();
	rt_log_init("test", RT_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrations_create_the_schema_once_and_match_the_files),
		cmocka_unit_test_setup_teardown(test_audit_table_rejects_update_delete_and_truncate,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_shipper_sends_batches_and_resumes_without_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_postgresql_outage_grows_a_backlog_that_drains_exactly, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_verify_names_a_missing_and_an_extra_row, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_shipper_refuses_to_ship_over_rows_the_journal_lacks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, pg_harness_setup, pg_harness_teardown);
}
