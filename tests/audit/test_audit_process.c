/* The audit process for real (build/bin/alluse-audit run) over a real segment, with
 * producer processes emitting into their audit rings and a real PostgreSQL:
 *   - kill -9 of the audit process at random moments, 20 times, during a long run:
 *     every source's records are in the journal exactly once and in order, the
 *     chain is intact, and PostgreSQL holds exactly the journal's records;
 *   - PostgreSQL stopped mid-run: the backlog shows in the segment's counters, then
 *     drains when the server returns, and the counts match exactly;
 *   - an fdatasync failure (ALLUSE_AUDIT_FAIL_FSYNC) stops the process with exit 3
 *     and a clear message; the next process journals what was not durable, once.
 * Nothing here busy-spins: producers sleep between bursts and back off when full.
 * Skips (77) when PostgreSQL is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_fs.h"
#include "rt/rt_clock.h"
#include "shm/shm_audit.h"
#include "shm/shm_counters.h"
#include "shm/shm_segment.h"
#include "tests/support/pg_harness.h"
#include "tests/support/test_util.h"
#include "workers/audit/audit_journal.h"
#include "workers/audit/audit_pg.h"
#include "workers/audit/audit_verify.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NPROD 3
static const char *const OWNERS[NPROD] = {"feeder", "worker.0", "rules"};

static char g_dir[64];
static char g_log[96];
static const char *g_inst;
static struct shm_segment g_seg;
static volatile uint32_t *g_stop; /* shared with the producers */

static int setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof(g_dir), "/tmp/alluse-tap.XXXXXX");
	if (!mkdtemp(g_dir))
		return -1;
	snprintf(g_log, sizeof(g_log), "%s.log", g_dir);
	g_inst = test_instance_name("audp");
	struct shm_plan plan = {0};
	for (int i = 0; i < NPROD; i++) {
		char name[32];
		snprintf(name, sizeof(name), "audit.%s", OWNERS[i]);
		if (shm_plan_add(&plan, SHM_KIND_RING, SHM_ROLE_AUDIT, (uint32_t)i, name, 4096,
				 NULL))
			return -1;
	}
	if (shm_plan_add(&plan, SHM_KIND_COUNTERS, 0, 0, "audit", 64, NULL))
		return -1;
	struct shm_create_opts o = {.mode = 0600};
	struct rt_err err = {0};
	if (shm_segment_create(&g_seg, g_inst, &plan, &o, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	shm_segment_publish(&g_seg);
	g_stop = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*g_stop = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	shm_segment_detach(&g_seg);
	shm_segment_unlink(g_inst, NULL);
	rt_rmtree(g_dir);
	if (!getenv("KEEP_LOG"))
		unlink(g_log);
	munmap((void *)g_stop, 4096);
	return 0;
}

/* A producer process: bursts of `burst` records every ms, varied kinds and sizes;
 * a full ring (the audit process is dead) is a refusal: back off and retry. */
static pid_t spawn_producer(int idx, int burst)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct shm_segment s;
	struct shm_audit_producer p;
	if (shm_segment_attach(&s, g_inst, 2000, NULL) ||
	    shm_audit_producer_attach(&p, &s, OWNERS[idx], NULL, NULL))
		_exit(2);
	uint8_t pl[SHM_AUDIT_PAYLOAD_MAX];
	while (!__atomic_load_n(g_stop, __ATOMIC_ACQUIRE)) {
		for (int k = 0; k < burst; k++) {
			uint64_t seq = p.seq + 1;
			uint32_t len = (uint32_t)((seq * 37u + (uint64_t)idx) % 300u);
			for (uint32_t i = 0; i < len; i++)
				pl[i] = (uint8_t)(seq + i);
			uint64_t lat[3] = {seq, seq + 1, seq + 2};
			int rc = shm_audit_emit_lat(&p, 1 + (uint32_t)(seq % SHM_AUDIT_KIND_MAX),
						    1700000000000000000ull + seq, pl, len, lat,
						    (uint32_t)(seq % 4));
			if (rc == -EAGAIN) {
				rt_clock_sleep_ns(1000000);
				break;
			}
			if (rc)
				_exit(3);
		}
		rt_clock_sleep_ns(1000000);
	}
	_exit(0);
}

static pid_t spawn_audit(const char *pg_dsn, const char *env_fail)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int fd = open(g_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (env_fail)
		setenv("ALLUSE_AUDIT_FAIL_FSYNC", env_fail, 1);
	else
		unsetenv("ALLUSE_AUDIT_FAIL_FSYNC");
	const char *argv[] = {test_bin("alluse-audit"),
			      "run",
			      "-n",
			      g_inst,
			      "--journal",
			      g_dir,
			      "--commit-ms",
			      "2",
			      "--pg-retry-max-ms",
			      "300",
			      "--drain-ms",
			      "5000",
			      pg_dsn ? "--pg" : NULL,
			      pg_dsn,
			      NULL};
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

static int wait_exit(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static uint64_t counter(const char *label)
{
	const struct shm_dir_entry *e =
		shm_segment_find_kind_name(&g_seg, SHM_KIND_COUNTERS, "audit");
	assert_non_null(e);
	struct shm_counters cs;
	shm_counters_attach(&cs, shm_segment_region(&g_seg, e));
	for (uint32_t i = 0; i < shm_counters_count(&cs); i++) {
		const struct shm_counter *c = shm_counters_at(&cs, i);
		if (!strcmp(c->label, label))
			return rt_load_rlx_u64(&c->value);
	}
	return 0;
}

/* How many records each producer emitted: a fresh producer handle recovers it. */
static void emitted(uint64_t out[NPROD])
{
	for (int i = 0; i < NPROD; i++) {
		struct shm_audit_producer p;
		assert_int_equal(shm_audit_producer_attach(&p, &g_seg, OWNERS[i], NULL, NULL), 0);
		out[i] = p.seq;
	}
}

/* Wait (sleeping) until the audit process has journaled every ring's records
 * durably and shipped them (when pg). */
static void wait_caught_up(int pg, unsigned timeout_ms)
{
	uint64_t end = rt_clock_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		int drained = 1;
		for (int i = 0; i < NPROD; i++) {
			char name[32];
			snprintf(name, sizeof(name), "audit.%s", OWNERS[i]);
			const struct shm_dir_entry *e =
				shm_segment_find_kind_name(&g_seg, SHM_KIND_RING, name);
			struct shm_ring_stats st;
			shm_ring_stats_read(shm_segment_region(&g_seg, e), &st);
			if (st.read_pos != st.write_pos)
				drained = 0;
		}
		uint64_t d = counter("journal.durable_seq");
		if (drained && d == counter("journal.appended_seq") &&
		    (!pg || (counter("pg.shipped_seq") == d && counter("pg.connected"))))
			return;
		if (rt_clock_now_ns() > end) {
			fprintf(stderr, "not caught up: durable %llu appended %llu shipped %llu\n",
				(unsigned long long)d,
				(unsigned long long)counter("journal.appended_seq"),
				(unsigned long long)counter("pg.shipped_seq"));
			fail();
		}
		rt_clock_sleep_ns(20000000);
	}
}

/* Every producer's records in the journal: 1..n exactly once, in order. Returns
 * the number of journal records. */
static uint64_t check_journal(const uint64_t n[NPROD], uint64_t *own)
{
	struct audit_jreader *r;
	struct rt_err err = {0};
	assert_int_equal(audit_jreader_open(&r, g_dir, &err), 0);
	uint64_t last[NPROD] = {0}, total = 0;
	*own = 0;
	struct audit_rec_view v;
	int rc;
	while ((rc = audit_jreader_next(r, &v, NULL, &err)) == 1) {
		total++;
		if (v.h.source == SHM_AUDIT_SRC_AUDIT) {
			(*own)++;
			continue;
		}
		int idx = -1;
		for (int i = 0; i < NPROD; i++)
			if ((int)v.h.source == shm_audit_source_id(OWNERS[i]))
				idx = i;
		assert_true(idx >= 0);
		if (v.h.src_seq != last[idx] + 1)
			fprintf(stderr, "%s: seq %llu after %llu (jseq %llu)\n", OWNERS[idx],
				(unsigned long long)v.h.src_seq, (unsigned long long)last[idx],
				(unsigned long long)v.h.jseq);
		assert_int_equal(v.h.src_seq, last[idx] + 1);
		/* the payload is what the producer made for that sequence */
		uint32_t len = (uint32_t)((v.h.src_seq * 37u + (uint64_t)idx) % 300u);
		assert_int_equal(v.h.plen, len);
		for (uint32_t i = 0; i < len; i++)
			assert_int_equal(v.payload[i], (uint8_t)(v.h.src_seq + i));
		assert_int_equal(v.h.nlat, v.h.src_seq % 4);
		last[idx] = v.h.src_seq;
	}
	if (rc < 0)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
	audit_jreader_close(r);
	for (int i = 0; i < NPROD; i++)
		assert_int_equal(last[i], n[i]);
	return total;
}

static void check_pg_matches(uint64_t total)
{
	struct audit_verify_result res;
	struct rt_err err = {0};
	char out[4096];
	FILE *f = fmemopen(out, sizeof(out), "w");
	int rc = audit_verify(g_dir, pg_harness()->dsn, f, &res, &err);
	fclose(f);
	if (rc)
		fprintf(stderr, "verify: %d %s\n%s", rc, err.msg, out);
	assert_int_equal(rc, 0);
	assert_true(res.journal_ok);
	assert_int_equal(res.records, total);
	assert_true(res.pg_ok);
	assert_int_equal(res.pg_rows, total);
}

static void stop_producers(pid_t prod[NPROD])
{
	__atomic_store_n(g_stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < NPROD; i++)
		assert_int_equal(wait_exit(prod[i]), 0);
	__atomic_store_n(g_stop, 0, __ATOMIC_RELEASE);
}

static void test_kill_9_of_the_audit_process_loses_and_duplicates_nothing(void **state)
{
	(void)state;
	pid_t prod[NPROD];
	for (int i = 0; i < NPROD; i++)
		prod[i] = spawn_producer(i, 10);
	srand((unsigned)getpid());
	int kills = 0;
	pid_t a = spawn_audit(pg_harness()->dsn, NULL);
	for (int round = 0; round < 20; round++) {
		rt_clock_sleep_ns((uint64_t)(80 + rand() % 500) * 1000000ull);
		if (round == 9) {
			/* a producer dies too, and comes back: its sequence carries on */
			kill(prod[1], SIGKILL);
			wait_exit(prod[1]);
			prod[1] = spawn_producer(1, 10);
		}
		assert_int_equal(kill(a, SIGKILL), 0);
		assert_int_equal(wait_exit(a), 128 + SIGKILL);
		kills++;
		a = spawn_audit(pg_harness()->dsn, NULL);
	}
	stop_producers(prod);
	wait_caught_up(1, 40000);
	assert_int_equal(kill(a, SIGTERM), 0);
	assert_int_equal(wait_exit(a), 0);
	uint64_t n[NPROD], own;
	emitted(n);
	uint64_t total = check_journal(n, &own);
	printf("# %d kills: %llu+%llu+%llu records from the producers, %llu own records "
	       "(repairs), %llu in the journal\n",
	       kills, (unsigned long long)n[0], (unsigned long long)n[1], (unsigned long long)n[2],
	       (unsigned long long)own, (unsigned long long)total);
	assert_true(n[0] > 1000 && n[1] > 1000 && n[2] > 1000);
	check_pg_matches(total);
	/* a kill may land before a slow start (sanitizers) got as far as counting */
	uint64_t starts = counter("audit.starts");
	assert_true(starts >= 2 && starts <= 21);
}

static void test_postgresql_outage_shows_a_backlog_that_drains(void **state)
{
	(void)state;
	struct rt_err err = {0};
	pid_t prod[NPROD];
	for (int i = 0; i < NPROD; i++)
		prod[i] = spawn_producer(i, 5);
	pid_t a = spawn_audit(pg_harness()->dsn, NULL);
	rt_clock_sleep_ns(700000000);
	assert_true(counter("pg.connected") == 1);
	assert_int_equal(audit_pgctl_stop(pg_harness(), &err), 0);
	rt_clock_sleep_ns(1500000000);
	/* the journal keeps growing; the backlog is visible in the segment's counters */
	uint64_t b1 = counter("pg.backlog");
	rt_clock_sleep_ns(300000000);
	uint64_t b2 = counter("pg.backlog");
	assert_int_equal(counter("pg.connected"), 0);
	assert_true(b1 > 0 && b2 > b1);
	assert_true(counter("pg.errors") >= 1);
	assert_true(counter("journal.durable_seq") > counter("pg.shipped_seq"));
	assert_int_equal(audit_pgctl_restart(pg_harness(), &err), 0);
	stop_producers(prod);
	wait_caught_up(1, 30000);
	assert_int_equal(counter("pg.backlog"), 0);
	assert_int_equal(kill(a, SIGTERM), 0);
	assert_int_equal(wait_exit(a), 0);
	uint64_t n[NPROD], own;
	emitted(n);
	uint64_t total = check_journal(n, &own);
	check_pg_matches(total);
	printf("# backlog grew %llu -> %llu while postgresql was down; %llu records, all shipped\n",
	       (unsigned long long)b1, (unsigned long long)b2, (unsigned long long)total);
}

static void test_fsync_failure_stops_the_process_and_nothing_is_lost(void **state)
{
	(void)state;
	pid_t prod[NPROD];
	for (int i = 0; i < NPROD; i++)
		prod[i] = spawn_producer(i, 5);
	pid_t a = spawn_audit(NULL, "40");
	int rc = wait_exit(a);
	assert_int_equal(rc, 3);
	assert_int_equal(counter("journal.failed"), 1);
	uint64_t durable = counter("journal.durable_seq");
	assert_true(durable > 0);
	/* the message says what happened */
	FILE *f = fopen(g_log, "r");
	assert_non_null(f);
	static char log[1 << 16];
	size_t len = fread(log, 1, sizeof(log) - 1, f);
	fclose(f);
	log[len] = '\0';
	assert_non_null(strstr(log, "fdatasync of"));
	assert_non_null(strstr(log, "can no longer be trusted"));
	assert_non_null(strstr(log, "stops"));
	/* the next audit process picks up every record still in the rings */
	a = spawn_audit(NULL, NULL);
	rt_clock_sleep_ns(300000000);
	stop_producers(prod);
	wait_caught_up(0, 20000);
	assert_int_equal(kill(a, SIGTERM), 0);
	assert_int_equal(wait_exit(a), 0);
	uint64_t n[NPROD], own;
	emitted(n);
	uint64_t total = check_journal(n, &own);
	assert_true(total > durable);
	struct audit_verify_result res;
	struct rt_err err = {0};
	assert_int_equal(audit_verify(g_dir, NULL, NULL, &res, &err), 0);
}

int main(void)
{
	pg_harness_require();
	if (access(test_bin("alluse-audit"), X_OK) != 0) {
		printf("skip: %s is not built\n", test_bin("alluse-audit"));
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_kill_9_of_the_audit_process_loses_and_duplicates_nothing, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_postgresql_outage_shows_a_backlog_that_drains,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fsync_failure_stops_the_process_and_nothing_is_lost, setup, teardown),
	};
	return cmocka_run_group_tests(tests, pg_harness_setup, pg_harness_teardown);
}
