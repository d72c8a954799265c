/*
 * shm_layout.h — the segment header and region directory (layout version 1).
 *
 * One segment per instance: /dev/shm/alluse.<instance>, created by the supervisor
 * with O_CREAT|O_EXCL. Offsets only, never pointers: every process maps it at its
 * own address.
 *
 *   0       +--------------------------------------------+
 *           | struct shm_header (256 B)                  |  writer: creator (supervisor)
 *   256     +--------------------------------------------+
 *           | struct shm_dir_entry[dir_capacity] (64 B)  |  writer: creator, before ready
 *           +--------------------------------------------+  (128-byte aligned from here)
 *           | region 0  (kind, offset, size from dir[0]) |
 *           | region 1                                   |
 *           | ...                                        |
 *  total    +--------------------------------------------+  (rounded up to the page size)
 *
 * Header byte ruler (all little-endian, native x86-64):
 *   0 magic u64 "ALLUSE\0\1"   8 layout_version u32   12 ready u32 (published LAST)
 *  16 total_size u64 (bytes)  24 created_wall_ns u64 (ns since Unix epoch)
 *  32 creator_pid u32         36 region_count u32
 *  40 creator_start_ticks u64 (field 22 of /proc/<pid>/stat: tells a reused pid apart)
 *  48 dir_offset u64          56 dir_capacity u32    60 system_state u32
 *  64 instance char[32]       96 flags u32           100 page_size u32
 * 104 supervisor_heartbeat_ns u64 (monotonic)       112 reserved[144]
 *
 * Writers: every header field is written by the creator before `ready`, except
 * system_state and supervisor_heartbeat_ns, written afterwards by the supervisor only.
 */
#ifndef SHM_LAYOUT_H
#define SHM_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define SHM_MAGIC 0x01004553554c4c41ull /* bytes "ALLUSE\0\1" read as a little-endian u64 */
#define SHM_LAYOUT_VERSION 1u
#define SHM_READY 0x52454459u /* "READY" tag, published last with a release store */
#define SHM_ALIGN 128u /* every region starts on a 128-byte boundary */
#define SHM_HEADER_SIZE 256u
#define SHM_DIR_ENTRY_SIZE 64u
#define SHM_INSTANCE_MAX 32u
#define SHM_REGION_NAME_MAX 32u
#define SHM_MAX_REGIONS 512u

/* header.flags */
#define SHM_FLAG_HUGE_PAGES 0x1u /* MADV_HUGEPAGE accepted for the mapping */
#define SHM_FLAG_MLOCKED 0x2u /* the creator locked the pages */

/* System states (header.system_state, RULES §8). SAFE is 0: a fresh segment is SAFE. */
enum shm_state {
	SHM_STATE_SAFE = 0,
	SHM_STATE_SCANNING = 1,
	SHM_STATE_ANALYZING = 2,
	SHM_STATE_ORDERING = 3,
	SHM_STATE_MONITORING = 4,
	SHM_STATE_CLOSING = 5,
	SHM_STATE_RECONCILING = 6,
	SHM_STATE_EMERGENCY = 7,
	SHM_STATE_MAINTENANCE = 8,
	SHM_STATE_AUDIT = 9,
};
const char *shm_state_name(uint32_t state);

/* Region kinds (directory entry .kind). 0 is never valid. */
enum shm_kind {
	SHM_KIND_INSTRUMENTS = 1, /* instrument directory; writer: creator, then feeder */
	SHM_KIND_BOARD = 2, /* quote board; writer: feeder */
	SHM_KIND_RING = 3, /* SPSC ring; writer: see entry name/role */
	SHM_KIND_COUNTERS = 4, /* one owner's counters; writer: that owner */
	SHM_KIND_HISTS = 5, /* one owner's latency histograms; writer: that owner */
	SHM_KIND_CLOCK = 6, /* the shared clock; writer: feeder */
	SHM_KIND_ATR = 7, /* daily ATR per instrument; writer: the ATR job */
	SHM_KIND_POSITIONS = 8, /* worker i's positions and levels; writer: worker i */
	SHM_KIND_MAX = 8,
};

/* Ring roles (dir entry .role for SHM_KIND_RING; index = worker id). */
enum shm_role {
	SHM_ROLE_NONE = 0,
	SHM_ROLE_QUOTES = 1, /* feeder -> worker i */
	SHM_ROLE_EVENTS = 2, /* worker i -> rules/audit */
	SHM_ROLE_SCRATCH = 3, /* tests and benchmarks */
	SHM_ROLE_POSCTL = 4, /* position commands: supervisor/rules -> worker i */
	SHM_ROLE_AUDIT = 5, /* audit records: one producer process -> the audit process */
	SHM_ROLE_CTL = 6, /* operator commands: alluse-ctl (one at a time) -> rules */
};

struct shm_header {
	uint64_t magic;
	uint32_t layout_version;
	uint32_t ready;
	uint64_t total_size;
	uint64_t created_wall_ns;
	uint32_t creator_pid;
	uint32_t region_count;
	uint64_t creator_start_ticks;
	uint64_t dir_offset;
	uint32_t dir_capacity;
	uint32_t system_state;
	char instance[SHM_INSTANCE_MAX];
	uint32_t flags;
	uint32_t page_size;
	uint64_t supervisor_heartbeat_ns;
	uint8_t reserved[144];
};
_Static_assert(sizeof(struct shm_header) == SHM_HEADER_SIZE, "shm_header is 256 bytes");
_Static_assert(offsetof(struct shm_header, ready) == 12, "ready at byte 12");
_Static_assert(offsetof(struct shm_header, dir_offset) == 48, "dir_offset at byte 48");
_Static_assert(offsetof(struct shm_header, instance) == 64, "instance at byte 64");
_Static_assert(offsetof(struct shm_header, supervisor_heartbeat_ns) == 104, "heartbeat at 104");

/*
 * Directory entry, 64 bytes:
 *   0 kind u32   4 index u32 (worker id, process id...)   8 offset u64   16 size u64
 *  24 role u32  28 reserved u32   32 name char[32] (NUL-terminated, e.g. "quotes.0")
 */
struct shm_dir_entry {
	uint32_t kind;
	uint32_t index;
	uint64_t offset;
	uint64_t size;
	uint32_t role;
	uint32_t reserved;
	char name[SHM_REGION_NAME_MAX];
};
_Static_assert(sizeof(struct shm_dir_entry) == SHM_DIR_ENTRY_SIZE, "dir entry is 64 bytes");
_Static_assert(offsetof(struct shm_dir_entry, name) == 32, "name at byte 32");

static inline uint64_t shm_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

const char *shm_kind_name(uint32_t kind);
const char *shm_role_name(uint32_t role);

#endif
