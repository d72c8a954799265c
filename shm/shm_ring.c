#include "shm/shm_ring.h"

uint64_t shm_ring_region_size(uint64_t capacity)
{
	if (capacity < SHM_RING_MIN_CAP || capacity > SHM_RING_MAX_CAP ||
	    (capacity & (capacity - 1)))
		return 0;
	return SHM_RING_HDR_SIZE + capacity * SHM_RING_SLOT;
}

int shm_ring_init(void *region, uint64_t size, uint64_t capacity, struct rt_err *err)
{
	uint64_t need = shm_ring_region_size(capacity);
	if (!need)
		return rt_err_set(err, -EINVAL,
				  "ring capacity %llu is not a power of two in %u..%u",
				  (unsigned long long)capacity, SHM_RING_MIN_CAP, SHM_RING_MAX_CAP);
	if (size < need)
		return rt_err_set(err, -ENOSPC,
				  "ring of %llu slots needs %llu bytes, region has %llu",
				  (unsigned long long)capacity, (unsigned long long)need,
				  (unsigned long long)size);
	struct shm_ring_hdr *h = region;
	memset(h, 0, SHM_RING_HDR_SIZE);
	h->slot_size = SHM_RING_SLOT;
	h->capacity = capacity;
	h->mask = capacity - 1;
	/* release: the geometry above is visible to anyone who sees the magic */
	rt_store_rel_u32(&h->magic, SHM_RING_MAGIC);
	return 0;
}

int shm_ring_check(const void *region, uint64_t size, struct rt_err *err)
{
	const struct shm_ring_hdr *h = region;
	if (size < SHM_RING_HDR_SIZE)
		return rt_err_set(err, -EBADMSG,
				  "ring region of %llu bytes is smaller than its %u-byte header",
				  (unsigned long long)size, SHM_RING_HDR_SIZE);
	uint32_t magic = rt_load_acq_u32(&h->magic);
	if (magic != SHM_RING_MAGIC)
		return rt_err_set(err, -EBADMSG, "ring magic 0x%08x, expected 0x%08x", magic,
				  SHM_RING_MAGIC);
	if (h->slot_size != SHM_RING_SLOT)
		return rt_err_set(err, -EBADMSG, "ring slot size %u, expected %u", h->slot_size,
				  SHM_RING_SLOT);
	uint64_t need = shm_ring_region_size(h->capacity);
	if (!need)
		return rt_err_set(
			err, -EBADMSG, "ring capacity %llu is not a power of two in %u..%u",
			(unsigned long long)h->capacity, SHM_RING_MIN_CAP, SHM_RING_MAX_CAP);
	if (need > size)
		return rt_err_set(err, -EBADMSG,
				  "ring of %llu slots needs %llu bytes, region has %llu",
				  (unsigned long long)h->capacity, (unsigned long long)need,
				  (unsigned long long)size);
	if (h->mask != h->capacity - 1)
		return rt_err_set(err, -EBADMSG, "ring mask 0x%llx does not match capacity %llu",
				  (unsigned long long)h->mask, (unsigned long long)h->capacity);
	/* read_pos first: it can only grow towards write_pos, so this order never
	 * reports a live ring as inverted */
	uint64_t rd = rt_load_acq_u64(&h->read_pos);
	uint64_t wr = rt_load_acq_u64(&h->write_pos);
	if (rd > wr)
		return rt_err_set(err, -EBADMSG,
				  "ring read position %llu is ahead of write position %llu",
				  (unsigned long long)rd, (unsigned long long)wr);
	if (wr - rd > h->capacity)
		return rt_err_set(err, -EBADMSG, "ring depth %llu exceeds capacity %llu",
				  (unsigned long long)(wr - rd), (unsigned long long)h->capacity);
	return 0;
}

static void attach(struct shm_ring *r, void *region)
{
	r->hdr = region;
	r->slots = (uint8_t *)region + SHM_RING_HDR_SIZE;
	r->cap = r->hdr->capacity;
	r->mask = r->hdr->mask;
}

void shm_ring_producer_attach(struct shm_ring *r, void *region)
{
	attach(r, region);
	r->pos = rt_load_acq_u64(&r->hdr->write_pos);
	r->cached = rt_load_acq_u64(&r->hdr->read_pos);
}

void shm_ring_consumer_attach(struct shm_ring *r, void *region)
{
	attach(r, region);
	r->pos = rt_load_acq_u64(&r->hdr->read_pos);
	r->cached = rt_load_acq_u64(&r->hdr->write_pos);
}

void shm_ring_stats_read(const void *region, struct shm_ring_stats *st)
{
	const struct shm_ring_hdr *h = region;
	st->capacity = h->capacity;
	st->read_pos = rt_load_acq_u64(&h->read_pos);
	st->write_pos = rt_load_acq_u64(&h->write_pos);
	st->depth = st->write_pos >= st->read_pos ? st->write_pos - st->read_pos : 0;
	st->full_count = rt_load_rlx_u64(&h->full_count);
	st->batches = rt_load_rlx_u64(&h->batches);
	st->high_water = rt_load_rlx_u64(&h->high_water);
}
