/*
 * shm_counters.h — one owner's named counters (Aeron's counters file, per owner).
 *
 * Each process that counts things owns one COUNTERS region and is its only writer
 * (labels and values); tools read values with relaxed atomic loads while it runs.
 *
 * Region layout:
 *   0    +--------------------------------------------+ creator
 *        | magic u32 | capacity u32 | pad            |
 *   64   | count u32 (published with release, owner)  |
 *   128  +--------------------------------------------+ owner
 *        | struct shm_counter[capacity], 64 B each    |
 *        +--------------------------------------------+
 *
 * Counter (64 bytes): 0 value u64 (unit in the label, e.g. "drops.full"),
 *   8 label char[56] NUL-terminated, written once before count covers it.
 */
#ifndef SHM_COUNTERS_H
#define SHM_COUNTERS_H

#include "rt/rt_atomic.h"
#include "rt/rt_err.h"

#include <stddef.h>
#include <stdint.h>

#define SHM_COUNTERS_MAGIC 0x52544e43u /* "CNTR" */
#define SHM_COUNTERS_HDR_SIZE 128u
#define SHM_COUNTER_LABEL_MAX 56u

struct shm_counter {
	uint64_t value;
	char label[SHM_COUNTER_LABEL_MAX];
};
_Static_assert(sizeof(struct shm_counter) == 64, "counter is 64 bytes");

struct shm_counters_hdr {
	uint32_t magic;
	uint32_t capacity;
	uint8_t pad0[56];
	uint32_t count;
	uint8_t pad1[60];
};
_Static_assert(sizeof(struct shm_counters_hdr) == SHM_COUNTERS_HDR_SIZE, "counters hdr 128 B");

struct shm_counters {
	struct shm_counters_hdr *hdr;
	struct shm_counter *c;
	uint32_t capacity;
};

uint64_t shm_counters_region_size(uint32_t capacity);
int shm_counters_init(void *region, uint64_t size, uint32_t capacity, struct rt_err *err);
int shm_counters_check(const void *region, uint64_t size, struct rt_err *err);
void shm_counters_attach(struct shm_counters *cs, void *region);

/* Owner: find the counter labelled `label`, or add it (value 0). Returns a pointer
 * to its value word for rt_counter_add(), or NULL when full or the label is empty or
 * too long. A restarted owner finds its old counters and carries on counting. */
uint64_t *shm_counters_get_or_add(struct shm_counters *cs, const char *label);

/* Owner: as shm_counters_get_or_add, but never NULL: when the region is full the
 * counter goes to a private word of this process (counted, just not visible), so hot
 * paths add without a check. */
uint64_t *shm_counters_word(struct shm_counters *cs, const char *label);

/* Readers. */
uint32_t shm_counters_count(const struct shm_counters *cs);
const struct shm_counter *shm_counters_at(const struct shm_counters *cs, uint32_t i);

#endif
