/*
 * alluse-feed — the feed process: attaches to the instance's segment and publishes
 * quotes from the configured source into the quote board and the workers' rings.
 *
 *   alluse-feed [-c FILE] [-n INSTANCE] [--source synthetic|replay|udp]
 *               [--replay FILE] [--speed X] [--count N] [--exit-at-end]
 *
 * Command-line options override the configuration (docs/feeder.md).
 */
#include "feeders/feed_core.h"
#include "feeders/feed_replay.h"
#include "feeders/feed_synth.h"
#include "feeders/feed_udp.h"
#include "rt/rt_clock.h"
#include "rt/rt_config.h"
#include "rt/rt_cpu.h"
#include "rt/rt_idle.h"
#include "rt/rt_log.h"
#include "rt/rt_signal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct opts {
	const char *env;
	const char *config;
	const char *instance;
	const char *source;
	const char *replay;
	double speed;
	int speed_set;
	uint64_t count;
	int exit_at_end;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: alluse-feed [-e ENV] [-c FILE] [-n INSTANCE] "
		   "[--source synthetic|replay|udp]\n"
		   "                   [--replay FILE] [--speed X] [--count N] [--exit-at-end]\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--exit-at-end")) {
			o->exit_at_end = 1;
			continue;
		} else if (!v) {
			fprintf(stderr, "alluse-feed: '%s' needs a value or is unknown\n", a);
			return -EINVAL;
		} else if (!strcmp(a, "-e") || !strcmp(a, "--env")) {
			o->env = v;
		} else if (!strcmp(a, "-c")) {
			o->config = v;
		} else if (!strcmp(a, "-n")) {
			o->instance = v;
		} else if (!strcmp(a, "--source")) {
			o->source = v;
		} else if (!strcmp(a, "--replay")) {
			o->replay = v;
		} else if (!strcmp(a, "--speed")) {
			o->speed = strtod(v, &end);
			if (*end || end == v || !(o->speed >= 0 && o->speed <= 1e6)) {
				fprintf(stderr,
					"alluse-feed: --speed '%s' is not a number in 0..1000000\n",
					v);
				return -EINVAL;
			}
			o->speed_set = 1;
		} else if (!strcmp(a, "--count")) {
			o->count = strtoull(v, &end, 10);
			if (*end || end == v || *v == '-') {
				fprintf(stderr, "alluse-feed: --count '%s' is not a whole number\n",
					v);
				return -EINVAL;
			}
		} else {
			fprintf(stderr, "alluse-feed: unknown option '%s'\n", a);
			return -EINVAL;
		}
		i++;
	}
	return 0;
}

/* Pacing of event time against the wall clock: speed 1 = real time, 0 = flat out. */
struct pacer {
	double speed;
	uint64_t ev0, wall0;
	int started;
};

/* ns to wait before an event at ev_ns is due (0 = now). */
static uint64_t pace_wait(struct pacer *p, uint64_t ev_ns)
{
	if (p->speed <= 0)
		return 0;
	uint64_t now = rt_clock_now_ns();
	if (!p->started) {
		p->started = 1;
		p->ev0 = ev_ns;
		p->wall0 = now;
		return 0;
	}
	if (ev_ns <= p->ev0)
		return 0;
	uint64_t due = p->wall0 + (uint64_t)((double)(ev_ns - p->ev0) / p->speed);
	return due > now ? due - now : 0;
}

static void wait_until_due(struct pacer *p, uint64_t ev_ns, struct rt_idle *idle)
{
	uint64_t w;
	while ((w = pace_wait(p, ev_ns)) > 0 && !rt_signal_stop_requested()) {
		if (idle->kind == RT_IDLE_SPIN || w < 20000)
			rt_cpu_relax();
		else
			rt_clock_sleep_ns(w > 1000000 ? 1000000 : w);
	}
}

static void idle_until_stop(struct feed_core *f)
{
	while (!rt_signal_stop_requested()) {
		feed_core_sync_counters(f);
		rt_clock_sleep_ns(50000000);
	}
}

#define SYNTH_BATCH 64u /* events published per clock read at full speed */

static int run_synthetic(struct feed_core *f, const struct rt_config *cfg, const struct opts *o,
			 struct rt_idle *idle)
{
	struct rt_err err = {0};
	struct feed_synth_cfg sc;
	feed_synth_cfg_defaults(&sc);
	sc.seed = cfg->feeder.synthetic_seed;
	sc.dt_ns = (uint64_t)cfg->feeder.synthetic_dt_us * 1000;
	sc.strikes_per_side = cfg->feeder.synthetic_strikes_per_side;
	sc.expiries = cfg->feeder.synthetic_expiries;
	sc.options_per_tick = cfg->feeder.synthetic_options_per_tick;
	if (feed_synth_cfg_add_default_universe(&sc, &err) != 0) {
		rt_log_error("synthetic source", "reason=\"%s\"", err.msg);
		return 1;
	}
	/* keep only the configured instruments that the universe knows */
	struct feed_synth_cfg keep = sc;
	keep.nunderlyings = 0;
	for (uint32_t j = 0; j < cfg->ninstruments; j++) {
		int found = 0;
		for (uint32_t i = 0; i < sc.nunderlyings; i++)
			if (!strcmp(sc.u[i].symbol, cfg->instruments[j])) {
				keep.u[keep.nunderlyings++] = sc.u[i];
				found = 1;
			}
		if (!found)
			rt_log_warn("the synthetic source has no model for an instrument; it gets "
				    "no quotes",
				    "symbol=%s", cfg->instruments[j]);
	}
	struct feed_synth *s = malloc(sizeof(*s));
	if (!s || feed_synth_init(s, &keep, &err) != 0) {
		rt_log_error("synthetic source", "reason=\"%s\"", s ? err.msg : "out of memory");
		free(s);
		return 1;
	}
	rt_log_info("synthetic source", "seed=%llu underlyings=%u options=%u speed=%g",
		    (unsigned long long)keep.seed, keep.nunderlyings, s->noptions,
		    o->speed_set ? o->speed : cfg->feeder.speed);
	struct pacer p = {.speed = o->speed_set ? o->speed : cfg->feeder.speed};
	if (feed_core_set_source_keys(f, feed_synth_keys(s)) != 0)
		rt_log_warn("synthetic source: no memory for the id cache; symbols are looked up",
			    "keys=%u", feed_synth_keys(s));
	/* Events that are due go out in batches (one clock read each, see
	 * feed_core_on_events); a batch is published before waiting for a later event,
	 * so pacing never holds a due quote back. */
	static struct feed_event batch[SYNTH_BATCH];
	struct feed_event ev;
	uint32_t nb = 0;
	uint64_t n = 0, skipped = 0;
	uint64_t resume = f->now_wall_ns; /* a restarted feeder carries on after this */
	while (!rt_signal_stop_requested() && (!o->count || n < o->count)) {
		feed_synth_next(s, &ev);
		if (ev.ts_ns <= resume && ev.msg.type == FEED_WIRE_MSG_QUOTE) {
			skipped++;
			continue;
		}
		if (nb && pace_wait(&p, ev.ts_ns) > 0) {
			feed_core_on_events(f, batch, nb);
			nb = 0;
		}
		wait_until_due(&p, ev.ts_ns, idle);
		batch[nb++] = ev;
		n++;
		if (nb == SYNTH_BATCH) {
			feed_core_on_events(f, batch, nb);
			nb = 0;
		}
	}
	if (nb)
		feed_core_on_events(f, batch, nb);
	free(s);
	rt_log_info("synthetic source stopped", "events=%llu skipped_before_resume=%llu",
		    (unsigned long long)n, (unsigned long long)skipped);
	if (!o->exit_at_end)
		idle_until_stop(f);
	return 0;
}

static int run_replay(struct feed_core *f, const struct rt_config *cfg, const struct opts *o,
		      struct rt_idle *idle)
{
	const char *path = o->replay ? o->replay : cfg->feeder.replay_file;
	struct rt_err err = {0};
	if (!path || !*path) {
		rt_log_error("replay source needs a file",
			     "hint=\"set feeder.replay_file or --replay FILE\"");
		return 1;
	}
	static struct feed_replay r;
	if (feed_replay_open(&r, path, &err) != 0) {
		rt_log_error("replay source", "reason=\"%s\"", err.msg);
		return 1;
	}
	struct pacer p = {.speed = o->speed_set ? o->speed : cfg->feeder.speed};
	uint64_t n = 0, bad = 0, skipped = 0;
	uint64_t resume = f->now_wall_ns; /* a restarted feeder carries on after this */
	rt_log_info("replay source", "file=%s form=%s speed=%g", path,
		    r.kind == FEED_REPLAY_CSV ? "csv" : "binary", p.speed);
	while (!rt_signal_stop_requested() && (!o->count || n < o->count)) {
		int rc;
		if (r.kind == FEED_REPLAY_CSV) {
			struct feed_event ev;
			rc = feed_replay_next(&r, &ev, &err);
			if (rc == 1 && ev.ts_ns <= resume) {
				skipped++;
				continue;
			}
			if (rc == 1) {
				wait_until_due(&p, ev.ts_ns, idle);
				feed_core_set_time(f, ev.ts_ns);
				ev.msg.seq = r.line;
				feed_core_on_msg(f, &ev.msg, ev.nonfinite, rt_clock_now_ns());
			}
		} else {
			const uint8_t *pkt;
			uint32_t len;
			uint64_t ts;
			rc = feed_replay_next_packet(&r, &pkt, &len, &ts, &err);
			if (rc == 1 && ts <= resume) {
				skipped++;
				continue;
			}
			if (rc == 1) {
				wait_until_due(&p, ts, idle);
				feed_core_set_time(f, ts);
				feed_core_on_packet(f, pkt, len, rt_clock_now_ns());
			}
		}
		if (rc == 0)
			break;
		if (rc < 0) {
			bad++;
			rt_counter_add(f->c_reject[FEED_REJECT_MALFORMED], 1);
			if (bad <= 10)
				rt_log_warn("replay: bad record skipped", "reason=\"%s\"", err.msg);
			if (r.kind == FEED_REPLAY_BINARY)
				break; /* a truncated recording ends there */
			continue;
		}
		n++;
	}
	feed_replay_close(&r);
	feed_core_sync_counters(f);
	rt_log_info("replay finished", "records=%llu bad=%llu skipped_before_resume=%llu",
		    (unsigned long long)n, (unsigned long long)bad, (unsigned long long)skipped);
	if (!o->exit_at_end)
		idle_until_stop(f);
	return 0;
}

struct udp_ctx {
	struct feed_core *f;
	uint64_t last_wall_ns, last_recv_ns;
};

static void on_udp_packet(void *ctx, const uint8_t *pkt, uint32_t len, uint64_t recv_ns)
{
	struct udp_ctx *c = ctx;
	/* one wall-clock read per receive batch: packets reaped together share recv_ns */
	if (recv_ns != c->last_recv_ns) {
		c->last_recv_ns = recv_ns;
		c->last_wall_ns = rt_clock_wall_ns();
	}
	feed_core_set_time(c->f, c->last_wall_ns);
	feed_core_on_packet(c->f, pkt, len, recv_ns);
}

static int run_udp(struct feed_core *f, const struct rt_config *cfg, const struct opts *o,
		   struct rt_idle *idle)
{
	struct rt_err err = {0};
	struct feed_udp_cfg uc;
	feed_udp_cfg_defaults(&uc);
	snprintf(uc.bind_addr, sizeof(uc.bind_addr), "%s", cfg->feeder.udp_bind);
	uc.port = (uint16_t)cfg->feeder.udp_port;
	snprintf(uc.group, sizeof(uc.group), "%s", cfg->feeder.udp_group);
	snprintf(uc.iface, sizeof(uc.iface), "%s", cfg->feeder.udp_iface);
	static struct feed_udp u;
	if (feed_udp_open(&u, &uc, &err) != 0) {
		rt_log_error("udp source", "reason=\"%s\"", err.msg);
		return 1;
	}
	rt_log_info("udp source", "bind=%s port=%u group=%s mode=%s rcvbuf=%u note=\"%s\"",
		    uc.bind_addr, feed_udp_port(&u), uc.group[0] ? uc.group : "-",
		    feed_udp_mode_name(u.mode), u.rcvbuf, feed_udp_note(&u));
	uint64_t *c_trunc = shm_counters_word(&f->counters, "udp.truncated");
	uint64_t *c_enobufs = shm_counters_word(&f->counters, "udp.enobufs");
	uint64_t *c_errors = shm_counters_word(&f->counters, "udp.errors");
	uint64_t *c_packets = shm_counters_word(&f->counters, "udp.packets");
	struct udp_ctx ctx = {.f = f, .last_wall_ns = rt_clock_wall_ns()};
	uint64_t n = 0, polls = 0;
	int rc = 0;
	uint32_t wait_us = idle->kind == RT_IDLE_SPIN ? 0 : 1000;
	while (!rt_signal_stop_requested() && (!o->count || n < o->count)) {
		int k = feed_udp_poll(&u, on_udp_packet, &ctx, wait_us);
		if (k < 0) {
			rt_log_error("udp receive failed", "reason=\"%s\"", strerror(-k));
			rc = 1; /* the supervisor restarts us */
			break;
		}
		n += (uint64_t)k;
		if ((++polls & 1023) == 0 || k == 0) {
			feed_core_sync_counters(f);
			rt_store_rlx_u64(c_trunc, u.stats.truncated);
			rt_store_rlx_u64(c_enobufs, u.stats.enobufs);
			rt_store_rlx_u64(c_errors, u.stats.errors);
			rt_store_rlx_u64(c_packets, u.stats.packets);
		}
	}
	feed_udp_close(&u);
	feed_core_sync_counters(f);
	if (rc == 0 && !o->exit_at_end && !rt_signal_stop_requested())
		idle_until_stop(f);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	if (parse_args(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	static struct rt_config cfg;
	struct rt_err err = {0};
	if (rt_config_load_cli_env(&cfg, o.env, o.config, o.instance, &err)) {
		fprintf(stderr, "alluse-feed: %s\n", err.msg);
		return 2;
	}
	if (o.source) {
		if (!strcmp(o.source, "synthetic"))
			cfg.feeder.source = RT_FEED_SYNTHETIC;
		else if (!strcmp(o.source, "replay"))
			cfg.feeder.source = RT_FEED_REPLAY;
		else if (!strcmp(o.source, "udp"))
			cfg.feeder.source = RT_FEED_UDP;
		else {
			fprintf(stderr,
				"alluse-feed: --source '%s' is not synthetic, replay or udp\n",
				o.source);
			return 2;
		}
	}
	rt_log_init("feeder", cfg.log_level);
	rt_signal_install();
	if (rt_cpu_apply(cfg.feeder.cpu, 0, 0, &err) != 0) {
		rt_log_error("cannot pin the feeder", "reason=\"%s\"", err.msg);
		return 1;
	}
	struct shm_segment seg;
	if (shm_segment_attach(&seg, cfg.instance, 5000, &err) != 0) {
		rt_log_error("cannot attach", "instance=%s reason=\"%s\"", cfg.instance, err.msg);
		return 1;
	}
	struct feed_core_cfg fc = {
		.validate =
			{
				.max_age_ns = (uint64_t)cfg.feeder.max_age_ms * 1000000ull,
				.jump_atr_k100 = (uint32_t)(cfg.feeder.jump_atr_k * 100.0 + 0.5),
				.jump_confirm = cfg.feeder.jump_confirm,
				.allow_zero_bid = 0,
			},
		.auto_define = cfg.feeder.auto_define_options,
		.clock_mode = cfg.feeder.source == RT_FEED_UDP ? SHM_CLOCK_LIVE : SHM_CLOCK_REPLAY,
	};
	static struct feed_core f;
	if (feed_core_attach(&f, &seg, &fc, &err) != 0) {
		rt_log_error("cannot start the feeder", "reason=\"%s\"", err.msg);
		return 1;
	}
	struct rt_idle idle;
	rt_idle_init(&idle, cfg.feeder.idle);
	rt_log_info("feeder attached", "instance=%s workers=%u instruments=%u source=%s",
		    cfg.instance, f.nworkers, f.known,
		    cfg.feeder.source == RT_FEED_SYNTHETIC ? "synthetic"
		    : cfg.feeder.source == RT_FEED_REPLAY  ? "replay"
		    : cfg.feeder.source == RT_FEED_UDP     ? "udp"
							   : "none");
	int rc = 0;
	switch (cfg.feeder.source) {
	case RT_FEED_SYNTHETIC:
		rc = run_synthetic(&f, &cfg, &o, &idle);
		break;
	case RT_FEED_REPLAY:
		rc = run_replay(&f, &cfg, &o, &idle);
		break;
	case RT_FEED_UDP:
		rc = run_udp(&f, &cfg, &o, &idle);
		break;
	case RT_FEED_NONE:
		idle_until_stop(&f);
		break;
	}
	feed_core_sync_counters(&f);
	feed_core_detach(&f);
	shm_segment_detach(&seg);
	return rc;
}
