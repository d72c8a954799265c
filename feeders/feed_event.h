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

struct feed_event {
	uint64_t ts_ns; /* event time, ns since the Unix epoch (drives the clock in replay) */
	uint8_t nonfinite; /* a price in the source text was nan/inf (replay only) */
	struct feed_wire_msg msg; /* msg.type 'Q' (msg.quote) or 'D' (msg.def); msg.seq unused */
};

#endif
