#include "shm/shm_segment.h"

#include "rt/rt_atomic.h"
#include "rt/rt_clock.h"
#include "rt/rt_log.h"
#include "shm/shm_atr.h"
#include "shm/shm_board.h"
#include "shm/shm_clock.h"
#include "shm/shm_counters.h"
#include "shm/shm_hists.h"
#include "shm/shm_instr.h"
#include "shm/shm_pos.h"
#include "shm/shm_ring.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int shm_instance_check(const char *instance, struct rt_err *err)
{
	size_t n = instance ? strlen(instance) : 0;
	if (n == 0 || n >= SHM_INSTANCE_MAX)
		return rt_err_set(err, -EINVAL, "instance name '%s' must be 1..%u characters",
				  instance ? instance : "", SHM_INSTANCE_MAX - 1);
	for (size_t i = 0; i < n; i++) {
		char c = instance[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return rt_err_set(err, -EINVAL,
					  "instance name '%s': character '%c' not allowed (use A-Z "
					  "a-z 0-9 _ -)",
					  instance, c);
	}
	return 0;
}

static void names_for(struct shm_segment *seg, const char *instance)
{
	snprintf(seg->name, sizeof(seg->name), "/alluse.%s", instance);
	snprintf(seg->path, sizeof(seg->path), "/dev/shm/alluse.%s", instance);
}

static uint64_t region_size_for(uint32_t kind, uint64_t cap)
{
	switch (kind) {
	case SHM_KIND_INSTRUMENTS:
		return cap && cap <= (1u << 24) ? shm_instr_region_size((uint32_t)cap) : 0;
	case SHM_KIND_BOARD:
		return cap && cap <= (1u << 24) ? shm_board_region_size((uint32_t)cap) : 0;
	case SHM_KIND_RING:
		return shm_ring_region_size(cap);
	case SHM_KIND_COUNTERS:
		return cap && cap <= 65536 ? shm_counters_region_size((uint32_t)cap) : 0;
	case SHM_KIND_HISTS:
		return cap && cap <= 1024 ? shm_hists_region_size((uint32_t)cap) : 0;
	case SHM_KIND_CLOCK:
		return shm_clock_region_size(0);
	case SHM_KIND_ATR:
		return cap && cap <= (1u << 24) ? shm_atr_region_size((uint32_t)cap) : 0;
	case SHM_KIND_POSITIONS:
		return cap && cap <= (1u << 22) ? shm_pos_region_size((uint32_t)cap) : 0;
	default:
		return 0;
	}
}

int shm_plan_add(struct shm_plan *p, uint32_t kind, uint32_t role, uint32_t index, const char *name,
		 uint64_t capacity, struct rt_err *err)
{
	if (p->count >= SHM_MAX_REGIONS)
		return rt_err_set(err, -ENOSPC, "too many regions (max %u)", SHM_MAX_REGIONS);
	if (strlen(name) == 0 || strlen(name) >= SHM_REGION_NAME_MAX)
		return rt_err_set(err, -EINVAL, "region name '%s' must be 1..%u characters", name,
				  SHM_REGION_NAME_MAX - 1);
	uint64_t size = region_size_for(kind, capacity);
	if (!size)
		return rt_err_set(err, -EINVAL, "region '%s': %s capacity %llu is not valid", name,
				  shm_kind_name(kind), (unsigned long long)capacity);
	struct shm_region_spec *s = &p->regions[p->count++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->role = role;
	s->index = index;
	s->size = size;
	s->param = capacity;
	snprintf(s->name, sizeof(s->name), "%s", name);
	return 0;
}

uint64_t shm_pid_start_ticks(uint32_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: fields start after the last ')' */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	unsigned long long ticks = 0;
	int field = 2;
	char *save = NULL;
	for (char *tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		++field;
		if (field == 3 && (tok[0] == 'Z' || tok[0] == 'X'))
			return 0; /* a zombie (dead, not yet reaped) owner is gone */
		if (field == 22) {
			ticks = strtoull(tok, NULL, 10);
			break;
		}
	}
	return ticks;
}

int shm_owner_alive(uint32_t pid, uint64_t start_ticks)
{
	if (pid == 0)
		return 0;
	if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return 0;
	uint64_t now = shm_pid_start_ticks(pid);
	if (now == 0)
		return 0;
	return start_ticks == 0 || now == start_ticks;
}

static int init_region(uint8_t *base, const struct shm_dir_entry *e, uint64_t param,
		       struct rt_err *err)
{
	void *r = base + e->offset;
	switch (e->kind) {
	case SHM_KIND_INSTRUMENTS:
		return shm_instr_init(r, e->size, (uint32_t)param, err);
	case SHM_KIND_BOARD:
		return shm_board_init(r, e->size, (uint32_t)param, err);
	case SHM_KIND_RING:
		return shm_ring_init(r, e->size, param, err);
	case SHM_KIND_COUNTERS:
		return shm_counters_init(r, e->size, (uint32_t)param, err);
	case SHM_KIND_HISTS:
		return shm_hists_init(r, e->size, (uint32_t)param, err);
	case SHM_KIND_CLOCK:
		return shm_clock_init(r, e->size, 0, err);
	case SHM_KIND_ATR:
		return shm_atr_init(r, e->size, (uint32_t)param, err);
	case SHM_KIND_POSITIONS:
		return shm_pos_init(r, e->size, (uint32_t)param, err);
	default:
		return rt_err_set(err, -EINVAL, "unknown region kind %u", e->kind);
	}
}

/* Why an existing segment blocks create: owner alive (-EEXIST) or dead (-EOWNERDEAD). */
static int existing_owner(const char *path, const char *instance, struct rt_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rt_err_set(err, -EEXIST, "segment %s exists but cannot be opened: %s", path,
				  strerror(errno));
	struct shm_header h;
	ssize_t n = pread(fd, &h, sizeof(h), 0);
	close(fd);
	if (n != (ssize_t)sizeof(h) || h.magic != SHM_MAGIC)
		return rt_err_set(err, -EOWNERDEAD,
				  "segment %s exists but is not a valid alluse segment (%zd bytes "
				  "of header read); "
				  "remove it with 'alluse-shm -n %s remove' if nothing uses it",
				  path, n, instance);
	if (shm_owner_alive(h.creator_pid, h.creator_start_ticks))
		return rt_err_set(
			err, -EEXIST,
			"instance '%s' is already running (segment %s owned by live pid %u)",
			instance, path, h.creator_pid);
	return rt_err_set(err, -EOWNERDEAD,
			  "segment %s was left behind by pid %u, which is gone; remove it with "
			  "'alluse-shm -n %s remove' or start with --takeover",
			  path, h.creator_pid, instance);
}

int shm_segment_create(struct shm_segment *seg, const char *instance, const struct shm_plan *plan,
		       const struct shm_create_opts *opts, struct rt_err *err)
{
	memset(seg, 0, sizeof(*seg));
	int rc = shm_instance_check(instance, err);
	if (rc)
		return rc;
	if (plan->count == 0 || plan->count > SHM_MAX_REGIONS)
		return rt_err_set(err, -EINVAL, "segment plan has %u regions (1..%u)", plan->count,
				  SHM_MAX_REGIONS);
	names_for(seg, instance);

	long pg = sysconf(_SC_PAGESIZE);
	uint64_t align_total = opts->huge_pages ? (2u << 20) : (uint64_t)pg;
	uint64_t off = shm_align_up(SHM_HEADER_SIZE + (uint64_t)plan->count * SHM_DIR_ENTRY_SIZE,
				    SHM_ALIGN);
	for (uint32_t i = 0; i < plan->count; i++)
		off = shm_align_up(off + plan->regions[i].size, SHM_ALIGN);
	uint64_t total = shm_align_up(off, align_total);

	int fd = shm_open(seg->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			  (mode_t)(opts->mode ? opts->mode : 0600));
	if (fd < 0 && errno == EEXIST) {
		rc = existing_owner(seg->path, instance, err);
		if (rc != -EOWNERDEAD || !opts->takeover_stale)
			return rc;
		rt_log_warn("taking over a stale segment", "path=%s reason=\"%s\"", seg->path,
			    err->msg);
		rt_err_clear(err);
		shm_unlink(seg->name);
		fd = shm_open(seg->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			      (mode_t)(opts->mode ? opts->mode : 0600));
	}
	if (fd < 0)
		return rt_err_set(err, -errno, "create %s: %s", seg->path, strerror(errno));
	/* shm_open applies the umask; the configured mode is what the operator asked for */
	if (fchmod(fd, (mode_t)(opts->mode ? opts->mode : 0600)) != 0 ||
	    ftruncate(fd, (off_t)total) != 0) {
		rc = rt_err_set(err, -errno, "size %s to %llu bytes: %s", seg->path,
				(unsigned long long)total, strerror(errno));
		goto fail_fd;
	}
	uint8_t *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		rc = rt_err_set(err, -errno, "map %s (%llu bytes): %s", seg->path,
				(unsigned long long)total, strerror(errno));
		goto fail_fd;
	}
	close(fd);
	fd = -1;
	seg->base = base;
	seg->size = total;
	seg->hdr = (struct shm_header *)base;
	seg->dir = (struct shm_dir_entry *)(base + SHM_HEADER_SIZE);

	uint32_t flags = 0;
	if (opts->huge_pages) {
		if (madvise(base, total, MADV_HUGEPAGE) == 0)
			flags |= SHM_FLAG_HUGE_PAGES;
		else
			rt_log_warn("huge pages refused; using normal pages",
				    "reason=\"%s\" hint=\"echo advise > "
				    "/sys/kernel/mm/transparent_hugepage/shmem_enabled\"",
				    strerror(errno));
	}
	if (opts->mlock) {
		if (mlock(base, total) == 0)
			flags |= SHM_FLAG_MLOCKED;
		else
			rt_log_warn("mlock of the segment refused; pages may fault",
				    "reason=\"%s\"", strerror(errno));
	}

	struct shm_header *h = seg->hdr;
	h->magic = SHM_MAGIC;
	h->layout_version = SHM_LAYOUT_VERSION;
	h->total_size = total;
	h->created_wall_ns = rt_clock_wall_ns();
	h->creator_pid = (uint32_t)getpid();
	h->creator_start_ticks = shm_pid_start_ticks((uint32_t)getpid());
	h->dir_offset = SHM_HEADER_SIZE;
	h->dir_capacity = plan->count;
	h->region_count = plan->count;
	h->flags = flags;
	h->page_size = (uint32_t)pg;
	snprintf(h->instance, sizeof(h->instance), "%s", instance);

	off = shm_align_up(SHM_HEADER_SIZE + (uint64_t)plan->count * SHM_DIR_ENTRY_SIZE, SHM_ALIGN);
	for (uint32_t i = 0; i < plan->count; i++) {
		const struct shm_region_spec *s = &plan->regions[i];
		struct shm_dir_entry *e = &seg->dir[i];
		e->kind = s->kind;
		e->role = s->role;
		e->index = s->index;
		e->offset = off;
		e->size = s->size;
		memcpy(e->name, s->name, sizeof(e->name));
		rc = init_region(base, e, s->param, err);
		if (rc) {
			rt_err_wrap(err, "region %u '%s'", i, s->name);
			goto fail_map;
		}
		off = shm_align_up(off + s->size, SHM_ALIGN);
	}
	return 0;

fail_map:
	munmap(base, total);
	memset(seg, 0, sizeof(*seg));
	names_for(seg, instance);
	shm_unlink(seg->name);
	return rc;
fail_fd:
	close(fd);
	shm_unlink(seg->name);
	return rc;
}

void shm_segment_publish(struct shm_segment *seg)
{
	/* release: the header, the directory and every region's initial contents are
	 * visible to any process that acquires ready == SHM_READY */
	rt_store_rel_u32(&seg->hdr->ready, SHM_READY);
}

static int check_region(const uint8_t *base, const struct shm_dir_entry *e, struct rt_err *err)
{
	const void *r = base + e->offset;
	switch (e->kind) {
	case SHM_KIND_INSTRUMENTS:
		return shm_instr_check(r, e->size, err);
	case SHM_KIND_BOARD:
		return shm_board_check(r, e->size, err);
	case SHM_KIND_RING:
		return shm_ring_check(r, e->size, err);
	case SHM_KIND_COUNTERS:
		return shm_counters_check(r, e->size, err);
	case SHM_KIND_HISTS:
		return shm_hists_check(r, e->size, err);
	case SHM_KIND_CLOCK:
		return shm_clock_check(r, e->size, err);
	case SHM_KIND_ATR:
		return shm_atr_check(r, e->size, err);
	case SHM_KIND_POSITIONS:
		return shm_pos_check(r, e->size, err);
	default:
		return rt_err_set(err, -EBADMSG, "unknown kind %u", e->kind);
	}
}

int shm_segment_validate(const uint8_t *base, uint64_t size, struct rt_err *err)
{
	const struct shm_header *h = (const struct shm_header *)base;
	if (size < SHM_HEADER_SIZE)
		return rt_err_set(err, -EMSGSIZE,
				  "truncated to %llu bytes, smaller than the %u-byte header",
				  (unsigned long long)size, SHM_HEADER_SIZE);
	if (h->magic != SHM_MAGIC)
		return rt_err_set(
			err, -EBADMSG,
			"wrong magic 0x%016llx (expected 0x%016llx): not an alluse segment",
			(unsigned long long)h->magic, (unsigned long long)SHM_MAGIC);
	if (h->layout_version != SHM_LAYOUT_VERSION)
		return rt_err_set(err, -EPROTO, "layout version %u, but this build reads %u",
				  h->layout_version, SHM_LAYOUT_VERSION);
	if (h->total_size != size)
		return rt_err_set(err, h->total_size > size ? -EMSGSIZE : -EFBIG,
				  "header says %llu bytes but the file has %llu%s",
				  (unsigned long long)h->total_size, (unsigned long long)size,
				  h->total_size > size ? " (truncated)" : "");
	if (!memchr(h->instance, '\0', sizeof(h->instance)))
		return rt_err_set(err, -EBADMSG, "instance name in the header is not terminated");
	if (h->region_count == 0 || h->region_count > SHM_MAX_REGIONS ||
	    h->region_count > h->dir_capacity)
		return rt_err_set(err, -EBADMSG,
				  "region count %u not in 1..%u (directory holds %u)",
				  h->region_count, SHM_MAX_REGIONS, h->dir_capacity);
	uint64_t dir_end = h->dir_offset + (uint64_t)h->dir_capacity * SHM_DIR_ENTRY_SIZE;
	if (h->dir_offset != SHM_HEADER_SIZE || h->dir_capacity > SHM_MAX_REGIONS || dir_end > size)
		return rt_err_set(err, -EBADMSG,
				  "directory at %llu with %u entries is out of bounds",
				  (unsigned long long)h->dir_offset, h->dir_capacity);
	const struct shm_dir_entry *dir = (const struct shm_dir_entry *)(base + h->dir_offset);
	for (uint32_t i = 0; i < h->region_count; i++) {
		const struct shm_dir_entry *e = &dir[i];
		if (!memchr(e->name, '\0', sizeof(e->name)))
			return rt_err_set(err, -EBADMSG, "region %u: name is not terminated", i);
		if (e->kind == 0 || e->kind > SHM_KIND_MAX)
			return rt_err_set(err, -EBADMSG, "region %u '%s': unknown kind %u", i,
					  e->name, e->kind);
		if (e->offset < dir_end || e->offset % SHM_ALIGN || e->size == 0 ||
		    e->size > size || e->offset > size - e->size)
			return rt_err_set(err, -EBADMSG,
					  "region %u '%s' out of bounds (offset %llu size %llu, "
					  "segment %llu bytes)",
					  i, e->name, (unsigned long long)e->offset,
					  (unsigned long long)e->size, (unsigned long long)size);
		for (uint32_t j = 0; j < i; j++) {
			const struct shm_dir_entry *o = &dir[j];
			if (e->offset < o->offset + o->size && o->offset < e->offset + e->size)
				return rt_err_set(err, -EBADMSG,
						  "region %u '%s' overlaps region %u '%s'", i,
						  e->name, j, o->name);
		}
		int rc = check_region(base, e, err);
		if (rc)
			return rt_err_wrap(err, "region %u '%s' (%s)", i, e->name,
					   shm_kind_name(e->kind));
	}
	return 0;
}

int shm_segment_attach_path(struct shm_segment *seg, const char *path, int readonly,
			    uint32_t wait_ms, struct rt_err *err)
{
	memset(seg, 0, sizeof(*seg));
	snprintf(seg->path, sizeof(seg->path), "%s", path);
	int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return rt_err_set(err, -e, "open %s: %s%s", path, strerror(e),
				  e == ENOENT
					  ? " (is the instance running? start it with 'alluse run')"
					  : "");
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return rt_err_set(err, -e, "stat %s: %s", path, strerror(e));
	}
	uint64_t size = (uint64_t)st.st_size;
	if (size < SHM_HEADER_SIZE) {
		close(fd);
		return rt_err_set(err, -EMSGSIZE,
				  "%s: truncated to %llu bytes, smaller than the %u-byte header",
				  path, (unsigned long long)size, SHM_HEADER_SIZE);
	}
	uint8_t *base =
		mmap(NULL, size, readonly ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int map_errno = errno;
	close(fd);
	if (base == MAP_FAILED)
		return rt_err_set(err, -map_errno, "map %s: %s", path, strerror(map_errno));

	/* acquire: pairs with the creator's publish; wait for it up to wait_ms */
	const struct shm_header *h = (const struct shm_header *)base;
	uint64_t deadline = rt_clock_now_ns() + (uint64_t)wait_ms * 1000000ull;
	int rc = 0;
	if (h->magic != SHM_MAGIC) {
		rc = rt_err_set(err, -EBADMSG,
				"wrong magic 0x%016llx (expected 0x%016llx): not an alluse segment",
				(unsigned long long)h->magic, (unsigned long long)SHM_MAGIC);
	} else {
		while (rt_load_acq_u32(&h->ready) != SHM_READY) {
			if (rt_clock_now_ns() >= deadline) {
				rc = rt_err_set(
					err, -ETIMEDOUT, "not ready after %u ms (creator pid %u%s)",
					wait_ms, h->creator_pid,
					shm_owner_alive(h->creator_pid, h->creator_start_ticks)
						? ", alive"
						: ", gone: the creator died while building it");
				break;
			}
			rt_clock_sleep_ns(1000000);
		}
	}
	if (!rc)
		rc = shm_segment_validate(base, size, err);
	if (rc) {
		munmap(base, size);
		return rt_err_wrap(err, "%s", path);
	}
	seg->base = base;
	seg->size = size;
	seg->readonly = readonly;
	seg->hdr = (struct shm_header *)base;
	seg->dir = (struct shm_dir_entry *)(base + seg->hdr->dir_offset);
	return 0;
}

static int attach_instance(struct shm_segment *seg, const char *instance, int readonly,
			   uint32_t wait_ms, struct rt_err *err)
{
	int rc = shm_instance_check(instance, err);
	if (rc)
		return rc;
	struct shm_segment tmp;
	names_for(&tmp, instance);
	rc = shm_segment_attach_path(seg, tmp.path, readonly, wait_ms, err);
	memcpy(seg->name, tmp.name, sizeof(seg->name));
	return rc;
}

int shm_segment_attach(struct shm_segment *seg, const char *instance, uint32_t wait_ms,
		       struct rt_err *err)
{
	return attach_instance(seg, instance, 0, wait_ms, err);
}

int shm_segment_attach_readonly(struct shm_segment *seg, const char *instance, uint32_t wait_ms,
				struct rt_err *err)
{
	return attach_instance(seg, instance, 1, wait_ms, err);
}

void shm_segment_detach(struct shm_segment *seg)
{
	if (seg && seg->base) {
		munmap(seg->base, seg->size);
		seg->base = NULL;
		seg->hdr = NULL;
		seg->dir = NULL;
		seg->size = 0;
	}
}

int shm_segment_unlink(const char *instance, struct rt_err *err)
{
	int rc = shm_instance_check(instance, err);
	if (rc)
		return rc;
	struct shm_segment tmp;
	names_for(&tmp, instance);
	if (shm_unlink(tmp.name) != 0)
		return rt_err_set(err, -errno, "remove %s: %s", tmp.path, strerror(errno));
	return 0;
}

const struct shm_dir_entry *shm_segment_find(const struct shm_segment *seg, uint32_t kind,
					     uint32_t role, uint32_t index)
{
	for (uint32_t i = 0; i < seg->hdr->region_count; i++) {
		const struct shm_dir_entry *e = &seg->dir[i];
		if (e->kind == kind && e->role == role && e->index == index)
			return e;
	}
	return NULL;
}

const struct shm_dir_entry *shm_segment_find_name(const struct shm_segment *seg, const char *name)
{
	for (uint32_t i = 0; i < seg->hdr->region_count; i++)
		if (strncmp(seg->dir[i].name, name, SHM_REGION_NAME_MAX) == 0)
			return &seg->dir[i];
	return NULL;
}

const struct shm_dir_entry *shm_segment_find_kind_name(const struct shm_segment *seg, uint32_t kind,
						       const char *name)
{
	for (uint32_t i = 0; i < seg->hdr->region_count; i++)
		if (seg->dir[i].kind == kind &&
		    strncmp(seg->dir[i].name, name, SHM_REGION_NAME_MAX) == 0)
			return &seg->dir[i];
	return NULL;
}

void *shm_segment_region(const struct shm_segment *seg, const struct shm_dir_entry *e)
{
	return seg->base + e->offset;
}
