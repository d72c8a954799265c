/*
 * shm_instance.h — the segment of one alluse instance, as the configuration
 * describes it: which regions exist, their names and sizes, and the instruments
 * loaded before the segment is published.
 *
 * Regions, in directory order:
 *   instruments            instrument directory (shm.max_instruments)
 *   board                  quote board (shm.max_instruments slots)
 *   clock                  the shared clock (live wall time or replay time)
 *   atr                    daily ATR per instrument id (shm.max_instruments)
 *   quotes.<i>             quote ring feeder -> worker i (shm.quote_ring_capacity)
 *   events.<i>             event ring worker i -> side processes (shm.event_ring_capacity)
 *   posctl.<i>             position commands supervisor/rules -> worker i (1024 slots)
 *   positions.<i>          worker i's positions and levels (workers.max_positions)
 *   ctl                    operator commands alluse-ctl -> rules (64 slots)
 *   audit.rules            audit records rules -> the audit process (16384 slots)
 *   counters: supervisor, feeder, rules, audit, worker.<i>    (one owner each)
 *   hists:    feeder, worker.<i>                (one owner each)
 */
#ifndef SHM_INSTANCE_H
#define SHM_INSTANCE_H

#include "rt/rt_config.h"
#include "rt/rt_err.h"
#include "shm/shm_segment.h"

#define SHM_INSTANCE_COUNTERS 128u /* counters per owner */
/* the rules desk's counters: its totals and three per account (64 accounts) */
#define SHM_INSTANCE_DESK_COUNTERS 256u
#define SHM_INSTANCE_HISTS 8u /* histograms per owner */
#define SHM_INSTANCE_POSCTL 1024u /* slots of each position-command ring */
#define SHM_INSTANCE_AUDIT_RING 16384u /* slots of each audit ring */

/* Fill plan from the configuration. -EINVAL on an impossible size. */
int shm_instance_plan(struct shm_plan *plan, const struct rt_config *cfg, struct rt_err *err);

/* Creator, before publish: add the configured instruments (stocks/ETFs) to the
 * directory. -EINVAL for a bad ticker, -ENOSPC when they do not fit. */
int shm_instance_populate(struct shm_segment *seg, const struct rt_config *cfg, struct rt_err *err);

/* plan + create + populate + publish, as `alluse run` does. */
int shm_instance_create(struct shm_segment *seg, const struct rt_config *cfg, int takeover_stale,
			struct rt_err *err);

#endif
