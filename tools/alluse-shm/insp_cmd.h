/*
 * insp_cmd.h — the read-only views of alluse-shm: info, regions, rings, board,
 * instruments, counters, hist. Each renders one frame of a segment that
 * shm_segment_attach_readonly/attach_path already validated into a text buffer,
 * either as aligned human tables or as one single-line JSON document.
 *
 * Renderers only read the mapping (relaxed/acquire loads and seqlock reads); they
 * never write it, and treat every count and string from it as bounded by what the
 * attach validation checked, re-clamping counts a live writer may have moved since.
 */
#ifndef INSP_CMD_H
#define INSP_CMD_H

#include "shm/shm_segment.h"
#include "tools/alluse-shm/insp_out.h"

#include <stdint.h>

struct insp_ctx {
	const struct shm_segment *seg; /* attached and validated */
	int json; /* one JSON document instead of tables */
	uint64_t now_ns; /* CLOCK_MONOTONIC, for ages */
	uint64_t now_wall_ns; /* CLOCK_REALTIME, stamped into JSON */
};

typedef void (*insp_render_fn)(const struct insp_ctx *c, struct insp_buf *out);

struct insp_cmd {
	const char *name;
	insp_render_fn render;
};

/* The view named `name`, or NULL ("remove" is not a view: main handles it). */
const struct insp_cmd *insp_cmd_find(const char *name);

#endif
