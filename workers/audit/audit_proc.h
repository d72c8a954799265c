/*
 * audit_proc.h — the audit process (`alluse-audit run`): the only writer of the
 * journal. It drains every audit ring of the segment (regions of kind RING, role
 * SHM_ROLE_AUDIT, named "audit.<owner>") into the journal, publishes each ring's
 * read position only once the records before it are durable, and ships the
 * durable records to PostgreSQL when a DSN is configured.
 *
 * Restart without loss or duplicates: the rings keep every record that was not
 * yet durable (read_pos lags); records that reached the journal after the last
 * durable position was published are found again by reading the journal from the
 * durable sequence published in the segment (counter "journal.durable_seq") and
 * skipped, using the ring position each record carries (src_pos).
 *
 * Counters (region "audit", kind COUNTERS, shown by `alluse-shm counters`; kept in
 * process memory if the segment has no such region):
 *   journal.appended_seq journal.durable_seq journal.commits journal.bytes
 *   journal.torn_cut journal.corrupt journal.failed
 *   rings.count rings.records rings.bad rings.gaps rings.full
 *   pg.connected pg.shipped_seq pg.backlog pg.errors pg.rows audit.starts
 *   reported_full.<ring> (refusals already journaled, so a restart reports only new ones)
 *
 * Loop: audit_proc_do_work() never blocks; audit_proc_idle() waits (ppoll on the
 * journal's io_uring fd and the PostgreSQL socket) with a back-off from 20 us to
 * idle_max_us when there was nothing to do, so the process never busy-spins.
 */
#ifndef AUDIT_PROC_H
#define AUDIT_PROC_H

#include "rt/rt_err.h"
#include "shm/shm_segment.h"
#include "workers/audit/audit_journal.h"

#include <stdint.h>

#define AUDIT_DSN_MAX 512u
#define AUDIT_PATH_MAX 256u

/* Everything the audit process is configured with (the YAML keys of docs/audit.md). */
struct audit_cfg {
	char instance[AUDIT_INSTANCE_MAX]; /* segment to attach */
	char journal_dir[AUDIT_PATH_MAX]; /* audit.dir; default "var/audit/<instance>" */
	char pg_dsn[AUDIT_DSN_MAX]; /* audit.pg_dsn; "" = journal only */
	uint64_t rotate_bytes; /* audit.rotate_mb × 2^20; default 64 MiB */
	uint32_t commit_ms; /* audit.commit_ms; default 2 */
	uint32_t commit_records; /* audit.commit_records; default 8192 */
	uint32_t idle_max_us; /* audit.idle_max_us; default 1000 */
	uint32_t pg_batch_rows; /* audit.pg_batch_rows; default 10000 */
	uint32_t pg_retry_max_ms; /* audit.pg_retry_max_ms; default 5000 */
	uint32_t drain_ms; /* on stop: time given to ship the backlog; 2000 */
	audit_io_hook_fn io_hook; /* tests: fault injection around the write path */
	void *io_hook_arg;
};

/* Fault codes of the audit process's own records (source SHM_AUDIT_SRC_AUDIT,
 * kind SHM_AUDIT_FAULT; struct shm_audit_fault: code, arg, value, text). */
enum audit_fault_code {
	AUDIT_FAULT_TORN_CUT = 1, /* value: offset cut at, arg: bytes cut, text: file */
	AUDIT_FAULT_CORRUPT = 2, /* value: jseq of the bad record, arg: offset, text: file */
	AUDIT_FAULT_FILE_REMOVED = 3, /* text: file (incomplete header) */
	AUDIT_FAULT_RING_BAD = 4, /* value: ring position, arg: source */
	AUDIT_FAULT_RING_GAP = 5, /* value: src_seq received, arg: source */
	AUDIT_FAULT_RING_FULL = 6, /* value: records refused since last seen, arg: source */
};

/* Compiled-in defaults (journal_dir from instance). */
void audit_cfg_defaults(struct audit_cfg *c, const char *instance);

struct audit_proc; /* opaque */

/* Open the journal (repairing a torn tail), find the audit rings, skip what is
 * already journaled, record the repairs as the audit process's own fault records,
 * and prepare shipping. -ENOENT: the segment has no audit ring (nothing to do is
 * not an error: it starts and idles); journal errors as audit_journal_open. */
int audit_proc_open(struct audit_proc **out, struct shm_segment *seg, const struct audit_cfg *cfg,
		    struct rt_err *err);

/* One pass: rings -> journal, commits, shipping. Never blocks. Returns the work
 * done (>= 0) or, when the journal writer failed, its negative errno (fatal: exit). */
int audit_proc_do_work(struct audit_proc *p, struct rt_err *err);

/* Wait for something to do (work: what the last do_work returned). */
void audit_proc_idle(struct audit_proc *p, int work);

/* Until stop() returns non-zero (or a fatal error): do_work + idle; then drain:
 * journal what the rings hold, commit, and give shipping up to drain_ms. */
int audit_proc_run(struct audit_proc *p, int (*stop)(void), struct rt_err *err);

struct audit_proc_stats {
	uint32_t rings;
	uint64_t records; /* taken from the rings by this process */
	uint64_t appended_seq, durable_seq;
	uint64_t pg_shipped_seq;
	int pg_connected;
};
void audit_proc_stats(const struct audit_proc *p, struct audit_proc_stats *st);

void audit_proc_close(struct audit_proc *p);

#endif
