/*
 * bench_audit.c — `alluse-bench audit`: the audit trail's throughput, with its
 * baseline measured in the same run on the same PostgreSQL server.
 *
 *   journal-append         records/s through the journal writer (framing, CRC32C,
 *                          SHA-256 chain, io_uring write + fdatasync group commit with
 *                          the defaults: 2 ms / 8192 records), 200-byte level records
 *                          (72-byte payload + 4 latency stamps), timed from the first
 *                          append until the last record is durable;
 *   journal-commit         latency of one group commit (write submitted to fdatasync
 *                          completed), per commit;
 *   journal-durable        latency of each record from append to durable;
 *   pg-ship                rows/s shipped by the audit process's shipper (binary COPY
 *                          batches of 10 000 rows, non-blocking libpq), from the first
 *                          connection attempt until PostgreSQL holds every record;
 *   pg-insert-per-row      the same records, one autocommit INSERT each (the naive
 *                          baseline), same server, same table, same run.
 * Checks: journal-append >= 1 M records/s; pg-ship >= 20 x pg-insert-per-row.
 *
 * PostgreSQL is a private server started like the tests start theirs
 * (workers/audit/audit_pgctl.h) but with its durability settings left at the
 * defaults (fsync on, synchronous_commit on): both PostgreSQL rows pay for real
 * commits. Everything blocks (no busy-spin): this is a throughput benchmark.
 */
#include "rt/rt_fs.h"
#include "bench/bench_report.h"

#include "rt/rt_clock.h"
#include "rt/rt_hist.h"
#include "rt/rt_log.h"
#include "shm/shm_audit.h"
#include "workers/audit/audit_journal.h"
#include "workers/audit/audit_pg.h"
#include "workers/audit/audit_pgctl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int bench_audit_run(const struct bench_opts *o);

static struct rt_hist *hist_new(void)
{
	struct rt_hist *h = aligned_alloc(64, sizeof(*h));
	if (h)
		rt_hist_init(h);
	return h;
}

/* n level records into a fresh journal in dir; returns records/s (0 on error). */
static double run_append(const char *dir, uint64_t n, struct rt_hist *commit,
			 struct rt_hist *durable, uint64_t *commits)
{
	struct audit_journal *j;
	struct rt_err err = {0};
	struct audit_journal_cfg c = {.dir = dir,
				      .instance = "bench",
				      .commit_ms = AUDIT_COMMIT_MS_DEFAULT,
				      .commit_records = AUDIT_COMMIT_RECORDS_DEFAULT,
				      .commit_hist = commit,
				      .record_hist = durable};
	if (audit_journal_open(&j, &c, NULL, &err) != 0) {
		fprintf(stderr, "alluse-bench audit: %s\n", err.msg);
		return 0;
	}
	struct shm_audit_level l;
	memset(&l, 0, sizeof(l));
	l.right = 'P';
	l.atr = 500000000;
	uint64_t lat[4] = {1, 2, 3, 4};
	uint64_t t0 = rt_clock_now_ns();
	for (uint64_t i = 1; i <= n; i++) {
		l.pos_id = (uint32_t)i;
		l.price = 61284000000 + (int64_t)(i & 1023);
		l.quote_seq = i;
		l.to = (uint8_t)(i & 3);
		uint64_t now = rt_clock_now_ns();
		struct audit_rec_in in = {.source = SHM_AUDIT_SRC_WORKER + (uint32_t)(i & 1),
					  .kind = SHM_AUDIT_LEVEL,
					  .src_seq = i,
					  .event_ns = 1700000000000000000ull + i * 1000,
					  .recv_ns = now,
					  .emit_ns = now,
					  .src_pos = i * 3,
					  .nlat = 4,
					  .lat = lat,
					  .plen = sizeof(l),
					  .payload = &l};
		int rc;
		while ((rc = audit_journal_append(j, &in, NULL)) == -ENOBUFS) {
			/* both buffers busy: wait for the commit in flight (blocking) */
			if (audit_journal_poll(j, rt_clock_now_ns(), &err) < 0)
				break;
			struct pollfd p = {.fd = audit_journal_fd(j), .events = POLLIN};
			poll(&p, 1, 5);
		}
		if (rc) {
			fprintf(stderr, "alluse-bench audit: append: %s\n",
				err.msg[0] ? err.msg : strerror(-rc));
			audit_journal_close(j);
			return 0;
		}
		if ((i & 255) == 0 && audit_journal_poll(j, rt_clock_now_ns(), &err) < 0)
			break;
	}
	if (audit_journal_flush(j, &err) != 0) {
		fprintf(stderr, "alluse-bench audit: %s\n", err.msg);
		audit_journal_close(j);
		return 0;
	}
	double secs = (double)(rt_clock_now_ns() - t0) / 1e9;
	struct audit_journal_stats st;
	audit_journal_stats(j, &st);
	*commits = st.commits;
	audit_journal_close(j);
	return (double)n / secs;
}

/* Ship the journal in dir to PostgreSQL; returns rows/s (0 on error). */
static double run_ship(const char *dir, const char *dsn, uint64_t n)
{
	struct audit_pg *s;
	struct rt_err err = {0};
	struct audit_pg_cfg c = {
		.dsn = dsn, .instance = "bench", .journal_dir = dir, .retry_min_ms = 10};
	if (audit_pg_open(&s, &c, &err) != 0)
		return 0;
	uint64_t t0 = rt_clock_now_ns(), end = t0 + 300ull * 1000000000ull;
	short rev = 0;
	struct audit_pg_stats st;
	for (;;) {
		uint64_t now = rt_clock_now_ns();
		audit_pg_step(s, now, n, rev);
		rev = 0;
		audit_pg_stats(s, &st);
		if (st.shipped_seq >= n || now > end)
			break;
		short ev = 0;
		int fd = audit_pg_fd(s, &ev);
		uint64_t dl = audit_pg_deadline(s, n);
		int ms = dl <= now                ? 0
			 : dl - now < 50000000ull ? (int)((dl - now) / 1000000ull) + 1
						  : 50;
		struct pollfd p = {.fd = fd, .events = ev};
		if (fd >= 0 && poll(&p, 1, ms) > 0)
			rev = p.revents;
		else if (fd < 0 && ms)
			rt_clock_sleep_ns((uint64_t)ms * 1000000ull);
	}
	double secs = (double)(rt_clock_now_ns() - t0) / 1e9;
	audit_pg_close(s);
	if (st.shipped_seq < n) {
		fprintf(stderr, "alluse-bench audit: pg-ship stopped at %llu of %llu: %s\n",
			(unsigned long long)st.shipped_seq, (unsigned long long)n, st.last_error);
		return 0;
	}
	return (double)n / secs;
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--)
		*p++ = (uint8_t)(v >> (8 * i));
}

/* The baseline: records from the same journal, one autocommit INSERT each, for at
 * most `max` rows or `secs_max` seconds. Returns rows/s; *rows how many. */
static double run_per_row(const char *dir, const char *dsn, uint64_t max, double secs_max,
			  uint64_t *rows)
{
	PGconn *c;
	struct rt_err err = {0};
	struct audit_jreader *r;
	*rows = 0;
	if (audit_pg_connect_sync(&c, dsn, &err) != 0 || audit_jreader_open(&r, dir, &err) != 0) {
		fprintf(stderr, "alluse-bench audit: %s\n", err.msg);
		return 0;
	}
	static const char SQL[] = "INSERT INTO audit_record (" AUDIT_PG_COPY_COLUMNS
				  ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
	static const Oid TYPES[12] = {25, 20, 23, 20, 21, 20, 20, 20, 17, 17, 17, 20};
	uint64_t t0 = rt_clock_now_ns();
	double secs = 0;
	struct audit_rec_view v;
	while (*rows < max && audit_jreader_next(r, &v, NULL, &err) == 1) {
		uint8_t jseq[8], src[4], sseq[8], kind[2], ev[8], rc_[8], em[8], crc[8];
		be64(jseq, v.h.jseq);
		src[0] = 0, src[1] = 0, src[2] = (uint8_t)(v.h.source >> 8),
		src[3] = (uint8_t)v.h.source;
		be64(sseq, v.h.src_seq);
		kind[0] = (uint8_t)(v.h.kind >> 8), kind[1] = (uint8_t)v.h.kind;
		be64(ev, v.h.event_ns);
		be64(rc_, v.h.recv_ns);
		be64(em, v.h.emit_ns);
		be64(crc, v.h.crc);
		const char *vals[12] = {"bench-row",
					(const char *)jseq,
					(const char *)src,
					(const char *)sseq,
					(const char *)kind,
					(const char *)ev,
					(const char *)rc_,
					(const char *)em,
					(const char *)v.lat,
					(const char *)v.payload,
					(const char *)v.h.hash,
					(const char *)crc};
		int lens[12] = {9, 8, 4, 8, 2, 8, 8, 8, 8 * v.h.nlat, v.h.plen, AUDIT_HASH_SIZE, 8};
		int fmts[12] = {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
		PGresult *res = PQexecParams(c, SQL, 12, TYPES, vals, lens, fmts, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "alluse-bench audit: INSERT: %s",
				PQresultErrorMessage(res));
			PQclear(res);
			break;
		}
		PQclear(res);
		(*rows)++;
		secs = (double)(rt_clock_now_ns() - t0) / 1e9;
		if (secs > secs_max)
			break;
	}
	audit_jreader_close(r);
	PQfinish(c);
	return secs > 0 && *rows ? (double)*rows / secs : 0;
}

int bench_audit_run(const struct bench_opts *o)
{
	rt_log_init("bench", RT_LOG_WARN);
	uint64_t n_append = o->quick ? 300000 : 3000000;
	uint64_t n_ship = o->quick ? 30000 : 200000;
	char dir[64];
	snprintf(dir, sizeof(dir), "/tmp/alluse-bench-audit.XXXXXX");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "alluse-bench audit: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	char jdir[96], sdir[96];
	snprintf(jdir, sizeof(jdir), "%s/append", dir);
	snprintf(sdir, sizeof(sdir), "%s/ship", dir);
	static struct bench_report rep;
	bench_report_init(&rep, "audit", NULL, o->cpus, "block");
	struct rt_hist *commit = hist_new(), *durable = hist_new();
	int rc = 1;
	struct audit_pgctl pg = {0};
	if (!commit || !durable)
		goto out;

	/* warm-up, then the measured run */
	uint64_t commits = 0;
	char wdir[96];
	snprintf(wdir, sizeof(wdir), "%s/warm", dir);
	if (run_append(wdir, n_append / 10, NULL, NULL, &commits) <= 0)
		goto out;
	double per_s = run_append(jdir, n_append, commit, durable, &commits);
	if (per_s <= 0)
		goto out;
	struct bench_row *ja = bench_report_add_rate(&rep, "journal-append", n_append,
						     (double)n_append / per_s, NULL);
	if (ja)
		ja->note =
			"framing + CRC32C + SHA-256 chain + io_uring write/fdatasync, group commit";
	struct bench_row *jc = bench_report_add_latency(&rep, "journal-commit", commit);
	if (jc)
		jc->note = "one group commit: write submitted -> fdatasync done";
	struct bench_row *jd = bench_report_add_latency(&rep, "journal-durable", durable);
	if (jd)
		jd->note = "each record: appended -> durable";
	bench_report_check(&rep, "journal-append >= 1 M records/s", per_s, 1e6, 1, 0, ja, NULL);

	/* PostgreSQL: a private server with default durability */
	char why[256];
	struct rt_err err = {0};
	if (audit_pgctl_available(why, sizeof(why)) != 0) {
		fprintf(stderr, "alluse-bench audit: PostgreSQL rows skipped: %s\n", why);
	} else if (audit_pgctl_start(&pg, NULL, &err) != 0) {
		fprintf(stderr, "alluse-bench audit: %s\n", err.msg);
		goto out;
	} else {
		PGconn *c;
		if (audit_pg_connect_sync(&c, pg.dsn, &err) != 0 ||
		    audit_pg_migrate_sync(c, &err) != 0) {
			fprintf(stderr, "alluse-bench audit: %s\n", err.msg);
			goto out;
		}
		PQfinish(c);
		uint64_t dummy;
		if (run_append(sdir, n_ship, NULL, NULL, &dummy) <= 0)
			goto out;
		double ship = run_ship(sdir, pg.dsn, n_ship);
		uint64_t rows = 0;
		double row = run_per_row(sdir, pg.dsn, n_ship, o->quick ? 2.0 : 8.0, &rows);
		if (ship <= 0 || row <= 0)
			goto out;
		struct bench_row *ps = bench_report_add_rate(
			&rep, "pg-ship", n_ship, (double)n_ship / ship, "pg-insert-per-row");
		if (ps)
			ps->note = "binary COPY batches of 10 000 rows, non-blocking libpq";
		struct bench_row *pr = bench_report_add_rate(&rep, "pg-insert-per-row", rows,
							     (double)rows / row, NULL);
		if (pr)
			pr->note = "one autocommit INSERT per record (baseline)";
		bench_report_check(&rep, "pg-ship >= 20x pg-insert-per-row", ship / row, 20.0, 1, 0,
				   ps, pr);
	}
	printf("audit: %llu records appended in %llu group commits; PostgreSQL 15 private server, "
	       "fsync on\n",
	       (unsigned long long)n_append, (unsigned long long)commits);
	bench_report_print(&rep, stdout);
	rc = 0;
	if (o->json_path && bench_report_write_json(&rep, o->json_path, &err) != 0) {
		fprintf(stderr, "alluse-bench audit: %s\n", err.msg);
		rc = 1;
	}
out:
	audit_pgctl_destroy(&pg);
	free(commit);
	free(durable);
	rt_rmtree(dir);
	return rc;
}
