/*
 * audit_verify.h — `alluse-audit verify`: every record's CRC32C, the sequence and
 * the SHA-256 hash chain across all files of a journal, and, with a DSN, that
 * PostgreSQL holds exactly the journal's records for its instance (same rows, same
 * fields, nothing missing, nothing extra). The first problem is named precisely:
 * sequence, file, offset and what is wrong.
 *
 * A torn tail (bytes after the last record of the last file that do not make a
 * whole record: a crash mid-write, cut by the audit process when it next starts)
 * is reported as a warning, not a failure: nothing in it was ever durable.
 */
#ifndef AUDIT_VERIFY_H
#define AUDIT_VERIFY_H

#include "rt/rt_err.h"
#include "workers/audit/audit_journal.h"

#include <stdint.h>
#include <stdio.h>

struct audit_verify_result {
	uint64_t records; /* valid records read */
	uint64_t first_jseq, last_jseq;
	uint32_t files;
	char instance[AUDIT_INSTANCE_MAX];
	uint8_t head[AUDIT_HASH_SIZE]; /* hash of the last valid record */
	int journal_ok; /* 1: every record valid and chained */
	struct audit_jloc bad; /* the first bad record (journal_ok == 0) */
	char why[1100]; /* what was wrong with it */
	uint64_t torn_bytes; /* torn tail (warning) */
	struct audit_jloc torn;
	int pg_checked;
	int pg_ok; /* 1: PostgreSQL holds exactly the journal's records */
	uint64_t pg_rows;
	uint64_t pg_bad_jseq; /* first differing sequence */
	char pg_why[400];
};

/* Verify dir (and PostgreSQL when dsn is non-NULL/non-empty). Prints a report to
 * out (NULL: silent). Returns 0 when everything holds, 1 when a check failed (res
 * says which), or a negative errno when it could not check (missing directory,
 * PostgreSQL unreachable), with err set. */
int audit_verify(const char *dir, const char *dsn, FILE *out, struct audit_verify_result *res,
		 struct rt_err *err);

#endif
