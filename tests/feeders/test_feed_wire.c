/* The UDP quote protocol: the documented example byte for byte, round trips of every
 * field, the encoder's limits, and every way a packet or a message can be malformed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "feeders/feed_wire.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* docs/feed-wire.md, "Example": one option definition and one quote for it. */
/* clang-format off */
static const uint8_t example[] = {
	/* header */
	'A', 'L', 'L', 'U', 'S', 'E', '0', '1', ' ', ' ', /* session "ALLUSE01" padded */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8,   /* sequence 1000 */
	0x00, 0x02,                                       /* count 2 */
	/* message 1000: 'D', block length 41 */
	0x00, 0x29,
	'D', 0x03,                                        /* type, kind 3 option */
	21, 'S', 'P', 'Y', ' ', ' ', ' ', '2', '6', '0', '4', '1', '7', 'P', '0', '0', '5', '0', '0',
	'0', '0', '0',                                    /* symbol "SPY   260417P00500000" */
	3, 'S', 'P', 'Y',                                 /* underlying "SPY" */
	0x01, 0x35, 0x26, 0x41,                           /* expiry 20260417 */
	'P',                                              /* right */
	0x00, 0x00, 0x00, 0x0b, 0xa4, 0x3b, 0x74, 0x00,   /* strike 500.00 */
	/* message 1001: 'Q', block length 70 */
	0x00, 0x46,
	'Q', 0x00,                                        /* type, flags */
	21, 'S', 'P', 'Y', ' ', ' ', ' ', '2', '6', '0', '4', '1', '7', 'P', '0', '0', '5', '0', '0',
	'0', '0', '0',                                    /* symbol */
	0x00, 0x00, 0x00, 0x00, 0x19, 0xed, 0x92, 0xc0,   /* bid 4.35 */
	0x00, 0x00, 0x00, 0x00, 0x1a, 0x39, 0xde, 0x00,   /* ask 4.40 */
	0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   /* last absent (INT64_MIN) */
	0x00, 0x00, 0x00, 0x0c,                           /* bid_size 12 */
	0x00, 0x00, 0x00, 0x1e,                           /* ask_size 30 */
	0x00, 0x00, 0x00, 0x00,                           /* last_size 0 */
	0x00, 0x07,                                       /* venue 7 */
	0x18, 0xa5, 0xf0, 0xfd, 0x9d, 0x44, 0xdd, 0x15,   /* exch_ts 2026-04-13T14:30:00.123456789Z */
};
/* clang-format on */
_Static_assert(sizeof(example) == 135, "example packet is 135 bytes");

#define OPT_SYM "SPY   260417P00500000"
#define EXAMPLE_TS 1776090600123456789ull

static void example_def(struct feed_wire_msg *m)
{
	memset(m, 0, sizeof(*m));
	strcpy(m->symbol, OPT_SYM);
	strcpy(m->def.underlying, "SPY");
	m->def.kind = FEED_WIRE_OPTION;
	m->def.expiry = 20260417;
	m->def.right = 'P';
	m->def.strike = 50000000000ll;
}

static void example_quote(struct feed_wire_msg *m)
{
	memset(m, 0, sizeof(*m));
	strcpy(m->symbol, OPT_SYM);
	m->quote.bid = 435000000;
	m->quote.ask = 440000000;
	m->quote.last = FEED_WIRE_PRICE_ABSENT;
	m->quote.bid_size = 12;
	m->quote.ask_size = 30;
	m->quote.venue = 7;
	m->quote.exch_ts_ns = EXAMPLE_TS;
}

/* ---- a byte builder for hand-made (mostly broken) packets ---- */
struct bb {
	uint8_t b[4096];
	size_t n;
};
static void put8(struct bb *b, unsigned v)
{
	b->b[b->n++] = (uint8_t)v;
}
static void put16(struct bb *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v);
}
static void put32(struct bb *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v & 0xffff);
}
static void put64(struct bb *b, uint64_t v)
{
	put32(b, (uint32_t)(v >> 32));
	put32(b, (uint32_t)v);
}
static void putn(struct bb *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
}
static void header(struct bb *b, const char *session10, uint64_t seq, unsigned count)
{
	b->n = 0;
	putn(b, session10, 10);
	put64(b, seq);
	put16(b, count);
}
/* A 'Q' payload with an arbitrary symbol-length byte and `extra` bytes of slack (may
 * be negative to cut the fixed part short). */
static void quote_block(struct bb *b, unsigned symlen_field, const char *sym, size_t symbytes,
			int extra)
{
	size_t len = 3 + symbytes + 46 + (size_t)(extra > 0 ? extra : 0);
	if (extra < 0)
		len -= (size_t)-extra;
	put16(b, (unsigned)len);
	size_t start = b->n;
	put8(b, 'Q');
	put8(b, 0);
	put8(b, symlen_field);
	putn(b, sym, symbytes);
	for (int i = 0; i < 46 + (extra > 0 ? extra : 0); i++)
		put8(b, (unsigned)i);
	b->n = start + len;
}
static void good_quote_block(struct bb *b, const char *sym)
{
	quote_block(b, (unsigned)strlen(sym), sym, strlen(sym), 0);
}
/* A 'D' payload with every field chosen by the caller. */
static void def_block(struct bb *b, unsigned kind, const char *sym, const char *und,
		      uint32_t expiry, unsigned right, int64_t strike)
{
	size_t sl = strlen(sym), ul = strlen(und);
	put16(b, (unsigned)(17 + sl + ul));
	put8(b, 'D');
	put8(b, kind);
	put8(b, (unsigned)sl);
	putn(b, sym, sl);
	put8(b, (unsigned)ul);
	putn(b, und, ul);
	put32(b, expiry);
	put8(b, right);
	put64(b, (uint64_t)strike);
}

static int open_bb(struct feed_wire_iter *it, const struct bb *b)
{
	return feed_wire_packet_open(it, b->b, b->n);
}

/* Open a one-message packet and return next()'s result with the reason in *why. */
static int one_message(const struct bb *b, struct feed_wire_msg *m, unsigned *why)
{
	struct feed_wire_iter it;
	assert_int_equal(open_bb(&it, b), 0);
	assert_int_equal(it.count, 1);
	int rc = feed_wire_next(&it, m);
	*why = it.error;
	assert_int_equal(feed_wire_next(&it, m), 0);
	return rc;
}

static void assert_open_fails(const uint8_t *buf, size_t len, unsigned why)
{
	struct feed_wire_iter it;
	struct feed_wire_msg m;
	assert_int_equal(feed_wire_packet_open(&it, buf, len), -EBADMSG);
	assert_string_equal(feed_wire_error_name(it.error), feed_wire_error_name(why));
	assert_int_equal(feed_wire_next(&it, &m), 0); /* nothing to iterate afterwards */
}

/* ---- the documented example ---- */

static void test_wire_encoder_reproduces_the_documented_example_byte_for_byte(void **state)
{
	(void)state;
	uint8_t buf[FEED_WIRE_MAX_PACKET];
	struct feed_wire_enc enc;
	struct feed_wire_msg m;
	assert_int_equal(feed_wire_enc_init(&enc, buf, sizeof(buf), "ALLUSE01", 1000), 0);
	example_def(&m);
	assert_int_equal(feed_wire_enc_def(&enc, &m), 0);
	example_quote(&m);
	assert_int_equal(feed_wire_enc_quote(&enc, &m), 0);
	assert_int_equal(feed_wire_enc_finish(&enc), sizeof(example));
	assert_memory_equal(buf, example, sizeof(example));
}

static void test_wire_decoder_reads_every_field_of_the_documented_example(void **state)
{
	(void)state;
	struct feed_wire_iter it;
	struct feed_wire_msg m;
	assert_int_equal(feed_wire_packet_open(&it, example, sizeof(example)), 0);
	assert_string_equal(it.session, "ALLUSE01  ");
	assert_int_equal(it.seq, 1000);
	assert_int_equal(it.count, 2);
	assert_int_equal(it.pkt, FEED_WIRE_PKT_DATA);

	assert_int_equal(feed_wire_next(&it, &m), 1);
	assert_int_equal(m.seq, 1000);
	assert_int_equal(m.type, FEED_WIRE_MSG_DEF);
	assert_string_equal(m.symbol, OPT_SYM);
	assert_string_equal(m.def.underlying, "SPY");
	assert_int_equal(m.def.kind, FEED_WIRE_OPTION);
	assert_int_equal(m.def.expiry, 20260417);
	assert_int_equal(m.def.right, 'P');
	assert_int_equal(m.def.strike, 50000000000ll);

	assert_int_equal(feed_wire_next(&it, &m), 1);
	assert_int_equal(m.seq, 1001);
	assert_int_equal(m.type, FEED_WIRE_MSG_QUOTE);
	assert_string_equal(m.symbol, OPT_SYM);
	assert_int_equal(m.quote.flags, 0);
	assert_int_equal(m.quote.bid, 435000000);
	assert_int_equal(m.quote.ask, 440000000);
	assert_true(m.quote.last == FEED_WIRE_PRICE_ABSENT);
	assert_int_equal(m.quote.bid_size, 12);
	assert_int_equal(m.quote.ask_size, 30);
	assert_int_equal(m.quote.last_size, 0);
	assert_int_equal(m.quote.venue, 7);
	assert_int_equal(m.quote.exch_ts_ns, EXAMPLE_TS);

	assert_int_equal(feed_wire_next(&it, &m), 0);
	assert_int_equal(feed_wire_next(&it, &m), 0);
}

/* ---- round trips ---- */

static void roundtrip_quote(const struct feed_wire_msg *in)
{
	uint8_t buf[FEED_WIRE_MAX_PACKET];
	struct feed_wire_enc enc;
	struct feed_wire_iter it;
	struct feed_wire_msg out;
	assert_int_equal(feed_wire_enc_init(&enc, buf, sizeof(buf), "RT", 77), 0);
	assert_int_equal(feed_wire_enc_quote(&enc, in), 0);
	int len = feed_wire_enc_finish(&enc);
	assert_int_equal(len, 20 + 2 + 49 + strlen(in->symbol));
	assert_int_equal(feed_wire_packet_open(&it, buf, (size_t)len), 0);
	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(feed_wire_next(&it, &out), 1);
	assert_int_equal(out.seq, 77);
	assert_int_equal(out.type, FEED_WIRE_MSG_QUOTE);
	assert_string_equal(out.symbol, in->symbol);
	assert_true(out.quote.bid == in->quote.bid);
	assert_true(out.quote.ask == in->quote.ask);
	assert_true(out.quote.last == in->quote.last);
	assert_int_equal(out.quote.bid_size, in->quote.bid_size);
	assert_int_equal(out.quote.ask_size, in->quote.ask_size);
	assert_int_equal(out.quote.last_size, in->quote.last_size);
	assert_int_equal(out.quote.venue, in->quote.venue);
	assert_int_equal(out.quote.flags, in->quote.flags);
	assert_true(out.quote.exch_ts_ns == in->quote.exch_ts_ns);
}

static void test_wire_quote_round_trips_every_field_at_its_extremes(void **state)
{
	(void)state;
	struct feed_wire_msg m;
	memset(&m, 0, sizeof(m));
	/* max-length symbol, absent prices, every unsigned field at its maximum */
	strcpy(m.symbol, "ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123");
	assert_int_equal(strlen(m.symbol), FEED_WIRE_SYMBOL_MAX);
	m.quote.bid = FEED_WIRE_PRICE_ABSENT;
	m.quote.ask = FEED_WIRE_PRICE_ABSENT;
	m.quote.last = FEED_WIRE_PRICE_ABSENT;
	m.quote.bid_size = UINT32_MAX;
	m.quote.ask_size = UINT32_MAX - 1;
	m.quote.last_size = 0x80000001u;
	m.quote.venue = 0xffff;
	m.quote.flags = 0xff;
	m.quote.exch_ts_ns = UINT64_MAX;
	roundtrip_quote(&m);
	/* one-character symbol, extreme and negative prices (the wire does not judge) */
	strcpy(m.symbol, "X");
	m.quote.bid = -1;
	m.quote.ask = INT64_MAX;
	m.quote.last = INT64_MIN + 1;
	m.quote.bid_size = 0;
	m.quote.venue = 0;
	m.quote.flags = 0x01;
	m.quote.exch_ts_ns = 0;
	roundtrip_quote(&m);
	/* every printable byte may appear in a symbol */
	strcpy(m.symbol, " !~\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}");
	m.symbol[FEED_WIRE_SYMBOL_MAX] = '\0';
	roundtrip_quote(&m);
}

static void roundtrip_def(const struct feed_wire_msg *in)
{
	uint8_t buf[FEED_WIRE_MAX_PACKET];
	struct feed_wire_enc enc;
	struct feed_wire_iter it;
	struct feed_wire_msg out;
	assert_int_equal(feed_wire_enc_init(&enc, buf, sizeof(buf), "RT", 5), 0);
	assert_int_equal(feed_wire_enc_def(&enc, in), 0);
	int len = feed_wire_enc_finish(&enc);
	assert_int_equal(len, 20 + 2 + 17 + strlen(in->symbol) + strlen(in->def.underlying));
	assert_int_equal(feed_wire_packet_open(&it, buf, (size_t)len), 0);
	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(feed_wire_next(&it, &out), 1);
	assert_int_equal(out.type, FEED_WIRE_MSG_DEF);
	assert_string_equal(out.symbol, in->symbol);
	assert_string_equal(out.def.underlying, in->def.underlying);
	assert_int_equal(out.def.kind, in->def.kind);
	assert_int_equal(out.def.expiry, in->def.expiry);
	assert_int_equal(out.def.right, in->def.right);
	assert_true(out.def.strike == in->def.strike);
}

static void test_wire_definitions_round_trip_for_stock_index_and_option(void **state)
{
	(void)state;
	struct feed_wire_msg m;
	memset(&m, 0, sizeof(m));
	strcpy(m.symbol, "AAPL");
	strcpy(m.def.underlying, "AAPL");
	m.def.kind = FEED_WIRE_STOCK;
	roundtrip_def(&m);
	strcpy(m.symbol, "BRK.B");
	m.def.underlying[0] = '\0'; /* a stock may leave the underlying empty */
	roundtrip_def(&m);
	strcpy(m.symbol, "^SPX");
	m.def.kind = FEED_WIRE_INDEX;
	roundtrip_def(&m);
	/* an option with the longest symbol and underlying and a big strike */
	strcpy(m.symbol, "ABCDEFGHIJK 991231C99999999 XYZ");
	strcpy(m.def.underlying, "ABCDEFGHIJK");
	assert_int_equal(strlen(m.def.underlying), FEED_WIRE_UNDERLYING_MAX);
	m.def.kind = FEED_WIRE_OPTION;
	m.def.expiry = 99991231;
	m.def.right = 'C';
	m.def.strike = INT64_MAX;
	roundtrip_def(&m);
	example_def(&m);
	roundtrip_def(&m);
}

static void test_wire_packet_fills_up_to_the_mtu_then_reports_enospc_unchanged(void **state)
{
	(void)state;
	uint8_t buf[4096];
	struct feed_wire_enc enc;
	struct feed_wire_msg m;
	example_quote(&m);
	m.quote.bid_size = 0;
	assert_int_equal(feed_wire_enc_init(&enc, buf, sizeof(buf), "FULL", 10), 0);
	int n = 0, rc;
	while ((rc = feed_wire_enc_quote(&enc, &m)) == 0) {
		n++;
		m.quote.bid_size = (uint32_t)n;
	}
	assert_int_equal(rc, -ENOSPC);
	size_t each = 2 + 49 + strlen(OPT_SYM);
	assert_int_equal(n, (FEED_WIRE_MAX_PACKET - 20) / each);
	size_t len_before = enc.len;
	assert_int_equal(
		feed_wire_enc_def(&enc, &(struct feed_wire_msg){.symbol = "A", .def = {.kind = 1}}),
		-ENOSPC);
	assert_int_equal(enc.len, len_before);
	int len = feed_wire_enc_finish(&enc);
	assert_true(len <= (int)FEED_WIRE_MAX_PACKET);
	assert_int_equal(len, 20 + n * (int)each);

	struct feed_wire_iter it;
	struct feed_wire_msg out;
	assert_int_equal(feed_wire_packet_open(&it, buf, (size_t)len), 0);
	assert_int_equal(it.count, n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(feed_wire_next(&it, &out), 1);
		assert_int_equal(out.seq, 10 + i);
		assert_int_equal(out.quote.bid_size, i);
	}
	assert_int_equal(feed_wire_next(&it, &out), 0);

	/* a smaller buffer is the limit when below the MTU size */
	assert_int_equal(feed_wire_enc_init(&enc, buf, 20 + each, "FULL", 10), 0);
	assert_int_equal(feed_wire_enc_quote(&enc, &m), 0);
	assert_int_equal(feed_wire_enc_quote(&enc, &m), -ENOSPC);
	assert_int_equal(feed_wire_enc_finish(&enc), 20 + each);
}

static void test_wire_encoder_refuses_what_the_decoder_would_refuse(void **state)
{
	(void)state;
	uint8_t buf[FEED_WIRE_MAX_PACKET];
	struct feed_wire_enc enc;
	struct feed_wire_msg m;
	assert_int_equal(feed_wire_enc_init(&enc, buf, sizeof(buf), "", 1), -EINVAL);
	assert_int_equal(feed_wire_enc_init(&enc, buf, sizeof(buf), NULL, 1), -EINVAL);
	assert_int_equal(feed_wire_enc_init(&enc, buf, sizeof(buf), "ELEVENCHARS", 1), -EINVAL);
	assert_int_equal(feed_wire_enc_init(&enc, buf, sizeof(buf), "TAB\tS", 1), -EINVAL);
	assert_int_equal(feed_wire_enc_init(&enc, buf, sizeof(buf), "S", 0), -EINVAL);
	assert_int_equal(feed_wire_enc_init(&enc, buf, 19, "S", 1), -ENOSPC);
	assert_int_equal(feed_wire_enc_init(&enc, buf, sizeof(buf), "TENCHARS10", 1), 0);

	example_quote(&m);
	m.symbol[0] = '\0';
	assert_int_equal(feed_wire_enc_quote(&enc, &m), -EINVAL);
	memset(m.symbol, 'A', sizeof(m.symbol)); /* 32 bytes, no NUL */
	assert_int_equal(feed_wire_enc_quote(&enc, &m), -EINVAL);
	strcpy(m.symbol, "A\x7f");
	assert_int_equal(feed_wire_enc_quote(&enc, &m), -EINVAL);

	example_def(&m);
	m.def.right = 'X';
	assert_int_equal(feed_wire_enc_def(&enc, &m), -EINVAL);
	example_def(&m);
	m.def.strike = 0;
	assert_int_equal(feed_wire_enc_def(&enc, &m), -EINVAL);
	example_def(&m);
	m.def.expiry = 20261301;
	assert_int_equal(feed_wire_enc_def(&enc, &m), -EINVAL);
	example_def(&m);
	m.def.underlying[0] = '\0';
	assert_int_equal(feed_wire_enc_def(&enc, &m), -EINVAL);
	example_def(&m);
	memset(m.def.underlying, 'U', sizeof(m.def.underlying));
	assert_int_equal(feed_wire_enc_def(&enc, &m), -EINVAL);
	example_def(&m);
	m.def.kind = 4;
	assert_int_equal(feed_wire_enc_def(&enc, &m), -EINVAL);
	example_def(&m);
	m.def.kind = FEED_WIRE_STOCK; /* a stock with option fields */
	assert_int_equal(feed_wire_enc_def(&enc, &m), -EINVAL);
	assert_int_equal(enc.count, 0);
	assert_int_equal(feed_wire_enc_finish(&enc), 20);
}

/* ---- control packets ---- */

static void test_wire_heartbeat_is_a_bare_header_announcing_the_next_sequence(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct feed_wire_enc enc;
	struct feed_wire_iter it;
	struct feed_wire_msg m;
	assert_int_equal(feed_wire_enc_init(&enc, buf, sizeof(buf), "HB", 42), 0);
	assert_int_equal(feed_wire_enc_finish(&enc), 20);
	assert_int_equal(buf[18], 0);
	assert_int_equal(buf[19], 0);
	assert_int_equal(feed_wire_packet_open(&it, buf, 20), 0);
	assert_int_equal(it.pkt, FEED_WIRE_PKT_HEARTBEAT);
	assert_string_equal(it.session, "HB        ");
	assert_int_equal(it.seq, 42);
	assert_int_equal(it.count, 0);
	assert_int_equal(feed_wire_next(&it, &m), 0);
}

static void test_wire_end_of_session_is_count_ffff_with_no_body(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct feed_wire_enc enc;
	struct feed_wire_iter it;
	struct feed_wire_msg m;
	assert_int_equal(feed_wire_enc_init(&enc, buf, sizeof(buf), "EOS", 500), 0);
	assert_int_equal(feed_wire_enc_end_session(&enc), 20);
	assert_int_equal(buf[18], 0xff);
	assert_int_equal(buf[19], 0xff);
	assert_int_equal(feed_wire_packet_open(&it, buf, 20), 0);
	assert_int_equal(it.pkt, FEED_WIRE_PKT_END);
	assert_int_equal(it.seq, 500);
	assert_int_equal(it.count, 0);
	assert_int_equal(feed_wire_next(&it, &m), 0);
	/* only an empty packet can become the end of session */
	assert_int_equal(feed_wire_enc_init(&enc, buf, sizeof(buf), "EOS", 500), 0);
	example_quote(&m);
	assert_int_equal(feed_wire_enc_quote(&enc, &m), 0);
	assert_int_equal(feed_wire_enc_end_session(&enc), -EINVAL);
}

static void test_wire_refuses_control_packets_with_a_body(void **state)
{
	(void)state;
	struct bb b;
	header(&b, "HB        ", 42, 0);
	put8(&b, 0);
	assert_open_fails(b.b, b.n, FEED_WIRE_E_CONTROL_BODY);
	header(&b, "EOS       ", 42, 0xffff);
	good_quote_block(&b, "AAPL");
	assert_open_fails(b.b, b.n, FEED_WIRE_E_CONTROL_BODY);
}

/* ---- malformed packets ---- */

static void test_wire_refuses_every_truncated_header(void **state)
{
	(void)state;
	for (size_t len = 0; len < FEED_WIRE_HDR_SIZE; len++)
		assert_open_fails(example, len, FEED_WIRE_E_SHORT_HEADER);
	assert_open_fails(NULL, 0, FEED_WIRE_E_SHORT_HEADER);
}

static void test_wire_refuses_a_session_with_a_non_printable_byte(void **state)
{
	(void)state;
	uint8_t p[sizeof(example)];
	const uint8_t bad[] = {0x00, 0x1f, 0x7f, 0x80, 0xff};
	for (size_t i = 0; i < sizeof(bad); i++) {
		memcpy(p, example, sizeof(p));
		p[9] = bad[i];
		assert_open_fails(p, sizeof(p), FEED_WIRE_E_BAD_SESSION);
	}
}

static void test_wire_refuses_sequence_zero_and_a_sequence_that_would_wrap(void **state)
{
	(void)state;
	struct bb b;
	header(&b, "S         ", 0, 1);
	good_quote_block(&b, "AAPL");
	assert_open_fails(b.b, b.n, FEED_WIRE_E_BAD_SEQUENCE);
	header(&b, "S         ", 0, 0);
	assert_open_fails(b.b, b.n, FEED_WIRE_E_BAD_SEQUENCE);
	header(&b, "S         ", 0, 0xffff);
	assert_open_fails(b.b, b.n, FEED_WIRE_E_BAD_SEQUENCE);
	header(&b, "S         ", UINT64_MAX, 1);
	good_quote_block(&b, "AAPL");
	assert_open_fails(b.b, b.n, FEED_WIRE_E_BAD_SEQUENCE);
	/* the last representable message is fine */
	header(&b, "S         ", UINT64_MAX - 1, 1);
	good_quote_block(&b, "AAPL");
	struct feed_wire_iter it;
	assert_int_equal(open_bb(&it, &b), 0);
}

static void test_wire_refuses_a_count_too_large_for_the_bytes(void **state)
{
	(void)state;
	uint8_t p[sizeof(example)];
	memcpy(p, example, sizeof(p));
	p[19] = 3; /* 3 messages claimed, 2 present: the walk runs off the end */
	assert_open_fails(p, sizeof(p), FEED_WIRE_E_BLOCK_OVERRUN);
	p[19] = 39; /* 39 × 3 minimal bytes > 115 body bytes: refused before any walk */
	assert_open_fails(p, sizeof(p), FEED_WIRE_E_COUNT_TOO_LARGE);
	p[18] = 0xff;
	p[19] = 0xfe;
	assert_open_fails(p, sizeof(p), FEED_WIRE_E_COUNT_TOO_LARGE);
	assert_open_fails(example, 20, FEED_WIRE_E_COUNT_TOO_LARGE);
	p[18] = 0;
	p[19] = 38; /* 38 × 3 fits: then the walk finds the lie */
	assert_open_fails(p, sizeof(p), FEED_WIRE_E_BLOCK_OVERRUN);
}

static void test_wire_refuses_every_truncation_of_the_example(void **state)
{
	(void)state;
	for (size_t len = FEED_WIRE_HDR_SIZE; len < sizeof(example); len++) {
		struct feed_wire_iter it;
		assert_int_equal(feed_wire_packet_open(&it, example, len), -EBADMSG);
		assert_true(it.error == FEED_WIRE_E_BLOCK_OVERRUN ||
			    it.error == FEED_WIRE_E_COUNT_TOO_LARGE);
	}
}

static void test_wire_refuses_a_block_length_overrunning_the_packet(void **state)
{
	(void)state;
	uint8_t p[sizeof(example)];
	memcpy(p, example, sizeof(p));
	p[20 + 2 + 41 + 1] += 1; /* second block claims 71 bytes, 70 remain */
	assert_open_fails(p, sizeof(p), FEED_WIRE_E_BLOCK_OVERRUN);
	memcpy(p, example, sizeof(p));
	p[20] = 0xff; /* first block claims 65 000+ bytes */
	assert_open_fails(p, sizeof(p), FEED_WIRE_E_BLOCK_OVERRUN);
	/* the first block ends one byte before the end: the second length field is cut */
	struct bb b;
	header(&b, "S         ", 1, 2);
	put16(&b, 37);
	for (int i = 0; i < 37; i++)
		put8(&b, 'D');
	put8(&b, 0);
	assert_open_fails(b.b, b.n, FEED_WIRE_E_BLOCK_OVERRUN);
}

static void test_wire_refuses_a_zero_length_block(void **state)
{
	(void)state;
	struct bb b;
	header(&b, "S         ", 1, 2);
	good_quote_block(&b, "AAPL");
	put16(&b, 0);
	for (int i = 0; i < 20; i++) /* bytes after it, so only the zero length is wrong */
		put8(&b, 0);
	assert_open_fails(b.b, b.n, FEED_WIRE_E_EMPTY_BLOCK);
}

static void test_wire_refuses_trailing_bytes_after_count_messages(void **state)
{
	(void)state;
	uint8_t p[sizeof(example) + 1];
	memcpy(p, example, sizeof(example));
	p[sizeof(example)] = 0;
	assert_open_fails(p, sizeof(p), FEED_WIRE_E_TRAILING);
	memcpy(p, example, sizeof(example));
	p[19] = 1; /* the second message becomes trailing garbage */
	assert_open_fails(p, sizeof(example), FEED_WIRE_E_TRAILING);
}

/* ---- malformed messages: reported, skipped, iteration goes on ---- */

static void test_wire_skips_an_unknown_type_and_goes_on_with_the_next_message(void **state)
{
	(void)state;
	struct bb b;
	header(&b, "S         ", 100, 3);
	good_quote_block(&b, "AAPL");
	put16(&b, 5);
	putn(&b, "Xjunk", 5);
	good_quote_block(&b, "MSFT");
	struct feed_wire_iter it;
	struct feed_wire_msg m;
	assert_int_equal(open_bb(&it, &b), 0);
	assert_int_equal(feed_wire_next(&it, &m), 1);
	assert_string_equal(m.symbol, "AAPL");
	assert_int_equal(m.seq, 100);
	assert_int_equal(feed_wire_next(&it, &m), -EBADMSG);
	assert_int_equal(it.error, FEED_WIRE_E_UNKNOWN_TYPE);
	assert_int_equal(m.seq, 101);
	assert_int_equal(feed_wire_next(&it, &m), 1);
	assert_string_equal(m.symbol, "MSFT");
	assert_int_equal(m.seq, 102);
	assert_int_equal(feed_wire_next(&it, &m), 0);
	/* a lower-case 'q' or 'd' is not a known type either */
	header(&b, "S         ", 1, 1);
	put16(&b, 3);
	putn(&b, "q\0\1", 3);
	unsigned why;
	assert_int_equal(one_message(&b, &m, &why), -EBADMSG);
	assert_int_equal(why, FEED_WIRE_E_UNKNOWN_TYPE);
}

static void test_wire_refuses_bad_quote_symbols(void **state)
{
	(void)state;
	struct bb b;
	struct feed_wire_msg m;
	unsigned why;
	char sym[40];
	memset(sym, 'A', sizeof(sym));
	header(&b, "S         ", 1, 1);
	quote_block(&b, 0, sym, 0, 0); /* length 0 */
	assert_int_equal(one_message(&b, &m, &why), -EBADMSG);
	assert_int_equal(why, FEED_WIRE_E_BAD_SYMBOL);
	header(&b, "S         ", 1, 1);
	quote_block(&b, 32, sym, 32, 0); /* one too long */
	assert_int_equal(one_message(&b, &m, &why), -EBADMSG);
	assert_int_equal(why, FEED_WIRE_E_BAD_SYMBOL);
	header(&b, "S         ", 1, 1);
	quote_block(&b, 255, sym, 1, 0);
	assert_int_equal(one_message(&b, &m, &why), -EBADMSG);
	assert_int_equal(why, FEED_WIRE_E_BAD_SYMBOL);
	const char bad[] = {'\0', '\n', 0x1f, 0x7f, (char)0x80, (char)0xff};
	for (size_t i = 0; i < sizeof(bad); i++) {
		char s[4] = {'A', bad[i], 'B', 0};
		header(&b, "S         ", 1, 1);
		quote_block(&b, 3, s, 3, 0);
		assert_int_equal(one_message(&b, &m, &why), -EBADMSG);
		assert_int_equal(why, FEED_WIRE_E_BAD_SYMBOL);
	}
	header(&b, "S         ", 1, 1); /* 31 is the longest accepted */
	quote_block(&b, 31, sym, 31, 0);
	assert_int_equal(one_message(&b, &m, &why), 1);
	assert_int_equal(strlen(m.symbol), 31);
}

static void test_wire_refuses_a_quote_whose_length_disagrees_with_its_fields(void **state)
{
	(void)state;
	struct bb b;
	struct feed_wire_msg m;
	unsigned why;
	const int deltas[] = {-46, -1, 1, 8};
	for (size_t i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
		header(&b, "S         ", 1, 1);
		quote_block(&b, 4, "AAPL", 4, deltas[i]);
		assert_int_equal(one_message(&b, &m, &why), -EBADMSG);
		assert_int_equal(why, FEED_WIRE_E_BAD_LENGTH);
	}
	/* symbol length claims more bytes than the block has */
	header(&b, "S         ", 1, 1);
	quote_block(&b, 20, "AAPL", 4, 0);
	assert_int_equal(one_message(&b, &m, &why), -EBADMSG);
	assert_int_equal(why, FEED_WIRE_E_BAD_LENGTH);
	/* payloads too short to hold the symbol length at all */
	for (unsigned n = 1; n <= 2; n++) {
		header(&b, "S         ", 1, 1);
		put16(&b, n);
		putn(&b, "Q\0", n);
		assert_int_equal(one_message(&b, &m, &why), -EBADMSG);
		assert_int_equal(why, FEED_WIRE_E_BAD_LENGTH);
		header(&b, "S         ", 1, 1);
		put16(&b, n);
		putn(&b, "D\3", n);
		assert_int_equal(one_message(&b, &m, &why), -EBADMSG);
		assert_int_equal(why, FEED_WIRE_E_BAD_LENGTH);
	}
}

static void test_wire_refuses_a_definition_with_bad_lengths_or_symbols(void **state)
{
	(void)state;
	struct bb b;
	struct feed_wire_msg m;
	unsigned why;
	/* one byte more and one byte less than its fields */
	for (int d = -1; d <= 1; d += 2) {
		header(&b, "S         ", 1, 1);
		def_block(&b, 1, "AAPL", "AAPL", 0, 0, 0);
		b.b[21] = (uint8_t)(b.b[21] + d);
		if (d > 0)
			put8(&b, 0);
		else
			b.n--;
		assert_int_equal(one_message(&b, &m, &why), -EBADMSG);
		assert_int_equal(why, FEED_WIRE_E_BAD_LENGTH);
	}
	/* cut right after the symbol: no underlying length byte */
	header(&b, "S         ", 1, 1);
	put16(&b, 7);
	put8(&b, 'D');
	put8(&b, 1);
	put8(&b, 4);
	putn(&b, "AAPL", 4);
	assert_int_equal(one_message(&b, &m, &why), -EBADMSG);
	assert_int_equal(why, FEED_WIRE_E_BAD_LENGTH);
	/* underlying of 12 */
	header(&b, "S         ", 1, 1);
	def_block(&b, 3, "X", "ABCDEFGHIJKL", 20260417, 'C', 1);
	assert_int_equal(one_message(&b, &m, &why), -EBADMSG);
	assert_int_equal(why, FEED_WIRE_E_BAD_SYMBOL);
	/* symbol of 0 and non-printable underlying */
	header(&b, "S         ", 1, 1);
	def_block(&b, 1, "", "AAPL", 0, 0, 0);
	assert_int_equal(one_message(&b, &m, &why), -EBADMSG);
	assert_int_equal(why, FEED_WIRE_E_BAD_SYMBOL);
	header(&b, "S         ", 1, 1);
	def_block(&b, 1, "AAPL", "AA\x01L", 0, 0, 0);
	assert_int_equal(one_message(&b, &m, &why), -EBADMSG);
	assert_int_equal(why, FEED_WIRE_E_BAD_SYMBOL);
}

static void test_wire_refuses_a_definition_inconsistent_with_its_kind(void **state)
{
	(void)state;
	struct {
		unsigned kind;
		const char *und;
		uint32_t expiry;
		unsigned right;
		int64_t strike;
	} bad[] = {
		{0, "A", 0, 0, 0},
		{4, "A", 0, 0, 0},
		{255, "A", 0, 0, 0},
		{1, "A", 20260417, 0, 0}, /* stock with an expiry */
		{2, "A", 0, 'C', 0}, /* index with a right */
		{1, "A", 0, 0, 100}, /* stock with a strike */
		{3, "", 20260417, 'C', 100}, /* option without underlying */
		{3, "A", 0, 'C', 100},
		{3, "A", 20261301, 'C', 100},
		{3, "A", 20260400, 'C', 100},
		{3, "A", 20260432, 'C', 100},
		{3, "A", 18991231, 'C', 100},
		{3, "A", 20260417, 0, 100},
		{3, "A", 20260417, 'c', 100},
		{3, "A", 20260417, 'X', 100},
		{3, "A", 20260417, 'P', 0},
		{3, "A", 20260417, 'P', -100},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bb b;
		struct feed_wire_msg m;
		unsigned why;
		header(&b, "S         ", 1, 1);
		def_block(&b, bad[i].kind, "SYM", bad[i].und, bad[i].expiry, bad[i].right,
			  bad[i].strike);
		assert_int_equal(one_message(&b, &m, &why), -EBADMSG);
		assert_int_equal(why, FEED_WIRE_E_BAD_DEF);
	}
}

static void test_wire_error_names_are_distinct_labels(void **state)
{
	(void)state;
	for (unsigned i = 0; i < FEED_WIRE_E__COUNT; i++) {
		const char *n = feed_wire_error_name(i);
		assert_non_null(n);
		assert_string_not_equal(n, "unknown");
		for (const char *c = n; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || *c == '_');
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(n, feed_wire_error_name(j));
	}
	assert_string_equal(feed_wire_error_name(FEED_WIRE_E__COUNT), "unknown");
	assert_string_equal(feed_wire_error_name(~0u), "unknown");
}

/* xorshift: reproducible garbage */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_wire_survives_random_and_mutated_packets(void **state)
{
	(void)state;
	uint8_t p[512];
	int opened = 0;
	for (int round = 0; round < 200000; round++) {
		size_t len;
		if (round & 1) { /* the example with a few random bytes changed */
			len = sizeof(example);
			memcpy(p, example, len);
			for (int k = 0; k < 1 + (int)(rnd() % 4); k++)
				p[rnd() % len] = (uint8_t)rnd();
			if (rnd() % 8 == 0)
				len = rnd() % (len + 1);
		} else {
			len = rnd() % sizeof(p);
			for (size_t i = 0; i < len; i++)
				p[i] = (uint8_t)rnd();
			if (len >= 20 && rnd() % 2) /* make the header plausible */
				p[18] = 0, p[19] = (uint8_t)(rnd() % 4);
		}
		struct feed_wire_iter it;
		struct feed_wire_msg m;
		if (feed_wire_packet_open(&it, p, len) != 0) {
			assert_int_equal(feed_wire_next(&it, &m), 0);
			continue;
		}
		opened++;
		uint32_t seen = 0;
		int rc;
		while ((rc = feed_wire_next(&it, &m)) != 0) {
			assert_true(rc == 1 || rc == -EBADMSG);
			if (rc == 1)
				assert_true(strlen(m.symbol) >= 1 && strlen(m.symbol) <= 31);
			seen++;
			assert_true(seen <= it.count);
		}
		assert_int_equal(seen, it.count);
	}
	assert_true(opened > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_encoder_reproduces_the_documented_example_byte_for_byte),
		cmocka_unit_test(test_wire_decoder_reads_every_field_of_the_documented_example),
		cmocka_unit_test(test_wire_quote_round_trips_every_field_at_its_extremes),
		cmocka_unit_test(test_wire_definitions_round_trip_for_stock_index_and_option),
		cmocka_unit_test(
			test_wire_packet_fills_up_to_the_mtu_then_reports_enospc_unchanged),
		cmocka_unit_test(test_wire_encoder_refuses_what_the_decoder_would_refuse),
		cmocka_unit_test(test_wire_heartbeat_is_a_bare_header_announcing_the_next_sequence),
		cmocka_unit_test(test_wire_end_of_session_is_count_ffff_with_no_body),
		cmocka_unit_test(test_wire_refuses_control_packets_with_a_body),
		cmocka_unit_test(test_wire_refuses_every_truncated_header),
		cmocka_unit_test(test_wire_refuses_a_session_with_a_non_printable_byte),
		cmocka_unit_test(test_wire_refuses_sequence_zero_and_a_sequence_that_would_wrap),
		cmocka_unit_test(test_wire_refuses_a_count_too_large_for_the_bytes),
		cmocka_unit_test(test_wire_refuses_every_truncation_of_the_example),
		cmocka_unit_test(test_wire_refuses_a_block_length_overrunning_the_packet),
		cmocka_unit_test(test_wire_refuses_a_zero_length_block),
		cmocka_unit_test(test_wire_refuses_trailing_bytes_after_count_messages),
		cmocka_unit_test(test_wire_skips_an_unknown_type_and_goes_on_with_the_next_message),
		cmocka_unit_test(test_wire_refuses_bad_quote_symbols),
		cmocka_unit_test(test_wire_refuses_a_quote_whose_length_disagrees_with_its_fields),
		cmocka_unit_test(test_wire_refuses_a_definition_with_bad_lengths_or_symbols),
		cmocka_unit_test(test_wire_refuses_a_definition_inconsistent_with_its_kind),
		cmocka_unit_test(test_wire_error_names_are_distinct_labels),
		cmocka_unit_test(test_wire_survives_random_and_mutated_packets),
	};
	return cmocka_run_group_tests_name("feed_wire", tests, NULL, NULL);
}
