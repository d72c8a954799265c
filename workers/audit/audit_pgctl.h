/*
 * audit_pgctl.h — a private, throw-away PostgreSQL server for the tests and the
 * benchmark (one copy of the harness: tests/support/pg_harness.c wraps it).
 *
 * initdb into a fresh temporary directory, then pg_ctl start with the socket in
 * that directory, a private port and no TCP listener (listen_addresses = ''), so it
 * never meets another server. PostgreSQL refuses to run as root: when we are root
 * (CI), every server command runs as the package's `postgres` user through
 * runuser(1), and the directory is chowned to it. destroy stops the server and
 * removes the directory.
 *
 * Binaries: $ALLUSE_PG_BINDIR, else /usr/lib/postgresql/<15..17>/bin. Cold path;
 * fork/exec and blocking waits.
 */
#ifndef AUDIT_PGCTL_H
#define AUDIT_PGCTL_H

#include "rt/rt_err.h"

#include <stddef.h>

struct audit_pgctl {
	char base[128]; /* the temporary directory (socket dir too) */
	char data[160]; /* base/data */
	char log[160]; /* base/server.log (the server's own log) */
	char cmdlog[160]; /* base/commands.log (initdb and pg_ctl output) */
	char bindir[128];
	int port;
	int as_postgres; /* 1: commands run as the postgres user */
	int running;
	int fsync_off;
	char dsn[320]; /* "host=<base> port=<port> user=alluse dbname=postgres" */
};

struct audit_pgctl_opts {
	int fsync_off; /* 1: -c fsync=off -c synchronous_commit=off (tests that do not
	                * measure the server's durability) */
};

/* 0 when a server can be started here, else -ENOENT/-EPERM with why (for a skip). */
int audit_pgctl_available(char *why, size_t n);

/* initdb + start. 0 or -errno with the command's output tail in err. */
int audit_pgctl_start(struct audit_pgctl *pg, const struct audit_pgctl_opts *o, struct rt_err *err);
/* pg_ctl stop -m fast (the data stays). */
int audit_pgctl_stop(struct audit_pgctl *pg, struct rt_err *err);
/* Start the stopped server again on the same data and port. */
int audit_pgctl_restart(struct audit_pgctl *pg, struct rt_err *err);
/* Stop if running, remove the directory. Safe on a zeroed or destroyed struct. */
void audit_pgctl_destroy(struct audit_pgctl *pg);

#endif
