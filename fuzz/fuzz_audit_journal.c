/* libFuzzer target: the journal readers must never crash on garbage, whatever a
 * damaged disk or a hostile file holds.
 *   - audit_scan_image(): the whole-file walk that start-up repair and verify use,
 *     on the input as a segment file (records checked for CRC and continuity, the
 *     resync search after a bad stretch);
 *   - audit_rec_decode() at every 8-byte offset;
 *   - the audit-ring consumer (shm_audit_consumer_next) on the input as ring slots.
 * Invariants checked: the scan never points past the file, a clean scan covers the
 * file exactly, the records it counted decode again back to back, and the ring
 * consumer always moves forward and never past the published write position.
 *
 * scripts/fuzz.sh compiles the library without workers/audit/ (it would need libpq
 * and libcrypto), so the two sources the decoder needs are compiled in here; neither
 * touches SHA-256 or PostgreSQL. */
#include "shm/shm_audit.h"
#include "workers/audit/audit_rec.h"

#include "workers/audit/audit_crc32c.c"
#include "workers/audit/audit_rec.c"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_scan(const uint8_t *data, size_t size)
{
	struct audit_scan s;
	struct rt_err err = {0};
	int rc = audit_scan_image(data, size, &s, &err);
	if (rc) {
		if (rc != -EBADMSG && rc != -EAGAIN)
			abort();
		if (!err.msg[0])
			abort(); /* every refusal says why */
		return;
	}
	if (s.end_off > size || s.end_off < AUDIT_FILE_HDR_SIZE)
		abort();
	if (s.tail == AUDIT_SCAN_CLEAN && s.end_off != size)
		abort();
	if (s.tail != AUDIT_SCAN_CLEAN && (s.bad_off < AUDIT_FILE_HDR_SIZE || s.bad_off >= size))
		abort();
	if (s.tail == AUDIT_SCAN_TORN && s.bad_off + s.bad_bytes != size)
		abort();
	if (s.tail == AUDIT_SCAN_CLEAN) {
		/* a clean file is records back to back with consecutive sequences */
		uint64_t off = AUDIT_FILE_HDR_SIZE, n = 0, expect = s.fh.first_jseq;
		while (off < size) {
			struct audit_rec_view v;
			if (audit_rec_decode(data + off, size - off, &v, NULL) != 0 ||
			    v.h.jseq != expect)
				abort();
			off += v.h.len;
			expect++;
			n++;
		}
		if (n != s.records || (n && s.last_jseq != expect - 1))
			abort();
	}
}

static void fuzz_decode(const uint8_t *data, size_t size)
{
	for (size_t o = 0; o + 8 <= size && o < 4096; o += 8) {
		struct audit_rec_view v;
		struct rt_err err = {0};
		int rc = audit_rec_decode(data + o, size - o, &v, &err);
		if (rc == 0) {
			if (v.h.len > size - o || v.payload + v.h.plen > data + size ||
			    v.h.nlat > SHM_AUDIT_LAT_MAX)
				abort();
		} else if (rc != -EAGAIN && rc != -EBADMSG) {
			abort();
		}
	}
}

static void fuzz_ring(const uint8_t *data, size_t size)
{
	static _Alignas(128) uint8_t region[SHM_RING_HDR_SIZE + 64 * 64];
	uint64_t cap = 64;
	if (shm_ring_init(region, sizeof(region), cap, NULL) != 0)
		abort();
	size_t n = size / 64 > cap ? cap : size / 64;
	memcpy(region + SHM_RING_HDR_SIZE, data, n * 64);
	struct shm_ring_hdr *h = (struct shm_ring_hdr *)region;
	h->write_pos = n;
	struct shm_audit_consumer c;
	shm_audit_consumer_attach(&c, region, SHM_AUDIT_SRC_FEEDER);
	static struct shm_audit_msg m;
	for (;;) {
		uint64_t before = c.ring.pos;
		struct rt_err err = {0};
		int rc = shm_audit_consumer_next(&c, &m, &err);
		if (rc == -EAGAIN)
			break;
		if (c.ring.pos <= before || c.ring.pos > n)
			abort();
		if (rc == 0 &&
		    (m.len > SHM_AUDIT_PAYLOAD_MAX || m.nlat > SHM_AUDIT_LAT_MAX || m.kind == 0 ||
		     m.kind > SHM_AUDIT_KIND_MAX || m.pos_end != c.ring.pos))
			abort();
		if (rc != 0 && rc != -EBADMSG)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_scan(data, size);
	fuzz_decode(data, size);
	fuzz_ring(data, size);
	return 0;
}
