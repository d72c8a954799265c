/* Quote board: seqlock semantics, and a writer process hammering slots while a
 * reader verifies it never sees a torn quote. Plus a threaded variant for TSan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "shm/shm_board.h"
#include "shm/shm_segment.h"
#include "tests/support/test_util.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every payload word is derived from one number, so a mix of two writes shows. */
static void fill(struct shm_quote *q, uint32_t id, uint64_t n)
{
	memset(q, 0, sizeof(*q));
	q->instr_id = id;
	q->bid = (int64_t)(n * 100);
	q->ask = (int64_t)(n * 100 + 1);
	q->last = (int64_t)(n * 100 + 2);
	q->bid_size = (uint32_t)n;
	q->ask_size = (uint32_t)(n ^ 0xffff);
	q->last_size = (uint32_t)(n * 3);
	q->venue = (uint32_t)(n * 7);
	q->exch_ts_ns = n * 11;
	q->recv_ts_ns = n * 13;
	q->write_ts_ns = n * 17;
	q->quote_seq = n;
}

static int consistent(const struct shm_quote *q, uint32_t id)
{
	uint64_t n = q->quote_seq;
	struct shm_quote want;
	fill(&want, id, n);
	want.seq = q->seq;
	return memcmp(&want, q, sizeof(want)) == 0;
}

static void test_board_read_of_unwritten_slot_is_enoent(void **state)
{
	(void)state;
	uint64_t size = shm_board_region_size(4);
	void *reg = aligned_alloc(128, size);
	assert_int_equal(shm_board_init(reg, size, 4, NULL), 0);
	struct shm_board b;
	shm_board_attach(&b, reg);
	struct shm_quote q;
	assert_int_equal(shm_board_read(&b, 0, &q, NULL), -ENOENT);
	assert_int_equal(shm_board_read(&b, 4, &q, NULL), -ERANGE);
	free(reg);
}

static void test_board_write_then_read_roundtrips_and_bumps_seq_by_two(void **state)
{
	(void)state;
	uint64_t size = shm_board_region_size(4);
	void *reg = aligned_alloc(128, size);
	assert_int_equal(shm_board_init(reg, size, 4, NULL), 0);
	struct shm_board b;
	shm_board_attach(&b, reg);
	struct shm_quote in, out;
	fill(&in, 2, 5);
	shm_board_write(&b, 2, &in);
	uint32_t retries = 99;
	assert_int_equal(shm_board_read(&b, 2, &out, &retries), 0);
	assert_int_equal(retries, 0);
	assert_int_equal(out.seq, 2);
	assert_true(consistent(&out, 2));
	fill(&in, 2, 6);
	shm_board_write(&b, 2, &in);
	assert_int_equal(shm_board_read(&b, 2, &out, NULL), 0);
	assert_int_equal(out.seq, 4);
	assert_int_equal(out.quote_seq, 6);
	assert_int_equal(out.bid, 600);
	free(reg);
}

static void test_board_read_gives_up_on_a_slot_stuck_mid_write(void **state)
{
	(void)state;
	uint64_t size = shm_board_region_size(2);
	void *reg = aligned_alloc(128, size);
	assert_int_equal(shm_board_init(reg, size, 2, NULL), 0);
	struct shm_board b;
	shm_board_attach(&b, reg);
	b.slots[1].seq = 7; /* a writer that died mid-write leaves an odd sequence */
	struct shm_quote out;
	uint32_t retries = 0;
	assert_int_equal(shm_board_read(&b, 1, &out, &retries), -EAGAIN);
	assert_int_equal(retries, SHM_BOARD_READ_RETRIES);
	free(reg);
}

static void test_board_check_rejects_bad_magic_and_capacity(void **state)
{
	(void)state;
	uint64_t size = shm_board_region_size(2);
	void *reg = aligned_alloc(128, size);
	struct rt_err err = {0};
	assert_int_equal(shm_board_init(reg, 64, 2, &err), -ENOSPC);
	assert_int_equal(shm_board_init(reg, size, 2, &err), 0);
	assert_int_equal(shm_board_check(reg, size, &err), 0);
	((struct shm_board_hdr *)reg)->capacity = 3;
	assert_int_equal(shm_board_check(reg, size, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "capacity 3"));
	((struct shm_board_hdr *)reg)->magic = 1;
	assert_int_equal(shm_board_check(reg, size, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "magic"));
	free(reg);
}

#define HAMMER_SLOTS 4u
#define HAMMER_READS 3000000ull

static void test_board_writer_process_never_shows_a_torn_quote(void **state)
{
	(void)state;
	const char *inst = test_instance_name("board");
	struct shm_plan plan = {0};
	assert_int_equal(shm_plan_add(&plan, SHM_KIND_BOARD, 0, 0, "board", HAMMER_SLOTS, NULL), 0);
	struct shm_segment seg;
	struct rt_err err = {0};
	struct shm_create_opts o = {.mode = 0600};
	assert_int_equal(shm_segment_create(&seg, inst, &plan, &o, &err), 0);
	shm_segment_publish(&seg);
	pid_t w = fork();
	if (w == 0) {
		/* the writer: its own mapping, hammering every slot until killed */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		struct shm_segment ws;
		if (shm_segment_attach(&ws, inst, 1000, NULL))
			_exit(2);
		struct shm_board b;
		shm_board_attach(&b, shm_segment_region(&ws, &ws.dir[0]));
		struct shm_quote q;
		for (uint64_t n = 1;; n++) {
			uint32_t id = (uint32_t)(n % HAMMER_SLOTS);
			fill(&q, id, n);
			shm_board_write(&b, id, &q);
		}
	}
	struct shm_segment rs;
	assert_int_equal(shm_segment_attach_readonly(&rs, inst, 1000, &err), 0);
	struct shm_board b;
	shm_board_attach(&b, shm_segment_region(&rs, &rs.dir[0]));
	uint64_t torn = 0, ok = 0, busy = 0, retries_total = 0, went_back = 0;
	uint64_t last_seen[HAMMER_SLOTS] = {0};
	for (uint64_t i = 0; i < HAMMER_READS; i++) {
		uint32_t id = (uint32_t)(i % HAMMER_SLOTS);
		struct shm_quote q = {0};
		uint32_t r = 0;
		int rc = shm_board_read(&b, id, &q, &r);
		retries_total += r;
		if (rc == -EAGAIN) {
			busy++;
			continue;
		}
		if (rc == -ENOENT)
			continue;
		assert_int_equal(rc, 0);
		ok++;
		if (!consistent(&q, id))
			torn++;
		if (q.quote_seq < last_seen[id])
			went_back++;
		last_seen[id] = q.quote_seq;
	}
	kill(w, SIGKILL);
	waitpid(w, NULL, 0);
	print_message("board: %llu consistent reads, %llu busy, %llu retries\n",
		      (unsigned long long)ok, (unsigned long long)busy,
		      (unsigned long long)retries_total);
	assert_int_equal(torn, 0);
	assert_int_equal(went_back, 0);
	assert_true(ok > HAMMER_READS / 2);
	shm_segment_detach(&rs);
	shm_segment_detach(&seg);
	shm_segment_unlink(inst, NULL);
}

/* ---- threaded variant (ThreadSanitizer sees both sides) ------------------------- */

static int g_stop;

static void *writer_thread(void *arg)
{
	struct shm_board *b = arg;
	struct shm_quote q;
	for (uint64_t n = 1; !__atomic_load_n(&g_stop, __ATOMIC_RELAXED); n++) {
		fill(&q, 1, n);
		shm_board_write(b, 1, &q);
	}
	return NULL;
}

static void test_board_threads_never_see_a_torn_quote(void **state)
{
	(void)state;
	uint64_t size = shm_board_region_size(2);
	void *reg = aligned_alloc(128, size);
	assert_int_equal(shm_board_init(reg, size, 2, NULL), 0);
	struct shm_board b;
	shm_board_attach(&b, reg);
	pthread_t t;
	g_stop = 0;
	/* one quote before the writer starts: on a loaded machine the thread may not run
	 * before the reads are done, and an empty slot would make every read -ENOENT */
	struct shm_quote first;
	fill(&first, 1, 1);
	shm_board_write(&b, 1, &first);
	assert_int_equal(pthread_create(&t, NULL, writer_thread, &b), 0);
	uint64_t torn = 0, ok = 0;
	for (int i = 0; i < 300000; i++) {
		struct shm_quote q;
		if (shm_board_read(&b, 1, &q, NULL) == 0) {
			ok++;
			torn += !consistent(&q, 1);
		}
	}
	__atomic_store_n(&g_stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	assert_int_equal(torn, 0);
	assert_true(ok > 0);
	free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_board_read_of_unwritten_slot_is_enoent),
		cmocka_unit_test(test_board_write_then_read_roundtrips_and_bumps_seq_by_two),
		cmocka_unit_test(test_board_read_gives_up_on_a_slot_stuck_mid_write),
		cmocka_unit_test(test_board_check_rejects_bad_magic_and_capacity),
		cmocka_unit_test(test_board_writer_process_never_shows_a_torn_quote),
		cmocka_unit_test(test_board_threads_never_see_a_torn_quote),
	};
	return cmocka_run_group_tests_name("shm_board", tests, NULL, NULL);
}
