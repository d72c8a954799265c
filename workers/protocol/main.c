/*
 * alluse-worker — a protocol worker: pinned, consumes its quote ring, evaluates its
 * shard of positions at each level's cadence down to real time (docs/worker.md).
 *
 *   alluse-worker --id N [-e ENV] [-c FILE] [-n INSTANCE]
 */
#include "rt/rt_config.h"
#include "rt/rt_cpu.h"
#include "rt/rt_idle.h"
#include "rt/rt_log.h"
#include "rt/rt_signal.h"
#include "workers/engine/proto_engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: alluse-worker --id N [-e ENV] [-c FILE] [-n INSTANCE]\n");
}

int main(int argc, char **argv)
{
	const char *config = NULL, *instance = NULL, *env = NULL;
	long id = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!v) {
			fprintf(stderr, "alluse-worker: '%s' needs a value or is unknown\n", a);
			usage(stderr);
			return 2;
		}
		if (!strcmp(a, "--id")) {
			char *end;
			id = strtol(v, &end, 10);
			if (*end || end == v || id < 0 || id >= RT_CONFIG_WORKERS_MAX) {
				fprintf(stderr,
					"alluse-worker: --id '%s' is not a worker number 0..%u\n",
					v, RT_CONFIG_WORKERS_MAX - 1);
				return 2;
			}
		} else if (!strcmp(a, "-c")) {
			config = v;
		} else if (!strcmp(a, "-e") || !strcmp(a, "--env")) {
			env = v;
		} else if (!strcmp(a, "-n")) {
			instance = v;
		} else {
			fprintf(stderr, "alluse-worker: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		}
		i++;
	}
	if (id < 0) {
		fprintf(stderr, "alluse-worker: --id N is required\n");
		usage(stderr);
		return 2;
	}
	static struct rt_config cfg;
	struct rt_err err = {0};
	if (rt_config_load_cli_env(&cfg, env, config, instance, &err)) {
		fprintf(stderr, "alluse-worker: %s\n", err.msg);
		return 2;
	}
	if ((uint32_t)id >= cfg.workers.count) {
		fprintf(stderr, "alluse-worker: --id %ld but workers.count is %u\n", id,
			cfg.workers.count);
		return 2;
	}
	char name[32];
	snprintf(name, sizeof(name), "worker.%ld", id);
	rt_log_init(name, cfg.log_level);
	rt_signal_install();
	int cpu = cfg.workers.ncpus ? cfg.workers.cpus[id] : -1;
	if (rt_cpu_apply(cpu, cfg.workers.fifo_priority, cfg.shm.mlock, &err) != 0) {
		rt_log_error("cannot pin the worker", "reason=\"%s\"", err.msg);
		return 1;
	}
	struct shm_segment seg;
	if (shm_segment_attach(&seg, cfg.instance, 5000, &err) != 0) {
		rt_log_error("cannot attach", "instance=%s reason=\"%s\"", cfg.instance, err.msg);
		return 1;
	}
	/* a spinning loop polls every few ns: a heartbeat every ~1 000 empty polls is still
	 * microseconds apart, and saves a clock read per poll on the way to the next quote */
	struct proto_cfg pc = {.worker = (uint32_t)id,
			       .heartbeat_idle_turns = cfg.workers.idle == RT_IDLE_SPIN ? 1024 : 1};
	for (int k = 0; k < 3; k++) {
		pc.mult100[k] = (uint32_t)(cfg.protocol.level_atr[k] * 100.0 + 0.5);
		pc.cadence_ns[k] = (uint64_t)cfg.protocol.cadence_s[k] * 1000000000ull;
	}
	static struct proto_engine e;
	if (proto_engine_attach(&e, &seg, &pc, &err) != 0) {
		rt_log_error("cannot start the worker", "reason=\"%s\"", err.msg);
		return 1;
	}
	struct rt_idle idle;
	rt_idle_init(&idle, cfg.workers.idle);
	rt_log_info("worker running", "id=%ld cpu=%d idle=%s positions=%llu", id, cpu,
		    rt_idle_name(cfg.workers.idle), (unsigned long long)*e.c_positions);
	while (!rt_signal_stop_requested())
		rt_idle(&idle, proto_engine_do_work(&e));
	rt_log_info("worker stopping", "id=%ld events=%llu", id, (unsigned long long)e.event_seq);
	proto_engine_detach(&e);
	shm_segment_detach(&seg);
	return 0;
}
