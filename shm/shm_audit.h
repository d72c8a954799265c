/*
 * shm_audit.h — audit records on a process's audit ring (producer side, and the
 * framing the audit process decodes). docs/audit-format.md draws every byte.
 *
 * Every process that records audit events owns one ring region of role
 * SHM_ROLE_AUDIT named "audit.<owner>" (owner: supervisor, feeder, rules, router,
 * ctl, worker.<i>); it is the only producer, the audit process the only consumer.
 * A record is 1..SHM_AUDIT_SLOTS_MAX consecutive 64-byte slots pushed all or nothing
 * (shm_ring_push_n_spsc), so the consumer never sees half a record.
 *
 * Head slot (64 bytes), written by the producer:
 *    0 src_seq u64    per-source sequence: 1, 2, ... (continues across restarts)
 *    8 event_ns u64   event time, shared clock (ns since the Unix epoch)  [decision]
 *   16 emit_ns u64    producer's CLOCK_MONOTONIC at emit                  [latency]
 *   24 tag u16        SHM_AUDIT_TAG: this slot starts a record
 *   26 kind u16       enum shm_audit_kind                                 [decision]
 *   28 len u16        payload bytes, 0..SHM_AUDIT_PAYLOAD_MAX
 *   30 nslots u8      slots of the record, 1..SHM_AUDIT_SLOTS_MAX
 *   31 nlat u8        latency stamps, 0..SHM_AUDIT_LAT_MAX
 *   32 body[32]       the body: lat[nlat] u64 (monotonic ns)  then  payload[len]
 * Continuation slot (64 bytes):
 *    0 src_seq u64    the head's src_seq (a stale or torn slot shows)
 *    8 body[56]       the body, continued
 *
 * The payload is decision content only (what was decided and from which inputs);
 * latency measurements travel in lat[] and emit_ns, outside the payload, so that
 * two replays of the same input give the same decision digest.
 *
 * Sequence recovery: every slot starts with its record's src_seq, so a restarted
 * producer reads the slot just before the ring's published write_pos and carries
 * on from there (the segment outlives the producer; the consumer never writes slots).
 *
 * Concurrency: one producer process per ring (the owner), one consumer (the audit
 * process). The consumer publishes read_pos only once the records are durable in
 * the journal, so a crashed audit process re-reads, never loses, what it had taken.
 */
#ifndef SHM_AUDIT_H
#define SHM_AUDIT_H

#include "rt/rt_clock.h"
#include "rt/rt_err.h"
#include "shm/shm_pos.h"
#include "shm/shm_ring.h"
#include "shm/shm_segment.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SHM_AUDIT_TAG 0xa0d1u
#define SHM_AUDIT_SLOTS_MAX 16u
#define SHM_AUDIT_HEAD_BODY 32u
#define SHM_AUDIT_CONT_BODY 56u
#define SHM_AUDIT_LAT_MAX 4u
#define SHM_AUDIT_PAYLOAD_MAX 768u
#define SHM_AUDIT_BODY_MAX (SHM_AUDIT_HEAD_BODY + (SHM_AUDIT_SLOTS_MAX - 1u) * SHM_AUDIT_CONT_BODY)
_Static_assert(SHM_AUDIT_LAT_MAX * 8u + SHM_AUDIT_PAYLOAD_MAX <= SHM_AUDIT_BODY_MAX,
	       "the largest record fits SHM_AUDIT_SLOTS_MAX slots");
#define SHM_AUDIT_RING_NAME_PREFIX "audit."
#define SHM_AUDIT_RING_CAPACITY 16384u /* suggested slots per audit ring (1 MiB) */

/* Record kinds (head.kind). 0 is never valid. */
enum shm_audit_kind {
	SHM_AUDIT_LEVEL = 1, /* protocol level change        struct shm_audit_level */
	SHM_AUDIT_STATE = 2, /* system state transition      struct shm_audit_state */
	SHM_AUDIT_ORDER_INTENT = 3, /* order intent                 struct shm_audit_intent */
	SHM_AUDIT_ORDER_EVENT = 4, /* broker order event           struct shm_audit_order */
	SHM_AUDIT_FILL = 5, /* fill                         struct shm_audit_fill */
	SHM_AUDIT_FORK = 6, /* account fork                 struct shm_audit_fork */
	SHM_AUDIT_MERGE = 7, /* account merge                struct shm_audit_fork */
	SHM_AUDIT_CONFIG = 8, /* configuration change         UTF-8 text "key: old -> new" */
	SHM_AUDIT_COMMAND = 9, /* operator command             UTF-8 text */
	SHM_AUDIT_FAULT = 10, /* fault                        struct shm_audit_fault */
	SHM_AUDIT_KIND_MAX = 10,
};

/* Source ids (the journal's `source`): one per audit ring owner. */
enum shm_audit_source {
	SHM_AUDIT_SRC_SUPERVISOR = 1,
	SHM_AUDIT_SRC_FEEDER = 2,
	SHM_AUDIT_SRC_RULES = 3,
	SHM_AUDIT_SRC_ROUTER = 4,
	SHM_AUDIT_SRC_AUDIT = 5, /* the audit process's own records (journal mechanics) */
	SHM_AUDIT_SRC_CTL = 6,
	SHM_AUDIT_SRC_WORKER = 0x100, /* + worker id, 0..255 */
	SHM_AUDIT_SRC_MAX = 0x1ff,
};

struct shm_audit_head {
	uint64_t src_seq;
	uint64_t event_ns;
	uint64_t emit_ns;
	uint16_t tag;
	uint16_t kind;
	uint16_t len;
	uint8_t nslots;
	uint8_t nlat;
	uint8_t body[SHM_AUDIT_HEAD_BODY];
};
_Static_assert(sizeof(struct shm_audit_head) == SHM_RING_SLOT, "head is one slot");
_Static_assert(offsetof(struct shm_audit_head, tag) == 24, "tag at 24");
_Static_assert(offsetof(struct shm_audit_head, nlat) == 31, "nlat at 31");
_Static_assert(offsetof(struct shm_audit_head, body) == 32, "body at 32");

struct shm_audit_cont {
	uint64_t src_seq;
	uint8_t body[SHM_AUDIT_CONT_BODY];
};
_Static_assert(sizeof(struct shm_audit_cont) == SHM_RING_SLOT, "continuation is one slot");

/* ---- typed payloads (decision content; little-endian, fixed width) ------------ */

/* SHM_AUDIT_LEVEL (72 bytes); latency stamps: feed_recv, board_write, worker_read,
 * publish (the event's monotonic stage times). Prices × 10^8.
 *    0 pos_id u32   4 under_id u32   8 option_id u32
 *   12 from u8  13 to u8  14 cause u8 (enum shm_event_cause)  15 right u8 ('P'/'C')
 *   16 price i64  24 atr i64  32 thr[3] i64  56 strike i64  64 quote_seq u64 */
struct shm_audit_level {
	uint32_t pos_id;
	uint32_t under_id;
	uint32_t option_id;
	uint8_t from;
	uint8_t to;
	uint8_t cause;
	uint8_t right;
	int64_t price;
	int64_t atr;
	int64_t thr[3];
	int64_t strike;
	uint64_t quote_seq;
};
_Static_assert(sizeof(struct shm_audit_level) == 72, "level payload is 72 bytes");
_Static_assert(offsetof(struct shm_audit_level, price) == 16, "price at 16");
_Static_assert(offsetof(struct shm_audit_level, quote_seq) == 64, "quote_seq at 64");

/* SHM_AUDIT_STATE (64 bytes): 0 from u32  4 to u32 (shm_state)  8 reason char[56] */
struct shm_audit_state {
	uint32_t from;
	uint32_t to;
	char reason[56];
};
_Static_assert(sizeof(struct shm_audit_state) == 64, "state payload is 64 bytes");

/* SHM_AUDIT_ORDER_INTENT (128 bytes):
 *    0 intent_id u64  8 account char[12]  20 qty u32  24 limit i64 (price × 10^8)
 *   32 symbol char[32] (OCC or ticker)  64 side u8 ('B'/'S')  65 effect u8 ('O'/'C')
 *   66 pad[6]  72 reason char[56] */
struct shm_audit_intent {
	uint64_t intent_id;
	char account[12];
	uint32_t qty;
	int64_t limit;
	char symbol[32];
	uint8_t side;
	uint8_t effect;
	uint8_t pad[6];
	char reason[56];
};
_Static_assert(sizeof(struct shm_audit_intent) == 128, "intent payload is 128 bytes");
_Static_assert(offsetof(struct shm_audit_intent, reason) == 72, "reason at 72");

/* SHM_AUDIT_ORDER_EVENT (128 bytes):
 *    0 intent_id u64  8 order_id u64 (client order id)  16 event u8 (enum below)
 *   17 pad[3]  20 qty u32  24 price i64  32 broker_ref char[32]  64 reason char[64] */
enum shm_audit_order_event {
	SHM_AUDIT_ORD_SUBMITTED = 1,
	SHM_AUDIT_ORD_ACKED = 2,
	SHM_AUDIT_ORD_REPLACED = 3,
	SHM_AUDIT_ORD_CANCELLED = 4,
	SHM_AUDIT_ORD_REJECTED = 5,
	SHM_AUDIT_ORD_EXPIRED = 6,
};
struct shm_audit_order {
	uint64_t intent_id;
	uint64_t order_id;
	uint8_t event;
	uint8_t pad[3];
	uint32_t qty;
	int64_t price;
	char broker_ref[32];
	char reason[64];
};
_Static_assert(sizeof(struct shm_audit_order) == 128, "order event payload is 128 bytes");
_Static_assert(offsetof(struct shm_audit_order, broker_ref) == 32, "broker_ref at 32");

/* SHM_AUDIT_FILL (128 bytes):
 *    0 order_id u64  8 intent_id u64  16 qty u32  20 side u8  21 pad[3]
 *   24 price i64  32 fees i64 (× 10^8)  40 symbol char[32]  72 account char[12]
 *   84 pad[4]  88 fill_ref char[40] */
struct shm_audit_fill {
	uint64_t order_id;
	uint64_t intent_id;
	uint32_t qty;
	uint8_t side;
	uint8_t pad[3];
	int64_t price;
	int64_t fees;
	char symbol[32];
	char account[12];
	uint8_t pad2[4];
	char fill_ref[40];
};
_Static_assert(sizeof(struct shm_audit_fill) == 128, "fill payload is 128 bytes");
_Static_assert(offsetof(struct shm_audit_fill, fill_ref) == 88, "fill_ref at 88");

/* SHM_AUDIT_FORK and SHM_AUDIT_MERGE (64 bytes):
 *    0 from char[12]  12 to char[12]  24 amount i64 (× 10^8)  32 reason char[32] */
struct shm_audit_fork {
	char from[12];
	char to[12];
	int64_t amount;
	char reason[32];
};
_Static_assert(sizeof(struct shm_audit_fork) == 64, "fork payload is 64 bytes");

/* SHM_AUDIT_FAULT (64 bytes): 0 code u32 (producer-defined)  4 arg u32
 *   8 value u64  16 text char[48] */
struct shm_audit_fault {
	uint32_t code;
	uint32_t arg;
	uint64_t value;
	char text[48];
};
_Static_assert(sizeof(struct shm_audit_fault) == 64, "fault payload is 64 bytes");

/* ---- names ------------------------------------------------------------------ */

/* "level", "state", "intent", "order", "fill", "fork", "merge", "config",
 * "command", "fault"; NULL for an unknown kind. */
const char *shm_audit_kind_name(uint32_t kind);
/* The kind named (as above), or 0. */
uint32_t shm_audit_kind_parse(const char *name);
/* Owner name ("feeder", "worker.3", ...) -> source id, or -EINVAL. */
int shm_audit_source_id(const char *owner);
/* Source id -> owner name into buf (always NUL-terminated; "src.<id>" if unknown). */
const char *shm_audit_source_name(uint32_t source, char *buf, size_t n);

/* ---- producer ----------------------------------------------------------------- */

/* Process-local producer handle (caller-owned storage). */
struct shm_audit_producer {
	struct shm_ring ring;
	uint64_t seq; /* last src_seq emitted */
	uint64_t *fault_ctr; /* optional: the owner's counter bumped on a full ring */
	uint32_t source;
};

/* Attach to the ring "audit.<owner>" of seg, recovering the sequence from the
 * ring. fault_ctr (may be NULL) is a word of the caller's own counters region
 * (shm_counters_get_or_add, e.g. "audit.ring_full"), bumped on every refused emit.
 * -ENOENT: no such ring in the segment; -EINVAL: unknown owner name; -EBADMSG: the
 * region is not a valid ring. */
int shm_audit_producer_attach(struct shm_audit_producer *p, const struct shm_segment *seg,
			      const char *owner, uint64_t *fault_ctr, struct rt_err *err);
/* Same on a ring region the caller found itself (tests, tools). */
int shm_audit_producer_attach_region(struct shm_audit_producer *p, void *region, uint32_t source,
				     uint64_t *fault_ctr);

/* Hot path. Frame one record (payload of len bytes, lat[nlat] monotonic stamps)
 * into ceil slots and push them all or none. Never allocates, blocks, logs or
 * touches errno. Returns 0; -EAGAIN when the ring lacks room (the ring's full_count
 * and *fault_ctr are bumped, nothing is written: the caller must treat it as a
 * fault and go SAFE, it is never a silent drop); -EINVAL for kind 0 or > MAX;
 * -EMSGSIZE for len > SHM_AUDIT_PAYLOAD_MAX or nlat > SHM_AUDIT_LAT_MAX. */
int shm_audit_emit_lat(struct shm_audit_producer *p, uint32_t kind, uint64_t event_ns,
		       const void *payload, uint32_t len, const uint64_t *lat, uint32_t nlat);

static inline int shm_audit_emit(struct shm_audit_producer *p, uint32_t kind, uint64_t event_ns,
				 const void *payload, uint32_t len)
{
	return shm_audit_emit_lat(p, kind, event_ns, payload, len, NULL, 0);
}

/* Text kinds (config, command): payload = the bytes of text without its NUL. */
static inline int shm_audit_emit_text(struct shm_audit_producer *p, uint32_t kind,
				      uint64_t event_ns, const char *text)
{
	size_t n = strlen(text);
	return shm_audit_emit_lat(p, kind, event_ns, text,
				  n > SHM_AUDIT_PAYLOAD_MAX ? SHM_AUDIT_PAYLOAD_MAX : (uint32_t)n,
				  NULL, 0);
}

/* Split a worker's level event into decision content and latency stamps. */
static inline void shm_audit_level_from_event(const struct shm_event *e, struct shm_audit_level *l,
					      uint64_t lat[4])
{
	memset(l, 0, sizeof(*l));
	l->pos_id = e->pos_id;
	l->under_id = e->under_id;
	l->option_id = e->option_id;
	l->from = e->from;
	l->to = e->to;
	l->cause = e->cause;
	l->right = e->right;
	l->price = e->price;
	l->atr = e->atr;
	for (int i = 0; i < 3; i++)
		l->thr[i] = e->thr[i];
	l->strike = e->strike;
	l->quote_seq = e->quote_seq;
	lat[0] = e->feed_recv_ns;
	lat[1] = e->board_write_ns;
	lat[2] = e->worker_read_ns;
	lat[3] = e->publish_ns;
}

/* Emit a worker's level event as SHM_AUDIT_LEVEL (same returns as emit_lat). */
static inline int shm_audit_emit_level(struct shm_audit_producer *p, const struct shm_event *e)
{
	struct shm_audit_level l;
	uint64_t lat[4];
	shm_audit_level_from_event(e, &l, lat);
	return shm_audit_emit_lat(p, SHM_AUDIT_LEVEL, e->event_time_ns, &l, sizeof(l), lat, 4);
}

/* ---- consumer (the audit process) --------------------------------------------- */

/* One decoded record (process-local). */
struct shm_audit_msg {
	uint64_t src_seq;
	uint64_t event_ns;
	uint64_t emit_ns;
	uint64_t pos_end; /* ring position just after the record */
	uint16_t kind;
	uint16_t len;
	uint8_t nslots;
	uint8_t nlat;
	uint64_t lat[SHM_AUDIT_LAT_MAX];
	uint8_t payload[SHM_AUDIT_PAYLOAD_MAX];
};

/* Consumer handle: a read cursor that runs ahead of the published read_pos. */
struct shm_audit_consumer {
	struct shm_ring ring; /* ring.pos is the cursor (next slot to decode) */
	uint32_t source;
	uint64_t committed; /* read_pos last published */
};

void shm_audit_consumer_attach(struct shm_audit_consumer *c, void *region, uint32_t source);

/* Decode the record at the cursor and move the cursor past it; read_pos is NOT
 * published. 0: m holds it. -EAGAIN: nothing new. -EBADMSG: the slot at the cursor
 * is not a valid record head (or its continuations disagree): the cursor moved past
 * the bad slot(s) (m->pos_end says where), m->src_seq/kind hold what could be read,
 * and err says why. */
int shm_audit_consumer_next(struct shm_audit_consumer *c, struct shm_audit_msg *m,
			    struct rt_err *err);

/* Move the cursor forward to pos (skipping records already journaled); no-op if
 * pos is behind it or beyond the published write position. */
void shm_audit_consumer_skip_to(struct shm_audit_consumer *c, uint64_t pos);

/* Publish read_pos = pos (release): the records before pos are durable and their
 * slots may be reused. pos must be <= the cursor; a smaller pos than already
 * published is ignored. */
void shm_audit_consumer_commit(struct shm_audit_consumer *c, uint64_t pos);

#endif
