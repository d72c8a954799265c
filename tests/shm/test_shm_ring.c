/* Unit tests of the SPSC ring: geometry, wrap-around, full/empty, batches,
 * invariant checks, and a threaded producer/consumer (the ThreadSanitizer run). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "shm/shm_ring.h"

#include <pthread.h>
#include <stdlib.h>

struct msg {
	uint64_t seq;
	uint64_t check;
	uint8_t pad[48];
};
_Static_assert(sizeof(struct msg) == SHM_RING_SLOT, "test message is one slot");

static void *new_region(uint64_t cap, uint64_t *size)
{
	*size = shm_ring_region_size(cap);
	void *r = aligned_alloc(128, *size);
	assert_non_null(r);
	assert_int_equal(shm_ring_init(r, *size, cap, NULL), 0);
	return r;
}

static struct msg mk(uint64_t seq)
{
	struct msg m = {.seq = seq, .check = seq * 0x9e3779b97f4a7c15ull};
	return m;
}

static void test_ring_rejects_capacity_not_power_of_two(void **state)
{
	(void)state;
	uint8_t buf[4096] __attribute__((aligned(128)));
	struct rt_err err = {0};
	assert_int_equal(shm_ring_region_size(6), 0);
	assert_int_equal(shm_ring_init(buf, sizeof(buf), 6, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a power of two"));
	assert_int_equal(shm_ring_init(buf, sizeof(buf), 1, &err), -EINVAL);
	assert_int_equal(shm_ring_init(buf, sizeof(buf), 64, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "needs"));
}

static void test_ring_empty_pop_returns_eagain(void **state)
{
	(void)state;
	uint64_t size;
	void *reg = new_region(8, &size);
	struct shm_ring c;
	shm_ring_consumer_attach(&c, reg);
	struct msg m;
	assert_int_equal(shm_ring_pop_spsc(&c, &m), -EAGAIN);
	assert_null(shm_ring_peek_spsc(&c));
	assert_int_equal(shm_ring_pop_batch_spsc(&c, &m, 1), 0);
	free(reg);
}

static void test_ring_full_push_returns_eagain_and_counts(void **state)
{
	(void)state;
	uint64_t size;
	void *reg = new_region(4, &size);
	struct shm_ring p;
	shm_ring_producer_attach(&p, reg);
	for (uint64_t i = 0; i < 4; i++) {
		struct msg m = mk(i);
		assert_int_equal(shm_ring_push_spsc(&p, &m), 0);
	}
	struct msg m = mk(99);
	assert_int_equal(shm_ring_push_spsc(&p, &m), -EAGAIN);
	assert_int_equal(shm_ring_push_spsc(&p, &m), -EAGAIN);
	struct shm_ring_stats st;
	shm_ring_stats_read(reg, &st);
	assert_int_equal(st.full_count, 2);
	assert_int_equal(st.depth, 4);
	assert_int_equal(st.write_pos, 4);
	free(reg);
}

static void test_ring_wraps_around_many_times_in_order(void **state)
{
	(void)state;
	uint64_t size;
	void *reg = new_region(8, &size);
	struct shm_ring p, c;
	shm_ring_producer_attach(&p, reg);
	shm_ring_consumer_attach(&c, reg);
	uint64_t next_in = 0, next_out = 0;
	for (int round = 0; round < 1000; round++) {
		int burst = 1 + round % 8;
		for (int i = 0; i < burst; i++) {
			struct msg m = mk(next_in);
			assert_int_equal(shm_ring_push_spsc(&p, &m), 0);
			next_in++;
		}
		struct msg out;
		while (shm_ring_pop_spsc(&c, &out) == 0) {
			assert_int_equal(out.seq, next_out);
			assert_int_equal(out.check, next_out * 0x9e3779b97f4a7c15ull);
			next_out++;
		}
	}
	assert_int_equal(next_in, next_out);
	assert_true(next_in > 8 * 100); /* wrapped hundreds of times */
	assert_int_equal(shm_ring_check(reg, size, NULL), 0);
	free(reg);
}

static void test_ring_batch_push_is_cut_at_free_space(void **state)
{
	(void)state;
	uint64_t size;
	void *reg = new_region(8, &size);
	struct shm_ring p, c;
	shm_ring_producer_attach(&p, reg);
	shm_ring_consumer_attach(&c, reg);
	struct msg in[12], out[12];
	for (int i = 0; i < 12; i++)
		in[i] = mk((uint64_t)i);
	assert_int_equal(shm_ring_push_batch_spsc(&p, in, 5), 5);
	assert_int_equal(shm_ring_push_batch_spsc(&p, in + 5, 7), 3); /* only 3 free */
	assert_int_equal(shm_ring_push_batch_spsc(&p, in + 8, 1), 0);
	struct shm_ring_stats st;
	shm_ring_stats_read(reg, &st);
	assert_int_equal(st.full_count, 2);
	assert_int_equal(st.batches, 2);
	/* pop a batch larger than available: gets all 8 in order */
	assert_int_equal(shm_ring_pop_batch_spsc(&c, out, 12), 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(out[i].seq, (uint64_t)i);
	assert_int_equal(shm_ring_pop_batch_spsc(&c, out, 12), 0);
	/* batch across the wrap point */
	assert_int_equal(shm_ring_push_batch_spsc(&p, in, 6), 6);
	assert_int_equal(shm_ring_pop_batch_spsc(&c, out, 3), 3);
	assert_int_equal(shm_ring_push_batch_spsc(&p, in + 6, 5), 5);
	assert_int_equal(shm_ring_pop_batch_spsc(&c, out, 12), 8);
	assert_int_equal(out[0].seq, 3);
	assert_int_equal(out[7].seq, 10);
	free(reg);
}

static void test_ring_batch_of_zero_does_nothing(void **state)
{
	(void)state;
	uint64_t size;
	void *reg = new_region(4, &size);
	struct shm_ring p;
	shm_ring_producer_attach(&p, reg);
	struct msg m = mk(1);
	assert_int_equal(shm_ring_push_batch_spsc(&p, &m, 0), 0);
	struct shm_ring_stats st;
	shm_ring_stats_read(reg, &st);
	assert_int_equal(st.write_pos, 0);
	assert_int_equal(st.full_count, 0);
	assert_int_equal(st.batches, 0);
	free(reg);
}

static void test_ring_peek_release_consumes_in_place(void **state)
{
	(void)state;
	uint64_t size;
	void *reg = new_region(4, &size);
	struct shm_ring p, c;
	shm_ring_producer_attach(&p, reg);
	shm_ring_consumer_attach(&c, reg);
	struct msg m = mk(7);
	assert_int_equal(shm_ring_push_spsc(&p, &m), 0);
	const struct msg *v = shm_ring_peek_spsc(&c);
	assert_non_null(v);
	assert_int_equal(v->seq, 7);
	assert_ptr_equal(shm_ring_peek_spsc(&c), v); /* not consumed until release */
	shm_ring_release_spsc(&c, 1);
	assert_null(shm_ring_peek_spsc(&c));
	struct shm_ring_stats st;
	shm_ring_stats_read(reg, &st);
	assert_int_equal(st.read_pos, 1);
	assert_int_equal(st.high_water, 1);
	free(reg);
}

static void test_ring_reattach_resumes_from_published_positions(void **state)
{
	(void)state;
	uint64_t size;
	void *reg = new_region(8, &size);
	struct shm_ring p, c;
	shm_ring_producer_attach(&p, reg);
	shm_ring_consumer_attach(&c, reg);
	for (uint64_t i = 0; i < 5; i++) {
		struct msg m = mk(i);
		assert_int_equal(shm_ring_push_spsc(&p, &m), 0);
	}
	struct msg out;
	assert_int_equal(shm_ring_pop_spsc(&c, &out), 0);
	assert_int_equal(shm_ring_pop_spsc(&c, &out), 0);
	/* both sides "restart" */
	struct shm_ring p2, c2;
	shm_ring_producer_attach(&p2, reg);
	shm_ring_consumer_attach(&c2, reg);
	struct msg m = mk(5);
	assert_int_equal(shm_ring_push_spsc(&p2, &m), 0);
	for (uint64_t want = 2; want <= 5; want++) {
		assert_int_equal(shm_ring_pop_spsc(&c2, &out), 0);
		assert_int_equal(out.seq, want);
	}
	assert_int_equal(shm_ring_pop_spsc(&c2, &out), -EAGAIN);
	free(reg);
}

static void test_ring_check_reports_each_broken_invariant(void **state)
{
	(void)state;
	uint64_t size;
	void *reg = new_region(8, &size);
	struct shm_ring_hdr *h = reg;
	struct rt_err err = {0};
	assert_int_equal(shm_ring_check(reg, size, &err), 0);

	h->magic = 0xdeadbeef;
	assert_int_equal(shm_ring_check(reg, size, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "magic"));
	h->magic = SHM_RING_MAGIC;

	h->slot_size = 32;
	assert_int_equal(shm_ring_check(reg, size, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "slot size 32"));
	h->slot_size = SHM_RING_SLOT;

	h->capacity = 12;
	assert_int_equal(shm_ring_check(reg, size, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "capacity 12"));
	h->capacity = 16; /* a power of two that no longer fits */
	assert_int_equal(shm_ring_check(reg, size, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "needs"));
	h->capacity = 8;

	h->mask = 3;
	assert_int_equal(shm_ring_check(reg, size, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "mask"));
	h->mask = 7;

	h->read_pos = 5;
	h->write_pos = 3;
	assert_int_equal(shm_ring_check(reg, size, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "ahead of write position"));

	h->read_pos = 0;
	h->write_pos = 9;
	assert_int_equal(shm_ring_check(reg, size, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "depth 9 exceeds capacity 8"));

	assert_int_equal(shm_ring_check(reg, 100, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "smaller than"));
	free(reg);
}

/* ---- threaded validator: ThreadSanitizer sees every access --------------------- */

#define THREAD_MSGS 2000000ull

static void *producer_thread(void *arg)
{
	struct shm_ring p;
	shm_ring_producer_attach(&p, arg);
	struct msg batch[16];
	uint64_t next = 0;
	while (next < THREAD_MSGS) {
		if (next % 3 == 0) {
			struct msg m = mk(next);
			if (shm_ring_push_spsc(&p, &m) == 0)
				next++;
			else
				sched_yield();
		} else {
			uint32_t n = (uint32_t)(THREAD_MSGS - next < 16 ? THREAD_MSGS - next : 16);
			for (uint32_t i = 0; i < n; i++)
				batch[i] = mk(next + i);
			uint32_t k = shm_ring_push_batch_spsc(&p, batch, n);
			next += k;
			if (k == 0)
				sched_yield();
		}
	}
	return NULL;
}

static void test_ring_threads_deliver_every_message_once_in_order(void **state)
{
	(void)state;
	uint64_t size;
	void *reg = new_region(1024, &size);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, producer_thread, reg), 0);
	struct shm_ring c;
	shm_ring_consumer_attach(&c, reg);
	uint64_t next = 0, bad = 0;
	struct msg out[32];
	while (next < THREAD_MSGS) {
		uint32_t k;
		if (next % 5 == 0) {
			const struct msg *v = shm_ring_peek_spsc(&c);
			k = 0;
			if (v) {
				out[0] = *v;
				shm_ring_release_spsc(&c, 1);
				k = 1;
			}
		} else {
			k = shm_ring_pop_batch_spsc(&c, out, 32);
		}
		if (k == 0) {
			sched_yield();
			continue;
		}
		for (uint32_t i = 0; i < k; i++, next++)
			if (out[i].seq != next || out[i].check != next * 0x9e3779b97f4a7c15ull)
				bad++;
	}
	pthread_join(t, NULL);
	assert_int_equal(bad, 0);
	assert_int_equal(next, THREAD_MSGS);
	struct msg extra;
	assert_int_equal(shm_ring_pop_spsc(&c, &extra), -EAGAIN);
	assert_int_equal(shm_ring_check(reg, size, NULL), 0);
	free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_rejects_capacity_not_power_of_two),
		cmocka_unit_test(test_ring_empty_pop_returns_eagain),
		cmocka_unit_test(test_ring_full_push_returns_eagain_and_counts),
		cmocka_unit_test(test_ring_wraps_around_many_times_in_order),
		cmocka_unit_test(test_ring_batch_push_is_cut_at_free_space),
		cmocka_unit_test(test_ring_batch_of_zero_does_nothing),
		cmocka_unit_test(test_ring_peek_release_consumes_in_place),
		cmocka_unit_test(test_ring_reattach_resumes_from_published_positions),
		cmocka_unit_test(test_ring_check_reports_each_broken_invariant),
		cmocka_unit_test(test_ring_threads_deliver_every_message_once_in_order),
	};
	return cmocka_run_group_tests_name("shm_ring", tests, NULL, NULL);
}
