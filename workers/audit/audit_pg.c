#include "workers/audit/audit_pg.h"

#include "rt/rt_clock.h"
#include "rt/rt_log.h"
#include "workers/audit/audit_journal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum pg_state {
	S_DOWN = 0,
	S_CONNECTING,
	S_SETUP1, /* BEGIN; lock; schema_version; SELECT max(version) */
	S_SETUP2, /* the missing migrations; COMMIT */
	S_RESUME, /* SELECT max(jseq) */
	S_IDLE,
	S_COPY_START,
	S_COPY_SEND,
	S_COPY_END,
};

struct audit_pg {
	char *dsn;
	char instance[AUDIT_INSTANCE_MAX];
	char journal_dir[512];
	uint32_t batch_rows;
	uint64_t retry_min_ns, retry_max_ns, connect_timeout_ns;

	enum pg_state state;
	PGconn *conn;
	short want; /* POLLIN / POLLOUT */
	int flushing;
	uint64_t retry_at;
	uint64_t backoff_ns;
	uint64_t deadline; /* connect timeout */
	uint64_t idle_until; /* idle: no batch before this (nothing was readable) */
	int64_t value; /* last single-value SELECT result */
	int result_error;

	struct audit_jreader *reader;
	uint64_t read_next; /* next jseq the reader returns */
	struct audit_pg_buf copy;
	size_t sent;
	uint64_t batch_last;
	uint64_t batch_rows_n;

	struct audit_pg_stats st;
};

/* ---- binary COPY encoding --------------------------------------------------------- */

static int grow(struct audit_pg_buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t nc = b->cap ? b->cap : 65536;
	while (nc < b->len + more)
		nc *= 2;
	uint8_t *np = realloc(b->p, nc);
	if (!np)
		return -ENOMEM;
	b->p = np;
	b->cap = nc;
	return 0;
}

static void put16(struct audit_pg_buf *b, uint16_t v)
{
	b->p[b->len++] = (uint8_t)(v >> 8);
	b->p[b->len++] = (uint8_t)v;
}

static void put32(struct audit_pg_buf *b, uint32_t v)
{
	for (int i = 3; i >= 0; i--)
		b->p[b->len++] = (uint8_t)(v >> (8 * i));
}

static void put64(struct audit_pg_buf *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--)
		b->p[b->len++] = (uint8_t)(v >> (8 * i));
}

static void put_bytes(struct audit_pg_buf *b, const void *p, uint32_t n)
{
	put32(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put_i64(struct audit_pg_buf *b, uint64_t v)
{
	put32(b, 8);
	put64(b, v);
}

int audit_pg_copy_header(struct audit_pg_buf *b)
{
	static const uint8_t SIG[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};
	if (grow(b, 19))
		return -ENOMEM;
	memcpy(b->p + b->len, SIG, sizeof(SIG));
	b->len += sizeof(SIG);
	put32(b, 0); /* flags: no OIDs */
	put32(b, 0); /* header extension length */
	return 0;
}

int audit_pg_copy_row(struct audit_pg_buf *b, const char *instance, const struct audit_rec_view *v)
{
	uint32_t ilen = (uint32_t)strlen(instance);
	size_t need =
		2 + 12 * 4 + ilen + 7 * 8 + 4 + 2 + 8 * v->h.nlat + v->h.plen + AUDIT_HASH_SIZE + 8;
	if (grow(b, need))
		return -ENOMEM;
	put16(b, 12);
	put_bytes(b, instance, ilen);
	put_i64(b, v->h.jseq);
	put32(b, 4);
	put32(b, v->h.source);
	put_i64(b, v->h.src_seq);
	put32(b, 2);
	put16(b, v->h.kind);
	put_i64(b, v->h.event_ns);
	put_i64(b, v->h.recv_ns);
	put_i64(b, v->h.emit_ns);
	put_bytes(b, v->lat, 8u * v->h.nlat); /* little-endian u64s, as in the journal */
	put_bytes(b, v->payload, v->h.plen);
	put_bytes(b, v->h.hash, AUDIT_HASH_SIZE);
	put_i64(b, v->h.crc);
	return 0;
}

int audit_pg_copy_trailer(struct audit_pg_buf *b)
{
	if (grow(b, 2))
		return -ENOMEM;
	put16(b, 0xffff);
	return 0;
}

/* ---- SQL shared by the shipper and the blocking helpers ------------------------------ */

static const char SQL_SETUP1[] =
	"SET client_min_messages = warning; "
	"BEGIN; "
	/* one key for every migrating audit process (instances may share a database):
	 * migrations run one at a time */
	"SELECT pg_advisory_xact_lock(727001); "
	"CREATE TABLE IF NOT EXISTS schema_version ("
	" version integer PRIMARY KEY,"
	" name text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now()); "
	"SELECT coalesce(max(version), 0) FROM schema_version";

static const char SQL_RESUME[] =
	"SELECT coalesce(max(jseq), 0) FROM audit_record WHERE instance = $1";

/* The migrations newer than `have`, each followed by its schema_version row, then
 * COMMIT (closing the transaction SQL_SETUP1 opened). malloc'd, or NULL. */
static char *sql_setup2(int have)
{
	unsigned n;
	const struct audit_migration *m = audit_migrations(&n);
	size_t len = 64;
	for (unsigned i = 0; i < n; i++)
		len += strlen(m[i].sql) + strlen(m[i].name) + 128;
	char *s = malloc(len);
	if (!s)
		return NULL;
	size_t off = 0;
	for (unsigned i = 0; i < n; i++) {
		if (m[i].version <= have)
			continue;
		off += (size_t)snprintf(
			s + off, len - off,
			"%s;\nINSERT INTO schema_version (version, name) VALUES (%d, '%s');\n",
			m[i].sql, m[i].version, m[i].name);
	}
	snprintf(s + off, len - off, "COMMIT");
	return s;
}

/* ---- state machine ------------------------------------------------------------------ */

static void clean_msg(char *dst, size_t n, const char *src);

/* Server notices and warnings go to our log, not raw to stderr. */
static void on_notice(void *arg, const char *message)
{
	(void)arg;
	char m[300];
	clean_msg(m, sizeof(m), message);
	rt_log_warn("postgresql notice", "message=\"%s\"", m);
}

static void clean_msg(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
	for (char *p = dst; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '"')
			*p = *p == '"' ? '\'' : ' ';
	size_t l = strlen(dst);
	while (l && dst[l - 1] == ' ')
		dst[--l] = '\0';
}

static void go_down(struct audit_pg *s, uint64_t now, const char *what, const char *detail)
{
	char d[200];
	clean_msg(d, sizeof(d), detail ? detail : (s->conn ? PQerrorMessage(s->conn) : ""));
	snprintf(s->st.last_error, sizeof(s->st.last_error), "%s: %s", what, d);
	if (s->conn)
		PQfinish(s->conn);
	s->conn = NULL;
	s->st.errors++;
	int was = s->st.connected;
	s->st.connected = 0;
	s->state = S_DOWN;
	s->want = 0;
	s->flushing = 0;
	s->retry_at = now + s->backoff_ns;
	rt_log_warn(was ? "postgresql connection lost" : "postgresql unavailable",
		    "error=\"%s\" retry_in_ms=%llu shipped_seq=%llu", s->st.last_error,
		    (unsigned long long)(s->backoff_ns / 1000000),
		    (unsigned long long)s->st.shipped_seq);
	s->backoff_ns *= 2;
	if (s->backoff_ns > s->retry_max_ns)
		s->backoff_ns = s->retry_max_ns;
}

/* Send what libpq buffered; sets want. 0 ok (maybe still flushing), -1 error. */
static int flush_out(struct audit_pg *s)
{
	int r = PQflush(s->conn);
	if (r < 0)
		return -1;
	s->flushing = r == 1;
	s->want = r == 1 ? (POLLIN | POLLOUT) : POLLIN;
	return 0;
}

static int send_query(struct audit_pg *s, const char *sql, enum pg_state next)
{
	if (!PQsendQuery(s->conn, sql))
		return -1;
	s->state = next;
	s->value = 0;
	s->result_error = 0;
	return flush_out(s);
}

/* Pull every available result of the current query. 1: the query finished (check
 * s->result_error), 0: more to come, -1: connection error. on_copy_in: stop at a
 * PGRES_COPY_IN result (returns 2). */
static int pull_results(struct audit_pg *s, short revents, int copy_in, char *err, size_t errn)
{
	if (s->flushing && (revents & POLLOUT) && flush_out(s))
		return -1;
	if ((revents & (POLLIN | POLLERR | POLLHUP)) && !PQconsumeInput(s->conn))
		return -1;
	while (!PQisBusy(s->conn)) {
		PGresult *res = PQgetResult(s->conn);
		if (!res)
			return 1;
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_COPY_IN && copy_in) {
			PQclear(res);
			return 2;
		}
		if (st == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) == 1)
			s->value = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			if (!s->result_error)
				clean_msg(err, errn, PQresultErrorMessage(res));
			s->result_error = 1;
		}
		PQclear(res);
	}
	return 0;
}

/* Read records [shipped+1, min(durable, shipped+batch)] into the COPY buffer. */
static int build_batch(struct audit_pg *s, uint64_t durable, char *err, size_t errn)
{
	struct rt_err e = {0};
	uint64_t from = s->st.shipped_seq + 1;
	if (!s->reader) {
		if (audit_jreader_open(&s->reader, s->journal_dir, &e) != 0) {
			snprintf(err, errn, "%s", e.msg);
			return -1;
		}
		s->read_next = 0;
	}
	if (s->read_next != from) {
		int rc = audit_jreader_seek(s->reader, from, &e);
		if (rc) {
			snprintf(err, errn, "seeking the journal to %llu: %s",
				 (unsigned long long)from,
				 rc == -ENOENT ? "no journal file" : e.msg);
			return -1;
		}
		s->read_next = from;
	}
	uint64_t last = durable;
	if (last - s->st.shipped_seq > s->batch_rows)
		last = s->st.shipped_seq + s->batch_rows;
	s->copy.len = 0;
	if (audit_pg_copy_header(&s->copy))
		return -1;
	uint64_t n = 0;
	while (s->read_next <= last) {
		struct audit_rec_view v;
		int rc = audit_jreader_next(s->reader, &v, NULL, &e);
		if (rc < 0) {
			snprintf(err, errn, "reading the journal: %s", e.msg);
			s->read_next = 0;
			return -1;
		}
		if (rc == 0)
			break;
		if (audit_pg_copy_row(&s->copy, s->instance, &v))
			return -1;
		s->read_next = v.h.jseq + 1;
		n++;
	}
	if (audit_pg_copy_trailer(&s->copy))
		return -1;
	s->batch_last = s->read_next - 1;
	s->batch_rows_n = n;
	s->sent = 0;
	return n ? 0 : 1;
}

int audit_pg_step(struct audit_pg *s, uint64_t now, uint64_t durable, short revents)
{
	char err[1200] = "";
	int work = 0;
	for (int guard = 0; guard < 16; guard++) {
		int r;
		switch (s->state) {
		case S_DOWN:
			if (now < s->retry_at)
				return work;
			s->st.attempts++;
			s->conn = PQconnectStart(s->dsn);
			if (!s->conn || PQstatus(s->conn) == CONNECTION_BAD) {
				go_down(s, now, "connecting", NULL);
				return work + 1;
			}
			PQsetNoticeProcessor(s->conn, on_notice, NULL);
			s->state = S_CONNECTING;
			s->want = POLLOUT;
			s->deadline = now + s->connect_timeout_ns;
			revents = 0; /* PQconnectStart's contract: first wait until writable */
			work++;
			continue;
		case S_CONNECTING: {
			if (!(revents & (s->want | POLLERR | POLLHUP))) {
				if (now >= s->deadline)
					go_down(s, now, "connecting", "timed out");
				return work;
			}
			PostgresPollingStatusType p = PQconnectPoll(s->conn);
			work++;
			if (p == PGRES_POLLING_FAILED) {
				go_down(s, now, "connecting", NULL);
				return work;
			}
			if (p == PGRES_POLLING_READING || p == PGRES_POLLING_WRITING) {
				s->want = p == PGRES_POLLING_READING ? POLLIN : POLLOUT;
				return work;
			}
			if (PQsetnonblocking(s->conn, 1) != 0 ||
			    send_query(s, SQL_SETUP1, S_SETUP1) != 0) {
				go_down(s, now, "starting the schema migration", NULL);
				return work;
			}
			revents = 0;
			continue;
		}
		case S_SETUP1:
		case S_SETUP2:
		case S_RESUME:
			r = pull_results(s, revents, 0, err, sizeof(err));
			revents = 0;
			if (r < 0 || (r == 1 && s->result_error)) {
				go_down(s, now,
					s->state == S_RESUME ? "finding where to resume"
							     : "migrating the schema",
					r < 0 ? NULL : err);
				return work + 1;
			}
			if (r == 0)
				return work;
			work++;
			if (s->state == S_SETUP1) {
				char *sql = sql_setup2((int)s->value);
				if (!sql || send_query(s, sql, S_SETUP2) != 0) {
					free(sql);
					go_down(s, now, "migrating the schema",
						sql ? NULL : "out of memory");
					return work;
				}
				free(sql);
			} else if (s->state == S_SETUP2) {
				const char *params[1] = {s->instance};
				if (!PQsendQueryParams(s->conn, SQL_RESUME, 1, NULL, params, NULL,
						       NULL, 0)) {
					go_down(s, now, "finding where to resume", NULL);
					return work;
				}
				s->state = S_RESUME;
				s->value = 0;
				s->result_error = 0;
				if (flush_out(s)) {
					go_down(s, now, "finding where to resume", NULL);
					return work;
				}
			} else {
				uint64_t held = (uint64_t)s->value;
				if (held > durable) {
					/* someone else's rows, or a journal that lost records:
					 * shipping on top would hide it */
					snprintf(err, sizeof(err),
						 "postgresql holds records up to %llu for instance "
						 "'%s' but the "
						 "journal's durable end is %llu: not shipping (run "
						 "alluse-audit "
						 "verify --pg)",
						 (unsigned long long)held, s->instance,
						 (unsigned long long)durable);
					s->st.hold = 1;
					s->backoff_ns = s->retry_max_ns;
					go_down(s, now, "resuming", err);
					return work;
				}
				s->st.hold = 0;
				s->st.shipped_seq = held;
				s->st.connected = 1;
				s->backoff_ns = s->retry_min_ns;
				s->read_next = 0; /* re-seek the reader */
				s->state = S_IDLE;
				s->want = POLLIN;
				rt_log_info("postgresql connected", "instance=%s resume_after=%llu",
					    s->instance, (unsigned long long)held);
			}
			continue;
		case S_IDLE:
			if (revents & (POLLIN | POLLERR | POLLHUP)) {
				revents = 0;
				if (!PQconsumeInput(s->conn)) {
					go_down(s, now, "connection", NULL);
					return work + 1;
				}
				PGnotify *nf;
				while ((nf = PQnotifies(s->conn)))
					PQfreemem(nf);
			}
			if (durable <= s->st.shipped_seq || now < s->idle_until)
				return work;
			r = build_batch(s, durable, err, sizeof(err));
			if (r < 0) {
				go_down(s, now, "preparing a batch",
					err[0] ? err : "out of memory");
				return work + 1;
			}
			if (r > 0) {
				/* nothing readable yet although durable says so: look again
				 * shortly rather than at once */
				s->idle_until = now + 10000000ull;
				return work;
			}
			if (send_query(s,
				       "COPY audit_record (" AUDIT_PG_COPY_COLUMNS
				       ") FROM STDIN (FORMAT binary)",
				       S_COPY_START) != 0) {
				go_down(s, now, "starting a COPY", NULL);
				return work + 1;
			}
			work++;
			continue;
		case S_COPY_START:
			r = pull_results(s, revents, 1, err, sizeof(err));
			revents = 0;
			if (r < 0 || r == 1) {
				go_down(s, now, "starting a COPY", r < 0 ? NULL : err);
				return work + 1;
			}
			if (r == 0)
				return work;
			s->state = S_COPY_SEND;
			work++;
			continue;
		case S_COPY_SEND:
			while (s->sent < s->copy.len) {
				size_t n = s->copy.len - s->sent;
				if (n > 262144)
					n = 262144;
				r = PQputCopyData(s->conn, (const char *)s->copy.p + s->sent,
						  (int)n);
				if (r < 0) {
					go_down(s, now, "sending a batch", NULL);
					return work + 1;
				}
				if (r == 0) {
					s->want = POLLIN | POLLOUT;
					s->flushing = 1;
					return work;
				}
				s->sent += n;
				work++;
			}
			r = PQputCopyEnd(s->conn, NULL);
			if (r < 0) {
				go_down(s, now, "ending a batch", NULL);
				return work + 1;
			}
			if (r == 0) {
				s->want = POLLIN | POLLOUT;
				s->flushing = 1;
				return work;
			}
			s->state = S_COPY_END;
			s->result_error = 0;
			if (flush_out(s)) {
				go_down(s, now, "ending a batch", NULL);
				return work + 1;
			}
			revents = 0;
			continue;
		case S_COPY_END:
			r = pull_results(s, revents, 0, err, sizeof(err));
			revents = 0;
			if (r < 0 || (r == 1 && s->result_error)) {
				go_down(s, now, "committing a batch", r < 0 ? NULL : err);
				return work + 1;
			}
			if (r == 0)
				return work;
			s->st.shipped_seq = s->batch_last;
			s->st.rows += s->batch_rows_n;
			s->st.batches++;
			s->state = S_IDLE;
			s->want = POLLIN;
			work++;
			continue;
		}
	}
	return work;
}

int audit_pg_fd(const struct audit_pg *s, short *events)
{
	if (!s->conn || s->state == S_DOWN)
		return -1;
	*events = s->want ? s->want : POLLIN;
	return PQsocket(s->conn);
}

uint64_t audit_pg_deadline(const struct audit_pg *s, uint64_t durable)
{
	switch (s->state) {
	case S_DOWN:
		return s->retry_at;
	case S_CONNECTING:
		return s->deadline;
	case S_IDLE:
		return durable > s->st.shipped_seq ? s->idle_until : UINT64_MAX;
	case S_COPY_SEND:
		return s->flushing ? UINT64_MAX : 0;
	default:
		return UINT64_MAX;
	}
}

void audit_pg_stats(const struct audit_pg *s, struct audit_pg_stats *st)
{
	*st = s->st;
}

int audit_pg_open(struct audit_pg **out, const struct audit_pg_cfg *cfg, struct rt_err *err)
{
	*out = NULL;
	if (!cfg->dsn || !*cfg->dsn || !cfg->instance || !*cfg->instance || !cfg->journal_dir)
		return rt_err_set(err, -EINVAL,
				  "postgresql shipping needs a DSN, an instance and a journal");
	struct audit_pg *s = calloc(1, sizeof(*s));
	if (!s || !(s->dsn = strdup(cfg->dsn))) {
		free(s);
		return rt_err_set(err, -ENOMEM, "out of memory");
	}
	snprintf(s->instance, sizeof(s->instance), "%s", cfg->instance);
	snprintf(s->journal_dir, sizeof(s->journal_dir), "%s", cfg->journal_dir);
	s->batch_rows = cfg->batch_rows ? cfg->batch_rows : AUDIT_PG_BATCH_DEFAULT;
	s->retry_min_ns =
		(uint64_t)(cfg->retry_min_ms ? cfg->retry_min_ms : AUDIT_PG_RETRY_MIN_MS) *
		1000000ull;
	s->retry_max_ns =
		(uint64_t)(cfg->retry_max_ms ? cfg->retry_max_ms : AUDIT_PG_RETRY_MAX_MS) *
		1000000ull;
	if (s->retry_max_ns < s->retry_min_ns)
		s->retry_max_ns = s->retry_min_ns;
	s->connect_timeout_ns = (uint64_t)(cfg->connect_timeout_ms ? cfg->connect_timeout_ms
								   : AUDIT_PG_CONNECT_TIMEOUT_MS) *
				1000000ull;
	s->backoff_ns = s->retry_min_ns;
	s->state = S_DOWN;
	s->retry_at = 0;
	*out = s;
	return 0;
}

void audit_pg_close(struct audit_pg *s)
{
	if (!s)
		return;
	if (s->conn)
		PQfinish(s->conn);
	audit_jreader_close(s->reader);
	free(s->copy.p);
	free(s->dsn);
	free(s);
}

/* ---- blocking helpers ----------------------------------------------------------------- */

int audit_pg_connect_sync(PGconn **out, const char *dsn, struct rt_err *err)
{
	PGconn *c = PQconnectdb(dsn);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		char m[256];
		clean_msg(m, sizeof(m), c ? PQerrorMessage(c) : "out of memory");
		PQfinish(c);
		*out = NULL;
		return rt_err_set(err, -ECONNREFUSED, "connecting to postgresql: %s", m);
	}
	PQsetNoticeProcessor(c, on_notice, NULL);
	*out = c;
	return 0;
}

/* Run sql; every result must succeed. *value: the last single-value result. */
static int exec_all(PGconn *c, const char *sql, int64_t *value, struct rt_err *err)
{
	if (!PQsendQuery(c, sql)) {
		char m[256];
		clean_msg(m, sizeof(m), PQerrorMessage(c));
		return rt_err_set(err, -EIO, "%s", m);
	}
	int rc = 0;
	PGresult *res;
	while ((res = PQgetResult(c))) {
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) == 1 && value)
			*value = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !rc) {
			char m[256];
			clean_msg(m, sizeof(m), PQresultErrorMessage(res));
			rc = rt_err_set(err, -EIO, "%s", m);
		}
		PQclear(res);
	}
	return rc;
}

int audit_pg_migrate_sync(PGconn *c, struct rt_err *err)
{
	int64_t have = 0;
	int rc = exec_all(c, SQL_SETUP1, &have, err);
	if (rc) {
		exec_all(c, "ROLLBACK", NULL, NULL);
		return rt_err_wrap(err, "migrating the schema");
	}
	char *sql = sql_setup2((int)have);
	if (!sql) {
		exec_all(c, "ROLLBACK", NULL, NULL);
		return rt_err_set(err, -ENOMEM, "out of memory");
	}
	rc = exec_all(c, sql, NULL, err);
	free(sql);
	if (rc) {
		exec_all(c, "ROLLBACK", NULL, NULL);
		return rt_err_wrap(err, "migrating the schema");
	}
	return 0;
}

int audit_pg_schema_version_sync(PGconn *c, int *version, struct rt_err *err)
{
	int64_t v = 0;
	int rc = exec_all(c,
			  "SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN 0 ELSE "
			  "(SELECT coalesce(max(version), 0) FROM schema_version) END",
			  &v, err);
	*version = (int)v;
	return rc;
}
