#include "shm/shm_counters.h"

#include <errno.h>
#include <string.h>

uint64_t shm_counters_region_size(uint32_t capacity)
{
	return SHM_COUNTERS_HDR_SIZE + (uint64_t)capacity * sizeof(struct shm_counter);
}

int shm_counters_init(void *region, uint64_t size, uint32_t capacity, struct rt_err *err)
{
	uint64_t need = shm_counters_region_size(capacity);
	if (capacity == 0)
		return rt_err_set(err, -EINVAL, "counters capacity must be at least 1");
	if (size < need)
		return rt_err_set(err, -ENOSPC, "%u counters need %llu bytes, region has %llu",
				  capacity, (unsigned long long)need, (unsigned long long)size);
	memset(region, 0, need);
	struct shm_counters_hdr *h = region;
	h->capacity = capacity;
	rt_store_rel_u32(&h->magic, SHM_COUNTERS_MAGIC);
	return 0;
}

int shm_counters_check(const void *region, uint64_t size, struct rt_err *err)
{
	const struct shm_counters_hdr *h = region;
	if (size < SHM_COUNTERS_HDR_SIZE)
		return rt_err_set(err, -EBADMSG,
				  "counters region of %llu bytes is smaller than its header",
				  (unsigned long long)size);
	uint32_t magic = rt_load_acq_u32(&h->magic);
	if (magic != SHM_COUNTERS_MAGIC)
		return rt_err_set(err, -EBADMSG, "counters magic 0x%08x, expected 0x%08x", magic,
				  SHM_COUNTERS_MAGIC);
	if (h->capacity == 0 || shm_counters_region_size(h->capacity) > size)
		return rt_err_set(err, -EBADMSG,
				  "counters capacity %u does not fit its %llu-byte region",
				  h->capacity, (unsigned long long)size);
	uint32_t n = rt_load_acq_u32(&h->count);
	if (n > h->capacity)
		return rt_err_set(err, -EBADMSG, "counters count %u exceeds capacity %u", n,
				  h->capacity);
	const struct shm_counter *c =
		(const struct shm_counter *)((const uint8_t *)region + SHM_COUNTERS_HDR_SIZE);
	for (uint32_t i = 0; i < n; i++)
		if (!memchr(c[i].label, '\0', SHM_COUNTER_LABEL_MAX))
			return rt_err_set(err, -EBADMSG, "counter %u has an unterminated label", i);
	return 0;
}

void shm_counters_attach(struct shm_counters *cs, void *region)
{
	cs->hdr = region;
	cs->capacity = cs->hdr->capacity;
	cs->c = (struct shm_counter *)((uint8_t *)region + SHM_COUNTERS_HDR_SIZE);
}

uint32_t shm_counters_count(const struct shm_counters *cs)
{
	return rt_load_acq_u32(&cs->hdr->count);
}

const struct shm_counter *shm_counters_at(const struct shm_counters *cs, uint32_t i)
{
	return i < shm_counters_count(cs) ? &cs->c[i] : NULL;
}

uint64_t *shm_counters_get_or_add(struct shm_counters *cs, const char *label)
{
	size_t len = strnlen(label, SHM_COUNTER_LABEL_MAX);
	if (len == 0 || len == SHM_COUNTER_LABEL_MAX)
		return NULL;
	uint32_t n = shm_counters_count(cs);
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(cs->c[i].label, label) == 0)
			return &cs->c[i].value;
	if (n >= cs->capacity)
		return NULL;
	memcpy(cs->c[n].label, label, len + 1);
	rt_store_rlx_u64(&cs->c[n].value, 0);
	/* release: label and zero value are visible before the count covers them */
	rt_store_rel_u32(&cs->hdr->count, n + 1);
	return &cs->c[n].value;
}

uint64_t *shm_counters_word(struct shm_counters *cs, const char *label)
{
	static uint64_t sink; /* a full counters region: count into a private word */
	uint64_t *p = shm_counters_get_or_add(cs, label);
	return p ? p : &sink;
}
