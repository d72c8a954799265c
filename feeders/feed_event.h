/*
 * feed_event.h — what a quote source produces: a wire message (quote or instrument
 * definition, struct feed_wire_msg) stamped with its event time. The synthetic
 * generator and the CSV replay reader produce these; the feeder publishes them and
 * alluse-feedsend encodes them into UDP packets.
 */
#ifndef FEED_EVENT_H
#define FEED_EVENT_H

#include "feeders/feed_wire.h"

#include <stdint.h>

/* src_key of a source that does not name its instruments by key (replay) */
#define FEED_SRC_KEY_NONE UINT32_MAX

struct feed_event {
	uint64_t ts_ns; /* event time, ns since the Unix epoch (drives the clock in replay) */
	/* a dense source-local index of the instrument, or FEED_SRC_KEY_NONE: one key
	 * always names the same symbol for the life of the source, so the feeder can
	 * cache key -> instrument id and skip the symbol lookup (feed_core_on_events) */
	uint32_t src_key;
	uint8_t nonfinite; /* a price in the source text was nan/inf (replay only) */
	struct feed_wire_msg msg; /* msg.type 'Q' (msg.quote) or 'D' (msg.def); msg.seq unused */
};

#endif
