/*
 * shm_board.h — the quote board: one slot per instrument holding its latest quote,
 * written by its single writer (the feeder) under a seqlock, read by anyone.
 *
 * Region layout:
 *   0    +------------------------------------------+ creator
 *        | magic u32 | capacity u32 | pad to 128     |
 *   128  +------------------------------------------+ feeder
 *        | struct shm_quote[capacity], 128 B each   |   slot i = instrument id i
 *        +------------------------------------------+
 *
 * Quote slot (128 bytes, two cache lines, so the prefetcher never pairs two slots):
 *    0 seq u64          seqlock: odd while being written, +2 per write, 0 = never
 *    8 instr_id u32    12 flags u32
 *   16 bid i64  (price × 10^8)      24 ask i64 (price × 10^8)
 *   32 last i64 (price × 10^8)
 *   40 bid_size u32   44 ask_size u32   48 last_size u32 (contracts or shares)
 *   52 venue u32      (exchange code as sent by the source)
 *   56 exch_ts_ns u64  (exchange time, ns since the Unix epoch; replay: file time)
 *   64 recv_ts_ns u64  (feeder receive, monotonic ns; per batch, see shm_msg.h)
 *   72 write_ts_ns u64 (board write, monotonic ns; read before the batch's writes)
 *   80 quote_seq u64   (per-instrument sequence assigned by the feeder, 1, 2, ...)
 *   88 reserved[40]
 *
 * Seqlock protocol, fence-free so ThreadSanitizer understands it: the writer stores
 * seq+1 (odd), then every payload word with a release store, then seq+2 with a
 * release store. A reader acquire-loads seq (must be even), acquire-loads every
 * payload word, then re-loads seq: equal means the copy is consistent. If any word
 * came from a newer write, its release ordered the odd seq before it, so the
 * re-load sees the change. On x86-64 every one of these is a plain MOV.
 * A writer that dies mid-write leaves the slot odd (readers report it busy); the
 * restarted writer's next write rounds the sequence up to even first, so the slot
 * heals with its next quote and never shows torn data as consistent.
 */
#ifndef SHM_BOARD_H
#define SHM_BOARD_H

#include "rt/rt_atomic.h"
#include "rt/rt_err.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define SHM_BOARD_MAGIC 0x44524f42u /* "BORD" */
#define SHM_BOARD_HDR_SIZE 128u
#define SHM_QUOTE_SIZE 128u
#define SHM_QUOTE_WORDS (SHM_QUOTE_SIZE / 8u)
#define SHM_BOARD_READ_RETRIES 64u

struct shm_quote {
	uint64_t seq;
	uint32_t instr_id;
	uint32_t flags;
	int64_t bid;
	int64_t ask;
	int64_t last;
	uint32_t bid_size;
	uint32_t ask_size;
	uint32_t last_size;
	uint32_t venue;
	uint64_t exch_ts_ns;
	uint64_t recv_ts_ns;
	uint64_t write_ts_ns;
	uint64_t quote_seq;
	uint8_t reserved[40];
};
_Static_assert(sizeof(struct shm_quote) == SHM_QUOTE_SIZE, "quote slot is 128 bytes");
_Static_assert(offsetof(struct shm_quote, bid) == 16, "bid at 16");
_Static_assert(offsetof(struct shm_quote, exch_ts_ns) == 56, "exch_ts_ns at 56");
_Static_assert(offsetof(struct shm_quote, quote_seq) == 80, "quote_seq at 80");

struct shm_board_hdr {
	uint32_t magic;
	uint32_t capacity;
	uint8_t pad[SHM_BOARD_HDR_SIZE - 8];
};
_Static_assert(sizeof(struct shm_board_hdr) == SHM_BOARD_HDR_SIZE, "board header 128 bytes");

/* Process-local handle. */
struct shm_board {
	struct shm_board_hdr *hdr;
	struct shm_quote *slots;
	uint32_t capacity;
};

uint64_t shm_board_region_size(uint32_t capacity);
/* Creator: empty board of `capacity` slots. -ENOSPC if the region is too small. */
int shm_board_init(void *region, uint64_t size, uint32_t capacity, struct rt_err *err);
/* Validate magic and that capacity fits the region. -EBADMSG with reason. */
int shm_board_check(const void *region, uint64_t size, struct rt_err *err);
void shm_board_attach(struct shm_board *b, void *region);

/* ---- hot path ---------------------------------------------------------------- */

/* Single writer: publish q into slot id (q->seq is ignored). The caller guarantees
 * id < capacity (ids come from the instrument directory). */
static inline void shm_board_write(struct shm_board *b, uint32_t id, const struct shm_quote *q)
{
	uint64_t *dst = (uint64_t *)&b->slots[id];
	const uint64_t *src = (const uint64_t *)q;
	uint64_t s = rt_load_rlx_u64(&dst[0]);
	s += s & 1; /* a writer that died mid-write left it odd: start from the next even */
	rt_store_rlx_u64(&dst[0], s + 1); /* odd: write in progress */
	for (unsigned i = 1; i < SHM_QUOTE_WORDS; i++)
		rt_store_rel_u64(&dst[i], src[i]); /* release: orders the odd seq before it */
	rt_store_rel_u64(&dst[0], s + 2); /* release: the payload is complete */
}

/* Consistent copy of slot id into out. Returns 0; -ENOENT if the slot was never
 * written; -ERANGE if id >= capacity; -EAGAIN if the writer kept it busy for
 * SHM_BOARD_READ_RETRIES attempts. *retries (may be NULL) gets the retry count, for
 * the reader's own counters (readers never write the segment). */
static inline int shm_board_read(const struct shm_board *b, uint32_t id, struct shm_quote *out,
				 uint32_t *retries)
{
	if (id >= b->capacity)
		return -ERANGE;
	const uint64_t *src = (const uint64_t *)&b->slots[id];
	uint64_t *dst = (uint64_t *)out;
	for (uint32_t attempt = 0; attempt < SHM_BOARD_READ_RETRIES; attempt++) {
		uint64_t s1 = rt_load_acq_u64(&src[0]);
		if (s1 & 1) {
			rt_cpu_relax();
			continue;
		}
		for (unsigned i = 1; i < SHM_QUOTE_WORDS; i++)
			dst[i] = rt_load_acq_u64(&src[i]);
		uint64_t s2 = rt_load_rlx_u64(&src[0]);
		if (s1 == s2) {
			dst[0] = s1;
			if (retries)
				*retries = attempt;
			return s1 == 0 ? -ENOENT : 0;
		}
	}
	if (retries)
		*retries = SHM_BOARD_READ_RETRIES;
	return -EAGAIN;
}

#endif
