/*
 * feed_udp.h — the feeder's UDP receiver (unicast or multicast) and a batch sender
 * for the tools, tests and bench. docs/feed-udp.md explains the receive paths.
 *
 * Receive paths, best first (FEED_UDP_AUTO tries them in this order):
 *  - FEED_UDP_URING_MULTISHOT: one io_uring multishot receive (IORING_OP_RECV with
 *    IORING_RECV_MULTISHOT) selecting buffers from a provided-buffer ring
 *    (IORING_REGISTER_PBUF_RING). One SQE serves every datagram; the kernel ends it
 *    when the buffer ring runs dry (-ENOBUFS) and poll re-arms it.
 *  - FEED_UDP_URING_PLAIN: a fixed set of single-shot receives, each with its own
 *    buffer, re-armed after their packet has been delivered.
 *  - FEED_UDP_RECVMMSG: recvmmsg(2) over a fixed array of buffers.
 * AUTO falls back when io_uring, the buffer ring or the multishot receive is refused
 * (setup error, or an -EINVAL/-EOPNOTSUPP completion right after arming); the socket
 * and its address are never the reason. feed_udp_mode_name() and feed_udp_note()
 * say what was chosen and why, for the caller's start-up log line.
 *
 * Ownership: struct feed_udp is caller-owned storage; open allocates the buffers and
 * the ring inside it, close releases them. The io_uring modes are polled by the
 * thread that opened the receiver, and only by it (the ring is set up with
 * IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN where the kernel has them,
 * 6.1+: receive work runs when that thread asks for completions, never by
 * interrupting it; ring_flags says what was taken).
 * The poll path never allocates, logs or formats text; the only syscalls it makes are
 * io_uring_enter (submit / wait) or recvmmsg / ppoll.
 */
#ifndef FEED_UDP_H
#define FEED_UDP_H

#include "rt/rt_err.h"

#include <liburing.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

enum feed_udp_mode {
	FEED_UDP_AUTO = 0,
	FEED_UDP_URING_MULTISHOT = 1,
	FEED_UDP_URING_PLAIN = 2,
	FEED_UDP_RECVMMSG = 3,
};

#define FEED_UDP_NBUFS_DEFAULT 1024u
#define FEED_UDP_NBUFS_MAX 32768u /* buffer-ring limit (entries are a power of two) */
#define FEED_UDP_BUF_SIZE_DEFAULT 2048u /* > FEED_WIRE_MAX_PACKET */
#define FEED_UDP_BUF_SIZE_MAX 65536u
#define FEED_UDP_RCVBUF_DEFAULT (8u << 20)
#define FEED_UDP_PLAIN_INFLIGHT 32u /* plain receives armed at once (each wakes on every packet) */
#define FEED_UDP_BATCH 64u /* completions / datagrams handled per poll call */

struct feed_udp_cfg {
	/* IPv4 address to bind; "" = INADDR_ANY, or the group when one is set */
	char bind_addr[64];
	uint16_t port; /* 0 = any free port (tests): read it back with feed_udp_port */
	char group[64]; /* multicast group (224.0.0.0/4) to join; "" = unicast */
	char iface[64]; /* IPv4 address of the interface for the join; "" = kernel's choice */
	uint32_t nbufs; /* a power of two, 1..32768; 0 = default 1024. Multishot: buffer-ring
	                   entries; plain: min(nbufs, 32) receives armed; recvmmsg:
	                   min(nbufs, 64) datagrams per call */
	uint32_t buf_size; /* largest datagram accepted, bytes; 0 = default 2048 */
	int mode; /* enum feed_udp_mode */
	uint32_t rcvbuf; /* SO_RCVBUF request in bytes (SO_RCVBUFFORCE past rmem_max when
	                    privileged); 0 = leave the kernel default */
};

/* Counters, written only by the polling thread. */
struct feed_udp_stats {
	uint64_t packets; /* delivered to the callback */
	uint64_t bytes; /* their payload bytes */
	uint64_t truncated; /* datagrams longer than buf_size: counted and dropped */
	uint64_t enobufs; /* multishot: buffer ring ran dry, the receive ended (re-armed) */
	uint64_t rearms; /* multishot receives re-armed (for ENOBUFS or any other end) */
	uint64_t errors; /* receive completions / calls that failed otherwise */
	uint64_t empty; /* zero-length datagrams (ignored) */
};

/* Per-packet callback. pkt is valid only during the call (its buffer goes back to the
 * kernel afterwards). recv_ns: rt_clock_now_ns() read once per batch of completions
 * reaped together (every packet of one poll call shares it). */
typedef void (*feed_udp_packet_fn)(void *ctx, const uint8_t *pkt, uint32_t len, uint64_t recv_ns);

struct feed_udp {
	int fd;
	int mode; /* the mode in use: never FEED_UDP_AUTO once open */
	int opened;
	int ring_ready; /* ring initialised (io_uring modes) */
	int br_registered;
	uint32_t ring_flags; /* io_uring setup flags taken (see ring_init in feed_udp.c) */
	int ring_fd_registered; /* io_uring_register_ring_fd succeeded */
	int armed; /* multishot: a receive is in flight */
	uint16_t port; /* bound port, host order */
	uint32_t nbufs; /* buffers: multishot ring entries, plain receives armed, recvmmsg
	                   datagrams per call (the last two capped, see below) */
	uint32_t buf_size;
	uint32_t buf_stride;
	uint32_t rcvbuf; /* SO_RCVBUF as the kernel reports it after open (0 = untouched) */
	uint64_t delivered_any; /* packets ever delivered (distinguishes the first CQE) */
	uint8_t *bufs; /* nbufs × buf_stride, mmap'ed */
	size_t bufs_len;
	struct io_uring ring;
	struct io_uring_buf_ring *br; /* page-aligned, mmap'ed */
	size_t br_len;
	struct mmsghdr *msgs; /* recvmmsg: nbufs headers */
	struct iovec *iov;
	int dead; /* -errno that ended the receive path for good (poll returns it), else 0 */
	struct feed_udp_stats stats;
	char note[192]; /* why AUTO did not pick multishot; "" when it did or the mode was forced */
};

/* Defaults: bind "" (any), port 0, unicast, nbufs 1024, buf_size 2048, AUTO,
 * rcvbuf 8 MiB. */
void feed_udp_cfg_defaults(struct feed_udp_cfg *cfg);

/* Open the socket (SO_REUSEADDR only for a multicast group, so two unicast receivers
 * can never split a port; SO_RCVBUF; bind; IP_ADD_MEMBERSHIP when cfg->group is set)
 * and set up the receive path of cfg->mode (AUTO: the best that works here).
 * 0, or -errno with err naming the address, port and call that failed:
 *   -EINVAL      bad address, group not multicast, nbufs / buf_size out of range
 *   -EADDRINUSE  port taken; -EADDRNOTAVAIL address not local
 *   -EOPNOTSUPP  a forced io_uring mode the kernel refuses (also -ENOSYS/-EPERM when
 *                io_uring is disabled)
 *   -ENOMEM      buffers or ring
 * On failure nothing is left open and feed_udp_close(u) is a no-op. */
int feed_udp_open(struct feed_udp *u, const struct feed_udp_cfg *cfg, struct rt_err *err);

/* Deliver received packets to fn, in order of completion. wait_us 0: never block
 * (busy-poll); > 0: when nothing is ready, wait at most wait_us for the first packet.
 * Handles at most FEED_UDP_BATCH completions per call; call again for more.
 * Returns the packets delivered (>= 0; 0 on timeout or when a signal interrupted the
 * wait) or -errno: -EBADF when not open, -EOPNOTSUPP when the kernel refused the
 * multishot receive on its first completion (reopen with FEED_UDP_URING_PLAIN),
 * other errors of io_uring_enter / recvmmsg. Truncated, empty and ENOBUFS events are
 * counted in u->stats, not returned. No allocation, logging or text. */
int feed_udp_poll(struct feed_udp *u, feed_udp_packet_fn fn, void *ctx, uint32_t wait_us);

/* The bound port (host order). */
uint16_t feed_udp_port(const struct feed_udp *u);

/* "auto", "uring-multishot", "uring-plain", "recvmmsg" ("unknown" out of range). */
const char *feed_udp_mode_name(int mode);
/* The mode name back to enum feed_udp_mode, or -EINVAL. */
int feed_udp_mode_from_name(const char *name);
/* Why AUTO settled for a lesser mode ("multishot: IORING_REGISTER_PBUF_RING: Invalid
 * argument"), or "" (storage inside u, valid until close). */
const char *feed_udp_note(const struct feed_udp *u);

/* Release everything. Accepts NULL, a zeroed struct, a failed open; safe twice. */
void feed_udp_close(struct feed_udp *u);

/* ---- sender ------------------------------------------------------------------- */

#define FEED_UDP_SEND_BATCH 64u /* datagrams per sendmmsg call */

struct feed_udp_sender {
	int fd;
	int opened;
	struct sockaddr_in dst;
	uint64_t packets; /* sent */
	uint64_t bytes;
};

/* A UDP socket sending to host:port (host: IPv4 address or name). For a multicast
 * destination: IP_MULTICAST_IF = iface ("" or NULL = kernel's choice), IP_MULTICAST_TTL
 * = ttl (0 = 1), IP_MULTICAST_LOOP on (receivers on this host see the packets).
 * 0 or -errno with err naming host, port and the call. */
int feed_udp_sender_open(struct feed_udp_sender *s, const char *host, uint16_t port,
			 const char *iface, uint8_t ttl, struct rt_err *err);

/* Send pkts[0..n) with sendmmsg, FEED_UDP_SEND_BATCH per call, in order; blocks while
 * the socket's send buffer is full. Returns n, or -errno of the first failure
 * (datagrams before it were sent; -EMSGSIZE for a datagram over 65507 bytes).
 * Transient -ENOBUFS/-EAGAIN/-EINTR are retried. No allocation. */
int feed_udp_send_batch(struct feed_udp_sender *s, const uint8_t *const *pkts, const uint32_t *lens,
			uint32_t n);

/* Accepts NULL, a zeroed struct, a failed open; safe twice. */
void feed_udp_sender_close(struct feed_udp_sender *s);

#endif
