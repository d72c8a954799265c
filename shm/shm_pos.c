#include "shm/shm_pos.h"

#include <errno.h>
#include <string.h>

uint64_t shm_pos_region_size(uint32_t capacity)
{
	return SHM_POS_HDR_SIZE + (uint64_t)capacity * sizeof(struct shm_pos);
}

int shm_pos_init(void *region, uint64_t size, uint32_t capacity, struct rt_err *err)
{
	uint64_t need = shm_pos_region_size(capacity);
	if (capacity == 0)
		return rt_err_set(err, -EINVAL, "positions capacity must be at least 1");
	if (size < need)
		return rt_err_set(err, -ENOSPC, "%u positions need %llu bytes, region has %llu",
				  capacity, (unsigned long long)need, (unsigned long long)size);
	memset(region, 0, need);
	struct shm_pos_hdr *h = region;
	h->capacity = capacity;
	rt_store_rel_u32(&h->magic, SHM_POS_MAGIC);
	return 0;
}

int shm_pos_check(const void *region, uint64_t size, struct rt_err *err)
{
	const struct shm_pos_hdr *h = region;
	if (size < SHM_POS_HDR_SIZE)
		return rt_err_set(err, -EBADMSG,
				  "positions region of %llu bytes is smaller than its header",
				  (unsigned long long)size);
	uint32_t magic = rt_load_acq_u32(&h->magic);
	if (magic != SHM_POS_MAGIC)
		return rt_err_set(err, -EBADMSG, "positions magic 0x%08x, expected 0x%08x", magic,
				  SHM_POS_MAGIC);
	if (h->capacity == 0 || shm_pos_region_size(h->capacity) > size)
		return rt_err_set(err, -EBADMSG,
				  "positions capacity %u does not fit its %llu-byte region",
				  h->capacity, (unsigned long long)size);
	uint32_t high = rt_load_acq_u32(&h->high);
	if (high > h->capacity)
		return rt_err_set(err, -EBADMSG, "positions high-water %u exceeds capacity %u",
				  high, h->capacity);
	const struct shm_pos *p =
		(const struct shm_pos *)((const uint8_t *)region + SHM_POS_HDR_SIZE);
	for (uint32_t i = 0; i < high; i++) {
		uint32_t st = rt_load_rlx_u32(&p[i].state);
		if (st > SHM_POS_ACTIVE || p[i].level > 3 ||
		    (st == SHM_POS_ACTIVE && p[i].right != 'P' && p[i].right != 'C'))
			return rt_err_set(err, -EBADMSG,
					  "position slot %u is corrupt (state %u, level %u)", i, st,
					  p[i].level);
	}
	return 0;
}

void shm_pos_attach(struct shm_pos_table *t, void *region)
{
	t->hdr = region;
	t->capacity = t->hdr->capacity;
	t->p = (struct shm_pos *)((uint8_t *)region + SHM_POS_HDR_SIZE);
}

void shm_pos_read(const struct shm_pos_table *t, uint32_t i, struct shm_pos *out)
{
	const uint64_t *src = (const uint64_t *)&t->p[i];
	uint64_t *dst = (uint64_t *)out;
	for (size_t w = 0; w < sizeof(*out) / 8; w++)
		dst[w] = rt_load_rlx_u64(&src[w]);
}

const char *shm_event_cause_name(uint8_t cause)
{
	switch (cause) {
	case SHM_CAUSE_CROSSING:
		return "crossing";
	case SHM_CAUSE_CADENCE:
		return "cadence";
	case SHM_CAUSE_REALTIME:
		return "realtime";
	case SHM_CAUSE_ATR_UNKNOWN:
		return "atr-unknown";
	case SHM_CAUSE_RING_FULL:
		return "event-ring-full";
	default:
		return "?";
	}
}
