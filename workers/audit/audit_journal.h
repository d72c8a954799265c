/*
 * audit_journal.h — the append-only journal: writer (the audit process only) and
 * reader (verify, show, tail, digest, the PostgreSQL shipper, start-up).
 *
 * Writer. Records are framed (CRC32C, hash chain) into one of two buffers; a
 * buffer is committed as one io_uring write linked to an fdatasync, at most
 * commit_ms after its first record or as soon as it holds commit_records records
 * (group commit). One commit is in flight at a time, so the file only ever grows
 * by whole committed buffers in order (no holes after a crash). When a commit
 * completes, on_durable() is called once per source with the ring position just
 * after its last record in that commit, then the durable sequence moves. Segment
 * files rotate when the next record would pass rotate_bytes.
 *
 * Opening the writer checks the tail of the last file: bytes after the last valid
 * record that hold no valid record (a torn write) are cut (ftruncate + fsync) and
 * reported; every record before them is kept. An invalid record followed by valid
 * ones (corruption, not a torn write) is reported, never cut: the writer appends
 * after the last valid record. A last file whose header is incomplete (a crash
 * during rotation) is removed and reported.
 *
 * A failed write or fdatasync is fatal: the journal truncates the file back to the
 * last durable byte (best effort), remembers the error, and every later call
 * returns it. The page cache cannot be trusted after a failed fdatasync, so it is
 * never retried; the process exits and the records still in the rings are
 * journaled again by the next audit process.
 *
 * Not thread-safe: one thread drives a writer. Allocates only in open.
 */
#ifndef AUDIT_JOURNAL_H
#define AUDIT_JOURNAL_H

#include "rt/rt_err.h"
#include "rt/rt_hist.h"
#include "workers/audit/audit_rec.h"

#include <stdint.h>

#define AUDIT_ROTATE_DEFAULT (64ull << 20)
#define AUDIT_COMMIT_MS_DEFAULT 2u
#define AUDIT_COMMIT_RECORDS_DEFAULT 8192u
#define AUDIT_BUF_DEFAULT (4u << 20)

/* Test hook around the write path: called with each write/fdatasync result; a
 * non-zero return (a negative errno) replaces the result. nth counts from 1 per op. */
enum audit_io_op { AUDIT_IO_WRITE = 1, AUDIT_IO_FSYNC = 2 };
typedef int (*audit_io_hook_fn)(void *arg, enum audit_io_op op, uint64_t nth, int res);
typedef void (*audit_durable_fn)(void *arg, uint32_t source, uint64_t src_pos);

struct audit_journal_cfg {
	const char *dir; /* created (one level) if missing */
	const char *instance; /* written in every file header */
	uint64_t rotate_bytes; /* 0: AUDIT_ROTATE_DEFAULT */
	uint32_t commit_ms; /* group commit delay; 0: commit as soon as possible */
	uint32_t commit_records; /* 0: AUDIT_COMMIT_RECORDS_DEFAULT */
	uint32_t buf_bytes; /* per buffer; 0: AUDIT_BUF_DEFAULT */
	audit_io_hook_fn io_hook; /* tests: fault injection (NULL: none) */
	void *io_hook_arg;
	audit_durable_fn on_durable; /* NULL: none */
	void *durable_arg;
	struct rt_hist *commit_hist; /* optional: ns from write submit to fdatasync done */
	struct rt_hist *record_hist; /* optional: ns from recv_ns to durable, per record */
};

/* What opening found and did. */
struct audit_journal_report {
	uint32_t files;
	uint64_t last_jseq; /* last valid record (0: empty journal) */
	int torn_cut; /* 1: a torn tail was cut */
	uint64_t torn_off, torn_bytes, torn_jseq;
	char torn_file[AUDIT_FILE_NAME_MAX];
	char torn_why[160];
	int header_removed; /* 1: a last file with an incomplete header was removed */
	char removed_file[AUDIT_FILE_NAME_MAX];
	int corrupt; /* 1: an invalid record sits before valid ones */
	uint64_t corrupt_jseq, corrupt_off;
	char corrupt_file[AUDIT_FILE_NAME_MAX];
	char corrupt_why[160];
};

/* One record to append (the journal assigns jseq, hash, CRC). */
struct audit_rec_in {
	uint32_t source;
	uint32_t kind;
	uint64_t src_seq;
	uint64_t event_ns;
	uint64_t recv_ns;
	uint64_t emit_ns;
	uint64_t src_pos;
	uint32_t nlat;
	const uint64_t *lat;
	uint32_t plen;
	const void *payload;
};

struct audit_journal_stats {
	uint64_t appended_seq; /* last jseq appended (maybe not durable) */
	uint64_t durable_seq; /* last jseq made durable */
	uint64_t commits;
	uint64_t bytes; /* bytes made durable by this writer */
	uint64_t files_created;
	uint64_t file_first_jseq; /* first jseq of the current file */
};

struct audit_journal; /* opaque */

/* Open for writing (repairing the tail, see above). 0, or -errno: -ENOTDIR/-EACCES
 * on the directory, -EBADMSG when the last file cannot be made sense of, -ENOMEM,
 * or io_uring set-up errors. rep may be NULL. */
int audit_journal_open(struct audit_journal **out, const struct audit_journal_cfg *cfg,
		       struct audit_journal_report *rep, struct rt_err *err);

/* Frame and buffer one record. 0 (*jseq set if non-NULL); -ENOBUFS: no room until
 * a commit completes (call poll, then retry); -EMSGSIZE: payload/lat too large;
 * -EIO (or the first failure's errno): the writer has failed. */
int audit_journal_append(struct audit_journal *j, const struct audit_rec_in *in, uint64_t *jseq);

/* Drive the writer without blocking: reap completions (calling on_durable), then
 * submit the next commit if one is due at now_ns. Returns how many things happened
 * (>= 0), or the failure's negative errno with the reason in err. */
int audit_journal_poll(struct audit_journal *j, uint64_t now_ns, struct rt_err *err);

/* Commit everything appended and wait until it is durable (shutdown, tests).
 * 0 or the failure's negative errno. */
int audit_journal_flush(struct audit_journal *j, struct rt_err *err);

/* The io_uring file descriptor: readable when a completion waits (for poll). */
int audit_journal_fd(const struct audit_journal *j);
/* Monotonic ns when the pending buffer's commit is due (UINT64_MAX: nothing pending
 * or a commit is in flight: wait on the fd instead). */
uint64_t audit_journal_deadline(const struct audit_journal *j);
void audit_journal_stats(const struct audit_journal *j, struct audit_journal_stats *st);
/* Hash of the last appended record (chain head). */
void audit_journal_head(const struct audit_journal *j, uint8_t out[AUDIT_HASH_SIZE]);

/* Close: waits for an in-flight commit, does NOT commit pending records (call
 * flush first for that). NULL-safe. */
void audit_journal_close(struct audit_journal *j);

/* ---- reader ------------------------------------------------------------------- */

/* Where a record is. */
struct audit_jloc {
	char file[AUDIT_FILE_NAME_MAX];
	uint64_t off;
	uint64_t jseq; /* the record's, or the one expected at a bad spot */
};

struct audit_jreader; /* opaque */

/* Open a journal directory for reading. -ENOENT if dir does not exist (an empty
 * directory is a journal with no records). */
int audit_jreader_open(struct audit_jreader **out, const char *dir, struct rt_err *err);
void audit_jreader_close(struct audit_jreader *r);

/* Position so the next record returned is jseq (or the first after it if the
 * journal starts later). 0, -ENOENT (no file holds it yet: next returns 0 until it
 * exists), or a read error. */
int audit_jreader_seek(struct audit_jreader *r, uint64_t jseq, struct rt_err *err);

/* Next record. 1: v/loc filled (v points into the reader's buffer, valid until the
 * next call). 0: no more complete records now (more may come: call again later).
 * -EBADMSG: an invalid record, a sequence break, a bad file header or a file that
 * ends mid-record although a later file exists; loc and err name it precisely. */
int audit_jreader_next(struct audit_jreader *r, struct audit_rec_view *v, struct audit_jloc *loc,
		       struct rt_err *err);

/* Bytes after the last complete record of the last file (a torn tail the writer
 * will cut on start), and where they begin. Meaningful after next returned 0. */
uint64_t audit_jreader_trailing(const struct audit_jreader *r, struct audit_jloc *loc);

/* The file header of the file the last record came from. */
const struct audit_file_hdr *audit_jreader_file_hdr(const struct audit_jreader *r);

#endif
