#include "tools/alluse/sup.h"

#include "rt/rt_atomic.h"
#include "rt/rt_clock.h"
#include "rt/rt_cpu.h"
#include "rt/rt_log.h"
#include "rt/rt_proc.h"
#include "rt/rt_signal.h"
#include "shm/shm_counters.h"
#include "shm/shm_instance.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUP_MAX_PROCS 80

/* Directory of the running binary: children are the sibling programs. */
static void bin_dir(const char *argv0, char *out, size_t n)
{
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len > 0) {
		self[len] = '\0';
	} else {
		snprintf(self, sizeof(self), "%s", argv0);
	}
	snprintf(out, n, "%s", dirname(self));
}

/* mkdir -p: the audit journal's directory, made by the supervisor before its writer
 * starts. -errno (EEXIST for a non-directory in the way). */
static int mkdirs(const char *path, struct rt_err *err)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			struct stat st;
			if (mkdir(buf, 0750) != 0 && errno != EEXIST)
				return rt_err_set(err, -errno, "audit journal directory %s: %s",
						  buf, strerror(errno));
			if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
				return rt_err_set(err, -ENOTDIR,
						  "audit journal directory %s: not a directory",
						  buf);
			if (c == '\0')
				return 0;
			*p = c;
		}
	}
}

/* argv of a child: head (NULL-terminated), then -e ENV when the program takes it
 * and an environment was chosen, then -c FILE when one was given. */
struct child_argv {
	const char *v[24];
	int n;
};

static void argv_build(struct child_argv *a, const char *const *head, const char *env,
		       int takes_env, const char *config_path)
{
	a->n = 0;
	for (; *head && a->n < 18; head++)
		a->v[a->n++] = *head;
	if (env && takes_env) {
		a->v[a->n++] = "-e";
		a->v[a->n++] = env;
	}
	if (config_path) {
		a->v[a->n++] = "-c";
		a->v[a->n++] = config_path;
	}
	a->v[a->n] = NULL;
}

/* The children the configuration asks for: the feeder (unless feeder.source is
 * none), then later processes. Each gets the same instance, environment and
 * configuration file: -e ENV where the program takes it (and ALLUSE_ENV, which
 * sup_run exports, for every one). */
static int plan_children(const struct rt_config *cfg, const char *env, const char *config_path,
			 const char *dir, struct rt_proc *procs, int *n, struct rt_err *err)
{
	char prog[PATH_MAX + 32];
	struct child_argv a;
	*n = 0;
	if (cfg->feeder.source != RT_FEED_NONE) {
		snprintf(prog, sizeof(prog), "%s/alluse-feed", dir);
		const char *head[] = {prog, "-n", cfg->instance, NULL};
		argv_build(&a, head, env, 1, config_path);
		int rc = rt_proc_init(&procs[(*n)++], "feeder", a.v, 1, err);
		if (rc)
			return rc;
	}
	snprintf(prog, sizeof(prog), "%s/alluse-audit", dir);
	{
		char journal[RT_CONFIG_PATH_MAX + 40];
		snprintf(journal, sizeof(journal), "%s/%s", cfg->audit.dir, cfg->instance);
		int mrc = mkdirs(journal, err);
		if (mrc)
			return mrc;
		char commit[16], rotate[16];
		snprintf(commit, sizeof(commit), "%u", cfg->audit.commit_ms);
		snprintf(rotate, sizeof(rotate), "%u", cfg->audit.rotate_mb);
		const char *head[] = {prog,
				      "run",
				      "-n",
				      cfg->instance,
				      "--journal",
				      journal,
				      "--commit-ms",
				      commit,
				      "--rotate-mb",
				      rotate,
				      cfg->audit.pg_dsn[0] ? "--pg" : NULL,
				      cfg->audit.pg_dsn,
				      NULL};
		argv_build(&a, head, env, 1, NULL);
		int rc = rt_proc_init(&procs[(*n)++], "audit", a.v, 1, err);
		if (rc)
			return rc;
	}
	snprintf(prog, sizeof(prog), "%s/alluse-rules", dir);
	{
		const char *head[] = {prog, "run", "-n", cfg->instance, NULL};
		argv_build(&a, head, env, 1, config_path);
		int rc = rt_proc_init(&procs[(*n)++], "rules", a.v, 1, err);
		if (rc)
			return rc;
	}
	snprintf(prog, sizeof(prog), "%s/alluse-worker", dir);
	for (uint32_t i = 0; i < cfg->workers.count; i++) {
		char id[16], name[32];
		snprintf(id, sizeof(id), "%u", i);
		snprintf(name, sizeof(name), "worker.%u", i);
		const char *head[] = {prog, "--id", id, "-n", cfg->instance, NULL};
		argv_build(&a, head, env, 1, config_path);
		int rc = rt_proc_init(&procs[(*n)++], name, a.v, 1, err);
		if (rc)
			return rc;
	}
	return 0;
}

int sup_run(const struct rt_config *cfg, const char *env, const char *config_path,
	    const char *argv0, int keep, int takeover)
{
	rt_log_init("supervisor", cfg->log_level);
	rt_signal_install();
	struct rt_err err = {0};
	struct shm_segment seg;
	int rc = shm_instance_create(&seg, cfg, takeover, &err);
	if (rc) {
		rt_log_error("cannot create the segment", "instance=%s reason=\"%s\"",
			     cfg->instance, err.msg);
		return rc;
	}
	rt_log_info("segment ready", "instance=%s path=%s bytes=%llu regions=%u instruments=%u",
		    cfg->instance, seg.path, (unsigned long long)seg.size, seg.hdr->region_count,
		    cfg->ninstruments);

	struct shm_counters cs;
	shm_counters_attach(&cs,
			    shm_segment_region(&seg, shm_segment_find_name(&seg, "supervisor")));
	uint64_t *c_restarts = shm_counters_word(&cs, "process.restarts");
	uint64_t *c_uptime = shm_counters_word(&cs, "uptime.s");

	char dir[PATH_MAX];
	bin_dir(argv0, dir, sizeof(dir));
	static struct rt_proc procs[SUP_MAX_PROCS];
	int nprocs = 0;
	/* children inherit it (each is also given -e): a program started by hand from a
	 * child, or one without -e, loads the same environment */
	if (env)
		setenv("ALLUSE_ENV", env, 1);
	else
		unsetenv("ALLUSE_ENV");
	rc = plan_children(cfg, env, config_path, dir, procs, &nprocs, &err);
	for (int i = 0; i < nprocs && !rc; i++)
		rc = rt_proc_start(&procs[i], &err);
	if (rc) {
		rt_log_error("cannot start the processes", "reason=\"%s\"", err.msg);
		rt_proc_stop_all(procs, nprocs, 2000);
		goto out;
	}

	uint64_t t0 = rt_clock_now_ns();
	while (!rt_signal_stop_requested()) {
		uint64_t now = rt_clock_now_ns();
		/* single writer of the heartbeat word: this process */
		rt_store_rel_u64(&seg.hdr->supervisor_heartbeat_ns, now);
		rt_store_rlx_u64(c_uptime, (now - t0) / 1000000000ull);
		rt_proc_reap(procs, nprocs, 0);
		rt_proc_restart_due(procs, nprocs, now);

		uint64_t restarts = 0;
		for (int i = 0; i < nprocs; i++)
			restarts += procs[i].restarts;
		rt_store_rlx_u64(c_restarts, restarts);
		rt_clock_sleep_ns(20000000);
	}
	rt_log_info("stopping", "signal=%d", rt_signal_stop_requested());
	rt_proc_stop_all(procs, nprocs, 3000);
out:
	shm_segment_detach(&seg);
	if (!keep) {
		shm_segment_unlink(cfg->instance, NULL);
		rt_log_info("segment removed", "instance=%s", cfg->instance);
	} else {
		rt_log_info("segment kept", "instance=%s", cfg->instance);
	}
	return rc;
}
