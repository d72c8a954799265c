/*
 * sup_proto.h — what the supervisor does for the protocol engine until the rules
 * process owns it: the daily ATR table, the positions file, and the workers' events.
 */
#ifndef ALLUSE_SUP_PROTO_H
#define ALLUSE_SUP_PROTO_H

#include "rt/rt_config.h"
#include "shm/shm_segment.h"

#include <stdint.h>

struct sup_proto;

/* Attach to the segment's ATR table, position-command rings (producer) and event
 * rings (consumer). NULL on failure (logged). */
struct sup_proto *sup_proto_open(struct shm_segment *seg, const struct rt_config *cfg);
void sup_proto_close(struct sup_proto *sp);

/* ATR(5) of every configured instrument from protocol.bars_dir; logs each result. */
void sup_proto_atr_job(struct sup_proto *sp);

/* One supervisor tick: re-read the positions file if it changed, fill the ATR
 * fallback (2 % of price) where no bars gave one, drain the event rings (log each
 * level change, force SAFE on a fault or level 3). Returns events drained. */
uint32_t sup_proto_tick(struct sup_proto *sp, uint64_t now_ns);

#endif
