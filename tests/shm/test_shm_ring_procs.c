/* Multi-process stress of the SPSC ring over a real segment: producer and consumer
 * in different processes, many millions of messages, each delivered exactly once
 * and in order; then a consumer killed mid-stream and restarted resumes losslessly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "shm/shm_ring.h"
#include "shm/shm_segment.h"
#include "tests/support/test_util.h"

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct msg {
	uint64_t seq;
	uint64_t words[7]; /* derived from seq: a torn or stale slot shows */
};
_Static_assert(sizeof(struct msg) == SHM_RING_SLOT, "one slot");

static void mk(struct msg *m, uint64_t seq)
{
	m->seq = seq;
	for (int i = 0; i < 7; i++)
		m->words[i] = seq * 0x9e3779b97f4a7c15ull + (uint64_t)i;
}

static int valid(const struct msg *m, uint64_t seq)
{
	if (m->seq != seq)
		return 0;
	for (int i = 0; i < 7; i++)
		if (m->words[i] != seq * 0x9e3779b97f4a7c15ull + (uint64_t)i)
			return 0;
	return 1;
}

static struct shm_segment g_seg;
static const char *g_inst;

static void make_segment(uint64_t cap)
{
	g_inst = test_instance_name("ringp");
	struct shm_plan plan = {0};
	assert_int_equal(
		shm_plan_add(&plan, SHM_KIND_RING, SHM_ROLE_SCRATCH, 0, "stress", cap, NULL), 0);
	struct rt_err err = {0};
	struct shm_create_opts o = {.mode = 0600};
	assert_int_equal(shm_segment_create(&g_seg, g_inst, &plan, &o, &err), 0);
	shm_segment_publish(&g_seg);
}

static void drop_segment(void)
{
	shm_segment_detach(&g_seg);
	shm_segment_unlink(g_inst, NULL);
}

/* Producer process: its own attach, pushes [from, to) in mixed single/batch pushes,
 * backing off with sched_yield when full (tests never busy-spin). */
static pid_t spawn_producer(uint64_t from, uint64_t to)
{
	pid_t p = fork();
	if (p != 0)
		return p;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct shm_segment s;
	if (shm_segment_attach(&s, g_inst, 1000, NULL))
		_exit(2);
	struct shm_ring r;
	shm_ring_producer_attach(&r, shm_segment_region(&s, &s.dir[0]));
	struct msg batch[32];
	uint64_t next = from;
	while (next < to) {
		uint32_t n = (uint32_t)((next & 7) == 0 ? 1 : (to - next < 32 ? to - next : 32));
		for (uint32_t i = 0; i < n; i++)
			mk(&batch[i], next + i);
		uint32_t k = n == 1 ? (shm_ring_push_spsc(&r, batch) == 0)
				    : shm_ring_push_batch_spsc(&r, batch, n);
		next += k;
		if (k < n)
			sched_yield();
	}
	_exit(0);
}

/* Consume up to `limit` messages in this process's handle; returns how many were
 * read in order; *bad counts any out-of-order or torn message. */
static uint64_t consume(struct shm_ring *c, uint64_t expect_from, uint64_t limit, uint64_t *bad)
{
	struct msg out[64];
	uint64_t got = 0;
	while (got < limit) {
		uint64_t want = limit - got < 64 ? limit - got : 64;
		uint32_t k = shm_ring_pop_batch_spsc(c, out, (uint32_t)want);
		if (k == 0) {
			sched_yield();
			continue;
		}
		for (uint32_t i = 0; i < k; i++)
			if (!valid(&out[i], expect_from + got + i))
				(*bad)++;
		got += k;
	}
	return got;
}

#define STRESS_MSGS 20000000ull

static void test_ring_across_processes_delivers_millions_exactly_once_in_order(void **state)
{
	(void)state;
	make_segment(4096);
	pid_t p = spawn_producer(0, STRESS_MSGS);
	struct shm_ring c;
	shm_ring_consumer_attach(&c, shm_segment_region(&g_seg, &g_seg.dir[0]));
	uint64_t bad = 0;
	uint64_t got = consume(&c, 0, STRESS_MSGS, &bad);
	int status;
	waitpid(p, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(got, STRESS_MSGS);
	assert_int_equal(bad, 0);
	struct msg extra;
	assert_int_equal(shm_ring_pop_spsc(&c, &extra), -EAGAIN); /* nothing delivered twice */
	struct shm_ring_stats st;
	shm_ring_stats_read(shm_segment_region(&g_seg, &g_seg.dir[0]), &st);
	assert_int_equal(st.write_pos, STRESS_MSGS);
	assert_int_equal(st.read_pos, STRESS_MSGS);
	assert_true(st.high_water <= 4096);
	drop_segment();
}

/* Consumer child: reads `limit` messages then exits with 0, or is killed. */
static pid_t spawn_consumer(uint64_t from, uint64_t limit)
{
	pid_t p = fork();
	if (p != 0)
		return p;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct shm_segment s;
	if (shm_segment_attach(&s, g_inst, 1000, NULL))
		_exit(2);
	struct shm_ring c;
	shm_ring_consumer_attach(&c, shm_segment_region(&s, &s.dir[0]));
	uint64_t bad = 0;
	consume(&c, from, limit, &bad);
	_exit(bad ? 1 : 0);
}

static void test_ring_consumer_killed_and_restarted_loses_and_repeats_nothing(void **state)
{
	(void)state;
	const uint64_t total = 2000000;
	make_segment(1024);
	pid_t p = spawn_producer(0, total);
	/* first consumer: killed at some point mid-stream */
	pid_t c1 = spawn_consumer(0, total);
	usleep(20000);
	kill(c1, SIGKILL);
	waitpid(c1, NULL, 0);
	/* resume: a new consumer attaches and starts at the published read position */
	struct shm_ring c;
	shm_ring_consumer_attach(&c, shm_segment_region(&g_seg, &g_seg.dir[0]));
	uint64_t resume_at = c.pos;
	assert_true(resume_at <= total);
	uint64_t bad = 0;
	uint64_t got = consume(&c, resume_at, total - resume_at, &bad);
	waitpid(p, NULL, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(resume_at + got, total);
	assert_int_equal(
		shm_ring_check(shm_segment_region(&g_seg, &g_seg.dir[0]), g_seg.dir[0].size, NULL),
		0);
	drop_segment();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_ring_across_processes_delivers_millions_exactly_once_in_order),
		cmocka_unit_test(test_ring_consumer_killed_and_restarted_loses_and_repeats_nothing),
	};
	return cmocka_run_group_tests_name("shm_ring_procs", tests, NULL, NULL);
}
