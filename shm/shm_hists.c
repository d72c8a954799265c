#include "shm/shm_hists.h"

#include "rt/rt_atomic.h"

#include <errno.h>
#include <string.h>

uint64_t shm_hists_region_size(uint32_t capacity)
{
	return SHM_HISTS_HDR_SIZE + (uint64_t)capacity * sizeof(struct shm_hist_slot);
}

int shm_hists_init(void *region, uint64_t size, uint32_t capacity, struct rt_err *err)
{
	uint64_t need = shm_hists_region_size(capacity);
	if (capacity == 0)
		return rt_err_set(err, -EINVAL, "histogram capacity must be at least 1");
	if (size < need)
		return rt_err_set(err, -ENOSPC, "%u histograms need %llu bytes, region has %llu",
				  capacity, (unsigned long long)need, (unsigned long long)size);
	memset(region, 0, SHM_HISTS_HDR_SIZE);
	struct shm_hists_hdr *h = region;
	h->capacity = capacity;
	rt_store_rel_u32(&h->magic, SHM_HISTS_MAGIC);
	return 0;
}

int shm_hists_check(const void *region, uint64_t size, struct rt_err *err)
{
	const struct shm_hists_hdr *h = region;
	if (size < SHM_HISTS_HDR_SIZE)
		return rt_err_set(err, -EBADMSG,
				  "histogram region of %llu bytes is smaller than its header",
				  (unsigned long long)size);
	uint32_t magic = rt_load_acq_u32(&h->magic);
	if (magic != SHM_HISTS_MAGIC)
		return rt_err_set(err, -EBADMSG, "histogram magic 0x%08x, expected 0x%08x", magic,
				  SHM_HISTS_MAGIC);
	if (h->capacity == 0 || shm_hists_region_size(h->capacity) > size)
		return rt_err_set(err, -EBADMSG,
				  "histogram capacity %u does not fit its %llu-byte region",
				  h->capacity, (unsigned long long)size);
	uint32_t n = rt_load_acq_u32(&h->count);
	if (n > h->capacity)
		return rt_err_set(err, -EBADMSG, "histogram count %u exceeds capacity %u", n,
				  h->capacity);
	const struct shm_hist_slot *s =
		(const struct shm_hist_slot *)((const uint8_t *)region + SHM_HISTS_HDR_SIZE);
	for (uint32_t i = 0; i < n; i++)
		if (!memchr(s[i].label, '\0', SHM_HIST_LABEL_MAX))
			return rt_err_set(err, -EBADMSG, "histogram %u has an unterminated label",
					  i);
	return 0;
}

void shm_hists_attach(struct shm_hists *hs, void *region)
{
	hs->hdr = region;
	hs->capacity = hs->hdr->capacity;
	hs->slots = (struct shm_hist_slot *)((uint8_t *)region + SHM_HISTS_HDR_SIZE);
}

uint32_t shm_hists_count(const struct shm_hists *hs)
{
	return rt_load_acq_u32(&hs->hdr->count);
}

const struct shm_hist_slot *shm_hists_at(const struct shm_hists *hs, uint32_t i)
{
	return i < shm_hists_count(hs) ? &hs->slots[i] : NULL;
}

struct rt_hist *shm_hists_get_or_add(struct shm_hists *hs, const char *label)
{
	size_t len = strnlen(label, SHM_HIST_LABEL_MAX);
	if (len == 0 || len == SHM_HIST_LABEL_MAX)
		return NULL;
	uint32_t n = shm_hists_count(hs);
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(hs->slots[i].label, label) == 0)
			return &hs->slots[i].h;
	if (n >= hs->capacity)
		return NULL;
	memset(hs->slots[n].label, 0, SHM_HIST_LABEL_MAX);
	memcpy(hs->slots[n].label, label, len);
	rt_hist_init(&hs->slots[n].h);
	/* release: label and empty histogram visible before the count covers them */
	rt_store_rel_u32(&hs->hdr->count, n + 1);
	return &hs->slots[n].h;
}
