#include "rt/rt_fs.h"
#include "workers/audit/audit_pgctl.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *runuser_path(void)
{
	static const char *const P[] = {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"};
	for (size_t i = 0; i < sizeof(P) / sizeof(P[0]); i++)
		if (access(P[i], X_OK) == 0)
			return P[i];
	return NULL;
}

static int find_bindir(char *out, size_t n)
{
	const char *env = getenv("ALLUSE_PG_BINDIR");
	char p[256];
	if (env && *env) {
		snprintf(p, sizeof(p), "%s/pg_ctl", env);
		if (access(p, X_OK) == 0) {
			snprintf(out, n, "%s", env);
			return 0;
		}
		return -ENOENT;
	}
	for (int v = 17; v >= 15; v--) {
		snprintf(p, sizeof(p), "/usr/lib/postgresql/%d/bin/pg_ctl", v);
		if (access(p, X_OK) == 0) {
			snprintf(out, n, "/usr/lib/postgresql/%d/bin", v);
			return 0;
		}
	}
	return -ENOENT;
}

int audit_pgctl_available(char *why, size_t n)
{
	char bindir[128];
	if (find_bindir(bindir, sizeof(bindir)) != 0) {
		snprintf(
			why, n,
			"PostgreSQL server binaries not found (/usr/lib/postgresql/<15..17>/bin or "
			"$ALLUSE_PG_BINDIR): apt-get install postgresql (or: make deps)");
		return -ENOENT;
	}
	if (geteuid() == 0) {
		if (!getpwnam("postgres")) {
			snprintf(why, n,
				 "running as root but there is no 'postgres' user to run the "
				 "server as (PostgreSQL refuses root)");
			return -EPERM;
		}
		if (!runuser_path()) {
			snprintf(why, n, "running as root but runuser(1) is missing");
			return -EPERM;
		}
	}
	return 0;
}

/* Run bindir/prog args... (as postgres when root), output appended to pg->log;
 * wait. 0, or -EIO with the log's tail in err. */
static int run(struct audit_pgctl *pg, const char *prog, const char *const args[],
	       struct rt_err *err)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", pg->bindir, prog);
	const char *argv[24];
	int k = 0;
	if (pg->as_postgres) {
		argv[k++] = runuser_path();
		argv[k++] = "-u";
		argv[k++] = "postgres";
		argv[k++] = "--";
	}
	argv[k++] = path;
	for (int i = 0; args[i] && k < 23; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return rt_err_set(err, -errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(pg->cmdlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return rt_err_set(err, -errno, "waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	char tail[512] = "";
	int fd = open(pg->cmdlog, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		off_t end = lseek(fd, 0, SEEK_END);
		off_t from = end > (off_t)sizeof(tail) - 1 ? end - (off_t)sizeof(tail) + 1 : 0;
		ssize_t n = pread(fd, tail, sizeof(tail) - 1, from);
		tail[n > 0 ? n : 0] = '\0';
		close(fd);
		for (char *p = tail; *p; p++)
			if (*p == '\n')
				*p = ' ';
	}
	return rt_err_set(err, -EIO, "%s failed (%s %d): %s", prog,
			  WIFEXITED(status) ? "exit" : "signal",
			  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), tail);
}

static int pg_start(struct audit_pgctl *pg, struct rt_err *err)
{
	char opts[400];
	snprintf(
		opts, sizeof(opts),
		"-p %d -k %s -c listen_addresses='' -c max_connections=40 -c shared_buffers=64MB%s",
		pg->port, pg->base,
		pg->fsync_off ? " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
			      : "");
	const char *args[] = {"-D", pg->data, "-l", pg->log, "-o", opts,
			      "-w", "-t",     "60", "start", NULL};
	int rc = run(pg, "pg_ctl", args, err);
	if (rc)
		return rt_err_wrap(err, "starting postgresql in %s", pg->base);
	pg->running = 1;
	return 0;
}

int audit_pgctl_start(struct audit_pgctl *pg, const struct audit_pgctl_opts *o, struct rt_err *err)
{
	memset(pg, 0, sizeof(*pg));
	char why[256];
	int rc = audit_pgctl_available(why, sizeof(why));
	if (rc)
		return rt_err_set(err, rc, "%s", why);
	find_bindir(pg->bindir, sizeof(pg->bindir));
	pg->as_postgres = geteuid() == 0;
	pg->fsync_off = o && o->fsync_off;
	snprintf(pg->base, sizeof(pg->base), "/tmp/alluse-pg.XXXXXX");
	if (!mkdtemp(pg->base)) {
		rc = -errno;
		pg->base[0] = '\0';
		return rt_err_set(err, rc, "mkdtemp: %s", strerror(-rc));
	}
	snprintf(pg->data, sizeof(pg->data), "%s/data", pg->base);
	snprintf(pg->log, sizeof(pg->log), "%s/server.log", pg->base);
	snprintf(pg->cmdlog, sizeof(pg->cmdlog), "%s/commands.log", pg->base);
	if (pg->as_postgres) {
		struct passwd *pw = getpwnam("postgres");
		if (!pw || chown(pg->base, pw->pw_uid, pw->pw_gid) != 0) {
			rc = rt_err_set(err, -EPERM, "chown %s to postgres: %s", pg->base,
					strerror(errno));
			goto fail;
		}
	}
	/* a private port: the socket lives in our own directory anyway */
	pg->port = 20000 + (int)((unsigned)getpid() * 7u + (unsigned)time(NULL)) % 30000;
	snprintf(pg->dsn, sizeof(pg->dsn), "host=%s port=%d user=alluse dbname=postgres", pg->base,
		 pg->port);
	const char *init[] = {"-D",     pg->data, "-A",   "trust",     "-U",
			      "alluse", "-E",     "UTF8", "--no-sync", "--no-instructions",
			      NULL};
	rc = run(pg, "initdb", init, err);
	if (rc) {
		rt_err_wrap(err, "initdb in %s", pg->base);
		goto fail;
	}
	rc = pg_start(pg, err);
	if (rc)
		goto fail;
	return 0;
fail:
	audit_pgctl_destroy(pg);
	return rc;
}

int audit_pgctl_stop(struct audit_pgctl *pg, struct rt_err *err)
{
	if (!pg->running)
		return 0;
	const char *args[] = {"-D", pg->data, "-m", "fast", "-w", "-t", "60", "stop", NULL};
	int rc = run(pg, "pg_ctl", args, err);
	if (rc)
		return rt_err_wrap(err, "stopping postgresql in %s", pg->base);
	pg->running = 0;
	return 0;
}

int audit_pgctl_restart(struct audit_pgctl *pg, struct rt_err *err)
{
	if (pg->running)
		return 0;
	return pg_start(pg, err);
}

void audit_pgctl_destroy(struct audit_pgctl *pg)
{
	if (!pg->base[0])
		return;
	if (pg->running) {
		struct rt_err e = {0};
		if (audit_pgctl_stop(pg, &e) != 0) {
			const char *args[] = {"-D", pg->data, "-m", "immediate",
					      "-w", "stop",   NULL};
			run(pg, "pg_ctl", args, &e);
		}
		pg->running = 0;
	}
	rt_rmtree(pg->base);
	pg->base[0] = '\0';
}
