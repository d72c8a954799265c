/*
 * fuzz_feed_wire.c — libFuzzer target for the UDP quote decoder and the sequence
 * tracker (feeders/feed_wire.c, feeders/feed_seq.c, feeders/feed_validate.c).
 *
 * Each input is used twice:
 *   1. as one datagram: open, iterate every message; every message that decodes must
 *      re-encode to exactly the bytes of its block (the decoder loses nothing and
 *      accepts nothing the encoder would refuse); decoded quotes go through
 *      feed_validate_quote;
 *   2. as a capture: records of [u16 big-endian length][datagram] fed in order to
 *      one sequence tracker, as the feeder would (verdict, then feed_seq_take for
 *      late packets); datagrams that fail to open still hit the tracker with their
 *      raw header values, which it must survive.
 * Any broken invariant aborts. Seeds: fuzz/corpus/fuzz_feed_wire/.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. \
 *     fuzz/fuzz_feed_wire.c feeders/feed_wire.c feeders/feed_seq.c feeders/feed_validate.c
 */
#include "feeders/feed_seq.h"
#include "feeders/feed_validate.h"
#include "feeders/feed_wire.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static void reencode(const struct feed_wire_msg *m, const uint8_t *block, size_t block_len)
{
	uint8_t out[FEED_WIRE_MAX_PACKET];
	struct feed_wire_enc enc;
	CHECK(feed_wire_enc_init(&enc, out, sizeof(out), "FUZZ", 1) == 0);
	int rc = m->type == FEED_WIRE_MSG_QUOTE ? feed_wire_enc_quote(&enc, m)
						: feed_wire_enc_def(&enc, m);
	CHECK(rc == 0);
	CHECK(enc.len - FEED_WIRE_HDR_SIZE == block_len);
	CHECK(memcmp(out + FEED_WIRE_HDR_SIZE, block, block_len) == 0);
}

static void one_datagram(const uint8_t *data, size_t size)
{
	static struct feed_instr_state states[4];
	static const struct feed_validate_cfg cfg = {
		.max_age_ns = 1000000000ull, .jump_atr_k100 = 300, .jump_confirm = 2};
	struct feed_wire_iter it;
	struct feed_wire_msg m;
	if (feed_wire_packet_open(&it, data, size) != 0) {
		CHECK(it.error != FEED_WIRE_OK && it.error < FEED_WIRE_E__COUNT);
		CHECK(feed_wire_next(&it, &m) == 0);
		return;
	}
	CHECK(it.pkt == FEED_WIRE_PKT_DATA ? it.count >= 1 : it.count == 0);
	uint32_t n = 0;
	for (;;) {
		size_t off = it.off;
		int rc = feed_wire_next(&it, &m);
		if (rc == 0)
			break;
		CHECK(n < it.count);
		CHECK(m.seq == it.seq + n);
		n++;
		if (rc < 0) {
			CHECK(rc == -EBADMSG && it.error >= FEED_WIRE_E_UNKNOWN_TYPE &&
			      it.error < FEED_WIRE_E__COUNT);
			continue;
		}
		CHECK(rc == 1);
		size_t sl = strlen(m.symbol);
		CHECK(sl >= 1 && sl <= FEED_WIRE_SYMBOL_MAX);
		reencode(&m, data + off, it.off - off);
		if (m.type == FEED_WIRE_MSG_QUOTE) {
			struct feed_quote_in q = {
				.bid = m.quote.bid,
				.ask = m.quote.ask,
				.last = m.quote.last,
				.src_seq = m.seq,
				.exch_ts_ns = m.quote.exch_ts_ns,
			};
			struct feed_instr_state *st = &states[(uint8_t)m.symbol[0] & 3];
			st->atr = (int64_t)(m.quote.venue) * 1000;
			enum feed_reject r =
				feed_validate_quote(&cfg, st, &q, m.quote.exch_ts_ns ^ 7);
			CHECK((unsigned)r < FEED_REJECT__COUNT);
		}
	}
	CHECK(n == it.count);
	CHECK(it.off == (it.pkt == FEED_WIRE_PKT_DATA ? size : FEED_WIRE_HDR_SIZE));
}

static void capture(const uint8_t *data, size_t size)
{
	struct feed_seq t;
	feed_seq_init(&t);
	uint64_t delivered = 0;
	while (size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		struct feed_wire_iter it;
		struct feed_seq_verdict v;
		if (feed_wire_packet_open(&it, data, len) == 0) {
			int a = feed_seq_packet_iter(&t, &it, &v);
			CHECK(v.skip <= v.end && v.end <= it.count);
			CHECK(a == FEED_SEQ_DROP || v.skip < v.end);
			struct feed_wire_msg m;
			uint32_t i = 0;
			int rc;
			while ((rc = feed_wire_next(&it, &m)) != 0) {
				uint32_t idx = i++;
				if (a == FEED_SEQ_DROP || idx < v.skip || idx >= v.end)
					continue;
				if (a == FEED_SEQ_DELIVER_LATE && !feed_seq_take(&t, it.seq + idx))
					continue;
				delivered++;
			}
		} else if (len >= FEED_WIRE_HDR_SIZE) {
			/* raw header values, whatever they are */
			uint64_t seq = 0;
			for (int k = 0; k < 8; k++)
				seq = seq << 8 | data[10 + k];
			uint32_t count = (uint32_t)data[18] << 8 | data[19];
			uint8_t pkt = count == 0                     ? FEED_WIRE_PKT_HEARTBEAT
				      : count == FEED_WIRE_COUNT_END ? FEED_WIRE_PKT_END
								     : data[0] % 4;
			feed_seq_packet(&t, (const char *)data, pkt, seq, count, &v);
			CHECK(v.skip <= v.end);
			if (v.action == FEED_SEQ_DELIVER_LATE)
				for (uint32_t i = v.skip; i < v.end; i++)
					(void)feed_seq_take(&t, seq + i);
		}
		data += len;
		size -= len;
	}
	CHECK(t.st.reordered_msgs <= t.st.gap_msgs);
	CHECK(delivered <= t.st.msgs_new);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_datagram(data, size);
	capture(data, size);
	return 0;
}
