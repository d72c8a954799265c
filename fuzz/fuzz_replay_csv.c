/* libFuzzer target: the CSV replay reader (recorded files from outside). Lines are
 * either events with sane fields or errors naming file:line; nothing crashes. */
#include "feeders/feed_replay.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct feed_replay r;
	if (size == 0)
		return 0;
	memset(&r, 0, offsetof(struct feed_replay, buf));
	snprintf(r.path, sizeof(r.path), "f.csv");
	r.kind = FEED_REPLAY_CSV;
	r.f = fmemopen((void *)data, size, "rb");
	if (!r.f)
		return 0;
	struct feed_event ev;
	struct rt_err err = {0};
	for (int i = 0; i < 10000; i++) {
		int rc = feed_replay_next(&r, &ev, &err);
		if (rc == 0)
			break;
		if (rc < 0) {
			if (strncmp(err.msg, "f.csv:", 6) != 0)
				abort();
			continue;
		}
		if (ev.msg.type != FEED_WIRE_MSG_QUOTE ||
		    !memchr(ev.msg.symbol, 0, sizeof(ev.msg.symbol)) || ev.msg.symbol[0] == '\0')
			abort();
	}
	feed_replay_close(&r);
	return 0;
}
