/*
 * shm_hists.h — one owner's named latency histograms, living in the segment so
 * `alluse-shm hist` can read them while the owner records (rt/rt_hist.h).
 *
 * Region layout:
 *   0    +---------------------------------------------+ creator
 *        | magic u32 | capacity u32 | pad             |
 *   64   | count u32 (published with release, owner)   |
 *   128  +---------------------------------------------+ owner
 *        | struct shm_hist_slot[capacity]              |
 *        |   label char[64] | struct rt_hist (ns)      |
 *        +---------------------------------------------+
 */
#ifndef SHM_HISTS_H
#define SHM_HISTS_H

#include "rt/rt_err.h"
#include "rt/rt_hist.h"

#include <stdint.h>

#define SHM_HISTS_MAGIC 0x54534948u /* "HIST" */
#define SHM_HISTS_HDR_SIZE 128u
#define SHM_HIST_LABEL_MAX 64u

struct shm_hist_slot {
	char label[SHM_HIST_LABEL_MAX];
	struct rt_hist h;
};
_Static_assert(sizeof(struct shm_hist_slot) % 64 == 0, "hist slot is whole cache lines");

struct shm_hists_hdr {
	uint32_t magic;
	uint32_t capacity;
	uint8_t pad0[56];
	uint32_t count;
	uint8_t pad1[60];
};
_Static_assert(sizeof(struct shm_hists_hdr) == SHM_HISTS_HDR_SIZE, "hists header 128 bytes");

struct shm_hists {
	struct shm_hists_hdr *hdr;
	struct shm_hist_slot *slots;
	uint32_t capacity;
};

uint64_t shm_hists_region_size(uint32_t capacity);
int shm_hists_init(void *region, uint64_t size, uint32_t capacity, struct rt_err *err);
int shm_hists_check(const void *region, uint64_t size, struct rt_err *err);
void shm_hists_attach(struct shm_hists *hs, void *region);
/* Owner: the histogram labelled `label`, added empty if new; NULL when full/bad label. */
struct rt_hist *shm_hists_get_or_add(struct shm_hists *hs, const char *label);
uint32_t shm_hists_count(const struct shm_hists *hs);
const struct shm_hist_slot *shm_hists_at(const struct shm_hists *hs, uint32_t i);

#endif
