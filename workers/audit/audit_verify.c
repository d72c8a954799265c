#include "workers/audit/audit_verify.h"

#include "workers/audit/audit_chain.h"
#include "workers/audit/audit_pg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PG_CHUNK 10000

static uint64_t be64(const char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | (uint8_t)p[i];
	return v;
}

static uint32_t be32(const char *p)
{
	return ((uint32_t)(uint8_t)p[0] << 24) | ((uint32_t)(uint8_t)p[1] << 16) |
	       ((uint32_t)(uint8_t)p[2] << 8) | (uint32_t)(uint8_t)p[3];
}

static int verify_journal(const char *dir, struct audit_verify_result *res, struct rt_err *err)
{
	struct audit_jreader *r;
	int rc = audit_jreader_open(&r, dir, err);
	if (rc)
		return rc;
	uint8_t running[AUDIT_HASH_SIZE] = {0};
	char cur_file[AUDIT_FILE_NAME_MAX] = "";
	res->journal_ok = 1;
	for (;;) {
		struct audit_rec_view v;
		struct audit_jloc loc;
		struct rt_err e = {0};
		int n = audit_jreader_next(r, &v, &loc, &e);
		if (n < 0) {
			if (n != -EBADMSG) {
				audit_jreader_close(r);
				return rt_err_set(err, n, "%s", e.msg);
			}
			res->journal_ok = 0;
			res->bad = loc;
			snprintf(res->why, sizeof(res->why), "%s", e.msg);
			break;
		}
		if (n == 0) {
			res->torn_bytes = audit_jreader_trailing(r, &res->torn);
			break;
		}
		if (strcmp(loc.file, cur_file) != 0) {
			const struct audit_file_hdr *fh = audit_jreader_file_hdr(r);
			if (res->files == 0) {
				memcpy(running, fh->prev_hash, AUDIT_HASH_SIZE);
				res->first_jseq = fh->first_jseq;
				snprintf(res->instance, sizeof(res->instance), "%s", fh->instance);
			} else if (memcmp(running, fh->prev_hash, AUDIT_HASH_SIZE) != 0) {
				res->journal_ok = 0;
				res->bad = loc;
				res->bad.off = 0;
				snprintf(res->why, sizeof(res->why),
					 "record %llu (file %s/%s, header): the file's "
					 "previous-hash is not "
					 "the hash of record %llu: the chain is broken between "
					 "files",
					 (unsigned long long)loc.jseq, dir, loc.file,
					 (unsigned long long)(loc.jseq - 1));
				break;
			} else if (strcmp(res->instance, fh->instance) != 0) {
				res->journal_ok = 0;
				res->bad = loc;
				res->bad.off = 0;
				snprintf(res->why, sizeof(res->why),
					 "file %s/%s belongs to instance '%s', the journal to '%s'",
					 dir, loc.file, fh->instance, res->instance);
				break;
			}
			snprintf(cur_file, sizeof(cur_file), "%s", loc.file);
			res->files++;
		}
		uint8_t h[AUDIT_HASH_SIZE];
		audit_chain_hash(running, &v.h, v.payload, h);
		if (memcmp(h, v.h.hash, AUDIT_HASH_SIZE) != 0) {
			char a[65], b[65];
			res->journal_ok = 0;
			res->bad = loc;
			snprintf(res->why, sizeof(res->why),
				 "record %llu (file %s/%s, offset %llu): hash chain broken: stored "
				 "%s, "
				 "computed %s (this record's content, or its predecessor's hash, "
				 "was "
				 "changed)",
				 (unsigned long long)loc.jseq, dir, loc.file,
				 (unsigned long long)loc.off, audit_hash_hex(v.h.hash, a),
				 audit_hash_hex(h, b));
			break;
		}
		memcpy(running, v.h.hash, AUDIT_HASH_SIZE);
		res->records++;
		res->last_jseq = v.h.jseq;
	}
	memcpy(res->head, running, AUDIT_HASH_SIZE);
	audit_jreader_close(r);
	return 0;
}

struct pg_cursor {
	PGconn *c;
	PGresult *res;
	int row, nrows;
	uint64_t after;
	int done;
	const char *instance;
};

/* The next PostgreSQL row (1), none left (0), or an error (<0). */
static int pg_next(struct pg_cursor *pc, struct rt_err *err)
{
	if (pc->res && pc->row < pc->nrows)
		return 1;
	if (pc->done)
		return 0;
	PQclear(pc->res);
	pc->res = NULL;
	char after[32];
	snprintf(after, sizeof(after), "%llu", (unsigned long long)pc->after);
	const char *params[2] = {pc->instance, after};
	pc->res = PQexecParams(
		pc->c,
		"SELECT jseq, source, src_seq, kind, event_ns, recv_ns, emit_ns, lat, "
		"payload, hash, crc FROM audit_record WHERE instance = $1 AND jseq > $2 "
		"ORDER BY jseq LIMIT 10000",
		2, NULL, params, NULL, NULL, 1);
	if (PQresultStatus(pc->res) != PGRES_TUPLES_OK)
		return rt_err_set(err, -EIO, "reading audit_record: %s",
				  PQresultErrorMessage(pc->res));
	pc->row = 0;
	pc->nrows = PQntuples(pc->res);
	if (pc->nrows < PG_CHUNK)
		pc->done = 1;
	return pc->nrows > 0;
}

/* Compare row pc->row with v; NULL if equal, else the first differing column. */
static const char *pg_diff(const struct pg_cursor *pc, const struct audit_rec_view *v)
{
	PGresult *r = pc->res;
	int i = pc->row;
	if (be32(PQgetvalue(r, i, 1)) != v->h.source)
		return "source";
	if (be64(PQgetvalue(r, i, 2)) != v->h.src_seq)
		return "src_seq";
	if (((uint16_t)(((uint8_t)PQgetvalue(r, i, 3)[0] << 8) |
			(uint8_t)PQgetvalue(r, i, 3)[1])) != v->h.kind)
		return "kind";
	if (be64(PQgetvalue(r, i, 4)) != v->h.event_ns)
		return "event_ns";
	if (be64(PQgetvalue(r, i, 5)) != v->h.recv_ns)
		return "recv_ns";
	if (be64(PQgetvalue(r, i, 6)) != v->h.emit_ns)
		return "emit_ns";
	if ((uint32_t)PQgetlength(r, i, 7) != 8u * v->h.nlat ||
	    memcmp(PQgetvalue(r, i, 7), v->lat, 8u * v->h.nlat) != 0)
		return "lat";
	if ((uint32_t)PQgetlength(r, i, 8) != v->h.plen ||
	    memcmp(PQgetvalue(r, i, 8), v->payload, v->h.plen) != 0)
		return "payload";
	if (PQgetlength(r, i, 9) != AUDIT_HASH_SIZE ||
	    memcmp(PQgetvalue(r, i, 9), v->h.hash, AUDIT_HASH_SIZE) != 0)
		return "hash";
	if (be64(PQgetvalue(r, i, 10)) != v->h.crc)
		return "crc";
	return NULL;
}

static int verify_pg(const char *dir, const char *dsn, struct audit_verify_result *res,
		     struct rt_err *err)
{
	PGconn *c;
	int rc = audit_pg_connect_sync(&c, dsn, err);
	if (rc)
		return rc;
	res->pg_checked = 1;
	res->pg_ok = 0;
	PGresult *t = PQexec(c, "SELECT to_regclass('audit_record') IS NOT NULL");
	int have = PQresultStatus(t) == PGRES_TUPLES_OK && PQgetvalue(t, 0, 0)[0] == 't';
	PQclear(t);
	if (!have) {
		snprintf(res->pg_why, sizeof(res->pg_why),
			 "postgresql has no audit_record table (the audit process never shipped "
			 "there)");
		PQfinish(c);
		return 0;
	}
	struct audit_jreader *r;
	rc = audit_jreader_open(&r, dir, err);
	if (rc) {
		PQfinish(c);
		return rc;
	}
	struct pg_cursor pc = {.c = c, .instance = res->instance};
	uint64_t upto = res->journal_ok ? UINT64_MAX : res->last_jseq;
	for (;;) {
		struct audit_rec_view v;
		int n = audit_jreader_next(r, &v, NULL, NULL);
		int have_j = n == 1 && v.h.jseq <= upto;
		int p = pg_next(&pc, err);
		if (p < 0) {
			rc = p;
			break;
		}
		if (!have_j && !p) {
			res->pg_ok = 1;
			break;
		}
		uint64_t pj = p ? be64(PQgetvalue(pc.res, pc.row, 0)) : 0;
		if (!have_j) {
			res->pg_bad_jseq = pj;
			snprintf(res->pg_why, sizeof(res->pg_why),
				 "postgresql holds record %llu, which the journal does not have",
				 (unsigned long long)pj);
			break;
		}
		if (!p || pj > v.h.jseq) {
			res->pg_bad_jseq = v.h.jseq;
			if (!p)
				snprintf(
					res->pg_why, sizeof(res->pg_why),
					"record %llu is missing in postgresql (it holds %llu rows "
					"of this "
					"instance, up to record %llu: the rest is not shipped yet)",
					(unsigned long long)v.h.jseq,
					(unsigned long long)res->pg_rows,
					(unsigned long long)pc.after);
			else
				snprintf(res->pg_why, sizeof(res->pg_why),
					 "record %llu is missing in postgresql (next row there: "
					 "%llu)",
					 (unsigned long long)v.h.jseq, (unsigned long long)pj);
			break;
		}
		if (pj < v.h.jseq) {
			res->pg_bad_jseq = pj;
			snprintf(res->pg_why, sizeof(res->pg_why),
				 "postgresql holds record %llu, which the journal does not have",
				 (unsigned long long)pj);
			break;
		}
		const char *d = pg_diff(&pc, &v);
		if (d) {
			res->pg_bad_jseq = pj;
			snprintf(res->pg_why, sizeof(res->pg_why),
				 "record %llu differs in postgresql: column %s",
				 (unsigned long long)pj, d);
			break;
		}
		res->pg_rows++;
		pc.after = pj;
		pc.row++;
	}
	PQclear(pc.res);
	audit_jreader_close(r);
	PQfinish(c);
	return rc;
}

int audit_verify(const char *dir, const char *dsn, FILE *out, struct audit_verify_result *res,
		 struct rt_err *err)
{
	memset(res, 0, sizeof(*res));
	int rc = verify_journal(dir, res, err);
	if (rc)
		return rc;
	if (out) {
		char hx[65];
		if (res->journal_ok)
			fprintf(out,
				"journal %s: %llu records in %u files (sequences %llu..%llu, "
				"instance "
				"'%s'): every CRC32C and the hash chain check out; head %s\n",
				dir, (unsigned long long)res->records, res->files,
				(unsigned long long)res->first_jseq,
				(unsigned long long)res->last_jseq, res->instance,
				audit_hash_hex(res->head, hx));
		else
			fprintf(out, "journal %s: BAD: %s\n  (%llu valid records before it)\n", dir,
				res->why, (unsigned long long)res->records);
		if (res->torn_bytes)
			fprintf(out,
				"journal %s: warning: torn tail: %llu bytes at %s offset %llu "
				"after record "
				"%llu (a crash mid-write; the audit process cuts them when it "
				"starts)\n",
				dir, (unsigned long long)res->torn_bytes, res->torn.file,
				(unsigned long long)res->torn.off,
				(unsigned long long)(res->torn.jseq ? res->torn.jseq - 1 : 0));
	}
	if (dsn && *dsn) {
		rc = verify_pg(dir, dsn, res, err);
		if (rc)
			return rc;
		if (out) {
			if (res->pg_ok)
				fprintf(out,
					"postgresql: %llu rows of instance '%s', exactly the "
					"journal's "
					"records\n",
					(unsigned long long)res->pg_rows, res->instance);
			else
				fprintf(out, "postgresql: BAD: %s\n", res->pg_why);
		}
	}
	return res->journal_ok && (!res->pg_checked || res->pg_ok) ? 0 : 1;
}
