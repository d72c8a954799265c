#include "shm/shm_audit.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const KIND_NAMES[SHM_AUDIT_KIND_MAX + 1] = {
	NULL,   "level", "state",  "intent",  "order", "fill",
	"fork", "merge", "config", "command", "fault",
};

const char *shm_audit_kind_name(uint32_t kind)
{
	return kind <= SHM_AUDIT_KIND_MAX ? KIND_NAMES[kind] : NULL;
}

uint32_t shm_audit_kind_parse(const char *name)
{
	for (uint32_t k = 1; k <= SHM_AUDIT_KIND_MAX; k++)
		if (!strcmp(name, KIND_NAMES[k]))
			return k;
	return 0;
}

static const struct {
	const char *name;
	uint32_t id;
} SOURCES[] = {
	{"supervisor", SHM_AUDIT_SRC_SUPERVISOR}, {"feeder", SHM_AUDIT_SRC_FEEDER},
	{"rules", SHM_AUDIT_SRC_RULES},           {"router", SHM_AUDIT_SRC_ROUTER},
	{"audit", SHM_AUDIT_SRC_AUDIT},           {"ctl", SHM_AUDIT_SRC_CTL},
};

int shm_audit_source_id(const char *owner)
{
	for (size_t i = 0; i < sizeof(SOURCES) / sizeof(SOURCES[0]); i++)
		if (!strcmp(owner, SOURCES[i].name))
			return (int)SOURCES[i].id;
	if (!strncmp(owner, "worker.", 7) && owner[7] >= '0' && owner[7] <= '9') {
		char *end;
		unsigned long w = strtoul(owner + 7, &end, 10);
		if (!*end && w <= 0xff && (owner[7] != '0' || owner[8] == '\0'))
			return (int)(SHM_AUDIT_SRC_WORKER + w);
	}
	return -EINVAL;
}

const char *shm_audit_source_name(uint32_t source, char *buf, size_t n)
{
	for (size_t i = 0; i < sizeof(SOURCES) / sizeof(SOURCES[0]); i++)
		if (SOURCES[i].id == source) {
			snprintf(buf, n, "%s", SOURCES[i].name);
			return buf;
		}
	if (source >= SHM_AUDIT_SRC_WORKER && source <= SHM_AUDIT_SRC_MAX)
		snprintf(buf, n, "worker.%u", source - SHM_AUDIT_SRC_WORKER);
	else
		snprintf(buf, n, "src.%u", source);
	return buf;
}

/* ---- producer ----------------------------------------------------------------- */

int shm_audit_producer_attach_region(struct shm_audit_producer *p, void *region, uint32_t source,
				     uint64_t *fault_ctr)
{
	memset(p, 0, sizeof(*p));
	shm_ring_producer_attach(&p->ring, region);
	p->source = source;
	p->fault_ctr = fault_ctr;
	/* Every slot begins with its record's src_seq, and slots are written only by
	 * us: the one before the published write position holds the last sequence. */
	if (p->ring.pos > 0) {
		const uint8_t *last = shm_ring_slot_(&p->ring, p->ring.pos - 1);
		uint64_t seq;
		memcpy(&seq, last, sizeof(seq));
		p->seq = seq;
	}
	return 0;
}

int shm_audit_producer_attach(struct shm_audit_producer *p, const struct shm_segment *seg,
			      const char *owner, uint64_t *fault_ctr, struct rt_err *err)
{
	int src = shm_audit_source_id(owner);
	if (src < 0)
		return rt_err_set(err, -EINVAL, "audit ring owner '%s' is not a known process name",
				  owner);
	char name[SHM_REGION_NAME_MAX];
	snprintf(name, sizeof(name), SHM_AUDIT_RING_NAME_PREFIX "%s", owner);
	const struct shm_dir_entry *e = shm_segment_find_kind_name(seg, SHM_KIND_RING, name);
	if (!e || e->role != SHM_ROLE_AUDIT)
		return rt_err_set(err, -ENOENT, "no audit ring '%s' in the segment", name);
	void *region = shm_segment_region(seg, e);
	int rc = shm_ring_check(region, e->size, err);
	if (rc)
		return rt_err_wrap(err, "audit ring '%s'", name);
	return shm_audit_producer_attach_region(p, region, (uint32_t)src, fault_ctr);
}

int shm_audit_emit_lat(struct shm_audit_producer *p, uint32_t kind, uint64_t event_ns,
		       const void *payload, uint32_t len, const uint64_t *lat, uint32_t nlat)
{
	if (kind == 0 || kind > SHM_AUDIT_KIND_MAX)
		return -EINVAL;
	if (len > SHM_AUDIT_PAYLOAD_MAX || nlat > SHM_AUDIT_LAT_MAX)
		return -EMSGSIZE;
	uint32_t body = nlat * 8u + len;
	uint32_t nslots = 1;
	if (body > SHM_AUDIT_HEAD_BODY)
		nslots += (body - SHM_AUDIT_HEAD_BODY + SHM_AUDIT_CONT_BODY - 1) /
			  SHM_AUDIT_CONT_BODY;
	/* frame on the stack: one contiguous copy of the slots for push_n */
	_Alignas(64) uint8_t slots[SHM_AUDIT_SLOTS_MAX * SHM_RING_SLOT];
	uint8_t flat[SHM_AUDIT_BODY_MAX];
	if (nlat)
		memcpy(flat, lat, nlat * 8u);
	if (len)
		memcpy(flat + nlat * 8u, payload, len);
	uint64_t seq = p->seq + 1;
	struct shm_audit_head *h = (struct shm_audit_head *)slots;
	h->src_seq = seq;
	h->event_ns = event_ns;
	h->emit_ns = rt_clock_now_ns();
	h->tag = SHM_AUDIT_TAG;
	h->kind = (uint16_t)kind;
	h->len = (uint16_t)len;
	h->nslots = (uint8_t)nslots;
	h->nlat = (uint8_t)nlat;
	uint32_t off = body < SHM_AUDIT_HEAD_BODY ? body : SHM_AUDIT_HEAD_BODY;
	memcpy(h->body, flat, off);
	memset(h->body + off, 0, SHM_AUDIT_HEAD_BODY - off);
	for (uint32_t i = 1; i < nslots; i++) {
		struct shm_audit_cont *c = (struct shm_audit_cont *)(slots + i * SHM_RING_SLOT);
		uint32_t n = body - off < SHM_AUDIT_CONT_BODY ? body - off : SHM_AUDIT_CONT_BODY;
		c->src_seq = seq;
		memcpy(c->body, flat + off, n);
		memset(c->body + n, 0, SHM_AUDIT_CONT_BODY - n);
		off += n;
	}
	if (shm_ring_push_n_spsc(&p->ring, slots, nslots) != 0) {
		if (p->fault_ctr)
			rt_counter_add(p->fault_ctr, 1);
		return -EAGAIN;
	}
	p->seq = seq;
	return 0;
}

/* ---- consumer ----------------------------------------------------------------- */

void shm_audit_consumer_attach(struct shm_audit_consumer *c, void *region, uint32_t source)
{
	memset(c, 0, sizeof(*c));
	shm_ring_consumer_attach(&c->ring, region);
	c->source = source;
	c->committed = c->ring.pos;
}

int shm_audit_consumer_next(struct shm_audit_consumer *c, struct shm_audit_msg *m,
			    struct rt_err *err)
{
	struct shm_ring *r = &c->ring;
	if (shm_ring_avail_(r, 1) == 0)
		return -EAGAIN;
	struct shm_audit_head h;
	memcpy(&h, shm_ring_slot_(r, r->pos), sizeof(h));
	m->src_seq = h.src_seq;
	m->kind = h.kind;
	uint32_t body = (uint32_t)h.nlat * 8u + h.len;
	uint32_t want = 1;
	if (body > SHM_AUDIT_HEAD_BODY)
		want += (body - SHM_AUDIT_HEAD_BODY + SHM_AUDIT_CONT_BODY - 1) /
			SHM_AUDIT_CONT_BODY;
	const char *why = NULL;
	if (h.tag != SHM_AUDIT_TAG)
		why = "not a record head (tag)";
	else if (h.kind == 0 || h.kind > SHM_AUDIT_KIND_MAX)
		why = "unknown kind";
	else if (h.len > SHM_AUDIT_PAYLOAD_MAX || h.nlat > SHM_AUDIT_LAT_MAX)
		why = "payload or latency count too large";
	else if (h.nslots != want)
		why = "slot count disagrees with the body size";
	else if (shm_ring_avail_(r, want) < want)
		why = "record extends past the published write position";
	if (why) {
		r->pos++;
		m->pos_end = r->pos;
		return rt_err_set(err, -EBADMSG, "ring position %llu: %s",
				  (unsigned long long)(r->pos - 1), why);
	}
	uint8_t flat[SHM_AUDIT_SLOTS_MAX * SHM_AUDIT_CONT_BODY];
	memcpy(flat, h.body, SHM_AUDIT_HEAD_BODY);
	uint32_t off = SHM_AUDIT_HEAD_BODY;
	for (uint32_t i = 1; i < want; i++) {
		const struct shm_audit_cont *s =
			(const struct shm_audit_cont *)shm_ring_slot_(r, r->pos + i);
		if (s->src_seq != h.src_seq) {
			r->pos += i;
			m->pos_end = r->pos;
			return rt_err_set(
				err, -EBADMSG,
				"ring position %llu: continuation %u of seq %llu holds seq %llu",
				(unsigned long long)(r->pos - i), i, (unsigned long long)h.src_seq,
				(unsigned long long)s->src_seq);
		}
		memcpy(flat + off, s->body, SHM_AUDIT_CONT_BODY);
		off += SHM_AUDIT_CONT_BODY;
	}
	m->event_ns = h.event_ns;
	m->emit_ns = h.emit_ns;
	m->len = h.len;
	m->nslots = h.nslots;
	m->nlat = h.nlat;
	memcpy(m->lat, flat, (size_t)h.nlat * 8u);
	memcpy(m->payload, flat + (size_t)h.nlat * 8u, h.len);
	r->pos += want;
	m->pos_end = r->pos;
	return 0;
}

void shm_audit_consumer_skip_to(struct shm_audit_consumer *c, uint64_t pos)
{
	struct shm_ring *r = &c->ring;
	if (pos <= r->pos)
		return;
	/* acquire: the producer's write position bounds where a cursor may go */
	uint64_t wr = rt_load_acq_u64(&r->hdr->write_pos);
	if (pos > wr)
		return;
	r->pos = pos;
}

void shm_audit_consumer_commit(struct shm_audit_consumer *c, uint64_t pos)
{
	if (pos <= c->committed || pos > c->ring.pos)
		return;
	c->committed = pos;
	/* release: we are done reading every slot before pos; the producer may reuse them */
	rt_store_rel_u64(&c->ring.hdr->read_pos, pos);
}
