/*
 * shm_clock.h — the shared clock: one interface for every process (DESIGN "Time and
 * determinism"). Live, it is the wall clock; in replay (and the synthetic source) it
 * is the event time of the quote the feeder is publishing (advanced just before the
 * quote is written), so cadences, windows and timeouts downstream are reproducible.
 *
 * Region layout (128 bytes):
 *   0  magic u32 | mode u32 (0 = live wall clock, 1 = replay time)   creator, then feeder
 *  64  now_ns u64      replay time, ns since the Unix epoch           feeder (release)
 *  72  updated_ns u64  monotonic time of that update                  feeder
 */
#ifndef SHM_CLOCK_H
#define SHM_CLOCK_H

#include "rt/rt_atomic.h"
#include "rt/rt_clock.h"
#include "rt/rt_err.h"

#include <stddef.h>
#include <stdint.h>

#define SHM_CLOCK_MAGIC 0x4b434c43u /* "CLCK" */
#define SHM_CLOCK_LIVE 0u
#define SHM_CLOCK_REPLAY 1u

struct shm_clock {
	uint32_t magic;
	uint32_t mode;
	uint8_t pad0[56];
	uint64_t now_ns;
	uint64_t updated_ns;
	uint8_t pad1[48];
};
_Static_assert(sizeof(struct shm_clock) == 128, "clock region is 128 bytes");
_Static_assert(offsetof(struct shm_clock, now_ns) == 64, "now_ns at 64");

uint64_t shm_clock_region_size(uint32_t unused);
int shm_clock_init(void *region, uint64_t size, uint32_t unused, struct rt_err *err);
int shm_clock_check(const void *region, uint64_t size, struct rt_err *err);

/* Feeder: set the mode (before quotes flow) and advance replay time. */
static inline void shm_clock_set_mode(struct shm_clock *c, uint32_t mode)
{
	rt_store_rel_u32(&c->mode, mode);
}
static inline void shm_clock_advance(struct shm_clock *c, uint64_t now_ns)
{
	rt_store_rlx_u64(&c->updated_ns, rt_clock_now_ns());
	rt_store_rel_u64(&c->now_ns, now_ns); /* release: quotes before it are published */
}

/* Anyone: the system's current time, ns since the Unix epoch. */
static inline uint64_t shm_clock_now(const struct shm_clock *c)
{
	if (rt_load_acq_u32(&c->mode) == SHM_CLOCK_LIVE)
		return rt_clock_wall_ns();
	return rt_load_acq_u64(&c->now_ns);
}

#endif
