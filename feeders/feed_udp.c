#include "feeders/feed_udp.h"

#include "rt/rt_clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BGID 7 /* our buffer group: any id works, the ring is private to this receiver */
#define UD_RECV 0xfeedull /* user_data of the multishot receive */
#define STRIDE_ALIGN 64u

/*
 * Truncation. A datagram longer than the buffer is cut silently by recv(2) unless
 * MSG_TRUNC is asked for, and recvmmsg reports it in msg_flags, but a recv completion
 * carries only the byte count. So the io_uring paths give the kernel buf_size + 1
 * bytes per buffer: a completion that fills the guard byte came from a datagram
 * longer than buf_size, and is counted and dropped. That works on every kernel and
 * keeps the cheaper IORING_OP_RECV (no io_uring_recvmsg_out header to parse).
 */

static const char *const MODE_NAMES[] = {
	[FEED_UDP_AUTO] = "auto",
	[FEED_UDP_URING_MULTISHOT] = "uring-multishot",
	[FEED_UDP_URING_PLAIN] = "uring-plain",
	[FEED_UDP_RECVMMSG] = "recvmmsg",
};

const char *feed_udp_mode_name(int mode)
{
	if (mode < 0 || mode > FEED_UDP_RECVMMSG)
		return "unknown";
	return MODE_NAMES[mode];
}

int feed_udp_mode_from_name(const char *name)
{
	for (int m = FEED_UDP_AUTO; m <= FEED_UDP_RECVMMSG; m++)
		if (name && strcmp(name, MODE_NAMES[m]) == 0)
			return m;
	return -EINVAL;
}

void feed_udp_cfg_defaults(struct feed_udp_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nbufs = FEED_UDP_NBUFS_DEFAULT;
	cfg->buf_size = FEED_UDP_BUF_SIZE_DEFAULT;
	cfg->mode = FEED_UDP_AUTO;
	cfg->rcvbuf = FEED_UDP_RCVBUF_DEFAULT;
}

const char *feed_udp_note(const struct feed_udp *u)
{
	return u->note;
}

uint16_t feed_udp_port(const struct feed_udp *u)
{
	return u->port;
}

static int parse_ipv4(const char *s, struct in_addr *a)
{
	return inet_pton(AF_INET, s, a) == 1 ? 0 : -EINVAL;
}

/* ---- receive-path setup and teardown ----------------------------------------------- */

static void *map_zeroed(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	return (n + pg - 1) / pg * pg;
}

/* Undo whichever receive path was (partly) set up; the socket stays. The ring goes
 * first: it holds references to the socket and writes into the buffers. */
static void path_teardown(struct feed_udp *u)
{
	if (u->ring_ready)
		io_uring_queue_exit(&u->ring); /* also drops the registered buffer ring */
	u->ring_ready = 0;
	u->br_registered = 0;
	u->armed = 0;
	if (u->br)
		munmap(u->br, u->br_len);
	u->br = NULL;
	u->br_len = 0;
	if (u->bufs)
		munmap(u->bufs, u->bufs_len);
	u->bufs = NULL;
	u->bufs_len = 0;
	free(u->msgs);
	free(u->iov);
	u->msgs = NULL;
	u->iov = NULL;
}

static int alloc_bufs(struct feed_udp *u, uint32_t n, struct rt_err *err)
{
	u->bufs_len = page_round((size_t)n * u->buf_stride);
	u->bufs = map_zeroed(u->bufs_len);
	if (!u->bufs)
		return rt_err_set(err, -ENOMEM, "%u receive buffers of %u bytes: %s", n,
				  u->buf_size, strerror(errno));
	return 0;
}

static uint8_t *buf_at(const struct feed_udp *u, uint32_t i)
{
	return u->bufs + (size_t)i * u->buf_stride;
}

/* A ring with room for `cq` completions, with the cheapest completion delivery the
 * kernel offers, best first:
 *  - SINGLE_ISSUER | DEFER_TASKRUN (6.1): receive task work is queued on the ring and
 *    run only when the polling thread enters the kernel for events, in one go: no
 *    interrupt of a busy-polling feeder, no task_work list of the thread;
 *  - COOP_TASKRUN (5.19): task work waits for the next kernel entry, but on the
 *    thread's generic task_work list;
 *  - neither: the kernel interrupts the thread to run it.
 * TASKRUN_FLAG (with either) raises IORING_SQ_TASKRUN when work is pending, so a
 * busy poll that finds the CQ empty enters the kernel only then (liburing's peek does
 * it). Which one was taken is in u->ring_flags. Only the thread that opened the
 * receiver may poll it (SINGLE_ISSUER; feed_udp.h says one thread polls). */
static int ring_init(struct feed_udp *u, uint32_t sq, uint32_t cq, struct rt_err *err)
{
	static const uint32_t tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
		0,
	};
	int rc = -EINVAL;
	for (unsigned i = 0; i < sizeof(tries) / sizeof(tries[0]) && rc == -EINVAL; i++) {
		struct io_uring_params p;
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_CQSIZE | tries[i];
		p.cq_entries = cq;
		rc = io_uring_queue_init_params(sq, &u->ring, &p);
		if (rc == 0)
			u->ring_flags = tries[i];
	}
	if (rc < 0)
		return rt_err_set(err, rc, "io_uring_queue_init: %s", strerror(-rc));
	u->ring_ready = 1;
	/* a registered ring fd spares every io_uring_enter the file-table lookup (5.18);
	 * without it the ring works the same */
	if (io_uring_register_ring_fd(&u->ring) == 1)
		u->ring_fd_registered = 1;
	return 0;
}

/* After arming: a kernel that does not know the operation or its flags fails it at
 * submission, so its completion is already posted. Anything else (nothing yet, or a
 * packet that arrived meanwhile) stays for poll. */
static int probe_first_cqe(struct feed_udp *u, const char *what, struct rt_err *err)
{
	struct io_uring_cqe *cqe;
	if (io_uring_peek_cqe(&u->ring, &cqe) != 0)
		return 0;
	int res = cqe->res;
	if (res == -EINVAL || res == -EOPNOTSUPP || res == -ENOTSUP || res == -ENOSYS) {
		io_uring_cqe_seen(&u->ring, cqe);
		return rt_err_set(err, -EOPNOTSUPP, "%s refused by the kernel: %s", what,
				  strerror(-res));
	}
	return 0;
}

static int arm_multishot(struct feed_udp *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	if (!sqe)
		return -EBUSY; /* cannot happen: every arm is submitted at once */
	io_uring_prep_recv_multishot(sqe, u->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	io_uring_sqe_set_data64(sqe, UD_RECV);
	u->armed = 1;
	return 0;
}

static int setup_multishot(struct feed_udp *u, struct rt_err *err)
{
	uint32_t n = u->nbufs;
	uint32_t cq = 2 * n < 64 ? 64 : 2 * n; /* every buffer's completion + the ENOBUFS end */
	int rc = ring_init(u, 8, cq, err);
	if (rc)
		return rc;
	/* liburing 2.3 has no io_uring_setup_buf_ring: map the ring ourselves
	 * (page-aligned, as IORING_REGISTER_PBUF_RING requires) and register it. */
	u->br_len = page_round((size_t)n * sizeof(struct io_uring_buf));
	u->br = map_zeroed(u->br_len);
	if (!u->br)
		return rt_err_set(err, -ENOMEM, "buffer ring of %u entries: %s", n,
				  strerror(errno));
	io_uring_buf_ring_init(u->br);
	struct io_uring_buf_reg reg;
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)u->br;
	reg.ring_entries = n;
	reg.bgid = BGID;
	rc = io_uring_register_buf_ring(&u->ring, &reg, 0);
	if (rc < 0)
		return rt_err_set(err, rc, "IORING_REGISTER_PBUF_RING: %s", strerror(-rc));
	u->br_registered = 1;
	rc = alloc_bufs(u, n, err);
	if (rc)
		return rc;
	int mask = io_uring_buf_ring_mask(n);
	for (uint32_t i = 0; i < n; i++)
		io_uring_buf_ring_add(u->br, buf_at(u, i), u->buf_size + 1, (unsigned short)i, mask,
				      (int)i);
	io_uring_buf_ring_advance(u->br, (int)n);
	arm_multishot(u);
	rc = io_uring_submit(&u->ring);
	if (rc < 0)
		return rt_err_set(err, rc, "submitting the multishot receive: %s", strerror(-rc));
	return probe_first_cqe(u, "multishot receive", err);
}

static void arm_plain(struct feed_udp *u, struct io_uring_sqe *sqe, uint32_t i)
{
	io_uring_prep_recv(sqe, u->fd, buf_at(u, i), u->buf_size + 1, 0);
	io_uring_sqe_set_data64(sqe, i);
}

static int setup_plain(struct feed_udp *u, struct rt_err *err)
{
	uint32_t n = u->nbufs < FEED_UDP_PLAIN_INFLIGHT ? u->nbufs : FEED_UDP_PLAIN_INFLIGHT;
	u->nbufs = n;
	int rc = ring_init(u, n, 2 * n, err);
	if (rc)
		return rc;
	rc = alloc_bufs(u, n, err);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
		if (!sqe)
			return rt_err_set(err, -EBUSY, "submission queue smaller than %u", n);
		arm_plain(u, sqe, i);
	}
	rc = io_uring_submit(&u->ring);
	if (rc < 0)
		return rt_err_set(err, rc, "submitting %u receives: %s", n, strerror(-rc));
	return probe_first_cqe(u, "io_uring receive", err);
}

static int setup_recvmmsg(struct feed_udp *u, struct rt_err *err)
{
	uint32_t n = u->nbufs < FEED_UDP_BATCH ? u->nbufs : FEED_UDP_BATCH;
	u->nbufs = n;
	int rc = alloc_bufs(u, n, err);
	if (rc)
		return rc;
	u->msgs = calloc(n, sizeof(*u->msgs));
	u->iov = calloc(n, sizeof(*u->iov));
	if (!u->msgs || !u->iov)
		return rt_err_set(err, -ENOMEM, "%u message headers", n);
	for (uint32_t i = 0; i < n; i++) {
		u->iov[i].iov_base = buf_at(u, i);
		u->iov[i].iov_len = u->buf_size; /* MSG_TRUNC in msg_flags reports longer ones */
		u->msgs[i].msg_hdr.msg_iov = &u->iov[i];
		u->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

static int setup_path(struct feed_udp *u, int mode, struct rt_err *err)
{
	int rc;
	u->mode = mode;
	switch (mode) {
	case FEED_UDP_URING_MULTISHOT:
		rc = setup_multishot(u, err);
		break;
	case FEED_UDP_URING_PLAIN:
		rc = setup_plain(u, err);
		break;
	default:
		rc = setup_recvmmsg(u, err);
		break;
	}
	if (rc) {
		path_teardown(u);
		rt_err_wrap(err, "%s", feed_udp_mode_name(mode));
	}
	return rc;
}

/* ---- open / close ------------------------------------------------------------------ */

static int is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static int set_rcvbuf(struct feed_udp *u, uint32_t want)
{
	int v = want > (uint32_t)(INT32_MAX / 2) ? INT32_MAX / 2 : (int)want;
	int got = 0;
	socklen_t gl = sizeof(got);
	if (setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0)
		return -errno;
	/* The kernel doubles the request (bookkeeping) and caps it at rmem_max; past the
	 * cap only SO_RCVBUFFORCE (CAP_NET_ADMIN) helps. Refusal is not an error: the
	 * caller logs the size it got. */
	if (getsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &got, &gl) == 0 && got / 2 < v)
		(void)setsockopt(u->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v));
	gl = sizeof(got);
	if (getsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &got, &gl) == 0)
		u->rcvbuf = (uint32_t)got;
	return 0;
}

static int open_socket(struct feed_udp *u, const struct feed_udp_cfg *cfg, const char *where,
		       struct rt_err *err)
{
	struct in_addr bind_a = {.s_addr = htonl(INADDR_ANY)};
	struct in_addr group_a = {0}, iface_a = {.s_addr = htonl(INADDR_ANY)};
	int mcast = cfg->group[0] != '\0';

	if (mcast) {
		if (parse_ipv4(cfg->group, &group_a) || !IN_MULTICAST(ntohl(group_a.s_addr)))
			return rt_err_set(err, -EINVAL,
					  "%s: group '%s' is not an IPv4 multicast address "
					  "(224.0.0.0/4)",
					  where, cfg->group);
		if (cfg->iface[0] && parse_ipv4(cfg->iface, &iface_a))
			return rt_err_set(err, -EINVAL, "%s: interface '%s' is not an IPv4 address",
					  where, cfg->iface);
		bind_a = group_a; /* only this group's datagrams, not everything on the port */
	}
	if (cfg->bind_addr[0] && parse_ipv4(cfg->bind_addr, &bind_a))
		return rt_err_set(err, -EINVAL, "%s: bind address '%s' is not an IPv4 address",
				  where, cfg->bind_addr);

	u->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (u->fd < 0)
		return rt_err_set(err, -errno, "%s: socket: %s", where, strerror(errno));
	/* Several receivers of one group on a host each need their own copy: that is what
	 * SO_REUSEADDR means for multicast. For unicast it would let a second process
	 * silently share the port (the kernel picks one socket per datagram), so a taken
	 * unicast port stays an error. */
	int one = 1;
	if (mcast && setsockopt(u->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return rt_err_set(err, -errno, "%s: SO_REUSEADDR: %s", where, strerror(errno));
	if (cfg->rcvbuf) {
		int rc = set_rcvbuf(u, cfg->rcvbuf);
		if (rc)
			return rt_err_set(err, rc, "%s: SO_RCVBUF %u: %s", where, cfg->rcvbuf,
					  strerror(-rc));
	}
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr = bind_a;
	sa.sin_port = htons(cfg->port);
	if (bind(u->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		char ab[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &bind_a, ab, sizeof(ab));
		return rt_err_set(err, -errno, "%s: bind %s:%u: %s", where, ab, cfg->port,
				  strerror(errno));
	}
	socklen_t sl = sizeof(sa);
	if (getsockname(u->fd, (struct sockaddr *)&sa, &sl) < 0)
		return rt_err_set(err, -errno, "%s: getsockname: %s", where, strerror(errno));
	u->port = ntohs(sa.sin_port);
	if (mcast) {
		struct ip_mreq mr;
		memset(&mr, 0, sizeof(mr));
		mr.imr_multiaddr = group_a;
		mr.imr_interface = iface_a;
		if (setsockopt(u->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
			return rt_err_set(err, -errno, "%s: joining %s on interface %s: %s", where,
					  cfg->group, cfg->iface[0] ? cfg->iface : "(any)",
					  strerror(errno));
	}
	return 0;
}

int feed_udp_open(struct feed_udp *u, const struct feed_udp_cfg *cfg, struct rt_err *err)
{
	char where[200];
	int rc;

	memset(u, 0, sizeof(*u));
	u->fd = -1;
	snprintf(where, sizeof(where), "udp %s%s:%u", cfg->group[0] ? "group " : "",
		 cfg->group[0] ? cfg->group : (cfg->bind_addr[0] ? cfg->bind_addr : "0.0.0.0"),
		 cfg->port);

	u->nbufs = cfg->nbufs ? cfg->nbufs : FEED_UDP_NBUFS_DEFAULT;
	u->buf_size = cfg->buf_size ? cfg->buf_size : FEED_UDP_BUF_SIZE_DEFAULT;
	if (!is_pow2(u->nbufs) || u->nbufs > FEED_UDP_NBUFS_MAX)
		return rt_err_set(err, -EINVAL, "%s: nbufs %u is not a power of two in 1..%u",
				  where, u->nbufs, FEED_UDP_NBUFS_MAX);
	if (u->buf_size > FEED_UDP_BUF_SIZE_MAX)
		return rt_err_set(err, -EINVAL, "%s: buf_size %u is over %u", where, u->buf_size,
				  FEED_UDP_BUF_SIZE_MAX);
	if (cfg->mode < FEED_UDP_AUTO || cfg->mode > FEED_UDP_RECVMMSG)
		return rt_err_set(err, -EINVAL, "%s: unknown receive mode %d", where, cfg->mode);
	u->buf_stride = (u->buf_size + 1 + STRIDE_ALIGN - 1) / STRIDE_ALIGN * STRIDE_ALIGN;

	rc = open_socket(u, cfg, where, err);
	if (rc)
		goto fail;

	if (cfg->mode != FEED_UDP_AUTO) {
		rc = setup_path(u, cfg->mode, err);
		if (rc) {
			rt_err_wrap(err, "%s", where);
			goto fail;
		}
	} else {
		/* Each failed attempt's reason goes into the note, not into err. */
		struct rt_err why = {0};
		uint32_t nbufs = u->nbufs;
		static const int order[] = {FEED_UDP_URING_MULTISHOT, FEED_UDP_URING_PLAIN,
					    FEED_UDP_RECVMMSG};
		for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			rt_err_clear(&why);
			u->nbufs = nbufs;
			rc = setup_path(u, order[i], &why);
			if (rc == 0)
				break;
			size_t l = strlen(u->note);
			snprintf(u->note + l, sizeof(u->note) - l, "%s%s", l ? "; " : "", why.msg);
		}
		if (rc) {
			rt_err_set(err, rc, "%s: no receive path works: %s", where, u->note);
			goto fail;
		}
	}
	u->opened = 1;
	return 0;
fail:
	path_teardown(u);
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	return rc;
}

void feed_udp_close(struct feed_udp *u)
{
	if (!u || !u->opened)
		return;
	path_teardown(u);
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	u->opened = 0;
}

/* ---- poll -------------------------------------------------------------------------- */

/* What one received buffer holds: deliver it, or count why not. */
static inline int take(struct feed_udp *u, const uint8_t *b, int res, feed_udp_packet_fn fn,
		       void *ctx, uint64_t now)
{
	if ((uint32_t)res > u->buf_size) {
		u->stats.truncated++;
		return 0;
	}
	if (res == 0) {
		u->stats.empty++;
		return 0;
	}
	fn(ctx, b, (uint32_t)res, now);
	u->stats.packets++;
	u->stats.bytes += (uint32_t)res;
	return 1;
}

/* Reap up to FEED_UDP_BATCH completions, waiting for the first when asked. */
static unsigned reap(struct feed_udp *u, struct io_uring_cqe **cqes, uint32_t wait_us, int *rc)
{
	*rc = 0;
	unsigned n = io_uring_peek_batch_cqe(&u->ring, cqes, FEED_UDP_BATCH);
	if (n || !wait_us)
		return n;
	struct __kernel_timespec ts = {.tv_sec = wait_us / 1000000u,
				       .tv_nsec = (long long)(wait_us % 1000000u) * 1000};
	struct io_uring_cqe *first;
	/* With IORING_FEAT_EXT_ARG (5.11+) the timeout rides in the enter call: no SQE. */
	int w = io_uring_wait_cqe_timeout(&u->ring, &first, &ts);
	if (w == -ETIME || w == -EINTR)
		return 0;
	if (w < 0) {
		*rc = w;
		return 0;
	}
	return io_uring_peek_batch_cqe(&u->ring, cqes, FEED_UDP_BATCH);
}

static int poll_multishot(struct feed_udp *u, feed_udp_packet_fn fn, void *ctx, uint32_t wait_us)
{
	struct io_uring_cqe *cqes[FEED_UDP_BATCH];
	int rc;
	unsigned n = reap(u, cqes, wait_us, &rc);
	if (!n)
		return rc;
	uint64_t now = rt_clock_now_ns();
	int mask = io_uring_buf_ring_mask(u->nbufs);
	int delivered = 0, returned = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct io_uring_cqe *c = cqes[i];
		if (c->user_data != UD_RECV)
			continue;
		if (c->flags & IORING_CQE_F_BUFFER) {
			unsigned bid = c->flags >> IORING_CQE_BUFFER_SHIFT;
			uint8_t *b = buf_at(u, bid);
			if (c->res >= 0)
				delivered += take(u, b, c->res, fn, ctx, now);
			/* back to the kernel after the callback: slot tail + returned */
			io_uring_buf_ring_add(u->br, b, u->buf_size + 1, (unsigned short)bid, mask,
					      returned++);
		} else if (c->res == -ENOBUFS) {
			u->stats.enobufs++;
		} else if (c->res == 0) {
			u->stats.empty++; /* a zero-length datagram also ends a multishot recv */
		} else if (c->res < 0) {
			u->stats.errors++;
			if ((c->res == -EINVAL || c->res == -EOPNOTSUPP) && !u->delivered_any &&
			    !delivered)
				u->dead = -EOPNOTSUPP;
		}
		if (!(c->flags & IORING_CQE_F_MORE))
			u->armed = 0;
	}
	io_uring_cq_advance(&u->ring, n);
	if (returned)
		io_uring_buf_ring_advance(u->br, returned); /* publishes the slots (release) */
	u->delivered_any += (uint64_t)delivered;
	if (u->dead)
		return delivered ? delivered : u->dead;
	if (!u->armed) {
		/* The buffers just returned let the new receive take what queued up in the
		 * socket meanwhile, in order: nothing is lost unless the socket buffer
		 * overflowed. */
		arm_multishot(u);
		u->stats.rearms++;
		rc = io_uring_submit(&u->ring);
		if (rc < 0)
			return delivered ? delivered : rc;
	}
	return delivered;
}

static int poll_plain(struct feed_udp *u, feed_udp_packet_fn fn, void *ctx, uint32_t wait_us)
{
	struct io_uring_cqe *cqes[FEED_UDP_BATCH];
	int rc;
	unsigned n = reap(u, cqes, wait_us, &rc);
	if (!n)
		return rc;
	uint64_t now = rt_clock_now_ns();
	int delivered = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct io_uring_cqe *c = cqes[i];
		uint64_t slot = c->user_data;
		if (slot >= u->nbufs)
			continue;
		if (c->res >= 0) {
			delivered += take(u, buf_at(u, (uint32_t)slot), c->res, fn, ctx, now);
		} else {
			u->stats.errors++;
			if ((c->res == -EINVAL || c->res == -EOPNOTSUPP) && !u->delivered_any &&
			    !delivered)
				u->dead = -EOPNOTSUPP;
		}
		/* At most nbufs receives exist and the SQ has nbufs entries: never NULL. */
		struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
		if (sqe && !u->dead)
			arm_plain(u, sqe, (uint32_t)slot);
	}
	io_uring_cq_advance(&u->ring, n);
	u->delivered_any += (uint64_t)delivered;
	rc = io_uring_submit(&u->ring);
	if (u->dead)
		return delivered ? delivered : u->dead;
	if (rc < 0)
		return delivered ? delivered : rc;
	return delivered;
}

static int poll_recvmmsg(struct feed_udp *u, feed_udp_packet_fn fn, void *ctx, uint32_t wait_us)
{
	for (uint32_t i = 0; i < u->nbufs; i++)
		u->msgs[i].msg_hdr.msg_flags = 0;
	int n = recvmmsg(u->fd, u->msgs, u->nbufs, MSG_DONTWAIT, NULL);
	if (n < 0 && errno == EAGAIN && wait_us) {
		struct pollfd pfd = {.fd = u->fd, .events = POLLIN};
		struct timespec ts = {.tv_sec = wait_us / 1000000u,
				      .tv_nsec = (long)(wait_us % 1000000u) * 1000};
		int p = ppoll(&pfd, 1, &ts, NULL);
		if (p < 0)
			return errno == EINTR ? 0 : -errno;
		if (p == 0)
			return 0;
		n = recvmmsg(u->fd, u->msgs, u->nbufs, MSG_DONTWAIT, NULL);
	}
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		u->stats.errors++;
		return -errno;
	}
	uint64_t now = rt_clock_now_ns();
	int delivered = 0;
	for (int i = 0; i < n; i++) {
		const struct mmsghdr *m = &u->msgs[i];
		if (m->msg_hdr.msg_flags & MSG_TRUNC)
			u->stats.truncated++;
		else
			delivered += take(u, buf_at(u, (uint32_t)i), (int)m->msg_len, fn, ctx, now);
	}
	u->delivered_any += (uint64_t)delivered;
	return delivered;
}

int feed_udp_poll(struct feed_udp *u, feed_udp_packet_fn fn, void *ctx, uint32_t wait_us)
{
	if (!u->opened)
		return -EBADF;
	switch (u->mode) {
	case FEED_UDP_URING_MULTISHOT:
		return poll_multishot(u, fn, ctx, wait_us);
	case FEED_UDP_URING_PLAIN:
		return poll_plain(u, fn, ctx, wait_us);
	default:
		return poll_recvmmsg(u, fn, ctx, wait_us);
	}
}

/* ---- sender ------------------------------------------------------------------------ */

static int resolve_ipv4(const char *host, struct in_addr *a)
{
	if (parse_ipv4(host, a) == 0)
		return 0;
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || !res)
		return -EINVAL;
	*a = ((const struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}

int feed_udp_sender_open(struct feed_udp_sender *s, const char *host, uint16_t port,
			 const char *iface, uint8_t ttl, struct rt_err *err)
{
	int rc;
	struct in_addr ifa = {.s_addr = htonl(INADDR_ANY)};

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (!host || !*host)
		return rt_err_set(err, -EINVAL, "udp sender: no destination host");
	s->dst.sin_family = AF_INET;
	s->dst.sin_port = htons(port);
	if (resolve_ipv4(host, &s->dst.sin_addr))
		return rt_err_set(err, -EINVAL,
				  "udp sender %s:%u: '%s' is not an IPv4 address "
				  "or a resolvable host name",
				  host, port, host);
	if (port == 0)
		return rt_err_set(err, -EINVAL, "udp sender %s:%u: port 0", host, port);
	if (iface && *iface && parse_ipv4(iface, &ifa))
		return rt_err_set(err, -EINVAL,
				  "udp sender %s:%u: interface '%s' is not an IPv4 "
				  "address",
				  host, port, iface);
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return rt_err_set(err, -errno, "udp sender %s:%u: socket: %s", host, port,
				  strerror(errno));
	if (IN_MULTICAST(ntohl(s->dst.sin_addr.s_addr))) {
		int t = ttl ? ttl : 1, loop = 1;
		if (iface && *iface &&
		    setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof(ifa)) < 0) {
			rc = rt_err_set(err, -errno, "udp sender %s:%u: IP_MULTICAST_IF %s: %s",
					host, port, iface, strerror(errno));
			goto fail;
		}
		if (setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_TTL, &t, sizeof(t)) < 0 ||
		    setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) < 0) {
			rc = rt_err_set(err, -errno, "udp sender %s:%u: multicast options: %s",
					host, port, strerror(errno));
			goto fail;
		}
	} else if (iface && *iface) {
		/* unicast: the interface address becomes the source address */
		struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr = ifa};
		if (bind(s->fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
			rc = rt_err_set(err, -errno, "udp sender %s:%u: bind source %s: %s", host,
					port, iface, strerror(errno));
			goto fail;
		}
	}
	/* Not connect()ed: a connected UDP socket turns an ICMP port-unreachable (no
	 * receiver yet) into an error on the next send, and a feed keeps sending. */
	s->opened = 1;
	return 0;
fail:
	close(s->fd);
	s->fd = -1;
	return rc;
}

int feed_udp_send_batch(struct feed_udp_sender *s, const uint8_t *const *pkts, const uint32_t *lens,
			uint32_t n)
{
	struct mmsghdr m[FEED_UDP_SEND_BATCH];
	struct iovec v[FEED_UDP_SEND_BATCH];
	uint32_t done = 0;
	unsigned retries = 0;

	if (!s->opened)
		return -EBADF;
	while (done < n) {
		uint32_t k = n - done < FEED_UDP_SEND_BATCH ? n - done : FEED_UDP_SEND_BATCH;
		memset(m, 0, k * sizeof(m[0]));
		for (uint32_t i = 0; i < k; i++) {
			v[i].iov_base = (void *)pkts[done + i];
			v[i].iov_len = lens[done + i];
			m[i].msg_hdr.msg_name = &s->dst;
			m[i].msg_hdr.msg_namelen = sizeof(s->dst);
			m[i].msg_hdr.msg_iov = &v[i];
			m[i].msg_hdr.msg_iovlen = 1;
		}
		int rc = sendmmsg(s->fd, m, k, 0);
		if (rc < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			if ((e == ENOBUFS || e == EAGAIN) && retries++ < 1000) {
				struct timespec ts = {0, 50000}; /* the device queue drains */
				nanosleep(&ts, NULL);
				continue;
			}
			return -e;
		}
		for (int i = 0; i < rc; i++)
			s->bytes += lens[done + (uint32_t)i];
		s->packets += (uint32_t)rc;
		done += (uint32_t)rc;
	}
	return (int)n;
}

void feed_udp_sender_close(struct feed_udp_sender *s)
{
	if (!s || !s->opened)
		return;
	close(s->fd);
	s->fd = -1;
	s->opened = 0;
}
