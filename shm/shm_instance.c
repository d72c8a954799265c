#include "shm/shm_instance.h"

#include "shm/shm_clock.h"
#include "shm/shm_instr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The regions of one instance. capacity: a fixed number, or 0 with `cap_of` naming the
 * configuration value; per_worker regions come once per worker, named "<name>.<i>". */
enum cap_of { CAP_FIXED, CAP_INSTRUMENTS, CAP_QUOTE_RING, CAP_EVENT_RING, CAP_POSITIONS };
static const struct region_def {
	uint32_t kind, role;
	const char *name;
	enum cap_of cap_of;
	uint32_t capacity;
	int per_worker;
} regions[] = {
	{SHM_KIND_INSTRUMENTS, SHM_ROLE_NONE, "instruments", CAP_INSTRUMENTS, 0, 0},
	{SHM_KIND_BOARD, SHM_ROLE_NONE, "board", CAP_INSTRUMENTS, 0, 0},
	{SHM_KIND_CLOCK, SHM_ROLE_NONE, "clock", CAP_FIXED, 1, 0},
	{SHM_KIND_ATR, SHM_ROLE_NONE, "atr", CAP_INSTRUMENTS, 0, 0},
	{SHM_KIND_RING, SHM_ROLE_QUOTES, "quotes", CAP_QUOTE_RING, 0, 1},
	{SHM_KIND_RING, SHM_ROLE_EVENTS, "events", CAP_EVENT_RING, 0, 1},
	{SHM_KIND_RING, SHM_ROLE_POSCTL, "posctl", CAP_FIXED, SHM_INSTANCE_POSCTL, 1},
	{SHM_KIND_POSITIONS, SHM_ROLE_NONE, "positions", CAP_POSITIONS, 0, 1},
	{SHM_KIND_COUNTERS, SHM_ROLE_NONE, "supervisor", CAP_FIXED, SHM_INSTANCE_COUNTERS, 0},
	{SHM_KIND_COUNTERS, SHM_ROLE_NONE, "feeder", CAP_FIXED, SHM_INSTANCE_COUNTERS, 0},
	{SHM_KIND_COUNTERS, SHM_ROLE_NONE, "rules", CAP_FIXED, SHM_INSTANCE_COUNTERS, 0},
	{SHM_KIND_COUNTERS, SHM_ROLE_NONE, "desk", CAP_FIXED, SHM_INSTANCE_DESK_COUNTERS, 0},
	{SHM_KIND_RING, SHM_ROLE_CTL, "ctl", CAP_FIXED, 64, 0},
	{SHM_KIND_RING, SHM_ROLE_AUDIT, "audit.rules", CAP_FIXED, SHM_INSTANCE_AUDIT_RING, 0},
	{SHM_KIND_COUNTERS, SHM_ROLE_NONE, "audit", CAP_FIXED, SHM_INSTANCE_COUNTERS, 0},
	{SHM_KIND_HISTS, SHM_ROLE_NONE, "feeder", CAP_FIXED, SHM_INSTANCE_HISTS, 0},
	{SHM_KIND_COUNTERS, SHM_ROLE_NONE, "worker", CAP_FIXED, SHM_INSTANCE_COUNTERS, 1},
	{SHM_KIND_HISTS, SHM_ROLE_NONE, "worker", CAP_FIXED, SHM_INSTANCE_HISTS, 1},
};

static uint32_t capacity_of(const struct region_def *d, const struct rt_config *cfg)
{
	switch (d->cap_of) {
	case CAP_INSTRUMENTS:
		return cfg->shm.max_instruments;
	case CAP_QUOTE_RING:
		return cfg->shm.quote_ring_capacity;
	case CAP_EVENT_RING:
		return cfg->shm.event_ring_capacity;
	case CAP_POSITIONS:
		return cfg->workers.max_positions;
	case CAP_FIXED:
	default:
		return d->capacity;
	}
}

int shm_instance_plan(struct shm_plan *plan, const struct rt_config *cfg, struct rt_err *err)
{
	memset(plan, 0, sizeof(*plan));
	const size_t n = sizeof(regions) / sizeof(regions[0]);
	int rc = 0;
	for (size_t i = 0; i < n && !rc;) {
		/* a run of per-worker regions is laid out worker by worker: quotes.0,
		 * events.0, posctl.0, positions.0, quotes.1, ... */
		size_t end = i + 1;
		while (regions[i].per_worker && end < n && regions[end].per_worker)
			end++;
		uint32_t copies = regions[i].per_worker ? cfg->workers.count : 1;
		for (uint32_t w = 0; w < copies && !rc; w++)
			for (size_t k = i; k < end && !rc; k++) {
				const struct region_def *d = &regions[k];
				char name[SHM_REGION_NAME_MAX];
				if (d->per_worker)
					snprintf(name, sizeof(name), "%s.%u", d->name, w);
				else
					snprintf(name, sizeof(name), "%s", d->name);
				rc = shm_plan_add(plan, d->kind, d->role, w, name,
						  capacity_of(d, cfg), err);
			}
		i = end;
	}
	return rc ? rt_err_wrap(err, "laying out the segment") : 0;
}
int shm_instance_populate(struct shm_segment *seg, const struct rt_config *cfg, struct rt_err *err)
{
	const struct shm_dir_entry *e = shm_segment_find_name(seg, "instruments");
	if (!e)
		return rt_err_set(err, -ENOENT, "segment has no instrument directory");
	struct shm_instr_dir dir;
	shm_instr_attach(&dir, shm_segment_region(seg, e));
	for (uint32_t i = 0; i < cfg->ninstruments; i++) {
		struct shm_instr in;
		if (shm_instr_make_stock(&in, cfg->instruments[i]) != 0)
			return rt_err_set(err, -EINVAL, "instrument '%s' is not a valid ticker",
					  cfg->instruments[i]);
		int rc = shm_instr_add(&dir, &in, NULL, err);
		if (rc && rc != -EEXIST)
			return rt_err_wrap(err, "loading instruments");
	}
	rt_err_clear(err);
	return 0;
}

int shm_instance_create(struct shm_segment *seg, const struct rt_config *cfg, int takeover_stale,
			struct rt_err *err)
{
	static struct shm_plan plan; /* ~40 KiB: not on the stack; cold path, one caller */
	int rc = shm_instance_plan(&plan, cfg, err);
	if (rc)
		return rc;
	struct shm_create_opts o = {
		.mode = cfg->shm.mode,
		.huge_pages = cfg->shm.huge_pages,
		.mlock = cfg->shm.mlock,
		.takeover_stale = takeover_stale,
	};
	rc = shm_segment_create(seg, cfg->instance, &plan, &o, err);
	if (rc)
		return rc;
	rc = shm_instance_populate(seg, cfg, err);
	const struct shm_dir_entry *ce = shm_segment_find_kind_name(seg, SHM_KIND_CLOCK, "clock");
	if (!rc && ce) /* the clock's mode is known before any process reads it */
		shm_clock_set_mode(shm_segment_region(seg, ce), cfg->feeder.source == RT_FEED_UDP
									? SHM_CLOCK_LIVE
									: SHM_CLOCK_REPLAY);
	if (rc) {
		shm_segment_detach(seg);
		shm_segment_unlink(cfg->instance, NULL);
		return rc;
	}
	shm_segment_publish(seg);
	return 0;
}
