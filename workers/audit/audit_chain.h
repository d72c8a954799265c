/*
 * audit_chain.h — the SHA-256 hash chain of the journal and the decision digest.
 *
 * Chain (docs/audit-format.md): hash(n) = SHA-256(hash(n-1) || chain block(n) ||
 * payload(n)), hash(0) = 32 zero bytes. The chain covers each record's decision
 * content and position (jseq, source, src_seq, event time, kind, payload), never
 * its latency stamps, receive time or ring position.
 *
 * Digest (`alluse-audit digest`): a fingerprint of the decisions alone, equal for
 * two replays of the same input whatever their timings and however the journal
 * interleaved the sources. Per source s (records of the audit process itself
 * excluded): D(s) = SHA-256 over its records in journal order of
 *   kind u16 || event_ns u64 || plen u16 || payload;
 * digest = SHA-256("alluse-digest-1" || for each source in increasing id:
 *   source u16 || count u64 || D(s)).
 *
 * SHA-256 is OpenSSL's (libcrypto; SHA-NI when the CPU has it). Not thread-safe per
 * struct; no allocation except audit_digest_init's table.
 */
#ifndef AUDIT_CHAIN_H
#define AUDIT_CHAIN_H

#include "workers/audit/audit_rec.h"

#include <stdint.h>

/* out = hash of a record with header h (jseq, src_seq, event_ns, source, kind, plen
 * set) and its payload, chained on prev. out may alias prev. */
void audit_chain_hash(const uint8_t prev[AUDIT_HASH_SIZE], const struct audit_rec_hdr *h,
		      const uint8_t *payload, uint8_t out[AUDIT_HASH_SIZE]);

/* Lowercase hex of a hash into out (65 bytes). */
const char *audit_hash_hex(const uint8_t h[AUDIT_HASH_SIZE], char out[2 * AUDIT_HASH_SIZE + 1]);

struct audit_digest; /* opaque */

/* 0, -ENOMEM. */
int audit_digest_open(struct audit_digest **d);
/* Fold one record in (records of SHM_AUDIT_SRC_AUDIT are ignored). */
void audit_digest_add(struct audit_digest *d, const struct audit_rec_view *v);
/* Finish: the digest and how many records and sources it covers. */
void audit_digest_final(struct audit_digest *d, uint8_t out[AUDIT_HASH_SIZE], uint64_t *records,
			uint32_t *sources);
void audit_digest_close(struct audit_digest *d);

#endif
