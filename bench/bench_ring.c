/*
 * bench_ring.c — `alluse-bench ring`: our SPSC ring between two pinned processes,
 * against the physical limit (c2c), Concurrency Kit's ck_ring, and the kernel's
 * pipe, AF_UNIX socket and eventfd. Method and labels: docs/bench.md.
 *
 * Process model: the parent creates a scratch segment (alluse.bench-<pid>), then for
 * each measurement forks two children pinned to the two CPUs (plus, for the
 * inspected run, an unpinned read-only inspector). The children attach the segment
 * by name as real processes do, meet at a start barrier, busy-spin through the
 * measurement and leave their result in a small anonymous shared mapping (the
 * control block) that the parent accumulates. The rows that are compared with each
 * other run interleaved in rounds (struct run). This file is the only place in the
 * project where processes busy-spin without an idle strategy.
 *
 * Safety: children die with the parent (PR_SET_PDEATHSIG), each arms a watchdog
 * (alarm) sized to its measurement, the parent kills the partner of a child that
 * failed, and the segment is unlinked on every exit path and on SIGINT/SIGTERM/SIGHUP.
 */
#include "bench/bench_report.h"
#include "bench/bench_util.h"

#include "rt/rt_atomic.h"
#include "rt/rt_clock.h"
#include "rt/rt_cpu.h"
#include "rt/rt_err.h"
#include "rt/rt_hist.h"
#include "shm/shm_layout.h"
#include "shm/shm_ring.h"
#include "shm/shm_segment.h"

#include <ck_ring.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The 64-byte message every row moves (eventfd moves its 8-byte counter instead). */
struct bench_msg {
	uint64_t seq; /* consecutive from 0 in each measurement; every receiver checks it */
	uint8_t payload[56];
};
_Static_assert(sizeof(struct bench_msg) == SHM_RING_SLOT, "a message fills one ring slot");

CK_RING_PROTOTYPE(bench_msg, bench_msg)

/* Ring geometry. Latency rings only ever hold one message. The throughput rings have
 * the default quote-ring capacity (shm.quote_ring_capacity = 65536 slots, 4 MiB):
 * the figure depends on it, because a ring larger than L2 (1 MiB here) is staged
 * through L3 instead of being pulled line by line out of the producer's L2; 4096
 * slots measured ~40-170 M msg/s against ~250-380 M for 65536 (docs/bench.md). */
#define LAT_CAP 1024u
#define TPUT_CAP 65536u
#define BATCH 32u
/* The ck_ring header (136 bytes) sits at the start of a scratch ring's slot area,
 * its by-value buffer 256 bytes further (both 128-byte aligned). */
#define CK_HDR_SPACE 256u

enum region_id {
	R_C2C,
	R_PING,
	R_PONG,
	R_TPUT,
	R_CK_PING,
	R_CK_PONG,
	R_CK_TPUT,
	R_COUNT,
};
static const char *const REGION_NAMES[R_COUNT] = {"c2c",     "ring.ping", "ring.pong", "ring.tput",
						  "ck.ping", "ck.pong",   "ck.tput"};

/* Control block: an anonymous MAP_SHARED mapping inherited by the children. The two
 * barrier words are written by different processes, so they sit 128 bytes apart. */
struct ctl {
	uint32_t ready_a; /* side A attached and pinned */
	uint8_t pad0[124];
	uint32_t ready_b; /* side B attached and pinned */
	uint8_t pad1[124];
	uint32_t stop; /* parent -> inspector */
	uint8_t pad2[124];
	/* results, written by the child that measures */
	uint64_t count; /* samples or messages measured */
	uint64_t t0, t1; /* TSC at the start and the end of the measured window */
	uint64_t polls; /* inspector: stats reads */
	int64_t nivcsw[2]; /* involuntary context switches of each measuring side */
	uint64_t cpu_ns[2]; /* CPU time of each measuring side from the barrier on */
	uint64_t wall_ns[2]; /* wall time of each measuring side from the barrier on */
	char err[3][256]; /* per child: why it failed */
	struct rt_hist hist;
};

/* What a child needs to run its role. */
struct child {
	int idx; /* 0 = side A (measures), 1 = side B (echoes), 2 = inspector */
	int cpu; /* -1: not pinned */
	struct ctl *ctl;
	struct shm_segment seg;
	uint8_t *region[R_COUNT];
	const struct run *run;
	/* at the start barrier: CPU time, wall time, involuntary switches so far */
	struct timespec cpu0;
	uint64_t wall0;
	long nivcsw0;
};

typedef int (*role_fn)(struct child *c);

enum run_kind { RUN_SPIN_LAT, RUN_SYS_LAT, RUN_TPUT };

/* One row of the table. The rows of a group are measured interleaved, round by
 * round with a rotating order, and each row accumulates its rounds: on a shared VM
 * the host may move our vCPUs between runs (c2c alone moves between ~30 and ~60 ns
 * one-way), and interleaving makes such a change hit the baseline and the rows
 * compared with it alike. */
struct run {
	const char *label;
	role_fn side[2];
	role_fn inspector; /* NULL: two processes only */
	enum run_kind kind;
	int group;
	const char *ratio_vs; /* throughput: the row its ratio is taken against */
	const char *note;
	uint64_t total; /* samples or messages over all rounds */
	uint64_t warm, n; /* this round: warm-up round trips / messages, then measured */
	unsigned watchdog_s; /* this round */
	int fds[4]; /* this round: pipe/socket/eventfd descriptors, -1 unused */
	/* accumulated over the rounds */
	struct rt_hist *hist;
	uint64_t count;
	double secs, steal_ms;
	double round_per_s[BENCH_MAX_ROUNDS]; /* throughput of each round */
	uint64_t cpu_ns[2], wall_ns[2]; /* per side, summed over the rounds */
	int64_t nivcsw;
	uint64_t polls;
};

static struct {
	struct rt_tsc tsc;
	char instance[32];
	char seg_path[96];
	pid_t parent;
} G;

/* ---- signals and cleanup -------------------------------------------------------- */

static void on_fatal_signal(int sig)
{
	/* unlink(2) and raise(3) are async-signal-safe: remove the segment, then die of
	 * the same signal so the shell sees it */
	if (G.seg_path[0])
		unlink(G.seg_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int FATAL_SIGNALS[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void install_parent_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(FATAL_SIGNALS) / sizeof(FATAL_SIGNALS[0]); i++)
		sigaction(FATAL_SIGNALS[i], &sa, NULL);
}

static void restore_default_signals(void)
{
	for (size_t i = 0; i < sizeof(FATAL_SIGNALS) / sizeof(FATAL_SIGNALS[0]); i++)
		signal(FATAL_SIGNALS[i], SIG_DFL);
	signal(SIGALRM, SIG_DFL);
}

/* ---- helpers used by the roles ---------------------------------------------------- */

static int child_fail(struct child *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int child_fail(struct child *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->ctl->err[c->idx], sizeof(c->ctl->err[0]), fmt, ap);
	va_end(ap);
	return 1;
}

/* Both measuring sides spin here until the other has attached and pinned. */
static void barrier(struct child *c)
{
	uint32_t *mine = c->idx == 0 ? &c->ctl->ready_a : &c->ctl->ready_b;
	uint32_t *theirs = c->idx == 0 ? &c->ctl->ready_b : &c->ctl->ready_a;
	/* release: everything this side set up is done before the other side starts */
	rt_store_rel_u32(mine, 1);
	while (rt_load_acq_u32(theirs) != 1)
		rt_cpu_relax();
	/* disturbance is accounted from here: set-up (fork, attach, pin) is not measured */
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	c->nivcsw0 = ru.ru_nivcsw;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c->cpu0);
	c->wall0 = rt_clock_now_ns();
}

/* One-way ns from a round trip in TSC ticks, rounded. */
static inline uint64_t one_way_ns(uint64_t ticks)
{
	return bench_one_way_ns(&G.tsc, ticks);
}

/* The spin-wait used by every busy-spin row alike (see docs/bench.md, "spin"). */
#define SPIN() rt_cpu_relax()

static inline uint64_t *c2c_word(struct child *c, int dir)
{
	/* two words in the scratch ring's slot area, 128 bytes apart (pad by writer) */
	return (uint64_t *)(c->region[R_C2C] + SHM_RING_HDR_SIZE + (size_t)dir * 128);
}

static inline struct ck_ring *ck_of(struct child *c, int r)
{
	return (struct ck_ring *)(c->region[r] + SHM_RING_HDR_SIZE);
}

static inline struct bench_msg *ck_buf(struct child *c, int r)
{
	return (struct bench_msg *)(c->region[r] + SHM_RING_HDR_SIZE + CK_HDR_SPACE);
}

/* ---- c2c: raw cache-line ping-pong ----------------------------------------------------- */

/* The loops are bench_util's, shared with alluse-bench e2e. Every round starts from 1:
 * the words keep the previous round's last value, which is never 1. */
static int c2c_ping(struct child *c)
{
	barrier(c);
	bench_c2c_ping(c2c_word(c, 0), c2c_word(c, 1), 1, c->run->warm, c->run->n, &c->ctl->hist,
		       &G.tsc);
	c->ctl->count = c->run->n;
	return 0;
}

static int c2c_pong(struct child *c)
{
	barrier(c);
	bench_c2c_pong(c2c_word(c, 0), c2c_word(c, 1), 1, c->run->warm + c->run->n);
	return 0;
}

/* ---- ring: the same ping-pong through two of our rings ------------------------------------ */

static int ring_ping(struct child *c)
{
	struct shm_ring tx, rx;
	shm_ring_producer_attach(&tx, c->region[R_PING]);
	shm_ring_consumer_attach(&rx, c->region[R_PONG]);
	struct rt_hist *h = &c->ctl->hist;
	uint64_t warm = c->run->warm, total = warm + c->run->n;
	struct bench_msg m;
	memset(&m, 0, sizeof(m));
	barrier(c);
	for (uint64_t i = 0; i < total; i++) {
		m.seq = i;
		uint64_t t0 = rt_tsc_read();
		while (shm_ring_push_spsc(&tx, &m) != 0)
			SPIN();
		const struct bench_msg *r;
		while (!(r = shm_ring_peek_spsc(&rx)))
			SPIN();
		uint64_t seq = r->seq;
		shm_ring_release_spsc(&rx, 1);
		uint64_t t1 = rt_tsc_read();
		if (seq != i)
			return child_fail(c, "reply %llu carries sequence %llu",
					  (unsigned long long)i, (unsigned long long)seq);
		if (i >= warm)
			rt_hist_record(h, one_way_ns(t1 - t0));
	}
	c->ctl->count = c->run->n;
	return 0;
}

static int ring_pong(struct child *c)
{
	struct shm_ring tx, rx;
	shm_ring_consumer_attach(&rx, c->region[R_PING]);
	shm_ring_producer_attach(&tx, c->region[R_PONG]);
	uint64_t total = c->run->warm + c->run->n;
	barrier(c);
	for (uint64_t i = 0; i < total; i++) {
		const struct bench_msg *r;
		while (!(r = shm_ring_peek_spsc(&rx)))
			SPIN();
		/* echo straight from the slot (zero-copy consume), then free it */
		while (shm_ring_push_spsc(&tx, r) != 0)
			SPIN();
		shm_ring_release_spsc(&rx, 1);
	}
	return 0;
}

/* ---- ring-batch-throughput ------------------------------------------------------------------ */

static int tput_producer(struct child *c)
{
	struct shm_ring tx;
	shm_ring_producer_attach(&tx, c->region[R_TPUT]);
	uint64_t total = c->run->warm + c->run->n, next = 0;
	static struct bench_msg batch[BATCH];
	memset(batch, 0, sizeof(batch));
	barrier(c);
	while (next < total) {
		uint32_t want = total - next < BATCH ? (uint32_t)(total - next) : BATCH;
		for (uint32_t j = 0; j < want; j++)
			batch[j].seq = next + j;
		uint32_t k = shm_ring_push_batch_spsc(&tx, batch, want);
		if (!k)
			SPIN();
		next += k;
	}
	return 0;
}

/* Verify every message's sequence; time from the end of the warm-up to the last one. */
static int tput_consumer(struct child *c)
{
	struct shm_ring rx;
	shm_ring_consumer_attach(&rx, c->region[R_TPUT]);
	uint64_t warm = c->run->warm, total = warm + c->run->n, expect = 0, from = 0, t0 = 0;
	static struct bench_msg in[BATCH];
	barrier(c);
	if (warm == 0)
		t0 = rt_tsc_read();
	while (expect < total) {
		uint32_t k = shm_ring_pop_batch_spsc(&rx, in, BATCH);
		if (!k) {
			SPIN();
			continue;
		}
		for (uint32_t j = 0; j < k; j++)
			if (in[j].seq != expect + j)
				return child_fail(c, "message %llu carries sequence %llu",
						  (unsigned long long)(expect + j),
						  (unsigned long long)in[j].seq);
		expect += k;
		if (!t0 && expect >= warm) {
			t0 = rt_tsc_read();
			from = expect;
		}
	}
	uint64_t t1 = rt_tsc_read();
	c->ctl->t0 = t0;
	c->ctl->t1 = t1;
	c->ctl->count = total - from;
	return 0;
}

/* ring-throughput: one push and one pop per message, the API shape of
 * ck_ring-throughput, so the two compare like with like. */
static int tput1_producer(struct child *c)
{
	struct shm_ring tx;
	shm_ring_producer_attach(&tx, c->region[R_TPUT]);
	uint64_t total = c->run->warm + c->run->n;
	struct bench_msg m;
	memset(&m, 0, sizeof(m));
	barrier(c);
	for (uint64_t i = 0; i < total; i++) {
		m.seq = i;
		while (shm_ring_push_spsc(&tx, &m) != 0)
			SPIN();
	}
	return 0;
}

static int tput1_consumer(struct child *c)
{
	struct shm_ring rx;
	shm_ring_consumer_attach(&rx, c->region[R_TPUT]);
	uint64_t warm = c->run->warm, total = warm + c->run->n, t0 = 0;
	struct bench_msg m;
	barrier(c);
	for (uint64_t i = 0; i < total; i++) {
		if (i == warm)
			t0 = rt_tsc_read();
		while (shm_ring_pop_spsc(&rx, &m) != 0)
			SPIN();
		if (m.seq != i)
			return child_fail(c, "message %llu carries sequence %llu",
					  (unsigned long long)i, (unsigned long long)m.seq);
	}
	c->ctl->t0 = t0;
	c->ctl->t1 = rt_tsc_read();
	c->ctl->count = c->run->n;
	return 0;
}

/* Reads the throughput ring's statistics every 10 ms from a read-only mapping, as
 * `alluse-shm` does, until the parent says stop. */
static int tput_inspector(struct child *c)
{
	struct shm_segment ro;
	struct rt_err err = {0};
	int rc = shm_segment_attach_readonly(&ro, G.instance, 1000, &err);
	if (rc)
		return child_fail(c, "inspector: attach read-only: %s", err.msg);
	const struct shm_dir_entry *e = shm_segment_find_name(&ro, REGION_NAMES[R_TPUT]);
	if (!e) {
		shm_segment_detach(&ro);
		return child_fail(c, "inspector: no region '%s'", REGION_NAMES[R_TPUT]);
	}
	const void *region = shm_segment_region(&ro, e);
	uint64_t last_write = 0;
	while (!rt_load_acq_u32(&c->ctl->stop)) {
		struct shm_ring_stats st;
		shm_ring_stats_read(region, &st);
		if (st.write_pos < last_write || st.read_pos > st.write_pos ||
		    st.high_water > st.capacity) {
			shm_segment_detach(&ro);
			return child_fail(
				c,
				"inspector: inconsistent stats (write %llu after %llu, read %llu, "
				"high water %llu)",
				(unsigned long long)st.write_pos, (unsigned long long)last_write,
				(unsigned long long)st.read_pos, (unsigned long long)st.high_water);
		}
		last_write = st.write_pos;
		rt_store_rlx_u64(&c->ctl->polls, rt_load_rlx_u64(&c->ctl->polls) + 1);
		rt_clock_sleep_ns(10 * 1000000ull);
	}
	shm_segment_detach(&ro);
	return 0;
}

/* ---- ck_ring: the same two measurements with Concurrency Kit ------------------------------- */

static int ck_ping(struct child *c)
{
	struct ck_ring *tx = ck_of(c, R_CK_PING), *rx = ck_of(c, R_CK_PONG);
	struct bench_msg *txb = ck_buf(c, R_CK_PING), *rxb = ck_buf(c, R_CK_PONG);
	struct rt_hist *h = &c->ctl->hist;
	uint64_t warm = c->run->warm, total = warm + c->run->n;
	struct bench_msg m, r;
	memset(&m, 0, sizeof(m));
	barrier(c);
	for (uint64_t i = 0; i < total; i++) {
		m.seq = i;
		uint64_t t0 = rt_tsc_read();
		while (!ck_ring_enqueue_spsc_bench_msg(tx, txb, &m))
			SPIN();
		while (!ck_ring_dequeue_spsc_bench_msg(rx, rxb, &r))
			SPIN();
		uint64_t t1 = rt_tsc_read();
		if (r.seq != i)
			return child_fail(c, "reply %llu carries sequence %llu",
					  (unsigned long long)i, (unsigned long long)r.seq);
		if (i >= warm)
			rt_hist_record(h, one_way_ns(t1 - t0));
	}
	c->ctl->count = c->run->n;
	return 0;
}

static int ck_pong(struct child *c)
{
	struct ck_ring *rx = ck_of(c, R_CK_PING), *tx = ck_of(c, R_CK_PONG);
	struct bench_msg *rxb = ck_buf(c, R_CK_PING), *txb = ck_buf(c, R_CK_PONG);
	uint64_t total = c->run->warm + c->run->n;
	struct bench_msg m;
	barrier(c);
	for (uint64_t i = 0; i < total; i++) {
		while (!ck_ring_dequeue_spsc_bench_msg(rx, rxb, &m))
			SPIN();
		while (!ck_ring_enqueue_spsc_bench_msg(tx, txb, &m))
			SPIN();
	}
	return 0;
}

static int ck_tput_producer(struct child *c)
{
	struct ck_ring *tx = ck_of(c, R_CK_TPUT);
	struct bench_msg *txb = ck_buf(c, R_CK_TPUT);
	uint64_t total = c->run->warm + c->run->n;
	struct bench_msg m;
	memset(&m, 0, sizeof(m));
	barrier(c);
	for (uint64_t i = 0; i < total; i++) {
		m.seq = i;
		while (!ck_ring_enqueue_spsc_bench_msg(tx, txb, &m))
			SPIN();
	}
	return 0;
}

static int ck_tput_consumer(struct child *c)
{
	struct ck_ring *rx = ck_of(c, R_CK_TPUT);
	struct bench_msg *rxb = ck_buf(c, R_CK_TPUT);
	uint64_t warm = c->run->warm, total = warm + c->run->n, t0 = 0;
	struct bench_msg m;
	barrier(c);
	for (uint64_t i = 0; i < total; i++) {
		if (i == warm)
			t0 = rt_tsc_read();
		while (!ck_ring_dequeue_spsc_bench_msg(rx, rxb, &m))
			SPIN();
		if (m.seq != i)
			return child_fail(c, "message %llu carries sequence %llu",
					  (unsigned long long)i, (unsigned long long)m.seq);
	}
	c->ctl->t0 = t0;
	c->ctl->t1 = rt_tsc_read();
	c->ctl->count = c->run->n;
	return 0;
}

/* ---- kernel peers: pipe, AF_UNIX socket, eventfd (blocking) ---------------------------------- */

static int read_full(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EPIPE;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n) {
		ssize_t r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* fds: [0] A writes, [1] B reads, [2] B writes, [3] A reads; msg_size 64 or 8. */
static int fd_ping(struct child *c, size_t size)
{
	const int *fd = c->run->fds;
	struct rt_hist *h = &c->ctl->hist;
	uint64_t warm = c->run->warm, total = warm + c->run->n;
	struct bench_msg m, r;
	memset(&m, 0, sizeof(m));
	barrier(c);
	for (uint64_t i = 0; i < total; i++) {
		m.seq = size == 8 ? 1 : i; /* eventfd adds the counter: write 1, read 1 */
		uint64_t t0 = rt_tsc_read();
		int rc = write_full(fd[0], &m, size);
		if (!rc)
			rc = read_full(fd[3], &r, size);
		uint64_t t1 = rt_tsc_read();
		if (rc)
			return child_fail(c, "round trip %llu: %s", (unsigned long long)i,
					  strerror(-rc));
		if (r.seq != m.seq)
			return child_fail(c, "reply %llu carries %llu", (unsigned long long)m.seq,
					  (unsigned long long)r.seq);
		if (i >= warm)
			rt_hist_record(h, one_way_ns(t1 - t0));
	}
	c->ctl->count = c->run->n;
	return 0;
}

static int fd_pong(struct child *c, size_t size)
{
	const int *fd = c->run->fds;
	uint64_t total = c->run->warm + c->run->n;
	struct bench_msg m;
	memset(&m, 0, sizeof(m));
	barrier(c);
	for (uint64_t i = 0; i < total; i++) {
		int rc = read_full(fd[1], &m, size);
		if (!rc)
			rc = write_full(fd[2], &m, size);
		if (rc)
			return child_fail(c, "round trip %llu: %s", (unsigned long long)i,
					  strerror(-rc));
	}
	return 0;
}

static int msg_ping(struct child *c)
{
	return fd_ping(c, sizeof(struct bench_msg));
}
static int msg_pong(struct child *c)
{
	return fd_pong(c, sizeof(struct bench_msg));
}
static int efd_ping(struct child *c)
{
	return fd_ping(c, sizeof(uint64_t));
}
static int efd_pong(struct child *c)
{
	return fd_pong(c, sizeof(uint64_t));
}

/* ---- the parent: fork, watch, collect ----------------------------------------------------------- */

static void close_fds(struct run *run)
{
	for (int i = 0; i < 4; i++) {
		/* a socketpair end may appear twice (A writes and reads the same socket) */
		for (int j = i + 1; j < 4; j++)
			if (run->fds[j] == run->fds[i])
				run->fds[j] = -1;
		if (run->fds[i] >= 0)
			close(run->fds[i]);
		run->fds[i] = -1;
	}
}

static void __attribute__((noreturn)) child_main(struct child *c, role_fn fn)
{
	/* die with the parent: nothing may be left spinning on a CPU */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != G.parent)
		_exit(1);
	restore_default_signals();
	alarm(c->run->watchdog_s);
	struct rt_err err = {0};
	if (c->cpu >= 0 && rt_cpu_pin(c->cpu, &err) != 0)
		_exit(child_fail(c, "%s", err.msg));
	if (c->idx < 2) {
		int rc = shm_segment_attach(&c->seg, G.instance, 1000, &err);
		if (rc)
			_exit(child_fail(c, "attach: %s", err.msg));
		for (int r = 0; r < R_COUNT; r++) {
			const struct shm_dir_entry *e =
				shm_segment_find_name(&c->seg, REGION_NAMES[r]);
			if (!e)
				_exit(child_fail(c, "attach: no region '%s'", REGION_NAMES[r]));
			c->region[r] = shm_segment_region(&c->seg, e);
		}
	}
	int rc = fn(c);
	if (c->idx < 2 && c->wall0) {
		/* how much of the run this process actually held its CPU: a busy-spin side
		 * below ~100% was descheduled for another task, and its figures show it */
		struct rusage ru;
		struct timespec cpu1;
		uint64_t wall = rt_clock_now_ns() - c->wall0;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
		getrusage(RUSAGE_SELF, &ru);
		c->ctl->nivcsw[c->idx] = ru.ru_nivcsw - c->nivcsw0;
		c->ctl->cpu_ns[c->idx] = (uint64_t)((cpu1.tv_sec - c->cpu0.tv_sec) * 1000000000ll +
						    (cpu1.tv_nsec - c->cpu0.tv_nsec));
		c->ctl->wall_ns[c->idx] = wall;
	}
	shm_segment_detach(&c->seg);
	_exit(rc);
}

static const char *role_name(int idx)
{
	return idx == 0 ? "side A" : idx == 1 ? "side B" : "inspector";
}

/* Run one measurement to completion. 0, or 1 with the reason printed. */
static int measure(struct run *run, struct ctl *ctl, const struct bench_opts *o)
{
	memset(ctl, 0, offsetof(struct ctl, hist));
	rt_hist_init(&ctl->hist);
	pid_t pid[3] = {-1, -1, -1};
	int nproc = run->inspector ? 3 : 2;
	fflush(stdout);
	fflush(stderr);
	/* the inspector first: it is attached and polling before the measured run starts */
	static const int order[3] = {2, 0, 1};
	for (int k = run->inspector ? 0 : 1; k < 3; k++) {
		int i = order[k];
		struct child c;
		memset(&c, 0, sizeof(c));
		c.idx = i;
		c.cpu = i < 2 ? o->cpus[i] : -1;
		c.ctl = ctl;
		c.run = run;
		pid[i] = fork();
		if (pid[i] == 0)
			child_main(&c, i < 2 ? run->side[i] : run->inspector);
		if (pid[i] < 0) {
			fprintf(stderr, "\nalluse-bench ring: %s: fork: %s\n", run->label,
				strerror(errno));
			for (int j = 0; j < 3; j++)
				if (pid[j] > 0)
					kill(pid[j], SIGKILL);
			for (int j = 0; j < 3; j++)
				if (pid[j] > 0)
					waitpid(pid[j], NULL, 0);
			close_fds(run);
			return 1;
		}
		if (i == 2) {
			uint64_t deadline = rt_clock_now_ns() + 5000000000ull;
			while (rt_load_rlx_u64(&ctl->polls) == 0 && rt_clock_now_ns() < deadline &&
			       waitpid(pid[2], NULL, WNOHANG) == 0)
				rt_clock_sleep_ns(1000000);
			if (rt_load_rlx_u64(&ctl->polls) == 0) {
				fprintf(stderr, "alluse-bench ring: %s: inspector: %s\n",
					run->label,
					ctl->err[2][0] ? ctl->err[2] : "not polling after 5 s");
				kill(pid[2], SIGKILL);
				waitpid(pid[2], NULL, 0);
				close_fds(run);
				return 1;
			}
		}
	}
	close_fds(run);

	int failed = 0, running = nproc, measuring = 2;
	while (running) {
		int st;
		pid_t p = waitpid(-1, &st, 0);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		int i = p == pid[0] ? 0 : p == pid[1] ? 1 : p == pid[2] ? 2 : -1;
		if (i < 0)
			continue;
		pid[i] = -1;
		running--;
		int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (!ok && !failed) {
			failed = 1;
			fputc('\n', stderr); /* end the progress line */
			if (ctl->err[i][0])
				fprintf(stderr, "alluse-bench ring: %s: %s: %s\n", run->label,
					role_name(i), ctl->err[i]);
			else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
				fprintf(stderr,
					"alluse-bench ring: %s: %s: watchdog fired: not done after "
					"%u s\n",
					run->label, role_name(i), run->watchdog_s);
			else if (WIFSIGNALED(st))
				fprintf(stderr,
					"alluse-bench ring: %s: %s: killed by signal %d (%s)\n",
					run->label, role_name(i), WTERMSIG(st),
					strsignal(WTERMSIG(st)));
			else
				fprintf(stderr, "alluse-bench ring: %s: %s: exit status %d\n",
					run->label, role_name(i), WEXITSTATUS(st));
			for (int j = 0; j < 3; j++)
				if (pid[j] > 0)
					kill(pid[j], SIGKILL);
		}
		if (i < 2 && --measuring == 0)
			/* release: both measuring sides are done; the inspector may go */
			rt_store_rel_u32(&ctl->stop, 1);
	}
	return failed;
}

/* ---- setup, the run list, verdicts ------------------------------------------------------------- */

static int make_segment(struct shm_segment *seg, struct rt_err *err)
{
	struct shm_plan plan;
	memset(&plan, 0, sizeof(plan));
	static const uint64_t caps[R_COUNT] = {
		[R_C2C] = 8,
		[R_PING] = LAT_CAP,
		[R_PONG] = LAT_CAP,
		[R_TPUT] = TPUT_CAP,
		/* ck: header space + buffer of the same slot count as ours */
		[R_CK_PING] = LAT_CAP * 2,
		[R_CK_PONG] = LAT_CAP * 2,
		[R_CK_TPUT] = TPUT_CAP * 2,
	};
	for (int r = 0; r < R_COUNT; r++) {
		int rc = shm_plan_add(&plan, SHM_KIND_RING, SHM_ROLE_SCRATCH, (uint32_t)r,
				      REGION_NAMES[r], caps[r], err);
		if (rc)
			return rc;
	}
	struct shm_create_opts opts = {.mode = 0600};
	int rc = shm_segment_create(seg, G.instance, &plan, &opts, err);
	if (rc)
		return rc;
	snprintf(G.seg_path, sizeof(G.seg_path), "%s", seg->path);
	static const uint32_t ck_caps[3] = {LAT_CAP, LAT_CAP, TPUT_CAP};
	for (int k = 0; k < 3; k++) {
		const struct shm_dir_entry *e =
			shm_segment_find_name(seg, REGION_NAMES[R_CK_PING + k]);
		uint8_t *base = (uint8_t *)shm_segment_region(seg, e) + SHM_RING_HDR_SIZE;
		ck_ring_init((struct ck_ring *)base, ck_caps[k]);
	}
	shm_segment_publish(seg);
	return 0;
}

static int open_pair(const char *label, int fds[4])
{
	for (int i = 0; i < 4; i++)
		fds[i] = -1;
	int a[2], b[2];
	if (strcmp(label, "pipe") == 0) {
		if (pipe(a) != 0)
			return -errno;
		if (pipe(b) != 0) {
			int e = errno;
			close(a[0]);
			close(a[1]);
			return -e;
		}
		fds[0] = a[1], fds[1] = a[0], fds[2] = b[1], fds[3] = b[0];
	} else if (strcmp(label, "unix-socket") == 0) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, a) != 0)
			return -errno;
		fds[0] = fds[3] = a[0];
		fds[1] = fds[2] = a[1];
	} else {
		fds[0] = fds[1] = eventfd(0, 0);
		fds[2] = fds[3] = eventfd(0, 0);
		if (fds[0] < 0 || fds[2] < 0) {
			int e = errno;
			if (fds[0] >= 0)
				close(fds[0]);
			if (fds[2] >= 0)
				close(fds[2]);
			return -e;
		}
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Median over rounds of run's rate / its ratio_vs partner's rate in the same round.
 * Rounds are interleaved, so each pair ran seconds apart: the host's slow spells
 * (a whole round at a fraction of the usual rate, both rows alike) cancel out. */
static double paired_ratio(const struct run *run, const struct run *runs, size_t nruns,
			   uint32_t rounds)
{
	const struct run *vs = NULL;
	for (size_t i = 0; i < nruns; i++)
		if (strcmp(runs[i].label, run->ratio_vs) == 0)
			vs = &runs[i];
	double q[BENCH_MAX_ROUNDS];
	uint32_t n = 0;
	for (uint32_t r = 0; vs && r < rounds; r++)
		if (vs->round_per_s[r] > 0)
			q[n++] = run->round_per_s[r] / vs->round_per_s[r];
	if (!n)
		return 0;
	qsort(q, n, sizeof(q[0]), cmp_double);
	return n % 2 ? q[n / 2] : (q[n / 2 - 1] + q[n / 2]) / 2;
}

static double secs_of(uint64_t t0, uint64_t t1)
{
	return (double)(t1 - t0) * G.tsc.ns_per_tick * 1e-9;
}

static void print_verdicts(struct bench_report *rep)
{
	const struct bench_row *c2c = bench_report_find(rep, "c2c");
	const struct bench_row *ring = bench_report_find(rep, "ring");
	const struct bench_row *ck = bench_report_find(rep, "ck_ring");
	const struct bench_row *pipe_ = bench_report_find(rep, "pipe");
	const struct bench_row *tput = bench_report_find(rep, "ring-batch-throughput");
	const struct bench_row *ckt = bench_report_find(rep, "ck_ring-throughput");
	const struct bench_row *one = bench_report_find(rep, "ring-throughput");
	const struct bench_row *insp = bench_report_find(rep, "ring-batch-throughput-inspected");
	if (c2c && ring) {
		double r50 = (double)ring->p50_ns / (double)c2c->p50_ns;
		bench_report_check(rep, "ring p50 <= 1.5x c2c p50", r50, 1.5, 0, 0, ring, c2c);
		bench_report_check(rep, "ring p50 <= 1.2x c2c p50 (stretch)", r50, 1.2, 0, 1, ring,
				   c2c);
		bench_report_check(rep, "ring p99 <= 2x c2c p99",
				   (double)ring->p99_ns / (double)c2c->p99_ns, 2.0, 0, 0, ring,
				   c2c);
		bench_report_check(rep, "ring p99.9 <= 3x c2c p99.9",
				   (double)ring->p999_ns / (double)c2c->p999_ns, 3.0, 0, 0, ring,
				   c2c);
	}
	if (tput) {
		bench_report_check(rep, "ring-batch-throughput >= 50 M msg/s", tput->per_s, 50e6, 1,
				   0, tput, NULL);
		bench_report_check(rep, "ring-batch-throughput >= 100 M msg/s (stretch)",
				   tput->per_s, 100e6, 1, 1, tput, NULL);
	}
	if (ring && pipe_)
		bench_report_check(rep, "pipe p50 / ring p50 >= 50",
				   (double)pipe_->p50_ns / (double)ring->p50_ns, 50, 1, 0, ring,
				   pipe_);
	if (tput && insp)
		bench_report_check(rep, "inspected / plain throughput >= 0.95 (inspector harmless)",
				   bench_report_ratio_rate(rep, insp->label, tput->label), 0.95, 1,
				   0, insp, tput);
	bench_report_print(rep, stdout);
	if ((ring && ck) || (tput && ckt))
		printf("\nours vs ck_ring, same run:\n");
	if (ring && ck)
		printf("  latency (one-way ns, ours / ck):  p50 %llu / %llu = %.2f   p99 %llu / "
		       "%llu = "
		       "%.2f   p99.9 %llu / %llu = %.2f   mean %.1f / %.1f = %.2f\n",
		       (unsigned long long)ring->p50_ns, (unsigned long long)ck->p50_ns,
		       (double)ring->p50_ns / (double)ck->p50_ns, (unsigned long long)ring->p99_ns,
		       (unsigned long long)ck->p99_ns, (double)ring->p99_ns / (double)ck->p99_ns,
		       (unsigned long long)ring->p999_ns, (unsigned long long)ck->p999_ns,
		       (double)ring->p999_ns / (double)ck->p999_ns, ring->mean_ns, ck->mean_ns,
		       ring->mean_ns / ck->mean_ns);
	if (tput && ckt)
		printf("  throughput, batched: ring-batch-throughput %.1f vs ck_ring-throughput "
		       "%.1f M "
		       "msg/s, ours / ck = %.2f\n",
		       tput->per_s / 1e6, ckt->per_s / 1e6,
		       1.0 / bench_report_ratio_rate(rep, ckt->label, tput->label));
	if (one && ckt)
		printf("  throughput, one op per message: ring-throughput %.1f vs "
		       "ck_ring-throughput "
		       "%.1f M msg/s, ours / ck = %.2f\n",
		       one->per_s / 1e6, ckt->per_s / 1e6,
		       bench_report_ratio_rate(rep, one->label, ckt->label));
	if (tput || one)
		printf("  (throughput ratios: median over rounds of the per-round ratio)\n");
}

int bench_ring_run(const struct bench_opts *o)
{
	int ncpu = rt_cpu_count();
	if (ncpu < 2 || o->cpus[0] < 0 || o->cpus[1] < 0) {
		fprintf(stderr,
			"alluse-bench ring: needs 2 CPUs for the two pinned processes, this "
			"process may use %d: skipped\n",
			ncpu);
		return 77;
	}
	if (rt_tsc_calibrate(&G.tsc, 100) != 0) {
		fprintf(stderr,
			"alluse-bench ring: this CPU has no invariant TSC, which the latency "
			"rows time with: skipped\n");
		return 77;
	}
	G.parent = getpid();
	snprintf(G.instance, sizeof(G.instance), "bench-%d", (int)G.parent);

	double rep_tsc_step_ns = bench_tsc_step_ns(&G.tsc);
	uint64_t lat_n = o->samples ? o->samples : o->quick ? 100000 : 1000000;
	uint64_t sys_n = lat_n / 10 < 1000 ? 1000 : lat_n / 10;
	uint64_t msgs = o->quick ? 5000000 : 100000000;
	/* rounds per group and the warm-up each round starts with (new processes) */
	const struct {
		int rounds;
		uint64_t warm;
	} groups[3] = {
		{o->quick ? 5 : 20, o->quick ? 5000 : 20000},
		{1, 0}, /* kernel rows: warm-up = n / 10; ratios of ~100x need no interleave */
		{o->quick ? 2 : 10, 0}, /* throughput: warm-up = min(n / 10, 1M) per round */
	};

#define RUN_(lbl, a, b, insp, k, g, n_, vs, nt)                                                    \
	{                                                                                          \
		.label = lbl, .side = {a, b}, .inspector = insp, .kind = k, .group = g,            \
		.total = n_, .ratio_vs = vs, .note = nt,                                           \
		.fds = { -1,                                                                       \
			 -1,                                                                       \
			 -1,                                                                       \
			 -1 }                                                                      \
	}
	struct run runs[] = {
		RUN_("c2c", c2c_ping, c2c_pong, NULL, RUN_SPIN_LAT, 0, lat_n, NULL, NULL),
		RUN_("ring", ring_ping, ring_pong, NULL, RUN_SPIN_LAT, 0, lat_n, NULL, NULL),
		RUN_("ck_ring", ck_ping, ck_pong, NULL, RUN_SPIN_LAT, 0, lat_n, NULL, NULL),
		RUN_("pipe", msg_ping, msg_pong, NULL, RUN_SYS_LAT, 1, sys_n, NULL, NULL),
		RUN_("unix-socket", msg_ping, msg_pong, NULL, RUN_SYS_LAT, 1, sys_n, NULL,
		     "SOCK_SEQPACKET"),
		RUN_("eventfd", efd_ping, efd_pong, NULL, RUN_SYS_LAT, 1, sys_n, NULL,
		     "8-byte counter"),
		RUN_("ring-batch-throughput", tput_producer, tput_consumer, NULL, RUN_TPUT, 2, msgs,
		     NULL, NULL),
		RUN_("ring-throughput", tput1_producer, tput1_consumer, NULL, RUN_TPUT, 2, msgs,
		     "ck_ring-throughput", "one push/pop per message, as ck_ring"),
		RUN_("ck_ring-throughput", ck_tput_producer, ck_tput_consumer, NULL, RUN_TPUT, 2,
		     msgs, "ring-batch-throughput", "one enqueue/dequeue per message"),
		RUN_("ring-batch-throughput-inspected", tput_producer, tput_consumer,
		     tput_inspector, RUN_TPUT, 2, msgs, "ring-batch-throughput",
		     "inspector polling every 10 ms"),
	};
#undef RUN_
	const size_t nruns = sizeof(runs) / sizeof(runs[0]);

	static struct bench_report rep;
	bench_report_init(&rep, "ring", "c2c", o->cpus, "spin");
	rep.host.tsc_step_ns = rep_tsc_step_ns;
	struct ctl *ctl = mmap(NULL, sizeof(struct ctl), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED) {
		fprintf(stderr, "alluse-bench ring: map the control block: %s\n", strerror(errno));
		return 1;
	}
	int failed = 0;
	for (size_t i = 0; i < nruns; i++) {
		if (runs[i].kind == RUN_TPUT)
			continue;
		runs[i].hist = mmap(NULL, sizeof(struct rt_hist), PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (runs[i].hist == MAP_FAILED) {
			runs[i].hist = NULL;
			failed = 1;
		} else {
			rt_hist_init(runs[i].hist);
		}
	}
	install_parent_signals();
	struct shm_segment seg;
	memset(&seg, 0, sizeof(seg));
	struct rt_err err = {0};
	int rc = failed ? -ENOMEM : make_segment(&seg, &err);
	if (rc) {
		fprintf(stderr, "alluse-bench ring: scratch segment %s: %s\n", G.instance,
			failed ? "out of memory for the histograms" : err.msg);
		failed = 1;
		goto out;
	}
	fprintf(stderr,
		"alluse-bench ring: cpus %d,%d, TSC %.3f GHz, segment %s, %llu latency samples, "
		"%llu messages per row\n",
		o->cpus[0], o->cpus[1], 1.0 / G.tsc.ns_per_tick, seg.path,
		(unsigned long long)lat_n, (unsigned long long)msgs);

	for (int g = 0; g < 3 && !failed; g++) {
		struct run *grp[8];
		int k = 0;
		for (size_t i = 0; i < nruns; i++)
			if (runs[i].group == g && k < 8)
				grp[k++] = &runs[i];
		int rounds = groups[g].rounds;
		fprintf(stderr, " ");
		for (int j = 0; j < k; j++)
			fprintf(stderr, " %s", grp[j]->label);
		fprintf(stderr, ": %d round%s ", rounds, rounds > 1 ? "s" : "");
		uint64_t w0 = rt_clock_now_ns();
		for (int r = 0; r < rounds && !failed; r++) {
			for (int j = 0; j < k && !failed; j++) {
				struct run *run = grp[(j + r) % k];
				run->n = run->total / (uint64_t)rounds +
					 ((uint64_t)r < run->total % (uint64_t)rounds);
				switch (run->kind) {
				case RUN_SPIN_LAT:
					run->warm = groups[g].warm;
					run->watchdog_s = (unsigned)(30 + run->n / 50000);
					break;
				case RUN_SYS_LAT:
					run->warm = run->n / 10;
					run->watchdog_s = (unsigned)(30 + run->n / 1000);
					break;
				case RUN_TPUT:
					run->warm = run->n / 10 < 1000000 ? run->n / 10 : 1000000;
					run->watchdog_s = (unsigned)(30 + run->n / 500000);
					break;
				}
				if (run->kind == RUN_SYS_LAT) {
					int e = open_pair(run->label, run->fds);
					if (e) {
						fprintf(stderr, "\nalluse-bench ring: %s: %s\n",
							run->label, strerror(-e));
						failed = 1;
						break;
					}
				}
				int64_t st0 = bench_steal_ticks(o->cpus[0]),
					st1 = bench_steal_ticks(o->cpus[1]);
				if (measure(run, ctl, o) != 0) {
					failed = 1;
					break;
				}
				int64_t st0e = bench_steal_ticks(o->cpus[0]),
					st1e = bench_steal_ticks(o->cpus[1]);
				if (run->kind == RUN_TPUT) {
					double secs = secs_of(ctl->t0, ctl->t1);
					run->count += ctl->count;
					run->secs += secs;
					if (r < BENCH_MAX_ROUNDS)
						run->round_per_s[r] =
							secs > 0 ? (double)ctl->count / secs : 0;
					run->polls += ctl->polls;
				} else {
					rt_hist_merge(run->hist, &ctl->hist);
				}
				run->nivcsw += ctl->nivcsw[0] + ctl->nivcsw[1];
				for (int side = 0; side < 2; side++) {
					run->cpu_ns[side] += ctl->cpu_ns[side];
					run->wall_ns[side] += ctl->wall_ns[side];
				}
				if (st0 >= 0 && st1 >= 0 && st0e >= st0 && st1e >= st1)
					run->steal_ms += (double)((st0e - st0) + (st1e - st1)) *
							 1000.0 / (double)sysconf(_SC_CLK_TCK);
			}
			fputc('.', stderr);
		}
		if (!failed)
			fprintf(stderr, " %.1f s\n", (double)(rt_clock_now_ns() - w0) * 1e-9);
	}

	for (size_t i = 0; i < nruns && !failed; i++) {
		struct run *run = &runs[i];
		struct bench_row *row;
		if (run->kind == RUN_TPUT)
			row = bench_report_add_rate(&rep, run->label, run->count, run->secs,
						    run->ratio_vs);
		else
			row = bench_report_add_latency(&rep, run->label, run->hist);
		if (!row)
			continue;
		if (run->kind == RUN_TPUT) {
			int rounds = groups[run->group].rounds;
			row->nrounds =
				(uint32_t)(rounds < BENCH_MAX_ROUNDS ? rounds : BENCH_MAX_ROUNDS);
			memcpy(row->round_per_s, run->round_per_s, sizeof(row->round_per_s));
			if (run->ratio_vs)
				row->ratio = paired_ratio(run, runs, nruns, row->nrounds);
		}
		row->note = run->note;
		row->preempted = run->nivcsw;
		row->steal_ms = run->steal_ms;
		row->cpu_share = 1e9;
		for (int side = 0; side < 2; side++) {
			double share = run->wall_ns[side] ? (double)run->cpu_ns[side] /
								    (double)run->wall_ns[side]
							  : 0;
			if (share < row->cpu_share)
				row->cpu_share = share;
		}
		row->spin = run->kind != RUN_SYS_LAT;
		if (run->inspector)
			fprintf(stderr, "  (the inspector read the ring statistics %llu times)\n",
				(unsigned long long)run->polls);
	}

out:
	bench_segment_remove("ring", &seg, G.instance, G.seg_path);
	munmap(ctl, sizeof(*ctl));
	for (size_t i = 0; i < nruns; i++)
		if (runs[i].hist)
			munmap(runs[i].hist, sizeof(struct rt_hist));
	if (failed) {
		fprintf(stderr, "alluse-bench ring: failed; no results written\n");
		return 1;
	}
	print_verdicts(&rep);
	if (o->json_path) {
		rc = bench_report_write_json(&rep, o->json_path, &err);
		if (rc) {
			fprintf(stderr, "alluse-bench ring: --json: %s\n", err.msg);
			return 1;
		}
		printf("\nJSON written to %s\n", o->json_path);
	}
	return 0;
}
