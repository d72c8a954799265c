/*
 * shm_segment.h — create, attach, validate and remove the instance segment.
 *
 * Lifecycle verbs: create (supervisor, O_CREAT|O_EXCL), attach (processes,
 * read-write), attach_readonly (tools, PROT_READ), detach, unlink. The creator lays
 * the regions out from a plan, initialises them, then publishes the header's
 * ready word last (release); attachers acquire it and validate everything
 * (magic, version, size against the file, each directory entry's bounds, kind and
 * overlap, then each region's own invariants) before trusting a byte.
 *
 * Every failure returns a negative errno and a precise message in err:
 *   -ENOENT  no segment for that instance
 *   -EBADMSG wrong magic, corrupt directory or region
 *   -EPROTO  layout version mismatch
 *   -EFBIG/-EMSGSIZE  size fields disagree with the file (truncated, too small)
 *   -ETIMEDOUT not ready after the wait
 *   -EEXIST  create: a live instance already owns it
 *   -EOWNERDEAD create: left behind by a dead owner (takeover not requested)
 */
#ifndef SHM_SEGMENT_H
#define SHM_SEGMENT_H

#include "rt/rt_err.h"
#include "shm/shm_layout.h"

#include <stdint.h>

/* A region to lay out. */
struct shm_region_spec {
	uint32_t kind;
	uint32_t index;
	uint32_t role;
	uint64_t size;
	uint64_t param; /* capacity passed to the region's init */
	char name[SHM_REGION_NAME_MAX];
};

struct shm_plan {
	uint32_t count;
	struct shm_region_spec regions[SHM_MAX_REGIONS];
};

/* Add a region of `kind` with `capacity` (slots, instruments, counters...), sizing it
 * from its module. -EINVAL bad capacity, -ENOSPC too many regions. */
int shm_plan_add(struct shm_plan *p, uint32_t kind, uint32_t role, uint32_t index, const char *name,
		 uint64_t capacity, struct rt_err *err);

struct shm_create_opts {
	uint32_t mode; /* file mode, e.g. 0600 */
	int huge_pages; /* ask for transparent huge pages; falls back with a warning */
	int mlock; /* lock the pages; warns when refused */
	int takeover_stale; /* remove a segment whose owner is dead, then create */
};

/* Process-local mapping. */
struct shm_segment {
	uint8_t *base;
	uint64_t size;
	int readonly;
	struct shm_header *hdr;
	struct shm_dir_entry *dir;
	char name[64]; /* "/alluse.<instance>" for shm_open */
	char path[80]; /* "/dev/shm/alluse.<instance>" */
};

/* 0 if the instance name is 1..31 of [A-Za-z0-9_-], else -EINVAL with reason. */
int shm_instance_check(const char *instance, struct rt_err *err);

/* Create the segment, lay out the plan's regions, initialise each region empty.
 * The segment is NOT ready yet: the creator fills what it must, then calls
 * shm_segment_publish(). */
int shm_segment_create(struct shm_segment *seg, const char *instance, const struct shm_plan *plan,
		       const struct shm_create_opts *opts, struct rt_err *err);

/* Store the ready word (release). Everything written before is visible to attachers. */
void shm_segment_publish(struct shm_segment *seg);

/* Map and validate. wait_ms: how long to wait for `ready` (0: must be ready now). */
int shm_segment_attach(struct shm_segment *seg, const char *instance, uint32_t wait_ms,
		       struct rt_err *err);
int shm_segment_attach_readonly(struct shm_segment *seg, const char *instance, uint32_t wait_ms,
				struct rt_err *err);
/* Same, from an explicit file path (tests, post-mortem copies of a segment). */
int shm_segment_attach_path(struct shm_segment *seg, const char *path, int readonly,
			    uint32_t wait_ms, struct rt_err *err);

/* Validate a mapping of `size` bytes (the checks attach runs). */
int shm_segment_validate(const uint8_t *base, uint64_t size, struct rt_err *err);

/* Unmap. Safe on a zeroed or already detached segment. */
void shm_segment_detach(struct shm_segment *seg);
/* Remove the instance's segment name (the mapping stays valid until detached). */
int shm_segment_unlink(const char *instance, struct rt_err *err);

/* Region lookup: the directory entry of (kind, role, index) or by name; NULL if none. */
const struct shm_dir_entry *shm_segment_find(const struct shm_segment *seg, uint32_t kind,
					     uint32_t role, uint32_t index);
const struct shm_dir_entry *shm_segment_find_name(const struct shm_segment *seg, const char *name);
const struct shm_dir_entry *shm_segment_find_kind_name(const struct shm_segment *seg, uint32_t kind,
						       const char *name);
void *shm_segment_region(const struct shm_segment *seg, const struct shm_dir_entry *e);

/* Is the creator recorded in hdr still alive (same pid AND same start time)? */
int shm_owner_alive(uint32_t pid, uint64_t start_ticks);
/* Start time of pid in clock ticks since boot (/proc/<pid>/stat field 22), 0 if gone. */
uint64_t shm_pid_start_ticks(uint32_t pid);

#endif
