/*
 * alluse-record — record the UDP feed into a binary replay file (feed_replay.h:
 * "ALUREC01", then { recv_wall_ns, len, packet } records) that the feeder and
 * alluse-feedsend replay.
 *
 * Receives with feed_udp (AUTO unless --mode) waiting at most 100 ms per poll, so it
 * idles instead of spinning. The receive time of each packet is the monotonic
 * completion time feed_udp reports, moved to the wall clock by one offset taken at
 * start (no clock read per packet, and a wall-clock step during the recording does
 * not reorder it). Stops on Ctrl-C / SIGTERM, --count packets or --seconds, after
 * draining what already arrived; flushes and closes the file, prints a summary.
 *
 * Start-up prints "listening on ADDR:PORT ..." on stderr once the socket is bound
 * (with the real port when --listen asked for port 0), so scripts can wait for it.
 * Exit: 0 done, 1 socket or file failure, 2 bad usage.
 */
#include "feeders/feed_replay.h"
#include "feeders/feed_udp.h"
#include "rt/rt_clock.h"
#include "rt/rt_err.h"
#include "rt/rt_signal.h"

#include "rt/rt_parse.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "alluse-record"
#define WAIT_US 100000u
#define DRAIN_POLLS 1000

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct opts {
	char addr[64]; /* "" = any (or the group) */
	uint16_t port;
	const char *group;
	const char *iface;
	const char *out;
	uint64_t count; /* 0 = unbounded */
	double seconds; /* 0 = unbounded */
	int mode;
};

struct rec {
	FILE *f;
	uint64_t wall_offset; /* wall - monotonic at start */
	uint64_t count; /* stop after this many (0 = never) */
	uint64_t packets, bytes;
	int err;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " --listen [ADDR:]PORT [--group G [--iface ADDR]] --out FILE\n"
		   "       [--count N] [--seconds S] [--mode MODE]\n"
		   "\n"
		   "Record the UDP quote feed into a binary replay file.\n"
		   "\n"
		   "  --listen [ADDR:]PORT  address and port to bind (ADDR default: any, or the\n"
		   "                        group); port 0 picks a free one (printed)\n"
		   "  --group G             join multicast group G\n"
		   "  --iface ADDR          address of the interface to join the group on\n"
		   "  --out FILE            the recording (created or truncated)\n"
		   "  --count N             stop after N packets\n"
		   "  --seconds S           stop after S seconds (decimals allowed)\n"
		   "  --mode MODE           receive path: auto (default), uring-multishot,\n"
		   "                        uring-plain, recvmmsg\n"
		   "  -h, --help            this text\n"
		   "\n"
		   "Stops on Ctrl-C too. exit status: 0 ok, 1 socket/file failure, 2 bad usage\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(" PROG " --help for usage)\n");
	return EXIT_USAGE;
}

static int parse_listen(const char *s, struct opts *o)
{
	const char *c = strrchr(s, ':');
	const char *p = c ? c + 1 : s;
	uint64_t port;
	if (rt_parse_u64(p, 65535, &port))
		return -EINVAL;
	if (c) {
		size_t n = (size_t)(c - s);
		if (n == 0 || n >= sizeof(o->addr))
			return -EINVAL;
		memcpy(o->addr, s, n);
		o->addr[n] = '\0';
	}
	o->port = (uint16_t)port;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	const char *listen = NULL;
	o->mode = FEED_UDP_AUTO;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(EXIT_OK);
		}
		static const char *const with_value[] = {"--listen", "--group", "--iface",
							 "--out",    "--count", "--seconds",
							 "--mode"};
		const char *v = NULL, *name = NULL;
		for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++) {
			size_t l = strlen(with_value[k]);
			if (strcmp(a, with_value[k]) == 0) {
				name = with_value[k];
				if (i + 1 >= argc)
					return usage_error("%s needs a value", name);
				v = argv[++i];
			} else if (strncmp(a, with_value[k], l) == 0 && a[l] == '=') {
				name = with_value[k];
				v = a + l + 1;
			}
			if (name)
				break;
		}
		if (!name)
			return usage_error("unknown argument '%s'", a);
		if (strcmp(name, "--listen") == 0) {
			listen = v;
			if (parse_listen(v, o))
				return usage_error(
					"--listen: '%s' is not [ADDR:]PORT (port 0..65535)", v);
		} else if (strcmp(name, "--group") == 0) {
			if (!*v || strlen(v) >= 64)
				return usage_error("--group: '%s' is not a multicast address", v);
			o->group = v;
		} else if (strcmp(name, "--iface") == 0) {
			if (!*v || strlen(v) >= 64)
				return usage_error("--iface: '%s' is not an interface address", v);
			o->iface = v;
		} else if (strcmp(name, "--out") == 0) {
			if (!*v)
				return usage_error("--out needs a file name");
			o->out = v;
		} else if (strcmp(name, "--count") == 0) {
			if (rt_parse_u64(v, UINT64_MAX, &o->count) || o->count == 0)
				return usage_error("--count: '%s' is not a whole number >= 1", v);
		} else if (strcmp(name, "--seconds") == 0) {
			char *end;
			errno = 0;
			o->seconds = strtod(v, &end);
			if (errno || end == v || *end || !isfinite(o->seconds) || o->seconds <= 0 ||
			    o->seconds > 1e9)
				return usage_error("--seconds: '%s' is not a positive number of "
						   "seconds",
						   v);
		} else {
			o->mode = feed_udp_mode_from_name(v);
			if (o->mode < 0)
				return usage_error("--mode: '%s' is not auto, uring-multishot, "
						   "uring-plain or recvmmsg",
						   v);
		}
	}
	if (!listen)
		return usage_error("--listen [ADDR:]PORT is required");
	if (!o->out)
		return usage_error("--out FILE is required");
	if (o->iface && !o->group)
		return usage_error("--iface only applies with --group");
	return EXIT_OK;
}

static void on_packet(void *ctx, const uint8_t *pkt, uint32_t len, uint64_t recv_ns)
{
	struct rec *r = ctx;
	if (r->err || (r->count && r->packets >= r->count))
		return;
	if (feed_rec_append(r->f, pkt, len, recv_ns + r->wall_offset)) {
		r->err = -EIO;
		return;
	}
	r->packets++;
	r->bytes += len;
}

static int done(const struct rec *r)
{
	return r->err || (r->count && r->packets >= r->count);
}

int main(int argc, char **argv)
{
	struct opts o;
	memset(&o, 0, sizeof(o));
	int ex = parse_args(argc, argv, &o);
	if (ex != EXIT_OK)
		return ex;

	struct feed_udp_cfg cfg;
	struct feed_udp u;
	struct rt_err err = {0};
	struct rec r = {0};
	feed_udp_cfg_defaults(&cfg);
	snprintf(cfg.bind_addr, sizeof(cfg.bind_addr), "%s", o.addr);
	cfg.port = o.port;
	if (o.group)
		snprintf(cfg.group, sizeof(cfg.group), "%s", o.group);
	if (o.iface)
		snprintf(cfg.iface, sizeof(cfg.iface), "%s", o.iface);
	cfg.mode = o.mode;
	int rc = feed_udp_open(&u, &cfg, &err);
	if (rc) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return rc == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	if (feed_rec_open(&r.f, o.out, &err)) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		feed_udp_close(&u);
		return EXIT_FAIL;
	}
	rt_signal_install();
	const char *shown = o.addr[0] ? o.addr : (o.group ? o.group : "0.0.0.0");
	fprintf(stderr, PROG ": listening on %s:%u%s%s%s%s mode=%s rcvbuf=%u%s%s -> %s\n", shown,
		feed_udp_port(&u), o.group ? " group " : "", o.group ? o.group : "",
		o.iface ? " iface " : "", o.iface ? o.iface : "", feed_udp_mode_name(u.mode),
		u.rcvbuf, feed_udp_note(&u)[0] ? " note=" : "", feed_udp_note(&u), o.out);

	uint64_t t0 = rt_clock_now_ns();
	uint64_t end = o.seconds > 0 ? t0 + (uint64_t)(o.seconds * 1e9) : UINT64_MAX;
	r.wall_offset = rt_clock_wall_ns() - rt_clock_now_ns();
	r.count = o.count;
	int prc = 0;
	while (!done(&r) && !rt_signal_stop_requested()) {
		uint64_t now = rt_clock_now_ns();
		if (now >= end)
			break;
		uint64_t left_us = (end - now) / 1000 + 1;
		prc = feed_udp_poll(&u, on_packet, &r,
				    left_us < WAIT_US ? (uint32_t)left_us : WAIT_US);
		if (prc < 0)
			break;
	}
	/* What already arrived when the stop came is part of the recording. */
	for (int i = 0; prc >= 0 && i < DRAIN_POLLS && !done(&r); i++) {
		prc = feed_udp_poll(&u, on_packet, &r, i == 0 ? 1000 : 0);
		if (prc == 0)
			break;
	}
	uint64_t ns = rt_clock_now_ns() - t0;
	ex = EXIT_OK;
	if (prc < 0) {
		fprintf(stderr, PROG ": receiving: %s\n", strerror(-prc));
		ex = EXIT_FAIL;
	}
	if (fclose(r.f) != 0 && !r.err)
		r.err = -errno;
	if (r.err) {
		fprintf(stderr, PROG ": writing %s: %s\n", o.out, strerror(-r.err));
		ex = EXIT_FAIL;
	}
	printf("%s: recorded %" PRIu64 " packets, %" PRIu64 " bytes in %.3f s to %s"
	       " (mode %s; truncated %" PRIu64 ", buffer-ring exhausted %" PRIu64 ")\n",
	       PROG, r.packets, r.bytes, (double)ns / 1e9, o.out, feed_udp_mode_name(u.mode),
	       u.stats.truncated, u.stats.enobufs);
	feed_udp_close(&u);
	return ex;
}
