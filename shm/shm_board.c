#include "shm/shm_board.h"

#include <string.h>

uint64_t shm_board_region_size(uint32_t capacity)
{
	return SHM_BOARD_HDR_SIZE + (uint64_t)capacity * SHM_QUOTE_SIZE;
}

int shm_board_init(void *region, uint64_t size, uint32_t capacity, struct rt_err *err)
{
	uint64_t need = shm_board_region_size(capacity);
	if (capacity == 0)
		return rt_err_set(err, -EINVAL, "board capacity must be at least 1");
	if (size < need)
		return rt_err_set(err, -ENOSPC,
				  "board of %u slots needs %llu bytes, region has %llu", capacity,
				  (unsigned long long)need, (unsigned long long)size);
	memset(region, 0, need);
	struct shm_board_hdr *h = region;
	h->capacity = capacity;
	rt_store_rel_u32(&h->magic, SHM_BOARD_MAGIC);
	return 0;
}

int shm_board_check(const void *region, uint64_t size, struct rt_err *err)
{
	const struct shm_board_hdr *h = region;
	if (size < SHM_BOARD_HDR_SIZE)
		return rt_err_set(err, -EBADMSG,
				  "board region of %llu bytes is smaller than its header",
				  (unsigned long long)size);
	uint32_t magic = rt_load_acq_u32(&h->magic);
	if (magic != SHM_BOARD_MAGIC)
		return rt_err_set(err, -EBADMSG, "board magic 0x%08x, expected 0x%08x", magic,
				  SHM_BOARD_MAGIC);
	if (h->capacity == 0 || shm_board_region_size(h->capacity) > size)
		return rt_err_set(err, -EBADMSG,
				  "board capacity %u does not fit its %llu-byte region",
				  h->capacity, (unsigned long long)size);
	return 0;
}

void shm_board_attach(struct shm_board *b, void *region)
{
	b->hdr = region;
	b->slots = (struct shm_quote *)((uint8_t *)region + SHM_BOARD_HDR_SIZE);
	b->capacity = b->hdr->capacity;
}
