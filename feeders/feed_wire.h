/*
 * feed_wire.h — the UDP quote protocol: byte layout, an allocation-free decoder and
 * the reference encoder. docs/feed-wire.md is the specification; this header is its
 * executable form.
 *
 * Every integer is big-endian (network order). Prices are signed 64-bit integers in
 * units of 10^-8 (price × 10^8, as in shm/shm_price.h); INT64_MIN means "absent".
 *
 * Packet (MoldUDP64 style):
 *    0 session  char[10]  ASCII 0x20..0x7E, right-padded with spaces
 *   10 sequence u64       sequence number of the first message (>= 1); heartbeat and
 *                         end of session: the next sequence number the sender will use
 *   18 count    u16       messages that follow; 0 = heartbeat, 0xFFFF = end of session
 *   20 message blocks, `count` of them, back to back, nothing after the last:
 *        0 length u16     payload bytes that follow (>= 1)
 *        2 payload        first byte is the message type
 * Message i of a packet (0-based) has sequence number `sequence + i`.
 *
 * 'Q' quote, payload 49 + n bytes (n = symbol length, 1..31):
 *    0 type u8 'Q'   1 flags u8 (reserved, sender sends 0, carried through)
 *    2 symbol_len u8 = n   3 symbol char[n] (printable ASCII, directory key)
 *  3+n bid i64   11+n ask i64   19+n last i64       (price × 10^8, INT64_MIN absent)
 * 27+n bid_size u32   31+n ask_size u32   35+n last_size u32   (contracts / shares)
 * 39+n venue u16   41+n exch_ts_ns u64 (ns since the Unix epoch)
 *
 * 'D' instrument definition, payload 17 + n + u bytes:
 *    0 type u8 'D'   1 kind u8 (1 stock/ETF, 2 index, 3 option)
 *    2 symbol_len u8 = n (1..31)   3 symbol char[n]
 *  3+n underlying_len u8 = u (0..11; >= 1 for an option)   4+n underlying char[u]
 * 4+n+u expiry u32 (YYYYMMDD, options; 0 otherwise)
 * 8+n+u right u8 ('P' or 'C' for options; 0 otherwise)
 * 9+n+u strike i64 (price × 10^8, > 0 for options; 0 otherwise)
 *
 * Decoding is two-level. feed_wire_packet_open() validates the header and the whole
 * framing (every block length inside the packet, no trailing bytes), so a packet it
 * accepts has exactly `count` messages and may be handed to the sequence tracker.
 * feed_wire_next() then decodes one payload at a time; a bad payload is reported
 * (-EBADMSG with a reason) and skipped, and iteration goes on with the next block.
 * No allocation, syscall, logging or global state: safe on the hot path and in any
 * number of threads with their own iterators.
 */
#ifndef FEED_WIRE_H
#define FEED_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define FEED_WIRE_SESSION_LEN 10u
#define FEED_WIRE_HDR_SIZE 20u
#define FEED_WIRE_MAX_PACKET 1400u /* encoder limit: fits a 1500-byte MTU with IP/UDP */
#define FEED_WIRE_COUNT_END 0xFFFFu /* count of an end-of-session packet */
#define FEED_WIRE_COUNT_MAX 0xFFFEu /* most messages in one data packet */
#define FEED_WIRE_SYMBOL_MAX 31u /* symbol bytes; decoded copies are NUL-terminated */
#define FEED_WIRE_UNDERLYING_MAX 11u
#define FEED_WIRE_QUOTE_FIXED 49u /* 'Q' payload = 49 + symbol length */
#define FEED_WIRE_DEF_FIXED 17u /* 'D' payload = 17 + symbol length + underlying length */
#define FEED_WIRE_BLOCK_MIN 3u /* smallest well-framed block: length + a type byte */
#define FEED_WIRE_PRICE_ABSENT INT64_MIN

enum feed_wire_type { FEED_WIRE_MSG_QUOTE = 'Q', FEED_WIRE_MSG_DEF = 'D' };

/* Instrument kinds of a 'D' message (same numbers as shm_instr_kind). */
enum feed_wire_kind { FEED_WIRE_STOCK = 1, FEED_WIRE_INDEX = 2, FEED_WIRE_OPTION = 3 };

enum feed_wire_pkt {
	FEED_WIRE_PKT_DATA = 0, /* count 1..0xFFFE */
	FEED_WIRE_PKT_HEARTBEAT = 1, /* count 0: sequence = next sequence number */
	FEED_WIRE_PKT_END = 2, /* count 0xFFFF: sequence = one past the last message */
};

/* Why a packet or a message was refused. Packet-level reasons come from
 * feed_wire_packet_open (the whole packet is dropped); message-level ones from
 * feed_wire_next (that one message is dropped). Names are counter-label suffixes. */
enum feed_wire_error {
	FEED_WIRE_OK = 0,
	/* packet level */
	FEED_WIRE_E_SHORT_HEADER, /* fewer than 20 bytes */
	FEED_WIRE_E_BAD_SESSION, /* a session byte outside 0x20..0x7E */
	FEED_WIRE_E_BAD_SEQUENCE, /* sequence 0, or sequence + count overflows u64 */
	FEED_WIRE_E_CONTROL_BODY, /* heartbeat / end of session followed by bytes */
	FEED_WIRE_E_COUNT_TOO_LARGE, /* fewer than 3 × count bytes after the header */
	FEED_WIRE_E_BLOCK_OVERRUN, /* a length field or payload runs past the packet end */
	FEED_WIRE_E_EMPTY_BLOCK, /* a block of length 0 */
	FEED_WIRE_E_TRAILING, /* bytes after the last of `count` blocks */
	/* message level */
	FEED_WIRE_E_UNKNOWN_TYPE, /* payload type not 'Q' or 'D' */
	FEED_WIRE_E_BAD_SYMBOL, /* symbol length 0 or > 31, underlying > 11, non-printable */
	FEED_WIRE_E_BAD_LENGTH, /* block length disagrees with the type's fields */
	FEED_WIRE_E_BAD_DEF, /* definition fields inconsistent with its kind */
	FEED_WIRE_E__COUNT
};

struct feed_wire_quote {
	int64_t bid; /* price × 10^8, FEED_WIRE_PRICE_ABSENT = absent */
	int64_t ask;
	int64_t last;
	uint32_t bid_size;
	uint32_t ask_size;
	uint32_t last_size;
	uint16_t venue;
	uint8_t flags;
	uint64_t exch_ts_ns; /* ns since the Unix epoch */
};

struct feed_wire_def {
	char underlying[FEED_WIRE_UNDERLYING_MAX + 1]; /* NUL-terminated, "" = none */
	uint32_t expiry; /* YYYYMMDD, 0 for non-options */
	int64_t strike; /* price × 10^8, 0 for non-options */
	uint8_t kind; /* enum feed_wire_kind */
	uint8_t right; /* 'P', 'C', or 0 */
};

/* One decoded message (process-local, never in shared memory). */
struct feed_wire_msg {
	uint64_t seq; /* its sequence number (decoder output; the encoder ignores it) */
	uint8_t type; /* enum feed_wire_type: which union member is valid */
	char symbol[FEED_WIRE_SYMBOL_MAX + 1]; /* NUL-terminated copy */
	union {
		struct feed_wire_quote quote;
		struct feed_wire_def def;
	};
};

/* Decoder state over one received buffer; the buffer must outlive the iteration.
 * Filled by feed_wire_packet_open; read the header fields directly. */
struct feed_wire_iter {
	const uint8_t *buf;
	size_t len;
	size_t off; /* next block */
	char session[FEED_WIRE_SESSION_LEN + 1]; /* raw 10 bytes (padding kept) + NUL */
	uint64_t seq; /* sequence number of message 0 */
	uint32_t count; /* messages in the packet (0 unless DATA) */
	uint32_t index; /* blocks consumed so far */
	uint8_t pkt; /* enum feed_wire_pkt */
	uint8_t error; /* enum feed_wire_error of the last -EBADMSG */
};

/* Reference encoder state (tests, the synthetic sender, tools). */
struct feed_wire_enc {
	uint8_t *buf;
	size_t cap; /* min(buffer size, FEED_WIRE_MAX_PACKET) */
	size_t len;
	uint64_t first_seq;
	uint32_t count;
};

/* Validate the header and the framing of the packet buf[0..len) and prepare `it`.
 * 0: it->session/seq/count/pkt are set; iterate DATA packets with feed_wire_next
 * (HEARTBEAT and END have nothing to iterate). -EBADMSG: it->error says why; the
 * whole packet is to be dropped and counted. Never reads outside buf[0..len). */
int feed_wire_packet_open(struct feed_wire_iter *it, const uint8_t *buf, size_t len);

/* Decode the next message of an opened packet into *out.
 * 1: *out holds message `it->index - 1`, out->seq = it->seq + that index.
 * 0: no more messages (also for HEARTBEAT / END packets, and forever after).
 * -EBADMSG: this message is malformed (it->error says why), nothing usable in *out;
 *           it is skipped, the next call continues with the following message. */
int feed_wire_next(struct feed_wire_iter *it, struct feed_wire_msg *out);

/* "short_header", "bad_symbol", ...: stable, lower snake case, for counter labels
 * ("wire.bad_symbol"). "unknown" for a value out of range. */
const char *feed_wire_error_name(unsigned int e);

/* Start a packet in buf[0..cap). session: 1..10 printable ASCII bytes (space padded
 * on the wire); first_seq >= 1. -EINVAL on a bad session or sequence, -ENOSPC when
 * cap < 20. Packets never exceed min(cap, FEED_WIRE_MAX_PACKET) bytes. */
int feed_wire_enc_init(struct feed_wire_enc *enc, uint8_t *buf, size_t cap, const char *session,
		       uint64_t first_seq);

/* Append a 'Q' (m->symbol, m->quote) / a 'D' (m->symbol, m->def); m->seq and m->type
 * are ignored. 0; -ENOSPC when it does not fit the packet or it already holds
 * FEED_WIRE_COUNT_MAX messages (the packet is unchanged: finish it and start the next
 * with first_seq + count); -EINVAL for what the decoder would refuse (bad symbol or
 * underlying, definition fields inconsistent with the kind). Prices are not judged. */
int feed_wire_enc_quote(struct feed_wire_enc *enc, const struct feed_wire_msg *m);
int feed_wire_enc_def(struct feed_wire_enc *enc, const struct feed_wire_msg *m);

/* Write the count and return the packet length (>= 20). With no message appended
 * this is a heartbeat announcing first_seq as the next sequence number. The encoder
 * may be finished again after more appends. */
int feed_wire_enc_finish(struct feed_wire_enc *enc);

/* Turn an empty packet into an end-of-session packet (count 0xFFFF, sequence =
 * first_seq = one past the last message) and return its length, 20.
 * -EINVAL if messages were appended. */
int feed_wire_enc_end_session(struct feed_wire_enc *enc);

#endif
