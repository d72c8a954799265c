#include "shm/shm_atr.h"

#include <errno.h>
#include <string.h>

uint64_t shm_atr_region_size(uint32_t capacity)
{
	return SHM_ATR_HDR_SIZE + (uint64_t)capacity * sizeof(struct shm_atr_entry);
}

int shm_atr_init(void *region, uint64_t size, uint32_t capacity, struct rt_err *err)
{
	uint64_t need = shm_atr_region_size(capacity);
	if (capacity == 0)
		return rt_err_set(err, -EINVAL, "ATR table capacity must be at least 1");
	if (size < need)
		return rt_err_set(err, -ENOSPC, "ATR table of %u needs %llu bytes, region has %llu",
				  capacity, (unsigned long long)need, (unsigned long long)size);
	memset(region, 0, need);
	struct shm_atr_hdr *h = region;
	h->capacity = capacity;
	rt_store_rel_u32(&h->magic, SHM_ATR_MAGIC);
	return 0;
}

int shm_atr_check(const void *region, uint64_t size, struct rt_err *err)
{
	const struct shm_atr_hdr *h = region;
	if (size < SHM_ATR_HDR_SIZE)
		return rt_err_set(err, -EBADMSG,
				  "ATR region of %llu bytes is smaller than its header",
				  (unsigned long long)size);
	uint32_t magic = rt_load_acq_u32(&h->magic);
	if (magic != SHM_ATR_MAGIC)
		return rt_err_set(err, -EBADMSG, "ATR table magic 0x%08x, expected 0x%08x", magic,
				  SHM_ATR_MAGIC);
	if (h->capacity == 0 || shm_atr_region_size(h->capacity) > size)
		return rt_err_set(err, -EBADMSG,
				  "ATR table capacity %u does not fit its %llu-byte region",
				  h->capacity, (unsigned long long)size);
	return 0;
}

void shm_atr_attach(struct shm_atr *t, void *region)
{
	t->hdr = region;
	t->capacity = t->hdr->capacity;
	t->e = (struct shm_atr_entry *)((uint8_t *)region + SHM_ATR_HDR_SIZE);
}
