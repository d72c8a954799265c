/*
 * audit_rec.h — the journal's on-disk format: segment file header, record header,
 * decoding and the whole-file scan used by start-up repair, verify and the fuzzer.
 * docs/audit-format.md is the byte-by-byte reference; the asserts below pin it.
 *
 * A journal is a directory of segment files j-<first_jseq, 20 digits>.aj, each a
 * 128-byte header followed by records back to back (append-only, never rewritten):
 *
 *   file header (128 bytes)
 *    0 magic u64 "ALJRNL\0\1"   8 version u32 (1)   12 hdr_size u32 (128)
 *   16 first_jseq u64 (jseq of the file's first record)
 *   24 created_wall_ns u64      32 instance char[32] (NUL-terminated)
 *   64 prev_hash u8[32] (hash of record first_jseq - 1; zeros before record 1)
 *   96 reserved u8[28] (zero)   124 crc u32 = CRC32C of bytes 0..123
 *
 *   record (len bytes, a multiple of 8, 96..AUDIT_REC_MAX)
 *    0 len u32       4 crc u32 = CRC32C of bytes 8..len-1
 *    8 jseq u64      journal sequence: 1, 2, 3 ... no gap, no repeat   [chained]
 *   16 src_seq u64   the source's own sequence                         [chained]
 *   24 event_ns u64  event time, shared clock (ns since the epoch)     [chained]
 *   32 recv_ns u64   audit process CLOCK_MONOTONIC when it took it     [latency]
 *   40 emit_ns u64   producer CLOCK_MONOTONIC at emit                  [latency]
 *   48 src_pos u64   source ring position just after the record        [transport]
 *   56 source u16                                                      [chained]
 *   58 kind u16                                                        [chained]
 *   60 plen u16      payload bytes                                     [chained]
 *   62 nlat u8       latency stamps (0..4)                             [latency]
 *   63 version u8    1
 *   64 hash u8[32]   SHA-256 chain hash (below)
 *   96 lat[nlat] u64 (monotonic ns)                                    [latency]
 *   96 + 8*nlat  payload[plen], then zero bytes up to len              [chained]
 *
 * Chain: hash(n) = SHA-256( hash(n-1) || jseq u64 || src_seq u64 || event_ns u64 ||
 *   source u16 || kind u16 || plen u16 || payload ), all little-endian, the 30-byte
 *   block built by audit_rec_chain_block(); hash(0) = 32 zero bytes. Latency and
 *   transport fields are outside the chain: two replays of the same input chain the
 *   same decisions whatever their timings.
 */
#ifndef AUDIT_REC_H
#define AUDIT_REC_H

#include "rt/rt_err.h"
#include "shm/shm_audit.h"

#include <stddef.h>
#include <stdint.h>

#define AUDIT_FILE_MAGIC 0x01004c4e524a4c41ull /* bytes "ALJRNL\0\1" */
#define AUDIT_FORMAT_VERSION 1u
#define AUDIT_FILE_HDR_SIZE 128u
#define AUDIT_REC_HDR_SIZE 96u
#define AUDIT_REC_MAX 1024u
#define AUDIT_HASH_SIZE 32u
#define AUDIT_CHAIN_BLOCK 30u
#define AUDIT_INSTANCE_MAX 32u
#define AUDIT_FILE_NAME_MAX 32u /* "j-" + 20 digits + ".aj" + NUL */

struct audit_file_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size;
	uint64_t first_jseq;
	uint64_t created_wall_ns;
	char instance[AUDIT_INSTANCE_MAX];
	uint8_t prev_hash[AUDIT_HASH_SIZE];
	uint8_t reserved[28];
	uint32_t crc;
};
_Static_assert(sizeof(struct audit_file_hdr) == AUDIT_FILE_HDR_SIZE, "file header is 128 bytes");
_Static_assert(offsetof(struct audit_file_hdr, first_jseq) == 16, "first_jseq at 16");
_Static_assert(offsetof(struct audit_file_hdr, instance) == 32, "instance at 32");
_Static_assert(offsetof(struct audit_file_hdr, prev_hash) == 64, "prev_hash at 64");
_Static_assert(offsetof(struct audit_file_hdr, crc) == 124, "crc at 124");

struct audit_rec_hdr {
	uint32_t len;
	uint32_t crc;
	uint64_t jseq;
	uint64_t src_seq;
	uint64_t event_ns;
	uint64_t recv_ns;
	uint64_t emit_ns;
	uint64_t src_pos;
	uint16_t source;
	uint16_t kind;
	uint16_t plen;
	uint8_t nlat;
	uint8_t version;
	uint8_t hash[AUDIT_HASH_SIZE];
};
_Static_assert(sizeof(struct audit_rec_hdr) == AUDIT_REC_HDR_SIZE, "record header is 96 bytes");
_Static_assert(offsetof(struct audit_rec_hdr, jseq) == 8, "jseq at 8");
_Static_assert(offsetof(struct audit_rec_hdr, recv_ns) == 32, "recv_ns at 32");
_Static_assert(offsetof(struct audit_rec_hdr, src_pos) == 48, "src_pos at 48");
_Static_assert(offsetof(struct audit_rec_hdr, source) == 56, "source at 56");
_Static_assert(offsetof(struct audit_rec_hdr, nlat) == 62, "nlat at 62");
_Static_assert(offsetof(struct audit_rec_hdr, version) == 63, "version at 63");
_Static_assert(offsetof(struct audit_rec_hdr, hash) == 64, "hash at 64");
_Static_assert(AUDIT_REC_HDR_SIZE + 8 * SHM_AUDIT_LAT_MAX + SHM_AUDIT_PAYLOAD_MAX + 7 <=
		       AUDIT_REC_MAX,
	       "the largest ring record fits a journal record");

/* A decoded record: the header copied out, lat and payload pointing into the
 * buffer that was decoded (valid while it is). */
struct audit_rec_view {
	struct audit_rec_hdr h;
	uint64_t lat[SHM_AUDIT_LAT_MAX];
	const uint8_t *payload;
};

/* Bytes of a record with nlat stamps and plen payload bytes (multiple of 8). */
static inline uint32_t audit_rec_size(uint32_t nlat, uint32_t plen)
{
	return (AUDIT_REC_HDR_SIZE + nlat * 8u + plen + 7u) & ~7u;
}

/* The 30-byte chain block of a record header (see the chain above). */
void audit_rec_chain_block(const struct audit_rec_hdr *h, uint8_t out[AUDIT_CHAIN_BLOCK]);

/* Decode the record at buf (avail bytes readable). 0: v filled. -EAGAIN: buf holds
 * only the start of a plausible record (len > avail, or fewer than 8 bytes).
 * -EBADMSG: not a valid record (length, CRC, version, kind, sizes) with the reason
 * in err (err may be NULL). Never reads past avail; the hash is not checked. */
int audit_rec_decode(const uint8_t *buf, size_t avail, struct audit_rec_view *v,
		     struct rt_err *err);

/* Seal a record whose header fields (all but len, crc, version) and body are in
 * place at rec: sets len, version, zero padding, and the CRC. */
void audit_rec_seal(uint8_t *rec, uint32_t len);

/* File header: build (crc included) and check. check: 0, -EAGAIN (fewer than 128
 * bytes), -EBADMSG (magic, version, size, CRC, instance not terminated). */
void audit_file_hdr_build(struct audit_file_hdr *f, uint64_t first_jseq, uint64_t created_wall_ns,
			  const char *instance, const uint8_t prev_hash[AUDIT_HASH_SIZE]);
int audit_file_hdr_check(const uint8_t *buf, size_t avail, struct audit_file_hdr *out,
			 struct rt_err *err);

/* File name of a segment starting at jseq ("j-00000000000000000001.aj"); parse:
 * the first jseq, or 0 if name is not a segment file name. */
void audit_file_name(uint64_t first_jseq, char out[AUDIT_FILE_NAME_MAX]);
uint64_t audit_file_name_parse(const char *name);

/* What a whole-file scan found. */
enum audit_scan_tail {
	AUDIT_SCAN_CLEAN = 0, /* valid records up to the end of the file */
	AUDIT_SCAN_TORN = 1, /* trailing bytes that hold no valid record: a torn write */
	AUDIT_SCAN_CORRUPT = 2, /* an invalid record with valid ones after it */
};
struct audit_scan {
	struct audit_file_hdr fh;
	uint64_t records; /* valid records */
	uint64_t last_jseq; /* jseq of the last valid record (first_jseq - 1 if none) */
	uint8_t last_hash[AUDIT_HASH_SIZE]; /* its stored hash (prev_hash if none) */
	uint64_t end_off; /* offset just after the last valid record: where to append */
	int tail; /* enum audit_scan_tail */
	/* first problem (tail != CLEAN): */
	uint64_t bad_off; /* offset of the first invalid byte */
	uint64_t bad_jseq; /* the sequence expected there */
	uint64_t bad_bytes; /* TORN: bytes from bad_off to the end of the file */
	char why[160]; /* what was wrong with it */
};

/* Walk a segment file image of len bytes. Records are checked for CRC and for
 * jseq continuity (not hashes). An invalid stretch is CORRUPT if a valid record
 * with a later jseq follows it (the walk resumes there), else TORN. Returns 0 with s
 * filled, or -EBADMSG/-EAGAIN when the file header itself is invalid/short (err
 * says why). Reads only img[0..len); never allocates. */
int audit_scan_image(const uint8_t *img, size_t len, struct audit_scan *s, struct rt_err *err);

#endif
