/*
 * shm_atr.h — the daily ATR table: one entry per instrument id (used for
 * underlyings), the input of the protocol levels (RULES §3) and of the feeder's
 * jump check. Single writer: the ATR job (the supervisor's loader today, the rules
 * process later). Each field is one aligned word read with atomic loads; `atr` is
 * stored last with release, so a reader that sees it also sees status and date.
 *
 * Region layout:
 *   0    | magic u32 | capacity u32 | pad to 128 |                creator
 *   128  | entry[capacity] × 32 B                 |                ATR job
 * Entry: 0 atr i64 (price × 10^8, 0 = unknown)  8 status u32 (core_atr status:
 *        0 ok, 1 fallback ×1.1, 2 fallback 2 %, 3 unknown)  12 date u32 (YYYYMMDD of
 *        the last bar used)  16 updated_wall_ns u64  24 reserved u64
 */
#ifndef SHM_ATR_H
#define SHM_ATR_H

#include "rt/rt_atomic.h"
#include "rt/rt_err.h"

#include <stddef.h>
#include <stdint.h>

#define SHM_ATR_MAGIC 0x20525441u /* "ATR " */
#define SHM_ATR_HDR_SIZE 128u

struct shm_atr_entry {
	int64_t atr;
	uint32_t status;
	uint32_t date;
	uint64_t updated_wall_ns;
	uint64_t reserved;
};
_Static_assert(sizeof(struct shm_atr_entry) == 32, "ATR entry is 32 bytes");

struct shm_atr_hdr {
	uint32_t magic;
	uint32_t capacity;
	uint8_t pad[120];
};
_Static_assert(sizeof(struct shm_atr_hdr) == SHM_ATR_HDR_SIZE, "ATR header is 128 bytes");

struct shm_atr {
	struct shm_atr_hdr *hdr;
	struct shm_atr_entry *e;
	uint32_t capacity;
};

uint64_t shm_atr_region_size(uint32_t capacity);
int shm_atr_init(void *region, uint64_t size, uint32_t capacity, struct rt_err *err);
int shm_atr_check(const void *region, uint64_t size, struct rt_err *err);
void shm_atr_attach(struct shm_atr *t, void *region);

/* Writer. id < capacity. */
static inline void shm_atr_set(struct shm_atr *t, uint32_t id, int64_t atr, uint32_t status,
			       uint32_t date, uint64_t wall_ns)
{
	struct shm_atr_entry *e = &t->e[id];
	rt_store_rlx_u32(&e->status, status);
	rt_store_rlx_u32(&e->date, date);
	rt_store_rlx_u64(&e->updated_wall_ns, wall_ns);
	rt_store_rel_i64(&e->atr, atr); /* release: status/date visible with it */
}

/* Reader: price × 10^8, 0 = unknown (or id out of range). */
static inline int64_t shm_atr_get(const struct shm_atr *t, uint32_t id)
{
	return id < t->capacity ? rt_load_acq_i64(&t->e[id].atr) : 0;
}

#endif
