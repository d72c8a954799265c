/*
 * alluse-feedsend — send a quote feed over UDP (docs/feed-udp.md, "Tools").
 *
 * Sources: a CSV replay file (feed_replay_next), encoded into packets with sequence
 * numbers from 1; the deterministic synthetic stream (feed_synth), definitions first;
 * or a binary recording made by alluse-record, whose packets are sent verbatim (their
 * session and sequence numbers as recorded, no end-of-session added).
 *
 * Pacing: message k is due at t0 + k / rate. The sender never resets that schedule:
 * when it falls behind, every due message goes out at once, filling packets and
 * sendmmsg batches, so a stall shows up downstream as a burst, as it would on a real
 * feed (no coordinated omission). When the next message is not yet due, the packet
 * being filled is sent, so a slow rate does not hold messages back. --rate 0 sends
 * flat out: full packets, FEED_UDP_SEND_BATCH per sendmmsg.
 *
 * Exit: 0 done, 1 runtime failure (file, socket, send), 2 bad usage.
 */
#include "feeders/feed_replay.h"
#include "feeders/feed_synth.h"
#include "feeders/feed_udp.h"
#include "feeders/feed_wire.h"
#include "rt/rt_clock.h"
#include "rt/rt_err.h"
#include "rt/rt_signal.h"

#include "rt/rt_parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#define PROG "alluse-feedsend"
#define DEFAULT_RATE 10000u
#define DEFAULT_HEARTBEAT_MS 1000u
#define DEFAULT_SESSION "ALLUSE"
#define MAX_WARN 10u /* bad CSV lines reported one by one, then only counted */

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct opts {
	char host[256];
	uint16_t port;
	const char *iface;
	uint8_t ttl;
	const char *replay;
	int synthetic;
	uint64_t seed;
	int seed_set;
	uint64_t count; /* 0 = unbounded */
	uint64_t rate; /* messages/s, 0 = flat out */
	const char *session;
	uint64_t heartbeat_ms; /* 0 = off */
};

struct tx {
	struct feed_udp_sender s;
	const char *session;
	uint8_t pkt[FEED_UDP_SEND_BATCH][FEED_WIRE_MAX_PACKET];
	const uint8_t *ptr[FEED_UDP_SEND_BATCH];
	uint32_t len[FEED_UDP_SEND_BATCH];
	uint32_t npk; /* finished packets waiting in pkt[] */
	struct feed_wire_enc enc; /* fills pkt[npk] when enc_open */
	int enc_open;
	uint64_t next_seq;
	uint64_t msgs, quotes, defs, packets, heartbeats, bad, nonfinite;
	uint64_t last_send_ns;
	int err; /* first send failure, -errno */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --to HOST:PORT [--iface ADDR] [--ttl N]\n"
		"       (--replay FILE | --synthetic [--seed N]) [--count N] [--rate N]\n"
		"       [--session NAME] [--heartbeat-ms N]\n"
		"\n"
		"Encode quotes into alluse feed packets (docs/feed-wire.md) and send them over "
		"UDP.\n"
		"\n"
		"  --to HOST:PORT      destination, unicast or a multicast group\n"
		"  --iface ADDR        multicast: address of the interface to send on\n"
		"                      (unicast: the source address); default: kernel's choice\n"
		"  --ttl N             multicast TTL, 1..255 (default 1: stays on the segment)\n"
		"  --replay FILE       a CSV replay file (docs/replay-format.md), or a binary\n"
		"                      recording from alluse-record (sent verbatim)\n"
		"  --synthetic         the deterministic synthetic stream (definitions first)\n"
		"  --seed N            seed of the synthetic stream (default 1)\n"
		"  --count N           stop after N quotes (synthetic default: until Ctrl-C;\n"
		"                      replay default: end of file; recordings: N messages)\n"
		"  --rate N            messages per second, 0 = flat out (default %u)\n"
		"  --session NAME      session name, 1..10 printable characters "
		"(default " DEFAULT_SESSION ")\n"
		"  --heartbeat-ms N    heartbeat after N ms without a packet, 0 = never (default "
		"%u)\n"
		"  -h, --help          this text\n"
		"\n"
		"exit status: 0 ok, 1 file/socket/send failure, 2 bad usage\n",
		DEFAULT_RATE, DEFAULT_HEARTBEAT_MS);
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

/* "HOST:PORT", split at the last colon. */
static int parse_hostport(const char *s, char *host, size_t hn, uint16_t *port)
{
	const char *c = strrchr(s, ':');
	uint64_t p;
	if (!c || c == s || (size_t)(c - s) >= hn || rt_parse_u64(c + 1, 65535, &p) || p == 0)
		return -EINVAL;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = '\0';
	*port = (uint16_t)p;
	return 0;
}

static int session_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > FEED_WIRE_SESSION_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	const char *to = NULL;
	o->ttl = 1;
	o->rate = DEFAULT_RATE;
	o->session = DEFAULT_SESSION;
	o->heartbeat_ms = DEFAULT_HEARTBEAT_MS;
	o->seed = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(EXIT_OK);
		}
		if (strcmp(a, "--synthetic") == 0) {
			o->synthetic = 1;
			continue;
		}
		static const char *const with_value[] = {"--to",     "--iface",   "--ttl",
							 "--replay", "--seed",    "--count",
							 "--rate",   "--session", "--heartbeat-ms"};
		const char *v = NULL;
		const char *name = NULL;
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
		uint64_t n;
		if (strcmp(name, "--to") == 0) {
			to = v;
			if (parse_hostport(v, o->host, sizeof(o->host), &o->port))
				return usage_error("--to: '%s' is not HOST:PORT (port 1..65535)",
						   v);
		} else if (strcmp(name, "--iface") == 0) {
			o->iface = v;
		} else if (strcmp(name, "--ttl") == 0) {
			if (rt_parse_u64(v, 255, &n) || n == 0)
				return usage_error("--ttl: '%s' is not a TTL in 1..255", v);
			o->ttl = (uint8_t)n;
		} else if (strcmp(name, "--replay") == 0) {
			if (!*v)
				return usage_error("--replay needs a file name");
			o->replay = v;
		} else if (strcmp(name, "--seed") == 0) {
			if (rt_parse_u64(v, UINT64_MAX, &o->seed))
				return usage_error("--seed: '%s' is not a whole number", v);
			o->seed_set = 1;
		} else if (strcmp(name, "--count") == 0) {
			if (rt_parse_u64(v, UINT64_MAX, &o->count) || o->count == 0)
				return usage_error("--count: '%s' is not a whole number >= 1", v);
		} else if (strcmp(name, "--rate") == 0) {
			if (rt_parse_u64(v, 1000000000u, &o->rate))
				return usage_error(
					"--rate: '%s' is not a whole number of messages per "
					"second (0 = flat out)",
					v);
		} else if (strcmp(name, "--session") == 0) {
			if (!session_ok(v))
				return usage_error(
					"--session: '%s' is not 1..10 printable characters", v);
			o->session = v;
		} else {
			if (rt_parse_u64(v, 3600000u, &o->heartbeat_ms))
				return usage_error("--heartbeat-ms: '%s' is not a number of "
						   "milliseconds (0 = off)",
						   v);
		}
	}
	if (!to)
		return usage_error("--to HOST:PORT is required");
	if (!o->replay == !o->synthetic)
		return usage_error("give exactly one source: --replay FILE or --synthetic");
	if (o->seed_set && !o->synthetic)
		return usage_error("--seed only applies to --synthetic");
	return EXIT_OK;
}

/* ---- packets ------------------------------------------------------------------------ */

static int flush(struct tx *t)
{
	if (t->enc_open && t->enc.count > 0) {
		t->len[t->npk] = (uint32_t)feed_wire_enc_finish(&t->enc);
		t->ptr[t->npk] = t->pkt[t->npk];
		t->npk++;
		t->enc_open = 0;
	}
	if (!t->npk)
		return 0;
	int rc = feed_udp_send_batch(&t->s, t->ptr, t->len, t->npk);
	if (rc < 0) {
		t->err = rc;
		return rc;
	}
	t->packets += t->npk;
	t->npk = 0;
	t->last_send_ns = rt_clock_now_ns();
	return 0;
}

/* A control packet (heartbeat or end of session) of its own, after what is pending. */
static int send_control(struct tx *t, int end)
{
	if (flush(t))
		return t->err;
	struct feed_wire_enc e;
	feed_wire_enc_init(&e, t->pkt[0], FEED_WIRE_MAX_PACKET, t->session, t->next_seq);
	t->len[0] = (uint32_t)(end ? feed_wire_enc_end_session(&e) : feed_wire_enc_finish(&e));
	t->ptr[0] = t->pkt[0];
	t->npk = 1;
	if (!end)
		t->heartbeats++;
	return flush(t);
}

static int add_msg(struct tx *t, const struct feed_wire_msg *m)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!t->enc_open) {
			if (t->npk == FEED_UDP_SEND_BATCH && flush(t))
				return t->err;
			feed_wire_enc_init(&t->enc, t->pkt[t->npk], FEED_WIRE_MAX_PACKET,
					   t->session, t->next_seq);
			t->enc_open = 1;
		}
		int rc = m->type == FEED_WIRE_MSG_DEF ? feed_wire_enc_def(&t->enc, m)
						      : feed_wire_enc_quote(&t->enc, m);
		if (rc == 0) {
			t->next_seq++;
			t->msgs++;
			if (m->type == FEED_WIRE_MSG_DEF)
				t->defs++;
			else
				t->quotes++;
			return 0;
		}
		if (rc != -ENOSPC || t->enc.count == 0)
			return rc; /* -EINVAL: not encodable (bad symbol); the caller counts it */
		/* packet full: finish it, start the next with first_seq + count */
		t->len[t->npk] = (uint32_t)feed_wire_enc_finish(&t->enc);
		t->ptr[t->npk] = t->pkt[t->npk];
		t->npk++;
		t->enc_open = 0;
	}
	return -ENOSPC;
}

/* Verbatim packet of a recording. */
static int add_raw(struct tx *t, const uint8_t *p, uint32_t len)
{
	if (t->enc_open || t->npk == FEED_UDP_SEND_BATCH)
		if (flush(t))
			return t->err;
	if (len > FEED_WIRE_MAX_PACKET) /* only what fits our buffers; the encoder's limit */
		return -EMSGSIZE;
	memcpy(t->pkt[t->npk], p, len);
	t->ptr[t->npk] = t->pkt[t->npk];
	t->len[t->npk] = len;
	t->npk++;
	return 0;
}

/* ---- sources ------------------------------------------------------------------------ */

struct source {
	int kind; /* 0 synthetic, FEED_REPLAY_CSV, FEED_REPLAY_BINARY */
	struct feed_synth *synth;
	struct feed_replay *replay;
};

/* Next item into t: 1 = one message (or recorded packet of *nmsg messages) added,
 * 0 = end, < 0 = failure (reported). */
static int next_item(struct source *src, struct tx *t, const struct opts *o, uint64_t *nmsg)
{
	struct feed_event ev;
	struct rt_err err = {0};
	*nmsg = 1;
	if (src->kind == 0) {
		feed_synth_next(src->synth, &ev);
		int rc = add_msg(t, &ev.msg);
		if (rc) {
			fprintf(stderr, PROG ": synthetic %s: %s\n", ev.msg.symbol, strerror(-rc));
			return rc;
		}
		return 1;
	}
	if (src->kind == FEED_REPLAY_BINARY) {
		const uint8_t *p;
		uint32_t len;
		uint64_t wall;
		int rc = feed_replay_next_packet(src->replay, &p, &len, &wall, &err);
		if (rc <= 0) {
			if (rc < 0)
				fprintf(stderr, PROG ": %s\n", err.msg);
			return rc;
		}
		struct feed_wire_iter it;
		struct feed_wire_msg m;
		*nmsg = 0;
		if (feed_wire_packet_open(&it, p, len) == 0) {
			*nmsg = it.count;
			for (int k; (k = feed_wire_next(&it, &m)) != 0;) {
				if (k == 1 && m.type == FEED_WIRE_MSG_QUOTE)
					t->quotes++;
				else if (k == 1)
					t->defs++;
			}
		}
		rc = add_raw(t, p, len);
		if (rc) {
			fprintf(stderr, PROG ": %s: record %" PRIu64 ": %s\n", o->replay,
				src->replay->line, strerror(-rc));
			return rc;
		}
		t->msgs += *nmsg;
		return 1;
	}
	for (;;) {
		int rc = feed_replay_next(src->replay, &ev, &err);
		if (rc == 0)
			return 0;
		if (rc == 1 && ev.nonfinite) {
			/* the wire has no NaN: the feeder's rejection of it is tested elsewhere */
			t->nonfinite++;
			continue;
		}
		if (rc == 1)
			rc = add_msg(t, &ev.msg);
		if (rc == 0)
			return 1;
		if (t->err)
			return t->err;
		if (rc == -EBADMSG || rc == -EINVAL) {
			if (t->bad++ < MAX_WARN)
				fprintf(stderr, PROG ": skipped: %s\n",
					err.msg[0] ? err.msg : "message the encoder refuses");
			rt_err_clear(&err);
			continue;
		}
		fprintf(stderr, PROG ": %s: %s\n", o->replay, err.msg[0] ? err.msg : strerror(-rc));
		return rc;
	}
}

/* The intended send time of message k: t0 + k / rate, without overflow. */
static uint64_t due_ns(uint64_t t0, uint64_t k, uint64_t rate)
{
	return t0 + k / rate * 1000000000ull + k % rate * 1000000000ull / rate;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {.tv_sec = (time_t)(t / 1000000000ull),
			      .tv_nsec = (long)(t % 1000000000ull)};
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL); /* EINTR: caller loops */
}

static int run(const struct opts *o, struct source *src, struct tx *t, uint64_t *elapsed_ns)
{
	uint64_t hb_ns = o->heartbeat_ms * 1000000ull;
	uint64_t k = 0; /* messages scheduled so far */
	uint64_t t0 = rt_clock_now_ns();
	int rc = 0;
	t->last_send_ns = t0;
	while (!rt_signal_stop_requested()) {
		if (o->count && (src->kind == FEED_REPLAY_BINARY ? t->msgs : t->quotes) >= o->count)
			break;
		if (o->rate) {
			uint64_t due = due_ns(t0, k, o->rate);
			uint64_t now = rt_clock_now_ns();
			if (due > now) {
				/* nothing due: what is encoded goes now, then wait */
				if ((rc = flush(t)))
					break;
				now = rt_clock_now_ns(); /* flush may have sent: last_send_ns moved */
				if (hb_ns && now - t->last_send_ns >= hb_ns) {
					if ((rc = send_control(t, 0)))
						break;
					continue;
				}
				uint64_t until = due;
				if (hb_ns && t->last_send_ns + hb_ns < until)
					until = t->last_send_ns + hb_ns;
				if (until > now + 2000)
					sleep_until(until);
				continue;
			}
		}
		uint64_t nmsg;
		rc = next_item(src, t, o, &nmsg);
		if (rc <= 0)
			break;
		rc = 0;
		k += nmsg;
		if (t->npk == FEED_UDP_SEND_BATCH && (rc = flush(t)))
			break;
	}
	if (rc == 0)
		rc = flush(t);
	if (rc == 0 && src->kind != FEED_REPLAY_BINARY)
		rc = send_control(t, 1);
	*elapsed_ns = rt_clock_now_ns() - t0;
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	memset(&o, 0, sizeof(o));
	int ex = parse_args(argc, argv, &o);
	if (ex != EXIT_OK)
		return ex;

	struct rt_err err = {0};
	struct source src = {0};
	struct tx *t = calloc(1, sizeof(*t));
	if (!t) {
		fprintf(stderr, PROG ": out of memory\n");
		return EXIT_FAIL;
	}
	t->session = o.session;
	t->next_seq = 1;
	ex = EXIT_FAIL;

	if (o.synthetic) {
		struct feed_synth_cfg cfg;
		feed_synth_cfg_defaults(&cfg);
		cfg.seed = o.seed;
		src.synth = malloc(sizeof(*src.synth)); /* ~400 KiB: not on the stack */
		if (!src.synth || feed_synth_cfg_add_default_universe(&cfg, &err) ||
		    feed_synth_init(src.synth, &cfg, &err)) {
			fprintf(stderr, PROG ": synthetic stream: %s\n",
				src.synth ? err.msg : "out of memory");
			goto out;
		}
	} else {
		src.replay = malloc(sizeof(*src.replay));
		if (!src.replay) {
			fprintf(stderr, PROG ": out of memory\n");
			goto out;
		}
		if (feed_replay_open(src.replay, o.replay, &err)) {
			fprintf(stderr, PROG ": %s\n", err.msg);
			free(src.replay);
			src.replay = NULL;
			goto out;
		}
		src.kind = src.replay->kind;
	}

	int rc = feed_udp_sender_open(&t->s, o.host, o.port, o.iface, o.ttl, &err);
	if (rc) {
		fprintf(stderr, PROG ": --to %s:%u: %s\n", o.host, o.port, err.msg);
		ex = rc == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	rt_signal_install();
	prctl(PR_SET_TIMERSLACK, 1UL); /* pacing sleeps wake within microseconds */

	uint64_t ns;
	rc = run(&o, &src, t, &ns);
	if (t->err)
		fprintf(stderr, PROG ": sending to %s:%u: %s\n", o.host, o.port, strerror(-t->err));
	double secs = (double)ns / 1e9;
	printf("%s: %" PRIu64 " messages (%" PRIu64 " quotes, %" PRIu64 " definitions) in %" PRIu64
	       " packets (%" PRIu64 " heartbeats) over %.3f s: %.0f msgs/s to %s:%u session %s\n",
	       PROG, t->msgs, t->quotes, t->defs, t->packets, t->heartbeats, secs,
	       secs > 0 ? (double)t->msgs / secs : 0.0, o.host, o.port,
	       src.kind == FEED_REPLAY_BINARY ? "(as recorded)" : o.session);
	if (t->bad || t->nonfinite)
		printf("%s: skipped %" PRIu64 " bad lines, %" PRIu64 " non-finite quotes\n", PROG,
		       t->bad, t->nonfinite);
	ex = rc ? EXIT_FAIL : EXIT_OK;
out:
	feed_udp_sender_close(&t->s);
	if (src.replay) {
		feed_replay_close(src.replay);
		free(src.replay);
	}
	free(src.synth);
	free(t);
	return ex;
}
