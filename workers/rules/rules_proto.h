/*
 * rules_proto.h — the rules process's duties toward the protocol engine: the daily
 * ATR table (single writer), the positions (producer of every worker's posctl ring:
 * the positions file, re-read when it changes), and the workers' events (consumer of
 * every events ring: each level change is logged, a fault or a level 3 asks for SAFE).
 */
#ifndef RULES_PROTO_H
#define RULES_PROTO_H

#include "rt/rt_config.h"
#include "shm/shm_segment.h"

#include <stdint.h>

struct rules_proto;

/* Attach to the segment's ATR table, position-command rings (producer) and event
 * rings (consumer). NULL on failure (logged). */
struct rules_proto *rules_proto_open(struct shm_segment *seg, const struct rt_config *cfg);
void rules_proto_close(struct rules_proto *sp);

struct shm_audit_producer;
/* Audit every event drained (level changes as SHM_AUDIT_LEVEL). A full audit ring
 * asks for SAFE: nothing is dropped silently. */
void rules_proto_set_audit(struct rules_proto *sp, struct shm_audit_producer *audit);

/* A position command to the worker that owns its underlying (FNV-1a routing, as the
 * feeder's); waits up to a second for room. Returns 0 or -EAGAIN (logged). */
struct shm_posctl;
int rules_proto_send_pos(struct rules_proto *sp, const struct shm_posctl *cmd);

/* Called for every level event drained (after it is logged and audited), e.g. the
 * desk's protocol actions. */
struct shm_event;
void rules_proto_set_level_hook(struct rules_proto *sp,
				void (*fn)(void *ctx, const struct shm_event *ev, uint32_t worker),
				void *ctx);

/* ATR(5) of every configured instrument from protocol.bars_dir; logs each result. */
void rules_proto_atr_job(struct rules_proto *sp);

/* Whether the system must go SAFE since the last call: 1 with *level3 (a level-3 event
 * was among the reasons) and *why (valid until the next tick), else 0. */
int rules_proto_take_safe(struct rules_proto *sp, int *level3, const char **why);

/* One tick: re-read the positions file if it changed, fill the ATR
 * fallback (2 % of price) where no bars gave one, drain the event rings (log each
 * level change, ask for SAFE on a fault or level 3). Returns events drained. */
uint32_t rules_proto_tick(struct rules_proto *sp, uint64_t now_ns);

#endif
