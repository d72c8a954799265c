/* The UDP receiver over real loopback sockets: every receive path delivers every
 * packet intact and in order, the multishot buffer ring runs dry and recovers,
 * oversize datagrams are counted, multicast works (in a private network namespace),
 * and open reports bad addresses and taken ports by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "feeders/feed_udp.h"
#include "feeders/feed_wire.h"
#include "rt/rt_clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/route.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <unistd.h>

#define NPKT 1500u
#define MAX_PKT FEED_WIRE_MAX_PACKET
#define GROUP "239.255.77.1"
#define RECV_TIMEOUT_NS 5000000000ull

/* ---- packets: encoded quotes with continuous sequence numbers ----------------------- */

struct sent {
	uint8_t b[MAX_PKT];
	uint32_t len;
	uint64_t seq; /* first message */
};

static struct sent g_sent[NPKT];

/* Packet i carries 1 + i % 17 quotes, so sizes vary from ~90 bytes to ~1300. */
static void build_packets(uint32_t n)
{
	uint64_t seq = 1;
	for (uint32_t i = 0; i < n; i++) {
		struct feed_wire_enc enc;
		assert_int_equal(feed_wire_enc_init(&enc, g_sent[i].b, MAX_PKT, "UDPTEST", seq), 0);
		uint32_t nq = 1 + i % 17;
		for (uint32_t q = 0; q < nq; q++) {
			struct feed_wire_msg m;
			memset(&m, 0, sizeof(m));
			snprintf(m.symbol, sizeof(m.symbol), "SYM%u", (unsigned)((seq + q) % 500));
			m.quote.bid = (int64_t)(seq + q) * 1000000;
			m.quote.ask = m.quote.bid + 1000000;
			m.quote.last = FEED_WIRE_PRICE_ABSENT;
			m.quote.bid_size = (uint32_t)q;
			m.quote.exch_ts_ns = seq + q;
			assert_int_equal(feed_wire_enc_quote(&enc, &m), 0);
		}
		int len = feed_wire_enc_finish(&enc);
		assert_true(len > 0);
		g_sent[i].len = (uint32_t)len;
		g_sent[i].seq = seq;
		seq += nq;
	}
}

/* ---- a checking receiver, usable from a forked child (no cmocka there) ------------- */

struct rx {
	uint32_t next; /* index into g_sent of the packet expected next */
	uint32_t got;
	uint64_t last_ns;
	char fail[256];
};

static void on_packet(void *ctx, const uint8_t *pkt, uint32_t len, uint64_t recv_ns)
{
	struct rx *r = ctx;
	r->got++;
	if (r->fail[0])
		return;
	if (recv_ns < r->last_ns) {
		snprintf(r->fail, sizeof(r->fail), "recv_ns went back: %llu after %llu",
			 (unsigned long long)recv_ns, (unsigned long long)r->last_ns);
		return;
	}
	r->last_ns = recv_ns;
	if (r->next >= NPKT) {
		snprintf(r->fail, sizeof(r->fail), "packet beyond the %u sent", NPKT);
		return;
	}
	const struct sent *s = &g_sent[r->next];
	struct feed_wire_iter it;
	if (feed_wire_packet_open(&it, pkt, len) != 0 || it.seq != s->seq || len != s->len ||
	    memcmp(pkt, s->b, len) != 0) {
		snprintf(r->fail, sizeof(r->fail),
			 "packet %u: got %u bytes, sequence %llu; expected %u bytes, sequence %llu",
			 r->next, len, (unsigned long long)it.seq, s->len,
			 (unsigned long long)s->seq);
		return;
	}
	r->next++;
}

/* Poll until r has `want` packets (or a failure, or the timeout). */
static int drain(struct feed_udp *u, struct rx *r, uint32_t want, uint32_t wait_us)
{
	uint64_t deadline = rt_clock_now_ns() + RECV_TIMEOUT_NS;
	while (r->got < want && !r->fail[0]) {
		int n = feed_udp_poll(u, on_packet, r, wait_us);
		if (n < 0) {
			snprintf(r->fail, sizeof(r->fail), "poll: %s", strerror(-n));
			return -1;
		}
		if (rt_clock_now_ns() > deadline) {
			snprintf(r->fail, sizeof(r->fail), "timeout: %u of %u packets", r->got,
				 want);
			return -1;
		}
	}
	return r->fail[0] ? -1 : 0;
}

static int send_range(struct feed_udp_sender *s, uint32_t from, uint32_t to)
{
	const uint8_t *p[FEED_UDP_SEND_BATCH];
	uint32_t l[FEED_UDP_SEND_BATCH];
	while (from < to) {
		uint32_t k = 0;
		for (; k < FEED_UDP_SEND_BATCH && from + k < to; k++) {
			p[k] = g_sent[from + k].b;
			l[k] = g_sent[from + k].len;
		}
		int rc = feed_udp_send_batch(s, p, l, k);
		if (rc != (int)k)
			return rc < 0 ? rc : -EIO;
		from += k;
	}
	return 0;
}

/* Send all NPKT packets in bursts of 50, receiving after each burst: the first half
 * busy-polled (wait_us 0), the second half with a bounded wait. */
static int roundtrip(struct feed_udp *u, const char *host, const char *iface, struct rx *r)
{
	struct feed_udp_sender s;
	struct rt_err err = {0};
	memset(r, 0, sizeof(*r));
	if (feed_udp_sender_open(&s, host, feed_udp_port(u), iface, 1, &err)) {
		snprintf(r->fail, sizeof(r->fail), "sender: %.200s", err.msg);
		return -1;
	}
	int rc = 0;
	for (uint32_t i = 0; i < NPKT && !rc; i += 50) {
		uint32_t to = i + 50 > NPKT ? NPKT : i + 50;
		if (send_range(&s, i, to)) {
			snprintf(r->fail, sizeof(r->fail), "send failed at packet %u", i);
			rc = -1;
			break;
		}
		rc = drain(u, r, to, i < NPKT / 2 ? 0 : 2000);
	}
	feed_udp_sender_close(&s);
	return rc;
}

static void open_loopback(struct feed_udp *u, int mode, uint32_t nbufs, uint32_t buf_size)
{
	struct feed_udp_cfg cfg;
	struct rt_err err = {0};
	feed_udp_cfg_defaults(&cfg);
	strcpy(cfg.bind_addr, "127.0.0.1");
	cfg.mode = mode;
	if (nbufs)
		cfg.nbufs = nbufs;
	if (buf_size)
		cfg.buf_size = buf_size;
	int rc = feed_udp_open(u, &cfg, &err);
	if (rc)
		fail_msg("open %s: %s", feed_udp_mode_name(mode), err.msg);
	assert_true(feed_udp_port(u) != 0);
}

static int setup_packets(void **state)
{
	(void)state;
	build_packets(NPKT);
	return 0;
}

/* ---- every mode delivers everything, in order -------------------------------------- */

static void check_mode_roundtrip(int mode)
{
	struct feed_udp u;
	struct rx r;
	open_loopback(&u, mode, 0, 0);
	assert_int_equal(u.mode, mode);
	int rc = roundtrip(&u, "127.0.0.1", NULL, &r);
	if (rc)
		fail_msg("%s: %s", feed_udp_mode_name(mode), r.fail);
	assert_int_equal(r.got, NPKT);
	assert_int_equal(u.stats.packets, NPKT);
	assert_int_equal(u.stats.truncated, 0);
	assert_int_equal(u.stats.errors, 0);
	feed_udp_close(&u);
}

static void test_multishot_delivers_every_packet_in_order(void **state)
{
	(void)state;
	check_mode_roundtrip(FEED_UDP_URING_MULTISHOT);
}

static void test_plain_uring_delivers_every_packet_in_order(void **state)
{
	(void)state;
	check_mode_roundtrip(FEED_UDP_URING_PLAIN);
}

static void test_recvmmsg_delivers_every_packet_in_order(void **state)
{
	(void)state;
	check_mode_roundtrip(FEED_UDP_RECVMMSG);
}

static void test_auto_picks_multishot_on_this_kernel(void **state)
{
	(void)state;
	struct feed_udp u;
	struct rx r;
	open_loopback(&u, FEED_UDP_AUTO, 0, 0);
	if (u.mode != FEED_UDP_URING_MULTISHOT)
		fail_msg("AUTO chose %s: %s", feed_udp_mode_name(u.mode), feed_udp_note(&u));
	assert_string_equal(feed_udp_note(&u), "");
	if (roundtrip(&u, "127.0.0.1", NULL, &r))
		fail_msg("%s", r.fail);
	feed_udp_close(&u);
}

/* The ring defers receive task work to the polling thread (6.1+: SINGLE_ISSUER |
 * DEFER_TASKRUN, with TASKRUN_FLAG so a busy peek knows when to enter), and still
 * delivers in order, busy-polling and waiting alike. */
static void test_uring_defers_task_work_to_the_polling_thread(void **state)
{
	(void)state;
	struct utsname un;
	int major = 0, minor = 0;
	if (uname(&un) != 0 || sscanf(un.release, "%d.%d", &major, &minor) != 2)
		fail_msg("uname");
	if (major < 6 || (major == 6 && minor < 1))
		skip(); /* DEFER_TASKRUN is 6.1+: COOP_TASKRUN or nothing is taken */
	int modes[] = {FEED_UDP_URING_MULTISHOT, FEED_UDP_URING_PLAIN};
	for (unsigned i = 0; i < 2; i++) {
		struct feed_udp u;
		struct rx r;
		open_loopback(&u, modes[i], 0, 0);
		assert_int_equal(u.ring_flags &
					 (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
					  IORING_SETUP_TASKRUN_FLAG),
				 IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
					 IORING_SETUP_TASKRUN_FLAG);
		assert_true(u.ring_fd_registered);
		if (roundtrip(&u, "127.0.0.1", NULL, &r))
			fail_msg("%s: %s", feed_udp_mode_name(modes[i]), r.fail);
		feed_udp_close(&u);
	}
}

/* ---- buffer-ring exhaustion, truncation, waiting ----------------------------------- */

static void test_multishot_buffer_ring_exhaustion_is_counted_and_recovered(void **state)
{
	(void)state;
	struct feed_udp u;
	struct feed_udp_sender s;
	struct rt_err err = {0};
	struct rx r;
	memset(&r, 0, sizeof(r));
	open_loopback(&u, FEED_UDP_URING_MULTISHOT, 8, 0);
	assert_int_equal(feed_udp_sender_open(&s, "127.0.0.1", feed_udp_port(&u), NULL, 1, &err),
			 0);
	/* 40 packets into 8 buffers without polling: the receive takes 8, ends with
	 * -ENOBUFS, the other 32 wait in the socket buffer until it is re-armed. */
	assert_int_equal(send_range(&s, 0, 40), 0);
	rt_clock_sleep_ns(20000000);
	if (drain(&u, &r, 40, 1000))
		fail_msg("%s", r.fail);
	assert_int_equal(r.got, 40);
	assert_true(u.stats.enobufs >= 1);
	assert_true(u.stats.rearms >= 1);
	/* and it goes on working */
	assert_int_equal(send_range(&s, 40, 60), 0);
	if (drain(&u, &r, 60, 1000))
		fail_msg("%s", r.fail);
	feed_udp_sender_close(&s);
	feed_udp_close(&u);
}

static void count_cb(void *ctx, const uint8_t *pkt, uint32_t len, uint64_t recv_ns)
{
	(void)recv_ns;
	uint32_t *lens = ctx;
	assert_int_equal(pkt[0], 0xab);
	lens[lens[0] + 1] = len;
	lens[0]++;
}

static void check_truncation(int mode)
{
	struct feed_udp u;
	struct feed_udp_sender s;
	struct rt_err err = {0};
	static uint8_t small[100], big[600], edge[257], fit[256];
	memset(small, 0xab, sizeof(small));
	memset(big, 0xab, sizeof(big));
	memset(edge, 0xab, sizeof(edge));
	memset(fit, 0xab, sizeof(fit));
	open_loopback(&u, mode, 0, 256);
	assert_int_equal(feed_udp_sender_open(&s, "127.0.0.1", feed_udp_port(&u), NULL, 1, &err),
			 0);
	const uint8_t *p[] = {small, big, edge, fit, small};
	uint32_t l[] = {sizeof(small), sizeof(big), sizeof(edge), sizeof(fit), sizeof(small)};
	assert_int_equal(feed_udp_send_batch(&s, p, l, 5), 5);
	uint32_t lens[8] = {0};
	uint64_t deadline = rt_clock_now_ns() + RECV_TIMEOUT_NS;
	while (lens[0] < 3 && rt_clock_now_ns() < deadline)
		assert_true(feed_udp_poll(&u, count_cb, lens, 1000) >= 0);
	assert_int_equal(lens[0], 3);
	assert_int_equal(lens[1], 100);
	assert_int_equal(lens[2], 256); /* exactly buf_size fits */
	assert_int_equal(lens[3], 100);
	assert_int_equal(u.stats.truncated, 2); /* 600 and 257 */
	feed_udp_sender_close(&s);
	feed_udp_close(&u);
}

static void test_truncated_packets_are_counted_multishot(void **state)
{
	(void)state;
	check_truncation(FEED_UDP_URING_MULTISHOT);
}

static void test_truncated_packets_are_counted_plain(void **state)
{
	(void)state;
	check_truncation(FEED_UDP_URING_PLAIN);
}

static void test_truncated_packets_are_counted_recvmmsg(void **state)
{
	(void)state;
	check_truncation(FEED_UDP_RECVMMSG);
}

static void test_poll_waits_at_most_wait_us(void **state)
{
	(void)state;
	for (int mode = FEED_UDP_URING_MULTISHOT; mode <= FEED_UDP_RECVMMSG; mode++) {
		struct feed_udp u;
		struct rx r;
		memset(&r, 0, sizeof(r));
		open_loopback(&u, mode, 0, 0);
		assert_int_equal(feed_udp_poll(&u, on_packet, &r, 0), 0);
		uint64_t t0 = rt_clock_now_ns();
		assert_int_equal(feed_udp_poll(&u, on_packet, &r, 30000), 0);
		uint64_t dt = rt_clock_now_ns() - t0;
		assert_true(dt >= 20000000ull);
		assert_true(dt < 1000000000ull);
		feed_udp_close(&u);
		assert_int_equal(feed_udp_poll(&u, on_packet, &r, 0), -EBADF);
	}
}

/* ---- multicast, in a network namespace of our own ---------------------------------- */

/* A new network namespace has only `lo`, down and without IFF_MULTICAST. Raise it with
 * the multicast flag and route 224.0.0.0/4 through it: the equivalent of
 *   ip link set lo up multicast on; ip route add 224.0.0.0/4 dev lo
 * done with ioctls, so the test needs neither iproute2 nor to touch the host's
 * interfaces. The receivers join on 127.0.0.1 and the sender sets IP_MULTICAST_IF to
 * it; the route is for senders that name no interface. */
static int netns_loopback_multicast(char *why, size_t n)
{
	if (unshare(CLONE_NEWNET) != 0) {
		snprintf(why, n, "unshare(CLONE_NEWNET): %s (needs root / CAP_SYS_ADMIN)",
			 strerror(errno));
		return 77;
	}
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		snprintf(why, n, "SIOCGIFFLAGS lo: %s", strerror(errno));
		return 1;
	}
	ifr.ifr_flags |= IFF_UP | IFF_MULTICAST;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		snprintf(why, n, "SIOCSIFFLAGS lo up multicast: %s", strerror(errno));
		return 1;
	}
	struct rtentry rt;
	memset(&rt, 0, sizeof(rt));
	struct sockaddr_in *dst = (struct sockaddr_in *)&rt.rt_dst;
	struct sockaddr_in *mask = (struct sockaddr_in *)&rt.rt_genmask;
	dst->sin_family = AF_INET;
	dst->sin_addr.s_addr = htonl(0xe0000000u);
	mask->sin_family = AF_INET;
	mask->sin_addr.s_addr = htonl(0xf0000000u);
	rt.rt_flags = RTF_UP;
	rt.rt_dev = (char *)"lo";
	if (ioctl(s, SIOCADDRT, &rt) < 0 && errno != EEXIST) {
		snprintf(why, n, "SIOCADDRT 224.0.0.0/4 dev lo: %s", strerror(errno));
		return 1;
	}
	close(s);
	return 0;
}

/* Child: two receivers of the group on one port (each gets every packet), one sender. */
static int multicast_child(char *why, size_t n)
{
	int rc = netns_loopback_multicast(why, n);
	if (rc)
		return rc;
	struct feed_udp a, b;
	struct feed_udp_cfg cfg;
	struct rt_err err = {0};
	feed_udp_cfg_defaults(&cfg);
	strcpy(cfg.group, GROUP);
	strcpy(cfg.iface, "127.0.0.1");
	if (feed_udp_open(&a, &cfg, &err)) {
		snprintf(why, n, "open a: %.400s", err.msg);
		return 1;
	}
	cfg.port = feed_udp_port(&a);
	cfg.mode = FEED_UDP_RECVMMSG;
	if (feed_udp_open(&b, &cfg, &err)) {
		snprintf(why, n, "open b on the same group and port: %.400s", err.msg);
		return 1;
	}
	struct rx r;
	if (roundtrip(&a, GROUP, "127.0.0.1", &r)) {
		snprintf(why, n, "receiver a (%s): %s", feed_udp_mode_name(a.mode), r.fail);
		return 1;
	}
	memset(&r, 0, sizeof(r));
	if (drain(&b, &r, NPKT, 1000)) {
		snprintf(why, n, "receiver b: %s", r.fail);
		return 1;
	}
	feed_udp_close(&a);
	feed_udp_close(&b);
	return 0;
}

/* Run fn in a forked child (io_uring rings and namespaces stay there); its exit code
 * is returned, its message lands in why. 77 = the child could not set up (skip). */
static int run_in_child(int (*fn)(char *why, size_t n), char *why, size_t n)
{
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char msg[512] = "";
		close(pfd[0]);
		int rc = fn(msg, sizeof(msg));
		if (write(pfd[1], msg, strlen(msg)) < 0)
			rc = 1;
		_exit(rc);
	}
	close(pfd[1]);
	ssize_t got = 0, k;
	while ((k = read(pfd[0], why + got, n - 1 - (size_t)got)) > 0)
		got += k;
	why[got > 0 ? got : 0] = '\0';
	close(pfd[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_multicast_group_on_loopback_in_netns(void **state)
{
	(void)state;
	char why[512];
	int rc = run_in_child(multicast_child, why, sizeof(why));
	if (rc == 77) {
		printf("skipping multicast: %s\n", why);
		skip();
	}
	if (rc != 0)
		fail_msg("multicast: %s", why);
}

/* ---- AUTO falls back: the kernel's refusals simulated with seccomp ------------------ */

/* Make syscall nr fail with errno_val: always, or (match_arg) only when its second
 * argument is arg1 (the opcode of io_uring_register). */
static int deny_syscall(long nr, int match_arg, uint32_t arg1, int errno_val)
{
	size_t a1 = offsetof(struct seccomp_data, args[1]);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	a1 += 4; /* the low word */
#endif
	struct sock_filter any[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K,
			 SECCOMP_RET_ERRNO | ((uint32_t)errno_val & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter arg[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)a1),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arg1, 0, 1),
		BPF_STMT(BPF_RET | BPF_K,
			 SECCOMP_RET_ERRNO | ((uint32_t)errno_val & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = (unsigned short)(match_arg ? sizeof(arg) / sizeof(arg[0])
						  : sizeof(any) / sizeof(any[0])),
		.filter = match_arg ? arg : any,
	};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		return -errno;
	return 0;
}

/* Open AUTO under the filter, expect `mode` and a note containing `note`, and check
 * the path it fell back to really receives. */
static int auto_child(int mode, const char *note, char *why, size_t n)
{
	struct feed_udp u;
	struct feed_udp_cfg cfg;
	struct rt_err err = {0};
	feed_udp_cfg_defaults(&cfg);
	strcpy(cfg.bind_addr, "127.0.0.1");
	if (feed_udp_open(&u, &cfg, &err)) {
		snprintf(why, n, "open: %.400s", err.msg);
		return 1;
	}
	if (u.mode != mode || !strstr(feed_udp_note(&u), note)) {
		snprintf(why, n, "AUTO chose %s (note '%.300s'); expected %s noting '%s'",
			 feed_udp_mode_name(u.mode), feed_udp_note(&u), feed_udp_mode_name(mode),
			 note);
		return 1;
	}
	struct rx r;
	if (roundtrip(&u, "127.0.0.1", NULL, &r)) {
		snprintf(why, n, "%s: %s", feed_udp_mode_name(u.mode), r.fail);
		return 1;
	}
	feed_udp_close(&u);
	return 0;
}

static int no_pbuf_ring_child(char *why, size_t n)
{
	int rc = deny_syscall(SYS_io_uring_register, 1, IORING_REGISTER_PBUF_RING, EINVAL);
	if (rc) {
		snprintf(why, n, "seccomp filter: %s", strerror(-rc));
		return 77;
	}
	return auto_child(FEED_UDP_URING_PLAIN, "IORING_REGISTER_PBUF_RING: Invalid argument", why,
			  n);
}

static int no_io_uring_child(char *why, size_t n)
{
	int rc = deny_syscall(SYS_io_uring_setup, 0, 0, ENOSYS);
	if (rc) {
		snprintf(why, n, "seccomp filter: %s", strerror(-rc));
		return 77;
	}
	return auto_child(FEED_UDP_RECVMMSG, "uring-plain: io_uring_queue_init", why, n);
}

static void test_auto_falls_back_to_plain_without_buffer_rings(void **state)
{
	(void)state;
	char why[512];
	int rc = run_in_child(no_pbuf_ring_child, why, sizeof(why));
	if (rc == 77) {
		printf("skipping: %s\n", why);
		skip();
	}
	if (rc != 0)
		fail_msg("%s", why);
}

static void test_auto_falls_back_to_recvmmsg_without_io_uring(void **state)
{
	(void)state;
	char why[512];
	int rc = run_in_child(no_io_uring_child, why, sizeof(why));
	if (rc == 77) {
		printf("skipping: %s\n", why);
		skip();
	}
	if (rc != 0)
		fail_msg("%s", why);
}

/* ---- open errors, close -------------------------------------------------------------- */

static void test_close_twice_is_safe(void **state)
{
	(void)state;
	struct feed_udp u;
	memset(&u, 0, sizeof(u));
	feed_udp_close(&u); /* zeroed: fd 0 must not be closed */
	assert_true(fcntl(0, F_GETFD) >= 0 || errno != EBADF);
	feed_udp_close(NULL);
	for (int mode = FEED_UDP_AUTO; mode <= FEED_UDP_RECVMMSG; mode++) {
		open_loopback(&u, mode, 0, 0);
		feed_udp_close(&u);
		feed_udp_close(&u);
	}
	struct feed_udp_sender s;
	struct rt_err err = {0};
	memset(&s, 0, sizeof(s));
	feed_udp_sender_close(&s);
	assert_int_equal(feed_udp_sender_open(&s, "127.0.0.1", 9, NULL, 1, &err), 0);
	feed_udp_sender_close(&s);
	feed_udp_sender_close(&s);
	feed_udp_sender_close(NULL);
}

static void expect_open_error(const struct feed_udp_cfg *cfg, int code, const char *needle1,
			      const char *needle2)
{
	struct feed_udp u;
	struct rt_err err = {0};
	int rc = feed_udp_open(&u, cfg, &err);
	if (rc != code)
		fail_msg("expected %d (%s), got %d: %s", code, strerror(-code), rc, err.msg);
	if (!strstr(err.msg, needle1) || (needle2 && !strstr(err.msg, needle2)))
		fail_msg("message '%s' does not name '%s'%s%s", err.msg, needle1,
			 needle2 ? " and " : "", needle2 ? needle2 : "");
	feed_udp_close(&u); /* no-op after a failed open */
}

static void test_bad_bind_address_is_named(void **state)
{
	(void)state;
	struct feed_udp_cfg cfg;
	feed_udp_cfg_defaults(&cfg);
	strcpy(cfg.bind_addr, "127.0.0.300");
	expect_open_error(&cfg, -EINVAL, "127.0.0.300", "bind address");
	strcpy(cfg.bind_addr, "192.0.2.1"); /* TEST-NET-1: not an address of this host */
	cfg.port = 41234;
	expect_open_error(&cfg, -EADDRNOTAVAIL, "192.0.2.1:41234", "bind");
	feed_udp_cfg_defaults(&cfg);
	strcpy(cfg.group, "10.0.0.1");
	expect_open_error(&cfg, -EINVAL, "10.0.0.1", "multicast");
	feed_udp_cfg_defaults(&cfg);
	cfg.nbufs = 1000;
	expect_open_error(&cfg, -EINVAL, "nbufs 1000", NULL);
}

static void test_port_in_use_is_named(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	struct feed_udp_cfg cfg;
	feed_udp_cfg_defaults(&cfg);
	strcpy(cfg.bind_addr, "127.0.0.1");
	cfg.port = ntohs(sa.sin_port);
	char want[64];
	snprintf(want, sizeof(want), "127.0.0.1:%u", cfg.port);
	expect_open_error(&cfg, -EADDRINUSE, want, strerror(EADDRINUSE));
	close(fd);
}

static void test_mode_names_round_trip(void **state)
{
	(void)state;
	for (int m = FEED_UDP_AUTO; m <= FEED_UDP_RECVMMSG; m++)
		assert_int_equal(feed_udp_mode_from_name(feed_udp_mode_name(m)), m);
	assert_string_equal(feed_udp_mode_name(FEED_UDP_URING_MULTISHOT), "uring-multishot");
	assert_string_equal(feed_udp_mode_name(99), "unknown");
	assert_int_equal(feed_udp_mode_from_name("epoll"), -EINVAL);
}

static void test_sender_rejects_bad_host(void **state)
{
	(void)state;
	struct feed_udp_sender s;
	struct rt_err err = {0};
	assert_int_equal(feed_udp_sender_open(&s, "no such host.invalid", 5000, NULL, 1, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "no such host.invalid"));
	assert_int_equal(feed_udp_sender_open(&s, "127.0.0.1", 5000, "lo", 1, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'lo'"));
	feed_udp_sender_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_multishot_delivers_every_packet_in_order),
		cmocka_unit_test(test_plain_uring_delivers_every_packet_in_order),
		cmocka_unit_test(test_recvmmsg_delivers_every_packet_in_order),
		cmocka_unit_test(test_auto_picks_multishot_on_this_kernel),
		cmocka_unit_test(test_uring_defers_task_work_to_the_polling_thread),
		cmocka_unit_test(test_multishot_buffer_ring_exhaustion_is_counted_and_recovered),
		cmocka_unit_test(test_truncated_packets_are_counted_multishot),
		cmocka_unit_test(test_truncated_packets_are_counted_plain),
		cmocka_unit_test(test_truncated_packets_are_counted_recvmmsg),
		cmocka_unit_test(test_poll_waits_at_most_wait_us),
		cmocka_unit_test(test_multicast_group_on_loopback_in_netns),
		cmocka_unit_test(test_auto_falls_back_to_plain_without_buffer_rings),
		cmocka_unit_test(test_auto_falls_back_to_recvmmsg_without_io_uring),
		cmocka_unit_test(test_close_twice_is_safe),
		cmocka_unit_test(test_bad_bind_address_is_named),
		cmocka_unit_test(test_port_in_use_is_named),
		cmocka_unit_test(test_mode_names_round_trip),
		cmocka_unit_test(test_sender_rejects_bad_host),
	};
	return cmocka_run_group_tests(tests, setup_packets, NULL);
}
