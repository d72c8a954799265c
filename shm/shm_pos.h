/*
 * shm_pos.h — the protocol engine's records in the segment:
 *   - the positions table of one worker (kind 8, "positions.<i>"), written only by
 *     that worker, so a restarted worker picks up every position, level and next
 *     evaluation time where it was;
 *   - the position command (64 bytes), sent to worker i on its "posctl.<i>" ring
 *     (producer: the supervisor today, the rules process later);
 *   - the protocol event (128 bytes = two ring slots), published by worker i on its
 *     "events.<i>" ring.
 *
 * Positions table region:
 *   0    | magic u32 | capacity u32 | pad                     |  creator
 *   64   | high u32 (slots ever used, published with release) |  worker
 *   128  | struct shm_pos[capacity] × 128 B                   |  worker
 *
 * Position slot (128 bytes), all prices × 10^8, times ns since the Unix epoch
 * (shared clock):
 *    0 state u32 (0 free, 1 active)   4 pos_id u32 (operator's id, unique)
 *    8 option_id u32 (instrument id of the option, or SHM_INSTR_NONE)
 *   12 under_id u32 (instrument id of the underlying)
 *   16 strike i64   24 expiry u32 (YYYYMMDD)   28 contracts u32 (short)
 *   32 right u8 ('P'/'C')   33 level u8 (0..3)   34 atr_status u8   35 flags u8
 *   36 account char[12]
 *   48 atr i64 (the ATR the thresholds were computed from; 0 = unknown)
 *   56 thr[3] i64 (levels 1..3 trip prices)
 *   80 next_eval_ns u64   88 last_eval_ns u64   96 last_price i64
 *  104 level_since_ns u64  112 evals u64  120 reserved u64
 */
#ifndef SHM_POS_H
#define SHM_POS_H

#include "rt/rt_atomic.h"
#include "rt/rt_err.h"

#include <stddef.h>
#include <stdint.h>

#define SHM_POS_MAGIC 0x534f5050u /* "PPOS" */
#define SHM_POS_HDR_SIZE 128u
#define SHM_POS_ACCOUNT_MAX 12u

struct shm_pos {
	uint32_t state;
	uint32_t pos_id;
	uint32_t option_id;
	uint32_t under_id;
	int64_t strike;
	uint32_t expiry;
	uint32_t contracts;
	uint8_t right;
	uint8_t level;
	uint8_t atr_status;
	uint8_t flags;
	char account[SHM_POS_ACCOUNT_MAX];
	int64_t atr;
	int64_t thr[3];
	uint64_t next_eval_ns;
	uint64_t last_eval_ns;
	int64_t last_price;
	uint64_t level_since_ns;
	uint64_t evals;
	uint64_t reserved;
};
_Static_assert(sizeof(struct shm_pos) == 128, "position slot is 128 bytes");
_Static_assert(offsetof(struct shm_pos, atr) == 48, "atr at 48");
_Static_assert(offsetof(struct shm_pos, next_eval_ns) == 80, "next_eval_ns at 80");

#define SHM_POS_FREE 0u
#define SHM_POS_ACTIVE 1u
#define SHM_POS_FLAG_ATR_FAULT 0x1u /* a fault was raised for unknown ATR */

struct shm_pos_hdr {
	uint32_t magic;
	uint32_t capacity;
	uint8_t pad0[56];
	uint32_t high;
	uint8_t pad1[60];
};
_Static_assert(sizeof(struct shm_pos_hdr) == SHM_POS_HDR_SIZE, "positions header is 128 bytes");

struct shm_pos_table {
	struct shm_pos_hdr *hdr;
	struct shm_pos *p;
	uint32_t capacity;
};

uint64_t shm_pos_region_size(uint32_t capacity);
int shm_pos_init(void *region, uint64_t size, uint32_t capacity, struct rt_err *err);
int shm_pos_check(const void *region, uint64_t size, struct rt_err *err);
void shm_pos_attach(struct shm_pos_table *t, void *region);

/* Readers (tools): a copy of slot i made with relaxed word loads (the worker may be
 * writing; fields are individually consistent, which is what a display needs). */
void shm_pos_read(const struct shm_pos_table *t, uint32_t i, struct shm_pos *out);

/* Position command, one ring slot (posctl.<i>): */
enum shm_posctl_op { SHM_POSCTL_ADD = 1, SHM_POSCTL_REMOVE = 2 };
struct shm_posctl {
	uint32_t op;
	uint32_t pos_id;
	char underlying[12];
	uint32_t expiry;
	int64_t strike;
	uint32_t contracts;
	uint8_t right;
	uint8_t pad[3];
	char account[SHM_POS_ACCOUNT_MAX];
	uint8_t reserved[12];
};
_Static_assert(sizeof(struct shm_posctl) == 64, "position command is one ring slot");

/* Operator command, one ring slot ("ctl"), answered through the "rules" counters
 * ctl.last_seq / ctl.last_result / ctl.last_why once applied. */
enum shm_ctl_op {
	SHM_CTL_SAFE = 1,
	SHM_CTL_RESET = 2, /* out of a level-3 SAFE: needs confirm */
	SHM_CTL_MAINTENANCE = 3,
	SHM_CTL_AUDIT = 4,
	SHM_CTL_RESUME = 5, /* SAFE -> SCANNING */
	SHM_CTL_EMERGENCY = 6,
};
struct shm_ctl_cmd {
	uint32_t op;
	uint32_t confirm;
	uint64_t seq; /* the sender's sequence, echoed in ctl.last_seq */
	uint32_t uid;
	uint32_t pid;
	char user[32]; /* who ran it */
	uint8_t reserved[8];
};
_Static_assert(sizeof(struct shm_ctl_cmd) == 64, "operator command is one ring slot");

/* Protocol event, two ring slots (events.<i>):
 *    0 kind u16 (1 level change, 2 fault)   2 from u8   3 to u8
 *    4 pos_id u32    8 event_seq u64 (per worker, 1, 2, ...)
 *   16 price i64 (the underlying price that decided it)   24 atr i64
 *   32 thr[3] i64   56 quote_seq u64 (0 for a cadence evaluation)
 *   64 under_id u32  68 option_id u32   72 event_time_ns u64 (shared clock)
 *   80 feed_recv_ns u64   88 board_write_ns u64   96 worker_read_ns u64
 *  104 publish_ns u64 (all monotonic)   112 strike i64
 *  120 right u8  121 cause u8 (1 quote crossing, 2 cadence, 3 real time (level 3),
 *      4 unknown ATR, 5 event ring full)  122 worker u8  123 pad[5]
 */
enum shm_event_kind { SHM_EV_LEVEL = 1, SHM_EV_FAULT = 2 };
enum shm_event_cause {
	SHM_CAUSE_CROSSING = 1,
	SHM_CAUSE_CADENCE = 2,
	SHM_CAUSE_REALTIME = 3,
	SHM_CAUSE_ATR_UNKNOWN = 4,
	SHM_CAUSE_RING_FULL = 5,
};
struct shm_event {
	uint16_t kind;
	uint8_t from;
	uint8_t to;
	uint32_t pos_id;
	uint64_t event_seq;
	int64_t price;
	int64_t atr;
	int64_t thr[3];
	uint64_t quote_seq;
	uint32_t under_id;
	uint32_t option_id;
	uint64_t event_time_ns;
	uint64_t feed_recv_ns;
	uint64_t board_write_ns;
	uint64_t worker_read_ns;
	uint64_t publish_ns;
	int64_t strike;
	uint8_t right;
	uint8_t cause;
	uint8_t worker;
	uint8_t pad[5];
};
_Static_assert(sizeof(struct shm_event) == 128, "event is two ring slots");
_Static_assert(offsetof(struct shm_event, under_id) == 64, "under_id at 64");

const char *shm_event_cause_name(uint8_t cause);

#endif
