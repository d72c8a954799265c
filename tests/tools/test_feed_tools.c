/* alluse-feedsend and alluse-record, run as built programs over loopback UDP:
 * a CSV replay recorded and read back packet by packet, the synthetic stream counted
 * on a feed_udp receiver, pacing, --count / --seconds, and usage errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_fs.h"
#include "feeders/feed_replay.h"
#include "feeders/feed_udp.h"
#include "feeders/feed_wire.h"
#include "rt/rt_clock.h"
#include "tests/support/test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT_MS 20000u

static char g_dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof(g_dir), "/tmp/alluse-feedtools-XXXXXX");
	if (!mkdtemp(g_dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return rt_rmtree(g_dir) == 0 ? 0 : -1;
}

static const char *path_in_dir(const char *name)
{
	static char bufs[4][160];
	static unsigned n;
	char *b = bufs[n++ % 4];
	snprintf(b, sizeof(bufs[0]), "%s/%s", g_dir, name);
	return b;
}

/* ---- a program running in the background ------------------------------------------ */

struct bg {
	pid_t pid;
	int out, err; /* read ends */
	char obuf[8192], ebuf[8192];
	size_t olen, elen;
};

static void bg_start(struct bg *b, const char *const argv[])
{
	int po[2], pe[2];
	memset(b, 0, sizeof(*b));
	assert_int_equal(pipe(po), 0);
	assert_int_equal(pipe(pe), 0);
	b->pid = fork();
	assert_true(b->pid >= 0);
	if (b->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		close(po[1]);
		close(pe[1]);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	b->out = po[0];
	b->err = pe[0];
}

/* Read what is available within timeout_ms into the buffers. 0 when both closed. */
static int bg_read(struct bg *b, int timeout_ms)
{
	struct pollfd fds[2] = {{.fd = b->out, .events = POLLIN}, {.fd = b->err, .events = POLLIN}};
	if (poll(fds, 2, timeout_ms) <= 0)
		return b->out >= 0 || b->err >= 0;
	for (int i = 0; i < 2; i++) {
		if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		char *buf = i ? b->ebuf : b->obuf;
		size_t *len = i ? &b->elen : &b->olen;
		ssize_t n = read(fds[i].fd, buf + *len, sizeof(b->obuf) - 1 - *len);
		if (n <= 0) {
			close(fds[i].fd);
			if (i)
				b->err = -1;
			else
				b->out = -1;
			continue;
		}
		*len += (size_t)n;
		buf[*len] = '\0';
	}
	return b->out >= 0 || b->err >= 0;
}

/* Wait until stderr contains `needle` (or the program ends / the time runs out). */
static const char *bg_wait_for(struct bg *b, const char *needle, unsigned timeout_ms)
{
	uint64_t end = rt_clock_now_ns() + (uint64_t)timeout_ms * 1000000u;
	while (!strstr(b->ebuf, needle) && rt_clock_now_ns() < end)
		if (!bg_read(b, 50))
			break;
	return strstr(b->ebuf, needle);
}

/* Collect the rest of the output and the exit status (SIGKILL after timeout_ms). */
static int bg_finish(struct bg *b, unsigned timeout_ms)
{
	uint64_t end = rt_clock_now_ns() + (uint64_t)timeout_ms * 1000000u;
	int killed = 0;
	while (bg_read(b, 50)) {
		if (!killed && rt_clock_now_ns() > end) {
			kill(b->pid, SIGKILL);
			killed = 1;
		}
	}
	int status;
	while (waitpid(b->pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Start alluse-record on a free loopback port; returns the port it printed. */
static uint16_t start_recorder(struct bg *b, const char *out, const char *extra1,
			       const char *extra2)
{
	const char *argv[] = {test_bin("alluse-record"),
			      "--listen",
			      "127.0.0.1:0",
			      "--out",
			      out,
			      extra1,
			      extra2,
			      NULL};
	bg_start(b, argv);
	const char *l = bg_wait_for(b, "listening on 127.0.0.1:", 5000);
	if (!l)
		fail_msg("alluse-record did not start: %s", b->ebuf);
	unsigned port = 0;
	assert_int_equal(sscanf(l, "listening on 127.0.0.1:%u", &port), 1);
	assert_true(port > 0 && port < 65536);
	return (uint16_t)port;
}

/* ---- CSV replay → alluse-record → read back --------------------------------------- */

struct q {
	const char *sym;
	int64_t bid, ask, last; /* × 10^8 */
	uint32_t bsz, asz, lsz;
};

/* clang-format off */
static const struct q QUOTES[] = {
	{"AAPL", 22950000000, 22951000000, 22950500000, 100, 200, 5},
	{"SPY", 61284000000, 61285000000, INT64_MIN, 10, 20, 0},
	{"SPY   261218C00650000", 435000000, 440000000, 437500000, 12, 30, 1},
	{"QQQ", 52000000000, 52000010000, 52000005000, 1, 1, 1},
	{"AAPL", 22949000000, 22950000000, INT64_MIN, 300, 100, 0},
	{"IWM", 23012345678, 23012345679, 23012345678, 7, 8, 9},
};
/* clang-format on */
#define NQ (sizeof(QUOTES) / sizeof(QUOTES[0]))

static void fmt_px(char *b, size_t n, int64_t p)
{
	if (p == INT64_MIN)
		b[0] = '\0';
	else
		snprintf(b, n, "%" PRId64 ".%08" PRId64, p / 100000000, p % 100000000);
}

static const char *write_csv(const char *name, unsigned repeat)
{
	const char *path = path_in_dir(name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "# written by test_feed_tools\n");
	fprintf(f, "time,symbol,bid,ask,last,bid_size,ask_size,last_size\n");
	for (unsigned r = 0; r < repeat; r++)
		for (unsigned i = 0; i < NQ; i++) {
			char b[32], a[32], l[32];
			fmt_px(b, sizeof(b), QUOTES[i].bid);
			fmt_px(a, sizeof(a), QUOTES[i].ask);
			fmt_px(l, sizeof(l), QUOTES[i].last);
			fprintf(f, "%llu,%s,%s,%s,%s,%u,%u,%u\n",
				1795444200000000000ull + (r * NQ + i) * 1000ull, QUOTES[i].sym, b,
				a, l, QUOTES[i].bsz, QUOTES[i].asz, QUOTES[i].lsz);
		}
	fclose(f);
	return path;
}

static void test_csv_replay_is_recorded_and_reads_back(void **state)
{
	(void)state;
	const char *csv = write_csv("quotes.csv", 1);
	const char *rec = path_in_dir("quotes.rec");
	struct bg b;
	uint16_t port = start_recorder(&b, rec, NULL, NULL);
	char to[32];
	snprintf(to, sizeof(to), "127.0.0.1:%u", port);
	const char *argv[] = {test_bin("alluse-feedsend"),
			      "--to",
			      to,
			      "--replay",
			      csv,
			      "--rate",
			      "0",
			      "--session",
			      "TOOLTEST",
			      NULL};
	struct run_result r;
	assert_int_equal(run_capture(argv, TIMEOUT_MS, &r), 0);
	if (r.status != 0)
		fail_msg("feedsend exit %d: %s", r.status, r.err);
	assert_non_null(strstr(r.out, "6 messages (6 quotes, 0 definitions) in 2 packets"));
	run_result_free(&r);

	uint64_t before = rt_clock_wall_ns();
	rt_clock_sleep_ns(50000000); /* loopback delivery is synchronous; be generous */
	kill(b.pid, SIGINT);
	int st = bg_finish(&b, 5000);
	if (st != 0)
		fail_msg("record exit %d: %s", st, b.ebuf);
	assert_non_null(strstr(b.obuf, "recorded 2 packets"));

	struct feed_replay *rp = malloc(sizeof(*rp));
	struct rt_err err = {0};
	assert_non_null(rp);
	if (feed_replay_open(rp, rec, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(rp->kind, FEED_REPLAY_BINARY);
	const uint8_t *pkt;
	uint32_t len;
	uint64_t wall;
	struct feed_wire_iter it;
	struct feed_wire_msg m;

	/* packet 1: the six quotes, sequence 1..6 */
	assert_int_equal(feed_replay_next_packet(rp, &pkt, &len, &wall, &err), 1);
	assert_true(wall < before && wall > before - 60000000000ull);
	assert_int_equal(feed_wire_packet_open(&it, pkt, len), 0);
	assert_memory_equal(it.session, "TOOLTEST  ", 10);
	assert_int_equal(it.pkt, FEED_WIRE_PKT_DATA);
	assert_int_equal(it.seq, 1);
	assert_int_equal(it.count, NQ);
	for (unsigned i = 0; i < NQ; i++) {
		assert_int_equal(feed_wire_next(&it, &m), 1);
		assert_int_equal(m.seq, i + 1);
		assert_int_equal(m.type, FEED_WIRE_MSG_QUOTE);
		assert_string_equal(m.symbol, QUOTES[i].sym);
		assert_int_equal(m.quote.bid, QUOTES[i].bid);
		assert_int_equal(m.quote.ask, QUOTES[i].ask);
		assert_int_equal(m.quote.last, QUOTES[i].last);
		assert_int_equal(m.quote.bid_size, QUOTES[i].bsz);
		assert_int_equal(m.quote.ask_size, QUOTES[i].asz);
		assert_int_equal(m.quote.last_size, QUOTES[i].lsz);
		assert_int_equal(m.quote.exch_ts_ns, 1795444200000000000ull + i * 1000ull);
	}
	assert_int_equal(feed_wire_next(&it, &m), 0);

	/* packet 2: end of session, announcing sequence 7 */
	uint64_t wall2;
	assert_int_equal(feed_replay_next_packet(rp, &pkt, &len, &wall2, &err), 1);
	assert_true(wall2 >= wall);
	assert_int_equal(feed_wire_packet_open(&it, pkt, len), 0);
	assert_int_equal(it.pkt, FEED_WIRE_PKT_END);
	assert_int_equal(it.seq, NQ + 1);
	assert_int_equal(feed_replay_next_packet(rp, &pkt, &len, &wall2, &err), 0);
	feed_replay_close(rp);
	free(rp);
}

/* ---- synthetic stream counted on a feed_udp receiver ------------------------------ */

struct tally {
	uint64_t quotes, defs, next_seq, end_seq;
	int bad;
};

static void on_packet(void *ctx, const uint8_t *pkt, uint32_t len, uint64_t recv_ns)
{
	(void)recv_ns;
	struct tally *t = ctx;
	struct feed_wire_iter it;
	struct feed_wire_msg m;
	if (feed_wire_packet_open(&it, pkt, len) != 0) {
		t->bad++;
		return;
	}
	if (it.pkt == FEED_WIRE_PKT_END) {
		t->end_seq = it.seq;
		return;
	}
	if (it.pkt != FEED_WIRE_PKT_DATA)
		return;
	if (it.seq != t->next_seq)
		t->bad++; /* a gap or reordering */
	int k;
	while ((k = feed_wire_next(&it, &m)) != 0) {
		if (k < 0) {
			t->bad++;
			continue;
		}
		if (m.type == FEED_WIRE_MSG_QUOTE)
			t->quotes++;
		else
			t->defs++;
	}
	t->next_seq = it.seq + it.count;
}

static void test_synthetic_count_delivers_exactly_that_many_quotes(void **state)
{
	(void)state;
	struct feed_udp u;
	struct feed_udp_cfg cfg;
	struct rt_err err = {0};
	feed_udp_cfg_defaults(&cfg);
	strcpy(cfg.bind_addr, "127.0.0.1");
	if (feed_udp_open(&u, &cfg, &err))
		fail_msg("%s", err.msg);
	char to[32];
	snprintf(to, sizeof(to), "127.0.0.1:%u", feed_udp_port(&u));
	const char *argv[] = {test_bin("alluse-feedsend"),
			      "--to",
			      to,
			      "--synthetic",
			      "--count",
			      "1000",
			      "--rate",
			      "0",
			      NULL};
	struct bg b;
	bg_start(&b, argv);
	struct tally t = {.next_seq = 1};
	uint64_t end = rt_clock_now_ns() + 10000000000ull;
	while (!t.end_seq && rt_clock_now_ns() < end)
		assert_true(feed_udp_poll(&u, on_packet, &t, 10000) >= 0);
	int st = bg_finish(&b, 5000);
	if (st != 0)
		fail_msg("feedsend exit %d: %s", st, b.ebuf);
	assert_true(t.end_seq != 0);
	assert_int_equal(t.bad, 0);
	assert_int_equal(t.quotes, 1000);
	assert_true(t.defs > 0); /* the option chains, before the quotes */
	assert_int_equal(t.end_seq, t.quotes + t.defs + 1);
	assert_int_equal(u.stats.truncated, 0);
	char want[96];
	snprintf(want, sizeof(want), "%" PRIu64 " messages (1000 quotes, %" PRIu64 " definitions)",
		 t.quotes + t.defs, t.defs);
	assert_non_null(strstr(b.obuf, want));
	feed_udp_close(&u);
}

/* ---- pacing, --count, --seconds --------------------------------------------------- */

static void test_rate_paces_messages(void **state)
{
	(void)state;
	const char *csv = write_csv("paced.csv", 10); /* 60 quotes */
	const char *argv[] = {test_bin("alluse-feedsend"),
			      "--to",
			      "127.0.0.1:9",
			      "--replay",
			      csv,
			      "--rate",
			      "500",
			      NULL};
	struct run_result r;
	uint64_t t0 = rt_clock_now_ns();
	assert_int_equal(run_capture(argv, TIMEOUT_MS, &r), 0);
	uint64_t dt = rt_clock_now_ns() - t0;
	if (r.status != 0)
		fail_msg("feedsend exit %d: %s", r.status, r.err);
	/* message k is due at k / 500 s: the last (k = 59) at 118 ms */
	assert_true(dt >= 110000000ull);
	assert_true(dt < 5000000000ull);
	assert_non_null(strstr(r.out, "60 messages (60 quotes"));
	run_result_free(&r);
}

static void test_record_stops_at_count_and_after_seconds(void **state)
{
	(void)state;
	struct bg b;
	uint16_t port = start_recorder(&b, path_in_dir("three.rec"), "--count", "3");
	char to[32];
	snprintf(to, sizeof(to), "127.0.0.1:%u", port);
	const char *argv[] = {test_bin("alluse-feedsend"),
			      "--to",
			      to,
			      "--synthetic",
			      "--count",
			      "2000",
			      "--rate",
			      "0",
			      NULL};
	struct run_result r;
	assert_int_equal(run_capture(argv, TIMEOUT_MS, &r), 0);
	assert_int_equal(r.status, 0);
	run_result_free(&r);
	int st = bg_finish(&b, 5000); /* ends by itself */
	assert_int_equal(st, 0);
	assert_non_null(strstr(b.obuf, "recorded 3 packets"));

	uint64_t t0 = rt_clock_now_ns();
	port = start_recorder(&b, path_in_dir("idle.rec"), "--seconds", "0.2");
	st = bg_finish(&b, 5000);
	uint64_t dt = rt_clock_now_ns() - t0;
	assert_int_equal(st, 0);
	assert_non_null(strstr(b.obuf, "recorded 0 packets"));
	assert_true(dt >= 200000000ull && dt < 3000000000ull);
	struct stat sb;
	assert_int_equal(stat(path_in_dir("idle.rec"), &sb), 0);
	assert_int_equal(sb.st_size, 8); /* just the magic */
}

/* ---- usage errors -------------------------------------------------------------------- */

struct bad {
	const char *args[8];
	int status;
	const char *needle; /* expected in stderr */
};

static void run_bad(const char *prog, const struct bad *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *argv[10] = {test_bin(prog)};
		for (size_t k = 0; k < 8 && cases[i].args[k]; k++)
			argv[k + 1] = cases[i].args[k];
		struct run_result r;
		assert_int_equal(run_capture(argv, TIMEOUT_MS, &r), 0);
		if (r.status != cases[i].status || !strstr(r.err, cases[i].needle))
			fail_msg("%s case %zu: exit %d (want %d), stderr '%s' lacks '%s'", prog, i,
				 r.status, cases[i].status, r.err, cases[i].needle);
		run_result_free(&r);
	}
}

static void test_feedsend_bad_arguments_exit_2(void **state)
{
	(void)state;
	const char *csv = write_csv("args.csv", 1);
	const struct bad cases[] = {
		{{NULL}, 2, "--to HOST:PORT is required"},
		{{"--to", "127.0.0.1", "--synthetic"}, 2, "--to: '127.0.0.1'"},
		{{"--to", "127.0.0.1:70000", "--synthetic"}, 2, "--to: '127.0.0.1:70000'"},
		{{"--to", "127.0.0.1:9", "--synthetic", "--rate", "fast"}, 2, "--rate: 'fast'"},
		{{"--to", "127.0.0.1:9", "--synthetic", "--replay", csv}, 2, "exactly one source"},
		{{"--to", "127.0.0.1:9"}, 2, "exactly one source"},
		{{"--to", "127.0.0.1:9", "--synthetic", "--ttl", "300"}, 2, "--ttl: '300'"},
		{{"--to", "127.0.0.1:9", "--synthetic", "--session", "ELEVENCHARS"},
		 2,
		 "--session: 'ELEVENCHARS'"},
		{{"--to", "127.0.0.1:9", "--synthetic", "--count", "0"}, 2, "--count: '0'"},
		{{"--to", "127.0.0.1:9", "--replay", csv, "--seed", "3"}, 2, "--seed"},
		{{"--to", "127.0.0.1:9", "--synthetic", "--bogus"}, 2, "'--bogus'"},
		{{"--to", "127.0.0.1:9", "--synthetic", "--rate"}, 2, "--rate needs a value"},
		{{"--to", "no.such.host.invalid:9", "--synthetic"}, 2, "no.such.host.invalid"},
		{{"--to", "127.0.0.1:9", "--replay", "/nonexistent/q.csv"},
		 1,
		 "/nonexistent/q.csv': No such file or directory"},
	};
	run_bad("alluse-feedsend", cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_record_bad_arguments_exit_2(void **state)
{
	(void)state;
	const char *out = path_in_dir("bad.rec");
	const struct bad cases[] = {
		{{"--out", out}, 2, "--listen [ADDR:]PORT is required"},
		{{"--listen", "0"}, 2, "--out FILE is required"},
		{{"--listen", "abc", "--out", out}, 2, "--listen: 'abc'"},
		{{"--listen", "127.0.0.1:99999", "--out", out}, 2, "--listen: '127.0.0.1:99999'"},
		{{"--listen", "0", "--out", out, "--seconds", "-1"}, 2, "--seconds: '-1'"},
		{{"--listen", "0", "--out", out, "--iface", "127.0.0.1"},
		 2,
		 "--iface only applies with --group"},
		{{"--listen", "0", "--out", out, "--mode", "epoll"}, 2, "--mode: 'epoll'"},
		{{"--listen", "0", "--out", out, "--group", "10.1.1.1"},
		 2,
		 "group '10.1.1.1' is not an IPv4 multicast address"},
		{{"--listen", "300.1.1.1:0", "--out", out}, 2, "bind address '300.1.1.1'"},
		{{"--listen", "0", "--out", "/nonexistent/x.rec"},
		 1,
		 "/nonexistent/x.rec': No such file or directory"},
	};
	run_bad("alluse-record", cases, sizeof(cases) / sizeof(cases[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_replay_is_recorded_and_reads_back),
		cmocka_unit_test(test_synthetic_count_delivers_exactly_that_many_quotes),
		cmocka_unit_test(test_rate_paces_messages),
		cmocka_unit_test(test_record_stops_at_count_and_after_seconds),
		cmocka_unit_test(test_feedsend_bad_arguments_exit_2),
		cmocka_unit_test(test_record_bad_arguments_exit_2),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
