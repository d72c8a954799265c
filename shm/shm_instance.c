#include "shm/shm_instance.h"

#include "shm/shm_clock.h"
#include "shm/shm_instr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int shm_instance_plan(struct shm_plan *plan, const struct rt_config *cfg, struct rt_err *err)
{
	memset(plan, 0, sizeof(*plan));
	char name[SHM_REGION_NAME_MAX];
	int rc = 0;
	rc = rc
		     ?: shm_plan_add(plan, SHM_KIND_INSTRUMENTS, SHM_ROLE_NONE, 0, "instruments",
				     cfg->shm.max_instruments, err);
	rc = rc
		     ?: shm_plan_add(plan, SHM_KIND_BOARD, SHM_ROLE_NONE, 0, "board",
				     cfg->shm.max_instruments, err);
	rc = rc ?: shm_plan_add(plan, SHM_KIND_CLOCK, SHM_ROLE_NONE, 0, "clock", 1, err);
	rc = rc
		     ?: shm_plan_add(plan, SHM_KIND_ATR, SHM_ROLE_NONE, 0, "atr",
				     cfg->shm.max_instruments, err);
	for (uint32_t i = 0; i < cfg->workers.count && !rc; i++) {
		snprintf(name, sizeof(name), "quotes.%u", i);
		rc = shm_plan_add(plan, SHM_KIND_RING, SHM_ROLE_QUOTES, i, name,
				  cfg->shm.quote_ring_capacity, err);
		snprintf(name, sizeof(name), "events.%u", i);
		rc = rc
			     ?: shm_plan_add(plan, SHM_KIND_RING, SHM_ROLE_EVENTS, i, name,
					     cfg->shm.event_ring_capacity, err);
		snprintf(name, sizeof(name), "posctl.%u", i);
		rc = rc
			     ?: shm_plan_add(plan, SHM_KIND_RING, SHM_ROLE_POSCTL, i, name,
					     SHM_INSTANCE_POSCTL, err);
		snprintf(name, sizeof(name), "positions.%u", i);
		rc = rc
			     ?: shm_plan_add(plan, SHM_KIND_POSITIONS, SHM_ROLE_NONE, i, name,
					     cfg->workers.max_positions, err);
	}
	rc = rc
		     ?: shm_plan_add(plan, SHM_KIND_COUNTERS, SHM_ROLE_NONE, 0, "supervisor",
				     SHM_INSTANCE_COUNTERS, err);
	rc = rc
		     ?: shm_plan_add(plan, SHM_KIND_COUNTERS, SHM_ROLE_NONE, 0, "feeder",
				     SHM_INSTANCE_COUNTERS, err);
	rc = rc
		     ?: shm_plan_add(plan, SHM_KIND_COUNTERS, SHM_ROLE_NONE, 0, "rules",
				     SHM_INSTANCE_COUNTERS, err);
	rc = rc
		     ?: shm_plan_add(plan, SHM_KIND_COUNTERS, SHM_ROLE_NONE, 0, "desk",
				     SHM_INSTANCE_DESK_COUNTERS, err);
	rc = rc ?: shm_plan_add(plan, SHM_KIND_RING, SHM_ROLE_CTL, 0, "ctl", 64, err);
	rc = rc
		     ?: shm_plan_add(plan, SHM_KIND_RING, SHM_ROLE_AUDIT, 0, "audit.rules",
				     SHM_INSTANCE_AUDIT_RING, err);
	rc = rc
		     ?: shm_plan_add(plan, SHM_KIND_COUNTERS, SHM_ROLE_NONE, 0, "audit",
				     SHM_INSTANCE_COUNTERS, err);
	rc = rc
		     ?: shm_plan_add(plan, SHM_KIND_HISTS, SHM_ROLE_NONE, 0, "feeder",
				     SHM_INSTANCE_HISTS, err);
	for (uint32_t i = 0; i < cfg->workers.count && !rc; i++) {
		snprintf(name, sizeof(name), "worker.%u", i);
		rc = shm_plan_add(plan, SHM_KIND_COUNTERS, SHM_ROLE_NONE, i, name,
				  SHM_INSTANCE_COUNTERS, err);
		rc = rc
			     ?: shm_plan_add(plan, SHM_KIND_HISTS, SHM_ROLE_NONE, i, name,
					     SHM_INSTANCE_HISTS, err);
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
