#include "feeders/feed_wire.h"

#include "shm/shm_instr.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

/* Decoded strings are copied straight into the instrument directory. */
_Static_assert(FEED_WIRE_SYMBOL_MAX + 1 == SHM_INSTR_SYMBOL_MAX, "symbol fits a directory key");
_Static_assert(FEED_WIRE_UNDERLYING_MAX + 1 == SHM_INSTR_UNDERLYING_MAX,
	       "underlying fits a directory entry");
_Static_assert((int)FEED_WIRE_STOCK == (int)SHM_INSTR_STOCK &&
		       (int)FEED_WIRE_INDEX == (int)SHM_INSTR_INDEX &&
		       (int)FEED_WIRE_OPTION == (int)SHM_INSTR_OPTION,
	       "wire kinds are directory kinds");
_Static_assert(FEED_WIRE_MAX_PACKET <= UINT16_MAX, "blocks of a full packet fit a u16 length");

/* Unaligned big-endian loads/stores: memcpy compiles to one MOV (+ BSWAP/MOVBE). */
static inline uint16_t ld16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}
static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}
static inline uint64_t ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}
static inline void st16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
}
static inline void st32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}
static inline void st64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

static inline int printable(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

static inline int bad_packet(struct feed_wire_iter *it, enum feed_wire_error e)
{
	it->error = (uint8_t)e;
	it->count = 0;
	it->off = it->len;
	return -EBADMSG;
}

int feed_wire_packet_open(struct feed_wire_iter *it, const uint8_t *buf, size_t len)
{
	it->buf = buf;
	it->len = len;
	it->off = FEED_WIRE_HDR_SIZE;
	it->index = 0;
	it->count = 0;
	it->seq = 0;
	it->pkt = FEED_WIRE_PKT_DATA;
	it->error = FEED_WIRE_OK;
	it->session[0] = '\0';
	if (len < FEED_WIRE_HDR_SIZE)
		return bad_packet(it, FEED_WIRE_E_SHORT_HEADER);
	if (!printable(buf, FEED_WIRE_SESSION_LEN))
		return bad_packet(it, FEED_WIRE_E_BAD_SESSION);
	memcpy(it->session, buf, FEED_WIRE_SESSION_LEN);
	it->session[FEED_WIRE_SESSION_LEN] = '\0';
	uint64_t seq = ld64(buf + 10);
	uint32_t count = ld16(buf + 18);
	it->seq = seq;
	if (count == 0 || count == FEED_WIRE_COUNT_END) {
		it->pkt = count == 0 ? FEED_WIRE_PKT_HEARTBEAT : FEED_WIRE_PKT_END;
		if (seq == 0)
			return bad_packet(it, FEED_WIRE_E_BAD_SEQUENCE);
		if (len != FEED_WIRE_HDR_SIZE)
			return bad_packet(it, FEED_WIRE_E_CONTROL_BODY);
		return 0;
	}
	/* The tracker computes seq + count: refuse what would wrap. */
	if (seq == 0 || seq > UINT64_MAX - count)
		return bad_packet(it, FEED_WIRE_E_BAD_SEQUENCE);
	/* Cheap bound first: a count no body could hold is a lie, not a truncation. A
	 * block shorter than its type's fields is still well framed: feed_wire_next
	 * reports it as bad_length and goes on. */
	size_t body = len - FEED_WIRE_HDR_SIZE;
	if (body / FEED_WIRE_BLOCK_MIN < count)
		return bad_packet(it, FEED_WIRE_E_COUNT_TOO_LARGE);
	/* Walk the framing once so that an accepted packet has exactly `count` messages
	 * and feed_wire_next never has to bounds-check a block again. */
	size_t off = FEED_WIRE_HDR_SIZE;
	for (uint32_t i = 0; i < count; i++) {
		if (len - off < 2)
			return bad_packet(it, FEED_WIRE_E_BLOCK_OVERRUN);
		size_t blen = ld16(buf + off);
		if (blen == 0)
			return bad_packet(it, FEED_WIRE_E_EMPTY_BLOCK);
		if (len - off - 2 < blen)
			return bad_packet(it, FEED_WIRE_E_BLOCK_OVERRUN);
		off += 2 + blen;
	}
	if (off != len)
		return bad_packet(it, FEED_WIRE_E_TRAILING);
	it->count = count;
	return 0;
}

static inline void copy_str(char *dst, const uint8_t *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int decode_quote(const uint8_t *p, size_t n, struct feed_wire_msg *out)
{
	if (n < 3)
		return FEED_WIRE_E_BAD_LENGTH;
	size_t sl = p[2];
	if (sl == 0 || sl > FEED_WIRE_SYMBOL_MAX)
		return FEED_WIRE_E_BAD_SYMBOL;
	if (n != FEED_WIRE_QUOTE_FIXED + sl)
		return FEED_WIRE_E_BAD_LENGTH;
	if (!printable(p + 3, sl))
		return FEED_WIRE_E_BAD_SYMBOL;
	copy_str(out->symbol, p + 3, sl);
	const uint8_t *f = p + 3 + sl;
	struct feed_wire_quote *q = &out->quote;
	q->flags = p[1];
	q->bid = (int64_t)ld64(f);
	q->ask = (int64_t)ld64(f + 8);
	q->last = (int64_t)ld64(f + 16);
	q->bid_size = ld32(f + 24);
	q->ask_size = ld32(f + 28);
	q->last_size = ld32(f + 32);
	q->venue = ld16(f + 36);
	q->exch_ts_ns = ld64(f + 38);
	return FEED_WIRE_OK;
}

static int expiry_ok(uint32_t e)
{
	uint32_t y = e / 10000, m = e / 100 % 100, d = e % 100;
	return y >= 1900 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* What makes a definition usable by the directory; shared by decoder and encoder. */
static int def_fields_ok(const struct feed_wire_def *d)
{
	switch (d->kind) {
	case FEED_WIRE_STOCK:
	case FEED_WIRE_INDEX:
		return d->expiry == 0 && d->right == 0 && d->strike == 0;
	case FEED_WIRE_OPTION:
		return d->underlying[0] != '\0' && expiry_ok(d->expiry) &&
		       (d->right == 'P' || d->right == 'C') && d->strike > 0;
	default:
		return 0;
	}
}

static int decode_def(const uint8_t *p, size_t n, struct feed_wire_msg *out)
{
	if (n < 3)
		return FEED_WIRE_E_BAD_LENGTH;
	size_t sl = p[2];
	if (sl == 0 || sl > FEED_WIRE_SYMBOL_MAX)
		return FEED_WIRE_E_BAD_SYMBOL;
	if (n < 4 + sl)
		return FEED_WIRE_E_BAD_LENGTH;
	size_t ul = p[3 + sl];
	if (ul > FEED_WIRE_UNDERLYING_MAX)
		return FEED_WIRE_E_BAD_SYMBOL;
	if (n != FEED_WIRE_DEF_FIXED + sl + ul)
		return FEED_WIRE_E_BAD_LENGTH;
	if (!printable(p + 3, sl) || !printable(p + 4 + sl, ul))
		return FEED_WIRE_E_BAD_SYMBOL;
	struct feed_wire_def *d = &out->def;
	const uint8_t *f = p + 4 + sl + ul;
	copy_str(out->symbol, p + 3, sl);
	copy_str(d->underlying, p + 4 + sl, ul);
	d->kind = p[1];
	d->expiry = ld32(f);
	d->right = f[4];
	d->strike = (int64_t)ld64(f + 5);
	if (!def_fields_ok(d))
		return FEED_WIRE_E_BAD_DEF;
	return FEED_WIRE_OK;
}

int feed_wire_next(struct feed_wire_iter *it, struct feed_wire_msg *out)
{
	if (it->index >= it->count)
		return 0;
	/* Framing was proven by feed_wire_packet_open: the block is inside the buffer. */
	const uint8_t *b = it->buf + it->off;
	size_t n = ld16(b);
	const uint8_t *p = b + 2;
	out->seq = it->seq + it->index;
	out->type = p[0];
	it->off += 2 + n;
	it->index++;
	int e;
	switch (p[0]) {
	case FEED_WIRE_MSG_QUOTE:
		e = decode_quote(p, n, out);
		break;
	case FEED_WIRE_MSG_DEF:
		e = decode_def(p, n, out);
		break;
	default:
		e = FEED_WIRE_E_UNKNOWN_TYPE;
		break;
	}
	if (e != FEED_WIRE_OK) {
		it->error = (uint8_t)e;
		return -EBADMSG;
	}
	return 1;
}

static const char *const error_names[FEED_WIRE_E__COUNT] = {
	[FEED_WIRE_OK] = "ok",
	[FEED_WIRE_E_SHORT_HEADER] = "short_header",
	[FEED_WIRE_E_BAD_SESSION] = "bad_session",
	[FEED_WIRE_E_BAD_SEQUENCE] = "bad_sequence",
	[FEED_WIRE_E_CONTROL_BODY] = "control_with_body",
	[FEED_WIRE_E_COUNT_TOO_LARGE] = "count_too_large",
	[FEED_WIRE_E_BLOCK_OVERRUN] = "block_overrun",
	[FEED_WIRE_E_EMPTY_BLOCK] = "empty_block",
	[FEED_WIRE_E_TRAILING] = "trailing_bytes",
	[FEED_WIRE_E_UNKNOWN_TYPE] = "unknown_type",
	[FEED_WIRE_E_BAD_SYMBOL] = "bad_symbol",
	[FEED_WIRE_E_BAD_LENGTH] = "bad_length",
	[FEED_WIRE_E_BAD_DEF] = "bad_definition",
};

const char *feed_wire_error_name(unsigned int e)
{
	if (e >= FEED_WIRE_E__COUNT || !error_names[e])
		return "unknown";
	return error_names[e];
}

/* ---- encoder ---- */

int feed_wire_enc_init(struct feed_wire_enc *enc, uint8_t *buf, size_t cap, const char *session,
		       uint64_t first_seq)
{
	size_t sl = session ? strnlen(session, FEED_WIRE_SESSION_LEN + 1) : 0;
	memset(enc, 0, sizeof(*enc));
	if (sl == 0 || sl > FEED_WIRE_SESSION_LEN || !printable((const uint8_t *)session, sl) ||
	    first_seq == 0)
		return -EINVAL;
	if (cap < FEED_WIRE_HDR_SIZE)
		return -ENOSPC;
	enc->buf = buf;
	enc->cap = cap < FEED_WIRE_MAX_PACKET ? cap : FEED_WIRE_MAX_PACKET;
	enc->len = FEED_WIRE_HDR_SIZE;
	enc->first_seq = first_seq;
	memset(buf, ' ', FEED_WIRE_SESSION_LEN);
	memcpy(buf, session, sl);
	st64(buf + 10, first_seq);
	st16(buf + 18, 0);
	return 0;
}

/* A symbol the decoder accepts: 1..max printable bytes. Returns its length or 0. */
static size_t str_len_ok(const char *s, size_t max, int allow_empty)
{
	size_t n = strnlen(s, max + 1);
	if (n > max || (n == 0 && !allow_empty) || !printable((const uint8_t *)s, n))
		return SIZE_MAX;
	return n;
}

static uint8_t *enc_reserve(struct feed_wire_enc *enc, size_t payload)
{
	if (enc->count >= FEED_WIRE_COUNT_MAX || enc->cap - enc->len < 2 + payload)
		return NULL;
	uint8_t *b = enc->buf + enc->len;
	st16(b, (uint16_t)payload);
	enc->len += 2 + payload;
	enc->count++;
	return b + 2;
}

int feed_wire_enc_quote(struct feed_wire_enc *enc, const struct feed_wire_msg *m)
{
	size_t sl = str_len_ok(m->symbol, FEED_WIRE_SYMBOL_MAX, 0);
	if (sl == SIZE_MAX)
		return -EINVAL;
	uint8_t *p = enc_reserve(enc, FEED_WIRE_QUOTE_FIXED + sl);
	if (!p)
		return -ENOSPC;
	const struct feed_wire_quote *q = &m->quote;
	p[0] = FEED_WIRE_MSG_QUOTE;
	p[1] = q->flags;
	p[2] = (uint8_t)sl;
	memcpy(p + 3, m->symbol, sl);
	uint8_t *f = p + 3 + sl;
	st64(f, (uint64_t)q->bid);
	st64(f + 8, (uint64_t)q->ask);
	st64(f + 16, (uint64_t)q->last);
	st32(f + 24, q->bid_size);
	st32(f + 28, q->ask_size);
	st32(f + 32, q->last_size);
	st16(f + 36, q->venue);
	st64(f + 38, q->exch_ts_ns);
	return 0;
}

int feed_wire_enc_def(struct feed_wire_enc *enc, const struct feed_wire_msg *m)
{
	const struct feed_wire_def *d = &m->def;
	size_t sl = str_len_ok(m->symbol, FEED_WIRE_SYMBOL_MAX, 0);
	size_t ul = str_len_ok(d->underlying, FEED_WIRE_UNDERLYING_MAX, 1);
	if (sl == SIZE_MAX || ul == SIZE_MAX || !def_fields_ok(d))
		return -EINVAL;
	uint8_t *p = enc_reserve(enc, FEED_WIRE_DEF_FIXED + sl + ul);
	if (!p)
		return -ENOSPC;
	p[0] = FEED_WIRE_MSG_DEF;
	p[1] = d->kind;
	p[2] = (uint8_t)sl;
	memcpy(p + 3, m->symbol, sl);
	p[3 + sl] = (uint8_t)ul;
	memcpy(p + 4 + sl, d->underlying, ul);
	uint8_t *f = p + 4 + sl + ul;
	st32(f, d->expiry);
	f[4] = d->right;
	st64(f + 5, (uint64_t)d->strike);
	return 0;
}

int feed_wire_enc_finish(struct feed_wire_enc *enc)
{
	st16(enc->buf + 18, (uint16_t)enc->count);
	return (int)enc->len;
}

int feed_wire_enc_end_session(struct feed_wire_enc *enc)
{
	if (enc->count != 0)
		return -EINVAL;
	st16(enc->buf + 18, FEED_WIRE_COUNT_END);
	return (int)enc->len;
}
