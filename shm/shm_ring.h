/*
 * shm_ring.h — single-producer single-consumer ring of fixed 64-byte slots that
 * lives inside the segment (no pointers: each process maps it where it likes).
 *
 * Region layout (every block 128 bytes apart: pad by writer, beating the
 * adjacent-line prefetcher):
 *
 *   0    +---------------------------------------------+ creator, before ready
 *        | magic u32 | slot_size u32 | capacity u64 | mask u64 |
 *   128  +---------------------------------------------+ producer, published
 *        | write_pos u64 (total slots ever published)  |
 *   256  +---------------------------------------------+ producer, statistics
 *        | full_count u64 | batches u64               |
 *   384  +---------------------------------------------+ consumer, published
 *        | read_pos u64 (total slots ever consumed)    |
 *   512  +---------------------------------------------+ consumer, statistics
 *        | high_water u64 (max depth seen on refresh)  |
 *   640  +---------------------------------------------+
 *        | slot[0] .. slot[capacity-1], 64 B each      | producer writes, consumer reads
 *        +---------------------------------------------+
 *
 * Positions are free-running u64 counters (never wrap in practice: 2^64 slots);
 * slot = pos & mask; depth = write_pos - read_pos, always in [0, capacity].
 * pushed = write_pos and popped = read_pos, so they need no counters of their own.
 *
 * Each side keeps its own position and a cached copy of the other side's in its
 * process-local handle (struct shm_ring), so the shared lines are touched only to
 * publish and, when the cache says full/empty, to refresh.
 *
 * Concurrency: exactly one producer process and one consumer process per ring.
 */
#ifndef SHM_RING_H
#define SHM_RING_H

#include "rt/rt_atomic.h"
#include "rt/rt_err.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SHM_RING_MAGIC 0x474e4952u /* "RING" */
#define SHM_RING_SLOT 64u
#define SHM_RING_HDR_SIZE 640u
#define SHM_RING_MIN_CAP 2u
#define SHM_RING_MAX_CAP (1u << 26)

struct shm_ring_hdr {
	/* creator */
	uint32_t magic;
	uint32_t slot_size;
	uint64_t capacity;
	uint64_t mask;
	uint8_t pad0[128 - 24];
	/* producer, published */
	uint64_t write_pos;
	uint8_t pad1[120];
	/* producer statistics */
	uint64_t full_count;
	uint64_t batches;
	uint8_t pad2[112];
	/* consumer, published */
	uint64_t read_pos;
	uint8_t pad3[120];
	/* consumer statistics */
	uint64_t high_water;
	uint8_t pad4[120];
};
_Static_assert(sizeof(struct shm_ring_hdr) == SHM_RING_HDR_SIZE, "ring header is 640 bytes");
_Static_assert(offsetof(struct shm_ring_hdr, write_pos) == 128, "write_pos at 128");
_Static_assert(offsetof(struct shm_ring_hdr, full_count) == 256, "full_count at 256");
_Static_assert(offsetof(struct shm_ring_hdr, read_pos) == 384, "read_pos at 384");
_Static_assert(offsetof(struct shm_ring_hdr, high_water) == 512, "high_water at 512");

/* Process-local handle for one side of a ring. Caller-owned storage. */
struct shm_ring {
	struct shm_ring_hdr *hdr;
	uint8_t *slots;
	uint64_t cap;
	uint64_t mask;
	uint64_t pos; /* producer: next write position; consumer: next read position */
	uint64_t cached; /* producer: last read_pos seen; consumer: last write_pos seen */
};

/* Bytes a ring region of `capacity` slots needs. 0 if capacity is invalid. */
uint64_t shm_ring_region_size(uint64_t capacity);

/* Creator: lay out an empty ring in `region` (size bytes). -EINVAL: capacity not a
 * power of two in [SHM_RING_MIN_CAP, SHM_RING_MAX_CAP]; -ENOSPC: region too small. */
int shm_ring_init(void *region, uint64_t size, uint64_t capacity, struct rt_err *err);

/* Check a ring region's invariants (ck_ring_valid-style): magic, slot size, capacity
 * a power of two that fits the region, mask = capacity - 1, read_pos <= write_pos,
 * depth <= capacity. 0 or -EBADMSG with the reason in err. Reads only. */
int shm_ring_check(const void *region, uint64_t size, struct rt_err *err);

/* Attach a producer or consumer handle to a checked ring region (re-attach after a
 * restart resumes from the published positions). */
void shm_ring_producer_attach(struct shm_ring *r, void *region);
void shm_ring_consumer_attach(struct shm_ring *r, void *region);

/* A consistent-enough snapshot for tools (each word read atomically). */
struct shm_ring_stats {
	uint64_t capacity, write_pos, read_pos, depth, full_count, batches, high_water;
};
void shm_ring_stats_read(const void *region, struct shm_ring_stats *st);

/* ---- hot path ---------------------------------------------------------------- */

static inline uint8_t *shm_ring_slot_(const struct shm_ring *r, uint64_t pos)
{
	return r->slots + ((pos & r->mask) * SHM_RING_SLOT);
}

/* Free slots the producer may fill without looking at read_pos again; refreshes the
 * cache only when fewer than `want` are known free. */
static inline uint64_t shm_ring_free_(struct shm_ring *r, uint64_t want)
{
	uint64_t free_ = r->cap - (r->pos - r->cached);
	if (free_ < want) {
		/* acquire: the consumer finished reading the slots it released */
		r->cached = rt_load_acq_u64(&r->hdr->read_pos);
		free_ = r->cap - (r->pos - r->cached);
	}
	return free_;
}

/* Push one 64-byte message. 0, or -EAGAIN when full (full_count is incremented). */
static inline int shm_ring_push_spsc(struct shm_ring *r, const void *msg)
{
	if (shm_ring_free_(r, 1) == 0) {
		rt_counter_add(&r->hdr->full_count, 1);
		return -EAGAIN;
	}
	memcpy(shm_ring_slot_(r, r->pos), msg, SHM_RING_SLOT);
	r->pos++;
	/* release: the slot's bytes are visible before the consumer sees write_pos */
	rt_store_rel_u64(&r->hdr->write_pos, r->pos);
	return 0;
}

/* Push up to n messages (contiguous array of 64-byte records) with one publish.
 * Returns how many were pushed (0..n); a short count bumps full_count once. */
static inline uint32_t shm_ring_push_batch_spsc(struct shm_ring *r, const void *msgs, uint32_t n)
{
	uint64_t free_ = shm_ring_free_(r, n);
	uint32_t k = free_ < n ? (uint32_t)free_ : n;
	const uint8_t *src = (const uint8_t *)msgs;
	for (uint32_t i = 0; i < k; i++)
		memcpy(shm_ring_slot_(r, r->pos + i), src + (size_t)i * SHM_RING_SLOT,
		       SHM_RING_SLOT);
	if (k) {
		r->pos += k;
		/* release: all k slots are visible before write_pos moves past them */
		rt_store_rel_u64(&r->hdr->write_pos, r->pos);
		rt_counter_add(&r->hdr->batches, 1);
	}
	if (k < n)
		rt_counter_add(&r->hdr->full_count, 1);
	return k;
}

/* Push exactly n messages or none (a multi-slot record): 0, or -EAGAIN when fewer
 * than n slots are free (full_count is incremented). */
static inline int shm_ring_push_n_spsc(struct shm_ring *r, const void *msgs, uint32_t n)
{
	if (shm_ring_free_(r, n) < n) {
		rt_counter_add(&r->hdr->full_count, 1);
		return -EAGAIN;
	}
	const uint8_t *src = (const uint8_t *)msgs;
	for (uint32_t i = 0; i < n; i++)
		memcpy(shm_ring_slot_(r, r->pos + i), src + (size_t)i * SHM_RING_SLOT,
		       SHM_RING_SLOT);
	r->pos += n;
	/* release: the whole record is visible before write_pos covers any of it */
	rt_store_rel_u64(&r->hdr->write_pos, r->pos);
	return 0;
}

/* Messages the consumer may read without looking at write_pos again; refreshes when
 * fewer than `want` are known, and records the depth it sees as high water. */
static inline uint64_t shm_ring_avail_(struct shm_ring *r, uint64_t want)
{
	uint64_t avail = r->cached - r->pos;
	if (avail < want) {
		/* acquire: the producer's slot writes happen-before we read them */
		r->cached = rt_load_acq_u64(&r->hdr->write_pos);
		avail = r->cached - r->pos;
		if (avail > rt_load_rlx_u64(&r->hdr->high_water))
			rt_store_rlx_u64(&r->hdr->high_water, avail);
	}
	return avail;
}

/* Pop one message into out. 0, or -EAGAIN when empty. */
static inline int shm_ring_pop_spsc(struct shm_ring *r, void *out)
{
	if (shm_ring_avail_(r, 1) == 0)
		return -EAGAIN;
	memcpy(out, shm_ring_slot_(r, r->pos), SHM_RING_SLOT);
	r->pos++;
	/* release: our reads of the slot are done before the producer may reuse it */
	rt_store_rel_u64(&r->hdr->read_pos, r->pos);
	return 0;
}

/* Pop up to n messages into out (n * 64 bytes) with one release. Returns the count. */
static inline uint32_t shm_ring_pop_batch_spsc(struct shm_ring *r, void *out, uint32_t n)
{
	uint64_t avail = shm_ring_avail_(r, n);
	uint32_t k = avail < n ? (uint32_t)avail : n;
	uint8_t *dst = (uint8_t *)out;
	for (uint32_t i = 0; i < k; i++)
		memcpy(dst + (size_t)i * SHM_RING_SLOT, shm_ring_slot_(r, r->pos + i),
		       SHM_RING_SLOT);
	if (k) {
		r->pos += k;
		/* release: the k slots are free for the producer only after we copied them */
		rt_store_rel_u64(&r->hdr->read_pos, r->pos);
	}
	return k;
}

/* Zero-copy consume: pointer to the next unread slot, or NULL when empty. The slot
 * stays valid until shm_ring_release_spsc(). */
static inline const void *shm_ring_peek_spsc(struct shm_ring *r)
{
	if (shm_ring_avail_(r, 1) == 0)
		return NULL;
	return shm_ring_slot_(r, r->pos);
}

static inline void shm_ring_release_spsc(struct shm_ring *r, uint32_t n)
{
	r->pos += n;
	/* release: done reading the n slots */
	rt_store_rel_u64(&r->hdr->read_pos, r->pos);
}

#endif
