#include "shm/shm_clock.h"

#include <errno.h>
#include <string.h>

uint64_t shm_clock_region_size(uint32_t unused)
{
	(void)unused;
	return sizeof(struct shm_clock);
}

int shm_clock_init(void *region, uint64_t size, uint32_t unused, struct rt_err *err)
{
	(void)unused;
	if (size < sizeof(struct shm_clock))
		return rt_err_set(err, -ENOSPC, "clock region needs %zu bytes, has %llu",
				  sizeof(struct shm_clock), (unsigned long long)size);
	struct shm_clock *c = region;
	memset(c, 0, sizeof(*c));
	rt_store_rel_u32(&c->magic, SHM_CLOCK_MAGIC);
	return 0;
}

int shm_clock_check(const void *region, uint64_t size, struct rt_err *err)
{
	const struct shm_clock *c = region;
	if (size < sizeof(struct shm_clock))
		return rt_err_set(err, -EBADMSG, "clock region of %llu bytes is too small",
				  (unsigned long long)size);
	if (rt_load_acq_u32(&c->magic) != SHM_CLOCK_MAGIC)
		return rt_err_set(err, -EBADMSG, "clock magic 0x%08x, expected 0x%08x", c->magic,
				  SHM_CLOCK_MAGIC);
	uint32_t mode = rt_load_acq_u32(&c->mode);
	if (mode > SHM_CLOCK_REPLAY)
		return rt_err_set(err, -EBADMSG, "clock mode %u is neither live (0) nor replay (1)",
				  mode);
	return 0;
}
