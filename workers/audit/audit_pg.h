/*
 * audit_pg.h — shipping the journal to PostgreSQL (libpq), asynchronously.
 *
 * The shipper is a state machine driven by the audit process's loop; it never
 * blocks it: the connection is made with PQconnectStart/PQconnectPoll, every query
 * is sent in non-blocking mode, and the loop polls the socket (audit_pg_fd) with
 * everything else.
 *
 *   down --(retry time)--> connecting --> migrate (schema_version, db/migrations)
 *        --> resume (max(jseq) of this instance) --> idle <--> copy (one batch)
 *   any error: PQfinish, back to down, retry after retry_min_ms doubling up to
 *   retry_max_ms (reset after a successful resume).
 *
 * A batch is up to batch_rows durable records read back from the journal files
 * and sent as ONE `COPY audit_record FROM STDIN (FORMAT binary)` (one implicit
 * transaction: all rows or none). Only records the journal already made durable
 * are shipped, so PostgreSQL never holds a record the journal could lose.
 * Idempotence: (instance, jseq) is the table's primary key and the shipper always
 * resumes after the max(jseq) PostgreSQL holds for its instance, so a batch that
 * committed just before a crash or a reconnect is not sent again.
 *
 * libpq appears only here, in the verifier, the tests and the benchmark.
 */
#ifndef AUDIT_PG_H
#define AUDIT_PG_H

#include "rt/rt_err.h"
#include "workers/audit/audit_rec.h"

#include <libpq-fe.h>
#include <stdint.h>

#define AUDIT_PG_BATCH_DEFAULT 10000u
#define AUDIT_PG_RETRY_MIN_MS 100u
#define AUDIT_PG_RETRY_MAX_MS 5000u
#define AUDIT_PG_CONNECT_TIMEOUT_MS 5000u

struct audit_pg_cfg {
	const char *dsn; /* libpq connection string */
	const char *instance; /* rows are keyed (instance, jseq) */
	const char *journal_dir; /* where batches are read back from */
	uint32_t batch_rows; /* 0: AUDIT_PG_BATCH_DEFAULT */
	uint32_t retry_min_ms; /* 0: AUDIT_PG_RETRY_MIN_MS */
	uint32_t retry_max_ms; /* 0: AUDIT_PG_RETRY_MAX_MS */
	uint32_t connect_timeout_ms; /* 0: AUDIT_PG_CONNECT_TIMEOUT_MS */
};

struct audit_pg_stats {
	int connected; /* 1 once resumed, until the next error */
	uint64_t shipped_seq; /* last jseq PostgreSQL is known to hold */
	uint64_t attempts; /* connection attempts */
	uint64_t errors; /* failures (each one drops the connection) */
	uint64_t rows; /* rows shipped by this process */
	uint64_t batches;
	int hold; /* 1: PostgreSQL holds more than the journal: not shipping */
	char last_error[256];
};

struct audit_pg; /* opaque */

/* No I/O yet: the first step connects. -EINVAL (no dsn/instance/dir), -ENOMEM. */
int audit_pg_open(struct audit_pg **out, const struct audit_pg_cfg *cfg, struct rt_err *err);
void audit_pg_close(struct audit_pg *s);

/* Advance as far as possible without blocking. revents: what poll() reported for
 * audit_pg_fd (0 if nothing or not polled). Returns how much happened (>= 0);
 * failures are handled inside (logged, counted, retried), never returned. */
int audit_pg_step(struct audit_pg *s, uint64_t now_ns, uint64_t durable_seq, short revents);

/* The socket to poll and for what (POLLIN/POLLOUT), or -1 when none. */
int audit_pg_fd(const struct audit_pg *s, short *events);
/* Monotonic ns by which step wants to run again whatever the socket does
 * (retry time, connect timeout, or 0 when it has work now); UINT64_MAX: none. */
uint64_t audit_pg_deadline(const struct audit_pg *s, uint64_t durable_seq);
void audit_pg_stats(const struct audit_pg *s, struct audit_pg_stats *st);

/* ---- blocking helpers (verify, tests, benchmark) ------------------------------ */

/* Connect (blocking). 0 or -ECONNREFUSED with PQerrorMessage in err. */
int audit_pg_connect_sync(PGconn **out, const char *dsn, struct rt_err *err);
/* Apply the migrations PostgreSQL lacks (the same SQL the shipper sends). */
int audit_pg_migrate_sync(PGconn *c, struct rt_err *err);
/* Highest schema version applied (0: none). */
int audit_pg_schema_version_sync(PGconn *c, int *version, struct rt_err *err);

/* The embedded migrations (db/migrations/NNNN_name.sql, in order). */
struct audit_migration {
	int version;
	const char *name;
	const char *sql;
};
const struct audit_migration *audit_migrations(unsigned *n);

/* Append the binary COPY header / one tuple / the trailer to a growable buffer
 * (*buf realloc'd as needed). 0 or -ENOMEM. Columns: AUDIT_PG_COPY_COLUMNS. */
#define AUDIT_PG_COPY_COLUMNS                                                                      \
	"instance, jseq, source, src_seq, kind, event_ns, recv_ns, emit_ns, lat, payload, hash, "  \
	"crc"
struct audit_pg_buf {
	uint8_t *p;
	size_t len, cap;
};
int audit_pg_copy_header(struct audit_pg_buf *b);
int audit_pg_copy_row(struct audit_pg_buf *b, const char *instance, const struct audit_rec_view *v);
int audit_pg_copy_trailer(struct audit_pg_buf *b);

#endif
