/* The audit process's core in-process (workers/audit/audit_proc.h) over a real
 * segment: records flow from the rings to the journal in order, a ring's read
 * position moves only once its records are durable, a restart after a crash that
 * came between the journal write and the publication skips what the journal holds,
 * refusals of a full ring and garbage in a ring become the audit process's own
 * fault records (once), and the counters land in the segment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_fs.h"
#include "rt/rt_clock.h"
#include "rt/rt_log.h"
#include "shm/shm_audit.h"
#include "shm/shm_counters.h"
#include "tests/support/test_util.h"
#include "workers/audit/audit_proc.h"
#include "workers/audit/audit_verify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[64];
static const char *g_inst;
static struct shm_segment g_seg;

static int make(int with_counters)
{
	snprintf(g_dir, sizeof(g_dir), "/tmp/alluse-tapr.XXXXXX");
	if (!mkdtemp(g_dir))
		return -1;
	g_inst = test_instance_name("aproc");
	struct shm_plan plan = {0};
	if (shm_plan_add(&plan, SHM_KIND_RING, SHM_ROLE_AUDIT, 0, "audit.feeder", 256, NULL) ||
	    shm_plan_add(&plan, SHM_KIND_RING, SHM_ROLE_AUDIT, 1, "audit.worker.0", 256, NULL) ||
	    shm_plan_add(&plan, SHM_KIND_RING, SHM_ROLE_QUOTES, 0, "quotes.0", 64, NULL))
		return -1;
	if (with_counters && shm_plan_add(&plan, SHM_KIND_COUNTERS, 0, 0, "audit", 128, NULL))
		return -1;
	struct shm_create_opts o = {.mode = 0600};
	if (shm_segment_create(&g_seg, g_inst, &plan, &o, NULL))
		return -1;
	shm_segment_publish(&g_seg);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return make(1);
}

static int setup_nocounters(void **state)
{
	(void)state;
	return make(0);
}

static int teardown(void **state)
{
	(void)state;
	shm_segment_detach(&g_seg);
	shm_segment_unlink(g_inst, NULL);
	rt_rmtree(g_dir);
	return 0;
}

static struct audit_proc *open_proc(uint32_t commit_ms)
{
	struct audit_cfg c;
	audit_cfg_defaults(&c, g_inst);
	snprintf(c.journal_dir, sizeof(c.journal_dir), "%s", g_dir);
	c.commit_ms = commit_ms;
	struct audit_proc *p;
	struct rt_err err = {0};
	int rc = audit_proc_open(&p, &g_seg, &c, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
	return p;
}

static struct shm_ring_hdr *ring(const char *name)
{
	const struct shm_dir_entry *e = shm_segment_find_kind_name(&g_seg, SHM_KIND_RING, name);
	assert_non_null(e);
	return shm_segment_region(&g_seg, e);
}

static uint64_t counter(const char *label)
{
	const struct shm_dir_entry *e =
		shm_segment_find_kind_name(&g_seg, SHM_KIND_COUNTERS, "audit");
	assert_non_null(e);
	struct shm_counters cs;
	shm_counters_attach(&cs, shm_segment_region(&g_seg, e));
	for (uint32_t i = 0; i < shm_counters_count(&cs); i++)
		if (!strcmp(shm_counters_at(&cs, i)->label, label))
			return shm_counters_at(&cs, i)->value;
	return UINT64_MAX;
}

/* do_work + idle until every ring is drained and everything is durable */
static void run_until_idle(struct audit_proc *p)
{
	struct rt_err err = {0};
	uint64_t end = rt_clock_now_ns() + 10000000000ull;
	for (;;) {
		int w = audit_proc_do_work(p, &err);
		assert_true(w >= 0);
		struct audit_proc_stats st;
		audit_proc_stats(p, &st);
		struct shm_ring_hdr *a = ring("audit.feeder"), *b = ring("audit.worker.0");
		if (w == 0 && st.durable_seq == st.appended_seq && a->read_pos == a->write_pos &&
		    b->read_pos == b->write_pos)
			return;
		assert_true(rt_clock_now_ns() < end);
		audit_proc_idle(p, w);
	}
}

static void emit(const char *owner, uint64_t n)
{
	struct shm_audit_producer pr;
	assert_int_equal(shm_audit_producer_attach(&pr, &g_seg, owner, NULL, NULL), 0);
	for (uint64_t i = 0; i < n; i++) {
		char text[64];
		snprintf(text, sizeof(text), "%s command %llu", owner,
			 (unsigned long long)(pr.seq + 1));
		assert_int_equal(shm_audit_emit_text(&pr, SHM_AUDIT_COMMAND, 1000 + i, text), 0);
	}
}

/* per source: 1..n once, in order; counts own records of each fault code */
static uint64_t check(uint64_t nfeeder, uint64_t nworker, uint64_t own[8])
{
	struct audit_jreader *r;
	struct rt_err err = {0};
	assert_int_equal(audit_jreader_open(&r, g_dir, &err), 0);
	uint64_t lf = 0, lw = 0, total = 0;
	memset(own, 0, 8 * sizeof(uint64_t));
	struct audit_rec_view v;
	while (audit_jreader_next(r, &v, NULL, &err) == 1) {
		total++;
		if (v.h.source == SHM_AUDIT_SRC_AUDIT) {
			struct shm_audit_fault f;
			memcpy(&f, v.payload, sizeof(f));
			own[f.code & 7]++;
		} else if (v.h.source == SHM_AUDIT_SRC_FEEDER) {
			assert_int_equal(v.h.src_seq, ++lf);
		} else {
			assert_int_equal(v.h.source, SHM_AUDIT_SRC_WORKER);
			assert_int_equal(v.h.src_seq, ++lw);
		}
	}
	audit_jreader_close(r);
	assert_int_equal(lf, nfeeder);
	assert_int_equal(lw, nworker);
	struct audit_verify_result res;
	assert_int_equal(audit_verify(g_dir, NULL, NULL, &res, &err), 0);
	return total;
}

static void test_records_flow_in_order_and_counters_show_it(void **state)
{
	(void)state;
	struct audit_proc *p = open_proc(1);
	for (int round = 0; round < 10; round++) {
		emit("feeder", 100);
		emit("worker.0", 50);
		run_until_idle(p);
	}
	uint64_t own[8];
	assert_int_equal(check(1000, 500, own), 1500);
	assert_int_equal(counter("journal.durable_seq"), 1500);
	assert_int_equal(counter("journal.appended_seq"), 1500);
	assert_int_equal(counter("rings.records"), 1500);
	assert_int_equal(counter("rings.count"), 2);
	assert_int_equal(counter("audit.starts"), 1);
	assert_true(counter("journal.commits") >= 10);
	audit_proc_close(p);
}

static void test_read_position_moves_only_when_durable(void **state)
{
	(void)state;
	struct audit_proc *p = open_proc(400); /* a long group-commit delay */
	emit("feeder", 20);
	struct rt_err err = {0};
	assert_true(audit_proc_do_work(p, &err) > 0);
	struct audit_proc_stats st;
	audit_proc_stats(p, &st);
	assert_int_equal(st.appended_seq, 20);
	assert_int_equal(st.durable_seq, 0);
	struct shm_ring_hdr *h = ring("audit.feeder");
	assert_int_equal(h->read_pos, 0); /* taken, not yet durable: the slots stay ours */
	run_until_idle(p);
	assert_int_equal(h->read_pos, h->write_pos);
	audit_proc_close(p);
}

static void test_restart_skips_records_journaled_but_not_published(void **state)
{
	(void)state;
	struct audit_proc *p = open_proc(1);
	emit("feeder", 30);
	emit("worker.0", 10);
	run_until_idle(p);
	audit_proc_close(p);
	/* as if the process had died after its commit but before publishing it: the
	 * rings still offer every record, the counter says nothing is durable */
	const struct shm_dir_entry *e =
		shm_segment_find_kind_name(&g_seg, SHM_KIND_COUNTERS, "audit");
	struct shm_counters cs;
	shm_counters_attach(&cs, shm_segment_region(&g_seg, e));
	*shm_counters_get_or_add(&cs, "journal.durable_seq") = 0;
	ring("audit.feeder")->read_pos = 0;
	ring("audit.worker.0")->read_pos = 0;
	p = open_proc(1);
	emit("feeder", 5);
	run_until_idle(p);
	audit_proc_close(p);
	uint64_t own[8];
	assert_int_equal(check(35, 10, own), 45);
	assert_int_equal(counter("audit.starts"), 2);
}

static void test_full_ring_refusals_are_journaled_once(void **state)
{
	(void)state;
	struct audit_proc *p = open_proc(1);
	emit("feeder", 3);
	run_until_idle(p);
	audit_proc_close(p);
	/* no audit process: the ring fills and refuses */
	struct shm_audit_producer pr;
	assert_int_equal(shm_audit_producer_attach(&pr, &g_seg, "feeder", NULL, NULL), 0);
	int ok = 0, refused = 0;
	for (int i = 0; i < 300; i++) {
		if (shm_audit_emit_text(&pr, SHM_AUDIT_COMMAND, 1, "x") == 0)
			ok++;
		else
			refused++;
	}
	assert_int_equal(ok, 256);
	assert_int_equal(refused, 44);
	p = open_proc(1);
	run_until_idle(p);
	rt_clock_sleep_ns(120000000); /* the full check runs every 100 ms */
	run_until_idle(p);
	audit_proc_close(p);
	uint64_t own[8];
	check(259, 0, own);
	assert_int_equal(own[AUDIT_FAULT_RING_FULL], 1);
	assert_int_equal(counter("rings.full"), 44);
	/* the next process does not report it again */
	p = open_proc(1);
	rt_clock_sleep_ns(120000000);
	run_until_idle(p);
	audit_proc_close(p);
	check(259, 0, own);
	assert_int_equal(own[AUDIT_FAULT_RING_FULL], 1);
}

static void test_garbage_in_a_ring_becomes_a_fault_record_and_the_rest_flows(void **state)
{
	(void)state;
	struct shm_audit_producer pr;
	assert_int_equal(shm_audit_producer_attach(&pr, &g_seg, "worker.0", NULL, NULL), 0);
	assert_int_equal(shm_audit_emit_text(&pr, SHM_AUDIT_COMMAND, 1, "one"), 0);
	assert_int_equal(shm_audit_emit_text(&pr, SHM_AUDIT_COMMAND, 1, "two"), 0);
	/* a buggy producer publishes a run of 3 garbage slots */
	struct shm_ring_hdr *h = ring("audit.worker.0");
	uint8_t *slots = (uint8_t *)h + SHM_RING_HDR_SIZE;
	uint64_t w = h->write_pos;
	memset(slots + w * 64, 0xee, 3 * 64);
	h->write_pos = w + 3;
	pr.ring.pos = w + 3;
	assert_int_equal(shm_audit_emit_text(&pr, SHM_AUDIT_COMMAND, 1, "three"), 0);
	assert_int_equal(shm_audit_emit_text(&pr, SHM_AUDIT_COMMAND, 1, "four"), 0);
	struct audit_proc *p = open_proc(1);
	run_until_idle(p);
	audit_proc_close(p);
	uint64_t own[8];
	/* the sequence after the garbage goes on from 3: the producer never lost track */
	check(0, 4, own);
	assert_int_equal(own[AUDIT_FAULT_RING_BAD], 1);
	assert_int_equal(counter("rings.bad"), 3);
}

static void test_works_without_a_counters_region(void **state)
{
	(void)state;
	struct audit_proc *p = open_proc(1);
	emit("feeder", 10);
	run_until_idle(p);
	audit_proc_close(p);
	uint64_t own[8];
	assert_int_equal(check(10, 0, own), 10);
}

int main(void)
{
	rt_log_init("test", RT_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_records_flow_in_order_and_counters_show_it,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_position_moves_only_when_durable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_restart_skips_records_journaled_but_not_published, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_ring_refusals_are_journaled_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_garbage_in_a_ring_becomes_a_fault_record_and_the_rest_flows, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_works_without_a_counters_region,
						setup_nocounters, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
