#include "shm/shm_instr.h"

#include "rt/rt_atomic.h"
#include "shm/shm_price.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static uint32_t index_slots_for(uint32_t capacity)
{
	uint32_t n = 16;
	while (n < capacity * 2u)
		n <<= 1;
	return n;
}

uint64_t shm_instr_region_size(uint32_t capacity)
{
	return SHM_INSTR_HDR_SIZE + (uint64_t)capacity * sizeof(struct shm_instr) +
	       (uint64_t)index_slots_for(capacity) * sizeof(uint32_t);
}

static uint32_t hash_symbol(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

int shm_instr_init(void *region, uint64_t size, uint32_t capacity, struct rt_err *err)
{
	if (capacity == 0 || capacity > (1u << 24))
		return rt_err_set(err, -EINVAL, "instrument capacity %u not in 1..%u", capacity,
				  1u << 24);
	uint64_t need = shm_instr_region_size(capacity);
	if (size < need)
		return rt_err_set(err, -ENOSPC,
				  "instrument directory of %u needs %llu bytes, region has %llu",
				  capacity, (unsigned long long)need, (unsigned long long)size);
	memset(region, 0, need);
	struct shm_instr_hdr *h = region;
	h->capacity = capacity;
	h->index_slots = index_slots_for(capacity);
	rt_store_rel_u32(&h->magic, SHM_INSTR_MAGIC);
	return 0;
}

static int str_ok(const char *s, size_t max)
{
	return memchr(s, '\0', max) != NULL;
}

int shm_instr_check(const void *region, uint64_t size, struct rt_err *err)
{
	const struct shm_instr_hdr *h = region;
	if (size < SHM_INSTR_HDR_SIZE)
		return rt_err_set(err, -EBADMSG,
				  "instrument region of %llu bytes is smaller than its header",
				  (unsigned long long)size);
	uint32_t magic = rt_load_acq_u32(&h->magic);
	if (magic != SHM_INSTR_MAGIC)
		return rt_err_set(err, -EBADMSG,
				  "instrument directory magic 0x%08x, expected 0x%08x", magic,
				  SHM_INSTR_MAGIC);
	if (h->capacity == 0 || h->capacity > (1u << 24) ||
	    h->index_slots != index_slots_for(h->capacity) ||
	    shm_instr_region_size(h->capacity) > size)
		return rt_err_set(err, -EBADMSG,
				  "instrument directory capacity %u / index %u does not fit its "
				  "%llu-byte region",
				  h->capacity, h->index_slots, (unsigned long long)size);
	uint32_t count = rt_load_acq_u32(&h->count);
	if (count > h->capacity)
		return rt_err_set(err, -EBADMSG, "instrument count %u exceeds capacity %u", count,
				  h->capacity);
	const struct shm_instr *e =
		(const struct shm_instr *)((const uint8_t *)region + SHM_INSTR_HDR_SIZE);
	for (uint32_t i = 0; i < count; i++) {
		if (e[i].id != i || e[i].kind < SHM_INSTR_STOCK || e[i].kind > SHM_INSTR_OPTION ||
		    !str_ok(e[i].symbol, sizeof(e[i].symbol)) || e[i].symbol[0] == '\0' ||
		    !str_ok(e[i].underlying, sizeof(e[i].underlying)))
			return rt_err_set(err, -EBADMSG,
					  "instrument entry %u is corrupt (id %u, kind %u)", i,
					  e[i].id, e[i].kind);
	}
	return 0;
}

void shm_instr_attach(struct shm_instr_dir *d, void *region)
{
	d->hdr = region;
	d->capacity = d->hdr->capacity;
	d->entries = (struct shm_instr *)((uint8_t *)region + SHM_INSTR_HDR_SIZE);
	d->index = (uint32_t *)(d->entries + d->capacity);
	d->index_mask = d->hdr->index_slots - 1;
}

uint32_t shm_instr_count(const struct shm_instr_dir *d)
{
	return rt_load_acq_u32(&d->hdr->count);
}

const struct shm_instr *shm_instr_get(const struct shm_instr_dir *d, uint32_t id)
{
	return id < shm_instr_count(d) ? &d->entries[id] : NULL;
}

uint32_t shm_instr_find(const struct shm_instr_dir *d, const char *symbol)
{
	uint32_t h = hash_symbol(symbol);
	for (uint32_t probe = 0; probe <= d->index_mask; probe++) {
		/* acquire: pairs with the writer's release of the slot after the entry */
		uint32_t v = rt_load_acq_u32(&d->index[(h + probe) & d->index_mask]);
		if (v == 0)
			return SHM_INSTR_NONE;
		uint32_t id = v - 1;
		if (id < d->capacity &&
		    strncmp(d->entries[id].symbol, symbol, SHM_INSTR_SYMBOL_MAX) == 0)
			return id;
	}
	return SHM_INSTR_NONE;
}

int shm_instr_add(struct shm_instr_dir *d, const struct shm_instr *in, uint32_t *id_out,
		  struct rt_err *err)
{
	size_t len = strnlen(in->symbol, SHM_INSTR_SYMBOL_MAX);
	if (len == 0 || len == SHM_INSTR_SYMBOL_MAX)
		return rt_err_set(err, -EINVAL, "instrument symbol must be 1..%u characters",
				  SHM_INSTR_SYMBOL_MAX - 1);
	if (in->kind < SHM_INSTR_STOCK || in->kind > SHM_INSTR_OPTION)
		return rt_err_set(err, -EINVAL,
				  "instrument '%s': kind %u is not stock, index or option",
				  in->symbol, in->kind);
	uint32_t existing = shm_instr_find(d, in->symbol);
	if (existing != SHM_INSTR_NONE) {
		if (id_out)
			*id_out = existing;
		return rt_err_set(err, -EEXIST, "instrument '%s' already has id %u", in->symbol,
				  existing);
	}
	uint32_t id = rt_load_rlx_u32(&d->hdr->count);
	if (id >= d->capacity)
		return rt_err_set(
			err, -ENOSPC,
			"instrument directory is full (%u entries); raise shm.max_instruments",
			d->capacity);
	struct shm_instr *e = &d->entries[id];
	*e = *in;
	e->symbol[SHM_INSTR_SYMBOL_MAX - 1] = '\0';
	e->underlying[SHM_INSTR_UNDERLYING_MAX - 1] = '\0';
	e->id = id;
	uint32_t h = hash_symbol(e->symbol);
	for (uint32_t probe = 0;; probe++) {
		uint32_t *slot = &d->index[(h + probe) & d->index_mask];
		if (rt_load_rlx_u32(slot) == 0) {
			/* release: the entry is complete before the index points at it */
			rt_store_rel_u32(slot, id + 1);
			break;
		}
	}
	/* release: the entry and its index slot are visible before the new count */
	rt_store_rel_u32(&d->hdr->count, id + 1);
	if (id_out)
		*id_out = id;
	return 0;
}

static int ticker_ok(const char *t, size_t max)
{
	size_t n = strlen(t);
	if (n == 0 || n >= max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '^'))
			return 0;
	}
	return 1;
}

int shm_instr_make_stock(struct shm_instr *out, const char *ticker)
{
	memset(out, 0, sizeof(*out));
	if (!ticker_ok(ticker, SHM_INSTR_UNDERLYING_MAX))
		return -EINVAL;
	snprintf(out->symbol, sizeof(out->symbol), "%s", ticker);
	snprintf(out->underlying, sizeof(out->underlying), "%s", ticker);
	out->kind = SHM_INSTR_STOCK;
	return 0;
}

int shm_instr_make_option(struct shm_instr *out, const char *underlying, uint32_t expiry,
			  char right, int64_t strike)
{
	memset(out, 0, sizeof(*out));
	uint32_t y = expiry / 10000, m = expiry / 100 % 100, day = expiry % 100;
	if (!ticker_ok(underlying, 7) || y < 2000 || y > 2099 || m < 1 || m > 12 || day < 1 ||
	    day > 31 || (right != 'P' && right != 'C') || strike <= 0)
		return -EINVAL;
	/* OCC strike field: dollars × 1000 in 8 digits (max $99,999.999) */
	int64_t milli = strike / (PRICE_SCALE / 1000);
	if (milli * (PRICE_SCALE / 1000) != strike || milli > 99999999)
		return -EINVAL;
	snprintf(out->symbol, sizeof(out->symbol), "%-6s%02u%02u%02u%c%08lld", underlying, y % 100,
		 m, day, right, (long long)milli);
	snprintf(out->underlying, sizeof(out->underlying), "%s", underlying);
	out->expiry = expiry;
	out->strike = strike;
	out->right = (uint8_t)right;
	out->kind = SHM_INSTR_OPTION;
	return 0;
}

const char *shm_instr_kind_name(uint8_t kind)
{
	switch (kind) {
	case SHM_INSTR_STOCK:
		return "stock";
	case SHM_INSTR_INDEX:
		return "index";
	case SHM_INSTR_OPTION:
		return "option";
	default:
		return "unknown";
	}
}
