/*
 * shm_instr.h — the instrument directory: symbol <-> dense id, readable by every
 * process and tool. Ids are indices into the quote board and every per-instrument
 * table. Single writer (the creator before `ready`, then the feeder), append-only:
 * an id, once published, never changes meaning.
 *
 * Region layout:
 *   0    +-------------------------------------------------+ creator
 *        | magic u32 | capacity u32 | index_slots u32 | pad|
 *   64   | count u32 (published with release, writer: feeder)|
 *   128  +-------------------------------------------------+
 *        | struct shm_instr[capacity], 64 B each            |
 *        +-------------------------------------------------+
 *        | index u32[index_slots]: open addressing on the   |
 *        | symbol hash (FNV-1a), value id+1, 0 = empty      |
 *        +-------------------------------------------------+
 *
 * Entry (64 bytes):
 *    0 symbol char[32]      unique key, NUL-terminated: ticker ("AAPL") or the OCC
 *                           option symbol ("AAPL  201211C00060000")
 *   32 underlying char[12]  ticker of the underlying (options; = symbol for stocks)
 *   44 expiry u32           YYYYMMDD (options), 0 otherwise
 *   48 strike i64           price × 10^8 (options), 0 otherwise
 *   56 id u32               its own id (a check on the index)
 *   60 kind u8 (1 stock/ETF, 2 index, 3 option)   61 right u8 ('P', 'C' or 0)
 *   62 reserved[2]
 *
 * Publication order for an add: entry, then its index slot (release), then count
 * (release). A reader that finds the id through the index also sees the entry.
 */
#ifndef SHM_INSTR_H
#define SHM_INSTR_H

#include "rt/rt_err.h"

#include <stddef.h>
#include <stdint.h>

#define SHM_INSTR_MAGIC 0x52534e49u /* "INSR" */
#define SHM_INSTR_HDR_SIZE 128u
#define SHM_INSTR_SYMBOL_MAX 32u
#define SHM_INSTR_UNDERLYING_MAX 12u
#define SHM_INSTR_NONE UINT32_MAX

enum shm_instr_kind { SHM_INSTR_STOCK = 1, SHM_INSTR_INDEX = 2, SHM_INSTR_OPTION = 3 };

struct shm_instr {
	char symbol[SHM_INSTR_SYMBOL_MAX];
	char underlying[SHM_INSTR_UNDERLYING_MAX];
	uint32_t expiry;
	int64_t strike;
	uint32_t id;
	uint8_t kind;
	uint8_t right;
	uint8_t reserved[2];
};
_Static_assert(sizeof(struct shm_instr) == 64, "instrument entry is 64 bytes");
_Static_assert(offsetof(struct shm_instr, strike) == 48, "strike at 48");
_Static_assert(offsetof(struct shm_instr, kind) == 60, "kind at 60");

struct shm_instr_hdr {
	uint32_t magic;
	uint32_t capacity;
	uint32_t index_slots;
	uint8_t pad0[52];
	uint32_t count;
	uint8_t pad1[60];
};
_Static_assert(sizeof(struct shm_instr_hdr) == SHM_INSTR_HDR_SIZE, "instr header 128 bytes");
_Static_assert(offsetof(struct shm_instr_hdr, count) == 64, "count at 64");

struct shm_instr_dir {
	struct shm_instr_hdr *hdr;
	struct shm_instr *entries;
	uint32_t *index;
	uint32_t capacity;
	uint32_t index_mask;
};

uint64_t shm_instr_region_size(uint32_t capacity);
int shm_instr_init(void *region, uint64_t size, uint32_t capacity, struct rt_err *err);
/* Magic, capacity/index geometry vs region size, count <= capacity, and every
 * published entry's id, kind and NUL-terminated strings. -EBADMSG with reason. */
int shm_instr_check(const void *region, uint64_t size, struct rt_err *err);
void shm_instr_attach(struct shm_instr_dir *d, void *region);

/* Writer only. Adds `in` (symbol must be unique and non-empty; id is assigned).
 * 0 and *id_out; -EEXIST (with *id_out = the existing id), -ENOSPC when full,
 * -EINVAL for an empty/too long symbol or bad kind. */
int shm_instr_add(struct shm_instr_dir *d, const struct shm_instr *in, uint32_t *id_out,
		  struct rt_err *err);

/* Readers: published count (acquire), entry by id (NULL if id >= count), and
 * symbol lookup (SHM_INSTR_NONE if absent). Lock-free, any process. */
uint32_t shm_instr_count(const struct shm_instr_dir *d);
const struct shm_instr *shm_instr_get(const struct shm_instr_dir *d, uint32_t id);
uint32_t shm_instr_find(const struct shm_instr_dir *d, const char *symbol);

/* Fill an option entry with its OCC symbol: root padded to 6, YYMMDD, P/C,
 * strike × 1000 in 8 digits ("AAPL  201211C00060000"). -EINVAL on bad fields. */
int shm_instr_make_option(struct shm_instr *out, const char *underlying, uint32_t expiry_yyyymmdd,
			  char right, int64_t strike);
/* Fill a stock/ETF entry. -EINVAL on a bad ticker. */
int shm_instr_make_stock(struct shm_instr *out, const char *ticker);

const char *shm_instr_kind_name(uint8_t kind);

#endif
