/*
 * positions_file.h — the positions file (docs/positions.md): the short options a
 * trader already holds, so alluse can run as a pure risk monitor.
 *
 *   # comment
 *   id,account,underlying,right,strike,expiry,contracts
 *   1,gen,AAPL,P,180.00,2026-11-27,5
 *
 * id: 1..4294967295, unique; account: 1..11 of [a-z0-9-]; underlying: a ticker of the
 * instrument directory; right: P or C; strike: decimal dollars (> 0, at most 3
 * decimals, the OCC strike precision); expiry: YYYY-MM-DD; contracts: short
 * contracts, 1..1000000. The header line is optional; blank lines and comments skip.
 * A file with any bad line is refused whole (the error names file:line, the column
 * and what is allowed), so a typo never silently drops a position.
 */
#ifndef POSITIONS_FILE_H
#define POSITIONS_FILE_H

#include "rt/rt_err.h"
#include "shm/shm_pos.h"

#include <stddef.h>

/* Parse text (name for messages) into out[0..cap). Returns the count (>= 0) or
 * -EBADMSG (a bad line), -EEXIST (an id twice), -ENOSPC (more than cap). Each entry
 * is an SHM_POSCTL_ADD command. */
int posfile_parse(const char *name, const char *text, size_t len, struct shm_posctl *out,
		  size_t cap, struct rt_err *err);
/* Read and parse a file. Also -errno of open/read. */
int posfile_load(const char *path, struct shm_posctl *out, size_t cap, struct rt_err *err);

#endif
