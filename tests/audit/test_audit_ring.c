/* Audit records on an audit ring (shm/shm_audit.h): framing into 64-byte slots,
 * all-or-nothing pushes, a full ring is a counted refusal (never a partial or
 * silent drop), sequence recovery after a producer restart, the consumer's
 * validation and its commit-after-durable read position; plus a threaded validator
 * (producer and consumer threads: ThreadSanitizer sees the ring's ordering). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "shm/shm_audit.h"
#include "shm/shm_segment.h"
#include "tests/support/test_util.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *make_ring(uint64_t cap)
{
	uint64_t size = shm_ring_region_size(cap);
	uint8_t *r = aligned_alloc(128, size);
	assert_non_null(r);
	assert_int_equal(shm_ring_init(r, size, cap, NULL), 0);
	return r;
}

static void fill(uint8_t *p, uint32_t n, uint32_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31u + i * 7u + 1u);
}

static void test_source_names_round_trip(void **state)
{
	(void)state;
	char b[32];
	assert_int_equal(shm_audit_source_id("supervisor"), SHM_AUDIT_SRC_SUPERVISOR);
	assert_int_equal(shm_audit_source_id("feeder"), SHM_AUDIT_SRC_FEEDER);
	assert_int_equal(shm_audit_source_id("worker.0"), SHM_AUDIT_SRC_WORKER);
	assert_int_equal(shm_audit_source_id("worker.17"), SHM_AUDIT_SRC_WORKER + 17);
	assert_int_equal(shm_audit_source_id("worker.256"), -EINVAL);
	assert_int_equal(shm_audit_source_id("worker.01"), -EINVAL);
	assert_int_equal(shm_audit_source_id("worker."), -EINVAL);
	assert_int_equal(shm_audit_source_id("nobody"), -EINVAL);
	assert_string_equal(shm_audit_source_name(SHM_AUDIT_SRC_WORKER + 3, b, sizeof(b)),
			    "worker.3");
	assert_string_equal(shm_audit_source_name(SHM_AUDIT_SRC_ROUTER, b, sizeof(b)), "router");
	assert_string_equal(shm_audit_source_name(77, b, sizeof(b)), "src.77");
	for (uint32_t k = 1; k <= SHM_AUDIT_KIND_MAX; k++)
		assert_int_equal(shm_audit_kind_parse(shm_audit_kind_name(k)), k);
	assert_null(shm_audit_kind_name(0));
	assert_int_equal(shm_audit_kind_parse("bogus"), 0);
}

static void test_emit_frames_every_size_and_the_consumer_gets_it_back_exactly(void **state)
{
	(void)state;
	uint8_t *region = make_ring(1024);
	struct shm_audit_producer p;
	struct shm_audit_consumer c;
	shm_audit_producer_attach_region(&p, region, SHM_AUDIT_SRC_FEEDER, NULL);
	shm_audit_consumer_attach(&c, region, SHM_AUDIT_SRC_FEEDER);
	static struct shm_audit_msg m;
	uint8_t payload[SHM_AUDIT_PAYLOAD_MAX];
	uint64_t seq = 0;
	for (uint32_t nlat = 0; nlat <= SHM_AUDIT_LAT_MAX; nlat++) {
		for (uint32_t len = 0; len <= SHM_AUDIT_PAYLOAD_MAX; len += (len < 100 ? 1 : 61)) {
			uint64_t lat[4] = {11, 22, 33, 44};
			fill(payload, len, len);
			uint64_t before = rt_load_acq_u64(&c.ring.hdr->write_pos);
			assert_int_equal(shm_audit_emit_lat(&p, SHM_AUDIT_FILL, 1000 + len, payload,
							    len, lat, nlat),
					 0);
			uint32_t body = nlat * 8 + len;
			uint32_t slots = body <= 32 ? 1 : 1 + (body - 32 + 55) / 56;
			assert_int_equal(rt_load_acq_u64(&c.ring.hdr->write_pos) - before, slots);
			struct rt_err err = {0};
			assert_int_equal(shm_audit_consumer_next(&c, &m, &err), 0);
			assert_int_equal(m.src_seq, ++seq);
			assert_int_equal(m.kind, SHM_AUDIT_FILL);
			assert_int_equal(m.event_ns, 1000 + len);
			assert_int_equal(m.len, len);
			assert_int_equal(m.nlat, nlat);
			assert_int_equal(m.nslots, slots);
			assert_int_equal(m.pos_end, before + slots);
			assert_memory_equal(m.lat, lat, nlat * 8);
			if (len)
				assert_memory_equal(m.payload, payload, len);
			assert_true(m.emit_ns > 0);
			shm_audit_consumer_commit(&c, m.pos_end);
		}
	}
	struct rt_err err = {0};
	assert_int_equal(shm_audit_consumer_next(&c, &m, &err), -EAGAIN);
	free(region);
}

static void test_emit_refuses_bad_kind_and_oversize_without_writing(void **state)
{
	(void)state;
	uint8_t *region = make_ring(64);
	struct shm_audit_producer p;
	shm_audit_producer_attach_region(&p, region, SHM_AUDIT_SRC_RULES, NULL);
	uint8_t big[SHM_AUDIT_PAYLOAD_MAX + 1] = {0};
	uint64_t lat[5] = {0};
	assert_int_equal(shm_audit_emit(&p, 0, 1, big, 8), -EINVAL);
	assert_int_equal(shm_audit_emit(&p, SHM_AUDIT_KIND_MAX + 1, 1, big, 8), -EINVAL);
	assert_int_equal(shm_audit_emit(&p, SHM_AUDIT_STATE, 1, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(shm_audit_emit_lat(&p, SHM_AUDIT_STATE, 1, big, 8, lat, 5), -EMSGSIZE);
	assert_int_equal(p.seq, 0);
	assert_int_equal(rt_load_acq_u64(&p.ring.hdr->write_pos), 0);
	free(region);
}

static void test_full_ring_refuses_whole_records_and_counts_the_fault(void **state)
{
	(void)state;
	uint8_t *region = make_ring(16);
	struct shm_audit_producer p;
	uint64_t fault = 0;
	shm_audit_producer_attach_region(&p, region, SHM_AUDIT_SRC_ROUTER, &fault);
	struct shm_audit_order o;
	memset(&o, 0, sizeof(o)); /* 128 bytes: 3 slots */
	int ok = 0;
	while (shm_audit_emit(&p, SHM_AUDIT_ORDER_EVENT, 5, &o, sizeof(o)) == 0)
		ok++;
	assert_int_equal(ok, 5); /* 15 of 16 slots: the 6th record does not fit */
	assert_int_equal(rt_load_acq_u64(&p.ring.hdr->write_pos), 15);
	assert_int_equal(fault, 1);
	assert_int_equal(rt_load_acq_u64(&p.ring.hdr->full_count), 1);
	assert_int_equal(p.seq, 5);
	/* a one-slot record still fits in the last slot */
	struct shm_audit_fault f = {0};
	assert_int_equal(shm_audit_emit(&p, SHM_AUDIT_FAULT, 5, &f, 24), 0);
	assert_int_equal(shm_audit_emit(&p, SHM_AUDIT_FAULT, 5, &f, 24), -EAGAIN);
	assert_int_equal(fault, 2);
	/* the consumer commits; room again */
	struct shm_audit_consumer c;
	static struct shm_audit_msg m;
	shm_audit_consumer_attach(&c, region, SHM_AUDIT_SRC_ROUTER);
	assert_int_equal(shm_audit_consumer_next(&c, &m, NULL), 0);
	/* taken but not committed: still no room */
	assert_int_equal(shm_audit_emit(&p, SHM_AUDIT_FAULT, 5, &f, 24), -EAGAIN);
	shm_audit_consumer_commit(&c, m.pos_end);
	assert_int_equal(shm_audit_emit(&p, SHM_AUDIT_FAULT, 5, &f, 24), 0);
	assert_int_equal(p.seq, 7);
	free(region);
}

static void test_restarted_producer_continues_the_sequence(void **state)
{
	(void)state;
	uint8_t *region = make_ring(64);
	struct shm_audit_producer p;
	shm_audit_producer_attach_region(&p, region, SHM_AUDIT_SRC_FEEDER, NULL);
	uint8_t pl[200];
	fill(pl, sizeof(pl), 3);
	for (int i = 0; i < 7; i++)
		assert_int_equal(shm_audit_emit(&p, SHM_AUDIT_COMMAND, 1, pl, (uint32_t)(i * 29)),
				 0);
	/* a new process: a fresh handle on the same region */
	struct shm_audit_producer q;
	shm_audit_producer_attach_region(&q, region, SHM_AUDIT_SRC_FEEDER, NULL);
	assert_int_equal(q.seq, 7);
	assert_int_equal(shm_audit_emit(&q, SHM_AUDIT_COMMAND, 1, pl, 100), 0);
	struct shm_audit_consumer c;
	static struct shm_audit_msg m;
	shm_audit_consumer_attach(&c, region, SHM_AUDIT_SRC_FEEDER);
	for (uint64_t s = 1; s <= 8; s++) {
		assert_int_equal(shm_audit_consumer_next(&c, &m, NULL), 0);
		assert_int_equal(m.src_seq, s);
	}
	free(region);
}

static void test_producer_attach_finds_the_ring_by_owner_in_a_segment(void **state)
{
	(void)state;
	const char *inst = test_instance_name("auring");
	struct shm_plan plan = {0};
	assert_int_equal(
		shm_plan_add(&plan, SHM_KIND_RING, SHM_ROLE_AUDIT, 0, "audit.feeder", 256, NULL),
		0);
	assert_int_equal(
		shm_plan_add(&plan, SHM_KIND_RING, SHM_ROLE_SCRATCH, 0, "audit.rules", 256, NULL),
		0);
	struct shm_segment seg;
	struct shm_create_opts o = {.mode = 0600};
	struct rt_err err = {0};
	assert_int_equal(shm_segment_create(&seg, inst, &plan, &o, &err), 0);
	shm_segment_publish(&seg);
	struct shm_audit_producer p;
	assert_int_equal(shm_audit_producer_attach(&p, &seg, "feeder", NULL, &err), 0);
	assert_int_equal(p.source, SHM_AUDIT_SRC_FEEDER);
	assert_int_equal(shm_audit_producer_attach(&p, &seg, "router", NULL, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "audit.router"));
	rt_err_clear(&err);
	/* a ring with the right name but not the audit role is not an audit ring */
	assert_int_equal(shm_audit_producer_attach(&p, &seg, "rules", NULL, &err), -ENOENT);
	rt_err_clear(&err);
	assert_int_equal(shm_audit_producer_attach(&p, &seg, "bogus", NULL, &err), -EINVAL);
	shm_segment_detach(&seg);
	shm_segment_unlink(inst, NULL);
}

static void test_consumer_rejects_garbage_and_moves_past_it(void **state)
{
	(void)state;
	uint8_t *region = make_ring(64);
	struct shm_audit_producer p;
	shm_audit_producer_attach_region(&p, region, SHM_AUDIT_SRC_CTL, NULL);
	assert_int_equal(shm_audit_emit_text(&p, SHM_AUDIT_COMMAND, 9, "pause"), 0);
	/* a slot of garbage published behind the producer's back */
	struct shm_ring_hdr *h = (struct shm_ring_hdr *)region;
	uint8_t *slot1 = region + SHM_RING_HDR_SIZE + 64;
	memset(slot1, 0x5a, 64);
	rt_store_rel_u64(&h->write_pos, 2);
	p.ring.pos = 2;
	assert_int_equal(shm_audit_emit_text(&p, SHM_AUDIT_COMMAND, 9, "resume"), 0);
	struct shm_audit_consumer c;
	static struct shm_audit_msg m;
	struct rt_err err = {0};
	shm_audit_consumer_attach(&c, region, SHM_AUDIT_SRC_CTL);
	assert_int_equal(shm_audit_consumer_next(&c, &m, &err), 0);
	assert_memory_equal(m.payload, "pause", 5);
	assert_int_equal(shm_audit_consumer_next(&c, &m, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "ring position 1"));
	assert_int_equal(m.pos_end, 2);
	assert_int_equal(shm_audit_consumer_next(&c, &m, &err), 0);
	assert_int_equal(m.len, 6);
	assert_memory_equal(m.payload, "resume", 6);
	/* a continuation slot that belongs to another record */
	struct shm_audit_order o = {0};
	assert_int_equal(shm_audit_emit(&p, SHM_AUDIT_ORDER_EVENT, 1, &o, sizeof(o)), 0);
	uint64_t bogus = 999;
	memcpy(region + SHM_RING_HDR_SIZE + 64 * 4, &bogus, 8);
	assert_int_equal(shm_audit_consumer_next(&c, &m, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "continuation"));
	free(region);
}

static void test_commit_publishes_only_forward_and_never_past_the_cursor(void **state)
{
	(void)state;
	uint8_t *region = make_ring(64);
	struct shm_audit_producer p;
	shm_audit_producer_attach_region(&p, region, SHM_AUDIT_SRC_FEEDER, NULL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(shm_audit_emit_text(&p, SHM_AUDIT_CONFIG, 1, "a: 1 -> 2"), 0);
	struct shm_audit_consumer c;
	static struct shm_audit_msg m;
	shm_audit_consumer_attach(&c, region, SHM_AUDIT_SRC_FEEDER);
	assert_int_equal(shm_audit_consumer_next(&c, &m, NULL), 0);
	assert_int_equal(shm_audit_consumer_next(&c, &m, NULL), 0);
	struct shm_ring_hdr *h = (struct shm_ring_hdr *)region;
	shm_audit_consumer_commit(&c, 3); /* past the cursor (2): ignored */
	assert_int_equal(rt_load_acq_u64(&h->read_pos), 0);
	shm_audit_consumer_commit(&c, 2);
	assert_int_equal(rt_load_acq_u64(&h->read_pos), 2);
	shm_audit_consumer_commit(&c, 1); /* backwards: ignored */
	assert_int_equal(rt_load_acq_u64(&h->read_pos), 2);
	/* a new consumer resumes at the committed position; skip_to moves forward only */
	shm_audit_consumer_attach(&c, region, SHM_AUDIT_SRC_FEEDER);
	assert_int_equal(c.ring.pos, 2);
	shm_audit_consumer_skip_to(&c, 1);
	assert_int_equal(c.ring.pos, 2);
	shm_audit_consumer_skip_to(&c, 9); /* beyond write_pos: ignored */
	assert_int_equal(c.ring.pos, 2);
	shm_audit_consumer_skip_to(&c, 3);
	assert_int_equal(shm_audit_consumer_next(&c, &m, NULL), 0);
	assert_int_equal(m.src_seq, 4);
	free(region);
}

static void test_level_event_splits_decision_from_latency(void **state)
{
	(void)state;
	struct shm_event e;
	memset(&e, 0, sizeof(e));
	e.kind = SHM_EV_LEVEL;
	e.from = 0;
	e.to = 2;
	e.pos_id = 42;
	e.price = 61284000000;
	e.atr = 500000000;
	e.thr[0] = 1, e.thr[1] = 2, e.thr[2] = 3;
	e.quote_seq = 77;
	e.event_time_ns = 1700000000123456789ull;
	e.feed_recv_ns = 100, e.board_write_ns = 200, e.worker_read_ns = 300, e.publish_ns = 400;
	e.strike = 60000000000;
	e.right = 'P';
	e.cause = SHM_CAUSE_CROSSING;
	uint8_t *region = make_ring(64);
	struct shm_audit_producer p;
	shm_audit_producer_attach_region(&p, region, SHM_AUDIT_SRC_WORKER, NULL);
	assert_int_equal(shm_audit_emit_level(&p, &e), 0);
	struct shm_audit_consumer c;
	static struct shm_audit_msg m;
	shm_audit_consumer_attach(&c, region, SHM_AUDIT_SRC_WORKER);
	assert_int_equal(shm_audit_consumer_next(&c, &m, NULL), 0);
	assert_int_equal(m.kind, SHM_AUDIT_LEVEL);
	assert_int_equal(m.event_ns, e.event_time_ns);
	assert_int_equal(m.nlat, 4);
	assert_int_equal(m.lat[0], 100);
	assert_int_equal(m.lat[3], 400);
	struct shm_audit_level l;
	assert_int_equal(m.len, sizeof(l));
	memcpy(&l, m.payload, sizeof(l));
	assert_int_equal(l.pos_id, 42);
	assert_int_equal(l.to, 2);
	assert_int_equal(l.price, e.price);
	assert_int_equal(l.quote_seq, 77);
	assert_int_equal(l.right, 'P');
	free(region);
}

/* ---- threaded validator ------------------------------------------------------------ */

#define THREAD_RECORDS 300000u

struct thr {
	uint8_t *region;
	uint64_t refused;
};

static void *producer_thread(void *arg)
{
	struct thr *t = arg;
	struct shm_audit_producer p;
	shm_audit_producer_attach_region(&p, t->region, SHM_AUDIT_SRC_WORKER + 1, NULL);
	uint8_t pl[300];
	for (uint32_t i = 0; i < THREAD_RECORDS;) {
		uint32_t len = (i * 37u) % sizeof(pl);
		fill(pl, len, i);
		uint64_t lat[2] = {i, ~(uint64_t)i};
		if (shm_audit_emit_lat(&p, SHM_AUDIT_FILL, i, pl, len, lat, i & 2u) == 0) {
			i++;
		} else {
			t->refused++;
			sched_yield(); /* tests never busy-spin */
		}
	}
	return NULL;
}

static void test_threaded_producer_and_consumer_agree_on_every_record(void **state)
{
	(void)state;
	struct thr t = {.region = make_ring(256)};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, producer_thread, &t), 0);
	struct shm_audit_consumer c;
	static struct shm_audit_msg m;
	shm_audit_consumer_attach(&c, t.region, SHM_AUDIT_SRC_WORKER + 1);
	uint8_t pl[300];
	uint32_t got = 0, bad = 0;
	while (got < THREAD_RECORDS) {
		int rc = shm_audit_consumer_next(&c, &m, NULL);
		if (rc == -EAGAIN) {
			sched_yield();
			continue;
		}
		uint32_t i = got;
		uint32_t len = (i * 37u) % sizeof(pl);
		fill(pl, len, i);
		if (rc || m.src_seq != i + 1u || m.event_ns != i || m.len != len ||
		    m.nlat != (i & 2u) || memcmp(m.payload, pl, len) ||
		    (m.nlat && (m.lat[0] != i || m.lat[1] != ~(uint64_t)i)))
			bad++;
		got++;
		/* commit every few records, as group commit does */
		if ((got & 7u) == 0)
			shm_audit_consumer_commit(&c, m.pos_end);
	}
	pthread_join(th, NULL);
	assert_int_equal(bad, 0);
	free(t.region);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_names_round_trip),
		cmocka_unit_test(test_emit_frames_every_size_and_the_consumer_gets_it_back_exactly),
		cmocka_unit_test(test_emit_refuses_bad_kind_and_oversize_without_writing),
		cmocka_unit_test(test_full_ring_refuses_whole_records_and_counts_the_fault),
		cmocka_unit_test(test_restarted_producer_continues_the_sequence),
		cmocka_unit_test(test_producer_attach_finds_the_ring_by_owner_in_a_segment),
		cmocka_unit_test(test_consumer_rejects_garbage_and_moves_past_it),
		cmocka_unit_test(test_commit_publishes_only_forward_and_never_past_the_cursor),
		cmocka_unit_test(test_level_event_splits_decision_from_latency),
		cmocka_unit_test(test_threaded_producer_and_consumer_agree_on_every_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
