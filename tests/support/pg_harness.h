/*
 * pg_harness.h — a private PostgreSQL server for a test program (wraps
 * workers/audit/audit_pgctl.h, the one copy of the harness, shared with the
 * benchmark).
 *
 *	int main(void) {
 *		pg_harness_require();          // exits 77 with the reason if it cannot run
 *		...cmocka_run_group_tests(tests, pg_harness_setup, pg_harness_teardown);
 *	}
 *
 * The server runs as the `postgres` user when the test runs as root, in a fresh
 * directory under /tmp with its socket there and no TCP listener; teardown stops it
 * and removes the directory.
 */
#ifndef PG_HARNESS_H
#define PG_HARNESS_H

#include "workers/audit/audit_pgctl.h"

/* Exit 77 (skip) with a message when PostgreSQL cannot be started here. */
void pg_harness_require(void);

/* cmocka group setup/teardown: start / destroy the server (fsync off: the tests
 * check the audit process, not the server's durability). */
int pg_harness_setup(void **state);
int pg_harness_teardown(void **state);

/* The running server (valid between setup and teardown). */
struct audit_pgctl *pg_harness(void);

#endif
