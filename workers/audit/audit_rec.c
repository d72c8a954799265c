#include "workers/audit/audit_rec.h"

#include "workers/audit/audit_crc32c.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void audit_rec_chain_block(const struct audit_rec_hdr *h, uint8_t out[AUDIT_CHAIN_BLOCK])
{
	/* little-endian host: the fields' bytes are their on-disk bytes */
	memcpy(out + 0, &h->jseq, 8);
	memcpy(out + 8, &h->src_seq, 8);
	memcpy(out + 16, &h->event_ns, 8);
	memcpy(out + 24, &h->source, 2);
	memcpy(out + 26, &h->kind, 2);
	memcpy(out + 28, &h->plen, 2);
}

int audit_rec_decode(const uint8_t *buf, size_t avail, struct audit_rec_view *v, struct rt_err *err)
{
	if (avail < 8)
		return -EAGAIN;
	uint32_t len, crc;
	memcpy(&len, buf, 4);
	memcpy(&crc, buf + 4, 4);
	if (len < AUDIT_REC_HDR_SIZE || len > AUDIT_REC_MAX || (len & 7u))
		return rt_err_set(err, -EBADMSG,
				  "length %u is not a record length (%u..%u, multiple of 8)", len,
				  AUDIT_REC_HDR_SIZE, AUDIT_REC_MAX);
	if (len > avail)
		return -EAGAIN;
	/* cheap checks first: a resync scan tries every offset */
	if (buf[63] != AUDIT_FORMAT_VERSION)
		return rt_err_set(err, -EBADMSG, "format version %u, expected %u", buf[63],
				  AUDIT_FORMAT_VERSION);
	uint32_t got = audit_crc32c(0, buf + 8, len - 8);
	if (got != crc)
		return rt_err_set(err, -EBADMSG, "CRC32C mismatch (stored 0x%08x, computed 0x%08x)",
				  crc, got);
	memcpy(&v->h, buf, sizeof(v->h));
	const struct audit_rec_hdr *h = &v->h;
	if (h->kind == 0 || h->kind > SHM_AUDIT_KIND_MAX)
		return rt_err_set(err, -EBADMSG, "unknown kind %u", h->kind);
	if (h->nlat > SHM_AUDIT_LAT_MAX || h->plen > SHM_AUDIT_PAYLOAD_MAX)
		return rt_err_set(err, -EBADMSG, "nlat %u or payload %u bytes out of range",
				  h->nlat, h->plen);
	if (audit_rec_size(h->nlat, h->plen) != len)
		return rt_err_set(err, -EBADMSG,
				  "length %u does not match %u stamps and %u payload bytes", len,
				  h->nlat, h->plen);
	if (h->jseq == 0)
		return rt_err_set(err, -EBADMSG, "journal sequence 0");
	memset(v->lat, 0, sizeof(v->lat));
	memcpy(v->lat, buf + AUDIT_REC_HDR_SIZE, (size_t)h->nlat * 8u);
	v->payload = buf + AUDIT_REC_HDR_SIZE + (size_t)h->nlat * 8u;
	return 0;
}

void audit_rec_seal(uint8_t *rec, uint32_t len)
{
	struct audit_rec_hdr *h = (struct audit_rec_hdr *)rec;
	uint32_t used = AUDIT_REC_HDR_SIZE + (uint32_t)h->nlat * 8u + h->plen;
	memset(rec + used, 0, len - used);
	h->len = len;
	h->version = AUDIT_FORMAT_VERSION;
	h->crc = audit_crc32c(0, rec + 8, len - 8);
}

void audit_file_hdr_build(struct audit_file_hdr *f, uint64_t first_jseq, uint64_t created_wall_ns,
			  const char *instance, const uint8_t prev_hash[AUDIT_HASH_SIZE])
{
	memset(f, 0, sizeof(*f));
	f->magic = AUDIT_FILE_MAGIC;
	f->version = AUDIT_FORMAT_VERSION;
	f->hdr_size = AUDIT_FILE_HDR_SIZE;
	f->first_jseq = first_jseq;
	f->created_wall_ns = created_wall_ns;
	snprintf(f->instance, sizeof(f->instance), "%s", instance);
	memcpy(f->prev_hash, prev_hash, AUDIT_HASH_SIZE);
	f->crc = audit_crc32c(0, f, offsetof(struct audit_file_hdr, crc));
}

int audit_file_hdr_check(const uint8_t *buf, size_t avail, struct audit_file_hdr *out,
			 struct rt_err *err)
{
	if (avail < AUDIT_FILE_HDR_SIZE)
		return rt_err_set(err, -EAGAIN,
				  "file of %zu bytes is shorter than its %u-byte header", avail,
				  AUDIT_FILE_HDR_SIZE);
	struct audit_file_hdr f;
	memcpy(&f, buf, sizeof(f));
	if (f.magic != AUDIT_FILE_MAGIC)
		return rt_err_set(err, -EBADMSG,
				  "wrong magic 0x%016llx: not an alluse journal file",
				  (unsigned long long)f.magic);
	if (f.version != AUDIT_FORMAT_VERSION || f.hdr_size != AUDIT_FILE_HDR_SIZE)
		return rt_err_set(err, -EBADMSG,
				  "format version %u header size %u, this build reads %u/%u",
				  f.version, f.hdr_size, AUDIT_FORMAT_VERSION, AUDIT_FILE_HDR_SIZE);
	uint32_t got = audit_crc32c(0, buf, offsetof(struct audit_file_hdr, crc));
	if (got != f.crc)
		return rt_err_set(err, -EBADMSG,
				  "file header CRC32C mismatch (stored 0x%08x, computed 0x%08x)",
				  f.crc, got);
	if (!memchr(f.instance, 0, sizeof(f.instance)) || f.first_jseq == 0)
		return rt_err_set(err, -EBADMSG,
				  "file header: instance not terminated or first sequence 0");
	if (out)
		*out = f;
	return 0;
}

void audit_file_name(uint64_t first_jseq, char out[AUDIT_FILE_NAME_MAX])
{
	snprintf(out, AUDIT_FILE_NAME_MAX, "j-%020llu.aj", (unsigned long long)first_jseq);
}

uint64_t audit_file_name_parse(const char *name)
{
	if (strlen(name) != 25 || strncmp(name, "j-", 2) || strcmp(name + 22, ".aj"))
		return 0;
	uint64_t v = 0;
	for (int i = 2; i < 22; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		uint64_t d = (uint64_t)(name[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	return v;
}

/* Next offset >= from (8-aligned relative to the first record) holding a valid
 * record with jseq >= min_jseq, or 0 if none. */
static uint64_t resync(const uint8_t *img, size_t len, uint64_t from, uint64_t min_jseq)
{
	struct audit_rec_view v;
	for (uint64_t o = from; o + AUDIT_REC_HDR_SIZE <= len; o += 8) {
		if (audit_rec_decode(img + o, len - o, &v, NULL) == 0 && v.h.jseq >= min_jseq)
			return o;
	}
	return 0;
}

int audit_scan_image(const uint8_t *img, size_t len, struct audit_scan *s, struct rt_err *err)
{
	memset(s, 0, sizeof(*s));
	int rc = audit_file_hdr_check(img, len, &s->fh, err);
	if (rc)
		return rc;
	s->last_jseq = s->fh.first_jseq - 1;
	memcpy(s->last_hash, s->fh.prev_hash, AUDIT_HASH_SIZE);
	uint64_t off = AUDIT_FILE_HDR_SIZE;
	uint64_t expect = s->fh.first_jseq;
	s->end_off = off;
	while (off < len) {
		struct audit_rec_view v;
		struct rt_err e = {0};
		rc = audit_rec_decode(img + off, len - off, &v, &e);
		if (rc == 0 && v.h.jseq != expect)
			rc = rt_err_set(&e, -EBADMSG, "sequence %llu where %llu was expected",
					(unsigned long long)v.h.jseq, (unsigned long long)expect);
		if (rc == 0) {
			s->records++;
			s->last_jseq = v.h.jseq;
			memcpy(s->last_hash, v.h.hash, AUDIT_HASH_SIZE);
			off += v.h.len;
			s->end_off = off;
			expect++;
			continue;
		}
		uint64_t next = resync(img, len, off + 8, expect);
		if (s->tail == AUDIT_SCAN_CLEAN) {
			s->bad_off = off;
			s->bad_jseq = expect;
			if (rc == -EAGAIN)
				snprintf(s->why, sizeof(s->why), "record cut short: %zu bytes left",
					 (size_t)(len - off));
			else
				snprintf(s->why, sizeof(s->why), "%.159s", e.msg);
		}
		if (!next) {
			if (s->tail == AUDIT_SCAN_CLEAN) {
				s->tail = AUDIT_SCAN_TORN;
				s->bad_bytes = len - off;
			}
			break;
		}
		s->tail = AUDIT_SCAN_CORRUPT;
		off = next;
		struct audit_rec_view nv;
		audit_rec_decode(img + off, len - off, &nv, NULL);
		expect = nv.h.jseq;
	}
	return 0;
}
